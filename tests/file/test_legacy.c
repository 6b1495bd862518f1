/* Legacy v1 ("0.1") data-file reader: the fmt_legacy_v1 corpus dataset's
 * data file read through the dataset schema and compared with the expected
 * rows; a hand-built multi-batch file; corrupt inputs fail cleanly. */
#include <jansson.h>
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file_internal.h"
#include "io/io.h"
#include "schema/schema.h"
#include "table/table.h"

/* ---- corpus: fmt_legacy_v1 version 1 (one fragment, 300 rows) ---- */

static json_t **load_expected(const char *path, size_t *n) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  json_t **v = NULL;
  size_t cap = 0;
  *n = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 1) {
    json_error_t je;
    json_t *j = json_loadb(line, (size_t)len, 0, &je);
    assert_non_null(j);
    if (*n == cap) {
      cap = cap ? 2 * cap : 512;
      v = realloc(v, cap * sizeof(*v));
    }
    v[(*n)++] = j;
  }
  free(line);
  fclose(f);
  return v;
}

typedef struct corpus_ctx {
  lancec_dataset *ds;
  lc_file *file;
  const Lance__Table__DataFile *df;
  json_t **rows;
  size_t n_rows;
} corpus_ctx;

static void corpus_open(corpus_ctx *c, const char *corpus) {
  lancec_error err = {0};
  char *base = tu_shared_path(corpus);
  char *uri = lc_sprintf("%s/fmt_legacy_v1.lance", base);
  char *exp = lc_sprintf("%s/fmt_legacy_v1.v1.expected.jsonl", base);
  lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
  o.version = 1;
  assert_ok(lancec_dataset_open(&c->ds, uri, &o, &err), &err);
  Lance__Table__Manifest *pb = c->ds->manifest->pb;
  assert_int_equal(pb->n_fragments, 1);
  c->df = pb->fragments[0]->files[0];
  char *path = lc_dataset_data_file_path(c->ds, c->df);
  assert_ok(lc_file_open(&c->file, c->ds->io, path, 0, &err), &err);
  uint16_t major, minor;
  lc_file_version(c->file, &major, &minor);
  assert_int_equal(major, 0);
  assert_int_equal(minor, 2);
  c->rows = load_expected(exp, &c->n_rows);
  assert_int_equal(c->n_rows, 300);
  assert_int_equal(lc_file_num_rows(c->file), 300);
  lc_free(path);
  lc_free(exp);
  lc_free(uri);
  lc_free(base);
}

static void corpus_close(corpus_ctx *c) {
  for (size_t i = 0; i < c->n_rows; i++) json_decref(c->rows[i]);
  free(c->rows);
  lc_file_free(c->file);
  lancec_dataset_free(c->ds);
}

static const lc_field *top(corpus_ctx *c, const char *name) {
  const lc_schema *s = c->ds->manifest->schema;
  for (size_t i = 0; i < s->n_fields; i++)
    if (strcmp(s->fields[i]->name, name) == 0) return s->fields[i];
  fail_msg("no field %s", name);
  return NULL;
}

static void read_field(corpus_ctx *c, const lc_field *f, uint64_t start, uint64_t count,
                       struct ArrowArray *out) {
  lancec_error err = {0};
  lc_file_colmap map = {c->df->fields, NULL, c->df->n_fields};
  lc_field_reader *r = NULL;
  assert_ok(lc_field_reader_new(&r, c->file, f, &map, &err), &err);
  assert_ok(lc_field_reader_read(r, start, count, out, &err), &err);
  assert_ok(lc_array_validate(f, out, &err), &err);
  lc_field_reader_free(r);
}

static bool is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->buffers[0];
  return !v || (v[(a->offset + i) / 8] >> ((a->offset + i) % 8)) & 1;
}

static void check_strings(const struct ArrowArray *a, json_t **rows, uint64_t start, const char *col) {
  const int32_t *off = a->buffers[1];
  const char *data = a->buffers[2];
  for (int64_t i = 0; i < a->length; i++) {
    json_t *e = json_object_get(rows[start + (uint64_t)i], col);
    if (json_is_null(e)) {
      assert_false(is_valid(a, i));
      continue;
    }
    assert_true(is_valid(a, i));
    const char *s = json_string_value(e);
    size_t n = (size_t)(off[i + 1] - off[i]);
    /* the corpus lost leading BOMs (see src/cli/output_jsonl.c) */
    const char *d = data + off[i];
    if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0 && strncmp(s, "\xef\xbb\xbf", 3) != 0) {
      d += 3;
      n -= 3;
    }
    assert_int_equal(n, strlen(s));
    assert_memory_equal(d, s, n);
  }
}

