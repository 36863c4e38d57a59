import ByteKit
import Foundation
import OpenSSLKit
import Testing

@Test(arguments: Curve.allCases)
func publicKeyRoundTripsThroughEveryForm(curve: Curve) throws {
    let key = ECPrivateKey(generating: curve).publicKey
    #expect(key.rawPoint.count == curve.rawPointSize)
    #expect(key.rawPoint.first == 0x04)

    #expect(try ECPublicKey(pem: key.pem) == key)
    #expect(try ECPublicKey(der: key.spkiDER) == key)
    #expect(try ECPublicKey(rawPoint: key.rawPoint) == key)
    #expect(try ECPublicKey(rawPoint: key.rawPoint, curve: curve) == key)
    #expect(try ECPublicKey(jwk: key.jwk) == key)
    #expect(try ECPublicKey(jwkJSON: key.jwkJSON) == key)
    #expect(key.pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
    #expect(key.jwk["crv"] == curve.jwkName)
    #expect(key.jwk["kty"] == "EC")
    #expect(key.jwk["x"]?.contains("=") == false)
    #expect(try ECPublicKey(der: key.spkiDER).spkiDER == key.spkiDER)
}

@Test(arguments: Curve.allCases)
func privateKeyRoundTripsThroughPKCS8AndSEC1(curve: Curve) throws {
    let key = ECPrivateKey(generating: curve)
    #expect(try key.pkcs8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
    #expect(try key.sec1PEM.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
    let message = Array("round trip".utf8)
    for pem in [try key.pkcs8PEM, try key.sec1PEM] {
        let loaded = try ECPrivateKey(pem: pem)
        #expect(loaded.curve == curve)
        #expect(loaded.publicKey == key.publicKey)
        #expect(try loaded.pkcs8PEM == key.pkcs8PEM)
        let signature = try loaded.signature(for: message, digest: curve.digest)
        #expect(key.publicKey.isValidSignature(signature, for: message, digest: curve.digest))
    }
}

@Test func rfc6979KeysLoadFromPEMWithTheirPublishedPublicKeys() throws {
    let p256 = try ECPrivateKey(pem: TestVectors.text("rfc6979-p256-pkcs8.pem"))
    #expect(p256.curve == .p256)
    #expect(Hex.encode(p256.publicKey.rawPoint) == "04" + (
        "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
        + "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299").lowercased())
    let p384 = try ECPrivateKey(pem: TestVectors.text("rfc6979-p384-sec1.pem"))
    #expect(p384.curve == .p384)
    #expect(Hex.encode(p384.publicKey.rawPoint).hasPrefix("04ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e"))
}

@Test func cpakJWKIsThePublicKeyOfTheCCAPlatformKey() throws {
    let platform = try ECPrivateKey(pem: TestVectors.text("cca_platform.pem"))
    let cpak = try ECPublicKey(jwkJSON: TestVectors.bytes("cpak.json"))
    #expect(platform.curve == .p384)
    #expect(cpak == platform.publicKey)
    let message = Array("platform token".utf8)
    #expect(cpak.isValidSignature(try platform.signature(for: message, digest: .sha384), for: message, digest: .sha384))
}

@Test func trustAnchorOnP256Loads() throws {
    let key = try ECPublicKey(jwk: TestVectors.trustAnchorJWK("ta-02-ok.json"))
    #expect(key.curve == .p256)
    #expect(key.jwk == (try TestVectors.trustAnchorJWK("ta-02-ok.json")))
}

@Test func trustAnchorOffTheCurveIsRejected() throws {
    let jwk = try TestVectors.trustAnchorJWK("ta-02-bad.json")
    let error = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwk: jwk) }
    #expect(error?.operation == "reading a JWK public key")
    #expect(error?.description.contains("point is not on curve") == true, "\(String(describing: error))")
    // The same point as raw bytes is rejected too.
    let rawPoint = [0x04] + Base64URL.decode(jwk["x"]!)! + Base64URL.decode(jwk["y"]!)!
    #expect(throws: OpenSSLError.self) { try ECPublicKey(rawPoint: rawPoint) }
}

@Test(arguments: Curve.allCases)
func pointOffTheCurveIsRejected(curve: Curve) throws {
    var rawPoint = ECPrivateKey(generating: curve).publicKey.rawPoint
    rawPoint[rawPoint.count - 1] ^= 0x01
    let error = #expect(throws: OpenSSLError.self) { try ECPublicKey(rawPoint: rawPoint, curve: curve) }
    #expect(error?.description.contains("point is not on curve") == true, "\(String(describing: error))")
}

