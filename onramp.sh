#!/usr/bin/env bash
# Onramp's two commands for a fresh Debian 12+ or Ubuntu 22.04+ machine:
#   ./onramp.sh run    install what is missing, build, and open the app (Sandbox mode)
#   ./onramp.sh test   install what is missing and run every test
# Both are idempotent and work as a user (sudo is used for packages), as root, or through
# sudo (packages as root, everything else as the user who ran sudo).
# Other targets: package (build the .deb and .rpm), soak (the long soak), icons (regenerate icons from icons/onramp.svg).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

APT_PACKAGES=(
  build-essential pkg-config curl file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  xvfb webkit2gtk-driver gnome-keyring dbus-x11 libsecret-tools imagemagick xclip
  postgresql openssh-server openssh-client rpm python3 python3-venv iproute2
)
# What only the tests use: the exports' oracles (shellcheck; jq runs the exported scripts).
TEST_PACKAGES=(shellcheck jq)
NEED_RUST="1.90"
NEED_NODE=18

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'onramp: %s\n' "$*" >&2; exit 1; }

check_os() {
  [ "$(uname -s)" = Linux ] || die "this setup supports Debian and Ubuntu only; found $(uname -s)."
  [ -r /etc/os-release ] || die "cannot tell which Linux this is (no /etc/os-release); Debian or Ubuntu is required."
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in
    *" debian "* | *" ubuntu "*) ;;
    *) die "this setup supports Debian 12+ and Ubuntu 22.04+; found ${PRETTY_NAME:-$ID}." ;;
  esac
  command -v apt-get >/dev/null || die "apt-get is missing; Debian or Ubuntu is required."
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "installing packages needs root: run this as root or install sudo."
  fi
}

