/* Data-file reader: hostile / corrupt inputs (each must fail with a clear
 * error, never crash), blob v2 payloads, take vs read consistency. */
#include <jansson.h>
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file_internal.h"
#include "io/io.h"
#include "lance_encodings21.pb-c.h"
#include "lance_wkt.pb-c.h"
#include "schema/schema.h"

static char *corpus_file(const char *corpus, const char *name, int idx) {
  char *base = tu_shared_path(corpus);
  char *mp = lc_sprintf("%s/%s.meta.json", base, name);
  json_error_t je;
  json_t *m = json_load_file(mp, 0, &je);
  lc_free(mp);
  assert_non_null(m);
  json_t *files = json_object_get(json_object_get(m, "encodings"), "files");
  char *r = lc_sprintf("%s/%s.lance/data/%s", base, name,
                       json_string_value(json_object_get(json_array_get(files, (size_t)idx), "file")));
  json_decref(m);
  lc_free(base);
  return r;
}

typedef struct blob {
  uint8_t *d;
  size_t n;
} blob;

static blob load(const char *corpus, const char *name) {
  char *p = corpus_file(corpus, name, 0);
  blob b;
  b.d = tu_read_file(p, &b.n);
  lc_free(p);
  assert_non_null(b.d);
  return b;
}

/* open the bytes and read every field; returns the first error code */
static int open_and_read_all(const uint8_t *d, size_t n, lancec_error *err) {
  lc_io *io;
  int rc = lc_io_memory_new(&io, "/t/data/x.lance", d, n, err);
  if (rc) return rc;
  lc_file *f = NULL;
  rc = lc_file_open(&f, io, "/t/data/x.lance", 0, err);
  if (!rc) {
    lc_schema *s = NULL;
    rc = lc_file_schema(f, &s, err);
    lc_file_colmap_storage st;
    lc_file_colmap map;
    if (!rc) rc = lc_file_colmap_from_schema(s, &st, &map, err);
    if (!rc) {
      for (size_t i = 0; i < s->n_fields && !rc; i++) {
        lc_field_reader *r;
        rc = lc_field_reader_new(&r, f, s->fields[i], &map, err);
        if (rc) break;
        struct ArrowArray a;
        rc = lc_field_reader_read(r, 0, lc_file_num_rows(f), &a, err);
        if (!rc) lc_array_release(&a);
        lc_field_reader_free(r);
      }
      lc_file_colmap_free(&st);
    }
    lc_schema_free(s);
    lc_file_free(f);
  }
  lc_io_unref(io);
  return rc;
}

static void expect_error(int rc, const lancec_error *err, int code, const char *needle) {
  if (rc != code) fail_msg("expected error %d, got %d (%s)", code, rc, rc ? err->message : "");
  if (needle && !strstr(err->message, needle)) fail_msg("message '%s' lacks '%s'", err->message, needle);
  print_message("  ok: %s\n", err->message);
}

static void t_baseline(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  lancec_error err;
  assert_ok(open_and_read_all(b.d, b.n, &err), &err);
  free(b.d);
}

static void t_truncated(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  lancec_error err;
  expect_error(open_and_read_all(b.d, 20, &err), &err, LANCEC_ECORRUPT, "truncated");
  /* the tail only: footer intact, everything it points to is gone */
  expect_error(open_and_read_all(b.d + b.n - 100, 100, &err), &err, LANCEC_ECORRUPT, "x.lance");
  free(b.d);
}

static void t_bad_magic(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  lancec_error err;
  b.d[b.n - 1] = 'X';
  expect_error(open_and_read_all(b.d, b.n, &err), &err, LANCEC_ECORRUPT, "magic");
  free(b.d);
}

static void t_bad_version(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  lancec_error err;
  lc_st16(b.d + b.n - 8, 3);
  lc_st16(b.d + b.n - 6, 7);
  expect_error(open_and_read_all(b.d, b.n, &err), &err, LANCEC_EUNSUPPORTED, "3.7");
  free(b.d);
}

