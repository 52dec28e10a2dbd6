import FoundationEssentials
import Glibc

/// A doctest binary rustdoc runs through the runner (`cargo test --doc -Zdoctest-xcompile`): rustdoc compiles each
/// doctest to `rust_out` in a fresh `rustdoctest*` temporary folder and runs `RUNNER <that path>` from the crate's
/// folder with cargo's `CARGO_*` variables. crossrun names its report after the doctest as libtest does
/// (`src/lib.rs - add (line 5)`), writes it under cargo's target dir (never the source folder), and prints no
/// summary line: rustdoc captures the runner's stderr into the doctest's output (CROSSRUN_SUMMARY=always prints
/// it anyway). docs/doctests.md.
struct Doctest: Equatable, Sendable {
    /// The source file, relative to the package (`src/lib.rs`).
    var path: String
    /// The line of the code block's opening fence, as rustdoc counts it.
    var line: Int
    /// The documented item (`add`, `Counter::increment`), when crossrun found it in the source.
    var item: String?
    /// The package's folder (`CARGO_MANIFEST_DIR`).
    var packageFolder: String

    /// rustdoc's name of the doctest: `src/lib.rs - add (line 5)`, `src/lib.rs - (line 1)` for a module's docs.
    var name: String { "\(path) - \(item.map { $0 + " " } ?? "")(line \(line))" }

    /// A name safe as a file name: `src_lib_rs-add-line5`.
    var fileStem: String {
        let cleaned = (path + "-" + (item ?? "") + "-line\(line)").map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        return String(cleaned)
    }

    /// Whether `binaryPath` is a doctest rustdoc built: `.../rustdoctest*/rust_out`.
    static func isDoctestBinary(_ binaryPath: String) -> Bool {
        let folder = binaryPath.deletingLastPathComponent
        let file = binaryPath.lastPathComponent
        return (file == "rust_out" || file == "rust_out.exe" || file == "rust_out.wasm")
            && folder.lastPathComponent.hasPrefix("rustdoctest")
    }

