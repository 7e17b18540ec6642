import ArgumentParser
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

struct SequentialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequential",
        abstract: "Refine a series of patterns (operando) and write one CSV row per pattern as it finishes.",
        discussion: """
            Chained (default): the first pattern gets the full staged strategy, each next one starts from the \
            last good result. A result that fails the checks (not converged, Rwp jumped above 1.5× its \
            neighbours, a parameter at a bound) is retried from the last good result with the full strategy, \
            then from the template; if all fail it is flagged and never seeds the next pattern. \
            --independent refines every pattern from the template, --jobs at a time. Rows are flushed as \
            patterns finish, so an interrupted run keeps them; --resume skips the files the CSV holds.
            """)

    @Argument(help: "Pattern files, directories, or list files (.txt/.lst, one path per line).")
    var patterns: [String]

    @OptionGroup var inputs: PhaseInputs

    @Option(help: "Recipe file (TOML) for the first pattern (and for every pattern with --independent).")
    var recipe: String?

    @Option(help: "Output CSV (index,file,a,a_esd,c,c_esd,volume,volume_esd,cation_mixing,… then every parameter).")
    var csv: String

    @OptionGroup var model: ModelOptions

    @Flag(help: "Refine every pattern from the template instead of chaining.")
    var independent = false

    @Option(help: "Patterns refined in parallel with --independent.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Keep the rows already in the CSV and refine only the remaining files.")
    var resume = false

    @Option(help: "Write an SVG of a, c, V and Rwp against pattern index.")
    var plot: String?

    func validate() throws {
        guard !patterns.isEmpty else { throw ValidationError("give at least one pattern file") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            let files = try NaturalOrder.patternFiles(patterns)
            guard !files.isEmpty else { throw UsageError("no pattern files found in \(patterns.joined(separator: " "))") }
            let plan = try recipe.map { try Recipe.read(URL(fileURLWithPath: $0)) }
            let terms = plan?.backgroundTerms ?? inputs.backgroundTerms
            let items = files.enumerated().map { (index: $0.offset, file: $0.element) }
            var setup = try RefinementSetup.load(pattern: files[0], phase: inputs.phase, instrument: inputs.instrument,
                                                 geometry: plan?.geometry ?? model.geometry, muR: plan?.muR ?? model.muR,
                                                 convention: plan?.convention ?? model.convention, backgroundTerms: terms, range: plan?.range ?? (nil, nil))
            // Independent runs are parallel over patterns already.
            setup.model.threads = independent ? 1 : model.threads
            if let w = model.peakWindow { setup.model.windowLowFWHMs = w; setup.model.windowHighFWHMs = w }
            let stages = try plan?.apply(to: &setup) ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: terms)
            let parameters = stages.last?.parameters ?? []
            let names = parameters.map { setup.model.name(of: $0) }
            let url = URL(fileURLWithPath: csv)
            var options = SequentialRefinement.Options()
            options.settings = setup.settings

            // Resume: skip files already written; start from the last good row's values.
            var start: PatternModel?, previous: PatternModel?
            var done = Set<String>()
            if resume && FileManager.default.fileExists(atPath: csv) {
                let existing = try SequentialCSV.read(url)
                guard existing.header == SequentialCSV.leading + names.flatMap({ [$0, $0 + "_esd"] }) else {
                    throw UsageError("\(csv): its columns are not those of this phase and recipe; cannot resume into it")
                }
                done = existing.files
                func restored(_ values: [String: Double]) throws -> PatternModel? {
                    guard !values.isEmpty else { return nil }
                    var m = setup.model
                    for (p, name) in zip(parameters, names) { if let v = values[name] { try m.setValue(v, for: p) } }
                    return m
                }
                start = try restored(existing.lastGood)
                previous = try restored(existing.previousGood)
            }
            let writer = try RowWriter(url: url, header: SequentialCSV.header(parameterNames: names), append: resume && !done.isEmpty)
            let todo = items.filter { !done.contains($0.file) }
            let progress = Progress(total: todo.count)
            let collected = RowCollector()
            let handle: @Sendable (SequentialRow) -> Void = { row in
                writer.write(SequentialCSV.row(row, parameters: parameters))
                collected.add(SummaryRow(row))
                progress.step(row)
            }
            // Patterns are read as they are refined (thousands of them need not sit in memory); a bad file
            // stops the run with one line, after the rows already written.
            let load: @Sendable (Int) throws -> Pattern = { i in try PatternFile.read(URL(fileURLWithPath: todo[i].file)) }
            if independent {
                if let error = SequentialRefinement.independent(template: setup.model, patterns: todo, load: load, stages: stages,
                                                                jobs: jobs, options: options, onRow: handle) {
                    progress.finish()
                    throw error
                }
            } else {
                do {
                    try SequentialRefinement.chained(template: setup.model, start: start, startIsRefined: start != nil, previous: previous,
                                                     patterns: todo, load: load, stages: stages, options: options, onRow: handle)
                } catch {
                    progress.finish()
                    throw error
                }
            }
            progress.finish()
            let rows = collected.rows
            FileHandle.standardOutput.write(Data(Self.summary(rows, skipped: done.count, csv: csv).utf8))
            if let plot { try TextFile.writeAtomically(SequentialPlot.svg(rows), to: URL(fileURLWithPath: plot)) }
        }
    }

    static func summary(_ rows: [SummaryRow], skipped: Int, csv: String) -> String {
        let converged = rows.filter(\.converged).count
        let flagged = rows.filter(\.flagged)
        let retried = rows.filter { $0.retries > 0 }.count
        var out = "\(rows.count) patterns refined (\(converged) converged, \(retried) retried, \(flagged.count) flagged)"
        out += skipped > 0 ? ", \(skipped) already in \(csv)\n" : "\n"
        func range(_ key: String) -> String {
            let v = rows.compactMap { $0.cell[key]?.value }
            guard let lo = v.min(), let hi = v.max() else { return "–" }
            return String(format: "%.5f … %.5f", lo, hi)
        }
        out += "a: \(range("a")) Å   c: \(range("c")) Å   V: \(range("volume")) Å³\n"
        for f in flagged.sorted(by: { $0.index < $1.index }) { out += "flagged \(f.index) \(f.file): \(f.reason ?? "")\n" }
        return out
    }
}

