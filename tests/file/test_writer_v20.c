/* Data-file writer, file format 2.0: write random batches of every type the
 * 2.0 writer covers, read them back with the reader (src/file/v20.c) and
 * compare value by value; the worked example of the spec byte for byte;
 * what 2.0 cannot store is refused. Tool mode:
 *   file_test_writer_v20 --rewrite IN OUT
 * reads every column of the data file IN (any version) and writes the same
 * rows to OUT in file format 2.0 (to compare with files real Lance writes). */
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file.h"
#include "file/file_writer.h"
#include "lance_file.pb-c.h"

/* ---- rng ---- */
static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) {
  uint64_t x = rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng = x;
}
static double rndf(void) {
  return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ---- schema building: field_builder.h ---- */
#include "field_builder.h"

/* ---- random arrays ---- */
typedef struct genopt {
  double null_p; /* probability of a null where nullable (structs: never, unless struct_nulls) */
  int max_len;   /* variable-width max length */
  int card;      /* > 0: strings drawn from this many distinct values */
  int mode;      /* 0 random, 1 small ints, 2 sequential, 4 constant */
  int64_t seq;
  bool struct_nulls; /* null structs (refused by the 2.0 writer) */
  bool empty_lists;  /* every list empty */
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
    if (large)
      ((int64_t *)offs)[i] = pos;
    else
      ((int32_t *)offs)[i] = (int32_t)pos;
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
  if (large)
    ((int64_t *)offs)[n] = pos;
  else
    ((int32_t *)offs)[n] = (int32_t)pos;
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
    case LC_T_LARGE_BINARY:
      gen_var(f, n, o, a);
      return;
    case LC_T_FIXED_LIST:
      assert_int_equal(lc_array_init(a, 1, 1), 0);
      a->length = n;
      set_validity(a, f, n, o);
      gen(f->children[0], n * f->width, o, a->children[0]);
      return;
    case LC_T_STRUCT: {
      assert_int_equal(lc_array_init(a, 1, (int64_t)f->n_children), 0);
      a->length = n;
      if (o->struct_nulls) set_validity(a, f, n, o);
      for (size_t i = 0; i < f->n_children; i++) gen(f->children[i], n, o, a->children[i]);
      return;
    }
    case LC_T_LIST:
    case LC_T_LARGE_LIST: {
      bool large = f->type == LC_T_LARGE_LIST;
      assert_int_equal(lc_array_init(a, 2, 1), 0);
      a->length = n;
      set_validity(a, f, n, o);
      uint8_t *offs = lc_malloc_aligned((size_t)(n + 1) * 8);
      int64_t pos = 0;
      for (int64_t i = 0; i < n; i++) {
        if (large)
          ((int64_t *)offs)[i] = pos;
        else
          ((int32_t *)offs)[i] = (int32_t)pos;
        pos += o->empty_lists ? 0 : (int)(rnd() % 5); /* null lists: sometimes garbage children */
      }
      if (large)
        ((int64_t *)offs)[n] = pos;
      else
        ((int32_t *)offs)[n] = (int32_t)pos;
      lc_array_set_buffer(a, 1, offs);
      gen(f->children[0], pos, o, a->children[0]);
      return;
    }
    case LC_T_DICT: {
      assert_int_equal(lc_array_init(a, 2, 0), 0);
      a->length = n;
      set_validity(a, f, n, o);
      int64_t nd = 1 + (int64_t)(rnd() % 20);
      int kw = f->dict_key == LC_T_INT8 || f->dict_key == LC_T_UINT8     ? 1
               : f->dict_key == LC_T_INT16 || f->dict_key == LC_T_UINT16 ? 2
               : f->dict_key == LC_T_INT32 || f->dict_key == LC_T_UINT32 ? 4
                                                                         : 8;
      uint8_t *k = lc_malloc_aligned((size_t)n * (size_t)kw + 8);
      for (int64_t i = 0; i < n; i++) {
        uint64_t x = rnd() % (uint64_t)nd;
        memcpy(k + i * kw, &x, (size_t)kw);
      }
      lc_array_set_buffer(a, 1, k);
      struct ArrowArray d;
      genopt o2 = *o;
      o2.null_p = o->null_p > 0 ? 0.1 : 0; /* null dictionary values too */
      o2.card = 0;
      lc_field dv = *f->dict_value;
      dv.nullable = true;
      gen(&dv, nd, &o2, &d);
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
          uint64_t x = o->mode == 1   ? rnd() % 100
                       : o->mode == 2 ? (uint64_t)(o->seq + i)
                       : o->mode == 4 ? 7
                                      : rnd();
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
    case LC_T_INT8:
      return ((const int8_t *)a->buffers[1])[p];
    case LC_T_UINT8:
      return ((const uint8_t *)a->buffers[1])[p];
    case LC_T_INT16:
      return ((const int16_t *)a->buffers[1])[p];
    case LC_T_UINT16:
      return ((const uint16_t *)a->buffers[1])[p];
    case LC_T_INT32:
      return ((const int32_t *)a->buffers[1])[p];
    case LC_T_UINT32:
      return ((const uint32_t *)a->buffers[1])[p];
    default:
      return ((const int64_t *)a->buffers[1])[p];
  }
}

/* element i (logical) of a vs element j of b */
static void cmp(const lc_field *f, const struct ArrowArray *a, int64_t i, const struct ArrowArray *b,
                int64_t j, const char *path, int64_t row) {
  int64_t pa = a->offset + i, pb = b->offset + j;
  if (f->type == LC_T_NULL) return;
  if (f->type == LC_T_DICT) {
    /* a null key and a key to a null value are the same null */
    bool va = valid_at(a, pa) && valid_at(a->dictionary, a->dictionary->offset + key(f, a, pa));
    bool vb = valid_at(b, pb) && valid_at(b->dictionary, b->dictionary->offset + key(f, b, pb));
    if (va != vb) fail_msg("%s row %lld: validity %d vs %d", path, (long long)row, va, vb);
    if (va) cmp(f->dict_value, a->dictionary, key(f, a, pa), b->dictionary, key(f, b, pb), path, row);
    return;
  }
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
      int64_t as = off(a, large, pa), ae = off(a, large, pa + 1), bs = off(b, large, pb),
              be = off(b, large, pb + 1);
      if (ae - as != be - bs || (ae > as && memcmp((const uint8_t *)a->buffers[2] + as,
                                                   (const uint8_t *)b->buffers[2] + bs, (size_t)(ae - as))))
        fail_msg("%s row %lld: bytes differ (len %lld vs %lld)", path, (long long)row, (long long)(ae - as),
                 (long long)(be - bs));
      return;
    }
    case LC_T_FIXED_LIST:
      for (int64_t k = 0; k < f->width; k++)
        cmp(f->children[0], a->children[0], pa * f->width + k, b->children[0], pb * f->width + k, path, row);
      return;
    case LC_T_STRUCT:
      for (size_t k = 0; k < f->n_children; k++)
        cmp(f->children[k], a->children[k], pa, b->children[k], pb, path, row);
      return;
    case LC_T_LIST:
    case LC_T_LARGE_LIST: {
      bool large = f->type == LC_T_LARGE_LIST;
      int64_t as = off(a, large, pa), ae = off(a, large, pa + 1), bs = off(b, large, pb),
              be = off(b, large, pb + 1);
      if (ae - as != be - bs)
        fail_msg("%s row %lld: list length %lld vs %lld", path, (long long)row, (long long)(ae - as),
                 (long long)(be - bs));
      for (int64_t k = 0; k < ae - as; k++)
        cmp(f->children[0], a->children[0], as + k, b->children[0], bs + k, path, row);
      return;
    }
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
  int n_batches;
  int64_t rows[16];
  genopt opt;
  double batch_null_p[16]; /* > 0: overrides opt.null_p for that batch */
  int64_t shift;           /* > 0: the first batch's columns are views starting at row `shift` */
  int min_pages;           /* > 0: the first column must have at least this many pages */
} wcase;

