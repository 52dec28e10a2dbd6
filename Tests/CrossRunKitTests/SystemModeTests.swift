import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

/// One member of a newc cpio archive, read by the small independent reader below (not by libarchive).
struct CPIOMember: Equatable {
    var name: String
    var mode: UInt32
    var rdevMajor: UInt32
    var rdevMinor: UInt32
    var data: [UInt8]
}

/// Reads a `070701` (newc) archive as the kernel's initramfs unpacker does: 110-byte ASCII-hex headers, the name
/// and the data each padded to 4 bytes, up to `TRAILER!!!`.
func readNewc(_ bytes: [UInt8]) throws -> [CPIOMember] {
    var members: [CPIOMember] = []
    var offset = 0
    func field(_ index: Int) throws -> UInt32 {
        let start = offset + 6 + index * 8
        let text = String(decoding: bytes[start..<(start + 8)], as: UTF8.self)
        return try #require(UInt32(text, radix: 16), "bad header field \(text)")
    }
    while true {
        try #require(offset + 110 <= bytes.count, "archive ends without a trailer")
        #expect(String(decoding: bytes[offset..<(offset + 6)], as: UTF8.self) == "070701")
        let mode = try field(1)
        let size = Int(try field(6))
        let rdevMajor = try field(9)
        let rdevMinor = try field(10)
        let nameSize = Int(try field(11))
        let nameStart = offset + 110
        let name = String(decoding: bytes[nameStart..<(nameStart + nameSize - 1)], as: UTF8.self)
        let dataStart = (nameStart + nameSize + 3) & ~3
        let data = Array(bytes[dataStart..<(dataStart + size)])
        offset = (dataStart + size + 3) & ~3
        if name == "TRAILER!!!" { return members }
        members.append(CPIOMember(name: name, mode: mode, rdevMajor: rdevMajor, rdevMinor: rdevMinor, data: data))
    }
}

@Suite("System mode: initramfs")
struct InitramfsBuilderTests {
    @Test("writes folders, files, links and devices, parents first", arguments: [InitramfsBuilder.Compression.none, .gzip])
    func roundTrip(compression: InitramfsBuilder.Compression) throws {
        let folder = try TemporaryDirectory("crossrun-initramfs")
        let host = folder.path + "/host-file"
        try Data("from the host\n".utf8).write(to: URL(fileURLWithPath: host))
        chmod(host, 0o750)
        var builder = InitramfsBuilder()
        builder.addDirectory("proc")
        builder.addDirectory("tmp", permissions: 0o1777)
        builder.addFile("/init", contents: Data("#!/bin/sh\n".utf8), permissions: 0o755)
        try builder.addFile("crossrun/bin/test", copying: host)
        builder.addSymlink("bin/sh", target: "busybox")
        builder.addCharacterDevice("dev/console", major: 5, minor: 1)
        builder.addFile("etc/replaced", contents: Data("old".utf8))
        builder.addFile("etc/replaced", contents: Data("new".utf8))
        let archive = folder.path + "/initramfs"
        try builder.write(to: archive, compression: compression)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        if compression == .gzip {
            #expect(bytes.starts(with: [0x1F, 0x8B]))
            bytes = try DebArchive.decompress(bytes, name: "initramfs")
        }
        let members = try readNewc([UInt8](bytes))
        #expect(members.map(\.name) == ["bin", "bin/sh", "crossrun", "crossrun/bin", "crossrun/bin/test", "dev", "dev/console", "etc", "etc/replaced", "init", "proc", "tmp"])
        let byName = Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0) })
        #expect(byName["proc"]?.mode == 0o040755)
        #expect(byName["tmp"]?.mode == 0o041777)
        #expect(byName["crossrun/bin"]?.mode == 0o040755)
        #expect(byName["init"]?.mode == 0o100755)
        #expect(byName["init"]?.data == Array("#!/bin/sh\n".utf8))
        #expect(byName["crossrun/bin/test"]?.mode == 0o100750)
        #expect(byName["crossrun/bin/test"]?.data == Array("from the host\n".utf8))
        #expect(byName["bin/sh"]?.mode == 0o120777)
        #expect(byName["bin/sh"]?.data == Array("busybox".utf8))
        #expect(byName["dev/console"]?.mode == 0o020600)
        #expect(byName["dev/console"]?.rdevMajor == 5)
        #expect(byName["dev/console"]?.rdevMinor == 1)
        #expect(byName["etc/replaced"]?.data == Array("new".utf8))
    }

    @Test("a missing host file is a one-line error")
    func missingHostFile() throws {
        var builder = InitramfsBuilder()
        #expect(throws: CrossRunError.self) { try builder.addFile("x", copying: "/nonexistent/crossrun-file") }
    }
}

