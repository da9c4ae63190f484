"""Each module-12 check accepts the reference and rejects a deliberately wrong implementation (a mutant)."""
import math

import numpy as np

from tinytorch.checks import attention as checks
from tinytorch.core.activations import Softmax
from tinytorch.core.attention import (MultiheadAttention, _module_mask, attention_bias, attention_scores, causal_mask,
                                      merge_heads, scaled_dot_product_attention, split_heads)
from tinytorch.core.layers import Dropout
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


def scores_over_e(query, key, scale=None):
    return (query @ key.transpose(-2, -1)) * (1 / query.shape[-1] if scale is None else scale)


def scores_unscaled(query, key, scale=None):
    return (query @ key.transpose(-2, -1)) * (1.0 if scale is None else scale)


def scores_ignoring_scale(query, key, scale=None):
    return (query @ key.transpose(-2, -1)) * (1 / math.sqrt(query.shape[-1]))


def scores_with_scale_or_default(query, key, scale=None):
    return (query @ key.transpose(-2, -1)) * (scale or 1 / math.sqrt(query.shape[-1]))  # scale=0.0 lost


def scores_on_numpy(query, key, scale=None):
    """Right numbers, no graph: computed on the arrays, so no gradient reaches the query."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    return Tensor(query.data @ np.swapaxes(key.data, -1, -2) * scale)


def causal_mask_hiding_diagonal(L, S=None):
    S = L if S is None else S
    return Tensor(np.tril(np.ones((L, S), dtype=np.bool_), k=-1), dtype=np.bool_)


def causal_mask_upper(L, S=None):
    """The future instead of the past."""
    S = L if S is None else S
    return Tensor(np.triu(np.ones((L, S), dtype=np.bool_)), dtype=np.bool_)


def causal_mask_bottom_right(L, S=None):
    """Aligned to the bottom-right corner when L != S (another library's convention, not PyTorch's is_causal)."""
    S = L if S is None else S
    return Tensor(np.tril(np.ones((L, S), dtype=np.bool_), k=S - L), dtype=np.bool_)


def bias_inverted(attn_mask, dtype=np.float32):
    """nn.MultiheadAttention's convention used for SDPA: True = blocked."""
    if attn_mask.dtype.kind == "f":
        return Tensor(attn_mask.data, dtype=dtype)
    return Tensor(np.where(attn_mask.data, -np.inf, 0.0), dtype=dtype)


