//! Arm semihosting calls (`bkpt 0xab`, operation in r0, parameter in r1), as qemu implements them with
//! `-semihosting-config enable=on,target=native`.

use core::arch::asm;
use core::fmt;

const SYS_OPEN: usize = 0x01;
const SYS_WRITE: usize = 0x05;
const SYS_CLOCK: usize = 0x10;
const SYS_GET_CMDLINE: usize = 0x15;
const SYS_EXIT: usize = 0x18;
const SYS_EXIT_EXTENDED: usize = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
const ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN: usize = 0x20023;

fn call(op: usize, arg: usize) -> usize {
    let result;
    // SAFETY: the debugger (qemu) reads the parameter block `arg` points to, and writes only where the
    // operation says (SYS_GET_CMDLINE's buffer); every caller passes a block valid for its operation.
    unsafe { asm!("bkpt 0xab", inout("r0") op => result, in("r1") arg, options(nostack)) };
    result
}

/// A host file handle: `:tt` opened for writing is the emulator's stdout, opened for appending its stderr.
#[derive(Clone, Copy)]
pub struct Handle(usize);

impl Handle {
    /// No handle (writes go nowhere); a placeholder until `stdout()` is opened.
    pub const NONE: Handle = Handle(usize::MAX);

    fn open_tt(mode: usize) -> Option<Handle> {
        let name = b":tt\0";
        let block = [name.as_ptr() as usize, mode, name.len() - 1];
        match call(SYS_OPEN, block.as_ptr() as usize) as isize {
            -1 => None,
            handle => Some(Handle(handle as usize)),
        }
    }

    /// The host's stdout (`:tt` in mode "w").
    pub fn stdout() -> Option<Handle> {
        Self::open_tt(4)
    }

    /// The host's stderr (`:tt` in mode "a").
    pub fn stderr() -> Option<Handle> {
        Self::open_tt(8)
    }

    pub fn write_bytes(self, bytes: &[u8]) {
        if bytes.is_empty() || self.0 == usize::MAX {
            return;
        }
        let block = [self.0, bytes.as_ptr() as usize, bytes.len()];
        call(SYS_WRITE, block.as_ptr() as usize);
    }
}

impl fmt::Write for Handle {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}

/// Centiseconds since the program started (SYS_CLOCK), or 0 when the host does not say.
pub fn centiseconds() -> usize {
    match call(SYS_CLOCK, 0) as isize {
        -1 => 0,
        value => value as usize,
    }
}

/// The command line qemu was given with `-semihosting-config ...,arg=A,arg=B` (A is argv[0]), copied into
/// `buffer`; the arguments are separated by single spaces.
pub fn command_line(buffer: &mut [u8]) -> Option<&[u8]> {
    let mut block = [buffer.as_mut_ptr() as usize, buffer.len()];
    if call(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) != 0 {
        return None;
    }
    let length = block[1].min(buffer.len());
    let text = &buffer[..length];
    // The length may or may not count the terminating NUL.
    Some(match text.iter().position(|&byte| byte == 0) {
        Some(end) => &text[..end],
        None => text,
    })
}

/// Ends the emulation with exit status `code` (SYS_EXIT_EXTENDED, which qemu implements for 32-bit Arm too).
/// If it returns (a host without the extension), plain SYS_EXIT reports success or failure only.
pub fn exit(code: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    call(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
    let reason = if code == 0 { ADP_STOPPED_APPLICATION_EXIT } else { ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN };
    call(SYS_EXIT, reason);
    loop {
        // SAFETY: waiting for an interrupt has no memory effects.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}
