#!/usr/bin/env bash
# Installs (when missing) and starts Kafka, ClickHouse and Alertmanager on 127.0.0.1,
# idempotently: a service already running is left as it is.
# State and logs: .leakwatch-local/ (override with LEAKWATCH_LOCAL).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
services=("$@")
[ ${#services[@]} -eq 0 ] && services=(kafka clickhouse alertmanager chromium)
for s in "${services[@]}"; do
	bash "$here/$s.sh" up
done
