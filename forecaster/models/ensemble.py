"""Deep ensembles: independently trained networks joined into one model that averages their outputs."""

from __future__ import annotations

import keras


def average_networks(members: list[keras.Model], name: str = "ensemble") -> keras.Model:
    """Join trained networks with the same inputs into one model whose output is the mean of theirs.

    Networks trained from different seeds make partly independent errors,
    which the mean partly cancels. The members stay intact inside the joint
    model, so one ``.keras`` file holds them all; they need distinct names.

    Args:
        members: trained functional models taking the same inputs (one tensor or named inputs).
        name: the joint model's name. Default ``"ensemble"``.

    Returns:
        A functional :class:`keras.Model`.
    """
    spec = members[0].input
    if isinstance(spec, dict):
        inputs = {key: keras.Input(batch_shape=tensor.shape, name=key) for key, tensor in spec.items()}
    else:
        inputs = keras.Input(batch_shape=spec.shape, name=spec.name)
    outputs = [member(inputs) for member in members]
    return keras.Model(inputs, keras.layers.Average(name="average")(outputs), name=name)


def merge_histories(histories: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    """One training history from the members' histories: their epochs in turn.

    A single member's history is returned as it is; for several, each log
    lists every member's epochs one member after the other, and ``member``
    gives the member of each epoch.

    Args:
        histories: per member, ``{name: [value per epoch]}``.

    Returns:
        ``{name: [value per epoch]}``.
    """
    if len(histories) == 1:
        return histories[0]
    merged = {key: [value for logs in histories for value in logs.get(key, [])] for key in histories[0]}
    merged["member"] = [member for member, logs in enumerate(histories) for _ in logs.get("loss", [])]
    return merged
