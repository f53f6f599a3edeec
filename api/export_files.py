"""Lead lists as files: CSV or XLSX, streamed, with the columns chosen. Headers are the import
template's where a column is one of its fields, so an exported file imports back as it is.

Cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return: CSV injection, OWASP) are written with a leading ``'``, which spreadsheets show
as text; the importer reads such a cell back without it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

COLUMNS: dict[str, str] = {
    "lead_id": "Lead id",
    "contact_name": "Full name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "industry": "Industry",
    "source": "Source",
    "priority": "Priority",
    "region": "Region",
    "country": "Country",
    "status": "Status",
    "owner": "Owner",
    "score": "Score",
    "temperature": "Temperature",
    "first_contacted_at": "First contacted at",
    "last_activity_at": "Last activity at",
    "created_at": "Created at",
    "updated_at": "Updated at",
}
"""Every column an export offers (a lead list's fields), with its header."""
DEFAULT_COLUMNS = tuple(COLUMNS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A value as a cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cells(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    return [neutralised(row.get(c)) for c in columns]


def csv_stream(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([COLUMNS[c] for c in columns])
    for i, row in enumerate(rows, start=1):
        writer.writerow(cells(row, columns))
        if i % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def xlsx_stream(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[bytes]:
    """openpyxl's write-only workbook keeps rows on disk, not in memory; the finished file is
    then streamed out and deleted."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    sheet.append([COLUMNS[c] for c in columns])
    for row in rows:
        sheet.append(cells(row, columns))
    handle, name = tempfile.mkstemp(prefix="leads-export-", suffix=".xlsx")
    os.close(handle)
    try:
        book.save(name)
        with open(name, "rb") as f:
            while chunk := f.read(1024 * 1024):
                yield chunk
    finally:
        os.unlink(name)
