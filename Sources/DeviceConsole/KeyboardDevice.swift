import Channel
public import Device
import Dispatch
import Synchronization

/// The device session behind the keyboard page: the same `DeviceSession` that `cml-device run` drives
/// from a terminal, driven here one request at a time (a prefix to complete, a word to train on).
///
/// `@unchecked Sendable` because the device and its session are not: they are used only on `queue`,
/// one request after another (training in FL mode waits there for the round's global model), while the
/// state the page polls is kept apart, behind a lock, so `/state` answers during a wait.
public final class KeyboardDevice: @unchecked Sendable {
    /// Where the answers are trained on.
    public let mode: DeviceSession.Mode
    private let device: Device
    private let session: DeviceSession
    private let shared: SharedState
    private let queue = DispatchQueue(label: "cml-device.keyboard")

    /// The page's session of `device`, training in `mode`. Nothing is sent before `connect()`.
    public init(device: Device, mode: DeviceSession.Mode) {
        self.device = device
        self.mode = mode
        let shared = SharedState(KeyboardState(mode: mode.name, runtime: device.runtime.endpoint))
        self.shared = shared
        session = DeviceSession(device: device, console: PageConsole { line in shared.update { $0.status = line } }, mode: mode)
    }

    /// What the page shows now.
    public var state: KeyboardState { shared.read() }

    /// Checks that the runtime serves `mode` and downloads its model (the session's first step); a
    /// refusal of the runtime (its certificate is not this domain's, its role, a revocation) is kept in
    /// the state for the page to show. The page's requests call it again while the device has no model.
    public func connect() async {
        await onQueue { self.connectNow() }
    }

    /// The completion of `prefix` by the device's model.
    public func predict(_ prefix: String) async throws(KeyboardFailure) -> String {
        try await onQueue { () throws(KeyboardFailure) in
            try self.ready { () throws(ChannelError) in try DeviceSession.checkPrefix(prefix) }
            do throws(ChannelError) {
                return try self.session.predict(prefix)
            } catch {
                throw KeyboardFailure(error.code == .badRequest ? .badInput : .unavailable, error.message)
            }
        }
    }

    /// Trains on `word` as the session does (on the runtime in ML mode; here, then the round, in FL mode)
    /// and returns the state with the new model.
    public func train(_ word: String) async throws(KeyboardFailure) -> KeyboardState {
        try await onQueue { () throws(KeyboardFailure) in
            try self.ready { () throws(ChannelError) in try DeviceSession.checkAnswer(word) }
            self.shared.update {
                $0.busy = true
                $0.status = self.mode == .ml ? "sending \"\(word)\" to the runtime to train on ..." : "training on \"\(word)\" on this device ..."
            }
            let outcome = self.session.train(word)
            self.shared.update { $0.busy = false }
            switch outcome {
            case .newModel:
                self.adopted()
                return self.shared.read()
            case .unchanged(let reason, let error):
                guard error.kind == .refused else { throw KeyboardFailure(.failed, reason) }
                // The runtime was fine when the page connected, but is refused now (revoked, expired).
                self.refused(error)
                throw KeyboardFailure(.refused, error.description)
            }
        }
    }

    private func connectNow() {
        shared.update {
            $0.busy = true
            $0.status = "connecting to the runtime at \(device.runtime.endpoint) ..."
        }
        defer { shared.update { $0.busy = false } }
        do {
            let servesFL = try device.servesFederation()
            guard servesFL == (mode != .ml) else {
                let served = servesFL ? "fl" : "ml"
                let problem = "the runtime at \(device.runtime.endpoint) serves \(served.uppercased()) mode; this page trains in "
                    + "\(mode.name.uppercased()) mode (start cml-device console --mode \(served))"
                shared.update {
                    $0.admitted = true
                    $0.problem = problem
                    $0.status = problem
                }
                return
            }
            try session.start()
            adopted()
        } catch where error.kind == .refused {
            refused(error)
        } catch {
            shared.update {
                $0.problem = error.description
                $0.status = error.description
            }
        }
    }

    /// Records that the device refused the runtime, and why, for the page's banner.
    private func refused(_ error: ChannelError) {
        shared.update {
            $0.admitted = false
            $0.refused = error.description
            $0.status = "refused the runtime: \(error.description)"
        }
    }

    /// Throws what `check` finds wrong with the request's input, then (connecting again first) why the
    /// device has no model, if it has none.
    private func ready(_ check: () throws(ChannelError) -> Void) throws(KeyboardFailure) {
        do {
            try check()
        } catch {
            throw KeyboardFailure(.badInput, error.message)
        }
        try requireModel()
    }

    /// Connects again if the device has no model yet; throws why it still has none.
    private func requireModel() throws(KeyboardFailure) {
        if device.model == nil { connectNow() }
        guard device.model == nil else { return }
        let state = shared.read()
        if let refused = state.refused { throw KeyboardFailure(.refused, refused) }
        throw KeyboardFailure(.unavailable, state.problem ?? "the device has no model yet")
    }

    /// Records the model the device now predicts with.
    private func adopted() {
        guard let model = device.model else { return }
        let round = device.round
        shared.update {
            $0.modelID = model.blob.id
            $0.shortID = model.shortID
            $0.round = round
            $0.admitted = true
            $0.refused = nil
            $0.problem = nil
        }
    }

    /// Runs `body` on the queue and waits for it without holding a thread of the server's pool.
    private func onQueue<Value: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(Failure) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// The page's state, read by `/state` while the queue may be busy training.
private final class SharedState: Sendable {
    private let mutex: Mutex<KeyboardState>

    init(_ state: KeyboardState) {
        mutex = Mutex(state)
    }

    func read() -> KeyboardState {
        mutex.withLock { $0 }
    }

    func update(_ change: (inout KeyboardState) -> Void) {
        mutex.withLock { change(&$0) }
    }
}

extension DeviceSession.Mode {
    /// "ml" or "fl", as `--mode` spells it.
    public var name: String {
        switch self {
        case .ml: "ml"
        case .fl: "fl"
        }
    }
}