@Test func rawPointsOfTheWrongShapeAreRejected() throws {
    let point = ECPrivateKey(generating: .p256).publicKey.rawPoint
    let short = #expect(throws: OpenSSLError.self) { try ECPublicKey(rawPoint: Array(point.dropLast())) }
    #expect(short?.reasons == ["it has 64 bytes, not 65 (P-256), 97 (P-384) or 133 (P-521)"])
    let wrongCurve = #expect(throws: OpenSSLError.self) { try ECPublicKey(rawPoint: point, curve: .p384) }
    #expect(wrongCurve?.reasons == ["it has 65 bytes, a P-384 point 04||X||Y has 97"])
    var compressed = point
    compressed[0] = 0x02
    let prefix = #expect(throws: OpenSSLError.self) { try ECPublicKey(rawPoint: compressed) }
    #expect(prefix?.reasons == ["it starts with 0x02, not 0x04 (uncompressed)"])
}

@Test func compressedSPKIIsReadAndExportedUncompressed() throws {
    let key = try ECPublicKey(pem: TestVectors.text("p256-compressed-public.pem"))
    #expect(
        Hex.encode(key.rawPoint)
            == "043c8bfe8d1e302674d1769a331511b4690757fba7a939a324a75fafb0bae6c59b"
            + "b530a8c5bc139d886056387412be9c73cc2c5efd46cdb1355fa59c532bbe71e5")
    #expect(key.spkiDER.count == 91)
}

@Test func otherKeyTypesAndCurvesAreRejected() throws {
    let ed25519 = #expect(throws: OpenSSLError.self) { try ECPublicKey(pem: TestVectors.text("ed25519-public.pem")) }
    #expect(ed25519?.reasons == ["the key type is ED25519, not EC"])
    let secp256k1 = #expect(throws: OpenSSLError.self) { try ECPublicKey(pem: TestVectors.text("secp256k1-public.pem")) }
    #expect(secp256k1?.reasons == ["its curve secp256k1 is not one of P-256, P-384 or P-521"])
}

@Test func malformedPEMAndDERAreRejected() throws {
    let key = ECPrivateKey(generating: .p256)
    let notPEM = #expect(throws: OpenSSLError.self) { try ECPublicKey(pem: "hello") }
    #expect(notPEM?.description == "reading a PEM public key: it holds no PEM block (expected \"PUBLIC KEY\")")
    let privatePEM = #expect(throws: OpenSSLError.self) { try ECPublicKey(pem: key.sec1PEM) }
    #expect(privatePEM?.reasons == ["it holds \"EC PRIVATE KEY\", expected \"PUBLIC KEY\""])
    let publicPEM = #expect(throws: OpenSSLError.self) { try ECPrivateKey(pem: key.publicKey.pem) }
    #expect(publicPEM?.reasons == ["it holds \"PUBLIC KEY\", expected \"EC PRIVATE KEY\" or \"PRIVATE KEY\""])
    #expect(throws: OpenSSLError.self) { try ECPrivateKey(pem: "") }
    // A block with the right label but a broken body reaches OpenSSL, whose reasons we pass on.
    let broken = #expect(throws: OpenSSLError.self) {
        try ECPrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    }
    #expect(broken?.reasons.isEmpty == false)
    let der = key.publicKey.spkiDER
    #expect(throws: OpenSSLError.self) { try ECPublicKey(der: Array(der.dropLast())) }
    let trailing = #expect(throws: OpenSSLError.self) { try ECPublicKey(der: der + [0]) }
    #expect(trailing?.reasons == ["bytes follow the SubjectPublicKeyInfo"])
    #expect(throws: OpenSSLError.self) { try ECPublicKey(der: []) }
}

@Test func encryptedPrivateKeyIsRejectedWithoutPrompting() throws {
    let error = #expect(throws: OpenSSLError.self) { try ECPrivateKey(pem: TestVectors.text("p256-encrypted.pem")) }
    #expect(error?.reasons == ["it is encrypted; only unencrypted keys are supported"])
}

