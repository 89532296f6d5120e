"""Registered entities as FlyteRemote returns them: tasks, workflows and launch plans, plus lazy handles.

Each is the model of what Flyte Admin stores (so ``to_flyte_idl()`` and every model property work) with what a
user of FlyteRemote reaches for: ``name``, ``interface``, the Python types of its inputs and outputs when they are
known, and the entities a workflow runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, types_pb2

from flyteplane.models._model import to_pb
from flyteplane.models.core.identifier import Identifier, ResourceType
from flyteplane.models.core.workflow import WorkflowTemplate
from flyteplane.models.interface import TypedInterface
from flyteplane.models.launch_plan import LaunchPlan
from flyteplane.models.task import TaskTemplate

__all__ = ["FlyteLaunchPlan", "FlyteTask", "FlyteWorkflow", "LazyEntity", "RemoteEntity"]


class RemoteEntity:
    """What the three registered entity kinds share."""

    _pb: Any  # the wrapped flyteidl message (declared by the model base)
    resource_type: int = ResourceType.UNSPECIFIED
    entity_type_text: str = ""
    type_hints: dict[str, type] | None = None
    """Python types of inputs and outputs by name, when known (interactive mode sets them); else guessed."""

    @property
    def name(self) -> str:
        return str(self._identifier_pb().name)

    def _identifier_pb(self) -> identifier_pb2.Identifier:
        raise NotImplementedError  # every concrete entity overrides it

    def _interface_pb(self) -> interface_pb2.TypedInterface:
        raise NotImplementedError  # every concrete entity overrides it

    def input_types(self) -> dict[str, types_pb2.LiteralType]:
        """The literal type of every input, by name."""
        return {name: var.type for name, var in self._interface_pb().inputs.variables.items()}

    def output_types(self) -> dict[str, types_pb2.LiteralType]:
        """The literal type of every output, by name."""
        return {name: var.type for name, var in self._interface_pb().outputs.variables.items()}

    def __repr__(self) -> str:
        i = self._identifier_pb()
        return f"{type(self).__name__}({i.project}:{i.domain}:{i.name}:{i.version})"


class FlyteTask(RemoteEntity, TaskTemplate):
    """A registered task (its template, as compiled by Flyte Admin)."""

    resource_type = ResourceType.TASK
    entity_type_text = "Task"

    @classmethod
    def promote_from_model(cls, base_model: TaskTemplate | Any) -> FlyteTask:
        """A FlyteTask over a TaskTemplate model or message (no copy)."""
        return cls.from_flyte_idl(to_pb(base_model))

    def _identifier_pb(self) -> identifier_pb2.Identifier:
        return self._pb.id  # type: ignore[no-any-return]

    def _interface_pb(self) -> interface_pb2.TypedInterface:
        return self._pb.interface  # type: ignore[no-any-return]


class FlyteWorkflow(RemoteEntity, WorkflowTemplate):
    """A registered workflow: its primary template, with the compiled closure it came in."""

    resource_type = ResourceType.WORKFLOW
    entity_type_text = "Workflow"
    _closure: compiler_pb2.CompiledWorkflowClosure | None = None

    @classmethod
    def promote_from_closure(cls, closure: Any) -> FlyteWorkflow:
        """A FlyteWorkflow over a CompiledWorkflowClosure (model or message)."""
        pb = to_pb(closure)
        wf = cls.from_flyte_idl(pb.primary.template)
        wf._closure = pb
        return wf

    @property
    def compiled_closure(self) -> compiler_pb2.CompiledWorkflowClosure | None:
        """The closure Flyte Admin compiled (primary, sub-workflows, tasks), when fetched from Flyte Admin."""
        return self._closure

    @property
    def flyte_tasks(self) -> list[FlyteTask]:
        """Every task the workflow runs, from its closure."""
        if self._closure is None:
            return []
        return [FlyteTask.from_flyte_idl(t.template) for t in self._closure.tasks]

    @property
    def flyte_sub_workflows(self) -> list[FlyteWorkflow]:
        """Every sub-workflow the workflow runs, from its closure."""
        if self._closure is None:
            return []
        return [FlyteWorkflow.from_flyte_idl(s.template) for s in self._closure.sub_workflows]

    @property
    def flyte_nodes(self) -> list[Any]:
        """The workflow's nodes, without the start and end nodes Flyte Admin adds."""
        return [n for n in self.nodes if n.id not in ("start-node", "end-node")]

    def _identifier_pb(self) -> identifier_pb2.Identifier:
        return self._pb.id  # type: ignore[no-any-return]

    def _interface_pb(self) -> interface_pb2.TypedInterface:
        return self._pb.interface  # type: ignore[no-any-return]


