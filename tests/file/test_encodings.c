/* Unit tests for the compressive-encoding decoders (src/file/encodings). */
#include <lz4.h>
#include <stdio.h>
#include <zstd.h>

#include "testutil.h"

#include "file/encodings/encodings.h"

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

#define CASE(x) LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_##x

static lc_cenc *e_new(void) {
  lc_cenc *e = malloc(sizeof *e);
  lance__encodings21__compressive_encoding__init(e);
  return e;
}
static lc_cenc *e_flat(uint64_t bits) {
  lc_cenc *e = e_new();
  Lance__Encodings21__Flat *f = malloc(sizeof *f);
  lance__encodings21__flat__init(f);
  f->has_bits_per_value = 1;
  f->bits_per_value = bits;
  e->compression_case = CASE(FLAT);
  e->flat = f;
  return e;
}
static lc_cenc *e_variable(uint64_t bits) {
  lc_cenc *e = e_new();
  Lance__Encodings21__Variable *v = malloc(sizeof *v);
  lance__encodings21__variable__init(v);
  v->offsets = e_flat(bits);
  e->compression_case = CASE(VARIABLE);
  e->variable = v;
  return e;
}
static lc_cenc *e_inline(uint64_t t) {
  lc_cenc *e = e_new();
  Lance__Encodings21__InlineBitpacking *b = malloc(sizeof *b);
  lance__encodings21__inline_bitpacking__init(b);
  b->has_uncompressed_bits_per_value = 1;
  b->uncompressed_bits_per_value = t;
  e->compression_case = CASE(INLINE_BITPACKING);
  e->inline_bitpacking = b;
  return e;
}
static lc_cenc *e_ool(uint64_t t, uint64_t w) {
  lc_cenc *e = e_new();
  Lance__Encodings21__OutOfLineBitpacking *b = malloc(sizeof *b);
  lance__encodings21__out_of_line_bitpacking__init(b);
  b->has_uncompressed_bits_per_value = 1;
  b->uncompressed_bits_per_value = t;
  b->values = e_flat(w);
  e->compression_case = CASE(OUT_OF_LINE_BITPACKING);
  e->out_of_line_bitpacking = b;
  return e;
}
static lc_cenc *e_fsst(const uint8_t *table, size_t len, lc_cenc *values) {
  lc_cenc *e = e_new();
  Lance__Encodings21__Fsst *f = malloc(sizeof *f);
  lance__encodings21__fsst__init(f);
  f->has_symbol_table = 1;
  f->symbol_table.data = malloc(len ? len : 1);
  memcpy(f->symbol_table.data, table, len);
  f->symbol_table.len = len;
  f->values = values;
  e->compression_case = CASE(FSST);
  e->fsst = f;
  return e;
}
static lc_cenc *e_rle(uint64_t bits) {
  lc_cenc *e = e_new();
  Lance__Encodings21__Rle *r = malloc(sizeof *r);
  lance__encodings21__rle__init(r);
  r->values = e_flat(bits);
  r->run_lengths = e_flat(8);
  e->compression_case = CASE(RLE);
  e->rle = r;
  return e;
}
static lc_cenc *e_bss(uint64_t bits) {
  lc_cenc *e = e_new();
  Lance__Encodings21__ByteStreamSplit *b = malloc(sizeof *b);
  lance__encodings21__byte_stream_split__init(b);
  b->values = e_flat(bits);
  e->compression_case = CASE(BYTE_STREAM_SPLIT);
  e->byte_stream_split = b;
  return e;
}
static lc_cenc *e_general(int scheme, lc_cenc *values) {
  lc_cenc *e = e_new();
  Lance__Encodings21__General *g = malloc(sizeof *g);
  lance__encodings21__general__init(g);
  g->compression = malloc(sizeof *g->compression);
  lance__encodings21__buffer_compression__init(g->compression);
  g->compression->has_scheme = 1;
  g->compression->scheme = (Lance__Encodings21__CompressionScheme)scheme;
  g->values = values;
  e->compression_case = CASE(GENERAL);
  e->general = g;
  return e;
}
static lc_cenc *e_fsl(uint64_t dim, bool validity, lc_cenc *values) {
  lc_cenc *e = e_new();
  Lance__Encodings21__FixedSizeList *f = malloc(sizeof *f);
  lance__encodings21__fixed_size_list__init(f);
  f->has_items_per_value = 1;
  f->items_per_value = dim;
  f->has_has_validity = 1;
  f->has_validity = validity;
  f->values = values;
  e->compression_case = CASE(FIXED_SIZE_LIST);
  e->fixed_size_list = f;
  return e;
}
static lc_cenc *e_packed(const uint64_t *bits, size_t n, lc_cenc *values) {
  lc_cenc *e = e_new();
  Lance__Encodings21__PackedStruct *p = malloc(sizeof *p);
  lance__encodings21__packed_struct__init(p);
  p->n_bits_per_value = n;
  p->bits_per_value = malloc(n * sizeof(uint64_t));
  memcpy(p->bits_per_value, bits, n * sizeof(uint64_t));
  p->values = values;
  e->compression_case = CASE(PACKED_STRUCT);
  e->packed_struct = p;
  return e;
}
static lc_cenc *e_constant(const uint8_t *v, size_t len) {
  lc_cenc *e = e_new();
  Lance__Encodings21__Constant *c = malloc(sizeof *c);
  lance__encodings21__constant__init(c);
  if (v) {
    c->has_value = 1;
    c->value.data = malloc(len ? len : 1);
    memcpy(c->value.data, v, len);
    c->value.len = len;
  }
  e->compression_case = CASE(CONSTANT);
  e->constant = c;
  return e;
}
/* fields: fixed width (bits > 0) or variable (-length_bits) */
static lc_cenc *e_vps(size_t n, const int64_t *layout, lc_cenc **values) {
  lc_cenc *e = e_new();
  Lance__Encodings21__VariablePackedStruct *v = malloc(sizeof *v);
  lance__encodings21__variable_packed_struct__init(v);
  v->n_fields = n;
  v->fields = malloc(n * sizeof *v->fields);
  for (size_t i = 0; i < n; i++) {
    Lance__Encodings21__FieldEncoding *f = malloc(sizeof *f);
    lance__encodings21__field_encoding__init(f);
    f->value = values[i];
    if (layout[i] > 0) {
      f->layout_case = LANCE__ENCODINGS21__FIELD_ENCODING__LAYOUT_BITS_PER_VALUE;
      f->bits_per_value = (uint64_t)layout[i];
    } else {
      f->layout_case = LANCE__ENCODINGS21__FIELD_ENCODING__LAYOUT_BITS_PER_LENGTH;
      f->bits_per_length = (uint64_t)-layout[i];
    }
    v->fields[i] = f;
  }
  e->compression_case = CASE(VARIABLE_PACKED_STRUCT);
  e->variable_packed_struct = v;
  return e;
}
static void e_free(lc_cenc *e) { lance__encodings21__compressive_encoding__free_unpacked(e, NULL); }

static int mb1(const lc_cenc *e, const uint8_t *buf, uint64_t size, uint64_t n, lc_values *out,
               lancec_error *err) {
  const uint8_t *bufs[1] = {buf};
  uint64_t sizes[1] = {size};
  return lc_decode_miniblock(e, bufs, sizes, 1, n, out, err);
}

static uint32_t off32(const lc_values *v, uint64_t i) { return lc_le32(v->offsets + 4 * i); }
static uint64_t off64(const lc_values *v, uint64_t i) { return lc_le64(v->offsets + 8 * i); }

/* value i of a VARIABLE set as a NUL-terminated string (static buffer) */
static const char *vstr(const lc_values *v, uint64_t i) {
  static char s[256];
  uint64_t a = v->offset_bits == 64 ? off64(v, i) : off32(v, i);
  uint64_t b = v->offset_bits == 64 ? off64(v, i + 1) : off32(v, i + 1);
  size_t n = (size_t)(b - a);
  if (n > 255) n = 255;
  memcpy(s, v->data + a, n);
  s[n] = 0;
  return s;
}

