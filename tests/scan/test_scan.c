/* Scan engine: filters (SQL and C-built) with limit/offset, row ids and
 * addresses, take, count, explain, fragment selection and groups, sessions.
 * Reference results come from lancec's own unfiltered scan evaluated here
 * row by row, so every filtered path is checked against the plain one; the
 * differential test against real Lance is tests/interop/test_filter_diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancec.h"
#include "testutil.h"

typedef struct rows {
  int64_t *id; /* the `id` column (int64, may be null → INT64_MIN) */
  uint64_t *rowid, *rowaddr;
  size_t n, cap;
} rows;

static void rows_free(rows *r) {
  free(r->id);
  free(r->rowid);
  free(r->rowaddr);
  memset(r, 0, sizeof(*r));
}

/* Collect id / _rowid / _rowaddr from a stream (by child name). */
static void collect(struct ArrowArrayStream *s, rows *r) {
  struct ArrowSchema sc;
  assert_int_equal(s->get_schema(s, &sc), 0);
  int iid = -1, irid = -1, iaddr = -1;
  for (int64_t i = 0; i < sc.n_children; i++) {
    if (!strcmp(sc.children[i]->name, "id")) iid = (int)i;
    if (!strcmp(sc.children[i]->name, "_rowid")) irid = (int)i;
    if (!strcmp(sc.children[i]->name, "_rowaddr")) iaddr = (int)i;
  }
  sc.release(&sc);
  for (;;) {
    struct ArrowArray b;
    int e = s->get_next(s, &b);
    if (e) fail_msg("get_next: %s", s->get_last_error(s));
    if (!b.release) break;
    if (r->n + (size_t)b.length > r->cap) {
      r->cap = (r->n + (size_t)b.length) * 2 + 16;
      r->id = realloc(r->id, r->cap * sizeof(int64_t));
      r->rowid = realloc(r->rowid, r->cap * sizeof(uint64_t));
      r->rowaddr = realloc(r->rowaddr, r->cap * sizeof(uint64_t));
    }
    for (int64_t i = 0; i < b.length; i++) {
      size_t k = r->n + (size_t)i;
      r->id[k] = INT64_MIN;
      if (iid >= 0) {
        const struct ArrowArray *c = b.children[iid];
        const uint8_t *valid = c->buffers[0];
        int64_t j = c->offset + i;
        if (!valid || (valid[j >> 3] >> (j & 7) & 1)) r->id[k] = ((const int64_t *)c->buffers[1])[j];
      }
      r->rowid[k] = irid >= 0 ? ((const uint64_t *)b.children[irid]->buffers[1])[b.children[irid]->offset + i] : 0;
      r->rowaddr[k] = iaddr >= 0 ? ((const uint64_t *)b.children[iaddr]->buffers[1])[b.children[iaddr]->offset + i] : 0;
    }
    r->n += (size_t)b.length;
    b.release(&b);
  }
  s->release(s);
}

static lancec_dataset *open_corpus(const char *name, lancec_session *session) {
  char rel[256];
  snprintf(rel, sizeof rel, "corpus/public/%s", name);
  char *p = tu_shared_path(rel);
  lancec_dataset *ds = NULL;
  lancec_error err;
  lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
  o.session = session;
  assert_ok(lancec_dataset_open(&ds, p, &o, &err), &err);
  free(p);
  return ds;
}

static void scan_rows(lancec_dataset *ds, lancec_scan_options *o, rows *r) {
  struct ArrowArrayStream s;
  lancec_error err;
  assert_ok(lancec_dataset_scan(ds, o, &s, &err), &err);
  collect(&s, r);
}

/* filter `id % 7 = 3 AND id > 100` with every option combination equals the
 * reference computed from the unfiltered scan */
