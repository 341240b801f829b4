# shellcheck shell=bash
# The private PostgreSQL 15 cluster and Redis under .data/, and .data/env.
# Sourced after common.sh. Entry points: capture_caller_env, setup_servers, start_private_servers,
# stop_started_servers, pg_url, psql_super.
#
# Layout of .data/ (secrets mode 600):
#   env                      export lines: DATABASE_URL DATABASE_OWNER_URL REDIS_URL JWT_SECRET PORT
#   jwt_secret               generated once unless JWT_SECRET is given
#   pg/                      PostgreSQL data dir (or a symlink to /var/tmp/ptool-<hash>/pg, see below)
#   pg_port                  port the private cluster was set up on
#   pg_superuser_password, pg_owner_password, pg_app_password
#   redis/                   redis.conf, redis.pid, redis.log, port
#   demo_tenant              the demo tenant's UUID (written by scripts/run after seed-demo)

PTOOL_ENV_VARS=(DATABASE_URL DATABASE_OWNER_URL REDIS_URL JWT_SECRET PORT)
PG_BIN=${PTOOL_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=postgres # used only when we are root: PostgreSQL refuses to run as root
PG_DEFAULT_PORT=55432
REDIS_DEFAULT_PORT=56379
PTOOL_STARTED_PG=0
PTOOL_STARTED_REDIS=0

# Sets CALLER_<VAR> to each of PTOOL_ENV_VARS the caller set, then unsets the variable.
# A server URL equal to the one in .data/env (a shell that ran `. .data/env`) counts as not
# set, so the private servers stay managed and scripts/test never mistakes the demo database
# for a caller's test database.
capture_caller_env() {
  local var saved
  for var in "${PTOOL_ENV_VARS[@]}"; do
    saved=""
    if [[ -f $PTOOL_DATA/env && $var == *_URL ]]; then
      # shellcheck disable=SC1091
      saved=$(
        unset "$var"
        . "$PTOOL_DATA/env" >/dev/null 2>&1 || true
        printf '%s' "${!var-}"
      )
    fi
    if [[ -n ${!var-} && ${!var} != "$saved" ]]; then
      printf -v "CALLER_$var" '%s' "${!var}"
    else
      printf -v "CALLER_$var" '%s' ""
    fi
    unset "$var"
  done
}

# Serialises set-up between concurrent scripts/run, scripts/test and scripts/ptool.
lock_data_dir() {
  ensure_data_dir
  exec 9>"$PTOOL_DATA/.lock"
  flock 9
}
unlock_data_dir() { exec 9>&-; }

# ---------------------------------------------------------------------------
# PostgreSQL

# Runs a command with only stdin, stdout and stderr open: a daemon must not inherit (and so
# hold for ever) the lock on .data/.lock or a pipe that a caller such as CI waits on.
std_fds_only() {
  (
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    "$@"
  )
}

# Runs a command as the cluster's OS user, from / (its home may not be our cwd's).
as_pg() {
  if is_root; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

pg_url() { # pg_url ROLE DATABASE
  local role=$1 db=$2 pw
  case $role in
    ptool_owner) pw=$(secret_from_file "$PTOOL_DATA/pg_owner_password") ;;
    ptool_app) pw=$(secret_from_file "$PTOOL_DATA/pg_app_password") ;;
    *) die "pg_url: unknown role $role" ;;
  esac
  printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$role" "$pw" "$PG_PORT" "$db"
}