/* Build a VARIABLE input from strings (32-bit offsets). */
static lc_values mk_var(const char *const *s, size_t n) {
  lc_values v = {0};
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += strlen(s[i]);
  v.kind = LC_VALUES_VARIABLE;
  v.n = n;
  v.offset_bits = 32;
  v.offsets = lc_malloc(4 * (n + 1));
  v.data = lc_malloc(total + 1);
  v.data_len = total;
  size_t o = 0;
  lc_st32(v.offsets, 0);
  for (size_t i = 0; i < n; i++) {
    memcpy(v.data + o, s[i], strlen(s[i]));
    o += strlen(s[i]);
    lc_st32(v.offsets + 4 * (i + 1), (uint32_t)o);
  }
  return v;
}
static lc_values mk_var_bytes(const uint8_t *const *s, const size_t *lens, size_t n) {
  lc_values v = {0};
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += lens[i];
  v.kind = LC_VALUES_VARIABLE;
  v.n = n;
  v.offset_bits = 32;
  v.offsets = lc_malloc(4 * (n + 1));
  v.data = lc_malloc(total + 1);
  v.data_len = total;
  size_t o = 0;
  lc_st32(v.offsets, 0);
  for (size_t i = 0; i < n; i++) {
    memcpy(v.data + o, s[i], lens[i]);
    o += lens[i];
    lc_st32(v.offsets + 4 * (i + 1), (uint32_t)o);
  }
  return v;
}

/* ---- FastLanes -------------------------------------------------------------------- */

static unsigned fl_ord(unsigned r) { return ((r & 1) << 2) | (r & 2) | ((r & 4) >> 2); }

/* Reference unpack straight from the spec formula (§4.2.1). */
static void ref_unpack(const uint64_t *words, unsigned T, unsigned W, uint64_t *out) {
  unsigned lanes = 1024 / T;
  uint64_t tmask = T == 64 ? ~0ull : ((1ull << T) - 1);
  uint64_t mask = W == 64 ? ~0ull : ((1ull << W) - 1);
  for (unsigned l = 0; l < lanes; l++)
    for (unsigned j = 0; j < T; j++) {
      unsigned bit = j * W, w = bit / T, s = bit % T;
      uint64_t v = 0;
      if (W) {
        v = words[lanes * w + l] >> s;
        if (s + W > T) v |= words[lanes * (w + 1) + l] << (T - s);
      }
      out[fl_ord(j / 8) * 16 + (j % 8) * 128 + l] = v & mask & tmask;
    }
}

static void fl_pack_any(unsigned T, const void *in, unsigned w, void *packed) {
  switch (T) {
    case 8: lc_fastlanes_pack8(in, w, packed); break;
    case 16: lc_fastlanes_pack16(in, w, packed); break;
    case 32: lc_fastlanes_pack32(in, w, packed); break;
    default: lc_fastlanes_pack64(in, w, packed); break;
  }
}
static void fl_unpack_any(unsigned T, const void *packed, unsigned w, void *out) {
  switch (T) {
    case 8: lc_fastlanes_unpack8(packed, w, out); break;
    case 16: lc_fastlanes_unpack16(packed, w, out); break;
    case 32: lc_fastlanes_unpack32(packed, w, out); break;
    default: lc_fastlanes_unpack64(packed, w, out); break;
  }
}
static uint64_t get_t(const void *p, unsigned T, size_t i) {
  switch (T) {
    case 8: return ((const uint8_t *)p)[i];
    case 16: return ((const uint16_t *)p)[i];
    case 32: return ((const uint32_t *)p)[i];
    default: return ((const uint64_t *)p)[i];
  }
}
static void put_t(void *p, unsigned T, size_t i, uint64_t v) {
  switch (T) {
    case 8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case 16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case 32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    default: ((uint64_t *)p)[i] = v; break;
  }
}

static void test_fastlanes_roundtrip(void **state) {
  (void)state;
  static uint64_t in[1024], packed[1024 + 8], out[1024], ref[1024], words[1024];
  const unsigned Ts[4] = {8, 16, 32, 64};
  for (int ti = 0; ti < 4; ti++) {
    unsigned T = Ts[ti];
    for (unsigned W = 0; W <= T; W++) {
      uint64_t mask = W == 64 ? ~0ull : ((1ull << W) - 1);
      for (int i = 0; i < 1024; i++) put_t(in, T, i, rnd() & mask);
      memset(packed, 0xAB, sizeof packed);
      fl_pack_any(T, in, W, packed);
      /* exactly 128*W bytes written */
      const uint8_t *pb = (const uint8_t *)packed;
      for (size_t b = 128 * W; b < 128 * W + 64; b++)
        if (pb[b] != 0xAB) fail_msg("T=%u W=%u: pack wrote past %u bytes", T, W, 128 * W);
      memset(out, 0x5A, sizeof out);
      fl_unpack_any(T, packed, W, out);
      for (int i = 0; i < 1024; i++)
        if (get_t(out, T, i) != get_t(in, T, i))
          fail_msg("T=%u W=%u: value %d: got %llu want %llu", T, W, i,
                   (unsigned long long)get_t(out, T, i), (unsigned long long)get_t(in, T, i));
      /* the unpacker agrees with the spec formula on arbitrary packed words */
      size_t nwords = 1024 * W / T;
      for (size_t k = 0; k < nwords; k++) put_t(packed, T, k, rnd());
      for (size_t k = 0; k < nwords; k++) words[k] = get_t(packed, T, k);
      fl_unpack_any(T, packed, W, out);
      ref_unpack(words, T, W, ref);
      for (int i = 0; i < 1024; i++)
        if (get_t(out, T, i) != ref[i])
          fail_msg("T=%u W=%u: value %d differs from the reference", T, W, i);
      /* 1024 masked values packed again reproduce the words */
      static uint64_t repacked[1024];
      fl_pack_any(T, out, W, repacked);
      assert_memory_equal(repacked, packed, 128 * W);
    }
  }
}

static void test_fastlanes_spec_example(void **state) {
  (void)state;
  static uint64_t in[1024], packed[160], out[1024];
  for (int i = 0; i < 1024; i++) in[i] = (uint64_t)i;
  lc_fastlanes_pack64(in, 10, packed);
  const uint8_t want[8] = {0x00, 0x00, 0x02, 0x10, 0x60, 0x00, 0x02, 0x0a};
  assert_memory_equal(packed, want, 8);
  lc_fastlanes_unpack64(packed, 10, out);
  for (int i = 0; i < 1024; i++) assert_int_equal(out[i], i);
}

/* ---- InlineBitpacking / OutOfLineBitpacking -------------------------------------- */

/* Append one inline group (width word + packed) of T-bit values. */
static size_t put_inline_group(uint8_t *dst, unsigned T, const uint64_t *vals, size_t cnt) {
  static uint64_t tmp[1024], packed[1024];
  memset(tmp, 0, sizeof tmp);
  uint64_t or = 0;
  for (size_t i = 0; i < cnt; i++) {
    put_t(tmp, T, i, vals[i]);
    or |= vals[i];
  }
  unsigned w = 0;
  while (w < 64 && (or >> w)) w++;
  size_t bw = T / 8;
  memset(dst, 0, bw);
  memcpy(dst, &w, 1);
  fl_pack_any(T, tmp, w, packed);
  memcpy(dst + bw, packed, 128 * w);
  return bw + 128 * w;
}

