import FileSupport
import Foundation
import PowderDiffraction

/// STOE WinXPOW `.raw` binaries (Stadi-P and the other STOE diffractometers), identifiers `RAW_1.03` to
/// `RAW_1.06`: 512-byte records, little-endian, as laid out in STOE's RAW_HEADER / RANGE_INFO declarations that
/// DASH reproduces (ccdc-opensource/dash `LoadRAWFiles.f90`, `Load_rawSTOE_File`):
///
/// - record 1, the file header: identifier at 0 (8 characters), float32 Kα1 at 322 and Kα2 at 326, int16
///   ranges measured (`NR_done`) at 378, int16 record number (from 1) of each range header from 480;
/// - the range header: int16 points at +34, int16 data form at +38 (0: int32 counts, 1: int16 counts), float32
///   count factor at +40 (counts are divided by it when it exceeds 1), float32 2θ begin at +44, end at +52 and
///   step at +60;
/// - the counts in the records that follow the range header.
///
/// The first range is read; σ = √max(y, 1). The file states no Kα2/Kα1 ratio.
enum STOERaw {
    static let recordSize = 512

    static func isSTOE(_ data: Data) -> Bool {
        guard data.count >= 8, data.prefix(7) == Data("RAW_1.0".utf8) else { return false }
        return (UInt8(ascii: "3")...UInt8(ascii: "6")).contains(data[data.startIndex + 7])
    }

    static func read(_ data: Data, file: String, name: String) throws(FileError) -> Pattern {
        let b = LittleEndianFields(data, file: file)
        try b.need(recordSize, "the 512-byte file header")
        let measured = b.int16(378)
        guard measured >= 1 else {
            throw .malformed(file: file, line: 1, "STOE header says \(measured) ranges were measured; expected at least one")
        }
        let headerRecord = b.int16(480)
        guard headerRecord >= 2 else {
            throw .malformed(file: file, line: 1, "STOE header puts the first range header in record \(headerRecord); expected record 2 or later")
        }
        let range = (headerRecord - 1) * recordSize
        try b.need(range + 64, "the first range header (record \(headerRecord))")
        let points = b.uint16(range + 34), form = b.int16(range + 38)
        let factor = b.float32(range + 40)
        let begin = b.decimalFloat32(range + 44), end = b.decimalFloat32(range + 52), step = b.decimalFloat32(range + 60)
        guard form == 0 || form == 1 else {
            throw .malformed(file: file, line: 1, "STOE range header gives data form \(form); expected 0 (32-bit counts) or 1 (16-bit counts)")
        }
        guard factor.isFinite else { throw .malformed(file: file, line: 1, "STOE range header gives a count factor that is not a finite number") }
        try StepScan.check(start: begin, step: step, count: points, file: file, what: "STOE range header")
        let last = begin + Double(points - 1) * step
        guard end.isFinite, abs(last - end) <= step / 2 else {
            throw .malformed(file: file, line: 1, "STOE range header: \(points) steps of \(step)° from \(begin)° end at \(last)°, but the header says \(end)°")
        }
        let width = form == 1 ? 2 : 4
        let counts = range + recordSize
        try b.need(counts + width * points, "the counts (\(points) points of \(width) bytes from byte \(counts))")
        let scale = 1 / max(factor, 1)
        var y: [Double] = []
        y.reserveCapacity(points)
        for i in 0..<points {
            let raw = form == 1 ? b.int16(counts + 2 * i) : b.int32(counts + 4 * i)
            y.append(Double(raw) * scale)
        }
        let radiation = StatedRadiation(wavelengths: [b.decimalFloat32(322), b.decimalFloat32(326)])
        return radiation.applied(to: Pattern(name: name, twoTheta: StepScan.angles(start: begin, step: step, count: points), intensity: y))
    }
}
