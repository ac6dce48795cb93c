# Shared by tools/test, tools/demo and tools/bench: a local virtualenv with the moto AWS
# emulator, and starting/stopping moto on a free loopback port. Source it; do not run it.

AWSGATE_CACHE="${AWSGATE_CACHE:-$HOME/.cache/awsgate}"
VENV="${AWSGATE_VENV:-$AWSGATE_CACHE/venv}"
MOTO_VERSION_SPEC='moto[server]>=5.1,<6'

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Creates the virtualenv with moto if it is missing or broken.
ensure_moto() {
    if [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c 'import moto' 2>/dev/null; then
        return 0
    fi
    log "installing moto into $VENV (once)"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO_VERSION_SPEC"
}

# The official MCP client SDKs the tests drive awsgate with: the Python SDK into the same
# virtualenv as moto, the TypeScript SDK with npm into the cache folder. Versions are pinned in
# tests/clients/requirements.txt and tests/clients/package.json; a changed pin reinstalls.
ensure_sdks() {
    ensure_moto
    local want
    want="$(grep -v '^#' tests/clients/requirements.txt | tr -d '[:space:]')"
    local have
    have="$("$VENV/bin/python" -m pip show --disable-pip-version-check mcp 2>/dev/null | sed -n 's/^Version: //p' || true)"
    if [ "$have" != "${want#*==}" ]; then
        log "installing the MCP Python SDK ($want) into $VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
    fi
    local node_dir="$AWSGATE_CACHE/node"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "the tests need Node.js and npm (for the MCP TypeScript SDK): install them, e.g. apt-get install -y nodejs npm" >&2
        return 1
    fi
    if ! cmp -s tests/clients/package.json "$node_dir/package.json" || [ ! -d "$node_dir/node_modules/@modelcontextprotocol/sdk" ]; then
        log "installing the MCP TypeScript SDK into $node_dir"
        mkdir -p "$node_dir"
        cp tests/clients/package.json "$node_dir/package.json"
        (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >&2)
    fi
    export AWSGATE_NODE_MODULES="$node_dir/node_modules"
    export AWSGATE_PYTHON="$VENV/bin/python"
}

# The browser tests' parts: Debian's Chromium (installed with apt-get when running as root) and
# Playwright for Python in the test virtualenv (pinned in tests/clients/browser-requirements.txt;
# it drives the system Chromium, its own browser download is never used).
ensure_browser() {
    local chromium="${AWSGATE_CHROMIUM:-/usr/bin/chromium}"
    if [ ! -x "$chromium" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            log "installing Chromium for the console's browser tests (apt-get, once)"
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
        else
            echo "the console's browser tests need Chromium at $chromium: install it (as root: apt-get install -y chromium)," >&2
            echo "point AWSGATE_CHROMIUM at one, or leave those tests out with: tools/test --no-browser" >&2
            return 1
        fi
    fi
    export AWSGATE_CHROMIUM="$chromium"
    local want have
    want="$(grep -v '^#' tests/clients/browser-requirements.txt | tr -d '[:space:]')"
    have="$("$VENV/bin/python" -m pip show --disable-pip-version-check playwright 2>/dev/null | sed -n 's/^Version: //p' || true)"
    if [ "$have" != "${want#*==}" ]; then
        log "installing Playwright for Python ($want) into $VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/clients/browser-requirements.txt
    fi
}

# cargo-deny, which checks the dependency tree against deny.toml; installed from crates.io the
# first time (a few minutes on two cores).
CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
    if cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
        return 0
    fi
    log "installing cargo-deny $CARGO_DENY_VERSION (once)"
    env -u CARGO_TARGET_DIR cargo install --locked --quiet cargo-deny --version "$CARGO_DENY_VERSION"
}

# Waits up to 20 s until the command after the first three arguments succeeds; fails, showing
# the log, when the process `pid` exits first, or when time runs out.
wait_ready() {
    local name="$1" pid="$2" log="$3" i
    shift 3
    for i in $(seq 1 100); do
        "$@" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$log" >&2
            echo "$name exited before it was ready" >&2
            return 1
        fi
        sleep 0.2
    done
    "$@" && return 0
    echo "$name did not become ready" >&2
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts moto on a free loopback port, exports AWS_ENDPOINT_URL and test credentials, and
# arranges for moto to be stopped when the calling script exits, however it exits.
start_moto() {
    ensure_moto
    MOTO_PORT="$(free_port)"
    MOTO_LOG="$(mktemp -t awsgate-moto.XXXXXX.log)"
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
    MOTO_PID=$!
    trap stop_all EXIT
    trap 'exit 130' INT TERM
    wait_ready "moto_server (port $MOTO_PORT)" "$MOTO_PID" "$MOTO_LOG" \
        curl -fs -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"
    export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=AKIAAWSGATEDEMOKEY01
    export AWS_SECRET_ACCESS_KEY="awsgateDemoSecret/NotARealKey+0123456789ab"
    export AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_SESSION_TOKEN
    log "moto AWS emulator on $AWS_ENDPOINT_URL (pid $MOTO_PID)"
}

stop_moto() {
    if [ -n "${MOTO_PID:-}" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    [ -n "${MOTO_LOG:-}" ] && rm -f "$MOTO_LOG"
    MOTO_PID=
}

# A real PostgreSQL for the storage and replica tests: Debian's server (installed with apt-get
# when running as root), a throw-away cluster on a free loopback port, trust authentication for
# the local user `awsgate`. initdb and postgres refuse to run as root, so as root they run as
# the `postgres` user the package creates. Exports AWSGATE_TEST_POSTGRES (a URL to the
# `postgres` database; tests create their own databases next to it).
postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

ensure_postgres() {
    if [ -n "$(postgres_bin)" ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing PostgreSQL for the storage and replica tests (apt-get, once)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    else
        echo "the storage and replica tests need a PostgreSQL server: install it (as root: apt-get install -y postgresql)" >&2
        return 1
    fi
}

start_postgres() {
    ensure_postgres
    local bin run=()
    bin="$(postgres_bin)"
    PG_PORT="$(free_port)"
    PG_DIR="$(mktemp -d -t awsgate-pg.XXXXXX)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U awsgate -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    # TLS, so every test that uses this server connects with sslmode=verify-full against a
    # test CA (awsgate's TLS path is what they exercise).
    postgres_certs "$PG_DIR"
    "${run[@]}" "$bin/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -h 127.0.0.1 -p "$PG_PORT" \
        -c max_connections=200 -c ssl=on -c ssl_cert_file="$PG_DIR/server.crt" \
        -c ssl_key_file="$PG_DIR/server.key" >"$PG_DIR/postgres.log" 2>&1 &
    PG_PID=$!
    trap stop_all EXIT
    trap 'exit 130' INT TERM
    wait_ready "postgres (port $PG_PORT)" "$PG_PID" "$PG_DIR/postgres.log" \
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
    export AWSGATE_TEST_POSTGRES="postgres://awsgate@127.0.0.1:$PG_PORT/postgres?sslmode=verify-full&sslrootcert=$PG_DIR/ca.crt"
    log "PostgreSQL on 127.0.0.1:$PG_PORT (pid $PG_PID)"
}

# A throw-away CA and a server certificate for 127.0.0.1 / localhost, in folder $1.
postgres_certs() {
    local dir="$1"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 2 \
        -subj "/CN=awsgate test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" \
        -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
        -out "$dir/server.crt" -days 2 -extfile "$dir/server.ext" 2>/dev/null
    chmod 600 "$dir/server.key"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/server.key" "$dir/server.crt"
    return 0
}

stop_postgres() {
    if [ -n "${PG_PID:-}" ] && kill -0 "$PG_PID" 2>/dev/null; then
        local run=()
        [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
        # A fast shutdown through pg_ctl: as root, PG_PID is runuser, which does not pass
        # signals on to the server.
        "${run[@]}" "$(postgres_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 \
            || kill -INT "$PG_PID" 2>/dev/null || true
        wait "$PG_PID" 2>/dev/null || true
    fi
    [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
    PG_PID=
}

stop_all() {
    stop_postgres
    stop_moto
}
