"""Locating model weights offline: an explicit folder, an environment variable, the torch hub cache.

Weights are checked (file name and, where the name carries one, the SHA-256 prefix) when a backend
is built, before any input is opened. Downloading stays the default where the network allows; when
it fails the error lists every missing file, where it comes from and where to put it.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from typing import Optional

from ..errors import WeightsError

WEIGHTS_ENV = "LANDMARKSET_WEIGHTS_DIR"
_DOWNLOAD_TIMEOUT = 20.0  # seconds without data before a download is abandoned: never hang
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,})\.")
_verified: dict[tuple[str, int, float], str] = {}


@dataclass(frozen=True)
class WeightFile:
    """A weights file a backend needs: its expected name, origin and purpose."""

    name: str
    url: str
    purpose: str

    @property
    def hash_prefix(self) -> Optional[str]:
        match = _HASH_IN_NAME.search(self.name)
        return match.group(1) if match else None


def hub_checkpoints_dir() -> str:
    """torch.hub's download folder (``$TORCH_HOME/hub/checkpoints``), where face-alignment caches weights."""
    import torch.hub

    return os.path.join(torch.hub.get_dir(), "checkpoints")


def search_dirs(explicit: Optional[str]) -> list[str]:
    """Folders searched, in order: the ``weights_dir`` option, $LANDMARKSET_WEIGHTS_DIR, the torch hub cache."""
    folders = [explicit, os.environ.get(WEIGHTS_ENV), hub_checkpoints_dir()]
    return [os.path.expanduser(folder) for folder in folders if folder]


def _sha256_prefix_matches(path: str, prefix: str) -> bool:
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime)
    if key not in _verified:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key].startswith(prefix)


def _download(weight: WeightFile, folder: str) -> str:
    import torch.hub

    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, weight.name)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT)
    try:
        torch.hub.download_url_to_file(weight.url, target, weight.hash_prefix, progress=True)
    finally:
        socket.setdefaulttimeout(previous)
    return target


def locate_weights(
    files: list[WeightFile], backend: str, weights_dir: Optional[str], download: bool, check_hash: bool
) -> dict[str, str]:
    """Path of each file (by name), searching, checking and downloading as documented above."""
    folders = search_dirs(weights_dir)
    found: dict[str, str] = {}
    missing: list[WeightFile] = []
    for weight in files:
        path = next(
            (os.path.join(f, weight.name) for f in folders if os.path.isfile(os.path.join(f, weight.name))), None
        )
        if path is None:
            missing.append(weight)
        else:
            found[weight.name] = path
    failure = ""
    if missing and download:
        for weight in list(missing):
            try:
                found[weight.name] = _download(weight, hub_checkpoints_dir())
                missing.remove(weight)
            except Exception as error:  # no network, a proxy, a timeout, a bad hash...
                failure = f" Downloading failed: {' '.join(str(error).split()) or type(error).__name__}."
                break
    if missing:
        listing = "; ".join(f"{w.name} ({w.purpose}, from {w.url})" for w in missing)
        raise WeightsError(
            f"The {backend} backend needs weights that were not found: {listing}. Put them in one of: "
            f"{', '.join(folders)} (or pass -O weights_dir=DIR, or set ${WEIGHTS_ENV}).{failure}"
        )
    if check_hash:
        for weight in files:
            prefix = weight.hash_prefix
            if prefix and not _sha256_prefix_matches(found[weight.name], prefix):
                raise WeightsError(
                    f"{found[weight.name]} does not match the published {weight.name} (its SHA-256 should start "
                    f"with {prefix}): download it again from {weight.url}, or pass -O check_hash=false to use "
                    "your own weights under that name"
                )
    return found
