/// Text that keeps at most `headLimit` bytes from its start and `tailLimit` bytes from its end, however much
/// is appended, and says how much it dropped between them. crossrun's memory stays bounded under output floods.
public struct BoundedText: Sendable, Equatable {
    public static let defaultHead = 64 * 1024
    public static let defaultTail = 192 * 1024

    public let headLimit: Int
    public let tailLimit: Int
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    /// Bytes appended in all.
    public private(set) var totalBytes = 0

    public init(headLimit: Int = BoundedText.defaultHead, tailLimit: Int = BoundedText.defaultTail) {
        self.headLimit = headLimit
        self.tailLimit = tailLimit
    }

    public var isEmpty: Bool { totalBytes == 0 }
    public var droppedBytes: Int { totalBytes - head.count - tail.count }
    public var isTruncated: Bool { droppedBytes > 0 }

    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        totalBytes += bytes.count
        var rest = bytes[...]
        if head.count < headLimit {
            let take = min(headLimit - head.count, rest.count)
            head.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest)
        if tail.count > 2 * tailLimit { tail.removeFirst(tail.count - tailLimit) }
    }

    public mutating func append(line: String) {
        append(line.utf8)
        append(CollectionOfOne(UInt8(ascii: "\n")))
    }

    /// The kept text (invalid UTF-8 replaced), with a marker where bytes were dropped.
    public var text: String {
        var kept = tail
        if kept.count > tailLimit { kept.removeFirst(kept.count - tailLimit) }
        let dropped = totalBytes - head.count - kept.count
        guard dropped > 0 else { return String(decoding: head + kept, as: UTF8.self) }
        return String(decoding: head, as: UTF8.self)
            + "\n[crossrun: \(dropped) bytes of output omitted here]\n"
            + String(decoding: kept, as: UTF8.self)
    }
}
