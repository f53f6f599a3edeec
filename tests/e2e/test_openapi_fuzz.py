"""schemathesis over the whole OpenAPI document, every phase and every check.

One in-process run of the schemathesis engine against the app: the examples phase, the
coverage phase (boundary and edge values, negative data, unexpected methods and content
types), the fuzzing phase (positive and negative data) and the stateful phase (chains along
the OpenAPI links the app declares, and those schemathesis infers). Every failure of the run is
collected and reported together, grouped by cause; a server crash comes with its traceback.

The run fails on what the API promises: no server error, every response as documented (status,
content type, headers, body), schema-invalid input refused, unsupported methods answered 405
with the right ``Allow``, authentication never ignored. A schema-valid request refused by a
rule the schema cannot express (a legal transition, an idempotency key used for another
command, a duplicate) is listed, not failed.

Bounded by ``LEADS_FUZZ_SECONDS`` (default 120) with a fixed seed; ``LEADS_FUZZ_REPORT`` names a
JSON file to write every finding to.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder

from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer

SECONDS = int(os.environ.get("LEADS_FUZZ_SECONDS", "120"))
EXAMPLES = int(os.environ.get("LEADS_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("LEADS_FUZZ_SEED", "13"))

FATAL = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "missing_required_header",
    "use_after_free",
}
"""Checks whose failure breaks a promise of the API. The others (``positive_data_acceptance`` above
all) flag rules the schema cannot state; they are reported for reading."""

EDGES: list[str | int | float] = [
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    2**31,
    -1,
    0,
    1e308,
    -0.0,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
    "\u0000",
    "\ufb00",
    "\u0130",
    "\U0001d538",
    "\u202eevil",
    "%00",
    "../",
    "' OR 1=1 --",
]
"""Values hypothesis rarely draws by itself, mixed into integers, numbers and strings (each only
where it fits the mode: where the schema allows it for positive data, where not for negative)."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A generated ``?after=`` past the log's end waits ``read_wait_s`` before answering; keep
    those waits short so they do not eat the run's time."""
    return settings.model_copy(update={"read_wait_s": 0.2})


