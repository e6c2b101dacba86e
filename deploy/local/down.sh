#!/usr/bin/env bash
# Stops what up.sh started (and only that: processes are found by their pid files).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
services=("$@")
[ ${#services[@]} -eq 0 ] && services=(alertmanager clickhouse kafka)
for s in "${services[@]}"; do
	bash "$here/$s.sh" down || true
done
