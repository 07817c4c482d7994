#!/usr/bin/env bash
# The engine's main job, as a newcomer to the tutorials would walk it: start wharfd and a
# registry, build a web app (multi-stage, cached the second time), push it, remove it, pull it
# back, run it with a client as a compose project (user network, volume, published port), look
# at it from the host, and take it down. `scripts/demo.sh stop` stops the wharfd it started
# (its containers stop with it, as Docker's do without live-restore). Offline throughout.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=/run/wharf
PIDFILE=$RUN_DIR/wharfd.pid
LOG=/var/log/wharfd.log
export WHARF_HOST=unix://$RUN_DIR/wharf.sock
W=.venv/bin/wharf
PY=.venv/bin/python

if [ "${1:-}" = stop ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")" && echo "wharfd stopped"
  else
    echo "wharfd is not running"
  fi
  exit 0
fi

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fetch() {  # fetch URL [tries]: print the body once it answers
  for _ in $(seq "${2:-50}"); do
    $PY -c "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('$1', timeout=1).read().decode())" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}

WORK=$(mktemp -d /tmp/wharf-demo.XXXXXX)
REG_PID=
cleanup() {
  [ -n "$REG_PID" ] && { kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$RUN_DIR"
if ! $W version >/dev/null 2>&1; then
  echo "starting wharfd (log: $LOG)"
  nohup .venv/bin/wharfd --pidfile "$PIDFILE" >>"$LOG" 2>&1 &
  for _ in $(seq 100); do $W version >/dev/null 2>&1 && break; sleep 0.1; done
fi

# 1. A base image made offline, and a first container.
say wharf image bootstrap busybox;      $W image bootstrap busybox
say wharf run --rm busybox echo hello from wharf
$W run --rm busybox echo hello from wharf

# 2. A registry of our own, on loopback.
REG=127.0.0.1:$(free_port)
say wharf registry serve --addr $REG --root "$WORK/registry" \&
$W registry serve --addr "$REG" --root "$WORK/registry" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
fetch "http://$REG/v2/" 100 >/dev/null

# 3. A small web app from a two-stage Dockerfile; the second build comes from the cache.
APP=$WORK/app
mkdir -p "$APP"
printf 'hello from a wharf build\n' > "$APP/greeting.txt"
printf 'notes.tmp\n' > "$APP/.dockerignore"; echo scratch > "$APP/notes.tmp"
cat > "$APP/Dockerfile" <<'DOCKERFILE'
FROM busybox AS page
ARG WHO=world
WORKDIR /src
COPY greeting.txt .
RUN echo "<h1>$(cat greeting.txt)</h1><p>built for $WHO</p>" > index.html

FROM busybox
COPY --from=page /src/index.html /www/index.html
EXPOSE 80
CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]
DOCKERFILE
IMAGE=$REG/demo/web:1
say cat Dockerfile;                     cat "$APP/Dockerfile"
say wharf build --build-arg WHO=the-demo -t $IMAGE .
$W build --build-arg WHO=the-demo -t "$IMAGE" "$APP"
say "wharf build (again: every step from the cache)"
$W build --build-arg WHO=the-demo -t "$IMAGE" "$APP" | grep -E 'Step|cache|Successfully'

# 4. Push it, remove it, pull it back.
say wharf push $IMAGE;                  $W push "$IMAGE"
say wharf rmi $IMAGE;                   $W rmi "$IMAGE"
say wharf pull $IMAGE;                  $W pull "$IMAGE"
say wharf images;                       $W images

# 5. Two services as one compose project: the app, and a client that polls it by name; a user
#    network, a volume the client writes to, and the app's port published on loopback.
WEB_PORT=$(free_port)
cat > "$WORK/compose.yaml" <<COMPOSE
name: wharf-demo
services:
  web:
    image: $IMAGE
    ports: ["127.0.0.1:$WEB_PORT:80"]
    networks: [front]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://localhost/"]
      interval: 1s
      retries: 10
  client:
    image: busybox
    command: ["sh", "-c", "while true; do wget -qO- http://web/ | tee -a /data/seen.log; sleep 1; done"]
    depends_on:
      web: {condition: service_healthy}
    networks: [front]
    volumes: ["seen:/data"]
networks:
  front: {}
volumes:
  seen: {}
COMPOSE
say cat compose.yaml;                   cat "$WORK/compose.yaml"
C=("$W" compose -f "$WORK/compose.yaml")
say wharf compose up -d;                "${C[@]}" up -d
say curl http://127.0.0.1:$WEB_PORT/ from the host
fetch "http://127.0.0.1:$WEB_PORT/"
say wharf compose ps;                   "${C[@]}" ps
sleep 2
say wharf compose logs client;          "${C[@]}" logs client
say wharf stats --no-stream;            $W stats --no-stream
say wharf volume ls;                    $W volume ls
say wharf compose down -v;              "${C[@]}" down -v
say wharf ps -a;                        $W ps -a

cat <<MSG

wharfd is still running (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), socket ${WHARF_HOST#unix://}).
Try the stock docker CLI against it:
  DOCKER_HOST=$WHARF_HOST docker run --rm busybox echo hi
Stop it with: make stop-demo
MSG
