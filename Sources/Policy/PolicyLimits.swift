/// The limits per peer that the signed policy sets for the certifier's and the runtime's servers
/// (docs/policy.md, "limits"); an absent key keeps the server's default.
///
/// They are in the policy so that every party sees the terms it is served under, and so that a domain
/// can raise them for many devices behind one address, or lower them, without a new build.
public struct PolicyLimits: Codable, Hashable, Sendable {
    /// The most connections from one source address that are not (yet) admitted with a certificate.
    public var connectionsPerAddress: Int?
    /// The most connections per admitted certificate.
    public var connectionsPerCertificate: Int?
    /// The most connections per attested platform instance.
    public var connectionsPerPlatform: Int?
    /// The most training requests of one device (by certificate) unanswered at the runtime: waiting,
    /// training, or being anchored.
    public var queuedTrainingsPerDevice: Int?
    /// The most words in one training request.
    public var wordsPerTraining: Int?

    /// The training requests per device when the policy sets none: one training and one waiting.
    public static let defaultQueuedTrainingsPerDevice = 2
    /// The words per training request when the policy sets none, so one request cannot hold the queue
    /// for long (1,000 words of 100 epochs take about a second).
    public static let defaultWordsPerTraining = 1000
    /// The highest per-peer connection limit: a server serves at most this many connections in all.
    public static let maximumConnections = 1_000_000
    /// The highest training queue per device: each waiting request holds a connection and its words.
    public static let maximumQueuedTrainingsPerDevice = 1000
    /// The highest word limit: 100,000 words are 500 kB, half the largest frame.
    public static let maximumWordsPerTraining = 100_000

    /// The queue per device that applies: the policy's, or the default.
    public var trainingQueuePerDevice: Int { queuedTrainingsPerDevice ?? Self.defaultQueuedTrainingsPerDevice }
    /// The word limit that applies: the policy's, or the default.
    public var wordsPerTrainingCap: Int { wordsPerTraining ?? Self.defaultWordsPerTraining }

    /// Limits with these values; nil keeps the server's default; `validate()` on the policy checks them.
    public init(
        connectionsPerAddress: Int? = nil, connectionsPerCertificate: Int? = nil, connectionsPerPlatform: Int? = nil,
        queuedTrainingsPerDevice: Int? = nil, wordsPerTraining: Int? = nil
    ) {
        self.connectionsPerAddress = connectionsPerAddress
        self.connectionsPerCertificate = connectionsPerCertificate
        self.connectionsPerPlatform = connectionsPerPlatform
        self.queuedTrainingsPerDevice = queuedTrainingsPerDevice
        self.wordsPerTraining = wordsPerTraining
    }

    /// Checks every range, naming the key (`limits.words-per-training`): the one check of these limits,
    /// which the signer, the certifier and the runtime all run.
    public func validate() throws(PolicyError) {
        let ranges: [(String, Int?, Int)] = [
            (CodingKeys.connectionsPerAddress.stringValue, connectionsPerAddress, Self.maximumConnections),
            (CodingKeys.connectionsPerCertificate.stringValue, connectionsPerCertificate, Self.maximumConnections),
            (CodingKeys.connectionsPerPlatform.stringValue, connectionsPerPlatform, Self.maximumConnections),
            (CodingKeys.queuedTrainingsPerDevice.stringValue, queuedTrainingsPerDevice, Self.maximumQueuedTrainingsPerDevice),
            (CodingKeys.wordsPerTraining.stringValue, wordsPerTraining, Self.maximumWordsPerTraining),
        ]
        for (key, value, maximum) in ranges {
            guard let value, !(1...maximum).contains(value) else { continue }
            throw PolicyError(path: "limits.\(key)", "is \(value); it must be between 1 and \(maximum), or absent for the default")
        }
    }

    enum CodingKeys: String, CodingKey {
        case connectionsPerAddress = "connections-per-address"
        case connectionsPerCertificate = "connections-per-certificate"
        case connectionsPerPlatform = "connections-per-platform"
        case queuedTrainingsPerDevice = "queued-trainings-per-device"
        case wordsPerTraining = "words-per-training"
    }
}
