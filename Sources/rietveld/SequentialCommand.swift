import ArgumentParser
import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

struct SequentialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequential",
        abstract: "Refine a series of patterns (operando) and write one CSV row per pattern as it finishes.",
        discussion: """
            Chained (default): the first pattern gets the full staged strategy, each next one starts from the \
            last good results (whichever fits it best of the last result and the line and parabola through the \
            last two and three). A result that fails the checks (not converged, Rwp jumped above 1.5× its \
            neighbours, a parameter at a bound) is retried from the last good result with the full strategy, \
            then from the template; if all fail it is flagged and never seeds the next pattern. With several \
            phases, which are present is decided per pattern (a phase appears when its scale exceeds 5 esds, \
            stays while above 3). --independent refines every pattern from the template, --jobs at a time, \
            with the same checks. Rows are written in file order as patterns finish, with a state file \
            (OUT.csv.state) from which --resume continues exactly; --shard K/N refines the K-th of N \
            contiguous segments (join them with `rietveld merge`). A chained run with --jobs N refines those N \
            shards at once on this machine (OUT.csv.segment-K-of-N while it runs) and merges them into the CSV. \
            Exit code 3 when a pattern was flagged.
            """)

    @Argument(help: "Pattern files, directories, or list files (.txt/.lst, one path per line).")
    var patterns: [String]

    @OptionGroup var inputs: PhaseArguments

    @Option(help: "Recipe file (TOML) for the first pattern (and for every pattern with --independent).")
    var recipe: String?

    @Option(help: "Output CSV (index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,… then per phase, then every parameter).")
    var csv: String

    @OptionGroup var model: ModelArguments

    @OptionGroup var fitted: FittedRangeArguments

    @OptionGroup var quantity: QuantityArguments

    @Option(help: "Pattern block of powder CIFs with several (part of its name).")
    var block: String?

    @Flag(help: "Refine every pattern from the template instead of chaining.")
    var independent = false

    @Option(help: "With --independent: patterns refined at once (1–256; default: every core). Chained: contiguous segments refined at once, each started from the template like a shard and merged into the CSV (default 1).")
    var jobs: Int?

    @Flag(help: "Keep the rows already in the CSV and continue from its state file.")
    var resume = false

    @Flag(name: .customLong("skip-bad"), help: "Write a flagged row for an unreadable pattern and go on (default: stop there).")
    var skipBad = false

    @Option(help: ArgumentHelp("Refine the K-th of N contiguous segments of the files (join with `rietveld merge`).", valueName: "K/N"))
    var shard: String?

    @Option(help: "Write an SVG of a, c, V per phase (with esd bars), weight fractions and Rwp against pattern index (or time with --interval).")
    var plot: String?

    @Option(name: .customLong("keep-phase"), help: ArgumentHelp("A phase known to be in every pattern (a current collector, an internal standard): never dropped, even where other peaks cover its own; repeatable.", valueName: "NAME"))
    var keepPhase: [String] = []

    @Option(help: ArgumentHelp("Seconds from one pattern to the next: the plot's x becomes the time in hours since the first pattern.", valueName: "S"))
    var interval: Double?

    @Flag(help: "No progress lines.")
    var quiet = false

    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop after N rows as an interrupted run would (to test --resume).", visibility: .hidden))
    var stopAfter: Int?

    func validate() throws {
        guard !patterns.isEmpty else { throw ValidationError("give at least one pattern file") }
        if let jobs, !(1...256).contains(jobs) { throw ValidationError("--jobs must lie between 1 and 256") }
        if let shard { _ = try Self.parseShard(shard) }
        if let interval, !(interval > 0 && interval.isFinite) { throw ValidationError("--interval must be a positive number of seconds") }
    }

    static func parseShard(_ text: String) throws -> (Int, Int) {
        let f = text.split(separator: "/").compactMap { Int($0) }
        guard f.count == 2, f[1] >= 1, (1...f[1]).contains(f[0]) else { throw ValidationError("--shard: expected K/N with 1 ≤ K ≤ N, found '\(text)'") }
        return (f[0], f[1])
    }

    func run() throws {
        var flagged = 0
        try reportingFailures {
            let files = try NaturalOrder.patternFiles(patterns)
            guard !files.isEmpty else { throw UsageError("no pattern files found in \(patterns.joined(separator: " "))") }
            var job = SequentialJob(files: files, phases: try inputs.inputs(), instrument: inputs.instrument, csv: csv)
            job.recipe = recipe
            job.options = model.options
            try inputs.apply(to: &job.options)
            job.options.range = (fitted.twoThetaMin, fitted.twoThetaMax)
            job.options.block = block
            job.quantities = try quantity.request()
            job.independent = independent
            job.jobs = jobs ?? (independent ? ProcessInfo.processInfo.activeProcessorCount : 1)
            job.resume = resume
            job.skipBad = skipBad
            job.shard = try shard.map { try Self.parseShard($0) }
            job.keptPhases = keepPhase
            job.stopAfter = stopAfter
            let counter = RowCounter()
            let interrupts = InterruptNotice(csv: csv, counter: counter, segments: job.segmentFiles)
            defer { interrupts.cancel() }
            let progress = SequentialProgress(quiet: quiet)
            let outcome: SequentialOutcome
            do { outcome = try job.run(counter: counter, events: progress.handle) } catch let stop as SequentialStop {
                progress.finish()
                StandardStreams.err("rietveld: \(stop) (\(csv))\n")
                throw ExitCode(130)
            }
            progress.finish()
            flagged = outcome.rows.filter(\.flagged).count
            StandardStreams.out(Self.summary(outcome, csv: csv))
            if let plot {
                let time = interval.map { s in Dictionary(uniqueKeysWithValues: outcome.rows.map { ($0.index, Double($0.index) * s / 3600) }) }
                let svg = SequentialPlot.svg(outcome.rows, phaseNames: outcome.phaseNames, x: time, xLabel: interval == nil ? "pattern index" : "time / h")
                try OutputFile.write(Data(svg.utf8), to: plot)
            }
        }
        if flagged > 0 { throw notConverged("\(flagged) pattern\(flagged == 1 ? "" : "s") flagged (rows written with flagged=true)") }
    }

    static func summary(_ outcome: SequentialOutcome, csv: String) -> String {
        let rows = outcome.rows
        let converged = rows.filter(\.converged).count
        let flagged = rows.filter(\.flagged)
        let retried = rows.filter { $0.retries > 0 }.count
        var out = "\(rows.count) patterns refined (\(converged) converged, \(retried) retried, \(flagged.count) flagged)"
        out += outcome.skipped > 0 ? ", \(outcome.skipped) already in \(csv)\n" : "\n"
        for (p, name) in outcome.phaseNames.enumerated() {
            let cells = rows.compactMap { $0.cells[p] }
            func range(_ f: (CellEstimates) -> Double) -> String {
                let v = cells.map(f)
                guard let lo = v.min(), let hi = v.max() else { return "–" }
                return String(format: "%.5f … %.5f", lo, hi)
            }
            out += outcome.phaseNames.count > 1 ? "\(name): " : ""
            // The lengths the phase has (a cubic phase's b and c are its a).
            let lengths = [CellParameter.a, .b, .c].filter { l in l == .a || cells.contains { $0[l].value != $0[.a].value } }
            out += lengths.map { l in "\(l.name): \(range { $0[l].value }) Å   " }.joined() + "V: \(range { $0.volume.value }) Å³\n"
        }
        if outcome.phaseNames.count > 1 { out += PresenceSummary.text(rows, phaseNames: outcome.phaseNames) }
        for f in flagged.sorted(by: { $0.index < $1.index }) { out += "flagged \(f.index) \(f.file): \(f.reason ?? "")\n" }
        for n in outcome.notes { out += "Note: \(n)\n" }
        return out
    }
}

