"""Project, domain and workflow level settings (``flyteidl.admin.matchable_resource``).

:class:`MatchingAttributes` holds exactly one kind of setting; :class:`MatchableResource` names the kinds.
:class:`ClusterAssignment` (``flyteidl.admin.cluster_assignment``) lives here too, as one of those settings;
:mod:`flyteplane.models.execution` re-exports it where flytekit has it.
"""

from __future__ import annotations

from flyteidl.admin import cluster_assignment_pb2 as _cluster_pb
from flyteidl.admin import matchable_resource_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.common import Annotations, Envs, Labels, RawOutputDataConfig
from flyteplane.models.core.execution import QualityOfService
from flyteplane.models.security import SecurityContext

__all__ = [
    "ClusterAssignment",
    "ClusterResourceAttributes",
    "ExecutionClusterLabel",
    "ExecutionQueueAttributes",
    "MatchableAttributesConfiguration",
    "MatchableResource",
    "MatchingAttributes",
    "PluginOverride",
    "PluginOverrides",
    "TaskResourceAttributes",
    "TaskResourceSpec",
    "WorkflowExecutionConfig",
]


class MatchableResource(IdlEnum):
    """The kinds of setting (``flyteidl.admin.MatchableResource``)."""

    TASK_RESOURCE = 0
    CLUSTER_RESOURCE = 1
    EXECUTION_QUEUE = 2
    EXECUTION_CLUSTER_LABEL = 3
    QUALITY_OF_SERVICE_SPECIFICATION = 4
    PLUGIN_OVERRIDE = 5
    WORKFLOW_EXECUTION_CONFIG = 6
    CLUSTER_ASSIGNMENT = 7


class TaskResourceSpec(FlyteIdlEntity):
    """Resource amounts in Kubernetes quantity syntax.

    ``TaskResourceSpec(cpu, gpu, memory, storage, ephemeral_storage)``.
    """

    _pb_type = _pb.TaskResourceSpec
    cpu: Field[str] = Field()
    gpu: Field[str] = Field()
    memory: Field[str] = Field()
    storage: Field[str] = Field()
    ephemeral_storage: Field[str] = Field()


class TaskResourceAttributes(FlyteIdlEntity):
    """Default and maximum task resources: ``TaskResourceAttributes(defaults, limits)``."""

    _pb_type = _pb.TaskResourceAttributes
    defaults: Field[TaskResourceSpec | None] = Field(model=TaskResourceSpec)
    limits: Field[TaskResourceSpec | None] = Field(model=TaskResourceSpec)


class ClusterResourceAttributes(FlyteIdlEntity):
    """Values for the cluster resource templates (namespace quotas...): ``ClusterResourceAttributes(attributes)``."""

    _pb_type = _pb.ClusterResourceAttributes
    attributes: Field[dict[str, str]] = Field()


class ExecutionQueueAttributes(FlyteIdlEntity):
    """Tags that pick an execution queue: ``ExecutionQueueAttributes(tags)``."""

    _pb_type = _pb.ExecutionQueueAttributes
    tags: Field[list[str]] = Field()


class ExecutionClusterLabel(FlyteIdlEntity):
    """The label of the cluster executions run on: ``ExecutionClusterLabel(value)``."""

    _pb_type = _pb.ExecutionClusterLabel
    value: Field[str] = Field()


class ClusterAssignment(FlyteIdlEntity):
    """The cluster pool executions run in: ``ClusterAssignment(cluster_pool=None)``."""

    _pb_type = _cluster_pb.ClusterAssignment
    cluster_pool: Field[str] = Field("cluster_pool_name")


class PluginOverride(FlyteIdlEntity):
    """Which plugins handle a task type: ``PluginOverride(task_type, plugin_id, missing_plugin_behavior)``."""

    class MissingPluginBehavior(IdlEnum):
        """What to do when none of the plugins is loaded."""

        FAIL = 0
        USE_DEFAULT = 1

    # flytekit's names for the same values.
    FAIL = MissingPluginBehavior.FAIL
    USE_DEFAULT = MissingPluginBehavior.USE_DEFAULT

    _pb_type = _pb.PluginOverride
    task_type: Field[str] = Field()
    plugin_id: Field[list[str]] = Field()
    missing_plugin_behavior: Field[PluginOverride.MissingPluginBehavior] = Field(enum=MissingPluginBehavior)


