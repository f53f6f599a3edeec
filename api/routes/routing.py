"""Assignment rules, queues and routing on demand over HTTP."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.auth import Action as A
from api.auth import permission
from api.deps import MetaDep, PrincipalDep, QueriesDep, ServiceDep
from api.models import CommandAccepted
from api.paging import LINKED, Cursor, Limit, linked
from api.routes.commands import accepted
from api.routes.directory import HandlePath, route_result
from api.routing_models import QueuedLead, RouteBody, RouteResult, RulesBody, RulesPublic, RulesRevision
from domain.assignment import RoutingRules
from domain.errors import DomainError
from domain.routes_leads import RouteOutcome

router = APIRouter(tags=["routing"])


@router.get("/routing/rules", response_model=RulesPublic, **permission(A.VIEW))
def get_rules(service: ServiceDep) -> RulesPublic:
    """The rules in force, in order."""
    current = service.routing_rules()
    return RulesPublic(revision=current.revision, rules=list(current.rules))


@router.put("/routing/rules", response_model=RulesPublic, **permission(A.ADMINISTER))
def publish_rules(body: RulesBody, service: ServiceDep, meta: MetaDep) -> RulesPublic:
    """Publish a new revision of the whole list. It is checked first, against the directory:
    unknown fields, operators that do not fit a field, bad values and empty ranges, rules after
    a catch-all (unreachable), unknown or inactive users, unknown or empty teams. A list with
    any problem is refused with 422 and `problems` naming each rule, field and reason."""
    result = service.publish_rules(rules=tuple(body.rules), meta=meta)
    return RulesPublic(revision=RoutingRules.revision_at(result.version), rules=body.rules)


@router.get("/routing/rules/history", response_model=list[RulesRevision], **permission(A.REPLAY))
def rules_history(service: ServiceDep) -> list[RulesRevision]:
    """Every published revision: when, by whom, and the whole list."""
    return [
        RulesRevision(revision=e.revision, published_at=e.timestamp, published_by=e.meta.actor, rules=list(e.rules))
        for e in service.rules_history()
        if isinstance(e, RoutingRules.Published)
    ]


@router.get("/queues/{name}/leads", response_model=list[QueuedLead], responses=LINKED, **permission(A.VIEW))
def queue(
    name: HandlePath,
    queries: QueriesDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> list[QueuedLead]:
    """The leads waiting in a team's queue, oldest first: for its members and managers (and
    whoever sees every lead). The fallback queue is the team named by `LEADS_ROUTING__FALLBACK_QUEUE`."""
    principal.require_queue(name)
    page = queries.queue(name, limit=limit, cursor=cursor)
    return [QueuedLead.model_validate(row) for row in linked(page, request, response)]


@router.post("/leads/{lead_id:uuid}/claim", response_model=CommandAccepted, **permission(A.EDIT))
def claim(lead_id: UUID, service: ServiceDep, principal: PrincipalDep, meta: MetaDep) -> CommandAccepted:
    """Take a lead waiting in one of your queues. Of two racing claims exactly one wins; the
    other gets 409 `already-claimed`."""
    principal.require_claim(service.get_lead(lead_id))
    return accepted(service.claim(lead_id=lead_id, user=principal.user, meta=meta))


@router.post("/leads/route", response_model=RouteResult, **permission(A.EDIT))
def route(body: RouteBody, service: ServiceDep, principal: PrincipalDep, meta: MetaDep) -> RouteResult:
    """Run the assignment rules again for these leads, each on its own (a manual assignment is
    replaced by what the rules say). Leads outside your scope are refused, not routed."""
    allowed, refused = [], []
    for lead_id in dict.fromkeys(body.lead_ids):
        try:
            principal.require_lead(A.EDIT, service.get_lead(lead_id))
            allowed.append(lead_id)
        except DomainError as e:
            refused.append(RouteOutcome(lead_id, done=False, reason=str(e)))
    return route_result(service.route(lead_ids=allowed, meta=meta) + refused)
