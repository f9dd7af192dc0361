"""experiments.models: bad inputs raise errors that name the file, key, pattern or op."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from safetensors.numpy import save_file

from experiments.models import KVCache, Policy, Rule, emulate, load_model, load_policy, perplexity
from model_checkpoints import gpt2_config, gpt2_tensors, llama_config, llama_tensors, saved_model, write_checkpoint, write_word_tokenizer


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    return load_model(saved_model(tmp_path_factory.mktemp("llama"), llama_config("llama")))


def _raises(exc, text: str, call) -> None:
    with pytest.raises(exc, match=re.escape(text)):
        call()


# ---- folders and files ---------------------------------------------------------------------------------


def test_a_folder_that_is_not_a_checkpoint(tmp_path):
    _raises(FileNotFoundError, f"checkpoint folder {tmp_path / 'nowhere'} does not exist", lambda: load_model(tmp_path / "nowhere"))
    _raises(FileNotFoundError, f"{tmp_path / 'config.json'} not found", lambda: load_model(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps(llama_config()))
    _raises(FileNotFoundError, f"{tmp_path} holds no *.safetensors file and no model.safetensors.index.json", lambda: load_model(tmp_path))
    (tmp_path / "config.json").write_text("{not json")
    _raises(ValueError, f"{tmp_path / 'config.json'}: not valid JSON", lambda: load_model(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps(llama_config()))
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header}")
    _raises(ValueError, f"{tmp_path / 'model.safetensors'}: not a safetensors file", lambda: load_model(tmp_path))


def test_an_unsupported_architecture_names_the_file_and_the_value(tmp_path):
    write_checkpoint(tmp_path, {"model_type": "bert", "vocab_size": 256}, {"w": np.zeros(2, np.float32)})
    _raises(ValueError, f"{tmp_path / 'config.json'}: model_type must be one of llama, mistral, qwen2, gpt2, got 'bert'",
            lambda: load_model(tmp_path))


@pytest.mark.parametrize("change, message", [
    ({"num_hidden_layers": None}, "config.json: num_hidden_layers must be an integer, got None"),
    ({"hidden_act": "relu"}, "config.json: hidden_act must be one of silu, gelu_new, gelu_pytorch_tanh, gelu, got 'relu'"),
    ({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, "config.json rope_scaling: type must be one of default, linear, llama3, got 'yarn'"),
    ({"num_key_value_heads": 3}, "config.json: num_heads=4 must be a multiple of num_kv_heads=3"),
    ({"model_type": "qwen2", "use_sliding_window": True}, "config.json: use_sliding_window=True is not supported (only False)"),
])
def test_config_values_the_forward_pass_does_not_implement(tmp_path, change, message):
    write_checkpoint(tmp_path, llama_config() | change, {"w": np.zeros(2, np.float32)})
    _raises(ValueError, message, lambda: load_model(tmp_path))


def test_a_missing_tensor_names_the_key_and_the_folder(tmp_path):
    config = llama_config()
    write_checkpoint(tmp_path, config, llama_tensors(config), shards=2, drop=("model.layers.1.mlp.up_proj.weight",))
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert "model.layers.1.mlp.up_proj.weight" not in index["weight_map"]
    _raises(ValueError, f"checkpoint {tmp_path} has no tensor 'model.layers.1.mlp.up_proj.weight' "
            "(searched model-00001-of-00002.safetensors, model-00002-of-00002.safetensors)", lambda: load_model(tmp_path))


def test_a_tensor_of_the_wrong_shape_names_the_key_and_the_file(tmp_path):
    config = gpt2_config()
    tensors = gpt2_tensors(config)
    tensors["h.1.mlp.c_fc.weight"] = tensors["h.1.mlp.c_fc.weight"].T.copy()   # stored (out, in) by mistake
    write_checkpoint(tmp_path, config, tensors)
    _raises(ValueError, f"{tmp_path / 'model.safetensors'}: tensor 'h.1.mlp.c_fc.weight' has shape (128, 32), expected (32, 128)",
            lambda: load_model(tmp_path))


def test_an_index_naming_a_missing_shard(tmp_path):
    config = llama_config()
    write_checkpoint(tmp_path, config, llama_tensors(config), shards=2)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    _raises(FileNotFoundError, f"{tmp_path / 'model-00002-of-00002.safetensors'} not found: model.safetensors.index.json maps tensors to it",
            lambda: load_model(tmp_path))


def test_an_unsupported_dtype_names_the_file_key_and_dtype(tmp_path):
    config = llama_config()
    tensors = llama_tensors(config)
    write_checkpoint(tmp_path, config, tensors)
    tensors["model.norm.weight"] = np.ones(32, np.int8)
    save_file(tensors, tmp_path / "model.safetensors")
    _raises(ValueError, f"{tmp_path / 'model.safetensors'}: tensor 'model.norm.weight' has dtype I8; supported: F32, F16, BF16, F64",
            lambda: load_model(tmp_path))


# ---- tokenizers ------------------------------------------------------------------------------------------


def test_a_tokenizer_larger_than_the_vocabulary(tmp_path):
    config = llama_config(byte_tokens=False, vocab_size=8)
    write_checkpoint(tmp_path, config, llama_tensors(config))
    write_word_tokenizer(tmp_path, [f"w{i}" for i in range(10)], bos=False)
    _raises(ValueError, f"{tmp_path / 'tokenizer.json'} has a vocabulary of 12 tokens, more than vocab_size=8 of {tmp_path / 'config.json'}",
            lambda: load_model(tmp_path))


def test_no_tokenizer_and_no_byte_flag(tmp_path):
    config = llama_config(byte_tokens=False)
    write_checkpoint(tmp_path, config, llama_tensors(config))
    _raises(FileNotFoundError, f"{tmp_path / 'tokenizer.json'} not found; a byte-level model sets \"byte_tokens\": true",
            lambda: load_model(tmp_path))


def test_token_ids_outside_the_vocabulary_or_the_context(llama):
    _raises(ValueError, "token ids must lie in [0, 256) (vocab_size), got ids in [0, 300]", lambda: llama.logits([0, 300]))
    _raises(ValueError, "tokens must be a 1-D integer array of 1 to 32 (the context) ids, got shape (33,)", lambda: llama.logits(np.zeros(33, int)))
    _raises(ValueError, "window must be at most 32 tokens (the context 32 minus a prefix of 0), got 40",
            lambda: perplexity(llama, np.zeros(50, int), window=40))
    _raises(ValueError, "stride must lie in [1, 15] for windows of 16 tokens (without a prefix), got 16",
            lambda: perplexity(llama, np.zeros(50, int), window=16, stride=16))


# ---- policies ------------------------------------------------------------------------------------------------


def test_a_pattern_that_matches_no_op_is_named(llama):
    _raises(ValueError, "policy rule pattern 'layers.*.mlp.down' matches no op of the model (ops are named like "
            "'layers.0.attn.q_proj', 'lm_head': see experiments.models.architectures.op_names); did you mean 'layers.1.mlp.down_proj'?",
            lambda: emulate(llama, {"rules": {"layers.*.mlp.down": "e4m3"}}))
    _raises(ValueError, "policy rule pattern 'layers.7.*' matches no op", lambda: emulate(llama, {"rules": {"layers.7.*": "e4m3"}}))
    _raises(ValueError, "policy rule pattern 'attn.qkv_proj' matches no op", lambda: emulate(llama, {"rules": {"attn.qkv_proj": "bf16"}}))


def test_rules_that_cannot_apply(llama):
    _raises(ValueError, "rule 'layers.*.attn.qk' sets weight_format, but layers.0.attn.qk multiplies two activations (no weight)",
            lambda: emulate(llama, {"rules": {"layers.*.attn.qk": {"datapath": "bf16", "weight_format": "int4"}}}))
    _raises(ValueError, "hadamard=16 does not divide the inner dimension K=8 of layers.0.attn.qk",
            lambda: emulate(llama, {"rules": {"*": {"datapath": "fp32", "hadamard": 16}}}).logits([1, 2, 3]))
    _raises(ValueError, "layers.0.attn.qk ((2, 2, 3, 8) x (2, 1, 8, 3)) under rule 'layers.*': K=8 is not a multiple of the block size 32",
            lambda: emulate(llama, {"rules": {"layers.*": "mxfp4"}}).logits([1, 2, 3]))


@pytest.mark.parametrize("make, exc, message", [
    (lambda: load_policy({"rule": {}}), ValueError, "policy: unknown key 'rule', allowed: default, rules, kv_cache, hadamard_seed; did you mean 'rules'?"),
    (lambda: load_policy({"rules": {"lm_head": {"datapth": "bf16"}}}), ValueError,
     "policy: rule 'lm_head' must be a datapath or a table with a datapath, got {'datapth': 'bf16'}"),
    (lambda: load_policy({"rules": {"lm_head": {"datapath": "bf16", "a_scale": "token"}}}), ValueError,
     "policy: rule 'lm_head': unknown key 'a_scale'"),
    (lambda: Rule("x", "e4m3", a_scaling="channel"), ValueError, "rule 'x': a_scaling must be one of auto, none, tensor, token, got 'channel'"),
    (lambda: Rule("x", "mxfp4", b_scaling="channel"), ValueError, "rule 'x': b_scaling='channel', but mxfp4 is a block format with its own scales"),
    (lambda: Rule("x", "bf16", weight_format="int4", weight_scaling="group(4)"), ValueError,
     "rule 'x': weight_scaling must be one of auto, tensor, channel, block(N), got 'group(4)'"),
    (lambda: Rule("x", "bf16", weight_scaling="channel"), ValueError, "rule 'x': weight_scaling='channel' needs a weight_format"),
    (lambda: Rule("x", "bf16", hadamard=12), ValueError, "rule 'x': hadamard must be true, false or a power of two >= 2"),
    (lambda: Rule("x", "e4m3", scale={"format": "int8"}), TypeError, "scale_format must be a float format, got int8"),
    (lambda: Rule("x", "e4m3 -> acc fp33"), ValueError, "accumulator at position 12 of 'e4m3 -> acc fp33'"),
    (lambda: KVCache(format="mxfp4", scaling="token"), ValueError, "kv_cache.scaling='token', but mxfp4 is a block format"),
    (lambda: Policy(hadamard_seed=-1), ValueError, "hadamard_seed must be a non-negative integer, got -1"),
    (lambda: load_policy("missing.toml"), FileNotFoundError, "policy file missing.toml not found"),
])
def test_policy_errors_name_the_rule_and_the_key(make, exc, message):
    _raises(exc, message, make)


def test_a_toml_policy_with_an_error_names_the_file(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[rules]\n"lm_head" = { datapath = "bf16", hadamard = 3 }\n')
    _raises(ValueError, f"{path}: rule 'lm_head': hadamard must be true, false or a power of two", lambda: load_policy(path))
    path.write_text('rules = [')
    _raises(ValueError, f"{path}: not valid TOML", lambda: load_policy(path))