static lc_schema *schema_of(pbs *p) {
  lancec_error err = {0};
  lc_schema *s = NULL;
  assert_ok(lc_schema_from_pb(&s, p->ptrs, p->n, NULL, 0, &err), &err);
  return s;
}

/* Offsets inside the arrays: a struct's children (or the column itself)
 * start `k` rows into their buffers. */
static void shift_view(const lc_field *f, struct ArrowArray *a, int64_t k) {
  a->length -= k;
  if (f->type == LC_T_STRUCT && a->n_children) {
    for (int64_t c = 0; c < a->n_children; c++) shift_view(f->children[c], a->children[c], k);
    return;
  }
  a->offset += k;
  if (f->type == LC_T_NULL)
    a->null_count = a->length;
  else if (a->null_count && a->buffers[0])
    a->null_count = lc_bits_count_zero(a->buffers[0], a->offset, a->length);
}

static void run_case(wcase *tc) {
  lancec_error err = {0};
  lc_schema *s = schema_of(&tc->p);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "x.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, 0};
  assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
  struct ArrowArray batches[16];
  int64_t total = 0;
  for (int b = 0; b < tc->n_batches; b++) {
    struct ArrowArray colv[32];
    genopt go = tc->opt;
    go.seq = total;
    if (tc->batch_null_p[b] > 0) go.null_p = tc->batch_null_p[b];
    int64_t n = tc->rows[b];
    for (size_t i = 0; i < s->n_fields; i++) {
      gen(s->fields[i], n, &go, &colv[i]);
      if (b == 0 && tc->shift) shift_view(s->fields[i], &colv[i], tc->shift);
      assert_ok(lc_array_validate(s->fields[i], &colv[i], &err), &err);
    }
    if (b == 0 && tc->shift) n -= tc->shift;
    assert_ok(lc_array_make_batch(colv, s->n_fields, n, &batches[b], &err), &err);
    assert_ok(lc_file_writer_write(w, &batches[b], &err), &err);
    total += n;
  }
  assert_int_equal(lc_file_writer_rows(w), (uint64_t)total);
  uint64_t nrows = 0, fsize = 0;
  assert_ok(lc_file_writer_finish(w, &nrows, &fsize, &err), &err);
  assert_int_equal(nrows, (uint64_t)total);
  lc_file *f = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_int_equal(lc_file_num_rows(f), (uint64_t)total);
  uint16_t mj, mn;
  lc_file_version(f, &mj, &mn);
  assert_int_equal(mj, 0);
  assert_int_equal(mn, 3);
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
  assert_ok(lc_file_colmap_v20_from_schema(s, &st, &map, &err), &err);
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
      for (int64_t k = 0; k < batches[b].length; k++, row++) cmp(fld, src, k, &got, row, fld->name, row);
    }
    if (total > 3) {
      uint64_t rows[3] = {0, (uint64_t)total / 2, (uint64_t)total - 1};
      struct ArrowArray t;
      assert_ok(lc_field_reader_take(r, rows, 3, &t, &err), &err);
      for (int q = 0; q < 3; q++) {
        int bi = 0;
        int64_t base = 0;
        while (base + batches[bi].length <= (int64_t)rows[q]) base += batches[bi++].length;
        cmp(fld, batches[bi].children[i], (int64_t)rows[q] - base, &t, q, fld->name, (int64_t)rows[q]);
      }
      lc_array_release(&t);
    }
    lc_array_release(&got);
    lc_field_reader_free(r);
  }
  if (tc->min_pages) {
    /* the file's own metadata: page count of column 0 */
    uint8_t *raw = NULL;
    size_t len = 0;
    raw = tu_read_file(path, &len);
    assert_non_null(raw);
    uint64_t cmo = lc_le64(raw + len - 32);
    uint64_t cpos = lc_le64(raw + cmo), clen = lc_le64(raw + cmo + 8);
    /* count ColumnMetadata.pages (field 2, wire type 2) at the top level */
    int pages = 0;
    size_t p = (size_t)cpos, end = (size_t)(cpos + clen);
    while (p < end) {
      uint64_t tag = 0, l = 0;
      int sh = 0;
      do tag |= (uint64_t)(raw[p] & 0x7f) << sh, sh += 7;
      while (raw[p++] & 0x80);
      sh = 0;
      do l |= (uint64_t)(raw[p] & 0x7f) << sh, sh += 7;
      while (raw[p++] & 0x80);
      if (tag == ((2 << 3) | 2)) pages++;
      p += (size_t)l;
    }
    free(raw);
    if (pages < tc->min_pages) fail_msg("column 0 has %d pages, expected >= %d", pages, tc->min_pages);
  }
  lc_file_colmap_free(&st);
  lc_file_free(f);
  for (int b = 0; b < tc->n_batches; b++) lc_array_release(&batches[b]);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

