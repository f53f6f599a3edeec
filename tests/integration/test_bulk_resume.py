"""A mass action whose process stopped half-way is resumed by its starter, against the real
PostgreSQL: it carries on with the leads it had not reached, and a lead acted on just before the
stop (its result not yet stored) is not acted on twice."""

from __future__ import annotations

import pytest

from domain.bulk import BulkRequest
from domain.errors import InvalidCommand, NotFound
from infra.runtime import Engine
from tests.integration.test_job_cancel import allow, chunked_job


def test_an_interrupted_mass_action_resumes_where_it_stopped_acting_on_each_lead_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, ids, bulk = chunked_job(engine, monkeypatch, 8)
    reached: list[object] = []

    def stops_at_the_fifth(_action: object, lead: object) -> None:
        reached.append(lead)
        if len(reached) == 5:
            raise ConnectionError("the process lost its database")

    request = BulkRequest.model_validate({"action": "add_tags", "tags": ["q3"]})
    bulk.start(request=request, lead_ids=ids, user="admin", key="q3-tags", check=stops_at_the_fifth, wait=True)
    stopped = bulk.status(job_id)
    assert (stopped["state"], stopped["done"]) == ("interrupted", 3)
    assert "ConnectionError" in stopped["error"]
    tagged = [i for i in ids if "q3" in engine.service.get_lead(i).details.tags]
    assert tagged == ids[:4], "the fourth lead was tagged, its result not yet stored"
    versions = {i: engine.service.get_lead(i).version for i in tagged}

    with pytest.raises(NotFound):
        bulk.resume(job_id, actor="someone-else", check=allow, wait=True)
    bulk.resume(job_id, actor="admin", check=allow, wait=True)
    job = bulk.status(job_id)
    assert (job["state"], job["done"], job["results"]) == ("finished", 8, {"done": 8})
    assert [r["result"] for r in job["results_page"]] == ["done"] * 8
    assert all("q3" in engine.service.get_lead(i).details.tags for i in ids)
    assert {i: engine.service.get_lead(i).version for i in tagged} == versions, "no lead acted on twice"
    with pytest.raises(InvalidCommand, match="finished"):
        bulk.resume(job_id, actor="admin", check=allow, wait=True)
