/* src/index: plans on a corpus dataset real Lance indexed (BTree on id,
 * Bitmap on category), declined filters, the cache, and hostile index
 * files (truncated, missing, bit flips, crafted bitmaps and page lookups)
 * which must give clear errors naming the file, never crashes. The real
 * engine comparison is tests/index/test_index_interop.sh. */
#include "testutil.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "file/file.h"
#include "file/file_writer.h"
#include "index/index.h"
#include "table/table.h"

#define DS "corpus/public/index_ivfpq_btree_bitmap.lance"
#define BTREE_DIR "_indices/2013de5a-c788-43c0-9941-59f4a2a3966e"
#define BITMAP_DIR "_indices/6531bc64-1f71-4469-9140-feb0b5ffa01e"
#define NROWS 600

static char *g_tmp;

static int setup(void **state) {
  (void)state;
  g_tmp = tu_tempdir();
  return g_tmp ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  tu_rmtree(g_tmp);
  lc_free(g_tmp);
  return 0;
}

/* A fresh copy of the corpus dataset under the temp dir; caller frees. */
static char *copy_dataset(const char *name) {
  char *src = tu_shared_path(DS);
  char *dst = lc_sprintf("%s/%s", g_tmp, name);
  char *cmd = lc_sprintf("rm -rf '%s' && cp -r '%s' '%s'", dst, src, dst);
  assert_int_equal(system(cmd), 0);
  lc_free(cmd);
  lc_free(src);
  return dst;
}

static lancec_dataset *open_ds(const char *path) {
  lancec_dataset *ds = NULL;
  lancec_error err = {0};
  assert_ok(lancec_dataset_open(&ds, path, NULL, &err), &err);
  return ds;
}

static lc_expr *parse(lancec_dataset *ds, const char *sql) {
  lc_expr *e = NULL;
  lancec_error err = {0};
  assert_ok(lc_expr_parse(&e, sql, ds->manifest->schema, &err), &err);
  return e;
}

/* Plan `sql`; returns rc, *r the result. */
static int plan(lancec_dataset *ds, const char *sql, lc_index_cache *cache, lc_index_result **r,
                lancec_error *err) {
  lc_expr *e = parse(ds, sql);
  int rc = lc_index_plan(r, ds, e, cache, err);
  lc_expr_free(e);
  return rc;
}

/* ---- the real rows: ids and categories from the corpus expected file ------------- */

static int64_t g_id[NROWS];
static char g_cat[NROWS][16];

static void load_expected(void) {
  char *p = tu_shared_path("corpus/public/index_ivfpq_btree_bitmap.expected.jsonl");
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0, n = 0;
  while (getline(&line, &cap, f) > 0 && n < NROWS) {
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j);
    g_id[n] = strtoll(json_string_value(json_object_get(j, "id")), NULL, 10);
    snprintf(g_cat[n], sizeof g_cat[n], "%s", json_string_value(json_object_get(j, "category")));
    json_decref(j);
    n++;
  }
  assert_int_equal(n, NROWS);
  free(line);
  fclose(f);
  lc_free(p);
}

typedef bool (*row_pred)(size_t row);
static bool p_id_lt_10(size_t r) {
  return g_id[r] < 10;
}
static bool p_red(size_t r) {
  return !strcmp(g_cat[r], "red");
}
static bool p_red_or_blue_id(size_t r) {
  return (!strcmp(g_cat[r], "red") || !strcmp(g_cat[r], "blue")) && g_id[r] >= 100 && g_id[r] <= 300;
}
static bool p_id_in(size_t r) {
  return g_id[r] == 3 || g_id[r] == 599 || g_id[r] == 250;
}