static void t_footer_offsets(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  lancec_error err;
  uint8_t *foot = b.d + b.n - 40;
  uint64_t saved = lc_le64(foot + 16);
  lc_st64(foot + 16, (uint64_t)b.n * 4); /* gbo table past EOF */
  expect_error(open_and_read_all(b.d, b.n, &err), &err, LANCEC_ECORRUPT, "global buffer table");
  lc_st64(foot + 16, saved);
  lc_st32(foot + 28, 1000000); /* absurd column count */
  expect_error(open_and_read_all(b.d, b.n, &err), &err, LANCEC_ECORRUPT, "column metadata offset table");
  free(b.d);
}

/* Rewrite column `col`'s metadata through `edit` and splice it back into a
 * copy of the file (appended after the old metadatas). */
typedef void (*cm_edit)(Lance__File__V2__ColumnMetadata *cm);

static uint8_t *patch_column(const blob *b, uint32_t col, cm_edit edit, size_t *out_len) {
  const uint8_t *foot = b->d + b->n - 40;
  uint64_t cmo = lc_le64(foot + 8), gbo = lc_le64(foot + 16);
  uint32_t ngb = lc_le32(foot + 24), ncol = lc_le32(foot + 28);
  uint64_t pos = lc_le64(b->d + cmo + 16ull * col), len = lc_le64(b->d + cmo + 16ull * col + 8);
  Lance__File__V2__ColumnMetadata *cm = lance__file__v2__column_metadata__unpack(NULL, (size_t)len, b->d + pos);
  assert_non_null(cm);
  edit(cm);
  size_t nl = lance__file__v2__column_metadata__get_packed_size(cm);
  uint8_t *nm = malloc(nl);
  lance__file__v2__column_metadata__pack(cm, nm);
  lance__file__v2__column_metadata__free_unpacked(cm, NULL);
  size_t total = (size_t)cmo + nl + 16ull * ncol + 16ull * ngb + 40;
  uint8_t *o = malloc(total);
  memcpy(o, b->d, (size_t)cmo);
  memcpy(o + cmo, nm, nl);
  uint64_t ncmo = cmo + nl;
  memcpy(o + ncmo, b->d + cmo, 16ull * ncol);
  lc_st64(o + ncmo + 16ull * col, cmo);
  lc_st64(o + ncmo + 16ull * col + 8, nl);
  memcpy(o + ncmo + 16ull * ncol, b->d + gbo, 16ull * ngb);
  memcpy(o + total - 40, foot, 40);
  lc_st64(o + total - 40 + 8, ncmo);
  lc_st64(o + total - 40 + 16, ncmo + 16ull * ncol);
  free(nm);
  *out_len = total;
  return o;
}

static void edit_offset_past_eof(Lance__File__V2__ColumnMetadata *cm) {
  cm->pages[0]->buffer_offsets[1] = (uint64_t)1 << 40;
}
static void edit_shrink_chunks(Lance__File__V2__ColumnMetadata *cm) { cm->pages[0]->buffer_sizes[1] = 8; }

static void edit_page_layout(Lance__File__V2__ColumnMetadata *cm, void (*f)(Lance__Encodings21__PageLayout *)) {
  Lance__File__V2__DirectEncoding *d = cm->pages[0]->encoding->direct;
  Lancec__Wkt__Any *any = lancec__wkt__any__unpack(NULL, d->encoding.len, d->encoding.data);
  Lance__Encodings21__PageLayout *pl = lance__encodings21__page_layout__unpack(NULL, any->value.len, any->value.data);
  f(pl);
  size_t n = lance__encodings21__page_layout__get_packed_size(pl);
  uint8_t *v = malloc(n);
  lance__encodings21__page_layout__pack(pl, v);
  lance__encodings21__page_layout__free_unpacked(pl, NULL);
  uint8_t *orig = any->value.data;
  size_t orig_len = any->value.len;
  any->value.data = v;
  any->value.len = n;
  size_t an = lancec__wkt__any__get_packed_size(any);
  uint8_t *ab = malloc(an);
  lancec__wkt__any__pack(any, ab);
  any->value.data = orig;
  any->value.len = orig_len;
  free(v);
  lancec__wkt__any__free_unpacked(any, NULL);
  /* the unpacked message owns its bytes: replace them */
  free(d->encoding.data);
  d->encoding.data = ab;
  d->encoding.len = an;
}

