"""The state directory of ``flyteplane sandbox``: private to its user, and one admin process at a time."""

from __future__ import annotations

import os
import stat
import time
import uuid
from pathlib import Path

import pytest

from flyteplane.admin import AdminServer
from flyteplane.admin.state_dir import LOCK_FILE, StateDirInUse
from flyteplane.configuration import Config
from flyteplane.remote import FlyteRemote
from tests.cli.support import GRPC_CORE_LINE, free_ports, start_sandbox
from tests.remote.support import ADD_ONE, DOMAIN, PROJECT, SLEEP, contract_task


def _remote(endpoint: str) -> FlyteRemote:
    return FlyteRemote(Config.for_endpoint(endpoint, insecure=True), PROJECT, DOMAIN)


def _wait_phase(remote: FlyteRemote, name: str, phase: str) -> None:
    deadline = time.monotonic() + 60
    while remote.fetch_execution(name=name).phase_name != phase:
        assert time.monotonic() < deadline, remote.fetch_execution(name=name).phase_name
        time.sleep(0.1)


def test_state_dir_and_everything_in_it_is_private_to_the_user(tmp_path):
    """Database, WAL/SHM, blobs (inputs, outputs a task process wrote), task logs, engine files, keys: 0600 files in
    0700 directories, so other local users can read nothing."""
    state = tmp_path / "state"
    grpc_port, http_port = free_ports(2)
    sandbox = start_sandbox(
        tmp_path, "--port", str(grpc_port), "--http-port", str(http_port), "--state-dir", str(state), "--auth", "self"
    ).wait_ready()
    try:
        # A client-credentials client: the admin requires tokens (and so writes its keys too).
        secret_file = state / "auth" / "flytepropeller.secret"
        config = Config.for_endpoint(f"127.0.0.1:{grpc_port}", insecure=True)
        from dataclasses import replace

        from flyteplane.configuration import AuthType

        platform = replace(
            config.platform,
            auth_mode=AuthType.CLIENTSECRET,
            client_id="flytepropeller",
            client_credentials_secret=secret_file.read_text().strip(),
        )
        with FlyteRemote(config.with_params(platform=platform), PROJECT, DOMAIN) as remote:
            task = remote.register_task(contract_task(f"add_one_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1"))
            execution = remote.execute(task, inputs={"x": 1}, wait=True)
            assert execution.outputs["y"] == 2
        running = _wider_than_private(state)  # while it runs: the WAL and SHM exist
    finally:
        assert sandbox.stop() == 0, sandbox.stderr
    stopped = _wider_than_private(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert running[0] == [] and stopped[0] == []
    assert {"admin.db", "admin.db-wal", "admin.db-shm", "outputs.pb", "inputs.pb", "admin.lock"} <= running[1]
    assert {"flytepropeller.secret", "signing-key.pem", "dataproxy.key"} <= running[1]
    assert any(p.is_file() for p in (state / "logs").rglob("*")), "the task's log is among the files checked"


def _wider_than_private(state: Path) -> tuple[list[str], set[str]]:
    """Paths under ``state`` (itself included) that group or others may use, and the names of all of them."""
    wider, names = [], set()
    for path in [state, *state.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            wider.append(f"{oct(mode)} {path.relative_to(state)}")
        names.add(path.name)
    return wider, names


def test_an_existing_wide_state_dir_is_made_private(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / "admin.db").touch(mode=0o644)
    with AdminServer(state_dir=state):
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / "admin.db").stat().st_mode) == 0o600


def test_a_second_admin_on_the_same_state_dir_refuses_in_process(tmp_path):
    with AdminServer(state_dir=tmp_path / "s") as first:
        with pytest.raises(StateDirInUse) as info:
            AdminServer(state_dir=tmp_path / "s").start()
        assert info.value.holder.pid == os.getpid()
        assert info.value.holder.grpc == first.endpoint and info.value.holder.http == first.http_endpoint
        assert str(info.value) == (
            f"state directory {tmp_path / 's'} is in use by another flyteplane admin "
            f"(PID {os.getpid()}, gRPC on {first.endpoint}, HTTP on {first.http_endpoint})"
        )
    with AdminServer(state_dir=tmp_path / "s"):  # released at stop: the next one starts
        pass


def test_a_second_sandbox_refuses_and_leaves_the_first_ones_runs_alone(tmp_path):
    state = tmp_path / "state"
    p1, h1, p2, h2, p3, h3 = free_ports(6)
    first = start_sandbox(
        tmp_path, "--port", str(p1), "--http-port", str(h1), "--state-dir", str(state), name="first"
    ).wait_ready()
    try:
        with _remote(f"127.0.0.1:{p1}") as remote:
            task = remote.register_task(contract_task(f"sleep_{uuid.uuid4().hex[:6]}", SLEEP, "v1"))
            name = remote.execute(task, inputs={"x": 60}).id.name
            _wait_phase(remote, name, "RUNNING")

            second = start_sandbox(
                tmp_path, "--port", str(p2), "--http-port", str(h2), "--state-dir", str(state), name="second"
            )
            assert second.wait_exit() == 1
            assert second.stderr == (
                f"flyteplane sandbox: state directory {state} is in use by another flyteplane admin "
                f"(PID {first.process.pid}, gRPC on 127.0.0.1:{p1}, HTTP on http://127.0.0.1:{h1})\n"
                f"  one admin per state directory: stop that one (PID {first.process.pid}), or run this one with\n"
                "  --state-dir DIR (state of its own) or --in-memory (no state kept)\n"
            )
            # The first admin's run went on: the second one did not settle it as "AdminRestarted".
            execution = remote.fetch_execution(name=name)
            assert execution.phase_name == "RUNNING"
            assert "AdminRestarted" not in str(execution.closure)

        # A lock whose process is gone (killed, no clean-up) is taken over.
        first.process.kill()
        first.process.wait()
        assert (state / LOCK_FILE).read_text()  # the dead admin's PID and addresses are still written there
        third = start_sandbox(
            tmp_path, "--port", str(p3), "--http-port", str(h3), "--state-dir", str(state), name="third"
        ).wait_ready()
        try:
            assert f'"pid": {third.process.pid}' in (state / LOCK_FILE).read_text()
        finally:
            assert third.stop() == 0, third.stderr
        assert not GRPC_CORE_LINE.search(third.stderr)
    finally:
        first.stop()


def test_in_memory_sandboxes_share_no_lock(tmp_path: Path):
    a = start_sandbox(tmp_path, "--port", "0", "--http-port", "0", "--in-memory", name="a").wait_ready()
    b = start_sandbox(tmp_path, "--port", "0", "--http-port", "0", "--in-memory", name="b").wait_ready()
    assert a.stop() == 0 and b.stop() == 0