static void check_exact(lancec_dataset *ds, const char *sql, row_pred pred, size_t n_uses) {
  lancec_error err = {0};
  lc_index_result *r = NULL;
  assert_ok(plan(ds, sql, NULL, &r, &err), &err);
  assert_non_null(r);
  assert_int_equal(r->n_uses, n_uses);
  assert_int_equal(r->n_frags, 1);
  assert_int_equal(r->frags[0].id, 0);
  assert_int_equal(r->covered_rows, NROWS);
  uint64_t want = 0;
  for (size_t i = 0; i < NROWS; i++) {
    bool in = roaring_bitmap_contains(r->frags[0].rows, (uint32_t)i);
    if (pred(i) != in) fail_msg("%s: row %zu: index says %d", sql, i, in);
    want += pred(i);
  }
  assert_int_equal(r->n_rows, want);
  uint32_t *rows = NULL;
  size_t n = 0;
  assert_ok(lc_index_result_rows(r, 0, &rows, &n, &err), &err);
  assert_int_equal(n, want);
  for (size_t i = 1; i < n; i++) assert_true(rows[i - 1] < rows[i]);
  lc_free(rows);
  assert_ok(lc_index_result_rows(r, 7, &rows, &n, &err), &err); /* not covered */
  assert_null(rows);
  assert_int_equal(n, 0);
  assert_null(lc_index_result_fragment(r, 1));
  char *d = lc_index_result_describe(r);
  assert_non_null(d);
  assert_non_null(strstr(d, r->uses[0].index_name));
  lc_free(d);
  lc_index_result_free(r);
}

static void test_corpus_plans(void **state) {
  (void)state;
  load_expected();
  char *p = tu_shared_path(DS);
  lancec_dataset *ds = open_ds(p);
  check_exact(ds, "id < 10", p_id_lt_10, 1);
  check_exact(ds, "category = 'red'", p_red, 1);
  check_exact(ds, "category IN ('red', 'blue') AND id BETWEEN 100 AND 300", p_red_or_blue_id, 2);
  check_exact(ds, "id IN (3, 599, 250, 100000)", p_id_in, 1);
  check_exact(ds, "10 > id", p_id_lt_10, 1);
  lancec_dataset_free(ds);
  lc_free(p);
}

static void test_declined(void **state) {
  (void)state;
  char *p = tu_shared_path(DS);
  lancec_dataset *ds = open_ds(p);
  static const char *const none[] = {
      "id + 1 > 5", /* not a plain column */
      "id < 10 OR category = 'red'",
      "NOT (id < 10)", /* BTree: only positive shapes */
      "id != 5",
      "CAST(id AS STRING) = '5'",
      "_rowid < 5",
  };
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
    lancec_error err = {0};
    lc_index_result *r = (lc_index_result *)1;
    assert_ok(plan(ds, none[i], NULL, &r, &err), &err);
    if (r) fail_msg("%s: an index was used", none[i]);
  }
  /* a Bitmap answers any predicate on its own column */
  lancec_error err = {0};
  lc_index_result *r = NULL;
  assert_ok(plan(ds, "category != 'red' AND NOT (category LIKE 'b%')", NULL, &r, &err), &err);
  assert_non_null(r);
  assert_int_equal(r->n_uses, 2);
  lc_index_result_free(r);
  /* an unbound filter */
  lc_expr *e = NULL;
  assert_ok(lc_expr_parse(&e, "id = 1", NULL, &err), &err);
  assert_int_equal(lc_index_plan(&r, ds, e, NULL, &err), LANCEC_EINVAL);
  assert_null(r);
  lc_expr_free(e);
  lancec_dataset_free(ds);
  lc_free(p);
}

