import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output and error, written with write(2): Foundation's FileHandle traps on a closed pipe. When
/// the reader of standard output has gone (`rietveld … | head`), the process ends quietly with 141, the
/// status a shell reports for SIGPIPE; an error stream that cannot be written is given up silently.
public enum StandardStreams {
    public static func out(_ text: String) { write(text, to: STDOUT_FILENO, quitOnClosedPipe: true) }
    public static func out(_ data: Data) { write(data, to: STDOUT_FILENO, quitOnClosedPipe: true) }
    public static func err(_ text: String) { write(text, to: STDERR_FILENO, quitOnClosedPipe: false) }

    /// A failure as the programs report it: `program: ` and the message's first line (without the argument
    /// parser's `Error: `) on standard error; nothing for an empty message.
    public static func failure(_ message: String, program: String) {
        guard let first = message.split(whereSeparator: \.isNewline).first.map(String.init), !first.isEmpty else { return }
        err("\(program): \(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first)\n")
    }

    static func write(_ text: String, to fd: Int32, quitOnClosedPipe: Bool) {
        write(Data(text.utf8), to: fd, quitOnClosedPipe: quitOnClosedPipe)
    }

    static func write(_ data: Data, to fd: Int32, quitOnClosedPipe: Bool) {
        data.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                #if canImport(Glibc)
                let n = Glibc.write(fd, p, left)
                #else
                let n = Darwin.write(fd, p, left)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE && quitOnClosedPipe { exit(141) }
                    return
                }
                p += n
                left -= n
            }
        }
    }
}
