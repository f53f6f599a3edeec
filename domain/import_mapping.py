"""Which column of an imported file fills which lead field: the template's headers, the
headers people actually write (mapped automatically), and the caller's overrides.

A mapping is a plain ``{header: field}``; a field is a lead field (``email``), ``first_name`` /
``last_name`` (joined into the contact name), an address part (``city``), several address parts
held in one column (``address[street, city, postal_code, country]``: :class:`CompoundAddress`),
``custom.<key>``, or ``""`` to ignore the column. Automatic mapping reads headers the way people write them (any
case, spaces, dashes, underscores and dots alike), so ``E-mail``, ``Email address`` and ``EMAIL``
all map to ``email``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

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


@dataclass(frozen=True)
class CompoundAddress:
    """One column holding several address parts in a fixed order, declared the way the column
    writes them: ``address[street, city, postal_code, country]`` reads ``12 Main St, Springfield,
    12345, US`` by splitting it at each ``,`` (``address[street | city]`` at each ``|``). A cell
    with another number of parts is refused; an empty part is left unset."""

    parts: tuple[str, ...]
    separator: str

    @classmethod
    def of(cls, field: str) -> CompoundAddress | None:
        """The declaration ``field`` makes, None if it is not one; a malformed one is refused."""
        found = re.fullmatch(r"\s*address\s*\[(.*)\]\s*", field)
        return None if found is None else _compound(found.group(1))

    def split(self, text: str) -> dict[str, str]:
        """The cell's parts by name; ValueError naming what the column should hold."""
        pieces = [piece.strip() for piece in text.split(self.separator)]
        if len(pieces) != len(self.parts):
            raise ValueError(
                f"has {len(pieces)} parts separated by {self.separator!r} where the mapping declares "
                f"{len(self.parts)}: {', '.join(self.parts)}"
            )
        return {part: piece for part, piece in zip(self.parts, pieces, strict=True) if piece}


@lru_cache(maxsize=64)
def _compound(declared: str) -> CompoundAddress:
    parts = tuple(re.findall(r"[A-Za-z_]+", declared))
    outside = [piece.strip() for piece in re.split(r"[A-Za-z_]+", declared)]
    between = set(outside[1:-1])
    problem = (
        "name at least two address parts"
        if len(parts) < 2
        else f"unknown address part(s) {', '.join(p for p in parts if p not in ADDRESS)}; one of {', '.join(ADDRESS)}"
        if not set(parts) <= set(ADDRESS)
        else "name each address part once"
        if len(set(parts)) != len(parts)
        else "separate the parts by one separator, the cells' (such as , ; or |)"
        if len(between) != 1 or "" in between or outside[0] or outside[-1]
        else None
    )
    if problem:
        raise InvalidCommand(f"address[{declared}]: {problem}", field="mapping")
    return CompoundAddress(parts, between.pop())


def filled_by(field: str) -> tuple[str, ...]:
    """The fields a column mapped to ``field`` fills (several for a compound address)."""
    compound = CompoundAddress.of(field)
    return compound.parts if compound else (field,)


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
    if CompoundAddress.of(field) is not None:
        return
    raise InvalidCommand(
        f"column {header!r}: unknown field {field!r}; one of {', '.join(sorted(FIELDS))}, custom.<key>, "
        "address[part, part...], or an empty string to ignore the column",
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

    @cached_property
    def compounds(self) -> dict[str, CompoundAddress]:
        """The columns' compound address declarations, by the field as mapped."""
        return {f: c for f in self.fields if f is not None and (c := CompoundAddress.of(f)) is not None}

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
        for field in filled_by(mapped):
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
