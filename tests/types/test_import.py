"""Importing the type engine is cheap, and converting simple values stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["grpc", "pandas", "pyarrow", "pydantic", "msgpack", "cloudpickle", "fsspec", "flytekit"]


def _loaded_after(code: str) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return list(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_package_loads_nothing_heavy() -> None:
    assert _loaded_after("import flyteplane.types") == []
    # Not even the protobuf runtime: every name is loaded on first use.
    assert _loaded_after("import flyteplane.types; assert 'google.protobuf' not in sys.modules") == []


def test_converting_simple_inputs_loads_nothing_heavy() -> None:
    code = """
from flyteplane.types import TypeEngine, LiteralsResolver
variables = {k: TypeEngine.to_literal_type(t) for k, t in {"i": int, "s": str, "f": float, "l": list[int]}.items()}
lm = TypeEngine.python_to_literal_map({"i": 1, "s": "x", "f": 1.5, "l": [1]}, variables)
assert TypeEngine.literal_map_to_python(lm, literal_types=variables) == {"i": 1, "s": "x", "f": 1.5, "l": [1]}
assert dict(LiteralsResolver(lm, variables)) == {"i": 1, "s": "x", "f": 1.5, "l": [1]}
"""
    assert _loaded_after(code) == []


def test_structs_load_msgpack_only_when_used() -> None:
    code = """
from flyteplane.types import TypeEngine
TypeEngine.to_literal({"a": 1})
"""
    assert _loaded_after(code) == ["msgpack"]
