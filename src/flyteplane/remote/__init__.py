"""FlyteRemote: fetch, register, run, wait for and read Flyte entities and executions in Python values.

``from flyteplane.remote import FlyteRemote`` (or ``flyteplane.remote.remote``, flytekit's path). Names load lazily.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow, LazyEntity
    from flyteplane.remote.executions import FlyteNodeExecution, FlyteTaskExecution, FlyteWorkflowExecution
    from flyteplane.remote.launch import ExecutionOptions
    from flyteplane.remote.remote import FlyteRemote

_EXPORTS = {
    "FlyteRemote": "flyteplane.remote.remote",
    "FlyteTask": "flyteplane.remote.entities",
    "FlyteWorkflow": "flyteplane.remote.entities",
    "FlyteLaunchPlan": "flyteplane.remote.entities",
    "LazyEntity": "flyteplane.remote.entities",
    "FlyteWorkflowExecution": "flyteplane.remote.executions",
    "FlyteNodeExecution": "flyteplane.remote.executions",
    "FlyteTaskExecution": "flyteplane.remote.executions",
    "ExecutionOptions": "flyteplane.remote.launch",
}

__all__ = [
    "ExecutionOptions",
    "FlyteLaunchPlan",
    "FlyteNodeExecution",
    "FlyteRemote",
    "FlyteTask",
    "FlyteTaskExecution",
    "FlyteWorkflow",
    "FlyteWorkflowExecution",
    "LazyEntity",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flyteplane.remote' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
