"""The boundaries of DESIGN.md section 2, read from the source's imports."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {"flask", "flask_smorest", "marshmallow", "webargs", "werkzeug", "apispec"}
PYSCARD = {"smartcard"}


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (relative imports excluded)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def crossings(package: str, forbidden: set[str]) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {sorted(imports_of(path) & forbidden)}"
            for path in sources(package) if imports_of(path) & forbidden]


def test_the_engine_imports_no_web_framework_no_pyscard_and_no_outer_layer():
    assert crossings("engine", WEB | PYSCARD | {"api", "cli", "terminal"}) == []


def test_the_terminal_talks_to_the_server_only_over_http():
    assert crossings("terminal", {"engine", "api", "cli"}) == []


def test_the_api_does_not_reach_into_the_terminal_or_the_card_reader():
    assert crossings("api", PYSCARD | {"terminal", "cli"}) == []


def test_at_most_one_terminal_module_imports_pyscard():
    assert len([p for p in sources("terminal") if imports_of(p) & PYSCARD]) <= 1


def test_the_checker_sees_a_crossing_when_there_is_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask.json\nfrom smartcard.System import readers\nfrom . import sibling\n")
    assert imports_of(bad) == {"flask", "smartcard"}


def engine_public_functions():
    """(name, docstring) of every engine module and of its public functions, read from the
    sources: the modules compiled by mypyc (engine.native) keep no docstrings when imported."""
    for path in sorted((ROOT / "engine").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        yield module, ast.get_docstring(tree)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                yield f"{module}.{node.name}", ast.get_docstring(node)


DOCUMENTED = list(engine_public_functions())


@pytest.mark.parametrize("name, docstring", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_every_engine_module_and_public_function_says_what_it_guarantees(name, docstring):
    assert (docstring or "").strip(), f"{name} has no docstring"
