"""Printing admin messages as flytectl does: ``-o json`` / ``-o yaml`` / ``-o table``.

JSON and YAML are the protobuf JSON mapping as flytectl prints it (flytectl/pkg/printer/printer.go: a
``jsonpb.Marshaler`` without ``OrigName``, so lowerCamelCase field names, enums by name, 64-bit integers as strings,
default values left out): one message prints as an object, several as an array. Tables are rich tables with the
columns flytectl shows for each kind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

__all__ = ["FORMATS", "Column", "add_output_flag", "console", "print_messages", "render_duration", "render_time"]

FORMATS = ("table", "json", "yaml")


def add_output_flag(parser: Any) -> None:
    parser.add_argument("-o", "--output", choices=FORMATS, default="table", help="output format (default table)")


@dataclass(frozen=True)
class Column:
    """A table column: its header and how to read a cell from a message."""

    header: str
    cell: Callable[[Any], str]


def console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr). On a terminal it fits the terminal; in a pipe or a file (no colours)
    each table row stays on one line, for ``grep``, instead of wrapping at rich's default 80 columns."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _PIPE_WIDTH
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


_PIPE_WIDTH = 1000


def message_dict(message: Message) -> dict[str, Any]:
    """One message in flytectl's JSON shape."""
    return json_format.MessageToDict(message)


def print_messages(messages: Sequence[Message], columns: Sequence[Column], output: str, title: str = "") -> None:
    """Print ``messages`` in ``output`` format (see the module docstring)."""
    if output in ("json", "yaml"):
        dicts = [message_dict(m) for m in messages]
        value: Any = dicts[0] if len(dicts) == 1 else dicts
        if output == "json":
            print(json.dumps(value, indent=2))
        else:
            import yaml

            print(yaml.safe_dump(value, sort_keys=False, default_flow_style=False), end="")
        return
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    for column in columns:
        table.add_column(column.header)
    for message in messages:
        table.add_row(*(column.cell(message) for column in columns))
    out = console()
    out.print(table)
    out.print(f"{len(messages)} rows")


def render_time(message: Message, field: str) -> str:
    """A Timestamp field as ``2024-01-01 12:00:00Z``; empty when unset."""
    if not message.HasField(field):
        return ""
    stamp = getattr(message, field).ToDatetime(tzinfo=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M:%SZ")


def render_duration(seconds: float | None) -> str:
    """``1.5s``, ``2m03s``, ``1h02m``; empty for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def duration_of(message: Message, field: str = "duration") -> float | None:
    """A Duration field in seconds; None when unset."""
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    return float(value.seconds) + value.nanos / 1e9
