# Shared by scripts/demo and scripts/test: install what is missing, nothing more.
# - Debian packages through apt-get (as root, or through sudo);
# - a virtualenv in .venv with the project and its dependencies pinned by constraints.txt.
# Re-running is cheap: the virtualenv is reinstalled only when constraints.txt, setup.cfg
# or the requested extras change.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.venv"
export PIP_CONSTRAINT="$ROOT/constraints.txt"   # also pins the isolated build environment
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else say "need root to run: $*"; return 1
    fi
}

apt_updated=
ensure_debian_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_venv() {  # ensure_venv [EXTRAS]   e.g. ensure_venv test
    local extras=${1:-} python=${PYTHON:-python3} target stamp installed
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtualenv in $VENV"
        if ! "$python" -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            ensure_debian_packages python3-venv
            "$python" -m venv "$VENV"
        fi
    fi
    target="."; [ -n "$extras" ] && target=".[$extras]"
    stamp="$(cat "$ROOT/constraints.txt" "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
    installed=$(cat "$VENV/.installed" 2>/dev/null || true)
    # Up to date when the same files were installed with the same extras, or with the
    # test extras (a superset of the others: a test venv also runs the demo).
    if [ "$installed" != "$stamp $extras" ] && [ "$installed" != "$stamp test" ]; then
        say "installing the project into the virtualenv ($target)"
        "$VENV/bin/python" -m pip install -q pip setuptools wheel
        (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -e "$target")
        echo "$stamp $extras" > "$VENV/.installed"
    fi
}

ensure_native_build() {  # the rules' hot path compiled by mypyc, when its sources changed (engine/native.py)
    if ! "$VENV/bin/python" -c "import mypyc" 2>/dev/null; then
        say "installing mypyc (pinned by constraints.txt)"
        "$VENV/bin/python" -m pip install -q mypy
    fi
    "$VENV/bin/python" "$ROOT/scripts/lib/build_native.py"
}
