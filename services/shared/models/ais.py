"""What AIS receivers tell besides a vessel's identity: where it is, and class B static data.

Kept on `vessels.ais` (keyed by MMSI) for voyage context; identity broadcasts (types 5, 19 and
24 part A) become vessel manifests and are screened.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from services.shared.models.common import NonEmptyStr, StrictModel


class AisReport(StrictModel):
    kind: Literal["ais_report"] = "ais_report"
    feed: NonEmptyStr
    mmsi: str = Field(pattern=r"^\d{9}$")
    message_type: int = Field(ge=1, le=27)
    at: AwareDatetime = Field(description="the receiver's time stamp (tag block) or the time it was received")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    speed_knots: float | None = Field(default=None, ge=0)
    course: float | None = Field(default=None, ge=0, lt=360)
    heading: int | None = Field(default=None, ge=0, lt=360)
    navigation_status: str | None = None
    call_sign: str | None = None
    ship_type: str | None = None
