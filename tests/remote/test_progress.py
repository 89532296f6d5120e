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
