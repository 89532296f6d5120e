"""The launch collaborator of FlyteRemote: execution options, input checking and conversion, the CreateExecution.

:class:`ExecutionOptions` holds every setting of one execution; ``FlyteRemote.execute`` builds it once from its
keywords and nothing passes options through ``**kwargs``: a new option is a field here plus its keyword there.

Inputs are checked (:meth:`TypeEngine.check_inputs <flyteplane.types.TypeEngine.check_inputs>`) before anything is
uploaded, registered or sent: a wrong name (with "did you mean"), a missing input, a value of the wrong type, or a
dict with a key the input's dataclass / pydantic schema does not declare is refused with no RPC made.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import execution_pb2, launch_plan_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from flyteplane.errors import FlyteAssertion, FlyteEntityAlreadyExistsException, FlyteEntityNotExistException
from flyteplane.remote._io import Call, Offload, Op
from flyteplane.remote.catalog import LAUNCH_PLAN, Catalog
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, RemoteEntity
from flyteplane.remote.options import Options
from flyteplane.types import FileAccess, TypeEngine, TypeTransformerFailedError

__all__ = ["ExecutionOptions", "Launched", "Launcher", "default_launch_plan_spec"]


@dataclass(frozen=True)
class ExecutionOptions:
    """The settings of one execution: every keyword of ``FlyteRemote.execute`` but the entity, its inputs and
    where it runs (see ``execute`` for each one's meaning).

    Raises:
        FlyteAssertion: ``execution_name`` and ``execution_name_prefix`` are both given.
    """

    execution_name: str | None = None
    execution_name_prefix: str | None = None
    options: Options | None = None
    wait: bool = False
    type_hints: Mapping[str, type] | None = None
    overwrite_cache: bool | None = None
    interruptible: bool | None = None
    envs: Mapping[str, str] | None = None
    tags: Sequence[str] | None = None
    cluster_pool: str | None = None
    execution_cluster_label: str | None = None
    labels: Mapping[str, str] | None = None
    annotations: Mapping[str, str] | None = None
    max_parallelism: int | None = None

    def __post_init__(self) -> None:
        if self.execution_name is not None and self.execution_name_prefix is not None:
            raise FlyteAssertion("execution_name and execution_name_prefix are mutually exclusive: pass one")
        if self.options is not None and not isinstance(self.options, Options):
            object.__setattr__(self, "options", Options.coerce(self.options))

    def name(self) -> str:
        """The execution's name: the one given, the prefix plus a random suffix, or "" (Flyte Admin picks one)."""
        if self.execution_name_prefix is not None:
            return f"{self.execution_name_prefix}-{uuid.uuid4().hex[:19]}"
        return self.execution_name or ""

    def spec(self, target: identifier_pb2.Identifier, principal: str) -> execution_pb2.ExecutionSpec:
        """The ExecutionSpec running ``target`` (a launch plan, or a task through its implicit launch plan)."""
        spec = execution_pb2.ExecutionSpec()
        spec.launch_plan.CopyFrom(target)
        spec.metadata.mode = execution_pb2.ExecutionMetadata.MANUAL
        spec.metadata.principal = principal
        (self.options or Options()).apply_to_execution(spec)
        if self.labels:
            spec.labels.values.update(self.labels)
        if self.annotations:
            spec.annotations.values.update(self.annotations)
        for key, value in (self.envs or {}).items():
            spec.envs.values.add(key=key, value=value)
        if self.tags:
            spec.tags.extend(self.tags)
        if self.overwrite_cache is not None:
            spec.overwrite_cache = self.overwrite_cache
        if self.interruptible is not None:
            spec.interruptible.value = self.interruptible
        if self.max_parallelism is not None:
            spec.max_parallelism = self.max_parallelism
        if self.cluster_pool:
            spec.cluster_assignment.cluster_pool_name = self.cluster_pool
        if self.execution_cluster_label:
            spec.execution_cluster_label.value = self.execution_cluster_label
        return spec


@dataclass(frozen=True)
class Launched:
    """What CreateExecution made: the execution's id, the spec it was created with, what it runs, its hints."""

    id: identifier_pb2.WorkflowExecutionIdentifier
    spec: execution_pb2.ExecutionSpec
    entity: FlyteTask | FlyteLaunchPlan
    type_hints: dict[str, type]


class _NeedsFiles(Exception):
    """Raised by the no-upload FileAccess: the inputs hold local data, converted again in a worker."""


class _NoUploads:
    """The FileAccess of the first conversion: plain values convert inline; local data stops it."""

    def put(self, local_path: str, *, is_dir: bool) -> str:
        raise _NeedsFiles(local_path)

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        raise _NeedsFiles(uri)


def default_launch_plan_spec(workflow: FlyteWorkflow, options: Options | None) -> launch_plan_pb2.LaunchPlanSpec:
    """The spec of a workflow's default launch plan: every workflow input comes from the caller."""
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=workflow._identifier_pb())
    for name, var in workflow._interface_pb().inputs.variables.items():
        spec.default_inputs.parameters[name].var.CopyFrom(var)
        spec.default_inputs.parameters[name].required = True
    spec.fixed_inputs.SetInParent()
    if options is not None:
        options.apply_to_launch_plan(spec)
    return spec


def _principal() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "flyteplane"


