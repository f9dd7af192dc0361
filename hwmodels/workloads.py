"""Workloads the machine models consume: GEMMs, convolutions, GEMVs, element-wise work, and the
layer lists of common networks (ResNet-18/50, BERT-base, Llama-2/3).

Every MAC workload reduces to one GEMM, ``C[M, N] = A[M, K] @ B[K, N]``, in SCALE-Sim's terms:
A is the **ifmap** (activations), B the **filter** (weights, or a KV cache in attention), C the
**ofmap**. ``count`` is the number of identical, independent instances run one after another
(heads x batch, repeated layers); every total (``macs``, ``flops``, ``*_words``) includes it.
Word counts are *unique* operand elements (what a perfect on-chip buffer would fetch once), not
the traffic of any particular dataflow: the machine models work that out.

- :class:`Gemm`, :class:`Conv2d` (SCALE-Sim conventions, padding folded into the ifmap size),
  :class:`Gemv` (a matrix in memory times ``batch`` vectors), :class:`Elementwise` (softmax,
  norms, activations: flops but no MACs); :data:`Workload` is their union, :func:`as_gemm`
  the GEMM view of any MAC workload;
- :func:`attention_decode` / :func:`attention_prefill`: the pieces of one attention (GQA aware);
- :func:`resnet18`, :func:`resnet50`, :func:`bert_base`, :func:`llama_decoder_layer`,
  :func:`llama_model`: layer lists built from the published dimensions held in
  :data:`RESNET18`, :data:`RESNET50` and the transformers of :data:`TRANSFORMERS`
  (:func:`get_transformer`: Llama-2/3, GPT-3 175B, BERT-base);
- :func:`get_workload`: the workload a string names (``"gemm(64, 128, 256)"``, ``"resnet50"``,
  ``"llama3_8b_decode(8, 1024)"``: every name of :data:`WORKLOADS`), as sweep configs spell them;
- :func:`read_topology` / :func:`write_topology`: SCALE-Sim topology CSV files (conv and GEMM forms);
- :func:`total_macs`, :func:`total_flops`, :func:`parameter_count`: sums over a list.

>>> conv = Conv2d(18, 18, 3, 3, channels=16, num_filters=32)   # SCALE-Sim's own example layer
>>> g = conv.gemm()
>>> (g.M, g.N, g.K), conv.macs
((256, 32, 144), 1179648)
>>> round(total_macs(resnet50()) / 1e9, 2)   # GMACs of one 224x224 image
4.09
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterable, Union

from . import data
from ._checks import boolean, choice, close_match, integer, real, string

# ---- the workload types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Gemm:
    """``C[M, N] = A[M, K] @ B[K, N]``, ``count`` times (independent instances, one after another).

    A is the ifmap (activations, M x K), B the filter (K x N), C the ofmap (M x N), as in
    SCALE-Sim. ``filter_is_weight`` says whether B holds trained weights (True: linear layers,
    convolutions) or is computed at run time (False: attention's K^T and V, a KV cache);
    :func:`parameter_count` counts only the former. Dimensions and ``count`` are integers >= 1.

    >>> g = Gemm(M=8, N=4096, K=4096, name="q_proj", count=32)
    >>> g.macs, g.flops, g.filter_words
    (4294967296, 8589934592, 536870912)
    """

    M: int
    N: int
    K: int
    name: str = "gemm"
    count: int = 1
    filter_is_weight: bool = True

    def __post_init__(self) -> None:
        for f in ("M", "N", "K", "count"):
            object.__setattr__(self, f, integer(f"Gemm: {f}", getattr(self, f)))
        string("Gemm: name", self.name)
        boolean("Gemm: filter_is_weight", self.filter_is_weight)

    @property
    def macs(self) -> int:
        """Multiply-accumulates: ``M * N * K * count``."""
        return self.M * self.N * self.K * self.count

    @property
    def flops(self) -> int:
        """Floating-point (or integer) operations, a MAC counting two: ``2 * macs``."""
        return 2 * self.macs

    @property
    def ifmap_words(self) -> int:
        """Unique elements of A (activations): ``M * K * count``."""
        return self.M * self.K * self.count

    @property
    def filter_words(self) -> int:
        """Unique elements of B (weights or KV cache): ``K * N * count``."""
        return self.K * self.N * self.count

    @property
    def ofmap_words(self) -> int:
        """Elements of C (outputs): ``M * N * count``."""
        return self.M * self.N * self.count

    def gemm(self) -> Gemm:
        """This GEMM (every MAC workload has a ``gemm()``)."""
        return self


@dataclass(frozen=True)
class Conv2d:
    """A 2-D convolution in SCALE-Sim's conventions, ``batch`` images, ``count`` times.

    ``ifmap_h`` x ``ifmap_w`` **include the padding** (a 224x224 image with 3 pixels of padding is
    230x230); ``filter_h`` x ``filter_w`` x ``channels`` is one filter, ``num_filters`` of them;
    one ``stride`` for both axes. The output is ``ofmap_h = (ifmap_h - filter_h) // stride + 1``
    (the same for the width), the framework (PyTorch) convention; with ``ceil_mode=True`` it is
    SCALE-Sim's ``ceil((ifmap_h - filter_h + stride) / stride)`` (``topo_calc_hyperparams``), one
    more when ``stride`` does not divide ``ifmap_h - filter_h`` (a last, partial window).
    :func:`read_topology` sets ``ceil_mode`` so that SCALE-Sim's files map as SCALE-Sim maps them;
    the layer lists fold padding so that the stride divides it, where the two agree.

    :meth:`gemm` is SCALE-Sim's mapping: one GEMM row per output pixel, one column per filter,
    a reduction over the R x S x C window: ``M = batch * ofmap_h * ofmap_w``,
    ``N = num_filters``, ``K = filter_h * filter_w * channels``. ``ifmap_words`` counts the
    *unique* input words (padding included), not the im2col matrix.

    >>> c = Conv2d(230, 230, 7, 7, channels=3, num_filters=64, stride=2, name="conv1")
    >>> c.ofmap_h, c.gemm()
    (112, Gemm(M=12544, N=64, K=147, name='conv1', count=1, filter_is_weight=True))
    """

    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride: int = 1
    name: str = "conv"
    batch: int = 1
    count: int = 1
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        boolean("Conv2d: ceil_mode", self.ceil_mode)
        for f in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters", "stride", "batch", "count"):
            object.__setattr__(self, f, integer(f"Conv2d: {f}", getattr(self, f)))
        string("Conv2d: name", self.name)
        for axis in ("h", "w"):
            fil, ifm = getattr(self, f"filter_{axis}"), getattr(self, f"ifmap_{axis}")
            if fil > ifm:
                raise ValueError(
                    f"Conv2d: filter_{axis}={fil} is larger than ifmap_{axis}={ifm} (the ifmap includes padding); "
                    f"allowed: filter_{axis} <= ifmap_{axis}, so that ofmap_{axis} >= 1"
                )

    @property
    def ofmap_h(self) -> int:
        """Output rows: ``(ifmap_h - filter_h) // stride + 1`` (rounded up with ``ceil_mode``)."""
        return self._out(self.ifmap_h - self.filter_h)

    @property
    def ofmap_w(self) -> int:
        """Output columns: ``(ifmap_w - filter_w) // stride + 1`` (rounded up with ``ceil_mode``)."""
        return self._out(self.ifmap_w - self.filter_w)

    def _out(self, span: int) -> int:
        return (-(-span // self.stride) if self.ceil_mode else span // self.stride) + 1

    def gemm(self) -> Gemm:
        """The GEMM a systolic array runs (see the class docstring)."""
        return Gemm(
            M=self.batch * self.ofmap_h * self.ofmap_w, N=self.num_filters,
            K=self.filter_h * self.filter_w * self.channels, name=self.name, count=self.count,
        )

    @property
    def macs(self) -> int:
        """``batch * ofmap_h * ofmap_w * filter_h * filter_w * channels * num_filters * count``."""
        return self.gemm().macs

    @property
    def flops(self) -> int:
        """``2 * macs``."""
        return 2 * self.macs

    @property
    def ifmap_words(self) -> int:
        """Unique input words, padding included: ``batch * ifmap_h * ifmap_w * channels * count``."""
        return self.batch * self.ifmap_h * self.ifmap_w * self.channels * self.count

    @property
    def ifmap_words_read(self) -> int:
        """Unique input words some window reads: fewer than :attr:`ifmap_words` when the stride
        skips rows or columns (``stride > filter``) or the windows stop short of the edge.

        >>> Conv2d(15, 9, 3, 1, channels=15, num_filters=4, stride=2).ifmap_words_read   # 15 x 5 columns used
        1125
        """
        return (self.batch * self._used(self.ifmap_h, self.filter_h, self.ofmap_h)
                * self._used(self.ifmap_w, self.filter_w, self.ofmap_w) * self.channels * self.count)

    def _used(self, size: int, window: int, out: int) -> int:
        """Rows (or columns) of ``size`` covered by ``out`` windows of ``window`` every ``stride``."""
        if self.stride <= window:
            return min(size, (out - 1) * self.stride + window)
        return (out - 1) * window + max(0, min(window, size - (out - 1) * self.stride))

    @property
    def filter_words(self) -> int:
        """Weights: ``filter_h * filter_w * channels * num_filters * count``."""
        return self.filter_h * self.filter_w * self.channels * self.num_filters * self.count

    @property
    def ofmap_words(self) -> int:
        """Outputs: ``batch * ofmap_h * ofmap_w * num_filters * count``."""
        return self.gemm().ofmap_words


@dataclass(frozen=True)
class Gemv:
    """``y[rows] = W[rows, cols] @ x[cols]`` for ``batch`` vectors sharing W, ``count`` times.

    W is the matrix that lives in memory (weights, or a KV cache: ``filter_is_weight=False``);
    :meth:`gemm` is ``Gemm(M=batch, N=rows, K=cols)``: the vectors are the ifmap, W the filter,
    the outputs the ofmap, and every total is that GEMM's.

    >>> Gemv(rows=4096, cols=4096, batch=2).gemm()
    Gemm(M=2, N=4096, K=4096, name='gemv', count=1, filter_is_weight=True)
    """

    rows: int
    cols: int
    name: str = "gemv"
    count: int = 1
    batch: int = 1
    filter_is_weight: bool = True

    def __post_init__(self) -> None:
        for f in ("rows", "cols", "count", "batch"):
            object.__setattr__(self, f, integer(f"Gemv: {f}", getattr(self, f)))
        string("Gemv: name", self.name)
        boolean("Gemv: filter_is_weight", self.filter_is_weight)

    def gemm(self) -> Gemm:
        """``Gemm(M=batch, N=rows, K=cols, name, count)``."""
        return Gemm(self.batch, self.rows, self.cols, self.name, self.count, self.filter_is_weight)

    @property
    def macs(self) -> int:
        """``batch * rows * cols * count``."""
        return self.gemm().macs

    @property
    def flops(self) -> int:
        """``2 * macs``."""
        return self.gemm().flops

    @property
    def ifmap_words(self) -> int:
        """Input vector elements: ``batch * cols * count``."""
        return self.gemm().ifmap_words

    @property
    def filter_words(self) -> int:
        """Matrix elements: ``rows * cols * count``."""
        return self.gemm().filter_words

    @property
    def ofmap_words(self) -> int:
        """Output elements: ``batch * rows * count``."""
        return self.gemm().ofmap_words


@dataclass(frozen=True)
class Elementwise:
    """Vector work without MACs (softmax, normalisation, activation, residual add):
    ``elements`` values, ``ops_per_element`` operations on each, ``count`` times.

    It reads and writes ``elements * count`` words; it has no weights and no GEMM form
    (:meth:`gemm` raises TypeError). ``ops_per_element`` is a finite number > 0 (fractions allow
    per-row work such as a reciprocal spread over the row).

    >>> sm = Elementwise(elements=32 * 1024, ops_per_element=5, name="softmax", count=8)
    >>> sm.macs, sm.flops, sm.ifmap_words
    (0, 1310720.0, 262144)
    """

    elements: int
    ops_per_element: float
    name: str = "elementwise"
    count: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", integer("Elementwise: elements", self.elements))
        object.__setattr__(self, "count", integer("Elementwise: count", self.count))
        object.__setattr__(self, "ops_per_element", real("Elementwise: ops_per_element", self.ops_per_element))
        string("Elementwise: name", self.name)

    @property
    def macs(self) -> int:
        """0: element-wise work has no multiply-accumulates."""
        return 0

    @property
    def flops(self) -> float:
        """``elements * ops_per_element * count``."""
        return self.elements * self.ops_per_element * self.count

    @property
    def ifmap_words(self) -> int:
        """Words read: ``elements * count``."""
        return self.elements * self.count

    @property
    def filter_words(self) -> int:
        """0: no weights."""
        return 0

    @property
    def ofmap_words(self) -> int:
        """Words written: ``elements * count``."""
        return self.elements * self.count

    def gemm(self) -> Gemm:
        """Always raises TypeError: element-wise work is not a GEMM."""
        raise TypeError(f"Elementwise workload {self.name!r} is not a GEMM; it has no gemm() form (filter it out, or price it as vector work)")


#: Any workload of this module.
Workload = Union[Gemm, Conv2d, Gemv, Elementwise]
WORKLOAD_TYPES = (Gemm, Conv2d, Gemv, Elementwise)


def as_gemm(workload: Workload) -> Gemm:
    """The GEMM a systolic array runs for ``workload`` (Gemm, Conv2d or Gemv).

    Raises TypeError for an :class:`Elementwise` piece or anything that is not a workload.

    >>> as_gemm(Gemv(rows=1024, cols=512, name="fc")).M
    1
    """
    if isinstance(workload, (Gemm, Conv2d, Gemv)):
        return workload.gemm()
    if isinstance(workload, Elementwise):
        return workload.gemm()  # raises TypeError naming the piece
    raise TypeError(f"workload must be a Gemm, Conv2d, Gemv or Elementwise, got {workload!r} ({type(workload).__name__})")


def _check_list(workloads) -> list:
    if isinstance(workloads, WORKLOAD_TYPES):
        return [workloads]
    try:
        items = list(workloads)
    except TypeError:
        raise TypeError(f"workloads must be a workload or an iterable of workloads, got {workloads!r}") from None
    for i, w in enumerate(items):
        if not isinstance(w, WORKLOAD_TYPES):
            raise TypeError(f"workloads[{i}] must be a Gemm, Conv2d, Gemv or Elementwise, got {w!r} ({type(w).__name__})")
    return items


def total_macs(workloads: Iterable[Workload]) -> int:
    """Sum of ``macs`` over ``workloads`` (Elementwise pieces add 0).

    >>> total_macs([Gemm(2, 3, 4), Gemm(1, 1, 1, count=5)])
    29
    """
    return sum(w.macs for w in _check_list(workloads))


def total_flops(workloads: Iterable[Workload]) -> float:
    """Sum of ``flops`` over ``workloads`` (2 per MAC plus the element-wise operations).

    >>> total_flops([Gemm(2, 3, 4), Elementwise(10, 0.5)])
    53.0
    """
    return sum(w.flops for w in _check_list(workloads))


def parameter_count(workloads: Iterable[Workload]) -> int:
    """Trained weights in ``workloads``: ``filter_words`` of every Conv2d, and of every Gemm/Gemv
    with ``filter_is_weight``. Each counted instance (``count``) is taken to own its weights, as
    in the layer lists here, where ``count`` stands for repeated layers and batching goes into M.

    >>> parameter_count(attention_decode(1, 8, 8, 128, 4096) + [Gemm(1, 4096, 4096)])
    16777216
    """
    total = 0
    for w in _check_list(workloads):
        if isinstance(w, Conv2d) or (isinstance(w, (Gemm, Gemv)) and w.filter_is_weight):
            total += w.filter_words
    return total


# ---- attention -----------------------------------------------------------------------------------

#: Operations per score in softmax: max, subtract, exp, sum, divide.
SOFTMAX_OPS = 5
#: One more per score for a causal mask applied to the full square (select or add -inf).
CAUSAL_MASK_OPS = 1


def _heads(owner: str, q_heads, kv_heads) -> int:
    if q_heads % kv_heads:
        raise ValueError(f"{owner}: q_heads={q_heads} must be a multiple of kv_heads={kv_heads} (grouped-query attention)")
    return q_heads // kv_heads


def attention_decode(batch: int, q_heads: int, kv_heads: int, head_dim: int, kv_len: int, name: str = "attn") -> list[Workload]:
    """The attention of one new token per request against ``kv_len`` cached tokens.

    Grouped-query attention: each KV head serves ``g = q_heads / kv_heads`` query heads, whose
    ``g`` query rows share that head's cached K and V. For each request and KV head
    (``count = batch * kv_heads``):

    - ``{name}.qk``: scores ``Gemm(M=g, N=kv_len, K=head_dim)``, the filter is the cached K^T;
    - ``{name}.softmax``: ``Elementwise(g * kv_len, 5)`` (max, subtract, exp, sum, divide);
    - ``{name}.pv``: ``Gemm(M=g, N=head_dim, K=kv_len)``, the filter is the cached V.

    Both GEMMs have ``filter_is_weight=False``: the KV cache is read from memory, it is not a
    parameter. With ``g == 1`` (multi-head attention) each is a GEMV, kept as a Gemm with M = 1.

    >>> qk, sm, pv = attention_decode(batch=4, q_heads=32, kv_heads=8, head_dim=128, kv_len=2048)
    >>> (qk.M, qk.N, qk.K, qk.count), (pv.M, pv.N, pv.K), qk.filter_words == pv.filter_words
    ((4, 2048, 128, 32), (4, 128, 2048), True)
    """
    owner = "attention_decode"
    batch, q_heads, kv_heads, head_dim, kv_len = (
        integer(f"{owner}: {a}", v) for a, v in
        (("batch", batch), ("q_heads", q_heads), ("kv_heads", kv_heads), ("head_dim", head_dim), ("kv_len", kv_len))
    )
    string(f"{owner}: name", name)
    g = _heads(owner, q_heads, kv_heads)
    n = batch * kv_heads
    return [
        Gemm(g, kv_len, head_dim, f"{name}.qk", n, filter_is_weight=False),
        Elementwise(g * kv_len, SOFTMAX_OPS, f"{name}.softmax", n),
        Gemm(g, head_dim, kv_len, f"{name}.pv", n, filter_is_weight=False),
    ]


def attention_prefill(
    batch: int, q_heads: int, kv_heads: int, head_dim: int, seq_len: int, causal: bool = True, name: str = "attn"
) -> list[Workload]:
    """The attention of ``seq_len`` prompt tokens per request among themselves, per query head
    (``count = batch * q_heads``):

    - ``{name}.qk``: scores ``Gemm(M=seq_len, N=seq_len, K=head_dim)`` (filter: K^T);
    - ``{name}.softmax``: ``Elementwise(seq_len**2, 5 + causal)``: max, subtract, exp, sum,
      divide, and with ``causal`` one more operation per score to apply the mask;
    - ``{name}.pv``: ``Gemm(M=seq_len, N=head_dim, K=seq_len)`` (filter: V).

    Causal masking is **not** exploited: a dense array computes the whole square and the mask
    discards the upper triangle, so the GEMMs are the same either way and ``causal`` only adds the
    masking operations. Under GQA each query head reads its KV head's K and V, so the filter
    words count them once per query head (``g`` times per KV head). ``q_heads`` must be a
    multiple of ``kv_heads``.

    >>> qk, sm, pv = attention_prefill(batch=1, q_heads=12, kv_heads=12, head_dim=64, seq_len=128, causal=False)
    >>> (qk.M, qk.N, qk.K, qk.count), sm.ops_per_element, (pv.M, pv.N, pv.K)
    ((128, 128, 64, 12), 5.0, (128, 64, 128))
    """
    owner = "attention_prefill"
    batch, q_heads, kv_heads, head_dim, seq_len = (
        integer(f"{owner}: {a}", v) for a, v in
        (("batch", batch), ("q_heads", q_heads), ("kv_heads", kv_heads), ("head_dim", head_dim), ("seq_len", seq_len))
    )
    boolean(f"{owner}: causal", causal)
    string(f"{owner}: name", name)
    _heads(owner, q_heads, kv_heads)
    n = batch * q_heads
    return [
        Gemm(seq_len, seq_len, head_dim, f"{name}.qk", n, filter_is_weight=False),
        Elementwise(seq_len * seq_len, SOFTMAX_OPS + (CAUSAL_MASK_OPS if causal else 0), f"{name}.softmax", n),
        Gemm(seq_len, head_dim, seq_len, f"{name}.pv", n, filter_is_weight=False),
    ]


# ---- ResNet --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResNetSpec:
    """Dimensions of an ImageNet ResNet: a 7x7/2 stem (64 filters) and 3x3/2 max pool, four
    stages of ``blocks`` residual blocks of ``widths`` channels (the first block of stages 2-4
    halves the resolution), global average pooling and a ``classes``-way FC layer.
    ``block`` is ``"basic"`` (two 3x3 convs) or ``"bottleneck"`` (1x1, 3x3, 1x1 with 4x expansion).
    """

    name: str
    block: str
    blocks: tuple[int, int, int, int]
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    classes: int = 1000
    source: str = "He et al., 'Deep Residual Learning for Image Recognition', CVPR 2016, Table 1"

    @property
    def expansion(self) -> int:
        """Output channels of a block per unit of width: 1 (basic) or 4 (bottleneck)."""
        return 4 if self.block == "bottleneck" else 1


# He et al., CVPR 2016, Table 1: 18-layer column (basic blocks [2, 2, 2, 2]).
RESNET18 = ResNetSpec("resnet18", "basic", (2, 2, 2, 2))
# He et al., CVPR 2016, Table 1: 50-layer column (bottleneck blocks [3, 4, 6, 3]).
RESNET50 = ResNetSpec("resnet50", "bottleneck", (3, 4, 6, 3))


def _resnet(spec: ResNetSpec, batch, image_size) -> list[Workload]:
    owner = spec.name
    batch = integer(f"{owner}: batch", batch)
    image_size = integer(f"{owner}: image_size", image_size)
    if image_size < 32:
        raise ValueError(f"{owner}: image_size must be an integer >= 32 (five halvings), got {image_size}")
    layers: list[Workload] = []

    def conv(name, size, cin, cout, k, stride, pad):
        c = Conv2d(size + 2 * pad, size + 2 * pad, k, k, cin, cout, stride, name, batch)
        layers.append(c)
        return c.ofmap_h

    size = conv("conv1", image_size, 3, 64, 7, 2, 3)
    size = (size + 2 * 1 - 3) // 2 + 1  # 3x3/2 max pool, padding 1 (not a MAC layer)
    cin = 64
    for stage, (nblocks, width) in enumerate(zip(spec.blocks, spec.widths), start=1):
        cout = width * spec.expansion
        for b in range(nblocks):
            stride = 2 if (stage > 1 and b == 0) else 1
            p = f"layer{stage}.{b}"
            if spec.block == "basic":
                out = conv(f"{p}.conv1", size, cin, width, 3, stride, 1)
                conv(f"{p}.conv2", out, width, width, 3, 1, 1)
            else:  # v1.5: the stride sits on the 3x3 conv
                conv(f"{p}.conv1", size, cin, width, 1, 1, 0)
                out = conv(f"{p}.conv2", size, width, width, 3, stride, 1)
                conv(f"{p}.conv3", out, width, cout, 1, 1, 0)
            if stride != 1 or cin != cout:
                conv(f"{p}.downsample", size, cin, cout, 1, stride, 0)
            cin, size = cout, out
    layers.append(Gemm(batch, spec.classes, cin, "fc"))
    return layers


def resnet18(batch: int = 1, image_size: int = 224) -> list[Workload]:
    """Every convolution of ResNet-18 (:data:`RESNET18`) and its FC layer, for ``batch`` images of
    ``image_size`` x ``image_size`` pixels.

    One :class:`Conv2d` per layer, named as torchvision's modules (``conv1``,
    ``layer2.0.conv1``, ``layer2.0.downsample``...), padding folded into the ifmap (the stem sees
    230x230x3: 7x7, 64 filters, stride 2 -> 112x112), 1x1 stride-2 projection shortcuts where the
    shape changes; then ``Gemm(M=batch, N=1000, K=512)`` named ``fc``. Pooling, batch norm and
    the residual additions are left out (no MACs). 1.81 GMACs per 224x224 image.

    >>> layers = resnet18()
    >>> len(layers), layers[0].gemm().M, layers[-1]
    (21, 12544, Gemm(M=1, N=1000, K=512, name='fc', count=1, filter_is_weight=True))
    """
    return _resnet(RESNET18, batch, image_size)


def resnet50(batch: int = 1, image_size: int = 224) -> list[Workload]:
    """Every convolution of ResNet-50 (:data:`RESNET50`) and its FC layer, as :func:`resnet18`.

    Bottleneck blocks in the torchvision "v1.5" layout: 1x1 reduce, **3x3 with the stride**,
    1x1 expand (x4); the first block of every stage has a 1x1 projection shortcut (stride 2 in
    stages 2-4). The FC is ``Gemm(M=batch, N=1000, K=2048)``. 4.09 GMACs per 224x224 image.

    >>> [(l.name, l.stride, l.ofmap_h) for l in resnet50()[11:15]]
    [('layer2.0.conv1', 1, 56), ('layer2.0.conv2', 2, 28), ('layer2.0.conv3', 1, 28), ('layer2.0.downsample', 2, 28)]
    """
    return _resnet(RESNET50, batch, image_size)


# ---- transformers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformerSpec:
    """Dimensions of a transformer: ``layers`` blocks of width ``d_model``, ``q_heads`` query heads
    and ``kv_heads`` key/value heads (fewer under grouped-query attention), a feed-forward
    ``ffn`` wide (``"swiglu"``: gate, up and down matrices; ``"gelu"``: up and down), and a
    ``vocab``-word embedding (and, for decoders, an untied LM head). ``decoder``: causal
    self-attention over a KV cache, one token per step when decoding (False for an encoder such
    as BERT, whose attention is bidirectional). ``name`` is the model's published name."""

    name: str
    d_model: int
    layers: int
    q_heads: int
    kv_heads: int
    ffn: int
    vocab: int
    ffn_kind: str
    source: str
    decoder: bool = True

    @property
    def head_dim(self) -> int:
        """``d_model // q_heads``."""
        return self.d_model // self.q_heads

    @property
    def group(self) -> int:
        """Query heads per KV head."""
        return self.q_heads // self.kv_heads

    @property
    def layer_weights(self) -> int:
        """Weights of the matrices of one layer (norm vectors and biases excluded)."""
        d, hd = self.d_model, self.head_dim
        attn = d * (self.q_heads + 2 * self.kv_heads) * hd + self.q_heads * hd * d
        mlp = (3 if self.ffn_kind == "swiglu" else 2) * d * self.ffn
        return attn + mlp


# Touvron et al., "Llama 2: Open Foundation and Fine-Tuned Chat Models", arXiv 2307.09288 (2023),
# Table 1 and the released config: d=4096, 32 layers, 32 heads (MHA), FFN 11008, vocab 32000.
LLAMA_2_7B = TransformerSpec("llama-2-7b", 4096, 32, 32, 32, 11008, 32000, "swiglu",
                             "Touvron et al., 'Llama 2', arXiv 2307.09288, 2023")
# Same paper: d=8192, 80 layers, 64 heads, 8 KV heads (GQA), FFN 28672, vocab 32000.
LLAMA_2_70B = TransformerSpec("llama-2-70b", 8192, 80, 64, 8, 28672, 32000, "swiglu",
                              "Touvron et al., 'Llama 2', arXiv 2307.09288, 2023")
# Meta Llama 3 model card (2024) and Grattafiori et al., "The Llama 3 Herd of Models",
# arXiv 2407.21783, Table 3: d=4096, 32 layers, 32 heads, 8 KV heads, FFN 14336, vocab 128256.
LLAMA_3_8B = TransformerSpec("llama-3-8b", 4096, 32, 32, 8, 14336, 128256, "swiglu",
                             "Meta Llama 3 model card, 2024; 'The Llama 3 Herd of Models', arXiv 2407.21783")
# Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
# NAACL 2019, section 3: BERT-base L=12, H=768, A=12, feed-forward 4H = 3072; WordPiece vocab 30522.
BERT_BASE = TransformerSpec("bert-base", 768, 12, 12, 12, 3072, 30522, "gelu",
                            "Devlin et al., 'BERT', NAACL 2019", decoder=False)
# Brown et al., "Language Models are Few-Shot Learners", NeurIPS 2020, Table 2.1 (hwmodels.data.GPT3_175B):
# d=12288, 96 layers, 96 heads (MHA), FFN 4d = 49152, GELU, vocab 50257.
GPT3_175B = TransformerSpec("gpt3-175b", data.GPT3_175B["d_model"], data.GPT3_175B["layers"], data.GPT3_175B["heads"],
                            data.GPT3_175B["heads"], data.GPT3_175B["ffn"], data.GPT3_175B["vocab"], "gelu",
                            data.GPT3_175B["source"])

#: Every transformer by its registry name: the name configs, workload strings
#: (:func:`get_workload`) and the decode systems (:mod:`hwmodels.decode`) use.
TRANSFORMERS: dict[str, TransformerSpec] = {
    "gpt3_175b": GPT3_175B, "llama3_8b": LLAMA_3_8B, "llama2_7b": LLAMA_2_7B, "llama2_70b": LLAMA_2_70B, "bert_base": BERT_BASE,
}
#: The Llama models :func:`decoder_layer` and :func:`llama_model` take by name (published or registry name).
MODELS: dict[str, TransformerSpec] = {s.name: s for s in (LLAMA_2_7B, LLAMA_2_70B, LLAMA_3_8B)}


def _name_key(name: str) -> str:
    """A model name as names are compared: lower case, without ``-`` and ``_`` (``"Llama-3-8B"``
    and ``"llama3_8b"`` are one name)."""
    return name.lower().replace("-", "").replace("_", "")


def get_transformer(model: str, decoders_only: bool = False) -> TransformerSpec:
    """The transformer named ``model`` in :data:`TRANSFORMERS`; names compare in any case and with
    or without ``-`` and ``_``, so a model's published name (``spec.name``) finds it too.
    ``decoders_only``: only the decoders (the models a decode step runs). ValueError listing the
    names otherwise, with the closest one.

    >>> get_transformer("llama3_8b") is get_transformer("Llama-3-8B") is LLAMA_3_8B
    True
    >>> get_transformer("gpt3_175b").d_model
    12288
    """
    names = [n for n, s in TRANSFORMERS.items() if s.decoder or not decoders_only]
    return TRANSFORMERS[choice("model", model, names, key=_name_key)]

#: Element-wise operation counts of the non-MAC pieces (per element).
RMSNORM_OPS = 4     # square, sum, multiply by 1/rms, multiply by the gain (one rsqrt per row ignored)
LAYERNORM_OPS = 7   # sum (mean), subtract, square, sum (variance), multiply by 1/std, gain, bias
ROPE_OPS = 3        # x*cos + rotate(x)*sin with cos/sin precomputed: two multiplies, one add
SILU_MUL_OPS = 5    # silu(g)*u = g / (1 + exp(-g)) * u: exp, add, divide, multiply by g, multiply by u
GELU_OPS = 8        # tanh form: cube, multiply-add, scale, tanh, add, two multiplies, halve
RESIDUAL_OPS = 1    # one add


def _phase(owner: str, phase) -> str:
    if phase not in ("decode", "prefill"):
        raise ValueError(f"{owner}: phase must be 'decode' or 'prefill', got {phase!r}")
    return phase


def _model(owner: str, model) -> TransformerSpec:
    if isinstance(model, TransformerSpec):
        return model
    by_key = {_name_key(name): spec for name, spec in MODELS.items()}
    if not isinstance(model, str) or _name_key(model) not in by_key:
        raise ValueError(f"{owner}: model must be one of {sorted(MODELS)} (or a TransformerSpec), got {model!r}"
                         f"{close_match(model, sorted(MODELS), _name_key)}")
    return by_key[_name_key(model)]


def _scaled(pieces: list[Workload], k: int) -> list[Workload]:
    """``pieces`` with every count multiplied by ``k`` (k repeated layers)."""
    return [replace(w, count=w.count * k) for w in pieces]


def decoder_layer(model, batch: int, seq_len: int, phase: str = "decode", tensor_parallel: int = 1) -> list[Workload]:
    """One decoder layer of ``model`` (a name in :data:`MODELS` or a :class:`TransformerSpec`), as
    one of ``tensor_parallel`` devices runs it.

    ``phase="decode"``: ``batch`` requests each add one token attending to ``seq_len`` cached
    positions (the new one included), so the projections see ``T = batch`` tokens and the
    attention is :func:`attention_decode` with ``kv_len = seq_len``. ``phase="prefill"``:
    ``batch`` prompts of ``seq_len`` tokens, ``T = batch * seq_len``, causal
    :func:`attention_prefill`. Tensor parallelism splits as Megatron does: heads, the QKV and
    FFN-up output columns and the O and FFN-down input rows over ``tp`` devices (it must divide
    the query heads, the KV heads and the FFN width). The pieces, in order (d = d_model,
    hd = head_dim, h = q_heads / tp, g = kv_heads / tp, f = ffn / tp):

    - ``attn_norm``: RMSNorm ``Elementwise(T * d, 4)`` (``"gelu"`` models: LayerNorm, 7 ops);
    - ``qkv``: the Q, K and V projections **fused into one GEMM**, ``Gemm(M=T, N=(h + 2g) * hd, K=d)``;
    - ``rope``: rotary embedding of Q and K, ``Elementwise(T * (h + g) * hd, 3)`` (``"swiglu"``
      models only: the ``"gelu"`` ones here, GPT-3 and BERT, use learned or absolute positions);
    - ``attn.qk``, ``attn.softmax``, ``attn.pv``: the attention over the device's heads;
    - ``o_proj``: ``Gemm(M=T, N=d, K=h * hd)``; ``attn_residual``: ``Elementwise(T * d, 1)``;
    - ``ffn_norm``: as ``attn_norm``;
    - SwiGLU: ``gate_up``, gate and up **fused**, ``Gemm(M=T, N=2f, K=d)``, and ``silu_mul``
      ``Elementwise(T * f, 5)``; GELU: ``ffn_up`` ``Gemm(M=T, N=f, K=d)`` and ``gelu`` (8 ops);
    - ``down``: ``Gemm(M=T, N=d, K=f)``; ``ffn_residual``: ``Elementwise(T * d, 1)``.

    >>> [(w.name, w.M, w.N, w.K) for w in decoder_layer("llama-3-8b", 8, 1024) if isinstance(w, Gemm) and w.filter_is_weight]
    [('qkv', 8, 6144, 4096), ('o_proj', 8, 4096, 4096), ('gate_up', 8, 28672, 4096), ('down', 8, 4096, 14336)]
    """
    owner = "decoder_layer"
    spec = _model(owner, model)
    batch = integer(f"{owner}: batch", batch)
    seq_len = integer(f"{owner}: seq_len", seq_len)
    phase = _phase(owner, phase)
    tp = integer(f"{owner}: tensor_parallel", tensor_parallel)
    if spec.q_heads % tp or spec.kv_heads % tp or spec.ffn % tp:
        raise ValueError(f"{owner}: tensor_parallel must divide the heads ({spec.q_heads}, {spec.kv_heads} KV) and the "
                         f"FFN width ({spec.ffn}) of {spec.name}, got {tp}")
    d, hd, f = spec.d_model, spec.head_dim, spec.ffn // tp
    h, g = spec.q_heads // tp, spec.kv_heads // tp
    t = batch if phase == "decode" else batch * seq_len
    if phase == "decode":
        attn = attention_decode(batch, h, g, hd, seq_len)
    else:
        attn = attention_prefill(batch, h, g, hd, seq_len, causal=True)
    swiglu = spec.ffn_kind == "swiglu"
    norm = RMSNORM_OPS if swiglu else LAYERNORM_OPS
    rope = [Elementwise(t * (h + g) * hd, ROPE_OPS, "rope")] if swiglu else []
    ffn = ([Gemm(t, 2 * f, d, "gate_up"), Elementwise(t * f, SILU_MUL_OPS, "silu_mul")] if swiglu
           else [Gemm(t, f, d, "ffn_up"), Elementwise(t * f, GELU_OPS, "gelu")])
    return [
        Elementwise(t * d, norm, "attn_norm"),
        Gemm(t, (h + 2 * g) * hd, d, "qkv"),
        *rope,
        *attn,
        Gemm(t, d, h * hd, "o_proj"),
        Elementwise(t * d, RESIDUAL_OPS, "attn_residual"),
        Elementwise(t * d, norm, "ffn_norm"),
        *ffn,
        Gemm(t, d, f, "down"),
        Elementwise(t * d, RESIDUAL_OPS, "ffn_residual"),
    ]


#: The issue's name for :func:`decoder_layer` on the Llama models.
llama_decoder_layer = decoder_layer


def llama_model(model, batch: int, seq_len: int, phase: str = "decode") -> list[Workload]:
    """One forward step of the whole model: :func:`llama_decoder_layer` with every count
    multiplied by the number of layers, the final RMSNorm (``final_norm``) and the LM head
    ``Gemm(M=batch, N=vocab, K=d)`` (``lm_head``; untied from the embedding in all three models).

    The LM head runs on one token per request in both phases: decoding needs only the last
    position's logits (as vLLM computes them; a scoring pass over every prompt token would need
    ``M = batch * seq_len``). The token-embedding lookup is a gather, not a GEMM, and is not
    listed: add ``spec.vocab * spec.d_model`` for the full parameter count.

    >>> spec = MODELS["llama-2-7b"]
    >>> parameter_count(llama_model(spec, 1, 1)) + spec.vocab * spec.d_model
    6738149376
    """
    owner = "llama_model"
    spec = _model(owner, model)
    batch = integer(f"{owner}: batch", batch)
    seq_len = integer(f"{owner}: seq_len", seq_len)
    phase = _phase(owner, phase)
    return _scaled(decoder_layer(spec, batch, seq_len, phase), spec.layers) + [
        Elementwise(batch * spec.d_model, RMSNORM_OPS, "final_norm"),
        Gemm(batch, spec.vocab, spec.d_model, "lm_head"),
    ]


def bert_base(batch: int = 1, seq_len: int = 128) -> list[Workload]:
    """The 12 encoder layers of BERT-base (:data:`BERT_BASE`) on ``batch`` sequences of
    ``seq_len`` tokens; one layer's pieces with ``count`` multiplied by 12.

    ``T = batch * seq_len`` tokens: ``qkv`` (Q, K and V projections fused:
    ``Gemm(M=T, N=3 * 768, K=768)``), the bidirectional attention (:func:`attention_prefill`,
    12 heads of 64, ``causal=False``), ``o_proj`` (768 -> 768), ``attn_residual`` and
    ``attn_norm`` (LayerNorm, 7 ops per element), ``ffn_up`` (768 -> 3072), ``gelu`` (8 ops),
    ``ffn_down`` (3072 -> 768), ``ffn_residual``, ``ffn_norm``. Embeddings and the pooler are
    left out: the weight matrices hold 12 * (4 * 768^2 + 2 * 768 * 3072) = 84.9 M parameters.

    >>> parameter_count(bert_base())
    84934656
    """
    owner = "bert_base"
    batch = integer(f"{owner}: batch", batch)
    seq_len = integer(f"{owner}: seq_len", seq_len)
    s = BERT_BASE
    d, t = s.d_model, batch * seq_len
    layer: list[Workload] = [
        Gemm(t, 3 * d, d, "qkv"),
        *attention_prefill(batch, s.q_heads, s.kv_heads, s.head_dim, seq_len, causal=False),
        Gemm(t, d, d, "o_proj"),
        Elementwise(t * d, RESIDUAL_OPS, "attn_residual"),
        Elementwise(t * d, LAYERNORM_OPS, "attn_norm"),
        Gemm(t, s.ffn, d, "ffn_up"),
        Elementwise(t * s.ffn, GELU_OPS, "gelu"),
        Gemm(t, d, s.ffn, "ffn_down"),
        Elementwise(t * d, RESIDUAL_OPS, "ffn_residual"),
        Elementwise(t * d, LAYERNORM_OPS, "ffn_norm"),
    ]
    return _scaled(layer, s.layers)


# ---- workloads by name ---------------------------------------------------------------------------

#: The phases a decoder workload is named after (``llama3_8b_decode``, ``llama3_8b_prefill``).
PHASES = ("decode", "prefill")


def _gemm(M: int, N: int, K: int) -> list[Workload]:
    return [Gemm(M=M, N=N, K=K)]


def _gemv(rows: int, cols: int, batch: int = 1) -> list[Workload]:
    return [Gemv(rows=rows, cols=cols, batch=batch)]


def _decoder_step(spec: TransformerSpec, phase: str):
    """The builder of ``{name}_{phase}``: one decoder layer of ``spec`` (:func:`decoder_layer`)."""
    def layer(batch: int = 1, seq_len: int = 2048) -> list[Workload]:
        return decoder_layer(spec, batch, seq_len, phase)
    return layer


#: The builders of the named workloads, by name: ``gemm(M, N, K)``, ``gemv(rows, cols, batch=1)``,
#: ``resnet18(batch=1, image_size=224)``, ``resnet50(...)``, ``bert_base(batch=1, seq_len=128)`` (all 12
#: layers) and, for every decoder of :data:`TRANSFORMERS`, ``{name}_decode(batch=1, seq_len=2048)``
#: and ``{name}_prefill(...)`` (one decoder layer).
WORKLOADS: dict[str, Callable[..., list[Workload]]] = {
    "gemm": _gemm, "gemv": _gemv, "resnet18": resnet18, "resnet50": resnet50, "bert_base": bert_base,
    **{f"{name}_{phase}": _decoder_step(spec, phase) for name, spec in TRANSFORMERS.items() if spec.decoder for phase in PHASES},
}

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$")


def get_workload(workload: str) -> tuple[Workload, ...]:
    """The pieces of the workload ``workload`` names: ``name`` or ``name(arguments)``, a name of
    :data:`WORKLOADS` in any case and integer arguments by position or keyword, e.g.
    ``"gemm(64, 128, 256)"``, ``"resnet18(batch=4)"``, ``"bert_base"``, ``"llama3_8b_decode(8, 1024)"``.
    ValueError naming what is wrong (an unknown name with the closest one).

    >>> [w.name for w in get_workload("gemm(64, 128, 256)")], len(get_workload("resnet50"))
    (['gemm'], 54)
    >>> get_workload("gemv(4096, 4096)")[0].macs
    16777216
    """
    if not isinstance(workload, str):
        raise TypeError(f"workload must be a string such as 'gemm(64, 128, 256)', got {workload!r}")
    return _parsed(workload)


@lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[Workload, ...]:
    """:func:`get_workload` of a string, built once per distinct string in a process."""
    m = _CALL.match(text)
    if not m:
        raise ValueError(f"workload {text!r} is not of the form name or name(arguments), e.g. 'gemm(64, 128, 256)'")
    name = choice("workload", m.group(1), WORKLOADS, key=str.lower)
    args, kwargs = [], {}
    for part in filter(None, (p.strip() for p in (m.group(2) or "").split(","))):
        key, eq, value = part.rpartition("=")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"workload {text!r}: argument {part!r} is not an integer") from None
        if eq:
            kwargs[key.strip()] = number
        else:
            args.append(number)
    build = WORKLOADS[name]
    signature = inspect.signature(build)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        takes = ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default}" for p in signature.parameters.values())
        raise ValueError(f"workload {text!r}: {exc}; {name} takes ({takes})") from None
    try:
        return tuple(build(*args, **kwargs))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"workload {text!r}: {exc}") from None


