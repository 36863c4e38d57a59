import Foundation
@testable import Runtime
import Testing

/// File names with versions, and which files make the state at a version (docs/freshness.md).
@Suite struct CanonicalStateTests {
    @Test func namesRoundTripAndOnlyTheirOwnSpellingParses() {
        for name in [StateFileName.model(seq: 7), .global(round: 3, seq: 12), .update(round: 3, serial: "0a1b", seq: 11)] {
            #expect(StateFileName(purpose: name.purpose) == name)
        }
        #expect(StateFileName.update(round: 3, serial: "0a1b", seq: 11).description == "update-3-0a1b-11.sealed")
        for purpose in ["model", "model-07", "model-x", "global-3", "update-3-zz-1", "update-3--1", "federation", "model-1-2", "global--1"] {
            #expect(StateFileName(purpose: purpose) == nil, "\(purpose)")
        }
    }

    @Test func theStateIsTheNewestBaseAndItsRoundsUpdatesUpToTheVersion() {
        let files: [StateFileName] = [
            .global(round: 0, seq: 1), .update(round: 0, serial: "0a", seq: 2), .update(round: 0, serial: "0b", seq: 3),
            .global(round: 1, seq: 4), .update(round: 1, serial: "0a", seq: 5), .update(round: 0, serial: "0c", seq: 5),
        ]
        #expect(CanonicalState.files(files, at: 0).isEmpty)
        #expect(CanonicalState.files(files, at: 3) == [.global(round: 0, seq: 1), .update(round: 0, serial: "0a", seq: 2), .update(round: 0, serial: "0b", seq: 3)])
        // Round 1's global model makes round 0's files garbage, also a late one of a later version.
        #expect(CanonicalState.files(files, at: 5) == [.global(round: 1, seq: 4), .update(round: 1, serial: "0a", seq: 5)])
        // ML: the model of the highest version at most v.
        let models: [StateFileName] = [.model(seq: 1), .model(seq: 4), .model(seq: 9)]
        #expect(CanonicalState.files(models, at: 8) == [.model(seq: 4)])
    }

    @Test func theDigestCoversTheFederationTheVersionAndEachFilesNameAndBytes() {
        let file = (name: StateFileName.model(seq: 2), hash: [UInt8](repeating: 1, count: 32))
        let digest = CanonicalState.digest(federation: "fed", version: 2, files: [file])
        #expect(digest.count == 32)
        #expect(CanonicalState.digest(federation: "fed", version: 2, files: [file]) == digest)
        #expect(CanonicalState.digest(federation: "other", version: 2, files: [file]) != digest)
        #expect(CanonicalState.digest(federation: "fed", version: 3, files: [file]) != digest)
        #expect(CanonicalState.digest(federation: "fed", version: 2, files: [(.model(seq: 1), file.hash)]) != digest)
        #expect(CanonicalState.digest(federation: "fed", version: 2, files: [(file.name, [UInt8](repeating: 2, count: 32))]) != digest)
        #expect(CanonicalState.digest(federation: "fed", version: 2, files: []) != digest)
    }
}
