"""DataProxyService and the signed-URL HTTP side, over real gRPC and real HTTP (Flyte Admin's
``flyteadmin/dataproxy/service.go``)."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import grpc
import pytest
from flyteidl.service import dataproxy_pb2, dataproxy_pb2_grpc
from google.protobuf import duration_pb2

from flyteplane.admin.blobs import BlobConflict, BlobStore, DigestMismatch, IncompleteBody, InvalidKey, check_key
from flyteplane.admin.domain.times import go_duration
from flyteplane.admin.http import UrlSigner
from flyteplane.admin.server import AdminServer

PROJECT, DOMAIN = "flytesnacks", "development"
ALPHABET = set("bcdfghjklmnpqrstvwxz2456789")


# -- fixtures and helpers ------------------------------------------------------------------------------------
@pytest.fixture
def admin() -> Iterator[AdminServer]:
    with AdminServer() as srv:
        yield srv


@pytest.fixture
def stub(admin: AdminServer) -> Iterator[dataproxy_pb2_grpc.DataProxyServiceStub]:
    with grpc.insecure_channel(admin.endpoint) as channel:
        yield dataproxy_pb2_grpc.DataProxyServiceStub(channel)


def stored_path(admin: AdminServer, native_url: str) -> Path:
    """The file of the admin's blob store behind a native URL it handed out."""
    assert admin.context is not None
    path = admin.context.blobs.local_path_of_url(native_url)
    assert path is not None, native_url
    return path


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def upload_location(
    stub: dataproxy_pb2_grpc.DataProxyServiceStub, **fields: object
) -> dataproxy_pb2.CreateUploadLocationResponse:
    fields.setdefault("project", PROJECT)
    fields.setdefault("domain", DOMAIN)
    return stub.CreateUploadLocation(dataproxy_pb2.CreateUploadLocationRequest(**fields))  # type: ignore[arg-type]


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def put(url: str, body: bytes, content_md5: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-MD5": content_md5} if content_md5 is not None else {}
    return http("PUT", url, body, headers)


def grpc_error(call: Callable[..., object], *args: object, **kwargs: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call(*args, **kwargs)
    return info.value


def assert_invalid(error: grpc.RpcError, message: str) -> None:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert error.details() == message


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())))


