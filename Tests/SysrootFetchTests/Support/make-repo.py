#!/usr/bin/env python3
"""Builds a real, signed Debian-layout package repository for crossrun's sysroot-fetch tests.

    make-repo.py OUTDIR [--suite bookworm] [--arch arm64] [--variant NAME]... [--add-deb PATH]... [--force] [--verbose]

OUTDIR/good/ is always built; each --variant NAME adds OUTDIR/NAME/ (`--variant all` adds every variant).
The .deb files are made with the real `dpkg-deb --build` (except the hand-written `malicious*` ones), the indices
are written here (no apt-utils needed), and the Release file is signed with a throwaway GPG key whose public key
goes to OUTDIR/keyring.gpg (binary, for `gpgv --keyring`). A JSON description is printed on stdout; see README.md
beside this file for its shape. Python 3.11 standard library, gpg, gpgv, gpgconf and dpkg-deb are needed.
"""

import argparse
import email.utils
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

JSON_FORMAT_VERSION = 1

# Folders in the many-folders variant's libc6: 20,000 x 4 KiB per entry is 80 MiB against the size cap.
MANY_FOLDERS = 20000

# Fixed times make the .deb files (and so their hashes) the same on every run; only the signatures differ.
SOURCE_DATE_EPOCH = 1700000000

ALL_VARIANTS = [
    "bad-sha",
    "bad-size",
    "bad-signature",
    "other-key",
    "bad-index-hash",
    "missing-package",
    "malicious",
    "malicious-dotdot",
    "malicious-absolute",
    "malicious-symlink",
    "malicious-through-symlink",
    "malicious-hardlink",
    "malicious-device",
    "no-xz",
    "plain-only",
    "expired-key",
    "release-gpg-only",
    "many-folders",
]

# What a client is expected to do with each tree: null = fetch and extract everything successfully.
EXPECTED_FAILURE = {
    "good": None,
    "bad-sha": "deb-sha256",
    "bad-size": "deb-size",
    "bad-signature": "signature",
    "other-key": "signature",
    "bad-index-hash": "index-sha256",
    "missing-package": "missing-package",
    "malicious": "unsafe-archive-entry",
    "malicious-dotdot": "unsafe-archive-entry",
    "malicious-absolute": "unsafe-archive-entry-or-harmless",
    "malicious-symlink": "unsafe-archive-entry",
    "malicious-through-symlink": "unsafe-archive-entry",
    "malicious-hardlink": "unsafe-archive-entry",
    "malicious-device": "unsafe-archive-entry",
    "no-xz": None,
    "plain-only": None,
    "expired-key": "signature",
    "release-gpg-only": None,
    "many-folders": None,
}

VARIANT_DESCRIPTION = {
    "good": "Everything correct and signed with the key in keyring.gpg.",
    "bad-sha": "binary-ARCH Packages lists a wrong SHA256 for libc6 (the index itself is correctly hashed in a "
               "correctly signed Release); the .deb on disk is the good one.",
    "bad-size": "binary-ARCH Packages lists a wrong Size for libc6 (real size + 1); SHA256 is correct.",
    "bad-signature": "InRelease (and Release, so Release.gpg fails too) changed after signing: the Label line "
                     "says 'Crossrun Tampered'. All hashes are still correct, so only the signature check fails.",
    "other-key": "Identical content, but InRelease/Release.gpg are signed by a second key that is NOT in "
                 "keyring.gpg (its public key is in other-keyring.gpg).",
    "bad-index-hash": "Release lists a wrong SHA256 for main/binary-ARCH/Packages.xz only (MD5Sum is right, "
                      "Packages.gz and Packages are right); correctly signed.",
    "missing-package": "libgcc-s1 is neither in binary-ARCH Packages nor in the pool (libc6 still depends on it).",
    "malicious": "libc6's .deb is hand-written (ar + control.tar.xz + data.tar.xz) and holds libc6's good files "
                 "followed by the unsafe entries of every attack; the Packages index lists its correct "
                 "SHA256/Size, so only extraction safety can stop it.",
    "malicious-dotdot": "Like malicious, with only the '../escape' entry.",
    "malicious-absolute": "Like malicious, with only the '/tmp/crossrun-abs-escape' entry.",
    "malicious-symlink": "Like malicious, with only the './lib/evil -> ../../../../etc' symlink.",
    "malicious-through-symlink": "Like malicious, with symlinks to the host's /tmp (relative and absolute) and "
                                 "files written through them.",
    "malicious-hardlink": "Like malicious, with only hard links to ../../../../etc/passwd and /etc/passwd.",
    "malicious-device": "Like malicious, with only a character device node ./dev/crossrun-null (1,3).",
    "no-xz": "No Packages.xz anywhere (neither on disk nor in Release): only Packages.gz and Packages.",
    "plain-only": "Only the uncompressed Packages files (no .xz, no .gz on disk or in Release).",
    "expired-key": "InRelease/Release.gpg signed (in 2020) by a key that expired a day later; its public key IS in "
                   "keyring.gpg, so gpgv exits 0 but reports EXPKEYSIG, which must not count as verified.",
    "release-gpg-only": "No InRelease: only Release with a detached Release.gpg (good signature), as older or "
                        "smaller archives publish.",
    "many-folders": f"libc6's .deb is hand-written and holds its good files plus {MANY_FOLDERS} empty folders "
                    "(a few KiB compressed): under a small size cap (CROSSRUN_SYSROOT_SIZE_CAP) extraction refuses it.",
}

