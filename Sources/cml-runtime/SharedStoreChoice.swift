import CommandSupport
import Foundation
import PQKit
import Runtime

/// What `serve --store` selects beyond the state folder: the database runtime replicas share.
enum SharedStoreChoice {
    /// Refuses the combinations not served yet. ML mode on the database (the model and its training serial
    /// in `runtime_models`) is being built; until then it is refused here, in this one place.
    static func refuseUnsupported(mode: RuntimeMode, store: StoreLocation) throws {
        if mode == .ml, case .postgres = store {
            throw CommandFailure(
                "--mode ml with --store postgresql://... is not yet served: ML mode keeps its model in the state folder (--store dir, the default); "
                    + "FL mode (--mode fl) shares its rounds through the database")
        }
    }

    /// The database of `store`, connected and its schema checked; nil for the state folder. Throws naming the
    /// server (never the password), or both schema versions and `cml-runtime migrate --store URL`.
    static func open(_ store: StoreLocation) throws -> PostgresPool? {
        guard case .postgres(let connectionString) = store else { return nil }
        do {
            return try RuntimeDatabase.open(connectionString)
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
    }

    /// "HOST:PORT" of this machine and the port it listens on (with port 0, the process id instead, as the
    /// port is not known yet).
    static func defaultReplica(listen: HostPort) -> String {
        let host = ProcessInfo.processInfo.hostName
        return listen.port == 0 ? "\(host):pid\(ProcessInfo.processInfo.processIdentifier)" : "\(host):\(listen.port)"
    }
}
