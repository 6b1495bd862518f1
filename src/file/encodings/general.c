/* General compression (file-format-2.1.md §4.8, file-format-2.2.md §6.2):
 *  ZSTD = u64 LE raw length + zstd frame (a bare frame is accepted too);
 *  LZ4  = u32 LE raw length + raw LZ4 block.
 * Mini-block: only the first value buffer of the chunk is compressed.
 * Block: the whole buffer. Per-value: each value separately. */
#include <limits.h>
#include <lz4.h>
#include <pthread.h>
#include <zstd.h>

#include "file/encodings/enc_internal.h"

/* Largest expansion the formats allow: a zstd RLE block of 128 KiB costs 4
 * bytes; an LZ4 sequence expands at most ~255x. Claimed raw lengths above
 * these are corrupt (and would otherwise drive huge allocations). */
#define ZSTD_MAX_RATIO 32768u
#define LZ4_MAX_RATIO 256u

/* ---- one zstd decompression context per thread ---- */
static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static void dctx_free(void *p) { ZSTD_freeDCtx((ZSTD_DCtx *)p); }
static void dctx_init(void) { (void)pthread_key_create(&dctx_key, dctx_free); }
static ZSTD_DCtx *dctx_get(void) {
  pthread_once(&dctx_once, dctx_init);
  ZSTD_DCtx *d = pthread_getspecific(dctx_key);
  if (!d) {
    d = ZSTD_createDCtx();
    if (d && pthread_setspecific(dctx_key, d) != 0) {
      ZSTD_freeDCtx(d);
      d = NULL;
    }
  }
  return d;
}

static uint64_t cap_for(uint64_t in_len, uint64_t ratio) {
  uint64_t c;
  if (lc_mul_overflow_u64(in_len, ratio, &c)) return UINT64_MAX;
  return c + 4096;
}

