/* File format 2.0 reader (src/file/v20.c): the fmt_v2_0 corpus files read
 * field by field (whole, in batches, by take) and compared with the
 * expected rows; hand-built 2.0 files with broken encodings / buffers must
 * give errors, not crashes. The value comparator is
 * tests/common/expected_rows.c. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file.h"
#include "io/io.h"
#include "schema/schema.h"

#include "expected_rows.h"

/* ---- the fmt_v2_0 corpus files ---- */

#include <dirent.h>
#include <stdlib.h>

#include "lance_encodings20.pb-c.h"
#include "lance_file.pb-c.h"
#include "lance_file2.pb-c.h"
#include "lance_wkt.pb-c.h"

/* 2.0 column mapping: every field in pre-order has a column (parents
 * included); fixed-size lists, dictionaries and packed structs are one
 * column without columns for their children. */
static void walk20(const lc_field *f, int32_t *ids, int32_t *cols, size_t *n, int32_t *next) {
  if (f->id >= 0) {
    ids[*n] = f->id;
    cols[*n] = (*next)++;
    (*n)++;
  }
  if (f->type == LC_T_FIXED_LIST || f->type == LC_T_DICT || lc_field_is_packed_struct(f)) return;
  for (size_t i = 0; i < f->n_children; i++) walk20(f->children[i], ids, cols, n, next);
}

typedef struct map20 {
  int32_t ids[256], cols[256];
  lc_file_colmap map;
} map20;

static void make_map20(const lc_schema *s, map20 *m) {
  size_t n = 0;
  int32_t next = 0;
  for (size_t i = 0; i < s->n_fields; i++) walk20(s->fields[i], m->ids, m->cols, &n, &next);
  m->map.field_ids = m->ids;
  m->map.column_indices = m->cols;
  m->map.n = n;
}

static bool load_named(const char *path, rows *out) {
  char *base = lc_strdup(path);
  base[strlen(base) - strlen(".expected.jsonl")] = 0;
  bool ok = load_rows(base, out);
  lc_free(base);
  return ok;
}

/* Read every field of `path` (whole, batches, take) against rows[first..]. */
static void check_file(lc_io *io, const char *path, rows *exp, uint64_t first) {
  lancec_error err;
  lc_file *f;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  uint16_t ma, mi;
  lc_file_version(f, &ma, &mi);
  assert_true(ma == 0 && mi == 3);
  uint64_t n = lc_file_num_rows(f);
  assert_true(first + n <= exp->n);
  rows sub = {exp->v + first, n};
  lc_schema *s;
  assert_ok(lc_file_schema(f, &s, &err), &err);
  map20 m;
  make_map20(s, &m);
  assert_int_equal(m.map.n, lc_file_num_columns(f));
  for (size_t fi = 0; fi < s->n_fields; fi++) {
    const lc_field *fld = s->fields[fi];
    lc_field_reader *r;
    assert_ok(lc_field_reader_new(&r, f, fld, &m.map, &err), &err);
    struct ArrowArray a;
    assert_ok(lc_field_reader_read(r, 0, n, &a, &err), &err);
    if (!check_array(fld, &a, &sub, 0, NULL, path, "full")) g_failures++;
    lc_array_release(&a);
    for (uint64_t s0 = 0; s0 < n; s0 += 37) {
      uint64_t cnt = n - s0 < 37 ? n - s0 : 37;
      assert_ok(lc_field_reader_read(r, s0, cnt, &a, &err), &err);
      bool ok = check_array(fld, &a, &sub, s0, NULL, path, "batch");
      lc_array_release(&a);
      if (!ok) {
        g_failures++;
        break;
      }
    }
    uint64_t idx[64];
    size_t k = 0;
    for (uint64_t i = 0; i < n && k < 64; i += 1 + (i % 11)) idx[k++] = i;
    assert_ok(lc_field_reader_take(r, idx, k, &a, &err), &err);
    if (!check_array(fld, &a, &sub, 0, idx, path, "take")) g_failures++;
    lc_array_release(&a);
    lc_field_reader_free(r);
  }
  lc_schema_free(s);
  lc_file_free(f);
}

