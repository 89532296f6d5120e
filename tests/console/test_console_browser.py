"""The console in Chromium against a real sandbox: the links flytekit prints, launching from the form, live logs,
terminating, approving a gate, and the not-found page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from flyteidl.core.execution_pb2 import WorkflowExecution

from tests.console.conftest import DOMAIN, IMAGE, PROJECT, WORKFLOWS, console_url
from tests.e2e.conftest import Sandbox
from tests.e2e.support import wait_for

_PRINTED_LINK = re.compile(r"https?://\S+?(/console/projects/[^/\s]+/domains/[^/\s]+/executions/[a-z0-9-]+)")
_BASE = f"/console/projects/{PROJECT}/domains/{DOMAIN}"
_RUN = 120_000  # ms: a local run on a loaded 2-core machine


def _phase(page: Any, phase: str, timeout: int = _RUN) -> None:
    """Wait until the execution page's title shows ``phase`` (the page polls; it is never reloaded)."""
    page.wait_for_selector(f"h1 .phase[data-phase={phase}]", timeout=timeout)


def _launch(remote: Any, name: str, version: str, **inputs: Any) -> Any:
    lp = remote.fetch_launch_plan(project=PROJECT, domain=DOMAIN, name=f"console_flows.{name}", version=version)
    return remote.execute(lp, inputs=inputs, wait=False)


def _path(remote: Any, execution: Any) -> str:
    """The console path FlyteRemote prints for an execution (its host is flytekit's guess; the path is the point)."""
    url = remote.generate_console_url(execution)
    match = re.search(r"/console/.*$", url)
    assert match, url
    return match.group(0)


