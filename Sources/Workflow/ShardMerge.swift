import FileSupport
import Foundation
import RietveldIO

/// Joins the CSVs of the shards of one sequential run into one, in file order, after checking that they
/// come from the same run (same columns and `run_id`), that every shard K/N appears once, and that their rows
/// cover every pattern of the run exactly once.
public enum ShardMerge {
    public static func merge(_ paths: [String]) throws -> String {
        guard !paths.isEmpty else { throw WorkflowError.invalid("merge: give the shard CSVs") }
        var header: [String]?
        var lines: [(index: Int, text: String)] = []
        var shards: [String: String] = [:]
        var run: (id: String, patterns: Int, count: Int)?
        for path in paths {
            let text = try TextFile.read(URL(fileURLWithPath: path))
            let rows = text.split(separator: "\n", omittingEmptySubsequences: true)
            guard let first = rows.first else { throw FileError.malformed(file: path, line: 1, "empty file; expected a sequential CSV") }
            let h = CSV.fields(first)
            guard Array(h.prefix(SequentialCSV.leading.count)) == SequentialCSV.leading,
                  let idColumn = h.firstIndex(of: "run_id"), let countColumn = h.firstIndex(of: "patterns"), let shardColumn = h.firstIndex(of: "shard") else {
                throw FileError.malformed(file: path, line: 1, "not a CSV of rietveld sequential (no run_id, patterns, shard columns)")
            }
            if let header, header != h { throw FileError.malformed(file: path, line: 1, "its columns differ from \(paths[0])'s: not a shard of the same run") }
            header = h
            var label: String?
            for (n, row) in rows.dropFirst().enumerated() {
                let f = CSV.fields(row)
                guard f.count == h.count, let index = Int(f[0]), let total = Int(f[countColumn]) else {
                    throw FileError.malformed(file: path, line: n + 2, "expected \(h.count) columns with an index (a cut row? resume that shard first)")
                }
                let parts = f[shardColumn].split(separator: "/").compactMap { Int($0) }
                guard parts.count == 2 else { throw FileError.malformed(file: path, line: n + 2, "shard '\(f[shardColumn])' is not K/N") }
                if let run, run.id != f[idColumn] || run.patterns != total || run.count != parts[1] {
                    throw FileError.malformed(file: path, line: n + 2, "run_id \(f[idColumn]) is not that of \(paths[0]) (\(run.id)): a shard of another run")
                }
                run = (f[idColumn], total, parts[1])
                if let l = label, l != f[shardColumn] { throw FileError.malformed(file: path, line: n + 2, "rows of two shards (\(l), \(f[shardColumn])) in one file") }
                label = f[shardColumn]
                lines.append((index, String(row)))
            }
            guard let label else { throw FileError.malformed(file: path, line: 2, "the shard has no rows") }
            if let other = shards[label] { throw WorkflowError.invalid("merge: shard \(label) is given twice (\(other) and \(path))") }
            shards[label] = path
        }
        let (_, patterns, count) = run!
        for k in 1...count where shards["\(k)/\(count)"] == nil {
            throw WorkflowError.invalid("merge: shard \(k)/\(count) is missing (given: \(shards.keys.sorted().joined(separator: ", ")))")
        }
        lines.sort { $0.index < $1.index }
        let indices = lines.map(\.index)
        guard indices == Array(0..<patterns) else {
            let missing = Set(0..<patterns).subtracting(indices).sorted()
            let repeated = Dictionary(grouping: indices, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            throw WorkflowError.invalid("merge: the shards do not cover the \(patterns) patterns once each"
                + (missing.isEmpty ? "" : "; missing rows \(missing.prefix(10).map(String.init).joined(separator: ", "))")
                + (repeated.isEmpty ? "" : "; repeated rows \(repeated.prefix(10).map(String.init).joined(separator: ", "))"))
        }
        return CSV.line(header!) + lines.map { $0.text + "\n" }.joined()
    }
}
