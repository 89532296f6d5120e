"""Lists and controls of FlyteRemote as operations (see :mod:`flyteplane.remote._io`): list calls walked page by
page, signals, relaunch / recover, launch plan activation -- one implementation for the blocking and the asyncio
FlyteRemote.

Requests are built by the clients' request builders (:mod:`flyteplane.clients.operations`), so a list call here
sends what ``client.iter_tasks(...)`` sends; responses stay flyteidl messages (no model round trip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from flyteplane.clients import operations as requests
from flyteplane.clients.ops import Paging
from flyteplane.clients.pager import PageWalk
from flyteplane.errors import FlyteAssertion, FlyteEntityNotExistException
from flyteplane.models._model import to_pb
from flyteplane.models.admin.common import Sort
from flyteplane.models.domain import Domain
from flyteplane.models.project import Project
from flyteplane.remote._io import Call, Op
from flyteplane.remote.catalog import Catalog
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from flyteplane.remote.executions import FlyteWorkflowExecution

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from flyteplane.clients.operations import Filters

__all__ = ["PAGE", "Listing", "execution_id", "page_size"]

#: The page size of list calls walked to a limit (Flyte Admin's default list limit).
PAGE = 100


def page_size(limit: int | None) -> int:
    """Items per request for a walk of ``limit`` items in all (None: all of them)."""
    return PAGE if limit is None else max(1, min(limit, PAGE))


def _newest(sort_by: Sort | None) -> Sort:
    return sort_by if sort_by is not None else Sort("created_at", Sort.Direction.DESCENDING)


def walk(method: str, paging: Paging[Message], items: str) -> Op[list[Any]]:
    """Every item of a paginated list call (the raw ``method``), page after page up to the paging's limit."""
    pages = PageWalk(paging.page_size, paging.limit)
    out: list[Any] = []
    while not pages.done:
        response = yield Call(method, paging.request(pages.size(), pages.token))
        out.extend(pages.take(list(getattr(response, items)), str(response.token)))
    return out


def listed_workflow(pb: Any) -> FlyteWorkflow:
    """A listed workflow: Flyte Admin lists it with its id and interface only (no nodes or tasks)."""
    template = core_workflow_pb2.WorkflowTemplate(
        id=pb.id, interface=pb.closure.compiled_workflow.primary.template.interface
    )
    return FlyteWorkflow.from_flyte_idl(template)


