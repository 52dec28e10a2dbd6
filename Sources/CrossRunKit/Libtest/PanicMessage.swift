import FoundationEssentials
import Glibc

/// Finds the message a failing test's captured output explains itself with.
public enum PanicMessage {
    /// The panic message (old `panicked at 'MSG', FILE:L:C` and new `panicked at FILE:L:C:\nMSG` forms),
    /// libtest's `note: test did not panic as expected`, or else the first non-empty line.
    public static func extract(from output: String) -> String? {
        if let panic = panic(in: output) { return panic }
        let lines = output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if let line = lines.first(where: { !$0.trimmingSpaces().isEmpty }) {
            return line.count > 500 ? String(line.prefix(500)) + "…" : String(line)
        }
        return nil
    }

    /// The panic message or libtest's `note: test did not panic as expected` in `output`, else nil.
    public static func panic(in output: String) -> String? {
        let lines = output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        for (index, line) in lines.enumerated() {
            // `thread 'NAME' panicked at`, and since Rust 1.88 `thread 'NAME' (TID) panicked at`.
            guard line.hasPrefix("thread '"),
                let panicked = line.firstRange(of: #/' (\(\d+\) )?panicked at /#)
            else { continue }
            let rest = line[panicked.upperBound...]
            if rest.hasPrefix("'") {
                // Rust < 1.73: the message is quoted and may span lines; it ends with `', FILE:LINE:COL`.
                let joined = ([String(rest.dropFirst())] + lines[(index + 1)...]).joined(separator: "\n")
                if let end = joined.firstRange(of: #/', [^\n]*:\d+:\d+/#) {
                    return String(joined[..<end.lowerBound])
                }
                // Torn by another thread's panic (Rust < 1.73 writes it in pieces): a location cut short.
                if let end = joined.firstRange(of: #/', [^\n']*\.rs(:\d*)*$/#.anchorsMatchLineEndings()) {
                    return String(joined[..<end.lowerBound])
                }
                return String(rest.dropFirst())
            }
            // Rust >= 1.73: `panicked at FILE:LINE:COL:` then the message lines, up to a note or backtrace.
            var message: [String] = []
            for next in lines[(index + 1)...] {
                if next.hasPrefix("note: ") || next.hasPrefix("stack backtrace:") || next.hasPrefix("thread '") { break }
                if message.isEmpty && next.isEmpty { continue }
                message.append(next)
            }
            while message.last?.isEmpty == true { message.removeLast() }
            if !message.isEmpty { return message.joined(separator: "\n") }
            return String(rest)
        }
        if let note = lines.first(where: { $0.hasPrefix("note: test did not panic as expected") }) {
            return String(note.dropFirst("note: ".count))
        }
        return nil
    }
}
