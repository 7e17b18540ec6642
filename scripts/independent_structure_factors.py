#!/usr/bin/env python3
"""Independent reference |F|^2 and relative intensities for the structure-factor tests.

Written without the engine: atoms are placed by hand at their textbook Wyckoff positions, f0 comes from
xraydb's own evaluation of the Waasmaier-Kirfel fits, f' and f'' from xraydb's Chantler tables, and powder
multiplicities from gemmi's point-group operators. Intensity = m |F|^2 (1+cos^2 2t)/(sin^2 t cos t),
strongest = 100, at Mo Ka1 (0.70926 A) up to 2theta = 50 deg.

Usage: pip install xraydb gemmi && python3 scripts/independent_structure_factors.py
Writes Tests/CrystallographyTests/Fixtures/{LiNiO2,LaB6,Si}_MoKa1.csv
"""
import itertools
import math
import os
import gemmi
import numpy as np
import xraydb

LAMBDA = 0.70926
ENERGY = 12398.419843320026 / LAMBDA
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CrystallographyTests", "Fixtures")

R_CENTRING = [(0, 0, 0), (2 / 3, 1 / 3, 1 / 3), (1 / 3, 2 / 3, 2 / 3)]
F_CENTRING = [(0, 0, 0), (0, .5, .5), (.5, 0, .5), (.5, .5, 0)]


def linio2():
    a, c, z = 2.878, 14.19, 0.2585
    base = [("Ni", (0, 0, 0), 0.97, 0.006), ("Li", (0, 0, 0), 0.03, 0.006),
            ("Li", (0, 0, .5), 0.97, 0.012), ("Ni", (0, 0, .5), 0.03, 0.012),
            ("O", (0, 0, z), 1.0, 0.009), ("O", (0, 0, -z), 1.0, 0.009)]
    atoms = [(el, tuple(p[i] + t[i] for i in range(3)), o, u) for el, p, o, u in base for t in R_CENTRING]
    g = gemmi.UnitCell(a, a, c, 90, 90, 120)
    return "LiNiO2", g, gemmi.SpaceGroup("R -3 m:H"), atoms


def lab6():
    a, x = 4.156826, 0.1975
    atoms = [("La", (0, 0, 0), 1.0, 0.003)]
    for p in [(x, .5, .5), (-x, .5, .5), (.5, x, .5), (.5, -x, .5), (.5, .5, x), (.5, .5, -x)]:
        atoms.append(("B", p, 1.0, 0.004))
    return "LaB6", gemmi.UnitCell(a, a, a, 90, 90, 90), gemmi.SpaceGroup("P m -3 m"), atoms


def si():
    a = 5.4311946
    # Diamond: 8 atoms at the F-centred positions of (0,0,0) and (1/4,1/4,1/4) (a shifted origin gives the
    # same |F|^2).
    atoms = [("Si", tuple(t[i] + s[i] for i in range(3)), 1.0, 0.0059) for t in F_CENTRING for s in [(0, 0, 0), (.25, .25, .25)]]
    return "Si", gemmi.UnitCell(a, a, a, 90, 90, 90), gemmi.SpaceGroup("F d -3 m:2"), atoms


def f_total(el, s):
    f0 = xraydb.f0(el, s)[0]
    return f0 + xraydb.f1_chantler(el, ENERGY) + 1j * xraydb.f2_chantler(el, ENERGY)


def structure_factor(hkl, s, atoms):
    F = 0j
    for el, p, occ, u in atoms:
        phase = 2 * math.pi * sum(hkl[i] * p[i] for i in range(3))
        F += occ * f_total(el, s) * math.exp(-8 * math.pi ** 2 * u * s * s) * complex(math.cos(phase), math.sin(phase))
    return F


def write(name, cell, sg, atoms):
    rots = [np.array(op.rot) // gemmi.Op.DEN for op in sg.operations().sym_ops]
    laue = rots + [-r for r in rots]
    dmin = LAMBDA / (2 * math.sin(math.radians(25)))
    seen = set()
    rows = []
    n = int(max(cell.a, cell.b, cell.c) / dmin) + 1
    for hkl in itertools.product(range(-n, n + 1), repeat=3):
        if hkl == (0, 0, 0) or hkl in seen:
            continue
        d = cell.calculate_d(list(hkl))
        if d < dmin:
            continue
        orbit = {tuple(int(v) for v in np.array(hkl) @ r) for r in laue}
        seen |= orbit
        s = 1 / (2 * d)
        F = structure_factor(hkl, s, atoms)
        Fm = structure_factor(tuple(-v for v in hkl), s, atoms)
        f2 = 0.5 * (abs(F) ** 2 + abs(Fm) ** 2)
        if f2 < 1e-6:
            continue  # absent (by symmetry or, like Si 222, by the atoms' positions)
        t = math.asin(LAMBDA / (2 * d))
        lp = (1 + math.cos(2 * t) ** 2) / (math.sin(t) ** 2 * math.cos(t))
        rows.append((sorted(orbit)[-1], d, len(orbit), f2, len(orbit) * f2 * lp))
    top = max(r[4] for r in rows)
    rows.sort(key=lambda r: -r[1])
    with open(os.path.join(OUT, f"{name}_MoKa1.csv"), "w") as f:
        f.write("# Independent reference (scripts/independent_structure_factors.py): xraydb WK f0 + Chantler f',f'', gemmi multiplicities\n")
        f.write("h,k,l,d,multiplicity,F2,intensity\n")
        for hkl, d, m, f2, i in rows:
            f.write(f"{hkl[0]},{hkl[1]},{hkl[2]},{d:.6f},{m},{f2:.4f},{100 * i / top:.4f}\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for make in (linio2, lab6, si):
        write(*make())
