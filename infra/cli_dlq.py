"""``leads dlq``: the intake dead-letter topic, listed, shown, replayed once or discarded, each
action recorded in the DLQ's own audit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from infra.cli_support import or_exit, read_settings
from infra.settings import Settings

if TYPE_CHECKING:
    from infra.dead_letters import DeadLetters

T = TypeVar("T")
dlq_app = typer.Typer(
    help="The intake dead-letter topic: list, show, replay once or discard, each action audited.",
    no_args_is_help=True,
)


@contextmanager
def _dead_letters(settings: Settings) -> Iterator[DeadLetters]:
    """The DLQ desk over its own database connection, closed when the command ends (its pool's
    threads would otherwise outlive the command)."""
    from infra.dead_letters import DeadLetters
    from infra.postgres import open_database

    db = or_exit(lambda: open_database(settings))
    try:
        yield DeadLetters(
            db=db,
            schema=settings.event_schema,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            dlq_topic=settings.dlq_topic,
            intake_topic=settings.intake_topic,
        )
    finally:
        db.close()


def _dlq_step(step: Callable[[], T]) -> T:
    from domain.errors import DomainError

    try:
        return step()
    except DomainError as e:
        typer.echo(f"leads: {e}", err=True)
        raise typer.Exit(2) from None


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


By = Annotated[str | None, typer.Option("--by", help="Who acts (recorded in the DLQ audit); default cli:$USER")]


@dlq_app.command("list")
def dlq_list(
    status: Annotated[str | None, typer.Option(help="open, replayed or discarded")] = None,
    stage: Annotated[str | None, typer.Option(help="limit, parse, validate, domain or error")] = None,
    ce_type: Annotated[str | None, typer.Option("--type", help="The message's ce_type")] = None,
    source: Annotated[str | None, typer.Option(help="The message's ce_source")] = None,
    since: Annotated[datetime | None, typer.Option(help="Refused at or after (ISO 8601, with offset)")] = None,
    text: Annotated[str | None, typer.Option("--reason-contains", help="Text in the reason")] = None,
) -> None:
    """Print each dead letter as a JSON line: its id, status, stage, reason and origin."""
    if since is not None and since.tzinfo is None:
        typer.echo("leads: --since needs a timezone offset (such as +00:00)", err=True)
        raise typer.Exit(2)
    with _dead_letters(read_settings()) as letters:
        rows = _dlq_step(
            lambda: letters.listing(status=status, stage=stage, ce_type=ce_type, source=source, since=since, text=text)
        )
    for row in rows:
        typer.echo(json.dumps(row))


@dlq_app.command("show")
def dlq_show(record: Annotated[str, typer.Argument(help="The dead letter's id, e.g. 0:17")]) -> None:
    """Print one dead letter whole: headers, key, value, and what was done with it."""
    with _dead_letters(read_settings()) as letters:
        typer.echo(json.dumps(_dlq_step(lambda: letters.show(record)), indent=2))


@dlq_app.command("replay")
def dlq_replay(
    record: Annotated[str, typer.Argument(help="The dead letter's id, e.g. 0:17")],
    payload: Annotated[
        Path | None, typer.Option(help="A file with the corrected message value (JSON) to send instead")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (recorded in the DLQ audit)")] = "cause fixed",
    by: By = None,
) -> None:
    """Send one dead letter back to intake, once (a second replay is refused)."""
    from infra.kafka_bus import make_producer

    s = read_settings()
    body = None
    if payload is not None:
        most = s.limits.intake_message_bytes
        if not payload.is_file() or payload.stat().st_size > most:
            typer.echo(f"leads: --payload must be a readable file of at most {most} bytes", err=True)
            raise typer.Exit(2)
        body = payload.read_bytes()
    producer = make_producer(s, client_id="leads-dlq-replay")
    try:
        with _dead_letters(s) as letters:
            done = _dlq_step(
                lambda: letters.replay(record, actor=by or _operator(), reason=reason, payload=body, producer=producer)
            )
    finally:
        producer.close()
    typer.echo(f"leads: replayed dead letter {done} to {s.intake_topic}{' with the corrected payload' if body else ''}")


@dlq_app.command("discard")
def dlq_discard(
    record: Annotated[str, typer.Argument(help="The dead letter's id, e.g. 0:17")],
    reason: Annotated[str, typer.Option(help="Why it is dropped (required; recorded in the DLQ audit)")],
    by: By = None,
) -> None:
    """Mark one dead letter as dropped on purpose, with the reason; it is never replayed."""
    with _dead_letters(read_settings()) as letters:
        done = _dlq_step(lambda: letters.discard(record, actor=by or _operator(), reason=reason))
    typer.echo(f"leads: discarded dead letter {done}")


@dlq_app.command("audit")
def dlq_audit(record: Annotated[str | None, typer.Option(help="Only this dead letter's actions")] = None) -> None:
    """Print the DLQ's own audit, one JSON line per action: record, action, actor, reason, at."""
    with _dead_letters(read_settings()) as letters:
        for action in letters.actions(record):
            typer.echo(json.dumps(action))
