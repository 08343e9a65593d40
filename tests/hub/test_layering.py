"""The package layering: ``hub`` is the core, ``dvchub`` the application shell around it.

* no module of ``hub`` imports ``connectors``, ``signing`` or ``dvchub``;
* no production module imports another package's private (``_``) module;
* ``dvchub``'s CLI builds without the optional parts (signing, pyhanko, faust) installed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.settings import REPO_ROOT

PRODUCTION = ("hub", "connectors", "signing", "dvchub")
OUTER = frozenset({"connectors", "signing", "dvchub"})


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    """(dotted name of the module's package, path) of every module under ``package``."""
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        yield ".".join(path.relative_to(REPO_ROOT).parts[:-1]), path


def _imports(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of everything ``path`` imports, ``from`` names included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def test_the_core_imports_no_outer_package() -> None:
    offending = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {name}"
        for package, path in _modules("hub")
        for line, name in _imports(path, package)
        if name.split(".")[0] in OUTER
    ]
    assert offending == []


def _private_owner(name: str) -> str | None:
    """``a.b`` for ``a.b._c.d``: the package whose private module ``name`` reaches into."""
    parts = name.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    return None


@pytest.mark.parametrize("top", PRODUCTION)
def test_no_module_imports_another_packages_private_module(top: str) -> None:
    offending = []
    for package, path in _modules(top):
        for line, name in _imports(path, package):
            owner = _private_owner(name)
            if owner is None or owner.split(".")[0] not in PRODUCTION:
                continue
            if package == owner or package.startswith(owner + "."):
                continue  # a package's own private modules, or its parent's
            offending.append(f"{path.relative_to(REPO_ROOT)}:{line}: {name}")
    assert offending == []


BLOCKED = ("signing", "pyhanko", "pyhanko_certvalidator", "certomancer", "faust")


def test_the_cli_builds_without_the_optional_parts() -> None:
    """As on an installation without the ``signing`` extra: importing any of ``BLOCKED`` fails."""
    script = textwrap.dedent(
        f"""
        import sys
        for name in {BLOCKED!r}:
            sys.modules[name] = None  # "import name" now raises ImportError
        from typer.testing import CliRunner
        from dvchub.cli import app
        runner = CliRunner()
        for args in (["--help"], ["stack", "--help"], ["sign", "--help"],
                     ["signing", "serve", "--help"], ["worker", "signing", "--help"],
                     ["portal", "serve", "--help"],
                     ["worker", "--help"], ["worker", "lifecycle", "--help"],
                     ["demo", "run", "--help"], ["worker", "sla", "--help"],
                     ["worker", "kpi-dossiers", "--help"],
                     ["report", "late", "--help"], ["report", "full-online", "--help"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (args, result.output, result.exception)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {BLOCKED!r}
                        and sys.modules[m] is not None)
        assert not loaded, loaded
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")
