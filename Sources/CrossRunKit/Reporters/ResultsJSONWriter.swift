import FoundationEssentials
import Glibc

/// The results JSON of a ``RunResult`` written by hand: the same bytes as `JSONEncoder` with
/// ``JSONReporter/makeEncoder()``'s settings (pretty, keys sorted, slashes unescaped, ISO 8601 dates), without
/// Codable. Codable's first use in a process instantiates the generic metadata of every container and value it
/// touches and looks up their conformances across the whole executable: about 2 ms of every run that writes its
/// reports, more than the writing. `JSONReporter.encode` stays the reference the tests hold this to, field by
/// field (a property added to a results type and not here fails ResultsJSONWriterTests).
enum ResultsJSONWriter {
    /// A JSON value; an object's keys are sorted when written, as `.sortedKeys` does.
    indirect enum Value {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
    }

    /// The document, as JSONEncoder writes it (no final newline).
    static func document(_ result: RunResult) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096 + result.tests.count * 64)
        write(value(result), indent: 0, into: &out)
        return out
    }

    /// One test as a value of its own (the tests array is streamed one test at a time).
    static func document(_ test: TestCase) -> [UInt8] {
        var out: [UInt8] = []
        write(value(test), indent: 0, into: &out)
        return out
    }

    // MARK: - The results types as values (the keys the synthesized Codable conformances use)

    static func value(_ result: RunResult) -> Value {
        var fields: [(String, Value)] = [
            ("schema", .string(result.schema)),
            ("version", .int(result.version)),
            ("binary", value(result.binary)),
            ("launch", value(result.launch)),
            ("arguments", .array(result.arguments.map(Value.string))),
            ("startedAt", .string(result.startedAt.formatted(Date.ISO8601FormatStyle()))),
            ("duration", .double(result.duration)),
            ("exit", value(result.exit)),
            ("format", .string(result.format.rawValue)),
            ("counts", value(result.counts)),
            ("tests", .array(result.tests.map(value))),
        ]
        fields.append(optional: "libtest", result.libtest.map(value))
        fields.append(optional: "output", result.output.map(Value.string))
        fields.append(optional: "stderr", result.stderr.map(Value.string))
        fields.append(optional: "restarts", result.restarts.map(Value.int))
        fields.append(optional: "retries", result.retries.map(Value.int))
        fields.append(optional: "limits", result.limits.map { limits in
            var values: [(String, Value)] = []
            values.append(optional: "timeout", limits.timeout.map(Value.double))
            values.append(optional: "testTimeout", limits.testTimeout.map(Value.double))
            return .object(values)
        })
        fields.append(optional: "timeouts", result.timeouts.map { timeouts in
            .array(timeouts.map { timeout in
                var values: [(String, Value)] = [
                    ("kind", .string(timeout.kind)), ("limit", .double(timeout.limit)), ("description", .string(timeout.description)),
                ]
                values.append(optional: "test", timeout.test.map(Value.string))
                return .object(values)
            })
        })
        fields.append(optional: "interrupted", result.interrupted.map {
            .object([("signal", .int(Int($0.signal))), ("signalName", .string($0.signalName))])
        })
        fields.append(optional: "partition", result.partition.map(Value.string))
        fields.append(optional: "package", result.package.map(Value.string))
        fields.append(optional: "isolation", result.isolation.map { isolation in
            var object: [(String, Value)] = [("jobs", .int(isolation.jobs)), ("processes", .int(isolation.processes))]
            object.append(optional: "successors", isolation.successors.map(Value.int))
            object.append(optional: "siblings", isolation.siblings.map(Value.int))
            return .object(object)
        })
        return .object(fields)
    }

    static func value(_ binary: RunResult.Binary) -> Value {
        var fields: [(String, Value)] = [
            ("path", .string(binary.path)), ("name", .string(binary.name)), ("fileName", .string(binary.fileName)),
            ("description", .string(binary.description)), ("machine", .string(binary.machine)),
        ]
        fields.append(optional: "interpreter", binary.interpreter.map(Value.string))
        return .object(fields)
    }

    static func value(_ launch: RunResult.Launch) -> Value {
        var fields: [(String, Value)] = [
            ("kind", .string(launch.kind)), ("target", .string(launch.target)), ("emulator", .string(launch.emulator)),
            ("argv", .array(launch.argv.map(Value.string))),
        ]
        fields.append(optional: "sysroot", launch.sysroot.map(Value.string))
        fields.append(optional: "sysrootOrigin", launch.sysrootOrigin.map(Value.string))
        return .object(fields)
    }

    static func value(_ exit: RunResult.Exit) -> Value {
        var fields: [(String, Value)] = [("status", .int(Int(exit.status))), ("description", .string(exit.description))]
        fields.append(optional: "code", exit.code.map { .int(Int($0)) })
        fields.append(optional: "signal", exit.signal.map { .int(Int($0)) })
        fields.append(optional: "signalName", exit.signalName.map(Value.string))
        fields.append(optional: "interruptedBy", exit.interruptedBy.map(Value.string))
        return .object(fields)
    }

    static func value(_ counts: RunResult.Counts) -> Value {
        var fields: [(String, Value)] = [
            ("tests", .int(counts.tests)), ("passed", .int(counts.passed)), ("failed", .int(counts.failed)),
            ("ignored", .int(counts.ignored)), ("measured", .int(counts.measured)), ("errors", .int(counts.errors)),
        ]
        fields.append(optional: "filteredOut", counts.filteredOut.map(Value.int))
        fields.append(optional: "unnamedPassed", counts.unnamedPassed.map(Value.int))
        fields.append(optional: "unnamedIgnored", counts.unnamedIgnored.map(Value.int))
        fields.append(optional: "flaky", counts.flaky.map(Value.int))
        return .object(fields)
    }

    static func value(_ counts: SuiteCounts) -> Value {
        var fields: [(String, Value)] = [
            ("passed", .int(counts.passed)), ("failed", .int(counts.failed)), ("ignored", .int(counts.ignored)),
            ("measured", .int(counts.measured)), ("filteredOut", .int(counts.filteredOut)), ("ok", .bool(counts.ok)),
        ]
        fields.append(optional: "duration", counts.duration.map(Value.double))
        return .object(fields)
    }

    static func value(_ test: TestCase) -> Value {
        var fields: [(String, Value)] = [("name", .string(test.name)), ("outcome", .string(test.outcome.rawValue))]
        fields.append(optional: "duration", test.duration.map(Value.double))
        fields.append(optional: "message", test.message.map(Value.string))
        fields.append(optional: "output", test.output.map(Value.string))
        fields.append(optional: "outputTruncated", test.outputTruncated.map(Value.bool))
        fields.append(optional: "benchmark", test.benchmark.map(Value.string))
        fields.append(optional: "mode", test.mode.map(Value.string))
        fields.append(optional: "errorKind", test.errorKind.map { .string($0.rawValue) })
        fields.append(optional: "flaky", test.flaky.map(Value.bool))
        fields.append(optional: "reruns", test.reruns.map { reruns in
            .array(reruns.map { rerun in
                var values: [(String, Value)] = [("outcome", .string(rerun.outcome.rawValue))]
                values.append(optional: "message", rerun.message.map(Value.string))
                values.append(optional: "output", rerun.output.map(Value.string))
                values.append(optional: "duration", rerun.duration.map(Value.double))
                values.append(optional: "errorKind", rerun.errorKind.map { .string($0.rawValue) })
                return .object(values)
            })
        })
        return .object(fields)
    }

    // MARK: - Writing, as JSONEncoder's pretty printer does

    static func write(_ value: Value, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            out.append(0x0A)
            for (position, field) in fields.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }).enumerated() {
                if position > 0 { out.append(contentsOf: ",\n".utf8) }
                pad(indent + 2, &out)
                string(field.0, into: &out)
                out.append(contentsOf: " : ".utf8)
                write(field.1, indent: indent + 2, into: &out)
            }
            out.append(0x0A)
            pad(indent, &out)
            out.append(UInt8(ascii: "}"))
        case .array(let values):
            out.append(UInt8(ascii: "["))
            out.append(0x0A)
            for (position, element) in values.enumerated() {
                if position > 0 { out.append(contentsOf: ",\n".utf8) }
                pad(indent + 2, &out)
                write(element, indent: indent + 2, into: &out)
            }
            out.append(0x0A)
            pad(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            string(text, into: &out)
        case .int(let number):
            out.append(contentsOf: String(number).utf8)
        case .double(let number):
            out.append(contentsOf: Self.number(number).utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        }
    }

    /// A double as JSONEncoder writes it: a whole number up to 2^53 without a fraction (`2`), else Swift's
    /// shortest round-trip text without a `.0` (`0.1`, `1e-07`, `1e+21`).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 { return String(Int64(value)) }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    private static func pad(_ count: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
    }

    /// A JSON string as JSONEncoder escapes it: `"` and `\`, the named control characters (\b \f \n \r \t) and any
    /// other below U+0020 as \u00xx; everything else (`/` included, with `.withoutEscapingSlashes`) as is.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension Array where Element == (String, ResultsJSONWriter.Value) {
    /// Adds the field when it has a value: JSONEncoder leaves out a nil optional (`encodeIfPresent`).
    fileprivate mutating func append(optional key: String, _ value: ResultsJSONWriter.Value?) {
        if let value { append((key, value)) }
    }
}
