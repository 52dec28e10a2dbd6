import Foundation

/// Writes and reads the results JSON (docs/results-schema.md).
public enum JSONReporter {
    public static func encode(_ result: RunResult) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(result)
    }

    public static func decode(_ data: Data) throws -> RunResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(RunResult.self, from: data)
    }

    public static func write(_ result: RunResult, to path: String) throws {
        var data = try encode(result)
        data.append(0x0A)
        try AtomicFile.write(data, to: path)
    }
}
