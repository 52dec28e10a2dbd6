import FoundationEssentials
import Glibc

/// The GNU cross toolchain cargo links one Rust target's tests with (`aarch64-linux-gnu-gcc`), the C start file that
/// toolchain needs from the target's C library, and the Debian packages that bring both. `crossrun setup` writes
/// the linker into `.cargo/config.toml`; `crossrun doctor` checks it is there and links.
public struct CrossToolchain: Sendable, Equatable {
    public var rustTarget: String
    /// The GNU triple the toolchain's programs are named after: `aarch64-linux-gnu`, `x86_64-w64-mingw32`.
    public var gnuTriple: String

    /// The C compiler cargo links with: `aarch64-linux-gnu-gcc`.
    public var linker: String { gnuTriple + "-gcc" }

    public var isMinGW: Bool { gnuTriple.hasSuffix("-w64-mingw32") }

    /// The Debian package with the linker: `gcc-aarch64-linux-gnu`, `gcc-mingw-w64-x86-64`.
    public var linkerPackage: String {
        // Debian package names have no underscores: gcc-x86-64-linux-gnu.
        isMinGW ? "gcc-mingw-w64-" + gnuTriple.prefix { $0 != "-" }.replacing("_", with: "-") : "gcc-" + gnuTriple.replacing("_", with: "-")
    }

    /// The file of the target's C library the linker needs for every Rust executable, and the first a missing
    /// `libc6-dev-<arch>-cross` leaves out: `Scrt1.o` (glibc), `crt2.o` (mingw-w64).
    public var startFile: String { isMinGW ? "crt2.o" : "Scrt1.o" }

    /// Debian's name for the target's architecture (`dpkg-architecture -t aarch64-linux-gnu -qDEB_HOST_ARCH`), for
    /// the GNU triples Debian 12 packages a cross gcc and C library for; nil for others (loongarch64, riscv32).
    public var debianArchitecture: String? { Self.debianArchitectures[gnuTriple] }

    static let debianArchitectures = [
        "aarch64-linux-gnu": "arm64", "arm-linux-gnueabihf": "armhf", "arm-linux-gnueabi": "armel", "i686-linux-gnu": "i386",
        "x86_64-linux-gnu": "amd64", "powerpc-linux-gnu": "powerpc", "powerpc64-linux-gnu": "ppc64", "powerpc64le-linux-gnu": "ppc64el",
        "s390x-linux-gnu": "s390x", "mips-linux-gnu": "mips", "mipsel-linux-gnu": "mipsel", "mips64-linux-gnuabi64": "mips64",
        "mips64el-linux-gnuabi64": "mips64el", "mipsisa32r6-linux-gnu": "mipsr6", "mipsisa32r6el-linux-gnu": "mipsr6el",
        "mipsisa64r6-linux-gnuabi64": "mips64r6", "mipsisa64r6el-linux-gnuabi64": "mips64r6el", "sparc64-linux-gnu": "sparc64",
        "riscv64-linux-gnu": "riscv64",
    ]

    /// The Debian package with the target's C library development files (crt objects, libc.so):
    /// `libc6-dev-arm64-cross`, `mingw-w64-x86-64-dev` for mingw-w64; nil when Debian has none. Debian's
    /// `gcc-<triple>` only recommends it, so `apt-get install --no-install-recommends` leaves it out.
    public var libcDevelopmentPackage: String? {
        if isMinGW { return "mingw-w64-" + gnuTriple.prefix { $0 != "-" }.replacing("_", with: "-") + "-dev" }
        return debianArchitecture.map { "libc6-dev-\($0)-cross" }
    }

    /// The packages to install for cargo to link this target, the linker's and the C library's; empty when Debian
    /// has none.
    public var packages: [String] {
        guard let libc = libcDevelopmentPackage else { return [] }
        return [linkerPackage, libc]
    }

    /// The command that installs only the C library files, or ``installHint`` where Debian has none.
    public var libcInstallHint: String { libcDevelopmentPackage.map { "apt-get install \($0)" } ?? installHint }

    /// The command that installs this toolchain, or what to do where Debian has none.
    public var installHint: String {
        packages.isEmpty
            ? "Debian 12 packages no cross toolchain for \(gnuTriple): install one and put \(linker) on PATH"
            : "apt-get install \(packages.joined(separator: " "))"
    }

    /// The toolchain for a Rust target triple, or nil for targets that do not link with a GNU cross gcc (wasm,
    /// musl, bare metal).
    public init?(rustTarget triple: String) {
        rustTarget = triple
        // Windows GNU targets link with mingw-w64's gcc (Debian gcc-mingw-w64-x86-64, gcc-mingw-w64-i686).
        if triple == "x86_64-pc-windows-gnu" || triple == "i686-pc-windows-gnu" {
            gnuTriple = "\(triple.prefix { $0 != "-" })-w64-mingw32"
            return
        }
        guard let triple = Self.linuxTriple(rustTarget: triple, libc: "gnu") else { return nil }
        gnuTriple = triple
    }

    /// The C compiler a musl cross toolchain names for a Rust musl target (`aarch64-unknown-linux-musl` ->
    /// `aarch64-linux-musl-gcc`, as musl-cross-make's toolchains and Debian's musl-dev name theirs), or nil for a
    /// target that is not musl on Linux.
    public static func muslCompiler(rustTarget triple: String) -> String? {
        linuxTriple(rustTarget: triple, libc: "musl").map { $0 + "-gcc" }
    }

    /// `ARCH-linux-ABI` for a Rust `CPU-unknown-linux-ABI` target whose ABI starts with `libc` (`gnueabihf`,
    /// `musl`): the CPU as C toolchains name its architecture (`armv7` -> `arm`, `i586` -> `i686`).
    static func linuxTriple(rustTarget triple: String, libc: String) -> String? {
        let parts = triple.split(separator: "-").map(String.init)
        guard parts.count == 4, parts[1] == "unknown", parts[2] == "linux", parts[3].hasPrefix(libc) else { return nil }
        let arch: String
        switch parts[0] {
        case "aarch64", "aarch64_be", "x86_64", "i686", "powerpc", "powerpc64", "powerpc64le", "s390x", "mips", "mipsel", "mips64", "mips64el",
            "mipsisa32r6", "mipsisa32r6el", "mipsisa64r6", "mipsisa64r6el", "sparc64", "loongarch64":
            arch = parts[0]
        case "i586":
            arch = "i686"
        case let cpu where cpu.hasPrefix("arm") || cpu.hasPrefix("thumb"):
            arch = "arm"
        case let cpu where cpu.hasPrefix("riscv64"):
            arch = "riscv64"
        case let cpu where cpu.hasPrefix("riscv32"):
            arch = "riscv32"
        default:
            return nil
        }
        return "\(arch)-linux-\(parts[3])"
    }

    /// Where the linker at `linkerPath` finds ``startFile``: `gcc -print-file-name` answers with a path when it
    /// finds the file in its sysroot and with the bare name when it does not. Nil when it does not, or fails.
    public func locateStartFile(linkerPath: String) -> String? {
        guard let output = Executables.output(of: linkerPath, arguments: ["-print-file-name=\(startFile)"], timeout: .seconds(10)),
            output.succeeded
        else { return nil }
        let answer = String(decoding: output.stdout, as: UTF8.self).trimmingWhitespace()
        guard answer.hasPrefix("/"), FileManager.default.fileExists(atPath: answer) else { return nil }
        return answer.standardizingPath
    }
}
