#include "mc_sha256.h"

#include <string.h>

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

int mc_sha256_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3 = (ecx >> 9) & 1, sse41 = (ecx >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    int sha = (ebx >> 29) & 1;
    return ssse3 && sse41 && sha;
}

/* The SHA instructions keep the state as ABEF and CDGH. */
SHA_TARGET static inline void load_state(const uint32_t s[8], __m128i *abef, __m128i *cdgh) {
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s[0]), 0xB1);
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s[4]), 0x1B);
    *abef = _mm_alignr_epi8(dcba, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
}

SHA_TARGET static inline void store_state(uint32_t s[8], __m128i abef, __m128i cdgh) {
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&s[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&s[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* Four rounds of one lane: message words W0 (for rounds 4g..4g+3), state
   ABEF/CDGH. For g >= 4, W0 is first computed from the four groups before it
   (W0 held the words of g-4; W1, W2, W3 those of g-3, g-2, g-1). Written as
   macros, not a loop over arrays, so an unoptimised (debug) build keeps
   every value in a variable and still runs at a useful speed. */
#define LOAD(W, data, g) W = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((data) + 16 * (g))), byte_swap)
/* A block's sixteen message words into four registers. */
#define LOAD_BLOCK(W0, W1, W2, W3, data) \
    LOAD(W0, data, 0);                   \
    LOAD(W1, data, 1);                   \
    LOAD(W2, data, 2);                   \
    LOAD(W3, data, 3)
#define SCHEDULE(W0, W1, W2, W3)                                                        \
    W0 = _mm_sha256msg2_epu32(                                                          \
        _mm_add_epi32(_mm_sha256msg1_epu32(W0, W1), _mm_alignr_epi8(W3, W2, 4)), W3)
#define ROUNDS_A(ABEF, CDGH, M, W0, g)                                                   \
    M = _mm_add_epi32(W0, _mm_loadu_si128((const __m128i *)&round_constants[4 * (g)])); \
    CDGH = _mm_sha256rnds2_epu32(CDGH, ABEF, M)
#define ROUNDS_B(ABEF, CDGH, M) ABEF = _mm_sha256rnds2_epu32(ABEF, CDGH, _mm_shuffle_epi32(M, 0x0E))

/* One lane: four rounds per step. */
#define STEP1(g, W0, W1, W2, W3)                     \
    if ((g) >= 4) SCHEDULE(W0, W1, W2, W3);          \
    ROUNDS_A(abef, cdgh, m, W0, g);                  \
    ROUNDS_B(abef, cdgh, m)

/* Two lanes side by side, so their dependency chains overlap. */
#define STEP2(g, W0, W1, W2, W3, X0, X1, X2, X3)     \
    if ((g) >= 4) SCHEDULE(W0, W1, W2, W3);          \
    ROUNDS_A(abef, cdgh, m, W0, g);                  \
    if ((g) >= 4) SCHEDULE(X0, X1, X2, X3);          \
    ROUNDS_A(abef2, cdgh2, m2, X0, g);               \
    ROUNDS_B(abef, cdgh, m);                         \
    ROUNDS_B(abef2, cdgh2, m2)

/* Four steps, with the message registers rotating: sixteen steps are 64 rounds. */
#define FOUR_STEPS1(g)                  \
    STEP1(g, w0, w1, w2, w3);           \
    STEP1(g + 1, w1, w2, w3, w0);       \
    STEP1(g + 2, w2, w3, w0, w1);       \
    STEP1(g + 3, w3, w0, w1, w2)
#define FOUR_STEPS2(g)                                  \
    STEP2(g, w0, w1, w2, w3, x0, x1, x2, x3);           \
    STEP2(g + 1, w1, w2, w3, w0, x1, x2, x3, x0);       \
    STEP2(g + 2, w2, w3, w0, w1, x2, x3, x0, x1);       \
    STEP2(g + 3, w3, w0, w1, w2, x3, x0, x1, x2)

SHA_TARGET static void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef, cdgh, m, w0, w1, w2, w3;
    load_state(state, &abef, &cdgh);
    for (; blocks > 0; blocks--, data += 64) {
        __m128i saved_abef = abef, saved_cdgh = cdgh;
        LOAD_BLOCK(w0, w1, w2, w3, data);
        FOUR_STEPS1(0);
        FOUR_STEPS1(4);
        FOUR_STEPS1(8);
        FOUR_STEPS1(12);
        abef = _mm_add_epi32(abef, saved_abef);
        cdgh = _mm_add_epi32(cdgh, saved_cdgh);
    }
    store_state(state, abef, cdgh);
}

SHA_TARGET static void compress2(uint32_t a[8], const uint8_t *data_a, uint32_t b[8], const uint8_t *data_b, size_t blocks) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i abef, cdgh, m, w0, w1, w2, w3;
    __m128i abef2, cdgh2, m2, x0, x1, x2, x3;
    load_state(a, &abef, &cdgh);
    load_state(b, &abef2, &cdgh2);
    for (; blocks > 0; blocks--, data_a += 64, data_b += 64) {
        __m128i saved_abef = abef, saved_cdgh = cdgh, saved_abef2 = abef2, saved_cdgh2 = cdgh2;
        LOAD_BLOCK(w0, w1, w2, w3, data_a);
        LOAD_BLOCK(x0, x1, x2, x3, data_b);
        FOUR_STEPS2(0);
        FOUR_STEPS2(4);
        FOUR_STEPS2(8);
        FOUR_STEPS2(12);
        abef = _mm_add_epi32(abef, saved_abef);
        cdgh = _mm_add_epi32(cdgh, saved_cdgh);
        abef2 = _mm_add_epi32(abef2, saved_abef2);
        cdgh2 = _mm_add_epi32(cdgh2, saved_cdgh2);
    }
    store_state(a, abef, cdgh);
    store_state(b, abef2, cdgh2);
}

#else

int mc_sha256_available(void) { return 0; }

/* Never called: mc_sha256_available() is 0 off x86-64, and libcrypto hashes instead. */
static void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state, (void)data, (void)blocks;
    __builtin_trap();
}

