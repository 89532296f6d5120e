"""The names Flyte Admin and propeller give executions and their namespaces."""

from __future__ import annotations

import base64
import secrets

__all__ = ["child_execution_name", "execution_name", "namespace_of"]

# k8s.io/apimachinery rand.String's alphabet (no vowels, no look-alikes), as Flyte Admin generates names with it.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATED_LENGTH = 20
# Propeller names a launch-plan node's child execution by its parent's name, the node id and the attempt, hashed
# when longer than this (subworkflow.GetChildWorkflowExecutionIDV2).
_CHILD_NAME_LENGTH = 20
_FNV64_OFFSET, _FNV64_PRIME = 0xCBF29CE484222325, 0x100000001B3
_STD_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FLYTE_BASE32 = "abcdefghijklmnopqrstuvwxyz123456"


def execution_name(requested: str) -> str:
    """The client's name as sent (Flyte Admin only lowercases it to check it), or a generated one: ``a`` + 19
    random characters."""
    if requested:
        return requested
    return "a" + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(_GENERATED_LENGTH - 1))


def child_execution_name(parent_name: str, node_id: str, attempt: int = 0) -> str:
    """Propeller's name for the execution a launch-plan node starts: ``<parent>-<node>-<attempt>`` when that fits
    in 20 characters, else ``f`` + the base32 (Flyte's alphabet) of its 64-bit FNV-1a hash."""
    joined = "-".join(part for part in (parent_name, node_id, str(attempt)) if part)
    if len(joined) <= _CHILD_NAME_LENGTH:
        return joined
    value = _FNV64_OFFSET
    for byte in joined.encode():
        value = ((value ^ byte) * _FNV64_PRIME) & 0xFFFFFFFFFFFFFFFF
    encoded = base64.b32encode(value.to_bytes(8, "big")).decode().rstrip("=")
    return "f" + encoded.translate(str.maketrans(_STD_BASE32, _FLYTE_BASE32))


def namespace_of(project: str, domain: str) -> str:
    """Flyte Admin's default namespace template ``{{ project }}-{{ domain }}``."""
    return f"{project}-{domain}"
