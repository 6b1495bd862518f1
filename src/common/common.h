/* Internal helpers shared by every module: error reporting, allocation,
 * growable byte buffers, little-endian loads. Not part of the public API. */
#ifndef LC_COMMON_H
#define LC_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lancec.h"

#define LC_INTERNAL __attribute__((visibility("hidden")))

/* ---- errors --------------------------------------------------------------
 * lc_err(err, code, fmt, ...) fills `err` (may be NULL) and returns `code`,
 * so a failure site reads: return lc_err(err, LANCEC_ECORRUPT, "...", ...);
 * lc_err_prefix() prepends context ("data/x.lance: ") to an existing message,
 * used when an error travels up through a layer that knows more.          */
LC_INTERNAL int lc_err(lancec_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
LC_INTERNAL int lc_err_prefix(lancec_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
LC_INTERNAL void lc_err_clear(lancec_error *err);

#define LC_TRY(expr)                \
  do {                              \
    int lc_try_rc_ = (expr);        \
    if (lc_try_rc_ != 0) return lc_try_rc_; \
  } while (0)

/* ---- allocation ------------------------------------------------------------
 * All allocation goes through these so an injectable allocator / failure
 * injection can be added in one place. They never abort.                   */
LC_INTERNAL void *lc_malloc(size_t n);
LC_INTERNAL void *lc_calloc(size_t n, size_t size);
LC_INTERNAL void *lc_realloc(void *p, size_t n);
LC_INTERNAL void lc_free(void *p);
/* Scans bracket their life with these: while one runs, freed large blocks
 * are pooled for reuse by lc_buf (see common.c). */
LC_INTERNAL void lc_pool_scan_begin(void);
LC_INTERNAL void lc_pool_scan_end(void);
LC_INTERNAL char *lc_strdup(const char *s);
LC_INTERNAL char *lc_strndup(const char *s, size_t n);
LC_INTERNAL char *lc_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 64-byte aligned allocation for Arrow buffers (free with lc_free).        */
LC_INTERNAL void *lc_malloc_aligned(size_t n);

/* ---- growable byte buffer ------------------------------------------------- */
typedef struct lc_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} lc_buf;

LC_INTERNAL int lc_buf_reserve(lc_buf *b, size_t extra);          /* 0 or LANCEC_ENOMEM */
LC_INTERNAL int lc_buf_append(lc_buf *b, const void *p, size_t n);
LC_INTERNAL int lc_buf_append_zeros(lc_buf *b, size_t n);
LC_INTERNAL void lc_buf_free(lc_buf *b);
/* Hand the bytes over to the caller (buffer becomes empty). */
LC_INTERNAL uint8_t *lc_buf_steal(lc_buf *b, size_t *len);

/* ---- overflow-checked arithmetic ----------------------------------------- */
static inline bool lc_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_add_overflow(a, b, out);
}
static inline bool lc_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_mul_overflow(a, b, out);
}

/* ---- little-endian loads/stores (unaligned safe) ------------------------- */
static inline uint16_t lc_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t lc_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t lc_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void lc_st16(void *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void lc_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void lc_st64(void *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- bitmaps (Arrow, LSB first) ------------------------------------------ */
static inline bool lc_bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void lc_bit_set(uint8_t *bits, int64_t i) { bits[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void lc_bit_clear(uint8_t *bits, int64_t i) { bits[i >> 3] &= (uint8_t)~(1u << (i & 7)); }
static inline void lc_bit_put(uint8_t *bits, int64_t i, bool v) {
  if (v) lc_bit_set(bits, i); else lc_bit_clear(bits, i);
}
static inline size_t lc_bitmap_bytes(int64_t n) { return (size_t)((n + 7) / 8); }
/* Copy `n` bits from src (starting at bit src_off) to dst (at bit dst_off). */
LC_INTERNAL void lc_bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n);
LC_INTERNAL int64_t lc_bits_count_zero(const uint8_t *bits, int64_t off, int64_t n);

/* ---- IEEE half precision ------------------------------------------------------ */
LC_INTERNAL float lc_half_to_float(uint16_t h);
LC_INTERNAL uint16_t lc_float_to_half(float f); /* round to nearest even */

/* ---- misc ------------------------------------------------------------------ */
LC_INTERNAL int lc_num_cpus(void);
LC_INTERNAL int64_t lc_now_ns(void);

#endif
