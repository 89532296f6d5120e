"""FlyteRemote: Flyte Admin in Python values.

Fetch, list and register tasks, workflows and launch plans; run them with Python inputs; wait; read outputs as
Python values; terminate, relaunch, recover; answer signals; move files through the data proxy. The names and
signatures are flytekit's (``flytekit.remote.remote.FlyteRemote``), so code written for it runs with the import
changed. What differs, on purpose:

* construction has no global side effects (flytekit registers a process-wide fsspec ``flyte://`` handler, last
  remote wins); the client is built on first use;
* listing helpers page through everything up to ``limit`` (flytekit's return the first page only), and exist for
  workflows and launch plans too, without a fetch per item;
* ``wait`` polls only the execution's phase, with a short first interval that backs off, and reads the nodes once
  at the end (flytekit reads every node on every 30 s poll); it has a per-call deadline, shows progress in
  terminals and notebooks, and its timeout error names the last phase seen;
* inputs are checked before any call, upload or registration, naming the input and the expected type (and the
  closest input name for a typo); a mistyped entity name is answered with the closest registered names;
* inputs and outputs are read when first asked for, not on every sync.

The class is a facade over three collaborators, one job each: :class:`~flyteplane.remote.catalog.Catalog` finds
entities, :class:`~flyteplane.remote.launch.Launcher` checks inputs and creates executions,
:class:`~flyteplane.remote.tracking.Tracker` follows executions. Their operations do no I/O themselves (see
:mod:`flyteplane.remote._io`): this class drives them with its blocking client, ``flyteplane.aio.FlyteRemote``
drives the same ones on an event loop.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union

from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from flyteplane.errors import (
    FlyteAssertion,
    FlyteEntityNotExistException,
)
from flyteplane.models._model import to_pb
from flyteplane.models.admin.common import Sort
from flyteplane.models.core.identifier import Identifier, WorkflowExecutionIdentifier
from flyteplane.models.core.types import LiteralType
from flyteplane.models.filters import Filter
from flyteplane.models.literals import Literal, LiteralMap
from flyteplane.remote._io import Op, run_sync, sync_invoker
from flyteplane.remote.catalog import Catalog, Scope
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, LazyEntity, RemoteEntity
from flyteplane.remote.executions import (
    AnyExecution,
    FlyteNodeExecution,
    FlyteWorkflowExecution,
)
from flyteplane.remote.launch import ExecutionOptions, Launcher
from flyteplane.remote.listing import Listing
from flyteplane.remote.listing import execution_id as _execution_id
from flyteplane.remote.options import Options
from flyteplane.remote.registration import Registrar
from flyteplane.remote.tracking import DEFAULT_RPC_TIMEOUT, Tracker, WaitSchedule, seconds

if TYPE_CHECKING:
    from flyteidl.core.metrics_pb2 import Span

    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.configuration import Config, DataConfig
    from flyteplane.models.domain import Domain
    from flyteplane.models.project import Project
    from flyteplane.remote.data import DataProxyFiles
    from flyteplane.types import LiteralsResolver

__all__ = ["ExecutionOptions", "FlyteRemote", "Options"]

log = logging.getLogger("flyteplane.remote")

DEFAULT_UPLOAD_LOCATION = "flyte://my-s3-bucket/"
_TASK, _WORKFLOW, _LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN

T = TypeVar("T")
#: What ``execute`` runs besides flytekit entities and local functions.
Executable = Union[FlyteTask, FlyteWorkflow, FlyteLaunchPlan, LazyEntity[Any], Identifier, identifier_pb2.Identifier]
#: An execution, or its identifier (model or message).
ExecutionRef = Union[FlyteWorkflowExecution, WorkflowExecutionIdentifier, identifier_pb2.WorkflowExecutionIdentifier]
#: List filters: flyteplane filter models or Flyte Admin's filter text (``"eq(version,v1)"``).
Filters = Union[Sequence[Filter], str, None]
#: What ``download`` takes: a resolver or a literal map or literal (model or message).
Downloadable = Union["LiteralsResolver", LiteralMap, literals_pb2.LiteralMap, Literal, literals_pb2.Literal]
#: What ``generate_console_url`` takes: an execution, node execution, entity or identifier.
ConsoleTarget = Union[
    FlyteWorkflowExecution,
    FlyteNodeExecution,
    RemoteEntity,
    LazyEntity[Any],
    Identifier,
    identifier_pb2.Identifier,
    WorkflowExecutionIdentifier,
    identifier_pb2.WorkflowExecutionIdentifier,
]


class FlyteRemote:
    """A connection to a Flyte deployment, in Python values.

    Args:
        config: where Flyte Admin is and how to authenticate (``Config.auto()``, ``Config.for_sandbox()``, ...).
        default_project, default_domain: used by every call that is not given a project or domain.
        data_upload_location: where local data goes: ``flyte://...`` (the default) uploads through Flyte Admin's data
            proxy; ``file://`` or a path copies into that directory; any other scheme needs fsspec.
        interactive_mode_enabled: let ``execute`` run local Python functions (pickled and uploaded). None turns it on
            inside a Jupyter notebook.
        interactive_image: the container image of tasks made from local functions (see
            :mod:`flyteplane.remote.interactive`); on the embedded admin the task runs locally whatever it says.
        show_progress: progress display in ``wait`` and for large transfers; None shows it in terminals and
            notebooks.
        **kwargs: passed to :class:`~flyteplane.clients.friendly.SynchronousFlyteClient` when it is built.

    Raises:
        FlyteAssertion: the config has no endpoint.
    """

    def __init__(
        self,
        config: Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_UPLOAD_LOCATION,
        interactive_mode_enabled: bool | None = None,
        *,
        interactive_image: str | None = None,
        show_progress: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if config is None or config.platform is None or not config.platform.endpoint:
            raise FlyteAssertion("Flyte endpoint should be provided.")
        if interactive_mode_enabled is None:
            from flyteplane.remote._progress import in_notebook

            interactive_mode_enabled = in_notebook()
        self._config = config
        self._default_project = default_project
        self._default_domain = default_domain
        self._data_upload_location = data_upload_location or DEFAULT_UPLOAD_LOCATION
        self._interactive_mode_enabled = bool(interactive_mode_enabled)
        self._interactive_image = interactive_image
        self.show_progress = show_progress
        self._client_kwargs = kwargs
        self._client: SynchronousFlyteClient | None = None
        self._client_lock = threading.Lock()
        self._files: dict[tuple[str, str], DataProxyFiles] = {}
        self._scope = Scope(default_project, default_domain)
        self._catalog = Catalog(self._scope, self._load_workflow)
        self._launcher = Launcher(self._catalog, self._file_access)
        self._tracker = Tracker(self._catalog, self._file_access)
        self._listing = Listing(self._catalog)
        self._registrar = Registrar(self._catalog, self._launcher, self._listing)

    def __repr__(self) -> str:
        endpoint = self._config.platform.endpoint
        return f"FlyteRemote(endpoint={endpoint!r}, project={self._default_project!r}, domain={self._default_domain!r})"

    def _repr_html_(self) -> str:
        import html

        console = self.generate_console_http_domain() + "/console"
        where = f"{self._default_project or '-'}/{self._default_domain or '-'}"
        return (
            f"<b>FlyteRemote</b> <code>{html.escape(self._config.platform.endpoint)}</code> "
            f'({html.escape(where)}), console: <a href="{html.escape(console)}" target="_blank">'
            f"{html.escape(console)}</a>"
        )

    # -- construction -------------------------------------------------------------------------------------------
    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: DataConfig | None = None,
        config_file: str | None = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote for ``endpoint``; auth and TLS settings still come from the config file and environment."""
        from flyteplane.configuration import Config

        config = Config.for_endpoint(endpoint, insecure, data_config, config_file)
        return cls(config, default_project, default_domain, data_upload_location, interactive_mode_enabled, **kwargs)

    @classmethod
    def auto(
        cls,
        config_file: str | None = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote configured from the config file and ``FLYTE_*`` environment (``Config.auto``)."""
        from flyteplane.configuration import Config

        config = Config.auto(config_file)
        return cls(config, default_project, default_domain, data_upload_location, interactive_mode_enabled, **kwargs)

    @classmethod
    def for_sandbox(
        cls,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote for the local sandbox (``flyteplane sandbox`` or flytectl's demo) on ``localhost:30080``."""
        from flyteplane.configuration import Config

        config = Config.for_sandbox()
        return cls(config, default_project, default_domain, data_upload_location, interactive_mode_enabled, **kwargs)

    # -- properties ---------------------------------------------------------------------------------------------
    @property
    def client(self) -> SynchronousFlyteClient:
        """The SynchronousFlyteClient underneath, built (and connected) on first use."""
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    from flyteplane.clients.friendly import SynchronousFlyteClient

                    self._client = SynchronousFlyteClient(self._config.platform, **self._client_kwargs)
                client = self._client
        return client

    @property
    def config(self) -> Config:
        return self._config

    @property
    def default_project(self) -> str | None:
        return self._default_project

    @property
    def default_domain(self) -> str | None:
        return self._default_domain

    @property
    def data_upload_location(self) -> str:
        return self._data_upload_location

    @property
    def interactive_mode_enabled(self) -> bool:
        return self._interactive_mode_enabled

    @property
    def file_access(self) -> DataProxyFiles:
        """Uploads and downloads through the data proxy, filed under the default project and domain."""
        return self._file_access(self._default_project or "", self._default_domain or "")

    def close(self) -> None:
        """Close the client's channel (a later call opens a new one)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> FlyteRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _file_access(self, project: str, domain: str) -> DataProxyFiles:
        key = (project, domain)
        files = self._files.get(key)
        if files is None:
            from flyteplane.remote.data import DataProxyFiles

            files = DataProxyFiles(
                lambda: self.client,
                project,
                domain,
                self._config.platform,
                show_progress=self.show_progress,
                data_config=self._config.data_config,
            )
            self._files[key] = files
        return files

    def _project_domain(self, project: str | None, domain: str | None) -> tuple[str, str]:
        return self._scope.resolve(project, domain)

    # -- driving the collaborators --------------------------------------------------------------------------------
    def _run(self, op: Op[T]) -> T:
        """Drive an operation of the collaborators with this remote's blocking client."""
        return run_sync(op, sync_invoker(self.client))

    def _load_workflow(self, ident: identifier_pb2.Identifier) -> FlyteWorkflow:
        return FlyteWorkflow.promote_from_closure(self._run(self._catalog.workflow_closure(ident)))

    # -- fetch --------------------------------------------------------------------------------------------------
    def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; ``version`` None means the latest. An unknown name is refused with the closest
        registered names (``did you mean 'add_one'?``)."""
        return self._run(self._catalog.fetch_task(project, domain, name, version))

    def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow with its compiled closure; ``version`` None means the latest."""
        return self._run(self._catalog.fetch_workflow(project, domain, name, version))

    def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan; ``version`` None means the latest. Its workflow is fetched when first used."""
        return self._catalog.launch_plan(
            self._run(self._catalog.fetch_launch_plan_message(project, domain, name, version))
        )

    def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, None if no version is active."""
        return self._run(self._listing.fetch_active_launch_plan(project, domain, name))

    def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """An execution by name (nodes not read; ``sync_execution(..., sync_nodes=True)`` reads them)."""
        pb = self._run(self._catalog.fetch_execution_message(project, domain, name))
        return FlyteWorkflowExecution.bound(pb, self)

    def _fetch_by_id(self, ident: identifier_pb2.Identifier) -> FlyteTask | FlyteWorkflow | FlyteLaunchPlan:
        kind = self._catalog.entity_kind(ident)
        args = (ident.project, ident.domain, ident.name, ident.version or None)
        if kind == _TASK:
            return self.fetch_task(*args)
        if kind == _WORKFLOW:
            return self.fetch_workflow(*args)
        return self.fetch_launch_plan(*args)

    def fetch_task_lazy(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> LazyEntity[FlyteTask]:
        """A handle that fetches the task on first use (defining it makes no call)."""
        return LazyEntity(name or "", lambda: self.fetch_task(project, domain, name, version))

    def fetch_workflow_lazy(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> LazyEntity[FlyteWorkflow]:
        """A handle that fetches the workflow on first use."""
        return LazyEntity(name or "", lambda: self.fetch_workflow(project, domain, name, version))

    def fetch_launch_plan_lazy(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> LazyEntity[FlyteLaunchPlan]:
        """A handle that fetches the launch plan on first use."""
        return LazyEntity(name or "", lambda: self.fetch_launch_plan(project, domain, name, version))

    # -- list ---------------------------------------------------------------------------------------------------
    def recent_executions(
        self,
        project: str | None = None,
        domain: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
    ) -> list[FlyteWorkflowExecution]:
        """The newest executions first, up to ``limit`` (None: all), across as many pages as that takes."""
        executions = self._run(self._listing.recent_executions(project, domain, limit, filters))
        return [FlyteWorkflowExecution.bound(e, self) for e in executions]

    def list_tasks_by_version(
        self, version: str, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteTask]:
        """Every task registered under ``version`` in a project and domain, up to ``limit`` (None: all)."""
        return self.list_tasks(project, domain, limit=limit, filters=f"eq(version,{version})")

    def list_tasks(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteTask]:
        """Task versions (of one name, or all), newest first unless ``sort_by`` says otherwise."""
        return self._run(self._listing.list_tasks(project, domain, name, limit, filters, sort_by))

    def list_workflows(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteWorkflow]:
        """Workflow versions, one list call per page and no fetch per workflow.

        Flyte Admin lists a workflow with its id and interface only: the listed FlyteWorkflows have no nodes or
        tasks (``fetch_workflow`` returns those).
        """
        return self._run(self._listing.list_workflows(project, domain, name, limit, filters, sort_by))

    def list_launch_plans(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
        sort_by: Sort | None = None,
        active_only: bool = False,
    ) -> list[FlyteLaunchPlan]:
        """Launch plan versions (or only the active ones), newest first unless ``sort_by`` says otherwise."""
        return self._run(self._listing.list_launch_plans(project, domain, name, limit, filters, sort_by, active_only))

    def list_projects(
        self, limit: int | None = 100, filters: Filters = None, sort_by: Sort | None = None
    ) -> list[Project]:
        """Projects (archived ones hidden by Flyte Admin), up to ``limit`` (None: all)."""
        return self._run(self._listing.list_projects(limit, filters, sort_by))

    def get_domains(self) -> list[Domain]:
        """The domains Flyte Admin is configured with."""
        return self._run(self._listing.get_domains())

    def list_signals(
        self,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Filters = None,
    ) -> list[Any]:
        """The signals (gate nodes' inputs) of an execution, as protobufs."""
        return self._run(self._listing.list_signals(execution_name, project, domain, limit, filters))

    # -- register -----------------------------------------------------------------------------------------------
    def register_task(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> FlyteTask:
        """Register a task (a TaskSpec or TaskTemplate model or message, or a flytekit task) and return it.

        Registering the same definition again is a no-op; a different definition under a registered version raises
        FlyteEntityAlreadyExistsException saying so.
        """
        return self._run(self._registrar.register_task(entity, serialization_settings, version, project, domain))

    def register_workflow(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        default_launch_plan: bool = True,
        options: Options | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> FlyteWorkflow:
        """Register a workflow (a WorkflowSpec or WorkflowTemplate, or a flytekit workflow with its tasks) and, with
        ``default_launch_plan``, its default launch plan (same name and version, every input from the caller)."""
        return self._run(
            self._registrar.register_workflow(
                entity, serialization_settings, version, default_launch_plan, options, project, domain
            )
        )

    def register_launch_plan(
        self,
        entity: Any,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        options: Options | None = None,
        serialization_settings: Any = None,
    ) -> FlyteLaunchPlan:
        """Register a launch plan (a LaunchPlan model or message with id and spec, or a flytekit launch plan)."""
        return self._run(
            self._registrar.register_launch_plan(entity, version, project, domain, options, serialization_settings)
        )

    def activate_launchplan(self, ident: Identifier | identifier_pb2.Identifier) -> None:
        """Make this launch plan version the active one of its name (deactivating the previous one)."""
        self._run(self._listing.set_launch_plan_state(ident, active=True))

    def deactivate_launchplan(self, ident: Identifier | identifier_pb2.Identifier) -> None:
        """Deactivate a launch plan version (its schedule stops)."""
        self._run(self._listing.set_launch_plan_state(ident, active=False))

    # -- execute ------------------------------------------------------------------------------------------------
    def execute(
        self,
        entity: Executable | Callable[..., Any],
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        image_config: Any = None,
        options: Options | None = None,
        wait: bool = False,
        type_hints: Mapping[str, type] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: Mapping[str, str] | None = None,
        tags: Sequence[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        serialization_settings: Any = None,
        *,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        max_parallelism: int | None = None,
        image: str | None = None,
    ) -> FlyteWorkflowExecution:
        """Run a task, workflow or launch plan with Python inputs; returns the execution (finished if ``wait``).

        ``entity`` is a FlyteTask, FlyteWorkflow or FlyteLaunchPlan (fetched or registered), a lazy handle, an
        Identifier, a flytekit task / workflow / launch plan (registered first if needed), or, with interactive
        mode, a local typed Python function (pickled, uploaded, registered as a task and run; ``image`` or the
        remote's ``interactive_image`` is its container image). A workflow runs through its default launch plan.

        Input names and types are checked before any call, upload or registration: a wrong name or a value that
        does not fit raises ``TypeTransformerFailedError`` naming the input and the expected type.
        """
        opts = ExecutionOptions(
            execution_name=execution_name,
            execution_name_prefix=execution_name_prefix,
            options=options,
            wait=wait,
            type_hints=type_hints,
            overwrite_cache=overwrite_cache,
            interruptible=interruptible,
            envs=envs,
            tags=tags,
            cluster_pool=cluster_pool,
            execution_cluster_label=execution_cluster_label,
            labels=labels,
            annotations=annotations,
            max_parallelism=max_parallelism,
        )
        return self._execute_any(entity, inputs or {}, project, domain, version, serialization_settings, image, opts)

    def _execute_any(
        self,
        entity: Any,
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        version: str | None,
        settings: Any,
        image: str | None,
        opts: ExecutionOptions,
    ) -> FlyteWorkflowExecution:
        if isinstance(entity, LazyEntity):
            entity = entity.entity
        if isinstance(entity, RemoteEntity):
            return self._execute(entity, inputs, project, domain, opts)
        if isinstance(entity, (Identifier, identifier_pb2.Identifier)):
            return self._execute(self._fetch_by_id(to_pb(entity)), inputs, project, domain, opts)
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            return self._execute_flytekit(entity, inputs, project, domain, version, settings, opts)
        if callable(entity):
            return self._execute_function(entity, inputs, project, domain, version, image, opts)
        raise FlyteAssertion(
            f"cannot execute a {type(entity).__name__}: pass a FlyteTask, FlyteWorkflow or FlyteLaunchPlan (fetch_* or "
            "register_*), an Identifier, a flytekit entity, or a Python function with interactive mode enabled"
        )

    def execute_remote_task_lp(
        self,
        entity: FlyteTask | FlyteLaunchPlan,
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        **kwargs: Any,
    ) -> FlyteWorkflowExecution:
        """Run a fetched task or launch plan (``kwargs``: the fields of :class:`ExecutionOptions`)."""
        return self._execute(entity, inputs or {}, project, domain, ExecutionOptions(**kwargs))

    def execute_remote_wf(
        self,
        entity: FlyteWorkflow,
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        **kwargs: Any,
    ) -> FlyteWorkflowExecution:
        """Run a fetched workflow through its default launch plan (same name and version; created if missing)."""
        return self._execute(entity, inputs or {}, project, domain, ExecutionOptions(**kwargs))

    def _execute(
        self,
        entity: RemoteEntity,
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        opts: ExecutionOptions,
    ) -> FlyteWorkflowExecution:
        launched = self._run(self._launcher.launch(entity, inputs, project, domain, opts))
        if opts.wait:
            # wait() reads the execution first thing: no separate fetch here.
            pb = execution_pb2.Execution(id=launched.id, spec=launched.spec)
            execution = FlyteWorkflowExecution.bound(pb, self, launched.type_hints, launched.entity)
            return self.wait(execution)
        pb = self._run(self._tracker.get(launched.id))
        return FlyteWorkflowExecution.bound(pb, self, launched.type_hints, launched.entity)

    def _execute_function(
        self,
        fn: Callable[..., Any],
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        version: str | None,
        image: str | None,
        opts: ExecutionOptions,
    ) -> FlyteWorkflowExecution:
        if not self._interactive_mode_enabled:
            raise FlyteAssertion(
                f"cannot execute the local function {getattr(fn, '__qualname__', fn)!r}: interactive mode is off; "
                "create the remote with interactive_mode_enabled=True to pickle and run local functions"
            )
        from flyteplane.remote import interactive
        from flyteplane.types import TypeEngine, TypeTransformerFailedError

        project, domain = self._scope.resolve(project, domain)
        prepared = interactive.prepare(fn, image=image or self._interactive_image)
        # Flyte Admin's single-task launch plan requires every input: the function's defaults fill the gaps.
        inputs = {**prepared.defaults, **inputs}
        # Checked before the task is uploaded or registered: a typo registers nothing.
        variables = {n: v.type for n, v in prepared.interface.inputs.variables.items()}
        try:
            TypeEngine.check_inputs(inputs, variables, prepared.input_types)
        except TypeTransformerFailedError as e:
            raise TypeTransformerFailedError(f"task {prepared.name}: {e}") from e
        version = version or prepared.version
        ident = identifier_pb2.Identifier(
            resource_type=_TASK, project=project, domain=domain, name=prepared.name, version=version
        )
        try:
            task = FlyteTask.from_flyte_idl(self._run(self._catalog.task_template(ident)))
        except FlyteEntityNotExistException:
            pickle_uri = self._upload_payload(prepared.payload, f"{prepared.name}.pkl.gz", project, domain)
            task = self.register_task(prepared.template(ident, pickle_uri))
        task.type_hints = {**prepared.input_types, **prepared.output_types}
        return self._execute(task, inputs, project, domain, opts)

    def _upload_payload(self, payload: bytes, filename: str, project: str, domain: str) -> str:
        """Store interactive mode's pickle under ``data_upload_location``; returns its URI."""
        import tempfile

        from flyteplane.types import FileAccess, PrefixFileAccess

        location = self._data_upload_location
        # flyte:// means "through Flyte Admin's data proxy"; a path, file:// or an fsspec URL is written directly.
        files: FileAccess = (
            self._file_access(project, domain) if location.startswith("flyte://") else PrefixFileAccess(location)
        )
        with tempfile.TemporaryDirectory(prefix="flyteplane-upload-") as tmp:
            path = Path(tmp) / filename
            path.write_bytes(payload)
            return files.put(str(path), is_dir=False)

    def _execute_flytekit(
        self,
        entity: Any,
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        version: str | None,
        settings: Any,
        opts: ExecutionOptions,
    ) -> FlyteWorkflowExecution:
        from flyteplane.remote import _flytekit
        from flyteplane.types import TypeEngine, TypeTransformerFailedError

        if not version:
            raise FlyteAssertion(
                f"executing the flytekit entity {getattr(entity, 'name', entity)!r} registers it first: "
                "pass version=..."
            )
        hints = _flytekit.type_hints(entity)
        interface = getattr(entity, "python_interface", None)
        if interface is not None:
            # Names and types checked before anything is registered (defaults are known only once registered).
            names = dict(interface.inputs)
            variables = {n: TypeEngine.to_literal_type(t) for n, t in names.items()}
            try:
                TypeEngine.check_inputs(inputs, variables, names, optional=names)
            except TypeTransformerFailedError as e:
                raise TypeTransformerFailedError(f"{getattr(entity, 'name', entity)}: {e}") from e
        ident = self._run(self._registrar.register_flytekit(entity, settings, version, project, domain, opts.options))
        fetched = self._fetch_by_id(ident)
        fetched.type_hints = hints
        return self._execute(fetched, inputs, project, domain, opts)

    # -- executions ---------------------------------------------------------------------------------------------
    def load_data(self, target: AnyExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        """The inputs and outputs of an execution, node execution or task attempt (executions call this when
        their ``inputs`` / ``outputs`` are first read)."""
        return self._run(self._tracker.data(target))

    def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: _dt.timedelta | float | None = None,
        poll_interval: _dt.timedelta | float | None = None,
        sync_nodes: bool = True,
        show_progress: bool | None = None,
    ) -> FlyteWorkflowExecution:
        """Wait until the execution finishes; returns it, synced (with its nodes if ``sync_nodes``).

        Only the phase is polled; the nodes are read once, at the end. Without ``poll_interval`` polls come every
        50 ms at first, then every fifth of the time waited so far (at most 10 s); each poll has its own deadline
        (at most 60 s and never past ``timeout``).

        Ctrl-C (``KeyboardInterrupt``) stops the wait, not the execution: with the progress line shown, the line is
        ended and a note says the execution keeps running and how to terminate it; then the interrupt propagates.

        Raises:
            FlyteTimeout: ``timeout`` passed first; the message names the last phase seen.
        """
        from flyteplane.remote._progress import WaitDisplay

        schedule = WaitSchedule(seconds(timeout), seconds(poll_interval))
        show = self.show_progress if show_progress is None else show_progress
        display = WaitDisplay(execution.to_flyte_idl().id.name, show)
        try:
            self._run(
                self._tracker.wait(execution, schedule, lambda: display.update(execution.phase_name, execution.is_done))
            )
        except KeyboardInterrupt:
            # Ctrl-C stops this wait, not the execution: say so, and how to stop it too, before it propagates.
            ident = execution.to_flyte_idl().id
            display.interrupted(
                "terminate it with remote.terminate(execution, cause) or "
                f"flytectl delete execution {ident.name} -p {ident.project} -d {ident.domain}"
            )
            raise
        if sync_nodes:
            self.sync_execution(execution, sync_nodes=True)
        return execution

    def sync(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: RemoteEntity | None = None,
        sync_nodes: bool = False,
    ) -> FlyteWorkflowExecution:
        """Refresh an execution from Flyte Admin (``sync_execution``)."""
        return self.sync_execution(execution, entity_definition, sync_nodes)

    def sync_execution(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: RemoteEntity | None = None,
        sync_nodes: bool = False,
        rpc_timeout: _dt.timedelta | float | None = _dt.timedelta(seconds=60),
    ) -> FlyteWorkflowExecution:
        """Refresh an execution: its phase and, with ``sync_nodes``, its node executions (sub-workflows, branches
        and the executions of launch plan nodes included) and their task attempts. Inputs and outputs are read
        when first used. The execution object is updated in place and returned."""
        if isinstance(entity_definition, (FlyteTask, FlyteWorkflow, FlyteLaunchPlan)):
            execution.update(execution.to_flyte_idl(), entity=entity_definition)
        timeout = seconds(rpc_timeout) or DEFAULT_RPC_TIMEOUT
        self._run(self._tracker.sync(execution, self, sync_nodes, timeout))
        return execution

    def terminate(self, execution: ExecutionRef, cause: str) -> None:
        """Abort a running execution; ``cause`` is recorded as the reason."""
        self._run(self._listing.terminate(_execution_id(execution), cause))

    def relaunch(self, execution: ExecutionRef, name: str | None = None) -> FlyteWorkflowExecution:
        """Run an execution again with the same inputs; returns the new execution."""
        return FlyteWorkflowExecution.bound(self._run(self._listing.relaunch(_execution_id(execution), name)), self)

    def recover(self, execution: ExecutionRef, name: str | None = None) -> FlyteWorkflowExecution:
        """Run a failed execution again, reusing the outputs of the nodes that succeeded."""
        return FlyteWorkflowExecution.bound(self._run(self._listing.recover(_execution_id(execution), name)), self)

    # -- signals ------------------------------------------------------------------------------------------------
    def approve(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Approve a gate node (its signal gets ``True``)."""
        self.set_signal(signal_id, execution_name, True, project, domain, python_type=bool)

    def reject(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Reject a gate node (its signal gets ``False``)."""
        self.set_signal(signal_id, execution_name, False, project, domain, python_type=bool)

    def set_signal(
        self,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: LiteralType | types_pb2.LiteralType | None = None,
    ) -> None:
        """Give a signal its value. The value is converted to the signal's own type (as Flyte Admin reports it)
        unless ``literal_type`` says otherwise; a Literal is sent as it is."""
        self._run(
            self._listing.set_signal(signal_id, execution_name, value, project, domain, python_type, literal_type)
        )

    # -- data ---------------------------------------------------------------------------------------------------
    def upload_file(
        self,
        to_upload: Path,
        project: str | None = None,
        domain: str | None = None,
        filename_root: str | None = None,
    ) -> tuple[bytes, str]:
        """Upload a file through the data proxy; returns ``(md5 digest, native URL)``."""
        project, domain = self._project_domain(project, domain)
        return self._file_access(project, domain).upload_file(Path(to_upload), project, domain, filename_root)

    def download(self, data: Downloadable, download_to: str | os.PathLike[str], recursive: bool = True) -> None:
        """Download the files, directories and datasets in ``data`` (a LiteralsResolver, LiteralMap or Literal).

        A map is downloaded into ``download_to/<name>``; ``recursive=False`` refuses maps.
        """
        from flyteplane.types import LiteralsResolver

        files = self.file_access
        target = Path(download_to)
        if isinstance(data, LiteralsResolver):
            literals: Mapping[str, Any] = data.literals
        elif isinstance(data, (LiteralMap, literals_pb2.LiteralMap)):
            literals = dict(to_pb(data).literals)
        else:
            _download_literal(files, to_pb(data), target, recursive)
            return
        if not recursive:
            raise FlyteAssertion("download(recursive=False) takes a single Literal, not a map of them")
        for name, literal in literals.items():
            if _holds_data(literal):  # as flytekit: plain values in a map are skipped, not refused
                _download_literal(files, literal, target / name, recursive)

    def get(self, flyte_uri: str | None = None) -> LiteralsResolver | Literal | bytes | None:
        """What a ``flyte://`` URL points at: a LiteralsResolver (inputs, outputs), a Literal, or a deck's bytes."""
        if not flyte_uri:
            raise FlyteAssertion("a flyte:// URL is required")
        from flyteplane.types import LiteralsResolver

        response = self.client.get_data(flyte_uri)
        which = response.WhichOneof("data")
        if which == "literal_map":
            return LiteralsResolver(dict(response.literal_map.literals), None, None, self.file_access)
        if which == "literal":
            return Literal.from_flyte_idl(response.literal)
        if which == "pre_signed_urls" and response.pre_signed_urls.signed_url:
            with self.file_access._open(response.pre_signed_urls.signed_url[0]) as r:
                content: bytes = r.read()
                return content
        return None

    # -- console and metrics ------------------------------------------------------------------------------------
    def generate_console_http_domain(self) -> str:
        """The console's base URL: ``console_endpoint`` if configured, else the admin endpoint over http(s)."""
        platform = self._config.platform
        if platform.console_endpoint:
            return platform.console_endpoint.rstrip("/")
        scheme = "http" if platform.insecure else "https"
        return f"{scheme}://{platform.endpoint}"

    def generate_console_url(self, entity: ConsoleTarget) -> str:
        """The console page of an execution, task, workflow or launch plan (or their identifiers)."""
        base = f"{self.generate_console_http_domain()}/console"
        if isinstance(entity, LazyEntity):
            entity = entity.entity
        if isinstance(entity, FlyteWorkflowExecution):
            entity = entity.to_flyte_idl().id
        pb = to_pb(entity.id if isinstance(entity, FlyteNodeExecution) else entity)
        if isinstance(entity, RemoteEntity):
            pb = entity._identifier_pb()
        if isinstance(pb, identifier_pb2.WorkflowExecutionIdentifier):
            return f"{base}/projects/{pb.project}/domains/{pb.domain}/executions/{pb.name}"
        if isinstance(pb, identifier_pb2.Identifier):
            kind = {_TASK: "task", _WORKFLOW: "workflow", _LAUNCH_PLAN: "launch_plan"}.get(pb.resource_type)
            if kind is None:
                raise FlyteAssertion(f"cannot make a console URL for [{pb.name}]: its identifier has no resource type")
            return f"{base}/projects/{pb.project}/domains/{pb.domain}/{kind}/{pb.name}/version/{pb.version}"
        raise FlyteAssertion(f"cannot make a console URL for a {type(entity).__name__}")

    def get_execution_metrics(self, id: ExecutionRef, depth: int = 10) -> Span:
        """The execution's timing spans (nodes, tasks, the admin's own steps), ``depth`` levels deep."""
        return self.client.get_execution_metrics(_execution_id(id), depth).span


# -- helpers --------------------------------------------------------------------------------------------------------
def _holds_data(literal: literals_pb2.Literal) -> bool:
    """Whether a literal holds a file, directory or dataset somewhere inside it."""
    which = literal.WhichOneof("value")
    if which == "collection":
        return any(_holds_data(item) for item in literal.collection.literals)
    if which == "map":
        return any(_holds_data(item) for item in literal.map.literals.values())
    if which != "scalar":
        return False
    kind = literal.scalar.WhichOneof("value")
    if kind == "union":
        return _holds_data(literal.scalar.union.value)
    return kind in ("blob", "structured_dataset")


def _download_literal(files: Any, literal: literals_pb2.Literal, target: Path, recursive: bool) -> None:
    which = literal.WhichOneof("value")
    if which == "scalar":
        scalar = literal.scalar
        kind = scalar.WhichOneof("value")
        if kind == "blob":
            multipart = scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART
            files.get(scalar.blob.uri, str(target), is_dir=multipart)
        elif kind == "structured_dataset":
            files.get(scalar.structured_dataset.uri, str(target), is_dir=True)
        elif kind == "union":
            _download_literal(files, scalar.union.value, target, recursive)
        else:
            raise FlyteAssertion(f"[{target.name}] holds a {kind} value, not a file, directory or dataset")
        return
    if not recursive:
        raise FlyteAssertion(f"[{target.name}] is a collection or map: download it with recursive=True")
    items: Iterable[tuple[str, Any]]
    if which == "collection":
        items = ((str(i), lit) for i, lit in enumerate(literal.collection.literals))
    elif which == "map":
        items = literal.map.literals.items()
    else:
        raise FlyteAssertion(f"[{target.name}] has no data to download")
    for key, item in items:
        _download_literal(files, item, target / key, recursive)
