"""What wait() and large transfers show: one line updated in place in a terminal, an updated cell in a notebook."""

from __future__ import annotations

import sys
import types

from flyteplane.remote._progress import TransferProgress, WaitDisplay, in_notebook


def test_wait_display_updates_one_line_and_ends_it(capsys):
    display = WaitDisplay("abc", enabled=True)
    display.update("RUNNING")
    display.update("SUCCEEDED", done=True)
    err = capsys.readouterr().err
    assert err.startswith("\rwaiting for abc: RUNNING (")
    assert "\rfinished abc: SUCCEEDED (" in err
    assert err.endswith("\n") and err.rstrip().endswith("s)")  # padded over the longer line before


def test_wait_display_is_silent_when_output_is_not_a_terminal(capsys):
    display = WaitDisplay("abc")  # pytest's stderr is not a terminal
    display.update("RUNNING")
    assert capsys.readouterr().err == ""


def test_wait_display_in_a_notebook_updates_one_cell(monkeypatch):
    shown: list[object] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(("update", obj.data))  # type: ignore[attr-defined]

    class ZMQInteractiveShell:  # what a Jupyter kernel's shell is called
        pass

    class HTML:
        def __init__(self, data: str) -> None:
            self.data = data

    def display(obj: object, display_id: bool = False) -> Handle:
        shown.append(("display", obj.data))  # type: ignore[attr-defined]
        return Handle()

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.HTML = HTML  # type: ignore[attr-defined]
    ipython_display.display = display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    assert in_notebook()
    d = WaitDisplay("abc")
    assert d.enabled
    d.update("RUNNING")
    d.update("SUCCEEDED", done=True)
    assert [kind for kind, _ in shown] == ["display", "update"]
    assert "finished abc: SUCCEEDED" in str(shown[-1][1])


def test_not_a_notebook_without_ipython(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not in_notebook()


def test_transfer_progress_bar(capsys):
    bar = TransferProgress("uploading x", 2 << 20, enabled=True)
    bar.advance(1 << 20)
    bar.advance(1 << 20)
    bar.close()
    err = capsys.readouterr().err
    assert "uploading x [" in err and "2.0/2.0 MiB" in err and err.endswith("\n")
    quiet = TransferProgress("small", 10, enabled=None)  # small transfers never draw
    assert not quiet.enabled


_WAITER = """
import sys
from flyteplane.configuration import Config
from flyteplane.remote import FlyteRemote

remote = FlyteRemote(Config.for_endpoint(sys.argv[1], insecure=True), "flytesnacks", "development")
execution = remote.fetch_execution(name=sys.argv[2])
remote.wait(execution, show_progress=True, poll_interval=0.1)
"""


def test_ctrl_c_in_wait_ends_the_line_and_says_the_execution_keeps_running(flyte_admin):
    """A real Ctrl-C (SIGINT) in a process blocked in wait(show_progress=True): the progress line ends, a note says
    the execution keeps running and how to terminate it, and KeyboardInterrupt still ends the process."""
    import signal
    import subprocess
    import time
    import uuid

    from flyteplane.configuration import Config
    from flyteplane.remote import FlyteRemote
    from tests.remote.support import DOMAIN, PROJECT, SLEEP, contract_task

    with FlyteRemote(Config.for_endpoint(flyte_admin.endpoint, insecure=True), PROJECT, DOMAIN) as remote:
        task = remote.register_task(contract_task(f"sleep_{uuid.uuid4().hex[:6]}", SLEEP, "v1"))
        execution = remote.execute(task, inputs={"x": 60})
        name = execution.id.name
        waiter = subprocess.Popen(
            [sys.executable, "-c", _WAITER, flyte_admin.endpoint, name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert waiter.stderr is not None
            seen = ""
            deadline = time.monotonic() + 60
            while f"waiting for {name}" not in seen and time.monotonic() < deadline:
                seen += waiter.stderr.read(1)
            assert f"waiting for {name}" in seen, seen
            waiter.send_signal(signal.SIGINT)
            _, rest = waiter.communicate(timeout=30)
        finally:
            if waiter.poll() is None:
                waiter.kill()
        err = seen + rest
        assert waiter.returncode != 0
        note = (
            f"\nstopped waiting for {name}: it keeps running; terminate it with remote.terminate(execution, cause) "
            f"or flytectl delete execution {name} -p {PROJECT} -d {DOMAIN}\n"
        )
        assert note in err, err
        assert err.index(note) < err.index("KeyboardInterrupt")  # the note, then the interrupt propagates
        assert remote.fetch_execution(name=name).phase_name in ("QUEUED", "RUNNING")  # the execution did not stop
        remote.terminate(execution, "test over")
