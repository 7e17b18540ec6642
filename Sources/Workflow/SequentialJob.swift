import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// A sequential run as a command asks for it: files in order (or the K-th of N shards of them), phases,
/// instrument, recipe, mode; rows written to a CSV as they finish, in file order in every mode, with a state
/// file beside it (`OUT.csv.state`) from which `--resume` continues exactly where an uninterrupted run would
/// be, and a lock (`OUT.csv.lock`) against a second writer.
public struct SequentialJob: Sendable {
    public var files: [String]
    public var phases: [PhaseInput]
    public var instrument: String
    public var recipe: String?
    public var options = ModelOptions()
    public var csv: String
    public var independent = false
    /// Patterns refined at once with `independent`; for a chained run, the contiguous segments refined at once
    /// (each chained from the template like a shard, merged into one CSV: `runSegments`).
    public var jobs = 1
    public var resume = false
    /// An unreadable pattern becomes a flagged row instead of ending the run.
    public var skipBad = false
    /// (K, N): refine the K-th (1-based) of N contiguous segments of the files.
    public var shard: (index: Int, count: Int)?
    public var sequential = SequentialOptions()
    /// Names of phases that are in every pattern and are never dropped (see `SequentialOptions.keptPhases`).
    public var keptPhases: [String] = []
    /// Corrections of the weight fractions (Brindley radii, intensity calibrations), by phase name.
    public var quantities = QuantitativeRequest()
    /// Stop after this many rows of this invocation, as an interrupted run would (tests of `--resume`).
    public var stopAfter: Int?

    public init(files: [String], phases: [PhaseInput], instrument: String, csv: String) {
        self.files = files
        self.phases = phases
        self.instrument = instrument
        self.csv = csv
    }

    /// The files of shard K of N: contiguous, sizes differing by at most one.
    public static func segment(_ count: Int, shard k: Int, of n: Int) -> Range<Int> {
        let base = count / n, extra = count % n
        let start = (k - 1) * base + min(k - 1, extra)
        return start..<(start + base + (k - 1 < extra ? 1 : 0))
    }

    /// What identifies a run: every input file's path, the phases, instrument, recipe text, options and the
    /// weight fractions' corrections (with the calibration reports' contents).
    /// Shards of one run share it; `--resume` and `merge` refuse a CSV with another.
    public func fingerprint() -> String {
        var text = files.joined(separator: "\n") + "\n--\n"
        text += phases.map { "\($0.name ?? "")=\($0.file)\($0.leBail ? ":lebail" : "")" }.joined(separator: "\n")
        for path in phases.map(\.file) + [instrument] + (recipe.map { [$0] } ?? []) {
            text += "\n" + ((try? TextFile.read(URL(fileURLWithPath: path))) ?? path)
        }
        text += "\n\(options.geometry.rawValue) \(options.muR) \(options.convention.rawValue) \(options.backgroundTerms) \(options.range.low ?? -1) \(options.range.high ?? -1) \(options.leBail) \(independent)"
        if !keptPhases.isEmpty { text += " kept:" + keptPhases.joined(separator: ",") }
        if let s = options.profileStatus { text += " profile:" + s.rawValue }
        if !options.useStatedGeometry { text += " ignore-stated-geometry" }
        text += quantities.fingerprintText
        if !options.uniaxial.isEmpty { text += " uniaxial:" + options.uniaxial.joined(separator: ",") }
        if !options.stephens.isEmpty { text += " stephens:" + options.stephens.joined(separator: ",") }
        if !options.textureHarmonics.isEmpty {
            text += " harmonics:" + options.textureHarmonics.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
        }
        return Fingerprint.hex(text)
    }
}

