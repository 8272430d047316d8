#!/usr/bin/env bash
# One idempotent set-up step for `npm start` and `npm test`.
#
#   bash scripts/setup.sh [--for start|test] [-- command args...]
#
# Provides, each only when missing (a fast no-op when everything is present):
#   - npm dependencies (npm ci when node_modules is missing or older than package-lock.json)
#   - Temporal CLI v1.5.1 (TEMPORAL_CLI_PATH, PATH, the cache, a `go install` build, or a download)
#   - a Docker engine (DOCKER_HOST / default socket, else Debian's docker.io + a background dockerd)
#   - the job image (built from images/job/, skipped when an image labelled with its content hash exists)
#   - with --for test: a PostgreSQL server and database for the tests (unless TEST_DATABASE_URL is set)
# After `--`, the command runs with the provided settings exported (TEMPORAL_CLI_PATH,
# SPEC_AUTOMATION_JOB_IMAGE, TEST_DATABASE_URL, ...).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_ROOT"

MODE=start
while [ $# -gt 0 ]; do
  case "$1" in
    --for)
      [ $# -ge 2 ] && { [ "$2" = start ] || [ "$2" = test ]; } || { echo "setup: --for takes 'start' or 'test'" >&2; exit 2; }
      MODE="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "setup: unknown argument '$1' (usage: setup.sh [--for start|test] [-- command...])" >&2; exit 2 ;;
  esac
done

TEMPORAL_CLI_VERSION=1.5.1
CACHE_DIR="${SPEC_AUTOMATION_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/spec-automation}"
export SPEC_AUTOMATION_JOB_IMAGE="${SPEC_AUTOMATION_JOB_IMAGE:-spec-automation-job:local}"
JOB_BASE_IMAGE="${SPEC_AUTOMATION_JOB_BASE_IMAGE:-debian:bookworm-slim}"
LOCAL_BASE_IMAGE=spec-automation-base:bookworm
mkdir -p "$CACHE_DIR"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
SECONDS=0

is_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }

APT_UPDATED=0
apt_install() {
  is_debian_root || return 1
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || return 1
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------- Node.js
ensure_node() {
  command -v node >/dev/null || die "Node.js is not installed: install Node.js 20.19 or newer"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js $(node --version) is too old: Spec Kit Automation needs 20.19 or newer"
}

# ---------------------------------------------------------------- npm dependencies
ensure_npm_dependencies() {
  local stamp=node_modules/.package-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
}

# ---------------------------------------------------------------- Temporal CLI
temporal_version_of() { "$1" --version 2>/dev/null | awk '{print $3}'; }

ensure_temporal_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    [ -x "$TEMPORAL_CLI_PATH" ] || die "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"
    return 0
  fi
  local on_path
  on_path=$(command -v temporal || true)
  if [ -n "$on_path" ] && [ "$(temporal_version_of "$on_path")" = "$TEMPORAL_CLI_VERSION" ]; then
    export TEMPORAL_CLI_PATH="$on_path"
    return 0
  fi
  local dir="$CACHE_DIR/temporal-cli/$TEMPORAL_CLI_VERSION"
  local bin="$dir/temporal"
  if [ -x "$bin" ] && [ "$(temporal_version_of "$bin")" = "$TEMPORAL_CLI_VERSION" ]; then
    export TEMPORAL_CLI_PATH="$bin"
    return 0
  fi
  mkdir -p "$dir"
  if command -v go >/dev/null; then
    # Later tags carry a `replace` directive that `go install pkg@version` refuses; v1.5.1 builds cleanly.
    say "building Temporal CLI v$TEMPORAL_CLI_VERSION with go install (a few minutes, once; log: $dir/build.log)"
    # The release pipeline stamps the version at link time; do the same so the binary reports it.
    if GOBIN="$dir" GOFLAGS=-buildvcs=false go install \
        -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
        "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$dir/build.log" 2>&1 \
      && [ "$(temporal_version_of "$bin")" = "$TEMPORAL_CLI_VERSION" ]; then
      export TEMPORAL_CLI_PATH="$bin"
      say "Temporal CLI built in ${SECONDS}s"
      return 0
    fi
    say "go install failed (see $dir/build.log)"
  fi
  # Same archive the Temporal SDK downloads for its dev server, where the internet is reachable.
  local url="https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=linux&arch=$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')"
  if command -v curl >/dev/null && curl -fsSL --max-time 120 "$url" -o "$dir/temporal.tar.gz" 2>/dev/null \
    && tar -xzf "$dir/temporal.tar.gz" -C "$dir" temporal && [ -x "$bin" ]; then
    export TEMPORAL_CLI_PATH="$bin"
    return 0
  fi
  die "could not provide Temporal CLI v$TEMPORAL_CLI_VERSION. Options: set TEMPORAL_CLI_PATH to a temporal $TEMPORAL_CLI_VERSION binary; put temporal $TEMPORAL_CLI_VERSION on PATH; install Go so set-up can run 'go install github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION'; or allow access to temporal.download."
}

