import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Path arithmetic on plain strings, the way `NSString`'s path methods do it (FoundationEssentials, which the
/// cargo path is built on, keeps those internal).
package enum Paths {
    static func absolute(_ path: String, relativeTo folder: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            return home + path.dropFirst()
        }
        return folder.appendingPathComponent(path).standardizingPath
    }

    /// `$HOME`, else the password database's home of this user, else `/`.
    static var home: String {
        if let home = ProcessEnvironment.value("HOME"), !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let folder = entry.pointee.pw_dir { return String(cString: folder) }
        return "/"
    }

    /// `$TMPDIR` (without a trailing slash), else `/tmp`.
    static var temporaryDirectory: String {
        guard let folder = ProcessEnvironment.value("TMPDIR"), !folder.isEmpty else { return "/tmp" }
        return folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
    }

    /// Whether something is at `path` (symbolic links followed), as `FileManager.fileExists(atPath:)` says.
    package static func exists(_ path: String) -> Bool {
        var status = stat()
        return path.withRawCString { stat($0, &status) } == 0
    }

    /// Whether `path` is a folder (symbolic links followed).
    package static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// What ``walk(_:_:)``'s visitor says to do next.
    enum WalkStep {
        case next
        /// Not into this folder (for a file: the same as `next`).
        case skipContents
        case stop
    }

    /// Visits every path below `root`, relative to it, in name order, each folder before what it holds (symbolic
    /// links to folders are not entered); `visit` gets the path and whether it is a folder. False when `root`
    /// cannot be listed.
    @discardableResult
    static func walk(_ root: String, _ visit: (_ relative: String, _ isFolder: Bool) -> WalkStep) -> Bool {
        guard let top = opendir(root) else { return false }
        closedir(top)
        var stopped = false
        func enter(_ relative: String) {
            guard let folder = opendir(relative.isEmpty ? root : root + "/" + relative) else { return }
            var entries: [(name: String, isFolder: Bool)] = []
            while let entry = readdir(folder) {
                let name = Self.name(of: entry)
                if name != ".", name != ".." { entries.append((name, entry.pointee.d_type == UInt8(DT_DIR))) }
            }
            closedir(folder)
            for entry in entries.sorted(by: { $0.name < $1.name }) {
                let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
                switch visit(path, entry.isFolder) {
                case .stop: stopped = true
                case .next: if entry.isFolder { enter(path) }
                case .skipContents: break
                }
                if stopped { return }
            }
        }
        enter("")
        return true
    }

    /// Every path below `root`, relative to it, as ``walk(_:_:)`` visits them; nil when `root` cannot be listed.
    static func walk(_ root: String) -> [String]? {
        var found: [String] = []
        return walk(root) { path, _ in
            found.append(path)
            return .next
        } ? found : nil
    }

    /// A directory entry's name (`readdir`'s `d_name`).
    static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension String {
    /// The last component (`/a/b/` gives `b`, `/` gives `/`), as `NSString.lastPathComponent`.
    var lastPathComponent: String {
        let parts = split(separator: "/", omittingEmptySubsequences: true)
        guard let last = parts.last else { return self == "/" ? "/" : "" }  // corelibs: "//" has none
        return String(last)
    }

    /// The path without its last component (`/a/b` gives `/a`, `/a` gives `/`, `b` gives the empty string), as
    /// `NSString.deletingLastPathComponent`.
    var deletingLastPathComponent: String {
        if !isEmpty, allSatisfy({ $0 == "/" }) { return self == "/" ? "/" : "" }  // as corelibs
        var text = Substring(self)
        while text.count > 1, text.hasSuffix("/") { text = text.dropLast() }
        guard let slash = text.lastIndex(of: "/") else { return "" }
        var head = text[..<slash]
        while head.count > 1, head.hasSuffix("/") { head = head.dropLast() }
        return head.isEmpty ? "/" : String(head)
    }

    /// `self/component` (one slash between them), as swift-corelibs-foundation's
    /// `NSString.appendingPathComponent`.
    func appendingPathComponent(_ component: String) -> String {
        if component.isEmpty { return self }
        if isEmpty { return component }
        return hasSuffix("/") ? self + component : self + "/" + component
    }

    /// The path without the extension of its last component (`a/b.tar.gz` gives `a/b.tar`).
    var deletingPathExtension: String {
        let last = lastPathComponent
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex, last != "..", !hasSuffix("/") else { return self }
        return String(dropLast(last.distance(from: dot, to: last.endIndex)))
    }

    /// `~` expanded, `.` and repeated slashes removed, `..` taken back lexically (never above `/`), no trailing
    /// slash: `NSString.standardizingPath` without its Darwin-only `/private` rule. No symbolic link is resolved.
    var standardizingPath: String {
        var path = self
        if path == "~" || path.hasPrefix("~/") { path = Paths.home + path.dropFirst() }
        guard !path.isEmpty else { return path }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        let body = parts.joined(separator: "/")
        return absolute ? "/" + body : body
    }
}
