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
* input names and types are checked before any call, naming the input and the expected type;
* inputs and outputs are read when first asked for, not on every sync.
"""

from __future__ import annotations

import datetime as _dt
import functools
import getpass
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, node_execution_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from flyteplane.errors import (
    FlyteAssertion,
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    FlyteTimeout,
)
from flyteplane.models._model import to_pb
from flyteplane.models.admin.common import Sort
from flyteplane.models.core.identifier import Identifier
from flyteplane.models.literals import Literal, LiteralMap
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, LazyEntity, RemoteEntity
from flyteplane.remote.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
from flyteplane.remote.options import Options

if TYPE_CHECKING:
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.configuration import Config, DataConfig
    from flyteplane.remote.data import DataProxyFiles
    from flyteplane.types import LiteralsResolver

__all__ = ["FlyteRemote", "Options"]

log = logging.getLogger("flyteplane.remote")

DEFAULT_UPLOAD_LOCATION = "flyte://my-s3-bucket/"
_TASK, _WORKFLOW, _LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
_LATEST = "latest"
_PAGE = 100
# wait(): polls come every 50 ms at first (a no-op task finishes in ~60 ms on the embedded admin), then every fifth of
# the time waited so far, up to 10 s; an explicit poll_interval is used as is.
_FIRST_POLL = 0.05
_MAX_POLL = 10.0
_POLL_FRACTION = 0.2
_DEFAULT_RPC_TIMEOUT = 60.0
# Registered task and workflow versions never change: keep a few, so executing or reading the outputs of the same
# entity again costs no fetch.
_ENTITY_CACHE_SIZE = 256


def _seconds(value: _dt.timedelta | float | int | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return float(value)


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
        self._entity_cache: dict[bytes, Any] = {}

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
        project = project or self._default_project
        domain = domain or self._default_domain
        if not project:
            raise FlyteAssertion("no project: pass project=... or create the FlyteRemote with default_project=...")
        if not domain:
            raise FlyteAssertion("no domain: pass domain=... or create the FlyteRemote with default_domain=...")
        return project, domain

    # -- fetch --------------------------------------------------------------------------------------------------
    def _identifier(
        self, resource_type: int, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> identifier_pb2.Identifier:
        """A complete identifier; ``version`` None or ``"latest"`` is the most recently registered version."""
        if not name:
            raise FlyteAssertion("the name of the entity to fetch is required")
        project, domain = self._project_domain(project, domain)
        if not version or version == _LATEST:
            version = self._latest_version(resource_type, project, domain, name)
        return identifier_pb2.Identifier(
            resource_type=resource_type,  # type: ignore[arg-type]
            project=project,
            domain=domain,
            name=name,
            version=version,
        )

    def _latest_version(self, resource_type: int, project: str, domain: str, name: str) -> str:
        named = common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name)
        newest = Sort("created_at", Sort.Direction.DESCENDING)
        client = self.client
        lister: Callable[..., tuple[list[Any], str]] = {  # type: ignore[assignment]
            _TASK: client.list_tasks_paginated,
            _WORKFLOW: client.list_workflows_paginated,
            _LAUNCH_PLAN: client.list_launch_plans_paginated,
        }[resource_type]
        items, _ = lister(named, limit=1, sort_by=newest)
        if not items:
            kind = identifier_pb2.ResourceType.Name(resource_type).lower().replace("_", " ")  # type: ignore[arg-type]
            raise FlyteEntityNotExistException(f"no version of {kind} {project}:{domain}:{name} is registered")
        return str(items[0].id.version)

    def _cached(self, key: identifier_pb2.Identifier, fetch: Callable[[], Any]) -> Any:
        token = key.SerializeToString(deterministic=True)
        value = self._entity_cache.get(token)
        if value is None:
            value = fetch()
            if len(self._entity_cache) >= _ENTITY_CACHE_SIZE:
                self._entity_cache.pop(next(iter(self._entity_cache)))
            self._entity_cache[token] = value
        return value

    def _task_template(self, ident: identifier_pb2.Identifier) -> Any:
        return self._cached(ident, lambda: self.client.get_task(ident).to_flyte_idl().closure.compiled_task.template)

    def _workflow_closure(self, ident: identifier_pb2.Identifier) -> Any:
        return self._cached(ident, lambda: self.client.get_workflow(ident).to_flyte_idl().closure.compiled_workflow)

    def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; ``version`` None means the latest."""
        ident = self._identifier(_TASK, project, domain, name, version)
        return FlyteTask.from_flyte_idl(self._task_template(ident))

    def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow with its compiled closure; ``version`` None means the latest."""
        ident = self._identifier(_WORKFLOW, project, domain, name, version)
        return FlyteWorkflow.promote_from_closure(self._workflow_closure(ident))

    def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan; ``version`` None means the latest. Its workflow is fetched when first used."""
        ident = self._identifier(_LAUNCH_PLAN, project, domain, name, version)
        return self._promote_launch_plan(self.client.get_launch_plan(ident))

    def _promote_launch_plan(self, model: Any) -> FlyteLaunchPlan:
        pb = model.to_flyte_idl()
        wf_id = pb.spec.workflow_id
        return FlyteLaunchPlan.promote_from_model(
            pb, lambda: FlyteWorkflow.promote_from_closure(self._workflow_closure(wf_id))
        )

    def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, None if no version is active."""
        if not name:
            raise FlyteAssertion("the name of the launch plan is required")
        project, domain = self._project_domain(project, domain)
        try:
            model = self.client.get_active_launch_plan(
                common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name)
            )
        except FlyteEntityNotExistException:
            return None
        return self._promote_launch_plan(model)

    def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """An execution by name (nodes not read; ``sync_execution(..., sync_nodes=True)`` reads them)."""
        if not name:
            raise FlyteAssertion("the name of the execution is required")
        project, domain = self._project_domain(project, domain)
        ident = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)
        return self._bind(self.client.get_execution(ident).to_flyte_idl())

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
        filters: Any = None,
    ) -> list[FlyteWorkflowExecution]:
        """The newest executions first, up to ``limit`` (None: all), across as many pages as that takes."""
        project, domain = self._project_domain(project, domain)
        newest = Sort("created_at", Sort.Direction.DESCENDING)
        pager = self.client.iter_executions(project, domain, filters, newest, _page_size(limit), limit)
        return [self._bind(e.to_flyte_idl()) for e in pager]

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
        filters: Any = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteTask]:
        """Task versions (of one name, or all), newest first unless ``sort_by`` says otherwise."""
        named = self._named(project, domain, name)
        pager = self.client.iter_tasks(named, filters, _newest(sort_by), _page_size(limit), limit)
        return [FlyteTask.from_flyte_idl(t.to_flyte_idl().closure.compiled_task.template) for t in pager]

    def list_workflows(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Any = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteWorkflow]:
        """Workflow versions, one list call per page and no fetch per workflow.

        Flyte Admin lists a workflow with its id and interface only: the listed FlyteWorkflows have no nodes or
        tasks (``fetch_workflow`` returns those).
        """
        named = self._named(project, domain, name)
        pager = self.client.iter_workflows(named, filters, _newest(sort_by), _page_size(limit), limit)
        return [_listed_workflow(w.to_flyte_idl()) for w in pager]

    def list_launch_plans(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Any = None,
        sort_by: Sort | None = None,
        active_only: bool = False,
    ) -> list[FlyteLaunchPlan]:
        """Launch plan versions (or only the active ones), newest first unless ``sort_by`` says otherwise."""
        if active_only:
            project, domain = self._project_domain(project, domain)
            pager: Iterable[Any] = self.client.iter_active_launch_plans(
                project, domain, sort_by, _page_size(limit), limit
            )
        else:
            named = self._named(project, domain, name)
            pager = self.client.iter_launch_plans(named, filters, _newest(sort_by), _page_size(limit), limit)
        return [self._promote_launch_plan(lp) for lp in pager]

    def list_projects(self, limit: int | None = 100, filters: Any = None, sort_by: Sort | None = None) -> list[Any]:
        """Projects (archived ones hidden by Flyte Admin), up to ``limit`` (None: all)."""
        return list(self.client.iter_projects(filters, sort_by, _page_size(limit), limit))

    def get_domains(self) -> list[Any]:
        """The domains Flyte Admin is configured with."""
        return self.client.get_domains()

    def list_signals(
        self,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Any = None,
    ) -> list[Any]:
        """The signals (gate nodes' inputs) of an execution, as protobufs."""
        project, domain = self._project_domain(project, domain)
        ident = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=execution_name)
        signals, _ = self.client.list_signals_paginated(ident, limit=limit, filters=filters)
        return signals

    def _named(self, project: str | None, domain: str | None, name: str | None) -> common_pb2.NamedEntityIdentifier:
        project, domain = self._project_domain(project, domain)
        return common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name or "")

    # -- register -----------------------------------------------------------------------------------------------
    def _complete_id(
        self, pb: Any, resource_type: int, version: str | None, project: str | None, domain: str | None
    ) -> identifier_pb2.Identifier:
        """An entity's identifier with what it leaves out taken from the arguments and the defaults."""
        out = identifier_pb2.Identifier()
        out.CopyFrom(pb)
        out.resource_type = resource_type  # type: ignore[assignment]
        out.project = project or out.project or self._default_project or ""
        out.domain = domain or out.domain or self._default_domain or ""
        if version:
            out.version = version
        missing = [f for f in ("project", "domain", "name", "version") if not getattr(out, f)]
        if missing:
            raise FlyteAssertion(f"cannot register [{out.name or '?'}]: its identifier has no {', '.join(missing)}")
        return out

    def _create(self, kind: str, ident: identifier_pb2.Identifier, create: Callable[[], None]) -> None:
        """Register one entity: an identical one already there is success; a different one is an error."""
        try:
            create()
        except FlyteEntityAlreadyExistsException:
            log.debug("%s %s is already registered", kind, ident.name)
        except FlyteInvalidInputException as e:
            if "different structure already exists" not in (e.details or ""):
                raise
            raise FlyteEntityAlreadyExistsException(
                f"{kind} {ident.project}:{ident.domain}:{ident.name} version {ident.version} is already registered "
                f"with a different definition; register the change under a new version. Flyte Admin: {e.details}",
                rpc=e.rpc,
                entity=e.entity,
                code=e.code,
                details=e.details,
            ) from e

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
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = self._register_flytekit(entity, serialization_settings, version, project, domain)
            return self.fetch_task(ident.project, ident.domain, ident.name, ident.version)
        from flyteidl.admin import task_pb2

        create = self.client.create_task
        ident = self._register_spec("task", entity, task_pb2.TaskSpec, _TASK, create, version, project, domain)
        return FlyteTask.from_flyte_idl(self._task_template(ident))

    def _register_spec(
        self,
        kind: str,
        entity: Any,
        spec_type: type[Any],
        resource_type: int,
        create: Callable[[Any, Any], None],
        version: str | None,
        project: str | None,
        domain: str | None,
    ) -> identifier_pb2.Identifier:
        """Register a TaskSpec / WorkflowSpec, or the template it wraps, under its completed identifier."""
        pb = to_pb(entity)
        spec = spec_type()
        if isinstance(pb, spec_type):
            spec.CopyFrom(pb)
        else:
            spec.template.CopyFrom(pb)
        ident = self._complete_id(spec.template.id, resource_type, version, project, domain)
        spec.template.id.CopyFrom(ident)
        self._create(kind, ident, lambda: create(ident, spec))
        return ident

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
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = self._register_flytekit(entity, serialization_settings, version, project, domain, options)
        else:
            spec_type, create = admin_workflow_pb2.WorkflowSpec, self.client.create_workflow
            ident = self._register_spec("workflow", entity, spec_type, _WORKFLOW, create, version, project, domain)
        workflow = FlyteWorkflow.promote_from_closure(self._workflow_closure(ident))
        if default_launch_plan:
            self._register_default_launch_plan(workflow, options)
        return workflow

    def _register_default_launch_plan(self, workflow: FlyteWorkflow, options: Options | None) -> None:
        wf_id = workflow.to_flyte_idl().id
        lp_id = identifier_pb2.Identifier()
        lp_id.CopyFrom(wf_id)
        lp_id.resource_type = _LAUNCH_PLAN
        spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=wf_id)
        for name, var in workflow.to_flyte_idl().interface.inputs.variables.items():
            spec.default_inputs.parameters[name].var.CopyFrom(var)
            spec.default_inputs.parameters[name].required = True
        spec.fixed_inputs.SetInParent()
        if options is not None:
            options.apply_to_launch_plan(spec)
        self._create("launch plan", lp_id, lambda: self.client.create_launch_plan(lp_id, spec))

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
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = self._register_flytekit(entity, serialization_settings, version, project, domain, options)
        else:
            pb = to_pb(entity)
            if not isinstance(pb, launch_plan_pb2.LaunchPlan):
                raise FlyteAssertion(
                    f"register_launch_plan takes a LaunchPlan (with id and spec), not {type(entity).__name__}"
                )
            ident = self._complete_id(pb.id, _LAUNCH_PLAN, version, project, domain)
            spec = launch_plan_pb2.LaunchPlanSpec()
            spec.CopyFrom(pb.spec)
            if options is not None:
                options.apply_to_launch_plan(spec)
            self._create("launch plan", ident, lambda: self.client.create_launch_plan(ident, spec))
            if getattr(entity, "auto_activate", False):
                self.activate_launchplan(ident)
        return self._promote_launch_plan(self.client.get_launch_plan(ident))

    def _register_flytekit(
        self,
        entity: Any,
        settings: Any,
        version: str | None,
        project: str | None,
        domain: str | None,
        options: Options | None = None,
    ) -> identifier_pb2.Identifier:
        from flyteplane.remote import _flytekit

        project, domain = self._project_domain(project, domain)
        registrations = _flytekit.serialize(entity, settings, version, project, domain)
        client = self.client
        for kind, ident, spec in registrations:
            if kind == "task":
                self._create(kind, ident, functools.partial(client.create_task, ident, spec))
            elif kind == "workflow":
                self._create(kind, ident, functools.partial(client.create_workflow, ident, spec))
                if _flytekit.wants_default_launch_plan(entity, ident):
                    workflow = FlyteWorkflow.promote_from_closure(self._workflow_closure(ident))
                    self._register_default_launch_plan(workflow, options)
            else:
                if options is not None:
                    options.apply_to_launch_plan(spec)
                self._create(kind, ident, functools.partial(client.create_launch_plan, ident, spec))
        return registrations[-1][1]

    def activate_launchplan(self, ident: Any) -> None:
        """Make this launch plan version the active one of its name (deactivating the previous one)."""
        self.client.update_launch_plan(to_pb(ident), launch_plan_pb2.ACTIVE)

    def deactivate_launchplan(self, ident: Any) -> None:
        """Deactivate a launch plan version (its schedule stops)."""
        self.client.update_launch_plan(to_pb(ident), launch_plan_pb2.INACTIVE)

    # -- execute ------------------------------------------------------------------------------------------------
    def execute(
        self,
        entity: Any,
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
        tags: list[str] | None = None,
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

        Input names and types are checked before any call: a wrong name or a value that does not fit raises
        ``TypeTransformerFailedError`` naming the input and the expected type.
        """
        kwargs: dict[str, Any] = dict(
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
        if execution_name is not None and execution_name_prefix is not None:
            raise FlyteAssertion("execution_name and execution_name_prefix are mutually exclusive: pass one")
        if isinstance(entity, LazyEntity):
            entity = entity.entity
        if isinstance(entity, (FlyteTask, FlyteLaunchPlan)):
            return self.execute_remote_task_lp(entity, inputs, project, domain, **kwargs)
        if isinstance(entity, FlyteWorkflow):
            return self.execute_remote_wf(entity, inputs, project, domain, **kwargs)
        if isinstance(entity, (Identifier, identifier_pb2.Identifier)):
            return self.execute(self._fetch_by_id(to_pb(entity)), inputs, project, domain, **kwargs)
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            settings = serialization_settings
            return self._execute_flytekit(entity, inputs, project, domain, version, settings, kwargs)
        if callable(entity):
            return self._execute_function(entity, inputs, project, domain, version, image, kwargs)
        raise FlyteAssertion(
            f"cannot execute a {type(entity).__name__}: pass a FlyteTask, FlyteWorkflow or FlyteLaunchPlan (fetch_* or "
            "register_*), an Identifier, a flytekit entity, or a Python function with interactive mode enabled"
        )

    def _fetch_by_id(self, ident: identifier_pb2.Identifier) -> RemoteEntity:
        args = (ident.project, ident.domain, ident.name, ident.version or None)
        if ident.resource_type == _TASK:
            return self.fetch_task(*args)
        if ident.resource_type == _WORKFLOW:
            return self.fetch_workflow(*args)
        if ident.resource_type == _LAUNCH_PLAN:
            return self.fetch_launch_plan(*args)
        raise FlyteAssertion(f"cannot execute [{ident.name}]: its identifier has no resource type (TASK, ...)")

    def execute_remote_task_lp(
        self,
        entity: FlyteTask | FlyteLaunchPlan,
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        **kwargs: Any,
    ) -> FlyteWorkflowExecution:
        """Run a fetched task or launch plan."""
        return self._execute(entity, inputs or {}, project, domain, **kwargs)

    def execute_remote_wf(
        self,
        entity: FlyteWorkflow,
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        **kwargs: Any,
    ) -> FlyteWorkflowExecution:
        """Run a fetched workflow through its default launch plan (same name and version; created if missing)."""
        wf_id = entity.to_flyte_idl().id
        try:
            lp = self.fetch_launch_plan(wf_id.project, wf_id.domain, wf_id.name, wf_id.version)
        except FlyteEntityNotExistException:
            self._register_default_launch_plan(entity, kwargs.get("options"))
            lp = self.fetch_launch_plan(wf_id.project, wf_id.domain, wf_id.name, wf_id.version)
        lp.type_hints = entity.type_hints
        return self._execute(lp, inputs or {}, project, domain, **kwargs)

    def _execute(
        self,
        entity: FlyteTask | FlyteLaunchPlan,
        inputs: Mapping[str, Any],
        project: str | None,
        domain: str | None,
        *,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Options | None = None,
        wait: bool = False,
        type_hints: Mapping[str, type] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: Mapping[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        max_parallelism: int | None = None,
    ) -> FlyteWorkflowExecution:
        entity_id = entity._identifier_pb()
        project = project or self._default_project or entity_id.project
        domain = domain or self._default_domain or entity_id.domain
        hints = {**(entity.type_hints or {}), **(type_hints or {})}
        literal_inputs = self._to_literal_map(entity, inputs, hints, project, domain)

        spec = execution_pb2.ExecutionSpec()
        spec.launch_plan.CopyFrom(entity_id)
        spec.metadata.mode = execution_pb2.ExecutionMetadata.MANUAL
        spec.metadata.principal = _principal()
        (options or Options()).apply_to_execution(spec)
        if labels:
            spec.labels.values.update(labels)
        if annotations:
            spec.annotations.values.update(annotations)
        if envs:
            for key, value in envs.items():
                spec.envs.values.add(key=key, value=value)
        if tags:
            spec.tags.extend(tags)
        if overwrite_cache is not None:
            spec.overwrite_cache = overwrite_cache
        if interruptible is not None:
            spec.interruptible.value = interruptible
        if max_parallelism is not None:
            spec.max_parallelism = max_parallelism
        if cluster_pool:
            spec.cluster_assignment.cluster_pool_name = cluster_pool
        if execution_cluster_label:
            spec.execution_cluster_label.value = execution_cluster_label

        name = execution_name
        if execution_name_prefix is not None:
            name = f"{execution_name_prefix}-{uuid.uuid4().hex[:19]}"
        try:
            ident = self.client.create_execution(project, domain, name, spec, literal_inputs).to_flyte_idl()
        except FlyteEntityAlreadyExistsException:
            if execution_name is None:
                raise
            # As flytekit: running the same named execution again returns the one that exists.
            log.warning("execution %s already exists; returning it", execution_name)
            ident = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=execution_name)
        if wait:
            # wait() reads the execution first thing: no separate fetch here.
            execution = self._bind(execution_pb2.Execution(id=ident, spec=spec), hints)
            execution._entity = entity
            return self.wait(execution)
        execution = self._bind(self.client.get_execution(ident).to_flyte_idl(), hints)
        execution._entity = entity
        return execution

    def _to_literal_map(
        self,
        entity: RemoteEntity,
        inputs: Mapping[str, Any],
        hints: Mapping[str, type],
        project: str,
        domain: str,
    ) -> literals_pb2.LiteralMap:
        """The inputs as literals, checked against the entity's interface before anything is uploaded or sent."""
        from flyteplane.types import TypeEngine, TypeTransformerFailedError

        variables = entity.input_types()
        optional: set[str] = set()
        if isinstance(entity, FlyteLaunchPlan):
            # Inputs with defaults may be left out (fixed inputs are not inputs of the launch plan at all).
            params = entity.to_flyte_idl().closure.expected_inputs.parameters
            optional = {n for n, p in params.items() if not p.required}
        input_hints = {n: t for n, t in hints.items() if n in variables}
        try:
            # A dry run first: files are uploaded only once every input has been checked.
            dry = _RecordingFiles()
            literal_map = TypeEngine.python_to_literal_map(inputs, variables, input_hints, dry, optional=optional)
            if dry.recorded:
                files = self._file_access(project, domain)
                literal_map = TypeEngine.python_to_literal_map(inputs, variables, input_hints, files, optional=optional)
        except TypeTransformerFailedError as e:
            raise TypeTransformerFailedError(f"{entity.entity_type_text.lower()} {entity.name}: {e}") from e
        return literal_map

    def _execute_function(
        self,
        fn: Callable[..., Any],
        inputs: Mapping[str, Any] | None,
        project: str | None,
        domain: str | None,
        version: str | None,
        image: str | None,
        kwargs: dict[str, Any],
    ) -> FlyteWorkflowExecution:
        if not self._interactive_mode_enabled:
            raise FlyteAssertion(
                f"cannot execute the local function {getattr(fn, '__qualname__', fn)!r}: interactive mode is off; "
                "create the remote with interactive_mode_enabled=True to pickle and run local functions"
            )
        from flyteplane.remote import interactive

        project, domain = self._project_domain(project, domain)
        prepared = interactive.prepare(fn, image=image or self._interactive_image)
        version = version or prepared.version
        ident = identifier_pb2.Identifier(
            resource_type=_TASK, project=project, domain=domain, name=prepared.name, version=version
        )
        try:
            task = FlyteTask.from_flyte_idl(self._task_template(ident))
        except FlyteEntityNotExistException:
            pickle_uri = self._upload_payload(prepared.payload, f"{prepared.name}.pkl.gz", project, domain)
            task = self.register_task(prepared.template(ident, pickle_uri))
        task.type_hints = {**prepared.input_types, **prepared.output_types}
        # Flyte Admin's single-task launch plan requires every input: the function's defaults fill the gaps.
        return self._execute(task, {**prepared.defaults, **(inputs or {})}, project, domain, **kwargs)

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
        inputs: Mapping[str, Any] | None,
        project: str | None,
        domain: str | None,
        version: str | None,
        settings: Any,
        kwargs: dict[str, Any],
    ) -> FlyteWorkflowExecution:
        from flyteplane.remote import _flytekit

        if not version:
            raise FlyteAssertion(
                f"executing the flytekit entity {getattr(entity, 'name', entity)!r} registers it first: "
                "pass version=..."
            )
        ident = self._register_flytekit(entity, settings, version, project, domain, kwargs.get("options"))
        fetched = self._fetch_by_id(ident)
        fetched.type_hints = _flytekit.type_hints(entity)
        return self.execute(fetched, inputs, project, domain, **kwargs)

    # -- executions ---------------------------------------------------------------------------------------------
    def _bind(self, pb: Any, type_hints: Mapping[str, type] | None = None) -> FlyteWorkflowExecution:
        execution = FlyteWorkflowExecution.promote_from_model(pb, self, dict(type_hints) if type_hints else None)
        execution._data_getter = lambda: self._execution_data(execution)
        return execution

    def _execution_interface(self, execution: FlyteWorkflowExecution) -> interface_pb2.TypedInterface:
        """The interface of what an execution runs (the task's, or the launch plan's expected inputs/outputs)."""
        entity = execution._entity
        if entity is not None:
            return entity._interface_pb()
        target = execution.to_flyte_idl().spec.launch_plan
        if target.resource_type == _TASK:
            entity = FlyteTask.from_flyte_idl(self._task_template(target))
        else:
            entity = self._cached(target, lambda: self._promote_launch_plan(self.client.get_launch_plan(target)))
        execution._entity = entity
        return entity._interface_pb()

    def _execution_data(self, execution: FlyteWorkflowExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        pb = execution.to_flyte_idl()
        interface = self._execution_interface(execution)
        data = self.client.get_execution_data(pb.id).to_flyte_idl()
        files = self._file_access(pb.id.project, pb.id.domain)
        hints = execution.type_hints or {}
        return (
            self._resolver(data.full_inputs, data.inputs, interface.inputs, hints, files),
            self._resolver(data.full_outputs, data.outputs, interface.outputs, hints, files),
        )

    def _resolver(
        self,
        full: literals_pb2.LiteralMap,
        blob: Any,
        variables: interface_pb2.VariableMap | None,
        hints: Mapping[str, type],
        files: DataProxyFiles,
    ) -> LiteralsResolver:
        from flyteplane.types import LiteralsResolver

        literals = full
        if not full.literals and blob.url and blob.bytes:
            # Too large to come inline: Flyte Admin gives the blob's location instead.
            literals = literals_pb2.LiteralMap()
            target = files.get(blob.url, is_dir=False)
            literals.ParseFromString(Path(target).read_bytes())
        types = {n: v.type for n, v in variables.variables.items()} if variables is not None else None
        wanted = {n: t for n, t in hints.items() if n in literals.literals}
        return LiteralsResolver(dict(literals.literals), types, wanted or None, files)

    def _refresh(self, execution: FlyteWorkflowExecution, rpc_timeout: float | None) -> None:
        from flyteplane.clients.interceptors import deadline

        with deadline(rpc_timeout if rpc_timeout is not None else _DEFAULT_RPC_TIMEOUT):
            execution._replace(self.client.get_execution(execution.to_flyte_idl().id).to_flyte_idl())

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

        limit = _seconds(timeout)
        fixed = _seconds(poll_interval)
        start = time.monotonic()
        until = None if limit is None else start + limit
        delay = fixed if fixed is not None else _FIRST_POLL
        show = self.show_progress if show_progress is None else show_progress
        display = WaitDisplay(execution.to_flyte_idl().id.name, show)
        try:
            while True:
                left = None if until is None else until - time.monotonic()
                try:
                    self._refresh(execution, None if left is None else max(min(left, _DEFAULT_RPC_TIMEOUT), 0.001))
                except FlyteTimeout:
                    if until is None or time.monotonic() < until:
                        raise
                    self._timed_out(execution, limit)
                display.update(execution.phase_name, execution.is_done)
                if execution.is_done:
                    break
                left = None if until is None else until - time.monotonic()
                if left is not None and left <= 0:
                    self._timed_out(execution, limit)
                if fixed is None:
                    # A fifth of the time waited so far: the finish is seen at most ~20% late (or 50 ms), and a long
                    # execution is polled rarely (every 10 s at most).
                    delay = min(max((time.monotonic() - start) * _POLL_FRACTION, _FIRST_POLL), _MAX_POLL)
                time.sleep(delay if left is None else min(delay, left))
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

    def _timed_out(self, execution: FlyteWorkflowExecution, limit: float | None) -> None:
        raise FlyteTimeout(
            f"execution {execution.to_flyte_idl().id.name} did not finish within {limit:g}s: it is still "
            f"{execution.phase_name}"
        )

    def sync(
        self, execution: FlyteWorkflowExecution, entity_definition: Any = None, sync_nodes: bool = False
    ) -> FlyteWorkflowExecution:
        """Refresh an execution from Flyte Admin (``sync_execution``)."""
        return self.sync_execution(execution, entity_definition, sync_nodes)

    def sync_execution(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: Any = None,
        sync_nodes: bool = False,
        rpc_timeout: _dt.timedelta | float | None = _dt.timedelta(seconds=60),
    ) -> FlyteWorkflowExecution:
        """Refresh an execution: its phase and, with ``sync_nodes``, its node executions (sub-workflows, branches
        and the executions of launch plan nodes included) and their task attempts. Inputs and outputs are read
        when first used. The execution object is updated in place and returned."""
        from flyteplane.clients.interceptors import deadline

        if execution._remote is None:
            execution._remote = self
            execution._data_getter = lambda: self._execution_data(execution)
        if isinstance(entity_definition, RemoteEntity):
            execution._entity = entity_definition  # type: ignore[assignment]
        with deadline(_seconds(rpc_timeout) or _DEFAULT_RPC_TIMEOUT):
            self._refresh(execution, None)
            if sync_nodes:
                wf_closure = self._closure_of(execution)
                execution._node_executions = self._node_executions(execution.to_flyte_idl().id, None, wf_closure)
        return execution

    def _closure_of(self, execution: FlyteWorkflowExecution) -> Any:
        """The compiled workflow an execution runs (None for single-task executions)."""
        target = execution.to_flyte_idl().spec.launch_plan
        if target.resource_type == _TASK:
            return None
        try:
            self._execution_interface(execution)  # resolves execution._entity
        except FlyteEntityNotExistException:
            return None
        entity = execution._entity
        if not isinstance(entity, FlyteLaunchPlan):
            return None
        return self._workflow_closure(entity.to_flyte_idl().spec.workflow_id)

    def _node_executions(
        self, execution_id: Any, parent: str | None, closure: Any, template: Any = None
    ) -> dict[str, FlyteNodeExecution]:
        client = self.client
        nodes = client.iter_node_executions(execution_id, unique_parent_id=parent)
        template = template if template is not None else (closure.primary.template if closure is not None else None)
        by_id = {n.id: n for n in template.nodes} if template is not None else {}
        out: dict[str, FlyteNodeExecution] = {}
        for model in nodes:
            pb = model.to_flyte_idl()
            node = FlyteNodeExecution.from_flyte_idl(pb)
            node._interface = self._node_interface(by_id.get(pb.metadata.spec_node_id or pb.id.node_id), closure)
            node._data_getter = lambda n=node: self._node_data(n)
            closure_pb = pb.closure
            if closure_pb.HasField("workflow_node_metadata"):
                # sync_execution reads the child first thing: no separate fetch.
                child = self._bind(execution_pb2.Execution(id=closure_pb.workflow_node_metadata.executionId))
                self.sync_execution(child, sync_nodes=True)
                node._workflow_executions = [child]
            if pb.metadata.is_parent_node and pb.metadata.is_dynamic:
                # A dynamic node: its task attempt(s), and the children of the workflow it generated, read with
                # that workflow's closure (GetDynamicNodeWorkflow).
                node._task_executions = self._task_executions(pb.id, node._interface)
                request = node_execution_pb2.GetDynamicNodeWorkflowRequest(id=pb.id)
                dynamic = self.client.get_dynamic_node_workflow(request).compiled_workflow
                node._subworkflow_node_executions = self._node_executions(execution_id, pb.id.node_id, dynamic)
            elif pb.metadata.is_parent_node:
                sub_template = self._sub_template(by_id.get(pb.metadata.spec_node_id or pb.id.node_id), closure)
                node._subworkflow_node_executions = self._node_executions(
                    execution_id, pb.id.node_id, closure, sub_template
                )
            elif pb.id.node_id not in ("start-node", "end-node"):
                node._task_executions = self._task_executions(pb.id, node._interface)
            out[pb.id.node_id] = node
        return out

    def _sub_template(self, node: Any, closure: Any) -> Any:
        if node is None or closure is None or not node.HasField("workflow_node"):
            return None
        ref = node.workflow_node.sub_workflow_ref
        for sub in closure.sub_workflows:
            if sub.template.id == ref:
                return sub.template
        return None

    def _node_interface(self, node: Any, closure: Any) -> interface_pb2.TypedInterface | None:
        if node is None or closure is None:
            return None
        if node.HasField("array_node"):
            # A map task's template already has the array's list interface; a sub-node that kept its own
            # interface (is_original_sub_node_interface) does not, and its values are read without types.
            if node.array_node.is_original_sub_node_interface.value:
                return None
            node = node.array_node.node
        if not node.HasField("task_node"):
            return None
        ref = node.task_node.reference_id
        for task in closure.tasks:
            if task.template.id == ref:
                return task.template.interface  # type: ignore[no-any-return]
        return None

    def _task_executions(self, node_id: Any, interface: Any) -> list[FlyteTaskExecution]:
        attempts, _ = self.client.list_task_executions_paginated(node_id, limit=_PAGE)
        out = []
        for model in attempts:
            attempt = FlyteTaskExecution.from_flyte_idl(model.to_flyte_idl())
            attempt._data_getter = lambda a=attempt, i=interface: self._task_execution_data(a, i)
            out.append(attempt)
        return out

    def _node_data(self, node: FlyteNodeExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        pb = node.to_flyte_idl()
        data = self.client.get_node_execution_data(pb.id).to_flyte_idl()
        return self._data_pair(data, pb.id.execution_id, node.interface)

    def _task_execution_data(self, attempt: FlyteTaskExecution, interface: Any) -> tuple[Any, Any]:
        pb = attempt.to_flyte_idl()
        data = self.client.get_task_execution_data(pb.id).to_flyte_idl()
        return self._data_pair(data, pb.id.node_execution_id.execution_id, interface)

    def _data_pair(self, data: Any, execution_id: Any, interface: Any) -> tuple[LiteralsResolver, LiteralsResolver]:
        """Inputs and outputs of a Get*ExecutionData response, typed by ``interface`` when known."""
        files = self._file_access(execution_id.project, execution_id.domain)
        return (
            self._resolver(data.full_inputs, data.inputs, interface.inputs if interface else None, {}, files),
            self._resolver(data.full_outputs, data.outputs, interface.outputs if interface else None, {}, files),
        )

    def terminate(self, execution: FlyteWorkflowExecution | Any, cause: str) -> None:
        """Abort a running execution; ``cause`` is recorded as the reason."""
        self.client.terminate_execution(_execution_id(execution), cause)

    def relaunch(self, execution: FlyteWorkflowExecution | Any, name: str | None = None) -> FlyteWorkflowExecution:
        """Run an execution again with the same inputs; returns the new execution."""
        ident = self.client.relaunch_execution(_execution_id(execution), name)
        return self._bind(self.client.get_execution(ident).to_flyte_idl())

    def recover(self, execution: FlyteWorkflowExecution | Any, name: str | None = None) -> FlyteWorkflowExecution:
        """Run a failed execution again, reusing the outputs of the nodes that succeeded."""
        ident = self.client.recover_execution(_execution_id(execution), name)
        return self._bind(self.client.get_execution(ident).to_flyte_idl())

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
        literal_type: Any = None,
    ) -> None:
        """Give a signal its value. The value is converted to the signal's own type (as Flyte Admin reports it)
        unless ``literal_type`` says otherwise; a Literal is sent as it is."""
        from flyteidl.admin import signal_pb2

        from flyteplane.types import TypeEngine

        project, domain = self._project_domain(project, domain)
        execution_id = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=execution_name)
        if isinstance(value, (Literal, literals_pb2.Literal)):
            literal = to_pb(value)
        else:
            expected = to_pb(literal_type) if literal_type is not None else self._signal_type(execution_id, signal_id)
            literal = TypeEngine.to_literal(value, python_type, expected)
        request = signal_pb2.SignalSetRequest(value=literal)
        request.id.signal_id = signal_id
        request.id.execution_id.CopyFrom(execution_id)
        self.client.set_signal(request)

    def _signal_type(self, execution_id: Any, signal_id: str) -> types_pb2.LiteralType | None:
        token: str | None = None
        while True:
            signals, token = self.client.list_signals_paginated(execution_id, limit=_PAGE, token=token)
            for signal in signals:
                if signal.id.signal_id == signal_id:
                    return signal.type  # type: ignore[no-any-return]
            if not token:
                return None

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

    def download(self, data: Any, download_to: str | os.PathLike[str], recursive: bool = True) -> None:
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

    def get(self, flyte_uri: str | None = None) -> Any:
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
                return r.read()
        return None

    # -- console and metrics ------------------------------------------------------------------------------------
    def generate_console_http_domain(self) -> str:
        """The console's base URL: ``console_endpoint`` if configured, else the admin endpoint over http(s)."""
        platform = self._config.platform
        if platform.console_endpoint:
            return platform.console_endpoint.rstrip("/")
        scheme = "http" if platform.insecure else "https"
        return f"{scheme}://{platform.endpoint}"

    def generate_console_url(self, entity: Any) -> str:
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

    def get_execution_metrics(self, id: Any, depth: int = 10) -> Any:
        """The execution's timing spans (nodes, tasks, the admin's own steps), ``depth`` levels deep."""
        return self.client.get_execution_metrics(_execution_id(id), depth).span


