"""FlyteRemote without running anything: construction, fetch, list, register, console URLs (real embedded admin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from flyteplane.configuration import Config
from flyteplane.errors import FlyteAssertion, FlyteEntityAlreadyExistsException, FlyteEntityNotExistException
from flyteplane.models.core.identifier import Identifier, ResourceType, WorkflowExecutionIdentifier
from flyteplane.remote import FlyteLaunchPlan, FlyteRemote, FlyteTask, FlyteWorkflow
from tests.remote.support import ADD_ONE, DOMAIN, PROJECT, SLEEP, contract_task


@pytest.fixture
def remote(flyte_admin):
    with FlyteRemote(Config.for_endpoint(flyte_admin.endpoint, insecure=True), PROJECT, DOMAIN) as r:
        yield r


# -- construction -----------------------------------------------------------------------------------------------------
def test_a_config_without_endpoint_is_refused():
    for config in (None, Config(platform=None)):  # type: ignore[arg-type]
        with pytest.raises(FlyteAssertion, match=r"Flyte endpoint should be provided\."):
            FlyteRemote(config)


def test_construction_has_no_side_effects_and_connects_lazily(tmp_path):
    script = """
import json, os, sys, tempfile
before = set(os.listdir(tempfile.gettempdir()))
from flyteplane.remote.remote import FlyteRemote
r1 = FlyteRemote.for_endpoint("your.flyte.admin:port", insecure=True, default_project="p", default_domain="d")
r2 = FlyteRemote.auto(default_project="p", default_domain="d")
r3 = FlyteRemote.for_sandbox(default_project="p", default_domain="d")
state = {
    "grpc": "grpc" in sys.modules,
    "clients": [r._client is not None for r in (r1, r2, r3)],
    "new_tmp": sorted(set(os.listdir(tempfile.gettempdir())) - before),
}
c = r1.client
state["client"] = type(c).__name__
state["same"] = r1.client is c
state["props"] = [r3.default_project, r3.default_domain, r3.interactive_mode_enabled, r3.config.platform.endpoint]
print(json.dumps(state))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYTE")}
    env["HOME"] = str(tmp_path)
    env["TMPDIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    state = json.loads(out.stdout)
    assert state["grpc"] is False
    assert state["clients"] == [False, False, False]
    assert state["new_tmp"] == []
    assert state["client"] == "SynchronousFlyteClient"
    assert state["same"] is True
    assert state["props"] == ["p", "d", False, "localhost:30080"]


def test_interactive_mode_defaults(flyte_admin):
    config = Config.for_endpoint(flyte_admin.endpoint, insecure=True)
    assert FlyteRemote(config).interactive_mode_enabled is False  # not in a notebook
    assert FlyteRemote(config, interactive_mode_enabled=True).interactive_mode_enabled is True
    assert FlyteRemote.for_endpoint(flyte_admin.endpoint, True).interactive_mode_enabled is False


def test_client_kwargs_reach_the_client_when_it_is_built(flyte_admin):
    remote = FlyteRemote(Config.for_endpoint(flyte_admin.endpoint, insecure=True), options=[("grpc.enable_retries", 0)])
    assert remote.client.get_control_plane_version()
    remote.close()


def test_project_and_domain_are_required_somewhere(flyte_admin):
    remote = FlyteRemote(Config.for_endpoint(flyte_admin.endpoint, insecure=True))
    with pytest.raises(FlyteAssertion, match=r"no project: pass project=\.\.\. or create the FlyteRemote with"):
        remote.fetch_task(name="t")
    with pytest.raises(FlyteAssertion, match="no domain"):
        remote.fetch_task(project="flytesnacks", name="t")


# -- register and fetch -----------------------------------------------------------------------------------------------
def test_register_then_fetch_latest_and_by_version(remote, flyte_admin):
    name = f"t_{uuid.uuid4().hex[:6]}"
    first = remote.register_task(contract_task(name, ADD_ONE, "v1"))
    assert isinstance(first, FlyteTask)
    assert (first.name, first.id.version) == (name, "v1")
    remote.register_task(contract_task(name, ADD_ONE, "v2"))
    assert remote.fetch_task(name=name).id.version == "v2"
    assert remote.fetch_task(name=name, version="latest").id.version == "v2"
    fetched = remote.fetch_task(PROJECT, DOMAIN, name, "v1")
    assert fetched.id.version == "v1"
    assert set(fetched.interface.inputs) == {"x"}
    assert set(fetched.interface.outputs) == {"y"}


def test_registering_the_same_task_again_is_success(remote, flyte_admin):
    template = contract_task(f"same_{uuid.uuid4().hex[:6]}", ADD_ONE, "v1")
    remote.register_task(template)
    creates = flyte_admin.calls["CreateTask"]
    again = remote.register_task(template)
    assert again.id.version == "v1"
    assert flyte_admin.calls["CreateTask"] == creates + 1  # one call, ALREADY_EXISTS taken as success, no retry


def test_a_different_task_under_a_registered_version_is_an_error_that_says_so(remote):
    name = f"diff_{uuid.uuid4().hex[:6]}"
    remote.register_task(contract_task(name, ADD_ONE, "v1"))
    with pytest.raises(FlyteEntityAlreadyExistsException) as info:
        remote.register_task(contract_task(name, SLEEP, "v1"))
    message = str(info.value)
    assert f"task {PROJECT}:{DOMAIN}:{name} version v1 is already registered with a different definition" in message
    assert "register the change under a new version" in message
    assert "with different structure already exists" in message  # Flyte Admin's own diff follows


def test_register_fills_project_domain_and_version_from_arguments(remote):
    template = contract_task("filled", ADD_ONE, "v1")
    task = remote.register_task(template, version="v9")
    assert task.id.version == "v9"
    bare = contract_task("bare", ADD_ONE, "")
    with pytest.raises(FlyteAssertion, match=r"cannot register \[bare\]: its identifier has no version"):
        remote.register_task(bare)


def test_fetching_what_does_not_exist_names_it(remote):
    with pytest.raises(FlyteEntityNotExistException, match=r"no version of task flytesnacks:development:nope is"):
        remote.fetch_task(name="nope")
    with pytest.raises(FlyteEntityNotExistException, match="no version of launch plan"):
        remote.fetch_launch_plan(name="nope")
    with pytest.raises(FlyteAssertion, match="the name of the workflow to fetch is required"):
        remote.fetch_workflow()
    assert remote.fetch_active_launchplan(name="nope") is None


def test_lazy_fetch_makes_no_call_until_used(remote, flyte_admin):
    name = f"lazy_{uuid.uuid4().hex[:6]}"
    remote.register_task(contract_task(name, ADD_ONE, "v1"))
    before = flyte_admin.calls["GetTask"] + flyte_admin.calls["ListTasks"]
    lazy = remote.fetch_task_lazy(name=name)
    assert not lazy.entity_fetched()
    assert flyte_admin.calls["GetTask"] + flyte_admin.calls["ListTasks"] == before
    assert lazy.id.version == "v1"
    assert lazy.entity_fetched()
    assert "fetched" in repr(lazy)


def test_list_tasks_by_version_pages_through_everything(remote):
    version = uuid.uuid4().hex[:8]
    for i in range(130):
        remote.register_task(contract_task(f"many_{i:03d}", ADD_ONE, version))
    assert len(remote.list_tasks_by_version(version)) == 100  # flytekit's default limit
    everything = remote.list_tasks_by_version(version, limit=None)
    assert sorted(t.name for t in everything) == [f"many_{i:03d}" for i in range(130)]
    assert len(remote.list_tasks_by_version(version, limit=7)) == 7


def test_list_projects_and_domains(remote):
    assert "flytesnacks" in [p.id for p in remote.list_projects()]
    assert [d.id for d in remote.get_domains()] == ["development", "staging", "production"]


# -- workflows and launch plans (flytekit-serialized, registered by flyteplane) ------------------------------------
def test_register_a_flytekit_workflow_with_its_default_launch_plan(remote):
    from tests.admin import engine_workflows as wfs

    version = uuid.uuid4().hex[:8]
    workflow = remote.register_workflow(wfs.chain, version=version)
    assert isinstance(workflow, FlyteWorkflow)
    assert workflow.name == "tests.admin.engine_workflows.chain"
    assert sorted(t.name for t in workflow.flyte_tasks) == [
        "tests.admin.engine_workflows.add_one",
        "tests.admin.engine_workflows.double",
    ]
    assert [n.id for n in workflow.flyte_nodes] == ["n0", "n1"]
    lp = remote.fetch_launch_plan(name=workflow.name, version=version)
    assert isinstance(lp, FlyteLaunchPlan)
    assert set(lp.interface.inputs) == {"x"} and set(lp.interface.outputs) == {"o0"}
    assert lp.workflow_id.name == workflow.name
    assert lp.flyte_workflow is not None and lp.flyte_workflow.name == workflow.name
    assert not lp.is_scheduled

    # Fetched again: the same closure; listed: workflows and launch plans without a fetch each.
    assert remote.fetch_workflow(name=workflow.name).id.version == version
    assert [w.id.version for w in remote.list_workflows(name=workflow.name)] == [version]
    assert [p.id.version for p in remote.list_launch_plans(name=workflow.name)] == [version]

    # Activation.
    assert remote.fetch_active_launchplan(name=workflow.name) is None
    remote.activate_launchplan(lp.id)
    active = remote.fetch_active_launchplan(name=workflow.name)
    assert active is not None and active.id.version == version
    assert [p.name for p in remote.list_launch_plans(active_only=True)] == [workflow.name]
    remote.deactivate_launchplan(lp.id)
    assert remote.fetch_active_launchplan(name=workflow.name) is None


def test_register_a_flytekit_task_needs_a_version(remote):
    from tests.admin import engine_workflows as wfs

    with pytest.raises(FlyteAssertion, match="needs a version: pass version="):
        remote.register_task(wfs.add_one)
    task = remote.register_task(wfs.add_one, version="k1")
    assert (task.name, task.id.version) == ("tests.admin.engine_workflows.add_one", "k1")


# -- console URLs -----------------------------------------------------------------------------------------------------
def test_console_urls(remote, flyte_admin):
    base = f"http://{flyte_admin.endpoint}/console/projects/{PROJECT}/domains/{DOMAIN}"
    eid = WorkflowExecutionIdentifier(PROJECT, DOMAIN, "abc")
    assert remote.generate_console_url(eid) == f"{base}/executions/abc"
    tid = Identifier(ResourceType.TASK, PROJECT, DOMAIN, "t", "v1")
    assert remote.generate_console_url(tid) == f"{base}/task/t/version/v1"
    lp = Identifier(ResourceType.LAUNCH_PLAN, PROJECT, DOMAIN, "l", "v2")
    assert remote.generate_console_url(lp) == f"{base}/launch_plan/l/version/v2"
    with pytest.raises(FlyteAssertion, match="cannot make a console URL for a int"):
        remote.generate_console_url(3)


def test_console_endpoint_wins_when_configured(flyte_admin):
    import dataclasses

    config = Config.for_endpoint(flyte_admin.endpoint, insecure=True)
    config = config.with_params(platform=dataclasses.replace(config.platform, console_endpoint="https://console.x/"))
    remote = FlyteRemote(config, PROJECT, DOMAIN)
    eid = WorkflowExecutionIdentifier(PROJECT, DOMAIN, "abc")
    assert (
        remote.generate_console_url(eid)
        == f"https://console.x/console/projects/{PROJECT}/domains/{DOMAIN}/executions/abc"
    )
