public import Foundation
internal import ByteKit
internal import COpenSSL

/// An X.509 certificate, parsed and immutable.
///
/// `@unchecked Sendable` is safe: the `X509` is never modified after `init`; OpenSSL 3 computes the
/// cached extension fields that the getters read under the certificate's own lock, and its reference
/// count (taken by stores and TLS contexts) is atomic.
public final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The certificate, for X.509 and TLS code in this module; it must never be modified.
    let x509: OpaquePointer
    /// The DER encoding, kept because equality, hashing and writing all need it.
    public let der: [UInt8]

    /// Adopts an `X509` that this module made or decoded; frees it if it cannot be encoded.
    init(takingOwnership x509: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        let length = i2d_X509(x509, nil)
        var written: Int32 = 0
        let der = length > 0
            ? [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
                var cursor = buffer.baseAddress
                written = i2d_X509(x509, &cursor)
                initialized = written == length ? Int(length) : 0
            }
            : []
        guard length > 0, written == length else {
            X509_free(x509)
            throw OpenSSLError.draining(operation)
        }
        self.x509 = x509
        self.der = der
    }

    /// Wraps a certificate that OpenSSL lends (a TLS peer's, a store's), taking a reference of its own.
    convenience init(borrowing x509: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        X509_up_ref(x509)
        try self.init(takingOwnership: x509, operation)
    }

    /// A certificate from its DER encoding; throws if it does not parse or has bytes after it.
    public convenience init(der: [UInt8]) throws(OpenSSLError) {
        let operation = "reading a DER certificate"
        OpenSSLError.clearQueue()
        let decoded: Result<OpaquePointer, OpenSSLError> = der.withUnsafeBufferPointer { bytes in
            var cursor = bytes.baseAddress
            guard let x509 = d2i_X509(nil, &cursor, bytes.count) else { return .failure(.draining(operation)) }
            guard cursor == bytes.baseAddress.map({ $0 + bytes.count }) else {
                X509_free(x509)
                return .failure(OpenSSLError(operation, reason: "bytes follow the certificate"))
            }
            return .success(x509)
        }
        try self.init(takingOwnership: decoded.get(), operation)
    }

    /// The first certificate in PEM text ("BEGIN CERTIFICATE").
    public convenience init(pem: String) throws(OpenSSLError) {
        let operation = "reading a PEM certificate"
        try PEMBlocks.require(["CERTIFICATE"], in: pem, operation)
        OpenSSLError.clearQueue()
        let bio = try MemoryBIO(text: pem, operation)
        guard let x509 = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else { throw OpenSSLError.draining(operation) }
        try self.init(takingOwnership: x509, operation)
    }

    /// Every certificate in PEM text, in order (a leaf followed by its issuers, as TLS sends them).
    public static func loadPEMChain(_ pem: String) throws(OpenSSLError) -> [Certificate] {
        let operation = "reading a PEM certificate chain"
        try PEMBlocks.require(["CERTIFICATE"], in: pem, operation)
        OpenSSLError.clearQueue()
        let bio = try MemoryBIO(text: pem, operation)
        var chain: [Certificate] = []
        while let x509 = PEM_read_bio_X509(bio.pointer, nil, nil, nil) {
            chain.append(try Certificate(takingOwnership: x509, operation))
        }
        // Reading stops with "no start line" at the end of the text; anything else is a broken block.
        let last = ERR_peek_last_error()
        if ERR_GET_REASON(last) == PEM_R_NO_START_LINE {
            OpenSSLError.clearQueue()
        } else if last != 0 {
            throw OpenSSLError.draining("\(operation) (after \(chain.count) certificates)")
        }
        return chain
    }

    /// Every certificate in the PEM file at `path`, in order.
    public static func loadPEMChain(contentsOfFile path: String) throws(OpenSSLError) -> [Certificate] {
        let text: String
        do {
            text = try PEMFile.read(path)
        } catch {
            throw OpenSSLError("reading certificates from \(path)", reason: error.reason)
        }
        do {
            return try loadPEMChain(text)
        } catch {
            throw error.doing("\(error.operation) from \(path)")
        }
    }

    deinit {
        X509_free(x509)
    }

    /// The certificate as PEM text ("BEGIN CERTIFICATE").
    public var pem: String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    /// The subject's common name (CN), if it has one.
    public var subjectCommonName: String? { Self.entry(NID_commonName, in: X509_get_subject_name(x509)) }

    /// The subject's organization (O), if it has one.
    public var subjectOrganization: String? { Self.entry(NID_organizationName, in: X509_get_subject_name(x509)) }

    /// The issuer's common name (CN), if it has one.
    public var issuerCommonName: String? { Self.entry(NID_commonName, in: X509_get_issuer_name(x509)) }

    /// The URIs in the subject alternative name extension, in order (e.g. `cml:role:device`).
    public var uriSubjectAlternativeNames: [String] {
        guard let names = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { GENERAL_NAMES_free(stack) }
        var uris: [String] = []
        for index in 0..<COpenSSL_sk_GENERAL_NAME_num(stack) {
            var type: Int32 = 0
            guard let name = COpenSSL_sk_GENERAL_NAME_value(stack, index),
                let value = GENERAL_NAME_get0_value(name, &type), type == GEN_URI
            else { continue }
            uris.append(Self.text(of: value.assumingMemoryBound(to: ASN1_STRING.self)))
        }
        return uris
    }

    /// The start of the validity period.
    public var notBefore: Date { Self.date(X509_get0_notBefore(x509)) }

    /// The end of the validity period.
    public var notAfter: Date { Self.date(X509_get0_notAfter(x509)) }

    /// The serial number's magnitude, big-endian, without leading zeros (empty for zero).
    public var serialNumber: [UInt8] {
        guard let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return [] }
        defer { BN_free(number) }
        let count = (BN_num_bits(number) + 7) / 8
        var bytes = [UInt8](repeating: 0, count: Int(count))
        BN_bn2bin(number, &bytes)
        return bytes
    }

    /// The serial number as lowercase hex of its magnitude, without leading zeros (e.g. "5a3f...").
    public var serialNumberHex: String {
        let bytes = serialNumber
        return bytes.isEmpty ? "00" : Hex.encode(bytes)
    }

    /// The subject's public key; throws if it is not an EC key on P-256, P-384 or P-521.
    public var publicKey: ECPublicKey {
        get throws(OpenSSLError) {
            let operation = "reading the public key of \(self)"
            guard let key = X509_get_pubkey(x509) else { throw OpenSSLError.draining(operation) }
            return try ECPublicKey(adopting: key, operation)
        }
    }

    /// The subject's DER SubjectPublicKeyInfo, whatever kind of key it holds.
    public var subjectPublicKeyInfoDER: [UInt8] {
        guard let key = X509_get0_pubkey(x509) else { return [] }
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor = buffer.baseAddress
            initialized = i2d_PUBKEY(key, &cursor) == length ? Int(length) : 0
        }
    }

    /// Whether the basic constraints extension says this is a CA.
    public var isCertificateAuthority: Bool { X509_get_extension_flags(x509) & UInt32(EXFLAG_CA) != 0 }

    /// The key usages the certificate allows (all of them if it has no key usage extension).
    public var keyUsage: KeyUsage { KeyUsage(rawValue: X509_get_key_usage(x509)) }

    /// The extended key usages TLS cares about (all of them if it has no extended key usage extension).
    public var extendedKeyUsage: ExtendedKeyUsage {
        ExtendedKeyUsage(openSSLFlags: X509_get_extended_key_usage(x509))
    }

    /// The subject key identifier, if the certificate has one.
    public var subjectKeyIdentifier: [UInt8]? {
        let identifier: UnsafePointer<ASN1_STRING>? = X509_get0_subject_key_id(x509)
        return identifier.map(Self.bytes(of:))
    }

    /// The key identifier in the authority key identifier extension, if the certificate has one.
    public var authorityKeyIdentifier: [UInt8]? {
        let identifier: UnsafePointer<ASN1_STRING>? = X509_get0_authority_key_id(x509)
        return identifier.map(Self.bytes(of:))
    }

    /// The raw content of the extension's OCTET STRING (the DER its issuer put there); nil if absent.
    public func extensionValue(oid: String) -> [UInt8]? {
        guard let (_, `extension`) = find(oid: oid), let data = X509_EXTENSION_get_data(`extension`) else {
            return nil
        }
        return Self.bytes(of: data)
    }

    /// Whether the extension is marked critical; nil if the certificate does not have it.
    public func isExtensionCritical(oid: String) -> Bool? {
        guard let (_, `extension`) = find(oid: oid) else { return nil }
        return X509_EXTENSION_get_critical(`extension`) == 1
    }

    /// Whether subject and issuer are the same name (a root, or someone signing for themselves).
    public var isSelfIssued: Bool {
        X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0
    }

    /// Whether the certificate's signature verifies under `issuerKey`.
    public func isSignatureValid(issuerKey: ECPublicKey) -> Bool {
        let verdict = X509_verify(x509, issuerKey.pkey)
        if verdict != 1 { OpenSSLError.clearQueue() }
        return verdict == 1
    }

    /// Two certificates are equal when their DER encodings are.
    public static func == (left: Certificate, right: Certificate) -> Bool {
        left.der == right.der
    }

    /// Hashes the DER encoding, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(der)
    }

    /// The subject and serial, e.g. `certificate "cml-runtime" (serial 5a3f1c0b...)`.
    public var description: String {
        "certificate \"\(subjectCommonName ?? "(no common name)")\" (serial \(Hex.short(Hex.decode(serialNumberHex) ?? [])))"
    }

    private func find(oid: String) -> (Int32, OpaquePointer)? {
        guard let object = OBJ_txt2obj(oid, 1) else {
            OpenSSLError.clearQueue()
            return nil
        }
        defer { ASN1_OBJECT_free(object) }
        let index = X509_get_ext_by_OBJ(x509, object, -1)
        guard index >= 0, let found = X509_get_ext(x509, index) else { return nil }
        return (index, found)
    }

    private static func entry(_ nid: Int32, in name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else {
            return nil
        }
        return text(of: data)
    }

    /// The UTF-8 text of an ASN.1 string, whatever its string type.
    private static func text(of string: UnsafePointer<ASN1_STRING>) -> String {
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, string)
        guard length >= 0, let utf8 else { return String(decoding: bytes(of: string), as: UTF8.self) }
        defer { COpenSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func bytes(of string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
        let length = Int(ASN1_STRING_length(string))
        guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
