"""The named entity, description, project and attribute repositories against a real in-memory store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flyteidl.admin import common_pb2, description_entity_pb2, matchable_resource_pb2, project_pb2, task_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.store.attributes import AttributesRepository, ResourceKey, lookup, resolve
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.descriptions import DescriptionRepository
from flyteplane.admin.store.named_entities import NAMED_RESOURCE_TYPES, NamedEntityRepository
from flyteplane.admin.store.projects import ProjectRepository, project_state
from flyteplane.admin.store.registry import TaskRepository

P, D = "flytesnacks", "development"
NOW = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(None)
    yield s
    s.close()


def _task(store: Store, name: str, version: str = "v1", description: str | None = None) -> None:
    ident = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=P, domain=D, name=name, version=version
    )
    described = description_entity_pb2.DescriptionEntity(short_description=description) if description else None
    assert (
        TaskRepository(store).create(
            ident, task_pb2.TaskClosure(), task_type="python-task", digest=name, description=described, now=NOW
        )
        is None
    )


def _named(name: str) -> common_pb2.NamedEntityIdentifier:
    return common_pb2.NamedEntityIdentifier(project=P, domain=D, name=name)


# --- named entities --------------------------------------------------------------------------------------------------


def test_named_entity_exists_with_a_version_and_reads_active(store: Store) -> None:
    repo = NamedEntityRepository(store)
    assert {identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN} == NAMED_RESOURCE_TYPES
    assert repo.get(identifier_pb2.TASK, _named("t")) is None
    _task(store, "t")
    _task(store, "t", "v2")
    entity = repo.get(identifier_pb2.TASK, _named("t"))
    assert entity is not None
    assert entity.resource_type == identifier_pb2.TASK
    assert entity.id == _named("t")
    assert entity.metadata == common_pb2.NamedEntityMetadata(description="", state=common_pb2.NAMED_ENTITY_ACTIVE)
    assert repo.get(identifier_pb2.WORKFLOW, _named("t")) is None


def test_named_entity_metadata_upsert(store: Store) -> None:
    repo = NamedEntityRepository(store)
    _task(store, "t")
    archived = common_pb2.NamedEntityMetadata(description="old", state=common_pb2.NAMED_ENTITY_ARCHIVED)
    repo.set_metadata(identifier_pb2.TASK, _named("t"), archived, NOW)
    entity = repo.get(identifier_pb2.TASK, _named("t"))
    assert entity is not None and entity.metadata == archived
    renamed = common_pb2.NamedEntityMetadata(description="new", state=common_pb2.NAMED_ENTITY_ACTIVE)
    repo.set_metadata(identifier_pb2.TASK, _named("t"), renamed, NOW)
    entity = repo.get(identifier_pb2.TASK, _named("t"))
    assert entity is not None and entity.metadata == renamed


def test_named_entity_list_filters_and_pages(store: Store) -> None:
    repo = NamedEntityRepository(store)
    for name in ("a", "b", ".flytegen.c"):
        _task(store, name)
    archived = common_pb2.NamedEntityMetadata(state=common_pb2.NAMED_ENTITY_ARCHIVED)
    repo.set_metadata(identifier_pb2.TASK, _named("b"), archived, NOW)
    by_name = common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
    request = common_pb2.NamedEntityListRequest(
        resource_type=identifier_pb2.TASK, project=P, domain=D, limit=1, sort_by=by_name
    )
    page, token = repo.list(request, "not_like(name,.flytegen%)")
    assert [e.id.name for e in page] == ["a"] and token == "1"
    request.token = token
    page, token = repo.list(request, "not_like(name,.flytegen%)")
    assert [e.id.name for e in page] == ["b"] and page[0].metadata.state == common_pb2.NAMED_ENTITY_ARCHIVED
    request.token, request.limit = "", 10
    page, _ = repo.list(request, "eq(state,0)")  # no metadata row counts as ACTIVE
    assert [e.id.name for e in page] == [".flytegen.c", "a"]


# --- descriptions ----------------------------------------------------------------------------------------------------


def test_descriptions_get_and_list(store: Store) -> None:
    repo = DescriptionRepository(store)
    _task(store, "t", "v1", description="first")
    _task(store, "t", "v2", description="second")
    _task(store, "u", "v1", description="other")
    ident = identifier_pb2.Identifier(resource_type=identifier_pb2.TASK, project=P, domain=D, name="t", version="v2")
    got = repo.get(ident)
    assert got is not None and got.id == ident and got.short_description == "second"
    assert got.HasField("long_description") and got.source_code.link == ""
    ident.version = "v9"
    assert repo.get(ident) is None
    request = description_entity_pb2.DescriptionEntityListRequest(
        resource_type=identifier_pb2.TASK,
        id=_named("t"),
        limit=1,
        sort_by=common_pb2.Sort(key="version", direction=common_pb2.Sort.ASCENDING),
    )
    page, token = repo.list(request)
    assert [e.short_description for e in page] == ["first"] and token == "1"
    request.resource_type = identifier_pb2.WORKFLOW
    assert repo.list(request) == ([], "")


# --- projects --------------------------------------------------------------------------------------------------------


def test_project_create_get_and_duplicate(store: Store) -> None:
    repo = ProjectRepository(store)
    project = project_pb2.Project(
        id="p1", name="P one", description="d", labels=common_pb2.Labels(values={"team": "x"}), org="o"
    )
    assert repo.create(project, NOW)
    assert not repo.create(project_pb2.Project(id="p1", name="again"), NOW)
    got = repo.get("p1")
    assert got == project
    assert not got.domains  # domains are the caller's (system wide)
    assert repo.get("missing") is None
    assert repo.state("p1") == project_pb2.Project.ACTIVE and repo.state("missing") is None
    with store.read() as tx:
        assert repo.labels_in(tx, "p1") == {"team": "x"}
        assert repo.labels_in(tx, "missing") == {}
        assert project_state(tx, "p1") == repo.state_in(tx, "p1") == 0


def test_project_without_labels_and_with_empty_labels(store: Store) -> None:
    repo = ProjectRepository(store)
    repo.create(project_pb2.Project(id="bare", name="bare"), NOW)
    empty = project_pb2.Project(id="empty", name="empty")
    empty.labels.SetInParent()
    repo.create(empty, NOW)
    bare = repo.get("bare")
    kept = repo.get("empty")
    assert bare is not None and not bare.HasField("labels")
    assert kept is not None and kept.HasField("labels")


def test_project_update_skips_zero_values(store: Store) -> None:
    repo = ProjectRepository(store)
    repo.create(project_pb2.Project(id="p1", name="name", description="desc"), NOW)
    assert repo.update(project_pb2.Project(id="p1", state=project_pb2.Project.ARCHIVED), NOW)
    got = repo.get("p1")
    assert got is not None
    assert (got.name, got.description, got.state) == ("name", "desc", project_pb2.Project.ARCHIVED)
    assert repo.update(project_pb2.Project(id="p1", name="renamed"), NOW)
    got = repo.get("p1")
    assert got is not None and (got.name, got.state) == ("renamed", project_pb2.Project.ACTIVE)
    assert not repo.update(project_pb2.Project(id="missing", name="x"), NOW)


def test_project_list_and_create_missing(store: Store) -> None:
    repo = ProjectRepository(store)
    assert repo.create_missing([project_pb2.Project(id=i, name=i) for i in ("b", "a", "b")], NOW) == ["b", "a"]
    assert repo.create_missing([project_pb2.Project(id="a", name="a"), project_pb2.Project(id="c", name="c")], NOW) == [
        "c"
    ]
    repo.update(project_pb2.Project(id="c", state=project_pb2.Project.ARCHIVED), NOW)
    listed, token = repo.list(project_pb2.ProjectListRequest(), hide_archived=True)
    assert [p.id for p in listed] == ["a", "b"] and token == ""  # limit 0 is everything, by identifier
    listed, token = repo.list(project_pb2.ProjectListRequest(limit=2), hide_archived=False)
    assert [p.id for p in listed] == ["a", "b"] and token == "2"
    listed, _ = repo.list(project_pb2.ProjectListRequest(filters="eq(state,1)"), hide_archived=False)
    assert [p.id for p in listed] == ["c"]


# --- attributes ------------------------------------------------------------------------------------------------------


def _cpu(value: str) -> matchable_resource_pb2.MatchingAttributes:
    return matchable_resource_pb2.MatchingAttributes(
        task_resource_attributes=matchable_resource_pb2.TaskResourceAttributes(
            defaults=matchable_resource_pb2.TaskResourceSpec(cpu=value)
        )
    )


def test_attributes_put_get_and_most_specific_lookup(store: Store) -> None:
    repo = AttributesRepository(store)
    project = ResourceKey("TASK_RESOURCE", P)
    domain = ResourceKey("TASK_RESOURCE", P, D)
    workflow = ResourceKey("TASK_RESOURCE", P, D, "wf")
    with store.begin() as tx:
        repo.put_in(tx, project, _cpu("1"), priority=5, now=NOW)
        repo.put_in(tx, domain, _cpu("2"), priority=10, now=NOW)
        repo.put_in(tx, workflow, _cpu("3"), priority=100, now=NOW)
        repo.put_in(tx, domain, _cpu("4"), priority=10, now=NOW)  # replaces
    assert repo.get(domain) == _cpu("4")
    assert repo.get(ResourceKey("TASK_RESOURCE", P, "staging")) is None
    with store.read() as tx:
        assert resolve(tx, matchable_resource_pb2.TASK_RESOURCE, P, D, "wf") == _cpu("3")
        assert resolve(tx, "TASK_RESOURCE", P, D, "other") == _cpu("4")
        assert resolve(tx, "TASK_RESOURCE", P, "staging") == _cpu("1")
        assert resolve(tx, "CLUSTER_RESOURCE", P, D) is None
        matched = repo.lookup_in(tx, "TASK_RESOURCE", P, "staging", "wf")
        assert lookup(tx, "TASK_RESOURCE", P, "staging", "wf") == matched
    assert matched is not None and (matched.project, matched.domain, matched.workflow) == (P, "", "")
    configurations = repo.list("TASK_RESOURCE")
    assert [(c.domain, c.workflow) for c in configurations] == [(D, "wf"), (D, ""), ("", "")]
    assert repo.list("CLUSTER_RESOURCE") == []


def test_attributes_delete_ignores_empty_key_fields(store: Store) -> None:
    repo = AttributesRepository(store)
    with store.begin() as tx:
        repo.put_in(tx, ResourceKey("TASK_RESOURCE", P, D), _cpu("2"), priority=10, now=NOW)
        repo.put_in(tx, ResourceKey("TASK_RESOURCE", P, D, "wf"), _cpu("3"), priority=100, now=NOW)
        repo.put_in(tx, ResourceKey("TASK_RESOURCE", P, "staging"), _cpu("5"), priority=10, now=NOW)
        repo.put_in(tx, ResourceKey("CLUSTER_RESOURCE", P, D), _cpu("6"), priority=10, now=NOW)
    with store.begin() as tx:
        repo.delete_in(tx, ResourceKey("TASK_RESOURCE", P, D))  # the workflow-level row goes too
    assert [(c.domain, c.workflow) for c in repo.list("TASK_RESOURCE")] == [("staging", "")]
    assert len(repo.list("CLUSTER_RESOURCE")) == 1
