"""Helpers shared by the test modules: generated videos, image folders and tracks, and waiting for a writer."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import cv2
import numpy as np

from landmarkset import Track


def make_track(track_id: str, n: int = 5, seed: int = 0, names: bool = False) -> Track:
    rng = np.random.default_rng(seed)
    landmarks = rng.random((n, 68, 2), dtype=np.float32)
    valid = np.ones(n, bool)
    valid[n // 2] = False
    landmarks[~valid] = np.nan
    return Track(
        id=track_id,
        landmarks=landmarks,
        valid=valid,
        confidence=np.where(valid, 0.9, np.nan),
        frame_index=np.arange(n),
        timestamp=np.arange(n) / 30.0,
        box=np.tile([0.1, 0.2, 0.6, 0.8], (n, 1)),
        faces_detected=np.full(n, -1),
        width=640,
        height=490,
        source=f"/data/{track_id}.mp4",
        fps=30.0,
        backend="dlib",
        backend_version="20.0",
        backend_options={"upsample": 1},
        subject="S005",
        label="happy",
        frame_names=[f"f{i}.png" for i in range(n)] if names else None,
        selection="listed" if names else "all",
        source_fingerprint={"path": f"{track_id}.mp4", "files": 1, "bytes": 10, "modified": "x", "digest": "d"},
        frames_promised=n + 1,
    )


def write_video(path: str, frames: Sequence[np.ndarray], fps: float = 25.0) -> str:
    """Write RGB frames as a lossless-enough MJPG AVI that OpenCV reads back."""
    height, width = frames[0].shape[:2]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def wait_for_tracks(path: str, count: int = 1, timeout: float = 120) -> None:
    """Poll until the track store at ``path`` holds ``count`` sequences (for tests that kill a run)."""
    from landmarkset import open_tracks

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open_tracks(path) as store:
                if len(store) >= count:
                    return
        time.sleep(0.05)


def write_images(folder: str, frames: Sequence[np.ndarray], pattern: str = "img{}.png") -> list[str]:
    """Write RGB frames as numbered images (1-based, unpadded: img1, img2, ... img10)."""
    os.makedirs(folder, exist_ok=True)
    names = []
    for number, frame in enumerate(frames, start=1):
        name = pattern.format(number)
        cv2.imwrite(os.path.join(folder, name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        names.append(name)
    return names


def make_unreadable(monkeypatch, folder: str) -> None:
    """Take away the right to list ``folder``; as root (who may list anything) the OS's refusal is
    simulated for that folder alone."""
    import errno

    os.chmod(folder, 0)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        listdir, target = os.listdir, os.path.abspath(folder)

        def refusing(path="."):
            if os.path.abspath(os.fspath(path)) == target:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return listdir(path)

        monkeypatch.setattr("os.listdir", refusing)