static void test_filter_matches_reference(void **state) {
  (void)state;
  lancec_dataset *ds = open_corpus("deletions_arrow.lance", NULL);
  lancec_scan_options all = LANCEC_SCAN_OPTIONS_INIT;
  all.with_row_addr = 1;
  rows ref = {0};
  scan_rows(ds, &all, &ref);
  assert_int_equal(ref.n, lancec_dataset_count_rows(ds));
  size_t nexp = 0;
  int64_t *exp = calloc(ref.n + 1, sizeof(int64_t));
  uint64_t *exp_addr = calloc(ref.n + 1, sizeof(uint64_t));
  for (size_t i = 0; i < ref.n; i++)
    if (ref.id[i] != INT64_MIN && ref.id[i] % 7 == 3 && ref.id[i] > 100) {
      exp_addr[nexp] = ref.rowaddr[i];
      exp[nexp++] = ref.id[i];
    }
  assert_true(nexp > 100);
  int threads[] = {1, 2, 3};
  int64_t batches[] = {0, 7, 100};
  int64_t offsets[] = {0, 5, 250};
  int64_t limits[] = {-1, 0, 1, 33, 100000};
  for (size_t a = 0; a < 3; a++)
    for (size_t b = 0; b < 3; b++)
      for (size_t c = 0; c < 3; c++)
        for (size_t d = 0; d < 5; d++) {
          lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
          o.filter = "id % 7 = 3 AND id > 100";
          o.num_threads = threads[a];
          o.batch_size = batches[b];
          o.offset = offsets[c];
          o.limit = limits[d];
          o.with_row_addr = 1;
          rows got = {0};
          scan_rows(ds, &o, &got);
          size_t from = (size_t)offsets[c] < nexp ? (size_t)offsets[c] : nexp;
          size_t want = nexp - from;
          if (limits[d] >= 0 && (size_t)limits[d] < want) want = (size_t)limits[d];
          assert_int_equal(got.n, want);
          for (size_t i = 0; i < want; i++) {
            assert_int_equal(got.id[i], exp[from + i]);
            assert_int_equal(got.rowaddr[i], exp_addr[from + i]);
          }
          rows_free(&got);
        }
  /* count, with and without a filter */
  uint64_t n = 0;
  lancec_error err;
  assert_ok(lancec_dataset_count(ds, "id % 7 = 3 AND id > 100", &n, &err), &err);
  assert_int_equal(n, nexp);
  assert_ok(lancec_dataset_count(ds, NULL, &n, &err), &err);
  assert_int_equal(n, ref.n);
  /* the same filter built in C */
  lancec_expr *e = lancec_expr_binop(
      LANCEC_OP_AND,
      lancec_expr_binop(LANCEC_OP_EQ, lancec_expr_binop(LANCEC_OP_MOD, lancec_expr_column("id"), lancec_expr_int(7)),
                        lancec_expr_int(3)),
      lancec_expr_binop(LANCEC_OP_GT, lancec_expr_column("id"), lancec_expr_int(100)));
  assert_non_null(e);
  char *sql = lancec_expr_to_sql(e);
  assert_non_null(sql);
  lancec_free(sql);
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  o.filter_expr = e;
  rows got = {0};
  scan_rows(ds, &o, &got);
  assert_int_equal(got.n, nexp);
  for (size_t i = 0; i < nexp; i++) assert_int_equal(got.id[i], exp[i]);
  rows_free(&got);
  lancec_expr_free(e);
  /* a filter on _rowaddr selects exactly that row */
  char f[128];
  snprintf(f, sizeof f, "_rowaddr = %llu", (unsigned long long)ref.rowaddr[17]);
  o = (lancec_scan_options)LANCEC_SCAN_OPTIONS_INIT;
  o.filter = f;
  scan_rows(ds, &o, &got);
  assert_int_equal(got.n, 1);
  assert_int_equal(got.id[0], ref.id[17]);
  rows_free(&got);
  free(exp);
  free(exp_addr);
  rows_free(&ref);
  lancec_dataset_free(ds);
}

static void test_bad_filters(void **state) {
  (void)state;
  lancec_dataset *ds = open_corpus("deletions_arrow.lance", NULL);
  const char *bad[] = {"id >", "nope = 1", "id = 'x' AND", "label + 1 > 2 AND (", "id IN ()"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
    o.filter = bad[i];
    struct ArrowArrayStream s;
    lancec_error err;
    int rc = lancec_dataset_scan(ds, &o, &s, &err);
    assert_int_equal(rc, LANCEC_EINVAL);
    assert_non_null(strstr(err.message, "filter"));
    uint64_t n;
    assert_int_equal(lancec_dataset_count(ds, bad[i], &n, &err), LANCEC_EINVAL);
  }
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  lancec_expr *e = lancec_expr_column("id");
  o.filter = "id > 1";
  o.filter_expr = e;
  struct ArrowArrayStream s;
  lancec_error err;
  assert_int_equal(lancec_dataset_scan(ds, &o, &s, &err), LANCEC_EINVAL);
  lancec_expr_free(e);
  lancec_dataset_free(ds);
}

