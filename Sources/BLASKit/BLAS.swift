internal import COpenBLAS

/// Single-precision BLAS routines, with Swift types in place of CBLAS enums.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses; this model's small matrices run fastest on one.
    public static func setThreadCount(_ count: Int) {
        COpenBLAS_setThreads(Int32(count))
    }
}
