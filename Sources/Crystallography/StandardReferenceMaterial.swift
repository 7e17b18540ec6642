import Foundation

/// Certified line-position standards (NIST SRMs) and their structures, for instrument calibration.
///
/// Lattice parameters at 22.5 °C from the NIST certificates: SRM 660a 4.1569162 Å, 660b 4.15689 Å,
/// 660c 4.156826 Å (LaB6); SRM 640c 5.4311946 Å, 640d 5.43123 Å, 640e 5.431179 Å, 640f 5.431144 Å,
/// 640g 5.431109 Å (Si); SRM 674b 5.411651 Å (CeO2); SRM 676a a = 4.759355, c = 12.99231 Å (Al2O3).
/// Atom positions are the standard structures (LaB6 B at x = 0.1975; corundum Al z = 0.35216,
/// O x = 0.30624); displacement parameters are room-temperature starting values, refined in calibration.
public struct StandardReferenceMaterial: Sendable {
    public let material: String
    public let srm: String
    public let a: Double
    public let c: Double?

    public static let table: [StandardReferenceMaterial] = [
        .init(material: "LaB6", srm: "660a", a: 4.1569162, c: nil), .init(material: "LaB6", srm: "660b", a: 4.15689, c: nil),
        .init(material: "LaB6", srm: "660c", a: 4.156826, c: nil),
        .init(material: "Si", srm: "640c", a: 5.4311946, c: nil), .init(material: "Si", srm: "640d", a: 5.43123, c: nil),
        .init(material: "Si", srm: "640e", a: 5.431179, c: nil), .init(material: "Si", srm: "640f", a: 5.431144, c: nil),
        .init(material: "Si", srm: "640g", a: 5.431109, c: nil),
        .init(material: "CeO2", srm: "674b", a: 5.411651, c: nil),
        .init(material: "Al2O3", srm: "676a", a: 4.759355, c: 12.99231),
    ]

    /// The SRM a name like `LaB6`, `LaB6:660b`, `Si:640f`, `CeO2` refers to (newest certificate by default
    /// for LaB6, 640f for Si as the users' papers use).
    public static func named(_ name: String) -> StandardReferenceMaterial? {
        let parts = name.split(separator: ":").map { String($0).lowercased() }
        let defaults = ["lab6": "660c", "si": "640f", "ceo2": "674b", "al2o3": "676a"]
        guard let material = parts.first, let srm = parts.count > 1 ? parts[1].replacingOccurrences(of: "srm", with: "") : defaults[material] else { return nil }
        return table.first { $0.material.lowercased() == material && $0.srm == srm }
    }

    /// The structure with the certified cell.
    public func structure() throws(CrystallographyError) -> CrystalStructure {
        switch material {
        case "LaB6":
            return CrystalStructure(name: "LaB6 SRM \(srm)", cell: try .cubic(a: a), spaceGroup: try .named("P m -3 m"), atoms: [
                try AtomSite(label: "La1", typeSymbol: "La", position: SIMD3(0, 0, 0), uIso: 0.003),
                try AtomSite(label: "B1", typeSymbol: "B", position: SIMD3(0.1975, 0.5, 0.5), uIso: 0.004),
            ])
        case "Si":
            return CrystalStructure(name: "Si SRM \(srm)", cell: try .cubic(a: a), spaceGroup: try .named("F d -3 m:2"), atoms: [
                try AtomSite(label: "Si1", typeSymbol: "Si", position: SIMD3(0.125, 0.125, 0.125), uIso: 0.0059),
            ])
        case "CeO2":
            return CrystalStructure(name: "CeO2 SRM \(srm)", cell: try .cubic(a: a), spaceGroup: try .named("F m -3 m"), atoms: [
                try AtomSite(label: "Ce1", typeSymbol: "Ce4+", position: SIMD3(0, 0, 0), uIso: 0.004),
                try AtomSite(label: "O1", typeSymbol: "O2-", position: SIMD3(0.25, 0.25, 0.25), uIso: 0.007),
            ])
        default:
            return CrystalStructure(name: "Al2O3 SRM \(srm)", cell: try .hexagonal(a: a, c: c ?? 12.99231), spaceGroup: try .named("R -3 c"), atoms: [
                try AtomSite(label: "Al1", typeSymbol: "Al3+", position: SIMD3(0, 0, 0.35216), uIso: 0.003),
                try AtomSite(label: "O1", typeSymbol: "O2-", position: SIMD3(0.30624, 0, 0.25), uIso: 0.004),
            ])
        }
    }
}
