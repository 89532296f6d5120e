"""The daily commands (``get``, ``logs``, ``launch``, ``terminate``, ``relaunch``, ``create project``) against a real
embedded admin that runs the tasks (flytekit's ``pyflyte-execute``), with flytekit registering the workflows.

Most commands run in-process (``main([...])``, output captured); the ones whose process matters run as
``python -m flyteplane``: the error paths (no traceback may reach the terminal) and ``logs -f`` (read as it prints).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flytekit.configuration import Config, ImageConfig, SerializationSettings
from flytekit.remote import FlyteRemote

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.cli.main import main
from tests.cli import cli_workflows as wf

REPO = Path(__file__).resolve().parents[2]
PROJECT, DOMAIN = "flytesnacks", "development"
VERSION = "c1"
HELLO = "tests.cli.cli_workflows.hello"
TALK = "tests.cli.cli_workflows.talk"
EVERYTHING = "tests.cli.cli_workflows.everything"
WAITS = "tests.cli.cli_workflows.waits"
GREET = "tests.cli.cli_workflows.greet"
BREAKS = "tests.cli.cli_workflows.breaks"


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    config = AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),))
    with AdminServer(config=config) as server:
        yield server


@pytest.fixture(scope="module")
def config_file(admin: AdminServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flytectl config naming the admin, as a user keeps it in ``~/.flyte/config.yaml``."""
    path = tmp_path_factory.mktemp("cli") / "config.yaml"
    path.write_text(
        f"admin:\n  endpoint: dns:///{admin.endpoint}\n  insecure: true\nconsole:\n  endpoint: {admin.http_endpoint}\n"
    )
    return path


@pytest.fixture(scope="module")
def registered(admin: AdminServer) -> None:
    """The test workflows (and their default launch plans), registered by flytekit."""
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project=PROJECT, domain=DOMAIN, version=VERSION
    )
    for workflow in (wf.hello, wf.talk, wf.everything, wf.waits, wf.breaks):
        remote.register_workflow(workflow, serialization_settings=settings, version=VERSION)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "GRPC_"))}


@pytest.fixture(autouse=True)
def _no_flyte_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FLYTE"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> tuple[int, str, str]:
    """``flyteplane ARGV --config CONFIG`` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main([*argv, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(config: Path | None, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m flyteplane ARGV`` as a user runs it."""
    extra = ["--config", str(config)] if config is not None else []
    return subprocess.run(
        [sys.executable, "-m", "flyteplane", *argv, *extra],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=timeout,
    )


def launch(capsys: pytest.CaptureFixture[str], config: Path, plan: str, *args: str) -> str:
    """Launch ``plan``; the execution's name."""
    code, out, err = run(capsys, config, "launch", plan, *args)
    assert code == 0, err
    name = out.split("execution ", 1)[1].split(" ", 1)[0]
    return name


def wait_phase(capsys: pytest.CaptureFixture[str], config: Path, name: str, phases: set[str]) -> dict:
    deadline = time.monotonic() + 120
    while True:
        code, out, err = run(capsys, config, "get", "execution", name, "-o", "json")
        assert code == 0, err
        execution = json.loads(out)
        if execution["closure"]["phase"] in phases:
            return execution
        assert time.monotonic() < deadline, execution["closure"]["phase"]
        time.sleep(0.2)


# --- the command itself --------------------------------------------------------------------------------------------


