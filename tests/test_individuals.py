"""Several faces (extract --faces): identities kept across frames, stored as individuals, read by rule."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from landmarkset.cli.main import main

from landmarkset.errors import OptionError, StoreError
from landmarkset.extraction import extract
from landmarkset.extractors import get_extractor
from landmarkset.individuals import IdentityTracker, PersonRule, faces_setting, switches_and_coverage
from landmarkset.io import TrackWriter, open_tracks
from landmarkset.io.encoding import TRACK, check_attributes
from landmarkset.samples import people_clip
from landmarkset.track import Individuals, Track

MEAN_SHAPE = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 68, endpoint=False)])


def _face(cx: float, cy: float, side: float, stretch: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    box = np.array([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])
    points = MEAN_SHAPE * side / 2 * np.array([1.0, stretch]) + [cx, cy]
    return box, points


def _assign(tracker: IdentityTracker, frame: int, faces: list) -> list[str]:
    if not faces:
        return tracker.assign(frame, np.zeros((0, 4)), np.zeros((0, 68, 2)))
    boxes, points = zip(*faces)
    return tracker.assign(frame, np.array(boxes), np.array(points))


def test_two_people_crossing_with_one_hidden_keep_their_names():
    tracker = IdentityTracker()
    names = {}
    for t in range(60):
        a = _face(50 + 5 * t, 100, 60)  # walks right
        b = _face(350 - 5 * t, 110, 60, stretch=1.3)  # walks left, another face shape
        hidden = 27 <= t <= 33  # b is behind a around the crossing
        found = _assign(tracker, t, [a] if hidden else [a, b])
        names.setdefault("a", set()).add(found[0])
        if not hidden:
            names.setdefault("b", set()).add(found[1])
    assert names == {"a": {"0"}, "b": {"1"}}


def test_a_person_away_for_a_while_comes_back_and_a_newcomer_gets_a_new_name():
    tracker = IdentityTracker(memory=30)
    seen = [_assign(tracker, t, [_face(100, 100, 60)] if not 10 <= t < 30 else []) for t in range(40)]
    assert {name for names in seen for name in names} == {"0"}  # 20 frames away: the same person
    assert _assign(tracker, 40, [_face(100, 100, 60), _face(300, 100, 60)]) == ["0", "1"]
    assert _assign(tracker, 80, [_face(100, 100, 60)]) == ["2"]  # 40 frames away > memory 30: someone new
    tracker.reset()
    assert _assign(tracker, 0, [_face(100, 100, 60)]) == ["0"]


def test_faces_setting_and_person_rule_are_checked_in_one_line():
    assert faces_setting("all") == "all" and faces_setting("3") == 3 and faces_setting(1) == 1
    for bad in ("0", "two", "-1"):
        with pytest.raises(OptionError, match="--faces must be"):
            faces_setting(bad)
    with pytest.raises(OptionError, match="--person must be"):
        PersonRule.parse("tallest")
    valid = {"0": np.array([1, 1, 0, 0], bool), "1": np.array([0, 1, 1, 1], bool)}
    box = {"0": np.tile([0, 0, 0.5, 0.5], (4, 1)), "1": np.tile([0, 0, 0.2, 0.2], (4, 1))}
    people = {name: (valid[name], box[name]) for name in valid}
    assert PersonRule("longest").choose(list(people), people.get) == "1"
    assert PersonRule("largest").choose(list(people), people.get) == "0"
    assert PersonRule("0").choose(list(people), people.get) == "0"
    with pytest.raises(OptionError, match="no individual '7'"):
        PersonRule("7").choose(list(people), people.get)


def test_a_backend_that_finds_one_face_is_refused_for_several():
    with pytest.raises(OptionError, match="finds one face per frame"):
        get_extractor("haar-mean-shape", faces="all")
    with pytest.raises(OptionError, match="cannot be combined with --faces"):
        get_extractor("dlib", faces="all", region_flow="2")


def _track(individual: str, valid: np.ndarray, x: float) -> Track:
    n = len(valid)
    landmarks = np.where(valid[:, None, None], MEAN_SHAPE[None] * 0.05 + [x, 0.5], np.nan)
    box = np.where(valid[:, None], [x - 0.05, 0.45, x + 0.05, 0.55], np.nan)
    return Track(id="clip", landmarks=landmarks, valid=valid, confidence=np.where(valid, 0.9, np.nan),
                 frame_index=np.arange(n), timestamp=np.arange(n) / 25, box=box, faces_detected=np.full(n, 2),
                 width=320, height=240, fps=25.0, backend="dlib", individual=individual)  # fmt: skip


def test_individuals_are_stored_as_format_2_and_read_by_rule(tmp_path):
    path = str(tmp_path / "people.h5")
    people = Individuals(
        [_track("0", np.array([1, 1, 1, 0], bool), 0.3), _track("1", np.array([0, 1, 1, 1], bool), 0.7)]
    )
    single = _track("", np.ones(4, bool), 0.5)
    single.id = "alone"
    with TrackWriter(path) as writer:
        writer.write(people)
        writer.write(single)
    with h5py.File(path, "r") as file:
        group = file["sequences/clip"]
        assert (
            group.attrs["encoding-version"] == "2.0.0" and file["sequences/alone"].attrs["encoding-version"] == "1.2.0"
        )
        with pytest.raises(StoreError, match="newer than this landmarkset"):  # what a 1.x reader says
            check_attributes(dict(group.attrs), TRACK, "people.h5:/sequences/clip")
    with open_tracks(path) as tracks:
        assert tracks.individual_names("clip") == ["0", "1"] and tracks.individual_names("alone") == []
        back = tracks.individuals("clip")
        for stored, given in zip(back, people.tracks):
            assert stored.individual == given.individual
            np.testing.assert_array_equal(stored.landmarks, given.landmarks)
            np.testing.assert_array_equal(stored.valid, given.valid)
        assert tracks["alone"].individual == "" and tracks.frame_count("clip") == 4
        assert [track.individual for track in tracks.individuals("alone")] == [""]  # a 1.x track: one individual
        with pytest.raises(StoreError, match=r"holds 2 individuals \(0, 1\): choose one with --person"):
            tracks["clip"]
        assert "1 sequence(s) extracted with several faces: 2 individuals" in tracks.summary(per_sequence=True)
    with open_tracks(path, person=PersonRule("1")) as tracks:
        assert tracks["clip"].individual == "1" and tracks.frame_block("clip", 0, 4)[1].tolist() == [0, 1, 1, 1]


SIDE = 130


def _line(start: tuple[float, float], end: tuple[float, float], frames: int) -> list:
    return [tuple(np.add(start, np.subtract(end, start) * t / (frames - 1))) for t in range(frames)]


@pytest.mark.slow
def test_real_faces_that_cross_leave_and_return_keep_their_names(tmp_path):
    crossing = {"takeo": _line((80, 120), (400, 135), 100), "breakingbad": _line((400, 150), (80, 140), 100)}
    away = {"takeo": [(100, 135)] * 90, "breakingbad": [(380, 135)] * 35 + [None] * 20 + [(380, 135)] * 35}
    for name, people in (("crossing", crossing), ("away", away)):
        clip = people_clip(str(tmp_path / f"{name}.mp4"), people, side=SIDE)
        out = str(tmp_path / f"{name}.h5")
        report = extract(clip, out, backend="mediapipe", faces="all", progress=False)
        assert report.ok
        with open_tracks(out) as tracks:
            individuals = tracks.individuals(name)
        followed = switches_and_coverage(people, individuals, SIDE)
        assert len(individuals) == 2, (name, followed)
        for person, measure in followed.items():
            assert measure["switches"] == 0 and len(measure["ids"]) == 1, (name, person, measure)
            assert measure["tracked"] >= 0.7, (name, person, measure)
        if name == "crossing":  # the landmarker alone on the whole frame (detector none) finds both faces too
            import cv2

            frame = cv2.cvtColor(cv2.VideoCapture(clip).read()[1], cv2.COLOR_BGR2RGB)
            whole = get_extractor("mediapipe", detector="none", faces="all").process_faces(frame)
            assert len(whole) == 2 and all(np.isfinite(face.landmarks).all() for face in whole)
        if name == "away":  # absent frames are NaN in place, never dropped
            back = next(track for track in individuals if track.individual == followed["breakingbad"]["ids"][0])
            assert not back.valid[35:55].any() and np.isnan(back.landmarks[35:55]).all() and back.n_frames == 90


@pytest.mark.slow
def test_a_newcomer_gets_a_new_name_from_its_first_frame_and_one_face_runs_are_unchanged(tmp_path):
    people = {"takeo": [(100, 135)] * 60, "einstein": [(380, 135)] * 60, "breakingbad": [None] * 30 + [(240, 130)] * 30}
    clip = people_clip(str(tmp_path / "third.mp4"), people, side=110)
    out = str(tmp_path / "third.h5")
    result = CliRunner().invoke(main, ["extract", clip, "-o", out, "-b", "dlib", "--faces", "all", "-q"])
    assert result.exit_code == 0, result.output
    with open_tracks(out) as tracks:
        individuals = tracks.individuals("third")
    followed = switches_and_coverage(people, individuals, 110)
    newcomer = next(t for t in individuals if t.individual == followed["breakingbad"]["ids"][0])
    assert newcomer.individual == "2" and not newcomer.valid[:30].any() and newcomer.valid[30:].mean() >= 0.9
    assert all(m["switches"] == 0 and m["tracked"] >= 0.9 for m in followed.values()), followed
    again = CliRunner().invoke(main, ["extract", clip, "-o", out, "-b", "dlib", "--faces", "all", "-q"])
    assert again.exit_code == 0 and "1 already done" in again.output, again.output  # a re-run matches the store
    one_face = CliRunner().invoke(main, ["extract", clip, "-o", out, "-b", "dlib", "-q"])
    assert one_face.exit_code != 0 and "faces" in one_face.output and len(one_face.output.splitlines()) == 1
    pooled, again = str(tmp_path / "pooled.h5"), str(tmp_path / "again.mp4")  # worker processes: the same people
    shutil.copy(clip, again)
    assert extract([clip, again], pooled, backend="dlib", faces="all", workers=2, progress=False).ok
    on_dask = str(tmp_path / "dask.h5")  # and a Dask worker, through its shard
    assert extract(clip, on_dask, backend="dlib", faces="all", scheduler="local", progress=False).ok
    for store, names in ((pooled, ("third", "again")), (on_dask, ("third",))):
        with open_tracks(store) as tracks:
            for name in names:
                for a, b in zip(tracks.individuals(name), individuals, strict=True):
                    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    info = CliRunner().invoke(main, ["info", out])
    assert "3 individuals" in info.output
    drawn = CliRunner().invoke(main, ["overlay", out, "-n", "3", "-o", str(tmp_path / "people.png")])
    assert drawn.exit_code == 0 and (tmp_path / "people.png").stat().st_size > 10_000, drawn.output
    # --faces 2 keeps the two seen longest; --faces 1 is today's one-face track, options unchanged
    two = str(tmp_path / "two.h5")
    extract(clip, two, backend="dlib", faces=2, progress=False)
    with open_tracks(two) as tracks:
        assert tracks.individual_names("third") == ["0", "1"]
    one, default = str(tmp_path / "one.h5"), str(tmp_path / "default.h5")
    extract(clip, one, backend="dlib", faces=1, progress=False)
    extract(clip, default, backend="dlib", progress=False)
    with open_tracks(one) as a, open_tracks(default) as b:
        np.testing.assert_array_equal(a["third"].landmarks, b["third"].landmarks)
        assert "faces" not in a["third"].backend_options and a.sequence_attrs("third")["encoding-version"] == "1.2.0"


@pytest.mark.slow
def test_a_build_over_two_person_clips_labels_the_person_the_rule_picks(tmp_path):
    from landmarkset.datasets import read_dataset

    root = tmp_path / "clips"
    (root / "S01").mkdir(parents=True)
    for label in ("happy", "surprise"):  # takeo for the whole clip, einstein for its second half
        people = {"takeo": [(100, 135)] * 20, "einstein": [None] * 10 + [(380, 135)] * 10}
        people_clip(str(root / "S01" / f"{label}.mp4"), people, side=110)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("Clip,Label,Subject\nS01/happy.mp4,happy,S01\nS01/surprise.mp4,surprise,S01\n")
    out = str(tmp_path / "set.h5")
    arguments = ["build", "manifest", str(root), "--manifest", str(manifest), "-o", out, "-b", "dlib", "-q"]
    result = CliRunner().invoke(main, [*arguments, "--min-frames", "5", "--frames", "10", "--person", "longest"])
    assert result.exit_code == 0, result.output
    dataset = read_dataset(out)
    assert json.loads(dataset.attrs["settings"])["person"] == "longest" and len(dataset.sequence) == 2
    assert dataset.person == PersonRule("longest")  # what explain and merge read the tracks with
    one_face = str(tmp_path / "one-face.h5")  # the same clips, one face each: merged beside the other
    assert (
        CliRunner()
        .invoke(main, [*arguments[:6], one_face, *arguments[7:], "--min-frames", "5", "--frames", "10"])
        .exit_code
        == 0
    )
    merged = CliRunner().invoke(main, ["merge", f"A={out}", f"B={one_face}", "-o", str(tmp_path / "merged.h5")])
    assert merged.exit_code == 0, merged.output
    with open_tracks(out, person=PersonRule("longest")) as tracks:
        for name in dataset.sequence:
            individuals = tracks.individuals(name)
            assert [int(track.valid.sum()) for track in individuals] == [20, 10]
            assert tracks[name].individual == "0"  # takeo, seen on every frame
    refused = CliRunner().invoke(main, [*arguments, "--person", "tallest"])
    assert refused.exit_code != 0 and "--person must be largest, longest" in refused.output


def test_individuals_go_through_netcdf_and_movement_and_back_exactly(tmp_path):
    from landmarkset.labelled import export_netcdf, import_movement, to_xarray

    first, second = _track("0", np.array([1, 1, 1, 0], bool), 0.3), _track("1", np.array([0, 1, 1, 1], bool), 0.7)
    store = str(tmp_path / "people.h5")
    with TrackWriter(store) as writer:
        writer.write(Individuals([first, second]))
    tree = to_xarray(store)
    assert list(tree["clip"].to_dataset()["individuals"].values) == ["0", "1"]
    path = export_netcdf(store, str(tmp_path / "people.nc"))
    back = str(tmp_path / "back.h5")
    report = import_movement(path, back)
    assert report.ok and report.extracted == ["clip"]
    with open_tracks(store) as before, open_tracks(back) as after:
        assert after.individual_names("clip") == ["0", "1"]
        for a, b in zip(before.individuals("clip"), after.individuals("clip")):
            np.testing.assert_array_equal(a.landmarks, b.landmarks)
            np.testing.assert_array_equal(a.valid, b.valid)
            np.testing.assert_array_equal(a.box, b.box)
            assert a.individual == b.individual


def test_individuals_go_through_openface_csv_and_back_exactly(tmp_path):
    from landmarkset.openface import export_openface, import_openface

    first, second = _track("0", np.array([1, 1, 1, 0], bool), 0.3), _track("1", np.array([0, 1, 1, 1], bool), 0.7)
    store = str(tmp_path / "people.h5")
    with TrackWriter(store) as writer:
        writer.write(Individuals([first, second]))
    (csv,) = export_openface(store, str(tmp_path / "csv"))
    rows = [line.split(", ")[:2] for line in open(csv).read().splitlines()[1:]]
    assert rows[:4] == [["1", "0"], ["1", "1"], ["2", "0"], ["2", "1"]]  # a row per frame and face, as OpenFace
    back = str(tmp_path / "back.h5")
    assert import_openface(csv, back, size=(320, 240)).ok
    with open_tracks(back) as tracks:
        for given, read in zip((first, second), tracks.individuals("clip")):
            assert read.individual == given.individual
            np.testing.assert_array_equal(read.valid, given.valid)
            np.testing.assert_allclose(read.landmarks, given.landmarks, atol=1e-6)


def _moving(individual: str, present: np.ndarray, x: float, seed: int) -> Track:
    """A face that talks (its mouth opens and closes) on the frames where ``present``."""
    n = len(present)
    rng = np.random.default_rng(seed)
    base = MEAN_SHAPE * 0.05 + [x, 0.5]
    landmarks = np.repeat(base[None], n, axis=0) + rng.normal(0, 0.0005, (n, 68, 2))
    landmarks[:, 48:68, 1] += 0.01 * np.sin(np.arange(n) / 3)[:, None]
    landmarks[~present] = np.nan
    box = np.where(present[:, None], [x - 0.05, 0.45, x + 0.05, 0.55], np.nan)
    return Track(id="talk", landmarks=landmarks, valid=present, confidence=np.where(present, 0.9, np.nan),
                 frame_index=np.arange(n), timestamp=np.arange(n) / 25, box=box, faces_detected=np.full(n, 2),
                 width=320, height=240, fps=25.0, backend="dlib", individual=individual)  # fmt: skip


@pytest.mark.slow
def test_predict_and_spot_run_per_individual_with_an_individual_column(trained_tcn, tmp_path):
    import csv

    run, _ = trained_tcn
    store = str(tmp_path / "people.h5")
    present = np.ones(150, bool)
    late = present.copy()
    late[:60] = False
    with TrackWriter(store) as writer:
        writer.write(Individuals([_moving("0", present, 0.3, 0), _moving("1", late, 0.7, 1)]))
    predicted = CliRunner().invoke(main, ["predict", f"{run}/model.pt", store, "-o", str(tmp_path / "p"), "-q"])
    assert predicted.exit_code == 0, predicted.output
    with open(tmp_path / "p" / "frames.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["individual"] for row in rows} == {"0", "1"} and len(rows) == 300
    late_rows = [row for row in rows if row["individual"] == "1"]
    assert all(row["top"] == "" for row in late_rows[:60]) and late_rows[100]["top"] != ""  # absent: no class
    assert "talk #1" in predicted.output
    spotted = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "s"), "--no-curves", "-q"])
    assert spotted.exit_code == 0, spotted.output
    header = (tmp_path / "s" / "intervals.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["video", "individual"]
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    assert [video["individual"] for video in report["videos"]] == ["0", "1"]
    one = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "s1"), "--person", "longest", "--no-curves"])
    assert one.exit_code == 0, one.output
    assert [v["individual"] for v in json.loads((tmp_path / "s1" / "report.json").read_text())["videos"]] == ["0"]
    absent = CliRunner().invoke(main, ["spot", store, "-o", str(tmp_path / "s7"), "--person", "7", "--no-curves", "-q"])
    assert absent.exit_code == 2 and "no individual '7'" in absent.output  # the video fails alone, in one line


def test_the_flat_table_names_each_individual(tmp_path):
    from landmarkset.openface import export_table

    first, second = _track("0", np.array([1, 1, 1, 0], bool), 0.3), _track("1", np.array([0, 1, 1, 1], bool), 0.7)
    store = str(tmp_path / "people.h5")
    with TrackWriter(store) as writer:
        writer.write(Individuals([first, second]))
    lines = open(export_table(store, str(tmp_path / "table.csv"))).read().splitlines()
    assert lines[0].startswith("sequence,individual,subject") and len(lines) == 9
    assert [line.split(",")[:2] for line in lines[1:]][::4] == [["clip", "0"], ["clip", "1"]]


@pytest.mark.slow
def test_face_alignment_gives_every_face_its_network_run(tmp_path):
    import torch
    from face_alignment.models import FAN

    from landmarkset.extractors._face_alignment import FAN_2D
    from landmarkset.io.frames import read_image

    torch.manual_seed(0)
    torch.save(FAN(4).state_dict(), tmp_path / FAN_2D.name)  # seeded random weights: the mechanics, not accuracy
    clip = people_clip(str(tmp_path / "two.mp4"), {"takeo": [(100, 135)] * 2, "einstein": [(380, 135)] * 2}, side=110)
    options = {"weights_dir": str(tmp_path), "check_hash": False, "download": False, "detector": "dlib"}
    several = get_extractor("face-alignment", faces="all", **options)
    frame = tmp_path / "frame.png"
    import cv2

    capture = cv2.VideoCapture(clip)
    cv2.imwrite(str(frame), capture.read()[1])
    image = read_image(str(frame))
    faces = several.process_faces(image)
    boxes, _ = get_extractor("dlib").detect_faces(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    assert len(faces) == len(boxes) == 2
    for face, box in zip(faces, boxes):
        np.testing.assert_array_equal(face.box, box)
        centre = face.landmarks.mean(axis=0)  # the network saw this face's crop: its points lie around it
        assert abs(centre[0] - (box[0] + box[2]) / 2) < box[2] - box[0]
    out = str(tmp_path / "two.h5")
    assert extract(clip, out, backend="face-alignment", options=options, faces="all", progress=False).ok
    with open_tracks(out) as tracks:
        assert tracks.individual_names("two") == ["0", "1"]
