import CFFTW
import Foundation

/// FFTW's planner is not thread-safe: every plan creation and destruction goes through this lock.
private let fftwPlannerLock = NSLock()

/// Real-to-complex transforms of one fixed length with reusable FFTW plans, for convolving several
/// sampled functions: transform each, multiply the spectra, transform back.
///
/// The length is padded up to a product of 2, 3, 5 and 7 (FFTW's fast sizes). An instance owns its
/// buffers and is not shared between threads; create one per thread.
public final class RealFFT {
    /// Transform length (points in the real domain).
    public let length: Int
    /// Number of complex coefficients, `length / 2 + 1`.
    public var spectrumLength: Int { length / 2 + 1 }

    private let real: UnsafeMutablePointer<Double>
    private let complex: UnsafeMutablePointer<fftw_complex>
    private let forwardPlan: fftw_plan
    private let inversePlan: fftw_plan

    /// Plans transforms of at least `minimumLength` points.
    public init(minimumLength: Int) {
        let n = RealFFT.fastLength(atLeast: max(2, minimumLength))
        length = n
        real = fftw_alloc_real(n)
        complex = fftw_alloc_complex(n / 2 + 1)
        fftwPlannerLock.lock()
        // Plan before the buffers hold data: FFTW_ESTIMATE does not touch them, but c2r destroys its input.
        forwardPlan = fftw_plan_dft_r2c_1d(Int32(n), real, complex, UInt32(FFTW_ESTIMATE))
        inversePlan = fftw_plan_dft_c2r_1d(Int32(n), complex, real, UInt32(FFTW_ESTIMATE))
        fftwPlannerLock.unlock()
    }

    deinit {
        fftwPlannerLock.lock()
        fftw_destroy_plan(forwardPlan)
        fftw_destroy_plan(inversePlan)
        fftwPlannerLock.unlock()
        fftw_free(real)
        fftw_free(complex)
    }

    /// The smallest n ≥ `minimum` whose only prime factors are 2, 3, 5, 7.
    public static func fastLength(atLeast minimum: Int) -> Int {
        var n = max(1, minimum)
        while true {
            var m = n
            for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }
            if m == 1 { return n }
            n += 1
        }
    }

    /// The spectrum of `signal` (zero-padded to `length`) as interleaved (re, im) pairs.
    public func forward(_ signal: [Double]) -> [Double] {
        precondition(signal.count <= length, "signal longer than the planned transform")
        for i in 0..<length { real[i] = i < signal.count ? signal[i] : 0 }
        fftw_execute(forwardPlan)
        var out = [Double](repeating: 0, count: 2 * spectrumLength)
        for k in 0..<spectrumLength {
            out[2 * k] = complex[k].0
            out[2 * k + 1] = complex[k].1
        }
        return out
    }

    /// The real signal of an interleaved spectrum, normalized so that `inverse(forward(x)) == x`.
    public func inverse(_ spectrum: [Double]) -> [Double] {
        precondition(spectrum.count == 2 * spectrumLength, "spectrum length does not match the plan")
        for k in 0..<spectrumLength {
            complex[k].0 = spectrum[2 * k]
            complex[k].1 = spectrum[2 * k + 1]
        }
        fftw_execute(inversePlan)
        let scale = 1.0 / Double(length)
        return (0..<length).map { real[$0] * scale }
    }

    /// Element-wise product of two interleaved spectra.
    public static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = a
        multiply(&out, by: b)
        return out
    }

    /// `a` times `b`, element by element, in place (interleaved spectra).
    public static func multiply(_ a: inout [Double], by b: [Double]) {
        precondition(a.count == b.count, "spectra differ in length")
        a.withUnsafeMutableBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var k = 0
                while k < x.count {
                    let (re, im) = (x[k] * y[k] - x[k + 1] * y[k + 1], x[k] * y[k + 1] + x[k + 1] * y[k])
                    (x[k], x[k + 1]) = (re, im)
                    k += 2
                }
            }
        }
    }

    /// Circular convolution of several functions sampled on the same grid (each at most `length` points):
    /// (f₁ ⊛ f₂ ⊛ …)[i] = Σ f₁[j] (f₂ ⊛ …)[i − j mod n], without the grid-step factor.
    public func convolve(_ functions: [[Double]]) -> [Double] {
        precondition(!functions.isEmpty, "nothing to convolve")
        var spectrum = forward(functions[0])
        for f in functions.dropFirst() { spectrum = RealFFT.multiply(spectrum, forward(f)) }
        return inverse(spectrum)
    }
}
