import LAPACKReference
import NumericCore
import Testing

@Suite struct LinearAlgebraTests {
    // A symmetric positive-definite matrix with a known solution.
    let a = Matrix([[4, 12, -16], [12, 37, -43], [-16, -43, 98]])

    @Test func choleskyFactorMatchesTextbookExample() throws {
        // The classic example: L = [[2,0,0],[6,1,0],[-8,5,3]].
        let l = try LinearAlgebra.cholesky(a)
        let expected = Matrix([[2, 0, 0], [6, 1, 0], [-8, 5, 3]])
        for i in 0..<3 { for j in 0..<3 { #expect(abs(l[i, j] - expected[i, j]) < 1e-12) } }
    }

    @Test func choleskySolveRecoversSolution() throws {
        let x = [1.0, -2.0, 0.5]
        let b = a * x
        let solved = try LinearAlgebra.choleskySolve(a, b)
        for i in 0..<3 { #expect(abs(solved[i] - x[i]) < 1e-10) }
    }

    @Test func inverseTimesMatrixIsIdentity() throws {
        let inv = try LinearAlgebra.choleskyInverse(a)
        let p = inv * a
        for i in 0..<3 { for j in 0..<3 { #expect(abs(p[i, j] - (i == j ? 1 : 0)) < 1e-10) } }
    }

    @Test func notPositiveDefiniteIsNamed() {
        let singular = Matrix([[1, 1], [1, 1]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "cholesky", minorOrder: 2)) {
            _ = try LinearAlgebra.cholesky(singular)
        }
    }

    @Test func eigenvaluesOfKnownMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,-1)/√2 and (1,1)/√2.
        let (values, vectors) = try LinearAlgebra.symmetricEigen(Matrix([[2, 1], [1, 2]]))
        #expect(abs(values[0] - 1) < 1e-12 && abs(values[1] - 3) < 1e-12)
        #expect(abs(abs(vectors[0, 0]) - 0.5.squareRoot()) < 1e-12)
        #expect(abs(vectors[0, 0] + vectors[1, 0]) < 1e-12)
    }

    @Test func normalMatrixMatchesExplicitProduct() {
        var j = Matrix(rows: 50, columns: 4)
        for r in 0..<50 { for c in 0..<4 { j[r, c] = sin(Double(r * 7 + c * 3)) } }
        let n = LinearAlgebra.normalMatrix(jacobian: j)
        let explicit = j.transposed * j
        for r in 0..<4 { for c in 0..<4 { #expect(abs(n[r, c] - explicit[r, c]) < 1e-10) } }
        let v = (0..<50).map { Double($0) / 10 }
        let jtv = LinearAlgebra.transposeTimes(j, v)
        let explicitJtv = j.transposed * v
        for c in 0..<4 { #expect(abs(jtv[c] - explicitJtv[c]) < 1e-10) }
    }
}

import Foundation

/// The deterministic routines of the normal equations against LAPACK and BLAS, and their reproducibility.
@Suite struct DeterministicLinearAlgebraTests {
    /// A column-major m × n matrix of reproducible pseudo-random numbers.
    static func random(_ m: Int, _ n: Int, seed: UInt64) -> Matrix {
        var state = seed
        var values: [Double] = []
        for _ in 0..<(m * n) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(Double(state >> 11) / Double(1 << 53) - 0.5)
        }
        return Matrix(rows: m, columns: n, storage: values)
    }

    @Test(arguments: [(3001, 24), (133, 7), (8, 3), (1000, 1)])
    func normalEquationsMatchBLAS(shape: (Int, Int)) throws {
        let j = Self.random(shape.0, shape.1, seed: 42)
        let r = Self.random(shape.0, 1, seed: 7).storage
        let ours = LinearAlgebra.normalMatrix(jacobian: j), blas = LAPACK.normalMatrix(jacobian: j)
        let scale = blas.storage.map(abs).max()!
        for k in ours.storage.indices { #expect(abs(ours.storage[k] - blas.storage[k]) <= 1e-12 * scale) }
        let g = LinearAlgebra.transposeTimes(j, r), gb = LAPACK.transposeTimes(j, r)
        for k in g.indices { #expect(abs(g[k] - gb[k]) <= 1e-12 * max(1, gb.map(abs).max()!)) }
        // The same numbers to the last bit, whatever the memory the matrix sits in.
        let copy = Matrix(rows: j.rows, columns: j.columns, storage: Array(j.storage))
        #expect(LinearAlgebra.normalMatrix(jacobian: copy) == ours)
    }

    /// The normal matrix of a synchrotron-size Jacobian (30 000 × 24, past `parallelWork`) on two threads:
    /// BLAS's dsyrk within rounding, and the one-thread result to the last bit.
    @Test func threadedNormalMatrixIsTheSameToTheLastBit() throws {
        let j = Self.random(30_000, 24, seed: 5)
        #expect(30_000 * 24 * 25 / 2 > LinearAlgebra.parallelWork)
        let two = LinearAlgebra.normalMatrix(jacobian: j, threads: 2), one = LinearAlgebra.normalMatrix(jacobian: j, threads: 1)
        #expect(zip(two.storage, one.storage).allSatisfy { $0 == $1 }, "two threads differ from one")
        let blas = LAPACK.normalMatrix(jacobian: j)
        let scale = blas.storage.map(abs).max()!
        for k in two.storage.indices { #expect(abs(two.storage[k] - blas.storage[k]) <= 1e-12 * scale) }
    }

    /// On Linux (glibc) the programs' allocation settings reach mallopt and are accepted: the shim once
    /// compiled them out without a sign (see CMalloc/shim.h).
    @Test func processTuningReachesTheCLibrary() {
        #if os(Linux)
        #expect(ProcessTuning.apply())
        #endif
    }

    /// With the block between some columns known from an earlier Jacobian that had the same columns there, the
    /// rest is summed and the result is the full product to the last bit, on one thread and on two.
    @Test(arguments: [1, 2])
    func normalMatrixWithAKnownBlock(threads: Int) throws {
        var j = Self.random(30_000, 24, seed: 9)
        let constant = (0..<24).map { $0 < 13 }
        let first = LinearAlgebra.normalMatrix(jacobian: j, threads: threads)
        // Another Jacobian: the first 13 columns the same, the others changed.
        for c in 13..<24 { for r in 0..<j.rows { j[r, c] *= 1.0 + 1e-3 * Double(c) } }
        let full = LinearAlgebra.normalMatrix(jacobian: j, threads: threads)
        let reused = LinearAlgebra.normalMatrix(jacobian: j, threads: threads, known: (constant, first))
        #expect(zip(reused.storage, full.storage).allSatisfy { $0 == $1 }, "the reused block changes the result")
        let blas = LAPACK.normalMatrix(jacobian: j)
        let scale = blas.storage.map(abs).max()!
        #expect(zip(reused.storage, blas.storage).allSatisfy { abs($0 - $1) <= 1e-12 * scale })
    }

    /// Jacobi eigen-pairs against LAPACK's dsyev on a normal matrix with a near-null direction.
    @Test func eigenMatchesLAPACK() throws {
        var j = Self.random(300, 12, seed: 11)
        for r in 0..<300 { j[r, 11] = j[r, 3] * 2 + 1e-7 * j[r, 11] }  // nearly degenerate column
        let a = LinearAlgebra.normalMatrix(jacobian: j)
        let (values, vectors) = try LinearAlgebra.symmetricEigen(a)
        let (ref, refVectors) = try LAPACK.symmetricEigen(a)
        let top = ref.last!
        for k in values.indices { #expect(abs(values[k] - ref[k]) <= 1e-12 * top, "eigenvalue \(k): \(values[k]) vs \(ref[k])") }
        // Eigenvectors agree up to sign (the eigenvalues here are distinct).
        for k in values.indices {
            let dot = (0..<12).reduce(0.0) { $0 + vectors[$1, k] * refVectors[$1, k] }
            #expect(abs(abs(dot) - 1) < 1e-8, "eigenvector \(k): |cos| = \(abs(dot))")
        }
    }

    @Test func choleskySolveAndInverseMatchLAPACK() throws {
        let j = Self.random(200, 30, seed: 3)
        let a = LinearAlgebra.normalMatrix(jacobian: j)
        let b = Self.random(30, 1, seed: 9).storage
        let l = try LinearAlgebra.cholesky(a), lRef = try LAPACK.cholesky(a)
        for k in l.storage.indices { #expect(abs(l.storage[k] - lRef.storage[k]) <= 1e-12 * max(1, abs(lRef.storage[k]))) }
        let x = try LinearAlgebra.choleskySolve(a, b), xRef = try LAPACK.choleskySolve(a, b)
        for k in x.indices { #expect(abs(x[k] - xRef[k]) <= 1e-10 * max(1, abs(xRef[k]))) }
        let inv = try LinearAlgebra.choleskyInverse(a), invRef = try LAPACK.choleskyInverse(a)
        let s = invRef.storage.map(abs).max()!
        for k in inv.storage.indices { #expect(abs(inv.storage[k] - invRef.storage[k]) <= 1e-10 * s) }
        #expect(throws: LinearAlgebraError.self) { _ = try LinearAlgebra.cholesky(Matrix([[1, 2], [2, 1]])) }
    }
}
