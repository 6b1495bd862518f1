/* CLI output formats: exact JSONL text for tricky values (shared/corpus
 * README "JSON conventions"), CSV quoting, the table, and the arrow format
 * read back with the IPC reader. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>

#include "../arrow/arrow_gen.h"
#include "cli/output.h"

/* ---- array builders ----------------------------------------------------------- */

/* validity: NULL = all valid, else a string of '1'/'0' per row */
static void set_validity(struct ArrowArray *a, const char *valid) {
  if (!valid) return;
  int64_t n = (int64_t)strlen(valid), nulls = 0;
  uint8_t *v = lc_calloc(lc_bitmap_bytes(n) + 1, 1);
  for (int64_t i = 0; i < n; i++) {
    if (valid[i] == '1') lc_bit_set(v, i);
    else nulls++;
  }
  lc_array_set_buffer(a, 0, v);
  a->null_count = nulls;
}

static void mk_fixed(struct ArrowArray *a, size_t w, int64_t n, const void *data, const char *valid) {
  lc_array_init(a, 2, 0);
  void *d = lc_malloc(w * (size_t)n + 1);
  memcpy(d, data, w * (size_t)n);
  lc_array_set_buffer(a, 1, d);
  a->length = n;
  set_validity(a, valid);
}

static void mk_str(struct ArrowArray *a, int64_t n, const char *const *vals, const size_t *lens, const char *valid) {
  lc_array_init(a, 3, 0);
  int32_t *o = lc_malloc((size_t)(n + 1) * 4);
  size_t total = 0;
  for (int64_t i = 0; i < n; i++) total += lens ? lens[i] : strlen(vals[i]);
  uint8_t *d = lc_malloc(total + 1);
  o[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    size_t l = lens ? lens[i] : strlen(vals[i]);
    memcpy(d + o[i], vals[i], l);
    o[i + 1] = o[i] + (int32_t)l;
  }
  lc_array_set_buffer(a, 1, o);
  lc_array_set_buffer(a, 2, d);
  a->length = n;
  set_validity(a, valid);
}

/* One column table → output text in `format`. Moves `col`. */
static char *render(const char *format, lc_field *colf, struct ArrowArray *col) {
  lancec_error err;
  lc_field *root = fld(LC_T_STRUCT, "");
  root->nullable = false;
  fld_add(root, colf);
  struct ArrowSchema s;
  assert_ok(lc_ipc_field_to_arrow(root, &s, &err), &err);
  struct ArrowArray batch;
  int64_t n = col->length;
  assert_ok(lc_array_make_batch(col, 1, n, &batch, &err), &err);
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  lc_output *o;
  assert_ok(lc_output_new(&o, format, fp, &s, &err), &err);
  assert_ok(lc_output_write_batch(o, &batch, &err), &err);
  assert_ok(lc_output_finish(o, &err), &err);
  lc_output_free(o);
  fclose(fp);
  s.release(&s);
  batch.release(&batch);
  lc_ipc_field_free(root);
  return text;
}

static void expect_jsonl(lc_field *f, struct ArrowArray *col, const char *want) {
  char *got = render("jsonl", f, col);
  assert_string_equal(got, want);
  free(got);
}

/* ---- JSONL --------------------------------------------------------------------- */

static void test_doubles(void **state) {
  double v[] = {-0.0, 0.0, NAN, INFINITY, -INFINITY, 0.1, 1e300, 5e-324, 1.5, 0};
  struct ArrowArray a;
  mk_fixed(&a, 8, 10, v, "1111111110");
  expect_jsonl(fld(LC_T_DOUBLE, "x"), &a,
               "{\"x\":-0.0}\n{\"x\":0.0}\n{\"x\":\"NaN\"}\n{\"x\":\"Infinity\"}\n{\"x\":\"-Infinity\"}\n"
               "{\"x\":0.1}\n{\"x\":1e+300}\n{\"x\":4.94065645841247e-324}\n{\"x\":1.5}\n{\"x\":null}\n");
}

static void test_floats(void **state) {
  float v[] = {0.1f, -0.0f, 3.4028235e38f, 1e-45f, 16777217.0f, NAN};
  struct ArrowArray a;
  mk_fixed(&a, 4, 6, v, NULL);
  char *got = render("jsonl", fld(LC_T_FLOAT, "f"), &a);
  assert_string_equal(got, "{\"f\":0.1}\n{\"f\":-0.0}\n{\"f\":3.40282347e+38}\n{\"f\":1.401298e-45}\n"
                           "{\"f\":16777216}\n{\"f\":\"NaN\"}\n");
  /* every printed value parses back to the same float */
  float back = strtof("3.40282347e+38", NULL);
  assert_true(back == v[2]);
  free(got);
}

