/* Variable (file-format-2.1.md §4.3): strings / binary.
 *  - mini-block: (k+1) offsets relative to the buffer start, then the bytes;
 *  - block: u32 32 | u32 data_start | (n+1) u32 offsets | bytes (or the
 *    64-bit twin with u64s); older form: u8 width | u32/u64 count |
 *    u32/u64 data_start | offsets | bytes;
 *  - per-value: the values are the stored bytes (copy). */
#include "file/encodings/enc_internal.h"

static int offsets_width(const lc_cenc *enc, unsigned *w, lancec_error *err) {
  const Lance__Encodings21__Variable *v = enc->variable;
  if (!v) return lc_enc_corrupt(err, enc, "missing Variable message");
  if (lc_enc_bufcomp_set(v->values))
    return lc_enc_unsupported(err, enc, "any (compressed Variable values)");
  uint64_t bits = 0;
  LC_TRY(lc_enc_flat_bits(enc, v->offsets, &bits, err));
  if (bits != 32 && bits != 64)
    return lc_enc_corrupt(err, enc, "offsets must be 32 or 64 bits, not %llu",
                          (unsigned long long)bits);
  *w = (unsigned)(bits / 8);
  return 0;
}

/* Offsets at `offs` (n+1 of width w, unaligned LE) index into `base`
 * (base_len bytes); produce out with rebased offsets and a copy of the
 * bytes [offs[0], offs[n]). */
static int rebase(const lc_cenc *enc, const uint8_t *offs, unsigned w, uint64_t n,
                  const uint8_t *base, uint64_t base_len, uint64_t min_first, lc_values *out,
                  lancec_error *err) {
  uint64_t first = w == 4 ? lc_le32(offs) : lc_le64(offs);
  uint64_t last = w == 4 ? lc_le32(offs + 4 * n) : lc_le64(offs + 8 * n);
  if (first < min_first || last < first || last > base_len)
    return lc_enc_corrupt(err, enc,
                          "offsets [%llu, %llu] fall outside the %llu data bytes (first >= %llu)",
                          (unsigned long long)first, (unsigned long long)last,
                          (unsigned long long)base_len, (unsigned long long)min_first);
  LC_TRY(lc_values_alloc_variable(out, n, (int)w * 8, last - first, 0, enc, err));
  bool bad = false;
  if (w == 4) {
    uint32_t prev = (uint32_t)first, f = (uint32_t)first;
    uint32_t *o = (uint32_t *)out->offsets;
    for (uint64_t i = 0; i <= n; i++) {
      uint32_t x = lc_le32(offs + 4 * i);
      bad |= x < prev;
      prev = x;
      o[i] = x - f;
    }
  } else {
    uint64_t prev = first;
    uint64_t *o = (uint64_t *)out->offsets;
    for (uint64_t i = 0; i <= n; i++) {
      uint64_t x = lc_le64(offs + 8 * i);
      bad |= x < prev;
      prev = x;
      o[i] = x - first;
    }
  }
  if (bad) return lc_enc_corrupt(err, enc, "offsets are decreasing");
  if (last > first) memcpy(out->data, base + first, (size_t)(last - first));
  return 0;
}

int lc_variable_mb_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                          lc_values *out, lancec_error *err) {
  unsigned w = 4;
  LC_TRY(offsets_width(enc, &w, err));
  if (n >= size / w)
    return lc_enc_corrupt(err, enc, "chunk buffer of %llu bytes is too small for %llu offsets",
                          (unsigned long long)size, (unsigned long long)n + 1);
  return rebase(enc, buf, w, n, buf, size, (n + 1) * w, out, err);
}

int lc_variable_block_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                             lc_values *out, lancec_error *err) {
  unsigned w_desc = 4;
  LC_TRY(offsets_width(enc, &w_desc, err));
  if (size < 4)
    return lc_enc_corrupt(err, enc, "block of %llu bytes is too small for a header",
                          (unsigned long long)size);
  unsigned bits;
  uint64_t data_start, off_start;
  if (buf[1] || buf[2] || buf[3]) {
    /* older form: u8 width, then count and data start of that width */
    bits = buf[0];
    if (bits == 32) {
      if (size < 9) return lc_enc_corrupt(err, enc, "block too small for its header");
      if (lc_le32(buf + 1) != n)
        return lc_enc_corrupt(err, enc, "block holds %u values, expected %llu",
                              lc_le32(buf + 1), (unsigned long long)n);
      data_start = lc_le32(buf + 5);
      off_start = 9;
    } else if (bits == 64) {
      if (size < 17) return lc_enc_corrupt(err, enc, "block too small for its header");
      if (lc_le64(buf + 1) != n)
        return lc_enc_corrupt(err, enc, "block holds %llu values, expected %llu",
                              (unsigned long long)lc_le64(buf + 1), (unsigned long long)n);
      data_start = lc_le64(buf + 9);
      off_start = 17;
    } else {
      return lc_enc_corrupt(err, enc, "unsupported offset width %u", bits);
    }
  } else {
    bits = buf[0];
    if (bits == 32) {
      if (size < 8) return lc_enc_corrupt(err, enc, "block too small for its header");
      data_start = lc_le32(buf + 4);
      off_start = 8;
    } else if (bits == 64) {
      if (size < 16) return lc_enc_corrupt(err, enc, "block too small for its header");
      data_start = lc_le64(buf + 8);
      off_start = 16;
    } else {
      return lc_enc_corrupt(err, enc, "unsupported offset width %u", bits);
    }
  }
  unsigned w = bits / 8;
  if (data_start < off_start || data_start > size)
    return lc_enc_corrupt(err, enc, "data start %llu is outside the %llu-byte block",
                          (unsigned long long)data_start, (unsigned long long)size);
  uint64_t region = data_start - off_start;
  if (region % w || n == UINT64_MAX || region / w != n + 1)
    return lc_enc_corrupt(err, enc, "offsets region of %llu bytes does not hold %llu offsets",
                          (unsigned long long)region, (unsigned long long)n + 1);
  const uint8_t *offs = buf + off_start;
  uint64_t first = w == 4 ? lc_le32(offs) : lc_le64(offs);
  if (first != 0) return lc_enc_corrupt(err, enc, "first offset is %llu, not 0",
                                        (unsigned long long)first);
  return rebase(enc, offs, w, n, buf + data_start, size - data_start, 0, out, err);
}

int lc_variable_copy(const lc_cenc *enc, const lc_values *in, lc_values *out, lancec_error *err) {
  uint64_t first = lc_values_off(in, 0), last = lc_values_off(in, in->n);
  LC_TRY(lc_values_alloc_variable(out, in->n, in->offset_bits, last - first, 0, enc, err));
  if (first == 0) {
    memcpy(out->offsets, in->offsets, (size_t)(in->n + 1) * (size_t)(in->offset_bits / 8));
  } else {
    for (uint64_t i = 0; i <= in->n; i++) lc_values_set_off(out, i, lc_values_off(in, i) - first);
  }
  if (last > first) memcpy(out->data, in->data + first, (size_t)(last - first));
  return 0;
}
