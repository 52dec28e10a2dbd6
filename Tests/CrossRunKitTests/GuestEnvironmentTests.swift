import Foundation
import Testing

@testable import CrossRunKit
@testable import CrossRunTools

@Suite("System mode: the guest's environment")
struct GuestEnvironmentTests {
    static let host = [
        "PATH": "/usr/bin", "HOME": "/root", "PWD": "/work", "OLDPWD": "/", "SHELL": "/bin/bash", "SHLVL": "1",
        "TMPDIR": "/tmp", "TERM": "xterm", "USER": "root", "LOGNAME": "root", "MAIL": "/var/mail/root", "_": "/usr/bin/crossrun",
        "LD_LIBRARY_PATH": "/opt/lib", "LD_PRELOAD": "x.so", "QEMU_LD_PREFIX": "/usr/aarch64-linux-gnu",
        "BASH_FUNC_f%%": "() { :; }", "1ABC": "x", "A-B": "y",
        "RUST_BACKTRACE": "1", "CROSSRUN_DEMO_FAIL": "1", "ZED": "last",
    ]

    @Test("inherited: every variable but the host's own, LD_*, QEMU_* and names a shell cannot export, sorted")
    func inherited() throws {
        let environment = try GuestEnvironment(from: Self.host)
        #expect(environment.variables == [
            GuestVariable("CROSSRUN_DEMO_FAIL", "1"), GuestVariable("RUST_BACKTRACE", "1"), GuestVariable("ZED", "last"),
        ])
    }

    @Test("each host-only name is dropped", arguments: GuestEnvironment.hostOnly.sorted())
    func hostOnly(name: String) throws {
        #expect(!GuestEnvironment.passes(name))
        #expect(try GuestEnvironment(from: [name: "v"]).variables.isEmpty)
    }

    @Test("--env NAME takes this process's value, even of a host-only name; NAME=VALUE sets it; an unset NAME adds nothing")
    func added() throws {
        let environment = try GuestEnvironment(adding: ["HOME", "EXTRA=a=b", "UNSET", "EMPTY="], from: Self.host)
        #expect(environment.variables.suffix(3) == [GuestVariable("HOME", "/root"), GuestVariable("EXTRA", "a=b"), GuestVariable("EMPTY", "")])
        #expect(!environment.variables.contains { $0.name == "UNSET" })
    }

    @Test("--env replaces an inherited variable of the same name and moves it to the end")
    func replaced() throws {
        let environment = try GuestEnvironment(adding: ["RUST_BACKTRACE=full"], from: Self.host)
        #expect(environment.variables == [
            GuestVariable("CROSSRUN_DEMO_FAIL", "1"), GuestVariable("ZED", "last"), GuestVariable("RUST_BACKTRACE", "full"),
        ])
    }

    @Test("--clean-env passes only the --env variables")
    func clean() throws {
        let environment = try GuestEnvironment(adding: ["RUST_BACKTRACE", "X=1"], inherit: false, from: Self.host)
        #expect(environment.variables == [GuestVariable("RUST_BACKTRACE", "1"), GuestVariable("X", "1")])
    }

    @Test("an --env name a shell cannot export is a one-line error", arguments: ["1ABC=x", "A-B", "=x", ""])
    func invalid(variable: String) {
        #expect(throws: CrossRunError.invalidEnvironmentName(variable)) {
            try GuestEnvironment(adding: [variable], from: Self.host)
        }
        #expect(!CrossRunError.invalidEnvironmentName(variable).description.contains("\n"))
    }
}
