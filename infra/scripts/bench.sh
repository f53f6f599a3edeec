#!/usr/bin/env bash
# The benchmarks against real servers: starts a Kafka broker unless one is up (and then stops
# it), runs every stage at the given scale, prints a Markdown table and writes bench-results.json.
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
.venv/bin/python -m bench.run "$@"
