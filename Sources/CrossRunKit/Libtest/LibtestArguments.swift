import FoundationEssentials
import Glibc

/// libtest's command line (the arguments after the test binary) as crossrun reads and rewrites it: which format
/// it asks for, and the arguments a crash-resume, an isolated test, a retry or a partition listing starts from.
enum LibtestArguments {
    /// Whether `arguments` ask libtest for `format` (`--format json` or `--format=json`).
    static func asks(for format: String, in arguments: [String]) -> Bool {
        zip(arguments, arguments.dropFirst()).contains { $0 == "--format" && $1 == format } || arguments.contains("--format=" + format)
    }

    /// The user's arguments without test filters and scheduling, with one test thread. libtest's pretty
    /// format is used unless the user asked for JSON: terse output would not say which test was running.
    static func resumeArguments(from arguments: [String]) -> [String] {
        var kept: [String] = []
        var index = 0
        let json = asks(for: "json", in: arguments)
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "--format", "--test-threads", "--skip", "--color", "--logfile", "--shuffle-seed":
                let value = index < arguments.count ? arguments[index] : ""
                index += 1
                if argument == "--color" || argument == "--logfile" || (argument == "--format" && json) { kept += [argument, value] }
            case "-q", "--quiet", "--exact", "--shuffle":
                continue
            case "-Z", "--ignored", "--include-ignored", "--nocapture", "--show-output", "--report-time", "--ensure-time", "--exclude-should-panic":
                kept.append(argument)
                if argument == "-Z", index < arguments.count {
                    kept.append(arguments[index])
                    index += 1
                }
            default:
                if argument.hasPrefix("--format=") {
                    if json { kept.append(argument) }
                    continue
                }
                if argument.hasPrefix("--test-threads=") || argument.hasPrefix("--shuffle-seed=") { continue }
                if argument.hasPrefix("-") { kept.append(argument) }  // other options pass on; bare words are filters
            }
        }
        return kept + ["--test-threads=1"]
    }
}
