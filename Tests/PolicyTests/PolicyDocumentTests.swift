import Foundation
import Policy
import Testing

@Suite struct PolicyDocumentTests {
    static let measurement = String(repeating: "ab", count: 32)
    static let instance = "01" + String(repeating: "cd", count: 32)

    /// A valid policy as JSON text, with `edit` applied to its object form first.
    static func json(_ edit: (inout [String: Any]) -> Void = { _ in }) -> [UInt8] {
        var object: [String: Any] = [
            "format": "cml-policy",
            "version": 1,
            "roles": [
                "runtime": ["initial-measurements": [measurement], "secrets": ["sealing"]],
                "device": ["initial-measurements": [measurement]],
            ],
            "platforms": [["instance-id": instance, "public-key": "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"]],
            "channels": [["from": "device", "to": "runtime"]],
            "fl": ["aggregation": "median", "min-updates": 2, "quorum": 1, "round-deadline-seconds": 30],
        ]
        edit(&object)
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    @Test func readsAValidPolicyWithDefaults() throws {
        let policy = try PolicyDocument(json: Self.json())
        #expect(policy.roles["runtime"]?.secrets == ["sealing"])
        #expect(policy.roles["device"]?.secrets == [])
        #expect(policy.roles["device"]?.initialMeasurements.first?.bytes == [UInt8](repeating: 0xab, count: 32))
        #expect(policy.admissionLifetimeSeconds == 3600)
        #expect(policy.nonceLifetimeSeconds == 60)
        #expect(policy.federated?.aggregation == .median)
        #expect(policy.allowsChannel(from: .device, to: .runtime))
        #expect(!policy.allowsChannel(from: .runtime, to: .device))
        #expect(policy.rolesAllowedToConnect(to: .runtime) == [.device])
    }

    @Test func canonicalJSONRoundTripsToTheSameBytes() throws {
        let policy = try PolicyDocument(json: Self.json())
        let again = try PolicyDocument(json: policy.jsonBytes())
        #expect(again == policy)
        #expect(again.jsonBytes() == policy.jsonBytes())
    }

    @Test(arguments: [
        ("format", "x", "format: is \"x\", expected \"cml-policy\""),
        ("version", 2, "version: is 2; this program understands version 1"),
        ("nonce-lifetime-seconds", 0, "nonce-lifetime-seconds: is 0; it must be between 1 and 3600"),
        ("admission-lifetime-seconds", 99_999_999, "admission-lifetime-seconds: is 99999999; it must be between 1 and 2592000"),
        ("revocation-poll-seconds", 0, "revocation-poll-seconds: is 0; it must be between 1 and 3600, or absent for 30"),
    ] as [(String, any Sendable, String)])
    func rejectsBadTopLevelValues(key: String, value: any Sendable, message: String) {
        let error = #expect(throws: PolicyError.self) { try PolicyDocument(json: Self.json { $0[key] = value }) }
        #expect(error?.description == message)
    }

    @Test func namesTheMissingKey() {
        #expect(throws: PolicyError(path: "roles", "is missing")) {
            try PolicyDocument(json: Self.json { $0["roles"] = nil })
        }
        #expect(throws: PolicyError(path: "roles.device.initial-measurements", "is missing")) {
            try PolicyDocument(json: Self.json { $0["roles"] = ["device": ["secrets": []]] })
        }
    }

    @Test func namesTheBadHexValue() {
        #expect(throws: PolicyError(path: "roles.device.initial-measurements[0]", "\"zz\" is not hexadecimal text")) {
            try PolicyDocument(json: Self.json { $0["roles"] = ["device": ["initial-measurements": ["zz"]]] })
        }
    }

    @Test func rejectsAWrongMeasurementSize() {
        #expect(throws: PolicyError(path: "roles.device.initial-measurements[0]", "has 2 bytes, expected 32, 48 or 64")) {
            try PolicyDocument(json: Self.json { $0["roles"] = ["device": ["initial-measurements": ["abcd"]]] })
        }
    }

    @Test func rejectsAChannelToAnUnknownRole() {
        #expect(throws: PolicyError(path: "channels[0].from", "names role \"provider\", which the policy does not define")) {
            try PolicyDocument(json: Self.json { $0["channels"] = [["from": "provider", "to": "runtime"]] })
        }
    }

    @Test func rejectsABadInstanceID() {
        #expect(throws: PolicyError(path: "platforms[0].instance-id", "must be 33 bytes beginning with 01 (has 2)")) {
            try PolicyDocument(json: Self.json { $0["platforms"] = [["instance-id": "0101", "public-key": "-----BEGIN PUBLIC KEY-----"]] })
        }
    }

    @Test func countsOneUpdatePerPlatformUnlessThePolicySaysPerCertificate() throws {
        #expect(try PolicyDocument(json: Self.json()).federated?.updateCounting == .platform)
        let perCertificate = try PolicyDocument(json: Self.json {
            $0["fl"] = ["aggregation": "median", "min-updates": 2, "quorum": 1, "round-deadline-seconds": 30, "one-update-per": "certificate"]
        })
        #expect(perCertificate.federated?.updateCounting == .certificate)
        #expect(try PolicyDocument(json: perCertificate.jsonBytes()) == perCertificate)
        #expect(throws: PolicyError(path: "fl.one-update-per", "is \"device\"; it must be \"platform\" or \"certificate\"")) {
            try PolicyDocument(json: Self.json {
                $0["fl"] = ["aggregation": "median", "min-updates": 2, "quorum": 1, "round-deadline-seconds": 30, "one-update-per": "device"]
            })
        }
    }

    @Test func capsAdmissionsPerPlatformOnlyWhenAsked() throws {
        #expect(try PolicyDocument(json: Self.json()).maxAdmissionsPerPlatformPerHour == nil)
        #expect(try PolicyDocument(json: Self.json { $0["max-admissions-per-platform-per-hour"] = 5 }).maxAdmissionsPerPlatformPerHour == 5)
        for bad in [0, 100_001] {
            #expect(
                throws: PolicyError(
                    path: "max-admissions-per-platform-per-hour", "is \(bad); it must be between 1 and 100000, or absent for no cap")
            ) {
                try PolicyDocument(json: Self.json { $0["max-admissions-per-platform-per-hour"] = bad })
            }
        }
    }

    @Test func limitsAreOptionalAndEachBadValueIsRefusedByName() throws {
        let plain = try PolicyDocument(json: Self.json())
        #expect(plain.limits == nil)
        #expect(plain.effectiveLimits.trainingQueuePerDevice == 2 && plain.effectiveLimits.wordsPerTrainingCap == 1000)
        let set = try PolicyDocument(json: Self.json {
            $0["limits"] = [
                "connections-per-address": 8, "connections-per-certificate": 4, "connections-per-platform": 16,
                "queued-trainings-per-device": 3, "words-per-training": 50,
            ]
        })
        #expect(
            set.limits == PolicyLimits(
                connectionsPerAddress: 8, connectionsPerCertificate: 4, connectionsPerPlatform: 16, queuedTrainingsPerDevice: 3,
                wordsPerTraining: 50))
        #expect(try PolicyDocument(json: set.jsonBytes()) == set)
        let maxima = [
            ("connections-per-address", 1_000_000), ("connections-per-certificate", 1_000_000), ("connections-per-platform", 1_000_000),
            ("queued-trainings-per-device", 1000), ("words-per-training", 100_000),
        ]
        for (key, maximum) in maxima {
            for bad in [0, -1, maximum + 1] {
                #expect(
                    throws: PolicyError(path: "limits.\(key)", "is \(bad); it must be between 1 and \(maximum), or absent for the default")
                ) {
                    try PolicyDocument(json: Self.json { $0["limits"] = [key: bad] })
                }
            }
        }
        #expect(throws: PolicyError(path: "limits.words-per-training", "has the wrong type (expected a number)")) {
            try PolicyDocument(json: Self.json { $0["limits"] = ["words-per-training": "many"] })
        }
    }

    @Test func rejectsBadFederatedSettings() {
        #expect(throws: PolicyError(path: "fl.quorum", "must be between 1 and min-updates (2)")) {
            try PolicyDocument(json: Self.json { $0["fl"] = ["aggregation": "fedavg", "min-updates": 2, "quorum": 3, "round-deadline-seconds": 5] })
        }
        #expect(throws: PolicyError(path: "fl.trim-fraction", "is required by the trimmed-mean rule")) {
            try PolicyDocument(json: Self.json { $0["fl"] = ["aggregation": "trimmed-mean", "min-updates": 2, "quorum": 1, "round-deadline-seconds": 5] })
        }
        #expect(throws: PolicyError(path: "fl.trim-fraction", "must be at least 0 and below 0.5")) {
            try PolicyDocument(json: Self.json { $0["fl"] = ["aggregation": "trimmed-mean", "trim-fraction": 0.5, "min-updates": 2, "quorum": 1, "round-deadline-seconds": 5] })
        }
    }

    @Test func rejectsARoleNameThatIsNotOne() {
        for name in ["Device", "run time", "", String(repeating: "r", count: 65)] {
            #expect(throws: PolicyError(path: "roles.\(name)", "a role name must be 1 to 64 lowercase letters and hyphens")) {
                try PolicyDocument(json: Self.json { $0["roles"] = [name: ["initial-measurements": [Self.measurement]]]; $0["channels"] = [] })
            }
        }
    }

    @Test func theFederationIdIsCheckedAndDefaultsToTheNameOrDefault() throws {
        for id in ["Fed", "a b", "../x", "", String(repeating: "f", count: 65)] {
            #expect(throws: PolicyError(path: "federation", "\(id.debugDescription) \(FederationID.rule)")) {
                try PolicyDocument(json: Self.json { $0["federation"] = id })
            }
        }
        #expect(try PolicyDocument(json: Self.json { $0["federation"] = "demo-2"; $0["name"] = "other" }).federationID == "demo-2")
        #expect(try PolicyDocument(json: Self.json { $0["name"] = "demo" }).federationID == "demo")
        // A name for people that is no id (spaces, capitals) does not become one.
        #expect(try PolicyDocument(json: Self.json { $0["name"] = "demo (ML mode)" }).federationID == "default")
        #expect(try PolicyDocument(json: Self.json()).federationID == "default")
    }

    @Test func rejectsAnInvertedLifecycleRange() {
        #expect(throws: PolicyError(path: "platform-reference.lifecycles[1]", "min 12543 is above max 12288: the range holds no state")) {
            try PolicyDocument(json: Self.json {
                $0["platform-reference"] = ["lifecycles": [["min": 0x3000, "max": 0x30ff], ["min": 0x30ff, "max": 0x3000]]]
            })
        }
        // Appraisal never traps on one, even in a document that skipped validation.
        #expect(!LifecycleRange(min: 0x30ff, max: 0x3000).contains(0x3000))
        #expect(LifecycleRange.secured.contains(0x3000) && LifecycleRange.secured.contains(0x30ff))
        #expect(!LifecycleRange.secured.contains(0x2fff) && !LifecycleRange.secured.contains(0x3100))
    }

    @Test func rejectsARepeatedKey() throws {
        let valid = String(decoding: Self.json(), as: UTF8.self)
        #expect(valid.hasPrefix("{"))
        func refusal(_ text: String) -> PolicyError? {
            #expect(throws: PolicyError.self) { try PolicyDocument(json: Array(text.utf8)) }
        }
        let message = "appears twice in one object; JSON readers disagree on which one counts, so a policy may not repeat a key"
        // Foundation's JSONDecoder would take the first "roles", jq and Python the last.
        let twice = "{\"roles\": {\"device\": {\"initial-measurements\": [\"\(String(repeating: "00", count: 32))\"]}}, " + valid.dropFirst()
        #expect(refusal(twice) == PolicyError(path: "roles", message))
        // An escape spells the same key.
        #expect(refusal("{\"\\u0066ormat\": \"cml-policy\", " + valid.dropFirst()) == PolicyError(path: "format", message))
        // Deeper down, with the path of the repetition.
        let nested = valid.replacingOccurrences(of: "\"secrets\":", with: "\"secrets\": [], \"secrets\":")
        #expect(nested != valid)
        #expect(refusal(nested) == PolicyError(path: "roles.runtime.secrets", message))
        let inList = valid.replacingOccurrences(of: "\"from\":", with: "\"to\": \"device\", \"from\":")
        #expect(refusal(inList) == PolicyError(path: "channels[0].to", message))
        // The same key in two objects is no repetition.
        #expect(try PolicyDocument(json: Self.json()).roles.count == 2)
    }

    @Test func rejectsSomethingThatIsNotJSON() {
        #expect(throws: PolicyError("not valid JSON")) { try PolicyDocument(json: Array("{not json".utf8)) }
    }
}
