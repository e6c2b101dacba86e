# Shared helpers for deploy/local scripts. Source it; do not run it.
# Every service keeps its state, logs and pid file under $LEAKWATCH_LOCAL/<service>.
set -euo pipefail

LEAKWATCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LEAKWATCH_LOCAL="${LEAKWATCH_LOCAL:-$LEAKWATCH_ROOT/.leakwatch-local}"
mkdir -p "$LEAKWATCH_LOCAL"

log() { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "${SERVICE:-local}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_root runs a command as root (sudo when not root already).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install installs Debian packages unless every one is already installed.
apt_install() {
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]} from Debian"
	# Two scripts may install at once; apt's lock makes the second wait instead of failing.
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# port_open HOST PORT succeeds when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port HOST PORT SECONDS LOGFILE waits for a port to answer, or dies showing the log tail.
wait_port() {
	local host=$1 port=$2 secs=$3 logf=${4:-}
	local i
	for ((i = 0; i < secs * 5; i++)); do
		port_open "$host" "$port" && return 0
		sleep 0.2
	done
	[ -n "$logf" ] && [ -f "$logf" ] && tail -n 40 "$logf" >&2
	die "nothing answers on $host:$port after ${secs}s"
}

# running PIDFILE succeeds when the pid in the file is alive.
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_bg PIDFILE LOGFILE CMD... starts CMD detached, recording its pid.
start_bg() {
	local pidf=$1 logf=$2
	shift 2
	setsid "$@" >>"$logf" 2>&1 </dev/null &
	echo $! >"$pidf"
}

# stop_pid PIDFILE stops the process started by start_bg (and only that one).
stop_pid() {
	local pidf=$1 i
	running "$pidf" || { rm -f "$pidf"; return 0; }
	local pid
	pid=$(cat "$pidf")
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	rm -f "$pidf"
}
