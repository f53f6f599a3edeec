"""``feeds``: the lead feed, each user's home feed, followers, and notifications; accounts and
opportunities have a feed and followers the same way, and their changes reach the home feed.

One projection because the three views share one piece of state: who follows a lead at the
moment of each event. Followers and owners get a home-feed item for every key change; all of
them but the actor of the change also get a notification, with an id stable across rebuilds
(``uuid5`` of lead, version, recipient) so senders downstream can dedupe.

Each batch loads the followers of the leads it touches once, folds the events in memory and
writes every table with one bulk statement each; ``feeds_leads`` (version per lead) makes a
redelivered event a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

from domain.contract.envelope import WORK_STREAMS, Envelope
from projections import keyset
from projections.base import create_once, fetch_dicts, insert_rows, rows_by_lead, staged, upsert_by_lead
from projections.feed_lines import REDACT, kind_of, summary
from projections.lead_queries import Page

MAX_INT4 = 2**31 - 1
NOTIFICATION_NAMESPACE = UUID("6f1d7d4e-6f7e-4f55-9d0c-3b7f0a1c2e10")

DDL = """
CREATE TABLE {leads} (lead_id uuid PRIMARY KEY, version integer NOT NULL, owner text);
CREATE TABLE {followers} (lead_id uuid NOT NULL, user_id text NOT NULL, PRIMARY KEY (lead_id, user_id));
CREATE INDEX ON {followers} (user_id);
CREATE TABLE {lead_feed} (
    lead_id uuid NOT NULL, version integer NOT NULL, kind text NOT NULL, summary text NOT NULL,
    actor text NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (lead_id, version)
);
CREATE TABLE {home_feed} (
    user_id text NOT NULL, lead_id uuid NOT NULL, version integer NOT NULL, at timestamptz NOT NULL,
    PRIMARY KEY (user_id, lead_id, version)
);
CREATE INDEX ON {home_feed} (user_id, at DESC);
CREATE TABLE {notifications} (
    notification_id uuid PRIMARY KEY, recipient text NOT NULL, lead_id uuid NOT NULL, version integer NOT NULL,
    kind text NOT NULL, summary text NOT NULL, actor text NOT NULL, at timestamptz NOT NULL
);
CREATE INDEX ON {notifications} (recipient, at DESC);
"""
ADDED_COLUMNS = """
ALTER TABLE {notifications} ADD COLUMN IF NOT EXISTS traceparent text
"""
"""Columns added since v1 whose default is right for every row projected before them: the trace
an event continues (W3C ``traceparent``, only while tracing is on), so the notifier's publish of a
notification continues it too; rows from before had none to carry. Extended, not rebuilt."""
FOLLOWER_COLUMNS = ("lead_id", "user_id")
NOTIFICATION_COLUMNS = (
    "notification_id",
    "recipient",
    "lead_id",
    "version",
    "kind",
    "summary",
    "actor",
    "at",
    "traceparent",
)


def notification_id(lead_id: UUID, version: int, recipient: str) -> UUID:
    return uuid5(NOTIFICATION_NAMESPACE, f"{lead_id}:{version}:{recipient}")


class Feeds:
    name = "feeds_v1"
    streams = WORK_STREAMS
    """Leads, accounts and opportunities: each has a feed and followers (``lead_id`` is the
    record's id; ids never collide)."""

    def __init__(self, *, schema: str, suffix: str = "") -> None:
        t = {
            k: f"{schema}.{self.name}_{k}{suffix}"
            for k in ("leads", "followers", "lead_feed", "home_feed", "notifications")
        }
        self.leads, self.followers = t["leads"], t["followers"]
        self.lead_feed, self.home_feed, self.notifications = t["lead_feed"], t["home_feed"], t["notifications"]
        self.tables = list(t.values())
        self.schema = schema
        self.published = f"{schema}.notifications_published"
        """Which notifications went out; not among ``tables``, so a rebuild (same notification
        ids) publishes nothing twice."""

    def create(self, cur: Any) -> None:
        create_once(
            cur,
            self.leads,
            DDL.format(
                leads=self.leads,
                followers=self.followers,
                lead_feed=self.lead_feed,
                home_feed=self.home_feed,
                notifications=self.notifications,
            ),
        )
        # only when missing: ALTER TABLE takes its exclusive lock even when the column exists
        cur.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'traceparent' AND NOT attisdropped",
            (self.notifications,),
        )
        if cur.fetchone() is None:
            cur.execute(ADDED_COLUMNS.format(notifications=self.notifications))

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        if not events:
            return
        ids = list({str(e.lead_id) for e in events})
        leads = {
            k: [r["version"], r["owner"]]
            for k, r in rows_by_lead(cur, self.leads, ("version", "owner"), events).items()
        }
        cur.execute(f"SELECT lead_id, user_id FROM {self.followers} WHERE lead_id = ANY(%s::uuid[])", (ids,))
        followers: dict[UUID, set[str]] = {}
        for lead_id, user in cur.fetchall():
            followers.setdefault(lead_id, set()).add(user)
        before = {k: set(v) for k, v in followers.items()}
        feed, home, notes, erased = [], [], [], []
        for e in events:
            state = leads.setdefault(e.lead_id, [0, None])
            if e.version <= state[0]:
                continue
            people = followers.setdefault(e.lead_id, set())
            self._fold(e, state, people)
            if e.kind == "lead.personal_data_erased":
                erased.append(e.lead_id)
            line = summary(e)
            if line is None:
                continue
            feed.append((e.lead_id, e.version, kind_of(e), line, e.actor, e.time))
            audience = people | ({state[1]} if state[1] else set())
            if e.name == "reminder_fired":
                audience = {e.payload["assignee"]}  # a reminder is for its assignee alone
            if e.kind == "lead.response_overdue":
                audience |= {e.payload["owner"], *e.payload["managers"]}
            home += [(user, e.lead_id, e.version, e.time) for user in audience]
            notes += [
                (
                    notification_id(e.lead_id, e.version, user),
                    *(user, e.lead_id, e.version, kind_of(e), line, e.actor, e.time, e.traceparent),
                )
                for user in audience - {e.actor}
            ]
        self._write(cur, leads, before, followers, feed, home, notes)
        if erased:
            for table in (self.lead_feed, self.notifications):
                cur.execute(REDACT.format(t=table), ([str(i) for i in erased],))

    @staticmethod
    def _fold(e: Envelope, state: list[Any], people: set[str]) -> None:
        """Advance (version, owner) and the followers by one event, as the domain does."""
        p = e.payload
        state[0] = e.version
        if e.kind == "lead.assigned":
            state[1] = p["owner"]
            people.add(p["owner"])
        elif e.kind == "lead.queued":
            state[1] = None
        elif e.name == "followed":
            people.add(p["user"])
        elif e.name == "unfollowed":
            people.discard(p["user"])
        elif e.name == "duplicate_absorbed":
            people.update(p["followers"])
        elif e.kind == "opportunity.opened":
            state[1] = e.actor  # the opportunity's owner: who opened it

    def _write(
        self,
        cur: Any,
        leads: dict[UUID, list[Any]],
        before: dict[UUID, set[str]],
        followers: dict[UUID, set[str]],
        feed: list[Any],
        home: list[Any],
        notes: list[Any],
    ) -> None:
        upsert_by_lead(cur, self.leads, ("version", "owner"), [(k, *v) for k, v in leads.items() if v[0]])
        gone = [(k, u) for k, users in before.items() for u in users - followers.get(k, set())]
        new = [(k, u) for k, users in followers.items() for u in users - before.get(k, set())]
        if gone:
            cur.execute(
                f"WITH g AS ({staged(cur, self.followers, FOLLOWER_COLUMNS, gone)}) DELETE FROM {self.followers} f "
                "USING g WHERE f.lead_id = g.lead_id AND f.user_id = g.user_id"
            )
        insert_rows(cur, self.followers, FOLLOWER_COLUMNS, new)
        insert_rows(cur, self.lead_feed, None, feed)
        insert_rows(cur, self.home_feed, None, home)
        insert_rows(cur, self.notifications, NOTIFICATION_COLUMNS, notes)

    # -- queries ---------------------------------------------------------------------------------

    def lead_items(self, cur: Any, lead_id: UUID, *, limit: int, cursor: str | None = None) -> Page:
        after = keyset.decode("lead_feed", cursor, ("int",)) if cursor else [MAX_INT4]
        cur.execute(
            f"SELECT lead_id, version, kind, summary, actor, at FROM {self.lead_feed} WHERE lead_id = %s "
            "AND version < %s ORDER BY version DESC LIMIT %s",
            (lead_id, after[0], limit + 1),
        )
        return keyset.page("lead_feed", fetch_dicts(cur), limit, ("version",))

    def home_items(self, cur: Any, user: str, *, limit: int, cursor: str | None = None) -> Page:
        past = ""
        params: list[Any] = [user]
        if cursor:
            past = "AND (h.at, h.lead_id, h.version) < (%s, %s, %s)"
            params += keyset.decode("home_feed", cursor, ("moment", "uuid", "int"))
        cur.execute(
            f"SELECT f.lead_id, f.version, f.kind, f.summary, f.actor, f.at FROM {self.home_feed} h "
            f"JOIN {self.lead_feed} f USING (lead_id, version) WHERE h.user_id = %s {past} "
            "ORDER BY h.at DESC, h.lead_id DESC, h.version DESC LIMIT %s",
            (*params, limit + 1),
        )
        return keyset.page("home_feed", fetch_dicts(cur), limit, ("at", "lead_id", "version"))

    def inbox(
        self, cur: Any, user: str, *, reads_table: str, unread_only: bool, limit: int, cursor: str | None = None
    ) -> Page:
        """``reads_table``: (user_id, notification_id) marks kept outside the projection."""
        unread = "AND r.notification_id IS NULL" if unread_only else ""
        params: list[Any] = [user]
        if cursor:
            unread += " AND (n.at, n.version, n.notification_id) < (%s, %s, %s)"
            params += keyset.decode("inbox", cursor, ("moment", "int", "uuid"))
        cur.execute(
            f"SELECT n.notification_id, n.lead_id, n.version, n.kind, n.summary, n.actor, n.at, "
            f"       r.notification_id IS NOT NULL AS read "
            f"FROM {self.notifications} n LEFT JOIN {reads_table} r "
            f"  ON r.user_id = n.recipient AND r.notification_id = n.notification_id "
            f"WHERE n.recipient = %s {unread} ORDER BY n.at DESC, n.version DESC, n.notification_id DESC LIMIT %s",
            (*params, limit + 1),
        )
        return keyset.page("inbox", fetch_dicts(cur), limit, ("at", "version", "notification_id"))

    def recipient_of(self, cur: Any, notification_id: UUID) -> str | None:
        cur.execute(f"SELECT recipient FROM {self.notifications} WHERE notification_id = %s", (notification_id,))
        row = cur.fetchone()
        return str(row[0]) if row else None

    # -- the notifier's outbox --------------------------------------------------------------------

    def create_outbox(self, cur: Any) -> None:
        self.create(cur)
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {self.published} "
            "(notification_id uuid PRIMARY KEY, published_at timestamptz NOT NULL DEFAULT now())"
        )

    def claim_unpublished(self, cur: Any, *, limit: int) -> list[dict[str, Any]]:
        """The oldest notifications not yet published, locked for this transaction; rows other
        notifiers hold are skipped, so several share the work instead of sending twice."""
        cur.execute(
            f"SELECT n.* FROM {self.notifications} n WHERE NOT EXISTS "
            f"(SELECT 1 FROM {self.published} p WHERE p.notification_id = n.notification_id) "
            "ORDER BY n.at, n.notification_id LIMIT %s FOR UPDATE OF n SKIP LOCKED",
            (limit,),
        )
        return fetch_dicts(cur)

    def mark_published(self, cur: Any, notification_ids: list[UUID]) -> None:
        insert_rows(cur, self.published, ("notification_id",), [(i,) for i in notification_ids])