static void test_cache(void **state) {
  (void)state;
  char *p = tu_shared_path(DS);
  lancec_dataset *ds = open_ds(p);
  lancec_error err = {0};
  lc_index_cache *c = NULL;
  assert_ok(lc_index_cache_new(&c, 1 << 20, &err), &err);
  lc_index_result *r1 = NULL, *r2 = NULL;
  assert_ok(plan(ds, "id < 100 AND category = 'red'", c, &r1, &err), &err);
  lancec_cache_stats st;
  lc_index_cache_get_stats(c, &st);
  assert_true(st.entries >= 3); /* lookup, page, keys */
  assert_true(st.bytes > 0 && st.bytes <= (1 << 20));
  uint64_t misses = st.misses;
  assert_ok(plan(ds, "id < 100 AND category = 'red'", c, &r2, &err), &err);
  lc_index_cache_get_stats(c, &st);
  assert_int_equal(st.misses, misses);
  assert_true(st.hits >= 3);
  assert_int_equal(r1->n_rows, r2->n_rows);
  assert_true(roaring_bitmap_equals(r1->frags[0].rows, r2->frags[0].rows));
  lc_index_result_free(r2);
  lc_index_cache_free(c);
  /* a cache too small for anything still gives the same answer */
  void *tiny = lc_index_cache_create_hook(10);
  assert_non_null(tiny);
  assert_ok(plan(ds, "id < 100 AND category = 'red'", tiny, &r2, &err), &err);
  assert_true(roaring_bitmap_equals(r1->frags[0].rows, r2->frags[0].rows));
  lc_index_cache_stats_hook(tiny, &st);
  assert_int_equal(st.entries, 0);
  lc_index_cache_free_hook(tiny);
  lc_index_result_free(r1);
  lc_index_result_free(r2);
  lancec_dataset_free(ds);
  lc_free(p);
}

/* Indices written by older Lance: format 2.0 index files are searched; index
 * files in the legacy 0.1 format (and entries without index details) are
 * not, and are skipped without an error. */
static void expect_rows(const char *rel, const char *sql, const uint32_t *rows, size_t n) {
  char *p = tu_shared_path(rel);
  lancec_dataset *ds = open_ds(p);
  lancec_error err = {0};
  lc_index_result *r = (lc_index_result *)1;
  assert_ok(plan(ds, sql, NULL, &r, &err), &err);
  if (n == SIZE_MAX) {
    if (r) fail_msg("%s on %s: an index was used", sql, rel);
  } else {
    if (!r) fail_msg("%s on %s: no index used", sql, rel);
    assert_int_equal(r->n_frags, 1);
    assert_int_equal(r->n_rows, n);
    for (size_t i = 0; i < n; i++) assert_true(roaring_bitmap_contains(r->frags[0].rows, rows[i]));
  }
  lc_index_result_free(r);
  lancec_dataset_free(ds);
  lc_free(p);
}

static void test_legacy_indices(void **state) {
  (void)state;
  static const uint32_t five[] = {5}, top[] = {996, 997, 998, 999}, one[] = {1}, ends[] = {0, 3};
  expect_rows("corpus/legacy/test_data/0.36.0/btree_in_index_pkg.lance", "x = 5", five, 1);
  expect_rows("corpus/legacy/test_data/0.36.0/btree_in_index_pkg.lance", "x > 995", top, 4);
  expect_rows("corpus/legacy/test_data/v0.20.0/old_btree_bitmap_indices.lance", "bitmap = 2", one, 1);
  expect_rows("corpus/legacy/test_data/v0.20.0/old_btree_bitmap_indices.lance",
              "bitmap IN (1, 4) AND btree > 1", ends, 2);
  expect_rows("corpus/legacy/test_data/v0.20.0/old_btree_bitmap_indices.lance", "btree = 3", NULL, SIZE_MAX);
  expect_rows("corpus/legacy/test_data/v0.18.2/index_no_details.lance", "id = 5", NULL, SIZE_MAX);
}

/* ---- hostile files ------------------------------------------------------------------ */

/* Plan `sql` on `path` expecting failure with a message containing `needle`. */
static void expect_error(const char *path, const char *sql, const char *needle) {
  lancec_dataset *ds = open_ds(path);
  lancec_error err = {0};
  lc_index_result *r = NULL;
  int rc = plan(ds, sql, NULL, &r, &err);
  if (rc == 0) fail_msg("%s on %s: expected an error mentioning '%s'", sql, path, needle);
  assert_null(r);
  if (!strstr(err.message, needle))
    fail_msg("%s: error '%s' does not mention '%s'", sql, err.message, needle);
  lancec_dataset_free(ds);
}

