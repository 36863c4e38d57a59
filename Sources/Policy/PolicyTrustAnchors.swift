public import Attestation
import ByteKit
import OpenSSLKit

extension PolicyDocument {
    /// The platform keys the policy trusts, as trust anchors for the CCA verifier: each tied to its
    /// instance ID (and implementation ID where the policy names one).
    public func trustAnchors() throws(PolicyError) -> [PlatformTrustAnchor] {
        var anchors: [PlatformTrustAnchor] = []
        for (index, platform) in platforms.enumerated() {
            let key: ECPublicKey
            do {
                key = try ECPublicKey(pem: platform.publicKey)
            } catch {
                throw PolicyError(path: "platforms[\(index)].public-key", "is not a usable EC public key: \(error)", cause: error)
            }
            anchors.append(
                PlatformTrustAnchor(instanceID: platform.instanceID.bytes, implementationID: platform.implementationID?.bytes, key: key))
        }
        return anchors
    }

    /// How messages name the policy: `policy "confidential-ml, ML mode"`, or `policy v1` without a name.
    public var displayName: String {
        name.map { "policy \"\($0)\"" } ?? "policy v\(version)"
    }
}
