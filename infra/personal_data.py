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
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jsonpath_ng import Fields, Index, JSONPath, parse

from domain.contract.cloudevents import SEALED_FIELD
from infra.subject_keys import KeyStore

FIELD = SEALED_FIELD


@lru_cache(maxsize=1024)
def path(expression: str) -> JSONPath:
    return parse(expression)


@lru_cache(maxsize=256)
def steps(expression: str) -> tuple[str, ...]:
    """The declared expressions are plain dotted paths with ``*`` and ``[*]``: compiled once,
    walked without JSONPath's parser and match objects on every event stored (profiling put
    that walk at about a tenth of a capture)."""
    compiled: list[str] = []
    for part in expression.split("."):
        # JSONPath reads ``name[*]`` as ``name.*``: every item of a list, every value of an object
        compiled += [part[:-3], "*"] if part.endswith("[*]") else [part]
    return tuple(compiled)


@lru_cache(maxsize=4096)
def _rendered(key: str) -> str:
    return str(Fields(key))


def found(expression: str, state: Any) -> Iterator[tuple[str, Any, Any]]:
    """(concrete path as JSONPath writes it, container, key) of each value the expression
    reaches in ``state``: the same matches, in the same order, as ``parse(expression).find``."""
    yield from _walk(steps(expression), 0, state, ())


def _walk(compiled: tuple[str, ...], at: int, node: Any, trail: tuple[str, ...]) -> Iterator[tuple[str, Any, Any]]:
    step = compiled[at]
    last = at == len(compiled) - 1
    if step == "*" and isinstance(node, list):
        named: list[tuple[Any, str]] = [(i, str(Index(i))) for i in range(len(node))]
    elif not isinstance(node, dict):
        return
    elif step == "*":
        named = [(k, _rendered(k)) for k in node]
    elif step in node:
        named = [(step, _rendered(step))]
    else:
        return
    for key, text in named:
        if last:
            yield ".".join((*trail, text)), node, key
        else:
            yield from _walk(compiled, at + 1, node[key], (*trail, text))


_PLAIN = re.compile(r"^(?:@?[A-Za-z_][A-Za-z0-9_@-]*|\[\d+\])(?:\.(?:@?[A-Za-z_][A-Za-z0-9_@-]*|\[\d+\]))*$")


def put(concrete: str, state: Any, value: Any) -> None:
    """Sets the value at a concrete path written by :func:`found` (or by JSONPath, in events
    sealed before), only where the path exists, as JSONPath's ``update`` does; paths with
    quoted keys go through JSONPath itself."""
    if not _PLAIN.match(concrete):
        path(concrete).update(state, value)
        return
    node = state
    parts = concrete.split(".")
    for i, part in enumerate(parts):
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        if isinstance(key, int) != isinstance(node, list) or (
            isinstance(key, int) and not -len(node) <= key < len(node)
        ):
            return
        if not isinstance(key, int) and key not in node:
            return
        if i == len(parts) - 1:
            node[key] = value
        else:
            node = node[key]


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
            for concrete, container, key in found(expression, state):
                if present(container[key]):
                    paths.append(concrete)
                    values.append(container[key])
                    container[key] = None
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
            put(concrete, state, value)


def erased_values(cls: type, state: dict[str, Any], paths: list[str]) -> list[Any]:
    """What each sealed path reads once erased: the value its class declares for the
    expression that matches it (null when the class no longer declares one)."""
    declared: dict[str, Any] = getattr(cls, "personal_data", {})
    erased = {concrete: value for expression, value in declared.items() for concrete, _, _ in found(expression, state)}
    return [copy.deepcopy(erased.get(concrete)) for concrete in paths]
