"""An S3-compatible endpoint over the admin's blob store, on the admin's HTTP side.

The Flyte sandbox keeps data in minio, and flytekit reads and writes ``s3://my-s3-bucket/...`` URLs through s3fs
(botocore) against it: the data proxy's native URLs, a task's inputs and raw outputs, fast-registered code. This
endpoint plays minio's part for the one bucket of :class:`~flyteplane.admin.blobs.BlobStore` (path-style addressing,
``http://<admin http>/<bucket>/<key>``), with the S3 REST operations s3fs uses:

=============================  =========================================================================
``GET /``                      ListBuckets (the one bucket)
``HEAD /<bucket>``             HeadBucket; ``GET /<bucket>?location``: GetBucketLocation
``GET /<bucket>?list-type=2``  ListObjectsV2 (prefix, delimiter, max-keys, continuation-token, start-after,
                               encoding-type=url)
``POST /<bucket>?delete``      DeleteObjects
``PUT /<bucket>/<key>``        PutObject (Content-MD5, x-amz-checksum-crc32/sha1/sha256, If-None-Match: *);
                               with ``x-amz-copy-source``: CopyObject
``GET|HEAD /<bucket>/<key>``   GetObject (one byte range) / HeadObject; If-Match, If-None-Match
``DELETE /<bucket>/<key>``     DeleteObject
multipart                      ``POST ?uploads``, ``PUT ?partNumber&uploadId``, ``POST ?uploadId``,
                               ``DELETE ?uploadId``
=============================  =========================================================================

Anything else S3 has (versioning, ACLs, tagging, ListObjects v1, ListParts, UploadPartCopy, presigned query
signatures, other buckets) is answered with S3's error for it (``NotImplemented``, ``NoSuchBucket``), never silently.

Every request must be signed with AWS Signature V4 by the admin's one credential
(``AdminConfig.s3_access_key_id`` / ``s3_secret_access_key``, see :mod:`flyteplane.admin.s3_sigv4`); anonymous
requests are refused, wherever they come from. Bodies stream to disk in chunks (never a whole object in memory), and
a body whose SHA-256, MD5 or checksum is not the announced one is not stored (:mod:`flyteplane.admin.s3_bodies`).
Keys are the blob store's: relative paths without ``.``/``..`` segments, so no request reaches outside the bucket's
folder. The store is a file system, so a key cannot be both an object and a "folder" of other objects (``a/b`` and
``a/b/c``): such a write is refused with 409 (S3 itself would allow it; flytekit never does it).

The operations are blocking code run in a worker thread per request (:func:`flyteplane.admin.http_io.blocking`),
behind the one route :meth:`S3Gateway.route` gives the admin's HTTP app.

Errors are S3's XML documents (``<Error><Code>...``), with S3's codes and statuses.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import logging
import os
import re
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO
from urllib.parse import parse_qs, quote, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from flyteplane.admin.blobs import (
    BlobConflict,
    BlobNotFound,
    BlobStore,
    DigestMismatch,
    EntityTooSmall,
    IncompleteBody,
    InvalidKey,
    InvalidPart,
    InvalidPartOrder,
    NoSuchUpload,
    check_key,
)
from flyteplane.admin.http_io import FileStream, HttpCall, blocking
from flyteplane.admin.s3_bodies import Body, BodyError, request_body
from flyteplane.admin.s3_sigv4 import Credential, SignatureError, verify

__all__ = ["S3Gateway"]

log = logging.getLogger("flyteplane.admin.s3")

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
REGION = "us-east-1"  # what minio answers by default; any region in a signature's scope is accepted
MAX_XML_BODY = 1024 * 1024  # DeleteObjects (1000 keys of 1 KiB at most) and CompleteMultipartUpload fit
MAX_DELETE_KEYS = 1000
MAX_LIST_KEYS = 1000
_CHUNK = 1024 * 1024
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)")
# Sub-resources of S3 this endpoint does not offer: refused as NotImplemented rather than mistaken for the plain
# operation on the object or bucket (a GET ?acl is no GetObject).
_UNSUPPORTED = frozenset(
    {"acl", "tagging", "versioning", "versions", "versionId", "policy", "cors", "lifecycle", "website", "logging",
     "notification", "replication", "encryption", "object-lock", "retention", "legal-hold", "torrent", "restore",
     "select", "attributes", "accelerate", "requestPayment", "analytics", "inventory", "metrics", "ownershipControls",
     "publicAccessBlock", "intelligent-tiering", "uploads-list"}
)  # fmt: skip


class S3Error(Exception):
    """An S3 error answer: HTTP ``status``, S3 ``code``, a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class S3Gateway:
    """Serves the S3 REST requests for the blob store's bucket on the admin's HTTP side.

    Args:
        blobs: the admin's blob store; its :attr:`~flyteplane.admin.blobs.BlobStore.bucket` is the one bucket.
        credential: the access key and secret requests must be signed with.
    """

    def __init__(self, blobs: BlobStore, credential: Credential) -> None:
        if blobs.bucket is None:
            raise ValueError(f"the blob store's prefix [{blobs.prefix}] is not an s3://<bucket> one")
        self.blobs = blobs
        self.bucket: str = blobs.bucket
        self.credential = credential

    def owns(self, scope: Scope) -> bool:
        """Whether a request is for this endpoint: ``/``, ``/<bucket>[/...]``, or any SigV4-signed request (which
        then gets NoSuchBucket when it names another bucket)."""
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if path == "/" or path.split("/", 2)[1] == self.bucket:
            return True
        for name, value in scope["headers"]:
            if name == b"authorization":
                return value.startswith(b"AWS4-HMAC-SHA256")
        return False

    def route(self) -> BaseRoute:
        """The route serving this endpoint's requests (any method), to go after the admin's other routes."""
        return _S3Route(self)

    def handle(self, call: HttpCall) -> Response:
        """Answer one request (any method); S3's XML error for anything wrong."""
        request = _Request(call, self)
        try:
            return request.serve()
        except S3Error as e:
            return request.error(e.status, e.code, str(e))
        except SignatureError as e:
            return request.error(e.status, e.code, str(e))
        except (ConnectionError, TimeoutError):
            request.close = True
            return request.error(400, "IncompleteBody", "the client stopped sending the body")
        except OSError as e:  # the disk's fault (full, read-only): the client may retry later
            log.exception("S3 %s %s failed", call.method, request.key)
            request.close = True
            return request.error(500, "InternalError", f"the admin could not access its store: {e.strerror or e}")


