"""The seed's FlyteRemote examples, as written with only ``flytekit`` replaced by ``flyteplane``, then a round trip.

    flyteplane sandbox &            # or let examples/quickstart.py start one in-process
    python examples/seed_remote.py

The three ways to construct a FlyteRemote make no call (the client connects on first use), so the placeholder
endpoint of option 1 is harmless. The round trip uses option 3, the sandbox on localhost:30080: it registers a task
from models (a container that honors Flyte's container contract with nothing but flyteidl), runs it with a Python
input, waits, and prints the Python output.
"""

from flyteplane.configuration import Config  # noqa: F401  (the seed imports it)
from flyteplane.remote.remote import FlyteRemote

# Option 1: Connect to a specific endpoint (e.g., a production cluster)
remote = FlyteRemote.for_endpoint(
    endpoint="your.flyte.admin:port",
    insecure=True,  # Set to True if your Flyte Admin deployment does not have SSL enabled
    default_project="flytesnacks",
    default_domain="development",
    data_upload_location="s3://my-flyte-data-bucket/",  # Important for data offloading
)

# Option 2: Auto-detect configuration (e.g., from environment variables or config files)
remote_auto = FlyteRemote.auto(
    default_project="flytesnacks",
    default_domain="development",
)

# Option 3: Connect to a local Flyte sandbox environment
remote_sandbox = FlyteRemote.for_sandbox(
    default_project="flytesnacks",
    default_domain="development",
)

# Access the underlying SynchronousFlyteClient
admin_client = remote.client
print(f"remote.client is a {type(admin_client).__name__} for {remote.config.platform.endpoint}")

# -- the round trip on the sandbox: register, execute, wait, read outputs -----------------------------------------
import sys  # noqa: E402
import uuid  # noqa: E402

from flyteplane.models.core.identifier import Identifier, ResourceType  # noqa: E402
from flyteplane.models.core.types import LiteralType, SimpleType  # noqa: E402
from flyteplane.models.core.workflow import TaskTemplate  # noqa: E402
from flyteplane.models.interface import TypedInterface  # noqa: E402

# What a task container does under Flyte's contract: read inputs.pb, write outputs.pb under the output prefix.
ADD_ONE = """
import sys, urllib.parse
from flyteidl.core import literals_pb2
path = lambda url: urllib.parse.urlparse(url).path if url.startswith("file://") else url
inputs = literals_pb2.LiteralMap.FromString(open(path(sys.argv[1]), "rb").read())
outputs = literals_pb2.LiteralMap()
outputs.literals["y"].scalar.primitive.integer = inputs.literals["x"].scalar.primitive.integer + 1
open(path(sys.argv[2]).rstrip("/") + "/outputs.pb", "wb").write(outputs.SerializeToString())
"""

task = remote_sandbox.register_task(
    TaskTemplate(
        id=Identifier(ResourceType.TASK, "flytesnacks", "development", "add_one", uuid.uuid4().hex[:8]),
        type="python-task",
        metadata={},
        interface=TypedInterface(
            inputs={"x": LiteralType(simple=SimpleType.INTEGER)},
            outputs={"y": LiteralType(simple=SimpleType.INTEGER)},
        ),
        container={
            "image": "ghcr.io/flyteorg/flytekit:py3.11-latest",
            "command": ["python", "-c", ADD_ONE],
            "args": ["{{.input}}", "{{.outputPrefix}}"],
        },
    )
)
print(f"Registered {task.name} version {task.id.version}")

execution = remote_sandbox.execute(task, inputs={"x": 41}, wait=True)
print(f"Execution {execution.id.name} {execution.phase_name}")
if not execution.is_successful:
    sys.exit(f"the execution failed: {execution.error}")
print(f"y = {execution.outputs['y']}")
