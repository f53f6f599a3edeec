"""``leads audit``: check that the event store is whole (the hash chain, ``domain.contract.chain``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import typer

from infra.errors import StartupError
from infra.runtime import Engine
from infra.settings import Mode, Settings

audit_app = typer.Typer(help="Check the event log's tamper evidence.", no_args_is_help=True)


def _shown(value: str) -> str:
    """An option's value as quoted back: a refused value may be of any length."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{_shown(value)} is not an ISO 8601 time, e.g. 2026-12-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{_shown(value)} has no time zone; add one, e.g. Z or +01:00")
    return moment


def _lead(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{_shown(value)} is not a lead id (a UUID)") from None


def _open() -> Engine:
    """The engine over the event store only (the log is all ``audit`` reads: no broker); bad
    configuration ends the command with one line, as every ``leads`` command does."""
    try:
        settings = Settings().model_copy(update={"mode": Mode.EMBEDDED})
        return Engine.open(settings)
    except StartupError as e:
        typer.echo(f"leads: {e}", err=True)
    except ValueError as e:
        typer.echo(f"leads: invalid settings: {e}".replace("\n", " "), err=True)
    raise typer.Exit(2)


@audit_app.command("verify")
def audit_verify(
    lead: Annotated[str | None, typer.Option(help="Check this lead only (its id)")] = None,
    since: Annotated[
        str | None, typer.Option(help="Check what was written at or after this time (ISO 8601 with zone)")
    ] = None,
) -> None:
    """Recompute each lead's hash chain from the stored events and name the first broken link of
    each (edited, deleted, reordered or inserted). Exit code 1 when any link is broken."""
    from infra.chain_verify import verify

    aggregate, moment = _lead(lead), _moment(since)
    engine = _open()
    try:
        chain = engine.service.chain
        if chain is None:
            raise RuntimeError("the engine was built without its event chain")
        report = verify(chain, aggregate=aggregate, since=moment)
    finally:
        engine.close()
    for b in report.breaks:
        typer.echo(f"BROKEN {b.aggregate_id} version {b.version}: {b.kind} ({b.detail})")
    scope = f"{report.events:,} events of {report.aggregates:,} aggregates in {report.seconds:.2f} s"
    if report.ok:
        typer.echo(f"leads: audit chain OK: {scope} ({report.rate:,.0f} events/s)")
        return
    typer.echo(f"leads: audit chain BROKEN in {len(report.breaks)} aggregate(s): {scope}", err=True)
    raise typer.Exit(1)
