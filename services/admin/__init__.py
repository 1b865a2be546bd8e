"""HTTP administration of the watchlists: a FastAPI app, bearer tokens per country and role."""
