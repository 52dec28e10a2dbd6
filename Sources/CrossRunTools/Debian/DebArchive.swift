import CrossRunKit
import CLibArchive
import Crypto
import Foundation
import Glibc

/// Reads Debian packages and compressed indexes with libarchive, and unpacks a package's data.tar.* safely:
/// absolute paths, `..` components, links that lead outside the root, paths through links, device nodes and
/// other special files are refused, and the total size is capped. Nothing is ever written outside `root`.
public enum DebArchive {
    /// The most a sysroot's packages may unpack to.
    public static let defaultSizeCap = FetchOptions.defaultSizeCap
    /// What each entry (file, folder, link) costs against the size cap besides its bytes: one file-system block.
    public static let entryCost = 4096

    // `AE_IF*` are casts in C macros, which Swift does not import.
    static let typeMask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symbolicLink: UInt32 = 0o120000

    /// Decompresses a whole `.xz`, `.gz` (or uncompressed) file.
    public static func decompress(_ data: Data, name: String) throws -> Data {
        let archive = archive_read_new()
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_raw(archive)
        return try data.withUnsafeBytes { raw -> Data in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw CrossRunError.archiveUnreadable(package: name, reason: errorText(archive))
            }
            var entry: OpaquePointer?
            guard archive_read_next_header(archive, &entry) >= ARCHIVE_WARN else {
                throw CrossRunError.archiveUnreadable(package: name, reason: errorText(archive))
            }
            return try readAll(archive, name: name, limit: 1 << 30)
        }
    }

    /// Unpacks the data.tar.* member of the `.deb` in `deb` into `root`; returns what it wrote.
    public static func unpack(deb: Data, package: String, into root: String, budget: inout Int) throws -> [SysrootFile] {
        // The member streams from the outer archive into the inner one in one pass over the file.
        let member = try dataMember(deb: deb, package: package, limit: budget + (64 << 20))
        return try unpackTar(member, package: package, into: root, budget: &budget)
    }

    /// The first regular file of a .deb's data.tar.* whose path (without `./`) satisfies `matches`; reading stops
    /// there, so the rest of a large package is never decompressed. Nothing is written to disk; neither the
    /// data member nor the file may exceed `limit` bytes (the sysroots' size cap, `FetchOptions.sizeCap`).
    public static func extractFirst(
        deb: Data, package: String, limit: Int = defaultSizeCap, where matches: (String) -> Bool
    ) throws -> (path: String, data: Data)? {
        let member = try dataMember(deb: deb, package: package, limit: limit)
        var found: (path: String, data: Data)?
        try forEachEntry(tar: member, package: package) { archive, entry in
            var path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            while path.hasPrefix("./") { path.removeFirst(2) }
            let type = UInt32(archive_entry_filetype(entry)) & typeMask
            guard type == regular, archive_entry_hardlink(entry) == nil, matches(path) else { return true }
            found = (path, try readAll(archive, name: package, limit: limit))
            return false
        }
        return found
    }

    /// The data.tar.* member of a `.deb` (an ar archive), read whole, at most `limit` bytes.
    static func dataMember(deb: Data, package: String, limit: Int) throws -> Data {
        let outer = archive_read_new()
        defer { archive_read_free(outer) }
        archive_read_support_format_ar(outer)
        return try deb.withUnsafeBytes { raw -> Data in
            guard archive_read_open_memory(outer, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw CrossRunError.archiveUnreadable(package: package, reason: errorText(outer))
            }
            var entry: OpaquePointer?
            var members: [String] = []
            while true {
                let status = archive_read_next_header(outer, &entry)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN, let entry else {
                    throw CrossRunError.archiveUnreadable(package: package, reason: errorText(outer))
                }
                let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
                members.append(name)
                guard name.hasPrefix("data.tar") else { continue }
                return try readAll(outer, name: package, limit: limit)
            }
            throw CrossRunError.archiveUnreadable(
                package: package, reason: "no data.tar member (members: \(members.joined(separator: ", ")))")
        }
    }

    /// Calls `body` with each entry of the tar archive `tar` (compressed or not) until it returns false.
    static func forEachEntry(
        tar: Data, package: String, _ body: (_ archive: OpaquePointer?, _ entry: OpaquePointer) throws -> Bool
    ) throws {
        let archive = archive_read_new()
        defer { archive_read_free(archive) }
        archive_read_support_filter_all(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        try tar.withUnsafeBytes { raw in
            guard archive_read_open_memory(archive, raw.baseAddress, raw.count) == ARCHIVE_OK else {
                throw CrossRunError.archiveUnreadable(package: package, reason: errorText(archive))
            }
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { return }
                guard status >= ARCHIVE_WARN, let entry else {
                    throw CrossRunError.archiveUnreadable(package: package, reason: errorText(archive))
                }
                guard try body(archive, entry) else { return }
            }
        }
    }

    static func unpackTar(_ tar: Data, package: String, into root: String, budget: inout Int) throws -> [SysrootFile] {
        var written: [SysrootFile] = []
        var remaining = budget
        defer { budget = remaining }
        try forEachEntry(tar: tar, package: package) { archive, entry in
            let rawPath = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            func refuse(_ reason: String) -> CrossRunError {
                .unsafeArchiveEntry(package: package, entry: rawPath, reason: reason)
            }
            // Every entry costs a file-system block besides its bytes, so folders, links and empty files count
            // against the cap too (20,000 folders fit in a 31 KiB .deb).
            remaining -= entryCost
            guard remaining >= 0 else { throw refuse("the packages unpack to more than crossrun's size cap") }
            guard let path = try safePath(rawPath, refuse: refuse) else { return true }  // the root itself
            let type = UInt32(archive_entry_filetype(entry)) & typeMask
            let full = root + "/" + path
            if let hardlink = archive_entry_hardlink(entry).map({ String(cString: $0) }) {
                guard let target = try safePath(hardlink, refuse: refuse), !target.isEmpty else { throw refuse("a hard link to the root") }
                try makeParents(of: path, in: root, refuse: refuse)
                // The target's folders must be real folders too: a link among them could lead to a host file.
                try makeParents(of: target, in: root, refuse: refuse)
                var status = stat()
                guard lstat(root + "/" + target, &status) == 0, (UInt32(status.st_mode) & typeMask) == regular else {
                    throw refuse("a hard link to \(hardlink), which is not a file unpacked before it")
                }
                try removeExisting(full, refuse: refuse)
                guard link(root + "/" + target, full) == 0 else { throw refuse("cannot link: \(String(cString: strerror(errno)))") }
                written.append(SysrootFile(path: path, sha256: nil, size: nil, link: nil))
                return true
            }
            switch type {
            case directory:
                try makeParents(of: path + "/x", in: root, refuse: refuse)
            case regular:
                let size = max(0, Int(archive_entry_size(entry)))
                remaining -= size
                guard remaining >= 0 else { throw refuse("the packages unpack to more than crossrun's size cap") }
                try makeParents(of: path, in: root, refuse: refuse)
                try removeExisting(full, refuse: refuse)
                let permissions = mode_t(archive_entry_perm(entry)) & 0o755 | 0o600
                let (hash, count) = try writeFile(archive, to: full, permissions: permissions, package: package, refuse: refuse)
                written.append(SysrootFile(path: path, sha256: hash, size: count, link: nil))
            case symbolicLink:
                let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? ""
                let relative = try linkTarget(target, at: path, refuse: refuse)
                // The text stays inside; the links already unpacked must not lead it out either
                // (`a/up -> ..` then `x -> a/up/../..`).
                try resolveInside(root: root, path: path, target: relative, refuse: refuse)
                try makeParents(of: path, in: root, refuse: refuse)
                try removeExisting(full, refuse: refuse)
                guard symlink(relative, full) == 0 else { throw refuse("cannot link: \(String(cString: strerror(errno)))") }
                written.append(SysrootFile(path: path, sha256: nil, size: nil, link: relative))
            default:
                throw refuse("a device node or other special file")
            }
            return true
        }
        try checkLinks(written, in: root, package: package)
        return written
    }

    /// Every link unpacked so far, checked again against the finished tree: a later link can change where an
    /// earlier one leads (`lib/parent -> ../self/..`, then `self -> .`).
    public static func checkLinks(_ files: [SysrootFile], in root: String, package: String) throws {
        for file in files {
            guard let link = file.link else { continue }
            try resolveInside(root: root, path: file.path, target: link) {
                .unsafeArchiveEntry(package: package, entry: file.path, reason: $0)
            }
        }
    }

    /// The entry's path relative to the root (`./lib/x` → `lib/x`); nil for the root itself.
    static func safePath(_ raw: String, refuse: (String) -> CrossRunError) throws -> String? {
        if raw.hasPrefix("/") { throw refuse("an absolute path") }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." { throw refuse("a path with a .. component") }
            parts.append(part)
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// A symbolic link's target, made relative and checked to stay inside the root. An absolute target
    /// (common in Debian packages) means the sysroot's root, not the host's.
    static func linkTarget(_ target: String, at path: String, refuse: (String) -> CrossRunError) throws -> String {
        guard !target.isEmpty else { throw refuse("a link with an empty target") }
        let directory = path.split(separator: "/").dropLast()
        var resolved: [Substring] = target.hasPrefix("/") ? [] : Array(directory)
        for part in target.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                guard !resolved.isEmpty else { throw refuse("a link to \(target), outside the sysroot") }
                resolved.removeLast()
            } else {
                resolved.append(part)
            }
        }
        guard target.hasPrefix("/") else { return target }
        let up = Array(repeating: "..", count: directory.count)
        let relative = (up + resolved.map(String.init)).joined(separator: "/")
        return relative.isEmpty ? "." : relative
    }

    /// Follows `target` (relative to `path`'s folder) the way the kernel would, through the links already
    /// unpacked, and refuses it if it ever steps above `root`. Missing components are fine (dangling links).
    static func resolveInside(root: String, path: String, target: String, refuse: (String) -> CrossRunError) throws {
        var stack = path.split(separator: "/").dropLast().map(String.init)
        var pending = target.split(separator: "/").map(String.init).reversed() as [String]
        var hops = 0
        while let part = pending.popLast() {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                guard !stack.isEmpty else { throw refuse("a link to \(target), which leads outside the sysroot through other links") }
                stack.removeLast()
                continue
            }
            stack.append(part)
            let current = root + "/" + stack.joined(separator: "/")
            guard let next = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { continue }
            hops += 1
            guard hops <= 40 else { throw refuse("a loop of links") }
            stack.removeLast()
            if next.hasPrefix("/") { stack = [] }
            pending += next.split(separator: "/").map(String.init).reversed()
        }
    }

    /// Creates the folders above `path`, refusing to go through anything that is not a real folder.
    static func makeParents(of path: String, in root: String, refuse: (String) -> CrossRunError) throws {
        var current = root
        for part in path.split(separator: "/").dropLast() {
            current += "/" + part
            var status = stat()
            if lstat(current, &status) == 0 {
                guard (UInt32(status.st_mode) & typeMask) == directory else {
                    throw refuse("a path through \(current.dropFirst(root.count + 1)), which is not a folder")
                }
            } else if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw refuse("cannot create a folder: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// A later entry may replace an earlier file or link, never a folder.
    static func removeExisting(_ path: String, refuse: (String) -> CrossRunError) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if (UInt32(status.st_mode) & typeMask) == directory { throw refuse("it would replace a folder") }
        unlink(path)
    }

    static func writeFile(
        _ archive: OpaquePointer?, to path: String, permissions: mode_t, package: String, refuse: (String) -> CrossRunError
    ) throws -> (String, Int) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw refuse("cannot create it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let got = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if got == 0 { break }
            guard got > 0 else { throw CrossRunError.archiveUnreadable(package: package, reason: errorText(archive)) }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            hasher.update(bufferPointer: chunk)
            guard FileDescriptors.writeAll(fd, chunk) else { throw refuse("cannot write it: \(String(cString: strerror(errno)))") }
            total += got
        }
        return (Hashing.hex(hasher.finalize()), total)
    }

    static func readAll(_ archive: OpaquePointer?, name: String, limit: Int) throws -> Data {
        var data = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let got = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if got == 0 { return data }
            guard got > 0 else { throw CrossRunError.archiveUnreadable(package: name, reason: errorText(archive)) }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            guard data.count <= limit else {
                throw CrossRunError.unsafeArchiveEntry(package: name, entry: "data", reason: "larger than crossrun's size cap")
            }
        }
    }

    static func errorText(_ archive: OpaquePointer?) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "libarchive could not read it"
    }
}
