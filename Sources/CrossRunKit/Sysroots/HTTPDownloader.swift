import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fetches whole files over HTTP(S) (or `file:` URLs) into memory. Any status but 200, a cut body or a network
/// error is a ``CrossRunError/downloadFailed(url:reason:)``.
public struct HTTPDownloader: Sendable {
    public var timeout: TimeInterval = 60
    /// Responses larger than this are refused (a sysroot's files are a few MB; an index some tens).
    public var maximumSize = 512 << 20

    public init() {}

    public func fetch(_ urlString: String) throws -> Data {
        guard let url = URL(string: urlString) else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "not a valid URL")
        }
        if url.isFileURL {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CrossRunError.downloadFailed(url: urlString, reason: "no such file")
            }
            return data
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.setValue("crossrun/\(CrossRunVersion.current)", forHTTPHeaderField: "User-Agent")
        let box = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response, error: error)
            semaphore.signal()
        }
        task.resume()
        semaphore.wait()
        let (data, response, error) = box.get()
        if let error {
            throw CrossRunError.downloadFailed(url: urlString, reason: (error as NSError).localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "no HTTP response")
        }
        guard http.statusCode == 200 else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "HTTP \(http.statusCode)")
        }
        let body = data ?? Data()
        if let length = http.value(forHTTPHeaderField: "Content-Length").flatMap(Int.init), length != body.count {
            throw CrossRunError.downloadFailed(url: urlString, reason: "the body ended after \(body.count) of \(length) bytes")
        }
        guard body.count <= maximumSize else {
            throw CrossRunError.downloadFailed(url: urlString, reason: "larger than \(maximumSize) bytes")
        }
        return body
    }
}

/// Carries a URLSession completion across threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var response: URLResponse?
    private var error: Error?

    func set(data: Data?, response: URLResponse?, error: Error?) {
        lock.lock()
        defer { lock.unlock() }
        self.data = data
        self.response = response
        self.error = error
    }

    func get() -> (Data?, URLResponse?, Error?) {
        lock.lock()
        defer { lock.unlock() }
        return (data, response, error)
    }
}
