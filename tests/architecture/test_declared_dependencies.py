"""Every library the code imports is declared where its users install it: the service's
packages in ``install_requires``, the till's in its ``terminal`` extra too. (The test
virtualenv has more than either: a library missing from a declaration passes the tests and
fails on a fresh machine, as ``requests`` once failed the demo's till.)"""
from __future__ import annotations

import configparser
import importlib.metadata
import re
import sys

import pytest

from tests.architecture.test_boundaries import ROOT, imports_of, sources

OURS = {"engine", "api", "cli", "terminal", "migrations", "tests"}


def declared(*sections: str) -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].split("\n")
    for extra in sections:
        lines += config["options.extras_require"][extra].split("\n")
    return {_normal(re.split(r"[\[<>=~!; ]", line.strip())[0]) for line in lines if line.strip()}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def libraries_of(*packages: str) -> dict[str, set[str]]:
    """Each third-party module the packages import, with the distributions that provide it."""
    providers = importlib.metadata.packages_distributions()
    found = {}
    for package in packages:
        for path in sources(package):
            for module in imports_of(path) - OURS - set(sys.stdlib_module_names):
                found[module] = {_normal(d) for d in providers.get(module, [])}
    return found


@pytest.mark.parametrize("packages, sections", [(("engine", "api", "cli", "migrations"), ()),
                                                (("terminal",), ("terminal",))], ids=["the service", "the till"])
def test_every_imported_library_is_declared(packages, sections):
    allowed = declared(*sections)
    undeclared = {module: providers for module, providers in libraries_of(*packages).items()
                  if not providers & allowed}
    assert undeclared == {}
