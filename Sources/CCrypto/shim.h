#ifndef MEDIACACHE_CCRYPTO_SHIM_H
#define MEDIACACHE_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
