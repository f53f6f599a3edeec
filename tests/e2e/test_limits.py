"""Every limit of ``domain.limits`` at the limit and one past it, through the entrance it
guards: at the limit the request is taken, one past it is refused with a 413 or 422 problem
that names the field (or the body) and the limit. Small limits keep the payloads small; the
engine reads them from its settings, as an operator's would be."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from domain.limits import Limits
from infra.runtime import Engine
from infra.settings import Settings
from tests.e2e.auth import bearer

SMALL = Limits(
    name=20,
    email=60,
    phone=30,
    short_text=30,
    long_text=100,
    tags=3,
    tag=10,
    custom_fields=3,
    custom_field_key=10,
    custom_field_value=50,
    list_items=3,
    attachments_per_lead=2,
    attachment_bytes=1000,
    request_bytes=4096,
    form_bytes=2048,
    header_chars=40,
)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    engine = Engine.open(settings.model_copy(update={"limits": SMALL}))
    try:
        with TestClient(engine.app(), headers=bearer(engine)) as client:
            yield client
    finally:
        engine.close()


def lead(**fields: Any) -> dict[str, Any]:
    return {"contact_name": "Ada", "email": "ada@example.com"} | fields


def create(api: TestClient, body: dict[str, Any], **headers: str) -> Response:
    return api.post("/leads", json=body, params={"on_duplicate": "create"}, headers=headers)


def new_lead(api: TestClient) -> str:
    response = create(api, lead())
    assert response.status_code == 201, response.text
    return str(response.json()["lead_id"])


def email_of(length: int) -> str:
    """A valid address of exactly ``length`` characters."""
    domain = "example.com"
    return "a" * (length - len(domain) - 1) + "@" + domain


Probe = Callable[[TestClient, int], Response]
"""Sends a request whose guarded value has the given size."""

PROBES: dict[str, tuple[Probe, str]] = {
    "name": (lambda api, n: create(api, lead(contact_name="n" * n)), "contact_name"),
    "email": (lambda api, n: create(api, lead(email=email_of(n))), "email"),
    "phone": (lambda api, n: create(api, lead(phone="+44 20 7946 0958".ljust(n))), "phone"),
    "short_text": (lambda api, n: create(api, lead(company="c" * n)), "company"),
    "long_text": (lambda api, n: api.post(f"/leads/{new_lead(api)}/notes", json={"text": "t" * n}), "text"),
    "tags": (lambda api, n: create(api, lead(tags=[f"t{i}" for i in range(n)])), "tags"),
    "tag": (lambda api, n: create(api, lead(tags=["t" * n])), "tags.0"),
    "custom_fields": (lambda api, n: create(api, lead(custom_fields={f"f{i}": i for i in range(n)})), "custom_fields"),
    "custom_field_key": (lambda api, n: create(api, lead(custom_fields={"k" * n: 1})), "custom_fields"),
    "custom_field_value": (lambda api, n: create(api, lead(custom_fields={"k": "v" * n})), "custom_fields.k"),
    "list_items": (
        lambda api, n: api.post(
            f"/leads/{new_lead(api)}/merge", json={"duplicate_ids": [str(uuid.uuid4()) for _ in range(n)]}
        ),
        "duplicate_ids",
    ),
    "header_chars": (lambda api, n: create(api, lead(), **{"Idempotency-Key": "k" * n}), "idempotency-key"),
}


@pytest.mark.parametrize("limit", sorted(PROBES))
def test_a_value_at_its_limit_is_taken_and_one_past_it_is_refused_naming_the_field(api: TestClient, limit: str) -> None:
    probe, field = PROBES[limit]
    most = getattr(SMALL, limit)
    at = probe(api, most)
    assert at.status_code < 500 and not (at.status_code == 422 and field in at.text), at.text
    past = probe(api, most + 1)
    assert past.status_code == 422, past.text
    problem = past.json()
    assert past.headers["content-type"] == "application/problem+json"
    assert any(e["field"].startswith(field) or e["field"].endswith(field) for e in problem["errors"]), problem
    assert str(most) in problem["detail"], problem


def test_attachments_per_lead_and_their_size_are_limited(api: TestClient) -> None:
    lead_id = new_lead(api)
    size = SMALL.attachment_bytes
    for i in range(SMALL.attachments_per_lead):
        taken = api.post(f"/leads/{lead_id}/attachments", files={"file": (f"f{i}.bin", b"x" * size)})
        assert taken.status_code == 200, taken.text
    one_more = api.post(f"/leads/{lead_id}/attachments", files={"file": ("more.bin", b"x")})
    assert one_more.status_code == 422 and one_more.json()["field"] == "file", one_more.text
    other = new_lead(api)
    too_big = api.post(f"/leads/{other}/attachments", files={"file": ("big.bin", b"x" * (size + 1))})
    assert too_big.status_code == 413 and too_big.json()["limit"] == size, too_big.text


def padded_json(size: int) -> bytes:
    body = b'{"contact_name": "Ada", "email": "ada@example.com"}'
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_json_body_at_its_limit_is_read_and_one_byte_more_is_a_413(api: TestClient) -> None:
    headers = {"content-type": "application/json"}
    at = api.post("/leads", content=padded_json(SMALL.request_bytes), headers=headers)
    assert at.status_code == 201, at.text
    past = api.post("/leads", content=padded_json(SMALL.request_bytes + 1), headers=headers)
    assert past.status_code == 413, past.text
    assert past.json()["limit"] == SMALL.request_bytes and "request body" in past.json()["detail"]


def form_of(size: int) -> bytes:
    """A valid form post of exactly ``size`` bytes (a field the form does not read pads it)."""
    body = b"name=Ada&email=ada%40example.com&pad="
    return body + b"p" * (size - len(body))


def test_a_form_post_at_its_limit_is_read_and_one_byte_more_is_a_413(api: TestClient) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    at = api.post("/forms/contact", content=form_of(SMALL.form_bytes), headers=headers)
    assert at.status_code == 201, at.text
    past = api.post("/forms/contact", content=form_of(SMALL.form_bytes + 1), headers=headers)
    assert past.status_code == 413 and past.json()["limit"] == SMALL.form_bytes, past.text
