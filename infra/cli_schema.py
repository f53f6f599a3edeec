"""``leads schema``: the published contract (events Markdown, AsyncAPI, JSON Schemas), printed
from the models so the documents cannot drift from the code."""

from __future__ import annotations

import json
import sys

import typer

from infra.cli_support import read_settings

schema_app = typer.Typer(help="Export the published contract.", no_args_is_help=True)


@schema_app.command("docs")
def schema_docs() -> None:
    """Print docs/events.md: topics, headers and every message type, from the models."""
    from domain.contract.documents import events_markdown

    sys.stdout.write(events_markdown(read_settings().topic_prefix))


@schema_app.command("asyncapi")
def schema_asyncapi() -> None:
    """Print the AsyncAPI 3 document: every topic (events, intake, dead letters, notifications),
    the brokers of LEADS_KAFKA_BOOTSTRAP_SERVERS as servers, and the Kafka bindings."""
    from domain.contract.asyncapi import Deployment, asyncapi

    s = read_settings()
    deployment = Deployment(
        topic_prefix=s.topic_prefix,
        bootstrap_servers=s.kafka_bootstrap_servers,
        partitions=s.topic_partitions,
        consumer_group=s.consumer_group,
        dlq_retention_days=s.dlq_retention_days,
    )
    json.dump(asyncapi(deployment=deployment), sys.stdout, indent=2)
    sys.stdout.write("\n")


@schema_app.command("events")
def schema_events() -> None:
    """Print the JSON Schema of every message the engine publishes, keyed by CloudEvents type:
    each lead event's payload as it is on the wire, a notification's, and their headers
    (``<type>#headers``; a dead letter's value is the refused message, so only its headers)."""
    from domain.contract.documents import published_json_schemas

    json.dump(published_json_schemas(), sys.stdout, indent=2)
    sys.stdout.write("\n")
