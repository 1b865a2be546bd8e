"""`interdict status`: the whole pipeline on one screen, for an operator.

- services.py:   each service's /readyz, probed on its configured port
- broker.py:     from Kafka: lag per consumer group, rates, dead letters, each desk's last alert
- watchlists.py: from Redis: each list's version, beside the versions the matchers hold
- report.py:     the three gathered into one report, and what makes it unhealthy (--check)
- render.py, cli.py: the screen (rich) and the command (--json, --check)

Every part reports its own failure instead of raising: a status that breaks when a service or a
server is down is no use on the day it is needed.
"""
