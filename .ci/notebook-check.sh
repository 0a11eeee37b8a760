#!/usr/bin/env bash
# The notebooks against a real gateway: `npm start` on a fresh data dir (dev secret, demo data), then
# examples/notebooks/*.ipynb executed with nbconvert (any failing cell fails this script), the pandas
# read_csv/read_json check, and the README's pandas section run verbatim. The gateway stops on exit.
# Run alone (.ci/notebook-check.sh) or from .ci/run; installs Debian's Jupyter and pandas when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# Debian's interpreter: the one the packages below install into, and the one its python3 kernel runs
# (a pyenv or venv python3 earlier on PATH would not see them).
py=/usr/bin/python3
say() { echo "notebook-check: $*"; }
die() { echo "notebook-check: FAILED: $*" >&2; exit 1; }

packages=(jupyter-nbconvert python3-ipykernel python3-pandas python3-requests)
command -v dpkg >/dev/null || die "needs Debian's dpkg and apt-get to install ${packages[*]}"
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null || die "apt-get update"
  apt-get install -y -q "${missing[@]}" </dev/null || die "apt-get install ${missing[*]}"
fi

# A clean, embedded gateway: the demo seed and a dev secret in a fresh data dir; nothing from the caller's
# environment that would point it elsewhere or make it production.
unset MESHGUARD_JWT_SECRET MESHGUARD_JWT_PUBLIC_KEY_FILE MESHGUARD_JWT_ISSUER MESHGUARD_JWT_AUDIENCE \
  MESHGUARD_STATE_URL MESHGUARD_STATE_SCHEMA MESHGUARD_POLICIES_DIR MESHGUARD_TOKEN NODE_ENV
work=$(mktemp -d)
export MESHGUARD_DATA_DIR="$work/data" HOST=127.0.0.1 LOG_LEVEL=warn
PORT=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT MESHGUARD_URL="http://127.0.0.1:$PORT"
export MESHGUARD_TOKEN_COMMAND="npm --prefix $(printf %q "$root") run -s token -- --sub alice"

gateway=
stop() {
  if [ -n "$gateway" ] && kill -0 "$gateway" 2>/dev/null; then
    kill -TERM -- "-$gateway" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$gateway" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$gateway" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

# setsid: npm and the node it starts get their own process group, so stop() ends both.
setsid npm start >"$work/gateway.log" 2>&1 </dev/null &
gateway=$!
say "gateway starting on $MESHGUARD_URL (data dir $MESHGUARD_DATA_DIR)"
for _ in $(seq 300); do
  kill -0 "$gateway" 2>/dev/null || { cat "$work/gateway.log" >&2; die "the gateway exited before answering /healthz"; }
  health=$(curl -fsS --max-time 2 "$MESHGUARD_URL/healthz" 2>/dev/null) && break
  sleep 0.5
done
case "${health:-}" in *'"status":"ok"'*) say "healthz: $health" ;; *) cat "$work/gateway.log" >&2; die "/healthz: ${health:-no answer}" ;; esac

# The demo orders end in 2026: the report's 90 days end at the newest EU order, not today.
token=$(eval "$MESHGUARD_TOKEN_COMMAND") || die "MESHGUARD_TOKEN_COMMAND"
REPORT_AS_OF=$(curl -fsS -H "Authorization: Bearer $token" \
  "$MESHGUARD_URL/v1/datasets/sales/orders/rows?region=eq.EU&select=created_at&order=created_at.desc&limit=1" |
  "$py" -c 'import json, sys, pandas as pd; print((pd.Timestamp(json.load(sys.stdin)["rows"][0]["created_at"]) + pd.Timedelta(seconds=1)).isoformat())') ||
  die "reading the newest EU order from the JSON API"
export REPORT_AS_OF

for notebook in examples/notebooks/*.ipynb; do
  name=$(basename "$notebook" .ipynb)
  "$py" - "$notebook" <<'PY' || die "$notebook must be committed with its outputs cleared"
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
sys.exit(any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"))
PY
  say "executing $notebook"
  "$py" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
    --output-dir "$work" --output "$name.executed.ipynb" "$notebook" </dev/null || die "a cell of $notebook failed"
  # Its outputs must say it read rows, and never hold a token (a JWT starts with base64url '{"').
  "$py" - "$work/$name.executed.ipynb" "$name" <<'PY' || die "$notebook: outputs"
import re, sys
text = open(sys.argv[1]).read()
assert not re.search(r"eyJ[\w-]{8,}\.eyJ", text), "a token appears in the executed notebook"
if sys.argv[2] == "sales-by-segment":
    found = re.search(r"EU orders in the window: (\d+)", text)
    assert found and int(found.group(1)) > 0, "the notebook read no orders"
PY
done
! grep -rEl 'eyJ[A-Za-z0-9_-]{8,}\.eyJ' examples README.md || die "a token is committed in the files above"

say "pandas read_csv / read_json against the JSON API"
"$py" examples/notebooks/check_pandas_io.py || die "check_pandas_io.py"

say "README: 'Reading a dataset into pandas', verbatim"
"$py" - <<'PY' >"$work/readme_pandas.py"
import re
readme = open("README.md").read()
section = readme.split("### Reading a dataset into pandas", 1)[1]
print(re.search(r"```python\n(.*?)```", section, re.S).group(1))
PY
(cd "$work" && "$py" readme_pandas.py) || die "the README's pandas section"
say "ok"
