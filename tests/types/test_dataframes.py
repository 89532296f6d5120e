"""pandas and pyarrow frames as structured datasets (parquet directories)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Optional

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from flyteidl.core import literals_pb2

from flyteplane.types import TypeEngine

from .conftest import RecordingFileAccess


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n": [1, 2, 3],
            "s": ["a", "b", None],
            "t": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"], utc=True),
        }
    )


def test_a_dataframe_is_a_parquet_file_named_00000(files: RecordingFileAccess) -> None:
    lit = TypeEngine.to_literal(_frame(), files=files)
    sd = lit.scalar.structured_dataset
    assert sd.metadata.structured_dataset_type.format == "parquet"
    assert files.calls[0][0] == "put" and files.calls[0][2] is True
    directory = sd.uri[len("file://") :]
    assert os.listdir(directory) == ["00000"]
    assert pq.read_table(os.path.join(directory, "00000")).num_rows == 3


def test_pandas_and_arrow_round_trip(files: RecordingFileAccess) -> None:
    frame = _frame()
    lit = TypeEngine.to_literal(frame, pd.DataFrame, files=files)
    assert TypeEngine.to_python_value(lit, pd.DataFrame, files=files).equals(frame)
    assert files.calls[-1] == ("get", lit.scalar.structured_dataset.uri + "/00000", False)
    table = TypeEngine.to_python_value(lit, pa.Table, files=files)
    assert table.column_names[:3] == ["n", "s", "t"] and table.num_rows == 3
    lit = TypeEngine.to_literal(table, files=files)
    assert TypeEngine.to_python_value(lit, pa.Table, files=files).equals(table)


def test_a_dataframe_in_a_union(files: RecordingFileAccess) -> None:
    frame = _frame()
    lit = TypeEngine.to_literal(frame, Optional[pd.DataFrame], files=files)
    assert lit.scalar.union.type.structure.tag == "StructuredDataset Transformer"
    assert TypeEngine.to_python_value(lit, Optional[pd.DataFrame], files=files).equals(frame)


def test_a_dataset_in_several_files_is_read_as_a_directory(tmp_path: Path, files: RecordingFileAccess) -> None:
    # Writers other than flytekit split datasets; then <uri>/00000 does not exist and the directory is fetched.
    store = tmp_path / "elsewhere" / "dataset"
    store.mkdir(parents=True)
    pq.write_table(pa.table({"n": [1, 2]}), store / "part-0.parquet")
    pq.write_table(pa.table({"n": [3]}), store / "part-1.parquet")
    lit = literals_pb2.Literal()
    lit.scalar.structured_dataset.uri = "file://" + str(store)
    lit.scalar.structured_dataset.metadata.structured_dataset_type.format = "parquet"
    frame = TypeEngine.to_python_value(lit, pd.DataFrame, files=files)
    assert sorted(frame["n"].tolist()) == [1, 2, 3]
    assert [c[0] for c in files.calls] == ["get", "get"]
    assert files.calls[-1][2] is True


def test_a_plain_path_dataset_is_read_in_place(tmp_path: Path) -> None:
    store = tmp_path / "dataset"
    store.mkdir()
    pq.write_table(pa.table({"d": [datetime.date(2020, 1, 1)]}), store / "00000")
    lit = literals_pb2.Literal()
    lit.scalar.structured_dataset.uri = str(store)
    assert TypeEngine.to_python_value(lit, pa.Table).num_rows == 1
