"""What every ``leads`` command shares: its settings, and one line instead of a traceback when
the configuration is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from infra.errors import StartupError
from infra.settings import Settings

T = TypeVar("T")


def or_exit(step: Callable[[], T]) -> T:
    """Bad configuration ends the command with one line saying what and where, not a traceback."""
    try:
        return step()
    except StartupError as e:
        typer.echo(f"leads: {e}", err=True)
        raise typer.Exit(2) from None


def read_settings() -> Settings:
    try:
        return Settings()
    except Exception as e:
        typer.echo(f"leads: invalid settings: {e}".replace("\n", " "), err=True)
        raise typer.Exit(2) from None
