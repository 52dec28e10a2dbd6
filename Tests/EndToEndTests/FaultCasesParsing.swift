import Foundation

// Issue 14, item 4: a header field no file can hold (an offset of 2^63 or more) once made crossrun trap in an
// `off_t` conversion ("Swift runtime failure: Not enough bits", status 132 as if the guest had died of SIGILL, and
// a 60-line backtrace). Each is now the one-line damaged-ELF error, status 125, naming the field.
extension FaultCase {
    static let parsing: [FaultCase] = [
        FaultCase(name: "binary: ELF e_phoff of 2^63",
                  binary: .made { try write($0, "phoff", try patchedFaultProgram { bytes in put64(&bytes, at: 32, 1 << 63) }, mode: 0o755) },
                  status: [125], tests: .noReport, stderrMentions: ["crossrun: error:", "damaged ELF", "e_phoff 0x8000000000000000"],
                  stderrLacks: trapSigns),
        FaultCase(name: "binary: ELF PT_INTERP offset of 2^63",
                  binary: .made { folder in
                      try write(folder, "interp", try patchedFaultProgram(static: false) { bytes in
                          put64(&bytes, at: try programHeader(type: 3, in: bytes) + 8, 0xFFFF_FFFF_FFFF_FF00)
                      }, mode: 0o755)
                  },
                  status: [125], tests: .noReport, stderrMentions: ["crossrun: error:", "damaged ELF", "PT_INTERP p_offset 0xffffffffffffff00"],
                  stderrLacks: trapSigns),
        FaultCase(name: "binary: ELF PT_NOTE offset of 2^63",
                  binary: .made { folder in
                      try write(folder, "note", try patchedFaultProgram { bytes in
                          put64(&bytes, at: try programHeader(type: 4, in: bytes) + 8, 1 << 63)
                      }, mode: 0o755)
                  },
                  status: [125], tests: .noReport, stderrMentions: ["crossrun: error:", "damaged ELF", "PT_NOTE p_offset 0x8000000000000000"],
                  stderrLacks: trapSigns),
    ]

    /// What a trap prints instead of crossrun's one error line.
    static let trapSigns = ["Swift runtime failure", "Fatal error", "backtrace", "Thread 0", "Current stack trace"]
}

/// The faults program (aarch64, ELF64 little-endian) with `change` applied to its bytes.
private func patchedFaultProgram(static isStatic: Bool = true, _ change: (inout [UInt8]) throws -> Void) throws -> [UInt8] {
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try Fault.program(static: isStatic))))
    try change(&bytes)
    return bytes
}

private func get(_ bytes: [UInt8], at offset: Int, width: Int) -> Int {
    (0..<width).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
}

private func put64(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
    for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
}

/// The file offset of the first program header of `type` (3 PT_INTERP, 4 PT_NOTE).
private func programHeader(type: Int, in bytes: [UInt8]) throws -> Int {
    let table = get(bytes, at: 32, width: 8), size = get(bytes, at: 54, width: 2), count = get(bytes, at: 56, width: 2)
    guard let index = (0..<count).first(where: { get(bytes, at: table + $0 * size, width: 4) == type }) else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the faults program has no program header of type \(type)"])
    }
    return table + index * size
}
