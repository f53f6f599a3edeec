"""Settings come from the environment or from a ``.env`` file in the working directory, as
operators of twelve-factor services expect; the environment wins over the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.settings import Mode, Settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEADS_MODE", "LEADS_API_PORT", "LEADS_RATE_LIMITS__FORM_PER_CLIENT", "LEADS_DEFAULT_PHONE_REGION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_dotenv_file_in_the_working_directory_is_read(workdir: Path) -> None:
    (workdir / ".env").write_text(
        "# the engine's settings\nLEADS_MODE=kafka\nLEADS_API_PORT=9001\n"
        "LEADS_RATE_LIMITS__FORM_PER_CLIENT=7/minute\nOTHER_SERVICE_SETTING=ignored\n"
    )
    settings = Settings()
    assert settings.mode is Mode.KAFKA and settings.api_port == 9001
    assert settings.rate_limits.form_per_client == "7/minute"


def test_the_environment_wins_over_the_dotenv_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / ".env").write_text("LEADS_API_PORT=9001\nLEADS_DEFAULT_PHONE_REGION=GB\n")
    monkeypatch.setenv("LEADS_API_PORT", "9002")
    settings = Settings()
    assert (settings.api_port, settings.default_phone_region) == (9002, "GB")


def test_without_a_dotenv_file_the_defaults_hold(workdir: Path) -> None:
    assert Settings().api_port == 8000


def test_a_bad_value_in_the_dotenv_file_is_refused_naming_it(workdir: Path) -> None:
    (workdir / ".env").write_text("LEADS_API_PORT=99999\n")
    with pytest.raises(ValidationError, match="api_port"):
        Settings()
