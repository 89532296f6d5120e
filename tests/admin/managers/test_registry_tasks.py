"""TaskManager: CreateTask validation order and messages, identical/different re-registration, GetTask, ListTasks,
ListTaskIds (Flyte Admin's ``flyteadmin/pkg/manager/impl/task_manager.go``), against a real in-memory store."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import common_pb2, description_entity_pb2, task_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2
from sqlalchemy import event

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.domain.validation.tasks import parse_quantity
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.description_entities import DescriptionEntityManager
from flyteplane.admin.managers.tasks import TaskManager
from flyteplane.admin.store import schema
from flyteplane.admin.store.db import Store
from flyteplane.admin.wiring import build_context

P, D = "flytesnacks", "development"


@pytest.fixture
def tasks(ctx: AdminContext) -> TaskManager:
    return TaskManager(ctx)


def task_id(name: str = "my.task", version: str = "v1", project: str = P, domain: str = D) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=project, domain=domain, name=name, version=version
    )


def task_spec(image: str = "ghcr.io/example/img:v1", **container: object) -> task_pb2.TaskSpec:
    integer = types_pb2.LiteralType(simple=types_pb2.INTEGER)
    template = tasks_pb2.TaskTemplate(
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(
                type=tasks_pb2.RuntimeMetadata.FLYTE_SDK, version="1.16.0", flavor="python"
            ),
            retries=literals_pb2.RetryStrategy(retries=0),
        ),
        interface=interface_pb2.TypedInterface(
            inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=integer)}),
            outputs=interface_pb2.VariableMap(variables={"o0": interface_pb2.Variable(type=integer)}),
        ),
        container=tasks_pb2.Container(image=image, args=["pyflyte-execute", "--inputs", "{{.input}}"], **container),
    )
    return task_pb2.TaskSpec(template=template)


def create(manager: TaskManager, ident: identifier_pb2.Identifier, spec: task_pb2.TaskSpec) -> None:
    manager.create_task(task_pb2.TaskCreateRequest(id=ident, spec=spec))


def error_of(call, *args) -> AdminError:  # type: ignore[no-untyped-def]
    with pytest.raises(AdminError) as info:
        call(*args)
    return info.value


def create_error(manager: TaskManager, request: task_pb2.TaskCreateRequest) -> tuple[grpc.StatusCode, str]:
    err = error_of(manager.create_task, request)
    return err.code, err.message


# --- CreateTask: validation, in Flyte Admin's order -----------------------------------------------------------------


def _request(ident: identifier_pb2.Identifier | None = None, spec: task_pb2.TaskSpec | None = None):  # type: ignore[no-untyped-def]
    request = task_pb2.TaskCreateRequest()
    if ident is not None:
        request.id.CopyFrom(ident)
    if spec is not None:
        request.spec.CopyFrom(spec)
    return request


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        (None, "missing id"),
        (
            identifier_pb2.Identifier(project=P, domain=D, name="n", version="v"),
            'unexpected resource type unspecified for identifier [project:"flytesnacks" domain:"development" '
            'name:"n" version:"v"], expected task instead',
        ),
        (
            identifier_pb2.Identifier(
                resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name="n", version="v"
            ),
            'unexpected resource type workflow for identifier [resource_type:WORKFLOW project:"flytesnacks" '
            'domain:"development" name:"n" version:"v"], expected task instead',
        ),
        (task_id(project=""), "missing project"),
        (task_id(domain=""), "missing domain"),
        (task_id(name=""), "missing name"),
        (task_id(version=""), "missing version"),
        (
            task_id(project="nope"),
            "failed to validate that project [nope] and domain [development] are registered, "
            "err: [project [nope] not found]",
        ),
        (task_id(project="archived"), "project [archived] is not active"),
        (task_id(domain="qa"), "domain [qa] is unrecognized by system"),
    ],
)
def test_create_task_identifier_and_project_checks(tasks: TaskManager, ident, message: str) -> None:  # type: ignore[no-untyped-def]
    code, text = create_error(tasks, _request(ident, task_spec()))
    assert (code, text) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_create_task_requires_spec_and_template(tasks: TaskManager) -> None:
    assert create_error(tasks, _request(task_id())) == (grpc.StatusCode.INVALID_ARGUMENT, "missing spec")
    assert create_error(
        tasks, _request(task_id(), task_pb2.TaskSpec(description=description_entity_pb2.DescriptionEntity()))
    ) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "missing spec",
    )


def _mutated(change) -> task_pb2.TaskSpec:  # type: ignore[no-untyped-def]
    spec = task_spec()
    change(spec.template)
    return spec


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: setattr(t, "type", ""), "missing type"),
        (lambda t: t.ClearField("metadata"), "missing metadata"),
        (lambda t: setattr(t.metadata.runtime, "version", ""), "missing runtime version"),
        (lambda t: t.ClearField("interface"), "missing typed interface"),
        (lambda t: setattr(t.container, "image", ""), "missing image"),
    ],
)
def test_create_task_template_checks(tasks: TaskManager, change, message: str) -> None:  # type: ignore[no-untyped-def]
    assert create_error(tasks, _request(task_id(), _mutated(change))) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_template_checks_run_in_flyte_admins_order(tasks: TaskManager) -> None:
    # Everything is wrong at once: the first check in Flyte Admin's order wins.
    spec = _mutated(lambda t: (t.ClearField("metadata"), t.ClearField("interface"), setattr(t.container, "image", "")))
    assert create_error(tasks, _request(task_id(), spec))[1] == "missing metadata"
    spec = _mutated(lambda t: (t.ClearField("interface"), setattr(t.container, "image", "")))
    assert create_error(tasks, _request(task_id(), spec))[1] == "missing typed interface"


def test_tasks_without_a_target_register(tasks: TaskManager) -> None:
    # Old sidecar tasks carry their pod in ``custom`` and set no target: nothing of a target to check.
    spec = _mutated(lambda t: (setattr(t, "type", "sidecar"), t.ClearField("container")))
    create(tasks, task_id(), spec)
    assert tasks.get_task(common_pb2.ObjectGetRequest(id=task_id())).closure.compiled_task.template.type == "sidecar"


def test_a_sidecar_tasks_container_is_checked(tasks: TaskManager) -> None:
    # Flyte Admin checks a container target whatever the task type.
    spec = _mutated(lambda t: (setattr(t, "type", "sidecar"), setattr(t.container, "image", "")))
    assert create_error(tasks, _request(task_id(), spec)) == (grpc.StatusCode.INVALID_ARGUMENT, "missing image")


def _pod_task(pod: tasks_pb2.K8sPod) -> task_pb2.TaskSpec:
    def to_pod(t: tasks_pb2.TaskTemplate) -> None:
        t.type = "sidecar"
        t.ClearField("container")
        t.k8s_pod.CopyFrom(pod)

    return _mutated(to_pod)


def test_pod_tasks_need_a_pod_spec(tasks: TaskManager) -> None:
    without_spec = tasks_pb2.K8sPod(metadata=tasks_pb2.K8sObjectMetadata(labels={"a": "b"}))
    assert create_error(tasks, _request(task_id(), _pod_task(without_spec))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid TaskSpecification, pod tasks should specify their target as a K8sPod with a defined pod spec",
    )
    assert create_error(tasks, _request(task_id(), _pod_task(tasks_pb2.K8sPod())))[1].startswith(
        "invalid TaskSpecification, pod tasks"
    )
    pod = tasks_pb2.K8sPod()
    pod.pod_spec.update({"containers": [{"name": "primary", "image": "busybox"}]})
    create(tasks, task_id(), _pod_task(pod))


def _pod_with(resources: dict) -> task_pb2.TaskSpec:  # type: ignore[type-arg]
    pod = tasks_pb2.K8sPod()
    pod.pod_spec.update(
        {"containers": [{"name": "sidecar", "image": "busybox"}, {"name": "primary", "resources": resources}]}
    )
    return _pod_task(pod)


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
            "Requested CPU default [2] is greater than the limit [1]. Please fix your configuration",
        ),
        (
            {"requests": {"memory": "2Gi", "ephemeral-storage": "1Gi"}, "limits": {"ephemeral-storage": "500Mi"}},
            "Requested EPHEMERAL_STORAGE default [1Gi] is greater than the limit [500Mi]. "
            "Please fix your configuration",
        ),
        (
            {"requests": {"gpu": 1}, "limits": {"gpu": 2}},
            "For extended resource 'gpu' the default value must equal the limit value for task "
            '[resource_type:TASK project:"flytesnacks" domain:"development" name:"my.task" version:"v1"]',
        ),
        (
            {"requests": {"cpu": "lots"}},
            "invalid pod spec: container [primary] requests cpu [lots]: "
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ],
)
def test_pod_containers_requests_within_limits(tasks: TaskManager, resources: dict, message: str) -> None:  # type: ignore[type-arg]
    assert create_error(tasks, _request(task_id(), _pod_with(resources))) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_pod_resources_within_limits_register(tasks: TaskManager) -> None:
    fine = {"requests": {"cpu": "500m", "nvidia.com/gpu": "1"}, "limits": {"cpu": "1", "nvidia.com/gpu": "3"}}
    create(tasks, task_id(), _pod_with(fine))
    assert tasks.get_task(common_pb2.ObjectGetRequest(id=task_id())).closure.compiled_task.template.HasField("k8s_pod")


def test_task_type_whitelist(make_ctx: Callable[..., AdminContext]) -> None:
    ctx = make_ctx(AdminConfig(task_type_whitelist={"spark": ("other",), "hive": ("", "x")}))
    manager = TaskManager(ctx)
    spark = _mutated(lambda t: setattr(t, "type", "spark"))
    assert create_error(manager, _request(task_id(), spark)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "task type must be whitelisted before use",
    )
    create(manager, task_id("hive.task"), _mutated(lambda t: setattr(t, "type", "hive")))  # "" = every project
    create(manager, task_id("py.task"), task_spec())  # types the whitelist does not name are allowed


def _resources(requests: dict[int, str] | None = None, limits: dict[int, str] | None = None) -> tasks_pb2.Resources:
    def entries(values: dict[int, str] | None) -> list[tasks_pb2.Resources.ResourceEntry]:
        return [tasks_pb2.Resources.ResourceEntry(name=k, value=v) for k, v in (values or {}).items()]  # type: ignore[arg-type]

    return tasks_pb2.Resources(requests=entries(requests), limits=entries(limits))


R = tasks_pb2.Resources


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            _resources({R.CPU: "2"}, {R.CPU: "1"}),
            "Requested CPU default [2] is greater than the limit [1]. Please fix your configuration",
        ),
        (
            _resources({R.MEMORY: "2Gi"}, {R.MEMORY: "1Gi"}),
            "Requested MEMORY default [2Gi] is greater than the limit [1Gi]. Please fix your configuration",
        ),
        (
            _resources({R.CPU: "lots"}),
            "Parsing of CPU request failed for value lots - reason  quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'. Please follow K8s conventions for resources "
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        ),
        (
            _resources({R.GPU: "0.5"}),
            'gpu for [resource_type:TASK project:"flytesnacks" domain:"development" name:"my.task" version:"v1"] '
            "must be a whole number, got: 0.5 instead",
        ),
        (
            _resources({R.GPU: "1"}, {R.GPU: "2"}),
            "For extended resource 'gpu' the default value must equal the limit value for task "
            '[resource_type:TASK project:"flytesnacks" domain:"development" name:"my.task" version:"v1"]',
        ),
    ],
)
def test_create_task_resource_checks(tasks: TaskManager, resources: tasks_pb2.Resources, message: str) -> None:
    spec = _mutated(lambda t: t.container.resources.CopyFrom(resources))
    assert create_error(tasks, _request(task_id(), spec)) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_resource_duplicates_and_valid_quantities(tasks: TaskManager) -> None:
    duplicate = tasks_pb2.Resources(
        requests=[R.ResourceEntry(name=R.CPU, value="1"), R.ResourceEntry(name=R.CPU, value="2")]
    )
    spec = _mutated(lambda t: t.container.resources.CopyFrom(duplicate))
    assert create_error(tasks, _request(task_id(), spec))[1].startswith("can't specify CPU limit for task [")
    # Sub-unit requests compare as Kubernetes' Quantity.Value() does (rounded up), so 500m <= 200m passes.
    ok = _resources({R.CPU: "500m", R.MEMORY: "1Gi", R.GPU: "1"}, {R.CPU: "200m", R.MEMORY: "2G", R.GPU: "1"})
    create(tasks, task_id(), _mutated(lambda t: t.container.resources.CopyFrom(ok)))


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), ("500m", 0.5), ("2Gi", 2 * 2**30), ("1e3", 1000), ("1.5k", 1500), (".5", 0.5)],
)
def test_parse_quantity(text: str, value: float) -> None:
    assert float(parse_quantity(text)) == value


@pytest.mark.parametrize("text", ["", "abc", "1Q", "1.2.3", "--1"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_compile_failure_is_invalid_argument(tasks: TaskManager) -> None:
    # A container task with an interface must say how to run it (command or args).
    spec = _mutated(lambda t: t.container.ClearField("args"))
    code, message = create_error(tasks, _request(task_id(), spec))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert message.startswith("task failed compilation with ")


# --- CreateTask: storing, identical and different re-registration ---------------------------------------------------


def test_create_and_get_task(tasks: TaskManager) -> None:
    spec = task_spec()
    request_id = task_id()
    spec.template.id.CopyFrom(task_id(name="something.else", version="v0"))  # overwritten with the request's id
    create(tasks, request_id, spec)

    got = tasks.get_task(common_pb2.ObjectGetRequest(id=task_id()))
    assert got.id == task_id()
    assert got.closure.compiled_task.template.id == task_id()
    assert got.closure.compiled_task.template.container.image == "ghcr.io/example/img:v1"
    assert got.closure.HasField("created_at") and got.closure.created_at.seconds > 0
    assert got.short_description == ""

    # The resource type may be left out (Flyte Admin's RPC layer fills it in); the answer says TASK.
    unspecified = identifier_pb2.Identifier(project=P, domain=D, name="my.task", version="v1")
    assert tasks.get_task(common_pb2.ObjectGetRequest(id=unspecified)).id.resource_type == identifier_pb2.TASK


def test_get_task_not_found_and_missing_id(tasks: TaskManager) -> None:
    err = error_of(tasks.get_task, common_pb2.ObjectGetRequest(id=task_id(version="v9")))
    assert err.code == grpc.StatusCode.NOT_FOUND
    assert err.message == (
        'missing entity of type TASK with identifier project:"flytesnacks" domain:"development" name:"my.task" '
        'version:"v9"'
    )
    err = error_of(tasks.get_task, common_pb2.ObjectGetRequest())
    assert (err.code, err.message) == (grpc.StatusCode.INVALID_ARGUMENT, "missing id")


def test_get_task_is_served_from_the_cache_after_the_first_read(ctx: AdminContext, tasks: TaskManager) -> None:
    create(tasks, task_id(), task_spec())
    first = tasks.get_task(common_pb2.ObjectGetRequest(id=task_id()))
    with ctx.store.begin() as conn:  # the database row disappears; the version is immutable, the cache answers
        conn.execute(schema.tasks.delete())
    assert tasks.get_task(common_pb2.ObjectGetRequest(id=task_id())) is first


def test_identical_registration_is_already_exists(tasks: TaskManager) -> None:
    create(tasks, task_id(), task_spec())
    err = error_of(tasks.create_task, _request(task_id(), task_spec()))
    assert (err.code, err.message) == (grpc.StatusCode.ALREADY_EXISTS, "task with identical structure already exists")


def test_different_structure_names_what_differs(tasks: TaskManager) -> None:
    create(tasks, task_id(), task_spec())
    changed = task_spec(image="ghcr.io/example/img:v2")
    changed.template.container.args.append("--extra")
    err = error_of(tasks.create_task, _request(task_id(), changed))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.message == (
        "my.task task with different structure already exists. (Please register a new version of the task):\n"
        "/template/container/image:\n\t- ghcr.io/example/img:v1 \n\t+ ghcr.io/example/img:v2\n"
        "/template/container/args/3:\n\t- <nil> \n\t+ --extra"
    )


def test_concurrent_identical_registrations(ctx: AdminContext) -> None:
    """Many clients register the same version at once: exactly one succeeds, the rest get ALREADY_EXISTS."""
    managers = [TaskManager(ctx) for _ in range(8)]
    barrier = threading.Barrier(len(managers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def register(manager: TaskManager) -> None:
        barrier.wait()
        try:
            create(manager, task_id(), task_spec())
            result = "ok"
        except AdminError as e:
            result = e.code.name
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=register, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ALREADY_EXISTS"] * 7 + ["ok"]


def test_losing_a_race_to_another_write_is_still_already_exists(tmp_path: Path) -> None:
    """Another write commits the same version between our existence check and our INSERT. On PostgreSQL another
    admin process can do that; on SQLite a batch holds the write lock from its first statement (BEGIN IMMEDIATE),
    so here the other write runs inside our transaction (a nested write: a savepoint of the same batch). The unique
    key then fails our INSERT, and the answer is still Flyte Admin's ALREADY_EXISTS / INVALID_ARGUMENT, never a
    database error."""
    path = tmp_path / "admin.db"
    ours = Store(path)
    try:
        now = dt.datetime(2024, 1, 1)
        with ours.begin() as conn:
            conn.execute(
                schema.projects.insert().values(
                    identifier=P, name=P, description="", state=0, created_at=now, updated_at=now
                )
            )
        mine = TaskManager(build_context(AdminConfig(), ours))
        other = TaskManager(build_context(AdminConfig(), ours))
        # The other write registers this (id, spec) just before our INSERT reaches the database; None: disarmed.
        pending: list[tuple[identifier_pb2.Identifier, task_pb2.TaskSpec] | None] = [(task_id(), task_spec())]

        def they_win(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            # Right after our existence check found nothing (the SELECT of the write's tasks row).
            if statement.startswith("SELECT") and "FROM tasks" in statement and pending[0] is not None:
                ident, spec = pending[0]
                pending[0] = None
                create(other, ident, spec)

        event.listen(ours.engine, "after_cursor_execute", they_win)
        err = error_of(mine.create_task, _request(task_id(), task_spec()))
        assert (err.code, err.message) == (
            grpc.StatusCode.ALREADY_EXISTS,
            "task with identical structure already exists",
        )

        pending[0] = (task_id(version="v2"), task_spec(image="theirs:1"))
        err = error_of(mine.create_task, _request(task_id(version="v2"), task_spec()))
        assert err.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "/template/container/image:\n\t- theirs:1 \n\t+ ghcr.io/example/img:v1" in err.message
        assert pending[0] is None  # the race really happened, both times
        event.remove(ours.engine, "after_cursor_execute", they_win)
        # The other write's versions were committed (ours failed alone): they are there, as registered.
        got = mine.get_task(common_pb2.ObjectGetRequest(id=task_id(version="v2")))
        assert got.closure.compiled_task.template.container.image == "theirs:1"
    finally:
        ours.close()


def test_description_is_stored_beside_the_task(ctx: AdminContext, tasks: TaskManager) -> None:
    spec = task_spec()
    spec.description.short_description = "adds one"
    spec.description.long_description.value = "Adds one to x."
    spec.description.source_code.link = "https://example.com/src"
    create(tasks, task_id(), spec)
    assert tasks.get_task(common_pb2.ObjectGetRequest(id=task_id())).short_description == "adds one"
    described = DescriptionEntityManager(ctx).get_description_entity(common_pb2.ObjectGetRequest(id=task_id()))
    assert described.short_description == "adds one"
    assert described.long_description.value == "Adds one to x."
    assert described.source_code.link == "https://example.com/src"


def test_eager_tasks_get_the_eager_secret(tasks: TaskManager) -> None:
    spec = _mutated(lambda t: setattr(t.metadata, "is_eager", True))
    create(tasks, task_id(), spec)
    template = tasks.get_task(common_pb2.ObjectGetRequest(id=task_id())).closure.compiled_task.template
    assert [s.key for s in template.security_context.secrets] == ["EAGER_DEFAULT"]


# --- ListTasks / ListTaskIds ----------------------------------------------------------------------------------------


def _list(tasks: TaskManager, **fields: object) -> task_pb2.TaskList:
    return tasks.list_tasks(common_pb2.ResourceListRequest(**fields))  # type: ignore[arg-type]


def _named(project: str = P, domain: str = D, name: str = "") -> common_pb2.NamedEntityIdentifier:
    return common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"limit": 1}, "missing id"),
        ({"id": _named(project=""), "limit": 1}, "missing project"),
        ({"id": _named(domain=""), "limit": 1}, "missing domain"),
        ({"id": _named()}, "invalid value for limit"),
        ({"id": _named(), "limit": 1, "token": "x"}, "invalid pagination token x for ListTasks"),
        ({"id": _named(), "limit": 1, "filters": "eq(foo,1)"}, "'t.foo' is invalid filter"),
        ({"id": _named(), "limit": 1, "sort_by": common_pb2.Sort(key="nope")}, "invalid sort key 'nope'"),
    ],
)
def test_list_tasks_validation(tasks: TaskManager, fields: dict[str, object], message: str) -> None:
    with pytest.raises(AdminError) as info:
        _list(tasks, **fields)
    assert (info.value.code, info.value.message) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def _register_many(tasks: TaskManager) -> None:
    for name in ("a", "b", "c"):
        for version in ("v1", "v2"):
            create(tasks, task_id(f"t.{name}", version), task_spec())


def test_list_tasks_filters_sort_and_pages(tasks: TaskManager) -> None:
    _register_many(tasks)
    asc = common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
    page = _list(tasks, id=_named(), limit=4, sort_by=asc)
    assert [(t.id.name, t.id.version) for t in page.tasks][:2] == [("t.a", "v1"), ("t.a", "v2")]
    assert page.token == "4"
    rest = _list(tasks, id=_named(), limit=4, sort_by=asc, token=page.token)
    assert len(rest.tasks) == 2 and rest.token == ""
    assert all(t.closure.compiled_task.template.container.image for t in rest.tasks)

    only_v2 = _list(tasks, id=_named(), limit=10, filters="eq(version,v2)")
    assert sorted(t.id.name for t in only_v2.tasks) == ["t.a", "t.b", "t.c"]
    by_name = _list(tasks, id=_named(name="t.b"), limit=10)
    assert {t.id.name for t in by_name.tasks} == {"t.b"}
    # An exactly-full last page still hands out a token; the page after it is empty.
    full = _list(tasks, id=_named(name="t.b"), limit=2)
    assert full.token == "2"
    after = _list(tasks, id=_named(name="t.b"), limit=2, token="2")
    assert (list(after.tasks), after.token) == ([], "")


def test_list_task_ids(tasks: TaskManager) -> None:
    _register_many(tasks)
    request = common_pb2.NamedEntityIdentifierListRequest(
        project=P,
        domain=D,
        limit=2,
        sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING),
        filters="eq(name,ignored)",  # Flyte Admin ignores filters here
    )
    page = tasks.list_task_ids(request)
    assert [e.name for e in page.entities] == ["t.a", "t.b"] and page.token == "2"
    request.token = page.token
    rest = tasks.list_task_ids(request)
    assert [e.name for e in rest.entities] == ["t.c"] and rest.token == ""
    assert all((e.project, e.domain) == (P, D) for e in page.entities)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"domain": D, "limit": 1}, "missing project"),
        ({"project": P, "limit": 1}, "missing domain"),
        ({"project": P, "domain": D}, "invalid value for limit"),
        (
            {"project": P, "domain": D, "limit": 1, "token": "-1"},
            "invalid pagination token -1 for ListUniqueTaskIdentifiers",
        ),
    ],
)
def test_list_task_ids_validation(tasks: TaskManager, fields: dict[str, object], message: str) -> None:
    with pytest.raises(AdminError) as info:
        tasks.list_task_ids(common_pb2.NamedEntityIdentifierListRequest(**fields))  # type: ignore[arg-type]
    assert info.value.message == message
