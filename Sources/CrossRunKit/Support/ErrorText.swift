import FoundationEssentials
import Glibc

/// One line that says why a file operation failed: the C library's text for its errno ("Permission denied")
/// when the error carries one (FoundationEssentials' file errors wrap a POSIX error), else the error itself.
package enum ErrorText {
    package static func reason(_ error: any Error) -> String {
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        if let error = error as? CocoaError {
            if let underlying = error.userInfo["NSUnderlyingError"] as? POSIXError {
                return String(cString: strerror(underlying.code.rawValue))
            }
            if let underlying = error.userInfo["NSUnderlyingError"] as? any Error, !(underlying is CocoaError) {
                return reason(underlying)
            }
            let path = (error.userInfo["NSFilePath"] as? String).map { " (\($0))" } ?? ""
            return "file error \(error.code.rawValue)\(path)"
        }
        return String(describing: error)
    }
}
