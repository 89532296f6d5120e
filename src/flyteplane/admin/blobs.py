"""The admin's blob store: the objects behind the data proxy's native and signed URLs.

Objects live as plain files::

    <root>/blobs/<key>        the object; native URL ``s3://<bucket>/<key>``
    <root>/blobs.meta/<key>   "<md5 hex> <size> <mtime_ns>": the content MD5 recorded at upload
    <root>/blobs.partial/     uploads in flight, multipart uploads' parts (removed at open: a killed upload was
                              never acknowledged, and S3 clients restart a multipart upload they cannot finish)

Native URLs are ``s3://<bucket>/<key>``, as the Flyte sandbox's (its minio bucket ``my-s3-bucket``): flytekit reads
and writes them through s3fs, against the S3 endpoint of the admin's HTTP side (:mod:`flyteplane.admin.s3_gateway`).
URLs an older admin handed out stay readable: the plain paths and ``file://`` URLs of ``<root>/blobs``, and
``flyteplane://data/<key>``.

``<root>`` is the admin's state directory, or a temporary directory (deleted on :meth:`BlobStore.close` or when
the store is garbage collected) when the admin keeps its state in memory. Both modes share every line of code.

Keys are ``/``-separated paths such as ``flytesnacks/development/<prefix>/<filename>``. A write goes to a
temporary file, is fsynced and renamed into place, so an upload that was acknowledged survives a kill, and a
reader never sees half an object.

The MD5 record is a cache of the content's digest (what S3 keeps as ``Content-MD5`` metadata): it is checked
against the object's size and mtime and recomputed when the object was replaced behind the store's back.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flyteplane.admin.config import AdminConfig

__all__ = [
    "BlobConflict",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "DigestMismatch",
    "EntityTooSmall",
    "IncompleteBody",
    "InvalidKey",
    "InvalidPart",
    "InvalidPartOrder",
    "NoSuchUpload",
    "check_key",
]

CHUNK = 1024 * 1024
# Objects smaller than this get no MD5 record when written: the engine writes several small literal maps per node,
# and a record (a file of its own, written and renamed) cost as much as the object; info() reads and digests a small
# object on demand for less.
_RECORD_MIN_BYTES = 256 * 1024
MAX_PARTS = 10_000  # S3's limits on multipart uploads
MIN_PART_BYTES = 5 * 1024 * 1024
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
MAX_KEY_BYTES = 1024  # S3's limit on object keys
MAX_SEGMENT_BYTES = 255  # a file name on every common file system

DEFAULT_PREFIX = AdminConfig.storage_prefix
# What admins before the S3 endpoint wrote into records (with their default configuration).
_LEGACY_PREFIX = "flyteplane://data"


class Hasher(Protocol):
    """A running digest (``hashlib``'s objects)."""

    def update(self, data: bytes, /) -> None: ...


class Readable(Protocol):
    """A binary stream: a file, a socket's ``rfile``."""

    def read(self, size: int = -1, /) -> bytes: ...


class BlobError(Exception):
    """A blob operation failed because of what was asked (not because of the disk)."""


class InvalidKey(BlobError, ValueError):
    """The key is not a safe relative path (empty segment, ``.``/``..``, control character, too long)."""


class BlobNotFound(BlobError, KeyError):
    """No object under that key."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "object not found"


class BlobConflict(BlobError):
    """Another object is in the way: a parent of the key is an object, or the key is a folder of objects."""


class DigestMismatch(BlobError):
    """The content's MD5 is not the expected one; nothing was stored."""

    def __init__(self, expected: bytes, actual: bytes) -> None:
        super().__init__(f"content MD5 {actual.hex()} does not match the expected {expected.hex()}")
        self.expected = expected
        self.actual = actual


class NoSuchUpload(BlobError):
    """No multipart upload of that id (never started, completed or aborted)."""


class InvalidPart(BlobError):
    """A part of a multipart upload is missing, has another ETag, or has a number out of range."""


class InvalidPartOrder(BlobError):
    """The parts of a multipart upload were not listed in ascending order."""


class EntityTooSmall(BlobError):
    """A part other than the last is smaller than S3's minimum part size."""


class IncompleteBody(BlobError):
    """The stream ended before the announced length; nothing was stored."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object path, else raise :class:`InvalidKey` saying why."""
    if not key:
        raise InvalidKey("the key is empty")
    if len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidKey(f"the key is longer than {MAX_KEY_BYTES} bytes")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"[{key}] has an empty, '.' or '..' path segment")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise InvalidKey(f"a path segment of [{key}] is longer than {MAX_SEGMENT_BYTES} bytes")
    if _UNSAFE_CHAR.search(key) is not None:
        raise InvalidKey(f"[{key}] contains a control character or a backslash")
    return key


