"""Task definitions (``flyteidl.core.tasks`` and ``flyteidl.admin.task``): templates, containers, specs.

The seed's shapes work as written: ``TaskTemplate(..., metadata={}, container={"image": ..., "command": [...],
"args": [...]})`` builds the nested models from the dicts.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import task_pb2 as _admin_pb
from flyteidl.core import compiler_pb2 as _compiler_pb
from flyteidl.core import tasks_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum, PairsField
from flyteplane.models.admin.description_entity import Documentation
from flyteplane.models.core.identifier import Identifier
from flyteplane.models.interface import TypedInterface
from flyteplane.models.literals import RetryStrategy
from flyteplane.models.security import SecurityContext

__all__ = [
    "CompiledTask",
    "Container",
    "ContainerPort",
    "DataLoadingConfig",
    "IOStrategy",
    "K8sObjectMetadata",
    "K8sPod",
    "Resources",
    "RuntimeMetadata",
    "Sql",
    "Task",
    "TaskClosure",
    "TaskMetadata",
    "TaskSpec",
    "TaskTemplate",
]


def _retry_strategy(value: Any) -> Any:
    # flytekit's callers pass a RetryStrategy; a plain count is what people mean.
    if isinstance(value, int):
        return RetryStrategy(retries=value)
    return value


def _timeout(value: Any) -> Any:
    # flytekit leaves a zero timeout unset ("no timeout"); so do we, for identical bytes.
    if not value:
        return None
    return value if isinstance(value, _dt.timedelta) else _dt.timedelta(seconds=float(value))


class Resources(FlyteIdlEntity):
    """Requested and maximum resources: ``Resources(requests, limits)``, lists of :class:`Resources.ResourceEntry`."""

    class ResourceName(IdlEnum):
        """The kinds of resource."""

        UNKNOWN = 0
        CPU = 1
        GPU = 2
        MEMORY = 3
        STORAGE = 4
        EPHEMERAL_STORAGE = 5

    class ResourceEntry(FlyteIdlEntity):
        """One amount, in Kubernetes quantity syntax: ``ResourceEntry(Resources.ResourceName.CPU, "500m")``."""

        _pb_type = _pb.Resources.ResourceEntry
        name: Field[Resources.ResourceName] = Field(enum=lambda v: Resources.ResourceName(v))
        value: Field[str] = Field()

    _pb_type = _pb.Resources
    requests: Field[list[Resources.ResourceEntry]] = Field(model=ResourceEntry)
    limits: Field[list[Resources.ResourceEntry]] = Field(model=ResourceEntry)


class RuntimeMetadata(FlyteIdlEntity):
    """The SDK that built the task: ``RuntimeMetadata(type, version, flavor)``."""

    class RuntimeType(IdlEnum):
        """Who built the task."""

        OTHER = 0
        FLYTE_SDK = 1

    _pb_type = _pb.RuntimeMetadata
    type: Field[RuntimeMetadata.RuntimeType] = Field(enum=RuntimeType)
    version: Field[str] = Field()
    flavor: Field[str] = Field()


class K8sObjectMetadata(FlyteIdlEntity):
    """Labels and annotations for the task's pod: ``K8sObjectMetadata(labels=None, annotations=None)``."""

    _pb_type = _pb.K8sObjectMetadata
    labels: Field[dict[str, str]] = Field()
    annotations: Field[dict[str, str]] = Field()


class TaskMetadata(FlyteIdlEntity):
    """How a task runs: caching, retries, timeout, interruptibility.

    ``TaskMetadata(discoverable, runtime, timeout, retries, interruptible, discovery_version,
    deprecated_error_message, cache_serializable, pod_template_name, cache_ignore_input_vars, is_eager=False,
    generates_deck=False, k8s_object_metadata=None, tags=None)``. Every argument is optional (``metadata={}``
    works); ``retries`` takes a count or a :class:`~flyteplane.models.literals.RetryStrategy`, ``timeout`` a
    ``timedelta`` or seconds. As flytekit does, ``generates_deck`` is always written and a zero timeout is not.
    """

    _pb_type = _pb.TaskMetadata
    discoverable: Field[bool] = Field()
    runtime: Field[RuntimeMetadata | None] = Field(model=RuntimeMetadata)
    timeout: Field[_dt.timedelta | None] = Field(coerce=_timeout)
    retries: Field[RetryStrategy | None] = Field(model=RetryStrategy, coerce=_retry_strategy)
    interruptible: Field[bool | None] = Field()
    discovery_version: Field[str] = Field()
    deprecated_error_message: Field[str] = Field()
    cache_serializable: Field[bool] = Field()
    pod_template_name: Field[str] = Field()
    cache_ignore_input_vars: Field[list[str]] = Field()
    is_eager: Field[bool] = Field()
    generates_deck: Field[bool | None] = Field(default=False)
    k8s_object_metadata: Field[K8sObjectMetadata | None] = Field("metadata", model=K8sObjectMetadata)
    tags: Field[dict[str, str]] = Field()