static void test_corpus_values(void **state) {
  (void)state;
  const char *corpora[] = {"corpus/public", "corpus/public-2.2"};
  for (size_t k = 0; k < 2; k++) {
    corpus_ctx c;
    memset(&c, 0, sizeof(c));
    corpus_open(&c, corpora[k]);
    struct ArrowArray a;
    /* int32 plain */
    read_field(&c, top(&c, "row"), 0, 300, &a);
    for (int i = 0; i < 300; i++)
      assert_int_equal(((const int32_t *)a.buffers[1])[i], json_integer_value(json_object_get(c.rows[i], "row")));
    lc_array_release(&a);
    /* int64 (JSON strings), sub-range */
    read_field(&c, top(&c, "i64_n10"), 17, 200, &a);
    for (int i = 0; i < 200; i++) {
      json_t *e = json_object_get(c.rows[17 + i], "i64_n10");
      long long want = json_is_null(e) ? 0 : strtoll(json_string_value(e), NULL, 10);
      assert_int_equal(((const int64_t *)a.buffers[1])[i], want);
    }
    lc_array_release(&a);
    /* strings: nulls and empty strings read back as null */
    read_field(&c, top(&c, "s_rand_n10"), 0, 300, &a);
    check_strings(&a, c.rows, 0, "s_rand_n10");
    lc_array_release(&a);
    read_field(&c, top(&c, "s_empty_mix"), 5, 290, &a);
    check_strings(&a, c.rows, 5, "s_empty_mix");
    lc_array_release(&a);
    /* list<int32>: offsets restart per batch, null lists are [] */
    read_field(&c, top(&c, "l_i32_n10"), 0, 300, &a);
    const int32_t *lo = a.buffers[1];
    const int32_t *items = a.children[0]->buffers[1];
    for (int i = 0; i < 300; i++) {
      json_t *e = json_object_get(c.rows[i], "l_i32_n10");
      assert_int_equal(lo[i + 1] - lo[i], json_array_size(e));
      for (size_t j = 0; j < json_array_size(e); j++)
        assert_int_equal(items[lo[i] + (int32_t)j], json_integer_value(json_array_get(e, j)));
    }
    lc_array_release(&a);
    /* struct<a: int32, b: string> */
    read_field(&c, top(&c, "st_n10"), 0, 300, &a);
    assert_int_equal(a.n_children, 2);
    for (int i = 0; i < 300; i++) {
      json_t *e = json_object_get(c.rows[i], "st_n10");
      json_t *ea = json_object_get(e, "a");
      assert_int_equal(((const int32_t *)a.children[0]->buffers[1])[i], json_is_null(ea) ? 0 : json_integer_value(ea));
    }
    lc_array_release(&a);
    /* dictionary<string, int32> from the file's embedded manifest */
    read_field(&c, top(&c, "dict_n10"), 0, 300, &a);
    assert_non_null(a.dictionary);
    const int32_t *keys = a.buffers[1];
    const int32_t *doff = a.dictionary->buffers[1];
    const char *dd = a.dictionary->buffers[2];
    for (int i = 0; i < 300; i++) {
      const char *want = json_string_value(json_object_get(c.rows[i], "dict_n10"));
      assert_non_null(want);
      int32_t k2 = keys[i];
      assert_int_equal((size_t)(doff[k2 + 1] - doff[k2]), strlen(want));
      assert_memory_equal(dd + doff[k2], want, strlen(want));
    }
    lc_array_release(&a);
    /* take matches read */
    {
      lancec_error err = {0};
      lc_file_colmap map = {c.df->fields, NULL, c.df->n_fields};
      lc_field_reader *r = NULL;
      const lc_field *f = top(&c, "s_rand_n10");
      assert_ok(lc_field_reader_new(&r, c.file, f, &map, &err), &err);
      uint64_t rows[] = {3, 4, 99, 150, 299};
      assert_ok(lc_field_reader_take(r, rows, 5, &a, &err), &err);
      assert_int_equal(a.length, 5);
      const int32_t *o = a.buffers[1];
      for (int i = 0; i < 5; i++) {
        json_t *e = json_object_get(c.rows[rows[i]], "s_rand_n10");
        if (json_is_null(e)) assert_false(is_valid(&a, i));
        else assert_int_equal((size_t)(o[i + 1] - o[i]), strlen(json_string_value(e)));
      }
      lc_array_release(&a);
      lc_field_reader_free(r);
    }
    corpus_close(&c);
  }
}

