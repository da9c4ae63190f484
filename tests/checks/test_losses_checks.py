"""Each module-04 check accepts the reference losses and rejects realistic mistakes (mutants)."""
import numpy as np

from tinytorch.checks import losses as checks
from tinytorch.core import losses
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, log_softmax
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


class MSEMeanOverRows(MSELoss):
    def _reduce(self, values, input):
        if self.reduction == "mean":
            return Tensor(values.sum() / len(values), dtype=input.dtype)  # divides by N rows, not N elements
        return super()._reduce(values, input)


class MSEBroadcastsSilently(MSELoss):
    def forward(self, input, target):
        target = np.asarray(getattr(target, "data", target), dtype=input.dtype)
        return self._reduce((input.data - target) ** 2, input)  # (4, 1) vs (4,) becomes (4, 4)


def log_of_naive_softmax(x, dim=-1):
    exps = np.exp(x)
    return np.log(exps / exps.sum(axis=dim, keepdims=True))


def log_softmax_global_max(x, dim=-1):
    shifted = x - np.max(x)  # the largest logit of the whole array, not of each row
    return shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))


class CEGlobalMax(CrossEntropyLoss):
    def forward(self, input, target):
        labels = losses._class_targets(target, input)
        logp = log_softmax_global_max(input.data, dim=1)
        return self._reduce(-logp[np.arange(len(labels)), labels], input)


class CEMeanOverClasses(CrossEntropyLoss):
    def forward(self, input, target):
        labels = losses._class_targets(target, input)
        logp = log_softmax(input.data, dim=1)
        onehot = np.eye(input.shape[1])[labels]
        per_entry = -logp * onehot
        if self.reduction == "mean":
            return Tensor(per_entry.mean(), dtype=input.dtype)  # averages N*C numbers instead of N
        return self._reduce(per_entry.sum(axis=1), input)


class CENaiveSoftmaxLog(CrossEntropyLoss):
    def forward(self, input, target):
        labels = losses._class_targets(target, input)
        logp = log_of_naive_softmax(input.data.astype(input.dtype), dim=1)
        return self._reduce(-logp[np.arange(len(labels)), labels], input)


class CEWithoutTargetChecks(CrossEntropyLoss):
    def forward(self, input, target):
        labels = np.asarray(getattr(target, "data", target)).astype(np.int64)  # -1 silently means "last class"
        logp = log_softmax(input.data, dim=1)
        return self._reduce(-logp[np.arange(len(labels)), labels], input)


class BCENaiveLogSigmoid(BCEWithLogitsLoss):
    def forward(self, input, target):
        y = losses._target_array(target, input, "BCEWithLogitsLoss")
        p = 1 / (1 + np.exp(-input.data))
        return self._reduce(-(y * np.log(p) + (1 - y) * np.log(1 - p)), input)


class BCEWithoutRangeCheck(BCEWithLogitsLoss):
    def forward(self, input, target):
        y = losses._target_array(target, input, "BCEWithLogitsLoss")
        x = input.data
        return self._reduce(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))), input)


# (check, reference, [(mutant, a phrase the failure must contain, so it is rejected for the right reason)])
CASES = [
    (checks.check_mse_loss, MSELoss, [(MSEMeanOverRows, "reduction='mean'"), (MSEBroadcastsSilently, "(4, 1)")]),
    (checks.check_log_softmax, log_softmax, [(log_of_naive_softmax, "numpy warned"),
                                             (log_softmax_global_max, "each row's own max")]),
    (checks.check_cross_entropy_loss, CrossEntropyLoss, [(CEMeanOverClasses, "reduction='mean'"),
                                                         (CENaiveSoftmaxLog, "numpy warned"),
                                                         (CEGlobalMax, "each row's own max"),
                                                         (CEWithoutTargetChecks, "target -1")]),
    (checks.check_bce_with_logits_loss, BCEWithLogitsLoss, [(BCENaiveLogSigmoid, "numpy warned"),
                                                            (BCEWithoutRangeCheck, "[0, 1]")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
