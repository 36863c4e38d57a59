import CBORKit
import Foundation
import Testing
import WordModel

@Suite struct ModelBlobTests {
    let model = Model(weights: ModelWeights(seed: 21), round: 7, samples: 12_345)

    /// The blob of `model` with its map changed by `edit`.
    func blob(_ edit: (inout CBORMap) -> Void) throws -> [UInt8] {
        var map = try #require(try CBORDecoder().decode(ModelBlob.encode(model)).map)
        edit(&map)
        return CBOREncoder.encode(.map(map))
    }

    func expectRejected(_ blob: [UInt8], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: WordModelError.malformedBlob(message), sourceLocation: sourceLocation) { try ModelBlob.decode(blob) }
    }

    @Test func roundTripIsExact() throws {
        let blob = ModelBlob.encode(model)
        #expect(try ModelBlob.decode(blob) == model)
        #expect(ModelBlob.encode(model) == blob)
        // Bit patterns survive: negative zero, the smallest subnormal, the largest float.
        var parameters = model.weights.parameters
        parameters[0] = -0.0
        parameters[1] = .leastNonzeroMagnitude
        parameters[1595] = .greatestFiniteMagnitude
        let odd = Model(weights: try ModelWeights(parameters: parameters), round: ModelBlob.maximumRound, samples: 0)
        let decoded = try ModelBlob.decode(ModelBlob.encode(odd))
        #expect(decoded.weights.parameters.map(\.bitPattern) == parameters.map(\.bitPattern))
        #expect(decoded.round == ModelBlob.maximumRound)
    }

    /// A model DP-FedAvg released carries its privacy record, which decodes exactly; a model without
    /// one encodes no `privacy` key, so older blobs and their ids are unchanged.
    @Test func thePrivacyRecordRoundTripsAndIsOptional() throws {
        let privacy = ModelPrivacy(epsilon: 1.25, delta: 1e-5, rounds: 3, noiseMultiplier: 1.1, samplingRate: 0.01, clipNorm: 5)
        var released = model
        released.privacy = privacy
        let bytes = ModelBlob.encode(released)
        #expect(try ModelBlob.decode(bytes) == released)
        #expect(try ModelBlob.decode(bytes).privacy == privacy)
        #expect(try CBORDecoder().decode(ModelBlob.encode(model)).map?[text: "privacy"] == nil)
        #expect(try ModelBlob.decode(ModelBlob.encode(model)).privacy == nil)
        #expect(privacy.description == "epsilon 1.25 at delta 1e-05 after 3 rounds (noise multiplier 1.1, sampling rate 0.01, clip norm 5.0)")
    }

    @Test func aMalformedPrivacyRecordIsRefusedByName() throws {
        let notMap = try blob { $0[text: "privacy"] = .text("none") }
        #expect(throws: WordModelError.malformedBlob("key \"privacy\" is a CBOR text string, expected a map")) { try ModelBlob.decode(notMap) }
        let negative = try blob {
            $0[text: "privacy"] = .map([
                "epsilon": .float(-1), "delta": .float(1e-5), "rounds": .unsigned(1), "noise-multiplier": .float(1),
                "sampling-rate": .float(1), "clip-norm": .float(1),
            ])
        }
        #expect(throws: WordModelError.malformedBlob("key \"privacy\" has \"epsilon\" that is not a finite number of at least 0")) {
            try ModelBlob.decode(negative)
        }
    }

    @Test func aRoundOverTheMaximumIsRefusedByName() throws {
        // 2^64-1 was acknowledged once, then trapped `round + 1` on the next train request.
        for round in [ModelBlob.maximumRound + 1, .max] {
            let blob = ModelBlob.encode(Model(weights: model.weights, round: round, samples: 1))
            expectRejected(blob, "key \"round\" is \(round), over the maximum round 9007199254740991")
        }
        #expect(try ModelBlob.nextRound(after: 41) == 42)
        #expect(throws: WordModelError.malformedBlob(
            "key \"round\" is 9007199254740991, the maximum round (9007199254740991); a model of it cannot be trained further"
        )) { try ModelBlob.nextRound(after: ModelBlob.maximumRound) }
    }

    @Test func layoutFollowsTheDesign() throws {
        let map = try #require(try CBORDecoder().decode(ModelBlob.encode(model)).map)
        #expect(map[text: "format"] == .text("cml-model"))
        #expect(map[text: "version"] == .unsigned(1))
        #expect(map[text: "architecture"] == .text("simple-rnn"))
        #expect(map[text: "alphabet"] == .text("abcdefghijklmnopqrstuvwxyz- "))
        #expect(map[text: "steps"] == .unsigned(3))
        #expect(map[text: "units"] == .unsigned(28))
        #expect(map[text: "round"] == .unsigned(7))
        #expect(map[text: "samples"] == .unsigned(12_345))
        #expect(map.count == 11)
        // Float32 little-endian, row-major: kernel[0][1] is bytes 4..<8.
        let kernel = try #require(map[text: "kernel"]?.bytes)
        let value = model.weights[.kernel][1].bitPattern
        #expect(Array(kernel[4..<8]) == [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)])
        #expect(map[text: "recurrent_kernel"]?.bytes?.count == 3136)
        #expect(map[text: "bias"]?.bytes?.count == 112)
    }

    @Test func idIsTheSHA256OfTheBlob() {
        #expect(ModelBlob.id(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ModelBlob.shortID(of: Array("abc".utf8)) == "ba7816bf")
    }

    @Test func unknownKeysAreIgnored() throws {
        let blob = try blob { $0[text: "comment"] = .text("made by a later version"); $0[int: 5] = .null }
        #expect(try ModelBlob.decode(blob) == model)
    }

    @Test func notCBORAndTruncated() throws {
        expectRejected([0xff], "not a model blob: not CBOR, or not a CBOR map (it starts with byte 0xff)")
        expectRejected(Array("hello\n".utf8), "not a model blob: not CBOR, or not a CBOR map (it starts with byte 0x68)")
        expectRejected([], "model blob is empty")
        // A map head followed by a stray break (0xff) is no CBOR at all.
        do {
            _ = try ModelBlob.decode([0xa1, 0xff, 0x00, 0x00])
            Issue.record("malformed CBOR was accepted")
        } catch {
            #expect(error.description.hasPrefix("not a model blob: not CBOR ("))
        }
        expectRejected(CBOREncoder.encode(.array([])), "not a model blob: a CBOR array, expected a map")
        let whole = ModelBlob.encode(model)
        for cut in [1, 10, 3000, whole.count - 1] {
            do {
                _ = try ModelBlob.decode(Array(whole.prefix(cut)))
                Issue.record("a blob cut to \(cut) bytes was accepted")
            } catch {
                #expect(error.description.hasPrefix("model blob is truncated (\(cut) bytes; "), "cut to \(cut)")
            }
        }
    }

    @Test(arguments: ["format", "version", "architecture", "alphabet", "steps", "units", "kernel", "recurrent_kernel", "bias", "round", "samples"])
    func missingKeyIsNamed(_ key: String) throws {
        expectRejected(try blob { $0[text: key] = nil }, "missing key \"\(key)\"")
    }

    @Test func wrongValuesAreNamed() throws {
        expectRejected(try blob { $0[text: "format"] = .text("cml-other") }, "unknown format \"cml-other\", expected \"cml-model\"")
        expectRejected(try blob { $0[text: "version"] = .unsigned(2) }, "unsupported version 2 of cml-model, expected 1")
        expectRejected(try blob { $0[text: "version"] = .text("1") }, "key \"version\" is a CBOR text string, expected an unsigned integer")
        expectRejected(try blob { $0[text: "architecture"] = .text("lstm") }, "key \"architecture\" is \"lstm\", expected \"simple-rnn\"")
        expectRejected(try blob { $0[text: "alphabet"] = .text("abc") }, "key \"alphabet\" is \"abc\", expected \"abcdefghijklmnopqrstuvwxyz- \"")
        expectRejected(try blob { $0[text: "units"] = .unsigned(32) }, "key \"units\" is 32, expected 28")
        expectRejected(try blob { $0[text: "steps"] = .negative(2) }, "key \"steps\" is a CBOR negative integer, expected an unsigned integer")
        expectRejected(try blob { $0[text: "round"] = .float(1.5) }, "key \"round\" is a CBOR float, expected an unsigned integer")
        expectRejected(try blob { $0[text: "kernel"] = .text("weights") }, "key \"kernel\" is a CBOR text string, expected a byte string")
    }

    @Test func tensorSizesAreChecked() throws {
        expectRejected(
            try blob { $0[text: "kernel"] = .bytes([UInt8](repeating: 0, count: 3132)) },
            "tensor \"kernel\" has 3132 bytes, expected 3136 (28 x 28 float32)")
        expectRejected(
            try blob { $0[text: "recurrent_kernel"] = .bytes([]) },
            "tensor \"recurrent_kernel\" has 0 bytes, expected 3136 (28 x 28 float32)")
        expectRejected(
            try blob { $0[text: "bias"] = .bytes([UInt8](repeating: 0, count: 116)) }, "tensor \"bias\" has 116 bytes, expected 112 (28 float32)")
    }

    @Test func nonFiniteWeightsAreNamed() throws {
        func replacing(_ key: String, at index: Int, with value: Float) throws -> [UInt8] {
            try blob { map in
                var bytes = map[text: key]!.bytes!
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(4 * index..<4 * index + 4, with: $0) }
                map[text: key] = .bytes(bytes)
            }
        }
        expectRejected(try replacing("kernel", at: 3 * 28 + 7, with: .nan), "tensor \"kernel\" holds NaN at [3][7]")
        expectRejected(try replacing("recurrent_kernel", at: 783, with: -.infinity), "tensor \"recurrent_kernel\" holds -inf at [27][27]")
        expectRejected(try replacing("bias", at: 5, with: .infinity), "tensor \"bias\" holds inf at [5]")
    }

    @Test func modelFilesNameTheirPath() throws {
        let path = NSTemporaryDirectory() + "blob-test-\(UUID().uuidString).cmlm"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let blob = try ModelFile.write(model, to: path)
        #expect(try ModelFile.read(path).model == model)
        #expect(try ModelFile.read(path) == blob)
        // Writing again replaces the file whole.
        try ModelFile.write(Model(seed: 1), to: path)
        #expect(try ModelFile.read(path).model == Model(seed: 1))
        try Data([0xff]).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ModelFile.read(path)
            Issue.record("a file of one 0xff byte was accepted")
        } catch {
            #expect(error.description == "\(path): not a model blob: not CBOR, or not a CBOR map (it starts with byte 0xff)")
        }
        #expect(throws: WordModelError.fileFailed(path: "/nonexistent/m.cmlm", reason: "no such file or directory")) {
            try ModelFile.read("/nonexistent/m.cmlm")
        }
        #expect(throws: WordModelError.fileFailed(path: "/nonexistent/m.cmlm", reason: "no such file or directory")) {
            try ModelFile.write(model, to: "/nonexistent/m.cmlm")
        }
    }
}
