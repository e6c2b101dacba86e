#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (the live page and the report are checked
# in headless Chromium). `up` installs it when missing; there is nothing to start or stop.
SERVICE=chromium
source "$(dirname "$0")/lib.sh"
case "${1:-up}" in
up | install)
	apt_install chromium fonts-dejavu-core
	log "chromium: $(chromium --version 2>/dev/null || echo missing)"
	;;
down) ;;
status) command -v chromium >/dev/null && chromium --version ;;
*) die "usage: $0 up|down|status" ;;
esac
