"""Matchable attributes: the project / project-domain / workflow overrides (Flyte Admin's
``flyteadmin/pkg/manager/impl/resources/resource_manager.go``).

One table, ``resources``, keyed by (project, domain, workflow, launch_plan, resource_type); an empty string in a
key column means "any". Each level has a priority (project 5, project-domain 10, workflow 100, launch plan 1000)
and a lookup returns the row of highest priority among those that match, which is how a workflow-level Get can
answer with a project-domain row (and echo *that row's* project/domain/workflow, as Flyte Admin does).

Quirks of Flyte Admin reproduced on purpose, because clients can observe them:

* Updates are upserts; PLUGIN_OVERRIDE updates merge into the stored overrides by ``task_type``.
* Deletes match only the non-empty key fields (gorm drops zero values from a struct WHERE), so deleting
  project-domain attributes also deletes the workflow-level rows of that project/domain/type, and deleting project
  attributes deletes every row of that project and type.
* GetProjectAttributes of WORKFLOW_EXECUTION_CONFIG is merged with the server defaults, and answered with the
  defaults alone when there is no row.

:func:`flyteplane.admin.store.attributes.resolve` is the same most-specific-match lookup for other managers
(CreateExecution); :func:`merge_into_exec_config` is how a WORKFLOW_EXECUTION_CONFIG meets the server defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flyteidl.admin import (
    matchable_resource_pb2,
    project_attributes_pb2,
    project_domain_attributes_pb2,
    workflow_attributes_pb2,
)

from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.attributes import (
    checked_resource_type,
    matching_resource_type,
    validate_workflow_name,
)
from flyteplane.admin.domain.validation.common import check_project_and_domain, check_project_exists_and_active
from flyteplane.admin.errors import echo, invalid_argument, not_found
from flyteplane.admin.store.attributes import AttributesRepository, MatchedAttributes, ResourceKey
from flyteplane.admin.store.db import Tx
from flyteplane.admin.store.projects import ProjectRepository

__all__ = [
    "PRIORITY_LAUNCH_PLAN",
    "PRIORITY_PROJECT",
    "PRIORITY_PROJECT_DOMAIN",
    "PRIORITY_WORKFLOW",
    "AttributesManager",
    "merge_into_exec_config",
]

MatchingAttributes = matchable_resource_pb2.MatchingAttributes
WorkflowExecutionConfig = matchable_resource_pb2.WorkflowExecutionConfig

PRIORITY_PROJECT = 5
PRIORITY_PROJECT_DOMAIN = 10
PRIORITY_WORKFLOW = 100
PRIORITY_LAUNCH_PLAN = 1000


def _resource_id(project: str, domain: str, workflow: str, launch_plan: str, resource_type: str) -> str:
    """Go's ``%+v`` of Flyte Admin's repository ResourceID, as its NOT_FOUND messages print it."""
    return (
        f"{{Project:{project} Domain:{domain} Workflow:{workflow} LaunchPlan:{launch_plan} "
        f"ResourceType:{resource_type}}}"
    )


def merge_into_exec_config(
    config: matchable_resource_pb2.WorkflowExecutionConfig,
    defaults: matchable_resource_pb2.WorkflowExecutionConfig,
) -> matchable_resource_pb2.WorkflowExecutionConfig:
    """Flyte Admin's MergeIntoExecConfig: ``config`` wins; each unset (or empty) field is taken from ``defaults``.

    Returns a new message; neither argument is modified.
    """
    merged = WorkflowExecutionConfig()
    merged.CopyFrom(config)
    if merged.max_parallelism == 0 and defaults.max_parallelism > 0:
        merged.max_parallelism = defaults.max_parallelism
    # A security context set to an empty object (the console sends those) does not count as a default.
    if not merged.HasField("security_context") and defaults.HasField("security_context"):
        run_as = defaults.security_context.run_as
        if defaults.security_context.HasField("run_as") and (
            run_as.k8s_service_account or run_as.iam_role or run_as.execution_identity
        ):
            merged.security_context.CopyFrom(defaults.security_context)
    if (
        not merged.raw_output_data_config.output_location_prefix
        and defaults.raw_output_data_config.output_location_prefix
    ):
        merged.raw_output_data_config.CopyFrom(defaults.raw_output_data_config)
    if not merged.labels.values and defaults.labels.values:
        merged.labels.CopyFrom(defaults.labels)
    if not merged.annotations.values and defaults.annotations.values:
        merged.annotations.CopyFrom(defaults.annotations)
    if not merged.HasField("interruptible") and defaults.HasField("interruptible"):
        merged.interruptible.CopyFrom(defaults.interruptible)
    if not merged.overwrite_cache and defaults.overwrite_cache:
        merged.overwrite_cache = True
    if not merged.envs.values and defaults.envs.values:
        merged.envs.CopyFrom(defaults.envs)
    if not merged.execution_env_assignments and defaults.execution_env_assignments:
        merged.execution_env_assignments.extend(defaults.execution_env_assignments)
    return merged


def _merge_plugin_overrides(
    existing: matchable_resource_pb2.MatchingAttributes, update: matchable_resource_pb2.MatchingAttributes
) -> matchable_resource_pb2.MatchingAttributes:
    """Overrides keyed by task_type: the update replaces same-type entries and adds new ones.

    Flyte Admin builds the result from a Go map (random order); this keeps the stored order, then new types.
    """
    by_type: dict[str, matchable_resource_pb2.PluginOverride] = {}
    for override in existing.plugin_overrides.overrides:
        by_type[override.task_type] = override
    for override in update.plugin_overrides.overrides:
        by_type[override.task_type] = override
    merged = MatchingAttributes()
    merged.plugin_overrides.SetInParent()
    merged.plugin_overrides.overrides.extend(by_type.values())
    return merged


@dataclass(frozen=True)
class _Level:
    """One level of attributes: the request fields that key it (project, then domain, then workflow) and its
    priority."""

    keys: tuple[str, ...]
    priority: int


_PROJECT = _Level(("project",), PRIORITY_PROJECT)
_PROJECT_DOMAIN = _Level(("project", "domain"), PRIORITY_PROJECT_DOMAIN)
_WORKFLOW = _Level(("project", "domain", "workflow"), PRIORITY_WORKFLOW)


class AttributesManager:
    """Serves the Update/Get/Delete *Attributes RPCs and ListMatchableAttributes."""

    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx
        self._store = ctx.store
        self._attributes = AttributesRepository(ctx.store)
        self._projects = ProjectRepository(ctx.store)

    # -- project-domain --------------------------------------------------------------------------------------
    def update_project_domain_attributes(
        self, request: project_domain_attributes_pb2.ProjectDomainAttributesUpdateRequest
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesUpdateResponse:
        self._update(_PROJECT_DOMAIN, request)
        return project_domain_attributes_pb2.ProjectDomainAttributesUpdateResponse()

    def get_project_domain_attributes(
        self, request: project_domain_attributes_pb2.ProjectDomainAttributesGetRequest
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesGetResponse:
        matched = self._get(_PROJECT_DOMAIN, request)
        return project_domain_attributes_pb2.ProjectDomainAttributesGetResponse(
            attributes=project_domain_attributes_pb2.ProjectDomainAttributes(
                project=matched.project, domain=matched.domain, matching_attributes=matched.attributes
            )
        )

    def delete_project_domain_attributes(
        self, request: project_domain_attributes_pb2.ProjectDomainAttributesDeleteRequest
    ) -> project_domain_attributes_pb2.ProjectDomainAttributesDeleteResponse:
        self._delete(_PROJECT_DOMAIN, request)
        return project_domain_attributes_pb2.ProjectDomainAttributesDeleteResponse()

    # -- project ---------------------------------------------------------------------------------------------
    def update_project_attributes(
        self, request: project_attributes_pb2.ProjectAttributesUpdateRequest
    ) -> project_attributes_pb2.ProjectAttributesUpdateResponse:
        self._update(_PROJECT, request)
        return project_attributes_pb2.ProjectAttributesUpdateResponse()

    def get_project_attributes(
        self, request: project_attributes_pb2.ProjectAttributesGetRequest
    ) -> project_attributes_pb2.ProjectAttributesGetResponse:
        # Reading project attributes is allowed for archived projects too: existence is enough.
        if self._projects.state(request.project) is None:
            raise invalid_argument(
                f"failed to validate that project [{echo(request.project)}] exists, "
                f"err: [project [{echo(request.project)}] not found]"
            )
        type_name = checked_resource_type(request.resource_type)
        # Only the project-level row: the console shows what is set on the project itself.
        attributes = self._attributes.get(ResourceKey(type_name, request.project))
        if request.resource_type == matchable_resource_pb2.WORKFLOW_EXECUTION_CONFIG:
            stored = attributes.workflow_execution_config if attributes is not None else WorkflowExecutionConfig()
            attributes = MatchingAttributes(
                workflow_execution_config=merge_into_exec_config(stored, self._default_exec_config())
            )
        if attributes is None:
            resource = _resource_id(request.project, "", "", "", type_name)
            raise not_found(f"Resource [{resource}] not found")
        return project_attributes_pb2.ProjectAttributesGetResponse(
            attributes=project_attributes_pb2.ProjectAttributes(project=request.project, matching_attributes=attributes)
        )

    def delete_project_attributes(
        self, request: project_attributes_pb2.ProjectAttributesDeleteRequest
    ) -> project_attributes_pb2.ProjectAttributesDeleteResponse:
        self._delete(_PROJECT, request)
        return project_attributes_pb2.ProjectAttributesDeleteResponse()

    # -- workflow --------------------------------------------------------------------------------------------
    def update_workflow_attributes(
        self, request: workflow_attributes_pb2.WorkflowAttributesUpdateRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesUpdateResponse:
        self._update(_WORKFLOW, request)
        return workflow_attributes_pb2.WorkflowAttributesUpdateResponse()

    def get_workflow_attributes(
        self, request: workflow_attributes_pb2.WorkflowAttributesGetRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesGetResponse:
        matched = self._get(_WORKFLOW, request)
        return workflow_attributes_pb2.WorkflowAttributesGetResponse(
            attributes=workflow_attributes_pb2.WorkflowAttributes(
                project=matched.project,
                domain=matched.domain,
                workflow=matched.workflow,
                matching_attributes=matched.attributes,
            )
        )

    def delete_workflow_attributes(
        self, request: workflow_attributes_pb2.WorkflowAttributesDeleteRequest
    ) -> workflow_attributes_pb2.WorkflowAttributesDeleteResponse:
        self._delete(_WORKFLOW, request)
        return workflow_attributes_pb2.WorkflowAttributesDeleteResponse()

    # -- one implementation per verb, for every level --------------------------------------------------------
    def _scope(self, tx: Tx, level: _Level, source: Any) -> dict[str, str]:
        """Flyte Admin's checks of a request's scope, in its order; returns the scope's key fields by column.

        Project level: the project exists and is active. Below it: the domain is known too. Workflow level: the
        workflow is named and not too long.
        """
        state = self._projects.state_in(tx, source.project)
        if level is _PROJECT:
            check_project_exists_and_active(source.project, state)
        else:
            check_project_and_domain(source.project, source.domain, state, self._ctx.config.domains)
        if level is _WORKFLOW:
            validate_workflow_name(source.workflow)
        return {key: getattr(source, key) for key in level.keys}

    def _update(self, level: _Level, request: Any) -> None:
        if not request.HasField("attributes"):
            raise invalid_argument("missing attributes")
        attrs = request.attributes
        with self._store.begin() as tx:
            scope = self._scope(tx, level, attrs)
            # Flyte Admin names the request by its scope: "p", "p-d", "p-d-wf".
            resource_type = matching_resource_type(attrs, "-".join(scope.values()))
            key = ResourceKey(matchable_resource_pb2.MatchableResource.Name(resource_type), **scope)
            attributes = attrs.matching_attributes
            if resource_type == matchable_resource_pb2.PLUGIN_OVERRIDE:
                stored = self._attributes.get_in(tx, key)
                if stored is not None:
                    attributes = _merge_plugin_overrides(stored, attributes)
            self._attributes.put_in(tx, key, attributes, priority=level.priority, now=utcnow())

    def _get(self, level: _Level, request: Any) -> MatchedAttributes:
        """The most specific row for the request's scope (project-domain and workflow levels)."""
        with self._store.read() as tx:
            scope = self._scope(tx, level, request)
            type_name = checked_resource_type(request.resource_type)
            matched = self._attributes.lookup_in(tx, type_name, **scope)
        if matched is None:
            resource = _resource_id(scope["project"], scope.get("domain", ""), scope.get("workflow", ""), "", type_name)
            raise not_found(f"Resource [{resource}] not found")
        return matched

    def _delete(self, level: _Level, request: Any) -> None:
        with self._store.begin() as tx:
            scope = self._scope(tx, level, request)
            type_name = checked_resource_type(request.resource_type)
            self._attributes.delete_in(tx, ResourceKey(type_name, **scope))

    # -- all -------------------------------------------------------------------------------------------------
    def list_matchable_attributes(
        self, request: matchable_resource_pb2.ListMatchableAttributesRequest
    ) -> matchable_resource_pb2.ListMatchableAttributesResponse:
        type_name = checked_resource_type(request.resource_type)
        return matchable_resource_pb2.ListMatchableAttributesResponse(configurations=self._attributes.list(type_name))

    # -- helpers ---------------------------------------------------------------------------------------------
    def _default_exec_config(self) -> matchable_resource_pb2.WorkflowExecutionConfig:
        """The server-wide WORKFLOW_EXECUTION_CONFIG (Flyte Admin: GetAsWorkflowExecutionConfig)."""
        return WorkflowExecutionConfig(max_parallelism=self._ctx.config.max_parallelism)
