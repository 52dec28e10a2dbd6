import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Writes reports so that a reader never sees half of one, and never replaces what is not a regular file.
///
/// - A new path, or a regular file (directly or through symbolic links): a temporary file beside the file the
///   path resolves to, then `rename` over it (the links stay links).
/// - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: crossrun's own open descriptor N, written to
///   as it is (a shell redirect to a file, a pipe, a terminal), never opened again or replaced.
/// - A character device or a FIFO (directly or through links, e.g. `/dev/null`), or a path through another
///   process's `/proc/*/fd/`: the report is written into it as a stream (appended to a regular file reached
///   that way); nothing is created or replaced. A FIFO nobody reads is an error rather than a wait.
/// - Anything else (a folder, a socket, a block device): refused with one line, nothing touched.
package enum AtomicFile {
    /// How a path will be written.
    enum Destination: Equatable {
        /// Temporary file in the folder of `path`, renamed to `path`.
        case replace(path: String)
        /// Opened and written in place.
        case stream(path: String)
        /// One of crossrun's own open descriptors (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/3`): written to as
        /// it is, at its offset, whatever it is (a file, a pipe, a terminal, a socket), without opening it again.
        case descriptor(Int32)
    }

    /// Calls `write` with a temporary path, then puts its content at `path` as ``Destination`` says.
    package static func write(to path: String, _ write: (String) throws -> Void) throws {
        switch try destination(of: path) {
        case .replace(let target):
            try replace(target, reportedAs: path, write)
        case .stream(let target):
            try stream(into: target, reportedAs: path, write)
        case .descriptor(let descriptor):
            try stream(into: descriptor, reportedAs: path, write)
        }
    }

    package static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            // Not FileManager.createFile: it writes a file of its own beside the path and renames it, which
            // cannot work for /proc/self/fd/N.
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                var sent = 0
                while sent < raw.count {
                    let wrote = Glibc.write(fd, raw.baseAddress! + sent, raw.count - sent)
                    if wrote < 0 && errno == EINTR { continue }
                    guard wrote > 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
                    sent += wrote
                }
            }
        }
    }

    /// Where and how `path` is written; refuses a folder, a socket or a block device.
    static func destination(of path: String) throws -> Destination {
        if let descriptor = ownDescriptor(path) {
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                throw CrossRunError.reportNotWritable(path: path, reason: "crossrun has no open file \(descriptor) to write it to")
            }
            return .descriptor(descriptor)
        }
        var link = stat()
        guard lstat(path, &link) == 0 else { return .replace(path: path) }  // new file (or a dangling link: rename replaces it)
        var status = stat()
        guard stat(path, &status) == 0 else {
            // A link that leads nowhere: written as a new file, the link replaced by it (as before).
            return .replace(path: path)
        }
        let isLink = (link.st_mode & S_IFMT) == S_IFLNK
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            guard isLink else { return .replace(path: path) }
            // Through `/proc/*/fd` (e.g. /dev/stdout redirected to a file) the path is an open file of some
            // process, not a name in a folder: append to it, like a shell redirect.
            if Self.throughOpenFile(path) { return .stream(path: path) }
            guard let resolved = realpath(path, nil) else { return .replace(path: path) }
            defer { free(resolved) }
            return .replace(path: String(cString: resolved))
        case S_IFCHR, S_IFIFO:
            return .stream(path: path)
        case S_IFDIR:
            throw CrossRunError.reportNotWritable(path: path, reason: "it is a folder; give a file name, or use --report-dir for a folder")
        default:
            let kind = (status.st_mode & S_IFMT) == S_IFSOCK ? "a socket" : (status.st_mode & S_IFMT) == S_IFBLK ? "a block device" : "not a regular file"
            throw CrossRunError.reportNotWritable(path: path, reason: "it is \(kind), which crossrun never writes reports into; give a file, a character device such as /dev/stdout, or a FIFO")
        }
    }

    /// The descriptor a path names in this process: `/dev/stdout` 1, `/dev/stderr` 2, `/dev/fd/N`,
    /// `/proc/self/fd/N` and `/proc/<crossrun's pid>/fd/N` N.
    static func ownDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/\(getpid())/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// True when `path` or a link on its way leads through `/proc/<pid>/fd/` or `/dev/fd/`.
    static func throughOpenFile(_ path: String) -> Bool {
        var current = path
        for _ in 0..<40 {
            if current.hasPrefix("/proc/") && current.contains("/fd/") || current.hasPrefix("/dev/fd/") { return true }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return false }
            current = target.hasPrefix("/") ? target : current.deletingLastPathComponent + "/" + target
        }
        return false
    }

    /// A temporary file beside `target`, then `rename`. Its name is short and fixed in length, whatever the
    /// report's name (a report named after a 250-byte binary name must not make a 270-byte temporary name).
    private static func replace(_ target: String, reportedAs path: String, _ produce: (String) throws -> Void) throws {
        let folder = target.deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw CrossRunError.reportNotWritable(path: path, reason: Self.reason(error))
            }
        }
        let name = ".crossrun-report-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).tmp"
        let temporary = (folder.isEmpty ? "" : folder + "/") + name
        do {
            try produce(temporary)
            guard rename(temporary, target) == 0 else {
                throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            throw Self.named(error, temporary: temporary, path: path)
        }
    }

    /// Opens the device or FIFO (never creating it) and streams the report into it.
    private static func stream(into target: String, reportedAs path: String, _ produce: (String) throws -> Void) throws {
        // O_NONBLOCK: opening a FIFO nobody reads fails at once (ENXIO) rather than waiting for a reader.
        let output = open(target, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard output >= 0 else {
            let reason = errno == ENXIO ? "it is a FIFO that no process is reading" : String(cString: strerror(errno))
            throw CrossRunError.reportNotWritable(path: path, reason: reason)
        }
        defer { close(output) }
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) & ~O_NONBLOCK)
        try stream(into: output, reportedAs: path, produce)
    }

    /// The report is written into an unnamed temporary file first (unlinked as soon as it is made), then copied
    /// into `descriptor` in one pass, so a reader gets the whole report or (on an error) none of it.
    private static func stream(into descriptor: Int32, reportedAs path: String, _ produce: (String) throws -> Void) throws {
        let memory = try unnamedFile(reportedAs: path)
        defer { close(memory) }
        let temporary = "/proc/self/fd/\(memory)"
        do {
            try produce(temporary)
        } catch {
            throw Self.named(error, temporary: temporary, path: path)
        }
        try copy(from: memory, to: descriptor, reportedAs: path)
    }

    /// An unnamed temporary file (unlinked as soon as it is made), open for reading and writing.
    private static func unnamedFile(reportedAs path: String) throws -> Int32 {
        var template = Array((Paths.temporaryDirectory + "/.crossrun-report-XXXXXX").utf8CString)
        let memory = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard memory >= 0 else {
            throw CrossRunError.reportNotWritable(path: path, reason: "no temporary file: \(String(cString: strerror(errno)))")
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        _ = fcntl(memory, F_SETFD, FD_CLOEXEC)
        return memory
    }

    /// Copies the whole of `memory` (from its start) to `output`.
    private static func copy(from memory: Int32, to output: Int32, reportedAs path: String) throws {
        var offset: off_t = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = buffer.withUnsafeMutableBytes { pread(memory, $0.baseAddress, $0.count, offset) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
            if got == 0 { return }
            var sent = 0
            while sent < got {
                let wrote = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + sent, got - sent) }
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno))) }
                sent += wrote
            }
            offset += off_t(got)
        }
    }

    /// The writer only knows the temporary file: name the report the user asked for.
    private static func named(_ error: Error, temporary: String, path: String) -> Error {
        if let error = error as? CrossRunError {
            guard error.code == .reportNotWritable, error.subject == temporary else { return error }
            return CrossRunError.reportNotWritable(path: path, reason: error.reason ?? "")
        }
        return CrossRunError.reportNotWritable(path: path, reason: Self.reason(error))
    }

    private static func reason(_ error: Error) -> String { ErrorText.reason(error) }
}