/// FNV-1a, 64 bits: a short stable identity of a text (not a security hash).
public enum Fingerprint {
    public static func hex(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return String(h, radix: 16, uppercase: false).leftPadded(16)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// A pattern's outcome in a sequential run.
public enum SequentialItem: Sendable {
    case refined(SequentialRow)
    /// The file could not be read (with `--skip-bad`): a flagged row without numbers.
    case unreadable(index: Int, file: String, error: String)
}

/// The state file beside a sequential CSV.
struct SequentialStateFile: Codable {
    var fingerprint: String
    var shard: String
    /// Rows finished (in file order).
    var rowsDone: Int
    var chain: ChainState
}

/// A run stopped on request (`stopAfter`), its rows and state kept as an interrupted run's.
public struct SequentialStop: Error, CustomStringConvertible {
    public let rowsKept: Int
    public let description: String
    init(rowsKept: Int, message: String? = nil) {
        self.rowsKept = rowsKept
        description = message ?? "stopped as asked: \(rowsKept) rows kept; resume with --resume"
    }
}

/// What the caller hears while a sequential run goes on.
public enum SequentialEvent: Sendable {
    case started(total: Int, alreadyDone: Int)
    case row(SequentialRow, done: Int, total: Int)
    case unreadable(index: Int, file: String, error: String)
}

/// The outcome of a run: a summary row per pattern refined now.
public struct SequentialOutcome: Sendable {
    public let rows: [SummaryRow]
    public let skipped: Int
    public let phaseNames: [String]
    /// How the model differs from what the instrument file alone would give (`RefinementSetup.notes`).
    public var notes: [String] = []
}

/// Rows handed to the CSV so far, and how many of them a resume keeps (`keepPending`, asked by the interrupt handler).
///
/// It also paces the state file beside the CSV: written at most every `saveInterval` seconds (each write is a
/// rename and an fsync, which a cluster's network file system makes slow), and always for the last row, for a
/// requested stop, and — through `keepPending` — when the run is interrupted. A run killed outright resumes
/// from the last state written: the CSV's rows after it are cut and refined again, to the same numbers.
public final class RowCounter: @unchecked Sendable {
    private var value = 0
    /// Rows covered by the last state file written.
    private var saved = 0
    private var unsaved: (rows: Int, save: () throws -> Void)?
    /// Set by `keepPending`: the run is being interrupted and writes no more rows.
    private var closed = false
    private var lastSave = DispatchTime(uptimeNanoseconds: 0)
    private let lock = NSLock()
    /// Seconds between state files.
    public static let saveInterval = 1.0
    /// The counters of a run's segments refined at once (`SequentialJob.runSegments`): the run's rows are theirs.
    private var parts: [RowCounter] = []
    public init() {}
    /// Rows in the CSV (in the segments' CSVs, for a run cut in segments).
    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return parts.isEmpty ? value : parts.reduce(0) { $0 + $1.count }
    }

    /// A counter for each of `n` segments, which `count` and `keepPending` then ask.
    func split(_ n: Int) -> [RowCounter] {
        lock.lock(); defer { lock.unlock() }
        parts = (0..<n).map { _ in RowCounter() }
        return parts
    }
    /// Rows already on disk with their state (a resumed run's start).
    func set(_ n: Int) { lock.lock(); value = n; saved = n; lock.unlock() }

    /// Writes row `n` to the CSV (`write`) and counts it, unless the run has been interrupted: after
    /// `keepPending` no row is written, so that the CSV holds exactly the rows the interrupt notice counts (the
    /// refinement goes on until the process exits, and a fast chain wrote two more rows in that moment). Returns
    /// whether the row was written. `save` writes the state that resumes after it — now when `force` or when the
    /// last state is older than `saveInterval`, else when `keepPending` asks for it.
    func deliver(_ n: Int, force: Bool, write: () throws -> Void, save: @escaping () throws -> Void) throws -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return false }
        try write()
        value = n
        let now = DispatchTime.now()
        if force || Double(now.uptimeNanoseconds &- lastSave.uptimeNanoseconds) >= Self.saveInterval * 1e9 {
            unsaved = nil
            try save()
            saved = n
            lastSave = now
        } else {
            unsaved = (n, save)
        }
        return true
    }

    /// Writes the state of the rows counted if it is not on disk yet; returns how many rows a resume keeps.
    /// No row is written after it (see `deliver`).
    public func keepPending() -> Int {
        lock.lock(); defer { lock.unlock() }
        closed = true
        if !parts.isEmpty { return parts.reduce(0) { $0 + $1.keepPending() } }
        if let pending = unsaved {
            unsaved = nil
            if (try? pending.save()) != nil { saved = pending.rows }
        }
        return saved
    }
}

