"""Leads with planted duplicates, for the duplicate scan's bench stage and its test: every
original is unique (its own email and phone; four people per company with different names), and
each planted copy changes what people change: the email's case and the name's spacing, the phone
written another way, or a typo in the last name (at the same company, no email or phone shared)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from bench.stages import projected, until
from domain.values import LeadDetails

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Dennis",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Linus",
    "Guido",
    "Bjarne",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Whitfield",
    "Martin",
    "Tony",
    "Katherine",
    "Dorothy",
    "Hedy",
    "Annie",
    "Claude",
    "Vint",
    "Robert",
    "Sophie",
    "Jean",
    "Carl",
    "Ivan",
    "Mariya",
    "Olga",
    "Yuki",
    "Hiro",
    "Chen",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Lucia",
    "Mateo",
    "Ingrid",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Ritchie",
    "Thompson",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Torvalds",
    "Rossum",
    "Stroustrup",
    "Wirth",
    "Lamport",
    "Goldwasser",
    "Diffie",
    "Fowler",
    "Hoare",
    "Johnson",
    "Vaughan",
    "Lamarr",
    "Easley",
    "Shannon",
    "Cerf",
    "Tarjan",
    "Wilson",
    "Sammet",
    "Sagan",
    "Petrov",
    "Ivanova",
    "Sokolova",
    "Tanaka",
    "Yamamoto",
    "Wang",
    "Sharma",
    "Mehta",
    "Haddad",
    "Rahman",
    "Fernandez",
    "Gonzalez",
    "Lindqvist",
    "Andersen",
    "Kowalski",
    "Nowak",
    "Novak",
    "Horvat",
]


@dataclass(frozen=True)
class Planted:
    leads: list[LeadDetails]
    pairs: set[tuple[int, int]]
    """(index of the copy, index of its original) in ``leads``."""


def _phone(i: int) -> str:
    return f"+1 212 {300 + i // 10_000 % 700:03d} {i % 10_000:04d}"


def _typo(word: str, rng: random.Random) -> str:
    """Two adjacent letters swapped, away from the first three (as people mistype)."""
    at = rng.randrange(max(1, min(3, len(word) - 2)), len(word) - 1)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def planted(total: int, duplicates: int, *, seed: int = 20) -> Planted:
    rng = random.Random(seed)
    originals = total - duplicates
    leads: list[LeadDetails] = []
    used: dict[int, set[tuple[str, str]]] = {}
    for i in range(originals):
        company = i // 4
        names = used.setdefault(company, set())
        first, last = rng.choice(FIRST), rng.choice(LAST)
        while any(f == first or la == last for f, la in names):
            first, last = rng.choice(FIRST), rng.choice(LAST)
        names.add((first, last))
        leads.append(
            LeadDetails(
                contact_name=f"{first} {last}",
                email=f"{first}.{last}.{i}@firm{company}.example".lower(),
                phone=_phone(i),
                company=f"Firm {company} Inc",
            )
        )
    pairs = set()
    for n, j in enumerate(rng.sample(range(originals), duplicates)):
        o = leads[j]
        first, last = o.contact_name.split(" ", 1)
        kind = n % 3
        if kind == 0:
            copy = LeadDetails(
                contact_name=f"  {first.upper()}   {last} ", email=(o.email or "").upper(), company=f"firm {j // 4}"
            )
        elif kind == 1:
            national = (o.phone or "")[2:]
            copy = LeadDetails.model_validate(
                {
                    "contact_name": f"{first} {last}",
                    "phone": f"({national[:3]}) {national[3:6]}-{national[6:]}",
                    "address": {"country": "US"},
                }
            )
        else:
            copy = LeadDetails(
                contact_name=f"{first} {_typo(last, rng)}", email=f"other{n}@else.example", company=o.company
            )
        pairs.add((len(leads), j))
        leads.append(copy)
    return Planted(leads, pairs)


def recall_and_precision(found: set[frozenset[int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    expected = {frozenset(p) for p in truth}
    hits = len(found & expected)
    return hits / len(expected), (hits / len(found) if found else 1.0)


def scan_stage(engine: Any, total: int, duplicates: int) -> tuple[float, float, float, float]:
    """Leads/s of the duplicate scan over ``total`` stored leads with ``duplicates`` planted,
    against reading those leads' keys from the dedupe index alone; with recall and precision."""
    from domain.lead import Lead
    from domain.values import EventMeta
    from projections.dedupe_index import scan_rows

    data = planted(total, duplicates)
    meta = EventMeta(actor="import:bench")
    leads = [Lead.capture(details=d, meta=meta) for d in data.leads]
    for start in range(0, len(leads), 1000):
        engine.service.save(*leads[start : start + 1000])
    engine.prepare_read_store()
    engine.start_background()
    name = engine.projections["dedupe_index"].name
    head = engine.event_log.head()
    until(lambda: projected(engine, name, head), "the dedupe index to catch up", timeout_s=1800)
    started = time.monotonic()
    with engine.db.cursor() as cur:
        rows = scan_rows(cur, engine.projections["dedupe_index"].table)
    baseline = len(rows) / (time.monotonic() - started)
    report = engine.duplicate_scan().run()
    index = {lead.id: i for i, lead in enumerate(leads)}
    found = {frozenset((index[a], index[b])) for a, b in report.pairs}
    recall, precision = recall_and_precision(found, data.pairs)
    return report.rate, baseline, recall, precision