# Per Debian architecture: the GNU triplet and the dynamic loader's file name.
ARCHES = {
    "arm64": ("aarch64-linux-gnu", "ld-linux-aarch64.so.1"),
    "amd64": ("x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
    "armhf": ("arm-linux-gnueabihf", "ld-linux-armhf.so.3"),
    "armel": ("arm-linux-gnueabi", "ld-linux.so.3"),
    "riscv64": ("riscv64-linux-gnu", "ld-linux-riscv64-lp64d.so.1"),
    "i386": ("i386-linux-gnu", "ld-linux.so.2"),
}

COMPONENT = "main"


VERBOSE = False


def log(msg):
    if VERBOSE:
        print(f"make-repo: {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"make-repo: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, **kw):
    log("$ " + " ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        die(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    return p


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def file_digests(path):
    data = open(path, "rb").read()
    return {"sha256": sha256_bytes(data), "md5": hashlib.md5(data).hexdigest(), "size": len(data)}


def filler(label, size):
    """Deterministic, incompressible bytes (so a .deb is big enough for the server's slow mode to matter)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


# ---------------------------------------------------------------------------------------------------------------
# Package definitions


def package_specs(arch, libc_size):
    triplet, ld = ARCHES[arch]
    ld_content = f"crossrun test loader {ld} for {arch}\n".encode()
    libc_content = b"crossrun test libc.so.6 for " + arch.encode() + b"\n" + filler("libc6", libc_size)
    libgcc_content = f"crossrun test libgcc_s.so.1 for {arch}\n".encode()
    rv_ld = "ld-linux-riscv64-lp64d.so.1"
    return [
        {
            "package": "libc6",
            "source": "glibc",
            "version": "2.36-9+deb12u4",
            "architecture": arch,
            "index": f"{COMPONENT}/binary-{arch}",
            "pool_dir": "pool/main/g/glibc",
            "compression": "xz",
            "fields": [
                ("Maintainer", "GNU Libc Maintainers <debian-glibc@lists.debian.org>"),
                ("Depends", "libgcc-s1"),
                ("Section", "libs"),
                ("Priority", "optional"),
                ("Multi-Arch", "same"),
                ("Homepage", "https://www.gnu.org/software/libc/libc.html"),
                ("Description", "GNU C Library: Shared libraries\n"
                                " Contains the standard libraries that are used by nearly all programs on\n"
                                " the system. This package includes shared versions of the standard C library\n"
                                " and the standard math library, as well as many others.\n"
                                " .\n"
                                " (crossrun test fixture: not the real package.)"),
            ],
            "files": [
                {"path": f"./lib/{ld}", "type": "file", "content": ld_content, "mode": 0o755},
                {"path": f"./lib/{triplet}/libc.so.6", "type": "file", "content": libc_content, "mode": 0o644},
                {"path": f"./lib/{triplet}/{ld}", "type": "symlink", "target": f"../{ld}"},
                {"path": f"./lib64/{ld}", "type": "symlink", "target": f"/lib/{ld}"},
            ],
        },
        {
            "package": "libgcc-s1",
            "source": "gcc-12",
            "version": "12.2.0-14",
            "architecture": arch,
            "index": f"{COMPONENT}/binary-{arch}",
            "pool_dir": "pool/main/g/gcc-12",
            "compression": "gzip",
            "fields": [
                ("Maintainer", "Debian GCC Maintainers <debian-gcc@lists.debian.org>"),
                ("Depends", "libc6 (>= 2.35)"),
                ("Section", "libs"),
                ("Priority", "optional"),
                ("Multi-Arch", "same"),
                ("Homepage", "http://gcc.gnu.org/"),
                ("Description", "GCC support library\n"
                                " Shared version of the support library, a library of internal subroutines\n"
                                " that GCC uses to overcome shortcomings of particular machines.\n"
                                " .\n"
                                " (crossrun test fixture: not the real package.)"),
            ],
            "files": [
                {"path": f"./lib/{triplet}/libgcc_s.so.1", "type": "file", "content": libgcc_content,
                 "mode": 0o644},
            ],
        },
        {
            "package": "libc6-riscv64-cross",
            "source": "cross-toolchain-base-ports",
            "version": "2.36-8cross1",
            "architecture": "all",
            "index": f"{COMPONENT}/binary-all",
            "pool_dir": "pool/main/c/cross-toolchain-base-ports",
            "compression": "zstd",
            "fields": [
                ("Maintainer", "Ubuntu Core developers <ubuntu-devel-discuss@lists.ubuntu.com>"),
                ("Section", "libs"),
                ("Priority", "optional"),
                ("Multi-Arch", "foreign"),
                ("Description", "GNU C Library: Shared libraries (for cross-compiling)\n"
                                " Contains the standard libraries that are used by nearly all programs on\n"
                                " the system. This package is for cross-compiling.\n"
                                " .\n"
                                " (crossrun test fixture: not the real package.)"),
            ],
            "files": [
                {"path": f"./usr/riscv64-linux-gnu/lib/{rv_ld}", "type": "file",
                 "content": f"crossrun test loader {rv_ld} for riscv64\n".encode(), "mode": 0o755},
                {"path": "./usr/riscv64-linux-gnu/lib/libc.so.6", "type": "file",
                 "content": b"crossrun test libc.so.6 for riscv64\n", "mode": 0o644},
            ],
        },
        {
            "package": "libgcc-s1-riscv64-cross",
            "source": "gcc-12-cross-ports",
            "version": "12.2.0-14cross1",
            "architecture": "all",
            "index": f"{COMPONENT}/binary-all",
            "pool_dir": "pool/main/g/gcc-12-cross-ports",
            "compression": "xz",
            "fields": [
                ("Maintainer", "Debian GCC Maintainers <debian-gcc@lists.debian.org>"),
                ("Depends", "libc6-riscv64-cross (>= 2.35)"),
                ("Section", "libs"),
                ("Priority", "optional"),
                ("Multi-Arch", "foreign"),
                ("Description", "GCC support library (riscv64)\n"
                                " Shared version of the support library (for cross-compiling).\n"
                                " .\n"
                                " (crossrun test fixture: not the real package.)"),
            ],
            "files": [
                {"path": "./usr/riscv64-linux-gnu/lib/libgcc_s.so.1", "type": "file",
                 "content": b"crossrun test libgcc_s.so.1 for riscv64\n", "mode": 0o644},
            ],
        },
    ]


# A fake arm64 kernel `Image`: its header's magic "ARM\x64" at offset 56 is all crossrun checks; it does not boot.
KERNEL_ABI = "6.1.0-99-arm64"


def fake_arm64_image(size=8192):
    header = bytearray(filler("vmlinuz", 64))
    header[56:60] = b"ARM\x64"
    return bytes(header) + filler("vmlinuz-body", size - 64)


def kernel_spec(arch, package, depends, summary, files):
    """One package of linux-signed-arm64 (the metapackage or the kernel it depends on)."""
    return {
        "package": package,
        "source": "linux-signed-arm64",
        "version": "6.1.99-1",
        "architecture": arch,
        "index": f"{COMPONENT}/binary-{arch}",
        "pool_dir": "pool/main/l/linux-signed-arm64",
        "compression": "xz",
        "fields": [
            ("Maintainer", "Debian Kernel Team <debian-kernel@lists.debian.org>"),
            ("Depends", depends),
            ("Section", "kernel"),
            ("Priority", "optional"),
            ("Description", f"{summary}\n .\n (crossrun test fixture: not the real package.)"),
        ],
        "files": [{"path": path, "type": "file", "content": content, "mode": 0o644} for path, content in files],
    }


def system_specs(arch):
    """System mode's kernel (a metapackage and the real package it depends on) and busybox-static."""
    return [
        kernel_spec(arch, "linux-image-arm64", f"linux-image-{KERNEL_ABI} (= 6.1.99-1)",
                    "Linux for 64-bit ARMv8 machines (meta-package)",
                    [("./usr/share/doc/linux-image-arm64/README", b"crossrun test metapackage\n")]),
        kernel_spec(arch, f"linux-image-{KERNEL_ABI}",
                    "kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool",
                    f"Linux {KERNEL_ABI[:-6]} for 64-bit ARMv8 machines (signed)",
                    [(f"./boot/System.map-{KERNEL_ABI}", b"ffff800008000000 T _text\n"),
                     (f"./boot/vmlinuz-{KERNEL_ABI}", fake_arm64_image()),
                     (f"./lib/modules/{KERNEL_ABI}/kernel/crossrun-test.ko", b"crossrun test module\n")]),
        {
            "package": "busybox-static",
            "source": "busybox",
            "version": "1.35.0-4+b3",
            "architecture": arch,
            "index": f"{COMPONENT}/binary-{arch}",
            "pool_dir": "pool/main/b/busybox",
            "compression": "xz",
            "fields": [
                ("Maintainer", "Debian Install System Team <debian-boot@lists.debian.org>"),
                ("Section", "shells"),
                ("Priority", "optional"),
                ("Homepage", "http://www.busybox.net"),
                ("Description", "Standalone rescue shell with tons of builtin utilities\n"
                                " BusyBox combines tiny versions of many common UNIX utilities into a single\n"
                                " small executable.\n"
                                " .\n"
                                " (crossrun test fixture: not the real package.)"),
            ],
            "files": [
                {"path": "./bin/busybox", "type": "file", "content": b"crossrun test busybox\n" + filler("busybox", 4096),
                 "mode": 0o755},
                {"path": "./usr/share/doc/busybox-static/copyright", "type": "file",
                 "content": b"crossrun test fixture\n", "mode": 0o644},
            ],
        },
    ]


def deb_name(spec):
    return f"{spec['package']}_{spec['version']}_{spec['architecture']}.deb"


def pool_path(spec):
    return f"{spec['pool_dir']}/{deb_name(spec)}"


def control_text(spec, installed_size):
    lines = [
        f"Package: {spec['package']}",
        f"Source: {spec['source']}",
        f"Version: {spec['version']}",
        f"Architecture: {spec['architecture']}",
        f"Installed-Size: {installed_size}",
    ]
    lines += [f"{k}: {v}" for k, v in spec["fields"]]
    return "\n".join(lines) + "\n"


def installed_size(spec):
    total = sum(len(f.get("content", b"")) for f in spec["files"])
    return max(1, (total + 1023) // 1024)


def build_deb_with_dpkg(spec, workdir, outdir, compression, dpkg_deb_supports):
    """Builds a real .deb with `dpkg-deb --build` and returns its path."""
    tree = os.path.join(workdir, "tree-" + spec["package"])
    os.makedirs(os.path.join(tree, "DEBIAN"))
    for f in spec["files"]:
        dest = os.path.join(tree, f["path"][2:])
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if f["type"] == "file":
            with open(dest, "wb") as fh:
                fh.write(f["content"])
            os.chmod(dest, f["mode"])
        elif f["type"] == "symlink":
            os.symlink(f["target"], dest)
        else:
            raise ValueError(f["type"])
    with open(os.path.join(tree, "DEBIAN", "control"), "w") as fh:
        fh.write(control_text(spec, installed_size(spec)))
    md5sums = "".join(
        f"{hashlib.md5(f['content']).hexdigest()}  {f['path'][2:]}\n" for f in spec["files"] if f["type"] == "file"
    )
    with open(os.path.join(tree, "DEBIAN", "md5sums"), "w") as fh:
        fh.write(md5sums)
    # Directories as dpkg-deb expects them (0755), whatever the umask.
    for dirpath, dirnames, _ in os.walk(tree):
        os.chmod(dirpath, 0o755)
    if compression not in dpkg_deb_supports:
        compression = "xz"
    out = os.path.join(outdir, deb_name(spec))
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(SOURCE_DATE_EPOCH))
    run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", tree, out], env=env)
    return out, compression


def dpkg_deb_compressions():
    p = subprocess.run(["dpkg-deb", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = p.stdout.decode(errors="replace")
    supported = {"xz", "gzip"}
    for line in text.splitlines():
        if "Allowed types:" in line and "zstd" in line:
            supported.add("zstd")
    return supported


# ---------------------------------------------------------------------------------------------------------------
# The hand-written malicious .deb


def ar_member(name, data, mtime=SOURCE_DATE_EPOCH, mode=0o100644):
    if len(name) > 16:
        raise ValueError(name)
    header = (
        name.ljust(16).encode()
        + str(mtime).ljust(12).encode()
        + b"0".ljust(6)
        + b"0".ljust(6)
        + oct(mode)[2:].ljust(8).encode()
        + str(len(data)).ljust(10).encode()
        + b"`\n"
    )
    assert len(header) == 60
    return header + data + (b"\n" if len(data) % 2 else b"")


def tar_xz(entries):
    """entries: list of (TarInfo, bytes or None). Returns data of a .tar.xz."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in entries:
            info.mtime = SOURCE_DATE_EPOCH
            info.uname = info.gname = "root"
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)


def tinfo(name, type_=tarfile.REGTYPE, mode=0o644, size=0, linkname="", devmajor=0, devminor=0):
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.mode = mode
    ti.size = size
    ti.linkname = linkname
    ti.devmajor = devmajor
    ti.devminor = devminor
    return ti


DEEP = "../" * 16  # more levels than any extraction folder is deep: resolves to / from anywhere
EVIL_PAYLOAD = b"crossrun: this file must never be written outside the sysroot\n"

# Unsafe entries per attack. `lands_at_if_unsafe`: where a naive extractor would write (relative paths are
# relative to the extraction folder); a test checks that none of these exist afterwards.
ATTACKS = {
    "dotdot": [
        {"name": "../escape", "type": "file", "lands_at_if_unsafe": "../escape",
         "why": "parent-relative path: lands in the extraction folder's parent"},
    ],
    "absolute": [
        {"name": "/tmp/crossrun-abs-escape", "type": "file", "lands_at_if_unsafe": "/tmp/crossrun-abs-escape",
         "why": "absolute path: lands in the host's /tmp unless made root-relative (then it is harmless, "
                "at <root>/tmp/crossrun-abs-escape)"},
    ],
    "symlink": [
        {"name": "./lib/evil", "type": "symlink", "linkname": "../../../../etc",
         "why": "relative symlink whose target climbs out of the extraction folder"},
    ],
    "through-symlink": [
        {"name": "./lib/tmp-link", "type": "symlink", "linkname": DEEP + "tmp",
         "why": "relative symlink climbing out to the host's /tmp"},
        {"name": "./lib/tmp-link/crossrun-through-symlink-escape", "type": "file",
         "lands_at_if_unsafe": "/tmp/crossrun-through-symlink-escape",
         "why": "regular file written THROUGH the relative symlink above"},
        {"name": "./lib/abs-tmp-link", "type": "symlink", "linkname": "/tmp",
         "why": "absolute symlink (legitimate form: root-relative, i.e. <root>/tmp)"},
        {"name": "./lib/abs-tmp-link/crossrun-through-abs-symlink-escape", "type": "file",
         "lands_at_if_unsafe": "/tmp/crossrun-through-abs-symlink-escape",
         "why": "regular file written THROUGH the absolute symlink above (lands in the host's /tmp if the "
                "extractor follows it)"},
    ],
    "hardlink": [
        {"name": "./lib/hardlink-escape", "type": "hardlink", "linkname": "../../../../etc/passwd",
         "why": "hard link whose target climbs out of the extraction folder"},
        {"name": "./lib/hardlink-abs", "type": "hardlink", "linkname": "/etc/passwd",
         "why": "hard link to an absolute path (the host's /etc/passwd unless made root-relative)"},
    ],
    "device": [
        {"name": "./dev/crossrun-null", "type": "chardev", "devmajor": 1, "devminor": 3,
         "why": "character device node (like /dev/null)"},
    ],
}

MALICIOUS_VARIANTS = {"malicious": list(ATTACKS)}
MALICIOUS_VARIANTS.update({f"malicious-{a}": [a] for a in ATTACKS})


def build_malicious_deb(spec, outdir, attacks, extra_folders=0):
    """libc6 with its good files plus the unsafe entries of `attacks`, written by hand (ar + tar) because
    dpkg-deb refuses to make these. Returns (path, entries, member names in order)."""
    data_entries = []
    seen_dirs = set()

    def add_dirs(path):
        if not path.startswith("./"):
            return
        parts = path[2:].split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "./" + "/".join(parts[:i]) + "/"
            if d not in seen_dirs:
                seen_dirs.add(d)
                data_entries.append((tinfo(d, tarfile.DIRTYPE, 0o755), None))

    data_entries.append((tinfo("./", tarfile.DIRTYPE, 0o755), None))
    for f in spec["files"]:
        add_dirs(f["path"])
        if f["type"] == "file":
            data_entries.append((tinfo(f["path"], mode=f["mode"], size=len(f["content"])), f["content"]))
        else:
            data_entries.append((tinfo(f["path"], tarfile.SYMTYPE, 0o777, linkname=f["target"]), None))
    if extra_folders:
        data_entries.append((tinfo("./usr/", tarfile.DIRTYPE, 0o755), None))
        data_entries.append((tinfo("./usr/share/", tarfile.DIRTYPE, 0o755), None))
        data_entries.append((tinfo("./usr/share/many/", tarfile.DIRTYPE, 0o755), None))
        for number in range(extra_folders):
            data_entries.append((tinfo(f"./usr/share/many/{number:05d}/", tarfile.DIRTYPE, 0o755), None))
    malicious = [dict(m, attack=a) for a in attacks for m in ATTACKS[a]]
    evil_payload = EVIL_PAYLOAD
    for m in malicious:
        if m["type"] == "file":
            data_entries.append((tinfo(m["name"], size=len(evil_payload)), evil_payload))
        elif m["type"] == "symlink":
            data_entries.append((tinfo(m["name"], tarfile.SYMTYPE, 0o777, linkname=m["linkname"]), None))
        elif m["type"] == "hardlink":
            data_entries.append((tinfo(m["name"], tarfile.LNKTYPE, 0o644, linkname=m["linkname"]), None))
        elif m["type"] == "chardev":
            add_dirs(m["name"])
            data_entries.append((tinfo(m["name"], tarfile.CHRTYPE, 0o666, devmajor=m["devmajor"],
                                       devminor=m["devminor"]), None))
    control = control_text(spec, installed_size(spec)).encode()
    control_xz = tar_xz([
        (tinfo("./", tarfile.DIRTYPE, 0o755), None),
        (tinfo("./control", size=len(control)), control),
    ])
    data_xz = tar_xz(data_entries)
    deb = (
        b"!<arch>\n"
        + ar_member("debian-binary", b"2.0\n")
        + ar_member("control.tar.xz", control_xz)
        + ar_member("data.tar.xz", data_xz)
    )
    label = ["malicious", *attacks] if not extra_folders else ["many-folders"]
    out = os.path.join(outdir, "-".join(label) + "-" + deb_name(spec))
    with open(out, "wb") as fh:
        fh.write(deb)
    for m in malicious:
        m["payload"] = evil_payload.decode() if m["type"] == "file" else None
    return out, malicious, [info.name for info, _ in data_entries]


# ---------------------------------------------------------------------------------------------------------------
# GPG


class GPGKey:
    def __init__(self, workdir, name, uid, expired=False):
        self.home = os.path.join(workdir, "gnupg-" + name)
        os.makedirs(self.home, mode=0o700)
        self.base = ["gpg", "--homedir", self.home, "--batch", "--no-tty", "--quiet", "--pinentry-mode", "loopback",
                     "--passphrase", ""]
        if expired:
            # Made and used on 2020-01-01, valid for one day: expired ever since.
            self.base += ["--faked-system-time", "20200101T000000"]
        run(self.base + ["--quick-gen-key", uid, "ed25519", "sign", "1d" if expired else "never"])
        out = run(self.base + ["--with-colons", "--list-secret-keys"]).stdout.decode()
        self.fingerprint = next(l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:"))
        self.uid = uid

    def export(self, path):
        data = run(self.base + ["--export", self.fingerprint]).stdout
        if not data:
            die("gpg --export produced nothing")
        with open(path, "wb") as fh:
            fh.write(data)

    def clearsign(self, src, dst):
        run(self.base + ["--yes", "--digest-algo", "SHA512", "--local-user", self.fingerprint, "--clearsign",
                         "--output", dst, src])

    def detach_sign(self, src, dst):
        run(self.base + ["--yes", "--digest-algo", "SHA512", "--local-user", self.fingerprint, "--armor",
                         "--detach-sign", "--output", dst, src])

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def gpgv_ok(keyring, *files):
    p = subprocess.run(["gpgv", "--keyring", keyring, *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode == 0, p.stderr.decode(errors="replace")


def real_deb(path):
    """A real .deb given with --add-deb: its control paragraph (from dpkg-deb -f) and where it goes in the pool."""
    control = subprocess.run(["dpkg-deb", "-f", path], check=True, capture_output=True, text=True).stdout
    fields = {}
    for line in control.splitlines():
        if line and not line[0].isspace() and ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    for key in ("Package", "Version", "Architecture"):
        if key not in fields:
            die(f"{path} has no {key} field")
    source = fields.get("Source", fields["Package"]).split(" ")[0]
    return {
        "path": os.path.abspath(path),
        "package": fields["Package"],
        "version": fields["Version"],
        "architecture": fields["Architecture"],
        "source": source,
        "control": control.rstrip("\n") + "\n",
        "index": f"{COMPONENT}/binary-{fields['Architecture']}",
        "filename": f"pool/{COMPONENT}/{source[0]}/{source}/{os.path.basename(path)}",
    }


# ---------------------------------------------------------------------------------------------------------------
# Indices


def packages_stanza(spec, deb, listed_sha256, listed_size):
    lines = [
        f"Package: {spec['package']}",
        f"Source: {spec['source']}",
        f"Version: {spec['version']}",
        f"Installed-Size: {installed_size(spec)}",
    ]
    fields = dict(spec["fields"])
    lines.append(f"Maintainer: {fields['Maintainer']}")
    lines.append(f"Architecture: {spec['architecture']}")
    for k in ("Multi-Arch", "Depends", "Homepage"):
        if k in fields:
            lines.append(f"{k}: {fields[k]}")
    lines.append(f"Description: {fields['Description']}")
    lines.append(f"Description-md5: {hashlib.md5((fields['Description'] + chr(10)).encode()).hexdigest()}")
    for k in ("Section", "Priority"):
        lines.append(f"{k}: {fields[k]}")
    lines += [
        f"Filename: {pool_path(spec)}",
        f"Size: {listed_size}",
        f"MD5sum: {deb['md5']}",
        f"SHA256: {listed_sha256}",
    ]
    return "\n".join(lines) + "\n"


def wrong_sha256(sha):
    return sha[:-8] + ("deadbeef" if sha[-8:] != "deadbeef" else "feedface")


def write_repo(root, variant, args, specs, built, malicious_debs, key, other_key, expired_key=None, extra_debs=()):
    dists = os.path.join(root, "dists", args.suite)
    os.makedirs(dists)
    compressions = {"no-xz": ["", ".gz"], "plain-only": [""]}.get(variant, ["", ".gz", ".xz"])
    packages_json = {}
    by_index = {}
    for spec in specs:
        if variant == "missing-package" and spec["package"] == "libgcc-s1":
            continue
        by_index.setdefault(spec["index"], []).append(spec)
    for index in (f"{COMPONENT}/binary-{args.arch}", f"{COMPONENT}/binary-all"):
        by_index.setdefault(index, [])
    for extra in extra_debs:
        by_index.setdefault(extra["index"], [])
    index_files = []  # paths relative to dists/<suite>
    for index, index_specs in sorted(by_index.items()):
        stanzas = []
        # Real packages (--add-deb): their own control paragraph, then where the pool has them.
        for extra in (e for e in extra_debs if e["index"] == index):
            dest = os.path.join(root, extra["filename"])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(extra["path"], dest)
            dig = file_digests(dest)
            stanzas.append(extra["control"] + f"Filename: {extra['filename']}\nSize: {dig['size']}\n"
                           f"MD5sum: {dig['md5']}\nSHA256: {dig['sha256']}\n")
            packages_json[extra["package"]] = {
                "package": extra["package"], "version": extra["version"], "architecture": extra["architecture"],
                "source": extra["source"], "component": COMPONENT, "index": index, "filename": extra["filename"],
                "sha256": dig["sha256"], "size": dig["size"], "listed_sha256": dig["sha256"],
                "listed_size": dig["size"], "built_with": "real package (--add-deb)",
            }
        for spec in sorted(index_specs, key=lambda s: s["package"]):
            src = built[spec["package"]]["path"]
            deb_entry = {}
            if variant in malicious_debs and spec["package"] == "libc6":
                mdeb = malicious_debs[variant]
                src = mdeb["path"]
                deb_entry["malicious_entries"] = mdeb["entries"]
                deb_entry["data_tar_members"] = mdeb["members"]
            rel = pool_path(spec)
            dest = os.path.join(root, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(src, dest)
            dig = file_digests(dest)
            listed_sha = dig["sha256"]
            listed_size = dig["size"]
            if variant == "bad-sha" and spec["package"] == "libc6":
                listed_sha = wrong_sha256(listed_sha)
            if variant == "bad-size" and spec["package"] == "libc6":
                listed_size += 1
            stanzas.append(packages_stanza(spec, dig, listed_sha, listed_size))
            files = []
            for f in spec["files"]:
                e = {"path": f["path"], "type": f["type"]}
                if f["type"] == "file":
                    e["size"] = len(f["content"])
                    e["sha256"] = sha256_bytes(f["content"])
                    e["mode"] = oct(f["mode"])[2:].rjust(4, "0")
                    text = f["content"].decode("latin-1")
                    e["content"] = text if all(c == "\n" or (c.isascii() and c.isprintable()) for c in text) else None
                else:
                    e["target"] = f["target"]
                files.append(e)
            packages_json[spec["package"]] = {
                "package": spec["package"],
                "version": spec["version"],
                "architecture": spec["architecture"],
                "source": spec["source"],
                "depends": dict(spec["fields"]).get("Depends"),
                "component": COMPONENT,
                "index": index,
                "filename": rel,
                "sha256": dig["sha256"],
                "size": dig["size"],
                "listed_sha256": listed_sha,
                "listed_size": listed_size,
                "data_compression": built[spec["package"]]["compression"] if not deb_entry else "xz",
                "built_with": "dpkg-deb" if not deb_entry else "python (hand-written ar + tar)",
                "files": files,
                **deb_entry,
            }
        text = "\n".join(stanzas).encode()
        idir = os.path.join(dists, index)
        os.makedirs(idir)
        arch = index.split("binary-")[1]
        comp_release = (f"Archive: {args.suite}\nOrigin: Crossrun Test\nLabel: Crossrun Test\n"
                        f"Component: {COMPONENT}\nArchitecture: {arch}\n").encode()
        with open(os.path.join(idir, "Release"), "wb") as fh:
            fh.write(comp_release)
        index_files.append(f"{index}/Release")
        for ext in compressions:
            data = {"": text, ".gz": gzip.compress(text, 9, mtime=0),
                    ".xz": lzma.compress(text, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)}[ext]
            with open(os.path.join(idir, "Packages" + ext), "wb") as fh:
                fh.write(data)
            index_files.append(f"{index}/Packages{ext}")

    # Release
    entries = []
    for rel in sorted(index_files):
        d = file_digests(os.path.join(dists, rel))
        listed = d["sha256"]
        if variant == "bad-index-hash" and rel == f"{COMPONENT}/binary-{args.arch}/Packages.xz":
            listed = wrong_sha256(listed)
        entries.append((rel, d, listed))
    width = max(len(str(d["size"])) for _, d, _ in entries)
    date = email.utils.formatdate(time.time(), usegmt=True).replace("GMT", "UTC")
    release = [
        "Origin: Crossrun Test",
        "Label: Crossrun Test",
        f"Suite: {args.suite}",
        f"Codename: {args.suite}",
        f"Date: {date}",
        "Architectures: " + " ".join(["all", args.arch] + sorted({e["architecture"] for e in extra_debs} - {"all", args.arch})),
        f"Components: {COMPONENT}",
        f"Description: crossrun sysroot-fetch test repository ({variant})",
        "MD5Sum:",
    ]
    release += [f" {d['md5']} {str(d['size']).rjust(width)} {rel}" for rel, d, _ in entries]
    release.append("SHA256:")
    release += [f" {listed} {str(d['size']).rjust(width)} {rel}" for rel, d, listed in entries]
    release_text = "\n".join(release) + "\n"
    release_path = os.path.join(dists, "Release")
    with open(release_path, "w") as fh:
        fh.write(release_text)
    signer = {"other-key": other_key, "expired-key": expired_key}.get(variant) or key
    inrelease_path = os.path.join(dists, "InRelease")
    release_gpg_path = os.path.join(dists, "Release.gpg")
    signer.clearsign(release_path, inrelease_path)
    signer.detach_sign(release_path, release_gpg_path)
    if variant == "release-gpg-only":
        os.remove(inrelease_path)
    if variant == "bad-signature":
        for p in (inrelease_path, release_path):
            data = open(p, "rb").read()
            tampered = data.replace(b"Label: Crossrun Test\n", b"Label: Crossrun Tampered\n", 1)
            assert tampered != data
            with open(p, "wb") as fh:
                fh.write(tampered)

    indices_json = {}
    for rel, d, listed in entries:
        idx, name = rel.rsplit("/", 1)
        indices_json.setdefault(idx, {})[name] = {
            "path": f"dists/{args.suite}/{rel}",
            "sha256": d["sha256"],
            "size": d["size"],
            "listed_sha256": listed,
        }
    suite_rel = f"dists/{args.suite}"
    return {
        "variant": variant,
        "root": root,
        "description": VARIANT_DESCRIPTION[variant].replace("ARCH", args.arch),
        "expected_failure": EXPECTED_FAILURE[variant],
        "signed_by": signer.fingerprint,
        "inrelease": None if variant == "release-gpg-only" else f"{suite_rel}/InRelease",
        "release": f"{suite_rel}/Release",
        "release_gpg": f"{suite_rel}/Release.gpg",
        "index_compressions": [ext.lstrip(".") or "none" for ext in compressions],
        "indices": indices_json,
        "packages": packages_json,
    }


# ---------------------------------------------------------------------------------------------------------------


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--suite", default="bookworm")
    ap.add_argument("--arch", default="arm64", choices=sorted(ARCHES))
    ap.add_argument("--variant", action="append", default=[],
                    help="add a variant tree (repeatable): " + ", ".join(ALL_VARIANTS) + ", or 'all'")
    ap.add_argument("--libc-size", type=int, default=16384,
                    help="bytes of incompressible filler in libc6's libc.so.6 (default 16384), so that the "
                         "server's slow mode takes a noticeable time")
    ap.add_argument("--add-deb", action="append", default=[], metavar="PATH",
                    help="also publish this real .deb (repeatable), listed in binary-<its Architecture> of every tree")
    ap.add_argument("--force", action="store_true", help="replace the trees and keyrings this script makes in a "
                                                         "non-empty OUTDIR")
    ap.add_argument("--verbose", action="store_true", help="log commands on stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose

    assert set(MALICIOUS_VARIANTS) <= set(ALL_VARIANTS) and set(ALL_VARIANTS) <= set(VARIANT_DESCRIPTION)
    variants = []
    for v in args.variant:
        for name in ALL_VARIANTS if v == "all" else [v]:
            if name not in ALL_VARIANTS:
                die(f"unknown variant {name!r}; known: {', '.join(ALL_VARIANTS)}, all")
            if name not in variants:
                variants.append(name)
    for tool in ("gpg", "gpgv", "gpgconf", "dpkg-deb"):
        if shutil.which(tool) is None:
            die(f"{tool} is not installed (Debian packages: gpg, gpgv, dpkg)")

    outdir = os.path.abspath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    ours = ["good", *ALL_VARIANTS, "keyring.gpg", "other-keyring.gpg", "repo.json"]
    if os.listdir(outdir):
        if not args.force:
            die(f"{outdir} is not empty (pass --force to replace what make-repo.py made there)")
        for name in ours:
            p = os.path.join(outdir, name)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            elif os.path.lexists(p):
                os.remove(p)

    start = time.monotonic()
    # A short path: gpg-agent's socket lives in the home directory and socket paths are limited to ~100 bytes.
    workdir = tempfile.mkdtemp(prefix="crmr-", dir="/tmp")
    keys = []
    try:
        key = GPGKey(workdir, "main", "crossrun test <test@invalid>")
        keys.append(key)
        other_key = None
        if "other-key" in variants:
            other_key = GPGKey(workdir, "other", "crossrun other test <other@invalid>")
            keys.append(other_key)
        expired_key = None
        if "expired-key" in variants:
            expired_key = GPGKey(workdir, "expired", "crossrun expired test <expired@invalid>", expired=True)
            keys.append(expired_key)
        keyring = os.path.join(outdir, "keyring.gpg")
        key.export(keyring)
        if expired_key:
            # The expired key is in the keyring: only its expiry may make its signatures unacceptable.
            expired_public = os.path.join(workdir, "expired.gpg")
            expired_key.export(expired_public)
            with open(keyring, "ab") as out, open(expired_public, "rb") as extra:
                out.write(extra.read())
        other_keyring = None
        if other_key:
            other_keyring = os.path.join(outdir, "other-keyring.gpg")
            other_key.export(other_keyring)

        extra_debs = [real_deb(path) for path in args.add_deb]
        supported = dpkg_deb_compressions()
        specs = package_specs(args.arch, args.libc_size) + system_specs(args.arch)
        debdir = os.path.join(workdir, "debs")
        os.makedirs(debdir)
        built = {}
        for spec in specs:
            path, comp = build_deb_with_dpkg(spec, workdir, debdir, spec["compression"], supported)
            built[spec["package"]] = {"path": path, "compression": comp}
        malicious_debs = {}
        libc = next(s for s in specs if s["package"] == "libc6")
        for variant in variants:
            if variant in MALICIOUS_VARIANTS:
                path, entries, members = build_malicious_deb(libc, debdir, MALICIOUS_VARIANTS[variant])
                malicious_debs[variant] = {"path": path, "entries": entries, "members": members}
            elif variant == "many-folders":
                path, entries, members = build_malicious_deb(libc, debdir, [], extra_folders=MANY_FOLDERS)
                malicious_debs[variant] = {"path": path, "entries": entries, "members": members}

        repos = {}
        for variant in ["good", *variants]:
            root = os.path.join(outdir, variant)
            repos[variant] = write_repo(root, variant, args, specs, built, malicious_debs, key, other_key, expired_key,
                                        extra_debs)

        # Check the signatures the way crossrun will.
        for name, repo in repos.items():
            # release-gpg-only has no InRelease: check good's in its place (only Release.gpg is its own).
            signed = repos["good"] if repo["inrelease"] is None else repo
            inrel = os.path.join(signed["root"], signed["inrelease"])
            rel = os.path.join(repo["root"], repo["release"])
            rgpg = os.path.join(repo["root"], repo["release_gpg"])
            ok1, err1 = gpgv_ok(keyring, inrel)
            ok2, err2 = gpgv_ok(keyring, rgpg, rel)
            # An expired key's signature still makes gpgv exit 0 (with EXPKEYSIG): what crossrun must not trust.
            should = name not in ("bad-signature", "other-key")
            if ok1 != should or ok2 != should:
                die(f"gpgv check of {name} gave InRelease={ok1} Release.gpg={ok2}, expected {should}:\n"
                    f"{err1}\n{err2}")
            if name == "other-key":
                ok3, err3 = gpgv_ok(other_keyring, inrel)
                if not ok3:
                    die(f"other-key InRelease does not verify with other-keyring.gpg:\n{err3}")
            repo["gpgv_verifies_with_keyring"] = ok1
    finally:
        for k in keys:
            k.close()
        shutil.rmtree(workdir, ignore_errors=True)

    result = {
        "format": JSON_FORMAT_VERSION,
        "outdir": outdir,
        "keyring": keyring,
        "key_fingerprint": key.fingerprint,
        "other_keyring": other_keyring,
        "other_key_fingerprint": other_key.fingerprint if other_key else None,
        "suite": args.suite,
        "codename": args.suite,
        "component": COMPONENT,
        "arch": args.arch,
        "triplet": ARCHES[args.arch][0],
        "loader": f"/lib/{ARCHES[args.arch][1]}",
        "dpkg_deb_compressions": sorted(supported),
        "data_compression": {name: b["compression"] for name, b in built.items()},
        "variants": ["good", *variants],
        "repos": repos,
        "seconds": round(time.monotonic() - start, 3),
    }
    text = json.dumps(result, indent=2) + "\n"
    with open(os.path.join(outdir, "repo.json"), "w") as fh:
        fh.write(text)
    sys.stdout.write(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