@Suite("System mode: console filter")
struct ConsoleFilterTests {
    static let start = "@@crossrun-start-abc123@@"
    static let end = "@@crossrun-end-abc123 status="

    /// Feeds `console` in pieces of `size` bytes; returns the output, the state and the boot console.
    static func filter(_ console: String, size: Int) -> (output: String, state: ConsoleFilter.State, console: String) {
        var filter = ConsoleFilter(startMarker: start, endMarkerPrefix: end)
        let bytes = Array(console.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            output += filter.feed(bytes[index..<min(index + size, bytes.count)])
            index += size
        }
        output += filter.finish()
        return (String(decoding: output, as: UTF8.self), filter.state, filter.console)
    }

    static let sizes = [1, 2, 3, 7, 29, 64, 100_000]

    @Test("boot noise and power-off are removed, output is kept byte for byte", arguments: sizes)
    func normalRun(size: Int) {
        let console = "\u{1B}c[    0.000000] Booting Linux\r\n[    1.2] random: crng init done\r\n\(Self.start)\n"
            + "\nrunning 2 tests\ntest a ... ok\r\ntest b ... ok\n@@ almost a marker @@crossrun-end-other status=3@@\n"
            + "\(Self.end)0@@\n[    4.485979] reboot: Power down\r\n"
        let result = Self.filter(console, size: size)
        #expect(result.output == "\nrunning 2 tests\ntest a ... ok\r\ntest b ... ok\n@@ almost a marker @@crossrun-end-other status=3@@\n")
        #expect(result.state == .finished(status: 0))
        #expect(result.console.contains("Booting Linux"))
        #expect(result.console.contains("reboot: Power down"))
        #expect(!result.console.contains("running 2 tests"))
    }

    @Test("the end marker may follow output without a newline; its status is read", arguments: sizes)
    func unterminatedOutput(size: Int) {
        let result = Self.filter("noise\n\(Self.start)\r\nabort: no newline\(Self.end)134@@\nafter", size: size)
        #expect(result.output == "abort: no newline")
        #expect(result.state == .finished(status: 134))
    }

    @Test("without an end marker, held-back output is flushed and the state says running", arguments: sizes)
    func panicMidRun(size: Int) {
        let result = Self.filter("\(Self.start)\nhalf a line @@crossrun-en", size: size)
        #expect(result.output == "half a line @@crossrun-en")
        #expect(result.state == .running)
    }

    @Test("without a start marker nothing is output and the console is kept for the error", arguments: sizes)
    func neverStarted(size: Int) {
        let result = Self.filter("[ 1.0] Kernel panic - not syncing: No working init found.\r\n[ 1.1] ---[ end Kernel panic ]---", size: size)
        #expect(result.output == "")
        #expect(result.state == .booting)
        #expect(result.console.contains("No working init found"))
        let message = CrossRunError.noStartMarker(console: result.console).message
        #expect(message.contains("(console: \"[ 1.0] Kernel panic - not syncing: No working init found.\")"), "\(message)")
        #expect(!message.contains("\n") && !message.contains("\r"))
    }
}

