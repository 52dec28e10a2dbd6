import FoundationEssentials
import Glibc

/// Every error crossrun itself raises: a ``Code`` that says what kind of error it is (and decides the exit
/// status), and a one-line ``message`` that says what happened and what to do.
///
/// Match errors by their code, `error.code == .binaryNotFound`; a new code is not a breaking change, since a
/// code is a struct value, not an enum case a `switch` has to cover. Create them with the static functions in
/// `ErrorMessages.swift` (`throw CrossRunError.binaryNotFound(path: path)`), which hold every message.
///
/// A failing test is never a `CrossRunError`: test outcomes are data in ``RunResult``.
public struct CrossRunError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// What kind of error this is; decides ``exitStatus``.
    public var code: Code
    /// One sentence that says what happened and what to do, on one line: text it quotes from a file or the
    /// command line (a path, an archive entry, an ELF interpreter) has its control characters escaped
    /// (``Swift/String/escapedForTerminal``), so it can neither break the line nor drive the terminal.
    public var message: String
    /// What the error is about, when there is one thing: a path, a target, a URL, a package.
    public var subject: String?
    /// The underlying cause in a few words (an `strerror` text, a parser's detail), when there is one.
    public var reason: String?

    public init(code: Code, message: String, subject: String? = nil, reason: String? = nil) {
        self.code = code
        self.message = message.escapedForTerminal
        self.subject = subject
        self.reason = reason
    }

    /// The exit status crossrun uses for this error (see docs/exit-status.md).
    public var exitStatus: Int32 { code.exitStatus }

    public var description: String { message }
    public var errorDescription: String? { message }

    /// The exit status for any error: a `CrossRunError`'s code decides it; any other error is crossrun's own
    /// (``ExitStatus/crossrunError``, 125).
    public static func exitStatus(for error: any Error) -> Int32 {
        (error as? CrossRunError)?.exitStatus ?? ExitStatus.crossrunError
    }

    /// The one-line message for any error: a `CrossRunError`'s ``message``, or another error's description with
    /// its lines joined.
    public static func message(for error: any Error) -> String {
        if let error = error as? CrossRunError { return error.message }
        let text = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.joined(separator: " ").escapedForTerminal
    }
}

extension CrossRunError {
    /// The kind of a ``CrossRunError``. Compare with `==` or `switch` over the static members; ``all`` lists
    /// every code, and ``exitStatus`` is the status crossrun exits with for it.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// Every code, one case each: the exhaustive `switch` in `exitStatus` makes each new one decide its status.
        enum Name: String, CaseIterable, Sendable {
            // The binary
            case binaryNotFound, binaryIsDirectory, binaryNotReadable, binaryEmpty, binaryTruncated, binaryMalformed
            case notAnExecutable, foreignExecutable, unsupportedMachine, notExecutableOnHost, binaryNotExecutable, targetMismatch, partitionListingFailed
            // ELF parsing (BinaryInspector turns these into the binary codes above, with the path)
            case notELF, elfTruncated, elfInvalid
            // Emulator and sysroot
            case emulatorNotFound, loaderMissing, sysrootNotADirectory, spawnFailed, cpuRefused
            // Fetched sysroots
            case invalidSysrootManifest, noSysrootManifest, noMirror, downloadFailed, checksumMismatch, sizeMismatch
            case signatureInvalid, signatureUnverifiable, packageMissing, unsafeArchiveEntry, archiveUnreadable, sysrootIncomplete
            case sysrootNotCached, sysrootLocked, sysrootModified, cacheNotWritable, sysrootFetchFailed
            // Configuration and data
            case invalidConfiguration, invalidRunnerDefinition, unknownTarget, invalidEnvironmentValue
            // Reports
            case reportNotWritable, reportNotReadable, noReportsToMerge, noRunRecord
            // Linux full-system mode
            case qemuNotFound, kernelNotFound, kernelNotImage, busyboxNotFound, unreadable, initramfs
            case libraryMissing, sysrootNeeded, unsupportedBinary, invalidEnvironmentName, kernelPackageUnresolved
            case qemuFailed, noStartMarker, noEndMarker
            // The embedded wasm runtime
            case wasmModuleUnreadable
            // crossrun doctor
            case targetsCannotRun
            // The crossrun-tools executable beside crossrun
            case toolsNotInstalled
        }

        let name: Name

        init(_ name: Name) { self.name = name }

        public init?(rawValue: String) {
            guard let name = Name(rawValue: rawValue) else { return nil }
            self.name = name
        }

        /// The code's name, as in `CrossRunError.Code.binaryNotFound`.
        public var rawValue: String { name.rawValue }
        public var description: String { rawValue }

        /// Every code.
        public static let all: [Code] = Name.allCases.map(Code.init)