    /// The doctest `binaryPath` is, or nil for any other binary. The file and line come from rustdoc's
    /// `UNSTABLE_RUSTDOC_TEST_PATH` / `UNSTABLE_RUSTDOC_TEST_LINE` when the runner sees them, else from the
    /// function rustdoc wraps the example in, `_doctest_main_<path>_<line>_<n>`, whose name is in the binary's
    /// symbols (rustdoc 1.63 sets those variables only for the compiler); the path is then found among the
    /// package's files.
    static func identify(binaryPath: String, environment: [String: String], workingDirectory: String) -> Doctest? {
        guard isDoctestBinary(binaryPath) else { return nil }
        let package = environment["CARGO_MANIFEST_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? workingDirectory
        var doctest: Doctest?
        if let path = environment["UNSTABLE_RUSTDOC_TEST_PATH"], !path.isEmpty,
            let line = environment["UNSTABLE_RUSTDOC_TEST_LINE"].flatMap({ Int($0) })
        {
            doctest = Doctest(path: path, line: line, packageFolder: package)
        } else if let wrapper = wrapperFunction(in: binaryPath) {
            let path = sourceFile(mangled: wrapper.mangledPath, in: package) ?? wrapper.mangledPath
            doctest = Doctest(path: path, line: wrapper.line, packageFolder: package)
        }
        guard var found = doctest else { return nil }
        found.item = item(documentedAt: found.line, in: package.appendingPathComponent(found.path))
        return found
    }

    /// `_doctest_main_src_lib_rs_5_0` in the binary: (`src_lib_rs`, 5).
    static func wrapperFunction(in binaryPath: String) -> (mangledPath: String, line: Int)? {
        guard let data = FileManager.default.contents(atPath: binaryPath) else { return nil }
        let marker = Array("_doctest_main_".utf8)
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> (mangledPath: String, line: Int)? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = 0
            while offset + marker.count <= bytes.count, let found = memchr(base + offset, 0x5F, bytes.count - offset) {
                let start = UnsafeRawPointer(found) - base
                guard start + marker.count <= bytes.count, memcmp(base + start, marker, marker.count) == 0 else {
                    offset = start + 1
                    continue
                }
                offset = start + marker.count
                // The identifier's characters; a mangled symbol's length prefix (`28_doctest_main_...`, v0's
                // `28__doctest...`) says where it ends (a hash follows it).
                var end = start
                while end < bytes.count, isIdentifierByte(bytes[end]) { end += 1 }
                var digitsEnd = start
                if digitsEnd > 0, bytes[digitsEnd - 1] == 0x5F { digitsEnd -= 1 }
                var digitsStart = digitsEnd
                while digitsStart > 0, bytes[digitsStart - 1] >= 0x30, bytes[digitsStart - 1] <= 0x39 { digitsStart -= 1 }
                if digitsStart < digitsEnd, let length = Int(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[digitsStart..<digitsEnd]), as: UTF8.self)) {
                    let lengthStart = digitsEnd == start ? start : start - 1
                    if lengthStart + length <= end { end = max(start, lengthStart + length) }
                }
                let identifier = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(start + marker.count)..<end]), as: UTF8.self)
                // PATH_LINE_N
                let parts = identifier.split(separator: "_", omittingEmptySubsequences: false)
                guard parts.count >= 3, let line = Int(parts[parts.count - 2]), Int(parts[parts.count - 1]) != nil else { continue }
                let path = parts.dropLast(2).joined(separator: "_")
                guard !path.isEmpty else { continue }
                return (mangledPath: path, line: line)
            }
            return nil
        }
    }

    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        byte == 0x5F || (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// The file under `package` whose relative path, with every character but letters and digits as `_`, is
    /// `mangled` (target/ and hidden folders skipped; at most 20,000 entries looked at).
    static func sourceFile(mangled: String, in package: String) -> String? {
        var seen = 0
        var found: String?
        Paths.walk(package) { path, _ in
            guard seen < 20_000 else { return .stop }
            seen += 1
            let name = path.lastPathComponent
            if name == "target" || name.hasPrefix(".") { return .skipContents }
            guard String(path.unicodeScalars.map { $0.isASCIIAlphanumeric ? Character($0) : "_" }) == mangled else { return .next }
            found = path
            return .stop
        }
        return found
    }

    /// The item a doc comment whose code block opens at `line` documents: the first line after the comment that
    /// declares one (`pub fn add`), with its `impl` type for a method (`Counter::increment`); nil for a module's
    /// inner docs (`//!`) or when none is found.
    static func item(documentedAt line: Int, in file: String) -> String? {
        guard line >= 1, let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard line <= lines.count else { return nil }
        if lines[line - 1].trimmingSpaces().hasPrefix("//!") { return nil }
        let declaration = #/^\s*(pub(\([^)]*\))?\s+)?((unsafe|async|const|default|extern\s+"[^"]*")\s+)*(fn|struct|enum|trait|mod|type|union|static|const|macro_rules!)\s*([A-Za-z_][A-Za-z0-9_]*)/#
        for index in line..<min(lines.count, line + 2000) {
            let current = lines[index]
            let trimmed = current.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("///") || trimmed.hasPrefix("#[") || trimmed.hasPrefix("//") { continue }
            guard let match = current.firstRange(of: declaration) else { return nil }
            let words = current[match].replacing("macro_rules!", with: "macro_rules! ")
                .split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let name = words.last.map(String.init) else { return nil }
            let indent = current.prefix { $0 == " " || $0 == "\t" }.count
            guard indent > 0 else { return name }
            // A method: the nearest `impl` above with less indentation.
            for above in stride(from: index - 1, through: 0, by: -1) {
                let candidate = lines[above]
                let candidateIndent = candidate.prefix { $0 == " " || $0 == "\t" }.count
                guard candidateIndent < indent, !candidate.trimmingSpaces().isEmpty else { continue }
                let stripped = candidate.trimmingSpaces()
                guard stripped.hasPrefix("impl") || stripped.hasPrefix("unsafe impl") else { return name }
                var head = String(stripped.prefix { $0 != "{" })
                if let range = head.firstRange(of: " for ") { head = String(head[range.upperBound...]) } else {
                    head = head.replacing(#/^(unsafe\s+)?impl(<[^>]*>)?\s*/#, with: "")
                }
                let type = head.trimmingSpaces().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                return type.isEmpty ? name : String(type) + "::" + name
            }
            return name
        }
        return nil
    }

    /// cargo's target dir for the package: `CARGO_TARGET_DIR` (relative to the working directory), else the
    /// nearest `target/` holding cargo's CACHEDIR.TAG from the package's folder upward (a workspace's), else
    /// `<package>/target`.
    func targetDirectory(environment: [String: String], workingDirectory: String) -> String {
        if let explicit = environment["CARGO_TARGET_DIR"], !explicit.isEmpty {
            return Paths.absolute(explicit, relativeTo: workingDirectory)
        }
        var folder = packageFolder
        while folder != "/" && !folder.isEmpty {
            let candidate = folder.appendingPathComponent("target")
            if FileManager.default.fileExists(atPath: candidate + "/CACHEDIR.TAG") { return candidate }
            folder = folder.deletingLastPathComponent
        }
        return packageFolder.appendingPathComponent("target")
    }
}
