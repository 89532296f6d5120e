"""Warm task processes: attempts of flytekit's entrypoints forked from a fork server keep Flyte's container contract.

Each attempt here is a real flytekit task run by ``pyflyte-execute`` (or ``pyflyte-fast-execute``) through the
engine's :func:`run_attempt`, warm (a :class:`WarmPool`) and cold (none), and reports what its process saw.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flyteidl.core import execution_pb2, literals_pb2, tasks_pb2, types_pb2

from flyteplane.admin import AdminServer
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine.environments import layered_venv
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.task_runner import Attempt, AttemptPaths, AttemptResult, ProcessTable, run_attempt
from flyteplane.admin.engine.warm_processes import WarmPlan, WarmPool, server_environment, warm_pool_for
from flyteplane.cli.main import _parser

PYTHON = sys.executable
RESOLVER = "flytekit.core.python_auto_container.default_task_resolver"

PROBE = """
import json, os, sys, tempfile, time
from flytekit import task

VERSION = {version}

@task
def probe(step: int) -> str:
    seen = {{
        "version": VERSION,
        "leaked_env": os.environ.get("LEAKED"),
        "leaked_module": "probe_leaky" in sys.modules,
        "leaked_attr": getattr(sys.modules["flytekit"], "_probe_leak", None),
        "cwd": os.getcwd(),
        "pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
        "argv": sys.argv, "orig_argv": sys.orig_argv, "path": sys.path, "executable": sys.executable,
        "env": dict(os.environ),
        "main": getattr(sys.modules["__main__"], "__file__", None),
        "module": __file__,
        "fds": sorted(os.listdir("/proc/self/fd")),
        "stdin": os.readlink("/proc/self/fd/0"),
        # flytekit imports pandas and pyarrow lazily: still lazy here, as in a cold start, and so none of the
        # transformers flytekit loads once they are imported
        "lazy": sorted(n for n, m in sys.modules.items() if type(m).__name__ == "_LazyModule"),
        "schema_types": "flytekit.types.schema" in sys.modules,
        "tempdir": tempfile.gettempdir(),
        "scratch_in": os.path.dirname(tempfile.mkdtemp(prefix="flyte")),  # as flytekit's setup_execution makes its
    }}
    print("probe says hello")
    # What a later attempt must not see.
    os.environ["LEAKED"] = "yes"
    sys.path.insert(0, os.path.dirname(__file__))
    import probe_leaky  # noqa: F401
    sys.modules["flytekit"]._probe_leak = step
    os.chdir("/")
    return json.dumps(seen)


@task
def sleeper(step: int) -> str:
    import subprocess
    child = subprocess.Popen(["sleep", "120"])
    with open(os.environ["PID_FILE"] + ".tmp", "w") as f:
        f.write(json.dumps({{"me": os.getpid(), "child": child.pid}}))
    os.replace(os.environ["PID_FILE"] + ".tmp", os.environ["PID_FILE"])
    time.sleep(120)
    return ""
