import Foundation

/// Finds executables the way a shell does, without a shell.
public enum Executables {
    /// `name` itself when it contains a slash and is executable, else the first executable `DIR/name` on `searchPath`.
    public static func find(_ name: String, searchPath: String) -> String? {
        if name.contains("/") {
            return isExecutableFile(name) ? name : nil
        }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = String(directory) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
}
