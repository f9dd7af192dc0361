"""Transformer architectures: the model description read from ``config.json``, the canonical
names of the matmuls a forward pass runs, and where each weight lies in a checkpoint.

Supported ``model_type`` values (:data:`MODEL_TYPES`) and their family:

* ``llama``, ``mistral``, ``qwen2`` (family ``llama``): RMSNorm, rotary position embeddings with
  ``rope_theta`` and ``rope_scaling`` of type ``linear`` or ``llama3`` (or both in the
  ``rope_parameters`` table of newer configs), SwiGLU MLP, grouped-query
  attention (``num_key_value_heads``), an explicit ``head_dim`` where given, Qwen2's q/k/v biases
  (Llama's ``attention_bias`` adds them to o_proj too; ``mlp_bias`` to the MLP), Mistral's
  ``sliding_window``, and ``tie_word_embeddings``. Keys ``model.embed_tokens.weight``,
  ``model.layers.{i}.self_attn.{q,k,v,o}_proj.weight``, ``model.layers.{i}.mlp.{gate,up,down}_proj.weight``,
  ``model.layers.{i}.input_layernorm.weight``, ``model.layers.{i}.post_attention_layernorm.weight``,
  ``model.norm.weight``, ``lm_head.weight``; linear weights are stored ``(out, in)``.
* ``gpt2`` (family ``gpt2``): LayerNorm, learned positions ``wpe``, GELU (``gelu_new``: tanh
  approximation, or ``gelu``: erf), fused q/k/v. Keys ``wte.weight``, ``wpe.weight``,
  ``h.{i}.ln_1``, ``h.{i}.attn.c_attn``, ``h.{i}.attn.c_proj``, ``h.{i}.ln_2``, ``h.{i}.mlp.c_fc``,
  ``h.{i}.mlp.c_proj``, ``ln_f`` (``.weight``/``.bias``), optionally prefixed ``transformer.``;
  the Conv1D weights are stored ``(in, out)``; the LM head is ``wte`` (tied).

One flag of numsim's own: ``"byte_tokens": true`` in ``config.json`` says the model reads UTF-8
bytes (token ids 0..255, no tokenizer file; see :mod:`experiments.models.tokenize`).

Canonical op names (:func:`op_names`; the names a policy's patterns match)
--------------------------------------------------------------------------
Every matmul of the forward pass has one name, in this order per layer ``i``:

* family ``llama``: ``layers.{i}.attn.q_proj``, ``layers.{i}.attn.k_proj``,
  ``layers.{i}.attn.v_proj``, ``layers.{i}.attn.qk`` (Q K^T), ``layers.{i}.attn.pv`` (P V),
  ``layers.{i}.attn.o_proj``, ``layers.{i}.mlp.gate_proj``, ``layers.{i}.mlp.up_proj``,
  ``layers.{i}.mlp.down_proj``;
* family ``gpt2``: ``layers.{i}.attn.qkv_proj`` (the fused ``c_attn``), ``layers.{i}.attn.qk``,
  ``layers.{i}.attn.pv``, ``layers.{i}.attn.o_proj`` (``attn.c_proj``), ``layers.{i}.mlp.up_proj``
  (``c_fc``), ``layers.{i}.mlp.down_proj`` (``mlp.c_proj``);

then ``lm_head``. The weights of the projections are kept as the ``B`` of ``x @ B``, shape
``(in, out)``; their biases as ``<op>.bias``; the other weights are ``embed`` (vocab x hidden),
``positions`` (GPT-2), ``layers.{i}.attn_norm``, ``layers.{i}.mlp_norm`` and ``final_norm``
(``.weight`` and, for LayerNorm, ``.bias``).

>>> cfg = config_from_json({"model_type": "qwen2", "vocab_size": 256, "hidden_size": 32, "intermediate_size": 64,
...     "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64})
>>> cfg.family, cfg.head_dim, cfg.qkv_bias, op_names(cfg)[:4]
('llama', 8, True, ('layers.0.attn.q_proj', 'layers.0.attn.k_proj', 'layers.0.attn.v_proj', 'layers.0.attn.qk'))
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from .checkpoint import Tensors

MODEL_TYPES = {"llama": "llama", "mistral": "llama", "qwen2": "llama", "gpt2": "gpt2"}
"""``model_type`` of ``config.json`` -> the family whose forward pass runs it."""

ACTIVATIONS = {"silu": "silu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu"}
"""``hidden_act`` / ``activation_function`` spellings -> the activation the forward pass computes."""

ROPE_TYPES = ("default", "linear", "llama3")
BYTE_VOCABULARY = 256  # token ids of a byte-level model


@dataclass(frozen=True, kw_only=True, slots=True)
class RopeScaling:
    """``rope_scaling`` of ``config.json``: ``linear`` divides every frequency by ``factor``;
    ``llama3`` divides the low frequencies (wavelength above ``original_context /
    low_freq_factor`` tokens) by ``factor``, keeps the high ones (wavelength below
    ``original_context / high_freq_factor``) and interpolates smoothly in between."""

    kind: str
    factor: float
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_context: int = 8192

    def __post_init__(self) -> None:
        if self.kind not in ROPE_TYPES[1:]:
            raise ValueError(f"rope_scaling type must be one of {', '.join(ROPE_TYPES)}, got {self.kind!r}")
        if not self.factor > 0 or (self.kind == "llama3" and not self.high_freq_factor > self.low_freq_factor > 0):
            raise ValueError(f"rope_scaling needs factor > 0 (and high_freq_factor > low_freq_factor > 0 for llama3), got {self}")


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelConfig:
    """What a forward pass needs to know about a checkpoint (:func:`config_from_json` reads it).

    Sizes are counts (tokens, channels, heads); ``context`` is the longest sequence the model
    takes (``max_position_embeddings`` / ``n_positions``); ``norm_eps`` is the epsilon of
    RMSNorm/LayerNorm; ``rope_theta`` the RoPE base (None for GPT-2); ``sliding_window`` the
    span of Mistral's windowed attention in tokens (None: full causal attention).
    """

    model_type: str
    family: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    context: int
    norm_eps: float
    activation: str
    rope_theta: float | None = None
    rope_scaling: RopeScaling | None = None
    sliding_window: int | None = None
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    byte_tokens: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
                raise ValueError(f"{f.name} must be a positive integer, got {value!r}")
        if self.family not in set(MODEL_TYPES.values()):
            raise ValueError(f"family must be one of {', '.join(sorted(set(MODEL_TYPES.values())))}, got {self.family!r}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads={self.num_heads} must be a multiple of num_kv_heads={self.num_kv_heads}")
        if self.activation not in set(ACTIVATIONS.values()):
            raise ValueError(f"activation must be one of {', '.join(sorted(set(ACTIVATIONS.values())))}, got {self.activation!r}")
        if self.family == "llama" and (self.rope_theta is None or not self.rope_theta > 0 or self.head_dim % 2):
            raise ValueError(f"rotary embeddings need rope_theta > 0 and an even head_dim, got {self.rope_theta!r} and {self.head_dim}")
        if not self.norm_eps > 0:
            raise ValueError(f"norm_eps must be > 0, got {self.norm_eps!r}")
        if self.byte_tokens and self.vocab_size < BYTE_VOCABULARY:
            raise ValueError(f"byte_tokens needs vocab_size >= {BYTE_VOCABULARY}, got {self.vocab_size}")
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"sliding_window must be None or a positive integer, got {self.sliding_window!r}")


def config_from_json(config: dict, path: str = "config.json") -> ModelConfig:
    """The :class:`ModelConfig` of a parsed ``config.json`` (``path`` names it in errors).

    Raises ValueError naming the path and the key for an unsupported ``model_type``, a missing
    size, or a setting the forward pass does not implement.
    """
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise ValueError(f"{path}: model_type must be one of {', '.join(MODEL_TYPES)}, got {model_type!r}")
    read = _Reader(config, path)
    common = dict(model_type=model_type, family=MODEL_TYPES[model_type], vocab_size=read.int("vocab_size"),
                  byte_tokens=bool(read.get("byte_tokens", False)))
    try:
        if MODEL_TYPES[model_type] == "gpt2":
            return ModelConfig(**common, **_gpt2_fields(read))
        return ModelConfig(**common, **_llama_fields(read, model_type))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def op_names(config: ModelConfig) -> tuple[str, ...]:
    """The canonical names of every matmul of the forward pass, in the order it runs them."""
    if config.family == "gpt2":
        layer = ("attn.qkv_proj", "attn.qk", "attn.pv", "attn.o_proj", "mlp.up_proj", "mlp.down_proj")
    else:
        layer = ("attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.qk", "attn.pv", "attn.o_proj",
                 "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
    return tuple(f"layers.{i}.{op}" for i in range(config.num_layers) for op in layer) + ("lm_head",)


def is_attention_product(op: str) -> bool:
    """Whether ``op`` multiplies two activations (Q K^T or P V) rather than a weight."""
    return op.endswith((".attn.qk", ".attn.pv"))


def read_weights(config: ModelConfig, tensors: Tensors) -> dict[str, np.ndarray]:
    """Every weight of the model by canonical name (module docstring), float32 and read-only:
    projections as ``(in, out)``. Raises ValueError naming the key and file of a missing tensor
    or of one whose shape disagrees with ``config.json``."""
    weights = {}
    for name, key, shape, transpose in _layout(config, tensors):
        w = tensors.read(key, shape)
        weights[name] = np.ascontiguousarray(w.T if transpose else w)
    if config.tie_word_embeddings:
        weights["lm_head"] = weights["embed"].T
    for w in weights.values():
        w.flags.writeable = False
    return weights


# ---- config.json fields ------------------------------------------------------------------------

_REQUIRED = object()


class _Reader:
    """Typed reads of config.json keys, with errors naming the file and the key."""

    def __init__(self, config: dict, path: str):
        self.config, self.path = config, path

    def get(self, key: str, default=_REQUIRED):
        if key not in self.config or (self.config[key] is None and default is not _REQUIRED):
            if default is _REQUIRED:
                raise ValueError(f"{self.path}: missing key {key!r}")
            return default
        return self.config[key]

    def int(self, key: str, default=_REQUIRED) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{self.path}: {key} must be an integer, got {value!r}")
        return int(value)

    def float(self, key: str, default=_REQUIRED) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{self.path}: {key} must be a number, got {value!r}")
        return float(value)

    def activation(self, key: str, default: str) -> str:
        value = self.get(key, default)
        if value not in ACTIVATIONS:
            raise ValueError(f"{self.path}: {key} must be one of {', '.join(ACTIVATIONS)}, got {value!r}")
        return ACTIVATIONS[value]

    def unsupported(self, key: str, allowed) -> None:
        if self.config.get(key, allowed) != allowed:
            raise ValueError(f"{self.path}: {key}={self.config[key]!r} is not supported (only {allowed!r})")


def _llama_fields(read: _Reader, model_type: str) -> dict:
    hidden, heads = read.int("hidden_size"), read.int("num_attention_heads")
    if model_type == "qwen2":
        read.unsupported("use_sliding_window", False)
    sliding = read.get("sliding_window", None) if model_type == "mistral" else None
    attention_bias = bool(read.get("attention_bias", False))
    return dict(
        hidden_size=hidden, num_layers=read.int("num_hidden_layers"), num_heads=heads,
        num_kv_heads=read.int("num_key_value_heads", heads), head_dim=read.int("head_dim", hidden // heads),
        intermediate_size=read.int("intermediate_size"), context=read.int("max_position_embeddings"),
        norm_eps=read.float("rms_norm_eps", 1e-6), activation=read.activation("hidden_act", "silu"),
        **_rope(read),
        sliding_window=sliding, tie_word_embeddings=bool(read.get("tie_word_embeddings", False)),
        qkv_bias=attention_bias or model_type == "qwen2", o_bias=attention_bias, mlp_bias=bool(read.get("mlp_bias", False)),
    )


def _gpt2_fields(read: _Reader) -> dict:
    hidden, heads = read.int("n_embd"), read.int("n_head")
    read.unsupported("scale_attn_weights", True)
    read.unsupported("scale_attn_by_inverse_layer_idx", False)
    return dict(
        hidden_size=hidden, num_layers=read.int("n_layer"), num_heads=heads, num_kv_heads=heads, head_dim=hidden // heads,
        intermediate_size=read.int("n_inner", 4 * hidden), context=read.int("n_positions"),
        norm_eps=read.float("layer_norm_epsilon", 1e-5), activation=read.activation("activation_function", "gelu_new"),
        tie_word_embeddings=bool(read.get("tie_word_embeddings", True)), qkv_bias=True, o_bias=True, mlp_bias=True,
    )


def _rope(read: _Reader) -> dict:
    """``rope_theta`` and ``rope_scaling``, or the ``rope_parameters`` table that holds both in
    newer configs."""
    key = "rope_parameters" if read.get("rope_parameters", None) is not None else "rope_scaling"
    table = read.get(key, None)
    if table is not None and not isinstance(table, dict):
        raise ValueError(f"{read.path}: {key} must be an object, got {table!r}")
    theta = (_Reader(table, f"{read.path} {key}") if key == "rope_parameters" else read).float("rope_theta", 10000.0)
    return {"rope_theta": theta, "rope_scaling": None if table is None else _rope_scaling(_Reader(table, f"{read.path} {key}"))}


def _rope_scaling(table: _Reader) -> RopeScaling | None:
    kind = table.config.get("rope_type", table.config.get("type", "default"))
    if kind not in ROPE_TYPES:
        raise ValueError(f"{table.path}: type must be one of {', '.join(ROPE_TYPES)}, got {kind!r}")
    if kind == "default":
        return None
    if kind == "linear":
        return RopeScaling(kind=kind, factor=table.float("factor"))
    return RopeScaling(kind=kind, factor=table.float("factor"), low_freq_factor=table.float("low_freq_factor"),
                       high_freq_factor=table.float("high_freq_factor"), original_context=table.int("original_max_position_embeddings"))


# ---- checkpoint layout -------------------------------------------------------------------------


def _layout(config: ModelConfig, tensors: Tensors) -> list[tuple[str, str, tuple[int, ...], bool]]:
    """``(canonical name, checkpoint key, stored shape, stored transposed)`` of every weight."""
    d, f, v = config.hidden_size, config.intermediate_size, config.vocab_size
    if config.family == "gpt2":
        p = "transformer." if "transformer.wte.weight" in tensors and "wte.weight" not in tensors else ""
        rows = [("embed", f"{p}wte.weight", (v, d), False), ("positions", f"{p}wpe.weight", (config.context, d), False)]
        for i in range(config.num_layers):
            h, n = f"{p}h.{i}.", f"layers.{i}."
            rows += _norm(n + "attn_norm", h + "ln_1", d, bias=True)
            rows += _linear(n + "attn.qkv_proj", h + "attn.c_attn", d, 3 * d, True, conv1d=True)
            rows += _linear(n + "attn.o_proj", h + "attn.c_proj", d, d, True, conv1d=True)
            rows += _norm(n + "mlp_norm", h + "ln_2", d, bias=True)
            rows += _linear(n + "mlp.up_proj", h + "mlp.c_fc", d, f, True, conv1d=True)
            rows += _linear(n + "mlp.down_proj", h + "mlp.c_proj", f, d, True, conv1d=True)
        rows += _norm("final_norm", f"{p}ln_f", d, bias=True)
        if not config.tie_word_embeddings:
            rows.append(("lm_head", "lm_head.weight", (v, d), True))
        return rows
    q, kv = config.num_heads * config.head_dim, config.num_kv_heads * config.head_dim
    rows = [("embed", "model.embed_tokens.weight", (v, d), False)]
    for i in range(config.num_layers):
        m, n = f"model.layers.{i}.", f"layers.{i}."
        rows += _norm(n + "attn_norm", m + "input_layernorm", d, bias=False)
        for name, size_in, size_out, bias in (("q_proj", d, q, config.qkv_bias), ("k_proj", d, kv, config.qkv_bias),
                                              ("v_proj", d, kv, config.qkv_bias), ("o_proj", q, d, config.o_bias)):
            rows += _linear(n + "attn." + name, m + "self_attn." + name, size_in, size_out, bias)
        rows += _norm(n + "mlp_norm", m + "post_attention_layernorm", d, bias=False)
        for name, size_in, size_out in (("gate_proj", d, f), ("up_proj", d, f), ("down_proj", f, d)):
            rows += _linear(n + "mlp." + name, m + "mlp." + name, size_in, size_out, config.mlp_bias)
    rows += _norm("final_norm", "model.norm", d, bias=False)
    if not config.tie_word_embeddings:
        rows.append(("lm_head", "lm_head.weight", (v, d), True))
    return rows


def _norm(name: str, key: str, size: int, bias: bool) -> list:
    return [(f"{name}.weight", f"{key}.weight", (size,), False)] + ([(f"{name}.bias", f"{key}.bias", (size,), False)] if bias else [])


def _linear(name: str, key: str, size_in: int, size_out: int, bias: bool, conv1d: bool = False) -> list:
    """A projection: torch Linear weights are stored ``(out, in)``, GPT-2's Conv1D ``(in, out)``."""
    shape = (size_in, size_out) if conv1d else (size_out, size_in)
    return [(name, f"{key}.weight", shape, not conv1d)] + ([(f"{name}.bias", f"{key}.bias", (size_out,), False)] if bias else [])
