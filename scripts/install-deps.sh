#!/usr/bin/env bash
# Installs the Debian 12 packages slotd needs to build, test and benchmark.
# Only asks apt for what dpkg says is missing, so a second run does nothing.
# Extra package names given as arguments are installed too
# (e.g. `scripts/install-deps.sh clang-14`).
set -euo pipefail

# The one list of packages the project needs. Add new ones here.
packages=(
  build-essential           # g++, make
  cmake
  pkg-config
  libcpp-httplib-dev        # HTTP server and client (pulls libssl, zlib, brotli dev)
  libsimdjson-dev           # request parsing
  libboost-dev              # Boost.Uuid
  libhowardhinnant-date-dev # timestamps
  libbenchmark-dev          # Google Benchmark
  libhiredis-dev            # the Redis store (--store redis://, engine/redis/)
  catch2                    # unit and end-to-end tests (Catch2 v2)
  clang-14                  # libFuzzer targets (tests/fuzz), thread-safety analysis
  clang-format-14           # the layout check (scripts/check-format.sh)
  libclang-rt-14-dev        # libFuzzer and clang's sanitizer runtimes
  python3-venv              # the differential tests' .venv (scripts/python-env.sh)
  chromium                  # the live page's browser test (tests/browser)
  # The benchmarks (bench/http/). They start their own instances of nginx and
  # Redis on free ports as the current user; the system services these
  # packages install (on a machine with systemd, started on ports 80 and
  # 6379) are not used.
  wrk                       # HTTP load generator of every wrk scenario
  curl                      # bench/http/create_limits.sh
  strace                    # system calls per request (bench/http/profile.sh)
  nginx-light               # fixed-body HTTP anchor (bench/http/anchors.sh)
  redis-server              # Lua semaphore anchor (bench/http/anchors.sh); the Redis store's tests
  redis-tools               # redis-benchmark, redis-cli
  linux-perf                # fdatasync counts of bench/durable/run.sh (perf stat)
)
# The browser test's playwright-core comes from npm: Debian's Node.js and npm
# unless a node with npm is already on the PATH.
if ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
packages+=("$@")

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi

# Wait for the dpkg lock rather than fail (a fresh machine may be running
# unattended-upgrades).
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
  apt-get -q -o DPkg::Lock::Timeout=600)
echo "install-deps: installing ${missing[*]}"
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${missing[@]}"
