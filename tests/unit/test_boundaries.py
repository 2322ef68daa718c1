"""Who may import whom (docs/ARCHITECTURE.md, "Who may import whom").

Each service under services/ deploys on its own, so it may import common/
and itself, never another service. common/ is the foundation and knows no
service. The sandboxes simulate the APIs and share no code at all with the
services (not even common/), so they cannot agree with our bugs. Nothing
deployed imports the tests. Imports are read with ``ast``, relative ones
resolved, including those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "var", "node_modules", "__pycache__"}
SANDBOXES = {"zoho_sandbox", "qbo_sandbox"}

# Importer layer → other layers it may import, e.g.
# {"services.devstack": {"services.admin"}}. Empty: what the operator tools
# (devstack, syncctl) share lives in common/operator, so none needs another
# service; keep it so rather than adding an exception.
ALLOWED_CROSSINGS: dict[str, set[str]] = {}


def layer_of_module(module: str) -> str | None:
    """common, tests or services.<name>; None for stdlib and third party."""
    parts = module.split(".")
    if parts[0] in ("common", "tests"):
        return parts[0]
    if parts[0] == "services" and len(parts) > 1:
        return f"services.{parts[1]}"
    return None


def module_of_file(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files() -> Iterator[Path]:
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in relative):
            continue
        yield path


def imported_modules(
    source: str, module: str, is_package: bool
) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in ``module``'s source;
    ``from a import b`` yields ``a.b`` too, since b may be a module
    (``from services import admin``)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                imported = ".".join([*base, *([node.module] if node.module else [])])
            else:
                imported = node.module or ""
            yield node.lineno, imported
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{imported}.{alias.name}"


def forbidden(importer: str, imported: str) -> bool:
    if imported == importer or imported in ALLOWED_CROSSINGS.get(importer, set()):
        return False
    if importer.removeprefix("services.") in SANDBOXES:
        return True  # a sandbox imports only itself
    # common/ imports neither services nor tests; a service may import common/.
    return imported != "common"


def crossings_in(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) of each import that crosses a boundary."""
    importer = layer_of_module(module)
    if importer is None or importer == "tests":
        return []  # tests (and tools outside the layers) may import anything
    by_line: dict[int, set[str]] = {}
    for line, imported in imported_modules(source, module, is_package):
        layer = layer_of_module(imported)
        if layer is not None and forbidden(importer, layer):
            by_line.setdefault(line, set()).add(imported)
    return [
        (line, imported)
        for line, modules in sorted(by_line.items())
        for imported in sorted(modules)
        # ``from a import b`` yields a and a.b: name only the outermost.
        if not any(imported.startswith(f"{other}.") for other in modules)
    ]


def crossings() -> list[str]:
    found = []
    for path in python_files():
        module, is_package = module_of_file(path), path.name == "__init__.py"
        for line, imported in crossings_in(path.read_text(), module, is_package):
            found.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    return found


def test_no_module_imports_across_a_boundary() -> None:
    found = crossings()
    assert not found, "imports across a boundary:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "services.crm_gateway.translation.lines",
            "from services.qbo_gateway.translation import money",
            [(1, "services.qbo_gateway.translation")],
        ),
        ("services.crm_gateway.writes", "import common.records", []),
        ("services.devstack", "from services import admin", [(1, "services.admin")]),
        ("services.scheduler.service", "def f():\n    import tests", [(2, "tests")]),
        (
            "common.records",
            "import services.matcher.fields",
            [(1, "services.matcher.fields")],
        ),
        ("services.zoho_sandbox.users", "from .errors import ZohoError", []),
        ("services.zoho_sandbox.app", "from common import records", [(1, "common")]),
        (
            "services.zoho_sandbox.users",
            "from ..qbo_sandbox import api",
            [(1, "services.qbo_sandbox")],
        ),
        ("tests.e2e.system", "import services.admin.syncctl", []),
    ],
)
def test_the_rules(module: str, source: str, expected: list[tuple[int, str]]) -> None:
    assert crossings_in(source, module, is_package=False) == expected


def test_relative_imports_resolve_from_the_package() -> None:
    found = imported_modules("from . import reads", "services.zoho_sandbox", True)
    assert "services.zoho_sandbox.reads" in {module for _, module in found}
