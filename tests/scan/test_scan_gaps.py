"""Rows missing between two scans: filled by ``data.fill`` across the boundary, as a scan of all the data fills them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SERIES, assert_same_store, long_data, read_store

from forecaster.anomaly.pipeline import detect
from forecaster.config import load_config
from forecaster.data import validate_series
from forecaster.jobs.detection import load_detection_run
from forecaster.jobs.scan import scan_job
from forecaster.store import ScanStore

GAP = (300, 306)
"""Positions of the rows missing from every series: the scheduler was down for half an hour."""


@pytest.fixture
def gapped(project, monkeypatch, tmp_path):
    """The project's data with the rows of ``GAP`` removed, and the parts before and after it."""
    folder, run = project
    monkeypatch.chdir(folder)
    data = long_data()
    position = data.groupby("id").cumcount()
    parts = {
        "all": data[(position < GAP[0]) | (position >= GAP[1])],
        "before": data[position < GAP[0]],
        "after": data[position >= GAP[1]],
    }
    paths = {}
    for name, part in parts.items():
        paths[name] = tmp_path / f"{name}.csv"
        part.to_csv(paths[name], index=False)
    return run, paths


def scan(run, url, data, *overrides):
    summary, _ = scan_job(load_config("config.yaml", list(overrides)), "config.yaml", run, data, url)
    return summary


@pytest.mark.parametrize("fill", ["interpolate", "mask"])
def test_a_gap_between_two_scans_scores_as_one_scan_of_the_gapped_file(gapped, tmp_path, fill):
    run, paths = gapped
    reference, chunked = f"sqlite:///{tmp_path / 'reference.db'}", f"sqlite:///{tmp_path / 'chunked.db'}"
    whole = scan(run, reference, paths["all"], f"data.fill={fill}")
    first = scan(run, chunked, paths["before"], f"data.fill={fill}")
    second = scan(run, chunked, paths["after"], f"data.fill={fill}")
    n_missing = len(SERIES) * (GAP[1] - GAP[0])
    assert (first.rows_filled, second.rows_filled, whole.rows_filled) == (0, n_missing, n_missing)
    assert second.rows_scored + first.rows_scored == whole.rows_scored == len(long_data())
    assert_same_store(chunked, reference)
    runs = ScanStore(chunked, create=False).read_table("scan_runs")
    assert runs["rows_filled"].tolist() == [0, n_missing]


def test_a_scan_of_a_gapped_file_scores_the_gap_as_detect_does(gapped, tmp_path):
    run, paths = gapped
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan(run, url, paths["all"])
    config = load_config("config.yaml", [])
    detector, _ = load_detection_run(run, config)
    collection, _ = validate_series(pd.read_csv(paths["all"]), config.data, source="all.csv")
    detected = (
        detect(config, collection, detector=detector).scores.sort_values(["series", "time"]).reset_index(drop=True)
    )
    scores, _ = read_store(url)
    assert len(scores) == len(detected) and detected["filled"].sum() == len(SERIES) * (GAP[1] - GAP[0])
    for column in ("error", "likelihood", "log_likelihood", "alarm"):
        np.testing.assert_allclose(
            scores[column].to_numpy(float),
            detected[column].to_numpy(float),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=column,
        )
    assert not scores.loc[detected["filled"].to_numpy(), "flag"].astype(bool).any(), "a filled gap raises no flags"


def test_refuse_skips_the_series_with_a_gap_naming_its_times_and_scans_the_others(gapped, tmp_path):
    run, paths = gapped
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan(run, url, paths["before"], "data.fill=refuse")
    after = pd.read_csv(paths["after"])
    before = pd.read_csv(paths["before"])
    # series "c" sends the missing rows after all: only "a" and "b" have a gap
    missing = long_data().groupby("id").nth(list(range(*GAP)))
    joined = pd.concat([after, missing[missing["id"] == "c"]], ignore_index=True)
    path = tmp_path / "after_c_complete.csv"
    joined.to_csv(path, index=False)
    summary = scan(run, url, path, "data.fill=refuse")
    assert set(summary.skipped) == {"a", "b"} and summary.n_series == 1 and summary.rows_filled == 0
    first_missing = pd.Timestamp(before["date"].iloc[-1]) + pd.Timedelta("5min")
    last_missing = pd.Timestamp(after["date"].iloc[0]) - pd.Timedelta("5min")
    reason = summary.skipped["a"]
    assert reason == (
        f"{GAP[1] - GAP[0]} rows missing from {first_missing} to {last_missing}, between the last scanned row "
        f"({first_missing - pd.Timedelta('5min')}) and the new ones; send them, or set data.fill to interpolate, "
        "ffill or mask"
    ), "the reason does not repeat the series, which summary.skipped's key names"
    runs = ScanStore(url, create=False).read_table("scan_runs")
    assert set(json.loads(runs["skipped"].iloc[-1])) == {"a", "b"}
    marks = ScanStore(url, create=False).read_table("watermarks").set_index("series")["last_time"]
    assert marks["a"] == first_missing - pd.Timedelta("5min") and marks["c"] == pd.Timestamp(after["date"].iloc[-1])
