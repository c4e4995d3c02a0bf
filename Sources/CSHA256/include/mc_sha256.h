#ifndef MEDIACACHE_SHA256_H
#define MEDIACACHE_SHA256_H
/* SHA-256 with the x86-64 SHA extensions, one stream or two at once.

   One stream runs at the speed of libcrypto's SHA-NI code: each round
   waits for the one before, so the SHA unit is mostly idle. Two independent
   streams interleaved fill it, for about 1.8 times the throughput on one
   core. mediacache hashes several downloads at a time, so it pairs them
   (see HashService.swift). Everything here is only to be called when
   mc_sha256_available() says so; elsewhere libcrypto does the hashing. */
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;   /* bytes hashed so far */
    uint32_t buffered; /* bytes waiting in block, 0..63 */
    uint8_t block[64];
} mc_sha256_ctx;

/* 1 when this CPU has the SHA extensions (and SSSE3, SSE4.1), else 0. */
int mc_sha256_available(void);

void mc_sha256_init(mc_sha256_ctx *ctx);
void mc_sha256_update(mc_sha256_ctx *ctx, const void *data, size_t count);
/* Hashes data_a into a and data_b into b, two lanes at once where both have whole blocks. */
void mc_sha256_update2(mc_sha256_ctx *a, const void *data_a, size_t count_a,
                       mc_sha256_ctx *b, const void *data_b, size_t count_b);
/* Writes the digest and leaves ctx ready for a new message. */
void mc_sha256_final(mc_sha256_ctx *ctx, uint8_t digest[32]);

#endif
