/* Bit-packing encoders (file-format-2.1.md §4.2.2 / §4.2.3), zstd framing
 * (§4.8) and the variable-width dictionary builder (§3.4.5). */
#include <zstd.h>

#include "file/encodings/encoders.h"
#include "file/encodings/encodings.h"

unsigned lc_bp_width(const void *vals, size_t n, unsigned t) {
  const uint8_t *p = vals;
  switch (t) {
    case 8: {
      uint8_t o = 0;
      for (size_t i = 0; i < n; i++) o |= p[i];
      return lc_bitlen64(o);
    }
    case 16: {
      uint16_t o = 0, v;
      for (size_t i = 0; i < n; i++) {
        memcpy(&v, p + 2 * i, 2);
        o |= v;
      }
      return lc_bitlen64(o);
    }
    case 32: {
      uint32_t o = 0, v;
      for (size_t i = 0; i < n; i++) {
        memcpy(&v, p + 4 * i, 4);
        o |= v;
      }
      return lc_bitlen64(o);
    }
    default: {
      uint64_t o = 0, v;
      for (size_t i = 0; i < n; i++) {
        memcpy(&v, p + 8 * i, 8);
        o |= v;
      }
      return lc_bitlen64(o);
    }
  }
}

size_t lc_enc_inline_bp(const void *vals, size_t n, unsigned t, uint8_t *out) {
  uint64_t in[1024];     /* aligned, zero padded */
  uint64_t packed[1024]; /* 8 KiB = the largest group */
  size_t b = t / 8;
  if (n > 1024) n = 1024;
  memcpy(in, vals, n * b);
  memset((uint8_t *)in + n * b, 0, (1024 - n) * b);
  unsigned w = lc_bp_width(in, n, t);
  uint64_t wv = w;
  memcpy(out, &wv, b); /* little endian: low bytes of w */
  switch (t) {
    case 8: lc_fastlanes_pack8((const uint8_t *)in, w, (uint8_t *)packed); break;
    case 16: lc_fastlanes_pack16((const uint16_t *)in, w, (uint16_t *)packed); break;
    case 32: lc_fastlanes_pack32((const uint32_t *)in, w, (uint32_t *)packed); break;
    default: lc_fastlanes_pack64(in, w, packed); break;
  }
  memcpy(out + b, packed, (size_t)128 * w);
  return b + (size_t)128 * w;
}

size_t lc_enc_ool_levels(const uint16_t *lv, size_t n, unsigned w, uint8_t *out) {
  uint16_t in[1024], packed[1024];
  size_t full = n / 1024, tail = n % 1024, pos = 0;
  size_t gbytes = (size_t)128 * w;
  for (size_t g = 0; g < full; g++) {
    memcpy(in, lv + g * 1024, sizeof in);
    lc_fastlanes_pack16(in, w, packed);
    memcpy(out + pos, packed, gbytes);
    pos += gbytes;
  }
  if (tail) {
    /* pack the tail iff the padding costs less than it saves */
    if ((uint64_t)w * (1024 - tail) < (uint64_t)(16 - w) * tail) {
      memcpy(in, lv + full * 1024, tail * 2);
      memset(in + tail, 0, (1024 - tail) * 2);
      lc_fastlanes_pack16(in, w, packed);
      memcpy(out + pos, packed, gbytes);
      pos += gbytes;
    } else {
      memcpy(out + pos, lv + full * 1024, tail * 2);
      pos += tail * 2;
    }
  }
  return pos;
}

int lc_enc_zstd_frame(const uint8_t *in, size_t n, int level, lc_buf *out, lancec_error *err) {
  size_t bound = ZSTD_compressBound(n);
  if (lc_buf_reserve(out, 8 + bound)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_st64(out->data + out->len, (uint64_t)n);
  size_t r = ZSTD_compress(out->data + out->len + 8, bound, in, n, level);
  if (ZSTD_isError(r)) return lc_err(err, LANCEC_EINTERNAL, "zstd: %s", ZSTD_getErrorName(r));
  out->len += 8 + r;
  return 0;
}

/* ---- dictionary builder: open addressing over (hash, entry) ---- */

static inline uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
  }
  h ^= h >> 32;
  return h * 0x9E3779B97F4A7C15ull;
}

int lc_dict_build_var(const uint8_t *data, const uint64_t *ends, size_t n, size_t max_card,
                      uint32_t *indices, lc_buf *dict_data, lc_buf *dict_ends, size_t *card) {
  size_t cap = 16;
  while (cap < 2 * (max_card + 1)) cap <<= 1;
  uint32_t *slots = lc_malloc(cap * sizeof(uint32_t)); /* entry + 1, 0 = empty */
  uint64_t *hashes = lc_malloc((max_card + 1) * sizeof(uint64_t));
  uint64_t *starts = lc_malloc((max_card + 1) * sizeof(uint64_t)); /* value index of entry */
  if (!slots || !hashes || !starts) {
    lc_free(slots);
    lc_free(hashes);
    lc_free(starts);
    return -1;
  }
  memset(slots, 0, cap * sizeof(uint32_t));
  size_t nd = 0, mask = cap - 1;
  int rc = 0;
  uint64_t prev = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *v = data + prev;
    size_t len = (size_t)(ends[i] - prev);
    prev = ends[i];
    uint64_t h = hash_bytes(v, len);
    size_t s = (size_t)h & mask;
    uint32_t found = 0;
    for (;;) {
      uint32_t e = slots[s];
      if (!e) break;
      if (hashes[e - 1] == h) {
        size_t j = (size_t)starts[e - 1];
        uint64_t js = j ? ends[j - 1] : 0;
        if (ends[j] - js == len && memcmp(data + js, v, len) == 0) {
          found = e;
          break;
        }
      }
      s = (s + 1) & mask;
    }
    if (!found) {
      if (nd == max_card) {
        rc = 1;
        break;
      }
      hashes[nd] = h;
      starts[nd] = i;
      slots[s] = (uint32_t)(nd + 1);
      found = (uint32_t)(nd + 1);
      nd++;
    }
    indices[i] = found - 1;
  }
  if (rc == 0) {
    uint64_t end = 0;
    for (size_t e = 0; e < nd && rc == 0; e++) {
      size_t j = (size_t)starts[e];
      uint64_t js = j ? ends[j - 1] : 0;
      end += ends[j] - js;
      if (lc_buf_append(dict_data, data + js, (size_t)(ends[j] - js)) ||
          lc_buf_append(dict_ends, &end, 8))
        rc = -1;
    }
    *card = nd;
  }
  lc_free(slots);
  lc_free(hashes);
  lc_free(starts);
  return rc;
}
