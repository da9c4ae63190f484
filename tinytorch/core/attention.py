"""Generated from content/12_attention.py by scripts/build_content.py: edit the source, not this file."""
# From content/12_attention.py, cell 2 (Part 1 · Scores, and why we divide by √d)
import math
import numbers

import numpy as np

from tinytorch.core.activations import Softmax
from tinytorch.core.layers import Dropout, Linear, Module, Parameter
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

__all__ = ["attention_scores", "causal_mask", "attention_bias", "scaled_dot_product_attention", "split_heads",
           "merge_heads", "MultiheadAttention"]


def _require_tensor(value, name, op):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): {name} must be a Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise TypeError(f"{op}(): {name} must be floating point, got dtype {value.dtype}")


def attention_scores(query, key, scale=None):
    """query @ key^T * scale for query (..., L, E) and key (..., S, E) -> (..., L, S); scale defaults to 1/sqrt(E)."""
    _require_tensor(query, "query", "attention_scores")
    _require_tensor(key, "key", "attention_scores")
    if query.ndim < 2 or key.ndim < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(f"attention_scores(): query {query.shape} and key {key.shape} must be (..., L, E) and "
                         "(..., S, E) with the same E")
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    return (query @ key.transpose(-2, -1)) * scale


# From content/12_attention.py, cell 8 (Part 2 · Masks: who may look at whom)
def causal_mask(L, S=None):
    """(L, S) boolean Tensor, True where query i may attend key j (j <= i: itself and the past), as the mask
    F.scaled_dot_product_attention(is_causal=True) uses (top-left aligned when L != S)."""
    S = L if S is None else S
    return Tensor(np.tril(np.ones((L, S), dtype=np.bool_)), dtype=np.bool_)


def attention_bias(attn_mask, dtype=np.float32):
    """The float to add to the scores for an F.scaled_dot_product_attention mask: a boolean mask gives 0 where
    True (take part) and -inf where False; a float mask is added as it is."""
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"attn_mask must be a Tensor (bool or float), got {type(attn_mask).__name__}")
    if attn_mask.dtype.kind == "f":
        return Tensor(attn_mask.data, dtype=dtype)
    if attn_mask.dtype != np.bool_:
        raise TypeError(f"attn_mask must be bool or floating point, got dtype {attn_mask.dtype}")
    return Tensor(np.where(attn_mask.data, 0.0, -np.inf), dtype=dtype)


