"""Where the anchor libraries depart from exact rounding, recorded by the versions that were checked.

numsim is checked against the exact reference everywhere; ml_dtypes and gfloat are compared with it
where they are right. Where an anchor is wrong, and whether it is depends on its version, the
deviation is recorded here with the versions that were seen to have it or not, instead of a test
asserting one version's behaviour. A test asks ``expected_anchor`` what the installed version should
return: the recorded deviation, the correct value, or (for a version between or beyond the checked
ones where the records disagree or stop) either of the two but nothing else.

Example:
    >>> DEVIATIONS["float64_through_float32"].present(Version("0.6.0"))
    True
    >>> DEVIATIONS["float64_through_float32"].present(Version("0.7.0"))
    False
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from packaging.version import Version


@dataclass(frozen=True)
class Deviation:
    """A behaviour of ``library`` that differs from exact rounding, with the versions checked.

    ``seen`` maps each checked version to whether it shows the deviation (probed with the inputs of
    the test that uses it; recorded in tests/anchors.py by hand when a new version is checked).
    """

    library: str
    what: str
    seen: tuple[tuple[str, bool], ...]

    def present(self, version: Version) -> bool | None:
        """True or False where the checked versions settle it, None where they do not: between two
        checked versions that disagree, before the first or after the last one checked."""
        checked = sorted((Version(v), has) for v, has in self.seen)
        for (lo, lo_has), (hi, hi_has) in zip(checked, checked[1:]):
            if version == lo or (lo < version < hi and lo_has == hi_has):
                return lo_has
        last, last_has = checked[-1]
        return last_has if version == last else None

    def installed(self) -> bool | None:
        """``present`` for the installed version of the library."""
        return self.present(Version(importlib.import_module(self.library).__version__))


DEVIATIONS = {
    "float64_through_float32": Deviation(
        "ml_dtypes",
        "a float64 array cast to a narrow float is rounded to float32 first (double rounding)",
        (("0.5.0", True), ("0.6.0", True), ("0.7.0", False)),
    ),
    "e8m0_ties_up": Deviation(
        "ml_dtypes",
        "float32 -> float8_e8m0fnu rounds a tie (1.5 * 2^k) up instead of to the even code",
        (("0.5.0", False), ("0.6.0", True), ("0.7.0", True)),
    ),
    "e8m0_float32_subnormals": Deviation(
        "ml_dtypes",
        "float32 subnormals cast to float8_e8m0fnu go to 2^-126 even where 2^-127 is nearer",
        (("0.5.0", True), ("0.6.0", True), ("0.7.0", False)),
    ),
    "nan_to_minus_zero": Deviation(
        "ml_dtypes",
        "NaN cast to float4_e2m1fn or a float6 format (no NaN code) becomes -0",
        (("0.5.0", True), ("0.6.0", True), ("0.7.0", True)),
    ),
}


def expected_anchor(deviation: str, correct, deviant) -> tuple:
    """The values the installed anchor may return: ``(deviant,)`` or ``(correct,)`` where the checked
    versions settle it, both where they do not.

    >>> expected_anchor("nan_to_minus_zero", 0, 8) in [(8,), (0, 8)]
    True
    """
    state = DEVIATIONS[deviation].installed()
    return (correct, deviant) if state is None else ((deviant,) if state else (correct,))
