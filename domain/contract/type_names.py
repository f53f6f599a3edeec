"""The CloudEvents ``type`` of every message on the wire.

The CloudEvents spec recommends that a type be prefixed with a reverse-DNS name of its producer,
so that types from many producers never collide on a shared bus. Ours is
:data:`TYPE_PREFIX`, the reverse of the name our ``ce_source`` already carries
(``urn:leads-engine:lead``): ``org.leads-engine.lead.qualified.v1``.

The prefix is a wire name only. Inside the engine, in the event store and on the HTTP API, an
event keeps its short name (``lead.qualified.v1``, see ``domain.contract.envelope.event_type``):
stored events, their topics and classes, do not change. Earlier releases published and took the
short names, so readers take both: the lead events topic keeps every event ever published, and
producers in other teams send intake messages under the old names until they move.
"""

from __future__ import annotations

TYPE_PREFIX = "org.leads-engine."
"""Reverse-DNS prefix of every type the engine publishes or takes."""


def wire_type(name: str) -> str:
    """``lead.qualified.v1`` → ``org.leads-engine.lead.qualified.v1``."""
    return TYPE_PREFIX + name


def short_name(ce_type: str) -> str:
    """The engine's name of a wire type: the prefix removed when it is there, so an alias (a
    short name published by an earlier release) reads as itself."""
    return ce_type.removeprefix(TYPE_PREFIX)
