"""The package's layers (docs/architecture.md): checked with import-linter, and proven able to
fail by an import planted against the direction in a copy of the source; no import cycle."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from graphlib import CycleError
from graphlib import TopologicalSorter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "authdoctor"


LINT_IMPORTS = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(no_cache=True, no_logo=True))"
)


def _lint_imports(cwd: Path, source_parent: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts, finding `authdoctor` in source_parent."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(source_parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_contract_is_kept() -> None:
    result = _lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_import_against_the_direction_breaks_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "src" / "authdoctor"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    wire_module = copy / "wire" / "hosts.py"
    wire_module.write_text(wire_module.read_text() + "\nimport authdoctor.engine.settings\n")
    result = _lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "authdoctor.wire.hosts -> authdoctor.engine.settings" in result.stdout


def _imports_mitmproxy_ctx(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module.startswith("mitmproxy.ctx") or (module == "mitmproxy" and "ctx" in names):
                return True
        if isinstance(node, ast.Import) and any(a.name == "mitmproxy.ctx" for a in node.names):
            return True
    return False


def test_only_the_live_package_reaches_for_mitmproxy_ctx() -> None:
    users = {
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if _imports_mitmproxy_ctx(path)
    }
    assert users, "the addon reads its options from mitmproxy.ctx"
    assert all(user.startswith("live/") for user in users), users


def test_no_module_imports_itself_round_about() -> None:
    """No import cycle between modules, however long: a cycle hides a layer inside a layer."""
    graph = grimp.build_graph("authdoctor")
    dependencies = {
        module: graph.find_modules_directly_imported_by(module) for module in graph.modules
    }
    try:
        tuple(TopologicalSorter(dependencies).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {' imports '.join(reversed(e.args[1]))}") from None


FACES = (  # packages whose __init__ re-exports what other packages use
    "util", "wire", "keys", "profiles", "engine", "config", "redaction", "recordings", "report",
    "live",
)  # fmt: skip


def _imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_other_packages_import_through_the_faces() -> None:
    deep = []
    for path in SOURCE.rglob("*.py"):
        package = path.relative_to(SOURCE).parts[0]
        for module in _imported_modules(path):
            top, _, rest = module.removeprefix("authdoctor.").partition(".")
            if module.startswith("authdoctor.") and top in FACES and rest and top != package:
                deep.append(f"{path.relative_to(SOURCE)}: {module}")
    assert deep == []


def test_modules_inside_a_package_import_their_siblings_not_its_face() -> None:
    """A module importing its own package's __init__ would load half of it: an import cycle."""
    own_face = [
        str(path.relative_to(SOURCE))
        for package in FACES
        for path in (SOURCE / package).rglob("*.py")
        if path != SOURCE / package / "__init__.py"
        and f"authdoctor.{package}" in _imported_modules(path)
    ]
    assert own_face == []
