#!/usr/bin/env bash
# Debian packages the platform needs outside .venv: Chromium for the browser tests,
# Noto CJK fonts and pango for PDFs with Chinese text, gettext for compiling translations.
#   system-deps.sh install            install them (needs root)
#   system-deps.sh check-or-install   install only what is missing; without root, print the command
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gettext)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    echo "(or: sudo make system-deps)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

case "${1:-check-or-install}" in
  install|check-or-install)
    if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
    install
    ;;
  *) echo "usage: $0 install|check-or-install" >&2; exit 2 ;;
esac
