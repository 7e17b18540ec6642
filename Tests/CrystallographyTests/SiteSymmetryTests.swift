import Crystallography
import Testing

@Suite struct SiteSymmetryTests {
    /// The multiplicity alone (what cell masses use) is the Wyckoff multiplicity of International Tables A.
    @Test(arguments: [("R -3 m", SIMD3(0, 0, 0.2585), 6), ("R -3 m", SIMD3(0, 0, 0.5), 3), ("P 63/m", SIMD3(0.2416, 0.9928, 0.25), 6),
                      ("F d -3 m:2", SIMD3(0.125, 0.125, 0.125), 8), ("P 63/m m c", SIMD3(0.17, 0.34, 0.25), 6),
                      ("F m -3 m", SIMD3(0.25, 0.25, 0.25), 8), ("F m -3 m", SIMD3(0.07, 0.19, 0.41), 192)])
    func multiplicityIsWyckoffs(group: String, position: SIMD3<Double>, wyckoff: Int) throws {
        let g = try SpaceGroup.named(group)
        #expect(g.multiplicity(position) == wyckoff)
        #expect(g.siteSymmetry(position).multiplicity == wyckoff)
    }

    @Test func oxygenAt6cInR3mRefinesZOnly() throws {
        let site = try SpaceGroup.named("R -3 m").siteSymmetry(SIMD3(0, 0, 0.2585))
        #expect(site.multiplicity == 6)
        #expect(site.coordinates.freeComponents == [2])
        // 3m site symmetry: U11 = U22 = 2 U12, U33 free, U13 = U23 = 0.
        #expect(site.displacement.freeComponents.count == 2)
        let u = site.displacement.expand([1, 1])
        #expect(abs(u[0] - u[1]) < 1e-12 && abs(u[0] - 2 * u[3]) < 1e-12 && u[4] == 0 && u[5] == 0)
    }

    @Test func metalSitesInR3mAreFixed() throws {
        let g = try SpaceGroup.named("R -3 m")
        for z in [0.0, 0.5] {
            let site = g.siteSymmetry(SIMD3(0, 0, z))
            #expect(site.multiplicity == 3)
            #expect(site.coordinates.freeComponents.isEmpty)
        }
    }

    @Test func calciumAt6hInP63mRefinesXAndY() throws {
        let site = try SpaceGroup.named("P 63/m").siteSymmetry(SIMD3(0.2416, 0.9928, 0.25))
        #expect(site.multiplicity == 6)
        #expect(site.coordinates.freeComponents == [0, 1])
    }

    @Test func siliconAt8aHasIsotropicDisplacement() throws {
        let site = try SpaceGroup.named("F d -3 m:2").siteSymmetry(SIMD3(0.125, 0.125, 0.125))
        #expect(site.multiplicity == 8)
        #expect(site.coordinates.freeComponents.isEmpty)
        #expect(site.displacement.freeComponents == [0])
        #expect(site.displacement.expand([1]) == [1, 1, 1, 0, 0, 0])
    }

    @Test func hexagonalSpecialPositionCouplesXAndY() throws {
        // P63/mmc 6h (x, 2x, 1/4): one free coordinate, y = 2x.
        let site = try SpaceGroup.named("P 63/m m c").siteSymmetry(SIMD3(0.17, 0.34, 0.25))
        #expect(site.multiplicity == 6)
        #expect(site.coordinates.freeComponents.count == 1)
        let d = site.coordinates.expand([1])
        #expect(abs(d[1] - 2 * d[0]) < 1e-12 && d[2] == 0)
    }

    @Test func generalPositionIsFree() throws {
        let site = try SpaceGroup.named("P n m a").siteSymmetry(SIMD3(0.08, 0.03, 0.81))
        #expect(site.multiplicity == 8)
        #expect(site.coordinates.freeComponents == [0, 1, 2])
        #expect(site.displacement.freeComponents.count == 6)
        // Pnma 4c (x, 1/4, z): y fixed.
        let mirror = try SpaceGroup.named("P n m a").siteSymmetry(SIMD3(0.19, 0.25, 0.17))
        #expect(mirror.multiplicity == 4)
        #expect(mirror.coordinates.freeComponents == [0, 2])
    }

    @Test func expansionRemovesDuplicates() throws {
        let g = try SpaceGroup.named("F m -3 m")
        #expect(g.equivalentPositions(SIMD3(0, 0, 0)).count == 4)
        #expect(g.equivalentPositions(SIMD3(0.25, 0.25, 0.25)).count == 8)
    }
}
