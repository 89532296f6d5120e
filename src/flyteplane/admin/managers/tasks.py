"""Tasks: CreateTask, GetTask, ListTasks, ListTaskIds (flyteadmin-semantics.md §2.1, §3).

A registered task version never changes, so GetTask answers from a bounded cache of built ``admin.Task`` messages
once a version has been read; the database is only asked on the first read of each version.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from flyteidl.admin import common_pb2, task_pb2
from flyteidl.core import identifier_pb2, tasks_pb2

from flyteplane.admin.compiler import CompileError, compile_task
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import utcnow
from flyteplane.admin.domain.validation.common import id_text, require
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store import schema

__all__ = ["TaskManager", "task_from_row"]

_T = schema.tasks

# Sidecar tasks need not define a primary container, so Flyte Admin skips container checks for them.
_CONTAINERLESS_TASK_TYPES = frozenset({"sidecar"})
# Flyte Admin adds this secret request to eager tasks (common.EagerSecretName).
_EAGER_SECRET = "EAGER_DEFAULT"

_GET = reg.by_key(_T, _T.c.closure, _T.c.created_at, _T.c.short_description)
_EXISTING = reg.by_key(_T, _T.c.digest, _T.c.closure)
_LIST_COLUMNS = (
    _T.c.project,
    _T.c.domain,
    _T.c.name,
    _T.c.version,
    _T.c.closure,
    _T.c.created_at,
    _T.c.short_description,
)


def task_from_row(row: Any, identifier: Any | None = None) -> task_pb2.Task:
    """A ``tasks`` row as Flyte Admin returns it: id (resource_type TASK), closure with the row's created_at, and the
    short description. ``identifier`` supplies the key when the row was selected without its key columns."""
    source = identifier if identifier is not None else row
    task = task_pb2.Task(
        id=reg.identifier_of(source, identifier_pb2.TASK), short_description=row.short_description or ""
    )
    task.closure.ParseFromString(row.closure)
    task.closure.created_at.CopyFrom(reg.timestamp(row.created_at))
    return task


class TaskManager:
    """Registers tasks and answers task reads."""

    def __init__(self, ctx: AdminContext, *, cache_size: int = 4096) -> None:
        self._ctx = ctx
        self._cache: reg.ResponseCache[tuple[str, str, str, str], task_pb2.Task] = reg.ResponseCache(cache_size)

    # --- CreateTask ------------------------------------------------------------------------------------------------

    def create_task(self, request: task_pb2.TaskCreateRequest) -> task_pb2.TaskCreateResponse:
        reg.validate_create_request(self._ctx, request, identifier_pb2.TASK)
        self._validate_template(request.id, request.spec.template)

        template = tasks_pb2.TaskTemplate()
        template.CopyFrom(request.spec.template)
        template.id.CopyFrom(request.id)
        if template.metadata.is_eager:
            template.security_context.secrets.add(key=_EAGER_SECRET)
        try:
            compiled = compile_task(template)
        except CompileError as e:
            raise invalid_argument(f"task failed compilation with {e}") from None

        now = utcnow()
        closure = task_pb2.TaskClosure(compiled_task=compiled)
        closure.created_at.CopyFrom(reg.timestamp(now))
        reg.register_version(
            self._ctx.store,
            _T,
            _EXISTING,
            request.id,
            {"closure": closure.SerializeToString(), "type": template.type},
            kind="task",
            now=now,
            structure=compiled,
            stored_structure=lambda row: task_pb2.TaskClosure.FromString(row.closure).compiled_task,
            description=(identifier_pb2.TASK, request.spec),
        )
        return task_pb2.TaskCreateResponse()

    def _validate_template(self, task_id: identifier_pb2.Identifier, template: tasks_pb2.TaskTemplate) -> None:
        """Flyte Admin's template checks, in its order: type, whitelist, metadata, runtime, interface, container."""
        require(template.type, "type")
        self._check_whitelist(task_id, template.type)
        if not template.HasField("metadata"):
            raise invalid_argument("missing metadata")
        if template.metadata.HasField("runtime"):
            require(template.metadata.runtime.version, "runtime version")
        if not template.HasField("interface"):
            raise invalid_argument("missing typed interface")
        if template.type in _CONTAINERLESS_TASK_TYPES:
            return
        if template.HasField("container"):
            require(template.container.image, "image")
            if template.container.HasField("resources"):
                _validate_resources(task_id, template.container.resources)

    def _check_whitelist(self, task_id: identifier_pb2.Identifier, task_type: str) -> None:
        whitelist = self._ctx.config.task_type_whitelist
        if whitelist is None:
            return
        projects = whitelist.get(task_type)
        if not projects:  # types the whitelist does not mention are allowed everywhere
            return
        if "" in projects or task_id.project in projects:
            return
        raise invalid_argument("task type must be whitelisted before use")

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_task(self, request: common_pb2.ObjectGetRequest) -> task_pb2.Task:
        """The task version; the returned message is shared with the cache and must not be modified."""
        # Flyte Admin only logs identifier problems here (and fills a missing resource type): an incomplete id is
        # simply not found. A request without any id is the one case it cannot look up.
        if not request.HasField("id"):
            raise invalid_argument("missing id")
        return reg.get_version(self._ctx.store, self._cache, _GET, request.id, "TASK", task_from_row)

    def list_tasks(self, request: common_pb2.ResourceListRequest) -> task_pb2.TaskList:
        rows, token = reg.list_versions(self._ctx.store, request, _T, "task", _LIST_COLUMNS, "ListTasks")
        return task_pb2.TaskList(tasks=[task_from_row(row) for row in rows], token=token)

    def list_task_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        return reg.list_names(self._ctx.store, request, _T, "task", "ListUniqueTaskIdentifiers")


