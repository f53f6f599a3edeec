"""Adapters and wiring: settings, PostgreSQL, Kafka, the event mapper, the CLI and the runtime."""
