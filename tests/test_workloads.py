"""hwmodels.workloads: the conv -> GEMM mapping against SCALE-Sim's conventions, network totals
against published figures, attention shapes, topology files, and every bad-input path.

Reference figures and where they come from:

- ResNet MACs: torchvision's model documentation lists 1.81 GFLOPS for ResNet-18 and 4.09 GFLOPS
  for ResNet-50 (``_ops`` 1.814 / 4.089 in the weights' metadata); torchvision counts one
  multiply-add as one op, so these are GMACs of one 224x224 image (convolutions and FC).
  He et al. (CVPR 2016, Table 1) give 1.8 and 3.8 x 10^9 "FLOPs" (multiply-adds); their
  ResNet-50 figure is for the original placement of the stride on the first 1x1 conv of a
  bottleneck, which costs fewer MACs than torchvision's v1.5 layout modelled here.
- ResNet parameters: torchvision's documentation, 11,689,512 (ResNet-18) and 25,557,032
  (ResNet-50), which include batch-norm scales and shifts and the FC bias.
- Llama parameters: 6.74e9 (Llama-2-7B) and 68.98e9 (Llama-2-70B, Touvron et al. 2023),
  8.03e9 (Llama-3-8B model card); exactly 6,738,415,616 / 68,976,648,192 / 8,030,261,248 as
  Hugging Face transformers' ``num_parameters()`` reports for the released checkpoints.
- BERT-base: 12 * (4 * 768^2 + 2 * 768 * 3072) = 84,934,656 weights in the encoder matrices.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwmodels import workloads as wl
from hwmodels.workloads import (
    MODELS,
    Conv2d,
    Elementwise,
    Gemm,
    Gemv,
    as_gemm,
    attention_decode,
    attention_prefill,
    BERT_BASE,
    TransformerSpec,
    bert_base,
    decoder_layer,
    llama_decoder_layer,
    llama_model,
    parameter_count,
    read_topology,
    resnet18,
    resnet50,
    total_flops,
    total_macs,
    write_topology,
)

# ---- the workload types --------------------------------------------------------------------------


def test_gemm_totals():
    g = Gemm(M=3, N=5, K=7, name="g", count=4)
    assert g.macs == 3 * 5 * 7 * 4 and g.flops == 2 * g.macs
    assert (g.ifmap_words, g.filter_words, g.ofmap_words) == (3 * 7 * 4, 7 * 5 * 4, 3 * 5 * 4)
    assert g.gemm() is g and as_gemm(g) is g
    assert Gemm(np.int64(2), 3, 4).M == 2 and type(Gemm(np.int64(2), 3, 4).M) is int


def test_conv_to_gemm_scalesim_example():
    # SCALE-Sim's worked layer: 18x18x16 ifmap (padding included), 3x3 filters, 32 of them,
    # stride 1 -> a 16x16 ofmap: M = 256 output pixels, N = 32 filters, K = 3*3*16 = 144.
    c = Conv2d(18, 18, 3, 3, channels=16, num_filters=32, stride=1)
    assert (c.ofmap_h, c.ofmap_w) == (16, 16)
    g = c.gemm()
    assert (g.M, g.N, g.K) == (256, 32, 144)
    assert c.macs == 256 * 32 * 144 == 1_179_648
    assert c.ifmap_words == 18 * 18 * 16  # unique words, not the 256 x 144 im2col matrix
    assert c.filter_words == 144 * 32 and c.ofmap_words == 256 * 32


def test_conv_to_gemm_hand_examples():
    # 9x9 ifmap, 3x3 window, stride 2: windows start at 0, 2, 4, 6 -> 4x4 outputs.
    c = Conv2d(9, 9, 3, 3, channels=2, num_filters=4, stride=2, batch=3, count=2, name="s2")
    assert (c.ofmap_h, c.ofmap_w) == (4, 4)
    assert c.gemm() == Gemm(M=3 * 16, N=4, K=18, name="s2", count=2)
    assert c.macs == 3 * 16 * 4 * 18 * 2
    assert c.ifmap_words == 3 * 81 * 2 * 2
    # Non-square: 10x7 ifmap, 3x2 filter, stride 1 -> 8x6.
    c = Conv2d(10, 7, 3, 2, channels=5, num_filters=6)
    assert (c.ofmap_h, c.ofmap_w, c.gemm().K) == (8, 6, 30)
    # ResNet stem: 224 + 2*3 padding, 7x7/2 -> 112x112, K = 7*7*3.
    stem = Conv2d(230, 230, 7, 7, 3, 64, stride=2)
    assert (stem.ofmap_h, stem.gemm().M, stem.gemm().K) == (112, 12544, 147)
    # A stride that does not divide ifmap - filter: PyTorch's floor (SCALE-Sim's ceil would say 4).
    assert Conv2d(8, 8, 3, 3, 1, 1, stride=2).ofmap_h == 3
    # SCALE-Sim's rounding counts the last, partial window: ceil((8 - 3 + 2) / 2) = 4
    assert Conv2d(8, 8, 3, 3, 1, 1, stride=2, ceil_mode=True).ofmap_h == 4
    assert Conv2d(230, 230, 7, 7, 3, 64, stride=2, ceil_mode=True).ofmap_w == 113


def test_gemm_form_as_scalesim_reads_it():
    # SCALE-Sim reads a GEMM row (M, N, K) as a conv: ifmap M x K, filter 1 x K, 1 channel,
    # N filters, stride 1. That conv's GEMM is the GEMM we started from.
    for m, n, k in [(1, 1, 1), (64, 32, 128), (7, 1000, 2048)]:
        assert Conv2d(m, k, 1, k, 1, n, 1, name="x").gemm() == Gemm(m, n, k, name="x")


def test_gemv_and_elementwise():
    v = Gemv(rows=4096, cols=1024, name="w", count=3, batch=2)
    assert v.gemm() == Gemm(M=2, N=4096, K=1024, name="w", count=3)
    assert (v.macs, v.flops) == (2 * 4096 * 1024 * 3, 4 * 4096 * 1024 * 3)
    assert (v.ifmap_words, v.filter_words, v.ofmap_words) == (2 * 1024 * 3, 4096 * 1024 * 3, 2 * 4096 * 3)
    assert Gemv(8, 8, filter_is_weight=False).gemm().filter_is_weight is False
    e = Elementwise(elements=100, ops_per_element=2.5, name="sm", count=4)
    assert (e.macs, e.flops, e.ifmap_words, e.filter_words, e.ofmap_words) == (0, 1000.0, 400, 0, 400)
    with pytest.raises(TypeError, match="'sm' is not a GEMM"):
        e.gemm()
    with pytest.raises(TypeError, match="not a GEMM"):
        as_gemm(e)


def test_totals_and_parameter_count():
    ws = [Gemm(2, 3, 4), Conv2d(4, 4, 3, 3, 2, 5), Gemv(6, 7), Elementwise(10, 3), Gemm(1, 9, 9, filter_is_weight=False)]
    assert total_macs(ws) == 24 + (2 * 2 * 9 * 2 * 5) + 42 + 81
    assert total_flops(ws) == 2 * total_macs(ws) + 30
    assert parameter_count(ws) == 12 + 90 + 42  # the KV-cache GEMM is not a parameter
    assert total_macs(Gemm(2, 2, 2)) == 8  # a single workload is accepted


@given(
    ih=st.integers(1, 40), iw=st.integers(1, 40), fh=st.integers(1, 40), fw=st.integers(1, 40),
    c=st.integers(1, 64), k=st.integers(1, 64), s=st.integers(1, 5), b=st.integers(1, 4), n=st.integers(1, 3),
)
def test_conv_gemm_property(ih, iw, fh, fw, c, k, s, b, n):
    fh, fw = min(fh, ih), min(fw, iw)
    conv = Conv2d(ih, iw, fh, fw, c, k, stride=s, batch=b, count=n)
    # The number of window positions, counted directly.
    oh, ow = len(range(0, ih - fh + 1, s)), len(range(0, iw - fw + 1, s))
    assert (conv.ofmap_h, conv.ofmap_w) == (oh, ow)
    g = conv.gemm()
    assert conv.macs == g.macs == b * oh * ow * fh * fw * c * k * n
    assert (g.M, g.N, g.K, g.count) == (b * oh * ow, k, fh * fw * c, n)
    assert conv.ofmap_words == b * oh * ow * k * n and conv.filter_words == fh * fw * c * k * n
    if s == 1:
        assert (conv.ofmap_h, conv.ofmap_w) == (ih - fh + 1, iw - fw + 1)


# ---- ResNet --------------------------------------------------------------------------------------

TORCHVISION = {  # name: (GMACs at 224x224, parameters), torchvision documentation
    "resnet18": (1.814, 11_689_512),
    "resnet50": (4.089, 25_557_032),
}


@pytest.mark.parametrize("build", [resnet18, resnet50])
def test_resnet_macs_and_parameters(build):
    gmacs, params = TORCHVISION[build.__name__]
    layers = build()
    macs = total_macs(layers)
    assert abs(macs / 1e9 / gmacs - 1) < 0.02  # measured: 1.8141 and 4.0892 GMACs
    assert abs(macs / 1e9 - gmacs) < 0.001
    # Conv and FC weights, plus batch norm (a scale and a shift per conv output channel) and the
    # FC bias, is torchvision's parameter count exactly: every conv and its shape are right.
    bn = 2 * sum(layer.num_filters for layer in layers if isinstance(layer, Conv2d))
    assert parameter_count(layers) + bn + 1000 == params
    # Batch scales every layer's M and the totals.
    assert total_macs(build(batch=4)) == 4 * macs


def test_resnet_structure():
    r18, r50 = resnet18(), resnet50()
    assert sum(isinstance(x, Conv2d) for x in r18) == 17 + 3  # 17 main-path convs + 3 projections
    assert sum(isinstance(x, Conv2d) for x in r50) == 49 + 4  # 49 main-path convs + 4 projections
    assert r18[-1] == Gemm(1, 1000, 512, "fc") and r50[-1] == Gemm(1, 1000, 2048, "fc")
    by_name = {x.name: x for x in r50}
    stem = by_name["conv1"]
    assert (stem.ifmap_h, stem.filter_h, stem.channels, stem.num_filters, stem.stride, stem.ofmap_h) == (230, 7, 3, 64, 2, 112)
    # v1.5: the stride-2 conv of a downsampling bottleneck is the 3x3 one.
    for stage, size in [(2, 28), (3, 14), (4, 7)]:
        c1, c2, ds = (by_name[f"layer{stage}.0.{n}"] for n in ("conv1", "conv2", "downsample"))
        assert (c1.filter_h, c1.stride, c2.filter_h, c2.stride, ds.filter_h, ds.stride) == (1, 1, 3, 2, 1, 2)
        assert c2.ofmap_h == ds.ofmap_h == size and c2.ifmap_h == 2 * size + 2
    assert by_name["layer1.0.downsample"].stride == 1 and by_name["layer4.2.conv3"].num_filters == 2048
    assert {x.ofmap_h for x in r18 if isinstance(x, Conv2d)} == {112, 56, 28, 14, 7}
    # Every layer's input size follows from the previous stage's output (padding folded in).
    assert by_name["layer1.0.conv1"].ifmap_h == 56 and by_name["layer1.0.conv2"].ifmap_h == 58


# ---- transformers --------------------------------------------------------------------------------

PUBLISHED_PARAMS = {"llama-2-7b": 6.74e9, "llama-3-8b": 8.03e9, "llama-2-70b": 68.98e9}
HF_PARAMS = {"llama-2-7b": 6_738_415_616, "llama-3-8b": 8_030_261_248, "llama-2-70b": 68_976_648_192}


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_llama_parameter_counts(name, phase):
    spec = MODELS[name]
    weights = parameter_count(llama_model(name, batch=2, seq_len=16, phase=phase))
    embedding = spec.vocab * spec.d_model
    assert abs((weights + embedding) / PUBLISHED_PARAMS[name] - 1) < 0.01
    norms = (2 * spec.layers + 1) * spec.d_model  # RMSNorm gains: not matrices
    assert weights + embedding + norms == HF_PARAMS[name]
    assert weights == spec.layers * spec.layer_weights + embedding  # the LM head is vocab x d too


def test_bert_base_weights_and_shapes():
    layers = bert_base(batch=2, seq_len=128)
    assert parameter_count(layers) == 12 * (4 * 768**2 + 2 * 768 * 3072) == 84_934_656
    assert abs(parameter_count(layers) / 85.0e6 - 1) < 0.001
    by_name = {x.name: x for x in layers}
    assert by_name["qkv"] == Gemm(256, 2304, 768, "qkv", count=12)
    assert by_name["ffn_up"] == Gemm(256, 3072, 768, "ffn_up", count=12)
    assert by_name["ffn_down"] == Gemm(256, 768, 3072, "ffn_down", count=12)
    qk, pv = by_name["attn.qk"], by_name["attn.pv"]
    assert (qk.M, qk.N, qk.K, qk.count) == (128, 128, 64, 2 * 12 * 12)
    assert (pv.M, pv.N, pv.K) == (128, 64, 128)
    assert by_name["attn.softmax"].ops_per_element == 5  # bidirectional: no mask
    # Known figure: 2 * params * tokens + attention: 2 * (2*s^2*d) per layer (QK^T and PV).
    assert total_macs(layers) == 256 * 84_934_656 + 12 * 2 * 2 * 128 * 128 * 768


@pytest.mark.parametrize("name,g", [("llama-2-7b", 1), ("llama-3-8b", 4), ("llama-2-70b", 8)])
def test_gqa_decode_shapes(name, g):
    spec = MODELS[name]
    assert spec.group == g and spec.head_dim == 128
    layer = llama_decoder_layer(name, batch=3, seq_len=1000)
    by_name = {x.name: x for x in layer}
    qk, sm, pv = by_name["attn.qk"], by_name["attn.softmax"], by_name["attn.pv"]
    assert (qk.M, qk.N, qk.K, qk.count) == (g, 1000, 128, 3 * spec.kv_heads)
    assert (pv.M, pv.N, pv.K, pv.count) == (g, 128, 1000, 3 * spec.kv_heads)
    assert (sm.elements, sm.count) == (g * 1000, 3 * spec.kv_heads)
    assert not qk.filter_is_weight and not pv.filter_is_weight
    # The filter words are the KV cache of this layer, read once: 2 * batch * kv_heads * len * hd.
    assert qk.filter_words + pv.filter_words == 2 * 3 * spec.kv_heads * 1000 * 128
    # Every query head still does its MACs.
    assert qk.macs + pv.macs == 2 * 3 * spec.q_heads * 128 * 1000
    d = spec.d_model
    assert by_name["qkv"] == Gemm(3, (spec.q_heads + 2 * spec.kv_heads) * 128, d, "qkv")
    assert by_name["o_proj"] == Gemm(3, d, d, "o_proj")
    assert by_name["gate_up"] == Gemm(3, 2 * spec.ffn, d, "gate_up")
    assert by_name["down"] == Gemm(3, d, spec.ffn, "down")
    assert sum(isinstance(x, Elementwise) and x.name.endswith("norm") for x in layer) == 2


def test_gelu_decoder_layer_and_tensor_parallel_split():
    """A GELU (GPT-style) layer has one up projection, LayerNorms and no RoPE; tensor parallelism
    divides heads and FFN columns so that tp devices together hold the whole layer's weights."""
    gpt = TransformerSpec("gpt", 256, 4, 8, 8, 1024, 1000, "gelu", "test")
    one = decoder_layer(gpt, batch=2, seq_len=64)
    names = [w.name for w in one]
    assert "ffn_up" in names and "gelu" in names and "rope" not in names and "gate_up" not in names
    assert [w.ops_per_element for w in one if w.name.endswith("norm")] == [7, 7]
    for tp in (1, 2, 4, 8):
        part = decoder_layer(gpt, 2, 64, tensor_parallel=tp)
        assert tp * parameter_count(part) == parameter_count(one) == gpt.layer_weights
        assert tp * sum(w.macs for w in part if isinstance(w, Gemm)) == sum(w.macs for w in one if isinstance(w, Gemm))
    llama = decoder_layer("llama-3-8b", 1, 16, tensor_parallel=8)
    assert [(w.name, w.N) for w in llama if w.name in ("qkv", "gate_up")] == [("qkv", (4 + 2) * 128), ("gate_up", 2 * 14336 // 8)]
    assert llama_decoder_layer is decoder_layer and BERT_BASE.ffn_kind == "gelu"
    with pytest.raises(ValueError, match=r"decoder_layer: tensor_parallel must divide the heads \(32, 8 KV\).*got 3"):
        decoder_layer("llama-3-8b", 1, 16, tensor_parallel=3)
    with pytest.raises(ValueError, match="decoder_layer: tensor_parallel must be an integer >= 1, got 0"):
        decoder_layer("llama-3-8b", 1, 16, tensor_parallel=0)


def test_llama_prefill_and_model():
    spec = MODELS["llama-3-8b"]
    layer = llama_decoder_layer("llama-3-8b", batch=2, seq_len=512, phase="prefill")
    by_name = {x.name: x for x in layer}
    assert by_name["qkv"].M == 2 * 512
    qk = by_name["attn.qk"]
    assert (qk.M, qk.N, qk.K, qk.count) == (512, 512, 128, 2 * 32)
    assert by_name["attn.softmax"].ops_per_element == 6  # causal mask applied to the full square
    model = llama_model("llama-3-8b", 2, 512, "prefill")
    assert model[-1] == Gemm(2, 128256, 4096, "lm_head")  # last position of each prompt
    assert [x.count for x in model[:-2]] == [x.count * 32 for x in layer]
    # Decode: one MAC per weight (LM head included) per token, plus the attention over the cache.
    dec = llama_model("llama-3-8b", 4, 2048)
    attn = sum(x.macs for x in dec if isinstance(x, Gemm) and not x.filter_is_weight)
    assert total_macs(dec) - attn == 4 * (spec.layers * spec.layer_weights + spec.vocab * spec.d_model)
    assert attn == 4 * spec.layers * 2 * spec.q_heads * 128 * 2048
    assert llama_model(wl.LLAMA_2_7B, 1, 1) == llama_model("LLaMA-2-7B", 1, 1)


def test_attention_pieces_direct():
    qk, sm, pv = attention_decode(2, 8, 2, 64, 100, name="a")
    assert (qk.name, sm.name, pv.name) == ("a.qk", "a.softmax", "a.pv")
    assert (qk.M, qk.count, sm.ops_per_element) == (4, 4, 5)
    qk, sm, pv = attention_prefill(1, 8, 2, 64, 10, causal=True)
    assert (qk.M, qk.N, qk.K, qk.count) == (10, 10, 64, 8) and sm.elements == 100 and sm.ops_per_element == 6
    assert attention_prefill(1, 8, 2, 64, 10, causal=False)[1].ops_per_element == 5
    assert total_macs(attention_prefill(1, 8, 8, 64, 10)) == 2 * 8 * 10 * 10 * 64


# ---- topology files ------------------------------------------------------------------------------

CONV_CSV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 230, 230, 7, 7, 3, 64, 2,

  Conv2 ,58,58,3,3,64,64,1,
Conv3, 18, 18, 3, 3, 16, 32, 1, 1:4,
Conv4, 9, 9, 1, 1, 8, 8, 1
"""

GEMM_CSV = """Layer, M, N, K,
QKV, 128, 2304, 768,
FFN1, 128, 3072, 768, 2:4,

"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_read_conv_topology(tmp_path):
    p = _write(tmp_path, "net.csv", CONV_CSV)
    layers = read_topology(p)
    assert [x.name for x in layers] == ["Conv1", "Conv2", "Conv3", "Conv4"]
    assert layers[0] == Conv2d(230, 230, 7, 7, 3, 64, 2, name="Conv1", ceil_mode=True)
    assert layers[2].gemm() == Gemm(256, 32, 144, "Conv3")  # the sparsity column is ignored
    assert layers[3] == Conv2d(9, 9, 1, 1, 8, 8, 1, name="Conv4", ceil_mode=True)  # no trailing comma is fine
    assert read_topology(str(p), form="conv") == layers


def test_read_gemm_topology(tmp_path):
    p = _write(tmp_path, "g.csv", GEMM_CSV)
    assert read_topology(p) == [Gemm(128, 2304, 768, "QKV"), Gemm(128, 3072, 768, "FFN1")]
    assert read_topology(p, form="gemm") == read_topology(p)


def test_read_scalesim_written_conv_file(tmp_path):
    # SCALE-Sim's write_topo_file writes two stride columns.
    text = ("Layer name,IFMAP height,IFMAP width,Filter height,Filter width,Channels,Num filter,Stride height,Stride width,\n"
            "a,10,10,3,3,4,8,2,2,\n")
    assert read_topology(_write(tmp_path, "s.csv", text)) == [Conv2d(10, 10, 3, 3, 4, 8, 2, name="a", ceil_mode=True)]
    bad = text + "b,10,10,3,3,4,8,2,1,\n"
    with pytest.raises(ValueError, match=r"s2\.csv:3: .*Stride height 2 != Stride width 1"):
        read_topology(_write(tmp_path, "s2.csv", bad))


def test_topology_round_trip(tmp_path):
    convs = [x for x in resnet50() if isinstance(x, Conv2d)]
    p = tmp_path / "r50.csv"
    write_topology(convs, p)
    assert p.read_text().splitlines()[0].startswith("Layer name, IFMAP Height")
    assert all(line.endswith(",") for line in p.read_text().splitlines())
    back = read_topology(p)
    assert [b.gemm() for b in back] == [c.gemm() for c in convs]  # the stem's unused last row is not written
    assert [(b.ifmap_h, b.ifmap_w) for b in back][:2] == [(229, 229), (56, 56)]
    assert all(b.ceil_mode for b in back)
    gemms = [x for x in llama_decoder_layer("llama-3-8b", 4, 128) if isinstance(x, Gemm) and x.filter_is_weight]
    write_topology(gemms, p)
    assert read_topology(p) == gemms
    # Mixed lists are written in the GEMM form; counts become repeated rows.
    mixed = [Conv2d(18, 18, 3, 3, 16, 32, name="c", batch=2), Gemv(10, 20, name="v", count=3)]
    write_topology(mixed, p)
    back = read_topology(p)
    assert back == [Gemm(512, 32, 144, "c")] + [Gemm(1, 10, 20, "v")] * 3
    assert total_macs(back) == total_macs(mixed)
    write_topology(convs[:2], p, form="gemm")
    assert read_topology(p) == [c.gemm() for c in convs[:2]]


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(1, 10**6),
                          st.text("abcXYZ_.-0123456789 ", min_size=1, max_size=12).map(str.strip).filter(bool)),
                min_size=1, max_size=6))
