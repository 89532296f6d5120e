"""The blob store's MD5 records: written with large objects, digested on demand for small ones, never stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flyteplane.admin.blobs import BlobStore


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def test_a_small_object_gets_its_digest_on_demand_and_an_overwrite_never_reads_a_stale_one(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    record = tmp_path / "blobs.meta" / "a" / "small.pb"
    assert blobs.put("a/small.pb", b"first") == _md5(b"first")
    assert not record.exists()  # no record written with a small object
    assert blobs.md5_of("a/small.pb") == _md5(b"first")
    assert record.exists()  # the read digested it and kept the digest
    # Same size, written within the same mtime tick as likely as not: the old record must not answer for it.
    blobs.put("a/small.pb", b"secnd")
    assert not record.exists()
    assert blobs.md5_of("a/small.pb") == _md5(b"secnd")


def test_a_large_object_is_recorded_as_it_is_written(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    data = b"x" * (512 * 1024)
    blobs.put("a/large.bin", data)
    assert (tmp_path / "blobs.meta" / "a" / "large.bin").is_file()
    info = blobs.info("a/large.bin")
    assert info is not None and info.md5 == _md5(data) and info.size == len(data)
