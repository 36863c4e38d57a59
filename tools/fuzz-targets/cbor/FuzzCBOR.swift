import CBORKit

/// Limits small enough that the fuzzer spends its time on structure, not on huge strings.
let decoder = CBORDecoder(
    limits: .init(maxDepth: 32, maxItemsPerContainer: 4096, maxStringLength: 1 << 20, maxInputSize: 1 << 20))

/// Any input either decodes or throws an error that points inside it, never crashes; whatever
/// decodes survives both encodings unchanged, and deterministic encoding is a fixed point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCBOR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let value: CBORValue
    do {
        value = try decoder.decode(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        guard let offset = error.offset, (0...size).contains(offset), !error.message.isEmpty else {
            fatalError("error without a position inside the input: \(error)")
        }
        return 0
    }
    let deterministic = CBOREncoder.encode(value)
    let ordered = CBOREncoder.encode(value, preservingMapOrder: true)
    do {
        let fromDeterministic = try decoder.decode(deterministic)
        let fromOrdered = try decoder.decode(ordered)
        guard fromDeterministic == value, fromOrdered == value else {
            fatalError("round trip changed \(value.shortDescription)")
        }
        guard CBOREncoder.encode(fromDeterministic) == deterministic,
            CBOREncoder.encode(fromOrdered, preservingMapOrder: true) == ordered
        else {
            fatalError("re-encoding changed the bytes of \(value.shortDescription)")
        }
    } catch {
        fatalError("encoder output does not decode: \(error)")
    }
    _ = value.description
    return 0
}
