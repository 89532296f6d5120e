"""Run flytekit's own remote integration suite (``tests/flytekit/integration/remote`` of a flytekit checkout) against
``flyteplane sandbox``, by configuration only, and print the pass counts.

    python benchmarks/yardsticks/flytekit_remote.py /path/to/flytekit-checkout [--src SRC] [--port 30080] [-k EXPR]

The checkout is not part of this repository (fetch flyteorg/flytekit at the tag of the installed flytekit);
nothing of it is copied here. A sandbox is started in memory on ``--port`` with the flyteplane at ``--src`` (default:
this checkout's ``src``; another revision's ``src`` compares two revisions). Its tasks run with this interpreter
(flytekit installed) in the checkout's directory, with the suite's directory on their path: the suite's image is
built from the checkout, so its tasks import ``tests.flytekit...`` modules and the suite's ``workflows`` package.
The suite reaches the sandbox through a flytectl config file, as it reaches the Flyte sandbox. Two of its tests
dial ``localhost:30080`` whatever the config says: keep ``--port`` at its default. The HTTP side (with the S3
endpoint) listens on 30002, minio's port in the Flyte sandbox, and the suite gets the sandbox's S3 settings.
Per-test outcomes are written as JUnit XML next to the summary line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sandbox import REPO, RunningSandbox, sandbox  # type: ignore[import-not-found]

_SUITE = "tests/flytekit/integration/remote"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkout", type=Path, help="a flytekit source checkout")
    p.add_argument("--src", type=Path, default=REPO / "src", help="the flyteplane sources the sandbox runs")
    p.add_argument("--port", type=int, default=30080)
    p.add_argument("-k", default="", help="pytest -k expression")
    p.add_argument("--junit", type=Path, help="where to write the JUnit XML (default: a temporary file)")
    args = p.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="flyteplane-yardstick-") as tmp,
        sandbox(
            args.src, args.port, Path(tmp), cwd=args.checkout, task_path=(args.checkout / _SUITE,), http_port=30002
        ) as running,
    ):
        return _run_suite(args, running, Path(tmp))


def _run_suite(args: argparse.Namespace, running: RunningSandbox, tmp: Path) -> int:
    junit = args.junit or tmp / "junit.xml"
    # The suite's own environment: its config file; its image name is only a label here (tasks run locally).
    suite_env = dict(os.environ, FLYTECTL_CONFIG=str(running.config), FLYTEKIT_IMAGE="localhost:30000/flytekit:dev")
    # Where the suite's own S3 reads and writes go, as its CI points them at the Flyte sandbox's minio: the sandbox's
    # S3 endpoint, on minio's port, with the sandbox's public credential.
    suite_env.update(
        FLYTE_AWS_ENDPOINT="http://localhost:30002",
        FLYTE_AWS_ACCESS_KEY_ID="minio",
        FLYTE_AWS_SECRET_ACCESS_KEY="miniostorage",
    )
    suite_env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    cmd += ["tests/flytekit/integration/remote"] + (["-k", args.k] if args.k else [])
    subprocess.run(cmd, cwd=args.checkout, env=suite_env, check=False)
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root[0]
    total, failed = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0))
    print(
        f"flytekit remote integration suite: {total - failed - skipped} passed, {failed} failed, "
        f"{skipped} skipped, of {total} (sandbox: {args.src})"
    )
    for case in suite.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            print(f"  FAILED {case.get('name')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
