import FoundationEssentials
import Glibc

/// Substring search over UTF-8 bytes, for the ASCII separators of libtest's lines.
enum ByteSearch {
    /// The first occurrence of `pattern` in `text`, as a range of `text`'s indices.
    static func firstRange<Text: StringProtocol>(of pattern: StaticString, in text: Text) -> Range<String.Index>? {
        search(pattern, in: text, last: false)
    }

    /// The last occurrence of `pattern` in `text`.
    static func lastRange<Text: StringProtocol>(of pattern: StaticString, in text: Text) -> Range<String.Index>? {
        search(pattern, in: text, last: true)
    }

    /// Whether the text's UTF-8 holds the byte (memchr over a native string's storage).
    static func contains(_ byte: UInt8, in text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, Int32(byte), bytes.count) != nil
        }
            ?? text.utf8.contains(byte)
    }

    /// Whether every UTF-8 byte of the text passes `test` (a loop over a native string's storage).
    static func allBytes(of text: String, _ test: (UInt8) -> Bool) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes where !test(byte) { return false }
            return true
        } ?? text.utf8.allSatisfy(test)
    }

    private static func search<Text: StringProtocol>(_ pattern: StaticString, in text: Text, last: Bool) -> Range<String.Index>? {
        let needle = UnsafeRawBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
            guard let base = bytes.baseAddress, let first = needle.first, bytes.count >= needle.count else { return nil }
            func matches(_ offset: Int) -> Bool {
                base[offset] == first && memcmp(base + offset, needle.baseAddress!, needle.count) == 0
            }
            let offsets = 0...(bytes.count - needle.count)
            return last ? offsets.reversed().first(where: matches) : offsets.first(where: matches)
        }
        let utf8 = text.utf8
        let found = utf8.withContiguousStorageIfAvailable(find) ?? Array(utf8).withUnsafeBufferPointer(find)
        guard let found else { return nil }
        let start = utf8.index(utf8.startIndex, offsetBy: found)
        return start..<utf8.index(start, offsetBy: needle.count)
    }
}
