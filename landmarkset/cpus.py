"""How many CPUs this process may use: its affinity and a container's CPU quota, not the machine's count (torch
and OpenMP start one thread per core they see, and too many threads slow small models down)."""

from __future__ import annotations

import math
import os

__all__ = ["available_cpus", "compute_threads"]


def _quota(path: str = "/sys/fs/cgroup/cpu.max") -> float:
    """The cgroup v2 CPU quota in CPUs (inf when none, or unreadable)."""
    try:
        with open(path) as handle:
            quota, period = handle.read().split()[:2]
        return math.inf if quota == "max" else max(1.0, int(quota) / int(period))
    except (OSError, ValueError):
        return math.inf


def available_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by a container's CPU quota; at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    quota = _quota()
    return max(1, min(cpus, int(quota) if math.isfinite(quota) else cpus))


def compute_threads() -> int:
    """Threads for a computation of this process: OMP_NUM_THREADS when the user set it (several runs at once
    share the cores that way), else every CPU available to it."""
    given = os.environ.get("OMP_NUM_THREADS", "")
    return int(given) if given.isdigit() and int(given) > 0 else available_cpus()
