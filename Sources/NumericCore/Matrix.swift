/// A dense matrix of `Double` stored column-major, the layout LAPACK and BLAS expect.
///
/// Element (i, j) lives at `storage[i + j * rows]`. Symmetric matrices are ordinary square matrices whose
/// two triangles agree; the solvers read only what they need.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var storage: [Double]

    /// A `rows` × `columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over column-major storage of `rows` × `columns` values.
    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(storage.count == rows * columns, "storage does not match the dimensions")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix from rows of numbers (all rows the same length).
    public init(_ rowValues: [[Double]]) {
        let r = rowValues.count
        let c = rowValues.first?.count ?? 0
        self.init(rows: r, columns: c)
        for i in 0..<r {
            precondition(rowValues[i].count == c, "ragged rows")
            for j in 0..<c { self[i, j] = rowValues[i][j] }
        }
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// A diagonal matrix.
    public static func diagonal(_ values: [Double]) -> Matrix {
        var m = Matrix(rows: values.count, columns: values.count)
        for (i, v) in values.enumerated() { m[i, i] = v }
        return m
    }

    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    public var isSquare: Bool { rows == columns }

    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
        return t
    }

    /// The diagonal elements.
    public var diagonalElements: [Double] { (0..<min(rows, columns)).map { self[$0, $0] } }

    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.columns == rhs.rows, "matrix product: inner dimensions differ")
        var out = Matrix(rows: lhs.rows, columns: rhs.columns)
        for j in 0..<rhs.columns {
            for k in 0..<lhs.columns {
                let b = rhs[k, j]
                if b == 0 { continue }
                for i in 0..<lhs.rows { out[i, j] += lhs[i, k] * b }
            }
        }
        return out
    }

    public static func * (lhs: Matrix, rhs: [Double]) -> [Double] {
        precondition(lhs.columns == rhs.count, "matrix-vector product: dimensions differ")
        var out = [Double](repeating: 0, count: lhs.rows)
        for j in 0..<lhs.columns {
            let b = rhs[j]
            for i in 0..<lhs.rows { out[i] += lhs[i, j] * b }
        }
        return out
    }

    /// The quadratic form gᵀ M g, e.g. the variance of a derived quantity from a covariance matrix and the
    /// gradient g of the quantity.
    public func quadraticForm(_ g: [Double]) -> Double {
        precondition(isSquare && g.count == rows, "quadratic form: dimensions differ")
        var sum = 0.0
        for j in 0..<columns { for i in 0..<rows { sum += g[i] * self[i, j] * g[j] } }
        return sum
    }
}
