import FileSupport
import Foundation
import Testing

@Suite struct OutputFileTests {
    @Test func placeholder() {}
}
