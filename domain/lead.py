"""The Lead aggregate: each command checks the lifecycle and its input, then records one event.

Guards (``check_allowed`` and the value models) raise before any event exists, so a refused
command leaves no trace; ``apply`` methods on the events are the only code that changes state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from domain import lead_events as ev
from domain import limits
from domain.base import Aggregate
from domain.decision import Decision
from domain.errors import (
    AlreadyClaimed,
    ConversionRequirementsUnmet,
    InvalidCommand,
    LeadDeleted,
    LeadErased,
    OwnerChanged,
    QualificationRequirementsUnmet,
)
from domain.lead_duplicates import LeadDuplicates
from domain.lead_scoring import LeadScoring
from domain.lead_tasks import LeadTasks
from domain.lifecycle import LeadCommand as C
from domain.lifecycle import check_allowed
from domain.picklists import BantItem, DisqualifyReason, LeadStatus, Strategy
from domain.records import (
    Activity,
    Attachment,
    ConversionLinks,
    Note,
    OpportunityTerms,
    Task,
)
from domain.values import EventMeta, LeadDetails, validated


class Lead(Aggregate, LeadTasks, LeadScoring, LeadDuplicates):
    """The aggregate: each command checks the lifecycle and its input, then records one event.
    Its state and what derives from it live in :class:`~domain.lead_state.LeadState`."""

    @classmethod
    def capture(cls, *, details: LeadDetails, meta: EventMeta, lead_id: UUID | None = None) -> Lead:
        details.check_reachable()
        return cls._create(ev.LeadCaptured, id=lead_id or uuid4(), details=details, meta=meta)

    # -- commands -----------------------------------------------------------------------------

    def check_allowed(self, command: C) -> None:
        """An erased or deleted lead accepts nothing; otherwise the lifecycle table decides."""
        if self.erased:
            raise LeadErased(self.id)
        if self.deleted:
            raise LeadDeleted(self.id)
        check_allowed(command, self.status)

    def archive(self, *, reason: str | None, meta: EventMeta) -> None:
        """Out of the default lists; archiving an archived lead records nothing."""
        self.check_allowed(C.ARCHIVE)
        if not self.archived:
            self.trigger_event(ev.Archived, reason=reason, meta=meta)

    def unarchive(self, *, meta: EventMeta) -> None:
        """Only an archived lead can be brought back (saying so beats a silent no-op)."""
        self.check_allowed(C.UNARCHIVE)
        if not self.archived:
            raise InvalidCommand("the lead is not archived", field="lead_id")
        self.trigger_event(ev.Unarchived, meta=meta)

    def delete(self, *, reason: str, meta: EventMeta) -> None:
        """A soft delete: the history stays, the lead leaves every list and changes no more."""
        self.check_allowed(C.DELETE)
        if not reason.strip():
            raise InvalidCommand("say why the lead is deleted", field="reason")
        self.trigger_event(ev.Deleted, reason=reason, meta=meta)

    def erase_personal_data(self, *, request: str | None, meta: EventMeta) -> None:
        """Allowed in every status: a converted or merged lead's data is still the person's.
        Erasing twice records nothing more. The contact a conversion created for this lead is
        the same person's record, so it is named for erasure too."""
        if self.erased:
            return
        links = self.conversion
        contact = links.contact_id if links and links.created_contact else None
        self.trigger_event(ev.PersonalDataErased, request=request, contact_id=contact, meta=meta)

    def update_details(self, *, changes: dict[str, Any], meta: EventMeta) -> None:
        """Record only what really changed; an update that changes nothing records nothing."""
        self.check_allowed(C.UPDATE_DETAILS)
        updated = validated(lambda: self.details.with_changes(changes))
        updated.check_reachable()
        changed = self.details.changed_fields(updated)
        if changed:
            self.trigger_event(ev.DetailsUpdated, changes=changed, meta=meta)

    def assign(self, *, owner: str, meta: EventMeta) -> None:
        """A person's choice of owner: always wins over the rules, and is recorded as manual."""
        self.check_allowed(C.ASSIGN)
        if not owner.strip():
            raise InvalidCommand("owner must not be blank", field="owner")
        if owner != self.owner:
            self.trigger_event(ev.Assigned, owner=owner, previous_owner=self.owner, meta=meta)

    def route(self, *, decision: Decision, meta: EventMeta) -> None:
        """Follow the assignment rules' decision (``domain.assignment``): to an owner, or into a
        queue. Going where it already is records nothing."""
        self.check_allowed(C.ROUTE)
        rule = decision.rule_id
        if decision.owner is not None:
            if decision.owner != self.owner or self.queue is not None:
                self.trigger_event(
                    ev.Assigned,
                    owner=decision.owner,
                    previous_owner=self.owner,
                    strategy=decision.strategy,
                    reason=decision.reason,
                    rule_id=rule,
                    rule_revision=decision.revision,
                    team=decision.team,
                    respond_by=decision.respond_by,
                    meta=meta,
                )
        elif decision.queue is not None and (decision.queue != self.queue or self.owner is not None):
            self.trigger_event(
                ev.Queued,
                queue=decision.queue,
                previous_owner=self.owner,
                strategy=decision.strategy,
                reason=decision.reason,
                rule_id=rule,
                rule_revision=decision.revision,
                meta=meta,
            )

    def claim(self, *, user: str, meta: EventMeta) -> None:
        """Take the lead from its queue. Of two racing claims, the one saved second finds the
        lead owned and is refused."""
        self.check_allowed(C.CLAIM)
        if self.queue is None or self.owner is not None:
            raise AlreadyClaimed(lead_id=self.id, owner=self.owner)
        self.trigger_event(
            ev.Assigned,
            owner=user,
            strategy=Strategy.CLAIM,
            reason=f"claimed from queue {self.queue}",
            meta=meta,
        )

    def escalate_overdue(self, *, due: datetime, managers: tuple[str, ...], meta: EventMeta) -> None:
        """Once per lead and target: refused if the lead was contacted, changed owner or target
        since the monitor looked; recording it again for the same target records nothing."""
        self.check_allowed(C.ESCALATE)
        if self.overdue_since == due:
            return
        if self.owner is None or self.respond_by != due or self.first_contacted_at is not None:
            raise InvalidCommand("the lead has no overdue response target now", field="due")
        self.trigger_event(
            ev.ResponseOverdue, owner=self.owner, due=due, rule_id=self.assigned_by_rule, managers=managers, meta=meta
        )

    def transfer(self, *, from_owner: str, to_owner: str, meta: EventMeta) -> None:
        """Assign the lead to ``to_owner`` if ``from_owner`` still owns it (a mass transfer works
        from a list that may be out of date; it must never take a lead from someone else)."""
        if self.owner != from_owner:
            raise OwnerChanged(lead_id=self.id, owner=self.owner, expected=from_owner)
        self.assign(owner=to_owner, meta=meta)

    def contact(self, *, via: str, meta: EventMeta) -> None:
        self.check_allowed(C.CONTACT)
        if not via.strip():
            raise InvalidCommand("say how the lead was contacted", field="via")
        self.trigger_event(ev.Contacted, via=via, meta=meta)

    def log_activity(self, *, activity: Activity, meta: EventMeta) -> None:
        """An activity with a follow-up date (``due_at``) also schedules a task for whoever
        logged it, named by the activity's next step (its subject when the next step is missing
        or longer than a task's subject may be) and reminded at its ``remind_at`` (or when it
        falls due). The task is built first: nothing is recorded if it cannot be."""
        self.check_allowed(C.LOG_ACTIVITY)
        follow_up = None
        if activity.due_at is not None:
            follow_up = Task(
                task_id=uuid5(activity.activity_id, "follow-up"),
                subject=_task_subject(activity),
                assignee=activity.logged_by,
                due_at=activity.due_at,
                remind_at=activity.remind_at or activity.due_at,
                created_by=activity.logged_by,
                from_activity=activity.activity_id,
            )
        self.trigger_event(ev.ActivityLogged, activity=activity, meta=meta)
        if follow_up is not None:
            self.schedule_task(task=follow_up, meta=meta)

    def add_note(self, *, note: Note, meta: EventMeta) -> None:
        self.check_allowed(C.ADD_NOTE)
        self.trigger_event(ev.NoteAdded, note=note, meta=meta)

    def check_can_attach(self) -> None:
        """Whether a file may be attached now (asked before its content is stored)."""
        self.check_allowed(C.ADD_ATTACHMENT)
        most = limits.current().attachments_per_lead
        if len(self.attachments) >= most:
            raise InvalidCommand(f"a lead holds at most {most} attachments", field="file")

    def add_attachment(self, *, attachment: Attachment, meta: EventMeta) -> None:
        self.check_can_attach()
        self.trigger_event(ev.AttachmentAdded, attachment=attachment, meta=meta)

    def follow(self, *, user: str, meta: EventMeta) -> None:
        self.check_allowed(C.FOLLOW)
        if user not in self.followers:
            self.trigger_event(ev.Followed, user=user, meta=meta)

    def unfollow(self, *, user: str, meta: EventMeta) -> None:
        self.check_allowed(C.UNFOLLOW)
        if user in self.followers:
            self.trigger_event(ev.Unfollowed, user=user, meta=meta)

    def update_bant(self, *, changes: dict[BantItem, str | None], meta: EventMeta) -> None:
        self.check_allowed(C.UPDATE_BANT)
        real = {k: (v.strip() or None if v else None) for k, v in changes.items()}
        real = {k: v for k, v in real.items() if self.bant.get(k) != v}
        if real:
            self.trigger_event(ev.BantUpdated, changes=real, meta=meta)

    def qualify(self, *, meta: EventMeta) -> None:
        """Qualified means meeting the BANT criteria: refused, naming what is missing, until
        budget, authority, need and timeline are all recorded."""
        self.check_allowed(C.QUALIFY)
        if self.missing_bant:
            raise QualificationRequirementsUnmet(self.missing_bant)
        self.trigger_event(ev.Qualified, meta=meta)

    def nurture(self, *, reason: str | None, follow_up_on: date | None, meta: EventMeta) -> None:
        self.check_allowed(C.NURTURE)
        self.trigger_event(ev.Nurtured, reason=reason, follow_up_on=follow_up_on, meta=meta)

    def disqualify(self, *, reason: DisqualifyReason, text: str | None, meta: EventMeta) -> None:
        """Also rewrites the reason of a lead that is already Unqualified."""
        self.check_allowed(C.DISQUALIFY)
        self.trigger_event(ev.Disqualified, reason_code=reason, reason_text=text, meta=meta)

    def reopen(self, *, meta: EventMeta) -> None:
        """Back to Contacted if the lead was ever contacted, otherwise to New."""
        self.check_allowed(C.REOPEN)
        to = LeadStatus.CONTACTED if self.first_contacted_at else LeadStatus.NEW
        self.trigger_event(ev.Reopened, to_status=to, meta=meta)

    def convert(self, *, terms: OpportunityTerms | None, links: ConversionLinks, meta: EventMeta) -> None:
        self.check_allowed(C.CONVERT)
        if self.missing_bant:
            raise ConversionRequirementsUnmet(self.missing_bant)
        self.trigger_event(ev.Converted, terms=terms, links=links, meta=meta)

    def raise_aging_alert(
        self, *, status: LeadStatus, days_in_status: int, threshold_days: int, meta: EventMeta
    ) -> None:
        """Refused if the lead has left ``status`` since the monitor looked (its view may lag)."""
        self.check_allowed(C.RAISE_AGING_ALERT)
        if status is not self.status:
            raise InvalidCommand(f"the lead is {self.status.value} now, not {status.value}", field="status")
        if days_in_status < threshold_days:
            raise InvalidCommand("the lead is not over the threshold yet", field="days_in_status")
        self.trigger_event(
            ev.AgingAlerted, status=status, days_in_status=days_in_status, threshold_days=threshold_days, meta=meta
        )


def _task_subject(activity: Activity) -> str:
    step = (activity.next_step or "").strip()
    return step if step and len(step) <= limits.current().short_text else activity.subject
