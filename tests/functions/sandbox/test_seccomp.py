"""The seccomp program, run against syscalls by a small classic-BPF interpreter, and its tables checked
against the kernel headers where the host has them."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from overcast.functions.sandbox.seccomp import (
    AUDIT_ARCH,
    CLONE,
    CLONE3,
    DENIED,
    ENOSYS,
    EPERM,
    LAST_KNOWN,
    PERSONALITY,
    RET_ALLOW,
    RET_ERRNO,
    SOCKET,
    Syscall,
    program,
)

MACHINES = sorted(AUDIT_ARCH)
ALLOW, DENY, NOSYS = RET_ALLOW, RET_ERRNO | EPERM, RET_ERRNO | ENOSYS
AUDIT_ARCH_I386 = 0x40000003
CLONE_NEW = {
    "NEWNS": 0x00020000, "NEWCGROUP": 0x02000000, "NEWUTS": 0x04000000, "NEWIPC": 0x08000000,
    "NEWUSER": 0x10000000, "NEWPID": 0x20000000, "NEWNET": 0x40000000,
}  # fmt: skip
SIGCHLD = 17
CLONE_THREAD_FLAGS = 0x003D0F00  # glibc's pthread_create: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|*_TID
# Calls every runtime makes, which must pass: (x86_64, aarch64).
EVERYDAY = {
    "read": (0, 63), "write": (1, 64), "mmap": (9, 222), "openat": (257, 56), "futex": (202, 98),
    "execve": (59, 221), "exit_group": (231, 94), "getpid": (39, 172), "epoll_pwait": (281, 22),
    "seccomp": (317, 277), "prctl": (157, 167), "wait4": (61, 260), "kill": (62, 129),
}  # fmt: skip


def run(machine: str, nr: int, *args: int, arch: int | None = None) -> int:
    """What the kernel would do with this syscall: the filter's return value."""
    data = struct.pack("=II", nr & 0xFFFFFFFF, AUDIT_ARCH[machine] if arch is None else arch)
    data += struct.pack("=Q6Q", 0, *(list(args) + [0] * 6)[:6])
    code = program(machine)
    instructions = [struct.unpack_from("=HBBI", code, at) for at in range(0, len(code), 8)]
    pc, accumulator = 0, 0
    for _ in instructions:  # forward jumps only: at most one pass
        op, jt, jf, k = instructions[pc]
        if op == 0x06:  # BPF_RET | BPF_K
            return int(k)
        if op == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            accumulator = struct.unpack_from("=I", data, k)[0]
            pc += 1
            continue
        taken = {0x15: accumulator == k, 0x25: accumulator > k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[op]
        pc += 1 + (jt if taken else jf)
    raise AssertionError("the program ran off its end")


def number(call: Syscall, machine: str) -> int:
    found = call.number(machine)
    assert found is not None
    return found


@pytest.mark.parametrize("machine", MACHINES)
def test_every_denied_call_answers_eperm(machine: str) -> None:
    denied = [call for call in DENIED if call.number(machine) is not None]
    assert {"unshare", "setns", "mount", "ptrace", "keyctl", "bpf", "perf_event_open", "init_module"} <= {
        call.name for call in denied
    }
    for call in denied:
        assert run(machine, number(call, machine)) == DENY, call


@pytest.mark.parametrize("machine", MACHINES)
def test_everyday_calls_pass(machine: str) -> None:
    for name, (x86_64, aarch64) in EVERYDAY.items():
        assert run(machine, x86_64 if machine == "x86_64" else aarch64) == ALLOW, name
    assert run(machine, number(SOCKET, machine), 2, 1, 0) == ALLOW  # AF_INET, SOCK_STREAM
    assert run(machine, number(SOCKET, machine), 1, 1, 0) == ALLOW  # AF_UNIX


@pytest.mark.parametrize("machine", MACHINES)
def test_clone_may_fork_and_start_threads_but_not_make_namespaces(machine: str) -> None:
    clone = number(CLONE, machine)
    assert run(machine, clone, SIGCHLD) == ALLOW  # fork()
    assert run(machine, clone, CLONE_THREAD_FLAGS) == ALLOW  # pthread_create()
    for flag in CLONE_NEW.values():
        assert run(machine, clone, flag | SIGCHLD) == DENY, hex(flag)
    # clone3's flags are behind a pointer: ENOSYS sends libc back to clone, as Docker does.
    assert run(machine, number(CLONE3, machine)) == NOSYS


@pytest.mark.parametrize("machine", MACHINES)
def test_personality_and_vsock(machine: str) -> None:
    personality = number(PERSONALITY, machine)
    for allowed in (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF):
        assert run(machine, personality, allowed) == ALLOW
    for refused in (0x0040000, 0x0400000, 0x0040008):  # ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC
        assert run(machine, personality, refused) == DENY
    assert run(machine, number(SOCKET, machine), 40, 1, 0) == DENY  # AF_VSOCK: the host's hypervisor


@pytest.mark.parametrize("machine", MACHINES)
def test_unknown_numbers_x32_and_foreign_arches(machine: str) -> None:
    assert run(machine, LAST_KNOWN) == ALLOW  # file_setattr
    assert run(machine, LAST_KNOWN + 1) == NOSYS  # newer than this table: as a kernel without it
    assert run(machine, 0xFFFFFFFF) == NOSYS
    # The x32 ABI: x86_64's arch with bit 30 of the number set, unshare's number otherwise.
    assert run(machine, 0x40000000 | 272) == NOSYS
    # i386 through int 0x80 (unshare is 310 there), or any other arch: numbers differ, so refused.
    assert run(machine, 310, arch=AUDIT_ARCH_I386) == DENY
    assert run(machine, 0, arch=AUDIT_ARCH_I386) == DENY


def _header_numbers(path: Path, pattern: str) -> dict[str, int]:
    if not path.exists():
        pytest.skip(f"no {path} on this host")
    return {name: int(nr) for name, nr in re.findall(pattern, path.read_text())}


def test_x86_64_numbers_match_the_kernel_headers() -> None:
    header = _header_numbers(
        Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), r"#define __NR_(\w+) (\d+)"
    )
    for call in (*DENIED, CLONE, CLONE3, PERSONALITY, SOCKET):
        if call.name in header:  # names newer than the headers are checked by the aarch64 table's match
            assert call.x86_64 == header[call.name], call


def test_aarch64_numbers_match_the_generic_table() -> None:
    header = _header_numbers(Path("/usr/include/asm-generic/unistd.h"), r"#define __NR_(\w+)\s+(\d+)")
    for call in (*DENIED, CLONE, CLONE3, PERSONALITY, SOCKET):
        if call.name in header:
            assert call.aarch64 == header[call.name], call
        elif call.aarch64 is not None and call.aarch64 < 451:
            raise AssertionError(f"{call.name} is not in the generic table, yet has aarch64 number {call.aarch64}")


def test_an_unknown_machine_has_no_program() -> None:
    with pytest.raises(ValueError, match="riscv64"):
        program("riscv64")
