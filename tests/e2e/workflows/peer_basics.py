"""Workflows that flytekit registers and runs on the sandbox in the end-to-end tests.

This directory deliberately has no ``__init__.py``: flytekit then takes it as the project root, so the module is
``peer_basics`` both here (the tests put the directory on ``sys.path``) and in the fast-registered archive the
task processes unpack.
"""

import os
import time
from pathlib import Path

from flytekit import task, workflow


@task
def t1(a: int) -> int:
    return a + 1


@task
def t2(b: int) -> dict[str, int]:
    return {"b": b, "double": 2 * b}


@workflow
def wf(a: int = 1) -> dict[str, int]:
    return t2(b=t1(a=a))


@task
def nap(pid_file: str, seconds: int) -> int:
    """Write this process's pid where the test looks for it, then sleep (until terminated)."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)
    return seconds
