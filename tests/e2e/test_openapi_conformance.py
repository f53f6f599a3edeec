"""The OpenAPI document a newcomer reads at /docs: every endpoint, with examples. (What the
API does with any request the document allows, or not, is tests/e2e/test_openapi_fuzz.py.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from infra.runtime import Engine


def test_docs_show_every_endpoint_with_examples(engine: Engine) -> None:
    with TestClient(engine.app()) as client:
        spec = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    paths = spec["paths"]
    for path in (
        "/leads",
        "/leads/{lead_id}",
        "/leads/{lead_id}/history",
        "/leads/{lead_id}/convert",
        "/audit/export",
        "/forms/{form_id}",
        "/leads/{lead_id}/attachments",
        "/health",
    ):
        assert path in paths, path
    create = spec["components"]["schemas"]["LeadCreate"]
    assert create.get("examples"), "POST /leads shows an example body"
