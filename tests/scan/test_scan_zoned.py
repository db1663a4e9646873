"""Scans of zoned data: the seasonal profile reads the local clock, as ``detect`` does, across daylight-saving changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CONFIG, assert_same_store, read_store

from forecaster.anomaly import detect
from forecaster.anomaly.events import event_rules
from forecaster.anomaly.pipeline import reference_thresholds
from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.data import load_series
from forecaster.jobs.scan import scan_job
from forecaster.scan import SeriesInput, scan_group
from forecaster.store.store import utc_naive
from forecaster.workflow.detection import load_detection_run

ZONE = "Europe/Paris"
CHANGES = {"spring": pd.Timestamp("2024-03-31 01:00"), "autumn": pd.Timestamp("2024-10-27 01:00")}
"""Each series' clock change in UTC: Paris goes from 02:00 to 03:00 on 31 March, and from 03:00 back to 02:00 on 27 October."""

ZONED_CONFIG = {
    **CONFIG,
    "name": "zoned",
    "data": {"path": "zoned.csv", "id_column": "id", "timezone": ZONE},
    "anomaly": {
        **CONFIG["anomaly"],
        "seasonal_periods": ["1D"],
        "seasonal_cycles": 3,
        "events": {"min_points": 2, "within": "3h", "cooldown": "4h", "close_after": "2h"},
    },
}


def zoned_data() -> pd.DataFrame:
    """Two half-hourly series that follow the Paris clock (a daily sine of the local hour), one around each clock change.

    Times are written with their UTC offset, so the hour Paris repeats in October is unambiguous.
    """
    rng = np.random.default_rng(1)
    frames = []
    for name, start in (("spring", "2024-03-25"), ("autumn", "2024-10-20")):
        times = pd.date_range(start, periods=10 * 48, freq="30min", tz=ZONE)
        hours = np.asarray(times.hour + times.minute / 60)
        values = np.sin(2 * np.pi * hours / 24) + 0.05 * rng.normal(size=len(times))
        values[400:404] += 2.0
        frames.append(pd.DataFrame({"date": times.astype(str), "id": name, "value": values, "utc": utc_naive(times)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def zoned_project(tmp_path_factory):
    """A project folder with the zoned data and a tiny detector trained on it by ``forecaster detect``."""
    folder = tmp_path_factory.mktemp("zoned_project")
    zoned_data().drop(columns="utc").to_csv(folder / "zoned.csv", index=False)
    (folder / "config.yaml").write_text(yaml.safe_dump(ZONED_CONFIG))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert main(["detect", "config.yaml"]) == 0
    return folder, next((folder / "reports").glob("zoned-detect-*"))


def scan(run, url, data) -> None:
    scan_job(load_config("config.yaml", []), "config.yaml", run, data, url)


def test_a_zoned_scan_whole_and_in_chunks_across_clock_changes_scores_as_detect(zoned_project, tmp_path, monkeypatch):
    folder, run = zoned_project
    monkeypatch.chdir(folder)
    config = load_config("config.yaml", [])
    collection, _ = load_series(config.data)
    detected = detect(config, collection, load_detection_run(run, config)[0])
    expected = detected.scores.sort_values(["series", "time"]).reset_index(drop=True)
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    scan(run, whole, folder / "zoned.csv")
    scores, events = read_store(whole)
    assert len(scores) == len(expected) == len(zoned_data())
    assert (pd.DatetimeIndex(scores["time"]) == utc_naive(pd.DatetimeIndex(expected["time"]))).all()
    # The seasonal signal is the most surprising one on many rows, so the likelihoods compared below depend on it.
    assert (expected["source"] == "seasonal_1D").sum() > 20
    for column in ("error", "threshold", "likelihood", "log_likelihood", "alarm"):
        np.testing.assert_allclose(
            scores[column].to_numpy(float), expected[column].to_numpy(float), atol=1e-6, equal_nan=True, err_msg=column
        )
    assert (scores["source"] == expected["source"]).all() and (scores["flag"].astype(bool) == expected["flag"]).all()
    spans = sorted(zip(events["series"], pd.DatetimeIndex(events["start"]), pd.DatetimeIndex(events["end"])))
    assert len(spans) >= 2 and spans == sorted(
        zip(
            detected.events["series"],
            utc_naive(pd.DatetimeIndex(detected.events["start"])),
            utc_naive(pd.DatetimeIndex(detected.events["end"])),
        )
    )
    # Chunks cut two days before, at (inside the night Paris repeats or skips an hour) and a day after each change.
    data, chunked = zoned_data(), f"sqlite:///{tmp_path / 'chunked.db'}"
    change = data["id"].map(CHANGES)
    cuts = [change - pd.Timedelta("2D"), change, change + pd.Timedelta("1D")]
    chunk = sum((data["utc"] >= cut).astype(int) for cut in cuts)
    for k in range(len(cuts) + 1):
        path = tmp_path / f"chunk_{k}.csv"
        data[chunk == k].drop(columns="utc").to_csv(path, index=False)
        scan(run, chunked, path)
    assert_same_store(chunked, whole)


def test_a_group_of_series_on_the_clocks_of_two_zones_scores_each_as_alone(zoned_project, monkeypatch):
    """Files of one folder may carry different UTC offsets: each series keeps its own clock in a shared group."""
    folder, run = zoned_project
    monkeypatch.chdir(folder)
    config = load_config("config.yaml", [])
    detector = load_detection_run(run, config)[0]
    data = zoned_data()
    inputs = [
        SeriesInput(name, pd.DatetimeIndex(part["utc"]), part[["value"]].to_numpy(), timezone=zone)
        for (name, part), zone in zip(data.groupby("id", sort=False), (ZONE, "UTC+02:00"))
    ]
    thresholds, rules = reference_thresholds(detector, config.anomaly)[1], event_rules(config.anomaly, "30min")
    together = scan_group(detector, config.anomaly, thresholds, rules, ["value"], inputs)
    assert [result.series for result in together] == ["spring", "autumn"]
    for item, result in zip(inputs, together):
        alone = scan_group(detector, config.anomaly, thresholds, rules, ["value"], [item])[0]
        assert result.skipped is None and len(result.points) == len(item.times)
        pd.testing.assert_frame_equal(result.points, alone.points)
    # On another clock than the data's own, the daily profile is read two hours off for the October series.
    autumn_in_paris = scan_group(
        detector, config.anomaly, thresholds, rules, ["value"], [SeriesInput(**{**vars(inputs[1]), "timezone": ZONE})]
    )[0]
    assert not np.allclose(autumn_in_paris.points["likelihood"], together[1].points["likelihood"], equal_nan=True)
