import Foundation
import Testing

@testable import CrossRunKit

// Issue 14, item 5: config values of the wrong type, and empty emulators (the end-to-end cases are in
// Tests/EndToEndTests/FaultCasesSmall.swift).

@Suite("crossrun.toml: a value of the wrong type names its key and the type wanted")
struct ConfigTypeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var toml: String
        var reason: String
        var testDescription: String { toml.replacingOccurrences(of: "\n", with: " ") }
    }

    /// Every typed key, given a value of another type.
    static let cases: [Case] = [
        Case(toml: #"jobs = "4""#, reason: #"jobs must be an integer, got the string "4""#),
        Case(toml: "retries = 1.5", reason: "retries must be an integer, got the number 1.5"),
        Case(toml: "sysroot = 3", reason: "sysroot must be a string, got the integer 3"),
        Case(toml: "report-dir = true", reason: "report-dir must be a string, got the boolean true"),
        Case(toml: "junit = [1]", reason: "junit must be a string, got an array"),
        Case(toml: "json = { a = 1 }", reason: "json must be a string, got a table"),
        Case(toml: "mirror = 1", reason: "mirror must be a string, got the integer 1"),
        Case(toml: "keyring = false", reason: "keyring must be a string, got the boolean false"),
        Case(toml: #"reports = "no""#, reason: #"reports must be a boolean (true or false), got the string "no""#),
        Case(toml: "offline = 1", reason: "offline must be a boolean (true or false), got the integer 1"),
        Case(toml: #"verify-signature = "yes""#, reason: "verify-signature must be a boolean"),
        Case(toml: "resume = 0", reason: "resume must be a boolean"),
        Case(toml: #"isolate = "true""#, reason: #"isolate must be a boolean (true or false), got the string "true""#),
        Case(toml: "timeout = true", reason: "timeout must be a duration"),
        Case(toml: "test-timeout = [30]", reason: "test-timeout must be a duration"),
        Case(toml: "kill-grace = 1979-05-27", reason: "kill-grace must be a duration (a string such as \"30s\", \"5m\", \"250ms\", or a number of seconds), got a date or time"),
        Case(toml: #"target = "aarch64""#, reason: #"target must be a table of [target.NAME] tables, got the string "aarch64""#),
        Case(toml: "[target.aarch64]\nemulator = 1", reason: "target.aarch64.emulator must be a string, got the integer 1"),
        Case(toml: "[target.aarch64]\ncpu = 3", reason: "target.aarch64.cpu must be a string, got the integer 3"),
        Case(toml: "[target.aarch64]\nsysroot = false", reason: "target.aarch64.sysroot must be a string"),
        Case(toml: "[target.thumbv7m]\nmachine = 1", reason: "target.thumbv7m.machine must be a string"),
        Case(toml: "[target.aarch64]\nmemory = 512", reason: "target.aarch64.memory must be a string, got the integer 512"),
        Case(toml: "[target.aarch64]\nmode = true", reason: "target.aarch64.mode must be a string"),
        Case(toml: "[target.aarch64]\nargs = \"-d in_asm\"", reason: #"target.aarch64.args must be an array of strings, got the string "-d in_asm""#),
        Case(toml: "[target.aarch64]\nargs = [\"-d\", 2]", reason: "target.aarch64.args must be an array of strings, got an array holding the integer 2"),
        Case(toml: "[target.aarch64]\npackages = \"libstdc++6\"", reason: "target.aarch64.packages must be an array of strings"),
        Case(toml: "[target.aarch64]\nenv = { RUST_MIN_STACK = 8388608 }", reason: "target.aarch64.env must be a table of strings, got the integer 8388608 for RUST_MIN_STACK"),
        Case(toml: "[target.aarch64]\nenv = \"A=1\"", reason: "target.aarch64.env must be a table of strings, got the string \"A=1\""),
        Case(toml: "[target.aarch64]\ntimeout = false", reason: "target.aarch64.timeout must be a duration"),
        Case(toml: "[target.aarch64]\ntest-timeout = {}", reason: "target.aarch64.test-timeout must be a duration"),
        Case(toml: "[target.aarch64]\nemulator = \"\"", reason: "target.aarch64.emulator is empty; set it to the emulator's name on PATH or its path"),
        Case(toml: "[target.aarch64]\nemulator = \"  \"", reason: "target.aarch64.emulator is empty"),
    ]

    @Test("the key, the type wanted and the value given", arguments: cases)
    func wrongType(_ test: Case) {
        let error = #expect(throws: CrossRunError.self) { try ConfigFile.parse(toml: test.toml, path: "/p/crossrun.toml") }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(test.reason) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("missing key") == false)
        #expect(error?.message.hasPrefix("/p/crossrun.toml: ") == true)
    }

    @Test("every key the file knows has a type check")
    func everyKeyTyped() {
        #expect(Set(KeyType.topLevel.keys) == Set(ConfigFile.CodingKeys.allCases.map(\.stringValue)))
        #expect(Set(KeyType.target.keys) == Set(TargetSettings.CodingKeys.allCases.map(\.stringValue)))
        let typed = Set(Self.cases.compactMap { $0.toml.split(separator: "\n").last?.split(separator: " ").first.map(String.init) })
        #expect(typed.isSuperset(of: Set(KeyType.topLevel.keys).union(KeyType.target.keys)))
    }

    @Test("values of the right type still load")
    func rightTypes() throws {
        let file = try ConfigFile.parse(
            toml: """
                jobs = 4
                retries = 0
                isolate = true
                timeout = "5m"
                test-timeout = 30
                kill-grace = 1.5
                [target.aarch64]
                emulator = "qemu-aarch64"
                cpu = "max"
                args = ["-d", "in_asm"]
                env = { A = "1" }
                packages = ["libstdc++6"]
                """, path: "/p/crossrun.toml")
        #expect(file.jobs == 4)
        #expect(file.target?["aarch64"]?.env == ["A": "1"])
    }
}