static void test_corpus_v20(const char *corpus_rel) {
  char *dir = tu_shared_path(corpus_rel);
  char *data = lc_sprintf("%s/fmt_v2_0.lance/data", dir);
  char *e1 = lc_sprintf("%s/fmt_v2_0.v1.expected.jsonl", dir);
  char *e2 = lc_sprintf("%s/fmt_v2_0.v2.expected.jsonl", dir);
  DIR *d = opendir(data);
  if (!d) {
    print_message("skip: %s missing\n", data);
    goto out;
  }
  rows r1, r2;
  assert_true(load_named(e1, &r1));
  assert_true(load_named(e2, &r2));
  lancec_error err;
  lc_io *io;
  assert_ok(lc_io_local_new(&io, &err), &err);
  struct dirent *de;
  int nfiles = 0;
  g_failures = 0;
  while ((de = readdir(d))) {
    if (!strstr(de->d_name, ".lance")) continue;
    char *p = lc_sprintf("%s/%s", data, de->d_name);
    lc_file *f;
    assert_ok(lc_file_open(&f, io, p, 0, &err), &err);
    uint64_t n = lc_file_num_rows(f);
    lc_file_free(f);
    /* v1 wrote the first 400 rows; the v2 append the next 100 */
    if (n == r1.n)
      check_file(io, p, &r1, 0);
    else
      check_file(io, p, &r2, r1.n);
    nfiles++;
    lc_free(p);
  }
  closedir(d);
  assert_int_equal(nfiles, 2);
  assert_int_equal(g_failures, 0);
  lc_io_unref(io);
  free_rows(&r1);
  free_rows(&r2);
out:
  lc_free(e1);
  lc_free(e2);
  lc_free(data);
  lc_free(dir);
}

static void test_public(void **state) {
  (void)state;
  test_corpus_v20("corpus/public");
}
static void test_public_22(void **state) {
  (void)state;
  test_corpus_v20("corpus/public-2.2");
}

/* ---- hand-built 2.0 files ---- */

typedef Lance__Encodings__ArrayEncoding AE;

typedef struct spage {
  const void *buf[4];
  size_t size[4];
  size_t n_bufs;
  uint64_t length;
  AE *enc;
} spage;

typedef struct scol {
  spage *pages;
  size_t n_pages;
} scol;

typedef struct sfield {
  const char *name, *lt;
  int32_t id, parent;
  const char *meta_key, *meta_value; /* optional field metadata */
} sfield;

static void put(FILE *fp, const void *p, size_t n) {
  assert_int_equal(fwrite(p, 1, n, fp), n);
}

static uint8_t *pack_any(const char *url, const ProtobufCMessage *m, size_t *len) {
  size_t ml = protobuf_c_message_get_packed_size(m);
  uint8_t *mb = malloc(ml + 1);
  protobuf_c_message_pack(m, mb);
  Lancec__Wkt__Any any = LANCEC__WKT__ANY__INIT;
  any.type_url = (char *)url;
  any.has_value = 1;
  any.value.data = mb;
  any.value.len = ml;
  *len = lancec__wkt__any__get_packed_size(&any);
  uint8_t *out = malloc(*len + 1);
  lancec__wkt__any__pack(&any, out);
  free(mb);
  return out;
}

