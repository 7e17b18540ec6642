import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "x(Li), state of charge and ΔV/V of electrodes from their refined cell volume (or a and c, or several phases).",
        discussion: """
            The uncertainty of x combines the volume esd, the curve's band and its local slope; where V(x) is \
            flat or not one-to-one all consistent intervals are listed. With --a and --c the lookup uses the \
            (a(x), c(x)) path, which separates branches V alone cannot; a point off the path gets its nearest \
            candidates with their distance in σ (and a warning past 3σ). An electrode of several phases \
            (--phase-volume NAME:V:esd:W:esd repeated, or --refined JSON with phases[]) against a reference with \
            one branch per phase: each phase's V through its own branch, combined by the lever rule with molar \
            amounts w/M, M = M(host) + x·M(Li) (--host); where the reference has the region's boundary compositions \
            (fitted by build) each phase's x is its boundary composition. Many electrodes: --batch CSV \
            (name,volume,volume_esd[,a,a_esd,c,c_esd]) or --refined with rietveld refine JSON files.
            """)

    @Option(help: "Reference CSV (x_li,a,a_esd,c,c_esd,volume,volume_esd,phase).")
    var reference: String

    @Option(parsing: .unconditional, help: "Cell volume in Å³.")
    var volume: Double?

    @Option(name: .customLong("volume-esd"), parsing: .unconditional, help: "esd of the volume in Å³.")
    var volumeEsd: Double?

    @Option(parsing: .unconditional, help: "a in Å (with --c: joint lookup).")
    var a: Double?

    @Option(name: .customLong("a-esd"), parsing: .unconditional, help: "esd of a.")
    var aEsd: Double = 0

    @Option(parsing: .unconditional, help: "c in Å.")
    var c: Double?

    @Option(name: .customLong("c-esd"), parsing: .unconditional, help: "esd of c.")
    var cEsd: Double = 0

    @Option(name: .customLong("phase-volume"),
            help: "One phase of a multi-phase electrode, NAME:V:V_ESD:W:W_ESD (volume in Å³, weight fraction); repeat per phase.")
    var phaseVolumes: [String] = []

    @Option(help: "Delithiated host formula for the lever rule's masses: a phase of content x is Li_x(host), M = M(host) + x·M(Li).")
    var host = "NiO2"

    @Option(help: .hidden)
    var formula: String?

    @Option(help: "CSV of electrodes: name,volume,volume_esd[,a,a_esd,c,c_esd].")
    var batch: String?

    @Option(parsing: .upToNextOption, help: "rietveld refine --json files.")
    var refined: [String] = []

    @Option(parsing: .unconditional, help: "Smoothing bandwidth in x(Li), positive (default: chosen by leave-one-out cross-validation of the volume among 0.5–4 median point spacings).")
    var bandwidth: Double?

    @Option(help: "Phase regions NAME:LOW:HIGH,… (default: the reference's phase column, else the c collapse).")
    var regions: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        let single = volume != nil || (a != nil && c != nil) || !phaseVolumes.isEmpty
        do { _ = try HostFormula(formula ?? host) } catch { throw ValidationError("\(formula == nil ? "--host" : "--formula"): \(error)") }
        guard single || batch != nil || !refined.isEmpty else {
            throw ValidationError("give --volume, or --a and --c, or --phase-volume, or --batch, or --refined")
        }
        if (a == nil) != (c == nil) { throw ValidationError("--a and --c go together") }
        if let bandwidth { guard bandwidth.isFinite, bandwidth > 0 else { throw ValidationError("--bandwidth must be a positive width in x(Li), not \(bandwidth)") } }
        for (name, e) in [("--volume-esd", volumeEsd ?? 0), ("--a-esd", aEsd), ("--c-esd", cEsd)] {
            guard e.isFinite, e >= 0 else { throw ValidationError("\(name) must not be negative (\(e))") }
        }
        _ = try parsedPhases()
    }

    /// `NAME:V:V_ESD:W:W_ESD` (the name may hold colons: the last four fields are the numbers).
    func parsedPhases() throws -> [PhaseMeasurement] {
        try phaseVolumes.map { text in
            let f = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let numbers = f.suffix(4).compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard f.count >= 5, numbers.count == 4, numbers.allSatisfy(\.isFinite), !f.dropLast(4).joined(separator: ":").isEmpty else {
                throw ValidationError("--phase-volume expects NAME:V:V_ESD:W:W_ESD (e.g. H2:100.9:0.01:0.6:0.01), found '\(text)'")
            }
            guard numbers[1] >= 0, numbers[3] >= 0 else { throw ValidationError("--phase-volume '\(text)': esds must not be negative") }
            return PhaseMeasurement(name: f.dropLast(4).joined(separator: ":"), volume: Measured(numbers[0], esd: numbers[1]),
                                    weightFraction: Measured(numbers[2], esd: numbers[3]))
        }
    }

    func run() throws {
        try fail {
            let url = URL(fileURLWithPath: reference)
            let file = try LithiationFiles.readReferenceFile(url)
            if file.points.contains(where: { $0.volumeEsd == nil }) && volume != nil && a == nil && volumeEsd == nil {
                warn("no --volume-esd given: the uncertainty comes from the curve alone")
            }
            let ref: LithiumReference
            do { ref = try LithiumReference(points: file.points, branched: file.branched, bandwidth: bandwidth, regions: try parseRegions(regions),
                                                 boundaries: file.boundaries) }
            catch let e as LithiationError { throw Failure("\(reference): \(e)") }
            if formula != nil { warn("--formula of lookup is now --host (the delithiated host); build's --formula is the full formula for q_th") }
            let host = try HostFormula(formula ?? self.host)
            var queries: [(ElectrodeMeasurement, LithiumReference.UnknownPhases)] = []
            if volume != nil || a != nil {
                queries.append((ElectrodeMeasurement(name: "electrode", volume: volume.map { Measured($0, esd: volumeEsd ?? 0) },
                                                     a: a.map { Measured($0, esd: aEsd) }, c: c.map { Measured($0, esd: cEsd) }), .reject))
            }
            if !phaseVolumes.isEmpty { queries.append((ElectrodeMeasurement(name: "electrode", phases: try parsedPhases()), .reject)) }
            if let batch { queries += try LithiationFiles.readBatch(URL(fileURLWithPath: batch)).map { ($0, .reject) } }
            for f in refined { queries.append((try LithiationFiles.readRefined(URL(fileURLWithPath: f)), .leaveOut)) }
            var results: [[String: Any]] = []
            var text = ""
            for (q, policy) in queries {
                let r: ElectrodeLookup
                do { r = try ref.lookup(q, host: host, unknownPhases: policy) } catch {
                    if queries.count == 1 { throw error }
                    results.append(["name": q.name, "error": "\(error)"])
                    text += "\(q.name): \(error)\n"
                    continue
                }
                results.append(LookupReport.json(r, name: q.name))
                text += LookupReport.text(r, name: q.name)
            }
            if json {
                let object: Any = queries.count == 1 && batch == nil && refined.isEmpty ? results[0] : results
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                StandardStreams.out(data + Data("\n".utf8))
            } else {
                StandardStreams.out(text)
            }
        }
    }
}
