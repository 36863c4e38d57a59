/// A host and port as people and logs read them: `127.0.0.1:8124`, or `[::1]:8124` for an IPv6
/// address, bracketed because it has colons of its own.
public func hostPortText(host: String, port: UInt16) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}
