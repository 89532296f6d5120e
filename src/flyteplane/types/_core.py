"""The conversion core: the transformer base class, the registry that picks a transformer for a Python type, and the
recursive entry points (:func:`encode`, :func:`decode`, :func:`to_literal_type`) every transformer uses for the
values nested inside it.

Everything here works on flyteidl protobufs (``literals_pb2.Literal``, ``types_pb2.LiteralType``). The transformer
modules are imported the first time a conversion needs the registry, so importing this module costs only the
protobuf runtime.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime
import enum
import os
import sys
import threading
import types
import typing
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types.errors import TypeTransformerFailedError

if TYPE_CHECKING:
    from flyteplane.types._files import FileAccess

__all__ = [
    "Context",
    "TypeTransformer",
    "article",
    "decode",
    "decode_untyped",
    "describe_literal",
    "describe_literal_type",
    "describe_value",
    "encode",
    "from_builtin",
    "infer_python_type",
    "mismatch",
    "register",
    "to_builtin",
    "to_literal_type",
    "transformer_for",
    "type_name",
]

NoneType = type(None)

# Generic aliases built from run-time values; typed Any so that mypy accepts ``LIST_OF[t]`` with a variable ``t``.
LIST_OF: Any = list
DICT_OF: Any = dict
UNION_OF: Any = typing.Union
OPTIONAL_OF: Any = typing.Optional

# flytekit marks the literal types of msgpack-encoded structs with this annotation so that cache keys are computed
# from the msgpack bytes; the STRUCT types we produce carry the same annotation.
CACHE_KEY_METADATA = "cache-key-metadata"
SERIALIZATION_FORMAT = "serialization-format"
MESSAGEPACK = "msgpack"


class Context:
    """What a conversion may need besides the value itself: access to remote storage for files and dataframes."""

    __slots__ = ("files",)

    def __init__(self, files: FileAccess | None = None) -> None:
        self.files = files

    def require_files(self, action: str) -> FileAccess:
        """The file access, or a clear error saying that ``action`` needs one."""
        if self.files is None:
            raise TypeTransformerFailedError(f"{action} needs file access: pass files=<a FileAccess>")
        return self.files


class TypeTransformer(abc.ABC):
    """Converts one family of Python types to Flyte literals and back.

    A transformer is stateless; the Python type it is asked about is passed to every method (``list[int]``,
    ``Optional[str]``, a dataclass...), already stripped of ``Annotated``.
    """

    #: flytekit's name for the equivalent transformer. Union variants are tagged with it (``structure.tag``), so
    #: it must match flytekit's for flytekit to read the unions we write.
    name: ClassVar[str] = ""
    #: True only for the union transformer: it receives union literals as they are instead of their inner value.
    handles_unions: ClassVar[bool] = False

    @abc.abstractmethod
    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        """The Flyte literal type for the Python type ``t``."""

    @abc.abstractmethod
    def check(self, value: Any, t: Any) -> None:
        """Raise :class:`TypeTransformerFailedError` unless ``value`` can be converted as a ``t``; no side effects.

        Unions call this to pick the variant a value belongs to before converting it (which may upload files).
        """

    def is_exact(self, value: Any, t: Any) -> bool:
        """Whether ``value`` is exactly a ``t`` (not merely convertible): breaks ties between union variants."""
        return type(value) is t

    @abc.abstractmethod
    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        """Convert ``value`` (hinted as ``t``) to a literal; ``expected`` is the declared literal type, if known."""

    @abc.abstractmethod
    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        """Convert ``lit`` to a Python value of type ``t``."""

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        """``value`` in the plain form (dict, list, str, number, bool, None) it takes inside a msgpack struct.

        Used for dataclass fields and the values inside them and inside untyped dicts; mirrors mashumaro's forms.
        """
        raise unsupported(t, "it cannot be a field of a dataclass or a value inside a struct")

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        """The inverse of :meth:`to_builtin`."""
        raise unsupported(t, "it cannot be a field of a dataclass or a value inside a struct")


# ---------------------------------------------------------------------------------------------------------------
# Names and descriptions for error messages
# ---------------------------------------------------------------------------------------------------------------


def is_union(t: Any) -> bool:
    """Whether ``t`` is ``Union[...]``, ``Optional[...]`` or ``X | Y``."""
    return get_origin(t) is typing.Union or isinstance(t, types.UnionType)


def get_origin(t: Any) -> Any:
    return typing.get_origin(t)


def get_args(t: Any) -> tuple[Any, ...]:
    return typing.get_args(t)


def strip_annotated(t: Any) -> Any:
    """``Annotated[X, ...]`` -> ``X`` (annotations do not change the encoding here)."""
    while get_origin(t) is typing.Annotated:
        t = get_args(t)[0]
    return t


def type_name(t: Any) -> str:
    """A short, readable name for a Python type: ``int``, ``list[int]``, ``int | None``, ``Color``."""
    t = strip_annotated(t)
    if t is None or t is NoneType:
        return "None"
    if t is Any:
        return "Any"
    if is_union(t):
        return " | ".join(type_name(a) for a in get_args(t))
    origin = get_origin(t)
    if origin is typing.Literal:
        return "Literal[" + ", ".join(repr(a) for a in get_args(t)) + "]"
    if origin is not None:
        args = get_args(t)
        base = getattr(origin, "__name__", repr(origin))
        return f"{base}[{', '.join(type_name(a) for a in args)}]" if args else base
    if isinstance(t, type):
        return t.__name__
    return repr(t)


def _short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def article(word: str) -> str:
    """``"an int"``, ``"a str"``: the word with its indefinite article."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def describe_value(value: Any) -> str:
    """``str ('a')``, ``float (1.5)``, ``None``: the offending value's type and a short repr."""
    if value is None:
        return "None"
    return f"{type(value).__name__} ({_short_repr(value)})"