static void test_take(void **state) {
  (void)state;
  lancec_dataset *ds = open_corpus("deletions_arrow.lance", NULL);
  lancec_scan_options all = LANCEC_SCAN_OPTIONS_INIT;
  all.with_row_addr = 1;
  all.with_row_id = 1;
  rows ref = {0};
  scan_rows(ds, &all, &ref);
  uint64_t offs[] = {0, 5, 3, 5, ref.n - 1, 994, 993};
  size_t n = sizeof offs / sizeof *offs;
  lancec_scan_options po = LANCEC_SCAN_OPTIONS_INIT;
  const char *cols[] = {"id"};
  po.columns = cols;
  po.num_columns = 1;
  po.with_row_addr = 1;
  lancec_error err;
  for (int kind = 0; kind < 3; kind++) {
    uint64_t req[16];
    for (size_t i = 0; i < n; i++)
      req[i] = kind == 0 ? offs[i] : kind == 1 ? ref.rowid[offs[i]] : ref.rowaddr[offs[i]];
    struct ArrowArray b;
    struct ArrowSchema sc;
    assert_ok(lancec_dataset_take(ds, req, n, (lancec_take_kind)kind, &po, &b, &sc, &err), &err);
    assert_int_equal(b.length, (int64_t)n);
    assert_int_equal(b.n_children, 2);
    assert_string_equal(sc.children[1]->name, "_rowaddr");
    for (size_t i = 0; i < n; i++) {
      assert_int_equal(((const int64_t *)b.children[0]->buffers[1])[i], ref.id[offs[i]]);
      assert_int_equal(((const uint64_t *)b.children[1]->buffers[1])[i], ref.rowaddr[offs[i]]);
    }
    b.release(&b);
    sc.release(&sc);
  }
  /* an offset past the end is an error; a deleted or unknown address is skipped */
  uint64_t past = ref.n;
  struct ArrowArray b;
  assert_int_equal(lancec_dataset_take(ds, &past, 1, LANCEC_TAKE_OFFSETS, NULL, &b, NULL, &err), LANCEC_EINVAL);
  uint64_t addrs[] = {0 /* row 0 of fragment 0 is deleted */, ((uint64_t)77 << 32), ref.rowaddr[2]};
  assert_ok(lancec_dataset_take(ds, addrs, 3, LANCEC_TAKE_ROW_ADDRS, &po, &b, NULL, &err), &err);
  assert_int_equal(b.length, 1);
  assert_int_equal(((const int64_t *)b.children[0]->buffers[1])[0], ref.id[2]);
  b.release(&b);
  assert_ok(lancec_dataset_take(ds, NULL, 0, LANCEC_TAKE_OFFSETS, &po, &b, NULL, &err), &err);
  assert_int_equal(b.length, 0);
  b.release(&b);
  rows_free(&ref);
  lancec_dataset_free(ds);
}

/* stable row ids: _rowid differs from _rowaddr and take by id finds the row */
static void test_stable_row_ids(void **state) {
  (void)state;
  lancec_dataset *ds = open_corpus("stable_row_ids.lance", NULL);
  lancec_scan_options all = LANCEC_SCAN_OPTIONS_INIT;
  all.with_row_addr = 1;
  all.with_row_id = 1;
  rows ref = {0};
  scan_rows(ds, &all, &ref);
  size_t differ = 0;
  for (size_t i = 0; i < ref.n; i++) differ += ref.rowid[i] != ref.rowaddr[i];
  assert_true(differ > 0);
  /* in this dataset every row keeps id == its stable row id (created in order, updated in place) */
  for (size_t i = 0; i < ref.n; i++) assert_int_equal((uint64_t)ref.id[i], ref.rowid[i]);
  uint64_t ids[] = {10, 0, 149};
  struct ArrowArray b;
  lancec_error err;
  assert_ok(lancec_dataset_take(ds, ids, 3, LANCEC_TAKE_ROW_IDS, NULL, &b, NULL, &err), &err);
  assert_int_equal(b.length, 3);
  for (int i = 0; i < 3; i++) assert_int_equal(((const int64_t *)b.children[0]->buffers[1])[i], (int64_t)ids[i]);
  b.release(&b);
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  o.filter = "_rowid >= 10 AND _rowid < 20";
  rows got = {0};
  scan_rows(ds, &o, &got);
  size_t want = 0;
  for (size_t i = 0; i < ref.n; i++) want += ref.rowid[i] >= 10 && ref.rowid[i] < 20;
  assert_int_equal(got.n, want);
  rows_free(&got);
  rows_free(&ref);
  lancec_dataset_free(ds);
}

