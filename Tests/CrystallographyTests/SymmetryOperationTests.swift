import Crystallography
import Testing

@Suite struct SymmetryOperationTests {
    @Test(arguments: [
        ("x,y,z", "x,y,z"),
        ("-y,x-y,z", "-y,x-y,z"),
        ("x+2/3,y+1/3,z+1/3", "x+2/3,y+1/3,z+1/3"),
        ("1/2+x, Y ,0.5-z", "x+1/2,y,-z+1/2"),
        ("-x+y+1/3,-x+2/3,z+2/3", "-x+y+1/3,-x+2/3,z+2/3"),
        ("-x+1/4,-y+1/4,-z+1/4", "-x+1/4,-y+1/4,-z+1/4"),
        ("x-1/2,y,z", "x+1/2,y,z"),
    ])
    func parsesAndPrints(text: String, canonical: String) throws {
        #expect(try SymmetryOperation(parsing: text).description == canonical)
    }

    @Test(arguments: ["x,y", "x,y,w", "x,y,z+1/0", "x,y,z+0.3", "x,,z", "x,y,2.5a"])
    func rejectsMalformedOperators(text: String) {
        #expect(throws: CrystallographyError.self) { _ = try SymmetryOperation(parsing: text) }
    }

    @Test func compositionActsLikeApplyingTwice() throws {
        let a = try SymmetryOperation(parsing: "-y,x-y,z+1/3")
        let b = try SymmetryOperation(parsing: "y,x,-z+1/2")
        let x = SIMD3(0.123, 0.456, 0.789)
        let direct = a.apply(b.apply(x))
        var composed = (a * b).apply(x)
        composed += (direct - composed).rounded(.toNearestOrAwayFromZero)  // equal modulo lattice translations
        #expect(abs(direct.x - composed.x) < 1e-12 && abs(direct.y - composed.y) < 1e-12 && abs(direct.z - composed.z) < 1e-12)
    }
}
