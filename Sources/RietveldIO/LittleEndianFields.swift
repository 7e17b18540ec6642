import FileSupport
import Foundation

/// Little-endian fields of a binary file's bytes (the vendors' `.raw` formats), each access checked by `need`
/// before it is made: a truncated or damaged file is one `FileError` naming what it ends inside, never a trap.
struct LittleEndianFields {
    let bytes: [UInt8]
    let file: String

    init(_ data: Data, file: String) {
        bytes = [UInt8](data)
        self.file = file
    }

    var count: Int { bytes.count }

    /// Throws unless bytes 0..<end exist; `what` says what the reader was looking for there.
    func need(_ end: Int, _ what: String) throws(FileError) {
        guard end >= 0, end <= bytes.count else {
            throw .malformed(file: file, line: 1, "file ends at byte \(bytes.count) inside \(what) (needs \(end))")
        }
    }

    func uint32(_ o: Int) -> Int { Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24) }
    func int32(_ o: Int) -> Int { Int(Int32(bitPattern: UInt32(uint32(o)))) }
    func uint16(_ o: Int) -> Int { Int(UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8) }
    func int16(_ o: Int) -> Int { Int(Int16(bitPattern: UInt16(uint16(o)))) }
    func float32(_ o: Int) -> Double { Double(Float(bitPattern: UInt32(uint32(o)))) }
    func float64(_ o: Int) -> Double {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[o + i]) << (8 * UInt64(i)) }
        return Double(bitPattern: v)
    }

    /// A float32 header field as the decimal it stands for: the shortest decimal that rounds to the same float32
    /// (a step stored as 0.015f is 0.015, not 0.0149999997). Non-finite values stay as they are.
    func decimalFloat32(_ o: Int) -> Double {
        let f = Float(bitPattern: UInt32(uint32(o)))
        guard f.isFinite else { return Double(f) }
        return Double(f.description) ?? Double(f)
    }

    /// Bytes o..<o+length as text, up to the first NUL, blanks trimmed (ASCII/Latin-1).
    func text(_ o: Int, _ length: Int) -> String {
        let slice = bytes[o..<min(o + length, bytes.count)].prefix { $0 != 0 }
        return String(String.UnicodeScalarView(slice.map { Unicode.Scalar($0) })).trimmingCharacters(in: .whitespaces)
    }
}