/* ---- cases ---- */

static void test_primitives(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  static const char *lts[] = {"bool",
                              "int8",
                              "uint8",
                              "int16",
                              "uint16",
                              "int32",
                              "uint32",
                              "int64",
                              "uint64",
                              "halffloat",
                              "float",
                              "double",
                              "date32:day",
                              "date64:ms",
                              "time32:s",
                              "time32:ms",
                              "time64:us",
                              "time64:ns",
                              "timestamp:us:UTC",
                              "timestamp:ns:-",
                              "timestamp:ms:Asia/Kolkata",
                              "duration:ms",
                              "decimal:128:20:3",
                              "decimal:256:40:5",
                              "fixed_size_binary:1",
                              "fixed_size_binary:6",
                              "fixed_size_binary:16",
                              "null"};
  static char names[32][8];
  for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
    snprintf(names[i], sizeof names[i], "c%zu", i);
    add(&tc.p, names[i], (int)i, -1, lts[i], i != 7);
  }
  tc.n_batches = 3;
  tc.rows[0] = 1000, tc.rows[1] = 1, tc.rows[2] = 5000;
  tc.opt.null_p = 0.2;
  run_case(&tc);
  tc.opt.null_p = 0;
  tc.opt.mode = 2;
  run_case(&tc);
  tc.opt.mode = 4;
  tc.opt.null_p = 1.0; /* all null (the non-nullable column stays valid) */
  run_case(&tc);
  tc.opt.null_p = 0.5;
  tc.batch_null_p[0] = 1.0; /* a page that starts with all-null values */
  tc.shift = 7;             /* and columns that are views with an offset */
  run_case(&tc);
}

