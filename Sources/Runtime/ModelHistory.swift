public import Foundation
import Synchronization

/// One model the runtime made or was given: a round's global model (FL), a training's result (ML), or the
/// provider's upload (rule "upload"), as the status and metrics report it. Holds no weights and no words:
/// ids and figures only.
public struct ModelRecord: Sendable, Equatable {
    /// The model's round (the round it is the global model of, in FL).
    public let round: UInt64
    /// The model's short id (the first 8 hex digits of its SHA-256).
    public let modelID: String
    /// FL: the updates aggregated into it; ML: 1; an upload: 0.
    public let updates: Int
    /// The samples it was trained on (FL: the sum the devices reported, capped by the policy).
    public let samples: UInt64
    /// FL: the aggregation rule; ML: "train"; the provider's upload: "upload".
    public let rule: String
    /// FL: milliseconds from the round's close to its publication; ML: the training's milliseconds; an upload: 0.
    public let milliseconds: Double
    /// FL: the mean of the losses the devices reported with their updates (nil if none did); ML: the
    /// training's last loss; an upload: nil.
    public var meanLoss: Double?
    /// The share of the validation prefixes the model completes to the right word, when a validation list is
    /// known; set a moment after the record is appended (`ModelValidation`).
    public var validationAccuracy: Double?
    /// When it was made.
    public let madeAt: Date

    /// A record of the model `modelID` of `round`.
    public init(
        round: UInt64, modelID: String, updates: Int, samples: UInt64, rule: String, milliseconds: Double,
        meanLoss: Double? = nil, validationAccuracy: Double? = nil, madeAt: Date = Date()
    ) {
        self.round = round
        self.modelID = modelID
        self.updates = updates
        self.samples = samples
        self.rule = rule
        self.milliseconds = milliseconds
        self.meanLoss = meanLoss
        self.validationAccuracy = validationAccuracy
        self.madeAt = madeAt
    }
}

/// The last models the runtime made, newest last, for `/status` and the console's lineage and chart.
/// Kept in memory only: a restart starts a new history (the sealed state holds the models themselves).
public final class ModelHistory: Sendable {
    /// How many records are kept.
    public let capacity: Int
    private let records = Mutex([ModelRecord]())

    /// A history keeping the last `capacity` records.
    public init(capacity: Int = 20) {
        self.capacity = max(1, capacity)
    }

    /// Adds `record` as the newest, dropping the oldest beyond the capacity.
    public func append(_ record: ModelRecord) {
        records.withLock { list in
            list.append(record)
            if list.count > capacity { list.removeFirst(list.count - capacity) }
        }
    }

    /// Sets the validation accuracy of the record of model `modelID`, if it is still kept.
    public func setValidationAccuracy(_ accuracy: Double, ofModel modelID: String) {
        records.withLock { list in
            guard let index = list.lastIndex(where: { $0.modelID == modelID }) else { return }
            list[index].validationAccuracy = accuracy
        }
    }

    /// The records, oldest first.
    public var all: [ModelRecord] { records.withLock { $0 } }

    /// The newest record, if any.
    public var latest: ModelRecord? { records.withLock { $0.last } }
}