class Listing:
    """The list, signal and control operations of a FlyteRemote, in the scope (default project and domain) of its
    catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def _named(self, project: str | None, domain: str | None, name: str | None) -> common_pb2.NamedEntityIdentifier:
        project, domain = self._catalog.scope.resolve(project, domain)
        return common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name or "")

    def fetch_active_launch_plan(
        self, project: str | None, domain: str | None, name: str | None
    ) -> Op[FlyteLaunchPlan | None]:
        """The active version of a launch plan, None if no version is active."""
        if not name:
            raise FlyteAssertion("the name of the launch plan is required")
        request = requests.get_active_launch_plan(self._named(project, domain, name))
        try:
            pb = yield Call("get_active_launch_plan", request)
        except FlyteEntityNotExistException:
            return None
        return self._catalog.launch_plan(pb)

    # -- lists ------------------------------------------------------------------------------------------------
    def recent_executions(
        self, project: str | None, domain: str | None, limit: int | None, filters: Filters
    ) -> Op[list[execution_pb2.Execution]]:
        """The newest executions first, up to ``limit`` (None: all)."""
        project, domain = self._catalog.scope.resolve(project, domain)
        paging = requests.iter_executions(project, domain, filters, _newest(None), page_size(limit), limit)
        return (yield from walk("list_executions_paginated", paging, "executions"))

    def list_tasks(
        self,
        project: str | None,
        domain: str | None,
        name: str | None,
        limit: int | None,
        filters: Filters,
        sort_by: Sort | None,
    ) -> Op[list[FlyteTask]]:
        """Task versions (of one name, or all), newest first unless ``sort_by`` says otherwise."""
        named = self._named(project, domain, name)
        paging = requests.iter_tasks(named, filters, _newest(sort_by), page_size(limit), limit)
        tasks = yield from walk("list_tasks_paginated", paging, "tasks")
        return [FlyteTask.from_flyte_idl(t.closure.compiled_task.template) for t in tasks]

    def list_workflows(
        self,
        project: str | None,
        domain: str | None,
        name: str | None,
        limit: int | None,
        filters: Filters,
        sort_by: Sort | None,
    ) -> Op[list[FlyteWorkflow]]:
        """Workflow versions as listed (id and interface), one list call per page."""
        named = self._named(project, domain, name)
        paging = requests.iter_workflows(named, filters, _newest(sort_by), page_size(limit), limit)
        workflows = yield from walk("list_workflows_paginated", paging, "workflows")
        return [listed_workflow(w) for w in workflows]

    def list_launch_plans(
        self,
        project: str | None,
        domain: str | None,
        name: str | None,
        limit: int | None,
        filters: Filters,
        sort_by: Sort | None,
        active_only: bool,
    ) -> Op[list[FlyteLaunchPlan]]:
        """Launch plan versions (or only the active ones), newest first unless ``sort_by`` says otherwise."""
        if active_only:
            project, domain = self._catalog.scope.resolve(project, domain)
            paging: Paging[Any] = requests.iter_active_launch_plans(project, domain, sort_by, page_size(limit), limit)
            method = "list_active_launch_plans_paginated"
        else:
            named = self._named(project, domain, name)
            paging = requests.iter_launch_plans(named, filters, _newest(sort_by), page_size(limit), limit)
            method = "list_launch_plans_paginated"
        plans = yield from walk(method, paging, "launch_plans")
        return [self._catalog.launch_plan(lp) for lp in plans]

    def list_projects(self, limit: int | None, filters: Filters, sort_by: Sort | None) -> Op[list[Project]]:
        """Projects (archived ones hidden by Flyte Admin), up to ``limit`` (None: all)."""
        paging = requests.iter_projects(filters, sort_by, page_size(limit), limit)
        projects = yield from walk("list_projects", paging, "projects")
        return [Project.from_flyte_idl(p) for p in projects]

    def get_domains(self) -> Op[list[Domain]]:
        """The domains Flyte Admin is configured with."""
        response = yield Call("get_domains", requests.get_domains())
        return [Domain.from_flyte_idl(d) for d in response.domains]

    # -- signals ----------------------------------------------------------------------------------------------
    def _execution_id(
        self, execution_name: str, project: str | None, domain: str | None
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        project, domain = self._catalog.scope.resolve(project, domain)
        return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=execution_name)

    def list_signals(
        self, execution_name: str, project: str | None, domain: str | None, limit: int, filters: Filters
    ) -> Op[list[signal_pb2.Signal]]:
        """The signals (gate nodes' inputs) of an execution: one page of up to ``limit``."""
        request = requests.list_signals_paginated(
            self._execution_id(execution_name, project, domain), limit=limit, filters=filters
        )
        response = yield Call("list_signals", request)
        return list(response.signals)

    def signal_type(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str
    ) -> Op[types_pb2.LiteralType | None]:
        """The type Flyte Admin records for a signal of an execution; None when it has no such signal."""
        paging = Paging(lambda n, t: requests.list_signals_paginated(execution_id, limit=n, token=t), PAGE, None)
        for signal in (yield from walk("list_signals", paging, "signals")):
            if signal.id.signal_id == signal_id:
                return signal.type  # type: ignore[no-any-return]
        return None

    def set_signal(
        self,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None,
        domain: str | None,
        python_type: type | None,
        literal_type: Any,
    ) -> Op[None]:
        """Give a signal its value, converted to the signal's own type unless ``literal_type`` says otherwise; a
        Literal (model or message) is sent as it is."""
        from flyteplane.models.literals import Literal
        from flyteplane.types import TypeEngine

        execution_id = self._execution_id(execution_name, project, domain)
        if isinstance(value, (Literal, literals_pb2.Literal)):
            literal = to_pb(value)
        else:
            expected = (
                to_pb(literal_type)
                if literal_type is not None
                else (yield from self.signal_type(execution_id, signal_id))
            )
            literal = TypeEngine.to_literal(value, python_type, expected)
        request = signal_pb2.SignalSetRequest(value=literal)
        request.id.signal_id = signal_id
        request.id.execution_id.CopyFrom(execution_id)
        yield Call("set_signal", request)

    # -- controls ---------------------------------------------------------------------------------------------
    def terminate(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> Op[None]:
        """Abort a running execution; ``cause`` is recorded as the reason."""
        yield Call("terminate_execution", requests.terminate_execution(execution_id, cause))

    def relaunch(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, name: str | None
    ) -> Op[execution_pb2.Execution]:
        """Run an execution again with the same inputs; returns the new execution."""
        created = yield Call("relaunch_execution", requests.relaunch_execution(execution_id, name))
        return (yield from _get(created.id))

    def recover(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, name: str | None
    ) -> Op[execution_pb2.Execution]:
        """Run a failed execution again, reusing the outputs of the nodes that succeeded; returns the new one."""
        created = yield Call("recover_execution", requests.recover_execution(execution_id, name))
        return (yield from _get(created.id))

    def set_launch_plan_state(self, ident: Any, active: bool) -> Op[None]:
        """Activate a launch plan version (Flyte Admin deactivates the other versions of its name) or
        deactivate it."""
        state = launch_plan_pb2.ACTIVE if active else launch_plan_pb2.INACTIVE
        yield Call("update_launch_plan", requests.update_launch_plan(to_pb(ident), state))


def _get(ident: identifier_pb2.WorkflowExecutionIdentifier) -> Op[execution_pb2.Execution]:
    return (yield Call("get_execution", execution_pb2.WorkflowExecutionGetRequest(id=ident)))


def execution_id(execution: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
    """The identifier of an execution, or the identifier given (model or message)."""
    if isinstance(execution, FlyteWorkflowExecution):
        return execution.to_flyte_idl().id  # type: ignore[no-any-return]
    pb = to_pb(execution)
    if isinstance(pb, identifier_pb2.WorkflowExecutionIdentifier):
        return pb
    raise FlyteAssertion(f"expected an execution or a WorkflowExecutionIdentifier, got {type(execution).__name__}")
