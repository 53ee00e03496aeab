#!/bin/sh
# One-shot: creates the bus topics (ARCHITECTURE.md, topology) on the compose Kafka broker.
# Partitions bound how many persisters and notifiers can share the load.
set -eu
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${KAFKA_PARTITIONS:-12}"
PREFIX="${KAFKA_TOPIC_PREFIX:-}"
for topic in chat.messages chat.reads chat.stored chat.events; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "${PREFIX}${topic}" --partitions "$PARTITIONS" --replication-factor 1 \
    --config min.insync.replicas=1
done
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --list