/// Where each phase is present: its first and last pattern, where it appears and vanishes, and the
/// patterns where phases coexist.
enum PresenceSummary {
    static func text(_ rows: [SummaryRow], phaseNames: [String]) -> String {
        let sorted = rows.filter { !$0.flagged }.sorted { $0.index < $1.index }
        var out = ""
        for (p, name) in phaseNames.enumerated() {
            var runs: [ClosedRange<Int>] = []
            var previousPresent = false
            for r in sorted {
                if r.present[p] {
                    if previousPresent, let last = runs.last { runs[runs.count - 1] = last.lowerBound...r.index } else { runs.append(r.index...r.index) }
                }
                previousPresent = r.present[p]
            }
            out += "\(name) present in " + (runs.isEmpty ? "no pattern" : runs.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }.joined(separator: ", ")) + "\n"
        }
        let both = sorted.filter { $0.present.filter { $0 }.count > 1 }.map(\.index)
        if !both.isEmpty { out += "phases coexist in patterns \(both.first!)–\(both.last!) (\(both.count) patterns)\n" }
        return out
    }
}

/// A progress bar with rate and time remaining on a terminal, plain lines otherwise (stderr); retries show.
final class SequentialProgress: @unchecked Sendable {
    let quiet: Bool
    private let started = Date()
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var retries = 0, flagged = 0

