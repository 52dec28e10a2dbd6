import CrossRunKit
import FoundationEssentials
import Glibc

/// The shared libraries an ELF program needs (its `DT_NEEDED` entries, and theirs), found in a sysroot and
/// placed at the same paths in the guest, so the guest's loader finds them in its default folders.
public enum GuestLibraries {
    /// One file to copy: from the host into the guest.
    public struct Placement: Equatable, Sendable {
        public var host: String
        /// Absolute guest path.
        public var guest: String
    }

    /// The loader (at `interpreter`) and every library in the `DT_NEEDED` closure of `binary`.
    public static func placements(binary: String, interpreter: String, sysroot: String) throws -> [Placement] {
        let root = sysroot.hasSuffix("/") ? String(sysroot.dropLast()) : sysroot
        let folders = searchFolders(sysroot: root)
        guard let loader = resolve(interpreter, in: root) else {
            throw CrossRunError.libraryMissing(binary: binary, library: interpreter, searched: [root])
        }
        var result = [Placement(host: loader, guest: interpreter)]
        var placed: Set<String> = []
        var queue = try neededLibraries(path: binary)
        while !queue.isEmpty {
            let name = queue.removeFirst()
            guard !placed.contains(name) else { continue }
            placed.insert(name)
            // The loader's own soname is already in place.
            if name == interpreter.lastPathComponent { continue }
            guard let folder = folders.first(where: { resolve("/" + $0 + "/" + name, in: root) != nil }),
                let host = resolve("/" + folder + "/" + name, in: root)
            else {
                throw CrossRunError.libraryMissing(binary: binary, library: name, searched: folders.map { root + "/" + $0 })
            }
            result.append(Placement(host: host, guest: "/" + folder + "/" + name))
            queue += try neededLibraries(path: host)
        }
        return result
    }

    /// The library folders of a sysroot that exist, relative to it: multiarch folders (`lib/aarch64-linux-gnu`)
    /// first, then `lib`, `usr/lib`, `lib64`, `usr/lib64`, all of which glibc's loader searches by default.
    static func searchFolders(sysroot: String) -> [String] {
        var folders: [String] = []
        for base in ["lib", "usr/lib"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: sysroot + "/" + base)) ?? []
            folders += names.sorted().filter { $0.contains("-linux-") }.map { base + "/" + $0 }
        }
        folders += ["lib", "usr/lib", "lib64", "usr/lib64"]
        return folders.filter { isDirectory(sysroot + "/" + $0) }
    }

    static func isDirectory(_ path: String) -> Bool {
        return Paths.isDirectory(path)
    }

    /// The host path of the regular file that the guest path `path` names in `root`, with symbolic links
    /// (absolute ones relative to `root`) followed inside the sysroot; nil when there is none.
    static func resolve(_ path: String, in root: String) -> String? {
        var components = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !components.isEmpty {
            let part = components.removeFirst()
            if part == "." { continue }
            if part == ".." { _ = resolved.popLast(); continue }
            let host = root + "/" + (resolved + [part]).joined(separator: "/")
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) {
                hops += 1
                guard hops < 40 else { return nil }
                if target.hasPrefix("/") { resolved = [] }
                components = target.split(separator: "/").map(String.init) + components
                continue
            }
            resolved.append(part)
        }
        let host = root + "/" + resolved.joined(separator: "/")
        var status = stat()
        guard stat(host, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return host
    }

    /// The `DT_NEEDED` names of an ELF file, in order; empty for a static one.
    public static func neededLibraries(path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CrossRunError.unreadable(path: path, reason: "cannot read it")
        }
        do {
            return try neededLibraries(elf: [UInt8](data))
        } catch let error as CrossRunError {
            throw CrossRunError.unreadable(path: path, reason: error.reason ?? error.message)
        }
    }

    /// The `DT_NEEDED` names of the ELF image `bytes`: read from the `PT_DYNAMIC` segment, with the string table
    /// address mapped to a file offset through the `PT_LOAD` segments.
    public static func neededLibraries(elf bytes: [UInt8]) throws -> [String] {
        guard bytes.count >= 52, bytes[0..<4].elementsEqual(ELFHeader.magic) else { throw CrossRunError.elfInvalid("not an ELF file") }
        let is64 = bytes[4] == 2
        let little = bytes[5] == 1
        // Every offset and size comes from the file: each is checked against the image before it becomes an index.
        func position(_ value: UInt64, plus extra: UInt64 = 0, _ field: String) throws -> Int {
            let (sum, overflow) = value.addingReportingOverflow(extra)
            guard !overflow, sum <= UInt64(bytes.count) else {
                throw CrossRunError.elfTruncated("\(field) 0x\(String(sum, radix: 16)) is past the end of the file")
            }
            return Int(sum)
        }
        func integer(_ offset: Int, _ size: Int) throws -> UInt64 {
            guard offset >= 0, offset <= bytes.count - size else { throw CrossRunError.elfTruncated("a field at offset \(offset) is cut short") }
            var value: UInt64 = 0
            for index in 0..<size {
                let byte = UInt64(bytes[offset + (little ? index : size - 1 - index)])
                value |= byte << (8 * UInt64(index))
            }
            return value
        }
        let word = is64 ? 8 : 4
        let phoff = try position(integer(is64 ? 32 : 28, word), "e_phoff")
        let phentsize = Int(try integer(is64 ? 54 : 42, 2))
        let phnum = Int(try integer(is64 ? 56 : 44, 2))
        var loads: [(vaddr: UInt64, offset: UInt64, size: UInt64)] = []
        var dynamic: (offset: Int, end: Int)?
        for index in 0..<phnum {
            let base = phoff + index * phentsize  // at most the image size plus 65535 * 65535
            let type = try integer(base, 4)
            let offset = try integer(base + (is64 ? 8 : 4), word)
            let vaddr = try integer(base + (is64 ? 16 : 8), word)
            let filesz = try integer(base + (is64 ? 32 : 16), word)
            if type == 1 { loads.append((vaddr, offset, filesz)) }
            if type == 2 {
                let start = try position(offset, "PT_DYNAMIC p_offset")
                // Entries past the end of the file fail when read (a DT_NULL may come first).
                dynamic = (start, start + Int(min(filesz, UInt64(bytes.count))))
            }
        }
        guard let dynamic else { return [] }
        var needed: [UInt64] = []
        var strtab: UInt64?
        var cursor = dynamic.offset
        while cursor + 2 * word <= dynamic.end {
            let tag = try integer(cursor, word)
            let value = try integer(cursor + word, word)
            if tag == 0 { break }
            if tag == 1 { needed.append(value) }
            if tag == 5 { strtab = value }
            cursor += 2 * word
        }
        guard !needed.isEmpty else { return [] }
        guard let strtab, let segment = loads.first(where: { strtab >= $0.vaddr && strtab - $0.vaddr < $0.size }) else {
            throw CrossRunError.elfInvalid("the dynamic string table is outside every loaded segment")
        }
        let tableOffset = try position(segment.offset, plus: strtab - segment.vaddr, "DT_STRTAB")
        return try needed.map { offset in
            let start = try position(UInt64(tableOffset), plus: offset, "a DT_NEEDED name")
            guard start < bytes.count, let end = bytes[start...].firstIndex(of: 0) else {
                throw CrossRunError.elfTruncated("a library name at offset \(start) is cut short")
            }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
    }
}
