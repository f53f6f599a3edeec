"""The dry run of an import: read the file row by row, decide each row's verdict
(``domain.import_plan``) and store it, in chunks, so nothing but the current chunk is in memory.
What it stores is what the confirm carries out (``consumers.import_runner``).

Duplicates are found by the domain's one policy over the read model (``DuplicateFinder``), and
also by the email and phone claims of the write side, which never lag: a file imported again,
or exported and imported back, finds its leads even before the read models caught up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from consumers.first_lines import FirstLines
from consumers.import_files import UnreadableFile, file_hash, open_table
from consumers.ports import ImportStore
from domain import limits
from domain.duplicates import Candidate, ChunkFinder, IdentityKey, identity_keys
from domain.errors import DomainError, NotFound
from domain.import_mapping import map_headers
from domain.import_plan import DuplicatePolicy, RowPlan, decide, rejected
from domain.import_rows import Parsed, Rejection, read_row
from domain.picklists import Channel
from domain.service import LeadService
from domain.values import EventMeta, LeadDetails, scoped_command_id

CHUNK = 500
ROW_NAMESPACE = uuid5(NAMESPACE_URL, "urn:leads-engine:import-row")

Progress = Callable[[int], None]
"""Called with the number of rows read so far."""


def row_command_id(file_hash: str, line: int, step: str = "") -> str:
    """The command id of a file's row: the same file imported again repeats the same commands."""
    return scoped_command_id("import", f"{file_hash}/{line}{step}")


def row_lead_id(file_hash: str, line: int) -> UUID:
    return uuid5(ROW_NAMESPACE, f"{file_hash}/{line}")


def import_meta(*, actor: str, job_id: UUID, command_id: str | None = None) -> EventMeta:
    """Every event an import causes names it: channel ``import``, the import's id as correlation
    and cause, and (for a lead) the file's hash and line in the command id."""
    return EventMeta(
        actor=actor,
        channel=Channel.IMPORT,
        command_id=command_id,
        correlation_id=f"import:{job_id}",
        causation_id=str(job_id),
    )


@dataclass
class ImportRequest:
    path: Path
    file_name: str
    actor: str
    policy: DuplicatePolicy = DuplicatePolicy.SKIP
    overrides: dict[str, str] = field(default_factory=dict)


class Cancelled(Exception):
    """Someone cancelled the dry run; it stops after the chunk it was judging."""


def _key_hash(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest(), "big")