# ---------------------------------------------------------------- Docker engine
docker_answers() { command -v docker >/dev/null && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_docker() {
  if docker_answers; then return 0; fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine, or unset DOCKER_HOST to use the local socket."
  fi
  is_debian_root || die "no Docker engine answers on the default socket, and set-up can only install one on Debian as root. Start Docker or set DOCKER_HOST."
  if ! command -v dockerd >/dev/null; then
    apt_install docker.io || die "could not install Debian's docker.io package"
    # Where an init system runs, the package has started the engine itself.
    sleep 1
    if docker_answers; then return 0; fi
  fi
  if [ -S /var/run/docker.sock ] && ! docker_answers && [ "$(id -u)" != 0 ]; then
    die "the Docker socket exists but does not answer this user: add the user to the docker group (or set DOCKER_HOST)"
  fi
  local log="$CACHE_DIR/dockerd.log"
  say "starting dockerd in the background (log: $log)"
  setsid nohup dockerd >>"$log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 60); do
    if docker_answers; then say "Docker engine up after ${i}s"; return 0; fi
    sleep 1
  done
  die "dockerd did not answer within 60s; see $log"
}

# ---------------------------------------------------------------- job image
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The base image is a build argument. Where it is absent and cannot be pulled (no registry
# reachable), build an equivalent from Debian packages and use that under a local name.
resolve_base_image() {
  if image_exists "$JOB_BASE_IMAGE"; then echo "$JOB_BASE_IMAGE"; return 0; fi
  if timeout 60 docker pull -q "$JOB_BASE_IMAGE" >/dev/null 2>&1; then echo "$JOB_BASE_IMAGE"; return 0; fi
  if image_exists "$LOCAL_BASE_IMAGE"; then echo "$LOCAL_BASE_IMAGE"; return 0; fi
  say "$JOB_BASE_IMAGE cannot be pulled; building $LOCAL_BASE_IMAGE from Debian packages with mmdebstrap"
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap || die "could not install mmdebstrap to build a base image"
  mmdebstrap --quiet --variant=minbase bookworm - | docker import - "$LOCAL_BASE_IMAGE" >/dev/null \
    || die "mmdebstrap | docker import failed"
  echo "$LOCAL_BASE_IMAGE"
}

ensure_job_image() {
  local ctx="$PROJECT_ROOT/images/job"
  # Extra CA certificates of this host (a corporate or egress proxy) go into the image so that
  # its package installs trust the same TLS chain the host does.
  local extra_ca=()
  if [ -d /usr/local/share/ca-certificates ]; then
    mapfile -t extra_ca < <(find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' | sort)
  fi
  # Extra build args (e.g. "INSTALL_CLAUDE_CODE=true INSTALL_GEMINI_CLI=true") are part of the image's identity.
  local build_args=()
  local arg
  for arg in ${SPEC_AUTOMATION_JOB_BUILD_ARGS:-}; do build_args+=(--build-arg "$arg"); done
  local hash
  hash=$( { (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum); \
            [ ${#extra_ca[@]} -eq 0 ] || sha256sum "${extra_ca[@]}"; \
            echo "build-args: ${SPEC_AUTOMATION_JOB_BUILD_ARGS:-}"; } | sha256sum | cut -c1-16)
  if [ -n "$(docker image ls -q --filter "label=io.spec-automation.content-hash=$hash" "$SPEC_AUTOMATION_JOB_IMAGE" 2>/dev/null)" ]; then
    return 0
  fi
  local base
  base=$(resolve_base_image)
  local build_ctx
  build_ctx=$(mktemp -d)
  trap 'rm -rf "$build_ctx"' RETURN
  cp -R "$ctx/." "$build_ctx/"
  mkdir -p "$build_ctx/extra-ca-certificates"
  [ ${#extra_ca[@]} -eq 0 ] || cp "${extra_ca[@]}" "$build_ctx/extra-ca-certificates/"
  local log="$CACHE_DIR/job-image-build.log"
  say "building job image $SPEC_AUTOMATION_JOB_IMAGE from images/job (base $base; several minutes, once; log: $log)"
  local start=$SECONDS
  if ! DOCKER_BUILDKIT=0 docker build --network host \
      --build-arg "BASE_IMAGE=$base" "${build_args[@]}" \
      --label "io.spec-automation.content-hash=$hash" \
      -t "$SPEC_AUTOMATION_JOB_IMAGE" "$build_ctx" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "job image build failed; full log: $log"
  fi
  say "job image built in $((SECONDS - start))s"
}

# ---------------------------------------------------------------- PostgreSQL for tests
ensure_test_postgres() {
  [ -n "${TEST_DATABASE_URL:-}" ] && return 0
  is_debian_root || die "TEST_DATABASE_URL is unset and set-up can only provide PostgreSQL on Debian as root; set TEST_DATABASE_URL."
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql || die "could not install Debian's postgresql package"
  fi
  local ver
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
    pg_createcluster "$ver" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" main start
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')
  local psql=(runuser -u postgres -- psql -p "$port" -qtAX)
  # The password is no ordinary word: every value of a credential is scrubbed from logs and
  # artifacts, and a password like the role's name would scrub branch names too.
  local password=sa-test-pw-7f3c9e2b41
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='spec_automation'")" != 1 ]; then
    "${psql[@]}" -c "create role spec_automation login createdb password '$password'" >/dev/null
  else
    "${psql[@]}" -c "alter role spec_automation login createdb password '$password'" >/dev/null
  fi
  # Test files each create a database of their own, so they can migrate and write in parallel.
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='spec_automation_test'")" != 1 ]; then
    "${psql[@]}" -c "create database spec_automation_test owner spec_automation" >/dev/null
  fi
  export TEST_DATABASE_URL="postgres://spec_automation:$password@127.0.0.1:$port/spec_automation_test"
}

ensure_node
ensure_npm_dependencies
ensure_temporal_cli
ensure_docker
ensure_job_image
if [ "$MODE" = test ]; then ensure_test_postgres; fi
say "ready in ${SECONDS}s (temporal: $TEMPORAL_CLI_PATH, job image: $SPEC_AUTOMATION_JOB_IMAGE${TEST_DATABASE_URL:+, test database: ${TEST_DATABASE_URL##*@}})"

if [ $# -gt 0 ]; then
  exec "$@"
fi
