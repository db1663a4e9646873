"""Run the forecaster CLI and SIGKILL the process at a chosen point: ``python crash_driver.py POINT EPOCH -- ARGS``.

Points: ``mid-batch`` (after the first batch of epoch EPOCH), ``before-checkpoint``
(epoch EPOCH ended, its checkpoint not yet written), ``mid-checkpoint`` (half of
the checkpoint of epoch EPOCH written to its temporary file), ``after-checkpoint``
(the checkpoint of epoch EPOCH on disk), ``before-commit`` (training done, the run
folder written but not renamed into place), ``hold-lock`` (sleep 60 s after epoch
EPOCH, holding the backup's lock). ``none`` runs to the end.
"""

import os
import signal
import sys
import time


def kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    point, epoch = sys.argv[1], int(sys.argv[2])
    args = sys.argv[sys.argv.index("--") + 1 :]
    from forecaster.cli.main import import_backend_quietly

    import_backend_quietly()
    from forecaster.models import checkpoint
    from forecaster.runs import RunFolder

    original_end, original_write = checkpoint.TrainingCheckpoint.on_epoch_end, checkpoint.write_atomic

    def on_epoch_end(self, index, logs=None):
        if index == epoch and point == "before-checkpoint":
            kill()
        if index == epoch and point == "mid-checkpoint":
            checkpoint.write_atomic = write_half
        original_end(self, index, logs)
        if index == epoch and point == "after-checkpoint":
            kill()
        if index == epoch and point == "hold-lock":
            time.sleep(60)

    def on_train_batch_end(self, batch, logs=None):
        if point == "mid-batch" and self._epoch == epoch and batch == 1:
            kill()

    def on_epoch_begin(self, index, logs=None):
        self._epoch = index
        original_begin(self, index, logs)

    def write_half(path, data):
        with open(path.with_name(f".{path.name}.{os.getpid()}.tmp"), "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.fsync(handle.fileno())
        kill()

    def exit_run(self, exc_type, exc, tb):
        if exc_type is None:
            kill()
        return original_exit(self, exc_type, exc, tb)

    original_begin, original_exit = checkpoint.TrainingCheckpoint.on_epoch_begin, RunFolder.__exit__
    checkpoint.TrainingCheckpoint.on_epoch_end = on_epoch_end
    checkpoint.TrainingCheckpoint.on_epoch_begin = on_epoch_begin
    checkpoint.TrainingCheckpoint.on_train_batch_end = on_train_batch_end
    if point == "before-commit":
        RunFolder.__exit__ = exit_run
    del original_write
    from forecaster.cli.main import main as cli

    return cli(args)


if __name__ == "__main__":
    sys.exit(main())
