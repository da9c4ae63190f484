"""tinytorch.nn: layers, containers, activations and losses under PyTorch's names (`import tinytorch.nn as nn`).

The classes are written in the course modules and exported to tinytorch/core/; this namespace gathers them
as torch.nn does, with `nn.functional` and `nn.utils` beside them.
"""
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh  # 02
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter, Sequential  # 03
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss  # 04
from tinytorch.core.convolutions import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d  # 09
from tinytorch.core.embeddings import Embedding  # 11
from tinytorch.core.attention import MultiheadAttention  # 12
from tinytorch.core.transformers import LayerNorm  # 13
from tinytorch.nn import functional, utils

__all__ = [
    "Module", "Parameter", "Linear", "Sequential", "ModuleList", "Dropout",
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax",
    "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "Flatten",
    "Embedding", "MultiheadAttention", "LayerNorm",
    "functional", "utils",
]
