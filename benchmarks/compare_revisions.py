"""Measure the same benchmarks on two revisions of flyteplane, side by side in one run, as ratios.

    python benchmarks/compare_revisions.py BASE_REV                       # HEAD's tree against BASE_REV's
    python benchmarks/compare_revisions.py 4b88e4e --rounds 5 --only startup admin_calls

A refactor is judged by "no worse than before"; on a noisy machine that means both revisions measured in the same
run, alternately. BASE_REV is checked out (``git worktree``) into a temporary directory; each round runs
``benchmarks/run.py --only ... --rounds 1`` of *this* checkout once per revision (the order alternates between
rounds), with ``PYTHONPATH`` pointing the admin and the clients it spawns at that revision's ``src``. The harness
is the same for both, only the measured code differs. The report shows each metric's median over rounds per
revision and the median of the per-round ratios (new / base): below 1 is faster for times, above 1 for rates.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The numbers the issue "Admin architecture" holds to "no worse than before".
DEFAULT_ONLY = ("startup", "throughput", "listtasks", "exec_latency", "admin_calls")
# Which metrics to show, by key prefix, and whether a larger value is better.
# GetTask throughput is shown as the harness measures it, against bare_server.py in the same window (``tp.*.ratio``:
# admin / bare answered per second; ``tp.*.cpu_ratio``: admin / bare server CPU per call): a window's absolute rate
# moves with the machine's load by more than the difference looked for.
SHOWN = {
    "startup.total_ms": False,
    "startup.start_ms": False,
    "tp.1x1.ratio": True,
    "tp.8x1.ratio": True,
    "tp.8x8.ratio": True,
    "tp.1x1.cpu_ratio": False,
    "tp.8x1.cpu_ratio": False,
    "tp.8x8.cpu_ratio": False,
    "list.raw.bare.median_us": False,  # ListTasks(limit=100) over the raw stub: the admin's time, no client layer
    "list.raw.touched.median_us": False,
    "exec.single.median_ms": False,
    "exec.single.p90_ms": False,
    "calls.import_cpu_ms": False,  # admin_calls.py: CPU of importing AdminServer, of start(), in a fresh process
    "calls.start_cpu_ms": False,
    "calls.get_task_cpu_us": False,  # admin_calls.py: process CPU per GetTask / ListTasks(100), raw stub in-process
    "calls.list_tasks_cpu_us": False,
    # commit_bench.py: the write path (group commit) and the reads beside it.
    "commit.start_ms": False,
    "commit.create1.median_ms": False,
    "commit.create16.median_ms": False,
    "commit.create16.p99_ms": False,
    "commit.create16.per_s": True,
    "commit.create16_vs_1": False,
    "commit.create1.get_median_us": False,
    "commit.create1.list_median_us": False,
    "commit.exec8.file.per_s": True,
    "commit.exec8.file.admin_cpu_ms": False,
    "commit.exec8.file.create_median_ms": False,
    "commit.exec8.mem.per_s": True,
    "commit.exec8.mem.admin_cpu_ms": False,
    "commit.exec8.mem.create_median_ms": False,
}


def _shown(key: str) -> bool | None:
    return SHOWN.get(key)


def _run(tree: Path, only: list[str], out: Path, quick: bool) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    measured: dict[str, float] = {}
    if "admin_calls" in only:  # this directory's admin_calls.py, not a run.py benchmark
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "admin_calls.py")], env=env, check=True, capture_output=True
        )
        measured.update(json.loads(done.stdout.decode().strip().splitlines()[-1]))
        only = [name for name in only if name != "admin_calls"]
    if "commit_bench" in only:  # this directory's commit_bench.py, run against the revision's src
        done = subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "commit_bench.py")], env=env, check=True, capture_output=True
        )
        measured.update(json.loads(done.stdout.decode().strip().splitlines()[-1]))
        only = [name for name in only if name != "commit_bench"]
    if only:
        cmd = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--only", *only, "--rounds", "1", "--no-merge"]
        cmd += ["--json", str(out)] + (["--quick"] if quick else [])
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        data = json.loads(out.read_text())
        measured.update({k: float(m["median"]) for k, m in data["metrics"].items() if m["by_round"]})
    return measured


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base", help="the revision to compare with (a commit, tag or branch)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--only",
        nargs="+",
        default=list(DEFAULT_ONLY),
        help="run.py's benchmark names, admin_calls (admin_calls.py) and commit_bench (commit_bench.py)",
    )
    p.add_argument("--quick", action="store_true", help="run.py's --quick inside each round")
    p.add_argument("--json", type=Path, help="write every per-round value here")
    p.add_argument("--report", type=Path, metavar="JSON", help="render a saved --json run again; measure nothing")
    args = p.parse_args(argv)
    if args.report is not None:
        saved = json.loads(args.report.read_text())
        _print_table(saved["base"], saved["rounds"])
        return 0

    with tempfile.TemporaryDirectory(prefix="flyteplane-compare-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.base],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            trees = {"base": base_tree, "new": REPO}
            rounds: list[dict[str, dict[str, float]]] = []
            for r in range(args.rounds):
                order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
                measured = {}
                for name in order:
                    print(f"round {r + 1}/{args.rounds}: {name}", file=sys.stderr)
                    measured[name] = _run(trees[name], args.only, Path(tmp) / f"{name}-{r}.json", args.quick)
                rounds.append(measured)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base_tree)], check=False)

    if args.json is not None:
        args.json.write_text(json.dumps({"base": args.base, "rounds": rounds}, indent=1))
    _print_table(args.base, rounds)
    return 0


def _print_table(base_rev: str, rounds: list[dict[str, dict[str, float]]]) -> None:
    keys = sorted({k for rnd in rounds for k in rnd["new"] if k in rnd["base"] and _shown(k) is not None})
    print(f"| metric | {base_rev} (median) | new (median) | new / base, median of per-round ratios | better |")
    print("|---|---|---|---|---|")
    for key in keys:
        base = [rnd["base"][key] for rnd in rounds if key in rnd["base"]]
        new = [rnd["new"][key] for rnd in rounds if key in rnd["new"]]
        ratios = [rnd["new"][key] / rnd["base"][key] for rnd in rounds if rnd["base"].get(key) and key in rnd["new"]]
        higher = _shown(key)
        ratio = statistics.median(ratios) if ratios else float("nan")
        verdict = "same" if abs(ratio - 1) < 0.005 else ("new" if (ratio > 1) == bool(higher) else "base")
        row = f"{statistics.median(base):.3g} | {statistics.median(new):.3g} | {ratio:.2f}x | {verdict}"
        print(f"| `{key}` | {row} |")


if __name__ == "__main__":
    raise SystemExit(main())
