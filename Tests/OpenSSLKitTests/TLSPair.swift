import Foundation
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// A server and a client TLS connection over a socketpair, each run on its own thread.
enum TLSPair {
    /// Runs `server` and `client` at once over a fresh socketpair (10 s receive timeouts) and returns what
    /// each returned or threw; each closure also gets its socket, to change its timeouts.
    static func run<S: Sendable, C: Sendable>(
        server serverContext: TLSContext, client clientContext: TLSContext,
        server: @escaping @Sendable (TLSConnection, Int32) throws -> S,
        client: @escaping @Sendable (TLSConnection, Int32) throws -> C
    ) throws -> (server: Result<S, any Error>, client: Result<C, any Error>) {
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0 else {
            throw TLSError(.ioFailed, "socketpair failed")
        }
        for descriptor in descriptors { setReceiveTimeout(descriptor, seconds: 10) }
        let serverFD = descriptors[0], clientFD = descriptors[1]
        let serverBox = ResultBox<S>(), clientBox = ResultBox<C>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            serverBox.set(Result { () throws -> S in
                let connection = try TLSConnection(context: serverContext, fileDescriptor: serverFD)
                defer { connection.close(); Glibc.shutdown(serverFD, Int32(SHUT_WR)) }
                return try server(connection, serverFD)
            })
        }
        DispatchQueue.global().async(group: group) {
            clientBox.set(Result { () throws -> C in
                let connection = try TLSConnection(context: clientContext, fileDescriptor: clientFD)
                defer { connection.close(); Glibc.shutdown(clientFD, Int32(SHUT_WR)) }
                return try client(connection, clientFD)
            })
        }
        group.wait()
        close(serverFD)
        close(clientFD)
        return (try serverBox.get(), try clientBox.get())
    }

    static func setReceiveTimeout(_ descriptor: Int32, seconds: Double) {
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }
}

/// Hands a result from a worker thread to the test.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    // Written once by the worker before DispatchGroup.wait returns, read after: the group orders the two.
    private var result: Result<Value, any Error>?

    func set(_ result: Result<Value, any Error>) { self.result = result }

    func get() throws -> Result<Value, any Error> {
        guard let result else { throw TLSError(.ioFailed, "the worker never finished") }
        return result
    }
}
