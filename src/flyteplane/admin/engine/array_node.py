"""Array nodes (flytekit's ``map_task`` and ``ArrayNode``): one sub-node run once per element, as propeller's
``flytepropeller/pkg/controller/nodes/array`` handler runs them.

**Elements.** The array's size is the common length of its list inputs (``bound_inputs`` and non-list inputs are
given whole to every element; lists of different lengths fail with ``InvalidArrayLength``; only bound inputs make
one element). Element ``i`` gets each list input's ``i``-th item (propeller's ``constructLiteralMap``) and runs the
sub-node, a task or a launch plan, under the id ``n<i>`` inside the array node (node execution ``<node>-0-n<i>``):

* a task element is a :class:`~.task_node.TaskNode` with its own retries and timeouts (the sub-node's metadata,
  else the task's). With ``data_mode`` SINGLE_INPUT_FILE (what flytekit's ``ArrayNodeMapTask`` sets) its
  ``{{.input}}`` is the *array's* inputs and it finds its index in ``$FLYTE_K8S_ARRAY_INDEX`` (named by
  ``$BATCH_JOB_ARRAY_INDEX_VAR_NAME``, as propeller sets them for ``pyflyte-map-execute``); with
  INDIVIDUAL_INPUT_FILES (a reference task) it gets an inputs file of its own;
* a launch-plan element starts a child execution, whose parent node is the element's node execution.

**Concurrency.** ``parallelism`` elements run at once; unset or 0 means no limit of the array's own (propeller's
default ``unlimited`` behavior), but this machine runs at most :data:`LOCAL_ELEMENT_LIMIT` element processes of one
array at once, as a cluster runs the pods that fit and queues the rest. The array node itself holds one of the run's
parallelism slots, its elements none (propeller runs sub-nodes with a max parallelism of 0).

**Success.** The array succeeds once every element ended and at least ``min_successes`` (else
``ceil(min_success_ratio * size)``, else all) succeeded; each output is then a collection of the elements' outputs,
in index order, with a ``none`` literal for each element that did not succeed. As soon as too many elements failed
for that to be reached, the running elements are aborted (unless ``run_all_sub_nodes``) and the node fails with the
count and the elements' errors.

**Records**, as propeller's array event recorder leaves them: every event of the array node has ``is_array``. A task
sub-node gets one task execution of the array node (attempt 0, type ``container_array``, plugin ``k8s-array``):
QUEUED with the array's inputs, RUNNING with a ``phase_version`` bump whenever elements changed (each change an
``ExternalResourceInfo``: index, retry attempt, phase, log links named ``<name>-<index>``), and SUCCEEDED (the outputs),
FAILED (the error) or ABORTED with every element's last state. ``execution_mode`` MINIMAL_STATE keeps the elements
in those external resources only; FULL_STATE (and every launch-plan sub-node, whose child executions need a parent
node execution) also records each element as a node execution under the array node, with its own task executions.
"""

from __future__ import annotations

import copy
import math
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, tasks_pb2, workflow_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.compiler import identifier_key
from flyteplane.admin.engine.caching import cache_hit
from flyteplane.admin.engine.events import Emitter
from flyteplane.admin.engine.runtime import CancelToken, fixed_length_unique_id
from flyteplane.admin.engine.runtime import execution_error as _error
from flyteplane.admin.engine.state import NodeOutcome, RunState
from flyteplane.admin.engine.task_node import TaskNode
from flyteplane.admin.engine.task_runner import OUTPUTS_FILE

if TYPE_CHECKING:
    from flyteplane.admin.engine.nodes import NodeRunner

__all__ = [
    "INDEX_VAR",
    "INDEX_VAR_NAME",
    "LOCAL_ELEMENT_LIMIT",
    "ArrayNode",
    "ArraySpecError",
    "array_size",
    "element_inputs",
    "required_successes",
]

