#ifndef CLIBPQ_H
#define CLIBPQ_H

#include <libpq-fe.h>

// libpq's diagnostic field codes are character-literal macros, which Swift does not import.

/// Stands in for the `PG_DIAG_SQLSTATE` macro.
static inline int CLibPQ_PG_DIAG_SQLSTATE(void) {
    return PG_DIAG_SQLSTATE;
}

/// Stands in for the `PG_DIAG_MESSAGE_PRIMARY` macro.
static inline int CLibPQ_PG_DIAG_MESSAGE_PRIMARY(void) {
    return PG_DIAG_MESSAGE_PRIMARY;
}

#endif