def test_topology_round_trip_property(rows):
    gemms = [Gemm(m, n, k, name) for m, n, k, name in rows]
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.csv")
        write_topology(gemms, p)
        assert read_topology(p) == gemms


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,kwargs", [
    (Gemm, dict(M=4, N=4, K=4)),
    (Conv2d, dict(ifmap_h=8, ifmap_w=8, filter_h=3, filter_w=3, channels=2, num_filters=2, stride=1, batch=1)),
    (Gemv, dict(rows=4, cols=4, batch=1)),
    (Elementwise, dict(elements=4, ops_per_element=1.0)),
])
def test_bad_integer_arguments(cls, kwargs):
    ints = [k for k, v in kwargs.items() if isinstance(v, int)] + ["count"]
    for arg in ints:
        for bad, exc in [(0, ValueError), (-3, ValueError), (True, TypeError), (2.0, TypeError), ("4", TypeError), (None, TypeError)]:
            with pytest.raises(exc, match=rf"{cls.__name__}: {arg} must be an integer >= 1, got {bad!r}"):
                cls(**{**kwargs, arg: bad})
    with pytest.raises(TypeError, match=rf"{cls.__name__}: name must be a string, got 3"):
        cls(**kwargs, name=3)


def test_bad_other_arguments():
    with pytest.raises(TypeError, match="Gemm: filter_is_weight must be True or False, got 1"):
        Gemm(1, 1, 1, filter_is_weight=1)
    with pytest.raises(TypeError, match="Gemv: filter_is_weight must be True or False"):
        Gemv(1, 1, filter_is_weight="no")
    for bad, exc in [(0, ValueError), (-1.5, ValueError), (math.inf, ValueError), (math.nan, ValueError), (True, TypeError), ("2", TypeError)]:
        with pytest.raises(exc, match="Elementwise: ops_per_element must be a .*number > 0"):
            Elementwise(10, bad)
    with pytest.raises(ValueError, match=r"Conv2d: filter_h=5 is larger than ifmap_h=3 .*allowed: filter_h <= ifmap_h"):
        Conv2d(3, 9, 5, 3, 1, 1)
    with pytest.raises(ValueError, match=r"Conv2d: filter_w=10 is larger than ifmap_w=9"):
        Conv2d(9, 9, 3, 10, 1, 1)
    with pytest.raises(TypeError, match="workload must be a Gemm, Conv2d, Gemv or Elementwise, got"):
        as_gemm((1, 2, 3))
    with pytest.raises(TypeError, match=r"workloads\[1\] must be a Gemm"):
        total_macs([Gemm(1, 1, 1), "conv"])
    with pytest.raises(TypeError, match="workloads must be a workload or an iterable"):
        parameter_count(5)
    # Frozen.
    with pytest.raises(AttributeError):
        Gemm(1, 1, 1).M = 2  # type: ignore[misc]
    assert replace(Gemm(1, 1, 1), M=2).M == 2
    with pytest.raises(ValueError, match="Gemm: M must be"):
        replace(Gemm(1, 1, 1), M=0)


