"""The ``landmarkset`` command: click commands that turn library errors into one clear line."""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

import click

from landmarkset import __version__
from landmarkset.errors import LandmarksetError


def _os_error(error: OSError) -> str:
    """An operating-system error (missing folder, no permission, disk full...) as one line with its file."""
    where = next((name for name in (error.filename, error.filename2) if name), None)
    reason = error.strerror or str(error)
    return f"{where}: {reason}" if where else reason


class _Group(click.Group):
    """Print a LandmarksetError or an OS error as one line (exit 2), any bug as one line (exit 1);
    --debug shows tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except (LandmarksetError, OSError) as error:
            if ctx.params.get("debug"):
                raise
            text = _os_error(error) if isinstance(error, OSError) else str(error)
            click.echo(f"Error: {' '.join(text.split())}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted: completed sequences are saved; run the same command again to resume.", err=True)
            sys.exit(130)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            click.echo(
                f"Error: unexpected {type(error).__name__}: {' '.join(str(error).split())} "
                "(this is a bug in landmarkset: please report it with the output of --debug)",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="landmarkset")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def main(debug: bool) -> None:
    """Facial landmark tracks, training sets and interpretable temporal CNNs."""


def _backend_choice_help() -> str:
    return "Landmark backend (see `landmarkset backends`)."


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write (HDF5).")
@click.option("-b", "--backend", default="mediapipe", show_default=True, help=_backend_choice_help())
@click.option(
    "-O",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Backend option, repeatable (e.g. -O upsample=0). See docs/backends.md.",
)
@click.option("--device", default=None, help="Torch device for backends that have one: cpu, cuda, cuda:N, mps.")
@click.option(
    "--weights-dir", default=None, type=click.Path(file_okay=False), help="Folder searched first for model weights."
)
@click.option(
    "-w",
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Files extracted in parallel processes (with --cluster local: Dask workers).",
)
@click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT", help="Run on an existing Dask distributed cluster."
)
@click.option(
    "--cluster",
    type=click.Choice(["local"]),
    default=None,
    help="local: start a Dask LocalCluster of --workers processes for the run.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Start a new store instead of resuming the existing one (replaced at the first write).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def extract(
    inputs: tuple[str, ...],
    output: str,
    backend: str,
    options: tuple[str, ...],
    device: Optional[str],
    weights_dir: Optional[str],
    workers: int,
    scheduler: Optional[str],
    cluster: Optional[str],
    overwrite: bool,
    quiet: bool,
) -> None:
    """Extract 68-point landmark tracks from videos, image folders, images or globs into OUTPUT.

    Folders are searched: each video is a sequence, and each folder of images (with no video in it) is
    one. Sequences already in OUTPUT, made by the same backend from the same files, are kept, so
    re-running an interrupted command resumes it; one made otherwise stops the run before it writes.
    """
    from landmarkset.extraction import extract as run_extract
    from landmarkset.extractors import parse_option_pairs

    if scheduler and cluster:
        raise click.UsageError("--scheduler and --cluster are alternatives: give one")
    backend_options: dict[str, Any] = parse_option_pairs(options)
    # Shortcuts for common backend options; a backend without them rejects them by name.
    if device is not None:
        backend_options["device"] = device
    if weights_dir is not None:
        backend_options["weights_dir"] = weights_dir
    report = run_extract(
        list(inputs),
        output,
        backend=backend,
        options=backend_options,
        workers=workers,
        progress=False if quiet else None,
        overwrite=overwrite,
        scheduler=scheduler or cluster,
    )
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("-s", "--sequences", "show_sequences", is_flag=True, help="One line per sequence.")
def info(store: str, show_sequences: bool) -> None:
    """Summarise a track store: format, backends, sequences, frames and face rate."""
    from landmarkset.io import open_tracks

    with open_tracks(store) as tracks:
        attrs = tracks.attrs
        ids = tracks.ids()
        frames = faces = 0
        backends: dict[str, int] = {}
        rows = []
        for track in tracks:
            frames += track.n_frames
            faces += int(track.valid.sum())
            key = f"{track.backend} {track.backend_version}".strip()
            backends[key] = backends.get(key, 0) + 1
            rows.append(track)
    click.echo(
        f"{store}: {attrs.get('encoding-type')} {attrs.get('encoding-version')} "
        f"(written by landmarkset {attrs.get('landmarkset_version')})"
    )
    rate = f"{100 * faces / frames:.1f} %" if frames else "n/a"
    click.echo(f"{len(ids)} sequences, {frames} frames, face found in {rate}")
    for name, count in sorted(backends.items()):
        click.echo(f"backend {name}: {count} sequences")
    short = [track.id for track in rows if 0 < track.n_frames < track.frames_promised]
    if short:
        click.echo(f"{len(short)} video(s) decoded fewer frames than their container promises, e.g. {short[0]!r}")
    if show_sequences:
        click.echo(f"{'sequence':<32} {'frames':>7} {'face %':>7} {'size':>10} {'fps':>7}  frames used")
        for track in rows:
            used = "all" if track.selection == "all" else f"{track.n_frames} listed"
            if 0 < track.n_frames < track.frames_promised:
                used += f", {track.frames_promised} promised"
            click.echo(
                f"{track.id:<32} {track.n_frames:>7} {100 * track.face_rate:>7.1f} "
                f"{f'{track.width}x{track.height}':>10} {track.fps:>7.2f}  {used}"
            )


def _size(value: Optional[str]) -> Optional[tuple[int, int]]:
    if value is None:
        return None
    width, sep, height = value.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 1 or int(height) < 1:
        raise click.BadParameter(f"expected WIDTHxHEIGHT in pixels, e.g. 640x490; got {value!r}")
    return int(width), int(height)


def _smoothing(method: Optional[str], settings: tuple[str, ...]):
    if method is None:
        if settings:
            raise click.BadParameter("--smooth-param needs --smooth METHOD")
        return None
    from landmarkset.extractors import parse_option_pairs
    from landmarkset.smoothing import Smoothing

    values = {
        key: float(value) if key not in ("window", "order") else int(value)
        for key, value in parse_option_pairs(settings).items()
    }
    try:
        return Smoothing(method=method, **values)
    except TypeError as error:
        raise click.BadParameter(f"unknown smoothing parameter ({error})") from None


_SMOOTH_OPTIONS = [
    click.option(
        "--smooth",
        type=click.Choice(["one-euro", "savgol"]),
        default=None,
        help="Smooth landmark jitter on the way out (the store keeps raw landmarks).",
    ),
    click.option(
        "--smooth-param",
        "smooth_params",
        multiple=True,
        metavar="KEY=VALUE",
        help="Filter setting, repeatable: min_cutoff, beta, d_cutoff (one-euro); window, order (savgol).",
    ),
]


def _with_smoothing(command):
    for option in reversed(_SMOOTH_OPTIONS):
        command = option(command)
    return command


@main.command("import-openface")
@click.argument("csv_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write.")
@click.option("--size", default=None, metavar="WxH", help="Frame size in pixels, e.g. 640x490.")
@click.option(
    "--media",
    default=None,
    type=click.Path(exists=True),
    help="The video or image folder of a single CSV (default: same name beside the CSV).",
)
@click.option("--overwrite", is_flag=True, help="Start a new store instead of adding to the existing one.")
def import_openface_command(
    csv_files: tuple[str, ...], output: str, size: Optional[str], media: Optional[str], overwrite: bool
) -> None:
    """Import OpenFace 2.x FeatureExtraction CSVs into a track store.

    Rows with success 0 become frames without a face, in place; several face_ids give one sequence each.
    A CSV whose frame count or coordinates do not fit its media is refused.
    """
    from landmarkset.openface import import_openface

    report = import_openface(list(csv_files), output, size=_size(size), media=media, overwrite=overwrite)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@main.command("import-movement")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(), help="Track store to write.")
@click.option("--size", default=None, metavar="WxH", help="Frame size in pixels (not needed for our own exports).")
@click.option(
    "--source-software",
    default=None,
    metavar="NAME",
    help="Read pose files through movement (e.g. DeepLabCut, SLEAP) instead of NetCDF.",
)
@click.option("--fps", default=None, type=float, help="Frame rate, with --source-software.")
@click.option("--overwrite", is_flag=True, help="Start a new store instead of adding to the existing one.")
def import_movement_command(
    files: tuple[str, ...],
    output: str,
    size: Optional[str],
    source_software: Optional[str],
    fps: Optional[float],
    overwrite: bool,
) -> None:
    """Import 68-point face tracks from movement datasets (NetCDF, or DeepLabCut / SLEAP files).

    Each individual becomes a sequence; frames with some points missing become frames without a face.
    """
    from landmarkset.labelled import import_movement

    report = import_movement(
        list(files), output, size=_size(size), source_software=source_software, fps=fps, overwrite=overwrite
    )
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="Folder (openface format) or file: .csv or .parquet (table format), .nc (netcdf format).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["openface", "table", "netcdf"]),
    default=None,
    help="openface: one OpenFace-style CSV per sequence; table: one row per frame; netcdf: labelled arrays "
    "that the movement package loads [default: from OUTPUT].",
)
@click.option("-s", "--sequence", "sequences", multiple=True, help="Only these sequences (repeatable).")
@_with_smoothing
def export(
    store: str,
    output: str,
    fmt: Optional[str],
    sequences: tuple[str, ...],
    smooth: Optional[str],
    smooth_params: tuple[str, ...],
) -> None:
    """Export tracks for OpenFace-based scripts, pandas (CSV or Parquet) or xarray / movement (NetCDF)."""
    from landmarkset.openface import export_openface, export_table

    suffix = output.lower()
    fmt = fmt or (
        "table" if suffix.endswith((".csv", ".parquet")) else "netcdf" if suffix.endswith(".nc") else "openface"
    )
    settings = _smoothing(smooth, smooth_params)
    if fmt == "netcdf":
        from landmarkset.labelled import export_netcdf

        click.echo(f"wrote {export_netcdf(store, output, sequences=list(sequences) or None, smoothing=settings)}")
    elif fmt == "openface":
        paths = export_openface(store, output, sequences=list(sequences) or None, smoothing=settings)
        click.echo(f"wrote {len(paths)} OpenFace-style CSV file(s) to {output}")
    else:
        click.echo(f"wrote {export_table(store, output, sequences=list(sequences) or None, smoothing=settings)}")


@main.group()
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
            help="Portrait(s) to use as identities, repeatable [default: astronaut].",
        ),
        click.option(
            "-w",
            "--workers",
            default=1,
            show_default=True,
            type=click.IntRange(min=1),
            help="Subjects rendered in parallel processes.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    ]
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
@_synth_options
def synth_ckplus_command(
    out: str,
    subjects: int,
    sequences_per_subject: int,
    unlabelled: float,
    seed: int,
    faces: tuple[str, ...],
    workers: int,
    quiet: bool,
) -> None:
    """A CK+-layout tree: cohn-kanade-images/, Landmarks/, FACS/, Emotion/ and landmarkset_truth.json."""
    import time

    from landmarkset.synth import TRUTH_FILE, load_identities, synth_ckplus

    started = time.monotonic()
    truth = synth_ckplus(
        out,
        subjects=subjects,
        sequences_per_subject=sequences_per_subject,
        seed=seed,
        identities=load_identities(faces),
        unlabelled_rate=unlabelled,
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
@_synth_options
def synth_samm_command(
    out: str, subjects: int, clips_per_subject: int, seed: int, faces: tuple[str, ...], workers: int, quiet: bool
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
@_synth_options
def synth_samm_long_command(
    out: str,
    subjects: int,
    videos_per_subject: int,
    frames: int,
    seed: int,
    faces: tuple[str, ...],
    workers: int,
    quiet: bool,
) -> None:
    """A SAMM Long Videos tree: SAMM_longvideos/<video>/ frames and SAMM_LongVideos_V1_Release.xlsx."""
    from landmarkset.synth import TRUTH_FILE, load_identities, synth_samm_long

    truth = synth_samm_long(
        out,
        subjects=subjects,
        videos_per_subject=videos_per_subject,
        frames=frames,
        seed=seed,
        identities=load_identities(faces),
        progress=False if quiet else None,
    )
    intervals = [i for video in truth["sequences"].values() for i in video["intervals"]]
    macro = sum(i["type"] == "macro" for i in intervals)
    click.echo(
        f"wrote {len(truth['sequences'])} long videos with {macro} macro and {len(intervals) - macro} "
        f"micro intervals to {out}; truth: {os.path.join(out, TRUTH_FILE)}"
    )


@main.command()
def backends() -> None:
    """List the installed landmark backends and whether each can run here."""
    from landmarkset.extractors import describe_extractors

    for row in describe_extractors():
        status = "ok" if row["available"] else f"unavailable: {row['problem']}"
        click.echo(f"{row['name']:<16} {status}")


@main.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.argument("sequence", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="PNG to write [default: SEQUENCE.png].")
@click.option("-n", "--frames", "n_frames", default=6, show_default=True, type=click.IntRange(min=1))
@_with_smoothing
def overlay(
    store: str,
    sequence: Optional[str],
    output: Optional[str],
    n_frames: int,
    smooth: Optional[str],
    smooth_params: tuple[str, ...],
) -> None:
    """Draw a sequence's landmarks on its frames (PNG). Defaults to the first sequence."""
    from landmarkset.io import open_tracks
    from landmarkset.plotting import plot_overlay

    with open_tracks(store, smoothing=_smoothing(smooth, smooth_params)) as tracks:
        if sequence is None:
            if not len(tracks):
                raise click.ClickException(f"{store} holds no sequences")
            sequence = tracks.ids()[0]
        if sequence not in tracks:
            raise click.ClickException(f"{store} has no sequence {sequence!r}; see `landmarkset info -s {store}`")
        track = tracks[sequence]
    path = plot_overlay(track, output or f"{sequence}.png", n_frames=n_frames)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("out_dir", default="landmarkset-demo", type=click.Path(file_okay=False))
@click.option("-b", "--backend", default=None, help="Backend [default: mediapipe, else dlib].")
@click.option("--subjects", default=12, show_default=True, type=click.IntRange(min=4), help="Generated subjects.")
@click.option("--epochs", default=25, show_default=True, type=click.IntRange(min=1))
@click.option("-w", "--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def demo(out_dir: str, backend: Optional[str], subjects: int, epochs: int, workers: int, quiet: bool) -> None:
    """The whole pipeline on sample data: a real video, then synth -> build-ckplus -> train-tcn -> explain."""
    from landmarkset.demo import run_demo

    result = run_demo(
        out_dir, backend, subjects=subjects, epochs=epochs, workers=workers, progress=False if quiet else None,
        echo=click.echo,
    )  # fmt: skip
    click.echo(result.summary())


def _register() -> None:
    from . import datasets, explain, training

    for command in (*datasets.COMMANDS, *training.COMMANDS, explain.explain_command):
        main.add_command(command)


_register()


if __name__ == "__main__":  # pragma: no cover
    main()
