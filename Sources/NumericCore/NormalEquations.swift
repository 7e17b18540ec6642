import CMalloc
import CPUCheck
import Foundation

/// The linear algebra of least squares, computed in a fixed order so that a run gives the same numbers to the
/// last bit every time: BLAS kernels pick code paths by memory alignment, so JᵀJ from dsyrk could differ in
/// its last digits from one run to the next — enough to tip a decision at a threshold (a phase's presence) and
/// to make a resumed run differ from an uninterrupted one. The matrices here are small (≤ ~100 columns), and
/// these routines are as fast as BLAS's for them. LAPACK (the `LAPACKReference` module) is the reference they
/// are tested against; the engine links no BLAS (whose worker threads also spun on the second core).
public enum LinearAlgebra {
    /// Rows handled together in the normal-matrix product: 512 rows of 24 columns (96 kB) stream from L2,
    /// and a tile's fixed work (its partial sums' totals, the pairs it holds) is spread over 128 steps: against
    /// 128 rows (24 kB, in L1) a 3,001 × 24 product 56 → 47 µs (best of 7), 200 chained patterns 3.38 → 3.26 G
    /// instructions.
    static let rowBlock = 512

    /// The normal matrix Jᵀ J of a column-major `points` × `parameters` Jacobian, both triangles filled.
    /// Weights are applied by the caller (scale the rows by √w first).
    ///
    /// Summed block by block of `rowBlock` rows, in block order. With `threads` > 1 and enough work (see
    /// `parallelWork`) the blocks' products are formed on that many threads and then added in the same order,
    /// so the result is the same to the last bit on any number of threads.
    public static func normalMatrix(jacobian j: Matrix, threads: Int = 1) -> Matrix {
        normalMatrix(jacobian: j, threads: threads, known: nil)
    }

