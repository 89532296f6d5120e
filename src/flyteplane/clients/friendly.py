"""SynchronousFlyteClient: Flyte Admin with flyteplane models in and out.

The method names and signatures are flytekit's, so code written for ``flytekit.clients.friendly`` runs
unchanged: paginated calls return ``(items, next_token)``, ``create_*`` return ``None``. On top of that:

* ``iter_*`` methods return a lazy :class:`~flyteplane.clients.pager.Pager` over all pages of every list call;
* calls flytekit leaves out: ``get_project``, ``list_named_entities`` / ``get_named_entity``, the attribute
  deletes, project attributes, description entities, ``update_execution``, signals, events;
* ``get_execution_metrics`` and the attribute getters return models, not raw protobufs.

Models wrap the response messages without copying them, so a page of 100 tasks costs 100 small allocations.
"""

# The friendly methods keep flytekit's signatures, which differ from the raw ones they override.
# mypy: disable-error-code="override"

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, TypeVar

from flyteidl.admin import (
    common_pb2,
    description_entity_pb2,
    execution_pb2,
    launch_plan_pb2,
    matchable_resource_pb2,
    node_execution_pb2,
    project_attributes_pb2,
    project_domain_attributes_pb2,
    project_pb2,
    signal_pb2,
    task_execution_pb2,
    task_pb2,
    workflow_attributes_pb2,
    workflow_pb2,
)
from flyteidl.core import identifier_pb2
from flyteidl.service import dataproxy_pb2

from flyteplane.clients.pager import Pager
from flyteplane.clients.raw import RawSynchronousFlyteClient, _render_id
from flyteplane.errors import FlyteInvalidInputException
from flyteplane.models import common as _common
from flyteplane.models import domain as _domain
from flyteplane.models import execution as _execution
from flyteplane.models import filters as _filters
from flyteplane.models import launch_plan as _launch_plan
from flyteplane.models import matchable_resource as _matchable
from flyteplane.models import named_entity as _named_entity
from flyteplane.models import node_execution as _node_execution
from flyteplane.models import project as _project
from flyteplane.models import task as _task
from flyteplane.models._model import FlyteIdlEntity, to_pb, wrap_all
from flyteplane.models.admin import common as _admin_common
from flyteplane.models.admin import description_entity as _description
from flyteplane.models.admin import task_execution as _task_execution
from flyteplane.models.admin import workflow as _workflow
from flyteplane.models.core import identifier as _identifier

__all__ = ["SynchronousFlyteClient"]

_M = TypeVar("_M", bound=FlyteIdlEntity)

DEFAULT_LIMIT = 100


def _filters_text(filters: Sequence[_filters.Filter] | str | None) -> str:
    if not filters:
        return ""
    if isinstance(filters, str):
        return filters
    return str(_filters.FilterList(list(filters)).to_flyte_idl())


def _sort_pb(sort_by: _admin_common.Sort | None) -> common_pb2.Sort | None:
    return None if sort_by is None else sort_by.to_flyte_idl()


def _named_id(identifier: Any, resource_type: int | None = None) -> common_pb2.NamedEntityIdentifier:
    """A NamedEntityIdentifier from any identifier-like object (the seed passes a core Identifier)."""
    pb = to_pb(identifier)
    _require(pb, ("project", "domain"), "named entity")
    return common_pb2.NamedEntityIdentifier(
        project=pb.project, domain=pb.domain, name=getattr(pb, "name", ""), org=getattr(pb, "org", "")
    )


def _require(pb: Any, fields: Sequence[str], what: str) -> None:
    """Refuse an identifier with empty required fields before it goes on the wire.

    Flyte Admin's Get* calls do not validate identifiers (they answer NOT_FOUND for ``domain:"d" name:"n"``), so
    without this check a missing project reads as "no such task" instead of the caller's mistake.
    """
    if all(getattr(pb, f) for f in fields):
        return
    missing = [f for f in fields if not getattr(pb, f)]
    if missing:
        raise FlyteInvalidInputException(
            f"the {what} identifier [{_render_id(pb)}] is missing its {', '.join(missing)}", request=pb
        )


def _core_id(identifier: Any, resource_type: int) -> identifier_pb2.Identifier:
    """A complete core Identifier, with the resource type filled in when left UNSPECIFIED."""
    pb = to_pb(identifier)
    if not (pb.project and pb.domain and pb.name and pb.version):
        _require(pb, ("project", "domain", "name", "version"), identifier_pb2.ResourceType.Name(resource_type).lower())
    if pb.resource_type == resource_type:
        return pb  # type: ignore[no-any-return]
    out = identifier_pb2.Identifier()
    out.CopyFrom(pb)
    if out.resource_type == identifier_pb2.UNSPECIFIED:
        out.resource_type = resource_type  # type: ignore[assignment]
    return out


