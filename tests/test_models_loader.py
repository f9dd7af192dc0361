"""experiments.models: tiny Llama, Mistral, Qwen2 and GPT-2 checkpoints written with safetensors
(sharded or not, F32/F16/BF16) load, and their float32 logits match an independent float64 forward
pass that reads the Hugging Face keys directly (tests/model_checkpoints.py)."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest

from experiments.models import load_model, op_names
from experiments.models.checkpoint import open_tensors
from model_checkpoints import (
    gpt2_config, gpt2_tensors, llama_config, llama_tensors, reference_gpt2, reference_llama, relative_error, write_checkpoint,
    write_word_tokenizer,
)

TOKENS = np.random.default_rng(11).integers(0, 256, 24)
TOLERANCE = 1e-5  # float32 forward against float64, relative to the largest logit (measured: 2e-7 to 3e-7)


LLAMA_CASES = {
    "llama": llama_config("llama"),
    "llama_tied_mlp_bias": llama_config("llama", tie_word_embeddings=True, attention_bias=True, mlp_bias=True),
    "llama3_rope_scaling": llama_config("llama", rope_theta=500000.0, max_position_embeddings=32, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
    "llama_linear_rope": llama_config("llama", rope_scaling={"type": "linear", "factor": 2.0}),
    "llama_rope_parameters": {k: v for k, v in llama_config("llama").items() if k != "rope_theta"} | {"rope_parameters": {
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 16}},
    "mistral_window": llama_config("mistral", sliding_window=5, head_dim=16),
    "qwen2_tied": llama_config("qwen2", tie_word_embeddings=True, rope_theta=1000000.0, use_sliding_window=False),
}


@pytest.mark.parametrize("case", LLAMA_CASES)
@pytest.mark.parametrize("dtype, shards", [("F32", 1), ("BF16", 3)])
def test_llama_family_logits_match_the_float64_reference(tmp_path, case, dtype, shards):
    config = LLAMA_CASES[case]
    stored = write_checkpoint(tmp_path, config, llama_tensors(config), dtype=dtype, shards=shards)
    model = load_model(tmp_path)
    logits = model.logits(TOKENS)
    assert logits.dtype == np.float32 and logits.shape == (len(TOKENS), 256)
    assert relative_error(logits, reference_llama(config, stored, TOKENS)) < TOLERANCE


@pytest.mark.parametrize("prefix", ["", "transformer."])
@pytest.mark.parametrize("dtype, shards", [("F32", 1), ("F16", 2), ("BF16", 1)])
def test_gpt2_logits_match_the_float64_reference(tmp_path, prefix, dtype, shards):
    config = gpt2_config()
    stored = write_checkpoint(tmp_path, config, gpt2_tensors(config, prefix=prefix), dtype=dtype, shards=shards)
    model = load_model(tmp_path)
    assert relative_error(model.logits(TOKENS), reference_gpt2(config, stored, TOKENS, prefix)) < TOLERANCE


def test_the_sliding_window_and_rope_scaling_change_the_logits(tmp_path):
    """The cases above are not vacuous: the window and the scaled frequencies matter at these lengths."""
    logits = {}
    for name in ("llama", "llama3_rope_scaling", "llama_linear_rope"):
        config = LLAMA_CASES[name] | {"rope_theta": 500000.0}
        write_checkpoint(tmp_path / name, config, llama_tensors(config))
        logits[name] = load_model(tmp_path / name).logits(TOKENS)
    assert relative_error(logits["llama3_rope_scaling"], logits["llama"]) > 1e-3
    assert relative_error(logits["llama_linear_rope"], logits["llama"]) > 1e-3
    config = LLAMA_CASES["mistral_window"]
    write_checkpoint(tmp_path / "m", config, llama_tensors(config))
    write_checkpoint(tmp_path / "l", config | {"model_type": "llama"}, llama_tensors(config))
    windowed, full = load_model(tmp_path / "m").logits(TOKENS), load_model(tmp_path / "l").logits(TOKENS)
    np.testing.assert_array_equal(windowed[:5], full[:5])   # the first 5 tokens see no further back than the window
    assert relative_error(windowed[5:], full[5:]) > 1e-3


def test_bf16_is_widened_exactly_and_f16_by_numpy(tmp_path):
    values = np.array([[1.0, -2.5, 3.140625, 1e-40, np.inf, -0.0], [65504.0, 2.0**-24, 1 / 3, 7.0, 0.1, 2.0**100]])
    for dtype, cast in (("BF16", ml_dtypes.bfloat16), ("F16", np.float16)):
        folder = tmp_path / dtype
        with np.errstate(over="ignore"):   # 2^100 overflows to inf in F16
            stored = write_checkpoint(folder, {"model_type": "llama"}, {"t": values}, dtype=dtype)
            expected = values.astype(cast).astype(np.float32)
        read = open_tensors(folder).read("t")
        assert read.dtype == np.float32
        np.testing.assert_array_equal(read, expected)
        np.testing.assert_array_equal(read, stored["t"])
        assert np.signbit(read[0, 5])


def test_op_names_follow_the_architecture(tmp_path):
    llama = LLAMA_CASES["qwen2_tied"]
    write_checkpoint(tmp_path, llama, llama_tensors(llama))
    model = load_model(tmp_path)
    assert model.ops == op_names(model.config)
    assert model.ops[:9] == tuple(f"layers.0.{op}" for op in ("attn.q_proj", "attn.k_proj", "attn.v_proj", "attn.qk", "attn.pv",
                                                             "attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
    assert model.ops[-1] == "lm_head" and len(model.ops) == 9 * 2 + 1
    assert model.weights["layers.1.attn.q_proj"].shape == (32, 32) and model.weights["layers.1.attn.k_proj"].shape == (32, 16)
    assert "layers.0.attn.q_proj.bias" in model.weights and "layers.0.attn.o_proj.bias" not in model.weights
    assert np.shares_memory(model.weights["lm_head"], model.weights["embed"])   # tied
    gpt2 = gpt2_config()
    write_checkpoint(tmp_path / "g", gpt2, gpt2_tensors(gpt2))
    assert load_model(tmp_path / "g").ops[:6] == ("layers.0.attn.qkv_proj", "layers.0.attn.qk", "layers.0.attn.pv",
                                                   "layers.0.attn.o_proj", "layers.0.mlp.up_proj", "layers.0.mlp.down_proj")


@pytest.mark.parametrize("bos", [True, False])
def test_tokenizer_json_is_used_and_its_bos_becomes_the_prefix(tmp_path, bos):
    config = llama_config(byte_tokens=False)
    write_checkpoint(tmp_path, config, llama_tensors(config))
    write_word_tokenizer(tmp_path, ["the", "cat", "sat"], bos)
    model = load_model(tmp_path)
    assert model.tokenizer.encode("the cat sat on").tolist() == [2, 3, 4, 0]
    assert model.tokenizer.prefix == ((1,) if bos else ())
    assert model.tokenizer.decode([2, 3]) == "the cat" and model.tokenizer.vocab_size == 5


def test_byte_level_models_read_utf8(tmp_path):
    config = gpt2_config()
    write_checkpoint(tmp_path, config, gpt2_tensors(config))
    write_word_tokenizer(tmp_path, ["ignored"], bos=True)    # byte_tokens wins over a tokenizer file
    tok = load_model(tmp_path).tokenizer
    assert tok.encode("añ").tolist() == [97, 195, 177] and tok.prefix == () and tok.source == "bytes"


def test_config_reading_defaults(tmp_path):
    config = llama_config("mistral", sliding_window=None)
    del config["num_key_value_heads"], config["rope_theta"]
    write_checkpoint(tmp_path, config, llama_tensors(config | {"num_key_value_heads": 4}))
    cfg = load_model(tmp_path).config
    assert (cfg.num_kv_heads, cfg.rope_theta, cfg.sliding_window, cfg.head_dim, cfg.context) == (4, 10000.0, None, 8, 32)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "mistral"
