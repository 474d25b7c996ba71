#!/usr/bin/env bash
# Re-derives assets/ime/pinyin.tsv.gz, the IME's general dictionary, from
# pinned upstream packages (see assets/ime/README.md for what and why).
#
#   kiosk/ime/tools/build_dict.sh            # writes assets/ime/pinyin.tsv.gz
#   IME_BUILD_DIR=/some/cache kiosk/ime/tools/build_dict.sh
#
# Installs what it needs: the `opencc` Debian package (apt), a Python venv
# with pinned pypinyin and jieba (pip), and downloads the pinned
# rime-data-pinyin-simp .deb (apt-get download; only unpacked, not
# installed). Needs root for apt. Same inputs give the same output bytes.
set -euo pipefail

RIME_DEB="rime-data-pinyin-simp"
RIME_DEB_VERSION="0.0~git20230104.52b9c75-1"
PYPINYIN_VERSION="0.55.0"
JIEBA_VERSION="0.42.1"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${1:-$repo/assets/ime/pinyin.tsv.gz}"
work="${IME_BUILD_DIR:-${TMPDIR:-/tmp}/kiosk-ime-dict-build}"
mkdir -p "$work"
cd "$work"

apt_updated=0
apt_update_once() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -q >/dev/null
        apt_updated=1
    fi
}

if ! command -v opencc >/dev/null; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q opencc >/dev/null
fi

deb="$(ls "${RIME_DEB}"_*.deb 2>/dev/null | head -n1 || true)"
if [ -z "$deb" ]; then
    apt-get download -q "${RIME_DEB}=${RIME_DEB_VERSION}" 2>/dev/null \
        || { apt_update_once; apt-get download -q "${RIME_DEB}=${RIME_DEB_VERSION}"; }
    deb="$(ls "${RIME_DEB}"_*.deb | head -n1)"
fi
rm -rf rime && mkdir rime && dpkg-deb -x "$deb" rime
rime_dict="rime/usr/share/rime-data/pinyin_simp.dict.yaml"

if [ ! -x venv/bin/python ]; then
    python3 -m venv venv
fi
venv/bin/pip install -q "pypinyin==${PYPINYIN_VERSION}" "jieba==${JIEBA_VERSION}"

opencc_version="$(dpkg-query -W -f='${Version}' opencc 2>/dev/null || echo unknown)"
venv/bin/python "$here/build_dict.py" \
    --rime "$rime_dict" \
    --out "$out" \
    --source-note "${RIME_DEB} ${RIME_DEB_VERSION}, opencc ${opencc_version},"
sha256sum "$out"
