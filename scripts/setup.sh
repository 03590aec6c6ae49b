#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine: system packages, a venv in .venv, pip packages.
# Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
EXTRAS=${EXTRAS:-all}

need_apt=()
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
command -v sox >/dev/null || need_apt+=(sox)
ldconfig -p 2>/dev/null | grep -q libsndfile || need_apt+=(libsndfile1)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "setup: installing system packages: ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "setup: Python >= 3.11 is required"; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first and pinned: otherwise a dependency may pull a multi-GB CUDA build.
"$VENV/bin/python" -c 'import torch' 2>/dev/null || "$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[$EXTRAS]"
echo "setup: ready ($VENV)"