static void pl_unknown_encoding(Lance__Encodings21__PageLayout *pl) {
  assert_int_equal(pl->layout_case, LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT);
  Lance__Encodings21__CompressiveEncoding *e = pl->mini_block_layout->value_compression;
  /* turn the value encoding into an empty oneof */
  if (e->flat) protobuf_c_message_free_unpacked((ProtobufCMessage *)e->flat, NULL);
  e->flat = NULL;
  e->compression_case = LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION__NOT_SET;
}
static void pl_no_layout(Lance__Encodings21__PageLayout *pl) {
  lance__encodings21__mini_block_layout__free_unpacked(pl->mini_block_layout, NULL);
  pl->layout_case = LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT__NOT_SET;
  pl->mini_block_layout = NULL;
}
static void edit_unknown_encoding(Lance__File__V2__ColumnMetadata *cm) { edit_page_layout(cm, pl_unknown_encoding); }
static void edit_no_layout(Lance__File__V2__ColumnMetadata *cm) { edit_page_layout(cm, pl_no_layout); }
static void edit_type_url(Lance__File__V2__ColumnMetadata *cm) {
  Lance__File__V2__DirectEncoding *d = cm->pages[0]->encoding->direct;
  Lancec__Wkt__Any *any = lancec__wkt__any__unpack(NULL, d->encoding.len, d->encoding.data);
  char *old = any->type_url;
  any->type_url = (char *)"/lance.encodings.ArrayEncoding";
  size_t an = lancec__wkt__any__get_packed_size(any);
  uint8_t *keep = malloc(an);
  lancec__wkt__any__pack(any, keep);
  any->type_url = old;
  lancec__wkt__any__free_unpacked(any, NULL);
  free(d->encoding.data);
  d->encoding.data = keep;
  d->encoding.len = an;
}

static void run_patched(cm_edit edit, int code, const char *needle) {
  blob b = load("corpus/public", "types_int");
  size_t n;
  uint8_t *p = patch_column(&b, 1, edit, &n);
  lancec_error err;
  expect_error(open_and_read_all(p, n, &err), &err, code, needle);
  free(p);
  free(b.d);
}

static void t_buffer_past_eof(void **state) {
  (void)state;
  run_patched(edit_offset_past_eof, LANCEC_ECORRUPT, "page 0: buffer 1");
}
static void t_chunk_past_buffer(void **state) {
  (void)state;
  run_patched(edit_shrink_chunks, LANCEC_ECORRUPT, "extends past buffer 1");
}
static void t_unknown_encoding(void **state) {
  (void)state;
  blob b = load("corpus/public", "types_int");
  size_t n;
  uint8_t *p = patch_column(&b, 1, edit_unknown_encoding, &n);
  lancec_error err;
  int rc = open_and_read_all(p, n, &err);
  if (rc != LANCEC_EUNSUPPORTED && rc != LANCEC_ECORRUPT) fail_msg("got %d (%s)", rc, err.message);
  print_message("  ok: %s\n", err.message);
  free(p);
  free(b.d);
}
static void t_unknown_layout(void **state) {
  (void)state;
  run_patched(edit_no_layout, LANCEC_EUNSUPPORTED, "layout");
  run_patched(edit_type_url, LANCEC_EUNSUPPORTED, "ArrayEncoding");
}

