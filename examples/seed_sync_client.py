"""The seed's SynchronousFlyteClient example, as written, with only ``flytekit`` replaced by ``flyteplane``.

The endpoint comes from ``FLYTE_ADMIN_ENDPOINT`` (default: the sandbox's localhost:30080) instead of the
placeholder "your.flyte.admin:port". Run ``flyteplane sandbox`` first, or use ``examples/quickstart.py``.
"""

import os

from flyteplane.clients.sync_client import SynchronousFlyteClient

# Connect to Flyte Admin directly
client = SynchronousFlyteClient(os.environ.get("FLYTE_ADMIN_ENDPOINT", "localhost:30080"), insecure=True)

# Example: Create a task definition
from flyteplane.models.core.identifier import Identifier, ResourceType  # noqa: E402
from flyteplane.models.core.types import LiteralType, SimpleType  # noqa: E402
from flyteplane.models.core.workflow import TaskTemplate  # noqa: E402
from flyteplane.models.interface import TypedInterface  # noqa: E402
from flyteplane.models.task import TaskSpec  # noqa: E402

task_id = Identifier(
    resource_type=ResourceType.TASK,
    project="flytesnacks",
    domain="development",
    name="my_example_task",
    version="1.0.0",
)

task_spec = TaskSpec(
    template=TaskTemplate(
        id=task_id,
        type="python-task",
        metadata={},
        interface=TypedInterface(
            inputs={"x": LiteralType(simple=SimpleType.INTEGER)},
            outputs={"y": LiteralType(simple=SimpleType.INTEGER)},
        ),
        container={
            "image": "ghcr.io/flyteorg/flytekit:py3.9-latest",
            "command": ["python"],
            "args": ["-c", "print('hello world')"],
        },
    )
)

try:
    client.create_task(task_id, task_spec)
    print(f"Task {task_id.name} registered successfully.")
except Exception as e:
    print(f"Failed to register task: {e}")

# Example: List tasks
tasks, token = client.list_tasks_paginated(
    identifier=Identifier(project="flytesnacks", domain="development"),
    limit=10,
)
for task in tasks:
    print(f"Found task: {task.id.name} (version: {task.id.version})")

# The raw client underneath: flyteidl messages in and out.
from flyteidl.admin import common_pb2  # noqa: E402

raw = client.raw
page = raw.list_tasks_paginated(
    common_pb2.ResourceListRequest(
        id=common_pb2.NamedEntityIdentifier(project="flytesnacks", domain="development"), limit=10
    )
)
print(f"Raw client sees {len(page.tasks)} task version(s); control plane version: {client.get_control_plane_version()}")
