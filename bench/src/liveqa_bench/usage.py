"""CPU time and resident memory of groups of processes, read from /proc through psutil."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import psutil

CpuSnapshot = dict[int, float]


class ProcessGroup:
    """The processes named by `roots()` (evaluated on every reading), with their descendants
    when `recursive` (a proxy's workers), without them otherwise (the benchmark itself)."""

    def __init__(self, roots: Callable[[], Iterable[int]], recursive: bool = True) -> None:
        self.roots = roots
        self.recursive = recursive

    def processes(self) -> list[psutil.Process]:
        """The live processes of the group right now."""
        found: dict[int, psutil.Process] = {}
        for pid in self.roots():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                process = psutil.Process(pid)
                found[pid] = process
                if self.recursive:
                    for child in process.children(recursive=True):
                        found.setdefault(child.pid, child)
        return list(found.values())

    def cpu(self) -> CpuSnapshot:
        """User plus system CPU seconds of each process so far."""
        snapshot: CpuSnapshot = {}
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = process.cpu_times()
                snapshot[process.pid] = times.user + times.system
        return snapshot

    def rss(self) -> int:
        """Resident set size of the whole group in bytes."""
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += process.memory_info().rss
        return total

    def open_files(self) -> int:
        """File descriptors the whole group holds open."""
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += process.num_fds()
        return total


def cpu_used(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """CPU seconds spent between two snapshots (processes started in between count in full)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
