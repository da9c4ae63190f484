"""Each module-17 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import math

import numpy as np

from tinytorch.checks import acceleration as checks
from tinytorch.core import acceleration as acc
from tinytorch.core.autograd import MmBackward0, record, unbroadcast
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


# Part 2 · MmBackward0 with needs_input_grad
class MmComputesBoth(MmBackward0):
    """Module 06's rule: both gradients, always."""

    def backward(self, grad):
        with acc.unaccelerated(MmBackward0):
            return MmBackward0.backward(self, grad)


class MmGatesSwapped(MmBackward0):
    def backward(self, grad):
        self_needs = self.needs_input_grad
        full = MmComputesBoth.backward(self, grad)
        return (full[0] if self_needs[1] else None), (full[1] if self_needs[0] else None)


class MmWithoutUnbroadcast(MmBackward0):
    def backward(self, grad):
        a, b = self.inputs
        grad_a = grad @ np.swapaxes(b.data, -1, -2) if self.needs_input_grad[0] else None
        grad_b = np.swapaxes(a.data, -1, -2) @ grad if self.needs_input_grad[1] else None
        return grad_a, grad_b


# Part 3 · linear and AddmmBackward0
def linear_composed(input, weight, bias=None):
    out = input @ weight.T
    return out if bias is None else out + bias


def linear_without_bias(input, weight, bias=None):
    return acc.linear(input, weight)


def linear_float64(input, weight, bias=None):
    out = input.data.astype(np.float64) @ weight.data.T + (0 if bias is None else bias.data)
    return record(Tensor(out, dtype=np.float64), acc.AddmmBackward0, *[t for t in (input, weight, bias) if t is not None])


def linear_bias_into_bias(input, weight, bias=None):
    if bias is None:
        return acc.linear(input, weight)
    out = bias.data
    out += input.data @ weight.data.T  # the "fresh result" is the bias itself
    return record(Tensor(out.copy()), acc.AddmmBackward0, input, weight, bias)


def linear_rows_not_reshaped_back(input, weight, bias=None):
    rows = input.data.reshape(math.prod(input.shape[:-1]), weight.shape[1])
    out = rows @ weight.data.T + (0 if bias is None else bias.data)
    return record(Tensor(out, dtype=input.dtype), acc.AddmmBackward0, *[t for t in (input, weight, bias) if t is not None])


def _addmm(backward):
    return type("AddmmMutant", (acc.AddmmBackward0,), {"backward": backward})


def _with_node(node_class):
    """The reference linear, its node's rule replaced by `node_class`'s."""
    def linear(input, weight, bias=None):
        out = acc.linear(input, weight, bias)
        out.grad_fn.__class__ = node_class
        return out
    return linear


def _rows(self, grad):
    input, weight = self.inputs[0], self.inputs[1]
    g = grad.reshape(math.prod(grad.shape[:-1]), weight.shape[0])
    return input, weight, g, input.data.reshape(len(g), weight.shape[1])


def weight_grad_transposed(self, grad):
    input, weight, g, rows = _rows(self, grad)
    return (g @ weight.data).reshape(input.shape), rows.T @ g, (g.sum(0) if len(self.inputs) == 3 else None)


def bias_grad_over_features(self, grad):
    input, weight, g, rows = _rows(self, grad)
    return (g @ weight.data).reshape(input.shape), g.T @ rows, (g.sum(1) if len(self.inputs) == 3 else None)


def input_grad_always(self, grad):
    input, weight, g, rows = _rows(self, grad)
    return (g @ weight.data).reshape(input.shape), g.T @ rows, (g.sum(0) if len(self.inputs) == 3 else None)


def input_grad_not_reshaped(self, grad):
    input, weight, g, rows = _rows(self, grad)
    return g @ weight.data, g.T @ rows, (g.sum(0) if len(self.inputs) == 3 else None)


WeightGradTransposed, BiasGradOverFeatures = _addmm(weight_grad_transposed), _addmm(bias_grad_over_features)
InputGradAlways, InputGradNotReshaped = _addmm(input_grad_always), _addmm(input_grad_not_reshaped)


# Part 4 · is_contiguous and contiguous
def _tensor_with(**methods):
    return type("Tensor", (Tensor,), methods)


def contiguous_last_stride_only(self):
    return self.ndim == 0 or self.data.strides[-1] == self.data.itemsize