def test_bad_attention_and_model_arguments():
    with pytest.raises(ValueError, match="attention_decode: q_heads=12 must be a multiple of kv_heads=5"):
        attention_decode(1, 12, 5, 64, 10)
    with pytest.raises(ValueError, match="attention_prefill: q_heads=4 must be a multiple of kv_heads=8"):
        attention_prefill(1, 4, 8, 64, 10)
    with pytest.raises(ValueError, match="attention_decode: kv_len must be an integer >= 1, got 0"):
        attention_decode(1, 8, 8, 64, 0)
    with pytest.raises(TypeError, match="attention_prefill: head_dim must be an integer >= 1, got 64.0"):
        attention_prefill(1, 8, 8, 64.0, 10)
    with pytest.raises(TypeError, match="attention_prefill: causal must be True or False, got 'yes'"):
        attention_prefill(1, 8, 8, 64, 10, causal="yes")
    with pytest.raises(TypeError, match="attention_decode: name must be a string"):
        attention_decode(1, 8, 8, 64, 10, name=None)
    with pytest.raises(ValueError, match=r"decoder_layer: model must be one of \['llama-2-70b', 'llama-2-7b', 'llama-3-8b'\].*got 'gpt-2'"):
        llama_decoder_layer("gpt-2", 1, 1)
    with pytest.raises(ValueError, match="llama_model: model must be one of .*got None"):
        llama_model(None, 1, 1)
    with pytest.raises(ValueError, match="llama_model: phase must be 'decode' or 'prefill', got 'train'"):
        llama_model("llama-2-7b", 1, 1, phase="train")
    with pytest.raises(ValueError, match="decoder_layer: seq_len must be an integer >= 1, got 0"):
        llama_decoder_layer("llama-2-7b", 1, 0)
    with pytest.raises(ValueError, match="bert_base: batch must be an integer >= 1, got 0"):
        bert_base(batch=0)
    with pytest.raises(TypeError, match="resnet50: batch must be an integer >= 1, got 1.5"):
        resnet50(batch=1.5)
    with pytest.raises(ValueError, match="resnet18: image_size must be an integer >= 32"):
        resnet18(image_size=16)


