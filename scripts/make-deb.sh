#!/usr/bin/env bash
# Builds crossrun_<version>_amd64.deb from a crossrun already built (`make deb` builds it first and calls this).
#
#   bash scripts/make-deb.sh BUILT_DIR [OUT_DIR]
#
# BUILT_DIR holds the release crossrun and crossrun-tools (`make`: `swift build -c release --static-swift-stdlib
# --product crossrun`, then `--product crossrun-tools`; `--show-bin-path`); OUT_DIR (default dist/) receives the
# .deb, replacing any older crossrun_*.deb there.
# No network: the man page comes from swift-argument-parser's generate-manual tool (built from the package's
# resolved dependencies with `swift build --product generate-manual`) and the completions from crossrun-tools,
# whose root has every subcommand with its options (crossrun's own root has stand-ins for the ones it forwards
# to crossrun-tools); the Depends from dpkg-shlibdeps on the two stripped binaries. Environment: SWIFT (the swift program), SCRATCH (the build
# folder generate-manual is built in, default .build), MAINTAINER, HOMEPAGE, SOURCE_DATE_EPOCH (the date of the
# changelog entry and the man page; default: the last commit's date).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "make-deb: $*" >&2; exit 1; }

built="${1:-}"
out="${2:-dist}"
[ -n "$built" ] || die "no build folder given; run make deb (or make deb BUILT=DIR with a release crossrun in DIR)"
binary="$built/crossrun"
tools="$built/crossrun-tools"
[ -x "$binary" ] || die "no crossrun in '$built'; run make (or make deb, which builds it) first"
[ -x "$tools" ] || die "no crossrun-tools in '$built' (make builds it beside crossrun); run make (or make deb) first"
for tool in dpkg-deb dpkg-shlibdeps strip gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing; run bash scripts/install-deps.sh (Debian: dpkg-dev, binutils)"
done

SWIFT="${SWIFT:-swift}"
SCRATCH="${SCRATCH:-.build}"
MAINTAINER="${MAINTAINER:-crossrun maintainers <maintainers@users.noreply.r-seed-af8131c1.example>}"
HOMEPAGE="${HOMEPAGE:-https://crossrun.invalid/}"

# The version: Version.swift's semantic version with its pre-release dash turned into Debian's tilde, so
# 0.1.0-dev becomes 0.1.0~dev and sorts before 0.1.0 (a dash would make "dev" a Debian revision).
upstream=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/CrossRunKit/Support/Version.swift)
[ -n "$upstream" ] || die "no version in Sources/CrossRunKit/Support/Version.swift"
version="${upstream/-/\~}"
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version '$upstream' does not map to a Debian version ('$version')"
for executable in "$binary" "$tools"; do
  reported=$("$executable" --version)
  [ "$reported" = "$upstream" ] || die "$executable is version '$reported', the source says '$upstream'; rebuild it (make)"
  if ldd "$executable" | grep -q 'libswiftCore\|libFoundation'; then
    die "$executable links the Swift runtime dynamically; build it with --static-swift-stdlib (make)"
  fi
done

epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"

# Files as `make install-files` lays them out, under /usr.
make --no-print-directory -s install-files BUILT="$built" DESTDIR="$root" PREFIX=/usr BINDIR=/usr/bin \
  DATADIR=/usr/share/crossrun DOCDIR=/usr/share/doc/crossrun >/dev/null
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/crossrun" "$root/usr/bin/crossrun-tools"

doc="$root/usr/share/doc/crossrun"
# CHANGELOG.md is the project's own changelog; Debian's changelog.gz (below) points at it. Both are gzipped, as
# Debian policy asks of changelogs; README.md and docs/*.md stay plain Markdown so their links to each other work
# where they are installed.
gzip -9n "$doc/CHANGELOG.md"
install -m 644 packaging/deb/copyright "$doc/copyright"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "crossrun ($version) unstable; urgency=medium"
  echo
  echo "  * Built from the crossrun sources (git $commit); what changed is in"
  echo "    /usr/share/doc/crossrun/CHANGELOG.md.gz."
  echo
  echo " -- $MAINTAINER  $(date -u -R -d "@$epoch")"
} > "$doc/changelog"
gzip -9n "$doc/changelog"

