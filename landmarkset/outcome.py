"""What a command's exit status says, in one place (docs/cli.md, "Exit codes")."""

from __future__ import annotations

__all__ = ["ALL_DONE", "NOTHING_DONE", "SOME_FAILED", "exit_code"]

ALL_DONE, SOME_FAILED, NOTHING_DONE = 0, 1, 2


def exit_code(succeeded: int, failed: int) -> int:
    """0 when every input succeeded, 1 when some failed (each is named in the output), 2 when none succeeded."""
    if succeeded == 0:
        return NOTHING_DONE
    return SOME_FAILED if failed else ALL_DONE
