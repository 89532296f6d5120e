"""The commands that change things: ``launch``, ``terminate``, ``relaunch`` and ``create project``.

``launch`` reads each ``--input name=value`` against the launch plan's interface: the Python type flyteplane's type
engine reads that input's literal type as decides how the text is parsed (integers, floats, booleans, ISO
datetimes, Go-style durations as flytectl writes them, enum values; lists, maps and structs as JSON; files and
directories as a path or URI, uploaded as FlyteRemote uploads them), and the type engine then builds the literal, so
a value that does not fit fails before anything is sent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import typing
from typing import Any

from flyteidl.admin import execution_pb2, project_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import types_pb2

from flyteplane.cli.get import execution_id
from flyteplane.cli.output import console
from flyteplane.cli.session import CliError, add_connection_flags, guarded, open_session

__all__ = ["add_action_commands", "parse_input"]

_WF_PHASE = core_execution_pb2.WorkflowExecution.Phase
_TRUE = ("true", "1", "yes", "y", "on")
_FALSE = ("false", "0", "no", "n", "off")


def add_action_commands(commands: Any) -> None:
    """Register ``launch``, ``terminate``, ``relaunch`` and ``create project``."""
    launch = commands.add_parser("launch", help="run a launch plan with inputs")
    launch.add_argument("launch_plan", metavar="LAUNCH_PLAN", help="the launch plan's name")
    launch.add_argument("--version", help="the launch plan's version (default: the latest)")
    launch.add_argument(
        "-i", "--input", action="append", default=[], metavar="NAME=VALUE", help="an input (repeatable)"
    )
    launch.add_argument("--name", help="the execution's name (default: one the admin makes)")
    launch.add_argument("--wait", action="store_true", help="wait until it ends; exit 1 unless it succeeded")
    add_connection_flags(launch)
    launch.set_defaults(run=_launch)

    terminate = commands.add_parser("terminate", help="abort a running execution")
    terminate.add_argument("execution", metavar="EXECUTION")
    terminate.add_argument("--cause", default="terminated with flyteplane terminate", help="the reason recorded")
    add_connection_flags(terminate)
    terminate.set_defaults(run=_terminate)

    relaunch = commands.add_parser("relaunch", help="run an execution again with the same inputs")
    relaunch.add_argument("execution", metavar="EXECUTION")
    relaunch.add_argument("--name", help="the new execution's name (default: one the admin makes)")
    add_connection_flags(relaunch)
    relaunch.set_defaults(run=_relaunch)

    create = commands.add_parser("create", help="create a project")
    kinds = create.add_subparsers(dest="kind", required=True, metavar="KIND")
    project = kinds.add_parser("project", help="register a project")
    project.add_argument("id", metavar="ID", help="the project's identifier")
    project.add_argument("--name", help="its display name (default: the ID)")
    project.add_argument("--description", default="", help="what it is for")
    add_connection_flags(project, scoped=False)
    project.set_defaults(run=_create_project)


# --- inputs -------------------------------------------------------------------------------------------------------


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _parse_as(python_type: Any, text: str) -> Any:
    """``text`` read as a value of ``python_type`` (see the module docstring)."""
    if python_type is str:
        return text
    if python_type is bool:
        return _bool(text)
    if python_type is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected an integer") from None
    if python_type is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if python_type is dt.datetime:
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected an ISO 8601 date and time (2024-01-31T12:00:00Z)") from None
        return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.timezone.utc)
    if python_type is dt.timedelta:
        from flyteplane.configuration import parse_duration

        return dt.timedelta(seconds=parse_duration(text))
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        try:
            return python_type(text)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in python_type)
            raise ValueError(f"expected one of {allowed}") from None
    if getattr(python_type, "__name__", "") in ("FlyteFile", "FlyteDirectory") or _is_file_type(python_type):
        return text
    if typing.get_origin(python_type) is typing.Union:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # a union with a string member takes the text as it is
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"expected JSON ({e.msg})") from None


def _is_file_type(python_type: Any) -> bool:
    from flyteplane.types import FlyteDirectory, FlyteFile

    return isinstance(python_type, type) and issubclass(python_type, (FlyteFile, FlyteDirectory))


def parse_input(name: str, text: str, literal_type: types_pb2.LiteralType) -> Any:
    """The Python value of ``--input name=text`` for an input of ``literal_type``.

    Raises:
        CliError: the text cannot be read as that type (exit code 2).
    """
    from flyteplane.types import TypeEngine, TypeTransformerFailedError
    from flyteplane.types._core import describe_literal_type

    try:
        python_type = TypeEngine.guess_python_type(literal_type)
        return _parse_as(python_type, text)
    except (ValueError, TypeTransformerFailedError) as e:
        raise CliError(f"--input {name}={text}: {e} for a {describe_literal_type(literal_type)}", code=2) from None


def _inputs(entries: list[str], variables: dict[str, types_pb2.LiteralType], plan: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for entry in entries:
        name, sep, text = entry.partition("=")
        if not sep or not name:
            raise CliError(f"--input takes NAME=VALUE, not [{entry}]", code=2)
        if name not in variables:
            known = ", ".join(sorted(variables)) or "none"
            raise CliError(f"launch plan {plan} has no input {name} (its inputs: {known})", code=2)
        values[name] = parse_input(name, text, variables[name])
    return values


# --- commands -----------------------------------------------------------------------------------------------------


@guarded("launch")
def _launch(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        remote = session.remote
        plan = remote.fetch_launch_plan(session.project, session.domain, args.launch_plan, args.version)
        inputs = _inputs(args.input, plan.input_types(), args.launch_plan)
        execution = remote.execute(plan, inputs, execution_name=args.name)
        ident = execution.id
        from rich.markup import escape

        out = console()
        url = escape(remote.generate_console_url(execution))
        out.print(f"execution [bold]{escape(ident.name)}[/bold] started: {url}")
        if not args.wait:
            return 0
        with out.status(f"waiting for {ident.name} to end"):
            execution = remote.wait(execution)
        closure = execution.to_flyte_idl().closure
        succeeded = closure.phase == core_execution_pb2.WorkflowExecution.SUCCEEDED
        style = "green" if succeeded else "red"
        out.print(f"execution [bold]{escape(ident.name)}[/bold] [{style}]{_WF_PHASE.Name(closure.phase)}[/]")
        if not succeeded:
            reason = closure.error.message or closure.abort_metadata.cause
            if reason:
                console(stderr=True).print(reason, markup=False, highlight=False)
            return 1
    finally:
        session.close()
    return 0


@guarded("terminate")
def _terminate(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        wid = execution_id(session, args.execution)
        session.raw.terminate_execution(execution_pb2.ExecutionTerminateRequest(id=wid, cause=args.cause))
        print(f"execution {args.execution} terminated")
    finally:
        session.close()
    return 0


@guarded("relaunch")
def _relaunch(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        wid = execution_id(session, args.execution)
        request = execution_pb2.ExecutionRelaunchRequest(id=wid, name=args.name or "")
        new = session.raw.relaunch_execution(request).id
        url = session.remote.generate_console_url(new)
        print(f"execution {new.name} started (relaunch of {args.execution}): {url}")
    finally:
        session.close()
    return 0


@guarded("create project")
def _create_project(args: argparse.Namespace) -> int:
    session = open_session(args)
    try:
        project = project_pb2.Project(id=args.id, name=args.name or args.id, description=args.description)
        session.raw.register_project(project_pb2.ProjectRegisterRequest(project=project))
        print(f"project {args.id} created")
    finally:
        session.close()
    return 0
