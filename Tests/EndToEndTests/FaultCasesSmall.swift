import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14, item 5: the smaller defects, one case each (docs/reliability.md, "Small defects"). Each is a real
/// crossrun run on real qemu-aarch64-static with Examples/c/faults.c.
extension FaultCase {
    /// A config file for one case, written when the case makes its binary (`--config` names it).
    static func smallConfig(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-small-\(getpid())/\(name).toml").path
    }

    /// The faults program, after writing `text` to ``smallConfig(_:)``.
    static func withConfig(_ name: String, _ text: String) -> FaultBinary {
        .made { _ in
            let path = smallConfig(name)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return try Fault.program()
        }
    }

    /// An empty folder given as `--sysroot`.
    static let smallSysroot = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-fault-small-sysroot").path

    /// A `libtest.duration` must be absent (a duration libtest printed that is none) and the JSON parse.
    static let noSuiteDuration: @Sendable ([String: Any]) -> Void = { results in
        let libtest = results["libtest"] as? [String: Any]
        #expect(libtest != nil, "the libtest counts are kept")
        #expect(libtest?["duration"] == nil, "a non-finite duration is left out, not written: \(String(describing: libtest))")
        #expect(results["duration"] is Double, "crossrun's own measured wall time is there")
    }

    static let small: [FaultCase] = [
        // qemu-user exits 1 without a word for a file with no execute bit, which read as `FAILED: 0 passed, 1 failed`.
        FaultCase(name: "small: cross binary without the execute bit (as after a CI artifact download)",
                  binary: .made { try write($0, "faults-no-x", Array(try Data(contentsOf: URL(fileURLWithPath: try Fault.program()))), mode: 0o644) },
                  status: [126], tests: .noReport, stderrMentions: ["is not executable (mode 0644)", "chmod +x", "CI artifact"],
                  stderrLacks: ["FAILED", "0 passed"]),
        // `finished in infs` became a non-finite Double the JSON encoder refused: the JSON report was dropped (125).
        FaultCase(name: "small: libtest's result line says finished in infs", fault: "finished-inf",
                  status: [0], tests: .exactly(cleanFaultTests), stderrLacks: ["cannot write the report"], results: noSuiteDuration),
        FaultCase(name: "small: libtest's result line says finished in NaNs", fault: "finished-nan",
                  status: [0], tests: .exactly(cleanFaultTests), stderrLacks: ["cannot write the report"], results: noSuiteDuration),
        // Arguments for the guest that are not UTF-8 reached it as U+FFFD (EF BF BD). The shell makes the bytes,
        // which no Swift String can hold; `--skip` keeps every test running.
        FaultCase(name: "small: argument bytes that are not UTF-8 reach the guest unchanged", fault: "argv",
                  prefix: ["/bin/sh", "-c", #"exec "$@" --skip "$(printf '\377\376')" --skip "$(printf 'a\303\050')" --skip "é""#, "sh"],
                  status: [0], tests: .exactly(cleanFaultTests),
                  stdoutContains: [Array("argv[2]: fffe\nargv[3]: 2d2d736b6970\nargv[4]: 61c328\nargv[5]: 2d2d736b6970\nargv[6]: c3a9\n".utf8)],
                  results: { results in
                      #expect((results["arguments"] as? [String])?.count == 6)
                  }),
        // A binary whose file name holds byte 0xFF was "no such file".
        FaultCase(name: "small: a binary whose file name is not UTF-8 runs", status: [0], tests: .noReport, custom: rawFileName),
        // An ELF interpreter with ESC sequences and a newline drove the terminal and broke the error line.
        FaultCase(name: "small: ESC and newline in PT_INTERP are escaped in the error",
                  binary: .made { folder in
                      var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Fault.program(static: false))))
                      let old = Array("/lib/ld-linux-aarch64.so.1".utf8)
                      var new = Array("/lib/\u{1B}[31mld\nevil\u{1B}]0;t\u{07}".utf8)
                      new += Array(repeating: UInt8(ascii: "x"), count: old.count - new.count)
                      let at = try #require(bytes.indices.first { bytes[$0...].starts(with: old) }, "the loader path in faults-aarch64")
                      bytes.replaceSubrange(at..<at + old.count, with: new)
                      return try write(folder, "faults-esc-interp", bytes, mode: 0o755)
                  },
                  options: ["--sysroot", smallSysroot], folders: [smallSysroot],
                  status: [126], tests: .noReport,
                  stderrMentions: ["needs the loader /lib/\\x1b[31mld\\nevil\\x1b]0;t\\x07xxx"],
                  stderrLacks: ["\u{1B}", "\u{07}", "ld\nevil"]),
        FaultCase(name: "small: jobs = \"4\" in crossrun.toml", binary: withConfig("jobs", "jobs = \"4\"\n"),
                  options: ["--config", smallConfig("jobs")],
                  status: [125], tests: .noReport, stderrMentions: ["jobs must be an integer, got the string \"4\""], stderrLacks: ["missing key"]),
        FaultCase(name: "small: emulator = \"\" in crossrun.toml", binary: withConfig("emulator", "[target.aarch64]\nemulator = \"\"\n"),
                  options: ["--config", smallConfig("emulator")],
                  status: [125], tests: .noReport, stderrMentions: ["target.aarch64.emulator is empty", "emulator = \"qemu-aarch64-static\""],
                  stderrLacks: ["looked for  on PATH"]),
        FaultCase(name: "small: --emulator \"\"", options: ["--emulator", ""],
                  status: [125], tests: .noReport, stderrMentions: ["--emulator is empty"], stderrLacks: ["looked for  on PATH"]),
        // An empty CROSSRUN_* variable is unset, as for every other variable: the target's own emulator runs.
        FaultCase(name: "small: CROSSRUN_EMULATOR=\"\" is unset", env: ["CROSSRUN_EMULATOR": ""],
                  status: [0], tests: .exactly(cleanFaultTests), stderrLacks: ["looked for  on PATH"]),
        // qemu refuses the model (`unable to find CPU model`) and exits 1, which read as a failed test.
        FaultCase(name: "small: a cpu value qemu does not know (CROSSRUN_CPU)", env: ["CROSSRUN_CPU": "nonsense"],
                  status: [125], tests: .noReport,
                  stderrMentions: ["does not know the CPU model nonsense (cpu from $CROSSRUN_CPU)", "`qemu-aarch64-static -cpu help`"],
                  stderrLacks: ["FAILED", "0 passed"]),
        FaultCase(name: "small: a cpu value qemu does not know, with --partition (its listing comes first)", options: ["--partition", "hash:1/2"],
                  env: ["CROSSRUN_CPU": "nonsense"], status: [125], tests: .noReport,
                  stderrMentions: ["does not know the CPU model nonsense"], stderrLacks: ["did not list its tests"]),
        FaultCase(name: "small: a cpu value qemu does not know, with --isolate", options: ["--isolate"],
                  env: ["CROSSRUN_CPU": "nonsense"], status: [125], tests: .noReport,
                  stderrMentions: ["does not know the CPU model nonsense"], stderrLacks: ["FAILED", "0 passed"]),
        FaultCase(name: "small: a cpu value qemu does not know (crossrun.toml)", binary: withConfig("cpu", "[target.aarch64]\ncpu = \"cortex-z99\"\n"),
                  options: ["--config", smallConfig("cpu")],
                  status: [125], tests: .noReport,
                  stderrMentions: ["does not know the CPU model cortex-z99 (cpu from \(smallConfig("cpu")))"], stderrLacks: ["FAILED"]),
    ]
}

