extension String {
    /// nil for text that is empty or only white space (libtest's own blank lines are not worth a report entry).
    var nonBlank: String? { allSatisfy(\.isWhitespace) ? nil : self }
}
