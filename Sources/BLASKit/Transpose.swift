internal import COpenBLAS

/// Whether a BLAS routine reads a matrix operand as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored.
    case none
    /// Use the transpose of the stored matrix.
    case transposed

    var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .none: CblasNoTrans
        case .transposed: CblasTrans
        }
    }
}
