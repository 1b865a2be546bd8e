"""Request and answer bodies of the admin API, beside the watchlist's own models."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel


class WriteResult(BaseModel):
    list_id: str
    entry_id: str | None = None
    version: int


class ExpireRequest(BaseModel):
    expires_at: AwareDatetime


class Problem(BaseModel):
    line: int | None
    message: str


class RejectedBody(BaseModel):
    detail: str
    problems: list[Problem]
