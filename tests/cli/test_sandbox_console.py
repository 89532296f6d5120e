"""What ``flyteplane sandbox`` prints for the console: its URL, a config whose ``console.endpoint`` makes flytekit's
and flyteplane's links open it, and one line per execution start and end (none with ``--quiet``)."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.models.core.identifier import WorkflowExecutionIdentifier
from flytekit.remote import FlyteRemote

from tests.cli import cli_workflows as wf
from tests.cli.support import SandboxProcess, free_ports, start_sandbox

REPO = Path(__file__).resolve().parents[2]
PROJECT, DOMAIN = "flytesnacks", "development"
HELLO = "tests.cli.cli_workflows.hello"
WAITS = "tests.cli.cli_workflows.waits"


def _started(tmp_path: Path, *flags: str) -> tuple[SandboxProcess, int, int]:
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path,
        "--port",
        str(grpc_port),
        "--http-port",
        str(http_port),
        "--in-memory",
        "--task-env",
        f"PYTHONPATH={REPO}",  # the tasks import tests.cli.cli_workflows
        *flags,
    ).wait_ready()
    deadline = time.monotonic() + 30
    while "Ctrl-C stops it." not in sandbox.stdout:
        assert time.monotonic() < deadline, sandbox.stdout
        time.sleep(0.05)
    return sandbox, grpc_port, http_port


def _printed_config(out: str, path: Path) -> Path:
    """The config the sandbox printed (from ``admin:`` to ``Ctrl-C stops it.``), saved as a user would."""
    lines = out.splitlines()
    path.write_text("\n".join(lines[lines.index("admin:") : lines.index("Ctrl-C stops it.")]) + "\n")
    return path


def _remote(config_file: Path) -> FlyteRemote:
    remote = FlyteRemote(Config.auto(str(config_file)), default_project=PROJECT, default_domain=DOMAIN)
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version="s1"
    )
    for workflow in (wf.hello, wf.waits):
        remote.register_workflow(workflow, serialization_settings=settings, version="s1")
    return remote


def _wait_for(sandbox: SandboxProcess, text: str) -> None:
    deadline = time.monotonic() + 120
    while text not in sandbox.stdout:
        assert time.monotonic() < deadline, f"no {text!r} in:\n{sandbox.stdout}\n{sandbox.stderr}"
        time.sleep(0.1)


def test_the_console_url_config_and_run_lines(tmp_path: Path) -> None:
    sandbox, _, http_port = _started(tmp_path)
    http = f"http://127.0.0.1:{http_port}"
    try:
        out = sandbox.stdout
        assert f"console: {http}/console\n" in out
        config_file = _printed_config(out, tmp_path / "config.yaml")
        assert yaml.safe_load(config_file.read_text())["console"]["endpoint"] == http

        # flytekit, configured from the printed file, links to the console on the HTTP side.
        remote = _remote(config_file)
        link = f"{http}/console/projects/{PROJECT}/domains/{DOMAIN}/executions/abc"
        assert remote.generate_console_url(WorkflowExecutionIdentifier(PROJECT, DOMAIN, "abc")) == link

        execution = remote.execute(remote.fetch_launch_plan(name=HELLO, version="s1"), inputs={"name": "lines"})
        name = execution.id.name
        page = f"{http}/console/projects/{PROJECT}/domains/{DOMAIN}/executions/{name}"
        assert remote.generate_console_url(execution) == page
        _wait_for(sandbox, f"{name} ({HELLO}) SUCCEEDED")
        lines = [line for line in sandbox.stdout.splitlines() if name in line]
        assert lines[0] == f"execution {PROJECT}/{DOMAIN}/{name} ({HELLO}) started {page}"
        assert lines[1].startswith(f"execution {PROJECT}/{DOMAIN}/{name} ({HELLO}) SUCCEEDED in ")
        assert lines[1].endswith(f"s {page}") and len(lines) == 2

        # An aborted execution's line says so, with the cause on the next line.
        waiting = remote.execute(remote.fetch_launch_plan(name=WAITS, version="s1"), inputs={})
        _wait_for(sandbox, f"{waiting.id.name} ({WAITS}) started")
        remote.terminate(waiting, cause="stopped by the test")
        _wait_for(sandbox, f"{waiting.id.name} ({WAITS}) ABORTED")
        after = sandbox.stdout.split(f"{waiting.id.name} ({WAITS}) ABORTED", 1)[1]
        assert after.splitlines()[1] == "  stopped by the test"
    finally:
        assert sandbox.stop() == 0, sandbox.stderr


def test_quiet_prints_no_run_lines(tmp_path: Path) -> None:
    sandbox, _, _ = _started(tmp_path, "--quiet")
    try:
        remote = _remote(_printed_config(sandbox.stdout, tmp_path / "config.yaml"))
        execution = remote.execute(remote.fetch_launch_plan(name=HELLO, version="s1"), inputs={"name": "q"})
        execution = remote.wait(execution, poll_interval=__import__("datetime").timedelta(seconds=0.2))
        assert execution.closure.phase == 4  # SUCCEEDED
    finally:
        assert sandbox.stop() == 0, sandbox.stderr
    assert execution.id.name not in sandbox.stdout
    assert not [line for line in sandbox.stdout.splitlines() if line.startswith("execution ")]


def test_flyteplane_for_sandbox_links_to_the_http_sides_console() -> None:
    from flyteidl.core import identifier_pb2

    from flyteplane.remote import FlyteRemote as PlaneRemote

    with PlaneRemote.for_sandbox(default_project=PROJECT, default_domain=DOMAIN) as remote:
        ident = identifier_pb2.WorkflowExecutionIdentifier(project=PROJECT, domain=DOMAIN, name="abc")
        assert remote.generate_console_url(ident) == (
            f"http://localhost:30002/console/projects/{PROJECT}/domains/{DOMAIN}/executions/abc"
        )
