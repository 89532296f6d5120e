"""NamedEntityManager and DescriptionEntityManager: named entities exist iff a version exists, metadata is upserted by
UpdateNamedEntity, listing hides ``.flytegen`` names by default and reads a missing state as ACTIVE (Flyte Admin's
``flyteadmin/pkg/manager/impl/named_entity_manager.go``); description entities are read back as registered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, description_entity_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.description_entities import DescriptionEntityManager
from flyteplane.admin.managers.named_entities import NamedEntityManager
from flyteplane.admin.store import schema
from flyteplane.admin.store.db import Store
from flyteplane.admin.wiring import build_context

P, D = "flytesnacks", "development"
TASK, WORKFLOW, LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
ACTIVE, ARCHIVED = common_pb2.NAMED_ENTITY_ACTIVE, common_pb2.NAMED_ENTITY_ARCHIVED
NOW = dt.datetime(2024, 1, 1)


def _row(name: str, version: str, **extra: Any) -> dict[str, Any]:
    return {"project": P, "domain": D, "name": name, "version": version, "created_at": NOW, "updated_at": NOW, **extra}


@pytest.fixture
def ctx() -> Iterator[AdminContext]:
    context = build_context(AdminConfig(), Store(None))
    with context.store.begin() as conn:
        for name in ("wf.a", "wf.b", ".flytegen.wf.a"):
            for version in ("v1", "v2"):
                conn.execute(schema.workflows.insert().values(**_row(name, version, closure=b"", digest="-")))
        for name in ("task.a", "task.b"):
            conn.execute(schema.tasks.insert().values(**_row(name, "v1", closure=b"", digest="-")))
        workflow_id = conn.execute(schema.workflows.select().limit(1)).first().id  # type: ignore[union-attr]
        conn.execute(
            schema.launch_plans.insert().values(
                **_row("lp.a", "v1", spec=b"", closure=b"", digest="-", workflow_id=workflow_id)
            )
        )
    yield context
    context.store.close()


@pytest.fixture
def named(ctx: AdminContext) -> NamedEntityManager:
    return NamedEntityManager(ctx)


def ident(name: str, project: str = P, domain: str = D) -> common_pb2.NamedEntityIdentifier:
    return common_pb2.NamedEntityIdentifier(project=project, domain=domain, name=name)


def list_names(named: NamedEntityManager, resource_type: int = WORKFLOW, **fields: Any) -> list[str]:
    fields.setdefault("limit", 100)
    result = named.list_named_entities(
        common_pb2.NamedEntityListRequest(resource_type=resource_type, project=P, domain=D, **fields)  # type: ignore[arg-type]
    )
    return [e.id.name for e in result.entities]


def failure(call: Any, request: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(AdminError) as info:
        call(request)
    return info.value.code, info.value.message


def update(
    named: NamedEntityManager, resource_type: int, name: str, state: int = ACTIVE, description: str = ""
) -> None:
    named.update_named_entity(
        common_pb2.NamedEntityUpdateRequest(
            resource_type=resource_type,  # type: ignore[arg-type]
            id=ident(name),
            metadata=common_pb2.NamedEntityMetadata(description=description, state=state),  # type: ignore[arg-type]
        )
    )


# --- ListNamedEntities ---------------------------------------------------------------------------------------------


def test_list_hides_flytegen_by_default_and_counts_each_name_once(named: NamedEntityManager) -> None:
    asc = common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING)
    assert list_names(named, sort_by=asc) == ["wf.a", "wf.b"]
    assert list_names(named, sort_by=asc, filters="contains(name,wf.a)") == [".flytegen.wf.a", "wf.a"]
    assert list_names(named, TASK, sort_by=common_pb2.Sort(key="name")) == ["task.b", "task.a"]
    assert list_names(named, LAUNCH_PLAN) == ["lp.a"]


def test_list_entities_carry_metadata(named: NamedEntityManager) -> None:
    update(named, WORKFLOW, "wf.b", ARCHIVED, "old")
    result = named.list_named_entities(
        common_pb2.NamedEntityListRequest(
            resource_type=WORKFLOW, project=P, domain=D, limit=10, sort_by=common_pb2.Sort(key="name")
        )
    )
    b, a = result.entities
    assert (b.resource_type, b.id, b.metadata.description, b.metadata.state) == (
        WORKFLOW,
        ident("wf.b"),
        "old",
        ARCHIVED,
    )
    assert (a.metadata.description, a.metadata.state) == ("", ACTIVE)


def test_state_filters_read_a_missing_row_as_active(named: NamedEntityManager) -> None:
    assert sorted(list_names(named, filters="eq(state,0)")) == [".flytegen.wf.a", "wf.a", "wf.b"]
    update(named, WORKFLOW, "wf.a", ARCHIVED)
    assert sorted(list_names(named, filters="eq(state,0)")) == [".flytegen.wf.a", "wf.b"]
    assert list_names(named, filters="eq(state,1)") == ["wf.a"]
    assert list_names(named, filters="eq(state,1)+eq(named_entity_metadata.state,1)") == ["wf.a"]
    update(named, WORKFLOW, "wf.b", description="the b workflow")
    assert list_names(named, filters="contains(description,the b)") == ["wf.b"]


def test_list_pages(named: NamedEntityManager) -> None:
    request = common_pb2.NamedEntityListRequest(
        resource_type=WORKFLOW,
        project=P,
        domain=D,
        limit=1,
        sort_by=common_pb2.Sort(key="name", direction=common_pb2.Sort.ASCENDING),
    )
    first = named.list_named_entities(request)
    assert [e.id.name for e in first.entities] == ["wf.a"] and first.token == "1"
    request.token = first.token
    second = named.list_named_entities(request)
    assert [e.id.name for e in second.entities] == ["wf.b"] and second.token == "2"
    request.token = second.token
    assert list(named.list_named_entities(request).entities) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"domain": D, "resource_type": WORKFLOW, "limit": 1}, "missing project"),
        ({"project": P, "resource_type": WORKFLOW, "limit": 1}, "missing domain"),
        ({"project": P, "domain": D, "limit": 1}, "invalid value for resource_type"),
        ({"project": P, "domain": D, "resource_type": 42, "limit": 1}, "invalid value for resource_type"),
        ({"project": P, "domain": D, "resource_type": WORKFLOW}, "invalid value for limit"),
        (
            {"project": P, "domain": D, "resource_type": identifier_pb2.DATASET, "limit": 1},
            "Cannot list entity names for resource type: DATASET",
        ),
        (
            {"project": P, "domain": D, "resource_type": WORKFLOW, "limit": 1, "token": "t"},
            "invalid pagination token t for ListNamedEntities",
        ),
        (
            {"project": P, "domain": D, "resource_type": WORKFLOW, "limit": 1, "filters": "eq(version,v1)"},
            "'nen.version' is invalid filter",
        ),
        (
            {
                "project": P,
                "domain": D,
                "resource_type": WORKFLOW,
                "limit": 1,
                "sort_by": common_pb2.Sort(key="version"),
            },
            "invalid sort key 'version'",
        ),
    ],
)
def test_list_validation(named: NamedEntityManager, fields: dict[str, Any], message: str) -> None:
    code, text = failure(named.list_named_entities, common_pb2.NamedEntityListRequest(**fields))
    assert (code, text) == (grpc.StatusCode.INVALID_ARGUMENT, message)


# --- GetNamedEntity / UpdateNamedEntity -------------------------------------------------------------------------------


def test_get_named_entity(named: NamedEntityManager) -> None:
    got = named.get_named_entity(common_pb2.NamedEntityGetRequest(resource_type=TASK, id=ident("task.a")))
    assert (got.resource_type, got.id, got.metadata.state, got.metadata.description) == (
        TASK,
        ident("task.a"),
        ACTIVE,
        "",
    )
    assert failure(named.get_named_entity, common_pb2.NamedEntityGetRequest(resource_type=TASK, id=ident("wf.a"))) == (
        grpc.StatusCode.NOT_FOUND,
        "entry not found",
    )


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"id": ident("wf.a")}, "invalid value for resource_type"),
        ({"resource_type": WORKFLOW}, "missing id"),
        ({"resource_type": WORKFLOW, "id": ident("wf.a", project="")}, "missing project"),
        ({"resource_type": WORKFLOW, "id": ident("wf.a", domain="")}, "missing domain"),
        ({"resource_type": WORKFLOW, "id": ident("")}, "missing name"),
        (
            {"resource_type": identifier_pb2.DATASET, "id": ident("wf.a")},
            "Cannot get NamedEntityMetadata for resource type: DATASET",
        ),
    ],
)
def test_get_validation(named: NamedEntityManager, request_fields: dict[str, Any], message: str) -> None:
    assert failure(named.get_named_entity, common_pb2.NamedEntityGetRequest(**request_fields))[1] == message


def test_update_upserts_metadata(named: NamedEntityManager) -> None:
    update(named, WORKFLOW, "wf.a", ARCHIVED, "first")
    update(named, WORKFLOW, "wf.a", ACTIVE, "second")
    got = named.get_named_entity(common_pb2.NamedEntityGetRequest(resource_type=WORKFLOW, id=ident("wf.a")))
    assert (got.metadata.description, got.metadata.state) == ("second", ACTIVE)
    update(named, LAUNCH_PLAN, "lp.a", description="launch plans may have a description")
    other_type = named.get_named_entity(common_pb2.NamedEntityGetRequest(resource_type=TASK, id=ident("task.a")))
    assert other_type.metadata.description == ""


def test_update_validation(named: NamedEntityManager) -> None:
    def attempt(**fields: Any) -> tuple[grpc.StatusCode, str]:
        return failure(named.update_named_entity, common_pb2.NamedEntityUpdateRequest(**fields))

    metadata = common_pb2.NamedEntityMetadata(description="d")
    assert attempt(resource_type=WORKFLOW, id=ident("wf.a")) == (grpc.StatusCode.INVALID_ARGUMENT, "missing metadata")
    assert attempt(resource_type=WORKFLOW, id=ident("nope"), metadata=metadata) == (
        grpc.StatusCode.NOT_FOUND,
        "entry not found",
    )
    archived = common_pb2.NamedEntityMetadata(state=ARCHIVED)
    assert attempt(resource_type=LAUNCH_PLAN, id=ident("lp.a"), metadata=archived)[1] == (
        "Resource [LAUNCH_PLAN] cannot have its state updated"
    )
    long = common_pb2.NamedEntityMetadata(description="x" * 301)
    assert (
        attempt(resource_type=WORKFLOW, id=ident("wf.a"), metadata=long)[1]
        == "description cannot exceed 300 characters"
    )
    assert attempt(metadata=metadata, id=ident("wf.a"))[1] == "invalid value for resource_type"


# --- description entities ---------------------------------------------------------------------------------------------


@pytest.fixture
def descriptions(ctx: AdminContext) -> DescriptionEntityManager:
    long = description_entity_pb2.Description(value="Long text.", format=description_entity_pb2.DESCRIPTION_FORMAT_RST)
    with ctx.store.begin() as conn:
        for resource_type, version in ((TASK, "v1"), (TASK, "v2"), (WORKFLOW, "v1")):
            conn.execute(
                schema.description_entities.insert().values(
                    resource_type=resource_type,
                    **_row("thing", version),
                    short_description=f"short {version}",
                    long_description=long.SerializeToString(),
                    link="https://example.com",
                )
            )
    return DescriptionEntityManager(ctx)


def _full_id(resource_type: int = TASK, version: str = "v1", **fields: str) -> identifier_pb2.Identifier:
    values = {"project": P, "domain": D, "name": "thing", "version": version, **fields}
    return identifier_pb2.Identifier(resource_type=resource_type, **values)  # type: ignore[arg-type]


def test_get_description_entity(descriptions: DescriptionEntityManager) -> None:
    got = descriptions.get_description_entity(common_pb2.ObjectGetRequest(id=_full_id()))
    assert got.id == _full_id()
    assert got.short_description == "short v1"
    assert got.long_description.value == "Long text."
    assert got.long_description.format == description_entity_pb2.DESCRIPTION_FORMAT_RST
    assert got.source_code.link == "https://example.com"
    # UNSPECIFIED is read as TASK, as Flyte Admin's RPC layer does.
    assert descriptions.get_description_entity(common_pb2.ObjectGetRequest(id=_full_id(0))).id == _full_id()
    wf = descriptions.get_description_entity(common_pb2.ObjectGetRequest(id=_full_id(WORKFLOW)))
    assert wf.id.resource_type == WORKFLOW
    assert failure(descriptions.get_description_entity, common_pb2.ObjectGetRequest(id=_full_id(version="v9"))) == (
        grpc.StatusCode.NOT_FOUND,
        "entry not found",
    )


@pytest.mark.parametrize(
    ("ident_value", "message"),
    [
        (None, "missing id"),
        (_full_id(project=""), "missing project"),
        (_full_id(domain=""), "missing domain"),
        (_full_id(name=""), "missing name"),
        (_full_id(version=""), "missing version"),
    ],
)
def test_get_description_validation(descriptions: DescriptionEntityManager, ident_value: Any, message: str) -> None:
    request = common_pb2.ObjectGetRequest()
    if ident_value is not None:
        request.id.CopyFrom(ident_value)
    assert failure(descriptions.get_description_entity, request) == (grpc.StatusCode.INVALID_ARGUMENT, message)


def test_list_description_entities(descriptions: DescriptionEntityManager) -> None:
    def listing(**fields: Any) -> description_entity_pb2.DescriptionEntityList:
        return descriptions.list_description_entities(description_entity_pb2.DescriptionEntityListRequest(**fields))

    page = listing(resource_type=TASK, id=ident("thing"), limit=1, sort_by=common_pb2.Sort(key="version"))
    assert [d.id.version for d in page.descriptionEntities] == ["v2"] and page.token == "1"
    assert [
        d.id.resource_type for d in listing(resource_type=WORKFLOW, id=ident("thing"), limit=5).descriptionEntities
    ] == [WORKFLOW]
    assert (
        len(listing(resource_type=TASK, id=ident("thing"), limit=5, filters="eq(version,v1)").descriptionEntities) == 1
    )
    with pytest.raises(AdminError) as info:
        listing(resource_type=TASK, id=ident("thing"), limit=1, token="x")
    assert info.value.message == "invalid pagination token x for ListWorkflows"
    for fields, message in (
        ({"limit": 1}, "missing id"),
        ({"id": ident("thing", project=""), "limit": 1}, "missing project"),
        ({"id": ident(""), "limit": 1}, "missing name"),
        ({"id": ident("thing")}, "invalid value for limit"),
    ):
        with pytest.raises(AdminError) as info:
            listing(**fields)
        assert info.value.message == message
