"""Notifications of ended executions: their settings, which of an execution's notifications apply, and the message.

Flyte Admin resolves an execution's notifications once, at CreateExecution (the request's if it names any, none
if it sets ``disable_all``, else its launch plan's ``entity_metadata.notifications``), and keeps them in the
execution's closure. When a workflow event with a terminal phase is recorded it sends each kept notification whose
``phases`` hold that phase (``publishNotifications`` in ``flyteadmin/pkg/manager/impl/execution_manager.go``),
with a subject and body made from the ``notifications.emailer`` templates and their ``{{ placeholder }}`` values
(``flyteadmin/pkg/async/notifications/email.go``). The rules live here, free of any delivery; the sending is
:mod:`flyteplane.admin.services.notifications`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flyteidl.admin import common_pb2
from flyteidl.core import execution_pb2, identifier_pb2

__all__ = [
    "DEFAULT_BODY",
    "DEFAULT_SENDER",
    "DEFAULT_SUBJECT",
    "KINDS",
    "EndedExecution",
    "Message",
    "NotificationsConfig",
    "SmtpServer",
    "matching",
    "message_for",
    "render",
]

KINDS: tuple[str, ...] = ("email", "slack", "pager_duty")
"""The ``admin.Notification`` ``type`` oneof's fields."""

DEFAULT_SUBJECT = 'Notice: Execution "{{ name }}" has {{ phase }} in "{{ domain }}".'
"""Flyte Admin's sample ``notifications.emailer.subject``."""
DEFAULT_BODY = 'Execution "{{ name }}" of project "{{ project }}" has {{ phase }} in "{{ domain }}".{{ error }}'
"""Flyte Admin's sample ``notifications.emailer.body``, without its link to a console this admin does not serve."""
DEFAULT_SENDER = "flyte-notifications@localhost"
"""``notifications.emailer.sender`` when none is configured."""

_WF = execution_pb2.WorkflowExecution


@dataclass(frozen=True)
class SmtpServer:
    """Where notification emails go (Flyte Admin's ``emailer.emailServerConfig`` for ``serviceName: smtp``).

    Flyte's SMTP emailer logs in when the server offers AUTH and starts TLS when it offers STARTTLS; here both are
    explicit, so a server that does not offer what is configured fails the delivery (logged) instead of the
    message going out in the clear.
    """

    host: str
    port: int = 25
    starttls: bool = False
    """Upgrade the connection with STARTTLS before anything is sent."""
    ca_file: str | None = None
    """CA bundle (PEM) that verifies the server's certificate under STARTTLS; None: the system's."""
    username: str | None = None
    """Log in as this user (after STARTTLS when set); None: no login."""
    password: str = ""
    """The login's password (Flyte Admin reads it from the secret ``smtpPasswordSecretName``)."""
    timeout_seconds: float = 10.0
    """Longest wait for the server on any one step."""

    def __post_init__(self) -> None:
        if not self.host or not isinstance(self.host, str):
            raise ValueError("SmtpServer.host must be a host name")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ValueError(f"SmtpServer.port must be a port number (1-65535), not {self.port!r}")
        if not self.timeout_seconds > 0:
            raise ValueError(f"SmtpServer.timeout_seconds must be more than zero, not {self.timeout_seconds!r}")
        if self.password and self.username is None:
            raise ValueError("SmtpServer.password is set without a username to log in with")


