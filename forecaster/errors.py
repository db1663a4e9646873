"""The one error hierarchy of forecaster.

Every error a user can cause (a bad config, a bad data file, a run folder that
does not fit) is a ``ForecasterError``. The CLI catches these, prints their
message as one line and exits non-zero; anything else is a bug.
"""


class ForecasterError(Exception):
    """Base class of every error a user can cause and fix."""


class ConfigError(ForecasterError, ValueError):
    """A configuration file, ``--set`` override or hyperparameter is invalid (a ``ValueError``, as in scikit-learn)."""


class DataError(ForecasterError, ValueError):
    """A data file or frame cannot be read, or its contents break a rule (a ``ValueError``, as in scikit-learn)."""


class NotFittedError(ForecasterError, ValueError, AttributeError):
    """A fitted object (scaler, model, pipeline) was used before ``fit`` (a ``ValueError`` and ``AttributeError``, as scikit-learn's)."""


class RunError(ForecasterError):
    """A run folder is missing, incomplete, or does not fit the new data."""


class StoreError(ForecasterError):
    """A scan store cannot be opened, is not a scan store, or was written by a newer version."""


class StoreBusyError(StoreError):
    """Another scan holds the store's lock; schedulers should retry later (exit code 75, EX_TEMPFAIL)."""

    exit_code = 75


class TrainingError(ForecasterError):
    """Training cannot go on: the loss diverged to NaN or infinity, or its backup is held by another run."""


class BackupBusyError(TrainingError):
    """Another run of the same config is training from the same backup; retry later (exit code 75, EX_TEMPFAIL)."""

    exit_code = 75