static void rewrite(const char *dir, const char *rel, const uint8_t *b, size_t n) {
  char *p = lc_sprintf("%s/%s", dir, rel);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
  lc_free(p);
}

static uint8_t *slurp(const char *dir, const char *rel, size_t *n) {
  char *p = lc_sprintf("%s/%s", dir, rel);
  uint8_t *b = tu_read_file(p, n);
  assert_non_null(b);
  lc_free(p);
  return b;
}

static void test_truncated_and_missing(void **state) {
  (void)state;
  static const struct {
    const char *file, *sql;
  } cases[] = {
      {BTREE_DIR "/page_lookup.lance", "id = 5"},
      {BTREE_DIR "/page_data.lance", "id = 5"},
      {BITMAP_DIR "/bitmap_page_lookup.lance", "category = 'red'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *base = strrchr(cases[i].file, '/') + 1;
    size_t n = 0;
    char *ds = copy_dataset("trunc");
    uint8_t *orig = slurp(ds, cases[i].file, &n);
    size_t cuts[] = {0, 3, 40, n / 2, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
      rewrite(ds, cases[i].file, orig, cuts[k]);
      expect_error(ds, cases[i].sql, base);
    }
    char *p = lc_sprintf("%s/%s", ds, cases[i].file);
    assert_int_equal(unlink(p), 0);
    expect_error(ds, cases[i].sql, base);
    lc_free(p);
    free(orig);
    lc_free(ds);
  }
}

/* Random byte flips in each index file: an error or an answer, never a crash
 * (the sanitizer build checks the memory side). */
static void test_bit_flips(void **state) {
  (void)state;
  static const char *const files[] = {BTREE_DIR "/page_lookup.lance", BTREE_DIR "/page_data.lance",
                                      BITMAP_DIR "/bitmap_page_lookup.lance"};
  static const char *const sqls[] = {"id = 5", "id BETWEEN 50 AND 70 AND category = 'red'",
                                     "category IS NULL", "id IS NULL", "category IN ('red', 'blue')"};
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  char *ds = copy_dataset("flip");
  int errors = 0, answers = 0;
  for (size_t fi = 0; fi < 3; fi++) {
    size_t n = 0;
    uint8_t *orig = slurp(ds, files[fi], &n);
    uint8_t *b = malloc(n);
    for (int it = 0; it < 60; it++) {
      memcpy(b, orig, n);
      int flips = 1 + (int)(rng % 4);
      for (int k = 0; k < flips; k++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        /* half of the flips go to the last 1 KiB (metadata, offsets) */
        size_t pos =
            (rng >> 8) % 2 ? (size_t)(rng >> 20) % n : n - 1 - (size_t)(rng >> 20) % (n < 1024 ? n : 1024);
        b[pos] ^= (uint8_t)(1u << (rng % 8));
      }
      rewrite(ds, files[fi], b, n);
      lancec_dataset *d = open_ds(ds);
      for (size_t s = 0; s < sizeof sqls / sizeof sqls[0]; s++) {
        lancec_error err = {0};
        lc_index_result *r = NULL;
        int rc = plan(d, sqls[s], NULL, &r, &err);
        if (rc) {
          errors++;
          assert_true(err.message[0] != 0);
        } else {
          answers++;
        }
        lc_index_result_free(r);
      }
      lancec_dataset_free(d);
    }
    rewrite(ds, files[fi], orig, n);
    free(b);
    free(orig);
  }
  print_message("bit flips: %d errors, %d answers\n", errors, answers);
  lc_free(ds);
}

/* ---- crafted index files (written with lancec's own file writer) ------------------------ */

static void set_buf(struct ArrowArray *a, int64_t i, const void *p, size_t n) {
  void *b = lc_malloc_aligned(n ? n : 1);
  assert_non_null(b);
  if (n) memcpy(b, p, n);
  lc_array_set_buffer(a, i, b);
}

/* A binary / string array of n values. */
static void make_binary(struct ArrowArray *a, const uint8_t *const *v, const size_t *len, int64_t n) {
  assert_int_equal(lc_array_init(a, 3, 0), 0);
  int32_t *off = lc_malloc_aligned((size_t)(n + 1) * 4);
  size_t total = 0;
  for (int64_t i = 0; i < n; i++) total += len[i];
  uint8_t *data = lc_malloc_aligned(total ? total : 1);
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    memcpy(data + off[i], v[i], len[i]);
    off[i + 1] = off[i] + (int32_t)len[i];
  }
  lc_array_set_buffer(a, 1, off);
  lc_array_set_buffer(a, 2, data);
  a->length = n;
}

