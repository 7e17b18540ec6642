import Foundation
import Testing

/// `--pdcif`: a CIF_pd of the whole result, read back by this project's readers and by gemmi, an independent
/// CIF parser (Debian's python3-gemmi).
@Suite struct PowderCIFTests {
    static let folder = "patterns/gsas2-sim-multiphase/composite-lno-lpscl"

    static let gemmiAvailable: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import gemmi"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    static func write() throws -> URL {
        let cif = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-pdcif-\(ProcessInfo.processInfo.processIdentifier).cif")
        if FileManager.default.fileExists(atPath: cif.path) { return cif }
        let r = try CLI.run(["refine", "\(folder)/pattern.xye", "--phase", "LNO=\(folder)/LNO_start.cif", "--phase", "LPSCl=\(folder)/LPSCl_start.cif",
                             "--instrument", "\(folder)/instrument.instprm", "--mu-r", "0.6", "--convention", "gsas2", "--quiet", "--pdcif", cif.path])
        #expect(r.status == 0, "\(r.stderr)")
        return cif
    }

    /// The profile block reads back as the pattern that was refined; each phase block as a structure.
    @Test func readsBackWithOurReaders() throws {
        let cif = try Self.write()
        let back = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-pdcif-back-\(ProcessInfo.processInfo.processIdentifier).xye")
        let converted = try CLI.run(["convert", cif.path, "-o", back.path])
        #expect(converted.status == 0, "\(converted.stderr)")
        let original = try String(contentsOfFile: CLI.root.appendingPathComponent("\(Self.folder)/pattern.xye").path, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
        let read = try String(contentsOf: back, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(read.count == original.count)
        for (a, b) in zip(original, read) {
            let x = a.split(separator: " ").compactMap { Double($0) }, y = b.split(separator: " ").compactMap { Double($0) }
            #expect(abs(x[0] - y[0]) < 1e-5 && abs(x[1] - y[1]) < 1e-3, "\(a) vs \(b)")
        }
        // The first block with a cell and atoms is the first phase's.
        let r = try CLI.run(["reflections", cif.path, "--wavelength", "0.70926", "--two-theta-max", "10"])
        #expect(r.status == 0 && r.stdout.hasPrefix("pattern_LNO: R -3 m") && r.stdout.contains("a=2.878"), "\(r.stdout) \(r.stderr)")
    }

    /// gemmi parses the file, finds the four blocks, the 3667 profile points and both structures.
    @Test(.enabled(if: gemmiAvailable, "needs python3-gemmi (scripts/install-system-libraries installs it)"))
    func gemmiReadsIt() throws {
        let cif = try Self.write()
        let script = """
            import gemmi, sys
            d = gemmi.cif.read(sys.argv[1])
            names = [b.name for b in d]
            assert names == ['pattern_global', 'pattern_LNO', 'pattern_LPSCl', 'pattern_profile'], names
            assert len(d.find_block('pattern_profile').find_loop('_pd_meas_2theta_scan')) == 3667
            lno = gemmi.make_small_structure_from_block(d.find_block('pattern_LNO'))
            assert abs(lno.cell.a - 2.878) < 1e-3 and len(lno.sites) == 5, lno.cell
            mass = d.find_block('pattern_LPSCl').find_value('_pd_phase_mass_%')
            assert abs(gemmi.cif.as_number(mass) - 20.0) < 1.0, mass
            print('ok')
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, cif.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(message)")
    }
}