static char *write_synth(const char *dir, const sfield *fields, size_t nf, uint64_t rows_, scol *cols,
                         size_t nc) {
  static int seq;
  char *path = lc_sprintf("%s/synth%d.lance", dir, seq++);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  uint64_t pos = 0;
  /* buffers */
  uint64_t offs[8][8][4];
  for (size_t c = 0; c < nc; c++)
    for (size_t p = 0; p < cols[c].n_pages; p++)
      for (size_t b = 0; b < cols[c].pages[p].n_bufs; b++) {
        offs[c][p][b] = pos;
        put(fp, cols[c].pages[p].buf[b], cols[c].pages[p].size[b]);
        pos += cols[c].pages[p].size[b];
      }
  /* descriptor */
  Lance__File__Field fpb[8], *fptr[8];
  Lance__File__Field__MetadataEntry me[8], *mep[8];
  for (size_t i = 0; i < nf; i++) {
    lance__file__field__init(&fpb[i]);
    if (fields[i].meta_key) {
      lance__file__field__metadata_entry__init(&me[i]);
      me[i].key = (char *)fields[i].meta_key;
      me[i].has_value = 1;
      me[i].value.data = (uint8_t *)fields[i].meta_value;
      me[i].value.len = strlen(fields[i].meta_value);
      mep[i] = &me[i];
      fpb[i].n_metadata = 1;
      fpb[i].metadata = &mep[i];
    }
    fpb[i].name = (char *)fields[i].name;
    fpb[i].logical_type = (char *)fields[i].lt;
    fpb[i].has_id = fpb[i].has_parent_id = fpb[i].has_nullable = 1;
    fpb[i].id = fields[i].id;
    fpb[i].parent_id = fields[i].parent;
    fpb[i].nullable = 1;
    fptr[i] = &fpb[i];
  }
  Lance__File__Schema sch = LANCE__FILE__SCHEMA__INIT;
  sch.n_fields = nf;
  sch.fields = fptr;
  Lance__File__FileDescriptor fd = LANCE__FILE__FILE_DESCRIPTOR__INIT;
  fd.schema = &sch;
  fd.has_length = 1;
  fd.length = rows_;
  size_t fdl = lance__file__file_descriptor__get_packed_size(&fd);
  uint8_t *fdb = malloc(fdl);
  lance__file__file_descriptor__pack(&fd, fdb);
  uint64_t gbo[2] = {pos, fdl};
  put(fp, fdb, fdl);
  pos += fdl;
  free(fdb);
  uint64_t cm_start = pos;
  uint64_t cmo[8][2];
  for (size_t c = 0; c < nc; c++) {
    Lance__File__V2__ColumnMetadata cm = LANCE__FILE__V2__COLUMN_METADATA__INIT;
    Lance__File__V2__ColumnMetadata__Page pg[8], *pp[8];
    Lance__File__V2__Encoding en[8];
    Lance__File__V2__DirectEncoding de[8];
    uint64_t sizes[8][4];
    uint8_t *anyb[8];
    for (size_t p = 0; p < cols[c].n_pages; p++) {
      spage *sp = &cols[c].pages[p];
      lance__file__v2__column_metadata__page__init(&pg[p]);
      for (size_t b = 0; b < sp->n_bufs; b++) sizes[p][b] = sp->size[b];
      pg[p].n_buffer_offsets = pg[p].n_buffer_sizes = sp->n_bufs;
      pg[p].buffer_offsets = offs[c][p];
      pg[p].buffer_sizes = sizes[p];
      pg[p].has_length = 1;
      pg[p].length = sp->length;
      size_t al;
      anyb[p] = pack_any("/lance.encodings.ArrayEncoding", &sp->enc->base, &al);
      lance__file__v2__direct_encoding__init(&de[p]);
      de[p].has_encoding = 1;
      de[p].encoding.data = anyb[p];
      de[p].encoding.len = al;
      lance__file__v2__encoding__init(&en[p]);
      en[p].location_case = LANCE__FILE__V2__ENCODING__LOCATION_DIRECT;
      en[p].direct = &de[p];
      pg[p].encoding = &en[p];
      pp[p] = &pg[p];
    }
    cm.n_pages = cols[c].n_pages;
    cm.pages = pp;
    size_t l = lance__file__v2__column_metadata__get_packed_size(&cm);
    uint8_t *b = malloc(l + 1);
    lance__file__v2__column_metadata__pack(&cm, b);
    cmo[c][0] = pos;
    cmo[c][1] = l;
    put(fp, b, l);
    pos += l;
    free(b);
    for (size_t p = 0; p < cols[c].n_pages; p++) free(anyb[p]);
  }
  uint64_t cmo_start = pos;
  put(fp, cmo, 16 * nc);
  pos += 16 * nc;
  uint64_t gbo_start = pos;
  put(fp, gbo, 16);
  uint8_t footer[40];
  lc_st64(footer, cm_start);
  lc_st64(footer + 8, cmo_start);
  lc_st64(footer + 16, gbo_start);
  lc_st32(footer + 24, 1);
  lc_st32(footer + 28, (uint32_t)nc);
  lc_st16(footer + 32, 0);
  lc_st16(footer + 34, 3);
  memcpy(footer + 36, "LANC", 4);
  put(fp, footer, 40);
  fclose(fp);
  return path;
}