static void test_inline_bitpacking(void **state) {
  (void)state;
  lancec_error err = {0};
  static uint64_t vals[1500];
  static uint8_t buf[2 * (8 + 8192)];
  const unsigned Ts[4] = {8, 16, 32, 64};
  for (int ti = 0; ti < 4; ti++) {
    unsigned T = Ts[ti];
    uint64_t mask = T == 64 ? 0x3FFFFFFFFull : (1ull << (T - 1)) - 1;
    for (int i = 0; i < 1500; i++) vals[i] = rnd() & mask & (i < 1024 ? ~0ull : 0x1F);
    size_t len = put_inline_group(buf, T, vals, 1024);
    len += put_inline_group(buf + len, T, vals + 1024, 476); /* partial last group */
    lc_cenc *e = e_inline(T);
    lc_values v = {0};
    assert_ok(mb1(e, buf, len, 1500, &v, &err), &err);
    assert_int_equal(v.kind, LC_VALUES_FIXED);
    assert_int_equal(v.bits_per_value, T);
    assert_int_equal(v.n, 1500);
    for (int i = 0; i < 1500; i++) assert_int_equal(get_t(v.data, T, i), vals[i]);
    lc_values_free(&v);
    /* decode straight into caller memory, aligned and misaligned */
    for (int mis = 0; mis < 2; mis++) {
      uint8_t *mem = malloc(1500 * 8 + 8);
      lc_values p = {0};
      p.data = mem + mis;
      p.data_cap = 1500 * 8;
      assert_ok(mb1(e, buf, len, 1500, &p, &err), &err);
      assert_true(p.borrowed_data);
      assert_ptr_equal(p.data, mem + mis);
      for (int i = 0; i < 1500; i++) {
        uint64_t x = 0;
        memcpy(&x, mem + mis + i * (T / 8), T / 8);
        assert_int_equal(x, vals[i]);
      }
      lc_values_free(&p); /* must not free mem */
      free(mem);
    }
    /* a single group truncated by one byte */
    lc_values bad = {0};
    assert_int_equal(mb1(e, buf, len - 1, 1500, &bad, &err), LANCEC_ECORRUPT);
    assert_non_null(strstr(err.message, "InlineBitpacking"));
    e_free(e);
  }
  /* levels: InlineBitpacking{16} in block context, <= 1024 levels */
  {
    uint64_t lv[500];
    for (int i = 0; i < 500; i++) lv[i] = (uint64_t)(i % 3);
    size_t len = put_inline_group(buf, 16, lv, 500);
    assert_int_equal(len, 2 + 128 * 2);
    lc_cenc *e = e_inline(16);
    uint16_t out[500];
    assert_ok(lc_decode_levels(e, buf, len, 500, out, &err), &err);
    for (int i = 0; i < 500; i++) assert_int_equal(out[i], i % 3);
    e_free(e);
  }
  /* the message of the brief's example */
  {
    uint8_t b[130] = {0};
    b[0] = 9;
    lc_cenc *e = e_inline(32);
    lc_values v = {0};
    assert_int_equal(mb1(e, b, sizeof b, 1024, &v, &err), LANCEC_ECORRUPT);
    assert_string_equal(err.message,
                        "InlineBitpacking{32}: chunk buffer of 130 bytes is too small for bit "
                        "width 9");
    b[0] = 33; /* width above T */
    assert_int_equal(mb1(e, b, sizeof b, 1024, &v, &err), LANCEC_ECORRUPT);
    e_free(e);
  }
}

static void test_out_of_line_bitpacking(void **state) {
  (void)state;
  lancec_error err = {0};
  const unsigned W = 5, T = 16;
  const uint64_t n = 2500; /* 2 full groups + 452 tail */
  static uint16_t lv[2500], grp[1024], packed[1024];
  for (uint64_t i = 0; i < n; i++) lv[i] = (uint16_t)(rnd() & 31);
  static uint8_t buf[3 * 640 + 2 * 1024];
  size_t len = 0;
  for (int g = 0; g < 2; g++) {
    lc_fastlanes_pack16(lv + g * 1024, W, packed);
    memcpy(buf + len, packed, 128 * W);
    len += 128 * W;
  }
  size_t full_len = len;
  /* packed tail */
  memset(grp, 0, sizeof grp);
  memcpy(grp, lv + 2048, 452 * 2);
  lc_fastlanes_pack16(grp, W, packed);
  memcpy(buf + len, packed, 128 * W);
  len += 128 * W;
  lc_cenc *e = e_ool(T, W);
  uint16_t out[2500];
  assert_ok(lc_decode_levels(e, buf, len, n, out, &err), &err);
  assert_memory_equal(out, lv, sizeof out);
  /* raw tail */
  memcpy(buf + full_len, lv + 2048, 452 * 2);
  len = full_len + 452 * 2;
  memset(out, 0, sizeof out);
  assert_ok(lc_decode_levels(e, buf, len, n, out, &err), &err);
  assert_memory_equal(out, lv, sizeof out);
  /* through lc_decode_block */
  lc_values v = {0};
  assert_ok(lc_decode_block(e, buf, len, n, &v, &err), &err);
  assert_int_equal(v.bits_per_value, 16);
  assert_memory_equal(v.data, lv, sizeof lv);
  lc_values_free(&v);
  /* neither raw nor packed tail */
  assert_int_equal(lc_decode_levels(e, buf, full_len + 200, n, out, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "OutOfLineBitpacking"));
  /* full groups missing */
  assert_int_equal(lc_decode_levels(e, buf, 100, n, out, &err), LANCEC_ECORRUPT);
  e_free(e);
  /* spec example shape: 1121 levels at W=2: 256 B + 97 raw u16 = 450 bytes */
  {
    static uint16_t l2[1121];
    static uint8_t b2[450];
    for (int i = 0; i < 1121; i++) l2[i] = (uint16_t)(i % 4);
    lc_fastlanes_pack16(l2, 2, packed);
    memcpy(b2, packed, 256);
    memcpy(b2 + 256, l2 + 1024, 97 * 2);
    lc_cenc *e2 = e_ool(16, 2);
    static uint16_t o2[1121];
    assert_ok(lc_decode_levels(e2, b2, sizeof b2, 1121, o2, &err), &err);
    assert_memory_equal(o2, l2, sizeof l2);
    e_free(e2);
  }
  /* W > T */
  lc_cenc *e3 = e_ool(16, 17);
  assert_int_equal(lc_decode_levels(e3, buf, len, n, out, &err), LANCEC_ECORRUPT);
  e_free(e3);
}

/* ---- Flat / Constant -------------------------------------------------------------- */

static void test_flat_and_constant(void **state) {
  (void)state;
  lancec_error err = {0};
  uint8_t d[80];
  for (int i = 0; i < 80; i++) d[i] = (uint8_t)i;
  lc_cenc *e = e_flat(64);
  lc_values v = {0};
  assert_ok(mb1(e, d, 80, 10, &v, &err), &err);
  assert_int_equal(v.n, 10);
  assert_int_equal(v.data_len, 80);
  assert_memory_equal(v.data, d, 80);
  lc_values_free(&v);
  assert_int_equal(mb1(e, d, 79, 10, &v, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "Flat{64}"));
  /* per-value fixed */
  assert_ok(lc_decode_pervalue_fixed(e, d, 10, 64, &v, &err), &err);
  assert_memory_equal(v.data, d, 80);
  lc_values_free(&v);
  assert_int_equal(lc_decode_pervalue_fixed(e, d, 10, 32, &v, &err), LANCEC_ECORRUPT);
  e_free(e);
  /* booleans */
  e = e_flat(1);
  uint8_t bits[2] = {0xFF, 0xFF};
  assert_ok(mb1(e, bits, 2, 10, &v, &err), &err);
  assert_int_equal(v.data_len, 2);
  assert_int_equal(v.data[1], 0x03);
  lc_values_free(&v);
  e_free(e);
  /* constant, block and per-value */
  const uint8_t seven[4] = {7, 0, 0, 0};
  e = e_constant(seven, 4);
  assert_ok(lc_decode_block(e, NULL, 0, 5, &v, &err), &err);
  assert_int_equal(v.bits_per_value, 32);
  for (int i = 0; i < 5; i++) assert_int_equal(lc_le32(v.data + 4 * i), 7);
  lc_values_free(&v);
  uint16_t lv[6];
  const uint8_t one16[2] = {1, 0};
  lc_cenc *e16 = e_constant(one16, 2);
  assert_ok(lc_decode_levels(e16, NULL, 0, 6, lv, &err), &err);
  for (int i = 0; i < 6; i++) assert_int_equal(lv[i], 1);
  e_free(e16);
  assert_ok(lc_decode_pervalue_fixed(e, NULL, 3, 32, &v, &err), &err);
  assert_int_equal(v.n, 3);
  lc_values_free(&v);
  /* constant is not a mini-block encoding */
  assert_int_equal(mb1(e, d, 8, 2, &v, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "unknown/unsupported encoding Constant"));
  assert_non_null(strstr(err.message, "mini-block context"));
  e_free(e);
  /* raw levels */
  uint8_t raw[6] = {1, 0, 2, 0, 3, 0};
  uint16_t r3[3];
  assert_ok(lc_decode_levels(NULL, raw, 6, 3, r3, &err), &err);
  assert_int_equal(r3[2], 3);
  assert_int_equal(lc_decode_levels(NULL, raw, 5, 3, r3, &err), LANCEC_ECORRUPT);
  /* Flat{8} levels widen to u16 */
  e = e_flat(8);
  assert_ok(lc_decode_levels(e, raw, 6, 6, lv, &err), &err);
  assert_int_equal(lv[0], 1);
  assert_int_equal(lv[4], 3);
  assert_int_equal(lv[5], 0);
  e_free(e);
}

/* ---- Variable ---------------------------------------------------------------------- */

