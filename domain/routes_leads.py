"""Routing leads: on capture, on reopen, when their owner leaves, on demand, when overdue.

Every routed save carries the lead's decision, the team rotation's turn and the owner's workload
in one transaction (the turn and the workload in one statement). Two writers that chose from the
same rotation conflict on its row's version; an owner found full, away or inactive by the
workload gate refuses the save. Either way the lead is decided again on fresh state (without
that owner), and after ``attempts`` tries it goes to the fallback queue: a capture never fails
because of routing.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from domain.assignment import Situation, decide
from domain.base import Aggregate
from domain.command_handling import CommandResult
from domain.decision import Decision
from domain.directory import UserStatus
from domain.directory_service import ManagesDirectory
from domain.errors import CapacityReached, DomainError, InvalidCommand, VersionConflict
from domain.lead import Lead
from domain.lead_events import Assigned
from domain.lead_state import LeadState
from domain.picklists import ROUTED, Strategy
from domain.rotation import Rotation
from domain.values import EventMeta

log = logging.getLogger(__name__)
FULL_MEMORY_S = 0.5
"""How long a user found full stays out of this process's choices before being tried again."""

Build = Callable[[frozenset[str] | None], Lead | None]
"""Makes one try of a routed command: the lead, acted on and routed (None: nothing to do).
Given the owners found full on earlier tries, or None on the last try: the fallback queue."""


@dataclass(frozen=True)
class RouteOutcome:
    lead_id: UUID
    done: bool
    reason: str | None = None


