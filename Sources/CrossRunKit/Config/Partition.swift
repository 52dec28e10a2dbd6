import Foundation

/// One share of a binary's tests for a CI matrix job: `hash:K/N` (by a hash of each test's name: stable when
/// tests are added or removed elsewhere) or `slice:K/N` (every Nth test of libtest's sorted listing, starting at
/// the Kth: even shares). Deterministic on every machine; the N shares of a suite are disjoint and cover it.
public struct Partition: Equatable, Sendable, CustomStringConvertible {
    public enum Strategy: String, Sendable { case hash, slice }

    public var strategy: Strategy
    /// 1-based share number.
    public var index: Int
    public var count: Int

    public init(strategy: Strategy, index: Int, count: Int) {
        self.strategy = strategy
        self.index = index
        self.count = count
    }

    /// Parses `hash:2/3` or `slice:1/4` (also `count:K/N`, nextest's name for slices); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let strategyName = parts[0] == "count" ? "slice" : String(parts[0])
        let numbers = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard let strategy = Strategy(rawValue: strategyName), numbers.count == 2,
            numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let index = Int(numbers[0]), let count = Int(numbers[1]), count >= 1, count <= 100_000, index >= 1, index <= count
        else { return nil }
        self.init(strategy: strategy, index: index, count: count)
    }

    public static let expected = "hash:K/N or slice:K/N with 1 <= K <= N, e.g. hash:1/3"

    public var description: String { "\(strategy.rawValue):\(index)/\(count)" }

    /// The names of `listed` (libtest's `--list` order) in this share, in that order.
    public func select(_ listed: [String]) -> [String] {
        switch strategy {
        case .slice:
            return listed.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
        case .hash:
            return listed.filter { Int(Self.fnv1a(Array($0.utf8)) % UInt64(count)) == index - 1 }
        }
    }

    /// FNV-1a, 64-bit: fixed, endian-free and the same in every process (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
