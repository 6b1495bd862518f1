/* Bit packing (file-format-2.1.md §4.2): the FastLanes 1024-value transposed
 * layout, InlineBitpacking (per-group width word) and OutOfLineBitpacking
 * (one width for the buffer, packed or raw tail).
 *
 * FastLanes: for lane l < LANES = 1024/T and row j < T, value
 *   idx(j, l) = FL_ORDER[j/8]*16 + (j%8)*128 + l
 * is bits [j*W, (j+1)*W) of lane l's bit stream, whose word k is stored at
 * LANES*k + l. The kernels below are instantiated once per (T, W) so every
 * shift, mask and word index is a compile-time constant; the row loop is
 * fully unrolled and the lane loop vectorises. */
#include "file/encodings/enc_internal.h"

/* FL_ORDER = [0,4,2,6,1,5,3,7] is the 3-bit reversal */
#define FL_ORD(r) (((((r)&1u) << 2) | ((r)&2u) | (((r)&4u) >> 2)))
#define FL_IDX(j, l) (FL_ORD((j) / 8u) * 16u + ((j) % 8u) * 128u + (l))

#define FL_KERNELS(T, B)                                                                    \
  static inline __attribute__((always_inline)) void fl_unpack##B##_impl(                    \
      const T *restrict in, T *restrict out, const unsigned W) {                            \
    const T mask = (T)(W >= B ? ~(uint64_t)0 : (((uint64_t)1 << (W % 64u)) - 1u));          \
    for (unsigned l = 0; l < 1024u / B; l++) {                                              \
      _Pragma("GCC unroll 64") for (unsigned j = 0; j < B; j++) {                           \
        const unsigned bit = j * W, wi = bit / B, s = bit % B;                              \
        T v = (T)(in[(1024u / B) * wi + l] >> s);                                           \
        if (s + W > B) v = (T)(v | (T)(in[(1024u / B) * (wi + 1) + l] << ((B - s) % B)));  \
        out[FL_IDX(j, l)] = (T)(v & mask);                                                  \
      }                                                                                     \
    }                                                                                       \
  }                                                                                         \
  static inline __attribute__((always_inline)) void fl_pack##B##_impl(                      \
      const T *restrict in, T *restrict out, const unsigned W) {                            \
    const T mask = (T)(W >= B ? ~(uint64_t)0 : (((uint64_t)1 << (W % 64u)) - 1u));          \
    for (unsigned l = 0; l < 1024u / B; l++) {                                              \
      T acc = 0;                                                                            \
      _Pragma("GCC unroll 64") for (unsigned j = 0; j < B; j++) {                           \
        const unsigned bit = j * W, wi = bit / B, s = bit % B;                              \
        const T v = (T)(in[FL_IDX(j, l)] & mask);                                           \
        acc = (T)(acc | (T)(v << s));                                                       \
        if (s + W >= B) {                                                                   \
          out[(1024u / B) * wi + l] = acc;                                                  \
          acc = (s + W > B) ? (T)(v >> ((B - s) % B)) : (T)0;                               \
        }                                                                                   \
      }                                                                                     \
    }                                                                                       \
  }

FL_KERNELS(uint8_t, 8)
FL_KERNELS(uint16_t, 16)
FL_KERNELS(uint32_t, 32)
FL_KERNELS(uint64_t, 64)

/* one function per (T, W), W >= 1 */
#define FL_INST(T, B, W)                                                              \
  static void fl_unpack##B##_w##W(const T *restrict in, T *restrict out) {            \
    fl_unpack##B##_impl(in, out, W);                                                  \
  }                                                                                   \
  static void fl_pack##B##_w##W(const T *restrict in, T *restrict out) {              \
    fl_pack##B##_impl(in, out, W);                                                    \
  }
#define FL_UNPACK_REF(T, B, W) fl_unpack##B##_w##W,
#define FL_PACK_REF(T, B, W) fl_pack##B##_w##W,

#define FL_W1_8(M, T, B) M(T, B, 1) M(T, B, 2) M(T, B, 3) M(T, B, 4) M(T, B, 5) M(T, B, 6) \
  M(T, B, 7) M(T, B, 8)
