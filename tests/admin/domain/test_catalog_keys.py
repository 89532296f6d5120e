"""The task cache's keys, checked against the values propeller's own tests expect
(``flytepropeller/pkg/controller/nodes/catalog/datacatalog/transformer_test.go``,
``flyteplugins/go/tasks/pluginmachinery/catalog/hashing_test.go``) and objecthash's published vector."""

from __future__ import annotations

import base64
import math

import pytest
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2

from flyteplane.admin.domain.catalog_keys import (
    ArtifactKey,
    CatalogKeyError,
    DatasetId,
    artifact_key,
    artifact_tag,
    catalog_metadata,
    dataset_id,
    hash_literal_map,
    is_cache_serializable,
    is_cacheable,
    objecthash,
    pb_hash,
)

TASK_ID = identifier_pb2.Identifier(project="project", domain="domain", name="name", version="1.0.0")


def _ints(**values: int) -> literals_pb2.LiteralMap:
    out = literals_pb2.LiteralMap()
    for name, value in values.items():
        out.literals[name].scalar.primitive.integer = value
    return out


def _int_var() -> interface_pb2.Variable:
    return interface_pb2.Variable(type=types_pb2.LiteralType(simple=types_pb2.INTEGER))


def test_objecthash_matches_the_published_common_json_vector() -> None:
    value = ["foo", {"bar": ["baz", None, 1.0, 1.5, 0.0001, 1000.0, 2.0, -23.1234, 2.0]}]
    assert objecthash(value).hex() == "783a423b094307bcb28d005bc2f026ff44204442ef3513585e7e73b66e3c2213"
    # Go decodes every JSON number as a float: 1 and 1.0 are one value; key order never matters.
    assert objecthash({"a": 1, "b": [True, None]}) == objecthash({"b": [True, None], "a": 1.0})
    assert objecthash(0.0) == objecthash(0)
    with pytest.raises(ValueError):
        objecthash(float("nan"))
    with pytest.raises(TypeError):
        objecthash(object())


def test_empty_inputs_hash_as_propeller_s() -> None:
    assert hash_literal_map(literals_pb2.LiteralMap()) == "GKw-c0PwFokMUQ6T-TUmEWnZ4_VlQ2Qpgw-vCTT0-OQ"


def test_the_artifact_tag_is_propeller_s_and_ignores_named_inputs() -> None:
    tag = "flyte_cached-GQid5LjHbakcW68DS3P2jp80QLbiF0olFHF2hTh5bg8"
    assert artifact_tag(_ints(**{"1": 1, "2": 2})) == tag
    assert artifact_tag(_ints(**{"2": 2, "1": 1})) == tag
    assert artifact_tag(_ints(**{"1": 1, "2": 2, "3": 3}), ignore=["3"]) == tag
    assert artifact_tag(_ints(**{"1": 1, "2": 3})) != tag


def test_a_literal_hash_stands_for_its_value_also_inside_collections_and_maps() -> None:
    def hashed(value: int, digest: str) -> literals_pb2.Literal:
        literal = literals_pb2.Literal(hash=digest)
        literal.scalar.primitive.integer = value
        return literal

    one, other = literals_pb2.LiteralMap(), literals_pb2.LiteralMap()
    one.literals["x"].CopyFrom(hashed(1, "h"))
    other.literals["x"].CopyFrom(hashed(2, "h"))
    assert hash_literal_map(one) == hash_literal_map(other)
    for outer in (one, other):
        nested = outer.literals["xs"].collection.literals.add()
        nested.CopyFrom(hashed(len(outer.literals), "inner"))
        entry = outer.literals["m"].map.literals["k"]
        entry.CopyFrom(hashed(id(outer) % 7, "mapped"))
    assert hash_literal_map(one) == hash_literal_map(other)
    other.literals["xs"].collection.literals[0].hash = "changed"
    assert hash_literal_map(one) != hash_literal_map(other)
    # Without a hash, the value counts.
    assert hash_literal_map(_ints(x=1)) != hash_literal_map(_ints(x=2))


