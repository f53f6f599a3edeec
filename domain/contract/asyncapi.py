"""The AsyncAPI 3 document of every topic the engine touches: the events it publishes, the
intake it consumes, the dead letters it writes and the notifications it sends; the brokers of
the deployment as servers, and the Kafka bindings (message key, topic configuration, consumer
group). Generated from the models, so it cannot drift from what is on the wire; the suite
checks it with the official parser (``@asyncapi/parser``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.contract.documents import CE_HEADERS, DLQ_HEADERS, payload_schemas
from domain.contract.intake import INTAKE_TYPES
from domain.contract.notifications import NOTIFICATION_TYPE, Notification
from domain.contract.type_names import short_name

BINDING = "0.5.0"
"""The Kafka bindings' version (AsyncAPI bindings for Kafka)."""
EVENT_HEADERS = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "ce_leadversion",
    "content-type",
)
"""Headers every published event carries (``ce_notificationid`` too once relayed from the log)."""
INTAKE_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type")
NOTIFICATION_HEADERS = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type")
DEAD_LETTER_ID = "lead_intake_dead_letter"


def message_id(ce_type: str) -> str:
    """A message's key in the document: its type without the reverse-DNS prefix, dots as
    underscores (``lead_qualified_v1``); its ``name`` is the full type."""
    return short_name(ce_type).replace(".", "_")


NOTIFICATION_ID = message_id(NOTIFICATION_TYPE)


@dataclass(frozen=True)
class Deployment:
    """What the document says about where things run (the composition root fills it from settings)."""

    topic_prefix: str = "leads."
    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = 6
    consumer_group: str = "leads"
    dlq_retention_days: int = 30


