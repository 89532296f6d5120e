"""The friendly methods of both clients, as request builders and response converters (plain functions), declared
once in :class:`FriendlyOperations` with :class:`~flyteplane.clients.ops.Op` / :class:`~flyteplane.clients.ops.IterOp`.

The method names and signatures are flytekit's (``flytekit.clients.friendly``): paginated calls return
``(items, next_token)``, ``create_*`` return ``None``. On top of that:

* ``iter_*`` methods return a lazy pager over all pages of every list call;
* calls flytekit leaves out: ``get_project``, ``list_named_entities`` / ``get_named_entity``, the attribute
  deletes, project attributes, description entities, ``update_execution``, signals, events;
* ``get_execution_metrics`` and the attribute getters return models, not raw protobufs.

Models wrap the response messages without copying them, so a page of 100 tasks costs 100 small allocations.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

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
    version_pb2,
    workflow_attributes_pb2,
    workflow_pb2,
)
from flyteidl.core import identifier_pb2
from flyteidl.service import dataproxy_pb2

from flyteplane.clients.ops import IterOp, Op, Paging
from flyteplane.clients.raw import _render_id
from flyteplane.clients.rpcs import RpcTable
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

if TYPE_CHECKING:
    from google.protobuf import duration_pb2
    from google.protobuf.message import Message

__all__ = ["DEFAULT_LIMIT", "FriendlyOperations", "RawPassthrough"]

_M = TypeVar("_M", bound=FlyteIdlEntity)
_Req = TypeVar("_Req", bound="Message")

DEFAULT_LIMIT = 100

Filters = Sequence[_filters.Filter] | str | None
Sort = _admin_common.Sort | None
Page = tuple[list[_M], str]

# -- shared request pieces ---------------------------------------------------------------------------------------


def _filters_text(filters: Filters) -> str:
    if not filters:
        return ""
    if isinstance(filters, str):
        return filters
    return str(_filters.FilterList(list(filters)).to_flyte_idl())


def _require(pb: Any, fields: Sequence[str], what: str) -> None:
    """Refuse an identifier with empty required fields before it goes on the wire.

    Flyte Admin's Get* calls do not validate identifiers (they answer NOT_FOUND for ``domain:"d" name:"n"``), so
    without this check a missing project reads as "no such task" instead of the caller's mistake.
    """
    missing = [f for f in fields if not getattr(pb, f)]
    if missing:
        raise FlyteInvalidInputException(
            f"the {what} identifier [{_render_id(pb)}] is missing its {', '.join(missing)}", request=pb
        )


def _named_id(identifier: Any) -> common_pb2.NamedEntityIdentifier:
    """A NamedEntityIdentifier from any identifier-like object (the seed passes a core Identifier)."""
    pb = to_pb(identifier)
    _require(pb, ("project", "domain"), "named entity")
    return common_pb2.NamedEntityIdentifier(
        project=pb.project, domain=pb.domain, name=getattr(pb, "name", ""), org=getattr(pb, "org", "")
    )


def _core_id(identifier: Any, resource_type: identifier_pb2.ResourceType.ValueType) -> identifier_pb2.Identifier:
    """A complete core Identifier, with the resource type filled in when left UNSPECIFIED."""
    pb: identifier_pb2.Identifier = to_pb(identifier)
    if not (pb.project and pb.domain and pb.name and pb.version):
        _require(pb, ("project", "domain", "name", "version"), identifier_pb2.ResourceType.Name(resource_type).lower())
    if pb.resource_type == resource_type:
        return pb
    out = identifier_pb2.Identifier()
    out.CopyFrom(pb)
    if out.resource_type == identifier_pb2.UNSPECIFIED:
        out.resource_type = resource_type
    return out


_pb = to_pb


def _duration(expires_in: _dt.timedelta | None) -> duration_pb2.Duration | None:
    if expires_in is None:
        return None
    from google.protobuf import duration_pb2

    d = duration_pb2.Duration()
    d.FromTimedelta(expires_in)
    return d


def _sorted(request: _Req, sort_by: Sort) -> _Req:
    """The one helper every paged request goes through: the sort goes into the request."""
    if sort_by is not None:
        request.sort_by.CopyFrom(sort_by.to_flyte_idl())  # type: ignore[attr-defined]
    return request


# -- shared response pieces --------------------------------------------------------------------------------------


def _page(model: type[_M], items: str) -> Callable[[Any], Page[_M]]:
    """The converter of a list call: its items wrapped as ``model`` (no copies), and the next page's token."""

    def convert(response: Any) -> Page[_M]:
        return wrap_all(model, getattr(response, items)), str(response.token)

    convert.__name__ = f"page_of_{model.__name__}"
    return convert


def _none(response: object) -> None:
    return None


def _same(response: Any) -> Any:
    return response


def _execution_id(response: execution_pb2.ExecutionCreateResponse) -> _identifier.WorkflowExecutionIdentifier:
    return _identifier.WorkflowExecutionIdentifier.from_flyte_idl(response.id)


def _attributes(response: Any) -> _matchable.MatchingAttributes:
    return _matchable.MatchingAttributes.from_flyte_idl(response.attributes.matching_attributes)


def _signals(response: signal_pb2.SignalList) -> tuple[list[signal_pb2.Signal], str]:
    return list(response.signals), response.token


