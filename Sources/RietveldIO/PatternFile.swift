import FileSupport
import Foundation
import PowderDiffraction

/// Powder-pattern files: the format is recognized by content, not by extension.
public enum PatternFormat: String, Sendable {
    case columns = "xy/xye columns"
    case gsas = "GSAS powder file"
    case pdCIF = "powder CIF"
    case brukerRAW = "Bruker RAW"
    case xrdml = "PANalytical XRDML"
    case brml = "Bruker BRML"
}

public enum PatternFile {
    /// Reads a pattern from any supported file. `block` picks a pdCIF data block by (part of) its name.
    public static func read(_ url: URL, block: String? = nil) throws(FileError) -> Pattern {
        let name = url.deletingPathExtension().lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .cannotRead(file: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "not readable" : "no such file")
        }
        if BrukerRAW.isRAW(data) { return try BrukerRAW.read(data, file: url.path, name: name) }
        if BRML.isZIP(data) { return try BRML.read(data, file: url.path, name: name) }
        if XRDML.isXRDML(data) { return try XRDML.read(data, file: url.path, name: name) }
        // Only a clean file of two or three numeric columns passes the fast reader (a GSAS file has its BANK
        // line, a CIF its data_ block): it needs neither detection nor a decoded text.
        if let fast = FastColumns.parse(data) {
            return Pattern(name: name, twoTheta: fast.x, intensity: fast.y, sigma: fast.e)
        }
        let text = try TextFile.read(url)
        switch try detect(text, file: url.path) {
        case .columns: return try readColumns(text, file: url.path, name: name)
        case .gsas: return try readGSAS(text, file: url.path, name: name)
        case .pdCIF: return try readPowderCIF(text, file: url.path, name: name, block: block)
        case .brukerRAW, .xrdml, .brml: throw .unknownFormat(file: url.path, "binary or XML content of an unexpected kind")
        }
    }

    /// The format of a file's text.
    public static func detect(_ text: String, file: String) throws(FileError) -> PatternFormat {
        let head = text.prefix(4000)
        if head.utf8.contains(0) { throw .unknownFormat(file: file, "binary content that is not a supported pattern format") }
        let lines = head.split(whereSeparator: \.isNewline).prefix(40)
        if lines.contains(where: { $0.hasPrefix("BANK") }) { return .gsas }
        if lines.contains(where: { $0.lowercased().hasPrefix("data_") }) && text.contains("_pd_") { return .pdCIF }
        if lines.contains(where: { line in
            let f = fields(line)
            return f.count >= 2 && f.count <= 3 && f.allSatisfy { Double($0) != nil }
        }) { return .columns }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw .unknownFormat(file: file, "the file is empty") }
        throw .unknownFormat(file: file, "expected 2θ/intensity columns (xy, xye), a GSAS powder file or a powder CIF")
    }

    static func fields<S: StringProtocol>(_ line: S) -> [Substring] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == ";" }).map { Substring($0) }
    }

    /// Two or three numeric columns (2θ, intensity[, esd]); `#`, `!`, `;` and `%` start comments; text lines
    /// are allowed only before the first data line.
    static func readColumns(_ text: String, file: String, name: String) throws(FileError) -> Pattern {
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        x.reserveCapacity(4096); y.reserveCapacity(4096)
        var columns = 0
        var n = 0
        var numbers: [Double?] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            n += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, !"#!;%".contains(first) else { continue }
            let f = fields(line)
            if f.isEmpty { continue }
            numbers.removeAll(keepingCapacity: true)
            for field in f { numbers.append(Double(field)) }
            if x.isEmpty && numbers.contains(where: { $0 == nil }) { continue }  // a header
            guard f.count == 2 || f.count == 3 else {
                throw .malformed(file: file, line: n, "expected 2 or 3 columns (2θ, intensity[, esd]), found \(f.count)")
            }
            if columns == 0 { columns = f.count }
            guard f.count == columns else {
                throw .malformed(file: file, line: n, "expected \(columns) columns like the lines before, found \(f.count)")
            }
            for (i, v) in numbers.enumerated() {
                guard let v else { throw .malformed(file: file, line: n, "column \(i + 1): '\(f[i])' is not a number") }
                guard v.isFinite else { throw .malformed(file: file, line: n, "column \(i + 1) is \(f[i]), expected a finite number") }
            }
            if let last = x.last, numbers[0]! <= last {
                throw .malformed(file: file, line: n, "2θ = \(f[0]) does not increase (previous \(last))")
            }
            if columns == 3 && numbers[2]! <= 0 {
                throw .malformed(file: file, line: n, "esd \(f[2]) must be positive")
            }
            x.append(numbers[0]!); y.append(numbers[1]!)
            if columns == 3 { e.append(numbers[2]!) }
        }
        guard x.count >= 2 else { throw .malformed(file: file, line: 1, "no data: expected lines of 2θ and intensity") }
        return Pattern(name: name, twoTheta: x, intensity: y, sigma: columns == 3 ? e : nil)
    }

    /// GSAS powder data: a `BANK` line with CONST (or CONS) binning in centidegrees followed by STD
    /// (10 fields of I2 count + F6 intensity), ESD (5 pairs of intensity, esd in F8) or FXYE (x, y, esd per line).
    static func readGSAS(_ text: String, file: String, name: String) throws(FileError) -> Pattern {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let bankLine = lines.firstIndex(where: { $0.hasPrefix("BANK") }) else {
            throw .malformed(file: file, line: 1, "no BANK line")
        }
        let f = lines[bankLine].split(separator: " ").map(String.init)
        guard f.count >= 5, let nchan = Int(f[2]) else {
            throw .malformed(file: file, line: bankLine + 1, "BANK line should read 'BANK n nchan nrec CONST start step 0 0 STD'")
        }
        let binning = f[4]
        let type = f.last ?? "STD"
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        if binning == "CONST" || binning == "CONS" {
            if type != "FXYE" {
                guard f.count >= 7, let start = Double(f[5]), let step = Double(f[6]), step > 0 else {
                    throw .malformed(file: file, line: bankLine + 1, "CONST binning needs a start and a positive step (centidegrees)")
                }
                x = (0..<nchan).map { (start + Double($0) * step) / 100 }
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
        return Pattern(name: name, twoTheta: x, intensity: y, sigma: e.map { $0 > 0 ? $0 : 1 })
    }

    static let angleTags = ["_pd_proc_2theta_corrected", "_pd_meas_2theta_scan", "_pd_meas_angle_2theta", "_pd_proc_2theta"]
    static let intensityTags = ["_pd_proc_intensity_total", "_pd_meas_intensity_total", "_pd_meas_counts_total", "_pd_proc_intensity_net"]

    /// pdCIF: the loop with a 2θ column and an intensity column; esds from parentheses or `_pd_proc_ls_weight`
    /// (σ = 1/√w; points of zero weight are dropped). With several pattern blocks, `block` chooses.
    static func readPowderCIF(_ text: String, file: String, name: String, block wanted: String?) throws(FileError) -> Pattern {
        let doc = try CIFDocument(text: text, source: file)
        let candidates = doc.blocks.filter { b in b.loops.contains { l in angleTags.contains { l.column($0) != nil } } }
        guard !candidates.isEmpty else { throw .missing(file: file, "no data block with a 2θ loop (\(angleTags[0]) …)") }
        var chosen = candidates[0]
        if let wanted {
            guard let b = candidates.first(where: { $0.name.localizedCaseInsensitiveContains(wanted) }) else {
                throw .missing(file: file, "no pattern block named like '\(wanted)' (blocks: \(candidates.map(\.name).joined(separator: ", ")))")
            }
            chosen = b
        } else if candidates.count > 1, let meas = candidates.first(where: { $0.name.hasSuffix("_meas") }) {
            chosen = meas
        }
        let loop = chosen.loops.first { l in angleTags.contains { l.column($0) != nil } }!
        let angle = angleTags.lazy.compactMap { loop.column($0) }.first!
        guard let intensity = intensityTags.lazy.compactMap({ loop.column($0) }).first else {
            throw .malformed(file: file, line: loop.line, "the 2θ loop has no intensity column (\(intensityTags.joined(separator: ", ")))")
        }
        let weights = loop.column("_pd_proc_ls_weight")
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        for i in angle.indices {
            guard let a = angle[i].number, let v = intensity[i].number else {
                throw .malformed(file: file, line: angle[i].line, "'\(angle[i].text)' or '\(intensity[i].text)' is not a number")
            }
            var sigma = v.esd
            if let w = weights?[i].number?.value {
                if w <= 0 { continue }
                sigma = 1 / w.squareRoot()
            }
            x.append(a.value); y.append(v.value); e.append(sigma ?? max(v.value, 1).squareRoot())
        }
        return Pattern(name: "\(name):\(chosen.name)", twoTheta: x, intensity: y, sigma: e)
    }
}

/// A fast reader for clean column files (most operando series): plain decimals read exactly in place, strtod
/// for the rest, over the raw bytes. Anything unusual — a header, a text field, a changing column count, a
/// non-finite number, 2θ not increasing, an esd ≤ 0 — returns nil and the careful reader takes over, with its
/// precise error messages.
enum FastColumns {
    static func parse(_ data: Data) -> (x: [Double], y: [Double], e: [Double]?)? {
        var bytes = [CChar](repeating: 0, count: data.count + 1)
        data.withUnsafeBytes { raw in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: raw.baseAddress, count: data.count)) }
        }
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        x.reserveCapacity(data.count / 20); y.reserveCapacity(data.count / 20)
        var columns = 0
        let ok: Bool = bytes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let end = base + data.count
            var p = base
            var values = [Double](repeating: 0, count: 4)
            func isBlank(_ c: CChar) -> Bool { c == 32 || c == 9 || c == 13 || c == 44 || c == 59 }
            while p < end {
                while p < end && (p.pointee == 32 || p.pointee == 9 || p.pointee == 13) { p += 1 }
                if p >= end { break }
                let c = p.pointee
                if c == 10 { p += 1; continue }
                if c == 35 || c == 33 || c == 37 || c == 59 {  // # ! % ; comments
                    while p < end && p.pointee != 10 { p += 1 }
                    continue
                }
                var count = 0
                while p < end && p.pointee != 10 {
                    var stop: UnsafeMutablePointer<CChar>?
                    var v = 0.0
                    if let (fast, next) = shortDecimal(p, end) {
                        (v, stop) = (fast, next)
                    } else {
                        v = strtod(p, &stop)
                    }
                    guard let stop, stop != p, count < 4, v.isFinite else { return false }
                    values[count] = v
                    count += 1
                    p = stop
                    guard p >= end || isBlank(p.pointee) || p.pointee == 10 else { return false }
                    while p < end && isBlank(p.pointee) { p += 1 }
                }
                guard count == 2 || count == 3 else { return false }
                if columns == 0 { columns = count }
                guard count == columns else { return false }
                if let last = x.last, values[0] <= last { return false }
                if count == 3 && values[2] <= 0 { return false }
                x.append(values[0]); y.append(values[1])
                if count == 3 { e.append(values[2]) }
            }
            return x.count >= 2
        }
        return ok ? (x, y, columns == 3 ? e : nil) : nil
    }

    /// 10⁰ … 10²², each exactly representable.
    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// A plain decimal (`-12.345`: sign, at most 15 digits, no exponent) at p, and the byte after it; nil for
    /// anything else, which strtod then reads. The digits form an integer m < 2⁵³ and the value is m / 10ᵏ with
    /// k ≤ 22: both exact in binary64, so one correctly rounded division gives the correctly rounded value
    /// (Clinger's fast path, PLDI 1990) — the same double strtod returns.
    static func shortDecimal(_ start: UnsafeMutablePointer<CChar>, _ end: UnsafeMutablePointer<CChar>) -> (Double, UnsafeMutablePointer<CChar>)? {
        var p = start
        var negative = false
        if p < end && (p.pointee == 45 || p.pointee == 43) { negative = p.pointee == 45; p += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, fraction = 0
        var seenPoint = false
        while p < end {
            let c = p.pointee
            if c >= 48 && c <= 57 {
                mantissa = mantissa &* 10 &+ UInt64(c - 48)
                digits += 1
                if seenPoint { fraction += 1 }
            } else if c == 46 && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            p += 1
        }
        guard digits > 0, digits <= 15 else { return nil }
        if p < end && (p.pointee == 101 || p.pointee == 69 || p.pointee == 120 || p.pointee == 88) { return nil }  // e E x X
        let magnitude = Double(mantissa) / powersOfTen[fraction]
        return (negative ? -magnitude : magnitude, p)
    }
}
