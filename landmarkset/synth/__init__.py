"""Sample data from real faces: CK+, SAMM, CASME II, CAS(ME)^2, CAS(ME)^3, SMIC and SMIC-E trees, with truth.

    from landmarkset.synth import synth_ckplus
    truth = synth_ckplus("ck-synth", subjects=30, sequences_per_subject=7, seed=0)

Identities are real photographs (default: scikit-image's public-domain astronaut portrait, or your
own photos via :func:`load_identities`); pseudo-subjects differ in face shape, mirroring, framing,
pose and lighting; expressions are Action Unit displacement fields combined into emotion prototypes.
CK+ trees carry the nuisances of real video by default (speech, blinks, head rotation, drift, varying
intensity: :class:`Nuisances`) and neutral sequences that move only by them. The truth file beside each
tree records every sequence's true landmarks, AUs, timing and nuisances.
"""

from ._aus import AU_NAMES, EMOTIONS, au_field, expression_field
from ._casme2 import synth_casme2
from ._casme3 import synth_casme3
from ._casme_sq import synth_casme_sq
from ._ckplus import synth_ckplus
from ._identity import astronaut, identity_from_photo, load_identities, packaged_identities
from ._nuisance import Nuisances
from ._render import Identity, Look, Renderer
from ._samm import synth_samm, synth_samm_long, true_track
from ._sheet import write_contact_sheet
from ._smic import synth_smic
from ._smic_e import synth_smic_e
from ._tree import TRUTH_FILE, SynthTree

__all__ = [
    "AU_NAMES",
    "EMOTIONS",
    "TRUTH_FILE",
    "Identity",
    "Look",
    "Nuisances",
    "Renderer",
    "SynthTree",
    "astronaut",
    "au_field",
    "expression_field",
    "identity_from_photo",
    "load_identities",
    "packaged_identities",
    "synth_casme2",
    "synth_casme3",
    "synth_casme_sq",
    "synth_ckplus",
    "synth_samm",
    "synth_samm_long",
    "synth_smic",
    "synth_smic_e",
    "true_track",
    "write_contact_sheet",
]
