import CrossRunKit
import CLibArchive
import FoundationEssentials
import Glibc

/// Builds a Linux initramfs: a `newc` cpio archive (optionally gzip'd) written with libarchive. Folders, files
/// with their modes, symbolic links and character devices (`/dev/console`) are all plain archive entries, so
/// building one needs no root. Entries are written in path order with every parent folder first; adding a path
/// twice keeps the later entry.
public struct InitramfsBuilder: Sendable {
    public enum Content: Equatable, Sendable {
        case data(Data)
        /// A host file, read when the archive is written (links followed).
        case hostFile(String)
    }

    public enum Kind: Equatable, Sendable {
        case directory
        case file(Content)
        case symlink(target: String)
        case characterDevice(major: UInt32, minor: UInt32)
    }

    public struct Entry: Equatable, Sendable {
        /// Relative to the archive root, no leading `/` (`bin/busybox`).
        public var path: String
        public var kind: Kind
        /// Permission bits (`0o755`).
        public var permissions: UInt32
    }

    public enum Compression: Sendable { case none, gzip }

    private var byPath: [String: Entry] = [:]

    public init() {}

    /// Every entry, parents before children (sorted by path).
    public var entries: [Entry] { byPath.keys.sorted().map { byPath[$0]! } }

    public mutating func addDirectory(_ path: String, permissions: UInt32 = 0o755) {
        add(Entry(path: Self.normalized(path), kind: .directory, permissions: permissions))
    }

    public mutating func addFile(_ path: String, contents: Data, permissions: UInt32 = 0o644) {
        add(Entry(path: Self.normalized(path), kind: .file(.data(contents)), permissions: permissions))
    }

    /// A host file copied into the archive; `permissions` nil keeps the host file's own.
    public mutating func addFile(_ path: String, copying hostPath: String, permissions: UInt32? = nil) throws {
        var status = stat()
        guard stat(hostPath, &status) == 0 else {
            throw CrossRunError.unreadable(path: hostPath, reason: String(cString: strerror(errno)))
        }
        let mode = permissions ?? (UInt32(status.st_mode) & 0o7777)
        add(Entry(path: Self.normalized(path), kind: .file(.hostFile(hostPath)), permissions: mode))
    }

    public mutating func addSymlink(_ path: String, target: String) {
        add(Entry(path: Self.normalized(path), kind: .symlink(target: target), permissions: 0o777))
    }

    public mutating func addCharacterDevice(_ path: String, major: UInt32, minor: UInt32, permissions: UInt32 = 0o600) {
        add(Entry(path: Self.normalized(path), kind: .characterDevice(major: major, minor: minor), permissions: permissions))
    }

    private mutating func add(_ entry: Entry) {
        guard !entry.path.isEmpty else { return }
        // Parents are folders unless added otherwise.
        var parent = entry.path.deletingLastPathComponent
        while !parent.isEmpty {
            if byPath[parent] == nil { byPath[parent] = Entry(path: parent, kind: .directory, permissions: 0o755) }
            parent = parent.deletingLastPathComponent
        }
        byPath[entry.path] = entry
    }

    static func normalized(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }

    /// Writes the archive to `path` (replacing it).
    public func write(to path: String, compression: Compression = .none) throws {
        guard let archive = archive_write_new() else { throw CrossRunError.initramfs(path: path, reason: "libarchive is out of memory") }
        defer { archive_write_free(archive) }
        func failure(_ what: String) -> CrossRunError {
            let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
            return .initramfs(path: path, reason: "\(what): \(reason)")
        }
        guard archive_write_set_format_cpio_newc(archive) == ARCHIVE_OK else { throw failure("newc format") }
        if compression == .gzip, archive_write_add_filter_gzip(archive) != ARCHIVE_OK { throw failure("gzip") }
        // No padding to 10 KiB blocks: the kernel does not need it.
        archive_write_set_bytes_in_last_block(archive, 1)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else { throw failure("cannot create it") }
        var inode: Int64 = 1
        for item in entries {
            guard let entry = archive_entry_new() else { throw failure("out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, item.path)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            archive_entry_set_mtime(entry, 0, 0)
            archive_entry_set_nlink(entry, 1)
            archive_entry_set_ino64(entry, inode)
            archive_entry_set_size(entry, 0)
            inode += 1
            var payload: Content?
            switch item.kind {
            case .directory:
                archive_entry_set_mode(entry, 0o040000 | item.permissions)
                archive_entry_set_nlink(entry, 2)
            case .symlink(let target):
                archive_entry_set_mode(entry, 0o120000 | 0o777)
                archive_entry_set_symlink(entry, target)
            case .characterDevice(let major, let minor):
                archive_entry_set_mode(entry, 0o020000 | item.permissions)
                archive_entry_set_rdevmajor(entry, dev_t(major))
                archive_entry_set_rdevminor(entry, dev_t(minor))
            case .file(let content):
                archive_entry_set_mode(entry, 0o100000 | item.permissions)
                switch content {
                case .data(let data): archive_entry_set_size(entry, Int64(data.count))
                case .hostFile(let host):
                    var status = stat()
                    guard stat(host, &status) == 0 else {
                        throw CrossRunError.unreadable(path: host, reason: String(cString: strerror(errno)))
                    }
                    archive_entry_set_size(entry, Int64(status.st_size))
                }
                payload = content
            }
            guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure(item.path) }
            switch payload {
            case .data(let data)?:
                try data.withUnsafeBytes { raw in
                    guard raw.count == 0 || archive_write_data(archive, raw.baseAddress, raw.count) == raw.count else {
                        throw failure(item.path)
                    }
                }
            case .hostFile(let host)?:
                let read = try FileDescriptors.forEachChunk(of: host) { raw in
                    guard archive_write_data(archive, raw.baseAddress, raw.count) == raw.count else { throw failure(item.path) }
                }
                guard read else { throw CrossRunError.unreadable(path: host, reason: "cannot open it") }
            case nil: break
            }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure("cannot finish it") }
    }
}
