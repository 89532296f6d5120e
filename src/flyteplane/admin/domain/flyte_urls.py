"""Flyte URLs: ``flyte://v1/<project>/<domain>/<execution>/<node>[/<attempt>]/<i|o|d>[/<literal name>]``.

GetNodeExecutionData and GetTaskExecutionData hand them out (``flyte_urls``); GetData resolves them. Without an
attempt a URL names a node execution's data, with one a task execution's. Parsing follows Flyte Admin's two
regular expressions (segments of ``[a-zA-Z0-9_-]``; a literal name only after ``i`` or ``o``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

__all__ = ["FlyteUrl", "flyte_urls", "parse_flyte_url"]

_SEGMENT = "[a-zA-Z0-9_-]+"
# Like Flyte Admin's, unanchored at the start (the caller checks the flyte:// prefix) and anchored at the end.
_WHOLE = re.compile(
    rf"flyte://v1/(?P<project>{_SEGMENT})/(?P<domain>{_SEGMENT})/(?P<exec>{_SEGMENT})/(?P<node>{_SEGMENT})"
    r"(?:/(?P<attempt>[0-9]+))?/(?P<io>[iod])\Z"
)
_NAMED = re.compile(
    rf"flyte://v1/(?P<project>{_SEGMENT})/(?P<domain>{_SEGMENT})/(?P<exec>{_SEGMENT})/(?P<node>{_SEGMENT})"
    rf"(?:/(?P<attempt>[0-9]+))?/(?P<io>[io])/(?P<name>{_SEGMENT})\Z"
)
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class FlyteUrl:
    node_execution_id: identifier_pb2.NodeExecutionIdentifier
    attempt: int | None
    """The task execution's retry attempt; None: the URL names the node execution."""
    io_type: str
    """``i`` (inputs), ``o`` (outputs) or ``d`` (deck)."""
    literal_name: str
    """One literal of the map, or ``""`` for all of them."""


def parse_flyte_url(url: str) -> FlyteUrl:
    """The parts of a Flyte URL; ValueError with Flyte Admin's words when it is not one."""
    match = _WHOLE.search(url) or _NAMED.search(url)
    if match is None:
        raise ValueError(f"failed to parse [{url}]")
    attempt = None
    if match.group("attempt"):
        text = match.group("attempt")
        value = int(text)
        if value > _INT64_MAX:
            raise ValueError(f'failed to parse attempt [{text}], strconv.Atoi: parsing "{text}": value out of range')
        attempt = value % 2**32  # Flyte Admin keeps it as a uint32
    groups = match.groupdict()
    return FlyteUrl(
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(
            node_id=groups["node"],
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                project=groups["project"], domain=groups["domain"], name=groups["exec"]
            ),
        ),
        attempt=attempt,
        io_type=groups["io"],
        literal_name=groups.get("name") or "",
    )


def flyte_urls(node_id: Any, attempt: int | None, deck: bool) -> common_pb2.FlyteURLs:
    """The URLs GetNodeExecutionData (no attempt) and GetTaskExecutionData hand out:
    ``flyte://v1/<project>/<domain>/<execution>/<node>[/<attempt>]/{i,o,d}`` (the deck only when there is one)."""
    execution = node_id.execution_id
    base = f"flyte://v1/{execution.project}/{execution.domain}/{execution.name}/{node_id.node_id}"
    if attempt is not None:
        base = f"{base}/{attempt}"
    urls = common_pb2.FlyteURLs(inputs=f"{base}/i", outputs=f"{base}/o")
    if deck:
        urls.deck = f"{base}/d"
    return urls