def mismatch(t: Any, value: Any, detail: str = "") -> TypeTransformerFailedError:
    """The standard error for a value that does not fit the type ``t``."""
    expected = t if isinstance(t, str) else type_name(t)
    text = f"expected {expected}, got {describe_value(value)}"
    return TypeTransformerFailedError(f"{text}: {detail}" if detail else text)


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that look like a misspelling of ``word``, best first (difflib's ratio, at most three)."""
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) when a candidate is close to ``word``, else ``""``."""
    near = closest(word, candidates)
    return f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""


def unknown_field(name: Any, owner: str, fields: Iterable[str]) -> TypeTransformerFailedError:
    """``unknown field 'yy' of Point; fields are x, y``: a dict given for a record type has a key it lacks."""
    listed = list(fields)
    hint = did_you_mean(str(name), listed)
    return TypeTransformerFailedError(
        f"unknown field {name!r} of {owner}; fields are {', '.join(listed) or '(none)'}{hint}"
    )


_SIMPLE_NAMES = {
    types_pb2.NONE: "None",
    types_pb2.INTEGER: "int",
    types_pb2.FLOAT: "float",
    types_pb2.STRING: "str",
    types_pb2.BOOLEAN: "bool",
    types_pb2.DATETIME: "datetime",
    types_pb2.DURATION: "timedelta",
    types_pb2.BINARY: "bytes",
    types_pb2.ERROR: "error",
    types_pb2.STRUCT: "dict",
}


def describe_literal_type(lt: types_pb2.LiteralType) -> str:
    """A Python-flavoured name for a literal type: ``int``, ``list[str]``, ``int | None``, ``FlyteFile``."""
    kind = lt.WhichOneof("type")
    if kind == "simple":
        if lt.simple == types_pb2.STRUCT and lt.HasField("metadata"):
            title = lt.metadata.fields.get("title")
            if title is not None and title.WhichOneof("kind") == "string_value":
                return str(title.string_value)
        return _SIMPLE_NAMES.get(lt.simple, str(types_pb2.SimpleType.Name(lt.simple)))
    if kind == "collection_type":
        return f"list[{describe_literal_type(lt.collection_type)}]"
    if kind == "map_value_type":
        return f"dict[str, {describe_literal_type(lt.map_value_type)}]"
    if kind == "union_type":
        return " | ".join(describe_literal_type(v) for v in lt.union_type.variants)
    if kind == "enum_type":
        return "enum (" + ", ".join(lt.enum_type.values) + ")"
    if kind == "blob":
        if lt.blob.format == "PythonPickle":
            return "pickled object"
        name = "FlyteDirectory" if lt.blob.dimensionality == types_pb2.BlobType.MULTIPART else "FlyteFile"
        return f"{name}[{lt.blob.format}]" if lt.blob.format else name
    if kind == "structured_dataset_type":
        return "DataFrame"
    if kind == "schema":
        return "FlyteSchema"
    return kind or "unset literal type"


def describe_literal(lit: literals_pb2.Literal) -> str:
    """What kind of literal this is, for messages: ``a STRING literal ('x')``, ``a collection literal (3 items)``."""
    kind = lit.WhichOneof("value")
    if kind == "collection":
        return f"a collection literal ({len(lit.collection.literals)} items)"
    if kind == "map":
        return f"a map literal ({len(lit.map.literals)} keys)"
    if kind == "offloaded_metadata":
        return f"an offloaded literal ({lit.offloaded_metadata.uri})"
    if kind != "scalar":
        return "an empty literal"
    scalar = lit.scalar
    skind = scalar.WhichOneof("value")
    if skind == "primitive":
        pkind = scalar.primitive.WhichOneof("value")
        names = {
            "integer": "INTEGER",
            "float_value": "FLOAT",
            "string_value": "STRING",
            "boolean": "BOOLEAN",
            "datetime": "DATETIME",
            "duration": "DURATION",
        }
        value: Any = getattr(scalar.primitive, pkind) if pkind else None
        if pkind in ("datetime", "duration"):
            value = value.ToJsonString()
        return f"{article(names.get(pkind or '', 'primitive'))} literal ({_short_repr(value)})"
    if skind == "none_type":
        return "a none literal"
    if skind == "union":
        return f"a union literal holding {describe_literal(scalar.union.value)}"
    if skind == "blob":
        dim = "directory" if scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART else "file"
        return f"a blob ({dim}) literal ({scalar.blob.uri})"
    if skind == "binary":
        return f"a binary literal (tag {scalar.binary.tag!r})"
    if skind == "generic":
        return "a generic struct literal"
    if skind == "structured_dataset":
        return f"a structured dataset literal ({scalar.structured_dataset.uri})"
    if skind == "error":
        return f"an error literal ({_short_repr(scalar.error.message)})"
    if skind == "schema":
        return "a schema literal"
    return "an empty scalar literal"


def literal_mismatch(t: Any, lit: literals_pb2.Literal) -> TypeTransformerFailedError:
    """The standard error for a literal that cannot be read as the Python type ``t``."""
    expected = t if isinstance(t, str) else type_name(t)
    return TypeTransformerFailedError(f"expected {expected}, got {describe_literal(lit)}")


# ---------------------------------------------------------------------------------------------------------------
# Literal-type helpers
# ---------------------------------------------------------------------------------------------------------------


def tagged(lt: types_pb2.LiteralType, tag: str) -> types_pb2.LiteralType:
    """A copy of ``lt`` whose ``structure`` is only ``tag``: how flytekit marks union variants.

    flytekit replaces the whole structure, so a dataclass variant loses its ``dataclass_type`` (metadata and
    annotation stay); we do the same so that the variants compare equal.
    """
    out = types_pb2.LiteralType()
    out.CopyFrom(lt)
    out.ClearField("structure")
    out.structure.tag = tag
    return out


def msgpack_struct_type(**fields: Any) -> types_pb2.LiteralType:
    """A STRUCT literal type carrying flytekit's msgpack cache-key annotation (plus any other ``fields``)."""
    lt = types_pb2.LiteralType(simple=types_pb2.STRUCT, **fields)
    lt.annotation.annotations.update({CACHE_KEY_METADATA: {SERIALIZATION_FORMAT: MESSAGEPACK}})
    return lt


