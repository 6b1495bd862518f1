/* lc_array_cast / lc_cast_supported: every conversion family, range and
 * nullability errors (messages), offsets at every level, and the identity
 * cast of every type against the canonical row printer. */
#include <math.h>

#include "testutil.h"

#include "arrow/cast.h"
#include "arrow_gen.h"

/* ---- builders ----------------------------------------------------------------- */

/* n values of `w` bytes from `vals`, `nullmask` bit i set = null (as a string of '0'/'1' or NULL),
 * with `off` leading garbage rows. */
static void mk_fixed(struct ArrowArray *a, const void *vals, int w, int64_t n, const char *nulls, int64_t off) {
  lc_array_init(a, 2, 0);
  uint8_t *d = lc_malloc_aligned((size_t)((n + off) * w) + 1);
  memset(d, 0xAB, (size_t)(off * w));
  memcpy(d + off * w, vals, (size_t)(n * w));
  lc_array_set_buffer(a, 1, d);
  a->length = n, a->offset = off;
  if (nulls) {
    uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n + off) + 1);
    memset(v, 0xff, lc_bitmap_bytes(n + off) + 1);
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++)
      if (nulls[i] == '1') lc_bit_clear(v, off + i), z++;
    lc_array_set_buffer(a, 0, v);
    a->null_count = z;
  }
}

static void mk_strings(struct ArrowArray *a, const char *const *s, int64_t n, bool large) {
  lc_array_init(a, 3, 0);
  uint8_t *o = lc_malloc_aligned((size_t)(n + 2) * 8);
  lc_buf d = {0};
  lc_buf_append(&d, "xx", 2); /* non-zero first offset */
  int64_t nulls = 0;
  uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n) + 1);
  memset(v, 0xff, lc_bitmap_bytes(n) + 1);
  for (int64_t i = 0; i <= n; i++) {
    if (large) ((int64_t *)o)[i] = (int64_t)d.len;
    else ((int32_t *)o)[i] = (int32_t)d.len;
    if (i < n) {
      if (s[i]) lc_buf_append(&d, s[i], strlen(s[i]));
      else lc_bit_clear(v, i), nulls++;
    }
  }
  lc_array_set_buffer(a, 1, o);
  uint8_t *db = lc_malloc_aligned(d.len + 1);
  memcpy(db, d.data, d.len);
  lc_buf_free(&d);
  lc_array_set_buffer(a, 2, db);
  if (nulls) {
    lc_array_set_buffer(a, 0, v);
    a->null_count = nulls;
  } else {
    lc_free(v);
  }
  a->length = n;
}

static void expect_err(int rc, const lancec_error *err, const char *needle) {
  assert_int_equal(rc, LANCEC_ETYPE);
  if (!strstr(err->message, needle)) fail_msg("message '%s' lacks '%s'", err->message, needle);
}

