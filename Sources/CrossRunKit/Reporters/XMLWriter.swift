import CLibXML2
#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// A thin Swift face on libxml2's `xmlTextWriter`: libxml2 does the escaping and encoding, every string passes
/// through ``XMLText/sanitize(_:)`` first so the document is always well-formed XML 1.0.
final class XMLWriter {
    private let writer: xmlTextWriterPtr
    /// The document is built in memory and written to `path` by ``close()`` with checked system calls: libxml2's
    /// own file output goes through stdio, whose buffered data is written (and an ENOSPC or EIO lost) only when
    /// the writer is freed, which left an empty or cut report in place while crossrun said it was written.
    private let buffer: xmlBufferPtr
    private let path: String
    private var failed = false

    init(path: String) throws {
        guard let buffer = xmlBufferCreate() else {
            throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not allocate a buffer")
        }
        guard let writer = xmlNewTextWriterMemory(buffer, 0) else {
            xmlBufferFree(buffer)
            throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not start a writer")
        }
        self.writer = writer
        self.buffer = buffer
        self.path = path
        _ = xmlTextWriterSetIndent(writer, 1)
        check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil))
    }

    deinit {
        xmlFreeTextWriter(writer)
        xmlBufferFree(buffer)
    }

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

    /// Ends the document and writes it to the file; throws if anything failed along the way (including a full disk).
    func close() throws {
        check(xmlTextWriterEndDocument(writer))
        check(xmlTextWriterFlush(writer))
        if failed { throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not write it") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
        var offset = 0
        let count = Int(xmlBufferLength(buffer))
        let bytes = UnsafeRawPointer(xmlBufferContent(buffer))
        while offset < count, let bytes {
            let written = write(fd, bytes + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                throw CrossRunError.reportNotWritable(path: path, reason: reason)
            }
            offset += written
        }
        guard Glibc.close(fd) == 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
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
