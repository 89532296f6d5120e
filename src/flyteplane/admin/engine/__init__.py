"""The embedded admin's execution engine: runs compiled workflows as local processes, reporting through events.

See :mod:`flyteplane.admin.engine.engine` for the lifecycle and settings, :mod:`.port` for all it needs from the
rest of the admin, :mod:`.dag` for how a workflow is walked, :mod:`.nodes` for the node kinds, :mod:`.task_runner`
for Flyte's container contract.
"""

from flyteplane.admin.engine.engine import Engine
from flyteplane.admin.engine.port import AdminPort, ChildLaunch, RunRequest

__all__ = ["AdminPort", "ChildLaunch", "Engine", "RunRequest"]
