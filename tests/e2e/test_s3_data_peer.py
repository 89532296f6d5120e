"""Files, directories and dataframes through ``s3://`` URLs, with flytekit as the client and in the tasks.

The sandbox's native URLs are ``s3://my-s3-bucket/...`` as the Flyte sandbox's: flytekit's FlyteRemote uploads inputs
through the data proxy's signed URLs and downloads outputs with s3fs from the sandbox's S3 endpoint (configured by
the ``storage:`` section the sandbox prints); the task processes read and write through the same endpoint with the
``FLYTE_AWS_*`` variables the engine sets.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from flytekit.configuration import ImageConfig
from flytekit.models.core.execution import WorkflowExecutionPhase
from flytekit.types.directory import FlyteDirectory
from flytekit.types.file import FlyteFile
from flytekit.types.structured import StructuredDataset

from tests.e2e.conftest import DOMAIN, PROJECT, WORKFLOWS, Sandbox

IMAGE = "localhost/flyteplane-e2e:never-pulled"
BUCKET = "my-s3-bucket"
_WAIT = datetime.timedelta(seconds=180)


def test_the_printed_config_names_the_s3_endpoint(sandbox: Sandbox) -> None:
    text = sandbox.config_file.read_text()
    assert (
        f"storage:\n  type: minio\n  container: {BUCKET}\n  connection:\n    endpoint: {sandbox.http_endpoint}\n"
        in text
    )
    assert "    access-key: minio\n    secret-key: miniostorage\n" in text
    from flytekit.configuration import Config

    s3 = Config.auto(config_file=str(sandbox.config_file)).data_config.s3
    assert (s3.endpoint, s3.access_key_id, s3.secret_access_key) == (sandbox.http_endpoint, "minio", "miniostorage")


def test_file_and_directory_in_file_and_dataframe_out(remote, workflows_on_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import s3_data  # type: ignore[import-not-found]

    version = f"e2e-s3-{os.urandom(6).hex()}"
    remote.register_script(
        s3_data.wf, image_config=ImageConfig.auto(img_name=IMAGE), version=version,
        source_path=str(WORKFLOWS), module_name="s3_data",
    )  # fmt: skip
    doc = tmp_path / "doc.txt"
    doc.write_text("hello from the client")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("1")
    (folder / "sub" / "two.bin").write_bytes(os.urandom(3000))

    wf = remote.fetch_workflow(name="s3_data.wf", version=version)
    execution = remote.execute(wf, inputs={"doc": FlyteFile(str(doc)), "folder": FlyteDirectory(str(folder))})
    execution = remote.wait(execution, timeout=_WAIT)
    assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error

    # The inputs the client uploaded are s3:// URLs of the sandbox's bucket.
    inputs = execution.inputs
    assert inputs.get("doc", FlyteFile).remote_source.startswith(f"s3://{BUCKET}/{PROJECT}/{DOMAIN}/")
    # Outputs: a report file and a dataframe, downloaded by the client from the S3 endpoint (the remote fixture's
    # context has the storage settings the sandbox printed).
    report = execution.outputs.get("o0", FlyteFile)
    with open(report) as f:
        text = f.read()
    df = execution.outputs.get("o1", StructuredDataset).open(pd.DataFrame).all()
    assert report.remote_source.startswith(f"s3://{BUCKET}/data/")
    assert "text: hello from the client" in text
    assert re.search(rf"doc uri: s3://{BUCKET}/{PROJECT}/{DOMAIN}/\S+/doc.txt", text), text
    assert f"raw output prefix: s3://{BUCKET}/data/" in text
    assert execution.outputs.literals["o1"].scalar.structured_dataset.uri.startswith(f"s3://{BUCKET}/data/")
    # flytekit's FlyteFS uploads each file of a directory under its own name in one filename_root (remote_fs.py's
    # _put_file): the folder arrives flat, as it does on the Flyte sandbox.
    assert df.to_dict("list") == {"name": ["one.txt", "two.bin"], "size": [1, 3000]}


def test_pyflyte_run_remote_with_a_local_file(sandbox: Sandbox, remote, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = tmp_path / "quiet.txt"
    doc.write_text("whisper")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "AWS_"))}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("pyflyte")), "--config", str(sandbox.config_file), "run", "--remote",
         "--image", IMAGE, "s3_data.py", "shout", "--doc", str(doc)],
        cwd=WORKFLOWS, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, f"pyflyte failed:\n{result.stdout}\n{result.stderr}"
    match = re.search(r"/executions/([a-z0-9-]+)", result.stdout)
    assert match, result.stdout
    execution = remote.wait(remote.fetch_execution(name=match[1]), timeout=_WAIT)
    assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error
    loud = execution.outputs.get("o0", FlyteFile)
    with open(loud) as f:
        assert f.read() == "WHISPER"


@pytest.mark.parametrize("files", [1, 2])
def test_pyflyte_run_remote_with_a_directory(sandbox: Sandbox, remote, tmp_path: Path, files: int) -> None:  # type: ignore[no-untyped-def]
    """A directory of one file too: flytekit names such an upload by its file's URL, which must read as remote."""
    doc = tmp_path / "doc.txt"
    doc.write_text("d")
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(files):
        (folder / f"f{i}.txt").write_text(str(i))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYTE", "AWS_"))}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("pyflyte")), "--config", str(sandbox.config_file), "run", "--remote",
         "--image", IMAGE, "s3_data.py", "wf", "--doc", str(doc), "--folder", str(folder)],
        cwd=WORKFLOWS, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, f"pyflyte failed:\n{result.stdout}\n{result.stderr}"
    match = re.search(r"/executions/([a-z0-9-]+)", result.stdout)
    assert match, result.stdout
    execution = remote.wait(remote.fetch_execution(name=match[1]), timeout=_WAIT)
    assert execution.closure.phase == WorkflowExecutionPhase.SUCCEEDED, execution.error
