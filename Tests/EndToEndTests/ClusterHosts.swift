import ByteKit
import Foundation
import Glibc
import Testing

/// The hosts of a several-host test, made on this machine: one network namespace per host, each with
/// loopback up and one veth link (`eth0`) to a bridge in a "switch" namespace of its own, all on one
/// private /24 drawn at random from 10.200-250.x.0/24, under a per-run name prefix (two runs at once
/// never share a name or an address). The machine's own network namespace is not touched: each veth
/// pair is made in the switch namespace with its peer put into the host's namespace.
///
/// Where namespaces cannot be made (not root, no `ip`, `ip netns add` refused, or
/// `CML_CLUSTER_LOOPBACK=1`), the hosts are loopback addresses of one random 127.x.y.0/24 instead,
/// and every command runs as is: the same test, on loopback ports.
final class ClusterHosts {
    /// How the hosts were made.
    enum Network: CustomStringConvertible {
        /// A network namespace per host.
        case namespaces
        /// Addresses on the loopback, because namespaces could not be made (the reason).
        case loopback(reason: String)

        var description: String {
            switch self {
            case .namespaces: "network namespaces"
            case .loopback(let reason): "loopback addresses (\(reason))"
            }
        }
    }

    let network: Network
    /// The hosts' names, in order (host N has address N+1 of the subnet).
    let names: [String]
    /// The first three bytes of the hosts' addresses, "10.213.47".
    let subnet: String
    /// The namespaces' name prefix, "cml-3fa2c1".
    let prefix: String
    private let ip: String
    private var made: [String] = []

