import Attestation
import ByteKit
import Foundation
import OpenSSLKit
import Policy
import Testing
import WordModel

/// Files an attacker controls given to the built executables: huge, endless or special files, a model
/// at round 2^64-1, policies the certifier would refuse. Each must end in exit 1 with a message, promptly.
@Suite struct HostileFilesTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-hostile-\(UUID().uuidString)").path
        try FileBytes.makeDirectory(folder)
    }

    /// A sparse file of `size` bytes at `name` in the folder (no disk space is used).
    func sparse(_ name: String, size: UInt64 = 40 << 30) throws -> String {
        let path = "\(folder)/\(name)"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: size)
        try handle.close()
        return path
    }

    @Test func hugeAndSpecialFilesEndInExitOneNamingTheLimitOrTheKind() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let big = try sparse("big.bin")
        let domain = try Domain()
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        // The 40 GB file aborted each of these with "failed to allocate"; /dev/zero trapped, /dev/urandom hung.
        let commands: [(String, (String) -> [String], FileSizeLimit)] = [
            ("cml-provider", { ["inspect", $0] }, ModelBlob.maximumFileSize),
            ("cml-device", { ["predict", "--model", $0, "abo"] }, ModelBlob.maximumFileSize),
            ("cml-token", { ["inspect", $0] }, CCAToken.maximumFileSize),
            ("cml-policy", { ["show", $0, "--policy-cert", domain.policyCertificate] }, SignedPolicy.maximumFileSize),
            ("cml-provider", { ["train", "--words", $0, "--epochs", "1", "--out", "\(folder)/out.cmlm"] }, TrainingSet.maximumWordFileSize),
        ]
        for (program, arguments, limit) in commands {
            let huge = try Executables.run(program, arguments(big))
            #expect(huge.status == 1, "\(program): \(huge.standardError)")
            #expect(huge.standardError.contains("\(big): is 42949672960 bytes, over \(limit)"), "\(program): \(huge.standardError)")
            for device in ["/dev/zero", "/dev/urandom"] {
                let special = try Executables.run(program, arguments(device))
                #expect(special.status == 1, "\(program) \(device): \(special.standardError)")
                #expect(
                    special.standardError.contains("\(device): is a character device, not a regular file (expected \(limit.kind))"),
                    "\(program) \(device): \(special.standardError)")
            }
        }
        let certifier = try Executables.run("cml-certifier", ["serve", "--state", domain.state, "--policy", big, "--listen", "127.0.0.1:0"])
        #expect(certifier.status == 1)
        #expect(certifier.standardError.contains("\(big): is 42949672960 bytes, over \(SignedPolicy.maximumFileSize)"))
        let signer = try Executables.run("cml-policy", ["sign", "--key", "\(domain.state)/policy.key", "--in", big, "--out", "\(folder)/x"])
        #expect(signer.status == 1)
        #expect(signer.standardError.contains("\(big): is 42949672960 bytes, over \(SignedPolicy.maximumFileSize)"))
    }

    @Test func trainingFromAModelOfRoundTwoToTheSixtyFourMinusOneEndsInExitOne() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let words = Executables.repositoryRoot.appendingPathComponent("data/words-short.txt").path
        let weights = Model(seed: 1).weights
        for (round, message) in [
            (UInt64.max, "key \"round\" is 18446744073709551615, over the maximum round 9007199254740991"),
            (ModelBlob.maximumRound, "key \"round\" is 9007199254740991, the maximum round (9007199254740991); a model of it cannot be trained further"),
        ] {
            let model = "\(folder)/round.cmlm"
            try FileBytes.writeAtomically(ModelBlob.encode(Model(weights: weights, round: round, samples: 1)), to: model)
            let train = try Executables.run("cml-provider", ["train", "--from", model, "--words", words, "--epochs", "1", "--out", "\(folder)/next.cmlm"])
            #expect(train.status == 1, "\(train.standardError)")
            #expect(train.standardError.contains(message), "\(train.standardError)")
            #expect(!FileBytes.exists("\(folder)/next.cmlm"))
        }
    }

    @Test func theSignerRefusesWhatTheCertifierRefusesWithTheSameReason() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let domain = try Domain(name: "fl")
        defer { try? FileManager.default.removeItem(atPath: domain.folder) }
        let original = try FileBytes.read("\(domain.folder)/policy.json", limit: SignedPolicy.maximumFileSize)
        let policyKey = try ECPrivateKey(pem: PEMFile.read("\(domain.state)/policy.key"))

        /// The policy JSON with `edit` applied.
        func edited(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
            edit(&object)
            return Array(try JSONSerialization.data(withJSONObject: object))
        }
        var cases: [(json: [UInt8], reason: String)] = [
            (try edited { policy in
                var fl = policy["fl"] as? [String: Any] ?? [:]
                fl["round-deadline-seconds"] = 1e300
                policy["fl"] = fl
            }, "fl.round-deadline-seconds: is 1e+300; it must be a number of seconds between 0.001 and 2592000"),
        ]
        for name in ["../../x", "a/b", "..", ".", "", "a\u{0}b"] {
            let json = try edited { policy in
                var roles = policy["roles"] as? [String: Any] ?? [:]
                var runtime = roles["runtime"] as? [String: Any] ?? [:]
                runtime["secrets"] = [name]
                roles["runtime"] = runtime
                policy["roles"] = roles
            }
            cases.append((json, "roles.runtime.secrets[0]: \(name.debugDescription) \(SecretName.rule)"))
        }
        for (index, (json, reason)) in cases.enumerated() {
            try FileBytes.writeAtomically(json, to: "\(folder)/bad.json")
            let sign = try Executables.run(
                "cml-policy", ["sign", "--key", "\(domain.state)/policy.key", "--in", "\(folder)/bad.json", "--out", "\(folder)/bad.signed"])
            #expect(sign.status == 1, "\(sign.standardError)")
            #expect(sign.standardError.contains(reason), "\(sign.standardError)")
            #expect(!FileBytes.exists("\(folder)/bad.signed"))
            // Signed anyway, by hand: the certifier refuses it with the same path and reason.
            guard index < 3 else { continue }
            let signed = try COSESign1.sign(payload: json, key: policyKey, alg: .es384)
            try FileBytes.writeAtomically(signed.encoded, to: "\(folder)/forced.signed")
            let serve = try Executables.run(
                "cml-certifier", ["serve", "--state", domain.state, "--policy", "\(folder)/forced.signed", "--listen", "127.0.0.1:0"])
            #expect(serve.status == 1)
            let (path, detail) = try #require(reason.firstRange(of: ": ").map { (reason[..<$0.lowerBound], reason[$0.upperBound...]) })
            #expect(serve.standardError.contains("refusing to serve this policy: \(path): the signed policy is not valid: \(detail)"), "\(serve.standardError)")
        }
    }
}
