"""FlyteRemote on asyncio: fetch, execute, wait and read outputs from an event loop.

The same operations as :class:`flyteplane.remote.FlyteRemote` (its collaborators :class:`~flyteplane.remote.catalog
.Catalog`, :class:`~flyteplane.remote.launch.Launcher` and :class:`~flyteplane.remote.tracking.Tracker`), driven by
:func:`flyteplane.remote._io.run_async`: the same input checks before any call, the same wait schedule (awaited,
so one event loop waits for hundreds of executions), the same error messages. Uploads and downloads of local files
run in worker threads.

What differs from the blocking FlyteRemote, because an attribute read cannot await:

* inputs and outputs are read with ``await remote.outputs(execution)`` / ``await remote.inputs(execution)`` (or
  ``await remote.load_data(node)``); once read, ``execution.outputs`` works as usual, and reading it before says
  which await to use;
* ``execution.wait()`` / ``execution.sync()`` say to ``await remote.wait(execution)`` instead;
* ``execute`` runs what is registered: FlyteTask, FlyteWorkflow, FlyteLaunchPlan or an Identifier; register a
  flytekit entity first (``await remote.register_workflow(wf, version=...)``, serialized in a worker thread); local
  functions (interactive mode) run only through the blocking FlyteRemote.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Union

from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2

from flyteplane.errors import FlyteAssertion
from flyteplane.models._model import to_pb
from flyteplane.models.core.identifier import Identifier
from flyteplane.remote._io import Op, async_invoker, run_async
from flyteplane.remote.catalog import LAUNCH_PLAN, TASK, WORKFLOW, Catalog, Scope
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, RemoteEntity
from flyteplane.remote.executions import AnyExecution, FlyteWorkflowExecution
from flyteplane.remote.launch import ExecutionOptions, Launcher
from flyteplane.remote.listing import Listing, execution_id
from flyteplane.remote.options import Options
from flyteplane.remote.registration import Registrar
from flyteplane.remote.remote import DEFAULT_UPLOAD_LOCATION, ExecutionRef, Filters
from flyteplane.remote.remote import FlyteRemote as _SyncRemote
from flyteplane.remote.tracking import DEFAULT_RPC_TIMEOUT, Tracker, WaitSchedule, seconds

if TYPE_CHECKING:
    from flyteidl.admin import signal_pb2
    from flyteidl.core import types_pb2

    from flyteplane.configuration import Config
    from flyteplane.models.admin.common import Sort
    from flyteplane.models.core.types import LiteralType
    from flyteplane.models.domain import Domain
    from flyteplane.models.project import Project
    from flyteplane.types import LiteralsResolver

__all__ = ["FlyteRemote"]

T = TypeVar("T")
#: What ``execute`` runs: a registered entity or its identifier.
Runnable = Union[FlyteTask, FlyteWorkflow, FlyteLaunchPlan, Identifier, identifier_pb2.Identifier]


class _AwaitOnly:
    """The session of executions made by the async remote: reads that would block say which await to use."""

    def __init__(self, remote: FlyteRemote) -> None:
        self._remote = remote

    def load_data(self, target: AnyExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        raise FlyteAssertion(
            f"{target!r} has not read its inputs and outputs yet: with flyteplane.aio, read them with "
            "`await remote.outputs(execution)` / `await remote.inputs(execution)` (`await remote.load_data(node)` "
            "for a node or task attempt)"
        )

    def sync_execution(
        self, execution: FlyteWorkflowExecution, entity_definition: Any = None, sync_nodes: bool = False
    ) -> FlyteWorkflowExecution:
        raise FlyteAssertion("with flyteplane.aio, refresh an execution with `await remote.sync_execution(execution)`")

    def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: _dt.timedelta | float | None = None,
        poll_interval: _dt.timedelta | float | None = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        raise FlyteAssertion("with flyteplane.aio, wait for an execution with `await remote.wait(execution)`")

    def generate_console_url(self, entity: Any) -> str:
        return self._remote.generate_console_url(entity)


class FlyteRemote:
    """A connection to a Flyte deployment for asyncio code: ``await remote.execute(task, inputs, wait=True)``.

    Args:
        config: where Flyte Admin is and how to authenticate.
        default_project, default_domain: used by every call that is not given a project or domain.
        data_upload_location: where local input files go (as in the blocking FlyteRemote).
        client: an asyncio raw client (``flyteplane.aio.RawFlyteClient``); None builds one on first use.
        max_concurrent_calls: how many RPCs this remote has in flight at once; more wait for a free slot before
            they are sent (their deadline starts then). ``asyncio.gather`` over hundreds of executions would
            otherwise queue every CreateExecution on the server at once, and the last ones would run out of
            deadline waiting there.

    Use it within one event loop, as ``async with FlyteRemote(...) as remote:`` or ending with
    ``await remote.close()``.
    """

    def __init__(
        self,
        config: Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_UPLOAD_LOCATION,
        *,
        client: Any = None,
        max_concurrent_calls: int = 32,
    ) -> None:
        if max_concurrent_calls < 1:
            raise FlyteAssertion(f"max_concurrent_calls must be at least 1, not {max_concurrent_calls}")
        # The blocking remote builds no client until asked: it serves file transfers (in worker threads) and
        # console URLs, and validates the config the same way.
        self._sync = _SyncRemote(config, default_project, default_domain, data_upload_location, show_progress=False)
        self._config = config
        self._client = client
        self._scope = Scope(default_project, default_domain)
        self._catalog = Catalog(self._scope)
        files = self._sync._file_access
        self._launcher = Launcher(self._catalog, files)
        self._tracker = Tracker(self._catalog, files)
        self._listing = Listing(self._catalog)
        self._registrar = Registrar(self._catalog, self._launcher, self._listing)
        self._session = _AwaitOnly(self)
        self._slots = asyncio.Semaphore(max_concurrent_calls)

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        default_project: str | None = None,
        default_domain: str | None = None,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote for ``endpoint`` (auth and TLS settings from the config file and environment)."""
        from flyteplane.configuration import Config

        return cls(Config.for_endpoint(endpoint, insecure), default_project, default_domain, **kwargs)

    @classmethod
    def for_sandbox(
        cls, default_project: str | None = None, default_domain: str | None = None, **kwargs: Any
    ) -> FlyteRemote:
        """A remote for the local sandbox on ``localhost:30080``."""
        from flyteplane.configuration import Config

        return cls(Config.for_sandbox(), default_project, default_domain, **kwargs)

    # -- plumbing ---------------------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The asyncio raw client underneath, built on first use."""
        if self._client is None:
            from flyteplane.aio.raw import RawFlyteClient

            self._client = RawFlyteClient(self._config.platform)
        return self._client

    @property
    def config(self) -> Config:
        return self._config

    @property
    def default_project(self) -> str | None:
        return self._scope.project

    @property
    def default_domain(self) -> str | None:
        return self._scope.domain

    async def _run(self, op: Op[T]) -> T:
        return await run_async(op, self._invoke)

    async def _invoke(self, method: str, request: Any, timeout: float | None) -> Any:
        async with self._slots:
            return await async_invoker(self.client)(method, request, timeout)

    async def close(self) -> None:
        """Close the channel (and the blocking client of file transfers, if one was made)."""
        client = self._client
        if client is not None:
            await client.close()
        self._sync.close()

    async def __aenter__(self) -> FlyteRemote:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"aio.FlyteRemote(endpoint={self._config.platform.endpoint!r}, project={self._scope.project!r}, "
            f"domain={self._scope.domain!r})"
        )

    def generate_console_url(self, entity: Any) -> str:
        """The console page of an execution, task, workflow or launch plan."""
        return self._sync.generate_console_url(entity)

    # -- fetch ------------------------------------------------------------------------------------------------
    async def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; ``version`` None means the latest (an unknown name suggests the closest)."""
        return await self._run(self._catalog.fetch_task(project, domain, name, version))

    async def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow with its compiled closure; ``version`` None means the latest."""
        return await self._run(self._catalog.fetch_workflow(project, domain, name, version))

    async def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan; ``version`` None means the latest (its ``flyte_workflow`` is not fetched:
        ``await remote.fetch_workflow(...)`` with its ``workflow_id``)."""
        pb = await self._run(self._catalog.fetch_launch_plan_message(project, domain, name, version))
        return self._catalog.launch_plan(pb)

    async def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """An execution by name."""
        pb = await self._run(self._catalog.fetch_execution_message(project, domain, name))
        return FlyteWorkflowExecution.bound(pb, self._session)

    async def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, None if no version is active."""
        return await self._run(self._listing.fetch_active_launch_plan(project, domain, name))

    # -- list -------------------------------------------------------------------------------------------------
    async def recent_executions(
        self,
        project: str | None = None,
        domain: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
    ) -> list[FlyteWorkflowExecution]:
        """The newest executions first, up to ``limit`` (None: all), across as many pages as that takes."""
        executions = await self._run(self._listing.recent_executions(project, domain, limit, filters))
        return [FlyteWorkflowExecution.bound(e, self._session) for e in executions]

    async def list_tasks_by_version(
        self, version: str, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteTask]:
        """Every task registered under ``version`` in a project and domain, up to ``limit`` (None: all)."""
        return await self.list_tasks(project, domain, limit=limit, filters=f"eq(version,{version})")

    async def list_tasks(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteTask]:
        """Task versions (of one name, or all), newest first unless ``sort_by`` says otherwise."""
        return await self._run(self._listing.list_tasks(project, domain, name, limit, filters, sort_by))

    async def list_workflows(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        limit: int | None = 100,
        filters: Filters = None,
        sort_by: Sort | None = None,
    ) -> list[FlyteWorkflow]:
        """Workflow versions as Flyte Admin lists them: id and interface, no nodes or tasks (``fetch_workflow``
        returns those)."""
        return await self._run(self._listing.list_workflows(project, domain, name, limit, filters, sort_by))

    async def list_launch_plans(
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
        return await self._run(
            self._listing.list_launch_plans(project, domain, name, limit, filters, sort_by, active_only)
        )

    async def list_projects(
        self, limit: int | None = 100, filters: Filters = None, sort_by: Sort | None = None
    ) -> list[Project]:
        """Projects (archived ones hidden by Flyte Admin), up to ``limit`` (None: all)."""
        return await self._run(self._listing.list_projects(limit, filters, sort_by))

    async def get_domains(self) -> list[Domain]:
        """The domains Flyte Admin is configured with."""
        return await self._run(self._listing.get_domains())

    # -- signals ----------------------------------------------------------------------------------------------
    async def list_signals(
        self,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Filters = None,
    ) -> list[signal_pb2.Signal]:
        """The signals (gate nodes' inputs) of an execution, as protobufs."""
        return await self._run(self._listing.list_signals(execution_name, project, domain, limit, filters))

    async def approve(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Approve a gate node (its signal gets ``True``)."""
        await self.set_signal(signal_id, execution_name, True, project, domain, python_type=bool)

    async def reject(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Reject a gate node (its signal gets ``False``)."""
        await self.set_signal(signal_id, execution_name, False, project, domain, python_type=bool)

    async def set_signal(
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
        await self._run(
            self._listing.set_signal(signal_id, execution_name, value, project, domain, python_type, literal_type)
        )

    # -- register ---------------------------------------------------------------------------------------------
    async def register_task(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
    ) -> FlyteTask:
        """Register a task (a TaskSpec or TaskTemplate model or message, or a flytekit task, serialized in a worker
        thread) and return it. The same definition again is a no-op; a different one under a registered version
        raises FlyteEntityAlreadyExistsException saying so."""
        return await self._run(self._registrar.register_task(entity, serialization_settings, version, project, domain))

    async def register_workflow(
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
        ``default_launch_plan``, its default launch plan."""
        return await self._run(
            self._registrar.register_workflow(
                entity, serialization_settings, version, default_launch_plan, options, project, domain
            )
        )

    async def register_launch_plan(
        self,
        entity: Any,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        options: Options | None = None,
        serialization_settings: Any = None,
    ) -> FlyteLaunchPlan:
        """Register a launch plan (a LaunchPlan model or message with id and spec, or a flytekit launch plan)."""
        return await self._run(
            self._registrar.register_launch_plan(entity, version, project, domain, options, serialization_settings)
        )

    # -- launch plan state ------------------------------------------------------------------------------------
    async def activate_launchplan(self, ident: Identifier | identifier_pb2.Identifier) -> None:
        """Make this launch plan version the active one (Flyte Admin deactivates the others of its name)."""
        await self._run(self._listing.set_launch_plan_state(ident, active=True))

    async def deactivate_launchplan(self, ident: Identifier | identifier_pb2.Identifier) -> None:
        """Deactivate this launch plan version (its schedule stops)."""
        await self._run(self._listing.set_launch_plan_state(ident, active=False))

    async def _fetch_by_id(self, ident: identifier_pb2.Identifier) -> FlyteTask | FlyteWorkflow | FlyteLaunchPlan:
        kind = self._catalog.entity_kind(ident)
        args = (ident.project, ident.domain, ident.name, ident.version or None)
        if kind == TASK:
            return await self.fetch_task(*args)
        if kind == WORKFLOW:
            return await self.fetch_workflow(*args)
        assert kind == LAUNCH_PLAN
        return await self.fetch_launch_plan(*args)

    # -- execute ----------------------------------------------------------------------------------------------
    async def execute(
        self,
        entity: Runnable,
        inputs: Mapping[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        *,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        options: Options | None = None,
        wait: bool = False,
        type_hints: Mapping[str, type] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: Mapping[str, str] | None = None,
        tags: Sequence[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        max_parallelism: int | None = None,
    ) -> FlyteWorkflowExecution:
        """Run a registered task, workflow or launch plan with Python inputs (checked before any call); returns
        the execution, finished if ``wait``. The options are those of the blocking ``FlyteRemote.execute``."""
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
        target: RemoteEntity
        if isinstance(entity, RemoteEntity):
            target = entity
        elif isinstance(entity, (Identifier, identifier_pb2.Identifier)):
            target = await self._fetch_by_id(to_pb(entity))
        else:
            raise FlyteAssertion(
                f"flyteplane.aio.FlyteRemote cannot execute a {type(entity).__name__}: pass a FlyteTask, FlyteWorkflow "
                "or FlyteLaunchPlan (await remote.fetch_*) or an Identifier; register flytekit entities first "
                "(await remote.register_*); local functions run through flyteplane.remote.FlyteRemote"
            )
        launched = await self._run(self._launcher.launch(target, inputs or {}, project, domain, opts))
        if opts.wait:
            pb = execution_pb2.Execution(id=launched.id, spec=launched.spec)
            execution = FlyteWorkflowExecution.bound(pb, self._session, launched.type_hints, launched.entity)
            return await self.wait(execution, sync_nodes=False)
        pb = await self._run(self._tracker.get(launched.id))
        return FlyteWorkflowExecution.bound(pb, self._session, launched.type_hints, launched.entity)

    # -- executions -------------------------------------------------------------------------------------------
    async def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: _dt.timedelta | float | None = None,
        poll_interval: _dt.timedelta | float | None = None,
        sync_nodes: bool = False,
    ) -> FlyteWorkflowExecution:
        """Wait until the execution finishes, polling on the blocking remote's schedule (awaited pauses); with
        ``sync_nodes`` read its node tree at the end. Cancelling the awaiting task stops the wait (not the
        execution) and leaves nothing running.

        Raises:
            FlyteTimeout: ``timeout`` passed first; the message names the last phase seen.
        """
        schedule = WaitSchedule(seconds(timeout), seconds(poll_interval))
        await self._run(self._tracker.wait(execution, schedule, _nothing))
        if sync_nodes:
            await self.sync_execution(execution, sync_nodes=True)
        return execution

    async def sync_execution(
        self,
        execution: FlyteWorkflowExecution,
        sync_nodes: bool = False,
        rpc_timeout: _dt.timedelta | float | None = _dt.timedelta(seconds=60),
    ) -> FlyteWorkflowExecution:
        """Refresh an execution in place (its node tree too with ``sync_nodes``)."""
        timeout = seconds(rpc_timeout) or DEFAULT_RPC_TIMEOUT
        await self._run(self._tracker.sync(execution, self._session, sync_nodes, timeout))
        return execution

    async def load_data(self, target: AnyExecution) -> tuple[LiteralsResolver, LiteralsResolver]:
        """Read the inputs and outputs of an execution, node execution or task attempt; afterwards its
        ``inputs`` / ``outputs`` attributes work."""
        inputs, outputs = await self._run(self._tracker.data(target))
        target.set_data(inputs, outputs)
        return inputs, outputs

    async def outputs(self, execution: FlyteWorkflowExecution) -> LiteralsResolver:
        """The outputs as Python values; raises as ``execution.outputs`` does for an execution not succeeded."""
        if not execution.data_loaded and execution.is_successful:
            await self.load_data(execution)
        return execution.outputs

    async def inputs(self, execution: FlyteWorkflowExecution) -> LiteralsResolver:
        """The inputs the execution ran with, as Python values."""
        if not execution.data_loaded:
            await self.load_data(execution)
        return execution.inputs

    async def terminate(self, execution: ExecutionRef, cause: str) -> None:
        """Abort a running execution; ``cause`` is recorded as the reason."""
        await self._run(self._listing.terminate(execution_id(execution), cause))

    async def relaunch(self, execution: ExecutionRef, name: str | None = None) -> FlyteWorkflowExecution:
        """Run an execution again with the same inputs; returns the new execution."""
        pb = await self._run(self._listing.relaunch(execution_id(execution), name))
        return FlyteWorkflowExecution.bound(pb, self._session)

    async def recover(self, execution: ExecutionRef, name: str | None = None) -> FlyteWorkflowExecution:
        """Run a failed execution again, reusing the outputs of the nodes that succeeded."""
        pb = await self._run(self._listing.recover(execution_id(execution), name))
        return FlyteWorkflowExecution.bound(pb, self._session)


def _nothing() -> None:
    return None