/// Appends CSV rows, each handed to the kernel at once (unbuffered write), under a lock (independent mode
/// writes from several threads). A killed run keeps every finished row; no fsync, which costs milliseconds.
final class RowWriter: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(url: URL, header: String, append: Bool) throws {
        if !append {
            try TextFile.writeAtomically(header, to: url)
        }
        do { handle = try FileHandle(forWritingTo: url) } catch {
            throw RietveldIOError.cannotWrite(file: url.path, reason: "cannot open for appending")
        }
        if append {
            // A run killed while writing may have left part of a row: cut the file back to its last full line
            // (that pattern is refined again).
            let data = (try? Data(contentsOf: url)) ?? Data()
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            if keep < data.count { try? handle.truncate(atOffset: UInt64(keep)) }
        }
        handle.seekToEndOfFile()
    }

    func write(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        handle.write(Data(line.utf8))
    }
}

final class RowCollector: @unchecked Sendable {
    private var stored: [SummaryRow] = []
    private let lock = NSLock()
    func add(_ r: SummaryRow) { lock.lock(); stored.append(r); lock.unlock() }
    var rows: [SummaryRow] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// A progress bar with rate and time remaining on a terminal, plain lines otherwise (stderr).
final class Progress: @unchecked Sendable {
    let total: Int
    private var done = 0
    private let started = Date()
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()

    init(total: Int) { self.total = total }

    func step(_ row: SequentialRow) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 1e-9)
        let remaining = Double(total - done) / max(rate, 1e-9)
        let name = (row.file as NSString).lastPathComponent
        let status = row.flagged ? "FLAGGED" : String(format: "Rwp %.2f %%", row.result.statistics.rwp)
        if terminal {
            let width = 30, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r[%@] %d/%d  %.1f/s  ETA %.0f s  %@ %@\u{1B}[K", bar, done, total, rate, remaining, name, status)
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            FileHandle.standardError.write(Data("\(done)/\(total) \(name) \(status)\(row.retries > 0 ? " (retried \(row.retries))" : "")\n".utf8))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
