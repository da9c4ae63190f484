"""Generated from content/07_optimizers.py by scripts/build_content.py: edit the source, not this file."""
# From content/07_optimizers.py, cell 2 (Part 1 · The optimizer's contract)
import numpy as np

from tinytorch.core.tensor import Tensor


class Optimizer:
    """Base class: holds the parameters and a per-parameter `state`; subclasses implement step()."""

    def __init__(self, params):
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of parameters such as model.parameters(), "
                            "got a single Tensor: wrap it in a list, [w]")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for index, p in enumerate(self.params):
            if not isinstance(getattr(p, "data", None), np.ndarray):
                raise TypeError(f"{type(self).__name__}: parameter {index} has no numpy .data to update "
                                f"(got {type(p).__name__})")
        self.state = {}  # parameter -> dict of what the optimizer remembers about it

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: p.grad = None (PyTorch's default), or fill them with zeros in place."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)

    def _params_with_grads(self):
        """Yield (parameter, gradient numpy array) for every parameter whose grad is not None."""
        for p in self.params:
            grad = getattr(p, "grad", None)
            if grad is None:
                continue
            if grad.shape != p.shape:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a gradient "
                                 f"of shape {grad.shape}")
            yield p, grad.data

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")


def _require(valid, optimizer, name, value, rule):
    """Raise ValueError naming the optimizer, the hyper-parameter and its value unless `valid`."""
    if not valid:
        raise ValueError(f"{optimizer}: invalid {name}={value!r} ({rule})")


# From content/07_optimizers.py, cell 6 (Part 2 · Stochastic gradient descent and weight decay)
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        _require(lr >= 0, "SGD", "lr", lr, "the learning rate must be >= 0")
        _require(momentum >= 0, "SGD", "momentum", momentum, "must be >= 0")
        _require(weight_decay >= 0, "SGD", "weight_decay", weight_decay, "must be >= 0")
        _require(not nesterov or (momentum > 0 and dampening == 0), "SGD", "nesterov", nesterov,
                 f"Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                 f"dampening={dampening}")
        super().__init__(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def step(self):
        for p, grad in self._params_with_grads():
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * p.data
            if self.momentum != 0:
                grad = self._momentum_direction(p, grad)
            p.data -= self.lr * grad


# From content/07_optimizers.py, cell 10 (Part 3 · Momentum, dampening and Nesterov)
def _momentum_direction(self, p, grad):
    """The direction SGD steps along for `p` when momentum is on; updates the momentum buffer."""
    state = self.state.setdefault(p, {})
    buffer = state.get("momentum_buffer")
    if buffer is None:
        buffer = state["momentum_buffer"] = grad.copy()
    else:
        buffer *= self.momentum
        buffer += (1 - self.dampening) * grad
    return grad + self.momentum * buffer if self.nesterov else buffer


SGD._momentum_direction = _momentum_direction


# From content/07_optimizers.py, cell 14 (Part 4 · Adam: a step size per parameter)
class Adam(Optimizer):
    """Adam with bias-corrected moments; weight_decay is L2, added to the gradient (PyTorch's Adam)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        name = type(self).__name__
        _require(lr >= 0, name, "lr", lr, "the learning rate must be >= 0")
        _require(eps >= 0, name, "eps", eps, "must be >= 0")
        for index, beta in enumerate(betas):
            _require(0 <= beta < 1, name, f"beta at index {index}", beta, "betas must be in [0, 1)")
        _require(weight_decay >= 0, name, "weight_decay", weight_decay, "must be >= 0")
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay

    def step(self):
        for p, grad in self._params_with_grads():
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * p.data
            self._adam_update(p, grad)

    def _adam_update(self, p, grad):
        """One Adam step for p with gradient `grad` (weight decay already handled by step())."""
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        beta1, beta2 = self.betas
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# From content/07_optimizers.py, cell 18 (Part 5 · AdamW: decoupled weight decay)
class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then the Adam step (PyTorch's AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self):
        for p, grad in self._params_with_grads():
            p.data *= 1 - self.lr * self.weight_decay
            self._adam_update(p, grad)