static bool is_null_at(const struct ArrowArray *a, int64_t i) {
  return a->buffers[0] && a->null_count && !lc_bit_get(a->buffers[0], a->offset + i);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_int_widen_narrow(void **state) {
  lancec_error err;
  lc_field *i8 = fld(LC_T_INT8, "a"), *i64 = fld(LC_T_INT64, "a"), *u16 = fld(LC_T_UINT16, "a");
  int8_t v8[] = {-128, 0, 5, 127, -1};
  struct ArrowArray in, out;
  mk_fixed(&in, v8, 1, 5, "00100", 3);
  assert_ok(lc_array_cast(i8, &in, i64, "a", &out, &err), &err);
  assert_ok(lc_array_validate(i64, &out, &err), &err);
  assert_int_equal(out.offset, 0);
  assert_int_equal(out.null_count, 1);
  const int64_t *r = out.buffers[1];
  assert_int_equal(r[0], -128);
  assert_int_equal(r[3], 127);
  assert_int_equal(r[4], -1);
  assert_true(is_null_at(&out, 2));
  /* int8 -> uint16: -128 does not fit */
  struct ArrowArray o2;
  expect_err(lc_array_cast(i8, &in, u16, "a", &o2, &err), &err, "column 'a': value -128 at row 0 does not fit uint16");
  lc_array_release(&out);
  lc_array_release(&in);

  /* narrowing int64 -> int8 with the value at row 17 too big */
  int64_t v64[20];
  for (int i = 0; i < 20; i++) v64[i] = i - 5;
  v64[17] = 300;
  mk_fixed(&in, v64, 8, 20, NULL, 0);
  expect_err(lc_array_cast(i64, &in, i8, "a", &out, &err), &err, "column 'a': value 300 at row 17 does not fit int8");
  assert_null(out.release);
  v64[17] = 100;
  lc_array_release(&in);
  /* a null slot holding an out-of-range value is fine */
  char nm[21] = "00000000000000000100";
  v64[17] = 300;
  mk_fixed(&in, v64, 8, 20, nm, 1);
  assert_ok(lc_array_cast(i64, &in, i8, "a", &out, &err), &err);
  assert_int_equal(((const int8_t *)out.buffers[1])[16], 11);
  assert_int_equal(out.null_count, 1);
  lc_array_release(&out);
  lc_array_release(&in);
  /* uint64 max -> int64 fails, -> uint64 same */
  uint64_t big[] = {UINT64_MAX, 1};
  lc_field *u64 = fld(LC_T_UINT64, "b");
  mk_fixed(&in, big, 8, 2, NULL, 0);
  expect_err(lc_array_cast(u64, &in, i64, "b", &out, &err), &err, "value 18446744073709551615 at row 0 does not fit int64");
  lc_array_release(&in);
  lc_ipc_field_free(i8), lc_ipc_field_free(i64), lc_ipc_field_free(u16), lc_ipc_field_free(u64);
}

static void test_int_float(void **state) {
  lancec_error err;
  lc_field *i32 = fld(LC_T_INT32, "x"), *f64 = fld(LC_T_DOUBLE, "x"), *f32 = fld(LC_T_FLOAT, "x"),
           *f16 = fld(LC_T_HALF, "x"), *i16 = fld(LC_T_INT16, "x");
  int32_t iv[] = {1, -2, 1 << 24, 7};
  struct ArrowArray in, out, o2;
  mk_fixed(&in, iv, 4, 4, NULL, 2);
  assert_ok(lc_array_cast(i32, &in, f64, "x", &out, &err), &err);
  assert_true(((const double *)out.buffers[1])[2] == 16777216.0);
  /* and back */
  assert_ok(lc_array_cast(f64, &out, i32, "x", &o2, &err), &err);
  assert_memory_equal(o2.buffers[1], iv, sizeof iv);
  lc_array_release(&o2);
  /* double -> half -> float */
  double dv[] = {1.5, -0.25, 65504.0, 1e-8};
  lc_array_release(&out);
  lc_array_release(&in);
  mk_fixed(&in, dv, 8, 4, NULL, 0);
  assert_ok(lc_array_cast(f64, &in, f16, "x", &out, &err), &err);
  assert_ok(lc_array_cast(f16, &out, f32, "x", &o2, &err), &err);
  const float *fr = o2.buffers[1];
  assert_true(fr[0] == 1.5f && fr[1] == -0.25f && fr[2] == 65504.0f);
  assert_true(fabsf(fr[3]) < 1e-7f);
  lc_array_release(&o2);
  lc_array_release(&out);
  /* 1.5 -> int16 is lossy */
  expect_err(lc_array_cast(f64, &in, i16, "x", &out, &err), &err, "value 1.5 at row 0 does not fit int16");
  lc_array_release(&in);
  /* overflow to infinity */
  double huge[] = {1e300};
  mk_fixed(&in, huge, 8, 1, NULL, 0);
  expect_err(lc_array_cast(f64, &in, f32, "x", &out, &err), &err, "does not fit float");
  lc_array_release(&in);
  lc_ipc_field_free(i32), lc_ipc_field_free(f64), lc_ipc_field_free(f32), lc_ipc_field_free(f16);
  lc_ipc_field_free(i16);
}

static void test_strings(void **state) {
  lancec_error err;
  lc_field *s = fld(LC_T_STRING, "s"), *ls = fld(LC_T_LARGE_STRING, "s"), *bin = fld(LC_T_LARGE_BINARY, "s");
  const char *vals[] = {"héllo", NULL, "", "world"};
  struct ArrowArray in, out, o2;
  mk_strings(&in, vals, 4, false);
  in.offset = 0;
  assert_ok(lc_array_cast(s, &in, ls, "s", &out, &err), &err);
  assert_ok(lc_array_validate(ls, &out, &err), &err);
  for (int i = 0; i < 4; i++) {
    char *g = repr_row(ls, &out, i), *w = repr_row(s, &in, i);
    assert_string_equal(g, w);
    lc_free(g), lc_free(w);
  }
  assert_ok(lc_array_cast(ls, &out, bin, "s", &o2, &err), &err);
  assert_int_equal(((const int64_t *)o2.buffers[1])[4], 11);
  lc_array_release(&o2);
  /* binary -> string is not supported */
  assert_false(lc_cast_supported(bin, s));
  expect_err(lc_array_cast(bin, &out, s, "s", &o2, &err), &err, "cannot convert large_binary to string");
  lc_array_release(&out);
  lc_array_release(&in);
  lc_ipc_field_free(s), lc_ipc_field_free(ls), lc_ipc_field_free(bin);
}

static void test_lists_and_messages(void **state) {
  lancec_error err;
  lc_field *l = fld_list(LC_T_LIST, "a", fld(LC_T_INT32, "item"));
  lc_field *ll = fld_list(LC_T_LARGE_LIST, "a", fld(LC_T_INT64, "item"));
  lc_field *i64 = fld(LC_T_INT64, "a");
  struct ArrowArray in, out, back;
  g_rng = 42;
  gen_array(l, 50, 20, &in);
  assert_true(lc_cast_supported(l, ll));
  assert_ok(lc_array_cast(l, &in, ll, "a", &out, &err), &err);
  assert_ok(lc_array_validate(ll, &out, &err), &err);
  assert_ok(lc_array_cast(ll, &out, l, "a", &back, &err), &err);
  for (int64_t i = 0; i < 50; i++) {
    char *g = repr_row(l, &back, i), *w = repr_row(l, &in, i);
    assert_string_equal(g, w);
    lc_free(g), lc_free(w);
  }
  lc_array_release(&back);
  lc_array_release(&out);
  assert_false(lc_cast_supported(l, i64));
  expect_err(lc_array_cast(l, &in, i64, "a", &out, &err), &err, "column 'a': cannot convert list<int32> to int64");
  lc_array_release(&in);
  lc_ipc_field_free(l), lc_ipc_field_free(ll), lc_ipc_field_free(i64);
}

static void test_nullability(void **state) {
  lancec_error err;
  lc_field *from = fld(LC_T_INT32, "a"), *to = fld(LC_T_INT64, "a");
  to->nullable = false;
  int32_t v[] = {1, 2, 3, 4, 5};
  struct ArrowArray in, out;
  mk_fixed(&in, v, 4, 5, "00010", 1);
  expect_err(lc_array_cast(from, &in, to, "a", &out, &err), &err, "column 'a' is not nullable but row 3 is null");
  lc_array_release(&in);
  mk_fixed(&in, v, 4, 5, NULL, 1);
  assert_ok(lc_array_cast(from, &in, to, "a", &out, &err), &err);
  lc_array_release(&out);
  lc_array_release(&in);

  /* struct child not nullable: nulls under a null parent are fine, else an error naming the path */
  lc_field *sf = fld(LC_T_STRUCT, "s");
  fld_add(sf, fld(LC_T_INT32, "x"));
  lc_field *st = fld(LC_T_STRUCT, "s");
  lc_field *x = fld(LC_T_INT32, "x");
  x->nullable = false;
  fld_add(st, x);
  struct ArrowArray sa;
  lc_array_init(&sa, 1, 1);
  sa.length = 4;
  mk_fixed(sa.children[0], v, 4, 4, "0100", 0);
  uint8_t *pv = lc_malloc_aligned(8);
  pv[0] = 0x0d; /* row 1 null */
  lc_array_set_buffer(&sa, 0, pv);
  sa.null_count = 1;
  assert_ok(lc_array_cast(sf, &sa, st, "s", &out, &err), &err);
  assert_int_equal(out.null_count, 1);
  lc_array_release(&out);
  pv[0] = 0x0f;
  sa.null_count = 0;
  expect_err(lc_array_cast(sf, &sa, st, "s", &out, &err), &err, "column 's.x' is not nullable but row 1 is null");
  lc_array_release(&sa);
  lc_ipc_field_free(from), lc_ipc_field_free(to), lc_ipc_field_free(sf), lc_ipc_field_free(st);
}

static void test_struct_by_name(void **state) {
  lancec_error err;
  lc_field *from = fld(LC_T_STRUCT, "");
  fld_add(from, fld(LC_T_STRING, "b"));
  fld_add(from, fld(LC_T_INT32, "a"));
  lc_field *to = fld(LC_T_STRUCT, "");
  fld_add(to, fld(LC_T_INT64, "a"));
  fld_add(to, fld(LC_T_LARGE_STRING, "b"));
  fld_add(to, fld(LC_T_DOUBLE, "c")); /* missing: nulls */
  struct ArrowArray in, out;
  lc_array_init(&in, 1, 2);
  in.length = 3;
  const char *s[] = {"x", "y", NULL};
  mk_strings(in.children[0], s, 3, false);
  int32_t av[] = {10, 20, 30};
  mk_fixed(in.children[1], av, 4, 3, NULL, 0);
  assert_true(lc_cast_supported(from, to));
  assert_ok(lc_array_cast(from, &in, to, NULL, &out, &err), &err);
  assert_ok(lc_array_validate(to, &out, &err), &err);
  assert_int_equal(((const int64_t *)out.children[0]->buffers[1])[2], 30);
  assert_int_equal(out.children[2]->null_count, 3);
  lc_array_release(&out);
  /* missing non-nullable target child */
  to->children[2]->nullable = false;
  assert_false(lc_cast_supported(from, to));
  expect_err(lc_array_cast(from, &in, to, NULL, &out, &err), &err, "column 'c' is missing and not nullable");
  /* extra source child */
  to->children[2]->nullable = true;
  fld_add(from, fld(LC_T_INT8, "z"));
  lc_array_release(&in);
  lc_field *to2 = fld(LC_T_STRUCT, "");
  fld_add(to2, fld(LC_T_INT64, "a"));
  lc_array_init(&in, 1, 2);
  in.length = 0;
  lc_array_make_nulls(from->children[1], 0, in.children[0], &err);
  lc_array_make_nulls(from->children[2], 0, in.children[1], &err);
  lc_field *from2 = fld(LC_T_STRUCT, "");
  fld_add(from2, fld(LC_T_INT32, "a"));
  fld_add(from2, fld(LC_T_INT8, "z"));
  expect_err(lc_array_cast(from2, &in, to2, NULL, &out, &err), &err, "column 'z' is not in the target schema");
  /* a nested type error names the child path and both types */
  lc_field *to3 = fld(LC_T_STRUCT, "");
  fld_add(to3, fld(LC_T_INT64, "a"));
  fld_add(to3, fld_list(LC_T_LIST, "z", fld(LC_T_INT8, "item")));
  expect_err(lc_array_cast(from2, &in, to3, NULL, &out, &err), &err, "column 'z': cannot convert int8 to list<int8>");
  lc_array_release(&in);
  lc_ipc_field_free(from), lc_ipc_field_free(to), lc_ipc_field_free(to2), lc_ipc_field_free(from2);
  lc_ipc_field_free(to3);
}

static void test_temporal_decimal(void **state) {
  lancec_error err;
  lc_field *ms = fld_unit(LC_T_TIMESTAMP, "t", LC_UNIT_MS), *us = fld_unit(LC_T_TIMESTAMP, "t", LC_UNIT_US),
           *s = fld_unit(LC_T_TIMESTAMP, "t", LC_UNIT_S);
  us->tz = lc_strdup("UTC");
  int64_t tv[] = {1000, -2000, 1500};
  struct ArrowArray in, out;
  mk_fixed(&in, tv, 8, 3, NULL, 1);
  assert_ok(lc_array_cast(ms, &in, us, "t", &out, &err), &err);
  assert_int_equal(((const int64_t *)out.buffers[1])[1], -2000000);
  lc_array_release(&out);
  expect_err(lc_array_cast(ms, &in, s, "t", &out, &err), &err, "value 1500 at row 2 does not fit timestamp[s]");
  lc_array_release(&in);
  lc_field *d32 = fld(LC_T_DATE32, "d"), *d64 = fld(LC_T_DATE64, "d");
  int32_t dv[] = {0, 19000, -1};
  mk_fixed(&in, dv, 4, 3, NULL, 0);
  struct ArrowArray back;
  assert_ok(lc_array_cast(d32, &in, d64, "d", &out, &err), &err);
  assert_int_equal(((const int64_t *)out.buffers[1])[1], 19000LL * 86400000LL);
  assert_ok(lc_array_cast(d64, &out, d32, "d", &back, &err), &err);
  assert_memory_equal(back.buffers[1], dv, sizeof dv);
  lc_array_release(&back);
  lc_array_release(&out);
  lc_array_release(&in);
  assert_false(lc_cast_supported(d32, ms));

  lc_field *dec = fld_dec(LC_T_DECIMAL128, "m", 10, 2), *dec2 = fld_dec(LC_T_DECIMAL128, "m", 12, 4),
           *dec3 = fld_dec(LC_T_DECIMAL128, "m", 5, 2), *dec4 = fld_dec(LC_T_DECIMAL256, "m", 40, 1);
  __int128 mv[] = {12345, -5, 99999999};
  mk_fixed(&in, mv, 16, 3, NULL, 0);
  assert_ok(lc_array_cast(dec, &in, dec2, "m", &out, &err), &err);
  __int128 g;
  memcpy(&g, (const uint8_t *)out.buffers[1] + 16, 16);
  assert_true(g == -500);
  lc_array_release(&out);
  expect_err(lc_array_cast(dec, &in, dec3, "m", &out, &err), &err, "value 999999.99 at row 2 does not fit decimal128(5, 2)");
  expect_err(lc_array_cast(dec, &in, dec4, "m", &out, &err), &err, "value 123.45 at row 0 does not fit");
  lc_array_release(&in);
  __int128 mv2[] = {12340, -50};
  mk_fixed(&in, mv2, 16, 2, NULL, 0);
  assert_ok(lc_array_cast(dec, &in, dec4, "m", &out, &err), &err);
  uint8_t raw[32];
  memcpy(raw, (const uint8_t *)out.buffers[1] + 32, 32);
  assert_int_equal(raw[31], 0xff); /* sign-extended -5.0 */
  assert_ok(lc_array_cast(dec4, &out, dec, "m", &back, &err), &err);
  assert_memory_equal(back.buffers[1], mv2, sizeof mv2);
  lc_array_release(&back);
  lc_array_release(&out);
  lc_array_release(&in);
  lc_ipc_field_free(ms), lc_ipc_field_free(us), lc_ipc_field_free(s), lc_ipc_field_free(d32);
  lc_ipc_field_free(d64), lc_ipc_field_free(dec), lc_ipc_field_free(dec2), lc_ipc_field_free(dec3);
  lc_ipc_field_free(dec4);
}

static void test_dictionary_and_null(void **state) {
  lancec_error err;
  lc_field *d = fld_dict("c", LC_T_INT8, fld(LC_T_STRING, "value"));
  lc_field *ls = fld(LC_T_LARGE_STRING, "c");
  struct ArrowArray in, out, back;
  int8_t idx[] = {1, 0, 0, 1, 1};
  mk_fixed(&in, idx, 1, 5, "00100", 0);
  struct ArrowArray dict;
  const char *dv[] = {"apple", "pear"};
  mk_strings(&dict, dv, 2, false);
  lc_array_set_dictionary(&in, &dict);
  assert_ok(lc_array_cast(d, &in, ls, "c", &out, &err), &err);
  assert_ok(lc_array_validate(ls, &out, &err), &err);
  assert_int_equal(out.null_count, 1);
  char *r0 = repr_row(ls, &out, 0);
  assert_string_equal(r0, "[70,65,61,72]");
  lc_free(r0);
  /* and back into a dictionary */
  assert_ok(lc_array_cast(ls, &out, d, "c", &back, &err), &err);
  assert_ok(lc_array_validate(d, &back, &err), &err);
  for (int i = 0; i < 5; i++) {
    char *g = repr_row(d, &back, i), *w = repr_row(d, &in, i);
    assert_string_equal(g, w);
    lc_free(g), lc_free(w);
  }
  lc_array_release(&back);
  lc_array_release(&out);
  lc_array_release(&in);

  /* null type -> nullable int / non-nullable int */
  lc_field *nt = fld(LC_T_NULL, "n"), *it = fld(LC_T_INT32, "n");
  lc_array_init(&in, 0, 0);
  in.length = 4, in.null_count = 4;
  assert_ok(lc_array_cast(nt, &in, it, "n", &out, &err), &err);
  assert_int_equal(out.null_count, 4);
  assert_ok(lc_array_validate(it, &out, &err), &err);
  lc_array_release(&out);
  it->nullable = false;
  assert_false(lc_cast_supported(nt, it));
  expect_err(lc_array_cast(nt, &in, it, "n", &out, &err), &err, "cannot convert null to int32");
  lc_array_release(&in);
  lc_ipc_field_free(d), lc_ipc_field_free(ls), lc_ipc_field_free(nt), lc_ipc_field_free(it);
}

static void all_nullable(lc_field *f) {
  f->nullable = true;
  for (size_t i = 0; i < f->n_children; i++) all_nullable(f->children[i]);
  if (f->dict_value) all_nullable(f->dict_value);
}

static void test_identity_all_types(void **state) {
  lc_field *zoo = zoo_field();
  all_nullable(zoo); /* the generator puts nulls everywhere */
  lancec_error err;
  g_rng = 7;
  for (int round = 0; round < 10; round++) {
    struct ArrowArray in, out;
    int64_t n = 1 + rndn(100);
    gen_array(zoo, n, round % 3 ? 20 : 0, &in);
    assert_true(lc_cast_supported(zoo, zoo));
    assert_ok(lc_array_cast(zoo, &in, zoo, NULL, &out, &err), &err);
    assert_ok(lc_array_validate(zoo, &out, &err), &err);
    assert_int_equal(out.length, n);
    for (int64_t i = 0; i < n; i++) {
      char *g = repr_row(zoo, &out, i), *w = repr_row(zoo, &in, i);
      if (strcmp(g, w)) fail_msg("row %lld: %s vs %s", (long long)i, g, w);
      lc_free(g), lc_free(w);
    }
    lc_array_release(&out);
    lc_array_release(&in);
  }
  lc_ipc_field_free(zoo);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int_widen_narrow), cmocka_unit_test(test_int_float),
      cmocka_unit_test(test_strings),          cmocka_unit_test(test_lists_and_messages),
      cmocka_unit_test(test_nullability),      cmocka_unit_test(test_struct_by_name),
      cmocka_unit_test(test_temporal_decimal), cmocka_unit_test(test_dictionary_and_null),
      cmocka_unit_test(test_identity_all_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
