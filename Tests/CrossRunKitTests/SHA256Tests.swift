import Crypto
import Foundation
import Testing

@testable import CrossRunKit

/// The run path's own SHA-256 (Support/SHA256.swift) against FIPS 180-4's examples and swift-crypto.
struct SHA256Tests {
    struct Vector: CustomTestStringConvertible, Sendable {
        var name: String
        var message: [UInt8]
        var digest: String
        var testDescription: String { name }
    }

    /// NIST's SHA-256 examples (FIPS 180-4 and its test vectors).
    static let vectors = [
        Vector(name: "empty", message: [], digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(name: "abc", message: Array("abc".utf8), digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(
            name: "448 bits", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(
            name: "896 bits",
            message: Array(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
            digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        Vector(
            name: "one million a", message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test("NIST vectors", arguments: vectors)
    func nist(_ vector: Vector) {
        #expect(Hashing.sha256(vector.message) == vector.digest)
        // Fed in uneven pieces, through the partial-block buffer.
        var digest = SHA256Digest()
        var rest = vector.message[...]
        var size = 1
        while !rest.isEmpty {
            digest.update(rest.prefix(size))
            rest = rest.dropFirst(size)
            size = size % 97 + 13
        }
        #expect(Hashing.hex(digest.finalize()) == vector.digest)
    }

    /// Bytes that are not all alike, so a swapped or misplaced byte changes the digest.
    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8 &+ 7) }
    }

    @Test("the same digest as swift-crypto for every length from 0 to 200 (each padding case)", arguments: 0...200)
    func againstSwiftCrypto(length: Int) {
        let message = Self.bytes(length)
        #expect(Hashing.sha256(message) == Hashing.hex(SHA256.hash(data: Data(message))))
    }

    @Test("the same digest as swift-crypto for 3 MB, from memory and from a file read in chunks")
    func largeBuffer() throws {
        let message = Self.bytes(3_000_000)
        let expected = Hashing.hex(SHA256.hash(data: Data(message)))
        #expect(Hashing.sha256(message) == expected)
        #expect(Hashing.sha256(Data(message)) == expected)
        let folder = try TemporaryDirectory("crossrun-sha256")
        let path = try folder.file("large", Data(message))
        let hashed = Hashing.sha256(file: path)
        #expect(hashed?.hash == expected)
        #expect(hashed?.size == message.count)
    }

    @Test("a file that cannot be read has no digest (sysroot verification fails closed)")
    func unreadableFile() throws {
        #expect(Hashing.sha256(file: "/nonexistent/crossrun-sha256") == nil)
        let folder = try TemporaryDirectory("crossrun-sha256-folder")
        // A folder opens but cannot be read.
        #expect(Hashing.sha256(file: folder.path) == nil)
    }
}
