import Foundation
import Testing
@testable import Workflow

/// The state file's pacing: the first row and a forced row are saved at once; rows within `saveInterval` of the
/// last save wait, and an interrupt (`keepPending`) saves the newest before saying how many rows are kept.
@Suite struct RowCounterTests {
    @Test func statesArePacedAndNothingFinishedIsLost() throws {
        let counter = RowCounter()
        counter.set(5)  // a resumed run: 5 rows on disk already
        var written: [Int] = []
        try counter.record(6, force: false) { written.append(6) }
        try counter.record(7, force: false) { written.append(7) }
        try counter.record(8, force: false) { written.append(8) }
        #expect(written == [6], "row 6 saved at once, 7 and 8 wait (within \(RowCounter.saveInterval) s)")
        #expect(counter.count == 8)
        #expect(counter.keepPending() == 8 && written == [6, 8], "the interrupt saves the newest state only")
        #expect(counter.keepPending() == 8 && written == [6, 8], "nothing pending: nothing written again")
        try counter.record(9, force: true) { written.append(9) }
        #expect(written == [6, 8, 9])
        struct Full: Error {}
        try counter.record(10, force: false) { throw Full() }
        #expect(counter.keepPending() == 9, "a state that cannot be written keeps the last one's rows")
    }
}
