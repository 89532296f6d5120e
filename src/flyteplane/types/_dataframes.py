"""``pandas.DataFrame`` and ``pyarrow.Table`` as structured datasets, the way flytekit 1.16 writes them.

The literal type is an empty ``structured_dataset_type`` (flytekit declares no format or columns for a bare
DataFrame); the literal is a ``StructuredDataset`` whose URI is a directory holding one parquet file named
``00000`` and whose metadata says ``format: "parquet"``. Reading fetches ``<uri>/00000`` first and falls back to
the whole directory (other writers may split a dataset into several files).

pandas and pyarrow are the ``flyteplane[dataframe]`` extra; they are imported only when a dataframe is converted.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import uuid
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._core import Context, TypeTransformer, literal_mismatch, mismatch
from flyteplane.types._files import file_uri_to_path, has_scheme
from flyteplane.types.errors import TypeTransformerFailedError

__all__ = ["STRUCTURED_DATASET", "default_frame_type"]

PARQUET = "parquet"
_PART = "00000"  # flytekit's name for the single parquet file it writes


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TypeTransformerFailedError(
            f"dataframes need {module.split('.')[0]}: pip install 'flyteplane[dataframe]'"
        ) from None


def default_frame_type() -> type:
    """What a structured dataset is read as without a type: a pandas DataFrame, or a pyarrow Table without pandas."""
    if importlib.util.find_spec("pandas") is not None:
        return _require("pandas").DataFrame  # type: ignore[no-any-return]
    return _require("pyarrow").Table  # type: ignore[no-any-return]


def _is_pandas(t: Any) -> bool:
    return getattr(t, "__module__", "").startswith("pandas")


class _StructuredDataset(TypeTransformer):
    name = "StructuredDataset Transformer"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        lt = types_pb2.LiteralType()
        lt.structured_dataset_type.SetInParent()
        return lt

    def check(self, value: Any, t: Any) -> None:
        if not isinstance(value, t):
            raise mismatch(t, value)

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        self.check(value, t)
        files = ctx.require_files(f"uploading a {type(value).__name__}")
        tmp = tempfile.mkdtemp(prefix="flyteplane-df-")
        try:
            directory = os.path.join(tmp, uuid.uuid4().hex)
            os.makedirs(directory)
            path = os.path.join(directory, _PART)
            if _is_pandas(type(value)):
                _require("pyarrow")
                value.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=False)
            else:
                _require("pyarrow.parquet").write_table(value, path)
            uri = files.put(directory, is_dir=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        lit = literals_pb2.Literal()
        sd = lit.scalar.structured_dataset
        sd.uri = uri
        sd.metadata.structured_dataset_type.format = PARQUET
        return lit

    def _local_path(self, uri: str, ctx: Context) -> str:
        if not has_scheme(uri):
            return uri
        if ctx.files is None:
            if uri.startswith("file://"):
                return file_uri_to_path(uri)
            ctx.require_files(f"reading the dataframe at {uri}")
        files = ctx.require_files(f"reading the dataframe at {uri}")
        try:
            return files.get(uri.rstrip("/") + "/" + _PART, None, is_dir=False)
        except Exception:
            # Not flytekit's single-file layout: fetch the whole directory and let parquet read every file.
            return files.get(uri, None, is_dir=True)

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        if not (lit.HasField("scalar") and lit.scalar.HasField("structured_dataset")):
            raise literal_mismatch(t, lit)
        sd = lit.scalar.structured_dataset
        fmt = sd.metadata.structured_dataset_type.format
        if fmt not in ("", PARQUET):
            raise TypeTransformerFailedError(f"cannot read a {fmt!r} structured dataset ({sd.uri}): only parquet")
        path = self._local_path(sd.uri, ctx)
        if _is_pandas(t):
            _require("pyarrow")
            return _require("pandas").read_parquet(path)
        return _require("pyarrow.parquet").read_table(path)


STRUCTURED_DATASET = _StructuredDataset()
