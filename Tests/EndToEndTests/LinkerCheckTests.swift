import Foundation
import Testing

/// `crossrun doctor` and `crossrun setup` on the cross linker cargo links with: here (Debian's aarch64 cross gcc
/// and libc6-dev-arm64-cross installed), with no cross gcc on PATH, and with the real cross gcc run where
/// /usr/aarch64-linux-gnu/lib is empty (a private mount namespace with a tmpfs over it): what
/// `apt-get install --no-install-recommends gcc-aarch64-linux-gnu` leaves, without libc6-dev-arm64-cross.
@Suite(.serialized)
struct LinkerCheckTests {
    static let triple = "aarch64-unknown-linux-gnu"

    /// A PATH folder with the aarch64 emulator and, unless `linker` is `.absent`, an aarch64-linux-gnu-gcc: the real
    /// one, or the real one seeing an empty /usr/aarch64-linux-gnu/lib (unshare -m, as root).
    enum Linker { case absent, real, withoutLibc }

    func searchPath(_ linker: Linker) throws -> URL {
        let folder = try temporaryDirectory("linker-path")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("qemu-aarch64-static").path, withDestinationPath: "/usr/bin/qemu-aarch64-static")
        let gcc = folder.appendingPathComponent("aarch64-linux-gnu-gcc").path
        switch linker {
        case .absent:
            break
        case .real:
            try FileManager.default.createSymbolicLink(atPath: gcc, withDestinationPath: "/usr/bin/aarch64-linux-gnu-gcc")
        case .withoutLibc:
            let script = """
                #!/bin/sh
                exec /usr/bin/unshare -m /bin/sh -c 'mount -t tmpfs tmpfs /usr/aarch64-linux-gnu/lib && exec /usr/bin/aarch64-linux-gnu-gcc "$@"' sh "$@"

                """
            try script.write(toFile: gcc, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: gcc)
        }
        return folder
    }

    func doctor(_ arguments: [String], linker: Linker) throws -> ProcessResult {
        let folder = try searchPath(linker)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try crossrun(["doctor"] + arguments, environment: environment(["PATH": folder.path]))
    }

    func toolchain(_ json: Data) throws -> [String: Any] {
        let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let targets = try #require(report["targets"] as? [[String: Any]])
        let aarch64 = try #require(targets.first { $0["name"] as? String == "aarch64" })
        let toolchains = try #require(aarch64["toolchains"] as? [[String: Any]])
        return try #require(toolchains.first { $0["rustTarget"] as? String == Self.triple })
    }

    @Test("here: the linker is found and finds Debian's Scrt1.o; --target exits 0")
    func here() throws {
        let result = try doctor(["--target", Self.triple], linker: .real)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        let row = try #require(result.stdoutText.split(separator: "\n").first { $0.hasPrefix("aarch64 ") })
        #expect(row.contains("aarch64-linux-gnu-gcc"))
        let json = try doctor(["--json"], linker: .real)
        let toolchain = try toolchain(json.stdout)
        #expect(toolchain["startFilePath"] as? String == "/usr/aarch64-linux-gnu/lib/Scrt1.o")
        #expect(toolchain["packages"] as? [String] == ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"])
    }

    @Test("no cross gcc on PATH: --target exits 1 naming both packages; --run-only exits 0")
    func noLinker() throws {
        let result = try doctor(["--target", Self.triple], linker: .absent)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("no cross linker for aarch64-unknown-linux-gnu: aarch64-linux-gnu-gcc is not on PATH"))
        #expect(result.stdoutText.contains(
            "fix: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross, then crossrun setup --target aarch64-unknown-linux-gnu"))
        #expect(result.stderrText == "crossrun: error: aarch64-unknown-linux-gnu cannot link its tests here (pass --run-only when tests are built elsewhere); see the fixes above.\n")
        // The runner name checks its main Rust target's linker too.
        #expect(try doctor(["--target", "aarch64"], linker: .absent).status == 1)
        let runOnly = try doctor(["--target", Self.triple, "--run-only"], linker: .absent)
        #expect(runOnly.status == 0, "\(runOnly.stderrText)")
        #expect(!runOnly.stdoutText.contains("no cross linker"))
        // Without --target the table says it, and the problem list stays about running.
        let all = try doctor([], linker: .absent)
        let row = try #require(all.stdoutText.split(separator: "\n").first { $0.hasPrefix("aarch64 ") })
        #expect(row.contains(" missing "))
        #expect(all.stdoutText.contains("crossrun doctor --target T says what to install"))
        #expect(!all.stdoutText.contains("no cross linker"))
    }

    @Test("a cross gcc with no C library (no libc6-dev-arm64-cross): exits 1 naming that package, and gcc indeed cannot link")
    func noLibc() throws {
        let result = try doctor(["--target", Self.triple], linker: .withoutLibc)
        #expect(result.status == 1)
        #expect(result.stdoutText.contains("aarch64-linux-gnu-gcc finds no Scrt1.o for aarch64-unknown-linux-gnu"))
        #expect(result.stdoutText.contains("fix: apt-get install libc6-dev-arm64-cross\n"))
        let row = try #require(result.stdoutText.split(separator: "\n").first { $0.hasPrefix("aarch64 ") })
        #expect(row.contains("no C library"))

        // What doctor predicts: that gcc cannot link a program.
        let folder = try searchPath(.withoutLibc)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("main.c")
        try "int main(void) { return 0; }\n".write(to: source, atomically: true, encoding: .utf8)
        let link = try run(folder.appendingPathComponent("aarch64-linux-gnu-gcc").path, [source.path, "-o", folder.appendingPathComponent("main").path])
        #expect(link.status != 0)
    }

    @Test("--packages: what apt-get installs for the named targets, each installed here")
    func packages() throws {
        let result = try crossrun(["doctor", "--packages", "--target", Self.triple, "--target", "armv7", "--target", "aarch64-unknown-linux-musl"])
        #expect(result.status == 0, "\(result.stderrText)")
        let packages = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(packages == [
            "debian-archive-keyring", "gcc-aarch64-linux-gnu", "gcc-arm-linux-gnueabihf", "gpgv", "libc6-dev-arm64-cross", "libc6-dev-armhf-cross",
            "qemu-user-static",
        ])
        let installed = try run("/usr/bin/dpkg", ["-s"] + packages)
        #expect(installed.status == 0, "\(installed.stderrText)")

        let noTarget = try crossrun(["doctor", "--packages"])
        #expect(noTarget.status == 125)
        #expect(noTarget.stderrText.split(separator: "\n").count == 1)
        #expect(noTarget.stderrText.contains("name at least one with --target"))
    }

    /// A Cargo project folder, set up with `crossrun setup --target aarch64-unknown-linux-gnu` with `linker` on PATH.
    func setUp(_ linker: Linker) throws -> (result: ProcessResult, config: String) {
        let project = try temporaryDirectory("linker-setup")
        let folder = try searchPath(linker)
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: folder)
        }
        try "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n".write(to: project.appendingPathComponent("Cargo.toml"), atomically: true, encoding: .utf8)
        let result = try crossrun(["setup", "--target", Self.triple], environment: environment(["PATH": folder.path]), in: project)
        let config = (try? String(contentsOf: project.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)) ?? ""
        return (result, config)
    }

    @Test("setup warns when it could not add a working linker, and why")
    func setupWarnings() throws {
        let absent = try setUp(.absent)
        #expect(absent.result.status == 0)
        #expect(!absent.config.contains("linker"))
        #expect(absent.result.stderrText.contains(
            "crossrun: warning: [target.aarch64-unknown-linux-gnu]: no linker, aarch64-linux-gnu-gcc is not on PATH, so cargo cannot link its tests; apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross, then run crossrun setup again"))

        let noLibc = try setUp(.withoutLibc)
        #expect(noLibc.result.status == 0)
        #expect(noLibc.config.contains("linker = \"aarch64-linux-gnu-gcc\""))
        #expect(noLibc.result.stderrText.contains("the linker aarch64-linux-gnu-gcc finds no Scrt1.o"))
        #expect(noLibc.result.stderrText.contains("apt-get install libc6-dev-arm64-cross"))

        let real = try setUp(.real)
        #expect(real.result.status == 0)
        #expect(real.config.contains("linker = \"aarch64-linux-gnu-gcc\""))
        #expect(!real.result.stderrText.contains("warning"))
    }
}
