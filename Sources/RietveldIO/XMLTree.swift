import FileSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML document as a tree of elements (names without namespace prefixes), enough for the vendors'
/// pattern files (XRDML, BRML), which are a few megabytes at most.
final class XMLTreeElement {
    let name: String
    let attributes: [String: String]
    var children: [XMLTreeElement] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Direct children with this name.
    func children(_ name: String) -> [XMLTreeElement] { children.filter { $0.name == name } }
    func child(_ name: String) -> XMLTreeElement? { children.first { $0.name == name } }
    /// Every descendant with this name, in document order.
    func descendants(_ name: String) -> [XMLTreeElement] {
        var out: [XMLTreeElement] = []
        for c in children {
            if c.name == name { out.append(c) }
            out += c.descendants(name)
        }
        return out
    }

    /// Parses `data`; a document that is not well-formed XML gives the parser's line and message.
    static func parse(_ data: Data, file: String) throws(FileError) -> XMLTreeElement {
        // Foundation's XMLParser traps on element or attribute names that are not UTF-8: check first.
        if let (offset, line) = firstInvalidUTF8(data) {
            throw .malformed(file: file, line: line, "XML: byte \(offset) is not UTF-8 text (the vendors' XML files are UTF-8)")
        }
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        guard parser.parse(), let root = builder.root else {
            let message = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "not well-formed XML"
            throw .malformed(file: file, line: max(1, parser.lineNumber), "XML: \(message)")
        }
        return root
    }

    /// The offset and line of the first byte that does not decode as UTF-8, or nil if all do.
    static func firstInvalidUTF8(_ data: Data) -> (offset: Int, line: Int)? {
        if String(validating: data, as: UTF8.self) != nil { return nil }
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var offset = 0, line = 1
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar):
                if scalar.count == 1 && scalar.first == 10 { line += 1 }
                offset += scalar.count
            case .error(let length):
                _ = length
                return (offset, line)
            case .emptyInput:
                return nil
            }
        }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTreeElement?
        var stack: [XMLTreeElement] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let e = XMLTreeElement(name: elementName.split(separator: ":").last.map(String.init) ?? elementName, attributes: attributes)
            if let top = stack.last { top.children.append(e) } else { root = e }
            stack.append(e)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}
