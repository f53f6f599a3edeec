"""The ``leads`` command: run the engine whole or in parts, and export the event contract."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from infra import cli_import, logs
from infra.cli_audit import audit_app
from infra.errors import StartupError
from infra.model_cli import register as register_model_commands
from infra.runtime import Engine, Worker
from infra.settings import Mode, Settings

app = typer.Typer(help="Event-sourced lead lifecycle engine.", no_args_is_help=True)
schema_app = typer.Typer(help="Export the published contract.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
projections_app = typer.Typer(help="Operate read models.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")
duplicates_app = typer.Typer(help="Find duplicates among the leads already stored.", no_args_is_help=True)
app.add_typer(duplicates_app, name="duplicates")
dlq_app = typer.Typer(
    help="The intake dead-letter topic: list, show, replay once or discard, each action audited.",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")
T = TypeVar("T")

if TYPE_CHECKING:
    from infra.dead_letters import DeadLetters


def _open(settings: Settings) -> Engine:
    return _or_exit(lambda: Engine.open(settings))


def _or_exit(step: Callable[[], T]) -> T:
    """Bad configuration ends the command with one line saying what and where, not a traceback."""
    try:
        return step()
    except StartupError as e:
        typer.echo(f"leads: {e}", err=True)
        raise typer.Exit(2) from None


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as e:
        typer.echo(f"leads: invalid settings: {e}".replace("\n", " "), err=True)
        raise typer.Exit(2) from None


def _configure_logging() -> None:
    """JSON lines (or text) as the settings say; plain text until settings are read."""
    try:
        settings = Settings()
    except Exception:
        logs.configure(json=False)
        return
    logs.configure(json=settings.log_format == "json", level=settings.log_level)


def _stop_on_signals(engine: Engine) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: engine.stop.set())


@app.command()
def serve() -> None:
    """API, every projection consumer and the monitors, plus in kafka mode the relay, the intake
    consumer and the notifier: each projection and worker in a supervised process of its own
    (LEADS_SERVE_WORKERS=threads: all in this one), HTTP in LEADS_API_WORKERS processes."""
    from infra import serving

    _configure_logging()
    settings = _settings()
    engine = _open(settings)
    app = serving.build_app(engine)
    supervisor = _or_exit(lambda: serving.start_workers(engine))
    typer.echo(
        f"leads: {settings.mode} mode, serving http://{settings.api_host}:{settings.api_port} "
        f"(API docs at /docs, health at /health)"
    )
    # uvicorn re-raises the stop signal once it has shut down; with these handlers in place
    # that signal stops the workers instead of killing the process before they commit.
    _stop_on_signals(engine)
    try:
        serving.serve_http(engine, app)
    finally:
        if supervisor is not None:
            supervisor.stop()
        engine.close()
        typer.echo("leads: stopped")


@app.command()
def token(
    user: Annotated[str, typer.Option(help="The user the token speaks for")],
    role: Annotated[str, typer.Option(help="admin, manager, rep, auditor or integration")],
    hours: Annotated[int, typer.Option(help="Lifetime")] = 12,
) -> None:
    """Print a bearer token signed with this engine's key (LEADS_AUTH_SECRET or home/auth-secret).
    A user not yet in the directory is added with that role (how the first admin gets in);
    an existing user must have the role, and an inactive one gets no token."""
    from api.auth import Role, issue_token
    from domain.directory import UserProfile, UserStatus
    from domain.errors import DomainError
    from domain.values import Channel, EventMeta

    try:
        parsed = Role(role)
    except ValueError:
        typer.echo(f"leads: unknown role {role!r}; one of: {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    engine = _open(settings)
    try:
        known = engine.service.directory(fresh=True).users.get(user)
        if known is None:
            meta = EventMeta(actor="cli:leads-token", channel=Channel.SYSTEM)
            engine.service.add_user(name=user, profile=UserProfile(roles=(parsed,)), meta=meta)
            typer.echo(f"leads: added {user} to the directory as {parsed}", err=True)
        elif known.status is UserStatus.INACTIVE or parsed not in known.profile.roles:
            typer.echo(f"leads: {user} is inactive or lacks the role {parsed}; an admin changes that", err=True)
            raise typer.Exit(2)
    except DomainError as e:
        typer.echo(f"leads: {e}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.close()
    typer.echo(issue_token(key=settings.signing_key(), user=user, role=parsed, hours=hours))


def _open_default() -> Engine:
    return _open(_settings())


cli_import.register(app, _open_default)


Supervised = Annotated[
    int | None, typer.Option("--supervisor-pid", hidden=True, help="Stop when this process (leads serve) dies")
]


def _watch_supervisor(engine: Engine, pid: int | None) -> None:
    if pid is not None:
        from infra.supervisor import watch_parent

        watch_parent(pid, engine.stop.set)


@app.command()
def relay(supervisor_pid: Supervised = None) -> None:
    """Publish the notification log to Kafka (kafka mode), until SIGTERM/SIGINT."""
    _configure_logging()
    settings = _settings()
    if settings.mode is not Mode.KAFKA:
        typer.echo("leads: the relay needs LEADS_MODE=kafka", err=True)
        raise typer.Exit(2)
    engine = _open(settings)
    _stop_on_signals(engine)
    _watch_supervisor(engine, supervisor_pid)
    try:
        _or_exit(engine.relay).run()
    finally:
        engine.close()


@app.command()
def consume(
    projection: Annotated[
        list[str] | None, typer.Option(help="Projection to run, e.g. lead_list (repeat for several)")
    ] = None,
    intake: Annotated[bool, typer.Option("--intake", help="Run the intake consumer (kafka mode)")] = False,
    notifier: Annotated[bool, typer.Option("--notifier", help="Publish notifications to Kafka (kafka mode)")] = False,
    aging: Annotated[bool, typer.Option("--aging-monitor", help="Run the aging monitor")] = False,
    reminders: Annotated[
        bool, typer.Option("--reminders", help="Run the reminder scheduler (any number may run; each fires once)")
    ] = False,
    response: Annotated[
        bool, typer.Option("--response-monitor", help="Run the speed-to-lead monitor (escalates overdue leads)")
    ] = False,
    rescorer: Annotated[
        bool, typer.Option("--rescorer", help="Re-score open leads after each publication of a scoring model")
    ] = False,
    decay: Annotated[
        bool, typer.Option("--decay-monitor", help="Apply the scoring model's decay to open leads")
    ] = False,
    likelihood: Annotated[
        bool, typer.Option("--likelihood-monitor", help="Estimate changed leads with the active learned model")
    ] = False,
    supervisor_pid: Supervised = None,
) -> None:
    """Run the named workers until SIGTERM/SIGINT, several as threads of this process (scale out:
    several processes of one projection share the partitions). Exits 3 if a projection halted."""
    from infra.supervisor import HALTED

    flags = [intake, notifier, aging, response, reminders, rescorer, decay, likelihood]
    if not projection and not any(flags):
        typer.echo(
            "leads: name at least one of --projection NAME, --intake, --notifier, --aging-monitor, "
            "--response-monitor, --reminders, --rescorer, --decay-monitor or --likelihood-monitor",
            err=True,
        )
        raise typer.Exit(2)
    _configure_logging()
    settings = _settings()
    if (intake or notifier) and settings.mode is not Mode.KAFKA:
        typer.echo("leads: the intake consumer and the notifier need LEADS_MODE=kafka", err=True)
        raise typer.Exit(2)
    engine = _open(settings)
    _stop_on_signals(engine)
    _watch_supervisor(engine, supervisor_pid)
    every: list[Callable[[], Worker]] = [
        engine.intake,
        engine.notifier,
        engine.aging_monitor,
        engine.response_monitor,
        engine.reminder_scheduler,
        engine.rescorer,
        engine.decay_monitor,
        engine.likelihood_monitor,
    ]
    makers = [make for chosen, make in zip(flags, every, strict=True) if chosen]
    makers += [partial(engine.consumer, name, client_id=f"leads-{name}") for name in projection or []]
    try:
        workers = [_or_exit(make) for make in makers]
        if len(workers) == 1:
            workers[0].run()
        else:
            for worker in workers:
                engine.start_worker(worker)
            # one halted or failed thread ends the process, so its supervisor sees it
            while not engine.stop.wait(0.25) and not any(w.status.startswith(("halted", "failed")) for w in workers):
                pass
    finally:
        engine.close()
    for worker in workers:
        if worker.status.startswith(("halted", "failed")):
            typer.echo(f"leads: {worker.name} {worker.status}", err=True)
    if any(w.status.startswith("halted") for w in workers):
        raise typer.Exit(HALTED)
    if any(w.status.startswith("failed") for w in workers):
        raise typer.Exit(1)


@projections_app.command("rebuild")
def projections_rebuild(
    names: Annotated[
        list[str], typer.Argument(help="Projection(s) to rebuild, e.g. lead_list; several share one pass over the log")
    ],
) -> None:
    """Replay the whole log into fresh copies while the live ones serve, then swap atomically."""
    from rich.progress import Progress

    name = ", ".join(names)
    engine = _open(_settings())
    try:
        with Progress() as bar:
            task = bar.add_task(f"rebuilding {name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = _or_exit(
                lambda: (
                    engine.rebuild(names[0], progress) if len(names) == 1 else engine.rebuild_together(names, progress)
                )
            )
    finally:
        engine.close()
    verdict = "equal to" if report.equal else "DIFFERENT from"
    typer.echo(
        f"leads: rebuilt {name} from {report.events} events; the rebuilt copy was {verdict} the live one "
        f"(checksums {report.rebuilt_checksum} / {report.live_checksum}); swapped in"
    )


@duplicates_app.command("scan")
def duplicates_scan() -> None:
    """Scan every stored lead with the duplicate policy; store the duplicate sets for review
    (GET /duplicates/scan) and print the report."""
    from rich.progress import Progress

    engine = _open(_settings())
    try:
        engine.prepare_read_store()
        with Progress() as bar:
            task = bar.add_task("comparing", total=None)
            report = _or_exit(
                lambda: engine.duplicate_scan().run(lambda done, total: bar.update(task, completed=done, total=total))
            )
    finally:
        engine.close()
    typer.echo(
        f"leads: scanned {report.scanned} leads in {report.seconds:.1f} s ({report.rate:.0f} leads/s): "
        f"{report.compared} pairs compared, {len(report.pairs)} duplicate pairs in {len(report.sets)} sets"
    )


def _dead_letters(settings: Settings) -> DeadLetters:
    from infra.dead_letters import DeadLetters
    from infra.postgres import open_database

    db = _or_exit(lambda: open_database(settings))
    return DeadLetters(
        db=db,
        schema=settings.event_schema,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        dlq_topic=settings.dlq_topic,
        intake_topic=settings.intake_topic,
    )


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
    letters = _dead_letters(_settings())
    rows = _dlq_step(
        lambda: letters.listing(status=status, stage=stage, ce_type=ce_type, source=source, since=since, text=text)
    )
    for row in rows:
        typer.echo(json.dumps(row))


@dlq_app.command("show")
def dlq_show(record: Annotated[str, typer.Argument(help="The dead letter's id, e.g. 0:17")]) -> None:
    """Print one dead letter whole: headers, key, value, and what was done with it."""
    letters = _dead_letters(_settings())
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

    s = _settings()
    body = None
    if payload is not None:
        most = s.limits.intake_message_bytes
        if not payload.is_file() or payload.stat().st_size > most:
            typer.echo(f"leads: --payload must be a readable file of at most {most} bytes", err=True)
            raise typer.Exit(2)
        body = payload.read_bytes()
    letters = _dead_letters(s)
    producer = make_producer(s, client_id="leads-dlq-replay")
    try:
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
    letters = _dead_letters(_settings())
    done = _dlq_step(lambda: letters.discard(record, actor=by or _operator(), reason=reason))
    typer.echo(f"leads: discarded dead letter {done}")


@dlq_app.command("audit")
def dlq_audit(record: Annotated[str | None, typer.Option(help="Only this dead letter's actions")] = None) -> None:
    """Print the DLQ's own audit, one JSON line per action: record, action, actor, reason, at."""
    letters = _dead_letters(_settings())
    for action in letters.actions(record):
        typer.echo(json.dumps(action))


@schema_app.command("docs")
def schema_docs() -> None:
    """Print docs/events.md: topics, headers and every message type, from the models."""
    from domain.contract.documents import events_markdown

    sys.stdout.write(events_markdown(_settings().topic_prefix))


@schema_app.command("asyncapi")
def schema_asyncapi() -> None:
    """Print the AsyncAPI 3 document: every topic (events, intake, dead letters, notifications),
    the brokers of LEADS_KAFKA_BOOTSTRAP_SERVERS as servers, and the Kafka bindings."""
    from domain.contract.asyncapi import Deployment, asyncapi

    s = _settings()
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


register_model_commands(app, lambda: _open(_settings()))
