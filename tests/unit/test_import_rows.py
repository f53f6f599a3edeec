"""Import rules, pure: which column fills which field, how spreadsheet values are read, and the
verdict on each row under each duplicate policy."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest

from domain.duplicates import Candidate
from domain.errors import InvalidCommand
from domain.import_mapping import map_headers, template_headers
from domain.import_plan import DuplicatePolicy, Outcome, RowAction, decide
from domain.import_rows import Parsed, Rejection, amount, contact_name, read_row, whole_number
from domain.values import LeadDetails


def test_the_template_maps_itself_and_headers_as_people_write_them_map_too() -> None:
    assert None not in map_headers(template_headers()).fields
    mapping = map_headers(["E-Mail Address", "NAME", "Zip Code", "custom.Favourite colour", "Notes"])
    assert mapping.fields == ("email", "contact_name", "postal_code", "custom.Favourite colour", None)
    assert mapping.unmapped == ("Notes",)


def test_overrides_win_and_an_unknown_field_or_two_columns_for_one_field_are_refused() -> None:
    assert map_headers(["Who", "Mail"], {"who": "contact_name"}).fields == ("contact_name", "email")
    assert map_headers(["Name", "Email"], {"Email": ""}).fields == ("contact_name", None)
    with pytest.raises(InvalidCommand, match="unknown field"):
        map_headers(["Name"], {"Name": "shoe_size"})
    with pytest.raises(InvalidCommand, match="both map to email"):
        map_headers(["Name", "Email", "E-mail"])
    with pytest.raises(InvalidCommand, match="contact's name"):
        map_headers(["Email"])


def test_names_are_joined_or_turned_round() -> None:
    assert contact_name("Lovelace, Ada", None, None) == "Ada Lovelace"
    assert contact_name(None, "Ada", "Lovelace") == "Ada Lovelace"
    assert contact_name("Ada Lovelace", "x", "y") == "Ada Lovelace"


def test_numbers_are_read_as_spreadsheets_write_them() -> None:
    assert whole_number("1,200") == 1200 and whole_number("120.0") == 120 and whole_number("lots") == "lots"
    assert amount("€1.500.000,50") == "1500000.50"
    assert amount("$1,500,000.50") == "1500000.50"
    assert amount("1,5") == "1.5"
    assert amount("EUR 1 500") == "1500" and amount("1e30") == "1e30" and amount("lots") == "lots"


def test_picklists_tags_and_whitespace_are_normalised() -> None:
    mapping = map_headers(["Name", "Email", "Source", "Priority", "Tags", "Country"])
    parsed = read_row(mapping, ["  Ada \t Lovelace ", "ADA@Example.com", "web", "urgent", "a; b|a", "gb"], line=2)
    assert isinstance(parsed, Parsed)
    d = parsed.details
    assert (d.contact_name, d.email, d.source, d.priority) == ("Ada Lovelace", "ADA@example.com", "website", "critical")
    assert d.tags == ("a", "b") and d.address is not None and d.address.country == "GB"
    assert parsed.given == {"contact_name", "email", "source", "priority", "tags", "address"}


@pytest.mark.parametrize(
    ("written", "code"),
    [("Germany", "DE"), ("deu", "DE"), ("de", "DE"), ("United Kingdom", "GB"), ("UK", "GB"), ("Viet Nam", "VN")],
)
def test_a_country_written_as_a_name_or_any_code_becomes_its_iso_code(written: str, code: str) -> None:
    parsed = read_row(map_headers(["Name", "Email", "Country"]), ["Ada", "ada@example.com", written], line=2)
    assert isinstance(parsed, Parsed) and parsed.details.address is not None
    assert parsed.details.address.country == code


@pytest.mark.parametrize("written", ["Atlantis", "Deutschlandd", "G\x00B"])
def test_a_country_no_exact_look_up_knows_is_refused_naming_the_field_not_guessed(written: str) -> None:
    parsed = read_row(map_headers(["Name", "Email", "Country"]), ["Ada", "ada@example.com", written], line=7)
    assert isinstance(parsed, Rejection) and parsed.field == "address.country", parsed


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (["Ada", "not-an-email", "web"], "email"),
        (["", "ada@example.com", "web"], "contact_name"),
        (["Ada", "", "web"], "email"),
        (["Ada", "ada@example.com", "carrier pigeon"], "source"),
        (["A" * 10_000, "ada@example.com", ""], "contact_name"),
        (["Ada\x00", "ada@example.com", ""], "contact_name"),
    ],
)
def test_a_bad_row_is_rejected_naming_its_line_and_field(cells: list[str], field: str) -> None:
    rejection = read_row(map_headers(["Name", "Email", "Source"]), cells, line=7)
    assert isinstance(rejection, Rejection) and (rejection.line, rejection.field) == (7, field), rejection


def test_an_empty_row_is_no_row() -> None:
    assert read_row(map_headers(["Name", "Email"]), ["", " "], line=3) is None


def row(**fields: str) -> Parsed:
    details = LeadDetails.model_validate({"contact_name": "Ada", "email": "ada@example.com", **fields})
    return Parsed(2, details, frozenset({"contact_name", "email", *fields}))


def verdict(policy: DuplicatePolicy, *, candidates: bool = True, current: LeadDetails | None = None, **kw: object):  # type: ignore[no-untyped-def]
    found = [Candidate(uuid4(), "Ada", ("email",))] if candidates else []
    existing = current or LeadDetails(contact_name="Ada", email="ada@example.com")
    args = {"earlier_line": None, "imported_as": None} | kw
    return decide(row(job_title="CTO"), policy=policy, candidates=found, current=lambda _: existing, **args)  # type: ignore[arg-type]


def test_each_policy_says_what_happens_to_a_duplicate() -> None:
    assert verdict(DuplicatePolicy.SKIP, candidates=False).action is RowAction.CREATE
    assert verdict(DuplicatePolicy.SKIP).action is RowAction.SKIP
    assert verdict(DuplicatePolicy.CREATE).action is RowAction.CREATE
    assert verdict(DuplicatePolicy.MERGE).action is RowAction.MERGE
    update = verdict(DuplicatePolicy.UPDATE)
    assert (update.action, update.changes) == (RowAction.UPDATE, {"job_title": "CTO"})
    same = LeadDetails(contact_name="Ada", email="ada@example.com", job_title="CTO")
    assert verdict(DuplicatePolicy.UPDATE, current=same).action is RowAction.NONE
    assert all(verdict(p).outcome is Outcome.DUPLICATE for p in DuplicatePolicy)


def test_a_row_imported_before_or_repeating_an_earlier_row_is_not_created_again() -> None:
    before = verdict(DuplicatePolicy.CREATE, imported_as=uuid4())
    assert (before.outcome, before.action) == (Outcome.IMPORTED, RowAction.NONE)
    repeat = verdict(DuplicatePolicy.UPDATE, candidates=False, earlier_line=2)
    assert repeat.action is RowAction.SKIP and "line 2" in (repeat.reason or "")


ADDRESS_COLUMN = {"Address": "address[street, city, postal_code, country]"}


def test_one_column_of_address_parts_is_split_as_its_mapping_declares() -> None:
    mapping = map_headers(["Name", "Email", "Address"], ADDRESS_COLUMN)
    parsed = read_row(mapping, ["Ada", "ada@example.com", "12 Main St,  Springfield , 12345, Germany"], line=2)
    assert isinstance(parsed, Parsed) and parsed.details.address is not None
    assert parsed.details.address.model_dump() == {
        "street": "12 Main St",
        "city": "Springfield",
        "region": None,
        "postal_code": "12345",
        "country": "DE",
    }
    piped = map_headers(["Name", "Email", "Where"], {"Where": "address[city | region]"})
    parsed = read_row(piped, ["Ada", "ada@example.com", "Springfield, IL | "], line=3)
    assert isinstance(parsed, Parsed) and parsed.details.address is not None
    assert (parsed.details.address.city, parsed.details.address.region) == ("Springfield, IL", None), "empty: unset"


@pytest.mark.parametrize("cell", ["12 Main St, Springfield", "12 Main St, Flat 2, Springfield, 12345, US"])
def test_a_cell_without_the_declared_address_parts_is_rejected_naming_the_field(cell: str) -> None:
    mapping = map_headers(["Name", "Email", "Address"], ADDRESS_COLUMN)
    parsed = read_row(mapping, ["Ada", "ada@example.com", cell], line=9)
    assert isinstance(parsed, Rejection) and (parsed.line, parsed.field) == (9, "address")
    assert "separated by ','" in parsed.reason and "declares 4: street, city, postal_code, country" in parsed.reason


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        ("address[street]", "at least two"),
        ("address[street, planet]", "unknown address part(s) planet"),
        ("address[city, city]", "once"),
        ("address[street city]", "one separator"),
        ("address[street, city; country]", "one separator"),
    ],
)
def test_a_malformed_address_declaration_is_refused_with_the_reason(declared: str, reason: str) -> None:
    with pytest.raises(InvalidCommand, match=re.escape(reason)):
        map_headers(["Name", "Address"], {"Address": declared})


def test_an_address_part_filled_by_two_columns_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="both map to city"):
        map_headers(["Name", "Address", "City"], ADDRESS_COLUMN)
