import FileSupport
import Foundation

/// A bounds check of a ZIP archive's directory (PKWARE APPNOTE 4.3: end of central directory record, central
/// directory headers, local file headers) before ZIPFoundation reads it: its in-memory archive traps on offsets
/// or sizes that point past the end of the data, so every one is checked here first.
enum ZIPLayout {
    static let endSignature = 0x0605_4B50, centralSignature = 0x0201_4B50, localSignature = 0x0403_4B50

    /// Throws one line unless every directory entry and the data it points to lie inside the archive.
    static func check(_ data: Data, file: String) throws(FileError) {
        let b = LittleEndianFields(data, file: file)
        func damaged(_ what: String) -> FileError { .malformed(file: file, line: 1, "BRML: damaged ZIP archive: \(what)") }
        // The end record: 22 bytes and a comment of at most 65535 bytes at the end of the archive.
        guard b.count >= 22 else { throw damaged("\(b.count) bytes, too short for a ZIP directory") }
        var end = b.count - 22
        let lowest = max(0, b.count - 22 - 65_535)
        while end >= lowest && b.uint32(end) != endSignature { end -= 1 }
        guard end >= lowest else { throw damaged("no end-of-directory record") }
        let entries = b.uint16(end + 10), size = b.uint32(end + 12), start = b.uint32(end + 16)
        guard start + size <= end else { throw damaged("the directory (\(size) bytes at \(start)) overlaps its end record at \(end)") }
        var cursor = start
        for i in 0..<entries {
            guard cursor + 46 <= start + size, b.uint32(cursor) == centralSignature else { throw damaged("directory entry \(i + 1) is not where it should be") }
            let compressed = b.uint32(cursor + 20)
            let local = b.uint32(cursor + 42)
            let next = cursor + 46 + b.uint16(cursor + 28) + b.uint16(cursor + 30) + b.uint16(cursor + 32)
            guard next <= start + size else { throw damaged("directory entry \(i + 1) runs past the directory") }
            guard local + 30 <= start, b.uint32(local) == localSignature else { throw damaged("entry \(i + 1) points to no file header (byte \(local))") }
            let payload = local + 30 + b.uint16(local + 26) + b.uint16(local + 28)
            guard payload + compressed <= start else { throw damaged("entry \(i + 1) (\(compressed) bytes at \(payload)) runs past the data") }
            cursor = next
        }
    }
}
