"""The one place where the embedded admin's parts are built and connected.

:func:`build_services` makes every part once, in dependency order, and hands each what it uses through its
constructor; nothing finds a collaborator any other way. :class:`AdminServer` serves what it returns, and tests
build it the same way (``build_services(config, Store(None))``) to call managers without gRPC.

What depends on what::

    AdminContext  (store, config, blobs, signer, logs)           <- every manager
    RunEndings    <- EventRecorder (wakes)     -> EngineAdmin (waits)
    EventRecorder <- EventManager (the event RPCs), EngineAdmin (the engine's events)
    WorkflowManager <- SingleTaskWorkflows (a task's generated workflow), ExecutionManager (metrics)
    SingleTaskWorkflows <- ExecutionCreator
    ExecutionCreator (CreateExecution's pipeline) <- ExecutionManager, EngineAdmin (child executions)
    SignalManager (SetSignal wakes gate nodes)    <- EngineAdmin (signals of gate nodes)
    CatalogManager (the task cache)               <- EngineAdmin (cached tasks' lookups, writes, reservations)
    EngineAdmin (the engine's port)               <- Engine
    Engine        <- ExecutionManager (launch, terminate)
    Node/TaskExecutionManager                     <- DataProxyManager (GetData)
    Endpoints.http (known once the HTTP side listens) <- Engine (log links), DataProxyManager (signed URLs)
    ScheduleRepository, ExecutionManager.create_execution <- Scheduler (fires schedules of active launch plans)
    Notifier (sends ended executions' notifications) <- EventRecorder (terminal workflow events)
    Endpoints.grpc, .certificate (known once the gRPC side listens) <- Engine (how task processes reach the admin)

Parts with a lifecycle say so by being :class:`Lifecycle`; :meth:`AdminServices.start` starts them after the
seed projects exist, and :meth:`AdminServices.stop` stops them in reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.engine.engine import Engine
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.platform_access import PlatformAccess, TaskCredential
from flyteplane.admin.http import UrlSigner
from flyteplane.admin.managers._execution_launch import ExecutionCreator
from flyteplane.admin.managers._flytegen import SingleTaskWorkflows
from flyteplane.admin.managers.attributes import AttributesManager
from flyteplane.admin.managers.catalog import CatalogManager
from flyteplane.admin.managers.dataproxy import DataProxyManager
from flyteplane.admin.managers.description_entities import DescriptionEntityManager
from flyteplane.admin.managers.engine_port import EngineAdmin
from flyteplane.admin.managers.event_recorder import EventRecorder
from flyteplane.admin.managers.events import EventManager
from flyteplane.admin.managers.executions import ExecutionManager
from flyteplane.admin.managers.launch_plans import LaunchPlanManager
from flyteplane.admin.managers.named_entities import NamedEntityManager
from flyteplane.admin.managers.node_executions import NodeExecutionManager
from flyteplane.admin.managers.projects import ProjectManager
from flyteplane.admin.managers.run_endings import RunEndings
from flyteplane.admin.managers.run_listeners import RunListener
from flyteplane.admin.managers.signals import SignalManager
from flyteplane.admin.managers.task_executions import TaskExecutionManager
from flyteplane.admin.managers.tasks import TaskManager
from flyteplane.admin.managers.version import VersionManager
from flyteplane.admin.managers.workflows import WorkflowManager
from flyteplane.admin.services.notifications import Notifier
from flyteplane.admin.services.scheduler import Scheduler
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.schedules import ScheduleRepository

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth

__all__ = ["AdminServices", "Endpoints", "Lifecycle", "build_context", "build_services", "task_credential"]


class Lifecycle(Protocol):
    """A part that runs in the background between :meth:`start` and :meth:`stop`."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Endpoints:
    """Addresses known only once the server listens (a free port is chosen at start)."""

    http: str | None = None
    """``http://host:port`` (``https://`` with TLS) of the HTTP side."""
    grpc: str | None = None
    """``host:port`` of the gRPC side."""
    certificate: Path | None = None
    """The PEM certificate both sides serve with TLS; None for plaintext."""


@dataclass(frozen=True)
class AdminServices:
    """Every part of one admin, built by :func:`build_services`."""

    context: AdminContext
    endpoints: Endpoints
    recorder: EventRecorder
    endings: RunEndings
    engine: Engine
    auth: AdminAuth | None
    projects: ProjectManager
    tasks: TaskManager
    workflows: WorkflowManager
    launch_plans: LaunchPlanManager
    named_entities: NamedEntityManager
    descriptions: DescriptionEntityManager
    attributes: AttributesManager
    version: VersionManager
    dataproxy: DataProxyManager
    executions: ExecutionManager
    events: EventManager
    node_executions: NodeExecutionManager
    task_executions: TaskExecutionManager
    signals: SignalManager
    scheduler: Scheduler | None
    """Fires the schedules of active launch plans (None when ``AdminConfig.scheduler`` is off)."""
    notifier: Notifier
    """Sends the notifications of ended executions (``AdminConfig.notifications``)."""

    @property
    def managers(self) -> tuple[object, ...]:
        """The managers that serve AdminService, DataProxyService and SignalService (one method per RPC)."""
        return (
            self.projects,
            self.tasks,
            self.workflows,
            self.launch_plans,
            self.named_entities,
            self.descriptions,
            self.attributes,
            self.version,
            self.dataproxy,
            self.executions,
            self.events,
            self.node_executions,
            self.task_executions,
            self.signals,
        )

    @property
    def lifecycle(self) -> tuple[Lifecycle, ...]:
        """What runs in the background, in start order (the notifier first, so it outlives the engine's last
        events at stop)."""
        parts: tuple[Lifecycle, ...] = (self.notifier, self.engine)
        return parts if self.scheduler is None else (*parts, self.scheduler)

    def start(self) -> None:
        """Seed the configured projects, then start the background parts (before the first RPC can arrive, so
        that a CreateExecution never finds the engine missing)."""
        if self.context.config.seed_projects:
            self.projects.seed(self.context.config.seed_projects)
        for part in self.lifecycle:
            part.start()

    def stop(self) -> None:
        """Stop the background parts, in reverse order."""
        for part in reversed(self.lifecycle):
            part.stop()


