"""The engine's task-contract tests (``test_task_contract.py``, ``test_task_env.py``) again, with warm task processes
off: every attempt starts a fresh interpreter, as ``AdminConfig(warm_processes=False)`` / ``flyteplane sandbox
--no-warm-processes`` make it. The same tests run warm (the default) in their own modules, so the contract is held
both ways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_task_contract import *  # noqa: F403 - the tests and fixtures, collected again in this module
from test_task_env import *  # noqa: F403

from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine import engine as engine_module
from flyteplane.admin.engine.warm_processes import warm_pool_for


@pytest.fixture(autouse=True, scope="module")
def _cold_starts() -> Iterator[None]:
    """Every engine of this module is built as with ``warm_processes=False``."""

    def cold(config: AdminConfig, *args: object, **kwargs: object) -> None:
        return warm_pool_for(AdminConfig(warm_processes=False), *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "warm_pool_for", cold)
        yield
