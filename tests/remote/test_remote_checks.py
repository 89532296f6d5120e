"""Inputs refused before any RPC, "did you mean" for mistyped names, and readable reprs.

RPCs are counted on the wire with a gRPC client interceptor on the remote's own channel: a refused input must
leave the count where it was (nothing fetched, uploaded, registered or created).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from flyteplane.configuration import Config
from flyteplane.errors import FlyteEntityNotExistException
from flyteplane.models.interface import TypedInterface
from flyteplane.remote import FlyteRemote
from flyteplane.types import TypeEngine, TypeTransformerFailedError
from tests.remote.support import ADD_ONE, DOMAIN, INT, PROJECT, contract_task


class CountingInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Records the method of every unary call the channel sends."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self.methods.append(details.method.rsplit("/", 1)[-1])
        return continuation(details, request)


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.fixture
def counter() -> CountingInterceptor:
    return CountingInterceptor()


@pytest.fixture
def remote(flyte_admin: Any, counter: CountingInterceptor) -> Iterator[FlyteRemote]:
    config = Config.for_endpoint(flyte_admin.endpoint, insecure=True)
    with FlyteRemote(config, PROJECT, DOMAIN, grpc_interceptors=[counter]) as r:
        yield r


def _point_task(name: str) -> Any:
    template = contract_task(name, ADD_ONE, "v1")
    interface = TypedInterface(inputs={"p": TypeEngine.to_literal_type(Point), "x": INT}, outputs={"y": INT})
    pb = template.to_flyte_idl()
    pb.interface.CopyFrom(interface.to_flyte_idl())
    return pb


def test_a_wrong_input_name_is_refused_before_any_rpc_with_the_closest_name(remote, counter) -> None:
    task = remote.register_task(contract_task(f"add_one_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1"))
    before = len(counter.methods)
    with pytest.raises(TypeTransformerFailedError, match=r"unknown input 'xx'; the inputs are: x; did you mean 'x'\?"):
        remote.execute(task, inputs={"xx": 1})
    assert counter.methods[before:] == []


def test_a_wrong_type_is_refused_before_any_rpc(remote, counter) -> None:
    task = remote.register_task(contract_task(f"add_one_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1"))
    before = len(counter.methods)
    with pytest.raises(TypeTransformerFailedError, match=r"input 'x': expected int, got str \('a'\)"):
        remote.execute(task, inputs={"x": "a"})
    with pytest.raises(TypeTransformerFailedError, match=r"missing input 'x' \(int\)"):
        remote.execute(task, inputs={})
    assert counter.methods[before:] == []


def test_a_dict_with_a_wrong_dataclass_field_is_refused_before_any_rpc(remote, counter) -> None:
    task = remote.register_task(_point_task(f"point_{uuid.uuid4().hex[:6]}"))
    before = len(counter.methods)
    with pytest.raises(
        TypeTransformerFailedError, match=r"input 'p': unknown field 'yy' of Point; fields are x, y; did you mean 'y'\?"
    ):
        remote.execute(task, inputs={"p": {"x": 1, "yy": 2}, "x": 1})
    assert counter.methods[before:] == []


def test_a_mistyped_task_name_suggests_the_closest_registered_names(remote) -> None:
    name = f"add_one_{uuid.uuid4().hex[:6]}"
    remote.register_task(contract_task(name, ADD_ONE, "v1"))
    with pytest.raises(FlyteEntityNotExistException, match=rf"did you mean '{name}'\?"):
        remote.fetch_task(name=name[:-1] + "z" + "q")
    with pytest.raises(FlyteEntityNotExistException, match=r"no version of workflow .* is registered; no workflow is"):
        remote.fetch_workflow(project=PROJECT, domain="staging", name="nope")


def test_interactive_mode_reports_a_typo_before_registering_anything(flyte_admin, counter, tmp_path) -> None:
    config = Config.for_endpoint(flyte_admin.endpoint, insecure=True)
    remote = FlyteRemote(
        config,
        PROJECT,
        DOMAIN,
        data_upload_location=str(tmp_path),
        interactive_mode_enabled=True,
        grpc_interceptors=[counter],
    )
    from tests.remote.test_interactive import add

    with remote, pytest.raises(TypeTransformerFailedError, match=r"unknown input 'aa'.*did you mean 'a'\?"):
        remote.execute(add, inputs={"aa": 1})
    assert counter.methods == []
    assert list(tmp_path.iterdir()) == []  # nothing uploaded either


def test_reprs_show_endpoint_phase_duration_and_outputs_once_read(remote) -> None:
    assert (
        repr(remote)
        == f"FlyteRemote(endpoint={remote.config.platform.endpoint!r}, project={PROJECT!r}, domain={DOMAIN!r})"
    )
    assert "console" in remote._repr_html_()
    task = remote.register_task(contract_task(f"add_one_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1"))
    execution = remote.execute(task, inputs={"x": 1}, wait=True)
    text = repr(execution)
    assert text.startswith(f"FlyteWorkflowExecution({PROJECT}:{DOMAIN}:{execution.id.name}, SUCCEEDED, ")
    assert "s" in text and "outputs" not in text  # duration shown; outputs not read yet
    assert execution.outputs["y"] == 2
    assert repr(execution).endswith(", outputs={'y': 2})")
    html = execution._repr_html_()
    assert f'href="{execution.execution_url}"' in html and "SUCCEEDED" in html and "<td>2</td>" in html
    node = next(n for k, n in execution.node_executions.items() if k not in ("start-node", "end-node"))
    assert repr(node).startswith(f"FlyteNodeExecution({node.id.node_id}, SUCCEEDED")
    assert repr(node.task_executions[0]).endswith("attempt 0, SUCCEEDED)")
