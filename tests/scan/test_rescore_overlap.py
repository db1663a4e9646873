"""``scan --rescore-from`` after a retrain matches re-scored events with stored ones by overlap in time, not by start:
an event whose start moved keeps its id, a split keeps it in the larger part, a merge keeps the larger stored event."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
from conftest import assert_same_store, long_data
from sqlalchemy import delete, update

from forecaster.config import load_config
from forecaster.jobs.scan import scan_job
from forecaster.scan.scanner import _match_rescored, alerts_again, event_overlaps, match_by_overlap
from forecaster.store import ScanStore
from forecaster.store.schema import events as events_table

STEP = pd.Timedelta("5min")


def test_events_pair_with_the_stored_event_they_overlap_most_each_stored_event_once():
    def spans(*pairs):
        minutes = np.array(pairs, dtype=np.int64)
        return np.datetime64("2024-01-01", "m") + minutes[:, 0], np.datetime64("2024-01-01", "m") + minutes[:, 1]

    rescored = spans((0, 10), (20, 25), (28, 40), (50, 60), (70, 72), (74, 76), (100, 101))
    stored = spans((1, 10), (20, 40), (50, 52), (54, 60), (72, 74))
    overlap = event_overlaps(*rescored, *stored)
    assert (overlap >= 0).sum(axis=1).tolist() == [1, 1, 1, 2, 1, 1, 0]
    assert match_by_overlap(overlap) == {
        0: 0,  # its start moved by one step
        2: 1,  # of a split, the part overlapping most (12 min, not 5)
        3: 3,  # of two stored events merged, the one overlapping most (6 min, not 2)
        4: 4,  # a tie (one shared time each): the earlier event
    }
    left_out = np.array([False, False, False, False, True, False, False])
    assert match_by_overlap(np.where(left_out[:, None], -1, overlap)) == {0: 0, 2: 1, 3: 3, 5: 4}, (
        "an event left out takes no stored event: the next one overlapping it does"
    )


def scan(run, url, data, rescore_from=None):
    summary, _ = scan_job(load_config("config.yaml", []), "config.yaml", run, data, url, rescore_from, report="never")
    return summary


def test_a_retrain_that_moves_splits_or_merges_events_keeps_their_ids(project, store_url, monkeypatch):
    """What an older detector left, written into the store: in series a an event starting one step earlier, in b
    two events as one, in c one event as two; re-scoring the same rows finds the events of a fresh scan."""
    folder, run = project
    monkeypatch.chdir(folder)
    scan(run, store_url, folder / "long.csv")
    store = ScanStore(store_url, create=False)
    fresh = store.list_events()
    moved = fresh[(fresh["series"] == "a") & (fresh["n_points"] >= 3)].iloc[0]
    b = fresh[fresh["series"] == "b"].reset_index(drop=True)
    length = b["end"] - b["start"]
    k = int(np.flatnonzero(length.to_numpy()[:-1] != length.to_numpy()[1:])[0])
    first, second = b.iloc[k], b.iloc[k + 1]
    longer = first if length[k] > length[k + 1] else second
    shorter = second if longer is first else first
    split = fresh[(fresh["series"] == "c") & (fresh["end"] - fresh["start"] >= 4 * STEP)].iloc[0]
    with store.engine.begin() as connection:
        connection.execute(
            update(events_table)
            .where(events_table.c.id == int(moved["id"]))
            .values(start=(moved["start"] - STEP).to_pydatetime(), n_points=int(moved["n_points"]) + 1)
        )
        connection.execute(delete(events_table).where(events_table.c.id == int(second["id"])))
        connection.execute(
            update(events_table)
            .where(events_table.c.id == int(first["id"]))
            .values(end=second["end"].to_pydatetime(), n_points=int(first["n_points"] + second["n_points"]))
        )
        connection.execute(
            update(events_table)
            .where(events_table.c.id == int(split["id"]))
            .values(end=(split["start"] + STEP).to_pydatetime(), n_points=2)
        )
        piece = {
            **split.drop("id").to_dict(),
            "start": (split["start"] + 2 * STEP).to_pydatetime(),
            "end": split["end"].to_pydatetime(),
            "peak": split["peak"].to_pydatetime(),
            "n_points": int(split["n_points"]) - 2,
        }
        connection.execute(events_table.insert().values(**piece))
    older = store.list_events()
    store.close()
    piece_id = int(older["id"].max())

    summary = scan(run, store_url, folder / "long.csv", rescore_from="2024-01-01")

    assert (summary.new_events, summary.updated_events, summary.removed_events) == (1, 0, 1)
    store = ScanStore(store_url, create=False)
    after = store.list_events()
    last = store.last_scan_id()
    store.close()
    columns = ["series", "start", "end", "peak", "severity", "n_points", "state"]
    pd.testing.assert_frame_equal(
        after[columns].reset_index(drop=True), fresh[columns].reset_index(drop=True), "the events of a fresh scan"
    )
    ids = after.set_index(["series", "start"])["id"]
    assert ids[("a", moved["start"])] == moved["id"], "a start moved by one step: the same event..."
    assert after.loc[after["id"] == moved["id"], ["first_scan", "last_scan"]].values.tolist() == [[1, 1]], (
        "...with fewer points: updated silently"
    )
    assert ids[("b", longer["start"])] == first["id"], "a split keeps the id in the part overlapping it most"
    assert ids[("b", shorter["start"])] > piece_id, "the other part is new"
    assert ids[("c", split["start"])] == piece_id, "a merge keeps the stored event overlapping it most..."
    assert split["id"] not in set(after["id"]), "...and removes the other"
    assert set(after.loc[after["last_scan"] == last, "id"]) == {ids[("b", shorter["start"])]}, (
        "only the new part alerts: the merge ends where the stored event it kept ends, with more points but no later"
    )


def test_an_open_event_whose_start_a_rescore_moved_is_extended_by_the_next_scan(
    project, store_url, tmp_path, monkeypatch
):
    """The incremental path finds the open event by series and start: the start the re-score wrote."""
    folder, run = project
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    monkeypatch.chdir(folder)
    scan(run, reference, folder / "long.csv")
    target = ScanStore(reference, create=False).list_events().query("n_points >= 3").iloc[0]
    data = long_data()
    times = data["date"].drop_duplicates().reset_index(drop=True)
    cut = int(times.searchsorted(target["start"])) + 2
    data[data["date"] < times[cut]].to_csv(tmp_path / "first.csv", index=False)
    data[data["date"] >= times[cut]].to_csv(tmp_path / "second.csv", index=False)
    scan(run, store_url, tmp_path / "first.csv")
    store = ScanStore(store_url, create=False)
    (opened,) = store.list_events(series=target["series"], state="open").itertuples()
    with store.engine.begin() as connection:
        connection.execute(
            update(events_table)
            .where(events_table.c.id == opened.id)
            .values(start=(opened.start - STEP).to_pydatetime(), n_points=opened.n_points + 1)
        )
    rescored = scan(run, store_url, tmp_path / "first.csv", rescore_from="2024-01-01")
    assert (rescored.new_events, rescored.updated_events, rescored.removed_events) == (0, 0, 0)
    later = scan(run, store_url, tmp_path / "second.csv")
    assert later.updated_events >= 1
    extended = store.list_events(series=target["series"], since=target["start"]).iloc[0]
    store.close()
    assert (extended["id"], extended["start"], extended["end"]) == (opened.id, target["start"], target["end"])
    assert_same_store(store_url, reference)


def test_a_rescored_event_alerts_again_only_when_it_ends_later_or_changes_state():
    stored = SimpleNamespace(
        start=pd.Timestamp("2024-01-01 06:55"), end=pd.Timestamp("2024-01-01 07:30"), n_points=5, state="closed"
    )

    def rescored(**change):
        return {"start": stored.start, "end": stored.end, "n_points": 5, "state": "closed", **change}

    assert alerts_again(rescored(end=stored.end + STEP), stored)
    assert alerts_again(rescored(state="open"), stored)
    # The same incident seen by a retrained detector: an earlier start, more points within it, or a shorter event.
    assert not alerts_again(rescored(start=stored.start - STEP, n_points=6), stored)
    assert not alerts_again(rescored(n_points=9), stored)
    assert not alerts_again(rescored(end=stored.end - STEP, n_points=3), stored)


def test_an_event_split_across_the_rescore_time_keeps_its_earlier_part():
    """A stored event ending before the re-score time, split by the new detector into a part before that time and
    one after it: both parts are matched, as a fresh scan would store them, not just the later part."""

    def at(clock):
        return pd.Timestamp(f"2024-01-01 {clock}")

    stored = pd.DataFrame(
        {"id": [7], "series": ["a"], "start": [at("09:00")], "end": [at("09:15")], "peak": [at("09:00")]}
        | {"peak_score": [1.0], "severity": [1.0], "n_points": [4], "features": [""], "state": ["closed"]}
    )
    store = SimpleNamespace(list_events=lambda series: stored)

    def event(start, end):
        fields = {"series": "a", "start": at(start).isoformat(), "end": at(end).isoformat(), "state": "closed"}
        return fields | {"peak": fields["start"], "peak_score": 1.0, "severity": 1.0, "n_points": 3, "features": ""}

    earlier, later = event("08:50", "09:05"), event("09:10", "09:25")
    result = SimpleNamespace(series="a", events=[earlier, later])
    rematched = _match_rescored(store, result, at("09:20"))
    assert rematched.removed == [] and [(row["start"], row["id"]) for row in rematched.revised] == [
        (earlier["start"], 7)
    ], "the earlier part keeps the id (the tie goes to the earlier event), its start and end written silently"
    assert result.events == [later], "the later part is new"
