internal import COpenBLAS

/// Single-precision OpenBLAS routines on row-major matrices, with Swift types in place of CBLAS enums.
///
/// Sizes are `Int` and must fit in 32 bits (`blasint`); the callers are this project's fixed-size
/// model kernels, so a size that does not fit is a programming error and traps.
public enum BLAS {
    /// Sets how many threads OpenBLAS uses; this model's small matrices run fastest on one.
    public static func setThreadCount(_ count: Int) {
        COpenBLAS_setThreads(Int32(count))
    }

    /// How many threads OpenBLAS uses now.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS build and the CPU kernel it picked, for benchmark notes (e.g. `OpenBLAS 0.3.21 ... Haswell`).
    public static var configuration: String {
        let config = String(cString: openblas_get_config())
        let core = String(cString: openblas_get_corename())
        return config.contains(core) ? config : "\(config) (core \(core))"
    }

    /// `c = alpha * op(a) * op(b) + beta * c`, where op(a) is m x k, op(b) is k x n and c is m x n (row-major).
    public static func sgemm(
        _ transposeA: Transpose, _ transposeB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `y = alpha * op(a) * x + beta * y`, where a is m x n (row-major) and x, y are contiguous vectors.
    public static func sgemv(
        _ transposeA: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, transposeA.cblas, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
