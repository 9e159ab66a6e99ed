"""Seccomp: the syscall filter every instance runs under, as a classic BPF program (pure data).

The rules are those of the container runtimes' default profile for a process without capabilities
(Docker's and containerd's `default.json`, which allow a list and answer EPERM to the rest), plus
what that profile allows but a Lambda function never needs: ptrace and reading other processes'
memory, io_uring (dropped by Docker 25), adjtimex. Concretely, for the native architecture:

- the calls below answer EPERM, as the container defaults answer;
- `clone` with a namespace flag answers EPERM; `clone3` (whose flags sit behind a pointer the
  filter cannot read) answers ENOSYS, so libc falls back to `clone`, as Docker does;
- `personality` accepts only the values Docker accepts; `socket(AF_VSOCK)` answers EPERM;
- a number beyond the last call this table knows answers ENOSYS, as a kernel that lacks it would
  (runc does the same), so a newer libc falls back instead of failing; on x86_64 this also shuts
  the x32 ABI (numbers with bit 30 set), which a kernel without CONFIG_X86_X32 also answers ENOSYS;
- any other architecture (i386 through `int 0x80`, arm32 compat) answers EPERM: its numbers differ.

The program only reads the syscall number and arch for every allowed call, so Linux >= 5.11 caches
those verdicts and the filter costs nothing on them; it finds a number by binary search. The
instance installs it last, after dropping to its uid (functions/runtime/python/confine.py);
children and exec'd programs inherit it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# <linux/audit.h>: AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 (64-bit, little-endian).
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
EPERM = 1
ENOSYS = 38

# <linux/seccomp.h> return values and <linux/filter.h> opcodes.
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGT = 0x25  # BPF_JMP | BPF_JGT | BPF_K
JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
RET = 0x06  # BPF_RET | BPF_K

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (low word first).
NR_OFFSET = 0
ARCH_OFFSET = 4


def arg_offset(index: int) -> int:
    """Where the low 32 bits of argument `index` sit in seccomp_data (both arches are little-endian)."""
    return 16 + 8 * index


# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = 0x7E020000
AF_VSOCK = 40
# PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, and 0xffffffff (query): Docker's list.
PERSONALITIES = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class Syscall:
    name: str
    x86_64: int | None  # None: the architecture has no such call
    aarch64: int | None

    def number(self, machine: str) -> int | None:
        return self.x86_64 if machine == "x86_64" else self.aarch64


def _calls(*rows: tuple[str, int | None, int | None]) -> tuple[Syscall, ...]:
    return tuple(Syscall(*row) for row in rows)


# Answered EPERM. Numbers from the kernel's arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h (which aarch64 uses), up to Linux 6.17.
DENIED: tuple[Syscall, ...] = _calls(
    # New namespaces, mounts and root changes.
    ("unshare", 272, 97), ("setns", 308, 268), ("mount", 165, 40), ("umount2", 166, 39),
    ("pivot_root", 155, 41), ("chroot", 161, 51), ("open_tree", 428, 428), ("move_mount", 429, 429),
    ("fsopen", 430, 430), ("fsconfig", 431, 431), ("fsmount", 432, 432), ("fspick", 433, 433),
    ("mount_setattr", 442, 442), ("statmount", 457, 457), ("listmount", 458, 458),
    ("open_tree_attr", 467, 467),
    # Other processes: tracing them, reading or writing their memory, taking their descriptors.
    ("ptrace", 101, 117), ("process_vm_readv", 310, 270), ("process_vm_writev", 311, 271),
    ("kcmp", 312, 272), ("pidfd_getfd", 438, 438), ("process_madvise", 440, 440),
    # The kernel keyrings.
    ("add_key", 248, 217), ("request_key", 249, 218), ("keyctl", 250, 219),
    # Programs and probes run by the kernel.
    ("bpf", 321, 280), ("perf_event_open", 298, 241), ("userfaultfd", 323, 282),
    ("io_uring_setup", 425, 425), ("io_uring_enter", 426, 426), ("io_uring_register", 427, 427),
    ("lookup_dcookie", 212, 18), ("fanotify_init", 300, 262),
    # Kernel modules and kernel images.
    ("init_module", 175, 105), ("finit_module", 313, 273), ("delete_module", 176, 106),
    ("create_module", 174, None), ("get_kernel_syms", 177, None), ("query_module", 178, None),
    ("kexec_load", 246, 104), ("kexec_file_load", 320, 294),
    # The host's clocks.
    ("settimeofday", 164, 170), ("clock_settime", 227, 112), ("adjtimex", 159, 171),
    ("clock_adjtime", 305, 266),
    # Administering the host.
    ("reboot", 169, 142), ("swapon", 167, 224), ("swapoff", 168, 225), ("acct", 163, 89),
    ("quotactl", 179, 60), ("quotactl_fd", 443, 443), ("sethostname", 170, 161),
    ("setdomainname", 171, 162), ("syslog", 103, 116), ("vhangup", 153, 58), ("iopl", 172, None),
    ("ioperm", 173, None), ("_sysctl", 156, None), ("sysfs", 139, None), ("ustat", 136, None),
    ("uselib", 134, None), ("nfsservctl", 180, 42),
    # Opening any file of a filesystem by its handle, past the directory permissions.
    ("open_by_handle_at", 304, 265),
    # Memory placement across NUMA nodes (CAP_SYS_NICE in the container defaults).
    ("mbind", 237, 235), ("set_mempolicy", 238, 237), ("get_mempolicy", 239, 236),
    ("migrate_pages", 256, 238), ("move_pages", 279, 239), ("set_mempolicy_home_node", 450, 450),
    # Unimplemented entries of the x86_64 table.
    ("getpmsg", 181, None), ("putpmsg", 182, None), ("afs_syscall", 183, None), ("tuxcall", 184, None),
    ("security", 185, None), ("vserver", 236, None),
)  # fmt: skip

CLONE = Syscall("clone", 56, 220)
CLONE3 = Syscall("clone3", 435, 435)
PERSONALITY = Syscall("personality", 135, 92)
SOCKET = Syscall("socket", 41, 198)
# The highest number this table knows (file_setattr, Linux 6.17, on both arches).
LAST_KNOWN = 469

Instruction = tuple[int, int, int, int]  # code, jt, jf, k: struct sock_filter


def supported(machine: str) -> bool:
    """Whether this module has the syscall table of `machine` (platform.machine())."""
    return machine in AUDIT_ARCH


def program(machine: str) -> bytes:
    """The filter for `machine` as packed struct sock_filter entries, ready for PR_SET_SECCOMP."""
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in instructions(machine))


def instructions(machine: str) -> list[Instruction]:
    if not supported(machine):
        raise ValueError(f"no seccomp syscall table for {machine}")
    code: list[tuple[int, str | None, str | None, int] | str] = []  # jump targets by label, or a label

    def load(offset: int) -> None:
        code.append((LD_W_ABS, None, None, offset))

    def jump(op: int, k: int, true: str | None, false: str | None = None) -> None:
        code.append((op, true, false, k))

    def search(entries: list[tuple[int, str]]) -> None:
        """A binary search over the sorted numbers: each call is decided in a dozen steps, and the
        kernel, which runs the program once per syscall number to fill its cache, does so fast
        (a linear list cost ~0.1 ms of every cold start)."""
        if len(entries) <= 4:
            for number, label in entries:
                jump(JEQ, number, label)
            code.append((RET, None, None, RET_ALLOW))
            return
        middle = len(entries) // 2
        upper = f"from {entries[middle][0]}"
        jump(JGE, entries[middle][0], upper)
        search(entries[:middle])
        code.append(upper)
        search(entries[middle:])

    load(ARCH_OFFSET)
    jump(JEQ, AUDIT_ARCH[machine], None, "eperm")
    load(NR_OFFSET)
    jump(JGT, LAST_KNOWN, "enosys")
    special = ((CLONE3, "enosys"), (CLONE, "clone"), (PERSONALITY, "personality"), (SOCKET, "socket"))
    entries = [(_number(call, machine), label) for call, label in special]
    entries += [(number, "eperm") for call in DENIED if (number := call.number(machine)) is not None]
    search(sorted(entries))
    code.append("clone")
    load(arg_offset(0))
    jump(JSET, CLONE_NAMESPACE_FLAGS, "eperm", "allow")
    code.append("personality")
    load(arg_offset(0))
    for value in PERSONALITIES:
        jump(JEQ, value, "allow", "eperm" if value == PERSONALITIES[-1] else None)
    code.append("socket")
    load(arg_offset(0))
    jump(JEQ, AF_VSOCK, "eperm", "allow")
    code.append("allow")
    code.append((RET, None, None, RET_ALLOW))
    code.append("eperm")
    code.append((RET, None, None, RET_ERRNO | EPERM))
    code.append("enosys")
    code.append((RET, None, None, RET_ERRNO | ENOSYS))
    return _assemble(code)


def _number(call: Syscall, machine: str) -> int:
    number = call.number(machine)
    assert number is not None, call
    return number


def _assemble(code: list[tuple[int, str | None, str | None, int] | str]) -> list[Instruction]:
    """Resolve labels into cBPF's relative forward jumps (0..255 instructions ahead)."""
    labels: dict[str, int] = {}
    position = 0
    for item in code:
        if isinstance(item, str):
            labels[item] = position
        else:
            position += 1
    resolved: list[Instruction] = []
    for item in code:
        if isinstance(item, str):
            continue
        op, true, false, k = item
        here = len(resolved) + 1
        jt = labels[true] - here if true else 0
        jf = labels[false] - here if false else 0
        if not (0 <= jt <= 255 and 0 <= jf <= 255):
            raise ValueError(f"jump out of cBPF's reach at instruction {here - 1}")
        resolved.append((op, jt, jf, k))
    return resolved
