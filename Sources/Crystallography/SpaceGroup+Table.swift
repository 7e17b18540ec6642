import Foundation

extension SpaceGroup {
    /// One tabulated setting (see `SpaceGroupTable.swift` for the source).
    struct TableEntry: Sendable {
        let number: Int
        let symbol: String
        let hall: String
        let generators: [String]
    }

    /// The records split on their bytes (they are ASCII): splitting the string by Characters cost ~18 million
    /// instructions of every process's start.
    static let table: [TableEntry] = {
        var text = spaceGroupRecords
        return text.withUTF8 { b in
            func fields(_ range: Range<Int>, _ separator: UInt8) -> [String] {
                var out: [String] = [], start = range.lowerBound
                for i in range where b[i] == separator {
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
                    start = i + 1
                }
                out.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<range.upperBound]), as: UTF8.self))
                return out
            }
            var entries: [TableEntry] = [], start = 0
            while start < b.count {
                var end = start
                while end < b.count && b[end] != UInt8(ascii: "\n") { end += 1 }
                if end > start {
                    let f = fields(start..<end, UInt8(ascii: "|"))
                    entries.append(TableEntry(number: Int(f[0])!, symbol: f[1], hall: f[2],
                                              generators: f[3].split(separator: ";").map(String.init)))
                }
                start = end + 1
            }
            return entries
        }
    }()

    /// The comparison key of a symbol: no spaces or underscores, lower case (`P 63/m` = `P6_3/m` = `p63/m`).
    static func key(_ symbol: String) -> String {
        // ASCII (every tabulated symbol, nearly every CIF's) byte by byte: `named` keys the whole table.
        guard symbol.utf8.allSatisfy({ $0 < 0x80 }) else { return symbol.lowercased().filter { !$0.isWhitespace && $0 != "_" } }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(symbol.utf8.count)
        for b in symbol.utf8 where b != UInt8(ascii: " ") && b != UInt8(ascii: "\t") && b != UInt8(ascii: "_") && !(0x0A...0x0D).contains(b) {
            bytes.append((0x41...0x5A).contains(b) ? b + 0x20 : b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A space group by Hermann–Mauguin symbol or number.
    ///
    /// `R -3 m` means the hexagonal setting (`:H`; `R -3 m:R` for rhombohedral axes). For groups with two
    /// origin choices (`Fd-3m`, …) a bare symbol means origin choice 2 (centre of symmetry at the origin),
    /// as GSAS-II assumes; write `Fd-3m:1` for choice 1.
    public static func named(_ name: String) throws(CrystallographyError) -> SpaceGroup {
        let wanted = key(name)
        var candidates = table.filter { key($0.symbol) == wanted }
        if candidates.isEmpty {
            // A bare symbol: take the default setting of the group (:H for R, origin choice 2).
            let bare = table.filter { key($0.symbol.split(separator: ":").first.map(String.init) ?? $0.symbol) == wanted }
            candidates = bare.filter { $0.symbol.hasSuffix(":H") || $0.symbol.hasSuffix(":2") }
            if candidates.isEmpty { candidates = bare }
        }
        if candidates.isEmpty, let n = Int(wanted), (1...230).contains(n) {
            let byNumber = table.filter { $0.number == n }
            candidates = byNumber.filter { $0.symbol.hasSuffix(":H") || $0.symbol.hasSuffix(":2") }
            if candidates.isEmpty { candidates = byNumber }
        }
        guard let entry = candidates.first else { throw .unknownSpaceGroup(name) }
        var gens: [SymmetryOperation] = []
        for g in entry.generators { gens.append(try SymmetryOperation(parsing: g)) }
        return try SpaceGroup(generators: gens, number: entry.number, symbol: entry.symbol)
    }

    /// Every tabulated setting's symbol (for listing and exhaustive tests).
    public static var tabulatedSymbols: [String] { table.map(\.symbol) }
}
