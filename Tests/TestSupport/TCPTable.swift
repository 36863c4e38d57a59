import ByteKit

/// The kernel's table of this host's TCP sockets (`/proc/net/tcp` and `/proc/net/tcp6`), for a test
/// that waits until the other end of one of its connections has really closed its socket.
public enum TCPTable {
    /// Whether no process holds the socket from local port `localPort` to remote port `remotePort` any
    /// more: it is gone from the table, or orphaned (inode 0: closed, the kernel finishing the goodbye).
    /// False while it is open, or if the table cannot be read.
    /// A test host's socket table is a few hundred lines of 150 bytes.
    private static let tableLimit = FileSizeLimit(bytes: 16 << 20, kind: "a TCP socket table")

    public static func isReleased(localPort: UInt16, remotePort: UInt16) -> Bool {
        var readAny = false
        for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: a /proc file says its size is 0.
            guard let table = try? FileBytes.readText(path, limit: tableLimit) else { continue }
            readAny = true
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, port(fields[1]) == localPort, port(fields[2]) == remotePort else { continue }
                if fields[9] != "0" { return false }
            }
        }
        return readAny
    }

    /// The port of an `ADDRESS:PORT` field, both in hexadecimal.
    private static func port(_ field: Substring) -> UInt16? {
        field.split(separator: ":").last.flatMap { UInt16($0, radix: 16) }
    }
}
