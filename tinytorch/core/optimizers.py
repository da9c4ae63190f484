"""Generated from content/07_optimizers.py by scripts/build_content.py: edit the source, not this file."""
# From content/07_optimizers.py, cell 2 (Part 1 · The optimizer's contract)
import copy
import numbers

import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.patching import patch_to

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class, as torch.optim.Optimizer: param_groups, a per-parameter `state`; subclasses implement step()."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of Tensors or dicts, such as model.parameters(), "
                            "got a single Tensor: wrap it in a list, [w]")
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> dict of what the optimizer remembers about it
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group {"params": [...], option: value, ...}; options it leaves out come from self.defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict with a 'params' key, "
                            f"got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for index, p in enumerate(params):
            if not isinstance(getattr(p, "data", None), np.ndarray):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors: parameter {index} "
                                f"is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor (parameter {index} "
                                 f"was computed by an operation; optimize the tensors it was computed from)")
            if any(p is q for q in params[:index]):
                raise ValueError(f"{type(self).__name__}: parameter {index} appears twice in one parameter group")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Subclasses raise TypeError/ValueError here for a bad hyper-parameter, before it is ever used."""

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: p.grad = None (PyTorch's default), or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data.fill(0)

    def _params_with_grads(self):
        """[(group, parameter, gradient array)] for every parameter whose grad is not None, all checked first."""
        found = []
        for group in self.param_groups:
            for p in group["params"]:
                grad = getattr(p, "grad", None)
                if grad is None:
                    continue
                if grad.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a gradient "
                                     f"of shape {grad.shape}")
                if grad.dtype != p.dtype:
                    raise TypeError(f"{type(self).__name__}: a {p.dtype} parameter has a {grad.dtype} gradient")
                found.append((group, p, grad.data))
        return found

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}, as PyTorch lays it out."""
        params = self._all_params()
        index_of = {id(p): index for index, p in enumerate(params)}
        groups = [{**group, "params": [index_of[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {index_of[id(p)]: per_param for p, per_param in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state_dict() of an optimizer over parameters of the same shapes; checks everything first."""
        self.state, self.param_groups = self._restored(state_dict)

    def _restored(self, state_dict):
        """(state, param_groups) that loading `state_dict` gives, after checking it; changes nothing."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict expects a dict with the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the loaded state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: loaded parameter group {i} has {len(saved['params'])} parameters, "
                                 f"this optimizer's group {i} has {len(group['params'])}")
        param_of = {index: p for saved, group in zip(saved_groups, self.param_groups)
                    for index, p in zip(saved["params"], group["params"])}
        state = {}
        for index, per_param in state_dict["state"].items():
            if index not in param_of:
                raise ValueError(f"{name}: the loaded state dict has state for parameter {index}, "
                                 f"which none of its parameter groups lists")
            p = param_of[index]
            for key, value in per_param.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(f"{name}: loaded state {key!r} of parameter {index} has shape {value.shape}, "
                                     f"the parameter has shape {p.shape}")
            state[p] = {key: value.astype(p.dtype) if isinstance(value, np.ndarray) else value
                        for key, value in per_param.items()}  # astype copies: no buffer shared with the source
        groups = [{**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}), "params": group["params"]}
                  for saved, group in zip(saved_groups, self.param_groups)]
        for group in groups:
            self._check_group(group)
        return state, groups


def _check_number(optimizer, name, value, valid=None, rule=""):
    """TypeError unless `value` is a real number; ValueError naming the hyper-parameter unless `valid(value)`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer}: {name} must be a number, got {value!r}")
    if valid is not None and not valid(value):
        raise ValueError(f"{optimizer}: invalid {name}={value!r} ({rule})")


# From content/07_optimizers.py, cell 6 (Part 2 · Stochastic gradient descent and weight decay)
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check_number("SGD", "lr", group["lr"], lambda v: v >= 0, "the learning rate must be >= 0")
        _check_number("SGD", "momentum", group["momentum"], lambda v: v >= 0, "must be >= 0")
        _check_number("SGD", "dampening", group["dampening"])
        _check_number("SGD", "weight_decay", group["weight_decay"], lambda v: v >= 0, "must be >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: invalid nesterov=True (Nesterov momentum needs momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']})")

    def step(self):
        for group, p, grad in self._params_with_grads():
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            if group["momentum"] != 0:
                grad = self._momentum_direction(p, grad, group)
            p.data -= group["lr"] * grad


# From content/07_optimizers.py, cell 10 (Part 3 · Momentum, dampening and Nesterov)
@patch_to(SGD)
def _momentum_direction(self, p, grad, group):
    """The direction SGD steps along for `p` when momentum is on; updates the momentum buffer."""
    state = self.state.setdefault(p, {})
    buffer = state.get("momentum_buffer")
    if buffer is None:
        buffer = state["momentum_buffer"] = grad.copy()
    else:
        buffer *= group["momentum"]
        buffer += (1 - group["dampening"]) * grad
    return grad + group["momentum"] * buffer if group["nesterov"] else buffer


# From content/07_optimizers.py, cell 14 (Part 4 · Adam: a step size per parameter)
class Adam(Optimizer):
    """Adam with bias-corrected moments; weight_decay is L2, added to the gradient (PyTorch's Adam)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        name = type(self).__name__
        _check_number(name, "lr", group["lr"], lambda v: v >= 0, "the learning rate must be >= 0")
        _check_number(name, "eps", group["eps"], lambda v: v >= 0, "must be >= 0")
        _check_number(name, "weight_decay", group["weight_decay"], lambda v: v >= 0, "must be >= 0")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for index, beta in enumerate(betas):
            _check_number(name, f"beta at index {index}", beta, lambda v: 0 <= v < 1, "betas must be in [0, 1)")
        group["betas"] = tuple(betas)

    def step(self):
        for group, p, grad in self._params_with_grads():
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            self._adam_update(p, grad, group)

    def _adam_update(self, p, grad, group):
        """One Adam step for p with gradient `grad` (weight decay already handled by step())."""
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        beta1, beta2 = group["betas"]
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p.data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


# From content/07_optimizers.py, cell 18 (Part 5 · AdamW: decoupled weight decay)
class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then the Adam step (PyTorch's AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self):
        for group, p, grad in self._params_with_grads():
            p.data *= 1 - group["lr"] * group["weight_decay"]
            self._adam_update(p, grad, group)
