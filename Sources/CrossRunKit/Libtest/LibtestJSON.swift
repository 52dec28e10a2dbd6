import Foundation

/// libtest's JSON lines (`-Z unstable-options --format json`). Unknown event types are ignored.
enum LibtestJSON {
    /// The events of one JSON line, or nil when the line is not a libtest JSON object.
    static func parse(_ line: String) -> [LibtestEvent]? {
        guard let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let type = object["type"] as? String
        else { return nil }
        let event = object["event"] as? String
        let name = object["name"] as? String
        switch type {
        case "suite":
            switch event {
            case "started":
                return [.suiteStarted(testCount: integer(object["test_count"]) ?? 0)]
            case "ok", "failed":
                return [.suiteFinished(SuiteCounts(
                    passed: integer(object["passed"]) ?? 0, failed: integer(object["failed"]) ?? 0,
                    ignored: integer(object["ignored"]) ?? 0, measured: integer(object["measured"]) ?? 0,
                    filteredOut: integer(object["filtered_out"]) ?? 0, duration: seconds(object["exec_time"]),
                    ok: event == "ok"))]
            default:
                return []
            }
        case "test":
            guard let name else { return [] }
            let duration = seconds(object["exec_time"])
            let message = object["message"] as? String ?? object["reason"] as? String
            switch event {
            case "started":
                return [.testStarted(name: name)]
            case "ok":
                var test = TestCase(name: name, outcome: .passed, duration: duration)
                test.output = object["stdout"] as? String
                return [.testFinished(test)]
            case "failed":
                var test = TestCase(name: name, outcome: .failed, duration: duration, message: message)
                test.output = object["stdout"] as? String
                return [.testFinished(test)]
            case "ignored":
                return [.testFinished(TestCase(name: name, outcome: .ignored, message: message))]
            default:  // "timeout" is a warning that the test runs long; the test still reports later.
                return []
            }
        case "bench":
            guard let name else { return [] }
            var test = TestCase(name: name, outcome: .measured)
            if let median = integer(object["median"]), let deviation = integer(object["deviation"]) {
                test.benchmark = "\(median) ns/iter (+/- \(deviation))"
            }
            return [.testFinished(test)]
        default:
            return []
        }
    }

    private static func integer(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }

    /// `exec_time` is a number of seconds in newer libtest, a string like `"0.001s"` in older ones.
    private static func seconds(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        if let text = value as? String { return Double(text.hasSuffix("s") ? String(text.dropLast()) : text) }
        return nil
    }
}
