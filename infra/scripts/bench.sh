#!/usr/bin/env bash
# The benchmarks against real servers: every stage at the given scale (--scale small|full),
# a Markdown table on stdout and bench-results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/with-kafka.sh .venv/bin/python -m bench.run "$@"
