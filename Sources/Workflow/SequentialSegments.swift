import FileSupport
import Foundation

/// A chained run cut into segments refined at once (`jobs` > 1): the way a chained campaign uses several cores
/// of one machine. Each segment is exactly the shard K/N of the run (`--shard K/N`: contiguous, its first
/// pattern refined from the template with the rough-start search, then chained), written to
/// `OUT.csv.segment-K-of-N` with its own state file while the run goes on, so that an interrupted run resumes
/// each segment where it stopped; at the end the segments are merged into OUT.csv (the rows of `rietveld merge`
/// over those shards, byte for byte), a state file for the whole run is written beside it, and the segment files
/// are removed. The chain restarts at each segment's first pattern: its result is a converged minimum from
/// another start, the same within the esds as the unsegmented chain's (tested on the GSAS-II series).
extension SequentialJob {
    /// The CSVs a chained run cut into segments writes while it goes on, segment K of N each (`OUT.csv.segment-K-of-N`);
    /// empty for a run that is not cut (`jobs` 1, `independent`, a shard, a single file).
    public var segmentFiles: [String] {
        guard !independent, jobs > 1, files.count > 1, shard == nil else { return [] }
        let n = min(jobs, files.count)
        return (1...n).map { "\(csv).segment-\($0)-of-\(n)" }
    }

    func runSegments(counter: RowCounter, events: @escaping @Sendable (SequentialEvent) -> Void) throws -> SequentialOutcome {
        let lock = try RunLock(path: csv + ".lock")
        defer { lock.release() }
        let paths = segmentFiles, count = paths.count
        let fm = FileManager.default
        // A finished run (merged, its segments gone) resumes as one CSV with its state file: nothing to refine.
        if resume && fm.fileExists(atPath: csv) && !paths.contains(where: { fm.fileExists(atPath: $0) }) {
            var whole = self
            whole.jobs = 1
            lock.release()
            return try whole.run(counter: counter, events: events)
        }
        let counters = counter.split(count)
        let progress = SegmentProgress(parts: count, total: files.count, events: events)
        let failure = FirstError()
        let outcomes = SegmentOutcomes(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { k in
            var part = self
            part.jobs = 1
            part.shard = (k + 1, count)
            part.csv = paths[k]
            // One core per segment: the segments are the parallel work.
            part.options.threads = 1
            do {
                outcomes.set(k, try part.run(counter: counters[k]) { progress.handle($0, segment: k) })
            } catch {
                failure.set(error)
            }
        }
        if failure.error is SequentialStop {
            throw SequentialStop(rowsKept: counter.count, message: "stopped as asked: \(counter.count) rows kept in \(paths.count) segment files beside \(csv); resume with --resume")
        }
        if let error = failure.error { throw error }
        let merged = try ShardMerge.merge(paths)
        try OutputFile.write(Data(merged.utf8), to: csv)
        // The state of the last segment's chain, as the whole run's: `--resume` of a finished run refines nothing.
        let lastState = paths[count - 1] + ".state"
        if let data = fm.contents(atPath: lastState), var state = try? JSONDecoder().decode(SequentialStateFile.self, from: data) {
            state.shard = "1/1"
            state.rowsDone = files.count
            try OutputFile.write(try JSONEncoder().encode(state), to: csv + ".state")
        }
        for path in paths { for suffix in ["", ".state"] { try? fm.removeItem(atPath: path + suffix) } }
        let parts = outcomes.all
        return SequentialOutcome(rows: parts.flatMap(\.rows).sorted { $0.index < $1.index }, skipped: parts.reduce(0) { $0 + $1.skipped },
                                 phaseNames: parts.first?.phaseNames ?? [], notes: parts.first?.notes ?? [])
    }
}

/// The segments' events as one run's: one `started` when every segment has started, rows counted over all.
final class SegmentProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let parts: Int, total: Int
    private let events: @Sendable (SequentialEvent) -> Void
    private var started = 0, alreadyDone = 0, rows = 0

    init(parts: Int, total: Int, events: @escaping @Sendable (SequentialEvent) -> Void) {
        self.parts = parts
        self.total = total
        self.events = events
    }

    func handle(_ event: SequentialEvent, segment: Int) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case let .started(_, done):
            started += 1
            alreadyDone += done
            if started == parts { events(.started(total: total, alreadyDone: alreadyDone)) }
        case let .row(row, _, _):
            rows += 1
            events(.row(row, done: alreadyDone + rows, total: total))
        case .unreadable:
            events(event)
        }
    }
}

/// Each segment's outcome, set from its thread.
final class SegmentOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [SequentialOutcome?]
    init(count: Int) { stored = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ outcome: SequentialOutcome) { lock.lock(); stored[k] = outcome; lock.unlock() }
    var all: [SequentialOutcome] { lock.lock(); defer { lock.unlock() }; return stored.compactMap { $0 } }
}
