"""An operator works the dead-letter queue: lists it with filters, reads one record, replays one
with a corrected payload (once: a second replay is refused), discards another with a reason, and
finds both actions in the DLQ's own audit; neither comes back. A replay that fails again is a new
dead letter waiting for a person, never re-sent on its own."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from typer.testing import CliRunner

from infra.cli import app
from infra.kafka_dlq import list_dead_letters
from infra.runtime import Engine
from infra.settings import Settings
from tests.conftest import wait_for
from tests.integration.test_intake import ce, intake, intake_done, producer, send

__all__ = ["intake", "producer"]


def leads(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "LEADS_MODE": "kafka",
        "LEADS_POSTGRES_DSN": settings.postgres_dsn or "",
        "LEADS_HOME": str(settings.home),
        "LEADS_TOPIC_PREFIX": settings.topic_prefix,
        "LEADS_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "LEADS_CONSUMER_GROUP": settings.consumer_group,
    }
    done = CliRunner().invoke(app, list(args), env=env)
    return done.exit_code, done.output


def listed(settings: Settings, *filters: str) -> list[dict[str, Any]]:
    code, out = leads(settings, "dlq", "list", *filters)
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def dead_count(settings: Settings) -> int:
    return len(list_dead_letters(bootstrap_servers=settings.kafka_bootstrap_servers, dlq_topic=settings.dlq_topic))


def test_one_dead_letter_fixed_and_replayed_once_another_discarded_both_audited_neither_back(
    intake: Engine, producer: KafkaProducer, tmp_path: Path
) -> None:
    s = intake.settings
    ghost, new = str(uuid.uuid4()), str(uuid.uuid4())
    bad_email = {"lead_id": new, "contact_name": "Grace", "email": "grace-at-navy"}
    send(
        producer,
        s,
        [
            (ghost, ce("lead.intake.assign.v1", {"lead_id": ghost, "owner": "rep-9"})),
            (new, ce("lead.intake.capture.v1", bad_email)),
        ],
    )
    wait_for(lambda: dead_count(s) == 2, timeout=60, what="two dead letters")
    everything = listed(s)
    assert [r["status"] for r in everything] == ["open", "open"]
    (invalid,) = listed(s, "--stage", "validate")
    (unknown,) = listed(s, "--type", "lead.intake.assign.v1", "--status", "open")
    assert invalid["reason"].startswith("email:") and "not found" in unknown["reason"]
    assert listed(s, "--reason-contains", "EMAIL:") == [invalid]
    assert listed(s, "--since", "2999-01-01T00:00:00+00:00") == []

    code, out = leads(s, "dlq", "show", invalid["id"])
    shown = json.loads(out)
    assert code == 0 and json.loads(shown["value"]["text"]) == bad_email and shown["headers"]["ce_id"]

    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(bad_email | {"email": "grace@navy.mil"}))
    code, out = leads(
        s, "dlq", "replay", invalid["id"], "--payload", str(fixed), "--reason", "email fixed", "--by", "ops-1"
    )
    assert code == 0, out
    wait_for(lambda: _lead_email(intake, new) == "grace@navy.mil", timeout=60, what="the corrected capture")
    code, out = leads(s, "dlq", "replay", invalid["id"])
    assert code == 2 and f"dead letter {invalid['id']} was already replayed by ops-1" in out

    code, out = leads(s, "dlq", "discard", unknown["id"], "--reason", "that lead never existed", "--by", "ops-2")
    assert code == 0, out
    code, out = leads(s, "dlq", "replay", unknown["id"])
    assert code == 2 and "already discarded by ops-2" in out

    code, out = leads(s, "dlq", "audit")
    audit = [json.loads(line) for line in out.splitlines()]
    assert [(a["record"], a["action"], a["actor"], a["reason"], a["corrected"]) for a in audit] == [
        (invalid["id"], "replayed", "ops-1", "email fixed", True),
        (unknown["id"], "discarded", "ops-2", "that lead never existed", False),
    ]
    assert all(a["at"] for a in audit)
    wait_for(lambda: intake_done(s, 3), timeout=60, what="intake to take the replay")
    assert dead_count(s) == 2, "neither came back"
    assert listed(s, "--status", "open") == []
    assert {r["id"]: r["status"] for r in listed(s)} == {invalid["id"]: "replayed", unknown["id"]: "discarded"}


def test_a_replay_that_fails_again_is_a_new_dead_letter_and_is_not_resent(
    intake: Engine, producer: KafkaProducer
) -> None:
    s = intake.settings
    ghost = str(uuid.uuid4())
    send(producer, s, [(ghost, ce("lead.intake.assign.v1", {"lead_id": ghost, "owner": "rep-9"}))])
    wait_for(lambda: dead_count(s) == 1, timeout=60, what="the dead letter")
    (first,) = listed(s)
    assert leads(s, "dlq", "replay", first["id"], "--reason", "try again")[0] == 0
    wait_for(lambda: dead_count(s) == 2, timeout=60, what="the replay to fail again")
    wait_for(lambda: intake_done(s, 2), timeout=60, what="intake to commit the replay")
    again = listed(s, "--status", "open")
    assert [r["replayed_from"] for r in again] == [f"{s.dlq_topic}/{first['id']}"]
    assert dead_count(s) == 2, "nothing is re-sent on its own"


HOSTILE = [
    (["dlq", "show", "abc"], "'abc' is no dead-letter id"),
    (["dlq", "show", "0:-1"], "is no dead-letter id"),
    (["dlq", "show", "0:99999999999999999999"], "is no dead-letter id"),
    (["dlq", "show", "0:5"], "dead letter 0:5 (the topic holds 0 to 0) not found"),
    (["dlq", "show", "7:0"], "no partition 7"),
    (["dlq", "discard", "0:0", "--reason", "  "], "say why"),
    (["dlq", "discard", "0:0", "--reason", "nul\x00"], "reason:"),
    (["dlq", "discard", "0:0", "--reason", "x" * 5000], "at most 2000 characters"),
    (["dlq", "discard", "0:0", "--reason", "ok", "--by", "\ud800"], "actor:"),
    (["dlq", "replay", "0:0", "--payload", "/nonexistent"], "--payload must be a readable file"),
    (["dlq", "list", "--since", "2026-01-01T00:00:00"], "--since needs a timezone"),
]


def test_hostile_dlq_requests_are_refused_saying_why_and_change_nothing(
    intake: Engine, producer: KafkaProducer, tmp_path: Path
) -> None:
    s = intake.settings
    ghost = str(uuid.uuid4())
    send(producer, s, [(ghost, ce("lead.intake.assign.v1", {"lead_id": ghost, "owner": "\U0001f600"}))])
    wait_for(lambda: dead_count(s) == 1, timeout=60, what="a dead letter")
    huge = tmp_path / "huge.json"
    huge.write_bytes(b"x" * (s.limits.intake_message_bytes + 1))
    for args, says in [*HOSTILE, (["dlq", "replay", "0:0", "--payload", str(huge)], "of at most")]:
        code, out = leads(s, *args)
        assert code == 2 and says in out and "Traceback" not in out, (args[:3], out)
    assert [r["status"] for r in listed(s)] == ["open"]
    assert leads(s, "dlq", "audit") == (0, "")


def _lead_email(engine: Engine, lead_id: str) -> str | None:
    try:
        return engine.service.get_lead(uuid.UUID(lead_id)).details.email
    except Exception:
        return None


def test_admins_work_the_dead_letters_over_http_and_others_may_not(intake: Engine, producer: KafkaProducer) -> None:
    from fastapi.testclient import TestClient

    from api.auth import Role
    from tests.e2e.auth import bearer

    s = intake.settings
    ghost, new = str(uuid.uuid4()), str(uuid.uuid4())
    bad = {"lead_id": new, "contact_name": "Grace", "email": "grace-at-navy"}
    send(
        producer,
        s,
        [
            (ghost, ce("lead.intake.assign.v1", {"lead_id": ghost, "owner": "rep-9"})),
            (new, ce("lead.intake.capture.v1", bad)),
        ],
    )
    wait_for(lambda: dead_count(s) == 2, timeout=60, what="two dead letters")
    admin, rep = bearer(intake, "admin-1"), bearer(intake, "rep-1", Role.REP)
    with TestClient(intake.app()) as client:
        assert client.get("/dead-letters", headers=rep).status_code == 403
        (invalid,) = client.get("/dead-letters", params={"stage": "validate"}, headers=admin).json()
        (unknown,) = client.get("/dead-letters", params={"type": "lead.intake.assign.v1"}, headers=admin).json()
        shown = client.get(f"/dead-letters/{invalid['id']}", headers=admin).json()
        assert json.loads(shown["value"]["text"]) == bad and shown["status"] == "open"
        assert client.get("/dead-letters/0:99", headers=admin).status_code == 404
        body = {"reason": "email fixed", "payload": bad | {"email": "grace@navy.mil"}}
        replayed = client.post(f"/dead-letters/{invalid['id']}/replay", json=body, headers=admin)
        assert replayed.status_code == 200 and replayed.json()["actor"] == "admin-1", replayed.text
        again = client.post(f"/dead-letters/{invalid['id']}/replay", json={}, headers=admin)
        assert again.status_code == 409 and again.json()["type"].endswith("dead-letter-resolved")
        assert client.post(f"/dead-letters/{unknown['id']}/discard", json={}, headers=admin).status_code == 422
        discarded = client.post(
            f"/dead-letters/{unknown['id']}/discard", json={"reason": "no such lead"}, headers=admin
        )
        assert discarded.status_code == 200 and discarded.json()["action"] == "discarded"
        audit = client.get("/dead-letters/audit", headers=admin).json()
        assert [(a["action"], a["actor"], a["reason"]) for a in audit] == [
            ("replayed", "admin-1", "email fixed"),
            ("discarded", "admin-1", "no such lead"),
        ]
    wait_for(lambda: _lead_email(intake, new) == "grace@navy.mil", timeout=60, what="the corrected capture")