def test_python_m_flyteplane_shows_the_commands() -> None:
    result = run_process(None, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("sandbox", "get", "logs", "launch", "terminate", "relaunch", "create"):
        assert command in result.stdout
    result = run_process(None, "get", "--help")
    assert result.returncode == 0 and "executions" in result.stdout


# --- projects ------------------------------------------------------------------------------------------------------


def test_create_project_then_get_it_as_table_json_and_yaml(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    code, out, err = run(capsys, config_file, "create", "project", "cliproj", "--name", "CLI", "--description", "mine")
    assert (code, out, err) == (0, "project cliproj created\n", "")

    code, out, _ = run(capsys, config_file, "get", "projects", "-o", "json")
    projects = json.loads(out)
    assert code == 0 and isinstance(projects, list)  # several projects: an array, as flytectl prints them
    mine = next(p for p in projects if p["id"] == "cliproj")
    assert mine["name"] == "CLI" and mine["description"] == "mine"
    assert [d["id"] for d in mine["domains"]] == ["development", "staging", "production"]

    code, out, _ = run(capsys, config_file, "get", "project", "cliproj", "-o", "yaml")
    one = yaml.safe_load(out)
    assert code == 0 and one["id"] == "cliproj" and one["name"] == "CLI"  # one message: an object

    code, out, _ = run(capsys, config_file, "get", "projects")
    assert code == 0
    assert "cliproj" in out and "ACTIVE" in out and "flytesnacks" in out
    assert out.rstrip().endswith("rows")

    code, _, err = run(capsys, config_file, "create", "project", "cliproj")
    assert code == 1 and err.startswith("flyteplane create project: ") and err.count("\n") == 1


# --- tasks, workflows, launch plans ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("registered")
def test_get_tasks_workflows_and_launch_plans(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, out, _ = run(capsys, config_file, "get", "tasks", "-o", "json")
    names = {t["id"]["name"] for t in json.loads(out)}
    assert code == 0 and {GREET, "tests.cli.cli_workflows.chatty"} <= names

    code, out, _ = run(capsys, config_file, "get", "task", GREET, "--version", VERSION, "-o", "json")
    task = json.loads(out)
    assert task["id"] == {
        "resourceType": "TASK",
        "project": PROJECT,
        "domain": DOMAIN,
        "name": GREET,
        "version": VERSION,
    }
    assert task["closure"]["compiledTask"]["template"]["interface"]["inputs"]["variables"]["name"]

    code, out, _ = run(capsys, config_file, "get", "workflows", HELLO, "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)["id"]["name"] == HELLO

    code, out, _ = run(capsys, config_file, "get", "launchplans")
    assert code == 0 and HELLO in out and "ACTIVE" not in out.split(HELLO)[0].splitlines()[-1]
    code, out, _ = run(capsys, config_file, "get", "launchplan", HELLO, "-o", "json")
    assert code == 0 and json.loads(out)["spec"]["defaultInputs"]["parameters"]["name"]

    code, _, err = run(capsys, config_file, "get", "task", "no.such.task")
    assert code == 1 and err == f"flyteplane get tasks: no task named no.such.task in {PROJECT}/{DOMAIN}\n"
    code, _, err = run(capsys, config_file, "get", "tasks", "--version", "v")
    assert code == 2 and err == "flyteplane get tasks: --version needs a NAME\n"


# --- launch, executions, details -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("registered")
def test_launch_with_inputs_waits_and_the_execution_is_listed(
    capsys: pytest.CaptureFixture[str], config_file: Path, admin: AdminServer
) -> None:
    code, out, err = run(capsys, config_file, "launch", HELLO, "--input", "name=cli", "--wait")
    assert code == 0, err
    name = out.split("execution ", 1)[1].split(" ", 1)[0]
    console = f"{admin.http_endpoint}/console/projects/{PROJECT}/domains/{DOMAIN}/executions/{name}"
    assert f"execution {name} started: {console}\n" in out
    assert f"execution {name} SUCCEEDED\n" in out

    code, out, _ = run(capsys, config_file, "get", "execution", name, "-o", "json")
    execution = json.loads(out)
    assert code == 0 and execution["id"]["name"] == name and execution["closure"]["phase"] == "SUCCEEDED"
    assert execution["spec"]["launchPlan"]["name"] == HELLO

    code, out, _ = run(capsys, config_file, "get", "executions", "-o", "yaml", "--limit", "50")
    listed = yaml.safe_load(out)
    listed = listed if isinstance(listed, list) else [listed]
    assert code == 0 and name in [e["id"]["name"] for e in listed]

    code, out, _ = run(capsys, config_file, "get", "executions")
    row = next(line for line in out.splitlines() if name in line)
    assert HELLO in row and "SUCCEEDED" in row


@pytest.mark.usefixtures("registered")
def test_launch_wait_of_a_failing_execution_exits_1_with_its_error(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    code, out, err = run(capsys, config_file, "launch", BREAKS, "-i", "x=7", "--wait")
    assert code == 1
    name = out.split("execution ", 1)[1].split(" ", 1)[0]
    assert f"execution {name} FAILED\n" in out
    assert "refusing 7" in err and "Traceback" not in err.split("refusing 7")[0].splitlines()[0]

    code, out, _ = run(capsys, config_file, "get", "executions", "--limit", "1")
    row = next(line for line in out.splitlines() if name in line)
    assert code == 0 and "FAILED" in row and "Trace: Traceback (most recent call last):" in row


@pytest.mark.usefixtures("registered")
def test_launch_refuses_bad_inputs_before_sending_anything(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    cases = {
        ("--input", "name"): "flyteplane launch: --input takes NAME=VALUE, not [name]\n",
        ("--input", "nope=1"): f"flyteplane launch: launch plan {HELLO} has no input nope (its inputs: name)\n",
    }
    for args, message in cases.items():
        assert run(capsys, config_file, "launch", HELLO, *args) == (2, "", message)
    code, _, err = run(capsys, config_file, "launch", TALK, "--input", "lines=many")
    assert code == 2 and err.startswith("flyteplane launch: --input lines=many: expected an integer for ")
    code, _, err = run(capsys, config_file, "launch", TALK, "--input", "pause=slow")
    assert code == 2 and "expected a number" in err
    code, _, err = run(capsys, config_file, "launch", EVERYTHING, "--input", "xs=[1,")
    assert code == 2 and "expected JSON" in err
    code, _, err = run(capsys, config_file, "launch", EVERYTHING, "--input", 'xs=["a"]')
    assert code == 1 and err.startswith("flyteplane launch: ") and "xs" in err and err.count("\n") == 1


@pytest.mark.usefixtures("registered")
def test_get_execution_details_shows_map_elements_dynamic_and_sub_workflow_children(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    code, out, err = run(capsys, config_file, "launch", EVERYTHING, "--input", "xs=[1, 2, 3]", "--wait")
    assert code == 0, err
    name = out.split("execution ", 1)[1].split(" ", 1)[0]

    code, out, err = run(capsys, config_file, "get", "execution", name, "--details", "-o", "json")
    assert code == 0, err
    nodes = {n["node_exec"]["id"]["nodeId"]: n for n in json.loads(out)}
    assert set(nodes) == {"n0", "n1", "n2"}
    (array_attempt,) = nodes["n0"]["task_execs"]
    elements = array_attempt["closure"]["metadata"]["externalResources"]
    assert sorted(e.get("index", 0) for e in elements) == [0, 1, 2]
    assert nodes["n1"]["node_exec"]["metadata"]["isDynamic"]
    assert len(nodes["n1"]["child_nodes"]) >= 2  # the dynamic workflow's square nodes
    assert [c["node_exec"]["metadata"]["specNodeId"] for c in nodes["n2"]["child_nodes"]] == ["n0"]

    code, out, _ = run(capsys, config_file, "get", "execution", name, "--details")
    assert code == 0
    assert f"execution {name} SUCCEEDED" in out
    for text in ("node n0", "element 0", "element 2", "node n1", "dynamic", "node n2", "attempt 0"):
        assert text in out, out
    code, _, err = run(capsys, config_file, "get", "executions", "--details")
    assert code == 2 and err == "flyteplane get executions: --details needs an execution NAME\n"

    # The logs of a node are its own and those of the nodes under it; a map task's are its elements'.
    code, out, err = run(capsys, config_file, "logs", name, "--node", "n1")
    assert code == 0 and "== node n1 attempt 0" in err
    dynamic_children = {c["node_exec"]["id"]["nodeId"] for c in nodes["n1"]["child_nodes"]}
    assert all(f"== node {child} attempt 0" in err for child in dynamic_children), err
    assert "== node n0" not in err and "== node n2" not in err
    code, out, err = run(capsys, config_file, "logs", name, "--node", "n0")
    assert code == 0 and all(f"== node n0 attempt 0 element {i}" in err for i in range(3)), err


# --- logs ----------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("registered")
def test_logs_print_a_finished_tasks_output(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    code, out, err = run(capsys, config_file, "launch", TALK, "-i", "lines=3", "-i", "pause=0", "--wait")
    assert code == 0, err
    name = out.split("execution ", 1)[1].split(" ", 1)[0]
    code, out, err = run(capsys, config_file, "logs", name)
    assert code == 0, err
    assert [line for line in out.splitlines() if line.startswith("chatty")] == [f"chatty line {i}" for i in range(3)]
    assert err.startswith("== node n0 attempt 0")
    code, out, err = run(capsys, config_file, "logs", name, "--node", "n0")
    assert code == 0 and "chatty line 2" in out
    code, out, err = run(capsys, config_file, "logs", name, "--node", "n9")
    assert (code, out, err) == (1, "", f"flyteplane logs: execution {name} has no node n9\n")


@pytest.mark.usefixtures("registered")
def test_logs_follow_prints_a_running_tasks_lines_as_they_come(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    name = launch(capsys, config_file, TALK, "-i", "lines=8", "-i", "pause=0.6")
    process = subprocess.Popen(
        [sys.executable, "-m", "flyteplane", "logs", name, "-f", "--config", str(config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
    )
    try:
        assert process.stdout is not None
        first = ""
        while not first.startswith("chatty line"):
            first = process.stdout.readline()
            assert first, process.stderr.read() if process.stderr else ""
        # The first line arrived while the task was still printing the others.
        code, out, _ = run(capsys, config_file, "get", "execution", name, "-o", "json")
        assert code == 0 and json.loads(out)["closure"]["phase"] in ("QUEUED", "RUNNING")
        # Not communicate(): it reads the pipe itself and would lose what readline() already buffered.
        rest = process.stdout.read()
        err = process.stderr.read() if process.stderr else ""
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    chatty = [line for line in (first + rest).splitlines() if line.startswith("chatty line")]
    assert chatty == [f"chatty line {i}" for i in range(8)]  # every line once: nothing repeated, nothing lost
    assert "Traceback" not in err


# --- terminate, relaunch -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("registered")
def test_terminate_aborts_a_running_execution(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    name = launch(capsys, config_file, WAITS)
    wait_phase(capsys, config_file, name, {"RUNNING"})
    code, out, err = run(capsys, config_file, "terminate", name, "--cause", "enough")
    assert (code, out, err) == (0, f"execution {name} terminated\n", "")
    execution = wait_phase(capsys, config_file, name, {"ABORTED", "FAILED", "SUCCEEDED"})
    assert execution["closure"]["phase"] == "ABORTED"
    assert execution["closure"]["abortMetadata"]["cause"] == "enough"


@pytest.mark.usefixtures("registered")
def test_relaunch_runs_an_execution_again(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    first = launch(capsys, config_file, HELLO, "-i", "name=again")
    code, out, err = run(capsys, config_file, "relaunch", first)
    assert code == 0, err
    second = out.split("execution ", 1)[1].split(" ", 1)[0]
    assert second != first and f"(relaunch of {first})" in out
    relaunched = wait_phase(capsys, config_file, second, {"SUCCEEDED", "FAILED"})
    assert relaunched["closure"]["phase"] == "SUCCEEDED"
    assert relaunched["spec"]["metadata"]["mode"] == "RELAUNCH"


# --- errors: one line on stderr, a non-zero exit, no traceback -----------------------------------------------------


def test_an_unknown_execution_is_one_message_and_exit_1(config_file: Path) -> None:
    for argv in (("get", "execution", "nosuchexec"), ("logs", "nosuchexec"), ("terminate", "nosuchexec")):
        result = run_process(config_file, *argv)
        assert result.returncode == 1, result
        assert result.stdout == ""
        assert result.stderr.startswith(f"flyteplane {argv[0]}")
        assert "nosuchexec" in result.stderr and "not" in result.stderr.lower()
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_an_unknown_launch_plan_is_one_message_and_exit_1(config_file: Path) -> None:
    result = run_process(config_file, "launch", "no.such.plan")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("flyteplane launch: ") and "no.such.plan" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_an_unreachable_admin_is_one_message_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("admin:\n  endpoint: dns:///127.0.0.1:1\n  insecure: true\n")
    result = run_process(config, "get", "executions")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("flyteplane get executions: the admin cannot be reached: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_missing_config_file_is_one_message_and_exit_1(tmp_path: Path) -> None:
    result = run_process(tmp_path / "absent.yaml", "get", "projects")
    assert result.returncode == 1 and "absent.yaml" in result.stderr and "Traceback" not in result.stderr


def test_project_and_domain_come_from_the_config_then_the_flags(
    capsys: pytest.CaptureFixture[str], config_file: Path, tmp_path: Path
) -> None:
    scoped = tmp_path / "scoped.yaml"
    scoped.write_text(config_file.read_text() + "project: cliscope\ndomain: staging\n")
    code, _, err = run(capsys, config_file, "create", "project", "cliscope")
    assert code == 0, err
    code, out, err = run(capsys, scoped, "get", "executions", "-o", "json")
    assert (code, out.strip()) == (0, "[]"), err  # nothing ran in cliscope/staging
    code, _, err = run(capsys, scoped, "get", "task", "t")
    assert code == 1 and err == "flyteplane get tasks: no task named t in cliscope/staging\n"
    code, _, err = run(capsys, scoped, "get", "task", "t", "-p", PROJECT, "-d", "production")
    assert code == 1 and err == f"flyteplane get tasks: no task named t in {PROJECT}/production\n"
