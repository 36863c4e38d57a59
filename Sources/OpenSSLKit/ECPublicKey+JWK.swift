import Foundation

extension ECPublicKey {
    /// A key from a JWK object: `{"kty": "EC", "crv": "P-384", "x": base64url, "y": base64url}`.
    ///
    /// Other members (`kid`, `use`, ...) are ignored. Throws, naming the member, for a wrong `kty` or
    /// `crv`, a missing or malformed coordinate, or a point that is not on the curve.
    public convenience init(jwk: [String: String]) throws(OpenSSLError) {
        let operation = "reading a JWK public key"
        func member(_ name: String) throws(OpenSSLError) -> String {
            guard let value = jwk[name] else { throw OpenSSLError(operation, reason: "member \"\(name)\" is missing") }
            return value
        }
        let type = try member("kty")
        guard type == "EC" else { throw OpenSSLError(operation, reason: "\"kty\" is \"\(type)\", expected \"EC\"") }
        let curveName = try member("crv")
        guard let curve = Curve(jwkName: curveName) else {
            throw OpenSSLError(operation, reason: "\"crv\" is \"\(curveName)\", expected P-256, P-384 or P-521")
        }
        func coordinate(_ name: String) throws(OpenSSLError) -> [UInt8] {
            guard let bytes = Base64URL.decode(try member(name)) else {
                throw OpenSSLError(operation, reason: "\"\(name)\" is not base64url")
            }
            guard bytes.count == curve.coordinateSize else {
                throw OpenSSLError(
                    operation, reason: "\"\(name)\" has \(bytes.count) bytes, a \(curve) coordinate has \(curve.coordinateSize)")
            }
            return bytes
        }
        let rawPoint = [0x04] + (try coordinate("x")) + (try coordinate("y"))
        do {
            try self.init(rawPoint: rawPoint, curve: curve)
        } catch {
            throw OpenSSLError(operation: operation, reasons: error.reasons)
        }
    }

    /// A key from the UTF-8 JSON text of a JWK object.
    public convenience init(jwkJSON: [UInt8]) throws(OpenSSLError) {
        let operation = "reading a JWK public key"
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(jwkJSON))
        } catch {
            throw OpenSSLError(operation, reason: "it is not JSON (\(error.localizedDescription))", cause: error)
        }
        guard let members = object as? [String: Any] else {
            throw OpenSSLError(operation, reason: "it is not a JSON object")
        }
        // Only text members matter here; others (e.g. "key_ops", an array) are ignored as in init(jwk:).
        try self.init(jwk: members.compactMapValues { $0 as? String })
    }

    /// The key as a JWK object: `kty`, `crv`, `x` and `y`.
    public var jwk: [String: String] {
        let size = curve.coordinateSize
        return [
            "kty": "EC",
            "crv": curve.jwkName,
            "x": Base64URL.encode(Array(rawPoint[1...size])),
            "y": Base64URL.encode(Array(rawPoint[(1 + size)...])),
        ]
    }

    /// The JWK as compact JSON text with sorted keys.
    public var jwkJSON: [UInt8] {
        // A dictionary of strings always serializes.
        let data = (try? JSONSerialization.data(withJSONObject: jwk, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return [UInt8](data)
    }
}