/* random byte flips never crash (sanitizers catch the rest) */
static void t_flips(void **state) {
  (void)state;
  const char *names[] = {"types_list", "types_struct", "types_string", "types_dict"};
  uint64_t seed = 99;
  for (size_t k = 0; k < 4; k++) {
    blob b = load("corpus/public", names[k]);
    uint8_t *m = malloc(b.n);
    for (int it = 0; it < 60; it++) {
      memcpy(m, b.d, b.n);
      for (int j = 0; j < 3; j++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t at = (size_t)((seed >> 20) % b.n);
        if (it % 2) at = b.n - 1 - (size_t)((seed >> 20) % (b.n < 3000 ? b.n : 3000));
        m[at] ^= (uint8_t)(1u << ((seed >> 8) & 7));
      }
      lancec_error err;
      (void)open_and_read_all(m, b.n, &err);
    }
    free(m);
    free(b.d);
  }
}

/* ---- take == read on random rows across chunk / page boundaries ---- */

static bool arrays_equal_rows(const lc_field *f, const struct ArrowArray *a, int64_t ia, const struct ArrowArray *b,
                              int64_t ib);

static bool bytes_at(const lc_field *f, const struct ArrowArray *a, int64_t i, const uint8_t **p, size_t *n) {
  int64_t k = a->offset + i;
  if (f->type == LC_T_STRING || f->type == LC_T_BINARY) {
    const int32_t *o = a->buffers[1];
    *p = (const uint8_t *)a->buffers[2] + o[k];
    *n = (size_t)(o[k + 1] - o[k]);
  } else {
    const int64_t *o = a->buffers[1];
    *p = (const uint8_t *)a->buffers[2] + o[k];
    *n = (size_t)(o[k + 1] - o[k]);
  }
  return true;
}

static int fixed_bits(const lc_field *f) {
  switch (f->type) {
    case LC_T_BOOL: return 1;
    case LC_T_INT8: case LC_T_UINT8: return 8;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 16;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 32;
    case LC_T_DECIMAL128: return 128;
    case LC_T_DECIMAL256: return 256;
    case LC_T_FIXED_BINARY: return 8 * f->width;
    default: return 64;
  }
}

static bool arrays_equal_rows(const lc_field *f, const struct ArrowArray *a, int64_t ia, const struct ArrowArray *b,
                              int64_t ib) {
  if (f->type == LC_T_NULL) return true;
  bool va = !a->buffers[0] || lc_bit_get(a->buffers[0], a->offset + ia);
  bool vb = !b->buffers[0] || lc_bit_get(b->buffers[0], b->offset + ib);
  if (va != vb) return false;
  if (!va) return true;
  int64_t ka = a->offset + ia, kb = b->offset + ib;
  switch (f->type) {
    case LC_T_STRUCT:
      for (size_t c = 0; c < f->n_children; c++)
        if (!arrays_equal_rows(f->children[c], a->children[c], ka, b->children[c], kb)) return false;
      return true;
    case LC_T_LIST:
    case LC_T_MAP:
    case LC_T_LARGE_LIST:
    case LC_T_FIXED_LIST: {
      int64_t sa, na, sb, nb;
      if (f->type == LC_T_FIXED_LIST) {
        sa = ka * f->width, sb = kb * f->width, na = nb = f->width;
      } else if (f->type == LC_T_LARGE_LIST) {
        const int64_t *oa = a->buffers[1], *ob = b->buffers[1];
        sa = oa[ka], na = oa[ka + 1] - oa[ka], sb = ob[kb], nb = ob[kb + 1] - ob[kb];
      } else {
        const int32_t *oa = a->buffers[1], *ob = b->buffers[1];
        sa = oa[ka], na = oa[ka + 1] - oa[ka], sb = ob[kb], nb = ob[kb + 1] - ob[kb];
      }
      if (na != nb) return false;
      for (int64_t x = 0; x < na; x++)
        if (!arrays_equal_rows(f->children[0], a->children[0], sa + x, b->children[0], sb + x)) return false;
      return true;
    }
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY: {
      const uint8_t *pa, *pb;
      size_t la, lb;
      bytes_at(f, a, ia, &pa, &la);
      bytes_at(f, b, ib, &pb, &lb);
      return la == lb && !memcmp(pa, pb, la);
    }
    case LC_T_DICT: {
      /* compare the looked-up values */
      int w = f->dict_key == LC_T_INT8 || f->dict_key == LC_T_UINT8 ? 1
              : f->dict_key == LC_T_INT16 || f->dict_key == LC_T_UINT16 ? 2
              : f->dict_key == LC_T_INT32 || f->dict_key == LC_T_UINT32 ? 4 : 8;
      uint64_t xa = 0, xb = 0;
      memcpy(&xa, (const uint8_t *)a->buffers[1] + ka * w, (size_t)w);
      memcpy(&xb, (const uint8_t *)b->buffers[1] + kb * w, (size_t)w);
      return arrays_equal_rows(f->dict_value, a->dictionary, (int64_t)xa, b->dictionary, (int64_t)xb);
    }
    default: {
      int bits = fixed_bits(f);
      if (bits == 1) return lc_bit_get(a->buffers[1], ka) == lc_bit_get(b->buffers[1], kb);
      size_t w = (size_t)bits / 8;
      return !memcmp((const uint8_t *)a->buffers[1] + (size_t)ka * w, (const uint8_t *)b->buffers[1] + (size_t)kb * w, w);
    }
  }
}

