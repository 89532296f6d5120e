"""FlyteFile, FlyteDirectory and the storage protocol that moves their bytes."""

from __future__ import annotations

import os
import pathlib
from pathlib import Path

import pytest
from flyteidl.core import types_pb2

from flyteplane.types import FileAccess, FlyteDirectory, FlyteFile, PrefixFileAccess, TypeEngine

from .conftest import RecordingFileAccess


def test_a_flytefile_is_path_like(sample_file: Path) -> None:
    ff = FlyteFile(sample_file)
    assert isinstance(ff, os.PathLike)
    assert os.fspath(ff) == str(sample_file)
    assert ff.downloaded and ff.remote_source is None
    with open(ff) as fh:
        assert fh.read() == "hello"
    assert repr(ff) == f"FlyteFile({str(sample_file)!r})"
    assert ff == FlyteFile(str(sample_file))
    assert len({ff, FlyteFile(str(sample_file))}) == 1


def test_a_local_file_is_uploaded(sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(FlyteFile(sample_file), files=files)
    assert files.calls == [("put", str(sample_file), False)]
    uri = lit.scalar.blob.uri
    assert uri.startswith("file://") and uri.endswith("/data.txt")
    assert lit.scalar.blob.metadata.type == types_pb2.BlobType(format="", dimensionality=types_pb2.BlobType.SINGLE)
    assert Path(uri[len("file://") :]).read_text() == "hello"


@pytest.mark.parametrize("as_value", [str, pathlib.Path, FlyteFile], ids=["str", "Path", "FlyteFile"])
def test_str_and_path_are_accepted_for_a_file(as_value: type, sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(as_value(sample_file), FlyteFile, files=files)
    assert lit.scalar.blob.uri.startswith("file://")


def test_a_remote_uri_is_passed_through_without_file_access() -> None:
    lit = TypeEngine.to_literal(FlyteFile("s3://bucket/data.csv"))
    assert lit.scalar.blob.uri == "s3://bucket/data.csv"
    lit = TypeEngine.to_literal("gs://bucket/dir", FlyteDirectory)
    assert lit.scalar.blob.uri == "gs://bucket/dir"
    assert lit.scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART


def test_a_read_file_downloads_lazily(sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(sample_file, FlyteFile, files=files)
    files.calls.clear()
    ff = TypeEngine.to_python_value(lit, FlyteFile, files=files)
    assert ff.remote_source == lit.scalar.blob.uri
    assert ff.path == lit.scalar.blob.uri and not ff.downloaded
    assert files.calls == []  # nothing fetched yet
    assert repr(ff) == f"FlyteFile(remote_source={lit.scalar.blob.uri!r})"
    local = ff.download()
    assert files.calls == [("get", lit.scalar.blob.uri, False)]
    assert ff.downloaded and ff.path == local and Path(local).read_text() == "hello"
    with ff.open() as fh:
        assert fh.read() == "hello"
    assert os.fspath(ff) == local
    assert len(files.calls) == 1  # downloaded once


def test_a_read_file_converts_back_to_its_uri_without_uploading(sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(sample_file, FlyteFile, files=files)
    ff = TypeEngine.to_python_value(lit, FlyteFile, files=files)
    ff.download()
    files.calls.clear()
    assert TypeEngine.to_literal(ff, files=files) == lit
    assert files.calls == []


def test_file_uris_are_readable_without_file_access(sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(sample_file, FlyteFile, files=files)
    ff = TypeEngine.to_python_value(lit, FlyteFile)
    assert Path(ff).read_text() == "hello"


def test_a_plain_path_literal_is_used_in_place(sample_file: Path) -> None:
    # flytekit's local executions write plain paths into literals.
    lit = TypeEngine.to_literal("s3://x/y", FlyteFile)
    lit.scalar.blob.uri = str(sample_file)
    ff = TypeEngine.to_python_value(lit, FlyteFile)
    assert ff.download() == str(sample_file)


def test_a_declared_format_goes_into_the_literal(sample_file: Path, files: RecordingFileAccess) -> None:
    csv = FlyteFile["csv"]
    assert csv.extension() == "csv" and csv is FlyteFile["csv"]
    assert FlyteFile[""] is FlyteFile
    lit = TypeEngine.to_literal(sample_file, csv, files=files)
    assert lit.scalar.blob.metadata.type.format == "csv"
    back = TypeEngine.to_python_value(lit, csv, files=files)
    assert isinstance(back, csv)


def test_os_pathlike_is_a_file(sample_file: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(sample_file, os.PathLike, files=files)
    assert lit.scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.SINGLE
    assert type(TypeEngine.to_python_value(lit, os.PathLike, files=files)) is FlyteFile


def test_directories_round_trip(sample_dir: Path, files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(FlyteDirectory(sample_dir), files=files)
    assert files.calls == [("put", str(sample_dir), True)]
    fd = TypeEngine.to_python_value(lit, FlyteDirectory, files=files)
    assert isinstance(fd, os.PathLike) and not fd.downloaded
    root = Path(os.fspath(fd))
    assert (root / "sub" / "b.txt").read_text() == "b"
    assert fd.listdir() == ["a.txt", "sub"]
    assert files.calls[-1] == ("get", lit.scalar.blob.uri, True)


def test_a_list_of_files(tmp_path: Path, files: RecordingFileAccess) -> None:
    paths = []
    for i in range(3):
        p = tmp_path / f"f{i}.txt"
        p.write_text(str(i))
        paths.append(p)
    lit = TypeEngine.to_literal(paths, list[FlyteFile], files=files)
    back = TypeEngine.to_python_value(lit, list[FlyteFile], files=files)
    assert [Path(f).read_text() for f in back] == ["0", "1", "2"]


def test_prefix_file_access_is_a_file_access(tmp_path: Path, sample_file: Path, sample_dir: Path) -> None:
    store = PrefixFileAccess("file://" + str(tmp_path / "store"))
    assert isinstance(store, FileAccess)
    uri = store.put(str(sample_file), is_dir=False)
    target = tmp_path / "out" / "copy.txt"
    assert store.get(uri, str(target), is_dir=False) == str(target)
    assert target.read_text() == "hello"
    dir_uri = store.put(str(sample_dir), is_dir=True)
    local = store.get(dir_uri, None, is_dir=True)
    assert (Path(local) / "sub" / "b.txt").read_text() == "b"
    with pytest.raises(FileNotFoundError, match="is not a file"):
        store.get(uri + ".missing", None, is_dir=False)


def test_prefix_file_access_reaches_other_schemes_through_fsspec(tmp_path: Path, sample_file: Path) -> None:
    # fsspec's in-memory filesystem is real storage behind a non-file scheme.
    store = PrefixFileAccess("memory://flyteplane-test", str(tmp_path / "downloads"))
    uri = store.put(str(sample_file), is_dir=False)
    assert uri.startswith("memory://flyteplane-test/")
    lit = TypeEngine.to_literal(uri, FlyteFile)
    ff = TypeEngine.to_python_value(lit, FlyteFile, files=store)
    assert ff.open().read() == "hello"


def test_a_file_made_from_a_read_file_keeps_its_uri(sample_file: Path, files: RecordingFileAccess) -> None:
    ff = TypeEngine.to_python_value(TypeEngine.to_literal(sample_file, FlyteFile, files=files), FlyteFile, files=files)
    files.calls.clear()
    copy = FlyteFile(ff)
    assert copy.remote_source == ff.remote_source and files.calls == []
    assert copy.open().read() == "hello"
