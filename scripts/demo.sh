#!/usr/bin/env bash
# Install RefDesk into .venv and open it on the separate demo database (never your real patients).
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ensure_system_packages "${QT_PACKAGES[@]}" "${XCB_PACKAGES[@]}"
ensure_venv ""
exec "$VENV/bin/refdesk" --demo "$@"