def sdpa_softmax_over_queries(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    scores = attention_scores(query, key, scale)
    return Softmax(dim=-2)(scores) @ value


def sdpa_inverted_mask(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    if attn_mask is not None and attn_mask.dtype == np.bool_:
        attn_mask = Tensor(~attn_mask.data, dtype=np.bool_)
    return scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)


def sdpa_nan_for_dead_rows(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """A plain softmax of scores + bias: a query with every key masked gets NaN."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("attn_mask with is_causal")
    scores = attention_scores(query, key, scale)
    mask = causal_mask(query.shape[-2], key.shape[-2]) if is_causal else attn_mask
    if mask is not None:
        scores = scores + attention_bias(mask, query.dtype)
    weights = Softmax(dim=-1)(scores)
    return (Dropout(dropout_p)(weights) if dropout_p > 0 else weights) @ value


def sdpa_ignoring_dropout(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    return scaled_dot_product_attention(query, key, value, attn_mask, 0.0, is_causal, scale)


def sdpa_on_numpy(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """Right numbers, computed on arrays: no gradient flows."""
    out = scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
    return Tensor(out.data, dtype=out.dtype)


def split_heads_without_transpose(x, num_heads):
    return x.reshape(*x.shape[:-2], num_heads, x.shape[-2], x.shape[-1] // num_heads)


def merge_heads_without_transpose(x):
    heads, length, size = x.shape[-3:]
    return x.reshape(*x.shape[:-3], length, heads * size)


def split_heads_interleaved(x, num_heads):
    """Head h takes every H-th dimension (h, h+H, ...) instead of a contiguous slice."""
    size = x.shape[-1] // num_heads
    return x.reshape(*x.shape[:-1], size, num_heads).transpose(-1, -2).transpose(-3, -2)


class MHASplittingWithoutTranspose(MultiheadAttention):
    def forward(self, *args, **kwargs):
        import tinytorch.core.attention as attention
        original_split, original_merge = attention.split_heads, attention.merge_heads
        attention.split_heads, attention.merge_heads = split_heads_without_transpose, merge_heads_without_transpose
        try:
            return super().forward(*args, **kwargs)
        finally:
            attention.split_heads, attention.merge_heads = original_split, original_merge


class MHAWithSDPAMaskConvention(MultiheadAttention):
    """Treats a boolean mask as SDPA does (True = takes part): exactly the wrong keys are attended."""

    def _mask_bias(self, attn_mask, key_padding_mask, batch, L, S, dtype):
        invert = lambda m: None if m is None or m.dtype != np.bool_ else Tensor(~m.data, dtype=np.bool_)
        return super()._mask_bias(invert(attn_mask) if attn_mask is not None and attn_mask.dtype == np.bool_ else attn_mask,
                                  invert(key_padding_mask) if key_padding_mask is not None else None, batch, L, S, dtype)


class MHAWithoutScaling(MultiheadAttention):
    def forward(self, *args, **kwargs):
        import tinytorch.core.attention as attention
        original = attention.attention_scores
        attention.attention_scores = lambda q, k, scale=None: original(q, k, 1.0)
        try:
            return super().forward(*args, **kwargs)
        finally:
            attention.attention_scores = original


class MHAScaledByEmbedDim(MultiheadAttention):
    """Scales by 1/sqrt(embed_dim) instead of 1/sqrt(head_dim)."""

    def forward(self, *args, **kwargs):
        import tinytorch.core.attention as attention
        original, width = attention.attention_scores, self.embed_dim
        attention.attention_scores = lambda q, k, scale=None: original(q, k, 1 / math.sqrt(width))
        try:
            return super().forward(*args, **kwargs)
        finally:
            attention.attention_scores = original


class MHAWithDefaultLinearInit(MultiheadAttention):
    def __init__(self, embed_dim, num_heads, **kwargs):
        super().__init__(embed_dim, num_heads, **kwargs)
        bound = 1 / math.sqrt(embed_dim)
        self.in_proj_weight.data[...] = np.random.default_rng(0).uniform(-bound, bound, self.in_proj_weight.shape)
        self.in_proj_bias.data[...] = np.random.default_rng(1).uniform(-bound, bound, self.in_proj_bias.shape)


class MHAIgnoringBatchFirst(MultiheadAttention):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        super().__init__(embed_dim, num_heads, dropout=dropout, bias=bias, batch_first=True)


CASES = [
    (checks.check_attention_scores, attention_scores,
     [(scores_over_e, "that is 1/E"), (scores_unscaled, "not scaled at all"), (scores_ignoring_scale, "scale=0.1"),
      (scores_with_scale_or_default, "scale is None"), (scores_on_numpy, "gradient")]),
    (checks.check_masks, (causal_mask, attention_bias),
     [((causal_mask_hiding_diagonal, attention_bias), "ITSELF"), ((causal_mask_upper, attention_bias), "future"),
      ((causal_mask_bottom_right, attention_bias), "top-left"), ((causal_mask, bias_inverted), "convention is inverted")]),
    (checks.check_scaled_dot_product_attention, scaled_dot_product_attention,
     [(sdpa_softmax_over_queries, "softmax over the queries"), (sdpa_inverted_mask, "True = takes part"),
      (sdpa_nan_for_dead_rows, "not NaN"), (sdpa_ignoring_dropout, "dropout_p=0.5"), (sdpa_on_numpy, "no gradient")]),
    (checks.check_heads, (split_heads, merge_heads),
     [((split_heads_without_transpose, merge_heads_without_transpose), "mixes positions"),
      ((split_heads_interleaved, merge_heads), "THEN transpose")]),
    (checks.check_multihead_attention, MultiheadAttention,
     [(MHASplittingWithoutTranspose, "with one head the output is right"),
      (MHAWithSDPAMaskConvention, "convention is inverted"), (MHAWithoutScaling, "one head"),
      (MHAScaledByEmbedDim, "with one head the output is right"), (MHAWithDefaultLinearInit, "start at zero"),
      (MHAIgnoringBatchFirst, "batch_first=False")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
