import pytest

from forecaster.config import WindowsConfig
from forecaster.windows import WindowSpec


def test_from_config_copies_sizes_and_columns():
    cfg = WindowsConfig(lookback=48, horizon=12, stride=3, calendar_features=["hour", "month"])
    spec = WindowSpec.from_config(cfg, ["load"], ["temp"])
    assert (spec.lookback, spec.horizon, spec.stride) == (48, 12, 3)
    assert spec.window_length == 60
    assert spec.value_columns == ("load", "temp")
    assert spec.n_targets == 1 and spec.n_calendar == 4
    assert spec.feature_names == ["load", "temp", "hour_sin", "hour_cos", "month_sin", "month_cos"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0}, "lookback must be an integer >= 1, got 0"),
        ({"target_columns": ()}, "target_columns must name at least one column"),
        ({"past_covariates": ("a",)}, "columns ['a'] appear more than once"),
        ({"calendar_features": ("weekday",)}, "calendar_features must be distinct names"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, message):
    arguments = {"lookback": 4, "horizon": 2, "stride": 1, "target_columns": ("a",)} | kwargs
    with pytest.raises(ValueError) as info:
        WindowSpec(**arguments)
    assert message in str(info.value)
