import Foundation

/// Writing to raw file descriptors (pipes, the terminal, files) without Foundation's buffering.
package enum FileDescriptors {
    /// Writes a whole chunk; false once the reader has gone away (EPIPE) or the descriptor fails.
    package static func writeAll(_ fd: Int32, _ chunk: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < chunk.count {
            let written = write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&descriptor, 1, 1000)
                    continue
                }
                return false
            }
            offset += written
        }
        return true
    }
}
