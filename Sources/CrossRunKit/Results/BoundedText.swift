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
        // Contiguous bytes (a String's UTF-8, an array, a read buffer) are copied in blocks.
        if bytes.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) != nil { return }
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

    /// Appends raw bytes: the path every chunk of a flood takes, so it copies blocks and never holds more than
    /// twice the tail limit.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        guard !bytes.isEmpty else { return }
        var rest = UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        if head.count < headLimit {
            let take = min(headLimit - head.count, rest.count)
            head.append(contentsOf: UnsafeBufferPointer(rebasing: rest[0..<take]))
            rest = UnsafeBufferPointer(rebasing: rest[take...])
        }
        guard !rest.isEmpty else { return }
        if rest.count >= tailLimit {
            // This block alone fills the tail: what was there before goes.
            tail.removeAll(keepingCapacity: true)
            tail.append(contentsOf: UnsafeBufferPointer(rebasing: rest[(rest.count - tailLimit)...]))
            return
        }
        tail.append(contentsOf: rest)
        if tail.count > 2 * tailLimit { tail.removeFirst(tail.count - tailLimit) }
    }

    /// Appends a line's bytes and a newline.
    public mutating func append(line: UnsafeRawBufferPointer) {
        append(line)
        var newline = UInt8(ascii: "\n")
        withUnsafeBytes(of: &newline) { append($0) }
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
