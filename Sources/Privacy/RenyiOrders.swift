/// The Rényi orders the accountant tries: dp-accounting's `DEFAULT_RDP_ORDERS` (0.6.0), so that the
/// epsilon it reports is the one that package reports.
public enum RenyiOrders {
    /// 1.1, 1.2, ..., 10.9, then 11 to 63, then 128, 256, 512 and 1024.
    public static let standard: [Double] =
        (1..<100).map { 1 + Double($0) / 10 } + (11..<64).map(Double.init) + [128, 256, 512, 1024]
}
