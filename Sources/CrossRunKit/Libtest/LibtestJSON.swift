import FoundationEssentials
import Glibc

/// libtest's JSON lines (`-Z unstable-options --format json`). Unknown event types are ignored.
enum LibtestJSON {
    /// The fields of a libtest JSON line that crossrun reads. Decoded leniently, as libtest's format is unstable:
    /// a field of an unexpected type is as good as absent, numbers may come as strings and the other way round.
    struct Line: Decodable {
        var type: String
        var event: String?
        var name: String?
        var message: String?
        var reason: String?
        var stdout: String?
        var numbers: [Key: Scalar] = [:]

        enum Key: String, CodingKey, CaseIterable {
            case type, event, name, message, reason, stdout
            case testCount = "test_count", passed, failed, ignored, measured, filteredOut = "filtered_out"
            case execTime = "exec_time", median, deviation
        }

        /// A JSON number or string (what `JSONSerialization` gave as NSNumber or String).
        enum Scalar: Decodable {
            case number(Double, Int?)
            case text(String)

            init(from decoder: Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let integer = try? value.decode(Int.self) {
                    self = .number(Double(integer), integer)
                } else if let double = try? value.decode(Double.self) {
                    self = .number(double, double.isFinite && abs(double) < 9.2e18 ? Int(double) : nil)
                } else if let flag = try? value.decode(Bool.self) {
                    self = .number(flag ? 1 : 0, flag ? 1 : 0)
                } else {
                    self = .text(try value.decode(String.self))
                }
            }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            type = try container.decode(String.self, forKey: .type)
            func text(_ key: Key) -> String? { (try? container.decodeIfPresent(String.self, forKey: key)) ?? nil }
            event = text(.event)
            name = text(.name)
            message = text(.message)
            reason = text(.reason)
            stdout = text(.stdout)
            for key in container.allKeys {
                switch key {
                case .type, .event, .name, .message, .reason, .stdout:
                    continue
                default:
                    if let value = (try? container.decodeIfPresent(Scalar.self, forKey: key)) ?? nil { numbers[key] = value }
                }
            }
        }
    }

    /// One decoder for every line: JSONDecoder into the few fields crossrun reads is much cheaper than
    /// JSONSerialization's dictionaries of NSObjects on suites of 100k tests.
    private static let decoder = JSONDecoder()

    private static func decode(_ line: String) -> Line? {
        try? decoder.decode(Line.self, from: Data(line.utf8))
    }

    /// The two lines libtest prints for nearly every test, exactly as it prints them (its JSON formatter writes
    /// these fixed texts around the name): recognised by their bytes, as a decoder costs microseconds a line.
    /// Any other line, or a name with a character JSON escapes, goes to the decoder.
    private static let startedPrefix: StaticString = #"{ "type": "test", "event": "started", "name": ""#
    private static let startedSuffix: StaticString = #"" }"#
    private static let okPrefix: StaticString = #"{ "type": "test", "name": ""#
    private static let okSuffix: StaticString = #"", "event": "ok" }"#

    /// The name between `prefix` and `suffix` when the line is exactly that, and the name needs no JSON escape.
    private static func name(in line: UnsafeBufferPointer<UInt8>, between prefix: StaticString, and suffix: StaticString) -> String? {
        let head = prefix.utf8CodeUnitCount, tail = suffix.utf8CodeUnitCount
        guard let base = line.baseAddress, line.count > head + tail,
            memcmp(base, prefix.utf8Start, head) == 0, memcmp(base + line.count - tail, suffix.utf8Start, tail) == 0
        else { return nil }
        let name = UnsafeBufferPointer(rebasing: line[head..<(line.count - tail)])
        guard !name.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return nil }
        return String(decoding: name, as: UTF8.self)
    }

    /// The usual lines' events (see ``startedPrefix``), or nil for any other line.
    private static func parseUsual(_ line: String) -> [LibtestEvent]? {
        line.utf8.withContiguousStorageIfAvailable { bytes -> [LibtestEvent]? in
            if let name = name(in: bytes, between: startedPrefix, and: startedSuffix) { return [.testStarted(name: name)] }
            if let name = name(in: bytes, between: okPrefix, and: okSuffix) {
                return [.testFinished(TestCase(name: name, outcome: .passed))]
            }
            return nil
        } ?? nil
    }

    /// The events of one JSON line, or nil when the line is not a libtest JSON object.
    static func parse(_ line: String) -> [LibtestEvent]? {
        parseUsual(line) ?? parseDecoded(line)
    }

    /// The events of one JSON line, through the decoder.
    static func parseDecoded(_ line: String) -> [LibtestEvent]? {
        guard let object = decode(line) else { return nil }
        let type = object.type
        let event = object.event
        let name = object.name
        func integer(_ key: Line.Key) -> Int? { SuiteCounts.count(Self.integer(object.numbers[key])) }
        func seconds(_ key: Line.Key) -> Double? { Self.seconds(object.numbers[key]) }
        switch type {
        case "suite":
            switch event {
            case "started":
                return [.suiteStarted(testCount: integer(.testCount) ?? 0)]
            case "ok", "failed":
                return [.suiteFinished(SuiteCounts(
                    passed: integer(.passed) ?? 0, failed: integer(.failed) ?? 0,
                    ignored: integer(.ignored) ?? 0, measured: integer(.measured) ?? 0,
                    filteredOut: integer(.filteredOut) ?? 0, duration: seconds(.execTime),
                    ok: event == "ok"))]
            default:
                return []
            }
        case "test":
            guard let name else { return [] }
            let duration = seconds(.execTime)
            let message = object.message ?? object.reason
            switch event {
            case "started":
                return [.testStarted(name: name)]
            case "ok":
                var test = TestCase(name: name, outcome: .passed, duration: duration)
                test.output = object.stdout
                return [.testFinished(test)]
            case "failed":
                var test = TestCase(name: name, outcome: .failed, duration: duration, message: message)
                test.output = object.stdout
                return [.testFinished(test)]
            case "ignored":
                return [.testFinished(TestCase(name: name, outcome: .ignored, message: message))]
            default:  // "timeout" is a warning that the test runs long; the test still reports later.
                return []
            }
        case "bench":
            guard let name else { return [] }
            var test = TestCase(name: name, outcome: .measured)
            if let median = integer(.median), let deviation = integer(.deviation) {
                test.benchmark = "\(median) ns/iter (+/- \(deviation))"
            }
            return [.testFinished(test)]
        default:
            return []
        }
    }

    private static func integer(_ value: Line.Scalar?) -> Int? {
        switch value {
        case .number(_, let integer): return integer
        case .text(let text): return Int(text)
        case nil: return nil
        }
    }

    /// `exec_time` is a number of seconds in newer libtest, a string like `"0.001s"` in older ones.
    private static func seconds(_ value: Line.Scalar?) -> Double? {
        switch value {
        case .number(let number, _): return DurationText.reportedSeconds(number)
        case .text(let text): return DurationText.reportedSeconds(Double(text.hasSuffix("s") ? String(text.dropLast()) : text))
        case nil: return nil
        }
    }
}
