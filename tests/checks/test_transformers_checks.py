"""Each module-13 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import numpy as np

from tinytorch.checks import transformers as checks
from tinytorch.core import transformers as tf
from tinytorch.core.tensor import Tensor, arange
from tinytorch.random import default_generator

from mutants import make_mutant_tests


def layer_norm_unbiased(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    n = input.shape[-1]
    mean = input.mean(dim=-1, keepdim=True)
    centered = input - mean
    variance = (centered * centered).sum(dim=-1, keepdim=True) / (n - 1)  # divides by n - 1
    return centered / (variance + eps).sqrt()


def layer_norm_eps_outside(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    dims = tuple(range(-len(np.atleast_1d(normalized_shape)), 0))
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    std = (centered * centered).mean(dim=dims, keepdim=True).sqrt()
    return centered / (std + eps)


def layer_norm_over_everything(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    centered = input - input.mean()
    return centered / ((centered * centered).mean() + eps).sqrt()


def layer_norm_on_numpy(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return Tensor(tf.layer_norm(input.detach(), normalized_shape, weight, bias, eps).data)  # no graph


class PostNormBlock(tf.TransformerBlock):
    def forward(self, x):
        x = self.ln_1(x + self.attn(x))
        return self.ln_2(x + self.mlp(x))


class NoResidualBlock(tf.TransformerBlock):
    def forward(self, x):
        return self.mlp(self.ln_2(self.attn(self.ln_1(x))))


class OneNormBlock(tf.TransformerBlock):
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_1(x))  # ln_1 used twice


class GPTWithoutPositions(tf.GPT):
    def forward(self, idx):
        x = self.wte(idx)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class GPTEmbeddingIdsAsPositions(tf.GPT):
    def forward(self, idx):
        x = self.wte(idx) + self.wpe(idx)  # position table looked up with the token ids
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class GPTWithoutEmbeddingDropout(tf.GPT):
    def forward(self, idx):
        if idx.shape[1] > self.block_size:  # the given validation, before the exercise's region
            return super().forward(idx)
        x = self.wte(idx) + self.wpe(arange(idx.shape[1]))  # self.drop left out
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class GPTDroppingOnlyTheTokens(tf.GPT):
    def forward(self, idx):
        if idx.shape[1] > self.block_size:
            return super().forward(idx)
        x = self.drop(self.wte(idx)) + self.wpe(arange(idx.shape[1]))  # the positions escape the dropout
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class GPTDroppingAfterTheBlocks(tf.GPT):
    def forward(self, idx):
        if idx.shape[1] > self.block_size:
            return super().forward(idx)
        x = self.wte(idx) + self.wpe(arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(self.drop(x)))


class GPTWithoutFinalNorm(tf.GPT):
    def forward(self, idx):
        x = self.wte(idx) + self.wpe(arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(x)


def _softmax_draw(scaled, rng):
    shifted = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    p = shifted / shifted.sum(axis=-1, keepdims=True)
    return np.minimum((p.cumsum(-1) < rng.random((len(p), 1))).sum(-1), p.shape[-1] - 1).astype(np.int64)


def sample_multiplying_temperature(logits, temperature=1.0, top_k=None):
    return tf.sample_next(np.asarray(getattr(logits, "data", logits)) * temperature ** 2, temperature, top_k)


def sample_top_k_keeping_the_smallest(logits, temperature=1.0, top_k=None):
    scaled = np.asarray(getattr(logits, "data", logits), dtype=np.float64) / temperature
    if top_k is not None:
        kth = np.sort(scaled, axis=-1)[:, top_k - 1][:, None]
        scaled = np.where(scaled > kth, -np.inf, scaled)
    return _softmax_draw(scaled, default_generator())


def sample_without_max_shift(logits, temperature=1.0, top_k=None):
    scaled = np.asarray(getattr(logits, "data", logits), dtype=np.float64) / temperature
    if top_k is not None:
        kth = np.sort(scaled, axis=-1)[:, -top_k][:, None]
        scaled = np.where(scaled < kth, -np.inf, scaled)
    p = np.exp(scaled) / np.exp(scaled).sum(axis=-1, keepdims=True)  # overflows at logits of 1000
    return np.minimum((p.cumsum(-1) < default_generator().random((len(p), 1))).sum(-1), p.shape[-1] - 1).astype(np.int64)


def sample_unseeded(logits, temperature=1.0, top_k=None):
    scaled = np.asarray(getattr(logits, "data", logits), dtype=np.float64) / temperature
    if top_k is not None:
        kth = np.sort(scaled, axis=-1)[:, -top_k][:, None]
        scaled = np.where(scaled < kth, -np.inf, scaled)
    return _softmax_draw(scaled, np.random.default_rng())  # not tinytorch's generator


CASES = [
    (checks.check_layer_norm, (tf.layer_norm, tf.LayerNorm),
     [((layer_norm_unbiased, tf.LayerNorm), "divide by n, not n - 1"),
      ((layer_norm_eps_outside, tf.LayerNorm), "inside the root"),
      ((layer_norm_over_everything, tf.LayerNorm), "over the last dim"),
      ((layer_norm_on_numpy, tf.LayerNorm), "gradients flow")]),
    (checks.check_transformer_block, tf.TransformerBlock,
     [(PostNormBlock, "post-norm"), (NoResidualBlock, "no residual"), (OneNormBlock, "ln_2")]),
    (checks.check_gpt, tf.GPT,
     [(GPTWithoutPositions, "position embeddings"), (GPTEmbeddingIdsAsPositions, "wpe of the positions"),
      (GPTWithoutFinalNorm, "final LayerNorm"), (GPTWithoutEmbeddingDropout, "apply self.drop"),
      (GPTDroppingOnlyTheTokens, "SUM of the token and position"), (GPTDroppingAfterTheBlocks, "before the blocks")]),
    (checks.check_sampling, tf.sample_next,
     [(sample_multiplying_temperature, "logits / temperature"), (sample_top_k_keeping_the_smallest, "greedy"),
      (sample_without_max_shift, "must not overflow"), (sample_unseeded, "same seed")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
