"""Config-driven steps shared by the CLI jobs and the Python API.

Below :mod:`forecaster.api` and above the science packages: a validated config
and in-memory data in, windows, a trained run, forecasts, backtests and the
run-folder artefacts (model, scaler, intervals, schemas, detector) out. No
config files are read here, no pages written, no exit codes chosen: that is
:mod:`forecaster.jobs`.
"""