@Suite("System mode: guest init")
struct GuestInitTests {
    @Test("quoted words survive a real shell unchanged")
    func quoting() throws {
        let words = ["plain", "it's", "two words", "$HOME `id` $(id)", "back\\slash", "new\nline", "", "*", "--exact"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf '%s\\0' " + words.map(GuestInit.quoted).joined(separator: " ")]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let printed = data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        #expect(printed == words)
    }

    @Test("valid names only", arguments: [("RUST_BACKTRACE", true), ("_x1", true), ("1ABC", false), ("A-B", false), ("", false), ("BASH_FUNC_f%%", false)])
    func names(name: String, valid: Bool) {
        #expect(GuestInit.isValidName(name) == valid)
    }

    @Test("the script runs the program with its arguments and environment between the markers")
    func script() {
        let guestInit = GuestInit(nonce: "n0", program: "/crossrun/demo", arguments: ["--exact", "a b"], environment: [GuestVariable("CROSSRUN_DEMO_FAIL", "1"), GuestVariable("bad-name", "x")], workingDirectory: "/tmp/work")
        let script = guestInit.script
        #expect(script.hasPrefix("#!/bin/busybox sh\n"))
        #expect(script.contains("export CROSSRUN_DEMO_FAIL='1'\n"))
        #expect(!script.contains("bad-name"))
        #expect(script.contains("exec '/crossrun/demo' '--exact' 'a b' ) 2>/dev/null"))
        #expect(script.contains("echo '@@crossrun-start-n0@@'"))
        #expect(script.contains("echo \"@@crossrun-end-n0 status=$status@@\""))
        #expect(script.contains("stty -onlcr"))
        #expect(script.hasSuffix("poweroff -f\n"))
        #expect(GuestInit(arguments: [], environment: []).nonce != GuestInit(arguments: [], environment: []).nonce)
    }
}

@Suite("System mode: libraries and kernel package")
struct SystemLibrariesTests {
    @Test("DT_NEEDED of a real ELF file")
    func needed() throws {
        // /bin/sh of this (Debian) machine is dash, linked against libc only.
        let needed = try GuestLibraries.neededLibraries(path: "/bin/sh")
        #expect(needed.contains("libc.so.6"))
        let real = try GuestLibraries.neededLibraries(path: try Fixtures.url("elf/aarch64-static.elf-head").path).isEmpty
        #expect(real)
    }

    @Test("the loader and the DT_NEEDED closure come from the sysroot at the loader's default paths",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/aarch64-linux-gnu/lib/libgcc_s.so.1")))
    func placements() throws {
        let placements = try GuestLibraries.placements(
            binary: "/usr/aarch64-linux-gnu/lib/libgcc_s.so.1", interpreter: "/lib/ld-linux-aarch64.so.1", sysroot: "/usr/aarch64-linux-gnu")
        #expect(placements.map(\.guest) == ["/lib/ld-linux-aarch64.so.1", "/lib/libc.so.6"])
        #expect(placements.map(\.host) == ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", "/usr/aarch64-linux-gnu/lib/libc.so.6"])
    }

    @Test("a library the sysroot lacks is a one-line error naming it")
    func missingLibrary() throws {
        let folder = try TemporaryDirectory("crossrun-sysroot")
        try FileManager.default.createDirectory(atPath: folder.path + "/lib", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder.path + "/lib/ld-linux-aarch64.so.1", contents: Data([0]))
        #expect(throws: CrossRunError.libraryMissing(binary: "/bin/sh", library: "libc.so.6", searched: [folder.path + "/lib"])) {
            try GuestLibraries.placements(binary: "/bin/sh", interpreter: "/lib/ld-linux-aarch64.so.1", sysroot: folder.path)
        }
    }

    @Test("absolute links resolve inside the sysroot")
    func links() throws {
        let folder = try TemporaryDirectory("crossrun-sysroot")
        try FileManager.default.createDirectory(atPath: folder.path + "/lib/aarch64-linux-gnu", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder.path + "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", contents: Data([0]))
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/lib/ld-linux-aarch64.so.1", withDestinationPath: "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1")
        #expect(GuestLibraries.resolve("/lib/ld-linux-aarch64.so.1", in: folder.path) == folder.path + "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1")
        #expect(GuestLibraries.resolve("/lib/missing.so", in: folder.path) == nil)
    }

    @Test("a kernel metapackage resolves to its linux-image dependency")
    func kernelPackage() throws {
        let index = Data("""
            Package: linux-image-arm64
            Version: 6.1.176-1
            Depends: linux-image-6.1.0-50-arm64 (= 6.1.176-1)
            Filename: pool/main/l/linux-signed-arm64/linux-image-arm64_6.1.176-1_arm64.deb

            Package: linux-image-6.1.0-50-arm64
            Version: 6.1.176-1
            Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool

            Package: xlinux-image-arm64
            Depends: linux-image-wrong

            """.utf8)
        #expect(try SystemImageFetcher.kernelPackage("linux-image-arm64", index: index, indexURL: "i") == "linux-image-6.1.0-50-arm64")
        #expect(try SystemImageFetcher.kernelPackage("linux-image-6.1.0-50-arm64", index: index, indexURL: "i") == "linux-image-6.1.0-50-arm64")
        #expect(throws: CrossRunError.packageMissing(package: "linux-image-riscv64", index: "i")) {
            try SystemImageFetcher.kernelPackage("linux-image-riscv64", index: index, indexURL: "i")
        }
    }
}
