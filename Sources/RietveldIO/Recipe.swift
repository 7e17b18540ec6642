import FileSupport
import Foundation
import PowderDiffraction

/// A refinement recipe (TOML subset; see `TOMLSubset`): settings, starting values, bounds and stages, as the
/// file states them. Parameter names are resolved against a model by `Workflow` (`RecipePlan`).
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
/// "LPSCl: a" = 9.85              # scoped by phase name when there are several
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
/// Without `[[stage]]` tables the default strategy runs. Every value is checked for its type and range, and
/// errors name the recipe's line.
public struct Recipe: Sendable {
    /// A parameter name as written, with its line.
    public struct Name: Sendable, Equatable {
        public let text: String
        public let line: Int
    }

    public struct Start: Sendable, Equatable {
        public let name: Name
        public let value: Double
    }

    public struct Bound: Sendable, Equatable {
        public let name: Name
        public let range: ClosedRange<Double>
    }

    public struct Stage: Sendable, Equatable {
        public let name: String
        public let refine: [Name]
        public let twoThetaMax: Double?
        public let broaden: Bool
        public let maxCycles: Int?
        public let line: Int
    }

    public var file: String
    public var backgroundTerms: Int?
    public var range: (Double?, Double?) = (nil, nil)
    public var excluded: [ClosedRange<Double>] = []
    public var geometry: Geometry?
    public var muR: Double?
    public var convention: ModelConvention?
    public var peakWindow: Double?
    public var start: [Start] = []
    public var bounds: [Bound] = []
    public var stages: [Stage] = []

    static let topKeys: Set<String> = ["background_terms", "two_theta", "exclude", "geometry", "mu_r", "convention", "peak_window", "start", "bounds", "stage"]
    static let stageKeys: Set<String> = ["name", "refine", "two_theta_max", "broaden", "max_cycles"]

    public init(file: String) { self.file = file }

    public static func read(_ url: URL) throws(FileError) -> Recipe {
        try parse(try TextFile.read(url), file: url.path)
    }

    public static func parse(_ text: String, file: String) throws(FileError) -> Recipe {
        let t = try TOMLSubset.parse(text, file: file)
        var r = Recipe(file: file)
        let check = ValueCheck(file: file, table: t)
        for key in t.order where !topKeys.contains(key) {
            throw .malformed(file: file, line: t.lines[key] ?? 1, "unknown recipe key '\(key)' (expected one of \(topKeys.sorted().joined(separator: ", ")))")
        }
        r.backgroundTerms = try check.integer("background_terms", in: 1...40)
        if let pair = try check.pair("two_theta", "[low, high] in degrees") {
            guard pair.lowerBound > 0, pair.upperBound < 180 else { throw check.bad("two_theta", "expected [low, high] within 0–180°") }
            r.range = (pair.lowerBound, pair.upperBound)
        }
        if let v = t["exclude"] {
            guard let list = v.array else { throw check.bad("exclude", "expected a list of [low, high] pairs") }
            for item in list {
                guard let a = item.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo < hi else { throw check.bad("exclude", "each region must be [low, high] with low < high") }
                r.excluded.append(lo...hi)
            }
        }
        if let s = try check.string("geometry") {
            guard let g = Geometry(rawValue: s) else { throw check.bad("geometry", "expected \"debye-scherrer\" or \"bragg-brentano\"") }
            r.geometry = g
        }
        r.muR = try check.number("mu_r", in: 0...50)
        if let s = try check.string("convention") {
            guard let q = ModelConvention(rawValue: s) else { throw check.bad("convention", "expected \"exact\" or \"gsas2\"") }
            r.convention = q
        }
        r.peakWindow = try check.number("peak_window", in: 3...200)
        if let v = t["start"] {
            guard case .table(let s) = v else { throw check.bad("start", "expected a [start] table") }
            for k in s.order {
                guard let x = s[k]?.number, x.isFinite else { throw .malformed(file: file, line: s.lines[k] ?? 1, "start value of '\(k)' must be a number") }
                r.start.append(Start(name: Name(text: k, line: s.lines[k] ?? 1), value: x))
            }
        }
        if let v = t["bounds"] {
            guard case .table(let b) = v else { throw check.bad("bounds", "expected a [bounds] table") }
            for k in b.order {
                guard let a = b[k]?.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo < hi, lo.isFinite, hi.isFinite else {
                    throw .malformed(file: file, line: b.lines[k] ?? 1, "bounds of '\(k)' must be [low, high] with low < high")
                }
                r.bounds.append(Bound(name: Name(text: k, line: b.lines[k] ?? 1), range: lo...hi))
            }
        }
        if let v = t["stage"] {
            guard let list = v.array else { throw check.bad("stage", "use [[stage]] tables") }
            for (i, item) in list.enumerated() {
                guard case .table(let s) = item else { throw check.bad("stage", "use [[stage]] tables") }
                r.stages.append(try stage(s, number: i + 1, file: file))
            }
        }
        return r
    }