# ---- SCALE-Sim topology files --------------------------------------------------------------------

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer", "M", "N", "K")
_INT = re.compile(r"[0-9]+")
_SPARSITY = re.compile(r"[0-9]+\s*:\s*[0-9]+")


def _fields(line: str) -> list[str]:
    """Comma-separated fields, stripped; one trailing comma (SCALE-Sim writes one) is dropped."""
    fields = [f.strip() for f in line.strip().split(",")]
    if len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return fields


def _detect(header: list[str]) -> str | None:
    low = [h.lower() for h in header]
    if len(low) >= 4 and low[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(low) >= 8 and low[1].startswith("ifmap") and low[3].startswith("filter"):
        return "conv"
    return None


def read_topology(path, form: str | None = None) -> list[Workload]:
    """The layers of a SCALE-Sim topology CSV file: :class:`Conv2d` or :class:`Gemm` workloads.

    Two forms, as SCALE-Sim reads them:

    - conv: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
      Num Filter, Strides,`` -> ``Conv2d(name=...)`` (ifmap sizes include padding). Files written
      by SCALE-Sim's ``write_topo_file`` have two stride columns (``Stride height, Stride width``);
      they are read when the header names them, and must be equal (Conv2d has one stride);
    - GEMM: ``Layer, M, N, K,`` -> ``Gemm(M, N, K, name=...)``.

    ``form=None`` detects the form from the header (the first non-blank line, always skipped, as
    SCALE-Sim does); ``"conv"`` or ``"gemm"`` forces it. Fields are stripped, blank lines
    skipped, a trailing comma is optional. A trailing N:M sparsity field (``1:4``, SCALE-Sim v3)
    is accepted and **ignored**: the workloads are dense. Depth-wise layers (SCALE-Sim's ``DP``
    names) are read as ordinary convolutions. A malformed row (wrong number of fields, a
    non-integer, a value < 1, a filter larger than the ifmap) raises ValueError
    ``"FILE:LINE: what is wrong"``, FILE as given and LINE counted from 1.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "net.csv")
    >>> _ = open(p, "w").write("Layer, M, N, K,\\nfc1, 8, 1024, 512,\\n")
    >>> read_topology(p)
    [Gemm(M=8, N=1024, K=512, name='fc1', count=1, filter_is_weight=True)]
    """
    if form is not None and form not in ("conv", "gemm"):
        raise ValueError(f"read_topology: form must be None, 'conv' or 'gemm', got {form!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_topology: path must be a str or os.PathLike, got {path!r} ({type(path).__name__})")
    fname = os.fspath(path)
    with open(fname, encoding="utf-8-sig") as fh:
        lines = fh.read().splitlines()

    out: list[Workload] = []
    columns: tuple[str, ...] | None = None
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        fields = _fields(raw)
        if columns is None:  # the header
            kind = form or _detect(fields)
            if kind is None:
                raise ValueError(
                    f"{fname}:{lineno}: header {raw.strip()!r} is neither the conv form ({', '.join(CONV_COLUMNS)}) "
                    f"nor the GEMM form ({', '.join(GEMM_COLUMNS)}); pass form='conv' or form='gemm'"
                )
            columns = GEMM_COLUMNS if kind == "gemm" else CONV_COLUMNS
            low = [h.lower() for h in fields]
            if kind == "conv" and len(low) >= 9 and low[7].startswith("stride") and low[8].startswith("stride"):
                columns = CONV_COLUMNS[:7] + ("Stride height", "Stride width")
            continue
        out.append(_row(fname, lineno, fields, columns))
    return out


def _row(fname: str, lineno: int, fields: list[str], columns: tuple[str, ...]) -> Workload:
    where = f"{fname}:{lineno}"
    n = len(columns)
    if len(fields) == n + 1 and _SPARSITY.fullmatch(fields[-1]):
        fields = fields[:-1]  # N:M sparsity: ignored
    if len(fields) != n:
        raise ValueError(
            f"{where}: expected {n} fields ({', '.join(columns)}) and optionally an N:M sparsity ratio, "
            f"got {len(fields)}: {','.join(fields)!r}"
        )
    values = []
    for col, text in zip(columns[1:], fields[1:]):
        if not _INT.fullmatch(text):
            raise ValueError(f"{where}: {col} must be an integer >= 1, got {text!r}")
        if int(text) < 1:
            raise ValueError(f"{where}: {col} must be an integer >= 1, got {text}")
        values.append(int(text))
    name = fields[0]
    try:
        if columns[1] == "M":
            m, nn, k = values
            return Gemm(m, nn, k, name)
        if len(values) == 8:
            if values[6] != values[7]:
                raise ValueError(f"Stride height {values[6]} != Stride width {values[7]}; Conv2d has one stride for both axes")
            values = values[:7]
        return Conv2d(*values, name=name, ceil_mode=True)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def write_topology(workloads: Iterable[Workload], path, form: str | None = None) -> None:
    """Write ``workloads`` as a SCALE-Sim topology CSV file that :func:`read_topology` and
    SCALE-Sim read back (a trailing comma ends every line, as SCALE-Sim expects).

    ``form=None`` writes the conv form when every workload is a :class:`Conv2d`, else the GEMM
    form; ``"conv"`` requires Conv2d workloads with ``batch == 1`` (the conv form has no batch
    column); ``"gemm"`` writes :func:`as_gemm` of each. The format has no count column: a workload
    with ``count = c`` becomes ``c`` identical rows (SCALE-Sim runs them one after another), read
    back as ``c`` workloads of count 1. ``filter_is_weight`` is not stored (read back as True).
    :class:`Elementwise` pieces and names holding a comma, a line break or surrounding blanks
    raise an error.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "net.csv")
    >>> write_topology([Conv2d(58, 58, 3, 3, 64, 64, name="l1")], p)
    >>> print(open(p).read().strip())
    Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
    l1, 58, 58, 3, 3, 64, 64, 1,
    """
    items = _check_list(workloads)
    if form is not None and form not in ("conv", "gemm"):
        raise ValueError(f"write_topology: form must be None, 'conv' or 'gemm', got {form!r}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"write_topology: path must be a str or os.PathLike, got {path!r} ({type(path).__name__})")
    if form is None:
        form = "conv" if items and all(isinstance(w, Conv2d) for w in items) else "gemm"
    rows = []
    for i, w in enumerate(items):
        if w.name != w.name.strip() or any(c in w.name for c in ",\r\n"):
            raise ValueError(f"write_topology: workloads[{i}].name {w.name!r} cannot be written to a CSV row (no commas, line breaks or surrounding blanks)")
        if form == "conv":
            if not isinstance(w, Conv2d):
                raise TypeError(f"write_topology: form='conv' needs Conv2d workloads, workloads[{i}] is {w!r}; use form='gemm'")
            if w.batch != 1:
                raise ValueError(f"write_topology: the conv form has no batch column, workloads[{i}] ({w.name!r}) has batch={w.batch}; use form='gemm'")
            # SCALE-Sim rounds the output size up: write the extent the windows use, which gives the
            # same output (and GEMM) under either rounding
            used_h, used_w = (w.ofmap_h - 1) * w.stride + w.filter_h, (w.ofmap_w - 1) * w.stride + w.filter_w
            vals = (used_h, used_w, w.filter_h, w.filter_w, w.channels, w.num_filters, w.stride)
        else:
            if isinstance(w, Elementwise):
                raise TypeError(f"write_topology: workloads[{i}] ({w.name!r}) is Elementwise, which has no GEMM form; leave it out")
            g = w.gemm()
            vals = (g.M, g.N, g.K)
        rows.extend([", ".join([w.name, *map(str, vals)]) + ","] * w.count)
    header = ", ".join(CONV_COLUMNS if form == "conv" else GEMM_COLUMNS) + ","
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        fh.write("\n".join([header, *rows]) + "\n")


__all__ = [
    "BERT_BASE", "CONV_COLUMNS", "Conv2d", "Elementwise", "GEMM_COLUMNS", "GPT3_175B", "Gemm", "Gemv", "LLAMA_2_70B", "LLAMA_2_7B",
    "LLAMA_3_8B", "MODELS", "PHASES", "RESNET18", "RESNET50", "ResNetSpec", "TRANSFORMERS", "TransformerSpec", "WORKLOADS",
    "WORKLOAD_TYPES", "Workload", "as_gemm", "attention_decode", "attention_prefill", "bert_base", "decoder_layer",
    "get_transformer", "get_workload", "llama_decoder_layer", "llama_model", "parameter_count", "read_topology", "resnet18",
    "resnet50", "total_flops", "total_macs", "write_topology",
]
