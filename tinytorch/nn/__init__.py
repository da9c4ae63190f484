"""tinytorch.nn: layers, containers, activations and losses under PyTorch's names (`import tinytorch.nn as nn`).

The classes are written in the course modules (02 activations, 03 layers, 04 losses) and exported to
tinytorch/core/; this namespace gathers them as torch.nn does, with `nn.functional` beside them.
"""
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter, Sequential
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.convolutions import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.nn import functional, utils

__all__ = [
    "Module", "Parameter", "Linear", "Sequential", "ModuleList", "Dropout",
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax",
    "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss",
    "functional", "utils",
]
__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "Flatten"]
