"""The rest of Flyte's task contract, with real flytekit programs on a real admin over gRPC.

Every task runs through flytekit's own ``pyflyte-execute`` (``engine_contract_workflows.py``), registered and run
with flytekit's ``FlyteRemote``, as a user would:

* eager workflows, whose task process is its own propeller: it reaches the admin with the settings the engine
  gives it (the admin's gRPC endpoint; with auth on, a client credential) and launches one execution per awaited
  entity, nested eager workflows included;
* ``{{.taskTemplatePath}}``: flytekit's SQLite3Task loads itself from the task template the engine writes;
* intra-task checkpoints: a retry resumes from the previous attempt's checkpoint (``{{.prevCheckpointPrefix}}``);
* decks: the deck a task writes is the node's deck, served by the data proxy;
* ImageSpec: a task in an ImageSpec image sees itself inside it (``ImageSpec.is_container()``).
"""

from __future__ import annotations

import dataclasses
import datetime
import sqlite3
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from flyteidl.admin import common_pb2, execution_pb2, node_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import literals_pb2, tasks_pb2
from flyteidl.service import admin_pb2_grpc, dataproxy_pb2, dataproxy_pb2_grpc
from flytekit import kwtypes
from flytekit.configuration import (
    Config,
    DataConfig,
    Image,
    ImageConfig,
    PlatformConfig,
    S3Config,
    SerializationSettings,
)
from flytekit.core.context_manager import FlyteContextManager
from flytekit.extras.sqlite3.task import SQLite3Config, SQLite3Task
from flytekit.remote import FlyteRemote
from flytekit.types.schema import FlyteSchema
from tests.admin import engine_contract_workflows as cw

from flyteplane.admin import AdminServer
from flyteplane.admin.auth import AuthConfig, ClientRegistration, mint_token
from flyteplane.admin.auth.config import GRANT_AUTHORIZATION_CODE, default_clients
from flyteplane.admin.config import AdminConfig
from flyteplane.admin.engine.images import ImageEnv, image_env
from flyteplane.admin.engine.platform_access import (
    EAGER_SECRET_KEY,
    PlatformAccess,
    TaskCredential,
    missing_credential,
)
from flyteplane.admin.engine.runtime import CancelToken
from flyteplane.admin.engine.task_runner import Attempt, AttemptPaths, ProcessTable, run_attempt
from flyteplane.admin.tls import TlsConfig
from flyteplane.admin.wiring import task_credential

REPO = Path(__file__).resolve().parents[3]
PROJECT, DOMAIN = "flytesnacks", "development"
WF = core_execution_pb2.WorkflowExecution
NODE = core_execution_pb2.NodeExecution
WAIT = datetime.timedelta(seconds=180)
POLL = datetime.timedelta(seconds=0.5)
SECRET = "contract-s3cret"


def _settings(version: str) -> SerializationSettings:
    # The ImageSpec's image, by name, as `pyflyte register --image` maps it (so that nothing is built).
    default = ImageConfig.auto_default_image().default_image
    spec_image = Image(name=cw.SPEC.id, fqn=f"{cw.SPEC.registry}/{cw.SPEC.name}", tag=cw.SPEC.tag)
    images = ImageConfig.create_from(default, [spec_image])
    return SerializationSettings(image_config=images, project=PROJECT, domain=DOMAIN, version=version)


def _config(**kw: Any) -> AdminConfig:
    return AdminConfig(seed_projects=(PROJECT,), task_pythonpath=(str(REPO),), **kw)


@pytest.fixture
def admin() -> Iterator[AdminServer]:
    with AdminServer(config=_config()) as server:
        yield server


def _remote(admin: AdminServer, platform: PlatformConfig | None = None) -> FlyteRemote:
    # Outputs are s3:// URLs of the admin's S3 endpoint: the client reads them with its storage settings.
    s3 = S3Config(endpoint=admin.http_endpoint, access_key_id="minio", secret_access_key="miniostorage")
    config = Config.for_endpoint(admin.endpoint, insecure=True, data_config=DataConfig(s3=s3))
    if platform is not None:
        config = config.with_params(platform=platform)
    return FlyteRemote(config, default_project=PROJECT, default_domain=DOMAIN)