def test_the_dataset_version_is_the_cache_version_and_the_interface_signature() -> None:
    assert dataset_id(TASK_ID, interface_pb2.TypedInterface(), "1.0.0") == DatasetId(
        "project", "domain", "flyte_task-name", "1.0.0-GKw-c0Pw-GKw-c0Pw"
    )
    empty_maps = interface_pb2.TypedInterface(inputs=interface_pb2.VariableMap(), outputs=interface_pb2.VariableMap())
    assert dataset_id(TASK_ID, empty_maps, "1.0.0").version == "1.0.0-GKw-c0Pw-GKw-c0Pw"
    interface = interface_pb2.TypedInterface()
    interface.inputs.variables["2"].CopyFrom(_int_var())
    interface.inputs.variables["1"].CopyFrom(_int_var())
    dataset = dataset_id(TASK_ID, interface, " 1.0.0 ")
    assert dataset.version == "1.0.0-UxVtPm0k-GKw-c0Pw"
    assert dataset.identifier() == identifier_pb2.Identifier(
        resource_type=identifier_pb2.DATASET,
        project="project",
        domain="domain",
        name="flyte_task-name",
        version="1.0.0-UxVtPm0k-GKw-c0Pw",
    )
    assert (dataset.task_name, dataset.cache_version) == ("name", "1.0.0")
    assert DatasetId("p", "d", "not-a-task", "odd").task_name == "not-a-task"
    assert DatasetId("p", "d", "flyte_task-t", "odd").cache_version == "odd"
    # Signatures are base64url: they may hold "-", and so may the cache version.
    assert DatasetId("p", "d", "flyte_task-t", "1-2-GKw-c0Pw-UxVtPm0k").cache_version == "1-2"
    with pytest.raises(CatalogKeyError, match="empty discoveryVersion"):
        dataset_id(TASK_ID, interface, "  ")


def test_a_task_s_key_uses_its_metadata() -> None:
    task = tasks_pb2.TaskTemplate(id=TASK_ID)
    task.interface.inputs.variables["1"].CopyFrom(_int_var())
    task.metadata.discoverable = True
    task.metadata.discovery_version = "3"
    task.metadata.cache_ignore_input_vars.append("2")
    key = artifact_key(task, _ints(**{"1": 1, "2": 99}))
    assert key.tag == artifact_tag(_ints(**{"1": 1}))
    assert key.dataset.version.startswith("3-")
    assert is_cacheable(task) and not is_cache_serializable(task)
    task.metadata.cache_serializable = True
    assert is_cache_serializable(task)
    task.metadata.discoverable = False
    assert not is_cacheable(task) and not is_cache_serializable(task)


def test_catalog_metadata_names_the_dataset_the_tag_and_the_source() -> None:
    key = ArtifactKey(DatasetId("p", "d", "flyte_task-t", "1-a-b"), "flyte_cached-x")
    source = identifier_pb2.TaskExecutionIdentifier(retry_attempt=2)
    source.node_execution_id.node_id = "n0"
    metadata = catalog_metadata(key, "artifact-1", source)
    assert metadata.dataset_id.name == "flyte_task-t"
    assert (metadata.artifact_tag.artifact_id, metadata.artifact_tag.name) == ("artifact-1", "flyte_cached-x")
    assert metadata.source_task_execution.retry_attempt == 2
    assert not catalog_metadata(key, "artifact-1").HasField("source_task_execution")


def _reference(inputs: literals_pb2.LiteralMap) -> str:
    """pbhash of the map as it is (what propeller hashes when no literal has a ``hash`` or metadata to drop)."""
    return base64.urlsafe_b64encode(pb_hash(inputs)).decode().rstrip("=")


def test_the_structural_hash_equals_pbhash_of_the_map_s_json() -> None:
    inputs = literals_pb2.LiteralMap()
    for i, value in enumerate([0, -1, 2**62, 7]):
        inputs.literals[f"i{i}"].scalar.primitive.integer = value
    for i, number in enumerate([0.0, -0.0, 1.5, -23.1234, 1e300, 5e-324, math.inf, -math.inf, math.nan, 3.0]):
        inputs.literals[f"f{i}"].scalar.primitive.float_value = number
    for i, text in enumerate(["", "ünïcode", "a b"]):
        inputs.literals[f"s{i}"].scalar.primitive.string_value = text
    inputs.literals["t"].scalar.primitive.boolean = True
    inputs.literals["false"].scalar.primitive.boolean = False
    inputs.literals["when"].scalar.primitive.datetime.FromSeconds(1_700_000_000)
    inputs.literals["for"].scalar.primitive.duration.FromMilliseconds(1500)
    inputs.literals["none"].scalar.none_type.SetInParent()
    inputs.literals["blob"].scalar.blob.uri = "s3://bucket/key"
    inputs.literals["empty_list"].collection.SetInParent()
    inputs.literals["empty_map"].map.SetInParent()
    nested = inputs.literals["nested"].collection.literals.add().map.literals
    nested["x"].scalar.primitive.integer = 1
    nested["y"].collection.literals.add().scalar.primitive.string_value = "z"
    assert hash_literal_map(inputs) == _reference(inputs)
    for name in list(inputs.literals):
        single = literals_pb2.LiteralMap()
        single.literals[name].CopyFrom(inputs.literals[name])
        assert hash_literal_map(single) == _reference(single), name
    # A literal with metadata is hashed whole (metadata included), as propeller's hashify leaves it.
    inputs.literals["i0"].metadata["k"] = "v"
    assert hash_literal_map(inputs) == _reference(inputs)
