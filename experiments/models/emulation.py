"""The forward pass with every matmul through a numsim datapath chosen per op by a policy.

:func:`emulate` binds a :class:`~experiments.models.policy.Policy` to a loaded model: it assigns
a rule to every op (:meth:`Policy.assign`, which rejects patterns that match nothing), prepares
the weights once, and returns an :class:`EmulatedModel` whose :meth:`~EmulatedModel.logits` run
the forward pass of :mod:`experiments.models.forward` (non-linear ops in float32) with each
matmul done as its rule says:

1. **Hadamard** (``hadamard``): the inner dimension K of both operands is rotated,
   ``(A H)(H^T B)`` (:mod:`experiments.models.rotation`, seeded by ``policy.hadamard_seed``).
2. **Quantization**: A (activations) and B (a weight, K^T or V) are quantized into the
   datapath's input formats by :func:`numsim.scaled_quantize` with the datapath's input rounding,
   saturating. Scales (``a_scaling``/``b_scaling``, after ``auto`` is resolved) are dynamic amax
   scales (:func:`numsim.tensor_scale`, :func:`numsim.token_scales`,
   :func:`numsim.channel_scales` with the rule's ``scale`` recipe), computed on every call for
   activations and once for weights; block formats scale themselves, blocked along K. Under
   weight-only quantization (``weight_format``) a weight is quantized into ``weight_format``
   (nearest-even, with ``weight_scaling``'s scales or its own blocks along K), dequantized exactly
   and rounded once into the datapath's B format, which takes it unscaled.
3. **Accumulation**: one call of :func:`numsim.matmul` (or the injected ``matmul``) on the
   quantized operands per op; attention products batch over the heads.
4. **Epilogue**: :func:`numsim.apply_scales` in float32; an output whose row of A or column of B
   held a NaN or an infinity is NaN (:func:`numsim.scaling.mark_undefined`), so an overflowing
   datapath shows as a non-finite metric instead of an error.

**KV cache** (``policy.kv_cache``): keys (after RoPE) and values are stored in the cache format,
scaled per tensor or per token and head (amax over head_dim) or blocked along head_dim, and read
back as ``fp32(q * s)`` before they enter ``Q K^T`` and ``P V``.

>>> import numpy as np
>>> from experiments.models.policy import Rule
>>> rule = Rule("*", "int8 -> acc fixed<32,0>", a_scaling="token", b_scaling="channel")
>>> step = prepare_weight("lm_head", rule, np.array([[1.0, -2.0], [0.5, 4.0]], np.float32), 0)
>>> step.b_scale.tolist(), step.b_values.tolist()                 # amax / 127 per column, rounded up
([[0.007874016650021076, 0.031496066600084305]], [[127.0, -63.0], [63.0, 127.0]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import numsim
from numsim import BlockFormat
from numsim.scaling import mark_undefined

from .architectures import is_attention_product
from .forward import forward
from .model import Model
from .policy import KVCache, Policy, Rule, ScaleRecipe, load_policy
from .rotation import hadamard_block, rotate

_SCALES = {"tensor": numsim.tensor_scale, "token": numsim.token_scales, "channel": numsim.channel_scales}


@dataclass(frozen=True, eq=False)
class PreparedWeight:
    """A weight as its op's datapath takes it: ``b_values`` (``(K, N)``, values of the B format
    after scaling), ``b_scale`` (None, one scale or ``(1, N)``) and the Hadamard block used."""

    b_values: np.ndarray
    b_scale: np.ndarray | None
    block: int


def prepare_weight(op: str, rule: Rule, weight: np.ndarray, seed: int) -> PreparedWeight:
    """The weight ``(K, N)`` of ``op`` rotated, quantized and scaled as ``rule`` says (module
    docstring, steps 1-2), once."""
    dp = rule.datapath
    block = hadamard_block(rule.hadamard, weight.shape[0], op)
    W = rotate(weight, -2, block, seed) if block else weight
    if rule.weight_format is not None:
        W, scale = _weight_only(rule, W), None
    else:
        scale = _scales(W, dp.b_format, rule.operand_scalings[1], rule.scale)
    return PreparedWeight(numsim.scaled_quantize(W, dp.b_format, scale, axis=-2, rounding=dp.input_rounding), scale, block)


class EmulatedModel:
    """A model whose matmuls run through the datapaths of a policy (:func:`emulate`).

    Attributes
    ----------
    model : Model
    policy : Policy
    rules : dict of str to Rule
        The rule of every op.
    """

    def __init__(self, model: Model, policy: Policy, matmul=None):
        self.model, self.policy = model, policy
        self.rules = policy.assign(model.ops)
        self._matmul = numsim.matmul if matmul is None else matmul
        self._weights = {op: prepare_weight(op, rule, model.weights[op], policy.hadamard_seed)
                         for op, rule in self.rules.items() if not is_attention_product(op)}

    @property
    def config(self):
        """The model's :class:`~experiments.models.architectures.ModelConfig`."""
        return self.model.config

    @property
    def tokenizer(self):
        """The model's tokenizer."""
        return self.model.tokenizer

    def logits(self, tokens) -> np.ndarray:
        """The logits of ``tokens`` with every matmul emulated: ``(T, vocab_size)`` float32."""
        return forward(self.model.config, self.model.weights, tokens, self)

    def project(self, op: str, x: np.ndarray) -> np.ndarray:
        """``x @ W`` of projection ``op`` through its datapath (float32)."""
        w = self._weights[op]
        return mark_undefined(self._run(op, x, w.b_values, w.b_scale, w.block), x, w.b_values)

    def product(self, op: str, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The attention product ``A @ B`` of ``op`` through its datapath (float32)."""
        rule = self.rules[op]
        block = hadamard_block(rule.hadamard, A.shape[-1], op)
        Bq = rotate(B, -2, block, self.policy.hadamard_seed) if block else B
        scale = _scales(Bq, rule.datapath.b_format, rule.operand_scalings[1], rule.scale)
        Bq = numsim.scaled_quantize(Bq, rule.datapath.b_format, scale, axis=-2, rounding=rule.datapath.input_rounding, nan_policy="zero")
        return mark_undefined(self._run(op, A, Bq, scale, block), A, B)

    def store(self, layer: int, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys and values as the KV cache of ``policy.kv_cache`` returns them (float32)."""
        cache = self.policy.kv_cache
        return (k, v) if cache is None else (_cached(cache, k), _cached(cache, v))

    def _run(self, op: str, A: np.ndarray, Bq: np.ndarray, b_scale, block: int) -> np.ndarray:
        rule = self.rules[op]
        dp = rule.datapath
        Ar = rotate(A, -1, block, self.policy.hadamard_seed) if block else A
        a_scale = _scales(Ar, dp.a_format, rule.operand_scalings[0], rule.scale)
        Aq = numsim.scaled_quantize(Ar, dp.a_format, a_scale, rounding=dp.input_rounding, nan_policy="zero")
        try:
            D = self._matmul(Aq, Bq, dp)
        except ValueError as exc:
            raise ValueError(f"{op} ({Aq.shape} x {Bq.shape}) under rule {rule.pattern!r}: {exc}") from exc
        return numsim.apply_scales(D, a_scale, b_scale)


def emulate(model: Model, policy, *, matmul=None) -> EmulatedModel:
    """``model`` with every matmul through the datapaths ``policy`` assigns (a Policy, its table
    as a dict, or a TOML file: :func:`~experiments.models.policy.load_policy`).

    ``matmul(A, B, datapath)``, default :func:`numsim.matmul`, runs each op's datapath on the
    quantized operands (one call per op and forward pass): pass a wrapper to observe or count the
    calls.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be an experiments.models.Model (load_model), got {type(model).__name__}")
    return EmulatedModel(model, load_policy(policy), matmul)


# ---- helpers ---------------------------------------------------------------------------------


def _scales(x: np.ndarray, fmt, scaling: str, recipe: ScaleRecipe) -> np.ndarray | None:
    """Dynamic amax scales of ``x`` for ``fmt`` (None for ``scaling="none"``)."""
    return None if scaling == "none" else _SCALES[scaling](x, fmt, **recipe.kwargs())


def _weight_only(rule: Rule, W: np.ndarray) -> np.ndarray:
    """``W`` quantized into the rule's weight format and dequantized exactly (float64)."""
    fmt = rule.weight_format
    if isinstance(fmt, BlockFormat):
        return numsim.scaled_quantize(W, fmt, axis=-2)
    size = rule.weight_block_size
    if size is not None:
        scale = numsim.block_scales(W, fmt, size, axis=-2, **rule.scale.kwargs())
    else:
        scale = _SCALES["tensor" if rule.weight_scaling == "tensor" else "channel"](W, fmt, **rule.scale.kwargs())
    q = numsim.scaled_quantize(W, fmt, scale, block_size=size, axis=-2)
    return numsim.scaled_dequantize(q, scale, block_size=size, axis=-2)


def _cached(cache: KVCache, x: np.ndarray) -> np.ndarray:
    """``x`` (``(T, kv_heads, head_dim)``) stored in the cache format and read back in float32."""
    fmt = cache.format
    if isinstance(fmt, BlockFormat):
        stored = numsim.scaled_quantize(x, fmt, axis=-1, nan_policy="zero")
    else:
        scale = _scales(x, fmt, cache.resolved_scaling, cache.scale)
        stored = numsim.scaled_dequantize(numsim.scaled_quantize(x, fmt, scale, nan_policy="zero"), scale)
    return np.where(np.isfinite(x), stored, np.float32(np.nan)).astype(np.float32)
