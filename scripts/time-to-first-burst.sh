#!/usr/bin/env bash
# Measures what a newcomer waits for: from `leakwatch demo` starting to the first posts, the
# first burst, the first coordinated group and the first leak on the live page's /api/state.
# Usage: scripts/time-to-first-burst.sh [demo flags...]   (e.g. --speed 2000)
# The binary is built first, so compile time is not counted; a cold `go run` adds it.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${LEAKWATCH_DEMO_PORT:-18080}
bin=$(mktemp -d)/leakwatch
go build -o "$bin" ./cmd/leakwatch
log=$(mktemp)
start=$(date +%s%N)
"$bin" demo --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log" "$bin"' EXIT

elapsed() { local ms=$(( ($(date +%s%N) - start) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
# The counts object comes first and holds only numbers; other parts of the state (series,
# evidence) reuse names such as "posts", so only the counts object is searched.
count() { grep -o '"counts":{[^}]*}' <<<"$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
declare -A seen=()
deadline=$(( $(date +%s) + ${LEAKWATCH_DEMO_WAIT:-600} ))
while (( $(date +%s) < deadline )); do
	if ! kill -0 $pid 2>/dev/null; then
		echo "demo exited:" >&2; cat "$log" >&2; exit 1
	fi
	state=$(curl -fsS "http://127.0.0.1:$port/api/state" 2>/dev/null || true)
	if [[ -n $state ]]; then
		[[ -n ${seen[page]:-} ]] || { seen[page]=1; printf 'page answers       %6s s\n' "$(elapsed)"; }
		for what in posts bursts groups leaks; do
			n=$(count "$what" "$state")
			if [[ -z ${seen[$what]:-} && ${n:-0} -gt 0 ]]; then
				seen[$what]=1
				printf 'first %-12s %6s s  (watermark %s)\n' "$what" "$(elapsed)" "$(sed -n 's/.*"watermark":"\([^"]*\)".*/\1/p' <<<"$state")"
			fi
		done
		[[ -n ${seen[leaks]:-} ]] && exit 0
	fi
	sleep 0.25
done
echo "no leak within the wait (LEAKWATCH_DEMO_WAIT=${LEAKWATCH_DEMO_WAIT:-600} s)" >&2
exit 1