_N = core_execution_pb2.NodeExecution
_T = core_execution_pb2.TaskExecution
_USER = core_execution_pb2.ExecutionError.USER
_SYSTEM = core_execution_pb2.ExecutionError.SYSTEM
_A = workflow_pb2.ArrayNode

INDEX_VAR_NAME = "BATCH_JOB_ARRAY_INDEX_VAR_NAME"
"""Names the variable holding an element's index (flytekit's ``_compute_array_job_index`` reads it)."""
INDEX_VAR = "FLYTE_K8S_ARRAY_INDEX"
"""Holds an element's index, as propeller's array execution context sets it."""
LOCAL_ELEMENT_LIMIT = max(4, 2 * (os.cpu_count() or 1))
"""At most this many elements of one array node run at once on this machine."""

_TASK_TYPE = "container_array"  # what propeller's array event recorder reports, whatever the task's own type
_PLUGIN = "k8s-array"
_ID_MAX_LENGTH = 50  # propeller's task.IDMaxLength, for the external ids
_FLUSH_SECONDS = 0.1  # how often element changes are folded into one RUNNING event (propeller's rounds)
_MAX_ERRORS = 10  # distinct element errors quoted in the node's error
_FAILING_REASON = "ArrayNodeFailing"  # propeller aborts the remaining elements with this reason
_DONE = (_N.SUCCEEDED, _N.FAILED, _N.TIMED_OUT, _N.ABORTED, _N.RECOVERED)


