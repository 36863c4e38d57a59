/// A count and its noun, singular or plural, for messages: "1 byte", "64 bytes", "2 more entries"
/// (`plural` where adding "s" is wrong).
public func quantity(_ count: some BinaryInteger, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