    static func stage(_ s: TOMLTable, number: Int, file: String) throws(FileError) -> Stage {
        for k in s.order where !stageKeys.contains(k) {
            throw .malformed(file: file, line: s.lines[k] ?? s.line, "unknown stage key '\(k)' (expected one of \(stageKeys.sorted().joined(separator: ", ")))")
        }
        let check = ValueCheck(file: file, table: s)
        guard let list = s["refine"]?.array, !list.isEmpty else {
            throw .malformed(file: file, line: s.line, "stage \(number) needs refine = [\"name\", …]")
        }
        let line = s.lines["refine"] ?? s.line
        var names: [Name] = []
        for item in list {
            guard let text = item.string else { throw .malformed(file: file, line: line, "refine: every entry must be a quoted parameter name") }
            names.append(Name(text: text, line: line))
        }
        let name = try check.string("name") ?? "stage \(number)"
        let limit = try check.number("two_theta_max", in: 0.001...180)
        let broaden = try check.bool("broaden") ?? false
        let cycles = try check.integer("max_cycles", in: 1...1000)
        return Stage(name: name, refine: names, twoThetaMax: limit, broaden: broaden, maxCycles: cycles, line: line)
    }
}

/// Typed access to a TOML table's values; a wrong type or range names the key and its line.
struct ValueCheck {
    let file: String
    let table: TOMLTable

    func bad(_ key: String, _ what: String) -> FileError { .malformed(file: file, line: table.lines[key] ?? table.line, "\(key): \(what)") }

    func number(_ key: String, in range: ClosedRange<Double>) throws(FileError) -> Double? {
        guard let v = table[key] else { return nil }
        guard let x = v.number, x.isFinite, range.contains(x) else {
            throw bad(key, "expected a number from \(EsdFormat.plain(range.lowerBound)) to \(EsdFormat.plain(range.upperBound))")
        }
        return x
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(FileError) -> Int? {
        guard let v = table[key] else { return nil }
        guard let x = v.number, x == x.rounded(), x >= Double(range.lowerBound), x <= Double(range.upperBound) else {
            throw bad(key, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(x)
    }

    func string(_ key: String) throws(FileError) -> String? {
        guard let v = table[key] else { return nil }
        guard let s = v.string else { throw bad(key, "expected a quoted string") }
        return s
    }

    func bool(_ key: String) throws(FileError) -> Bool? {
        guard let v = table[key] else { return nil }
        guard let b = v.bool else { throw bad(key, "expected true or false") }
        return b
    }

    func pair(_ key: String, _ what: String) throws(FileError) -> ClosedRange<Double>? {
        guard let v = table[key] else { return nil }
        guard let a = v.array, a.count == 2, let lo = a[0].number, let hi = a[1].number, lo.isFinite, hi.isFinite, lo < hi else { throw bad(key, "expected \(what)") }
        return lo...hi
    }
}
