"""Benchmark (not a test): one training step of the milestone-2017 GPT in tinytorch vs the same step in plain numpy.

tinytorch.GPT (content/13_transformers.py) in the configuration of milestone 2017 and its TinyTalks checkpoint:
vocabulary 71 characters, 4 layers, 4 heads, 64-dimensional embeddings, context 64; a batch of 16 windows of 64
characters of the TinyTalks training text, every next character predicted (cross-entropy), AdamW(lr=2e-3,
weight_decay=0.1) as the milestone times it. Dropout is 0 here (the milestone trains with 0.1): a random mask could
not be shared by the two sides; the checkpoint's training also clipped the gradient norm, left out as the
milestone's timing cell does.

The numpy side writes the whole step by hand: token and position embeddings, pre-norm blocks of LayerNorm, causal
multi-head attention (Linear(E, 3E) for queries, keys and values, softmax with -inf above the diagonal), LayerNorm,
MLP with the tanh-form GELU tinytorch's MLP uses, the final LayerNorm and lm_head (no weight tying in tinytorch's
GPT: lm_head has its own weight and no bias), cross-entropy, the full backward, and AdamW's update of all parameters
(tinytorch's AdamW decays every parameter it is given, biases and LayerNorm included, as the milestone passes them).
Both sides start from the same weights; after one step the loss, every gradient and every updated parameter must
agree, then each side is timed over several steps (best of several rounds) and the ratio is printed.

    python benchmarks/gpt_step.py
"""
from _common import (adam_update, assert_same, assert_same_after_adam, assert_same_loss,  # sets 1 BLAS thread
                     best_seconds_per_step, report)

import math

import numpy as np

import tinytorch
from tinytorch import GPT, CharTokenizer, Tensor
from tinytorch.datasets import load_tinytalks
from tinytorch.nn import functional as F
from tinytorch.optim import AdamW

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = 4, 4, 64, 64, 16
LR, WEIGHT_DECAY, EPS = 2e-3, 0.1, 1e-5  # EPS: LayerNorm's
GELU_C = math.sqrt(2 / math.pi)


def tinytorch_step(model, optimizer, idx, targets):
    optimizer.zero_grad()
    logits = model(idx)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


# ---- the numpy side: activations as rows (B*T, E), the batch and time dims only separated for attention

def layer_norm_forward(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    inv_std = 1 / np.sqrt((centered * centered).mean(-1, keepdims=True) + EPS)
    normalized = centered * inv_std
    return normalized * weight + bias, (normalized, inv_std)


def layer_norm_backward(grad, weight, saved):
    """(grad x, grad weight, grad bias): the closed form of the layer-norm backward."""
    normalized, inv_std = saved
    scaled = grad * weight
    grad_x = inv_std * (scaled - scaled.mean(-1, keepdims=True)
                        - normalized * (scaled * normalized).mean(-1, keepdims=True))
    return grad_x, (grad * normalized).sum(0), grad.sum(0)


def attention_forward(x, w_attn, b_attn, w_proj, b_proj, batch):
    """Causal multi-head self-attention of rows x (B*T, E): the output rows and what the backward needs."""
    rows, width = x.shape
    time, size = rows // batch, width // N_HEAD
    qkv = x @ w_attn.T + b_attn
    q, k, v = qkv.reshape(batch, time, 3, N_HEAD, size).transpose(2, 0, 3, 1, 4)  # each (B, H, T, D)
    scores = (q @ k.swapaxes(-1, -2)) * (1 / math.sqrt(size))
    scores += np.triu(np.full((time, time), -np.inf, dtype=x.dtype), k=1)  # position t sees 0..t only
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    y = (weights @ v).transpose(0, 2, 1, 3).reshape(rows, width)  # heads side by side again
    return y @ w_proj.T + b_proj, (x, q, k, v, weights, y)


def attention_backward(grad, w_attn, w_proj, saved):
    """(grad x, grad w_attn, grad b_attn, grad w_proj, grad b_proj) from grad of the output rows."""
    x, q, k, v, weights, y = saved
    batch, heads, time, size = q.shape
    grad_w_proj, grad_b_proj = grad.T @ y, grad.sum(0)
    grad_y = (grad @ w_proj).reshape(batch, time, heads, size).transpose(0, 2, 1, 3)
    grad_weights = grad_y @ v.swapaxes(-1, -2)
    grad_v = weights.swapaxes(-1, -2) @ grad_y
    grad_scores = weights * (grad_weights - (grad_weights * weights).sum(-1, keepdims=True)) * (1 / math.sqrt(size))
    grad_q, grad_k = grad_scores @ k, grad_scores.swapaxes(-1, -2) @ q
    grad_qkv = np.stack([grad_q, grad_k, grad_v]).transpose(1, 3, 0, 2, 4).reshape(len(x), -1)
    return grad_qkv @ w_attn, grad_qkv.T @ x, grad_qkv.sum(0), grad_w_proj, grad_b_proj


def gelu_forward(x):
    """GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); returns it and its slope."""
    x2 = x * x
    t = np.tanh(GELU_C * (x + 0.044715 * x2 * x))
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x2)


