"""What a feed item and a notification say about each change: one line per key change (and none
for what nobody needs in a feed, such as scores and signals), what the change is called, and how
the lines that quote personal data read once the lead is erased."""

from __future__ import annotations

from domain.contract.envelope import Envelope

SHARED = frozenset({"task_scheduled", "reminder_fired", "task_completed"})
"""Events an account or opportunity records as a lead does (same payload, same line)."""


def summary(e: Envelope) -> str | None:
    """One line for a key change; None for what no one needs in a feed (scores, signals...)."""
    p = e.payload
    lines = {
        "captured": lambda: f"captured {p['details']['contact_name']}",
        "details_updated": lambda: f"updated {', '.join(sorted(p['changes']))}",
        "assigned": lambda: f"assigned to {p['owner']}" + (f": {p['reason']}" if p.get("reason") else ""),
        "queued": lambda: f"queued in {p['queue']}" + (f": {p['reason']}" if p.get("reason") else ""),
        "response_overdue": lambda: f"not contacted by {p['due']}: {p['owner']} and their managers are told",
        "contacted": lambda: f"contacted by {p['via']}",
        "activity_logged": lambda: f"logged a {p['activity']['kind']}: {p['activity']['subject']}",
        "note_added": lambda: "added a note",
        "attachment_added": lambda: f"attached {p['attachment']['name']}",
        "score_adjusted": lambda: f"adjusted the score by {p['points']:+d}: {p['reason']}",
        "qualified": lambda: "qualified the lead",
        "nurtured": lambda: "moved the lead to nurture",
        "disqualified": lambda: f"disqualified the lead ({p['reason_code']})",
        "reopened": lambda: f"reopened the lead as {p['to_status']}",
        "marked_duplicate": lambda: f"marked as a possible duplicate of {p['of_kind']} {p['of_id']}",
        "duplicate_dismissed": lambda: f"declared not a duplicate of {p['of_kind']} {p['of_id']}",
        "merged_into_contact": lambda: f"merged into contact {p['contact_id']}",
        "task_scheduled": lambda: f"scheduled a task for {p['task']['assignee']}, due {p['task']['due_at']}",
        "reminder_fired": lambda: f"reminder: a task of {p['assignee']} is due {p['due_at']}",
        "task_completed": lambda: "completed a task",
        "merged_into": lambda: f"merged into {p['master_id']}",
        "duplicate_absorbed": lambda: f"merged {p['duplicate_id']} into this lead",
        "converted": lambda: (
            f"converted into opportunity {p['terms']['name']}" if p.get("terms") else "converted into a contact"
        ),
        "personal_data_erased": lambda: "erased the lead's personal data",
        "aging_alerted": lambda: f"{p['status']} for {p['days_in_status']} days (limit {p['threshold_days']})",
        "account.registered": lambda: f"registered the account {p['name']}",
        "account.lead_linked": lambda: f"converted lead {p['lead_id']} into the account",
        "account.lead_merged": lambda: f"merged lead {p['lead_id']} into contact {p['contact_id']}",
        "opportunity.opened": lambda: f"opened the opportunity {p['terms']['name']}",
        "opportunity.stage_moved": lambda: f"moved from {p['previous']} to {p['stage']}",
        "opportunity.amount_changed": lambda: f"changed the amount from {p['previous']} to {p['amount']}",
        "opportunity.probability_changed": lambda: (
            f"changed the probability from {p['previous']} to {p['probability']}"
        ),
        "opportunity.close_date_changed": lambda: f"moved the close date from {p['previous']} to {p['close_date']}",
    }
    line = lines.get(e.name if e.stream == "lead" or e.name in SHARED else e.kind)
    return line() if line else None


def kind_of(e: Envelope) -> str:
    """What a feed item and notification call the change: the lead's event name (``captured``),
    or the record's event with its record (``account.task_scheduled``), so a reader knows whose
    id ``lead_id`` is."""
    return e.name if e.stream == "lead" else e.kind


REDACT = """
UPDATE {t} SET summary = CASE kind WHEN 'captured' THEN 'captured [erased]'
                                   WHEN 'attachment_added' THEN 'attached [erased]'
                                   ELSE regexp_replace(summary, ': .*$', ': [erased]') END
WHERE lead_id = ANY(%s::uuid[]) AND kind IN ('captured', 'attachment_added', 'activity_logged', 'score_adjusted')
"""
"""Rewrites the lines of :func:`summary` that quote personal data to what they read when
replayed after the erasure (the quoted field as ``[erased]``)."""
