"""The AsyncAPI 3 document `leads schema asyncapi` prints is complete and valid: the official
parser (`@asyncapi/parser` from npm, installed once into .cache/asyncapi) finds no error in it,
and it describes every topic with its Kafka bindings and the deployment's brokers as servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARSER_HOME = ROOT / ".cache" / "asyncapi"
CHECK = ROOT / "infra" / "scripts" / "asyncapi-check.cjs"
LEADS = shutil.which("leads") or str(Path(os.sys.executable).parent / "leads")  # type: ignore[attr-defined]
DEPLOYMENT = {
    "LEADS_TOPIC_PREFIX": "acme.",
    "LEADS_KAFKA_BOOTSTRAP_SERVERS": "kafka-1.internal:9092, kafka-2.internal:9092",
    "LEADS_TOPIC_PARTITIONS": "12",
    "LEADS_CONSUMER_GROUP": "crm",
    "LEADS_DLQ_RETENTION_DAYS": "7",
}


@pytest.fixture(scope="module")
def parser() -> Path:
    """The official parser, installed with npm on first use (gitignored cache)."""
    if not (PARSER_HOME / "node_modules" / "@asyncapi" / "parser" / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm (Node.js) is needed to check the AsyncAPI document with @asyncapi/parser")
        PARSER_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(PARSER_HOME), "--no-audit", "--no-fund", "@asyncapi/parser@3"],
            check=True,
            timeout=600,
            capture_output=True,
        )
    return PARSER_HOME


def check(parser: Path, document: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document))
    node = shutil.which("node") or pytest.fail("node is needed to run @asyncapi/parser")
    return subprocess.run(
        [node, str(CHECK), str(parser), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    printed = subprocess.run(
        [LEADS, "schema", "asyncapi"], env=os.environ | DEPLOYMENT, capture_output=True, text=True, check=True
    )
    doc: dict[str, Any] = json.loads(printed.stdout)
    return doc


def test_the_official_parser_finds_no_error(parser: Path, document: dict[str, Any], tmp_path: Path) -> None:
    result = check(parser, document, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_fails_a_document_with_an_error(parser: Path, document: dict[str, Any], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(document))
    broken["channels"]["leadEvents"]["bindings"]["kafka"]["partitions"] = "twelve"
    result = check(parser, broken, tmp_path)
    assert result.returncode == 1 and "partitions" in result.stdout


def test_every_topic_is_a_channel_with_its_kafka_topic_binding(document: dict[str, Any]) -> None:
    channels = document["channels"]
    assert {c["address"] for c in channels.values()} == {
        "acme.lead-events",
        "acme.lead-intake",
        "acme.lead-intake.dlq",
        "acme.notifications",
    }
    for channel in channels.values():
        assert channel["bindings"]["kafka"]["topic"] == channel["address"]
    events = channels["leadEvents"]["bindings"]["kafka"]
    assert events["partitions"] == 12 and events["topicConfiguration"]["retention.ms"] == -1
    assert channels["leadIntakeDlq"]["bindings"]["kafka"]["topicConfiguration"]["retention.ms"] == 7 * 86_400_000


def test_the_servers_are_the_configured_brokers(document: dict[str, Any]) -> None:
    servers = document["servers"].values()
    assert [s["host"] for s in servers] == ["kafka-1.internal:9092", "kafka-2.internal:9092"]
    assert {s["protocol"] for s in servers} == {"kafka"}


def test_every_message_names_its_key_and_headers(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    for message_id, message in messages.items():
        assert message["bindings"]["kafka"]["key"]["type"] == "string", message_id
        assert set(message["headers"]["required"]) <= set(message["headers"]["properties"]), message_id
    assert messages["lead_captured_v1"]["bindings"]["kafka"]["key"]["format"] == "uuid"
    assert {"ce_id", "ce_subject", "ce_leadversion"} <= set(messages["lead_captured_v1"]["headers"]["required"])
    assert "dlq_reason" in messages["lead_intake_dead_letter"]["headers"]["required"]
    assert messages["lead_notification_v1"]["payload"]["required"][:2] == ["notification_id", "recipient"]


def test_the_intake_consumer_group_is_named(document: dict[str, Any]) -> None:
    receive = document["operations"]["receiveLeadIntake"]
    assert receive["action"] == "receive"
    assert receive["bindings"]["kafka"]["groupId"]["enum"] == ["crm.intake"]
    sends = {o["channel"]["$ref"] for o in document["operations"].values() if o["action"] == "send"}
    assert sends == {"#/channels/leadEvents", "#/channels/leadIntakeDlq", "#/channels/notifications"}
