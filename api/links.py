"""OpenAPI links: how a client (or a stateful fuzzer) goes from a command's answer to the next
call on the same lead. The lead document is a projection, so a read right after a write passes
the write's log position as ``?after=``."""

from __future__ import annotations

from typing import Any


def operation(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def on_lead(path: str, method: str = "post", **parameters: str) -> dict[str, Any]:
    return {
        "operationRef": operation(path, method),
        "parameters": {"path.lead_id": "$response.body#/lead_id", **parameters},
    }


AFTER_A_COMMAND = {
    "GetLead": on_lead("/leads/{lead_id}", "get", **{"query.after": "$response.body#/position"}),
    "History": on_lead("/leads/{lead_id}/history", "get"),
    "Feed": on_lead("/leads/{lead_id}/feed", "get"),
}
AFTER_CAPTURE = AFTER_A_COMMAND | {
    "AddNote": on_lead("/leads/{lead_id}/notes"),
    "Assign": on_lead("/leads/{lead_id}/assign"),
    "Contact": on_lead("/leads/{lead_id}/contact"),
    "Bant": on_lead("/leads/{lead_id}/bant", "put"),
    "Nurture": on_lead("/leads/{lead_id}/nurture"),
    "Disqualify": on_lead("/leads/{lead_id}/disqualify"),
    "Attach": on_lead("/leads/{lead_id}/attachments"),
    "Erase": on_lead("/leads/{lead_id}/erase"),
}
AFTER_CONTACT = AFTER_A_COMMAND | {
    "Bant": on_lead("/leads/{lead_id}/bant", "put"),
    "Qualify": on_lead("/leads/{lead_id}/qualify"),
}
AFTER_BANT = AFTER_A_COMMAND | {"Qualify": on_lead("/leads/{lead_id}/qualify")}
AFTER_QUALIFY = AFTER_A_COMMAND | {"Convert": on_lead("/leads/{lead_id}/convert")}
