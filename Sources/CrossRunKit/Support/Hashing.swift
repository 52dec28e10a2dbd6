/// Hex SHA-256 of bytes (``SHA256Digest``).
package enum Hashing {
    /// A digest as lower-case hex.
    package static func hex<Bytes: Sequence>(_ digest: Bytes) -> String where Bytes.Element == UInt8 {
        digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    package static func sha256<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        hex(SHA256Digest.hash(bytes))
    }

    /// Streams a file through SHA-256; nil when it cannot be read.
    package static func sha256(file path: String) -> (hash: String, size: Int)? {
        SHA256Digest.hash(file: path).map { (hex($0.digest), $0.size) }
    }
}
