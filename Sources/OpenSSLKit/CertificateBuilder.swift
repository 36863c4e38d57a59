public import Foundation
internal import COpenSSL

/// Issues X.509 v3 certificates: a self-signed root (the policy certificate) or a leaf signed by it.
///
/// Every certificate gets basic constraints and key usage (both critical), subject and authority key
/// identifiers, and, when set, extended key usages, URI subject alternative names and custom extensions.
/// The signature is ECDSA with the hash that fits the signing key's curve (SHA-384 for the P-384 policy key).
public struct CertificateBuilder: Sendable {
    /// A non-critical extension that OpenSSL does not know: an OID and the DER bytes of its value.
    public struct CustomExtension: Sendable, Equatable {
        /// Dotted OID text, e.g. `2.25.189988432267333467357462336223592312867`.
        public let oid: String
        /// The DER that becomes the extension's OCTET STRING content.
        public let value: [UInt8]

        /// An extension with `oid` holding the DER `value`.
        public init(oid: String, value: [UInt8]) {
            self.oid = oid
            self.value = value
        }
    }

    /// The subject's common name (CN).
    public var subjectCommonName: String
    /// The subject's organization (O), if any.
    public var subjectOrganization: String?
    /// The key the certificate binds to the subject.
    public var subjectPublicKey: ECPublicKey
    /// The serial number's big-endian magnitude; random by default (see `randomSerialNumber()`).
    public var serialNumber: [UInt8]
    /// The start of the validity period.
    public var notBefore: Date
    /// The end of the validity period.
    public var notAfter: Date
    /// A CA (basic constraints CA:TRUE, keyCertSign and cRLSign) or a leaf.
    public var isCertificateAuthority: Bool
    /// For a CA, how many CAs may stand below it (basic constraints pathlen); nil sets no limit. A CA
    /// that may sign only leaves has 0.
    public var pathLength: Int?
    /// The extended key usages; none (no extension) by default for a CA, serverAuth and clientAuth for a leaf.
    public var extendedKeyUsage: ExtendedKeyUsage
    /// URIs for the subject alternative name extension (e.g. `cml:role:device`); none means no extension.
    public var uriSubjectAlternativeNames: [String] = []
    /// Extensions that OpenSSL does not know, added non-critical.
    public var customExtensions: [CustomExtension] = []

    /// A certificate description with a random serial; a leaf unless `isCertificateAuthority` is true.
    public init(
        subjectCommonName: String, subjectPublicKey: ECPublicKey, notBefore: Date = Date(), notAfter: Date,
        isCertificateAuthority: Bool = false
    ) {
        self.subjectCommonName = subjectCommonName
        self.subjectPublicKey = subjectPublicKey
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isCertificateAuthority = isCertificateAuthority
        self.extendedKeyUsage = isCertificateAuthority ? [] : [.serverAuth, .clientAuth]
        self.serialNumber = Self.randomSerialNumber()
    }

    /// 128 random bits as a positive serial number that always encodes in 16 bytes.
    ///
    /// The top bit is cleared so the DER INTEGER needs no sign byte, and the next one set so it never
    /// gets shorter: 126 bits of randomness, well within RFC 5280's 20 octets.
    public static func randomSerialNumber() -> [UInt8] {
        var serial = SecureRandom.bytes(16)
        serial[0] = serial[0] & 0x7f | 0x40
        return serial
    }

    /// The key usages this certificate will carry.
    public var keyUsage: KeyUsage {
        isCertificateAuthority ? [.digitalSignature, .keyCertSign, .cRLSign] : [.digitalSignature]
    }

    /// A certificate signed by `key`, whose public key must be `subjectPublicKey` (a root).
    public func selfSigned(with key: ECPrivateKey) throws(OpenSSLError) -> Certificate {
        let operation = "issuing a self-signed certificate for \"\(subjectCommonName)\""
        guard key.publicKey == subjectPublicKey else {
            throw OpenSSLError(operation, reason: "the signing key does not match the subject public key")
        }
        return try build(issuer: nil, key: key, operation)
    }

