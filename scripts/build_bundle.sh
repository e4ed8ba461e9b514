#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle (build.spec) into dist/RefDesk, then prove it works on its own:
# `refdesk --version` and `refdesk selftest` (window included, offscreen) run from the bundle, outside the
# checkout, with a throwaway HOME. Exits non-zero when the build or any check fails.
# Installs what it needs itself (system libraries for Qt, .venv with the "bundle" extra), like test.sh.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ensure_system_packages "${QT_PACKAGES[@]}"
ensure_venv "${REFDESK_EXTRAS:-bundle}"
cd "$ROOT"

BUNDLE="$ROOT/dist/RefDesk"
EXE="$BUNDLE/refdesk"

started=$SECONDS
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN build.spec
build_seconds=$((SECONDS - started))
[ -x "$EXE" ] || { echo "build_bundle: no executable at $EXE" >&2; exit 1; }

# The bundle must stand alone: no checkout on the path, a HOME of its own (so a data folder it should
# not create would show), the offscreen platform instead of a display.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/run"
run_bundle() {
  (cd "$scratch/run" && env -u PYTHONPATH -u PYTHONHOME -u REFDESK_HOME -u VIRTUAL_ENV \
    HOME="$scratch/home" XDG_DATA_HOME="$scratch/home/.local/share" QT_QPA_PLATFORM=offscreen \
    "$EXE" "$@")
}

expected="RefDesk $("$VENV/bin/python" -c 'import refdesk; print(refdesk.__version__)')"
version="$(run_bundle --version)"
if [ "$version" != "$expected" ]; then
  echo "build_bundle: 'refdesk --version' said '$version', expected '$expected'" >&2; exit 1
fi
echo "$version"

started=$SECONDS
run_bundle selftest
selftest_seconds=$((SECONDS - started))
if [ -e "$scratch/home/.local/share/RefDesk" ]; then
  echo "build_bundle: the selftest created a data folder in HOME" >&2; exit 1
fi

size="$(du -sh "$BUNDLE" | cut -f1)"
files="$(find "$BUNDLE" -type f | wc -l)"
echo "bundle: $BUNDLE, $size in $files files; built in ${build_seconds} s, selftest in ${selftest_seconds} s"
