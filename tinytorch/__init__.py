"""tinytorch: a PyTorch-compatible deep-learning framework built from first principles on numpy.

Each course module exports its reference code into tinytorch/core/; this file gathers the public API
and switches gradient tracking on, as module 06 teaches. In own mode (tinytorch/own.py) the core modules
come from the learner's notebooks instead.
"""
from tinytorch.own import report as _report_own_mode, switch_on_if_chosen, use_my_modules, use_reference

switch_on_if_chosen()  # before the first core module is imported
from tinytorch.core.tensor import (Tensor, arange, eye, from_numpy, full, ones, ones_like, rand, randn, result_type,
                                   tensor, zeros, zeros_like)
from tinytorch.dtypes import bool, double, float, float32, float64, int32, int64, long
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter, Sequential
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.dataloader import DataLoader, Dataset, TensorDataset
from tinytorch.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinytorch.core.autograd import enable_autograd

enable_autograd()  # now, before the later modules: module 17 replaces some of the recording methods it installs

from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer
from tinytorch.core.convolutions import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.core.tokenization import BPETokenizer, CharTokenizer
from tinytorch.core.embeddings import Embedding
from tinytorch.core.attention import MultiheadAttention
from tinytorch.core.transformers import GPT, LayerNorm
import tinytorch.core.acceleration  # noqa: F401 (module 17: fused Linear, needs_input_grad, contiguous, checkpoint)
import tinytorch.core.memoization  # noqa: F401 (module 18 gives GPT a KV cache: generate(use_cache=True))
import tinytorch.core.compression  # noqa: F401 (module 16: Module hooks, pruning; tinytorch.nn.utils.prune)
from tinytorch.random import manual_seed
from tinytorch import nn, optim, profiler, training, utils  # tinytorch.nn, .optim, .profiler, .utils.data, .training
from tinytorch import quantization  # tinytorch.quantization (module 15)
from tinytorch import capstone  # module 20: submissions (schema, validator, latency/size measurements)
from tinytorch.browser import quiet_font_cache_notice

quiet_font_cache_notice()  # in JupyterLite, matplotlib's one-off notice would show as a red error box

_report_own_mode()

__version__ = "0.1.0"
__all__ = [
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "eye", "arange",
    "rand", "randn", "result_type", "float32", "float64", "int32", "int64", "bool", "float", "double", "long",
    "manual_seed", "enable_autograd", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax",
    "Module", "Parameter", "Linear", "Sequential", "ModuleList", "Dropout",
    "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss",
    "Dataset", "TensorDataset", "DataLoader",
    "Optimizer", "SGD", "Adam", "AdamW",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "Flatten",
    "CharTokenizer", "BPETokenizer", "Embedding", "MultiheadAttention", "LayerNorm", "GPT",
    "nn", "optim", "profiler", "utils", "training",
    "quantization",
    "capstone",
    "use_my_modules", "use_reference",
]
