import Attestation
public import ByteKit
public import OpenSSLKit

/// A policy signed by the domain's policy key: a COSE_Sign1 (ES384) whose payload is the policy's JSON.
///
/// Opening one checks the signature under the policy certificate first, then reads and validates the
/// JSON, so a policy is never read from bytes that the policy key did not sign.
public struct SignedPolicy: Sendable {
    /// The COSE_Sign1 bytes, as signed or received.
    public let bytes: [UInt8]
    /// The signed JSON, exactly as signed.
    public let json: [UInt8]
    /// The policy the JSON holds.
    public let document: PolicyDocument

    /// The largest signed policy: 256 KiB. The certifier sends it in every admission reply, one frame
    /// of at most 1 MiB (docs/protocol.md) with the certificate and secrets, so a policy near the CBOR
    /// decoder's 16 MiB string limit could be signed and served but never delivered; a real policy is a
    /// few KB.
    public static let maximumSize = 256 << 10
    /// The limit for policy files, signed or JSON (the JSON is smaller than its signed form).
    public static let maximumFileSize = FileSizeLimit(bytes: maximumSize, kind: "a policy")

    /// Signs the policy JSON `json` with the policy key, after checking that it is a valid policy and
    /// that its signed form is within `maximumSize`: the checks the certifier makes, so what this signs
    /// the certifier serves.
    public static func sign(json: [UInt8], key: ECPrivateKey) throws(PolicyError) -> SignedPolicy {
        try checkSize(json.count, of: "the policy JSON")
        let document = try PolicyDocument(json: json)
        // The certifier builds its verifier from these at start; a key it could not read is refused here.
        _ = try document.trustAnchors()
        guard key.curve == .p384 else {
            throw PolicyError("the policy key is \(key.curve); policies are signed ES384 with a P-384 key")
        }
        let message: COSESign1
        do {
            message = try COSESign1.sign(payload: json, key: key, alg: .es384)
        } catch {
            throw PolicyError("cannot sign the policy: \(error.message)", cause: error)
        }
        try checkSize(message.encoded.count, of: "the signed policy")
        return SignedPolicy(bytes: message.encoded, json: json, document: document)
    }

    /// Throws unless `count` bytes of `what` are within `maximumSize`.
    private static func checkSize(_ count: Int, of what: String) throws(PolicyError) {
        guard count <= maximumSize else {
            throw PolicyError(
                "\(what) is \(count) bytes, over the limit of \(maximumSize) bytes (it travels in every admission reply)")
        }
    }

    /// Signs `document` in its canonical JSON form.
    public static func sign(_ document: PolicyDocument, key: ECPrivateKey) throws(PolicyError) -> SignedPolicy {
        try sign(json: document.jsonBytes(), key: key)
    }

    /// Opens signed policy bytes: the signature must verify under `policyCertificate`'s key, and the
    /// payload must be a valid policy. Errors say which of the two failed, and why.
    public init(opening bytes: [UInt8], policyCertificate: Certificate) throws(PolicyError) {
        try Self.checkSize(bytes.count, of: "the signed policy")
        let message: COSESign1
        do {
            message = try COSESign1(decoding: bytes)
        } catch {
            throw PolicyError(Self.notSigned(bytes, reason: error.message), cause: error)
        }
        let key: ECPublicKey
        do {
            key = try policyCertificate.publicKey
        } catch {
            throw PolicyError("the policy certificate has no usable key: \(error)", cause: error)
        }
        guard message.algorithm == .es384 else {
            throw PolicyError("the policy is signed \(message.algorithm); policies are signed ES384")
        }
        guard message.isValidSignature(with: key) else {
            throw PolicyError(
                "the policy's signature does not verify under the key of the policy \(policyCertificate) "
                    + "(the policy was changed after signing, or signed by another domain's key)")
        }
        let document: PolicyDocument
        do {
            document = try PolicyDocument(json: message.payload)
        } catch {
            throw PolicyError(path: error.path, "the signed policy is not valid: \(error.reason)", cause: error)
        }
        self.bytes = bytes
        self.json = message.payload
        self.document = document
    }

    /// How policy JSON becomes a signed policy, for messages about a file that is not one.
    public static let signingHint = "sign the policy JSON with `cml-policy sign --key CERTIFIER-STATE/policy.key --in POLICY.json --out POLICY.signed`"

    /// Why `bytes` is not a signed policy: JSON (the usual slip: the unsigned policy given where the
    /// signed one belongs) is named as such, since the CBOR decoder's reason would read it as a huge text
    /// string; anything else keeps the decoder's reason. Both say how to sign.
    static func notSigned(_ bytes: [UInt8], reason: String) -> String {
        let start = bytes.first { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }
        if start == UInt8(ascii: "{") {
            return "not a signed policy: this is policy JSON, which the policy key has not signed; \(signingHint)"
        }
        return "not a signed policy (a COSE_Sign1 of the policy JSON): \(reason); \(signingHint)"
    }

    private init(bytes: [UInt8], json: [UInt8], document: PolicyDocument) {
        self.bytes = bytes
        self.json = json
        self.document = document
    }
}
