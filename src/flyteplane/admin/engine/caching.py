"""Cached tasks (``@task(cache=True, cache_version=...)``): propeller's catalog steps around a task node.

Propeller checks the catalog before a cacheable task node starts (``CheckCatalogCache`` in
``flytepropeller/pkg/controller/nodes/cache.go``, called from ``handleNotYetStartedNode``) and writes the outputs
after it succeeded (``WriteCatalogCache``); the key is the task's dataset and the inputs' tag
(:mod:`flyteplane.admin.domain.catalog_keys`). Here the same steps, through the engine's port
(:class:`~.port.TaskCatalog`):

* **hit**: the node runs no attempt; its only event is SUCCEEDED with the cached outputs and ``task_node_metadata``
  ``cache_status`` CACHE_HIT and the ``catalog_key`` (dataset, artifact tag, source task execution), as propeller
  reports it. No task execution is recorded (an array node reports the element as a SUCCEEDED external resource
  with the cache status);
* **miss**: the task runs; after it succeeded the outputs are cached and the SUCCEEDED node event reports
  CACHE_POPULATED with the ``catalog_key`` (CACHE_DISABLED for a task without outputs, which propeller does not
  cache; CACHE_PUT_FAILURE when the write fails, which does not fail the node);
* **overwrite_cache** (an execution's ``spec.overwrite_cache``): nothing is looked up, the task runs and its outputs
  replace the cached ones (propeller's CACHE_SKIPPED, then ``catalog.Update``);
* **cache_serialize**: before running, the node takes the key's reservation (datacatalog's GetOrExtendReservation,
  owner ``<execution>-<node>-<attempt>`` as propeller's ``computeCatalogReservationOwnerID``) and extends it every
  :data:`HEARTBEAT_SECONDS` while it runs. A node that finds the reservation held by another stays QUEUED, looking
  for the other's outputs every :data:`WAIT_POLL_SECONDS`, and succeeds as a hit once they are there; if the holder
  stops extending it (its admin died), the reservation expires and a waiter takes it. The holder releases it when
  the node ends, also when it failed (propeller leaves a failed holder's reservation to expire; releasing at once
  lets a waiter compute without waiting out the expiry).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from flyteidl.core import catalog_pb2, identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.compiler import identifier_key
from flyteplane.admin.domain.catalog_keys import (
    ArtifactKey,
    CatalogKeyError,
    artifact_key,
    is_cache_serializable,
    is_cacheable,
)
from flyteplane.admin.engine.port import TaskCatalog
from flyteplane.admin.engine.runtime import execution_error, fixed_length_unique_id
from flyteplane.admin.engine.state import NodeOutcome

if TYPE_CHECKING:
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = ["HEARTBEAT_SECONDS", "WAIT_POLL_SECONDS", "NodeCache", "cache_hit"]

log = logging.getLogger("flyteplane.admin.engine")

HEARTBEAT_SECONDS = 5.0
"""How often the holder of a reservation extends it (propeller: its workflow re-evaluation interval); it expires
three intervals after the last extension (datacatalog's grace multiplier)."""
WAIT_POLL_SECONDS = 0.2
"""How often a node waiting on another's reservation looks for its outputs and for a free reservation."""

_N = core_execution_pb2.NodeExecution
_C = catalog_pb2.CatalogCacheStatus
_RES = catalog_pb2.CatalogReservation
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_OWNER_ID_MAX_LENGTH = 50  # propeller's task.IDMaxLength


def cache_hit(runner: NodeRunner, task: tasks_pb2.TaskTemplate | None = None) -> NodeOutcome | None:
    """The outcome of a cacheable task node whose outputs are cached: it is reported SUCCEEDED (CACHE_HIT) and
    never runs. None for any other node, and on a miss. ``task`` is the node's task when the caller knows it (an
    array node's element); else the node's own is looked up."""
    try:
        cache = NodeCache.of(runner, task)
        return cache.hit() if cache is not None else None
    except Exception:  # the catalog failed: the task computes, as if nothing were cached
        log.exception("the cache lookup of node %s failed; the task runs", runner.uid)
        return None


class NodeCache:
    """One cacheable task node's use of the catalog (see the module docstring)."""

    def __init__(self, runner: NodeRunner, task: tasks_pb2.TaskTemplate, catalog: TaskCatalog) -> None:
        self.r = runner
        self.task = task
        self.catalog = catalog
        self.overwrite = runner.state.spec.overwrite_cache
        self.serialized = is_cache_serializable(task) and not self.overwrite
        eid = runner.state.execution_id
        self.owner_id = fixed_length_unique_id(f"{eid.name}-{runner.uid}-0", _OWNER_ID_MAX_LENGTH)
        self.key: ArtifactKey | None = None
        self.error = ""
        """Why the task has no cache key (an empty cache version): the node fails with it."""
        try:
            self.key = artifact_key(task, runner.inputs)
        except CatalogKeyError as e:
            self.error = f"failed to initialize the catalogKey: {e}"
        self._held = threading.Event()
        self._stop_heartbeat = threading.Event()
        self._heartbeat: threading.Thread | None = None

    @classmethod
    def of(cls, runner: NodeRunner, task: tasks_pb2.TaskTemplate | None = None) -> NodeCache | None:
        """The cache of a task node whose task is cacheable, when the engine has a catalog; else None."""
        if task is None:
            if runner.node.WhichOneof("target") != "task_node":
                return None
            task = runner.state.tasks.get(identifier_key(runner.node.task_node.reference_id))
        catalog = runner.state.services.catalog
        if task is None or catalog is None or not is_cacheable(task):
            return None
        return cls(runner, task, catalog)

    # -- before the attempts ------------------------------------------------------------------------------------
    def hit(self) -> NodeOutcome | None:
        """Finish the node with the cached outputs (CACHE_HIT), or None when there are none to use."""
        if self.key is None or self.overwrite:
            return None
        entry = self.catalog.get_cached(self.key)
        if entry is None or not self._fits(entry.outputs):
            return None
        self.r.task_node_metadata = event_pb2.TaskNodeMetadata(cache_status=_C.CACHE_HIT, catalog_key=entry.metadata)
        return self.r.finish(_N.SUCCEEDED, outputs=entry.outputs)

    def failure(self) -> NodeOutcome | None:
        """The node's failure when it has no cache key; None when it has one."""
        if not self.error:
            return None
        return self.r.finish(_N.FAILED, error=execution_error("CatalogCallFailed", self.error, _SYSTEM))

    def reserve(self) -> NodeOutcome | None:
        """With ``cache_serialize``: wait until this node holds the key's reservation (None: compute now), or until
        the holder's outputs are cached (the node's hit) or the node is aborted (ABORTED)."""
        if not self.serialized or self.key is None:
            return None
        token = self.r.token
        while not token.cancelled:
            held = self.catalog.get_or_extend_reservation(self.key, self.owner_id, HEARTBEAT_SECONDS)
            if held.owner_id == self.owner_id:
                self._hold()
                # The previous holder may have cached its outputs between our lookup and now.
                hit = self.hit()
                if hit is not None:
                    self.release()
                    return hit
                self.r.task_node_metadata = event_pb2.TaskNodeMetadata(reservation_status=_RES.RESERVATION_ACQUIRED)
                return None
            if token.wait(WAIT_POLL_SECONDS):
                break
            hit = self.hit()
            if hit is not None:
                return hit
        return self.r.finish(_N.ABORTED)

    def _hold(self) -> None:
        self._held.set()
        self._stop_heartbeat.clear()
        self._heartbeat = threading.Thread(target=self._extend, name=f"{self.r.uid}-reservation", daemon=True)
        self._heartbeat.start()

    def _extend(self) -> None:
        assert self.key is not None
        while not self._stop_heartbeat.wait(HEARTBEAT_SECONDS):
            try:
                self.catalog.get_or_extend_reservation(self.key, self.owner_id, HEARTBEAT_SECONDS)
            except Exception:  # the next beat tries again; the reservation outlives a few missed ones
                log.warning("extending the cache reservation of node %s failed", self.r.uid, exc_info=True)

    # -- after the attempts -------------------------------------------------------------------------------------
    def store(self, outputs: literals_pb2.LiteralMap, attempt: int) -> None:
        """Cache the outputs of the attempt that succeeded; the node's SUCCEEDED event reports how it went."""
        if self.key is None:
            return
        metadata = event_pb2.TaskNodeMetadata()
        interface = self.task.interface
        if interface.HasField("outputs") and not interface.outputs.variables:
            metadata.cache_status = _C.CACHE_DISABLED  # nothing to cache (propeller's WriteCatalogCache)
        else:
            eid = self.r.state.execution_id
            source = identifier_pb2.TaskExecutionIdentifier(task_id=self.task.id, retry_attempt=attempt)
            source.node_execution_id.node_id = self.r.uid
            source.node_execution_id.execution_id.CopyFrom(eid)
            try:
                key = self.catalog.put_cached(self.key, outputs, source, overwrite=self.overwrite)
                metadata.catalog_key.CopyFrom(key)
                metadata.cache_status = _C.CACHE_POPULATED
            except Exception:  # propeller ignores a failed catalog write: the node still succeeds
                log.warning("caching the outputs of node %s failed", self.r.uid, exc_info=True)
                metadata.cache_status = _C.CACHE_PUT_FAILURE
        if self._held.is_set():
            self.release()
            metadata.reservation_status = _RES.RESERVATION_RELEASED
        self.r.task_node_metadata = metadata

    def release(self) -> None:
        """Stop extending the reservation and release it (nothing when this node holds none)."""
        if not self._held.is_set() or self.key is None:
            return
        self._held.clear()
        self._stop_heartbeat.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        try:
            self.catalog.release_reservation(self.key, self.owner_id)
        except Exception:  # it expires on its own
            log.warning("releasing the cache reservation of node %s failed", self.r.uid, exc_info=True)

    def _fits(self, outputs: literals_pb2.LiteralMap) -> bool:
        """Whether cached outputs are the task's outputs (propeller's GenerateTaskOutputsFromArtifact checks the
        names; the dataset version already pins the interface)."""
        expected = set(self.task.interface.outputs.variables)
        if expected and set(outputs.literals) != expected:
            log.warning("cached outputs of node %s do not match the task's outputs; the task runs", self.r.uid)
            return False
        return True
