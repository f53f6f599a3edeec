"""Every command of the application service, called as the API and the intake call it: its
outcome on the reloaded lead, one effect per command id, an idempotency key that belongs to one
command only, and a stale expected version refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.command_handling import CommandResult
from domain.duplicates import Screened
from domain.errors import IllegalTransition, InvalidCommand, NotFound, VersionConflict
from domain.lead import Lead
from domain.lead_events import Assigned, Nurtured
from domain.picklists import BantItem, DisqualifyReason, LeadStatus, SignalKind
from domain.records import Note, ScoreBreakdown, Signal
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails
from tests.unit.test_lifecycle import NOW, activity, attachment
from tests.unit.test_service import ADA, BANT, TERMS, meta

SIGNAL = Signal(kind=SignalKind.PAGE_VISITED, detail="/pricing", occurred_at=NOW)
BREAKDOWN = ScoreBreakdown(demographic=20, behavioral=15, firmographic=10)
FOLLOW_UP = date(2027, 2, 1)


def new(service: LeadService, details: LeadDetails = ADA) -> UUID:
    return service.capture_lead(details=details, meta=meta()).lead_id


def note(text: str = "called back") -> Note:
    return Note(note_id=uuid4(), text=text, author="rep-1", added_at=NOW)


def prepare_nothing(service: LeadService, lead: UUID) -> UUID | None:
    return None


def prepare_contacted(service: LeadService, lead: UUID) -> UUID | None:
    service.contact(lead_id=lead, via="call", meta=meta())
    return None


def prepare_bant_complete(service: LeadService, lead: UUID) -> UUID | None:
    """Contacted, with every BANT item recorded: what qualifying needs."""
    service.contact(lead_id=lead, via="call", meta=meta())
    service.update_bant(lead_id=lead, changes=BANT, meta=meta())
    return None


def prepare_qualified(service: LeadService, lead: UUID) -> UUID | None:
    service.contact(lead_id=lead, via="call", meta=meta())
    service.update_bant(lead_id=lead, changes=BANT, meta=meta())
    service.qualify(lead_id=lead, meta=meta())
    return None


def prepare_nurtured(service: LeadService, lead: UUID) -> UUID | None:
    service.nurture(lead_id=lead, reason="budget next year", meta=meta())
    return None


def prepare_followed(service: LeadService, lead: UUID) -> UUID | None:
    service.follow(lead_id=lead, user="manager-1", meta=meta())
    return None


def prepare_other_lead(service: LeadService, lead: UUID) -> UUID | None:
    return new(service, LeadDetails(contact_name="Ada L.", phone="+442079460958"))


Run = Callable[[LeadService, UUID, UUID | None, EventMeta, int | None], CommandResult]


@dataclass(frozen=True)
class Command:
    """How to bring a lead to where the command is allowed, call it, and what it leaves."""

    prepare: Callable[[LeadService, UUID], UUID | None]
    run: Run
    event: str
    outcome: Callable[[Lead, UUID | None], bool]
    takes_expected_version: bool = True


COMMANDS: dict[str, Command] = {
    "update_details": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.update_details(
            lead_id=lead, changes={"company": "Acme"}, meta=m, expected_version=v
        ),
        "DetailsUpdated",
        lambda lead, _: lead.details.company == "Acme" and lead.details.email == ADA.email,
    ),
    "assign": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.assign(lead_id=lead, owner="rep-2", meta=m, expected_version=v),
        "Assigned",
        lambda lead, _: lead.owner == "rep-2",
    ),
    "contact": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.contact(lead_id=lead, via="call", meta=m, expected_version=v),
        "Contacted",
        lambda lead, _: lead.status is LeadStatus.CONTACTED and lead.first_contacted_at is not None,
    ),
    "log_activity": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.log_activity(lead_id=lead, activity=activity(), meta=m, expected_version=v),
        "ActivityLogged",
        lambda lead, _: [a.subject for a in lead.activities] == ["Intro call"],
    ),
    "add_note": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.add_note(lead_id=lead, note=note("likes engines"), meta=m, expected_version=v),
        "NoteAdded",
        lambda lead, _: [n.text for n in lead.notes] == ["likes engines"],
    ),
    "add_attachment": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.add_attachment(lead_id=lead, attachment=attachment(), meta=m, expected_version=v),
        "AttachmentAdded",
        lambda lead, _: [a.name for a in lead.attachments] == ["brief.pdf"],
    ),
    "follow": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.follow(lead_id=lead, user="manager-1", meta=m, expected_version=v),
        "Followed",
        lambda lead, _: lead.followers == {"manager-1"},
    ),
    "unfollow": Command(
        prepare_followed,
        lambda s, lead, _, m, v: s.unfollow(lead_id=lead, user="manager-1", meta=m, expected_version=v),
        "Unfollowed",
        lambda lead, _: lead.followers == set(),
    ),
    "record_signal": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.record_signal(lead_id=lead, signal=SIGNAL, meta=m, expected_version=v),
        "SignalRecorded",
        lambda lead, _: lead.signals == [SIGNAL],
    ),
    "record_score": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.record_score(
            lead_id=lead, breakdown=BREAKDOWN, rule_version="rules-7", meta=m, expected_version=v
        ),
        "Scored",
        lambda lead, _: (lead.score, lead.score_breakdown, lead.score_rule_version) == (45, BREAKDOWN, "rules-7"),
    ),
    "adjust_score": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.adjust_score(
            lead_id=lead, points=35, reason="met at fair", meta=m, expected_version=v
        ),
        "ScoreAdjusted",
        lambda lead, _: lead.score == 35,
    ),
    "update_bant": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.update_bant(
            lead_id=lead, changes={BantItem.BUDGET: "50k"}, meta=m, expected_version=v
        ),
        "BantUpdated",
        lambda lead, _: lead.bant == {BantItem.BUDGET: "50k"},
    ),
    "qualify": Command(
        prepare_bant_complete,
        lambda s, lead, _, m, v: s.qualify(lead_id=lead, meta=m, expected_version=v),
        "Qualified",
        lambda lead, _: lead.status is LeadStatus.QUALIFIED,
    ),
    "nurture": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.nurture(
            lead_id=lead, reason="budget next year", follow_up_on=FOLLOW_UP, meta=m, expected_version=v
        ),
        "Nurtured",
        lambda lead, _: (lead.status, lead.status_reason) == (LeadStatus.NURTURE, "budget next year"),
    ),
    "disqualify": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.disqualify(
            lead_id=lead, reason=DisqualifyReason.COMPETITOR, text="chose X", meta=m, expected_version=v
        ),
        "Disqualified",
        lambda lead, _: (lead.status, lead.status_reason) == (LeadStatus.UNQUALIFIED, "competitor: chose X"),
    ),
    "reopen": Command(
        prepare_nurtured,
        lambda s, lead, _, m, v: s.reopen(lead_id=lead, meta=m, expected_version=v),
        "Reopened",
        lambda lead, _: (lead.status, lead.status_reason) == (LeadStatus.NEW, None),
    ),
    "mark_duplicate": Command(
        prepare_other_lead,
        lambda s, lead, other, m, v: s.mark_duplicate(
            lead_id=lead, of_lead_id=other or uuid4(), matched_on="phone", meta=m, expected_version=v
        ),
        "MarkedDuplicate",
        lambda lead, other: lead.duplicate_of == other and other is not None,
    ),
    "merge": Command(
        prepare_other_lead,
        lambda s, lead, other, m, v: s.merge(
            master_id=lead, duplicate_ids=[other or uuid4()], take_fields={}, meta=m, expected_version=v
        ),
        "DuplicateAbsorbed",
        lambda lead, other: lead.absorbed == [other] and lead.status is LeadStatus.NEW,
    ),
    "convert": Command(
        prepare_qualified,
        lambda s, lead, _, m, v: s.convert(lead_id=lead, terms=TERMS, meta=m, expected_version=v),
        "Converted",
        lambda lead, _: lead.status is LeadStatus.CONVERTED and lead.conversion is not None,
    ),
    "erase_personal_data": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.erase_personal_data(lead_id=lead, request="DSR-9", meta=m, expected_version=v),
        "PersonalDataErased",
        lambda lead, _: lead.erased,
    ),
    "raise_aging_alert": Command(
        prepare_nothing,
        lambda s, lead, _, m, v: s.raise_aging_alert(
            lead_id=lead, status=LeadStatus.NEW, days_in_status=8, threshold_days=7, meta=m
        ),
        "AgingAlerted",
        lambda lead, _: lead.status is LeadStatus.NEW,
        takes_expected_version=False,
    ),
}
NAMES = list(COMMANDS)
WITH_EXPECTED_VERSION = [n for n in NAMES if COMMANDS[n].takes_expected_version]


def events_of(service: LeadService, lead: UUID) -> list[str]:
    return [type(e).__name__ for e in service.history(lead)]


@pytest.mark.parametrize("name", NAMES)
def test_each_command_through_the_service_records_its_event_and_changes_the_lead(
    service: LeadService, name: str
) -> None:
    command, lead = COMMANDS[name], new(service)
    other = command.prepare(service, lead)
    before = service.get_lead(lead).version
    result = command.run(service, lead, other, meta(), None)
    reloaded = service.get_lead(lead)
    assert (result.lead_id, result.version, result.replayed) == (lead, before + 1, False)
    assert reloaded.version == before + 1 and events_of(service, lead)[-1] == command.event
    assert command.outcome(reloaded, other)


@pytest.mark.parametrize("name", NAMES)
def test_each_command_sent_twice_with_one_command_id_has_one_effect(service: LeadService, name: str) -> None:
    command, lead = COMMANDS[name], new(service)
    other = command.prepare(service, lead)
    first = command.run(service, lead, other, meta(f"{name}-1"), None)
    again = command.run(service, lead, other, meta(f"{name}-1"), None)
    assert (again.lead_id, again.version, again.replayed) == (first.lead_id, first.version, True)
    assert again.created == first.created
    assert service.get_lead(lead).version == first.version


@pytest.mark.parametrize("name", NAMES)
def test_an_idempotency_key_used_by_one_command_is_refused_for_another_naming_the_first(
    service: LeadService, name: str
) -> None:
    command, lead = COMMANDS[name], new(service)
    other = command.prepare(service, lead)
    command.run(service, lead, other, meta("key-1"), None)
    version = service.get_lead(lead).version
    another = "follow" if name == "add_note" else "add_note"
    with pytest.raises(InvalidCommand) as refused:
        COMMANDS[another].run(service, lead, other, meta("key-1"), None)
    assert str(refused.value) == f"idempotency key already used for {name}"
    assert refused.value.field == "Idempotency-Key"
    assert service.get_lead(lead).version == version


@pytest.mark.parametrize("name", WITH_EXPECTED_VERSION)
def test_each_command_with_a_stale_expected_version_is_refused_and_changes_nothing(
    service: LeadService, name: str
) -> None:
    command, lead = COMMANDS[name], new(service)
    other = command.prepare(service, lead)
    seen = service.get_lead(lead).version
    service.add_note(lead_id=lead, note=note(), meta=meta())
    with pytest.raises(VersionConflict) as conflict:
        command.run(service, lead, other, meta(), seen)
    assert (conflict.value.aggregate_id, conflict.value.expected, conflict.value.actual) == (lead, seen, seen + 1)
    assert str(conflict.value) == f"lead {lead} is at version {seen + 1}, not the expected version {seen}"
    assert service.get_lead(lead).version == seen + 1


@pytest.mark.parametrize("name", WITH_EXPECTED_VERSION)
def test_each_command_with_the_current_expected_version_is_accepted(service: LeadService, name: str) -> None:
    command, lead = COMMANDS[name], new(service)
    other = command.prepare(service, lead)
    current = service.get_lead(lead).version
    assert command.run(service, lead, other, meta(), current).version == current + 1


def test_a_capture_repeated_with_its_command_id_does_not_screen_the_lead_again(service: LeadService) -> None:
    screened: list[LeadDetails] = []

    def screen(details: LeadDetails) -> Screened:
        screened.append(details)
        return Screened(details.model_copy(update={"company": "Engines (screened)"}))

    first = service.capture_lead(details=ADA, meta=meta("form-1"), screen=screen)
    again = service.capture_lead(details=ADA, meta=meta("form-1"), screen=screen)
    assert screened == [ADA]
    assert again.replayed and again.lead_id == first.lead_id
    assert service.get_lead(first.lead_id).details.company == "Engines (screened)"


def test_a_capture_uses_the_lead_id_the_caller_chose(service: LeadService) -> None:
    chosen = uuid4()
    assert service.capture_lead(details=ADA, meta=meta(), lead_id=chosen).lead_id == chosen
    assert service.get_lead(chosen).details == ADA


def test_a_capture_records_who_captured_the_lead(service: LeadService) -> None:
    lead = service.capture_lead(details=ADA, meta=EventMeta(actor="web-form")).lead_id
    assert service.get_lead(lead).captured_by == "web-form"


def owned_by(service: LeadService, owner: str, count: int) -> list[UUID]:
    leads = [new(service) for _ in range(count)]
    for lead in leads:
        service.assign(lead_id=lead, owner=owner, meta=meta())
    return leads


def test_a_transfer_moves_each_lead_on_its_own_once_per_command_id(service: LeadService) -> None:
    leads = owned_by(service, "rep-1", 3)
    refused = leads[2]

    def check(lead: Lead) -> None:
        if lead.id == refused:
            raise IllegalTransition(command="transfer", status=lead.status.value)

    outcomes = service.transfer(lead_ids=leads, from_owner="rep-1", to_owner="rep-9", meta=meta("move-1"), check=check)
    assert [(o.lead_id, o.moved) for o in outcomes] == [(leads[0], True), (leads[1], True), (refused, False)]
    assert outcomes[2].reason == "cannot transfer a lead whose status is new"
    assert [service.get_lead(lead).owner for lead in leads] == ["rep-9", "rep-9", "rep-1"]
    service.assign(lead_id=leads[0], owner="rep-3", meta=meta())
    again = service.transfer(
        lead_ids=leads, from_owner="rep-1", to_owner="rep-9", meta=meta("move-1"), check=lambda lead: None
    )
    assert all(o.moved for o in again)
    assert [service.get_lead(lead).owner for lead in leads] == ["rep-3", "rep-9", "rep-9"], "moved once per id"


def test_a_transfer_never_takes_a_lead_from_an_owner_the_caller_did_not_name(service: LeadService) -> None:
    leads = owned_by(service, "rep-1", 2)
    service.assign(lead_id=leads[0], owner="rep-3", meta=meta())
    outcomes = service.transfer(
        lead_ids=leads, from_owner="rep-1", to_owner="rep-9", meta=meta(), check=lambda lead: None
    )
    assert [o.moved for o in outcomes] == [False, True]
    assert outcomes[0].reason == f"lead {leads[0]} is owned by rep-3 now, not by rep-1"
    assert [service.get_lead(lead).owner for lead in leads] == ["rep-3", "rep-9"]


def test_nurturing_through_the_service_keeps_the_follow_up_date(service: LeadService) -> None:
    lead = new(service)
    service.nurture(lead_id=lead, reason=None, follow_up_on=FOLLOW_UP, meta=meta())
    nurtured = service.history(lead)[-1]
    assert isinstance(nurtured, Nurtured) and (nurtured.follow_up_on, nurtured.reason) == (FOLLOW_UP, None)


def test_a_reassignment_records_the_previous_owner(service: LeadService) -> None:
    lead = new(service)
    service.assign(lead_id=lead, owner="rep-2", meta=meta())
    service.assign(lead_id=lead, owner="rep-3", meta=meta())
    first, second = service.history(lead)[1:]
    assert isinstance(first, Assigned) and isinstance(second, Assigned)
    assert [(first.owner, first.previous_owner), (second.owner, second.previous_owner)] == [
        ("rep-2", None),
        ("rep-3", "rep-2"),
    ]
    assert service.get_lead(lead).followers == {"rep-2", "rep-3"}


def test_the_account_and_contact_of_a_lead_are_its_conversions_or_the_ones_it_was_linked_to(
    service: LeadService,
) -> None:
    plain = new(service)
    assert service.account_and_contact_of(plain) == (None, None)
    account, contact = uuid4(), uuid4()
    linked = new(service, ADA.model_copy(update={"account_id": account, "contact_id": contact}))
    assert service.account_and_contact_of(linked) == (account, contact)
    prepare_qualified(service, plain)
    created = service.convert(lead_id=plain, terms=TERMS, meta=meta()).created
    assert service.account_and_contact_of(plain) == (created["account_id"], created["contact_id"])


@pytest.mark.parametrize(
    "read",
    [
        lambda s, lead: s.get_lead(lead),
        lambda s, lead: s.history(lead),
        lambda s, lead: s.lead_as_of(lead, NOW),
        lambda s, lead: s.qualify(lead_id=lead, meta=meta()),
    ],
    ids=["get_lead", "history", "lead_as_of", "a command"],
)
def test_an_unknown_lead_is_not_found_naming_the_lead(service: LeadService, read: Callable[..., object]) -> None:
    unknown = uuid4()
    with pytest.raises(NotFound) as missing:
        read(service, unknown)
    assert (missing.value.kind, missing.value.key) == ("lead", unknown)
    assert str(missing.value) == f"lead {unknown} not found"


def test_a_lead_before_its_capture_is_not_found_naming_the_lead(service: LeadService) -> None:
    lead = new(service)
    captured_at = service.history(lead)[0].timestamp
    with pytest.raises(NotFound) as missing:
        service.lead_as_of(lead, captured_at.replace(year=captured_at.year - 1))
    assert (missing.value.kind, missing.value.key) == ("lead", lead)


def test_an_account_id_is_not_a_lead(service: LeadService) -> None:
    lead = new(service)
    prepare_qualified(service, lead)
    account = service.convert(lead_id=lead, terms=TERMS, meta=meta()).created["account_id"]
    with pytest.raises(NotFound) as missing:
        service.get_lead(account)
    assert (missing.value.kind, missing.value.key) == ("lead", account)
    assert str(missing.value) == f"lead {account} not found"