class CrashLog:
    """An exception escaping the app becomes a plain 500 (so schemathesis reports it against
    that request), and its traceback is kept by test case id."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tracebacks: dict[str, str] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if scope["type"] != "http":
                raise
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            key = headers.get(SCHEMATHESIS_TEST_CASE_HEADER.lower(), f"{scope['method']} {scope['path']}")
            self.tracebacks[key] = traceback.format_exc()
            if not started:
                start = {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]}
                await send(start)
                await send({"type": "http.response.body", "body": b"Internal Server Error"})


@dataclass
class Finding:
    phase: str
    operation: str
    check: str
    title: str
    message: str
    request: str
    body: str | None
    status: int | None
    response: str | None
    curl: str = ""
    traceback: str | None = None
    chain: list[str] = field(default_factory=list)

    def key(self) -> tuple[str, ...]:
        """One cause: the same check failing with the same answer (a crash: the same exception at
        the same place), whichever operation it was."""
        if self.traceback:
            lines = self.traceback.strip().splitlines()
            frames = [line.strip() for line in lines if line.startswith("  File ")]
            return (self.check, "500", lines[-1][:120], re.sub(r", in .*", "", frames[-1]) if frames else "")
        answer = self.response or ""
        try:
            doc = json.loads(answer)
            detail = re.sub(r"'[^']*'|\"[^\"]*\"|[0-9a-f-]{36}|\d+", "#", str(doc.get("detail", "")))[:80]
            answer = f"{doc.get('type', '')} {detail}"
        except (ValueError, AttributeError):
            answer = answer[:60]
        return (self.check, str(self.status), self.title, answer)


def _text(data: bytes | None, limit: int) -> str | None:
    if data is None:
        return None
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def findings_of(recorder: ScenarioRecorder, phase: str, crashes: CrashLog) -> Iterator[Finding]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            request = interaction.request if interaction is not None else None
            response = interaction.response if interaction is not None else None
            chain = [f"{c.method} {c.formatted_path}" for c in recorder.iter_chain_cases(case_id=case_id)][:-1]
            yield Finding(
                phase=phase,
                operation=failure.operation or recorder.label,
                check=check.name,
                title=failure.title,
                message=failure.message.strip().splitlines()[0][:200] if failure.message else "",
                request=f"{request.method} {request.uri}" if request is not None else "?",
                body=_text(request.body, 300) if request is not None else None,
                status=response.status_code if response is not None else None,
                response=_text(response.content, 300) if response is not None else None,
                curl=check.failure_info.code_sample,
                traceback=crashes.tracebacks.get(case_id),
                chain=chain,
            )


def run(engine: Engine) -> tuple[list[Finding], list[str], dict[str, Any]]:
    crashes = CrashLog(engine.app())
    edges = {kind: {"dictionary": "edges", "probability": 0.2} for kind in ("integer", "number", "string")}
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # else it keeps what it learned in ./.schemathesis and replays it
            "dictionaries": {"edges": {"values": EDGES}},
            "headers": bearer(engine),
            "continue-on-failure": True,  # record every failing case, not only an operation's first
            "max-time": SECONDS,  # fuzzing and stateful take turns until this budget is spent
            "generation": {"mode": "all", "max-examples": EXAMPLES, "dictionaries": edges},
            "checks": {"enabled": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True, "error-feedback": {"enabled": False}},
                "stateful": {"enabled": True, "max-steps": 8},
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", crashes, config=config)
    findings: list[Finding] = []
    errors: list[str] = []
    stats: dict[str, Any] = {"scenarios": 0, "requests": 0, "operations": set()}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            stats["scenarios"] += 1
            stats["requests"] += len(event.recorder.interactions)
            stats["operations"].add(event.recorder.label)
            findings.extend(findings_of(event.recorder, event.phase.value, crashes))
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message[:300]}")
        elif isinstance(event, events.FatalError):
            errors.append(f"FATAL: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            stats["running_time_s"] = round(event.running_time, 1)
    seen = {f.traceback for f in findings if f.traceback}
    errors += [f"crash no check reported ({key}):\n{tb}" for key, tb in crashes.tracebacks.items() if tb not in seen]
    stats["operations"] = len(stats["operations"])
    return findings, errors, stats


def report(findings: list[Finding], errors: list[str], stats: dict[str, Any]) -> str:
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.key(), []).append(finding)
    lines = [f"{len(findings)} failing checks, {len(groups)} causes, {len(errors)} errors; {json.dumps(stats)}"]
    for same in sorted(groups.values(), key=lambda g: (g[0].check not in FATAL, g[0].check, -len(g))):
        first = same[0]
        operations = sorted({f.operation for f in same})
        lines.append(
            f"\n[{first.check}] {first.title}: x{len(same)} in {sorted({f.phase for f in same})}, "
            f"{len(operations)} operation(s): {', '.join(operations[:6])}"
        )
        lines.append(f"  {first.message}")
        lines.append(f"  request: {first.request}" + (f"  body={first.body}" if first.body else ""))
        if first.chain:
            lines.append(f"  after: {' -> '.join(first.chain)}")
        lines.append(f"  response: {first.status} {first.response or ''}")
        if first.traceback:
            lines.extend("  | " + line for line in first.traceback.strip().splitlines()[-6:])
    lines.extend(f"\nERROR {e}" for e in errors)
    return "\n".join(lines)


def test_the_whole_api_under_every_phase_and_check_keeps_its_promises(engine: Engine) -> None:
    findings, errors, stats = run(engine)
    out = os.environ.get("LEADS_FUZZ_REPORT")
    if out:
        document = {"stats": stats, "errors": errors, "findings": [asdict(f) for f in findings]}
        Path(out).write_text(json.dumps(document, indent=1))
    broken = [f for f in findings if f.check in FATAL]
    print(report(findings, errors, stats))
    assert stats["operations"] >= 40, stats
    assert not broken and not errors, report(broken, errors, stats)