static void test_variable(void **state) {
  (void)state;
  lancec_error err = {0};
  /* mini-block, the §3.4.2 example 2: 10 strings row0..row9 */
  uint8_t mb[84];
  for (int i = 0; i <= 10; i++) lc_st32(mb + 4 * i, (uint32_t)(44 + 4 * i));
  for (int i = 0; i < 10; i++) {
    const char s[4] = {'r', 'o', 'w', (char)('0' + i)};
    memcpy(mb + 44 + 4 * i, s, 4);
  }
  lc_cenc *e = e_variable(32);
  lc_values v = {0};
  assert_ok(mb1(e, mb, sizeof mb, 10, &v, &err), &err);
  assert_int_equal(v.kind, LC_VALUES_VARIABLE);
  assert_int_equal(v.offset_bits, 32);
  assert_int_equal(off32(&v, 0), 0);
  assert_int_equal(off32(&v, 10), 40);
  assert_string_equal(vstr(&v, 7), "row7");
  lc_values_free(&v);
  /* corrupt: offset past the end, decreasing offsets, too few bytes */
  lc_st32(mb + 40, 85);
  assert_int_equal(mb1(e, mb, sizeof mb, 10, &v, &err), LANCEC_ECORRUPT);
  lc_st32(mb + 40, 84);
  lc_st32(mb + 8, 60);
  assert_int_equal(mb1(e, mb, sizeof mb, 10, &v, &err), LANCEC_ECORRUPT);
  lc_st32(mb + 8, 52);
  assert_int_equal(mb1(e, mb, 40, 10, &v, &err), LANCEC_ECORRUPT);
  assert_int_equal(mb1(e, mb, sizeof mb, 1000000, &v, &err), LANCEC_ECORRUPT);
  e_free(e);

  /* mini-block 64-bit offsets */
  {
    uint8_t b[3 * 8 + 5];
    lc_st64(b, 24);
    lc_st64(b + 8, 26);
    lc_st64(b + 16, 29);
    memcpy(b + 24, "hiyou", 5);
    lc_cenc *e64 = e_variable(64);
    assert_ok(mb1(e64, b, sizeof b, 2, &v, &err), &err);
    assert_int_equal(v.offset_bits, 64);
    assert_string_equal(vstr(&v, 0), "hi");
    assert_string_equal(vstr(&v, 1), "you");
    lc_values_free(&v);
    e_free(e64);
  }

  /* block form, 32-bit (the utf8_lowcard dictionary of 2.2 §6.2) */
  {
    const char *words = "alphadeltaepsilonbetagamma";
    const uint32_t offs[6] = {0, 5, 10, 17, 21, 26};
    uint8_t b[58];
    lc_st32(b, 32);
    lc_st32(b + 4, 32);
    for (int i = 0; i < 6; i++) lc_st32(b + 8 + 4 * i, offs[i]);
    memcpy(b + 32, words, 26);
    lc_cenc *eb = e_variable(32);
    assert_ok(lc_decode_block(eb, b, sizeof b, 5, &v, &err), &err);
    assert_string_equal(vstr(&v, 2), "epsilon");
    assert_string_equal(vstr(&v, 4), "gamma");
    lc_values_free(&v);
    /* wrong count for the offsets region */
    assert_int_equal(lc_decode_block(eb, b, sizeof b, 6, &v, &err), LANCEC_ECORRUPT);
    /* data start outside */
    lc_st32(b + 4, 100);
    assert_int_equal(lc_decode_block(eb, b, sizeof b, 5, &v, &err), LANCEC_ECORRUPT);
    lc_st32(b + 4, 32);
    /* last offset beyond the bytes */
    lc_st32(b + 28, 27);
    assert_int_equal(lc_decode_block(eb, b, sizeof b, 5, &v, &err), LANCEC_ECORRUPT);
    /* older form: u8 32 | u32 count | u32 data_start | offsets | bytes */
    uint8_t o[9 + 24 + 26];
    o[0] = 32;
    lc_st32(o + 1, 5);
    lc_st32(o + 5, 9 + 24);
    for (int i = 0; i < 6; i++) lc_st32(o + 9 + 4 * i, offs[i]);
    memcpy(o + 33, words, 26);
    assert_ok(lc_decode_block(eb, o, sizeof o, 5, &v, &err), &err);
    assert_string_equal(vstr(&v, 3), "beta");
    lc_values_free(&v);
    /* 64-bit block form */
    uint8_t b64[16 + 48 + 26];
    lc_st64(b64, 64);
    lc_st64(b64 + 8, 16 + 48);
    for (int i = 0; i < 6; i++) lc_st64(b64 + 16 + 8 * i, offs[i]);
    memcpy(b64 + 64, words, 26);
    assert_ok(lc_decode_block(eb, b64, sizeof b64, 5, &v, &err), &err);
    assert_int_equal(v.offset_bits, 64);
    assert_string_equal(vstr(&v, 1), "delta");
    lc_values_free(&v);
    /* older 64-bit form */
    uint8_t o64[17 + 48 + 26];
    o64[0] = 64;
    lc_st64(o64 + 1, 5);
    lc_st64(o64 + 9, 17 + 48);
    for (int i = 0; i < 6; i++) lc_st64(o64 + 17 + 8 * i, offs[i]);
    memcpy(o64 + 65, words, 26);
    assert_ok(lc_decode_block(eb, o64, sizeof o64, 5, &v, &err), &err);
    assert_string_equal(vstr(&v, 0), "alpha");
    lc_values_free(&v);
    e_free(eb);
  }

  /* per-value: copy */
  {
    const char *s[3] = {"a", "", "xyz"};
    lc_values in = mk_var(s, 3);
    lc_cenc *ev = e_variable(32);
    assert_ok(lc_decode_pervalue_variable(ev, &in, &v, &err), &err);
    assert_int_equal(v.n, 3);
    assert_string_equal(vstr(&v, 2), "xyz");
    assert_string_equal(vstr(&v, 1), "");
    lc_values_free(&v);
    e_free(ev);
    lc_values_free(&in);
  }
}

/* ---- FSST --------------------------------------------------------------------------- */

/* A table with n symbols; sym[i] of length len[i]. */
static void make_fsst_table(uint8_t *t, bool on, unsigned n, const char *const *sym) {
  memset(t, 0, 2312);
  uint64_t hdr = ((uint64_t)0x46535354 << 32) | ((uint64_t)(on ? 1 : 0) << 24) | n;
  lc_st64(t, hdr);
  for (unsigned i = 0; i < n; i++) {
    memcpy(t + 8 + 8 * i, sym[i], strlen(sym[i]));
    t[8 + 8 * n + i] = (uint8_t)strlen(sym[i]);
  }
}