def test_the_link_pyflyte_prints_opens_the_execution_with_its_nodes_and_outputs(
    sandbox: Sandbox, page: Any, shot: Any
) -> None:
    pyflyte = Path(sys.executable).with_name("pyflyte")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE")}
    result = subprocess.run(
        [str(pyflyte), "--config", str(sandbox.config_file), "run", "--remote", "--image", IMAGE,
         "console_flows.py", "summed", "--a", "3"],
        cwd=WORKFLOWS, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, f"pyflyte failed:\n{result.stdout}\n{result.stderr}"
    match = _PRINTED_LINK.search(result.stdout)
    assert match, f"no console link in pyflyte's output:\n{result.stdout}"

    page.goto(console_url(sandbox, match.group(1)))
    _phase(page, "SUCCEEDED")
    for node_id, name in (("n0", "add"), ("n1", "describe")):
        row = page.locator(f"tr.node-row[data-node={node_id}]")
        row.wait_for()
        assert name in row.inner_text()
        assert row.get_attribute("data-phase") == "SUCCEEDED"
    # Inputs and outputs as values: the dataclass output is decoded from its msgpack literal.
    page.wait_for_selector('#outputs tr[data-name="o0"]')
    outputs = page.inner_text("#outputs")
    assert '"total": 5' in outputs and '"label": "sum"' in outputs
    assert "3" in page.inner_text('#inputs tr[data-name="a"]')
    # A node's own inputs, outputs and log open inline.
    page.click("tr.node-row[data-node=n0]")
    page.wait_for_selector("tr.node-detail pre.log-text:has-text('is recorded, not pulled')")
    shot(page, "execution")
    page.click("nav.tabs button:has-text('Graph')")
    page.wait_for_selector("g.gnode[data-node=n1][data-phase=SUCCEEDED]")
    shot(page, "graph")
    page.click("nav.tabs button:has-text('Timeline')")
    assert page.locator(".tl-row").count() == 2


def test_flyteremote_console_link_and_the_project_pages(
    sandbox: Sandbox, remote: Any, client: Any, registered: str, page: Any, shot: Any
) -> None:
    execution = _launch(remote, "squares", registered, xs=[1, 2, 3])
    path = _path(remote, execution)
    assert path == f"/console/projects/{PROJECT}/domains/{DOMAIN}/executions/{execution.id.name}"
    page.goto(console_url(sandbox, path))
    _phase(page, "SUCCEEDED")
    # A map task's elements, one row each, with their phases.
    page.click("tr.node-row[data-node=n0]")
    page.wait_for_selector("tr[data-element='2'] .phase[data-phase=SUCCEEDED]")
    assert page.locator("tr[data-element]").count() == 3
    assert "[\n  1,\n  4,\n  9\n]" in page.inner_text("#outputs")
    shot(page, "map-task")

    # Relaunch: a new execution of the same launch plan and inputs, and the page moves to it.
    page.click("button:has-text('Relaunch')")
    page.wait_for_url(lambda url: url.endswith("/executions/" + execution.id.name) is False and "/executions/" in url)
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]')
    assert "[\n  1,\n  4,\n  9\n]" in page.inner_text("#outputs")

    page.goto(console_url(sandbox, "/console"))
    page.wait_for_selector(f"tr[data-project={PROJECT}]")
    shot(page, "projects")
    page.click(f"tr[data-project={PROJECT}] a:has-text('{DOMAIN}')")
    page.wait_for_selector(f"tr[data-execution={execution.id.name}]")
    assert "SUCCEEDED" in page.inner_text("[data-testid=phase-counts]")
    shot(page, "project")
    # The launch plan's page: versions, interface, and the link FlyteRemote prints for it.
    lp = remote.fetch_launch_plan(project=PROJECT, domain=DOMAIN, name="console_flows.squares", version=registered)
    lp_path = re.search(r"/console/.*$", remote.generate_console_url(lp)).group(0)  # type: ignore[union-attr]
    page.goto(console_url(sandbox, lp_path))
    page.wait_for_selector("text=list[integer]")
    assert registered in page.inner_text("body")
    # Activate and deactivate it (UpdateLaunchPlan), as the page shows the admin's state.
    state = page.locator("[data-testid=lp-state]")
    toggle = page.locator("[data-testid=lp-toggle]")
    for _ in range(2):
        before = state.inner_text()
        assert toggle.inner_text() == ("Deactivate" if before == "ACTIVE" else "Activate")
        toggle.click()
        page.wait_for_function(
            "was => document.querySelector('[data-testid=lp-state]').textContent !== was", arg=before
        )
        now = state.inner_text()
        assert {before, now} == {"ACTIVE", "INACTIVE"}
        # As the admin has it (flyteplane's client: flytekit's get_launch_plan is an lru_cache of the first answer).
        assert client.get_launch_plan(lp.id).closure.state == (1 if now == "ACTIVE" else 0)
    # Executions list filters: by launch plan name and phase.
    page.goto(console_url(sandbox, f"{_BASE}/executions?lp=console_flows.squares&phase=SUCCEEDED"))
    page.wait_for_selector(f"tr[data-execution={execution.id.name}]")
    assert page.locator("tr[data-execution]").count() >= 1
    page.goto(console_url(sandbox, f"{_BASE}/executions?lp=console_flows.squares&phase=FAILED"))
    page.wait_for_selector("text=No executions match.")
    shot(page, "executions")


def test_launch_a_workflow_from_its_form_with_a_typed_input(
    sandbox: Sandbox, registered: str, page: Any, shot: Any
) -> None:
    page.goto(console_url(sandbox, f"{_BASE}/workflow/console_flows.summed/version/{registered}/launch"))
    page.wait_for_selector("#in-a")
    assert page.input_value("#in-b") == "2"  # the launch plan's default
    assert page.get_attribute("#in-a", "type") == "number"
    shot(page, "launch-form")
    # The admin's own validation, as it words it.
    page.fill("#in-a", "7")
    page.fill("#in-label", "seven")
    page.fill("#exec-name", "Not_A_Name")
    page.click("button[type=submit]")
    page.wait_for_selector(".error")
    assert "does not match regex" in page.inner_text(".error")
    # The form's own check of a typed field, before the admin is asked.
    page.fill("#exec-name", "")
    page.fill("#in-a", "")
    page.click("button[type=submit]")
    page.wait_for_selector(".error:has-text('a: a value is required')")
    page.fill("#in-a", "7")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/executions/[a-z0-9-]+$"))
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]')
    outputs = page.inner_text("#outputs")
    assert '"total": 9' in outputs and '"label": "seven"' in outputs