def compatible(given: types_pb2.LiteralType, expected: types_pb2.LiteralType) -> bool:
    """Whether a literal of type ``given`` can be used where ``expected`` is declared.

    Compares what decides the encoding (kinds, simple types, element types, blob dimensionality, enum values) and
    ignores descriptive parts (JSON-schema metadata, structure, annotations, blob format).
    """
    ekind = expected.WhichOneof("type")
    gkind = given.WhichOneof("type")
    if gkind == "union_type":
        return all(compatible(v, expected) for v in given.union_type.variants)
    if ekind == "union_type":
        return any(compatible(given, v) for v in expected.union_type.variants)
    if gkind == "enum_type" and ekind == "simple":
        return bool(expected.simple == types_pb2.STRING)  # enums travel as strings
    if gkind == "map_value_type" and ekind == "simple":
        return bool(
            expected.simple == types_pb2.STRUCT
        )  # flytekit writes a typed dict as a struct where one is declared
    if gkind != ekind:
        return False
    if gkind == "simple":
        return bool(given.simple == expected.simple)
    if gkind == "collection_type":
        return compatible(given.collection_type, expected.collection_type)
    if gkind == "map_value_type":
        return compatible(given.map_value_type, expected.map_value_type)
    if gkind == "blob":
        return bool(given.blob.dimensionality == expected.blob.dimensionality) and (
            (given.blob.format == "PythonPickle") == (expected.blob.format == "PythonPickle")
        )
    if gkind == "enum_type":
        return set(given.enum_type.values) <= set(expected.enum_type.values)
    return True


