import Foundation
import NumericCore
import Testing

@Suite struct RealFFTTests {
    @Test func fastLengthsHaveOnlySmallFactors() {
        #expect(RealFFT.fastLength(atLeast: 11) == 12)
        #expect(RealFFT.fastLength(atLeast: 97) == 98)
        #expect(RealFFT.fastLength(atLeast: 1000) == 1000)
        #expect(RealFFT.fastLength(atLeast: 1001) == 1008)
    }

    @Test func roundTripIsIdentity() {
        let fft = RealFFT(minimumLength: 100)
        let x = (0..<fft.length).map { sin(Double($0) * 0.3) + 0.1 * Double($0 % 7) }
        let y = fft.inverse(fft.forward(x))
        for i in 0..<x.count { #expect(abs(x[i] - y[i]) < 1e-12) }
    }

    @Test func convolutionMatchesDirectSum() {
        let fft = RealFFT(minimumLength: 64)
        let n = fft.length
        let f = (0..<n).map { exp(-pow(Double($0) - 10, 2) / 8) }
        let g = (0..<n).map { $0 < 5 ? 1.0 : 0.0 }
        let fast = fft.convolve([f, g])
        for i in 0..<n {
            var direct = 0.0
            for j in 0..<n { direct += f[j] * g[((i - j) % n + n) % n] }
            #expect(abs(fast[i] - direct) < 1e-10)
        }
    }

    @Test func convolvingGaussiansAddsVariances() {
        // Analytic result: N(σ₁²) ⊛ N(σ₂²) = N(σ₁² + σ₂²); check the second moment.
        let fft = RealFFT(minimumLength: 2048)
        let n = fft.length, step = 0.01
        func gaussian(_ sigma: Double) -> [Double] {
            (0..<n).map { i in
                let x = Double(i <= n / 2 ? i : i - n) * step
                return exp(-x * x / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot()) * step
            }
        }
        let c = fft.convolve([gaussian(0.3), gaussian(0.4)])
        var m0 = 0.0, m2 = 0.0
        for i in 0..<n {
            let x = Double(i <= n / 2 ? i : i - n) * step
            m0 += c[i]; m2 += c[i] * x * x
        }
        #expect(abs(m0 - 1) < 1e-9)
        #expect(abs(m2 / m0 - 0.25) < 1e-6)
    }

    @Test func plansCanBeMadeConcurrently() async {
        // FFTW's planner is not thread-safe; the lock must make concurrent construction safe.
        await withTaskGroup(of: Double.self) { group in
            for k in 0..<8 {
                group.addTask {
                    let fft = RealFFT(minimumLength: 100 + k)
                    let x = (0..<fft.length).map { Double($0 % 5) }
                    return zip(x, fft.inverse(fft.forward(x))).map { abs($0 - $1) }.max() ?? 0
                }
            }
            for await err in group { #expect(err < 1e-12) }
        }
    }
}
