"""Each module-07 check accepts the reference optimizer and rejects deliberately wrong ones (mutants)."""
import numpy as np

from tinytorch.checks import optimizers as checks
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer

from mutants import make_mutant_tests


class DictsTakenAsTensors(Optimizer):
    def __init__(self, params, defaults):  # forgets that params may be a list of group dicts
        params = list(params)
        if not params:
            raise ValueError("empty parameter list")
        super().__init__([{"params": params}], defaults)


class ZeroGradFillsZeros(Optimizer):
    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.data.fill(0)


class ZeroGradFirstGroupOnly(Optimizer):
    def zero_grad(self, set_to_none=True):
        for p in self.param_groups[0]["params"]:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)


def _none_as_zeros(self):
    """A common bug: a missing gradient treated as a zero gradient, so decay and momentum still move p."""
    return [(group, p, np.zeros_like(p.data) if p.grad is None else p.grad.data)
            for group in self.param_groups for p in group["params"]]


class BaseUpdatesWithoutGrad(Optimizer):
    _params_with_grads = _none_as_zeros


class GradsCheckedLazily(Optimizer):
    def _params_with_grads(self):  # a generator: the step has moved earlier parameters when a bad grad shows up
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.shape != p.shape:
                        raise ValueError(f"shape {p.grad.shape} vs {p.shape}")
                    yield group, p, p.grad.data


class GradDtypeUnchecked(Optimizer):
    def _params_with_grads(self):
        found = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.shape != p.shape:
                        raise ValueError(f"a parameter of shape {p.shape} has a gradient of shape {p.grad.shape}")
                    found.append((group, p, p.grad.data))
        return found


class SGDUpdatesWithoutGrad(SGD):
    _params_with_grads = _none_as_zeros


class AdamUpdatesWithoutGrad(Adam):
    _params_with_grads = _none_as_zeros


class AdamWUpdatesWithoutGrad(AdamW):
    _params_with_grads = _none_as_zeros


class SGDDecayWrongSign(SGD):
    def step(self):
        for group, p, grad in self._params_with_grads():
            p.data -= group["lr"] * (grad - group["weight_decay"] * p.data)


class SGDReplacesData(SGD):
    def step(self):
        for group, p, grad in self._params_with_grads():
            p.data = p.data - group["lr"] * (grad + group["weight_decay"] * p.data)


class SGDReadsTheDefaultsNotTheGroup(SGD):
    def step(self):  # ignores per-group options (and any change a schedule makes to group["lr"])
        for _, p, grad in self._params_with_grads():
            p.data -= self.defaults["lr"] * (grad + self.defaults["weight_decay"] * p.data)


class MomentumBufferStartsAtZero(SGD):
    def _momentum_direction(self, p, grad, group):
        state = self.state.setdefault(p, {})
        buffer = state.setdefault("momentum_buffer", np.zeros_like(p.data))
        buffer *= group["momentum"]
        buffer += (1 - group["dampening"]) * grad
        return grad + group["momentum"] * buffer if group["nesterov"] else buffer


class NesterovIgnored(SGD):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, lr, momentum, dampening, weight_decay, nesterov=False)


class NesterovAllowsDampening(SGD):
    def _check_group(self, group):
        super()._check_group({**group, "nesterov": False})


class AdamWithoutBiasCorrection(Adam):
    def _adam_update(self, p, grad, group):
        state = self.state.setdefault(p, {"exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)})
        beta1, beta2 = group["betas"]
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        p.data -= group["lr"] * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + group["eps"])


class AdamDecayWrongSign(Adam):
    def step(self):
        for group, p, grad in self._params_with_grads():
            self._adam_update(p, grad - group["weight_decay"] * p.data, group)


class AdamWrongDefaults(Adam):
    def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr, betas, eps, weight_decay)


class AdamWCoupled(AdamW):
    step = Adam.step  # "AdamW" that is really Adam + L2


class AdamWDecaysAfterTheStep(AdamW):
    def step(self):
        for group, p, grad in self._params_with_grads():
            self._adam_update(p, grad, group)
            p.data *= 1 - group["lr"] * group["weight_decay"]


