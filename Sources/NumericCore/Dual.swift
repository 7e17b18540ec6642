import Foundation

/// A forward-mode dual number with three partial derivatives: value + Σ ∂ᵢ εᵢ.
///
/// Used where a quantity depends on a few parameters through a long chain of elementary functions (the
/// FCJ quadrature nodes depend on 2θ, S/L and H/L): the derivatives come out exact, not by differences.
public struct Dual3: Sendable, Equatable {
    public var value: Double
    public var d: SIMD3<Double>

    @inlinable public init(_ value: Double, _ d: SIMD3<Double>) { self.value = value; self.d = d }
    /// A constant.
    @inlinable public init(_ value: Double) { self.init(value, .zero) }
    /// The i-th independent variable (i in 0..<3).
    @inlinable public static func variable(_ value: Double, index: Int) -> Dual3 {
        var d = SIMD3<Double>.zero
        d[index] = 1
        return Dual3(value, d)
    }

    @inlinable public static func + (a: Dual3, b: Dual3) -> Dual3 { Dual3(a.value + b.value, a.d + b.d) }
    @inlinable public static func - (a: Dual3, b: Dual3) -> Dual3 { Dual3(a.value - b.value, a.d - b.d) }
    @inlinable public static prefix func - (a: Dual3) -> Dual3 { Dual3(-a.value, -a.d) }
    @inlinable public static func * (a: Dual3, b: Dual3) -> Dual3 { Dual3(a.value * b.value, a.d * b.value + b.d * a.value) }
    @inlinable public static func / (a: Dual3, b: Dual3) -> Dual3 {
        Dual3(a.value / b.value, (a.d * b.value - b.d * a.value) / (b.value * b.value))
    }
    @inlinable public static func + (a: Dual3, b: Double) -> Dual3 { Dual3(a.value + b, a.d) }
    @inlinable public static func - (a: Dual3, b: Double) -> Dual3 { Dual3(a.value - b, a.d) }
    @inlinable public static func - (a: Double, b: Dual3) -> Dual3 { Dual3(a - b.value, -b.d) }
    @inlinable public static func * (a: Dual3, b: Double) -> Dual3 { Dual3(a.value * b, a.d * b) }
    @inlinable public static func * (a: Double, b: Dual3) -> Dual3 { Dual3(a * b.value, b.d * a) }
    @inlinable public static func / (a: Dual3, b: Double) -> Dual3 { Dual3(a.value / b, a.d / b) }
    @inlinable public static func + (a: Double, b: Dual3) -> Dual3 { Dual3(a + b.value, b.d) }
    @inlinable public static func / (a: Double, b: Dual3) -> Dual3 { Dual3(a / b.value, -a * b.d / (b.value * b.value)) }

    @inlinable public func squareRoot() -> Dual3 {
        let r = value.squareRoot()
        return Dual3(r, r > 0 ? d / (2 * r) : .zero)
    }
    @inlinable public static func cos(_ a: Dual3) -> Dual3 { Dual3(Foundation.cos(a.value), -Foundation.sin(a.value) * a.d) }
    @inlinable public static func sin(_ a: Dual3) -> Dual3 { Dual3(Foundation.sin(a.value), Foundation.cos(a.value) * a.d) }
    @inlinable public static func acos(_ a: Dual3) -> Dual3 {
        let s = (1 - a.value * a.value)
        return Dual3(Foundation.acos(a.value), s > 0 ? -a.d / s.squareRoot() : .zero)
    }
    @inlinable public static func abs(_ a: Dual3) -> Dual3 { a.value < 0 ? -a : a }
    @inlinable public static func exp(_ a: Dual3) -> Dual3 { let e = Foundation.exp(a.value); return Dual3(e, e * a.d) }
    /// aᵖ for a > 0 and a constant exponent p.
    @inlinable public static func pow(_ a: Dual3, _ p: Double) -> Dual3 {
        let v = Foundation.pow(a.value, p)
        return Dual3(v, a.value == 0 ? .zero : p * v / a.value * a.d)
    }
}

/// A real number that may carry derivatives — `Double` (none) or `Dual3` (three) — so that one generic
/// routine gives either the value alone, cheaply, or the value with exact partials.
public protocol DifferentiableScalar {
    init(_ value: Double)
    var value: Double { get }
    /// As a dual number (zero partials for `Double`).
    var dual: Dual3 { get }
    /// The i-th independent variable (for `Double`, just the value).
    static func variable(_ value: Double, index: Int) -> Self
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static func * (a: Self, b: Double) -> Self
    static func * (a: Double, b: Self) -> Self
    static func + (a: Double, b: Self) -> Self
    static func - (a: Self, b: Double) -> Self
    func squareRoot() -> Self
    static func cos(_ a: Self) -> Self
    static func acos(_ a: Self) -> Self
    static func abs(_ a: Self) -> Self
}

extension Dual3: DifferentiableScalar {
    @inlinable public var dual: Dual3 { self }
}

extension Double: DifferentiableScalar {
    @inlinable public var value: Double { self }
    @inlinable public var dual: Dual3 { Dual3(self) }
    @inlinable public static func variable(_ value: Double, index: Int) -> Double { value }
    @inlinable public static func cos(_ a: Double) -> Double { Foundation.cos(a) }
    @inlinable public static func acos(_ a: Double) -> Double { Foundation.acos(a) }
    @inlinable public static func abs(_ a: Double) -> Double { Swift.abs(a) }
}
