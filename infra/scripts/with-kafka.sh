#!/usr/bin/env bash
# Runs a command with a real Kafka broker up: starts one unless one is already running (and then
# stops it afterwards), and tells the command where it is (LEADS_TEST_KAFKA_BOOTSTRAP).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
started=no
if ! infra/kafka/kafka.sh status; then
  infra/kafka/kafka.sh up
  started=yes
fi
stop() { if [ "$started" = yes ]; then infra/kafka/kafka.sh down; fi; }
trap stop EXIT
export LEADS_TEST_KAFKA_BOOTSTRAP="${LEADS_TEST_KAFKA_BOOTSTRAP:-127.0.0.1:${LEADS_KAFKA_PORT:-9092}}"
"$@"