class AdamWWithoutDefaultDecay(AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, lr, betas, eps, weight_decay)


class SGDOneMomentumBuffer(SGD):
    def _momentum_direction(self, p, grad, group):
        buffer = getattr(self, "buffer", None)  # one buffer for the whole optimizer, not one per parameter
        if buffer is None or buffer.shape != grad.shape:
            self.buffer = grad.copy()
        else:
            self.buffer = group["momentum"] * buffer + (1 - group["dampening"]) * grad
        return grad + group["momentum"] * self.buffer if group["nesterov"] else self.buffer


class SGDBufferAliasesGrad(SGD):
    def _momentum_direction(self, p, grad, group):
        state = self.state.setdefault(p, {})
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = grad  # the gradient array itself: zero_grad zeroes the buffer
        else:
            buffer *= group["momentum"]
            buffer += (1 - group["dampening"]) * grad
        return grad + group["momentum"] * buffer if group["nesterov"] else buffer


class SGDDecayIntoGrad(SGD):
    def step(self):
        for group, p, grad in self._params_with_grads():
            if group["weight_decay"] != 0:
                grad += group["weight_decay"] * p.data  # writes into p.grad
            if group["momentum"] != 0:
                grad = self._momentum_direction(p, grad, group)
            p.data -= group["lr"] * grad


class AdamOneStepCounter(Adam):
    def _adam_update(self, p, grad, group):
        self.t = getattr(self, "t", 0) + 1  # one counter for all parameters: advances once per parameter
        state = self.state.setdefault(p, {"exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)})
        beta1, beta2 = group["betas"]
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
        m_hat, v_hat = state["exp_avg"] / (1 - beta1 ** self.t), state["exp_avg_sq"] / (1 - beta2 ** self.t)
        p.data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


class AdamStepCountedPerCall(Adam):
    def step(self):
        self.t = getattr(self, "t", 0) + 1  # counts step() calls, also for a parameter that had no gradient
        for group, p, grad in self._params_with_grads():
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            state = self.state.setdefault(p, {"exp_avg": np.zeros_like(p.data), "exp_avg_sq": np.zeros_like(p.data)})
            beta1, beta2 = group["betas"]
            state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * grad
            state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * grad * grad
            m_hat, v_hat = state["exp_avg"] / (1 - beta1 ** self.t), state["exp_avg_sq"] / (1 - beta2 ** self.t)
            p.data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


class AdamDecayIntoGrad(Adam):
    def step(self):
        for group, p, grad in self._params_with_grads():
            if group["weight_decay"] != 0:
                grad += group["weight_decay"] * p.data  # writes into p.grad
            self._adam_update(p, grad, group)


CASES = [
    (checks.check_optimizer_base, Optimizer, [(DictsTakenAsTensors, "is a dict"), ZeroGradFillsZeros,
                                              (ZeroGradFirstGroupOnly, "every group"),
                                              BaseUpdatesWithoutGrad, (GradsCheckedLazily, "nothing was raised"),
                                              (GradDtypeUnchecked, "float64")]),
    (checks.check_sgd, SGD, [SGDDecayWrongSign, SGDReplacesData, SGDUpdatesWithoutGrad, (SGDDecayIntoGrad, "changed p.grad"),
                             (SGDReadsTheDefaultsNotTheGroup, "group")]),
    (checks.check_sgd_momentum, SGD, [MomentumBufferStartsAtZero, NesterovIgnored, NesterovAllowsDampening,
                                      (SGDOneMomentumBuffer, "its own state"), (SGDBufferAliasesGrad, "grad.copy()"),
                                      SGDUpdatesWithoutGrad]),
    (checks.check_adam, Adam, [AdamWithoutBiasCorrection, AdamDecayWrongSign, AdamWrongDefaults,
                               (AdamOneStepCounter, "its own state"), (AdamStepCountedPerCall, "must not advance"),
                               (AdamDecayIntoGrad, "changed p.grad"),
                               AdamUpdatesWithoutGrad]),
    (checks.check_adamw, AdamW, [AdamWCoupled, AdamWDecaysAfterTheStep, AdamWWithoutDefaultDecay,
                                 AdamWUpdatesWithoutGrad]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