static void test_fragments_groups_explain(void **state) {
  (void)state;
  lancec_dataset *ds = open_corpus("tall_fragments.lance", NULL);
  size_t nf = lancec_dataset_num_fragments(ds);
  assert_true(nf >= 3);
  lancec_scan_options all = LANCEC_SCAN_OPTIONS_INIT;
  all.with_row_addr = 1;
  all.batch_size = 100;
  rows ref = {0};
  scan_rows(ds, &all, &ref);
  /* fragment groups and threads do not change the order */
  for (int g = 1; g <= 3; g++) {
    lancec_scan_options o = all;
    o.fragment_group_size = g;
    o.num_threads = 2;
    rows got = {0};
    scan_rows(ds, &o, &got);
    assert_int_equal(got.n, ref.n);
    assert_memory_equal(got.rowaddr, ref.rowaddr, ref.n * sizeof(uint64_t));
    rows_free(&got);
  }
  /* only the second fragment */
  lancec_fragment_info fi;
  lancec_error err;
  assert_ok(lancec_dataset_fragment(ds, 1, &fi, &err), &err);
  lancec_scan_options o = all;
  o.fragment_ids = &fi.id;
  o.num_fragment_ids = 1;
  rows got = {0};
  scan_rows(ds, &o, &got);
  assert_int_equal(got.n, fi.physical_rows - fi.deleted_rows);
  for (size_t i = 0; i < got.n; i++) assert_int_equal(got.rowaddr[i] >> 32, fi.id);
  rows_free(&got);
  /* explain names the filter, the columns and the fragments */
  o = (lancec_scan_options)LANCEC_SCAN_OPTIONS_INIT;
  o.filter = "id < 10";
  char *text = NULL;
  assert_ok(lancec_dataset_explain(ds, &o, &text, &err), &err);
  assert_non_null(strstr(text, "filter: id < 10"));
  assert_non_null(strstr(text, "fragments:"));
  assert_non_null(strstr(text, "bytes:"));
  lancec_free(text);
  rows_free(&ref);
  lancec_dataset_free(ds);
}

/* A session: the second open of a cached version reads nothing. */
static void test_session_cache(void **state) {
  (void)state;
  lancec_session *s = NULL;
  lancec_error err;
  assert_ok(lancec_session_new(&s, NULL, &err), &err);
  lancec_dataset *a = open_corpus("deletions_arrow.lance", s);
  uint64_t v = lancec_dataset_version(a);
  rows r1 = {0};
  scan_rows(a, &(lancec_scan_options)LANCEC_SCAN_OPTIONS_INIT, &r1);
  char *p = tu_shared_path("corpus/public/deletions_arrow.lance");
  lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
  o.session = s;
  o.version = v;
  lancec_dataset *b = NULL;
  assert_ok(lancec_dataset_open(&b, p, &o, &err), &err);
  uint64_t bytes = 1, reads = 1;
  lancec_dataset_io_stats(b, &bytes, &reads);
  assert_int_equal(bytes, 0);
  assert_int_equal(reads, 0);
  /* a second scan finds the file metadata and deletion vectors cached too */
  lancec_cache_stats before, after;
  lancec_session_stats(s, &before, NULL);
  rows r2 = {0};
  scan_rows(b, &(lancec_scan_options)LANCEC_SCAN_OPTIONS_INIT, &r2);
  lancec_session_stats(s, &after, NULL);
  assert_true(after.hits > before.hits);
  assert_int_equal(r1.n, r2.n);
  assert_memory_equal(r1.id, r2.id, r1.n * sizeof(int64_t));
  lancec_session_free(s); /* datasets keep their reference */
  lancec_dataset_free(a);
  lancec_dataset_free(b);
  /* a zero budget caches nothing */
  lancec_session_options so = LANCEC_SESSION_OPTIONS_INIT;
  so.metadata_cache_size_bytes = 0;
  assert_ok(lancec_session_new(&s, &so, &err), &err);
  o.session = s;
  assert_ok(lancec_dataset_open(&b, p, &o, &err), &err);
  lancec_dataset_free(b);
  assert_ok(lancec_dataset_open(&b, p, &o, &err), &err);
  lancec_dataset_io_stats(b, &bytes, &reads);
  assert_true(bytes > 0);
  lancec_dataset_free(b);
  lancec_session_free(s);
  free(p);
  rows_free(&r1);
  rows_free(&r2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_filter_matches_reference), cmocka_unit_test(test_bad_filters),
      cmocka_unit_test(test_take),                     cmocka_unit_test(test_stable_row_ids),
      cmocka_unit_test(test_fragments_groups_explain), cmocka_unit_test(test_session_cache),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
