import Foundation
import Testing

/// `crossrun setup` on temporary Cargo projects: the file it writes, --dry-run's diff (applied with patch(1) it
/// gives the same file), idempotence, and cargo itself using the result.
@Suite(.serialized)
struct SetupTests {
    /// A folder with a Cargo.toml (and, when given, a .cargo/config.toml).
    func project(config: String? = nil) throws -> URL {
        let folder = try temporaryDirectory("setup")
        try "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n".write(to: folder.appendingPathComponent("Cargo.toml"), atomically: true, encoding: .utf8)
        if let config {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(".cargo"), withIntermediateDirectories: true)
            try config.write(to: folder.appendingPathComponent(".cargo/config.toml"), atomically: true, encoding: .utf8)
        }
        return folder
    }

    func config(_ folder: URL) -> String? {
        try? String(contentsOf: folder.appendingPathComponent(".cargo/config.toml"), encoding: .utf8)
    }

    static let userConfig = """
        # Team settings: keep this comment.
        [build]
        jobs = 2 # two cores

        [target.armv7-unknown-linux-gnueabihf]
        # the board's own linker
        linker = "arm-linux-gnueabihf-gcc"
        runner = "qemu-arm -L /usr/arm-linux-gnueabihf"

        """

    @Test("--dry-run prints a unified diff, writes nothing, and the diff applied with patch gives what setup writes",
          arguments: [nil, userConfig])
    func dryRunDiff(original: String?) throws {
        let dry = try project(config: original)
        let real = try project(config: original)
        defer {
            try? FileManager.default.removeItem(at: dry)
            try? FileManager.default.removeItem(at: real)
        }
        let targets = ["--target", "aarch64", "--target", "armv7-unknown-linux-gnueabihf", "--target", "wasm32-wasi"]
        let diff = try crossrun(["setup", "--dry-run"] + targets, in: dry)
        #expect(diff.status == 0, "\(diff.stderrText)")
        #expect(diff.stdoutText.contains("+++ b/.cargo/config.toml"))
        #expect(diff.stdoutText.contains(original == nil ? "--- /dev/null" : "--- a/.cargo/config.toml"))
        #expect(diff.stdoutText.contains("+runner = \"crossrun\""))
        #expect(diff.stderrText.contains("dry run"))
        #expect(config(dry) == original)

        let written = try crossrun(["setup"] + targets, in: real)
        #expect(written.status == 0, "\(written.stderrText)")
        let result = try #require(config(real))

        // patch(1) applies the dry run's diff to the untouched project.
        if original == nil { try FileManager.default.createDirectory(at: dry.appendingPathComponent(".cargo"), withIntermediateDirectories: true) }
        let patched = try run("/usr/bin/patch", ["-p1", "--quiet"], in: dry, stdin: diff.stdout)
        #expect(patched.status == 0, "\(patched.stdoutText)\(patched.stderrText)")
        #expect(config(dry) == result)

        if let original {
            // Everything the user wrote is still there, in order, except the replaced runner line.
            let kept = original.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("runner = ") }
            var remaining = Substring(result)
            for line in kept where !line.isEmpty {
                let found = try #require(remaining.range(of: line + "\n"), "lost or moved: \(line)")
                remaining = remaining[found.upperBound...]
            }
            #expect(result.contains("[target.armv7-unknown-linux-gnueabihf]\n# the board's own linker\nlinker = \"arm-linux-gnueabihf-gcc\"\nrunner = \"crossrun\"\n"))
            #expect(!result.contains("qemu-arm -L"))
        }
    }

    @Test("idempotent: a second run says nothing changes and leaves the file byte for byte")
    func idempotent() throws {
        let folder = try project(config: Self.userConfig)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try crossrun(["setup"], in: folder).status == 0)
        let first = try #require(config(folder))
        for target in ["aarch64-unknown-linux-gnu", "armv7-unknown-linux-gnueabihf", "riscv64gc-unknown-linux-gnu", "wasm32-wasi"] {
            #expect(first.contains("[target.\(target)]"), "default targets lack \(target)")
        }
        let again = try crossrun(["setup"], in: folder)
        #expect(again.status == 0)
        #expect(again.stderrText.contains("nothing to change"))
        #expect(config(folder) == first)
        let dry = try crossrun(["setup", "--dry-run"], in: folder)
        #expect(dry.stdoutText.isEmpty)
    }

    @Test("found from a subfolder, or named with --manifest-dir; none found is a one-line error")
    func projectLookup() throws {
        let folder = try project()
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested = folder.appendingPathComponent("src/deep")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        #expect(try crossrun(["setup", "--target", "riscv64"], in: nested).status == 0)
        #expect(config(folder)?.contains("[target.riscv64gc-unknown-linux-gnu]") == true)

        let other = try project()
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(try crossrun(["setup", "--target", "wasm32-wasip1", "--manifest-dir", other.path]).status == 0)
        // The runner's name stands for the Rust name Debian's rustc 1.63 knows (WasmTargetEndToEndTests).
        #expect(config(other)?.contains("[target.wasm32-wasi]\nrunner = \"crossrun\"") == true)

        let empty = try temporaryDirectory("setup-empty")
        defer { try? FileManager.default.removeItem(at: empty) }
        let none = try crossrun(["setup"], in: empty)
        #expect(none.status == 125)
        #expect(none.stderrText.contains("no Cargo.toml"))
        #expect(none.stderrText.split(separator: "\n").count == 1)
        let bad = try crossrun(["setup", "--target", "m68k"], in: folder)
        #expect(bad.status == 125)
        #expect(bad.stderrText.contains("unknown target m68k"))
        // A broken config file is left alone.
        let broken = try project(config: "[target.aarch64\n")
        defer { try? FileManager.default.removeItem(at: broken) }
        let refused = try crossrun(["setup"], in: broken)
        #expect(refused.status == 125)
        #expect(refused.stderrText.contains("not valid TOML"))
        #expect(config(broken) == "[target.aarch64\n")
    }

    @Test("cargo uses what setup wrote: cargo test --target aarch64 runs the demo through crossrun",
          .enabled(if: Tool.available("cargo", "qemu-aarch64-static", "aarch64-linux-gnu-gcc")))
    func cargoUsesIt() throws {
        let folder = try temporaryDirectory("setup-demo")
        defer { try? FileManager.default.removeItem(at: folder) }
        for item in ["Cargo.toml", "Cargo.lock", "src", "tests"] {
            try FileManager.default.copyItem(at: Examples.rustDemo.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
        #expect(try crossrun(["setup", "--target", "aarch64"], in: folder).status == 0)
        let reports = try temporaryDirectory("setup-reports")
        defer { try? FileManager.default.removeItem(at: reports) }
        let test = try run("/usr/bin/cargo", ["test", "--offline", "--target", "aarch64-unknown-linux-gnu"],
                           environment: environment(["CROSSRUN_REPORT_DIR": reports.path]), in: folder)
        #expect(test.status == 0, "\(test.stderrText.suffix(2000))")
        #expect(test.stderrText.contains("[aarch64 via qemu-aarch64"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).contains { $0.hasPrefix("crossrun_demo-") && $0.hasSuffix(".xml") })
    }
}
