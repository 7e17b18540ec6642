import CLAPACK
import Foundation
import NumericCore

/// LAPACK and BLAS themselves, as the reference the routines of `LinearAlgebra` are tested against (only the
/// tests link them: the engine's own routines are deterministic and need no C library).
public enum LAPACK {
    /// The Cholesky factor of a symmetric positive-definite matrix (lower triangle, upper zeroed; dpotrf).
    public static func cholesky(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        _ = BLASThreads.configured
        guard a.isSquare else { throw .dimensionMismatch("Cholesky needs a square matrix, got \(a.rows)×\(a.columns)") }
        var n = Int32(a.rows), lda = Int32(max(1, a.rows)), info: Int32 = 0
        var f = a
        f.storage.withUnsafeMutableBufferPointer { p in dpotrf_("L", &n, p.baseAddress, &lda, &info, 1) }
        if let e = check(info, routine: "dpotrf", positive: { .notPositiveDefinite(routine: $0, minorOrder: $1) }) { throw e }
        for j in 0..<a.columns { for i in 0..<j { f[i, j] = 0 } }
        return f
    }

    /// Solves A x = b for symmetric positive-definite A by Cholesky factorization (dpotrf + dpotrs).
    public static func choleskySolve(_ a: Matrix, _ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        guard a.isSquare, b.count == a.rows else {
            throw .dimensionMismatch("Cholesky solve of \(a.rows)×\(a.columns) with right-hand side of \(b.count)")
        }
        _ = BLASThreads.configured
        let factor = try cholesky(a)
        var n = Int32(a.rows), nrhs: Int32 = 1, lda = Int32(max(1, a.rows)), ldb = Int32(max(1, a.rows)), info: Int32 = 0
        var x = b
        factor.storage.withUnsafeBufferPointer { fp in
            x.withUnsafeMutableBufferPointer { xp in
                dpotrs_("L", &n, &nrhs, fp.baseAddress, &lda, xp.baseAddress, &ldb, &info, 1)
            }
        }
        if let e = check(info, routine: "dpotrs", positive: { .singular(routine: $0, position: $1) }) { throw e }
        return x
    }