        /// The exit status crossrun uses for an error with this code (docs/exit-status.md).
        public var exitStatus: Int32 {
            switch name {
            case .emulatorNotFound, .qemuNotFound:
                return ExitStatus.emulatorMissing
            case .notExecutableOnHost, .binaryNotExecutable, .loaderMissing, .sysrootNotADirectory, .spawnFailed,
                .noMirror, .downloadFailed, .checksumMismatch, .sizeMismatch, .signatureInvalid, .signatureUnverifiable, .packageMissing,
                .unsafeArchiveEntry, .archiveUnreadable, .sysrootIncomplete, .sysrootNotCached, .sysrootLocked,
                .sysrootModified, .cacheNotWritable, .sysrootFetchFailed,
                .kernelNotFound, .kernelNotImage, .busyboxNotFound, .unreadable, .initramfs, .libraryMissing,
                .sysrootNeeded, .kernelPackageUnresolved, .qemuFailed, .noStartMarker, .noEndMarker,
                .wasmModuleUnreadable:
                return ExitStatus.cannotExecute
            case .targetsCannotRun:
                return ExitStatus.checkFailed
            case .binaryNotFound, .binaryIsDirectory, .binaryNotReadable, .binaryEmpty, .binaryTruncated,
                .binaryMalformed, .notAnExecutable, .foreignExecutable, .unsupportedMachine, .targetMismatch, .partitionListingFailed,
                .notELF, .elfTruncated, .elfInvalid,
                .invalidSysrootManifest, .noSysrootManifest,
                .invalidConfiguration, .invalidRunnerDefinition, .unknownTarget, .invalidEnvironmentValue, .cpuRefused,
                .reportNotWritable, .reportNotReadable, .noReportsToMerge, .noRunRecord,
                .unsupportedBinary, .invalidEnvironmentName, .toolsNotInstalled:
                return ExitStatus.crossrunError
            }
        }

        // The binary
        public static let binaryNotFound = Code(.binaryNotFound)
        public static let binaryIsDirectory = Code(.binaryIsDirectory)
        public static let binaryNotReadable = Code(.binaryNotReadable)
        public static let binaryEmpty = Code(.binaryEmpty)
        public static let binaryTruncated = Code(.binaryTruncated)
        public static let binaryMalformed = Code(.binaryMalformed)
        public static let notAnExecutable = Code(.notAnExecutable)
        public static let foreignExecutable = Code(.foreignExecutable)
        public static let unsupportedMachine = Code(.unsupportedMachine)
        public static let notExecutableOnHost = Code(.notExecutableOnHost)
        public static let binaryNotExecutable = Code(.binaryNotExecutable)
        public static let targetMismatch = Code(.targetMismatch)
        public static let partitionListingFailed = Code(.partitionListingFailed)
        // ELF parsing
        public static let notELF = Code(.notELF)
        public static let elfTruncated = Code(.elfTruncated)
        public static let elfInvalid = Code(.elfInvalid)
        // Emulator and sysroot
        public static let emulatorNotFound = Code(.emulatorNotFound)
        public static let loaderMissing = Code(.loaderMissing)
        public static let sysrootNotADirectory = Code(.sysrootNotADirectory)
        public static let spawnFailed = Code(.spawnFailed)
        public static let cpuRefused = Code(.cpuRefused)
        // Fetched sysroots
        public static let invalidSysrootManifest = Code(.invalidSysrootManifest)
        public static let noSysrootManifest = Code(.noSysrootManifest)
        public static let noMirror = Code(.noMirror)
        public static let downloadFailed = Code(.downloadFailed)
        public static let checksumMismatch = Code(.checksumMismatch)
        public static let sizeMismatch = Code(.sizeMismatch)
        public static let signatureInvalid = Code(.signatureInvalid)
        public static let signatureUnverifiable = Code(.signatureUnverifiable)
        public static let packageMissing = Code(.packageMissing)
        public static let unsafeArchiveEntry = Code(.unsafeArchiveEntry)
        public static let archiveUnreadable = Code(.archiveUnreadable)
        public static let sysrootIncomplete = Code(.sysrootIncomplete)
        public static let sysrootNotCached = Code(.sysrootNotCached)
        public static let sysrootLocked = Code(.sysrootLocked)
        public static let sysrootModified = Code(.sysrootModified)
        public static let cacheNotWritable = Code(.cacheNotWritable)
        public static let sysrootFetchFailed = Code(.sysrootFetchFailed)
        // Configuration and data
        public static let invalidConfiguration = Code(.invalidConfiguration)
        public static let invalidRunnerDefinition = Code(.invalidRunnerDefinition)
        public static let unknownTarget = Code(.unknownTarget)
        public static let invalidEnvironmentValue = Code(.invalidEnvironmentValue)
        // Reports
        public static let reportNotWritable = Code(.reportNotWritable)
        public static let reportNotReadable = Code(.reportNotReadable)
        public static let noReportsToMerge = Code(.noReportsToMerge)
        public static let noRunRecord = Code(.noRunRecord)
        // Linux full-system mode
        public static let qemuNotFound = Code(.qemuNotFound)
        public static let kernelNotFound = Code(.kernelNotFound)
        public static let kernelNotImage = Code(.kernelNotImage)
        public static let busyboxNotFound = Code(.busyboxNotFound)
        public static let unreadable = Code(.unreadable)
        public static let initramfs = Code(.initramfs)
        public static let libraryMissing = Code(.libraryMissing)
        public static let sysrootNeeded = Code(.sysrootNeeded)
        public static let unsupportedBinary = Code(.unsupportedBinary)
        public static let invalidEnvironmentName = Code(.invalidEnvironmentName)
        public static let kernelPackageUnresolved = Code(.kernelPackageUnresolved)
        public static let qemuFailed = Code(.qemuFailed)
        public static let noStartMarker = Code(.noStartMarker)
        public static let noEndMarker = Code(.noEndMarker)
        // The embedded wasm runtime
        public static let wasmModuleUnreadable = Code(.wasmModuleUnreadable)
        // crossrun doctor
        public static let targetsCannotRun = Code(.targetsCannotRun)
        // The crossrun-tools executable beside crossrun
        public static let toolsNotInstalled = Code(.toolsNotInstalled)
    }
}