class PluginOverrides(FlyteIdlEntity):
    """``PluginOverrides(overrides)``."""

    _pb_type = _pb.PluginOverrides
    overrides: Field[list[PluginOverride]] = Field(model=PluginOverride)


class WorkflowExecutionConfig(FlyteIdlEntity):
    """Execution defaults.

    ``WorkflowExecutionConfig(max_parallelism=None, security_context=None, raw_output_data_config=None,
    labels=None, annotations=None, interruptible=None, overwrite_cache=None, envs=None)``.
    """

    _pb_type = _pb.WorkflowExecutionConfig
    max_parallelism: Field[int] = Field()
    security_context: Field[SecurityContext | None] = Field(model=SecurityContext)
    raw_output_data_config: Field[RawOutputDataConfig | None] = Field(model=RawOutputDataConfig)
    labels: Field[Labels | None] = Field(model=Labels)
    annotations: Field[Annotations | None] = Field(model=Annotations)
    interruptible: Field[bool | None] = Field()
    overwrite_cache: Field[bool] = Field()
    envs: Field[Envs | None] = Field(model=Envs)


class MatchingAttributes(FlyteIdlEntity):
    """One setting; set exactly one argument.

    ``MatchingAttributes(cluster_resource_attributes=None, execution_queue_attributes=None,
    execution_cluster_label=None, plugin_overrides=None, workflow_execution_config=None, cluster_assignment=None,
    task_resource_attributes=None, quality_of_service=None)``: flytekit's four first, then the rest of the oneof.
    """

    _pb_type = _pb.MatchingAttributes
    cluster_resource_attributes: Field[ClusterResourceAttributes | None] = Field(model=ClusterResourceAttributes)
    execution_queue_attributes: Field[ExecutionQueueAttributes | None] = Field(model=ExecutionQueueAttributes)
    execution_cluster_label: Field[ExecutionClusterLabel | None] = Field(model=ExecutionClusterLabel)
    plugin_overrides: Field[PluginOverrides | None] = Field(model=PluginOverrides)
    workflow_execution_config: Field[WorkflowExecutionConfig | None] = Field(model=WorkflowExecutionConfig)
    cluster_assignment: Field[ClusterAssignment | None] = Field(model=ClusterAssignment)
    task_resource_attributes: Field[TaskResourceAttributes | None] = Field(model=TaskResourceAttributes)
    quality_of_service: Field[QualityOfService | None] = Field(model=QualityOfService)

    @property
    def target(self) -> FlyteIdlEntity | None:
        """Whichever setting is set."""
        which = self._pb.WhichOneof("target")
        return None if which is None else getattr(self, which)

    @property
    def resource_type(self) -> MatchableResource | None:
        """The :class:`MatchableResource` kind of the setting that is set."""
        which = self._pb.WhichOneof("target")
        return None if which is None else _KIND_OF_TARGET[which]


_KIND_OF_TARGET = {
    "task_resource_attributes": MatchableResource.TASK_RESOURCE,
    "cluster_resource_attributes": MatchableResource.CLUSTER_RESOURCE,
    "execution_queue_attributes": MatchableResource.EXECUTION_QUEUE,
    "execution_cluster_label": MatchableResource.EXECUTION_CLUSTER_LABEL,
    "quality_of_service": MatchableResource.QUALITY_OF_SERVICE_SPECIFICATION,
    "plugin_overrides": MatchableResource.PLUGIN_OVERRIDE,
    "workflow_execution_config": MatchableResource.WORKFLOW_EXECUTION_CONFIG,
    "cluster_assignment": MatchableResource.CLUSTER_ASSIGNMENT,
}


class MatchableAttributesConfiguration(FlyteIdlEntity):
    """A setting and the scope it applies to, as ListMatchableAttributes returns them.

    ``MatchableAttributesConfiguration(attributes, domain, project, workflow, launch_plan, org)``.
    """

    _pb_type = _pb.MatchableAttributesConfiguration
    attributes: Field[MatchingAttributes] = Field(model=MatchingAttributes)
    domain: Field[str] = Field()
    project: Field[str] = Field()
    workflow: Field[str] = Field()
    launch_plan: Field[str] = Field()
    org: Field[str] = Field()
