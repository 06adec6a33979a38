"""Spotting: where in a long video the face makes an expression (micro or macro), scored the MEGC way.

- ``features``: per-frame motion in the regions of ``landmarkset.regions.SPOT_REGIONS``, with rigid head
  motion removed and the eyes (blinks) masked;
- ``proposals``: the published recipe from a score curve to intervals;
- ``driver``: :func:`spot_tracks`, over every track of a store, with the MEGC evaluation when a sheet is
  given; ``report``: its typed result; ``figures``: the score curve of each video;
- ``trained``: the spotters (training-free and trained on landmark motion, region flow or both) and their
  leave-one-subject-out protocol; ``study``: :func:`train_spotters`, all of them in one table.
"""

from .driver import SPOT_FILES, spot_tracks
from .features import region_motion, spotting_score_curve
from .proposals import Proposal, propose
from .report import SpotReport, VideoSpots
from .study import SpotterStudy, train_spotters
from .trained import SPOTTERS, SpotterSpec, evaluate_spotter

__all__ = [
    "SPOTTERS",
    "SPOT_FILES",
    "Proposal",
    "SpotReport",
    "SpotterSpec",
    "SpotterStudy",
    "VideoSpots",
    "evaluate_spotter",
    "propose",
    "region_motion",
    "spot_tracks",
    "spotting_score_curve",
    "train_spotters",
]