def _version(response: version_pb2.GetVersionResponse) -> str:
    return str(response.control_plane_version.Version)


def _domains(response: project_pb2.GetDomainsResponse) -> list[_domain.Domain]:
    return wrap_all(_domain.Domain, response.domains)


def _configurations(
    response: matchable_resource_pb2.ListMatchableAttributesResponse,
) -> list[_matchable.MatchableAttributesConfiguration]:
    return wrap_all(_matchable.MatchableAttributesConfiguration, response.configurations)


_tasks_page = _page(_task.Task, "tasks")
_workflows_page = _page(_workflow.Workflow, "workflows")
_launch_plans_page = _page(_launch_plan.LaunchPlan, "launch_plans")
_ids_page = _page(_common.NamedEntityIdentifier, "entities")
_named_entities_page = _page(_named_entity.NamedEntity, "entities")
_descriptions_page = _page(_description.DescriptionEntity, "descriptionEntities")
_executions_page = _page(_execution.Execution, "executions")
_node_executions_page = _page(_node_execution.NodeExecution, "node_executions")
_task_executions_page = _page(_task_execution.TaskExecution, "task_executions")
_projects_page = _page(_project.Project, "projects")

# -- request builders: one per friendly method, with flytekit's parameter names and the method's docstring ----------


def _resource_list(
    identifier: Any, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> common_pb2.ResourceListRequest:
    request = common_pb2.ResourceListRequest(
        id=_named_id(identifier), limit=limit, token=token or "", filters=_filters_text(filters)
    )
    return _sorted(request, sort_by)


def _id_list(
    project: str, domain: str, limit: int, token: str | None, sort_by: Sort
) -> common_pb2.NamedEntityIdentifierListRequest:
    request = common_pb2.NamedEntityIdentifierListRequest(
        project=project, domain=domain, limit=limit, token=token or ""
    )
    return _sorted(request, sort_by)


# tasks


def create_task(task_identifer: _identifier.Identifier, task_spec: _task.TaskSpec) -> task_pb2.TaskCreateRequest:
    """Register a task version. Raises FlyteEntityAlreadyExistsException if it is already registered."""
    return task_pb2.TaskCreateRequest(id=_core_id(task_identifer, identifier_pb2.TASK), spec=_pb(task_spec))


def get_task(id: _identifier.Identifier) -> common_pb2.ObjectGetRequest:
    """One task version."""
    return common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.TASK))


def list_task_ids_paginated(
    project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Sort = None
) -> common_pb2.NamedEntityIdentifierListRequest:
    """One page of the task names of a project and domain, and the next page's token ("" at the end)."""
    return _id_list(project, domain, limit, token, sort_by)


def list_tasks_paginated(
    identifier: Any, limit: int = DEFAULT_LIMIT, token: str | None = None, filters: Filters = None, sort_by: Sort = None
) -> common_pb2.ResourceListRequest:
    """One page of task versions under ``identifier`` (project and domain, optionally a name)."""
    return _resource_list(identifier, limit, token, filters, sort_by)


def iter_tasks(
    identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[common_pb2.ResourceListRequest]:
    """Every task version under ``identifier``, fetched page by page as you iterate."""
    return Paging(lambda n, t: _resource_list(identifier, n, t, filters, sort_by), page_size, limit)


def iter_task_ids(
    project: str, domain: str, sort_by: Sort = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
) -> Paging[common_pb2.NamedEntityIdentifierListRequest]:
    """Every task name of a project and domain."""
    return Paging(lambda n, t: _id_list(project, domain, n, t, sort_by), page_size, limit)


# workflows


def create_workflow(
    workflow_identifier: _identifier.Identifier, workflow_spec: _workflow.WorkflowSpec
) -> workflow_pb2.WorkflowCreateRequest:
    """Register (and compile) a workflow version."""
    return workflow_pb2.WorkflowCreateRequest(
        id=_core_id(workflow_identifier, identifier_pb2.WORKFLOW), spec=_pb(workflow_spec)
    )


def get_workflow(id: _identifier.Identifier) -> common_pb2.ObjectGetRequest:
    """One workflow version with its compiled closure."""
    return common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.WORKFLOW))


def list_workflow_ids_paginated(
    project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Sort = None
) -> common_pb2.NamedEntityIdentifierListRequest:
    """One page of the workflow names of a project and domain."""
    return _id_list(project, domain, limit, token, sort_by)


def list_workflows_paginated(
    identifier: Any, limit: int = DEFAULT_LIMIT, token: str | None = None, filters: Filters = None, sort_by: Sort = None
) -> common_pb2.ResourceListRequest:
    """One page of workflow versions (closures carry only the interface, as Flyte Admin returns them)."""
    return _resource_list(identifier, limit, token, filters, sort_by)


