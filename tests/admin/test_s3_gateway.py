"""The admin's S3 endpoint, with botocore and s3fs (flytekit's S3 stack) as the clients, over loopback HTTP."""

from __future__ import annotations

import base64
import datetime
import errno
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
import s3fs
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from flyteplane.admin import AdminConfig, AdminServer
from flyteplane.admin.blobs import MIN_PART_BYTES, BlobStore
from flyteplane.admin.s3_sigv4 import Credential, SignatureError, canonical_query, verify

BUCKET = "my-s3-bucket"
KEY_ID, SECRET = "minio", "miniostorage"


@pytest.fixture(scope="module")
def admin() -> Iterator[AdminServer]:
    with AdminServer() as srv:
        yield srv


def client(admin: AdminServer, secret: str = SECRET, key_id: str = KEY_ID, **config: Any) -> Any:
    return botocore.session.get_session().create_client(
        "s3",
        endpoint_url=admin.http_endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=BotoConfig(retries={"max_attempts": 1}, **config),
    )


def error_code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def raw(
    admin: AdminServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    sign: bool = True,
    payload_hash: str | None = None,
) -> tuple[int, bytes]:
    """One request sent as written (no client-side path normalization), signed with SigV4 unless ``sign`` is off."""
    url = admin.http_endpoint + path
    all_headers = dict(headers or {})
    if sign:
        all_headers = signed_headers(method, url, body, all_headers, payload_hash)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host="Host" in all_headers or "host" in all_headers)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class _FixedPayloadAuth(S3SigV4Auth):
    """botocore's S3 signer, signing a given ``x-amz-content-sha256`` (it would compute its own)."""

    def __init__(self, payload_hash: str) -> None:
        super().__init__(Credentials(KEY_ID, SECRET), "s3", "us-east-1")
        self._payload_hash = payload_hash

    def payload(self, request: Any) -> str:
        return self._payload_hash


def signed_headers(
    method: str, url: str, body: bytes, headers: dict[str, str], payload_hash: str | None = None
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    _FixedPayloadAuth(payload_hash or hashlib.sha256(body).hexdigest()).add_auth(request)
    return dict(request.headers.items())


# -- objects ---------------------------------------------------------------------------------------------------
def test_put_get_head_range_and_delete(admin: AdminServer) -> None:
    s3 = client(admin)
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=BUCKET, Key="objects/one.bin", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=BUCKET, Key="objects/one.bin")
    assert got["Body"].read() == body and got["ContentLength"] == len(body)
    head = s3.head_object(Bucket=BUCKET, Key="objects/one.bin")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]

    part = s3.get_object(Bucket=BUCKET, Key="objects/one.bin", Range="bytes=10-19")
    assert part["Body"].read() == body[10:20] and part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert s3.get_object(Bucket=BUCKET, Key="objects/one.bin", Range="bytes=99990-")["Body"].read() == body[99990:]
    assert s3.get_object(Bucket=BUCKET, Key="objects/one.bin", Range="bytes=-5")["Body"].read() == body[-5:]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key="objects/one.bin", Range=f"bytes={len(body)}-")
    assert error_code(e) == "InvalidRange"

    # The object is a file of the admin's blob store: what the engine reads for s3://my-s3-bucket/objects/one.bin.
    assert admin.context is not None
    blobs = admin.context.blobs
    assert blobs.get(blobs.key_from_native_url(f"s3://{BUCKET}/objects/one.bin") or "") == body

    s3.delete_object(Bucket=BUCKET, Key="objects/one.bin")
    s3.delete_object(Bucket=BUCKET, Key="objects/one.bin")  # S3 answers 204 for a missing object too
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key="objects/one.bin")
    assert error_code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=BUCKET, Key="objects/one.bin")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert not (blobs.data_dir / "objects").exists()  # the folder left empty went too


def test_conditional_requests(admin: AdminServer) -> None:
    s3 = client(admin)
    etag = s3.put_object(Bucket=BUCKET, Key="cond/x", Body=b"x")["ETag"]
    assert s3.get_object(Bucket=BUCKET, Key="cond/x", IfMatch=etag)["Body"].read() == b"x"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key="cond/x", IfMatch='"00"')
    assert error_code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=BUCKET, Key="cond/x", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=BUCKET, Key="cond/x", Body=b"y", IfNoneMatch="*")
    assert error_code(e) == "PreconditionFailed"
    assert s3.get_object(Bucket=BUCKET, Key="cond/x")["Body"].read() == b"x"


