"""The admin's blob store: the objects behind the data proxy's native and signed URLs.

Objects live as plain files, so task processes on this machine can read them straight from their native URL::

    <root>/blobs/<key>        the object; native URL ``file://<root>/blobs/<key>``
    <root>/blobs.meta/<key>   "<md5 hex> <size> <mtime_ns>": the content MD5 recorded at upload
    <root>/blobs.partial/     uploads in flight (removed at open: a killed upload was never acknowledged)

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
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterator
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
    "IncompleteBody",
    "InvalidKey",
    "check_key",
]

CHUNK = 1024 * 1024
MAX_KEY_BYTES = 1024  # S3's limit on object keys
MAX_SEGMENT_BYTES = 255  # a file name on every common file system

# The AdminConfig default: "not chosen", so native URLs become real file:// URLs of the blob directory.
_DEFAULT_PREFIX = AdminConfig.storage_prefix


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
        if any(ord(c) < 0x20 or c in "\x7f\\" for c in segment):
            raise InvalidKey(f"[{key}] contains a control character or a backslash")
    return key


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
        prefix: the base of native URLs; ``None``: the absolute path of ``<root>/blobs`` (``file://`` URLs of it
            are accepted too).
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
        # Native URLs are plain absolute paths by default, not file:// URLs: flytekit reads local blobs with
        # os.path checks on the URI string, so a file:// input fails its tasks ("... is not a file"); plain paths
        # are what its own local storage uses. file:// URLs of the same files are still understood.
        self.prefix = (prefix if prefix is not None else self.data_dir.as_posix()).rstrip("/")
        self._file_url_prefix = "file://" + self.data_dir.as_posix() if prefix is None else None
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

        Under ``config.state_dir / "blobs"`` when the admin has a state directory, else in a temporary directory.
        Native URLs use ``config.storage_prefix`` unless it is left at its default, in which case they are the
        blob directory's plain paths.
        """
        prefix = None if config.storage_prefix == _DEFAULT_PREFIX else config.storage_prefix
        return cls(config.state_dir, prefix)

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
        start = self.prefix + "/"
        if not url.startswith(start):
            if self._file_url_prefix is None or not url.startswith(self._file_url_prefix + "/"):
                return None
            start = self._file_url_prefix + "/"
        try:
            return check_key(url[len(start) :])
        except InvalidKey:
            return None

    # -- reads ---------------------------------------------------------------------------------------------
    def path_of(self, key: str) -> Path:
        """The file holding ``key`` (it may not exist)."""
        return self.data_dir.joinpath(*check_key(key).split("/"))

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """The object, opened for reading. An upload replacing it meanwhile does not disturb this reader."""
        try:
            f = open(self.path_of(key), "rb")  # noqa: SIM115 (handed to the caller inside this context)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(f"no object [{key}]") from None
        with f:
            yield f

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
    ) -> bytes:
        """Store ``data`` under ``key`` atomically and durably; return its MD5.

        ``data`` is bytes or a binary stream, read in chunks (never all in memory). With ``length``, exactly that
        many bytes are read from the stream (:class:`IncompleteBody` if it ends early), so a socket can be
        passed. With ``md5``, the content must have that digest (:class:`DigestMismatch`). On any failure
        nothing is stored and the previous object, if any, stays.
        """
        check_key(key)
        fd, tmp_name = tempfile.mkstemp(dir=self._partial_dir, prefix="put-")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(data, length):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.digest()
            if md5 is not None and actual != md5:
                raise DigestMismatch(md5, actual)
            self._commit(key, tmp, actual)
            return actual
        finally:
            tmp.unlink(missing_ok=True)

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
            self._write_record(key, md5, st.st_size, st.st_mtime_ns)

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
