import Foundation
import PowderDiffraction

/// Bruker DIFFRAC `.raw` binaries (little-endian). Layouts as documented by the readers of GSAS-II and
/// xylib: version 2 (`RAW2`: block headers from byte 256, float32 start/step, float32 counts) and version 3
/// (`RAW1.01`: block count at 12, first block header at 712, float64 start at +16 and step at +176, header
/// length at +0 plus 40 bytes (or the supplementary length at +256 when there are several blocks), float32
/// counts). Only the first scan (block) is read; σ = √max(y, 1).
enum BrukerRAW {
    static func isRAW(_ data: Data) -> Bool {
        data.count >= 4 && (data.prefix(4) == Data("RAW ".utf8) || data.prefix(4) == Data("RAW2".utf8) || data.prefix(7) == Data("RAW1.01".utf8)
            || data.prefix(7) == Data("RAW4.00".utf8))
    }

    static func read(_ data: Data, file: String, name: String) throws(RietveldIOError) -> Pattern {
        let bytes = [UInt8](data)
        func need(_ end: Int, _ what: String) throws(RietveldIOError) {
            guard end <= bytes.count else { throw .malformed(file: file, line: 1, "file ends at byte \(bytes.count) inside \(what) (needs \(end))") }
        }
        func int32(_ o: Int) -> Int { Int(Int32(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)) }
        func uint16(_ o: Int) -> Int { Int(UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8) }
        func float32(_ o: Int) -> Double { Double(Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)) }
        func float64(_ o: Int) -> Double {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[o + i]) << (8 * UInt64(i)) }
            return Double(bitPattern: v)
        }
        let start: Double, step: Double, count: Int, dataOffset: Int
        if data.prefix(7) == Data("RAW1.01".utf8) {
            try need(716, "the header")
            let blocks = int32(12)
            let pos = 712
            try need(pos + 184, "the first block header")
            var headLength = int32(pos)
            count = int32(pos + 4)
            headLength += blocks > 1 ? int32(pos + 256) : 40
            start = float64(pos + 16)
            step = float64(pos + 176)
            dataOffset = pos + headLength
        } else if data.prefix(4) == Data("RAW2".utf8) {
            try need(256 + 20, "the first block header")
            let pos = 256
            let headLength = uint16(pos)
            count = uint16(pos + 2)
            step = float32(pos + 12)
            start = float32(pos + 16)
            dataOffset = pos + headLength
        } else {
            throw .unknownFormat(file: file, "Bruker RAW version \(String(decoding: data.prefix(7), as: UTF8.self)) is not supported (versions 2 and 3 are); export the scan as .xy or .brml")
        }
        guard count > 1, count < 10_000_000, step.isFinite, step > 0, start.isFinite else {
            throw .malformed(file: file, line: 1, "scan header gives \(count) steps of \(step)° from \(start)°; expected a positive step and at least two points")
        }
        try need(dataOffset + 4 * count, "the counts (\(count) points)")
        var x: [Double] = [], y: [Double] = []
        for i in 0..<count {
            x.append(start + Double(i) * step)
            let v = float32(dataOffset + 4 * i)
            guard v.isFinite else { throw .malformed(file: file, line: 1, "count \(i + 1) is not a finite number") }
            y.append(v)
        }
        return Pattern(name: name, twoTheta: x, intensity: y)
    }
}
