"""The published contract documents are generated from the models and stay in step with them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.contract.asyncapi import asyncapi
from domain.contract.documents import event_json_schemas, events_markdown
from domain.contract.envelope import CLASSES, event_type
from domain.contract.intake import INTAKE_TYPES
from domain.contract.type_names import wire_type

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_docs_events_md_is_what_the_models_generate() -> None:
    assert DOCS.read_text() == events_markdown(), "regenerate with: leads schema docs > docs/events.md"


def test_every_event_and_intake_type_is_documented() -> None:
    text = events_markdown()
    for name in [wire_type(event_type(c)) for c in CLASSES.values()] + list(INTAKE_TYPES):
        assert f"### `{name}`" in text


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_asyncapi_document_is_version_3_and_every_reference_resolves() -> None:
    doc = asyncapi("acme.")
    assert doc["asyncapi"] == "3.0.0"
    assert doc["channels"]["leadEvents"]["address"] == "acme.lead-events"
    assert doc["channels"]["leadIntake"]["address"] == "acme.lead-intake"
    for ref in refs(doc):
        assert resolve(doc, ref) is not None, ref
    assert len(doc["components"]["messages"]) == len(CLASSES) + len(INTAKE_TYPES) + 2, (
        "plus dead letters, notifications"
    )


def test_published_schemas_leave_the_envelope_to_the_headers() -> None:
    for name, schema in event_json_schemas().items():
        assert "originator_id" not in schema["properties"], name
        assert "meta" in schema["required"], name
