"""Importing leads from files, against the real PostgreSQL: the dry run names every bad row and
field, the confirm does exactly what it showed, the same file imported again creates nothing,
and imported leads take the same path as every lead (duplicate claims, assignment)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from uuid import UUID

import pytest

from consumers.import_planner import ImportRequest
from domain.import_mapping import template_headers
from domain.import_plan import DuplicatePolicy
from infra.runtime import Engine
from tests.e2e.auth import ensure_user


def template_file(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=template_headers(), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def good_row(i: int) -> dict[str, str]:
    return {
        "Full name": f"Person {i}",
        "Email": f"person{i}@example.com",
        "Company": f"Company {i}",
        "Source": "web",
        "Priority": "High",
        "Country": "gb",
        "Tags": "imported; q3",
    }


def twenty_rows_three_bad() -> list[dict[str, str]]:
    rows = [good_row(i) for i in range(1, 21)]
    rows[4] = {**rows[4], "Email": "not-an-email"}  # line 6
    rows[9] = {**rows[9], "Full name": "", "Email": "nameless@example.com"}  # line 11
    rows[14] = {**rows[14], "Priority": "whenever"}  # line 16
    return rows


def dry_run(engine: Engine, path: Path, actor: str = "importer", **kw: object) -> UUID:
    request = ImportRequest(path=path, file_name=path.name, actor=actor, **kw)  # type: ignore[arg-type]
    return engine.imports.submit(request, wait=True)


def report(engine: Engine, job: UUID) -> list[dict[str, object]]:
    return engine.imports.report(job, after_line=0, limit=1000, outcome=None)


def test_the_dry_run_names_exactly_the_bad_rows_and_fields_confirm_creates_the_rest_and_a_rerun_creates_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_user(engine, "importer")
    rows = twenty_rows_three_bad()
    job = dry_run(engine, template_file(tmp_path / "leads.csv", rows))
    status = engine.imports.status(job)
    assert status["state"] == "planned", status
    assert status["counts"] == {"create": 17, "rejected": 3}
    rejected = [(r["line"], r["field"]) for r in report(engine, job) if r["outcome"] == "rejected"]
    assert rejected == [(6, "email"), (11, "contact_name"), (16, "priority")]

    result = engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)
    done = engine.imports.status(job)
    assert done["state"] == "finished", result
    assert done["results"] == {"created": 17, "rejected": 3}
    assert engine.service.import_batch(job).finished == {"created": 17, "rejected": 3}

    again = dry_run(engine, template_file(tmp_path / "again.csv", rows))
    assert engine.imports.status(again)["counts"] == {"imported_before": 17, "rejected": 3}
    engine.imports.confirm(again, actor="importer", check=lambda *_: None, wait=True)
    assert engine.imports.status(again)["results"] == {"imported_before": 17, "rejected": 3}


def test_imported_leads_take_the_capture_path_and_their_history_names_the_import(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_user(engine, "rita")
    job = dry_run(engine, template_file(tmp_path / "one.csv", [good_row(1)]), actor="rita")
    engine.imports.confirm(job, actor="rita", check=lambda *_: None, wait=True)
    (row,) = report(engine, job)
    lead = engine.service.get_lead(UUID(row["result"]["lead_id"]))  # type: ignore[index]
    assert lead.owner == "rita", "a rep's import is routed like a rep's capture: the creator owns it"
    assert lead.details.source == "website" and lead.details.priority == "high"
    assert lead.details.address is not None and lead.details.address.country == "GB"
    assert lead.details.tags == ("imported", "q3")
    captured = engine.service.history(lead.id)[0]
    assert captured.meta.channel == "import" and captured.meta.correlation_id == f"import:{job}"
    assert captured.meta.command_id is not None and "/2" in captured.meta.command_id


def test_a_cp1252_file_with_semicolons_imports_accented_names_correctly(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    names = ["Zoë Müller", "François Lefèvre", "Øyvind Åsen", "José Núñez"]
    rows = [{**good_row(i), "Full name": n} for i, n in enumerate(names)]
    path = template_file(tmp_path / "excel.csv", rows, encoding="cp1252", delimiter=";")
    job = dry_run(engine, path)
    status = engine.imports.status(job)
    assert (status["encoding"], status["delimiter"]) == ("cp1252", ";"), status
    engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)
    ids = [UUID(r["result"]["lead_id"]) for r in report(engine, job)]  # type: ignore[index]
    assert [engine.service.get_lead(i).details.contact_name for i in ids] == names


def test_a_duplicate_is_skipped_updated_or_merged_as_the_import_chooses(engine: Engine, tmp_path: Path) -> None:
    ensure_user(engine, "importer")
    first = dry_run(engine, template_file(tmp_path / "a.csv", [good_row(1)]))
    engine.imports.confirm(first, actor="importer", check=lambda *_: None, wait=True)
    (created,) = report(engine, first)
    lead_id = UUID(created["result"]["lead_id"])  # type: ignore[index]
    changed = [{**good_row(1), "Job title": "CTO"}]

    skip = dry_run(engine, template_file(tmp_path / "b.csv", changed))
    (row,) = report(engine, skip)
    assert (row["outcome"], row["action"]) == ("duplicate", "skip")
    assert row["candidates"][0]["lead_id"] == str(lead_id)  # type: ignore[index]

    update = dry_run(engine, template_file(tmp_path / "c.csv", changed), policy=DuplicatePolicy.UPDATE)
    (row,) = report(engine, update)
    assert (row["action"], row["changes"]) == ("update", {"job_title": "CTO"})
    engine.imports.confirm(update, actor="importer", check=lambda *_: None, wait=True)
    assert engine.service.get_lead(lead_id).details.job_title == "CTO"

    merge_row = [{**good_row(1), "Full name": "Person One", "Phone": "+44 20 7946 0958"}]
    merge = dry_run(engine, template_file(tmp_path / "d.csv", merge_row), policy=DuplicatePolicy.MERGE)
    engine.imports.confirm(merge, actor="importer", check=lambda *_: None, wait=True)
    (row,) = report(engine, merge)
    assert row["result"]["result"] == "merged", row  # type: ignore[index]
    master = engine.service.get_lead(lead_id)
    assert master.details.phone == "+442079460958", "the master takes the fields it lacked"


def test_a_row_repeating_an_earlier_rows_email_or_phone_names_that_line(engine: Engine, tmp_path: Path) -> None:
    rows = [good_row(i) for i in range(1, 5)]
    rows[1] = {**rows[1], "Phone": "+44 20 7946 0958"}  # line 3
    rows[2] = {**rows[2], "Email": "PERSON1@example.com"}  # line 4: line 2's email
    rows[3] = {**rows[3], "Phone": "+442079460958"}  # line 5: line 3's phone
    job = dry_run(engine, template_file(tmp_path / "a.csv", rows))
    assert [(r["line"], r["outcome"], r.get("reason")) for r in report(engine, job)] == [
        (2, "created", None),
        (3, "created", None),
        (4, "duplicate", "same email or phone as line 2 of this file; skipped"),
        (5, "duplicate", "same email or phone as line 3 of this file; skipped"),
    ]


def test_ragged_rows_bad_quoting_and_undecodable_bytes_reject_their_row_and_the_import_goes_on(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_user(engine, "importer")
    lines = [
        b"Full name,Email",
        "Zoë One,zoe@example.com".encode(),
        b'Bad Quote,"bq@example.com"x',
        b"Too,many@example.com,cells",
        b"Bytes \xff here,bytes@example.com",
        "Ben Tẇo,ben@example.com".encode(),
    ]
    path = tmp_path / "messy.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    job = dry_run(engine, path)
    rows = report(engine, job)
    assert [(r["line"], r["outcome"]) for r in rows] == [
        (2, "created"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "created"),
    ]
    reasons = {r["line"]: r["reason"] for r in rows if r["outcome"] == "rejected"}
    assert "not valid CSV" in reasons[3] and "3 cells" in reasons[4] and "not utf-8" in reasons[5], reasons
    fix_me = "".join(engine.imports.rejected_csv(job)).splitlines()
    assert fix_me[0] == "Full name,Email,line,reason" and fix_me[2].startswith("Too,many@example.com,cells,4,")


def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_the_reason(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    job = dry_run(engine, path)
    status = engine.imports.status(job)
    assert status["state"] == "refused" and "PDF" in status["error"]


def test_an_xlsx_workbook_imports_like_a_csv(engine: Engine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    ensure_user(engine, "importer")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(template_headers())
    sheet.append([good_row(1).get(h, None) for h in template_headers()])
    sheet.append(["Emoji 😀 Person", None, None, "emoji@example.com", None, None, None, None, None, None, 250.0])
    sheet.append(["Only, Cells", None, None, "not-an-email"])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    job = dry_run(engine, path)
    assert engine.imports.status(job)["format"] == "xlsx"
    rows = report(engine, job)
    assert [(r["line"], r["outcome"], r["field"]) for r in rows] == [
        (2, "created", None),
        (3, "created", None),
        (4, "rejected", "email"),
    ]
    assert rows[1]["details"]["company_size"] == 250  # type: ignore[index]
    assert rows[1]["details"]["contact_name"] == "Emoji 😀 Person"  # type: ignore[index]


def test_the_row_and_size_limits_are_settings_and_a_file_over_them_is_refused_whole(
    engine: Engine, tmp_path: Path
) -> None:
    from domain import limits

    limits.configure(limits.Limits(import_rows=5, import_bytes=2048))
    job = dry_run(engine, template_file(tmp_path / "many.csv", [good_row(i) for i in range(6)]))
    status = engine.imports.status(job)
    assert status["state"] == "refused" and "import_rows" in status["error"]
    big = tmp_path / "big.csv"
    big.write_bytes(b"Name,Email\n" + b"x,y@example.com\n" * 200)
    status = engine.imports.status(dry_run(engine, big))
    assert status["state"] == "refused" and "import_bytes" in status["error"]
    with pytest.raises(Exception, match="import"):
        engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)


def test_an_import_whose_process_stopped_mid_confirm_is_resumed_by_confirming_again(
    engine: Engine, tmp_path: Path
) -> None:
    ensure_user(engine, "importer")
    job = dry_run(engine, template_file(tmp_path / "resume.csv", [good_row(i) for i in range(5)]))
    engine.imports.store.update_job(job, {"state": "running"})
    with pytest.raises(Exception, match="running"):
        engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)
    with engine.db.cursor() as cur:
        cur.execute(
            f"UPDATE {engine.settings.event_schema}.import_jobs SET updated_at = now() - interval '1 hour' "
            "WHERE id = %s",
            (str(job),),
        )
    engine.imports.confirm(job, actor="importer", check=lambda *_: None, wait=True)
    assert engine.imports.status(job)["results"] == {"created": 5}
