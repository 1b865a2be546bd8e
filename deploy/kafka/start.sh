#!/bin/bash
# A broker of deploy/docker-compose.yml: its configuration from the template and its secrets, its
# storage formatted once with the super user (SCRAM users live in the KRaft metadata: the first one
# must be there before anybody can log in to create the others), then the broker itself.
set -euo pipefail

# Where the image has things (overridable so that tests/unit/test_deploy_kafka.py runs this script).
SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
TEMPLATE="${TEMPLATE:-/etc/kafka/interdict/server.properties}"
KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
CONFIG_DIR="${CONFIG_DIR:-/tmp}"
DATA_DIR="${DATA_DIR:-/var/lib/kafka/data}"

SUPERUSER_PASSWORD="$(cat "$SECRETS_DIR/kafka-superuser")"
CONTROLLER_PASSWORD="$(cat "$SECRETS_DIR/kafka-controller")"
: "${NODE_ID:?}" "${HOST:?}" "${EXTERNAL_PORT:?}" "${CLUSTER_ID:?}"

config="$CONFIG_DIR/server.properties"
# Only these variables are replaced: a `$` anywhere else in the template stays as written.
template="$(cat "$TEMPLATE")"
for name in NODE_ID HOST EXTERNAL_PORT DATA_DIR SUPERUSER_PASSWORD CONTROLLER_PASSWORD; do
    template="${template//\$\{$name\}/${!name}}"
done
umask 077
printf '%s\n' "$template" > "$config"
# The healthcheck's client: the super user over TLS, as the brokers connect to one another.
cat > "$CONFIG_DIR/client.properties" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="superuser" password="${SUPERUSER_PASSWORD}";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/tls/ca.pem
PROPERTIES

"$KAFKA_HOME/bin/kafka-storage.sh" format --ignore-formatted -t "$CLUSTER_ID" -c "$config" \
    --add-scram "SCRAM-SHA-512=[name=superuser,password=${SUPERUSER_PASSWORD}]"
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$config"