def build_context(config: AdminConfig, store: Store) -> AdminContext:
    """The infrastructure every manager shares, each piece made once."""
    return AdminContext(
        store=store,
        config=config,
        blobs=BlobStore.for_config(config),
        signer=UrlSigner.for_config(config),
        logs=LogStore.for_config(config),
    )


def task_credential(config: AdminConfig) -> TaskCredential | None:
    """The client eager tasks authenticate as when the admin is its own authorization server: ``flytepropeller``
    (the client propeller itself uses) if it may use the client credentials grant, else the first confidential
    client that may. None without auth, with an external identity provider (the admin mints no tokens for it), or
    without such a client."""
    from flyteplane.admin.auth.config import DEFAULT_CONFIDENTIAL_CLIENT_ID, GRANT_CLIENT_CREDENTIALS

    auth = config.auth
    if auth is None or auth.mode != "self":
        return None
    usable = [c for c in auth.clients if c.client_secret and GRANT_CLIENT_CREDENTIALS in c.grant_types]
    usable.sort(key=lambda c: c.client_id != DEFAULT_CONFIDENTIAL_CLIENT_ID)
    if not usable:
        return None
    return TaskCredential(usable[0].client_id, str(usable[0].client_secret))


def build_services(
    config: AdminConfig,
    store: Store,
    *,
    context: AdminContext | None = None,
    run_listener: RunListener | None = None,
) -> AdminServices:
    """Every part of an admin over ``store``, connected; nothing is started (see :meth:`AdminServices.start`).

    ``context`` reuses an existing :class:`AdminContext` (tests that prepared one); by default one is built.
    ``run_listener`` hears of every execution's start and end (:mod:`~flyteplane.admin.managers.run_listeners`).
    """
    ctx = context if context is not None else build_context(config, store)
    endpoints = Endpoints()
    endings = RunEndings()
    notifier = Notifier(config.notifications)
    recorder = EventRecorder(ctx, endings, on_ended=notifier.execution_ended, run_listener=run_listener)
    workflows = WorkflowManager(ctx)
    creator = ExecutionCreator(ctx, single_tasks=SingleTaskWorkflows(ctx.store, workflows.create_workflow))
    signals = SignalManager(ctx)
    catalog = CatalogManager(ctx.store)
    port = EngineAdmin(ctx, recorder=recorder, creator=creator, endings=endings, signals=signals, catalog=catalog)
    platform = PlatformAccess(
        endpoint=lambda: endpoints.grpc,
        certificate=lambda: endpoints.certificate,
        auth_required=config.auth is not None and config.auth.enabled,
        credential=task_credential(config),
    )
    engine = Engine(config, ctx.blobs, ctx.logs, port, http_endpoint=lambda: endpoints.http, platform=platform)
    node_executions = NodeExecutionManager(ctx)
    task_executions = TaskExecutionManager(ctx)
    executions = ExecutionManager(ctx, creator=creator, engine=engine, workflows=workflows)
    scheduler = None
    if config.scheduler:
        scheduler = Scheduler(ScheduleRepository(ctx.store), executions.create_execution)
    auth = None
    if config.auth is not None and config.auth.enabled:
        from flyteplane.admin.auth.runtime import AdminAuth

        auth = AdminAuth(ctx, config.auth)
    return AdminServices(
        context=ctx,
        endpoints=endpoints,
        recorder=recorder,
        endings=endings,
        engine=engine,
        auth=auth,
        projects=ProjectManager(ctx),
        tasks=TaskManager(ctx),
        workflows=workflows,
        launch_plans=LaunchPlanManager(ctx),
        named_entities=NamedEntityManager(ctx),
        descriptions=DescriptionEntityManager(ctx),
        attributes=AttributesManager(ctx),
        version=VersionManager(ctx),
        dataproxy=DataProxyManager(
            ctx,
            node_executions=node_executions,
            task_executions=task_executions,
            http_endpoint=lambda: endpoints.http,
        ),
        executions=executions,
        events=EventManager(recorder),
        node_executions=node_executions,
        task_executions=task_executions,
        signals=signals,
        scheduler=scheduler,
        notifier=notifier,
    )
