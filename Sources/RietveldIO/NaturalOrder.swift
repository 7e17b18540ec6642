import FileSupport
import Foundation

/// File names in the order people expect: digit runs compare as numbers (`_2` before `_10`).
public enum NaturalOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        // On the UTF-8 bytes (their order is the code points'): Character's Unicode properties cost ~200
        // instructions a character, 90 M for sorting 200 file names. Digit runs are ASCII digits, compared as
        // numbers of any length (leading zeros dropped; equal numbers, the shorter run first).
        let x = Array(a.utf8), y = Array(b.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        func run(_ s: [UInt8], from i: Int) -> Int { var k = i; while k < s.count && isDigit(s[k]) { k += 1 }; return k }
        var i = 0, j = 0
        while i < x.count && j < y.count {
            if isDigit(x[i]) && isDigit(y[j]) {
                let (ea, eb) = (run(x, from: i), run(y, from: j))
                var (sa, sb) = (i, j)
                while sa < ea - 1 && x[sa] == UInt8(ascii: "0") { sa += 1 }
                while sb < eb - 1 && y[sb] == UInt8(ascii: "0") { sb += 1 }
                if ea - sa != eb - sb { return ea - sa < eb - sb }
                if let k = (0..<(ea - sa)).first(where: { x[sa + $0] != y[sb + $0] }) { return x[sa + k] < y[sb + k] }
                if ea - i != eb - j { return ea - i < eb - j }
                (i, j) = (ea, eb)
            } else {
                if x[i] != y[j] { return x[i] < y[j] }
                i += 1; j += 1
            }
        }
        return x.count - i < y.count - j
    }

    /// Extensions of pattern files taken from a directory (files named on the command line are read whatever
    /// their name).
    public static let patternExtensions: Set<String> = ["xy", "xye", "xyd", "dat", "csv", "prn", "asc", "gsas", "gsa", "gss", "fxye", "esd",
                                                        "std", "xra", "raw", "xrdml", "brml", "uxd", "rd", "sd"]

    /// Pattern files from arguments: files as given, directories expanded to their files, and list files
    /// (`.txt`, `.lst`: one path per line, relative to the list) expanded. Without a list file the whole set is
    /// sorted naturally (a shell glob gives `_10` before `_2`); a list file's order is kept.
    public static func patternFiles(_ arguments: [String]) throws(FileError) -> [String] {
        var out: [String] = []
        var listed = false
        let fm = FileManager.default
        for arg in arguments {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: arg, isDirectory: &isDir) else { throw .cannotRead(file: arg, reason: "no such file or directory") }
            if isDir.boolValue {
                // The patterns of a folder: files with a pattern's extension (not the licence, README, CIFs of
                // structures or instrument files kept beside them).
                let names = ((try? fm.contentsOfDirectory(atPath: arg)) ?? []).filter {
                    !$0.hasPrefix(".") && patternExtensions.contains(($0 as NSString).pathExtension.lowercased())
                }
                out += names.sorted(by: less).map { (arg as NSString).appendingPathComponent($0) }
            } else if arg.hasSuffix(".txt") || arg.hasSuffix(".lst") {
                listed = true
                let base = (arg as NSString).deletingLastPathComponent
                let text = try TextFile.read(URL(fileURLWithPath: arg))
                for line in text.split(whereSeparator: \.isNewline) {
                    let p = line.trimmingCharacters(in: .whitespaces)
                    if p.isEmpty || p.hasPrefix("#") { continue }
                    out.append(p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p))
                }
            } else {
                out.append(arg)
            }
        }
        return listed ? out : out.sorted(by: less)
    }
}
