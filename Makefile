# crossrun: build and install.
#
#   make                               release build of crossrun and crossrun-tools (Swift's runtime linked in statically)
#   make install PREFIX=/usr/local     build, then install bin/crossrun and bin/crossrun-tools,
#                                      share/crossrun/{Runners,Sysroots}, docs
#   make uninstall PREFIX=/usr/local   remove what install put there
#   make check-binary                  show both release binaries' dynamic libraries (no Swift runtime among them,
#                                      libstdc++ and libgcc_s not linked by either)
#   make deb                           build, then dist/crossrun_<version>_amd64.deb (scripts/make-deb.sh)
#   make deb BUILT=DIR                 package a crossrun already built in DIR (no build)
#
# crossrun is what cargo starts once per test binary (the run path); crossrun-tools, installed in the same folder,
# holds everything else (doctor, setup, sysroot, report, targets, the embedded wasm runtime, full-system mode's
# boot, the Debian fetcher): crossrun starts it for those. Both are always installed together.
#
# DESTDIR is honoured for packaging. The runner definitions (Runners/) and sysroot manifests (Sysroots/) are
# compiled into the binaries; the copies under share/crossrun are for reference and for overrides: point
# CROSSRUN_RUNNERS_DIR at a folder of edited Runners/*.toml files and they replace the built-in ones by name.
# libxml2 and libarchive stay dynamic system libraries linked by crossrun-tools (Debian: libxml2, libarchive13);
# crossrun itself loads libxml2 with dlopen when it writes the first JUnit report.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/crossrun
DOCDIR ?= $(PREFIX)/share/doc/crossrun
SWIFT ?= swift
SCRATCH ?= .build
CONFIGURATION ?= release
# The C++ runtime (libstdc++: Swift's runtime and TOMLKit's toml++ use it) and the unwinder (libgcc_s) are linked
# in as well, and the executables export no symbols: loading and relocating libstdc++ and libgcc_s at every start
# was about a third of `crossrun --version` (BENCHMARKS.md, start-up, third round). The linker takes libstdc++
# from STATIC_RUNTIME, a folder holding only its static archive, searched before the compiler's own.
STATIC_RUNTIME = $(abspath $(SCRATCH))/static-runtime
LINK_FLAGS ?= -Xswiftc -L$(STATIC_RUNTIME) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc -Xlinker --no-export-dynamic
SWIFT_BUILD_FLAGS ?= -c $(CONFIGURATION) --static-swift-stdlib --scratch-path $(SCRATCH) $(LINK_FLAGS)
# The two executables, each built with `--product` (a plain `swift build` would also build the build tools).
PRODUCTS ?= crossrun crossrun-tools
# The folder holding the built crossrun; `make install-files BUILT=DIR` installs a crossrun built elsewhere.
BUILT ?= $(shell $(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path 2>/dev/null)
INSTALL ?= install
# Where `make deb` puts the .deb.
DEBDIR ?= dist


.PHONY: all build static-runtime bin-path install install-files uninstall check-binary deb clean

all: build

static-runtime:
	@archive="$$($(CC) -print-file-name=libstdc++.a)"; case "$$archive" in /*) ;; \
	  *) echo "make: $(CC) has no libstdc++.a to link in; install g++ (apt-get install g++)" >&2; exit 1;; esac; \
	  mkdir -p "$(STATIC_RUNTIME)" && ln -sf "$$archive" "$(STATIC_RUNTIME)/libstdc++.a"

build: static-runtime
	@for product in $(PRODUCTS); do echo "$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product $$product"; \
	  $(SWIFT) build $(SWIFT_BUILD_FLAGS) --product $$product || exit 1; done

# The folder `make build` puts both executables in (for scripts: Benchmarks/common.sh).
bin-path:
	@$(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path

install: build
	$(MAKE) install-files BUILT="$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)"

install-files:
	@for product in $(PRODUCTS); do test -x "$(BUILT)/$$product" || \
	  { echo "make: no $$product in '$(BUILT)'; run make (or make install) first" >&2; exit 1; }; done
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/Runners" "$(DESTDIR)$(DATADIR)/Sysroots" "$(DESTDIR)$(DOCDIR)/docs"
	$(INSTALL) -m 755 "$(BUILT)/crossrun" "$(DESTDIR)$(BINDIR)/crossrun"
	$(INSTALL) -m 755 "$(BUILT)/crossrun-tools" "$(DESTDIR)$(BINDIR)/crossrun-tools"
	$(INSTALL) -m 644 Runners/*.toml "$(DESTDIR)$(DATADIR)/Runners/"
	$(INSTALL) -m 644 Sysroots/*.toml "$(DESTDIR)$(DATADIR)/Sysroots/"
	$(INSTALL) -m 644 README.md CHANGELOG.md "$(DESTDIR)$(DOCDIR)/"
	$(INSTALL) -m 644 docs/*.md "$(DESTDIR)$(DOCDIR)/docs/"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/crossrun" "$(DESTDIR)$(BINDIR)/crossrun-tools"
	rm -rf "$(DESTDIR)$(DATADIR)" "$(DESTDIR)$(DOCDIR)"

check-binary: build
	@for product in $(PRODUCTS); do \
	  bin="$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)/$$product"; \
	  echo "$$bin:"; ldd "$$bin"; \
	  if ldd "$$bin" | grep -q 'libswiftCore\|libFoundation'; then \
	    echo "make: $$bin links the Swift runtime dynamically" >&2; exit 1; \
	  fi; \
	  if readelf -d "$$bin" | grep NEEDED | grep -q 'libstdc++\|libgcc_s'; then \
	    echo "make: $$bin links libstdc++ or libgcc_s dynamically" >&2; exit 1; \
	  fi; \
	done

# With BUILT given (make deb BUILT=DIR) the crossrun in DIR is packaged as it is; otherwise it is built first.
deb:
ifeq ($(origin BUILT),file)
	$(MAKE) build
	SWIFT="$(SWIFT)" SCRATCH="$(SCRATCH)" bash scripts/make-deb.sh "$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)" "$(DEBDIR)"
else
	SWIFT="$(SWIFT)" SCRATCH="$(SCRATCH)" bash scripts/make-deb.sh "$(BUILT)" "$(DEBDIR)"
endif

clean:
	rm -rf "$(SCRATCH)/$(CONFIGURATION)"
