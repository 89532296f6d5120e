"""Keeping secrets out of ``repr()``/``str()`` of the config objects, which end up in logs and tracebacks."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flyteplane.configuration.values import mask_url_password

__all__ = ["MASK", "SECRET", "URL_WITH_PASSWORD", "masked_repr"]

MASK = "***"
"""What a secret that is set looks like in a repr (an unset one shows as None, which is useful to see)."""

SECRET: dict[str, Any] = {"flyteplane_secret": True}
"""``field(metadata=SECRET)`` marks a field whose value must never be printed."""

URL_WITH_PASSWORD: dict[str, Any] = {"flyteplane_url": True}
"""``field(metadata=URL_WITH_PASSWORD)`` marks a URL that may carry ``user:password@``; the password is masked."""


def masked_repr(obj: Any) -> str:
    """A dataclass repr in the usual ``Name(field=value, ...)`` shape, with secret fields masked."""
    parts = []
    for f in fields(obj):
        if not f.repr:
            continue
        value = getattr(obj, f.name)
        if value is not None and f.metadata.get("flyteplane_secret"):
            shown = repr(MASK)
        elif isinstance(value, str) and f.metadata.get("flyteplane_url"):
            shown = repr(mask_url_password(value))
        else:
            shown = repr(value)
        parts.append(f"{f.name}={shown}")
    return f"{type(obj).__name__}({', '.join(parts)})"
