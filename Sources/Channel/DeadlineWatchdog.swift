import Synchronization

import Glibc

/// One thread for the whole process that shuts down each socket whose deadline has passed (see
/// `Socket.deadline`), so that the thread blocked on it gets a timeout, on either side of a connection:
/// a peer that sends a byte now and then never trips the per-read socket timeouts.
enum DeadlineWatchdog {
    /// How often it looks, in microseconds (0.1 s): how far past its deadline an operation may run.
    static let interval: UInt32 = 100_000

    /// The sockets with a deadline, each held until its deadline is cleared or it is shut down.
    private static let watched = Mutex<[ObjectIdentifier: Socket]>([:])

    /// Starts the thread on first use.
    private static let started: Bool = WorkerThread.start(stackSize: WorkerThread.defaultStackSize) { watch() }

    /// Watches `socket` until `forget` (its deadline was cleared).
    static func watch(_ socket: Socket) {
        _ = started
        watched.withLock { $0[ObjectIdentifier(socket)] = socket }
    }

    /// Stops watching `socket`.
    static func forget(_ socket: Socket) {
        _ = watched.withLock { $0.removeValue(forKey: ObjectIdentifier(socket)) }
    }

    private static func watch() {
        while true {
            usleep(interval)
            let expired = watched.withLock { sockets in
                let expired = sockets.values.filter(\.isPastDeadline)
                for socket in expired { sockets[ObjectIdentifier(socket)] = nil }
                return expired
            }
            for socket in expired { socket.shutdown() }
        }
    }
}
