"""Flyte Admin's listing rules (Flyte Admin's ``flyteadmin/pkg/manager/impl/util/filters.go``) against a real in-memory
store.

Every query here is built the way a manager builds it and executed on SQLite, so a filter that compiles but would
fail in the database fails the test too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, and_, select

from flyteplane.admin.errors import AdminError
from flyteplane.admin.store import listing, schema
from flyteplane.admin.store.db import Store
from flyteplane.admin.store.listing import (
    Entity,
    Join,
    apply_filters,
    apply_sort,
    like_to_glob,
    next_token,
    paginate,
    parse_token,
)

T0 = dt.datetime(2023, 12, 31, 12, 0, 0)


def _audit(i: int) -> dict[str, Any]:
    created = T0 + dt.timedelta(hours=6 * i)  # rows 0 and 1 fall in 2023, the rest in 2024
    return {"created_at": created, "updated_at": created}


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    store = Store(None)
    with store.begin() as conn:
        conn.execute(
            schema.tasks.insert(),
            [
                {
                    "project": "p",
                    "domain": "d",
                    "name": f"task_{i:02d}",
                    "version": "v1",
                    "closure": b"",
                    "digest": "x",
                    "type": "python-task",
                    **_audit(i),
                }
                for i in range(25)
            ]
            + [
                {
                    "project": "p",
                    "domain": "d",
                    "name": name,
                    "version": version,
                    "closure": b"",
                    "digest": "x",
                    "type": "python-task",
                    **_audit(30 + i),
                }
                for i, (name, version) in enumerate(
                    [
                        ("foo", "123"),
                        ("barfoo", "7"),
                        ("a", "1"),
                        ("b", "1"),
                        ("a_b", "1"),
                        ("axb", "1"),
                        (".flytegen.t", "1"),
                    ]
                )
            ],
        )
        conn.execute(
            schema.workflows.insert(),
            [
                {
                    "project": "p",
                    "domain": "d",
                    "name": name,
                    "version": "v1",
                    "closure": b"",
                    "digest": "x",
                    **_audit(i),
                }
                for i, name in enumerate(["wf_x", "wf_y"])
            ],
        )
        wf = {row.name: row.id for row in conn.execute(select(schema.workflows.c.name, schema.workflows.c.id))}
        conn.execute(
            schema.launch_plans.insert(),
            [
                {
                    "project": "p",
                    "domain": "d",
                    "name": name,
                    "version": "v1",
                    "spec": b"",
                    "closure": b"",
                    "digest": "x",
                    "workflow_id": wf[workflow],
                    "state": state,
                    "schedule_type": schedule,
                    **_audit(i),
                }
                for i, (name, workflow, state, schedule) in enumerate(
                    [
                        ("lp_cron_active", "wf_x", 1, "CRON"),
                        ("lp_cron_inactive", "wf_x", 0, "CRON"),
                        ("lp_rate", "wf_y", 1, "RATE"),
                        ("lp_none", "wf_y", 0, "NONE"),
                    ]
                )
            ],
        )
        conn.execute(
            schema.projects.insert(),
            [
                {"identifier": ident, "name": ident.upper(), "description": "", "state": state, **_audit(i)}
                for i, (ident, state) in enumerate([("alpha", 0), ("beta", 1), ("gamma", 0)])
            ],
        )
        conn.execute(
            schema.named_entity_metadata.insert(),
            [
                {
                    "resource_type": 1,
                    "project": "p",
                    "domain": "d",
                    "name": "foo",
                    "description": "the foo",
                    "state": 1,
                    **_audit(0),
                },
                {
                    "resource_type": 1,
                    "project": "p",
                    "domain": "d",
                    "name": "a",
                    "description": "an a",
                    "state": None,
                    **_audit(1),
                },
            ],
        )
        conn.execute(
            schema.description_entities.insert(),
            [
                {
                    "resource_type": 1,
                    "project": "p",
                    "domain": "d",
                    "name": "foo",
                    "version": str(v),
                    "short_description": f"short {v}",
                    "link": "",
                    **_audit(v),
                }
                for v in range(3)
            ],
        )
    yield store
    store.close()


def _rows(store: Store, query: Any) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(query).all())


def _names(store: Store, query: Any) -> list[str]:
    return [row.name for row in _rows(store, query)]


def _filtered(store: Store, table: Table, primary: str, filters: str) -> list[str]:
    query, _ = apply_filters(select(table), filters, primary)
    return sorted(_names(store, query))


def _invalid(message: str) -> Any:
    """pytest.raises for an INVALID_ARGUMENT with exactly this message."""
    return pytest.raises(AdminError, match="^" + re.escape(message) + "$")


def _sort(key: str, direction: int = common_pb2.Sort.DESCENDING) -> common_pb2.Sort:
    return common_pb2.Sort(key=key, direction=direction)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- tokens and pages


def test_parse_token_accepts_what_go_atoi_accepts() -> None:
    assert parse_token("", "ListTasks") == 0
    assert parse_token("10", "ListTasks") == 10
    assert parse_token("+5", "ListTasks") == 5
    assert parse_token("007", "ListTasks") == 7
    assert parse_token("-0", "ListTasks") == 0
    assert parse_token(str(2**63 - 1), "ListTasks") == 2**63 - 1


@pytest.mark.parametrize("token", ["abc", "-1", " 1", "1 ", "1.0", "1_000", "0x10", "٣", str(2**63), "+", "-"])
def test_parse_token_rejects_with_the_rpc_named(token: str) -> None:
    with _invalid(f"invalid pagination token {token} for ListWorkflows") as info:
        parse_token(token, "ListWorkflows")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_parse_token_without_rpc_has_no_suffix() -> None:
    # ListLaunchPlanIds' message has no "for ..." part.
    with _invalid("invalid pagination token x"):
        parse_token("x", "")


def test_next_token_only_after_a_full_page() -> None:
    assert next_token(0, 10, 10) == "10"
    assert next_token(10, 10, 10) == "20"
    assert next_token(20, 5, 10) == ""
    assert next_token(20, 0, 10) == ""
    assert next_token(0, 0, 0) == "0"  # ListProjects, limit 0 (no limit), nothing there


def _page_through(store: Store, query: Any, limit: int) -> list[tuple[list[str], str]]:
    pages, token = [], ""
    with store.read() as conn:
        while True:
            rows, token = paginate(conn, query, limit, token, "ListTasks")
            pages.append(([row.name for row in rows], token))
            if not token:
                return pages


def test_paging_over_25_rows_with_limit_10(store: Store) -> None:
    query = select(schema.tasks).where(schema.tasks.c.name.like("task/_%", escape="/"))
    query = apply_sort(query, None, False, "task", default=[schema.tasks.c.id.asc()])
    pages = _page_through(store, query, 10)
    assert [token for _, token in pages] == ["10", "20", ""]
    assert [len(names) for names, _ in pages] == [10, 10, 5]
    assert [name for names, _ in pages for name in names] == [f"task_{i:02d}" for i in range(25)]


def test_exactly_full_last_page_returns_a_token_then_an_empty_page(store: Store) -> None:
    query = select(schema.tasks).where(schema.tasks.c.name.like("task/_%", escape="/"), schema.tasks.c.id <= 20)
    query = apply_sort(query, _sort("id", common_pb2.Sort.ASCENDING), True, "task")
    pages = _page_through(store, query, 10)
    assert [(len(names), token) for names, token in pages] == [(10, "10"), (10, "20"), (0, "")]


def test_paginate_validates_limit_and_token(store: Store) -> None:
    query = select(schema.tasks)
    with store.read() as conn:
        for limit in (0, -1, 2**63):
            with _invalid("invalid value for limit"):
                paginate(conn, query, limit, "", "ListTasks")
        with _invalid("invalid pagination token -3 for ListTasks"):
            paginate(conn, query, 10, "-3", "ListTasks")


def test_limit_zero_means_all_rows_where_allowed(store: Store) -> None:
    # ListProjects: limit 0 is no limit; the token rule still holds (a full "page" of 0 only when empty).
    query = apply_sort(select(schema.projects), None, False, "project", default=[schema.projects.c.identifier.asc()])
    with store.read() as conn:
        rows, token = paginate(conn, query, 0, "", "ListProjects", allow_unlimited=True)
        assert ([row.identifier for row in rows], token) == (["alpha", "beta", "gamma"], "")
        rows, token = paginate(conn, query, 0, "1", "ListProjects", allow_unlimited=True)
        assert ([row.identifier for row in rows], token) == (["beta", "gamma"], "")
        rows, token = paginate(
            conn, query.where(schema.projects.c.identifier == "nope"), 0, "", "ListProjects", allow_unlimited=True
        )
        assert (rows, token) == ([], "0")


# --------------------------------------------------------------------------------------------------- sorting


def test_sort_ascending_descending_and_default(store: Store) -> None:
    base = select(schema.projects)
    ascending = apply_sort(base, _sort("identifier", common_pb2.Sort.ASCENDING), True, "project")
    assert [r.identifier for r in _rows(store, ascending)] == ["alpha", "beta", "gamma"]
    # DESCENDING is 0: a Sort with only a key sorts descending.
    descending = apply_sort(base, common_pb2.Sort(key="identifier"), True, "project")
    assert [r.identifier for r in _rows(store, descending)] == ["gamma", "beta", "alpha"]
    # No sort_by sent: the caller's default applies (ListProjects: identifier asc).
    default = apply_sort(base, common_pb2.Sort(), False, "project", default=[schema.projects.c.name.desc()])
    assert [r.identifier for r in _rows(store, default)] == ["gamma", "beta", "alpha"]
    assert apply_sort(base, None, False, "project") is base


def test_sort_ties_are_broken_by_id_so_pages_do_not_overlap(store: Store) -> None:
    query = select(schema.tasks).where(schema.tasks.c.name.like("task/_%", escape="/"))
    query = apply_sort(query, _sort("version"), True, "task")  # every row has version v1
    names = [name for page, _ in _page_through(store, query, 7) for name in page]
    assert names == [f"task_{i:02d}" for i in reversed(range(25))]


@pytest.mark.parametrize("key", ["nope", "", "workflow.name", "closure; DROP TABLE tasks", "ID"])
def test_sort_key_must_be_a_column_of_the_listed_entity(key: str) -> None:
    with _invalid(f"invalid sort key '{key}'"):
        apply_sort(select(schema.tasks), _sort(key), True, "task")


def test_sort_direction_must_be_known() -> None:
    with _invalid('invalid sort order specified: key:"name" direction:5'):
        apply_sort(select(schema.tasks), _sort("name", 5), True, "task")


def test_sort_with_a_join_is_not_ambiguous(store: Store) -> None:
    # created_at exists in both launch_plans and workflows: the ORDER BY must name the listed table's.
    query, _ = apply_filters(select(schema.launch_plans), "eq(workflow.name, wf_x)", "launch_plan")
    query = apply_sort(query, _sort("created_at"), True, "launch_plan")
    assert _names(store, query) == ["lp_cron_inactive", "lp_cron_active"]


# --------------------------------------------------------------------------------------------------- filters


def test_eq_on_a_string_column(store: Store) -> None:
    assert _filtered(store, schema.tasks, "task", "eq(version,123)") == ["foo"]


def test_eq_on_a_joined_entity(store: Store) -> None:
    query, fields = apply_filters(select(schema.launch_plans), "eq(workflow.name, wf_y)", "launch_plan")
    assert sorted(_names(store, query)) == ["lp_none", "lp_rate"]
    assert fields == {"name"}


def test_filters_are_anded_and_typed(store: Store) -> None:
    query, fields = apply_filters(select(schema.launch_plans), "eq(schedule_type, CRON)+ne(state, 1)", "launch_plan")
    assert _names(store, query) == ["lp_cron_inactive"]
    assert fields == {"schedule_type", "state"}
    assert _filtered(store, schema.launch_plans, "launch_plan", "gt(state,0)") == ["lp_cron_active", "lp_rate"]
    assert _filtered(store, schema.launch_plans, "launch_plan", "lte(state,0)") == ["lp_cron_inactive", "lp_none"]


def test_contains_matches_substrings_literally(store: Store) -> None:
    assert _filtered(store, schema.tasks, "task", "contains(name, foo)") == ["barfoo", "foo"]
    # '_' in the value is an underscore, not a LIKE wildcard: a_b, not axb.
    assert _filtered(store, schema.tasks, "task", "contains(name,a_b)") == ["a_b"]
    assert _filtered(store, schema.tasks, "task", "contains(name,%)") == []


def test_contains_and_not_like_are_case_sensitive(store: Store) -> None:
    # PostgreSQL's LIKE (Flyte Admin's) tells case apart; SQLite's does not.
    assert _filtered(store, schema.tasks, "task", "contains(name,FOO)") == []
    assert _filtered(store, schema.tasks, "task", "contains(name,Foo)") == []
    assert len(_filtered(store, schema.tasks, "task", "contains(name,task_0)")) == 10
    assert _filtered(store, schema.tasks, "task", "contains(name,TASK_0)") == []
    everything = _filtered(store, schema.tasks, "task", "not_like(name,nothing)")
    assert _filtered(store, schema.tasks, "task", "not_like(name,TASK%)") == everything
    assert len(_filtered(store, schema.tasks, "task", "not_like(name,task%)")) == len(everything) - 25


def test_not_like_reads_postgres_patterns(store: Store) -> None:
    # '_' is any one character, a backslash escapes, and GLOB's own wildcards are plain characters.
    assert "axb" not in _filtered(store, schema.tasks, "task", "not_like(name,a_b)")
    kept = _filtered(store, schema.tasks, "task", "not_like(name,a\\_b)")
    assert "axb" in kept and "a_b" not in kept
    assert "foo" in _filtered(store, schema.tasks, "task", "not_like(name,f*)")
    assert "foo" in _filtered(store, schema.tasks, "task", "not_like(name,f?o)")
    assert "foo" in _filtered(store, schema.tasks, "task", "not_like(name,[f]oo)")
    assert like_to_glob("50%_[x]*?\\%", "name") == "50*?[[]x][*][?]%"
    with pytest.raises(AdminError) as e:
        apply_filters(select(schema.tasks), "not_like(name,abc\\)", "task")
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.message == "invalid value for filters: the pattern for 'name' must not end with escape character"


def test_not_like_uses_the_value_verbatim(store: Store) -> None:
    names = _filtered(store, schema.tasks, "task", "not_like(name,.flytegen%)")
    assert ".flytegen.t" not in names and "foo" in names
    assert _filtered(store, schema.tasks, "task", "not_like(name,task%)+not_like(name,%a%)") == [
        ".flytegen.t",
        "b",
        "foo",
    ]


def test_value_in_and_value_not_in(store: Store) -> None:
    assert _filtered(store, schema.tasks, "task", "value_in(name,a;b)") == ["a", "b"]
    assert _filtered(store, schema.tasks, "task", "value_in(name,foo)") == ["foo"]
    assert _filtered(store, schema.launch_plans, "launch_plan", "value_not_in(schedule_type,CRON;RATE)") == ["lp_none"]
    assert _filtered(store, schema.launch_plans, "launch_plan", "value_in(state,0;1)+eq(schedule_type,RATE)") == [
        "lp_rate"
    ]


def test_single_value_functions_take_semicolons_verbatim(store: Store) -> None:
    assert _filtered(store, schema.tasks, "task", "eq(name,a;b)") == []
    with _invalid("invalid value '0;1' for filter field 'state': expected an integer"):
        _filtered(store, schema.launch_plans, "launch_plan", "eq(state,0;1)")


def test_timestamps_compare_as_times(store: Store) -> None:
    late_2023 = ["task_00", "task_01"]
    everything = _filtered(store, schema.tasks, "task", "gte(created_at,1970-01-01T00:00:00Z)")
    assert len(everything) == 32
    after = _filtered(store, schema.tasks, "task", "gte(created_at,2024-01-01T00:00:00Z)")
    assert sorted(set(everything) - set(after)) == late_2023
    assert _filtered(store, schema.tasks, "task", "lt(created_at,2024-01-01T00:00:00Z)") == late_2023
    # The offset is honoured: 2023-12-31T23:00:00-01:00 is midnight UTC. ('+' separates filters, so a positive
    # offset cannot be written in one, in Flyte Admin either.)
    assert _filtered(store, schema.tasks, "task", "lt(created_at,2023-12-31T23:00:00-01:00)") == late_2023
    # Nanosecond fractions, a space for the T, a date alone.
    assert _filtered(store, schema.tasks, "task", "lt(created_at,2023-12-31T18:00:00.000000001Z)") == ["task_00"]
    assert _filtered(store, schema.tasks, "task", "lt(created_at,2023-12-31 18:00:01)") == late_2023
    assert _filtered(store, schema.tasks, "task", "lt(created_at,2024-01-01)") == late_2023


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-01-01T25:00:00Z",
        "0000-01-01",
        "9999-12-31T23:59:59-01:00",
        "2024-01-01T00:00:00-05:99",
        "1704067200",
    ],
)
def test_bad_timestamps_are_invalid_argument(value: str) -> None:
    with _invalid(f"Timestamp {value} must conform to RFC3339 Nano spec"):
        apply_filters(select(schema.tasks), f"gte(created_at,{value})", "task")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ("eq(version)", "invalid value for filters"),
        ("eq version 1", "invalid value for filters"),
        ("eq(name,)", "invalid value for filters"),
        ("eq(,x)", "invalid value for filters"),
        ("(name,x)", "invalid value for filters"),
        ("eq(name,x)+", "invalid value for filters"),
        ("eq(name,x\x00)", "invalid value for filters"),
        ("foo(name,x)", "unrecognized filter function: foo"),
        ("neq(name,x)", "unrecognized filter function: neq"),
        (" eq(name,x)", "unrecognized filter function:  eq"),
        ("eq(foo,x)", "'t.foo' is invalid filter"),
        ("eq( name,x)", "'t. name' is invalid filter"),
        ("eq(NAME,x)", "'t.NAME' is invalid filter"),
        ("eq(task.,x)", "'t.' is invalid filter"),
        ("eq(foo.bar,x)", "'t.foo.bar' is invalid filter"),
        ("eq(name,x)+eq(bogus,1)", "'t.bogus' is invalid filter"),
        ("eq(workflow.name,x)", "'w' entity is not allowed in filters"),
        ("eq(execution.phase, SUCCEEDED)", "'e' entity is not allowed in filters"),
        ("eq(launch_plan.name,x)", "'l' entity is not allowed in filters"),
        ("eq(entities.name,x)", "'nen' entity is not allowed in filters"),
        ("eq(named_entity_metadata.state,0)", "'nem' entity is not allowed in filters"),
        ("eq(project.name,foo)", "'p' entity is not allowed in filters"),
        ("eq(node_execution.phase,x)", "'ne' entity is not allowed in filters"),
        ("eq(task_execution.phase,x)", "'te' entity is not allowed in filters"),
        ("eq(signal.signal_id,x)", "'s' entity is not allowed in filters"),
        ("value_in(admin_tag.name,x)", "'at' entity is not allowed in filters"),
        ("value_in(execution_admin_tag.name,x)", "'eat' entity is not allowed in filters"),
        ("value_in(execution_tag.key, key1)", "'et' entity is not allowed in filters"),
        # Flyte Admin's order: the field is checked before the function.
        ("foo(bogus,x)", "'t.bogus' is invalid filter"),
    ],
)
def test_filter_errors_on_tasks(filters: str, message: str) -> None:
    with _invalid(message) as info:
        apply_filters(select(schema.tasks), filters, "task")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ("eq(workflow.foo,x)", "'w.foo' is invalid filter"),
        ("eq(workflow.state,1)", "'w.state' is invalid filter"),
        ("eq(task.name,x)", "'t' entity is not allowed in filters"),
        ("eq(state,active)", "invalid value 'active' for filter field 'state': expected an integer"),
        ("value_in(state,0;x)", "invalid value 'x' for filter field 'state': expected an integer"),
        (
            "eq(launch_plan.id,99999999999999999999)",
            "invalid value '99999999999999999999' for filter field 'launch_plan.id': expected a 64-bit integer",
        ),
        ("eq(workflow.id,1.5)", "invalid value '1.5' for filter field 'workflow.id': expected an integer"),
    ],
)
def test_filter_errors_on_launch_plans(filters: str, message: str) -> None:
    with _invalid(message):
        apply_filters(select(schema.launch_plans), filters, "launch_plan")


def test_regex_quirks_match_flyte_admin(store: Store) -> None:
    # One optional space after the comma; more stay in the value, and ints tolerate them as PostgreSQL does.
    assert _filtered(store, schema.tasks, "task", "eq(name, foo)") == ["foo"]
    assert _filtered(store, schema.tasks, "task", "eq(name,  foo)") == []
    assert _filtered(store, schema.launch_plans, "launch_plan", "eq(state,  1 )+eq(schedule_type,RATE)") == ["lp_rate"]
    # The field ends at the last comma, the value at the last ')'; text after that is ignored.
    with _invalid("'t.name,x' is invalid filter"):
        apply_filters(select(schema.tasks), "eq(name,x,y)", "task")
    assert _filtered(store, schema.tasks, "task", "eq(name,foo) trailing") == ["foo"]


def test_returned_fields_are_the_compared_columns() -> None:
    _, fields = apply_filters(select(schema.projects), "eq(state,1)+contains(identifier,a)", "project")
    assert fields == {"state", "identifier"}
    _, fields = apply_filters(select(schema.projects), "", "project")
    assert fields == set()


def test_projects_and_description_entities(store: Store) -> None:
    assert _names(store, apply_filters(select(schema.projects), "ne(state,1)", "project")[0]) == ["ALPHA", "GAMMA"]
    query, _ = apply_filters(select(schema.description_entities), "gte(created_at,2024-01-01)", "description_entity")
    assert [r.version for r in _rows(store, query)] == ["2"]
    with _invalid("'de.type' is invalid filter"):
        apply_filters(select(schema.description_entities), "eq(type,x)", "description_entity")


def test_binary_columns_compare_as_bytes(store: Store) -> None:
    assert _filtered(store, schema.tasks, "task", "eq(closure,x)") == []
    assert len(_filtered(store, schema.tasks, "task", "not_like(closure,x%)")) == 32


# ---------------------------------------------------------------------------------------------- named entities


def _named_entities(resource_type: int = 1) -> tuple[Any, dict[str, Any]]:
    """The ListNamedEntities query: task names grouped, left-joined with their optional metadata."""
    t, nem = schema.tasks, schema.named_entity_metadata
    entities = (
        select(t.c.project, t.c.domain, t.c.name)
        .where(t.c.project == "p", t.c.domain == "d")
        .group_by(t.c.project, t.c.domain, t.c.name)
        .subquery("entities")
    )
    on = and_(
        nem.c.resource_type == resource_type,
        nem.c.project == entities.c.project,
        nem.c.domain == entities.c.domain,
        nem.c.name == entities.c.name,
    )
    query = select(entities.c.name, nem.c.description, nem.c.state).select_from(entities.outerjoin(nem, on))
    return query, {"named_entity": entities}


def test_named_entity_state_treats_missing_metadata_as_active(store: Store) -> None:
    query, tables = _named_entities()
    archived, fields = apply_filters(query, "eq(state,1)", "named_entity", tables)
    assert _names(store, archived) == ["foo"]
    assert fields == {"state"}
    active, _ = apply_filters(
        query, "eq(named_entity_metadata.state, 0)+value_in(name,a;b;foo)", "named_entity", tables
    )
    assert sorted(_names(store, active)) == ["a", "b"]  # a: state NULL; b: no metadata row at all


def test_named_entity_fields_and_prefixes(store: Store) -> None:
    query, tables = _named_entities()
    assert _names(store, apply_filters(query, "contains(description,foo)", "named_entity", tables)[0]) == ["foo"]
    assert _names(store, apply_filters(query, "eq(entities.name,axb)", "named_entity", tables)[0]) == ["axb"]
    ordered = apply_sort(query, _sort("state"), True, "named_entity", tables=tables)
    assert _names(store, ordered)[0] == "foo"
    # resource_type is a named entity field, but this query's grouped names do not carry it.
    with _invalid("'nen.resource_type' is invalid filter"):
        apply_filters(query, "eq(resource_type,1)", "named_entity", tables)
    with _invalid("'nem.bogus' is invalid filter"):
        apply_filters(query, "eq(named_entity_metadata.bogus,1)", "named_entity", tables)
    with _invalid("'t' entity is not allowed in filters"):
        apply_filters(query, "eq(task.name,x)", "named_entity", tables)


# ---------------------------------------------------------------------------------------- limits and registry


def test_limits_keep_hostile_filters_away_from_sqlite() -> None:
    many = "+".join(["eq(name,x)"] * (listing.MAX_FILTER_EXPRESSIONS + 1))
    with pytest.raises(AdminError, match="more than 100 expressions"):
        apply_filters(select(schema.tasks), many, "task")
    values = ";".join(["x"] * (listing.MAX_FILTER_VALUES + 1))
    with pytest.raises(AdminError, match="more than 5000 values"):
        apply_filters(select(schema.tasks), f"value_in(name,{values})", "task")
    with pytest.raises(AdminError, match="exceeds 10000 bytes"):
        apply_filters(select(schema.tasks), f"contains(name,{'x' * 10_001})", "task")


def test_a_long_filter_without_a_match_parses_quickly() -> None:
    # Python's regex engine would backtrack cubically here; Go's (and this parser) are linear.
    hostile = "(" * 20_000 + "," * 20_000
    with _invalid("invalid value for filters"):
        apply_filters(select(schema.tasks), hostile, "task")


def test_the_largest_legal_filter_runs(store: Store) -> None:
    values = ";".join(f"n{i}" for i in range(listing.MAX_FILTER_VALUES - 100)) + ";foo"
    expressions = [f"value_in(name,{values})"] + ["ne(name,zz)"] * 99
    assert _filtered(store, schema.tasks, "task", "+".join(expressions)) == ["foo"]


def test_an_exists_join_for_a_one_to_many_entity(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape the executions change uses for execution tags, tried on a tag table for tasks.
    meta = MetaData()
    tags = Table("test_task_tags", meta, Column("task_id", Integer), Column("key", String), Column("value", String))
    with store.begin() as conn:
        meta.create_all(conn)
        ids = {r.name: r.id for r in conn.execute(select(schema.tasks.c.name, schema.tasks.c.id))}
        conn.execute(
            tags.insert(),
            [
                {"task_id": ids["foo"], "key": "team", "value": "red"},
                {"task_id": ids["foo"], "key": "tier", "value": "gold"},
                {"task_id": ids["a"], "key": "team", "value": "blue"},
                {"task_id": ids["a"], "key": "tier", "value": "red"},
            ],
        )
    task = listing.ENTITIES["task"]
    monkeypatch.setitem(listing.ENTITIES, "task_tag", Entity("task_tag", "tt", "task_tag", tags))
    monkeypatch.setitem(
        listing.ENTITIES,
        "task",
        Entity(
            "task",
            "t",
            "task",
            schema.tasks,
            joins={"task_tag": Join(lambda t, tag: tag.c.task_id == t.c.id, exists=True)},
        ),
    )
    try:
        # Both conditions hold for one tag row: foo (team=red), not a (team=blue, another tag has red).
        assert _filtered(store, schema.tasks, "task", "eq(task_tag.key,team)+eq(task_tag.value,red)") == ["foo"]
        # No row repeats although foo has two tags.
        assert _filtered(store, schema.tasks, "task", "value_in(task_tag.key,team;tier)") == ["a", "foo"]
    finally:
        monkeypatch.setitem(listing.ENTITIES, "task", task)
        with store.begin() as conn:
            tags.drop(conn)


def test_programming_errors_are_not_admin_errors() -> None:
    with pytest.raises(ValueError, match="no listing entity"):
        apply_filters(select(schema.tasks), "eq(name,x)", "tasks")
    with pytest.raises(ValueError, match="pass its selectable"):
        apply_filters(select(schema.tasks), "eq(name,x)", "named_entity")


# ---------------------------------------------------------------------------------------------- value parsing


@pytest.mark.parametrize(
    ("value", "nanos"),
    [
        ("90", 90 * 10**9),
        ("1.5", 1_500_000_000),
        ("1h30m", 5400 * 10**9),
        ("-2s", -2 * 10**9),
        ("0", 0),
        ("250ms", 250 * 10**6),
        ("1.5us", 1500),
        ("2µs", 2000),
        ("+.5h", 1800 * 10**9),
        ("1e3", 10**12),
    ],
)
def test_durations_parse_like_flyte_admin(value: str, nanos: int) -> None:
    assert listing._parse_duration(value) == nanos


@pytest.mark.parametrize("value", ["", "abc", "1d", "h", ".s", "1h ", " 1h", "3000000h", "nan", "inf", "--1s"])
def test_bad_durations(value: str) -> None:
    with _invalid(f"Failed to parse duration [{value}]"):
        listing._parse_duration(value)


_GO_FILTER_REGEX = re.compile(r"(.+)\((.+),[\t\n\f\r ]?(.+)\)")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab(),) \n\t", max_size=14))
def test_expression_matcher_equals_the_go_regex(text: str) -> None:
    expected = _GO_FILTER_REGEX.search(text)
    assert listing._match_expression(text) == (expected.groups() if expected else None)


# ------------------------------------------------------------------------------------ nothing but INVALID_ARGUMENT

_ALL_COLUMNS = sorted(
    {c.name for t in schema.metadata.tables.values() for c in t.columns} | {"duration", "foo", "", " name", "ID"}
)
_PREFIXES = [
    "task.",
    "workflow.",
    "launch_plan.",
    "entities.",
    "named_entity_metadata.",
    "project.",
    "execution.",
    "admin_tag.",
    "execution_tag.",
    "signal.",
    "nope.",
]
_PRIMARIES = ["task", "workflow", "launch_plan", "project", "description_entity", "named_entity"]
# Fields each listed entity accepts, so that many generated filters get past parsing and reach the database.
_VALID_FIELDS = {
    "task": [c.name for c in schema.tasks.columns],
    "workflow": [c.name for c in schema.workflows.columns],
    "launch_plan": [c.name for c in schema.launch_plans.columns]
    + [f"workflow.{c.name}" for c in schema.workflows.columns],
    "project": [c.name for c in schema.projects.columns],
    "description_entity": [c.name for c in schema.description_entities.columns],
    "named_entity": ["name", "project", "domain", "description", "state", "entities.name", "entities.state"]
    + [f"named_entity_metadata.{c.name}" for c in schema.named_entity_metadata.columns],
}
_VALUES = st.one_of(
    st.integers(min_value=-3, max_value=3).map(str),
    st.sampled_from(["foo", "a", "b", "a_b", "task_01", "CRON", "RATE", "v1", "123", "alpha", "wf_x"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "2024-01-01",
            "2023-12-31T23:00:00.5-01:00",
            "2024-02-30",
            "1h",
            "1.5",
            "CRON",
            "foo",
            "a;b",
            "0;1",
            "1;x",
            "%",
            "_",
            "%_%",
            ".flytegen%",
            " 1",
            "1e400",
            "-0",
            "nan",
            "true",
        ]
    ),
    st.text(min_size=1, max_size=12),
    st.text(min_size=1, alphabet=";,()% _\n\t\\'\"x1", max_size=12),
)
_FUNCTION_NAMES = st.one_of(
    st.sampled_from(sorted(listing._FUNCTIONS)),
    st.sampled_from(sorted(listing._FUNCTIONS)),
    st.sampled_from(["neq", "EQ", "like", ""]),
    st.text(min_size=1, max_size=4),
)
_SEPARATORS = st.sampled_from([",", ", ", ",", ", ", ",  ", ",\n", ",,"])


def _mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], weight: int) -> st.SearchStrategy[Any]:
    """``usual`` ``weight`` times as often as ``rare`` (``one_of`` gives no control over the split)."""
    return st.integers(min_value=0, max_value=weight).flatmap(lambda i: rare if i == 0 else usual)


def _expressions(primary: str) -> st.SearchStrategy[str]:
    def build(fn: str, name: str, sep: str, value: str) -> str:
        return f"{fn}({name}{sep}{value})"

    other_fields = st.one_of(
        st.builds(str.__add__, st.sampled_from(_PREFIXES), st.sampled_from(_ALL_COLUMNS)),
        st.sampled_from(_ALL_COLUMNS),
        st.text(min_size=1, max_size=6),
    )
    fields = _mostly(st.sampled_from(_VALID_FIELDS[primary]), other_fields, 3)
    functions = _mostly(st.sampled_from(sorted(listing._FUNCTIONS)), _FUNCTION_NAMES, 4)
    return _mostly(st.builds(build, functions, fields, _SEPARATORS, _VALUES), st.text(max_size=20), 8)


def _filters(primary: str) -> st.SearchStrategy[str]:
    listed = st.lists(_expressions(primary), min_size=1, max_size=3).map("+".join)
    return _mostly(listed, st.one_of(st.just(""), st.text(max_size=30)), 6)


def _base_query(primary: str) -> tuple[Any, dict[str, Any] | None]:
    if primary == "named_entity":
        return _named_entities()
    table = {
        "task": schema.tasks,
        "workflow": schema.workflows,
        "launch_plan": schema.launch_plans,
        "project": schema.projects,
        "description_entity": schema.description_entities,
    }[primary]
    return select(table), None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    primary=st.sampled_from(_PRIMARIES),
    sort_key=st.one_of(st.none(), st.sampled_from(_ALL_COLUMNS), st.text(max_size=6)),
    direction=st.sampled_from([0, 1, 0, 1, -1, 2, 7]),
    limit=st.one_of(st.integers(min_value=1, max_value=40), st.integers(min_value=-1, max_value=2**64)),
    unlimited=st.booleans(),
    token=st.one_of(
        st.just(""),
        st.integers(min_value=0, max_value=40).map(str),
        st.integers(-5, 2**64).map(str),
        st.text(max_size=6),
    ),
)
def test_client_input_yields_rows_or_invalid_argument(
    store: Store,
    data: st.DataObject,
    primary: str,
    sort_key: str | None,
    direction: int,
    limit: int,
    unlimited: bool,
    token: str,
) -> None:
    filters = data.draw(_filters(primary), label="filters")
    query, tables = _base_query(primary)
    try:
        query, fields = apply_filters(query, filters, primary, tables)
        sort_by = None if sort_key is None else _sort(sort_key, direction)
        query = apply_sort(query, sort_by, sort_by is not None, primary, tables=tables)
        with store.read() as conn:
            rows, next_ = paginate(conn, query, limit, token, "ListThings", allow_unlimited=unlimited)
    except AdminError as error:
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error
        assert error.message
        return
    assert isinstance(fields, set)
    assert next_ in ("", str(int(token or 0) + len(rows)))
    if limit:
        assert len(rows) <= limit


def test_grouped_queries_get_no_id_tiebreak(store: Store) -> None:
    # ListTaskIds groups by name: ordering by an ungrouped id would be refused by PostgreSQL.
    t = schema.tasks
    grouped = select(t.c.project, t.c.domain, t.c.name).group_by(t.c.project, t.c.domain, t.c.name)
    query = apply_sort(grouped, _sort("name", common_pb2.Sort.ASCENDING), True, "task")
    assert "tasks.id" not in str(query)
    assert _names(store, query)[:3] == [".flytegen.t", "a", "a_b"]
