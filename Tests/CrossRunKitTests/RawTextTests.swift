import Foundation
import Testing

@testable import CrossRunKit

// Issue 14, item 5: arguments and file names that are not UTF-8, and text quoted in messages (the end-to-end
// cases are in Tests/EndToEndTests/FaultCasesSmall.swift).

@Suite("String(rawBytes:) and escapedForTerminal")
struct RawTextTests {
    static let byteStrings: [[UInt8]] = [
        [],
        Array("plain ascii".utf8),
        Array("é ü ✓ 𝄞".utf8),
        [0xFF, 0xFE],
        [0x61, 0xC3, 0x28],  // a lead byte without its continuation
        [0xED, 0xA0, 0x80],  // an encoded surrogate
        [0xC0, 0xAF],  // an overlong slash
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF itself, in the range raw bytes use
        [0xF4, 0x8F, 0xBE, 0x80, 0xFF],  // U+10FF80 then a raw byte
        [0xE2, 0x82],  // cut short at the end
        Array(0x01...0xFF),
    ]

    @Test("every byte string comes back unchanged", arguments: byteStrings)
    func roundTrip(_ bytes: [UInt8]) {
        let text = String(rawBytes: bytes)
        #expect(text.rawBytes == bytes)
        #expect(text.withRawCString { Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) } } == bytes)
    }

    @Test("valid UTF-8 is ordinary text; other bytes are marked and shown as U+FFFD or \\xNN")
    func validText() {
        #expect(String(rawBytes: Array("tests::é".utf8)) == "tests::é")
        #expect(!String(rawBytes: Array("tests::é".utf8)).hasRawBytes)
        let raw = String(rawBytes: [0x61, 0xFF, 0x62])
        #expect(raw.hasRawBytes)
        #expect(raw.replacingRawBytes == "a\u{FFFD}b")
        #expect(raw.escapedForTerminal == "a\\xffb")
    }

    static let escapes: [(String, String)] = [
        ("plain text, é ✓", "plain text, é ✓"),
        ("/lib/\u{1B}[31mld\nevil", "/lib/\\x1b[31mld\\nevil"),
        ("a\tb\rc", "a\\tb\\rc"),
        ("title\u{1B}]0;pwned\u{07}", "title\\x1b]0;pwned\\x07"),
        ("del\u{7F} c1\u{9B}", "del\\x7f c1\\x9b"),
        ("nul\u{0}", "nul\\x00"),
        ("bidi \u{202E}txt.exe", "bidi \\u{202e}txt.exe"),
        ("line\u{2028}sep", "line\\u{2028}sep"),
        ("already \\x1b escaped", "already \\x1b escaped"),
    ]

    @Test("control characters, bidi overrides and raw bytes become visible escapes", arguments: escapes)
    func escaped(_ text: String, _ expected: String) {
        #expect(text.escapedForTerminal == expected)
        // Escaping twice changes nothing: a message built from escaped parts stays as it is.
        #expect(text.escapedForTerminal.escapedForTerminal == expected)
    }
}

@Suite("Error messages quote file-provided text escaped, on one line")
struct EscapedMessageTests {
    static let hostile = "x\u{1B}[2J\u{1B}]0;title\u{07}\nsecond line\r"

    static let errors: [CrossRunError] = [
        .loaderMissing(target: "aarch64", interpreter: "/lib/" + hostile, searched: ["/usr/aarch64-linux-gnu"], installHint: "apt-get install x"),
        .sysrootNeeded(binary: "bin", interpreter: hostile),
        .sysrootIncomplete(target: "aarch64", loader: hostile),
        .libraryMissing(binary: "bin", library: hostile, searched: ["/s/lib"]),
        .unsafeArchiveEntry(package: "evil.deb", entry: "../" + hostile, reason: "a path with a .. component"),
        .archiveUnreadable(package: "evil.deb", reason: hostile),
        .binaryNotFound(path: "/tmp/" + hostile),
        .binaryNotExecutable(path: "/tmp/" + hostile, mode: 0o644),
        .invalidConfiguration(file: "crossrun.toml", reason: hostile),
        .cpuRefused(cpu: hostile, origin: "$CROSSRUN_CPU", emulator: "/usr/bin/qemu-aarch64-static"),
        .notAnExecutable(path: String(rawBytes: Array("bin-".utf8) + [0xFF, 0x1B]), magic: "0x00"),
    ]

    @Test("no control character reaches the message", arguments: errors)
    func escaped(_ error: CrossRunError) {
        #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(error.message.contains("\\x1b"))
        #expect(CrossRunError.message(for: error) == error.message)
    }

    struct Foreign: LocalizedError {
        var errorDescription: String? { "bad \u{1B}[31mname\u{1B}[0m\nnext" }
    }

    @Test("another error type's text is escaped too")
    func foreign() {
        #expect(CrossRunError.message(for: Foreign()) == "bad \\x1b[31mname\\x1b[0m next")
    }
}
