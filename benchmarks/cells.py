"""Forward+backward time of GatedLSTM/GatedGRU against keras.layers.LSTM/GRU, measured in the same run.

Usage::

    python benchmarks/cells.py [--out benchmarks/results/cells.json] [--steps 15] [--warmup 3]

CPU, TensorFlow backend, batch 256, 96 steps, 7 features, 64 units; with and
without ``jit_compile``. The two layers share weights and are timed in
alternation, step by step, so load on the machine hits both alike. Prints a
table and writes the medians and the ratio (gated / Keras) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from forecaster.cells import GatedGRU, GatedLSTM  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 256, 96, 7, 64


def make_train_step(layer: keras.layers.Layer, jit_compile: bool) -> tf.types.experimental.GenericFunction:
    """Return a compiled function computing a loss of ``layer`` and its gradients (inputs and weights)."""

    @tf.function(jit_compile=jit_compile)
    def train_step(x: tf.Tensor) -> list[tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.square(layer(x)))
        return tape.gradient(loss, [x, *layer.trainable_weights])

    return train_step


def time_pair(
    keras_layer: keras.layers.Layer, gated: keras.layers.Layer, jit_compile: bool, n_steps: int, n_warmup: int
) -> dict[str, float]:
    """Return median seconds per forward+backward step of both layers, timed in alternation."""
    x = tf.random.normal((BATCH, STEPS, FEATURES), seed=1)
    steps = {"keras": make_train_step(keras_layer, jit_compile), "gated": make_train_step(gated, jit_compile)}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for repeat in range(n_warmup + n_steps):
        for name, step in steps.items():
            start = time.perf_counter()
            [g.numpy() for g in step(x)]
            if repeat >= n_warmup:
                times[name].append(time.perf_counter() - start)
    keras_s, gated_s = statistics.median(times["keras"]), statistics.median(times["gated"])
    return {"keras_s": keras_s, "gated_s": gated_s, "ratio": gated_s / keras_s}


def main() -> None:
    """Run the benchmark, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/cells.json"))
    parser.add_argument("--steps", type=int, default=15, help="timed steps per layer (median)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per layer (tracing, compiling)")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    results = []
    for kind, keras_class, gated_class in (("lstm", keras.layers.LSTM, GatedLSTM), ("gru", keras.layers.GRU, GatedGRU)):
        for jit_compile in (False, True):
            keras_layer = keras_class(UNITS)
            keras_layer.build((BATCH, STEPS, FEATURES))
            gated = gated_class.from_keras(keras_layer)
            row = {
                "cell": kind,
                "jit_compile": jit_compile,
                **time_pair(keras_layer, gated, jit_compile, args.steps, args.warmup),
            }
            results.append(row)
            print(
                f"{kind:5s} jit_compile={str(jit_compile):5s}  keras {row['keras_s'] * 1e3:8.1f} ms  "
                f"gated {row['gated_s'] * 1e3:8.1f} ms  ratio {row['ratio']:.3f}",
                flush=True,
            )
    payload = {
        "shape": {"batch": BATCH, "time_steps": STEPS, "features": FEATURES, "units": UNITS},
        "backend": keras.backend.backend(),
        "device": "CPU",
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "timed_steps": args.steps,
        "warmup_steps": args.warmup,
        "statistic": "median seconds per forward+backward step",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
