import CrossRunKit
import FoundationEssentials
import Glibc

/// Separates the test binary's output from the rest of a guest's serial console, as the bytes arrive.
///
/// Before the start marker line everything is boot noise (kept, the last few KiB, for error messages). After
/// it, every byte is the program's output and is passed on, except a tail short enough to be the start of the
/// end marker, which is held back until the next bytes show it is not. The end marker
/// `@@crossrun-end-<nonce> status=<N>@@` may follow output that did not end its line; it ends the filter, and
/// everything after it (the kernel powering off) is dropped.
public struct ConsoleFilter: Sendable {
    public enum State: Equatable, Sendable {
        case booting
        case running
        /// The status the guest's shell reported: the exit code, or 128 + N for a death by signal N.
        case finished(status: Int32)
    }

    public private(set) var state: State = .booting
    private let start: [UInt8]
    private let end: [UInt8]
    /// Bytes not yet decided on: the current boot line, or a held-back tail of output.
    private var pending: [UInt8] = []
    /// The end of the boot console (and anything after the end marker), for error messages.
    private var log: [UInt8] = []
    static let logLimit = 8192

    public init(startMarker: String, endMarkerPrefix: String) {
        start = Array(startMarker.utf8)
        end = Array(endMarkerPrefix.utf8)
    }

    public init(_ guestInit: GuestInit) {
        self.init(startMarker: guestInit.startMarker, endMarkerPrefix: guestInit.endMarkerPrefix)
    }

    /// The console text seen outside the program's output (boot messages, a panic), at most the last 8 KiB.
    public var console: String { String(decoding: log + (state == .booting ? pending : []), as: UTF8.self) }

    /// Takes the next console bytes; returns those that are the program's output.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var rest = Array(bytes)[...]
        while state == .booting, !rest.isEmpty {
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                pending += rest
                return []
            }
            pending += rest[..<newline]
            rest = rest[(newline + 1)...]
            if Self.line(pending, is: start) {
                state = .running
            } else {
                remember(pending + [UInt8(ascii: "\n")])
            }
            pending.removeAll(keepingCapacity: true)
        }
        if case .finished = state {
            remember(Array(rest))
            return []
        }
        guard !rest.isEmpty else { return [] }
        pending += rest
        var output: [UInt8] = []
        if let at = find(end, in: pending) {
            output = Array(pending[..<at])
            pending.removeFirst(at)
            if let (status, length) = endStatus() {
                state = .finished(status: status)
                remember(Array(pending[length...]))
                pending.removeAll()
            }
            return output
        }
        // Everything before the earliest place the end marker could still begin is output.
        let keep = heldBackCount()
        output = Array(pending[..<(pending.count - keep)])
        pending.removeFirst(pending.count - keep)
        return output
    }

    /// At the end of the console: output that was held back (when the marker never came).
    public mutating func finish() -> [UInt8] {
        guard state == .running else { return [] }
        defer { pending.removeAll() }
        return pending
    }

    /// Whether a boot line (without its `\n`) is the start marker; `\r` and other console debris around it are
    /// allowed, as a kernel message may share the line.
    static func line(_ line: [UInt8], is marker: [UInt8]) -> Bool {
        var trimmed = line[...]
        while let last = trimmed.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") { trimmed = trimmed.dropLast() }
        return trimmed.count >= marker.count && trimmed.suffix(marker.count).elementsEqual(marker)
    }

    /// The status and the marker's length once `pending`, which starts with the end marker's prefix, holds
    /// the whole marker (`<prefix><digits>@@`).
    private func endStatus() -> (Int32, Int)? {
        var index = end.count
        var digits: [UInt8] = []
        while index < pending.count, pending[index] >= UInt8(ascii: "0"), pending[index] <= UInt8(ascii: "9"), digits.count < 6 {
            digits.append(pending[index])
            index += 1
        }
        guard !digits.isEmpty, index + 2 <= pending.count, pending[index] == UInt8(ascii: "@"), pending[index + 1] == UInt8(ascii: "@"),
            let status = Int32(String(decoding: digits, as: UTF8.self))
        else { return nil }
        return (status, index + 2)
    }

    /// How many bytes at the end of `pending` (which holds no whole marker prefix) could begin the end marker.
    private func heldBackCount() -> Int {
        var length = min(pending.count, end.count - 1)
        while length > 0 {
            if pending[pending.count - length] == end[0], pending.suffix(length).elementsEqual(end.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
        }
        return nil
    }

    private mutating func remember(_ bytes: [UInt8]) {
        log += bytes
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
    }
}
