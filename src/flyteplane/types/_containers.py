"""Lists and dicts.

* ``list[T]`` is a ``collection`` literal of ``T`` literals.
* ``dict[str, T]`` is a ``map`` literal of ``T`` literals; its keys must be strings.
* A bare ``dict`` (and a ``dict[K, V]`` whose keys are not ``str``) is what flytekit 1.16 calls an untyped dict: a
  STRUCT literal type, and the value msgpack-encoded in ``Scalar.binary`` with tag ``"msgpack"``. Its content must
  be plain data (dicts, lists, str, int, float, bool, None). The JSON ``Scalar.generic`` form older flytekit wrote is
  read too.
* ``dict[str, Any]`` follows flytekit: a map whose values are pickles (see ``typing.Any``), not a STRUCT.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._core import (
    Context,
    TypeTransformer,
    article,
    decode,
    decode_untyped,
    encode,
    from_builtin,
    get_args,
    literal_mismatch,
    mismatch,
    msgpack_struct_type,
    to_builtin,
    to_literal_type,
    transformer_for,
    type_name,
)
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["DICT", "LIST", "check_plain", "msgpack_literal", "struct_payload_or_none"]


def _element(t: Any) -> Any:
    args = get_args(t)
    if len(args) != 1:
        raise TypeTransformerFailedError(
            f"unsupported type {type_name(t)}: a list needs one element type, e.g. list[int]"
        )
    return args[0]


def _struct_element(t: Any) -> Any:
    # Inside a struct a bare ``list`` is plain data (mashumaro's untyped list), as in flytekit.
    return _element(t) if get_args(t) else Any


class _List(TypeTransformer):
    name = "Typed List"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        return types_pb2.LiteralType(collection_type=to_literal_type(_element(t)))

    def check(self, value: Any, t: Any) -> None:
        if not isinstance(value, list):
            raise mismatch(t, value)
        elem = _struct_element(t)
        tr = transformer_for(elem)
        for i, item in enumerate(value):
            try:
                tr.check(item, elem)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__

    def is_exact(self, value: Any, t: Any) -> bool:
        return type(value) is list

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        if not isinstance(value, list):
            raise mismatch(t, value)
        elem = _element(t)
        elem_expected = (
            expected.collection_type if expected is not None and expected.HasField("collection_type") else None
        )
        lit = literals_pb2.Literal()
        lit.collection.SetInParent()  # an empty list is still a collection
        items = lit.collection.literals
        for i, item in enumerate(value):
            try:
                items.append(encode(item, elem, elem_expected, ctx))
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__
        return lit

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        elem = _struct_element(t)  # reading as a bare ``list`` reads the elements by shape
        if lit.HasField("collection"):
            out = []
            for i, item in enumerate(lit.collection.literals):
                try:
                    out.append(decode(item, elem, ctx))
                except TypeTransformerFailedError as e:
                    raise e.at(f"[{i}]") from e.__cause__
            return out
        payload = struct_payload_or_none(lit)
        if payload is not None:
            return self.from_builtin(payload, t, ctx)
        raise literal_mismatch(t, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        if not isinstance(value, list):
            raise mismatch(t, value)
        elem = _struct_element(t)
        out = []
        for i, item in enumerate(value):
            try:
                out.append(to_builtin(item, elem, ctx))
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__
        return out

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if not isinstance(obj, list):
            raise mismatch(t, obj)
        elem = _struct_element(t)
        out = []
        for i, item in enumerate(obj):
            try:
                out.append(from_builtin(item, elem, ctx))
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__
        return out


def _key_value_types(t: Any) -> tuple[Any, Any] | None:
    args = get_args(t)
    if len(args) == 2:
        return args[0], args[1]
    return None


def _is_map(t: Any) -> bool:
    kv = _key_value_types(t)
    return kv is not None and kv[0] is str


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def check_plain(value: Any) -> None:
    """Raise unless ``value`` is plain data msgpack can carry: dicts, lists, str, int, float, bool, None."""
    if isinstance(value, _PLAIN_SCALARS):
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            try:
                check_plain(item)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)):
                raise TypeTransformerFailedError(f"dict keys must be str, int, float or bool, got {type(key).__name__}")
            try:
                check_plain(item)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__
        return
    raise mismatch("plain data (dict, list, str, int, float, bool or None)", value)


def msgpack_literal(payload: Any) -> literals_pb2.Literal:
    """A ``Scalar.binary`` literal holding ``payload`` msgpack-encoded, tagged ``"msgpack"`` (flytekit's form)."""
    import msgpack

    lit = literals_pb2.Literal()
    lit.scalar.binary.value = msgpack.dumps(payload)
    lit.scalar.binary.tag = "msgpack"
    return lit


def struct_payload_or_none(lit: literals_pb2.Literal) -> Any:
    """The plain data in a msgpack binary or JSON generic scalar, or ``None`` if ``lit`` is neither."""
    if not lit.HasField("scalar"):
        return None
    scalar = lit.scalar
    if scalar.HasField("binary"):
        if scalar.binary.tag != "msgpack":
            raise TypeTransformerFailedError(f"unsupported binary literal format {scalar.binary.tag!r} (not msgpack)")
        import msgpack

        return msgpack.loads(scalar.binary.value, strict_map_key=False)
    if scalar.HasField("generic"):
        from google.protobuf import json_format

        return json_format.MessageToDict(scalar.generic)
    return None


class _Dict(TypeTransformer):
    name = "Typed Dict"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        kv = _key_value_types(t)
        if kv is not None and kv[0] is str:
            return types_pb2.LiteralType(map_value_type=to_literal_type(kv[1]))
        if kv is not None:
            # Validate the key and value types even though the literal type does not name them.
            transformer_for(kv[0])
            transformer_for(kv[1])
        return msgpack_struct_type()

    def check(self, value: Any, t: Any) -> None:
        if not isinstance(value, dict):
            raise mismatch(t, value)
        kv = _key_value_types(t)
        if kv is None:
            check_plain(value)
            return
        key_type, value_type = kv
        key_tr, value_tr = transformer_for(key_type), transformer_for(value_type)
        for key, item in value.items():
            try:
                key_tr.check(key, key_type)
            except TypeTransformerFailedError:
                raise mismatch(
                    t, value, f"key {key!r} ({type(key).__name__}) is not {article(type_name(key_type))}"
                ) from None
            try:
                value_tr.check(item, value_type)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__

    def is_exact(self, value: Any, t: Any) -> bool:
        return type(value) is dict

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        if not isinstance(value, dict):
            raise mismatch(t, value)
        wants_struct = expected is not None and expected.WhichOneof("type") == "simple"
        if not _is_map(t) or wants_struct:
            # flytekit writes a typed dict as a msgpack struct too when the declared type is a STRUCT.
            return msgpack_literal(self.to_builtin(value, t, ctx))
        kv = _key_value_types(t)
        assert kv is not None
        value_type = kv[1]
        value_expected = (
            expected.map_value_type if expected is not None and expected.HasField("map_value_type") else None
        )
        lit = literals_pb2.Literal()
        lit.map.SetInParent()  # an empty dict is still a map
        literals = lit.map.literals
        for key, item in value.items():
            if not isinstance(key, str):
                raise mismatch(t, value, f"key {key!r} ({type(key).__name__}) is not a str")
            try:
                literals[key].CopyFrom(encode(item, value_type, value_expected, ctx))
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__
        return lit

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        if lit.HasField("map"):
            kv = _key_value_types(t)
            out: dict[Any, Any] = {}
            for key, item in sorted(lit.map.literals.items()):  # a protobuf map has no order; make it stable
                try:
                    if kv is None:
                        out[key] = decode_untyped(item, ctx)
                    else:
                        out[from_builtin(key, kv[0], ctx)] = decode(item, kv[1], ctx)
                except TypeTransformerFailedError as e:
                    raise e.at(f"[{key!r}]") from e.__cause__
            return out
        payload = struct_payload_or_none(lit)
        if payload is not None:
            return self.from_builtin(payload, t, ctx)
        raise literal_mismatch(t, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        if not isinstance(value, dict):
            raise mismatch(t, value)
        kv = _key_value_types(t)
        if kv is None:
            check_plain(value)
            return value
        key_type, value_type = kv
        out = {}
        for key, item in value.items():
            try:
                plain_key = to_builtin(key, key_type, ctx)
            except TypeTransformerFailedError:
                raise mismatch(
                    t, value, f"key {key!r} ({type(key).__name__}) is not {article(type_name(key_type))}"
                ) from None
            try:
                out[plain_key] = to_builtin(item, value_type, ctx)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__
        return out

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        if not isinstance(obj, dict):
            raise mismatch(t, obj)
        kv = _key_value_types(t)
        if kv is None:
            return obj
        key_type, value_type = kv
        out = {}
        for key, item in obj.items():
            try:
                out[from_builtin(key, key_type, ctx)] = from_builtin(item, value_type, ctx)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__
        return out


LIST = _List()
DICT = _Dict()