HEADER_CONV = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


@pytest.mark.parametrize("rows,message", [
    ("a, 8, 8, 3, 3, 4, 4,\n", r"bad\.csv:3: expected 8 fields \(Layer name, .*Strides\) and optionally an N:M sparsity ratio, got 7"),
    ("a, 8, 8, 3, 3, 4, 4, 1, 1, 1,\n", r"bad\.csv:3: expected 8 fields .* got 10"),
    ("a, 8, 8, 3, 3, 4, 4, 1, x:4,\n", r"bad\.csv:3: expected 8 fields .* got 9"),
    ("a, 8, 8.5, 3, 3, 4, 4, 1,\n", r"bad\.csv:3: IFMAP Width must be an integer >= 1, got '8\.5'"),
    ("a, 8, 8, 3, 3, four, 4, 1,\n", r"bad\.csv:3: Channels must be an integer >= 1, got 'four'"),
    ("a, 8, 8, 3, 3, 4, , 1,\n", r"bad\.csv:3: Num Filter must be an integer >= 1, got ''"),
    ("a, 8, 8, 3, 3, 4, 4, 0,\n", r"bad\.csv:3: Strides must be an integer >= 1, got 0"),
    ("a, 8, 8, 3, 3, 4, -4, 1,\n", r"bad\.csv:3: Num Filter must be an integer >= 1, got '-4'"),
    ("a, 2, 8, 3, 3, 4, 4, 1,\n", r"bad\.csv:3: Conv2d: filter_h=3 is larger than ifmap_h=2"),
])
def test_malformed_conv_rows(tmp_path, rows, message):
    p = _write(tmp_path, "bad.csv", HEADER_CONV + "ok, 8, 8, 3, 3, 4, 4, 1,\n" + rows)
    with pytest.raises(ValueError, match=message):
        read_topology(p)
    assert str(p) in _error(p)  # the file name as given


