"""The REST gateway is another face of the RPCs: it reaches the managers only through ``rpc/dispatch`` (the same
routing and error mapping as the gRPC side), never a manager, the store or the wiring directly."""

from __future__ import annotations

import ast
from pathlib import Path

REST = Path(__file__).resolve().parents[3] / "src" / "flyteplane" / "admin" / "rest"


def test_the_gateway_reaches_the_managers_only_through_dispatch() -> None:
    forbidden = ("flyteplane.admin.managers", "flyteplane.admin.store", "flyteplane.admin.engine", "sqlalchemy")
    offenders = {}
    modules = sorted(REST.glob("*.py"))
    for path in modules:
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        bad = sorted(m for m in imported if m.startswith(forbidden))
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
    assert len(modules) >= 6  # the walk saw the package