#define FL_W9_16(M, T, B) M(T, B, 9) M(T, B, 10) M(T, B, 11) M(T, B, 12) M(T, B, 13) \
  M(T, B, 14) M(T, B, 15) M(T, B, 16)
#define FL_W17_32(M, T, B) M(T, B, 17) M(T, B, 18) M(T, B, 19) M(T, B, 20) M(T, B, 21) \
  M(T, B, 22) M(T, B, 23) M(T, B, 24) M(T, B, 25) M(T, B, 26) M(T, B, 27) M(T, B, 28)   \
  M(T, B, 29) M(T, B, 30) M(T, B, 31) M(T, B, 32)
#define FL_W33_64(M, T, B) M(T, B, 33) M(T, B, 34) M(T, B, 35) M(T, B, 36) M(T, B, 37) \
  M(T, B, 38) M(T, B, 39) M(T, B, 40) M(T, B, 41) M(T, B, 42) M(T, B, 43) M(T, B, 44)   \
  M(T, B, 45) M(T, B, 46) M(T, B, 47) M(T, B, 48) M(T, B, 49) M(T, B, 50) M(T, B, 51)   \
  M(T, B, 52) M(T, B, 53) M(T, B, 54) M(T, B, 55) M(T, B, 56) M(T, B, 57) M(T, B, 58)   \
  M(T, B, 59) M(T, B, 60) M(T, B, 61) M(T, B, 62) M(T, B, 63) M(T, B, 64)

#define FL_ALL8(M, T, B) FL_W1_8(M, T, B)
#define FL_ALL16(M, T, B) FL_W1_8(M, T, B) FL_W9_16(M, T, B)
#define FL_ALL32(M, T, B) FL_ALL16(M, T, B) FL_W17_32(M, T, B)
#define FL_ALL64(M, T, B) FL_ALL32(M, T, B) FL_W33_64(M, T, B)

FL_ALL8(FL_INST, uint8_t, 8)
FL_ALL16(FL_INST, uint16_t, 16)
FL_ALL32(FL_INST, uint32_t, 32)
FL_ALL64(FL_INST, uint64_t, 64)

/* W = 0: every value is 0, no packed words */
#define FL_ZERO(T, B)                                                                   \
  static void fl_unpack##B##_w0(const T *restrict in, T *restrict out) {                \
    (void)in;                                                                           \
    memset(out, 0, 1024 * sizeof(T));                                                   \
  }                                                                                     \
  static void fl_pack##B##_w0(const T *restrict in, T *restrict out) {                  \
    (void)in;                                                                           \
    (void)out;                                                                          \
  }
FL_ZERO(uint8_t, 8)
FL_ZERO(uint16_t, 16)
FL_ZERO(uint32_t, 32)
FL_ZERO(uint64_t, 64)

typedef void (*fl_fn8)(const uint8_t *restrict, uint8_t *restrict);
typedef void (*fl_fn16)(const uint16_t *restrict, uint16_t *restrict);
typedef void (*fl_fn32)(const uint32_t *restrict, uint32_t *restrict);
typedef void (*fl_fn64)(const uint64_t *restrict, uint64_t *restrict);

static const fl_fn8 fl_unpack8_tab[9] = {fl_unpack8_w0, FL_ALL8(FL_UNPACK_REF, uint8_t, 8)};
static const fl_fn16 fl_unpack16_tab[17] = {fl_unpack16_w0, FL_ALL16(FL_UNPACK_REF, uint16_t, 16)};
static const fl_fn32 fl_unpack32_tab[33] = {fl_unpack32_w0, FL_ALL32(FL_UNPACK_REF, uint32_t, 32)};
static const fl_fn64 fl_unpack64_tab[65] = {fl_unpack64_w0, FL_ALL64(FL_UNPACK_REF, uint64_t, 64)};
static const fl_fn8 fl_pack8_tab[9] = {fl_pack8_w0, FL_ALL8(FL_PACK_REF, uint8_t, 8)};
static const fl_fn16 fl_pack16_tab[17] = {fl_pack16_w0, FL_ALL16(FL_PACK_REF, uint16_t, 16)};
static const fl_fn32 fl_pack32_tab[33] = {fl_pack32_w0, FL_ALL32(FL_PACK_REF, uint32_t, 32)};
static const fl_fn64 fl_pack64_tab[65] = {fl_pack64_w0, FL_ALL64(FL_PACK_REF, uint64_t, 64)};