@Test func badJWKsNameWhatIsWrong() throws {
    let good = ECPrivateKey(generating: .p384).publicKey.jwk
    func reasons(_ change: (inout [String: String]) -> Void) -> [String]? {
        var jwk = good
        change(&jwk)
        return #expect(throws: OpenSSLError.self) { try ECPublicKey(jwk: jwk) }?.reasons
    }
    #expect(reasons { $0["kty"] = "RSA" } == ["\"kty\" is \"RSA\", expected \"EC\""])
    #expect(reasons { $0["kty"] = nil } == ["member \"kty\" is missing"])
    #expect(reasons { $0["crv"] = "P-192" } == ["\"crv\" is \"P-192\", expected P-256, P-384 or P-521"])
    #expect(reasons { $0["crv"] = "P-256" } == ["\"x\" has 48 bytes, a P-256 coordinate has 32"])
    #expect(reasons { $0["x"] = nil } == ["member \"x\" is missing"])
    #expect(reasons { $0["y"] = nil } == ["member \"y\" is missing"])
    #expect(reasons { $0["y"] = "not base64!" } == ["\"y\" is not base64url"])
    #expect(reasons { $0["x"] = String($0["x"]!.dropLast(4)) } == ["\"x\" has 45 bytes, a P-384 coordinate has 48"])
    // Extra members are ignored.
    var extra = good
    extra["kid"] = "platform"
    #expect(try ECPublicKey(jwk: extra).jwk == good)
}

@Test func badJWKJSONIsRejected() {
    let notJSON = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwkJSON: Array("{".utf8)) }
    #expect(notJSON?.reasons.first?.hasPrefix("it is not JSON") == true)
    let array = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwkJSON: Array("[]".utf8)) }
    #expect(array?.reasons == ["it is not a JSON object"])
    let number = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwkJSON: Array(#"{"kty": 2}"#.utf8)) }
    #expect(number?.reasons == ["member \"kty\" is missing"])
}

@Test func base64URLHasNoPaddingAndRejectsOtherAlphabets() {
    #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
    #expect(Base64URL.decode("-_8=") == [0xfb, 0xff])
    #expect(Base64URL.decode("+/8") == nil)
    #expect(Base64URL.decode("A") == nil)
    #expect(Base64URL.decode("") == [])
    for length in 0..<8 {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 200) }
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }
}

@Test func staleErrorsDoNotLeakIntoTheNextError() throws {
    let broken = #expect(throws: OpenSSLError.self) {
        try ECPrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    }
    #expect(broken?.reasons.contains { $0.contains("asn1") } == true, "\(String(describing: broken))")
    let jwk = try TestVectors.trustAnchorJWK("ta-02-bad.json")
    let error = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwk: jwk) }
    #expect(error?.reasons.allSatisfy { !$0.contains("asn1") && !$0.contains("DECODER") } == true, "\(String(describing: error))")
    // A failed verification leaves nothing behind either.
    let key = ECPrivateKey(generating: .p256).publicKey
    #expect(!key.isValidSignature(Array(repeating: 0, count: 64), for: [1], digest: .sha256))
    let next = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwk: jwk) }
    #expect(next?.reasons == error?.reasons)
}

@Test func sec1KeyAfterAnECParametersBlockLoads() throws {
    // `openssl ecparam -genkey` writes an "EC PARAMETERS" block before the key.
    let key = try ECPrivateKey(pem: TestVectors.text("p256-with-ec-parameters.pem"))
    #expect(key.curve == .p256)
}

@Test func publicKeyFromCoordinates() throws {
    let key = ECPrivateKey(generating: .p521).publicKey
    let x = Array(key.rawPoint[1...66])
    let y = Array(key.rawPoint[67...])
    #expect(try ECPublicKey(x: x, y: y, curve: .p521) == key)
    let error = #expect(throws: OpenSSLError.self) { try ECPublicKey(x: x, y: y, curve: .p384) }
    #expect(error?.reasons == ["x has 66 bytes and y 66, a P-384 coordinate has 48"])
}

@Test func openSSLErrorsKeepOpenSSLsCodesAndTheErrorTheyWrap() throws {
    let pem = #expect(throws: OpenSSLError.self) { try ECPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
    #expect(pem?.codes.isEmpty == false)
    #expect(pem?.codes.count == pem?.reasons.count)
    let json = #expect(throws: OpenSSLError.self) { try ECPublicKey(jwkJSON: Array("not json".utf8)) }
    #expect(json?.cause != nil)
    #expect(json?.codes == [])
    #expect(json?.reasons.first?.hasPrefix("it is not JSON (") == true)
}
