"""Run flytesnacks' examples with plain ``pyflyte run`` and with ``pyflyte run --remote`` against
``flyteplane sandbox``, and count where the two agree.

    python benchmarks/yardsticks/flytesnacks.py /path/to/flytesnacks-checkout [--src SRC] [--port 30090]
        [--dirs advanced_composition,development_lifecycle,...] [-k SUBSTRING] [--jobs N] [--json FILE]

The checkout is not part of this repository (fetch flyteorg/flytesnacks); nothing of it is copied here. Every
workflow (and eager workflow) an example module defines is run twice, locally and then on the sandbox
(fast-registered, ``--wait``), with a plain value of its type for each input without a default (3 for an int, a
list of three, a dataclass of such values...); one whose inputs cannot be made up (a file, a tensor) is not run.
An example *agrees* when it succeeds on both; it *regresses* when it succeeds locally and fails on the sandbox.
An example whose local run fails (a missing plugin or credentials, a gate waiting for input on a terminal) is listed
apart and not run on the sandbox: it says nothing about the sandbox.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox import REPO, sandbox, source_env  # type: ignore[import-not-found]

DEFAULT_DIRS = (
    "basics",
    "advanced_composition",
    "data_types_and_io",
    "development_lifecycle",
    "extending",
    "sql_plugin",
    "sensor",
    "productionizing",
)
_RUN_TIMEOUT = 600

# Lists the runnable entities of one module: workflows and eager workflows it defines, each with command-line values
# made up for the inputs that have no default (a plain value of the input's type), or why none can be made.
_DISCOVER = textwrap.dedent(
    """
    import dataclasses, datetime, enum, importlib, json, sys, typing
    from flytekit.core.workflow import WorkflowBase
    from flytekit.core.base_task import PythonTask

    class NoValue(Exception):
        pass

    def value_of(t):
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Annotated:
            return value_of(args[0])
        if origin is typing.Union and type(None) in args:
            return value_of(next(a for a in args if a is not type(None)))
        if t is bool:
            return True
        if t is int:
            return 3
        if t is float:
            return 2.5
        if t is str:
            return "hello"
        if t is datetime.datetime:
            return "2026-12-07T10:00:00"
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return next(iter(t)).value
        if origin in (list, typing.List):
            return [value_of(args[0]) for _ in range(3)]
        if origin in (dict, typing.Dict) and args and args[0] is str:
            return {"a": value_of(args[1])}
        if dataclasses.is_dataclass(t):
            return {f.name: value_of(f.type) for f in dataclasses.fields(t)}
        fields = getattr(t, "model_fields", None)
        if fields is not None:
            return {name: value_of(f.annotation) for name, f in fields.items()}
        raise NoValue(getattr(t, "__name__", str(t)))

    def text_of(value):
        return value if isinstance(value, str) else json.dumps(value)

    mod = importlib.import_module(sys.argv[1])
    found = []
    for attr, value in vars(mod).items():
        eager = isinstance(value, PythonTask) and "Eager" in type(value).__name__
        if not (isinstance(value, WorkflowBase) or eager):
            continue
        if not value.name.startswith(sys.argv[1] + "."):
            continue
        iface = value.python_interface
        args, missing = [], []
        for name, t in iface.inputs.items():
            if name in iface.default_inputs_as_kwargs:
                continue
            try:
                args += ["--" + name, text_of(value_of(t))]
            except NoValue as e:
                missing.append(f"{name}: {e}")
        found.append({"attr": attr, "args": args, "missing": missing})
    print(json.dumps(found))
    """
)


@dataclass
class Outcome:
    example: str
    """``<project>/<module path>:<workflow>``"""
    local_ok: bool
    remote_ok: bool | None
    detail: str = ""

    @property
    def verdict(self) -> str:
        if not self.local_ok:
            return "local-fails"
        return "agrees" if self.remote_ok else "regresses"


def _pyflyte() -> str:
    return str(Path(sys.executable).parent / "pyflyte")


def _discover(project: Path, module_file: Path, env: dict[str, str]) -> list[dict[str, object]]:
    module = ".".join(module_file.relative_to(project).with_suffix("").parts)
    proc = subprocess.run(
        [sys.executable, "-c", _DISCOVER, module], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        return [{"attr": "<import>", "args": [], "missing": [], "error": proc.stderr.strip().splitlines()[-1:]}]
    found: list[dict[str, object]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[bool, str]:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=_RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {_RUN_TIMEOUT}s"
    out = proc.stdout + proc.stderr
    ok = proc.returncode == 0 and "FAILED" not in proc.stdout and "ABORTED" not in proc.stdout
    return ok, _tail(out)


def _one(project: Path, module_file: Path, attr: str, args: list[str], config: Path, env: dict[str, str]) -> Outcome:
    rel = module_file.relative_to(project).as_posix()
    name = f"{project.name}/{rel}:{attr}"
    local_ok, local_detail = _run([_pyflyte(), "run", rel, attr, *args], project, env)
    if not local_ok:  # says nothing about the sandbox (and a gate waiting for input would wait out the timeout)
        return Outcome(name, local_ok, None, local_detail)
    remote_ok, remote_detail = _run(
        [_pyflyte(), "--config", str(config), "run", "--remote", "--wait", rel, attr, *args], project, env
    )
    detail = remote_detail if local_ok and not remote_ok else (local_detail if not local_ok else "")
    return Outcome(name, local_ok, remote_ok, detail)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkout", type=Path, help="a flytesnacks source checkout")
    p.add_argument("--src", type=Path, default=REPO / "src", help="the flyteplane sources the sandbox runs")
    p.add_argument("--port", type=int, default=30090)
    p.add_argument("--dirs", default=",".join(DEFAULT_DIRS), help="example projects under examples/, comma-separated")
    p.add_argument("-k", default="", help="only examples whose name contains this")
    p.add_argument("--jobs", type=int, default=2, help="examples run at once")
    p.add_argument("--json", type=Path, help="write every outcome here")
    args = p.parse_args(argv)

    env = source_env(args.src)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    jobs: list[tuple[Path, Path, str, list[str]]] = []
    skipped: list[str] = []
    for d in args.dirs.split(","):
        project = args.checkout / "examples" / d
        for module_file in sorted((project / d).glob("*.py")):
            if module_file.name.startswith("_"):
                continue
            for entity in _discover(project, module_file, env):
                name = f"{d}/{module_file.relative_to(project).as_posix()}:{entity['attr']}"
                if args.k and args.k not in name:
                    continue
                if entity.get("error") or entity["missing"]:
                    skipped.append(f"{name} ({entity.get('error') or 'no value for ' + str(entity['missing'])})")
                    continue
                jobs.append((project, module_file, str(entity["attr"]), list(entity["args"])))  # type: ignore[arg-type]

    with (
        tempfile.TemporaryDirectory(prefix="flyteplane-flytesnacks-") as tmp,
        sandbox(args.src, args.port, Path(tmp)) as running,
        ThreadPoolExecutor(max(1, args.jobs)) as pool,
    ):
        outcomes = list(pool.map(lambda j: _one(*j, running.config, env), jobs))

    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.verdict] = counts.get(o.verdict, 0) + 1
        mark = {"agrees": "ok  ", "regresses": "FAIL", "local-fails": "n/a "}[o.verdict]
        print(f"{mark} {o.example}  {o.detail if o.verdict != 'agrees' else ''}".rstrip())
    for s in skipped:
        print(f"skip {s}")
    runnable = counts.get("agrees", 0) + counts.get("regresses", 0)
    print(
        f"flytesnacks: {counts.get('agrees', 0)} of {runnable} examples that succeed locally succeed on the sandbox; "
        f"{counts.get('local-fails', 0)} fail locally (not run on the sandbox); {len(skipped)} not run "
        f"(sandbox: {args.src})"
    )
    if args.json:
        args.json.write_text(json.dumps([asdict(o) | {"verdict": o.verdict} for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