static void make_fixed(struct ArrowArray *a, const void *v, size_t width, int64_t n) {
  assert_int_equal(lc_array_init(a, 2, 0), 0);
  set_buf(a, 1, v, width * (size_t)n);
  a->length = n;
}

/* Write `cols` (moved in) as a Lance file at ds/rel with the schema of the
 * file already there (plus metadata key=value if given). */
static void write_like(const char *ds, const char *rel, struct ArrowArray *cols, size_t ncols, int64_t n,
                       const char *mkey, const char *mval) {
  char *path = lc_sprintf("%s/%s", ds, rel);
  lancec_error err = {0};
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file *f = NULL;
  lc_schema *s = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_ok(lc_file_schema(f, &s, &err), &err);
  lc_file_free(f);
  if (mkey) {
    for (size_t i = 0; i < s->n_metadata; i++)
      if (!strcmp(s->metadata[i].key, mkey)) {
        lc_free(s->metadata[i].value);
        s->metadata[i].value = (uint8_t *)lc_strdup(mval);
        s->metadata[i].value_len = strlen(mval);
      }
  }
  struct ArrowArray batch;
  assert_ok(lc_array_make_batch(cols, ncols, n, &batch, &err), &err);
  assert_int_equal(unlink(path), 0);
  lc_file_writer *w = NULL;
  assert_ok(lc_file_writer_new(&w, io, path, s, NULL, &err), &err);
  assert_ok(lc_file_writer_write(w, &batch, &err), &err);
  assert_ok(lc_file_writer_finish(w, NULL, NULL, &err), &err);
  lc_array_release(&batch);
  lc_schema_free(s);
  lc_io_unref(io);
  lc_free(path);
}

/* bitmap_page_lookup.lance with keys "red", "blue" and the given bitmap bytes for "red". */
static void write_bitmap(const char *ds, const uint8_t *red, size_t red_len) {
  static const uint8_t blue[] = {0, 0, 0, 0}; /* no rows */
  const uint8_t *keys[] = {(const uint8_t *)"red", (const uint8_t *)"blue"};
  size_t klen[] = {3, 4};
  const uint8_t *bms[] = {red, blue};
  size_t blen[] = {red_len, sizeof blue};
  struct ArrowArray cols[2];
  make_binary(&cols[0], keys, klen, 2);
  make_binary(&cols[1], bms, blen, 2);
  write_like(ds, BITMAP_DIR "/bitmap_page_lookup.lance", cols, 2, 2, NULL, NULL);
}

static size_t put32(uint8_t *p, uint32_t v) {
  lc_st32(p, v);
  return 4;
}

