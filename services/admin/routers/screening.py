"""/screen: screening on behalf of the caller, who is shown only what the entries share with them.

The same engine and answers as `interdict screen` (services/matcher/screen.py), built from the live
watchlists and kept in the same cache; the entries the caller's country may not see are left out
before ranking, so they neither show nor take a place among the best matches.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations at runtime.
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.admin.auth import Authenticated
from services.matcher.screen import QueryLineError, engine_for, query_from_mapping, screen_all
from services.shared.settings import Settings

router = APIRouter()

MAX_QUERIES = 1000


class ScreenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queries: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_QUERIES,
        description="each as a line of `interdict screen --file`: name, kind, country, dob, identifiers",
        examples=[[{"name": "Helmer Herrera", "kind": "person", "country": "CO"}]],
    )
    limit: int = Field(default=10, ge=1, le=100, description="most matches per query")


@router.post("/screen", tags=["read"])
def screen(caller: Authenticated, request: Request, body: Annotated[ScreenRequest, Body()]) -> list[dict[str, Any]]:
    """Screen names and identifiers against the live watchlists, as the token's country may see them."""
    try:
        queries = [query_from_mapping(fields) for fields in body.queries]
    except QueryLineError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    if any(query.name is None and not query.identifiers for query in queries):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a query needs a name or identifiers")
    settings = cast(Settings, request.app.state.settings)
    engine = engine_for(settings).engine
    return list(screen_all(engine, iter(queries), body.limit, caller.country))