class ImportPlanner:
    def __init__(self, *, service: LeadService, finder: ChunkFinder, store: ImportStore) -> None:
        self.service = service
        self.finder = finder
        self.store = store

    def plan(self, job_id: UUID, request: ImportRequest, progress: Progress | None = None) -> dict[str, Any]:
        """Read, judge and store every row; record the batch's plan. A file that cannot be read
        (or is over a limit) leaves the job ``refused`` with the reason, and nothing recorded."""
        try:
            return self._plan(job_id, request, progress)
        except Cancelled:
            self.store.update_job(job_id, {"state": "cancelled", "cancelled_at": "now()"})
            return {}
        except (UnreadableFile, DomainError) as e:
            self.store.update_job(job_id, {"state": "refused", "error": str(e)})
            raise

    def _plan(self, job_id: UUID, request: ImportRequest, progress: Progress | None) -> dict[str, Any]:
        digest = file_hash(request.path)
        table = open_table(request.path, name=request.file_name)
        mapping = map_headers(table.headers, request.overrides)
        self.store.update_job(
            job_id,
            {
                "file_hash": digest,
                "format": table.format,
                "encoding": table.encoding,
                "delimiter": table.delimiter,
                "headers": table.headers,
                "mapping": mapping.as_dict(),
                "unmapped": list(mapping.unmapped),
            },
        )
        counts: dict[str, int] = {}
        seen = FirstLines()
        chunk: list[tuple[Rejection | Parsed, list[str]]] = []
        read = 0
        most = limits.current().import_rows
        for row in table.rows:
            read += 1
            if read > most:
                raise UnreadableFile(f"the file has more than {most} rows (import_rows)")
            if isinstance(row, Rejection):
                chunk.append((row, list(row.cells)))
            else:
                parsed = read_row(mapping, row.cells, line=row.line)
                if parsed is not None:
                    chunk.append((parsed, row.cells))
            if len(chunk) >= CHUNK:
                self._flush(job_id, self._judge(chunk, digest, seen, request), read, counts, progress)
                chunk.clear()
        self._flush(job_id, self._judge(chunk, digest, seen, request), read, counts, progress)
        if self.store.cancel_requested(job_id):
            raise Cancelled()
        self.service.record_import_plan(
            import_id=job_id,
            file_name=request.file_name[:200],
            file_hash=digest,
            file_format=table.format,
            policy=request.policy,
            mapping=mapping.as_dict(),
            counts=counts,
            meta=import_meta(actor=request.actor, job_id=job_id),
        )
        self.store.update_job(job_id, {"state": "planned", "total": sum(counts.values()), "counts": counts})
        return counts

    def _flush(
        self,
        job_id: UUID,
        plans: list[tuple[RowPlan, list[str]]],
        read: int,
        counts: dict[str, int],
        progress: Progress | None,
    ) -> None:
        for plan, _ in plans:
            counts[plan.counted_as] = counts.get(plan.counted_as, 0) + 1
        if plans:
            self.store.add_rows(job_id, [(plan.line, plan.model_dump(mode="json"), cells) for plan, cells in plans])
        self.store.update_job(job_id, {"read": read, "counts": counts})
        if progress is not None:
            progress(read)
        if self.store.cancel_requested(job_id):
            raise Cancelled()

    def _judge(
        self,
        chunk: list[tuple[Rejection | Parsed, list[str]]],
        digest: str,
        seen: FirstLines,
        request: ImportRequest,
    ) -> list[tuple[RowPlan, list[str]]]:
        """The verdicts of a chunk of rows, in order, with one look-up each of the rows' command
        records (imported before?), the read model's look-alikes and the write side's claims."""
        valid = [row for row, _ in chunk if isinstance(row, Parsed)]
        done = self.service.recorded_many([row_command_id(digest, row.line) for row in valid])
        fresh = [row for row in valid if row_command_id(digest, row.line) not in done]
        found = dict(
            zip((row.line for row in fresh), self.finder.candidates_many([r.details for r in fresh]), strict=True)
        )
        holders = self.service.claims.holders({k for row in fresh for k in identity_keys(row.details)})
        plans = []
        for row, cells in chunk:
            if isinstance(row, Rejection):
                plans.append((rejected(row), cells))
                continue
            keys = identity_keys(row.details)
            firsts = [seen.first(_key_hash(k.kind, k.value), row.line) for k in keys]
            earlier = next((line for line in firsts if line is not None), None)
            before = done.get(row_command_id(digest, row.line))
            plan = decide(
                row,
                policy=request.policy,
                candidates=self._with_holders(found[row.line], keys, holders) if before is None else [],
                earlier_line=earlier,
                imported_as=before[1].lead_id if before else None,
                current=self._current,
            )
            plans.append((plan, cells))
        return plans

    def _with_holders(
        self, found: list[Candidate], keys: tuple[IdentityKey, ...], holders: dict[IdentityKey, UUID]
    ) -> list[Candidate]:
        """The read model's look-alikes, then the leads holding the row's email or phone now."""
        known = {c.record_id for c in found}
        for key in keys:
            holder = holders.get(key)
            if holder is not None and holder not in known:
                name = self._current(holder)
                found.append(Candidate(holder, name.contact_name if name else "", (key.kind,)))
                known.add(holder)
        return found

    def _current(self, lead_id: UUID) -> LeadDetails | None:
        try:
            return self.service.get_lead(lead_id).details
        except NotFound:
            return None
