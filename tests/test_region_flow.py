"""Region optical flow (landmarkset.flow): a moved region gives flow there and nowhere else, a rigidly
moved head gives none, lags in seconds follow the timestamps, and any backend carries it as an extra."""

from __future__ import annotations

import numpy as np
import pytest

from landmarkset.errors import OptionError
from landmarkset.flow import REGION_FLOW, RegionFlowMeter, parse_lag
from landmarkset.regions import SPOT_REGIONS
from landmarkset.synth import Look, Renderer, astronaut, expression_field

NAMES = list(SPOT_REGIONS)


@pytest.fixture(scope="module")
def renderer():
    return Renderer(astronaut(), Look(), (480, 360))


def _flow_between(renderer, first, second, lag="1", stamps=(None, None)):
    meter = RegionFlowMeter(parse_lag(lag))
    image, points = renderer.render(*first)
    assert np.isnan(meter.measure(image, points, stamps[0])).all()  # nothing before the first frame
    image, points = renderer.render(*second)
    return np.linalg.norm(meter.measure(image, points, stamps[1]), axis=-1)


def test_a_smile_moves_the_mouth_corners_and_not_the_brows(renderer):
    neutral = renderer.neutral
    smile = neutral + expression_field({"12": 1.0})
    flow = dict(zip(NAMES, _flow_between(renderer, (neutral,), (smile,))))
    corners = min(flow["left mouth corner"], flow["right mouth corner"])
    assert corners > 0.03, flow  # in inter-ocular distances
    for quiet in ("left brow", "right brow", "left eye", "right eye"):  # far from the mouth: no flow
        assert flow[quiet] < corners / 8, (quiet, flow)
    assert flow["nose"] < corners / 2  # the nostrils' edge follows the cheeks a little


def test_a_rigidly_moved_head_gives_almost_no_flow(renderer):
    neutral = renderer.neutral
    moved = _flow_between(renderer, (neutral, (0.0, 0.0, 0.0)), (neutral, (6.0, -4.0, 3.0)))
    smile = neutral + expression_field({"12": 1.0})
    expression = _flow_between(renderer, (neutral,), (smile,))
    # the head's turn, tilt and shift are subtracted; what is left is the crop's edge (the chin) moving in
    assert np.median(moved) < expression.max() / 10 and moved.max() < expression.max() / 3, (moved, expression)


def test_lags_follow_timestamps_and_need_them():
    assert str(parse_lag("0.2s")) == "0.2s" and str(parse_lag("40")) == "40"
    for bad in ("0", "-1", "1.5", "fast"):
        with pytest.raises(OptionError, match="region_flow must be a lag"):
            parse_lag(bad)
    meter = RegionFlowMeter(parse_lag("0.1s"))
    image = np.zeros((64, 64), np.uint8)
    with pytest.raises(OptionError, match="give the lag in frames"):
        meter.measure(image, None, None)
    for t in range(5):  # no face: NaN, and the lag is still counted in time
        assert np.isnan(meter.measure(image, None, t / 30)).all()
    assert REGION_FLOW.shape == (len(SPOT_REGIONS), 2)


def test_any_backend_carries_region_flow_as_an_extra(tmp_path, carphone):
    from landmarkset import extract, open_tracks

    out = str(tmp_path / "t.h5")
    extract([carphone], out, backend="dlib", options={"region_flow": "0.2s"}, progress=False)
    with open_tracks(out) as store:
        track = store[store.ids()[0]]
    flow = track.extras["region_flow"]
    assert flow.shape == (track.n_frames, len(SPOT_REGIONS), 2)
    lag = round(0.2 * track.fps)
    assert np.isnan(flow[:lag]).all() and np.isfinite(flow[lag:][track.valid[lag:]]).mean() > 0.9
    assert track.backend == "dlib" and track.backend_options["region_flow"] == "0.2s"
    assert "region flow DIS" in track.backend_version
    # a man talking: his mouth moves more than his brows
    magnitude = np.nanmean(np.linalg.norm(flow, axis=-1), axis=0)
    assert magnitude[NAMES.index("lips")] > magnitude[NAMES.index("left brow")]
