"""`leads import FILE` as an operator runs it: a dry run that changes nothing and reports the
bad rows, then the import with a progress bar; the same file again imports nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.e2e.test_cli import LEADS
from tests.integration.test_import import template_file, twenty_rows_three_bad


def leads(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEADS, *args], env=os.environ | env, capture_output=True, text=True, timeout=300)


def test_leads_import_dry_runs_imports_and_reimports_nothing(database_dsn: str, tmp_path: Path) -> None:
    env = {"LEADS_POSTGRES_DSN": database_dsn, "LEADS_HOME": str(tmp_path)}
    path = template_file(tmp_path / "leads.csv", twenty_rows_three_bad())
    dry = leads(env, "import", str(path), "--dry-run", "--save-mapping", "template")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["counts"] == {"create": 17, "rejected": 3}
    assert "email" in dry.stderr and "priority" in dry.stderr, "the bad rows are shown with their fields"

    done = leads(env, "import", str(path), "--mapping", "template", "--as", "ops")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == {"created": 17, "rejected": 3}

    again = leads(env, "import", str(path))
    assert json.loads(again.stdout)["results"] == {"imported_before": 17, "rejected": 3}

    refused = leads(env, "import", str(tmp_path / "leads.csv"), "--map", "Email=shoe_size")
    assert refused.returncode == 1 and "unknown field" in refused.stderr
