public import CBORKit
public import OpenSSLKit

/// A COSE_Sign1 message (RFC 9052 §4.2): `18([protected bstr, unprotected map, payload bstr, signature bstr])`.
///
/// The protected header and the payload are kept exactly as received, because the signature covers
/// those bytes; re-encoding either could turn a forged token into a valid-looking one or a valid one
/// into a failure.
public struct COSESign1: Sendable {
    /// The CBOR tag of a COSE_Sign1 message.
    public static let tag: UInt64 = 18

    /// The protected header's bytes, exactly as received.
    public let protectedHeader: [UInt8]
    /// The algorithm named by the protected header (label 1).
    public let algorithm: COSEAlgorithm
    /// The unprotected header (not signed; CCA tokens leave it empty).
    public let unprotectedHeader: CBORMap
    /// The payload's bytes, exactly as received.
    public let payload: [UInt8]
    /// The raw `r||s` signature.
    public let signature: [UInt8]

    /// Reads a decoded item, which must be tag 18 around a four-element array of the right types.
    public init(decoding value: CBORValue, decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        guard case .tagged(let tag, let content) = value else {
            throw AttestationError(.structure, "a COSE_Sign1 must be tagged 18, found \(value.typeName) \(value.shortDescription)")
        }
        guard tag == Self.tag else {
            throw AttestationError(.structure, "a COSE_Sign1 must be tagged 18, found tag \(tag)")
        }
        guard case .array(let parts) = content, parts.count == 4 else {
            throw AttestationError(.structure, "a COSE_Sign1 is an array of 4 items, found \(Self.shape(content))")
        }
        guard case .bytes(let protectedHeader) = parts[0] else {
            throw AttestationError(.structure, "the COSE_Sign1 protected header is \(parts[0].typeWithArticle), expected a byte string")
        }
        guard case .map(let unprotectedHeader) = parts[1] else {
            throw AttestationError(.structure, "the COSE_Sign1 unprotected header is \(parts[1].typeWithArticle), expected a map")
        }
        guard case .bytes(let payload) = parts[2] else {
            throw AttestationError(.structure, "the COSE_Sign1 payload is \(parts[2].typeWithArticle), expected a byte string (detached payloads are not supported)")
        }
        guard case .bytes(let signature) = parts[3] else {
            throw AttestationError(.structure, "the COSE_Sign1 signature is \(parts[3].typeWithArticle), expected a byte string")
        }
        self.algorithm = try Self.algorithm(inProtectedHeader: protectedHeader, decoder: decoder)
        self.protectedHeader = protectedHeader
        self.unprotectedHeader = unprotectedHeader
        self.payload = payload
        self.signature = signature
    }

    /// Decodes `bytes`, which must hold exactly one COSE_Sign1.
    public init(decoding bytes: [UInt8], decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        try self.init(decoding: decoder.item(bytes, what: "the COSE_Sign1"), decoder: decoder)
    }

    /// The label of the x5chain header parameter (RFC 9360): the signer's certificate, DER.
    public static let x5chainLabel = 33

    /// Signs `payload` with `key`; `alg` defaults to the one that fits the key's curve. `certificate`
    /// (the DER of the key's certificate), when given, goes in the protected header as x5chain, so the
    /// signature covers it too.
    public static func sign(
        payload: [UInt8], key: ECPrivateKey, alg: COSEAlgorithm? = nil, certificate: [UInt8]? = nil
    ) throws(AttestationError) -> COSESign1 {
        let algorithm = alg ?? COSEAlgorithm(curve: key.curve)
        guard algorithm.curve == key.curve else {
            throw AttestationError(.unsupportedAlgorithm, "\(algorithm) needs a \(algorithm.curve) key, this key is \(key.curve)")
        }
        var header: CBORMap = [1: CBORValue(algorithm.rawValue)]
        if let certificate { header[int: Self.x5chainLabel] = .bytes(certificate) }
        let protectedHeader = CBOREncoder.encode(.map(header))
        let toBeSigned = toBeSigned(protectedHeader: protectedHeader, payload: payload)
        do {
            let signature = try key.signature(for: toBeSigned, digest: algorithm.digest)
            return COSESign1(protectedHeader: protectedHeader, algorithm: algorithm, payload: payload, signature: signature)
        } catch {
            throw AttestationError(.invalidKey, "signing a COSE_Sign1: \(error)", cause: error)
        }
    }

