import Foundation

enum Paths {
    static func absolute(_ path: String, relativeTo folder: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            return NSHomeDirectory() + path.dropFirst()
        }
        return ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