/* Widths above T are a caller bug: unpack yields zeros, pack writes nothing. */
void lc_fastlanes_unpack8(const uint8_t *packed, unsigned w, uint8_t *out) {
  if (w > 8) w = 0;
  fl_unpack8_tab[w](packed, out);
}
void lc_fastlanes_unpack16(const uint16_t *packed, unsigned w, uint16_t *out) {
  if (w > 16) w = 0;
  fl_unpack16_tab[w](packed, out);
}
void lc_fastlanes_unpack32(const uint32_t *packed, unsigned w, uint32_t *out) {
  if (w > 32) w = 0;
  fl_unpack32_tab[w](packed, out);
}
void lc_fastlanes_unpack64(const uint64_t *packed, unsigned w, uint64_t *out) {
  if (w > 64) w = 0;
  fl_unpack64_tab[w](packed, out);
}
void lc_fastlanes_pack8(const uint8_t *in, unsigned w, uint8_t *packed) {
  if (w > 8) w = 0;
  fl_pack8_tab[w](in, packed);
}
void lc_fastlanes_pack16(const uint16_t *in, unsigned w, uint16_t *packed) {
  if (w > 16) w = 0;
  fl_pack16_tab[w](in, packed);
}
void lc_fastlanes_pack32(const uint32_t *in, unsigned w, uint32_t *packed) {
  if (w > 32) w = 0;
  fl_pack32_tab[w](in, packed);
}
void lc_fastlanes_pack64(const uint64_t *in, unsigned w, uint64_t *packed) {
  if (w > 64) w = 0;
  fl_pack64_tab[w](in, packed);
}

/* ---- group helper ------------------------------------------------------------- */

/* Unpack one group (128*w bytes at src) of T = 8*bw bits into cnt (<= 1024)
 * values at dst. Handles unaligned src/dst and partial groups through
 * aligned scratch. */
static void unpack_group(unsigned bw, const uint8_t *src, unsigned w, uint8_t *dst, size_t cnt) {
  uint64_t in_tmp[1024];  /* 8 KiB: the largest packed group (w = 64) */
  uint64_t out_tmp[1024]; /* 8 KiB: 1024 values of u64 */
  const size_t align = bw;
  const uint8_t *s = src;
  if (((uintptr_t)src & (align - 1)) != 0) {
    memcpy(in_tmp, src, (size_t)128 * w);
    s = (const uint8_t *)in_tmp;
  }
  bool direct = cnt == 1024 && ((uintptr_t)dst & (align - 1)) == 0;
  uint8_t *d = direct ? dst : (uint8_t *)out_tmp;
  switch (bw) {
    case 1: lc_fastlanes_unpack8(s, w, d); break;
    case 2: lc_fastlanes_unpack16((const uint16_t *)s, w, (uint16_t *)d); break;
    case 4: lc_fastlanes_unpack32((const uint32_t *)s, w, (uint32_t *)d); break;
    default: lc_fastlanes_unpack64((const uint64_t *)s, w, (uint64_t *)d); break;
  }
  if (!direct) memcpy(dst, out_tmp, cnt * bw);
}

static uint64_t read_word(const uint8_t *p, unsigned bw) {
  switch (bw) {
    case 1: return p[0];
    case 2: return lc_le16(p);
    case 4: return lc_le32(p);
    default: return lc_le64(p);
  }
}

static bool valid_t(uint64_t t) { return t == 8 || t == 16 || t == 32 || t == 64; }

/* ---- InlineBitpacking ------------------------------------------------------------ */

