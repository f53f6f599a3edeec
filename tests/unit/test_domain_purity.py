"""The domain imports no infrastructure: no other layer of ours, no driver, no web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import domain

FORBIDDEN = {
    "infra",
    "api",
    "consumers",
    "projections",
    "psycopg",
    "kafka",
    "fastapi",
    "uvicorn",
    "eventsourcing.postgres",
    "sqlite3",
    "requests",
    "httpx",
    "socket",
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_modules_import_no_infrastructure() -> None:
    offences = []
    for path in sorted(Path(domain.__file__).parent.rglob("*.py")):
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offences.append(f"{path.name} imports {name}")
    assert offences == []


def test_the_import_check_catches_an_offence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import psycopg.sql\nfrom kafka import KafkaProducer\nfrom infra.settings import Settings\n")
    assert {"psycopg.sql", "kafka", "infra.settings"} <= imported_modules(bad)
