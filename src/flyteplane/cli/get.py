"""``flyteplane get projects|tasks|workflows|launchplans|executions [NAME]``, as flytectl's ``get`` reads them.

Without a name, tasks, workflows and launch plans print the latest version of each name in the project and domain;
with a name, every version (newest first), or the one ``--version``. Executions print newest first; one by name
with ``--details`` prints its node tree: every node with its task attempts, a map task's elements (the attempt's
external resources), the children of dynamic and sub-workflow nodes (parent nodes, listed with ``unique_parent_id``
as flytectl does) and the child execution of a launch-plan node.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any

from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2, project_pb2, task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from flyteplane.cli.output import (
    Column,
    add_output_flag,
    console,
    duration_of,
    message_dict,
    print_messages,
    render_duration,
    render_time,
)
from flyteplane.cli.session import CliError, Session, add_connection_flags, guarded, open_session

__all__ = ["add_get_command", "execution_id", "node_tree"]

_PAGE = 100
_NEWEST = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)

_WF_PHASE = core_execution_pb2.WorkflowExecution.Phase
_NODE_PHASE = core_execution_pb2.NodeExecution.Phase
_TASK_PHASE = core_execution_pb2.TaskExecution.Phase

_KINDS = {
    "projects": ("project",),
    "tasks": ("task",),
    "workflows": ("workflow",),
    "launchplans": ("launchplan", "launch-plans", "launch-plan"),
    "executions": ("execution",),
}


def add_get_command(commands: Any) -> None:
    """Register ``get``."""
    get = commands.add_parser("get", help="list or show projects, tasks, workflows, launch plans and executions")
    kinds = get.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, aliases in _KINDS.items():
        sub = kinds.add_parser(kind, aliases=list(aliases), help=f"{kind} (one by NAME)")
        sub.add_argument("name", nargs="?", metavar="NAME")
        if kind in ("tasks", "workflows", "launchplans"):
            sub.add_argument("--version", help="one version of NAME")
        if kind == "executions":
            sub.add_argument("--details", action="store_true", help="the node tree of execution NAME")
        if kind != "projects":
            sub.add_argument("--limit", type=int, default=_PAGE, help=f"at most this many (default {_PAGE})")
        add_connection_flags(sub, scoped=kind != "projects")
        add_output_flag(sub)
        sub.set_defaults(run=_RUNS[kind])


def _pages(call: Callable[[Any], Any], request: Any, items: str, limit: int | None) -> Iterator[Any]:
    """Every item of a paginated list RPC (at most ``limit``), following the tokens."""
    count = 0
    while True:
        request.limit = _PAGE if limit is None else min(_PAGE, limit - count)
        response = call(request)
        for item in getattr(response, items):
            yield item
            count += 1
            if limit is not None and count >= limit:
                return
        if not response.token:
            return
        request.token = response.token


# --- projects -----------------------------------------------------------------------------------------------------

_PROJECT_COLUMNS = (
    Column("ID", lambda p: p.id),
    Column("Name", lambda p: p.name),
    Column("Description", lambda p: p.description),
    Column("State", lambda p: project_pb2.Project.ProjectState.Name(p.state)),
)


@guarded("get projects")
def _get_projects(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        raw = session.raw
        if args.name:
            projects = [raw.get_project(project_pb2.ProjectGetRequest(id=args.name))]
        else:
            projects = list(_pages(raw.list_projects, project_pb2.ProjectListRequest(), "projects", None))
        print_messages(projects, _PROJECT_COLUMNS, args.output)
    finally:
        session.close()
    return 0


# --- tasks, workflows, launch plans -------------------------------------------------------------------------------


def _entity_columns(kind: str) -> tuple[Column, ...]:
    columns = [
        Column("Version", lambda e: e.id.version),
        Column("Name", lambda e: e.id.name),
    ]
    if kind == "launchplans":
        columns.append(Column("State", lambda e: "ACTIVE" if e.closure.state == 1 else "INACTIVE"))
    columns.append(Column("Created At", lambda e: render_time(e.closure, "created_at")))
    return tuple(columns)


def _entities(session: Session, kind: str, name: str | None, version: str | None, limit: int) -> list[Any]:
    raw = session.raw
    get, list_, list_ids, resource = {
        "tasks": (raw.get_task, raw.list_tasks_paginated, raw.list_task_ids_paginated, identifier_pb2.TASK),
        "workflows": (
            raw.get_workflow,
            raw.list_workflows_paginated,
            raw.list_workflow_ids_paginated,
            identifier_pb2.WORKFLOW,
        ),
        "launchplans": (
            raw.get_launch_plan,
            raw.list_launch_plans_paginated,
            raw.list_launch_plan_ids_paginated,
            identifier_pb2.LAUNCH_PLAN,
        ),
    }[kind]
    if version is not None and name is None:
        raise CliError("--version needs a NAME", code=2)
    if name is not None and version is not None:
        ident = identifier_pb2.Identifier(
            resource_type=resource, project=session.project, domain=session.domain, name=name, version=version
        )
        return [get(common_pb2.ObjectGetRequest(id=ident))]

    def versions(entity: str, at_most: int) -> list[Any]:
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=session.project, domain=session.domain, name=entity),
            sort_by=_NEWEST,
        )
        return list(_pages(list_, request, _items(kind), at_most))

    if name is not None:
        found = versions(name, limit)
        if not found:
            raise CliError(f"no {_singular(kind)} named {name} in {session.project}/{session.domain}")
        return found
    ids = common_pb2.NamedEntityIdentifierListRequest(project=session.project, domain=session.domain)
    latest = []
    for entity in _pages(list_ids, ids, "entities", limit):
        latest.extend(versions(entity.name, 1))
    return latest


def _items(kind: str) -> str:
    return {"tasks": "tasks", "workflows": "workflows", "launchplans": "launch_plans"}[kind]


def _singular(kind: str) -> str:
    return {"tasks": "task", "workflows": "workflow", "launchplans": "launch plan", "executions": "execution"}[kind]


def _entity_command(kind: str) -> Callable[[argparse.Namespace], int]:
    @guarded(f"get {kind}")
    def run(args: argparse.Namespace) -> int:
        session = open_session(args)
        try:
            found = _entities(session, kind, args.name, args.version, args.limit)
            print_messages(found, _entity_columns(kind), args.output)
        finally:
            session.close()
        return 0

    return run


# --- executions ---------------------------------------------------------------------------------------------------


def execution_id(session: Session, name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    """The identifier of execution ``name`` in the session's project and domain."""
    return identifier_pb2.WorkflowExecutionIdentifier(project=session.project, domain=session.domain, name=name)