static void test_strings(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "s", 0, -1, "string", 1);
  add(&tc.p, "ls", 1, -1, "large_string", 1);
  add(&tc.p, "b", 2, -1, "binary", 1);
  add(&tc.p, "lb", 3, -1, "large_binary", 0);
  add(&tc.p, "sz", 4, -1, "string", 1);
  add_md(&tc.p, "lance-encoding:compression", "zstd");
  add(&tc.p, "bz", 5, -1, "large_binary", 1);
  add_md(&tc.p, "lance-encoding:compression", "zstd");
  add(&tc.p, "sf", 6, -1, "string", 1);
  add_md(&tc.p, "lance-encoding:compression", "fsst");
  add(&tc.p, "sn", 7, -1, "binary", 1);
  add_md(&tc.p, "lance-encoding:compression", "none");
  tc.n_batches = 2;
  tc.rows[0] = 3000, tc.rows[1] = 777;
  tc.opt.null_p = 0.1;
  tc.opt.max_len = 20;
  run_case(&tc);
  tc.opt.max_len = 600;
  run_case(&tc);
  tc.opt.max_len = 0; /* empty strings */
  run_case(&tc);
  tc.opt.card = 7; /* low cardinality: automatic dictionary for utf8 */
  run_case(&tc);
  tc.opt.null_p = 1.0; /* all null, dictionary-sized pages */
  run_case(&tc);
  tc.rows[0] = 50, tc.rows[1] = 99; /* all null, fewer than 100 rows: Binary */
  run_case(&tc);
  tc.opt.null_p = 0.05;
  tc.opt.card = 150; /* too many distinct values for the dictionary */
  tc.rows[0] = 1000;
  tc.shift = 3;
  run_case(&tc);
}

static void test_dictionary_arrays(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "d", 0, -1, "dict:string:int32:false", 1);
  add(&tc.p, "d8", 1, -1, "dict:string:int8:false", 1);
  add(&tc.p, "dl", 2, -1, "dict:large_string:uint16:false", 1);
  add(&tc.p, "di", 3, -1, "dict:int64:int16:false", 1);
  add(&tc.p, "dn", 4, -1, "dict:string:int32:false", 0);
  tc.n_batches = 3;
  tc.rows[0] = 500, tc.rows[1] = 10, tc.rows[2] = 300;
  tc.opt.null_p = 0.1;
  tc.opt.max_len = 12;
  run_case(&tc);
  tc.opt.null_p = 0;
  run_case(&tc);
  tc.opt.null_p = 1.0;
  run_case(&tc);
}

static void test_fsl(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "v", 0, -1, "fixed_size_list:float:128", 1);
  add(&tc.p, "v4", 1, -1, "fixed_size_list:float:4", 1);
  add(&tc.p, "v8", 2, -1, "fixed_size_list:int64:3", 0);
  add(&tc.p, "vv", 3, -1, "fixed_size_list:fixed_size_list:int16:2:3", 1);
  add(&tc.p, "vb", 4, -1, "fixed_size_list:bool:5", 1);
  add(&tc.p, "v3", 5, -1, "fixed_size_list:fixed_size_list:fixed_size_list:int8:2:3:2", 1);
  add(&tc.p, "vd", 6, -1, "fixed_size_list:decimal:128:10:2:2", 1);
  tc.n_batches = 3;
  tc.rows[0] = 1500, tc.rows[1] = 1, tc.rows[2] = 600;
  tc.opt.null_p = 0.1;
  run_case(&tc);
  tc.opt.null_p = 0;
  run_case(&tc);
  tc.opt.null_p = 1.0;
  run_case(&tc);
  tc.opt.null_p = 0.3;
  tc.batch_null_p[0] = 1e-12; /* the first batch without nulls: bitmaps start lazily */
  tc.shift = 5;
  run_case(&tc);
}

static void nested_schema(pbs *p) {
  add(p, "li", 0, -1, "list", 1);
  add(p, "item", 1, 0, "int32", 1);
  add(p, "lls", 2, -1, "large_list", 1);
  add(p, "item", 3, 2, "string", 1);
  add(p, "st", 4, -1, "struct", 0);
  add(p, "a", 5, 4, "int32", 1);
  add(p, "b", 6, 4, "string", 1);
  add(p, "lst", 7, -1, "list", 1);
  add(p, "item", 8, 7, "struct", 0);
  add(p, "x", 9, 8, "double", 1);
  add(p, "y", 10, 8, "bool", 1);
  add(p, "stl", 11, -1, "struct", 1);
  add(p, "l", 12, 11, "list", 1);
  add(p, "item", 13, 12, "int64", 1);
  add(p, "z", 14, 11, "int32", 1);
  add(p, "lli", 15, -1, "list", 1);
  add(p, "item", 16, 15, "large_list", 1);
  add(p, "item", 17, 16, "int16", 1);
  add(p, "lfsl", 18, -1, "list", 1);
  add(p, "item", 19, 18, "fixed_size_list:float:7", 1);
  add(p, "lstr", 20, -1, "list", 0);
  add(p, "item", 21, 20, "binary", 0);
  add(p, "pk", 22, -1, "struct", 0);
  add_md(p, "lance-encoding:packed", "true");
  add(p, "a", 23, 22, "int16", 0);
  add(p, "b", 24, 22, "double", 0);
  add(p, "c", 25, 22, "fixed_size_binary:3", 0);
  add(p, "ss", 26, -1, "struct", 1);
  add(p, "inner", 27, 26, "struct", 1);
  add(p, "q", 28, 27, "date32:day", 1);
  add(p, "ld", 29, -1, "list", 1);
  add(p, "item", 30, 29, "dict:string:int8:false", 1);
}

static void test_nested(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  nested_schema(&tc.p);
  tc.n_batches = 3;
  tc.rows[0] = 2000, tc.rows[1] = 3, tc.rows[2] = 1200;
  tc.opt.null_p = 0.15;
  tc.opt.max_len = 10;
  run_case(&tc);
  tc.opt.null_p = 0;
  run_case(&tc);
  tc.opt.max_len = 400;
  tc.opt.null_p = 0.3;
  tc.shift = 11;
  run_case(&tc);
  tc.shift = 0;
  tc.opt.null_p = 1.0; /* every list null: empty item pages */
  run_case(&tc);
  tc.opt.null_p = 0.1;
  tc.opt.empty_lists = true; /* every list empty */
  run_case(&tc);
}

/* pages are cut at 8 MiB per column, independently: list offsets and items
 * pages do not line up */
static void test_big_pages(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "id", 0, -1, "int64", 0);
  add(&tc.p, "name", 1, -1, "string", 1);
  add(&tc.p, "vec", 2, -1, "fixed_size_list:float:64", 1);
  add(&tc.p, "l", 3, -1, "list", 1);
  add(&tc.p, "item", 4, 3, "int64", 1);
  tc.n_batches = 3;
  tc.rows[0] = 600000, tc.rows[1] = 600000, tc.rows[2] = 100000;
  tc.opt.mode = 2;
  tc.opt.max_len = 12;
  tc.opt.null_p = 0.01;
  tc.min_pages = 2;
  run_case(&tc);
}

static void test_blob_legacy(void **state) {
  (void)state;
  wcase tc;
  memset(&tc, 0, sizeof tc);
  add(&tc.p, "id", 0, -1, "int32", 0);
  add(&tc.p, "blob", 1, -1, "large_binary", 1);
  add_md(&tc.p, "lance-encoding:blob", "true");
  tc.n_batches = 2;
  tc.rows[0] = 300, tc.rows[1] = 40;
  tc.opt.mode = 2;
  tc.opt.null_p = 0.2;
  tc.opt.max_len = 3000;
  run_case(&tc);
}

/* What 2.0 cannot store is refused (as Lance refuses it). */
static void expect_refused(pbs *p, const genopt *go, int at_new, const char *needle) {
  lancec_error err = {0};
  lc_schema *s = schema_of(p);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "e.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, 0};
  if (at_new) {
    assert_int_equal(lc_file_writer_new(&w, io, path, s, &o, &err), LANCEC_EUNSUPPORTED);
  } else {
    assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
    struct ArrowArray cols[8], batch;
    for (size_t i = 0; i < s->n_fields; i++) gen(s->fields[i], 200, go, &cols[i]);
    assert_ok(lc_array_make_batch(cols, s->n_fields, 200, &batch, &err), &err);
    assert_int_equal(lc_file_writer_write(w, &batch, &err), LANCEC_EUNSUPPORTED);
    lc_array_release(&batch);
    if (!strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
    /* the writer is poisoned; nothing is left */
    uint64_t nr, sz;
    assert_int_not_equal(lc_file_writer_finish(w, &nr, &sz, &err), 0);
    lc_io_entry e;
    assert_int_equal(io->m->stat(io, path, &e, &err), LANCEC_ENOTFOUND);
  }
  if (at_new && !strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

static void test_refused(void **state) {
  (void)state;
  genopt go = {.null_p = 0.3, .struct_nulls = true, .max_len = 4};
  pbs p;
  memset(&p, 0, sizeof p);
  add(&p, "id", 0, -1, "int32", 0);
  add(&p, "st", 1, -1, "struct", 1);
  add(&p, "a", 2, 1, "int32", 1);
  expect_refused(&p, &go, 0, "struct validity");
  memset(&p, 0, sizeof p);
  add(&p, "l", 0, -1, "list", 1);
  add(&p, "item", 1, 0, "struct", 1);
  add(&p, "a", 2, 1, "string", 1);
  expect_refused(&p, &go, 0, "'item'");
  memset(&p, 0, sizeof p);
  add(&p, "m", 0, -1, "map", 1);
  add(&p, "entries", 1, 0, "struct", 0);
  add(&p, "key", 2, 1, "string", 0);
  add(&p, "value", 3, 1, "int32", 1);
  expect_refused(&p, &go, 1, "map");
  memset(&p, 0, sizeof p);
  add(&p, "b", 0, -1, "struct", 1);
  add_md(&p, "ARROW:extension:name", "lance.blob.v2");
  add(&p, "data", 1, 0, "large_binary", 1);
  add(&p, "uri", 2, 0, "string", 1);
  expect_refused(&p, &go, 1, "blob v2");
  memset(&p, 0, sizeof p);
  add(&p, "f", 0, -1, "fixed_size_list:string:2", 1);
  expect_refused(&p, &go, 1, "fixed_size_list");
}

/* The worked example of file-format-2.0 A.9: a: int32 not null, s: utf8;
 * rows (1, "x"), (2, null), (3, "yz") -> 568 bytes, laid out exactly so. */
static void test_worked_example(void **state) {
  (void)state;
  lancec_error err = {0};
  pbs p;
  memset(&p, 0, sizeof p);
  add(&p, "a", 0, -1, "int32", 0);
  add(&p, "s", 1, -1, "string", 1);
  lc_schema *s = schema_of(&p);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "w.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {2, 0};
  assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
  struct ArrowArray cols[2], batch;
  assert_int_equal(lc_array_init(&cols[0], 2, 0), 0);
  int32_t *av = lc_malloc_aligned(16);
  av[0] = 1, av[1] = 2, av[2] = 3;
  lc_array_set_buffer(&cols[0], 1, av);
  cols[0].length = 3;
  assert_int_equal(lc_array_init(&cols[1], 3, 0), 0);
  uint8_t *sv = lc_malloc_aligned(8);
  sv[0] = 0x05;
  int32_t *so = lc_malloc_aligned(16);
  so[0] = 0, so[1] = 1, so[2] = 1, so[3] = 3;
  uint8_t *sd = lc_malloc_aligned(8);
  memcpy(sd, "xyz", 3);
  lc_array_set_buffer(&cols[1], 0, sv);
  lc_array_set_buffer(&cols[1], 1, so);
  lc_array_set_buffer(&cols[1], 2, sd);
  cols[1].length = 3;
  cols[1].null_count = 1;
  assert_ok(lc_array_make_batch(cols, 2, 3, &batch, &err), &err);
  assert_ok(lc_file_writer_write(w, &batch, &err), &err);
  lc_array_release(&batch);
  uint64_t nr = 0, sz = 0;
  assert_ok(lc_file_writer_finish(w, &nr, &sz, &err), &err);
  assert_int_equal(sz, 568);
  size_t len = 0;
  uint8_t *b = tu_read_file(path, &len);
  assert_int_equal(len, 568);
  static const uint8_t ints[12] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
  assert_memory_equal(b, ints, 12);
  assert_int_equal(b[12], 0x48);
  assert_int_equal(lc_le64(b + 0x40), 1);
  assert_int_equal(lc_le64(b + 0x48), 5);
  assert_int_equal(lc_le64(b + 0x50), 3);
  assert_memory_equal(b + 0x80, "xyz", 3);
  /* CMO (0x0fb, 105) (0x164, 124); GBO (0x0c0, 59); footer */
  assert_int_equal(lc_le64(b + 0x1e0), 0x0fb);
  assert_int_equal(lc_le64(b + 0x1e8), 105);
  assert_int_equal(lc_le64(b + 0x1f0), 0x164);
  assert_int_equal(lc_le64(b + 0x1f8), 124);
  assert_int_equal(lc_le64(b + 0x200), 0x0c0);
  assert_int_equal(lc_le64(b + 0x208), 59);
  static const uint8_t foot[16] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 'L', 'A', 'N', 'C'};
  assert_memory_equal(b + 568 - 16, foot, 16);
  /* column 1's page encoding, as printed in the spec */
  static const uint8_t enc1[] = {0x32, 0x1a, 0x0a, 0x0c, 0x12, 0x0a, 0x0a, 0x08, 0x0a, 0x06,
                                 0x0a, 0x04, 0x08, 0x40, 0x12, 0x00, 0x12, 0x08, 0x0a, 0x06,
                                 0x08, 0x08, 0x12, 0x02, 0x08, 0x01, 0x18, 0x04};
  bool found = false;
  for (size_t i = 0x164; i + sizeof enc1 <= 0x164 + 124; i++)
    if (!memcmp(b + i, enc1, sizeof enc1)) found = true;
  assert_true(found);
  free(b);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

static void test_empty_file(void **state) {
  (void)state;
  lancec_error err = {0};
  pbs p;
  memset(&p, 0, sizeof p);
  nested_schema(&p);
  lc_schema *s = schema_of(&p);
  char *dir = tu_tempdir();
  char *path = lc_path_join(dir, "e.lance");
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file_writer *w = NULL;
  lc_file_writer_options o = {0, 3}; /* the footer's spelling is accepted too */
  assert_ok(lc_file_writer_new(&w, io, path, s, &o, &err), &err);
  uint64_t nr = 1, sz = 0;
  assert_ok(lc_file_writer_finish(w, &nr, &sz, &err), &err);
  assert_int_equal(nr, 0);
  lc_file *f = NULL;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_int_equal(lc_file_num_rows(f), 0);
  lc_file_colmap_storage st;
  lc_file_colmap map;
  assert_ok(lc_file_colmap_v20_from_schema(s, &st, &map, &err), &err);
  assert_int_equal(lc_file_num_columns(f), map.n);
  assert_int_equal(map.n, 28); /* every field but the packed struct's children */
  lc_file_colmap_free(&st);
  lc_file_free(f);
  lc_io_unref(io);
  lc_schema_free(s);
  tu_rmtree(dir);
  free(dir);
  lc_free(path);
}

/* ---- tool mode ---- */
static int rewrite(const char *in, const char *out) {
  lancec_error err = {0};
  lc_io *io = NULL;
  lc_file *f = NULL;
  lc_schema *s = NULL;
  lc_file_writer *w = NULL;
  lc_file_colmap_storage st;
  lc_file_colmap map;
  if (lc_io_local_new(&io, &err) || lc_file_open(&f, io, in, 0, &err) || lc_file_schema(f, &s, &err)) {
    fprintf(stderr, "rewrite: %s\n", err.message);
    return 1;
  }
  uint16_t mj, mn;
  lc_file_version(f, &mj, &mn);
  bool in20 = (mj == 0 && mn == 3) || (mj == 2 && mn == 0);
  if (in20 ? lc_file_colmap_v20_from_schema(s, &st, &map, &err)
           : lc_file_colmap_from_schema(s, &st, &map, &err)) {
    fprintf(stderr, "rewrite: %s\n", err.message);
    return 1;
  }
  lc_file_writer_options o = {2, 0};
  if (lc_file_writer_new(&w, io, out, s, &o, &err)) {
    fprintf(stderr, "rewrite: %s\n", err.message);
    return 1;
  }
  uint64_t n = lc_file_num_rows(f), step = 1u << 20;
  for (uint64_t r = 0; r < n; r += step) {
    uint64_t cnt = n - r < step ? n - r : step;
    struct ArrowArray *cols = calloc(s->n_fields + 1, sizeof *cols);
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
    if (lc_array_make_batch(cols, s->n_fields, (int64_t)cnt, &batch, &err) ||
        lc_file_writer_write(w, &batch, &err)) {
      fprintf(stderr, "rewrite: write: %s\n", err.message);
      return 1;
    }
    free(cols);
    lc_array_release(&batch);
  }
  uint64_t rows, size;
  if (lc_file_writer_finish(w, &rows, &size, &err)) {
    fprintf(stderr, "rewrite: finish: %s\n", err.message);
    return 1;
  }
  printf("%llu %llu\n", (unsigned long long)rows, (unsigned long long)size);
  lc_file_colmap_free(&st);
  lc_schema_free(s);
  lc_file_free(f);
  lc_io_unref(io);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--rewrite") == 0) return rewrite(argv[2], argv[3]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_primitives),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_dictionary_arrays),
      cmocka_unit_test(test_fsl),
      cmocka_unit_test(test_nested),
      cmocka_unit_test(test_big_pages),
      cmocka_unit_test(test_blob_legacy),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_empty_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
