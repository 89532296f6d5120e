"""Typed interfaces of tasks, workflows and launch plans (``flyteidl.core.interface``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flyteidl.core import interface_pb2 as _pb
from flyteidl.core import types_pb2 as _types_pb
from google.protobuf.message import Message

from flyteplane.models._model import Field, FlyteIdlEntity
from flyteplane.models.literals import Literal
from flyteplane.models.types import LiteralType

__all__ = ["Parameter", "ParameterMap", "TypedInterface", "Variable", "VariableMap"]


class Variable(FlyteIdlEntity):
    """A named input or output's type: ``Variable(type, description, artifact_partial_id=None, artifact_tag=None)``.

    The artifact arguments are ``flyteidl.core.artifact_id_pb2`` messages, as in flytekit.
    """

    _pb_type = _pb.Variable
    type: Field[LiteralType] = Field(model=LiteralType)
    description: Field[str] = Field()
    artifact_partial_id: Field[Any] = Field()
    artifact_tag: Field[Any] = Field()


class VariableMap(FlyteIdlEntity):
    """Named variables: ``VariableMap({"x": Variable(...)})``."""

    _pb_type = _pb.VariableMap
    variables: Field[dict[str, Variable]] = Field(model=Variable)


class _VariablesField(Field[dict[str, Variable]]):
    """``TypedInterface.inputs``/``outputs``: a ``VariableMap`` on the wire, a ``dict[str, Variable]`` in Python.

    Values may be Variables, ``flyteidl.core.Variable`` messages, or bare LiteralTypes (wrapped into a Variable
    with an empty description), so ``inputs={"x": LiteralType(simple=SimpleType.INTEGER)}`` works.
    """

    __slots__ = ()

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        wrap = Variable.from_flyte_idl
        return {k: wrap(v) for k, v in getattr(instance._pb, self.pb_name).variables.items()}  # type: ignore[arg-type]

    def write(self, pb: Message, value: Any) -> None:
        if value is None:
            return
        target = getattr(pb, self.pb_name)  # type: ignore[arg-type]
        # flytekit always writes both maps, even empty; byte parity needs the same.
        target.SetInParent()
        if isinstance(value, VariableMap):
            value = value.to_flyte_idl()
        if isinstance(value, _pb.VariableMap):
            value = dict(value.variables)
        if not isinstance(value, Mapping):
            raise TypeError(f"TypedInterface.{self.name}: expected a dict of name to Variable, got {value!r}")
        variables = target.variables
        for name, var in value.items():
            if isinstance(var, LiteralType):
                variables[name].type.CopyFrom(var.to_flyte_idl())
            elif isinstance(var, _types_pb.LiteralType):
                variables[name].type.CopyFrom(var)
            elif isinstance(var, Variable):
                variables[name].CopyFrom(var.to_flyte_idl())
            elif isinstance(var, _pb.Variable):
                variables[name].CopyFrom(var)
            elif isinstance(var, Mapping):
                variables[name].CopyFrom(Variable(**var).to_flyte_idl())
            else:
                raise TypeError(
                    f"TypedInterface.{self.name}[{name!r}]: expected a Variable or a LiteralType, got {var!r}"
                )


class TypedInterface(FlyteIdlEntity):
    """The inputs and outputs of an entity: ``TypedInterface(inputs, outputs)``, both ``dict[str, Variable]``."""

    _pb_type = _pb.TypedInterface
    inputs = _VariablesField()
    outputs = _VariablesField()


class Parameter(FlyteIdlEntity):
    """A launch plan input: its variable and either a default or whether it is required.

    ``Parameter(var, default=None, required=None, artifact_query=None, artifact_id=None)``. As in flytekit,
    ``required`` is dropped when a default or an artifact query is given (they share a oneof).
    """

    _pb_type = _pb.Parameter
    var: Field[Variable] = Field(model=Variable)
    default: Field[Literal | None] = Field(model=Literal)
    required: Field[bool | None] = Field()
    artifact_query: Field[Any] = Field()
    artifact_id: Field[Any] = Field()

    def __init__(
        self,
        var: Any = None,
        default: Any = None,
        required: bool | None = None,
        artifact_query: Any = None,
        artifact_id: Any = None,
    ) -> None:
        if default is not None or artifact_query is not None:
            required = None
        self._init_fields(
            var=var, default=default, required=required, artifact_query=artifact_query, artifact_id=artifact_id
        )

    @property
    def behavior(self) -> Literal | bool | Any:
        """Whichever of default, required, artifact_query or artifact_id is set."""
        which = self._pb.WhichOneof("behavior")
        return None if which is None else getattr(self, which)


class ParameterMap(FlyteIdlEntity):
    """Named parameters: ``ParameterMap({"x": Parameter(...)})``."""

    _pb_type = _pb.ParameterMap
    parameters: Field[dict[str, Parameter]] = Field(model=Parameter)
