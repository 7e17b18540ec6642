import Foundation
import PowderDiffraction
import Refinement

/// A refinement recipe (TOML subset; see `TOMLSubset`): settings, starting values, bounds and stages.
///
/// ```toml
/// background_terms = 13          # Chebyshev terms
/// two_theta = [5.0, 50.0]        # fitted range (degrees)
/// exclude = [[20.1, 20.4]]       # regions left out
/// geometry = "debye-scherrer"    # or "bragg-brentano"
/// mu_r = 0.0                     # cylinder μR
/// convention = "exact"           # or "gsas2" (GSAS-II's FCJ rule, windows, reflection range)
/// peak_window = 30               # FWHMs each side
///
/// [start]                        # starting (or fixed) values by parameter name
/// size = 0.2
/// "O1 z" = 0.258
///
/// [bounds]
/// "cation mixing" = [0.0, 0.1]
///
/// [[stage]]
/// name = "cell"
/// refine = ["scale", "background", "zero", "cell"]
/// broaden = true                 # temporary size broadening (widens the basin for the cell)
/// two_theta_max = 30.0
/// max_cycles = 10
/// ```
/// Without `[[stage]]` tables the default strategy runs. Parameter names are those of `ParameterSelector`.
public struct Recipe: Sendable {
    public var file: String
    public var backgroundTerms: Int?
    public var range: (Double?, Double?) = (nil, nil)
    public var excluded: [ClosedRange<Double>] = []
    public var geometry: Geometry?
    public var muR: Double?
    public var convention: ModelConvention?
    public var peakWindow: Double?
    public var start: [(name: String, value: Double, line: Int)] = []
    public var bounds: [(name: String, range: ClosedRange<Double>, line: Int)] = []
    public var stages: [(name: String, refine: [String], twoThetaMax: Double?, broaden: Bool, maxCycles: Int?, line: Int)] = []

    static let topKeys: Set<String> = ["background_terms", "two_theta", "exclude", "geometry", "mu_r", "convention", "peak_window", "start", "bounds", "stage"]
    static let stageKeys: Set<String> = ["name", "refine", "two_theta_max", "broaden", "max_cycles"]

    public static func read(_ url: URL) throws(RietveldIOError) -> Recipe {
        try parse(try TextFile.read(url), file: url.path)
    }