def test_copy_object(admin: AdminServer) -> None:
    s3 = client(admin)
    s3.put_object(Bucket=BUCKET, Key="copy/src", Body=b"copied")
    result = s3.copy_object(Bucket=BUCKET, Key="copy/dst", CopySource={"Bucket": BUCKET, "Key": "copy/src"})
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copied").hexdigest()}"'
    assert s3.get_object(Bucket=BUCKET, Key="copy/dst")["Body"].read() == b"copied"
    for source, code in (
        ({"Bucket": BUCKET, "Key": "copy/missing"}, "NoSuchKey"),
        ({"Bucket": "other-bucket", "Key": "copy/src"}, "NoSuchBucket"),
        ({"Bucket": BUCKET, "Key": "copy/dst"}, "InvalidRequest"),  # onto itself
    ):
        with pytest.raises(ClientError) as e:
            s3.copy_object(Bucket=BUCKET, Key="copy/dst", CopySource=source)
        assert error_code(e) == code


def test_list_objects_v2_prefix_delimiter_and_pages(admin: AdminServer) -> None:
    s3 = client(admin)
    keys = ["list/a.txt", "list/b/1", "list/b/2", "list/b-c", "list/c d+e", "list/z/deep/x", "listing"]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())

    everything = s3.list_objects_v2(Bucket=BUCKET, Prefix="list")
    # S3's order: by the keys' bytes ("list/b-c" before "list/b/1": '-' < '/').
    assert [o["Key"] for o in everything["Contents"]] == sorted(keys, key=str.encode)
    assert everything["Contents"][0]["Size"] == len(b"list/a.txt")

    top = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["list/a.txt", "list/b-c", "list/c d+e"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["list/b/", "list/z/"]
    partial = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/b", Delimiter="/")
    assert [o["Key"] for o in partial["Contents"]] == ["list/b-c"]
    assert [p["Prefix"] for p in partial["CommonPrefixes"]] == ["list/b/"]

    # Pages of two, continued by token; prefixes count towards the page.
    seen: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": BUCKET, "Prefix": "list/", "Delimiter": "/", "MaxKeys": 2}
    while True:
        page = s3.list_objects_v2(**kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        kwargs["ContinuationToken"] = page["NextContinuationToken"]
    assert sorted(seen) == sorted(["list/a.txt", "list/b-c", "list/c d+e", "list/b/", "list/z/"])

    after = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", StartAfter="list/b/1")
    assert [o["Key"] for o in after["Contents"]] == ["list/b/2", "list/c d+e", "list/z/deep/x"]
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="nothing/")["KeyCount"] == 0
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=BUCKET, ContinuationToken="!!not-a-token")
    assert error_code(e) == "InvalidArgument"


def test_delete_objects(admin: AdminServer) -> None:
    s3 = client(admin)
    for key in ("del/a", "del/b"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    result = s3.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "del/a"}, {"Key": "del/b"}, {"Key": "del/../escape"}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["del/a", "del/b"]
    assert [(x["Key"], x["Code"]) for x in result["Errors"]] == [("del/../escape", "InvalidArgument")]
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="del/")["KeyCount"] == 0
    # Entities are refused (no billion laughs), as is a document that is not a Delete one.
    doc = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>'
    assert raw(admin, "POST", f"/{BUCKET}?delete", doc)[0] == 400
    status, answer = raw(admin, "POST", f"/{BUCKET}?delete", b"<Other/>")
    assert status == 400 and b"<Code>MalformedXML</Code>" in answer
    status, answer = raw(admin, "POST", f"/{BUCKET}?delete", b"<Delete><unclosed></Delete>")
    assert status == 400 and b"<Code>MalformedXML</Code>" in answer


