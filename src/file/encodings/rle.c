/* Run-length encoding.
 *  - mini-block (file-format-2.1.md §4.6): two chunk buffers, the run values
 *    (Flat{8/16/32/64}) and the u8 run lengths;
 *  - block (file-format-2.2.md §6.1): u64 V | V bytes of run values | V/(B/8)
 *    u8 run lengths.
 * Runs past the expected count are cut; fewer values than expected is an
 * error. */
#include "file/encodings/enc_internal.h"

static int rle_widths(const lc_cenc *enc, unsigned *bw, lancec_error *err) {
  const Lance__Encodings21__Rle *r = enc->rle;
  if (!r) return lc_enc_corrupt(err, enc, "missing Rle message");
  uint64_t vb = 0, lb = 0;
  LC_TRY(lc_enc_flat_bits(enc, r->values, &vb, err));
  if (vb != 8 && vb != 16 && vb != 32 && vb != 64)
    return lc_enc_corrupt(err, enc, "run values must be 8/16/32/64 bits, not %llu",
                          (unsigned long long)vb);
  if (r->run_lengths) {
    LC_TRY(lc_enc_flat_bits(enc, r->run_lengths, &lb, err));
    if (lb != 8) return lc_enc_unsupported(err, enc, "this (run lengths must be Flat{8})");
  }
  *bw = (unsigned)(vb / 8);
  return 0;
}

#define RLE_FILL(BW)                                                   \
  for (uint64_t r = 0; r < runs && pos < n; r++) {                     \
    uint64_t len = lens[r];                                            \
    if (len > n - pos) len = n - pos;                                  \
    uint8_t v[BW];                                                     \
    memcpy(v, vals + r * BW, BW);                                      \
    uint8_t *d = dst + pos * BW;                                       \
    for (uint64_t k = 0; k < len; k++) memcpy(d + k * BW, v, BW);      \
    pos += len;                                                        \
  }

static int rle_expand(const lc_cenc *enc, const uint8_t *vals, const uint8_t *lens, uint64_t runs,
                      unsigned bw, uint64_t n, lc_values *out, lancec_error *err) {
  /* each run holds at most 255 values: bounds n by the input size */
  if (n / 255 > runs)
    return lc_enc_corrupt(err, enc, "%llu runs cannot hold %llu values",
                          (unsigned long long)runs, (unsigned long long)n);
  LC_TRY(lc_values_alloc_fixed(out, n, (uint64_t)bw * 8, enc, err));
  uint8_t *dst = out->data;
  uint64_t pos = 0;
  switch (bw) {
    case 1:
      for (uint64_t r = 0; r < runs && pos < n; r++) {
        uint64_t len = lens[r];
        if (len > n - pos) len = n - pos;
        memset(dst + pos, vals[r], (size_t)len);
        pos += len;
      }
      break;
    case 2: RLE_FILL(2) break;
    case 4: RLE_FILL(4) break;
    default: RLE_FILL(8) break;
  }
  if (pos < n)
    return lc_enc_corrupt(err, enc, "runs hold %llu values, expected %llu",
                          (unsigned long long)pos, (unsigned long long)n);
  return 0;
}

int lc_rle_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                     size_t n_bufs, uint64_t n, lc_values *out, lancec_error *err) {
  unsigned bw = 1;
  LC_TRY(rle_widths(enc, &bw, err));
  if (n_bufs < 2)
    return lc_enc_corrupt(err, enc, "chunk has %zu value buffers, expected 2", n_bufs);
  uint64_t runs = sizes[1];
  if (sizes[0] / bw < runs)
    return lc_enc_corrupt(err, enc, "%llu-byte run-value buffer is too small for %llu runs",
                          (unsigned long long)sizes[0], (unsigned long long)runs);
  return rle_expand(enc, bufs[0], bufs[1], runs, bw, n, out, err);
}

int lc_rle_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                        lc_values *out, lancec_error *err) {
  unsigned bw = 1;
  LC_TRY(rle_widths(enc, &bw, err));
  if (size < 8)
    return lc_enc_corrupt(err, enc, "block of %llu bytes is too small for the 8-byte header",
                          (unsigned long long)size);
  uint64_t v = lc_le64(buf);
  if (v % bw)
    return lc_enc_corrupt(err, enc, "run-value section of %llu bytes is not a multiple of %u",
                          (unsigned long long)v, bw);
  uint64_t runs = v / bw;
  if (v > size - 8 || runs > size - 8 - v)
    return lc_enc_corrupt(err, enc, "block of %llu bytes is too small for %llu runs",
                          (unsigned long long)size, (unsigned long long)runs);
  return rle_expand(enc, buf + 8, buf + 8 + v, runs, bw, n, out, err);
}