def _stub(admin: AdminServer) -> admin_pb2_grpc.AdminServiceStub:
    if admin.certificate_path is None:
        return admin_pb2_grpc.AdminServiceStub(grpc.insecure_channel(admin.endpoint))
    credentials = grpc.ssl_channel_credentials(admin.certificate_path.read_bytes())
    return admin_pb2_grpc.AdminServiceStub(grpc.secure_channel(admin.endpoint, credentials))


def _run(remote: FlyteRemote, entity: Any, version: str, **inputs: Any) -> Any:
    """Register ``entity`` (and, for eager ones, every task of the module) at ``version``, run it, wait for it."""
    settings = _settings(version)
    for task in (cw.plus_one, cw.times_two, cw.eager_chain, cw.eager_nested):
        remote.register_task(task, serialization_settings=settings, version=version)
    if hasattr(entity, "nodes"):
        registered = remote.register_workflow(entity, serialization_settings=settings, version=version)
    else:
        registered = remote.register_task(entity, serialization_settings=settings, version=version)
    execution = remote.execute(registered, inputs=inputs, wait=False)
    return remote.wait(execution, timeout=WAIT, poll_interval=POLL)


def _node(stub: admin_pb2_grpc.AdminServiceStub, eid: Any, token: str = "") -> node_execution_pb2.NodeExecution:
    """The one task node of an execution (of a task, or of a workflow of one task)."""
    request = node_execution_pb2.NodeExecutionListRequest(limit=10)
    request.workflow_execution_id.CopyFrom(eid.to_flyte_idl() if hasattr(eid, "to_flyte_idl") else eid)
    nodes = stub.ListNodeExecutions(request, metadata=_bearer(token)).node_executions
    (node,) = [n for n in nodes if n.id.node_id not in ("start-node", "end-node")]
    return node


def _executions(stub: admin_pb2_grpc.AdminServiceStub, token: str = "") -> list[execution_pb2.Execution]:
    request = common_pb2.ResourceListRequest(id={"project": PROJECT, "domain": DOMAIN}, limit=100)
    return list(stub.ListExecutions(request, metadata=_bearer(token)).executions)


def _bearer(token: str) -> tuple[tuple[str, str], ...] | None:
    return (("authorization", f"Bearer {token}"),) if token else None


def _error_text(execution: Any) -> str:
    error = execution.closure.error
    return f"{error.code}: {error.message}" if error is not None else ""


# -- eager workflows ----------------------------------------------------------------------------------------------
def test_an_eager_workflow_runs_its_tasks_as_executions_of_the_admin(admin: AdminServer) -> None:
    remote = _remote(admin)
    execution = _run(remote, cw.eager_chain, "e1", x=3)
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    assert execution.outputs["o0"] == 8  # times_two(plus_one(3))

    stub = _stub(admin)
    # The eager task's node says it is eager (the node launched executions of its own).
    node = _node(stub, execution.id)
    assert node.metadata.is_eager
    # One execution per awaited task, labelled with the eager execution that launched it, as flytekit's
    # Controller creates them; each succeeded, and ran through the engine.
    children = [e for e in _executions(stub) if e.spec.labels.values.get("eager-exec") == execution.id.name]
    assert sorted(e.spec.launch_plan.name for e in children) == [
        "tests.admin.engine_contract_workflows.plus_one",
        "tests.admin.engine_contract_workflows.times_two",
    ]
    for child in children:
        assert child.closure.phase == WF.SUCCEEDED
        assert child.spec.labels.values["eager-root-exec"] == execution.id.name
        assert {kv.key: kv.value for kv in child.spec.envs.values}["_F_EE_ROOT"] == execution.id.name
    # flytekit's eager deck lists them; it is the node's deck.
    proxy = dataproxy_pb2_grpc.DataProxyServiceStub(grpc.insecure_channel(admin.endpoint))
    link = proxy.CreateDownloadLink(
        dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=node.id
        )
    )
    deck = urllib.request.urlopen(link.signed_url[0]).read().decode()
    assert all(child.id.name in deck for child in children)