def _launched(e: execution_pb2.Execution) -> str:
    return e.spec.launch_plan.name


_EXECUTION_COLUMNS = (
    Column("Name", lambda e: e.id.name),
    Column("Launch Plan Name", _launched),
    Column("Version", lambda e: e.spec.launch_plan.version),
    Column("Phase", lambda e: _WF_PHASE.Name(e.closure.phase)),
    Column("Started", lambda e: render_time(e.closure, "started_at")),
    Column("Elapsed Time", lambda e: render_duration(duration_of(e.closure))),
    Column("Error", lambda e: _one_line(e.closure.error.message or e.closure.abort_metadata.cause)[:100]),
)


def _one_line(text: str) -> str:
    """A message on one table line, its whitespace collapsed. A listed execution's error is the admin's first 100
    bytes of it (Flyte Admin trims errors in ListExecutions), so this shows what flytectl shows: its start."""
    return " ".join(text.split())


@guarded("get executions")
def _get_executions(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        raw = session.raw
        if args.name:
            request_one = execution_pb2.WorkflowExecutionGetRequest(id=execution_id(session, args.name))
            execution = raw.get_execution(request_one)
            if args.details:
                _print_details(session, execution, args.output)
                return 0
            print_messages([execution], _EXECUTION_COLUMNS, args.output)
            return 0
        if args.details:
            raise CliError("--details needs an execution NAME", code=2)
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=session.project, domain=session.domain), sort_by=_NEWEST
        )
        executions = list(_pages(raw.list_executions_paginated, request, "executions", args.limit))
        print_messages(executions, _EXECUTION_COLUMNS, args.output)
    finally:
        session.close()
    return 0


# --- the node tree ------------------------------------------------------------------------------------------------