static void test_half(void **state) {
  uint16_t v[] = {0x7bff /* 65504 */, 0x3c00 /* 1 */, 0x8000 /* -0 */, 0x0001 /* 2^-24 */, 0x7c00, 0xfc00, 0x7e00,
                  0x3555 /* 0.333251953 */};
  struct ArrowArray a;
  mk_fixed(&a, 2, 8, v, NULL);
  expect_jsonl(fld(LC_T_HALF, "h"), &a,
               "{\"h\":65504}\n{\"h\":1}\n{\"h\":-0.0}\n{\"h\":5.96046448e-08}\n{\"h\":\"Infinity\"}\n"
               "{\"h\":\"-Infinity\"}\n{\"h\":\"NaN\"}\n{\"h\":0.333251953}\n");
}

static void test_integers(void **state) {
  int64_t i64[] = {INT64_MIN, INT64_MAX, 0, -1};
  uint64_t u64[] = {UINT64_MAX, 0, 1, 42};
  struct ArrowArray a, b, c, d;
  mk_fixed(&a, 8, 4, i64, NULL);
  expect_jsonl(fld(LC_T_INT64, "i"), &a,
               "{\"i\":\"-9223372036854775808\"}\n{\"i\":\"9223372036854775807\"}\n{\"i\":\"0\"}\n{\"i\":\"-1\"}\n");
  mk_fixed(&b, 8, 4, u64, NULL);
  expect_jsonl(fld(LC_T_UINT64, "u"), &b,
               "{\"u\":\"18446744073709551615\"}\n{\"u\":\"0\"}\n{\"u\":\"1\"}\n{\"u\":\"42\"}\n");
  int8_t i8[] = {-128, 127};
  mk_fixed(&c, 1, 2, i8, NULL);
  expect_jsonl(fld(LC_T_INT8, "b"), &c, "{\"b\":-128}\n{\"b\":127}\n");
  uint32_t u32[] = {4294967295u};
  mk_fixed(&d, 4, 1, u32, NULL);
  expect_jsonl(fld(LC_T_UINT32, "w"), &d, "{\"w\":4294967295}\n");
}

static void test_temporal(void **state) {
  int32_t d32[] = {-1, 19000};
  int64_t d64[] = {1700000000000, -5};
  struct ArrowArray a, b, c, d, e;
  mk_fixed(&a, 4, 2, d32, NULL);
  expect_jsonl(fld(LC_T_DATE32, "d"), &a, "{\"d\":-1}\n{\"d\":19000}\n");
  mk_fixed(&b, 8, 2, d64, NULL);
  expect_jsonl(fld(LC_T_DATE64, "d"), &b, "{\"d\":\"1700000000000\"}\n{\"d\":\"-5\"}\n");
  mk_fixed(&c, 4, 2, d32, NULL);
  expect_jsonl(fld_unit(LC_T_TIME32, "t", LC_UNIT_S), &c, "{\"t\":-1}\n{\"t\":19000}\n");
  mk_fixed(&d, 8, 2, d64, NULL);
  lc_field *ts = fld_unit(LC_T_TIMESTAMP, "ts", LC_UNIT_NS);
  ts->tz = lc_strdup("America/New_York");
  expect_jsonl(ts, &d, "{\"ts\":\"1700000000000\"}\n{\"ts\":\"-5\"}\n");
  mk_fixed(&e, 8, 2, d64, "01");
  expect_jsonl(fld_unit(LC_T_DURATION, "du", LC_UNIT_US), &e, "{\"du\":null}\n{\"du\":\"-5\"}\n");
}

