"""Every command in every status: allowed where the product brief allows it, refused (with
the status and the command named) everywhere else."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.decision import Decision
from domain.errors import ConversionRequirementsUnmet, IllegalTransition, InvalidCommand
from domain.lead import Lead
from domain.lifecycle import IN_PROGRESS
from domain.lifecycle import LeadCommand as C
from domain.picklists import ActivityKind, BantItem, DisqualifyReason, SignalKind, Strategy
from domain.picklists import LeadStatus as S
from domain.records import (
    Activity,
    Attachment,
    ConversionLinks,
    Note,
    OpportunityTerms,
    ScoreBreakdown,
    Signal,
    Task,
)
from tests.unit.conftest import META, new_lead

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
COMPLETE_BANT: dict[BantItem, str | None] = {
    BantItem.BUDGET: "50k",
    BantItem.AUTHORITY: "CFO",
    BantItem.NEED: "CRM",
    BantItem.TIMELINE: "Q3",
}
TASK = Task(
    task_id=uuid4(),
    subject="Call back",
    assignee="rep-1",
    due_at=datetime(2027, 1, 1, tzinfo=UTC),
    remind_at=datetime(2026, 12, 31, tzinfo=UTC),
    created_by="rep-1",
)


def with_task(lead: Lead) -> Lead:
    """The lead with ``TASK`` scheduled on it, where its status allows."""
    if TASK.task_id not in lead.tasks:
        with suppress(IllegalTransition):
            lead.schedule_task(task=TASK, meta=META)
    return lead


TERMS = OpportunityTerms(name="Deal", deal_value=1000, expected_close=date(2027, 1, 1), probability=40)


def links() -> ConversionLinks:
    return ConversionLinks(
        opportunity_id=uuid4(), account_id=uuid4(), contact_id=uuid4(), created_account=True, created_contact=True
    )


def lead_in(status: S) -> Lead:
    """A lead brought to ``status`` through the ordinary commands."""
    lead = new_lead()
    if status in (S.CONTACTED, S.QUALIFIED, S.CONVERTED):
        lead.contact(via="call", meta=META)
    if status in (S.QUALIFIED, S.CONVERTED):
        lead.update_bant(changes=dict(COMPLETE_BANT), meta=META)
        lead.qualify(meta=META)
    if status is S.CONVERTED:
        lead.convert(terms=TERMS, links=links(), meta=META)
    if status is S.NURTURE:
        lead.nurture(reason="next year", follow_up_on=None, meta=META)
    if status is S.UNQUALIFIED:
        lead.disqualify(reason=DisqualifyReason.NO_BUDGET, text=None, meta=META)
    if status is S.MERGED:
        new_lead().absorb(lead, take_fields=[], meta=META)
    assert lead.status is status
    return lead


def activity() -> Activity:
    return Activity(
        activity_id=uuid4(),
        kind=ActivityKind.CALL,
        subject="Intro call",
        outcome="interested",
        next_step="demo",
        logged_by="rep-1",
        logged_at=NOW,
    )


def attachment() -> Attachment:
    return Attachment(
        attachment_id=uuid4(),
        name="brief.pdf",
        media_type="application/pdf",
        size=10,
        content_hash="a" * 64,
        added_by="rep-1",
        added_at=NOW,
    )


def claim_from_queue(lead: Lead) -> None:
    """Queue the lead (where its status allows), then claim it."""
    with suppress(IllegalTransition):
        lead.route(decision=Decision(Strategy.FALLBACK, "no rule matched", queue="triage"), meta=META)
    lead.claim(user="rep-2", meta=META)


def escalate_overdue(lead: Lead) -> None:
    """Give the lead a response target already due (where escalating is allowed), then escalate."""
    if lead.status in IN_PROGRESS:
        lead.route(decision=Decision(Strategy.USER, "rule r1", owner="rep-3", respond_by=NOW), meta=META)
    with suppress(InvalidCommand):  # a lead contacted before has no overdue response
        lead.escalate_overdue(due=NOW, managers=("mgr-1",), meta=META)


INVOKE: dict[C, Callable[[Lead], None]] = {
    C.UPDATE_DETAILS: lambda lead: lead.update_details(changes={"company": "Acme"}, meta=META),
    C.ASSIGN: lambda lead: lead.assign(owner="rep-2", meta=META),
    C.ROUTE: lambda lead: lead.route(
        decision=Decision(Strategy.FALLBACK, "no rule matched", queue="triage"), meta=META
    ),
    C.CLAIM: lambda lead: claim_from_queue(lead),
    C.ESCALATE: lambda lead: escalate_overdue(lead),
    C.CONTACT: lambda lead: lead.contact(via="email", meta=META),
    C.LOG_ACTIVITY: lambda lead: lead.log_activity(activity=activity(), meta=META),
    C.ADD_NOTE: lambda lead: lead.add_note(note=Note(note_id=uuid4(), text="x", author="a", added_at=NOW), meta=META),
    C.ADD_ATTACHMENT: lambda lead: lead.add_attachment(attachment=attachment(), meta=META),
    C.FOLLOW: lambda lead: lead.follow(user="manager-1", meta=META),
    C.UNFOLLOW: lambda lead: lead.unfollow(user="manager-1", meta=META),
    C.RECORD_SIGNAL: lambda lead: lead.record_signal(
        signal=Signal(kind=SignalKind.EMAIL_CLICKED, detail="spring-campaign", occurred_at=NOW), meta=META
    ),
    C.SCORE: lambda lead: lead.record_score(
        breakdown=ScoreBreakdown(demographic=10, behavioral=5, firmographic=5), rule_version="r1", meta=META
    ),
    C.ADJUST_SCORE: lambda lead: lead.adjust_score(points=5, reason="met at fair", meta=META),
    C.UPDATE_BANT: lambda lead: lead.update_bant(changes={**COMPLETE_BANT, BantItem.NEED: "urgent"}, meta=META),
    C.QUALIFY: lambda lead: lead.qualify(meta=META),
    C.NURTURE: lambda lead: lead.nurture(reason=None, follow_up_on=None, meta=META),
    C.DISQUALIFY: lambda lead: lead.disqualify(reason=DisqualifyReason.JUNK, text="spam", meta=META),
    C.REOPEN: lambda lead: lead.reopen(meta=META),
    C.MARK_DUPLICATE: lambda lead: lead.mark_duplicate(of_id=uuid4(), matched_on="email", meta=META),
    C.DISMISS_DUPLICATE: lambda lead: lead.dismiss_duplicate(of_id=uuid4(), of_kind="lead", meta=META),
    C.SCHEDULE_TASK: lambda lead: lead.schedule_task(task=TASK, meta=META),
    C.FIRE_REMINDER: lambda lead: with_task(lead).fire_reminder(task_id=TASK.task_id, now=TASK.due_at, meta=META),
    C.COMPLETE_TASK: lambda lead: with_task(lead).complete_task(task_id=TASK.task_id, meta=META),
    C.MERGE: lambda lead: new_lead().absorb(lead, take_fields=[], meta=META),
    C.ABSORB: lambda lead: lead.absorb(new_lead(), take_fields=[], meta=META),
    C.CONVERT: lambda lead: lead.convert(terms=TERMS, links=links(), meta=META),
    C.RAISE_AGING_ALERT: lambda lead: lead.raise_aging_alert(
        status=lead.status, days_in_status=9, threshold_days=7, meta=META
    ),
    C.ARCHIVE: lambda lead: lead.archive(reason=None, meta=META),
    C.UNARCHIVE: lambda lead: (
        None if lead.status in (S.CONVERTED, S.MERGED) else lead.archive(reason=None, meta=META),
        lead.unarchive(meta=META),
    ),
    C.DELETE: lambda lead: lead.delete(reason="test data", meta=META),
}

OPEN = {S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE, S.UNQUALIFIED}
# The product brief's rules, written out independently of domain.lifecycle.
EXPECTED_ALLOWED: dict[C, set[S]] = dict.fromkeys(C, OPEN) | {
    C.CONTACT: {S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE},
    C.QUALIFY: {S.CONTACTED, S.NURTURE},
    C.NURTURE: {S.NEW, S.CONTACTED, S.QUALIFIED},
    C.REOPEN: {S.NURTURE, S.UNQUALIFIED},
    C.CONVERT: {S.QUALIFIED},
    C.RAISE_AGING_ALERT: {S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE},
    C.ESCALATE: {S.NEW, S.CONTACTED, S.QUALIFIED, S.NURTURE},
}

CASES = [(c, s, s in EXPECTED_ALLOWED[c]) for c in C for s in S]


@pytest.mark.parametrize(("command", "status", "allowed"), CASES, ids=[f"{c.name}-{s.value}" for c, s, _ in CASES])
def test_each_command_is_allowed_only_in_its_statuses(command: C, status: S, allowed: bool) -> None:
    lead = lead_in(status)
    if command is C.QUALIFY and status in EXPECTED_ALLOWED[C.UPDATE_BANT]:
        lead.update_bant(changes=dict(COMPLETE_BANT), meta=META)  # what qualifying needs besides the status
    version = lead.version
    if allowed:
        INVOKE[command](lead)
    else:
        with pytest.raises(IllegalTransition) as refused:
            INVOKE[command](lead)
        assert refused.value.status == status.value
        assert command.value in str(refused.value)
        assert lead.version == version, "a refused command must leave no event"


def test_contacting_a_new_lead_moves_it_to_contacted_and_stops_the_response_clock() -> None:
    lead = new_lead()
    lead.contact(via="call", meta=META)
    assert lead.status is S.CONTACTED
    assert lead.first_contacted_at is not None


def test_contacting_a_qualified_lead_keeps_it_qualified() -> None:
    lead = lead_in(S.QUALIFIED)
    lead.contact(via="email", meta=META)
    assert lead.status is S.QUALIFIED


def test_conversion_requires_a_complete_bant_checklist_even_if_answers_were_cleared_after_qualifying() -> None:
    lead = lead_in(S.QUALIFIED)
    lead.update_bant(changes={BantItem.AUTHORITY: None, BantItem.TIMELINE: " "}, meta=META)
    with pytest.raises(ConversionRequirementsUnmet) as refused:
        lead.convert(terms=TERMS, links=links(), meta=META)
    assert refused.value.missing == ["authority", "timeline"]
    assert lead.status is S.QUALIFIED


def test_reopening_returns_to_contacted_if_ever_contacted_else_new() -> None:
    never = lead_in(S.UNQUALIFIED)
    never.reopen(meta=META)
    assert never.status is S.NEW
    contacted = lead_in(S.CONTACTED)
    contacted.nurture(reason=None, follow_up_on=None, meta=META)
    contacted.reopen(meta=META)
    assert contacted.status is S.CONTACTED


def test_an_unqualified_leads_reason_can_be_rewritten() -> None:
    lead = lead_in(S.UNQUALIFIED)
    lead.disqualify(reason=DisqualifyReason.COMPETITOR, text="chose X", meta=META)
    assert lead.status is S.UNQUALIFIED
    assert lead.status_reason == "competitor: chose X"


def test_merge_relinks_children_and_followers_and_archives_the_duplicate() -> None:
    master, dup = new_lead(company="Acme"), new_lead(email="ada@acme.example", job_title="CTO")
    dup.log_activity(activity=activity(), meta=META)
    dup.add_note(note=Note(note_id=uuid4(), text="met", author="rep-1", added_at=NOW), meta=META)
    dup.add_attachment(attachment=attachment(), meta=META)
    dup.follow(user="manager-1", meta=META)
    master.absorb(dup, take_fields=["email", "job_title"], meta=META)
    assert dup.status is S.MERGED and dup.merged_into == master.id
    assert master.absorbed == [dup.id]
    assert master.details.email == "ada@acme.example" and master.details.job_title == "CTO"
    assert master.details.company == "Acme"
    assert len(master.activities) == len(master.notes) == len(master.attachments) == 1
    assert "manager-1" in master.followers


def test_assignment_makes_the_owner_a_follower() -> None:
    lead = new_lead()
    lead.assign(owner="rep-7", meta=META)
    assert lead.owner == "rep-7" and "rep-7" in lead.followers


def test_score_is_clamped_and_banded_into_temperature() -> None:
    lead = new_lead()
    lead.record_score(
        breakdown=ScoreBreakdown(demographic=40, behavioral=30, firmographic=10), rule_version="r1", meta=META
    )
    assert lead.score == 80 and lead.temperature.value == "hot"
    lead.adjust_score(points=50, reason="board referral", meta=META)
    assert lead.score == 100
    lead.adjust_score(points=-100, reason="wrong contact", meta=META)
    assert lead.score == 0 and lead.temperature.value == "cold"


def test_an_aging_alert_is_refused_once_the_lead_has_left_the_status_the_monitor_saw() -> None:
    lead = lead_in(S.NEW)
    lead.contact(via="call", meta=META)
    with pytest.raises(InvalidCommand, match="contacted now, not new"):
        lead.raise_aging_alert(status=S.NEW, days_in_status=3, threshold_days=2, meta=META)


def test_an_aging_alert_is_refused_before_the_threshold() -> None:
    lead = lead_in(S.NEW)
    with pytest.raises(InvalidCommand, match="not over the threshold"):
        lead.raise_aging_alert(status=S.NEW, days_in_status=1, threshold_days=2, meta=META)
