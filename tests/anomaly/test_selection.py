import pytest

from forecaster.anomaly.selection import choose_setting, leave_one_group_out

NAB = {
    "artificialNoAnomaly/art_flatline.csv": "artificialNoAnomaly",
    "artificialWithAnomaly/art_daily_jumpsup.csv": "artificialWithAnomaly",
    "artificialWithAnomaly/art_daily_nojump.csv": "artificialWithAnomaly",
    "realKnownCause/nyc_taxi.csv": "realKnownCause",
    "realKnownCause/rogue_agent_key_hold.csv": "realKnownCause",
}


def test_no_item_is_scored_by_settings_chosen_on_its_own_group():
    folds = leave_one_group_out(NAB)
    assert [group for group, _, _ in folds] == ["artificialNoAnomaly", "artificialWithAnomaly", "realKnownCause"]
    for group, train, test in folds:
        assert test and all(NAB[item] == group for item in test)
        assert train and all(NAB[item] != group for item in train)
        assert sorted(train + test) == sorted(NAB)
    tested = [item for _, _, test in folds for item in test]
    assert sorted(tested) == sorted(NAB)


def test_one_group_is_refused():
    with pytest.raises(ValueError, match="at least two groups"):
        leave_one_group_out({"a.csv": "x", "b.csv": "x"})


def test_choose_setting_takes_the_best_and_the_first_of_ties():
    assert choose_setting([3, 7, 7, 1], float) == (1, 7.0)
    with pytest.raises(ValueError, match="no candidate"):
        choose_setting([], float)
