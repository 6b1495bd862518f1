/* FixedSizeList (file-format-2.1.md §4.9).
 *  - mini-block: one item-validity bitmap buffer per layer with has_validity
 *    (outermost first, n * cum_dim bits), then the item buffer(s) decoded by
 *    the innermost encoding;
 *  - per-value: each row = [validity bytes per validity layer,
 *    ceil(cum_dim/8) each][item bytes];
 *  - block: items only (no validity).
 * Output: FIXED, n rows of item_bits * cum_dim bits, with fsl_dim /
 * fsl_validity per layer. An all-null inner (Constant without value) gives
 * 0-bit items. */
#include "file/encodings/enc_internal.h"

#define FSL_MAX_CUM ((uint64_t)1 << 31)

typedef struct fsl_chain {
  int k;                           /* number of layers */
  uint64_t dim[LC_MAX_FSL_DEPTH];
  uint64_t cum[LC_MAX_FSL_DEPTH];  /* cumulative dims (outermost first) */
  bool validity[LC_MAX_FSL_DEPTH];
  const lc_cenc *inner;            /* first non-FSL encoding */
} fsl_chain;

static int fsl_walk(const lc_cenc *enc, fsl_chain *c, lancec_error *err) {
  memset(c, 0, sizeof *c);
  const lc_cenc *e = enc;
  uint64_t cum = 1;
  while (e && e->compression_case == LC_CASE(FIXED_SIZE_LIST)) {
    const Lance__Encodings21__FixedSizeList *f = e->fixed_size_list;
    if (!f) return lc_enc_corrupt(err, enc, "missing FixedSizeList message");
    if (c->k >= LC_MAX_FSL_DEPTH)
      return lc_enc_corrupt(err, enc, "more than %d nested FixedSizeList layers",
                            LC_MAX_FSL_DEPTH);
    if (lc_mul_overflow_u64(cum, f->items_per_value, &cum) || cum > FSL_MAX_CUM)
      return lc_enc_corrupt(err, enc, "list dimension %llu is too large",
                            (unsigned long long)f->items_per_value);
    c->dim[c->k] = f->items_per_value;
    c->cum[c->k] = cum;
    c->validity[c->k] = f->has_validity;
    c->k++;
    e = f->values;
  }
  if (!e) return lc_enc_corrupt(err, enc, "missing item encoding");
  c->inner = e;
  return 0;
}

static uint64_t chain_cum(const fsl_chain *c) { return c->k ? c->cum[c->k - 1] : 1; }

static int fsl_finish(const lc_cenc *enc, const fsl_chain *c, uint64_t n, lc_values *out,
                      lancec_error *err) {
  if (out->kind != LC_VALUES_FIXED)
    return lc_enc_corrupt(err, enc, "items did not decode to fixed-width values");
  uint64_t cum = chain_cum(c);
  if (out->n != n * cum)
    return lc_enc_corrupt(err, enc, "items decoded to %llu values, expected %llu",
                          (unsigned long long)out->n, (unsigned long long)(n * cum));
  out->n = n;
  out->bits_per_value *= cum;
  out->n_fsl = c->k;
  for (int k = 0; k < c->k; k++) out->fsl_dim[k] = c->dim[k];
  return 0;
}

int lc_fsl_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                     size_t n_bufs, uint64_t n, lc_values *out, int depth, lancec_error *err) {
  fsl_chain c;
  LC_TRY(fsl_walk(enc, &c, err));
  if (out->n_fsl)
    return lc_enc_corrupt(err, enc, "FixedSizeList nested inside another FixedSizeList");
  uint64_t items;
  if (lc_mul_overflow_u64(n, chain_cum(&c), &items) || items > LC_ENC_MAX_OUTPUT)
    return lc_enc_corrupt(err, enc, "%llu rows hold too many items", (unsigned long long)n);
  size_t bi = 0;
  out->n_fsl = c.k; /* marks the validity slots as in use */
  for (int k = 0; k < c.k; k++) {
    if (!c.validity[k]) continue;
    if (bi >= n_bufs)
      return lc_enc_corrupt(err, enc, "chunk lacks the validity buffer of layer %d", k);
    uint64_t bits;
    if (lc_mul_overflow_u64(n, c.cum[k], &bits) || bits / 8 > LC_ENC_MAX_OUTPUT)
      return lc_enc_corrupt(err, enc, "%llu rows hold too many items", (unsigned long long)n);
    uint64_t bytes = (bits + 7) / 8;
    if (sizes[bi] < bytes)
      return lc_enc_corrupt(err, enc,
                            "validity buffer of layer %d has %llu bytes, needs %llu", k,
                            (unsigned long long)sizes[bi], (unsigned long long)bytes);
    out->fsl_validity[k] = lc_malloc(bytes ? (size_t)bytes : 1);
    if (!out->fsl_validity[k]) return lc_enc_nomem(err, enc);
    if (bytes) {
      memcpy(out->fsl_validity[k], bufs[bi], (size_t)bytes);
      if (bits % 8) out->fsl_validity[k][bytes - 1] &= (uint8_t)((1u << (bits % 8)) - 1);
    }
    bi++;
  }
  if (bi >= n_bufs) return lc_enc_corrupt(err, enc, "chunk lacks the item buffer");
  if (c.inner->compression_case == LC_CASE(FIXED_SIZE_LIST))
    return lc_enc_corrupt(err, enc, "bad nesting");
  LC_TRY(lc_mb_decode(c.inner, bufs + bi, sizes + bi, n_bufs - bi, items, out, depth + 1, err));
  return fsl_finish(enc, &c, n, out, err);
}

