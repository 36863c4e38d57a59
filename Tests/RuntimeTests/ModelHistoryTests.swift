import Runtime
import Testing

/// The status's history keeps the newest records up to its capacity and fills in accuracies later.
@Suite struct ModelHistoryTests {
    func record(_ round: UInt64) -> ModelRecord {
        ModelRecord(round: round, modelID: "model\(round)", updates: 1, samples: 2, rule: "train", milliseconds: 1)
    }

    @Test func keepsTheNewestUpToItsCapacityOldestFirst() {
        let history = ModelHistory(capacity: 3)
        #expect(history.latest == nil && history.all.isEmpty)
        for round in 1...5 { history.append(record(UInt64(round))) }
        #expect(history.all.map(\.round) == [3, 4, 5])
        #expect(history.latest?.round == 5)
    }

    @Test func setsTheAccuracyOfAKeptModelAndIgnoresADroppedOne() {
        let history = ModelHistory(capacity: 2)
        for round in 1...3 { history.append(record(UInt64(round))) }
        history.setValidationAccuracy(0.75, ofModel: "model2")
        history.setValidationAccuracy(0.5, ofModel: "model1")
        #expect(history.all.map(\.validationAccuracy) == [0.75, nil])
    }
}
