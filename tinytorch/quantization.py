"""tinytorch.quantization: torch.ao.quantization's names (module 15 writes them in tinytorch/core/quantization.py)."""
from tinytorch.core.quantization import (DynamicQuantizedLinear, MinMaxObserver, MovingAverageMinMaxObserver,
                                         PerChannelMinMaxObserver, QuantizedTensor, calculate_qparams,
                                         fake_quantize_per_channel_affine, model_nbytes, quantize_dynamic,
                                         quantize_per_channel, quantize_per_tensor)

__all__ = ["quantize_dynamic", "quantize_per_tensor", "quantize_per_channel", "fake_quantize_per_channel_affine",
           "QuantizedTensor", "calculate_qparams", "MinMaxObserver", "MovingAverageMinMaxObserver",
           "PerChannelMinMaxObserver", "DynamicQuantizedLinear", "model_nbytes"]