# psql as the private cluster's superuser (password through the environment, not argv).
psql_super() {
  PGPASSWORD=$(secret_from_file "$PTOOL_DATA/pg_superuser_password") PGCONNECT_TIMEOUT=10 \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

# Sets PG_DATA to the cluster's real data directory, creating the directory (not the
# cluster) on first use. As root, the cluster runs as `postgres`, which must be able to reach
# the data directory; when the repo lies below a directory it cannot traverse (/root, say),
# the cluster lives in /var/tmp/ptool-<hash of the repo path>/pg with .data/pg a symlink to it.
pg_locate_data_dir() {
  local link="$PTOOL_DATA/pg"
  if [[ -L $link ]]; then
    PG_DATA=$(readlink -f "$link") || die "$link is a dangling symlink; remove it (and .data/pg_*) to start over"
    [[ -d $PG_DATA ]] || die "$link points to a missing $PG_DATA; remove it to start over"
    return 0
  fi
  if [[ -d $link ]]; then
    PG_DATA=$link
    return 0
  fi

  if is_root; then
    getent passwd "$PG_OS_USER" >/dev/null ||
      die "user '$PG_OS_USER' is missing (it comes with Debian's postgresql-common package)"
    if runuser -u "$PG_OS_USER" -- test -x "$PTOOL_DATA" 2>/dev/null; then
      PG_DATA=$link
    else
      local base
      base="/var/tmp/ptool-$(printf '%s' "$PTOOL_ROOT" | sha256sum | cut -c1-16)"
      PG_DATA="$base/pg"
      log "user $PG_OS_USER cannot reach $PTOOL_DATA; the cluster lives in $PG_DATA"
      if [[ -e $PG_DATA ]]; then
        # Left by an earlier checkout at this same path whose .data is gone: its passwords
        # are lost with it, so it is unusable. Stop it if it runs, then start over.
        log "removing the orphaned cluster in $PG_DATA"
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -s >/dev/null 2>&1 || true
        rm -rf "$PG_DATA"
      fi
      mkdir -p "$base"
      chmod 755 "$base"
      mkdir "$PG_DATA"
      ln -sfn "$PG_DATA" "$link"
    fi
  else
    PG_DATA=$link
  fi
  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  if is_root; then chown "$PG_OS_USER:" "$PG_DATA"; fi
}

pg_initdb() {
  if [[ -n $(ls -A "$PG_DATA") ]]; then
    die "$PG_DATA is not empty but holds no cluster (an interrupted initdb?); remove it and retry"
  fi
  log "creating the private PostgreSQL cluster in $PG_DATA"
  local pw pwfile
  pw=$(secret_from_file "$PTOOL_DATA/pg_superuser_password")
  pwfile=$(mktemp)
  printf '%s\n' "$pw" >"$pwfile"
  if is_root; then chown "$PG_OS_USER:" "$pwfile"; fi
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --no-locale >"$PTOOL_DATA/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$PTOOL_DATA/initdb.log" >&2
    die "initdb failed (log above)"
  fi
  rm -f "$pwfile" "$PTOOL_DATA/initdb.log"
  printf "\ninclude_if_exists = 'ptool.conf'\n" >>"$PG_DATA/postgresql.conf"
  # TCP on 127.0.0.1 only, password (SCRAM) for everyone.
  printf '%s\n' '# TYPE  DATABASE  USER  ADDRESS       METHOD' \
    'host    all       all   127.0.0.1/32  scram-sha-256' >"$PG_DATA/pg_hba.conf"
  if is_root; then chown "$PG_OS_USER:" "$PG_DATA/pg_hba.conf"; fi
  # A new cluster has no demo tenant yet.
  rm -f "$PTOOL_DATA/demo_tenant"
}

# Settings rewritten at every start (the port may change).
pg_write_conf() {
  cat >"$PG_DATA/ptool.conf" <<EOF
# Written by scripts/lib/servers.sh at every start; edits are lost.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
password_encryption = 'scram-sha-256'
synchronous_commit = off
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  if is_root; then chown "$PG_OS_USER:" "$PG_DATA/ptool.conf"; fi
}

pg_is_running() { as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

pg_start() {
  pg_write_conf
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $PG_DATA/server.log)"
  if ! std_fds_only as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 -s; then
    tail -n 20 "$PG_DATA/server.log" >&2 || true
    die "PostgreSQL did not start (log above)"
  fi
  PTOOL_STARTED_PG=1
}

pg_bootstrap() {
  local owner_pw app_pw
  owner_pw=$(secret_from_file "$PTOOL_DATA/pg_owner_password")
  app_pw=$(secret_from_file "$PTOOL_DATA/pg_app_password")
  psql_super -f - <<SQL || die "bootstrapping roles and database failed"
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY['ptool_owner', 'ptool_app']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE ptool_owner WITH LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '$owner_pw';
ALTER ROLE ptool_app WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '$app_pw';
SELECT 'CREATE DATABASE ptool OWNER ptool_owner'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ptool') \gexec
SQL
}

# Picks the port for a private server: the caller's override, else the one it was set up on,
# else the default when free, else the next free one.
pick_port() { # pick_port OVERRIDE STORED DEFAULT
  if [[ -n $1 ]]; then
    printf '%s\n' "$1"
  elif [[ -n $2 ]] && ! port_in_use "$2"; then
    printf '%s\n' "$2"
  else
    local port
    port=$(first_free_port "$3")
    [[ $port == "$3" ]] || warn "port $3 is busy; using $port"
    printf '%s\n' "$port"
  fi
}

# Makes sure the private cluster exists, runs and has the roles and database. Sets PG_PORT.
setup_postgres() {
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 not found in $PG_BIN (Debian package postgresql-15)"
  pg_locate_data_dir
  [[ -f $PG_DATA/PG_VERSION ]] || pg_initdb

  local stored=""
  [[ -f $PTOOL_DATA/pg_port ]] && stored=$(<"$PTOOL_DATA/pg_port")
  if pg_is_running; then
    PG_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid")
    if [[ -n ${PTOOL_PG_PORT:-} && $PTOOL_PG_PORT != "$PG_PORT" ]]; then
      log "restarting PostgreSQL to move it from port $PG_PORT to $PTOOL_PG_PORT"
      as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -s || die "could not stop PostgreSQL"
      PG_PORT=$PTOOL_PG_PORT
      pg_start
    else
      log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    fi
  else
    PG_PORT=$(pick_port "${PTOOL_PG_PORT:-}" "$stored" "$PG_DEFAULT_PORT")
    port_in_use "$PG_PORT" && die "port $PG_PORT is in use by another program; set PTOOL_PG_PORT"
    pg_start
  fi
  printf '%s\n' "$PG_PORT" >"$PTOOL_DATA/pg_port"
  pg_bootstrap
}

# ---------------------------------------------------------------------------
# Redis

REDIS_DIR="$PTOOL_DATA/redis"

redis_ping() { # redis_ping PORT
  [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# True when the pidfile names a live redis-server that answers on REDIS_PORT.
redis_is_running() {
  local pid
  [[ -f $REDIS_DIR/redis.pid ]] || return 1
  pid=$(<"$REDIS_DIR/redis.pid")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null || return 1
  redis_ping "$REDIS_PORT"
}

redis_start() {
  cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by scripts/lib/servers.sh at every start; edits are lost.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$REDIS_DIR/redis.pid"
logfile "$REDIS_DIR/redis.log"
dir "$REDIS_DIR"
save ""
appendonly no
maxmemory 256mb
maxmemory-policy allkeys-lru
EOF
  log "starting Redis on 127.0.0.1:$REDIS_PORT (log: $REDIS_DIR/redis.log)"
  std_fds_only redis-server "$REDIS_DIR/redis.conf" >/dev/null || die "redis-server did not start"
  local i
  for ((i = 0; i < 100; i++)); do
    redis_ping "$REDIS_PORT" && break
    sleep 0.1
  done
  redis_ping "$REDIS_PORT" || {
    tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
    die "Redis did not answer on port $REDIS_PORT (log above)"
  }
  PTOOL_STARTED_REDIS=1
}

# Makes sure the private Redis runs. Sets REDIS_PORT.
setup_redis() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found (Debian package redis-server)"
  mkdir -p "$REDIS_DIR"
  chmod 700 "$REDIS_DIR"
  local stored=""
  [[ -f $REDIS_DIR/port ]] && stored=$(<"$REDIS_DIR/port")
  REDIS_PORT=${stored:-$REDIS_DEFAULT_PORT}
  if redis_is_running; then
    if [[ -n ${PTOOL_REDIS_PORT:-} && $PTOOL_REDIS_PORT != "$REDIS_PORT" ]]; then
      log "restarting Redis to move it from port $REDIS_PORT to $PTOOL_REDIS_PORT"
      redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
      REDIS_PORT=$PTOOL_REDIS_PORT
      redis_start
    else
      log "Redis already running on 127.0.0.1:$REDIS_PORT"
    fi
  else
    REDIS_PORT=$(pick_port "${PTOOL_REDIS_PORT:-}" "$stored" "$REDIS_DEFAULT_PORT")
    port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is in use by another program; set PTOOL_REDIS_PORT"
    redis_start
  fi
  printf '%s\n' "$REDIS_PORT" >"$REDIS_DIR/port"
}

# ---------------------------------------------------------------------------
# Putting it together

# Sets and exports DATABASE_URL, DATABASE_OWNER_URL, REDIS_URL, JWT_SECRET and PORT, from the
# caller (capture_caller_env first) or the private servers, and writes .data/env.
setup_servers() {
  lock_data_dir
  if [[ -n $CALLER_DATABASE_URL || -n $CALLER_DATABASE_OWNER_URL ]]; then
    [[ -n $CALLER_DATABASE_URL && -n $CALLER_DATABASE_OWNER_URL ]] ||
      die "set both DATABASE_URL (application role) and DATABASE_OWNER_URL (owner role, for migrations), or neither"
    log "using the caller's DATABASE_URL and DATABASE_OWNER_URL (no private PostgreSQL)"
    DATABASE_URL=$CALLER_DATABASE_URL
    DATABASE_OWNER_URL=$CALLER_DATABASE_OWNER_URL
    PTOOL_PRIVATE_PG=0
  else
    setup_postgres
    DATABASE_URL=$(pg_url ptool_app ptool)
    DATABASE_OWNER_URL=$(pg_url ptool_owner ptool)
    PTOOL_PRIVATE_PG=1
  fi
  if [[ -n $CALLER_REDIS_URL ]]; then
    log "using the caller's REDIS_URL (no private Redis)"
    REDIS_URL=$CALLER_REDIS_URL
    PTOOL_PRIVATE_REDIS=0
  else
    setup_redis
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    PTOOL_PRIVATE_REDIS=1
  fi
  JWT_SECRET=${CALLER_JWT_SECRET:-$(secret_from_file "$PTOOL_DATA/jwt_secret" 48)}
  PORT=${CALLER_PORT:-8080}
  export DATABASE_URL DATABASE_OWNER_URL REDIS_URL JWT_SECRET PORT
  write_env_file
  unlock_data_dir
}

write_env_file() {
  {
    # shellcheck disable=SC2016 # a literal for the reader
    printf '# Written by scripts/run and scripts/test. Use: . .data/env && psql "$DATABASE_OWNER_URL"\n'
    local var
    for var in "${PTOOL_ENV_VARS[@]}"; do
      printf 'export %s=%q\n' "$var" "${!var}"
    done
    printf 'PTOOL_PRIVATE_PG=%s\nPTOOL_PRIVATE_REDIS=%s\n' "$PTOOL_PRIVATE_PG" "$PTOOL_PRIVATE_REDIS"
  } | write_secret_file "$PTOOL_DATA/env"
}

# Starts the private servers that .data/env refers to if they are stopped (scripts/ptool).
start_private_servers() {
  local private_pg private_redis
  # shellcheck disable=SC1091
  private_pg=$(. "$PTOOL_DATA/env" && printf '%s' "${PTOOL_PRIVATE_PG:-0}")
  # shellcheck disable=SC1091
  private_redis=$(. "$PTOOL_DATA/env" && printf '%s' "${PTOOL_PRIVATE_REDIS:-0}")
  lock_data_dir
  if [[ $private_pg == 1 && -e $PTOOL_DATA/pg ]]; then
    pg_locate_data_dir
    if [[ -f $PG_DATA/PG_VERSION ]] && ! pg_is_running; then
      PG_PORT=$(<"$PTOOL_DATA/pg_port")
      pg_start
    fi
  fi
  if [[ $private_redis == 1 && -f $REDIS_DIR/port ]]; then
    REDIS_PORT=$(<"$REDIS_DIR/port")
    redis_is_running || redis_start
  fi
  unlock_data_dir
}

# Stops the private servers this process started (CI hygiene; never ones it found running).
stop_started_servers() {
  if [[ $PTOOL_STARTED_REDIS == 1 ]]; then
    log "stopping the private Redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [[ $PTOOL_STARTED_PG == 1 ]]; then
    log "stopping the private PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -s >/dev/null 2>&1 || true
  fi
}