# From content/12_attention.py, cell 13 (Part 3 · Softmax over the keys, then a weighted sum of values)
def _broadcast_bias(bias, L, S, op):
    """Check that a float bias broadcasts to (..., L, S); RuntimeError naming the shapes otherwise."""
    if bias.ndim < 1 or bias.shape[-1] not in (1, S) or (bias.ndim >= 2 and bias.shape[-2] not in (1, L)):
        raise RuntimeError(f"{op}: attn_mask of shape {bias.shape} does not broadcast to the scores' (..., {L}, {S})")
    return bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). A boolean attn_mask is True where
    a pair TAKES PART; a float attn_mask is added to the scores. is_causal applies causal_mask(L, S). A query
    with every key masked gets zeros (PyTorch's behaviour), not NaN. dropout_p > 0 drops weights every call."""
    op = "scaled_dot_product_attention()"
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        _require_tensor(tensor, name, "scaled_dot_product_attention")
    L, S = query.shape[-2], key.shape[-2]
    if value.ndim < 2 or value.shape[-2] != S:
        raise ValueError(f"{op}: key {key.shape} and value {value.shape} must have the same number of keys S")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{op}: dropout_p must be between 0 and 1, got {dropout_p}")
    scores = attention_scores(query, key, scale)
    mask = causal_mask(L, S) if is_causal else attn_mask
    bias_values = np.zeros((1, 1), dtype=query.dtype) if mask is None else \
        _broadcast_bias(attention_bias(mask, query.dtype), L, S, op).data
    dead = np.all(np.isneginf(bias_values), axis=-1, keepdims=True)  # queries with nothing to attend to
    bias = Tensor(np.where(dead, 0, bias_values), dtype=query.dtype)
    alive = Tensor(~dead, dtype=query.dtype)
    weights = Softmax(dim=-1)(scores + bias) * alive
    if dropout_p > 0:
        weights = Dropout(dropout_p)(weights)
    return weights @ value


# From content/12_attention.py, cell 17 (Part 4 · Many heads: reshape and transpose)
def split_heads(x, num_heads):
    """(..., L, E) -> (..., H, L, E // H): head h of position l holds x[..., l, h*D:(h+1)*D]."""
    if x.shape[-1] % num_heads:
        raise ValueError(f"split_heads(): the width {x.shape[-1]} is not divisible by num_heads={num_heads}")
    return x.reshape(*x.shape[:-1], num_heads, x.shape[-1] // num_heads).transpose(-3, -2)


def merge_heads(x):
    """(..., H, L, D) -> (..., L, H * D): the inverse of split_heads."""
    heads, length, size = x.shape[-3:]
    return x.transpose(-3, -2).reshape(*x.shape[:-3], length, heads * size)


class NonDynamicallyQuantizableLinear(Linear):
    """A plain Linear; PyTorch gives out_proj this class name (so its quantization tools leave it alone), and
    print(model) shows it, so tinytorch does too."""


def _module_mask(mask, dtype, what):
    """nn.MultiheadAttention's convention: a boolean mask is True where attention is NOT allowed (-inf), a float
    mask is added as it is."""
    if mask.dtype == np.bool_:
        return Tensor(np.where(mask.data, -np.inf, 0.0), dtype=dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {what} must be bool or floating point, got dtype {mask.dtype}")
    return Tensor(mask.data, dtype=dtype)


class MultiheadAttention(Module):
    """torch.nn.MultiheadAttention: H heads of size embed_dim // H, in_proj_weight (3E, E), in_proj_bias (3E,),
    out_proj Linear(E, E). forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights or None). Boolean masks: True = NOT allowed."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False):
        super().__init__()
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by num_heads={num_heads} "
                             f"(each head gets embed_dim // num_heads dimensions)")
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be between 0 and 1, got {dropout}")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                                      "embed_dim are not supported by tinytorch")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        bound = math.sqrt(6 / (embed_dim + 3 * embed_dim))  # Xavier-uniform on (3E, E): fan_in E, fan_out 3E
        self.in_proj_weight = Parameter(default_generator().uniform(-bound, bound, (3 * embed_dim, embed_dim)))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _project(self, x, index):
        """The query (0), key (1) or value (2) projection: x @ W_i^T + b_i with W_i rows i*E .. (i+1)*E of in_proj."""
        rows = slice(index * self.embed_dim, (index + 1) * self.embed_dim)
        out = x @ self.in_proj_weight[rows].T
        return out if self.in_proj_bias is None else out + self.in_proj_bias[rows]

    def _mask_bias(self, attn_mask, key_padding_mask, batch, L, S, dtype):
        """The float to add to the (N, H, L, S) scores, from masks in the module's convention (True = blocked)."""
        bias = None
        if attn_mask is not None:
            if attn_mask.shape not in ((L, S), (batch * self.num_heads, L, S)):
                raise RuntimeError(f"MultiheadAttention: attn_mask of shape {attn_mask.shape} should be ({L}, {S}) "
                                   f"or ({batch * self.num_heads}, {L}, {S}) (batch * num_heads, L, S)")
            bias = _module_mask(attn_mask, dtype, "attn_mask")
            if bias.ndim == 3:
                bias = bias.reshape(batch, self.num_heads, L, S)
        if key_padding_mask is not None:
            if key_padding_mask.shape != (batch, S):
                raise RuntimeError(f"MultiheadAttention: key_padding_mask of shape {key_padding_mask.shape} "
                                   f"should be (batch, S) = ({batch}, {S})")
            padding = _module_mask(key_padding_mask, dtype, "key_padding_mask").reshape(batch, 1, 1, S)
            bias = padding if bias is None else bias + padding
        return bias

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            _require_tensor(tensor, name, "MultiheadAttention")
            if tensor.ndim not in (2, 3) or tensor.shape[-1] != self.embed_dim:
                raise ValueError(f"MultiheadAttention: {name} of shape {tensor.shape} should be (L, N, "
                                 f"{self.embed_dim}) (or (N, L, {self.embed_dim}) with batch_first, (L, "
                                 f"{self.embed_dim}) unbatched)")
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True is only a hint: pass the causal attn_mask too "
                               "(True above the diagonal, the module's convention)")
        batched = query.ndim == 3
        if not batched:  # one sequence: add a batch dimension of 1 and take it off at the end
            query, key, value = (t.reshape(1, *t.shape) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, *key_padding_mask.shape)
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        batch, L, S = query.shape[0], query.shape[1], key.shape[1]
        if key.shape != value.shape or key.shape[0] != batch:
            raise ValueError(f"MultiheadAttention: key {key.shape} and value {value.shape} must match, with the "
                             f"query's batch size {batch}")
        q, k, v = (split_heads(self._project(t, i), self.num_heads) for i, t in enumerate((query, key, value)))
        bias = self._mask_bias(attn_mask, key_padding_mask, batch, L, S, query.dtype)
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:  # the weights are returned, so they are computed here (a fully masked row gives NaN, as torch)
            scores = attention_scores(q, k)
            weights = Softmax(dim=-1)(scores if bias is None else scores + bias)
            if dropout_p > 0:
                weights = Dropout(dropout_p)(weights)  # torch returns the weights after dropout too
            heads = weights @ v
        else:
            heads = scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)
            weights = None
        output = self.out_proj(merge_heads(heads))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            output = output.reshape(*output.shape[1:])
            weights = None if weights is None else weights.reshape(*weights.shape[1:])
        elif not self.batch_first:
            output = output.transpose(0, 1)
        return output, weights