    init(quiet: Bool) { self.quiet = quiet }

    func handle(_ event: SequentialEvent) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        switch event {
        case let .started(total, done):
            if done > 0 { write("resuming: \(done) of \(total) patterns already in the CSV\n") }
        case let .unreadable(index, file, error):
            write("\(terminal ? "\r\u{1B}[K" : "")pattern \(index) \(file): unreadable, flagged: \(error)\n")
        case let .row(row, done, total):
            retries += row.retries > 0 ? 1 : 0
            flagged += row.flagged ? 1 : 0
            let elapsed = Date().timeIntervalSince(started)
            let rate = Double(done) / max(elapsed, 1e-9)
            let name = (row.file as NSString).lastPathComponent
            let status = row.flagged ? "FLAGGED" : String(format: "Rwp %.2f %%", row.result.statistics.rwp)
            if terminal {
                let width = 30, filled = total > 0 ? width * done / total : width
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                write(String(format: "\r[%@] %d/%d  %.1f/s  retried %d  flagged %d  %@ %@\u{1B}[K", bar, done, total, rate, retries, flagged, name, status))
            } else {
                write("\(done)/\(total) \(name) \(status)\(row.retries > 0 ? " (retried \(row.retries))" : "")\n")
            }
        }
    }

    func finish() { if terminal && !quiet { write("\n") } }

    private func write(_ s: String) { StandardStreams.err(s) }
}

/// On SIGINT or SIGTERM: one line saying how many rows are kept and how to resume, then exit 130/143.
final class InterruptNotice: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    /// `segments`: the files of a chained run cut in segments (`--jobs`), which hold its rows until the merge.
    init(csv: String, counter: RowCounter, segments: [String] = []) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let kept = counter.keepPending()
                let place = segments.isEmpty ? csv : "\(segments.count) segment files beside \(csv)"
                StandardStreams.err("\nrietveld: interrupted: \(kept) row\(kept == 1 ? "" : "s") kept in \(place); run the same command with --resume to continue\n")
                for path in [csv] + segments { unlink(path + ".lock") }
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the CSVs of the shards of one sequential run (--shard K/N) into one, in file order.",
        discussion: "Refuses shards of different runs, a missing or repeated shard, and rows that do not cover every pattern once.")

    @Argument(help: "Shard CSVs.")
    var shards: [String]

    @Option(name: .shortAndLong, help: "Output CSV (- for standard output).")
    var output: String

    func run() throws {
        try reportingFailures {
            try OutputFile.write(Data(try ShardMerge.merge(shards).utf8), to: output)
        }
    }
}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert patterns of any readable format to xye (2θ, y, esd).")

    @Argument(help: "Pattern files, recognized by content: \(PatternFormat.readableList).")
    var patterns: [String]

    @Option(name: .shortAndLong, help: "Output .xye file (one pattern), or a directory (several: NAME.xye each).")
    var output: String

    @Option(help: "Pattern block of a powder CIF with several (part of its name).")
    var block: String?

    func validate() throws {
        guard !patterns.isEmpty else { throw ValidationError("give at least one pattern file") }
    }

    func run() throws {
        try reportingFailures {
            var isDirectory: ObjCBool = false
            let toDirectory = FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue
            guard patterns.count == 1 || toDirectory else {
                throw UsageError("-o \(output): several patterns need an existing directory")
            }
            var outputs = OutputGroup()
            for path in patterns {
                let p = try PatternFile.read(URL(fileURLWithPath: path), block: block)
                let text = PatternWriter.xye(p, header: ["converted by rietveld from \(path)"])
                let target = toDirectory ? (output as NSString).appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".xye") : output
                try outputs.add(Data(text.utf8), to: target)
            }
            try outputs.commit()
        }
    }
}
