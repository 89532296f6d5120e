"""The notifier: executions that end send their notifications by email (SMTP) or webhook, as Flyte Admin does.

Flyte Admin publishes an ended execution's notifications from CreateWorkflowEvent to a queue (SNS/SQS, Pub/Sub, or
an in-process one in its sandbox) and a processor sends them as emails (``flyteadmin/pkg/async/notifications``).
Here the event recorder tells :meth:`Notifier.execution_ended` after it commits a terminal workflow event; that
call only looks whether the execution has notifications and queues it (a bounded queue: when it is full the
notification is dropped and logged), so recording an event never waits for, or fails because of, a mail server.
One worker thread picks the notifications whose phases match (:mod:`flyteplane.admin.domain.notifications`) and
delivers each: email through :class:`~flyteplane.admin.domain.notifications.SmtpServer` with the standard
library's ``smtplib``, Slack / PagerDuty to their webhooks as a JSON POST with ``urllib.request`` (no HTTP client
dependency for one POST).

Every notification leaves one line in the ``flyteplane.admin.notifications`` log: its kind, recipients, the
execution and phase, and ``delivered`` or why not (nothing configured, the server refused, a timeout). A failed
delivery is not retried: it is logged, and the execution it reports on is not touched.
"""

from __future__ import annotations

import email.message
import email.policy
import json
import logging
import queue
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from flyteidl.core import execution_pb2
from flyteidl.event import event_pb2

from flyteplane.admin.domain.notifications import EndedExecution, Message, NotificationsConfig, matching, message_for
from flyteplane.admin.store.executions import ExecutionRecord

__all__ = ["Notifier"]

log = logging.getLogger("flyteplane.admin.notifications")

_Ended = tuple[event_pb2.WorkflowExecutionEvent, ExecutionRecord]


class DeliveryError(Exception):
    """Why one notification was not delivered (the log line's reason)."""


def _where(url: str) -> str:
    """A webhook URL as logged: scheme and host only (Slack's webhook paths are secrets)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..."


class Notifier:
    """Sends the notifications of ended executions between :meth:`start` and :meth:`stop`.

    Args:
        config: where and how to send (``AdminConfig.notifications``).
        stop_grace_seconds: how long :meth:`stop` lets the worker send what is still queued.
    """

    def __init__(self, config: NotificationsConfig, *, stop_grace_seconds: float = 5.0) -> None:
        self._config = config
        self._queue: queue.Queue[_Ended] = queue.Queue(maxsize=config.queue_size)
        self._stop_grace = stop_grace_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the recorder's side (never blocks, never raises) -------------------------------------------------------------

    def execution_ended(self, event: event_pb2.WorkflowExecutionEvent, record: ExecutionRecord) -> None:
        """Queue the notifications of an execution whose terminal ``event`` was just committed over ``record``."""
        try:
            if not record.closure.notifications:
                return
            self._queue.put_nowait((event, record))
        except queue.Full:
            ident = event.execution_id
            log.warning(
                "notifications of %s/%s/%s %s not delivered: %d notifications are already waiting (queue full)",
                ident.project,
                ident.domain,
                ident.name,
                execution_pb2.WorkflowExecution.Phase.Name(event.phase),
                self._config.queue_size,
            )
        except Exception:  # a notification must never fail the event that triggers it
            log.exception("notifications of %s not queued", event.execution_id.name)

    # --- lifecycle ----------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="flyteplane-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Send what is queued (for at most the stop grace), then stop the worker."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        thread.join(self._stop_grace)
        left = self._queue.qsize()
        if thread.is_alive() or left:
            log.warning("notifier stopped with %d ended executions' notifications not sent", left)

    def flush(self, timeout: float) -> bool:
        """Wait until every queued notification was handled (delivered or logged as not); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def _run(self) -> None:
        while True:
            try:
                ended = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            try:
                self._notify(*ended)
            except Exception:  # a bug here must not end the worker: the next execution's notifications still go
                log.exception("notifications of %s failed", ended[0].execution_id.name)
            finally:
                self._queue.task_done()

    # --- delivery -----------------------------------------------------------------------------------------------------

    def _notify(self, event: event_pb2.WorkflowExecutionEvent, record: ExecutionRecord) -> None:
        spec = record.spec()
        ended = EndedExecution(
            execution_id=event.execution_id,
            phase=event.phase,
            error_message=event.error.message if event.HasField("error") else None,
            workflow_id=record.closure.workflow_id,
            launch_plan_id=spec.launch_plan,
            notifications=tuple(record.closure.notifications),
        )
        for notification in matching(ended.notifications, ended.phase):
            message = message_for(notification, ended, self._config)
            if message is None:
                continue
            try:
                how = self._deliver(message)
            except DeliveryError as e:
                self._log(message, logging.WARNING, f"not delivered: {e}")
            else:
                self._log(message, logging.INFO, f"delivered {how}")

    def _log(self, message: Message, level: int, outcome: str) -> None:
        ident = message.execution.execution_id
        log.log(
            level,
            "notification %s to %s for %s/%s/%s %s: %s",
            message.kind,
            ", ".join(message.recipients),
            ident.project,
            ident.domain,
            ident.name,
            message.phase_name,
            outcome,
        )

    def _deliver(self, message: Message) -> str:
        """Send ``message``; how it went (for the log), or :class:`DeliveryError`."""
        webhook = self._config.webhooks.get(message.kind)
        if webhook is not None:
            self._post(webhook, message)
            return f"to the {message.kind} webhook {_where(webhook)}"
        smtp = self._config.smtp
        if smtp is None:
            hint = "" if message.kind == "email" else f" and no {message.kind} webhook"
            raise DeliveryError(f"no SMTP server configured{hint}")
        self._send_email(message)
        return f"by email through {smtp.host}:{smtp.port}"

    def _send_email(self, message: Message) -> None:
        smtp = self._config.smtp
        assert smtp is not None
        # Headers fold only past RFC 5322's 998 characters: the stdlib's folding at 78 would start a quoted subject
        # on a continuation line, which mail readers show with a leading blank.
        mail = email.message.EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
        mail["From"] = self._config.sender
        mail["To"] = ", ".join(message.recipients)
        mail["Subject"] = message.subject
        mail.set_content(message.body, subtype="html")  # Flyte's SMTP emailer sends text/html
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
                if smtp.username is not None:
                    client.login(smtp.username, smtp.password)
                refused = client.send_message(mail, from_addr=self._config.sender, to_addrs=list(message.recipients))
        except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
            raise DeliveryError(f"SMTP server {smtp.host}:{smtp.port}: {type(e).__name__}: {e}") from e
        if refused:
            raise DeliveryError(f"SMTP server {smtp.host}:{smtp.port} refused {', '.join(sorted(refused))}")

    def _post(self, url: str, message: Message) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(message.webhook_payload()).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        where = f"the {message.kind} webhook {_where(url)}"
        try:
            with urllib.request.urlopen(request, timeout=self._config.webhook_timeout_seconds) as response:
                response.read()
        except urllib.error.HTTPError as e:
            raise DeliveryError(f"{where} answered HTTP {e.code}") from e
        except urllib.error.URLError as e:
            raise DeliveryError(f"{where}: {e.reason}") from e
        except (OSError, ValueError) as e:  # a timeout while reading the answer, a malformed answer
            raise DeliveryError(f"{where}: {type(e).__name__}: {e}") from e
