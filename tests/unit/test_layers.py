"""Imports point one way: console → web → appliance → {sip, models}. Read from the source with `ast`, not by
importing, so a lazy import inside a function or under TYPE_CHECKING counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each package and the top-level packages it must never import.
FORBIDDEN = {
    "appliance": {"web", "receptionist"},
    "web": {"receptionist", "sip", "models"},
    "sip": {"appliance", "web", "receptionist", "models"},
    "models": {"appliance", "web", "receptionist", "sip"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages one source file imports (relative imports stay in their own package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def crossings(package: str) -> list[str]:
    """Every forbidden import in a package, as 'file imports package'."""
    return [f"{path.relative_to(ROOT)} imports {name}"
            for path in sorted((ROOT / package).rglob("*.py"))
            for name in sorted(imported_packages(path) & FORBIDDEN[package])]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    assert list((ROOT / package).rglob("*.py")), f"{package}/ has no source files"
    assert crossings(package) == []


def test_the_check_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import web.app\n"
                      "def f():\n    from receptionist import cli\n    from . import sibling\n")
    assert imported_packages(source) == {"typing", "web", "receptionist"}


def test_no_test_tools_ship_in_the_product() -> None:
    assert not (ROOT / "sip" / "caller.py").exists()


def sql_reach(path: Path) -> list[str]:
    """Ways one file outside the storage package reaches into the database: SQLite modules, the schema, or a
    store's raw connection and statement runners."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules = {"sqlite3", "sqlite_utils", "appliance.storage.schema"}
    found = [f"imports {name}" for name in sorted(_module_names(tree) & modules)]
    found += sorted(f"uses .{node.attr}" for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr in {"db", "rows", "purge", "write"}
              and isinstance(node.value, ast.Name | ast.Attribute) and "store" in ast.unparse(node.value))
    return found


def _module_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_storage_package_touches_the_database() -> None:
    storage = ROOT / "appliance" / "storage"
    outside = [p for package in ("appliance", "web", "receptionist") for p in sorted((ROOT / package).rglob("*.py"))
               if storage not in p.parents]
    assert [f"{p.relative_to(ROOT)} {why}" for p in outside for why in sql_reach(p)] == []


def test_the_sql_check_sees_a_raw_store_write(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("import sqlite3\ndef f(store):\n    store.db.execute('DELETE FROM calls')\n"
                      "    self.store.write([])\n")
    assert sql_reach(source) == ["imports sqlite3", "uses .db", "uses .write"]
