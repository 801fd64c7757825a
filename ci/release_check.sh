#!/usr/bin/env bash
# `make release-check`, run by `.ci/run`: builds the wheel and the sdist, checks their
# metadata (twine) and members (ci/archive_members.py), then installs each into a fresh
# virtualenv of its own (not the editable checkout) and runs ci/smoke_test.py there.
#
# Each virtualenv gets the core dependency set only (no extras): the smoke test needs no more,
# and uv installs it from its cache in seconds once TensorFlow has been downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=build/release
rm -rf "$OUT"
mkdir -p "$OUT"

"$BIN/python" -m build --outdir "$OUT/dist" . >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
"$BIN/twine" check --strict "$OUT/dist"/*
"$BIN/python" ci/archive_members.py "$OUT/dist"

smoke() {  # $1: the virtualenv's name, $2: the archive to install
    local venv="$PWD/$OUT/$1"
    "$BIN/uv" venv --quiet --python "$BIN/python" "$venv"
    "$BIN/uv" pip install --quiet --python "$venv/bin/python" "$2"
    # Isolated (-I: no script folder, no PYTHON* variables, no user site) and from an empty
    # folder, so nothing of the checkout is importable.
    mkdir -p "$OUT/run-$1"
    (cd "$OUT/run-$1" && "$venv/bin/python" -I "$PWD/../../../ci/smoke_test.py")
}

smoke wheel "$OUT/dist"/*.whl
smoke sdist "$OUT/dist"/*.tar.gz
echo "release check: wheel and sdist built, checked and smoke-tested in ${SECONDS}s"
