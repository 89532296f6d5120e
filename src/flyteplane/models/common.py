"""Shared admin messages (``flyteidl.admin.common``): named-entity ids, notifications, labels, roles, envs.

``FlyteIdlEntity``, the base of every model, is re-exported here where flytekit users look for it.
"""

from __future__ import annotations

from flyteidl.admin import common_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, PairsField
from flyteplane.models.core.execution import WorkflowExecutionPhase

__all__ = [
    "Annotations",
    "AuthRole",
    "EmailNotification",
    "Envs",
    "FlyteIdlEntity",
    "FlyteURLs",
    "Labels",
    "NamedEntityIdentifier",
    "Notification",
    "PagerDutyNotification",
    "RawOutputDataConfig",
    "SlackNotification",
    "UrlBlob",
]


class NamedEntityIdentifier(FlyteIdlEntity):
    """An unversioned entity, or all entities of a project and domain: ``(project, domain, name=None, org=None)``."""

    _pb_type = _pb.NamedEntityIdentifier
    project: Field[str] = Field()
    domain: Field[str] = Field()
    name: Field[str] = Field()
    org: Field[str] = Field()


class EmailNotification(FlyteIdlEntity):
    """Mail these addresses: ``EmailNotification(recipients_email)``."""

    _pb_type = _pb.EmailNotification
    recipients_email: Field[list[str]] = Field()
    template: Field[str] = Field()


class SlackNotification(FlyteIdlEntity):
    """Post to these Slack addresses: ``SlackNotification(recipients_email)``."""

    _pb_type = _pb.SlackNotification
    recipients_email: Field[list[str]] = Field()
    template: Field[str] = Field()


class PagerDutyNotification(FlyteIdlEntity):
    """Page these PagerDuty addresses: ``PagerDutyNotification(recipients_email)``."""

    _pb_type = _pb.PagerDutyNotification
    recipients_email: Field[list[str]] = Field()
    template: Field[str] = Field()


class Notification(FlyteIdlEntity):
    """Notify on these workflow phases by one channel.

    ``Notification(phases, email=None, pager_duty=None, slack=None)``.
    """

    _pb_type = _pb.Notification
    phases: Field[list[WorkflowExecutionPhase]] = Field(enum=WorkflowExecutionPhase)
    email: Field[EmailNotification | None] = Field(model=EmailNotification)
    pager_duty: Field[PagerDutyNotification | None] = Field(model=PagerDutyNotification)
    slack: Field[SlackNotification | None] = Field(model=SlackNotification)


class Labels(FlyteIdlEntity):
    """Kubernetes labels for an execution's resources: ``Labels({"team": "ml"})``."""

    _pb_type = _pb.Labels
    values: Field[dict[str, str]] = Field()


class Annotations(FlyteIdlEntity):
    """Kubernetes annotations for an execution's resources: ``Annotations({"key": "value"})``."""

    _pb_type = _pb.Annotations
    values: Field[dict[str, str]] = Field()


class UrlBlob(FlyteIdlEntity):
    """A signed URL to data and its size: ``UrlBlob(url, bytes)``."""

    _pb_type = _pb.UrlBlob
    url: Field[str] = Field()
    bytes: Field[int] = Field()


class AuthRole(FlyteIdlEntity):
    """The identity an execution runs as: ``AuthRole(assumable_iam_role=None, kubernetes_service_account=None)``."""

    _pb_type = _pb.AuthRole
    assumable_iam_role: Field[str] = Field()
    kubernetes_service_account: Field[str] = Field()


class RawOutputDataConfig(FlyteIdlEntity):
    """Where offloaded outputs go: ``RawOutputDataConfig(output_location_prefix)``."""

    _pb_type = _pb.RawOutputDataConfig
    output_location_prefix: Field[str] = Field()


class Envs(FlyteIdlEntity):
    """Environment variables for an execution: ``Envs({"KEY": "value"})``; :attr:`envs` reads them as a dict."""

    _pb_type = _pb.Envs
    envs = PairsField("values")


class FlyteURLs(FlyteIdlEntity):
    """``flyte://`` URLs of an execution's inputs, outputs and deck: ``FlyteURLs(inputs, outputs, deck)``."""

    _pb_type = _pb.FlyteURLs
    inputs: Field[str] = Field()
    outputs: Field[str] = Field()
    deck: Field[str] = Field()
