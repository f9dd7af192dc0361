"""Tiny checkpoints written the way Hugging Face stores them, and an independent float64 forward
pass that reads the Hugging Face keys directly (the oracle of the models tests).

The reference follows the published model definitions step by step, one head and one token at a
time where that is clearest; it shares no code with experiments.models.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ml_dtypes
import numpy as np
import tokenizers
from safetensors.numpy import save_file
from tokenizers import models, pre_tokenizers, processors

SMALL = dict(vocab_size=256, hidden=32, intermediate=64, layers=2, heads=4, kv_heads=2, context=32)


def llama_config(model_type: str = "llama", **overrides) -> dict:
    """A config.json of a tiny Llama-family model (byte-level tokens unless overridden)."""
    s = SMALL
    config = {
        "model_type": model_type, "architectures": ["LlamaForCausalLM"], "vocab_size": s["vocab_size"],
        "hidden_size": s["hidden"], "intermediate_size": s["intermediate"], "num_hidden_layers": s["layers"],
        "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"], "max_position_embeddings": s["context"],
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": False, "byte_tokens": True,
    }
    config.update(overrides)
    return config


def gpt2_config(**overrides) -> dict:
    """A config.json of a tiny GPT-2."""
    s = SMALL
    config = {"model_type": "gpt2", "vocab_size": s["vocab_size"], "n_embd": s["hidden"], "n_layer": s["layers"],
              "n_head": s["heads"], "n_positions": s["context"], "n_inner": None, "layer_norm_epsilon": 1e-5,
              "activation_function": "gelu_new", "byte_tokens": True}
    config.update(overrides)
    return config


def llama_tensors(config: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 weights under the Hugging Face keys of LlamaForCausalLM (Linear: (out, in))."""
    rng = np.random.default_rng(seed)
    d, f, v = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim") or d // heads
    qkv_bias = config["model_type"] == "qwen2" or config.get("attention_bias", False)

    def w(*shape, scale=None):
        return (rng.standard_normal(shape) * (scale or 1 / math.sqrt(shape[-1]))).astype(np.float32)

    t = {"model.embed_tokens.weight": w(v, d, scale=1.0), "model.norm.weight": 1 + w(d, scale=0.1)}
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = 1 + w(d, scale=0.1)
        t[p + "post_attention_layernorm.weight"] = 1 + w(d, scale=0.1)
        for name, out, inp in (("q_proj", heads * hd, d), ("k_proj", kv * hd, d), ("v_proj", kv * hd, d), ("o_proj", d, heads * hd)):
            t[p + f"self_attn.{name}.weight"] = w(out, inp)
            if (qkv_bias and name != "o_proj") or config.get("attention_bias", False):
                t[p + f"self_attn.{name}.bias"] = w(out, scale=0.1)
        for name, out, inp in (("gate_proj", f, d), ("up_proj", f, d), ("down_proj", d, f)):
            t[p + f"mlp.{name}.weight"] = w(out, inp)
            if config.get("mlp_bias", False):
                t[p + f"mlp.{name}.bias"] = w(out, scale=0.1)
    if not config.get("tie_word_embeddings", False):
        t["lm_head.weight"] = w(v, d)
    return t


def gpt2_tensors(config: dict, seed: int = 0, prefix: str = "") -> dict[str, np.ndarray]:
    """Random float32 weights under GPT-2's keys (Conv1D: (in, out)), plus its attention-mask buffers."""
    rng = np.random.default_rng(seed)
    d, v, ctx = config["n_embd"], config["vocab_size"], config["n_positions"]
    f = config.get("n_inner") or 4 * d

    def w(*shape, scale=None):
        return (rng.standard_normal(shape) * (scale or 1 / math.sqrt(shape[0]))).astype(np.float32)

    t = {"wte.weight": w(v, d, scale=1.0), "wpe.weight": w(ctx, d, scale=0.3), "ln_f.weight": 1 + w(d, scale=0.1), "ln_f.bias": w(d, scale=0.1)}
    for i in range(config["n_layer"]):
        p = f"h.{i}."
        for ln in ("ln_1", "ln_2"):
            t[p + ln + ".weight"], t[p + ln + ".bias"] = 1 + w(d, scale=0.1), w(d, scale=0.1)
        for name, inp, out in (("attn.c_attn", d, 3 * d), ("attn.c_proj", d, d), ("mlp.c_fc", d, f), ("mlp.c_proj", f, d)):
            t[p + name + ".weight"], t[p + name + ".bias"] = w(inp, out), w(out, scale=0.1)
        t[p + "attn.bias"] = np.tril(np.ones((ctx, ctx), np.float32))[None, None]   # the old causal-mask buffer
    return {prefix + k: a for k, a in t.items()}


