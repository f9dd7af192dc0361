"""The forward pass of the supported transformers in float32, every matmul handed to an executor.

:func:`forward` computes the logits of one token sequence. Its matmuls (named as in
:func:`experiments.models.architectures.op_names`) go to an executor with three methods:

* ``project(op, x)``: ``x @ W`` for the weight of projection ``op``; ``x`` is ``(T, K)`` float32;
* ``product(op, A, B)``: an attention product, ``(..., M, K) @ (..., K, N)`` with batch
  dimensions over the heads (one call per op);
* ``store(layer, k, v)``: the keys (after RoPE) and values as the KV cache gives them back,
  ``(T, kv_heads, head_dim)`` each.

:class:`Float32` is the reference executor (NumPy float32 matmuls: the model in float32);
:mod:`experiments.models.emulation` runs every op through a numsim datapath.

Everything else is float32 NumPy: embedding lookup (plus learned positions for GPT-2), RMSNorm
``x / sqrt(mean(x^2) + eps) * w``, LayerNorm ``(x - mean) / sqrt(var + eps) * w + b``, biases
added to a projection's float32 output, rotary embeddings in the rotate-half convention of
Hugging Face Llama (angles ``position * inv_freq`` computed in float64, their cosines and sines
rounded to float32), attention scores ``Q K^T`` times ``1/sqrt(head_dim)`` after the product,
causal masking (keys ``j <= i``; with a sliding window ``w`` also ``i - j < w``), softmax,
SiLU (SwiGLU: ``down(silu(gate(x)) * up(x))``), GELU (tanh approximation or erf) and the
residual additions. Query head ``h`` attends with key/value head ``h // (num_heads /
num_kv_heads)``: Q is arranged ``(kv_heads, group, T, head_dim)`` against keys
``(kv_heads, 1, head_dim, T)``, so ``Q K^T`` and ``P V`` are one batched matmul each.

>>> from experiments.models.architectures import ModelConfig
>>> cfg = ModelConfig(model_type="llama", family="llama", vocab_size=4, hidden_size=4, num_layers=1, num_heads=1,
...                   num_kv_heads=1, head_dim=4, intermediate_size=4, context=8, norm_eps=1e-6, activation="silu",
...                   rope_theta=10000.0)
>>> inverse_frequencies(cfg).tolist()
[1.0, 0.01]
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from .architectures import ModelConfig

_GELU_TANH_C = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


class Float32:
    """The reference executor: every matmul in NumPy float32 (BLAS), the KV cache exact."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights

    def project(self, op: str, x: np.ndarray) -> np.ndarray:
        """``x @ W`` in float32."""
        return np.matmul(x, self.weights[op])

    def product(self, op: str, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """``A @ B`` in float32."""
        return np.matmul(A, B)

    def store(self, layer: int, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keys and values unchanged."""
        return k, v


def forward(config: ModelConfig, weights: dict[str, np.ndarray], tokens, ops) -> np.ndarray:
    """The logits (float32, ``(T, vocab_size)``) of ``tokens`` (``T`` ids, ``1 <= T <= context``).
    Non-finite values (an emulated accumulator that overflowed) propagate without warnings."""
    tokens = check_tokens(tokens, config)
    with np.errstate(over="ignore", invalid="ignore"):
        return _transformer(config, weights, tokens, ops)


def _transformer(config: ModelConfig, weights: dict[str, np.ndarray], tokens: np.ndarray, ops) -> np.ndarray:
    T = len(tokens)
    x = weights["embed"][tokens]
    if config.family == "gpt2":
        x = x + weights["positions"][:T]
    rope = _rope_tables(config, T) if config.family == "llama" else None
    allowed = _attention_mask(T, config.sliding_window)
    for i in range(config.num_layers):
        p = f"layers.{i}."
        h = _norm(config, weights, p + "attn_norm", x)
        if config.family == "gpt2":
            q, k, v = np.split(_linear(ops, weights, p + "attn.qkv_proj", h), 3, axis=-1)
        else:
            q, k, v = (_linear(ops, weights, p + f"attn.{n}_proj", h) for n in "qkv")
        q = q.reshape(T, config.num_heads, config.head_dim)
        k = k.reshape(T, config.num_kv_heads, config.head_dim)
        v = v.reshape(T, config.num_kv_heads, config.head_dim)
        if rope is not None:
            q, k = _rotate(q, *rope), _rotate(k, *rope)
        k, v = ops.store(i, k, v)
        x = x + _linear(ops, weights, p + "attn.o_proj", _attention(ops, p + "attn.", q, k, v, allowed))
        h = _norm(config, weights, p + "mlp_norm", x)
        if config.family == "gpt2":
            inner = _activation(config.activation, _linear(ops, weights, p + "mlp.up_proj", h))
        else:
            inner = _activation(config.activation, _linear(ops, weights, p + "mlp.gate_proj", h)) * _linear(ops, weights, p + "mlp.up_proj", h)
        x = x + _linear(ops, weights, p + "mlp.down_proj", inner)
    return ops.project("lm_head", _norm(config, weights, "final_norm", x))


def check_tokens(tokens, config: ModelConfig) -> np.ndarray:
    """``tokens`` as a 1-D int64 array of ids in ``[0, vocab_size)`` and length in ``[1, context]``."""
    ids = np.asarray(tokens)
    if ids.ndim != 1 or ids.dtype.kind not in "iu" or not 1 <= ids.size <= config.context:
        raise ValueError(f"tokens must be a 1-D integer array of 1 to {config.context} (the context) ids, "
                         f"got shape {ids.shape} and dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= config.vocab_size:
        raise ValueError(f"token ids must lie in [0, {config.vocab_size}) (vocab_size), got ids in [{ids.min()}, {ids.max()}]")
    return ids.astype(np.int64)


def inverse_frequencies(config: ModelConfig) -> np.ndarray:
    """RoPE's ``inv_freq`` (radians per position, float64, ``head_dim / 2`` values):
    ``rope_theta^(-2j / head_dim)``, then ``rope_scaling`` (see
    :class:`~experiments.models.architectures.RopeScaling`)."""
    inv = config.rope_theta ** (-np.arange(0, config.head_dim, 2, dtype=np.float64) / config.head_dim)
    s = config.rope_scaling
    if s is None:
        return inv
    if s.kind == "linear":
        return inv / s.factor
    wavelength = 2 * np.pi / inv
    smooth = (s.original_context / wavelength - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor)
    scaled = np.where(wavelength > s.original_context / s.low_freq_factor, inv / s.factor, inv)
    medium = (wavelength >= s.original_context / s.high_freq_factor) & (wavelength <= s.original_context / s.low_freq_factor)
    return np.where(medium, (1 - smooth) * inv / s.factor + smooth * inv, scaled)


def softmax(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in the input's dtype; ``-inf`` entries get 0."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---- pieces ----------------------------------------------------------------------------------


def _linear(ops, weights: dict[str, np.ndarray], op: str, x: np.ndarray) -> np.ndarray:
    y = ops.project(op, x)
    bias = weights.get(op + ".bias")
    return y if bias is None else y + bias


def _norm(config: ModelConfig, weights: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    eps = np.float32(config.norm_eps)
    if config.family == "gpt2":
        centred = x - x.mean(axis=-1, keepdims=True)
        return centred / np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps) * weights[name + ".weight"] + weights[name + ".bias"]
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * weights[name + ".weight"]


def _rope_tables(config: ModelConfig, T: int) -> tuple[np.ndarray, np.ndarray]:
    angles = np.arange(T, dtype=np.float64)[:, None] * inverse_frequencies(config)[None, :]
    return np.cos(angles).astype(np.float32)[:, None, :], np.sin(angles).astype(np.float32)[:, None, :]


def _rotate(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotary embedding of ``(T, heads, head_dim)``: the halves ``(x1, x2)`` become
    ``(x1 cos - x2 sin, x2 cos + x1 sin)``."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def _attention_mask(T: int, window: int | None) -> np.ndarray:
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    allowed = j <= i
    return allowed if window is None else allowed & (i - j < window)


def _attention(ops, prefix: str, q: np.ndarray, k: np.ndarray, v: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Multi-head attention of ``q`` ``(T, heads, d)`` over ``k``, ``v`` ``(T, kv_heads, d)``: ``(T, heads * d)``."""
    T, heads, d = q.shape
    kv_heads = k.shape[1]
    qh = q.reshape(T, kv_heads, heads // kv_heads, d).transpose(1, 2, 0, 3)
    scores = ops.product(prefix + "qk", qh, k.transpose(1, 2, 0)[:, None]) * np.float32(1 / math.sqrt(d))
    P = softmax(np.where(allowed, scores, np.float32(-np.inf)))
    out = ops.product(prefix + "pv", P, v.transpose(1, 0, 2)[:, None])
    return out.transpose(2, 0, 1, 3).reshape(T, heads * d)


def _activation(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "silu":
        return x / (np.float32(1) + np.exp(-x))
    if kind == "gelu_tanh":
        return np.float32(0.5) * x * (np.float32(1) + np.tanh(np.float32(_GELU_TANH_C) * (x + np.float32(_GELU_CUBIC) * x * x * x)))
    return (np.float32(0.5) * x * (1 + erf(x / np.float32(math.sqrt(2))))).astype(np.float32)
