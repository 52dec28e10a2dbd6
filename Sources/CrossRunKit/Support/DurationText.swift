import FoundationEssentials
import Glibc

/// Durations as users write them: `30s`, `5m`, `1.5s`, `250ms`, `2h`, or plain seconds (`30`, `0.5`).
public enum DurationText {
    public static let expected = "a duration such as 30s, 5m, 1.5s, 250ms, 1h or plain seconds, more than 0"

    /// The duration, or nil for text that is not one or is not more than 0.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces().lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            scale = factor
            break
        }
        // Digits with at most one point; no sign, exponent, inf or nan.
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number)
        else { return nil }
        let seconds = value * scale
        guard seconds > 0, seconds.isFinite, seconds < 1e9 else { return nil }
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds >= 1 else { return nil }
        return .milliseconds(Int64(milliseconds))
    }

    /// Seconds a program reported (libtest's `finished in 0.01s`, `<0.001s>`, `exec_time`), kept when they can
    /// be a duration: finite, 0 or more and under 1e9 (31 years). `inf`, `NaN`, a negative or absurd number
    /// gives nil, as if none was reported: a report must never hold a number JSON cannot carry.
    public static func reportedSeconds(_ value: Double?) -> Double? {
        guard let value, value.isFinite, value >= 0, value < 1e9 else { return nil }
        return value
    }

    /// `30s`, `1.5s`, `250ms`, `5m`.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = Int64((duration.seconds * 1000).rounded())
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds % 60_000 == 0 && milliseconds >= 60_000 {
            return milliseconds % 3_600_000 == 0 ? "\(milliseconds / 3_600_000)h" : "\(milliseconds / 60_000)m"
        }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        var text = String(cFormat: "%.3f", Double(milliseconds) / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        return text + "s"
    }
}

extension Duration {
    /// The duration in seconds, as results report it.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The whole milliseconds in it (truncated), for poll's timeout.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