def contiguous_without_size_one_rule(self):
    expected = self.data.itemsize
    for size, stride in zip(reversed(self.shape), reversed(self.data.strides)):
        if stride != expected:
            return False
        expected *= size
    return True


# Part 5 · checkpoint
class RecomputeWithoutGradients(acc.CheckpointFunctionBackward):
    """The recomputation runs as the first forward did, under no_grad: nothing to backpropagate through."""

    def backward(self, grad):
        segment = self.segment
        self.segment = lambda *args, **kwargs: acc.no_grad()(segment)(*args, **kwargs)
        return super().backward(grad)


class RecomputeWithOtherRandomness(acc.CheckpointFunctionBackward):
    """Forgets to rewind the generator: the recomputation draws a new dropout mask."""

    def backward(self, grad):
        self.rng_state = np.random.default_rng(12345).bit_generator.state
        return super().backward(grad)


class RecomputeOnTheOriginalArguments(acc.CheckpointFunctionBackward):
    """Runs the segment on the caller's own tensors instead of detached copies."""

    def backward(self, grad):
        generator = acc.default_generator()
        after_forward, generator.bit_generator.state = generator.bit_generator.state, self.rng_state
        with acc.enable_grad():
            output = self.segment(*self.args, **self.kwargs)
        generator.bit_generator.state = after_forward
        output.backward(Tensor(grad))
        parameters = self.inputs[len(self.tensor_args):]
        return tuple(a.grad.data for a in self.tensor_args) + tuple(p.grad.data for p in parameters)


def _checkpoint_recording(node_class):
    def checkpoint(function, *args, **kwargs):
        out = acc.checkpoint(function, *args, **kwargs)
        if out.grad_fn is not None:
            out.grad_fn.__class__ = node_class
        return out
    return checkpoint


def checkpoint_keeping_the_graph(function, *args, use_reentrant=None, **kwargs):
    return function(*args, **kwargs)


CASES = [
    (checks.check_mm_backward, MmBackward0, [
        (MmComputesBoth, "although a.requires_grad is False"),
        (MmGatesSwapped, "although"),
        (MmWithoutUnbroadcast, "unbroadcast"),
    ]),
    (checks.check_linear, (acc.linear, acc.AddmmBackward0), [
        ((linear_composed, acc.AddmmBackward0), "one AddmmBackward0 node"),
        ((linear_without_bias, acc.AddmmBackward0), "the output (input @ weight.T + bias)"),
        ((linear_float64, acc.AddmmBackward0), "should stay float32"),
        ((linear_bias_into_bias, acc.AddmmBackward0), "changed the bias in place"),
        ((linear_rows_not_reshaped_back, acc.AddmmBackward0), "should have shape (3,) (the input's leading dims"),
        ((_with_node(WeightGradTransposed), WeightGradTransposed), "the weight's gradient should have the weight's shape"),
        ((_with_node(BiasGradOverFeatures), BiasGradOverFeatures), "bias's gradient"),
        ((_with_node(InputGradAlways), InputGradAlways), "computed the input's gradient anyway"),
        ((_with_node(InputGradNotReshaped), InputGradNotReshaped), "the input's gradient should have the input's shape"),
    ]),
    (checks.check_contiguous, Tensor, [
        (_tensor_with(is_contiguous=contiguous_last_stride_only), "columns 1.. [:, 1:]"),
        (_tensor_with(is_contiguous=contiguous_without_size_one_rule), "size 1 is never stepped along"),
        (_tensor_with(contiguous=lambda self: self.clone()), "should return the tensor itself"),
        (_tensor_with(contiguous=lambda self: self), "should return a row-major copy"),
        (_tensor_with(contiguous=lambda self: self if self.is_contiguous() else type(self)(np.ascontiguousarray(self.data))),
         "without grad_fn"),
    ]),
    (checks.check_checkpoint, acc.checkpoint, [
        (_checkpoint_recording(RecomputeWithoutGradients), "got no gradient"),
        (_checkpoint_recording(RecomputeWithOtherRandomness), "dropout mask"),
        (_checkpoint_recording(RecomputeOnTheOriginalArguments), "twice the right one"),
        (checkpoint_keeping_the_graph, "no fewer than the plain one"),
    ]),
]
test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
