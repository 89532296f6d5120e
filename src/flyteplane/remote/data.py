"""Moving bytes to and from a Flyte deployment's blob storage through Flyte Admin's data proxy.

Flyte Admin hands out signed URLs (``CreateUploadLocation`` / ``CreateDownloadLocation``); the bytes then go over
plain HTTP(S) to the storage behind them, so the client needs no storage credentials. :class:`DataProxyFiles` is
the :class:`~flyteplane.types.FileAccess` FlyteRemote gives the type engine: local files and directories become
remote URIs on the way in, remote URIs become local files on the way out.

Two things the data proxy cannot do, and what happens instead:

* list a directory: a remote *directory* is downloaded from a ``file://`` URL that is on this machine (the embedded
  admin's blob store) or else through ``fsspec`` with the storage's own credentials;
* anything but single objects: a directory upload is one signed URL per file, all under one ``filename_root``, and
  the directory's URI is their common prefix.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flyteplane.errors import FlyteAssertion, FlyteUserException
from flyteplane.remote._progress import TransferProgress

if TYPE_CHECKING:
    from flyteplane.clients.friendly import SynchronousFlyteClient
    from flyteplane.configuration import DataConfig, PlatformConfig

__all__ = ["DataProxyFiles", "FlyteUploadError", "md5_of_file"]

_CHUNK = 1 << 20


class FlyteUploadError(FlyteUserException):
    """The storage behind a signed URL refused a transfer (the HTTP status and body are in the message)."""


def md5_of_file(path: str | os.PathLike[str]) -> bytes:
    """The MD5 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()


class _Body:
    """A file as an HTTP request body that reports progress as urllib reads it."""

    def __init__(self, f: IO[bytes], progress: TransferProgress) -> None:
        self._f = f
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(_CHUNK if size is None or size < 0 else size)
        self._progress.advance(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.read(_CHUNK), b"")


