"""An example dataset layout shipped by a package: ROOT/<subject>/<label>/<clip>/ folders of frames.

Declared in this package's pyproject.toml under ``landmarkset.layouts``, as landmarkset's own layouts are;
``landmarkset build class-folders ROOT -o OUT --min-images 3`` builds it with landmarkset's one build path
(the guarantees of every layout: each clip fails alone, links out of ROOT refused, resumable, recorded), and
``landmarkset.testing.check_layout`` checks them on a tree of yours.
"""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar, Optional

from landmarkset.datasets import Item, LayoutBase, Scan
from landmarkset.datasets.layout import link_out_of, numbered_frames, outside_root
from landmarkset.extraction.report import Failure
from landmarkset.extractors import Option

_NUMBER_AT_END = re.compile(r"(\d+)$")


def _folders(path: str) -> list[str]:
    return sorted(n for n in os.listdir(path) if not n.startswith(".") and os.path.isdir(os.path.join(path, n)))


def _number(stem: str) -> Optional[int]:
    match = _NUMBER_AT_END.search(stem)
    return int(match.group(1)) if match else None


class ClassFoldersLayout(LayoutBase):
    """Clips as ROOT/<subject>/<label>/<clip>/ image folders; the class is the label folder."""

    name = "class folders"
    reads = "clips as ROOT/<subject>/<label>/<clip>/ image folders (the class: the label folder)"
    note = "an example plug-in (docs/plugins.md)"
    options: ClassVar[dict[str, Option]] = {
        "min_images": Option(int, 2, "clips with fewer images are dropped", low=1),
    }

    def settings(self) -> dict[str, Any]:
        return {"dataset": "class folders", "min_images": self.min_images}

    def scan(self) -> Scan:
        scan = Scan()
        for subject in _folders(self.root):
            for label in _folders(os.path.join(self.root, subject)):
                for clip in _folders(os.path.join(self.root, subject, label)):
                    folder = os.path.join(self.root, subject, label, clip)
                    frames = {n: name for n, name in enumerate(numbered_frames(folder, _number).values(), start=1)}
                    linked = outside_root(self.root, [folder, *(os.path.join(folder, f) for f in frames.values())])
                    if linked is not None:
                        scan.failed.append(Failure(folder, link_out_of(self.root, linked)))
                    elif len(frames) < self.min_images:
                        scan.dropped.append((f"{subject}__{clip}", f"{len(frames)} images, fewer than min_images"))
                    else:
                        scan.items.append(Item(f"{subject}__{clip}", subject, label, folder, frames, folder))
        return scan
