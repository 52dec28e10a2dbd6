#!/usr/bin/env bash
# Runs every crossrun test on a Debian 12 machine: installs the system packages it needs, builds the Examples
# (cross-compiled Rust and C test programs) and the Debian package (make deb), then runs the unit and end-to-end
# tests (real qemu, real binaries).
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh --filter X # passed on to swift test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
# Debian's Rust 1.63 (with the cross std) must win over a rustup toolchain earlier in PATH.
export PATH="/usr/bin:$PATH"
bash Examples/build.sh
# End-to-end tests fail, rather than skip, when a tool they need is missing.
export CROSSRUN_E2E_REQUIRED=1
swift build --build-tests
# The Debian package (release build, then dist/crossrun_<version>_amd64.deb): DebPackageTests checks it, lints it
# and installs it into a fresh Debian root. CROSSRUN_DEB=path tests a .deb built before instead.
if [ -z "${CROSSRUN_DEB:-}" ]; then make deb; fi
swift test --disable-xctest "$@"