static void test_fsst(void **state) {
  (void)state;
  lancec_error err = {0};
  uint8_t table[2312];
  const char *syms[3] = {"hello", " ", "world"};
  make_fsst_table(table, true, 3, syms);
  lc_fsst_table t;
  assert_ok(lc_fsst_table_parse(&t, table, sizeof table, &err), &err);
  assert_true(t.enabled);
  const uint8_t c1[] = {0, 1, 2, 255, '!'};
  uint8_t out[64];
  size_t olen;
  assert_ok(lc_fsst_decode(&t, c1, sizeof c1, out, sizeof out, &olen, &err), &err);
  assert_int_equal(olen, 12);
  assert_memory_equal(out, "hello world!", 12);
  /* exact-size output buffer (no slack) still works */
  assert_ok(lc_fsst_decode(&t, c1, sizeof c1, out, 12, &olen, &err), &err);
  assert_int_equal(olen, 12);
  assert_int_equal(lc_fsst_decode(&t, c1, sizeof c1, out, 11, &olen, &err), LANCEC_ECORRUPT);
  /* corrupt: trailing escape, undefined code */
  const uint8_t c2[] = {0, 255};
  assert_int_equal(lc_fsst_decode(&t, c2, sizeof c2, out, sizeof out, &olen, &err),
                   LANCEC_ECORRUPT);
  const uint8_t c3[] = {7};
  assert_int_equal(lc_fsst_decode(&t, c3, sizeof c3, out, sizeof out, &olen, &err),
                   LANCEC_ECORRUPT);
  /* corrupt tables */
  assert_int_equal(lc_fsst_table_parse(&t, table, 2311, &err), LANCEC_ECORRUPT);
  uint8_t badt[2312];
  memcpy(badt, table, sizeof badt);
  badt[7] = 0;
  assert_int_equal(lc_fsst_table_parse(&t, badt, sizeof badt, &err), LANCEC_ECORRUPT);
  memcpy(badt, table, sizeof badt);
  badt[8 + 24 + 1] = 9; /* length of symbol 1 */
  assert_int_equal(lc_fsst_table_parse(&t, badt, sizeof badt, &err), LANCEC_ECORRUPT);

  /* mini-block: Fsst{Variable{Flat{32}}}, two values */
  uint8_t mb[12 + 8];
  lc_st32(mb, 12);
  lc_st32(mb + 4, 17);
  lc_st32(mb + 8, 19);
  memcpy(mb + 12, c1, 5);
  mb[17] = 2;
  mb[18] = 0;
  lc_cenc *e = e_fsst(table, sizeof table, e_variable(32));
  lc_values v = {0};
  assert_ok(mb1(e, mb, 19, 2, &v, &err), &err);
  assert_int_equal(v.n, 2);
  assert_string_equal(vstr(&v, 0), "hello world!");
  assert_string_equal(vstr(&v, 1), "worldhello");
  lc_values_free(&v);
  /* per-value */
  {
    const uint8_t *vals[3] = {c1, (const uint8_t *)"\x02", (const uint8_t *)""};
    size_t lens[3] = {5, 1, 0};
    lc_values in = mk_var_bytes(vals, lens, 3);
    assert_ok(lc_decode_pervalue_variable(e, &in, &v, &err), &err);
    assert_string_equal(vstr(&v, 0), "hello world!");
    assert_string_equal(vstr(&v, 1), "world");
    assert_string_equal(vstr(&v, 2), "");
    lc_values_free(&v);
    lc_values_free(&in);
  }
  /* a chunk whose value ends in an escape */
  mb[18] = 255;
  assert_int_equal(mb1(e, mb, 19, 2, &v, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "Fsst"));
  e_free(e);

  /* switch off: the strings are stored as is */
  make_fsst_table(table, false, 0, NULL);
  e = e_fsst(table, sizeof table, e_variable(32));
  uint8_t plain[12 + 7];
  lc_st32(plain, 12);
  lc_st32(plain + 4, 15);
  lc_st32(plain + 8, 19);
  memcpy(plain + 12, "\xff\x01\x02orld", 7);
  assert_ok(mb1(e, plain, sizeof plain, 2, &v, &err), &err);
  assert_memory_equal(v.data, "\xff\x01\x02orld", 7);
  assert_string_equal(vstr(&v, 1), "orld");
  lc_values_free(&v);
  e_free(e);
}

/* ---- RLE ------------------------------------------------------------------------------ */

static void test_rle(void **state) {
  (void)state;
  lancec_error err = {0};
  /* mini-block: int64 constant 7, 4096 items in 17 runs (16 x 255 + 16) */
  uint8_t vals[17 * 8], lens[17];
  for (int i = 0; i < 17; i++) {
    lc_st64(vals + 8 * i, 7);
    lens[i] = i < 16 ? 255 : 16;
  }
  lc_cenc *e = e_rle(64);
  const uint8_t *bufs[2] = {vals, lens};
  uint64_t sizes[2] = {sizeof vals, sizeof lens};
  lc_values v = {0};
  assert_ok(lc_decode_miniblock(e, bufs, sizes, 2, 4096, &v, &err), &err);
  assert_int_equal(v.n, 4096);
  for (int i = 0; i < 4096; i++) assert_int_equal(lc_le64(v.data + 8 * i), 7);
  lc_values_free(&v);
  /* runs beyond the item count are cut */
  assert_ok(lc_decode_miniblock(e, bufs, sizes, 2, 4000, &v, &err), &err);
  lc_values_free(&v);
  /* too few values, too small value buffer, missing buffer */
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 4097, &v, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "Rle"));
  sizes[0] = 8 * 16;
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 4096, &v, &err), LANCEC_ECORRUPT);
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 1, 4096, &v, &err), LANCEC_ECORRUPT);
  e_free(e);
  /* varying u16 values */
  {
    uint8_t v16[6] = {1, 0, 2, 0, 0xff, 0xff};
    uint8_t l16[3] = {2, 1, 3};
    lc_cenc *e16 = e_rle(16);
    const uint8_t *b16[2] = {v16, l16};
    uint64_t s16[2] = {6, 3};
    assert_ok(lc_decode_miniblock(e16, b16, s16, 2, 6, &v, &err), &err);
    const uint16_t want[6] = {1, 1, 2, 0xffff, 0xffff, 0xffff};
    assert_memory_equal(v.data, want, sizeof want);
    lc_values_free(&v);
    e_free(e16);
  }

  /* framed block (2.2 §6.1): nullruns_f64 chunk 0 def buffer -> 1024 levels */
  {
    const uint8_t def[23] = {0x0a, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x01, 0x00, 0xff, 0xf5, 0xff, 0xf5, 0x18};
    lc_cenc *eb = e_rle(16);
    static uint16_t lv[1024];
    assert_ok(lc_decode_levels(eb, def, sizeof def, 1024, lv, &err), &err);
    for (int i = 0; i < 1024; i++) {
      int want = i < 500 ? 1 : i < 1000 ? 0 : 1;
      if (lv[i] != want) fail_msg("level %d = %d, want %d", i, lv[i], want);
    }
    assert_int_equal(lc_decode_levels(eb, def, sizeof def, 1025, lv, &err), LANCEC_ECORRUPT);
    assert_int_equal(lc_decode_levels(eb, def, 22, 1024, lv, &err), LANCEC_ECORRUPT);
    /* allnull_list rep buffer: 79 runs of u16 1 (78 x 255 + 110) = 20000 levels */
    static uint8_t rep[245];
    lc_st64(rep, 158);
    for (int i = 0; i < 79; i++) lc_st16(rep + 8 + 2 * i, 1);
    for (int i = 0; i < 78; i++) rep[166 + i] = 0xff;
    rep[244] = 0x6e;
    static uint16_t l2[20000];
    assert_ok(lc_decode_levels(eb, rep, sizeof rep, 20000, l2, &err), &err);
    for (int i = 0; i < 20000; i++) assert_int_equal(l2[i], 1);
    /* header claims more runs than the buffer has */
    lc_st64(rep, 1000);
    assert_int_equal(lc_decode_levels(eb, rep, sizeof rep, 20000, l2, &err), LANCEC_ECORRUPT);
    lc_st64(rep, 157); /* not a multiple of 2 */
    assert_int_equal(lc_decode_levels(eb, rep, sizeof rep, 20000, l2, &err), LANCEC_ECORRUPT);
    e_free(eb);
  }
}

/* ---- BSS ------------------------------------------------------------------------------- */

static void test_bss(void **state) {
  (void)state;
  lancec_error err = {0};
  float f[3] = {1.5f, -2.25f, 1e10f};
  uint8_t raw[12], split[12];
  memcpy(raw, f, 12);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) split[j * 3 + i] = raw[i * 4 + j];
  lc_cenc *e = e_bss(32);
  lc_values v = {0};
  assert_ok(mb1(e, split, 12, 3, &v, &err), &err);
  assert_memory_equal(v.data, raw, 12);
  lc_values_free(&v);
  assert_int_equal(mb1(e, split, 11, 3, &v, &err), LANCEC_ECORRUPT);
  e_free(e);
  double d[5] = {0.1, 0.2, -7, 1e300, 0};
  uint8_t rd[40], sd[40];
  memcpy(rd, d, 40);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 8; j++) sd[j * 5 + i] = rd[i * 8 + j];
  e = e_bss(64);
  assert_ok(mb1(e, sd, 40, 5, &v, &err), &err);
  assert_memory_equal(v.data, rd, 40);
  lc_values_free(&v);
  /* BSS is mini-block only */
  assert_int_equal(lc_decode_block(e, sd, 40, 5, &v, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "block context"));
  e_free(e);
}

/* ---- General ---------------------------------------------------------------------------- */

static size_t zstd_framed(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, bool prefix) {
  size_t off = prefix ? 8 : 0;
  size_t k = ZSTD_compress(dst + off, cap - off, src, n, 3);
  assert_false(ZSTD_isError(k));
  if (prefix) lc_st64(dst, n);
  return k + off;
}
static size_t lz4_framed(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
  int k = LZ4_compress_default((const char *)src, (char *)dst + 4, (int)n, (int)cap - 4);
  assert_true(k > 0);
  lc_st32(dst, (uint32_t)n);
  return (size_t)k + 4;
}