/// The faults program copied to a file name ending in byte 0xFF (made by the shell: a Swift String cannot hold
/// the byte) and run by that name: it runs, and its reports are named with U+FFFD in its place.
@Sendable func rawFileName(_ fault: FaultCase, _ folder: URL, _ marker: String) throws {
    let program = try Fault.program()
    let reports = folder.appendingPathComponent("reports")
    let script = #"name="$3/$(printf 'faults-\377')" && cp "$4" "$name" && exec "$1" --report-dir "$2" "$name""#
    let child = try Fault.Child(
        ["/bin/sh", "-c", script, "sh", crossrunExecutable, reports.path, folder.path, program],
        environment: EndToEndTests.environment([Fault.markerVariable: marker]), folder: folder)
    let outcome = child.wait(limit: 60)
    #expect(outcome.status == 0, "status \(outcome.status); stderr: \(outcome.stderrText)")
    #expect(!outcome.stderrText.contains("no such file"))
    let name = "faults-\u{FFFD}"
    let results = try fault.checkReports(
        json: reports.appendingPathComponent(name + ".json").path, junit: reports.appendingPathComponent(name + ".xml").path,
        printed: Fault.printedTests(in: outcome.stdout))
    if let results {
        #expect(Fault.outcomes(results) == cleanFaultTests)
        #expect(((results["binary"] as? [String: Any])?["path"] as? String)?.hasSuffix("/" + name) == true)
    }
}
