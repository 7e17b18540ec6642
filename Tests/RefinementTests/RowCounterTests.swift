import Foundation
import Testing
@testable import Workflow

/// The state file's pacing: the first row and a forced row are saved at once; rows within `saveInterval` of the
/// last save wait, and an interrupt (`keepPending`) saves the newest before saying how many rows are kept — after
/// which no row reaches the CSV, so that it holds exactly the rows the notice counts.
@Suite struct RowCounterTests {
    /// Rows "written" to `rows`, states "saved" to `saved`.
    final class Sink { var rows: [Int] = [], saved: [Int] = [] }

    static func deliver(_ counter: RowCounter, _ n: Int, into sink: Sink, force: Bool = false,
                        save: (() throws -> Void)? = nil) throws -> Bool {
        try counter.deliver(n, force: force, write: { sink.rows.append(n) }, save: save ?? { sink.saved.append(n) })
    }

    @Test func statesArePacedAndTheInterruptSavesTheNewest() throws {
        let counter = RowCounter(), sink = Sink()
        counter.set(5)  // a resumed run: 5 rows on disk already
        for n in 6...8 { #expect(try Self.deliver(counter, n, into: sink)) }
        #expect(sink.saved == [6], "row 6 saved at once, 7 and 8 wait (within \(RowCounter.saveInterval) s)")
        #expect(sink.rows == [6, 7, 8] && counter.count == 8)
        #expect(counter.keepPending() == 8 && sink.saved == [6, 8], "the interrupt saves the newest state only")
        #expect(counter.keepPending() == 8 && sink.saved == [6, 8], "nothing pending: nothing written again")
        // The refinement goes on until the process exits: its next row must not reach the CSV.
        #expect(try !Self.deliver(counter, 9, into: sink, force: true))
        #expect(sink.rows == [6, 7, 8] && sink.saved == [6, 8] && counter.count == 8 && counter.keepPending() == 8)
    }

    @Test func aStateThatCannotBeWrittenKeepsTheLastOnesRows() throws {
        let counter = RowCounter(), sink = Sink()
        #expect(try Self.deliver(counter, 1, into: sink, force: true))
        struct Full: Error {}
        #expect(try Self.deliver(counter, 2, into: sink, save: { throw Full() }))
        #expect(counter.keepPending() == 1, "a state that cannot be written keeps the last one's rows")
        #expect(try !Self.deliver(counter, 3, into: sink))
        #expect(sink.rows == [1, 2] && sink.saved == [1])
    }
}