/* Decompress one framed unit and append the result to dst. */
static int unframe_append(int scheme, const uint8_t *in, size_t in_len, lc_buf *dst,
                          lancec_error *err) {
  if (scheme == LC_SCHEME_LZ4) {
    if (in_len < 4)
      return lc_err(err, LANCEC_ECORRUPT, "General{LZ4}: %zu bytes is too small for a frame",
                    in_len);
    uint64_t raw = lc_le32(in);
    size_t body = in_len - 4;
    if (raw > cap_for(body, LZ4_MAX_RATIO) || raw > INT_MAX || body > INT_MAX)
      return lc_err(err, LANCEC_ECORRUPT,
                    "General{LZ4}: claimed size %llu is impossible for %zu compressed bytes",
                    (unsigned long long)raw, body);
    if (lc_buf_reserve(dst, (size_t)raw + 1))
      return lc_err(err, LANCEC_ENOMEM, "General{LZ4}: out of memory");
    int k = LZ4_decompress_safe((const char *)in + 4, (char *)dst->data + dst->len, (int)body,
                                (int)raw);
    if (k < 0 || (uint64_t)k != raw)
      return lc_err(err, LANCEC_ECORRUPT,
                    "General{LZ4}: block is corrupt (got %d of %llu bytes)", k,
                    (unsigned long long)raw);
    dst->len += (size_t)raw;
    return 0;
  }
  if (scheme != LC_SCHEME_ZSTD)
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "unknown/unsupported encoding General{scheme %d} in any context", scheme);
  ZSTD_DCtx *dctx = dctx_get();
  if (!dctx) return lc_err(err, LANCEC_ENOMEM, "General{ZSTD}: out of memory");
  bool bare = in_len >= 5 && lc_le32(in) == 0xFD2FB528u && (in[4] & 0x08) == 0;
  const uint8_t *frame = in;
  size_t flen = in_len;
  uint64_t raw;
  if (bare) {
    unsigned long long fcs = ZSTD_getFrameContentSize(in, in_len);
    if (fcs == ZSTD_CONTENTSIZE_ERROR)
      return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: invalid zstd frame header");
    if (fcs == ZSTD_CONTENTSIZE_UNKNOWN) {
      /* stream with a growing buffer, capped by the maximum ratio */
      uint64_t cap = cap_for(in_len, ZSTD_MAX_RATIO);
      ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
      ZSTD_inBuffer ib = {in, in_len, 0};
      for (;;) {
        if (lc_buf_reserve(dst, 65536))
          return lc_err(err, LANCEC_ENOMEM, "General{ZSTD}: out of memory");
        ZSTD_outBuffer ob = {dst->data + dst->len, dst->cap - dst->len, 0};
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(r))
          return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: %s", ZSTD_getErrorName(r));
        dst->len += ob.pos;
        if (dst->len > cap)
          return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: output exceeds %llu bytes",
                        (unsigned long long)cap);
        if (r == 0 && ib.pos == ib.size) return 0;
        if (ob.pos == 0 && ib.pos == ib.size)
          return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: truncated frame");
      }
    }
    raw = fcs;
  } else {
    if (in_len < 8)
      return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: %zu bytes is too small for a frame",
                    in_len);
    raw = lc_le64(in);
    frame = in + 8;
    flen = in_len - 8;
  }
  if (raw > cap_for(flen, ZSTD_MAX_RATIO) || raw > LC_ENC_MAX_OUTPUT)
    return lc_err(err, LANCEC_ECORRUPT,
                  "General{ZSTD}: claimed size %llu is impossible for %zu compressed bytes",
                  (unsigned long long)raw, flen);
  if (lc_buf_reserve(dst, (size_t)raw + 1))
    return lc_err(err, LANCEC_ENOMEM, "General{ZSTD}: out of memory");
  size_t k = ZSTD_decompressDCtx(dctx, dst->data + dst->len, (size_t)raw, frame, flen);
  if (ZSTD_isError(k))
    return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: %s", ZSTD_getErrorName(k));
  if (k != raw)
    return lc_err(err, LANCEC_ECORRUPT, "General{ZSTD}: frame holds %zu bytes, header says %llu",
                  k, (unsigned long long)raw);
  dst->len += (size_t)raw;
  return 0;
}

int lc_general_decompress(int scheme, const uint8_t *in, size_t in_len, uint8_t **out,
                          size_t *out_len, lancec_error *err) {
  lc_buf b = {0};
  *out = NULL;
  *out_len = 0;
  int rc = unframe_append(scheme, in, in_len, &b, err);
  if (rc) {
    lc_buf_free(&b);
    return rc;
  }
  if (!b.data) {
    b.data = lc_malloc(1);
    if (!b.data) return lc_err(err, LANCEC_ENOMEM, "General: out of memory");
  }
  *out = lc_buf_steal(&b, out_len);
  return 0;
}

static int general_scheme(const lc_cenc *enc, int *scheme, lancec_error *err) {
  const Lance__Encodings21__General *g = enc->general;
  if (!g) return lc_enc_corrupt(err, enc, "missing General message");
  if (!g->values) return lc_enc_corrupt(err, enc, "missing values encoding");
  int s = g->compression && g->compression->has_scheme ? (int)g->compression->scheme : 0;
  if (s != LC_SCHEME_LZ4 && s != LC_SCHEME_ZSTD)
    return lc_enc_unsupported(err, enc, "any (compression scheme)");
  *scheme = s;
  return 0;
}