class _S3Route(BaseRoute):
    """Matches the requests :meth:`S3Gateway.owns`, whatever their method."""

    def __init__(self, gateway: S3Gateway) -> None:
        self.gateway = gateway
        self._endpoint = blocking(gateway.handle)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and self.gateway.owns(scope):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        response = await self._endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


class _Request:
    """One S3 request being served."""

    def __init__(self, call: HttpCall, gateway: S3Gateway) -> None:
        self.call = call
        self.headers = call.headers
        self.gateway = gateway
        self.blobs = gateway.blobs
        self.raw_path = call.raw_path
        self.raw_query = call.raw_query
        self.query = parse_qs(call.raw_query, keep_blank_values=True)
        self.method = call.method
        self.rfile = call.body
        self.close = False
        self.key = ""

    # -- dispatch --------------------------------------------------------------------------------------------
    def serve(self) -> Response:
        if {"X-Amz-Signature", "X-Amz-Credential", "Signature", "AWSAccessKeyId"} & self.query.keys():
            raise S3Error(403, "AccessDenied", "presigned S3 URLs are not offered; use the data proxy's signed URLs")
        payload_hash = verify(self.gateway.credential, self.method, self.raw_path, self.raw_query, self.headers)
        try:
            path = unquote(self.raw_path, errors="strict")
        except UnicodeDecodeError:
            raise S3Error(400, "InvalidURI", "the path is not valid UTF-8") from None
        if path == "/":
            if self.method != "GET":
                raise S3Error(405, "MethodNotAllowed", f"{self.method} is not allowed on the service")
            return self.list_buckets()
        bucket, _, key = path[1:].partition("/")
        if bucket != self.gateway.bucket:
            raise S3Error(404, "NoSuchBucket", f"the only bucket here is {self.gateway.bucket}")
        unsupported = _UNSUPPORTED.intersection(self.query)
        if unsupported:
            raise S3Error(501, "NotImplemented", f"the ?{sorted(unsupported)[0]} sub-resource is not supported")
        if not key:
            return self.bucket_operation(payload_hash)
        try:
            self.key = check_key(key)
        except InvalidKey as e:
            raise S3Error(400, "InvalidArgument", f"invalid object key: {e}") from None
        return self.object_operation(payload_hash)

    def bucket_operation(self, payload_hash: str) -> Response:
        q, m = self.query, self.method
        if m == "HEAD":
            return self.reply(200)
        if m == "GET" and "location" in q:
            return self.xml(200, f'<LocationConstraint xmlns="{XMLNS}">{REGION}</LocationConstraint>')
        if m == "GET" and _one(q, "list-type") == "2":
            return self.list_objects_v2()
        if m == "GET" and "uploads" in q:
            raise S3Error(501, "NotImplemented", "ListMultipartUploads is not supported")
        if m == "GET":
            raise S3Error(501, "NotImplemented", "ListObjects (version 1) is not supported; use ListObjectsV2")
        if m == "POST" and "delete" in q:
            return self.delete_objects(payload_hash)
        if m == "PUT" and not q:
            raise S3Error(409, "BucketAlreadyOwnedByYou", f"the bucket {self.gateway.bucket} exists")
        if m == "DELETE" and not q:
            raise S3Error(409, "BucketNotEmpty", "the admin's bucket cannot be deleted")
        raise S3Error(501, "NotImplemented", f"{m} on the bucket with this query is not supported")

    def object_operation(self, payload_hash: str) -> Response:
        q, m = self.query, self.method
        if m in ("GET", "HEAD"):
            if "uploadId" in q:
                raise S3Error(501, "NotImplemented", "ListParts is not supported")
            if "partNumber" in q:
                raise S3Error(501, "NotImplemented", "GetObject of one part is not supported")
            return self.get_object(head=m == "HEAD")
        if m == "PUT":
            if "uploadId" in q or "partNumber" in q:
                return self.upload_part(payload_hash)
            if self.headers.get("x-amz-copy-source") is not None:
                return self.copy_object()
            return self.put_object(payload_hash)
        if m == "DELETE":
            if "uploadId" in q:
                upload_id = _one(q, "uploadId") or ""
                try:
                    self.check_upload(upload_id)
                    self.blobs.abort_multipart(upload_id)
                except NoSuchUpload as e:
                    raise S3Error(404, "NoSuchUpload", str(e)) from None
                return self.reply(204)
            self.blobs.delete(self.key)
            return self.reply(204)  # S3 answers the same whether or not there was an object
        if m == "POST":
            if "uploads" in q:
                upload_id = self.blobs.create_multipart(self.key)
                return self.xml(
                    200,
                    f'<InitiateMultipartUploadResult xmlns="{XMLNS}"><Bucket>{self.gateway.bucket}</Bucket>'
                    f"<Key>{escape(self.key)}</Key><UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>",
                )
            if "uploadId" in q:
                return self.complete_multipart(payload_hash)
        raise S3Error(405, "MethodNotAllowed", f"{m} is not allowed on an object with this query")

    # -- buckets and listings --------------------------------------------------------------------------------
    def list_buckets(self) -> Response:
        created = _iso(self.blobs.data_dir.stat().st_mtime)
        return self.xml(
            200,
            f'<ListAllMyBucketsResult xmlns="{XMLNS}"><Owner><ID>flyteplane</ID><DisplayName>flyteplane</DisplayName>'
            f"</Owner><Buckets><Bucket><Name>{self.gateway.bucket}</Name><CreationDate>{created}</CreationDate>"
            "</Bucket></Buckets></ListAllMyBucketsResult>",
        )

    def list_objects_v2(self) -> Response:
        q = self.query
        prefix = _one(q, "prefix") or ""
        delimiter = _one(q, "delimiter") or ""
        encoding = _one(q, "encoding-type")
        if encoding not in (None, "url"):
            raise S3Error(400, "InvalidArgument", "encoding-type must be url")
        max_text = _one(q, "max-keys")
        try:
            max_keys = MAX_LIST_KEYS if max_text is None else int(max_text)
        except ValueError:
            max_keys = -1
        if max_keys < 0:
            raise S3Error(400, "InvalidArgument", "max-keys must be a number from 0")
        max_keys = min(max_keys, MAX_LIST_KEYS)
        token = _one(q, "continuation-token")
        start_after = _one(q, "start-after") or ""
        after = start_after
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (binascii.Error, ValueError):
                raise S3Error(400, "InvalidArgument", "the continuation token is not one this endpoint made") from None

        def enc(text: str) -> str:
            return escape(quote(text, safe="/") if encoding else text)

        contents: list[str] = []
        prefixes: list[str] = []
        last = ""
        truncated = False
        entries = self.blobs.list_keys(prefix, after=after, delimiter=delimiter)
        for key, is_prefix in entries:
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            last = key
            if is_prefix:
                prefixes.append(f"<CommonPrefixes><Prefix>{enc(key)}</Prefix></CommonPrefixes>")
                continue
            info = self.blobs.info(key)
            if info is None:  # deleted meanwhile
                continue
            try:
                mtime = self.blobs.path_of(key).stat().st_mtime
            except OSError:
                continue
            contents.append(
                f"<Contents><Key>{enc(key)}</Key><LastModified>{_iso(mtime)}</LastModified>"
                f"<ETag>&quot;{info.md5.hex()}&quot;</ETag><Size>{info.size}</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>"
            )
        body = [f'<ListBucketResult xmlns="{XMLNS}"><Name>{self.gateway.bucket}</Name>']
        body.append(f"<Prefix>{enc(prefix)}</Prefix>")
        if delimiter:
            body.append(f"<Delimiter>{enc(delimiter)}</Delimiter>")
        body.append(f"<MaxKeys>{max_keys}</MaxKeys><KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
        body.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if encoding:
            body.append("<EncodingType>url</EncodingType>")
        if token is not None:
            body.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
        if start_after:
            body.append(f"<StartAfter>{enc(start_after)}</StartAfter>")
        if truncated:
            next_token = base64.urlsafe_b64encode(last.encode()).decode()
            body.append(f"<NextContinuationToken>{next_token}</NextContinuationToken>")
        body.extend(contents)
        body.extend(prefixes)
        body.append("</ListBucketResult>")
        return self.xml(200, "".join(body))

    def delete_objects(self, payload_hash: str) -> Response:
        root = self.read_xml(payload_hash, "Delete")
        quiet = (root.findtext(f"{{{XMLNS}}}Quiet") or root.findtext("Quiet") or "").strip() == "true"
        objects = root.findall(f"{{{XMLNS}}}Object") + root.findall("Object")
        if len(objects) > MAX_DELETE_KEYS:
            raise S3Error(400, "MalformedXML", f"at most {MAX_DELETE_KEYS} keys per DeleteObjects")
        out = [f'<DeleteResult xmlns="{XMLNS}">']
        for obj in objects:
            key = obj.findtext(f"{{{XMLNS}}}Key") or obj.findtext("Key") or ""
            try:
                self.blobs.delete(check_key(key))
            except InvalidKey as e:
                out.append(
                    f"<Error><Key>{escape(key)}</Key><Code>InvalidArgument</Code><Message>{escape(str(e))}</Message>"
                    "</Error>"
                )
                continue
            if not quiet:
                out.append(f"<Deleted><Key>{escape(key)}</Key></Deleted>")
        out.append("</DeleteResult>")
        return self.xml(200, "".join(out))

    # -- objects ---------------------------------------------------------------------------------------------
    def get_object(self, head: bool) -> Response:
        try:
            f = self.blobs.open_file(self.key)
        except BlobNotFound:
            raise S3Error(404, "NoSuchKey", "the object does not exist") from None
        try:
            return self.send_object(f, head)
        except BaseException:
            f.close()
            raise

    def send_object(self, f: BinaryIO, head: bool) -> Response:
        """The answer streaming ``f`` (which it closes), or the 304 of a matching If-None-Match."""
        st = os.fstat(f.fileno())
        info = self.blobs.info(self.key)
        etag = f'"{info.md5.hex()}"' if info is not None else '"0"'
        not_modified = self.check_conditions(etag, st.st_mtime)
        if not_modified is not None:
            f.close()
            return not_modified
        size = st.st_size
        start, end = 0, size - 1
        status = 200
        range_header = self.headers.get("Range")
        if range_header is not None and not head:
            start, end = _byte_range(range_header, size)
            status = 206
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True),
            "Accept-Ranges": "bytes",
        }
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return FileStream(f, start, max(0, end - start + 1), status, headers, "binary/octet-stream")

    def check_conditions(self, etag: str, mtime: float) -> Response | None:
        """None if the object's If-Match / If-None-Match conditions let the request go on, else the 304."""
        if_match = self.headers.get("If-Match")
        if if_match is not None and if_match.strip() not in ("*", etag):
            raise S3Error(412, "PreconditionFailed", "the object's ETag is not the If-Match one")
        if_none = self.headers.get("If-None-Match")
        if if_none is not None and if_none.strip() in ("*", etag):
            return self.reply(304)
        return None

    def put_object(self, payload_hash: str) -> Response:
        if (self.headers.get("If-None-Match") or "").strip() == "*" and self.blobs.exists(self.key):
            raise S3Error(412, "PreconditionFailed", "an object exists under this key")
        body = self.body(payload_hash)
        md5 = self.store(lambda: self.blobs.put(self.key, body.reader, body.md5, length=body.length,
                                                digests=body.digests, before_commit=body.check))  # fmt: skip
        return self.reply(200, etag=md5.hex(), extra=body.checksum_headers)

    def copy_object(self) -> Response:
        source = self.headers.get("x-amz-copy-source", "")
        source_path = unquote(source.split("?", 1)[0]).lstrip("/")
        bucket, _, key = source_path.partition("/")
        if "?" in source:
            raise S3Error(501, "NotImplemented", "copying a version of an object is not supported")
        if bucket != self.gateway.bucket:
            raise S3Error(404, "NoSuchBucket", f"the only bucket here is {self.gateway.bucket}")
        try:
            check_key(key)
        except InvalidKey as e:
            raise S3Error(400, "InvalidArgument", f"invalid copy source key: {e}") from None
        if key == self.key:
            raise S3Error(400, "InvalidRequest", "copying an object onto itself changes nothing")
        try:
            md5 = self.store(lambda: self.blobs.copy(key, self.key))
        except BlobNotFound:
            raise S3Error(404, "NoSuchKey", "the copy source does not exist") from None
        mtime = self.blobs.path_of(self.key).stat().st_mtime
        return self.xml(
            200,
            f'<CopyObjectResult xmlns="{XMLNS}"><LastModified>{_iso(mtime)}</LastModified>'
            f"<ETag>&quot;{md5.hex()}&quot;</ETag></CopyObjectResult>",
        )

    # -- multipart uploads -----------------------------------------------------------------------------------
    def check_upload(self, upload_id: str) -> None:
        if self.blobs.multipart_key(upload_id) != self.key:
            raise NoSuchUpload(f"upload [{upload_id}] is not one of key [{self.key}]")

    def upload_part(self, payload_hash: str) -> Response:
        if self.headers.get("x-amz-copy-source") is not None:
            raise S3Error(501, "NotImplemented", "UploadPartCopy is not supported")
        upload_id = _one(self.query, "uploadId") or ""
        try:
            number = int(_one(self.query, "partNumber") or "")
        except ValueError:
            raise S3Error(400, "InvalidArgument", "partNumber must be a number from 1 to 10000") from None
        try:
            self.check_upload(upload_id)
        except NoSuchUpload as e:
            raise S3Error(404, "NoSuchUpload", str(e)) from None
        body = self.body(payload_hash)
        md5 = self.store(lambda: self.blobs.put_part(upload_id, number, body.reader, body.md5, length=body.length,
                                                     digests=body.digests, before_commit=body.check))  # fmt: skip
        return self.reply(200, etag=md5.hex(), extra=body.checksum_headers)

    def complete_multipart(self, payload_hash: str) -> Response:
        upload_id = _one(self.query, "uploadId") or ""
        try:
            self.check_upload(upload_id)
        except NoSuchUpload as e:
            raise S3Error(404, "NoSuchUpload", str(e)) from None
        root = self.read_xml(payload_hash, "CompleteMultipartUpload")
        parts = []
        for part in root.findall(f"{{{XMLNS}}}Part") + root.findall("Part"):
            number = part.findtext(f"{{{XMLNS}}}PartNumber") or part.findtext("PartNumber") or ""
            etag = part.findtext(f"{{{XMLNS}}}ETag") or part.findtext("ETag") or ""
            try:
                parts.append((int(number), etag))
            except ValueError:
                raise S3Error(400, "MalformedXML", f"part number [{number[:20]}] is not a number") from None
        _, digest = self.store(lambda: self.blobs.complete_multipart(upload_id, parts))
        return self.xml(
            200,
            f'<CompleteMultipartUploadResult xmlns="{XMLNS}"><Bucket>{self.gateway.bucket}</Bucket>'
            f"<Key>{escape(self.key)}</Key><ETag>&quot;{digest.hex()}-{len(parts)}&quot;</ETag>"
            "</CompleteMultipartUploadResult>",
        )

    # -- bodies ----------------------------------------------------------------------------------------------
    def store(self, write: Callable[[], Any]) -> Any:
        """Run a blob store write, turning its refusals into S3's errors."""
        try:
            return write()
        except DigestMismatch:
            raise S3Error(400, "BadDigest", "the Content-MD5 you specified did not match what was received") from None
        except IncompleteBody:
            self.close = True
            raise S3Error(400, "IncompleteBody", "the body ended before its announced length") from None
        except BlobConflict as e:
            raise S3Error(409, "OperationAborted", f"{e}: a key cannot be both an object and a folder here") from None
        except NoSuchUpload as e:
            raise S3Error(404, "NoSuchUpload", str(e)) from None
        except InvalidPartOrder as e:
            raise S3Error(400, "InvalidPartOrder", str(e)) from None
        except InvalidPart as e:
            raise S3Error(400, "InvalidPart", str(e)) from None
        except EntityTooSmall as e:
            raise S3Error(400, "EntityTooSmall", str(e)) from None
        except BodyError as e:
            self.close = True
            raise S3Error(e.status, e.code, str(e)) from None

    def body(self, payload_hash: str) -> Body:
        """The request's body as a stream with its announced length and the checks it must pass."""
        try:
            return request_body(self.headers, self.rfile, payload_hash)
        except BodyError as e:
            raise S3Error(e.status, e.code, str(e)) from None

    def read_xml(self, payload_hash: str, root_name: str) -> ElementTree.Element:
        body = self.body(payload_hash)
        if body.length > MAX_XML_BODY:
            raise S3Error(400, "MalformedXML", f"the XML body is larger than {MAX_XML_BODY} bytes")
        data = self.store(lambda: body.read_all())
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise S3Error(400, "MalformedXML", "document types and entities are not accepted")
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError:
            raise S3Error(400, "MalformedXML", "the XML body is not well formed") from None
        if root.tag not in (root_name, f"{{{XMLNS}}}{root_name}"):
            raise S3Error(400, "MalformedXML", f"the XML body is not a {root_name} document")
        return root

    # -- answers ---------------------------------------------------------------------------------------------
    def _closing(self, headers: dict[str, str]) -> dict[str, str]:
        """``headers``, with ``Connection: close`` if the request broke off (what is left of its body cannot be
        trusted). A rest of the body not read because of an early answer is the server's to skip (see
        :class:`~flyteplane.admin.http_io.FramingCheck`)."""
        if self.close:
            headers["Connection"] = "close"
        return headers

    def error(self, status: int, code: str, message: str) -> Response:
        if self.method == "HEAD":
            return self.reply(status)
        resource = escape(self.raw_path)
        request_id = uuid.uuid4().hex[:16].upper()
        return self.xml(
            status,
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message><Resource>{resource}</Resource>"
            f"<RequestId>{request_id}</RequestId></Error>",
        )

    def xml(self, status: int, document: str) -> Response:
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()
        return Response(data, status, self._closing({}), media_type="application/xml")

    def reply(self, status: int, etag: str | None = None, extra: dict[str, str] | None = None) -> Response:
        headers = dict(extra or {})
        if etag is not None:
            headers["ETag"] = f'"{etag}"'
        return Response(b"", status, self._closing(headers))


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """The one ``bytes=a-b`` / ``a-`` / ``-n`` range of a Range header, clipped to the object (S3's rules)."""
    match = _RANGE_RE.fullmatch(header.strip())
    if match is None or match[1] == match[2] == "":
        raise S3Error(416, "InvalidRange", "only one byte range (bytes=a-b, a-, -n) is supported")
    first, last = match[1], match[2]
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            raise S3Error(416, "InvalidRange", "the requested range is not satisfiable")
        return max(0, size - n), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        raise S3Error(416, "InvalidRange", "the range's end is before its start")
    if start >= size:
        raise S3Error(416, "InvalidRange", "the requested range is not satisfiable")
    return start, end


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise S3Error(400, "InvalidArgument", f"{name} is given more than once")
    return values[0]


def _iso(mtime: float) -> str:
    when = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
