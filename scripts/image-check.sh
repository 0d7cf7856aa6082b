#!/usr/bin/env bash
# The Dockerfile's steps, performed in a scratch folder, for CI machines without a Docker engine
# (called by .ci/run). Build stage: the files the Dockerfile copies, a full `npm ci` (Prisma
# client generated, dashboard bundled). Runtime stage: package files, `npm ci --omit=dev
# --ignore-scripts`, the sources plus the build stage's generated client and web/dist, nothing
# else. Then, as the image runs it: `node src/server.ts` directly (no npm), NODE_ENV=production,
# as an unprivileged user (nobody, through setpriv, when run as root), on the embedded database
# in a /data-like folder owned by that user and on Postgres; the HEALTHCHECK command must pass,
# the dashboard must be served from the prebuilt web/dist, and SIGTERM must end it with exit 0.
#   scripts/image-check.sh [postgres-url]
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PGURL=${1:-${CI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
scratch=$(mktemp -d /tmp/image-check.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
chmod 755 "$scratch"

echo "== image build stage (in $scratch/build)"
mkdir -p "$scratch/build"
cp package.json package-lock.json prisma.config.ts "$scratch/build/"
cp -r scripts prisma web "$scratch/build/"
rm -rf "$scratch/build/web/dist"
(cd "$scratch/build" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
test -f "$scratch/build/src/generated/prisma/client.ts" || { echo "build stage: no Prisma client" >&2; exit 1; }
test -f "$scratch/build/web/dist/app.js" || { echo "build stage: no dashboard bundle" >&2; exit 1; }

echo "== image runtime stage (in $scratch/app)"
app=$scratch/app
mkdir -p "$app/src"
cp package.json package-lock.json "$app/"
(cd "$app" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
cp -r src/. "$app/src/"
rm -rf "$app/src/generated"
cp -r "$scratch/build/src/generated" "$app/src/generated"
cp -r "$scratch/build/web" "$app/web"
cp -r prisma "$app/prisma"
for dev in tsx esbuild prisma typescript tap uplot; do
  if [ -e "$app/node_modules/$dev" ]; then echo "runtime stage has the dev dependency $dev" >&2; exit 1; fi
done
echo "runtime node_modules: $(du -sm "$app/node_modules" | cut -f1) MiB, $(ls "$app/node_modules" | wc -l) top-level entries"

# The image's user. As root here: nobody, with a copy of node it can execute (root's cache folder
# may not be reachable for it) and a data folder it owns, like the image's /data owned by node.
node_bin=$(command -v node)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$scratch/bin" && cp "$node_bin" "$scratch/bin/node" && chmod 755 "$scratch/bin/node"
  node_bin=$scratch/bin/node
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  chmod -R a+rX "$app"
fi
mkdir -p "$scratch/data"
[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$scratch/data"
port=$("$node_bin" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
healthcheck="fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

run_image() { # $1 = label, rest: extra env
  local label=$1; shift
  echo "== runtime on $label, as $([ ${#run_as[@]} -gt 0 ] && echo nobody || id -un)"
  (cd "$app" && exec env -i PATH=/usr/bin:/bin HOME=/tmp NODE_ENV=production HOST=127.0.0.1 PORT="$port" DATA_DIR="$scratch/data" \
    MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_MMAP_THRESHOLD_=65536 LOG_LEVEL=info API_KEYS="admin:image-check-admin-key-0123456789,read:image-check-read-key-0123456789" "$@" \
    "${run_as[@]}" "$node_bin" --max-semi-space-size=4 src/server.ts) >"$scratch/$label.log" 2>&1 &
  server_pid=$!
  local ok=0
  for _ in $(seq 1 120); do
    if PORT=$port "$node_bin" -e "$healthcheck"; then ok=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ "$ok" -ne 1 ]; then echo "$label: HEALTHCHECK never passed" >&2; cat "$scratch/$label.log" >&2; exit 1; fi
  echo "$label: HEALTHCHECK passed (/health/ready 200)"
  local dash
  dash=$("$node_bin" -e "fetch('http://127.0.0.1:$port/dashboard/app.js').then(r=>console.log(r.status))")
  [ "$dash" = 200 ] || { echo "$label: dashboard answered $dash (web/dist not used?)" >&2; cat "$scratch/$label.log" >&2; exit 1; }
  echo "$label: dashboard served from the prebuilt web/dist"
  kill -TERM "$server_pid"
  local code=0
  wait "$server_pid" || code=$?
  server_pid=
  grep -q '"shutting down"' "$scratch/$label.log" || { echo "$label: no shutdown logged" >&2; cat "$scratch/$label.log" >&2; exit 1; }
  [ "$code" -eq 0 ] || { echo "$label: exit $code after SIGTERM" >&2; cat "$scratch/$label.log" >&2; exit 1; }
  echo "$label: SIGTERM -> shutdown logged, exit 0"
}

run_image embedded
test -f "$scratch/data/pglite/PG_VERSION" || { echo "embedded: no database in the data folder" >&2; exit 1; }
db=image_check_$$
psql "$PGURL" -qAtc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
run_image postgres DATABASE_URL="${PGURL%/*}/$db"
psql "$PGURL" -qAtc "DROP DATABASE IF EXISTS $db"
echo "image check passed"
