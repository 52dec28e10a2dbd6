import Foundation
import Testing

@testable import CrossRunKit

#if canImport(Glibc)
    import Glibc
#endif

/// A scratch folder for one test, removed afterwards.
private func scratch(_ body: (String) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crossrun-report-dest-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try body(folder)
}

private func fileType(_ path: String, follow: Bool = false) -> mode_t {
    var status = stat()
    guard (follow ? stat(path, &status) : lstat(path, &status)) == 0 else { return 0 }
    return status.st_mode & S_IFMT
}

@Suite("Report destinations: never replace what is not a regular file")
struct ReportDestinationTests {
    @Test("a new path and a regular file are replaced atomically; a link to a file keeps the link and replaces its file")
    func regular() throws {
        try scratch { folder in
            try AtomicFile.write(Data("one\n".utf8), to: folder + "/new.json")
            #expect(try String(contentsOfFile: folder + "/new.json", encoding: .utf8) == "one\n")
            try AtomicFile.write(Data("two\n".utf8), to: folder + "/new.json")
            #expect(try String(contentsOfFile: folder + "/new.json", encoding: .utf8) == "two\n")

            try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: true)
            try Data("old".utf8).write(to: URL(fileURLWithPath: folder + "/real/report.xml"))
            #expect(symlink("real/report.xml", folder + "/link.xml") == 0)
            #expect(try AtomicFile.destination(of: folder + "/link.xml") == .replace(path: try #require(realPath(folder)) + "/real/report.xml"))
            try AtomicFile.write(Data("new".utf8), to: folder + "/link.xml")
            #expect(fileType(folder + "/link.xml") == S_IFLNK, "the link stays a link")
            #expect(try String(contentsOfFile: folder + "/real/report.xml", encoding: .utf8) == "new")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/real") == ["report.xml"], "no temporary file left")
        }
    }

    @Test("a character device (a private /dev/null node) is written into and stays a device, directly and through a link")
    func characterDevice() throws {
        try scratch { folder in
            let node = folder + "/null"
            #expect(mknod(node, S_IFCHR | 0o666, deviceNumber(1, 3)) == 0, "mknod needs root: \(String(cString: strerror(errno)))")
            #expect(try AtomicFile.destination(of: node) == .stream(path: node))
            try AtomicFile.write(Data("report".utf8), to: node)
            #expect(fileType(node) == S_IFCHR)
            #expect(symlink(node, folder + "/to-null") == 0)
            try AtomicFile.write(Data("report".utf8), to: folder + "/to-null")
            #expect(fileType(folder + "/to-null") == S_IFLNK)
            #expect(fileType(node) == S_IFCHR)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["null", "to-null"])
        }
    }

    @Test("/dev/stdout and /dev/fd/N name crossrun's own open file: written to it, never opened again or replaced")
    func openFile() throws {
        try scratch { folder in
            let file = folder + "/out.txt"
            try Data("before\n".utf8).write(to: URL(fileURLWithPath: file))
            let fd = open(file, O_WRONLY | O_APPEND)
            #expect(fd >= 0)
            defer { close(fd) }
            #expect(try AtomicFile.destination(of: "/dev/fd/\(fd)") == .descriptor(fd))
            #expect(try AtomicFile.destination(of: "/proc/self/fd/\(fd)") == .descriptor(fd))
            #expect(try AtomicFile.destination(of: "/dev/stdout") == .descriptor(1))
            #expect(throws: CrossRunError.self) { try AtomicFile.destination(of: "/dev/fd/987") }
            try AtomicFile.write(Data("report\n".utf8), to: "/dev/fd/\(fd)")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "before\nreport\n")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.txt"])
            #expect(fileType("/dev/stdout") == S_IFLNK)
        }
    }

    @Test("a FIFO with a reader gets the whole report; one nobody reads is a one-line error at once")
    func fifo() throws {
        try scratch { folder in
            let fifo = folder + "/pipe"
            #expect(mkfifo(fifo, 0o644) == 0)
            let report = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
            let error = #expect(throws: CrossRunError.self) { try AtomicFile.write(report, to: fifo) }
            #expect(error?.code == .reportNotWritable)
            #expect(error?.message.contains("no process is reading") == true)
            #expect(fileType(fifo) == S_IFIFO)

            let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
            #expect(readEnd >= 0)
            let received = ReceivedBytes()
            let reader = Thread {
                _ = fcntl(readEnd, F_SETFL, 0)
                var buffer = [UInt8](repeating: 0, count: 65536)
                // Before the writer opens the FIFO, read() says end of file at once: read until the whole report is in.
                let deadline = Date().addingTimeInterval(20)
                while received.data.count < report.count && Date() < deadline {
                    let got = read(readEnd, &buffer, buffer.count)
                    if got > 0 { received.append(buffer[0..<got]) } else { usleep(5_000) }
                }
                close(readEnd)
                received.finish()
            }
            reader.start()
            try AtomicFile.write(report, to: fifo)
            received.wait()
            #expect(received.data == report)
            #expect(fileType(fifo) == S_IFIFO)
        }
    }

    @Test("a folder, a socket and a block device are refused with one line, untouched", arguments: ["folder", "socket", "block"])
    func refused(_ kind: String) throws {
        try scratch { folder in
            let path = folder + "/target"
            switch kind {
            case "folder":
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            case "socket":
                let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
                }
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                #expect(bound == 0)
            default:
                #expect(mknod(path, S_IFBLK | 0o600, deviceNumber(7, 200)) == 0)
            }
            let before = fileType(path)
            let error = #expect(throws: CrossRunError.self) { try AtomicFile.write(Data("x".utf8), to: path) }
            #expect(error?.code == .reportNotWritable)
            #expect(error?.message.contains("\n") == false)
            #expect(fileType(path) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["target"])
        }
    }

    @Test("a writer that fails leaves a device untouched and names the report, not a temporary file")
    func failingWriter() throws {
        try scratch { folder in
            let node = folder + "/null"
            #expect(mknod(node, S_IFCHR | 0o666, deviceNumber(1, 3)) == 0)
            let error = #expect(throws: CrossRunError.self) {
                try AtomicFile.write(to: node) { temporary in throw CrossRunError.reportNotWritable(path: temporary, reason: "disk full") }
            }
            #expect(error?.subject == node)
            #expect(fileType(node) == S_IFCHR)
        }
    }

    @Test("a 250-byte binary name: report names fit 255 bytes and stay distinct; the temporary name is short")
    func longNames() throws {
        let long = String(repeating: "a", count: 246) + "-one"
        let other = String(repeating: "a", count: 246) + "-two"
        let name = TestRunner.reportFileName(long, extension: "json")
        #expect(name.utf8.count <= 255)
        #expect(name.hasSuffix(".json"))
        #expect(name != TestRunner.reportFileName(other, extension: "json"))
        #expect(TestRunner.reportFileName("short", extension: "xml") == "short.xml")
        let multibyte = String(repeating: "é", count: 130)
        #expect(TestRunner.reportFileName(multibyte, extension: "xml").utf8.count <= 255)
        try scratch { folder in
            let target = folder + "/" + String(repeating: "b", count: 250) + ".json"
            try AtomicFile.write(Data("{}".utf8), to: target)
            #expect(FileManager.default.fileExists(atPath: target))
        }
    }
}

/// Bytes a reader thread collects, and a signal when it is done.
private final class ReceivedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var bytes = Data()
    var data: Data { lock.withLock { bytes } }
    func append(_ chunk: ArraySlice<UInt8>) { lock.withLock { bytes.append(contentsOf: chunk) } }
    func finish() { done.signal() }
    func wait() { done.wait() }
}

private func realPath(_ path: String) -> String? {
    guard let real = realpath(path, nil) else { return nil }
    defer { free(real) }
    return String(cString: real)
}

/// glibc's makedev for small numbers (major < 4096, minor < 256), which Swift does not import.
private func deviceNumber(_ major: UInt64, _ minor: UInt64) -> dev_t { dev_t((major << 8) | minor) }
