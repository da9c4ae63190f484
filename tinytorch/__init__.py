"""tinytorch: a PyTorch-compatible deep-learning framework built from first principles on numpy.

Each course module exports its reference code into tinytorch/core/; this file gathers the public API
and switches gradient tracking on, as module 06 teaches.
"""
from tinytorch.core.tensor import Tensor
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter, Sequential
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.dataloader import DataLoader, Dataset, TensorDataset
from tinytorch.core.autograd import enable_autograd, is_grad_enabled, no_grad
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer
from tinytorch.core.training import (CosineSchedule, ProgressBar, Trainer, clip_grad_norm, clip_grad_norm_,
                                     evaluate, load_checkpoint, plot_history, save_checkpoint, train_epoch)
from tinytorch.random import manual_seed
from tinytorch import nn

enable_autograd()

__version__ = "0.1.0"
__all__ = [
    "Tensor", "manual_seed", "enable_autograd", "no_grad", "is_grad_enabled",
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax",
    "Module", "Parameter", "Linear", "Sequential", "ModuleList", "Dropout", "nn",
    "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss",
    "Dataset", "TensorDataset", "DataLoader",
    "Optimizer", "SGD", "Adam", "AdamW",
    "Trainer", "train_epoch", "evaluate", "CosineSchedule", "clip_grad_norm_", "clip_grad_norm",
    "save_checkpoint", "load_checkpoint", "ProgressBar", "plot_history",
]