def _struct_title(lt: types_pb2.LiteralType) -> str | None:
    if not lt.HasField("metadata"):
        return None
    title = lt.metadata.fields.get("title")
    return title.string_value if title is not None else None


def pick_variant(
    lt: types_pb2.LiteralType, variants: typing.Sequence[types_pb2.LiteralType], tag: str = ""
) -> types_pb2.LiteralType | None:
    """The union variant a value of literal type ``lt`` (made by the transformer named ``tag``) belongs to.

    Best first: the variant equal to ``lt`` tagged, then one with the same tag and schema title (two dataclasses
    are both STRUCTs), then one with the same tag, then any compatible one.
    """
    fitting = [v for v in variants if compatible(lt, v)]
    if not fitting:
        return None
    own = tagged(lt, tag) if tag else lt
    title = _struct_title(lt)

    def rank(v: types_pb2.LiteralType) -> int:
        same_tag = bool(tag) and v.HasField("structure") and v.structure.tag == tag
        if v == own:
            return 0
        if same_tag and _struct_title(v) == title:
            return 1
        return 2 if same_tag else 3

    return min(fitting, key=rank)


# ---------------------------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------------------------

_EXACT: dict[Any, TypeTransformer] = {}
_SUBCLASSES: list[tuple[type, TypeTransformer]] = []
_DISPATCH_CACHE: dict[Any, TypeTransformer] = {}
_LITERAL_TYPE_CACHE: dict[Any, types_pb2.LiteralType] = {}
_load_lock = threading.Lock()
_loaded = False


def register(transformer: TypeTransformer, *python_types: type, subclasses: bool = False) -> None:
    """Use ``transformer`` for each of ``python_types`` (and, with ``subclasses=True``, for their subclasses).

    A later registration for the same type replaces the earlier one.
    """
    _ensure_loaded()
    for t in python_types:
        if subclasses:
            _SUBCLASSES.insert(0, (t, transformer))
        else:
            _EXACT[t] = transformer
    _DISPATCH_CACHE.clear()
    _LITERAL_TYPE_CACHE.clear()


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        from flyteplane.types import _containers, _enum, _files, _pickle, _simple, _structs, _union

        for tr in _simple.TRANSFORMERS:
            _EXACT[tr.python_type] = tr
        _EXACT[NoneType] = _simple.NONE
        _EXACT[list] = _containers.LIST
        _EXACT[dict] = _containers.DICT
        _SUBCLASSES.extend(
            [
                (_files.FlyteFile, _files.FILE),
                (_files.FlyteDirectory, _files.DIRECTORY),
                (os.PathLike, _files.FILE),  # flytekit: a bare os.PathLike hint is a file
            ]
        )
        _SPECIAL.update(
            union=_union.UNION,
            enum=_enum.ENUM,
            dataclass=_structs.DATACLASS,
            pydantic=_structs.PYDANTIC,
            any=_pickle.PICKLE,
        )
        _loaded = True


