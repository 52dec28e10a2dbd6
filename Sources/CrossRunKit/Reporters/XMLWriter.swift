import CXMLWriter
#if canImport(Glibc)
    import Glibc
#endif
import FoundationEssentials

/// A thin Swift face on libxml2's `xmlTextWriter` (loaded when the first report is written, `Sources/CXMLWriter`):
/// libxml2 does the escaping and encoding, every string passes through ``XMLText/sanitize(_:)`` first so the
/// document is always well-formed XML 1.0.
final class XMLWriter {
    private var writer: OpaquePointer?
    /// The document streams to `path` as it is written, in blocks, through ``FileSink``'s checked system calls: a
    /// report of any size costs no memory, and an ENOSPC or EIO is an error. (libxml2's own file output goes
    /// through stdio, whose buffered data is written, and an error lost, only when the writer is freed.)
    private let sink: FileSink
    private let path: String
    private var failed = false

    init(path: String) throws {
        sink = try FileSink(path: path)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var error = [CChar](repeating: 0, count: 256)
        guard let writer = crossrun_xml_open(xmlSinkWrite, context, &error, error.count) else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CrossRunError.reportNotWritable(path: path, reason: reason)
        }
        self.writer = writer
        self.path = path
        check(crossrun_xml_start_document(writer))
    }

    deinit {
        if let writer { crossrun_xml_free(writer) }
    }

    private func check(_ result: Int32) {
        if result < 0 { failed = true }
    }

    func start(_ element: String) {
        guard let writer else { return }
        check(crossrun_xml_start_element(writer, element))
    }

    func attribute(_ name: String, _ value: String) {
        guard let writer else { return }
        check(crossrun_xml_attribute(writer, name, XMLText.sanitize(value)))
    }

    func text(_ value: String) {
        guard let writer else { return }
        check(crossrun_xml_text(writer, XMLText.sanitize(value)))
    }

    func end() {
        guard let writer else { return }
        check(crossrun_xml_end_element(writer))
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
        check(crossrun_xml_end_document(writer))
        check(crossrun_xml_flush(writer))
        // Freeing the writer flushes and closes its output buffer (into the sink).
        crossrun_xml_free(writer)
        self.writer = nil
        try sink.close()
        if failed { throw CrossRunError.reportNotWritable(path: path, reason: "libxml2 could not write it") }
    }
}

/// libxml2's output callback: the context is the writer's ``FileSink``.
private func xmlSinkWrite(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafePointer<CChar>?, _ count: Int32) -> Int32 {
    guard let context else { return -1 }
    let sink = Unmanaged<FileSink>.fromOpaque(context).takeUnretainedValue()
    sink.write(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
    return sink.failure == nil ? count : -1
}
