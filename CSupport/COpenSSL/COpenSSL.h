#ifndef COPENSSL_H
#define COPENSSL_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// OpenSSL 3 defines these as macros or variadic functions, which Swift cannot
// import. Each shim is named after what it stands in for.

/// Stands in for the `OPENSSL_free` macro.
static inline void COpenSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

/// Stands in for the `SSL_CTX_set_min_proto_version` macro.
static inline int COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

/// Stands in for the `SSL_CTX_set_max_proto_version` macro.
static inline int COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_max_proto_version(context, version);
}

/// Stands in for the `SSL_set_tlsext_host_name` macro.
static inline int COpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// Stands in for the `SSL_get_ex_new_index` macro.
static inline int COpenSSL_SSL_get_ex_new_index(void) {
    return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

/// Stands in for the `sk_X509_num` macro.
static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *stack) {
    return sk_X509_num(stack);
}

/// Stands in for the `sk_X509_value` macro.
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}

/// Stands in for the `sk_X509_new_null` macro.
static inline STACK_OF(X509) *COpenSSL_sk_X509_new_null(void) {
    return sk_X509_new_null();
}

/// Stands in for the `sk_X509_push` macro.
static inline int COpenSSL_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) {
    return sk_X509_push(stack, certificate);
}

/// Stands in for the `sk_X509_free` macro.
static inline void COpenSSL_sk_X509_free(STACK_OF(X509) *stack) {
    sk_X509_free(stack);
}

/// Stands in for the variadic `EVP_EC_gen` macro.
static inline EVP_PKEY *COpenSSL_EVP_EC_gen(const char *curve) {
    return EVP_EC_gen(curve);
}

/// Stands in for the `SSL_CTX_set_mode` macro.
static inline long COpenSSL_SSL_CTX_set_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_mode(context, mode);
}

/// Stands in for the `SSL_CTX_set_session_cache_mode` macro.
static inline long COpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *context, long mode) {
    return SSL_CTX_set_session_cache_mode(context, mode);
}

/// Stands in for the `BIO_get_mem_data` macro.
static inline long COpenSSL_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/// Stands in for the `EVP_PKEY_PUBLIC_KEY` selection macro (an OR of other macros).
static inline int COpenSSL_EVP_PKEY_PUBLIC_KEY(void) {
    return EVP_PKEY_PUBLIC_KEY;
}

/// Stands in for the `EVP_PKEY_KEYPAIR` selection macro (an OR of other macros).
static inline int COpenSSL_EVP_PKEY_KEYPAIR(void) {
    return EVP_PKEY_KEYPAIR;
}

/// Stands in for the `sk_GENERAL_NAME_num` macro.
static inline int COpenSSL_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}

/// Stands in for the `sk_GENERAL_NAME_value` macro.
static inline GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}

/// Stands in for the `sk_GENERAL_NAME_new_null` macro.
static inline GENERAL_NAMES *COpenSSL_sk_GENERAL_NAME_new_null(void) {
    return sk_GENERAL_NAME_new_null();
}

/// Stands in for the `sk_GENERAL_NAME_push` macro.
static inline int COpenSSL_sk_GENERAL_NAME_push(GENERAL_NAMES *names, GENERAL_NAME *name) {
    return sk_GENERAL_NAME_push(names, name);
}

/// Stands in for the `SSL_CTX_set1_groups_list` macro.
static inline int COpenSSL_SSL_CTX_set1_groups_list(SSL_CTX *context, const char *groups) {
    return (int)SSL_CTX_set1_groups_list(context, groups);
}

/// Stands in for the `SSL_CTX_add1_chain_cert` macro.
static inline int COpenSSL_SSL_CTX_add1_chain_cert(SSL_CTX *context, X509 *certificate) {
    return (int)SSL_CTX_add1_chain_cert(context, certificate);
}

/// Stands in for the `SSL_OP_NO_TICKET` option macro (built with `SSL_OP_BIT`).
static inline uint64_t COpenSSL_SSL_OP_NO_TICKET(void) {
    return SSL_OP_NO_TICKET;
}

/// Stands in for the `SSL_OP_IGNORE_UNEXPECTED_EOF` option macro (built with `SSL_OP_BIT`).
static inline uint64_t COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF(void) {
    return SSL_OP_IGNORE_UNEXPECTED_EOF;
}

#endif
