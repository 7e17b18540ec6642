import FileSupport
import Foundation
import PowderDiffraction
@testable import RietveldIO
import Testing
import _TestSupport

/// Every reader over seeded mutations of real files: byte flips, truncations, garbage lines, NaN/Inf/huge
/// numbers, duplicated headers, deleted lines. Each read must either give a usable pattern (arrays of one
/// length, finite values, 2θ strictly increasing, esds positive) or throw one `FileError` line naming the file —
/// never trap, crash or hang (the inputs are at most a few hundred kilobytes, so every read is short by
/// construction). The cases are fixed by the seeds: a failure reproduces; set RIETVELD_FUZZ_TRACE=1 to print each
/// case to stderr before it is read, and keep its bytes in $TMPDIR/rietveld-fuzz-INDEX.dat (after a crash, the
/// last case printed for a file and that file's bytes are the ones that crashed).
@Suite struct ReaderFuzzTests {
    /// (file, mutations): a few thousand in all, fewer for the larger files.
    static let fixtures: [(path: String, cases: Int)] = [
        ("patterns/gsas2-sim-linio2/LiNiO2_sim.xye", 150),
        ("patterns/nacoo2-p2/KD1-2_5-90_30min.xy", 100),
        ("patterns/fluorapatite/FAP.XRA", 120),
        ("patterns/gsas-layouts/FAP-500-esd.gsa", 300),
        ("patterns/gsas-layouts/FAP-500-fxye.gsa", 300),
        ("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", 30),
        ("patterns/vendor-formats/corundum-1.5.xrdml", 120),
        ("patterns/vendor-formats/corundum-1.0.xrdml", 120),
        ("patterns/vendor-formats/corundum.brml", 250),
        ("patterns/vendor-formats/corundum-v1.raw", 300),
        ("patterns/lab6-lab/LaB6_Jan2018.raw", 300),
        ("patterns/vendor-formats/corundum-v4.raw", 300),
        ("patterns/stoe-raw/stoe.raw", 400),
        ("patterns/licoo2-powbase/LiCoO2.UXD", 300),
        ("patterns/licoo2-powbase/LiCoO2.RAW", 200),
    ]

    static let trace = ProcessInfo.processInfo.environment["RIETVELD_FUZZ_TRACE"] != nil

    @Test(arguments: fixtures.indices)
    func mutatedFilesReadCleanlyOrFailWithOneLine(index: Int) throws {
        let (path, cases) = Self.fixtures[index]
        let original = [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        // The unmutated file must read, or the mutations prove nothing about this reader.
        _ = try PatternFile.read(Data(original), file: path, name: "original")
        var accepted = 0
        for k in 0..<cases {
            var rng = SplitMix64(seed: UInt64(index) << 32 | UInt64(k))
            let (bytes, what) = Mutation.apply(to: original, using: &rng)
            let file = "fuzz-\(index)-\(k).dat"
            if Self.trace {
                FileHandle.standardError.write(Data("fuzz \(path) case \(k): \(what)\n".utf8))
                try Data(bytes).write(to: FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-fuzz-\(index).dat"))
            }
            do {
                let p = try PatternFile.read(Data(bytes), file: file, name: "fuzz")
                accepted += 1
                #expect(p.twoTheta.count == p.intensity.count && p.sigma.count == p.count && p.count >= 2, "\(path) case \(k) (\(what))")
                #expect(p.twoTheta.allSatisfy(\.isFinite) && p.intensity.allSatisfy(\.isFinite) && p.sigma.allSatisfy { $0.isFinite && $0 > 0 },
                        "\(path) case \(k) (\(what)): a value is not finite")
                #expect(zip(p.twoTheta, p.twoTheta.dropFirst()).allSatisfy { $0 < $1 }, "\(path) case \(k) (\(what)): 2θ does not increase")
            } catch {
                let message = "\(error)"
                #expect(message.hasPrefix(file) && !message.contains("\n"), "\(path) case \(k) (\(what)): \(message)")
            }
        }
        if Self.trace { print("fuzz \(path): \(accepted) of \(cases) mutated copies read") }
    }
}

/// Seeded damage to a file's bytes; each returns the new bytes and a short description.
enum Mutation {
    static let numbers = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e999", "99999999999999999999", "0", "-0",
                          "1e-320", "-5", "0x1p3", "12,5", "", "1.0.0", "--1"]