# The man page, from the argument parser's definitions: generate-manual runs crossrun-tools --experimental-dump-help
# (its root is named crossrun and has every subcommand, so the page is crossrun.1 and covers them all).
echo "make-deb: building swift-argument-parser's generate-manual" >&2
"$SWIFT" build --scratch-path "$SCRATCH" --product generate-manual >"$work/generate-manual.log" 2>&1 ||
  { cat "$work/generate-manual.log" >&2; die "could not build generate-manual (swift build --product generate-manual)"; }
generate_manual="$("$SWIFT" build --scratch-path "$SCRATCH" --show-bin-path)/generate-manual"
mkdir -p "$work/man" "$root/usr/share/man/man1"
"$generate_manual" "$tools" --date "$(date -u -d "@$epoch" +%Y-%m-%d)" --section 1 --output-directory "$work/man"
[ -s "$work/man/crossrun.1" ] || die "generate-manual wrote no crossrun.1"
# generate-manual copies the help's blank lines into the mdoc source, where groff warns about each one: a blank
# line there means a paragraph break, which mdoc spells .Pp.
sed 's/^$/.Pp/' "$work/man/crossrun.1" > "$root/usr/share/man/man1/crossrun.1"
gzip -9n "$root/usr/share/man/man1/crossrun.1"
# crossrun-tools is crossrun's other half, with the same subcommands and options: the same page (a link, as
# dh_installman makes of `.so` pages; lintian wants a page for every program in /usr/bin).
ln -s crossrun.1.gz "$root/usr/share/man/man1/crossrun-tools.1.gz"

# Shell completions, from crossrun-tools (every subcommand with its options; the scripts complete `crossrun`).
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d"
# bash-completion sources its files, so the generated #!/bin/bash line is dropped (lintian:
# bash-completion-with-hashbang).
"$tools" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/crossrun"
"$tools" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_crossrun"
"$tools" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/crossrun.fish"
chmod 644 "$root"/usr/share/bash-completion/completions/crossrun "$root"/usr/share/zsh/vendor-completions/_crossrun \
  "$root"/usr/share/fish/vendor_completions.d/crossrun.fish

# lintian overrides, each under a comment giving its reason: none is needed today (lintian reports no error and
# no warning), so packaging/deb/lintian-overrides does not exist; when it does, it is installed.
if [ -s packaging/deb/lintian-overrides ]; then
  install -D -m 644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/crossrun"
fi

# Depends: the shared libraries the stripped binaries really link, as dpkg-shlibdeps computes them from the
# installed packages' shlibs/symbols files (it needs a debian/control to exist, so it runs in a scratch folder).
mkdir -p "$work/src/debian"
printf 'Source: crossrun\n\nPackage: crossrun\nArchitecture: amd64\n' > "$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/crossrun" "$root/usr/bin/crossrun-tools" 2>"$work/shlibdeps.log") ||
  { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed on the binaries"; }
shlibs="${shlibs#shlibs:Depends=}"
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no shared library dependency"

installed_size=$(du -k -s --apparent-size "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<EOF
Package: crossrun
Version: $version
Architecture: amd64
Maintainer: $MAINTAINER
Installed-Size: $installed_size
Depends: $shlibs, qemu-user-static, gpgv, debian-archive-keyring
Recommends: libcurl4 | libcurl3-gnutls
Suggests: qemu-system-arm, qemu-system-misc, wine, wine64, cargo
Section: devel
Priority: optional
Homepage: $HOMEPAGE
Description: cross-test runner for test binaries built for other machines
 crossrun runs test binaries built for another architecture under the right
 emulator and reports their results: Linux on aarch64, armv7, riscv64, i686,
 powerpc, s390x, mips and more under qemu-user, wasm32-wasip1 under its
 built-in WebAssembly runtime, x86_64 Windows under wine, and bare-metal
 Cortex-M and RISC-V images under qemu-system.
 .
 Set it as cargo's runner (runner = "crossrun" in .cargo/config.toml) and
 "cargo test --target aarch64-unknown-linux-gnu" just works. crossrun reads
 each binary's header, picks the emulator and the sysroot (fetched from a
 Debian mirror and checked with gpgv when none is installed), streams the
 output through unchanged, and writes JUnit XML and results JSON.
EOF

( cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum ) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 755 {} +
mkdir -p "$out"
rm -f "$out"/crossrun_*_amd64.deb
deb="$out/crossrun_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
