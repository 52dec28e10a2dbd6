import CrossRunKit
import CCurlLoader
import Foundation
import Glibc

/// Fetches whole files over HTTP(S) (or `file:` URLs) into memory, with libcurl loaded on first use (see
/// Sources/CCurlLoader: a run that fetches nothing never loads an HTTP or TLS library). Any status but 200, a cut
/// body, a network error or a missing libcurl is a ``CrossRunError/downloadFailed(url:reason:)``.
public struct HTTPDownloader: Sendable {
    /// Seconds to connect, and seconds without a byte arriving, before giving up.
    public var timeout: TimeInterval = 60
    /// Responses larger than this are refused (a sysroot's files are a few MB; an index some tens).
    public var maximumSize = 512 << 20

    public init() {}

    /// True for a file the mirror does not have (HTTP 404 or 410, or a missing file on a `file:` mirror), as
    /// opposed to one it failed to serve.
    public static func isMissing(_ error: CrossRunError) -> Bool {
        error.code == .downloadFailed && ["HTTP 404", "HTTP 410", "no such file"].contains(error.reason ?? "")
    }

    public func fetch(_ urlString: String) throws -> Data {
        guard let url = URL(string: urlString), url.scheme != nil else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "not a valid URL")
        }
        if url.isFileURL {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CrossRunError.downloadFailed(url: urlString, reason: "no such file")
            }
            return data
        }
        guard ["http", "https"].contains(url.scheme?.lowercased()) else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "only http, https and file URLs are supported")
        }
        let body = Body(limit: maximumSize)
        var status = 0
        var error = [CChar](repeating: 0, count: 512)
        let result = crossrun_http_get(
            urlString, "crossrun/\(CrossRunVersion.current)", max(1, Int(timeout.rounded(.up))),
            { bytes, count, context in
                let body = Unmanaged<Body>.fromOpaque(context!).takeUnretainedValue()
                guard body.data.count + count <= body.limit else {
                    body.tooLarge = true
                    return 0
                }
                if let bytes { body.data.append(UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: count) }
                return count
            }, Unmanaged.passUnretained(body).toOpaque(), &status, &error, error.count)
        withExtendedLifetime(body) {}
        if body.tooLarge {
            throw CrossRunError.downloadFailed(url: urlString, reason: "larger than \(maximumSize) bytes")
        }
        guard result == 0 else {
            throw CrossRunError.downloadFailed(url: urlString, reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard status == 200 else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "HTTP \(status)")
        }
        return body.data
    }
}

/// The response body as it arrives, for the C callback.
private final class Body {
    let limit: Int
    var data = Data()
    var tooLarge = false

    init(limit: Int) { self.limit = limit }
}