def headers(required: tuple[str, ...], extra: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Kafka record headers, each a UTF-8 string."""
    described = [*CE_HEADERS, *(extra or [])]
    return {
        "type": "object",
        "properties": {h: {"type": "string", "description": d} for h, d in described},
        "required": list(required),
    }


def key(description: str, *, uuid: bool = False) -> dict[str, Any]:
    """The Kafka message binding: what the record key is."""
    schema: dict[str, Any] = {"type": "string", "description": description}
    if uuid:
        schema["format"] = "uuid"
    return {"kafka": {"key": schema, "bindingVersion": BINDING}}


def topic(name: str, partitions: int | None, **config: Any) -> dict[str, Any]:
    binding: dict[str, Any] = {"topic": name, "bindingVersion": BINDING}
    if partitions is not None:
        binding["partitions"] = partitions
    if config:
        binding["topicConfiguration"] = config
    return {"kafka": binding}


def asyncapi(prefix: str | None = None, *, deployment: Deployment | None = None) -> dict[str, Any]:
    """The document for ``deployment`` (defaults: the settings' defaults); ``prefix`` overrides its topic prefix."""
    d = deployment or Deployment()
    if prefix is not None:
        d = Deployment(**{**d.__dict__, "topic_prefix": prefix})
    payloads, defs = payload_schemas()
    messages: dict[str, dict[str, Any]] = {}
    intake: list[str] = []
    published: list[str] = []
    for name, payload in payloads.items():
        is_intake = name in INTAKE_TYPES
        (intake if is_intake else published).append(message_id(name))
        messages[message_id(name)] = {
            "name": name,
            "title": name,
            "summary": (payload.get("description") or "").split("\n")[0],
            "contentType": "application/json",
            "headers": headers(INTAKE_HEADERS if is_intake else EVENT_HEADERS),
            "payload": payload,
            "bindings": key("The lead id (recommended: keeps a lead's messages in order)")
            if is_intake
            else key("The lead id: a lead's events stay in order on one partition", uuid=True),
        }
    messages[DEAD_LETTER_ID] = {
        "name": DEAD_LETTER_ID,
        "title": "Refused intake message",
        "summary": "An intake message the engine refused: its key, value and headers as received, plus why.",
        "contentType": "application/octet-stream",
        "headers": headers(tuple(h for h, _ in _dlq_headers()), _dlq_headers()),
        "payload": {"description": "The refused message's value, byte for byte as received (may not be JSON)"},
        "bindings": key("The refused message's key, as received"),
    }
    notification = Notification.model_json_schema(ref_template="#/components/schemas/{model}")
    messages[NOTIFICATION_ID] = {
        "name": NOTIFICATION_TYPE,
        "title": NOTIFICATION_TYPE,
        "summary": (notification.get("description") or "").split("\n")[0],
        "contentType": "application/json",
        "headers": headers(NOTIFICATION_HEADERS),
        "payload": notification,
        "bindings": key("The recipient (a user name): each person's notifications stay in order"),
    }
    p = d.topic_prefix
    channels = {
        "leadEvents": _channel(f"{p}lead-events", published, topic(f"{p}lead-events", d.partitions, **_kept_forever())),
        "leadIntake": _channel(f"{p}lead-intake", intake, topic(f"{p}lead-intake", None)),
        "leadIntakeDlq": _channel(
            f"{p}lead-intake.dlq",
            [DEAD_LETTER_ID],
            topic(f"{p}lead-intake.dlq", None, **{"retention.ms": d.dlq_retention_days * 86_400_000}),
        ),
        "notifications": _channel(f"{p}notifications", [NOTIFICATION_ID], topic(f"{p}notifications", d.partitions)),
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Lead lifecycle engine events",
            "version": "1",
            "description": "CloudEvents 1.0 over Kafka (binary mode): ce_* headers, JSON payloads.",
        },
        "defaultContentType": "application/json",
        "servers": _servers(d.bootstrap_servers),
        "channels": channels,
        "operations": {
            "publishLeadEvents": _operation("send", "leadEvents", published, client="leads-relay"),
            "receiveLeadIntake": _operation("receive", "leadIntake", intake, group=f"{d.consumer_group}.intake"),
            "publishDeadLetters": _operation("send", "leadIntakeDlq", [DEAD_LETTER_ID], client="leads-dlq"),
            "publishNotifications": _operation("send", "notifications", [NOTIFICATION_ID], client="leads-notifier"),
        },
        "components": {"messages": messages, "schemas": defs},
    }


def _dlq_headers() -> list[tuple[str, str]]:
    """The dead-letter headers, one per name (the docs' table groups where the original was)."""
    where = {"dlq_topic": "Topic", "dlq_partition": "Partition", "dlq_offset": "Offset"}
    named = [(h, d) for h, d in DLQ_HEADERS if "/" not in h]
    return [*named, *((h, f"{what} of the original message") for h, what in where.items())]


def _kept_forever() -> dict[str, Any]:
    return {"cleanup.policy": ["delete"], "retention.ms": -1, "retention.bytes": -1}


def _channel(address: str, messages: list[str], bindings: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": address,
        "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in messages},
        "bindings": bindings,
    }


def _operation(
    action: str, channel: str, messages: list[str], *, group: str | None = None, client: str | None = None
) -> dict[str, Any]:
    binding: dict[str, Any] = {"bindingVersion": BINDING}
    if group is not None:
        binding["groupId"] = {"type": "string", "enum": [group]}
    if client is not None:
        binding["clientId"] = {"type": "string", "enum": [client]}
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
        "bindings": {"kafka": binding},
    }


def _servers(bootstrap_servers: str) -> dict[str, Any]:
    """One server per bootstrap address (``LEADS_KAFKA_BOOTSTRAP_SERVERS``)."""
    addresses = [a.strip() for a in bootstrap_servers.split(",") if a.strip()]
    return {
        f"broker{i}": {
            "host": address,
            "protocol": "kafka",
            "description": "A bootstrap broker of the deployment's Kafka cluster",
            "bindings": {"kafka": {"bindingVersion": BINDING}},
        }
        for i, address in enumerate(addresses, 1)
    }