def test_a_running_tasks_log_grows_on_the_page(sandbox: Sandbox, remote: Any, registered: str, page: Any) -> None:
    execution = _launch(remote, "talker", registered, lines=400, pause=0.25)
    page.goto(console_url(sandbox, _path(remote, execution)))
    page.click("tr.node-row[data-node=n0]")
    log = page.locator("tr.node-detail pre.log-text").first
    log.wait_for()
    page.wait_for_selector("pre.log-text:has-text('console-line 2')", timeout=_RUN)
    first = len(log.inner_text())
    page.wait_for_function(
        "n => document.querySelector('pre.log-text').textContent.length > n + 60", arg=first, timeout=_RUN
    )
    assert page.locator(".log-head .live").count() >= 1
    remote.terminate(execution, cause="test done")


def test_terminate_a_running_execution(sandbox: Sandbox, remote: Any, registered: str, page: Any) -> None:
    execution = _launch(remote, "talker", registered, lines=1000, pause=0.5)
    page.goto(console_url(sandbox, _path(remote, execution)))
    page.wait_for_selector("tr.node-row[data-node=n0][data-phase=RUNNING]", timeout=_RUN)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Terminate')")
    _phase(page, "ABORTED")
    assert "Terminated from the console" in page.inner_text(".meta")
    assert page.locator("button:has-text('Terminate')").count() == 0

    def aborted() -> bool:
        return remote.client.get_execution(execution.id).closure.phase == WorkflowExecution.ABORTED

    wait_for(aborted, 30, "the admin to record the abort")


def test_approve_a_gate(sandbox: Sandbox, remote: Any, registered: str, page: Any, shot: Any) -> None:
    execution = _launch(remote, "gated", registered, x=1)
    page.goto(console_url(sandbox, _path(remote, execution)))
    page.wait_for_selector("tr[data-signal=go] button:has-text('Approve')", timeout=_RUN)
    shot(page, "gate")
    page.click("tr[data-signal=go] button:has-text('Approve')")
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]')
    assert "3" in page.inner_text('#outputs tr[data-name="o0"]')


def test_dynamic_children_are_listed_under_their_parent(
    sandbox: Sandbox, remote: Any, registered: str, page: Any
) -> None:
    execution = _launch(remote, "fanned", registered, n=3)
    page.goto(console_url(sandbox, _path(remote, execution)))
    _phase(page, "SUCCEEDED")
    page.click("tr.node-row[data-node=n0]")
    page.wait_for_selector("table.nested tr.node-row")
    children = page.locator("table.nested tr.node-row")
    assert children.count() == 3
    assert all(children.nth(i).get_attribute("data-phase") == "SUCCEEDED" for i in range(3))


def test_an_execution_that_does_not_exist_shows_the_not_found_page(sandbox: Sandbox, page: Any, shot: Any) -> None:
    page.goto(console_url(sandbox, f"/console/projects/{PROJECT}/domains/{DOMAIN}/executions/nosuchexecution"))
    page.wait_for_selector("[data-testid=not-found]")
    assert "does not exist" in page.inner_text("[data-testid=not-found]")
    page.goto(console_url(sandbox, "/console/no/such/page"))
    page.wait_for_selector("[data-testid=not-found]")


def test_set_a_signal_with_a_typed_value(sandbox: Sandbox, remote: Any, registered: str, page: Any) -> None:
    execution = _launch(remote, "asked", registered)
    page.goto(console_url(sandbox, _path(remote, execution)))
    page.wait_for_selector("tr[data-signal=word] input[name=signal-word]", timeout=_RUN)
    page.fill("tr[data-signal=word] input[name=signal-word]", "hello")
    page.click("tr[data-signal=word] button:has-text('Set')")
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]:has-text("HELLO")')


def test_a_tasks_deck_opens_on_its_node(sandbox: Sandbox, remote: Any, registered: str, page: Any, shot: Any) -> None:
    execution = _launch(remote, "decked", registered, n=4)
    page.goto(console_url(sandbox, _path(remote, execution)))
    _phase(page, "SUCCEEDED")
    page.click("tr.node-row[data-node=n0]")
    page.click("tr.node-detail .deck button:has-text('Show deck')")
    # The deck is the task's own HTML, read through the signed link the admin gives (GetDataProxy's artifact link).
    deck = page.frame_locator("iframe.deck-frame")
    deck.locator("#flyte-frame-tabs li:has-text('console-deck')").click()
    deck.locator("h2:has-text('console deck of 4')").wait_for()
    shot(page, "deck")