class IOStrategy(FlyteIdlEntity):
    """How a raw container gets its inputs and returns outputs: ``IOStrategy(download_mode=0, upload_mode=0)``."""

    class DownloadMode(IdlEnum):
        """When inputs are downloaded."""

        DOWNLOAD_EAGER = 0
        DOWNLOAD_STREAM = 1
        DO_NOT_DOWNLOAD = 2

    class UploadMode(IdlEnum):
        """When outputs are uploaded."""

        UPLOAD_ON_EXIT = 0
        UPLOAD_EAGER = 1
        DO_NOT_UPLOAD = 2

    # flytekit's names for the same values.
    DOWNLOAD_MODE_EAGER = DownloadMode.DOWNLOAD_EAGER
    DOWNLOAD_MODE_STREAM = DownloadMode.DOWNLOAD_STREAM
    DOWNLOAD_MODE_NO_DOWNLOAD = DownloadMode.DO_NOT_DOWNLOAD
    UPLOAD_MODE_EAGER = UploadMode.UPLOAD_EAGER
    UPLOAD_MODE_ON_EXIT = UploadMode.UPLOAD_ON_EXIT
    UPLOAD_MODE_NO_UPLOAD = UploadMode.DO_NOT_UPLOAD

    _pb_type = _pb.IOStrategy
    download_mode: Field[IOStrategy.DownloadMode] = Field(enum=DownloadMode)
    upload_mode: Field[IOStrategy.UploadMode] = Field(enum=UploadMode)


class DataLoadingConfig(FlyteIdlEntity):
    """Inputs and outputs as files for a raw container.

    ``DataLoadingConfig(input_path, output_path, enabled=True, format=PROTO, io_strategy=None)``.
    """

    class LiteralMapFormat(IdlEnum):
        """How the input and output files are encoded."""

        JSON = 0
        YAML = 1
        PROTO = 2

    # flytekit's names for the same values.
    LITERALMAP_FORMAT_JSON = LiteralMapFormat.JSON
    LITERALMAP_FORMAT_YAML = LiteralMapFormat.YAML
    LITERALMAP_FORMAT_PROTO = LiteralMapFormat.PROTO

    _pb_type = _pb.DataLoadingConfig
    input_path: Field[str] = Field()
    output_path: Field[str] = Field()
    enabled: Field[bool] = Field(default=True)
    format: Field[DataLoadingConfig.LiteralMapFormat] = Field(enum=LiteralMapFormat, default=LiteralMapFormat.PROTO)
    io_strategy: Field[IOStrategy | None] = Field(model=IOStrategy)


class ContainerPort(FlyteIdlEntity):
    """A port the container exposes: ``ContainerPort(container_port, name="")``."""

    _pb_type = _pb.ContainerPort
    container_port: Field[int] = Field()
    name: Field[str] = Field()


class Container(FlyteIdlEntity):
    """The container a task runs in.

    ``Container(image, command, args, resources, env, config, data_loading_config=None, ports=None,
    architecture=None)``; ``env`` and ``config`` are dicts (or lists of key/value pairs) and read as dicts.
    """

    class Architecture(IdlEnum):
        """The CPU architecture the image needs."""

        UNKNOWN = 0
        AMD64 = 1
        ARM64 = 2
        ARM_V6 = 3
        ARM_V7 = 4

    _pb_type = _pb.Container
    image: Field[str] = Field()
    command: Field[list[str]] = Field()
    args: Field[list[str]] = Field()
    resources: Field[Resources | None] = Field(model=Resources)
    env = PairsField()
    config = PairsField()
    data_loading_config: Field[DataLoadingConfig | None] = Field("data_config", model=DataLoadingConfig)
    ports: Field[list[ContainerPort]] = Field(model=ContainerPort)
    architecture: Field[Container.Architecture] = Field(enum=Architecture)


