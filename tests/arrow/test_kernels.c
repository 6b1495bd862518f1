/* take / filter / slice / concat / make_nulls / validate on every type
 * (random arrays with nulls and non-zero offsets at every level), checked
 * row by row against the input through a canonical row printer. */
#include "testutil.h"

#include "arrow_gen.h"

static void assert_rows_equal(const lc_field *f, const struct ArrowArray *got, int64_t grow,
                              const struct ArrowArray *want, int64_t wrow) {
  char *g = repr_row(f, got, grow), *w = repr_row(f, want, wrow);
  if (strcmp(g, w) != 0) fail_msg("field %s row %lld: got %s want %s", f->name, (long long)grow, g, w);
  lc_free(g);
  lc_free(w);
}

/* Output contract: offset 0, validity NULL or exact null_count, validates. */
static void check_output(const lc_field *f, const struct ArrowArray *a) {
  lancec_error err;
  assert_int_equal(a->offset, 0);
  assert_ok(lc_array_validate(f, a, &err), &err);
  if (f->type != LC_T_NULL && a->buffers[0])
    assert_true(a->null_count > 0);
  for (int64_t i = 0; i < a->n_children; i++) {
    const lc_field *cf = f->type == LC_T_STRUCT ? f->children[i] : f->children[0];
    check_output(cf, a->children[i]);
  }
  if (a->dictionary) check_output(f->dict_value, a->dictionary);
}

static void test_take_all_types(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  for (int round = 0; round < 20; round++) {
    struct ArrowArray in;
    int64_t n = 1 + rndn(120);
    gen_array(zoo, n, round % 3 == 0 ? 0 : 25, &in);
    assert_ok(lc_array_validate(zoo, &in, &err), &err);
    int64_t m = rndn(200);
    int64_t *idx = lc_malloc((size_t)(m + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < m; i++) idx[i] = rndn(n);
    if (round == 1) /* sorted, contiguous */
      for (int64_t i = 0; i < m; i++) idx[i] = i % n;
    struct ArrowArray out;
    assert_ok(lc_array_take(zoo, &in, idx, m, &out, &err), &err);
    assert_int_equal(out.length, m);
    check_output(zoo, &out);
    for (int64_t i = 0; i < m; i++) assert_rows_equal(zoo, &out, i, &in, idx[i]);
    /* per column too (top-level arrays with their own offsets) */
    for (size_t c = 0; c < zoo->n_children; c++) {
      struct ArrowArray oc;
      assert_ok(lc_array_take(zoo->children[c], in.children[c], idx, m, &oc, &err), &err);
      check_output(zoo->children[c], &oc);
      lc_array_release(&oc);
    }
    lc_array_release(&out);
    lc_free(idx);
    lc_array_release(&in);
  }
  int64_t bad = 5;
  struct ArrowArray in, out;
  gen_array(zoo, 3, 10, &in);
  assert_int_equal(lc_array_take(zoo, &in, &bad, 1, &out, &err), LANCEC_EINVAL);
  lc_array_release(&in);
  lc_ipc_field_free(zoo);
}

static void run_filter(const lc_field *f, const struct ArrowArray *in, int density) {
  lancec_error err;
  int64_t n = in->length;
  uint8_t *keep = lc_calloc(lc_bitmap_bytes(n) + 8, 1);
  int64_t *kept = lc_malloc((size_t)(n + 1) * sizeof(int64_t));
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    bool k = density == 100 ? true : density == -1 ? (i / 70) % 2 == 0 : rndn(100) < density;
    if (k) {
      lc_bit_set(keep, i);
      kept[m++] = i;
    }
  }
  struct ArrowArray out;
  assert_ok(lc_array_filter(f, in, keep, &out, &err), &err);
  assert_int_equal(out.length, m);
  check_output(f, &out);
  for (int64_t i = 0; i < m; i++) assert_rows_equal(f, &out, i, in, kept[i]);
  lc_array_release(&out);
  lc_free(keep);
  lc_free(kept);
}

static void test_filter_all_types(void **state) {
  lc_field *zoo = zoo_field();
  const int dens[] = {0, 5, 50, 95, 100, -1};
  for (int round = 0; round < 12; round++) {
    struct ArrowArray in;
    int64_t n = round < 6 ? 1 + rndn(100) : 200 + rndn(400);
    gen_array(zoo, n, round % 4 == 0 ? 0 : 20, &in);
    for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++) {
      run_filter(zoo, &in, dens[d]);
      for (size_t c = 0; c < zoo->n_children; c++) run_filter(zoo->children[c], in.children[c], dens[d]);
    }
    lc_array_release(&in);
  }
  lc_ipc_field_free(zoo);
}