def test_multipart_upload(admin: AdminServer) -> None:
    s3 = client(admin)
    first, last = os.urandom(MIN_PART_BYTES), b"tail"
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu/object")["UploadId"]
    p1 = s3.upload_part(Bucket=BUCKET, Key="mpu/object", UploadId=upload, PartNumber=1, Body=first)["ETag"]
    p2 = s3.upload_part(Bucket=BUCKET, Key="mpu/object", UploadId=upload, PartNumber=2, Body=last)["ETag"]
    with pytest.raises(ClientError) as e:  # descending
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="mpu/object", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": p2}, {"PartNumber": 1, "ETag": p1}]},
        )  # fmt: skip
    assert error_code(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="mpu/object", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0000"'}]},
        )  # fmt: skip
    assert error_code(e) == "InvalidPart"
    done = s3.complete_multipart_upload(
        Bucket=BUCKET, Key="mpu/object", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]},
    )  # fmt: skip
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=BUCKET, Key="mpu/object")["Body"].read() == first + last
    with pytest.raises(ClientError) as e:  # completed: the upload is gone
        s3.upload_part(Bucket=BUCKET, Key="mpu/object", UploadId=upload, PartNumber=3, Body=b"x")
    assert error_code(e) == "NoSuchUpload"

    small = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu/small")["UploadId"]
    etags = [
        s3.upload_part(Bucket=BUCKET, Key="mpu/small", UploadId=small, PartNumber=n, Body=b"tiny")["ETag"]
        for n in (1, 2)
    ]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="mpu/small", UploadId=small,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in zip((1, 2), etags, strict=True)]},
        )  # fmt: skip
    assert error_code(e) == "EntityTooSmall"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=BUCKET, Key="mpu/small", UploadId=small, PartNumber=10_001, Body=b"x")
    assert error_code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:  # an upload of another key
        s3.upload_part(Bucket=BUCKET, Key="mpu/other", UploadId=small, PartNumber=1, Body=b"x")
    assert error_code(e) == "NoSuchUpload"
    s3.abort_multipart_upload(Bucket=BUCKET, Key="mpu/small", UploadId=small)
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=BUCKET, Key="mpu/small", UploadId=small)
    assert error_code(e) == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=BUCKET, Key="mpu/small", UploadId="../../escape")
    assert error_code(e) == "NoSuchUpload"
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="mpu/small")["KeyCount"] == 0


def test_buckets(admin: AdminServer) -> None:
    s3 = client(admin)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]
    s3.head_bucket(Bucket=BUCKET)
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "us-east-1"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="another-bucket", Key="k", Body=b"x")
    assert error_code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=BUCKET)
    assert error_code(e) == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=BUCKET)
    assert error_code(e) == "BucketNotEmpty"


