#!/bin/sh
# One-shot: creates the bus topics (docs/architecture.md, topology) on the compose Kafka broker.
# Partitions bound how many persisters and notifiers can share the load.
set -eu
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${KAFKA_PARTITIONS:-12}"
PREFIX="${KAFKA_TOPIC_PREFIX:-}"
create() {
  topic="$1"
  shift
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "${PREFIX}${topic}" --partitions "$PARTITIONS" --replication-factor 1 \
    --config min.insync.replicas=1 "$@"
}
for topic in chat.messages chat.reads chat.stored chat.events; do
  create "$topic"
done
# Presence change hints between gateways (docs/protocol.md §3.5): worthless after a moment.
create chat.presence --config retention.ms=3600000
# Records the persister could not store: kept until an operator deletes them, not 7 days.
create chat.dead-letter --config retention.ms=-1
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --list