"""


def _write_code(directory: Path, version: int = 1, name: str = "probe_tasks") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.py").write_text(PROBE.format(version=version))
    (directory / "probe_leaky.py").write_text("LEAK = 1\n")
    return directory


def _template(task_name: str, module: str = "probe_tasks", image: str = "img", fast: str | None = None) -> Any:
    template = tasks_pb2.TaskTemplate(type="python-task")
    template.id.name = task_name
    template.interface.outputs.variables["o0"].type.simple = types_pb2.STRING
    template.container.image = image
    args = ["pyflyte-execute", "--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}"]
    args += ["--raw-output-data-prefix", "{{.rawOutputDataPrefix}}", "--checkpoint-path", "{{.checkpointOutputPrefix}}"]
    args += ["--prev-checkpoint", "{{.prevCheckpointPrefix}}", "--resolver", RESOLVER, "--"]
    args += ["task-module", module, "task-name", task_name]
    if fast is not None:
        args = ["pyflyte-fast-execute", "--additional-distribution", fast, "--dest-dir", ".", "--", *args]
    template.container.args[:] = args
    return template


class Runner:
    """Runs attempts of one template under a work root, numbering them."""

    def __init__(self, root: Path, pool: WarmPool | None) -> None:
        self.root, self.pool, self.n = root, pool, 0
        self.inputs = literals_pb2.LiteralMap()
        self.inputs.literals["step"].scalar.primitive.integer = 1

    def attempt(
        self,
        template: Any,
        *,
        pythonpath: tuple[str, ...] = (),
        python: str = PYTHON,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        token: CancelToken | None = None,
        on_started: Any = None,
    ) -> tuple[AttemptResult, str]:
        self.n += 1
        base = self.root / f"a{self.n}"
        (base / "in").mkdir(parents=True)
        (base / "in" / "inputs.pb").write_bytes(self.inputs.SerializeToString())
        out = base / "out"
        paths = AttemptPaths(
            (base / "in" / "inputs.pb").as_uri(),
            (base / "in").as_uri(),
            out,
            out.as_uri(),
            str(base / "raw"),
            str(base / "raw" / "ck"),
            "",
            f"k{self.n}",
            base / "work",
            base / "attempt.log",
        )
        spec = Attempt(
            task=template,
            inputs=self.inputs,
            paths=paths,
            env={"FLYTE_INTERNAL_EXECUTION_ID": f"x{self.n}", "FLYTE_ATTEMPT_NUMBER": "0", **(env or {})},
            python=python,
            pythonpath=pythonpath,
            timeout=timeout,
            kill_grace=0.5,
            warm=self.pool,
        )
        result = run_attempt(spec, token or CancelToken(), on_started or (lambda _pid: None), ProcessTable(None))
        return result, paths.log_path.read_text()


def _seen(result: AttemptResult) -> dict[str, Any]:
    assert result.outcome == "succeeded", result.error
    assert result.outputs is not None
    return dict(json.loads(result.outputs.literals["o0"].scalar.primitive.string_value))


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmPool]:
    warm = WarmPool(tmp_path_factory.mktemp("warm"))
    yield warm
    warm.close()


# ----------------------------------------------------------------------------------------------------------------
# The contract


def test_an_attempt_sees_nothing_a_previous_attempt_left(pool: WarmPool, tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    runner = Runner(tmp_path / "runs", pool)
    first, log = runner.attempt(_template("probe"), pythonpath=(str(code),))
    seen = _seen(first)
    assert first.details["start"] == "warm"
    assert f"[flyteplane] warm start: forked from the fork server of {PYTHON}" in log.splitlines()[1]
    assert "probe says hello" in log  # stdout reaches the attempt's log
    _write_code(code, version=2)  # the user's module changes between attempts
    for _ in range(2):
        again = _seen(runner.attempt(_template("probe"), pythonpath=(str(code),))[0])
        assert again["version"] == 2  # a fresh import of the user's module, never the first attempt's
        assert again["leaked_env"] is None and again["leaked_module"] is False and again["leaked_attr"] is None
        assert again["cwd"] != seen["cwd"] and again["cwd"].startswith(str(tmp_path / "runs"))
        assert again["pid"] == again["pgid"] == again["sid"]  # its own session and process group
        assert again["stdin"] == os.devnull
    assert seen["module"] == str(code / "probe_tasks.py")
    # Its own temporary directory (flytekit's working directories go there), gone with the attempt, as a pod's /tmp
    assert Path(seen["tempdir"]).name == f".{Path(seen['cwd']).name}.tmp"
    assert seen["scratch_in"] == seen["tempdir"]
    assert not Path(seen["tempdir"]).exists()


def test_an_attempt_whose_temporary_directory_cannot_be_made_fails_as_a_system_error(tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    first = tmp_path / "runs" / "a1"
    first.mkdir(parents=True)
    (first / ".work.tmp").write_text("a file where the attempt's TMPDIR goes")
    (first / "attempt.log").write_text("")  # nothing starts, so nothing else writes it
    result, _log = Runner(tmp_path / "runs", None).attempt(_template("probe"), pythonpath=(str(code),))
    assert result.outcome == "failed" and result.error is not None
    assert result.error.code == "TempDirUnavailable" and "temporary directory" in result.error.message
    assert result.error.kind == execution_pb2.ExecutionError.SYSTEM
    assert (first / ".work.tmp").is_file()  # not the engine's to remove: it made no directory there


def test_a_warm_attempt_sees_what_a_cold_one_sees(pool: WarmPool, tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    warm = _seen(Runner(tmp_path / "warm", pool).attempt(_template("probe"), pythonpath=(str(code),))[0])
    cold_result, log = Runner(tmp_path / "cold", None).attempt(_template("probe"), pythonpath=(str(code),))
    cold = _seen(cold_result)
    assert cold_result.details["start"] == "cold" and "warm start" not in log

    def same(seen: dict[str, Any]) -> dict[str, Any]:
        root = str(tmp_path / ("warm" if seen is warm else "cold"))
        text = json.dumps({k: v for k, v in seen.items() if k not in ("pid", "pgid", "sid")})
        return dict(json.loads(text.replace(root, "<root>")))

    assert same(warm) == same(cold)  # argv, sys.path, environment, executable, __main__, open descriptors, and
    assert "pandas" in warm["lazy"]  # lazily imported modules are still lazy (the fork server never touched them)


def test_kill_and_timeout_end_the_whole_process_group(pool: WarmPool, tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    runner = Runner(tmp_path / "runs", pool)
    for how in ("cancel", "timeout"):
        pid_file = tmp_path / f"{how}.json"
        token = CancelToken()
        started: list[int] = []

        def cancel_when_running(pid_file: Path = pid_file, token: CancelToken = token, how: str = how) -> None:
            deadline = time.monotonic() + 60
            while not pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            if how == "cancel":
                token.cancel("stop it")

        watcher = threading.Thread(target=cancel_when_running, daemon=True)
        watcher.start()
        result, log = runner.attempt(
            _template("sleeper"),
            pythonpath=(str(code),),
            env={"PID_FILE": str(pid_file)},
            timeout=8.0 if how == "timeout" else None,
            token=token,
            on_started=started.append,
        )
        watcher.join()
        assert result.details["start"] == "warm" and "[flyteplane] killed: " in log
        assert result.outcome == ("aborted" if how == "cancel" else "timed_out")
        pids = json.loads(pid_file.read_text())
        assert started == [pids["me"]]  # the engine follows the child itself, which leads its group
        for pid in (pids["me"], pids["child"]):
            assert _gone(pid), f"{pid} survived the {how}"


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # dead, waiting for its parent to reap it
            return True
        time.sleep(0.05)
    return False


def test_fast_registered_code_is_unpacked_once_and_runs_as_pyflyte_fast_execute_runs_it(
    pool: WarmPool, tmp_path: Path
) -> None:
    source = _write_code(tmp_path / "src", name="fast_probe")
    tarball = tmp_path / "blobs" / "fastabc123.tar.gz"
    tarball.parent.mkdir()
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ("fast_probe.py", "probe_leaky.py"):
            tar.add(source / name, arcname=name)
    template = _template("probe", module="fast_probe", fast=str(tarball))
    runner = Runner(tmp_path / "warm", pool)
    first, log = runner.attempt(template)
    warm = _seen(first)
    assert "fast-registered code unpacked from the cache of fastabc123.tar.gz" in log
    again, log = runner.attempt(template)
    assert _seen(again)["module"] == str(Path(_seen(again)["cwd"]) / "fast_probe.py")
    assert len(list((pool.root / "dists").iterdir())) == 1  # unpacked once
    cold = _seen(Runner(tmp_path / "cold", None).attempt(template)[0])

    def same(seen: dict[str, Any], root: str) -> dict[str, Any]:
        keep = ("argv", "path", "env", "executable", "main", "module", "version")
        return dict(json.loads(json.dumps({k: seen[k] for k in keep}).replace(root, "<root>")))

    # flytekit's own pyflyte-fast-execute gives the same arguments, PYTHONPATH and code location.
    assert same(warm, str(tmp_path / "warm")) == same(cold, str(tmp_path / "cold"))
    assert "--dynamic-addl-distro" in warm["argv"] and warm["env"]["PYTHONPATH"].endswith(warm["cwd"])


def test_a_module_of_the_users_path_named_like_an_imported_one_starts_cold(pool: WarmPool, tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    (code / "click.py").write_text("raise SystemExit('the user click')\n")  # would shadow click in a fresh Python
    result, log = Runner(tmp_path / "runs", pool).attempt(_template("probe"), pythonpath=(str(code),))
    assert result.details["start"] == "cold"
    assert f"cold start: [{code / 'click.py'}] on the task's path has the name of a module" in log
    assert result.outcome == "failed" and "the user click" in result.error.message  # as a cold start runs it


# ----------------------------------------------------------------------------------------------------------------
# Environments


def test_servers_are_keyed_by_environment_bounded_and_replaced_when_it_changes(tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    venv = tmp_path / "venv"
    python = layered_venv(PYTHON, venv)
    pool = WarmPool(tmp_path / "warm", max_servers=1)
    try:
        runner = Runner(tmp_path / "runs", pool)
        assert _seen(runner.attempt(_template("probe"), python=python, pythonpath=(str(code),))[0])
        (first,) = pool.servers()
        assert first["python"] == python
        assert _seen(runner.attempt(_template("probe"), python=python, pythonpath=(str(code),))[0])
        assert pool.servers() == [first] and pool.servers_started == 1  # reused
        # Another image is another server; at most one runs.
        assert _seen(runner.attempt(_template("probe", image="other"), python=python, pythonpath=(str(code),))[0])
        assert pool.servers_started == 2 and [s["image"] for s in pool.servers()] == ["other"]
        # A package installed into the environment: its server is replaced.
        site = next(p for p in (venv / "lib").glob("python*/site-packages"))
        (site / "newly_installed").mkdir()
        seen = _seen(runner.attempt(_template("probe", image="other"), python=python, pythonpath=(str(code),))[0])
        assert pool.servers_started == 3 and seen["executable"] == python
        assert pool.warm_starts == 4 and pool.cold_starts == 0
    finally:
        pool.close()
    assert pool.servers() == []


def test_an_environment_without_flytekit_starts_cold_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    venv = tmp_path / "bare"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # A stand-in entrypoint of that environment that needs no flytekit: it writes no outputs, which succeeds.
    script = venv / "bin" / "pyflyte-execute"
    script.write_text(f"#!{python}\nimport sys\nprint('ran without flytekit', sys.argv[1:3])\n")
    script.chmod(0o755)
    template = _template("probe")
    template.interface.outputs.variables.clear()
    pool = WarmPool(tmp_path / "warm")
    try:
        runner = Runner(tmp_path / "runs", pool)
        with caplog.at_level(logging.WARNING, logger="flyteplane.admin.engine"):
            results = [runner.attempt(template, python=python) for _ in range(2)]
    finally:
        pool.close()
    for result, log in results:
        assert result.outcome == "succeeded" and result.details["start"] == "cold"
        assert "ran without flytekit" in log
        assert f"cold start: the fork server of interpreter {python}, image img cannot start" in log
        assert "importing flytekit failed: ModuleNotFoundError" in log
    warnings = [r.getMessage() for r in caplog.records if "fork server" in r.getMessage()]
    assert len(warnings) == 1 and python in warnings[0] and "img" in warnings[0]
    assert pool.cold_starts == 2 and pool.warm_starts == 0


def test_a_broken_interpreter_starts_cold_and_the_task_fails_with_its_own_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bin_dir = tmp_path / "broken" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("#!/bin/sh\necho 'this python is broken' >&2\nexit 7\n")
    python.chmod(0o755)
    script = bin_dir / "pyflyte-execute"
    script.write_text(f"#!{python}\n")
    script.chmod(0o755)
    pool = WarmPool(tmp_path / "warm")
    try:
        with caplog.at_level(logging.WARNING, logger="flyteplane.admin.engine"):
            result, log = Runner(tmp_path / "runs", pool).attempt(_template("probe"), python=str(python))
    finally:
        pool.close()
    (warning,) = [r.getMessage() for r in caplog.records if "fork server" in r.getMessage()]
    assert str(python) in warning and "this python is broken" in warning
    assert "cold start: the fork server of interpreter" in log and "it exited with code 7" in log
    assert result.outcome == "failed" and result.details["start"] == "cold"
    assert result.error is not None and "this python is broken" in result.error.message


def test_map_task_elements_fork_too(pool: WarmPool, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "mapped.py").write_text(
        "from flytekit import map_task, task, workflow\n\n\n@task\ndef inc(x: int) -> int:\n    return x + 1\n"
    )
    template = _template("inc", module="mapped")
    template.interface.outputs.variables["o0"].type.simple = types_pb2.INTEGER
    args = list(template.container.args)
    at = args.index("--resolver")
    args[0] = "pyflyte-map-execute"
    args[at + 1 :] = ["flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver", "--", "vars", "", "resolver"]
    args += [RESOLVER, "task-module", "mapped", "task-name", "inc"]
    template.container.args[:] = args
    runner = Runner(tmp_path / "runs", pool)
    runner.inputs = literals_pb2.LiteralMap()  # the whole array's inputs: each element picks its index
    items = runner.inputs.literals["x"].collection
    items.SetInParent()
    for value in (10, 20, 30):
        items.literals.add().scalar.primitive.integer = value
    for index, expected in enumerate((11, 21, 31)):
        env = {"BATCH_JOB_ARRAY_INDEX_VAR_NAME": "FLYTE_K8S_ARRAY_INDEX", "FLYTE_K8S_ARRAY_INDEX": str(index)}
        result, log = runner.attempt(template, pythonpath=(str(code),), env=env)
        assert result.outcome == "succeeded", (result.error, log)
        assert result.details["start"] == "warm"
        assert result.outputs is not None and result.outputs.literals["o0"].scalar.primitive.integer == expected


def test_other_commands_start_cold_as_always(pool: WarmPool, tmp_path: Path) -> None:
    template = _template("probe")
    template.interface.outputs.variables.clear()
    template.container.args[:] = [PYTHON, "-c", "print('plain python')"]
    before = (pool.warm_starts, pool.cold_starts)
    result, log = Runner(tmp_path / "runs", pool).attempt(template)
    assert result.outcome == "succeeded" and result.details["start"] == "cold"
    assert "plain python" in log and "[flyteplane]" not in log.splitlines()[1]
    assert (pool.warm_starts, pool.cold_starts) == before  # not an entrypoint: not counted as a fallback


def test_what_a_fork_server_starts_with() -> None:
    env = {
        "HOME": "/h",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": "/user",
        "FLYTE_INTERNAL_EXECUTION_ID": "abc",
        "FLYTE_ATTEMPT_NUMBER": "2",
        "_FSEC_GROUP_KEY": "s3cret",
        "MY_SECRET_VAR": "s3cret",
        "FLYTE_K8S_ARRAY_INDEX": "7",
        "FLYTE_SDK_LOGGING_LEVEL": "10",
    }
    assert server_environment(env, private=["MY_SECRET_VAR"]) == {
        "HOME": "/h",
        "PYTHONUNBUFFERED": "1",
        "FLYTE_SDK_LOGGING_LEVEL": "10",
        "FLYTE_INTERNAL_EXECUTION_ID": "fork-server",
    }


# ----------------------------------------------------------------------------------------------------------------
# Turning it off, and the engine


def test_warm_processes_can_be_turned_off(tmp_path: Path) -> None:
    assert warm_pool_for(AdminConfig(warm_processes=False), tmp_path, lambda _u: None) is None
    pool = warm_pool_for(AdminConfig(), tmp_path, lambda _u: None)
    assert isinstance(pool, WarmPool)
    pool.close()
    parsed = _parser().parse_args(["sandbox", "--in-memory", "--no-warm-processes"])
    assert parsed.no_warm_processes is True
    assert _parser().parse_args(["sandbox", "--in-memory"]).no_warm_processes is False


def test_the_engine_starts_flytekit_attempts_warm_and_counts_them(tmp_path: Path) -> None:
    code = _write_code(tmp_path / "code")
    config = AdminConfig(task_pythonpath=(str(code),))
    with AdminServer(config=config) as admin:
        assert admin.services is not None
        engine = admin.services.engine
        assert engine.warm is not None and engine.services.warm is engine.warm
        result, log = Runner(tmp_path / "runs", engine.warm).attempt(_template("probe"), pythonpath=(str(code),))
        assert _seen(result) and engine.warm.warm_starts == 1 and "warm start" in log
        server_pid = engine.warm.servers()[0]["pid"]
    # The admin stopped: so did its fork server.
    assert _gone(server_pid)
    with AdminServer(config=AdminConfig(warm_processes=False)) as admin:
        assert admin.services is not None and admin.services.engine.warm is None


def test_a_plan_is_only_made_for_flytekits_entrypoints_of_the_tasks_interpreter(pool: WarmPool, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    which = str(Path(PYTHON).parent / "pyflyte-execute")
    plan = pool.plan(which, ["pyflyte-execute", "--inputs", "x"], {"PATH": "/usr/bin"}, PYTHON, "img", work)
    assert isinstance(plan, WarmPlan) and plan.script == which
    assert pool.plan("/bin/echo", ["echo", "hi"], {}, PYTHON, "img", work) is None
    # The entrypoint of another interpreter: started cold, as that interpreter runs it.
    assert pool.plan(which, ["pyflyte-execute"], {}, "/usr/bin/python3", "img", work) is None
