#!/usr/bin/env bash
# Local Apache Kafka for leakwatch: one KRaft process (broker + controller) on 127.0.0.1,
# broker 19092, controller 19093. Jars come from Maven Central through deploy/local/kafka/pom.xml.
#
#   bash deploy/local/kafka.sh up       install (when missing), format once, start, wait until ready
#   bash deploy/local/kafka.sh down     stop the broker this script started (by its pid file)
#   bash deploy/local/kafka.sh status   say whether it runs and serves metadata (exit 1 if not)
#
# State under $LEAKWATCH_LOCAL/kafka: lib/ (jars), data/ (log.dirs), server.properties,
# kafka.log, kafka.pid. A second instance (to test stopping one without disturbing the shared
# broker) takes another LEAKWATCH_LOCAL plus LEAKWATCH_KAFKA_PORT and LEAKWATCH_KAFKA_CONTROLLER_PORT.
set -euo pipefail
SERVICE=kafka
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

HOST=127.0.0.1
PORT=${LEAKWATCH_KAFKA_PORT:-19092}
CONTROLLER_PORT=${LEAKWATCH_KAFKA_CONTROLLER_PORT:-19093}
CONF="$LEAKWATCH_ROOT/deploy/local/kafka"
STATE="$LEAKWATCH_LOCAL/kafka"
LIB="$STATE/lib"
DATA="$STATE/data"
PIDF="$STATE/kafka.pid"
LOGF="$STATE/kafka.log"
PROPS="$STATE/server.properties"
START_SECS=${KAFKA_START_SECS:-180}

# metadata_ok asks the broker for cluster metadata (Metadata v4, all topics) over a raw socket
# and succeeds when the answer lists at least one live broker: an open port alone only says
# the JVM bound it, not that the broker has caught up with the controller and serves requests.
metadata_ok() {
	local reply
	reply=$(
		exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
		# size 17 | api_key 3 | version 4 | correlation 1 | client_id "lw" | topics null | auto_create false
		printf '\x00\x00\x00\x11\x00\x03\x00\x04\x00\x00\x00\x01\x00\x02lw\xff\xff\xff\xff\x00' >&3
		timeout 3 head -c 16 <&3 | od -An -tx1 | tr -d ' \n'
	) 2>/dev/null || return 1
	# size(4) correlation(4)=1 throttle(4) brokers(4) >= 1
	[ ${#reply} -eq 32 ] || return 1
	[ "${reply:8:8}" = "00000001" ] || return 1
	[ $((16#${reply:24:8})) -ge 1 ]
}

install_tools() {
	command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
	command -v mvn >/dev/null 2>&1 || apt_install maven
}

# fetch_jars copies Kafka and its logging jars into lib/, unless lib/ already holds what
# the current pom.xml asks for (a stamp with the pom's hash says so).
fetch_jars() {
	local want have=""
	want=$(sha256sum "$CONF/pom.xml" | cut -d' ' -f1)
	[ -f "$LIB/.pom.sha256" ] && have=$(cat "$LIB/.pom.sha256")
	[ "$want" = "$have" ] && return 0
	log "copying Kafka jars from Maven Central into $LIB"
	rm -rf "$LIB"
	mkdir -p "$LIB"
	mvn -q -B -Dstyle.color=never -f "$CONF/pom.xml" -Dbuild.dir="$STATE/mvn-target" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB" ||
		die "maven could not fetch the Kafka jars (see above)"
	echo "$want" >"$LIB/.pom.sha256"
}

# format_storage writes server.properties and formats log.dirs once (KRaft needs a cluster id
# and the bootstrap metadata before the first start). An existing meta.properties means done.
format_storage() {
	mkdir -p "$DATA"
	sed -e "s#@DATA_DIR@#$DATA#g" -e "s#@HOST@#$HOST#g" -e "s#@PORT@#$PORT#g" \
		-e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" "$CONF/server.properties.in" >"$PROPS"
	[ -f "$DATA/meta.properties" ] && return 0
	local id
	id=$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
	[ -n "$id" ] || die "could not make a cluster id with kafka.tools.StorageTool"
	log "formatting $DATA (cluster $id)"
	java -Dlog4j2.configurationFile="$CONF/log4j2.properties" -cp "$LIB/*" \
		kafka.tools.StorageTool format --standalone --cluster-id "$id" --config "$PROPS" >>"$LOGF" 2>&1 ||
		{ tail -n 20 "$LOGF" >&2; die "formatting the storage failed"; }
	echo "$id" >"$STATE/cluster.id"
}

up() {
	mkdir -p "$STATE"
	if running "$PIDF"; then
		log "already running (pid $(cat "$PIDF"))"
		return 0
	fi
	if port_open "$HOST" "$PORT" || port_open "$HOST" "$CONTROLLER_PORT"; then
		die "$HOST:$PORT or :$CONTROLLER_PORT is taken by a process this script did not start"
	fi
	install_tools
	fetch_jars
	format_storage
	log "starting Kafka on $HOST:$PORT (log: $LOGF)"
	start_bg "$PIDF" "$LOGF" java -Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$CONF/log4j2.properties" \
		-cp "$LIB/*" kafka.Kafka "$PROPS"
	wait_port "$HOST" "$PORT" "$START_SECS" "$LOGF"
	local i
	for ((i = 0; i < START_SECS * 2; i++)); do
		if ! running "$PIDF"; then
			tail -n 40 "$LOGF" >&2
			die "Kafka exited during startup"
		fi
		if metadata_ok; then
			log "ready (pid $(cat "$PIDF"))"
			return 0
		fi
		sleep 0.5
	done
	tail -n 40 "$LOGF" >&2
	die "Kafka does not serve metadata after ${START_SECS}s"
}

down() {
	if running "$PIDF"; then
		log "stopping pid $(cat "$PIDF")"
	fi
	stop_pid "$PIDF"
}

status() {
	if ! running "$PIDF"; then
		echo "kafka: not running"
		return 1
	fi
	if metadata_ok; then
		echo "kafka: running (pid $(cat "$PIDF")), serving metadata on $HOST:$PORT"
		return 0
	fi
	echo "kafka: running (pid $(cat "$PIDF")) but not serving metadata on $HOST:$PORT"
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