# A control character (C0 or DEL) or a backslash: one regex scan of the key, not a Python loop per character (every
# blob the engine reads or writes checks its key).
_UNSAFE_CHAR = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class BlobInfo:
    """What a HEAD would tell: size and content MD5."""

    size: int
    md5: bytes


class BlobStore:
    """Objects under ``root`` (see the module docstring for the layout).

    Args:
        root: the directory holding ``blobs/``, ``blobs.meta/`` and ``blobs.partial/``; ``None``: a new temporary
            directory owned by this store.
        prefix: the base of native URLs, ``s3://<bucket>`` (:data:`DEFAULT_PREFIX` if None).
    """

    def __init__(self, root: str | Path | None = None, prefix: str | None = None) -> None:
        self._owned_tmp: str | None = None
        if root is None:
            self._owned_tmp = tempfile.mkdtemp(prefix="flyteplane-blobs-")
            root = self._owned_tmp
        root = Path(root).expanduser().resolve()
        self.data_dir = root / "blobs"
        self._meta_dir = root / "blobs.meta"
        self._partial_dir = root / "blobs.partial"
        for d in (self.data_dir, self._meta_dir):
            d.mkdir(parents=True, exist_ok=True)
        # Leftovers of uploads a kill interrupted: never acknowledged, so never visible.
        shutil.rmtree(self._partial_dir, ignore_errors=True)
        self._partial_dir.mkdir(parents=True, exist_ok=True)
        self.prefix = (prefix if prefix is not None else DEFAULT_PREFIX).rstrip("/")
        self.bucket = self.prefix[len("s3://") :] if self.prefix.startswith("s3://") else None
        """The bucket the S3 endpoint serves (None when the prefix is not an ``s3://`` one)."""
        # Older records: plain paths and file:// URLs of the blob directory, and the old default prefix.
        self._legacy_prefixes = (self.data_dir.as_posix(), "file://" + self.data_dir.as_posix(), _LEGACY_PREFIX)
        # Serializes the commit of one object (rename + MD5 record) so a record always describes its object.
        self._commit_lock = threading.Lock()
        self._finalizer = (
            weakref.finalize(self, shutil.rmtree, self._owned_tmp, ignore_errors=True)
            if self._owned_tmp is not None
            else None
        )

    @classmethod
    def for_config(cls, config: AdminConfig) -> BlobStore:
        """The store of an admin with ``config`` (built once, by :func:`flyteplane.admin.wiring.build_context`).

        Under ``config.state_dir / "blobs"`` when the admin has a state directory, else in a temporary directory;
        native URLs under ``config.storage_prefix``.
        """
        return cls(config.state_dir, config.storage_prefix)

    def close(self) -> None:
        """Delete the temporary directory, if this store made one. A state directory is left alone."""
        if self._finalizer is not None:
            self._finalizer()

    # -- URLs ----------------------------------------------------------------------------------------------
    def native_url(self, key: str) -> str:
        """``<prefix>/<key>``, the URL Flyte Admin calls native (``s3://bucket/key`` on a real deployment)."""
        return f"{self.prefix}/{check_key(key)}"

    def key_from_native_url(self, url: str) -> str | None:
        """The key of a native URL of this store; None if the URL points elsewhere or is not a valid key."""
        for prefix in (self.prefix, *self._legacy_prefixes):
            if url.startswith(prefix + "/"):
                try:
                    return check_key(url[len(prefix) + 1 :])
                except InvalidKey:
                    return None
        return None

    def local_path_of_url(self, url: str) -> Path | None:
        """The file or folder of this machine behind a native URL of this store (it may not exist), or None."""
        key = self.key_from_native_url(url.rstrip("/"))
        return self.path_of(key) if key is not None else None

    # -- reads ---------------------------------------------------------------------------------------------
    def path_of(self, key: str) -> Path:
        """The file holding ``key`` (it may not exist)."""
        return self.data_dir.joinpath(*check_key(key).split("/"))

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """The object, opened for reading. An upload replacing it meanwhile does not disturb this reader."""
        with self.open_file(key) as f:
            yield f

    def open_file(self, key: str) -> BinaryIO:
        """The object, opened for reading, for the caller to close (a streamed answer closes it when sent)."""
        try:
            return open(self.path_of(key), "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(f"no object [{key}]") from None

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def info(self, key: str) -> BlobInfo | None:
        """Size and content MD5 of the object, or None if there is none."""
        path = self.path_of(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        recorded = self._read_record(key)
        if recorded is not None and recorded[1:] == (st.st_size, st.st_mtime_ns):
            return BlobInfo(st.st_size, recorded[0])
        # No record, or the file changed behind our back (e.g. a task wrote it through its file:// URL).
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with self.open(key) as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
                st = os.fstat(f.fileno())
        except BlobNotFound:
            return None
        md5 = digest.digest()
        self._write_record(key, md5, st.st_size, st.st_mtime_ns)
        return BlobInfo(st.st_size, md5)

    def md5_of(self, key: str) -> bytes | None:
        """The content MD5 of the object (16 bytes), or None if there is none."""
        info = self.info(key)
        return info.md5 if info is not None else None

    # -- writes --------------------------------------------------------------------------------------------
    def put(
        self,
        key: str,
        data: bytes | Readable,
        md5: bytes | None = None,
        *,
        length: int | None = None,
        digests: Sequence[Hasher] = (),
        before_commit: Callable[[], None] | None = None,
    ) -> bytes:
        """Store ``data`` under ``key`` atomically and durably; return its MD5.

        ``data`` is bytes or a binary stream, read in chunks (never all in memory). With ``length``, exactly that
        many bytes are read from the stream (:class:`IncompleteBody` if it ends early), so a socket can be
        passed. With ``md5``, the content must have that digest (:class:`DigestMismatch`). ``digests`` see every
        chunk too, and ``before_commit`` runs once the content is on disk (it may check those digests and raise).
        On any failure nothing is stored and the previous object, if any, stays.
        """
        check_key(key)
        tmp, actual = self._spool(data, length, digests)
        try:
            if md5 is not None and actual != md5:
                raise DigestMismatch(md5, actual)
            if before_commit is not None:
                before_commit()
            self._commit(key, tmp, actual)
            return actual
        finally:
            tmp.unlink(missing_ok=True)

    def _spool(self, data: bytes | Readable, length: int | None, digests: Sequence[Hasher] = ()) -> tuple[Path, bytes]:
        """Write ``data`` to a new fsynced file of the partial area; return it and the content's MD5."""
        fd, tmp_name = tempfile.mkstemp(dir=self._partial_dir, prefix="put-")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(data, length):
                    digest.update(chunk)
                    for d in digests:
                        d.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.digest()

    def copy(self, source: str, target: str) -> bytes:
        """Copy the object ``source`` to ``target`` (S3's CopyObject); return its MD5. :class:`BlobNotFound` if
        there is no ``source``."""
        check_key(target)
        with self.open(source) as f:
            return self.put(target, f)

    def delete(self, key: str) -> bool:
        """Remove the object; False if there was none. Folders left empty go too, so listings never show them."""
        path = self.path_of(key)
        with self._commit_lock:
            try:
                if not path.is_file():
                    return False
                path.unlink()
            except FileNotFoundError:
                return False
            self._record_path(key).unlink(missing_ok=True)
            for root, folder in ((self.data_dir, path.parent), (self._meta_dir, self._record_path(key).parent)):
                while folder != root:
                    try:
                        folder.rmdir()
                    except OSError:  # not empty (or gone): its parents are not empty either
                        break
                    folder = folder.parent
        return True

    # -- listings ------------------------------------------------------------------------------------------
    def list_keys(self, prefix: str = "", *, after: str = "", delimiter: str = "") -> Iterator[tuple[str, bool]]:
        """Keys starting with ``prefix``, in S3's order (by their UTF-8 bytes), as ``(key, False)``; with a
        ``delimiter``, keys that have it after the prefix are rolled up into ``(common prefix, True)`` entries, as
        S3's ListObjectsV2 does. Only entries after ``after`` come (all keys under it too when it is a common prefix
        ending with the delimiter). Lazily: the walk reads only the folders it needs.
        """
        base_rel, _, _ = prefix.rpartition("/")
        base = self.data_dir
        if base_rel:
            try:
                base = self.data_dir.joinpath(*check_key(base_rel).split("/"))
            except InvalidKey:
                return
        last_prefix: str | None = None
        after_b = after.encode()
        skip_under = after if delimiter and after.endswith(delimiter) else None
        for key, is_dir in self._walk(base, base_rel + "/" if base_rel else "", prefix, after_b, delimiter == "/"):
            if skip_under is not None and key.startswith(skip_under):
                continue
            if is_dir:  # delimiter "/": a folder rolled up whole
                yield key, True
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if common != last_prefix and common.encode() > after_b:
                        last_prefix = common
                        yield common, True
                    continue
            yield key, False

    def _walk(self, folder: Path, rel: str, prefix: str, after: bytes, roll_up: bool) -> Iterator[tuple[str, bool]]:
        try:
            with os.scandir(folder) as it:
                entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        except (FileNotFoundError, NotADirectoryError):
            return
        # A folder sorts as its name plus "/", which is where its keys fall among the other names.
        entries.sort(key=lambda e: (e[0] + "/" if e[1] else e[0]).encode())
        for name, is_dir in entries:
            key = rel + name
            if is_dir:
                key_prefix = key + "/"
                # Only folders that could hold keys matching the prefix, and keys after `after`.
                if not (key_prefix.startswith(prefix) or prefix.startswith(key_prefix)):
                    continue
                encoded = key_prefix.encode()
                if encoded <= after and not after.startswith(encoded):
                    continue
                if roll_up and key_prefix.startswith(prefix) and len(key_prefix) > len(prefix):
                    if encoded > after and _holds_files(folder / name):
                        yield key_prefix, True
                    continue
                yield from self._walk(folder / name, key_prefix, prefix, after, roll_up)
            elif key.startswith(prefix) and key.encode() > after:
                yield key, False

    # -- multipart uploads (S3's CreateMultipartUpload, UploadPart, CompleteMultipartUpload, Abort) ---------
    def create_multipart(self, key: str) -> str:
        """Start a multipart upload of ``key``; return its id. Parts live in the partial area until completed."""
        check_key(key)
        upload_id = uuid.uuid4().hex
        folder = self._partial_dir / f"mpu-{upload_id}"
        folder.mkdir()
        (folder / "key").write_text(key)
        return upload_id

    def multipart_key(self, upload_id: str) -> str:
        """The key a multipart upload is for; :class:`NoSuchUpload` if there is no such upload."""
        try:
            return (self._multipart_dir(upload_id) / "key").read_text()
        except OSError:
            raise NoSuchUpload(f"no multipart upload [{upload_id}]") from None

    def put_part(
        self,
        upload_id: str,
        number: int,
        data: bytes | Readable,
        md5: bytes | None = None,
        *,
        length: int | None = None,
        digests: Sequence[Hasher] = (),
        before_commit: Callable[[], None] | None = None,
    ) -> bytes:
        """Store part ``number`` (1 to 10000) of an upload, replacing an earlier one of that number; its MD5."""
        self.multipart_key(upload_id)
        if not 1 <= number <= MAX_PARTS:
            raise InvalidPart(f"part numbers go from 1 to {MAX_PARTS}, not {number}")
        tmp, actual = self._spool(data, length, digests)
        try:
            if md5 is not None and actual != md5:
                raise DigestMismatch(md5, actual)
            if before_commit is not None:
                before_commit()
            folder = self._multipart_dir(upload_id)
            os.replace(tmp, folder / f"{number:05d}")
            (folder / f"{number:05d}.md5").write_text(actual.hex())
            return actual
        except FileNotFoundError:  # aborted meanwhile
            raise NoSuchUpload(f"no multipart upload [{upload_id}]") from None
        finally:
            tmp.unlink(missing_ok=True)

    def complete_multipart(self, upload_id: str, parts: Sequence[tuple[int, str]]) -> tuple[str, bytes]:
        """Join the listed ``(number, ETag)`` parts, in ascending order, into the upload's object; return the key
        and S3's ETag of a multipart object (the MD5 of the parts' MD5s, ``-<count>``) as ``(key, digest)``."""
        key = self.multipart_key(upload_id)
        folder = self._multipart_dir(upload_id)
        if not parts:
            raise InvalidPart("a multipart upload is completed with at least one part")
        numbers = [n for n, _ in parts]
        if numbers != sorted(set(numbers)):
            raise InvalidPartOrder("the parts must be listed in ascending order of their numbers, each once")
        digests = []
        for i, (number, etag) in enumerate(parts):
            try:
                md5_hex = (folder / f"{number:05d}.md5").read_text()
                size = (folder / f"{number:05d}").stat().st_size
            except (OSError, ValueError):
                raise InvalidPart(f"part {number} was not uploaded") from None
            if etag.strip('"').lower() != md5_hex:
                raise InvalidPart(f"part {number}'s ETag is not {etag}")
            if size < MIN_PART_BYTES and i < len(parts) - 1:
                raise EntityTooSmall(f"part {number} has {size} bytes; all but the last need {MIN_PART_BYTES}")
            digests.append(bytes.fromhex(md5_hex))
        fd, tmp_name = tempfile.mkstemp(dir=self._partial_dir, prefix="put-")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with os.fdopen(fd, "wb") as out:
                for number, _ in parts:
                    with open(folder / f"{number:05d}", "rb") as part:
                        while chunk := part.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            self._commit(key, tmp, digest.digest())
        finally:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        return key, hashlib.md5(b"".join(digests), usedforsecurity=False).digest()

    def abort_multipart(self, upload_id: str) -> None:
        """Drop an upload and its parts; :class:`NoSuchUpload` if there is none."""
        self.multipart_key(upload_id)
        shutil.rmtree(self._multipart_dir(upload_id), ignore_errors=True)

    def _multipart_dir(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise NoSuchUpload(f"no multipart upload [{upload_id[:64]}]")
        return self._partial_dir / f"mpu-{upload_id}"

    def _commit(self, key: str, tmp: Path, md5: bytes) -> None:
        target = self.path_of(key)
        with self._commit_lock:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as e:
                raise BlobConflict(f"another object is in the way of [{key}]") from e
            _fsync_dir(target.parent)
            st = target.stat()
            if st.st_size >= _RECORD_MIN_BYTES:
                self._write_record(key, md5, st.st_size, st.st_mtime_ns)
            else:  # info() digests it again on demand; an older record must not outlive the bytes it described
                self._record_path(key).unlink(missing_ok=True)

    # -- MD5 records ---------------------------------------------------------------------------------------
    def _record_path(self, key: str) -> Path:
        return self._meta_dir.joinpath(*key.split("/"))

    def _read_record(self, key: str) -> tuple[bytes, int, int] | None:
        try:
            text = self._record_path(key).read_text()
            md5_hex, size, mtime_ns = text.split()
            md5 = bytes.fromhex(md5_hex)
            return (md5, int(size), int(mtime_ns)) if len(md5) == 16 else None
        except (OSError, ValueError):
            return None

    def _write_record(self, key: str, md5: bytes, size: int, mtime_ns: int) -> None:
        # A cache: no fsync, and a failure only means the digest is computed again next time.
        path = self._record_path(key)
        tmp = self._partial_dir / f"meta-{uuid.uuid4().hex}"
        try:
            tmp.write_text(f"{md5.hex()} {size} {mtime_ns}\n")
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"BlobStore({self.data_dir}, prefix={self.prefix!r})"


def _chunks(data: bytes | Readable, length: int | None) -> Iterator[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
        return
    remaining = length
    while remaining is None or remaining > 0:
        chunk = data.read(CHUNK if remaining is None else min(CHUNK, remaining))
        if not chunk:
            if remaining:
                raise IncompleteBody(f"the body ended {remaining} bytes early")
            return
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk


def _holds_files(folder: Path) -> bool:
    """Whether a folder has an object somewhere below it (a folder left empty is no S3 common prefix)."""
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if not entry.is_dir(follow_symlinks=False) or _holds_files(Path(entry.path)):
                    return True
    except OSError:
        return False
    return False


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once its directory entry is on disk.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
