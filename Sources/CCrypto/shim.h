#ifndef MEDIACACHE_CCRYPTO_SHIM_H
#define MEDIACACHE_CCRYPTO_SHIM_H
/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 but skip its costly
   library initialisation; see SHA256.swift. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>
/* HMAC-SHA256 of remote records (Remote/RemoteRecord.swift). */
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#endif