int lc_general_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                         size_t n_bufs, uint64_t n, lc_values *out, int depth, lancec_error *err) {
  int scheme = 0;
  LC_TRY(general_scheme(enc, &scheme, err));
  if (n_bufs < 1) return lc_enc_corrupt(err, enc, "chunk has no value buffer");
  if (sizes[0] > SIZE_MAX) return lc_enc_corrupt(err, enc, "buffer too large");
  uint8_t *raw;
  size_t raw_len;
  LC_TRY(lc_general_decompress(scheme, bufs[0], (size_t)sizes[0], &raw, &raw_len, err));
  const uint8_t *sbufs[8];
  uint64_t ssizes[8];
  const uint8_t **nb = sbufs;
  uint64_t *ns = ssizes;
  if (n_bufs > 8) {
    nb = lc_malloc(n_bufs * sizeof *nb);
    ns = lc_malloc(n_bufs * sizeof *ns);
    if (!nb || !ns) {
      lc_free(nb);
      lc_free(ns);
      lc_free(raw);
      return lc_enc_nomem(err, enc);
    }
  }
  for (size_t i = 0; i < n_bufs; i++) {
    nb[i] = bufs[i];
    ns[i] = sizes[i];
  }
  nb[0] = raw;
  ns[0] = raw_len;
  int rc = lc_mb_decode(enc->general->values, nb, ns, n_bufs, n, out, depth + 1, err);
  if (nb != sbufs) {
    lc_free(nb);
    lc_free(ns);
  }
  lc_free(raw);
  return rc;
}

int lc_general_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                            lc_values *out, int depth, lancec_error *err) {
  int scheme = 0;
  LC_TRY(general_scheme(enc, &scheme, err));
  if (size > SIZE_MAX) return lc_enc_corrupt(err, enc, "buffer too large");
  uint8_t *raw;
  size_t raw_len;
  LC_TRY(lc_general_decompress(scheme, buf, (size_t)size, &raw, &raw_len, err));
  int rc = lc_blk_decode(enc->general->values, raw, raw_len, n, out, depth + 1, err);
  lc_free(raw);
  return rc;
}

int lc_general_pv_decode(const lc_cenc *enc, const lc_values *in, lc_values *out, int depth,
                         lancec_error *err) {
  int scheme = 0;
  LC_TRY(general_scheme(enc, &scheme, err));
  lc_buf b = {0};
  uint64_t *offs = lc_malloc((size_t)(in->n + 1) * sizeof *offs);
  if (!offs) return lc_enc_nomem(err, enc);
  offs[0] = 0;
  int rc = 0;
  for (uint64_t i = 0; i < in->n && !rc; i++) {
    uint64_t a = lc_values_off(in, i), e = lc_values_off(in, i + 1);
    if (e > a) rc = unframe_append(scheme, in->data + a, (size_t)(e - a), &b, err);
    if (!rc && b.len > LC_ENC_MAX_OUTPUT)
      rc = lc_enc_corrupt(err, enc, "decompressed values exceed the output size limit");
    offs[i + 1] = b.len;
  }
  lc_values tmp = {0};
  if (!rc) {
    int ob = b.len > UINT32_MAX ? 64 : in->offset_bits;
    tmp.kind = LC_VALUES_VARIABLE;
    tmp.n = in->n;
    tmp.offset_bits = ob;
    tmp.offsets = lc_malloc((size_t)(in->n + 1) * (size_t)(ob / 8));
    if (!tmp.offsets) rc = lc_enc_nomem(err, enc);
  }
  if (!rc) {
    for (uint64_t i = 0; i <= in->n; i++) lc_values_set_off(&tmp, i, offs[i]);
    if (!b.data) b.data = lc_malloc(1);
    if (!b.data) rc = lc_enc_nomem(err, enc);
  }
  lc_free(offs);
  if (rc) {
    lc_buf_free(&b);
    lc_values_free(&tmp);
    return rc;
  }
  tmp.data_len = b.len;
  tmp.data_cap = b.cap;
  tmp.data = lc_buf_steal(&b, NULL);
  const lc_cenc *inner = enc->general->values;
  if (inner->compression_case == LC_CASE(VARIABLE)) {
    lc_values_move(out, &tmp);
    return 0;
  }
  rc = lc_pvv_decode(inner, &tmp, out, depth + 1, err);
  lc_values_free(&tmp);
  return rc;
}
