#!/usr/bin/env bash
# Local ClickHouse for leakwatch: Debian's clickhouse-server (18.16) with its own config,
# listening on 127.0.0.1 only (native 19000, http 18123), state under
# $LEAKWATCH_LOCAL/clickhouse. Usage: clickhouse.sh up|down|status
# `up` is idempotent (a running server is left alone); `down` stops only the pid `up` started.
# A second instance (a test that stops its server) sets LEAKWATCH_LOCAL and the
# LEAKWATCH_CLICKHOUSE_{TCP,HTTP,INTERSERVER}_PORT variables.
SERVICE=clickhouse
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
TCP_PORT=${LEAKWATCH_CLICKHOUSE_TCP_PORT:-19000}
HTTP_PORT=${LEAKWATCH_CLICKHOUSE_HTTP_PORT:-18123}
INTERSERVER_PORT=${LEAKWATCH_CLICKHOUSE_INTERSERVER_PORT:-19009}
STATE="$LEAKWATCH_LOCAL/clickhouse"
PIDF="$STATE/clickhouse.pid"
LOGF="$STATE/logs/stdout.log"
CONF_SRC="$LEAKWATCH_ROOT/deploy/local/clickhouse"

# server_bin finds the server binary; /usr/sbin is not on every user's PATH.
server_bin() {
	command -v clickhouse-server 2>/dev/null && return 0
	[ -x /usr/sbin/clickhouse-server ] && { echo /usr/sbin/clickhouse-server; return 0; }
	# Current packages ship one multi-call binary instead.
	local multi
	multi=$(command -v clickhouse 2>/dev/null) && { echo "$multi server"; return 0; }
	return 1
}

client() { clickhouse-client --host "$HOST" --port "$TCP_PORT" "$@"; }

# render writes the config with this checkout's state directory; the files in
# deploy/local/clickhouse stay path-free.
render() {
	mkdir -p "$STATE"/{data,tmp,user_files,format_schemas,logs}
	sed -e "s#@STATE@#$STATE#g" -e "s#@TCP_PORT@#$TCP_PORT#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" \
		-e "s#@INTERSERVER_PORT@#$INTERSERVER_PORT#g" "$CONF_SRC/config.xml" >"$STATE/config.xml"
	cp "$CONF_SRC/users.xml" "$STATE/users.xml"
}

wait_select() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(client --query 'SELECT 1' 2>/dev/null)" = "1" ] && return 0
		running "$PIDF" || break
		sleep 0.2
	done
	tail -n 40 "$LOGF" "$STATE/logs/clickhouse-server.err.log" 2>/dev/null >&2 || true
	die "ClickHouse on $HOST:$TCP_PORT does not answer SELECT 1"
}

up() {
	if running "$PIDF"; then
		wait_select
		log "already running (pid $(cat "$PIDF")) on $HOST:$TCP_PORT"
		return 0
	fi
	if port_open "$HOST" "$TCP_PORT"; then
		die "$HOST:$TCP_PORT is taken by a process this script did not start"
	fi
	apt_install clickhouse-server clickhouse-client
	render
	local bin
	bin=$(server_bin) || die "no clickhouse-server binary after installing"
	log "starting $bin (state $STATE)"
	# shellcheck disable=SC2086 # "clickhouse server" must split into two words.
	start_bg "$PIDF" "$LOGF" $bin --config-file="$STATE/config.xml"
	wait_port "$HOST" "$TCP_PORT" 60 "$LOGF"
	wait_select
	log "up: native $HOST:$TCP_PORT, http $HOST:$HTTP_PORT, version $(client --query 'SELECT version()')"
}

down() {
	if ! running "$PIDF"; then
		log "not running"
		rm -f "$PIDF"
		return 0
	fi
	log "stopping pid $(cat "$PIDF")"
	stop_pid "$PIDF"
}

status() {
	if running "$PIDF"; then
		local v
		v=$(client --query 'SELECT version()' 2>/dev/null) || v="not answering"
		echo "clickhouse: running (pid $(cat "$PIDF")), native $HOST:$TCP_PORT, http $HOST:$HTTP_PORT, version $v"
	else
		echo "clickhouse: stopped"
		return 1
	fi
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
