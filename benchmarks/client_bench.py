"""Client benchmarks (issue "Client core"): import, construction, GetTask, a page of 100 tasks, first call, RSS,
install size. Every client runs in a fresh process of its own, against the admin running in another process.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

from _common import (
    PYTHON,
    REPO,
    ChildError,
    child_env,
    median,
    merge_blocks,
    run_child,
    temp_dir,
    version_of,
)
from _results import Results

IMPORT_KINDS = ("pass", "raw", "flyteplane", "flytekit")
GET_KINDS = ("raw", "flyteplane", "flyteplane-raw", "flytekit")
LIST_KINDS = ("raw", "flyteplane", "flytekit")
FIRST_KINDS = ("raw", "flyteplane", "flytekit")

IMPORT_STATEMENTS = {
    "pass": "pass",
    "raw": "import grpc; from flyteidl.service import admin_pb2_grpc",
    "flyteplane": "from flyteplane.clients.friendly import SynchronousFlyteClient",
    "flytekit": "from flytekit.clients.friendly import SynchronousFlyteClient",
}


def rotated(kinds: tuple[str, ...], r: int) -> list[str]:
    """The kinds in a different order each round, so no client always runs first (or right after flytekit)."""
    r %= len(kinds)
    return list(kinds[r:] + kinds[:r])


# --- import ------------------------------------------------------------------------------------------------------

_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( +)(\S+)\s*$")


def _importtime_toplevel(stderr: str) -> dict[str, int]:
    """Cumulative µs of every module imported at the top level (the statement's own imports, plus startup's)."""
    out: dict[str, int] = {}
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m and len(m.group(3)) == 1:
            out[m.group(4)] = out.get(m.group(4), 0) + int(m.group(2))
    return out


def importtime_ms(statement: str, startup: set[str]) -> float:
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", statement], capture_output=True, text=True, env=child_env(), timeout=120
    )
    if proc.returncode != 0:
        raise ChildError(f"-X importtime {statement!r} failed:\n{proc.stderr[-2000:]}")
    mods = _importtime_toplevel(proc.stderr)
    return sum(us for name, us in mods.items() if name not in startup) / 1e3


def bench_import(res: Results, r: int, runs: int) -> None:
    """Fresh processes, ``runs`` per kind, interleaved: in-process import time, -X importtime cumulative, process
    wall time (spawn to exit), RSS and module count after the import, and client construction."""
    startup_proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "pass"], capture_output=True, text=True, env=child_env()
    )
    startup = set(_importtime_toplevel(startup_proc.stderr))
    for kind in IMPORT_KINDS:  # warm: .pyc files written, page cache filled
        run_child(["import", kind])
    per: dict[str, dict[str, list[float]]] = {k: {} for k in IMPORT_KINDS}
    for _ in range(runs):
        for kind in rotated(IMPORT_KINDS, r):
            t0 = time.perf_counter()
            out = run_child(["import", kind])
            wall = (time.perf_counter() - t0) * 1e3
            out["proc_wall_ms"] = wall
            out["importtime_ms"] = importtime_ms(IMPORT_STATEMENTS[kind], startup)
            for key, value in out.items():
                per[kind].setdefault(key, []).append(float(value))
    for kind, values in per.items():
        for key, label, unit in (
            ("import_ms", "import, in-process", "ms"),
            ("importtime_ms", "import, -X importtime cumulative", "ms"),
            ("proc_wall_ms", "process wall (spawn, import, construct, exit)", "ms"),
            ("rss_import_mib", "RSS after import", "MiB"),
            ("modules", "modules loaded", "n"),
            ("config_import_ms", "import of PlatformConfig after the client", "ms"),
            ("construct_ms", "client construction", "ms"),
            ("rss_construct_mib", "RSS after construction", "MiB"),
        ):
            if key == "config_import_ms" and kind == "raw":
                continue
            if key in values:
                res.add(f"import.{kind}.{key}", label, unit, median(values[key]))
    for kind in ("flyteplane", "flytekit", "raw"):
        res.ratio_of_medians(f"import.{kind}.vs_flytekit", f"import.{kind}.import_ms", "import.flytekit.import_ms")


def block_ratios(res: Results, prefix: str, mine: list[dict], raw: list[dict]) -> None:
    """Median over blocks of (this client's block / the raw stub's block of the same index), for the median latency
    and the CPU per call: blocks of one index ran back to back, so drift of the shared machine cancels out."""
    for key in ("median_us", "cpu_us"):
        ratios = [a[key] / b[key] for a, b in zip(mine, raw, strict=True) if b[key]]
        if ratios:
            res.add(f"{prefix}.{key}.ratio", f"{prefix} {key} / raw (median over blocks)", "x", median(ratios))


# --- GetTask ------------------------------------------------------------------------------------------------------


def bench_gettask(res: Results, r: int, endpoint: str, count: int, calls: int, blocks: int) -> None:
    """``blocks`` fresh processes per client, alternating clients, ``calls / blocks`` timed calls each: drift of the
    shared machine then hits every client alike. The summary is over all the calls of a client in this round."""
    outs: dict[str, list[dict]] = {k: [] for k in GET_KINDS}
    per_block = max(1, calls // blocks)
    for b in range(blocks):
        for kind in rotated(GET_KINDS, r + b):
            outs[kind].append(run_child(["gettask", kind, endpoint, str(count), str(per_block)]))
    for kind in GET_KINDS:
        out = merge_blocks(outs[kind])
        for key, label, unit in (
            ("median_us", "GetTask median", "us"),
            ("p99_us", "GetTask p99", "us"),
            ("cpu_us", "GetTask client CPU / call", "us"),
            ("per_s", "GetTask calls/s, 1 thread", "/s"),
        ):
            res.add(f"get.{kind}.{key}", label, unit, out[key])
    for kind in ("flyteplane", "flyteplane-raw", "flytekit"):
        block_ratios(res, f"get.{kind}", outs[kind], outs["raw"])
        res.ratio_this_round(f"get.{kind}.p99_us.ratio", f"get.{kind}.p99_us", "get.raw.p99_us")


# --- ListTasks(100) -------------------------------------------------------------------------------------------------


def bench_listtasks(res: Results, r: int, endpoint: str, calls: int, blocks: int) -> None:
    variants = [(kind, touching) for kind in LIST_KINDS for touching in ("0", "1")]
    outs: dict[tuple[str, str], list[dict]] = {v: [] for v in variants}
    per_block = max(1, calls // blocks)
    for b in range(blocks):
        for kind, touching in rotated(tuple(variants), 2 * r + b):
            out = run_child(["listtasks", kind, endpoint, str(per_block), touching])
            if out["page_size"] != 100:
                raise ChildError(f"ListTasks(limit=100) returned {out['page_size']} tasks for {kind}")
            outs[(kind, touching)].append(out)
    for (kind, touching), block_outs in outs.items():
        out = merge_blocks(block_outs)
        tag = "touched" if touching == "1" else "bare"
        for key, label, unit in (
            ("median_us", "ListTasks(100) median", "us"),
            ("p99_us", "ListTasks(100) p99", "us"),
            ("cpu_us", "ListTasks(100) client CPU / page", "us"),
        ):
            res.add(f"list.{kind}.{tag}.{key}", label, unit, out[key])
    for kind in ("flyteplane", "flytekit"):
        for tag, touching in (("bare", "0"), ("touched", "1")):
            block_ratios(res, f"list.{kind}.{tag}", outs[(kind, touching)], outs[("raw", touching)])
            res.ratio_this_round(
                f"list.{kind}.{tag}.p99_us.ratio", f"list.{kind}.{tag}.p99_us", f"list.raw.{tag}.p99_us"
            )


# --- first call -----------------------------------------------------------------------------------------------------


def bench_firstcall(res: Results, r: int, endpoint: str, runs: int, count: int) -> None:
    per: dict[str, dict[str, list[float]]] = {k: {} for k in FIRST_KINDS}
    for j in range(runs):
        for kind in rotated(FIRST_KINDS, r + j):
            version = version_of((r * runs + j) * 2 % (count - 1))
            out = run_child(["firstcall", kind, endpoint, version])
            for key, value in out.items():
                per[kind].setdefault(key, []).append(float(value))
    for kind, values in per.items():
        for key, label, unit in (
            ("construct_ms", "construction", "ms"),
            ("first_call_ms", "first get_task after construction", "ms"),
            ("second_call_ms", "second get_task", "ms"),
            ("rss_after_first_call_mib", "RSS after construction + first call", "MiB"),
        ):
            res.add(f"first.{kind}.{key}", label, unit, median(values[key]))
    for kind in ("flyteplane", "flytekit"):
        res.ratio_this_round(
            f"first.{kind}.first_call_ms.ratio", f"first.{kind}.first_call_ms", "first.raw.first_call_ms"
        )


# --- install ------------------------------------------------------------------------------------------------------


def bench_install(res: Results) -> None:
    """A fresh venv, ``pip install /work/main`` (no extras), count the distributions. Slow: needs the network."""
    with temp_dir("flyteplane-install-") as d:
        env_dir = d / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        py = env_dir / "bin" / "python"
        # A clean copy of the project: building in place would leave build/ and egg-info in the repository.
        source = d / "src-copy"
        shutil.copytree(
            REPO,
            source,
            ignore=shutil.ignore_patterns(
                ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", ".venv", "venv"
            ),
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise ChildError(f"pip install {REPO} failed:\n{proc.stderr[-3000:]}")
        frozen = subprocess.run(
            [str(py), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        dists = sorted(
            line for line in frozen if line.split("==")[0].lower() not in ("pip", "setuptools", "wheel") and line
        )
        site = next((env_dir / "lib").glob("python*/site-packages"))
        size = _tree_mib(site, exclude=("pip", "setuptools", "wheel", "_distutils_hack", "pkg_resources"))
        res.add("install.dists", "distributions (pip list, without pip/setuptools/wheel)", "n", len(dists))
        res.add("install.size_mib", "site-packages without pip/setuptools", "MiB", size)
        res.add("install.seconds", "pip install wall time", "s", seconds)
        res.notes["install.dists"] = ", ".join(dists)
        # The import in a client-only environment (no flytekit next to it on sys.path).
        walls = []
        for _ in range(5):
            out = subprocess.run(
                [
                    str(py),
                    "-c",
                    "import time; t=time.perf_counter(); "
                    "from flyteplane.clients.friendly import SynchronousFlyteClient; "
                    "print((time.perf_counter()-t)*1e3)",
                ],
                capture_output=True,
                text=True,
                env=child_env(),
            )
            if out.returncode != 0:
                raise ChildError(f"import in the client-only venv failed:\n{out.stderr[-2000:]}")
            walls.append(float(out.stdout.split()[-1]))
        res.add(
            "install.import_ms", "import in the client-only venv (median of 5 after 1 warm)", "ms", median(walls[1:])
        )


def _tree_mib(root: Path, exclude: tuple[str, ...]) -> float:
    total = 0
    for child in root.iterdir():
        name = child.name.split("-")[0].lower()
        if name in exclude or child.name.lower().startswith(exclude):
            continue
        if child.is_file():
            total += child.stat().st_size
        else:
            total += sum(p.stat().st_size for p in child.rglob("*") if p.is_file())
    return total / 1024 / 1024


if __name__ == "__main__":
    sys.exit("run benchmarks/run.py")