static void compress2(uint32_t a[8], const uint8_t *data_a, uint32_t b[8], const uint8_t *data_b, size_t blocks) {
    (void)a, (void)data_a, (void)b, (void)data_b, (void)blocks;
    __builtin_trap();
}

#endif

void mc_sha256_init(mc_sha256_ctx *ctx) {
    memcpy(ctx->state, initial_state, sizeof initial_state);
    ctx->length = 0;
    ctx->buffered = 0;
}

/* Tops up a partly filled block from *data; compresses it once full. */
static void fill_block(mc_sha256_ctx *ctx, const uint8_t **data, size_t *count) {
    if (ctx->buffered == 0) return;
    size_t take = 64 - ctx->buffered;
    if (take > *count) take = *count;
    memcpy(ctx->block + ctx->buffered, *data, take);
    ctx->buffered += (uint32_t)take;
    *data += take;
    *count -= take;
    if (ctx->buffered == 64) {
        compress(ctx->state, ctx->block, 1);
        ctx->buffered = 0;
    }
}

void mc_sha256_update(mc_sha256_ctx *ctx, const void *data, size_t count) {
    const uint8_t *bytes = data;
    ctx->length += count;
    fill_block(ctx, &bytes, &count);
    if (count >= 64) {
        compress(ctx->state, bytes, count / 64);
        bytes += count & ~(size_t)63;
        count &= 63;
    }
    if (count > 0) {
        memcpy(ctx->block + ctx->buffered, bytes, count);
        ctx->buffered += (uint32_t)count;
    }
}

void mc_sha256_update2(mc_sha256_ctx *a, const void *data_a, size_t count_a,
                       mc_sha256_ctx *b, const void *data_b, size_t count_b) {
    const uint8_t *bytes_a = data_a, *bytes_b = data_b;
    a->length += count_a;
    b->length += count_b;
    fill_block(a, &bytes_a, &count_a);
    fill_block(b, &bytes_b, &count_b);
    size_t shared = (a->buffered == 0 && b->buffered == 0) ? (count_a < count_b ? count_a : count_b) / 64 : 0;
    if (shared > 0) {
        compress2(a->state, bytes_a, b->state, bytes_b, shared);
        bytes_a += shared * 64;
        bytes_b += shared * 64;
        count_a -= shared * 64;
        count_b -= shared * 64;
    }
    /* What is left (one lane's longer tail, partial blocks) goes one lane at a time. */
    a->length -= count_a;
    b->length -= count_b;
    mc_sha256_update(a, bytes_a, count_a);
    mc_sha256_update(b, bytes_b, count_b);
}

void mc_sha256_final(mc_sha256_ctx *ctx, uint8_t digest[32]) {
    uint64_t bits = ctx->length * 8;
    uint8_t padding[72] = {0x80};
    size_t pad = (ctx->buffered < 56 ? 56 : 120) - ctx->buffered;
    for (int i = 0; i < 8; i++) padding[pad + i] = (uint8_t)(bits >> (56 - 8 * i));
    mc_sha256_update(ctx, padding, pad + 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(ctx->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->state[i];
    }
    mc_sha256_init(ctx);
}
