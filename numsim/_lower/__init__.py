"""The lowering floor: numsim's descriptions turned into kernel arguments, and the kernel calls.

Public modules (:mod:`numsim.codecs`, :mod:`numsim.block_codecs`, :mod:`numsim.arithmetic`,
:mod:`numsim.gemm`, :mod:`numsim.block_gemm`, the product functions of :mod:`numsim.multipliers`)
validate their arguments and dispatch here. ``specs`` turns scalar formats into the integer specs
every kernel takes; ``codec``, ``block_codec``, ``elementwise``, ``multipliers`` and ``datapath``
lower their family of descriptions (decode tables, tile layouts and scale rules, parameter arrays
and product tables, the configuration vector of the matmul kernel; ``block_gemm``: when the
exact-block-sum kernel reproduces a block-scaled datapath) and call the kernels of the
:mod:`numsim._kernels` module of the same name. Nothing here imports a public kernel-backed
module; a second kernel target plugs in at this layer.
"""