    /// The inverse of a symmetric positive-definite matrix (dpotrf + dpotri), both triangles filled.
    public static func choleskyInverse(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        var f = try cholesky(a)
        var n = Int32(a.rows), lda = Int32(max(1, a.rows)), info: Int32 = 0
        f.storage.withUnsafeMutableBufferPointer { p in dpotri_("L", &n, p.baseAddress, &lda, &info, 1) }
        if let e = check(info, routine: "dpotri", positive: { .singular(routine: $0, position: $1) }) { throw e }
        for j in 0..<a.columns { for i in 0..<j { f[i, j] = f[j, i] } }
        return f
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix (dsyev).
    public static func symmetricEigen(_ a: Matrix) throws(LinearAlgebraError) -> (values: [Double], vectors: Matrix) {
        _ = BLASThreads.configured
        guard a.isSquare else { throw .dimensionMismatch("eigen-decomposition needs a square matrix") }
        if a.rows == 0 { return ([], a) }
        var n = Int32(a.rows), lda = Int32(a.rows), info: Int32 = 0
        var v = a
        var w = [Double](repeating: 0, count: a.rows)
        var lwork: Int32 = -1
        var query = 0.0
        v.storage.withUnsafeMutableBufferPointer { p in
            dsyev_("V", "L", &n, p.baseAddress, &lda, &w, &query, &lwork, &info, 1, 1)
        }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        v.storage.withUnsafeMutableBufferPointer { p in
            dsyev_("V", "L", &n, p.baseAddress, &lda, &w, &work, &lwork, &info, 1, 1)
        }
        if let e = check(info, routine: "dsyev", positive: { .noConvergence(routine: $0, unconverged: $1) }) { throw e }
        return (w, v)
    }

    /// Singular-value decomposition A = U Σ Vᵀ (dgesvd, thin): singular values descending.
    public static func singularValueDecomposition(_ a: Matrix) throws(LinearAlgebraError) -> (u: Matrix, singularValues: [Double], vt: Matrix) {
        _ = BLASThreads.configured
        let m = a.rows, n = a.columns, k = min(m, n)
        if k == 0 { return (Matrix(rows: m, columns: 0), [], Matrix(rows: 0, columns: n)) }
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), ldu = Int32(m), ldvt = Int32(k), info: Int32 = 0
        var copy = a
        var s = [Double](repeating: 0, count: k)
        var u = Matrix(rows: m, columns: k)
        var vt = Matrix(rows: k, columns: n)
        var lwork: Int32 = -1
        var query = 0.0
        copy.storage.withUnsafeMutableBufferPointer { ap in
            u.storage.withUnsafeMutableBufferPointer { up in
                vt.storage.withUnsafeMutableBufferPointer { vp in
                    dgesvd_("S", "S", &mm, &nn, ap.baseAddress, &lda, &s, up.baseAddress, &ldu, vp.baseAddress, &ldvt, &query, &lwork, &info, 1, 1)
                }
            }
        }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: max(1, Int(lwork)))
        copy.storage.withUnsafeMutableBufferPointer { ap in
            u.storage.withUnsafeMutableBufferPointer { up in
                vt.storage.withUnsafeMutableBufferPointer { vp in
                    dgesvd_("S", "S", &mm, &nn, ap.baseAddress, &lda, &s, up.baseAddress, &ldu, vp.baseAddress, &ldvt, &work, &lwork, &info, 1, 1)
                }
            }
        }
        if let e = check(info, routine: "dgesvd", positive: { .noConvergence(routine: $0, unconverged: $1) }) { throw e }
        return (u, s, vt)
    }

    /// The normal matrix Jᵀ J of a column-major `points` × `parameters` Jacobian (BLAS dsyrk), both
    /// triangles filled. Weights are applied by the caller (scale the rows by √w first).
    public static func normalMatrix(jacobian j: Matrix) -> Matrix {
        _ = BLASThreads.configured
        var out = Matrix(rows: j.columns, columns: j.columns)
        if j.rows == 0 || j.columns == 0 { return out }
        var n = Int32(j.columns), k = Int32(j.rows), lda = Int32(j.rows), ldc = Int32(j.columns)
        var alpha = 1.0, beta = 0.0
        j.storage.withUnsafeBufferPointer { jp in
            out.storage.withUnsafeMutableBufferPointer { cp in
                dsyrk_("L", "T", &n, &k, &alpha, jp.baseAddress, &lda, &beta, cp.baseAddress, &ldc, 1, 1)
            }
        }
        for c in 0..<j.columns { for r in 0..<c { out[r, c] = out[c, r] } }
        return out
    }

    /// Jᵀ r for a column-major Jacobian (BLAS dgemv).
    public static func transposeTimes(_ j: Matrix, _ r: [Double]) -> [Double] {
        precondition(r.count == j.rows, "Jᵀr: dimensions differ")
        _ = BLASThreads.configured
        var out = [Double](repeating: 0, count: j.columns)
        if j.rows == 0 || j.columns == 0 { return out }
        var m = Int32(j.rows), n = Int32(j.columns), lda = Int32(j.rows), inc: Int32 = 1
        var alpha = 1.0, beta = 0.0
        j.storage.withUnsafeBufferPointer { jp in
            r.withUnsafeBufferPointer { rp in
                dgemv_("T", &m, &n, &alpha, jp.baseAddress, &lda, rp.baseAddress, &inc, &beta, &out, &inc, 1)
            }
        }
        return out
    }
}

/// OpenBLAS spins threads for every call; the normal matrices here are small (≤ ~100 columns), so threads
/// cost more than they save and fight with callers that parallelize over patterns. Set it to one thread
/// when the BLAS in use is OpenBLAS (looked up at run time, so reference BLAS works as well). Every entry
/// point touches this first: changing OpenBLAS's thread count while another thread is inside a BLAS call
/// corrupts its buffers, and the one-time initializer makes concurrent first callers wait for it.
enum BLASThreads {
    static let configured: Bool = {
        typealias SetThreads = @convention(c) (Int32) -> Void
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(symbol, to: SetThreads.self)(1)
        }
        return true
    }()
}

/// Maps a LAPACK `info` code to an error, or nil when it is zero.
func check(_ info: Int32, routine: String, positive: (String, Int) -> LinearAlgebraError) -> LinearAlgebraError? {
    if info == 0 { return nil }
    if info < 0 { return .illegalArgument(routine: routine, position: Int(-info)) }
    return positive(routine, Int(info))
}
