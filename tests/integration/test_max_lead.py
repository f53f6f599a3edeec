"""A lead with every field at its documented maximum (in 4-byte characters, the worst case for
PostgreSQL's index entries) flows through every projection, a rebuild of each, history, replay
as of a moment, the audit export and erasure; nothing is quarantined or halted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from domain.erasure import erase_lead
from domain.limits import Limits
from domain.picklists import ActivityKind, BantItem, DisqualifyReason
from domain.records import Activity, Note
from domain.values import Address, EventMeta, LeadDetails
from infra.blobs import BlobStore
from infra.health import health
from infra.runtime import Engine
from projections.lead_queries import LeadFilter
from tests.integration.helpers import wait_until_all_projected

L = Limits()
WIDE = "\U0001d538"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A: 4 bytes in UTF-8, outside the BMP


def text(limit: int) -> str:
    return WIDE * limit


def email_of(length: int) -> str:
    """A valid address of exactly ``length`` characters: a 64-character local part and a domain
    of labels no longer than 63."""
    domain = "com"
    while len(domain) < length - 65:
        label = min(63, length - 65 - len(domain) - 1)
        domain = "b" * label + "." + domain
    return "a" * 64 + "@" + domain


def maximal_details() -> LeadDetails:
    key = WIDE * (L.custom_field_key - 2)
    return LeadDetails(
        contact_name=text(L.name),
        email=email_of(L.email),
        phone="+44 20 7946 0958".ljust(L.phone),
        company=text(L.short_text),
        job_title=text(L.short_text),
        industry=text(L.short_text),
        company_size=100_000_000,
        annual_revenue=10**15,
        address=Address(
            street=text(L.short_text),
            city=text(L.short_text),
            region=text(L.short_text),
            postal_code=text(L.short_text),
            country="GB",
        ),
        tags=tuple(f"{i:02d}" + WIDE * (L.tag - 2) for i in range(L.tags)),
        custom_fields={f"{i:02d}{key}": text(L.custom_field_value) for i in range(L.custom_fields)},
    )


def test_a_lead_at_every_limit_flows_through_every_read_model_replay_export_and_erasure(engine: Engine) -> None:
    s = engine.service
    meta = EventMeta(actor=text(L.name))
    details = maximal_details()
    assert len(details.email or "") == L.email
    lead = s.capture_lead(details=details, meta=meta).lead_id
    owner = text(L.name)
    s.assign(lead_id=lead, owner=owner, meta=meta)
    s.contact(lead_id=lead, via=text(L.short_text), meta=meta)
    now = datetime.now(UTC)
    s.log_activity(
        lead_id=lead,
        activity=Activity(
            activity_id=uuid4(),
            kind=ActivityKind.CALL,
            subject=text(L.short_text),
            outcome=text(L.long_text),
            next_step=text(L.long_text),
            due_at=now + timedelta(days=1),
            logged_by=owner,
            logged_at=now,
        ),
        meta=meta,
    )
    s.add_note(lead_id=lead, note=Note(note_id=uuid4(), text=text(L.long_text), author=owner, added_at=now), meta=meta)
    s.follow(lead_id=lead, user=text(L.name)[:-1] + "x", meta=meta)
    s.update_bant(lead_id=lead, changes={item: text(L.long_text) for item in BantItem}, meta=meta)
    s.adjust_score(lead_id=lead, points=100, reason=text(L.long_text), meta=meta)
    s.nurture(lead_id=lead, reason=text(L.long_text), follow_up_on=date(2027, 1, 1), meta=meta)
    middle = datetime.now(UTC)
    s.disqualify(lead_id=lead, reason=DisqualifyReason.OTHER, text=text(L.long_text), meta=meta)
    version = s.get_lead(lead).version

    engine.start_background()
    wait_until_all_projected(engine)
    report = health(engine)
    assert report["status"] == "ok", report
    doc = engine.queries.lead_document(lead)
    assert doc["details"]["custom_fields"] == details.custom_fields and doc["owner"] == owner
    page = engine.queries.find_leads(LeadFilter(owner=owner), sort="created_at", descending=True, cursor=None, limit=5)
    assert page.rows[0]["lead_id"] == lead
    assert [c.record_id for c in engine.queries.candidates(details)] == [lead]
    for name in engine.projections:
        rebuilt = engine.rebuild(name, lambda done, total: None)
        assert rebuilt.equal, name

    history = s.history(lead)
    assert [e.originator_version for e in history] == list(range(1, version + 1))
    assert s.lead_as_of(lead, middle).status.value == "nurture"
    exported, _ = engine.event_log.read(start=1, limit=1000)
    assert [e.version for e in exported if e.lead_id == lead] == list(range(1, version + 1))

    erase_lead(
        service=s,
        keys=s.keys,
        blobs=BlobStore(engine.db, schema=engine.settings.event_schema),
        lead_id=lead,
        meta=EventMeta(actor="admin"),
        request="DSR-1",
        expected_version=None,
    )
    wait_until_all_projected(engine)
    assert engine.queries.lead_document(lead)["details"]["contact_name"] == "[erased]"
    assert engine.queries.candidates(details) == []
    for name in engine.projections:
        assert engine.rebuild(name, lambda done, total: None).equal, name
    assert health(engine)["status"] == "ok"