    /// A certificate signed by `issuerKey`, naming `issuer` (a CA whose key that is) as its issuer.
    public func issued(by issuer: Certificate, issuerKey: ECPrivateKey) throws(OpenSSLError) -> Certificate {
        let operation = "issuing a certificate for \"\(subjectCommonName)\" under \(issuer)"
        guard issuer.isCertificateAuthority else {
            throw OpenSSLError(operation, reason: "the issuer is not a CA (basic constraints CA:FALSE or missing)")
        }
        guard (try? issuer.publicKey) == issuerKey.publicKey else {
            throw OpenSSLError(operation, reason: "the signing key is not the issuer certificate's key")
        }
        return try build(issuer: issuer, key: issuerKey, operation)
    }

    private func build(issuer: Certificate?, key: ECPrivateKey, _ operation: String) throws(OpenSSLError) -> Certificate {
        guard notBefore < notAfter else {
            throw OpenSSLError(operation, reason: "notBefore \(notBefore) is not before notAfter \(notAfter)")
        }
        guard !serialNumber.isEmpty, serialNumber.contains(where: { $0 != 0 }), serialNumber.count <= 20 else {
            throw OpenSSLError(operation, reason: "the serial number must be positive and at most 20 bytes")
        }
        OpenSSLError.clearQueue()
        guard let x509 = X509_new() else { throw OpenSSLError.draining(operation) }
        do throws(OpenSSLError) {
            try fill(x509, issuer: issuer?.x509, operation)
            guard X509_sign(x509, key.pkey, key.curve.digest.evpMD) > 0 else { throw OpenSSLError.draining(operation) }
        } catch {
            X509_free(x509)
            throw error
        }
        return try Certificate(takingOwnership: x509, operation)
    }