    /// Jᵀ J where the entries between two `known.columns` are already known (`known.values`, from an earlier
    /// Jacobian whose columns there were the same): only the other pairs are summed — the same numbers to the
    /// last bit as summing them all again.
    public static func normalMatrix(jacobian j: Matrix, threads: Int = 1, known: (columns: [Bool], values: Matrix)?) -> Matrix {
        let n = j.columns, m = j.rows
        var out = Matrix(rows: n, columns: n)
        if m == 0 || n == 0 { return out }
        let skip: [Bool]? = known.map { k in
            precondition(k.columns.count == n && k.values.rows == n, "known block: dimensions differ")
            var pairs = [Bool](repeating: false, count: n * n)
            for a in 0..<n where k.columns[a] { for b in 0...a where k.columns[b] { pairs[a + b * n] = true } }
            return pairs
        }
        let blocks = (m + rowBlock - 1) / rowBlock
        let workers = min(threads, blocks)
        j.storage.withUnsafeBufferPointer { jp in
            out.storage.withUnsafeMutableBufferPointer { op in
                let base = jp.baseAddress!
                if workers <= 1 || m * n * (n + 1) / 2 < parallelWork {
                    for k in 0..<blocks { productBlock(base, rows: m, columns: n, block: k, skip: skip, into: op.baseAddress!) }
                } else {
                    // Each block's product apart, then the sum in block order (as above: (0 + P₀) + P₁ + …).
                    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks * n * n)
                    defer { partial.deallocate() }
                    partial.initialize(repeating: 0)
                    let shared = SendablePointer(partial.baseAddress!), source = SendablePointer(UnsafeMutablePointer(mutating: base))
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        for k in stride(from: w, to: blocks, by: workers) {
                            productBlock(source.pointer, rows: m, columns: n, block: k, skip: skip, into: shared.pointer + k * n * n)
                        }
                    }
                    for k in 0..<blocks {
                        let p = partial.baseAddress! + k * n * n
                        for a in 0..<n { for b in 0...a { op[a + b * n] += p[a + b * n] } }
                    }
                }
                if let known, let skip {
                    for a in 0..<n { for b in 0...a where skip[a + b * n] { op[a + b * n] = known.values[a, b] } }
                }
                for a in 0..<n { for b in 0..<a { op[b + a * n] = op[a + b * n] } }
            }
        }
        return out
    }

    /// Adds rows k·rowBlock … of JᵀJ's lower triangle (column-major `rows` × `columns` J at `base`) to `target`.
    /// Pairs marked in `skip` (index a + b·n) need not be formed, and the upper triangle is not kept: the
    /// caller overwrites both.
    ///
    /// The pairs are formed in tiles of 4 × 2 columns, so that each pair of rows is loaded once for eight
    /// products (a dot product per pair loaded both columns for each: ~2 instructions per multiply-add, the
    /// tiles of two rows a step ~1.4, of four rows on AVX fewer still); every pair's sum is the same arithmetic
    /// wherever it falls (`pairDot`), so the result does not depend on the tiling or on which pairs are skipped.
    static func productBlock(_ base: UnsafePointer<Double>, rows m: Int, columns n: Int, block k: Int, skip: [Bool]? = nil,
                             into target: UnsafeMutablePointer<Double>) {
        let start = k * rowBlock, count = min(rowBlock, m - start)
        let wanted = { (a: Int, b: Int) -> Bool in b <= a && skip?[a + b * n] != true }
        var a0 = 0
        while a0 < n {
            let aw = min(4, n - a0)
            var b0 = 0
            while b0 < a0 + aw {
                let bw = min(2, a0 + aw - b0)
                var pairs = 0
                for a in a0..<(a0 + aw) { for b in b0..<(b0 + bw) where wanted(a, b) { pairs += 1 } }
                // A whole tile as soon as one pair in it is wanted: its other pairs (above the diagonal, or
                // known) are written where the caller overwrites them. Measured (instructions): cheaper than
                // the wanted pairs one by one even for a tile with one wanted pair in a chained run, and within
                // 3 M of the old pair-by-pair product on the README example, whose first stages skip most pairs;
                // a rule "at least four wanted" was worse in both (a lone pair's sum is latency-bound).
                if pairs > 0 && aw == 4 && bw == 2 {
                    tile4x2(base + a0 * m + start, base + b0 * m + start, stride: m, count: count, into: target + a0 + b0 * n, targetStride: n)
                } else if pairs > 0 {
                    for a in a0..<(a0 + aw) {
                        for b in b0..<(b0 + bw) where wanted(a, b) {
                            target[a + b * n] += pairDot(base + a * m + start, base + b * m + start, count)
                        }
                    }
                }
                b0 += bw
            }
            a0 += aw
        }
    }

    /// acc + x·y lane by lane: one fused multiply-add where the hot modules are compiled for Haswell
    /// (RIETVELD_FMA, see Package.swift), a product and a sum elsewhere — a fused multiply-add without FMA in the
    /// target is a libm call per lane. Every sum of products here goes through it, so a pair's sum is the same
    /// arithmetic wherever it is formed.
    @inline(__always)
    static func multiplyAdd<V: SIMD>(_ acc: inout V, _ x: V, _ y: V) where V.Scalar == Double {
        #if RIETVELD_FMA
        acc.addProduct(x, y)
        #else
        acc += x * y
        #endif
    }

    /// Σ p[i] q[i] as the tiles form it: four partial sums over quadruples of rows, added as (0 + 1) + (2 + 3),
    /// then the last rows one by one.
    @inline(__always)
    static func pairDot(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>, _ count: Int) -> Double {
        var acc = SIMD4<Double>(repeating: 0)
        var i = 0
        while i + 4 <= count {
            multiplyAdd(&acc, UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Double>.self), UnsafeRawPointer(q + i).loadUnaligned(as: SIMD4<Double>.self))
            i += 4
        }
        var sum = (acc[0] + acc[1]) + (acc[2] + acc[3])
        while i < count { sum += p[i] * q[i]; i += 1 }
        return sum
    }

    /// The eight sums of columns a…a+3 (at `a`, `stride` apart) with b, b+1 (at `b`), each as `pairDot` forms
    /// it, added to target[a' + b'·targetStride]. Four rows a step: one 256-bit operation each where the hot
    /// modules are compiled for AVX (Package.swift), two 128-bit ones elsewhere — the same sums either way.
    /// Against two rows a step: 200 chained patterns 4.09 → 3.67 G instructions on the AVX build.
    @inline(__always)
    static func tile4x2(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, stride m: Int, count: Int,
                        into target: UnsafeMutablePointer<Double>, targetStride n: Int) {
        let zero = SIMD4<Double>(repeating: 0)
        var (s00, s10, s20, s30, s01, s11, s21, s31) = (zero, zero, zero, zero, zero, zero, zero, zero)
        let (a0, a1, a2, a3, b0, b1) = (UnsafeRawPointer(a), UnsafeRawPointer(a + m), UnsafeRawPointer(a + 2 * m), UnsafeRawPointer(a + 3 * m),
                                        UnsafeRawPointer(b), UnsafeRawPointer(b + m))
        let size = MemoryLayout<Double>.stride
        var i = 0
        while i + 4 <= count {
            let o = i * size
            let x0 = a0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self), x1 = a1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
            let x2 = a2.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self), x3 = a3.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
            let y0 = b0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self), y1 = b1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
            multiplyAdd(&s00, x0, y0); multiplyAdd(&s10, x1, y0); multiplyAdd(&s20, x2, y0); multiplyAdd(&s30, x3, y0)
            multiplyAdd(&s01, x0, y1); multiplyAdd(&s11, x1, y1); multiplyAdd(&s21, x2, y1); multiplyAdd(&s31, x3, y1)
            i += 4
        }
        func total(_ s: SIMD4<Double>) -> Double { (s[0] + s[1]) + (s[2] + s[3]) }
        var first = SIMD4(total(s00), total(s10), total(s20), total(s30))
        var second = SIMD4(total(s01), total(s11), total(s21), total(s31))
        while i < count {
            for r in 0..<4 { first[r] += a[r * m + i] * b[i]; second[r] += a[r * m + i] * b[m + i] }
            i += 1
        }
        for r in 0..<4 { target[r] += first[r]; target[r + n] += second[r] }
    }

    /// Multiply-adds of JᵀJ (points × parameters²/2) above which a second thread pays for its start:
    /// ~3·10⁶, about 1 ms on one core (a 28 000-point pattern with 24 parameters is 8.4·10⁶).
    public static let parallelWork = 3_000_000

    /// Jᵀ r for a column-major Jacobian.
    public static func transposeTimes(_ j: Matrix, _ r: [Double]) -> [Double] {
        precondition(r.count == j.rows, "Jᵀr: dimensions differ")
        var out = [Double](repeating: 0, count: j.columns)
        if j.rows == 0 { return out }
        j.storage.withUnsafeBufferPointer { jp in
            r.withUnsafeBufferPointer { rp in
                for c in 0..<j.columns { out[c] = dot(jp.baseAddress! + c * j.rows, rp.baseAddress!, j.rows) }
            }
        }
        return out
    }

    /// Σ p[i] q[i] with eight partial sums (vectorized; the order is fixed, so the result is reproducible).
    @inline(__always)
    static func dot(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>, _ n: Int) -> Double {
        var acc = SIMD8<Double>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let u = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Double>.self)
            let v = UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<Double>.self)
            multiplyAdd(&acc, u, v)
            i += 8
        }
        var sum = acc.sum()
        while i < n { sum += p[i] * q[i]; i += 1 }
        return sum
    }

    // MARK: Cholesky for the small systems of the normal equations

    /// The Cholesky factor L (lower triangle, upper zeroed) of a symmetric positive-definite matrix, A = L Lᵀ.
    public static func cholesky(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        guard a.isSquare else { throw .dimensionMismatch("Cholesky needs a square matrix, got \(a.rows)×\(a.columns)") }
        let n = a.rows
        var l = Matrix(rows: n, columns: n)
        for j in 0..<n {
            var d = a[j, j]
            for k in 0..<j { d -= l[j, k] * l[j, k] }
            guard d > 0, d.isFinite else { throw .notPositiveDefinite(routine: "cholesky", minorOrder: j + 1) }
            let djj = d.squareRoot()
            l[j, j] = djj
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i, j]
                for k in 0..<j { s -= l[i, k] * l[j, k] }
                l[i, j] = s / djj
            }
        }
        return l
    }

    /// Solves A x = b for symmetric positive-definite A (Cholesky, then forward and back substitution).
    public static func choleskySolve(_ a: Matrix, _ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        guard a.isSquare, b.count == a.rows else {
            throw .dimensionMismatch("Cholesky solve of \(a.rows)×\(a.columns) with right-hand side of \(b.count)")
        }
        let l = try cholesky(a)
        return substitute(l, b)
    }

    /// L Lᵀ x = b given L.
    static func substitute(_ l: Matrix, _ b: [Double]) -> [Double] {
        let n = l.rows
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i, k] * y[k] }
            y[i] = s / l[i, i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, n) { s -= l[k, i] * y[k] }
            y[i] = s / l[i, i]
        }
        return y
    }

    /// The inverse of a symmetric positive-definite matrix, both triangles filled (column by column from the
    /// Cholesky factor).
    public static func choleskyInverse(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        let l = try cholesky(a)
        let n = a.rows
        var inv = Matrix(rows: n, columns: n)
        for c in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[c] = 1
            let x = substitute(l, e)
            for r in 0..<n { inv[r, c] = x[r] }
        }
        for c in 0..<n { for r in 0..<c { let v = 0.5 * (inv[r, c] + inv[c, r]); inv[r, c] = v; inv[c, r] = v } }
        return inv
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix, by cyclic Jacobi
    /// rotations (Golub & Van Loan, Matrix Computations, §8.5): sweeps until the off-diagonal part is below
    /// 1e-15 of the norm — accurate to rounding for the small matrices of the normal equations.
    public static func symmetricEigen(_ a: Matrix) throws(LinearAlgebraError) -> (values: [Double], vectors: Matrix) {
        guard a.isSquare else { throw .dimensionMismatch("eigen-decomposition needs a square matrix") }
        let n = a.rows
        var m = a, v = Matrix.identity(n)
        let norm = (a.storage.reduce(0) { $0 + $1 * $1 }).squareRoot()
        var converged = n < 2
        for _ in 0..<100 where !converged {
            var off = 0.0
            for q in 0..<n { for p in 0..<q { off += m[p, q] * m[p, q] } }
            if off.squareRoot() <= 1e-15 * max(norm, 1e-300) { converged = true; break }
            for q in 1..<n {
                for p in 0..<q where m[p, q] != 0 {
                    // The rotation in the (p, q) plane that zeroes m[p, q].
                    let theta = (m[q, q] - m[p, p]) / (2 * m[p, q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let mkp = m[k, p], mkq = m[k, q]
                        m[k, p] = c * mkp - s * mkq
                        m[k, q] = s * mkp + c * mkq
                    }
                    for k in 0..<n {
                        let mpk = m[p, k], mqk = m[q, k]
                        m[p, k] = c * mpk - s * mqk
                        m[q, k] = s * mpk + c * mqk
                    }
                    for k in 0..<n {
                        let vkp = v[k, p], vkq = v[k, q]
                        v[k, p] = c * vkp - s * vkq
                        v[k, q] = s * vkp + c * vkq
                    }
                }
            }
        }
        guard converged else { throw .noConvergence(routine: "jacobi", unconverged: n) }
        let order = (0..<n).sorted { m[$0, $0] < m[$1, $1] }
        var vectors = Matrix(rows: n, columns: n)
        for (j, k) in order.enumerated() { for i in 0..<n { vectors[i, j] = v[i, k] } }
        return (order.map { m[$0, $0] }, vectors)
    }
}

/// A pointer handed to worker threads that write disjoint parts of its memory.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}

/// Process-wide settings the engine's allocation pattern needs, applied once by a program's entry point.
public enum ProcessTuning {
    /// Blocks up to this size stay in the heap.
    public static let mmapThreshold: Int32 = 64 << 20

    /// The instruction set the hot modules were compiled for (Package.swift): "haswell" (AVX2, FMA, BMI2) or
    /// "portable". (Referencing CPUCheck also links its check before main into every program using the engine.)
    public static var instructionSet: String { rietveld_built_for_haswell() == 1 ? "haswell" : "portable" }

    /// Each model evaluation allocates a Jacobian of 0.5–10 MB (3 000–50 000 points × 24 parameters); glibc
    /// maps blocks above 128 kB afresh and unmaps them on free, so every evaluation paid page faults. Keep such
    /// blocks in the heap, and grow it in 64 MB steps: 15 refinements of 28,501 points fault 6,500 pages
    /// instead of 50,800. A no-op where the C library has no `mallopt`. Returns whether the settings were
    /// applied (false without glibc).
    @discardableResult
    public static func apply() -> Bool {
        rietveld_keep_large_blocks(mmapThreshold, 256 << 20, 64 << 20) == 1
    }
}
