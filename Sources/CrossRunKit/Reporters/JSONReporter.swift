import FoundationEssentials
import Glibc

/// Writes and reads the results JSON (docs/results-schema.md).
public enum JSONReporter {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The results JSON, byte for byte what `JSONEncoder` makes of `result`.
    public static func encode(_ result: RunResult) throws -> Data {
        var data = Data()
        try stream(result) { data.append(contentsOf: $0) }
        return data
    }

    /// The results JSON in pieces, in order: byte for byte what `JSONEncoder` makes of `result`, written without
    /// Codable (``ResultsJSONWriter``: Codable's first use costs a start-up about 2 ms). A tree of the whole
    /// document on a suite of 100k tests would cost more time and memory than all the parsing: so the document is
    /// written without its tests, and the tests array is written into its place one test at a time: a plain test (a
    /// name JSON needs no escape for and an outcome, nothing else) directly, any other test as its own document,
    /// indented to its place.
    static func stream(_ result: RunResult, into write: (UnsafeRawBufferPointer) -> Void) throws {
        func emit(_ text: StaticString) {
            write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func emit(_ bytes: ArraySlice<UInt8>) {
            bytes.withUnsafeBytes { write($0) }
        }
        guard !result.tests.isEmpty else { return emit(ResultsJSONWriter.document(result)[...]) }
        var envelope = result
        envelope.tests = []
        let head = ResultsJSONWriter.document(envelope)
        // Keys are sorted and nested values indented, and a newline inside a string is escaped: this key line is
        // the top-level `tests`, and its empty array ends at the next `]`.
        guard let key = head.firstRange(of: Array("\n  \"tests\" : [".utf8)),
            let close = head[key.upperBound...].firstIndex(of: UInt8(ascii: "]")),
            head[key.upperBound..<close].allSatisfy({ $0 == 0x20 || $0 == 0x0A })
        else { return emit(ResultsJSONWriter.document(result)[...]) }
        emit(head[..<key.upperBound])
        emit("\n")
        for (position, test) in result.tests.enumerated() {
            if position > 0 { emit(",\n") }
            if isPlain(test), plainJSONString(test.name) {
                emit("    {\n      \"name\" : \"")
                var name = test.name
                name.withUTF8 { write(UnsafeRawBufferPointer($0)) }
                emit("\",\n      \"outcome\" : \"")
                var outcome = test.outcome.rawValue
                outcome.withUTF8 { write(UnsafeRawBufferPointer($0)) }
                emit("\"\n    }")
            } else {
                // The test's own document, indented to its place in the array (a blank line stays blank).
                let single = ResultsJSONWriter.document(test)
                var indented: [UInt8] = Array("    ".utf8)
                indented.reserveCapacity(single.count * 2)
                for (offset, byte) in single.enumerated() {
                    indented.append(byte)
                    if byte == 0x0A && offset + 1 < single.count && single[offset + 1] != 0x0A {
                        indented.append(contentsOf: "    ".utf8)
                    }
                }
                indented.withUnsafeBytes { write($0) }
            }
        }
        emit("\n  ")
        emit(head[close...])
    }

    /// A test with nothing but its name and outcome (every other field at its default).
    static func isPlain(_ test: TestCase) -> Bool {
        test.isPlain && test.duration == nil
    }

    /// Whether JSON needs no escape for the text: printable ASCII other than `"` and `\`.
    static func plainJSONString(_ text: String) -> Bool {
        ByteSearch.allBytes(of: text) { $0 >= 0x20 && $0 <= 0x7E && $0 != 0x22 && $0 != 0x5C }
    }

    public static func decode(_ data: Data) throws -> RunResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RunResult.self, from: data)
    }

    /// Streams the results JSON into the file, through a temporary file renamed into place.
    public static func write(_ result: RunResult, to path: String) throws {
        try AtomicFile.write(to: path) { temporary in
            let sink = try FileSink(path: temporary)
            try stream(result) { sink.write($0) }
            sink.write(UnsafeRawBufferPointer(start: ("\n" as StaticString).utf8Start, count: 1))
            try sink.close()
        }
    }
}
