import CrossRunKit
import Foundation
import Glibc

/// A Release file's `SHA256:` list: the index files it vouches for.
public struct DebianRelease: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var sha256: String
        public var size: Int
    }

    public var fields: [String: String]
    /// Path (relative to `dists/<suite>/`) → hash and size.
    public var sha256: [String: Entry]

    public static func parse(_ text: String) -> DebianRelease {
        let stanza = DebianControl.stanzas(text).first ?? [:]
        var entries: [String: Entry] = [:]
        for line in (stanza["SHA256"] ?? "").split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count == 3, let size = Int(words[1]) else { continue }
            entries[String(words[2])] = Entry(sha256: String(words[0]).lowercased(), size: size)
        }
        return DebianRelease(fields: stanza, sha256: entries)
    }
}

/// Debian control-file syntax (RFC 822-like stanzas), as used by Release and Packages files.
public enum DebianControl {
    /// Field names keep their case; continuation lines are joined with newlines.
    public static func stanzas(_ text: String) -> [[String: String]] {
        var result: [[String: String]] = []
        var current: [String: String] = [:]
        var last: String?
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.allSatisfy(\.isWhitespace) {
                if !current.isEmpty { result.append(current) }
                current = [:]
                last = nil
                continue
            }
            if line.first == " " || line.first == "\t" {
                if let key = last { current[key, default: ""] += (current[key]!.isEmpty ? "" : "\n") + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            current[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            last = key
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The packages of a Packages index; where a name appears twice, the later stanza wins. With `only`, just
    /// those packages' stanzas are decoded: an architecture's index is tens of megabytes, scanned as bytes.
    public static func packages(_ index: Data, only wanted: Set<String>? = nil) -> [String: DebianPackage] {
        guard let wanted else { return packages(String(decoding: index, as: UTF8.self)) }
        var result: [String: DebianPackage] = [:]
        let prefix = Array("Package: ".utf8)
        index.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var lineStart = 0
            var stanzaStart: Int?
            let count = bytes.count
            func take(_ start: Int, _ end: Int) {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                for (name, package) in packages(text) { result[name] = package }
            }
            while lineStart < count {
                var lineEnd = lineStart
                while lineEnd < count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                if bytes[lineStart..<lineEnd].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {  // blank: a stanza ends
                    if let start = stanzaStart { take(start, lineStart) }
                    stanzaStart = nil
                } else if lineEnd - lineStart > prefix.count, bytes[lineStart] == prefix[0],
                    bytes[lineStart..<(lineStart + prefix.count)].elementsEqual(prefix)
                {
                    let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(lineStart + prefix.count)..<lineEnd]), as: UTF8.self)
                    stanzaStart = wanted.contains(name.trimmingCharacters(in: .whitespaces)) ? lineStart : nil
                }
                lineStart = lineEnd + 1
            }
            if let start = stanzaStart { take(start, count) }
        }
        return result
    }

    /// The fields of package `name`'s stanza in a Packages index (the last one, as `packages` does).
    public static func stanza(of name: String, in index: Data) -> [String: String]? {
        let needle = Data("Package: \(name)\n".utf8)
        var found: Range<Data.Index>?
        var searchStart = index.startIndex
        while let range = index.range(of: needle, in: searchStart..<index.endIndex) {
            if range.lowerBound == index.startIndex || index[range.lowerBound - 1] == UInt8(ascii: "\n") { found = range }
            searchStart = range.upperBound
        }
        guard let found else { return nil }
        let end = index.range(of: Data("\n\n".utf8), in: found.lowerBound..<index.endIndex)?.lowerBound ?? index.endIndex
        return stanzas(String(decoding: index[found.lowerBound..<end], as: UTF8.self)).first
    }

    /// The packages of a Packages index's text; where a name appears twice, the later stanza wins.
    public static func packages(_ text: String) -> [String: DebianPackage] {
        var result: [String: DebianPackage] = [:]
        for stanza in stanzas(text) {
            guard let name = stanza["Package"], let version = stanza["Version"], let filename = stanza["Filename"],
                let size = stanza["Size"].flatMap({ Int($0) }), let sha256 = stanza["SHA256"]
            else { continue }
            result[name] = DebianPackage(
                name: name, version: version, architecture: stanza["Architecture"] ?? "", filename: filename,
                size: size, sha256: sha256.lowercased())
        }
        return result
    }

    /// The signed text of an InRelease file (clearsigned), without the armour and with dash-escapes undone.
    /// Used only for a file whose signature was not checked (--no-verify-signature); gpgv's own output is
    /// used otherwise.
    public static func clearsignedText(_ text: String) -> String {
        guard let start = text.range(of: "-----BEGIN PGP SIGNED MESSAGE-----") else { return text }
        var body = text[start.upperBound...]
        if let blank = body.range(of: "\n\n") { body = body[blank.upperBound...] }
        if let end = body.range(of: "\n-----BEGIN PGP SIGNATURE-----") { body = body[..<end.lowerBound] }
        return body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : String($0) }
            .joined(separator: "\n")
    }
}
