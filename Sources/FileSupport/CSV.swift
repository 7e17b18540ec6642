/// Comma-separated values: fields with double quotes where they hold a comma or a quote.
public enum CSV {
    /// The field as written: quoted when it holds a comma, a quote or a line break. (Character tests, not
    /// Foundation's substring search: a sequential run writes a hundred fields a row, and `contains(",")` on
    /// a String was 4 % of it.)
    public static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
        var out = "\""
        for c in s { if c == "\"" { out.append("\"\"") } else { out.append(c) } }
        out.append("\"")
        return out
    }

    /// Splits one CSV line (double-quoted fields allowed, "" inside quotes is a quote).
    public static func fields(_ line: Substring) -> [String] {
        var out: [String] = [], current = "", quoted = false
        var pendingQuote = false
        for c in line {
            if quoted {
                if c == "\"" { pendingQuote = true; quoted = false; continue }
                current.append(c)
            } else if c == "\"" {
                if pendingQuote { current.append("\"") }
                quoted = true
            } else if c == "," {
                out.append(current); current = ""
            } else {
                current.append(c)
            }
            pendingQuote = false
        }
        out.append(current)
        return out
    }

    public static func line(_ fields: [String]) -> String { fields.map(quote).joined(separator: ",") + "\n" }
}
