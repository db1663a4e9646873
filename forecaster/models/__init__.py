"""Forecasting networks (builders per responsibility), their one training loop and the fit/predict facade :class:`Forecaster`.

Importing this package registers every custom layer and loss, so saved
``.keras`` files load in Keras's safe mode.
"""

from forecaster.models.autoencoder import build_autoencoder
from forecaster.models.build import build_model
from forecaster.models.channels import FoldChannels, RepeatPerChannel, UnfoldChannels
from forecaster.models.encoders import RecurrentEncoder, SegmentEmbedding, make_recurrent_layer
from forecaster.models.ensemble import average_networks, merge_histories
from forecaster.models.forecaster import Forecaster
from forecaster.models.heads import LinearSkip, MultiStepHead
from forecaster.models.losses import PinballLoss, make_loss
from forecaster.models.normalization import InstanceDenormalization, InstanceNormalization
from forecaster.models.training import WindowSubset, fit_ensemble

__all__ = [
    "FoldChannels",
    "Forecaster",
    "InstanceDenormalization",
    "InstanceNormalization",
    "LinearSkip",
    "MultiStepHead",
    "PinballLoss",
    "RecurrentEncoder",
    "RepeatPerChannel",
    "SegmentEmbedding",
    "UnfoldChannels",
    "WindowSubset",
    "average_networks",
    "build_autoencoder",
    "build_model",
    "fit_ensemble",
    "make_loss",
    "make_recurrent_layer",
    "merge_histories",
]
