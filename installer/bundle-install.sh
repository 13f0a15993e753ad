#!/usr/bin/env bash
# The offline bundle's installer (copied into the bundle as ./install by installer/build-bundle).
#
#   ./install                      install or upgrade for you (~/.local/share/kiosk-avatar), autostart at login
#   sudo ./install                 the app in /opt/kiosk-avatar, for the user who ran sudo
#   ./install --prefix DIR         somewhere else;  --no-autostart;  --autologin (with sudo);  --skip-packages
#   ./install --uninstall [--purge]
#
# Needs only Python (the version the bundle was built for) and the Debian packages in
# app/installer/debian-packages.txt (it names any that are missing, with the command to add them).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WANT="$(sed -n 's/^ *"python": *"\([0-9.]*\)".*/\1/p' "$HERE/bundle.json" 2>/dev/null | head -1)"

PY=""
for candidate in ${PYTHON:-} "python$WANT" python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$WANT" ]]; then
        PY="$candidate"
        break
    fi
done
if [[ -z "$PY" ]]; then
    echo "[kiosk] FAILED: this bundle needs Python $WANT (python$WANT), which is not on this PC." >&2
    echo "  fix: sudo apt-get install python$WANT   or build the bundle on a machine with this PC's Debian/Ubuntu release" >&2
    exit 1
fi

command="install"
args=()
for arg in "$@"; do
    case "$arg" in
        --uninstall) command="uninstall" ;;
        -h|--help) exec "$PY" -s -E -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); from kiosk.install.booth import main; raise SystemExit(main(sys.argv[1:]))' "$HERE/app" install --help ;;
        *) args+=("$arg") ;;
    esac
done
[[ "$command" == "install" ]] && args=(--bundle "$HERE" "${args[@]}")
# -s -E: the system Python exactly as installed (no user site-packages, no PYTHONPATH)
exec "$PY" -s -E -c 'import sys; sys.path.insert(0, sys.argv.pop(1)); from kiosk.install.booth import main; raise SystemExit(main(sys.argv[1:]))' \
    "$HERE/app" "$command" "${args[@]}"
