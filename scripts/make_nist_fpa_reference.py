#!/usr/bin/env python3
"""Reference peak profiles from NIST's own fundamental-parameters code, for FundamentalParametersTests.

NIST's FPA (M. H. Mendenhall, K. Mullen, J. P. Cline, J. Res. NIST 120 (2015) 223) is distributed with GSAS-II as
the module NIST_profile (profile_functions_class.FP_profile). This script imports it from a GSAS-II checkout given
on the command line (nothing of it is copied here) and computes the profile of four LaB6 reflections with the
instrument NIST states for SRM 660c (the pdCIF in patterns/nist-srm660c-lab6): R = 217.5 mm, 1.05 deg divergence,
0.2 mm receiving slit, the full axial model with 12 mm source, 15 mm specimen, 12 mm receiver and Soller slits of
6.776 deg full width (NIST's angI_deg, angD_deg: transmission zero at 3.388 deg), tube tails (0.04 mm focus, tails
from -1 to +1 mm at 0.001), NIST's Cu Ka spectrum (Mendenhall et al., J. Phys. B 50 (2017) 115004), a 2 um
Lorentzian crystallite size. Output: Tests/PowderDiffractionTests/Fixtures/nist-fpa-profiles.csv, each profile
on a 0.004 deg grid, unit area per degree.

    python3 scripts/make_nist_fpa_reference.py /path/to/GSAS-II/GSASII
"""
import math, os, sys
import numpy as np

sys.path.insert(0, sys.argv[1])
from NIST_profile.profile_functions_class import FP_profile

LAM1 = 1.5405925e-10
SPECTRUM = np.array(((1.5405925e-10, 3.91, 0.0436e-12), (1.5410769e-10, 0.474, 0.0558e-12),
                     (1.5443873e-10, 1.53, 0.0487e-12), (1.5446782e-10, 0.754, 0.0630e-12)))
# LaB6 (100), (220), (410)/(322), (511)/(333) at a = 4.15678 A: 2theta of Ka11 and the window (deg) around it.
REFLECTIONS = [(1, (-1.0, 0.7)), (8, (-0.8, 0.9)), (17, (-0.9, 1.3)), (27, (-1.0, 2.0))]

def profile(two_theta, low, high, step=0.004):
    wl, inten, wid = SPECTRUM.T
    p = FP_profile(anglemode="twotheta", output_gaussian_smoother_bins_sigma=None, oversampling=10)
    p.set_window(twotheta_output_points=int(round(12.0 / 0.002)), twotheta_window_center_deg=two_theta, twotheta_window_fullwidth_deg=12.0)
    p.set_parameters(twotheta0_deg=two_theta, dominant_wavelength=LAM1, diffractometer_radius=217.5e-3, equatorial_divergence_deg=1.05)
    p.set_parameters(convolver="emission", emiss_wavelengths=wl, emiss_intensities=inten, emiss_gauss_widths=np.zeros(4),
                     emiss_lor_widths=wid, crystallite_size_gauss=1e10, crystallite_size_lor=2e-6)
    p.set_parameters(convolver="displacement", zero_error_deg=0.0, specimen_displacement=0.0)
    # NIST's code fails when the source and receiver lengths are equal (GSAS-II's wrapper adds 1e-5 too).
    p.set_parameters(convolver="axial", axDiv="full", slit_length_source=12e-3, slit_length_target=12.00012e-3,
                     length_sample=15e-3, angI_deg=6.776, angD_deg=6.776, n_integral_points=40)
    p.set_parameters(convolver="receiver_slit", slit_width=0.2e-3)
    p.set_parameters(convolver="tube_tails", main_width=0.04e-3, tail_left=-1e-3, tail_right=1e-3, tail_intens=0.001)
    r = p.compute_line_profile()
    x = np.asarray(r.twotheta_deg); y = np.asarray(r.peak)
    y = y / (y.sum() * (x[1] - x[0]))
    grid = np.arange(two_theta + low, two_theta + high + step / 2, step)
    return grid, np.interp(grid, x, y)

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "PowderDiffractionTests", "Fixtures", "nist-fpa-profiles.csv")
    with open(out, "w") as f:
        f.write("# Peak profiles computed by NIST's FPA code (GSAS-II's NIST_profile) by scripts/make_nist_fpa_reference.py;\n")
        f.write("# LaB6 at a = 4.15678 A with SRM 660c's stated instrument (see the script). Unit area per degree.\n")
        f.write("bragg_two_theta,two_theta,profile\n")
        for m2, (low, high) in REFLECTIONS:
            tt = 2 * math.degrees(math.asin(LAM1 * 1e10 * math.sqrt(m2) / (2 * 4.15678)))
            grid, y = profile(tt, low, high)
            for g, v in zip(grid, y):
                f.write(f"{tt:.6f},{g:.4f},{v:.6e}\n")