/* ---- hand-built file: 2 batches of (a: int32 id 0, s: string id 1) ---- */

static size_t put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

typedef struct built {
  uint8_t d[1024];
  size_t n;
  size_t meta_pos, pt_pos;
} built;

static void app(built *b, const void *p, size_t n) {
  memcpy(b->d + b->n, p, n);
  b->n += n;
}
static void app64(built *b, uint64_t v) {
  uint8_t x[8];
  lc_st64(x, v);
  app(b, x, 8);
}

/* batch 0: a = 1,2,3  s = "x","","yz"; batch 1: a = 4,5  s = "hello",null */
static uint64_t g_pt_override;

static void build_file(built *b) {
  memset(b, 0, sizeof(*b));
  uint64_t pt[4][2];
  int32_t a0[3] = {1, 2, 3}, a1[2] = {4, 5};
  pt[0][0] = b->n;
  pt[0][1] = 3;
  app(b, a0, sizeof(a0));
  uint64_t s0 = b->n;
  app(b, "xyz", 3);
  pt[2][0] = b->n;
  pt[2][1] = 3;
  app64(b, s0);
  app64(b, s0 + 1);
  app64(b, s0 + 1);
  app64(b, s0 + 3);
  pt[1][0] = b->n;
  pt[1][1] = 2;
  app(b, a1, sizeof(a1));
  uint64_t s1 = b->n;
  app(b, "hello", 5);
  pt[3][0] = b->n;
  pt[3][1] = 2;
  app64(b, s1);
  app64(b, s1 + 5);
  app64(b, s1 + 5);
  b->pt_pos = b->n;
  /* field-major: (f0,b0) (f0,b1) (f1,b0) (f1,b1) */
  for (int i = 0; i < 4; i++) {
    app64(b, pt[i][0]);
    app64(b, pt[i][1]);
  }
  uint8_t m[64];
  size_t mn = 0;
  m[mn++] = 0x12; /* batch_offsets, packed */
  m[mn++] = 3;
  m[mn++] = 0;
  m[mn++] = 3;
  m[mn++] = 5;
  m[mn++] = 0x18; /* page_table_position */
  mn += put_varint(m + mn, g_pt_override ? g_pt_override : b->pt_pos);
  b->meta_pos = b->n;
  uint8_t l[4];
  lc_st32(l, (uint32_t)mn);
  app(b, l, 4);
  app(b, m, mn);
  app64(b, b->meta_pos);
  uint8_t v[4] = {0, 0, 2, 0};
  app(b, v, 4);
  app(b, "LANC", 4);
}

static int open_bytes(const uint8_t *d, size_t n, lc_file **f, lancec_error *err) {
  char *dir = tu_tempdir();
  char *p = lc_sprintf("%s/x.lance", dir);
  FILE *fp = fopen(p, "wb");
  assert_non_null(fp);
  fwrite(d, 1, n, fp);
  fclose(fp);
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, err), err);
  int rc = lc_file_open(f, io, p, 0, err);
  lc_io_unref(io);
  tu_rmtree(dir);
  lc_free(p);
  lc_free(dir);
  return rc;
}

static lc_field g_a = {.name = "a", .id = 0, .parent_id = -1, .type = LC_T_INT32, .nullable = true};
static lc_field g_s = {.name = "s", .id = 1, .parent_id = -1, .type = LC_T_STRING, .nullable = true};
static const int32_t g_ids[] = {0, 1};

static int read_all(lc_file *f, const lc_field *fld, uint64_t start, uint64_t count, struct ArrowArray *out,
                    lancec_error *err) {
  lc_file_colmap map = {g_ids, NULL, 2};
  lc_field_reader *r = NULL;
  int rc = lc_field_reader_new(&r, f, fld, &map, err);
  if (rc) return rc;
  rc = lc_field_reader_read(r, start, count, out, err);
  lc_field_reader_free(r);
  return rc;
}

static void test_built_batches(void **state) {
  (void)state;
  built b;
  build_file(&b);
  lancec_error err = {0};
  lc_file *f = NULL;
  assert_ok(open_bytes(b.d, b.n, &f, &err), &err);
  assert_int_equal(lc_file_num_rows(f), 5);
  struct ArrowArray a;
  assert_ok(read_all(f, &g_a, 0, 5, &a, &err), &err);
  for (int i = 0; i < 5; i++) assert_int_equal(((const int32_t *)a.buffers[1])[i], i + 1);
  lc_array_release(&a);
  /* across the batch boundary */
  assert_ok(read_all(f, &g_s, 1, 4, &a, &err), &err);
  assert_ok(lc_array_validate(&g_s, &a, &err), &err);
  assert_int_equal(a.length, 4);
  assert_int_equal(a.null_count, 2); /* "" and null */
  assert_false(is_valid(&a, 0));
  assert_true(is_valid(&a, 1));
  assert_true(is_valid(&a, 2));
  assert_false(is_valid(&a, 3));
  const int32_t *o = a.buffers[1];
  assert_memory_equal((const char *)a.buffers[2] + o[1], "yz", 2);
  assert_memory_equal((const char *)a.buffers[2] + o[2], "hello", 5);
  lc_array_release(&a);
  /* a field id missing from the data file reads as nulls */
  lc_file_colmap map = {g_ids, NULL, 1};
  lc_field_reader *r = NULL;
  assert_ok(lc_field_reader_new(&r, f, &g_s, &map, &err), &err);
  assert_ok(lc_field_reader_read(r, 0, 5, &a, &err), &err);
  assert_int_equal(a.null_count, 5);
  lc_array_release(&a);
  lc_field_reader_free(r);
  lc_file_free(f);
}

/* Corrupt inputs: errors, not crashes. */
static void expect_fail(const uint8_t *d, size_t n, const char *what) {
  lancec_error err = {0};
  lc_file *f = NULL;
  int rc = open_bytes(d, n, &f, &err);
  if (rc == 0) {
    struct ArrowArray a;
    int r1 = read_all(f, &g_a, 0, lc_file_num_rows(f), &a, &err);
    if (r1 == 0) lc_array_release(&a);
    int r2 = read_all(f, &g_s, 0, lc_file_num_rows(f), &a, &err);
    if (r2 == 0) lc_array_release(&a);
    lc_file_free(f);
    if (r1 == 0 && r2 == 0) fail_msg("%s: expected an error", what);
    rc = r1 ? r1 : r2;
  }
  assert_true(rc == LANCEC_ECORRUPT || rc == LANCEC_EUNSUPPORTED);
  assert_true(err.message[0] != 0);
}

static void test_corrupt(void **state) {
  (void)state;
  built b, c;
  build_file(&b);
  /* metadata position past the footer */
  c = b;
  lc_st64(c.d + c.n - 16, c.n);
  expect_fail(c.d, c.n, "metadata position");
  /* metadata length too large */
  c = b;
  lc_st32(c.d + c.meta_pos, 100000);
  expect_fail(c.d, c.n, "metadata length");
  /* page table position past EOF */
  g_pt_override = 1ull << 40;
  build_file(&c);
  expect_fail(c.d, c.n, "page table position");
  g_pt_override = 1000; /* past EOF but small */
  build_file(&c);
  expect_fail(c.d, c.n, "page table position (small)");
  g_pt_override = 0;
  /* batch_offsets descending */
  c = b;
  c.d[c.meta_pos + 4 + 3] = 9;
  expect_fail(c.d, c.n, "batch offsets");
  /* page entry past EOF */
  c = b;
  lc_st64(c.d + c.pt_pos, 1u << 30);
  expect_fail(c.d, c.n, "page position");
  /* negative page length */
  c = b;
  lc_st64(c.d + c.pt_pos + 8, (uint64_t)-1);
  expect_fail(c.d, c.n, "page length");
  /* string positions descending */
  c = b;
  {
    uint64_t spos = lc_le64(c.d + c.pt_pos + 32);
    lc_st64(c.d + spos + 8, 1000000);
  }
  expect_fail(c.d, c.n, "string positions");
  /* truncated: every prefix must fail cleanly */
  for (size_t n = 0; n < b.n; n += 7) {
    lancec_error err = {0};
    lc_file *f = NULL;
    int rc = open_bytes(b.d, n, &f, &err);
    assert_true(rc != 0);
  }
  /* random byte flips never crash */
  for (size_t i = 0; i < b.n; i++) {
    c = b;
    c.d[i] ^= 0xa5;
    lancec_error err = {0};
    lc_file *f = NULL;
    if (open_bytes(c.d, c.n, &f, &err) == 0) {
      struct ArrowArray a;
      if (lc_file_num_rows(f) < 1000000) {
        if (read_all(f, &g_a, 0, lc_file_num_rows(f), &a, &err) == 0) lc_array_release(&a);
        if (read_all(f, &g_s, 0, lc_file_num_rows(f), &a, &err) == 0) lc_array_release(&a);
      }
      lc_file_free(f);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus_values),
      cmocka_unit_test(test_built_batches),
      cmocka_unit_test(test_corrupt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