def node_tree(session: Session, wid: identifier_pb2.WorkflowExecutionIdentifier, parent: str = "") -> list[dict]:
    """The nodes of an execution (under ``parent``, a parent node's id), oldest first, as flytectl's
    ``NodeExecutionClosure``: ``{"node_exec": NodeExecution, "task_execs": [TaskExecution], "child_nodes": [...]}``
    (protobuf messages, not yet rendered)."""
    raw = session.raw
    request = node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=wid, unique_parent_id=parent)
    nodes = list(_pages(raw.list_node_executions_paginated, request, "node_executions", None))
    nodes.sort(key=lambda n: (n.closure.created_at.seconds, n.closure.created_at.nanos))
    tree = []
    for node in nodes:
        if (node.metadata.spec_node_id or node.id.node_id) in ("start-node", "end-node"):
            continue  # the graph's bookends: no task, no log, nothing to show
        entry: dict[str, Any] = {"node_exec": node, "task_execs": [], "child_nodes": []}
        tasks = task_execution_pb2.TaskExecutionListRequest(node_execution_id=node.id)
        attempts = list(_pages(raw.list_task_executions_paginated, tasks, "task_executions", None))
        entry["task_execs"] = sorted(attempts, key=lambda t: t.id.retry_attempt)
        if node.metadata.is_parent_node or node.metadata.is_dynamic:
            entry["child_nodes"] = node_tree(session, wid, node.id.node_id)
        tree.append(entry)
    return tree


def _tree_dicts(tree: list[dict]) -> list[dict]:
    out = []
    for entry in tree:
        item: dict[str, Any] = {"node_exec": message_dict(entry["node_exec"])}
        if entry["child_nodes"]:
            item["child_nodes"] = _tree_dicts(entry["child_nodes"])
        if entry["task_execs"]:
            item["task_execs"] = [message_dict(t) for t in entry["task_execs"]]
        out.append(item)
    return out


def _phase_style(name: str) -> str:
    if name == "SUCCEEDED":
        return "green"
    if name in ("FAILED", "TIMED_OUT", "ABORTED", "FAILING"):
        return "red"
    return "yellow"


def _label(kind: str, ident: str, phase: str, seconds: float | None, extra: str = "") -> str:
    from rich.markup import escape

    took = f" {render_duration(seconds)}" if seconds is not None else ""
    more = f" {escape(extra)}" if extra else ""
    return f"{kind}[bold]{escape(ident)}[/bold] [{_phase_style(phase)}]{phase}[/]{took}{more}"


def _add_nodes(branch: Any, tree: list[dict]) -> None:
    for entry in tree:
        node = entry["node_exec"]
        phase = _NODE_PHASE.Name(node.closure.phase)
        extra = []
        if node.metadata.spec_node_id and node.metadata.spec_node_id != node.id.node_id:
            extra.append(f"({node.metadata.spec_node_id})")
        if node.metadata.is_dynamic:
            extra.append("dynamic")
        if node.closure.HasField("workflow_node_metadata"):
            extra.append(f"-> execution {node.closure.workflow_node_metadata.execution_id.name}")
        if node.closure.HasField("error"):
            extra.append(f"error: {node.closure.error.message.splitlines()[0] if node.closure.error.message else ''}")
        sub = branch.add(_label("node ", node.id.node_id, phase, duration_of(node.closure), " ".join(extra)))
        for attempt in entry["task_execs"]:
            task_phase = _TASK_PHASE.Name(attempt.closure.phase)
            what = f"{attempt.id.task_id.name} ({attempt.closure.task_type})" if attempt.closure.task_type else ""
            leaf = sub.add(
                _label("attempt ", str(attempt.id.retry_attempt), task_phase, duration_of(attempt.closure), what)
            )
            for resource in attempt.closure.metadata.external_resources:
                element_phase = _TASK_PHASE.Name(resource.phase)
                retry = f"retry {resource.retry_attempt}" if resource.retry_attempt else ""
                leaf.add(_label("element ", str(resource.index), element_phase, None, retry))
        _add_nodes(sub, entry["child_nodes"])


def _print_details(session: Session, execution: execution_pb2.Execution, output: str) -> None:
    tree = node_tree(session, execution.id)
    if output in ("json", "yaml"):
        import json

        dicts = _tree_dicts(tree)
        if output == "json":
            print(json.dumps(dicts, indent=2))
        else:
            import yaml

            print(yaml.safe_dump(dicts, sort_keys=False), end="")
        return
    from rich.tree import Tree

    phase = _WF_PHASE.Name(execution.closure.phase)
    root = Tree(
        _label("execution ", execution.id.name, phase, duration_of(execution.closure), _launched(execution)),
        guide_style="dim",
    )
    _add_nodes(root, tree)
    console().print(root)


_RUNS: dict[str, Callable[[argparse.Namespace], int]] = {
    "projects": _get_projects,
    "tasks": _entity_command("tasks"),
    "workflows": _entity_command("workflows"),
    "launchplans": _entity_command("launchplans"),
    "executions": _get_executions,
}
