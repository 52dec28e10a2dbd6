import CrossRunKit
import Foundation
import Glibc

/// Where Debian packages come from: an explicit URL, or the first suitable `deb` source of this machine's apt
/// configuration (one-line `sources.list` files and deb822 `.sources` files), so a Debian host needs no setup.
public enum DebianMirror {
    public static let defaultSourcesList = FetchOptions.defaultSourcesList
    public static let defaultSourcesDirectory = FetchOptions.defaultSourcesDirectory

    /// The mirror's base URL (without a trailing slash).
    public static func resolve(
        explicit: String?, suite: String,
        sourcesList: String = defaultSourcesList, sourcesDirectory: String = defaultSourcesDirectory
    ) throws -> String {
        if let explicit, !explicit.isEmpty { return trimmed(explicit) }
        var sources: [(uri: String, suites: [String])] = []
        var files = [sourcesList]
        if let names = try? FileManager.default.contentsOfDirectory(atPath: sourcesDirectory) {
            files += names.filter { $0.hasSuffix(".list") || $0.hasSuffix(".sources") }.sorted()
                .map { (sourcesDirectory as NSString).appendingPathComponent($0) }
        }
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            sources += file.hasSuffix(".sources") ? deb822(text) : oneLine(text)
        }
        // The source that carries the suite itself, else any Debian-like main archive (not security/updates).
        if let match = sources.first(where: { $0.suites.contains(suite) && usable($0.uri) }) { return trimmed(match.uri) }
        if let any = sources.first(where: { usable($0.uri) && !$0.uri.contains("security") }) { return trimmed(any.uri) }
        throw CrossRunError.noMirror(searched: files)
    }

    static func usable(_ uri: String) -> Bool { uri.hasPrefix("http://") || uri.hasPrefix("https://") || uri.hasPrefix("file:") }

    static func trimmed(_ uri: String) -> String {
        var uri = uri
        while uri.hasSuffix("/") { uri.removeLast() }
        return uri
    }

    /// `deb [arch=amd64 signed-by=...] http://deb.debian.org/debian bookworm main`
    static func oneLine(_ text: String) -> [(uri: String, suites: [String])] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard words.first == "deb" else { return nil }
            words.removeFirst()
            if words.first?.hasPrefix("[") == true {
                while let word = words.first {
                    words.removeFirst()
                    if word.hasSuffix("]") { break }
                }
            }
            guard words.count >= 2 else { return nil }
            return (words[0], [words[1]])
        }
    }

    /// deb822 stanzas: `Types: deb`, `URIs: ...`, `Suites: ...`, `Enabled: no` skips a stanza.
    static func deb822(_ text: String) -> [(uri: String, suites: [String])] {
        var result: [(String, [String])] = []
        // Stanzas end at lines that are empty or only white space (CRLF files included).
        var stanzas: [[Substring]] = [[]]
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.allSatisfy(\.isWhitespace) { stanzas.append([]) } else { stanzas[stanzas.count - 1].append(line) }
        }
        for stanza in stanzas where !stanza.isEmpty {
            var fields: [String: String] = [:]
            var last: String?
            for line in stanza where !line.hasPrefix("#") {
                if line.first == " " || line.first == "\t", let key = last {
                    fields[key, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
                } else if let colon = line.firstIndex(of: ":") {
                    let key = line[..<colon].lowercased()
                    fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    last = key
                }
            }
            let disabled = ["no", "false", "off", "0"].contains(fields["enabled"]?.lowercased() ?? "yes")
            guard fields["types"]?.split(whereSeparator: \.isWhitespace).contains("deb") == true, !disabled else { continue }
            let suites = (fields["suites"] ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
            for uri in (fields["uris"] ?? "").split(whereSeparator: \.isWhitespace) { result.append((String(uri), suites)) }
        }
        return result
    }
}
