"""Go's compact prototext, as Flyte Admin prints messages inside its error texts.

``%v`` of a protobuf message in Go gives ``project:"p" domain:"d" name:"n"``: fields in order, strings quoted,
enums by name, nested messages in braces, map entries sorted by key. Every admin message that quotes an
identifier or a type goes through :func:`go_text`, so the same value always reads the same. (Go randomly
uses one or two spaces between fields; one is used here.) Unlike Go, a long string is quoted shortened
(:func:`flyteplane.admin.errors.echo`): a message must stay small whatever a client sent.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.message import Message

from flyteplane.admin.errors import echo

__all__ = ["go_text"]


def _go_quote(value: str) -> str:
    # Strings come from clients: a message quotes at most MAX_ECHO_CHARS of each (errors.echo).
    value = echo(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _go_scalar(fd: Any, value: Any) -> str:
    if fd.enum_type is not None:
        enum_value = fd.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, bytes):
        return _go_quote(value.decode("utf-8", errors="backslashreplace"))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return str(value)


def go_text(message: Message) -> str:
    """Go's compact prototext of a message (what ``%v`` prints in Flyte Admin's messages), e.g.
    ``collection_type:{simple:STRING}``. Map entries come out sorted by key, as Go prints them."""
    parts: list[str] = []
    for fd, value in message.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            key_fd = fd.message_type.fields_by_name["key"]
            for key in sorted(value):
                item = value[key]
                rendered = f"{{{go_text(item)}}}" if value_fd.message_type is not None else _go_scalar(value_fd, item)
                parts.append(f"{fd.name}:{{key:{_go_scalar(key_fd, key)} value:{rendered}}}")
        elif fd.is_repeated:
            for item in value:
                parts.append(
                    f"{fd.name}:{{{go_text(item)}}}"
                    if fd.message_type is not None
                    else f"{fd.name}:{_go_scalar(fd, item)}"
                )
        elif fd.message_type is not None:
            parts.append(f"{fd.name}:{{{go_text(value)}}}")
        else:
            parts.append(f"{fd.name}:{_go_scalar(fd, value)}")
    return " ".join(parts)
