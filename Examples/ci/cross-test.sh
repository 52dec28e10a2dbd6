#!/usr/bin/env bash
# Run a Rust project's tests for other CPUs through crossrun, in any CI (or none): plain shell, Debian or Ubuntu
# with apt-get. Copy it into your project (for example as ci/cross-test.sh). See docs/ci.md.
#
#   cross-test.sh                  install crossrun and the targets' packages, set up, check, test, merge
#   cross-test.sh merge [DIR...]   merge the jobs' report folders (default: every crossrun-reports/*/) into one file,
#                                  and write the cross-target matrix (crossrun-matrix.html, crossrun-matrix.md)
#
# Settings (environment):
#   CROSSRUN_TARGETS     Rust target triples, separated by spaces (default aarch64-unknown-linux-gnu)
#   CROSSRUN_DEB         a crossrun .deb to install: a path or an https URL
#   CROSSRUN_VERSION     else: a released version, from CROSSRUN_DEB_URL ({version} replaced)
#   CROSSRUN_SRC         else: a folder with crossrun's source, built and installed with make install
#                        (none of the three, and crossrun on PATH: that one is used)
#   CROSSRUN_PARTITION   this job's share: ci (from GitLab, Buildkite or CircleCI parallel jobs) or hash:K/N
#   CROSSRUN_REPORT_DIR  this job's report folder (default crossrun-reports/<the CI's job id>)
#   CROSSRUN_MERGED      the merged JUnit file (default crossrun-junit.xml; per job: <report folder>.xml)
# The exit status is cargo's: the tests' (101 when one failed or the build failed), 0 when all passed.
set -euo pipefail

targets=${CROSSRUN_TARGETS:-aarch64-unknown-linux-gnu}
merged=${CROSSRUN_MERGED:-crossrun-junit.xml}
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
apt_install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"; }

# 1. crossrun, qemu-user and what checks fetched sysroots.
packages=(qemu-user-static gpgv debian-archive-keyring)
deb=${CROSSRUN_DEB:-}
if [ -z "$deb" ] && [ -n "${CROSSRUN_VERSION:-}" ]; then
  url=${CROSSRUN_DEB_URL:-https://github.com/your-org/crossrun/releases/download/v{version}/crossrun_{version}_amd64.deb}
  deb=${url//\{version\}/$CROSSRUN_VERSION}
fi
download=""
case "$deb" in https://*|http://*) download=$deb; deb="${TMPDIR:-/tmp}/crossrun-$$.deb"; packages+=(curl ca-certificates) ;; esac
if [ -z "$deb" ] && [ -n "${CROSSRUN_SRC:-}" ]; then
  if ! command -v swift >/dev/null; then
    echo "cross-test.sh: building crossrun from CROSSRUN_SRC needs Swift 6 on PATH; or set CROSSRUN_VERSION" >&2
    exit 1
  fi
  packages+=(make pkg-config libxml2-dev libarchive-dev libcurl4-openssl-dev)
fi
$sudo apt-get update -qq
apt_install "${packages[@]}"
if [ -n "$download" ]; then curl --proto '=https' --tlsv1.2 -fsSL --retry 3 -o "$deb" "$download"; fi
if [ -n "$deb" ]; then
  apt_install "$(realpath -- "$deb")"
elif [ -n "${CROSSRUN_SRC:-}" ]; then
  make -C "$CROSSRUN_SRC" install PREFIX="$HOME/.local"
  export PATH="$HOME/.local/bin:$PATH"
elif ! command -v crossrun >/dev/null; then
  echo "cross-test.sh: no crossrun; set CROSSRUN_DEB, CROSSRUN_VERSION or CROSSRUN_SRC" >&2
  exit 1
fi
crossrun --version

if [ "${1:-}" = merge ]; then
  shift
  if [ $# -eq 0 ]; then
    mkdir -p crossrun-reports
    set -- crossrun-reports/*/
    [ -d "$1" ] || set -- crossrun-reports
  fi
  crossrun report merge --allow-empty "$@" -o "$merged"
  # The cross-target matrix: every test on every target, differences first (docs/matrix.md).
  crossrun report matrix --allow-empty "$@" --html crossrun-matrix.html --markdown crossrun-matrix.md
  # On Buildkite its Markdown becomes the build's annotation.
  if [ -n "${BUILDKITE:-}" ] && [ -f crossrun-matrix.md ] && command -v buildkite-agent >/dev/null; then
    buildkite-agent annotate --style info --context crossrun-matrix < crossrun-matrix.md
  fi
  exit 0
fi

set -f   # the target list is split on spaces, never globbed
# 2. The targets' cross linkers and libraries; runner and linker into .cargo/config.toml; a check per target.
arguments=()
for target in $targets; do arguments+=(--target "$target"); done
# shellcheck disable=SC2046 # one package name a line
apt_install $(crossrun doctor --packages "${arguments[@]}")
for target in $targets; do
  crossrun setup --target "$target"
  crossrun doctor --target "$target"
done

# 3. The tests, this job's share of them; cargo's status is kept.
job=${BUILDKITE_JOB_ID:-${CI_JOB_ID:-${CIRCLE_WORKFLOW_JOB_ID:-local}}}
export CROSSRUN_REPORT_DIR=${CROSSRUN_REPORT_DIR:-$PWD/crossrun-reports/$job}
rm -rf "$CROSSRUN_REPORT_DIR"
status=0
for target in $targets; do
  cargo test --target "$target" --no-fail-fast || status=$?
done

# 4. This job's reports in one file (nothing when the build failed before a test ran: cargo's status stays).
mkdir -p "$CROSSRUN_REPORT_DIR"
crossrun report merge --allow-empty "$CROSSRUN_REPORT_DIR" -o "$CROSSRUN_REPORT_DIR.xml"
exit "$status"
