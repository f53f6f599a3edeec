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

from consumers.import_files import UnreadableFile, file_hash, open_table
from consumers.ports import ImportStore
from domain import limits
from domain.duplicates import Candidate, DuplicateFinder, identity_keys
from domain.errors import DomainError, NotFound
from domain.import_mapping import map_headers
from domain.import_plan import DuplicatePolicy, RowPlan, decide, rejected
from domain.import_rows import Parsed, Rejection, read_row
from domain.service import LeadService
from domain.values import Channel, EventMeta, LeadDetails, scoped_command_id

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


def _key_hash(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest(), "big")


class ImportPlanner:
    def __init__(self, *, service: LeadService, finder: DuplicateFinder, store: ImportStore) -> None:
        self.service = service
        self.finder = finder
        self.store = store

    def plan(self, job_id: UUID, request: ImportRequest, progress: Progress | None = None) -> dict[str, Any]:
        """Read, judge and store every row; record the batch's plan. A file that cannot be read
        (or is over a limit) leaves the job ``refused`` with the reason, and nothing recorded."""
        try:
            return self._plan(job_id, request, progress)
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
        seen: dict[int, int] = {}
        chunk: list[tuple[int, dict[str, Any], list[str]]] = []
        read = 0
        most = limits.current().import_rows
        for row in table.rows:
            read += 1
            if read > most:
                raise UnreadableFile(f"the file has more than {most} rows (import_rows)")
            if isinstance(row, Rejection):
                plan, cells = rejected(row), list(row.cells)
            else:
                parsed = read_row(mapping, row.cells, line=row.line)
                if parsed is None:
                    continue
                plan = rejected(parsed) if isinstance(parsed, Rejection) else self._judge(parsed, digest, seen, request)
                cells = row.cells
            counts[plan.counted_as] = counts.get(plan.counted_as, 0) + 1
            chunk.append((plan.line, plan.model_dump(mode="json"), cells))
            if len(chunk) >= CHUNK:
                self._flush(job_id, chunk, read, counts, progress)
        self._flush(job_id, chunk, read, counts, progress)
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
        chunk: list[tuple[int, dict[str, Any], list[str]]],
        read: int,
        counts: dict[str, int],
        progress: Progress | None,
    ) -> None:
        if chunk:
            self.store.add_rows(job_id, chunk)
            chunk.clear()
        self.store.update_job(job_id, {"read": read, "counts": counts})
        if progress is not None:
            progress(read)

    def _judge(self, row: Parsed, digest: str, seen: dict[int, int], request: ImportRequest) -> RowPlan:
        keys = identity_keys(row.details)
        earlier = next((seen[h] for h in (_key_hash(k.kind, k.value) for k in keys) if h in seen), None)
        for k in keys:
            seen.setdefault(_key_hash(k.kind, k.value), row.line)
        done = self.service.recorded(row_command_id(digest, row.line))
        return decide(
            row,
            policy=request.policy,
            candidates=self._candidates(row.details) if done is None else [],
            earlier_line=earlier,
            imported_as=done[1].lead_id if done else None,
            current=self._current,
        )

    def _candidates(self, details: LeadDetails) -> list[Candidate]:
        """The read model's look-alikes, then the leads holding its email or phone now."""
        found = self.finder.candidates(details)
        known = {c.record_id for c in found}
        for key, holder in self.service.claims.holders(identity_keys(details)).items():
            if holder not in known:
                name = self._current(holder)
                found.append(Candidate(holder, name.contact_name if name else "", (key.kind,)))
                known.add(holder)
        return found

    def _current(self, lead_id: UUID) -> LeadDetails | None:
        try:
            return self.service.get_lead(lead_id).details
        except NotFound:
            return None
