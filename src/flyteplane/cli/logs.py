"""``flyteplane logs EXECUTION [--node ID] [-f]``: the task logs of an execution, read over HTTP.

Each task attempt's ``closure.logs[].uri`` (and, for a map task, each element's in ``metadata.external_resources``)
is where its log lives; the embedded admin serves them at ``<http base>/logs/<name>``. Links that are not
``http(s)`` (a cloud console's, for example) are named on stderr, not read.

``-f`` follows: while the execution (or the ``--node``) runs, every log is asked again for what lies after the bytes
already printed, with ``Range: bytes=N-``; a server that answers 206 sends just those, one that answers 200 sends all
of it and the first N bytes are skipped, 416 means nothing new. Headers naming the node and attempt go to stderr, so
stdout carries the log bytes alone.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.cli.get import execution_id, node_tree
from flyteplane.cli.session import CliError, Session, add_connection_flags, guarded, open_session

__all__ = ["add_logs_command"]

_POLL_SECONDS = 0.5
_WF_DONE = {
    core_execution_pb2.WorkflowExecution.SUCCEEDED,
    core_execution_pb2.WorkflowExecution.FAILED,
    core_execution_pb2.WorkflowExecution.ABORTED,
    core_execution_pb2.WorkflowExecution.TIMED_OUT,
}
_NODE_DONE = {
    core_execution_pb2.NodeExecution.SUCCEEDED,
    core_execution_pb2.NodeExecution.FAILED,
    core_execution_pb2.NodeExecution.ABORTED,
    core_execution_pb2.NodeExecution.SKIPPED,
    core_execution_pb2.NodeExecution.TIMED_OUT,
    core_execution_pb2.NodeExecution.RECOVERED,
}


def add_logs_command(commands: Any) -> None:
    """Register ``logs``."""
    logs = commands.add_parser("logs", help="print (or follow) the task logs of an execution")
    logs.add_argument("execution", metavar="EXECUTION", help="the execution's name")
    logs.add_argument(
        "--node", metavar="ID", help="only this node and the nodes under it (its id, or its id in the workflow)"
    )
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new output until it ends")
    add_connection_flags(logs)
    logs.set_defaults(run=_logs)


@dataclass(frozen=True)
class LogSource:
    """One log of one task attempt (or map-task element)."""

    uri: str
    label: str


def _flatten(tree: list[dict]) -> Iterator[dict]:
    for entry in tree:
        yield entry
        yield from _flatten(entry["child_nodes"])


def _matches(entry: dict, node: str | None) -> bool:
    if node is None:
        return True
    ne = entry["node_exec"]
    return node in (ne.id.node_id, ne.metadata.spec_node_id)


def _selected(tree: list[dict], node: str | None) -> Iterator[dict]:
    """The nodes whose logs are printed: every one, or the ``--node`` and everything under it (a dynamic or
    sub-workflow node's children)."""
    for entry in tree:
        if _matches(entry, node):
            yield from _flatten([entry])
        else:
            yield from _selected(entry["child_nodes"], node)


def _sources(tree: list[dict], node: str | None) -> list[LogSource]:
    found: dict[str, LogSource] = {}
    for entry in _selected(tree, node):
        node_id = entry["node_exec"].id.node_id
        for attempt in entry["task_execs"]:
            where = f"node {node_id} attempt {attempt.id.retry_attempt}"
            for log in attempt.closure.logs:
                found.setdefault(log.uri, LogSource(log.uri, f"{where} ({log.name})"))
            for element in attempt.closure.metadata.external_resources:
                for log in element.logs:
                    label = f"{where} element {element.index} ({log.name})"
                    found.setdefault(log.uri, LogSource(log.uri, label))
    return list(found.values())


def _node_done(tree: list[dict], node: str) -> bool:
    matching = [e for e in _flatten(tree) if _matches(e, node)]
    return bool(matching) and all(e["node_exec"].closure.phase in _NODE_DONE for e in matching)


class _LogReader:
    """Reads the admin's log URLs: TLS as the config says, a bearer token once one is asked for."""

    def __init__(self, session: Session, follow: bool) -> None:
        self._session = session
        self._follow = follow
        self._token: str | None = None
        self._ssl = self._ssl_context()

    def _ssl_context(self) -> Any:
        import ssl

        platform = self._session.config.platform
        if platform.insecure_skip_verify:
            return ssl._create_unverified_context()
        context = ssl.create_default_context(cafile=platform.ca_cert_file_path or None)
        return context

    def _authorization(self) -> str:
        """``Bearer <token>`` from the client's auth provider (the login or cached token its gRPC calls use);
        empty when the config gives none."""
        from flyteplane.clients.auth.factory import provider_for

        provider = provider_for(self._session.config.platform, self._session.raw.channel)
        for key, value in provider.metadata() if provider is not None else ():
            if key.lower() in ("authorization", "flyte-authorization"):
                return str(value)
        return ""

    def read(self, uri: str, offset: int) -> bytes:
        """The bytes of ``uri`` after ``offset`` (b"" when there are none yet)."""
        for _turn in range(2):
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            if self._token is not None:
                headers["Authorization"] = self._token
            request = urllib.request.Request(uri, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30, context=self._ssl) as response:
                    body = response.read()
                    return body if response.status == 206 else body[offset:]
            except urllib.error.HTTPError as e:
                if e.code == 416:
                    return b""  # nothing after offset yet
                if e.code == 404 and self._follow:
                    return b""  # the attempt has not written its log file yet: the next turn reads it
                if e.code == 401 and self._token is None:
                    self._token = self._authorization()  # asked once; the next turn sends it
                    if self._token:
                        continue
                raise CliError(f"reading the log {uri}: HTTP {e.code} {e.reason}") from None
            except urllib.error.URLError as e:
                raise CliError(f"reading the log {uri}: {e.reason}") from None
        raise AssertionError("unreachable: the second turn returns or raises")


class _Printer:
    def __init__(self) -> None:
        self._last: str | None = None
        self.offsets: dict[str, int] = {}
        self._named: set[str] = set()

    def link(self, source: LogSource) -> None:
        if source.uri not in self._named:
            self._named.add(source.uri)
            print(f"== {source.label}: {source.uri} (not an HTTP log this command reads)", file=sys.stderr)

    def write(self, source: LogSource, data: bytes) -> None:
        if not data:
            return
        if self._last != source.uri:
            sys.stdout.flush()
            print(f"== {source.label}", file=sys.stderr, flush=True)
            self._last = source.uri
        self.offsets[source.uri] = self.offsets.get(source.uri, 0) + len(data)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _drain(reader: _LogReader, printer: _Printer, sources: list[LogSource]) -> None:
    for source in sources:
        if not source.uri.startswith(("http://", "https://")):
            printer.link(source)
            continue
        printer.write(source, reader.read(source.uri, printer.offsets.get(source.uri, 0)))


@guarded("logs")
def _logs(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        wid = execution_id(session, args.execution)
        get = execution_pb2.WorkflowExecutionGetRequest(id=wid)
        execution = session.raw.get_execution(get)
        reader, printer = _LogReader(session, args.follow), _Printer()
        tree = node_tree(session, wid)
        if args.node is not None and not any(_matches(e, args.node) for e in _flatten(tree)) and not args.follow:
            raise CliError(f"execution {args.execution} has no node {args.node}")
        while True:
            # Whether it was done is read before the logs: the last read then has everything written before the end.
            done = execution.closure.phase in _WF_DONE or (args.node is not None and _node_done(tree, args.node))
            _drain(reader, printer, _sources(tree, args.node))
            if done or not args.follow:
                break
            time.sleep(_POLL_SECONDS)
            execution = session.raw.get_execution(get)
            tree = node_tree(session, wid)
        if not printer.offsets and args.node is not None and not any(_matches(e, args.node) for e in _flatten(tree)):
            raise CliError(f"execution {args.execution} has no node {args.node}")
    finally:
        session.close()
    return 0
