import Foundation

/// Writes files so that a reader never sees half of one: into a temporary file beside the target, then `rename`.
enum AtomicFile {
    /// Calls `write` with a temporary path in `path`'s folder (created if needed), then renames it to `path`.
    static func write(to path: String, _ write: (String) throws -> Void) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw CrossRunError.reportNotWritable(path: path, reason: Self.reason(error))
            }
        }
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        do {
            try write(temporary)
            guard rename(temporary, path) == 0 else {
                throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temporary)
            // The writer only knows the temporary file: name the report the user asked for.
            if let error = error as? CrossRunError {
                guard error.code == .reportNotWritable, error.subject == temporary else { throw error }
                throw CrossRunError.reportNotWritable(path: path, reason: error.reason ?? "")
            }
            throw CrossRunError.reportNotWritable(path: path, reason: Self.reason(error))
        }
    }

    static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw CrossRunError.reportNotWritable(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }

    private static func reason(_ error: Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
