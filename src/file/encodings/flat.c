/* Flat (file-format-2.1.md §4.1): plain values of bits_per_value bits, in
 * mini-block, block and per-value context. */
#include "file/encodings/enc_internal.h"

static int flat_bits(const lc_cenc *enc, uint64_t *bits, lancec_error *err) {
  const Lance__Encodings21__Flat *f = enc->flat;
  if (!f) return lc_enc_corrupt(err, enc, "missing Flat message");
  if (lc_enc_bufcomp_set(f->data)) return lc_enc_unsupported(err, enc, "any (compressed Flat)");
  if (f->bits_per_value == 0 || f->bits_per_value > ((uint64_t)1 << 32))
    return lc_enc_corrupt(err, enc, "invalid bits_per_value %llu",
                          (unsigned long long)f->bits_per_value);
  *bits = f->bits_per_value;
  return 0;
}

int lc_flat_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                   lc_values *out, lancec_error *err) {
  uint64_t bits = 0, tbits;
  LC_TRY(flat_bits(enc, &bits, err));
  if (lc_mul_overflow_u64(n, bits, &tbits) || (tbits + 7) / 8 > size)
    return lc_enc_corrupt(err, enc, "buffer of %llu bytes is too small for %llu values",
                          (unsigned long long)size, (unsigned long long)n);
  LC_TRY(lc_values_alloc_fixed(out, n, bits, enc, err));
  if (out->data_len) memcpy(out->data, buf, out->data_len);
  /* booleans: clear the bits past n in the last byte */
  if (tbits % 8) out->data[out->data_len - 1] &= (uint8_t)((1u << (tbits % 8)) - 1);
  return 0;
}

int lc_flat_pv_decode(const lc_cenc *enc, const uint8_t *in, uint64_t n, uint64_t stored_bits,
                      lc_values *out, lancec_error *err) {
  uint64_t bits = 0;
  LC_TRY(flat_bits(enc, &bits, err));
  if (bits != stored_bits)
    return lc_enc_corrupt(err, enc, "page stores %llu bits per value",
                          (unsigned long long)stored_bits);
  LC_TRY(lc_values_alloc_fixed(out, n, bits, enc, err));
  if (out->data_len) memcpy(out->data, in, out->data_len);
  return 0;
}
