#!/usr/bin/env bash
# Inner part of scripts/e2e.sh: under Xvfb, starts tauri-driver, runs the WebDriver test, stops
# the driver cleanly (SIGTERM, so it also stops WebKitWebDriver).
set -euo pipefail
# The app is started by WebKitWebDriver, a child of tauri-driver: the driver itself must see the
# virtual display, so the whole script runs inside xvfb-run.
if [ -z "${VIGIE_E2E_UNDER_XVFB:-}" ]; then
  export VIGIE_E2E_UNDER_XVFB=1
  exec xvfb-run -a -s "-screen 0 1280x800x24" bash "${BASH_SOURCE[0]}" "$@"
fi
# In a fresh network namespace the loopback is down.
if ! ip -o link show lo | grep -q UP; then ip link set lo up; fi
if ip -o addr | grep -v ' lo ' | grep -q inet; then
  [ -n "${VIGIE_EXPECT_NETWORK:-}" ] || echo "(réseau présent : test avec réseau)"
else
  echo "(aucune interface réseau hors loopback)"
fi

port=4444
native=4445
for p in $port $native; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
    echo "port $p already in use: stop the previous tauri-driver or WebKitWebDriver" >&2
    exit 1
  fi
done
tauri-driver --port $port --native-port $native >"${TMPDIR:-/tmp}/tauri-driver.log" 2>&1 &
driver=$!
trap 'kill -TERM $driver 2>/dev/null; wait $driver 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.2
done
export VIGIE_DRIVER_URL="http://127.0.0.1:$port"
"$PYTHON" tests/e2e/test_app.py
