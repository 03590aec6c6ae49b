#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine: system packages, a venv in .venv, pip packages.
# Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
EXTRAS=${EXTRAS:-all}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# MBROLA voices and SVOX Pico (the Babel world's other synthesizer families) live in Debian's contrib
# and non-free sections: enable them where only main is (deb822 sources or a classic sources.list).
enable_contrib_non_free() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        if grep -q '^Components:.*\bmain\b' "$f" && ! grep -q '^Components:.*non-free\b' "$f"; then
            $SUDO sed -i -E '/^Components:/{/non-free( |$)/!s/$/ contrib non-free/}' "$f"
            echo "setup: enabled Debian's contrib and non-free sections in $f (MBROLA voices, SVOX Pico)"
        fi
    done
    if [ -f /etc/apt/sources.list ] && grep -qE '^deb .* main$' /etc/apt/sources.list; then
        $SUDO sed -i -E 's/^(deb .* main)$/\1 contrib non-free/' /etc/apt/sources.list
        echo "setup: enabled Debian's contrib and non-free sections in /etc/apt/sources.list"
    fi
}

# Babel's MBROLA voices: the voices of data/babel/speakers.py (tests/data/test_synth.py checks they match).
MBROLA_VOICES="us1 us2 en1 fr1 fr2 fr3 fr4 fr6 de1 de2 de3 de4 de5 de6 de7 br1 br2 br3"
need_apt=()
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
command -v pico2wave >/dev/null || need_apt+=(libttspico-utils)
command -v flite >/dev/null || need_apt+=(flite)
command -v festival >/dev/null || need_apt+=(festival)
for v in spanish/el_diphone:festvox-ellpc11k italian/lp_diphone:festvox-italp16k italian/pc_diphone:festvox-itapc16k; do
    [ -d "/usr/share/festival/voices/${v%%:*}" ] || need_apt+=("${v##*:}")
done
command -v mbrola >/dev/null || need_apt+=(mbrola)
for v in $MBROLA_VOICES; do
    [ -e "/usr/share/mbrola/$v" ] || need_apt+=("mbrola-$v")
done
command -v sox >/dev/null || need_apt+=(sox)
command -v chromedriver >/dev/null || need_apt+=(chromium chromium-driver)  # the web page's browser test
ldconfig -p 2>/dev/null | grep -q libsndfile || need_apt+=(libsndfile1)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${need_apt[*]}"
    enable_contrib_non_free
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "setup: Python >= 3.11 is required"; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first and pinned: otherwise a dependency may pull a multi-GB CUDA build.
"$VENV/bin/python" -c 'import torch' 2>/dev/null || "$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[$EXTRAS]"
echo "setup: ready ($VENV)"
