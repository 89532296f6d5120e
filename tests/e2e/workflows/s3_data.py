"""flytekit tasks whose data goes through ``s3://`` URLs: FlyteFile and FlyteDirectory inputs uploaded by the client,
a FlyteFile and a StructuredDataset (a pandas DataFrame) as outputs.

``tests/e2e/test_s3_data_peer.py`` runs them on a ``flyteplane sandbox``, where the task processes read and write
``s3://my-s3-bucket/...`` through the admin's S3 endpoint, as pods read and write minio in the Flyte sandbox.
"""

import os

import pandas as pd
from flytekit import StructuredDataset, current_context, task, workflow
from flytekit.types.directory import FlyteDirectory
from flytekit.types.file import FlyteFile


@task
def summarize(doc: FlyteFile, folder: FlyteDirectory) -> tuple[FlyteFile, StructuredDataset]:
    """A report of the inputs as seen inside the task (their URIs, contents and the files of the folder)."""
    with open(doc) as f:
        text = f.read()
    local = folder.download()
    names = sorted(
        os.path.relpath(os.path.join(root, name), local) for root, _, files in os.walk(local) for name in files
    )
    report = os.path.join(current_context().working_directory, "report.txt")
    with open(report, "w") as f:
        f.write(f"doc uri: {doc.remote_source}\nfolder uri: {folder.remote_source}\ntext: {text}\n")
        f.write(f"raw output prefix: {current_context().raw_output_prefix}\n")
    frame = pd.DataFrame({"name": names, "size": [os.path.getsize(os.path.join(local, n)) for n in names]})
    return FlyteFile(report), StructuredDataset(dataframe=frame)


@workflow
def wf(doc: FlyteFile, folder: FlyteDirectory) -> tuple[FlyteFile, StructuredDataset]:
    return summarize(doc=doc, folder=folder)


@task
def shout(doc: FlyteFile) -> FlyteFile:
    out = os.path.join(current_context().working_directory, "loud.txt")
    with open(doc) as f, open(out, "w") as g:
        g.write(f.read().upper())
    return FlyteFile(out)
