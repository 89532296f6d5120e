"""Launch plans (``flyteidl.admin.launch_plan``): a workflow with bound inputs, schedule and run settings."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from flyteidl.admin import launch_plan_pb2 as _pb
from google.protobuf.message import Message

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum
from flyteplane.models.common import Annotations, AuthRole, Envs, Labels, Notification, RawOutputDataConfig
from flyteplane.models.concurrency import ConcurrencyPolicy
from flyteplane.models.core.execution import QualityOfService
from flyteplane.models.core.identifier import Identifier
from flyteplane.models.interface import ParameterMap, VariableMap
from flyteplane.models.literals import LiteralMap
from flyteplane.models.matchable_resource import ClusterAssignment
from flyteplane.models.schedule import Schedule
from flyteplane.models.security import SecurityContext

__all__ = ["Auth", "LaunchPlan", "LaunchPlanClosure", "LaunchPlanMetadata", "LaunchPlanSpec", "LaunchPlanState"]


class LaunchPlanState(IdlEnum):
    """Whether a launch plan's schedule is live (``flyteidl.admin.LaunchPlanState``)."""

    INACTIVE = 0
    ACTIVE = 1


def _packed(value: Any) -> Any:
    # The field is a google.protobuf.Any; flytekit packs whatever message it is given.
    if isinstance(value, Message) and value.DESCRIPTOR.full_name != "google.protobuf.Any":
        from google.protobuf.any_pb2 import Any as AnyPb

        packed = AnyPb()
        packed.Pack(value)
        return packed
    return value


class LaunchPlanMetadata(FlyteIdlEntity):
    """Schedule and notifications: ``LaunchPlanMetadata(schedule, notifications, launch_conditions=None)``.

    ``launch_conditions`` is any message; it is stored packed in a ``google.protobuf.Any`` and read as one.
    """

    _pb_type = _pb.LaunchPlanMetadata
    schedule: Field[Schedule | None] = Field(model=Schedule)
    notifications: Field[list[Notification]] = Field(model=Notification)
    launch_conditions: Field[Any] = Field(coerce=_packed, raw=True)


class Auth(FlyteIdlEntity):
    """Deprecated by flyteidl in favour of :class:`~flyteplane.models.common.AuthRole`.

    ``Auth(assumable_iam_role=None, kubernetes_service_account=None)``.
    """

    _pb_type = _pb.Auth
    assumable_iam_role: Field[str] = Field()
    kubernetes_service_account: Field[str] = Field()


class LaunchPlanSpec(FlyteIdlEntity):
    """What CreateLaunchPlan registers.

    ``LaunchPlanSpec(workflow_id, entity_metadata, default_inputs, fixed_inputs, labels, annotations, auth_role,
    raw_output_data_config, max_parallelism=None, security_context=None, overwrite_cache=None,
    concurrency_policy=None)``, then flyteidl's fields flytekit does not take: ``quality_of_service``,
    ``interruptible``, ``envs``, ``cluster_assignment`` and the deprecated ``auth``.
    """

    _pb_type = _pb.LaunchPlanSpec
    workflow_id: Field[Identifier] = Field(model=Identifier)
    entity_metadata: Field[LaunchPlanMetadata] = Field(model=LaunchPlanMetadata)
    default_inputs: Field[ParameterMap] = Field(model=ParameterMap)
    fixed_inputs: Field[LiteralMap] = Field(model=LiteralMap)
    labels: Field[Labels | None] = Field(model=Labels)
    annotations: Field[Annotations | None] = Field(model=Annotations)
    auth_role: Field[AuthRole | None] = Field(model=AuthRole)
    raw_output_data_config: Field[RawOutputDataConfig | None] = Field(model=RawOutputDataConfig)
    max_parallelism: Field[int] = Field()
    security_context: Field[SecurityContext | None] = Field(model=SecurityContext)
    overwrite_cache: Field[bool] = Field()
    concurrency_policy: Field[ConcurrencyPolicy | None] = Field(model=ConcurrencyPolicy)
    quality_of_service: Field[QualityOfService | None] = Field(model=QualityOfService)
    interruptible: Field[bool | None] = Field()
    envs: Field[Envs | None] = Field(model=Envs)
    cluster_assignment: Field[ClusterAssignment | None] = Field(model=ClusterAssignment)
    auth: Field[Auth | None] = Field(model=Auth)


class LaunchPlanClosure(FlyteIdlEntity):
    """What Flyte Admin computed.

    ``LaunchPlanClosure(state, expected_inputs, expected_outputs, created_at=None, updated_at=None)``.
    """

    _pb_type = _pb.LaunchPlanClosure
    state: Field[LaunchPlanState] = Field(enum=LaunchPlanState)
    expected_inputs: Field[ParameterMap] = Field(model=ParameterMap)
    expected_outputs: Field[VariableMap] = Field(model=VariableMap)
    created_at: Field[_dt.datetime | None] = Field()
    updated_at: Field[_dt.datetime | None] = Field()


class LaunchPlan(FlyteIdlEntity):
    """A registered launch plan: ``LaunchPlan(id, spec, closure, auto_activate=False)``.

    ``auto_activate`` is client-side intent (activate after registering); it is not part of the message, so it
    does not take part in equality and a launch plan read from Flyte Admin has it False.
    """

    _pb_type = _pb.LaunchPlan
    id: Field[Identifier] = Field(model=Identifier)
    spec: Field[LaunchPlanSpec] = Field(model=LaunchPlanSpec)
    closure: Field[LaunchPlanClosure] = Field(model=LaunchPlanClosure)
    auto_activate: bool = False

    def __init__(self, id: Any = None, spec: Any = None, closure: Any = None, auto_activate: bool = False) -> None:
        self._init_fields(id=id, spec=spec, closure=closure)
        if auto_activate:
            self.auto_activate = True

    def __reduce__(self) -> Any:
        return (_unpickle_launch_plan, (self._pb.SerializeToString(), self.auto_activate))


def _unpickle_launch_plan(data: bytes, auto_activate: bool) -> LaunchPlan:
    pb = _pb.LaunchPlan()
    pb.ParseFromString(data)
    lp = LaunchPlan.from_flyte_idl(pb)
    if auto_activate:
        lp.auto_activate = True
    return lp
