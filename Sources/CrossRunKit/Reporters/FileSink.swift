#if canImport(Glibc)
    import Glibc
#endif
import FoundationEssentials

/// A file written through a buffer with checked system calls, so a report of any size is streamed to disk in
/// blocks and a full disk (ENOSPC) or an I/O error (EIO) is an error, never a silently cut report.
final class FileSink {
    private let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 256 * 1024
    /// The first write error; later writes are skipped and ``close()`` throws it.
    private(set) var failure: String?

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        if buffer.count + bytes.count > capacity { flush() }
        if bytes.count >= capacity {
            writeOut(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { write($0) }
        }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    private func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { writeOut($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeOut(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                return
            }
            offset += written
        }
    }

    /// Writes what is buffered and closes the file; throws the first error of any write or of the close.
    func close() throws {
        flush()
        let closed = Glibc.close(descriptor)
        let closeError = errno
        descriptor = -1
        if let failure { throw CrossRunError.reportNotWritable(path: path, reason: failure) }
        guard closed == 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(closeError))) }
    }
}
