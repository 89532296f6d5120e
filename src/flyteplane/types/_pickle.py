"""``typing.Any``: the value is pickled (cloudpickle) into a file, as flytekit's ``FlytePickle`` does.

The literal type is a SINGLE blob with format ``"PythonPickle"`` and metadata ``{"python_class_name": ...}``; the
literal is that blob, uploaded through :class:`FileAccess`. flytekit silently pickles every type it does not know;
flyteplane refuses unknown types and pickles only what is hinted ``Any`` (explicit is better: a pickle can only be
read by the same Python and library versions).

Reading as ``Any`` unpickles a pickle blob and reads any other literal without a type.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from flyteplane.types._containers import check_plain
from flyteplane.types._core import Context, TypeTransformer, decode_untyped, mismatch

__all__ = ["PICKLE", "PICKLE_FORMAT"]

PICKLE_FORMAT = "PythonPickle"


class _Pickle(TypeTransformer):
    name = "FlytePickle"

    def literal_type(self, t: Any) -> types_pb2.LiteralType:
        lt = types_pb2.LiteralType(
            blob=types_pb2.BlobType(format=PICKLE_FORMAT, dimensionality=types_pb2.BlobType.SINGLE)
        )
        lt.metadata.update({"python_class_name": str(t)})
        return lt

    def check(self, value: Any, t: Any) -> None:
        if value is None:
            raise mismatch("a value to pickle", value, "None cannot be pickled into a Flyte literal")

    def is_exact(self, value: Any, t: Any) -> bool:
        return False

    def to_literal(
        self, value: Any, t: Any, expected: types_pb2.LiteralType | None, ctx: Context
    ) -> literals_pb2.Literal:
        self.check(value, t)
        import cloudpickle

        data = cloudpickle.dumps(value)
        files = ctx.require_files(f"pickling a {type(value).__name__}")
        tmp = tempfile.mkdtemp(prefix="flyteplane-pickle-")
        try:
            path = os.path.join(tmp, hashlib.md5(data).hexdigest())  # flytekit names the file by its md5
            with open(path, "wb") as fh:
                fh.write(data)
            uri = files.put(path, is_dir=False)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        lit = literals_pb2.Literal()
        lit.scalar.blob.uri = uri
        lit.scalar.blob.metadata.type.format = PICKLE_FORMAT
        lit.scalar.blob.metadata.type.dimensionality = types_pb2.BlobType.SINGLE
        return lit

    def to_python(self, lit: literals_pb2.Literal, t: Any, ctx: Context) -> Any:
        if not (
            lit.HasField("scalar")
            and lit.scalar.HasField("blob")
            and lit.scalar.blob.metadata.type.format == PICKLE_FORMAT
        ):
            return decode_untyped(lit, ctx)
        from flyteplane.types._files import FlyteFile

        local = FlyteFile.from_uri(lit.scalar.blob.uri, ctx.files).download()
        with open(local, "rb") as fh:
            return pickle.load(fh)  # cloudpickle writes standard pickles

    def to_builtin(self, value: Any, t: Any, ctx: Context) -> Any:
        # Inside a struct, Any is carried as is (mashumaro's behaviour): it must be plain data.
        check_plain(value)
        return value

    def from_builtin(self, obj: Any, t: Any, ctx: Context) -> Any:
        return obj


PICKLE = _Pickle()
