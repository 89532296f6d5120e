"""The thin-model machinery every ``flyteplane.models`` class is built on.

A model *wraps* one flyteidl message: it holds the message in ``_pb`` and every property reads the message when
asked. ``from_flyte_idl`` therefore costs one object allocation, never a deep copy of a tree: converting a
ListTasks page of 100 tasks is 100 allocations (flytekit rebuilds every nested object eagerly, 6x the raw stub).

A model class declares its fields with :class:`Field`, in the order of the constructor's positional arguments
(flytekit's order, so ``Identifier(ResourceType.TASK, "p", "d", "n", "v")`` works). What a field holds is read
from the message descriptor once, when the class is created, so a declaration says only what the descriptor
cannot: which model wraps a nested message, which enum an int is, and what a Python-side name maps to.
Annotating a declaration (``project: Field[str] = Field()``) gives the attribute its static type; the annotation
is never evaluated at run time. Unset nested messages read as ``None``; the annotations say ``X | None`` where that
is a normal state (oneof members, optional settings) and plain ``X`` for the structure every stored entity has
(ids, specs, closures, templates), so that ``task.id.name`` type-checks without a guard at every level.

Constructors accept, for a nested message: a model, the flyteidl message itself, or a plain ``dict`` of the
nested model's constructor arguments (the seed passes ``metadata={}`` and ``container={...}``). ``None`` leaves a
field unset. ``inspect.signature(Model)`` shows the generated constructor's parameters.

Models are immutable views. ``to_flyte_idl()`` returns the wrapped message itself (no copy); do not mutate it.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast, overload

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

if TYPE_CHECKING:
    # A default lets an unannotated ``Field()`` mean ``Field[Any]``; typing_extensions is only needed by mypy.
    from typing_extensions import TypeVar

    T = TypeVar("T", default=Any)
else:
    from typing import TypeVar

    T = TypeVar("T")

M = TypeVar("M", bound="FlyteIdlEntity")

__all__ = ["Field", "FlyteIdlEntity", "IdlEnum", "IntEnumField", "PairsField", "as_pb", "to_pb", "wrap_all"]

_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_STRUCT = "google.protobuf.Struct"
_WRAPPERS = {
    "google.protobuf.BoolValue",
    "google.protobuf.Int32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.FloatValue",
    "google.protobuf.DoubleValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}

# What a field holds, decided once per class from the descriptor. _OPTIONAL is a scalar with presence (a oneof
# member or a proto3 ``optional``): it reads as None when unset, as flytekit's models do.
_SCALAR, _MESSAGE, _REPEATED_SCALAR, _REPEATED_MESSAGE, _MAP_SCALAR, _MAP_MESSAGE, _OPTIONAL = range(7)


class IdlEnum(enum.IntEnum):
    """Base of the models' enums: plain ints on the wire, names in Python, flytekit's ``enum_to_string``."""

    @classmethod
    def enum_to_string(cls, value: int) -> str:
        """The member's name, or the number itself for a value this client does not know."""
        try:
            return cls(value).name
        except ValueError:
            return str(value)


