"""experiments.models: policies assign datapaths to exactly the ops they name (seen through the
injected matmul), the exact float32 datapath reproduces the float32 model, and each op's
quantization (activation scaling, weight-only, Hadamard, KV cache) is what numsim's public pieces
compute."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import numsim
from experiments.models import Policy, Rule, compare, emulate, load_model, load_policy
from experiments.models.rotation import rotate
from model_checkpoints import gpt2_config, llama_config, relative_error, saved_model

TEXT = np.random.default_rng(3).integers(0, 256, 40)
FP32 = numsim.get_datapath("fp32")


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    """Qwen2: grouped-query attention (4 query heads, 2 key/value heads of 8), q/k/v biases."""
    return load_model(saved_model(tmp_path_factory.mktemp("qwen2"), llama_config("qwen2")))


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    return load_model(saved_model(tmp_path_factory.mktemp("gpt2"), gpt2_config()))


class Recorder:
    """A matmul that records every call (datapath, shapes) and runs numsim.matmul."""

    def __init__(self):
        self.calls = []

    def __call__(self, A, B, datapath):
        self.calls.append((datapath, A.shape, B.shape, A, B))
        return numsim.matmul(A, B, datapath)

    @property
    def datapaths(self):
        return [c[0] for c in self.calls]


# ---- which op gets which datapath --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["qwen", "gpt2"])
def test_each_op_is_one_call_with_the_datapath_its_rule_names(name, request):
    model = request.getfixturevalue(name)
    bf16, pairwise = numsim.get_datapath("bf16"), numsim.get_datapath("fp32 -> acc fp32 (pairwise)")
    policy = {"rules": {"layers.1.mlp.down_proj": "bf16", "layers.*.attn.qk": "fp32 -> acc fp32 (pairwise)"}}
    recorder = Recorder()
    emulate(model, policy, matmul=recorder).logits(TEXT[:16])
    expected = [bf16 if op == "layers.1.mlp.down_proj" else pairwise if op.endswith(".attn.qk") else FP32 for op in model.ops]
    assert recorder.datapaths == expected
    shapes = dict(zip(model.ops, [(a, b) for _, a, b, _, _ in recorder.calls]))
    assert shapes["layers.1.mlp.down_proj"] == ((16, 64 if name == "qwen" else 128), (64 if name == "qwen" else 128, 32))
    assert shapes["lm_head"] == ((16, 32), (32, 256))
    kv_heads, group = (2, 2) if name == "qwen" else (4, 1)
    assert shapes["layers.0.attn.qk"] == ((kv_heads, group, 16, 8), (kv_heads, 1, 8, 16))
    assert shapes["layers.0.attn.pv"] == ((kv_heads, group, 16, 16), (kv_heads, 1, 16, 8))


def test_the_last_matching_rule_wins_and_unnamed_ops_get_the_default(qwen):
    ops = qwen.ops
    forward = Policy(rules=(Rule("*", "e4m3"), Rule("lm_head", "bf16")), default="fp16").assign(ops)
    backward = Policy(rules=(Rule("lm_head", "bf16"), Rule("*", "e4m3")), default="fp16").assign(ops)
    assert forward["lm_head"].datapath.a_format.name == "bfloat16" and backward["lm_head"].datapath.a_format.name == "float8_e4m3fn"
    partial = Policy(rules=(Rule("layers.1.*", "e4m3"),), default="fp16").assign(ops)
    assert {op for op, r in partial.items() if r.pattern == "*"} == {op for op in ops if not op.startswith("layers.1.")}
    assert all(r.datapath == numsim.get_datapath("fp16") for r in partial.values() if r.pattern == "*")


def test_a_toml_policy_reads_like_its_dict(tmp_path, qwen):
    (tmp_path / "policy.toml").write_text(
        'default = "bf16"\nhadamard_seed = 3\nkv_cache = { format = "int8", scaling = "token", scale = "e8m0" }\n'
        '[rules]\n"layers.*" = "e4m3"\n"lm_head" = { datapath = "bf16", weight_format = "int4", weight_scaling = "block(16)" }\n')
    table = {"default": "bf16", "hadamard_seed": 3, "kv_cache": {"format": "int8", "scaling": "token", "scale": "e8m0"},
             "rules": {"layers.*": "e4m3", "lm_head": {"datapath": "bf16", "weight_format": "int4", "weight_scaling": "block(16)"}}}
    from_file = load_policy(tmp_path / "policy.toml")
    assert from_file == load_policy(table)
    assert from_file.kv_cache.scale.format == "float8_e8m0fnu" and from_file.rules[1].weight_block_size == 16
    assert emulate(qwen, from_file).rules["lm_head"].weight_format.name == "int4"


# ---- the exact datapath is the float32 model -------------------------------------------------------------


@pytest.mark.parametrize("name", ["qwen", "gpt2"])
def test_the_float32_datapath_reproduces_the_float32_model(name, request):
    """numsim's fp32 datapath sums each dot product sequentially with a float32 rounding per
    addition; NumPy's float32 matmul (BLAS) sums in another order (blocked, with FMA). Both are
    float32 arithmetic on the same values, so logits differ by a few float32 rounding errors of
    sums of at most 64 terms (measured: below 1e-6 relative) and perplexity by less than 1e-5
    relative; KL is of the order of those differences squared."""
    model = request.getfixturevalue(name)
    emulated = emulate(model, Policy())
    assert relative_error(emulated.logits(TEXT[:32]), model.logits(TEXT[:32]).astype(np.float64)) < 1e-5
    r = compare(emulated, TEXT, window=24, stride=8)
    assert abs(r["perplexity"] / r["perplexity_float32"] - 1) < 1e-5
    assert r["kl_nats_per_token"] < 1e-9 and r["top1_agreement_pct"] == 100.0 and r["tokens_scored"] == len(TEXT) - 1


def test_low_precision_policies_run_end_to_end_and_cost_accuracy(qwen):
    policy = {"rules": {"layers.*.mlp.*": "mxfp4", "layers.*.attn.*_proj": {"datapath": "e4m3", "a_scaling": "token", "b_scaling": "channel"},
                        "layers.*.attn.qk": "bf16", "layers.*.attn.pv": "e4m3 -> acc bf16", "lm_head": "nvfp4"},
              "kv_cache": "e4m3"}
    r = compare(emulate(qwen, policy), TEXT, window=32, stride=16)
    assert np.isfinite(r["perplexity"]) and r["perplexity_increase"] != 0
    assert 0 < r["kl_nats_per_token"] < 1.0 and 50 <= r["top1_agreement_pct"] <= 100


def test_overflow_shows_as_nan_not_as_an_error(qwen):
    """e4m3 operands scaled to 448 make products of 2^17, beyond fp16: the accumulator overflows."""
    r = compare(emulate(qwen, {"rules": {"layers.0.mlp.down_proj": "e4m3 -> acc fp16"}}), TEXT[:20])
    assert np.isnan(r["perplexity"]) and np.isfinite(r["perplexity_float32"])


# ---- what one op computes ---------------------------------------------------------------------------


def test_activation_scaling_is_numsims_scaled_matmul(qwen):
    dp = "int8 -> acc fixed<32,0>"
    emulated = emulate(qwen, {"rules": {"lm_head": {"datapath": dp, "a_scaling": "token", "b_scaling": "channel",
                                                     "scale": {"format": "fp32", "rounding": "nearest_even"}}}})
    x = np.random.default_rng(5).standard_normal((6, 32)).astype(np.float32)
    W = qwen.weights["lm_head"]
    recipe = dict(scale_format="fp32", rounding="nearest_even")
    expected = numsim.scaled_matmul(x, W, numsim.get_datapath(dp), numsim.token_scales(x, "int8", **recipe),
                                    numsim.channel_scales(W, "int8", **recipe))
    np.testing.assert_array_equal(emulated.project("lm_head", x), expected)
    assert emulated.rules["lm_head"].operand_scalings == ("token", "channel")


def test_weight_only_int4_groups_dequantize_into_the_datapath_format(qwen):
    emulated = emulate(qwen, {"rules": {"layers.0.mlp.down_proj": {"datapath": "bf16", "weight_format": "int4",
                                                                   "weight_scaling": "block(16)"}}})
    assert emulated.rules["layers.0.mlp.down_proj"].operand_scalings == ("none", "none")
    x = np.random.default_rng(6).standard_normal((5, 64)).astype(np.float32)
    W = qwen.weights["layers.0.mlp.down_proj"].astype(np.float64)          # (K=64, N=32): groups of 16 along K
    groups = W.reshape(4, 16, 32)
    scale = numsim.scale_from_amax(np.abs(groups).max(axis=1, keepdims=True), "int4")   # amax / 7, rounded up
    q = np.round(groups / scale)                                                        # ties to even, |q| <= 7
    assert np.abs(q).max() <= 7
    deq = (q * scale).reshape(64, 32).astype(ml_dtypes.bfloat16).astype(np.float64)
    xb = x.astype(ml_dtypes.bfloat16).astype(np.float64)
    expected = numsim.matmul(xb, deq, numsim.get_datapath("bf16")).astype(np.float32)
    np.testing.assert_array_equal(emulated.project("layers.0.mlp.down_proj", x), expected)


def test_block_weight_formats_need_no_scaling(qwen):
    emulated = emulate(qwen, {"rules": {"lm_head": {"datapath": "bf16", "weight_format": "mxfp4"}}})
    x = np.ones((1, 32), np.float32)
    W = numsim.quantize(qwen.weights["lm_head"], "mxfp4", axis=0)   # blocks of 32 along K
    np.testing.assert_array_equal(emulated.project("lm_head", x), W.sum(axis=0, keepdims=True).astype(np.float32))


def test_hadamard_rotation_keeps_the_float32_product_and_spreads_outliers(qwen):
    """Exact orthogonality: with the fp32 datapath the rotated model matches float32 to rounding;
    with 4-bit operands on data with an outlier channel, rotating gains SQNR (measured: 5.5 dB
    for e2m1 per tensor, 4.2 dB for int4 per token)."""
    rotated = emulate(qwen, {"rules": {"*": {"datapath": "fp32", "hadamard": True}}})
    assert relative_error(rotated.logits(TEXT[:16]), qwen.logits(TEXT[:16]).astype(np.float64)) < 1e-5
    A, B = np.random.default_rng(7).standard_normal((2, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(rotate(A, -1, 8, 0) @ rotate(B, -2, 8, 0), A @ B, rtol=0, atol=1e-5)
    assert not np.allclose(rotate(A, -1, 8, 0), A)
    x = np.random.default_rng(8).standard_normal((16, 64)).astype(np.float32)
    x[:, 5] *= 50
    exact = x.astype(np.float64) @ qwen.weights["layers.0.mlp.down_proj"]
    for rule in ({"datapath": "e2m1"}, {"datapath": "int4", "a_scaling": "token"}):
        sqnr = [numsim.metrics.sqnr_db(exact, emulate(qwen, {"rules": {"layers.0.mlp.down_proj": rule | {"hadamard": h}}})
                                       .project("layers.0.mlp.down_proj", x)) for h in (False, True)]
        assert sqnr[1] > sqnr[0] + 3


def test_kv_cache_is_stored_in_its_format(qwen):
    emulated = emulate(qwen, {"kv_cache": {"format": "int8", "scaling": "token"}})
    k, v = np.random.default_rng(9).standard_normal((2, 10, 2, 8)).astype(np.float32)
    stored_k, stored_v = emulated.store(0, k, v)
    s = numsim.token_scales(k, "int8")                         # one scale per token and head: (10, 2, 1)
    assert s.shape == (10, 2, 1) and stored_k.dtype == np.float32
    np.testing.assert_array_equal(stored_k, (numsim.scaled_quantize(k, "int8", s) * s).astype(np.float32))
    q = stored_v / numsim.token_scales(v, "int8")
    np.testing.assert_allclose(q, np.round(q), atol=1e-4)
    assert emulate(qwen, {"kv_cache": "fp32"}).logits(TEXT[:16]).tolist() == emulate(qwen, {}).logits(TEXT[:16]).tolist()
    assert relative_error(emulated.logits(TEXT[:16]), qwen.logits(TEXT[:16]).astype(np.float64)) > 1e-5
