#!/usr/bin/env python3
"""Writes patterns/stoe-raw/xrdpattern-0.9.9-stoe.csv: what an independent reader, PyPI xrdpattern (aimat-lab),
makes of patterns/stoe-raw/stoe.raw, for the Swift STOE reader's cross-check (Tests/RietveldIOTests/STOERawTests).

Needs xrdpattern (pip install xrdpattern==0.9.9; it builds xylib, so swig and the boost headers must be there).
Loads the file with xrdpattern's public entry point XrdPattern.load, unstandardized (get_pattern_data with
apply_standardization=False), and writes its 2θ and intensities with its wavelengths in the header.
Run from the repository root: python3 scripts/make_stoe_crosscheck.py
"""
from importlib.metadata import version
from pathlib import Path

from xrdpattern.pattern import XrdPattern

root = Path(__file__).resolve().parent.parent
src = root / "patterns/stoe-raw/stoe.raw"
pattern = XrdPattern.load(fpath=str(src))
x, y = pattern.get_pattern_data(apply_standardization=False)
xray = pattern.powder_experiment.xray_info
lines = [
    f"# made by xrdpattern {version('xrdpattern')} (PyPI, aimat-lab) from patterns/stoe-raw/stoe.raw with scripts/make_stoe_crosscheck.py",
    "# XrdPattern.load(...).get_pattern_data(apply_standardization=False); 2θ in degrees, intensities as it reports them",
    f"# its primary_wavelength {xray.primary_wavelength!r} and secondary_wavelength {xray.secondary_wavelength!r} (Å)",
    f"# wavelengths: {xray.primary_wavelength!r} {xray.secondary_wavelength!r}",
    "two_theta,intensity",
]
lines += [f"{a!r},{b!r}" for a, b in zip(map(float, x), map(float, y))]
(root / "patterns/stoe-raw/xrdpattern-0.9.9-stoe.csv").write_text("\n".join(lines) + "\n")
print(f"{len(x)} points, 2θ {float(x[0])}…{float(x[-1])}, wavelengths {xray.primary_wavelength}, {xray.secondary_wavelength}")