    /// Where Debian's iproute2 puts `ip`.
    static let ipPaths = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]

    /// Makes the hosts `names` (as namespaces if it can, otherwise loopback addresses; see the type).
    init(_ names: [String]) throws {
        self.names = names
        prefix = "cml-\(String(format: "%06x", UInt32.random(in: 0..<(1 << 24))))"
        ip = Self.ipPaths.first { FileManager.default.isExecutableFile(atPath: $0) } ?? ""
        let namespaceSubnet = "10.\(Int.random(in: 200...250)).\(Int.random(in: 0...255))"
        if let reason = Self.whyNoNamespaces(ip: ip, probe: "\(prefix)-switch") {
            network = .loopback(reason: reason)
            subnet = "127.\(Int.random(in: 1...254)).\(Int.random(in: 0...255))"
            return
        }
        network = .namespaces
        subnet = namespaceSubnet
        made.append(namespace("switch"))  // the probe made it
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    deinit {
        remove()
    }

    /// Why namespaces cannot be made here, or nil when they can (the probe namespace is then made).
    private static func whyNoNamespaces(ip: String, probe: String) -> String? {
        if ProcessInfo.processInfo.environment["CML_CLUSTER_LOOPBACK"] == "1" { return "CML_CLUSTER_LOOPBACK=1 asks for loopback" }
        guard geteuid() == 0 else { return "not running as root, which `ip netns add` needs" }
        guard !ip.isEmpty else { return "no ip command (Debian's iproute2) in \(ipPaths.joined(separator: ", "))" }
        guard let added = try? Executables.run(program: URL(fileURLWithPath: ip), ["netns", "add", probe]) else {
            return "\(ip) could not be run"
        }
        guard added.status == 0 else {
            return "`ip netns add` failed: \(added.standardError.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return nil
    }

    /// The switch namespace with its bridge, then each host's namespace wired to it.
    private func build() throws {
        let switchName = namespace("switch")
        try ipCommand(["-n", switchName, "link", "set", "lo", "up"])
        try ipCommand(["-n", switchName, "link", "add", "br0", "type", "bridge"])
        try ipCommand(["-n", switchName, "link", "set", "br0", "up"])
        for host in names {
            let name = namespace(host)
            try ipCommand(["netns", "add", name])
            made.append(name)
            try ipCommand(["-n", name, "link", "set", "lo", "up"])
            // Both ends are made in the switch namespace's context and the peer goes straight into the
            // host's: no interface ever appears in the machine's own namespace.
            try ipCommand(["-n", switchName, "link", "add", "v-\(host)", "type", "veth", "peer", "name", "eth0", "netns", name])
            try ipCommand(["-n", switchName, "link", "set", "v-\(host)", "master", "br0", "up"])
            try ipCommand(["-n", name, "addr", "add", "\(address(host))/24", "dev", "eth0"])
            try ipCommand(["-n", name, "link", "set", "eth0", "up"])
        }
    }

    /// Runs `ip ARGUMENTS`; throws with its error output if it fails.
    private func ipCommand(_ arguments: [String]) throws {
        let result = try Executables.run(program: URL(fileURLWithPath: ip), arguments)
        guard result.status == 0 else {
            throw ProcessFailure("ip \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.standardError)")
        }
    }

    /// Removes every namespace made (their veth ends go with them); again, does nothing.
    func remove() {
        for name in made.reversed() {
            _ = try? Executables.run(program: URL(fileURLWithPath: ip), ["netns", "delete", name])
        }
        made = []
    }

    /// Whether the hosts are network namespaces.
    var isolated: Bool {
        if case .namespaces = network { return true }
        return false
    }

    /// The namespace of `host`.
    func namespace(_ host: String) -> String {
        "\(prefix)-\(host)"
    }

    /// The address of `host`.
    func address(_ host: String) -> String {
        "\(subnet).\((names.firstIndex(of: host) ?? names.count) + 1)"
    }

    /// What runs a command in `host`: `ip netns exec NAMESPACE`, which execs the command in place (the
    /// process id is the command's), or nothing on loopback.
    func commandPrefix(_ host: String) -> [String] {
        isolated ? [ip, "netns", "exec", namespace(host)] : []
    }

    /// The program and arguments that run `program ARGUMENTS` in `host`.
    func command(_ host: String, _ program: String, _ arguments: [String]) -> (program: String, arguments: [String]) {
        let prefix = commandPrefix(host)
        guard let first = prefix.first else { return (program, arguments) }
        return (first, Array(prefix.dropFirst()) + [program] + arguments)
    }

    /// Runs the built executable `name` in `host` to completion.
    func run(_ host: String, _ name: String, _ arguments: [String], input: String? = nil) throws -> Executables.Result {
        let (program, all) = command(host, try Executables.path(name), arguments)
        return try Executables.run(program: URL(fileURLWithPath: program), all, input: input)
    }

    /// Starts the built executable `name` in `host` in the background.
    func start(_ host: String, _ name: String, _ arguments: [String]) throws -> RunningProcess {
        let (program, all) = command(host, try Executables.path(name), arguments)
        return try RunningProcess(program: program, name: "\(name) in \(host)", all)
    }

    /// The established TCP connections of the network namespace `pid` lives in (its /proc/PID/net/tcp),
    /// as (local, remote) "ADDRESS:PORT" pairs.
    static func establishedConnections(of pid: Int32) -> [(local: String, remote: String)] {
        // Read to the end (FileBytes): a /proc file says its size is 0, and the machine's table has hundreds of lines.
        guard let table = try? FileBytes.readText("/proc/\(pid)/net/tcp", limit: FileSizeLimit(bytes: 16 << 20, kind: "a TCP socket table")) else {
            return []
        }
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            // State 01 is ESTABLISHED.
            guard fields.count > 3, fields[3] == "01", let local = endpoint(fields[1]), let remote = endpoint(fields[2]) else { return nil }
            return (local, remote)
        }
    }

    /// "0100007F:1F90" (an IPv4 address in host byte order, a port, both hexadecimal) as "127.0.0.1:8080".
    private static func endpoint(_ field: Substring) -> String? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let address = UInt32(parts[0], radix: 16), let port = UInt16(parts[1], radix: 16) else { return nil }
        let bytes = (0..<4).map { (address >> (8 * UInt32($0))) & 0xff }
        return bytes.map(String.init).joined(separator: ".") + ":\(port)"
    }
}