def write_checkpoint(folder: Path, config: dict, tensors: dict[str, np.ndarray], *, dtype: str = "F32", shards: int = 1,
                     drop: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Write config.json and the tensors (in ``dtype``: F32, F16 or BF16; ``shards`` > 1 writes
    model-0000i-of-0000n.safetensors files and the index). Returns the stored values as float64."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    cast = {"F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16}[dtype]
    stored = {k: a.astype(cast) for k, a in tensors.items() if k not in drop}
    keys = sorted(stored)
    if shards == 1:
        save_file(stored, folder / "model.safetensors")
    else:
        weight_map = {}
        for s in range(shards):
            name = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: stored[k] for k in keys[s::shards]}
            save_file(part, folder / name)
            weight_map.update(dict.fromkeys(part, name))
        (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return {k: a.astype(np.float64) for k, a in stored.items()}


def saved_model(folder: Path, config: dict) -> Path:
    """``folder`` holding a checkpoint of ``config`` (Llama family or GPT-2) with random weights."""
    tensors = gpt2_tensors(config) if config["model_type"] == "gpt2" else llama_tensors(config)
    write_checkpoint(folder, config, tensors)
    return folder


def write_word_tokenizer(folder, words, bos: bool) -> None:
    """A word-level tokenizer.json over ``words`` (ids 0, 1 = [UNK], [BOS]), optionally adding [BOS]."""
    vocab = {"[UNK]": 0, "[BOS]": 1} | {w: i + 2 for i, w in enumerate(words)}
    tok = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    if bos:
        tok.post_processor = processors.TemplateProcessing(single="[BOS] $A", special_tokens=[("[BOS]", 1)])
    tok.save(str(folder / "tokenizer.json"))


# ---- the float64 reference --------------------------------------------------------------------------


def _rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x) + eps) * w


def _layer_norm(x, w, b, eps):
    mu = x.mean()
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean() + eps) * w + b


def _softmax(s):
    e = np.exp(s - s.max())
    return e / e.sum()


def _llama3_frequency(inv: float, scaling: dict) -> float:
    """One rotary frequency under Llama 3.1's rope_scaling, written from its definition."""
    factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    old = scaling["original_max_position_embeddings"]
    wavelength = 2 * math.pi / inv
    if wavelength < old / hi:
        return inv
    if wavelength > old / lo:
        return inv / factor
    smooth = (old / wavelength - lo) / (hi - lo)
    return (1 - smooth) * inv / factor + smooth * inv


def _rope(x, position, theta, scaling):
    """Rotate-half RoPE of one head vector x at a position."""
    half = len(x) // 2
    out = np.empty_like(x)
    for j in range(half):
        inv = theta ** (-2 * j / len(x))
        if scaling is not None:
            kind = scaling.get("rope_type", scaling.get("type"))
            inv = inv / scaling["factor"] if kind == "linear" else _llama3_frequency(inv, scaling)
        c, s = math.cos(position * inv), math.sin(position * inv)
        out[j] = x[j] * c - x[j + half] * s
        out[j + half] = x[j + half] * c + x[j] * s
    return out