class RoutesLeads(ManagesDirectory):
    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.routing_fallbacks = 0
        """Leads sent to the fallback queue because routing failed (not because no rule
        matched): reported by ``/health``."""
        self.routing_last_failure: str | None = None
        self._full_until: dict[str, float] = {}

    # -- the decision, saved with its consequences ------------------------------------------------

    def route_lead(
        self, lead: Lead, *, meta: EventMeta, excluded: frozenset[str] | None, occasion: str | None = None
    ) -> None:
        """Decide where ``lead`` goes and record it on the lead, and the turn on its team's
        rotation (kept for the save). ``excluded`` None: straight to the fallback queue.
        ``occasion``: why it is routed again, put before the decision's reason."""
        situation = Situation(
            rules=self.routing_rules(),
            directory=self.directory(),
            rotation=lambda team: self._rotation_for(team, meta),
            loads=self.workloads.loads,
            fallback_queue=self.routing_settings.fallback_queue,
            now=datetime.now(UTC),
        )
        if excluded is None:
            decision = self._fallback("routing kept conflicting with other writers")
        else:
            try:
                decision = decide(lead, situation=situation, creator=lead.captured_by or "", excluded=excluded)
            except Exception as e:  # a rule must never fail a capture
                log.exception("routing: deciding lead %s failed", lead.id)
                decision = self._fallback(f"routing failed ({type(e).__name__}: {e})")
        if occasion:
            decision = replace(decision, reason=f"{occasion}; {decision.reason}")
        lead.route(decision=decision, meta=meta)
        if decision.team and decision.owner and decision.strategy in ROUTED:
            rotation = self._rotation_for(decision.team, meta)
            rotation.take_turn(member=decision.owner, counted=decision.strategy is Strategy.ROUND_ROBIN)

    def _recently_full(self) -> set[str]:
        """Users this process found full, away or inactive in the last ``FULL_MEMORY_S``: not
        chosen again at once (their gate would refuse them, and each refusal costs a try)."""
        now = time.monotonic()
        return {user for user, until in list(self._full_until.items()) if until > now}

    def _fallback(self, why: str) -> Decision:
        self.routing_fallbacks += 1
        self.routing_last_failure = why
        queue = self.routing_settings.fallback_queue
        return Decision(Strategy.FALLBACK, f"{why}: fallback queue {queue}", queue=queue)

    def _rotation_for(self, team: str, meta: EventMeta) -> Rotation:
        """The same rotation object for every use within one try."""
        tries = self._tries
        if team not in tries:
            tries[team] = self.rotation(team, meta=meta)
        return tries[team]

    @property
    def _tries(self) -> dict[str, Rotation]:
        tries: dict[str, Rotation] | None = getattr(self._local, "rotations", None)
        if tries is None:
            tries = self._local.rotations = {}
        return tries

    def _routed(self, command: str, meta: EventMeta, build: Build) -> CommandResult | None:
        """Run ``build`` and save its lead with the rotations it touched, trying again on fresh
        state (and without owners found full) until it saves; the last try uses the fallback."""
        excluded = self._recently_full()
        attempts = self.routing_settings.attempts
        for attempt in range(attempts):
            done = self._previous_result(command, meta)
            if done:
                return done
            self._tries.clear()
            last = attempt == attempts - 1
            lead = build(None if last else frozenset(excluded))
            rotations = [r for r in self._tries.values() if r.moved or r.pending_events]
            if lead is None:
                return None
            try:
                result = self._save(command, meta, lead, lead, *rotations)
            except CapacityReached as full:
                excluded.add(full.user)
                self._full_until[full.user] = time.monotonic() + FULL_MEMORY_S
                continue
            except VersionConflict:
                self.forget_rotations(list(self._tries.values()))
                if last:
                    raise
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no mutate

    # -- workloads follow every save ------------------------------------------------------------

    def _after_load(self, aggregate: Aggregate) -> None:
        if isinstance(aggregate, LeadState):
            aggregate.saved_holder = aggregate.holder

    def _before_save(self, aggregates: Sequence[Aggregate]) -> None:
        """Stage the change of holder of every lead in the save (who works it, for capacity),
        with the turn of the team whose rotation chose them (written in the same statement)."""
        turned = {r.team: r for r in aggregates if isinstance(r, Rotation) and r.moved}
        for lead in aggregates:
            if isinstance(lead, LeadState) and lead.holder != lead.saved_holder:
                routed = next(
                    (e for e in lead.pending_events if isinstance(e, Assigned) and e.strategy in ROUTED), None
                )
                rotation = turned.pop(routed.team, None) if routed is not None and routed.team else None
                self.workloads.stage_holder(
                    lead.id,
                    lead.holder,
                    routed=routed is not None and lead.holder is not None,
                    turns=rotation.staged_turns() if rotation is not None else None,
                )
                lead.saved_holder = lead.holder
        super()._before_save(aggregates)

    # -- commands -------------------------------------------------------------------------------

    def route(self, *, lead_ids: Sequence[UUID], meta: EventMeta) -> list[RouteOutcome]:
        """Run the rules again for each lead, each on its own (one idempotent command per lead)."""
        return [self._route_one(lead_id, meta, occasion=f"routed again by {meta.actor}") for lead_id in lead_ids]

    def _route_one(self, lead_id: UUID, meta: EventMeta, *, occasion: str) -> RouteOutcome:
        key = f"{meta.command_id}/{lead_id}" if meta.command_id else None
        one = meta.model_copy(update={"command_id": key})

        def build(excluded: frozenset[str] | None) -> Lead:
            lead = self._load(Lead, lead_id, None)
            self.route_lead(lead, meta=one, excluded=excluded, occasion=occasion)
            return lead

        try:
            self._routed("route", one, build)
            return RouteOutcome(lead_id, done=True)
        except DomainError as e:
            return RouteOutcome(lead_id, done=False, reason=str(e))

    def claim(self, *, lead_id: UUID, user: str, meta: EventMeta) -> CommandResult:
        return self._change("claim", lead_id, meta, None, lambda lead: lead.claim(user=user, meta=meta))

    def deactivate_user(self, *, name: str, meta: EventMeta) -> list[RouteOutcome]:
        """Mark the user inactive and route every lead they hold in progress again; repeating it
        routes whatever they still hold (after an interruption, say)."""
        self.change_user_status(name=name, status=UserStatus.INACTIVE, meta=meta)
        why = f"{name} is inactive"
        return [self._route_one(lead_id, meta, occasion=why) for lead_id in self.workloads.held_by(name)]

    def escalate_overdue(self, *, lead_id: UUID, due: datetime, meta: EventMeta) -> bool:
        """Speed to lead: record that the owner missed the target, naming their managers, and
        route the lead again if its rule says so. Whether this call escalated it (False: it
        was escalated for this target before, by this command or another)."""
        directory = self.directory()

        def build(excluded: frozenset[str] | None) -> Lead | None:
            lead = self._load(Lead, lead_id, None)
            owner = lead.owner or ""
            managers = tuple(sorted({m for t in directory.teams_of(owner) for m in directory.teams[t].managers}))
            lead.escalate_overdue(due=due, managers=managers, meta=meta)
            if not lead.pending_events:
                return None
            rule = next((r for r in self.routing_rules().rules if r.id == lead.assigned_by_rule), None)
            if rule is not None and rule.reroute_when_overdue:
                left = None if excluded is None else excluded | {owner}
                self.route_lead(lead, meta=meta, excluded=left, occasion=f"{owner} did not respond in time")
            return lead

        result = self._routed("escalate_overdue", meta, build)
        return result is not None and not result.replayed

    def check_owner(self, owner: str) -> None:
        """A manual assignment may go to anyone but an inactive user of the directory."""
        user = self.directory().users.get(owner)
        if user is not None and user.status == "inactive":
            raise InvalidCommand(f"{owner} is inactive", field="owner")
