import ArgumentParser
import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO

struct ReflectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflections",
        abstract: "List the allowed reflections of a structure with d, 2θ, multiplicity, |F|² and intensity.",
        discussion: """
            F2 is |F|² per unit cell in electrons², with anomalous dispersion at the given wavelength (averaged \
            over Friedel pairs). intensity is m·|F|²·Lp (unpolarized unless --polarization), strongest = 100.
            """)

    @Argument(help: "Structure file (CIF).")
    var structure: String

    @Option(help: "Wavelength in Å (Mo Kα1 = 0.70926, Cu Kα1 = 1.5405929).")
    var wavelength: Double

    @Option(name: .customLong("two-theta-max"), help: "Largest 2θ in degrees.")
    var twoThetaMax: Double = 60

    @Option(help: "Polarization fraction P as in GSAS-II (0.5 = unpolarized).")
    var polarization: Double = 0.5

    @Flag(help: "Print CSV: h,k,l,d,two_theta,multiplicity,F2,intensity.")
    var csv = false

    func validate() throws {
        guard wavelength.isFinite, wavelength > 0 else { throw ValidationError("--wavelength must be a positive number of Å") }
        guard twoThetaMax > 0, twoThetaMax < 180 else { throw ValidationError("--two-theta-max must lie between 0 and 180°") }
        guard (0...1).contains(polarization) else { throw ValidationError("--polarization must lie between 0 and 1") }
    }

    func run() throws {
        try reportingFailures {
            let crystal = try StructureCIF.read(URL(fileURLWithPath: structure))
            let rows = try ReflectionIntensities.compute(structure: crystal, wavelength: wavelength, twoThetaMax: twoThetaMax,
                                                         lorentzPolarization: LorentzPolarization(polarization: polarization))
            var out = ""
            if csv {
                out += "h,k,l,d,two_theta,multiplicity,F2,intensity\n"
                for r in rows {
                    let i = r.reflection.index
                    out += "\(i.h),\(i.k),\(i.l),\(String(format: "%.6f", r.reflection.d)),\(String(format: "%.5f", r.twoTheta)),\(r.reflection.multiplicity),\(String(format: "%.4f", r.squaredStructureFactor)),\(String(format: "%.4f", r.relativeIntensity))\n"
                }
            } else {
                out += "\(crystal.name): \(crystal.spaceGroup), a=\(EsdFormat.plain(crystal.cell.a)) b=\(EsdFormat.plain(crystal.cell.b)) c=\(EsdFormat.plain(crystal.cell.c)) Å, λ=\(wavelength) Å\n"
                out += "   h   k   l        d/Å     2θ/°    m        |F|²       I\n"
                for r in rows {
                    let i = r.reflection.index
                    out += String(format: "%4d%4d%4d %10.5f %8.4f %4d %11.2f %7.2f\n", i.h, i.k, i.l, r.reflection.d, r.twoTheta,
                                  r.reflection.multiplicity, r.squaredStructureFactor, r.relativeIntensity)
                }
                out += "\(rows.count) reflections; |F|² per cell in e², I = m|F|²Lp with the strongest = 100\n"
            }
            StandardStreams.out(out)
        }
    }
}
