import FileSupport
import Foundation
import PowderDiffraction

/// Bruker DIFFRAC `.raw` binaries (little-endian), all four versions, as described by the DIFFRAC-AT manual
/// (appendix B, versions 1 and 2), the DIFFRAC^plus XCH manual (appendix A, `RAW1.01`, which Bruker calls
/// version 3) and the segment layout of version 4 (`RAW4.00`) documented by xylib and GSAS-II:
///
/// - v1 `RAW `: ranges one after the other, each a 152-byte header (from byte 4 in the first: uint32 steps at
///   +0, float32 step at +8, float32 start 2θ at +20, uint32 "another range follows" at +148) and float32
///   counts.
/// - v2 `RAW2`: block headers from byte 256 (uint16 header length at +0, uint16 steps at +2, float32 step at
///   +12, float32 start at +16), float32 counts.
/// - v3 `RAW1.01`: range count at 12, ranges from 712; header length at +0, steps at +4, float64 start 2θ at
///   +16, float64 step at +176, supplementary-header length at +256; float32 counts after both headers.
/// - v4 `RAW4.00`: a 61-byte preamble, then segments (uint32 kind, uint32 length); kind 0 or 160 opens a range:
///   float64 start at +72, float64 step at +80, uint32 steps at +88, uint32 record size at +136, uint32 length
///   of the drive records from +160; then one record per step whose first float32 is the count.
///
/// Only the first range is read (a note on stderr is the caller's business); σ = √max(y, 1). Float32 header
/// values are read as the decimals they stand for (`LittleEndianFields.decimalFloat32`). The radiation the header
/// states: v1 float32 Kα1, Kα2 at +68, +72 of the range header (xylib); v2 float32 Kα1, Kα2, ratio at 190, 194,
/// 198; v3 float64 Kα1, Kα2, ratio at 624, 632, 648 (GSAS-II); v4 a kind-30 segment with float64 Kα1, Kα2,
/// ratio at +80, +88, +104, else the range's float64 "used wavelength" at +112.
enum BrukerRAW {
    static func isRAW(_ data: Data) -> Bool {
        data.count >= 4 && (data.prefix(4) == Data("RAW ".utf8) || data.prefix(4) == Data("RAW2".utf8) || data.prefix(7) == Data("RAW1.01".utf8)
            || data.prefix(7) == Data("RAW4.00".utf8))
    }

    /// One scan: its 2θ start and step, the number of steps, where the counts begin and how far apart.
    struct Scan {
        var start: Double, step: Double, count: Int, dataOffset: Int, stride = 4
        var radiation = StatedRadiation(wavelengths: [])
    }

    static func read(_ data: Data, file: String, name: String) throws(FileError) -> Pattern {
        let b = LittleEndianFields(data, file: file)
        var scan: Scan
        if data.prefix(7) == Data("RAW1.01".utf8) {
            try b.need(716, "the header")
            let blocks = b.int32(12)
            let pos = 712
            try b.need(pos + 260, "the first range header")
            let headLength = b.int32(pos)
            let supplementary = b.int32(pos + 256)
            guard blocks >= 1, headLength >= 260, supplementary >= 0 else {
                throw .malformed(file: file, line: 1, "RAW1.01 header gives \(blocks) ranges with a \(headLength)-byte range header; expected at least one range and a header of 260 bytes or more")
            }
            scan = Scan(start: b.float64(pos + 16), step: b.float64(pos + 176), count: b.int32(pos + 4), dataOffset: pos + headLength + supplementary)
            scan.radiation = StatedRadiation(wavelengths: [b.float64(624), b.float64(632)], ratio: b.float64(648))
        } else if data.prefix(4) == Data("RAW2".utf8) {
            try b.need(256 + 20, "the first block header")
            let pos = 256
            scan = Scan(start: b.decimalFloat32(pos + 16), step: b.decimalFloat32(pos + 12), count: b.uint16(pos + 2), dataOffset: pos + b.uint16(pos))
            scan.radiation = StatedRadiation(wavelengths: [b.decimalFloat32(190), b.decimalFloat32(194)], ratio: b.decimalFloat32(198))
        } else if data.prefix(7) == Data("RAW4.00".utf8) {
            scan = try version4(b)
        } else {
            // Version 1: the first range header follows the 4-byte magic.
            let pos = 4
            try b.need(pos + 152, "the first range header")
            scan = Scan(start: b.decimalFloat32(pos + 20), step: b.decimalFloat32(pos + 8), count: b.uint32(pos), dataOffset: pos + 152)
            scan.radiation = StatedRadiation(wavelengths: [b.decimalFloat32(pos + 68), b.decimalFloat32(pos + 72)])
        }
        try StepScan.check(start: scan.start, step: scan.step, count: scan.count, file: file, what: "RAW scan header")
        // Each point takes at least 4 bytes: a larger count cannot be in the file (and would overflow the offsets).
        guard scan.count <= b.count / 4, scan.stride <= b.count else {
            throw .malformed(file: file, line: 1, "RAW scan header announces \(scan.count) points of \(scan.stride) bytes; the file has \(b.count) bytes")
        }
        try b.need(scan.dataOffset + scan.stride * (scan.count - 1) + 4, "the counts (\(scan.count) points)")
        var y: [Double] = []
        y.reserveCapacity(scan.count)
        for i in 0..<scan.count {
            let v = b.float32(scan.dataOffset + scan.stride * i)
            guard v.isFinite else { throw .malformed(file: file, line: 1, "count \(i + 1) is not a finite number") }
            y.append(v)
        }
        let x = StepScan.angles(start: scan.start, step: scan.step, count: scan.count)
        return scan.radiation.applied(to: Pattern(name: name, twoTheta: x, intensity: y))
    }

    /// Walks the segments of a version-4 file to its first range.
    static func version4(_ b: LittleEndianFields) throws(FileError) -> Scan {
        var cursor = 61
        var source: StatedRadiation?
        while true {
            try b.need(cursor + 4, "a segment header at byte \(cursor)")
            let kind = b.uint32(cursor)
            if kind == 0 || kind == 160 {
                try b.need(cursor + 160, "the range header at byte \(cursor)")
                let recordSize = b.uint32(cursor + 136), driveBytes = b.uint32(cursor + 140)
                guard recordSize >= 4, recordSize % 4 == 0 else {
                    throw .malformed(file: b.file, line: 1, "range at byte \(cursor) has \(recordSize)-byte data records; expected a multiple of 4 (a float32 count first)")
                }
                return Scan(start: b.float64(cursor + 72), step: b.float64(cursor + 80), count: b.uint32(cursor + 88),
                            dataOffset: cursor + 160 + driveBytes, stride: recordSize,
                            radiation: source ?? StatedRadiation(wavelengths: [b.float64(cursor + 112)]))
            }
            try b.need(cursor + 8, "a segment header at byte \(cursor)")
            let length = b.uint32(cursor + 4)
            guard length >= 8 else {
                throw .malformed(file: b.file, line: 1, "segment at byte \(cursor) declares \(length) bytes; expected at least 8")
            }
            if kind == 30, length >= 112 {
                try b.need(cursor + 112, "the X-ray source segment at byte \(cursor)")
                source = StatedRadiation(wavelengths: [b.float64(cursor + 80), b.float64(cursor + 88)], ratio: b.float64(cursor + 104))
            }
            cursor += length
        }
    }
}
