"""Executions as FlyteRemote returns them: a workflow execution, its node executions and their task attempts.

Each is the model Flyte Admin returns (``id``, ``spec``, ``closure``, ...) plus inputs and outputs as Python values.
An execution receives its collaborator, an :class:`ExecutionSession` (the FlyteRemote that made it), when it is
built (``bound``), so ``execution.wait()``, ``execution.sync()`` and ``execution.outputs`` work on their own; its
message is replaced, never edited, when it is synced. Nothing outside these classes writes their state.
"""

from __future__ import annotations

import datetime as _dt
import html
import reprlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, Union

from flyteidl.admin import execution_pb2 as execution_pb2_admin
from flyteidl.core import execution_pb2, interface_pb2

from flyteplane.errors import FlyteAssertion
from flyteplane.models._model import to_pb
from flyteplane.models.admin.task_execution import TaskExecution
from flyteplane.models.execution import Execution
from flyteplane.models.node_execution import NodeExecution

if TYPE_CHECKING:
    from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
    from flyteplane.types import LiteralsResolver

__all__ = ["ExecutionSession", "FlyteNodeExecution", "FlyteTaskExecution", "FlyteWorkflowExecution"]

_WF = execution_pb2.WorkflowExecution
_NODE = execution_pb2.NodeExecution
_TASK = execution_pb2.TaskExecution

WORKFLOW_DONE = frozenset({_WF.SUCCEEDED, _WF.FAILED, _WF.ABORTED, _WF.TIMED_OUT})
# RECOVERED is done too (flytekit forgets it): the node's outputs were copied from the recovered run.
NODE_DONE = frozenset({_NODE.SUCCEEDED, _NODE.FAILED, _NODE.ABORTED, _NODE.SKIPPED, _NODE.TIMED_OUT, _NODE.RECOVERED})
TASK_DONE = frozenset({_TASK.SUCCEEDED, _TASK.FAILED, _TASK.ABORTED})


def workflow_phase_name(phase: int) -> str:
    """``SUCCEEDED``, ``RUNNING``, ... for a workflow execution phase (the number for an unknown one)."""
    try:
        return str(_WF.Phase.Name(phase))  # type: ignore[arg-type]
    except ValueError:
        return str(phase)


