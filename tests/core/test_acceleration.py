"""Module 17's package changes: what they compute is what modules 03, 06 and 09 computed, and unaccelerated()
brings those back; checkpoint's contract beyond the in-page check."""
import numpy as np
import pytest

import tinytorch
from tinytorch import Tensor, nn
from tinytorch.core import acceleration as acc
from tinytorch.core.autograd import IndexBackward0, MmBackward0
from tinytorch.core.convolutions import ConvolutionBackward0, MaxPool2DWithIndicesBackward0
from tinytorch.core.layers import Linear
from tinytorch.utils.checkpoint import checkpoint


def gradients(make_loss, *leaves):
    for leaf in leaves:
        leaf.grad = None
    make_loss().backward()
    return [None if leaf.grad is None else leaf.grad.data.copy() for leaf in leaves]


def test_unaccelerated_restores_every_replaced_rule_and_then_the_fast_ones():
    fast = {cls: vars(cls)[name] for cls, name in [(MmBackward0, "backward"), (Linear, "forward"),
                                                    (IndexBackward0, "backward"), (ConvolutionBackward0, "backward"),
                                                    (MaxPool2DWithIndicesBackward0, "backward")]}
    with acc.unaccelerated():
        for cls, function in fast.items():
            now = vars(cls)["backward" if cls is not Linear else "forward"]
            assert now is not function and now is vars(cls)["_before_acceleration"][now.__name__]
    assert all(vars(cls)["backward" if cls is not Linear else "forward"] is f for cls, f in fast.items())


@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.MaxPool2d(3, stride=2)),  # overlapping windows
], ids=["mlp", "cnn", "overlapping-pool"])
@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_accelerated_gradients_equal_the_original_rules(build, input_requires_grad):
    tinytorch.manual_seed(0)
    model = build()
    shape = (4, 6) if isinstance(model[0], nn.Linear) else (2, 2, 8, 8)
    x = Tensor(np.random.default_rng(1).standard_normal(shape), dtype=np.float64, requires_grad=input_requires_grad)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    leaves = [x] + list(model.parameters())
    after = gradients(lambda: (model(x) ** 2).sum(), *leaves)
    with acc.unaccelerated():
        before = gradients(lambda: (model(x) ** 2).sum(), *leaves)
    for got, want in zip(after, before):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_indexing_by_ints_and_slices_assigns_and_index_arrays_still_add_up():
    x = Tensor(np.arange(6.0), dtype=np.float64, requires_grad=True)
    assert gradients(lambda: (x[1:4] * Tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum(), x)[0].tolist() == \
        [0, 1, 2, 3, 0, 0]
    repeated = Tensor(np.array([2, 2, 5]), dtype=np.int64)
    assert gradients(lambda: x[repeated].sum(), x)[0].tolist() == [0, 0, 2, 0, 0, 1]


def test_linear_refuses_what_does_not_fit_and_names_it():
    w = Tensor(np.ones((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"input of shape \(2, 5\) does not fit a weight of shape \(3, 4\)"):
        acc.linear(Tensor(np.ones((2, 5), dtype=np.float32)), w)
    with pytest.raises(ValueError, match=r"bias of shape \(4,\) does not fit 3 output features"):
        acc.linear(Tensor(np.ones((2, 4), dtype=np.float32)), w, Tensor(np.ones(4, dtype=np.float32)))
    with pytest.raises(TypeError, match="weight should be a Tensor, got ndarray"):
        acc.linear(Tensor(np.ones((2, 4), dtype=np.float32)), np.ones((3, 4)))


def test_checkpoint_of_a_plain_function_gives_its_tensor_arguments_and_inner_parameters_gradients():
    w = Tensor(np.array([0.5, -1.0, 2.0]), dtype=np.float64, requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0]), dtype=np.float64, requires_grad=True)
    segment = lambda t, power: ((t * w) ** power).sum()  # noqa: E731 (a closure over a parameter)
    plain = gradients(lambda: segment(x, 2), x, w)
    kept = gradients(lambda: checkpoint(segment, x, 2, use_reentrant=True), x, w)
    for got, want in zip(kept, plain):
        np.testing.assert_allclose(got, want)
    assert type(checkpoint(segment, x, 2, use_reentrant=False).grad_fn).__name__ == "CheckpointFunctionBackward"


def test_checkpoint_adds_to_gradients_a_parameter_already_has():
    tinytorch.manual_seed(0)
    layer = nn.Linear(3, 2)
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    checkpoint(layer, x, use_reentrant=False).sum().backward()
    once = layer.weight.grad.data.copy()
    checkpoint(layer, x, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, 2 * once)


def test_checkpoint_refuses_bad_arguments_by_name():
    with pytest.raises(TypeError, match="function should be callable, got int"):
        checkpoint(3, Tensor([1.0]))
    with pytest.raises(TypeError, match="should return one Tensor, got tuple"):
        checkpoint(lambda t: (t, t), Tensor([1.0], requires_grad=True), use_reentrant=False)
    with pytest.raises(ValueError, match="preserve_rng_state=False is not supported"):
        checkpoint(lambda t: t * 2, Tensor([1.0]), preserve_rng_state=False)