class FlyteLaunchPlan(RemoteEntity, LaunchPlan):
    """A registered launch plan. Its interface comes from what Flyte Admin computed (expected inputs and outputs),
    so no workflow fetch is needed to run it; ``flyte_workflow`` fetches the workflow when asked."""

    resource_type = ResourceType.LAUNCH_PLAN
    entity_type_text = "Launch Plan"
    _workflow_getter: Callable[[], FlyteWorkflow] | None = None
    _workflow: FlyteWorkflow | None = None

    @classmethod
    def promote_from_model(cls, model: LaunchPlan | Any, workflow: Callable[[], FlyteWorkflow] | None = None) -> Any:
        lp = cls.from_flyte_idl(to_pb(model))
        lp._workflow_getter = workflow
        return lp

    @property
    def workflow_id(self) -> Identifier:
        return Identifier.from_flyte_idl(self._pb.spec.workflow_id)

    @property
    def default_inputs(self) -> Any:
        return self.spec.default_inputs

    @property
    def fixed_inputs(self) -> Any:
        return self.spec.fixed_inputs

    @property
    def is_scheduled(self) -> bool:
        """Whether the launch plan runs on a schedule (cron or rate)."""
        schedule = self._pb.spec.entity_metadata.schedule
        return bool(schedule.cron_expression or schedule.HasField("rate") or schedule.HasField("cron_schedule"))

    @property
    def interface(self) -> TypedInterface:
        """Inputs (the expected inputs: defaults and required ones, not the fixed ones) and outputs."""
        return TypedInterface.from_flyte_idl(self._interface_pb())

    @property
    def flyte_workflow(self) -> FlyteWorkflow | None:
        """The workflow the launch plan runs (fetched on first access)."""
        if self._workflow is None and self._workflow_getter is not None:
            self._workflow = self._workflow_getter()
        return self._workflow

    def _identifier_pb(self) -> identifier_pb2.Identifier:
        return self._pb.id  # type: ignore[no-any-return]

    def _interface_pb(self) -> interface_pb2.TypedInterface:
        closure = self._pb.closure
        interface = interface_pb2.TypedInterface()
        for name, param in closure.expected_inputs.parameters.items():
            interface.inputs.variables[name].CopyFrom(param.var)
        interface.outputs.CopyFrom(closure.expected_outputs)
        return interface


E = TypeVar("E")


class LazyEntity(Generic[E]):
    """An entity fetched on first use (``fetch_task_lazy`` and friends): defining one makes no call.

    Attribute access and calls go to the fetched entity; the fetch happens once, under a lock.
    """

    def __init__(self, name: str, getter: Callable[[], E]) -> None:
        self._name = name
        self._getter = getter
        self._entity: E | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def entity_fetched(self) -> bool:
        """Whether the fetch has happened."""
        return self._entity is not None

    @property
    def entity(self) -> E:
        """The fetched entity (fetching it now if needed)."""
        if self._entity is None:
            with self._lock:
                if self._entity is None:
                    self._entity = self._getter()
        return self._entity

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            raise AttributeError(item)
        return getattr(self.entity, item)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.entity(*args, **kwargs)  # type: ignore[operator]

    def __repr__(self) -> str:
        state = "fetched" if self.entity_fetched() else "not fetched"
        return f"LazyEntity({self._name!r}, {state})"
