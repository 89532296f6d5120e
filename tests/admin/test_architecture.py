"""The admin's layering, checked: SQL lives in ``admin/store`` only, the engine reaches the rest of the admin
through its port (never a manager or the store), and the domain rules depend on no other layer."""

from __future__ import annotations

import ast
from pathlib import Path

ADMIN = Path(__file__).resolve().parents[2] / "src" / "flyteplane" / "admin"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ADMIN / package).rglob("*.py"))


def test_no_sql_outside_the_store() -> None:
    # The rule names managers/ and engine/; the whole admin keeps it (auth, domain, rpc, the server).
    offenders = {
        str(path.relative_to(ADMIN)): sorted(m for m in _imports(path) if m.split(".")[0] == "sqlalchemy")
        for path in sorted(ADMIN.rglob("*.py"))
        if path.parent.name != "store"
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert any(path.parent.name == "managers" for path in ADMIN.rglob("*.py"))  # the walk saw the managers


def test_the_engine_reaches_the_admin_only_through_its_port() -> None:
    forbidden = ("flyteplane.admin.managers", "flyteplane.admin.store", "flyteplane.admin.wiring")
    offenders = {
        str(path.relative_to(ADMIN)): sorted(m for m in _imports(path) if m.startswith(forbidden))
        for path in _modules("engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_domain_rules_stand_alone() -> None:
    # Phases, validation, names, cron: pure functions over messages, usable from the store, managers and engine.
    forbidden = (
        "flyteplane.admin.store",
        "flyteplane.admin.managers",
        "flyteplane.admin.engine",
        "flyteplane.admin.wiring",
        "flyteplane.admin.config",
    )
    offenders = {
        str(path.relative_to(ADMIN)): sorted(m for m in _imports(path) if m.startswith(forbidden))
        for path in _modules("domain")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_import() -> None:
    # The check reads real import statements: a module that imports SQLAlchemy is caught.
    assert "sqlalchemy" in _imports(ADMIN / "store" / "db.py")
