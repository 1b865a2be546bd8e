"""Who a process is on the broker, and the client options that say so: the one place every Kafka
client (kafka-python and aiokafka) takes its security settings from.

Each service, command and desk has its own principal (README, Security): the code names the
principal it acts as (`ingest`, `desk-mx`, `feed-ais-caribbean`, `operator`...), and the
settings decide the rest:

- INTERDICT_KAFKA_SECURITY_PROTOCOL: PLAINTEXT (no authentication), SASL_PLAINTEXT or SASL_SSL,
  both with SCRAM-SHA-512;
- INTERDICT_KAFKA_USERNAME / INTERDICT_KAFKA_PASSWORD: given (a deployment's container), they win
  over the principal the code names;
- otherwise the password of the named principal comes from the credentials file
  (INTERDICT_KAFKA_CREDENTIALS_FILE, by default the one `interdict stack up` writes in the state
  directory). Credentials are never in the code.
"""

from __future__ import annotations

import json
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from services.shared.settings import Settings

SASL_MECHANISM = "SCRAM-SHA-512"

# kafka-python warns on every SASL_PLAINTEXT connection that credentials go "in the clear": with
# SCRAM they do not (client and broker exchange salted proofs, never the password); what is clear
# is the traffic, which is why deployments use SASL_SSL. One warning per connection would bury
# every command's output.
logging.getLogger("kafka.net.sasl.scram").setLevel(logging.ERROR)

#: The principal of operators' commands (topics, status, dead letters, the demo) and the tests.
OPERATOR = "operator"


class KafkaCredentialsMissing(KafkaError):
    """No password is known for the principal a process acts as. A KafkaError, so that every
    command explaining Kafka failures explains this one too."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print a password in a log or a traceback
        return f"Credentials({self.username!r}, password=***)"


def credentials_file(settings: Settings) -> Path:
    return settings.kafka_credentials_file or settings.state_dir / "kafka-credentials.json"


def read_credentials_file(path: Path) -> dict[str, str]:
    """{principal: password}; empty when the file does not exist."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise KafkaCredentialsMissing(f"{path} is not a JSON object of principal: password")
    return document


def credentials(settings: Settings, principal: str) -> Credentials | None:
    """Who to authenticate as, None when the protocol has no authentication."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    username = settings.kafka_username or principal
    if settings.kafka_password is not None and settings.kafka_username:
        return Credentials(username, settings.kafka_password.get_secret_value())
    path = credentials_file(settings)
    password = read_credentials_file(path).get(username)
    if password is None:
        raise KafkaCredentialsMissing(
            f"no Kafka password for principal {username!r}: set INTERDICT_KAFKA_USERNAME and "
            f"INTERDICT_KAFKA_PASSWORD, or add the principal to {path} with "
            f"`interdict stack add-principal {username}`"
        )
    return Credentials(username, password)


def kafka_python_options(settings: Settings, principal: str) -> dict[str, Any]:
    """Keyword arguments of kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient."""
    options = _login_options(settings, principal)
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_cafile"] = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        options["ssl_check_hostname"] = True
    return options


def aiokafka_options(settings: Settings, principal: str) -> dict[str, Any]:
    """Keyword arguments of aiokafka's AIOKafkaProducer and AIOKafkaConsumer."""
    options = _login_options(settings, principal)
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(settings)
    return options


def _login_options(settings: Settings, principal: str) -> dict[str, Any]:
    """What both client libraries name alike: the brokers, the protocol and the SCRAM login."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    found = credentials(settings, principal)
    if found is not None:
        options |= {
            "sasl_mechanism": SASL_MECHANISM,
            "sasl_plain_username": found.username,
            "sasl_plain_password": found.password,
        }
    return options


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """Verifies the broker against INTERDICT_KAFKA_SSL_CAFILE (the system's CAs when not set)."""
    context = ssl.create_default_context(cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def desk_principal(desk: str) -> str:
    """A desk's officers act as their desk: they read its alerts and write its actions only."""
    return f"desk-{desk.lower()}"


#: Who publishes when no feed is named (the demo's and the samples' files, the feed named in the
#: content): a feed's rights, shared.
ANY_FEED = "feed"


def feed_principal(feed: str | None) -> str:
    """A feed publishes as itself: it writes manifests.raw (and dead-letters what it cannot send)."""
    return f"feed-{feed}" if feed else ANY_FEED