static void take_vs_read(const char *corpus, const char *name) {
  char *path = corpus_file(corpus, name, 0);
  lancec_error err;
  lc_io *io;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file *f;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  lc_schema *s;
  assert_ok(lc_file_schema(f, &s, &err), &err);
  lc_file_colmap_storage st;
  lc_file_colmap map;
  assert_ok(lc_file_colmap_from_schema(s, &st, &map, &err), &err);
  uint64_t n = lc_file_num_rows(f);
  uint64_t *rows = malloc(sizeof(uint64_t) * n);
  for (size_t fi = 0; fi < s->n_fields; fi++) {
    const lc_field *fld = s->fields[fi];
    lc_field_reader *r;
    assert_ok(lc_field_reader_new(&r, f, fld, &map, &err), &err);
    struct ArrowArray full;
    assert_ok(lc_field_reader_read(r, 0, n, &full, &err), &err);
    for (int round = 0; round < 3; round++) {
      size_t k = 0;
      uint64_t seed = 777 + fi * 13 + (uint64_t)round;
      for (uint64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t m = round == 0 ? 3 : round == 1 ? 50 : 1000;
        if ((seed >> 33) % m == 0) rows[k++] = i;
      }
      if (!k) continue;
      struct ArrowArray t;
      assert_ok(lc_field_reader_take(r, rows, k, &t, &err), &err);
      assert_int_equal(t.length, (int64_t)k);
      for (size_t i = 0; i < k; i++)
        if (!arrays_equal_rows(fld, &t, (int64_t)i, &full, (int64_t)rows[i]))
          fail_msg("%s field %s: take row %llu differs from read", name, fld->name, (unsigned long long)rows[i]);
      lc_array_release(&t);
    }
    /* reads starting at every 1000th row, 1500 rows long (crosses chunks/pages) */
    for (uint64_t s0 = 0; s0 + 1 < n; s0 += (n > 20000 ? 9973 : 301)) {
      uint64_t cnt = n - s0 < 1500 ? n - s0 : 1500;
      struct ArrowArray t;
      assert_ok(lc_field_reader_read(r, s0, cnt, &t, &err), &err);
      for (uint64_t i = 0; i < cnt; i++)
        if (!arrays_equal_rows(fld, &t, (int64_t)i, &full, (int64_t)(s0 + i)))
          fail_msg("%s field %s: read row %llu differs", name, fld->name, (unsigned long long)(s0 + i));
      lc_array_release(&t);
    }
    lc_array_release(&full);
    lc_field_reader_free(r);
  }
  free(rows);
  lc_file_colmap_free(&st);
  lc_schema_free(s);
  lc_file_free(f);
  lc_io_unref(io);
  lc_free(path);
}