    private func fill(_ x509: OpaquePointer, issuer: OpaquePointer?, _ operation: String) throws(OpenSSLError) {
        try OpenSSLError.check(X509_set_version(x509, Int(X509_VERSION_3)), operation)
        try setSerialNumber(x509, operation)
        try OpenSSLError.check(
            ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore.timeIntervalSince1970)) == nil ? 0 : 1, operation)
        try OpenSSLError.check(
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter.timeIntervalSince1970)) == nil ? 0 : 1, operation)
        try setSubjectName(x509, operation)
        try OpenSSLError.check(X509_set_issuer_name(x509, X509_get_subject_name(issuer ?? x509)), operation)
        try OpenSSLError.check(X509_set_pubkey(x509, subjectPublicKey.pkey), operation)

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer ?? x509, x509, nil, nil, 0)
        let pathLength = isCertificateAuthority ? self.pathLength.map { ",pathlen:\($0)" } ?? "" : ""
        let basicConstraints = isCertificateAuthority ? "critical,CA:TRUE\(pathLength)" : "critical,CA:FALSE"
        try addExtension(x509, NID_basic_constraints, basicConstraints, &context, operation)
        try addExtension(x509, NID_key_usage, "critical," + keyUsage.names.joined(separator: ","), &context, operation)
        if !extendedKeyUsage.isEmpty {
            try addExtension(x509, NID_ext_key_usage, extendedKeyUsage.names.joined(separator: ","), &context, operation)
        }
        // The subject key identifier goes first: a self-signed certificate's authority key identifier copies it.
        try addExtension(x509, NID_subject_key_identifier, "hash", &context, operation)
        try addExtension(x509, NID_authority_key_identifier, "keyid:always", &context, operation)
        if !uriSubjectAlternativeNames.isEmpty {
            try addURISubjectAlternativeNames(x509, operation)
        }
        for custom in customExtensions {
            try addCustomExtension(x509, custom, operation)
        }
    }

    private func setSerialNumber(_ x509: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        guard let number = BN_bin2bn(serialNumber, Int32(serialNumber.count), nil) else {
            throw OpenSSLError.draining(operation)
        }
        defer { BN_free(number) }
        guard let integer = BN_to_ASN1_INTEGER(number, nil) else { throw OpenSSLError.draining(operation) }
        defer { ASN1_INTEGER_free(integer) }
        try OpenSSLError.check(X509_set_serialNumber(x509, integer), operation)
    }

    private func setSubjectName(_ x509: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        guard let name = X509_NAME_new() else { throw OpenSSLError.draining(operation) }
        defer { X509_NAME_free(name) }
        var entries = [(NID_commonName, subjectCommonName)]
        if let subjectOrganization { entries.insert((NID_organizationName, subjectOrganization), at: 0) }
        for (nid, value) in entries {
            let bytes = Array(value.utf8)
            guard !bytes.isEmpty else { throw OpenSSLError(operation, reason: "a subject name entry is empty") }
            try OpenSSLError.check(
                X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0), operation)
        }
        // X509_set_subject_name copies the name.
        try OpenSSLError.check(X509_set_subject_name(x509, name), operation)
    }

    private func addExtension(
        _ x509: OpaquePointer, _ nid: Int32, _ value: String, _ context: inout X509V3_CTX, _ operation: String
    ) throws(OpenSSLError) {
        guard let `extension` = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
            throw OpenSSLError.draining("\(operation) (extension \(String(cString: OBJ_nid2sn(nid))) = \(value))")
        }
        defer { X509_EXTENSION_free(`extension`) }
        try OpenSSLError.check(X509_add_ext(x509, `extension`, -1), operation)
    }

    private func addURISubjectAlternativeNames(_ x509: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        // Built as GENERAL_NAMEs rather than through the "URI:..." configuration text, whose parser would
        // split a URI at a comma.
        guard let names = COpenSSL_sk_GENERAL_NAME_new_null() else { throw OpenSSLError.draining(operation) }
        defer { GENERAL_NAMES_free(names) }
        for uri in uriSubjectAlternativeNames {
            let bytes = Array(uri.utf8)
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw OpenSSLError(operation, reason: "the URI \"\(uri)\" is empty or not printable ASCII without spaces")
            }
            guard let text = ASN1_IA5STRING_new() else { throw OpenSSLError.draining(operation) }
            guard ASN1_STRING_set(text, bytes, Int32(bytes.count)) == 1, let name = GENERAL_NAME_new() else {
                ASN1_IA5STRING_free(text)
                throw OpenSSLError.draining(operation)
            }
            // The name takes the string, and the stack takes the name (freed with it by GENERAL_NAMES_free).
            GENERAL_NAME_set0_value(name, GEN_URI, text)
            guard COpenSSL_sk_GENERAL_NAME_push(names, name) > 0 else {
                GENERAL_NAME_free(name)
                throw OpenSSLError.draining(operation)
            }
        }
        try OpenSSLError.check(
            X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0, UInt(X509V3_ADD_DEFAULT)),
            operation)
    }

    private func addCustomExtension(_ x509: OpaquePointer, _ custom: CustomExtension, _ operation: String) throws(OpenSSLError) {
        guard let object = OBJ_txt2obj(custom.oid, 1) else {
            OpenSSLError.clearQueue()
            throw OpenSSLError(operation, reason: "\"\(custom.oid)\" is not a dotted OID")
        }
        defer { ASN1_OBJECT_free(object) }
        guard let data = ASN1_OCTET_STRING_new() else { throw OpenSSLError.draining(operation) }
        defer { ASN1_OCTET_STRING_free(data) }
        try OpenSSLError.check(ASN1_OCTET_STRING_set(data, custom.value, Int32(custom.value.count)), operation)
        guard let `extension` = X509_EXTENSION_create_by_OBJ(nil, object, 0, data) else {
            throw OpenSSLError.draining(operation)
        }
        defer { X509_EXTENSION_free(`extension`) }
        try OpenSSLError.check(X509_add_ext(x509, `extension`, -1), operation)
    }
}
