/* Constant (file-format-2.1.md §4.11): no data; every value equals the
 * bytes in the message, or (value absent) every value is null. The null
 * form decodes to FIXED values of 0 bits (no data): the caller treats the
 * items as all null. */
#include "file/encodings/enc_internal.h"

int lc_constant_decode(const lc_cenc *enc, uint64_t n, lc_values *out, lancec_error *err) {
  const Lance__Encodings21__Constant *c = enc->constant;
  if (!c) return lc_enc_corrupt(err, enc, "missing Constant message");
  if (!c->has_value || c->value.len == 0) {
    LC_TRY(lc_values_alloc_fixed(out, n, 0, enc, err));
    return 0;
  }
  size_t w = c->value.len;
  if (w > 4096) return lc_enc_corrupt(err, enc, "constant of %zu bytes is too large", w);
  LC_TRY(lc_values_alloc_fixed(out, n, (uint64_t)w * 8, enc, err));
  uint8_t *d = out->data;
  if (w == 1) {
    memset(d, c->value.data[0], (size_t)n);
    return 0;
  }
  if (n == 0) return 0;
  /* fill by doubling copies */
  memcpy(d, c->value.data, w);
  size_t done = w, total = out->data_len;
  while (done < total) {
    size_t k = done < total - done ? done : total - done;
    memcpy(d + done, d, k);
    done += k;
  }
  return 0;
}
