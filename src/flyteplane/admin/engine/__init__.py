"""The embedded admin's execution engine: runs compiled workflows as local processes, reporting through events.

See :mod:`flyteplane.admin.engine.engine` for the lifecycle and settings, :mod:`.dag` for how a workflow is walked,
:mod:`.nodes` for the node kinds, :mod:`.task_runner` for Flyte's container contract.
"""

from flyteplane.admin.engine.engine import Engine
from flyteplane.admin.engine.state import ChildLaunch

__all__ = ["ChildLaunch", "Engine"]