# -- upload and download -------------------------------------------------------------------------------------
def test_upload_then_download_round_trip(admin: AdminServer, stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    body = b"hello, flyte\n"
    digest = md5(body)
    before = time.time()
    loc = upload_location(stub, content_md5=digest, filename="hello.txt")

    prefix = base64.b32encode(digest).decode()
    assert len(prefix) == 32 and prefix.endswith("======")
    assert loc.native_url.endswith(f"/{PROJECT}/{DOMAIN}/{prefix}/hello.txt")
    assert loc.native_url.startswith("s3://my-s3-bucket/")  # as the Flyte sandbox's minio bucket
    assert loc.signed_url.startswith(f"{admin.http_endpoint}/data/{PROJECT}/{DOMAIN}/{prefix}/hello.txt?")
    assert dict(loc.headers) == {"Content-MD5": b64(digest)}
    assert before + 3600 - 5 <= loc.expires_at.ToSeconds() <= time.time() + 3600

    status, _ = put(loc.signed_url, body, b64(digest))
    assert status == 200
    # The native URL names the stored object (which the S3 endpoint serves to flytekit).
    assert stored_path(admin, loc.native_url).read_bytes() == body

    down = stub.CreateDownloadLocation(dataproxy_pb2.CreateDownloadLocationRequest(native_url=loc.native_url))
    assert before + 3600 - 5 <= down.expires_at.ToSeconds() <= time.time() + 3600
    assert http("GET", down.signed_url) == (200, body)


def test_add_content_md5_metadata_header(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    digest = md5(b"x")
    loc = upload_location(stub, content_md5=digest, add_content_md5_metadata=True)
    assert dict(loc.headers) == {"Content-MD5": b64(digest), "x-amz-meta-flytecontentmd5": b64(digest)}


def test_random_filename_from_k8s_alphabet(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    digest = md5(b"data")
    first = upload_location(stub, content_md5=digest).native_url.rsplit("/", 1)[1]
    second = upload_location(stub, content_md5=digest).native_url.rsplit("/", 1)[1]
    assert len(first) == 20 and set(first) <= ALPHABET
    assert first != second


def test_filename_root_without_md5_accepts_any_body(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    # flytekit's FlyteFS._upload_chunk: no hash, a root, a random name, and a PUT without Content-MD5.
    loc = upload_location(stub, filename_root="my-root")
    assert "/my-root/" in loc.native_url
    assert dict(loc.headers) == {}
    assert put(loc.signed_url, b"anything")[0] == 200
    # A Content-MD5 that is sent is still checked against the body.
    assert put(loc.signed_url, b"anything", b64(md5(b"other")))[0] == 400


def test_wrong_md5_is_refused_and_stores_nothing(
    admin: AdminServer, stub: dataproxy_pb2_grpc.DataProxyServiceStub
) -> None:
    body = b"the real content"
    loc = upload_location(stub, content_md5=md5(body), filename="f.bin")
    path = stored_path(admin, loc.native_url)

    status, text = put(loc.signed_url, b"tampered content", b64(md5(body)))  # body is not the signed content
    assert (status, b"BadDigest" in text) == (400, True)
    status, text = put(loc.signed_url, b"tampered content", b64(md5(b"tampered content")))  # not the signed MD5
    assert (status, b"not the one this URL was signed for" in text) == (400, True)
    assert put(loc.signed_url, body)[0] == 400  # signed for an MD5, none sent
    assert put(loc.signed_url, body, "not-base64!")[0] == 400
    assert not path.exists()

    assert put(loc.signed_url, body, b64(md5(body)))[0] == 200
    assert path.read_bytes() == body


def test_bad_or_expired_signature_is_forbidden(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    body = b"payload"
    loc = upload_location(stub, content_md5=md5(body), filename="a.txt")
    header = b64(md5(body))
    sig = parse_qs(urlsplit(loc.signed_url).query)["sig"][0]

    tampered = with_query(loc.signed_url, sig=("0" if sig[0] != "0" else "1") + sig[1:])
    assert put(tampered, body, header)[0] == 403
    assert put(with_query(loc.signed_url, expires=str(int(time.time()) + 7200)), body, header)[0] == 403
    other_key = loc.signed_url.replace("/a.txt?", "/b.txt?")
    assert put(other_key, body, header)[0] == 403
    unsigned = urlunsplit(urlsplit(loc.signed_url)._replace(query=""))
    assert put(unsigned, body, header)[0] == 403
    # One method: an upload URL does not download.
    assert http("GET", loc.signed_url)[0] == 403

    # A URL signed for 1ns has expired when it arrives (its expiry is rounded down to the second).
    expired = upload_location(stub, content_md5=md5(body), filename="a.txt", expires_in=duration_pb2.Duration(nanos=1))
    status, text = put(expired.signed_url, body, header)
    assert (status, b"expired" in text) == (403, True)
    assert put(loc.signed_url, body, header)[0] == 200


def test_download_urls(admin: AdminServer, stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    body = os.urandom(1000)
    loc = upload_location(stub, content_md5=md5(body), filename="d.bin")
    assert put(loc.signed_url, body, b64(md5(body)))[0] == 200

    request = dataproxy_pb2.CreateDownloadLocationRequest
    down = stub.CreateDownloadLocation(request(native_url=loc.native_url, expires_in=duration_pb2.Duration(seconds=60)))
    assert abs(down.expires_at.ToSeconds() - (time.time() + 60)) < 5
    assert http("GET", down.signed_url) == (200, body)
    assert http("PUT", down.signed_url, b"overwrite", {"Content-MD5": b64(md5(b"overwrite"))})[0] == 403
    assert http("GET", down.signed_url.replace("/d.bin?", "/e.bin?"))[0] == 403

    # Flyte Admin signs without looking: a URL for a missing object answers 404 when used.
    missing = stub.CreateDownloadLocation(request(native_url=loc.native_url.replace("d.bin", "none.bin")))
    assert http("GET", missing.signed_url)[0] == 404

    # Zero seconds is valid and expires at once.
    now = stub.CreateDownloadLocation(request(native_url=loc.native_url, expires_in=duration_pb2.Duration()))
    time.sleep(1.05)
    assert http("GET", now.signed_url)[0] == 403


def test_deterministic_path_rewrite_needs_matching_md5(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    body = b"version one"
    loc = upload_location(stub, content_md5=md5(body), filename_root="root", filename="pkg.tar.gz")
    assert loc.native_url.endswith(f"/{PROJECT}/{DOMAIN}/root/pkg.tar.gz")
    assert put(loc.signed_url, body, b64(md5(body)))[0] == 200

    # Same content: allowed (and re-uploadable).
    again = upload_location(stub, content_md5=md5(body), filename_root="root", filename="pkg.tar.gz")
    assert again.native_url == loc.native_url
    assert put(again.signed_url, body, b64(md5(body)))[0] == 200

    expected = f"file already exists at location [{loc.native_url}], specify a matching hash if you wish to rewrite"
    for digest in (md5(b"version two"), b""):
        error = grpc_error(upload_location, stub, content_md5=digest, filename_root="root", filename="pkg.tar.gz")
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error.details() == expected

    # Without a filename the path is not the client's choice, so no existence check.
    assert upload_location(stub, content_md5=md5(b"version two"), filename_root="root").native_url != loc.native_url


_NOT_POSITIVE = (
    "failed to create a signed url. Error: InvalidPresignExpireError: presigned URL requires an expire duration "
    "greater than 0"
)


def test_upload_validation_messages(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    digest = md5(b"x")
    cases: list[tuple[dict[str, object], str]] = [
        ({"project": "", "content_md5": digest}, "project and domain are required parameters"),
        ({"domain": "", "content_md5": digest}, "project and domain are required parameters"),
        ({"filename": "f"}, "content_md5 or filename_root is a required parameter"),
        (
            {"project": "nope", "content_md5": digest},
            "failed to validate that project [nope] and domain [development] are registered, "
            "err: [project [nope] not found]",
        ),
        ({"domain": "qa", "content_md5": digest}, "domain [qa] is unrecognized by system"),
        ({"content_md5": b"short"}, "content_md5 must be the 16 bytes of an MD5 digest, got 5 bytes"),
        (
            {"content_md5": digest, "expires_in": duration_pb2.Duration(seconds=1, nanos=-1)},
            "expiresIn [seconds:1 nanos:-1] is invalid",
        ),
        (
            {"content_md5": digest, "expires_in": duration_pb2.Duration(seconds=7200)},
            "expiresIn [2h0m0s] cannot exceed max allowed expiration [1h0m0s]",
        ),
        (
            {"content_md5": digest, "expires_in": duration_pb2.Duration(seconds=3600, nanos=500_000_000)},
            "expiresIn [1h0m0.5s] cannot exceed max allowed expiration [1h0m0s]",
        ),
        # Flyte Admin's signer (S3's) refuses these, as INTERNAL; here they are the client's mistake.
        ({"content_md5": digest, "expires_in": duration_pb2.Duration(seconds=-5)}, _NOT_POSITIVE),
        ({"content_md5": digest, "expires_in": duration_pb2.Duration(nanos=-1)}, _NOT_POSITIVE),
        ({"content_md5": digest, "expires_in": duration_pb2.Duration()}, _NOT_POSITIVE),
        (
            {"content_md5": digest, "filename": "../../etc/passwd"},
            "invalid filename [../../etc/passwd]: [../../etc/passwd] has an empty, '.' or '..' path segment",
        ),
        (
            {"filename_root": "a//b"},
            "invalid filename_root [a//b]: [a//b] has an empty, '.' or '..' path segment",
        ),
    ]
    for fields, message in cases:
        assert_invalid(grpc_error(upload_location, stub, **fields), message)

    # The maximum itself is allowed.
    loc = upload_location(stub, content_md5=digest, expires_in=duration_pb2.Duration(seconds=3600))
    assert abs(loc.expires_at.ToSeconds() - (time.time() + 3600)) < 5


def test_download_validation_messages(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    loc = upload_location(stub, content_md5=md5(b"x"))
    prefix = "error while validating request: "
    request = dataproxy_pb2.CreateDownloadLocationRequest
    cases = [
        (
            request(native_url=loc.native_url, expires_in=duration_pb2.Duration(seconds=-5)),
            prefix + "expiresIn is invalid. Error: input duration [-5s] should not less than 0",
        ),
        (
            request(native_url=loc.native_url, expires_in=duration_pb2.Duration(seconds=7200)),
            prefix + "expiresIn is invalid. Error: input duration [2h0m0s] cannot exceed max allowed expiration "
            "[1h0m0s]",
        ),
        (
            request(native_url=loc.native_url, expires_in=duration_pb2.Duration(seconds=-1, nanos=5)),
            prefix + "expiresIn is invalid. Error: input duration [seconds:-1 nanos:5] is invalid",
        ),
        (request(native_url=""), prefix + "missing native_url"),
    ]
    for req, message in cases:
        assert_invalid(grpc_error(stub.CreateDownloadLocation, req), message)

    store_prefix = loc.native_url.split(f"/{PROJECT}/")[0]
    for foreign in ("s3://another-bucket/flytesnacks/development/x", store_prefix + "/a/../../secret"):
        error = grpc_error(stub.CreateDownloadLocation, request(native_url=foreign))
        assert_invalid(
            error,
            f"{prefix}native_url [{foreign}] is not a location of this admin's data store "
            f"(expected a URL under [{store_prefix}/])",
        )


def test_execution_data_rpcs_are_served(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    # Served from the run records (managers/test_execution_reads.py has the rest): nothing recorded here yet.
    error = grpc_error(stub.GetData, dataproxy_pb2.GetDataRequest(flyte_url="flyte://v1/p/d/e/n/i"))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = grpc_error(stub.CreateDownloadLink, dataproxy_pb2.CreateDownloadLinkRequest(artifact_type=1))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "error while validating request. Error: source is required. Provided nil"


# -- the HTTP side itself ------------------------------------------------------------------------------------
def test_healthcheck_and_unknown_paths(admin: AdminServer) -> None:
    assert http("GET", f"{admin.http_endpoint}/healthcheck") == (200, b"")
    assert http("GET", f"{admin.http_endpoint}/api/v2/projects")[0] == 404
    assert http("PUT", f"{admin.http_endpoint}/elsewhere", b"x")[0] == 404
    assert http("GET", f"{admin.http_endpoint}/data/a/%2e%2e/b?expires=1&sig=x")[0] == 400


def test_large_upload_streams_and_refusals_are_readable(stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    import requests

    body = os.urandom(24 * 1024 * 1024 + 7)
    digest = md5(body)
    loc = upload_location(stub, content_md5=digest, filename="big.bin")
    # A refused upload still gets its answer (the body is drained), not a reset connection.
    bad = requests.put(with_query(loc.signed_url, sig="0" * 64), data=body, headers={"Content-MD5": b64(digest)})
    assert bad.status_code == 403
    ok = requests.put(loc.signed_url, data=body, headers={"Content-MD5": b64(digest)})
    assert ok.status_code == 200 and ok.headers["ETag"] == f'"{digest.hex()}"'
    down = stub.CreateDownloadLocation(dataproxy_pb2.CreateDownloadLocationRequest(native_url=loc.native_url))
    got = requests.get(down.signed_url)
    assert got.status_code == 200 and md5(got.content) == digest


def test_concurrent_uploads(admin: AdminServer, stub: dataproxy_pb2_grpc.DataProxyServiceStub) -> None:
    bodies = [os.urandom(100_000) for _ in range(12)]
    locations = [upload_location(stub, content_md5=md5(b), filename=f"f{i}") for i, b in enumerate(bodies)]
    results: list[int] = []

    def upload(i: int) -> None:
        results.append(put(locations[i].signed_url, bodies[i], b64(md5(bodies[i])))[0])

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * len(bodies)
    for loc, body in zip(locations, bodies, strict=True):
        assert stored_path(admin, loc.native_url).read_bytes() == body


# -- persistence ---------------------------------------------------------------------------------------------
def test_state_dir_blobs_and_urls_survive_a_restart(tmp_path: Path) -> None:
    body = b"durable"
    with AdminServer(state_dir=tmp_path) as srv, grpc.insecure_channel(srv.endpoint) as channel:
        stub = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
        loc = upload_location(stub, content_md5=md5(body), filename_root="r", filename="f.txt")
        assert put(loc.signed_url, body, b64(md5(body)))[0] == 200
        down = stub.CreateDownloadLocation(dataproxy_pb2.CreateDownloadLocationRequest(native_url=loc.native_url))
        old_endpoint = srv.http_endpoint

    blob = tmp_path / "blobs" / PROJECT / DOMAIN / "r" / "f.txt"
    assert loc.native_url == f"s3://my-s3-bucket/{PROJECT}/{DOMAIN}/r/f.txt"
    assert blob.read_bytes() == body
    key_file = tmp_path / "dataproxy.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list((tmp_path / "blobs.partial").iterdir())

    # Same signing key: a URL handed out before the restart still works (on whichever port the admin now has).
    with AdminServer(state_dir=tmp_path) as srv, grpc.insecure_channel(srv.endpoint) as channel:
        assert http("GET", down.signed_url.replace(old_endpoint, srv.http_endpoint)) == (200, body)
        stub = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
        error = grpc_error(upload_location, stub, content_md5=md5(b"other"), filename_root="r", filename="f.txt")
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS


def test_acknowledged_upload_survives_a_kill(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from flyteplane.admin.server import AdminServer\n"
        "srv = AdminServer(state_dir=sys.argv[1]).start()\n"
        "print(srv.endpoint, srv.http_endpoint, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        endpoint, _ = proc.stdout.readline().split()
        body = os.urandom(2 * 1024 * 1024)
        with grpc.insecure_channel(endpoint) as channel:
            stub = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
            loc = upload_location(stub, content_md5=md5(body), filename_root="k", filename="pkg.tgz")
            assert put(loc.signed_url, body, b64(md5(body)))[0] == 200
    finally:
        proc.kill()  # SIGKILL: no shutdown code runs
        proc.wait()

    with AdminServer(state_dir=tmp_path) as srv, grpc.insecure_channel(srv.endpoint) as channel:
        stub = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
        down = stub.CreateDownloadLocation(dataproxy_pb2.CreateDownloadLocationRequest(native_url=loc.native_url))
        assert http("GET", down.signed_url) == (200, body)
        # The recorded MD5 came back too: same content may be rewritten, other content may not.
        assert upload_location(stub, content_md5=md5(body), filename_root="k", filename="pkg.tgz").signed_url
        error = grpc_error(upload_location, stub, content_md5=md5(b"x"), filename_root="k", filename="pkg.tgz")
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS


def test_memory_mode_blobs_are_removed_on_stop() -> None:
    with AdminServer() as srv, grpc.insecure_channel(srv.endpoint) as channel:
        stub = dataproxy_pb2_grpc.DataProxyServiceStub(channel)
        loc = upload_location(stub, content_md5=md5(b"tmp"), filename="t")
        assert put(loc.signed_url, b"tmp", b64(md5(b"tmp")))[0] == 200
        path = stored_path(srv, loc.native_url)
        assert path.exists()
    assert not path.exists()


# -- flytekit as the peer ------------------------------------------------------------------------------------
def test_flytekit_upload_file(admin: AdminServer, tmp_path: Path) -> None:
    from flytekit.configuration import Config
    from flytekit.remote import FlyteRemote

    source = tmp_path / "script.py"
    source.write_bytes(b"print('hello from flytekit')\n" * 1000)
    remote = FlyteRemote(
        Config.for_endpoint(admin.endpoint, insecure=True), default_project=PROJECT, default_domain=DOMAIN
    )
    digest, native_url = remote.upload_file(source)
    assert digest == md5(source.read_bytes())
    assert native_url.endswith(f"/{PROJECT}/{DOMAIN}/{base64.b32encode(digest).decode()}/script.py")
    assert stored_path(admin, native_url).read_bytes() == source.read_bytes()

    # Uploading the same file again is allowed (the same content under a hash-derived path).
    assert remote.upload_file(source)[1] == native_url
    # With a filename root the path is deterministic; the same content may be rewritten, other content not.
    _, rooted = remote.upload_file(source, filename_root="fast-root")
    assert rooted.endswith("/fast-root/script.py")
    assert remote.upload_file(source, filename_root="fast-root")[1] == rooted
    # (A new path: flytekit's hash_file caches digests by path.)
    changed = tmp_path / "changed" / "script.py"
    changed.parent.mkdir()
    changed.write_bytes(b"changed")
    with pytest.raises(RuntimeError, match="Failed to get signed url") as info:
        remote.upload_file(changed, filename_root="fast-root")
    from flytekit.exceptions.user import FlyteEntityAlreadyExistsException

    cause = info.value.__cause__
    assert isinstance(cause, FlyteEntityAlreadyExistsException)
    rpc_error = cause.__cause__ or cause.__context__
    assert isinstance(rpc_error, grpc.RpcError)
    assert rpc_error.details() == (
        f"file already exists at location [{rooted}], specify a matching hash if you wish to rewrite"
    )

    client = remote.client
    down = client.get_download_signed_url(native_url)
    assert http("GET", down.signed_url)[1] == b"print('hello from flytekit')\n" * 1000


# -- units ---------------------------------------------------------------------------------------------------
def test_go_duration_formatting() -> None:
    cases = {
        0: "0s",
        1: "1ns",
        1500: "1.5µs",
        2_000_000: "2ms",
        1_500_000_000: "1.5s",
        60 * 10**9: "1m0s",
        3600 * 10**9: "1h0m0s",
        -(5 * 10**9): "-5s",
        2**63 - 1: "2562047h47m16.854775807s",
    }
    assert {ns: go_duration(ns) for ns in cases} == cases


def test_signer_binds_method_key_md5_and_expiry() -> None:
    signer = UrlSigner(b"k" * 32)
    url = signer.url("http://h:1", "PUT", "p/d/x=/f", 2000, "abc=")
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/data/p/d/x=/f"
    assert signer.check("PUT", "p/d/x=/f", query, now=1999) is None
    assert signer.check("PUT", "p/d/x=/f", query, now=2001) == "the URL has expired"
    assert signer.check("GET", "p/d/x=/f", query, now=1999) == "the signature does not match"
    assert signer.check("PUT", "p/d/x=/g", query, now=1999) == "the signature does not match"
    assert signer.check("PUT", "p/d/x=/f", {**query, "content_md5": ["zzz="]}, now=1999) is not None
    assert UrlSigner(b"j" * 32).check("PUT", "p/d/x=/f", query, now=1999) is not None
    with pytest.raises(ValueError):
        UrlSigner(b"short")


def test_blob_store_writes_are_atomic_and_checked(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, prefix="s3://bucket")
    assert store.native_url("p/d/f") == "s3://bucket/p/d/f"
    assert store.key_from_native_url("s3://bucket/p/d/f") == "p/d/f"
    assert store.key_from_native_url("s3://other/p/d/f") is None
    assert store.key_from_native_url("s3://bucket/p/../f") is None

    assert store.put("p/d/f", b"one") == md5(b"one")
    with pytest.raises(DigestMismatch):
        store.put("p/d/f", b"two", md5(b"not two"))
    with pytest.raises(IncompleteBody):
        store.put("p/d/f", _Stream(b"tw"), length=3)
    assert store.get("p/d/f") == b"one"  # failed writes left the object alone
    assert not list((tmp_path / "blobs.partial").iterdir())
    assert store.md5_of("p/d/f") == md5(b"one")
    assert store.md5_of("p/d/missing") is None

    # Replaced behind the store's back (a task writing through its file:// URL): the MD5 is recomputed.
    path = store.path_of("p/d/f")
    path.write_bytes(b"rewritten by a task")
    os.utime(path, ns=(1, 1))
    assert store.md5_of("p/d/f") == md5(b"rewritten by a task")

    with pytest.raises(BlobConflict):
        store.put("p/d/f/child", b"x")  # p/d/f is an object, not a folder
    for bad in ("", "/abs", "a/../b", "a/./b", "a//b", "a\\b", "a\nb", "x" * 300):
        with pytest.raises(InvalidKey):
            check_key(bad)


def test_blob_store_streams_from_a_reader(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = os.urandom(3 * 1024 * 1024 + 1)
    assert store.put("k/big", _Stream(data + b"trailing bytes not part of the body"), length=len(data)) == md5(data)
    with store.open("k/big") as f:
        assert f.read() == data
    assert store.native_url("k/big") == "s3://my-s3-bucket/k/big"
    # What older admins handed out names the same object: its plain path, file:// URL, flyteplane:// URL.
    path = str((tmp_path / "blobs" / "k" / "big").resolve())
    for old in (path, "file://" + path, "flyteplane://data/k/big"):
        assert store.key_from_native_url(old) == "k/big"
    assert store.local_path_of_url("s3://my-s3-bucket/k/big/") == Path(path)
    assert store.local_path_of_url("s3://elsewhere/k/big") is None


def test_temporary_blob_store_is_deleted_on_close() -> None:
    store = BlobStore()
    store.put("a/b", b"x")
    root = store.data_dir.parent
    assert root.exists()
    store.close()
    assert not root.exists()


class _Stream:
    """A socket-like reader that hands out at most 64 KiB per read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        size = min(size if size >= 0 else len(self._data), 64 * 1024)
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk
