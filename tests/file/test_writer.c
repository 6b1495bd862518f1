/* Data-file writer: write random batches of every type, read them back with
 * the reader (src/file/file.h) and compare value by value; 2.1 and 2.2. */
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file.h"
#include "file/file_writer.h"
#include "lance_file.pb-c.h"

/* ---- rng ---- */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  uint64_t x = rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng = x;
}
static double rndf(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* ---- schema building: field_builder.h ---- */
#include "field_builder.h"

/* ---- random arrays ---- */
typedef struct genopt {
  double null_p;    /* probability of a null where nullable */
  int max_len;      /* variable-width max length */
  int card;         /* >0: strings drawn from this many distinct values */
  int mode;         /* 0 random ints, 1 small ints, 2 sequential */
  int64_t seq;
  int fsl_inner;    /* 0: inner fixed-size lists never null; 1: null with null_p;
                       2: as 1, and the leaves under fixed-size lists never null */
} genopt;

static void set_validity(struct ArrowArray *a, const lc_field *f, int64_t n, const genopt *o) {
  a->null_count = 0;
  if (!f->nullable || o->null_p <= 0) return;
  uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n) + 8);
  memset(v, 0xff, lc_bitmap_bytes(n) + 8);
  for (int64_t i = 0; i < n; i++)
    if (rndf() < o->null_p) {
      lc_bit_clear(v, i);
      a->null_count++;
    }
  lc_array_set_buffer(a, 0, v);
}

static void gen(const lc_field *f, int64_t n, const genopt *o, struct ArrowArray *a);

static void gen_var(const lc_field *f, int64_t n, const genopt *o, struct ArrowArray *a) {
  bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
  assert_int_equal(lc_array_init(a, 3, 0), 0);
  a->length = n;
  set_validity(a, f, n, o);
  uint8_t *offs = lc_malloc_aligned((size_t)(n + 1) * 8);
  lc_buf d = {0};
  int64_t pos = 0;
  for (int64_t i = 0; i < n; i++) {
    if (large) ((int64_t *)offs)[i] = pos;
    else ((int32_t *)offs)[i] = (int32_t)pos;
    int len;
    char tmp[64];
    if (o->card > 0) {
      len = snprintf(tmp, sizeof tmp, "value-%d", (int)(rnd() % (uint64_t)o->card));
      lc_buf_append(&d, tmp, (size_t)len);
    } else {
      len = (int)(rnd() % (uint64_t)(o->max_len + 1));
      for (int k = 0; k < len; k++) {
        uint8_t c = (uint8_t)('a' + rnd() % 8);
        lc_buf_append(&d, &c, 1);
      }
    }
    pos += len;
  }
  if (large) ((int64_t *)offs)[n] = pos;
  else ((int32_t *)offs)[n] = (int32_t)pos;
  lc_array_set_buffer(a, 1, offs);
  uint8_t *data = lc_malloc_aligned(d.len + 1);
  if (d.len) memcpy(data, d.data, d.len);
  lc_buf_free(&d);
  lc_array_set_buffer(a, 2, data);
}

static void gen(const lc_field *f, int64_t n, const genopt *o, struct ArrowArray *a) {
  switch (f->type) {
    case LC_T_NULL:
      assert_int_equal(lc_array_init(a, 0, 0), 0);
      a->length = n;
      a->null_count = n;
      return;
    case LC_T_BOOL: {
      assert_int_equal(lc_array_init(a, 2, 0), 0);
      a->length = n;
      set_validity(a, f, n, o);
      uint8_t *b = lc_malloc_aligned(lc_bitmap_bytes(n) + 8);
      for (size_t i = 0; i < lc_bitmap_bytes(n) + 8; i++) b[i] = o->mode == 4 ? 0xff : (uint8_t)rnd();
      lc_array_set_buffer(a, 1, b);
      return;
    }
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY: gen_var(f, n, o, a); return;
    case LC_T_FIXED_LIST: {
      assert_int_equal(lc_array_init(a, 1, 1), 0);
      a->length = n;
      set_validity(a, f, n, o);
      genopt o2 = *o;
      if (f->children[0]->type == LC_T_FIXED_LIST ? o->fsl_inner == 0 : o->fsl_inner == 2) o2.null_p = 0;
      gen(f->children[0], n * f->width, &o2, a->children[0]);
      return;
    }
    case LC_T_STRUCT: {
      assert_int_equal(lc_array_init(a, 1, (int64_t)f->n_children), 0);
      a->length = n;
      set_validity(a, f, n, o);
      for (size_t i = 0; i < f->n_children; i++) gen(f->children[i], n, o, a->children[i]);
      return;
    }
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_MAP: {
      bool large = f->type == LC_T_LARGE_LIST;
      assert_int_equal(lc_array_init(a, 2, 1), 0);
      a->length = n;
      set_validity(a, f, n, o);
      uint8_t *offs = lc_malloc_aligned((size_t)(n + 1) * 8);
      int64_t pos = 0;
      const uint8_t *v = a->buffers[0];
      for (int64_t i = 0; i < n; i++) {
        if (large) ((int64_t *)offs)[i] = pos;
        else ((int32_t *)offs)[i] = (int32_t)pos;
        int len = (int)(rnd() % 5);
        if (v && !lc_bit_get(v, i) && rnd() % 2) len = 0; /* null lists: sometimes garbage children */
        pos += len;
      }
      if (large) ((int64_t *)offs)[n] = pos;
      else ((int32_t *)offs)[n] = (int32_t)pos;
      lc_array_set_buffer(a, 1, offs);
      gen(f->children[0], pos, o, a->children[0]);
      return;
    }
    case LC_T_DICT: {
      assert_int_equal(lc_array_init(a, 2, 0), 0);
      a->length = n;
      set_validity(a, f, n, o);
      int64_t nd = 1 + (int64_t)(rnd() % 20);
      int kw = f->dict_key == LC_T_INT8 || f->dict_key == LC_T_UINT8 ? 1 : f->dict_key == LC_T_INT16 || f->dict_key == LC_T_UINT16 ? 2 : f->dict_key == LC_T_INT32 || f->dict_key == LC_T_UINT32 ? 4 : 8;
      uint8_t *k = lc_malloc_aligned((size_t)n * (size_t)kw + 8);
      for (int64_t i = 0; i < n; i++) {
        uint64_t x = rnd() % (uint64_t)nd;
        memcpy(k + i * kw, &x, (size_t)kw);
      }
      lc_array_set_buffer(a, 1, k);
      struct ArrowArray d;
      genopt o2 = *o;
      o2.null_p = 0;
      o2.card = 0;
      gen(f->dict_value, nd, &o2, &d);
      assert_int_equal(lc_array_set_dictionary(a, &d), 0);
      return;
    }
    default: {
      int bits = lc_type_bit_width(f);
      assert_true(bits >= 8);
      size_t b = (size_t)bits / 8;
      assert_int_equal(lc_array_init(a, 2, 0), 0);
      a->length = n;
      set_validity(a, f, n, o);
      uint8_t *d = lc_malloc_aligned((size_t)n * b + 8);
      for (int64_t i = 0; i < n; i++) {
        for (size_t k = 0; k < b; k += 8) {
          uint64_t x = o->mode == 1 ? rnd() % 100 : o->mode == 2 ? (uint64_t)(o->seq + i)
                     : o->mode == 3 ? (uint64_t)(o->seq + i) / 300 : o->mode == 4 ? 7 : rnd();
          if (k) x = o->mode ? 0 : rnd();
          memcpy(d + i * b + k, &x, b - k < 8 ? b - k : 8);
        }
      }
      lc_array_set_buffer(a, 1, d);
      return;
    }
  }
}

/* ---- comparison (logical, honours offsets) ---- */
static bool valid_at(const struct ArrowArray *a, int64_t p) {
  if (a->n_buffers == 0) return false; /* null type */
  return !(a->null_count != 0 && a->buffers[0] && !lc_bit_get(a->buffers[0], p));
}
static int64_t off(const struct ArrowArray *a, bool large, int64_t p) {
  return large ? ((const int64_t *)a->buffers[1])[p] : ((const int32_t *)a->buffers[1])[p];
}
static int64_t key(const lc_field *f, const struct ArrowArray *a, int64_t p) {
  switch (f->dict_key) {
    case LC_T_INT8: return ((const int8_t *)a->buffers[1])[p];
    case LC_T_UINT8: return ((const uint8_t *)a->buffers[1])[p];
    case LC_T_INT16: return ((const int16_t *)a->buffers[1])[p];
    case LC_T_UINT16: return ((const uint16_t *)a->buffers[1])[p];
    case LC_T_INT32: return ((const int32_t *)a->buffers[1])[p];
    case LC_T_UINT32: return ((const uint32_t *)a->buffers[1])[p];
    default: return ((const int64_t *)a->buffers[1])[p];
  }
}

/* element i (logical) of a vs element j of b */
static void cmp(const lc_field *f, const struct ArrowArray *a, int64_t i, const struct ArrowArray *b, int64_t j,
                const char *path, int64_t row) {
  int64_t pa = a->offset + i, pb = b->offset + j;
  if (f->type == LC_T_NULL) return;
  bool va = valid_at(a, pa), vb = valid_at(b, pb);
  if (va != vb) fail_msg("%s row %lld: validity %d vs %d", path, (long long)row, va, vb);
  if (!va) return;
  switch (f->type) {
    case LC_T_BOOL:
      if (lc_bit_get(a->buffers[1], pa) != lc_bit_get(b->buffers[1], pb))
        fail_msg("%s row %lld: bool differs", path, (long long)row);
      return;
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY: {
      bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
      int64_t as = off(a, large, pa), ae = off(a, large, pa + 1), bs = off(b, large, pb), be = off(b, large, pb + 1);
      if (ae - as != be - bs || memcmp((const uint8_t *)a->buffers[2] + as, (const uint8_t *)b->buffers[2] + bs, (size_t)(ae - as)))
        fail_msg("%s row %lld: bytes differ (len %lld vs %lld)", path, (long long)row, (long long)(ae - as), (long long)(be - bs));
      return;
    }
    case LC_T_FIXED_LIST:
      for (int64_t k = 0; k < f->width; k++)
        cmp(f->children[0], a->children[0], pa * f->width + k, b->children[0], pb * f->width + k, path, row);
      return;
    case LC_T_STRUCT:
      for (size_t k = 0; k < f->n_children; k++) cmp(f->children[k], a->children[k], pa, b->children[k], pb, path, row);
      return;
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_MAP: {
      bool large = f->type == LC_T_LARGE_LIST;
      int64_t as = off(a, large, pa), ae = off(a, large, pa + 1), bs = off(b, large, pb), be = off(b, large, pb + 1);
      if (ae - as != be - bs) fail_msg("%s row %lld: list length %lld vs %lld", path, (long long)row, (long long)(ae - as), (long long)(be - bs));
      for (int64_t k = 0; k < ae - as; k++) cmp(f->children[0], a->children[0], as + k, b->children[0], bs + k, path, row);
      return;
    }
    case LC_T_DICT:
      cmp(f->dict_value, a->dictionary, key(f, a, pa), b->dictionary, key(f, b, pb), path, row);
      return;
    default: {
      size_t w = (size_t)lc_type_bit_width(f) / 8;
      if (memcmp((const uint8_t *)a->buffers[1] + pa * w, (const uint8_t *)b->buffers[1] + pb * w, w))
        fail_msg("%s row %lld: value differs", path, (long long)row);
      return;
    }
  }
}

/* ---- write + read back ---- */
typedef struct wcase {
  pbs p;
  int minor;
  int n_batches;
  int64_t rows[16];
  genopt opt;
  double batch_null_p[16]; /* > 0: overrides opt.null_p for that batch */
  uint64_t expect_max_bytes; /* 0 = no check */
} wcase;

static void run_case(wcase *tc) {
  lancec_error err = {0};
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, tc->p.ptrs, tc->p.n, NULL, 0, &err), &err);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "x.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, (uint16_t)tc->minor};
  assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
  struct ArrowArray batches[16];
  const struct ArrowArray *cols[16];
  int64_t total = 0;
  for (int b = 0; b < tc->n_batches; b++) {
    struct ArrowArray colv[32];
    genopt go = tc->opt;
    go.seq = total;
    if (tc->batch_null_p[b] > 0) go.null_p = tc->batch_null_p[b];
    for (size_t i = 0; i < s->n_fields; i++) gen(s->fields[i], tc->rows[b], &go, &colv[i]);
    for (size_t i = 0; i < s->n_fields; i++) assert_ok(lc_array_validate(s->fields[i], &colv[i], &err), &err);
    assert_ok(lc_array_make_batch(colv, s->n_fields, tc->rows[b], &batches[b], &err), &err);
    assert_ok(lc_file_writer_write(w, &batches[b], &err), &err);
    total += tc->rows[b];
  }
  assert_int_equal(lc_file_writer_rows(w), (uint64_t)total);
  uint64_t nrows = 0, fsize = 0;
  assert_ok(lc_file_writer_finish(w, &nrows, &fsize, &err), &err);
  assert_int_equal(nrows, (uint64_t)total);
  if (tc->expect_max_bytes) {
    if (fsize > tc->expect_max_bytes) fail_msg("file is %llu bytes, expected <= %llu", (unsigned long long)fsize, (unsigned long long)tc->expect_max_bytes);
  }
  lc_file *f = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_int_equal(lc_file_num_rows(f), (uint64_t)total);
  uint16_t mj, mn;
  lc_file_version(f, &mj, &mn);
  assert_int_equal(mj, 2);
  assert_int_equal(mn, tc->minor);
  lc_schema *fs = NULL;
  assert_ok(lc_file_schema(f, &fs, &err), &err);
  assert_int_equal(fs->n_fields, s->n_fields);
  for (size_t i = 0; i < s->n_fields; i++) {
    assert_string_equal(fs->fields[i]->name, s->fields[i]->name);
    assert_string_equal(fs->fields[i]->logical_type, s->fields[i]->logical_type);
    assert_int_equal(fs->fields[i]->id, s->fields[i]->id);
  }
  lc_schema_free(fs);
  lc_file_colmap_storage st;
  lc_file_colmap map;
  assert_ok(lc_file_colmap_from_schema(s, &st, &map, &err), &err);
  assert_int_equal(lc_file_num_columns(f), map.n);
  for (size_t i = 0; i < s->n_fields; i++) {
    const lc_field *fld = s->fields[i];
    lc_field_reader *r = NULL;
    assert_ok(lc_field_reader_new(&r, f, fld, &map, &err), &err);
    struct ArrowArray got;
    assert_ok(lc_field_reader_read(r, 0, (uint64_t)total, &got, &err), &err);
    assert_ok(lc_array_validate(fld, &got, &err), &err);
    assert_int_equal(got.length, total);
    int64_t row = 0;
    for (int b = 0; b < tc->n_batches; b++) {
      const struct ArrowArray *src = batches[b].children[i];
      for (int64_t k = 0; k < src->length; k++, row++) cmp(fld, src, k, &got, row, fld->name, row);
    }
    /* random access */
    if (total > 3) {
      uint64_t rows[3] = {0, (uint64_t)total / 2, (uint64_t)total - 1};
      struct ArrowArray t;
      assert_ok(lc_field_reader_take(r, rows, 3, &t, &err), &err);
      int64_t bi = 0, base = 0;
      for (int q = 0; q < 3; q++) {
        bi = 0, base = 0;
        while (base + batches[bi].length <= (int64_t)rows[q]) base += batches[bi++].length;
        cmp(fld, batches[bi].children[i], (int64_t)rows[q] - base, &t, q, fld->name, (int64_t)rows[q]);
      }
      lc_array_release(&t);
    }
    lc_array_release(&got);
    lc_field_reader_free(r);
  }
  (void)cols;
  lc_file_colmap_free(&st);
  lc_file_free(f);
  for (int b = 0; b < tc->n_batches; b++) lc_array_release(&batches[b]);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

static void both_versions(wcase *tc) {
  for (int m = 1; m <= 2; m++) {
    tc->minor = m;
    uint64_t save = rng;
    run_case(tc);
    rng = save ^ (uint64_t)m * 0x1234567;
  }
}

/* ---- cases ---- */

static void primitives_schema(pbs *p) {
  memset(p, 0, sizeof *p);
  static const char *lts[] = {"bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                              "halffloat", "float", "double", "date32:day", "date64:ms", "time32:ms", "time64:us",
                              "timestamp:us:UTC", "timestamp:ns:-", "duration:ms", "decimal:128:20:3",
                              "decimal:256:40:5", "fixed_size_binary:6", "fixed_size_binary:16", "null"};
  static char names[32][8];
  for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
    snprintf(names[i], sizeof names[i], "c%zu", i);
    add(p, names[i], (int)i, -1, lts[i], 1);
  }
}

static void test_primitives(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  primitives_schema(&tc.p);
  tc.n_batches = 3;
  tc.rows[0] = 1000, tc.rows[1] = 1, tc.rows[2] = 5000;
  tc.opt.null_p = 0.2;
  both_versions(&tc);
  tc.opt.null_p = 0;
  tc.opt.mode = 1; /* small ints: bitpacking */
  both_versions(&tc);
  tc.opt.mode = 2; /* sequential */
  tc.opt.null_p = 0.01;
  both_versions(&tc);
  tc.opt.mode = 3; /* runs: RLE, 128-bit dictionaries */
  both_versions(&tc);
  tc.opt.mode = 4; /* constants: 2.2 constant pages */
  tc.opt.null_p = 0.1;
  both_versions(&tc);
  tc.opt.null_p = 0;
  both_versions(&tc);
  tc.opt.null_p = 1.0; /* all null */
  both_versions(&tc);
}

static void test_strings(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "s", 0, -1, "string", 1);
  add(&tc.p, "ls", 1, -1, "large_string", 1);
  add(&tc.p, "b", 2, -1, "binary", 1);
  add(&tc.p, "lb", 3, -1, "large_binary", 0);
  tc.n_batches = 2;
  tc.rows[0] = 3000, tc.rows[1] = 777;
  tc.opt.null_p = 0.1;
  tc.opt.max_len = 20;
  both_versions(&tc);
  tc.opt.max_len = 600; /* >= 256: full-zip */
  both_versions(&tc);
  tc.opt.max_len = 0;
  tc.opt.card = 7; /* dictionary */
  both_versions(&tc);
  tc.opt.card = 1; /* constant */
  both_versions(&tc);
  /* > 32 KiB values: per-value zstd */
  tc.opt.card = 0;
  tc.opt.max_len = 70000;
  tc.rows[0] = 20, tc.rows[1] = 5;
  both_versions(&tc);
}

static void test_dictionary_arrays(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "d", 0, -1, "dict:string:int32:false", 1);
  add(&tc.p, "d8", 1, -1, "dict:string:int8:false", 1);
  add(&tc.p, "di", 2, -1, "dict:int64:int16:false", 1);
  tc.n_batches = 3;
  tc.rows[0] = 500, tc.rows[1] = 10, tc.rows[2] = 300;
  tc.opt.null_p = 0.1;
  tc.opt.max_len = 12;
  both_versions(&tc);
}

static void test_fsl(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "v", 0, -1, "fixed_size_list:float:128", 1);
  add(&tc.p, "v4", 1, -1, "fixed_size_list:float:4", 1);
  add(&tc.p, "v8", 2, -1, "fixed_size_list:int64:3", 0);
  add(&tc.p, "vv", 3, -1, "fixed_size_list:fixed_size_list:int16:2:3", 1);
  tc.n_batches = 2;
  tc.rows[0] = 1500, tc.rows[1] = 600;
  tc.opt.null_p = 0.1;
  both_versions(&tc);
  tc.opt.null_p = 0;
  both_versions(&tc);
}

/* per-layer item validity: null inner lists and null leaves */
static void test_fsl_inner_nulls(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "vv", 0, -1, "fixed_size_list:fixed_size_list:float:2:3", 1);     /* mini-block */
  add(&tc.p, "vz", 1, -1, "fixed_size_list:fixed_size_list:float:16:8", 1);    /* 512-byte rows: full-zip */
  add(&tc.p, "v3", 2, -1, "fixed_size_list:fixed_size_list:fixed_size_list:int16:2:3:2", 0);
  add(&tc.p, "v5", 3, -1, "fixed_size_list:fixed_size_list:int8:5:3", 1);      /* odd cumulative dims */
  add(&tc.p, "vy", 4, -1, "fixed_size_list:fixed_size_list:double:9:5", 1);    /* 360-byte rows: full-zip */
  tc.n_batches = 3;
  tc.rows[0] = 1500, tc.rows[1] = 1, tc.rows[2] = 700;
  tc.opt.fsl_inner = 1;
  tc.opt.null_p = 0.1;
  both_versions(&tc);
  tc.batch_null_p[0] = 1e-12; /* the first batch without nulls: bitmaps start lazily */
  both_versions(&tc);
  tc.batch_null_p[0] = 0;
  tc.opt.fsl_inner = 2; /* only the inner lists have nulls */
  tc.opt.null_p = 0.2;
  both_versions(&tc);
}

static void test_nested(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  pbs *p = &tc.p;
  add(p, "li", 0, -1, "list", 1);
  add(p, "item", 1, 0, "int32", 1);
  add(p, "lls", 2, -1, "large_list", 1);
  add(p, "item", 3, 2, "string", 1);
  add(p, "st", 4, -1, "struct", 1);
  add(p, "a", 5, 4, "int32", 1);
  add(p, "b", 6, 4, "string", 1);
  add(p, "lst", 7, -1, "list", 1);
  add(p, "item", 8, 7, "struct", 1);
  add(p, "x", 9, 8, "double", 1);
  add(p, "y", 10, 8, "bool", 1);
  add(p, "stl", 11, -1, "struct", 1);
  add(p, "l", 12, 11, "list", 1);
  add(p, "item", 13, 12, "int64", 1);
  add(p, "z", 14, 11, "int32", 1);
  add(p, "lli", 15, -1, "list", 1);
  add(p, "item", 16, 15, "list", 1);
  add(p, "item", 17, 16, "int16", 1);
  add(p, "lfsl", 18, -1, "list", 1);
  add(p, "item", 19, 18, "fixed_size_list:float:70", 1);
  add(p, "lstr", 20, -1, "list", 0);
  add(p, "item", 21, 20, "string", 0);
  add(p, "pk", 22, -1, "struct", 1);
  add_md(p, "lance-encoding:packed", "true");
  add(p, "a", 23, 22, "int16", 0);
  add(p, "b", 24, 22, "double", 0);
  add(p, "c", 25, 22, "fixed_size_binary:3", 0);
  tc.n_batches = 3;
  tc.rows[0] = 2000, tc.rows[1] = 3, tc.rows[2] = 1200;
  tc.opt.null_p = 0.15;
  tc.opt.max_len = 10;
  both_versions(&tc);
  tc.opt.null_p = 0;
  both_versions(&tc);
  tc.opt.max_len = 400;
  tc.opt.null_p = 0.3;
  both_versions(&tc);
  tc.opt.mode = 4; /* constant leaves under lists / structs */
  tc.opt.card = 1;
  both_versions(&tc);
}

/* > 65 535 invisible levels before the first item of a page: the mini-block
 * chunk cannot hold them, the page falls back to full-zip. */
static void test_long_null_runs(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  pbs *p = &tc.p;
  add(p, "li", 0, -1, "list", 1);
  add(p, "item", 1, 0, "int64", 1);
  add(p, "ls", 2, -1, "list", 1);
  add(p, "item", 3, 2, "string", 1);
  tc.n_batches = 3;
  tc.rows[0] = 70000, tc.rows[1] = 300, tc.rows[2] = 70000;
  tc.batch_null_p[0] = 1.0, tc.batch_null_p[1] = 0.01, tc.batch_null_p[2] = 1.0;
  tc.opt.max_len = 10;
  both_versions(&tc);
}

static void test_map(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  pbs *p = &tc.p;
  add(p, "m", 0, -1, "map", 1);
  add(p, "entries", 1, 0, "struct", 0);
  add(p, "key", 2, 1, "string", 0);
  add(p, "value", 3, 1, "int32", 1);
  tc.n_batches = 2;
  tc.rows[0] = 700, tc.rows[1] = 300;
  tc.opt.null_p = 0.2;
  tc.opt.max_len = 8;
  tc.minor = 2;
  run_case(&tc);
  /* 2.1 refuses map */
  lancec_error err = {0};
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, p->ptrs, p->n, NULL, 0, &err), &err);
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, 1};
  assert_int_equal(lc_file_writer_new(&w, io, "/nonexistent/x.lance", s, &o, &err), LANCEC_EUNSUPPORTED);
  lc_io_unref(io);
  lc_schema_free(s);
}

static void test_big_pages(void **state) {
  (void)state;
  /* the benchmark shape: several pages per column, size bound */
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "id", 0, -1, "int64", 0);
  add(&tc.p, "score", 1, -1, "double", 1);
  add(&tc.p, "name", 2, -1, "string", 1);
  add(&tc.p, "vec", 3, -1, "fixed_size_list:float:128", 1);
  tc.n_batches = 3;
  tc.rows[0] = 20000, tc.rows[1] = 20000, tc.rows[2] = 5000;
  tc.opt.mode = 2;
  tc.opt.max_len = 12;
  /* raw: 45000 * (8 + 8 + ~6+4 + 512) */
  tc.expect_max_bytes = 45000ull * 540;
  both_versions(&tc);
}

static void test_errors(void **state) {
  (void)state;
  lancec_error err = {0};
  pbs p;
  memset(&p, 0, sizeof p);
  add(&p, "a", 0, -1, "int32", 0);
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), &err);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "e.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  assert_ok(lc_file_writer_new(&w, io, path, s, NULL, &err), &err);
  /* a null in a non-nullable column */
  struct ArrowArray col, batch;
  lc_field tmp = *s->fields[0];
  tmp.nullable = true;
  genopt go = {.null_p = 0.5};
  gen(&tmp, 100, &go, &col);
  assert_ok(lc_array_make_batch(&col, 1, 100, &batch, &err), &err);
  assert_int_equal(lc_file_writer_write(w, &batch, &err), LANCEC_ETYPE);
  assert_non_null(strstr(err.message, "'a'"));
  lc_array_release(&batch);
  lc_file_writer_abort(w);
  lc_io_entry e;
  assert_int_equal(io->m->stat(io, path, &e, &err), LANCEC_ENOTFOUND);
  /* an empty file (0 rows) */
  assert_ok(lc_file_writer_new(&w, io, path, s, NULL, &err), &err);
  uint64_t nr = 1, sz = 0;
  assert_ok(lc_file_writer_finish(w, &nr, &sz, &err), &err);
  assert_int_equal(nr, 0);
  lc_file *f = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_int_equal(lc_file_num_rows(f), 0);
  lc_file_free(f);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

/* ---- blobs ---- */

/* large_binary blob payloads: null (where allowed), empty, small, ~100 KB */
static void gen_blob_bytes(int64_t n, bool nulls, uint8_t *row_null, struct ArrowArray *a) {
  assert_int_equal(lc_array_init(a, 3, 0), 0);
  a->length = n;
  uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n) + 8);
  memset(v, 0xff, lc_bitmap_bytes(n) + 8);
  int64_t *offs = lc_malloc_aligned((size_t)(n + 1) * 8);
  lc_buf d = {0};
  a->null_count = 0;
  for (int64_t i = 0; i < n; i++) {
    offs[i] = (int64_t)d.len;
    double x = rndf();
    row_null[i] = 0;
    size_t len;
    if (nulls && x < 0.1) {
      lc_bit_clear(v, i);
      a->null_count++;
      row_null[i] = 1;
      continue;
    } else if (x < 0.2) {
      len = 0;
    } else if (x < 0.21 || i == 7) {
      len = 100000 + (size_t)(rnd() % 3000);
    } else {
      len = 1 + (size_t)(rnd() % 300);
    }
    size_t at = d.len;
    assert_int_equal(lc_buf_reserve(&d, len), 0);
    for (size_t k = 0; k < len; k++) d.data[at + k] = (uint8_t)rnd();
    d.len += len;
  }
  offs[n] = (int64_t)d.len;
  if (a->null_count) lc_array_set_buffer(a, 0, v);
  else lc_free(v);
  lc_array_set_buffer(a, 1, offs);
  uint8_t *data = lc_malloc_aligned(d.len + 1);
  if (d.len) memcpy(data, d.data, d.len);
  lc_buf_free(&d);
  lc_array_set_buffer(a, 2, data);
}

/* blob v2 struct{data, uri}: the struct null where the payload is, uri all null */
static void gen_blob_v2(int64_t n, bool nulls, struct ArrowArray *a) {
  uint8_t *rn = malloc((size_t)n + 1);
  assert_int_equal(lc_array_init(a, 1, 2), 0);
  a->length = n;
  gen_blob_bytes(n, nulls, rn, a->children[0]);
  struct ArrowArray *u = a->children[1];
  assert_int_equal(lc_array_init(u, 3, 0), 0);
  u->length = n;
  u->null_count = n;
  uint8_t *uv = lc_malloc_aligned(lc_bitmap_bytes(n) + 8);
  memset(uv, 0, lc_bitmap_bytes(n) + 8);
  lc_array_set_buffer(u, 0, uv);
  int32_t *uo = lc_malloc_aligned((size_t)(n + 1) * 4);
  memset(uo, 0, (size_t)(n + 1) * 4);
  lc_array_set_buffer(u, 1, uo);
  lc_array_set_buffer(u, 2, lc_malloc_aligned(8));
  a->null_count = 0;
  if (nulls) {
    uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n) + 8);
    memset(v, 0xff, lc_bitmap_bytes(n) + 8);
    for (int64_t i = 0; i < n; i++)
      if (rn[i]) lc_bit_clear(v, i), a->null_count++;
    lc_array_set_buffer(a, 0, v);
  }
  free(rn);
}

/* writes batches of (id int32, blob columns...) and reads every column back */
static void blob_roundtrip(pbs *p, int minor, int kind /* 1 legacy, 2 v2 */) {
  lancec_error err = {0};
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, p->ptrs, p->n, NULL, 0, &err), &err);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "blob.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, (uint16_t)minor};
  assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
  static const int64_t rows[3] = {40, 1, 17000};
  struct ArrowArray batches[3];
  int64_t total = 0;
  for (int b = 0; b < 3; b++) {
    struct ArrowArray colv[8];
    genopt go = {.mode = 2, .seq = total};
    for (size_t i = 0; i < s->n_fields; i++) {
      const lc_field *f = s->fields[i];
      if (f->type == LC_T_INT32) gen(f, rows[b], &go, &colv[i]);
      else if (kind == 2) gen_blob_v2(rows[b], f->nullable, &colv[i]);
      else {
        uint8_t *rn = malloc((size_t)rows[b] + 1);
        gen_blob_bytes(rows[b], f->nullable, rn, &colv[i]);
        free(rn);
      }
      assert_ok(lc_array_validate(f, &colv[i], &err), &err);
    }
    assert_ok(lc_array_make_batch(colv, s->n_fields, rows[b], &batches[b], &err), &err);
    assert_ok(lc_file_writer_write(w, &batches[b], &err), &err);
    total += rows[b];
  }
  uint64_t nrows = 0, fsize = 0;
  assert_ok(lc_file_writer_finish(w, &nrows, &fsize, &err), &err);
  assert_int_equal(nrows, (uint64_t)total);
  lc_file *f = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  lc_file_colmap_storage st;
  lc_file_colmap map;
  assert_ok(lc_file_colmap_from_schema(s, &st, &map, &err), &err);
  assert_int_equal(map.n, s->n_fields); /* one column per blob field */
  assert_int_equal(lc_file_num_columns(f), map.n);
  for (size_t i = 0; i < s->n_fields; i++) {
    const lc_field *fld = s->fields[i];
    lc_field_reader *r = NULL;
    assert_ok(lc_field_reader_new(&r, f, fld, &map, &err), &err);
    struct ArrowArray got;
    assert_ok(lc_field_reader_read(r, 0, (uint64_t)total, &got, &err), &err);
    assert_ok(lc_array_validate(fld, &got, &err), &err);
    assert_int_equal(got.length, total);
    int64_t row = 0;
    for (int b = 0; b < 3; b++) {
      const struct ArrowArray *src = batches[b].children[i];
      for (int64_t k = 0; k < src->length; k++, row++) cmp(fld, src, k, &got, row, fld->name, row);
    }
    uint64_t tr[4] = {0, 7, 41, (uint64_t)total - 1};
    struct ArrowArray t;
    assert_ok(lc_field_reader_take(r, tr, 4, &t, &err), &err);
    for (int q = 0; q < 4; q++) {
      int bi = 0;
      int64_t base = 0;
      while (base + batches[bi].length <= (int64_t)tr[q]) base += batches[bi++].length;
      cmp(fld, batches[bi].children[i], (int64_t)tr[q] - base, &t, q, fld->name, (int64_t)tr[q]);
    }
    lc_array_release(&t);
    lc_array_release(&got);
    lc_field_reader_free(r);
  }
  lc_file_colmap_free(&st);
  lc_file_free(f);
  for (int b = 0; b < 3; b++) lc_array_release(&batches[b]);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

static void blob_v2_schema(pbs *p) {
  memset(p, 0, sizeof *p);
  add(p, "id", 0, -1, "int32", 0);
  add(p, "b", 1, -1, "struct", 1);
  add_md(p, "ARROW:extension:name", "lance.blob.v2");
  add(p, "data", 2, 1, "large_binary", 1);
  add(p, "uri", 3, 1, "string", 1);
  add(p, "bn", 4, -1, "struct", 0);
  add_md(p, "ARROW:extension:name", "lance.blob.v2");
  add(p, "data", 5, 4, "large_binary", 1);
  add(p, "uri", 6, 4, "string", 1);
}

static void test_blob_v2(void **state) {
  (void)state;
  pbs p;
  blob_v2_schema(&p);
  blob_roundtrip(&p, 2, 2);
  /* blob v2 needs 2.2; external blobs (uri, no data) are refused */
  lancec_error err = {0};
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), &err);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "e.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o21 = {2, 1};
  assert_int_equal(lc_file_writer_new(&w, io, path, s, &o21, &err), LANCEC_EUNSUPPORTED);
  assert_ok(lc_file_writer_new(&w, io, path, s, NULL, &err), &err);
  struct ArrowArray cols[3], batch;
  genopt go = {.mode = 2};
  gen(s->fields[0], 4, &go, &cols[0]);
  gen_blob_v2(4, true, &cols[1]);
  gen_blob_v2(4, false, &cols[2]);
  /* row 2 of b: valid struct, null data, uri "s3://x" */
  struct ArrowArray *b = &cols[1], *d = b->children[0], *u = b->children[1];
  if (b->buffers[0]) lc_bit_set((uint8_t *)b->buffers[0], 2);
  if (!d->buffers[0]) {
    uint8_t *v = lc_malloc_aligned(16);
    memset(v, 0xff, 16);
    lc_array_set_buffer(d, 0, v);
    d->null_count = 0;
  }
  lc_bit_clear((uint8_t *)d->buffers[0], 2);
  d->null_count++;
  int64_t *dof = (int64_t *)d->buffers[1];
  for (int k = 3; k <= 4; k++) dof[k] = dof[2];
  lc_bit_set((uint8_t *)u->buffers[0], 2);
  u->null_count--;
  int32_t *uo = (int32_t *)u->buffers[1];
  uo[3] = uo[4] = 6;
  lc_free((void *)u->buffers[2]);
  uint8_t *ud = lc_malloc_aligned(8);
  memcpy(ud, "s3://x", 6);
  u->buffers[2] = ud;
  b->null_count = b->buffers[0] ? lc_bits_count_zero(b->buffers[0], 0, 4) : 0;
  assert_ok(lc_array_make_batch(cols, 3, 4, &batch, &err), &err);
  assert_int_equal(lc_file_writer_write(w, &batch, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "external blob"));
  lc_array_release(&batch);
  lc_file_writer_abort(w);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

static void test_blob_legacy(void **state) {
  (void)state;
  pbs p;
  memset(&p, 0, sizeof p);
  add(&p, "id", 0, -1, "int32", 0);
  add(&p, "blob", 1, -1, "large_binary", 1);
  add_md(&p, "lance-encoding:blob", "true");
  add(&p, "blob_nn", 2, -1, "large_binary", 0);
  add_md(&p, "lance-encoding:blob", "true");
  blob_roundtrip(&p, 1, 1);
  blob_roundtrip(&p, 2, 1);
}

/* Tool mode for the interop check (tests/file/writer_interop.mjs):
 *   test_writer --rewrite IN OUT MINOR
 * reads every column of the Lance data file IN with the reader and writes
 * the same rows with the writer to OUT (file format 2.MINOR). */
static int rewrite(const char *in, const char *out, int minor) {
  lancec_error err = {0};
  lc_io *io = NULL;
  lc_file *f = NULL;
  lc_schema *s = NULL;
  lc_file_writer *w = NULL;
  lc_file_colmap_storage st;
  lc_file_colmap map;
  if (lc_io_local_new(&io, &err) || lc_file_open(&f, io, in, 0, &err) || lc_file_schema(f, &s, &err) ||
      lc_file_colmap_from_schema(s, &st, &map, &err)) {
    fprintf(stderr, "rewrite: %s\n", err.message);
    return 1;
  }
  lc_file_writer_options o = {2, (uint16_t)minor};
  if (lc_file_writer_new(&w, io, out, s, &o, &err)) {
    fprintf(stderr, "rewrite: %s\n", err.message);
    return 1;
  }
  uint64_t n = lc_file_num_rows(f), step = 100000;
  int64_t wns = 0;
  for (uint64_t r = 0; r < n; r += step) {
    uint64_t cnt = n - r < step ? n - r : step;
    struct ArrowArray cols[64];
    for (size_t i = 0; i < s->n_fields; i++) {
      lc_field_reader *rd = NULL;
      if (lc_field_reader_new(&rd, f, s->fields[i], &map, &err) ||
          lc_field_reader_read(rd, r, cnt, &cols[i], &err)) {
        fprintf(stderr, "rewrite: read: %s\n", err.message);
        return 1;
      }
      lc_field_reader_free(rd);
    }
    struct ArrowArray batch;
    int64_t t0 = lc_now_ns();
    if (lc_array_make_batch(cols, s->n_fields, (int64_t)cnt, &batch, &err) || lc_file_writer_write(w, &batch, &err)) {
      fprintf(stderr, "rewrite: write: %s\n", err.message);
      return 1;
    }
    wns += lc_now_ns() - t0;
    lc_array_release(&batch);
  }
  uint64_t rows, size;
  int64_t t1 = lc_now_ns();
  if (lc_file_writer_finish(w, &rows, &size, &err)) {
    fprintf(stderr, "rewrite: finish: %s\n", err.message);
    return 1;
  }
  wns += lc_now_ns() - t1;
  fprintf(stderr, "rewrite: writer time %.3f s\n", (double)wns / 1e9);
  printf("%llu %llu\n", (unsigned long long)rows, (unsigned long long)size);
  lc_file_colmap_free(&st);
  lc_schema_free(s);
  lc_file_free(f);
  lc_io_unref(io);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "--rewrite") == 0) return rewrite(argv[2], argv[3], atoi(argv[4]));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_primitives), cmocka_unit_test(test_strings),   cmocka_unit_test(test_dictionary_arrays),
      cmocka_unit_test(test_fsl),        cmocka_unit_test(test_fsl_inner_nulls), cmocka_unit_test(test_nested),
      cmocka_unit_test(test_map),        cmocka_unit_test(test_big_pages),       cmocka_unit_test(test_errors),
      cmocka_unit_test(test_long_null_runs), cmocka_unit_test(test_blob_v2), cmocka_unit_test(test_blob_legacy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
