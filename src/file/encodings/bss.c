/* Byte stream split (file-format-2.1.md §4.7): byte j of value i is stored
 * at j*n + i. */
#include "file/encodings/enc_internal.h"

#define BSS_JOIN(W)                                              \
  for (uint64_t i = 0; i < n; i++) {                             \
    uint8_t v[W];                                                \
    for (unsigned j = 0; j < W; j++) v[j] = src[j * n + i];      \
    memcpy(dst + i * W, v, W);                                   \
  }

int lc_bss_mb_decode(const lc_cenc *enc, const uint8_t *const *bufs, const uint64_t *sizes,
                     size_t n_bufs, uint64_t n, lc_values *out, lancec_error *err) {
  const Lance__Encodings21__ByteStreamSplit *b = enc->byte_stream_split;
  if (!b) return lc_enc_corrupt(err, enc, "missing ByteStreamSplit message");
  uint64_t bits = 0;
  LC_TRY(lc_enc_flat_bits(enc, b->values, &bits, err));
  if (bits != 16 && bits != 32 && bits != 64)
    return lc_enc_corrupt(err, enc, "values must be 16/32/64 bits, not %llu",
                          (unsigned long long)bits);
  if (n_bufs < 1) return lc_enc_corrupt(err, enc, "chunk has no value buffer");
  unsigned w = (unsigned)(bits / 8);
  if (sizes[0] / w < n)
    return lc_enc_corrupt(err, enc, "buffer of %llu bytes is too small for %llu values",
                          (unsigned long long)sizes[0], (unsigned long long)n);
  LC_TRY(lc_values_alloc_fixed(out, n, bits, enc, err));
  const uint8_t *src = bufs[0];
  uint8_t *dst = out->data;
  switch (w) {
    case 2: BSS_JOIN(2) break;
    case 4: BSS_JOIN(4) break;
    default: BSS_JOIN(8) break;
  }
  return 0;
}
