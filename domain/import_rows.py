"""One imported row turned into lead details, or refused naming the field and the reason.

The transforms are what spreadsheets need: text trimmed and its inner whitespace collapsed; a
contact name from First and Last name, or from ``Last, First``; picklist values as people write
them (``web`` is Website, ``urgent`` is Critical) on top of the spellings every entrance reads
(:class:`~domain.picklists.Picklist`); numbers with thousands separators and currency signs; tags
separated by ``;``, ``,`` or ``|``; a country as a code or an English name (``Germany``: ``DE``);
several address parts in one column split as its mapping declares (``CompoundAddress``).
Then the row is validated by the same :class:`~domain.values.LeadDetails` every other entrance
uses, with the same limits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry
from pydantic import ValidationError

from domain.import_mapping import ADDRESS, Mapping
from domain.picklists import LeadSource, picklist_key
from domain.values import LeadDetails

IMPORT_SPELLINGS: dict[str, dict[str, str]] = {
    "source": {
        "web": "website",
        "site": "website",
        "internet": "website",
        "online": "website",
        "email": "email_campaign",
        "e_mail": "email_campaign",
        "newsletter": "email_campaign",
        "campaign": "email_campaign",
        "social": "social_media",
        "linkedin": "social_media",
        "twitter": "social_media",
        "facebook": "social_media",
        "tradeshow": "trade_show",
        "trade_fair": "trade_show",
        "event": "trade_show",
        "conference": "trade_show",
        "cold_calling": "cold_call",
        "call": "cold_call",
        "ad": "advertisement",
        "ads": "advertisement",
        "advert": "advertisement",
        "ppc": "advertisement",
        "mail": "direct_mail",
        "mailing": "direct_mail",
        "form": "web_form",
        "webform": "web_form",
        "partners": "partner",
        "reseller": "partner",
        "referred": "referral",
    },
    "priority": {"urgent": "critical", "normal": "medium", "med": "medium", "hi": "high", "lo": "low"},
}
"""Picklist values people put in spreadsheets, beyond case and separators, read as the
canonical value. Anything else goes through the picklist unchanged and is refused there,
listing the accepted values."""


@dataclass(frozen=True)
class Parsed:
    """A row read as lead details; ``given`` names the fields the row itself filled (an update
    changes only those; defaults such as the source ``import`` are for new leads)."""

    line: int
    details: LeadDetails
    given: frozenset[str]


@dataclass(frozen=True)
class Rejection:
    """Why a row cannot be imported: its line in the file, the field (a lead field such as
    ``email`` or ``address.country``; ``row`` for the row as a whole) and the reason."""

    line: int
    field: str
    reason: str
    cells: tuple[str, ...] = ()
    """The row as read, when it could be split into cells (for the rejected-rows download)."""


def clean(value: Any) -> str:
    """Trimmed, inner whitespace (tabs, non-breaking spaces, line breaks) collapsed to one space;
    a cell an export protected from running as a formula (``'+44 20...``) is read as written."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in "=+-@" else text


def contact_name(full: str | None, first: str | None, last: str | None) -> str | None:
    """``Last, First`` is turned round; First and Last name are joined when no full name is given."""
    if full:
        parts = [p.strip() for p in full.split(",")]
        if len(parts) == 2 and all(parts):
            return f"{parts[1]} {parts[0]}"
        return full
    joined = " ".join(p for p in (first, last) if p)
    return joined or None


def picklist(field: str, value: str) -> str:
    key = picklist_key(value)
    return IMPORT_SPELLINGS.get(field, {}).get(key, value)


def whole_number(value: str) -> int | str:
    """``1,200``, ``1 200`` and ``1200.0`` (how spreadsheets write whole numbers) read 1200."""
    plain = re.sub(r"[\s,']", "", value)
    if re.fullmatch(r"[0-9]+(\.0+)?", plain):
        return int(plain.split(".")[0])
    return value


def amount(value: str) -> str:
    """A sum of money as written: currency signs or codes and thousands separators dropped; of
    ``,`` and ``.``, the one written last separates the decimals (``1.500.000,50`` is
    1500000.50). Anything else (``1e30``, ``lots``) is left for validation to refuse."""
    plain = "".join(c for c in value if not c.isspace() and c != "'" and unicodedata.category(c) != "Sc")
    plain = re.sub(r"^(?:[A-Z]{3})|(?:[A-Z]{3})$", "", plain)
    if not re.fullmatch(r"-?[\d.,]+", plain):
        return value
    if "," in plain and "." in plain:
        decimal = "," if plain.rfind(",") > plain.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        plain = plain.replace(thousands, "").replace(decimal, ".")
    elif "," in plain:
        head, _, tail = plain.rpartition(",")
        plain = plain.replace(",", "") if len(tail) == 3 else f"{head.replace(',', '')}.{tail}"
    return plain or value


def tags(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for tag in re.split(r"[;,|]", value):
        if tag.strip():
            seen.setdefault(tag.strip(), None)
    return list(seen)


def row_values(mapping: Mapping, cells: Sequence[Any]) -> dict[str, str]:
    """The non-empty cleaned cells of a row by the field their column fills."""
    values = {}
    for field, cell in zip(mapping.fields, cells, strict=False):
        if field is None or cell is None:
            continue
        text = clean(cell)
        if text:
            values[field] = text
    return values


def lead_input(values: dict[str, str]) -> dict[str, Any]:
    """The row's values as a lead's details would be written in JSON, transforms applied."""
    data: dict[str, Any] = {}
    name = contact_name(values.get("contact_name"), values.get("first_name"), values.get("last_name"))
    if name:
        data["contact_name"] = name
    for field in ("email", "phone", "company", "job_title", "industry"):
        if field in values:
            data[field] = values[field]
    for field in ("source", "priority"):
        if field in values:
            data[field] = picklist(field, values[field])
    if "company_size" in values:
        data["company_size"] = whole_number(values["company_size"])
    if "annual_revenue" in values:
        data["annual_revenue"] = amount(values["annual_revenue"])
    if "tags" in values:
        data["tags"] = tags(values["tags"])
    address = {part: values[part] for part in ADDRESS if part in values}
    if "country" in address:
        address["country"] = country_code(address["country"])
    if address:
        data["address"] = address
    custom = {k.removeprefix("custom."): v for k, v in values.items() if k.startswith("custom.")}
    if custom:
        data["custom_fields"] = custom
    return data


COUNTRY_ALIASES = {"UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB"}
"""Names spreadsheets use that ISO 3166 (and so pycountry) does not list."""


@lru_cache(maxsize=1024)
def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code (``de``, ``DEU``) or an English name (``Germany``,
    ``United Kingdom``), by pycountry's exact look-up (never its fuzzy search, which would turn
    a typo into some other country); otherwise the value upper-cased, which validation then
    refuses with its reason."""
    text = value.strip()
    if text.upper() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[text.upper()]
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return text.upper()


def read_row(
    mapping: Mapping, cells: Sequence[Any], *, line: int, default_source: LeadSource | None = LeadSource.IMPORT
) -> Parsed | Rejection | None:
    """The row as lead details, or why not; None for a row with nothing in it."""
    values = row_values(mapping, cells)
    if not values:
        return None
    for field, compound in mapping.compounds.items():
        if field in values:
            try:
                values |= compound.split(values.pop(field))
            except ValueError as e:
                return Rejection(line, "address", str(e))
    data = lead_input(values)
    if "contact_name" not in data:
        return Rejection(line, "contact_name", "the contact's name is empty")
    given = frozenset(data)
    if "source" not in data and default_source is not None:
        data["source"] = default_source.value
    try:
        details = LeadDetails.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "row"
        return Rejection(line, field, first["msg"])
    if details.unreachable:
        return Rejection(line, "email", details.unreachable)
    return Parsed(line, details, given)
