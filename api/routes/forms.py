"""Website forms post here (form-encoded, no token): each post captures a lead.

A double submit (the same form, the same contents, or the same ``submission_id``) creates one
lead: the idempotency key is derived from the submission."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, status

from api.deps import ServiceDep
from api.models import CommandAccepted
from api.routes.commands import accepted
from domain.values import Channel, EventMeta, LeadDetails, LeadSource, validated

router = APIRouter(prefix="/forms", tags=["web forms"])


@router.post("/{form_id}", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted)
def submit(
    form_id: Annotated[str, "the form's id"],
    service: ServiceDep,
    name: Annotated[str, Form(min_length=1, examples=["Ada Lovelace"])],
    email: Annotated[str | None, Form(examples=["ada@example.com"])] = None,
    phone: Annotated[str | None, Form(examples=["+44 20 7946 0958"])] = None,
    company: Annotated[str | None, Form(examples=["Analytical Engines Ltd"])] = None,
    message: Annotated[str | None, Form(examples=["Please call me about pricing"])] = None,
    submission_id: Annotated[
        str | None, Form(description="Set by the form to make resubmits safe", examples=["3f6c1a2e-submit-1"])
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
    key = (
        submission_id
        or hashlib.sha256(
            "\x1f".join([form_id, name, email or "", phone or "", company or "", message or ""]).encode()
        ).hexdigest()
    )
    meta = EventMeta(actor=f"form:{form_id}", channel=Channel.API, command_id=f"form:{form_id}/{key}")
    return accepted(service.capture_lead(details=details, meta=meta))
