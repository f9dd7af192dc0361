"""numsim: bit-exact emulation of hardware number formats.

>>> import numsim
>>> numsim.quantize([1.1, 300.0], "e4m3").tolist()
[1.125, 288.0]
"""

from .codecs import decode, decode_table, encode, quantize
from .formats import FixedFormat, FloatFormat, Format, IntFormat, Specials
from .registry import aliases, get_format, p3109_format, registered_formats
from .rounding import Overflow, Rounding

__version__ = "0.1.0"

__all__ = [
    "FixedFormat",
    "FloatFormat",
    "Format",
    "IntFormat",
    "Overflow",
    "Rounding",
    "Specials",
    "aliases",
    "decode",
    "decode_table",
    "encode",
    "get_format",
    "p3109_format",
    "quantize",
    "registered_formats",
]
