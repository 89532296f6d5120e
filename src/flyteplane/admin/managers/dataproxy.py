"""DataProxyService: signed URLs to upload and download blobs (Flyte Admin's ``flyteadmin/dataproxy/service.go``).

Flyte Admin hands out S3 presigned URLs; this admin hands out URLs of its own HTTP side (see
:mod:`flyteplane.admin.http`), signed the same way for the same purpose: one method, one object, until an expiry,
and for uploads one content MD5. Native URLs are those of :class:`~flyteplane.admin.blobs.BlobStore`.

Where Flyte Admin would fail with INTERNAL on a client's mistake (an unknown project, a native URL outside its
bucket, an MD5 that is not 16 bytes, a path with ``..``, an upload expiry that is not positive), this admin answers
INVALID_ARGUMENT naming the field.

CreateDownloadLink signs a node execution's deck; GetData resolves ``flyte://v1/...`` URLs into a node or task
execution's inputs and outputs (see :mod:`flyteplane.admin.domain.flyte_urls`).
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from collections.abc import Callable

from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import dataproxy_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from flyteplane.admin.blobs import InvalidKey, check_key
from flyteplane.admin.config import AdminContext
from flyteplane.admin.domain.flyte_urls import FlyteUrl, parse_flyte_url
from flyteplane.admin.domain.times import go_duration
from flyteplane.admin.domain.validation.common import check_project_and_domain
from flyteplane.admin.errors import AdminError, already_exists, echo, failed_precondition, invalid_argument, not_found
from flyteplane.admin.managers.node_executions import NodeExecutionManager
from flyteplane.admin.managers.task_executions import TaskExecutionManager
from flyteplane.admin.prototext import go_text
from flyteplane.admin.store.projects import ProjectRepository

__all__ = ["DataProxyManager", "go_duration"]

# Flyte Admin's defaults (server.dataProxy.upload / .download).
MAX_UPLOAD_EXPIRES_NS = 3600 * 10**9
MAX_DOWNLOAD_EXPIRES_NS = 3600 * 10**9
DEFAULT_FILENAME_LENGTH = 20
# k8s.io/apimachinery rand.String's alphabet: no vowels, no look-alikes.
_FILENAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# google.protobuf.Duration's documented range (Go's IsValid).
_MAX_DURATION_SECONDS = 315_576_000_000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NOT_POSITIVE_EXPIRY = (
    "failed to create a signed url. Error: InvalidPresignExpireError: "
    "presigned URL requires an expire duration greater than 0"
)


class DataProxyManager:
    """Serves CreateUploadLocation, CreateDownloadLocation, CreateDownloadLink and GetData.

    The signed URLs point at the admin's HTTP side (``http_endpoint()``: ``http://host:port``, None until that
    side listens); the blob store and the signing key are the ones that side serves. GetData reads node and task
    execution data through their managers.
    """

    def __init__(
        self,
        ctx: AdminContext,
        *,
        node_executions: NodeExecutionManager,
        task_executions: TaskExecutionManager,
        http_endpoint: Callable[[], str | None],
    ) -> None:
        self.ctx = ctx
        self.blobs = ctx.blobs
        self.signer = ctx.signer
        self._http_endpoint = http_endpoint
        self._projects = ProjectRepository(ctx.store)
        self._node_executions = node_executions
        self._task_executions = task_executions

    # -- CreateUploadLocation ------------------------------------------------------------------------------
    def create_upload_location(
        self, request: dataproxy_pb2.CreateUploadLocationRequest
    ) -> dataproxy_pb2.CreateUploadLocationResponse:
        if not request.project or not request.domain:
            raise invalid_argument("project and domain are required parameters")
        if not request.filename_root and not request.content_md5:
            raise invalid_argument("content_md5 or filename_root is a required parameter")
        state = self._projects.state(request.project)
        check_project_and_domain(request.project, request.domain, state, self.ctx.config.domains)
        md5 = request.content_md5
        if md5 and len(md5) != 16:
            raise invalid_argument(f"content_md5 must be the 16 bytes of an MD5 digest, got {len(md5)} bytes")
        for field in ("org", "filename_root", "filename"):
            value = getattr(request, field)
            if value:
                _check_part(field, value)

        md5_b64 = base64.b64encode(md5).decode()
        if request.filename and request.filename_root:
            # The full path is the client's choice: refuse to replace an object unless it is the same content.
            key = self._key(request, request.filename_root, request.filename)
            stored = self.blobs.md5_of(key)
            if stored is not None and (not md5 or stored != md5):
                raise already_exists(
                    f"file already exists at location [{self.blobs.native_url(key)}], "
                    "specify a matching hash if you wish to rewrite"
                )

        expires_ns = MAX_UPLOAD_EXPIRES_NS
        if request.HasField("expires_in"):
            expires_in = request.expires_in
            if not _duration_is_valid(expires_in):
                raise invalid_argument(f"expiresIn [{_duration_text(expires_in)}] is invalid")
            expires_ns = _duration_ns(expires_in)
            if expires_ns > MAX_UPLOAD_EXPIRES_NS:
                raise invalid_argument(
                    f"expiresIn [{go_duration(expires_ns)}] cannot exceed max allowed expiration "
                    f"[{go_duration(MAX_UPLOAD_EXPIRES_NS)}]"
                )
            if expires_ns <= 0:
                # Flyte Admin's checks let it through to the storage's signer, and S3's (aws-sdk-go, the
                # sandbox's) refuses it: INTERNAL with this text. It is the client's mistake: INVALID_ARGUMENT.
                raise invalid_argument(_NOT_POSITIVE_EXPIRY)

        filename = request.filename or "".join(
            secrets.choice(_FILENAME_ALPHABET) for _ in range(DEFAULT_FILENAME_LENGTH)
        )
        prefix = request.filename_root or base64.b32encode(md5).decode()
        key = self._key(request, prefix, filename)
        now = time.time()
        signed_url = self._sign("PUT", key, now, expires_ns, md5_b64 if md5 else "")
        headers: dict[str, str] = {}
        if md5:
            # What stow's S3 presigner asks for (minus its Content-Length, which is the length of the MD5 text
            # and would truncate the body of any client that sent it as is).
            headers["Content-MD5"] = md5_b64
            if request.add_content_md5_metadata:
                headers["x-amz-meta-flytecontentmd5"] = md5_b64
        return dataproxy_pb2.CreateUploadLocationResponse(
            signed_url=signed_url,
            native_url=self.blobs.native_url(key),
            expires_at=_timestamp(now, expires_ns),
            headers=headers,
        )

    def _key(self, request: dataproxy_pb2.CreateUploadLocationRequest, prefix: str, filename: str) -> str:
        # Flyte Admin's <storagePrefix>/<org>/<project>/<domain>/<prefix>/<filename>, empty parts dropped.
        parts = (request.org, request.project, request.domain, prefix, filename)
        key = "/".join(p for p in parts if p)
        try:
            return check_key(key)
        except InvalidKey as e:
            raise invalid_argument(f"invalid upload location: {e}") from None

    # -- CreateDownloadLocation ----------------------------------------------------------------------------
    def create_download_location(
        self, request: dataproxy_pb2.CreateDownloadLocationRequest
    ) -> dataproxy_pb2.CreateDownloadLocationResponse:
        expires_ns = MAX_DOWNLOAD_EXPIRES_NS
        if request.HasField("expires_in"):
            problem, expires_ns = _check_download_duration(request.expires_in, MAX_DOWNLOAD_EXPIRES_NS)
            if problem:
                raise invalid_argument(f"error while validating request: expiresIn is invalid. Error: {problem}")
        if not request.native_url:
            raise invalid_argument("error while validating request: missing native_url")
        key = self.blobs.key_from_native_url(request.native_url)
        if key is None:
            raise invalid_argument(
                f"error while validating request: native_url [{echo(request.native_url)}] is not a location of this "
                f"admin's data store (expected a URL under [{self.blobs.prefix}/])"
            )
        now = time.time()
        return dataproxy_pb2.CreateDownloadLocationResponse(
            signed_url=self._sign("GET", key, now, expires_ns),
            expires_at=_timestamp(now, expires_ns),
        )

    # -- CreateDownloadLink -------------------------------------------------------------------------------
    def create_download_link(
        self, request: dataproxy_pb2.CreateDownloadLinkRequest
    ) -> dataproxy_pb2.CreateDownloadLinkResponse:
        """A signed URL for a node execution's deck (the only artifact type Flyte Admin knows)."""
        request = _copy(request)
        expires_ns = MAX_DOWNLOAD_EXPIRES_NS
        if request.HasField("expires_in"):
            problem, expires_ns = _check_download_duration(request.expires_in, MAX_DOWNLOAD_EXPIRES_NS)
            if problem:
                raise invalid_argument(f"error while validating request. Error: expiresIn is invalid. Error: {problem}")
        else:
            request.expires_in.FromNanoseconds(expires_ns)
        if request.artifact_type == dataproxy_pb2.ARTIFACT_TYPE_UNDEFINED:
            raise invalid_argument(
                "error while validating request. Error: invalid artifact type [ARTIFACT_TYPE_UNDEFINED]"
            )
        if not request.HasField("node_execution_id"):
            raise invalid_argument("error while validating request. Error: source is required. Provided nil")
        node_id = request.node_execution_id
        try:
            node = self._node_executions.get_node_execution(node_execution_pb2.NodeExecutionGetRequest(id=node_id))
        except AdminError as e:
            raise invalid_argument(f"failed to find node execution [{go_text(node_id)}]. Error: {e.message}") from None
        native_url = node.closure.deck_uri if request.artifact_type == dataproxy_pb2.ARTIFACT_TYPE_DECK else ""
        if not native_url:
            raise not_found(f"no deckUrl found for request [{go_text(request)}]")
        key = self.blobs.key_from_native_url(native_url)
        if key is None or not self.blobs.exists(key):
            raise not_found("object not found")
        now = time.time()
        url = self._sign("GET", key, now, expires_ns)
        expires_at = _timestamp(now, expires_ns)
        return dataproxy_pb2.CreateDownloadLinkResponse(
            signed_url=[url],
            expires_at=expires_at,
            pre_signed_urls=dataproxy_pb2.PreSignedURLs(signed_url=[url], expires_at=expires_at),
        )

    # -- GetData -------------------------------------------------------------------------------------------
    def get_data(self, request: dataproxy_pb2.GetDataRequest) -> dataproxy_pb2.GetDataResponse:
        """The inputs, outputs (or one of them by name) or deck a ``flyte://v1/...`` URL names."""
        url = request.flyte_url
        if not url:
            raise invalid_argument(
                "failed to validate resolve artifact request. Error: source is required. Provided empty string"
            )
        if not url.startswith("flyte://"):
            raise invalid_argument(
                "failed to validate resolve artifact request. Error: request does not start with the correct prefix"
            )
        try:
            parsed = parse_flyte_url(url)
        except ValueError as e:
            raise invalid_argument(f"failed to parse artifact url Error: {e}") from None
        if parsed.attempt is None:
            return self._node_data(parsed)
        return self._task_data(parsed)

    def _node_data(self, parsed: FlyteUrl) -> dataproxy_pb2.GetDataResponse:
        node_id = parsed.node_execution_id
        data = self._node_executions.get_node_execution_data(node_execution_pb2.NodeExecutionGetDataRequest(id=node_id))
        if parsed.io_type == "d":
            link = self.create_download_link(
                dataproxy_pb2.CreateDownloadLinkRequest(
                    artifact_type=dataproxy_pb2.ARTIFACT_TYPE_DECK, node_execution_id=node_id
                )
            )
            return dataproxy_pb2.GetDataResponse(pre_signed_urls=link.pre_signed_urls)
        literals = data.full_inputs if parsed.io_type == "i" else data.full_outputs
        return _literal_response(literals, parsed.literal_name, f"node execution [{go_text(node_id)}]")

    def _task_data(self, parsed: FlyteUrl) -> dataproxy_pb2.GetDataResponse:
        # The URL has no task id: the attempt is found among the node's task executions, as Flyte Admin does.
        partial = identifier_pb2.TaskExecutionIdentifier(
            node_execution_id=parsed.node_execution_id, retry_attempt=parsed.attempt
        )
        try:
            listed = self._task_executions.list_task_executions(
                task_execution_pb2.TaskExecutionListRequest(
                    node_execution_id=parsed.node_execution_id, limit=1, filters=f"eq(retry_attempt,{parsed.attempt})"
                )
            )
        except AdminError as e:
            raise invalid_argument(f"failed to list task executions [{go_text(partial)}]. Error: {e.message}") from None
        if not listed.task_executions:
            raise invalid_argument(f"no task executions were listed [{go_text(partial)}]. Error: <nil>")
        task_id = listed.task_executions[0].id
        data = self._task_executions.get_task_execution_data(task_execution_pb2.TaskExecutionGetDataRequest(id=task_id))
        if parsed.io_type == "d":
            raise invalid_argument("deck type cannot be specified with a retry attempt, just use the node instead")
        literals = data.full_inputs if parsed.io_type == "i" else data.full_outputs
        return _literal_response(literals, parsed.literal_name, f"task execution [{go_text(task_id)}]")

    # -- helpers -------------------------------------------------------------------------------------------
    def _sign(self, method: str, key: str, now: float, expires_ns: int, content_md5: str = "") -> str:
        endpoint = self._http_endpoint()
        if endpoint is None:
            raise failed_precondition("the data proxy is not available: the admin's HTTP side is not running")
        # Whole seconds, rounded down: the URL never outlives the expires_at the response announces.
        expires = math.floor(now + expires_ns / 1e9)
        return self.signer.url(endpoint.rstrip("/"), method, key, expires, content_md5)