# The transformers the dispatcher picks by kind of type rather than by the type itself.
_SPECIAL: dict[str, TypeTransformer] = {}


def unsupported(t: Any, why: str = "") -> TypeTransformerFailedError:
    reason = why or (
        "flyteplane converts int, float, str, bool, datetime, date, timedelta, None, list[T], dict[str, T], dict, "
        "Optional/Union, Enum, dataclasses, pydantic models, FlyteFile, FlyteDirectory, pandas.DataFrame and "
        "pyarrow.Table; hint typing.Any to pickle anything else"
    )
    return TypeTransformerFailedError(f"unsupported type {type_name(t)}: {reason}")


def transformer_for(t: Any) -> TypeTransformer:
    """The transformer for the Python type ``t`` (``Annotated`` already stripped or not)."""
    _ensure_loaded()
    try:
        return _DISPATCH_CACHE[t]
    except (KeyError, TypeError):  # TypeError: unhashable type arguments
        pass
    tr = _dispatch(strip_annotated(t))
    try:
        _DISPATCH_CACHE[t] = tr
    except TypeError:
        pass
    return tr


def _dispatch(t: Any) -> TypeTransformer:
    if t is None:
        return _EXACT[NoneType]
    if is_union(t):
        return _SPECIAL["union"]
    if t is Any:
        return _SPECIAL["any"]
    origin = get_origin(t)
    if origin is not None:
        if origin in _EXACT and origin in (list, dict):
            if origin is list and len(get_args(t)) != 1:
                raise unsupported(t, "a list needs exactly one element type, e.g. list[int]")
            return _EXACT[origin]
        if origin in _EXACT:
            return _EXACT[origin]
        if origin is typing.Literal:
            raise unsupported(t, "use an Enum or str instead of typing.Literal")
        if origin is tuple:
            raise unsupported(t, "Flyte has no tuple type; use a list or a dataclass")
        raise unsupported(t)
    if not isinstance(t, type):
        raise unsupported(t)
    tr = _EXACT.get(t)
    if tr is not None:
        return tr  # a bare ``list`` too: fine inside a struct, refused by the list transformer as a literal
    if issubclass(t, enum.Enum):
        return _SPECIAL["enum"]
    for base, sub_tr in _SUBCLASSES:
        if issubclass(t, base):
            return sub_tr
    if dataclasses.is_dataclass(t):
        return _SPECIAL["dataclass"]
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(t, pydantic.BaseModel):
        return _SPECIAL["pydantic"]
    if _is_dataframe_type(t):
        from flyteplane.types import _dataframes

        return _dataframes.STRUCTURED_DATASET
    if issubclass(t, tuple):
        raise unsupported(t, "Flyte has no tuple type; use a list or a dataclass")
    if issubclass(t, (set, frozenset)):
        raise unsupported(t, "Flyte has no set type; use a list")
    if t in (bytes, bytearray):
        raise unsupported(t, "Flyte has no bytes type; use a FlyteFile, a str, or hint typing.Any to pickle")
    for base in t.__mro__[1:]:
        tr = _EXACT.get(base)
        if tr is not None and base not in (object, int, float, str, bool, list, dict):
            return tr
    raise unsupported(t)


def _is_dataframe_type(t: type) -> bool:
    # Only types of libraries already imported can be a value's type, so this never imports pandas or pyarrow.
    pd = sys.modules.get("pandas")
    if pd is not None and issubclass(t, pd.DataFrame):
        return True
    pa = sys.modules.get("pyarrow")
    return pa is not None and issubclass(t, pa.Table)


# ---------------------------------------------------------------------------------------------------------------
# Recursive entry points
# ---------------------------------------------------------------------------------------------------------------