def numpy_loss_and_grads(p, idx, targets):
    """Forward and backward of the GPT by hand: (loss, gradient of every parameter in p, named as tinytorch's)."""
    batch, time = idx.shape
    x = (p["wte.weight"][idx] + p["wpe.weight"][:time]).reshape(batch * time, -1)
    saved = []
    for layer in range(N_LAYER):
        n = f"h.{layer}."
        h1, ln1 = layer_norm_forward(x, p[n + "ln_1.weight"], p[n + "ln_1.bias"])
        a, attn = attention_forward(h1, p[n + "attn.c_attn.weight"], p[n + "attn.c_attn.bias"],
                                    p[n + "attn.c_proj.weight"], p[n + "attn.c_proj.bias"], batch)
        x = x + a
        h2, ln2 = layer_norm_forward(x, p[n + "ln_2.weight"], p[n + "ln_2.bias"])
        f = h2 @ p[n + "mlp.c_fc.weight"].T + p[n + "mlp.c_fc.bias"]
        g, slope = gelu_forward(f)
        x = x + g @ p[n + "mlp.c_proj.weight"].T + p[n + "mlp.c_proj.bias"]
        saved.append((ln1, attn, h2, ln2, g, slope))
    hf, lnf = layer_norm_forward(x, p["ln_f.weight"], p["ln_f.bias"])
    logits = hf @ p["lm_head.weight"].T

    rows, labels = np.arange(len(logits)), targets.reshape(-1)
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = shifted / shifted.sum(1, keepdims=True)
    loss = -np.log(probabilities[rows, labels]).mean()
    grad_logits = probabilities
    grad_logits[rows, labels] -= 1
    grad_logits /= len(logits)

    grads = {"lm_head.weight": grad_logits.T @ hf}
    grad_x, grads["ln_f.weight"], grads["ln_f.bias"] = layer_norm_backward(grad_logits @ p["lm_head.weight"],
                                                                           p["ln_f.weight"], lnf)
    for layer in reversed(range(N_LAYER)):
        n = f"h.{layer}."
        ln1, attn, h2, ln2, g, slope = saved[layer]
        grads[n + "mlp.c_proj.weight"], grads[n + "mlp.c_proj.bias"] = grad_x.T @ g, grad_x.sum(0)
        grad_f = (grad_x @ p[n + "mlp.c_proj.weight"]) * slope
        grads[n + "mlp.c_fc.weight"], grads[n + "mlp.c_fc.bias"] = grad_f.T @ h2, grad_f.sum(0)
        grad_h2, grads[n + "ln_2.weight"], grads[n + "ln_2.bias"] = layer_norm_backward(
            grad_f @ p[n + "mlp.c_fc.weight"], p[n + "ln_2.weight"], ln2)
        grad_x = grad_x + grad_h2  # the residual: the gradient reaches x both directly and through the MLP
        (grad_h1, grads[n + "attn.c_attn.weight"], grads[n + "attn.c_attn.bias"], grads[n + "attn.c_proj.weight"],
         grads[n + "attn.c_proj.bias"]) = attention_backward(grad_x, p[n + "attn.c_attn.weight"],
                                                             p[n + "attn.c_proj.weight"], attn)
        grad_h1, grads[n + "ln_1.weight"], grads[n + "ln_1.bias"] = layer_norm_backward(grad_h1, p[n + "ln_1.weight"],
                                                                                        ln1)
        grad_x = grad_x + grad_h1
    grads["wte.weight"] = np.zeros_like(p["wte.weight"])
    np.add.at(grads["wte.weight"], idx.reshape(-1), grad_x)  # a token used twice gets both gradients
    grads["wpe.weight"] = np.zeros_like(p["wpe.weight"])
    grads["wpe.weight"][:time] = grad_x.reshape(batch, time, -1).sum(0)
    return float(loss), grads


