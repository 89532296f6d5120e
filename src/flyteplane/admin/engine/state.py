"""The state one run carries through its DAG walk, and the engine-wide resources it uses."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flyteidl.admin import execution_pb2, launch_plan_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, tasks_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from flyteplane.admin.blobs import BlobStore
from flyteplane.admin.compiler import IdentifierKey, identifier_key
from flyteplane.admin.engine.agent_tasks import AgentTasks
from flyteplane.admin.engine.environments import TaskEnvironment
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.logs import LogStore
from flyteplane.admin.engine.platform_access import PlatformAccess
from flyteplane.admin.engine.port import ChildLaunch, ChildOutcome, GateSignals, RecoveredNode, TaskCatalog
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.storage_env import TaskStorage
from flyteplane.admin.engine.task_runner import ProcessTable
from flyteplane.admin.engine.warm_processes import WarmPool

if TYPE_CHECKING:
    from flyteplane.admin.engine.resume import Resumed

__all__ = ["EngineResources", "NodeOutcome", "RunState"]

NodePhase = core_execution_pb2.NodeExecution


@dataclass
class NodeOutcome:
    """How a node ended (a ``core.NodeExecution.Phase``), with its outputs or error."""

    phase: int
    outputs: literals_pb2.LiteralMap | None = None
    error: core_execution_pb2.ExecutionError | None = None
    output_uri: str = ""

    @property
    def ok(self) -> bool:
        """Whether downstream nodes may use this node's outputs."""
        return self.phase in (NodePhase.SUCCEEDED, NodePhase.RECOVERED)


@dataclass
class EngineResources:
    """What every run of one engine shares: stores, the event emitter, the process table, the task environment,
    and the engine's own child-execution operations (which go through its :class:`~.port.AdminPort`)."""

    blobs: BlobStore
    logs: LogStore
    emitter: Emitter
    processes: ProcessTable
    python: str
    pythonpath: tuple[str, ...]
    kill_grace: float
    raw_output_root: str
    """Default base of raw output prefixes, when the run names none; "": the blob store's (``storage``)."""
    work_root: Path
    """Where attempts get their working directories."""
    http_endpoint: Callable[[], str | None]
    launch_child: Callable[[ChildLaunch], identifier_pb2.WorkflowExecutionIdentifier]
    wait_child: Callable[[identifier_pb2.WorkflowExecutionIdentifier, CancelToken], ChildOutcome]
    terminate_child: Callable[[identifier_pb2.WorkflowExecutionIdentifier, str], None]
    launch_plan: Callable[[identifier_pb2.Identifier], launch_plan_pb2.LaunchPlan]
    """A launch plan a dynamic workflow calls (raises ``AdminError`` when there is none)."""
    signals: GateSignals
    """Gate nodes' signals, through the engine's port."""
    agents: AgentTasks | None = None
    """Runs tasks without a container through Flyte's agent protocol (:mod:`.agent_tasks`); None: no agents."""
    platform: PlatformAccess = field(default_factory=PlatformAccess)
    """How task processes reach the admin (its gRPC endpoint, TLS, a credential for eager tasks)."""
    catalog: TaskCatalog | None = None
    """The task cache, through the engine's port (:mod:`.caching`); None: cached tasks always run."""
    environment: TaskEnvironment | None = None
    """Task processes' secrets, per-image interpreters and variables (:mod:`.environments`)."""
    storage: TaskStorage | None = None
    """The blob store as task processes reach it (:mod:`.storage_env`); None: raw data in its folder, no S3 env."""
    warm: WarmPool | None = None
    """Fork servers that start flytekit entrypoints warm (:mod:`.warm_processes`); None: every attempt is cold."""


@dataclass
class RunState:
    """One execution being run."""

    services: EngineResources
    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    closure: compiler_pb2.CompiledWorkflowClosure
    spec: execution_pb2.ExecutionSpec
    token: CancelToken
    max_parallelism: int
    recovered: dict[str, RecoveredNode] = field(default_factory=dict)
    resumed: Resumed | None = None
    """The records of an earlier admin process's run of this execution, which this run goes on from."""
    tasks: dict[IdentifierKey, tasks_pb2.TaskTemplate] = field(default_factory=dict)
    sub_workflows: dict[IdentifierKey, compiler_pb2.CompiledWorkflow] = field(default_factory=dict)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        # Task and launch-plan nodes running at once (propeller's max parallelism); other nodes take no slot.
        self.slots = threading.BoundedSemaphore(max(1, self.max_parallelism))
        self.tasks = {identifier_key(t.template.id): t.template for t in self.closure.tasks}
        self.sub_workflows = {identifier_key(w.template.id): w for w in self.closure.sub_workflows}

    @property
    def fail_immediately(self) -> bool:
        policy = self.closure.primary.template.metadata.on_failure
        return policy != workflow_pb2.WorkflowMetadata.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE

    # -- data layout (propeller's metadata/propeller/<project>-<domain>-<name>/<node>/data/...) -------------------
    @property
    def prefix(self) -> str:
        eid = self.execution_id
        return f"metadata/propeller/{eid.project}-{eid.domain}-{eid.name}"

    def node_key(self, node_id: str, *parts: str | int) -> str:
        return "/".join([self.prefix, node_id, "data", *(str(p) for p in parts)])

    def put_literal_map(self, key: str, literal_map: literals_pb2.LiteralMap) -> str:
        """Store a literal map; return its native URL (what events and records carry)."""
        self.services.blobs.put(key, literal_map.SerializeToString())
        return self.services.blobs.native_url(key)

    def local_url(self, key: str) -> str:
        """The ``file://`` URL of a key, which a local process can always open."""
        return self.services.blobs.path_of(key).as_uri()

    def raw_output_prefix(self, node_id: str, attempt: int) -> str:
        """Propeller's ``<raw output prefix>/<shard>/<execution>-<node>-<attempt>``."""
        base = self.spec.raw_output_data_config.output_location_prefix or self.services.raw_output_root
        if not base:
            storage = self.services.storage
            base = storage.raw_output_root() if storage else self.services.blobs.path_of("data").as_posix()
        unique = f"{self.execution_id.name}-{node_id}-{attempt}"
        shard = hashlib.sha1(unique.encode(), usedforsecurity=False).hexdigest()[:2]
        return f"{base.rstrip('/')}/{shard}/{unique}"
