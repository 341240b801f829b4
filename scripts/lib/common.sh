# shellcheck shell=bash
# Shared by scripts/run, scripts/test and scripts/ptool: paths, logging, Debian and npm
# packages, and the C++ builds. Sourced, never executed; the caller has `set -euo pipefail`.

PTOOL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
PTOOL_DATA="$PTOOL_ROOT/.data"
PTOOL_API_DIR="$PTOOL_ROOT/apps/api"
PTOOL_BUILD_RELEASE="$PTOOL_ROOT/build/release"
PTOOL_BUILD_DEBUG="$PTOOL_ROOT/build/debug"

# ccache: key on paths relative to the repo so a fresh clone elsewhere (CI) hits the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PTOOL_ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    return 127
  fi
}

# Prints N random bytes as lowercase hex (URL-safe, no quoting needed anywhere).
random_hex() {
  od -An -tx1 -N"${1:-24}" /dev/urandom | tr -d ' \n'
}

# Writes stdin to FILE with mode 600 (created private from the start).
write_secret_file() {
  local file=$1
  (umask 077 && cat >"$file.tmp")
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
}

# Reads FILE, or creates it with fresh random hex first. Prints the content.
secret_from_file() {
  local file=$1 bytes=${2:-24}
  if [[ ! -s $file ]]; then
    random_hex "$bytes" | write_secret_file "$file"
  fi
  chmod 600 "$file"
  tr -d '\n' <"$file"
}

ensure_data_dir() {
  mkdir -p "$PTOOL_DATA"
  # Traversable (not listable secrets: every secret file in it is mode 600) so that the
  # unprivileged `postgres` user can reach .data/pg when we run as root.
  chmod 755 "$PTOOL_DATA"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the first free port in START..START+50.
first_free_port() {
  local port=$1
  while port_in_use "$port"; do
    port=$((port + 1))
    ((port < $1 + 50)) || die "no free port in $1..$((port - 1))"
  done
  printf '%s\n' "$port"
}

# ---------------------------------------------------------------------------
# Debian packages

PTOOL_DEB_PACKAGES=(
  build-essential cmake pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libpq-dev libhiredis-dev libjwt-dev libhowardhinnant-date-dev libspdlog-dev libfmt-dev
  libcli11-dev libvalijson-dev libgtest-dev libbenchmark-dev libssl-dev
  postgresql-15 redis-server wrk
  # the browser tests of apps/web (playwright-core drives Debian's chromium; no downloads)
  chromium fonts-liberation2
)

deb_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

ensure_packages() {
  command -v dpkg-query >/dev/null 2>&1 || die "this script needs Debian 12 (dpkg-query not found)"
  local missing=() pkg
  for pkg in "${PTOOL_DEB_PACKAGES[@]}"; do
    deb_installed "$pkg" || missing+=("$pkg")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  ((${#missing[@]} == 0)) && return 0

  log "installing Debian packages: ${missing[*]}"
  if ! is_root && ! command -v sudo >/dev/null 2>&1; then
    die "missing Debian packages and no sudo to install them; as root run:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    die "apt-get update failed (need root or sudo rights)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"
}

# ---------------------------------------------------------------------------
# npm workspaces

# `npm ci` when node_modules is missing or package-lock.json changed since the last one.
ensure_npm() {
  local lock="$PTOOL_ROOT/package-lock.json" stamp="$PTOOL_ROOT/node_modules/.ptool-lock.sha256"
  [[ -f $lock ]] || die "package-lock.json is missing (run npm install at the repo root)"
  local want
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [[ -d $PTOOL_ROOT/node_modules && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return 0
  fi
  log "npm ci"
  (cd "$PTOOL_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  printf '%s\n' "$want" >"$stamp"
}

# Node's flag that loads tsx: --import needs Node >= 20.6 (or 18.19); older ones use --loader.
tsx_node_flag() {
  local v major minor
  v=$(node -p 'process.versions.node')
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  if ((major > 20 || (major == 20 && minor >= 6) || (major == 18 && minor >= 19))); then
    printf '%s\n' --import=tsx
  else
    printf '%s\n' --loader=tsx
  fi
}

# ---------------------------------------------------------------------------
# C++ builds (apps/api/CMakePresets.json)

build_jobs() { printf '%s\n' "${PTOOL_BUILD_JOBS:-$(nproc)}"; }

# build_preset PRESET BUILD_DIR: configure (cheap when nothing changed) and build.
build_preset() {
  local preset=$1 dir=$2 start=$SECONDS
  log "building $preset (cmake --preset $preset, -j$(build_jobs))"
  (cd "$PTOOL_API_DIR" && cmake --preset "$preset" >/dev/null) ||
    die "cmake configure ($preset) failed; run: cd apps/api && cmake --preset $preset"
  cmake --build "$dir" -j "$(build_jobs)" || die "build ($preset) failed"
  log "built $preset in $((SECONDS - start)) s"
}

build_release() { build_preset release "$PTOOL_BUILD_RELEASE"; }
build_debug() { build_preset debug "$PTOOL_BUILD_DEBUG"; }

# ---------------------------------------------------------------------------
# The web app (apps/web) and its shared types (packages/shared-types)

PTOOL_WEB_DIST="$PTOOL_ROOT/apps/web/dist"

# Regenerates packages/shared-types/src/openapi.ts from apps/api/openapi.json and builds
# apps/web into apps/web/dist (what `ptool serve --web-root` serves). Skipped when dist is
# newer than every input.
build_web() {
  local stamp="$PTOOL_WEB_DIST/.ptool-build-stamp" start=$SECONDS
  if [[ -f $stamp ]] && [[ -z $(find "$PTOOL_ROOT/apps/web/src" "$PTOOL_ROOT/apps/web/index.html" \
    "$PTOOL_ROOT/apps/web/vite.config.ts" "$PTOOL_ROOT/apps/web/package.json" \
    "$PTOOL_ROOT/packages/shared-types/src" "$PTOOL_API_DIR/openapi.json" \
    "$PTOOL_ROOT/package-lock.json" -newer "$stamp" -print -quit 2>/dev/null) ]]; then
    log "web app is up to date (apps/web/dist)"
    return 0
  fi
  log "building the web app (shared types, then vite build)"
  (cd "$PTOOL_ROOT" && npm --silent --workspace packages/shared-types run generate >/dev/null) ||
    die "generating packages/shared-types/src/openapi.ts failed"
  (cd "$PTOOL_ROOT" && npm --silent --workspace apps/web run build) || die "building apps/web failed"
  touch "$stamp"
  log "built the web app in $((SECONDS - start)) s"
}

# Prints the ptool binary to use: release, else debug.
ptool_bin() {
  local b
  for b in "$PTOOL_BUILD_RELEASE/ptool" "$PTOOL_BUILD_DEBUG/ptool"; do
    if [[ -x $b ]]; then
      printf '%s\n' "$b"
      return 0
    fi
  done
  return 1
}

# Prints the last non-empty line of stdin.
last_line() {
  awk 'NF { line = $0 } END { print line }'
}