def to_literal_type(t: Any) -> types_pb2.LiteralType:
    """The literal type for ``t`` (a fresh message each call: callers may mutate it)."""
    try:
        cached = _LITERAL_TYPE_CACHE.get(t)
    except TypeError:
        cached = None
    if cached is None:
        cached = transformer_for(t).literal_type(strip_annotated(t))
        try:
            _LITERAL_TYPE_CACHE[t] = cached
        except TypeError:
            pass
    out = types_pb2.LiteralType()
    out.CopyFrom(cached)
    return out


def to_builtin(value: Any, t: Any, ctx: Context) -> Any:
    """``value`` (of type ``t``) in its plain msgpack / JSON form."""
    return transformer_for(t).to_builtin(value, strip_annotated(t), ctx)


def from_builtin(obj: Any, t: Any, ctx: Context) -> Any:
    """A value of type ``t`` from its plain msgpack / JSON form."""
    return transformer_for(t).from_builtin(obj, strip_annotated(t), ctx)


def union_literal(inner: literals_pb2.Literal, stored_type: types_pb2.LiteralType) -> literals_pb2.Literal:
    lit = literals_pb2.Literal()
    lit.scalar.union.value.CopyFrom(inner)
    lit.scalar.union.type.CopyFrom(stored_type)
    return lit


def encode(value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context) -> literals_pb2.Literal:
    """Convert ``value`` as a ``t``; if ``expected`` is a union and ``t`` is not, wrap it in the fitting variant."""
    tr = transformer_for(t)
    t = strip_annotated(t)
    if expected is not None and expected.HasField("union_type") and not tr.handles_unions:
        own = tr.literal_type(t)
        variant = pick_variant(own, expected.union_type.variants, tr.name)
        if variant is not None:
            return union_literal(tr.to_literal(value, t, variant, ctx), tagged(own, tr.name))
    return tr.to_literal(value, t, expected, ctx)


def unwrap_offloaded(lit: literals_pb2.Literal, ctx: Context) -> literals_pb2.Literal:
    """Propeller stores big literals elsewhere and leaves their URI: fetch and parse it."""
    while lit.HasField("offloaded_metadata"):
        uri = lit.offloaded_metadata.uri
        local = ctx.require_files(f"reading the offloaded literal {uri}").get(uri, None, is_dir=False)
        loaded = literals_pb2.Literal()
        with open(local, "rb") as fh:
            loaded.ParseFromString(fh.read())
        lit = loaded
    return lit


