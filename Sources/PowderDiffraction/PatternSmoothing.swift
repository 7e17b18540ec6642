import Foundation

extension Pattern {
    /// The pattern convolved with the broadening that crystallites of `size` µm add to a peak (GSAS-II's size
    /// term, see `SampleBroadening`: Lorentzian γ = mix·Γ, Gaussian σ² = ((1 − mix)Γ)²/(8 ln 2), as a TCH
    /// pseudo-Voigt whose width follows 1/cosθ), truncated at ±`reach` of its FWHM and renormalized where the
    /// pattern ends. A model broadened by the same size then describes these data as well as the unbroadened
    /// model describes the measured ones, so a preliminary stage can move the cell in a wide, smooth basin.
    /// Only points with `include` true are smoothed (the rest are copied); σ is kept.
    public func smoothed(bySize size: Double, wavelength: Double, sizeMix: Double, reach: Double,
                         include: (Int) -> Bool = { _ in true }) -> Pattern {
        let n = count
        guard n > 2, size > 0 else { return self }
        let x = twoTheta, y = intensity
        var out = y
        let degreesPerCentidegree = 0.01
        // On an even step the kernel is tabulated once and reused while its width changes by < 0.5 %.
        let step = evenStep ?? 0
        let even = step > 0
        // On an uneven grid each point stands for the interval halfway to its neighbours.
        var width: [Double] = []
        if !even {
            width = [Double](repeating: 0, count: n)
            for i in 0..<n { width[i] = 0.5 * (x[min(i + 1, n - 1)] - x[max(i - 1, 0)]) }
        }
        var table: [Double] = [], tableFWHM = 0.0
        var lo = 0, hi = 0
        for i in 0..<n where include(i) {
            let w = SampleBroadening.widths(twoThetaDegrees: x[i], wavelength: wavelength, size: size, microstrain: 0,
                                            sizeMix: sizeMix, strainMix: 1)
            let shape = PseudoVoigt(variance: w.variance * degreesPerCentidegree * degreesPerCentidegree,
                                    gamma: w.gamma * degreesPerCentidegree)
            let half = reach * shape.fwhm
            var sum = 0.0, norm = 0.0
            if even {
                if table.isEmpty || abs(shape.fwhm - tableFWHM) > 0.005 * tableFWHM {
                    tableFWHM = shape.fwhm
                    let m = Int(half / step)
                    table = (-m...m).map { shape.value(Double($0) * step) }
                }
                let m = table.count / 2
                let first = max(0, i - m), last = min(n - 1, i + m)
                table.withUnsafeBufferPointer { k in
                    y.withUnsafeBufferPointer { yy in
                        for j in first...last {
                            let kj = k[j - i + m]
                            sum += kj * yy[j]
                            norm += kj
                        }
                    }
                }
            } else {
                while lo < n && x[lo] < x[i] - half { lo += 1 }
                while lo > 0 && x[lo - 1] >= x[i] - half { lo -= 1 }
                hi = max(hi, lo)
                while hi < n && x[hi] <= x[i] + half { hi += 1 }
                while hi > lo && x[hi - 1] > x[i] + half { hi -= 1 }
                for j in lo..<hi {
                    let k = shape.value(x[j] - x[i]) * width[j]
                    sum += k * y[j]
                    norm += k
                }
            }
            if norm > 0 { out[i] = sum / norm }
        }
        return Pattern(name: name, twoTheta: x, intensity: out, sigma: sigma)
    }

    /// Every k-th point (0, k, 2k, …), each carrying the mean intensity of a box k steps wide centred on it
    /// (k odd: the k points around it; k even: the k − 1 around it and half of each of the next two), clipped at
    /// the ends. Every point is counted once in all, so areas are kept; a smoothing of the result by a kernel
    /// many times k steps wide matches that of the full pattern at the same points (the box adds a variance
    /// (k·step)²/12), at 1/k² of the cost. σ is that of the mean.
    public func binned(every k: Int) -> Pattern {
        guard k > 1, count > 0 else { return self }
        let kept = Array(stride(from: 0, to: count, by: k))
        let reach = k / 2
        let edge = k % 2 == 0 ? 0.5 : 1.0
        var y: [Double] = [], s: [Double] = []
        y.reserveCapacity(kept.count); s.reserveCapacity(kept.count)
        for i in kept {
            var sum = 0.0, variance = 0.0, n = 0.0
            for j in max(0, i - reach)...min(count - 1, i + reach) {
                let f = abs(j - i) == reach ? edge : 1
                sum += f * intensity[j]; variance += f * f * sigma[j] * sigma[j]; n += f
            }
            y.append(sum / n)
            s.append(variance.squareRoot() / n)
        }
        var out = Pattern(name: name, twoTheta: kept.map { twoTheta[$0] }, intensity: y, sigma: s)
        out.stated = stated
        return out
    }
}
