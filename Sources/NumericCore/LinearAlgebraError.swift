/// Failures of the linear algebra, named after the condition they stand for (as LAPACK reports them).
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `info = -i`: argument number `i` of `routine` had an illegal value (a programming error).
    case illegalArgument(routine: String, position: Int)
    /// `info = k > 0` from a Cholesky factorization: the leading minor of order `k` is not positive definite.
    case notPositiveDefinite(routine: String, minorOrder: Int)
    /// `info = k > 0` from an eigen or singular-value solver: `k` values failed to converge.
    case noConvergence(routine: String, unconverged: Int)
    /// `info = k > 0` from an inversion: the factor has a zero on its diagonal at `k`, so it is singular.
    case singular(routine: String, position: Int)
    /// The matrix handed over does not have the shape the routine needs.
    case dimensionMismatch(String)

    public var description: String {
        switch self {
        case let .illegalArgument(routine, position):
            return "\(routine): argument \(position) had an illegal value"
        case let .notPositiveDefinite(routine, minorOrder):
            return "\(routine): leading minor of order \(minorOrder) is not positive definite"
        case let .noConvergence(routine, unconverged):
            return "\(routine): \(unconverged) values did not converge"
        case let .singular(routine, position):
            return "\(routine): matrix is singular (zero pivot at \(position))"
        case let .dimensionMismatch(what):
            return "dimension mismatch: \(what)"
        }
    }

}
