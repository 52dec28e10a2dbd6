#if canImport(Glibc)
    import Glibc
#endif

extension String {
    /// nil for text that is empty or only white space (libtest's own blank lines are not worth a report entry).
    var nonBlank: String? { allSatisfy(\.isWhitespace) ? nil : self }
}

extension String {
    /// The text with `pad` in front up to `width` characters (hex bytes, fractions of a second).
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    /// printf's formatting (`%.3f`, `%04X`) through the C library's `vsnprintf`: the same digits and rounding as
    /// Foundation's `String(cFormat:)`, without Foundation.
    init(cFormat format: String, _ arguments: any CVarArg...) {
        let length = withVaList(arguments) { Int(vsnprintf(nil, 0, format, $0)) }
        var buffer = [CChar](repeating: 0, count: Swift.max(length, 0) + 1)
        _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
        self = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Unicode.Scalar {
    /// Foundation's `CharacterSet.whitespaces`: tab and the space separators.
    var isSpace: Bool { self == "\t" || properties.generalCategory == .spaceSeparator }
    /// Foundation's `CharacterSet.newlines`: U+000A–U+000D, U+0085, U+2028 and U+2029.
    var isNewline: Bool { ("\n"..."\r").contains(self) || self == "\u{85}" || self == "\u{2028}" || self == "\u{2029}" }
    /// An ASCII letter or digit.
    package var isASCIIAlphanumeric: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self) }
}

extension StringProtocol {
    /// Without the spaces and tabs at either end (`trimmingCharacters(in: .whitespaces)`).
    package func trimmingSpaces() -> String { trimming { $0.isSpace } }
    /// Without the line breaks at either end (`trimmingCharacters(in: .newlines)`).
    package func trimmingNewlines() -> String { trimming { $0.isNewline } }
    /// Without white space or line breaks at either end (`trimmingCharacters(in: .whitespacesAndNewlines)`).
    package func trimmingWhitespace() -> String { trimming { $0.isSpace || $0.isNewline } }

    private func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
