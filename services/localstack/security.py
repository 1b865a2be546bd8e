"""The local broker locked down per principal: SASL/SCRAM-SHA-512 on its client listeners (one
of them TLS, with a CA the stack makes), StandardAuthorizer ACLs, one principal per service, feed
and desk (README, Security).

What is pure (properties, who may do what) is checked without a broker; `provision` and
`grant_namespace` apply it through the super user's admin client.

- The super user `superuser` exists from the start: it is written into the storage when it is
  formatted (`kafka-storage format --add-scram`), because SCRAM users live in the KRaft metadata and
  nobody could create the first one otherwise. The broker talks to itself as it.
- Every other principal is created by `interdict stack up` (or `stack add-principal`) with a random
  password, kept in the credentials file (0600) next to the state, read by the processes of this
  machine; a deployment gives each process INTERDICT_KAFKA_USERNAME and INTERDICT_KAFKA_PASSWORD.
- ACLs name topics and groups with the namespace's prefixes (INTERDICT_TOPIC_PREFIX,
  INTERDICT_APP_ID_PREFIX): the tests, each in its own namespace, grant theirs and revoke them after.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kafka.errors import KafkaError

from services.ingest.feeds import load_feeds
from services.shared import topics
from services.shared.kafka_admin import admin_client
from services.shared.kafka_security import (
    ANY_FEED,
    OPERATOR,
    SASL_MECHANISM,
    credentials_file,
    desk_principal,
    feed_principal,
    read_credentials_file,
)
from services.shared.settings import PARTNER_COUNTRIES, Settings

#: The broker's own principal and the one that grants: the only super user besides the
#: controller listener's (see broker_properties).
SUPERUSER = "superuser"

#: The services that use Kafka, each its own principal (the admin API uses Redis only).
SERVICES = ("ingest", "matcher", "notifier", "rescreener", "deskstore", "console")

_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"


class SecurityError(RuntimeError):
    """The broker's security could not be set up; the message says why."""


# -- principals and their passwords ----------------------------------------------------------------


def principals(settings: Settings) -> list[str]:
    """Every principal the local stack creates, the super user first."""
    feeds = load_feeds(settings.feeds_file).exact_names()
    return [
        SUPERUSER,
        OPERATOR,
        *SERVICES,
        *(desk_principal(country) for country in PARTNER_COUNTRIES),
        ANY_FEED,
        *(feed_principal(feed) for feed in feeds),
    ]


def ensure_credentials(settings: Settings, wanted: Iterable[str]) -> dict[str, str]:
    """The credentials file with a password for every wanted principal; existing ones are kept."""
    path = credentials_file(settings)
    known = read_credentials_file(path)
    missing = [name for name in wanted if name not in known]
    if missing:
        known |= {name: secrets.token_urlsafe(24) for name in missing}
        write_credentials(path, known)
    return known


