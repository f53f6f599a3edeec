"""The ``leads`` command: run the engine whole or in parts, and export the event contract."""

from __future__ import annotations

import signal
from collections.abc import Callable
from functools import partial
from typing import Annotated

import typer

from consumers.ports import Worker
from infra import cli_import, logs
from infra.cli_audit import audit_app
from infra.cli_dlq import dlq_app
from infra.cli_schema import schema_app
from infra.cli_support import or_exit, read_settings
from infra.model_cli import register as register_model_commands
from infra.runtime import Engine
from infra.settings import Mode, Settings

app = typer.Typer(help="Event-sourced lead lifecycle engine.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
projections_app = typer.Typer(help="Operate read models.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")
duplicates_app = typer.Typer(help="Find duplicates among the leads already stored.", no_args_is_help=True)
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(dlq_app, name="dlq")


def _open(settings: Settings) -> Engine:
    return or_exit(lambda: Engine.open(settings))


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
    settings = read_settings()
    engine = _open(settings)
    app = serving.build_app(engine)
    supervisor = or_exit(lambda: serving.start_workers(engine))
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
    from domain.picklists import Channel
    from domain.values import EventMeta

    try:
        parsed = Role(role)
    except ValueError:
        typer.echo(f"leads: unknown role {role!r}; one of: {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    settings = read_settings()
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
    return _open(read_settings())


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
    settings = read_settings()
    if settings.mode is not Mode.KAFKA:
        typer.echo("leads: the relay needs LEADS_MODE=kafka", err=True)
        raise typer.Exit(2)
    engine = _open(settings)
    _stop_on_signals(engine)
    _watch_supervisor(engine, supervisor_pid)
    try:
        or_exit(engine.relay).run()
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
    settings = read_settings()
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
        workers = [or_exit(make) for make in makers]
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
    engine = _open(read_settings())
    try:
        with Progress() as bar:
            task = bar.add_task(f"rebuilding {name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = or_exit(
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

    engine = _open(read_settings())
    try:
        engine.prepare_read_store()
        with Progress() as bar:
            task = bar.add_task("comparing", total=None)
            report = or_exit(
                lambda: engine.duplicate_scan().run(lambda done, total: bar.update(task, completed=done, total=total))
            )
    finally:
        engine.close()
    typer.echo(
        f"leads: scanned {report.scanned} leads in {report.seconds:.1f} s ({report.rate:.0f} leads/s): "
        f"{report.compared} pairs compared, {len(report.pairs)} duplicate pairs in {len(report.sets)} sets"
    )


register_model_commands(app, lambda: _open(read_settings()))
