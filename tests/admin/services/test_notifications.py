"""Ended executions send their notifications, on a real admin over gRPC, to a real SMTP server (aiosmtpd) and real
webhooks (``http.server``) on loopback, under Flyte Admin's rules: the phases that match, the execution's
notifications over its launch plan's, ``disable_all``; a server that is down is logged and changes no execution."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import logging
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2, workflow_pb2
from flyteidl.event import event_pb2
from flyteidl.service import admin_pb2_grpc
from tests.cli.support import free_ports
from tests.tls_support import TestCA

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.domain.notifications import (
    DEFAULT_SUBJECT,
    EndedExecution,
    NotificationsConfig,
    SmtpServer,
    render,
)
from flyteplane.admin.services.notifications import Notifier
from flyteplane.admin.store.executions import ExecutionRecord
from flyteplane.cli.main import _parser
from flyteplane.cli.notifications import SMTP_PASSWORD_ENV, notifications_config

PROJECT, DOMAIN = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
# A task that only honors the container contract: an empty outputs.pb under {{.outputPrefix}}.
NOOP = "import os, sys; os.makedirs(sys.argv[1], exist_ok=True); open(os.path.join(sys.argv[1], 'outputs.pb'), 'wb')"
FAIL = "import sys; sys.exit(3)"
SLEEP = "import time; time.sleep(60)"
LOG = "flyteplane.admin.notifications"


# --- the admin and what it runs ---------------------------------------------------------------------------------------


def _id(kind: int, name: str) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(resource_type=kind, project=PROJECT, domain=DOMAIN, name=name, version="v1")


def email_to(*recipients: str, phases: tuple[int, ...] = (Phase.SUCCEEDED, Phase.FAILED)) -> common_pb2.Notification:
    return common_pb2.Notification(phases=phases, email=common_pb2.EmailNotification(recipients_email=recipients))


def slack_to(*recipients: str, phases: tuple[int, ...] = (Phase.SUCCEEDED,)) -> common_pb2.Notification:
    return common_pb2.Notification(phases=phases, slack=common_pb2.SlackNotification(recipients_email=recipients))


def pager_duty_to(*recipients: str, phases: tuple[int, ...] = (Phase.FAILED,)) -> common_pb2.Notification:
    return common_pb2.Notification(
        phases=phases, pager_duty=common_pb2.PagerDutyNotification(recipients_email=recipients)
    )


def register(
    stub: admin_pb2_grpc.AdminServiceStub,
    name: str,
    notifications: list[common_pb2.Notification],
    *,
    fail: bool = False,
    code: str | None = None,
) -> identifier_pb2.Identifier:
    """A one-task workflow (that succeeds, fails, or runs ``code``) and its launch plan ``name`` with
    ``notifications``."""
    task_id = _id(identifier_pb2.TASK, f"{name}_task")
    template = tasks_pb2.TaskTemplate(id=task_id, type="raw-container", interface=interface_pb2.TypedInterface())
    template.metadata.runtime.type = tasks_pb2.RuntimeMetadata.FLYTE_SDK
    template.metadata.runtime.version = "1.16.0"
    template.container.image = "local"
    template.container.command.extend([sys.executable, "-c", code or (FAIL if fail else NOOP), "{{.outputPrefix}}"])
    stub.CreateTask(task_pb2.TaskCreateRequest(id=task_id, spec=task_pb2.TaskSpec(template=template)), timeout=10)
    wf_id = _id(identifier_pb2.WORKFLOW, f"{name}_wf")
    wf = workflow_pb2.WorkflowTemplate(id=wf_id, interface=interface_pb2.TypedInterface())
    node = wf.nodes.add(id="n0")
    node.metadata.name = "t"
    node.task_node.reference_id.CopyFrom(task_id)
    stub.CreateWorkflow(
        admin_workflow_pb2.WorkflowCreateRequest(id=wf_id, spec=admin_workflow_pb2.WorkflowSpec(template=wf)),
        timeout=10,
    )
    lp_id = _id(identifier_pb2.LAUNCH_PLAN, name)
    spec = launch_plan_pb2.LaunchPlanSpec(workflow_id=wf_id)
    spec.entity_metadata.notifications.extend(notifications)
    stub.CreateLaunchPlan(launch_plan_pb2.LaunchPlanCreateRequest(id=lp_id, spec=spec), timeout=10)
    return lp_id


def run(
    stub: admin_pb2_grpc.AdminServiceStub,
    lp_id: identifier_pb2.Identifier,
    *,
    notifications: list[common_pb2.Notification] | None = None,
    disable_all: bool = False,
    terminate: bool = False,
) -> execution_pb2.Execution:
    """Launch ``lp_id`` (and terminate it once it runs) and wait for the execution to end."""
    spec = execution_pb2.ExecutionSpec(launch_plan=lp_id, disable_all=disable_all)
    if notifications is not None:
        spec.notifications.notifications.extend(notifications)
    request = execution_pb2.ExecutionCreateRequest(project=PROJECT, domain=DOMAIN, spec=spec)
    execution_id = stub.CreateExecution(request, timeout=10).id
    deadline = time.monotonic() + 60
    while True:
        execution = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=execution_id), timeout=10)
        if execution.closure.phase in (Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT):
            return execution
        if terminate and execution.closure.phase == Phase.RUNNING:
            stub.TerminateExecution(execution_pb2.ExecutionTerminateRequest(id=execution_id, cause="enough"))
            terminate = False
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.1)


def admin_with(notifications: NotificationsConfig) -> AdminServer:
    return AdminServer(config=AdminConfig(seed_projects=(PROJECT,), notifications=notifications))


@pytest.fixture
def stub_of() -> Iterator[Any]:
    """``stub_of(admin)``: an AdminService stub on a started admin; everything is closed at the end."""
    opened: list[Any] = []

    def open_stub(admin: AdminServer) -> admin_pb2_grpc.AdminServiceStub:
        admin.start()
        channel = grpc.insecure_channel(admin.endpoint)
        opened.append((admin, channel))
        return admin_pb2_grpc.AdminServiceStub(channel)

    yield open_stub
    for admin, channel in opened:
        channel.close()
        admin.stop()


def flushed(admin: AdminServer) -> None:
    assert admin.services is not None
    assert admin.services.notifier.flush(30), "the notifier did not finish"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOG]


def running_nodes(stub: admin_pb2_grpc.AdminServiceStub, execution: execution_pb2.Execution) -> list[str]:
    from flyteidl.admin import node_execution_pb2

    nodes = stub.ListNodeExecutions(
        node_execution_pb2.NodeExecutionListRequest(workflow_execution_id=execution.id, limit=100), timeout=10
    ).node_executions
    return [n.id.node_id for n in nodes if n.closure.phase == core_execution_pb2.NodeExecution.RUNNING]


# --- the servers that receive -----------------------------------------------------------------------------------------


@dataclass
class SmtpSink:
    """What an aiosmtpd server received: envelope recipients and the parsed message, per email."""

    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (b"flyte", b"s3cret"):
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    (port,) = free_ports(1)
    sink = SmtpSink(port)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[tuple[SmtpSink, Path]]:
    """An SMTP server that requires STARTTLS and a login; and the CA that signed its certificate."""
    ca = TestCA(tmp_path)
    pair = ca.issue("smtp", client=False, hosts=("127.0.0.1",))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pair.cert, pair.key)
    (port,) = free_ports(1)
    sink = SmtpSink(port)
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=sink.authenticate,
    )
    controller.start()
    yield sink, ca.path
    controller.stop()


@dataclass
class Webhook:
    """A local HTTP server that keeps each POSTed JSON body and answers ``status`` after ``delay`` seconds."""

    url: str
    received: list[dict[str, Any]]
    server: http.server.ThreadingHTTPServer
    status: int = 200
    delay: float = 0.0


@pytest.fixture
def webhook() -> Iterator[Any]:
    """``webhook(status=200, delay=0)``: a new local webhook."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def make(status: int = 200, delay: float = 0.0) -> Webhook:
        received: list[dict[str, Any]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.headers["Content-Type"] == "application/json"
                received.append(json.loads(body))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the notifier stopped waiting (its timeout), which is what the slow webhook tests

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        port = server.server_address[1]
        return Webhook(f"http://127.0.0.1:{port}/services/T000/B000/secret-token", received, server, status, delay)

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


# --- delivery ---------------------------------------------------------------------------------------------------------


def test_emails_for_a_succeeded_and_a_failed_execution(stub_of, smtp: SmtpSink, caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port), sender="flyte@example.org"))
    stub = stub_of(admin)
    ok = run(stub, register(stub, "ok", [email_to("ops@example.org", "dev@example.org")]))
    failed = run(stub, register(stub, "broken", [email_to("ops@example.org")], fail=True))
    flushed(admin)
    assert (ok.closure.phase, failed.closure.phase) == (Phase.SUCCEEDED, Phase.FAILED)

    assert len(smtp.mails) == 2
    (ok_to, ok_mail), (failed_to, failed_mail) = sorted(smtp.mails, key=lambda m: len(m[0]), reverse=True)
    assert ok_to == ["ops@example.org", "dev@example.org"]
    assert ok_mail["From"] == "flyte@example.org"
    assert ok_mail["To"] == "ops@example.org, dev@example.org"
    assert ok_mail["Subject"] == f'Notice: Execution "{ok.id.name}" has succeeded in "development".'
    assert ok_mail.get_content_type() == "text/html"
    assert ok_mail.get_content().strip() == (
        f'Execution "{ok.id.name}" of project "flytesnacks" has succeeded in "development".'
    )
    assert failed_to == ["ops@example.org"]
    assert failed_mail["Subject"] == f'Notice: Execution "{failed.id.name}" has failed in "development".'
    body = failed_mail.get_content().strip()
    assert body.startswith(
        f'Execution "{failed.id.name}" of project "flytesnacks" has failed in "development". '
        "The execution failed with error: ["
    )
    assert failed.closure.error.message in body
    assert sorted(lines(caplog)) == sorted(
        [
            f"notification email to ops@example.org, dev@example.org for flytesnacks/development/{ok.id.name} "
            f"SUCCEEDED: delivered by email through 127.0.0.1:{smtp.port}",
            f"notification email to ops@example.org for flytesnacks/development/{failed.id.name} "
            f"FAILED: delivered by email through 127.0.0.1:{smtp.port}",
        ]
    )


