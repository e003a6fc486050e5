"""The modules that run compiled to C (by mypyc), and the guarantee that a stale build never runs.

Evaluating a basket's rules and spreading points over its lines is where an accrual spends
its pure-Python time, so ``scripts/test`` and ``scripts/demo`` compile these modules from
their own source (``scripts/lib/build_native.py``): the compiled module is the same code,
only faster. It is optional: without a C compiler the source runs.

A compiled module sits next to its source and Python would import it first, even after the
source changed. So the build writes the digest of the sources it compiled (and of the engine
modules they import), and ``use_current_build`` (called when ``engine`` is first imported)
makes Python import the sources whenever the digest differs: an edited source always runs as
edited, until the next build. ``LOYALTY_NATIVE=off`` makes it import the sources in any case.
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from pathlib import Path

MODULES = ("engine.ledger.allocation", "engine.rules.awards", "engine.rules.outcome", "engine.rules.compiled")
# The other engine modules they import: the compiler checked the compiled code against their
# classes and signatures, so a change there is a change of the build's sources too.
READ_BY_MODULES = ("engine.ledger.basket", "engine.rules.facts", "engine.rules.model", "engine.rules.naive")
ROOT = Path(__file__).resolve().parent.parent
DIGEST_FILE = Path(__file__).with_name("native.digest")

log = logging.getLogger(__name__)


def source_of(module: str) -> Path:
    """The module's source file."""
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def compiled_files(module: str) -> list[Path]:
    """The module's compiled files next to its source (none when it was never built)."""
    source = source_of(module)
    return [source.with_suffix(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES
            if source.with_suffix(suffix).exists()]


def source_digest() -> str:
    """One digest of the sources of every compiled module and of what they import, in order."""
    digest = hashlib.sha256()
    for module in MODULES + READ_BY_MODULES:
        digest.update(module.encode() + b"\0" + source_of(module).read_bytes() + b"\0")
    return digest.hexdigest()


def build_is_current() -> bool:
    """Whether every module was compiled from its present source."""
    try:
        built = DIGEST_FILE.read_text().strip()
    except FileNotFoundError:
        return False
    return built == source_digest() and all(compiled_files(module) for module in MODULES)


def running_compiled() -> dict[str, bool]:
    """For each module already imported: whether it runs compiled."""
    return {module: Path(sys.modules[module].__file__ or "").suffix != ".py"
            for module in MODULES if module in sys.modules}


class _SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds the listed modules' sources, ahead of the compiled files next to them."""

    def find_spec(self, name, path=None, target=None):
        if name in MODULES:
            return importlib.util.spec_from_file_location(name, source_of(name))
        return None


def use_current_build() -> None:
    """Make the compiled modules run only if they were built from the present sources, and
    not at all under ``LOYALTY_NATIVE=off``."""
    if any(isinstance(finder, _SourcesFirst) for finder in sys.meta_path):
        return
    if os.environ.get("LOYALTY_NATIVE") != "off":
        if not any(compiled_files(module) for module in MODULES) or build_is_current():
            return
        log.warning("the compiled rules were built from other sources than these: running the sources "
                    "(scripts/test or scripts/demo builds them again)")
    sys.meta_path.insert(0, _SourcesFirst())
