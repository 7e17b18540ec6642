import FileSupport

/// A scan given as start, step and number of points, as the binary headers and UXD files give it.
enum StepScan {
    /// 2θ of any pattern lies in −360…360°; a step below 10⁻⁶° is no instrument's. Outside these, a header is
    /// damaged, and the angles it would give might not even increase in floating point.
    static let angleLimit = 360.0
    static let smallestStep = 1e-6

    /// Throws one line naming `what` unless the scan is at least two points of a positive step inside ±360°.
    static func check(start: Double, step: Double, count: Int, file: String, what: String) throws(FileError) {
        let last = start + Double(count - 1) * step
        guard count >= 2, start.isFinite, step.isFinite, step >= smallestStep, abs(start) <= angleLimit, last.isFinite, abs(last) <= angleLimit else {
            throw .malformed(file: file, line: 1, "\(what) gives \(count) steps of \(step)° from \(start)°; expected at least two points, a positive step and 2θ within ±\(Int(angleLimit))°")
        }
    }

    /// start + i·step for i = 0 ..< count (computed from the start, not summed, so errors do not accumulate).
    static func angles(start: Double, step: Double, count: Int) -> [Double] {
        (0..<count).map { start + Double($0) * step }
    }
}