static void t_take_multi_page(void **state) {
  (void)state;
  take_vs_read("corpus/public", "multi_page");
  take_vs_read("corpus/public-2.2", "multi_page");
}
static void t_take_tall(void **state) {
  (void)state;
  take_vs_read("corpus/public", "tall_fragments");
}
static void t_take_list(void **state) {
  (void)state;
  take_vs_read("corpus/public", "types_list");
  take_vs_read("corpus/public-2.2", "types_list");
  take_vs_read("corpus/public-2.2", "types_map");
}

/* ---- blob v2: the payload bytes ---- */

static void t_blob_v2(void **state) {
  (void)state;
  for (int fidx = 0; fidx < 2; fidx++) {
  char *path = corpus_file("corpus/public-2.2", "blob_v2", fidx);
  char *mp = tu_shared_path("corpus/public-2.2/blob_v2.meta.json");
  json_error_t je;
  json_t *meta = json_load_file(mp, 0, &je);
  assert_non_null(meta);
  lancec_error err;
  lc_io *io;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file *f;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  const char *cols[] = {"blob_default", "blob_thresholds", "blob_inline0", "blob_nonnull"};
  /* the file's own "id" column tells which table rows it holds */
  int32_t idcol = 0, idfid = -1;
  for (size_t i = 0; i < f->desc->schema->n_fields; i++)
    if (f->desc->schema->fields[i]->name && !strcmp(f->desc->schema->fields[i]->name, "id")) idfid = f->desc->schema->fields[i]->id;
  assert_true(idfid >= 0);
  lc_field idf = {.name = (char *)"id", .id = idfid, .parent_id = -1, .type = LC_T_INT32};
  lc_file_colmap idmap = {.field_ids = &idfid, .column_indices = &idcol, .n = 1};
  lc_field_reader *ir;
  assert_ok(lc_field_reader_new(&ir, f, &idf, &idmap, &err), &err);
  struct ArrowArray ida;
  assert_ok(lc_field_reader_read(ir, 0, lc_file_num_rows(f), &ida, &err), &err);
  const int32_t *rowid = ida.buffers[1];
  json_t *files = json_object_get(json_object_get(meta, "encodings"), "files");
  json_t *fcols = json_object_get(json_array_get(files, (size_t)fidx), "columns");
  for (size_t ci = 0; ci < 4; ci++) {
    /* field id from the file schema, column index from meta */
    int32_t id = -1;
    Lance__File__Schema *sch = f->desc->schema;
    for (size_t i = 0; i < sch->n_fields; i++)
      if (sch->fields[i]->name && !strcmp(sch->fields[i]->name, cols[ci]) && sch->fields[i]->id >= 0) id = sch->fields[i]->id;
    assert_true(id >= 0);
    int32_t colidx = -1;
    for (size_t i = 0; i < json_array_size(fcols); i++)
      if (!strcmp(json_string_value(json_object_get(json_array_get(fcols, i), "field")), cols[ci]))
        colidx = (int32_t)json_integer_value(json_object_get(json_array_get(fcols, i), "column"));
    assert_true(colidx >= 0);
    /* the table-schema field: struct<data: large_binary, uri: string> */
    lc_field data = {.name = (char *)"data", .id = id + 1, .type = LC_T_LARGE_BINARY, .nullable = true};
    lc_field uri = {.name = (char *)"uri", .id = id + 2, .type = LC_T_STRING, .nullable = true};
    lc_field *kids[2] = {&data, &uri};
    lc_field fld = {.name = (char *)cols[ci], .id = id, .parent_id = -1, .type = LC_T_STRUCT, .nullable = true,
                    .extension_name = (char *)"lance.blob.v2", .children = kids, .n_children = 2};
    data.parent = uri.parent = &fld;
    lc_file_colmap map = {.field_ids = &id, .column_indices = &colidx, .n = 1};
    lc_field_reader *r;
    assert_ok(lc_field_reader_new(&r, f, &fld, &map, &err), &err);
    struct ArrowArray a;
    assert_ok(lc_field_reader_read(r, 0, lc_file_num_rows(f), &a, &err), &err);
    assert_ok(lc_array_validate(&fld, &a, &err), &err);
    /* the fetch_blobs query of this column */
    json_t *q = NULL;
    json_t *qs = json_object_get(meta, "queries");
    for (size_t i = 0; i < json_array_size(qs); i++)
      if (!strcmp(json_string_value(json_object_get(json_array_get(qs, i), "column")), cols[ci])) q = json_array_get(qs, i);
    assert_non_null(q);
    json_t *ids = json_object_get(q, "ids"), *sizes = json_object_get(q, "sizes"), *b64 = json_object_get(q, "base64_if_small");
    size_t checked = 0;
    const struct ArrowArray *da = a.children[0];
    for (size_t i = 0; i < json_array_size(ids); i++) {
      uint64_t want = strtoull(json_string_value(json_array_get(ids, i)), NULL, 10), row = UINT64_MAX;
      for (int64_t x = 0; x < ida.length; x++)
        if ((uint64_t)rowid[x] == want) row = (uint64_t)x;
      if (row == UINT64_MAX) continue;
      json_t *sz = json_array_get(sizes, i);
      bool valid = (!a.buffers[0] || lc_bit_get(a.buffers[0], (int64_t)row)) &&
                   (!da->buffers[0] || lc_bit_get(da->buffers[0], (int64_t)row));
      if (json_is_null(sz)) {
        if (valid) fail_msg("%s row %llu: expected a null blob", cols[ci], (unsigned long long)row);
        continue;
      }
      if (!valid) fail_msg("%s row %llu: null, expected %lld bytes", cols[ci], (unsigned long long)row, (long long)json_integer_value(sz));
      const int64_t *o = da->buffers[1];
      int64_t len = o[row + 1] - o[row];
      if (len != json_integer_value(sz))
        fail_msg("%s row %llu: %lld bytes, expected %lld", cols[ci], (unsigned long long)row, (long long)len,
                 (long long)json_integer_value(sz));
      json_t *bb = json_array_get(b64, i);
      if (json_is_string(bb)) {
        /* decode and compare */
        const char *s = json_string_value(bb);
        uint8_t dec[200];
        size_t dn = 0;
        unsigned acc = 0;
        int bits = 0;
        for (; *s && dn < sizeof dec; s++) {
          int v = *s >= 'A' && *s <= 'Z' ? *s - 'A' : *s >= 'a' && *s <= 'z' ? *s - 'a' + 26 : *s >= '0' && *s <= '9' ? *s - '0' + 52 : *s == '+' ? 62 : *s == '/' ? 63 : -1;
          if (v < 0) continue;
          acc = (acc << 6) | (unsigned)v;
          bits += 6;
          if (bits >= 8) {
            bits -= 8;
            dec[dn++] = (uint8_t)(acc >> bits);
          }
        }
        assert_int_equal(dn, (size_t)len);
        assert_memory_equal(dec, (const uint8_t *)da->buffers[2] + o[row], dn);
      }
      checked++;
    }
    print_message("  %s: %zu blobs checked\n", cols[ci], checked);
    assert_true(checked >= 10);
    lc_array_release(&a);
    lc_field_reader_free(r);
  }
  lc_array_release(&ida);
  lc_field_reader_free(ir);
  lc_file_free(f);
  lc_io_unref(io);
  json_decref(meta);
  lc_free(mp);
  lc_free(path);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_baseline),         cmocka_unit_test(t_truncated),       cmocka_unit_test(t_bad_magic),
      cmocka_unit_test(t_bad_version),      cmocka_unit_test(t_footer_offsets),  cmocka_unit_test(t_buffer_past_eof),
      cmocka_unit_test(t_chunk_past_buffer), cmocka_unit_test(t_unknown_encoding), cmocka_unit_test(t_unknown_layout),
      cmocka_unit_test(t_flips),            cmocka_unit_test(t_take_multi_page), cmocka_unit_test(t_take_tall),
      cmocka_unit_test(t_take_list),        cmocka_unit_test(t_blob_v2),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
