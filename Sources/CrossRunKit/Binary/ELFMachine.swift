/// Names for ELF `e_machine` values, and the flag bits crossrun reads for ARM, RISC-V, MIPS, PowerPC64 and LoongArch.
public enum ELFMachine {
    public static let i386: UInt16 = 3
    public static let mips: UInt16 = 8
    public static let powerPC: UInt16 = 20
    public static let powerPC64: UInt16 = 21
    public static let s390: UInt16 = 22
    public static let arm: UInt16 = 40
    public static let sparcV9: UInt16 = 43
    public static let x86_64: UInt16 = 62
    public static let aarch64: UInt16 = 183
    public static let riscv: UInt16 = 243
    public static let loongArch: UInt16 = 258

    /// Short names used in Runners/ `[match] machine = ...` and in messages.
    static let names: [UInt16: String] = [
        2: "sparc", 3: "i386", 4: "m68k", 8: "mips", 10: "mips-rs3-le", 15: "parisc", 18: "sparc32plus",
        20: "ppc", 21: "ppc64", 22: "s390", 40: "arm", 42: "superh", 43: "sparcv9", 50: "ia64", 62: "x86_64",
        83: "avr", 92: "openrisc", 94: "xtensa", 105: "msp430", 164: "hexagon", 183: "aarch64",
        243: "riscv", 247: "bpf", 258: "loongarch", 0x9026: "alpha",
    ]

    /// The short name of `machine`, or `machine 0xNN` when crossrun has no name for it.
    public static func name(_ machine: UInt16) -> String {
        names[machine] ?? "machine 0x" + String(machine, radix: 16)
    }

    /// The number for a short name from Runners/ (`aarch64`, `arm`, `riscv`, ...), or nil.
    public static func number(named name: String) -> UInt16? {
        names.first { $0.value == name }?.key
    }

    /// ARM: the EABI version is in the top byte of `e_flags`.
    public static func armEABIVersion(_ flags: UInt32) -> Int { Int(flags >> 24) }
    /// ARM `EF_ARM_ABI_FLOAT_HARD`.
    public static let armFloatHard: UInt32 = 0x400
    /// ARM `EF_ARM_ABI_FLOAT_SOFT`.
    public static let armFloatSoft: UInt32 = 0x200
    /// RISC-V `EF_RISCV_RVC`: compressed instructions.
    public static let riscvRVC: UInt32 = 0x1
    /// RISC-V `EF_RISCV_FLOAT_ABI` mask: 0 soft, 2 single, 4 double, 6 quad.
    public static let riscvFloatABIMask: UInt32 = 0x6
    /// RISC-V `EF_RISCV_RVE`: the embedded base ISA.
    public static let riscvRVE: UInt32 = 0x8

    /// MIPS `EF_MIPS_ABI2`: the n32 ABI (a 32-bit ELF file with 64-bit registers).
    public static let mipsABI2: UInt32 = 0x20
    /// MIPS `EF_MIPS_ABI` mask: 0x1000 o32, 0x2000 o64, 0x3000 EABI32, 0x4000 EABI64 (0: unset, o32 for ELF32).
    public static let mipsABIMask: UInt32 = 0xF000
    /// MIPS `EF_MIPS_ARCH` mask: the ISA level, `mips1` (0) to `mips64r6` (0xa0000000).
    public static let mipsArchMask: UInt32 = 0xF000_0000
    /// MIPS ISA names by `EF_MIPS_ARCH` value (the top four bits of `e_flags`).
    public static let mipsISANames: [String] = [
        "mips1", "mips2", "mips3", "mips4", "mips5", "mips32", "mips64", "mips32r2", "mips64r2", "mips32r6", "mips64r6",
    ]
    /// The MIPS ISA level of `flags` (`mips32r2`, `mips64r6`, ...), or `mips-arch 0xN` for a value crossrun has no name for.
    public static func mipsISA(_ flags: UInt32) -> String {
        let index = Int((flags & mipsArchMask) >> 28)
        return index < mipsISANames.count ? mipsISANames[index] : "mips-arch 0x" + String(index, radix: 16)
    }
    /// PowerPC64 `EF_PPC64_ABI` mask: 2 is ELFv2; 1 (or 0, unspecified) is ELFv1 with function descriptors.
    public static let ppc64ABIMask: UInt32 = 0x3
    /// LoongArch `EF_LOONGARCH_ABI_MODIFIER_MASK`: 1 soft-float, 2 single-float, 3 double-float.
    public static let loongArchFloatABIMask: UInt32 = 0x7
}