static void test_general(void **state) {
  (void)state;
  lancec_error err = {0};
  static uint8_t raw[4096], comp[8192];
  for (int i = 0; i < 1024; i++) lc_st32(raw + 4 * i, (uint32_t)(i % 10));
  lc_values v = {0};
  /* mini-block General{ZSTD, Flat{32}}, prefixed and bare frames */
  for (int bare = 0; bare < 2; bare++) {
    size_t clen = zstd_framed(raw, sizeof raw, comp, sizeof comp, !bare);
    lc_cenc *e = e_general(2, e_flat(32));
    assert_ok(mb1(e, comp, clen, 1024, &v, &err), &err);
    assert_memory_equal(v.data, raw, sizeof raw);
    lc_values_free(&v);
    /* truncated frame */
    assert_int_equal(mb1(e, comp, clen - 3, 1024, &v, &err), LANCEC_ECORRUPT);
    assert_non_null(strstr(err.message, "ZSTD"));
    e_free(e);
  }
  /* lc_general_decompress directly, and a lying length prefix */
  {
    size_t clen = zstd_framed(raw, sizeof raw, comp, sizeof comp, true);
    uint8_t *o;
    size_t olen;
    assert_ok(lc_general_decompress(2, comp, clen, &o, &olen, &err), &err);
    assert_int_equal(olen, sizeof raw);
    lc_free(o);
    lc_st64(comp, (uint64_t)1 << 50);
    assert_int_equal(lc_general_decompress(2, comp, clen, &o, &olen, &err), LANCEC_ECORRUPT);
    lc_st64(comp, 4000);
    assert_int_equal(lc_general_decompress(2, comp, clen, &o, &olen, &err), LANCEC_ECORRUPT);
    assert_int_equal(lc_general_decompress(2, comp, 5, &o, &olen, &err), LANCEC_ECORRUPT);
    assert_int_equal(lc_general_decompress(7, comp, clen, &o, &olen, &err), LANCEC_EUNSUPPORTED);
  }
  /* mini-block General{LZ4, Rle{Flat{32}, Flat{8}}}: only buffer 0 is compressed */
  {
    static uint8_t rv[4 * 300], rl[300];
    for (int i = 0; i < 300; i++) {
      lc_st32(rv + 4 * i, (uint32_t)(i / 7));
      rl[i] = 2;
    }
    size_t clen = lz4_framed(rv, sizeof rv, comp, sizeof comp);
    lc_cenc *e = e_general(1, e_rle(32));
    const uint8_t *bufs[2] = {comp, rl};
    uint64_t sizes[2] = {clen, sizeof rl};
    assert_ok(lc_decode_miniblock(e, bufs, sizes, 2, 600, &v, &err), &err);
    for (int i = 0; i < 600; i++) assert_int_equal(lc_le32(v.data + 4 * i), (i / 2) / 7);
    lc_values_free(&v);
    /* LZ4 length prefix lies */
    lc_st32(comp, 1201);
    assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 600, &v, &err), LANCEC_ECORRUPT);
    assert_non_null(strstr(err.message, "LZ4"));
    lc_st32(comp, 0x7fffffff);
    assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 600, &v, &err), LANCEC_ECORRUPT);
    e_free(e);
  }
  /* block General{LZ4, Flat{64}} (2.2 dictionary) and General{LZ4, Variable} */
  {
    double d[4] = {-7.0, 1.5, 2.25, 3.125};
    size_t clen = lz4_framed((const uint8_t *)d, sizeof d, comp, sizeof comp);
    lc_cenc *e = e_general(1, e_flat(64));
    assert_ok(lc_decode_block(e, comp, clen, 4, &v, &err), &err);
    assert_memory_equal(v.data, d, sizeof d);
    lc_values_free(&v);
    e_free(e);
    uint8_t blk[58];
    const uint32_t offs[6] = {0, 5, 10, 17, 21, 26};
    lc_st32(blk, 32);
    lc_st32(blk + 4, 32);
    for (int i = 0; i < 6; i++) lc_st32(blk + 8 + 4 * i, offs[i]);
    memcpy(blk + 32, "alphadeltaepsilonbetagamma", 26);
    clen = lz4_framed(blk, sizeof blk, comp, sizeof comp);
    e = e_general(1, e_variable(32));
    assert_ok(lc_decode_block(e, comp, clen, 5, &v, &err), &err);
    assert_string_equal(vstr(&v, 4), "gamma");
    lc_values_free(&v);
    e_free(e);
  }
  /* per-value General{ZSTD, Variable}: each value framed separately */
  {
    static uint8_t big[40000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)("abcabd"[i % 6]);
    static uint8_t f0[1000], f1[100];
    size_t l0 = zstd_framed(big, sizeof big, f0, sizeof f0, true);
    size_t l1 = zstd_framed((const uint8_t *)"tiny", 4, f1, sizeof f1, true);
    const uint8_t *vals[3] = {f0, f1, (const uint8_t *)""};
    size_t lens[3] = {l0, l1, 0};
    lc_values in = mk_var_bytes(vals, lens, 3);
    lc_cenc *e = e_general(2, e_variable(32));
    assert_ok(lc_decode_pervalue_variable(e, &in, &v, &err), &err);
    assert_int_equal(v.n, 3);
    assert_int_equal(off32(&v, 1), sizeof big);
    assert_memory_equal(v.data, big, sizeof big);
    assert_string_equal(vstr(&v, 1), "tiny");
    assert_string_equal(vstr(&v, 2), "");
    lc_values_free(&v);
    /* a corrupt value */
    in.data[0] ^= 0x01; /* raw length no longer matches the frame */
    assert_int_equal(lc_decode_pervalue_variable(e, &in, &v, &err), LANCEC_ECORRUPT);
    lc_values_free(&in);
    e_free(e);
  }
}

/* ---- FixedSizeList ---------------------------------------------------------------------- */

static void test_fsl(void **state) {
  (void)state;
  lancec_error err = {0};
  /* mini-block FSL{4, validity, Flat{32}}: 3 rows -> 12 items */
  uint8_t valid[2] = {0xAF, 0x0E}; /* 12 bits used */
  uint8_t items[48];
  for (int i = 0; i < 12; i++) lc_st32(items + 4 * i, (uint32_t)(100 + i));
  lc_cenc *e = e_fsl(4, true, e_flat(32));
  const uint8_t *bufs[2] = {valid, items};
  uint64_t sizes[2] = {2, 48};
  lc_values v = {0};
  assert_ok(lc_decode_miniblock(e, bufs, sizes, 2, 3, &v, &err), &err);
  assert_int_equal(v.n, 3);
  assert_int_equal(v.bits_per_value, 128);
  assert_int_equal(v.n_fsl, 1);
  assert_int_equal(v.fsl_dim[0], 4);
  assert_non_null(v.fsl_validity[0]);
  assert_int_equal(v.fsl_validity[0][0], 0xAF);
  assert_int_equal(v.fsl_validity[0][1], 0x0E);
  assert_memory_equal(v.data, items, 48);
  lc_values_free(&v);
  /* missing / short buffers */
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 1, 3, &v, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "FixedSizeList"));
  sizes[0] = 1;
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 3, &v, &err), LANCEC_ECORRUPT);
  sizes[0] = 2;
  sizes[1] = 47;
  assert_int_equal(lc_decode_miniblock(e, bufs, sizes, 2, 3, &v, &err), LANCEC_ECORRUPT);
  e_free(e);

  /* nested FSL{2, validity, FSL{3, validity, Flat{16}}}: 2 rows -> 4 lists, 12 items */
  {
    uint8_t v0[1] = {0x0D};       /* 4 bits */
    uint8_t v1[2] = {0xFF, 0x07}; /* 12 bits */
    uint8_t it[24];
    for (int i = 0; i < 12; i++) lc_st16(it + 2 * i, (uint16_t)i);
    lc_cenc *en = e_fsl(2, true, e_fsl(3, true, e_flat(16)));
    const uint8_t *b3[3] = {v0, v1, it};
    uint64_t s3[3] = {1, 2, 24};
    assert_ok(lc_decode_miniblock(en, b3, s3, 3, 2, &v, &err), &err);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.bits_per_value, 16 * 6);
    assert_int_equal(v.n_fsl, 2);
    assert_int_equal(v.fsl_dim[0], 2);
    assert_int_equal(v.fsl_dim[1], 3);
    assert_int_equal(v.fsl_validity[0][0], 0x0D);
    assert_int_equal(v.fsl_validity[1][1], 0x07);
    assert_memory_equal(v.data, it, 24);
    lc_values_free(&v);

    /* per-value: each row = [1 validity byte][1 validity byte][12 item bytes] */
    uint8_t rows[2 * 14];
    uint8_t vv0[2] = {0x01, 0x03}, vv1[2] = {0x3F, 0x15};
    for (int r = 0; r < 2; r++) {
      rows[14 * r] = vv0[r];
      rows[14 * r + 1] = vv1[r];
      memcpy(rows + 14 * r + 2, it + 12 * r, 12);
    }
    assert_ok(lc_decode_pervalue_fixed(en, rows, 2, 14 * 8, &v, &err), &err);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.bits_per_value, 96);
    assert_memory_equal(v.data, it, 24);
    /* layer 0: 2 bits per row: row0 = 01, row1 = 11 -> bits 0b1101 */
    assert_int_equal(v.fsl_validity[0][0] & 0x0F, 0x0D);
    /* layer 1: 6 bits per row: 0x3F then 0x15 -> 0x3F | 0x15 << 6 */
    uint16_t l1 = (uint16_t)(v.fsl_validity[1][0] | (v.fsl_validity[1][1] << 8));
    assert_int_equal(l1 & 0xFFF, 0x3F | (0x15 << 6));
    lc_values_free(&v);
    assert_int_equal(lc_decode_pervalue_fixed(en, rows, 2, 13 * 8, &v, &err), LANCEC_ECORRUPT);
    e_free(en);
  }
  /* per-value without validity: the rows are the items */
  {
    lc_cenc *ep = e_fsl(4, false, e_flat(32));
    assert_ok(lc_decode_pervalue_fixed(ep, items, 3, 128, &v, &err), &err);
    assert_int_equal(v.n_fsl, 1);
    assert_null(v.fsl_validity[0]);
    assert_memory_equal(v.data, items, 48);
    lc_values_free(&v);
    /* block context, no validity */
    assert_ok(lc_decode_block(ep, items, 48, 3, &v, &err), &err);
    assert_int_equal(v.bits_per_value, 128);
    lc_values_free(&v);
    e_free(ep);
  }
  /* per-value all-null items: FSL{10, validity, Constant{}} stores 2 validity bytes */
  {
    lc_cenc *ec = e_fsl(10, true, e_constant(NULL, 0));
    uint8_t z[4] = {0};
    assert_ok(lc_decode_pervalue_fixed(ec, z, 2, 16, &v, &err), &err);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.bits_per_value, 0);
    assert_non_null(v.fsl_validity[0]);
    lc_values_free(&v);
    e_free(ec);
  }
}

