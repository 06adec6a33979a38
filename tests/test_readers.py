"""Readers: natural order, ignored files, globs, video decoding and clear errors."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from helpers import write_images, write_video

from landmarkset import InputError, discover_sources
from landmarkset.io.frames import natural_key


def _noise(n, height=48, width=64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(n)]


def test_natural_order():
    names = ["img10.png", "img2.png", "img1.png", "IMG3.png"]
    assert sorted(names, key=natural_key) == ["img1.png", "img2.png", "IMG3.png", "img10.png"]


def test_image_folder_natural_order_ignores_hidden_and_other_files(tmp_path):
    folder = tmp_path / "seq"
    write_images(str(folder), _noise(11))
    (folder / ".hidden.png").write_bytes(b"not an image")
    (folder / "notes.txt").write_text("not a frame")
    (folder / "Thumbs.db").write_bytes(b"\0")
    found = discover_sources([str(folder)])
    (source,), problems = found.sources, found.failed
    assert problems == []
    source.open()
    assert source.kind == "images" and source.id == "seq"
    assert source.frame_names == [f"img{i}.png" for i in range(1, 12)]
    frames = list(source.frames())
    assert [f.name for f in frames] == source.frame_names
    assert all(math.isnan(f.timestamp) for f in frames)
    assert frames[0].image.shape == (48, 64, 3)


def test_video_frames_and_timestamps(tmp_path):
    path = write_video(str(tmp_path / "clip.avi"), _noise(10), fps=20.0)
    (source,) = discover_sources([path]).sources
    source.open()
    assert (source.kind, source.id, source.width, source.height, source.fps) == ("video", "clip", 64, 48, 20.0)
    frames = list(source.frames())
    assert [f.index for f in frames] == list(range(10))
    assert [f.timestamp for f in frames] == pytest.approx([i / 20.0 for i in range(10)])


def test_folders_are_searched_and_ids_keep_their_relative_path(tmp_path):
    write_images(str(tmp_path / "data" / "S005" / "001"), _noise(2))
    write_images(str(tmp_path / "data" / "S005" / "002"), _noise(2))
    write_video(str(tmp_path / "data" / "S010" / "take.avi"), _noise(3))
    found = discover_sources([str(tmp_path / "data")])
    sources, problems = found.sources, found.failed
    assert problems == []
    assert [s.id for s in sources] == ["S005__001", "S005__002", "S010__take"]


def test_globs_and_several_inputs(tmp_path):
    for name in ("a.avi", "b.avi", "c.avi"):
        write_video(str(tmp_path / name), _noise(2))
    found = discover_sources([str(tmp_path / "[ab].avi"), str(tmp_path / "c.avi"), str(tmp_path / "*.mkv")])
    sources, problems = found.sources, found.failed
    assert [s.id for s in sources] == ["a", "b", "c"]
    assert problems == [(str(tmp_path / "*.mkv"), "no file matches this pattern")]


def test_same_input_twice_is_one_sequence_but_a_clash_is_an_error(tmp_path):
    first = write_video(str(tmp_path / "x.avi"), _noise(2))
    os.makedirs(tmp_path / "other")
    second = write_video(str(tmp_path / "other" / "x.avi"), _noise(2))
    assert len(discover_sources([first, first]).sources) == 1
    with pytest.raises(InputError, match="would both be stored as sequence 'x'"):
        discover_sources([first, second])


def test_empty_folder_and_missing_path_are_reported(tmp_path):
    (tmp_path / "empty").mkdir()
    found = discover_sources([str(tmp_path / "empty"), str(tmp_path / "nope.mp4")])
    sources, problems = found.sources, found.failed
    assert sources == []
    assert problems == [
        (str(tmp_path / "empty"), "folder holds no images or videos"),
        (str(tmp_path / "nope.mp4"), "no such file or folder"),
    ]


def test_corrupt_video_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(os.urandom(4096))
    (source,) = discover_sources([str(path)]).sources
    with pytest.raises(InputError, match=r"broken\.mp4: "):
        source.open()


def test_mixed_image_sizes_name_the_odd_frame(tmp_path):
    folder = str(tmp_path / "mixed")
    write_images(folder, _noise(2) + _noise(1, height=30, width=40))
    (source,) = discover_sources([folder]).sources
    source.open()
    with pytest.raises(InputError, match=r"img3\.png: frame is 40x30 but the sequence's first frame is 64x48"):
        list(source.frames())


def test_undecodable_frame_stays_in_place(tmp_path):
    folder = tmp_path / "gap"
    write_images(str(folder), _noise(3))
    (folder / "img2.png").write_bytes(b"garbage")
    (source,) = discover_sources([str(folder)]).sources
    frames = list(source.open().frames())
    assert [f.image is None for f in frames] == [False, True, False]
    assert frames[1].name == "img2.png" and frames[1].error


def test_video_frames_are_streamed_not_kept(tmp_path):
    import tracemalloc

    short = write_video(str(tmp_path / "short.avi"), _noise(50, 120, 160))
    long = write_video(str(tmp_path / "long.avi"), _noise(50, 120, 160) * 20)

    def peak(path):
        (source,) = discover_sources([path]).sources
        source.open()
        tracemalloc.start()
        count = sum(1 for _ in source.frames())
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return count, top

    (n_short, short_peak), (n_long, long_peak) = peak(short), peak(long)
    assert (n_short, n_long) == (50, 1000)
    frame_bytes = 120 * 160 * 3
    assert long_peak < short_peak + 3 * frame_bytes  # 1000 frames would need 57 MB if they were kept


def test_prefetched_frames_keep_order_errors_and_early_exit():
    import threading

    from landmarkset.io.prefetch import prefetched

    closed = threading.Event()

    def numbers(fail_at=None):
        try:
            for k in range(100):
                if k == fail_at:
                    raise ValueError(f"broken at {k}")
                yield k
        finally:
            closed.set()

    assert list(prefetched(numbers(), depth=2)) == list(range(100))
    seen = []
    with pytest.raises(ValueError, match="broken at 7"):
        for k in prefetched(numbers(fail_at=7)):
            seen.append(k)
    assert seen == list(range(7))  # every item before the error, in order
    closed.clear()
    early = prefetched(numbers(), depth=2)
    assert [next(early) for _ in range(3)] == [0, 1, 2]
    early.close()  # the consumer stops: the reader thread ends and the source is closed
    assert closed.is_set()
    assert not any(t.name == "landmarkset-prefetch" for t in threading.enumerate())
