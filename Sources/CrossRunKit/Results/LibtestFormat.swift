import FoundationEssentials
import Glibc

/// The output format libtest is using, as detected from the lines themselves.
public enum LibtestFormat: String, Codable, Sendable {
    case pretty = "libtest-pretty"
    case terse = "libtest-terse"
    case json = "libtest-json"
    /// No libtest output: a C program or a `harness = false` test.
    case plain
}
