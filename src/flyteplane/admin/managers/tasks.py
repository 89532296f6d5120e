"""Tasks: CreateTask, GetTask, ListTasks, ListTaskIds (Flyte Admin's ``flyteadmin/pkg/manager/impl/task_manager.go``).

A registered task version never changes, so GetTask answers from a bounded cache of built ``admin.Task`` messages
once a version has been read; the database is only asked on the first read of each version.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2, task_pb2
from flyteidl.core import identifier_pb2, tasks_pb2

from flyteplane.admin.compiler import CompileError, compile_task
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.times import timestamp, utcnow
from flyteplane.admin.domain.validation.common import (
    validate_create_request,
    validate_identifier_list_request,
    validate_resource_list_request,
)
from flyteplane.admin.domain.validation.tasks import validate_task_template
from flyteplane.admin.domain.wire_bytes import WireMessage
from flyteplane.admin.errors import invalid_argument
from flyteplane.admin.managers import _registry as reg
from flyteplane.admin.store.projects import ProjectRepository
from flyteplane.admin.store.registry import TaskRepository

__all__ = ["TaskManager"]

# Flyte Admin adds this secret request to eager tasks (common.EagerSecretName).
_EAGER_SECRET = "EAGER_DEFAULT"


class TaskManager:
    """Registers tasks and answers task reads."""

    def __init__(self, ctx: AdminContext, *, cache_size: int = 4096) -> None:
        self._ctx = ctx
        self._tasks = TaskRepository(ctx.store)
        self._projects = ProjectRepository(ctx.store)
        self._cache: reg.ResponseCache[tuple[str, str, str, str], task_pb2.Task] = reg.ResponseCache(
            cache_size, ctx.config.response_cache_bytes
        )

    # --- CreateTask ------------------------------------------------------------------------------------------------

    def create_task(self, request: task_pb2.TaskCreateRequest) -> task_pb2.TaskCreateResponse:
        validate_create_request(request, identifier_pb2.TASK, self._projects.state, self._ctx.config.domains)
        validate_task_template(request.id, request.spec.template, self._ctx.config.task_type_whitelist)

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
        closure.created_at.CopyFrom(timestamp(now))
        reg.check_entity_size("task", request.id, closure, self._ctx.config.max_entity_bytes)
        version_digest = reg.digest(compiled)
        existing = self._tasks.create(
            request.id,
            closure,
            task_type=template.type,
            digest=version_digest,
            description=request.spec.description if request.spec.HasField("description") else None,
            now=now,
        )
        reg.check_new_version(existing, request.id, kind="task", digest=version_digest, structure=compiled)
        return task_pb2.TaskCreateResponse()

    # --- reads -----------------------------------------------------------------------------------------------------

    def get_task(self, request: common_pb2.ObjectGetRequest) -> task_pb2.Task:
        """The task version; the returned message is shared with the cache and must not be modified."""
        # Flyte Admin only logs identifier problems here (and fills a missing resource type): an incomplete id is
        # simply not found. A request without any id is the one case it cannot look up.
        if not request.HasField("id"):
            raise invalid_argument("missing id")
        return reg.get_cached(self._cache, request.id, "TASK", self._tasks.get)

    def list_tasks(self, request: common_pb2.ResourceListRequest) -> task_pb2.TaskList:
        validate_resource_list_request(request)
        tasks, token = self._tasks.list(request, "ListTasks")
        return task_pb2.TaskList(tasks=tasks, token=token)

    def list_tasks_wire(self, request: common_pb2.ResourceListRequest) -> WireMessage:
        """:meth:`list_tasks` already serialized, from the stored bytes (what the gRPC servicer sends)."""
        validate_resource_list_request(request)
        return WireMessage(task_pb2.TaskList.DESCRIPTOR, self._tasks.list_wire(request, "ListTasks"))

    def list_task_ids(
        self, request: common_pb2.NamedEntityIdentifierListRequest
    ) -> common_pb2.NamedEntityIdentifierList:
        validate_identifier_list_request(request)
        return self._tasks.list_names(request, "ListUniqueTaskIdentifiers")