static void test_decimals(void **state) {
  /* decimal128: little-endian two's complement */
  int64_t d128[][2] = {{-5, -1}, {12345, 0}, {0, 0}, {123, 0}, {-1, INT64_MAX}, {0, INT64_MIN}};
  struct ArrowArray a, b, c, d;
  mk_fixed(&a, 16, 1, d128[0], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL128, "x", 38, 10), &a, "{\"x\":\"-0.0000000005\"}\n");
  mk_fixed(&b, 16, 3, d128[1], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL128, "x", 10, 2), &b, "{\"x\":\"123.45\"}\n{\"x\":\"0.00\"}\n{\"x\":\"1.23\"}\n");
  mk_fixed(&c, 16, 3, d128[2], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL128, "x", 18, -3), &c, "{\"x\":\"0\"}\n{\"x\":\"123000\"}\n"
                                                          "{\"x\":\"170141183460469231731687303715884105727000\"}\n");
  mk_fixed(&d, 16, 1, d128[5], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL128, "x", 38, 0), &d, "{\"x\":\"-170141183460469231731687303715884105728\"}\n");

  /* decimal256: 2^255-1, -2^255, 10^40 at scale 5, -1 at scale 3 */
  uint64_t d256[4][4] = {{UINT64_MAX, UINT64_MAX, UINT64_MAX, INT64_MAX},
                         {0, 0, 0, (uint64_t)INT64_MIN},
                         {0, 0, 0, 0},
                         {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX}};
  /* 10^40 = 0x1d_6329f1c35ca4bfab_b9f5610000000000 */
  d256[2][0] = 0xb9f5610000000000ull;
  d256[2][1] = 0x6329f1c35ca4bfabull;
  d256[2][2] = 0x1dull;
  struct ArrowArray e, g;
  mk_fixed(&e, 32, 2, d256[0], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL256, "y", 76, 0), &e,
               "{\"y\":\"57896044618658097711785492504343953926634992332820282019728792003956564819967\"}\n"
               "{\"y\":\"-57896044618658097711785492504343953926634992332820282019728792003956564819968\"}\n");
  mk_fixed(&g, 32, 2, d256[2], NULL);
  expect_jsonl(fld_dec(LC_T_DECIMAL256, "y", 76, 5), &g,
               "{\"y\":\"100000000000000000000000000000000000.00000\"}\n{\"y\":\"-0.00001\"}\n");
}

static void test_binary_base64(void **state) {
  const char *v[] = {"", "\x01\x02\x03", "\xff", "\xff\xfe", "Man"};
  size_t l[] = {0, 3, 1, 2, 3};
  struct ArrowArray a, b;
  mk_str(&a, 5, v, l, "11111");
  expect_jsonl(fld(LC_T_BINARY, "b"), &a,
               "{\"b\":\"\"}\n{\"b\":\"AQID\"}\n{\"b\":\"/w==\"}\n{\"b\":\"//4=\"}\n{\"b\":\"TWFu\"}\n");
  mk_fixed(&b, 3, 2, "\x01\x02\x03\xfb\xff\x00", "10");
  expect_jsonl(fld_w(LC_T_FIXED_BINARY, "f", 3), &b, "{\"f\":\"AQID\"}\n{\"f\":null}\n");
}

static void test_string_escapes(void **state) {
  const char *v[] = {"a\"b\\c\n\t\r\b\f", "\x01\x00z\x1f\x7f", "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac",
                     "bad\xff\xc3(\xed\xa0\x80", "/"};
  size_t l[] = {10, 5, 4, 9, 9, 1};
  struct ArrowArray a;
  mk_str(&a, 6, v, l, NULL);
  expect_jsonl(fld(LC_T_STRING, "s"), &a,
               "{\"s\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f\"}\n"
               "{\"s\":\"\\u0001\\u0000z\\u001f\x7f\"}\n"
               "{\"s\":\"\xf4\x8f\xbf\xbf\"}\n"
               "{\"s\":\"caf\xc3\xa9 \xe2\x82\xac\"}\n"
               "{\"s\":\"bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}\n"
               "{\"s\":\"/\"}\n");
  /* column names are escaped too */
  struct ArrowArray b;
  const char *one[] = {"x"};
  mk_str(&b, 1, one, NULL, NULL);
  expect_jsonl(fld(LC_T_STRING, "we\"ird\n"), &b, "{\"we\\\"ird\\n\":\"x\"}\n");
}

static void test_string_bom(void **state) {
  /* byte order marks are printed as stored, leading or not; binary keeps
   * every byte */
  const char *v[] = {"\xef\xbb\xbf" "BOM", "x \xef\xbb\xbf" "BOM"};
  struct ArrowArray a, b;
  mk_str(&a, 2, v, NULL, NULL);
  expect_jsonl(fld(LC_T_STRING, "s"), &a, "{\"s\":\"\xef\xbb\xbf" "BOM\"}\n{\"s\":\"x \xef\xbb\xbf" "BOM\"}\n");
  mk_str(&b, 1, v, NULL, NULL);
  expect_jsonl(fld(LC_T_BINARY, "b"), &b, "{\"b\":\"77u/Qk9N\"}\n");
}

