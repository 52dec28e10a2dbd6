import Foundation
import Testing

@testable import CrossRunKit

/// The cross toolchain of each Rust target: linker, Debian packages, C start file; checked against dpkg's own
/// architecture table and against the Debian archive's package lists.
struct CrossToolchainTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var triple: String
        var linker: String
        var packages: [String]
        var startFile = "Scrt1.o"
        var testDescription: String { triple }
    }

    @Test("linker, packages and start file per Rust target", arguments: [
        Row(triple: "aarch64-unknown-linux-gnu", linker: "aarch64-linux-gnu-gcc", packages: ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]),
        Row(triple: "armv7-unknown-linux-gnueabihf", linker: "arm-linux-gnueabihf-gcc", packages: ["gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross"]),
        Row(triple: "arm-unknown-linux-gnueabi", linker: "arm-linux-gnueabi-gcc", packages: ["gcc-arm-linux-gnueabi", "libc6-dev-armel-cross"]),
        Row(triple: "i586-unknown-linux-gnu", linker: "i686-linux-gnu-gcc", packages: ["gcc-i686-linux-gnu", "libc6-dev-i386-cross"]),
        Row(triple: "x86_64-unknown-linux-gnu", linker: "x86_64-linux-gnu-gcc", packages: ["gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross"]),
        Row(triple: "powerpc64le-unknown-linux-gnu", linker: "powerpc64le-linux-gnu-gcc", packages: ["gcc-powerpc64le-linux-gnu", "libc6-dev-ppc64el-cross"]),
        Row(triple: "mips64el-unknown-linux-gnuabi64", linker: "mips64el-linux-gnuabi64-gcc", packages: ["gcc-mips64el-linux-gnuabi64", "libc6-dev-mips64el-cross"]),
        Row(triple: "mipsisa32r6el-unknown-linux-gnu", linker: "mipsisa32r6el-linux-gnu-gcc", packages: ["gcc-mipsisa32r6el-linux-gnu", "libc6-dev-mipsr6el-cross"]),
        Row(triple: "riscv64gc-unknown-linux-gnu", linker: "riscv64-linux-gnu-gcc", packages: ["gcc-riscv64-linux-gnu", "libc6-dev-riscv64-cross"]),
        Row(triple: "x86_64-pc-windows-gnu", linker: "x86_64-w64-mingw32-gcc", packages: ["gcc-mingw-w64-x86-64", "mingw-w64-x86-64-dev"], startFile: "crt2.o"),
        Row(triple: "i686-pc-windows-gnu", linker: "i686-w64-mingw32-gcc", packages: ["gcc-mingw-w64-i686", "mingw-w64-i686-dev"], startFile: "crt2.o"),
        Row(triple: "loongarch64-unknown-linux-gnu", linker: "loongarch64-linux-gnu-gcc", packages: []),
    ])
    func table(row: Row) throws {
        let toolchain = try #require(CrossToolchain(rustTarget: row.triple))
        #expect(toolchain.linker == row.linker)
        #expect(toolchain.packages == row.packages)
        #expect(toolchain.startFile == row.startFile)
        if row.packages.isEmpty {
            #expect(toolchain.installHint == "Debian 12 packages no cross toolchain for loongarch64-linux-gnu: install one and put loongarch64-linux-gnu-gcc on PATH")
        } else {
            #expect(toolchain.installHint == "apt-get install " + row.packages.joined(separator: " "))
            #expect(toolchain.libcInstallHint == "apt-get install " + row.packages[1])
        }
    }

    @Test("targets that do not link with a GNU cross gcc have none",
          arguments: ["wasm32-wasip1", "wasm32-wasi", "aarch64-unknown-linux-musl", "thumbv7em-none-eabihf", "riscv32imac-unknown-none-elf", "x86_64-pc-windows-msvc"])
    func none(triple: String) {
        #expect(CrossToolchain(rustTarget: triple) == nil)
    }

    @Test("the musl cross gcc the fork server looks for per Rust musl target; none for other targets", arguments: [
        ("aarch64-unknown-linux-musl", "aarch64-linux-musl-gcc"), ("armv7-unknown-linux-musleabihf", "arm-linux-musleabihf-gcc"),
        ("i586-unknown-linux-musl", "i686-linux-musl-gcc"), ("mips64el-unknown-linux-muslabi64", "mips64el-linux-muslabi64-gcc"),
        ("riscv64gc-unknown-linux-musl", "riscv64-linux-musl-gcc"), ("aarch64-unknown-linux-gnu", nil), ("wasm32-wasip1", nil),
    ] as [(String, String?)])
    func muslCompiler(triple: String, compiler: String?) {
        #expect(CrossToolchain.muslCompiler(rustTarget: triple) == compiler)
    }

    /// Every Rust target of the built-in runners that has a Debian toolchain.
    static var catalogueToolchains: [CrossToolchain] {
        get throws {
            try TargetCatalog.builtIn().definitions.flatMap(\.rustTargets).compactMap(CrossToolchain.init(rustTarget:))
        }
    }

    /// `program arguments...`'s standard output, trimmed; the test fails when it cannot run or exits non-zero.
    func output(_ program: String, _ arguments: [String]) throws -> String {
        let result = try #require(Executables.output(of: program, arguments: arguments), "\(program) cannot be run")
        try #require(result.succeeded, "\(program) \(arguments.joined(separator: " ")) failed")
        return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the Debian architecture of every catalogue toolchain is dpkg-architecture's")
    func debianArchitectures() throws {
        let toolchains = try Self.catalogueToolchains.filter { $0.debianArchitecture != nil && !$0.isMinGW }
        #expect(toolchains.count >= 15)
        for toolchain in toolchains {
            let dpkg = try output("/usr/bin/dpkg-architecture", ["-t", toolchain.gnuTriple, "-qDEB_HOST_ARCH"])
            #expect(toolchain.debianArchitecture == dpkg, "\(toolchain.gnuTriple)")
        }
    }

    @Test("every package a catalogue toolchain names is in Debian 12's archive (apt-cache knows a candidate)")
    func packagesExist() throws {
        let packages = Set(try Self.catalogueToolchains.flatMap(\.packages)).sorted()
        #expect(packages.count >= 30)
        let policy = try output("/usr/bin/apt-cache", ["policy"] + packages)
        // apt-cache policy prints "NAME:" (or "NAME:ARCH:" for another architecture's) then "  Candidate: VERSION"
        // for each package it knows.
        var candidate: [String: String] = [:]
        var current: String?
        for line in policy.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" "), line.hasSuffix(":") { current = line.split(separator: ":").first.map(String.init) }
            if let current, line.trimmingCharacters(in: .whitespaces).hasPrefix("Candidate:") {
                candidate[current] = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
            }
        }
        for package in packages {
            #expect(candidate[package].map { $0 != "(none)" } == true, "\(package): no candidate in the archive")
        }
    }
}
