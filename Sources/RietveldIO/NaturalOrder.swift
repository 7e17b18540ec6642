import FileSupport
import Foundation

/// File names in the order people expect: digit runs compare as numbers (`_2` before `_10`).
public enum NaturalOrder {
    public static func less(_ a: String, _ b: String) -> Bool {
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex && j < b.endIndex {
            if a[i].isNumber && b[j].isNumber {
                let ra = a[i...].prefix { $0.isNumber }, rb = b[j...].prefix { $0.isNumber }
                let na = Int(ra) ?? 0, nb = Int(rb) ?? 0
                if na != nb { return na < nb }
                if ra.count != rb.count { return ra.count < rb.count }
                i = a.index(i, offsetBy: ra.count); j = b.index(j, offsetBy: rb.count)
            } else {
                if a[i] != b[j] { return a[i] < b[j] }
                i = a.index(after: i); j = b.index(after: j)
            }
        }
        return a.count < b.count
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