def test_a_nested_eager_workflow_launches_its_own_executions(admin: AdminServer) -> None:
    remote = _remote(admin)
    execution = _run(remote, cw.eager_nested, "e2", x=3)
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    assert execution.outputs["o0"] == 9  # plus_one(eager_chain(3))

    stub = _stub(admin)
    everything = _executions(stub)
    launched = [e for e in everything if e.spec.labels.values.get("eager-exec") == execution.id.name]
    names = sorted(e.spec.launch_plan.name.rsplit(".", 1)[-1] for e in launched)
    assert names == ["eager_chain", "plus_one"]
    (inner,) = [e for e in launched if e.spec.launch_plan.name.endswith("eager_chain")]
    assert _node(stub, inner.id).metadata.is_eager
    # The inner eager workflow's own tasks name the outer one as their root.
    grandchildren = [e for e in everything if e.spec.labels.values.get("eager-exec") == inner.id.name]
    assert len(grandchildren) == 2
    assert {e.spec.labels.values["eager-root-exec"] for e in grandchildren} == {execution.id.name}
    assert all(e.closure.phase == WF.SUCCEEDED for e in (*launched, *grandchildren))


def test_a_failing_eager_workflow_has_its_failure_handler_end_what_it_left_running(admin: AdminServer) -> None:
    _fail_and_clean_up(admin, _remote(admin), "f1")


def _fail_and_clean_up(admin: AdminServer, remote: FlyteRemote, version: str, token: str = "") -> None:
    # The form `pyflyte register` gives an eager task: a workflow of it, whose failure node is flytekit's eager
    # failure handler (it lists the executions labelled with the eager execution and terminates those still open).
    workflow = cw.eager_fails.get_as_workflow()
    settings = _settings(version)
    for task in (cw.sleeping, cw.refuse):
        remote.register_task(task, serialization_settings=settings, version=version)
    registered = remote.register_workflow(workflow, serialization_settings=settings, version=version)
    execution = remote.execute(registered, inputs={"x": 1}, wait=False)
    execution = remote.wait(execution, timeout=WAIT, poll_interval=POLL)
    assert execution.closure.phase == WF.FAILED
    # flytekit turns the failed sub-execution into an EagerException, and fails the eager task with it.
    assert execution.closure.error.code == "USER:NonRecoverableSystemError"

    stub = _stub(admin)
    launched = {
        e.spec.launch_plan.name.rsplit(".", 1)[-1]: e
        for e in _executions(stub, token)
        if e.spec.labels.values.get("eager-exec") == execution.id.name
    }
    assert set(launched) == {"sleeping", "refuse"}
    assert launched["refuse"].closure.phase == WF.FAILED
    assert launched["sleeping"].closure.phase in (WF.ABORTING, WF.ABORTED)
    assert (
        launched["sleeping"].closure.abort_metadata.cause == f"clean up by parent eager execution {execution.id.name}"
    )
    request = node_execution_pb2.NodeExecutionListRequest(limit=10)
    request.workflow_execution_id.CopyFrom(execution.id.to_flyte_idl())
    listed = stub.ListNodeExecutions(request, metadata=_bearer(token))
    nodes = {n.id.node_id: n for n in listed.node_executions}
    # The eager node failed (and says it is eager); the failure node ("efn", as propeller names it) succeeded.
    assert nodes["n0"].closure.phase == NODE.FAILED and nodes["n0"].metadata.is_eager
    assert nodes["efn"].closure.phase == NODE.SUCCEEDED


