"""Interactive mode: run a plain, typed Python function on Flyte and get Python values back.

    python examples/interactive.py

The function is pickled, uploaded through Flyte Admin's data proxy, registered as a task (its version is a hash of
the code: run this again unchanged and nothing is registered twice) and executed; the outputs come back as Python
values. It talks to the admin at ``FLYTE_ADMIN_ENDPOINT`` when that is set (plaintext, as the sandbox), else to the
sandbox on localhost:30080 (``flyteplane sandbox``); when nothing listens there, it starts an embedded Flyte Admin on
that port inside this process, so it also runs on a fresh machine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import typing

from flyteplane.remote import FlyteRemote


@dataclasses.dataclass
class Stats:
    count: int
    mean: float
    labels: list[str]


class Summary(typing.NamedTuple):
    stats: Stats
    largest: int


def summarize(values: list[int], label: str = "v") -> Summary:
    """A typed function: this is all a task needs to be in interactive mode."""
    stats = Stats(count=len(values), mean=sum(values) / len(values), labels=[f"{label}{i}" for i in range(len(values))])
    return Summary(stats=stats, largest=max(values))


def sandbox_running() -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", 30080)) == 0


def main() -> None:
    endpoint = os.environ.get("FLYTE_ADMIN_ENDPOINT")
    admin: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if endpoint is None and not sandbox_running():
        from flyteplane.admin import AdminServer

        admin = AdminServer(port=30080)
        print("No sandbox on localhost:30080: started an embedded Flyte Admin there")
    with admin:
        options = {"default_project": "flytesnacks", "default_domain": "development", "interactive_mode_enabled": True}
        if endpoint is not None:
            remote = FlyteRemote.for_endpoint(endpoint, insecure=True, **options)
        else:
            remote = FlyteRemote.for_sandbox(**options)
        execution = remote.execute(summarize, inputs={"values": [3, 1, 4, 1, 5]}, wait=True)
        print(f"Execution {execution.id.name}: {execution.phase_name}")
        outputs = execution.outputs
        print(f"stats = {outputs['stats']}")
        print(f"largest = {outputs['largest']}")
        again = remote.execute(summarize, inputs={"values": [2, 7]}, wait=True)
        print(f"Second run reused task version {again.spec.launch_plan.version}: largest = {again.outputs['largest']}")


if __name__ == "__main__":
    main()