class ArraySpecError(Exception):
    """The array node's inputs do not define its elements."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def array_size(inputs: literals_pb2.LiteralMap, bound: Iterable[str]) -> int:
    """The number of elements: the common length of the list inputs that are not bound (propeller's rules)."""
    bound = set(bound)
    size = -1
    for name in sorted(inputs.literals):  # in name order, so that a length mismatch always reads the same
        literal = inputs.literals[name]
        if name in bound:
            continue
        if literal.HasField("offloaded_metadata"):
            raise ArraySpecError(
                "NotSupported", f"input [{name}] is an offloaded literal, which array nodes here do not read"
            )
        if literal.WhichOneof("value") == "collection":
            length = len(literal.collection.literals)
            if size == -1:
                size = length
            elif size != length:
                raise ArraySpecError(
                    "InvalidArrayLength", f"input arrays have different lengths: expecting '{size}' found '{length}'"
                )
    if size == -1:
        if bound and bound.issuperset(inputs.literals):
            return 1  # every input is bound: one element
        raise ArraySpecError("InvalidArrayLength", "no input array provided")
    return size


def element_inputs(inputs: literals_pb2.LiteralMap, index: int, bound: Iterable[str]) -> literals_pb2.LiteralMap:
    """Element ``index``'s inputs: the ``index``-th item of each list input; bound and other inputs whole."""
    bound = set(bound)
    out = literals_pb2.LiteralMap()
    for name, literal in inputs.literals.items():
        if literal.WhichOneof("value") == "collection" and name not in bound:
            out.literals[name].CopyFrom(literal.collection.literals[index])
        else:
            out.literals[name].CopyFrom(literal)
    return out


def required_successes(spec: workflow_pb2.ArrayNode, size: int) -> int:
    """How many elements must succeed: ``min_successes``, else ``ceil(min_success_ratio * size)``, else all."""
    criteria = spec.WhichOneof("success_criteria")
    if criteria == "min_successes":
        return spec.min_successes
    if criteria == "min_success_ratio":
        return math.ceil(spec.min_success_ratio * size)
    return size


def _parallelism(spec: workflow_pb2.ArrayNode, size: int) -> int:
    requested = spec.parallelism if spec.WhichOneof("parallelism_option") == "parallelism" else 0
    return max(1, min(size, requested or size, LOCAL_ELEMENT_LIMIT))


def _none_literal() -> literals_pb2.Literal:
    literal = literals_pb2.Literal()
    literal.scalar.none_type.SetInParent()
    return literal


def _no_upstream(_node_id: str) -> literals_pb2.LiteralMap | None:
    return None  # elements get their inputs from the array, never through bindings


def _to_task_phase(node_phase: int | None) -> int:
    """An element's task phase from its node phase (propeller's mapNodeExecutionPhaseToTaskExecutionPhase)."""
    if node_phase in (_N.SUCCEEDED, _N.RECOVERED):
        return _T.SUCCEEDED
    if node_phase in (_N.FAILED, _N.TIMED_OUT):
        return _T.FAILED
    if node_phase == _N.ABORTED:
        return _T.ABORTED
    if node_phase == _N.QUEUED:
        return _T.QUEUED
    if node_phase == _N.RUNNING:
        return _T.RUNNING
    return _T.UNDEFINED  # never started


class _ElementEmitter(Emitter):
    """The events of one element: its task events become the array's external resources; its node and task
    events are recorded as they are only in FULL_STATE (propeller's externalResourcesEventRecorder)."""

    def __init__(self, array: ArrayNode, index: int) -> None:  # no super().__init__: it wraps the run's emitter
        self._array = array
        self._inner = array.state.services.emitter
        self._index = index

    def workflow(self, *args: object, **kwargs: object) -> bool:  # type: ignore[override]
        return self._inner.workflow(*args, **kwargs)  # type: ignore[arg-type]

    def node(self, event: event_pb2.NodeExecutionEvent, *, force: bool = False) -> bool:
        self._array.element_phase(self._index, event.phase)
        if event.HasField("task_node_metadata") and event.task_node_metadata.cache_status:
            self._array.element_cache_status(self._index, event.phase, event.task_node_metadata.cache_status)
        if self._array.full_state:
            return self._inner.node(event, force=force)
        return True

    def task(self, event: event_pb2.TaskExecutionEvent, *, force: bool = False) -> bool:
        self._array.element_task_event(self._index, event)
        if self._array.full_state:
            return self._inner.task(event, force=force)
        return True


class _ElementTask(TaskNode):
    """A task element: a task node that also tells the process its index, as propeller does."""

    def __init__(self, runner: NodeRunner, index: int) -> None:
        super().__init__(runner)
        self.index = index

    def _env(self, attempt: int) -> dict[str, str]:
        env = super()._env(attempt)
        env[INDEX_VAR_NAME] = INDEX_VAR
        env[INDEX_VAR] = str(self.index)
        return env


class ArrayNode:
    """One array node's run (see the module docstring). :meth:`run` blocks until the node is done."""

    def __init__(self, runner: NodeRunner) -> None:
        self.r = runner
        self.state: RunState = runner.state
        self.spec: workflow_pb2.ArrayNode = runner.node.array_node
        self.sub: workflow_pb2.Node = self.spec.node
        self.bound = list(self.spec.bound_inputs)
        self.task: tasks_pb2.TaskTemplate | None = None
        self.full_state = self.spec.execution_mode == _A.FULL_STATE
        self.size = 0
        # Elements run under their own token: cancelled by the run's, or when the array can no longer succeed.
        self.token = CancelToken(runner.token)
        self._lock = threading.Lock()
        self._phases: list[int | None] = []
        self._attempts: list[int] = []
        self._outcomes: list[NodeOutcome | None] = []
        self._failed = 0
        self._latest: dict[tuple[int, int], event_pb2.ExternalResourceInfo] = {}
        self._pending: dict[tuple[int, int], event_pb2.ExternalResourceInfo] = {}
        self._version = -1
        self._next = 0
        self._needed = 0

    # -- the node's life --------------------------------------------------------------------------------------
    def run(self) -> NodeOutcome:
        r = self.r
        kind = self.sub.WhichOneof("target")
        if kind == "task_node":
            ref = self.sub.task_node.reference_id
            self.task = self.state.tasks.get(identifier_key(ref))
            if self.task is None:
                return r.finish(
                    _N.FAILED, error=_error("TaskNotFound", f"task [{ref.name}] is not in the closure", _SYSTEM)
                )
        elif kind == "workflow_node" and self.sub.workflow_node.HasField("launchplan_ref"):
            self.full_state = True  # a child execution's parent must be a recorded node execution
        else:
            what = "a sub-workflow" if kind == "workflow_node" else f"a {kind or 'missing'} sub-node"
            message = f"array nodes over {what} are not supported: an array node maps a task or a launch plan"
            return r.finish(_N.FAILED, error=_error("NotSupported", message, _SYSTEM))
        try:
            self.size = array_size(r.inputs, self.bound)
        except ArraySpecError as e:
            return r.finish(_N.FAILED, error=_error(e.code, e.message, _USER))
        self._needed = required_successes(self.spec, self.size)
        self._phases = [None] * self.size
        self._attempts = [0] * self.size
        self._outcomes = [None] * self.size
        if not r.acquire_slot():
            return r.finish(_N.ABORTED)
        try:
            if self.task is not None:
                initial = [self._resource(i, 0, _T.UNDEFINED) for i in range(self.size)]
                self._task_event(_T.QUEUED, 0, initial, input_uri=r.input_uri)
            r.mark_running()
            self._run_elements()
            return self._conclude()
        finally:
            self.state.slots.release()

    def _run_elements(self) -> None:
        workers = [
            threading.Thread(target=self._work, name=f"{self.r.uid}-element-{n}", daemon=True)
            for n in range(_parallelism(self.spec, self.size) if self.size else 0)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(_FLUSH_SECONDS)
                self._flush()
        self._flush()

    def _work(self) -> None:
        while not self.token.cancelled:
            with self._lock:
                index = self._next
                if index >= self.size:
                    return
                self._next += 1
            try:
                outcome = self._run_element(index)
            except Exception as e:  # the engine's own bug: this element fails, the others go on
                outcome = NodeOutcome(
                    _N.FAILED, error=_error("EngineError", f"the engine failed running element {index}: {e!r}", _SYSTEM)
                )
            self._element_done(index, outcome)

    def _run_element(self, index: int) -> NodeOutcome:
        from flyteplane.admin.engine.nodes import NodeRunner

        # The element's own view of the run: its events go through the array, its slots are the array's workers.
        state = copy.copy(self.state)
        state.services = copy.copy(self.state.services)
        state.services.emitter = _ElementEmitter(self, index)
        state.slots = threading.BoundedSemaphore(1)
        node = workflow_pb2.Node()
        node.CopyFrom(self.sub)
        node.id = node.metadata.name = f"n{index}"
        del node.inputs[:]  # propeller clears the sub-node's bindings: the array gives the inputs
        runner = NodeRunner(state, node, self.r.scope.inside(self.r.uid, 0), _no_upstream, self.token)
        runner.inputs = element_inputs(self.r.inputs, index, self.bound)
        single_file = self.task is not None and self.spec.data_mode == _A.SINGLE_INPUT_FILE
        if single_file:
            runner.input_uri = self.r.input_uri
        else:
            key = state.node_key(runner.uid, "inputs.pb")
            runner.input_uri = state.put_literal_map(key, runner.inputs)
        if self.task is not None:  # elements are cached one by one, as propeller's array node checks each
            hit = cache_hit(runner, self.task)
            if hit is not None:
                return hit
        runner.emit(_N.QUEUED)
        if self.task is None:
            return runner._launch_plan()  # the launch-plan node's own run, with the element's inputs
        element = _ElementTask(runner, index)
        if single_file:
            element.inputs_key = state.node_key(self.r.uid, "inputs.pb")
        return element.run()

    # -- what elements report ---------------------------------------------------------------------------------
    def element_phase(self, index: int, phase: int) -> None:
        with self._lock:
            self._phases[index] = phase

    def element_task_event(self, index: int, event: event_pb2.TaskExecutionEvent) -> None:
        """Fold an element's task event into the array's external resources (propeller's ``process``)."""
        resource = self._resource(index, event.retry_attempt, event.phase)
        for log in event.logs:
            link = resource.logs.add()
            link.CopyFrom(log)
            link.name = f"{log.name}-{index}"
        if event.HasField("custom_info"):
            resource.custom_info.CopyFrom(event.custom_info)
        key = (index, event.retry_attempt)
        with self._lock:
            self._attempts[index] = max(self._attempts[index], event.retry_attempt)
            earlier = self._latest.get(key)
            if earlier is not None and not resource.logs:
                resource.logs.extend(earlier.logs)
            self._latest[key] = resource
            self._pending[key] = resource

    def element_cache_status(self, index: int, node_phase: int, status: int) -> None:
        """An element's cache status, reported on its external resource (propeller's array event recorder); a
        cache hit ran no task, so its resource is made here, SUCCEEDED."""
        with self._lock:
            key = (index, self._attempts[index])
            resource = self._latest.get(key)
            if resource is None:
                resource = self._resource(index, key[1], _to_task_phase(node_phase))
            else:
                copied = event_pb2.ExternalResourceInfo()
                copied.CopyFrom(resource)
                resource = copied
            resource.cache_status = status
            self._latest[key] = resource
            self._pending[key] = resource

    def _element_done(self, index: int, outcome: NodeOutcome) -> None:
        with self._lock:
            self._outcomes[index] = outcome
            self._phases[index] = outcome.phase
            if outcome.phase in (_N.FAILED, _N.TIMED_OUT):
                self._failed += 1
            hopeless = self.size - self._failed < self._needed
        if hopeless and not self.spec.run_all_sub_nodes:
            self.token.cancel(_FAILING_REASON)

    # -- the array's task execution ---------------------------------------------------------------------------
    def _resource(self, index: int, attempt: int, phase: int) -> event_pb2.ExternalResourceInfo:
        eid = self.state.execution_id
        prefix = fixed_length_unique_id(f"{eid.name}-{self.r.uid}-0", _ID_MAX_LENGTH)
        return event_pb2.ExternalResourceInfo(
            external_id=f"{prefix}-n{index}-{attempt}", index=index, retry_attempt=attempt, phase=phase
        )

    def _flush(self) -> None:
        """Report the elements' changes since the last report, as one RUNNING event with the next phase version."""
        if self.task is None:
            return
        with self._lock:
            changed = [self._pending[key] for key in sorted(self._pending)]
            self._pending.clear()
        if changed:
            self._version += 1
            self._task_event(_T.RUNNING, self._version, changed)

    def _final_resources(self) -> list[event_pb2.ExternalResourceInfo]:
        """Every element's last attempt in its final phase (propeller's updateExternalResourceSubnodePhases)."""
        resources = []
        with self._lock:
            for index in range(self.size):
                attempt = self._attempts[index]
                resource = event_pb2.ExternalResourceInfo()
                resource.CopyFrom(self._latest.get((index, attempt)) or self._resource(index, attempt, _T.UNDEFINED))
                resource.phase = _to_task_phase(self._phases[index])
                resources.append(resource)
        return resources

    def _task_event(
        self,
        phase: int,
        version: int,
        resources: list[event_pb2.ExternalResourceInfo],
        *,
        input_uri: str = "",
        output_uri: str = "",
        error: core_execution_pb2.ExecutionError | None = None,
        reason: str = "",
    ) -> bool:
        assert self.task is not None
        eid = self.state.execution_id
        ev = event_pb2.TaskExecutionEvent(
            retry_attempt=0,  # an array node is never retried
            phase=phase,
            phase_version=version,
            task_type=_TASK_TYPE,
            reason=reason,
            event_version=1,
        )
        ev.task_id.CopyFrom(self.task.id)
        ev.parent_node_execution_id.CopyFrom(
            identifier_pb2.NodeExecutionIdentifier(node_id=self.r.uid, execution_id=eid)
        )
        ev.metadata.plugin_identifier = _PLUGIN
        ev.metadata.external_resources.extend(resources)
        if input_uri:
            ev.input_uri = input_uri
        if output_uri:
            ev.output_uri = output_uri
        elif error is not None:
            ev.error.CopyFrom(error)
        return self.state.services.emitter.task(ev)

    # -- the end ----------------------------------------------------------------------------------------------
    def _conclude(self) -> NodeOutcome:
        r = self.r
        outcomes = self._outcomes
        succeeded = sum(1 for o in outcomes if o is not None and o.ok)
        if r.token.cancelled:
            if self.task is not None:
                self._task_event(_T.ABORTED, 0, self._final_resources(), reason=r.token.reason)
            return r.finish(_N.ABORTED)
        if succeeded >= self._needed and all(o is not None for o in outcomes):
            outputs = self._gather()
            uri = self.state.put_literal_map(self.state.node_key(r.uid, 0, OUTPUTS_FILE), outputs)
            if self.task is not None:
                self._task_event(_T.SUCCEEDED, 0, self._final_resources(), output_uri=uri)
            return r.finish(_N.SUCCEEDED, outputs=outputs, output_uri=uri)
        error = self._error(succeeded)
        if self.task is not None:
            self._task_event(_T.FAILED, 0, self._final_resources(), error=error)
        return r.finish(_N.FAILED, error=error)

    def _gather(self) -> literals_pb2.LiteralMap:
        """Each output as a collection over the elements, ``none`` for an element that did not succeed."""
        names: set[str] = set()
        if self.task is not None:
            names.update(self.task.interface.outputs.variables)
        for outcome in self._outcomes:
            if outcome is not None and outcome.ok and outcome.outputs is not None:
                names.update(outcome.outputs.literals)
        outputs = literals_pb2.LiteralMap()
        for name in sorted(names):
            items = outputs.literals[name].collection
            items.SetInParent()
            for outcome in self._outcomes:
                item = items.literals.add()
                if outcome is not None and outcome.ok and outcome.outputs and name in outcome.outputs.literals:
                    item.CopyFrom(outcome.outputs.literals[name])
                else:
                    item.CopyFrom(_none_literal())
        return outputs

    def _error(self, succeeded: int) -> core_execution_pb2.ExecutionError:
        """The count, then the elements' errors by message with the indexes that had it (propeller's
        ErrorMessageCollector summary)."""
        failed = self._failed
        aborted = sum(1 for o in self._outcomes if o is not None and o.phase == _N.ABORTED)
        not_run = sum(1 for o in self._outcomes if o is None)
        parts = [f"{failed} failed"]
        if aborted:
            parts.append(f"{aborted} aborted")
        if not_run:
            parts.append(f"{not_run} not started")
        head = (
            f"array node failed: {succeeded} of {self.size} elements succeeded ({', '.join(parts)}); "
            f"at least {self._needed} must succeed"
        )
        by_message: dict[str, list[int]] = {}
        kinds = set()
        for index, outcome in enumerate(self._outcomes):
            if outcome is not None and outcome.phase in (_N.FAILED, _N.TIMED_OUT) and outcome.error is not None:
                by_message.setdefault(outcome.error.message or outcome.error.code, []).append(index)
                kinds.add(outcome.error.kind)
        lines = [head]
        for message in sorted(by_message)[:_MAX_ERRORS]:
            lines.append(f"{_ranges(by_message[message])}: {message}")
        if len(by_message) > _MAX_ERRORS:
            lines.append(f"... and {len(by_message) - _MAX_ERRORS} more distinct errors")
        kind = _SYSTEM if kinds == {_SYSTEM} else _USER
        return _error(_FAILING_REASON, "\n".join(lines), kind)


def _ranges(indexes: list[int]) -> str:
    """``[0-2][5]`` for 0, 1, 2 and 5, as propeller's index range collection prints them."""
    out = []
    start = prev = indexes[0]
    for index in indexes[1:]:
        if index != prev + 1:
            out.append(f"[{start}]" if start == prev else f"[{start}-{prev}]")
            start = index
        prev = index
    out.append(f"[{start}]" if start == prev else f"[{start}-{prev}]")
    return "".join(out)
