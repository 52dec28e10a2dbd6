import FoundationEssentials
import Glibc
import Dispatch

/// A piece of work started on a thread of its own, whose result is waited for later: `--isolate` lists its
/// tests, the ignored ones and starts its first fork server at once (each is an emulator start).
final class Concurrent<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    init(_ body: @escaping @Sendable () throws -> Value) {
        startThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    /// Waits for the work (once or many times) and gives its value or rethrows its error.
    func value() throws -> Value {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
