import FileSupport
import Testing

/// Fields as RFC 4180 writes them: a field with a comma, a double quote or a line break in double quotes, a
/// quote inside doubled; and read back to the same fields.
@Suite struct CSVTests {
    @Test func quotingFollowsRFC4180AndReadsBack() {
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", "", "LNO: a"]
        let line = CSV.line(fields)
        #expect(line == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,LNO: a\n")
        #expect(CSV.fields(Substring("plain,\"a,b\",\"say \"\"hi\"\"\",x")) == ["plain", "a,b", "say \"hi\"", "x"])
    }
}