def write_credentials(path: Path, passwords: dict[str, str]) -> None:
    """Readable by this user only, replaced whole so that no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(passwords, file, indent=1, sort_keys=True)
    os.chmod(partial, 0o600)  # an older partial file may have had other modes
    partial.replace(path)


def rotate_password(settings: Settings, principal: str) -> None:
    """A new password for `principal`, on the broker and in the file (its clients reconnect with it)."""
    passwords = ensure_credentials(settings, [SUPERUSER, principal])
    passwords[principal] = secrets.token_urlsafe(24)
    _upsert_scram(settings, {principal: passwords[principal]})
    write_credentials(credentials_file(settings), passwords)


# -- the broker's side ---------------------------------------------------------------------------


def broker_properties(
    client: str, tls: str | None, controller: str, tls_dir: Path, superuser_password: str
) -> dict[str, str]:
    """server.properties entries: SASL_PLAINTEXT on `client`, SASL_SSL on `tls` (none on the nodes
    of a local cluster, whose ports lie where the single broker's TLS port is), ACLs enforced.

    The controller listener stays PLAINTEXT on loopback (KRaft keeps SCRAM users in the metadata
    the controller serves, so it cannot authenticate with them); its principal, ANONYMOUS, is a
    super user so that the broker can register with its own controller. No client listener is
    PLAINTEXT: an anonymous client is refused.
    """
    jaas = f'{_SCRAM_LOGIN} required username="{SUPERUSER}" password="{superuser_password}";'
    with_tls = f",SASL_SSL://{tls}" if tls else ""
    return {
        "listeners": f"SASL_PLAINTEXT://{client}{with_tls},CONTROLLER://{controller}",
        "advertised.listeners": f"SASL_PLAINTEXT://{client}{with_tls}",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": SASL_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SASL_MECHANISM,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": jaas,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
        "authorizer.class.name": _AUTHORIZER,
        "super.users": f"User:{SUPERUSER};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    } | (_tls_properties(tls_dir) if tls else {})


def _tls_properties(tls_dir: Path) -> dict[str, str]:
    # Kafka reads PEM directly: the key (PKCS#8) and the certificate chain in one file.
    return {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(tls_dir / "server-keystore.pem"),
        "ssl.client.auth": "none",
    }


def storage_format_arguments(superuser_password: str) -> list[str]:
    """`kafka-storage format` arguments that create the super user with the storage."""
    return ["--add-scram", f"{SASL_MECHANISM}=[name={SUPERUSER},password={superuser_password}]"]


def make_tls_files(tls_dir: Path, hosts: Iterable[str]) -> None:
    """A CA (ca.pem: what clients trust) and the broker's key and certificate signed by it, made
    with Debian's openssl once; kept across restarts so that clients keep trusting the same CA."""
    keystore = tls_dir / "server-keystore.pem"
    if keystore.exists():
        return
    tls_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(tls_dir, 0o700)
    names = ",".join(f"IP:{host}" if host[0].isdigit() or ":" in host else f"DNS:{host}" for host in hosts)
    extensions = tls_dir / "server.ext"
    extensions.write_text(f"subjectAltName={names}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    steps = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "825",
         "-subj", "/CN=interdict local stack CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.pem", "-days", "825", "-extfile", "server.ext"],
    ]  # fmt: skip
    for step in steps:
        result = subprocess.run(
            ["openssl", *step], cwd=tls_dir, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise SecurityError(f"openssl {step[0]} failed:\n{result.stderr}")
    partial = tls_dir / "server-keystore.pem.partial"
    partial.write_text((tls_dir / "server.key").read_text() + (tls_dir / "server.pem").read_text())
    os.chmod(partial, 0o600)
    partial.replace(keystore)


# -- who may do what ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    principal: str
    resource: ResourceType
    name: str
    operation: ACLOperation
    prefixed: bool = False

    def acl(self) -> ACL:
        pattern = ACLResourcePatternType.PREFIXED if self.prefixed else ACLResourcePatternType.LITERAL
        return ACL(
            principal=f"User:{self.principal}",
            host="*",
            operation=self.operation,
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(self.resource, self.name, pattern),
        )


def _reads(principal: str, names: Iterable[str]) -> list[Grant]:
    return [Grant(principal, ResourceType.TOPIC, name, ACLOperation.READ) for name in names]


def _writes(principal: str, names: Iterable[str]) -> list[Grant]:
    # WRITE implies DESCRIBE; since Kafka 3.0 it also lets an idempotent producer in (KIP-679).
    return [Grant(principal, ResourceType.TOPIC, name, ACLOperation.WRITE) for name in names]


def _group(principal: str, name: str, prefixed: bool = False) -> Grant:
    return Grant(principal, ResourceType.GROUP, name, ACLOperation.READ, prefixed)


def namespace_grants(settings: Settings) -> list[Grant]:
    """What each principal may do on the topics and groups of one namespace (README, Security)."""

    def topic(base: str) -> str:
        return topics.qualified(settings, base)

    raw, valid, dlq = topic(topics.MANIFESTS_RAW), topic(topics.MANIFESTS_VALID), topic(topics.MANIFESTS_DLQ)
    matches, ais = topic(topics.MATCHES), topic(topics.VESSELS_AIS)
    alerts = [topics.desk_topic(settings, country) for country in PARTNER_COUNTRIES]
    actions = [topics.actions_topic(settings, country) for country in PARTNER_COUNTRIES]
    cases = topics.cases_topic(settings)
    group = {service: topics.group_id(settings, service) for service in SERVICES}
    grants = [
        *_reads("ingest", [raw]), *_writes("ingest", [valid, ais, dlq]), _group("ingest", group["ingest"]),
        *_reads("matcher", [valid]), *_writes("matcher", [matches, dlq]), _group("matcher", group["matcher"]),
        *_reads("rescreener", [valid]), *_writes("rescreener", [matches, dlq]),
        _group("rescreener", group["rescreener"]),
        *_reads("notifier", [matches]), *_writes("notifier", [*alerts, dlq]), _group("notifier", group["notifier"]),
        # the notifier's transactional ids name its group and the input partition (stage/kafka.py)
        Grant("notifier", ResourceType.TRANSACTIONAL_ID, f"{group['notifier']}-", ACLOperation.WRITE, True),
        # the desk store materialises every desk and records the escalations it decides
        *_reads("deskstore", [*alerts, *actions, cases]), *_writes("deskstore", actions),
        # the console acts for the desk whose token it was shown (services/console)
        *_reads("console", [*alerts, *actions, cases]), *_writes("console", [*actions, cases]),
    ]  # fmt: skip
    for country in PARTNER_COUNTRIES:
        desk = desk_principal(country)
        own_actions = topics.actions_topic(settings, country)
        # not `cases`: a case spans desks, so its events are the console's to publish (case_cli.py)
        grants += _reads(desk, [topics.desk_topic(settings, country), own_actions]) + _writes(desk, [own_actions])
    feeds = [ANY_FEED, *(feed_principal(feed) for feed in load_feeds(settings.feeds_file).exact_names())]
    for feed in feeds:
        # a feed dead-letters what is too large to send, so that nothing it was given is lost
        grants += _writes(feed, [raw, dlq])
    return grants


def global_grants() -> list[Grant]:
    """Rights that hold in every namespace: a desk's own consumer groups, and the operator's."""
    grants = [_group(desk_principal(country), f"{desk_principal(country)}-", True) for country in PARTNER_COUNTRIES]
    for resource in (ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID):
        grants.append(Grant(OPERATOR, resource, "*", ACLOperation.ALL))
    for operation in (ACLOperation.DESCRIBE, ACLOperation.DESCRIBE_CONFIGS, ACLOperation.IDEMPOTENT_WRITE):
        grants.append(Grant(OPERATOR, ResourceType.CLUSTER, "kafka-cluster", operation))
    return grants


# -- applying it -------------------------------------------------------------------------------------


def provision(settings: Settings, wanted: Iterable[str] | None = None) -> None:
    """Every principal created (an existing one keeps its password), the global and this
    namespace's ACLs in place. Idempotent: the broker ignores an ACL it already has."""
    passwords = ensure_credentials(settings, wanted if wanted is not None else principals(settings))
    with admin_client(settings, principal=SUPERUSER) as admin:
        existing = _scram_users(admin)
    absent = {name: password for name, password in passwords.items() if name != SUPERUSER and name not in existing}
    if absent:
        _upsert_scram(settings, absent)
    _create_acls(settings, [*global_grants(), *namespace_grants(settings)])


def add_principal(settings: Settings, principal: str) -> None:
    """A new principal (a desk or feed added later), with its password in the credentials file."""
    provision(settings, [*read_credentials_file(credentials_file(settings)), principal])


def remove_principal(settings: Settings, principal: str) -> None:
    """A principal's SCRAM credential off the broker and out of the credentials file (its ACLs
    stay until its namespace is revoked: they grant nothing to a principal nobody can log in as)."""
    if principal == SUPERUSER:
        raise SecurityError("the super user cannot be removed: the broker itself logs in as it")
    with admin_client(settings, principal=SUPERUSER) as admin:
        result = admin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(principal, ScramMechanism.SCRAM_SHA_512)]
        )
    if result.get(principal):
        raise SecurityError(f"could not remove {principal}: {result[principal]}")
    path = credentials_file(settings)
    passwords = read_credentials_file(path)
    if passwords.pop(principal, None) is not None:
        write_credentials(path, passwords)