def test_what_is_not_offered_fails_loudly(admin: AdminServer) -> None:
    s3 = client(admin)
    s3.put_object(Bucket=BUCKET, Key="na/x", Body=b"x")
    for call in (
        lambda: s3.list_objects(Bucket=BUCKET),
        lambda: s3.get_object_acl(Bucket=BUCKET, Key="na/x"),
        lambda: s3.list_multipart_uploads(Bucket=BUCKET),
        lambda: s3.get_bucket_versioning(Bucket=BUCKET),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "NotImplemented"
    # A presigned S3 URL: the data proxy's signed URLs play that part.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "na/x"})
    parts = urlsplit(url)
    status, answer = raw(admin, "GET", f"{parts.path}?{parts.query}", sign=False)
    assert status == 403 and b"presigned S3 URLs are not offered" in answer
    # A key that is an object cannot also be a folder of objects in this store.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=BUCKET, Key="na/x/child", Body=b"x")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


# -- authentication and integrity ------------------------------------------------------------------------------
def test_bad_signatures_are_refused(admin: AdminServer) -> None:
    client(admin).put_object(Bucket=BUCKET, Key="auth/x", Body=b"secret")
    with pytest.raises(ClientError) as e:
        client(admin, secret="wrong").get_object(Bucket=BUCKET, Key="auth/x")
    assert error_code(e) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        client(admin, key_id="someone").get_object(Bucket=BUCKET, Key="auth/x")
    assert error_code(e) == "InvalidAccessKeyId"
    with pytest.raises(ClientError) as e:
        client(admin, secret="wrong").put_object(Bucket=BUCKET, Key="auth/x", Body=b"overwritten")
    assert error_code(e) == "SignatureDoesNotMatch"
    # Anonymous, even from loopback.
    status, answer = raw(admin, "GET", f"/{BUCKET}/auth/x", sign=False)
    assert status == 403 and b"<Code>AccessDenied</Code>" in answer
    status, answer = raw(admin, "GET", f"/{BUCKET}/auth/x", sign=False, headers={"Authorization": "AWS minio:abc"})
    assert status == 400 and b"Signature Version 2" in answer
    status, answer = raw(admin, "GET", f"/{BUCKET}/auth/x", sign=False, headers={"Authorization": "Bearer x"})
    assert status == 400 and b"AuthorizationHeaderMalformed" in answer
    assert client(admin).get_object(Bucket=BUCKET, Key="auth/x")["Body"].read() == b"secret"


def test_signature_checks_of_the_verifier() -> None:
    """What botocore never sends wrong: the clock, the scope, the headers the signature must cover."""
    credential = Credential(KEY_ID, SECRET)
    request = AWSRequest(method="GET", url=f"http://127.0.0.1:1/{BUCKET}/k?b=2&a=1", headers={"Host": "127.0.0.1:1"})
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "eu-west-3").add_auth(request)

    def headers(**changes: str | None) -> Message:
        message = Message()
        for name, value in request.headers.items():
            if name.lower() not in {k.replace("_", "-").lower() for k in changes}:
                message[name] = value
        for name, value in changes.items():
            if value is not None:
                message[name.replace("_", "-")] = value
        return message

    signed_at = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    signed_at = signed_at.replace(tzinfo=datetime.timezone.utc)
    path, query = f"/{BUCKET}/k", "b=2&a=1"
    assert verify(credential, "GET", path, query, headers(), now=signed_at) == hashlib.sha256(b"").hexdigest()
    later = signed_at + datetime.timedelta(minutes=16)
    cases = [
        (dict(now=later), {}, "RequestTimeTooSkewed"),
        ({}, {"x_amz_date": None}, "AccessDenied"),
        ({}, {"x_amz_date": "yesterday"}, "AccessDenied"),
        ({}, {"x_amz_content_sha256": None}, "InvalidRequest"),
        ({}, {"x_amz_content_sha256": "nonsense"}, "InvalidArgument"),
        ({}, {"x_amz_content_sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, "NotImplemented"),
        ({}, {"host": None}, "AccessDenied"),  # a signed header gone
    ]
    for kwargs, changes, code in cases:
        with pytest.raises(SignatureError) as e:
            verify(credential, "GET", path, query, headers(**changes), now=kwargs.get("now", signed_at))
        assert e.value.code == code, (changes, e.value)
    with pytest.raises(SignatureError) as e:  # another query than the signed one
        verify(credential, "GET", path, "b=2&a=2", headers(), now=signed_at)
    assert e.value.code == "SignatureDoesNotMatch"
    auth = request.headers["Authorization"]
    for bad_auth, code in (
        (auth.replace("SignedHeaders=host;", "SignedHeaders="), "AccessDenied"),  # host not signed
        (auth.replace("/s3/", "/ec2/"), "AuthorizationHeaderMalformed"),
        (auth.replace(request.headers["X-Amz-Date"][:8], "19990101"), "SignatureDoesNotMatch"),
    ):
        with pytest.raises(SignatureError) as e:
            verify(credential, "GET", path, query, headers(Authorization=bad_auth), now=signed_at)
        assert e.value.code == code, bad_auth
    assert canonical_query("b=2&a=x%20y&c") == "a=x%20y&b=2&c="


def test_path_traversal_is_refused(admin: AdminServer) -> None:
    assert admin.context is not None
    outside = admin.context.blobs.data_dir.parent / "outside.txt"
    outside.write_text("not in the bucket")
    for path in (f"/{BUCKET}/a/../../outside.txt", f"/{BUCKET}/a/%2E%2E/%2e%2e/outside.txt", f"/{BUCKET}/a//b"):
        status, answer = raw(admin, "GET", path)
        assert status == 400 and b"<Code>InvalidArgument</Code>" in answer, path
        status, answer = raw(admin, "PUT", path, b"overwrite")
        assert status == 400, path
    assert outside.read_text() == "not in the bucket"
    status, answer = raw(admin, "GET", f"/{BUCKET}/%ff")
    assert status == 400 and b"InvalidURI" in answer


def test_bodies_must_match_their_digests(admin: AdminServer) -> None:
    path = f"/{BUCKET}/digests/x"
    body = b"the body"
    wrong_sha = hashlib.sha256(b"another body").hexdigest()
    # Signed over the announced hash, but the body sent is another one.
    status, answer = raw(admin, "PUT", path, body, payload_hash=wrong_sha)
    assert status == 400 and b"XAmzContentSHA256Mismatch" in answer
    # An aws-chunked body must say it is one in its signature.
    status, answer = raw(admin, "PUT", path, body, {"Content-Encoding": "aws-chunked"})
    assert status == 400 and b"aws-chunked bodies are signed as" in answer

    md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    status, answer = raw(admin, "PUT", path, body, {"Content-MD5": md5})
    assert status == 400 and b"BadDigest" in answer
    status, answer = raw(admin, "PUT", path, body, {"Content-MD5": "not-base64"})
    assert status == 400 and b"InvalidDigest" in answer
    crc = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    status, answer = raw(admin, "PUT", path, body, {"x-amz-checksum-crc32": crc})
    assert status == 400 and b"BadDigest" in answer
    status, answer = raw(admin, "PUT", path, body, {"x-amz-checksum-crc32c": "AAAAAA=="})
    assert status == 400 and b"crc32c is not supported" in answer
    # The helper always sends a Content-Length: with Transfer-Encoding beside it, the HTTP side refuses the request
    # before S3 sees it (a request-smuggling shape).
    status, answer = raw(admin, "PUT", path, b"", {"Transfer-Encoding": "chunked"}, payload_hash="UNSIGNED-PAYLOAD")
    assert status == 400 and b"both Content-Length and Transfer-Encoding" in answer
    assert raw(admin, "GET", path)[0] == 404  # nothing was stored

    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    sha1 = base64.b64encode(hashlib.sha1(body).digest()).decode()
    ok = {"x-amz-checksum-crc32": crc, "x-amz-checksum-sha1": sha1}
    assert raw(admin, "PUT", path, body, ok)[0] == 200
    assert raw(admin, "GET", path) == (200, body)


def test_aws_chunked_bodies_with_a_trailing_checksum(admin: AdminServer) -> None:
    """What botocore sends over TLS: ``aws-chunked`` with a CRC32 trailer (decoded, then checked)."""
    data = os.urandom(70_000)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

    def chunked(trailer_crc: str) -> bytes:
        pieces = [data[:65536], data[65536:]]
        out = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces)
        return out + f"0\r\nx-amz-checksum-crc32:{trailer_crc}\r\n\r\n".encode()

    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    trailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    path = f"/{BUCKET}/chunked/x"
    assert raw(admin, "PUT", path, chunked(crc), headers, payload_hash=trailer) == (200, b"")
    assert raw(admin, "GET", path) == (200, data)
    status, answer = raw(admin, "PUT", f"/{BUCKET}/chunked/y", chunked("AAAAAA=="), headers, payload_hash=trailer)
    assert status == 400 and b"BadDigest" in answer
    status, answer = raw(admin, "PUT", f"/{BUCKET}/chunked/y", b"zz\r\n", headers, payload_hash=trailer)
    assert status == 400 and b"IncompleteBody" in answer
    no_encoding = {k: v for k, v in headers.items() if k != "Content-Encoding"}
    assert raw(admin, "PUT", f"/{BUCKET}/chunked/y", chunked(crc), no_encoding, payload_hash=trailer)[0] == 400
    assert raw(admin, "GET", f"/{BUCKET}/chunked/y")[0] == 404


# -- s3fs, as flytekit drives it -------------------------------------------------------------------------------
def test_s3fs_directories_round_trip(admin: AdminServer, tmp_path: Path) -> None:
    fs = s3fs.S3FileSystem(key=KEY_ID, secret=SECRET, client_kwargs={"endpoint_url": admin.http_endpoint})
    source = tmp_path / "src"
    (source / "nested").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "nested" / "b.bin").write_bytes(os.urandom(6 * 1024 * 1024))  # more than one block
    fs.put(str(source), f"s3://{BUCKET}/fsdir", recursive=True)
    assert sorted(fs.find(f"{BUCKET}/fsdir")) == [f"{BUCKET}/fsdir/a.txt", f"{BUCKET}/fsdir/nested/b.bin"]
    assert fs.isdir(f"s3://{BUCKET}/fsdir/nested") and fs.isfile(f"s3://{BUCKET}/fsdir/a.txt")
    fs.get(f"s3://{BUCKET}/fsdir", str(tmp_path / "back"), recursive=True)
    assert (tmp_path / "back" / "nested" / "b.bin").read_bytes() == (source / "nested" / "b.bin").read_bytes()
    with fs.open(f"s3://{BUCKET}/fsdir/nested/b.bin", "rb", block_size=1024) as f:
        f.seek(5 * 1024 * 1024)
        assert f.read(10) == (source / "nested" / "b.bin").read_bytes()[5 * 1024 * 1024 :][:10]
    with fs.open(f"s3://{BUCKET}/fsdir/written.bin", "wb", block_size=MIN_PART_BYTES) as f:  # multipart
        for _ in range(3):
            f.write(b"w" * (4 * 1024 * 1024))
    assert fs.size(f"s3://{BUCKET}/fsdir/written.bin") == 12 * 1024 * 1024
    fs.rm(f"s3://{BUCKET}/fsdir", recursive=True)
    assert not fs.exists(f"s3://{BUCKET}/fsdir/a.txt")


