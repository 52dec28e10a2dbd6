import TOMLKit

/// A TOML document as plain Swift values: what runner definitions are read from. A user's definition
/// (`CROSSRUN_RUNNERS_DIR`) is parsed with TOMLKit and converted; the built-in ones are parsed when crossrun is
/// built, by `crossrun-embed`, which writes them as these values (`EmbeddedRunners.tables`), so a run parses no
/// TOML for them.
package indirect enum TOMLNode: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// A value no definition key takes (a float, a date or a time), by its TOML type's name.
    case other(String)

    package var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    package var integer: Int? {
        if case .integer(let number) = self { return number }
        return nil
    }

    package var array: [TOMLNode]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    package var table: [String: TOMLNode]? {
        if case .table(let entries) = self { return entries }
        return nil
    }

    /// TOMLKit's parse of a document, converted.
    package init(_ table: TOMLTable) {
        var entries: [String: TOMLNode] = [:]
        for (key, value) in table { entries[key] = TOMLNode(value) }
        self = .table(entries)
    }

    package init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .bool: self = .boolean(value.bool ?? false)
        case .array: self = .array((value.array ?? []).map { TOMLNode($0) })
        case .table: self = value.table.map { TOMLNode($0) } ?? .table([:])
        case let other: self = .other(other.description)
        }
    }
}