class ExecutionSession(Protocol):
    """What an execution asks of the remote that made it (``FlyteRemote`` is one)."""

    def load_data(self, target: AnyExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        """The inputs and outputs of an execution, node execution or task attempt."""
        ...

    def sync_execution(
        self, execution: FlyteWorkflowExecution, entity_definition: Any = None, sync_nodes: bool = False
    ) -> FlyteWorkflowExecution:
        """Refresh ``execution`` in place."""
        ...

    def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: _dt.timedelta | float | None = None,
        poll_interval: _dt.timedelta | float | None = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        """Wait for ``execution`` to finish."""
        ...

    def generate_console_url(self, entity: Any) -> str:
        """The console page of ``entity``."""
        ...


class _Data:
    """Inputs and outputs fetched once, on first use, through the session."""

    _pb: Any  # the wrapped flyteidl message (declared by the model base)

    _session: ExecutionSession | None = None
    _inputs: LiteralsResolver | None = None
    _outputs: LiteralsResolver | None = None

    def _load(self) -> None:
        if self._session is None:
            raise FlyteAssertion(f"{self!r} is not attached to a FlyteRemote: fetch it through one to read its data")
        self._inputs, self._outputs = self._session.load_data(self)  # type: ignore[arg-type]

    def set_data(self, inputs: LiteralsResolver, outputs: LiteralsResolver) -> None:
        """Take inputs and outputs read elsewhere (``flyteplane.aio.FlyteRemote`` reads them with an await)."""
        self._inputs, self._outputs = inputs, outputs

    @property
    def data_loaded(self) -> bool:
        """Whether inputs and outputs have been read."""
        return self._outputs is not None

    def _inputs_value(self) -> LiteralsResolver:
        if self._inputs is None:
            self._load()
        assert self._inputs is not None
        return self._inputs

    def _outputs_value(self) -> LiteralsResolver:
        if self._outputs is None:
            self._load()
        assert self._outputs is not None
        return self._outputs

    def _outputs_text(self) -> str:
        """``, outputs={'y': 42}`` once outputs have been read (values not converted yet show as ``...``)."""
        outputs = self._outputs
        if outputs is None:
            return ""
        read = outputs.native_values
        short = reprlib.Repr()
        short.maxstring, short.maxother, short.maxlist, short.maxdict = 40, 40, 6, 6
        items = ", ".join(f"{n!r}: {short.repr(read[n]) if n in read else '...'}" for n in outputs)
        return f", outputs={{{items}}}"


def _duration_text(closure: Any) -> str:
    """``, 1.25s`` for a finished (or running) execution with a recorded duration."""
    if closure.HasField("duration") and (closure.duration.seconds or closure.duration.nanos):
        return f", {closure.duration.ToTimedelta().total_seconds():g}s"
    return ""


class _Step(_Data):
    """What a node execution and a task attempt share."""

    closure: Any  # the model's closure field

    @property
    def phase(self) -> int:
        return int(self._pb.closure.phase)

    @property
    def error(self) -> Any:
        """The ExecutionError model, None unless it failed."""
        return self.closure.error

    @property
    def inputs(self) -> LiteralsResolver:
        return self._inputs_value()


def _error_text(error: Any) -> str:
    if error is None:
        return ""
    return f"[{error.code}] {error.message}".strip() if error.code else str(error.message)


class FlyteWorkflowExecution(_Data, Execution):
    """A workflow (or single-task) execution. ``closure.phase`` says where it is; ``outputs`` are Python values."""

    _node_executions: dict[str, FlyteNodeExecution] | None = None
    _entity: FlyteTask | FlyteWorkflow | FlyteLaunchPlan | None = None
    type_hints: dict[str, type] | None = None

    @classmethod
    def bound(
        cls,
        pb: execution_pb2_admin.Execution,
        session: ExecutionSession | None,
        type_hints: Mapping[str, type] | None = None,
        entity: FlyteTask | FlyteWorkflow | FlyteLaunchPlan | None = None,
    ) -> FlyteWorkflowExecution:
        """An execution over the message ``pb``, served by ``session`` (None: detached, no data or sync)."""
        execution = cls.from_flyte_idl(pb)
        execution._session = session
        execution.type_hints = dict(type_hints) if type_hints else None
        execution._entity = entity
        return execution

    @classmethod
    def promote_from_model(
        cls,
        base_model: Execution | Any,
        remote: ExecutionSession | None = None,
        type_hints: dict[str, type] | None = None,
    ) -> FlyteWorkflowExecution:
        """flytekit's constructor: an execution over a model or message."""
        return cls.bound(to_pb(base_model), remote, type_hints)

    # -- state ----------------------------------------------------------------------------------------------
    @property
    def phase(self) -> int:
        return int(self._pb.closure.phase)

    @property
    def phase_name(self) -> str:
        return workflow_phase_name(self.phase)

    @property
    def is_done(self) -> bool:
        """SUCCEEDED, FAILED, ABORTED or TIMED_OUT."""
        return self._pb.closure.phase in WORKFLOW_DONE

    @property
    def is_successful(self) -> bool:
        return bool(self._pb.closure.phase == _WF.SUCCEEDED)

    @property
    def error(self) -> Any:
        """The execution's error (an ExecutionError model), None when it did not fail.

        Raises:
            FlyteAssertion: the execution has not finished.
        """
        if not self.is_done:
            raise FlyteAssertion(f"execution {self.id.name} is {self.phase_name}: it has no error yet")
        return self.closure.error

    @property
    def inputs(self) -> LiteralsResolver:
        """The inputs the execution ran with, as Python values (``inputs["x"]``)."""
        return self._inputs_value()

    @property
    def outputs(self) -> LiteralsResolver:
        """The outputs as Python values (``outputs["o0"]``).

        Raises:
            FlyteAssertion: the execution has not finished, or it did not succeed (the message carries its error).
        """
        pb = self._pb
        if not self.is_done:
            raise FlyteAssertion(
                f"execution {pb.id.name} is {self.phase_name}: outputs exist once it succeeds; wait for it with "
                "remote.wait(execution)"
            )
        if not self.is_successful:
            error = _error_text(self.closure.error) or pb.closure.abort_metadata.cause
            raise FlyteAssertion(f"execution {pb.id.name} {self.phase_name}, it has no outputs: {error}")
        return self._outputs_value()

    @property
    def node_executions(self) -> dict[str, FlyteNodeExecution]:
        """The top-level node executions by node id (filled by ``sync(sync_nodes=True)`` / ``wait``)."""
        return self._node_executions or {}

    @property
    def flyte_entity(self) -> FlyteTask | FlyteWorkflow | FlyteLaunchPlan | None:
        """What the execution runs, when the remote has fetched it."""
        return self._entity

    @property
    def execution_url(self) -> str | None:
        """The execution's page in the Flyte console, None without a remote."""
        return None if self._session is None else self._session.generate_console_url(self)

    # -- actions ----------------------------------------------------------------------------------------------
    def _require_session(self) -> ExecutionSession:
        if self._session is None:
            raise FlyteAssertion(f"execution {self._pb.id.name} is not attached to a FlyteRemote")
        return self._session

    def sync(self, sync_nodes: bool = False) -> FlyteWorkflowExecution:
        """Refresh from Flyte Admin (``remote.sync_execution``)."""
        return self._require_session().sync_execution(self, sync_nodes=sync_nodes)

    def wait(
        self,
        timeout: _dt.timedelta | float | None = None,
        poll_interval: _dt.timedelta | float | None = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        """Wait for the execution to finish (``remote.wait``)."""
        return self._require_session().wait(self, timeout=timeout, poll_interval=poll_interval, sync_nodes=sync_nodes)

    def update(
        self,
        pb: execution_pb2_admin.Execution,
        node_executions: dict[str, FlyteNodeExecution] | None = None,
        entity: FlyteTask | FlyteWorkflow | FlyteLaunchPlan | None = None,
        session: ExecutionSession | None = None,
    ) -> None:
        """Take a newer message of the same execution (inputs never change; outputs appear when it finishes), and
        what a sync read with it: its nodes, what it runs, the session that serves it (each kept if None)."""
        if pb.closure.phase != self._pb.closure.phase:
            self._outputs = None
        self._pb = pb
        if node_executions is not None:
            self._node_executions = node_executions
        if entity is not None:
            self._entity = entity
        if session is not None and self._session is None:
            self._session = session

    def __repr__(self) -> str:
        i = self._pb.id
        return (
            f"FlyteWorkflowExecution({i.project}:{i.domain}:{i.name}, {self.phase_name}"
            f"{_duration_text(self._pb.closure)}{self._outputs_text()})"
        )

    def _repr_html_(self) -> str:
        i = self._pb.id
        url = self.execution_url
        name = html.escape(i.name)
        link = f'<a href="{html.escape(url)}" target="_blank">{name}</a>' if url else name
        rows = [
            f"<b>Execution</b> {link} ({html.escape(i.project)}/{html.escape(i.domain)}): "
            f"<code>{self.phase_name}</code>{html.escape(_duration_text(self._pb.closure))}"
        ]
        if self.is_done and not self.is_successful:
            error = _error_text(self.closure.error) or self._pb.closure.abort_metadata.cause
            rows.append(f"<pre>{html.escape(error)}</pre>")
        outputs = self._outputs
        if outputs is not None:
            read = outputs.native_values
            cells = "".join(
                f"<tr><td><code>{html.escape(n)}</code></td>"
                f"<td>{html.escape(reprlib.repr(read[n])) if n in read else '...'}</td></tr>"
                for n in outputs
            )
            rows.append(f"<table><tr><th>output</th><th>value</th></tr>{cells}</table>")
        return "<div>" + "<br>".join(rows) + "</div>"


class FlyteNodeExecution(_Step, NodeExecution):
    """One node of an execution, with its task attempts or its sub-workflow's nodes."""

    _task_executions: list[FlyteTaskExecution] | None = None
    _subworkflow_node_executions: dict[str, FlyteNodeExecution] | None = None
    _workflow_executions: list[FlyteWorkflowExecution] | None = None
    _interface: interface_pb2.TypedInterface | None = None

    @classmethod
    def bound(
        cls,
        pb: Any,
        session: ExecutionSession | None,
        interface: interface_pb2.TypedInterface | None = None,
        *,
        task_executions: list[FlyteTaskExecution] | None = None,
        subworkflow_node_executions: dict[str, FlyteNodeExecution] | None = None,
        workflow_executions: list[FlyteWorkflowExecution] | None = None,
    ) -> FlyteNodeExecution:
        """A node execution over the message ``pb`` with what ran under it."""
        node = cls.from_flyte_idl(pb)
        node._session = session
        node._interface = interface
        node._task_executions = task_executions
        node._subworkflow_node_executions = subworkflow_node_executions
        node._workflow_executions = workflow_executions
        return node

    @property
    def is_done(self) -> bool:
        """SUCCEEDED, FAILED, ABORTED, SKIPPED, TIMED_OUT or RECOVERED."""
        return self._pb.closure.phase in NODE_DONE

    @property
    def task_executions(self) -> list[FlyteTaskExecution]:
        """The attempts of a task node, in order."""
        return self._task_executions or []

    @property
    def subworkflow_node_executions(self) -> dict[str, FlyteNodeExecution]:
        """The nodes inside a sub-workflow or branch node, by node id."""
        return self._subworkflow_node_executions or {}

    @property
    def workflow_executions(self) -> list[FlyteWorkflowExecution]:
        """The execution a launch plan node started (one, or none yet)."""
        return self._workflow_executions or []

    @property
    def executions(self) -> list[Any]:
        """Whatever ran under this node: task attempts, child nodes or a child execution."""
        return [*self.task_executions, *self.subworkflow_node_executions.values(), *self.workflow_executions]

    @property
    def interface(self) -> interface_pb2.TypedInterface | None:
        """The interface of what the node ran, when known."""
        return self._interface

    @property
    def outputs(self) -> LiteralsResolver:
        """The node's outputs as Python values; raises FlyteAssertion with the error if the node failed."""
        if self._pb.closure.HasField("error"):
            raise FlyteAssertion(f"node {self._pb.id.node_id} failed: {_error_text(self.closure.error)}")
        return self._outputs_value()

    def __repr__(self) -> str:
        name = _NODE.Phase.Name(self._pb.closure.phase) if self._pb.closure.phase in _NODE.Phase.values() else "?"
        return f"FlyteNodeExecution({self._pb.id.node_id}, {name}{_duration_text(self._pb.closure)})"


class FlyteTaskExecution(_Step, TaskExecution):
    """One attempt of a task."""

    _interface: interface_pb2.TypedInterface | None = None

    @classmethod
    def bound(
        cls, pb: Any, session: ExecutionSession | None, interface: interface_pb2.TypedInterface | None = None
    ) -> FlyteTaskExecution:
        """A task attempt over the message ``pb``; ``interface`` types its inputs and outputs."""
        attempt = cls.from_flyte_idl(pb)
        attempt._session = session
        attempt._interface = interface
        return attempt

    @property
    def interface(self) -> interface_pb2.TypedInterface | None:
        """The task's interface, when known."""
        return self._interface

    @property
    def is_done(self) -> bool:
        """SUCCEEDED, FAILED or ABORTED."""
        return self._pb.closure.phase in TASK_DONE

    @property
    def outputs(self) -> LiteralsResolver:
        if self._pb.closure.HasField("error"):
            raise FlyteAssertion(
                f"task {self._pb.id.task_id.name} attempt {self._pb.id.retry_attempt} failed: "
                f"{_error_text(self.closure.error)}"
            )
        return self._outputs_value()

    def __repr__(self) -> str:
        i = self._pb.id
        name = _TASK.Phase.Name(self._pb.closure.phase) if self._pb.closure.phase in _TASK.Phase.values() else "?"
        return f"FlyteTaskExecution({i.task_id.name}, attempt {i.retry_attempt}, {name})"


AnyExecution = Union[FlyteWorkflowExecution, FlyteNodeExecution, FlyteTaskExecution]