def _error(p) -> str:
    try:
        read_topology(p)
    except ValueError as e:
        return str(e)
    raise AssertionError("no error")


def test_malformed_gemm_rows_and_headers(tmp_path):
    p = _write(tmp_path, "g.csv", "Layer, M, N, K,\n\nx, 1, 2, 3,\n\ny, 1, 2,\n")
    with pytest.raises(ValueError, match=r"g\.csv:5: expected 4 fields \(Layer, M, N, K\).* got 3"):
        read_topology(p)
    p = _write(tmp_path, "g0.csv", "Layer, M, N, K,\nx, 1, 0, 3,\n")
    with pytest.raises(ValueError, match=r"g0\.csv:2: N must be an integer >= 1, got 0"):
        read_topology(p)
    p = _write(tmp_path, "h.csv", "name, a, b, c\nx, 1, 2, 3\n")
    with pytest.raises(ValueError, match=r"h\.csv:1: header .* is neither the conv form .* nor the GEMM form .*form='conv' or form='gemm'"):
        read_topology(p)
    # Forcing the form reads the same file (the header is skipped, as SCALE-Sim does).
    assert read_topology(p, form="gemm") == [Gemm(1, 2, 3, "x")]
    with pytest.raises(ValueError, match=r"h\.csv:2: expected 8 fields"):
        read_topology(p, form="conv")
    with pytest.raises(ValueError, match="read_topology: form must be None, 'conv' or 'gemm', got 'mnk'"):
        read_topology(p, form="mnk")
    with pytest.raises(TypeError, match="read_topology: path must be a str or os.PathLike, got 3"):
        read_topology(3)
    assert read_topology(_write(tmp_path, "empty.csv", "")) == []


