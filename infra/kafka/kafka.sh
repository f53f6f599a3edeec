#!/usr/bin/env bash
# Brings up (or down) ONE real Apache Kafka broker in KRaft mode on 127.0.0.1, with the jars
# gathered from Maven Central by the pom beside this script. Used by `make test` and for local
# kafka-mode runs; production points LEADS_KAFKA_BOOTSTRAP_SERVERS at a real cluster instead.
#
#   kafka.sh up       fetch jars if needed, format storage once, start, wait until it accepts connections
#   kafka.sh down     stop the broker this script started
#   kafka.sh status   exit 0 when running
#   kafka.sh classpath  print the classpath (for Kafka's own tools, e.g. the console consumer)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
home="${LEADS_KAFKA_HOME:-$root/.leads/kafka}"
libs="${LEADS_KAFKA_LIBS:-$root/.cache/kafka-libs}"
port="${LEADS_KAFKA_PORT:-9092}"
controller_port="${LEADS_KAFKA_CONTROLLER_PORT:-9093}"
pidfile="$home/broker.pid"

fetch() {
  if [ ! -f "$libs/.complete" ]; then
    echo "kafka: gathering the broker's jars from Maven Central into $libs" >&2
    mkdir -p "$libs"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" >&2
    touch "$libs/.complete"
  fi
}

classpath() { fetch; echo "$libs/*"; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

up() {
  if running; then echo "kafka: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
  fetch
  mkdir -p "$home/logs"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@DATA_DIR@|$home|g" \
    "$here/server.properties.in" > "$home/server.properties"
  local java_opts=(-Xms256m -Xmx1g -cp "$libs/*" -Dkafka.logs.dir="$home/logs"
    -Dlog4j2.configurationFile="$here/log4j2.properties")
  if [ ! -f "$home/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)"
    java "${java_opts[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$home/server.properties" > "$home/logs/format.log"
  fi
  nohup java "${java_opts[@]}" kafka.Kafka "$home/server.properties" > "$home/logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 600); do
    if ! running; then
      echo "kafka: the broker exited while starting; last lines of $home/logs:" >&2
      tail -n 20 "$home/logs/stdout.log" "$home/logs/server.log" >&2 || true
      rm -f "$pidfile"; return 1
    fi
    if accepting && grep -q "Kafka Server started" "$home/logs/server.log" 2>/dev/null; then
      echo "kafka: started on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0
    fi
    sleep 0.1
  done
  echo "kafka: not accepting connections on 127.0.0.1:$port after 60 s; see $home/logs" >&2
  down; return 1
}

down() {
  if ! running; then rm -f "$pidfile"; echo "kafka: not running"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  rm -f "$pidfile"; echo "kafka: stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) running ;;
  classpath) classpath ;;
  *) echo "usage: $0 up|down|status|classpath" >&2; exit 2 ;;
esac
