"""Reading an imported file as a stream of rows, whatever Excel or another tool made of it.

CSV: the encoding is detected (UTF-8 with or without a BOM; otherwise charset-normalizer's
verdict on the first 64 KiB, cp1252 or latin-1 for what spreadsheets on Windows write) and the
delimiter sniffed (``,``, ``;``, tab or ``|``). XLSX: the first sheet, read with openpyxl in
read-only mode. Either way the file streams: memory does not grow with its size.

A row that cannot be read (a cell with bytes the encoding cannot decode, bad quoting, more or
fewer cells than the header) becomes a :class:`~domain.import_rows.Rejection` with its line
number, and the next row is read; a file that is neither CSV nor XLSX is refused whole, saying
what it looks like instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from domain import limits
from domain.errors import InvalidCommand
from domain.import_rows import Rejection

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "a legacy Excel (.xls) or Office file; save it as XLSX or CSV",
    b"\x1f\x8b": "a gzip archive",
}


class UnreadableFile(InvalidCommand):
    """The file is not one an import reads (CSV or XLSX), or is over the import's limits."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, field="file")


@dataclass(frozen=True)
class FileRow:
    line: int
    cells: list[str]


@dataclass
class Table:
    """An opened file: its format, how it was read, its header and its rows (read lazily, once)."""

    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    rows: Iterator[FileRow | Rejection]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_table(path: Path, *, name: str) -> Table:
    """Open ``path`` (uploaded as ``name``) for reading, or refuse it with the reason."""
    size = path.stat().st_size
    most = limits.current().import_bytes
    if size > most:
        raise UnreadableFile(f"the file has {size} bytes; an import takes at most {most} (import_bytes)")
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head.strip():
        raise UnreadableFile("the file is empty")
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise UnreadableFile(f"the file is {what}, not CSV or XLSX")
    if head.startswith(b"PK\x03\x04"):
        return _xlsx(path)
    return _csv(path, head)


def _xlsx(path: Path) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise UnreadableFile("the file is a ZIP archive but not an XLSX workbook")
    except zipfile.BadZipFile:
        raise UnreadableFile("the file looks like XLSX but its archive is damaged") from None
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise UnreadableFile(f"the XLSX workbook cannot be read: {e}") from None
    sheet = book.worksheets[0]
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    for _, values in rows:
        header = [_cell(v) for v in values]
        if any(h.strip() for h in header):
            while header and not header[-1].strip():
                header.pop()
            return Table("xlsx", None, None, header, _xlsx_rows(book, rows, len(header)))
    book.close()
    raise UnreadableFile("the workbook's first sheet is empty")


def _xlsx_rows(book: Any, rows: Iterator[tuple[int, tuple[Any, ...]]], width: int) -> Iterator[FileRow | Rejection]:
    try:
        for line, values in rows:
            cells = [_cell(v) for v in values]
            while len(cells) > width and not cells[-1].strip():
                cells.pop()
            if len(cells) > width:
                yield Rejection(line, "row", f"the row has {len(cells)} cells; the header has {width}", tuple(cells))
                continue
            yield FileRow(line, cells + [""] * (width - len(cells)))
    finally:
        book.close()


def _cell(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0``, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def detect_encoding(head: bytes) -> str:
    """UTF-8 (a BOM says so, or the sample decodes as UTF-8), else cp1252 (what Excel on
    Windows writes) or latin-1, as charset-normalizer judges the sample."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    text = head.decode("utf-8", errors="surrogateescape")
    invalid = len(re.findall("[\udc80-\udcff]", text[:-3]))
    valid = sum(1 for ch in text if ch >= "\x80" and not "\udc80" <= ch <= "\udcff")
    if invalid == 0 or valid > invalid:
        # UTF-8 with a stray bad byte is still UTF-8: that row is refused, the others read right.
        return "utf-8"
    best = from_bytes(head, cp_isolation=["cp1252", "latin_1"]).best()
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    # What cp1252 decodes, latin-1 reads the same but for 0x80-0x9F, which Windows files mean
    # as cp1252 (curly quotes, the euro sign); anything else charset-normalizer finds wins.
    if best is None or best.encoding in ("ascii", "utf_8", "latin_1", "cp1252"):
        return "cp1252"
    return str(best.encoding)


def _csv(path: Path, head: bytes) -> Table:
    if b"\x00" in head:
        raise UnreadableFile("the file is binary (it holds NUL bytes), not CSV or XLSX")
    encoding = detect_encoding(head)
    sample = head.decode(encoding, errors="replace")
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 20)[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    text = io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        text.close()
        raise UnreadableFile(f"the file's first line is not a CSV header: {e}") from None
    if _undecodable(header):
        text.close()
        raise UnreadableFile(f"the header holds bytes that are not {encoding}")
    return Table("csv", encoding, delimiter, header, _csv_rows(text, reader, len(header), encoding))


def _undecodable(cells: list[str]) -> bool:
    return any(re.search("[\udc80-\udcff]", c) for c in cells)


def _csv_rows(text: io.TextIOWrapper, reader: Any, width: int, encoding: str) -> Iterator[FileRow | Rejection]:
    csv.field_size_limit(max(limits.current().long_text, limits.current().custom_field_value) * 4)
    try:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield Rejection(line, "row", f"the row is not valid CSV: {e}")
                continue
            if not cells:
                continue
            if _undecodable(cells):
                column = next(i for i, c in enumerate(cells) if _undecodable([c]))
                readable = tuple(c.encode("utf-8", "surrogateescape").decode(encoding, "replace") for c in cells)
                yield Rejection(line, "row", f"column {column + 1} holds bytes that are not {encoding}", readable)
            elif len(cells) != width:
                yield Rejection(line, "row", f"the row has {len(cells)} cells; the header has {width}", tuple(cells))
            else:
                yield FileRow(line, cells)
    finally:
        text.close()
