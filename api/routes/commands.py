"""Lead commands over HTTP: each route checks the caller, then calls one service command.

Every command takes ``Idempotency-Key`` (same key, one effect) and ``If-Match`` (the version
the caller last saw) and answers with the lead's new version and the log position, which a
query may wait for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Path

from api import links
from api.auth import Action as A
from api.auth import permission
from api.command_models import (
    ActivityBody,
    AssignBody,
    BantBody,
    ContactBody,
    ConvertBody,
    DisqualifyBody,
    FollowBody,
    LeadUpdate,
    MergeBody,
    MergeIntoContactBody,
    NotDuplicateBody,
    NoteBody,
    NurtureBody,
    ScoreAdjustmentBody,
)
from api.deps import CommandDep
from api.models import CommandAccepted
from domain.errors import InvalidCommand
from domain.records import Activity, Note, OpportunityTerms
from domain.service import CommandResult
from domain.values import NonBlankName

router = APIRouter(prefix="/leads/{lead_id:uuid}", tags=["lead commands"])


def accepted(result: CommandResult) -> CommandAccepted:
    return CommandAccepted(
        lead_id=result.lead_id, version=result.version, position=result.position, created=result.created
    )


@router.patch("", response_model=CommandAccepted, **permission(A.EDIT))
def update_details(lead_id: UUID, body: LeadUpdate, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.update_details(lead_id=lead_id, changes=body.given(), meta=meta, expected_version=v),
        )
    )


@router.post("/assign", response_model=CommandAccepted, **permission(A.EDIT))
def assign(lead_id: UUID, body: AssignBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.assign(lead_id=lead_id, owner=body.owner, meta=meta, expected_version=v),
        )
    )


@router.post(
    "/contact", response_model=CommandAccepted, responses={200: {"links": links.AFTER_CONTACT}}, **permission(A.EDIT)
)
def contact(lead_id: UUID, body: ContactBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id, A.EDIT, lambda s, meta, v: s.contact(lead_id=lead_id, via=body.via, meta=meta, expected_version=v)
        )
    )


@router.post("/activities", response_model=CommandAccepted, **permission(A.EDIT))
def log_activity(lead_id: UUID, body: ActivityBody, cmd: CommandDep) -> CommandAccepted:
    activity = Activity(activity_id=uuid4(), logged_by=cmd.principal.user, logged_at=now(), **body.model_dump())
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.log_activity(lead_id=lead_id, activity=activity, meta=meta, expected_version=v),
        )
    )


@router.post("/notes", response_model=CommandAccepted, **permission(A.EDIT))
def add_note(lead_id: UUID, body: NoteBody, cmd: CommandDep) -> CommandAccepted:
    note = Note(note_id=uuid4(), text=body.text, author=cmd.principal.user, added_at=now())
    return accepted(
        cmd.on_lead(
            lead_id, A.EDIT, lambda s, meta, v: s.add_note(lead_id=lead_id, note=note, meta=meta, expected_version=v)
        )
    )


@router.post("/followers", response_model=CommandAccepted, **permission(A.EDIT))
def follow(lead_id: UUID, body: FollowBody, cmd: CommandDep) -> CommandAccepted:
    user = body.user or cmd.principal.user
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.follow(lead_id=lead_id, user=user, meta=meta, expected_version=v),
        )
    )


@router.delete("/followers/{user}", response_model=CommandAccepted, **permission(A.EDIT))
def unfollow(lead_id: UUID, user: Annotated[NonBlankName, Path()], cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.unfollow(lead_id=lead_id, user=user, meta=meta, expected_version=v),
        )
    )


@router.put("/bant", response_model=CommandAccepted, responses={200: {"links": links.AFTER_BANT}}, **permission(A.EDIT))
def update_bant(lead_id: UUID, body: BantBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.update_bant(lead_id=lead_id, changes=body.changes, meta=meta, expected_version=v),
        )
    )


@router.post(
    "/qualify", response_model=CommandAccepted, responses={200: {"links": links.AFTER_QUALIFY}}, **permission(A.EDIT)
)
def qualify(lead_id: UUID, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(lead_id, A.EDIT, lambda s, meta, v: s.qualify(lead_id=lead_id, meta=meta, expected_version=v))
    )


@router.post("/nurture", response_model=CommandAccepted, **permission(A.EDIT))
def nurture(lead_id: UUID, body: NurtureBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.nurture(
                lead_id=lead_id, reason=body.reason, follow_up_on=body.follow_up_on, meta=meta, expected_version=v
            ),
        )
    )


@router.post("/disqualify", response_model=CommandAccepted, **permission(A.ARCHIVE))
def disqualify(lead_id: UUID, body: DisqualifyBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.ARCHIVE,
            lambda s, meta, v: s.disqualify(
                lead_id=lead_id, reason=body.reason, text=body.text, meta=meta, expected_version=v
            ),
        )
    )


@router.post("/reopen", response_model=CommandAccepted, **permission(A.EDIT))
def reopen(lead_id: UUID, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(lead_id, A.EDIT, lambda s, meta, v: s.reopen(lead_id=lead_id, meta=meta, expected_version=v))
    )


@router.post("/score-adjustments", response_model=CommandAccepted, **permission(A.EDIT))
def adjust_score(lead_id: UUID, body: ScoreAdjustmentBody, cmd: CommandDep) -> CommandAccepted:
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.adjust_score(
                lead_id=lead_id, points=body.points, reason=body.reason, meta=meta, expected_version=v
            ),
        )
    )


@router.post("/merge", response_model=CommandAccepted, **permission(A.ARCHIVE))
def merge(lead_id: UUID, body: MergeBody, cmd: CommandDep) -> CommandAccepted:
    """Merge the duplicates into this lead (the master); all commit together."""
    for duplicate in body.duplicate_ids:
        cmd.principal.require_lead(A.ARCHIVE, cmd.service.get_lead(duplicate))
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.merge(
                master_id=lead_id,
                duplicate_ids=body.duplicate_ids,
                take_fields=body.take_fields,
                meta=meta,
                expected_version=v,
            ),
        )
    )


@router.post("/not-duplicate", response_model=CommandAccepted, **permission(A.EDIT))
def not_duplicate(lead_id: UUID, body: NotDuplicateBody, cmd: CommandDep) -> CommandAccepted:
    """A person decides the lead is not a duplicate of that lead or contact: remembered on both
    sides, so the pair is never flagged again."""
    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.dismiss_duplicate(lead_id=lead_id, of_id=body.of_id, meta=meta, expected_version=v),
        )
    )


@router.post("/merge-into-contact", response_model=CommandAccepted, **permission(A.ARCHIVE))
def merge_into_contact(lead_id: UUID, body: MergeIntoContactBody, cmd: CommandDep) -> CommandAccepted:
    """Merge a lead that duplicates an existing contact into it (and so into its account): the
    lead is archived as Merged; the lead, the contact and the account each keep their history."""
    return accepted(
        cmd.on_lead(
            lead_id,
            A.ARCHIVE,
            lambda s, meta, v: s.merge_into_contact(
                lead_id=lead_id, contact_id=body.contact_id, meta=meta, expected_version=v
            ),
        )
    )


@router.post("/convert", response_model=CommandAccepted, **permission(A.EDIT))
def convert(lead_id: UUID, body: ConvertBody, cmd: CommandDep) -> CommandAccepted:
    def terms() -> OpportunityTerms | None:
        """Checked once the caller may act on the lead (a lead out of scope answers 404 first)."""
        if not body.opportunity:
            return None
        needed = ("opportunity_name", "deal_value", "expected_close", "probability")
        missing = [f for f in needed if getattr(body, f) is None]
        if missing:
            raise InvalidCommand(f"an opportunity needs {', '.join(missing)}", field=missing[0])
        return OpportunityTerms(
            name=body.opportunity_name,
            deal_value=body.deal_value,
            expected_close=body.expected_close,
            stage=body.stage,
            probability=body.probability,
        )

    return accepted(
        cmd.on_lead(
            lead_id,
            A.EDIT,
            lambda s, meta, v: s.convert(
                lead_id=lead_id,
                terms=terms(),
                account_id=body.account_id,
                contact_id=body.contact_id,
                new_account=body.new_account,
                new_contact=body.new_contact,
                meta=meta,
                expected_version=v,
            ),
        )
    )


def now() -> datetime:
    return datetime.now(UTC)
