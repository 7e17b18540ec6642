import FileSupport
import Foundation
import PowderDiffraction

extension PatternFile {
    /// GSAS powder data: a `BANK` line with CONST (or CONS) binning in centidegrees followed by STD
    /// (10 fields of I2 count + F6 intensity), ESD (5 pairs of intensity, esd in F8) or FXYE (x, y, esd per line).
    /// The GSAS data types read (constant wavelength); ALT, RALF and the time-of-flight types are not.
    static let gsasTypes = ["STD", "ESD", "FXYE"]

    static func readGSAS(_ text: String, file: String, name: String) throws(FileError) -> Pattern {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let bankLine = lines.firstIndex(where: { $0.hasPrefix("BANK") }) else {
            throw .malformed(file: file, line: 1, "no BANK line")
        }
        let f = lines[bankLine].split(separator: " ").map(String.init)
        guard f.count >= 5, let nchan = Int(f[2]) else {
            throw .malformed(file: file, line: bankLine + 1, "BANK line should read 'BANK n nchan nrec CONST start step 0 0 STD'")
        }
        guard nchan >= 1 else {
            throw .malformed(file: file, line: bankLine + 1, "BANK line announces \(nchan) points; expected a positive number")
        }
        let binning = f[4]
        // The data type ends the line; a line that ends with a number has none and GSAS reads it as STD.
        let type = Double(f[f.count - 1]) == nil ? f[f.count - 1] : "STD"
        guard Self.gsasTypes.contains(type) else {
            throw .malformed(file: file, line: bankLine + 1, "BANK data type \(type) is not supported (expected \(Self.gsasTypes.joined(separator: ", ")))")
        }
        var start = 0.0, step = 0.0
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        if binning == "CONST" || binning == "CONS" {
            if type != "FXYE" {
                guard f.count >= 7, let s = Double(f[5]), let d = Double(f[6]), s.isFinite, d.isFinite, d > 0 else {
                    throw .malformed(file: file, line: bankLine + 1, "CONST binning needs a start and a positive step (centidegrees)")
                }
                (start, step) = (s, d)
            }
        } else {
            throw .malformed(file: file, line: bankLine + 1, "binning \(binning) is not supported (expected CONST: constant-wavelength data)")
        }
        var row = bankLine + 1
        func number(_ s: Substring, _ line: Int) throws(FileError) -> Double {
            let t = s.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return 0 }
            guard let v = Double(t), v.isFinite else { throw .malformed(file: file, line: line, "'\(t)' is not a number") }
            return v
        }
        while y.count < nchan && row < lines.count {
            let line = lines[row]
            if line.hasPrefix("BANK") { break }
            let chars = Array(line)
            switch type {
            case "ESD":
                var p = 0
                while p + 16 <= chars.count && y.count < nchan {
                    y.append(try number(Substring(String(chars[p..<p + 8])), row + 1))
                    e.append(try number(Substring(String(chars[p + 8..<p + 16])), row + 1))
                    p += 16
                }
            case "FXYE":
                let v = fields(line)
                if !v.isEmpty {
                    guard v.count == 3 else { throw .malformed(file: file, line: row + 1, "FXYE lines hold 2θ (centidegrees), intensity and esd; found \(v.count) fields") }
                    x.append(try number(v[0], row + 1) / 100)
                    y.append(try number(v[1], row + 1))
                    e.append(try number(v[2], row + 1))
                }
            default:  // STD
                var p = 0
                while p + 8 <= chars.count && y.count < nchan {
                    let countText = String(chars[p..<p + 2]).trimmingCharacters(in: .whitespaces)
                    let n = max(Int(countText) ?? 1, 1)
                    let v = try number(Substring(String(chars[p + 2..<p + 8])), row + 1)
                    y.append(v)
                    e.append((max(v, 1) / Double(n)).squareRoot())
                    p += 8
                }
            }
            row += 1
        }
        guard y.count == nchan else {
            throw .malformed(file: file, line: row, "file ends after \(y.count) of the \(nchan) points the BANK line announces")
        }
        if type != "FXYE" { x = (0..<nchan).map { (start + Double($0) * step) / 100 } }
        return Pattern(name: name, twoTheta: x, intensity: y, sigma: e.map { $0 > 0 ? $0 : 1 })
    }
}