def test_an_eager_workflow_authenticates_over_tls_when_auth_is_on() -> None:
    # The task gets the admin's certificate to trust, and flytepropeller's credential through its EAGER_DEFAULT
    # secret request (the admin adds the request to eager tasks).
    auth = AuthConfig.self_issued(SECRET)
    with AdminServer(config=_config(auth=auth), tls=TlsConfig()) as admin:
        assert admin.certificate_path is not None
        platform = PlatformConfig(
            endpoint=admin.endpoint,
            insecure=False,
            ca_cert_file_path=str(admin.certificate_path),
            auth_mode="ClientSecret",
            client_id="flytepropeller",
            client_credentials_secret=SECRET,
        )
        remote = _remote(admin, platform)
        task = remote.register_task(cw.eager_chain, serialization_settings=_settings("e3"), version="e3")
        assert [s.key for s in task.template.security_context.secrets] == [EAGER_SECRET_KEY]
        execution = _run(remote, cw.eager_chain, "e3", x=1)
        assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
        assert execution.outputs["o0"] == 4
        # The failure handler reaches the admin too, to end what a failed eager task left running.
        _fail_and_clean_up(admin, remote, "f3", mint_token(admin, "tester"))


def test_an_eager_workflow_without_a_credential_to_give_fails_saying_why() -> None:
    # No confidential client may use the client credentials grant: the engine has nothing to give the task.
    web = ClientRegistration(
        "web",
        client_secret=SECRET,
        redirect_uris=("http://localhost:9000/cb",),
        grant_types=(GRANT_AUTHORIZATION_CODE,),
    )
    auth = AuthConfig(mode="self", clients=(*default_clients()[:1], web))
    with AdminServer(config=_config(auth=auth)) as admin:
        token = mint_token(admin, "alice")
        platform = PlatformConfig(
            endpoint=admin.endpoint, insecure=True, auth_mode="ExternalCommand", command=["echo", token]
        )
        remote = _remote(admin, platform)
        execution = _run(remote, cw.eager_chain, "e4", x=1)
        assert execution.closure.phase == WF.FAILED
        error = execution.closure.error
        assert error.code == "EagerCredentialsMissing"
        assert "FLYTE_CREDENTIALS_CLIENT_ID" in error.message and "client_credentials" in error.message
        # Nothing ran: the failure is the engine's, before any process.
        node = _node(_stub(admin), execution.id, token)
        assert node.closure.phase == NODE.FAILED and node.metadata.is_eager


def test_who_gets_the_eager_credential() -> None:
    eager = tasks_pb2.TaskTemplate()
    eager.metadata.is_eager = True
    eager.security_context.secrets.add(key=EAGER_SECRET_KEY)
    plain = tasks_pb2.TaskTemplate()
    access = PlatformAccess(endpoint=lambda: "127.0.0.1:1", credential=TaskCredential("tasks", "pw"))
    assert access.secrets(plain, {}) == {}
    assert access.secrets(eager, {}) == {
        "_FSEC_EAGER_DEFAULT": "pw",
        "FLYTE_CREDENTIALS_CLIENT_ID": "tasks",
        "FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR": "_FSEC_EAGER_DEFAULT",
    }
    handler = tasks_pb2.TaskTemplate(type="eager_failure_handler_task")  # flytekit's, for an eager workflow
    assert access.secrets(handler, {})["FLYTE_CREDENTIALS_CLIENT_ID"] == "tasks"
    # flytekit's secrets prefix, if the environment changes it.
    assert "_S_EAGER_DEFAULT" in access.secrets(eager, {"FLYTE_SECRETS_ENV_PREFIX": "_S_"})
    assert access.defaults() == {"FLYTE_PLATFORM_URL": "127.0.0.1:1", "FLYTE_PLATFORM_INSECURE": "True"}
    assert PlatformAccess().defaults() == {}  # not listening yet: nothing to tell
    tls = PlatformAccess(endpoint=lambda: "h:1", certificate=lambda: Path("/c.pem"))
    assert tls.defaults()["FLYTE_PLATFORM_INSECURE"] == "False"
    assert tls.defaults()["FLYTE_PLATFORM_CA_CERT_FILE_PATH"] == "/c.pem"

    # With auth on and nothing to give, an eager task needs a credential of its own.
    needs = PlatformAccess(auth_required=True)
    assert missing_credential(needs, plain, {}) is None
    assert "no client credential" in (missing_credential(needs, eager, {}) or "")
    assert missing_credential(needs, eager, {"FLYTE_CREDENTIALS_CLIENT_SECRET": "x"}) is None
    assert missing_credential(access, eager, {}) is None

    # The admin's choice: flytepropeller first, else a confidential client with the client credentials grant.
    assert task_credential(_config()) is None
    assert task_credential(_config(auth=AuthConfig.self_issued("pw"))) == TaskCredential("flytepropeller", "pw")
    other = ClientRegistration("robot", client_secret="r0b0t")
    assert task_credential(_config(auth=AuthConfig(mode="self", clients=(other,)))) == TaskCredential("robot", "r0b0t")
    external = AuthConfig.external("https://idp.example", "api://flyte")
    assert task_credential(_config(auth=external)) is None