/* A portable 32-bit roaring bitmap of the given values (< 65536, ascending). */
static size_t roaring_bytes(uint8_t *p, const uint16_t *v, uint16_t n) {
  size_t o = 0;
  o += put32(p + o, 12346); /* SERIAL_COOKIE_NO_RUNCONTAINER */
  o += put32(p + o, 1);     /* one container */
  lc_st16(p + o, 0), lc_st16(p + o + 2, (uint16_t)(n - 1)), o += 4;
  o += put32(p + o, (uint32_t)(o + 4)); /* offset of the container */
  for (uint16_t i = 0; i < n; i++) lc_st16(p + o, v[i]), o += 2;
  return o;
}

static void test_crafted_bitmaps(void **state) {
  (void)state;
  char *ds = copy_dataset("bm");
  uint8_t b[256];
  size_t o;
  lancec_error err = {0};
  lc_index_result *r = NULL;
  lancec_dataset *d;

  /* a valid map: rows 1, 5, 599 of fragment 0, plus a fragment that does not exist */
  static const uint16_t rows[] = {1, 5, 599};
  o = put32(b, 2);
  o += put32(b + o, 0);
  size_t szpos = o;
  o += 4;
  size_t rl = roaring_bytes(b + o, rows, 3);
  lc_st32(b + szpos, (uint32_t)rl);
  o += rl;
  o += put32(b + o, 9);
  o += put32(b + o, 3);
  b[o++] = 0xAA, b[o++] = 0xBB, b[o++] = 0xCC; /* fragment 9: ignored */
  write_bitmap(ds, b, o);
  d = open_ds(ds);
  assert_ok(plan(d, "category = 'red'", NULL, &r, &err), &err);
  assert_non_null(r);
  assert_int_equal(r->n_rows, 3);
  assert_true(roaring_bitmap_contains(r->frags[0].rows, 599));
  lc_index_result_free(r);
  assert_ok(plan(d, "category = 'blue'", NULL, &r, &err), &err);
  assert_int_equal(r->n_rows, 0);
  lc_index_result_free(r);
  lancec_dataset_free(d);

  /* size 0 = the whole fragment */
  o = put32(b, 1);
  o += put32(b + o, 0);
  o += put32(b + o, 0);
  write_bitmap(ds, b, o);
  d = open_ds(ds);
  assert_ok(plan(d, "category = 'red'", NULL, &r, &err), &err);
  assert_int_equal(r->n_rows, NROWS);
  lc_index_result_free(r);
  lancec_dataset_free(d);

  /* hostile maps */
  static const uint16_t far[] = {1, 600};
  struct {
    const char *needle;
    size_t len;
    uint8_t bytes[64];
  } bad[6];
  memset(bad, 0, sizeof bad);
  bad[0].needle = "truncated", bad[0].len = 3;                                /* no count */
  bad[1].needle = "truncated", bad[1].len = put32(bad[1].bytes, 0xFFFFFFFFu); /* huge count */
  o = put32(bad[2].bytes, 1), o += put32(bad[2].bytes + o, 0), o += put32(bad[2].bytes + o, 100);
  bad[2].needle = "bytes", bad[2].len = o + 10; /* size beyond the value */
  o = put32(bad[3].bytes, 1), o += put32(bad[3].bytes + o, 0), o += put32(bad[3].bytes + o, 12);
  memset(bad[3].bytes + o, 0x5A, 12);
  bad[3].needle = "roaring", bad[3].len = o + 12; /* not a roaring bitmap */
  o = put32(bad[4].bytes, 1), o += put32(bad[4].bytes + o, 0);
  rl = roaring_bytes(bad[4].bytes + o + 4, far, 2);
  o += put32(bad[4].bytes + o, (uint32_t)rl);
  bad[4].needle = "600", bad[4].len = o + rl; /* row beyond the fragment */
  o = put32(bad[5].bytes, 1), o += put32(bad[5].bytes + o, 0);
  rl = roaring_bytes(bad[5].bytes + o + 4, rows, 3);
  o += put32(bad[5].bytes + o, (uint32_t)rl);
  bad[5].bytes[o + 10] = 0xFF; /* cardinality - 1: more values than stored */
  bad[5].needle = "roaring", bad[5].len = o + rl;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_bitmap(ds, bad[i].bytes, bad[i].len);
    print_message("hostile bitmap %zu\n", i);
    expect_error(ds, "category = 'red'", "bitmap_page_lookup.lance");
    expect_error(ds, "category = 'red'", bad[i].needle);
    /* the key whose bitmap is fine still works */
    d = open_ds(ds);
    assert_ok(plan(d, "category = 'blue'", NULL, &r, &err), &err);
    assert_int_equal(r->n_rows, 0);
    lc_index_result_free(r);
    lancec_dataset_free(d);
  }
  lc_free(ds);
}

