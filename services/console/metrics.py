"""The console's own series, beside the desk store's (records applied) and the denied requests'."""

from __future__ import annotations

from prometheus_client import Gauge

STREAMS_OPEN = Gauge("interdict_console_streams_open", "Alert lists being pushed to browsers and programs now")
