"""Spotting: where in a long video the face makes an expression (micro or macro), scored the MEGC way.

- ``features``: per-frame motion in the regions of ``landmarkset.regions.SPOT_REGIONS``, with rigid head
  motion removed and the eyes (blinks) masked;
- ``proposals``: the published recipe from a score curve to intervals;
- ``driver``: :func:`spot_tracks`, over every track of a store, with the MEGC evaluation when a sheet is
  given; ``report``: its typed result; ``figures``: the score curve of each video.
"""

from .driver import SPOT_FILES, spot_tracks
from .features import region_motion, spotting_score_curve
from .proposals import Proposal, propose
from .report import SpotReport, VideoSpots

__all__ = [
    "SPOT_FILES",
    "Proposal",
    "SpotReport",
    "VideoSpots",
    "propose",
    "region_motion",
    "spot_tracks",
    "spotting_score_curve",
]