    public static func parse(_ text: String, file: String) throws(RietveldIOError) -> Recipe {
        let t = try TOMLSubset.parse(text, file: file)
        var r = Recipe(file: file)
        func line(_ k: String) -> Int { t.lines[k] ?? 1 }
        func bad(_ k: String, _ what: String) -> RietveldIOError { .malformed(file: file, line: line(k), "\(k): \(what)") }
        for key in t.order where !topKeys.contains(key) {
            throw .malformed(file: file, line: line(key), "unknown recipe key '\(key)' (expected one of \(topKeys.sorted().joined(separator: ", ")))")
        }
        if let v = t["background_terms"] {
            guard let n = v.number, n >= 1, n <= 40, n == n.rounded() else { throw bad("background_terms", "expected a whole number from 1 to 40") }
            r.backgroundTerms = Int(n)
        }
        if let v = t["two_theta"] {
            guard let a = v.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo < hi else { throw bad("two_theta", "expected [low, high] in degrees") }
            r.range = (lo, hi)
        }
        if let v = t["exclude"] {
            guard let list = v.array else { throw bad("exclude", "expected a list of [low, high] pairs") }
            for item in list {
                guard let a = item.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo < hi else { throw bad("exclude", "each region must be [low, high] with low < high") }
                r.excluded.append(lo...hi)
            }
        }
        if let v = t["geometry"] {
            guard let s = v.string, let g = Geometry(rawValue: s) else { throw bad("geometry", "expected \"debye-scherrer\" or \"bragg-brentano\"") }
            r.geometry = g
        }
        if let v = t["mu_r"] {
            guard let x = v.number, x >= 0 else { throw bad("mu_r", "expected a number ≥ 0") }
            r.muR = x
        }
        if let v = t["convention"] {
            guard let s = v.string, let q = ModelConvention(rawValue: s) else { throw bad("convention", "expected \"exact\" or \"gsas2\"") }
            r.convention = q
        }
        if let v = t["peak_window"] {
            guard let x = v.number, x >= 3, x <= 200 else { throw bad("peak_window", "expected a number of FWHMs from 3 to 200") }
            r.peakWindow = x
        }
        if let v = t["start"] {
            guard case .table(let s) = v else { throw bad("start", "expected a [start] table") }
            for k in s.order {
                guard let x = s[k]?.number else { throw .malformed(file: file, line: s.lines[k] ?? 1, "start value of '\(k)' must be a number") }
                r.start.append((k, x, s.lines[k] ?? 1))
            }
        }
        if let v = t["bounds"] {
            guard case .table(let b) = v else { throw bad("bounds", "expected a [bounds] table") }
            for k in b.order {
                guard let a = b[k]?.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo < hi else {
                    throw .malformed(file: file, line: b.lines[k] ?? 1, "bounds of '\(k)' must be [low, high] with low < high")
                }
                r.bounds.append((k, lo...hi, b.lines[k] ?? 1))
            }
        }
        if let v = t["stage"] {
            guard let list = v.array else { throw bad("stage", "use [[stage]] tables") }
            for (i, item) in list.enumerated() {
                guard case .table(let s) = item else { throw bad("stage", "use [[stage]] tables") }
                for k in s.order where !stageKeys.contains(k) {
                    throw .malformed(file: file, line: s.lines[k] ?? s.line, "unknown stage key '\(k)' (expected one of \(stageKeys.sorted().joined(separator: ", ")))")
                }
                guard let refine = s["refine"]?.array?.compactMap(\.string), !refine.isEmpty else {
                    throw .malformed(file: file, line: s.line, "stage \(i + 1) needs refine = [\"name\", …]")
                }
                let maxCycles = s["max_cycles"]?.number.map { Int($0) }
                r.stages.append((s["name"]?.string ?? "stage \(i + 1)", refine, s["two_theta_max"]?.number,
                                 s["broaden"]?.bool ?? false, maxCycles, s.lines["refine"] ?? s.line))
            }
        }
        return r
    }

    /// Applies starting values and bounds to a set-up and builds the stages (default strategy when the
    /// recipe has none). Unknown parameter names end with the recipe file, line and name.
    public func apply(to setup: inout RefinementSetup) throws(RietveldIOError) -> [RefinementStage] {
        func names(_ n: String, _ line: Int) throws(RietveldIOError) -> [ModelParameter] {
            do { return try ParameterSelector.resolve(n, in: setup.model) } catch {
                throw .malformed(file: file, line: line, error.description)
            }
        }
        for s in start {
            for p in try names(s.name, s.line) {
                do { try setup.model.setValue(s.value, for: p) } catch {
                    throw .malformed(file: file, line: s.line, "start value \(s.value) for '\(s.name)': \(error)")
                }
            }
        }
        for b in bounds { for p in try names(b.name, b.line) { setup.settings.bounds[p] = b.range } }
        setup.settings.excludedRegions = excluded
        if let w = peakWindow { setup.model.windowLowFWHMs = w; setup.model.windowHighFWHMs = w }
        guard !stages.isEmpty else {
            return DefaultStrategy.stages(for: setup.model, backgroundTerms: setup.model.background.coefficients.count)
        }
        var out: [RefinementStage] = []
        for s in stages {
            var params: [ModelParameter] = []
            for n in s.refine { for p in try names(n, s.line) where !params.contains(p) { params.append(p) } }
            out.append(RefinementStage(name: s.name, parameters: params,
                                       twoThetaMax: s.twoThetaMax ?? (s.broaden ? DefaultStrategy.broadenedTwoThetaMax : nil),
                                       temporarySize: s.broaden ? DefaultStrategy.broadeningSize(wavelength: setup.model.instrument.radiation.wavelength) : nil,
                                       maximumIterations: s.maxCycles))
        }
        for i in out.indices.dropLast() { out[i].isPreliminary = true }
        return out
    }
}
