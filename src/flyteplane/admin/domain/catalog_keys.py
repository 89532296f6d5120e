"""The task cache's keys, computed as propeller computes them for datacatalog.

A cached task's outputs are an *artifact* of a *dataset* (datacatalog's words), found by a *tag*:

* the dataset is the task's identity and cache version: project and domain of the task, name
  ``flyte_task-<task name>``, version ``<cache_version>-<inputs signature>-<outputs signature>``, where each signature
  is the first 8 characters of the hash of the interface's variable map (propeller's
  ``GenerateDatasetIDForTask`` in ``flytepropeller/pkg/controller/nodes/catalog/datacatalog/transformer.go``): a new
  interface is a new dataset even when ``cache_version`` stays;
* the tag is ``flyte_cached-<hash of the inputs>`` (``GenerateArtifactTagName``), leaving out the inputs named in
  the task's ``cache_ignore_input_vars``, and taking a literal's ``hash`` field for its value wherever one is set
  (flytekit's ``HashMethod``; ``HashLiteralMap`` in ``flyteplugins/.../pluginmachinery/catalog/hashing.go``).

Hashes are flytestdlib's ``pbhash.ComputeHash``: the message as proto3 JSON (what Go's ``jsonpb`` writes: camelCase
names, no default values, 64-bit integers as strings), then the *objecthash* of that JSON value (Ben Laurie's
``CommonJSONHash``), which is independent of key order. Computed the same way, a key made here is the key propeller
would make, so the values can be compared with a Flyte deployment's datacatalog.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flyteidl.core import catalog_pb2, identifier_pb2, interface_pb2, literals_pb2, tasks_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

__all__ = [
    "CACHED_TASK_TAG",
    "SIGNATURE_SUFFIX_LENGTH",
    "TASK_NAMESPACE",
    "ArtifactKey",
    "CatalogKeyError",
    "DatasetId",
    "artifact_key",
    "artifact_tag",
    "catalog_metadata",
    "dataset_id",
    "hash_literal_map",
    "is_cache_serializable",
    "is_cacheable",
    "objecthash",
    "pb_hash",
    "signature_hash",
]

CACHED_TASK_TAG = "flyte_cached"
"""The prefix of an artifact's tag (propeller's ``cachedTaskTag``)."""
TASK_NAMESPACE = "flyte_task"
"""The prefix of a task's dataset name (propeller's ``taskNamespace``)."""
_SIGNATURE_LENGTH = 8  # propeller's maxParamHashLength
SIGNATURE_SUFFIX_LENGTH = 2 * _SIGNATURE_LENGTH + 2
"""The length of ``-<inputs signature>-<outputs signature>`` at the end of a dataset version."""


class CatalogKeyError(ValueError):
    """The task cannot be cached as declared (an empty cache version)."""


@dataclass(frozen=True)
class DatasetId:
    """A task's dataset: its identity, cache version and interface (datacatalog's ``DatasetID``)."""

    project: str
    domain: str
    name: str
    version: str

    def identifier(self) -> identifier_pb2.Identifier:
        """As events report it: an Identifier of resource type DATASET (propeller's ``DatasetIDToIdentifier``)."""
        return identifier_pb2.Identifier(
            resource_type=identifier_pb2.DATASET,
            project=self.project,
            domain=self.domain,
            name=self.name,
            version=self.version,
        )

    @property
    def task_name(self) -> str:
        """The task's name (the dataset's name without its namespace)."""
        prefix = f"{TASK_NAMESPACE}-"
        return self.name[len(prefix) :] if self.name.startswith(prefix) else self.name

    @property
    def cache_version(self) -> str:
        """The task's ``cache_version`` (the dataset version without the signatures, which may hold ``-`` too)."""
        if len(self.version) > SIGNATURE_SUFFIX_LENGTH and self.version[-SIGNATURE_SUFFIX_LENGTH] == "-":
            return self.version[:-SIGNATURE_SUFFIX_LENGTH]
        return self.version


@dataclass(frozen=True)
class ArtifactKey:
    """Where one set of cached outputs is: a dataset and a tag (the inputs' hash)."""

    dataset: DatasetId
    tag: str


# -- hashing: flytestdlib's pbhash ---------------------------------------------------------------------------------
def _digest(tag: bytes, data: bytes) -> bytes:
    return hashlib.sha256(tag + data).digest()


def _normalized_float(value: float) -> str:
    """objecthash's float text: sign, binary exponent, then the mantissa's bits (so 1 and 1.0 hash the same)."""
    if value == 0:
        return "+0:"
    original = value
    text = "+"
    if value < 0:
        text, value = "-", -value
    exponent = 0
    while value > 1:
        value /= 2
        exponent += 1
    while value <= 0.5:
        value *= 2
        exponent -= 1
    text += f"{exponent}:"
    while value != 0:
        if value >= 1:
            text += "1"
            value -= 1
        else:
            text += "0"
        if len(text) >= 1000:
            raise ValueError(f"cannot normalize the float {original!r} for hashing")
        value *= 2
    return text


def objecthash(value: Any) -> bytes:
    """The objecthash of a JSON value (as ``json.loads`` returns it), as Go's ``objecthash.CommonJSONHash``.

    Numbers hash as floats (Go decodes every JSON number as float64); a dict hashes its (key hash, value hash)
    pairs in sorted order, so key order never matters.
    """
    if value is None:
        return _digest(b"n", b"")
    if isinstance(value, bool):
        return _digest(b"b", b"1" if value else b"0")
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"{value!r} has no objecthash")
        return _digest(b"f", _normalized_float(number).encode())
    if isinstance(value, str):
        return _digest(b"u", value.encode("utf-8"))
    if isinstance(value, list):
        return _digest(b"l", b"".join(objecthash(item) for item in value))
    if isinstance(value, dict):
        pairs = sorted(objecthash(k) + objecthash(v) for k, v in value.items())
        return _digest(b"d", b"".join(pairs))
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def pb_hash(message: Message) -> bytes:
    """flytestdlib's ``pbhash.ComputeHash``: the objecthash of the message's proto3 JSON."""
    text = json_format.MessageToJson(message, indent=None)
    return objecthash(json.loads(text))


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# -- the dataset ---------------------------------------------------------------------------------------------------
def signature_hash(interface: interface_pb2.TypedInterface) -> str:
    """``<inputs>-<outputs>``: the first 8 characters of each variable map's hash (propeller's
    ``generateTaskSignatureHash``; a missing map hashes as an empty one)."""
    inputs = interface.inputs if interface.HasField("inputs") else interface_pb2.VariableMap()
    outputs = interface.outputs if interface.HasField("outputs") else interface_pb2.VariableMap()
    return _signature(inputs.SerializeToString(deterministic=True), outputs.SerializeToString(deterministic=True))