/* page_lookup.lance / page_data.lance with inconsistent contents. */
static void test_crafted_btree(void **state) {
  (void)state;
  struct ArrowArray cols[4];
  int64_t mins[1] = {0}, maxs[1] = {599};
  uint32_t nulls[1] = {0}, page[1] = {5};

  /* a page that starts beyond page_data.lance */
  char *ds = copy_dataset("bt1");
  make_fixed(&cols[0], mins, 8, 1);
  make_fixed(&cols[1], maxs, 8, 1);
  make_fixed(&cols[2], nulls, 4, 1);
  make_fixed(&cols[3], page, 4, 1);
  write_like(ds, BTREE_DIR "/page_lookup.lance", cols, 4, 1, NULL, NULL);
  expect_error(ds, "id = 3", "page_lookup.lance");
  lc_free(ds);

  /* bad batch_size metadata */
  ds = copy_dataset("bt2");
  page[0] = 0;
  make_fixed(&cols[0], mins, 8, 1);
  make_fixed(&cols[1], maxs, 8, 1);
  make_fixed(&cols[2], nulls, 4, 1);
  make_fixed(&cols[3], page, 4, 1);
  write_like(ds, BTREE_DIR "/page_lookup.lance", cols, 4, 1, "batch_size", "0");
  expect_error(ds, "id = 3", "batch_size");
  lc_free(ds);

  /* range-partitioned (a layout lancec does not search): declined, no error */
  ds = copy_dataset("bt3");
  make_fixed(&cols[0], mins, 8, 1);
  make_fixed(&cols[1], maxs, 8, 1);
  make_fixed(&cols[2], nulls, 4, 1);
  make_fixed(&cols[3], page, 4, 1);
  write_like(ds, BTREE_DIR "/page_lookup.lance", cols, 4, 1, "range_partitioned", "true");
  lancec_dataset *d = open_ds(ds);
  lancec_error err = {0};
  lc_index_result *r = (lc_index_result *)1;
  assert_ok(plan(d, "id = 3", NULL, &r, &err), &err);
  assert_null(r);
  lancec_dataset_free(d);
  lc_free(ds);

  /* page_data.lance with a row address beyond the fragment */
  ds = copy_dataset("bt4");
  int64_t vals[2] = {3, 4};
  uint64_t ids[2] = {3, 700};
  make_fixed(&cols[0], vals, 8, 2);
  make_fixed(&cols[1], ids, 8, 2);
  write_like(ds, BTREE_DIR "/page_data.lance", cols, 2, 2, NULL, NULL);
  expect_error(ds, "id = 4", "700");
  expect_error(ds, "id = 4", "page_data.lance");
  d = open_ds(ds);
  assert_ok(plan(d, "id = 3", NULL, &r, &err), &err); /* the good row */
  assert_non_null(r);
  assert_int_equal(r->n_rows, 1);
  lc_index_result_free(r);
  lancec_dataset_free(d);
  lc_free(ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus_plans),
      cmocka_unit_test(test_declined),
      cmocka_unit_test(test_cache),
      cmocka_unit_test(test_legacy_indices),
      cmocka_unit_test(test_truncated_and_missing),
      cmocka_unit_test(test_bit_flips),
      cmocka_unit_test(test_crafted_bitmaps),
      cmocka_unit_test(test_crafted_btree),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