def grant_namespace(settings: Settings) -> None:
    _create_acls(settings, namespace_grants(settings))


def revoke_namespace(settings: Settings) -> None:
    acls = [grant.acl() for grant in namespace_grants(settings)]
    with admin_client(settings, principal=SUPERUSER) as admin:
        admin.delete_acls(acls)


def _scram_users(admin: KafkaAdminClient) -> set[str]:
    described: dict[str, dict[str, object]] = admin.describe_user_scram_credentials()
    return {user for user, found in described.items() if found["credential_infos"]}


def _upsert_scram(settings: Settings, passwords: dict[str, str]) -> None:
    upserts = [UserScramCredentialUpsertion(name, ScramMechanism.SCRAM_SHA_512, pw) for name, pw in passwords.items()]
    with admin_client(settings, principal=SUPERUSER) as admin:
        errors = {user: error for user, error in admin.alter_user_scram_credentials(upserts).items() if error}
    if errors:
        raise SecurityError(f"could not set SCRAM credentials: {errors}")


def _create_acls(settings: Settings, grants: list[Grant]) -> None:
    with admin_client(settings, principal=SUPERUSER) as admin:
        result = admin.create_acls([grant.acl() for grant in grants])
    if result["failed"]:
        raise KafkaError(f"could not create ACLs: {result['failed'][:3]}")


# -- deploy/ -----------------------------------------------------------------------------------------

#: The brokers of deploy/docker-compose.yml: the names its certificate is valid for.
DEPLOY_HOSTS = ("kafka-1", "kafka-2", "kafka-3", "localhost", "127.0.0.1")


def write_deploy_secrets(settings: Settings, directory: Path) -> list[str]:
    """What deploy/docker-compose.yml mounts as secrets, made once on the operator's machine:

    - kafka-credentials.json: every principal's password (only the provisioning job reads it);
    - kafka/<principal>.json: one principal's own, the one file its container is given;
    - kafka-superuser, kafka-controller: the brokers' own passwords;
    - tls/: the CA and the brokers' key and certificate (for kafka-1..3 and localhost).

    Existing files are kept (a password already on the brokers must not change behind them).
    Files are 0644 in a 0700 directory: compose mounts them as they are, into containers that run
    as other users than the one who made them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    everything = directory / "kafka-credentials.json"
    passwords = ensure_credentials(settings.model_copy(update={"kafka_credentials_file": everything}),
                                   [*principals(settings), "controller"])  # fmt: skip
    for principal, password in passwords.items():
        if principal in (SUPERUSER, "controller"):
            _write_readable(directory / f"kafka-{principal}", password)
        else:
            _write_readable(directory / "kafka" / f"{principal}.json", json.dumps({principal: password}))
    make_tls_files(directory / "tls", DEPLOY_HOSTS)
    for path in [everything, *(directory / "tls").iterdir()]:
        os.chmod(path, 0o644)
    return sorted(passwords)


def _write_readable(path: Path, text: str) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, 0o644)