static void test_nested(void **state) {
  /* list<struct<name: string, v: int32>>: [{"a",1},null], null, [], [{"b",null}] */
  lc_field *ls = fld(LC_T_STRUCT, "item");
  fld_add(ls, fld(LC_T_STRING, "name"));
  fld_add(ls, fld(LC_T_INT32, "v"));
  lc_field *lf = fld_list(LC_T_LIST, "l", ls);
  struct ArrowArray l;
  lc_array_init(&l, 2, 1);
  int32_t off[] = {0, 2, 2, 2, 3};
  int32_t *o = lc_malloc(sizeof off);
  memcpy(o, off, sizeof off);
  lc_array_set_buffer(&l, 1, o);
  l.length = 4;
  set_validity(&l, "1011");
  struct ArrowArray *st = l.children[0];
  lc_array_init(st, 1, 2);
  st->length = 3;
  set_validity(st, "101");
  const char *names[] = {"a", "", "b"};
  mk_str(st->children[0], 3, names, NULL, NULL);
  int32_t vs[] = {1, 0, 0};
  mk_fixed(st->children[1], 4, 3, vs, "110");
  expect_jsonl(lf, &l,
               "{\"l\":[{\"name\":\"a\",\"v\":1},null]}\n{\"l\":null}\n{\"l\":[]}\n"
               "{\"l\":[{\"name\":\"b\",\"v\":null}]}\n");

  /* map<string, int64>: [{k1:1},{k1:null}], [] */
  lc_field *mf = fld_map("m", fld(LC_T_STRING, "key"), fld(LC_T_INT64, "value"));
  struct ArrowArray m;
  lc_array_init(&m, 2, 1);
  int32_t moff[] = {0, 2, 2};
  o = lc_malloc(sizeof moff);
  memcpy(o, moff, sizeof moff);
  lc_array_set_buffer(&m, 1, o);
  m.length = 2;
  struct ArrowArray *ent = m.children[0];
  lc_array_init(ent, 1, 2);
  ent->length = 2;
  const char *keys[] = {"k1", "k1"};
  mk_str(ent->children[0], 2, keys, NULL, NULL);
  int64_t mv[] = {1, 0};
  mk_fixed(ent->children[1], 8, 2, mv, "10");
  expect_jsonl(mf, &m, "{\"m\":[{\"key\":\"k1\",\"value\":\"1\"},{\"key\":\"k1\",\"value\":null}]}\n{\"m\":[]}\n");

  /* fixed_size_list<float, 2> with a null list and a null item; struct with null */
  lc_field *ff = fld_fsl("v", 2, fld(LC_T_FLOAT, "item"));
  struct ArrowArray fa;
  lc_array_init(&fa, 1, 1);
  fa.length = 2;
  set_validity(&fa, "10");
  float fv[] = {1.5f, 0, 0, 0};
  mk_fixed(fa.children[0], 4, 4, fv, "1011");
  expect_jsonl(ff, &fa, "{\"v\":[1.5,null]}\n{\"v\":null}\n");
}

static void test_dictionary(void **state) {
  lc_field *df = fld_dict("d", LC_T_INT8, fld(LC_T_STRING, "value"));
  struct ArrowArray a;
  int8_t ix[] = {1, 0, 1, 2};
  mk_fixed(&a, 1, 4, ix, "1101");
  struct ArrowArray dict;
  const char *dv[] = {"zero", "one", ""};
  mk_str(&dict, 3, dv, NULL, "110");
  lc_array_set_dictionary(&a, &dict);
  expect_jsonl(df, &a, "{\"d\":\"one\"}\n{\"d\":\"zero\"}\n{\"d\":null}\n{\"d\":null}\n");
}

static void test_null_type_and_offsets(void **state) {
  struct ArrowArray a;
  lc_array_init(&a, 0, 0);
  a.length = 2, a.null_count = 2;
  expect_jsonl(fld(LC_T_NULL, "n"), &a, "{\"n\":null}\n{\"n\":null}\n");
  /* an array with an offset prints its logical rows */
  int32_t v[] = {7, 8, 9};
  struct ArrowArray b;
  mk_fixed(&b, 4, 3, v, "101");
  b.offset = 1, b.length = 2, b.null_count = 1;
  expect_jsonl(fld(LC_T_INT32, "i"), &b, "{\"i\":null}\n{\"i\":9}\n");
}

/* ---- other formats ------------------------------------------------------------------ */