class Launcher:
    """Checks and converts inputs and creates executions.

    Args:
        catalog: resolves a workflow's launch plan.
        files: the FileAccess that uploads local data for a project and domain.
    """

    def __init__(self, catalog: Catalog, files: Callable[[str, str], FileAccess]) -> None:
        self._catalog = catalog
        self._files = files
        self.principal = _principal()

    def check(self, entity: RemoteEntity, inputs: Mapping[str, Any], hints: Mapping[str, type]) -> None:
        """Refuse inputs that do not fit ``entity``'s interface (no call, no upload)."""
        variables, optional, input_hints = self._interface(entity, hints)
        if isinstance(entity, FlyteWorkflow):
            # Which inputs have defaults is known from the launch plan only: names and types are checked here,
            # missing inputs once the launch plan is read.
            optional = set(variables)
        try:
            TypeEngine.check_inputs(inputs, variables, input_hints, optional=optional)
        except TypeTransformerFailedError as e:
            raise TypeTransformerFailedError(f"{entity.entity_type_text.lower()} {entity.name}: {e}") from e

    @staticmethod
    def _interface(entity: RemoteEntity, hints: Mapping[str, type]) -> tuple[dict[str, Any], set[str], dict[str, type]]:
        variables: dict[str, Any] = dict(entity.input_types())
        optional: set[str] = set()
        if isinstance(entity, FlyteLaunchPlan):
            # Inputs with defaults may be left out (fixed inputs are not inputs of the launch plan at all).
            params = entity.to_flyte_idl().closure.expected_inputs.parameters
            optional = {n for n, p in params.items() if not p.required}
        return variables, optional, {n: t for n, t in hints.items() if n in variables}

    def literal_inputs(
        self, entity: RemoteEntity, inputs: Mapping[str, Any], hints: Mapping[str, type], project: str, domain: str
    ) -> Op[literals_pb2.LiteralMap]:
        """The inputs as literals. Checked first; local files are uploaded only then, in a worker (Offload)."""
        self.check(entity, inputs, hints)
        variables, optional, input_hints = self._interface(entity, hints)
        try:
            return TypeEngine.python_to_literal_map(inputs, variables, input_hints, _NoUploads(), optional=optional)
        except _NeedsFiles:
            pass
        except TypeTransformerFailedError as e:
            raise TypeTransformerFailedError(f"{entity.entity_type_text.lower()} {entity.name}: {e}") from e
        files = self._files(project, domain)
        literal_map: literals_pb2.LiteralMap = yield Offload(
            lambda: TypeEngine.python_to_literal_map(inputs, variables, input_hints, files, optional=optional)
        )
        return literal_map

    def runnable(self, entity: RemoteEntity, options: Options | None) -> Op[FlyteTask | FlyteLaunchPlan]:
        """What an execution of ``entity`` runs: a task or launch plan as is, a workflow through its default launch
        plan (same name and version; registered if missing)."""
        if isinstance(entity, (FlyteTask, FlyteLaunchPlan)):
            return entity
        if not isinstance(entity, FlyteWorkflow):
            raise FlyteAssertion(f"cannot execute a {type(entity).__name__}")
        lp_id = identifier_pb2.Identifier()
        lp_id.CopyFrom(entity._identifier_pb())
        lp_id.resource_type = LAUNCH_PLAN
        try:
            pb = yield from self._catalog.launch_plan_message(lp_id)
        except FlyteEntityNotExistException:
            yield from self.create_default_launch_plan(entity, options)
            pb = yield from self._catalog.launch_plan_message(lp_id)
        lp = self._catalog.launch_plan(pb, lambda: entity)
        lp.type_hints = entity.type_hints
        return lp

    def create_default_launch_plan(self, workflow: FlyteWorkflow, options: Options | None) -> Op[None]:
        """Register ``workflow``'s default launch plan; one already there is success."""
        lp_id = identifier_pb2.Identifier()
        lp_id.CopyFrom(workflow._identifier_pb())
        lp_id.resource_type = LAUNCH_PLAN
        from flyteidl.admin import launch_plan_pb2 as lp_pb2

        request = lp_pb2.LaunchPlanCreateRequest(id=lp_id, spec=default_launch_plan_spec(workflow, options))
        try:
            yield Call("create_launch_plan", request)
        except FlyteEntityAlreadyExistsException:
            pass

    def launch(
        self,
        entity: RemoteEntity,
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        opts: ExecutionOptions,
    ) -> Op[Launched]:
        """Check and convert the inputs, then create the execution (CreateExecution)."""
        hints = {**(entity.type_hints or {}), **(opts.type_hints or {})}
        # Checked against what the caller handed over before any call (a workflow's interface is its launch plan's).
        self.check(entity, inputs, hints)
        target = yield from self.runnable(entity, opts.options)
        target_id = target._identifier_pb()
        project = project or self._catalog.scope.project or target_id.project
        domain = domain or self._catalog.scope.domain or target_id.domain
        literal_inputs = yield from self.literal_inputs(target, inputs, hints, project, domain)
        spec = opts.spec(target_id, self.principal)
        request = execution_pb2.ExecutionCreateRequest(
            project=project, domain=domain, name=opts.name(), spec=spec, inputs=literal_inputs
        )
        try:
            response: execution_pb2.ExecutionCreateResponse = yield Call("create_execution", request)
            ident = response.id
        except FlyteEntityAlreadyExistsException:
            if opts.execution_name is None:
                raise
            # As flytekit: running the same named execution again returns the one that exists.
            ident = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=opts.execution_name)
        return Launched(ident, spec, target, hints)
