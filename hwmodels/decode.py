"""Transformer decode steps on whole systems built from the hwmodels machines: GPUs alone, GPUs
with the attention on AttAcc PIM stacks, and NeuPIMs-style NPU + PIM devices.

- :class:`GpuSpec`: a GPU as a roofline with utilisation caps (AttAcc's GPU model), presets
  :data:`A100A` and :data:`A100_40GB`;
- :func:`gpu_decode_step` and :func:`attacc_decode_step`: a decode step on tensor-parallel GPUs,
  or on GPUs with the attention GEMVs on :mod:`hwmodels.pim` stacks (AttAcc);
- :func:`npu_pim_decode_step` (NeuPIMs: GEMMs on a :class:`hwmodels.systolic.SystolicArray`,
  attention GEMVs on PIM; blocked / concurrent / sub-batch-interleaved, :data:`MODES`) and its
  GPU-only baseline :func:`gpu_only_step`;
- :func:`decoder_layer` (a layer's weight GEMMs and attention), :func:`kv_bytes_per_token`,
  :func:`weight_bytes` and :func:`max_batch` (memory capacity).

Models are :class:`hwmodels.workloads.TransformerSpec` (by name: :func:`hwmodels.workloads.get_transformer`).
Every figure comes from :mod:`hwmodels.data` with its source.

>>> from hwmodels.workloads import GPT3_175B
>>> s = npu_pim_decode_step(GPT3_175B, batch=16, context=256, mode="interleaved")
>>> s.tokens_per_s > 0, parse_mode("blocked")
(True, 'blocked')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from . import data, workloads
from ._checks import boolean, choice, instance, integer, real, string
from .memory import Dram, get_dram
from .pim import HBM3_PIM_BANK, NEWTON, PimDevice, gemv_energy, gemv_latency
from .systolic import Roofline, SystolicArray
from .workloads import Elementwise, Gemm, Gemv, TransformerSpec, as_gemm

#: Execution modes of an NPU + PIM system (see :func:`npu_pim_decode_step`).
MODES = ("npu_only", "blocked", "concurrent", "interleaved")


def parse_mode(text: str) -> str:
    """``text`` if it is one of :data:`MODES` (ValueError listing them otherwise).

    >>> parse_mode("interleaved")
    'interleaved'
    """
    return choice("mode", text, MODES, quoted=True)


# ---- GPU baseline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuResult:
    """Time (s), FLOPs, DRAM bytes and energy (pJ) of work on a :class:`GpuSpec`; ``bound`` is
    ``"compute"`` or ``"memory"`` (of the longest piece for a list)."""

    seconds: float
    flops: float
    dram_bytes: float
    energy_pj: float
    bound: str


@dataclass(frozen=True)
class GpuSpec:
    """A GPU as a roofline: peak FLOPS and DRAM bandwidth capped at ``compute_util`` and
    ``bandwidth_util`` (AttAcc's GPU model: 0.8 and 0.85), memory ``capacity_gb``; energy per DRAM
    bit (``dram``'s pJ/bit plus ``onchip_pj_per_bit`` for one pass through L2 and L1) and per MAC
    (``mac_pj``).

    Work (:mod:`hwmodels.workloads` pieces) moves its unique words once (perfect on-chip reuse)
    in ``element_bits``-bit elements.

    >>> A100A.roofline(10).bound, round(A100A.roofline(1).attainable_tops, 3), A100A.roofline(200).bound
    ('memory', 3.352, 'compute')
    """

    name: str
    peak_tflops: float
    bandwidth_gb_s: float
    capacity_gb: float
    compute_util: float = data.ATTACC_SYSTEM["max_compute_util"]
    bandwidth_util: float = data.ATTACC_SYSTEM["max_mem_bw_util"]
    mac_pj: float = data.ATTACC_GPU_ENERGY["mac_pj"]
    onchip_pj_per_bit: float = data.ATTACC_GPU_ENERGY["l1_pj_per_bit"] + data.ATTACC_GPU_ENERGY["l2_pj_per_bit"]
    dram: Dram | str = "hbm3"
    element_bits: int = 16
    source: str = ""

    def __post_init__(self) -> None:
        string("name", self.name, empty=False)
        real("peak_tflops", self.peak_tflops)
        real("bandwidth_gb_s", self.bandwidth_gb_s)
        real("capacity_gb", self.capacity_gb)
        real("compute_util", self.compute_util, high=1.0)
        real("bandwidth_util", self.bandwidth_util, high=1.0)
        real("mac_pj", self.mac_pj, inclusive=True)
        real("onchip_pj_per_bit", self.onchip_pj_per_bit, inclusive=True)
        object.__setattr__(self, "dram", get_dram(self.dram))
        integer("element_bits", self.element_bits)

    def roofline(self, arithmetic_intensity) -> Roofline:
        """Peak roofline (no utilisation caps) at ``arithmetic_intensity`` FLOPs per DRAM byte."""
        return Roofline(self.peak_tflops, self.bandwidth_gb_s, real("arithmetic_intensity", arithmetic_intensity))

    def run(self, workload) -> GpuResult:
        """Time and energy of one workload or a list (run one after another): each piece takes
        ``max(FLOPs / (peak * compute_util), bytes / (bandwidth * bandwidth_util))``.

        >>> r = A100A.run(Gemm(M=1, N=12288, K=12288))
        >>> r.bound, round(r.seconds * 1e6, 1)
        ('memory', 106.0)
        """
        if isinstance(workload, (list, tuple)):
            if not workload:
                raise ValueError("workload list is empty")
            parts = [self.run(w) for w in workload]
            slowest = max(parts, key=lambda p: p.seconds)
            return GpuResult(sum(p.seconds for p in parts), sum(p.flops for p in parts), sum(p.dram_bytes for p in parts),
                             sum(p.energy_pj for p in parts), slowest.bound)
        if isinstance(workload, Elementwise):
            words, macs, flops = workload.ifmap_words + workload.ofmap_words, 0, workload.flops
        elif isinstance(workload, (Gemm, Gemv)) or hasattr(workload, "gemm"):
            g = as_gemm(workload)
            words, macs, flops = workload.ifmap_words + workload.filter_words + workload.ofmap_words, g.macs, g.flops
        else:
            raise TypeError(f"workload must be a hwmodels.workloads piece or a list of them, got {workload!r}")
        nbytes = words * self.element_bits / 8
        t_mem = nbytes / (self.bandwidth_gb_s * 1e9 * self.bandwidth_util)
        t_comp = flops / (self.peak_tflops * 1e12 * self.compute_util)
        energy = nbytes * 8 * (self.dram.pj_per_bit + self.onchip_pj_per_bit) + macs * self.mac_pj
        return GpuResult(max(t_mem, t_comp), float(flops), nbytes, energy, "compute" if t_comp > t_mem else "memory")


_AS = data.ATTACC_SYSTEM
#: A100 with HBM3 as AttAcc models it ("A100a"): 312 TFLOPS FP16, 3,352 GB/s, 80 GB.
A100A = GpuSpec("a100a", _AS["a100a_tflops"], _AS["a100a_gb_s"], _AS["a100a_gb"], dram="hbm3", source=_AS["source"])
#: NVIDIA A100 40 GB SXM: 312 TFLOPS FP16, 1,555 GB/s HBM2 (HBM2 energy per bit).
A100_40GB = GpuSpec("a100-40gb", data.A100_40GB["tflops"], data.A100_40GB["gb_s"], data.A100_40GB["gb"], dram="hbm2",
                    source=data.A100_40GB["source"])


# ---- transformer decode steps --------------------------------------------------------------------

def decoder_layer(model: TransformerSpec, batch, context, tensor_parallel=1) -> tuple[list, list]:
    """One decoder layer's decode-step work on one of ``tensor_parallel`` devices, split as the
    systems here place it: ``(gemms, attention)``, the weight GEMMs of
    :func:`hwmodels.workloads.decoder_layer` (``qkv``, ``o_proj``, the FFN up projection(s),
    ``down``) and its attention pieces over ``kv_len = context`` (element-wise norms, residuals
    and activations are not charged).

    >>> from hwmodels.workloads import GPT3_175B
    >>> g, a = decoder_layer(GPT3_175B, batch=4, context=2048, tensor_parallel=8)
    >>> [(w.name, w.N, w.K) for w in g]
    [('qkv', 4608, 12288), ('o_proj', 12288, 1536), ('ffn_up', 6144, 12288), ('down', 12288, 6144)]
    >>> [(w.name, w.count) for w in a]
    [('attn.qk', 48), ('attn.softmax', 48), ('attn.pv', 48)]
    """
    instance("model", model, TransformerSpec, "hwmodels.workloads.TransformerSpec")
    pieces = workloads.decoder_layer(model, batch, context, "decode", tensor_parallel)
    gemms = [w for w in pieces if isinstance(w, Gemm) and w.filter_is_weight]
    return gemms, [w for w in pieces if w.name.startswith("attn.")]


def kv_bytes_per_token(model: TransformerSpec, element_bits=16) -> float:
    """Bytes of K and V cache one token adds over all layers: ``2 * layers * kv_heads * head_dim *
    element_bits / 8``.

    >>> from hwmodels.workloads import GPT3_175B
    >>> kv_bytes_per_token(GPT3_175B) / 2**20    # MiB
    4.5
    """
    instance("model", model, TransformerSpec, "hwmodels.workloads.TransformerSpec")
    return 2 * model.layers * model.kv_heads * model.head_dim * real("element_bits", element_bits) / 8


def weight_bytes(model: TransformerSpec, element_bits=16) -> float:
    """Bytes of the decoder layers' matrices (embeddings and LM head excluded).

    >>> from hwmodels.workloads import GPT3_175B
    >>> round(weight_bytes(GPT3_175B) / 1e9, 1)
    347.9
    """
    instance("model", model, TransformerSpec, "hwmodels.workloads.TransformerSpec")
    return model.layers * model.layer_weights * real("element_bits", element_bits) / 8


@dataclass(frozen=True)
class DecodeStep:
    """One decode step (every layer, one new token for each of ``batch`` requests): time (s) and
    energy (pJ) in total and by part (``"fc"``, ``"attention"``, ``"communication"``)."""

    batch: int
    seconds: float
    energy_pj: float
    time_parts: dict
    energy_parts: dict

    @property
    def tokens_per_s(self) -> float:
        return self.batch / self.seconds

    @property
    def tokens_per_joule(self) -> float:
        return self.batch / (self.energy_pj * 1e-12)


def _allreduce_s(gpus: int, nbytes: float, link_gb_s: float) -> float:
    """AttAcc's all-reduce fit: (GPUs - 1) steps of 6060 ns + 0.009 ns/byte at 600 GB/s."""
    if gpus == 1:
        return 0.0
    fit = data.ATTACC_ALLREDUCE_NS
    step = fit["per_step_ns"] + fit["ns_per_byte"] * nbytes / gpus * (data.ATTACC_SYSTEM["nvlink_gb_s"] / link_gb_s)
    return (gpus - 1) * step * 1e-9


def _gpu_fc(gpu: GpuSpec, gpus: int, model: TransformerSpec, batch: int, context: int):
    gemms, attn = decoder_layer(model, batch, context, gpus)
    return gpu.run(gemms), gpu.run(attn)


def _comm(gpus: int, batch: int, model: TransformerSpec, link_gb_s: float, element_bits: int) -> tuple[float, float]:
    """Two all-reduces of the layer output per layer: (seconds, pJ)."""
    nbytes = batch * model.d_model * element_bits / 8
    pj = 2 * gpus * nbytes * 8 * data.ATTACC_GPU_ENERGY["nvlink_pj_per_bit"] if gpus > 1 else 0.0
    return 2 * _allreduce_s(gpus, nbytes, link_gb_s), pj


def gpu_decode_step(model: TransformerSpec, batch, context, gpu: GpuSpec = A100A, gpus=8,
                    link_gb_s=data.ATTACC_SYSTEM["nvlink_gb_s"]) -> DecodeStep:
    """A decode step of ``model`` on ``gpus`` tensor-parallel GPUs: per layer the FC GEMMs and the
    attention (reading the whole KV cache) on :meth:`GpuSpec.run`, and two all-reduces of the
    layer output timed with AttAcc's NVLink fit (energy 1.3 pJ/bit).

    >>> from hwmodels.workloads import GPT3_175B
    >>> s = gpu_decode_step(GPT3_175B, batch=1, context=2048)
    >>> round(s.seconds * 1e3, 1)           # ms per token, memory-bound FC weights dominate
    23.9
    """
    B, L, G = integer("batch", batch), integer("context", context), integer("gpus", gpus)
    instance("gpu", gpu, GpuSpec)
    link = real("link_gb_s", link_gb_s)
    fc, attn = _gpu_fc(gpu, G, model, B, L)
    comm_s, comm_pj = _comm(G, B, model, link, gpu.element_bits)
    n = model.layers
    times = {"fc": fc.seconds * n, "attention": attn.seconds * n, "communication": comm_s * n}
    energy = {"fc": fc.energy_pj * G * n, "attention": attn.energy_pj * G * n, "communication": comm_pj * n}
    return DecodeStep(B, sum(times.values()), sum(energy.values()), times, energy)


def attacc_decode_step(model: TransformerSpec, batch, context, gpu: GpuSpec = A100A, gpus=8,
                       pim: PimDevice = HBM3_PIM_BANK, stacks=data.ATTACC_SYSTEM["attacc_devices"] * data.ATTACC_SYSTEM["stacks_per_device"],
                       devices=data.ATTACC_SYSTEM["attacc_devices"], link_gb_s=data.ATTACC_SYSTEM["nvlink_gb_s"],
                       pipelined=False) -> DecodeStep:
    """A decode step on the AttAcc system: FC layers on ``gpus`` GPUs (as :func:`gpu_decode_step`),
    the attention GEMVs (``q K^T`` and ``p V`` for every request and head) on ``stacks`` PIM stacks
    ``pim`` spread over ``devices`` AttAcc boards, and per layer the query, new K and V sent to
    AttAcc and the attention output returned over each board's link (half of ``link_gb_s`` each
    way, 1.3 pJ/bit). The softmax between the two GEMVs (on AttAcc's buffer-die units) is not
    timed. ``pipelined``: the attention of one half batch overlaps the QKV and O projections of
    the other (AttAcc's pipelining), so a layer takes ``max(qkv + o, attention + transfers) + FFN``.

    >>> from hwmodels.workloads import GPT3_175B
    >>> s = attacc_decode_step(GPT3_175B, batch=32, context=2048)
    >>> round(s.time_parts["attention"] / s.seconds, 3)      # the attention is a small share
    0.073
    """
    B, L, G = integer("batch", batch), integer("context", context), integer("gpus", gpus)
    S, D = integer("stacks", stacks), integer("devices", devices)
    instance("gpu", gpu, GpuSpec)
    instance("pim", pim, PimDevice)
    boolean("pipelined", pipelined)
    link = real("link_gb_s", link_gb_s)
    gemms, _ = decoder_layer(model, B, L, G)
    fc_parts = [gpu.run(g) for g in gemms]
    fc = gpu.run(gemms)
    system = pim.with_channels(pim.channels * S)
    eb = pim.element_bits
    n_gemv = B * model.kv_heads
    g_rows = model.q_heads // model.kv_heads        # query rows sharing a KV head: one GEMV each
    score = gemv_latency(system, L, model.head_dim, count=n_gemv * g_rows)
    context_ = gemv_latency(system, model.head_dim, L, count=n_gemv * g_rows)
    attn_s = score.seconds + context_.seconds
    e_score = gemv_energy(system, L, model.head_dim, count=n_gemv * g_rows)
    e_ctx = gemv_energy(system, model.head_dim, L, count=n_gemv * g_rows)
    xfer_bytes = B * (model.q_heads + 3 * model.kv_heads) * model.head_dim * eb / 8   # q, k, v in; output back
    xfer_s = xfer_bytes / (D * link / 2 * 1e9)
    xfer_pj = xfer_bytes * 8 * data.ATTACC_GPU_ENERGY["nvlink_pj_per_bit"]
    comm_s, comm_pj = _comm(G, B, model, link, gpu.element_bits)
    n = model.layers
    if pipelined:
        proj = fc_parts[0].seconds + fc_parts[1].seconds
        ffn = fc_parts[2].seconds + fc_parts[3].seconds
        overlapped = max(proj, attn_s + xfer_s)
        times = {"fc": (proj + ffn) * n, "attention": (overlapped - proj) * n, "communication": comm_s * n}
    else:
        times = {"fc": fc.seconds * n, "attention": (attn_s + xfer_s) * n, "communication": comm_s * n}
    energy = {"fc": fc.energy_pj * G * n, "attention": (e_score.total_pj + e_ctx.total_pj + xfer_pj) * n,
              "communication": comm_pj * n}
    return DecodeStep(B, sum(times.values()), sum(energy.values()), times, energy)


def max_batch(model: TransformerSpec, context, weight_capacity_gb, kv_capacity_gb=None, element_bits=16) -> int:
    """Most requests of ``context`` tokens whose KV cache fits: in ``kv_capacity_gb`` (GB, 1e9
    bytes) if given (a separate KV memory such as AttAcc's), else in what the weights leave of
    ``weight_capacity_gb``; 0 when nothing fits.

    >>> from hwmodels.workloads import GPT3_175B
    >>> max_batch(GPT3_175B, 2176, 16 * 80), max_batch(GPT3_175B, 2176, 8 * 80, kv_capacity_gb=640)
    (90, 62)
    """
    L = integer("context", context)
    w = real("weight_capacity_gb", weight_capacity_gb) * 1e9
    need = weight_bytes(model, element_bits)
    if need > w:
        return 0
    free = (w - need) if kv_capacity_gb is None else real("kv_capacity_gb", kv_capacity_gb) * 1e9
    return int(free // (kv_bytes_per_token(model, element_bits) * L))


# ---- NPU + PIM (NeuPIMs) -----------------------------------------------------------------------


def neupims_npu(pim: PimDevice = NEWTON) -> SystolicArray:
    """NeuPIMs' NPU: 8 weight-stationary 128 x 128 FP16 arrays at 1 GHz sharing the PIM device's
    external bandwidth (HBM2 energy per bit), with buffers large enough to hold a shard's
    operands once. Its cycle model is ``"pipelined"``: NeuPIMs' systolic core hides a weight
    preload behind the previous tile (``NeuPIMSystolicWS::issue_ex_inst``: the next tile starts
    ``core_height`` cycles after the previous one) and accumulates partial sums on chip.

    >>> neupims_npu().peak_tops
    262.144
    """
    instance("pim", pim, PimDevice)
    dram = Dram(f"{pim.name} (host side)", data.HBM2_PJ_PER_BIT, pim.external_bandwidth_gb_s,
                get_dram("hbm2").latency_ns, f"{pim.source}; energy: {data.HBM2_PJ_SOURCE}")
    npu = data.NEUPIMS
    return SystolicArray(npu["array_rows"], npu["array_cols"], npu["dataflow"], datapath="fp16", clock_ghz=npu["clock_ghz"],
                         sram_kb=(65536, 65536, 4096), dram=dram, n_arrays=npu["arrays"], cycle_model="pipelined")


@dataclass(frozen=True)
class NpuPimStep:
    """One decode step of an NPU + PIM system (or a baseline): time (s) and its parts, per
    ``mode``; ``npu_s`` and ``pim_s`` are the busy times of each side; ``energy_pj`` the energy
    of the step on every device of the tensor-parallel group (communication not counted, as in
    the time)."""

    mode: str
    batch: int
    seconds: float
    npu_s: float
    pim_s: float
    energy_pj: float

    @property
    def tokens_per_s(self) -> float:
        return self.batch / self.seconds

    @property
    def pj_per_token(self) -> float:
        return self.energy_pj / self.batch


def _npu_pim_work(npu: SystolicArray, pim: PimDevice, model: TransformerSpec, batch: int, context: int, tp: int,
                  attention_on_pim: bool) -> tuple[float, float, float]:
    """(NPU seconds, PIM seconds, energy pJ of both) of one layer on one device for ``batch``
    requests: the NPU's :meth:`SystolicArray.run` energy (MACs, SRAM, DRAM, leakage while busy)
    and the PIM's :func:`gemv_energy` of the attention GEMVs."""
    gemms, attn = decoder_layer(model, batch, context, tp)
    fc = npu.run(gemms)
    if not attention_on_pim:
        rest = npu.run(attn)
        return fc.seconds + rest.seconds, 0.0, fc.energy_pj + rest.energy_pj
    softmax = npu.run([w for w in attn if isinstance(w, Elementwise)])
    g_rows = model.q_heads // model.kv_heads
    count = batch * (model.kv_heads // tp) * g_rows
    shapes = ((context, model.head_dim), (model.head_dim, context))  # scores q K^T, then p V
    pim_s = sum(gemv_latency(pim, r, c, count=count).seconds for r, c in shapes)
    pim_pj = sum(gemv_energy(pim, r, c, count=count).total_pj for r, c in shapes)
    return fc.seconds + softmax.seconds, pim_s, fc.energy_pj + softmax.energy_pj + pim_pj


def npu_pim_decode_step(model: TransformerSpec, batch, context, mode="interleaved", npu: SystolicArray | None = None,
                        pim: PimDevice | None = None, tensor_parallel=data.NEUPIMS["tensor_parallel"]) -> NpuPimStep:
    """A decode step of ``model`` on one tensor-parallel shard per NPU + PIM device (every layer):
    the GEMMs (QKV, O, FFN) and the softmax run on ``npu`` (:meth:`SystolicArray.run`), the
    attention GEMVs on ``pim`` (:func:`gemv_latency`, one GEMV per request and head). Per layer,
    with g(b) the NPU time and a(b) the PIM time of b requests:

    - ``"npu_only"``: the attention GEMMs run on the array too: ``g + attention on the NPU``;
    - ``"blocked"`` (naive NPU + PIM, one row buffer: PIM blocks the NPU's memory): ``g(B) + a(B)``;
    - ``"concurrent"`` (dual row buffers, idealised): ``max(g(B), a(B))``, as if independent work
      were always there to overlap;
    - ``"interleaved"`` (dual row buffers + two sub-batches pipelined, NeuPIMs): with B1 =
      ceil(B/2), B2 = B - B1, ``max(g(B1), a(B2)) + max(g(B2), a(B1))`` (pipeline fill ignored).

    ``"concurrent"`` and ``"interleaved"`` need ``pim.dual_row_buffer``. Defaults: NeuPIMs'
    NPU (:func:`neupims_npu`) and :data:`NEWTON` with dual row buffers (blocked and NPU-only use
    it as one).

    >>> from hwmodels.workloads import GPT3_175B
    >>> s = npu_pim_decode_step(GPT3_175B, batch=16, context=256, mode="blocked")
    >>> s.mode, s.npu_s > 0 and s.pim_s > 0
    ('blocked', True)
    """
    mode = parse_mode(mode)
    B, L, tp = integer("batch", batch), integer("context", context), integer("tensor_parallel", tensor_parallel)
    pim = dataclasses.replace(NEWTON, dual_row_buffer=True) if pim is None else pim
    instance("pim", pim, PimDevice)
    npu = neupims_npu(pim) if npu is None else npu
    instance("npu", npu, SystolicArray, "hwmodels.systolic.SystolicArray")
    if mode in ("concurrent", "interleaved") and not pim.dual_row_buffer:
        raise ValueError(f"mode {mode!r} needs a PIM device with dual_row_buffer=True; {pim.name} has one row buffer")
    n = model.layers
    if mode == "npu_only":
        g, _, e = _npu_pim_work(npu, pim, model, B, L, tp, attention_on_pim=False)
        return NpuPimStep(mode, B, g * n, g * n, 0.0, e * n * tp)
    g, a, e = _npu_pim_work(npu, pim, model, B, L, tp, attention_on_pim=True)
    if mode == "blocked":
        t = g + a
    elif mode == "concurrent":
        t = max(g, a)
    else:  # two sub-batches: every weight is streamed twice, so the energy is that of both halves
        b1 = math.ceil(B / 2)
        b2 = B - b1
        g1, a1, e = _npu_pim_work(npu, pim, model, b1, L, tp, attention_on_pim=True)
        if b2:
            g2, a2, e2 = _npu_pim_work(npu, pim, model, b2, L, tp, attention_on_pim=True)
            t = max(g1, a2) + max(g2, a1)
            e += e2
        else:
            t = g1 + a1
    return NpuPimStep(mode, B, t * n, g * n, a * n, e * n * tp)


def gpu_only_step(model: TransformerSpec, batch, context, gpu: GpuSpec = A100_40GB,
                  tensor_parallel=data.NEUPIMS["tensor_parallel"]) -> NpuPimStep:
    """The GPU-only baseline of :func:`npu_pim_decode_step`: the same shard of every layer on one
    GPU per device (:meth:`GpuSpec.run`, FC and attention), communication not counted on either side.

    >>> from hwmodels.workloads import GPT3_175B
    >>> round(gpu_only_step(GPT3_175B, batch=1, context=256).seconds * 1e3, 2)   # ms
    33.03
    """
    B, L, tp = integer("batch", batch), integer("context", context), integer("tensor_parallel", tensor_parallel)
    instance("gpu", gpu, GpuSpec)
    gemms, attn = decoder_layer(model, B, L, tp)
    fc, rest = gpu.run(gemms), gpu.run(attn)
    t = (fc.seconds + rest.seconds) * model.layers
    return NpuPimStep("gpu_only", B, t, t, 0.0, (fc.energy_pj + rest.energy_pj) * model.layers * tp)