def iter_workflows(
    identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[common_pb2.ResourceListRequest]:
    """Every workflow version under ``identifier``."""
    return Paging(lambda n, t: _resource_list(identifier, n, t, filters, sort_by), page_size, limit)


def iter_workflow_ids(
    project: str, domain: str, sort_by: Sort = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
) -> Paging[common_pb2.NamedEntityIdentifierListRequest]:
    """Every workflow name of a project and domain."""
    return Paging(lambda n, t: _id_list(project, domain, n, t, sort_by), page_size, limit)


# launch plans


def create_launch_plan(
    launch_plan_identifer: _identifier.Identifier, launch_plan_spec: _launch_plan.LaunchPlanSpec
) -> launch_plan_pb2.LaunchPlanCreateRequest:
    """Register a launch plan version (inactive until activated with ``update_launch_plan``)."""
    return launch_plan_pb2.LaunchPlanCreateRequest(
        id=_core_id(launch_plan_identifer, identifier_pb2.LAUNCH_PLAN), spec=_pb(launch_plan_spec)
    )


def get_launch_plan(id: _identifier.Identifier) -> common_pb2.ObjectGetRequest:
    """One launch plan version."""
    return common_pb2.ObjectGetRequest(id=_core_id(id, identifier_pb2.LAUNCH_PLAN))


def get_active_launch_plan(identifier: Any) -> launch_plan_pb2.ActiveLaunchPlanRequest:
    """The active version of a launch plan; FlyteEntityNotExistException if none is active."""
    return launch_plan_pb2.ActiveLaunchPlanRequest(id=_named_id(identifier))


def list_launch_plan_ids_paginated(
    project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Sort = None
) -> common_pb2.NamedEntityIdentifierListRequest:
    """One page of the launch plan names of a project and domain."""
    return _id_list(project, domain, limit, token, sort_by)


def list_launch_plans_paginated(
    identifier: Any, limit: int = DEFAULT_LIMIT, token: str | None = None, filters: Filters = None, sort_by: Sort = None
) -> common_pb2.ResourceListRequest:
    """One page of launch plan versions."""
    return _resource_list(identifier, limit, token, filters, sort_by)


def _active_launch_plans(
    project: str, domain: str, limit: int, token: str | None, sort_by: Sort
) -> launch_plan_pb2.ActiveLaunchPlanListRequest:
    request = launch_plan_pb2.ActiveLaunchPlanListRequest(
        project=project, domain=domain, limit=limit, token=token or ""
    )
    return _sorted(request, sort_by)


def list_active_launch_plans_paginated(
    project: str, domain: str, limit: int = DEFAULT_LIMIT, token: str | None = None, sort_by: Sort = None
) -> launch_plan_pb2.ActiveLaunchPlanListRequest:
    """One page of the active launch plans of a project and domain."""
    return _active_launch_plans(project, domain, limit, token, sort_by)


def update_launch_plan(id: _identifier.Identifier, state: int) -> launch_plan_pb2.LaunchPlanUpdateRequest:
    """Activate (``LaunchPlanState.ACTIVE``) or deactivate a version; activating one deactivates the others."""
    return launch_plan_pb2.LaunchPlanUpdateRequest(
        id=_core_id(id, identifier_pb2.LAUNCH_PLAN),
        state=int(state),
    )


def iter_launch_plans(
    identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[common_pb2.ResourceListRequest]:
    """Every launch plan version under ``identifier``."""
    return Paging(lambda n, t: _resource_list(identifier, n, t, filters, sort_by), page_size, limit)


def iter_launch_plan_ids(
    project: str, domain: str, sort_by: Sort = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
) -> Paging[common_pb2.NamedEntityIdentifierListRequest]:
    """Every launch plan name of a project and domain."""
    return Paging(lambda n, t: _id_list(project, domain, n, t, sort_by), page_size, limit)


def iter_active_launch_plans(
    project: str, domain: str, sort_by: Sort = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
) -> Paging[launch_plan_pb2.ActiveLaunchPlanListRequest]:
    """Every active launch plan of a project and domain."""
    return Paging(lambda n, t: _active_launch_plans(project, domain, n, t, sort_by), page_size, limit)


# named entities


def update_named_entity(
    resource_type: int, id: Any, metadata: _named_entity.NamedEntityMetadata
) -> common_pb2.NamedEntityUpdateRequest:
    """Set the description and state (active, archived) of a task, workflow or launch plan name."""
    return common_pb2.NamedEntityUpdateRequest(
        resource_type=int(resource_type),
        id=_named_id(id),
        metadata=_pb(metadata),
    )


def get_named_entity(resource_type: int, id: Any) -> common_pb2.NamedEntityGetRequest:
    """One named entity with its metadata."""
    return common_pb2.NamedEntityGetRequest(resource_type=int(resource_type), id=_named_id(id))


def _named_entities(
    resource_type: int, project: str, domain: str, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> common_pb2.NamedEntityListRequest:
    request = common_pb2.NamedEntityListRequest(
        resource_type=int(resource_type),
        project=project,
        domain=domain,
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
    )
    return _sorted(request, sort_by)


def list_named_entities_paginated(
    resource_type: int,
    project: str,
    domain: str,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> common_pb2.NamedEntityListRequest:
    """One page of the named entities of a resource type in a project and domain."""
    return _named_entities(resource_type, project, domain, limit, token, filters, sort_by)


def iter_named_entities(
    resource_type: int,
    project: str,
    domain: str,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[common_pb2.NamedEntityListRequest]:
    """Every named entity of a resource type in a project and domain."""
    return Paging(
        lambda n, t: _named_entities(resource_type, project, domain, n, t, filters, sort_by), page_size, limit
    )


# description entities


def get_description_entity(id: _identifier.Identifier) -> common_pb2.ObjectGetRequest:
    """The description of a task or workflow version."""
    return common_pb2.ObjectGetRequest(id=_pb(id))


def _descriptions(
    resource_type: int, identifier: Any, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> description_entity_pb2.DescriptionEntityListRequest:
    request = description_entity_pb2.DescriptionEntityListRequest(
        resource_type=int(resource_type),
        id=_named_id(identifier),
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
    )
    return _sorted(request, sort_by)


def list_description_entities_paginated(
    resource_type: int,
    identifier: Any,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> description_entity_pb2.DescriptionEntityListRequest:
    """One page of the descriptions of a task or workflow name."""
    return _descriptions(resource_type, identifier, limit, token, filters, sort_by)


def iter_description_entities(
    resource_type: int,
    identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[description_entity_pb2.DescriptionEntityListRequest]:
    """Every description of a task or workflow name."""
    return Paging(lambda n, t: _descriptions(resource_type, identifier, n, t, filters, sort_by), page_size, limit)


# executions


def create_execution(
    project: str, domain: str, name: str | None, execution_spec: _execution.ExecutionSpec, inputs: Any
) -> execution_pb2.ExecutionCreateRequest:
    """Start an execution; returns its identifier."""
    return execution_pb2.ExecutionCreateRequest(
        project=project, domain=domain, name=name or "", spec=_pb(execution_spec), inputs=_pb(inputs)
    )


def recover_execution(
    id: _identifier.WorkflowExecutionIdentifier, name: str | None = None
) -> execution_pb2.ExecutionRecoverRequest:
    """Re-run a failed execution, reusing what succeeded; returns the new execution's identifier."""
    return execution_pb2.ExecutionRecoverRequest(id=_pb(id), name=name or "")


def relaunch_execution(
    id: _identifier.WorkflowExecutionIdentifier, name: str | None = None, overwrite_cache: bool = False
) -> execution_pb2.ExecutionRelaunchRequest:
    """Run an execution again with the same inputs; returns the new execution's identifier."""
    return execution_pb2.ExecutionRelaunchRequest(id=_pb(id), name=name or "", overwrite_cache=overwrite_cache)


def get_execution(id: _identifier.WorkflowExecutionIdentifier) -> execution_pb2.WorkflowExecutionGetRequest:
    """One execution."""
    return execution_pb2.WorkflowExecutionGetRequest(id=_pb(id))


def get_execution_data(id: _identifier.WorkflowExecutionIdentifier) -> execution_pb2.WorkflowExecutionGetDataRequest:
    """Inputs and outputs of an execution."""
    return execution_pb2.WorkflowExecutionGetDataRequest(id=_pb(id))


def get_execution_metrics(
    id: _identifier.WorkflowExecutionIdentifier, depth: int = 10
) -> execution_pb2.WorkflowExecutionGetMetricsRequest:
    """The span tree of an execution, as a model (flytekit returns the bare protobuf span)."""
    return execution_pb2.WorkflowExecutionGetMetricsRequest(id=_pb(id), depth=depth)


def _executions(
    project: str, domain: str, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> common_pb2.ResourceListRequest:
    return _resource_list(
        common_pb2.NamedEntityIdentifier(project=project, domain=domain), limit, token, filters, sort_by
    )


def list_executions_paginated(
    project: str,
    domain: str,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> common_pb2.ResourceListRequest:
    """One page of the executions of a project and domain (archived ones hidden unless filtered by state)."""
    return _executions(project, domain, limit, token, filters, sort_by)


def iter_executions(
    project: str,
    domain: str,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[common_pb2.ResourceListRequest]:
    """Every execution of a project and domain."""
    return Paging(lambda n, t: _executions(project, domain, n, t, filters, sort_by), page_size, limit)


def terminate_execution(
    id: _identifier.WorkflowExecutionIdentifier, cause: str
) -> execution_pb2.ExecutionTerminateRequest:
    """Abort a running execution, recording ``cause``."""
    return execution_pb2.ExecutionTerminateRequest(id=_pb(id), cause=cause)


def update_execution(id: _identifier.WorkflowExecutionIdentifier, state: int) -> execution_pb2.ExecutionUpdateRequest:
    """Archive (``ExecutionState.EXECUTION_ARCHIVED``) or restore an execution."""
    return execution_pb2.ExecutionUpdateRequest(id=_pb(id), state=int(state))


# node executions


def get_node_execution(
    node_execution_identifier: _identifier.NodeExecutionIdentifier,
) -> node_execution_pb2.NodeExecutionGetRequest:
    """One node execution."""
    return node_execution_pb2.NodeExecutionGetRequest(id=_pb(node_execution_identifier))


def get_node_execution_data(
    node_execution_identifier: _identifier.NodeExecutionIdentifier,
) -> node_execution_pb2.NodeExecutionGetDataRequest:
    """Inputs and outputs of a node execution."""
    return node_execution_pb2.NodeExecutionGetDataRequest(id=_pb(node_execution_identifier))


def _node_executions(
    workflow_execution_identifier: Any,
    limit: int,
    token: str | None,
    filters: Filters,
    sort_by: Sort,
    unique_parent_id: str | None,
) -> node_execution_pb2.NodeExecutionListRequest:
    request = node_execution_pb2.NodeExecutionListRequest(
        workflow_execution_id=_pb(workflow_execution_identifier),
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
        unique_parent_id=unique_parent_id or "",
    )
    return _sorted(request, sort_by)


def list_node_executions(
    workflow_execution_identifier: _identifier.WorkflowExecutionIdentifier,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
    unique_parent_id: str | None = None,
) -> node_execution_pb2.NodeExecutionListRequest:
    """One page of the top-level node executions of an execution (or the children of ``unique_parent_id``)."""
    return _node_executions(workflow_execution_identifier, limit, token, filters, sort_by, unique_parent_id)


def iter_node_executions(
    workflow_execution_identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    unique_parent_id: str | None = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[node_execution_pb2.NodeExecutionListRequest]:
    """Every node execution of an execution (top level, or children of ``unique_parent_id``)."""
    return Paging(
        lambda n, t: _node_executions(workflow_execution_identifier, n, t, filters, sort_by, unique_parent_id),
        page_size,
        limit,
    )


def _node_executions_for_task(
    task_execution_identifier: Any, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> node_execution_pb2.NodeExecutionForTaskListRequest:
    request = node_execution_pb2.NodeExecutionForTaskListRequest(
        task_execution_id=_pb(task_execution_identifier),
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
    )
    return _sorted(request, sort_by)


def list_node_executions_for_task_paginated(
    task_execution_identifier: _identifier.TaskExecutionIdentifier,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> node_execution_pb2.NodeExecutionForTaskListRequest:
    """One page of the node executions a task execution launched (dynamic and array tasks)."""
    return _node_executions_for_task(task_execution_identifier, limit, token, filters, sort_by)


def iter_node_executions_for_task(
    task_execution_identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[node_execution_pb2.NodeExecutionForTaskListRequest]:
    """Every node execution a task execution launched."""
    return Paging(
        lambda n, t: _node_executions_for_task(task_execution_identifier, n, t, filters, sort_by), page_size, limit
    )


# task executions


def get_task_execution(id: _identifier.TaskExecutionIdentifier) -> task_execution_pb2.TaskExecutionGetRequest:
    """One task execution (one attempt)."""
    return task_execution_pb2.TaskExecutionGetRequest(id=_pb(id))


def get_task_execution_data(
    task_execution_identifier: _identifier.TaskExecutionIdentifier,
) -> task_execution_pb2.TaskExecutionGetDataRequest:
    """Inputs and outputs of a task execution."""
    return task_execution_pb2.TaskExecutionGetDataRequest(id=_pb(task_execution_identifier))


def _task_executions(
    node_execution_identifier: Any, limit: int, token: str | None, filters: Filters, sort_by: Sort
) -> task_execution_pb2.TaskExecutionListRequest:
    request = task_execution_pb2.TaskExecutionListRequest(
        node_execution_id=_pb(node_execution_identifier),
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
    )
    return _sorted(request, sort_by)


def list_task_executions_paginated(
    node_execution_identifier: _identifier.NodeExecutionIdentifier,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> task_execution_pb2.TaskExecutionListRequest:
    """One page of the attempts of a task node."""
    return _task_executions(node_execution_identifier, limit, token, filters, sort_by)


def iter_task_executions(
    node_execution_identifier: Any,
    filters: Filters = None,
    sort_by: Sort = None,
    page_size: int = DEFAULT_LIMIT,
    limit: int | None = None,
) -> Paging[task_execution_pb2.TaskExecutionListRequest]:
    """Every attempt of a task node."""
    return Paging(lambda n, t: _task_executions(node_execution_identifier, n, t, filters, sort_by), page_size, limit)


# projects and domains


def register_project(project: _project.Project) -> project_pb2.ProjectRegisterRequest:
    """Register a project."""
    return project_pb2.ProjectRegisterRequest(project=_pb(project))


def update_project(project: _project.Project) -> project_pb2.Project:
    """Update a project's name, description, labels or state (archive with ``state=ARCHIVED``)."""
    result: project_pb2.Project = _pb(project)
    return result


def get_project(id: str) -> project_pb2.ProjectGetRequest:
    """One project, with the system's domains."""
    return project_pb2.ProjectGetRequest(id=id)


def _projects(limit: int, token: str | None, filters: Filters, sort_by: Sort) -> project_pb2.ProjectListRequest:
    request = project_pb2.ProjectListRequest(limit=limit, token=token or "", filters=_filters_text(filters))
    return _sorted(request, sort_by)


def list_projects_paginated(
    limit: int = DEFAULT_LIMIT, token: str | None = None, filters: Filters = None, sort_by: Sort = None
) -> project_pb2.ProjectListRequest:
    """One page of projects (archived ones hidden unless filtered by state)."""
    return _projects(limit, token, filters, sort_by)


def iter_projects(
    filters: Filters = None, sort_by: Sort = None, page_size: int = DEFAULT_LIMIT, limit: int | None = None
) -> Paging[project_pb2.ProjectListRequest]:
    """Every project."""
    return Paging(lambda n, t: _projects(n, t, filters, sort_by), page_size, limit)


def get_domains() -> project_pb2.GetDomainRequest:
    """The domains of this Flyte Admin."""
    return project_pb2.GetDomainRequest()


# matchable attributes


def update_project_domain_attributes(
    project: str, domain: str, matching_attributes: _matchable.MatchingAttributes
) -> project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest:
    """Set one kind of matchable attributes for a project and domain."""
    attributes = project_domain_attributes_pb2.ProjectDomainAttributes(
        project=project, domain=domain, matching_attributes=_pb(matching_attributes)
    )
    return project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest(attributes=attributes)


def get_project_domain_attributes(
    project: str, domain: str, resource_type: int
) -> project_domain_attributes_pb2.ProjectDomainAttributesGetRequest:
    """The attributes that apply to a project and domain (falling back to the project's, as Flyte Admin)."""
    return project_domain_attributes_pb2.ProjectDomainAttributesGetRequest(
        project=project,
        domain=domain,
        resource_type=int(resource_type),
    )


def delete_project_domain_attributes(
    project: str, domain: str, resource_type: int
) -> project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest:
    """Delete one kind of matchable attributes of a project and domain."""
    return project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest(
        project=project,
        domain=domain,
        resource_type=int(resource_type),
    )


def update_project_attributes(
    project: str, matching_attributes: _matchable.MatchingAttributes
) -> project_attributes_pb2.ProjectAttributesUpdateRequest:
    """Set one kind of matchable attributes for a whole project."""
    attributes = project_attributes_pb2.ProjectAttributes(project=project, matching_attributes=_pb(matching_attributes))
    return project_attributes_pb2.ProjectAttributesUpdateRequest(attributes=attributes)


def get_project_attributes(project: str, resource_type: int) -> project_attributes_pb2.ProjectAttributesGetRequest:
    """The attributes set for a whole project."""
    return project_attributes_pb2.ProjectAttributesGetRequest(
        project=project,
        resource_type=int(resource_type),
    )


def delete_project_attributes(
    project: str, resource_type: int
) -> project_attributes_pb2.ProjectAttributesDeleteRequest:
    """Delete one kind of matchable attributes of a project."""
    return project_attributes_pb2.ProjectAttributesDeleteRequest(
        project=project,
        resource_type=int(resource_type),
    )


def update_workflow_attributes(
    project: str, domain: str, workflow: str, matching_attributes: _matchable.MatchingAttributes
) -> workflow_attributes_pb2.WorkflowAttributesUpdateRequest:
    """Set one kind of matchable attributes for a workflow."""
    attributes = workflow_attributes_pb2.WorkflowAttributes(
        project=project, domain=domain, workflow=workflow, matching_attributes=_pb(matching_attributes)
    )
    return workflow_attributes_pb2.WorkflowAttributesUpdateRequest(attributes=attributes)


def get_workflow_attributes(
    project: str, domain: str, workflow: str, resource_type: int
) -> workflow_attributes_pb2.WorkflowAttributesGetRequest:
    """The attributes that apply to a workflow (falling back to project-domain and project ones)."""
    return workflow_attributes_pb2.WorkflowAttributesGetRequest(
        project=project,
        domain=domain,
        workflow=workflow,
        resource_type=int(resource_type),
    )


def delete_workflow_attributes(
    project: str, domain: str, workflow: str, resource_type: int
) -> workflow_attributes_pb2.WorkflowAttributesDeleteRequest:
    """Delete one kind of matchable attributes of a workflow."""
    return workflow_attributes_pb2.WorkflowAttributesDeleteRequest(
        project=project,
        domain=domain,
        workflow=workflow,
        resource_type=int(resource_type),
    )


def list_matchable_attributes(resource_type: int) -> matchable_resource_pb2.ListMatchableAttributesRequest:
    """Every setting of one kind of matchable attributes, most specific first."""
    return matchable_resource_pb2.ListMatchableAttributesRequest(resource_type=int(resource_type))


# signals


def list_signals_paginated(
    workflow_execution_identifier: _identifier.WorkflowExecutionIdentifier,
    limit: int = DEFAULT_LIMIT,
    token: str | None = None,
    filters: Filters = None,
    sort_by: Sort = None,
) -> signal_pb2.SignalListRequest:
    """One page of the signals (gate nodes) of an execution."""
    request = signal_pb2.SignalListRequest(
        workflow_execution_id=_pb(workflow_execution_identifier),
        limit=limit,
        token=token or "",
        filters=_filters_text(filters),
    )
    return _sorted(request, sort_by)


# data proxy


def get_upload_signed_url(
    project: str,
    domain: str,
    content_md5: bytes | None = None,
    filename: str | None = None,
    expires_in: _dt.timedelta | None = None,
    filename_root: str | None = None,
    add_content_md5_metadata: bool = True,
) -> dataproxy_pb2.CreateUploadLocationRequest:
    """A signed URL to PUT one file to, and the native URL it will have."""
    return dataproxy_pb2.CreateUploadLocationRequest(
        project=project,
        domain=domain,
        content_md5=content_md5 or b"",
        filename=filename or "",
        filename_root=filename_root or "",
        add_content_md5_metadata=add_content_md5_metadata,
        expires_in=_duration(expires_in),
    )


def get_download_signed_url(
    native_url: str, expires_in: _dt.timedelta | None = None
) -> dataproxy_pb2.CreateDownloadLocationRequest:
    """A signed URL to GET one object from."""
    return dataproxy_pb2.CreateDownloadLocationRequest(native_url=native_url, expires_in=_duration(expires_in))


def get_data(flyte_uri: str) -> dataproxy_pb2.GetDataRequest:
    """The data behind a ``flyte://`` URL (inputs, outputs or a deck of an execution)."""
    return dataproxy_pb2.GetDataRequest(flyte_url=flyte_uri)


def get_download_artifact_signed_url(
    node_id: str,
    project: str,
    domain: str,
    name: str,
    artifact_type: int = dataproxy_pb2.ARTIFACT_TYPE_DECK,
    expires_in: _dt.timedelta | None = None,
) -> dataproxy_pb2.CreateDownloadLinkRequest:
    """Signed URLs for an artifact (a deck) of a node execution."""
    return dataproxy_pb2.CreateDownloadLinkRequest(
        artifact_type=artifact_type,
        node_execution_id=identifier_pb2.NodeExecutionIdentifier(
            node_id=node_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name),
        ),
        expires_in=_duration(expires_in),
    )


# version


def get_control_plane_version() -> version_pb2.GetVersionRequest:
    """Flyte Admin's version string."""
    return version_pb2.GetVersionRequest()


# -- the declarations --------------------------------------------------------------------------------------------

_R = RpcTable  # the RPCs, by their raw method names


class FriendlyOperations:
    """Every friendly method, for :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` (plain methods) and
    :class:`flyteplane.aio.FlyteClient` (coroutines): ``Op(rpc, request builder, response converter)``."""

    # tasks
    create_task = Op(_R.create_task, create_task, _none)
    get_task = Op(_R.get_task, get_task, _task.Task.from_flyte_idl)
    list_task_ids_paginated = Op(_R.list_task_ids_paginated, list_task_ids_paginated, _ids_page)
    list_tasks_paginated = Op(_R.list_tasks_paginated, list_tasks_paginated, _tasks_page)
    iter_tasks = IterOp(_R.list_tasks_paginated, iter_tasks, _tasks_page)
    iter_task_ids = IterOp(_R.list_task_ids_paginated, iter_task_ids, _ids_page)
    # workflows
    create_workflow = Op(_R.create_workflow, create_workflow, _none)
    get_workflow = Op(_R.get_workflow, get_workflow, _workflow.Workflow.from_flyte_idl)
    list_workflow_ids_paginated = Op(_R.list_workflow_ids_paginated, list_workflow_ids_paginated, _ids_page)
    list_workflows_paginated = Op(_R.list_workflows_paginated, list_workflows_paginated, _workflows_page)
    iter_workflows = IterOp(_R.list_workflows_paginated, iter_workflows, _workflows_page)
    iter_workflow_ids = IterOp(_R.list_workflow_ids_paginated, iter_workflow_ids, _ids_page)
    # launch plans
    create_launch_plan = Op(_R.create_launch_plan, create_launch_plan, _none)
    get_launch_plan = Op(_R.get_launch_plan, get_launch_plan, _launch_plan.LaunchPlan.from_flyte_idl)
    get_active_launch_plan = Op(
        _R.get_active_launch_plan, get_active_launch_plan, _launch_plan.LaunchPlan.from_flyte_idl
    )
    list_launch_plan_ids_paginated = Op(_R.list_launch_plan_ids_paginated, list_launch_plan_ids_paginated, _ids_page)
    list_launch_plans_paginated = Op(_R.list_launch_plans_paginated, list_launch_plans_paginated, _launch_plans_page)
    list_active_launch_plans_paginated = Op(
        _R.list_active_launch_plans_paginated, list_active_launch_plans_paginated, _launch_plans_page
    )
    update_launch_plan = Op(_R.update_launch_plan, update_launch_plan, _none)
    iter_launch_plans = IterOp(_R.list_launch_plans_paginated, iter_launch_plans, _launch_plans_page)
    iter_launch_plan_ids = IterOp(_R.list_launch_plan_ids_paginated, iter_launch_plan_ids, _ids_page)
    iter_active_launch_plans = IterOp(
        _R.list_active_launch_plans_paginated, iter_active_launch_plans, _launch_plans_page
    )
    # named entities
    update_named_entity = Op(_R.update_named_entity, update_named_entity, _none)
    get_named_entity = Op(_R.get_named_entity, get_named_entity, _named_entity.NamedEntity.from_flyte_idl)
    list_named_entities_paginated = Op(_R.list_named_entities, list_named_entities_paginated, _named_entities_page)
    iter_named_entities = IterOp(_R.list_named_entities, iter_named_entities, _named_entities_page)
    # description entities
    get_description_entity = Op(
        _R.get_description_entity, get_description_entity, _description.DescriptionEntity.from_flyte_idl
    )
    list_description_entities_paginated = Op(
        _R.list_description_entities, list_description_entities_paginated, _descriptions_page
    )
    iter_description_entities = IterOp(_R.list_description_entities, iter_description_entities, _descriptions_page)
    # executions
    create_execution = Op(_R.create_execution, create_execution, _execution_id)
    recover_execution = Op(_R.recover_execution, recover_execution, _execution_id)
    relaunch_execution = Op(_R.relaunch_execution, relaunch_execution, _execution_id)
    get_execution = Op(_R.get_execution, get_execution, _execution.Execution.from_flyte_idl)
    get_execution_data = Op(
        _R.get_execution_data, get_execution_data, _execution.WorkflowExecutionGetDataResponse.from_flyte_idl
    )
    get_execution_metrics = Op(
        _R.get_execution_metrics,
        get_execution_metrics,
        _execution.WorkflowExecutionGetMetricsResponse.from_flyte_idl,
    )
    list_executions_paginated = Op(_R.list_executions_paginated, list_executions_paginated, _executions_page)
    iter_executions = IterOp(_R.list_executions_paginated, iter_executions, _executions_page)
    terminate_execution = Op(_R.terminate_execution, terminate_execution, _none)
    update_execution = Op(_R.update_execution, update_execution, _none)
    # node executions
    get_node_execution = Op(_R.get_node_execution, get_node_execution, _node_execution.NodeExecution.from_flyte_idl)
    get_node_execution_data = Op(
        _R.get_node_execution_data, get_node_execution_data, _execution.NodeExecutionGetDataResponse.from_flyte_idl
    )
    list_node_executions = Op(_R.list_node_executions_paginated, list_node_executions, _node_executions_page)
    iter_node_executions = IterOp(_R.list_node_executions_paginated, iter_node_executions, _node_executions_page)
    list_node_executions_for_task_paginated = Op(
        _R.list_node_executions_for_task_paginated, list_node_executions_for_task_paginated, _node_executions_page
    )
    iter_node_executions_for_task = IterOp(
        _R.list_node_executions_for_task_paginated, iter_node_executions_for_task, _node_executions_page
    )
    # task executions
    get_task_execution = Op(_R.get_task_execution, get_task_execution, _task_execution.TaskExecution.from_flyte_idl)
    get_task_execution_data = Op(
        _R.get_task_execution_data, get_task_execution_data, _execution.TaskExecutionGetDataResponse.from_flyte_idl
    )
    list_task_executions_paginated = Op(
        _R.list_task_executions_paginated, list_task_executions_paginated, _task_executions_page
    )
    iter_task_executions = IterOp(_R.list_task_executions_paginated, iter_task_executions, _task_executions_page)
    # projects and domains
    register_project = Op(_R.register_project, register_project, _none)
    update_project = Op(_R.update_project, update_project, _none)
    get_project = Op(_R.get_project, get_project, _project.Project.from_flyte_idl)
    list_projects_paginated = Op(_R.list_projects, list_projects_paginated, _projects_page)
    iter_projects = IterOp(_R.list_projects, iter_projects, _projects_page)
    get_domains = Op(_R.get_domains, get_domains, _domains)
    # matchable attributes
    update_project_domain_attributes = Op(_R.update_project_domain_attributes, update_project_domain_attributes, _none)
    get_project_domain_attributes = Op(_R.get_project_domain_attributes, get_project_domain_attributes, _attributes)
    delete_project_domain_attributes = Op(_R.delete_project_domain_attributes, delete_project_domain_attributes, _none)
    update_project_attributes = Op(_R.update_project_attributes, update_project_attributes, _none)
    get_project_attributes = Op(_R.get_project_attributes, get_project_attributes, _attributes)
    delete_project_attributes = Op(_R.delete_project_attributes, delete_project_attributes, _none)
    update_workflow_attributes = Op(_R.update_workflow_attributes, update_workflow_attributes, _none)
    get_workflow_attributes = Op(_R.get_workflow_attributes, get_workflow_attributes, _attributes)
    delete_workflow_attributes = Op(_R.delete_workflow_attributes, delete_workflow_attributes, _none)
    list_matchable_attributes = Op(_R.list_matchable_attributes, list_matchable_attributes, _configurations)
    # signals
    list_signals_paginated = Op(_R.list_signals, list_signals_paginated, _signals)
    # data proxy (responses are the protobufs, as flytekit returns them)
    get_upload_signed_url = Op(_R.create_upload_location, get_upload_signed_url, _same)
    get_download_signed_url = Op(_R.create_download_location, get_download_signed_url, _same)
    get_data = Op(_R.get_data, get_data, _same)
    get_download_artifact_signed_url = Op(_R.create_download_link, get_download_artifact_signed_url, _same)
    # version
    get_control_plane_version = Op(_R.get_version, get_control_plane_version, _version)


class RawPassthrough:
    """The raw methods a friendly client offers as they are (flytekit's friendly client inherits them from its raw
    client): every RPC of :class:`~flyteplane.clients.rpcs.RpcTable` that no friendly method above replaces, called
    on the friendly client's own raw client."""

    list_node_executions_paginated = _R.list_node_executions_paginated
    list_named_entities = _R.list_named_entities
    list_description_entities = _R.list_description_entities
    list_projects = _R.list_projects
    get_dynamic_node_workflow = _R.get_dynamic_node_workflow
    create_workflow_event = _R.create_workflow_event
    create_node_event = _R.create_node_event
    create_task_event = _R.create_task_event
    get_version = _R.get_version
    create_upload_location = _R.create_upload_location
    create_download_location = _R.create_download_location
    create_download_link = _R.create_download_link
    get_or_create_signal = _R.get_or_create_signal
    list_signals = _R.list_signals
    set_signal = _R.set_signal
    get_oauth2_metadata = _R.get_oauth2_metadata
    get_public_client_config = _R.get_public_client_config
    user_info = _R.user_info