# -- the task template --------------------------------------------------------------------------------------------
def test_a_template_driven_task_reads_the_task_template(admin: AdminServer, tmp_path: Path) -> None:
    db = tmp_path / "fruits.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table fruits (name text, count integer)")
        conn.executemany("insert into fruits values (?, ?)", [("apple", 3), ("pear", 5), ("plum", 7)])
    sql = SQLite3Task(
        name="tests.admin.contract.sqlite_fruits",
        query_template="select name, count from fruits where count > {{ .inputs.least }} order by count",
        inputs=kwtypes(least=int),
        output_schema_type=FlyteSchema[kwtypes(name=str, count=int)],
        task_config=SQLite3Config(uri=str(db)),
    )
    remote = _remote(admin)
    execution = _run(remote, sql, "t1", least=4)
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    import flytekit.types.schema.types_pandas  # noqa: F401  (FlyteSchema's pandas reader)

    ctx = FlyteContextManager.current_context()
    with FlyteContextManager.with_context(ctx.with_file_access(remote.file_access)):  # the remote's S3 settings
        frame = execution.outputs.get("results", FlyteSchema).open().all()
    assert list(frame["name"]) == ["pear", "plum"]
    # The template it read is the one registered, written where propeller writes it: the node's data directory.
    node = _node(_stub(admin), execution.id)
    eid = execution.id
    key = f"metadata/propeller/{PROJECT}-{DOMAIN}-{eid.name}/{node.id.node_id}/data/task.pb"
    assert admin.context is not None
    written = tasks_pb2.TaskTemplate.FromString(admin.context.blobs.get(key))
    assert written.id.name == "tests.admin.contract.sqlite_fruits" and written.custom["uri"] == str(db)


def test_the_task_template_is_written_only_where_it_is_asked_for(tmp_path: Path) -> None:
    template = tasks_pb2.TaskTemplate(type="python-task")
    template.id.name = "t"
    program = "import sys, pathlib; pathlib.Path(sys.argv[2]).write_text(sys.argv[1])"
    template.container.args[:] = ["python", "-c", program, "{{ .taskTemplatePath }}", str(tmp_path / "seen")]
    out = tmp_path / "out"

    def attempt(paths: AttemptPaths) -> Any:
        spec = Attempt(task=template, inputs=literals_pb2.LiteralMap(), paths=paths, env={}, python=sys.executable)
        return run_attempt(spec, CancelToken(), lambda _pid: None, ProcessTable(None))

    paths = AttemptPaths("", "", out, out.as_uri(), "", "", "", "", tmp_path / "work", tmp_path / "x.log")
    assert attempt(paths).outcome == "succeeded"
    # No place given: the attempt's output directory; the process gets a file:// URL of it.
    assert (tmp_path / "seen").read_text() == (out / "task.pb").as_uri()
    assert tasks_pb2.TaskTemplate.FromString((out / "task.pb").read_bytes()) == template

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = attempt(dataclasses.replace(paths, task_template_file=blocked / "task.pb"))
    assert (result.outcome, result.error.code) == ("failed", "TaskTemplateUnwritable")
    assert result.error.kind == core_execution_pb2.ExecutionError.SYSTEM

    template.container.args[:] = ["python", "-c", "pass"]
    (out / "task.pb").unlink()
    assert attempt(paths).outcome == "succeeded"
    assert not (out / "task.pb").exists()  # not referred to: not written


