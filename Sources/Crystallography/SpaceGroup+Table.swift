import Foundation

extension SpaceGroup {
    /// One tabulated setting (see `SpaceGroupTable.swift` for the source).
    struct TableEntry: Sendable {
        let number: Int
        let symbol: String
        let hall: String
        let generators: [String]
    }

    static let table: [TableEntry] = spaceGroupRecords.split(separator: "\n").map { line in
        let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        return TableEntry(number: Int(f[0])!, symbol: f[1], hall: f[2], generators: f[3].split(separator: ";").map(String.init))
    }

    /// The comparison key of a symbol: no spaces or underscores, lower case (`P 63/m` = `P6_3/m` = `p63/m`).
    static func key(_ symbol: String) -> String {
        symbol.lowercased().filter { !$0.isWhitespace && $0 != "_" }
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
