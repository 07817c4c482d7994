#!/usr/bin/env bash
# The engine's main job, as a user would see it: start wharfd, make base images offline, run
# containers. `scripts/demo.sh stop` stops the wharfd it started (its containers stop with it,
# as Docker's do without live-restore).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=/run/wharf
PIDFILE=$RUN_DIR/wharfd.pid
LOG=/var/log/wharfd.log
export WHARF_HOST=unix://$RUN_DIR/wharf.sock
W=.venv/bin/wharf

if [ "${1:-}" = stop ]; then
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill -TERM "$(cat "$PIDFILE")" && echo "wharfd stopped"
  else
    echo "wharfd is not running"
  fi
  exit 0
fi

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
mkdir -p "$RUN_DIR"
if ! $W version >/dev/null 2>&1; then
  echo "starting wharfd (log: $LOG)"
  nohup .venv/bin/wharfd --pidfile "$PIDFILE" >>"$LOG" 2>&1 &
  for _ in $(seq 100); do $W version >/dev/null 2>&1 && break; sleep 0.1; done
fi

say wharf image bootstrap busybox;      $W image bootstrap busybox
say wharf image bootstrap hello-world;  $W image bootstrap hello-world
say wharf run --rm busybox echo hello from wharf
$W run --rm busybox echo hello from wharf
say wharf run --rm hello-world;         $W run --rm hello-world
say wharf run -d --name wharf-demo busybox sh -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'
$W rm -f wharf-demo >/dev/null 2>&1 || true
$W run -d --name wharf-demo busybox sh -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'
say wharf ps;                           $W ps
sleep 2
say wharf logs wharf-demo;              $W logs wharf-demo
say wharf exec wharf-demo ps;           $W exec wharf-demo ps
say wharf top wharf-demo;               $W top wharf-demo
say wharf stop wharf-demo;              $W stop -t 1 wharf-demo
say wharf ps -a --filter name=wharf-demo; $W ps -a --filter name=wharf-demo
say wharf rm wharf-demo;                $W rm wharf-demo
say wharf images;                       $W images

# Distribution: wharf's own registry on loopback, push, remove, pull back, run what was pulled.
REG_ROOT=$(mktemp -d /tmp/wharf-demo-registry.XXXXXX)
REG_PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG=127.0.0.1:$REG_PORT
say wharf registry serve --addr $REG --root $REG_ROOT \&
$W registry serve --addr "$REG" --root "$REG_ROOT" >"$REG_ROOT.log" 2>&1 &
REG_PID=$!
trap 'kill $REG_PID 2>/dev/null || true; wait $REG_PID 2>/dev/null || true; rm -rf "$REG_ROOT" "$REG_ROOT.log"' EXIT
for _ in $(seq 100); do
  .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://$REG/v2/', timeout=1)" 2>/dev/null && break
  sleep 0.1
done
say wharf tag busybox $REG/demo/busybox:1;  $W tag busybox "$REG/demo/busybox:1"
say wharf push $REG/demo/busybox:1;         $W push "$REG/demo/busybox:1"
say wharf rmi $REG/demo/busybox:1 busybox;  $W rmi "$REG/demo/busybox:1" busybox
say wharf pull $REG/demo/busybox:1;         $W pull "$REG/demo/busybox:1"
say wharf tag $REG/demo/busybox:1 busybox;  $W tag "$REG/demo/busybox:1" busybox
say wharf run --rm $REG/demo/busybox:1 echo pulled and running
$W run --rm "$REG/demo/busybox:1" echo pulled and running
say wharf images --digests;             $W images --digests

# Builds: a two-stage Dockerfile, built, run, then rebuilt from the cache.
CTX=$(mktemp -d /tmp/wharf-demo-build.XXXXXX)
trap 'kill $REG_PID 2>/dev/null || true; wait $REG_PID 2>/dev/null || true; rm -rf "$REG_ROOT" "$REG_ROOT.log" "$CTX"' EXIT
printf 'hello from a wharf build\n' > "$CTX/greeting.txt"
printf 'notes.tmp\n' > "$CTX/.dockerignore"; echo scratch > "$CTX/notes.tmp"
cat > "$CTX/Dockerfile" <<'DOCKERFILE'
FROM busybox AS make
ARG WHO=world
WORKDIR /src
COPY greeting.txt .
RUN echo "built for $WHO on $(uname -m)" >> greeting.txt

FROM busybox
COPY --from=make /src/greeting.txt /srv/
CMD ["cat", "/srv/greeting.txt"]
DOCKERFILE
say cat Dockerfile;                     cat "$CTX/Dockerfile"
say wharf build --build-arg WHO=the-demo -t wharf-demo/hello "$CTX"
$W build --build-arg WHO=the-demo -t wharf-demo/hello "$CTX"
say wharf run --rm wharf-demo/hello;    $W run --rm wharf-demo/hello
say wharf build again: every step from the cache
$W build --build-arg WHO=the-demo -t wharf-demo/hello "$CTX" | grep -E 'Step|cache|Successfully'
say wharf history wharf-demo/hello;     $W history wharf-demo/hello

# Networks, volumes, ports: two containers find each other by name on a user network; a web
# server with a published port on loopback; a named volume outlives its container.
WEB_PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$W rm -f wharf-demo-web >/dev/null 2>&1 || true
$W network rm wharf-demo-net >/dev/null 2>&1 || true
$W volume rm wharf-demo-data >/dev/null 2>&1 || true
say wharf network create wharf-demo-net;  $W network create wharf-demo-net
say wharf volume create wharf-demo-data;  $W volume create wharf-demo-data
say wharf run --rm -v wharf-demo-data:/www busybox sh -c "echo hello from a volume > /www/index.html"
$W run --rm -v wharf-demo-data:/www busybox sh -c 'echo hello from a volume > /www/index.html'
say wharf run -d --name wharf-demo-web --network wharf-demo-net -p 127.0.0.1:$WEB_PORT:80 -v wharf-demo-data:/www:ro busybox httpd -f -h /www
$W run -d --name wharf-demo-web --network wharf-demo-net -p "127.0.0.1:$WEB_PORT:80" \
  -v wharf-demo-data:/www:ro busybox httpd -f -h /www
say wharf port wharf-demo-web;            $W port wharf-demo-web
say fetch http://127.0.0.1:$WEB_PORT/ from the host
for _ in $(seq 50); do
  .venv/bin/python -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$WEB_PORT/', timeout=1).read().decode(), end='')" 2>/dev/null && break
  sleep 0.1
done
say wharf run --rm --network wharf-demo-net busybox wget -qO- http://wharf-demo-web/
$W run --rm --network wharf-demo-net busybox wget -qO- http://wharf-demo-web/
say wharf rm -f wharf-demo-web;           $W rm -f wharf-demo-web
say wharf network rm wharf-demo-net;      $W network rm wharf-demo-net
say wharf volume ls;                      $W volume ls
say wharf volume rm wharf-demo-data;      $W volume rm wharf-demo-data

cat <<MSG

wharfd is still running (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), socket ${WHARF_HOST#unix://}).
Try the stock docker CLI against it:
  DOCKER_HOST=$WHARF_HOST docker run --rm busybox echo hi
Stop it with: make stop-demo
MSG
