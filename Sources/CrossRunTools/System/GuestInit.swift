import CrossRunKit
import FoundationEssentials
import Glibc

/// The guest's `/init`: a busybox `sh` script that mounts the pseudo file systems, turns off the console's
/// `\n` → `\r\n` translation, runs the test binary with its arguments and environment in an empty working
/// folder, reports its status between two markers that carry a per-run nonce, and powers the machine off.
public struct GuestInit: Equatable, Sendable {
    /// Where busybox lives in the guest; its applets are linked from `/bin`.
    public static let busyboxPath = "/bin/busybox"
    /// Where the test binary is put in the guest.
    public static let binaryPath = "/crossrun/test-binary"

    /// A random word that the test binary cannot guess, so its output cannot fake a marker.
    public var nonce: String
    /// The guest path of the program to run.
    public var program: String
    public var arguments: [String]
    /// In order; names must be valid shell names (see `isValidName`).
    public var environment: [GuestVariable]
    /// Created empty in the guest (the host's folders are not shared).
    public var workingDirectory: String

    public init(
        nonce: String = GuestInit.randomNonce(), program: String = GuestInit.binaryPath, arguments: [String],
        environment: [GuestVariable], workingDirectory: String = "/tmp/work"
    ) {
        self.nonce = nonce
        self.program = program
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    public static func randomNonce() -> String {
        (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8) }.joined()
    }

    /// The line the init prints just before it starts the program.
    public var startMarker: String { "@@crossrun-start-\(nonce)@@" }
    /// What the init prints just after the program ends, followed by `<status>@@`.
    public var endMarkerPrefix: String { "@@crossrun-end-\(nonce) status=" }

    /// `'text'` with every `'` written as `'\''`: one word for any shell, whatever the text holds.
    public static func quoted(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }

    /// A name a shell can `export`: a letter or `_`, then letters, digits and `_`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIIAlphanumeric }
    }

    /// The script text.
    public var script: String {
        let bb = Self.busyboxPath
        var lines = [
            "#!\(bb) sh",
            "# crossrun system mode: runs one test binary, reports its status, powers off.",
            "\(bb) mount -t proc proc /proc",
            "\(bb) mount -t sysfs sysfs /sys",
            "\(bb) mount -t devtmpfs devtmpfs /dev 2>/dev/null",
            "\(bb) mount -t tmpfs tmpfs /tmp",
            "\(bb) mount -t tmpfs tmpfs /dev/shm 2>/dev/null",
            "\(bb) stty -onlcr 2>/dev/null",
            "\(bb) mkdir -p \(Self.quoted(workingDirectory))",
            "cd \(Self.quoted(workingDirectory)) || \(bb) poweroff -f",
            "unset $(\(bb) env | \(bb) sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p')",
            "export PATH=/bin HOME=/root",
        ]
        for variable in environment where Self.isValidName(variable.name) {
            lines.append("export \(variable.name)=\(Self.quoted(variable.value))")
        }
        lines += [
            "echo \(Self.quoted(startMarker))",
            // The program gets stdin /dev/null and the console as stdout and stderr. busybox sh still prints
            // its one-word report of a killed program ("Aborted") on the console, as qemu-user prints its own.
            "exec 3>&2",
            "( exec 2>&3 3>&- </dev/null; exec \(([program] + arguments).map(Self.quoted).joined(separator: " ")) ) 2>/dev/null",
            "status=$?",
            "exec 3>&-",
            "echo \"\(endMarkerPrefix)$status@@\"",
            "\(bb) sync",
            "\(bb) poweroff -f",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