@functools.lru_cache(maxsize=256)
def _signature(inputs: bytes, outputs: bytes) -> str:
    """By the maps' bytes: every run of a task hashes the same interface, once is enough."""
    parts = (interface_pb2.VariableMap.FromString(inputs), interface_pb2.VariableMap.FromString(outputs))
    return "-".join(_b64(pb_hash(part))[:_SIGNATURE_LENGTH] for part in parts)


def dataset_id(
    task_id: identifier_pb2.Identifier, interface: interface_pb2.TypedInterface, cache_version: str
) -> DatasetId:
    """The dataset of a task (propeller's ``GenerateDatasetIDForTask``).

    Raises:
        CatalogKeyError: the cache version is empty (propeller: "task cannot have an empty discoveryVersion").
    """
    version = cache_version.strip(" ")
    if not version:
        raise CatalogKeyError(f"task cannot have an empty discoveryVersion {cache_version!r}")
    return DatasetId(
        project=task_id.project,
        domain=task_id.domain,
        name=f"{TASK_NAMESPACE}-{task_id.name}",
        version=f"{version}-{signature_hash(interface)}",
    )


# -- the tag -------------------------------------------------------------------------------------------------------
# The inputs' hash is the objecthash of the proto3 JSON of the "hashified" literal map (propeller's ``hashify``: a
# literal with a ``hash`` stands for that hash alone, whatever its value; collections and maps are walked for such
# literals). objecthash is compositional, so it is computed here over the literal tree directly, with the JSON of
# each node spelled out for the common shapes (collections, maps, primitive scalars) and json_format only for the
# others: the same value as ``pb_hash`` of the hashified map, without building and re-parsing its JSON (a list of
# 10,000 integers is hashed in a fraction of the time).


@functools.lru_cache(maxsize=64)
def _key(name: str) -> bytes:
    return objecthash(name)


def _one(name: str, value: bytes) -> bytes:
    """The objecthash of a JSON object of one key (nothing to sort)."""
    return _digest(b"d", _key(name) + value)