int lc_inline_bitpack_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                             lc_values *out, lancec_error *err) {
  const Lance__Encodings21__InlineBitpacking *ib = enc->inline_bitpacking;
  if (!ib) return lc_enc_corrupt(err, enc, "missing InlineBitpacking message");
  if (lc_enc_bufcomp_set(ib->values))
    return lc_enc_unsupported(err, enc, "any (compressed InlineBitpacking)");
  uint64_t t = ib->uncompressed_bits_per_value;
  if (!valid_t(t)) return lc_enc_corrupt(err, enc, "uncompressed width must be 8/16/32/64");
  unsigned bw = (unsigned)(t / 8);
  uint64_t groups = n / 1024 + (n % 1024 != 0);
  /* each group costs at least its width word: bounds n by the input size */
  if (groups > size / bw)
    return lc_enc_corrupt(err, enc,
                          "buffer of %llu bytes is too small for %llu values (%llu groups)",
                          (unsigned long long)size, (unsigned long long)n,
                          (unsigned long long)groups);
  LC_TRY(lc_values_alloc_fixed(out, n, t, enc, err));
  uint64_t pos = 0;
  for (uint64_t g = 0; g < groups; g++) {
    if (size - pos < bw)
      return lc_enc_corrupt(err, enc, "buffer of %llu bytes ends before the width of group %llu",
                            (unsigned long long)size, (unsigned long long)g);
    uint64_t w = read_word(buf + pos, bw);
    pos += bw;
    if (w > t)
      return lc_enc_corrupt(err, enc, "bit width %llu in group %llu exceeds %llu",
                            (unsigned long long)w, (unsigned long long)g, (unsigned long long)t);
    uint64_t need = 128 * w;
    if (size - pos < need)
      return lc_enc_corrupt(err, enc, "chunk buffer of %llu bytes is too small for bit width %u",
                            (unsigned long long)size, (unsigned)w);
    uint64_t first = g * 1024;
    size_t cnt = (size_t)(n - first < 1024 ? n - first : 1024);
    unpack_group(bw, buf + pos, (unsigned)w, out->data + first * bw, cnt);
    pos += need;
  }
  return 0;
}

/* ---- OutOfLineBitpacking ---------------------------------------------------------- */

int lc_ool_bitpack_decode(const lc_cenc *enc, const uint8_t *buf, uint64_t size, uint64_t n,
                          lc_values *out, lancec_error *err) {
  const Lance__Encodings21__OutOfLineBitpacking *ob = enc->out_of_line_bitpacking;
  if (!ob) return lc_enc_corrupt(err, enc, "missing OutOfLineBitpacking message");
  uint64_t t = ob->uncompressed_bits_per_value, w = 0;
  if (!valid_t(t)) return lc_enc_corrupt(err, enc, "uncompressed width must be 8/16/32/64");
  LC_TRY(lc_enc_flat_bits(enc, ob->values, &w, err));
  if (w > t)
    return lc_enc_corrupt(err, enc, "bit width %llu exceeds %llu", (unsigned long long)w,
                          (unsigned long long)t);
  unsigned bw = (unsigned)(t / 8);
  uint64_t full = n / 1024, tail = n % 1024;
  uint64_t group_bytes = 128 * w;
  uint64_t words = size / bw;
  uint64_t group_words = group_bytes / bw;
  /* full groups must fit (w == 0: nothing stored, the count comes from outside) */
  if (w > 0 && full > size / group_bytes)
    return lc_enc_corrupt(err, enc, "buffer of %llu bytes is too small for %llu values",
                          (unsigned long long)size, (unsigned long long)n);
  uint64_t full_words = full * group_words;
  bool raw_tail = false;
  if (tail) {
    /* raw iff the words after the full groups are exactly the tail (§4.2.3) */
    uint64_t rest = words >= full_words ? words - full_words : 0;
    if (words >= full_words && rest == tail)
      raw_tail = true;
    else if (words < full_words || rest < group_words)
      return lc_enc_corrupt(err, enc,
                            "buffer of %llu bytes holds neither a raw nor a packed tail of %llu "
                            "values at bit width %llu",
                            (unsigned long long)size, (unsigned long long)tail,
                            (unsigned long long)w);
  }
  LC_TRY(lc_values_alloc_fixed(out, n, t, enc, err));
  for (uint64_t g = 0; g < full; g++)
    unpack_group(bw, buf + g * group_bytes, (unsigned)w, out->data + g * 1024 * bw, 1024);
  if (tail) {
    const uint8_t *src = buf + full * group_bytes;
    uint8_t *dst = out->data + full * 1024 * bw;
    if (raw_tail)
      memcpy(dst, src, (size_t)(tail * bw));
    else
      unpack_group(bw, src, (unsigned)w, dst, (size_t)tail);
  }
  return 0;
}
