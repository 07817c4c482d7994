#!/usr/bin/env bash
# Usage: setup.sh [demo|test]. Installs everything wharf needs on a fresh Debian 12 machine (as root): apt packages, a venv
# with wharf and its dev tools. Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

# demo: what the engine needs; test: also the peers the tests drive side by side
# (Debian's dockerd for the runtime-contract test, openssl for TLS certificates, the CNCF
# registry and skopeo for the distribution interoperability tests, debootstrap for the Debian
# base of the build tests and bench/build.py, nftables for the nftables firewall backend's
# tests; the engine itself uses iptables unless told otherwise).
APT_PACKAGES=(busybox-static runc crun tini iproute2 iptables util-linux bsdutils procps)
if [ "${1:-demo}" = test ]; then
  APT_PACKAGES+=(docker.io openssl docker-registry skopeo debootstrap nftables)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  # Debian's own interpreter (3.11.2 on Debian 12), not whatever python3 comes first on PATH:
  # the supported floor is what a fresh Debian has.
  PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=python3
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[dev]'
# Byte-compile now: with PYTHONDONTWRITEBYTECODE set (as in some environments) nothing would
# ever be cached, and every CLI call, shim and runtime start would compile from source.
.venv/bin/python -m compileall -q -j 0 src >/dev/null

if [ "${1:-demo}" = test ]; then
  # docker-compose 1.29 (the Python one) for the compatibility tests, in a venv of its own: it
  # needs docker-py 6 (7 dropped what it calls), requests before 2.32 (which broke docker-py 6's
  # http+docker scheme), urllib3 1 and PyYAML 5 (5.4's sdist no longer builds with Cython 3;
  # 5.3.1 builds without it).
  COMPOSE_V1=(docker-compose==1.29.2 'docker[ssh]==6.1.3' requests==2.31.0 'urllib3<2'
              pyyaml==5.3.1)
  if ! .venv-compose/bin/docker-compose version 2>/dev/null | grep -q '^docker-compose version 1.29.2'; then
    PYTHON=/usr/bin/python3; [ -x "$PYTHON" ] || PYTHON=python3
    [ -x .venv-compose/bin/python ] || "$PYTHON" -m venv .venv-compose
    .venv-compose/bin/python -m pip install -q "${COMPOSE_V1[@]}"
  fi
fi