def numpy_step(p, state, idx, targets):
    loss, grads = numpy_loss_and_grads(p, idx, targets)
    adam_update(p, grads, state, LR, weight_decay=WEIGHT_DECAY, decoupled=True)
    return loss


def build(seed=0):
    """Both sides from the same seed and the same batch of TinyTalks windows. Returns (tinytorch step, numpy step,
    model, numpy parameters, a function giving this step's numpy gradients)."""
    tinytorch.manual_seed(seed)
    train_text, _ = load_tinytalks()
    tokenizer = CharTokenizer(train_text)
    ids = np.asarray(tokenizer.encode(train_text), dtype=np.int64)
    starts = np.random.default_rng(seed).integers(0, len(ids) - BLOCK - 1, BATCH)
    windows = np.stack([ids[s:s + BLOCK + 1] for s in starts])
    idx_np, targets_np = windows[:, :-1], windows[:, 1:].reshape(-1)

    model = GPT(len(tokenizer), BLOCK, N_LAYER, N_HEAD, N_EMBD, dropout=0.0)
    optimizer = AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    idx, targets = Tensor(idx_np, dtype=np.int64), Tensor(targets_np, dtype=np.int64)
    params, state = {name: t.data.copy() for name, t in model.named_parameters()}, {}
    return (lambda: tinytorch_step(model, optimizer, idx, targets)), \
        (lambda: numpy_step(params, state, idx_np, targets_np)), model, params, \
        (lambda: numpy_loss_and_grads(params, idx_np, targets_np)[1])


def first_step(ours, plain, model, params, numpy_grads):
    """One step on each side from the same weights; asserts that the loss, every gradient and every parameter after
    AdamW's update agree. Returns the loss."""
    grads = numpy_grads()  # at the starting weights, before either side steps
    loss_ours, loss_plain = ours(), plain()
    assert_same_loss(loss_ours, loss_plain)
    named = dict(model.named_parameters())
    ours_grads = {n: t.grad.data for n, t in named.items()}
    assert_same("gradient", ours_grads, grads, rtol=1e-4, atol=1e-8)
    assert_same_after_adam({n: t.data for n, t in named.items()}, params, ours_grads, grads, LR)
    return loss_ours


def main():
    ours, plain, *rest = build()
    loss = first_step(ours, plain, *rest)
    report(f"GPT {N_LAYER} layers, {N_HEAD} heads, n_embd {N_EMBD}, batch {BATCH}x{BLOCK} TinyTalks tokens, AdamW, "
           "dropout 0", loss,
           best_seconds_per_step(5, 5, tinytorch=ours, numpy=plain))


if __name__ == "__main__":
    main()
