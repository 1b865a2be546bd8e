"""Each watchlist's live version in Redis, beside the version each running matcher holds: a
matcher behind the store is matching against an older list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import redis

from services.shared.models.watchlist import WatchlistInfo
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import Settings
from services.status.services import ServiceState
from services.watchlist.reader import WatchlistReader


@dataclass(frozen=True)
class ListState:
    list_id: str
    owner_country: str
    version: int
    entries: int
    enabled: bool
    updated_at: datetime
    #: the version the probed matcher holds; None when no matcher answered
    matcher_version: int | None
    matcher_behind: bool


@dataclass
class WatchlistsState:
    reachable: bool
    problem: str | None = None
    lists: list[ListState] = field(default_factory=list)


def read_watchlists(settings: Settings, services: Sequence[ServiceState]) -> WatchlistsState:
    held = _matcher_versions(services)
    client = sync_client(settings, RedisUser.CONSOLE, socket_connect_timeout=2, socket_timeout=5)
    try:
        infos = WatchlistReader(client, settings.redis_key_prefix).lists()
    except redis.RedisError as error:
        return WatchlistsState(False, f"Redis at {settings.redis_url}: {error}")
    finally:
        client.close()
    return WatchlistsState(True, None, [_list_state(info, held.get(info.list_id)) for info in infos])


def _list_state(info: WatchlistInfo, held: int | None) -> ListState:
    behind = info.enabled and held is not None and held < info.version
    return ListState(
        info.list_id, info.owner_country, info.version, info.entry_count, info.enabled, info.updated_at, held, behind
    )


def _matcher_versions(services: Sequence[ServiceState]) -> dict[str, int]:
    """The versions in the matcher's readiness report (its replica's), if the matcher answered."""
    for state in services:
        versions = state.details.get("versions") if state.service == "matcher" and state.up else None
        if isinstance(versions, dict):
            return {str(list_id): int(version) for list_id, version in versions.items()}
    return {}
