"""The lowering floor: numsim's descriptions turned into kernel arguments, and the kernel calls.

Public modules (:mod:`numsim.codecs`, :mod:`numsim.block_codecs`, :mod:`numsim.arithmetic`,
:mod:`numsim.gemm`, :mod:`numsim.block_gemm`, the product functions of :mod:`numsim.multipliers`)
validate their arguments and dispatch here. Each module of this package lowers one family of
descriptions to the Numba kernels of the :mod:`numsim._kernels` module of the same name: formats
to integer specs and decode tables, block formats to tile layouts and scale rules, multipliers to
parameter arrays and product tables, datapaths to the configuration vector of the matmul kernel.
Nothing here imports a public kernel-backed module; a second kernel target plugs in at this layer.
"""
