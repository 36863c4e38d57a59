import Foundation
import Testing

/// Files in this target's Vectors folder.
enum TestVectors {
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors"))
        return [UInt8](try Data(contentsOf: url))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    /// The `pkey` JWK of the only entry of a CCA trust-anchor list (ta-02-*.json).
    static func trustAnchorJWK(_ name: String) throws -> [String: String] {
        let list = try #require(try JSONSerialization.jsonObject(with: Data(bytes(name))) as? [[String: Any]])
        #expect(list.count == 1)
        return try #require(list.first?["pkey"] as? [String: String])
    }
}
