extension String {
    /// nil for text that is empty or only white space (libtest's own blank lines are not worth a report entry).
    var nonBlank: String? { allSatisfy(\.isWhitespace) ? nil : self }
}

extension String {
    /// The text with `pad` in front up to `width` characters (hex bytes, fractions of a second).
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
