#!/usr/bin/env bash
# Build the Dockerfile with podman and prove that a request through the containerised proxy is
# annotated. Run as root on a Debian machine (CI does): installs podman and friends when
# missing, makes a Debian trixie base image locally with debootstrap (no container registry is
# reachable), builds with the machine's CA bundle as the pip_ca secret, and cleans up after.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for tool in podman buildah debootstrap runc; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
cleanup() {
  podman rm -f authdoctor-check >/dev/null 2>&1 || true
  [ -n "${sandbox_pid:-}" ] && kill "$sandbox_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox's limits are lower than podman's defaults, and setting the defaults fails.
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"

base=docker.io/library/debian:trixie-slim
if ! podman image exists "$base"; then
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    trixie "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
  tar -C "$work/rootfs" -c . | podman import - "$base" >/dev/null
fi

secret=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && secret=(--secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt)
podman build --quiet --network=host "${secret[@]}" -t authdoctor:check . >/dev/null

# A sandbox API on the host's loopback, and its profile for the container.
./.venv/bin/python - "$work" <<'PY' &
import sys, time
from pathlib import Path
sys.path.insert(0, "src")
from authdoctor.sandbox import Sandbox
from authdoctor.sandbox.profile import write_sandbox_profile
production, staging = Sandbox("production").start(), Sandbox("staging").start()
write_sandbox_profile(Path(sys.argv[1]) / "sandbox.yaml", production.port, staging.port)
(Path(sys.argv[1]) / "port").write_text(str(production.port))
time.sleep(300)
PY
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
chmod 644 "$work/sandbox.yaml"
api_port=$(cat "$work/port")
proxy_port=$(./.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
web_port=$(./.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

podman run -d --name authdoctor-check --network=host \
  -v "$work/sandbox.yaml:/profiles/sandbox.yaml:ro" authdoctor:check \
  --listen-host 127.0.0.1 -p "$proxy_port" --web-host 127.0.0.1 --web-port "$web_port" \
  --set authdoctor_profile=/profiles/sandbox.yaml >/dev/null
for _ in $(seq 300); do podman logs authdoctor-check 2>&1 | grep -q "Web server listening" && break; sleep 0.1; done

status=$(http_proxy="http://127.0.0.1:$proxy_port" no_proxy= curl -s -o /dev/null -w '%{http_code}' \
  "http://127.0.0.1:$api_port/v2/devices")
sleep 1
log=$(podman logs authdoctor-check 2>&1)
echo "$log" | grep -q "Web server listening at http://127.0.0.1:$web_port/?token=" \
  || { echo "container check: the web UI did not start with a token:"; echo "$log"; exit 1; }
echo "$log" | grep -q "authdoctor: GET http://127.0.0.1:$api_port/v2/devices -> 401: missing_authorization" \
  || { echo "container check: no annotation (status $status):"; echo "$log"; exit 1; }
user=$(podman exec authdoctor-check id -un)
[ "$user" = authdoctor ] || { echo "container check: runs as $user, not authdoctor"; exit 1; }
echo "container check: image built, request annotated, runs as $user"
echo "container: 1 passed, 0 failed"