extension SequentialJob {
    /// Runs the job; rows reach the CSV (and `events`) in file order as they finish.
    public func run(counter: RowCounter = RowCounter(), events: @escaping @Sendable (SequentialEvent) -> Void) throws -> SequentialOutcome {
        guard !files.isEmpty else { throw WorkflowError.invalid("no pattern files given") }
        let range = shard.map { Self.segment(files.count, shard: $0.index, of: $0.count) } ?? 0..<files.count
        guard !range.isEmpty else { throw WorkflowError.invalid("shard \(shard!.index)/\(shard!.count) of \(files.count) patterns is empty") }
        if !independent && jobs > 1 && shard != nil {
            throw WorkflowError.invalid("--jobs \(jobs) with a chained --shard: a chained shard runs on one core; cut the run into more shards instead")
        }
        if !segmentFiles.isEmpty { return try runSegments(counter: counter, events: events) }
        let plan = try recipe.map { try Recipe.read(URL(fileURLWithPath: $0)) }
        var options = self.options
        if let plan {
            options.geometry = plan.geometry ?? options.geometry
            options.muR = plan.muR ?? options.muR
            options.convention = plan.convention ?? options.convention
            options.backgroundTerms = plan.backgroundTerms ?? options.backgroundTerms
            options.range = (plan.range.0 ?? options.range.low, plan.range.1 ?? options.range.high)
        }
        // Independent runs are parallel over patterns already.
        if independent { options.threads = 1 }
        // Every shard builds its template (starting scale and background) from the run's first file, so that
        // an independent run's rows do not depend on how it was cut into shards.
        var setup = try RefinementSetup.load(pattern: files[0], phases: phases, instrument: instrument, options: options)
        let stages = try plan.map { try RecipePlan.apply($0, to: &setup) } ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: options.backgroundTerms, searchCell: true)
        try setup.checkDetermined(by: stages)
        let qpa = try setup.quantitativeAnalysis(quantities)
        var sequential = self.sequential
        sequential.settings = setup.settings
        for name in keptPhases {
            guard let p = setup.model.phases.firstIndex(where: { $0.name == name }) else {
                throw WorkflowError.invalid("--keep-phase \(name): no phase of that name (phases: \(setup.model.phases.map(\.name).joined(separator: ", ")))")
            }
            sequential.keptPhases.insert(p)
        }
        let parameters = stages.last?.parameters ?? []
        let names = parameters.map { setup.model.name(of: $0) }
        let phaseNames = setup.model.phases.map(\.name)
        let header = SequentialCSV.columns(phaseNames: phaseNames, parameterNames: names) + ["run_id", "patterns", "shard"]
        let fingerprint = self.fingerprint()
        let shardLabel = shard.map { "\($0.index)/\($0.count)" } ?? "1/1"