# -- helpers --------------------------------------------------------------------------------------------------------
class _RecordingFiles:
    """The FileAccess of the dry run: records what would be uploaded, uploads nothing."""

    def __init__(self) -> None:
        self.recorded: list[str] = []

    def put(self, local_path: str, *, is_dir: bool) -> str:
        self.recorded.append(local_path)
        return f"file:///flyteplane-dry-run/{len(self.recorded)}"

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        raise FlyteAssertion("nothing is downloaded while inputs are checked")


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


def _listed_workflow(pb: Any) -> FlyteWorkflow:
    template = core_workflow_pb2.WorkflowTemplate(
        id=pb.id, interface=pb.closure.compiled_workflow.primary.template.interface
    )
    return FlyteWorkflow.from_flyte_idl(template)


def _execution_id(execution: Any) -> identifier_pb2.WorkflowExecutionIdentifier:
    if isinstance(execution, FlyteWorkflowExecution):
        return execution.to_flyte_idl().id  # type: ignore[no-any-return]
    pb = to_pb(execution)
    if isinstance(pb, identifier_pb2.WorkflowExecutionIdentifier):
        return pb
    raise FlyteAssertion(f"expected an execution or a WorkflowExecutionIdentifier, got {type(execution).__name__}")


def _principal() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "flyteplane"


def _page_size(limit: int | None) -> int:
    return _PAGE if limit is None else max(1, min(limit, _PAGE))


def _newest(sort_by: Sort | None) -> Sort:
    return sort_by if sort_by is not None else Sort("created_at", Sort.Direction.DESCENDING)
