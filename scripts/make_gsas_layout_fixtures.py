#!/usr/bin/env python3
"""Writes patterns/gsas-layouts/: the first 500 points of the measured fluorapatite scan (patterns/fluorapatite/
FAP.XRA, GSAS STD, 15.00° + 0.02° steps) in the two other constant-wavelength GSAS layouts the readers accept,
so that the ESD and FXYE readers are tested on real counts (no such file from outside the project is here):

- ESD: BANK ... CONST 1500 2 0 0 ESD, five (intensity, esd) pairs per line, each value in 8 columns;
- FXYE: BANK ... CONST 1500 2 0 0 FXYE, one "2θ (centidegrees) intensity esd" line per point.

esd = sqrt(counts) as for the STD file (one count per point). The tests read these and compare with FAP.XRA.
Run from the repository root: python3 scripts/make_gsas_layout_fixtures.py
"""
from pathlib import Path

root = Path(__file__).resolve().parent.parent
src = (root / "patterns/fluorapatite/FAP.XRA").read_text().splitlines()
bank = next(i for i, l in enumerate(src) if l.startswith("BANK"))
counts = []
for line in src[bank + 1:]:
    for p in range(0, len(line) - 7, 8):
        counts.append(float(line[p + 2:p + 8]))
n = 500
counts = counts[:n]
out = root / "patterns/gsas-layouts"
out.mkdir(exist_ok=True)
title = "FAP.XRA (fluorapatite, GSAS-II tutorials) first 500 points".ljust(80)

esd_lines = []
for k in range(0, n, 5):
    esd_lines.append("".join("%8.1f%8.2f" % (y, y ** 0.5) for y in counts[k:k + 5]).ljust(80))
(out / "FAP-500-esd.gsa").write_text("\n".join([title, ("BANK 1 %d %d CONST 1500 2 0 0 ESD" % (n, len(esd_lines))).ljust(80)] + esd_lines) + "\n")

fxye_lines = ["%10.2f %10.1f %10.4f" % (1500 + 2 * i, y, y ** 0.5) for i, y in enumerate(counts)]
(out / "FAP-500-fxye.gsa").write_text("\n".join([title, ("BANK 1 %d %d CONST 1500 2 0 0 FXYE" % (n, n)).ljust(80)] + fxye_lines) + "\n")
print(f"wrote {n} points of FAP.XRA as ESD and FXYE into {out}")