int lc_fsl_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                        lc_values *out, int depth, lancec_error *err) {
  fsl_chain c;
  LC_TRY(fsl_walk(enc, &c, err));
  if (out->n_fsl)
    return lc_enc_corrupt(err, enc, "FixedSizeList nested inside another FixedSizeList");
  for (int k = 0; k < c.k; k++)
    if (c.validity[k]) return lc_enc_unsupported(err, enc, "block (with item validity)");
  uint64_t items;
  if (lc_mul_overflow_u64(n, chain_cum(&c), &items) || items > LC_ENC_MAX_OUTPUT)
    return lc_enc_corrupt(err, enc, "%llu rows hold too many items", (unsigned long long)n);
  out->n_fsl = c.k;
  LC_TRY(lc_blk_decode(c.inner, buf, size, items, out, depth + 1, err));
  return fsl_finish(enc, &c, n, out, err);
}

int lc_fsl_pv_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n, uint64_t stored_bits,
                     lc_values *out, lancec_error *err) {
  fsl_chain c;
  LC_TRY(fsl_walk(enc, &c, err));
  uint64_t item_bits = 0;
  switch (c.inner->compression_case) {
    case LC_CASE(FLAT):
      LC_TRY(lc_enc_flat_bits(enc, c.inner, &item_bits, err));
      if (item_bits == 0 || item_bits > ((uint64_t)1 << 32))
        return lc_enc_corrupt(err, enc, "invalid item width");
      break;
    case LC_CASE(CONSTANT):
      item_bits = 0; /* all items null: only validity is stored */
      break;
    default:
      return lc_enc_unsupported(err, c.inner, "per-value FixedSizeList item");
  }
  uint64_t cum = chain_cum(&c);
  uint64_t vbytes = 0;
  bool any_validity = false;
  for (int k = 0; k < c.k; k++)
    if (c.validity[k]) {
      vbytes += (c.cum[k] + 7) / 8;
      any_validity = true;
    }
  uint64_t row_item_bits = item_bits * cum; /* <= 2^63 by the caps above */
  if (!any_validity) {
    if (stored_bits != row_item_bits)
      return lc_enc_corrupt(err, enc, "page stores %llu bits per row, encoding implies %llu",
                            (unsigned long long)stored_bits, (unsigned long long)row_item_bits);
    LC_TRY(lc_values_alloc_fixed(out, n, row_item_bits, enc, err));
    if (out->data_len) memcpy(out->data, in, out->data_len);
  } else {
    if (item_bits % 8)
      return lc_enc_unsupported(err, enc, "per-value (sub-byte items with validity)");
    uint64_t row_item_bytes = row_item_bits / 8;
    uint64_t row_bytes = vbytes + row_item_bytes;
    if (stored_bits % 8 || stored_bits / 8 != row_bytes)
      return lc_enc_corrupt(err, enc, "page stores %llu bits per row, encoding implies %llu",
                            (unsigned long long)stored_bits, (unsigned long long)row_bytes * 8);
    LC_TRY(lc_values_alloc_fixed(out, n, row_item_bits, enc, err));
    out->n_fsl = c.k;
    for (int k = 0; k < c.k; k++) {
      if (!c.validity[k]) continue;
      uint64_t bits;
      if (lc_mul_overflow_u64(n, c.cum[k], &bits) || bits / 8 > LC_ENC_MAX_OUTPUT)
        return lc_enc_corrupt(err, enc, "%llu rows hold too many items", (unsigned long long)n);
      out->fsl_validity[k] = lc_calloc((size_t)((bits + 7) / 8) + 1, 1);
      if (!out->fsl_validity[k]) return lc_enc_nomem(err, enc);
    }
    for (uint64_t r = 0; r < n; r++) {
      const uint8_t *p = in + r * row_bytes;
      for (int k = 0; k < c.k; k++) {
        if (!c.validity[k]) continue;
        uint64_t cb = c.cum[k];
        if (cb % 8 == 0)
          memcpy(out->fsl_validity[k] + r * (cb / 8), p, (size_t)(cb / 8));
        else
          lc_bits_copy(out->fsl_validity[k], (int64_t)(r * cb), p, 0, (int64_t)cb);
        p += (cb + 7) / 8;
      }
      if (row_item_bytes) memcpy(out->data + r * row_item_bytes, p, (size_t)row_item_bytes);
    }
  }
  out->n_fsl = c.k;
  for (int k = 0; k < c.k; k++) out->fsl_dim[k] = c.dim[k];
  return 0;
}
