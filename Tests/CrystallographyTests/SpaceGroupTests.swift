import Crystallography
import Foundation
import Testing

/// The groups users name, with their order (operations in the conventional cell, ITA Vol. A) and a cell.
let namedGroups: [(symbol: String, order: Int, cell: UnitCell)] = [
    ("R -3 m", 36, try! .hexagonal(a: 2.878, c: 14.19)),
    ("P m -3 m", 48, try! .cubic(a: 4.1568)),
    ("F d -3 m:1", 192, try! .cubic(a: 5.4312)),
    ("F d -3 m:2", 192, try! .cubic(a: 5.4312)),
    ("F m -3 m", 192, try! .cubic(a: 5.4117)),
    ("P 63/m", 12, try! .hexagonal(a: 9.37, c: 6.88)),
    ("P n m a", 8, try! UnitCell(a: 8.48, b: 5.40, c: 6.96, alpha: 90, beta: 90, gamma: 90)),
    ("P 63/m m c", 24, try! .hexagonal(a: 2.84, c: 10.9)),
    ("R -3 c", 36, try! .hexagonal(a: 4.759, c: 12.99)),
]

@Suite struct SpaceGroupTests {
    @Test func namedGroupsHaveTheirOrder() throws {
        for g in namedGroups {
            #expect(try SpaceGroup.named(g.symbol).operations.count == g.order, "\(g.symbol)")
        }
    }

    @Test func symbolsAreMatchedLoosely() throws {
        #expect(try SpaceGroup.named("R-3m").symbol == "R -3 m:H")
        #expect(try SpaceGroup.named("P6_3/m").number == 176)
        #expect(try SpaceGroup.named("Fd-3m").symbol == "F d -3 m:2")
        #expect(try SpaceGroup.named("166").symbol == "R -3 m:H")
        #expect(throws: CrystallographyError.self) { _ = try SpaceGroup.named("Q 7") }
    }