def test_write_topology_errors(tmp_path):
    p = tmp_path / "w.csv"
    with pytest.raises(TypeError, match=r"workloads\[1\] \('sm'\) is Elementwise, which has no GEMM form"):
        write_topology([Gemm(1, 1, 1), Elementwise(4, 1, "sm")], p)
    with pytest.raises(TypeError, match=r"form='conv' needs Conv2d workloads, workloads\[0\]"):
        write_topology([Gemm(1, 1, 1)], p, form="conv")
    with pytest.raises(ValueError, match=r"no batch column, workloads\[0\] \('c'\) has batch=2; use form='gemm'"):
        write_topology([Conv2d(4, 4, 3, 3, 1, 1, name="c", batch=2)], p)
    with pytest.raises(ValueError, match=r"workloads\[0\]\.name 'a,b' cannot be written"):
        write_topology([Gemm(1, 1, 1, "a,b")], p)
    with pytest.raises(ValueError, match=r"workloads\[0\]\.name ' a' cannot be written"):
        write_topology([Gemm(1, 1, 1, " a")], p)
    with pytest.raises(ValueError, match="write_topology: form must be None, 'conv' or 'gemm', got 'csv'"):
        write_topology([Gemm(1, 1, 1)], p, form="csv")
    with pytest.raises(TypeError, match=r"workloads\[0\] must be a Gemm"):
        write_topology([(1, 2, 3)], p)
    with pytest.raises(TypeError, match="write_topology: path must be a str or os.PathLike"):
        write_topology([Gemm(1, 1, 1)], None)
    assert not p.exists()
