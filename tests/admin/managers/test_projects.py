"""Projects and domains of the embedded admin: every path and message of the manager, then over real gRPC."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, project_pb2

from flyteplane.admin.config import AdminConfig
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.projects import SEED_DESCRIPTION, ProjectManager
from flyteplane.admin.store.db import Store
from flyteplane.admin.wiring import build_context

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
ACTIVE, ARCHIVED = project_pb2.Project.ACTIVE, project_pb2.Project.ARCHIVED

DNS_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@contextlib.contextmanager
def expect(code: grpc.StatusCode, message: str) -> Iterator[None]:
    """The block raises AdminError with exactly this code and message."""
    with pytest.raises(AdminError, match="^" + re.escape(message) + "$") as err:
        yield
    assert err.value.code == code


@pytest.fixture
def mgr() -> ProjectManager:
    return ProjectManager(build_context(AdminConfig(), Store(None)))


def register(mgr: ProjectManager, id: str, name: str | None = None, **fields: object) -> None:
    mgr.register_project(
        project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id=id, name=name or id, **fields))  # type: ignore[arg-type]
    )


def get(mgr: ProjectManager, id: str) -> project_pb2.Project:
    return mgr.get_project(project_pb2.ProjectGetRequest(id=id))


def ids(resp: project_pb2.Projects) -> list[str]:
    return [p.id for p in resp.projects]


# -- register / get ----------------------------------------------------------------------------------------------
def test_register_and_get(mgr: ProjectManager) -> None:
    register(mgr, "spud", "Spud", description="potatoes", labels=common_pb2.Labels(values={"team": "ml"}))
    p = get(mgr, "spud")
    assert (p.id, p.name, p.description, p.state) == ("spud", "Spud", "potatoes", ACTIVE)
    assert dict(p.labels.values) == {"team": "ml"}
    assert [(d.id, d.name) for d in p.domains] == [
        ("development", "development"),
        ("staging", "staging"),
        ("production", "production"),
    ]
    register(mgr, "plain")
    assert not get(mgr, "plain").HasField("labels")
    register(mgr, "gone", state=ARCHIVED)  # state is taken from the request
    assert get(mgr, "gone").state == ARCHIVED


def test_domains_come_from_config_on_every_read() -> None:
    mgr = ProjectManager(build_context(AdminConfig(domains=("dev", "prod")), Store(None)))
    register(mgr, "p")
    assert [d.id for d in get(mgr, "p").domains] == ["dev", "prod"]
    resp = mgr.get_domains(project_pb2.GetDomainRequest())
    assert [(d.id, d.name) for d in resp.domains] == [("dev", "dev"), ("prod", "prod")]


def test_get_domains_default(mgr: ProjectManager) -> None:
    resp = mgr.get_domains(project_pb2.GetDomainRequest())
    assert [d.id for d in resp.domains] == ["development", "staging", "production"]


def test_register_validation_messages(mgr: ProjectManager) -> None:
    with expect(INVALID, "missing project"):
        mgr.register_project(project_pb2.ProjectRegisterRequest())
    with expect(INVALID, "missing project_name"):
        mgr.register_project(project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="p")))
    with expect(INVALID, "missing project_id"):
        register(mgr, "", "name", domains=[project_pb2.Domain(id="foo", name="foo")])
    with expect(INVALID, f"invalid project id [%)(*&]: [{DNS_MSG}]"):
        register(mgr, "%)(*&", "proj")
    with expect(INVALID, "invalid project id [Upper]: [" + DNS_MSG + "]"):
        register(mgr, "Upper")
    with expect(INVALID, "invalid project id [" + "a" * 64 + "]: [must be no more than 63 characters]"):
        register(mgr, "a" * 64, "long")
    with expect(INVALID, "project_name cannot exceed 64 characters"):
        register(mgr, "p", "n" * 65)
    with expect(INVALID, "project_name cannot exceed 64 characters"):
        register(mgr, "p", "é" * 33)  # 66 bytes: Go counts bytes
    with expect(INVALID, "project_description cannot exceed 300 characters"):
        register(mgr, "p", description="d" * 301)
    with expect(
        INVALID,
        "Domains are currently only set system wide. Please retry without domains included in your request.",
    ):
        register(mgr, "p", domains=[project_pb2.Domain(id="development", name="development")])
    with expect(INVALID, "invalid value for state"):
        register(mgr, "p", state=17)
    with expect(INVALID, "org cannot exceed 63 characters"):
        register(mgr, "p", org="o" * 64)
    with expect(INVALID, "labels map cannot exceed 16 entries"):
        register(mgr, "p", labels=common_pb2.Labels(values={f"k{i}": "v" for i in range(17)}))
    # Labels are checked before the id, as in Flyte Admin.
    with expect(
        INVALID,
        "invalid label value [#bar]: [a valid label must be an empty string or consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
        "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
    ):
        register(mgr, "BAD ID", labels=common_pb2.Labels(values={"foo": "#bar"}))
    with expect(
        INVALID,
        "invalid label key [-x]: [name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
        "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')]",
    ):
        register(mgr, "p", labels=common_pb2.Labels(values={"-x": "y"}))
    assert ids(mgr.list_projects(project_pb2.ProjectListRequest())) == []


def test_register_duplicate(mgr: ProjectManager) -> None:
    register(mgr, "dup")
    with expect(
        grpc.StatusCode.ALREADY_EXISTS,
        'value with matching already exists (duplicate key value violates unique constraint "projects_pkey")',
    ):
        register(mgr, "dup", "other name")
    assert get(mgr, "dup").name == "dup"


def test_get_validation(mgr: ProjectManager) -> None:
    with expect(INVALID, "missing project_id"):
        mgr.get_project(project_pb2.ProjectGetRequest())
    with expect(NOT_FOUND, "project [nope] not found"):
        get(mgr, "nope")


# -- update ------------------------------------------------------------------------------------------------------
def test_update_is_partial(mgr: ProjectManager) -> None:
    register(mgr, "potato", "spud", description="d", labels=common_pb2.Labels(values={"foo": "bar", "bar": "baz"}))
    # Name and description change; absent labels are left alone (Flyte Admin's TestUpdateProjectDescription).
    mgr.update_project(project_pb2.Project(id="potato", name="foobar", description="a-new-description"))
    p = get(mgr, "potato")
    assert (p.name, p.description) == ("foobar", "a-new-description")
    assert dict(p.labels.values) == {"foo": "bar", "bar": "baz"}
    # Empty strings are not written; labels, when sent, replace the stored ones.
    mgr.update_project(project_pb2.Project(id="potato", labels=common_pb2.Labels(values={"x": "y"})))
    p = get(mgr, "potato")
    assert (p.name, p.description) == ("foobar", "a-new-description")
    assert dict(p.labels.values) == {"x": "y"}


def test_update_state_is_always_written(mgr: ProjectManager) -> None:
    register(mgr, "p")
    mgr.update_project(project_pb2.Project(id="p", name="p", state=ARCHIVED))
    assert get(mgr, "p").state == ARCHIVED
    mgr.update_project(project_pb2.Project(id="p"))  # state 0 (ACTIVE) written even though it is the zero value
    assert get(mgr, "p").state == ACTIVE
    mgr.update_project(project_pb2.Project(id="p", state=project_pb2.Project.SYSTEM_ARCHIVED))
    assert get(mgr, "p").state == project_pb2.Project.SYSTEM_ARCHIVED


def test_update_validation(mgr: ProjectManager) -> None:
    # The lookup comes first: an empty id is NOT_FOUND, not "missing project_id".
    with expect(NOT_FOUND, "project [] not found"):
        mgr.update_project(project_pb2.Project())
    with expect(NOT_FOUND, "project [nope] not found"):
        mgr.update_project(project_pb2.Project(id="nope", name="x"))
    register(mgr, "p")
    with expect(
        INVALID,
        "invalid label value [#bar]: [a valid label must be an empty string or consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
        "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
    ):
        mgr.update_project(project_pb2.Project(id="p", labels=common_pb2.Labels(values={"foo": "#bar", "bar": "baz"})))
    with expect(INVALID, "project_description cannot exceed 300 characters"):
        mgr.update_project(project_pb2.Project(id="p", description="x" * 301))
    with expect(INVALID, "invalid value for state"):
        mgr.update_project(project_pb2.Project(id="p", state=9))
    with expect(
        INVALID, "Domains are currently only set system wide. Please retry without domains included in your request."
    ):
        mgr.update_project(project_pb2.Project(id="p", domains=[project_pb2.Domain(id="d")]))
    p = get(mgr, "p")
    assert (p.name, p.state, p.HasField("labels")) == ("p", ACTIVE, False)


# -- list --------------------------------------------------------------------------------------------------------
def test_list_sorted_by_identifier_and_hides_archived(mgr: ProjectManager) -> None:
    for pid in ("c", "a", "b"):
        register(mgr, pid)
    register(mgr, "z-archived", state=ARCHIVED)
    register(mgr, "system", state=project_pb2.Project.SYSTEM_GENERATED)
    resp = mgr.list_projects(project_pb2.ProjectListRequest())
    assert ids(resp) == ["a", "b", "c", "system"]
    assert resp.token == ""  # limit 0 = all; a non-empty page is never "full"
    assert [d.id for d in resp.projects[0].domains] == ["development", "staging", "production"]
    # Any filter turns the default off, so archived projects can be listed explicitly.
    assert ids(mgr.list_projects(project_pb2.ProjectListRequest(filters="eq(state,1)"))) == ["z-archived"]
    assert ids(mgr.list_projects(project_pb2.ProjectListRequest(filters="ne(name,b)"))) == [
        "a",
        "c",
        "system",
        "z-archived",
    ]


def test_list_empty_with_limit_zero_returns_token_zero(mgr: ProjectManager) -> None:
    resp = mgr.list_projects(project_pb2.ProjectListRequest())
    assert (list(resp.projects), resp.token) == ([], "0")


def test_list_pagination(mgr: ProjectManager) -> None:
    for pid in ("a", "b", "c"):
        register(mgr, pid)
    first = mgr.list_projects(project_pb2.ProjectListRequest(limit=2))
    assert (ids(first), first.token) == (["a", "b"], "2")
    second = mgr.list_projects(project_pb2.ProjectListRequest(limit=2, token=first.token))
    assert (ids(second), second.token) == (["c"], "")
    full = mgr.list_projects(project_pb2.ProjectListRequest(limit=3))
    assert (ids(full), full.token) == (["a", "b", "c"], "3")
    after = mgr.list_projects(project_pb2.ProjectListRequest(limit=3, token=full.token))
    assert (ids(after), after.token) == ([], "")
    with expect(INVALID, "invalid pagination token abc for ListProjects"):
        mgr.list_projects(project_pb2.ProjectListRequest(token="abc"))


def test_list_sort_and_filter_errors(mgr: ProjectManager) -> None:
    register(mgr, "a", "zeta")
    register(mgr, "b", "alpha")
    by_name = common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
    assert ids(mgr.list_projects(project_pb2.ProjectListRequest(sort_by=by_name))) == ["b", "a"]
    desc = common_pb2.Sort(key="identifier", direction=common_pb2.Sort.DESCENDING)
    assert ids(mgr.list_projects(project_pb2.ProjectListRequest(sort_by=desc))) == ["b", "a"]
    with expect(INVALID, "invalid sort key 'nope'"):
        mgr.list_projects(project_pb2.ProjectListRequest(sort_by=common_pb2.Sort(key="nope")))
    with expect(INVALID, "invalid value for filters"):
        mgr.list_projects(project_pb2.ProjectListRequest(filters="garbage"))
    # Filters are validated before the token, as in Flyte Admin.
    with expect(INVALID, "invalid value for filters"):
        mgr.list_projects(project_pb2.ProjectListRequest(filters="garbage", token="x"))


# -- seed --------------------------------------------------------------------------------------------------------
def test_seed_registers_missing_projects_once(mgr: ProjectManager) -> None:
    register(mgr, "mine", "Mine", description="keep me")
    assert mgr.seed(["flytesnacks", "mine"]) == ["flytesnacks"]
    assert mgr.seed(["flytesnacks"]) == []
    p = get(mgr, "flytesnacks")
    assert (p.name, p.description, p.state) == ("flytesnacks", SEED_DESCRIPTION, ACTIVE)
    assert SEED_DESCRIPTION == "Default project setup."
    assert get(mgr, "mine").description == "keep me"
    with pytest.raises(ValueError):
        mgr.seed(["Not A Project"])


# -- over real gRPC ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from flyteplane.admin import AdminServer

    with AdminServer() as srv:  # seeds flytesnacks, as the sandbox does
        yield srv


@pytest.fixture(scope="module")
def stub(server: Any) -> Iterator[Any]:
    from flyteidl.service import admin_pb2_grpc

    with grpc.insecure_channel(server.endpoint) as channel:
        yield admin_pb2_grpc.AdminServiceStub(channel)


def test_grpc_projects_round_trip(stub: Any) -> None:
    stub.RegisterProject(
        project_pb2.ProjectRegisterRequest(
            project=project_pb2.Project(id="wire", name="Wire", labels=common_pb2.Labels(values={"a": "b"}))
        )
    )
    got = stub.GetProject(project_pb2.ProjectGetRequest(id="wire"))
    assert (got.id, got.name, dict(got.labels.values)) == ("wire", "Wire", {"a": "b"})
    assert [d.id for d in got.domains] == ["development", "staging", "production"]
    seeded = stub.GetProject(project_pb2.ProjectGetRequest(id="flytesnacks"))
    assert seeded.description == "Default project setup."
    with pytest.raises(grpc.RpcError) as err:
        stub.RegisterProject(project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="wire", name="x")))
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "projects_pkey" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        stub.GetProject(project_pb2.ProjectGetRequest(id="nowhere"))
    assert (err.value.code(), err.value.details()) == (NOT_FOUND, "project [nowhere] not found")
    with pytest.raises(grpc.RpcError) as err:
        stub.RegisterProject(project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="x")))
    assert (err.value.code(), err.value.details()) == (INVALID, "missing project_name")
    stub.UpdateProject(project_pb2.Project(id="wire", state=ARCHIVED))
    listed = stub.ListProjects(project_pb2.ProjectListRequest())
    assert "wire" not in ids(listed) and "flytesnacks" in ids(listed)
    assert stub.GetProject(project_pb2.ProjectGetRequest(id="wire")).name == "Wire"
    domains = stub.GetDomains(project_pb2.GetDomainRequest())
    assert [d.id for d in domains.domains] == ["development", "staging", "production"]


def test_flytekit_client_projects(server: Any) -> None:
    from flytekit.clients.friendly import SynchronousFlyteClient
    from flytekit.configuration import PlatformConfig
    from flytekit.exceptions.user import FlyteEntityAlreadyExistsException
    from flytekit.models.project import Project

    client = SynchronousFlyteClient(PlatformConfig(endpoint=server.endpoint, insecure=True))
    client.register_project(Project("fk-one", "FK one", "first"))
    client.register_project(Project("fk-two", "FK two", "second"))
    with pytest.raises(FlyteEntityAlreadyExistsException):
        client.register_project(Project("fk-one", "again", ""))
    page, token = client.list_projects_paginated(limit=100)
    assert {"fk-one", "fk-two", "flytesnacks"} <= {p.id for p in page}
    assert token == ""
    by_id = {p.id: p for p in page}
    assert (by_id["fk-one"].name, by_id["fk-one"].description) == ("FK one", "first")
    # Archiving (flytekit sends empty name/description) keeps the rest and hides the project from the list.
    client.update_project(Project.archived_project("fk-one"))
    page, _ = client.list_projects_paginated(limit=100)
    assert "fk-one" not in {p.id for p in page} and "fk-two" in {p.id for p in page}
    client.update_project(Project.active_project("fk-one"))
    page, _ = client.list_projects_paginated(limit=100)
    assert {p.id: p for p in page}["fk-one"].name == "FK one"
    first, token = client.list_projects_paginated(limit=1)
    assert len(first) == 1 and token == "1"
    assert [d.id for d in client.get_domains()] == ["development", "staging", "production"]
