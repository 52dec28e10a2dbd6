import CLibXML2
import Foundation

/// A thin Swift face on libxml2's `xmlTextWriter`: libxml2 does the escaping and encoding, every string passes
/// through ``XMLText/sanitize(_:)`` first so the document is always well-formed XML 1.0.
final class XMLWriter {
    private let writer: xmlTextWriterPtr
    private let path: String
    private var failed = false

    init(path: String) throws {
        guard let writer = xmlNewTextWriterFilename(path, 0) else {
            throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno)))
        }
        self.writer = writer
        self.path = path
        _ = xmlTextWriterSetIndent(writer, 1)
        check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil))
    }

    deinit { xmlFreeTextWriter(writer) }

    private func check(_ result: Int32) {
        if result < 0 { failed = true }
    }

    func start(_ element: String) {
        check(xmlTextWriterStartElement(writer, element))
    }

    func attribute(_ name: String, _ value: String) {
        check(xmlTextWriterWriteAttribute(writer, name, XMLText.sanitize(value)))
    }

    func text(_ value: String) {
        check(xmlTextWriterWriteString(writer, XMLText.sanitize(value)))
    }

    func end() {
        check(xmlTextWriterEndElement(writer))
    }

    /// An element with attributes and optional text.
    func element(_ name: String, _ attributes: [(String, String)] = [], text value: String? = nil) {
        start(name)
        for (key, attributeValue) in attributes { attribute(key, attributeValue) }
        if let value { text(value) }
        end()
    }

    /// Ends the document and flushes it to disk; throws if anything failed along the way.
    func close() throws {
        check(xmlTextWriterEndDocument(writer))
        check(xmlTextWriterFlush(writer))
        if failed { throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not write it") }
    }
}

// libxml2 takes `const xmlChar *` (unsigned char); Swift strings convert to `const char *` only.
private func xmlTextWriterStartElement(_ writer: xmlTextWriterPtr, _ name: String) -> Int32 {
    name.withXMLChars { CLibXML2.xmlTextWriterStartElement(writer, $0) }
}

private func xmlTextWriterWriteAttribute(_ writer: xmlTextWriterPtr, _ name: String, _ value: String) -> Int32 {
    name.withXMLChars { namePointer in value.withXMLChars { CLibXML2.xmlTextWriterWriteAttribute(writer, namePointer, $0) } }
}

private func xmlTextWriterWriteString(_ writer: xmlTextWriterPtr, _ value: String) -> Int32 {
    value.withXMLChars { CLibXML2.xmlTextWriterWriteString(writer, $0) }
}

extension String {
    func withXMLChars<R>(_ body: (UnsafePointer<xmlChar>) -> R) -> R {
        withCString { pointer in
            pointer.withMemoryRebound(to: xmlChar.self, capacity: utf8.count + 1) { body($0) }
        }
    }
}