static void test_filter_fixed_large(void **state) {
  /* long arrays exercise the all-ones word fast path and odd tails */
  lc_field *f = fld(LC_T_INT64, "x");
  lc_field *bf = fld(LC_T_BOOL, "b");
  lc_field *df = fld_dec(LC_T_DECIMAL256, "d", 76, 0);
  for (int r = 0; r < 4; r++) {
    struct ArrowArray a, b, d;
    int64_t n = 1000 + rndn(300);
    gen_array(f, n, r * 10, &a);
    gen_array(bf, n, r * 10, &b);
    gen_array(df, n, r * 10, &d);
    for (int dd = -1; dd <= 100; dd += 50) {
      run_filter(f, &a, dd);
      run_filter(bf, &b, dd);
      run_filter(df, &d, dd);
    }
    run_filter(f, &a, 100);
    lc_array_release(&a);
    lc_array_release(&b);
    lc_array_release(&d);
  }
  lc_ipc_field_free(f);
  lc_ipc_field_free(bf);
  lc_ipc_field_free(df);
}

static void test_slice(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  for (int round = 0; round < 10; round++) {
    struct ArrowArray in;
    int64_t n = 1 + rndn(80);
    gen_array(zoo, n, 25, &in);
    int64_t st = rndn(n + 1), len = rndn(n - st + 1);
    struct ArrowArray out;
    assert_ok(lc_array_slice(zoo, &in, st, len, &out, &err), &err);
    assert_int_equal(out.length, len);
    check_output(zoo, &out);
    for (int64_t i = 0; i < len; i++) assert_rows_equal(zoo, &out, i, &in, st + i);
    /* slice of the slice */
    if (len > 1) {
      struct ArrowArray o2;
      assert_ok(lc_array_slice(zoo, &out, 1, len - 1, &o2, &err), &err);
      for (int64_t i = 0; i < len - 1; i++) assert_rows_equal(zoo, &o2, i, &in, st + 1 + i);
      lc_array_release(&o2);
    }
    lc_array_release(&out);
    assert_int_equal(lc_array_slice(zoo, &in, n, 1, &out, &err), LANCEC_EINVAL);
    lc_array_release(&in);
  }
  lc_ipc_field_free(zoo);
}

static void test_concat(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  for (int round = 0; round < 8; round++) {
    struct ArrowArray parts[4];
    const struct ArrowArray *pp[4];
    int np = 1 + (int)rndn(4);
    int64_t total = 0;
    for (int i = 0; i < np; i++) {
      gen_array(zoo, rndn(40), 20, &parts[i]);
      pp[i] = &parts[i];
      total += parts[i].length;
    }
    struct ArrowArray out;
    assert_ok(lc_array_concat(zoo, pp, (size_t)np, &out, &err), &err);
    assert_int_equal(out.length, total);
    check_output(zoo, &out);
    int64_t r = 0;
    for (int i = 0; i < np; i++)
      for (int64_t k = 0; k < parts[i].length; k++) assert_rows_equal(zoo, &out, r++, &parts[i], k);
    lc_array_release(&out);
    for (int i = 0; i < np; i++) lc_array_release(&parts[i]);
  }
  struct ArrowArray out;
  assert_ok(lc_array_concat(zoo, NULL, 0, &out, &err), &err);
  assert_int_equal(out.length, 0);
  check_output(zoo, &out);
  lc_array_release(&out);
  lc_ipc_field_free(zoo);
}

static void test_dict_concat_overflow(void **state) {
  /* int8 keys: two dictionaries of 100 entries cannot be appended */
  lc_field *f = fld_dict("d", LC_T_INT8, fld(LC_T_INT32, "value"));
  lancec_error err;
  struct ArrowArray a[2];
  for (int k = 0; k < 2; k++) {
    lc_array_init(&a[k], 2, 0);
    int8_t *ix = lc_malloc_aligned(4);
    memset(ix, 0, 4);
    ix[0] = 99;
    lc_array_set_buffer(&a[k], 1, ix);
    a[k].length = 4;
    struct ArrowArray d;
    lc_array_init(&d, 2, 0);
    lc_array_set_buffer(&d, 1, lc_calloc(100, 4));
    d.length = 100;
    lc_array_set_dictionary(&a[k], &d);
  }
  const struct ArrowArray *pp[2] = {&a[0], &a[1]};
  struct ArrowArray out;
  assert_int_equal(lc_array_concat(f, pp, 2, &out, &err), LANCEC_EUNSUPPORTED);
  lc_array_release(&a[0]);
  lc_array_release(&a[1]);
  lc_ipc_field_free(f);
}