    static func apply(to bytes: [UInt8], using rng: inout SplitMix64) -> ([UInt8], String) {
        var out = bytes
        var what: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            what.append(once(&out, using: &rng))
        }
        return (out, what.joined(separator: "; "))
    }

    static func once(_ b: inout [UInt8], using rng: inout SplitMix64) -> String {
        guard !b.isEmpty else { return "empty" }
        // Binary headers are where the structure is: aim there half the time.
        func offset() -> Int { Bool.random(using: &rng) ? Int.random(in: 0..<min(b.count, 2600), using: &rng) : Int.random(in: 0..<b.count, using: &rng) }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:
            let o = offset(), n = Int.random(in: 1...4, using: &rng)
            for i in o..<min(o + n, b.count) { b[i] = UInt8.random(in: 0...255, using: &rng) }
            return "bytes \(o)..<\(o + n) randomized"
        case 1:
            let o = offset(), bit = Int.random(in: 0..<8, using: &rng)
            b[o] ^= 1 << bit
            return "bit \(bit) of byte \(o) flipped"
        case 2:
            let n = Int.random(in: 0..<b.count, using: &rng)
            b.removeLast(b.count - n)
            return "truncated to \(n) bytes"
        case 3:
            let o = lineStart(b, near: offset())
            let garbage: [UInt8] = Bool.random(using: &rng)
                ? Array("\(["garbage", "BANK 1 10 1 CONST", "_COUNTS", "data_x", "<scan>", "loop_", "#", "_START=1e308"].randomElement(using: &rng)!) \(Int.random(in: 0...999_999, using: &rng))\n".utf8)
                : (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } + [10]
            b.insert(contentsOf: garbage, at: o)
            return "\(garbage.count)-byte line inserted at \(o)"
        case 4:
            return replaceNumber(&b, using: &rng)
        case 5:
            // Duplicate a header: a line of the first 40 (text) or a chunk of the first 2 KB (binary), put elsewhere.
            let from = lineStart(b, near: Int.random(in: 0..<min(b.count, 2048), using: &rng))
            let end = min(b.count, b[from...].firstIndex(of: 10).map { $0 + 1 } ?? b.count, from + 512)
            let chunk = Array(b[from..<end])
            let to = lineStart(b, near: offset())
            b.insert(contentsOf: chunk, at: to)
            return "bytes \(from)..<\(end) duplicated at \(to)"
        case 6:
            let from = lineStart(b, near: offset())
            let end = min(b.count, b[from...].firstIndex(of: 10).map { $0 + 1 } ?? b.count)
            b.removeSubrange(from..<end)
            return "bytes \(from)..<\(end) deleted"
        default:
            // A binary field overwritten with an extreme value.
            let o = offset() & ~3
            guard o + 8 <= b.count else { return "no room for a field" }
            let patterns: [UInt64] = [Double.nan.bitPattern, Double.infinity.bitPattern, Double.greatestFiniteMagnitude.bitPattern,
                                      UInt64(Float.nan.bitPattern), UInt64(Float.infinity.bitPattern), UInt64(Float.greatestFiniteMagnitude.bitPattern),
                                      0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF, 0x7FFF, 0, 1 << 40, UInt64.max]
            let v = patterns.randomElement(using: &rng)!
            let width = v > 0xFFFF_FFFF ? 8 : 4
            for i in 0..<width { b[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xFF) }
            return "\(width)-byte field at \(o) set to 0x\(String(v, radix: 16))"
        }
    }

    /// The start of the line holding byte o.
    static func lineStart(_ b: [UInt8], near o: Int) -> Int {
        var i = min(o, b.count)
        while i > 0 && b[i - 1] != 10 { i -= 1 }
        return i
    }

    /// Replaces a number near a random place with NaN, Inf, a huge or a malformed number.
    static func replaceNumber(_ b: inout [UInt8], using rng: inout SplitMix64) -> String {
        func isNumberByte(_ c: UInt8) -> Bool { (48...57).contains(c) || c == 46 || c == 45 || c == 43 || c == 101 || c == 69 }
        var start = Int.random(in: 0..<b.count, using: &rng)
        while start < b.count && !(48...57).contains(b[start]) { start += 1 }
        guard start < b.count else { return "no number found" }
        while start > 0 && isNumberByte(b[start - 1]) { start -= 1 }
        var end = start
        while end < b.count && isNumberByte(b[end]) { end += 1 }
        let replacement = numbers.randomElement(using: &rng)!
        b.replaceSubrange(start..<end, with: Array(replacement.utf8))
        return "number at \(start) replaced by '\(replacement)'"
    }
}
