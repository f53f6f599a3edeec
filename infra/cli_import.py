"""``leads import FILE``: the dry run with a progress bar, its report (counts and every row not
created as is), then, unless ``--dry-run``, the confirm with a progress bar and what it did."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from consumers.import_planner import ImportRequest
from domain.errors import DomainError
from domain.import_plan import DuplicatePolicy
from infra.runtime import Engine


def read_mapping(engine: Engine, mapping: str | None, pairs: list[str]) -> dict[str, str]:
    """A saved mapping's name, or a JSON file of ``{header: field}``; ``--map Header=field`` on top."""
    found: dict[str, str] = {}
    if mapping:
        path = Path(mapping)
        found = json.loads(path.read_text()) if path.is_file() else engine.imports.mapping(mapping)
    for pair in pairs:
        header, sep, field = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--map takes Header=field, not {pair!r}")
        found[header] = field
    return found


def run_import(
    engine: Engine,
    file: Path,
    *,
    dry_run: bool,
    policy: DuplicatePolicy,
    mapping: str | None,
    pairs: list[str],
    save_mapping: str | None,
    actor: str,
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    console = Console(stderr=True)
    imports = engine.imports
    overrides = read_mapping(engine, mapping, pairs)
    spool = Path(tempfile.mkdtemp(prefix="leads-import-")) / file.name
    shutil.copyfile(file, spool)
    request = ImportRequest(path=spool, file_name=file.name, actor=actor, policy=policy, overrides=overrides)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("dry run", total=None)
        job_id = imports.store_job(request)
        try:
            imports.planner.plan(job_id, request, progress=lambda n: bar.update(task, completed=n))
        except DomainError as e:
            typer.echo(f"leads: {file.name} refused: {e}", err=True)
            raise typer.Exit(1) from None
        finally:
            spool.unlink(missing_ok=True)
    job = imports.status(job_id)
    if save_mapping:
        imports.save_mapping(save_mapping, job["mapping"], by=actor)
    console.print(
        f"import {job_id}: {file.name} ({job['format']}, {job.get('encoding') or ''}) sha256 {job['file_hash']}"
    )
    if job.get("unmapped"):
        console.print(f"columns ignored: {', '.join(job['unmapped'])}")
    table = Table("line", "outcome", "action", "field", "reason")
    shown = 0
    for row in imports.report(job_id, after_line=0, limit=50, outcome=None, exclude="created"):
        table.add_row(str(row["line"]), row["outcome"], row["action"], row.get("field") or "", row.get("reason") or "")
        shown += 1
    if shown:
        console.print(table)
    console.print("dry run: " + ", ".join(f"{k} {v}" for k, v in sorted(job["counts"].items())))
    if dry_run:
        typer.echo(json.dumps({"import_id": str(job_id), "counts": job["counts"]}))
        return
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("importing", total=job.get("total") or 0)
        imports.runner.run(job_id, actor=actor, progress=lambda n: bar.update(task, completed=n))
    done = imports.status(job_id)
    typer.echo(json.dumps({"import_id": str(job_id), "counts": job["counts"], "results": done["results"]}))
    if done["results"].get("failed"):
        raise typer.Exit(1)


def register(app: typer.Typer, open_engine: object) -> None:
    @app.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A CSV or XLSX file")],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would happen; change nothing")] = False,
        policy: Annotated[
            DuplicatePolicy, typer.Option(help="What to do with a row that looks like an existing lead")
        ] = DuplicatePolicy.SKIP,
        mapping: Annotated[
            str | None, typer.Option(help="A saved mapping's name, or a JSON file {header: field}")
        ] = None,
        map_: Annotated[
            list[str] | None, typer.Option("--map", help="Header=field (repeatable; field '' ignores)")
        ] = None,
        save_mapping: Annotated[str | None, typer.Option(help="Save the mapping used under this name")] = None,
        as_user: Annotated[str, typer.Option("--as", help="Who the import is recorded as")] = "cli:leads-import",
    ) -> None:
        """Import leads from a CSV or XLSX file: a dry run first, then (unless --dry-run) the import."""
        engine: Engine = open_engine()  # type: ignore[operator]
        try:
            run_import(
                engine,
                file,
                dry_run=dry_run,
                policy=policy,
                mapping=mapping,
                pairs=map_ or [],
                save_mapping=save_mapping,
                actor=as_user,
            )
        finally:
            engine.close()
