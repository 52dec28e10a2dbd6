import CLibXML2
#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// A thin Swift face on libxml2's `xmlTextWriter`: libxml2 does the escaping and encoding, every string passes
/// through ``XMLText/sanitize(_:)`` first so the document is always well-formed XML 1.0.
final class XMLWriter {
    private var writer: xmlTextWriterPtr?
    /// The document streams to `path` as it is written, in blocks, through ``FileSink``'s checked system calls: a
    /// report of any size costs no memory, and an ENOSPC or EIO is an error. (libxml2's own file output goes
    /// through stdio, whose buffered data is written, and an error lost, only when the writer is freed.)
    private let sink: FileSink
    private let path: String
    private var failed = false

    init(path: String) throws {
        sink = try FileSink(path: path)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        guard let output = xmlOutputBufferCreateIO(xmlSinkWrite, xmlSinkClose, context, nil) else {
            throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not allocate an output buffer")
        }
        guard let writer = xmlNewTextWriter(output) else {
            xmlOutputBufferClose(output)
            throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not start a writer")
        }
        self.writer = writer
        self.path = path
        _ = xmlTextWriterSetIndent(writer, 1)
        check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil))
    }

    deinit {
        if let writer { xmlFreeTextWriter(writer) }
    }

    private func check(_ result: Int32) {
        if result < 0 { failed = true }
    }

    func start(_ element: String) {
        guard let writer else { return }
        check(xmlTextWriterStartElement(writer, element))
    }

    func attribute(_ name: String, _ value: String) {
        guard let writer else { return }
        check(xmlTextWriterWriteAttribute(writer, name, XMLText.sanitize(value)))
    }

    func text(_ value: String) {
        guard let writer else { return }
        check(xmlTextWriterWriteString(writer, XMLText.sanitize(value)))
    }

    func end() {
        guard let writer else { return }
        check(xmlTextWriterEndElement(writer))
    }

    /// An element with attributes and optional text.
    func element(_ name: String, _ attributes: [(String, String)] = [], text value: String? = nil) {
        start(name)
        for (key, attributeValue) in attributes { attribute(key, attributeValue) }
        if let value { text(value) }
        end()
    }

    /// Ends the document and writes the rest to the file; throws if anything failed along the way (including a
    /// full disk).
    func close() throws {
        guard let writer else { return }
        check(xmlTextWriterEndDocument(writer))
        check(xmlTextWriterFlush(writer))
        // Freeing the writer flushes and closes its output buffer (into the sink).
        xmlFreeTextWriter(writer)
        self.writer = nil
        try sink.close()
        if failed { throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not write it") }
    }
}

/// libxml2's output callbacks: the context is the writer's ``FileSink``.
private func xmlSinkWrite(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafePointer<CChar>?, _ count: Int32) -> Int32 {
    guard let context else { return -1 }
    let sink = Unmanaged<FileSink>.fromOpaque(context).takeUnretainedValue()
    sink.write(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
    return sink.failure == nil ? count : -1
}

private func xmlSinkClose(_ context: UnsafeMutableRawPointer?) -> Int32 {
    0
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
    package func withXMLChars<R>(_ body: (UnsafePointer<xmlChar>) -> R) -> R {
        withCString { pointer in
            pointer.withMemoryRebound(to: xmlChar.self, capacity: utf8.count + 1) { body($0) }
        }
    }
}
