"""One settings object for every service and command, read from INTERDICT_* environment variables.

The defaults describe the local stack that `interdict stack up` starts on loopback, so a fresh
clone works without any configuration; deploy/ overrides them for a real cluster.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.shared.i18n import LANGUAGES, Language
from services.shared.models.alert import Severity

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: The partner countries, each with its own interdiction desk topic (ISO 3166-1 alpha-2).
PARTNER_COUNTRIES: tuple[str, ...] = ("US", "CO", "MX", "PA", "BR", "CR", "GT", "HN", "CL", "EC")

#: Each desk's working language; a desk left out reads English.
DEFAULT_DESK_LANGUAGES = "US=en,CO=es,MX=es,PA=es,BR=pt,CR=es,GT=es,HN=es,CL=es,EC=es"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTERDICT_", env_file=None, extra="ignore")

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:19092"
    topic_partitions: int = Field(default=4, ge=1, description="partitions of every topic we create")
    topic_replication: int = Field(default=1, ge=1)
    topic_prefix: str = Field(default="", description="prepended to every topic name (tests use it)")
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="SASL_PLAINTEXT",
        description="how clients connect: SASL (SCRAM-SHA-512), over TLS or not; PLAINTEXT: anonymous",
    )
    kafka_username: str = Field(
        default="", description="the Kafka principal of this process; empty: the one its code names (README, Security)"
    )
    kafka_password: SecretStr | None = Field(
        default=None, description="the password of INTERDICT_KAFKA_USERNAME; empty: from the credentials file"
    )
    kafka_credentials_file: Path | None = Field(
        default=None, description="JSON {principal: password}; default <state dir>/kafka-credentials.json"
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="the CA that signed the brokers' certificates (SASL_SSL); empty: the system's"
    )

    # Redis
    redis_url: str = "redis://127.0.0.1:16379/0"
    redis_key_prefix: str = Field(default="interdict", description="namespace of every Redis key")
    redis_username: str | None = Field(
        default=None, description="this process's Redis ACL user (a deployment sets one per service)"
    )
    redis_password: SecretStr | None = Field(default=None, description="the password of redis_username")
    redis_credentials_file: Path | None = Field(
        default=None,
        description="the local stack's Redis users and passwords; default <state dir>/redis-credentials.json",
    )

    # Services
    web_host: str = Field(
        default="127.0.0.1",
        description="where every worker's HTTP listeners (web views, metrics) bind; 0.0.0.0 in containers",
    )
    ingest_web_port: int = 6071
    matcher_web_port: int = 6072
    notifier_web_port: int = 6073
    ingest_metrics_port: int = 9471
    matcher_metrics_port: int = 9472
    notifier_metrics_port: int = 9473
    rescreener_metrics_port: int = 9474
    admin_port: int = Field(default=8470, description="the admin API (`interdict admin serve`), with its /metrics")
    lag_interval_seconds: float = Field(
        default=15.0, gt=0, description="how often each stage worker reads its group's consumer lag from the broker"
    )
    rescreen_days: int = Field(default=30, ge=1, description="how far back a new or changed entry is re-screened")
    app_id_prefix: str = Field(default="interdict", description="faust app ids, hence consumer groups")
    state_dir: Path = PROJECT_ROOT / ".state"
    kafka_session_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how soon a dead worker's partitions move to a live one"
    )
    # Stages: how they batch and produce (see README, "Performance", for the measurements)
    batch_max_records: int = Field(default=1000, ge=1, description="most input records one batch takes")
    batch_wait_ms: int = Field(
        default=500, ge=1, description="how long an idle stage waits for a first record (a busy one never waits)"
    )
    max_message_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="largest record a stage produces; larger outputs are dead-lettered"
    )
    producer_linger_ms: int = Field(default=5, ge=0, description="how long a producer gathers records into a request")
    producer_batch_bytes: int = Field(default=256 * 1024, ge=1024, description="producer batch size per partition")
    producer_compression: Literal["", "lz4", "zstd", "gzip"] = Field(
        default="", description="compression of produced batches: none (empty), lz4, zstd or gzip"
    )
    # Feeds
    feeds_file: Path | None = Field(
        default=PROJECT_ROOT / "feeds" / "feeds.toml",
        description="the feeds: name, owner country, format (README, Feeds); empty for none",
    )
    unlocode_file: Path | None = Field(
        default=None, description="UNECE's UN/LOCODE code list (CSV) to add to the known ports; see README"
    )
    watchlist_refresh_seconds: float = Field(default=1.0, gt=0)
    match_threshold: float = Field(default=0.80, ge=0, le=1)
    matcher_compiled: bool = Field(
        default=True,
        description="run the matcher engine compiled by mypyc when its build is current; false: from its "
        "source. Read from the environment when the engine is imported (services/matcher/engine/compilation.py)",
    )

    suppression_window_seconds: float = Field(
        default=24 * 3600,
        ge=0,
        description="the same entry on the same voyage or bill of lading within this is one alert; 0: never",
    )
    severity_rules_file: Path = Field(
        default=PROJECT_ROOT / "config" / "severity.toml",
        description="the severity rules (README, How severe an alert is); reloaded when it changes",
    )

    # Desks
    desk_languages: str = Field(
        default=DEFAULT_DESK_LANGUAGES,
        description="each desk's language for labels and explanations: CC=en|es|pt, comma-separated",
    )

    escalation_deadlines: str = Field(
        default="critical=15m,high=1h,medium=4h,low=24h",
        description="how long an alert of each severity may stay new before it is escalated",
    )
    escalation_check_seconds: float = Field(default=30.0, gt=0, description="how often the desk store looks")
    deskstore_metrics_port: int = 9475
    desk_store_dir: Path | None = Field(
        default=None, description="where each desk's SQLite store lives (<desk>.sqlite3); default <state dir>/desk"
    )
    console_port: int = Field(
        default=8471, description="the desk console (`interdict desk serve`), with its /metrics, /healthz, /readyz"
    )
    console_url: str = Field(
        default="",
        description="the console `interdict case` calls (cases go through it); empty: http://127.0.0.1:<console port>",
    )
    console_sync_timeout_seconds: float = Field(
        default=15.0, gt=0, description="how long a console page or action waits for the desk's topics to be read"
    )

    # Local stack
    kafka_version: str = "3.9.1"
    kafka_controller_port: int = 19093
    kafka_tls_port: int = Field(
        default=19094, description="the local broker's SASL_SSL listener (its CA: <state dir>/kafka/tls/ca.pem)"
    )

    @field_validator(
        "feeds_file",
        "unlocode_file",
        "desk_store_dir",
        "redis_credentials_file",
        "kafka_credentials_file",
        "kafka_ssl_cafile",
        "kafka_password",
        mode="before",
    )
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("desk_languages")
    @classmethod
    def _known_desks_and_languages(cls, value: str) -> str:
        parse_desk_languages(value)
        return value

    @field_validator("escalation_deadlines")
    @classmethod
    def _a_deadline_per_severity(cls, value: str) -> str:
        parse_deadlines(value)
        return value

    @property
    def partner_countries(self) -> tuple[str, ...]:
        return PARTNER_COUNTRIES

    def desk_store_path(self, desk: str) -> Path:
        return (self.desk_store_dir or self.state_dir / "desk") / f"{desk.lower()}.sqlite3"

    def escalation_deadline(self) -> dict[Severity, timedelta]:
        return parse_deadlines(self.escalation_deadlines)

    def desk_language(self, desk: str) -> Language:
        return parse_desk_languages(self.desk_languages).get(desk.upper(), "en")

    def as_environment(self) -> dict[str, str]:
        """These settings as INTERDICT_* variables, to hand them to a worker process."""
        return {f"INTERDICT_{name.upper()}": _as_variable(getattr(self, name)) for name in type(self).model_fields}


def parse_assignments(text: str) -> dict[str, str]:
    """`A=x, B=y` as {"A": "x", "B": "y"}; ValueError naming the part that is not `name=value`."""
    pairs: dict[str, str] = {}
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ValueError(f"{part!r} is not name=value")
        pairs[name.strip()] = value.strip()
    return pairs


@lru_cache(maxsize=16)  # asked for every match the notifier words: read once per text
def parse_desk_languages(text: str) -> dict[str, Language]:
    """`MX=es,BR=pt` as {"MX": "es", "BR": "pt"}; ValueError naming an unknown desk or language."""
    languages: dict[str, Language] = {}
    for desk, language in parse_assignments(text).items():
        if desk.upper() not in PARTNER_COUNTRIES:
            raise ValueError(f"{desk!r} is not a partner desk ({', '.join(PARTNER_COUNTRIES)})")
        if language not in LANGUAGES:
            raise ValueError(f"{language!r} for desk {desk.upper()} is not one of {', '.join(LANGUAGES)}")
        languages[desk.upper()] = language
    return languages


_DURATION = re.compile(r"(\d+)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h30m`, `2d` as a timedelta; ValueError saying what a duration looks like."""
    spec = text.strip().lower()
    parts = _DURATION.findall(spec)
    if not spec or "".join(count + unit for count, unit in parts) != spec:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 1h30m or 2d")
    return timedelta(seconds=sum(int(count) * _SECONDS[unit] for count, unit in parts))


def parse_deadlines(text: str) -> dict[Severity, timedelta]:
    """`critical=15m,high=1h,medium=4h,low=1d`: every severity's, each a duration above zero."""
    deadlines: dict[Severity, timedelta] = {}
    for name, duration in parse_assignments(text).items():
        try:
            severity = Severity(name.lower())
        except ValueError:
            raise ValueError(f"{name!r} is not a severity ({', '.join(item.value for item in Severity)})") from None
        deadlines[severity] = parse_duration(duration)
        if deadlines[severity] <= timedelta(0):
            raise ValueError(f"the deadline of {severity.value} alerts must be above zero")
    missing = [severity.value for severity in Severity if severity not in deadlines]
    if missing:
        raise ValueError(f"no deadline for {', '.join(missing)} alerts")
    return deadlines


def _as_variable(value: object) -> str:
    if isinstance(value, SecretStr):  # str() would hand the worker '**********'
        return value.get_secret_value()
    return "" if value is None else str(value)  # an empty path variable reads back as none


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