def test_slack_and_pagerduty_go_to_their_webhooks_as_json(stub_of, webhook, caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    slack, pager = webhook(), webhook()
    config = NotificationsConfig(
        webhooks={"slack": slack.url, "pager_duty": pager.url},
        subject="{{workflow.name}} via {{ launch_plan.name }}@{{ launch_plan.version }}: {{ phase }}",
    )
    admin = admin_with(config)
    stub = stub_of(admin)
    notes = [slack_to("#ops@example.slack.com"), pager_duty_to("oncall@example.pagerduty.com")]
    ok = run(stub, register(stub, "ok", notes))
    failed = run(stub, register(stub, "broken", notes, fail=True))
    flushed(admin)

    assert slack.received == [
        {
            "text": f"ok_wf via ok@v1: succeeded\n"
            f'Execution "{ok.id.name}" of project "flytesnacks" has succeeded in "development".',
            "kind": "slack",
            "recipients": ["#ops@example.slack.com"],
            "subject": "ok_wf via ok@v1: succeeded",
            "body": f'Execution "{ok.id.name}" of project "flytesnacks" has succeeded in "development".',
            "phase": "SUCCEEDED",
            "execution": {"project": PROJECT, "domain": DOMAIN, "name": ok.id.name},
            "error": None,
        }
    ]
    assert len(pager.received) == 1
    page = pager.received[0]
    assert (page["kind"], page["phase"], page["subject"]) == ("pager_duty", "FAILED", "broken_wf via broken@v1: failed")
    assert page["recipients"] == ["oncall@example.pagerduty.com"]
    assert page["execution"]["name"] == failed.id.name
    assert page["error"] == failed.closure.error.message
    # The webhook's path (Slack's secret) is never logged.
    assert sorted(lines(caplog)) == sorted(
        [
            f"notification slack to #ops@example.slack.com for flytesnacks/development/{ok.id.name} SUCCEEDED: "
            f"delivered to the slack webhook http://{slack.server.server_address[0]}:{slack.server.server_address[1]}/...",
            f"notification pager_duty to oncall@example.pagerduty.com for flytesnacks/development/{failed.id.name} "
            f"FAILED: delivered to the pager_duty webhook "
            f"http://{pager.server.server_address[0]}:{pager.server.server_address[1]}/...",
        ]
    )


def test_slack_without_a_webhook_is_emailed_to_its_recipients_as_flyte_admin_does(stub_of, smtp: SmtpSink) -> None:
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    ok = run(stub, register(stub, "ok", [slack_to("channel@example.slack.com")]))
    flushed(admin)
    assert [(to, mail["Subject"]) for to, mail in smtp.mails] == [
        (
            ["channel@example.slack.com"],
            DEFAULT_SUBJECT.replace("{{ name }}", ok.id.name)
            .replace("{{ phase }}", "succeeded")
            .replace("{{ domain }}", DOMAIN),
        )
    ]


def test_the_notifications_template_is_the_body(stub_of, smtp: SmtpSink) -> None:
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    note = email_to("ops@example.org")
    note.email.template = "<b>{{ name }}</b> {{phase}}"
    ok = run(stub, register(stub, "ok", [note]))
    flushed(admin)
    assert [mail.get_content().strip() for _, mail in smtp.mails] == [f"<b>{ok.id.name}</b> succeeded"]


def test_starttls_and_login(stub_of, smtp_tls: tuple[SmtpSink, Path]) -> None:
    sink, ca = smtp_tls
    server = SmtpServer("127.0.0.1", sink.port, starttls=True, ca_file=str(ca), username="flyte", password="s3cret")
    admin = admin_with(NotificationsConfig(smtp=server))
    stub = stub_of(admin)
    run(stub, register(stub, "ok", [email_to("ops@example.org")]))
    flushed(admin)
    assert sink.logins == ["flyte"]
    assert [to for to, _ in sink.mails] == [["ops@example.org"]]


def test_a_terminated_execution_notifies_aborted(stub_of, smtp: SmtpSink) -> None:
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    lp_id = register(stub, "slow", [email_to("ops@example.org", phases=(Phase.ABORTED,))], code=SLEEP)
    aborted = run(stub, lp_id, terminate=True)
    flushed(admin)
    assert aborted.closure.phase == Phase.ABORTED
    assert [mail["Subject"] for _, mail in smtp.mails] == [
        f'Notice: Execution "{aborted.id.name}" has aborted in "development".'
    ]


# --- which notifications apply ----------------------------------------------------------------------------------------


def test_phases_that_do_not_match_send_nothing(stub_of, smtp: SmtpSink, caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    ok = run(stub, register(stub, "ok", [email_to("ops@example.org", phases=(Phase.FAILED, Phase.TIMED_OUT))]))
    flushed(admin)
    assert ok.closure.phase == Phase.SUCCEEDED
    assert smtp.mails == []
    assert lines(caplog) == []


def test_the_executions_notifications_override_the_launch_plans(stub_of, smtp: SmtpSink) -> None:
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    lp_id = register(stub, "ok", [email_to("plan@example.org")])
    run(stub, lp_id, notifications=[email_to("run@example.org")])
    flushed(admin)
    assert [to for to, _ in smtp.mails] == [["run@example.org"]]
    run(stub, lp_id)  # without its own, the execution has the launch plan's
    flushed(admin)
    assert [to for to, _ in smtp.mails] == [["run@example.org"], ["plan@example.org"]]


def test_disable_all_sends_none_of_the_launch_plans(stub_of, smtp: SmtpSink, caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    admin = admin_with(NotificationsConfig(smtp=SmtpServer("127.0.0.1", smtp.port)))
    stub = stub_of(admin)
    ok = run(stub, register(stub, "ok", [email_to("plan@example.org")]), disable_all=True)
    flushed(admin)
    assert ok.closure.phase == Phase.SUCCEEDED
    assert list(ok.closure.notifications) == []
    assert smtp.mails == []
    assert lines(caplog) == []


# --- what cannot be delivered -----------------------------------------------------------------------------------------


def test_servers_that_are_down_failing_or_slow_are_logged_and_the_execution_ends_normally(
    stub_of, webhook, caplog
) -> None:
    caplog.set_level(logging.INFO, LOG)
    (closed_port,) = free_ports(1)  # nothing listens there
    failing, slow = webhook(status=500), webhook(delay=3.0)
    config = NotificationsConfig(
        smtp=SmtpServer("127.0.0.1", closed_port, timeout_seconds=2.0),
        webhooks={"slack": failing.url, "pager_duty": slow.url},
        webhook_timeout_seconds=0.5,
    )
    admin = admin_with(config)
    stub = stub_of(admin)
    notes = [
        email_to("ops@example.org"),
        slack_to("c@example.org"),
        pager_duty_to("p@example.org", phases=(Phase.SUCCEEDED,)),
    ]
    started = time.monotonic()
    ok = run(stub, register(stub, "ok", notes))
    ended_in = time.monotonic() - started
    flushed(admin)
    assert ok.closure.phase == Phase.SUCCEEDED
    assert running_nodes(stub, ok) == []
    assert ended_in < 30
    logged = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines(caplog)}
    prefix = f"for flytesnacks/development/{ok.id.name} SUCCEEDED"
    smtp_outcome = logged[f"notification email to ops@example.org {prefix}"]
    assert smtp_outcome.startswith(f"not delivered: SMTP server 127.0.0.1:{closed_port}: ConnectionRefusedError")
    assert logged[f"notification slack to c@example.org {prefix}"] == (
        f"not delivered: the slack webhook http://127.0.0.1:{failing.server.server_address[1]}/... answered HTTP 500"
    )
    slow_outcome = logged[f"notification pager_duty to p@example.org {prefix}"]
    assert slow_outcome.startswith(
        f"not delivered: the pager_duty webhook http://127.0.0.1:{slow.server.server_address[1]}/...: "
    )
    assert "timed out" in slow_outcome
    # The admin still records and notifies the next execution.
    again = run(stub, register(stub, "again", [email_to("ops@example.org")]))
    flushed(admin)
    assert again.closure.phase == Phase.SUCCEEDED
    assert len(lines(caplog)) == 4


def test_with_nothing_configured_each_notification_is_logged_as_not_delivered(stub_of, caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    admin = AdminServer()  # the default config: no SMTP server, no webhooks
    stub = stub_of(admin)
    ok = run(stub, register(stub, "ok", [email_to("ops@example.org"), slack_to("c@example.org")]))
    flushed(admin)
    assert ok.closure.phase == Phase.SUCCEEDED
    records = [r for r in caplog.records if r.name == LOG]
    assert {r.levelno for r in records} == {logging.WARNING}
    assert sorted(r.getMessage() for r in records) == [
        f"notification email to ops@example.org for flytesnacks/development/{ok.id.name} SUCCEEDED: "
        "not delivered: no SMTP server configured",
        f"notification slack to c@example.org for flytesnacks/development/{ok.id.name} SUCCEEDED: "
        "not delivered: no SMTP server configured and no slack webhook",
    ]


def test_a_full_queue_drops_and_logs_instead_of_blocking_the_recorder(caplog) -> None:
    caplog.set_level(logging.INFO, LOG)
    notifier = Notifier(NotificationsConfig(queue_size=1))  # not started: nothing drains the queue
    closure = execution_pb2.ExecutionClosure(notifications=[email_to("ops@example.org")])
    record = ExecutionRecord(row_id=1, phase="SUCCEEDED", cluster="", closure=closure, spec_bytes=b"", started_at=None)
    event = event_pb2.WorkflowExecutionEvent(
        execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name="x"),
        phase=Phase.SUCCEEDED,
    )
    notifier.execution_ended(event, record)
    notifier.execution_ended(event, record)
    assert lines(caplog) == [
        "notifications of flytesnacks/development/x SUCCEEDED not delivered: 1 notifications are already waiting "
        "(queue full)"
    ]
    assert not notifier.flush(0.1)
    notifier.start()
    assert notifier.flush(10)
    notifier.stop()
    assert lines(caplog)[1:] == [
        "notification email to ops@example.org for flytesnacks/development/x SUCCEEDED: "
        "not delivered: no SMTP server configured"
    ]


# --- templates and settings -------------------------------------------------------------------------------------------


def test_templates_know_flyte_admins_placeholders() -> None:
    ended = EndedExecution(
        execution_id=identifier_pb2.WorkflowExecutionIdentifier(project="p", domain="d", name="n"),
        phase=Phase.TIMED_OUT,
        error_message="too slow",
        workflow_id=identifier_pb2.Identifier(project="wp", domain="wd", name="wn", version="wv"),
        launch_plan_id=identifier_pb2.Identifier(project="lp", domain="ld", name="ln", version="lv"),
        notifications=(),
    )
    template = (
        "{{ project }}/{{domain}}/{{ name }} {{ phase }}|{{ workflow.project }}.{{ workflow.domain }}."
        "{{ workflow.name }}.{{ workflow.version }}|{{ launch_plan.project }}.{{ launch_plan.domain }}."
        "{{launch_plan.name}}.{{ launch_plan.version }}|{{ error }}|{{ unknown }}"
    )
    assert render(template, ended) == (
        "p/d/n timed_out|wp.wd.wn.wv|lp.ld.ln.lv| The execution failed with error: [too slow].|{{ unknown }}"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SmtpServer(""), "SmtpServer.host must be a host name"),
        (lambda: SmtpServer("h", port=0), "SmtpServer.port must be a port number (1-65535), not 0"),
        (lambda: SmtpServer("h", port=True), "SmtpServer.port must be a port number (1-65535), not True"),
        (lambda: SmtpServer("h", timeout_seconds=0), "SmtpServer.timeout_seconds must be more than zero, not 0"),
        (lambda: SmtpServer("h", password="x"), "SmtpServer.password is set without a username to log in with"),
        (lambda: NotificationsConfig(sender="nobody"), "NotificationsConfig.sender must be an email address"),
        (lambda: NotificationsConfig(webhooks={"email": "http://h/"}), "'email' is not slack or pager_duty"),
        (lambda: NotificationsConfig(webhooks={"slack": "ftp://h/x"}), "the slack webhook must be an http://"),
        (lambda: NotificationsConfig(webhooks={"slack": "http:///x"}), "the slack webhook must be an http://"),
        (lambda: NotificationsConfig(webhook_timeout_seconds=-1), "webhook_timeout_seconds must be more than zero"),
        (lambda: NotificationsConfig(queue_size=0), "NotificationsConfig.queue_size must be a positive integer"),
    ],
)
def test_settings_that_cannot_work_are_refused(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_sandbox_flags_make_the_notifications_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "s3cret")
    args = _parser().parse_args(
        [
            "sandbox",
            "--smtp-host", "mail.example.org",
            "--smtp-port", "587",
            "--smtp-starttls",
            "--smtp-ca-file", "/etc/ca.pem",
            "--smtp-user", "flyte",
            "--notify-sender", "flyte@example.org",
            "--notify-subject", "{{ name }}: {{ phase }}",
            "--notify-body", "{{ error }}",
            "--slack-webhook", "https://hooks.example.org/slack",
            "--pagerduty-webhook", "https://hooks.example.org/pd",
        ]
    )  # fmt: skip
    assert notifications_config(args) == NotificationsConfig(
        smtp=SmtpServer(
            "mail.example.org", 587, starttls=True, ca_file="/etc/ca.pem", username="flyte", password="s3cret"
        ),
        sender="flyte@example.org",
        subject="{{ name }}: {{ phase }}",
        body="{{ error }}",
        webhooks={"slack": "https://hooks.example.org/slack", "pager_duty": "https://hooks.example.org/pd"},
    )
    assert notifications_config(_parser().parse_args(["sandbox"])) == NotificationsConfig()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--smtp-port", "25", "--smtp-user", "u"], "--smtp-port, --smtp-user without --smtp-host"),
        (["--smtp-starttls"], "--smtp-starttls without --smtp-host"),
        (["--slack-webhook", "hooks.example.org"], "the slack webhook must be an http:// or https:// URL"),
    ],
)
def test_sandbox_refuses_notification_flags_that_do_not_fit(flags: list[str], message: str, capsys) -> None:
    from flyteplane.cli.main import main

    assert main(["sandbox", "--in-memory", *flags]) == 2
    assert message in capsys.readouterr().err