def reference_llama(config: dict, t: dict[str, np.ndarray], tokens) -> np.ndarray:
    """float64 logits of a Llama/Mistral/Qwen2 checkpoint's tensors ``t`` (Hugging Face keys)."""
    d, heads, kv = config["hidden_size"], config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim") or d // heads
    eps = config["rms_norm_eps"]
    rope = config.get("rope_parameters") or config   # newer configs keep theta and scaling together
    theta = rope.get("rope_theta", 10000.0)
    scaling = config.get("rope_parameters") or config.get("rope_scaling")
    if scaling is not None and scaling.get("rope_type", scaling.get("type")) == "default":
        scaling = None
    window = config.get("sliding_window") if config["model_type"] == "mistral" else None
    T = len(tokens)
    x = np.array([t["model.embed_tokens.weight"][tok] for tok in tokens])

    def linear(h, name):
        y = h @ t[name + ".weight"].T
        return y + t[name + ".bias"] if name + ".bias" in t else y

    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = np.array([_rms_norm(row, t[p + "input_layernorm.weight"], eps) for row in x])
        q = linear(h, p + "self_attn.q_proj").reshape(T, heads, hd)
        k = linear(h, p + "self_attn.k_proj").reshape(T, kv, hd)
        v = linear(h, p + "self_attn.v_proj").reshape(T, kv, hd)
        q = np.array([[_rope(q[s, n], s, theta, scaling) for n in range(heads)] for s in range(T)])
        k = np.array([[_rope(k[s, n], s, theta, scaling) for n in range(kv)] for s in range(T)])
        attn = np.zeros((T, heads, hd))
        for n in range(heads):
            g = n // (heads // kv)   # repeat_kv: each key/value head serves heads // kv query heads in a row
            for s in range(T):
                visible = [j for j in range(s + 1) if window is None or s - j < window]
                scores = np.array([q[s, n] @ k[j, g] for j in visible]) / math.sqrt(hd)
                attn[s, n] = _softmax(scores) @ v[visible, g]
        x = x + linear(attn.reshape(T, heads * hd), p + "self_attn.o_proj")
        h = np.array([_rms_norm(row, t[p + "post_attention_layernorm.weight"], eps) for row in x])
        gate, up = linear(h, p + "mlp.gate_proj"), linear(h, p + "mlp.up_proj")
        x = x + linear(gate / (1 + np.exp(-gate)) * up, p + "mlp.down_proj")
    h = np.array([_rms_norm(row, t["model.norm.weight"], eps) for row in x])
    head = t["model.embed_tokens.weight"] if config.get("tie_word_embeddings", False) else t["lm_head.weight"]
    return h @ head.T


def reference_gpt2(config: dict, t: dict[str, np.ndarray], tokens, prefix: str = "") -> np.ndarray:
    """float64 logits of a GPT-2 checkpoint's tensors ``t``."""
    t = {k[len(prefix):]: a for k, a in t.items()}
    d, heads, eps = config["n_embd"], config["n_head"], config["layer_norm_epsilon"]
    hd, T = d // heads, len(tokens)
    x = np.array([t["wte.weight"][tok] + t["wpe.weight"][s] for s, tok in enumerate(tokens)])

    def conv1d(h, name):
        return h @ t[name + ".weight"] + t[name + ".bias"]

    def gelu(z):
        return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))

    for i in range(config["n_layer"]):
        p = f"h.{i}."
        h = np.array([_layer_norm(row, t[p + "ln_1.weight"], t[p + "ln_1.bias"], eps) for row in x])
        q, k, v = np.split(conv1d(h, p + "attn.c_attn"), 3, axis=1)
        attn = np.zeros((T, d))
        for n in range(heads):
            cols = slice(n * hd, (n + 1) * hd)
            for s in range(T):
                scores = np.array([q[s, cols] @ k[j, cols] for j in range(s + 1)]) / math.sqrt(hd)
                attn[s, cols] = _softmax(scores) @ v[: s + 1, cols]
        x = x + conv1d(attn, p + "attn.c_proj")
        h = np.array([_layer_norm(row, t[p + "ln_2.weight"], t[p + "ln_2.bias"], eps) for row in x])
        x = x + conv1d(gelu(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    h = np.array([_layer_norm(row, t["ln_f.weight"], t["ln_f.bias"], eps) for row in x])
    return h @ t["wte.weight"].T


def relative_error(ours: np.ndarray, reference: np.ndarray) -> float:
    """max |ours - reference| / max |reference|."""
    return float(np.max(np.abs(np.asarray(ours, np.float64) - reference)) / np.max(np.abs(reference)))
