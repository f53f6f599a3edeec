"""Typed domain errors. The API maps each class to one HTTP status in one place (api/errors.py)."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """Base class: a command was refused by the rules of the domain."""


class InvalidCommand(DomainError):
    """A command's input breaks a validation rule; ``field`` names the offending input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class IdempotencyKeyReused(InvalidCommand):
    """An idempotency key already used for a different request (another body, path or method):
    answering with the first result would hide that the second request was never carried out."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request; use a new key for a new request",
            field="Idempotency-Key",
        )


class IllegalTransition(DomainError):
    """The command is not allowed in the lead's current status."""

    def __init__(self, *, command: str, status: str) -> None:
        super().__init__(f"cannot {command} a lead whose status is {status}")
        self.command = command
        self.status = status


class LeadErased(DomainError):
    """The lead's personal data was erased; it accepts no further changes."""

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} had its personal data erased; it accepts no further changes")
        self.lead_id = lead_id


class LeadDeleted(DomainError):
    """An admin deleted the lead; it accepts no further changes (its personal data can still be erased)."""

    def __init__(self, lead_id: UUID) -> None:
        super().__init__(f"lead {lead_id} was deleted; it accepts no further changes")
        self.lead_id = lead_id


class QualificationRequirementsUnmet(DomainError):
    """Qualified means the lead meets the BANT criteria (the product brief's status table), so
    qualifying needs every BANT item recorded; ``missing`` names the items still to record."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            "a lead is qualified when it meets the BANT criteria; record these BANT items first: " + ", ".join(missing)
        )
        self.missing = missing


class ConversionRequirementsUnmet(DomainError):
    """Conversion needs a qualified lead with every BANT item recorded."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("conversion requires a complete BANT checklist; missing: " + ", ".join(missing))
        self.missing = missing


class NotFound(DomainError):
    """The named thing (an aggregate, a version of one, a saved view...) does not exist."""

    field: str | None = None
    """The request input that named what does not exist, when it was not the path."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class NoSuchVersion(NotFound):
    """A lead asked for as it was at a version past its last, or at a time before its first
    event: ``field`` names the query parameter, and the message says what exists."""

    def __init__(self, *, lead_id: UUID, field: str, asked: object, head: int) -> None:
        before_first = field != "version"
        super().__init__(*(("lead", lead_id) if before_first else ("version of lead", f"{lead_id} v{asked}")))
        self.args = (
            f"lead {lead_id} has no version {asked}: its versions are 1 to {head}"
            if not before_first
            else f"lead {lead_id} did not exist yet at {asked}",
        )
        self.field = field
        self.head = head


class VersionConflict(DomainError):
    """The caller's expected version is stale, or another writer saved first."""

    def __init__(self, *, aggregate_id: UUID, expected: int | None, actual: int | None) -> None:
        super().__init__(
            f"lead {aggregate_id} is at version {actual}, not the expected version {expected}"
            if expected is not None
            else f"lead {aggregate_id} was changed by another writer; reload and retry"
        )
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.actual = actual


class LeadExists(VersionConflict):
    """A capture named the id of a lead that already exists (a new lead needs a new id)."""

    field = "lead_id"

    def __init__(self, lead_id: UUID) -> None:
        DomainError.__init__(
            self,
            f"lead_id: a lead with id {lead_id} already exists; capturing creates a new lead, so omit lead_id "
            "(the engine picks one) or send a command to that lead instead",
        )
        self.aggregate_id = lead_id
        self.expected = None
        self.actual = None


class DeadLetterResolved(DomainError):
    """A dead letter was already replayed or discarded: each is resolved once, so none loops."""

    def __init__(self, record: str, action: str, actor: str, at: str) -> None:
        super().__init__(f"dead letter {record} was already {action} by {actor} at {at}")
        self.record = record


class SubjectErased(DomainError):
    """Personal data was about to be stored for a subject whose key is destroyed (a command
    that loaded the lead just before another request erased it)."""

    def __init__(self, subject: UUID) -> None:
        super().__init__(f"{subject} had its personal data erased; no personal data can be stored for it again")
        self.subject = subject


class Unavailable(DomainError):
    """The store did not answer in time (a lock or statement timeout) or is unreachable; the
    command or query changed nothing and may be retried."""


class OwnerChanged(DomainError):
    """The lead is no longer owned by the owner the command named."""

    def __init__(self, *, lead_id: UUID, owner: str | None, expected: str) -> None:
        super().__init__(f"lead {lead_id} is owned by {owner or 'no one'} now, not by {expected}")
        self.lead_id = lead_id
        self.owner = owner
        self.expected = expected


class CapacityReached(DomainError):
    """Routing chose a user who, by the time the lead was saved, was full, away or inactive;
    the lead is routed again without them."""

    def __init__(self, user: str) -> None:
        super().__init__(f"{user} takes no more routed leads now (away, inactive or at capacity)")
        self.user = user


class AlreadyClaimed(DomainError):
    """The lead is not waiting in a queue (anymore): someone claimed or was given it first."""

    def __init__(self, *, lead_id: UUID, owner: str | None) -> None:
        super().__init__(
            f"lead {lead_id} is owned by {owner} now" if owner else f"lead {lead_id} is not waiting in a queue"
        )
        self.lead_id = lead_id
        self.owner = owner


class ReminderAlreadyFired(DomainError):
    """The task's reminder was sent already (by this scheduler or another): it fires once."""

    def __init__(self, task_id: UUID) -> None:
        super().__init__(f"the reminder of task {task_id} already fired")
        self.task_id = task_id


class DeclaredDistinct(DomainError):
    """A person already decided this lead is not a duplicate of that record; it is not flagged again."""

    def __init__(self, *, lead_id: UUID, of_id: UUID) -> None:
        super().__init__(f"lead {lead_id} was declared not a duplicate of {of_id}")
        self.lead_id = lead_id
        self.of_id = of_id


class JobOver(DomainError):
    """A job (an import, a mass action) that finished or was refused has nothing left to cancel."""

    def __init__(self, kind: str, job_id: object, state: str) -> None:
        super().__init__(f"{kind} {job_id} is {state}; there is nothing left to cancel")
        self.state = state