def test_upload_a_file_in_the_launch_form(sandbox: Sandbox, registered: str, page: Any, tmp_path: Path) -> None:
    page.goto(console_url(sandbox, f"{_BASE}/workflow/console_flows.filed/version/{registered}/launch"))
    page.wait_for_selector("#in-f")
    page.click("button[type=submit]")
    page.wait_for_selector(".error:has-text('f: a value is required')")
    upload = tmp_path / "payload.bin"
    upload.write_bytes(b"x" * 4242)
    page.set_input_files("input[name=f-upload]", str(upload))
    # The form puts the uploaded file's URI (CreateUploadLocation's native URL) in the field.
    page.wait_for_function("() => document.querySelector('#in-f').value.endsWith('payload.bin')")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/executions/[a-z0-9-]+$"))
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]:has-text("4242")')


def test_recover_a_failed_execution(sandbox: Sandbox, remote: Any, registered: str, page: Any, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    execution = _launch(remote, "flaky", registered, marker=str(marker), x=1)
    page.goto(console_url(sandbox, _path(remote, execution)))
    _phase(page, "FAILED")
    assert "no marker at" in page.inner_text(".exec-error")
    assert page.get_attribute("tr.node-row[data-node=n0]", "data-phase") == "SUCCEEDED"
    marker.write_text("now it exists")
    page.click("button:has-text('Recover')")
    page.wait_for_url(lambda url: "/executions/" in url and not url.endswith("/executions/" + execution.id.name))
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]:has-text("4")')
    # The node that had succeeded is taken over from the failed run (RecoverExecution), not run again.
    assert page.get_attribute("tr.node-row[data-node=n0]", "data-phase") == "RECOVERED"
    assert page.get_attribute("tr.node-row[data-node=n1]", "data-phase") == "SUCCEEDED"


def test_reject_a_gate(sandbox: Sandbox, remote: Any, registered: str, page: Any) -> None:
    execution = _launch(remote, "gated", registered, x=1)
    page.goto(console_url(sandbox, _path(remote, execution)))
    page.wait_for_selector("tr[data-signal=go] button:has-text('Reject')", timeout=_RUN)
    page.click("tr[data-signal=go] button:has-text('Reject')")
    _phase(page, "FAILED")
    assert "reject" in page.inner_text(".exec-error").lower()
    assert page.locator("tr[data-signal=go] button").count() == 0
    # The node after the gate never ran.
    assert page.locator("tr.node-row[data-node=n2]").count() == 0


def test_subworkflow_children_are_listed_under_their_node(
    sandbox: Sandbox, remote: Any, registered: str, page: Any
) -> None:
    execution = _launch(remote, "nested", registered, a=1)
    page.goto(console_url(sandbox, _path(remote, execution)))
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]:has-text("12")')
    assert "subworkflow" in page.inner_text("tr.node-row[data-node=n0]")
    page.click("tr.node-row[data-node=n0]")
    page.wait_for_selector("table.nested tr.node-row")
    children = page.locator("table.nested tr.node-row")
    assert children.count() == 1
    child = children.first
    assert child.get_attribute("data-phase") == "SUCCEEDED"
    # Named from the compiled sub-workflow (its node n0 is `add`), not from the top level's n0 (the sub-workflow).
    assert "add" in child.inner_text() and "subworkflow" not in child.inner_text()
    child.click()
    page.wait_for_selector('table.nested tr.node-detail .cols > div:last-child tr[data-name=o0]:has-text("11")')


def test_launch_a_task_from_its_form(sandbox: Sandbox, registered: str, page: Any) -> None:
    page.goto(console_url(sandbox, f"{_BASE}/task/console_flows.add/version/{registered}"))
    page.click("a.button:has-text('Launch')")
    page.wait_for_selector("#in-b")
    assert page.input_value("#in-a") == "" and page.input_value("#in-b") == ""  # a task has no defaults
    page.fill("#in-a", "5")
    page.click("button[type=submit]")
    page.wait_for_selector(".error:has-text('b: a value is required')")
    page.fill("#in-b", "6")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/executions/[a-z0-9-]+$"))
    _phase(page, "SUCCEEDED")
    page.wait_for_selector('#outputs tr[data-name="o0"]:has-text("11")')
    assert "Task: console_flows.add" in page.inner_text(".meta")
