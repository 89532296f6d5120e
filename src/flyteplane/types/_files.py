"""Files and directories: :class:`FlyteFile`, :class:`FlyteDirectory`, and how their bytes move (:class:`FileAccess`).

A file is a ``Blob`` literal (dimensionality SINGLE, format = the file's declared extension, usually ``""``), a
directory a MULTIPART ``Blob``; the literal holds only the URI. Converting to a literal uploads a local path
through :meth:`FileAccess.put` and passes a remote URI (``scheme://...``) through untouched; converting back gives
a :class:`FlyteFile` / :class:`FlyteDirectory` that remembers the URI (``remote_source``) and downloads through
:meth:`FileAccess.get` only when its content is asked for (``download()``, ``os.fspath()``, ``open()``).

Inside a dataclass a file is ``{"path": uri}`` in the msgpack payload, as flytekit writes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from typing import IO, TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.errors import FlyteAssertion
from flyteplane.types._containers import struct_payload_or_none
from flyteplane.types._core import Context, TypeTransformer, article, literal_mismatch, mismatch

if TYPE_CHECKING:
    from flyteplane.configuration.data import DataConfig

__all__ = ["DIRECTORY", "FILE", "FileAccess", "FlyteDirectory", "FlyteFile", "PrefixFileAccess", "has_scheme"]


@runtime_checkable
class FileAccess(Protocol):
    """Moves file and directory bytes between this machine and remote storage."""

    def put(self, local_path: str, *, is_dir: bool) -> str:
        """Upload ``local_path`` (a file, or with ``is_dir`` a directory tree); return its remote URI."""
        ...

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        """Download ``uri`` to ``local_path`` (a fresh local path if ``None``); return the local path."""
        ...


def has_scheme(path: str) -> bool:
    """Whether ``path`` is a URI (``s3://...``, ``file:///...``) rather than a local path."""
    head, sep, _ = path.partition("://")
    return bool(sep) and head.isidentifier()


def file_uri_to_path(uri: str) -> str:
    """``file:///a/b`` (or ``file://localhost/a/b``) -> ``/a/b``; percent-escapes are decoded if needed."""
    rest = uri[len("file://") :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    if not os.path.exists(rest) and "%" in rest:
        from urllib.parse import unquote

        rest = unquote(rest)
    return rest


class PrefixFileAccess:
    """A :class:`FileAccess` that stores uploads under a URI prefix.

    ``file://`` prefixes and plain local directories are handled here (copies on this machine); any other scheme
    (``s3://``, ``gs://``, ...) goes through ``fsspec``, which must then be installed. Uploads land at
    ``<prefix>/<random>/<name>``; downloads go to ``local_dir`` (a fresh temporary directory by default).

    This is what a task process uses with its raw-output prefix; FlyteRemote uses the data proxy instead.
    """

    def __init__(self, prefix: str, local_dir: str | None = None, data_config: DataConfig | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self._local_dir = local_dir
        self._data_config = data_config  # None: DataConfig.auto() (FLYTE_AWS_*, the config file), when needed

    @property
    def local_dir(self) -> str:
        """Where downloads without an explicit destination go."""
        if self._local_dir is None:
            self._local_dir = tempfile.mkdtemp(prefix="flyteplane-")
        return self._local_dir

    def put(self, local_path: str, *, is_dir: bool) -> str:
        name = os.path.basename(os.path.normpath(local_path))
        uri = f"{self.prefix}/{uuid.uuid4().hex}" if is_dir else f"{self.prefix}/{uuid.uuid4().hex}/{name}"
        if _is_local(uri):
            _copy(local_path, _local_of(uri), is_dir=is_dir)
        else:
            fs = _fsspec_for(uri, self._data_config)
            fs.put(local_path, uri, recursive=is_dir)
        return uri

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        if local_path is None:
            name = os.path.basename(uri.rstrip("/")) or "data"
            local_path = os.path.join(self.local_dir, uuid.uuid4().hex, name)
        if _is_local(uri):
            source = _local_of(uri)
            if not (os.path.isdir(source) if is_dir else os.path.isfile(source)):
                raise FileNotFoundError(f"{uri} is not a {'directory' if is_dir else 'file'}")
            _copy(source, local_path, is_dir=is_dir)
        else:
            fs = _fsspec_for(uri, self._data_config)
            os.makedirs(os.path.dirname(local_path) or ".", exist_ok=True)
            fs.get(uri, local_path, recursive=is_dir)
        return local_path


def _is_local(uri: str) -> bool:
    return uri.startswith("file://") or not has_scheme(uri)


def _local_of(uri: str) -> str:
    return file_uri_to_path(uri) if uri.startswith("file://") else uri


def local_path_of(uri: str) -> str | None:
    """The local path a ``file://`` URL or a plain path names; None for any other scheme (``s3://``, ...)."""
    return _local_of(uri) if _is_local(uri) else None


def _copy(source: str, dest: str, *, is_dir: bool) -> None:
    if is_dir:
        shutil.copytree(source, dest, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        shutil.copyfile(source, dest)


def _fsspec_for(uri: str, data_config: DataConfig | None = None) -> Any:
    try:
        import fsspec
    except ImportError:
        scheme = uri.partition("://")[0]
        raise FlyteAssertion(f"cannot reach {uri}: {scheme}:// storage needs fsspec (pip install fsspec)") from None
    from flyteplane.configuration.data import fsspec_storage_options

    protocol = uri.partition("://")[0]
    return fsspec.filesystem(protocol, **fsspec_storage_options(protocol, data_config))


class _Blob(os.PathLike):  # type: ignore[type-arg]
    """What FlyteFile and FlyteDirectory share: a local path or a remote URI, downloaded lazily."""

    _is_dir: ClassVar[bool] = False
    _format: ClassVar[str] = ""
    _kind: ClassVar[str] = "file"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if isinstance(path, _Blob):
            # A copy of another value: keep its URI rather than downloading it through os.fspath().
            self.path: str = path.path
            self._remote_source: str | None = path._remote_source
            self._files: FileAccess | None = path._files
            self._downloaded: str | None = path._downloaded
            return
        #: A local path, or the remote URI until the content is downloaded (then the local copy).
        self.path = os.fspath(path)
        self._remote_source = None
        self._files = None
        self._downloaded = None

    @classmethod
    def from_uri(cls, uri: str, files: FileAccess | None = None) -> Any:
        """The value for a literal's URI: remembers it and downloads through ``files`` when asked."""
        obj = cls(uri)
        obj._remote_source = uri
        obj._files = files
        return obj

    @classmethod
    def extension(cls) -> str:
        """The declared format (``FlyteFile["csv"].extension() == "csv"``); ``""`` when not declared."""
        return cls._format

    @property
    def remote_source(self) -> str | None:
        """The URI this value was read from (``None`` for a value made from a local path)."""
        return self._remote_source

    @property
    def downloaded(self) -> bool:
        """Whether the content is on this machine (always true for a local path)."""
        return self._remote_source is None or self._downloaded is not None

    def download(self) -> str:
        """Fetch the content if it is remote; return the local path."""
        if self._downloaded is not None:
            return self._downloaded
        uri = self._remote_source
        if uri is None:
            return self.path
        if not has_scheme(uri):
            local = uri
        elif self._files is not None:
            local = self._files.get(uri, None, is_dir=self._is_dir)
        elif uri.startswith("file://"):
            local = file_uri_to_path(uri)
        else:
            raise FlyteAssertion(
                f"cannot download {uri}: this {type(self).__name__} was read without file access (pass files=...)"
            )
        self._downloaded = local
        self.path = local
        return local

    def __fspath__(self) -> str:
        return self.download()

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        if self._remote_source is not None:
            return f"{type(self).__name__}(remote_source={self._remote_source!r})"
        return f"{type(self).__name__}({self.path!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Blob) or other._is_dir != self._is_dir:
            return NotImplemented
        return (self._remote_source or self.path) == (other._remote_source or other.path)

    def __hash__(self) -> int:
        return hash((self._is_dir, self._remote_source or self.path))


class FlyteFile(_Blob):
    """A file in a Flyte literal: ``FlyteFile("/local/data.csv")`` or ``FlyteFile("s3://bucket/data.csv")``.

    It is ``os.PathLike``: ``open(ff)`` and ``os.fspath(ff)`` download a remote file first. ``FlyteFile["csv"]``
    declares a format (the literal type's ``blob.format``), as in flytekit.
    """

    _formats: ClassVar[dict[str, type[FlyteFile]]] = {}

    def __class_getitem__(cls, fmt: Any) -> type[FlyteFile]:
        fmt = fmt if isinstance(fmt, str) else ""
        if not fmt:
            return FlyteFile
        sub = FlyteFile._formats.get(fmt)
        if sub is None:
            sub = type(f"FlyteFile[{fmt}]", (FlyteFile,), {"_format": fmt, "__module__": __name__})
            FlyteFile._formats[fmt] = sub
        return sub

    def open(self, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open the (downloaded) file."""
        return open(self.download(), mode, **kwargs)


class FlyteDirectory(_Blob):
    """A directory in a Flyte literal (a MULTIPART blob); ``os.fspath()`` downloads a remote one first."""

    _is_dir = True
    _kind = "directory"
    _formats: ClassVar[dict[str, type[FlyteDirectory]]] = {}

    def __class_getitem__(cls, fmt: Any) -> type[FlyteDirectory]:
        fmt = fmt if isinstance(fmt, str) else ""
        if not fmt:
            return FlyteDirectory
        sub = FlyteDirectory._formats.get(fmt)
        if sub is None:
            sub = type(f"FlyteDirectory[{fmt}]", (FlyteDirectory,), {"_format": fmt, "__module__": __name__})
            FlyteDirectory._formats[fmt] = sub
        return sub

    def listdir(self) -> list[str]:
        """The names in the (downloaded) directory."""
        return sorted(os.listdir(self.download()))


class _BlobTransformer(TypeTransformer):
    """Shared by files and directories; ``cls`` is FlyteFile or FlyteDirectory."""

    cls: ClassVar[type[_Blob]]
    dimensionality: ClassVar[int]

    def _value_class(self, t: Any) -> type[_Blob]:
        return t if isinstance(t, type) and issubclass(t, self.cls) else self.cls

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        fmt = self._value_class(t).extension()
        return types_pb2.LiteralType(blob=types_pb2.BlobType(format=fmt, dimensionality=self.dimensionality))  # type: ignore[arg-type]

    def _local_ok(self, path: str) -> bool:
        return os.path.isdir(path) if self.cls._is_dir else os.path.isfile(path)

    def check(self, value: Any, t: Any) -> None:
        other = FlyteDirectory if self.cls is FlyteFile else FlyteFile
        if isinstance(value, other) or not isinstance(value, (str, os.PathLike)):
            raise mismatch(t, value)
        if isinstance(value, _Blob) and value.remote_source is not None:
            return
        path = value.path if isinstance(value, _Blob) else os.fspath(value)
        if not has_scheme(path) and not self._local_ok(path):
            raise mismatch(t, value, f"{path} is not {article(self.cls._kind)}")

    def is_exact(self, value: Any, t: Any) -> bool:
        return isinstance(value, self.cls)

    def _uri(self, value: Any, t: Any, ctx: Context) -> str:
        self.check(value, t)
        if isinstance(value, _Blob) and value.remote_source is not None:
            return value.remote_source
        path = value.path if isinstance(value, _Blob) else os.fspath(value)
        if has_scheme(path):
            return path
        files = ctx.require_files(f"uploading the local {self.cls._kind} {path}")
        return files.put(os.path.abspath(path), is_dir=self.cls._is_dir)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        uri = self._uri(value, t, ctx)
        lit = literals_pb2.Literal()
        lit.scalar.blob.uri = uri
        lit.scalar.blob.metadata.type.CopyFrom(self.literal_type(t).blob)
        return lit

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        if lit.HasField("scalar") and lit.scalar.HasField("blob"):
            blob = lit.scalar.blob
            if blob.metadata.type.dimensionality != self.dimensionality or blob.metadata.type.format == "PythonPickle":
                raise literal_mismatch(t, lit)
            return self._value_class(t).from_uri(blob.uri, ctx.files)
        payload = struct_payload_or_none(lit)
        if payload is not None:
            return self.from_builtin(payload, t, ctx)
        raise literal_mismatch(t, lit)

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        return {"path": self._uri(value, t, ctx)}

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        path = obj.get("path") if isinstance(obj, dict) else obj
        if not isinstance(path, str) or not path:
            raise mismatch(t, obj, 'expected {"path": <uri>}')
        return self._value_class(t).from_uri(path, ctx.files)


class _FileTransformer(_BlobTransformer):
    name = "FlyteFilePath"
    cls = FlyteFile
    dimensionality = types_pb2.BlobType.SINGLE


class _DirectoryTransformer(_BlobTransformer):
    name = "FlyteDirectory"
    cls = FlyteDirectory
    dimensionality = types_pb2.BlobType.MULTIPART


FILE = _FileTransformer()
DIRECTORY = _DirectoryTransformer()