    private init(protectedHeader: [UInt8], algorithm: COSEAlgorithm, payload: [UInt8], signature: [UInt8]) {
        self.protectedHeader = protectedHeader
        self.algorithm = algorithm
        self.unprotectedHeader = CBORMap()
        self.payload = payload
        self.signature = signature
    }

    /// The signer's certificate (DER) that the protected header carries as x5chain (one byte string, or
    /// the first of an array); nil when it carries none. Throws if x5chain is there but not byte strings.
    public func protectedCertificate(decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) -> [UInt8]? {
        let header = protectedHeader.isEmpty ? CBORMap() : try decoder.map(protectedHeader, what: "the COSE_Sign1 protected header")
        switch header[int: Self.x5chainLabel] {
        case nil: return nil
        case .bytes(let der): return der
        case .array(let items):
            guard case .bytes(let der) = items.first else { break }
            return der
        default: break
        }
        throw AttestationError(.structure, "the COSE_Sign1 protected header's x5chain (label 33) is not a certificate's byte string")
    }

    /// The bytes the signature covers: `["Signature1", protected, h'', payload]` (RFC 9052 §4.4).
    public var toBeSigned: [UInt8] {
        Self.toBeSigned(protectedHeader: protectedHeader, payload: payload)
    }

    /// Whether the signature is valid for `key`; false also when the algorithm does not fit the key's curve.
    public func isValidSignature(with key: ECPublicKey) -> Bool {
        guard algorithm.curve == key.curve else { return false }
        return key.isValidSignature(signature, forDigest: algorithm.digest.hash(toBeSigned))
    }

    /// The message as a CBOR item, tag included.
    public var cborValue: CBORValue {
        .tagged(Self.tag, [.bytes(protectedHeader), .map(unprotectedHeader), .bytes(payload), .bytes(signature)])
    }

    /// The message's CBOR encoding.
    public var encoded: [UInt8] {
        CBOREncoder.encode(cborValue)
    }

    /// The Sig_structure, written directly: going through a `CBORValue` would copy the payload twice more.
    static func toBeSigned(protectedHeader: [UInt8], payload: [UInt8]) -> [UInt8] {
        let context: [UInt8] = [0x84, 0x6a] + Array("Signature1".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(context.count + protectedHeader.count + payload.count + 19)
        bytes += context
        appendByteStringHead(count: protectedHeader.count, to: &bytes)
        bytes += protectedHeader
        bytes.append(0x40)  // h'': no external AAD
        appendByteStringHead(count: payload.count, to: &bytes)
        bytes += payload
        return bytes
    }

    /// A byte string's head (major type 2) in its shortest form.
    private static func appendByteStringHead(count: Int, to bytes: inout [UInt8]) {
        let length = UInt64(count)
        switch length {
        case 0..<24: bytes.append(0x40 | UInt8(length))
        case 24...0xff: bytes += [0x58, UInt8(length)]
        case 0x100...0xffff: bytes += [0x59, UInt8(length >> 8), UInt8(length & 0xff)]
        case 0x1_0000...0xffff_ffff: bytes.append(0x5a); appendBigEndian(length, width: 4, to: &bytes)
        default: bytes.append(0x5b); appendBigEndian(length, width: 8, to: &bytes)
        }
    }

    private static func appendBigEndian(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// The algorithm in a protected header: a map (an empty bstr stands for an empty one) with `1: alg`.
    private static func algorithm(inProtectedHeader bytes: [UInt8], decoder: CBORDecoder) throws(AttestationError) -> COSEAlgorithm {
        let header = bytes.isEmpty ? CBORMap() : try decoder.map(bytes, what: "the COSE_Sign1 protected header")
        guard let label = header[int: 1] else {
            throw AttestationError(.unsupportedAlgorithm, "the COSE_Sign1 protected header has no alg (label 1)")
        }
        guard let number = label.int, let algorithm = COSEAlgorithm(rawValue: number) else {
            let supported = COSEAlgorithm.allCases.map { "\($0) (\($0.rawValue))" }.joined(separator: ", ")
            throw AttestationError(.unsupportedAlgorithm, "the COSE_Sign1 alg \(label.shortDescription) is not supported (supported: \(supported))")
        }
        return algorithm
    }

    private static func shape(_ value: CBORValue) -> String {
        if case .array(let items) = value { return "an array of \(items.count)" }
        return value.typeWithArticle
    }
}