        let lock = try RunLock(path: csv + ".lock")
        defer { lock.release() }
        var state = SequentialStateFile(fingerprint: fingerprint, shard: shardLabel, rowsDone: 0, chain: ChainState())
        var alreadyDone = 0
        if resume, FileManager.default.fileExists(atPath: csv) {
            (state, alreadyDone) = try resumeState(header: header, fingerprint: fingerprint, shard: shardLabel)
        }
        let done = alreadyDone
        let writer = try RowWriter(path: csv, header: CSV.line(header), append: done > 0, keepRows: done)
        let items = Array(range).dropFirst(done).map { (index: $0, file: files[$0]) }
        events(.started(total: range.count, alreadyDone: done))
        counter.set(done)
        let tail = [fingerprint, "\(files.count)", shardLabel]
        let collected = RowCollector()
        let load: @Sendable (Int) throws -> Pattern = { [options] i in
            let p = try PatternFile.read(URL(fileURLWithPath: items[i].file), block: options.block)
            return Self.restricted(p, options: options)
        }
        let statePath = csv + ".state"
        let columnCount = header.count
        let deliver: @Sendable (SequentialItem, ChainState) throws -> Void = { item, chain in
            var line: String
            let summary: SummaryRow
            switch item {
            case .refined(let row):
                line = SequentialCSV.row(row, parameters: parameters, quantities: try? row.result.quantities(qpa))
                summary = SummaryRow(row)
            case let .unreadable(index, file, error):
                line = SequentialCSV.unreadableRow(index: index, file: file, reason: error, columns: columnCount - tail.count, phases: phaseNames.count)
                summary = SummaryRow(unreadable: index, file: file, reason: error, phases: phaseNames.count)
            }
            line.removeLast()
            let n = collected.count + 1
            let s = SequentialStateFile(fingerprint: fingerprint, shard: shardLabel, rowsDone: done + n, chain: chain)
            let stopping = stopAfter.map { n >= $0 } ?? false
            guard try counter.deliver(done + n, force: n == items.count || stopping, write: { try writer.write(line + "," + CSV.line(tail)) },
                                      save: { try OutputFile.write(try JSONEncoder().encode(s), to: statePath) }) else { return }
            collected.add(summary)
            if case .refined(let row) = item { events(.row(row, done: done + n, total: range.count)) }
            if let stop = stopAfter, n >= stop { throw SequentialStop(rowsKept: done + n) }
        }
        if independent {
            try runIndependent(items: items, setup: setup, stages: stages, sequential: sequential, load: load, deliver: deliver, events: events)
        } else {
            try runChained(items: items, setup: setup, stages: stages, sequential: sequential, chain: state.chain, load: load, deliver: deliver, events: events)
        }
        return SequentialOutcome(rows: collected.rows, skipped: done, phaseNames: phaseNames, notes: setup.notes)
    }

    /// The pattern restricted to the fitted range.
    static func restricted(_ p: Pattern, options: ModelOptions) -> Pattern {
        guard options.range.low != nil || options.range.high != nil else { return p }
        return p.restricted(to: options.range.low ?? -Double.infinity, options.range.high ?? Double.infinity)
    }

    /// The state to continue from, checked against this run's identity and the CSV's rows.
    func resumeState(header: [String], fingerprint: String, shard: String) throws -> (SequentialStateFile, Int) {
        let existing = try SequentialCSV.read(URL(fileURLWithPath: csv))
        guard existing.header == header else {
            throw WorkflowError.invalid("\(csv): its columns are not those of these phases and recipe (\(existing.header.count) columns, expected \(header.count)); cannot resume into it")
        }
        let statePath = csv + ".state"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: statePath)),
              let state = try? JSONDecoder().decode(SequentialStateFile.self, from: data) else {
            throw WorkflowError.invalid("\(csv): no readable state file \(statePath) beside it; cannot resume exactly (start a new CSV)")
        }
        guard state.fingerprint == fingerprint, state.shard == shard else {
            throw WorkflowError.invalid("\(csv) was written by another run (other files, phases, instrument, recipe or options); cannot resume into it")
        }
        // The state may lag the CSV by the row being written when the run stopped: trust the state.
        let rows = min(existing.rows.count, state.rowsDone)
        return (state, rows)
    }

    func runChained(items: [(index: Int, file: String)], setup: RefinementSetup, stages: [RefinementStage], sequential: SequentialOptions,
                    chain start: ChainState, load: @escaping @Sendable (Int) throws -> Pattern,
                    deliver: (SequentialItem, ChainState) throws -> Void, events: (SequentialEvent) -> Void) throws {
        var chain = SequentialChain(template: setup.model, stages: stages, options: sequential, state: start)
        // Patterns are read one ahead on the other core: a run over thousands keeps two in memory.
        let reader = Prefetcher(load: load)
        if !items.isEmpty { reader.request(0) }
        for (n, item) in items.enumerated() {
            let pattern: Pattern
            do {
                pattern = try reader.take(n)
            } catch {
                if n + 1 < items.count { reader.request(n + 1) }
                guard skipBad else { throw error }
                events(.unreadable(index: item.index, file: item.file, error: "\(error)"))
                try deliver(.unreadable(index: item.index, file: item.file, error: "\(error)"), chain.state)
                continue
            }
            if n + 1 < items.count { reader.request(n + 1) }
            let row = chain.refine(pattern, index: item.index, file: item.file)
            try deliver(.refined(row), chain.state)
        }
    }

    /// Independent refinements from the template, `jobs` at a time; rows are delivered in file order (a
    /// finished row waits for the ones before it). Each pattern gets the same checks and retries as in a
    /// chained run, from the template.
    func runIndependent(items: [(index: Int, file: String)], setup: RefinementSetup, stages: [RefinementStage], sequential: SequentialOptions,
                        load: @escaping @Sendable (Int) throws -> Pattern,
                        deliver: @escaping @Sendable (SequentialItem, ChainState) throws -> Void,
                        events: @escaping @Sendable (SequentialEvent) -> Void) throws {
        let order = OrderedDelivery<Result<SequentialItem, any Error>>()
        let next = Counter()
        let failure = FirstError()
        let template = setup.model
        let skipBad = self.skipBad
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, items.count))) { _ in
            while failure.error == nil, let i = next.take(below: items.count) {
                let item = items[i]
                let outcome: Result<SequentialItem, any Error>
                do {
                    let pattern = try load(i)
                    var chain = SequentialChain(template: template, stages: stages, options: sequential)
                    outcome = .success(.refined(chain.refine(pattern, index: item.index, file: item.file)))
                } catch {
                    if skipBad {
                        events(.unreadable(index: item.index, file: item.file, error: "\(error)"))
                        outcome = .success(.unreadable(index: item.index, file: item.file, error: "\(error)"))
                    } else {
                        outcome = .failure(error)
                    }
                }
                order.put(i, outcome) { ready in
                    guard failure.error == nil else { return }
                    switch ready {
                    case .success(let item): do { try deliver(item, ChainState()) } catch { failure.set(error) }
                    case .failure(let e): failure.set(e)
                    }
                }
            }
        }
        if let e = failure.error { throw e }
    }
}

/// Hands results on in index order: each result waits until all before it have been handed on.
final class OrderedDelivery<T>: @unchecked Sendable {
    private var pending: [Int: T] = [:]
    private var nextIndex = 0
    private let lock = NSLock()

    func put(_ i: Int, _ value: T, _ handle: (T) -> Void) {
        lock.lock(); defer { lock.unlock() }
        pending[i] = value
        while let v = pending.removeValue(forKey: nextIndex) {
            handle(v)
            nextIndex += 1
        }
    }
}

/// The first error of several threads.
final class FirstError: @unchecked Sendable {
    private var stored: (any Error)?
    private let lock = NSLock()
    var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ e: any Error) { lock.lock(); if stored == nil { stored = e }; lock.unlock() }
}

/// A thread-safe work counter.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Summary rows of the patterns refined in this run (not the full results: thousands must not be kept).
final class RowCollector: @unchecked Sendable {
    private var stored: [SummaryRow] = []
    private let lock = NSLock()
    func add(_ r: SummaryRow) { lock.lock(); stored.append(r); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    var rows: [SummaryRow] { lock.lock(); defer { lock.unlock() }; return stored }
}
