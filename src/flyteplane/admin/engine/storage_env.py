"""Where task processes keep raw data, and how they reach it: the admin's S3 endpoint, as pods reach minio.

In the Flyte sandbox a task pod writes raw outputs under ``s3://my-s3-bucket/data`` and reads the data proxy's
uploads from ``s3://my-s3-bucket/...``; flytekit reaches minio through the ``FLYTE_AWS_ENDPOINT``,
``FLYTE_AWS_ACCESS_KEY_ID`` and ``FLYTE_AWS_SECRET_ACCESS_KEY`` variables the sandbox sets in every pod. Here the
S3 endpoint is the admin's HTTP side (:mod:`flyteplane.admin.s3_gateway`), so both only hold once that side listens:
an engine without it (an engine embedded in a test, say) keeps raw data in the blob store's folder as plain paths,
which flytekit treats as local files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flyteplane.admin.blobs import BlobStore

__all__ = ["RAW_DATA_KEY", "TaskStorage"]

RAW_DATA_KEY = "data"
"""The blob store folder of raw outputs: ``s3://<bucket>/data``, as in the Flyte sandbox."""


@dataclass(frozen=True)
class TaskStorage:
    """The blob store as task processes see it.

    Args:
        blobs: the admin's blob store.
        http_endpoint: the admin's HTTP side (``http://host:port``), None while it does not listen.
        access_key_id: the S3 endpoint's access key id.
        secret_access_key: its secret.
    """

    blobs: BlobStore
    http_endpoint: Callable[[], str | None]
    access_key_id: str
    secret_access_key: str

    def raw_output_root(self) -> str:
        """``s3://<bucket>/data`` when the S3 endpoint serves, else the plain path of that folder."""
        if self.http_endpoint() is not None and self.blobs.bucket is not None:
            return self.blobs.native_url(RAW_DATA_KEY)
        return self.blobs.path_of(RAW_DATA_KEY).as_posix()

    def env(self) -> dict[str, str]:
        """The variables flytekit's S3 settings read (``S3Config``), pointing at the S3 endpoint; none when it does
        not serve. The sandbox's pods get these three only (not ``AWS_*``, which would redirect a task's own
        boto clients away from AWS)."""
        endpoint = self.http_endpoint()
        if endpoint is None:
            return {}
        return {
            "FLYTE_AWS_ENDPOINT": endpoint,
            "FLYTE_AWS_ACCESS_KEY_ID": self.access_key_id,
            "FLYTE_AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