def decode(lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
    """Convert ``lit`` to a value of type ``t``; a union literal read as a non-union type is unwrapped."""
    lit = unwrap_offloaded(lit, ctx)
    tr = transformer_for(t)
    if not tr.handles_unions:
        while lit.HasField("scalar") and lit.scalar.HasField("union"):
            lit = lit.scalar.union.value
    return tr.to_python(lit, strip_annotated(t), ctx)


def decode_untyped(lit: literals_pb2.Literal, ctx: Context) -> Any:
    """Convert ``lit`` to the most natural Python value without any declared type.

    Primitives become their Python type (datetimes tz-aware UTC), collections lists, maps dicts, unions their
    value, files and directories :class:`FlyteFile` / :class:`FlyteDirectory`, pickles the unpickled object,
    structured datasets a ``pandas.DataFrame`` (``pyarrow.Table`` without pandas) and msgpack / JSON structs dicts.
    """
    lit = unwrap_offloaded(lit, ctx)
    kind = lit.WhichOneof("value")
    if kind == "collection":
        out: list[Any] = []
        for i, item in enumerate(lit.collection.literals):
            try:
                out.append(decode_untyped(item, ctx))
            except TypeTransformerFailedError as e:
                raise e.at(f"[{i}]") from e.__cause__
        return out
    if kind == "map":
        result: dict[str, Any] = {}
        for key, item in sorted(lit.map.literals.items()):  # a protobuf map has no order; make it stable
            try:
                result[key] = decode_untyped(item, ctx)
            except TypeTransformerFailedError as e:
                raise e.at(f"[{key!r}]") from e.__cause__
        return result
    if kind != "scalar":
        raise TypeTransformerFailedError(f"cannot read {describe_literal(lit)}")
    scalar = lit.scalar
    skind = scalar.WhichOneof("value")
    if skind == "primitive":
        from flyteplane.types import _simple

        return _simple.primitive_value(scalar.primitive)
    if skind == "none_type":
        return None
    if skind == "union":
        stored = scalar.union.type
        if stored.WhichOneof("type") is not None:
            from flyteplane.types._guess import guess_python_type

            try:
                guessed = guess_python_type(stored)
            except TypeTransformerFailedError:
                guessed = None
            if guessed is not None:
                try:
                    return decode(scalar.union.value, guessed, ctx)
                except TypeTransformerFailedError:
                    pass
        return decode_untyped(scalar.union.value, ctx)
    if skind == "blob":
        from flyteplane.types import _files, _pickle

        blob_type = scalar.blob.metadata.type
        if blob_type.format == _pickle.PICKLE_FORMAT:
            return _pickle.PICKLE.to_python(lit, Any, ctx)
        if blob_type.dimensionality == types_pb2.BlobType.MULTIPART:
            return _files.DIRECTORY.to_python(lit, _files.FlyteDirectory, ctx)
        return _files.FILE.to_python(lit, _files.FlyteFile, ctx)
    if skind == "structured_dataset":
        from flyteplane.types import _dataframes

        return _dataframes.STRUCTURED_DATASET.to_python(lit, _dataframes.default_frame_type(), ctx)
    if skind in ("binary", "generic"):
        from flyteplane.types import _containers

        return _containers.struct_payload_or_none(lit)
    if skind == "error":
        raise TypeTransformerFailedError(
            f"the literal is an error from node {scalar.error.failed_node_id!r}: {scalar.error.message}"
        )
    raise TypeTransformerFailedError(f"cannot read {describe_literal(lit)}")


# ---------------------------------------------------------------------------------------------------------------
# Python types from values
# ---------------------------------------------------------------------------------------------------------------


def infer_python_type(value: Any) -> Any:
    """The Python type to convert ``value`` with when no type is given.

    Scalars, enums, dataclasses, pydantic models, files and dataframes are their own type; a list is
    ``list[T]`` with ``T`` the common type of its elements (``float`` for a mix of ``int`` and ``float``); a dict is
    an untyped ``dict`` (a msgpack STRUCT, as flytekit does for a bare ``dict``); a ``pathlib.Path`` is a
    :class:`FlyteDirectory` if it names a directory, else a :class:`FlyteFile`.
    """
    if value is None:
        return NoneType
    vt = type(value)
    if vt in (bool, int, float, str, datetime.datetime, datetime.date, datetime.timedelta, dict):
        return vt
    if isinstance(value, list):
        if not value:
            raise TypeTransformerFailedError(
                "cannot infer the element type of an empty list: give a type (e.g. python_type=list[int])"
            )
        elem_types: list[Any] = []
        for item in value:
            it = infer_python_type(item)
            if it not in elem_types:
                elem_types.append(it)
        if set(elem_types) == {int, float}:
            return LIST_OF[float]
        if len(elem_types) == 1:
            return LIST_OF[elem_types[0]]
        if NoneType in elem_types and len(elem_types) == 2:
            other = next(e for e in elem_types if e is not NoneType)
            return LIST_OF[OPTIONAL_OF[other]]
        raise TypeTransformerFailedError(
            "cannot infer one element type for a list mixing "
            + ", ".join(type_name(e) for e in elem_types)
            + ": give a type (e.g. python_type=list[int | str])"
        )
    if isinstance(value, os.PathLike):
        from flyteplane.types._files import FlyteDirectory, FlyteFile, _Blob

        if isinstance(value, _Blob):
            return vt
        # A bare path: the file system says which it is (a path that does not exist fails as a file later).
        return FlyteDirectory if os.path.isdir(os.fspath(value)) else FlyteFile
    if isinstance(value, enum.Enum):
        return vt
    # Everything else (dataclasses, models, dataframes) is its own type, if a transformer exists.
    transformer_for(vt)
    return vt
