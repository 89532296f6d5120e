"""The entities collaborator of FlyteRemote: resolving names and versions, fetching, caching, suggesting.

Every method that talks to Flyte Admin is an operation (see :mod:`flyteplane.remote._io`): the sync and the async
FlyteRemote drive the same code. Requests and responses are flyteidl messages, never converted through models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, tasks_pb2

from flyteplane.errors import FlyteAssertion, FlyteEntityNotExistException
from flyteplane.remote._io import Call, Op
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, RemoteEntity
from flyteplane.types._core import closest

__all__ = ["Catalog", "Scope"]

TASK, WORKFLOW, LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
LATEST = "latest"
PAGE = 100
# Registered task and workflow versions never change: keep a few, so executing or reading the outputs of the same
# entity again costs no fetch.
_CACHE_SIZE = 256
# Suggestions for a mistyped name read at most this many names (ListTaskIds pages of 100).
_SUGGESTION_SCAN = 2000
_KIND_TEXT = {TASK: "task", WORKFLOW: "workflow", LAUNCH_PLAN: "launch plan"}
_LIST_RPC = {
    TASK: "list_tasks_paginated",
    WORKFLOW: "list_workflows_paginated",
    LAUNCH_PLAN: "list_launch_plans_paginated",
}
_IDS_RPC = {
    TASK: "list_task_ids_paginated",
    WORKFLOW: "list_workflow_ids_paginated",
    LAUNCH_PLAN: "list_launch_plan_ids_paginated",
}

V = TypeVar("V")


@dataclass(frozen=True)
class Scope:
    """The default project and domain of a FlyteRemote."""

    project: str | None = None
    domain: str | None = None

    def resolve(self, project: str | None, domain: str | None) -> tuple[str, str]:
        """``project`` / ``domain``, or the defaults; refuses when neither is there."""
        project = project or self.project
        domain = domain or self.domain
        if not project:
            raise FlyteAssertion("no project: pass project=... or create the FlyteRemote with default_project=...")
        if not domain:
            raise FlyteAssertion("no domain: pass domain=... or create the FlyteRemote with default_domain=...")
        return project, domain


def kind_text(resource_type: int) -> str:
    """``task``, ``workflow`` or ``launch plan``."""
    return _KIND_TEXT.get(resource_type, "entity")


class Catalog:
    """Finds registered entities: latest versions, fetches (cached by identifier), and near names for typos."""

    def __init__(
        self, scope: Scope, load_workflow: Callable[[identifier_pb2.Identifier], FlyteWorkflow] | None = None
    ) -> None:
        """``load_workflow`` fetches a launch plan's workflow when ``FlyteLaunchPlan.flyte_workflow`` is first read
        (None: launch plans come without it)."""
        self.scope = scope
        self._load_workflow = load_workflow
        self._cache: dict[bytes, Any] = {}

    # -- identifiers ------------------------------------------------------------------------------------------
    def identifier(
        self, resource_type: int, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> Op[identifier_pb2.Identifier]:
        """A complete identifier; ``version`` None or ``"latest"`` is the most recently registered version."""
        if not name:
            raise FlyteAssertion(f"the name of the {kind_text(resource_type)} to fetch is required")
        project, domain = self.scope.resolve(project, domain)
        if not version or version == LATEST:
            version = yield from self.latest_version(resource_type, project, domain, name)
        return identifier_pb2.Identifier(
            resource_type=resource_type,  # type: ignore[arg-type]
            project=project,
            domain=domain,
            name=name,
            version=version,
        )

    def latest_version(self, resource_type: int, project: str, domain: str, name: str) -> Op[str]:
        """The newest version of ``name``; an unknown name is refused with the closest registered names."""
        request = common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name),
            limit=1,
            sort_by=common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING),
        )
        response = yield Call(_LIST_RPC[resource_type], request)
        items = getattr(response, "launch_plans" if resource_type == LAUNCH_PLAN else _plural(resource_type))
        if not items:
            hint = yield from self.suggestions(resource_type, project, domain, name)
            kind = kind_text(resource_type)
            raise FlyteEntityNotExistException(f"no version of {kind} {project}:{domain}:{name} is registered{hint}")
        return str(items[0].id.version)

    def suggestions(self, resource_type: int, project: str, domain: str, name: str) -> Op[str]:
        """``"; did you mean 'add_one'?"`` from the registered names of that kind (ListTaskIds and friends)."""
        names: list[str] = []
        token = ""
        while len(names) < _SUGGESTION_SCAN:
            request = common_pb2.NamedEntityIdentifierListRequest(
                project=project, domain=domain, limit=PAGE, token=token
            )
            page = yield Call(_IDS_RPC[resource_type], request)
            names.extend(e.name for e in page.entities)
            token = page.token
            if not token:
                break
        near = closest(name, names)
        if near:
            return f"; did you mean {' or '.join(repr(n) for n in near)}?"
        if names:
            return f"; registered {kind_text(resource_type)}s include: {', '.join(sorted(names)[:10])}"
        return f"; no {kind_text(resource_type)} is registered in {project}:{domain}"

    # -- fetches ----------------------------------------------------------------------------------------------
    def _cached(self, key: identifier_pb2.Identifier, fetch: Callable[[], Op[V]]) -> Op[V]:
        token = key.SerializeToString(deterministic=True)
        if token in self._cache:
            return self._cache[token]  # type: ignore[no-any-return]
        value = yield from fetch()
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[token] = value
        return value

    def task_template(self, ident: identifier_pb2.Identifier) -> Op[tasks_pb2.TaskTemplate]:
        """The compiled template of a task version (cached)."""

        def fetch() -> Op[tasks_pb2.TaskTemplate]:
            task: task_pb2.Task = yield Call("get_task", common_pb2.ObjectGetRequest(id=ident))
            return task.closure.compiled_task.template

        return (yield from self._cached(ident, fetch))

    def workflow_closure(self, ident: identifier_pb2.Identifier) -> Op[compiler_pb2.CompiledWorkflowClosure]:
        """The compiled closure of a workflow version (cached)."""

        def fetch() -> Op[compiler_pb2.CompiledWorkflowClosure]:
            wf: workflow_pb2.Workflow = yield Call("get_workflow", common_pb2.ObjectGetRequest(id=ident))
            return wf.closure.compiled_workflow

        return (yield from self._cached(ident, fetch))

    def launch_plan_message(
        self, ident: identifier_pb2.Identifier, *, cached: bool = True
    ) -> Op[launch_plan_pb2.LaunchPlan]:
        """A launch plan version. Cached unless ``cached=False``: its spec and interface never change, but its
        state (active or not) does, so what is shown to the user is read fresh."""

        def fetch() -> Op[launch_plan_pb2.LaunchPlan]:
            lp: launch_plan_pb2.LaunchPlan = yield Call("get_launch_plan", common_pb2.ObjectGetRequest(id=ident))
            return lp

        if not cached:
            return (yield from fetch())
        return (yield from self._cached(ident, fetch))

    def launch_plan(
        self, pb: launch_plan_pb2.LaunchPlan, workflow: Callable[[], FlyteWorkflow] | None = None
    ) -> FlyteLaunchPlan:
        """A FlyteLaunchPlan over a message; its workflow is ``workflow()`` or fetched when first asked for."""
        if workflow is None and self._load_workflow is not None:
            load, wf_id = self._load_workflow, pb.spec.workflow_id
            workflow = lambda: load(wf_id)  # noqa: E731
        lp: FlyteLaunchPlan = FlyteLaunchPlan.promote_from_model(pb, workflow)
        return lp

    def fetch_task(
        self, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> Op[FlyteTask]:
        ident = yield from self.identifier(TASK, project, domain, name, version)
        return FlyteTask.from_flyte_idl((yield from self.task_template(ident)))

    def fetch_workflow(
        self, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> Op[FlyteWorkflow]:
        ident = yield from self.identifier(WORKFLOW, project, domain, name, version)
        return FlyteWorkflow.promote_from_closure((yield from self.workflow_closure(ident)))

    def fetch_launch_plan_message(
        self, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> Op[launch_plan_pb2.LaunchPlan]:
        ident = yield from self.identifier(LAUNCH_PLAN, project, domain, name, version)
        return (yield from self.launch_plan_message(ident, cached=False))

    def fetch_execution_message(
        self, project: str | None, domain: str | None, name: str | None
    ) -> Op[execution_pb2.Execution]:
        if not name:
            raise FlyteAssertion("the name of the execution is required")
        project, domain = self.scope.resolve(project, domain)
        ident = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
        execution: execution_pb2.Execution = yield Call(
            "get_execution", execution_pb2.WorkflowExecutionGetRequest(id=ident)
        )
        return execution

    def entity_kind(self, ident: identifier_pb2.Identifier) -> int:
        """The resource type of ``ident``; refuses one without it (it cannot be fetched)."""
        if ident.resource_type not in _KIND_TEXT:
            raise FlyteAssertion(f"cannot fetch [{ident.name}]: its identifier has no resource type (TASK, ...)")
        return int(ident.resource_type)


def _plural(resource_type: int) -> str:
    return "tasks" if resource_type == TASK else "workflows"


def is_entity(value: object) -> bool:
    """Whether ``value`` is a fetched or registered entity."""
    return isinstance(value, RemoteEntity)