    /// Every tabulated setting, closed from its generators, has the order International Tables Vol. A gives:
    /// the order of its crystal class (by space-group number) times the multiplicity of its centring (P 1,
    /// A B C I 2, R on hexagonal axes 3, F 4). And the operations are closed under products.
    @Test func everyTabulatedSettingHasItsInternationalTablesOrder() throws {
        // Crystal-class orders by space-group number ranges (ITA Table 3.1.2.1).
        let classes: [(ClosedRange<Int>, Int)] = [
            (1...1, 1), (2...2, 2), (3...9, 2), (10...15, 4), (16...46, 4), (47...74, 8), (75...82, 4), (83...88, 8),
            (89...122, 8), (123...142, 16), (143...146, 3), (147...148, 6), (149...161, 6), (162...167, 12),
            (168...174, 6), (175...176, 12), (177...190, 12), (191...194, 24), (195...199, 12), (200...220, 24),
            (221...230, 48),
        ]
        var checked = 0
        for symbol in SpaceGroup.tabulatedSymbols {
            let g = try SpaceGroup.named(symbol)
            let number = try #require(g.number, "\(symbol) has no number")
            let pointOrder = try #require(classes.first { $0.0.contains(number) }?.1)
            let centring: Int
            switch symbol.first {
            case "P": centring = 1
            case "A", "B", "C", "I": centring = 2
            case "R": centring = symbol.hasSuffix(":R") ? 1 : 3
            case "F": centring = 4
            default: Issue.record("\(symbol): unknown lattice symbol"); continue
            }
            #expect(g.operations.count == pointOrder * centring, "\(symbol) (No. \(number)): \(g.operations.count) operations")
            let set = Set(g.operations)
            for a in g.operations.prefix(6) { for b in g.operations { #expect(set.contains(a * b), "\(symbol) not closed") } }
            checked += 1
        }
        #expect(checked >= 230)
    }

    /// Exhaustive check against the operators: put one atom on a general position and compute |F|² for every
    /// hkl in a sphere. A reflection is systematically absent exactly when |F|² vanishes for such an atom,
    /// and the multiplicities of the unique reflections add up to the number of allowed hkl.
    @Test(arguments: namedGroups.map(\.symbol))
    func absencesAndMultiplicitiesAgreeWithAGeneralPositionAtom(symbol: String) throws {
        let entry = namedGroups.first { $0.symbol == symbol }!
        let group = try SpaceGroup.named(symbol)
        let atom = try AtomSite(label: "X", typeSymbol: "C", position: SIMD3(0.1234, 0.3579, 0.0713), uIso: 0)
        let structure = CrystalStructure(name: "probe", cell: entry.cell, spaceGroup: group, atoms: [atom])
        let calc = try StructureFactorCalculator(structure: structure, wavelength: 1.0)
        let dMin = 1.1
        let unique = ReflectionGenerator.unique(cell: entry.cell, group: group, dMin: dMin)
        var allowed = 0
        let n = 12
        for h in -n...n {
            for k in -n...n {
                for l in -n...n where (h, k, l) != (0, 0, 0) {
                    guard entry.cell.dSpacing(h, k, l) >= dMin else { continue }
                    let m = MillerIndex(h, k, l)
                    let f2 = calc.squaredModulus(m)
                    let absent = group.isSystematicallyAbsent(m)
                    #expect(absent == (f2 < 1e-6), "\(symbol) \(m): absent=\(absent) |F|²=\(f2)")
                    if !absent { allowed += 1 }
                }
            }
        }
        #expect(unique.reduce(0) { $0 + $1.multiplicity } == allowed, "\(symbol)")
        for r in unique { #expect(group.multiplicity(r.index) == r.multiplicity) }
    }

    @Test func siliconReflectionsAreTheTextbookList() throws {
        let si = try SpaceGroup.named("F d -3 m")
        let cell = try UnitCell.cubic(a: 5.4311946)
        let list = ReflectionGenerator.unique(cell: cell, group: si, dMin: 0.95).map { [$0.index.h, $0.index.k, $0.index.l] }
        // Allowed by Fd-3m down to d = 0.95 Å; 222 is allowed by the group (its |F|² vanishes only for
        // atoms at 8a), 200 is absent by symmetry; 333 and 511 coincide in d but stay separate.
        #expect(list == [[1, 1, 1], [2, 2, 0], [3, 1, 1], [2, 2, 2], [4, 0, 0], [3, 3, 1], [4, 2, 2], [5, 1, 1], [3, 3, 3], [4, 4, 0]])
        #expect(si.isSystematicallyAbsent(MillerIndex(2, 0, 0)))
        #expect(!si.isSystematicallyAbsent(MillerIndex(2, 2, 2)))
        let multiplicities = ReflectionGenerator.unique(cell: cell, group: si, dMin: 0.95).map(\.multiplicity)
        #expect(multiplicities == [8, 12, 24, 8, 6, 24, 24, 24, 8, 12])
    }

    @Test func lanthanumHexaborideHasEveryReflection() throws {
        let group = try SpaceGroup.named("P m -3 m")
        let list = ReflectionGenerator.unique(cell: try .cubic(a: 4.156826), group: group, dMin: 1.3)
        #expect(list.map { "\($0.index.h)\($0.index.k)\($0.index.l)" } == ["100", "110", "111", "200", "210", "211", "220", "300", "221", "310"])
        #expect(list.map(\.multiplicity) == [6, 12, 8, 6, 24, 24, 12, 6, 24, 24])
    }

    @Test func lithiumNickelOxideReflectionsFollowRhombohedralCentring() throws {
        let group = try SpaceGroup.named("R -3 m")
        let list = ReflectionGenerator.unique(cell: try .hexagonal(a: 2.878, c: 14.19), group: group, dMin: 1.37)
        #expect(list.map { "\($0.index.h)\($0.index.k)\($0.index.l)" } == ["003", "101", "006", "012", "104", "015", "009", "107", "018", "110", "113"])
        #expect(list.map(\.multiplicity) == [2, 6, 2, 6, 6, 6, 2, 6, 6, 6, 12])
        // Obverse setting: −h+k+l = 3n; 100 and 001 are absent.
        #expect(group.isSystematicallyAbsent(MillerIndex(1, 0, 0)))
        #expect(group.isSystematicallyAbsent(MillerIndex(0, 0, 1)))
    }
}
