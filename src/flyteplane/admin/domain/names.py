"""Names the admin gives executions, as Flyte gives them."""

from __future__ import annotations

import base64

__all__ = ["child_execution_name"]

# Propeller names a launch-plan node's child execution by its parent's name, the node id and the attempt, hashed
# when longer than this (subworkflow.GetChildWorkflowExecutionIDV2).
_CHILD_NAME_LENGTH = 20
_FNV64_OFFSET, _FNV64_PRIME = 0xCBF29CE484222325, 0x100000001B3
_STD_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FLYTE_BASE32 = "abcdefghijklmnopqrstuvwxyz123456"


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
