import Foundation

/// The H2 → H3 charge simulated by GSAS-II (patterns/gsas2-sim-multiphase/lno-h2h3-series) with a stated x(Li)
/// per pattern, for lithium-map round trips: H2 alone x = 0.30 + 0.02 (10 − i) for patterns 0–9; H3 alone
/// x = 0.10 − 0.015 (i − 17) for 18–23; in between the lever rule of the truth's weight fractions with boundary
/// compositions H2 0.30 and H3 0.10 (the Li contents of the simulated H2 and H3), molar masses of Li_xNiO2 from
/// IUPAC atomic weights typed here (Li 6.94, Ni 58.6934, O 15.999).
public enum H2H3Statement {
    public static let folder = "patterns/gsas2-sim-multiphase/lno-h2h3-series"
    public static let boundaries = (h2: 0.30, h3: 0.10)
    public static func molarMass(_ x: Double) -> Double { 58.6934 + 2 * 15.999 + 6.94 * x }

    struct Truth: Decodable { let weight_fractions: [String: Double] }

    /// x(Li) stated for each of the 24 patterns.
    public static func statedX() throws -> [Double] {
        let url = repositoryRoot.appendingPathComponent(folder).appendingPathComponent("truth.json")
        let truth = try JSONDecoder().decode([Truth].self, from: Data(contentsOf: url))
        return truth.enumerated().map { i, t in
            if i <= 9 { return boundaries.h2 + 0.02 * Double(10 - i) }
            if i >= 18 { return boundaries.h3 - 0.015 * Double(i - 17) }
            let n2 = t.weight_fractions["H2"]! / molarMass(boundaries.h2), n3 = t.weight_fractions["H3"]! / molarMass(boundaries.h3)
            return (n2 * boundaries.h2 + n3 * boundaries.h3) / (n2 + n3)
        }
    }

    /// A cycler record's text (time_s, capacity_mAh) passing the charge of each stated x at pattern i's time
    /// (i × interval), for an active mass in mg and q_th in mAh/g: Q = (1 − x) q_th m.
    public static func cyclerCSV(_ xs: [Double], interval: Double, massMilligrams m: Double, capacity: Double) -> String {
        "time_s,capacity_mAh\n" + xs.enumerated().map { "\(Double($0.offset) * interval),\((1 - $0.element) * capacity * m / 1000)" }.joined(separator: "\n") + "\n"
    }
}
