#!/usr/bin/env python3
"""An illustrative LiNiO2-like operando reference for the lithium-map tests (not a measurement).

Smooth functions of x(Li) through lattice parameters typical of LiNiO2 on first charge: a = 2.878 Å and
c = 14.19 Å pristine (the GSAS-II truth in patterns/gsas2-sim-linio2), a falling to ~2.815 Å near x = 0.25,
c rising to ~14.47 Å near x = 0.3 (H2) and collapsing to ~13.40 Å at x = 0.05 (H3) — the shape reported for
LiNiO2 by e.g. Li, Reimers & Dahn, Solid State Ionics 67 (1993) 123 and de Biasi et al., J. Phys. Chem. C
121 (2017) 26163. Regions H1 0.75–1.0, M 0.45–0.75, H2 0.25–0.45, H3 0–0.25. Points every 0.025 with
Gaussian scatter of 0.0003 Å (a) and 0.002 Å (c), seed 2026. The exact functions are below so that tests can
compare lookups with their analytic inverse.
"""
import math, os, random

def a_of(x):
    return 2.815 + 0.063 * ((x - 0.25) / 0.75) ** 1.3 if x >= 0.25 else 2.815 + 0.025 * (0.25 - x)

def c_of(x):
    rise = 14.19 + 0.28 * math.exp(-((x - 0.30) / 0.45) ** 2) * (1 - math.exp(-((1 - x) / 0.15)))
    collapse = 1 / (1 + math.exp(-(x - 0.18) / 0.025))  # ~0 below 0.1, ~1 above 0.25
    return 13.40 + (rise - 13.40) * collapse

def region(x):
    return "H3" if x < 0.25 else "H2" if x < 0.45 else "M" if x < 0.75 else "H1"

if __name__ == "__main__":
    random.seed(2026)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "patterns", "lithiation", "LiNiO2-like_reference.csv")
    with open(out, "w") as f:
        f.write("# Illustrative LiNiO2-like reference (scripts/make_linio2_like_reference.py): smooth functions through\n")
        f.write("# literature-typical lattice parameters with simulated scatter; NOT a measurement.\n")
        f.write("x_li,a,a_esd,c,c_esd,volume,volume_esd,phase\n")
        for k in range(38, -1, -1):
            x = 0.05 + 0.025 * k
            a = a_of(x) + random.gauss(0, 0.0003)
            c = c_of(x) + random.gauss(0, 0.002)
            v = math.sqrt(3) / 2 * a * a * c
            dv = v * math.sqrt((2 * 0.0003 / a) ** 2 + (0.002 / c) ** 2)
            f.write(f"{x:.4f},{a:.5f},0.0003,{c:.4f},0.002,{v:.4f},{dv:.4f},{region(x)}\n")