static void test_csv(void **state) {
  const char *v[] = {"plain", "a,b", "q\"q", "", "x", "line\nbreak"};
  struct ArrowArray a;
  mk_str(&a, 6, v, NULL, "111101");
  char *got = render("csv", fld(LC_T_STRING, "col,1"), &a);
  assert_string_equal(got, "\"col,1\"\nplain\n\"a,b\"\n\"q\"\"q\"\n\"\"\n\n\"line\nbreak\"\n");
  free(got);
  lc_field *lf = fld_list(LC_T_LIST, "l", fld(LC_T_INT64, "item"));
  struct ArrowArray l;
  lc_array_init(&l, 2, 1);
  int32_t off[] = {0, 2, 2};
  int32_t *o = lc_malloc(sizeof off);
  memcpy(o, off, sizeof off);
  lc_array_set_buffer(&l, 1, o);
  l.length = 2;
  int64_t items[] = {1, -2};
  mk_fixed(l.children[0], 8, 2, items, NULL);
  got = render("csv", lf, &l);
  assert_string_equal(got, "l\n\"[\"\"1\"\",\"\"-2\"\"]\"\n[]\n");
  free(got);
  int64_t big[] = {INT64_MIN};
  struct ArrowArray b;
  mk_fixed(&b, 8, 1, big, NULL);
  got = render("csv", fld(LC_T_INT64, "i"), &b);
  assert_string_equal(got, "i\n-9223372036854775808\n");
  free(got);
}

static void test_table(void **state) {
  const char *v[] = {"short", "a very long value that goes on and on beyond thirty-two characters"};
  struct ArrowArray a;
  mk_str(&a, 2, v, NULL, NULL);
  char *got = render("table", fld(LC_T_STRING, "name"), &a);
  assert_non_null(strstr(got, "name"));
  assert_non_null(strstr(got, "short"));
  assert_non_null(strstr(got, "\xe2\x80\xa6")); /* cut with an ellipsis */
  assert_null(strstr(got, "thirty-two characters"));
  assert_non_null(strstr(got, "(2 rows)"));
  free(got);
}

static void test_arrow_format_roundtrip(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  struct ArrowSchema s;
  assert_ok(lc_ipc_field_to_arrow(zoo, &s, &err), &err);
  struct ArrowArray b;
  gen_array(zoo, 25, 20, &b);
  char *text = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&text, &len);
  lc_output *o;
  assert_ok(lc_output_new(&o, "arrow", fp, &s, &err), &err);
  assert_ok(lc_output_write_batch(o, &b, &err), &err);
  assert_ok(lc_output_finish(o, &err), &err);
  lc_output_free(o);
  fclose(fp);
  lc_ipc_reader *r;
  assert_ok(lc_ipc_reader_new_mem(&r, (const uint8_t *)text, len, &err), &err);
  struct ArrowArray got;
  assert_ok(lc_ipc_reader_next(r, &got, &err), &err);
  assert_int_equal(got.length, 25);
  for (int64_t i = 0; i < 25; i++) {
    char *g = repr_row(lc_ipc_reader_field(r), &got, i), *w = repr_row(zoo, &b, i);
    /* the batch's own struct validity is not written (columns only) */
    if (strcmp(w, "null") != 0) assert_string_equal(g, w);
    lc_free(g);
    lc_free(w);
  }
  lc_array_release(&got);
  lc_ipc_reader_free(r);
  free(text);
  lc_array_release(&b);
  s.release(&s);
  lc_ipc_field_free(zoo);
}

static void test_bad_format(void **state) {
  lancec_error err;
  struct ArrowSchema s;
  lc_field *root = fld(LC_T_STRUCT, "");
  assert_ok(lc_ipc_field_to_arrow(root, &s, &err), &err);
  lc_output *o;
  assert_int_equal(lc_output_new(&o, "xml", stdout, &s, &err), LANCEC_EINVAL);
  s.release(&s);
  lc_ipc_field_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_doubles),         cmocka_unit_test(test_floats),
      cmocka_unit_test(test_half),            cmocka_unit_test(test_integers),
      cmocka_unit_test(test_temporal),        cmocka_unit_test(test_decimals),
      cmocka_unit_test(test_binary_base64),   cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_string_bom), cmocka_unit_test(test_nested),          cmocka_unit_test(test_dictionary),
      cmocka_unit_test(test_null_type_and_offsets), cmocka_unit_test(test_csv),
      cmocka_unit_test(test_table),           cmocka_unit_test(test_arrow_format_roundtrip),
      cmocka_unit_test(test_bad_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
