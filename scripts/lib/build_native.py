"""Compile the modules ``engine.native`` lists with mypyc, in place, if their sources changed.

Run by scripts/test and scripts/demo (through bootstrap.sh) with the virtualenv's Python:

    .venv/bin/python scripts/lib/build_native.py [--force]

The C files and objects go to .venv/native-build; the compiled modules go next to their
sources, and ``engine/native.digest`` records the sources they were built from. Without a
C compiler or mypyc it says so and exits 0: the sources run instead.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# engine.native alone, not the engine package: importing the package would already choose
# between the sources and the (stale) compiled modules this script is about to replace.
_spec = importlib.util.spec_from_file_location("engine_native", ROOT / "engine" / "native.py")
native = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(native)


def build() -> None:
    from mypyc.build import mypycify
    from setuptools import Distribution

    work = ROOT / ".venv" / "native-build"
    sources = [str(native.source_of(module).relative_to(ROOT)) for module in native.MODULES]
    # mypy reads only what the listed modules import (no reports on other modules), and
    # each module gets its own extension next to its source (separate=True).
    modules = mypycify(["--follow-imports=silent", "--ignore-missing-imports", "--cache-dir", str(work / "mypy"),
                        *sources],
                       separate=True, opt_level="3", target_dir=str(work / "c"))
    # A bare distribution: the project's own setup.cfg describes the package, not this build.
    dist = Distribution({"name": "loyalty-native", "ext_modules": modules})
    command = dist.get_command_obj("build_ext")
    command.inplace, command.build_temp, command.build_lib = True, str(work / "objects"), str(work / "lib")
    dist.run_command("build_ext")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even if the sources did not change")
    args = parser.parse_args(argv)
    if native.build_is_current() and not args.force:
        return 0
    if shutil.which(os.environ.get("CC", "cc")) is None:
        print("build_native: no C compiler: the rules run from their sources", file=sys.stderr)
        return 0
    native.DIGEST_FILE.unlink(missing_ok=True)  # a build that fails half-way is never taken for current
    began, digest = time.monotonic(), native.source_digest()  # of the sources as the build reads them
    os.chdir(ROOT)  # mypycify names the extensions by paths relative to here
    build()
    native.DIGEST_FILE.write_text(digest + "\n")
    print(f"build_native: compiled {', '.join(native.MODULES)} in {time.monotonic() - began:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
