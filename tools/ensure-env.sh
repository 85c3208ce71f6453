#!/usr/bin/env bash
# Create .venv if missing and install the pinned environment (requirements.txt) plus slt-nb itself.
# Idempotent: reinstalls only when requirements.txt or pyproject.toml changed (content hash).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] || { echo "ensure-env: no python3.11/python3 on PATH; install Python 3.11" >&2; exit 1; }
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' \
  || { echo "ensure-env: $PY is $("$PY" --version 2>&1); slt-nb needs Python >= 3.11" >&2; exit 1; }

install_lab_settings() {  # JupyterLab opens notebooks/*.py as notebooks on double-click (jupytext's default viewer)
  local dest="$VENV/share/jupyter/lab/settings"
  mkdir -p "$dest" && cp configs/jupyterlab/overrides.json "$dest/overrides.json"
}

want=$(cat requirements.txt requirements-nodeps.txt pyproject.toml | sha256sum | cut -d' ' -f1)
stamp="$VENV/.slt-nb-env"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  install_lab_settings
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "ensure-env: creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
echo "ensure-env: installing the pinned environment (requirements.txt); the first time takes a few minutes"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
install_lab_settings
rm -f "$stamp.tmp" && echo "$want" > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
echo "ensure-env: ready ($VENV)"