/* ---- PackedStruct / VariablePackedStruct ------------------------------------------------- */

static void test_packed_struct(void **state) {
  (void)state;
  lancec_error err = {0};
  const uint64_t widths[2] = {32, 64};
  uint8_t rows[2 * 12];
  for (int i = 0; i < 24; i++) rows[i] = (uint8_t)i;
  lc_cenc *e = e_packed(widths, 2, e_flat(96));
  lc_values v = {0};
  assert_ok(mb1(e, rows, sizeof rows, 2, &v, &err), &err);
  assert_int_equal(v.bits_per_value, 96);
  assert_memory_equal(v.data, rows, 24);
  lc_values_free(&v);
  e_free(e);
  e = e_packed(widths, 2, e_flat(64)); /* widths do not add up */
  assert_int_equal(mb1(e, rows, sizeof rows, 2, &v, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "PackedStruct"));
  e_free(e);
}

static void test_variable_packed_struct(void **state) {
  (void)state;
  lancec_error err = {0};
  /* 2.2 §7.2: struct<x:int32, s:utf8> packed; x = 612, s = "bjd" (FSST 42 e7);
   * next row (668, "") */
  const uint8_t r0[10] = {0x64, 0x02, 0, 0, 0x02, 0, 0, 0, 0x42, 0xe7};
  const uint8_t r1[8] = {0x9c, 0x02, 0, 0, 0, 0, 0, 0};
  const uint8_t *rows[2] = {r0, r1};
  size_t lens[2] = {10, 8};
  lc_values in = mk_var_bytes(rows, lens, 2);
  /* a table where 0x42 = "bj" and 0xe7 = "d" */
  static const char *syms[232];
  for (int i = 0; i < 232; i++) syms[i] = "x";
  syms[0x42] = "bj";
  syms[0xe7] = "d";
  uint8_t table[2312];
  make_fsst_table(table, true, 232, syms);
  const int64_t layout[2] = {32, -32};
  lc_cenc *vals[2] = {e_flat(32), e_fsst(table, sizeof table, e_variable(32))};
  lc_cenc *e = e_vps(2, layout, vals);
  lc_values out[2] = {{0}, {0}};
  assert_ok(lc_decode_variable_packed_struct(e, &in, 2, out, &err), &err);
  assert_int_equal(out[0].kind, LC_VALUES_FIXED);
  assert_int_equal(out[0].n, 2);
  assert_int_equal(lc_le32(out[0].data), 612);
  assert_int_equal(lc_le32(out[0].data + 4), 668);
  assert_int_equal(out[1].kind, LC_VALUES_VARIABLE);
  assert_string_equal(vstr(&out[1], 0), "bjd");
  assert_string_equal(vstr(&out[1], 1), "");
  lc_values_free(&out[0]);
  lc_values_free(&out[1]);
  /* wrong child count, trailing bytes, overrunning length */
  lc_values out3[3] = {{0}, {0}, {0}};
  assert_int_equal(lc_decode_variable_packed_struct(e, &in, 3, out3, &err), LANCEC_ECORRUPT);
  lc_values_free(&in);
  const uint8_t t0[11] = {0x64, 0x02, 0, 0, 0x02, 0, 0, 0, 0x42, 0xe7, 0};
  const uint8_t *rows2[1] = {t0};
  size_t l2[1] = {11};
  in = mk_var_bytes(rows2, l2, 1);
  assert_int_equal(lc_decode_variable_packed_struct(e, &in, 2, out, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "VariablePackedStruct"));
  lc_values_free(&in);
  const uint8_t t1[10] = {0x64, 0x02, 0, 0, 0x09, 0, 0, 0, 0x42, 0xe7};
  const uint8_t *rows3[1] = {t1};
  size_t l3[1] = {10};
  in = mk_var_bytes(rows3, l3, 1);
  assert_int_equal(lc_decode_variable_packed_struct(e, &in, 2, out, &err), LANCEC_ECORRUPT);
  lc_values_free(&in);
  /* plain Variable child is gathered directly */
  e_free(e);
  lc_cenc *vals2[2] = {e_flat(32), e_variable(32)};
  e = e_vps(2, layout, vals2);
  const uint8_t *rows4[2] = {r0, r1};
  in = mk_var_bytes(rows4, lens, 2);
  assert_ok(lc_decode_variable_packed_struct(e, &in, 2, out, &err), &err);
  assert_int_equal(off32(&out[1], 1), 2);
  assert_int_equal(out[1].data[0], 0x42);
  lc_values_free(&out[0]);
  lc_values_free(&out[1]);
  lc_values_free(&in);
  e_free(e);
}

/* ---- contexts and hostile input ----------------------------------------------------------- */

static void test_unsupported_contexts(void **state) {
  (void)state;
  lancec_error err = {0};
  lc_values v = {0};
  uint8_t buf[64] = {0};
  lc_cenc *ool = e_ool(16, 1);
  assert_int_equal(mb1(ool, buf, 64, 4, &v, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "OutOfLineBitpacking{16, Flat{1}}"));
  assert_non_null(strstr(err.message, "mini-block context"));
  e_free(ool);
  lc_cenc *dict = e_new();
  dict->compression_case = CASE(DICTIONARY);
  dict->dictionary = malloc(sizeof *dict->dictionary);
  lance__encodings21__dictionary__init(dict->dictionary);
  assert_int_equal(mb1(dict, buf, 64, 4, &v, &err), LANCEC_EUNSUPPORTED);
  assert_int_equal(lc_decode_block(dict, buf, 64, 4, &v, &err), LANCEC_EUNSUPPORTED);
  assert_int_equal(lc_decode_pervalue_fixed(dict, buf, 4, 8, &v, &err), LANCEC_EUNSUPPORTED);
  e_free(dict);
  lc_cenc *unset = e_new();
  assert_int_equal(mb1(unset, buf, 64, 4, &v, &err), LANCEC_EUNSUPPORTED);
  e_free(unset);
  lc_cenc *fl = e_flat(32);
  lc_values in = mk_var((const char *const[]){"a"}, 1);
  assert_int_equal(lc_decode_pervalue_variable(fl, &in, &v, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "per-value"));
  lc_values_free(&in);
  assert_int_equal(mb1(NULL, buf, 64, 4, &v, &err), LANCEC_ECORRUPT);
  e_free(fl);
  /* deep nesting is refused, not a stack overflow */
  const uint64_t w32[1] = {32};
  lc_cenc *deep = e_flat(32);
  for (int i = 0; i < 40; i++) deep = e_packed(w32, 1, deep);
  assert_int_equal(mb1(deep, buf, 64, 4, &v, &err), LANCEC_ECORRUPT);
  char name[64];
  lc_cenc_name(deep, name, sizeof name);
  assert_true(strlen(name) < sizeof name);
  e_free(deep);
  /* names */
  lc_cenc *n1 = e_fsst((const uint8_t *)"", 0, e_variable(32));
  assert_string_equal(lc_cenc_name(n1, name, sizeof name), "Fsst{Variable{Flat{32}}}");
  e_free(n1);
}