# -- configuration ---------------------------------------------------------------------------------------------
def test_storage_configuration_is_checked(tmp_path: Path) -> None:
    assert AdminConfig().storage_bucket == "my-s3-bucket"
    assert AdminConfig(storage_prefix="s3://flyte-data").storage_bucket == "flyte-data"
    for bad in ("flyteplane://data", "/tmp/x", "s3://", "s3://UPPER", "s3://a", "s3://logs", "s3://x..y"):
        with pytest.raises(ValueError, match="storage_prefix"):
            AdminConfig(storage_prefix=bad)
    with pytest.raises(ValueError, match="must not be empty"):
        AdminConfig(s3_secret_access_key="")
    with pytest.raises(ValueError, match="not an s3://"):
        from flyteplane.admin.s3_gateway import S3Gateway

        S3Gateway(BlobStore(tmp_path, prefix="gs://elsewhere"), Credential(KEY_ID, SECRET))


def test_other_credentials_and_bucket(tmp_path: Path) -> None:
    config = AdminConfig(storage_prefix="s3://flyte-data", s3_access_key_id="me", s3_secret_access_key="sesame")
    with AdminServer(config=config) as srv:
        s3 = client(srv, key_id="me", secret="sesame")
        s3.put_object(Bucket="flyte-data", Key="k", Body=b"v")
        assert srv.context is not None and srv.context.blobs.native_url("k") == "s3://flyte-data/k"
        with pytest.raises(ClientError) as e:
            client(srv).get_object(Bucket="flyte-data", Key="k")
        assert error_code(e) == "InvalidAccessKeyId"


def test_a_full_disk_is_a_500_that_says_so_and_stores_nothing(
    admin: AdminServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert admin.context is not None
    blobs = admin.context.blobs

    def no_space(*_args: Any, **_kwargs: Any) -> bytes:
        raise OSError(errno.ENOSPC, "No space left on device")

    path = f"/{BUCKET}/full/x"
    with monkeypatch.context() as patch:
        patch.setattr(blobs, "put", no_space)
        status, answer = raw(admin, "PUT", path, b"data")
        assert status == 500
        assert b"<Code>InternalError</Code>" in answer and b"No space left on device" in answer
        # The data proxy's signed upload URL answers the same way, in plain text.
        url = admin.context.signer.url(admin.http_endpoint, "PUT", "full/y", int(time.time()) + 60)
        request = urllib.request.Request(url, data=b"data", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 500
        assert refused.value.read() == b"the admin could not store the object: No space left on device\n"
    assert raw(admin, "GET", path)[0] == 404
    assert raw(admin, "PUT", path, b"data")[0] == 200  # space again
