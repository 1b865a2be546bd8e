"""The desks' web console: `interdict desk serve`, a FastAPI app over the desk operations the CLI uses."""
