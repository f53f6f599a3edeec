"""`leads model train|activate|list`: the learned likelihood to convert, operated from the shell.

Training reads this engine's own history (leads that ended converted against those
disqualified) or a CSV of historical leads from another system, prints the held-out figures,
stores the artifact (addressed by its SHA-256) and records the training as an event with its
training set's description. Activating fetches the artifact again and checks its checksum.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from domain.errors import DomainError
from domain.likelihood import LIKELIHOOD_ID, TrainedModel
from domain.picklists import Channel
from domain.values import EventMeta
from infra.blobs import BlobStore
from infra.likelihood_runtime import lead_features
from infra.runtime import Engine

if TYPE_CHECKING:  # scikit-learn and pandas load only when a model command runs
    import pandas as pd

    from infra.likelihood import Trained

model_app = typer.Typer(help="Train, list and activate likelihood-to-convert models.", no_args_is_help=True)
META = EventMeta(actor="system:model-cli", channel=Channel.SYSTEM)
MEDIA_TYPE = "application/x-python-pickle"
OUTCOMES = {"converted": 1, "disqualified": 0}


def history_frame(engine: Engine) -> pd.DataFrame:
    """One row per lead that ended converted or disqualified: what was known of it (fields and
    signal counts), when it was captured, and how it ended."""
    import pandas as pd

    ended: dict[Any, str] = {}
    start: int | None = 1
    while start is not None:
        envelopes, last = engine.event_log.read(start=start, limit=5_000, sealed=True)
        for e in envelopes:
            if e.name in OUTCOMES:
                ended[e.lead_id] = e.name
            elif e.name == "reopened":
                ended.pop(e.lead_id, None)
        start = None if last is None else last + 1
    rows = []
    for lead_id, outcome in ended.items():
        lead = engine.service.get_lead(lead_id)
        rows.append({"created_at": lead.created_on, **lead_features(lead), "outcome": OUTCOMES[outcome]})
    return pd.DataFrame(rows)


def store(engine: Engine, trained: Trained) -> int:
    """Store the artifact, then record the training; the version it got."""
    blobs = BlobStore(engine.db, schema=engine.settings.event_schema)
    blobs.put(trained.artifact, media_type=MEDIA_TYPE, lead_id=LIKELIHOOD_ID)
    version = engine.service.likelihood_models().next_version
    model = TrainedModel(
        version=version, checksum=trained.checksum, training_set=trained.training_set, evaluation=trained.evaluation
    )
    engine.service.record_likelihood_training(model=model, meta=META)
    return version


def activate(engine: Engine, version: int) -> None:
    models = engine.service.likelihood_models()
    trained = models.trained.get(version)
    found = None
    if trained is not None:
        stored = BlobStore(engine.db, schema=engine.settings.event_schema).get(trained.checksum)
        found = hashlib.sha256(stored[1]).hexdigest() if stored else None
    engine.service.activate_likelihood(version=version, found_checksum=found, meta=META)


def train_command(
    engine: Engine, csv: Path | None, outcome: str | None, time_column: str | None
) -> tuple[int, Trained]:
    from infra.likelihood import BadTrainingData, read_csv, train

    if csv is not None:
        if not outcome:
            raise BadTrainingData("--csv needs --outcome COLUMN: the column saying whether each lead converted")
        trained = train(read_csv(csv), outcome=outcome, source="csv", file=csv.name, time_column=time_column)
    else:
        trained = train(history_frame(engine), outcome="outcome", source="history", time_column="created_at")
    return store(engine, trained), trained


def register(app: typer.Typer, open_engine: Any) -> None:
    """Add ``leads model`` to the CLI (``open_engine``: the CLI's own way of opening one)."""

    @model_app.command("train")
    def train_cli(
        csv: Annotated[Path | None, typer.Option("--csv", help="Historical leads from another system")] = None,
        outcome: Annotated[str | None, typer.Option("--outcome", help="The CSV column saying converted or not")] = None,
        time_column: Annotated[
            str | None, typer.Option("--time-column", help="Hold out the latest quarter by this column")
        ] = None,
    ) -> None:
        """Train on this engine's history (converted vs disqualified), or on --csv FILE --outcome COLUMN."""
        from infra.likelihood import BadTrainingData, describe

        engine = open_engine()
        try:
            version, trained = train_command(engine, csv, outcome, time_column)
        except BadTrainingData as e:
            typer.echo(f"leads: {e}", err=True)
            raise typer.Exit(2) from None
        finally:
            engine.close()
        t = trained.training_set
        typer.echo(f"model {version}: {t.rows} leads ({t.positives} converted), held out {t.held_out} by {t.split}")
        typer.echo(describe(trained.evaluation), nl=False)
        typer.echo(f"checksum {trained.checksum}; activate with: leads model activate {version}")

    @model_app.command("activate")
    def activate_cli(version: Annotated[int, typer.Argument(help="The model version to use")]) -> None:
        """Make a trained model the one in use; refused if its artifact is missing or corrupted."""
        engine = open_engine()
        try:
            activate(engine, version)
        except DomainError as e:
            typer.echo(f"leads: {e}", err=True)
            raise typer.Exit(1) from None
        finally:
            engine.close()
        typer.echo(f"model {version} is active")

    @model_app.command("list")
    def list_cli() -> None:
        """Every trained model: its figures, training set, and which is active."""
        engine = open_engine()
        try:
            models = engine.service.likelihood_models()
        finally:
            engine.close()
        for version, m in sorted(models.trained.items()):
            active = " (active)" if version == models.active else ""
            e, t = m.evaluation, m.training_set
            typer.echo(
                f"{version}{active}: AUC {e.roc_auc:.3f} Brier {e.brier:.4f} ECE {e.ece:.4f}; {t.source} {t.rows} rows"
            )

    app.add_typer(model_app, name="model")