/* Open `path`, read field 0 (whole file) with the 2.0 column walk. */
static int read_synth(const char *path, struct ArrowArray *out, lancec_error *err) {
  lc_io *io;
  assert_ok(lc_io_local_new(&io, err), err);
  lc_file *f;
  memset(out, 0, sizeof(*out));
  int rc = lc_file_open(&f, io, path, 0, err);
  if (rc) {
    lc_io_unref(io);
    return rc;
  }
  lc_schema *s;
  assert_ok(lc_file_schema(f, &s, err), err);
  map20 m;
  make_map20(s, &m);
  lc_field_reader *r;
  assert_ok(lc_field_reader_new(&r, f, s->fields[0], &m.map, err), err);
  rc = lc_field_reader_read(r, 0, lc_file_num_rows(f), out, err);
  if (!rc) {
    lancec_error e2;
    assert_ok(lc_array_validate(s->fields[0], out, &e2), &e2);
  }
  lc_field_reader_free(r);
  lc_schema_free(s);
  lc_file_free(f);
  lc_io_unref(io);
  return rc;
}

#define BUF(nm, idx)                                            \
  Lance__Encodings__Buffer nm = LANCE__ENCODINGS__BUFFER__INIT; \
  nm.has_buffer_index = 1;                                      \
  nm.buffer_index = (idx)

static void mk_flat(AE *ae, Lance__Encodings__Flat *fl, Lance__Encodings__Buffer *b, uint64_t bits) {
  lance__encodings__array_encoding__init(ae);
  lance__encodings__flat__init(fl);
  fl->has_bits_per_value = 1;
  fl->bits_per_value = bits;
  fl->buffer = b;
  ae->array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_FLAT;
  ae->flat = fl;
}

static void mk_binary(AE *ae, Lance__Encodings__Binary *bn, AE *idx, AE *bytes, uint64_t adj) {
  lance__encodings__array_encoding__init(ae);
  lance__encodings__binary__init(bn);
  bn->indices = idx;
  bn->bytes = bytes;
  bn->has_null_adjustment = 1;
  bn->null_adjustment = adj;
  ae->array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BINARY;
  ae->binary = bn;
}

/* one int32 column with a flat page of `bits` over `buf` */
static int int32_case(const char *dir, uint64_t rows_, uint64_t page_len, uint64_t bits, uint32_t bidx,
                      const void *buf, size_t size, struct ArrowArray *out, lancec_error *err) {
  BUF(b, bidx);
  AE ae;
  Lance__Encodings__Flat fl;
  mk_flat(&ae, &fl, &b, bits);
  spage pg = {{buf}, {size}, 1, page_len, &ae};
  scol col = {&pg, 1};
  sfield fld = {"x", "int32", 0, -1, NULL, NULL};
  char *p = write_synth(dir, &fld, 1, rows_, &col, 1);
  int rc = read_synth(p, out, err);
  lc_free(p);
  return rc;
}

static void test_synth_int32(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  int32_t v[3] = {1, -2, 3};
  struct ArrowArray a;
  lancec_error err;
  assert_ok(int32_case(dir, 3, 3, 32, 0, v, 12, &a, &err), &err);
  assert_int_equal(a.length, 3);
  assert_int_equal(((const int32_t *)a.buffers[1])[1], -2);
  lc_array_release(&a);
  /* short buffer, bad buffer index, odd width, page/file row mismatch */
  assert_int_equal(int32_case(dir, 3, 3, 32, 0, v, 8, &a, &err), LANCEC_ECORRUPT);
  assert_int_equal(int32_case(dir, 3, 3, 32, 5, v, 12, &a, &err), LANCEC_ECORRUPT);
  assert_int_not_equal(int32_case(dir, 3, 3, 12, 0, v, 12, &a, &err), 0);
  assert_int_equal(int32_case(dir, 5, 3, 32, 0, v, 12, &a, &err), LANCEC_ECORRUPT);
  /* buffer past the end of the file: caught when opening */
  tu_rmtree(dir);
  lc_free(dir);
}

