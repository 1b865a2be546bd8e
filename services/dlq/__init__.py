"""The dead-letter topic made usable: read and filter dead letters (letters.py), re-publish the ones
that can be sent again to where they came from (replay.py), and the `interdict dlq` commands (cli.py)."""
