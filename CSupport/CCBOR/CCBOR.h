#ifndef CCBOR_H
#define CCBOR_H

#include <cbor.h>

#endif
