import FoundationEssentials
import Glibc

/// The machine crossrun itself runs on.
public enum HostMachine {
    public static var machine: UInt16 {
        #if arch(x86_64)
            return ELFMachine.x86_64
        #elseif arch(arm64)
            return ELFMachine.aarch64
        #else
            return 0
        #endif
    }

    /// A binary for this machine's architecture, word size and byte order runs without an emulator.
    public static func canRunNatively(_ info: BinaryInfo) -> Bool {
        guard let header = info.elf else { return false }
        return header.machine == machine && header.fileClass == .elf64 && header.endianness == .little
    }
}
