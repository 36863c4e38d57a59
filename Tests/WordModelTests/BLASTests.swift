import BLASKit
import Testing

@Suite struct BLASTests {
    // op(a) is 2 x 3, op(b) is 3 x 2.
    let a: [Float] = [1, 2, 3, 4, 5, 6]
    let b: [Float] = [7, 8, 9, 10, 11, 12]

    func product(_ ta: Transpose, _ tb: Transpose, beta: Float, c start: [Float]) -> [Float] {
        var c = start
        let lda = ta == .none ? 3 : 2
        let ldb = tb == .none ? 2 : 3
        BLAS.sgemm(ta, tb, m: 2, n: 2, k: 3, alpha: 2, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: 2)
        return c
    }

    @Test func sgemmAllTransposes() {
        // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
        #expect(product(.none, .none, beta: 0, c: [9, 9, 9, 9]) == [116, 128, 278, 308])
        // aᵀ read as 2 x 3 from a stored 3 x 2: [[1,3,5],[2,4,6]]; bᵀ from 2 x 3 storage: [[7,10],[8,11],[9,12]]
        #expect(product(.transposed, .transposed, beta: 0, c: [0, 0, 0, 0]) == [152, 206, 200, 272])
        #expect(product(.none, .none, beta: 1, c: [1, 2, 3, 4]) == [117, 130, 281, 312])
    }

    @Test func sgemvBothWays() {
        var y: [Float] = [1, 1]
        BLAS.sgemv(.none, m: 2, n: 3, alpha: 1, a: a, lda: 3, x: [1, 0, -1], beta: 1, y: &y)
        #expect(y == [-1, -1])
        var z: [Float] = [0, 0, 0]
        BLAS.sgemv(.transposed, m: 2, n: 3, alpha: 1, a: a, lda: 3, x: [1, 1], beta: 0, y: &z)
        #expect(z == [5, 7, 9])
    }

    @Test func threadCountIsSet() {
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        #expect(BLAS.configuration.contains("OpenBLAS"))
    }
}
