#!/usr/bin/env bash
# Install RefDesk with its test tools into .venv and run the whole test suite offscreen.
# Extra arguments go to pytest (e.g. scripts/test.sh -k lifecycle).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ensure_system_packages "${QT_PACKAGES[@]}"
ensure_venv "${REFDESK_EXTRAS:-test}"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
exec "$VENV/bin/python" -m pytest "$@"
