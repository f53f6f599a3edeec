"""Which column of an imported file fills which lead field: the template's headers, the
headers people actually write (mapped automatically), and the caller's overrides.

A mapping is a plain ``{header: field}``; a field is a lead field (``email``), ``first_name`` /
``last_name`` (joined into the contact name), an address part (``city``), ``custom.<key>``, or
``""`` to ignore the column. Automatic mapping reads headers the way people write them (any
case, spaces, dashes, underscores and dots alike), so ``E-mail``, ``Email address`` and ``EMAIL``
all map to ``email``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import InvalidCommand

TEMPLATE: tuple[tuple[str, str, str], ...] = (
    ("Full name", "contact_name", "Ada Lovelace (or fill First name and Last name)"),
    ("First name", "first_name", ""),
    ("Last name", "last_name", ""),
    ("Email", "email", "ada@example.com"),
    ("Phone", "phone", "+44 20 7946 0958"),
    ("Company", "company", "Analytical Engines Ltd"),
    ("Job title", "job_title", "Head of Research"),
    ("Industry", "industry", "Software"),
    ("Source", "source", "Website"),
    ("Priority", "priority", "High"),
    ("Company size", "company_size", "120"),
    ("Annual revenue", "annual_revenue", "1,500,000"),
    ("Street", "street", "12 St James's Square"),
    ("City", "city", "London"),
    ("Region", "region", "England"),
    ("Postal code", "postal_code", "SW1Y 4JH"),
    ("Country", "country", "GB"),
    ("Tags", "tags", "vip; newsletter"),
)
"""The downloadable template: header, the field it fills, an example value."""

ADDRESS = ("street", "city", "region", "postal_code", "country")
NAME_PARTS = ("first_name", "last_name")
LEAD_FIELDS = (
    "contact_name",
    "email",
    "phone",
    "company",
    "job_title",
    "industry",
    "source",
    "priority",
    "company_size",
    "annual_revenue",
    "tags",
)
FIELDS = frozenset((*LEAD_FIELDS, *NAME_PARTS, *ADDRESS))
"""Every field a column may fill (besides ``custom.<key>``)."""

SYNONYMS: dict[str, str] = {
    "name": "contact_name",
    "full name": "contact_name",
    "contact": "contact_name",
    "contact name": "contact_name",
    "lead name": "contact_name",
    "first": "first_name",
    "given name": "first_name",
    "forename": "first_name",
    "last": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "e mail": "email",
    "email address": "email",
    "e mail address": "email",
    "mail": "email",
    "phone number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "mobile phone": "phone",
    "company name": "company",
    "organisation": "company",
    "organization": "company",
    "account": "company",
    "account name": "company",
    "title": "job_title",
    "position": "job_title",
    "role": "job_title",
    "lead source": "source",
    "employees": "company_size",
    "number of employees": "company_size",
    "revenue": "annual_revenue",
    "address": "street",
    "street address": "street",
    "address line 1": "street",
    "town": "city",
    "state": "region",
    "province": "region",
    "county": "region",
    "zip": "postal_code",
    "zip code": "postal_code",
    "postcode": "postal_code",
    "post code": "postal_code",
    "country code": "country",
    "labels": "tags",
}


def header_key(header: str) -> str:
    """A header as people may write it, reduced to lowercase words: ``E-Mail_Address`` reads
    ``e mail address``."""
    plain = unicodedata.normalize("NFKC", header).strip().lower()
    return " ".join(re.findall(r"[^\W_]+", plain))


def _field_of(header: str) -> str | None:
    key = header_key(header)
    if header.strip().lower().startswith("custom."):
        name = header.strip()[len("custom.") :].strip()
        return f"custom.{name}" if name else None
    spelled = key.replace(" ", "_")
    if spelled in FIELDS:
        return spelled
    return SYNONYMS.get(key)


def check_field(field: str, *, header: str) -> None:
    """A field an override may name: a known field, ``custom.<key>`` or ``""`` (ignore)."""
    if field == "" or field in FIELDS or (field.startswith("custom.") and len(field) > len("custom.")):
        return
    raise InvalidCommand(
        f"column {header!r}: unknown field {field!r}; one of {', '.join(sorted(FIELDS))}, custom.<key>, "
        "or an empty string to ignore the column",
        field="mapping",
    )


@dataclass(frozen=True)
class Mapping:
    """The mapping in force for one file: for each column (by position) the field it fills or
    None, and the headers left unmapped (ignored, and reported)."""

    headers: tuple[str, ...]
    fields: tuple[str | None, ...]

    @property
    def unmapped(self) -> tuple[str, ...]:
        return tuple(h for h, f in zip(self.headers, self.fields, strict=True) if f is None and h.strip())

    def as_dict(self) -> dict[str, str]:
        """The mapping as it is recorded with the import: ``{header: field}`` (``""``: ignored)."""
        return {h: f or "" for h, f in zip(self.headers, self.fields, strict=True)}


def map_headers(headers: Sequence[str], overrides: dict[str, str] | None = None) -> Mapping:
    """Map each header automatically, unless ``overrides`` names it (by its header as written,
    or as people write it). Two columns filling the same field is refused: which would win is
    not obvious to whoever prepared the file."""
    by_key = {header_key(h): f for h, f in (overrides or {}).items()}
    for header, field in (overrides or {}).items():
        check_field(field, header=header)
    fields: list[str | None] = []
    for header in headers:
        key = header_key(header)
        chosen = by_key[key] if key in by_key else _field_of(header)
        fields.append(chosen or None)
    taken: dict[str, str] = {}
    for header, mapped in zip(headers, fields, strict=True):
        if mapped is None:
            continue
        field = mapped
        if field in taken:
            raise InvalidCommand(
                f'columns {taken[field]!r} and {header!r} both map to {field}; map one of them to "" to ignore it',
                field="mapping",
            )
        taken[field] = header
    if "contact_name" not in taken and "first_name" not in taken and "last_name" not in taken:
        raise InvalidCommand(
            "no column maps to the contact's name (Full name, or First name and Last name); "
            f"the headers are: {', '.join(repr(h) for h in headers)}",
            field="mapping",
        )
    return Mapping(tuple(headers), tuple(fields))


def template_headers() -> list[str]:
    return [header for header, _, _ in TEMPLATE]


def template_example() -> list[str]:
    return [example for _, _, example in TEMPLATE]
