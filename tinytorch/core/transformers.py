"""Generated from content/13_transformers.py by scripts/build_content.py: edit the source, not this file."""
# From content/13_transformers.py, cell 2 (Part 1 · Layer normalisation)
import math

import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.core.activations import GELU, Softmax
from tinytorch.core.attention import scaled_dot_product_attention
from tinytorch.core.embeddings import Embedding
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter
from tinytorch.core.tensor import Tensor, arange
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["layer_norm", "LayerNorm", "MLP", "CausalSelfAttention", "TransformerBlock", "GPT", "sample_next"]


def _normalized_dims(input, normalized_shape, op):
    """normalized_shape as a tuple, checked against the input's last dimensions; the dims to reduce."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op} expects a Tensor input, got {type(input).__name__}")
    if len(shape) == 0 or input.shape[input.ndim - len(shape):] != shape:
        raise RuntimeError(f"{op}: normalized_shape {shape} must match the input's last dimensions; "
                           f"the input has shape {input.shape}")
    return shape, tuple(range(-len(shape), 0))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then scale and shift, as F.layer_norm."""
    shape, dims = _normalized_dims(input, normalized_shape, "layer_norm")
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    variance = (centered * centered).mean(dim=dims, keepdim=True)
    normalized = centered / (variance + eps).sqrt()
    if weight is not None:
        normalized = normalized * weight
    if bias is not None:
        normalized = normalized + bias
    return normalized


class LayerNorm(Module):
    """Layer normalisation with a learned scale (ones) and shift (zeros), as torch.nn.LayerNorm."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape, dtype=np.float32)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype=np.float32)) if elementwise_affine and bias else None

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


# From content/13_transformers.py, cell 6 (Part 2 · The blocks: MLP, causal self-attention, residuals)
class MLP(Module):
    """The position-wise feed-forward block: Linear(E, 4E) -> GELU (tanh form) -> Linear(4E, E) -> Dropout."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd)
        self.gelu = GELU(approximate="tanh")
        self.c_proj = Linear(4 * n_embd, n_embd)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class CausalSelfAttention(Module):
    """Multi-head self-attention in which position t sees positions 0..t only (module 12's
    scaled_dot_product_attention with is_causal=True); queries, keys and values from one Linear(E, 3E)."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"CausalSelfAttention: n_embd={n_embd} must be divisible by n_head={n_head}")
        self.n_embd, self.n_head, self.dropout_p = n_embd, n_head, dropout
        self.c_attn = Linear(n_embd, 3 * n_embd)
        self.c_proj = Linear(n_embd, n_embd)
        self.dropout = Dropout(dropout)

    def _heads(self, x):
        """Queries, keys and values, each (B, n_head, T, head_size), from x of shape (B, T, E)."""
        B, T, E = x.shape
        qkv = self.c_attn(x).reshape(B, T, 3, self.n_head, E // self.n_head).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self._heads(x)
        y = scaled_dot_product_attention(q, k, v, dropout_p=self.dropout_p if self.training else 0.0,
                                         is_causal=True)
        return self.dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, E)))

    def attention_weights(self, x):
        """The attention probabilities (B, n_head, T, T) this layer uses on x, for plots (no graph)."""
        with no_grad():
            q, k, _ = self._heads(x)
            T = x.shape[1]
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
            future = np.triu(np.ones((T, T), dtype=bool), k=1)
            scores = Tensor(np.where(future, -np.inf, scores.data), dtype=scores.dtype)
            return Softmax(dim=-1)(scores)


class TransformerBlock(Module):
    """A pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x))."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


# From content/13_transformers.py, cell 10 (Part 3 · GPT)
class GPT(Module):
    """A decoder-only transformer language model: token ids (B, T) -> next-token logits (B, T, vocab_size)."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, dropout=0.0):
        super().__init__()
        for name, value in [("vocab_size", vocab_size), ("block_size", block_size), ("n_layer", n_layer),
                            ("n_head", n_head), ("n_embd", n_embd)]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd={n_embd} must be divisible by n_head={n_head}")
        self.vocab_size, self.block_size = vocab_size, block_size
        self.wte = Embedding(vocab_size, n_embd)
        self.wpe = Embedding(block_size, n_embd)
        self.drop = Dropout(dropout)
        self.h = ModuleList([TransformerBlock(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd)
        self.lm_head = Linear(n_embd, vocab_size, bias=False)
        self._init_weights(n_layer)

    def _init_weights(self, n_layer):
        rng = default_generator()
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                p.data[...] = 0
            elif name.startswith("ln") or ".ln_" in name:
                continue  # LayerNorm: weight ones, bias zeros
            else:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                p.data[...] = rng.normal(0.0, std, p.shape)

    def forward(self, idx):
        if not isinstance(idx, Tensor) or idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise TypeError(f"GPT expects token ids as an integer Tensor of shape (B, T), got "
                            f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {getattr(idx, 'shape', None)}")
        B, T = idx.shape
        if T > self.block_size:
            raise ValueError(f"GPT: a sequence of length {T} is longer than block_size={self.block_size}")
        x = self.drop(self.wte(idx) + self.wpe(arange(T)))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def extra_repr(self):
        return f"vocab_size={self.vocab_size}, block_size={self.block_size}"


# From content/13_transformers.py, cell 14 (Part 4 · Generating text: temperature and top-k)
def sample_next(logits, temperature=1.0, top_k=None):
    """One token id per row of `logits` (B, V), drawn from softmax(logits / temperature) restricted to the
    top_k highest logits; returns an int64 numpy array of shape (B,)."""
    logits = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    scaled = logits / temperature
    if top_k is not None and top_k < scaled.shape[-1]:
        kth = np.sort(scaled, axis=-1)[:, -top_k][:, None]
        scaled = np.where(scaled < kth, -np.inf, scaled)
    shifted = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
    uniform = default_generator().random((len(probabilities), 1))
    chosen = (probabilities.cumsum(axis=-1) < uniform).sum(axis=-1)
    return np.minimum(chosen, probabilities.shape[-1] - 1).astype(np.int64)


@patch_to(GPT)
def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
    """Extend the ids idx (B, T) by max_new_tokens sampled tokens; returns an int64 Tensor (B, T + new)."""
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")
    ids = np.asarray(getattr(idx, "data", idx))
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise TypeError(f"generate expects token ids as integers of shape (B, T), got {ids.dtype} {ids.shape}")
    ids = ids.astype(np.int64)
    was_training = self.training
    self.eval()
    try:
        with no_grad():
            for _ in range(max_new_tokens):
                context = Tensor(ids[:, -self.block_size:], dtype=np.int64)
                logits = self(context).data[:, -1, :]
                ids = np.concatenate([ids, sample_next(logits, temperature, top_k)[:, None]], axis=1)
    finally:
        self.train(was_training)
    return Tensor(ids, dtype=np.int64)