class DataProxyFiles:
    """Uploads and downloads through a Flyte Admin's data proxy (a :class:`~flyteplane.types.FileAccess`).

    Args:
        client: returns the connected client (FlyteRemote builds its client lazily).
        project, domain: where uploads are stored (the data proxy files them under both).
        platform: TLS settings for HTTPS signed URLs (``insecure_skip_verify``, ``ca_cert_file_path``).
        scratch_dir: where downloads land when no local path is given; created on first use.
        show_progress: None draws a progress bar in terminals for transfers of 4 MiB or more.
        data_config: the storage settings directories are read with (they cannot go through the data proxy);
            None: ``DataConfig.auto()``.
    """

    def __init__(
        self,
        client: Callable[[], SynchronousFlyteClient],
        project: str,
        domain: str,
        platform: PlatformConfig | None = None,
        scratch_dir: str | None = None,
        show_progress: bool | None = None,
        data_config: DataConfig | None = None,
    ) -> None:
        self._data_config = data_config
        self._client = client
        self.project = project
        self.domain = domain
        self._platform = platform
        self._scratch_dir = scratch_dir
        self.show_progress = show_progress

    # -- FileAccess -------------------------------------------------------------------------------------------
    def put(self, local_path: str, *, is_dir: bool) -> str:
        """Upload a local file or directory; returns its remote URI."""
        path = Path(local_path)
        if is_dir:
            return self.upload_directory(path)
        return self.upload_file(path)[1]

    def get(self, uri: str, local_path: str | None = None, *, is_dir: bool) -> str:
        """Download a remote file or directory to ``local_path`` (a fresh scratch path if None); returns the path."""
        target = Path(local_path) if local_path is not None else self._new_local_path(uri)
        if is_dir:
            self._get_directory(uri, target)
        else:
            self.download_file(uri, target)
        return str(target)

    # -- uploads ----------------------------------------------------------------------------------------------
    def upload_file(
        self,
        to_upload: Path,
        project: str | None = None,
        domain: str | None = None,
        filename_root: str | None = None,
        filename: str | None = None,
    ) -> tuple[bytes, str]:
        """Upload one file; returns ``(md5 digest, native URL)``, as flytekit's ``FlyteRemote.upload_file``."""
        to_upload = Path(to_upload)
        if not to_upload.is_file():
            raise FlyteAssertion(f"cannot upload [{to_upload}]: it is not a file")
        md5 = md5_of_file(to_upload)
        location = self._client().get_upload_signed_url(
            project or self.project,
            domain or self.domain,
            content_md5=md5,
            filename=filename or to_upload.name,
            filename_root=filename_root,
        )
        size = to_upload.stat().st_size
        headers = {"Content-Length": str(size), "Content-MD5": base64.b64encode(md5).decode()}
        headers.update(dict(location.headers))
        if location.native_url.startswith("abfs"):
            headers["x-ms-blob-type"] = "BlockBlob"  # Azure refuses a PUT without it
        progress = TransferProgress(f"uploading {to_upload.name}", size, self.show_progress)
        try:
            with open(to_upload, "rb") as f:
                self._send("PUT", location.signed_url, _Body(f, progress), headers, (200, 201))
        finally:
            progress.close()
        return md5, str(location.native_url)

    def upload_directory(self, directory: Path) -> str:
        """Upload every file under ``directory``, keeping relative paths; returns the directory's URI."""
        directory = Path(directory)
        if not directory.is_dir():
            raise FlyteAssertion(f"cannot upload [{directory}]: it is not a directory")
        files = sorted(p for p in directory.rglob("*") if p.is_file())
        if not files:
            raise FlyteAssertion(f"cannot upload [{directory}]: the directory is empty (storage has no empty folders)")
        # One root per upload: two uploads of different directories never mix their files.
        root = uuid.uuid4().hex
        native = ""
        relative = ""
        for path in files:
            relative = path.relative_to(directory).as_posix()
            _, native = self.upload_file(path, filename_root=root, filename=relative)
        return native[: len(native) - len(relative)].rstrip("/")

    # -- downloads --------------------------------------------------------------------------------------------
    def download_file(self, uri: str, target: Path) -> Path:
        """Download one object to ``target`` (through a signed URL, or a local copy for a local ``file://`` URL)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        local = _local_path(uri)
        if local is not None and local.is_file():
            shutil.copyfile(local, target)
            return target
        if uri.startswith(("http://", "https://")):
            url = uri
        else:
            url = str(self._client().get_download_signed_url(uri).signed_url)
        partial = target.with_name(target.name + ".part")
        try:
            with self._open(url) as response, open(partial, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0)
                progress = TransferProgress(f"downloading {target.name}", total, self.show_progress)
                try:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        progress.advance(len(chunk))
                finally:
                    progress.close()
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def _get_directory(self, uri: str, target: Path) -> None:
        from flyteplane.types import PrefixFileAccess

        try:
            # A local directory is copied; anything else needs fsspec and the storage's own credentials.
            PrefixFileAccess("", data_config=self._data_config).get(uri, str(target), is_dir=True)
        except FlyteAssertion as e:
            raise FlyteAssertion(
                f"cannot download the directory [{uri}]: Flyte Admin's data proxy serves single files only, so "
                f"directories are read with the storage's own client ({e}); configure its credentials too"
            ) from None

    def _new_local_path(self, uri: str) -> Path:
        if self._scratch_dir is None:
            self._scratch_dir = tempfile.mkdtemp(prefix="flyteplane-data-")
        name = Path(urllib.parse.urlparse(uri).path.rstrip("/")).name or "data"
        return Path(self._scratch_dir) / uuid.uuid4().hex[:12] / name

    # -- HTTP -------------------------------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext | None:
        platform = self._platform
        if platform is None:
            return None
        if platform.insecure_skip_verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if platform.ca_cert_file_path:
            return ssl.create_default_context(cafile=platform.ca_cert_file_path)
        return None

    def _open(self, url: str) -> Any:
        try:
            return urllib.request.urlopen(url, context=self._ssl_context())
        except urllib.error.HTTPError as e:
            raise FlyteUploadError(f"GET {_redact(url)} failed: HTTP {e.code} {_body(e)}") from e
        except urllib.error.URLError as e:
            raise FlyteUploadError(f"GET {_redact(url)} failed: {e.reason}") from e

    def _send(self, method: str, url: str, body: Any, headers: dict[str, str], ok: tuple[int, ...]) -> None:
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, context=self._ssl_context()) as response:
                status = response.status
        except urllib.error.HTTPError as e:
            raise FlyteUploadError(f"{method} {_redact(url)} failed: HTTP {e.code} {_body(e)}") from e
        except urllib.error.URLError as e:
            raise FlyteUploadError(f"{method} {_redact(url)} failed: {e.reason}") from e
        if status not in ok:
            raise FlyteUploadError(f"{method} {_redact(url)} answered HTTP {status}, expected {ok}")


def _local_path(uri: str) -> Path | None:
    from flyteplane.types._files import local_path_of

    local = local_path_of(uri)
    return None if local is None else Path(local)


def _redact(url: str) -> str:
    # A signed URL's query is a bearer credential: keep it out of error messages and logs.
    return url.split("?", 1)[0]


def _body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(2000).decode(errors="replace").strip()
    except Exception:
        return ""