/* Random bytes through every decoder: errors are fine, crashes are not (ASan). */
static void test_random_input(void **state) {
  (void)state;
  lancec_error err;
  uint8_t table[2312];
  const char *syms[2] = {"ab", "c"};
  make_fsst_table(table, true, 2, syms);
  const uint64_t w2[2] = {32, 32};
  const int64_t layout[3] = {32, -32, -64};
  lc_cenc *vps_vals[3] = {e_flat(32), e_variable(32), e_fsst(table, sizeof table, e_variable(32))};
  lc_cenc *encs[] = {
      e_flat(32),
      e_flat(1),
      e_variable(32),
      e_variable(64),
      e_inline(8),
      e_inline(16),
      e_inline(32),
      e_inline(64),
      e_ool(16, 3),
      e_ool(64, 40),
      e_fsst(table, sizeof table, e_variable(32)),
      e_rle(8),
      e_rle(64),
      e_bss(32),
      e_general(1, e_flat(32)),
      e_general(2, e_variable(32)),
      e_general(1, e_rle(16)),
      e_fsl(3, true, e_flat(16)),
      e_fsl(2, true, e_fsl(5, true, e_flat(8))),
      e_packed(w2, 2, e_flat(64)),
      e_constant((const uint8_t *)"ab", 2),
      e_vps(3, layout, vps_vals),
  };
  const size_t n_encs = sizeof encs / sizeof encs[0];
  static uint8_t buf[4096];
  static uint8_t b2[512];
  for (int iter = 0; iter < 3000; iter++) {
    size_t len = rnd() % sizeof buf;
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rnd();
    if (rnd() % 3 == 0 && len >= 16) {
      /* plausible small headers */
      lc_st64(buf, rnd() % 64);
      buf[0] = (uint8_t)(rnd() % 70);
    }
    for (size_t i = 0; i < sizeof b2; i++) b2[i] = (uint8_t)rnd();
    uint64_t n = rnd() % 2100;
    if (rnd() % 50 == 0) n = rnd();
    for (size_t k = 0; k < n_encs; k++) {
      lc_values v = {0};
      const uint8_t *bufs[3] = {buf, b2, buf};
      uint64_t sizes[3] = {len, rnd() % sizeof b2, len / 2};
      lc_decode_miniblock(encs[k], bufs, sizes, 1 + rnd() % 3, n, &v, &err);
      lc_values_free(&v);
      lc_decode_block(encs[k], buf, len, n, &v, &err);
      lc_values_free(&v);
      if (n * 8 <= len) {
        lc_decode_pervalue_fixed(encs[k], buf, n / 8, 64, &v, &err);
        lc_values_free(&v);
      }
      static uint16_t lv[2100];
      if (n < 2100) lc_decode_levels(encs[k], buf, len, n, lv, &err);
      /* per-value variable over random slices */
      lc_values in = {0};
      in.kind = LC_VALUES_VARIABLE;
      in.n = rnd() % 8;
      in.offset_bits = 32;
      in.offsets = lc_malloc(4 * (in.n + 1));
      uint32_t o = 0;
      for (uint64_t i = 0; i <= in.n; i++) {
        lc_st32(in.offsets + 4 * i, o);
        o += (uint32_t)(rnd() % 64);
        if (o > len) o = (uint32_t)len;
      }
      in.data = buf;
      in.data_len = len;
      lc_decode_pervalue_variable(encs[k], &in, &v, &err);
      lc_values_free(&v);
      lc_values outs[3] = {{0}, {0}, {0}};
      lc_decode_variable_packed_struct(encs[k], &in, 3, outs, &err);
      for (int c = 0; c < 3; c++) lc_values_free(&outs[c]);
      in.data = NULL;
      lc_values_free(&in);
    }
  }
  for (size_t k = 0; k < n_encs; k++) e_free(encs[k]);
}

/* Valid inputs with random bytes flipped / truncated: errors are fine, crashes are not. */
static void test_mutated_input(void **state) {
  (void)state;
  lancec_error err;
  static uint64_t vals[1500];
  static uint8_t bp[2 * (8 + 8192)];
  for (int i = 0; i < 1500; i++) vals[i] = rnd() & 0xFFF;
  size_t bp_len = put_inline_group(bp, 32, vals, 1024);
  bp_len += put_inline_group(bp + bp_len, 32, vals + 1024, 476);
  uint8_t table[2312];
  const char *syms[3] = {"hello", " ", "world"};
  make_fsst_table(table, true, 3, syms);
  uint8_t fs[12 + 8];
  lc_st32(fs, 12);
  lc_st32(fs + 4, 17);
  lc_st32(fs + 8, 19);
  memcpy(fs + 12, "\x00\x01\x02\xff!\x02\x00", 7);
  static uint8_t raw[4096], zs[8192], lz[8192];
  for (int i = 0; i < 1024; i++) lc_st32(raw + 4 * i, (uint32_t)(i % 10));
  size_t zs_len = zstd_framed(raw, sizeof raw, zs, sizeof zs, true);
  size_t lz_len = lz4_framed(raw, sizeof raw, lz, sizeof lz);
  uint8_t rle[8 + 10 + 5] = {0x0a, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0,
                             0xff, 0xf5, 0xff, 0xf5, 0x18};
  uint8_t vb[58];
  const uint32_t offs[6] = {0, 5, 10, 17, 21, 26};
  lc_st32(vb, 32);
  lc_st32(vb + 4, 32);
  for (int i = 0; i < 6; i++) lc_st32(vb + 8 + 4 * i, offs[i]);
  memcpy(vb + 32, "alphadeltaepsilonbetagamma", 26);
  struct {
    lc_cenc *e;
    const uint8_t *buf;
    size_t len;
    uint64_t n;
    bool block;
  } cases[] = {
      {e_inline(32), bp, bp_len, 1500, false},
      {e_fsst(table, sizeof table, e_variable(32)), fs, 19, 2, false},
      {e_general(2, e_flat(32)), zs, zs_len, 1024, false},
      {e_general(1, e_flat(32)), lz, lz_len, 1024, true},
      {e_rle(16), rle, sizeof rle, 1024, true},
      {e_variable(32), vb, sizeof vb, 5, true},
  };
  static uint8_t m[8 + 2 * 8192];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int iter = 0; iter < 2000; iter++) {
      size_t len = cases[c].len;
      memcpy(m, cases[c].buf, len);
      int flips = 1 + (int)(rnd() % 4);
      for (int f = 0; f < flips; f++) m[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
      if (rnd() % 4 == 0) len = rnd() % (len + 1);
      lc_values v = {0};
      uint8_t *copy = malloc(len ? len : 1); /* exact-size heap copy: ASan sees overreads */
      memcpy(copy, m, len);
      if (cases[c].block)
        lc_decode_block(cases[c].e, copy, len, cases[c].n, &v, &err);
      else
        mb1(cases[c].e, copy, len, cases[c].n, &v, &err);
      lc_values_free(&v);
      free(copy);
    }
    e_free(cases[c].e);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fastlanes_roundtrip),
      cmocka_unit_test(test_fastlanes_spec_example),
      cmocka_unit_test(test_inline_bitpacking),
      cmocka_unit_test(test_out_of_line_bitpacking),
      cmocka_unit_test(test_flat_and_constant),
      cmocka_unit_test(test_variable),
      cmocka_unit_test(test_fsst),
      cmocka_unit_test(test_rle),
      cmocka_unit_test(test_bss),
      cmocka_unit_test(test_general),
      cmocka_unit_test(test_fsl),
      cmocka_unit_test(test_packed_struct),
      cmocka_unit_test(test_variable_packed_struct),
      cmocka_unit_test(test_unsupported_contexts),
      cmocka_unit_test(test_random_input),
      cmocka_unit_test(test_mutated_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