def _copy(request: dataproxy_pb2.CreateDownloadLinkRequest) -> dataproxy_pb2.CreateDownloadLinkRequest:
    copy = dataproxy_pb2.CreateDownloadLinkRequest()
    copy.CopyFrom(request)
    return copy


def _literal_response(literals: literals_pb2.LiteralMap, name: str, where: str) -> dataproxy_pb2.GetDataResponse:
    """The whole map, or the one literal ``name`` (INVALID_ARGUMENT when the map has none of that name)."""
    if not name:
        return dataproxy_pb2.GetDataResponse(literal_map=literals)
    if name not in literals.literals:
        raise invalid_argument(f"name [{name}] not found in {where}")
    return dataproxy_pb2.GetDataResponse(literal=literals.literals[name])


def _check_part(field: str, value: str) -> None:
    try:
        check_key(value)
    except InvalidKey as e:
        raise invalid_argument(f"invalid {field} [{value}]: {e}") from None


def _check_download_duration(duration: duration_pb2.Duration, max_ns: int) -> tuple[str, int]:
    """Flyte Admin's validateDuration: ("", nanoseconds) or (why not, 0)."""
    if not _duration_is_valid(duration):
        return f"input duration [{_duration_text(duration)}] is invalid", 0
    ns = _duration_ns(duration)
    if ns < 0:
        return f"input duration [{go_duration(ns)}] should not less than 0", 0
    if ns > max_ns:
        return f"input duration [{go_duration(ns)}] cannot exceed max allowed expiration [{go_duration(max_ns)}]", 0
    return "", ns


def _duration_is_valid(d: duration_pb2.Duration) -> bool:
    if not -_MAX_DURATION_SECONDS <= d.seconds <= _MAX_DURATION_SECONDS:
        return False
    if not -(10**9) < d.nanos < 10**9:
        return False
    return not ((d.seconds > 0 and d.nanos < 0) or (d.seconds < 0 and d.nanos > 0))


def _duration_ns(d: duration_pb2.Duration) -> int:
    # Go's AsDuration saturates at the int64 range rather than overflow.
    return max(_INT64_MIN, min(_INT64_MAX, d.seconds * 10**9 + d.nanos))


def _duration_text(d: duration_pb2.Duration) -> str:
    """Go's ``%v`` of a Duration message (prototext): ``seconds:1 nanos:-5``."""
    parts = []
    if d.seconds:
        parts.append(f"seconds:{d.seconds}")
    if d.nanos:
        parts.append(f"nanos:{d.nanos}")
    return " ".join(parts)


def _timestamp(now: float, expires_ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(now * 1e9) + expires_ns)
    return ts