def test_a_sandbox_with_notification_flags_delivers_and_prints_the_log_line(tmp_path: Path, webhook, smtp) -> None:
    from tests.cli.support import start_sandbox

    slack = webhook()
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path,
        "--in-memory",
        "--port", str(grpc_port),
        "--http-port", str(http_port),
        "--smtp-host", "127.0.0.1",
        "--smtp-port", str(smtp.port),
        "--notify-sender", "sandbox@example.org",
        "--slack-webhook", slack.url,
    )  # fmt: skip
    try:
        sandbox.wait_ready()
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            ok = run(stub, register(stub, "ok", [email_to("ops@example.org"), slack_to("c@example.org")]))
        deadline = time.monotonic() + 30
        while len(smtp.mails) + len(slack.received) < 2 or "notification slack" not in sandbox.stderr:
            assert time.monotonic() < deadline, sandbox.stderr
            time.sleep(0.1)
    finally:
        assert sandbox.stop() == 0
    assert [(to, mail["From"]) for to, mail in smtp.mails] == [(["ops@example.org"], "sandbox@example.org")]
    assert [body["execution"]["name"] for body in slack.received] == [ok.id.name]
    assert (
        f"flyteplane admin: notification email to ops@example.org for flytesnacks/development/{ok.id.name} "
        f"SUCCEEDED: delivered by email through 127.0.0.1:{smtp.port}\n"
    ) in sandbox.stderr
