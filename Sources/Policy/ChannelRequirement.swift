extension PolicyDocument {
    /// Throws unless the policy lets a party with role `from` connect to one with role `to`:
    /// "the policy lists no channel from device to runtime".
    public func requireChannel(from: String, to: String) throws(PolicyError) {
        guard allowsChannel(from: from, to: to) else {
            throw PolicyError(path: "channels", "the policy lists no channel from \(from) to \(to)")
        }
    }
}
