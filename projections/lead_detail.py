"""``lead_detail``: the current document of each lead, as the detail page shows it.

The document is folded in Python from the events (a batch loads the documents it touches
once and writes them back with one statement), so its shape follows the events closely:
details, status, owner, followers, activities, notes, attachments, BANT, score, and the links
to merged leads and to the opportunity, account and contact of a conversion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from jsonpath_ng import parse as parse_path
from psycopg.types.json import Jsonb

from domain.contract.envelope import Envelope
from domain.lead_personal import whole_lead_personal
from projections.base import OneTable, next_status, rows_by_lead, upsert_by_lead

DDL = "CREATE TABLE {t} (lead_id uuid PRIMARY KEY, version integer NOT NULL, doc jsonb NOT NULL)"

Doc = dict[str, Any]


def new_doc(e: Envelope) -> Doc:
    return {
        "lead_id": str(e.lead_id),
        "details": e.payload["details"],
        "status": "new",
        "status_reason": None,
        "owner": None,
        "followers": [],
        "activities": [],
        "notes": [],
        "attachments": [],
        "bant": {},
        "score": {"rule": 0, "adjustment": 0, "shown": 0},
        "first_contacted_at": None,
        "duplicate_of": None,
        "duplicate_of_kind": None,
        "duplicate_candidates": [],
        "not_duplicate_of": [],
        "merged_into": None,
        "merged_into_contact": None,
        "absorbed": [],
        "conversion": None,
        "created_at": e.time.isoformat(),
        "created_by": e.actor,
        "erased": False,
    }


def _follow(doc: Doc, *users: str) -> None:
    doc["followers"] = sorted(set(doc["followers"]) | set(users))


def _assign(doc: Doc, owner: str) -> None:
    doc["owner"] = owner
    _follow(doc, owner)


def _score(doc: Doc, rule: int | None = None, points: int = 0) -> None:
    s = doc["score"]
    s["rule"] = s["rule"] if rule is None else rule
    shown = max(0, min(100, s["rule"] + s["adjustment"] + points))
    s["adjustment"] = shown - s["rule"]
    s["shown"] = shown


def _scored(doc: Doc, p: dict[str, Any]) -> None:
    """The score and its explanation: grade, model version, breakdown, contributions, cause."""
    _score(doc, rule=sum(p["breakdown"].values()))
    explained = ("grade", "model_version", "breakdown", "contributions", "cause")
    doc["score"].update({k: p.get(k) for k in explained})


def _adjusted(doc: Doc, points: int) -> None:
    _score(doc, points=points)
    doc["score"]["cause"] = "manual"


def _bant(doc: Doc, changes: dict[str, str | None]) -> None:
    for item, value in changes.items():
        if value:
            doc["bant"][item] = value
        else:
            doc["bant"].pop(item, None)


def _forget(doc: Doc) -> None:
    """What replaying the lead's events after its erasure gives: every personal field reads as
    its erased value (the events' own declarations say which and how), BANT is empty, and a
    disqualification keeps only its reason code."""
    for expression, value in whole_lead_personal("details").items():
        parse_path(expression).update(doc, value)
    doc["bant"] = {}
    doc["status_reason"] = doc.get("disqualify_code") if doc["status_reason"] else None
    doc["erased"] = True


def _reason(doc: Doc, reason: str | None, code: str | None = None) -> None:
    doc["status_reason"] = code + (f": {reason}" if reason else "") if code else reason
    doc["disqualify_code"] = code


def _absorb(doc: Doc, p: dict[str, Any]) -> None:
    doc["details"] = doc["details"] | p["fields_taken"]
    for key in ("activities", "notes", "attachments"):
        doc[key] += p[key]
    _follow(doc, *p["followers"])
    doc["absorbed"].append(p["duplicate_id"])


FOLDS: dict[str, Callable[[Doc, dict[str, Any], Envelope], None]] = {
    "details_updated": lambda d, p, e: d.update(details=d["details"] | p["changes"]),
    "assigned": lambda d, p, e: _assign(d, p["owner"]),
    "contacted": lambda d, p, e: d.update(first_contacted_at=d["first_contacted_at"] or e.time.isoformat()),
    "activity_logged": lambda d, p, e: d["activities"].append(p["activity"]),
    "note_added": lambda d, p, e: d["notes"].append(p["note"]),
    "attachment_added": lambda d, p, e: d["attachments"].append(p["attachment"]),
    "followed": lambda d, p, e: _follow(d, p["user"]),
    "unfollowed": lambda d, p, e: d.update(followers=[u for u in d["followers"] if u != p["user"]]),
    "scored": lambda d, p, e: _scored(d, p),
    "score_reclassified": lambda d, p, e: d["score"].update(model_version=p["model_version"]),
    "score_adjusted": lambda d, p, e: _adjusted(d, p["points"]),
    "likelihood_estimated": lambda d, p, e: d["score"].update(
        likelihood=p["probability"], likelihood_model_version=p["model_version"], likelihood_factors=p["factors"]
    ),
    "bant_updated": lambda d, p, e: _bant(d, p["changes"]),
    "nurtured": lambda d, p, e: _reason(d, p.get("reason")),
    "disqualified": lambda d, p, e: _reason(d, p.get("reason_text"), p["reason_code"]),
    "reopened": lambda d, p, e: _reason(d, None),
    "marked_duplicate": lambda d, p, e: d.update(
        duplicate_of=p["of_id"], duplicate_of_kind=p["of_kind"], duplicate_candidates=p["candidates"]
    ),
    "duplicate_dismissed": lambda d, p, e: d.update(
        not_duplicate_of=[*d.get("not_duplicate_of", []), p["of_id"]],
        **({"duplicate_of": None, "duplicate_of_kind": None} if d.get("duplicate_of") == p["of_id"] else {}),
    ),
    "merged_into_contact": lambda d, p, e: d.update(merged_into_contact=p["contact_id"], account_id=p["account_id"]),
    "merged_into": lambda d, p, e: d.update(merged_into=p["master_id"]),
    "duplicate_absorbed": lambda d, p, e: _absorb(d, p),
    "converted": lambda d, p, e: d.update(conversion=p["links"] | {"opportunity": p.get("terms")}),
    "personal_data_erased": lambda d, p, e: _forget(d),
}


def fold(doc: Doc, e: Envelope) -> None:
    """Advance the document by one event."""
    fold_event = FOLDS.get(e.name)
    if fold_event:
        fold_event(doc, e.payload, e)
    doc["status"] = next_status(doc["status"], e)
    doc["version"] = e.version
    doc["updated_at"] = e.time.isoformat()


class LeadDetail(OneTable):
    ddl = DDL
    name = "lead_detail_v1"

    def apply(self, cur: Any, events: Sequence[Envelope]) -> None:
        if not events:
            return
        docs: dict[UUID, Doc] = {k: r["doc"] for k, r in rows_by_lead(cur, self.table, ["doc"], events).items()}
        changed: set[UUID] = set()
        for e in events:
            doc = docs.get(e.lead_id)
            if doc is not None and e.version <= doc["version"]:
                continue
            if doc is None:
                if e.name != "captured":
                    raise ValueError(f"{e.type} for lead {e.lead_id}, which was never captured")
                doc = docs[e.lead_id] = new_doc(e)
            fold(doc, e)
            changed.add(e.lead_id)
        upsert_by_lead(cur, self.table, ("version", "doc"), [(k, docs[k]["version"], Jsonb(docs[k])) for k in changed])

    def get(self, cur: Any, lead_id: UUID) -> Doc | None:
        cur.execute(f"SELECT doc FROM {self.table} WHERE lead_id = %s", (lead_id,))
        row = cur.fetchone()
        return dict(row[0]) if row else None