_pb = to_pb


def _seconds(expires_in: _dt.timedelta | None) -> Any:
    if expires_in is None:
        return None
    from google.protobuf import duration_pb2

    d = duration_pb2.Duration()
    d.FromTimedelta(expires_in)
    return d


class SynchronousFlyteClient(RawSynchronousFlyteClient):
    """The friendly Flyte Admin client.

    ``SynchronousFlyteClient(PlatformConfig(...))`` as in flytekit, or, as in the seed,
    ``SynchronousFlyteClient("host:port", insecure=True)``. A string endpoint keeps the auth and TLS settings of
    the config file and ``FLYTE_*`` environment, and takes the endpoint (and ``insecure``) from the arguments.
    """

    def __init__(self, cfg: Any, insecure: bool | None = None, **kwargs: Any) -> None:
        if isinstance(cfg, str):
            import dataclasses

            from flyteplane.configuration import PlatformConfig

            base = PlatformConfig.auto()
            changes: dict[str, Any] = {"endpoint": cfg}
            if insecure is not None:
                changes["insecure"] = insecure
            cfg = dataclasses.replace(base, **changes)
        elif insecure is not None:
            import dataclasses

            cfg = dataclasses.replace(cfg, insecure=insecure)
        super().__init__(cfg, **kwargs)

    @property
    def raw(self) -> RawSynchronousFlyteClient:
        """The same client seen through the raw, protobuf-in-and-out methods."""
        return _RawView(self)

    # -- shared request builders ---------------------------------------------------------------------------
    def _page(
        self, service: str, rpc: str, request: Any, sort_by: Any, model: type[_M], items: str
    ) -> tuple[list[_M], str]:
        """Make one list call: the sort goes into the request, the items come back wrapped (no copies)."""
        sort = _sort_pb(sort_by)
        if sort is not None:
            request.sort_by.CopyFrom(sort)
        response = self._call(service, rpc, request)
        return wrap_all(model, getattr(response, items)), response.token

    def _resource_list(
        self,
        rpc: str,
        identifier: Any,
        limit: int,
        token: str | None,
        filters: Any,
        sort_by: Any,
        model: type[_M],
        items: str,
    ) -> tuple[list[_M], str]:
        request = common_pb2.ResourceListRequest(
            id=_named_id(identifier), limit=limit, token=token or "", filters=_filters_text(filters)
        )
        return self._page("AdminService", rpc, request, sort_by, model, items)

    def _id_list(
        self, rpc: str, project: str, domain: str, limit: int, token: str | None, sort_by: Any, filters: Any = None
    ) -> tuple[list[_common.NamedEntityIdentifier], str]:
        request = common_pb2.NamedEntityIdentifierListRequest(
            project=project, domain=domain, limit=limit, token=token or "", filters=_filters_text(filters)
        )
        return self._page("AdminService", rpc, request, sort_by, _common.NamedEntityIdentifier, "entities")

    # -- tasks ---------------------------------------------------------------------------------------------
    def create_task(self, task_identifer: _identifier.Identifier, task_spec: _task.TaskSpec) -> None:
        """Register a task version. Raises FlyteEntityAlreadyExistsException if it is already registered."""
        self._call(
            "AdminService",
            "CreateTask",
            task_pb2.TaskCreateRequest(id=_core_id(task_identifer, identifier_pb2.TASK), spec=_pb(task_spec)),
        )

    def get_task(self, id: _identifier.Identifier) -> _task.Task:
        """One task version."""
        request = common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.TASK))
        return _task.Task.from_flyte_idl(self._call("AdminService", "GetTask", request))

    def list_task_ids_paginated(
        self, project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Any = None
    ) -> tuple[list[_common.NamedEntityIdentifier], str]:
        """One page of the task names of a project and domain, and the next page's token ("" at the end)."""
        return self._id_list("ListTaskIds", project, domain, limit, token, sort_by)

    def list_tasks_paginated(
        self,
        identifier: Any,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_task.Task], str]:
        """One page of task versions under ``identifier`` (project and domain, optionally a name)."""
        return self._resource_list("ListTasks", identifier, limit, token, filters, sort_by, _task.Task, "tasks")

    def iter_tasks(
        self,
        identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_task.Task]:
        """Every task version under ``identifier``, fetched page by page as you iterate."""
        return Pager(lambda n, t: self.list_tasks_paginated(identifier, n, t, filters, sort_by), page_size, limit)

    def iter_task_ids(
        self, project: str, domain: str, sort_by: Any = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
    ) -> Pager[_common.NamedEntityIdentifier]:
        """Every task name of a project and domain."""
        return Pager(lambda n, t: self.list_task_ids_paginated(project, domain, n, t, sort_by), page_size, limit)

    # -- workflows -----------------------------------------------------------------------------------------
    def create_workflow(
        self, workflow_identifier: _identifier.Identifier, workflow_spec: _workflow.WorkflowSpec
    ) -> None:
        """Register (and compile) a workflow version."""
        self._call(
            "AdminService",
            "CreateWorkflow",
            workflow_pb2.WorkflowCreateRequest(
                id=_core_id(workflow_identifier, identifier_pb2.WORKFLOW), spec=_pb(workflow_spec)
            ),
        )

    def get_workflow(self, id: _identifier.Identifier) -> _workflow.Workflow:
        """One workflow version with its compiled closure."""
        request = common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.WORKFLOW))
        return _workflow.Workflow.from_flyte_idl(self._call("AdminService", "GetWorkflow", request))

    def list_workflow_ids_paginated(
        self, project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Any = None
    ) -> tuple[list[_common.NamedEntityIdentifier], str]:
        """One page of the workflow names of a project and domain."""
        return self._id_list("ListWorkflowIds", project, domain, limit, token, sort_by)

    def list_workflows_paginated(
        self,
        identifier: Any,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_workflow.Workflow], str]:
        """One page of workflow versions (closures carry only the interface, as Flyte Admin returns them)."""
        return self._resource_list(
            "ListWorkflows", identifier, limit, token, filters, sort_by, _workflow.Workflow, "workflows"
        )

    def iter_workflows(
        self,
        identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_workflow.Workflow]:
        """Every workflow version under ``identifier``."""
        return Pager(lambda n, t: self.list_workflows_paginated(identifier, n, t, filters, sort_by), page_size, limit)

    def iter_workflow_ids(
        self, project: str, domain: str, sort_by: Any = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
    ) -> Pager[_common.NamedEntityIdentifier]:
        """Every workflow name of a project and domain."""
        return Pager(lambda n, t: self.list_workflow_ids_paginated(project, domain, n, t, sort_by), page_size, limit)

    # -- launch plans --------------------------------------------------------------------------------------
    def create_launch_plan(
        self, launch_plan_identifer: _identifier.Identifier, launch_plan_spec: _launch_plan.LaunchPlanSpec
    ) -> None:
        """Register a launch plan version (inactive until activated with ``update_launch_plan``)."""
        self._call(
            "AdminService",
            "CreateLaunchPlan",
            launch_plan_pb2.LaunchPlanCreateRequest(
                id=_core_id(launch_plan_identifer, identifier_pb2.LAUNCH_PLAN), spec=_pb(launch_plan_spec)
            ),
        )

    def get_launch_plan(self, id: _identifier.Identifier) -> _launch_plan.LaunchPlan:
        """One launch plan version."""
        request = common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.LAUNCH_PLAN))
        return _launch_plan.LaunchPlan.from_flyte_idl(self._call("AdminService", "GetLaunchPlan", request))

    def get_active_launch_plan(self, identifier: Any) -> _launch_plan.LaunchPlan:
        """The active version of a launch plan; FlyteEntityNotExistException if none is active."""
        request = launch_plan_pb2.ActiveLaunchPlanRequest(id=_named_id(identifier))
        return _launch_plan.LaunchPlan.from_flyte_idl(self._call("AdminService", "GetActiveLaunchPlan", request))

    def list_launch_plan_ids_paginated(
        self, project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Any = None
    ) -> tuple[list[_common.NamedEntityIdentifier], str]:
        """One page of the launch plan names of a project and domain."""
        return self._id_list("ListLaunchPlanIds", project, domain, limit, token, sort_by)

    def list_launch_plans_paginated(
        self,
        identifier: Any,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_launch_plan.LaunchPlan], str]:
        """One page of launch plan versions."""
        return self._resource_list(
            "ListLaunchPlans", identifier, limit, token, filters, sort_by, _launch_plan.LaunchPlan, "launch_plans"
        )

    def list_active_launch_plans_paginated(
        self,
        project: str,
        domain: str,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_launch_plan.LaunchPlan], str]:
        """One page of the active launch plans of a project and domain."""
        request = launch_plan_pb2.ActiveLaunchPlanListRequest(
            project=project, domain=domain, limit=limit, token=token or ""
        )
        return self._page(
            "AdminService", "ListActiveLaunchPlans", request, sort_by, _launch_plan.LaunchPlan, "launch_plans"
        )

    def update_launch_plan(self, id: _identifier.Identifier, state: int) -> None:
        """Activate (``LaunchPlanState.ACTIVE``) or deactivate a version; activating one deactivates the others."""
        self._call(
            "AdminService",
            "UpdateLaunchPlan",
            launch_plan_pb2.LaunchPlanUpdateRequest(id=_core_id(id, identifier_pb2.LAUNCH_PLAN), state=int(state)),
        )

    def iter_launch_plans(
        self,
        identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_launch_plan.LaunchPlan]:
        """Every launch plan version under ``identifier``."""
        return Pager(
            lambda n, t: self.list_launch_plans_paginated(identifier, n, t, filters, sort_by), page_size, limit
        )

    def iter_launch_plan_ids(
        self, project: str, domain: str, sort_by: Any = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
    ) -> Pager[_common.NamedEntityIdentifier]:
        """Every launch plan name of a project and domain."""
        return Pager(lambda n, t: self.list_launch_plan_ids_paginated(project, domain, n, t, sort_by), page_size, limit)

    def iter_active_launch_plans(
        self, project: str, domain: str, sort_by: Any = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
    ) -> Pager[_launch_plan.LaunchPlan]:
        """Every active launch plan of a project and domain."""
        return Pager(
            lambda n, t: self.list_active_launch_plans_paginated(project, domain, n, t, sort_by), page_size, limit
        )

    # -- named entities ------------------------------------------------------------------------------------
    def update_named_entity(self, resource_type: int, id: Any, metadata: _named_entity.NamedEntityMetadata) -> None:
        """Set the description and state (active, archived) of a task, workflow or launch plan name."""
        self._call(
            "AdminService",
            "UpdateNamedEntity",
            common_pb2.NamedEntityUpdateRequest(
                resource_type=int(resource_type), id=_named_id(id), metadata=_pb(metadata)
            ),
        )

    def get_named_entity(self, resource_type: int, id: Any) -> _named_entity.NamedEntity:
        """One named entity with its metadata."""
        request = common_pb2.NamedEntityGetRequest(resource_type=int(resource_type), id=_named_id(id))
        return _named_entity.NamedEntity.from_flyte_idl(self._call("AdminService", "GetNamedEntity", request))

    def list_named_entities_paginated(
        self,
        resource_type: int,
        project: str,
        domain: str,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_named_entity.NamedEntity], str]:
        """One page of the named entities of a resource type in a project and domain."""
        request = common_pb2.NamedEntityListRequest(
            resource_type=int(resource_type),
            project=project,
            domain=domain,
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
        )
        return self._page("AdminService", "ListNamedEntities", request, sort_by, _named_entity.NamedEntity, "entities")

    def iter_named_entities(
        self,
        resource_type: int,
        project: str,
        domain: str,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_named_entity.NamedEntity]:
        """Every named entity of a resource type in a project and domain."""
        return Pager(
            lambda n, t: self.list_named_entities_paginated(resource_type, project, domain, n, t, filters, sort_by),
            page_size,
            limit,
        )

    # -- description entities ------------------------------------------------------------------------------
    def get_description_entity(self, id: _identifier.Identifier) -> _description.DescriptionEntity:
        """The description of a task or workflow version."""
        request = common_pb2.ObjectGetRequest(id=_pb(id))
        return _description.DescriptionEntity.from_flyte_idl(
            self._call("AdminService", "GetDescriptionEntity", request)
        )

    def list_description_entities_paginated(
        self,
        resource_type: int,
        identifier: Any,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_description.DescriptionEntity], str]:
        """One page of the descriptions of a task or workflow name."""
        request = description_entity_pb2.DescriptionEntityListRequest(
            resource_type=int(resource_type),
            id=_named_id(identifier),
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
        )
        return self._page(
            "AdminService",
            "ListDescriptionEntities",
            request,
            sort_by,
            _description.DescriptionEntity,
            "descriptionEntities",
        )

    def iter_description_entities(
        self,
        resource_type: int,
        identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_description.DescriptionEntity]:
        """Every description of a task or workflow name."""
        return Pager(
            lambda n, t: self.list_description_entities_paginated(resource_type, identifier, n, t, filters, sort_by),
            page_size,
            limit,
        )

    # -- executions ----------------------------------------------------------------------------------------
    def create_execution(
        self,
        project: str,
        domain: str,
        name: str | None,
        execution_spec: _execution.ExecutionSpec,
        inputs: Any,
    ) -> _identifier.WorkflowExecutionIdentifier:
        """Start an execution; returns its identifier."""
        request = execution_pb2.ExecutionCreateRequest(
            project=project, domain=domain, name=name or "", spec=_pb(execution_spec), inputs=_pb(inputs)
        )
        response = self._call("AdminService", "CreateExecution", request)
        return _identifier.WorkflowExecutionIdentifier.from_flyte_idl(response.id)

    def recover_execution(
        self, id: _identifier.WorkflowExecutionIdentifier, name: str | None = None
    ) -> _identifier.WorkflowExecutionIdentifier:
        """Re-run a failed execution, reusing what succeeded; returns the new execution's identifier."""
        request = execution_pb2.ExecutionRecoverRequest(id=_pb(id), name=name or "")
        response = self._call("AdminService", "RecoverExecution", request)
        return _identifier.WorkflowExecutionIdentifier.from_flyte_idl(response.id)

    def relaunch_execution(
        self, id: _identifier.WorkflowExecutionIdentifier, name: str | None = None, overwrite_cache: bool = False
    ) -> _identifier.WorkflowExecutionIdentifier:
        """Run an execution again with the same inputs; returns the new execution's identifier."""
        request = execution_pb2.ExecutionRelaunchRequest(id=_pb(id), name=name or "", overwrite_cache=overwrite_cache)
        response = self._call("AdminService", "RelaunchExecution", request)
        return _identifier.WorkflowExecutionIdentifier.from_flyte_idl(response.id)

    def get_execution(self, id: _identifier.WorkflowExecutionIdentifier) -> _execution.Execution:
        """One execution."""
        request = execution_pb2.WorkflowExecutionGetRequest(id=_pb(id))
        return _execution.Execution.from_flyte_idl(self._call("AdminService", "GetExecution", request))

    def get_execution_data(
        self, id: _identifier.WorkflowExecutionIdentifier
    ) -> _execution.WorkflowExecutionGetDataResponse:
        """Inputs and outputs of an execution."""
        request = execution_pb2.WorkflowExecutionGetDataRequest(id=_pb(id))
        return _execution.WorkflowExecutionGetDataResponse.from_flyte_idl(
            self._call("AdminService", "GetExecutionData", request)
        )

    def get_execution_metrics(
        self, id: _identifier.WorkflowExecutionIdentifier, depth: int = 10
    ) -> _execution.WorkflowExecutionGetMetricsResponse:
        """The span tree of an execution, as a model (flytekit returns the bare protobuf span)."""
        request = execution_pb2.WorkflowExecutionGetMetricsRequest(id=_pb(id), depth=depth)
        return _execution.WorkflowExecutionGetMetricsResponse.from_flyte_idl(
            self._call("AdminService", "GetExecutionMetrics", request)
        )

    def list_executions_paginated(
        self,
        project: str,
        domain: str,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_execution.Execution], str]:
        """One page of the executions of a project and domain (archived ones hidden unless filtered by state)."""
        return self._resource_list(
            "ListExecutions",
            common_pb2.NamedEntityIdentifier(project=project, domain=domain),
            limit,
            token,
            filters,
            sort_by,
            _execution.Execution,
            "executions",
        )

    def iter_executions(
        self,
        project: str,
        domain: str,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_execution.Execution]:
        """Every execution of a project and domain."""
        return Pager(
            lambda n, t: self.list_executions_paginated(project, domain, n, t, filters, sort_by), page_size, limit
        )

    def terminate_execution(self, id: _identifier.WorkflowExecutionIdentifier, cause: str) -> None:
        """Abort a running execution, recording ``cause``."""
        self._call(
            "AdminService", "TerminateExecution", execution_pb2.ExecutionTerminateRequest(id=_pb(id), cause=cause)
        )

    def update_execution(self, id: _identifier.WorkflowExecutionIdentifier, state: int) -> None:
        """Archive (``ExecutionState.EXECUTION_ARCHIVED``) or restore an execution."""
        self._call(
            "AdminService", "UpdateExecution", execution_pb2.ExecutionUpdateRequest(id=_pb(id), state=int(state))
        )

    # -- node executions -----------------------------------------------------------------------------------
    def get_node_execution(
        self, node_execution_identifier: _identifier.NodeExecutionIdentifier
    ) -> _node_execution.NodeExecution:
        """One node execution."""
        request = node_execution_pb2.NodeExecutionGetRequest(id=_pb(node_execution_identifier))
        return _node_execution.NodeExecution.from_flyte_idl(self._call("AdminService", "GetNodeExecution", request))

    def get_node_execution_data(
        self, node_execution_identifier: _identifier.NodeExecutionIdentifier
    ) -> _execution.NodeExecutionGetDataResponse:
        """Inputs and outputs of a node execution."""
        request = node_execution_pb2.NodeExecutionGetDataRequest(id=_pb(node_execution_identifier))
        return _execution.NodeExecutionGetDataResponse.from_flyte_idl(
            self._call("AdminService", "GetNodeExecutionData", request)
        )

    def list_node_executions(
        self,
        workflow_execution_identifier: _identifier.WorkflowExecutionIdentifier,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
        unique_parent_id: str | None = None,
    ) -> tuple[list[_node_execution.NodeExecution], str]:
        """One page of the top-level node executions of an execution (or the children of ``unique_parent_id``)."""
        request = node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=_pb(workflow_execution_identifier),
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
            unique_parent_id=unique_parent_id or "",
        )
        return self._page(
            "AdminService", "ListNodeExecutions", request, sort_by, _node_execution.NodeExecution, "node_executions"
        )

    def iter_node_executions(
        self,
        workflow_execution_identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        unique_parent_id: str | None = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_node_execution.NodeExecution]:
        """Every node execution of an execution (top level, or children of ``unique_parent_id``)."""
        return Pager(
            lambda n, t: self.list_node_executions(
                workflow_execution_identifier, n, t, filters, sort_by, unique_parent_id
            ),
            page_size,
            limit,
        )

    def list_node_executions_for_task_paginated(
        self,
        task_execution_identifier: _identifier.TaskExecutionIdentifier,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_node_execution.NodeExecution], str]:
        """One page of the node executions a task execution launched (dynamic and array tasks)."""
        request = node_execution_pb2.NodeExecutionForTaskListRequest(
            task_execution_id=_pb(task_execution_identifier),
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
        )
        return self._page(
            "AdminService",
            "ListNodeExecutionsForTask",
            request,
            sort_by,
            _node_execution.NodeExecution,
            "node_executions",
        )

    def iter_node_executions_for_task(
        self,
        task_execution_identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_node_execution.NodeExecution]:
        """Every node execution a task execution launched."""
        return Pager(
            lambda n, t: self.list_node_executions_for_task_paginated(
                task_execution_identifier, n, t, filters, sort_by
            ),
            page_size,
            limit,
        )

    # -- task executions -----------------------------------------------------------------------------------
    def get_task_execution(self, id: _identifier.TaskExecutionIdentifier) -> _task_execution.TaskExecution:
        """One task execution (one attempt)."""
        request = task_execution_pb2.TaskExecutionGetRequest(id=_pb(id))
        return _task_execution.TaskExecution.from_flyte_idl(self._call("AdminService", "GetTaskExecution", request))

    def get_task_execution_data(
        self, task_execution_identifier: _identifier.TaskExecutionIdentifier
    ) -> _execution.TaskExecutionGetDataResponse:
        """Inputs and outputs of a task execution."""
        request = task_execution_pb2.TaskExecutionGetDataRequest(id=_pb(task_execution_identifier))
        return _execution.TaskExecutionGetDataResponse.from_flyte_idl(
            self._call("AdminService", "GetTaskExecutionData", request)
        )

    def list_task_executions_paginated(
        self,
        node_execution_identifier: _identifier.NodeExecutionIdentifier,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_task_execution.TaskExecution], str]:
        """One page of the attempts of a task node."""
        request = task_execution_pb2.TaskExecutionListRequest(
            node_execution_id=_pb(node_execution_identifier),
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
        )
        return self._page(
            "AdminService", "ListTaskExecutions", request, sort_by, _task_execution.TaskExecution, "task_executions"
        )

    def iter_task_executions(
        self,
        node_execution_identifier: Any,
        filters: Any = None,
        sort_by: Any = None,
        page_size: int = DEFAULT_LIMIT,
        limit: int | None = None,
    ) -> Pager[_task_execution.TaskExecution]:
        """Every attempt of a task node."""
        return Pager(
            lambda n, t: self.list_task_executions_paginated(node_execution_identifier, n, t, filters, sort_by),
            page_size,
            limit,
        )

    # -- projects and domains ------------------------------------------------------------------------------
    def register_project(self, project: _project.Project) -> None:
        """Register a project."""
        self._call("AdminService", "RegisterProject", project_pb2.ProjectRegisterRequest(project=_pb(project)))

    def update_project(self, project: _project.Project) -> None:
        """Update a project's name, description, labels or state (archive with ``state=ARCHIVED``)."""
        self._call("AdminService", "UpdateProject", _pb(project))

    def get_project(self, id: str) -> _project.Project:
        """One project, with the system's domains."""
        return _project.Project.from_flyte_idl(
            self._call("AdminService", "GetProject", project_pb2.ProjectGetRequest(id=id))
        )

    def list_projects_paginated(
        self,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[_project.Project], str]:
        """One page of projects (archived ones hidden unless filtered by state)."""
        request = project_pb2.ProjectListRequest(limit=limit, token=token or "", filters=_filters_text(filters))
        return self._page("AdminService", "ListProjects", request, sort_by, _project.Project, "projects")

    def iter_projects(
        self, filters: Any = None, sort_by: Any = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
    ) -> Pager[_project.Project]:
        """Every project."""
        return Pager(lambda n, t: self.list_projects_paginated(n, t, filters, sort_by), page_size, limit)

    def get_domains(self) -> list[_domain.Domain]:
        """The domains of this Flyte Admin."""
        response = self._call("AdminService", "GetDomains", project_pb2.GetDomainRequest())
        return wrap_all(_domain.Domain, response.domains)

    # -- matchable attributes ------------------------------------------------------------------------------
    def update_project_domain_attributes(
        self, project: str, domain: str, matching_attributes: _matchable.MatchingAttributes
    ) -> None:
        """Set one kind of matchable attributes for a project and domain."""
        attributes = project_domain_attributes_pb2.ProjectDomainAttributes(
            project=project, domain=domain, matching_attributes=_pb(matching_attributes)
        )
        self._call(
            "AdminService",
            "UpdateProjectDomainAttributes",
            project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(attributes=attributes),
        )

    def get_project_domain_attributes(
        self, project: str, domain: str, resource_type: int
    ) -> _matchable.MatchingAttributes:
        """The attributes that apply to a project and domain (falling back to the project's, as Flyte Admin)."""
        request = project_domain_attributes_pb2.ProjectDomainAttributesGetRequest(
            project=project, domain=domain, resource_type=int(resource_type)
        )
        response = self._call("AdminService", "GetProjectDomainAttributes", request)
        return _matchable.MatchingAttributes.from_flyte_idl(response.attributes.matching_attributes)

    def delete_project_domain_attributes(self, project: str, domain: str, resource_type: int) -> None:
        """Delete one kind of matchable attributes of a project and domain."""
        self._call(
            "AdminService",
            "DeleteProjectDomainAttributes",
            project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest(
                project=project, domain=domain, resource_type=int(resource_type)
            ),
        )

    def update_project_attributes(self, project: str, matching_attributes: _matchable.MatchingAttributes) -> None:
        """Set one kind of matchable attributes for a whole project."""
        attributes = project_attributes_pb2.ProjectAttributes(
            project=project, matching_attributes=_pb(matching_attributes)
        )
        self._call(
            "AdminService",
            "UpdateProjectAttributes",
            project_attributes_pb2.ProjectAttributesUpdateRequest(attributes=attributes),
        )

    def get_project_attributes(self, project: str, resource_type: int) -> _matchable.MatchingAttributes:
        """The attributes set for a whole project."""
        request = project_attributes_pb2.ProjectAttributesGetRequest(project=project, resource_type=int(resource_type))
        response = self._call("AdminService", "GetProjectAttributes", request)
        return _matchable.MatchingAttributes.from_flyte_idl(response.attributes.matching_attributes)

    def delete_project_attributes(self, project: str, resource_type: int) -> None:
        """Delete one kind of matchable attributes of a project."""
        self._call(
            "AdminService",
            "DeleteProjectAttributes",
            project_attributes_pb2.ProjectAttributesDeleteRequest(project=project, resource_type=int(resource_type)),
        )

    def update_workflow_attributes(
        self, project: str, domain: str, workflow: str, matching_attributes: _matchable.MatchingAttributes
    ) -> None:
        """Set one kind of matchable attributes for a workflow."""
        attributes = workflow_attributes_pb2.WorkflowAttributes(
            project=project, domain=domain, workflow=workflow, matching_attributes=_pb(matching_attributes)
        )
        self._call(
            "AdminService",
            "UpdateWorkflowAttributes",
            workflow_attributes_pb2.WorkflowAttributesUpdateRequest(attributes=attributes),
        )

    def get_workflow_attributes(
        self, project: str, domain: str, workflow: str, resource_type: int
    ) -> _matchable.MatchingAttributes:
        """The attributes that apply to a workflow (falling back to project-domain and project ones)."""
        request = workflow_attributes_pb2.WorkflowAttributesGetRequest(
            project=project, domain=domain, workflow=workflow, resource_type=int(resource_type)
        )
        response = self._call("AdminService", "GetWorkflowAttributes", request)
        return _matchable.MatchingAttributes.from_flyte_idl(response.attributes.matching_attributes)

    def delete_workflow_attributes(self, project: str, domain: str, workflow: str, resource_type: int) -> None:
        """Delete one kind of matchable attributes of a workflow."""
        self._call(
            "AdminService",
            "DeleteWorkflowAttributes",
            workflow_attributes_pb2.WorkflowAttributesDeleteRequest(
                project=project, domain=domain, workflow=workflow, resource_type=int(resource_type)
            ),
        )

    def list_matchable_attributes(self, resource_type: int) -> list[_matchable.MatchableAttributesConfiguration]:
        """Every setting of one kind of matchable attributes, most specific first."""
        request = matchable_resource_pb2.ListMatchableAttributesRequest(resource_type=int(resource_type))
        response = self._call("AdminService", "ListMatchableAttributes", request)
        return wrap_all(_matchable.MatchableAttributesConfiguration, response.configurations)

    # -- signals -------------------------------------------------------------------------------------------
    def list_signals_paginated(
        self,
        workflow_execution_identifier: _identifier.WorkflowExecutionIdentifier,
        limit: int = DEFAULT_LIMIT,
        token: str | None = None,
        filters: Sequence[_filters.Filter] | str | None = None,
        sort_by: _admin_common.Sort | None = None,
    ) -> tuple[list[signal_pb2.Signal], str]:
        """One page of the signals (gate nodes) of an execution."""
        request = signal_pb2.SignalListRequest(
            workflow_execution_id=_pb(workflow_execution_identifier),
            limit=limit,
            token=token or "",
            filters=_filters_text(filters),
        )
        sort = _sort_pb(sort_by)
        if sort is not None:
            request.sort_by.CopyFrom(sort)
        response = self._call("SignalService", "ListSignals", request)
        return list(response.signals), response.token

    # -- data proxy ----------------------------------------------------------------------------------------
    def get_upload_signed_url(
        self,
        project: str,
        domain: str,
        content_md5: bytes | None = None,
        filename: str | None = None,
        expires_in: _dt.timedelta | None = None,
        filename_root: str | None = None,
        add_content_md5_metadata: bool = True,
    ) -> dataproxy_pb2.CreateUploadLocationResponse:
        """A signed URL to PUT one file to, and the native URL it will have."""
        request = dataproxy_pb2.CreateUploadLocationRequest(
            project=project,
            domain=domain,
            content_md5=content_md5 or b"",
            filename=filename or "",
            filename_root=filename_root or "",
            add_content_md5_metadata=add_content_md5_metadata,
        )
        duration = _seconds(expires_in)
        if duration is not None:
            request.expires_in.CopyFrom(duration)
        return self._call("DataProxyService", "CreateUploadLocation", request)  # type: ignore[no-any-return]

    def get_download_signed_url(
        self, native_url: str, expires_in: _dt.timedelta | None = None
    ) -> dataproxy_pb2.CreateDownloadLocationResponse:
        """A signed URL to GET one object from."""
        request = dataproxy_pb2.CreateDownloadLocationRequest(native_url=native_url)
        duration = _seconds(expires_in)
        if duration is not None:
            request.expires_in.CopyFrom(duration)
        return self._call("DataProxyService", "CreateDownloadLocation", request)  # type: ignore[no-any-return]

    def get_data(self, flyte_uri: str) -> dataproxy_pb2.GetDataResponse:
        """The data behind a ``flyte://`` URL (inputs, outputs or a deck of an execution)."""
        request = dataproxy_pb2.GetDataRequest(flyte_url=flyte_uri)
        return self._call("DataProxyService", "GetData", request)  # type: ignore[no-any-return]

    def get_download_artifact_signed_url(
        self,
        node_id: str,
        project: str,
        domain: str,
        name: str,
        artifact_type: int = dataproxy_pb2.ARTIFACT_TYPE_DECK,
        expires_in: _dt.timedelta | None = None,
    ) -> dataproxy_pb2.CreateDownloadLinkResponse:
        """Signed URLs for an artifact (a deck) of a node execution."""
        request = dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=artifact_type,  # type: ignore[arg-type]
            node_execution_id=identifier_pb2.NodeExecutionIdentifier(
                node_id=node_id,
                execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name),
            ),
        )
        duration = _seconds(expires_in)
        if duration is not None:
            request.expires_in.CopyFrom(duration)
        return self._call("DataProxyService", "CreateDownloadLink", request)  # type: ignore[no-any-return]

    # -- version -------------------------------------------------------------------------------------------
    def get_control_plane_version(self) -> str:
        """Flyte Admin's version string."""
        from flyteidl.admin import version_pb2

        response = self._call("AdminService", "GetVersion", version_pb2.GetVersionRequest())
        return str(response.control_plane_version.Version)


class _RawView(RawSynchronousFlyteClient):
    """The raw methods over an existing friendly client's channel and pipeline (``client.raw``)."""

    def __init__(self, client: SynchronousFlyteClient) -> None:
        self.__dict__.update(client.__dict__)
