import Foundation

/// Gauss–Legendre quadrature nodes and weights on [0, 1].
public enum GaussLegendre {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Int: (nodes: [Double], weights: [Double])] = [:]

    /// n nodes and weights on [0, 1] (exact for polynomials of degree 2n − 1), computed by Newton's method on
    /// the Legendre polynomial P_n (Numerical Recipes §4.5) and cached.
    public static func rule(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        precondition(n >= 1, "at least one node")
        if n <= small.count { return small[n - 1] }
        return cached(n)
    }

    /// The rules up to 64 nodes, made once: the pattern model asks for one per reflection and evaluation.
    private static let small: [(nodes: [Double], weights: [Double])] = (1...64).map { cached($0) }

    private static func cached(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        lock.lock()
        defer { lock.unlock() }
        if let r = cache[n] { return r }
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        let m = (n + 1) / 2
        for i in 0..<m {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var pp = 0.0
            for _ in 0..<100 {
                var p1 = 1.0, p2 = 0.0
                for j in 0..<n {
                    let p3 = p2
                    p2 = p1
                    p1 = ((2 * Double(j) + 1) * z * p2 - Double(j) * p3) / Double(j + 1)
                }
                pp = Double(n) * (z * p1 - p2) / (z * z - 1)
                let z1 = z
                z = z1 - p1 / pp
                if abs(z - z1) < 1e-15 { break }
            }
            // Map from [−1, 1] to [0, 1].
            nodes[i] = 0.5 * (1 - z)
            nodes[n - 1 - i] = 0.5 * (1 + z)
            let w = 1 / ((1 - z * z) * pp * pp)
            weights[i] = w
            weights[n - 1 - i] = w
        }
        cache[n] = (nodes, weights)
        return (nodes, weights)
    }
}
