"""The read side's one door for the API: every query the HTTP edge serves, over the read models.

Routes call these methods and never write SQL; each method opens one read transaction on a
pooled connection (the :class:`Cursors` port) and delegates to the read model that owns the
tables, whose SQL lives beside its projection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from domain.access import LeadScope
from domain.duplicate_policy import Candidate
from domain.errors import InvalidCommand, NotFound
from domain.values import LeadDetails
from projections.aging import Aging
from projections.customer_queries import BadCustomerCursor, CustomerFilter, CustomerQueries
from projections.dedupe_index import DedupeIndex
from projections.duplicate_sets import DuplicateSets
from projections.feeds import Feeds
from projections.lead_detail import LeadDetail
from projections.lead_queries import BadCursor, LeadFilter, LeadQueries, Page, system_view
from projections.reports import Reports
from projections.routing import Routing
from projections.tasks import Tasks
from projections.user_state import UserState


class Cursors(Protocol):
    def cursor(self) -> AbstractContextManager[Any]:
        """A cursor in one transaction on a pooled connection, committed on exit."""
        ...


@contextmanager
def paged() -> Iterator[None]:
    """A cursor the client edited or brought from another list is its input error, named."""
    try:
        yield
    except BadCursor as e:
        raise InvalidCommand(str(e), field="cursor") from None


class ReadModels:
    def __init__(self, *, db: Cursors, schema: str, aging_thresholds: dict[str, int]) -> None:
        self.db = db
        self.leads = LeadQueries(schema=schema)
        self.detail = LeadDetail(schema=schema)
        self.feeds = Feeds(schema=schema)
        self.aging = Aging(schema=schema)
        self.dedupe = DedupeIndex(schema=schema)
        self.reports = Reports(schema=schema)
        self.routing = Routing(schema=schema)
        self.user_state = UserState(schema=schema)
        self.aging_thresholds = aging_thresholds
        self.customers = CustomerQueries(schema=schema)
        self.tasks = Tasks(schema=schema)
        self.schema = schema

    # -- leads ----------------------------------------------------------------------------------

    def find_leads(self, f: LeadFilter, *, sort: str, descending: bool, cursor: str | None, limit: int) -> Page:
        with self.db.cursor() as cur, paged():
            return self.leads.find(cur, f, sort=sort, descending=descending, cursor=cursor, limit=limit)

    def system_view(self, name: str, *, user: str) -> LeadFilter:
        """``aging`` lists the user's open leads over their status threshold, alerted or not."""
        now = datetime.now(UTC)
        aging: tuple[UUID, ...] = ()
        if name == "aging":
            with self.db.cursor() as cur:
                overdue = self.aging.overdue(cur, thresholds=self.aging_thresholds, now=now, alerted_too=True)
            aging = tuple(r["lead_id"] for r in overdue if r["owner"] == user)
        return system_view(name, user=user, now=now, aging_ids=aging)

    def lead_document(self, lead_id: UUID) -> dict[str, Any]:
        with self.db.cursor() as cur:
            doc = self.detail.get(cur, lead_id)
        if doc is None:
            raise NotFound("lead", lead_id)
        return doc

    def mark_lead_read(self, user: str, lead_id: UUID, version: int) -> None:
        """The lead's owner opened it: it is no longer unread for them (until someone else acts)."""
        with self.db.cursor() as cur:
            self.user_state.mark_lead_read(cur, user=user, lead_id=lead_id, version=version)

    def leads_in_scope(self, lead_ids: set[UUID], *, scope: LeadScope) -> set[UUID]:
        with self.db.cursor() as cur:
            return self.leads.in_scope(cur, lead_ids, scope)

    def records_in_scope(self, ids: set[UUID], *, scope: LeadScope) -> set[UUID]:
        """Those of ``ids`` (leads, accounts, contacts, opportunities) that ``scope`` covers."""
        with self.db.cursor() as cur:
            return self.leads.in_scope(cur, ids, scope) | self.customers.in_scope(cur, ids, scope)

    def open_leads_of(self, owner: str) -> list[UUID]:
        with self.db.cursor() as cur:
            return self.leads.open_leads_of(cur, owner)

    # -- accounts, contacts, opportunities ------------------------------------------------------

    def find_customers(
        self, kind: str, f: CustomerFilter, *, scope: LeadScope | None, cursor: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """``kind``: accounts, contacts or opportunities."""
        with self.db.cursor() as cur:
            try:
                return self.customers.find(cur, kind, f, scope=scope, cursor=cursor, limit=limit)
            except BadCustomerCursor as e:
                raise InvalidCommand(str(e), field="cursor") from None

    def customer_document(self, kind: str, record_id: UUID, *, scope: LeadScope | None) -> dict[str, Any]:
        with self.db.cursor() as cur:
            doc = self.customers.get(cur, kind, record_id, scope=scope)
        if doc is None:
            raise NotFound(kind.rstrip("s").replace("opportunitie", "opportunity"), record_id)
        return doc

    # -- duplicate scans ------------------------------------------------------------------------

    def duplicate_scan(self, *, limit: int) -> dict[str, Any]:
        with self.db.cursor() as cur:
            found = DuplicateSets(schema=self.schema).latest(cur, limit=limit)
        if found is None:
            raise NotFound("duplicate scan", "(none has run yet: leads duplicates scan)")
        return found

    # -- tasks ----------------------------------------------------------------------------------

    def tasks_of(self, user: str, *, view: str, now: datetime, limit: int) -> list[dict[str, Any]]:
        with self.db.cursor() as cur:
            rows = self.tasks.of_user(cur, user=user, view=view, now=now, limit=limit)
        return [{k: str(v) if isinstance(v, UUID) else v for k, v in r.items()} for r in rows]

    # -- feeds and the inbox --------------------------------------------------------------------

    def lead_feed(self, lead_id: UUID, *, limit: int, cursor: str | None = None) -> Page:
        with self.db.cursor() as cur, paged():
            return self.feeds.lead_items(cur, lead_id, limit=limit, cursor=cursor)

    def home_feed(self, user: str, *, limit: int, cursor: str | None = None) -> Page:
        with self.db.cursor() as cur, paged():
            return self.feeds.home_items(cur, user, limit=limit, cursor=cursor)

    def inbox(self, user: str, *, unread_only: bool, limit: int, cursor: str | None = None) -> Page:
        with self.db.cursor() as cur, paged():
            return self.feeds.inbox(
                cur, user, reads_table=self.user_state.reads_table, unread_only=unread_only, limit=limit, cursor=cursor
            )

    def mark_read(self, user: str, notification_id: UUID) -> None:
        with self.db.cursor() as cur:
            recipient = self.feeds.recipient_of(cur, notification_id)
            if recipient != user:  # someone else's is as good as none: its existence is not told
                raise NotFound("notification", notification_id)
            self.user_state.mark_read(cur, user=user, notification_id=notification_id)

    # -- saved views ----------------------------------------------------------------------------

    def saved_views(self, user: str) -> list[tuple[str, dict[str, Any]]]:
        with self.db.cursor() as cur:
            return self.user_state.views(cur, user=user)

    def save_view(self, user: str, name: str, filters: dict[str, Any]) -> None:
        with self.db.cursor() as cur:
            self.user_state.save_view(cur, user=user, name=name, filters=filters)

    def delete_view(self, user: str, name: str) -> bool:
        with self.db.cursor() as cur:
            return self.user_state.delete_view(cur, user=user, name=name)

    # -- queues ---------------------------------------------------------------------------------

    def queue(self, name: str, *, limit: int, cursor: str | None = None) -> Page:
        with self.db.cursor() as cur, paged():
            return self.routing.queue(cur, name, limit=limit, cursor=cursor)

    # -- reports and the duplicate index --------------------------------------------------------

    def report(self, name: str, *, scope: LeadScope | None, **kwargs: Any) -> list[dict[str, Any]]:
        """A report over the leads ``scope`` covers (None: all)."""
        with self.db.cursor() as cur:
            rows: list[dict[str, Any]] = getattr(self.reports, name)(cur, scope=scope, **kwargs)
        return rows

    def candidates(self, details: LeadDetails) -> list[Candidate]:
        """The domain's :class:`~domain.duplicates.DuplicateFinder`, over ``dedupe_index``."""
        with self.db.cursor() as cur:
            return self.dedupe.candidates(cur, details.model_dump(mode="json"))

    def candidates_many(self, many: Sequence[LeadDetails]) -> list[list[Candidate]]:
        """:meth:`candidates` of many leads in one query (``domain.duplicates.ChunkFinder``)."""
        with self.db.cursor() as cur:
            return self.dedupe.candidates_many(cur, [d.model_dump(mode="json") for d in many])
