"""The models as typed, immutable, thin views: construction from Python values, round trips, no copies.

A few large trees built from plain Python values reach every model class; each model found in them is round-
tripped through bytes and must come back equal.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from flyteidl.admin import task_pb2
from flyteidl.core import literals_pb2, tasks_pb2
from google.protobuf.struct_pb2 import Struct

import flyteplane.models as models_pkg
from flyteplane.models import (
    common,
    concurrency,
    domain,
    execution,
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
from flyteplane.models._model import Field, FlyteIdlEntity, wrap_all
from flyteplane.models.admin import common as admin_common
from flyteplane.models.admin import description_entity, task_execution
from flyteplane.models.admin import workflow as admin_workflow
from flyteplane.models.core import catalog, compiler, condition, identifier, metrics, workflow
from flyteplane.models.core import execution as core_execution
from flyteplane.models.core import types as core_types
from flyteplane.models.core.identifier import Identifier, ResourceType

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2024, 5, 1, 12, 5, 30, tzinfo=dt.timezone.utc)


def _int_type() -> types.LiteralType:
    return types.LiteralType(simple=types.SimpleType.INTEGER)


def _int_literal(value: int) -> literals.Literal:
    return literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(integer=value)))


def _task_id() -> Identifier:
    return Identifier(ResourceType.TASK, "flytesnacks", "development", "app.square", "v1")


def _wf_id() -> Identifier:
    return Identifier(ResourceType.WORKFLOW, "flytesnacks", "development", "app.wf", "v1")


def _exec_id() -> identifier.WorkflowExecutionIdentifier:
    return identifier.WorkflowExecutionIdentifier("flytesnacks", "development", "abc123")


def _node_exec_id() -> identifier.NodeExecutionIdentifier:
    return identifier.NodeExecutionIdentifier("n0", _exec_id())


def _task_exec_id() -> identifier.TaskExecutionIdentifier:
    return identifier.TaskExecutionIdentifier(_task_id(), _node_exec_id(), 1)


def _security() -> security.SecurityContext:
    client = security.OAuth2Client("client", security.Secret("oauth", "secret"))
    return security.SecurityContext(
        run_as=security.Identity("arn:aws:iam::1:role/r", "sa", client, "me"),
        secrets=[security.Secret("g", "k", "v1", security.Secret.MountType.FILE, "ENV")],
        tokens=[security.OAuth2TokenRequest("tok", client, "https://idp/.well-known", "https://idp/token")],
    )


def _task_template() -> task.TaskTemplate:
    io = task.IOStrategy(task.IOStrategy.DownloadMode.DOWNLOAD_STREAM, task.IOStrategy.UploadMode.UPLOAD_EAGER)
    data = task.DataLoadingConfig("/in", "/out", io_strategy=io)
    container = task.Container(
        "ghcr.io/flyteorg/flytekit:py3.11-latest",
        ["pyflyte-execute"],
        ["--inputs", "{{.input}}"],
        task.Resources(
            [task.Resources.ResourceEntry(task.Resources.ResourceName.CPU, "500m")],
            [{"name": task.Resources.ResourceName.MEMORY, "value": "1Gi"}],
        ),
        {"A": "1"},
        {"k": "v"},
        data,
        ports=[task.ContainerPort(8080, "http")],
        architecture=task.Container.Architecture.ARM64,
    )
    return task.TaskTemplate(
        _task_id(),
        "python-task",
        task.TaskMetadata(
            True,
            task.RuntimeMetadata(task.RuntimeMetadata.RuntimeType.FLYTE_SDK, "1.16.31", "python"),
            dt.timedelta(minutes=5),
            literals.RetryStrategy(3),
            True,
            "1.0",
            "gone",
            True,
            "pod-tpl",
            ["x"],
            is_eager=True,
            generates_deck=True,
            k8s_object_metadata=task.K8sObjectMetadata({"l": "1"}, {"a": "2"}),
            tags={"t": "1"},
        ),
        interface.TypedInterface({"x": _int_type()}, {"o0": interface.Variable(_int_type(), "square")}),
        {"module": "app", "nested": {"n": [1, 2]}},
        container,
        security_context=_security(),
        config={"c": "d"},
    )


def _pod_task_template() -> task.TaskTemplate:
    pod = task.K8sPod(
        task.K8sObjectMetadata({"app": "x"}),
        {"containers": [{"name": "primary", "image": "busybox"}]},
        task.DataLoadingConfig("/in", "/out", format=task.DataLoadingConfig.LiteralMapFormat.JSON),
        "primary",
    )
    return task.TaskTemplate(_task_id(), "sidecar", {}, {"inputs": {}, "outputs": {}}, k8s_pod=pod)


def _sql_task_template() -> task.TaskTemplate:
    return task.TaskTemplate(_task_id(), "sql", {}, None, sql=task.Sql("select 1", task.Sql.Dialect.ANSI))


def _docs() -> description_entity.Documentation:
    return description_entity.Documentation(
        "squares a number",
        description_entity.Description(value="# Square", format=description_entity.DescriptionFormat.MARKDOWN),
        description_entity.SourceCode("https://github.com/x/y"),
        ["math"],
    )


def _node(node_id: str = "n0") -> workflow.Node:
    return workflow.Node(
        node_id,
        workflow.NodeMetadata("square", 30, 2, True, True, "1", True, {"k": "v"}),
        [
            literals.Binding("x", literals.BindingData(promise=types.OutputReference("start-node", "x", ["a", 0]))),
            literals.Binding(
                "y",
                literals.BindingData(
                    collection=literals.BindingDataCollection(
                        [literals.BindingData(scalar=literals.Scalar(primitive=literals.Primitive(integer=1)))]
                    )
                ),
            ),
            literals.Binding(
                "z",
                literals.BindingData(
                    map=literals.BindingDataMap(
                        {"k": literals.BindingData(scalar=literals.Scalar(primitive=literals.Primitive(boolean=True)))}
                    )
                ),
            ),
        ],
        ["start-node"],
        [workflow.Alias("o0", "result")],
        task_node=workflow.TaskNode(
            _task_id(),
            workflow.TaskNodeOverrides(
                task.Resources([task.Resources.ResourceEntry(task.Resources.ResourceName.GPU, "1")], []),
                tasks_pb2.ExtendedResources(gpu_accelerator=tasks_pb2.GPUAccelerator(device="a100")),
                "img:2",
                task.K8sPod(primary_container_name="main"),
            ),
        ),
    )


def _operand_comparison() -> condition.BooleanExpression:
    compare = condition.ComparisonExpression(
        condition.ComparisonExpression.Operator.GT,
        condition.Operand(var="x"),
        condition.Operand(primitive=literals.Primitive(integer=3)),
    )
    other = condition.ComparisonExpression(
        condition.ComparisonExpression.Operator.EQ,
        condition.Operand(var="y"),
        condition.Operand(scalar=literals.Scalar(primitive=literals.Primitive(string_value="a"))),
    )
    return condition.BooleanExpression(
        conjunction=condition.ConjunctionExpression(
            condition.ConjunctionExpression.LogicalOperator.OR,
            condition.BooleanExpression(comparison=compare),
            condition.BooleanExpression(comparison=other),
        )
    )


def _workflow_template() -> workflow.WorkflowTemplate:
    branch = workflow.Node(
        "n1",
        {"name": "branch"},
        [],
        ["n0"],
        [],
        branch_node=workflow.BranchNode(
            workflow.IfElseBlock(
                workflow.IfBlock(_operand_comparison(), _node("n1-then")),
                [workflow.IfBlock(_operand_comparison(), _node("n1-elif"))],
                error=types.Error("n1", "no branch matched"),
            )
        ),
    )
    gates = [
        workflow.Node(
            "g0", {"name": "approve"}, [], [], [], gate_node=workflow.GateNode(approve=workflow.ApproveCondition("ok"))
        ),
        workflow.Node(
            "g1",
            {"name": "signal"},
            [],
            [],
            [],
            gate_node=workflow.GateNode(signal=workflow.SignalCondition("sig", _int_type(), "v")),
        ),
        workflow.Node(
            "g2",
            {"name": "sleep"},
            [],
            [],
            [],
            gate_node=workflow.GateNode(sleep=workflow.SleepCondition(dt.timedelta(seconds=5))),
        ),
    ]
    mapped = workflow.Node(
        "n2",
        {"name": "map"},
        [],
        [],
        [],
        array_node=workflow.ArrayNode(
            _node("n2-sub"),
            parallelism=4,
            min_successes=2,
            execution_mode=workflow.ArrayNode.ExecutionMode.FULL_STATE,
            data_mode=workflow.ArrayNode.DataMode.INDIVIDUAL_INPUT_FILES,
            bound_inputs=["y", "x"],
            run_all_sub_nodes=True,
        ),
    )
    sub = workflow.Node(
        "n3",
        {"name": "sub"},
        [],
        [],
        [],
        workflow_node=workflow.WorkflowNode(sub_workflow_ref=Identifier(ResourceType.WORKFLOW, "p", "d", "sub", "v")),
    )
    return workflow.WorkflowTemplate(
        _wf_id(),
        workflow.WorkflowMetadata(
            workflow.WorkflowMetadata.OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
            core_execution.QualityOfService(tier=core_execution.QualityOfService.Tier.HIGH),
            {"t": "1"},
        ),
        workflow.WorkflowMetadataDefaults(True),
        interface.TypedInterface({"x": _int_type()}, {"o": _int_type()}),
        [_node(), branch, *gates, mapped, sub],
        [literals.Binding("o", literals.BindingData(promise=types.OutputReference("n0", "o0")))],
        failure_node=_node("failure"),
    )


def _compiled_closure() -> compiler.CompiledWorkflowClosure:
    connections = compiler.ConnectionSet({"n1": compiler.ConnectionSet.IdList(["n0"])}, {"n0": {"ids": ["n1"]}})
    lp_template = workflow.LaunchPlanTemplate(
        Identifier(ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v"),
        interface.TypedInterface({}, {}),
        literals.LiteralMap({"x": _int_literal(1)}),
    )
    return compiler.CompiledWorkflowClosure(
        compiler.CompiledWorkflow(_workflow_template(), connections),
        [compiler.CompiledWorkflow(_workflow_template(), connections)],
        [compiler.CompiledTask(_task_template())],
        [compiler.CompiledLaunchPlan(lp_template)],
    )


def _all_literals() -> literals.LiteralMap:
    column = types.StructuredDatasetType.DatasetColumn("a", _int_type())
    sd_type = types.StructuredDatasetType([column], "parquet", "arrow", b"\x01schema")
    schema_type = types.SchemaType(
        [types.SchemaType.SchemaColumn("c", types.SchemaType.SchemaColumn.SchemaColumnType.DATETIME)]
    )
    union_type = types.LiteralType(
        union_type=types.UnionType([_int_type(), types.LiteralType(enum_type=types.EnumType(["a", "b"]))]),
        structure=types.TypeStructure("int", {"f": _int_type()}),
        annotation=types.TypeAnnotation({"cache-key": "x"}),
        metadata={"origin": "test"},
    )
    values = {
        "int": _int_literal(-7),
        "float": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(float_value=1.5))),
        "str": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(string_value="hé"))),
        "bool": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(boolean=False))),
        "when": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(datetime=T0))),
        "took": literals.Literal(scalar=literals.Scalar(primitive=literals.Primitive(duration=dt.timedelta(hours=1)))),
        "blob": literals.Literal(
            scalar=literals.Scalar(
                blob=literals.Blob(
                    literals.BlobMetadata(types.BlobType("csv", types.BlobType.BlobDimensionality.MULTIPART)),
                    "s3://b/d",
                )
            )
        ),
        "binary": literals.Literal(scalar=literals.Scalar(binary=literals.Binary(b"\x00\xff", "msgpack"))),
        "schema": literals.Literal(scalar=literals.Scalar(schema=literals.Schema("s3://b/s", schema_type))),
        "union": literals.Literal(
            scalar=literals.Scalar(union=literals.Union(_int_literal(3), union_type)), hash="h", metadata={"m": "1"}
        ),
        "none": literals.Literal(scalar=literals.Scalar(none_type=literals.Void())),
        "error": literals.Literal(scalar=literals.Scalar(error=types.Error("n0", "boom"))),
        "generic": literals.Literal(scalar=literals.Scalar(generic={"a": [1, "b"]})),
        "sd": literals.Literal(
            scalar=literals.Scalar(
                structured_dataset=literals.StructuredDataset("s3://b/sd", literals.StructuredDatasetMetadata(sd_type))
            )
        ),
        "list": literals.Literal(collection=literals.LiteralCollection([_int_literal(1), _int_literal(2)])),
        "map": literals.Literal(map=literals.LiteralMap({"k": _int_literal(1)})),
        "offloaded": literals.Literal(
            offloaded_metadata=literals.LiteralOffloadedMetadata(
                "s3://b/o", 1024, types.LiteralType(schema=schema_type)
            )
        ),
    }
    return literals.LiteralMap(values)


def _launch_plan() -> launch_plan.LaunchPlan:
    metadata = launch_plan.LaunchPlanMetadata(
        schedule.Schedule("kickoff", rate=schedule.Schedule.FixedRate(10, schedule.FixedRateUnit.MINUTE)),
        [
            common.Notification(
                [core_execution.WorkflowExecutionPhase.FAILED],
                pager_duty=common.PagerDutyNotification(["oncall@x"], "tpl"),
            ),
            common.Notification(
                [core_execution.WorkflowExecutionPhase.TIMED_OUT], slack=common.SlackNotification(["#ops"])
            ),
        ],
    )
    spec = launch_plan.LaunchPlanSpec(
        _wf_id(),
        metadata,
        interface.ParameterMap(
            {
                "x": interface.Parameter(interface.Variable(_int_type(), "x"), required=True),
                "y": interface.Parameter(interface.Variable(_int_type(), "y"), default=_int_literal(2)),
            }
        ),
        literals.LiteralMap({"z": _int_literal(3)}),
        common.Labels({"team": "ml"}),
        common.Annotations({"a": "b"}),
        common.AuthRole("role", "sa"),
        common.RawOutputDataConfig("s3://raw"),
        8,
        _security(),
        True,
        concurrency.ConcurrencyPolicy(2),
        quality_of_service=core_execution.QualityOfService(
            spec=core_execution.QualityOfServiceSpec(dt.timedelta(minutes=10))
        ),
        interruptible=True,
        envs=common.Envs({"E": "1"}),
        cluster_assignment=matchable_resource.ClusterAssignment("pool"),
        auth=launch_plan.Auth("role", "sa"),
    )
    closure = launch_plan.LaunchPlanClosure(
        launch_plan.LaunchPlanState.ACTIVE,
        spec.default_inputs,
        interface.VariableMap({"o": interface.Variable(_int_type(), "out")}),
        T0,
        T1,
    )
    return launch_plan.LaunchPlan(Identifier(ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v1"), spec, closure)


def _execution() -> execution.Execution:
    spec = execution.ExecutionSpec(
        Identifier(ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v1"),
        execution.ExecutionMetadata(
            execution.ExecutionMetadata.ExecutionMode.CHILD_WORKFLOW,
            "alice",
            1,
            T0,
            _node_exec_id(),
            _exec_id(),
            execution.SystemMetadata("cluster-1", "ns"),
        ),
        execution.NotificationList([common.Notification([4], email=common.EmailNotification(["a@x"]))]),
        labels=common.Labels({"l": "1"}),
        max_parallelism=3,
        tags=["t"],
        execution_cluster_label=matchable_resource.ExecutionClusterLabel("gpu"),
    )
    closure = execution.ExecutionClosure(
        core_execution.WorkflowExecutionPhase.SUCCEEDED,
        T0,
        T1 - T0,
        outputs=execution.LiteralMapBlob(values=literals.LiteralMap({"o": _int_literal(9)})),
        created_at=T0,
        updated_at=T1,
        computed_inputs=literals.LiteralMap({"x": _int_literal(3)}),
        workflow_id=_wf_id(),
        state_change_details=execution.ExecutionStateChangeDetails(
            execution.ExecutionState.EXECUTION_ARCHIVED, T1, "bob"
        ),
    )
    return execution.Execution(_exec_id(), spec, closure)


def _failed_execution_closure() -> execution.ExecutionClosure:
    error = core_execution.ExecutionError(
        "USER:Boom", "it broke", "s3://err", core_execution.ExecutionError.ErrorKind.USER
    )
    return execution.ExecutionClosure(
        core_execution.WorkflowExecutionPhase.FAILED, T0, dt.timedelta(seconds=3), error=error
    )


def _node_execution() -> node_execution.NodeExecution:
    catalog_key = catalog.CatalogMetadata(_task_id(), catalog.CatalogArtifactTag("art", "tag"), _task_exec_id())
    closure = node_execution.NodeExecutionClosure(
        core_execution.NodeExecutionPhase.SUCCEEDED,
        T0,
        dt.timedelta(seconds=2),
        output_uri="s3://out",
        deck_uri="s3://deck",
        task_node_metadata=node_execution.TaskNodeMetadata(
            catalog.CatalogCacheStatus.CACHE_HIT, catalog_key, "s3://ckpt"
        ),
        created_at=T0,
        updated_at=T1,
    )
    metadata = node_execution.NodeExecutionMetaData("rg", True, "n0", True, False, False)
    return node_execution.NodeExecution(_node_exec_id(), "s3://in", closure, metadata)


def _task_execution() -> task_execution.TaskExecution:
    closure = task_execution.TaskExecutionClosure(
        core_execution.TaskExecutionPhase.RUNNING,
        [
            core_execution.TaskLog(
                "https://logs", "k8s", core_execution.TaskLog.MessageFormat.JSON, dt.timedelta(hours=1)
            )
        ],
        T0,
        dt.timedelta(seconds=1),
        T0,
        T1,
        output_uri="s3://o",
        custom_info={"job": "j"},
        reason="pulling",
        task_type="python-task",
        event_version=1,
        reasons=[task_execution.Reason(T0, "queued"), task_execution.Reason(T1, "running")],
    )
    return task_execution.TaskExecution(_task_exec_id(), "s3://in", closure, True)


def _span() -> metrics.Span:
    return metrics.Span(
        T0,
        T1,
        workflow_id=_exec_id(),
        spans=[
            metrics.Span(T0, T1, node_id=_node_exec_id()),
            metrics.Span(T0, T1, task_id=_task_exec_id()),
            metrics.Span(T0, T1, operation_id="EXECUTION_OVERHEAD"),
        ],
    )


def _data_responses() -> list[FlyteIdlEntity]:
    blob = common.UrlBlob("https://signed", 42)
    full = literals.LiteralMap({"x": _int_literal(1)})
    urls = common.FlyteURLs("flyte://in", "flyte://out", "flyte://deck")
    dynamic = node_execution.DynamicWorkflowNodeMetadata(_wf_id(), _compiled_closure(), "s3://djs")
    return [
        execution.WorkflowExecutionGetDataResponse(blob, blob, full, full),
        execution.TaskExecutionGetDataResponse(blob, blob, full, full, urls),
        execution.NodeExecutionGetDataResponse(blob, blob, full, full, dynamic, urls),
        execution.WorkflowExecutionGetMetricsResponse(_span()),
    ]


def _matchable() -> list[FlyteIdlEntity]:
    spec = matchable_resource.TaskResourceSpec("1", "0", "1Gi", "", "10Gi")
    config = matchable_resource.WorkflowExecutionConfig(
        4,
        _security(),
        common.RawOutputDataConfig("s3://raw"),
        common.Labels({"a": "b"}),
        common.Annotations({"c": "d"}),
        True,
        True,
        common.Envs([("K", "V")]),
    )
    attributes = [
        matchable_resource.MatchingAttributes(
            task_resource_attributes=matchable_resource.TaskResourceAttributes(spec, spec)
        ),
        matchable_resource.MatchingAttributes(
            cluster_resource_attributes=matchable_resource.ClusterResourceAttributes({"quota": "4"})
        ),
        matchable_resource.MatchingAttributes(
            execution_queue_attributes=matchable_resource.ExecutionQueueAttributes(["gpu"])
        ),
        matchable_resource.MatchingAttributes(execution_cluster_label=matchable_resource.ExecutionClusterLabel("c")),
        matchable_resource.MatchingAttributes(
            quality_of_service=core_execution.QualityOfService(tier=core_execution.QualityOfService.Tier.LOW)
        ),
        matchable_resource.MatchingAttributes(
            plugin_overrides=matchable_resource.PluginOverrides(
                [matchable_resource.PluginOverride("spark", ["a", "b"], matchable_resource.PluginOverride.FAIL)]
            )
        ),
        matchable_resource.MatchingAttributes(workflow_execution_config=config),
        matchable_resource.MatchingAttributes(cluster_assignment=matchable_resource.ClusterAssignment("pool")),
    ]
    configured = matchable_resource.MatchableAttributesConfiguration(
        attributes[0], "development", "p", "wf", "lp", "org"
    )
    return [*attributes, configured]


def roots() -> list[FlyteIdlEntity]:
    """Trees that, walked, reach every model class."""
    task_spec = task.TaskSpec(_task_template(), _docs())
    registered_task = task.Task(_task_id(), task.TaskClosure(task.CompiledTask(_task_template()), T0), "squares")
    wf_spec = admin_workflow.WorkflowSpec(_workflow_template(), [_workflow_template()], _docs())
    registered_wf = admin_workflow.Workflow(_wf_id(), admin_workflow.WorkflowClosure(_compiled_closure(), T0), "a wf")
    return [
        task_spec,
        registered_task,
        task.TaskSpec(_pod_task_template()),
        task.TaskSpec(_sql_task_template()),
        wf_spec,
        registered_wf,
        _launch_plan(),
        _execution(),
        _failed_execution_closure(),
        execution.ExecutionClosure(
            core_execution.WorkflowExecutionPhase.ABORTED,
            T0,
            dt.timedelta(0),
            abort_metadata=execution.AbortMetadata("user asked", "alice"),
        ),
        _node_execution(),
        node_execution.NodeExecutionClosure(
            core_execution.NodeExecutionPhase.RUNNING,
            T0,
            dt.timedelta(0),
            workflow_node_metadata=node_execution.WorkflowNodeMetadata(_exec_id()),
        ),
        _task_execution(),
        *_data_responses(),
        *_matchable(),
        _all_literals(),
        identifier.SignalIdentifier("sig", _exec_id()),
        common.NamedEntityIdentifier("p", "d", "n", "org"),
        named_entity.NamedEntity(
            ResourceType.WORKFLOW,
            common.NamedEntityIdentifier("p", "d", "wf"),
            named_entity.NamedEntityMetadata("described", named_entity.NamedEntityState.ARCHIVED),
        ),
        project.Project(
            "p",
            "Project P",
            "desc",
            project.Project.ProjectState.ACTIVE,
            common.Labels({"x": "y"}),
            [domain.Domain("development", "Development")],
        ),
        admin_common.Sort("created_at", admin_common.Sort.Direction.ASCENDING),
        description_entity.DescriptionEntity(
            _task_id(), "short", description_entity.LongDescription(uri="s3://doc", icon_link="i"), None, ["t"]
        ),
        schedule.Schedule("t", cron_schedule=schedule.Schedule.CronSchedule("0 0 * * *", "PT1H")),
        literals.KeyValuePair("k", "v"),
    ]


def walk(model: FlyteIdlEntity) -> Iterator[FlyteIdlEntity]:
    """The model and every model reachable through its fields."""
    yield model
    for f in type(model)._fields:
        value = getattr(model, f.name)
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, FlyteIdlEntity):
                yield from walk(item)


def _every_model_class() -> set[type]:
    found: set[type] = set()
    for info in pkgutil.walk_packages(models_pkg.__path__, "flyteplane.models."):
        module = importlib.import_module(info.name)
        pending: list[Any] = [getattr(module, name) for name in getattr(module, "__all__", ())]
        while pending:
            obj = pending.pop()
            if isinstance(obj, type) and issubclass(obj, FlyteIdlEntity) and obj is not FlyteIdlEntity:
                found.add(obj)
                pending.extend(v for v in vars(obj).values() if isinstance(v, type))
    return found


ALL_MODELS = [m for root in roots() for m in walk(root)]
ALL_CLASSES = _every_model_class()


def test_the_trees_reach_every_model_class() -> None:
    reached = {type(m) for m in ALL_MODELS}
    missing = sorted(f"{c.__module__}.{c.__qualname__}" for c in ALL_CLASSES - reached)
    assert not missing
    assert len(ALL_CLASSES) > 150


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: type(m).__qualname__)
def test_round_trip_through_bytes(model: FlyteIdlEntity) -> None:
    data = model.to_flyte_idl().SerializeToString()
    again = type(model).from_flyte_idl(type(model)._pb_type.FromString(data))
    assert again == model
    assert hash(again) == hash(model)
    for f in type(model)._fields:
        assert getattr(again, f.name) == getattr(model, f.name), f.name


@pytest.mark.parametrize("model", [r for r in roots()], ids=lambda m: type(m).__qualname__)
def test_round_trip_through_pickle(model: FlyteIdlEntity) -> None:
    assert pickle.loads(pickle.dumps(model)) == model


@pytest.mark.parametrize("cls", sorted(ALL_CLASSES, key=lambda c: c.__qualname__), ids=lambda c: c.__qualname__)
def test_from_flyte_idl_is_never_overridden(cls: type[FlyteIdlEntity]) -> None:
    # The wrap must stay one allocation: no model may rebuild the tree on conversion.
    assert cls.from_flyte_idl.__func__ is FlyteIdlEntity.from_flyte_idl.__func__  # type: ignore[attr-defined]


def test_from_flyte_idl_does_not_copy() -> None:
    pb = task.Task(_task_id(), task.TaskClosure(task.CompiledTask(_task_template()))).to_flyte_idl()
    wrapped = task.Task.from_flyte_idl(pb)
    assert wrapped.to_flyte_idl() is pb
    # A view reads the message live, so a change to the message shows through every level.
    pb.closure.compiled_task.template.id.name = "renamed"
    assert wrapped.closure.compiled_task.template.id.name == "renamed"
    assert wrapped.id.name == "app.square"


def test_wrap_all_wraps_each_message_without_copying() -> None:
    page = task_pb2.TaskList(tasks=[task.Task(_task_id()).to_flyte_idl() for _ in range(3)])
    tasks = wrap_all(task.Task, page.tasks)
    assert [t.id.name for t in tasks] == ["app.square"] * 3
    assert all(t.to_flyte_idl() is pb for t, pb in zip(tasks, page.tasks, strict=True))


# -- the seed's shapes -----------------------------------------------------------------------------------------
def test_seed_task_spec_from_plain_dicts() -> None:
    task_id = Identifier(
        resource_type=ResourceType.TASK,
        project="flytesnacks",
        domain="development",
        name="my_example_task",
        version="1.0.0",
    )
    spec = task.TaskSpec(
        template=workflow.TaskTemplate(
            id=task_id,
            type="python-task",
            metadata={},
            interface=interface.TypedInterface(
                inputs={"x": core_types.LiteralType(simple=core_types.SimpleType.INTEGER)},
                outputs={"y": core_types.LiteralType(simple=core_types.SimpleType.INTEGER)},
            ),
            container={
                "image": "ghcr.io/flyteorg/flytekit:py3.9-latest",
                "command": ["python"],
                "args": ["-c", "print('hello world')"],
            },
        )
    )
    pb = spec.to_flyte_idl()
    assert isinstance(pb, task_pb2.TaskSpec)
    template = spec.template
    assert template.id == task_id
    assert template.type == "python-task"
    assert pb.template.HasField("metadata")
    assert isinstance(template.metadata, task.TaskMetadata)
    assert template.container.image == "ghcr.io/flyteorg/flytekit:py3.9-latest"
    assert template.container.command == ["python"]
    assert template.container.args == ["-c", "print('hello world')"]
    assert template.target == template.container
    x = template.interface.inputs["x"]
    assert isinstance(x, interface.Variable)
    assert x.type.simple is types.SimpleType.INTEGER
    assert x.description == ""
    assert template.interface.outputs["y"].type == types.LiteralType(simple=types.SimpleType.INTEGER)
    assert template.custom is None


def test_seed_list_identifier_shape() -> None:
    ident = Identifier(project="flytesnacks", domain="development")
    assert (ident.project, ident.domain, ident.name, ident.version) == ("flytesnacks", "development", "", "")
    assert ident.resource_type is ResourceType.UNSPECIFIED


def test_task_template_lives_where_flytekit_users_look() -> None:
    assert workflow.TaskTemplate is task.TaskTemplate
    assert core_types.LiteralType is types.LiteralType
    assert compiler.CompiledTask is task.CompiledTask
    assert execution.ClusterAssignment is matchable_resource.ClusterAssignment
    assert common.FlyteIdlEntity is FlyteIdlEntity


# -- oneofs, enums and conversions ----------------------------------------------------------------------------
def test_oneof_value_properties() -> None:
    lm = _all_literals().literals
    assert lm["int"].value.value.value == -7
    assert lm["float"].scalar.primitive.value == 1.5
    assert lm["bool"].scalar.primitive.value is False
    assert lm["when"].scalar.primitive.value == T0
    assert lm["took"].scalar.primitive.value == dt.timedelta(hours=1)
    assert isinstance(lm["list"].value, literals.LiteralCollection)
    assert [item.value.value.value for item in lm["list"].collection.literals] == [1, 2]
    assert lm["map"].value.literals["k"] == _int_literal(1)
    assert isinstance(lm["none"].scalar.value, literals.Void)
    assert lm["union"].scalar.union.stored_type.union_type.variants[0] == _int_type()
    assert literals.Literal().value is None
    assert literals.Scalar().value is None


def test_unset_oneof_scalars_read_as_none_and_zero_is_kept() -> None:
    zero = literals.Primitive(integer=0)
    assert zero.integer == 0
    assert zero.string_value is None
    assert zero.value == 0
    assert literals.Primitive().value is None
    none_type = types.LiteralType(simple=types.SimpleType.NONE)
    assert none_type.simple is types.SimpleType.NONE
    assert none_type.to_flyte_idl().HasField("simple")
    assert types.LiteralType(blob=types.BlobType("csv", 0)).simple is None


def test_naive_datetime_is_utc_and_reads_back_aware() -> None:
    primitive = literals.Primitive(datetime=dt.datetime(2024, 1, 2, 3, 4, 5))
    assert primitive.datetime == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert primitive.datetime.tzinfo is not None


def test_generic_scalar_is_the_struct() -> None:
    generic = literals.Scalar(generic={"a": 1}).generic
    assert isinstance(generic, Struct)
    assert dict(generic)["a"] == 1


def test_struct_fields_read_as_dicts() -> None:
    template = _task_template()
    assert template.custom == {"module": "app", "nested": {"n": [1.0, 2.0]}}
    assert types.LiteralType(simple=types.SimpleType.STRING, metadata={"a": "b"}).metadata == {"a": "b"}


def test_enums_read_as_intenums_and_unknown_values_as_ints() -> None:
    closure = execution.ExecutionClosure(core_execution.WorkflowExecutionPhase.RUNNING)
    assert closure.phase is core_execution.WorkflowExecutionPhase.RUNNING
    assert closure.phase == 2
    pb = closure.to_flyte_idl()
    pb.phase = 42  # a phase a newer server might send
    assert execution.ExecutionClosure.from_flyte_idl(pb).phase == 42
    assert core_execution.WorkflowExecutionPhase.enum_to_string(4) == "SUCCEEDED"
    assert core_execution.WorkflowExecutionPhase.enum_to_string(42) == "42"


def test_container_env_and_config_are_dicts() -> None:
    container = task.Container("img", [], [], None, {"A": "1", "B": "2"}, [("k", "v")])
    assert container.env == {"A": "1", "B": "2"}
    assert container.config == {"k": "v"}
    assert [kv.key for kv in container.to_flyte_idl().env] == ["A", "B"]
    envs = common.Envs([literals.KeyValuePair("K", "V"), literals_pb2.KeyValuePair(key="L", value="W")])
    assert envs.envs == {"K": "V", "L": "W"}


def test_task_metadata_takes_retry_counts_and_drops_zero_timeout() -> None:
    metadata = task.TaskMetadata(retries=2, timeout=90)
    assert metadata.retries == literals.RetryStrategy(2)
    assert metadata.timeout == dt.timedelta(seconds=90)
    assert task.TaskMetadata(timeout=dt.timedelta(0)).timeout is None
    assert task.TaskMetadata(retries=0).to_flyte_idl().HasField("retries")
    # flytekit always writes generates_deck; so do we, unless told to leave it out.
    assert task.TaskMetadata().to_flyte_idl().HasField("generates_deck")
    assert not task.TaskMetadata(generates_deck=None).to_flyte_idl().HasField("generates_deck")


def test_empty_custom_is_left_unset() -> None:
    template = task.TaskTemplate(_task_id(), "t", {}, None, custom={})
    assert not template.to_flyte_idl().HasField("custom")
    assert template.custom is None


def test_typed_interface_accepts_variables_literal_types_messages_and_dicts() -> None:
    typed = interface.TypedInterface(
        {
            "a": _int_type(),
            "b": interface.Variable(_int_type(), "b"),
            "c": _int_type().to_flyte_idl(),
            "d": {"type": _int_type(), "description": "d"},
        },
        interface.VariableMap({"o": interface.Variable(_int_type(), "o")}),
    )
    assert sorted(typed.inputs) == ["a", "b", "c", "d"]
    assert all(isinstance(v, interface.Variable) for v in typed.inputs.values())
    assert typed.inputs["c"].type == _int_type()
    assert typed.inputs["d"].description == "d"
    assert typed.outputs["o"].description == "o"


def test_typed_interface_rejects_other_values_naming_the_input() -> None:
    with pytest.raises(TypeError, match=r"TypedInterface.inputs\['x'\]"):
        interface.TypedInterface({"x": 3}, {})


def test_parameter_drops_required_when_a_default_is_given() -> None:
    with_default = interface.Parameter(interface.Variable(_int_type(), ""), _int_literal(1), True)
    assert with_default.required is None
    assert with_default.default == _int_literal(1)
    assert with_default.behavior == _int_literal(1)
    required = interface.Parameter(interface.Variable(_int_type(), ""), required=False)
    assert required.required is False
    assert required.to_flyte_idl().HasField("required")


def test_output_reference_attr_path() -> None:
    ref = types.OutputReference("n0", "o0", ["key", 3])
    assert ref.attr_path == ["key", 3]
    assert ref.to_flyte_idl().attr_path[1].int_value == 3
    with pytest.raises(TypeError, match="attr_path"):
        types.OutputReference("n0", "o0", [1.5])


def test_launch_plan_metadata_packs_launch_conditions() -> None:
    condition_msg = _task_id().to_flyte_idl()
    metadata = launch_plan.LaunchPlanMetadata(None, [], condition_msg)
    packed = metadata.launch_conditions
    assert packed.type_url.endswith("flyteidl.core.Identifier")
    unpacked = type(condition_msg)()
    assert packed.Unpack(unpacked)
    assert unpacked == condition_msg


def test_launch_plan_auto_activate_is_python_side_state() -> None:
    lp = launch_plan.LaunchPlan(Identifier(project="p"), None, None, auto_activate=True)
    assert lp.auto_activate is True
    assert launch_plan.LaunchPlan.from_flyte_idl(lp.to_flyte_idl()).auto_activate is False
    assert lp == launch_plan.LaunchPlan(Identifier(project="p"), None, None)
    assert pickle.loads(pickle.dumps(lp)).auto_activate is True


def test_workflow_spec_orders_sub_workflows_by_name() -> None:
    def template(name: str) -> workflow.WorkflowTemplate:
        return workflow.WorkflowTemplate(
            Identifier(ResourceType.WORKFLOW, "p", "d", name, "v"), None, None, None, [], []
        )

    spec = admin_workflow.WorkflowSpec(template("main"), [template("zeta"), template("alpha")])
    assert [t.id.name for t in spec.sub_workflows] == ["alpha", "zeta"]


def test_matching_attributes_reports_its_kind() -> None:
    kinds = [m.resource_type for m in _matchable()[:-1]]
    assert kinds == list(matchable_resource.MatchableResource)
    assert matchable_resource.MatchingAttributes().resource_type is None


def test_description_defaults_to_rst_as_in_flytekit() -> None:
    assert description_entity.Description(value="x").format is description_entity.DescriptionFormat.RST
    assert description_entity.Description.DescriptionFormat is description_entity.DescriptionFormat


def test_span_id_and_duration() -> None:
    span = _span()
    assert span.id == _exec_id()
    assert span.duration == T1 - T0
    assert [s.id for s in span.spans][2] == "EXECUTION_OVERHEAD"


def test_execution_closure_output_result() -> None:
    assert isinstance(_failed_execution_closure().output_result, core_execution.ExecutionError)
    assert _execution().closure.output_result.values.literals["o"] == _int_literal(9)


# -- immutability, equality, errors, introspection --------------------------------------------------------------
def test_models_are_immutable() -> None:
    ident = _task_id()
    with pytest.raises(AttributeError, match="read-only"):
        ident.name = "other"  # type: ignore[misc]


def test_equality_and_hash_follow_the_message() -> None:
    assert _task_id() == _task_id()
    assert _task_id() != Identifier(ResourceType.TASK, "flytesnacks", "development", "app.square", "v2")
    assert len({_task_id(), _task_id()}) == 1
    # Same message type, different view class: equal; a different message type: never.
    assert description_entity.Documentation("s") == description_entity.DescriptionEntity(short_description="s")
    assert identifier.WorkflowExecutionIdentifier("p", "d", "n") != common.NamedEntityIdentifier("p", "d", "n")


def test_repr_names_only_what_is_set() -> None:
    assert repr(common.NamedEntityIdentifier("p", "d")) == "NamedEntityIdentifier(project='p', domain='d')"
    assert repr(literals.Primitive(integer=0)) == "Primitive(integer=0)"


def test_constructor_errors_name_the_field() -> None:
    with pytest.raises(TypeError, match="unexpected argument 'nme'"):
        Identifier(nme="x")
    with pytest.raises(TypeError, match="at most 6 positional"):
        Identifier(1, "p", "d", "n", "v", "o", "extra")
    with pytest.raises(TypeError, match="multiple values for 'project'"):
        Identifier(1, "p", project="q")
    with pytest.raises(TypeError, match=r"TaskTemplate\.metadata"):
        task.TaskTemplate(_task_id(), "t", 3, None)
    with pytest.raises(TypeError, match=r"Identifier\.project"):
        Identifier(project=3)


def test_signature_of_generated_constructors() -> None:
    params = inspect.signature(task.TaskTemplate).parameters
    assert list(params)[:6] == ["id", "type", "metadata", "interface", "custom", "container"]
    assert all(p.default is None for p in params.values())
    assert inspect.signature(task.TaskMetadata).parameters["generates_deck"].default is False
    assert list(inspect.signature(launch_plan.LaunchPlan).parameters) == ["id", "spec", "closure", "auto_activate"]
    # Fields shared through a base bind to each subclass's own message, in the base's order.
    assert list(inspect.signature(execution.NodeExecutionGetDataResponse).parameters) == [
        "inputs",
        "outputs",
        "full_inputs",
        "full_outputs",
        "dynamic_workflow",
        "flyte_urls",
    ]
    assert execution.NodeExecutionGetDataResponse.inputs is not execution.TaskExecutionGetDataResponse.inputs


def test_every_model_module_declares_all() -> None:
    for info in pkgutil.walk_packages(models_pkg.__path__, "flyteplane.models."):
        module = importlib.import_module(info.name)
        if info.name.endswith("._model") or info.ispkg:
            continue
        assert module.__doc__, info.name
        assert module.__all__, info.name
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"


def test_field_declarations_are_typed() -> None:
    # Every field carries an annotation, so attribute access is statically typed for users.
    for cls in ALL_CLASSES:
        if cls.__module__ == "flyteplane.models.core.identifier":
            continue
        hints = {}
        for klass in reversed(cls.__mro__):
            hints.update(getattr(klass, "__annotations__", {}))
        for f in cls._fields:
            if type(f) is Field:
                assert f.name in hints, f"{cls.__qualname__}.{f.name}"
