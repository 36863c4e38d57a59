#ifndef COPENBLAS_H
#define COPENBLAS_H

#include <cblas.h>

/// Stands in for `openblas_set_num_threads`, which Debian's cblas.h declares
/// without a prototype guard on some builds.
static inline void COpenBLAS_setThreads(int count) {
    openblas_set_num_threads(count);
}

#endif
