"""Each module-07 check accepts the reference optimizer and rejects deliberately wrong ones (mutants)."""
import numpy as np

from tinytorch.checks import optimizers as checks
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer

from mutants import make_mutant_tests


class KeepsTheGenerator(Optimizer):
    def __init__(self, params):
        super().__init__(params)
        self.params = iter(self.params)  # stored as given: a second pass over it finds nothing


class ZeroGradFillsZeros(Optimizer):
    def zero_grad(self, set_to_none=True):
        for p in self.params:
            if p.grad is not None:
                p.grad.data.fill(0)


def _none_as_zeros(self):
    """A common bug: a missing gradient treated as a zero gradient, so decay and momentum still move p."""
    for p in self.params:
        grad = getattr(p, "grad", None)
        yield p, np.zeros_like(p.data) if grad is None else grad.data


class BaseUpdatesWithoutGrad(Optimizer):
    _params_with_grads = _none_as_zeros


class SGDUpdatesWithoutGrad(SGD):
    _params_with_grads = _none_as_zeros


class AdamUpdatesWithoutGrad(Adam):
    _params_with_grads = _none_as_zeros


class AdamWUpdatesWithoutGrad(AdamW):
    _params_with_grads = _none_as_zeros


class SGDDecayWrongSign(SGD):
    def step(self):
        for p, grad in self._params_with_grads():
            p.data -= self.lr * (grad - self.weight_decay * p.data)


class SGDReplacesData(SGD):
    def step(self):
        for p, grad in self._params_with_grads():
            p.data = p.data - self.lr * (grad + self.weight_decay * p.data)


class MomentumBufferStartsAtZero(SGD):
    def _momentum_direction(self, p, grad):
        state = self.state.setdefault(p, {})
        buffer = state.setdefault("momentum_buffer", np.zeros_like(p.data))
        buffer *= self.momentum
        buffer += (1 - self.dampening) * grad
        return grad + self.momentum * buffer if self.nesterov else buffer


class NesterovIgnored(SGD):
    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr, momentum, dampening, weight_decay, nesterov=False)


class NesterovAllowsDampening(SGD):
    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr, momentum, dampening, weight_decay)
        self.nesterov = nesterov


class AdamWithoutBiasCorrection(Adam):
    def _adam_update(self, p, grad):
        state = self.state.setdefault(p, {"exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)})
        beta1, beta2 = self.betas
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        p.data -= self.lr * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + self.eps)


class AdamDecayWrongSign(Adam):
    def step(self):
        for p, grad in self._params_with_grads():
            self._adam_update(p, grad - self.weight_decay * p.data)


class AdamWrongDefaults(Adam):
    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr, betas, eps, weight_decay)


class AdamWCoupled(AdamW):
    step = Adam.step  # "AdamW" that is really Adam + L2


class AdamWDecaysAfterTheStep(AdamW):
    def step(self):
        for p, grad in self._params_with_grads():
            self._adam_update(p, grad)
            p.data *= 1 - self.lr * self.weight_decay


class AdamWWithoutDefaultDecay(AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr, betas, eps, weight_decay)


CASES = [
    (checks.check_optimizer_base, Optimizer, [KeepsTheGenerator, ZeroGradFillsZeros, BaseUpdatesWithoutGrad]),
    (checks.check_sgd, SGD, [SGDDecayWrongSign, SGDReplacesData, SGDUpdatesWithoutGrad]),
    (checks.check_sgd_momentum, SGD, [MomentumBufferStartsAtZero, NesterovIgnored, NesterovAllowsDampening,
                                      SGDUpdatesWithoutGrad]),
    (checks.check_adam, Adam, [AdamWithoutBiasCorrection, AdamDecayWrongSign, AdamWrongDefaults,
                               AdamUpdatesWithoutGrad]),
    (checks.check_adamw, AdamW, [AdamWCoupled, AdamWDecaysAfterTheStep, AdamWWithoutDefaultDecay,
                                 AdamWUpdatesWithoutGrad]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