# --- container resources ---------------------------------------------------------------------------------------------

# Kubernetes quantities: a decimal number and an optional suffix (binary, decimal SI or exponent).
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")


def parse_quantity(text: str) -> Fraction:
    """A Kubernetes resource quantity (``500m``, ``2Gi``, ``1e3``) as an exact number; ValueError as k8s words it."""
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(_QUANTITY_FORMAT_ERROR)
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    exponent = _EXPONENT.match(suffix)
    if exponent:
        return number * Fraction(10) ** int(exponent.group(1))
    raise ValueError("unable to parse quantity's suffix")


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


_RESOURCE_NAMES = tasks_pb2.Resources.ResourceName
_CHECKED_RESOURCES = (
    tasks_pb2.Resources.CPU,
    tasks_pb2.Resources.MEMORY,
    tasks_pb2.Resources.GPU,
    tasks_pb2.Resources.EPHEMERAL_STORAGE,
)


def _quantities(task_id: identifier_pb2.Identifier, entries: Any) -> dict[int, tuple[Fraction, str]]:
    found: dict[int, tuple[Fraction, str]] = {}
    for entry in entries:
        if entry.name not in _CHECKED_RESOURCES:
            continue
        label = _RESOURCE_NAMES.Name(entry.name)
        if entry.name in found:
            raise invalid_argument(f"can't specify {label} limit for task [{id_text(task_id)}] multiple times")
        try:
            quantity = parse_quantity(entry.value)
        except ValueError as e:
            raise invalid_argument(
                f"Parsing of {label} request failed for value {entry.value} - reason  {e}. Please follow K8s "
                "conventions for resources https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
            ) from None
        if entry.name == tasks_pb2.Resources.GPU and _ceil(quantity * 1000) % 1000 != 0:
            raise invalid_argument(f"gpu for [{id_text(task_id)}] must be a whole number, got: {entry.value} instead")
        found[entry.name] = (quantity, entry.value)
    return found


def _validate_resources(task_id: identifier_pb2.Identifier, resources: tasks_pb2.Resources) -> None:
    """Requests parse, do not exceed the limits, and GPU requests equal GPU limits (whole units compared, as
    Kubernetes' ``Quantity.Value()`` rounds up)."""
    requests = _quantities(task_id, resources.requests)
    limits = _quantities(task_id, resources.limits)
    for name, (requested, requested_text) in requests.items():
        if name not in limits:
            continue
        limit, limit_text = limits[name]
        if name == tasks_pb2.Resources.GPU:
            if _ceil(requested) != _ceil(limit):
                raise invalid_argument(
                    "For extended resource 'gpu' the default value must equal the limit value for task "
                    f"[{id_text(task_id)}]"
                )
        elif _ceil(limit) < _ceil(requested):
            raise invalid_argument(
                f"Requested {_RESOURCE_NAMES.Name(name)} default [{requested_text}] is greater than the limit "
                f"[{limit_text}]. Please fix your configuration"
            )
