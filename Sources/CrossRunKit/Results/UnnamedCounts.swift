/// Tests that terse output (`cargo test -q`) counted but did not name: its progress marks name only failures.
public struct UnnamedCounts: Equatable, Sendable {
    public var passed: Int
    public var ignored: Int

    public init(passed: Int, ignored: Int) {
        self.passed = passed
        self.ignored = ignored
    }

    public static let none = UnnamedCounts(passed: 0, ignored: 0)

    public var total: Int { passed + ignored }
}