static int string_case(const char *dir, const uint64_t *idx, size_t n, const char *bytes, uint64_t adj,
                       struct ArrowArray *out, lancec_error *err) {
  BUF(b0, 0);
  BUF(b1, 1);
  AE ai, ab, ae;
  Lance__Encodings__Flat fi, fb;
  Lance__Encodings__Binary bn;
  mk_flat(&ai, &fi, &b0, 64);
  mk_flat(&ab, &fb, &b1, 8);
  mk_binary(&ae, &bn, &ai, &ab, adj);
  spage pg = {{idx, bytes}, {8 * n, strlen(bytes)}, 2, n, &ae};
  scol col = {&pg, 1};
  sfield fld = {"s", "string", 0, -1, NULL, NULL};
  char *p = write_synth(dir, &fld, 1, n, &col, 1);
  int rc = read_synth(p, out, err);
  lc_free(p);
  return rc;
}

static void test_synth_binary(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  struct ArrowArray a;
  lancec_error err;
  /* "x", null, "yz" (spec A.6.3 example) */
  uint64_t ok[3] = {1, 5, 3};
  assert_ok(string_case(dir, ok, 3, "xyz", 4, &a, &err), &err);
  assert_int_equal(a.null_count, 1);
  const int32_t *o = a.buffers[1];
  assert_int_equal(o[3], 3);
  assert_int_equal(o[1], 1);
  assert_int_equal(o[2], 1);
  lc_array_release(&a);
  uint64_t back[3] = {3, 1, 2};
  assert_int_equal(string_case(dir, back, 3, "abc", 4, &a, &err), LANCEC_ECORRUPT);
  uint64_t past[1] = {10};
  assert_int_equal(string_case(dir, past, 1, "abc", 11, &a, &err), LANCEC_ECORRUPT);
  /* indices buffer too short for the page length */
  assert_int_equal(string_case(dir, ok, 3, "xyz", 4, &a, &err), 0);
  lc_array_release(&a);
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_synth_dictionary(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  struct ArrowArray a;
  lancec_error err;
  for (int bad = 0; bad < 2; bad++) {
    BUF(b0, 0);
    BUF(b1, 1);
    BUF(b2, 2);
    AE ak, ai, ab, abin, ae;
    Lance__Encodings__Flat fk, fi, fb;
    Lance__Encodings__Binary bn;
    Lance__Encodings__Dictionary dc = LANCE__ENCODINGS__DICTIONARY__INIT;
    mk_flat(&ak, &fk, &b0, 8);
    mk_flat(&ai, &fi, &b1, 64);
    mk_flat(&ab, &fb, &b2, 8);
    mk_binary(&abin, &bn, &ai, &ab, 3);
    dc.indices = &ak;
    dc.items = &abin;
    dc.has_num_dictionary_items = 1;
    dc.num_dictionary_items = 2;
    lance__encodings__array_encoding__init(&ae);
    ae.array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_DICTIONARY;
    ae.dictionary = &dc;
    uint8_t keys[4] = {1, 0, 2, (uint8_t)(bad ? 7 : 1)};
    uint64_t ix[2] = {1, 2};
    spage pg = {{keys, ix, "ab"}, {4, 16, 2}, 3, 4, &ae};
    scol col = {&pg, 1};
    sfield fld = {"s", "string", 0, -1, NULL, NULL};
    char *p = write_synth(dir, &fld, 1, 4, &col, 1);
    int rc = read_synth(p, &a, &err);
    lc_free(p);
    if (bad) {
      assert_int_equal(rc, LANCEC_ECORRUPT);
    } else {
      assert_ok(rc, &err);
      assert_int_equal(a.null_count, 1);
      const int32_t *o = a.buffers[1];
      const char *d = a.buffers[2];
      assert_int_equal(o[4], 3);
      assert_memory_equal(d, "aba", 3);
      lc_array_release(&a);
    }
  }
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_synth_list(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  struct ArrowArray a;
  lancec_error err;
  for (int bad = 0; bad < 2; bad++) {
    BUF(b0, 0);
    BUF(c0, 0);
    AE ao, al, ai;
    Lance__Encodings__Flat fo, fi;
    Lance__Encodings__List ls = LANCE__ENCODINGS__LIST__INIT;
    mk_flat(&ao, &fo, &b0, 64);
    ls.offsets = &ao;
    ls.has_null_offset_adjustment = ls.has_num_items = 1;
    ls.num_items = 3;
    ls.null_offset_adjustment = 4;
    lance__encodings__array_encoding__init(&al);
    al.array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_LIST;
    al.list = &ls;
    mk_flat(&ai, &fi, &c0, 32);
    /* [[1,2], null, [3]] ; bad: an end past num_items */
    uint64_t offs[3] = {2, 6, (uint64_t)(bad ? 3 + 9 : 3)};
    int32_t items[3] = {1, 2, 3};
    spage p0 = {{offs}, {24}, 1, 3, &al};
    spage p1 = {{items}, {12}, 1, 3, &ai};
    scol cols[2] = {{&p0, 1}, {&p1, 1}};
    sfield flds[2] = {{"l", "list", 0, -1, NULL, NULL}, {"item", "int32", 1, 0, NULL, NULL}};
    char *p = write_synth(dir, flds, 2, 3, cols, 2);
    int rc = read_synth(p, &a, &err);
    lc_free(p);
    if (bad) {
      assert_int_equal(rc, LANCEC_ECORRUPT);
    } else {
      assert_ok(rc, &err);
      assert_int_equal(a.null_count, 1);
      const int32_t *o = a.buffers[1];
      assert_int_equal(o[1], 2);
      assert_int_equal(o[2], 2);
      assert_int_equal(o[3], 3);
      assert_int_equal(a.children[0]->length, 3);
      lc_array_release(&a);
    }
  }
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_synth_unsupported(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  struct ArrowArray a;
  lancec_error err;
  BUF(b0, 0);
  Lance__Encodings__Bitpacked bp = LANCE__ENCODINGS__BITPACKED__INIT;
  bp.buffer = &b0;
  AE ae;
  lance__encodings__array_encoding__init(&ae);
  ae.array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_BITPACKED;
  ae.bitpacked = &bp;
  int32_t v[2] = {1, 2};
  spage pg = {{v}, {8}, 1, 2, &ae};
  scol col = {&pg, 1};
  sfield fld = {"x", "int32", 0, -1, NULL, NULL};
  char *p = write_synth(dir, &fld, 1, 2, &col, 1);
  assert_int_equal(read_synth(p, &a, &err), LANCEC_EUNSUPPORTED);
  lc_free(p);
  /* some_nulls whose validity buffer is empty */
  BUF(vb, 0);
  BUF(db, 1);
  AE av, ad, an;
  Lance__Encodings__Flat fv, fd2;
  mk_flat(&av, &fv, &vb, 1);
  mk_flat(&ad, &fd2, &db, 32);
  Lance__Encodings__Nullable nl = LANCE__ENCODINGS__NULLABLE__INIT;
  Lance__Encodings__Nullable__SomeNull sn = LANCE__ENCODINGS__NULLABLE__SOME_NULL__INIT;
  sn.validity = &av;
  sn.values = &ad;
  nl.nullability_case = LANCE__ENCODINGS__NULLABLE__NULLABILITY_SOME_NULLS;
  nl.some_nulls = &sn;
  lance__encodings__array_encoding__init(&an);
  an.array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_NULLABLE;
  an.nullable = &nl;
  int32_t many[20] = {0};
  spage pg2 = {{"", many}, {0, 80}, 2, 20, &an};
  scol col2 = {&pg2, 1};
  p = write_synth(dir, &fld, 1, 20, &col2, 1);
  assert_int_equal(read_synth(p, &a, &err), LANCEC_ECORRUPT);
  lc_free(p);
  /* missing nullability variant */
  Lance__Encodings__Nullable nl2 = LANCE__ENCODINGS__NULLABLE__INIT;
  an.nullable = &nl2;
  p = write_synth(dir, &fld, 1, 20, &col2, 1);
  assert_int_equal(read_synth(p, &a, &err), LANCEC_ECORRUPT);
  lc_free(p);
  tu_rmtree(dir);
  lc_free(dir);
}

static void test_synth_blob(void **state) {
  (void)state;
  char *dir = tu_tempdir();
  struct ArrowArray a;
  lancec_error err;
  BUF(b0, 0);
  AE i0, i1, ae;
  Lance__Encodings__Flat f0, f1;
  mk_flat(&i0, &f0, &b0, 64);
  mk_flat(&i1, &f1, &b0, 64);
  AE *inner[2] = {&i0, &i1};
  Lance__Encodings__PackedStruct ps = LANCE__ENCODINGS__PACKED_STRUCT__INIT;
  ps.n_inner = 2;
  ps.inner = inner;
  ps.buffer = &b0;
  lance__encodings__array_encoding__init(&ae);
  ae.array_encoding_case = LANCE__ENCODINGS__ARRAY_ENCODING__ARRAY_ENCODING_PACKED_STRUCT;
  ae.packed_struct = &ps;
  for (int bad = 0; bad < 2; bad++) {
    /* descriptions at 0 (48 bytes), payloads "hello" at 48 and "xy" at 53 */
    uint64_t desc[6] = {48, 5, 1, 0, 53, (uint64_t)(bad ? 1000 : 2)};
    spage pg = {{desc, "hello", "xy"}, {48, 5, 2}, 3, 3, &ae};
    scol col = {&pg, 1};
    sfield fld = {"b", "large_binary", 0, -1, "lance-encoding:blob", "true"};
    char *p = write_synth(dir, &fld, 1, 3, &col, 1);
    int rc = read_synth(p, &a, &err);
    lc_free(p);
    if (bad) {
      assert_int_equal(rc, LANCEC_ECORRUPT);
      continue;
    }
    assert_ok(rc, &err);
    assert_int_equal(a.null_count, 1);
    const int64_t *o = a.buffers[1];
    assert_int_equal(o[3], 7);
    assert_memory_equal(a.buffers[2], "helloxy", 7);
    lc_array_release(&a);
  }
  tu_rmtree(dir);
  lc_free(dir);
}

/* Truncations and byte flips of a real 2.0 file: errors, never crashes. */
static void test_mutations(void **state) {
  (void)state;
  char *src = NULL;
  char *data = tu_shared_path("corpus/public/fmt_v2_0.lance/data");
  DIR *d = opendir(data);
  if (!d) {
    lc_free(data);
    skip();
  }
  struct dirent *de;
  while ((de = readdir(d)))
    if (strstr(de->d_name, ".lance") && !src) src = lc_sprintf("%s/%s", data, de->d_name);
  closedir(d);
  size_t len;
  uint8_t *orig = tu_read_file(src, &len);
  assert_non_null(orig);
  char *dir = tu_tempdir();
  char *p = lc_sprintf("%s/m.lance", dir);
  lc_io *io;
  lancec_error err;
  assert_ok(lc_io_local_new(&io, &err), &err);
  /* where the data buffers end: GBO[0] */
  uint64_t gbo_start = lc_le64(orig + len - 24);
  uint64_t data_end = lc_le64(orig + gbo_start);
  uint64_t seed = 7;
  for (int it = 0; it < 160; it++) {
    uint8_t *m = malloc(len);
    memcpy(m, orig, len);
    size_t mlen = len;
    if (it < 40) {
      mlen = len - 1 - (size_t)it * (len / 41);
    } else {
      for (int k = 0; k < 4; k++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        m[(seed >> 33) % data_end] ^= (uint8_t)(1u << ((seed >> 20) & 7));
      }
    }
    FILE *fp = fopen(p, "wb");
    fwrite(m, 1, mlen, fp);
    fclose(fp);
    free(m);
    lc_file *f;
    if (lc_file_open(&f, io, p, 0, &err) != 0) continue;
    lc_schema *s;
    if (lc_file_schema(f, &s, &err) == 0) {
      map20 mp;
      make_map20(s, &mp);
      for (size_t fi = 0; fi < s->n_fields; fi++) {
        lc_field_reader *r;
        if (lc_field_reader_new(&r, f, s->fields[fi], &mp.map, &err)) continue;
        struct ArrowArray a;
        if (lc_field_reader_read(r, 0, lc_file_num_rows(f), &a, &err) == 0) {
          lancec_error e2;
          assert_ok(lc_array_validate(s->fields[fi], &a, &e2), &e2);
          lc_array_release(&a);
        }
        lc_field_reader_free(r);
      }
      lc_schema_free(s);
    }
    lc_file_free(f);
  }
  lc_io_unref(io);
  free(orig);
  tu_rmtree(dir);
  lc_free(dir);
  lc_free(p);
  lc_free(src);
  lc_free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_public),
      cmocka_unit_test(test_public_22),
      cmocka_unit_test(test_synth_int32),
      cmocka_unit_test(test_synth_binary),
      cmocka_unit_test(test_synth_dictionary),
      cmocka_unit_test(test_synth_list),
      cmocka_unit_test(test_synth_unsupported),
      cmocka_unit_test(test_synth_blob),
      cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
