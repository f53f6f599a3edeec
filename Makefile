# The two commands of the README: `make run` (the engine, embedded) and `make test` (everything,
# against real Kafka and real PostgreSQL). Both install what they need into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

SCALE ?= small

.PHONY: run test bench install mutate kafka-up kafka-down

$(BIN)/leads: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/leads

install: $(BIN)/leads

run: install
	$(BIN)/leads serve

test: install
	bash infra/scripts/test.sh

bench: install
	bash infra/scripts/bench.sh --scale $(SCALE)

# Mutation testing of domain/ (docs/mutation.md): minutes, so not part of `make test` or CI.
# One worker by default (MUTATE_JOBS=2 on a machine of your own); fails below MUTATE_MIN percent.
mutate: install
	bash infra/scripts/mutate.sh

kafka-up:
	infra/kafka/kafka.sh up

kafka-down:
	infra/kafka/kafka.sh down