class Field(Generic[T]):
    """A property of a model that reads (and, in the constructor, writes) one field of the wrapped message.

    Args:
        pb_name: the message field's name when it differs from the Python attribute's name.
        model: the model class that wraps a nested message, or a zero-argument callable returning it (for
            classes defined later or in another module). Without one, nested messages are returned as they are,
            except Timestamp (``datetime``), Duration (``timedelta``), Struct (``dict``) and the wrapper types
            (their plain value).
        enum: an ``IntEnum`` to return enum values as (they still compare equal to ints).
        default: what the constructor writes when the argument is not given (flytekit always writes some
            fields, and byte-for-byte parity needs the same).
        coerce: a function the constructor applies to a given value first (``retries=3`` into a RetryStrategy);
            returning None leaves the field unset.
        raw: return a well-known message (Struct, Timestamp, ...) as the message itself.
        doc: the property's docstring.
    """

    __slots__ = ("_model", "coerce", "default", "doc", "enum", "kind", "name", "pb_name", "raw", "well_known")

    def __init__(
        self,
        pb_name: str | None = None,
        *,
        model: type[FlyteIdlEntity] | Callable[[], type[FlyteIdlEntity]] | None = None,
        enum: Any = None,
        default: Any = None,
        coerce: Callable[[Any], Any] | None = None,
        raw: bool = False,
        doc: str = "",
    ) -> None:
        self.pb_name = pb_name
        self._model = model
        self.enum = enum
        self.default = default
        self.coerce = coerce
        self.raw = raw
        self.doc = doc
        self.name = ""
        self.kind = _SCALAR
        self.well_known: str | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.pb_name is None:
            self.pb_name = name

    def clone(self) -> Field[T]:
        """A copy to bind to another message type (a subclass must not rebind its parent's field)."""
        new: Field[T] = object.__new__(type(self))
        for klass in type(self).__mro__:
            for slot in klass.__dict__.get("__slots__", ()):
                setattr(new, slot, getattr(self, slot))
        return new

    @property
    def model(self) -> type[FlyteIdlEntity] | None:
        m = self._model
        if m is None or (isinstance(m, type) and issubclass(m, FlyteIdlEntity)):
            return m
        resolved = cast("Callable[[], type[FlyteIdlEntity]]", m)()
        self._model = resolved
        return resolved

    def bind(self, descriptor: Any) -> None:
        fd = descriptor.fields_by_name.get(self.pb_name)
        if fd is None:
            raise TypeError(f"{descriptor.full_name} has no field {self.pb_name!r}")
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            self.kind = _MAP_MESSAGE if value_fd.message_type is not None else _MAP_SCALAR
            if value_fd.message_type is not None:
                self.well_known = value_fd.message_type.full_name
        elif _is_repeated(fd):
            self.kind = _REPEATED_MESSAGE if fd.message_type is not None else _REPEATED_SCALAR
            if fd.message_type is not None:
                self.well_known = fd.message_type.full_name
        elif fd.message_type is not None:
            self.kind = _MESSAGE
            self.well_known = fd.message_type.full_name
        elif fd.has_presence:
            self.kind = _OPTIONAL
        else:
            self.kind = _SCALAR

    # -- reading -------------------------------------------------------------------------------------------
    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Field[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        pb = instance._pb
        kind = self.kind
        if kind == _SCALAR:
            value = getattr(pb, self.pb_name)  # type: ignore[arg-type]
            return value if self.enum is None else self._enum(value)
        if kind in (_MESSAGE, _OPTIONAL):
            if not pb.HasField(self.pb_name):
                return None
            value = getattr(pb, self.pb_name)  # type: ignore[arg-type]
            if kind == _OPTIONAL:
                return value if self.enum is None else self._enum(value)
            return self._wrap(value)
        raw = getattr(pb, self.pb_name)  # type: ignore[arg-type]
        if kind == _REPEATED_SCALAR:
            return [self._enum(v) for v in raw] if self.enum is not None else list(raw)
        if kind == _REPEATED_MESSAGE:
            return [self._wrap(v) for v in raw]
        if kind == _MAP_SCALAR:
            return dict(raw)
        return {k: self._wrap(v) for k, v in raw.items()}

    def _enum(self, value: int) -> Any:
        try:
            return self.enum(value)
        except ValueError:
            # A server newer than this client may send a value the enum does not know yet: keep the number.
            return value

    def _wrap(self, message: Message) -> Any:
        model = self.model
        if model is not None:
            return model.from_flyte_idl(message)
        if self.raw:
            return message
        wk = self.well_known
        if wk == _TIMESTAMP:
            return message.ToDatetime(tzinfo=_dt.timezone.utc)  # type: ignore[attr-defined]
        if wk == _DURATION:
            return message.ToTimedelta()  # type: ignore[attr-defined]
        if wk == _STRUCT:
            from google.protobuf.json_format import MessageToDict

            return MessageToDict(message)
        if wk in _WRAPPERS:
            return message.value  # type: ignore[attr-defined]
        return message

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(f"{type(instance).__name__}.{self.name} is read-only: models are immutable views")

    # -- writing (constructors only) -----------------------------------------------------------------------
    def write(self, pb: Message, value: Any) -> None:
        """Store a Python value into this field of a message being built."""
        if self.coerce is not None and value is not None:
            value = self.coerce(value)
        if value is None:
            return
        name = self.pb_name
        kind = self.kind
        try:
            if kind in (_SCALAR, _OPTIONAL):
                setattr(pb, name, int(value) if self.enum is not None else value)  # type: ignore[arg-type]
            elif kind == _MESSAGE:
                target = getattr(pb, name)  # type: ignore[arg-type]
                self._fill(target, value)
                if target.ByteSize() == 0:
                    # An explicitly given empty message (``metadata={}``) is still "set", as in flytekit.
                    target.SetInParent()
            elif kind == _REPEATED_SCALAR:
                getattr(pb, name).extend(int(v) if self.enum is not None else v for v in value)  # type: ignore[arg-type]
            elif kind == _REPEATED_MESSAGE:
                container = getattr(pb, name)  # type: ignore[arg-type]
                for item in value:
                    self._fill(container.add(), item)
            elif kind == _MAP_SCALAR:
                getattr(pb, name).update(value)  # type: ignore[arg-type]
            else:
                container = getattr(pb, name)  # type: ignore[arg-type]
                for key, item in value.items():
                    self._fill(container[key], item)
        except (TypeError, ValueError, AttributeError) as e:
            raise TypeError(f"{type(pb).__name__}.{name}: cannot take {value!r}: {e}") from None

    def _fill(self, target: Message, value: Any) -> None:
        if isinstance(value, FlyteIdlEntity):
            target.CopyFrom(value.to_flyte_idl())
        elif isinstance(value, Message):
            target.CopyFrom(value)
        elif isinstance(value, Mapping) and self.well_known != _STRUCT:
            model = self.model
            if model is None:
                from google.protobuf.json_format import ParseDict

                ParseDict(dict(value), target)
            else:
                target.CopyFrom(model(**value).to_flyte_idl())
        else:
            wk = self.well_known
            if wk == _TIMESTAMP:
                if isinstance(value, _dt.datetime) and value.tzinfo is None:
                    value = value.replace(tzinfo=_dt.timezone.utc)
                target.FromDatetime(value)  # type: ignore[attr-defined]
            elif wk == _DURATION:
                if not isinstance(value, _dt.timedelta):
                    value = _dt.timedelta(seconds=float(value))
                target.FromTimedelta(value)  # type: ignore[attr-defined]
            elif wk == _STRUCT:
                target.update(dict(value))  # type: ignore[attr-defined]
            elif wk in _WRAPPERS:
                target.value = value  # type: ignore[attr-defined]
            else:
                raise TypeError(f"expected {self.model.__name__ if self.model else wk}, a message or a dict")


def _is_repeated(fd: Any) -> bool:
    # protobuf 5+ has ``is_repeated``; older releases only ``label``.
    rep = getattr(fd, "is_repeated", None)
    if rep is not None:
        return bool(rep)
    return bool(fd.label == FieldDescriptor.LABEL_REPEATED)


class IntEnumField(Field[T]):
    """Alias kept for readability in declarations: a scalar field returned as an ``IntEnum``."""


class PairsField(Field[dict[str, str]]):
    """A repeated ``KeyValuePair`` field (container env, config, execution envs) seen as a ``dict``.

    The constructor takes a mapping, or an iterable of ``(key, value)`` tuples, ``KeyValuePair`` messages or
    models. Order is kept: flytekit writes the pairs in the dict's order.
    """

    __slots__ = ()

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return {kv.key: kv.value for kv in getattr(instance._pb, self.pb_name)}  # type: ignore[arg-type]

    def write(self, pb: Message, value: Any) -> None:
        if value is None:
            return
        container = getattr(pb, self.pb_name)  # type: ignore[arg-type]
        items = value.items() if isinstance(value, Mapping) else value
        for item in items:
            if isinstance(item, FlyteIdlEntity):
                item = item.to_flyte_idl()
            if isinstance(item, Message):
                container.add().CopyFrom(item)
            else:
                key, val = item
                container.add(key=key, value=val)


class _LazySignature:
    """``__signature__`` built on first use, so that creating a model class never imports ``inspect``."""

    def __get__(self, instance: Any, owner: type[FlyteIdlEntity]) -> Any:
        if instance is not None:
            raise AttributeError("__signature__")
        # A class with its own constructor documents itself; None sends inspect to that __init__.
        if owner.__init__ is not FlyteIdlEntity.__init__:
            return None
        cached = owner.__dict__.get("_signature_cache")
        if cached is not None:
            return cached
        import inspect

        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        sig = inspect.Signature([inspect.Parameter(f.name, kind, default=f.default) for f in owner._fields])
        type.__setattr__(owner, "_signature_cache", sig)
        return sig


class FlyteIdlEntity:
    """Base of all models: a typed, immutable view over one flyteidl message.

    Subclasses set ``_pb_type`` to the flyteidl message class and declare :class:`Field` attributes in
    constructor order. The generated constructor takes those fields positionally or by name; ``None`` leaves a
    field unset. A subclass with a special constructor calls ``self._init_fields(**values)``.
    """

    __slots__ = ("_pb",)
    __signature__ = _LazySignature()
    _pb_type: ClassVar[type[Message]]
    _fields: ClassVar[tuple[Field[Any], ...]] = ()
    _field_by_name: ClassVar[dict[str, Field[Any]]] = {}
    _defaults: ClassVar[tuple[tuple[Field[Any], Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        by_name: dict[str, Field[Any]] = {}
        # Inherited fields first (a base's constructor arguments come first), then the class's own in declaration
        # order; a redeclared field keeps its place and takes the subclass's declaration.
        for klass in reversed(cls.__mro__):
            # Fields live on models only; skipping object, the base and mixins keeps class creation cheap.
            if klass is FlyteIdlEntity or not issubclass(klass, FlyteIdlEntity):
                continue
            for value in vars(klass).values():
                if isinstance(value, Field):
                    by_name[value.name] = value
        fields = list(by_name.values())
        pb_type = cls.__dict__.get("_pb_type")
        if pb_type is not None:
            for i, f in enumerate(fields):
                if f.name not in cls.__dict__:
                    # Inherited from a class over another message: bind a copy, leave the parent's alone.
                    f = f.clone()
                    setattr(cls, f.name, f)
                    fields[i] = f
                f.bind(pb_type.DESCRIPTOR)
        cls._fields = tuple(fields)
        cls._field_by_name = {f.name: f for f in fields}
        cls._defaults = tuple((f, f.default) for f in fields if f.default is not None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__}() takes at most {len(self._fields)} positional arguments")
        for f, value in zip(self._fields, args, strict=False):
            if f.name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for {f.name!r}")
            kwargs[f.name] = value
        self._init_fields(**kwargs)

    def _init_fields(self, **values: Any) -> None:
        pb = self._pb_type()
        by_name = self._field_by_name
        for field, default in self._defaults:
            if field.name not in values:
                values[field.name] = default
        for key, value in values.items():
            f = by_name.get(key)
            if f is None:
                raise TypeError(f"{type(self).__name__}() got an unexpected argument {key!r}")
            f.write(pb, value)
        self._pb = pb

    # -- flytekit's protocol -------------------------------------------------------------------------------
    @classmethod
    def from_flyte_idl(cls: type[M], pb: Message) -> M:
        """Wrap a flyteidl message (no copy: the model reads the message you pass)."""
        obj = object.__new__(cls)
        obj._pb = pb
        return obj

    def to_flyte_idl(self) -> Any:
        """The wrapped flyteidl message itself. Treat it as read-only."""
        return self._pb

    def serialize_to_string(self) -> bytes:
        return self._pb.SerializeToString()

    @property
    def is_empty(self) -> bool:
        return self._pb.ByteSize() == 0

    def short_string(self) -> str:
        return f"<{type(self).__name__} {_text(self._pb)}>"

    # -- value semantics -----------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FlyteIdlEntity) or type(other._pb) is not type(self._pb):
            return NotImplemented
        return bool(self._pb == other._pb)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._pb.SerializeToString(deterministic=True))

    def __repr__(self) -> str:
        parts = []
        for f in self._fields:
            try:
                value = f.__get__(self, type(self))
            except Exception:  # pragma: no cover - a repr never raises
                continue
            if value is None:
                continue
            # Unset scalars read as their zero value; a set message or a present optional scalar is shown.
            if f.kind not in (_MESSAGE, _OPTIONAL) and value in ("", 0, False, [], {}):
                continue
            parts.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> Any:
        return (_unpickle, (type(self), self._pb.SerializeToString()))


def _unpickle(cls: type[M], data: bytes) -> M:
    pb = cls._pb_type()
    pb.ParseFromString(data)
    return cls.from_flyte_idl(pb)


def _text(pb: Message) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(pb, as_one_line=True)


def as_pb(value: Any, pb_type: type[Message]) -> Any:
    """A flyteidl message from a model, a message or a dict (used where an API accepts any of them)."""
    if isinstance(value, FlyteIdlEntity):
        return value.to_flyte_idl()
    if isinstance(value, Message):
        return value
    if isinstance(value, Mapping):
        from google.protobuf.json_format import ParseDict

        return ParseDict(dict(value), pb_type())
    raise TypeError(f"expected a model or a {pb_type.__name__}, got {type(value).__name__}")


def wrap_all(model: type[M], messages: Iterable[Message]) -> list[M]:
    """Wrap every message of a response in one pass (the hot path of every list call)."""
    new = object.__new__
    out = []
    for pb in messages:
        obj = new(model)
        obj._pb = pb
        out.append(obj)
    return out


def to_pb(value: Any) -> Any:
    """The flyteidl message behind a model (flyteplane's or flytekit's: both have ``to_flyte_idl``), or the value."""
    return value.to_flyte_idl() if hasattr(value, "to_flyte_idl") else value
