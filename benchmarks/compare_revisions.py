"""Measure the same benchmarks on two revisions of flyteplane, side by side in one run, as ratios.

    python benchmarks/compare_revisions.py BASE_REV                       # HEAD's tree against BASE_REV's
    python benchmarks/compare_revisions.py 4b88e4e --rounds 3 --only startup throughput listtasks exec_latency

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
DEFAULT_ONLY = ("startup", "throughput", "listtasks", "exec_latency")
# Which metrics to show, by key prefix, and whether a larger value is better.
SHOWN = {
    "startup.total_ms": False,
    "startup.start_ms": False,
    "tp.flyteplane.": True,  # GetTask answered per second, by client configuration (``*.per_s``)
    "list.raw.": False,  # ListTasks(limit=100) over the raw stub: the admin's time, no client layer
    "exec.single.median_ms": False,
    "exec.single.p90_ms": False,
}


def _shown(key: str) -> bool | None:
    for prefix, higher_is_better in SHOWN.items():
        if key == prefix or (prefix.endswith(".") and key.startswith(prefix) and key.endswith(("per_s", "median_us"))):
            return higher_is_better
    return None


def _run(tree: Path, only: list[str], out: Path, quick: bool) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    cmd = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--only", *only, "--rounds", "1", "--no-merge"]
    cmd += ["--json", str(out)] + (["--quick"] if quick else [])
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    data = json.loads(out.read_text())
    return {k: float(m["median"]) for k, m in data["metrics"].items() if m["by_round"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base", help="the revision to compare with (a commit, tag or branch)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", nargs="+", default=list(DEFAULT_ONLY), help="benchmarks, as run.py's --only")
    p.add_argument("--quick", action="store_true", help="run.py's --quick inside each round")
    p.add_argument("--json", type=Path, help="write every per-round value here")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="flyteplane-compare-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(base_tree), args.base], check=True)
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

    keys = sorted({k for rnd in rounds for k in rnd["new"] if k in rnd["base"] and _shown(k) is not None})
    print(f"| metric | {args.base} (median) | new (median) | new / base, median of per-round ratios | better |")
    print("|---|---|---|---|---|")
    for key in keys:
        base = [rnd["base"][key] for rnd in rounds if key in rnd["base"]]
        new = [rnd["new"][key] for rnd in rounds if key in rnd["new"]]
        ratios = [rnd["new"][key] / rnd["base"][key] for rnd in rounds if rnd["base"].get(key) and key in rnd["new"]]
        higher = _shown(key)
        ratio = statistics.median(ratios) if ratios else float("nan")
        verdict = "new" if (ratio > 1) == bool(higher) and ratio != 1 else "base"
        row = f"{statistics.median(base):.3g} | {statistics.median(new):.3g} | {ratio:.2f}x | {verdict}"
        print(f"| `{key}` | {row} |")
    if args.json is not None:
        args.json.write_text(json.dumps({"base": args.base, "rounds": rounds}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
