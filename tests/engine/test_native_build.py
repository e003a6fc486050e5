"""The modules compiled by mypyc run only when they were built from the sources beside them."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import native

REPORT = ("import engine.rules.compiled, engine.ledger.allocation, engine.native as n; "
          "print(sorted(n.running_compiled().items()))")


def run_from(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", REPORT], cwd=root, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(root)})


def everything(compiled: bool) -> str:
    return str(sorted((module, compiled) for module in native.MODULES))


@pytest.fixture
def copy_of_engine(tmp_path):
    shutil.copytree(native.ROOT / "engine", tmp_path / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


needs_a_build = pytest.mark.skipif(not native.build_is_current(), reason="the compiled modules are not built "
                                   "from these sources (scripts/test builds them)")


def test_the_suite_runs_the_compiled_modules_scripts_test_built():
    for module in native.MODULES:
        __import__(module)
    if os.environ.get("LOYALTY_EXPECT_NATIVE") == "1":
        assert native.build_is_current()
    compiled = native.build_is_current() and os.environ.get("LOYALTY_NATIVE") != "off"
    assert native.running_compiled() == {module: compiled for module in native.MODULES}


@needs_a_build
def test_a_current_build_runs_compiled(copy_of_engine):
    assert run_from(copy_of_engine).stdout.strip() == everything(compiled=True)


@needs_a_build
def test_an_edited_source_runs_as_edited_until_the_next_build(copy_of_engine):
    outcome = copy_of_engine / "engine" / "rules" / "outcome.py"
    outcome.write_text(outcome.read_text() + "\nEDITED = True\n")

    finished = run_from(copy_of_engine)

    assert finished.stdout.strip() == everything(compiled=False)
    assert "running the sources" in finished.stderr


@needs_a_build
def test_a_build_that_recorded_no_sources_is_not_run(copy_of_engine):
    (copy_of_engine / "engine" / "native.digest").unlink()
    assert run_from(copy_of_engine).stdout.strip() == everything(compiled=False)


def test_without_a_build_the_sources_run_without_a_word(copy_of_engine):
    for module in native.MODULES:
        relative = native.source_of(module).relative_to(native.ROOT)
        for built in (copy_of_engine / relative).parent.glob("*.so"):
            built.unlink()

    finished = run_from(copy_of_engine)

    assert finished.stdout.strip() == everything(compiled=False)
    assert finished.stderr == ""


@needs_a_build
def test_loyalty_native_off_runs_the_sources_of_a_current_build(copy_of_engine, monkeypatch):
    monkeypatch.setenv("LOYALTY_NATIVE", "off")
    assert run_from(copy_of_engine).stdout.strip() == everything(compiled=False)


def test_the_build_digest_covers_every_engine_module_the_compiled_ones_import():
    imported = set()
    for module in native.MODULES:
        for node in ast.walk(ast.parse(native.source_of(module).read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine."):
                imported.add(node.module)
    assert imported - set(native.MODULES) == set(native.READ_BY_MODULES)
