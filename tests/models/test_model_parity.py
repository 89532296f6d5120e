"""Wire and signature parity with flytekit's models, the peer users migrate from.

Each case builds the same value with flytekit's model and ours, from the same arguments, and requires identical
protobuf bytes. The signature test requires every constructor shared with flytekit to take flytekit's parameters
in flytekit's order.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from flytekit.models import common as fk_common
from flytekit.models import concurrency as fk_concurrency
from flytekit.models import documentation as fk_documentation
from flytekit.models import execution as fk_execution
from flytekit.models import filters as fk_filters
from flytekit.models import interface as fk_interface
from flytekit.models import launch_plan as fk_launch_plan
from flytekit.models import literals as fk_literals
from flytekit.models import matchable_resource as fk_matchable
from flytekit.models import named_entity as fk_named_entity
from flytekit.models import node_execution as fk_node_execution
from flytekit.models import project as fk_project
from flytekit.models import schedule as fk_schedule
from flytekit.models import security as fk_security
from flytekit.models import task as fk_task
from flytekit.models import types as fk_types
from flytekit.models.admin import common as fk_admin_common
from flytekit.models.admin import task_execution as fk_task_execution
from flytekit.models.admin import workflow as fk_admin_workflow
from flytekit.models.core import condition as fk_condition
from flytekit.models.core import execution as fk_core_execution
from flytekit.models.core import identifier as fk_id
from flytekit.models.core import types as fk_core_types
from flytekit.models.core import workflow as fk_workflow

from flyteplane.models import (
    common,
    concurrency,
    execution,
    filters,
    interface,
    launch_plan,
    literals,
    matchable_resource,
    named_entity,
    node_execution,
    project,
    schedule,
    security,
    task,
    types,
)
from flyteplane.models._model import FlyteIdlEntity
from flyteplane.models.admin import common as admin_common
from flyteplane.models.admin import description_entity, task_execution
from flyteplane.models.admin import workflow as admin_workflow
from flyteplane.models.core import condition, identifier, workflow
from flyteplane.models.core import execution as core_execution


def _bytes(model: Any) -> bytes:
    # Deterministic serialization sorts map entries, so the comparison does not hang on map iteration order.
    return model.to_flyte_idl().SerializeToString(deterministic=True)


# -- builders shared by both sides ---------------------------------------------------------------------------
def _fk_int() -> Any:
    return fk_types.LiteralType(simple=fk_types.SimpleType.INTEGER)


def _int() -> Any:
    return types.LiteralType(simple=types.SimpleType.INTEGER)


def _fk_task_template() -> Any:
    return fk_task.TaskTemplate(
        fk_id.Identifier(fk_id.ResourceType.TASK, "flytesnacks", "development", "my_task", "v1"),
        "python-task",
        fk_task.TaskMetadata(
            True,
            fk_task.RuntimeMetadata(fk_task.RuntimeMetadata.RuntimeType.FLYTE_SDK, "1.16.31", "python"),
            dt.timedelta(minutes=5),
            fk_literals.RetryStrategy(3),
            True,
            "1.0",
            "",
            False,
            "",
            ["x"],
        ),
        fk_interface.TypedInterface(
            {"x": fk_interface.Variable(_fk_int(), "")},
            {"y": fk_interface.Variable(fk_types.LiteralType(simple=fk_types.SimpleType.STRING), "the result")},
        ),
        {"task_module": "app.tasks", "nested": {"list": [1, "two", True], "none": None}},
        container=fk_task.Container(
            "ghcr.io/flyteorg/flytekit:py3.11-latest",
            ["pyflyte-execute"],
            ["--inputs", "{{.input}}"],
            fk_task.Resources(
                [fk_task.Resources.ResourceEntry(fk_task.Resources.ResourceName.CPU, "500m")],
                [fk_task.Resources.ResourceEntry(fk_task.Resources.ResourceName.MEMORY, "1Gi")],
            ),
            {"FLYTE_INTERNAL_IMAGE": "img", "A": "1"},
            {"k": "v"},
        ),
        config={"c": "d"},
    )


def _task_template() -> Any:
    return task.TaskTemplate(
        identifier.Identifier(identifier.ResourceType.TASK, "flytesnacks", "development", "my_task", "v1"),
        "python-task",
        task.TaskMetadata(
            True,
            task.RuntimeMetadata(task.RuntimeMetadata.RuntimeType.FLYTE_SDK, "1.16.31", "python"),
            dt.timedelta(minutes=5),
            3,
            True,
            "1.0",
            "",
            False,
            "",
            ["x"],
        ),
        # Bare LiteralTypes on our side: the wrapper must produce flytekit's Variable(type, "").
        interface.TypedInterface(
            {"x": _int()},
            {"y": interface.Variable(types.LiteralType(simple=types.SimpleType.STRING), "the result")},
        ),
        {"task_module": "app.tasks", "nested": {"list": [1, "two", True], "none": None}},
        container=task.Container(
            "ghcr.io/flyteorg/flytekit:py3.11-latest",
            ["pyflyte-execute"],
            ["--inputs", "{{.input}}"],
            task.Resources(
                [task.Resources.ResourceEntry(task.Resources.ResourceName.CPU, "500m")],
                [task.Resources.ResourceEntry(task.Resources.ResourceName.MEMORY, "1Gi")],
            ),
            {"FLYTE_INTERNAL_IMAGE": "img", "A": "1"},
            {"k": "v"},
        ),
        config={"c": "d"},
    )


def _fk_literal_map() -> Any:
    return fk_literals.LiteralMap(
        {
            "i": fk_literals.Literal(scalar=fk_literals.Scalar(primitive=fk_literals.Primitive(integer=3))),
            "s": fk_literals.Literal(scalar=fk_literals.Scalar(primitive=fk_literals.Primitive(string_value="x"))),
        }
    )


def _literal_map() -> Any:
    return literals.LiteralMap(
        {
            "i": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(integer=3))),
            "s": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(string_value="x"))),
        }
    )


def _fk_lp_spec() -> Any:
    return fk_launch_plan.LaunchPlanSpec(
        fk_id.Identifier(fk_id.ResourceType.WORKFLOW, "p", "d", "wf", "v1"),
        fk_launch_plan.LaunchPlanMetadata(
            fk_schedule.Schedule("kickoff", cron_schedule=fk_schedule.Schedule.CronSchedule("0 * * * *", "")),
            [fk_common.Notification([4, 6], email=fk_common.EmailNotification(["a@example.com"]))],
        ),
        fk_interface.ParameterMap(
            {
                "x": fk_interface.Parameter(fk_interface.Variable(_fk_int(), ""), required=True),
                "y": fk_interface.Parameter(
                    fk_interface.Variable(_fk_int(), ""),
                    default=fk_literals.Literal(scalar=fk_literals.Scalar(primitive=fk_literals.Primitive(integer=1))),
                ),
            }
        ),
        _fk_literal_map(),
        fk_common.Labels({"team": "ml"}),
        fk_common.Annotations({"note": "x"}),
        fk_common.AuthRole(kubernetes_service_account="sa"),
        fk_common.RawOutputDataConfig("s3://bucket/raw"),
        max_parallelism=10,
        security_context=fk_security.SecurityContext(run_as=fk_security.Identity(k8s_service_account="sa")),
        overwrite_cache=True,
    )


def _lp_spec() -> Any:
    return launch_plan.LaunchPlanSpec(
        identifier.Identifier(identifier.ResourceType.WORKFLOW, "p", "d", "wf", "v1"),
        launch_plan.LaunchPlanMetadata(
            schedule.Schedule("kickoff", cron_schedule=schedule.Schedule.CronSchedule("0 * * * *", "")),
            [common.Notification([4, 6], email=common.EmailNotification(["a@example.com"]))],
        ),
        interface.ParameterMap(
            {
                "x": interface.Parameter(interface.Variable(_int(), ""), required=True),
                "y": interface.Parameter(
                    interface.Variable(_int(), ""),
                    default=literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(integer=1))),
                ),
            }
        ),
        _literal_map(),
        common.Labels({"team": "ml"}),
        common.Annotations({"note": "x"}),
        common.AuthRole(kubernetes_service_account="sa"),
        common.RawOutputDataConfig("s3://bucket/raw"),
        max_parallelism=10,
        security_context=security.SecurityContext(run_as=security.Identity(k8s_service_account="sa")),
        overwrite_cache=True,
    )


def _fk_exec_spec() -> Any:
    return fk_execution.ExecutionSpec(
        fk_id.Identifier(fk_id.ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v1"),
        fk_execution.ExecutionMetadata(fk_execution.ExecutionMetadata.ExecutionMode.MANUAL, "alice", 0),
        notifications=fk_execution.NotificationList(
            [fk_common.Notification([6], slack=fk_common.SlackNotification(["#alerts"]))]
        ),
        labels=fk_common.Labels({"l": "1"}),
        annotations=fk_common.Annotations({}),
        raw_output_data_config=fk_common.RawOutputDataConfig("s3://x"),
        max_parallelism=4,
        overwrite_cache=True,
        interruptible=False,
        envs=fk_common.Envs({"E": "1", "F": "2"}),
        tags=["a", "b"],
        cluster_assignment=fk_execution.ClusterAssignment("pool"),
        execution_cluster_label=fk_matchable.ExecutionClusterLabel("label"),
    )


def _exec_spec() -> Any:
    return execution.ExecutionSpec(
        identifier.Identifier(identifier.ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v1"),
        execution.ExecutionMetadata(execution.ExecutionMetadata.ExecutionMode.MANUAL, "alice", 0),
        notifications=execution.NotificationList(
            [common.Notification([6], slack=common.SlackNotification(["#alerts"]))]
        ),
        labels=common.Labels({"l": "1"}),
        annotations=common.Annotations({}),
        raw_output_data_config=common.RawOutputDataConfig("s3://x"),
        max_parallelism=4,
        overwrite_cache=True,
        interruptible=False,
        envs=common.Envs({"E": "1", "F": "2"}),
        tags=["a", "b"],
        cluster_assignment=execution.ClusterAssignment("pool"),
        execution_cluster_label=matchable_resource.ExecutionClusterLabel("label"),
    )


def _fk_node() -> Any:
    return fk_workflow.Node(
        "n0",
        fk_workflow.NodeMetadata("t1", dt.timedelta(seconds=10), fk_literals.RetryStrategy(2), interruptible=True),
        [
            fk_literals.Binding(
                "x", fk_literals.BindingData(promise=fk_types.OutputReference("start-node", "x", ["a", 0]))
            )
        ],
        [],
        [fk_workflow.Alias("o0", "out")],
        task_node=fk_workflow.TaskNode(fk_id.Identifier(fk_id.ResourceType.TASK, "p", "d", "t", "v")),
    )


def _node() -> Any:
    return workflow.Node(
        "n0",
        workflow.NodeMetadata("t1", dt.timedelta(seconds=10), 2, interruptible=True),
        [literals.Binding("x", literals.BindingData(promise=types.OutputReference("start-node", "x", ["a", 0])))],
        [],
        [workflow.Alias("o0", "out")],
        task_node=workflow.TaskNode(identifier.Identifier(identifier.ResourceType.TASK, "p", "d", "t", "v")),
    )


PARITY: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    (
        "Identifier",
        lambda: fk_id.Identifier(fk_id.ResourceType.TASK, "p", "d", "n", "v"),
        lambda: identifier.Identifier(identifier.ResourceType.TASK, "p", "d", "n", "v"),
    ),
    (
        "NodeExecutionIdentifier",
        lambda: fk_id.NodeExecutionIdentifier("n0", fk_id.WorkflowExecutionIdentifier("p", "d", "e")),
        lambda: identifier.NodeExecutionIdentifier("n0", identifier.WorkflowExecutionIdentifier("p", "d", "e")),
    ),
    ("TaskTemplate", _fk_task_template, _task_template),
    (
        "TaskSpec",
        lambda: fk_task.TaskSpec(_fk_task_template()),
        lambda: task.TaskSpec(_task_template()),
    ),
    (
        "TypedInterface",
        lambda: fk_interface.TypedInterface(
            {"a": fk_interface.Variable(_fk_int(), ""), "b": fk_interface.Variable(_fk_int(), "b doc")}, {}
        ),
        lambda: interface.TypedInterface({"a": _int(), "b": interface.Variable(_int(), "b doc")}, {}),
    ),
    (
        "LiteralType-collection-of-map",
        lambda: fk_types.LiteralType(collection_type=fk_types.LiteralType(map_value_type=_fk_int())),
        lambda: types.LiteralType(collection_type=types.LiteralType(map_value_type=_int())),
    ),
    (
        "LiteralType-blob-metadata",
        lambda: fk_types.LiteralType(
            blob=fk_core_types.BlobType("csv", fk_core_types.BlobType.BlobDimensionality.MULTIPART),
            metadata={"k": [1, 2]},
        ),
        lambda: types.LiteralType(
            blob=types.BlobType("csv", types.BlobType.BlobDimensionality.MULTIPART), metadata={"k": [1, 2]}
        ),
    ),
    (
        "LiteralType-union-enum",
        lambda: fk_types.LiteralType(
            union_type=fk_types.UnionType(
                [_fk_int(), fk_types.LiteralType(enum_type=fk_core_types.EnumType(["red", "green"]))]
            )
        ),
        lambda: types.LiteralType(
            union_type=types.UnionType([_int(), types.LiteralType(enum_type=types.EnumType(["red", "green"]))])
        ),
    ),
    (
        "LiteralType-structured-dataset",
        lambda: fk_types.LiteralType(
            structured_dataset_type=fk_types.StructuredDatasetType(
                [fk_types.StructuredDatasetType.DatasetColumn("a", _fk_int())], "parquet"
            )
        ),
        lambda: types.LiteralType(
            structured_dataset_type=types.StructuredDatasetType(
                [types.StructuredDatasetType.DatasetColumn("a", _int())], "parquet"
            )
        ),
    ),
    ("Literal-map", _fk_literal_map, _literal_map),
    (
        "Literal-collection-datetime",
        lambda: fk_literals.Literal(
            collection=fk_literals.LiteralCollection(
                [
                    fk_literals.Literal(
                        scalar=fk_literals.Scalar(
                            primitive=fk_literals.Primitive(
                                datetime=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
                            )
                        )
                    ),
                    fk_literals.Literal(
                        scalar=fk_literals.Scalar(primitive=fk_literals.Primitive(duration=dt.timedelta(seconds=90)))
                    ),
                    fk_literals.Literal(scalar=fk_literals.Scalar(none_type=fk_literals.Void())),
                ]
            )
        ),
        lambda: literals.Literal(
            collection=literals.LiteralCollection(
                [
                    literals.Literal(
                        scalar=literals.Scalar(
                            primitive=literals.Primitive(
                                datetime=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
                            )
                        )
                    ),
                    literals.Literal(
                        scalar=literals.Scalar(primitive=literals.Primitive(duration=dt.timedelta(seconds=90)))
                    ),
                    literals.Literal(scalar=literals.Scalar(none_type=literals.Void())),
                ]
            )
        ),
    ),
    (
        "Literal-blob-hash",
        lambda: fk_literals.Literal(
            scalar=fk_literals.Scalar(
                blob=fk_literals.Blob(
                    fk_literals.BlobMetadata(
                        fk_core_types.BlobType("", fk_core_types.BlobType.BlobDimensionality.SINGLE)
                    ),
                    "s3://b/f",
                )
            ),
            hash="abc",
            metadata={"m": "1"},
        ),
        lambda: literals.Literal(
            scalar=literals.Scalar(
                blob=literals.Blob(
                    literals.BlobMetadata(types.BlobType("", types.BlobType.BlobDimensionality.SINGLE)), "s3://b/f"
                )
            ),
            hash="abc",
            metadata={"m": "1"},
        ),
    ),
    ("LaunchPlanSpec", _fk_lp_spec, _lp_spec),
    ("ExecutionSpec", _fk_exec_spec, _exec_spec),
    (
        "Sort",
        lambda: fk_admin_common.Sort("created_at", fk_admin_common.Sort.Direction.ASCENDING),
        lambda: admin_common.Sort("created_at", admin_common.Sort.Direction.ASCENDING),
    ),
    (
        "Sort-parsed",
        lambda: fk_admin_common.Sort.from_python_std("desc(updated_at)"),
        lambda: admin_common.Sort.from_python_std("desc(updated_at)"),
    ),
    (
        "Project",
        lambda: fk_project.Project("flytesnacks", "Flyte Snacks", "demo", fk_project.Project.ProjectState.ARCHIVED),
        lambda: project.Project("flytesnacks", "Flyte Snacks", "demo", project.Project.ProjectState.ARCHIVED),
    ),
    (
        "MatchingAttributes-plugin-overrides",
        lambda: fk_matchable.MatchingAttributes(
            plugin_overrides=fk_matchable.PluginOverrides(
                [fk_matchable.PluginOverride("spark", ["k8s-spark"], fk_matchable.PluginOverride.USE_DEFAULT)]
            )
        ),
        lambda: matchable_resource.MatchingAttributes(
            plugin_overrides=matchable_resource.PluginOverrides(
                [
                    matchable_resource.PluginOverride(
                        "spark", ["k8s-spark"], matchable_resource.PluginOverride.USE_DEFAULT
                    )
                ]
            )
        ),
    ),
    (
        "MatchingAttributes-cluster-resources",
        lambda: fk_matchable.MatchingAttributes(
            cluster_resource_attributes=fk_matchable.ClusterResourceAttributes({"projectQuotaCpu": "4"})
        ),
        lambda: matchable_resource.MatchingAttributes(
            cluster_resource_attributes=matchable_resource.ClusterResourceAttributes({"projectQuotaCpu": "4"})
        ),
    ),
    (
        "MatchingAttributes-queue",
        lambda: fk_matchable.MatchingAttributes(
            execution_queue_attributes=fk_matchable.ExecutionQueueAttributes(["gpu"])
        ),
        lambda: matchable_resource.MatchingAttributes(
            execution_queue_attributes=matchable_resource.ExecutionQueueAttributes(["gpu"])
        ),
    ),
    ("Node", _fk_node, _node),
    (
        "WorkflowTemplate",
        lambda: fk_workflow.WorkflowTemplate(
            fk_id.Identifier(fk_id.ResourceType.WORKFLOW, "p", "d", "wf", "v"),
            fk_workflow.WorkflowMetadata(
                fk_workflow.WorkflowMetadata.OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
            ),
            fk_workflow.WorkflowMetadataDefaults(True),
            fk_interface.TypedInterface({"x": fk_interface.Variable(_fk_int(), "")}, {}),
            [_fk_node()],
            [fk_literals.Binding("o", fk_literals.BindingData(promise=fk_types.OutputReference("n0", "o0")))],
        ),
        lambda: workflow.WorkflowTemplate(
            identifier.Identifier(identifier.ResourceType.WORKFLOW, "p", "d", "wf", "v"),
            workflow.WorkflowMetadata(workflow.WorkflowMetadata.OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE),
            workflow.WorkflowMetadataDefaults(True),
            interface.TypedInterface({"x": _int()}, {}),
            [_node()],
            [literals.Binding("o", literals.BindingData(promise=types.OutputReference("n0", "o0")))],
        ),
    ),
    (
        "ArrayNode",
        lambda: fk_workflow.ArrayNode(_fk_node(), parallelism=4, min_success_ratio=0.5, bound_inputs={"b", "a"}),
        lambda: workflow.ArrayNode(_node(), parallelism=4, min_success_ratio=0.5, bound_inputs={"b", "a"}),
    ),
    (
        "Schedule-fixed-rate",
        lambda: fk_schedule.Schedule(
            "t", rate=fk_schedule.Schedule.FixedRate(5, fk_schedule.Schedule.FixedRateUnit.HOUR)
        ),
        lambda: schedule.Schedule("t", rate=schedule.Schedule.FixedRate(5, schedule.Schedule.FixedRateUnit.HOUR)),
    ),
    (
        "SecurityContext",
        lambda: fk_security.SecurityContext(
            run_as=fk_security.Identity(iam_role="role"),
            secrets=[fk_security.Secret("g", "k", mount_requirement=fk_security.Secret.MountType.ENV_VAR)],
        ),
        lambda: security.SecurityContext(
            run_as=security.Identity(iam_role="role"),
            secrets=[security.Secret("g", "k", mount_requirement=security.Secret.MountType.ENV_VAR)],
        ),
    ),
    (
        "NamedEntityIdentifier",
        lambda: fk_common.NamedEntityIdentifier("p", "d", "n"),
        lambda: common.NamedEntityIdentifier("p", "d", "n"),
    ),
]


@pytest.mark.parametrize(("name", "flytekit_model", "our_model"), PARITY, ids=[p[0] for p in PARITY])
def test_same_bytes_as_flytekit(name: str, flytekit_model: Callable[[], Any], our_model: Callable[[], Any]) -> None:
    theirs, ours = flytekit_model(), our_model()
    assert _bytes(ours) == _bytes(theirs), name
    # Our model reads flytekit's message as an equal view.
    assert type(ours).from_flyte_idl(theirs.to_flyte_idl()) == ours


T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def _fk_wf_template(name: str) -> Any:
    return fk_workflow.WorkflowTemplate(
        fk_id.Identifier(fk_id.ResourceType.WORKFLOW, "p", "d", name, "v"),
        fk_workflow.WorkflowMetadata(),
        fk_workflow.WorkflowMetadataDefaults(False),
        fk_interface.TypedInterface({}, {}),
        [],
        [],
    )


def _wf_template(name: str) -> Any:
    return workflow.WorkflowTemplate(
        identifier.Identifier(identifier.ResourceType.WORKFLOW, "p", "d", name, "v"),
        workflow.WorkflowMetadata(),
        workflow.WorkflowMetadataDefaults(False),
        interface.TypedInterface({}, {}),
        [],
        [],
    )


def _fk_condition() -> Any:
    return fk_condition.BooleanExpression(
        comparison=fk_condition.ComparisonExpression(
            fk_condition.ComparisonExpression.Operator.GTE,
            fk_condition.Operand(var="x"),
            fk_condition.Operand(primitive=fk_literals.Primitive(float_value=0.5)),
        )
    )


def _condition() -> Any:
    return condition.BooleanExpression(
        comparison=condition.ComparisonExpression(
            condition.ComparisonExpression.Operator.GTE,
            condition.Operand(var="x"),
            condition.Operand(primitive=literals.Primitive(float_value=0.5)),
        )
    )


MORE_PARITY: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    (
        "TaskSpec-docs",
        lambda: fk_task.TaskSpec(
            _fk_task_template(),
            fk_documentation.Documentation(
                "short",
                fk_documentation.Description(value="long"),
                fk_documentation.SourceCode("https://x"),
            ),
        ),
        lambda: task.TaskSpec(
            _task_template(),
            description_entity.Documentation(
                "short", description_entity.Description(value="long"), description_entity.SourceCode("https://x")
            ),
        ),
    ),
    (
        "WorkflowSpec-sorted-subworkflows",
        lambda: fk_admin_workflow.WorkflowSpec(_fk_wf_template("main"), [_fk_wf_template("z"), _fk_wf_template("a")]),
        lambda: admin_workflow.WorkflowSpec(_wf_template("main"), [_wf_template("z"), _wf_template("a")]),
    ),
    (
        "BranchNode",
        lambda: fk_workflow.BranchNode(
            fk_workflow.IfElseBlock(
                fk_workflow.IfBlock(_fk_condition(), _fk_node()), error=fk_types.Error("n", "no match")
            )
        ),
        lambda: workflow.BranchNode(
            workflow.IfElseBlock(workflow.IfBlock(_condition(), _node()), error=types.Error("n", "no match"))
        ),
    ),
    (
        "GateNode-sleep",
        lambda: fk_workflow.GateNode(sleep=fk_workflow.SleepCondition(dt.timedelta(minutes=1))),
        lambda: workflow.GateNode(sleep=workflow.SleepCondition(dt.timedelta(minutes=1))),
    ),
    (
        "NodeMetadata-defaults",
        lambda: fk_workflow.NodeMetadata("n"),
        lambda: workflow.NodeMetadata("n"),
    ),
    (
        "ExecutionClosure",
        lambda: fk_execution.ExecutionClosure(
            fk_core_execution.WorkflowExecutionPhase.FAILED,
            T0,
            dt.timedelta(seconds=3),
            error=fk_core_execution.ExecutionError("c", "m", "u", fk_core_execution.ExecutionError.ErrorKind.USER),
            created_at=T0,
            updated_at=T0,
        ),
        lambda: execution.ExecutionClosure(
            core_execution.WorkflowExecutionPhase.FAILED,
            T0,
            dt.timedelta(seconds=3),
            error=core_execution.ExecutionError("c", "m", "u", core_execution.ExecutionError.ErrorKind.USER),
            created_at=T0,
            updated_at=T0,
        ),
    ),
    (
        "NodeExecutionClosure",
        lambda: fk_node_execution.NodeExecutionClosure(
            fk_core_execution.NodeExecutionPhase.SUCCEEDED,
            T0,
            dt.timedelta(seconds=1),
            output_uri="s3://o",
            workflow_node_metadata=fk_node_execution.WorkflowNodeMetadata(
                fk_id.WorkflowExecutionIdentifier("p", "d", "e")
            ),
        ),
        lambda: node_execution.NodeExecutionClosure(
            core_execution.NodeExecutionPhase.SUCCEEDED,
            T0,
            dt.timedelta(seconds=1),
            output_uri="s3://o",
            workflow_node_metadata=node_execution.WorkflowNodeMetadata(
                identifier.WorkflowExecutionIdentifier("p", "d", "e")
            ),
        ),
    ),
    (
        "TaskExecutionClosure",
        lambda: fk_task_execution.TaskExecutionClosure(
            fk_core_execution.TaskExecutionPhase.RUNNING,
            [fk_core_execution.TaskLog("https://l", "log", fk_core_execution.TaskLog.MessageFormat.JSON)],
            T0,
            dt.timedelta(seconds=1),
            T0,
            T0,
            output_uri="s3://o",
        ),
        lambda: task_execution.TaskExecutionClosure(
            core_execution.TaskExecutionPhase.RUNNING,
            [core_execution.TaskLog("https://l", "log", core_execution.TaskLog.MessageFormat.JSON)],
            T0,
            dt.timedelta(seconds=1),
            T0,
            T0,
            output_uri="s3://o",
        ),
    ),
    (
        "NamedEntityMetadata",
        lambda: fk_named_entity.NamedEntityMetadata("d", fk_named_entity.NamedEntityState.ARCHIVED),
        lambda: named_entity.NamedEntityMetadata("d", named_entity.NamedEntityState.ARCHIVED),
    ),
    (
        "ConcurrencyPolicy",
        lambda: fk_concurrency.ConcurrencyPolicy(3),
        lambda: concurrency.ConcurrencyPolicy(3),
    ),
    (
        "Schedule-cron-expression",
        lambda: fk_schedule.Schedule("t", cron_expression="0 * * * *"),
        lambda: schedule.Schedule("t", cron_expression="0 * * * *"),
    ),
    (
        "Parameter-required-false",
        lambda: fk_interface.Parameter(fk_interface.Variable(_fk_int(), "d"), required=False),
        lambda: interface.Parameter(interface.Variable(_int(), "d"), required=False),
    ),
]


@pytest.mark.parametrize(("name", "flytekit_model", "our_model"), MORE_PARITY, ids=[p[0] for p in MORE_PARITY])
def test_more_models_serialize_as_flytekit(
    name: str, flytekit_model: Callable[[], Any], our_model: Callable[[], Any]
) -> None:
    assert _bytes(our_model()) == _bytes(flytekit_model()), name


FILTER_TEXTS = [
    "eq(version,abc)",
    "ne(phase,FAILED)",
    "gt(created_at,2024-01-01)",
    "gte(duration,60)",
    "lt(state,1)",
    "lte(updated_at,2024-02-01T00:00:00Z)",
    "contains(name,flyte)",
    "value_in(phase,RUNNING;QUEUED)",
    "value_not_in(phase,SUCCEEDED;FAILED;ABORTED)",
]


@pytest.mark.parametrize("text", FILTER_TEXTS)
def test_filter_text_as_flytekit(text: str) -> None:
    theirs = fk_filters.Filter.from_python_std(text)
    ours = filters.Filter.from_python_std(text)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.to_flyte_idl() == theirs.to_flyte_idl() == text


def test_filter_list_text_as_flytekit() -> None:
    theirs = fk_filters.FilterList([fk_filters.Equal("version", "abc"), fk_filters.ValueIn("phase", ["A", "B"])])
    ours = filters.FilterList([filters.Equal("version", "abc"), filters.ValueIn("phase", ["A", "B"])])
    assert ours.to_flyte_idl() == theirs.to_flyte_idl() == "eq(version,abc)+value_in(phase,A;B)"


# -- constructor signatures ----------------------------------------------------------------------------------
# Our module -> flytekit's module at the same path.
MODULE_PAIRS = [
    "common",
    "types",
    "core.types",
    "interface",
    "literals",
    "task",
    "core.identifier",
    "core.workflow",
    "core.condition",
    "core.compiler",
    "core.execution",
    "core.catalog",
    "admin.workflow",
    "admin.common",
    "admin.task_execution",
    "launch_plan",
    "schedule",
    "execution",
    "node_execution",
    "project",
    "domain",
    "filters",
    "matchable_resource",
    "named_entity",
    "documentation",
    "security",
    "concurrency",
]


def _shared_classes() -> list[tuple[str, type, type]]:
    found = []
    for path in MODULE_PAIRS:
        ours_mod = importlib.import_module(f"flyteplane.models.{path}")
        theirs_mod = importlib.import_module(f"flytekit.models.{path}")
        for name in ours_mod.__all__:
            ours, theirs = getattr(ours_mod, name), getattr(theirs_mod, name, None)
            pending = [(f"{path}.{name}", ours, theirs)]
            while pending:
                label, o, t = pending.pop()
                if not (isinstance(o, type) and isinstance(t, type)):
                    continue
                if issubclass(o, FlyteIdlEntity | filters.Filter | filters.FilterList):
                    found.append((label, o, t))
                for inner, value in vars(o).items():
                    if isinstance(value, type) and not inner.startswith("_"):
                        pending.append((f"{label}.{inner}", value, getattr(t, inner, None)))
    return found


def _has_named_signature(theirs: type) -> bool:
    # flytekit's NodeExecutionGetDataResponse takes ``*args``: there is no parameter order to compare with.
    return not any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(theirs).parameters.values())


SHARED = [s for s in _shared_classes() if _has_named_signature(s[2])]


def test_signature_check_covers_the_models() -> None:
    assert len(SHARED) > 100


@pytest.mark.parametrize(("label", "ours", "theirs"), SHARED, ids=[s[0] for s in SHARED])
def test_constructor_takes_flytekit_parameters_in_order(label: str, ours: type, theirs: type) -> None:
    theirs_params = [p for p in inspect.signature(theirs).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    ours_names = list(inspect.signature(ours).parameters)
    assert ours_names[: len(theirs_params)] == [p.name for p in theirs_params], label
