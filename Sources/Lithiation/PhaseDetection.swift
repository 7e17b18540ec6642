import Foundation

extension ReferenceCurve {
    /// Phase regions from the c-axis alone, for layered oxides: the H2→H3 collapse is placed where c, past its
    /// maximum toward low x, has fallen halfway to its last value; below it the region is H3, above it H1–H2
    /// (H1, M and H2 need the user's boundaries or labelled points: their slope changes are too subtle to find
    /// reliably). Without a fall of more than 1 % there is one region.
    public func regionsFromCAxis() -> [PhaseRegion]? { Self.cAxisRegions(grid: grid, c: c) }

    static func cAxisRegions(grid: [Double], c: [Double]?) -> [PhaseRegion]? {
        guard let c else { return nil }
        let xRange = grid.first!...grid.last!
        guard let iMax = c.indices.max(by: { c[$0] < c[$1] }), iMax > 0 else { return [PhaseRegion(name: "H1–H2", range: xRange)] }
        let fall = c[iMax] - c[0]
        guard fall > 0.01 * c[iMax] else { return [PhaseRegion(name: "H1–H2", range: xRange)] }
        let half = c[0] + fall / 2
        var i = iMax
        while i > 0 && c[i] > half { i -= 1 }
        let x = grid[i]
        return [PhaseRegion(name: "H3", range: grid.first!...x), PhaseRegion(name: "H1–H2", range: x...grid.last!)]
    }
}
