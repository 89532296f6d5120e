"""Tasks for the FlyteRemote tests that honor Flyte's container contract with nothing but flyteidl.

A task's container runs ``python -c PROGRAM {{.input}} {{.outputPrefix}}``: the program reads ``inputs.pb``,
computes, and writes ``outputs.pb`` (fast: no flytekit start-up), exactly what any task container does.
"""

from __future__ import annotations

import uuid

from flyteplane.models.core.identifier import Identifier, ResourceType
from flyteplane.models.core.types import LiteralType, SimpleType
from flyteplane.models.core.workflow import TaskTemplate
from flyteplane.models.interface import TypedInterface

PROJECT = "flytesnacks"
DOMAIN = "development"

_PRELUDE = """
import sys, time, urllib.parse
from flyteidl.core import literals_pb2
path = lambda url: urllib.parse.urlparse(url).path if url.startswith("file://") else url
inputs = literals_pb2.LiteralMap.FromString(open(path(sys.argv[1]), "rb").read())
outputs = literals_pb2.LiteralMap()
def done():
    open(path(sys.argv[2]).rstrip("/") + "/outputs.pb", "wb").write(outputs.SerializeToString())
"""

ADD_ONE = (
    _PRELUDE
    + """
outputs.literals["y"].scalar.primitive.integer = inputs.literals["x"].scalar.primitive.integer + 1
done()
"""
)

SLEEP = (
    _PRELUDE
    + """
time.sleep(inputs.literals["x"].scalar.primitive.integer)
outputs.literals["y"].scalar.primitive.integer = 0
done()
"""
)

FAIL = (
    _PRELUDE
    + """
sys.exit("boom: x was %d" % inputs.literals["x"].scalar.primitive.integer)
"""
)

INT = LiteralType(simple=SimpleType.INTEGER)


def contract_task(name: str, program: str, version: str | None = None) -> TaskTemplate:
    """A task ``name(x: int) -> y: int`` running ``program``."""
    return TaskTemplate(
        id=Identifier(
            ResourceType.TASK, PROJECT, DOMAIN, name, version if version is not None else uuid.uuid4().hex[:10]
        ),
        type="python-task",
        metadata={},
        interface=TypedInterface(inputs={"x": INT}, outputs={"y": INT}),
        container={
            "image": "python:3.11",
            "command": ["python", "-c", program],
            "args": ["{{.input}}", "{{.outputPrefix}}"],
        },
    )
