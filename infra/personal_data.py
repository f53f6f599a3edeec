"""Seals the personal fields of an event with its subject's key, and opens them again.

Each event class names its personal fields (``DomainEvent.personal_data``: JSONPath → value
once erased). Sealing moves the values found there into one AES-GCM ciphertext under the
event's ``personal_data`` entry and leaves null in their place; the ciphertext is bound to the
subject's id. That sealed form is what the event store keeps and what the relay publishes, so
Kafka holds no personal data in the clear either. Opening puts the values back while the
subject's key exists, and the declared erased values once it is destroyed.
"""

from __future__ import annotations

import base64
import copy
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jsonpath_ng import JSONPath, parse

from domain.contract.cloudevents import SEALED_FIELD
from infra.subject_keys import KeyStore

FIELD = SEALED_FIELD


@lru_cache(maxsize=1024)
def path(expression: str) -> JSONPath:
    return parse(expression)


def present(value: Any) -> bool:
    """Whether a field holds anything worth sealing (null, "" and {} say nothing)."""
    return value not in (None, "", {}, [])


class PersonalData:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def seal(self, cls: type, subject: UUID, state: dict[str, Any], *, first_event: bool) -> None:
        """In place: move the personal values of ``state`` (an event of ``cls``) into ``FIELD``."""
        declared: dict[str, Any] = getattr(cls, "personal_data", {})
        paths: list[str] = []
        values: list[Any] = []
        for expression in declared:
            for match in path(expression).find(state):
                if present(match.value):
                    paths.append(str(match.full_path))
                    values.append(match.value)
                    match.full_path.update(state, None)
        if not paths:
            return
        key = self.keys.key_for_writing(subject, first_event=first_event)
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, orjson.dumps(values), subject.bytes)
        state[FIELD] = {"paths": paths, "sealed": base64.b64encode(nonce + sealed).decode()}

    def open(
        self, cls: type, subject: UUID, state: dict[str, Any], known: Mapping[UUID, bytes | None] | None = None
    ) -> None:
        """In place: put the sealed values back, or the declared erased values if the key is
        gone. ``known``: keys fetched for a whole batch (see ``KeyStore.keys_for_reading``)."""
        block = state.pop(FIELD, None)
        if not block:
            return
        paths: list[str] = block["paths"]
        key = known[subject] if known is not None and subject in known else self.keys.key_for_reading(subject)
        if key is None:
            values = erased_values(cls, state, paths)
        else:
            raw = base64.b64decode(block["sealed"])
            values = orjson.loads(AESGCM(key).decrypt(raw[:12], raw[12:], subject.bytes))
        for concrete, value in zip(paths, values, strict=True):
            path(concrete).update(state, value)


def erased_values(cls: type, state: dict[str, Any], paths: list[str]) -> list[Any]:
    """What each sealed path reads once erased: the value its class declares for the
    expression that matches it (null when the class no longer declares one)."""
    declared: dict[str, Any] = getattr(cls, "personal_data", {})
    erased = {str(m.full_path): value for expression, value in declared.items() for m in path(expression).find(state)}
    return [copy.deepcopy(erased.get(concrete)) for concrete in paths]