static void test_make_nulls(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  for (int64_t n = 0; n < 10; n += 3) {
    struct ArrowArray out;
    assert_ok(lc_array_make_nulls(zoo, n, &out, &err), &err);
    assert_int_equal(out.length, n);
    assert_int_equal(out.null_count, n);
    assert_ok(lc_array_validate(zoo, &out, &err), &err);
    for (int64_t i = 0; i < n; i++) {
      char *s = repr_row(zoo, &out, i);
      assert_string_equal(s, "null");
      lc_free(s);
    }
    for (size_t c = 0; c < zoo->n_children; c++) {
      assert_int_equal(out.children[c]->length, n);
      for (int64_t i = 0; i < n; i++) {
        char *s = repr_row(zoo->children[c], out.children[c], i);
        assert_string_equal(s, "null");
        lc_free(s);
      }
    }
    /* a take of nulls stays null */
    int64_t idx[2] = {0, 0};
    if (n) {
      struct ArrowArray t;
      assert_ok(lc_array_take(zoo, &out, idx, 2, &t, &err), &err);
      assert_int_equal(t.null_count, 2);
      lc_array_release(&t);
    }
    lc_array_release(&out);
  }
  lc_ipc_field_free(zoo);
}

static void test_validate_rejects(void **state) {
  lancec_error err;
  lc_field *f = fld(LC_T_STRING, "s");
  struct ArrowArray a;
  lc_array_init(&a, 3, 0);
  int32_t *o = lc_malloc_aligned(16);
  o[0] = 0, o[1] = 5, o[2] = 3;
  lc_array_set_buffer(&a, 1, o);
  lc_array_set_buffer(&a, 2, lc_calloc(8, 1));
  a.length = 2;
  assert_int_equal(lc_array_validate(f, &a, &err), LANCEC_ECORRUPT); /* not monotonic */
  o[2] = 6;
  assert_ok(lc_array_validate(f, &a, &err), &err);
  a.null_count = 1; /* no validity buffer */
  assert_int_equal(lc_array_validate(f, &a, &err), LANCEC_ECORRUPT);
  lc_array_release(&a);

  lc_field *l = fld_list(LC_T_LIST, "l", fld(LC_T_INT32, "item"));
  lc_array_init(&a, 2, 1);
  o = lc_malloc_aligned(8);
  o[0] = 0, o[1] = 4;
  lc_array_set_buffer(&a, 1, o);
  a.length = 1;
  lc_array_init(a.children[0], 2, 0);
  lc_array_set_buffer(a.children[0], 1, lc_calloc(3, 4));
  a.children[0]->length = 3;
  assert_int_equal(lc_array_validate(l, &a, &err), LANCEC_ECORRUPT); /* beyond child */
  a.children[0]->length = 4;
  lc_array_set_buffer(a.children[0], 1, lc_calloc(4, 4));
  assert_ok(lc_array_validate(l, &a, &err), &err);
  lc_array_release(&a);

  lc_field *d = fld_dict("d", LC_T_INT32, fld(LC_T_INT32, "value"));
  lc_array_init(&a, 2, 0);
  int32_t *ix = lc_malloc_aligned(8);
  ix[0] = 0, ix[1] = 2;
  lc_array_set_buffer(&a, 1, ix);
  a.length = 2;
  struct ArrowArray dv;
  lc_array_init(&dv, 2, 0);
  lc_array_set_buffer(&dv, 1, lc_calloc(2, 4));
  dv.length = 2;
  lc_array_set_dictionary(&a, &dv);
  assert_int_equal(lc_array_validate(d, &a, &err), LANCEC_ECORRUPT); /* index 2 of 2 */
  ix[1] = 1;
  assert_ok(lc_array_validate(d, &a, &err), &err);
  lc_array_release(&a);
  lc_ipc_field_free(f);
  lc_ipc_field_free(l);
  lc_ipc_field_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_take_all_types),    cmocka_unit_test(test_filter_all_types),
      cmocka_unit_test(test_filter_fixed_large), cmocka_unit_test(test_slice),
      cmocka_unit_test(test_concat),            cmocka_unit_test(test_dict_concat_overflow),
      cmocka_unit_test(test_make_nulls),        cmocka_unit_test(test_validate_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