# -- checkpoints --------------------------------------------------------------------------------------------------
def test_a_retry_resumes_from_the_previous_attempts_checkpoint(admin: AdminServer) -> None:
    remote = _remote(admin)
    execution = _run(remote, cw.checkpointing, "c1", n_iterations=10)
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    assert execution.outputs["o0"] == 9
    execution = remote.sync_execution(execution, sync_nodes=True)
    attempts = execution.node_executions["n0"].task_executions
    # 0..2 ran in the first attempt, 3..5 in the second, 6..8 in the third, 9 in the fourth: each resumed.
    assert [a.closure.phase for a in attempts] == [
        core_execution_pb2.TaskExecution.FAILED,
        core_execution_pb2.TaskExecution.FAILED,
        core_execution_pb2.TaskExecution.FAILED,
        core_execution_pb2.TaskExecution.SUCCEEDED,
    ]


# -- decks --------------------------------------------------------------------------------------------------------
def test_the_deck_a_task_writes_is_the_nodes_deck(admin: AdminServer) -> None:
    remote = _remote(admin)
    execution = _run(remote, cw.with_deck, "d1", x=5)
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    stub = _stub(admin)
    node = _node(stub, execution.id)
    assert node.closure.deck_uri.endswith(f"/{node.id.node_id}/data/0/deck.html")
    assert node.metadata.is_eager is False

    # The data proxy's download link serves it...
    proxy = dataproxy_pb2_grpc.DataProxyServiceStub(grpc.insecure_channel(admin.endpoint))
    link = proxy.CreateDownloadLink(
        dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=node.id
        )
    )
    html = urllib.request.urlopen(link.signed_url[0]).read().decode()
    assert f"{cw.DECK_TEXT} 5" in html
    # ... and FlyteRemote, flytekit's and flyteplane's, fetches it by its flyte:// URL (as bytes without IPython).
    eid = execution.id
    url = f"flyte://v1/{eid.project}/{eid.domain}/{eid.name}/{node.id.node_id}/d"
    assert f"{cw.DECK_TEXT} 5" in remote.get(url).decode()
    from flyteplane.configuration import Config as PlaneConfig
    from flyteplane.remote import FlyteRemote as PlaneRemote

    with PlaneRemote(PlaneConfig.for_endpoint(admin.endpoint, insecure=True), PROJECT, DOMAIN) as plane:
        assert f"{cw.DECK_TEXT} 5" in plane.get(url).decode()


# -- ImageSpec ----------------------------------------------------------------------------------------------------
def test_an_image_spec_task_runs_inside_its_image(admin: AdminServer) -> None:
    assert "_" not in cw.SPEC.tag  # the case the engine can tell (see engine/images.py)
    remote = _remote(admin)
    execution = _run(remote, cw.in_image, "i1")
    assert execution.closure.phase == WF.SUCCEEDED, _error_text(execution)
    task = remote.fetch_task(name="tests.admin.engine_contract_workflows.in_image", version="i1")
    assert task.container.image == f"localhost:30000/flyteplane-contract:{cw.SPEC.tag}"
    at_import, at_run, image_id = execution.outputs["o0"].split(" ")
    assert (at_import, at_run) == ("True", "True")  # at module level and in the task
    assert image_id == cw.SPEC.id


def test_image_ids_are_read_from_image_spec_tags_only_when_unambiguous() -> None:
    assert image_env("localhost:30000/contract:Ca9R3fGn36Qkz0r0biCltA").env == {"_F_IMG_ID": "Ca9R3fGn36Qkz0r0biCltA"}
    ambiguous = image_env("ghcr.io/org/contract:fwtM_T16qeHwrwAHq2XugA")  # fwtM-T16... or fwtM_T16...
    assert ambiguous.env == {}
    assert "could come from 2 ImageSpec ids" in ambiguous.note and "is_container() is False" in ambiguous.note
    for plain in (
        "python:3.12-slim",
        "cr.flyte.org/flyteorg/flytekit:py3.11-1.16.3",
        "localhost:5000/x",
        "x@sha256:ab",
        "",
    ):
        assert image_env(plain) == ImageEnv({})
