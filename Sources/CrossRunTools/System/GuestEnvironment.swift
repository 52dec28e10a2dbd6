import CrossRunKit
import FoundationEssentials
import Glibc

/// One variable of the guest's environment.
public struct GuestVariable: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The environment a test binary gets in the full-system guest: by default this process's variables except the
/// ones that describe the host (``hostOnly``, `LD_*`, `QEMU_*`) and names a shell cannot export, then each
/// `--env NAME` (its value here) or `--env NAME=VALUE` in order, replacing an inherited one of that name.
public struct GuestEnvironment: Equatable, Sendable {
    /// Host variables that describe this machine, not the guest: never passed in.
    public static let hostOnly: Set<String> = [
        "PATH", "HOME", "PWD", "OLDPWD", "SHELL", "SHLVL", "TMPDIR", "TERM", "USER", "LOGNAME", "MAIL", "_",
    ]

    /// In order: the inherited ones sorted by name, then the `--env` ones.
    public var variables: [GuestVariable]

    /// `environment`'s variables (unless `inherit` is false) and then `adding` (`NAME` or `NAME=VALUE`).
    public init(adding: [String] = [], inherit: Bool = true, from environment: [String: String]) throws {
        variables = []
        if inherit {
            for (name, value) in environment.sorted(by: { $0.key < $1.key }) where Self.passes(name) {
                variables.append(GuestVariable(name, value))
            }
        }
        for variable in adding {
            let parts = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard GuestInit.isValidName(name) else { throw CrossRunError.invalidEnvironmentName(variable) }
            let value = parts.count == 2 ? String(parts[1]) : environment[name]
            variables.removeAll { $0.name == name }
            if let value { variables.append(GuestVariable(name, value)) }
        }
    }

    /// Whether an inherited variable reaches the guest.
    public static func passes(_ name: String) -> Bool {
        !hostOnly.contains(name) && !name.hasPrefix("LD_") && !name.hasPrefix("QEMU_") && GuestInit.isValidName(name)
    }
}