install_packages() {
  local missing=()
  local wanted=("${APT_PACKAGES[@]}")
  [ "${1:-}" = test ] && wanted+=("${TEST_PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
  [ ${#missing[@]} -eq 0 ] && return
  say "Installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

ensure_rust() {
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  if ! command -v cargo >/dev/null; then
    say "Installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
      || die "Rust is missing and rustup could not be installed; install Rust $NEED_RUST or newer from https://rustup.rs"
    . "$HOME/.cargo/env"
  fi
  local have; have="$(rustc --version | awk '{print $2}')"
  if ! version_ge "$have" "$NEED_RUST"; then
    if command -v rustup >/dev/null; then rustup update stable || true; fi
    have="$(rustc --version | awk '{print $2}')"
    version_ge "$have" "$NEED_RUST" || die "Rust $NEED_RUST or newer is needed; found $have (run: rustup update)."
  fi
}

ensure_node() {
  local major; major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge "$NEED_NODE" ] || die "Node.js $NEED_NODE or newer is needed; found $(node --version)."
  if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    say "Installing the UI's npm packages"
    (cd ui && npm ci --no-audit --no-fund)
  fi
}

# A virtualenv with IBM's Python SDKs (pinned in tests/conformance/requirements.txt).
ensure_python() {
  local venv=build-output/pyvenv req=tests/conformance/requirements.txt
  if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.txt"; then return; fi
  say "Installing IBM's Python SDKs for the conformance suite"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/requirements.txt"
}

ensure_tauri_driver() {
  command -v tauri-driver >/dev/null && return
  say "Installing tauri-driver"
  cargo install tauri-driver --locked
}

# Through sudo: packages as root, then the rest as the user who ran sudo, so build output
# and keychain entries belong to them.
drop_to_user() {
  if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    exec sudo -u "$SUDO_USER" -H \
      --preserve-env=DISPLAY,WAYLAND_DISPLAY,XAUTHORITY,DBUS_SESSION_BUS_ADDRESS,XDG_RUNTIME_DIR,CI,ONRAMP_SOAK_FLOWS,ONRAMP_SOAK_KILLS,ONRAMP_SOAK_SEED \
      bash "$ROOT/onramp.sh" "$@" --as-user
  fi
}

setup() {
  if [ "${AS_USER:-0}" != 1 ]; then
    check_os
    install_packages "${1:-}"
    drop_to_user "$@"
  fi
  ensure_rust
  ensure_node
}

build_ui() {
  say "Building the UI"
  (cd ui && npm run build --silent)
}

# Builds the app binary with the identifier of `kind` (dev or test) so its keychain
# entries and data dir never mix with a release install's.
build_app() {
  local kind="$1"
  say "Building Onramp ($kind build)"
  TAURI_CONFIG="$(cat "tauri.$kind.conf.json")" cargo build --features custom-protocol --bin onramp
  cargo build -p onramp-sandbox --bin onramp-sandbox
}

cmd_run() {
  setup run "$@"
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    die "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset). Run this in a desktop session, or try: xvfb-run ./onramp.sh run"
  fi
  build_ui
  build_app dev
  say "Starting Onramp"
  exec target/debug/onramp
}

# Runs "$@" inside a private D-Bus session with an unlocked gnome-keyring and an Xvfb
# display, with XDG dirs in a temporary folder so no user data or keyring is touched.
in_test_session() {
  local tmp; tmp="$(mktemp -d)"
  mkdir -p "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
  chmod 700 "$tmp/runtime"
  local n=90
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  local display=":$n"
  Xvfb "$display" -screen 0 1200x820x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!
  local status=0
  XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime" \
    DISPLAY="$display" ONRAMP_REQUIRE_KEYRING=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1 \
    dbus-run-session -- bash -c 'printf onramp-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "$@"' _ "$@" \
    || status=$?
  kill "$xvfb" 2>/dev/null || true
  # xdg-document-portal, which D-Bus starts for WebKit, mounts a FUSE file system at
  # $XDG_RUNTIME_DIR/doc; unmount it before removing the folder.
  fusermount -uz "$tmp/runtime/doc" 2>/dev/null || umount -l "$tmp/runtime/doc" 2>/dev/null || true
  rm -rf "$tmp" 2>/dev/null || true
  return "$status"
}

# Runs "$@" in a network namespace of its own with only a loopback interface, so a test
# that tries to reach anything off this machine (which Sandbox mode must never do) fails
# at once instead of quietly succeeding on a machine with a network.
loopback_only() {
  local unshare
  if unshare -n true 2>/dev/null; then unshare=(unshare -n)
  elif unshare -rn true 2>/dev/null; then unshare=(unshare -rn)
  else
    printf 'onramp: cannot make a loopback-only network namespace here; running with the host network\n' >&2
    "$@"
    return
  fi
  "${unshare[@]}" bash -c "$(declare -f in_test_session); ip link set lo up && \"\$@\"" _ "$@"
}

cmd_test() {
  setup test "$@"
  ensure_tauri_driver
  say "Checking Rust formatting and lints"
  cargo fmt --all --check
  build_ui
  cargo clippy --workspace --all-targets --features custom-protocol -- -D warnings
  say "UI: type check and unit tests"
  (cd ui && npm run typecheck --silent && npm test --silent)
  say "Rust tests (real keychain, real sandbox)"
  cargo test --workspace --features custom-protocol --no-run
  loopback_only in_test_session cargo test --workspace --features custom-protocol
  build_app test
  say "Sandbox conformance: IBM's own Python SDKs, OpenSSH and psql against onramp-sandbox"
  ensure_python
  build-output/pyvenv/bin/python -m unittest -v tests/conformance/test_sdk_conformance.py
  say "End-to-end: the real window through tauri-driver"
  rm -rf build-output/screenshots
  loopback_only in_test_session node --test --test-concurrency=1 tests/e2e/account.test.mjs tests/e2e/provision.test.mjs tests/e2e/connect.test.mjs tests/e2e/existing.test.mjs tests/e2e/hostile.test.mjs tests/e2e/single-instance.test.mjs
  cmd_package_inner
  say "Package: the .deb's binary opens its window"
  ONRAMP_DEB="$(ls -t target/release/bundle/deb/Onramp_*.deb | head -n1)" in_test_session node --test tests/e2e/package.test.mjs
  build_empty_app
  say "Bench, quick (2 launches each; figures only, the budget is checked by ./onramp.sh bench)"
  ONRAMP_BENCH_RUNS=2 loopback_only in_test_session node tests/bench/bench.mjs
  say "All tests passed. Screenshots: build-output/screenshots/"
}

cmd_package_inner() {
  build_ui
  say "Building the .deb and .rpm (release)"
  TAURI_APP_PATH="$ROOT" TAURI_FRONTEND_PATH="$ROOT/ui" ui/node_modules/.bin/tauri build --bundles deb,rpm --ci
  ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
}

# The yardstick: bench/empty-app, an empty Tauri app with Onramp's release profile.
build_empty_app() {
  say "Building the empty Tauri app (bench/empty-app) with the same release profile"
  (cd bench/empty-app && CARGO_TARGET_DIR="$ROOT/target" TAURI_APP_PATH="$ROOT/bench/empty-app" \
    TAURI_FRONTEND_PATH="$ROOT/bench/empty-app/dist" "$ROOT/ui/node_modules/.bin/tauri" build --bundles deb --ci)
}

# Onramp against the empty app, in the same run (docs/performance.md). ONRAMP_BENCH_RUNS
# launches of each (default 7), then apply against its critical path.
cmd_bench() {
  setup bench "$@"
  ensure_tauri_driver
  cmd_package_inner
  build_empty_app
  say "Bench: launch, memory, package, validate_plan (${ONRAMP_BENCH_RUNS:-7} launches of each)"
  loopback_only in_test_session node tests/bench/bench.mjs
  say "Bench: apply against the plan's critical path (sandbox, scaled durations)"
  loopback_only in_test_session cargo bench -p onramp-onboarding --bench apply
  say "Bench: cloud API calls of a full flow against its minimum, and polls after the first minute (databases take 100 s)"
  ONRAMP_CALLS_PROVISION_SECONDS=100 loopback_only in_test_session \
    cargo test -p onramp-onboarding --test calls -- --nocapture --test-threads=1
}

cmd_package() {
  setup package "$@"
  cmd_package_inner
}

# The long soak: ONRAMP_SOAK_FLOWS whole flows (default 100) under random faults, and
# ONRAMP_SOAK_KILLS kill-and-restart runs of the engine (default 20); the test command runs a
# short one. ONRAMP_SOAK_SEED repeats a run.
cmd_soak() {
  setup soak "$@"
  say "Soak: ${ONRAMP_SOAK_FLOWS:-100} flows, ${ONRAMP_SOAK_KILLS:-20} kill runs"
  cargo test -p onramp-onboarding --test soak --no-run
  ONRAMP_SOAK_FLOWS="${ONRAMP_SOAK_FLOWS:-100}" ONRAMP_SOAK_KILLS="${ONRAMP_SOAK_KILLS:-20}" \
    loopback_only in_test_session cargo test -p onramp-onboarding --test soak -- --nocapture
}

cmd_icons() {
  setup icons "$@"
  TAURI_APP_PATH="$ROOT" TAURI_FRONTEND_PATH="$ROOT/ui" ui/node_modules/.bin/tauri icon icons/onramp.svg -o icons
  rm -rf icons/android icons/ios icons/Square* icons/StoreLogo.png
}

main() {
  local cmd="${1:-}"
  shift || true
  for arg in "$@"; do [ "$arg" = --as-user ] && export AS_USER=1; done
  case "$cmd" in
    run) cmd_run "$@" ;;
    test) cmd_test "$@" ;;
    package) cmd_package "$@" ;;
    soak) cmd_soak "$@" ;;
    bench) cmd_bench "$@" ;;
    icons) cmd_icons "$@" ;;
    *) die "usage: ./onramp.sh run | test   (also: package, soak, bench, icons)" ;;
  esac
}

main "$@"