def _check_webhook(kind: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the {kind} webhook must be an http:// or https:// URL, not {url!r}")


@dataclass(frozen=True)
class NotificationsConfig:
    """How the admin sends notifications (Flyte Admin's ``notifications`` config section).

    Email notifications go to :attr:`smtp`. Slack and PagerDuty notifications go to their kind's webhook when one
    is configured (a JSON POST, see :meth:`Message.webhook_payload`); otherwise they are emailed to their
    ``recipients_email`` as Flyte Admin does for every kind (a Slack channel's or PagerDuty service's email
    address). With nothing configured nothing is sent, and each notification that would have been is logged.
    """

    smtp: SmtpServer | None = None
    """The SMTP server; None: emails are not sent (and logged as such)."""
    sender: str = DEFAULT_SENDER
    """The ``From`` of notification emails (``emailer.sender``)."""
    subject: str = DEFAULT_SUBJECT
    """Subject template (``emailer.subject``); see :func:`render` for the placeholders."""
    body: str = DEFAULT_BODY
    """Body template (``emailer.body``), sent as HTML as Flyte's SMTP emailer does."""
    webhooks: Mapping[str, str] = field(default_factory=dict)
    """``"slack"`` / ``"pager_duty"`` -> URL that receives that kind's notifications as JSON."""
    webhook_timeout_seconds: float = 10.0
    """Longest wait for a webhook's answer."""
    queue_size: int = 1000
    """Most notifications waiting to be sent; more are dropped (and logged) so a stuck server cannot hold memory."""

    def __post_init__(self) -> None:
        if not self.sender or "@" not in self.sender:
            raise ValueError(f"NotificationsConfig.sender must be an email address, not {self.sender!r}")
        webhooks = dict(self.webhooks)
        for kind, url in webhooks.items():
            if kind not in ("slack", "pager_duty"):
                raise ValueError(f"NotificationsConfig.webhooks: {kind!r} is not slack or pager_duty")
            _check_webhook(kind, url)
        object.__setattr__(self, "webhooks", webhooks)
        if not self.webhook_timeout_seconds > 0:
            timeout = self.webhook_timeout_seconds
            raise ValueError(f"NotificationsConfig.webhook_timeout_seconds must be more than zero, not {timeout!r}")
        if isinstance(self.queue_size, bool) or not isinstance(self.queue_size, int) or self.queue_size <= 0:
            raise ValueError(f"NotificationsConfig.queue_size must be a positive integer, not {self.queue_size!r}")

    def __hash__(self) -> int:  # webhooks is a dict: hash what identifies the settings
        return hash((self.smtp, self.sender, self.subject, self.body, tuple(sorted(self.webhooks.items()))))


@dataclass(frozen=True)
class EndedExecution:
    """What a notification says about an execution that reached a terminal phase."""

    execution_id: identifier_pb2.WorkflowExecutionIdentifier
    phase: int
    """The terminal ``WorkflowExecution.Phase``."""
    error_message: str | None
    """The event's error message (FAILED, TIMED_OUT), None without one."""
    workflow_id: identifier_pb2.Identifier
    launch_plan_id: identifier_pb2.Identifier
    notifications: tuple[common_pb2.Notification, ...]
    """The execution's notifications, as CreateExecution resolved them."""


@dataclass(frozen=True)
class Message:
    """One notification to deliver: its kind, recipients, and rendered subject and body."""

    kind: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    execution: EndedExecution

    @property
    def phase_name(self) -> str:
        return _WF.Phase.Name(self.execution.phase)

    def webhook_payload(self) -> dict[str, object]:
        """The JSON a webhook receives. ``text`` is what a Slack incoming webhook shows; the other fields let a
        relay (PagerDuty's Events API, a chat bot) pick what it needs."""
        ident = self.execution.execution_id
        return {
            "text": f"{self.subject}\n{self.body}",
            "kind": self.kind,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "body": self.body,
            "phase": self.phase_name,
            "execution": {"project": ident.project, "domain": ident.domain, "name": ident.name},
            "error": self.execution.error_message,
        }


def _placeholders(ended: EndedExecution) -> dict[str, str]:
    """Flyte Admin's placeholder values (``getTemplateValueFuncs`` in ``async/notifications/email.go``)."""
    ident, wf, lp = ended.execution_id, ended.workflow_id, ended.launch_plan_id
    error = f" The execution failed with error: [{ended.error_message}]." if ended.error_message is not None else ""
    return {
        "project": ident.project,
        "domain": ident.domain,
        "name": ident.name,
        "phase": _WF.Phase.Name(ended.phase).lower(),
        "error": error,
        "workflow.project": wf.project,
        "workflow.domain": wf.domain,
        "workflow.name": wf.name,
        "workflow.version": wf.version,
        "launch_plan.project": lp.project,
        "launch_plan.domain": lp.domain,
        "launch_plan.name": lp.name,
        "launch_plan.version": lp.version,
    }


_PLACEHOLDER = re.compile(r"\{\{ ?([a-z_.]+) ?\}\}")


def render(template: str, ended: EndedExecution) -> str:
    """``template`` with each ``{{ placeholder }}`` (or ``{{placeholder}}``) replaced, as Flyte Admin's
    ``substituteEmailParameters``: ``project``, ``domain``, ``name``, ``phase`` (lower case), ``error`` (empty, or
    `` The execution failed with error: [...]``), ``workflow.project|domain|name|version`` and
    ``launch_plan.project|domain|name|version``. Unknown placeholders stay as written."""
    values = _placeholders(ended)

    def replace(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(replace, template)


def matching(notifications: Iterable[common_pb2.Notification], phase: int) -> list[common_pb2.Notification]:
    """The notifications to send when an execution ends in ``phase``: those whose ``phases`` hold it."""
    return [n for n in notifications if phase in n.phases]


def message_for(
    notification: common_pb2.Notification, ended: EndedExecution, config: NotificationsConfig
) -> Message | None:
    """The message of one notification (None for a notification without a kind, which validation refuses).

    The notification's own ``template``, when set, is the body template, as ``ToEmailMessageFromWorkflowExecutionEvent``
    intends (Flyte Admin 1.16's publishNotifications drops it on the way; here it is kept)."""
    kind = notification.WhichOneof("type")
    if kind is None:
        return None
    target = getattr(notification, kind)
    return Message(
        kind=kind,
        recipients=tuple(target.recipients_email),
        subject=render(config.subject, ended),
        body=render(target.template or config.body, ended),
        execution=ended,
    )
