"""Website forms post here (form-encoded, no token): each post captures a lead.

A double submit (the same form, the same contents, or the same ``submission_id``) creates one
lead: the idempotency key is derived from the submission. Anyone may post, so the body has a
small limit of its own (``LEADS_LIMITS__FORM_BYTES``) and every field is held to the limits."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, Path, status

from api.auth import permission
from api.deps import QueriesDep, ServiceDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from domain.duplicates import Combined, flag
from domain.limits import HeaderText, Name, ShortText, Text
from domain.picklists import Channel, LeadSource
from domain.values import EventMeta, LeadDetails, scoped_command_id, validated

router = APIRouter(prefix="/forms", tags=["web forms"])
FormId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="The form's id (letters, digits, dot, dash, underscore), recorded with each lead it captures",
    ),
]


@router.post("/{form_id}", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted, **permission(None))
def submit(
    form_id: FormId,
    service: ServiceDep,
    queries: QueriesDep,
    name: Annotated[Name, Form(min_length=1, examples=["Ada Lovelace"])],
    email: Annotated[Annotated[str, Text("email")] | None, Form(examples=["ada@example.com"])] = None,
    phone: Annotated[Annotated[str, Text("phone")] | None, Form(examples=["+44 20 7946 0958"])] = None,
    company: Annotated[ShortText | None, Form(examples=["Analytical Engines Ltd"])] = None,
    message: Annotated[
        Annotated[str, Text("custom_field_value")] | None, Form(examples=["Please call me about pricing"])
    ] = None,
    submission_id: Annotated[
        HeaderText | None, Form(description="Set by the form to make resubmits safe", examples=["3f6c1a2e-submit-1"])
    ] = None,
) -> CommandAccepted:
    details = validated(
        lambda: LeadDetails(
            contact_name=name,
            email=email or None,
            phone=phone or None,
            company=company or None,
            source=LeadSource.WEB_FORM,
            custom_fields={"form_id": form_id, "message": message},
        )
    )
    contents = "\x1f".join([name, email or "", phone or "", company or "", message or ""])
    key = submission_id or hashlib.sha256(contents.encode()).hexdigest()
    actor = f"form:{form_id}"
    meta = EventMeta(actor=actor, channel=Channel.API, command_id=scoped_command_id(actor, key))
    return accepted(service.capture_lead(details=details, meta=meta, screen=flag(Combined(queries, service))))
