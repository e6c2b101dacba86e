#!/usr/bin/env bash
# Installs (when missing) and runs Alertmanager on 127.0.0.1:9093 for leakwatch's alerts.
# A second instance (the fault tests stop one) takes another LEAKWATCH_LOCAL and LEAKWATCH_ALERTMANAGER_PORT.
#   alertmanager.sh up       install Debian's prometheus-alertmanager, start it, wait for the API
#   alertmanager.sh down     stop the process this script started (found by its pid file)
#   alertmanager.sh status   say whether it runs and answers; exit 1 when it does not
# State: $LEAKWATCH_LOCAL/alertmanager/{data,alertmanager.log,alertmanager.pid}.
# Gossip is off (--cluster.listen-address=): one local instance needs no peers and no port 9094.
SERVICE=alertmanager
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT=${LEAKWATCH_ALERTMANAGER_PORT:-9093}
URL="http://$HOST:$PORT"
CONF="$LEAKWATCH_ROOT/deploy/local/alertmanager/alertmanager.yml"
DIR="$LEAKWATCH_LOCAL/alertmanager"
PIDF="$DIR/alertmanager.pid"
LOGF="$DIR/alertmanager.log"
BIN=prometheus-alertmanager

# api_ready succeeds when the v2 API answers (a listening port alone may still be loading config).
api_ready() { curl -fsS --max-time 2 "$URL/api/v2/status" >/dev/null 2>&1; }

install() {
	local fresh=0
	dpkg -s prometheus-alertmanager >/dev/null 2>&1 || fresh=1
	apt_install prometheus-alertmanager curl
	# The Debian package starts its own service on install where an init system runs (systemd,
	# or sysvinit without a policy-rc.d that forbids it); it would hold ports 9093 and 9094
	# with /etc's config. Only the copy this script just installed is stopped and disabled.
	[ "$fresh" -eq 1 ] || return 0
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		if systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
			log "stopping and disabling the Debian prometheus-alertmanager service (leakwatch runs its own)"
		fi
		as_root systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true
	elif [ -x /etc/init.d/prometheus-alertmanager ] && /etc/init.d/prometheus-alertmanager status >/dev/null 2>&1; then
		log "stopping and disabling the Debian prometheus-alertmanager service (leakwatch runs its own)"
		as_root /etc/init.d/prometheus-alertmanager stop >/dev/null 2>&1 || true
		as_root update-rc.d prometheus-alertmanager disable >/dev/null 2>&1 || true
	fi
}

up() {
	install
	mkdir -p "$DIR/data"
	if running "$PIDF"; then
		api_ready || wait_api 30
		log "already running (pid $(cat "$PIDF")) at $URL"
		return 0
	fi
	if port_open "$HOST" "$PORT"; then
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
			die "the Debian prometheus-alertmanager service holds $HOST:$PORT; stop it with: sudo systemctl disable --now prometheus-alertmanager"
		fi
		die "$HOST:$PORT is taken by a process this script did not start; stop it or free the port"
	fi
	# A bad config is reported here, in words, rather than as a process that exits at start.
	local out
	out=$(amtool check-config "$CONF" 2>&1) || { printf '%s\n' "$out" >&2; die "invalid config $CONF"; }
	log "starting $BIN on $URL (log $LOGF)"
	start_bg "$PIDF" "$LOGF" "$BIN" \
		--config.file="$CONF" \
		--storage.path="$DIR/data" \
		--web.listen-address="$HOST:$PORT" \
		--cluster.listen-address=
	wait_api 60
	log "ready at $URL (pid $(cat "$PIDF"))"
}

# wait_api SECONDS waits for /api/v2/status, or dies showing the log tail.
wait_api() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		api_ready && return 0
		running "$PIDF" || break
		sleep 0.2
	done
	[ -f "$LOGF" ] && tail -n 40 "$LOGF" >&2
	die "Alertmanager API $URL/api/v2/status did not answer"
}

down() {
	if running "$PIDF"; then
		log "stopping pid $(cat "$PIDF")"
	fi
	stop_pid "$PIDF"
}

status() {
	if running "$PIDF" && api_ready; then
		echo "alertmanager: running (pid $(cat "$PIDF")) at $URL"
		return 0
	fi
	if running "$PIDF"; then
		echo "alertmanager: process $(cat "$PIDF") runs but $URL/api/v2/status does not answer"
		return 1
	fi
	echo "alertmanager: stopped"
	return 1
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