def _dict_of(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """The objecthash of a JSON object whose keys are data (a map's names: not worth remembering)."""
    return _digest(b"d", b"".join(sorted(objecthash(name) + value for name, value in entries)))


_EMPTY_OBJECT = _digest(b"d", b"")
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _primitive(primitive: literals_pb2.Primitive) -> bytes | None:
    """The hash of a primitive's JSON, or None for the kinds left to json_format (times, durations, none set)."""
    kind = primitive.WhichOneof("value")
    if kind == "integer":
        return _one("integer", _digest(b"u", str(primitive.integer).encode()))  # int64: a JSON string
    if kind == "float_value":
        number = primitive.float_value
        value = "NaN" if math.isnan(number) else _NON_FINITE.get(number, number)
        return _one("floatValue", objecthash(value))
    if kind == "string_value":
        return _one("stringValue", _digest(b"u", primitive.string_value.encode("utf-8")))
    if kind == "boolean":
        return _one("boolean", objecthash(primitive.boolean))
    return None


def _literal_hash(literal: literals_pb2.Literal) -> bytes:
    """The objecthash of the JSON of ``hashify(literal)``."""
    if literal.hash:
        return _one("hash", _digest(b"u", literal.hash.encode("utf-8")))
    kind = literal.WhichOneof("value")
    if kind == "collection":
        items = literal.collection.literals
        inner = _one("literals", _digest(b"l", b"".join(map(_literal_hash, items)))) if items else _EMPTY_OBJECT
        return _one("collection", inner)
    if kind == "map":
        entries = literal.map.literals
        inner = (
            _one("literals", _dict_of((k, _literal_hash(v)) for k, v in entries.items())) if entries else _EMPTY_OBJECT
        )
        return _one("map", inner)
    if kind == "scalar" and not literal.metadata and literal.scalar.WhichOneof("value") == "primitive":
        primitive = _primitive(literal.scalar.primitive)
        if primitive is not None:
            return _one("scalar", _one("primitive", primitive))
    return pb_hash(literal)  # any other literal is hashed whole, as it is


def hash_literal_map(inputs: literals_pb2.LiteralMap, ignore: Iterable[str] = ()) -> str:
    """The inputs' hash, unpadded URL-safe base64 (propeller's ``HashLiteralMap``): inputs named in ``ignore`` are
    left out, and literals with a ``hash`` are hashed by it."""
    ignored = set(ignore)
    entries = [(name, _literal_hash(literal)) for name, literal in inputs.literals.items() if name not in ignored]
    return _b64(_one("literals", _dict_of(entries)) if entries else _EMPTY_OBJECT)


def artifact_tag(inputs: literals_pb2.LiteralMap, ignore: Iterable[str] = ()) -> str:
    """``flyte_cached-<inputs' hash>`` (propeller's ``GenerateArtifactTagName``)."""
    return f"{CACHED_TASK_TAG}-{hash_literal_map(inputs, ignore)}"


# -- the task ------------------------------------------------------------------------------------------------------
def is_cacheable(task: tasks_pb2.TaskTemplate) -> bool:
    """Whether the task's outputs are cached (flytekit's ``cache=True`` sets ``metadata.discoverable``)."""
    return task.metadata.discoverable


def is_cache_serializable(task: tasks_pb2.TaskTemplate) -> bool:
    """Whether identical runs of the task wait for one another (``cache_serialize=True``; only with ``cache``)."""
    return task.metadata.discoverable and task.metadata.cache_serializable


def artifact_key(task: tasks_pb2.TaskTemplate, inputs: literals_pb2.LiteralMap) -> ArtifactKey:
    """The key of a cached task's outputs for these inputs (propeller's catalog key from the task's template:
    ``discovery_version``, ``cache_ignore_input_vars`` and the interface).

    Raises:
        CatalogKeyError: the task's cache version is empty.
    """
    meta = task.metadata
    dataset = dataset_id(task.id, task.interface, meta.discovery_version)
    return ArtifactKey(dataset, artifact_tag(inputs, meta.cache_ignore_input_vars))


def catalog_metadata(
    key: ArtifactKey, artifact_id: str, source: identifier_pb2.TaskExecutionIdentifier | None = None
) -> catalog_pb2.CatalogMetadata:
    """What node events carry as ``task_node_metadata.catalog_key`` (propeller's ``EventCatalogMetadata``)."""
    metadata = catalog_pb2.CatalogMetadata(
        dataset_id=key.dataset.identifier(),
        artifact_tag=catalog_pb2.CatalogArtifactTag(artifact_id=artifact_id, name=key.tag),
    )
    if source is not None:
        metadata.source_task_execution.CopyFrom(source)
    return metadata
