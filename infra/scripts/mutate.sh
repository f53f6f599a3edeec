#!/usr/bin/env bash
# Mutation testing of domain/ against tests/unit (config: [tool.mutmut] in pyproject.toml; what it
# means: docs/mutation.md). Always from a fresh mutants/ (mutmut keeps results there and would
# otherwise re-test only what has none), then the score; fails below MUTATE_MIN percent.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
rm -rf mutants
.venv/bin/mutmut run --max-children "${MUTATE_JOBS:-1}"
.venv/bin/python infra/scripts/mutation_score.py --seconds $(($(date +%s) - start)) --min "${MUTATE_MIN:-90}"
echo "survivors: .venv/bin/mutmut results; one mutant: .venv/bin/mutmut show NAME"
