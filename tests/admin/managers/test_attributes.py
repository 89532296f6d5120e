"""Matchable attributes (and GetVersion) of the embedded admin: every path and message, then over real gRPC."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from flyteidl.admin import (
    cluster_assignment_pb2,
    common_pb2,
    matchable_resource_pb2,
    project_attributes_pb2,
    project_domain_attributes_pb2,
    version_pb2,
    workflow_attributes_pb2,
)
from flyteidl.core import execution_pb2, literals_pb2, security_pb2
from google.protobuf import wrappers_pb2

from flyteplane.admin.build_info import this_build
from flyteplane.admin.config import AdminConfig, AdminContext
from flyteplane.admin.errors import AdminError
from flyteplane.admin.managers.attributes import AttributesManager, merge_into_exec_config
from flyteplane.admin.managers.version import VersionManager
from flyteplane.admin.store.attributes import lookup, resolve
from flyteplane.admin.store.db import Store
from flyteplane.admin.wiring import build_context

m = matchable_resource_pb2
pda = project_domain_attributes_pb2
pa = project_attributes_pb2
wa = workflow_attributes_pb2

P, D = "flytesnacks", "development"
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


@pytest.fixture
def mgr(ctx: AdminContext) -> AttributesManager:
    return AttributesManager(ctx)


def cpu(value: str) -> m.MatchingAttributes:
    return m.MatchingAttributes(
        task_resource_attributes=m.TaskResourceAttributes(defaults=m.TaskResourceSpec(cpu=value))
    )


def queue(*tags: str) -> m.MatchingAttributes:
    return m.MatchingAttributes(execution_queue_attributes=m.ExecutionQueueAttributes(tags=list(tags)))


def plugins(**overrides: str) -> m.MatchingAttributes:
    return m.MatchingAttributes(
        plugin_overrides=m.PluginOverrides(
            overrides=[m.PluginOverride(task_type=t, plugin_id=[p]) for t, p in overrides.items()]
        )
    )


def set_pd(mgr: AttributesManager, attrs: m.MatchingAttributes, project: str = P, domain: str = D) -> None:
    mgr.update_project_domain_attributes(
        pda.ProjectDomainAttributesUpdateRequest(
            attributes=pda.ProjectDomainAttributes(project=project, domain=domain, matching_attributes=attrs)
        )
    )


def set_wf(mgr: AttributesManager, workflow: str, attrs: m.MatchingAttributes, domain: str = D) -> None:
    mgr.update_workflow_attributes(
        wa.WorkflowAttributesUpdateRequest(
            attributes=wa.WorkflowAttributes(project=P, domain=domain, workflow=workflow, matching_attributes=attrs)
        )
    )


def set_project(mgr: AttributesManager, attrs: m.MatchingAttributes, project: str = P) -> None:
    mgr.update_project_attributes(
        pa.ProjectAttributesUpdateRequest(attributes=pa.ProjectAttributes(project=project, matching_attributes=attrs))
    )


def get_pd(mgr: AttributesManager, rt: int = m.TASK_RESOURCE, domain: str = D) -> pda.ProjectDomainAttributes:
    return mgr.get_project_domain_attributes(
        pda.ProjectDomainAttributesGetRequest(project=P, domain=domain, resource_type=rt)
    ).attributes


def get_wf(mgr: AttributesManager, workflow: str, rt: int = m.TASK_RESOURCE) -> wa.WorkflowAttributes:
    return mgr.get_workflow_attributes(
        wa.WorkflowAttributesGetRequest(project=P, domain=D, workflow=workflow, resource_type=rt)
    ).attributes


def listed(mgr: AttributesManager, rt: int) -> list[tuple[str, str, str]]:
    resp = mgr.list_matchable_attributes(m.ListMatchableAttributesRequest(resource_type=rt))
    return [(c.project, c.domain, c.workflow) for c in resp.configurations]


@contextlib.contextmanager
def expect(code: grpc.StatusCode, message: str) -> Iterator[None]:
    """The block raises AdminError with exactly this code and message."""
    with pytest.raises(AdminError, match="^" + re.escape(message) + "$") as err:
        yield
    assert err.value.code == code


# -- project-domain ----------------------------------------------------------------------------------------------
def test_project_domain_round_trip_and_upsert(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("1"))
    got = get_pd(mgr)
    assert (got.project, got.domain) == (P, D)
    assert got.matching_attributes == cpu("1")
    set_pd(mgr, cpu("2"))  # overwrite, not a second row
    assert get_pd(mgr).matching_attributes == cpu("2")
    assert listed(mgr, m.TASK_RESOURCE) == [(P, D, "")]


def test_project_domain_not_found_message(mgr: AttributesManager) -> None:
    with expect(
        NOT_FOUND,
        "Resource [{Project:flytesnacks Domain:development Workflow: LaunchPlan: ResourceType:TASK_RESOURCE}]"
        " not found",
    ):
        get_pd(mgr)


def test_project_domain_falls_back_to_project_level_row(mgr: AttributesManager) -> None:
    set_project(mgr, cpu("5"))
    got = get_pd(mgr)
    # The matched row is the project-level one, and its (empty) domain is echoed, as Flyte Admin does.
    assert (got.project, got.domain) == (P, "")
    assert got.matching_attributes == cpu("5")
    set_pd(mgr, cpu("10"))
    assert get_pd(mgr).domain == D
    assert get_pd(mgr).matching_attributes == cpu("10")


def test_types_are_independent(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("1"))
    set_pd(mgr, queue("gpu"))
    assert get_pd(mgr, m.EXECUTION_QUEUE).matching_attributes == queue("gpu")
    assert get_pd(mgr, m.TASK_RESOURCE).matching_attributes == cpu("1")
    with expect(
        NOT_FOUND,
        "Resource [{Project:flytesnacks Domain:development Workflow: LaunchPlan: ResourceType:CLUSTER_RESOURCE}]"
        " not found",
    ):
        get_pd(mgr, m.CLUSTER_RESOURCE)


def test_update_validation_messages(mgr: AttributesManager) -> None:
    with expect(INVALID, "missing attributes"):
        mgr.update_project_domain_attributes(pda.ProjectDomainAttributesUpdateRequest())
    with expect(INVALID, "missing matching_attributes"):
        mgr.update_project_domain_attributes(
            pda.ProjectDomainAttributesUpdateRequest(attributes=pda.ProjectDomainAttributes(project=P, domain=D))
        )
    qos = m.MatchingAttributes(quality_of_service=execution_pb2.QualityOfService(tier=1))
    with expect(INVALID, "Unrecognized matching attributes type for request flytesnacks-development"):
        set_pd(mgr, qos)
    with expect(INVALID, "Unrecognized matching attributes type for request flytesnacks-development"):
        set_pd(mgr, m.MatchingAttributes())
    with expect(
        INVALID,
        "failed to validate that project [nope] and domain [development] are registered, "
        "err: [project [nope] not found]",
    ):
        set_pd(mgr, cpu("1"), project="nope")
    with expect(INVALID, "project [archived] is not active"):
        set_pd(mgr, cpu("1"), project="archived")
    with expect(INVALID, "domain [qa] is unrecognized by system"):
        set_pd(mgr, cpu("1"), domain="qa")
    assert listed(mgr, m.TASK_RESOURCE) == []


def test_empty_target_message_is_still_recognized(mgr: AttributesManager) -> None:
    # A oneof member set to an empty message is set (Go sees a non-nil pointer), so it is stored.
    set_pd(mgr, m.MatchingAttributes(cluster_assignment=cluster_assignment_pb2.ClusterAssignment()))
    assert get_pd(mgr, m.CLUSTER_ASSIGNMENT).matching_attributes.HasField("cluster_assignment")


def test_get_and_delete_validate_project_domain_and_type(mgr: AttributesManager) -> None:
    with expect(INVALID, "domain [qa] is unrecognized by system"):
        get_pd(mgr, domain="qa")
    with expect(INVALID, "invalid value for resource_type"):
        get_pd(mgr, rt=42)
    with expect(INVALID, "invalid value for resource_type"):
        mgr.delete_project_domain_attributes(
            pda.ProjectDomainAttributesDeleteRequest(project=P, domain=D, resource_type=42)
        )
    with expect(INVALID, "project [archived] is not active"):
        mgr.delete_project_domain_attributes(pda.ProjectDomainAttributesDeleteRequest(project="archived", domain=D))


def test_delete_project_domain_also_removes_workflow_rows(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("1"))
    set_pd(mgr, cpu("1"), domain="staging")
    set_pd(mgr, queue("q"))
    set_wf(mgr, "wf", cpu("2"))
    set_project(mgr, cpu("3"))
    mgr.delete_project_domain_attributes(
        pda.ProjectDomainAttributesDeleteRequest(project=P, domain=D, resource_type=m.TASK_RESOURCE)
    )
    # gorm leaves empty fields out of the WHERE: the workflow row of the same project/domain/type went too.
    assert sorted(listed(mgr, m.TASK_RESOURCE)) == [(P, "", ""), (P, "staging", "")]
    assert listed(mgr, m.EXECUTION_QUEUE) == [(P, D, "")]
    # Deleting what is not there is fine.
    mgr.delete_project_domain_attributes(
        pda.ProjectDomainAttributesDeleteRequest(project=P, domain=D, resource_type=m.TASK_RESOURCE)
    )


# -- workflow ----------------------------------------------------------------------------------------------------
def test_workflow_round_trip_and_fallbacks(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("pd"))
    got = get_wf(mgr, "wf")
    assert (got.project, got.domain, got.workflow) == (P, D, "")  # fell back to the project-domain row
    assert got.matching_attributes == cpu("pd")
    set_wf(mgr, "wf", cpu("wf"))
    got = get_wf(mgr, "wf")
    assert (got.project, got.domain, got.workflow) == (P, D, "wf")
    assert got.matching_attributes == cpu("wf")
    assert get_wf(mgr, "other").matching_attributes == cpu("pd")
    assert listed(mgr, m.TASK_RESOURCE) == [(P, D, "wf"), (P, D, "")]


def test_workflow_not_found_and_validation(mgr: AttributesManager) -> None:
    with expect(
        NOT_FOUND,
        "Resource [{Project:flytesnacks Domain:development Workflow:wf LaunchPlan: ResourceType:EXECUTION_QUEUE}]"
        " not found",
    ):
        get_wf(mgr, "wf", m.EXECUTION_QUEUE)
    with expect(INVALID, "missing name"):
        set_wf(mgr, "", cpu("1"))
    with expect(INVALID, "missing name"):
        get_wf(mgr, "")
    with expect(INVALID, "missing name"):
        mgr.delete_workflow_attributes(wa.WorkflowAttributesDeleteRequest(project=P, domain=D))
    with expect(INVALID, "missing attributes"):
        mgr.update_workflow_attributes(wa.WorkflowAttributesUpdateRequest())
    with expect(INVALID, "workflow cannot exceed 255 characters"):
        set_wf(mgr, "w" * 256, cpu("1"))
    with expect(INVALID, "workflow cannot exceed 255 characters"):
        get_wf(mgr, "w" * 256)
    with expect(INVALID, "Unrecognized matching attributes type for request flytesnacks-development-wf"):
        set_wf(mgr, "wf", m.MatchingAttributes())
    with expect(INVALID, "invalid value for resource_type"):
        get_wf(mgr, "wf", rt=-1)
    # Project/domain are checked before the workflow name, as in Flyte Admin.
    with expect(INVALID, "domain [qa] is unrecognized by system"):
        set_wf(mgr, "", cpu("1"), domain="qa")


def test_delete_workflow_attributes_only_that_workflow(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("pd"))
    set_wf(mgr, "a", cpu("a"))
    set_wf(mgr, "b", cpu("b"))
    mgr.delete_workflow_attributes(
        wa.WorkflowAttributesDeleteRequest(project=P, domain=D, workflow="a", resource_type=m.TASK_RESOURCE)
    )
    assert listed(mgr, m.TASK_RESOURCE) == [(P, D, "b"), (P, D, "")]
    assert get_wf(mgr, "a").workflow == ""


# -- plugin overrides ----------------------------------------------------------------------------------------------
def test_plugin_overrides_merge_by_task_type(mgr: AttributesManager) -> None:
    set_pd(mgr, plugins(python="a", sidecar="s"))
    set_pd(mgr, plugins(spark="b", python="c"))
    overrides = get_pd(mgr, m.PLUGIN_OVERRIDE).matching_attributes.plugin_overrides.overrides
    assert [(o.task_type, list(o.plugin_id)) for o in overrides] == [
        ("python", ["c"]),
        ("sidecar", ["s"]),
        ("spark", ["b"]),
    ]
    set_wf(mgr, "wf", plugins(python="w"))
    set_wf(mgr, "wf", plugins(hive="h"))
    overrides = get_wf(mgr, "wf", m.PLUGIN_OVERRIDE).matching_attributes.plugin_overrides.overrides
    assert [o.task_type for o in overrides] == ["python", "hive"]
    set_project(mgr, plugins(python="p"))
    set_project(mgr, plugins(dask="d"))
    got = mgr.get_project_attributes(pa.ProjectAttributesGetRequest(project=P, resource_type=m.PLUGIN_OVERRIDE))
    assert [o.task_type for o in got.attributes.matching_attributes.plugin_overrides.overrides] == ["python", "dask"]


def test_other_types_are_replaced_not_merged(mgr: AttributesManager) -> None:
    set_pd(mgr, queue("a", "b"))
    set_pd(mgr, queue("c"))
    assert list(get_pd(mgr, m.EXECUTION_QUEUE).matching_attributes.execution_queue_attributes.tags) == ["c"]


# -- project -----------------------------------------------------------------------------------------------------
def test_project_attributes_update_validation(mgr: AttributesManager) -> None:
    with expect(INVALID, "missing attributes"):
        mgr.update_project_attributes(pa.ProjectAttributesUpdateRequest())
    with expect(INVALID, "failed to validate that project [nope] is registered, err: [project [nope] not found]"):
        set_project(mgr, cpu("1"), project="nope")
    with expect(INVALID, "project [archived] is not active"):
        set_project(mgr, cpu("1"), project="archived")
    with expect(INVALID, "Unrecognized matching attributes type for request flytesnacks"):
        set_project(mgr, m.MatchingAttributes())
    with expect(INVALID, "missing matching_attributes"):
        mgr.update_project_attributes(pa.ProjectAttributesUpdateRequest(attributes=pa.ProjectAttributes(project=P)))


def test_project_attributes_get_only_project_level(mgr: AttributesManager) -> None:
    set_pd(mgr, cpu("pd"))
    req = pa.ProjectAttributesGetRequest(project=P, resource_type=m.TASK_RESOURCE)
    with expect(
        NOT_FOUND,
        "Resource [{Project:flytesnacks Domain: Workflow: LaunchPlan: ResourceType:TASK_RESOURCE}] not found",
    ):
        mgr.get_project_attributes(req)
    set_project(mgr, cpu("p"))
    got = mgr.get_project_attributes(req).attributes
    assert got.project == P
    assert got.matching_attributes == cpu("p")


def test_project_attributes_get_validation(mgr: AttributesManager) -> None:
    with expect(INVALID, "failed to validate that project [nope] exists, err: [project [nope] not found]"):
        mgr.get_project_attributes(pa.ProjectAttributesGetRequest(project="nope"))
    with expect(INVALID, "invalid value for resource_type"):
        mgr.get_project_attributes(pa.ProjectAttributesGetRequest(project=P, resource_type=99))
    # Archived projects can still be read.
    got = mgr.get_project_attributes(
        pa.ProjectAttributesGetRequest(project="archived", resource_type=m.WORKFLOW_EXECUTION_CONFIG)
    )
    assert got.attributes.project == "archived"


def test_workflow_execution_config_merged_with_server_defaults(make_ctx: Callable[..., AdminContext]) -> None:
    mgr = AttributesManager(make_ctx(AdminConfig(max_parallelism=7)))
    req = pa.ProjectAttributesGetRequest(project=P, resource_type=m.WORKFLOW_EXECUTION_CONFIG)
    # No row: the defaults alone, not NOT_FOUND.
    got = mgr.get_project_attributes(req).attributes
    assert got.project == P
    assert got.matching_attributes == m.MatchingAttributes(
        workflow_execution_config=m.WorkflowExecutionConfig(max_parallelism=7)
    )
    stored = m.WorkflowExecutionConfig(labels=common_pb2.Labels(values={"team": "a"}))
    set_project(mgr, m.MatchingAttributes(workflow_execution_config=stored))
    wec = mgr.get_project_attributes(req).attributes.matching_attributes.workflow_execution_config
    assert wec.max_parallelism == 7
    assert dict(wec.labels.values) == {"team": "a"}
    set_project(mgr, m.MatchingAttributes(workflow_execution_config=m.WorkflowExecutionConfig(max_parallelism=3)))
    wec = mgr.get_project_attributes(req).attributes.matching_attributes.workflow_execution_config
    assert wec.max_parallelism == 3


def test_delete_project_attributes(mgr: AttributesManager) -> None:
    set_project(mgr, cpu("p"))
    set_pd(mgr, cpu("pd"))
    set_project(mgr, queue("q"))
    with expect(INVALID, "project [archived] is not active"):
        mgr.delete_project_attributes(pa.ProjectAttributesDeleteRequest(project="archived"))
    with expect(INVALID, "invalid value for resource_type"):
        mgr.delete_project_attributes(pa.ProjectAttributesDeleteRequest(project=P, resource_type=8))
    mgr.delete_project_attributes(pa.ProjectAttributesDeleteRequest(project=P, resource_type=m.TASK_RESOURCE))
    # Only project is a key here, so every TASK_RESOURCE row of the project goes (gorm semantics).
    assert listed(mgr, m.TASK_RESOURCE) == []
    assert listed(mgr, m.EXECUTION_QUEUE) == [(P, "", "")]


# -- list --------------------------------------------------------------------------------------------------------
def test_list_matchable_attributes_by_priority(
    ctx: AdminContext, mgr: AttributesManager, add_project: Callable[..., None]
) -> None:
    add_project(ctx, "other")
    assert listed(mgr, m.TASK_RESOURCE) == []
    set_project(mgr, cpu("p"))
    set_pd(mgr, cpu("pd"), project="other")
    set_wf(mgr, "wf", cpu("wf"))
    set_pd(mgr, cpu("pd"))
    resp = mgr.list_matchable_attributes(m.ListMatchableAttributesRequest(resource_type=m.TASK_RESOURCE))
    assert [(c.project, c.domain, c.workflow, c.launch_plan) for c in resp.configurations] == [
        (P, D, "wf", ""),
        ("other", D, "", ""),
        (P, D, "", ""),
        (P, "", "", ""),
    ]
    assert resp.configurations[0].attributes == cpu("wf")
    with expect(INVALID, "invalid value for resource_type"):
        mgr.list_matchable_attributes(m.ListMatchableAttributesRequest(resource_type=123))


# -- helpers for other managers ----------------------------------------------------------------------------------
def test_resolve_and_lookup(ctx: AdminContext, mgr: AttributesManager) -> None:
    with ctx.store.read() as conn:
        assert resolve(conn, m.TASK_RESOURCE, P, D, "wf") is None
    set_project(mgr, cpu("p"))
    set_pd(mgr, cpu("pd"))
    set_wf(mgr, "wf", cpu("wf"))
    with ctx.store.read() as conn:
        assert resolve(conn, m.TASK_RESOURCE, P, D, "wf") == cpu("wf")
        assert resolve(conn, "TASK_RESOURCE", P, D, "other") == cpu("pd")
        assert resolve(conn, m.TASK_RESOURCE, P, "staging") == cpu("p")
        assert resolve(conn, m.TASK_RESOURCE, "elsewhere", D) is None
        matched = lookup(conn, m.TASK_RESOURCE, P, "staging", "wf", "lp")
    assert matched is not None
    assert (matched.project, matched.domain, matched.workflow, matched.resource_type) == (P, "", "", "TASK_RESOURCE")


def test_merge_into_exec_config_rules() -> None:
    defaults = m.WorkflowExecutionConfig(
        max_parallelism=25,
        security_context=security_pb2.SecurityContext(run_as=security_pb2.Identity(k8s_service_account="sa")),
        raw_output_data_config=common_pb2.RawOutputDataConfig(output_location_prefix="s3://b"),
        annotations=common_pb2.Annotations(values={"a": "1"}),
        interruptible=wrappers_pb2.BoolValue(value=True),
        overwrite_cache=True,
        envs=common_pb2.Envs(values=[literals_pb2.KeyValuePair(key="K", value="V")]),
    )
    mine = m.WorkflowExecutionConfig(max_parallelism=2, labels=common_pb2.Labels(values={"l": "x"}))
    merged = merge_into_exec_config(mine, defaults)
    assert merged.max_parallelism == 2
    assert merged.security_context.run_as.k8s_service_account == "sa"
    assert merged.raw_output_data_config.output_location_prefix == "s3://b"
    assert dict(merged.labels.values) == {"l": "x"}
    assert dict(merged.annotations.values) == {"a": "1"}
    assert merged.interruptible.value is True
    assert merged.overwrite_cache is True
    assert [(kv.key, kv.value) for kv in merged.envs.values] == [("K", "V")]
    assert mine.max_parallelism == 2 and not mine.HasField("security_context")  # inputs untouched
    # A security context without an identity in the defaults is not taken.
    empty_sc = m.WorkflowExecutionConfig(security_context=security_pb2.SecurityContext())
    assert not merge_into_exec_config(m.WorkflowExecutionConfig(), empty_sc).HasField("security_context")


# -- version -----------------------------------------------------------------------------------------------------
def test_get_version_from_config() -> None:
    default = VersionManager(build_context(AdminConfig(), Store(None)))
    v = default.get_version(version_pb2.GetVersionRequest()).control_plane_version
    assert (v.Version, v.Build, v.BuildTime) == (this_build().version, this_build().build, this_build().build_time)
    config = dataclasses.replace(AdminConfig(), version="v1.16.8", build="abc123", build_time="2025-01-01")
    v = VersionManager(build_context(config, Store(None))).get_version(version_pb2.GetVersionRequest())
    assert v.control_plane_version == version_pb2.Version(Version="v1.16.8", Build="abc123", BuildTime="2025-01-01")


# -- over real gRPC ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    from flyteplane.admin import AdminServer

    with AdminServer() as srv:  # seeds flytesnacks
        yield srv


def test_grpc_attributes(server: Any) -> None:
    from flyteidl.service import admin_pb2_grpc

    with grpc.insecure_channel(server.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        stub.UpdateProjectDomainAttributes(
            pda.ProjectDomainAttributesUpdateRequest(
                attributes=pda.ProjectDomainAttributes(project=P, domain=D, matching_attributes=cpu("1"))
            )
        )
        got = stub.GetProjectDomainAttributes(
            pda.ProjectDomainAttributesGetRequest(project=P, domain=D, resource_type=m.TASK_RESOURCE)
        )
        assert got.attributes == pda.ProjectDomainAttributes(project=P, domain=D, matching_attributes=cpu("1"))
        wf = stub.GetWorkflowAttributes(
            wa.WorkflowAttributesGetRequest(project=P, domain=D, workflow="workflow", resource_type=m.TASK_RESOURCE)
        )
        assert (wf.attributes.workflow, wf.attributes.matching_attributes) == ("", cpu("1"))
        stub.DeleteProjectDomainAttributes(
            pda.ProjectDomainAttributesDeleteRequest(project=P, domain=D, resource_type=m.TASK_RESOURCE)
        )
        with pytest.raises(grpc.RpcError) as err:
            stub.GetProjectDomainAttributes(
                pda.ProjectDomainAttributesGetRequest(project=P, domain=D, resource_type=m.TASK_RESOURCE)
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert err.value.details() == (
            "Resource [{Project:flytesnacks Domain:development Workflow: LaunchPlan: ResourceType:TASK_RESOURCE}]"
            " not found"
        )
        with pytest.raises(grpc.RpcError) as err:
            stub.UpdateWorkflowAttributes(wa.WorkflowAttributesUpdateRequest())
        assert (err.value.code(), err.value.details()) == (INVALID, "missing attributes")
        wec = stub.GetProjectAttributes(
            pa.ProjectAttributesGetRequest(project=P, resource_type=m.WORKFLOW_EXECUTION_CONFIG)
        )
        assert wec.attributes.matching_attributes.workflow_execution_config.max_parallelism == 25
        version = stub.GetVersion(version_pb2.GetVersionRequest())
        assert version.control_plane_version.Version == this_build().version


def test_flytekit_client_attributes(server: Any) -> None:
    from flytekit.clients.friendly import SynchronousFlyteClient
    from flytekit.configuration import PlatformConfig
    from flytekit.exceptions.user import FlyteEntityNotExistException, FlyteInvalidInputException
    from flytekit.models import matchable_resource as fm

    client = SynchronousFlyteClient(PlatformConfig(endpoint=server.endpoint, insecure=True))
    queue_attrs = fm.MatchingAttributes(execution_queue_attributes=fm.ExecutionQueueAttributes(tags=["gpu"]))
    client.update_project_domain_attributes(P, D, queue_attrs)
    got = client.get_project_domain_attributes(P, D, fm.MatchableResource.EXECUTION_QUEUE)
    assert list(got.attributes.matching_attributes.execution_queue_attributes.tags) == ["gpu"]

    cluster = fm.MatchingAttributes(cluster_resource_attributes=fm.ClusterResourceAttributes({"quota": "10"}))
    client.update_workflow_attributes(P, D, "my.wf", cluster)
    got_wf = client.get_workflow_attributes(P, D, "my.wf", fm.MatchableResource.CLUSTER_RESOURCE)
    assert got_wf.attributes.workflow == "my.wf"
    assert dict(got_wf.attributes.matching_attributes.cluster_resource_attributes.attributes) == {"quota": "10"}
    with pytest.raises(FlyteEntityNotExistException):
        client.get_workflow_attributes(P, D, "my.wf", fm.MatchableResource.PLUGIN_OVERRIDE)

    overrides = fm.MatchingAttributes(
        plugin_overrides=fm.PluginOverrides([fm.PluginOverride("spark", ["k8s-spark"], fm.PluginOverride.FAIL)])
    )
    client.update_workflow_attributes(P, D, "my.wf", overrides)
    more = fm.MatchingAttributes(
        plugin_overrides=fm.PluginOverrides([fm.PluginOverride("hive", ["qubole"], fm.PluginOverride.USE_DEFAULT)])
    )
    client.update_workflow_attributes(P, D, "my.wf", more)
    merged = client.get_workflow_attributes(P, D, "my.wf", fm.MatchableResource.PLUGIN_OVERRIDE)
    assert [o.task_type for o in merged.attributes.matching_attributes.plugin_overrides.overrides] == ["spark", "hive"]

    listed = client.list_matchable_attributes(fm.MatchableResource.CLUSTER_RESOURCE)
    assert [(c.project, c.domain, c.workflow) for c in listed.configurations] == [(P, D, "my.wf")]
    with pytest.raises(FlyteInvalidInputException):
        client.update_project_domain_attributes("no-such-project", D, queue_attrs)