class K8sPod(FlyteIdlEntity):
    """A full pod spec as the task's target.

    ``K8sPod(metadata=None, pod_spec=None, data_config=None, primary_container_name=None)``; ``pod_spec`` is a
    dict (a Kubernetes PodSpec as JSON).
    """

    _pb_type = _pb.K8sPod
    metadata: Field[K8sObjectMetadata | None] = Field(model=K8sObjectMetadata)
    pod_spec: Field[dict[str, Any] | None] = Field()
    data_config: Field[DataLoadingConfig | None] = Field(model=DataLoadingConfig)
    primary_container_name: Field[str] = Field()


class Sql(FlyteIdlEntity):
    """A SQL statement as the task's target: ``Sql(statement=None, dialect=UNDEFINED)``."""

    class Dialect(IdlEnum):
        """The SQL dialect (flyteidl's numbering; flytekit's ``ANSI=0, HIVE=1`` is off by one)."""

        UNDEFINED = 0
        ANSI = 1
        HIVE = 2
        OTHER = 3

    _pb_type = _pb.Sql
    statement: Field[str] = Field()
    dialect: Field[Sql.Dialect] = Field(enum=Dialect)


class TaskTemplate(FlyteIdlEntity):
    """Everything needed to run a task.

    ``TaskTemplate(id, type, metadata, interface, custom=None, container=None, task_type_version=0,
    security_context=None, config=None, k8s_pod=None, sql=None, extended_resources=None)``. ``custom`` is a dict
    (stored as a Struct; an empty one is left unset, as in flytekit), ``config`` a ``dict[str, str]``,
    ``extended_resources`` a ``flyteidl.core.ExtendedResources`` message.
    """

    _pb_type = _pb.TaskTemplate
    id: Field[Identifier] = Field(model=Identifier)
    type: Field[str] = Field()
    metadata: Field[TaskMetadata] = Field(model=TaskMetadata)
    interface: Field[TypedInterface] = Field(model=TypedInterface)
    custom: Field[dict[str, Any] | None] = Field(coerce=lambda v: v or None)
    container: Field[Container | None] = Field(model=Container)
    task_type_version: Field[int] = Field()
    security_context: Field[SecurityContext | None] = Field(model=SecurityContext)
    config: Field[dict[str, str]] = Field()
    k8s_pod: Field[K8sPod | None] = Field(model=K8sPod)
    sql: Field[Sql | None] = Field(model=Sql)
    extended_resources: Field[Any] = Field()

    @property
    def target(self) -> Container | K8sPod | Sql | None:
        """Whichever of container, k8s_pod or sql is set."""
        which = self._pb.WhichOneof("target")
        return None if which is None else getattr(self, which)


class CompiledTask(FlyteIdlEntity):
    """A task as compiled into a workflow closure: ``CompiledTask(template)``."""

    _pb_type = _compiler_pb.CompiledTask
    template: Field[TaskTemplate] = Field(model=TaskTemplate)


class TaskSpec(FlyteIdlEntity):
    """What CreateTask registers: ``TaskSpec(template, docs=None)``."""

    _pb_type = _admin_pb.TaskSpec
    template: Field[TaskTemplate] = Field(model=TaskTemplate)
    docs: Field[Documentation | None] = Field("description", model=Documentation)


class TaskClosure(FlyteIdlEntity):
    """What Flyte Admin computed for a registered task: ``TaskClosure(compiled_task, created_at=None)``."""

    _pb_type = _admin_pb.TaskClosure
    compiled_task: Field[CompiledTask] = Field(model=CompiledTask)
    created_at: Field[_dt.datetime | None] = Field()


class Task(FlyteIdlEntity):
    """A registered task, as GetTask and ListTasks return it: ``Task(id, closure, short_description=None)``."""

    _pb_type = _admin_pb.Task
    id: Field[Identifier] = Field(model=Identifier)
    closure: Field[TaskClosure] = Field(model=TaskClosure)
    short_description: Field[str] = Field()
