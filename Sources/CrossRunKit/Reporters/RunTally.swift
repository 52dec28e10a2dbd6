import FoundationEssentials
import Glibc

/// The totals of one `cargo test` across its test binaries. cargo runs each binary through the runner one after
/// another, each a fresh crossrun process, so crossrun keeps a small record per invocation in the report folder,
/// `.cargo-runs/<cargo's pid>-<its start time>/`, one file per binary written atomically (safe when runs
/// overlap). Each binary's summary line then ends with the totals so far, from the second binary on, and
/// `crossrun report summary [DIR]` prints the totals of the latest invocation. The key is the runner's parent,
/// which is cargo for every binary of one `cargo test`; its start time (from /proc) tells a reused pid apart.
/// Records older than a day are removed when a new invocation starts. docs/junit.md#totals-across-binaries.
public enum RunTally {
    static let folderName = ".cargo-runs"

    /// One binary's counts in one invocation.
    public struct Entry: Codable, Equatable, Sendable {
        public var binary: String
        public var passed: Int
        public var failed: Int
        public var ignored: Int
        public var errors: Int
        public var status: Int32
    }

    /// Counts added up over binaries.
    public struct Totals: Equatable, Sendable {
        public var binaries = 0
        public var passed = 0
        public var failed = 0
        public var ignored = 0
        public var errors = 0
        /// Binaries that did not exit 0.
        public var failedBinaries = 0

        /// `3 binaries, 25 passed, 1 failed, 0 ignored` (and `, N errors` when there are).
        public var text: String {
            var text = "\(binaries) binar\(binaries == 1 ? "y" : "ies"), \(passed) passed, \(failed) failed, \(ignored) ignored"
            if errors > 0 { text += ", \(errors) error\(errors == 1 ? "" : "s")" }
            return text
        }

        mutating func add(_ entry: Entry) {
            binaries += 1
            passed += entry.passed
            failed += entry.failed
            ignored += entry.ignored
            errors += entry.errors
            if entry.status != 0 { failedBinaries += 1 }
        }
    }

    /// The invocation this process belongs to, when cargo started it: `<parent pid>-<parent start time>`.
    static func invocationKey(environment: [String: String]) -> String? {
        guard let cargo = environment["CARGO"], !cargo.isEmpty else { return nil }
        let parent = getppid()
        guard parent > 1, let stat = try? String(contentsOfFile: "/proc/\(parent)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after `(comm)`: state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return "\(parent)-\(fields[19])"
    }

    /// Records `entry` (named `stem`) for invocation `key` in `reportDirectory` and returns the invocation's totals.
    static func record(_ entry: Entry, stem: String, key: String, in reportDirectory: String) -> Totals? {
        let base = reportDirectory.appendingPathComponent(folderName)
        let folder = base.appendingPathComponent(key)
        let manager = FileManager.default
        if !manager.fileExists(atPath: folder) {
            guard (try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return nil }
            removeStale(in: base, keeping: key)
        }
        guard let data = try? JSONEncoder().encode(entry) else { return nil }
        let path = folder.appendingPathComponent(stem + ".json")
        let temporary = folder.appendingPathComponent(".\(stem).\(getpid()).tmp")
        guard manager.createFile(atPath: temporary, contents: data), rename(temporary, path) == 0 else {
            unlink(temporary)
            return nil
        }
        return totals(in: folder)
    }

    /// The totals of the records in one invocation's folder.
    static func totals(in folder: String) -> Totals {
        var totals = Totals()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name)),
                let entry = try? JSONDecoder().decode(Entry.self, from: data)
            else { continue }
            totals.add(entry)
        }
        return totals
    }

    /// The latest invocation recorded in `reportDirectory` (the folder changed last) and its totals.
    public static func latest(in reportDirectory: String) -> (key: String, totals: Totals)? {
        let base = reportDirectory.appendingPathComponent(folderName)
        let manager = FileManager.default
        guard let keys = try? manager.contentsOfDirectory(atPath: base) else { return nil }
        let dated = keys.filter { !$0.hasPrefix(".") }.compactMap { key -> (String, Date)? in
            let attributes = try? manager.attributesOfItem(atPath: base.appendingPathComponent(key))
            return (attributes?[.modificationDate] as? Date).map { (key, $0) }
        }
        guard let newest = dated.max(by: { $0.1 < $1.1 }) else { return nil }
        return (newest.0, totals(in: base.appendingPathComponent(newest.0)))
    }

    /// Removes the records of invocations older than a day.
    static func removeStale(in base: String, keeping key: String) {
        let manager = FileManager.default
        guard let keys = try? manager.contentsOfDirectory(atPath: base) else { return }
        let limit = Date().addingTimeInterval(-24 * 3600)
        for other in keys where other != key && !other.hasPrefix(".") {
            let path = base.appendingPathComponent(other)
            if let date = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date, date < limit {
                try? manager.removeItem(atPath: path)
            }
        }
    }
}
