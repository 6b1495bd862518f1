/* Bad input for the table module: corrupt manifests, broken version
 * directories, tags, feature flags and deletion files must give clear
 * errors, never crashes. Corrupt copies are built in a temp dir. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "table/table.h"

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

static char *corpus(const char *rel) {
  char *r = lc_sprintf("corpus/%s", rel);
  char *p = tu_shared_path(r);
  lc_free(r);
  return p;
}

static uint8_t *read_corpus(const char *rel, size_t *len) {
  char *p = corpus(rel);
  uint8_t *b = tu_read_file(p, len);
  if (!b) fail_msg("cannot read %s", p);
  lc_free(p);
  return b;
}

static void mkdirs(const char *path) {
  char *p = lc_strdup(path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      mkdir(p, 0755);
      *s = '/';
    }
  mkdir(p, 0755);
  lc_free(p);
}

static void write_at(const char *dir, const char *rel, const void *b, size_t n) {
  char *p = lc_sprintf("%s/%s", dir, rel);
  char *slash = strrchr(p, '/');
  *slash = 0;
  mkdirs(p);
  *slash = '/';
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
  lc_free(p);
}

/* A fresh dataset dir under the temp dir. */
static char *new_ds(const char *name) {
  char *d = lc_sprintf("%s/%s", g_tmp, name);
  mkdirs(d);
  return d;
}

static char *v2name(uint64_t v) {
  return lc_sprintf("_versions/%020" PRIu64 ".manifest", UINT64_MAX - v);
}

/* Serialise a manifest protobuf into a complete manifest file. */
static uint8_t *encode_manifest(const Lance__Table__Manifest *pb, size_t *len) {
  size_t m = lance__table__manifest__get_packed_size(pb);
  uint8_t *b = malloc(4 + m + 16);
  lc_st32(b, (uint32_t)m);
  lance__table__manifest__pack(pb, b + 4);
  lc_st64(b + 4 + m, 0);
  lc_st16(b + 12 + m, 0);
  lc_st16(b + 14 + m, 2);
  memcpy(b + 16 + m, "LANC", 4);
  *len = 4 + m + 16;
  return b;
}

static lc_manifest *decode_copy(const uint8_t *b, size_t n) {
  uint8_t *c = lc_malloc(n);
  memcpy(c, b, n);
  lc_manifest *m = NULL;
  lancec_error err = {0};
  assert_ok(lc_manifest_decode(&m, c, n, "test", &err), &err);
  return m;
}

static int open_ds(const char *dir, lancec_error *err) {
  lancec_dataset *ds = NULL;
  int rc = lancec_dataset_open(&ds, dir, NULL, err);
  if (rc == 0) assert_non_null(ds);
  else assert_null(ds);
  lancec_dataset_free(ds);
  return rc;
}

#define V1_MANIFEST "public/versions_many.lance/_versions/18446744073709551614.manifest"

static void test_manifest_bytes(void **state) {
  (void)state;
  size_t n;
  uint8_t *orig = read_corpus(V1_MANIFEST, &n);
  lancec_error err = {0};
  char *d = new_ds("bytes");
  char *name = v2name(1);

  write_at(d, name, orig, n);
  assert_ok(open_ds(d, &err), &err);

  /* truncated */
  write_at(d, name, orig, n / 2);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  /* tiny / empty */
  write_at(d, name, orig, 3);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "too small"));
  write_at(d, name, orig, 0);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);

  uint8_t *b = malloc(n);
  /* wrong magic */
  memcpy(b, orig, n);
  b[n - 1] = 'X';
  write_at(d, name, b, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "magic"));
  /* length mismatch */
  memcpy(b, orig, n);
  uint64_t pos = lc_le64(b + n - 16);
  lc_st32(b + pos, lc_le32(b + pos) + 1);
  write_at(d, name, b, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "length mismatch"));
  /* manifest position outside the file, negative */
  memcpy(b, orig, n);
  lc_st64(b + n - 16, (uint64_t)n);
  write_at(d, name, b, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  lc_st64(b + n - 16, UINT64_MAX);
  write_at(d, name, b, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  /* garbage protobuf */
  memcpy(b, orig, n);
  memset(b + pos + 4, 0xff, n - pos - 20);
  write_at(d, name, b, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "protobuf"));
  /* footer 0.1 is accepted like 0.2 */
  memcpy(b, orig, n);
  lc_st16(b + n - 6, 1);
  write_at(d, name, b, n);
  assert_ok(open_ds(d, &err), &err);

  /* every single-byte corruption and every truncation: an error or a
   * success, never a crash */
  for (size_t i = 0; i < n; i++) {
    memcpy(b, orig, n);
    b[i] ^= 0xff;
    uint8_t *c = lc_malloc(n);
    memcpy(c, b, n);
    lc_manifest *m = NULL;
    if (lc_manifest_decode(&m, c, n, "flip", &err) == 0) lc_manifest_free(m);
    c = lc_malloc(i + 1);
    memcpy(c, orig, i);
    m = NULL;
    if (lc_manifest_decode(&m, c, i, "trunc", &err) == 0) lc_manifest_free(m);
  }
  free(b);
  free(orig);
  lc_free(name);
  lc_free(d);
}

static void test_manifest_fields(void **state) {
  (void)state;
  size_t n;
  uint8_t *orig = read_corpus(V1_MANIFEST, &n);
  lancec_error err = {0};
  char *d = new_ds("fields");
  char *name = v2name(1);
  lc_manifest *m = decode_copy(orig, n);
  size_t len;
  uint8_t *b;

  /* unknown reader flag */
  m->pb->has_reader_feature_flags = 1;
  m->pb->reader_feature_flags = 64 | 1;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "reader feature flags 0x40 that lancec does not support"));
  /* known flags are fine; writer flags don't matter for reading */
  m->pb->reader_feature_flags = 1 | 2 | 4 | 8 | 16 | 32;
  m->pb->has_writer_feature_flags = 1;
  m->pb->writer_feature_flags = 1ull << 40;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_ok(open_ds(d, &err), &err);
  m->pb->reader_feature_flags = 0;

  /* version field missing / disagreeing with the file name */
  m->pb->has_version = 0;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  m->pb->has_version = 1;
  m->pb->version = 5;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "records version 5"));
  m->pb->version = 1;

  /* index section offset pointing nowhere */
  m->pb->has_index_section = 1;
  m->pb->index_section = 1u << 20;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "index section"));
  m->pb->has_index_section = 0;

  /* data_format absent → inferred from the first data file */
  Lance__Table__Manifest__DataStorageFormat *df = m->pb->data_format;
  m->pb->data_format = NULL;
  b = encode_manifest(m->pb, &len);
  m->pb->data_format = df;
  write_at(d, name, b, len);
  free(b);
  lancec_dataset *ds;
  assert_ok(lancec_dataset_open(&ds, d, NULL, &err), &err);
  assert_string_equal(lancec_dataset_data_format(ds), "2.1");
  lancec_dataset_free(ds);

  /* corrupt schema: parent after child */
  assert_true(m->pb->n_fields >= 2);
  int32_t save = m->pb->fields[0]->parent_id;
  m->pb->fields[0]->parent_id = 77;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "schema"));
  m->pb->fields[0]->parent_id = save;

  lc_manifest_free(m);
  free(orig);
  lc_free(name);
  lc_free(d);
}

static void test_version_dirs(void **state) {
  (void)state;
  size_t n;
  uint8_t *orig = read_corpus(V1_MANIFEST, &n);
  lancec_error err = {0};
  lancec_dataset *ds = NULL;

  /* no dataset at all */
  char *missing = lc_sprintf("%s/does-not-exist", g_tmp);
  assert_int_equal(lancec_dataset_open(&ds, missing, NULL, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "not a Lance dataset (no _versions/*.manifest)"));
  lancec_version_info *vi;
  size_t nv;
  assert_int_equal(lancec_dataset_versions(&vi, &nv, missing, &err), LANCEC_ENOTFOUND);
  lc_free(missing);
  char *empty = new_ds("empty");
  assert_int_equal(open_ds(empty, &err), LANCEC_ENOTFOUND);
  lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
  o.version = 3;
  assert_int_equal(lancec_dataset_open(&ds, empty, &o, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "not a Lance dataset"));
  lc_free(empty);

  /* staging files, detached versions and the hint are skipped */
  char *d = new_ds("skip");
  char *name = v2name(1);
  write_at(d, name, orig, n);
  write_at(d, "_versions/18446744073709551613.manifest#1", "junk", 4);
  write_at(d, "_versions/2.manifest-3f0a", "junk", 4);
  write_at(d, "_versions/d9223372036854775809.manifest", "junk", 4);
  write_at(d, "_versions/latest_version_hint.json", "{\"version\":99}", 14);
  assert_int_equal(lancec_dataset_versions(&vi, &nv, d, &err), 0);
  assert_int_equal(nv, 1);
  lancec_versions_free(vi);
  assert_ok(lancec_dataset_open(&ds, d, NULL, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 1);
  lancec_dataset_free(ds);

  /* both naming schemes → error */
  write_at(d, "_versions/2.manifest", orig, n);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "mixes"));
  lc_free(d);

  /* a corrupt manifest makes the history listing fail cleanly */
  d = new_ds("badhist");
  write_at(d, name, orig, n);
  char *n2 = v2name(2);
  write_at(d, n2, orig, n / 3);
  assert_int_equal(lancec_dataset_versions(&vi, &nv, d, &err), LANCEC_ECORRUPT);
  o.version = 1;
  assert_ok(lancec_dataset_open(&ds, d, &o, &err), &err);
  lancec_dataset_free(ds);
  lc_free(n2);

  /* tags */
  lancec_open_options t = LANCEC_OPEN_OPTIONS_INIT;
  t.tag = "x";
  assert_int_equal(lancec_dataset_open(&ds, d, &t, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "tag 'x' not found"));
  write_at(d, "_refs/tags/x.json", "{not json", 9);
  assert_int_equal(lancec_dataset_open(&ds, d, &t, &err), LANCEC_ECORRUPT);
  write_at(d, "_refs/tags/x.json", "{\"branch\":null}", 15);
  assert_int_equal(lancec_dataset_open(&ds, d, &t, &err), LANCEC_ECORRUPT);
  write_at(d, "_refs/tags/x.json", "{\"version\":9}", 13);
  assert_int_equal(lancec_dataset_open(&ds, d, &t, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "version 9 not found"));
  write_at(d, "_refs/tags/x.json", "{\"version\":1,\"branch\":\"dev\"}", 28);
  assert_int_equal(lancec_dataset_open(&ds, d, &t, &err), LANCEC_EUNSUPPORTED);
  write_at(d, "_refs/tags/x.json", "{\"version\":1,\"branch\":null,\"manifestSize\":580}", 46);
  assert_ok(lancec_dataset_open(&ds, d, &t, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 1);
  lancec_dataset_free(ds);
  lc_free(d);
  lc_free(name);
  free(orig);
}

/* ---- deletion files ---- */

/* The uncompressed IPC template of file-format-2.0-legacy-and-aux.md §C.7. */
static uint8_t *arrow_template(const uint32_t *vals, size_t n, size_t *len) {
  static const uint8_t schema_fb[120] = {
      0x10, 0, 0, 0, 0x0a, 0, 0x0c, 0, 0x04, 0, 0x06, 0, 0x08, 0, 0, 0, 0x0c, 0, 0, 0, 0x04, 0, 0x01, 0,
      0x0c, 0, 0, 0, 0x08, 0, 0x08, 0, 0, 0, 0x04, 0, 0x08, 0, 0, 0, 0x04, 0, 0, 0, 0x01, 0, 0, 0,
      0x14, 0, 0, 0, 0x10, 0, 0x14, 0, 0x04, 0, 0, 0, 0x10, 0, 0x08, 0, 0, 0, 0x0c, 0, 0x10, 0, 0, 0,
      0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x24, 0, 0, 0, 0x02, 0, 0, 0, 0x06, 0, 0, 0, 'r', 'o', 'w', '_',
      'i', 'd', 0, 0, 0x08, 0, 0x08, 0, 0x04, 0, 0, 0, 0x08, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t rb_fb[136] = {
      0x10, 0, 0, 0, 0x0c, 0, 0x18, 0, 0x04, 0, 0x06, 0, 0x08, 0, 0x10, 0, 0x0c, 0, 0, 0, 0x04, 0, 0x03, 0,
      0x1c, 0, 0, 0, 0, 0, 0, 0, /*32 B*/ 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x14, 0, 0x04, 0, 0x0c, 0,
      0x10, 0, 0, 0, 0x0c, 0, 0, 0, /*56 n*/ 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0x20, 0, 0, 0,
      0, 0, 0, 0, 0x01, 0, 0, 0, /*80 n*/ 0, 0, 0, 0, 0, 0, 0, 0, /*88*/ 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0x02, 0, 0, 0, /*104*/ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      /*120*/ 0, 0, 0, 0, 0, 0, 0, 0, /*128 4n*/ 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t footer_fb[160] = {
      0x10, 0, 0, 0, 0x0c, 0, 0x14, 0, 0x10, 0, 0x04, 0, 0x08, 0, 0x0c, 0, 0x0c, 0, 0, 0, 0x18, 0, 0, 0,
      0x68, 0, 0, 0, 0x68, 0, 0, 0, 0x04, 0, 0, 0, 0x08, 0, 0x08, 0, 0, 0, 0x04, 0, 0x08, 0, 0, 0,
      0x04, 0, 0, 0, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0x10, 0, 0x14, 0, 0x04, 0, 0, 0, 0x10, 0, 0x08, 0,
      0, 0, 0x0c, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x24, 0, 0, 0, 0x02, 0, 0, 0,
      0x06, 0, 0, 0, 'r', 'o', 'w', '_', 'i', 'd', 0, 0, 0x08, 0, 0x08, 0, 0x04, 0, 0, 0, 0x08, 0, 0, 0,
      0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, /*136 block*/ 0x88, 0, 0, 0, 0, 0, 0, 0,
      0x90, 0, 0, 0, 0, 0, 0, 0, /*152 B*/ 0, 0, 0, 0, 0, 0, 0, 0};
  size_t B = (4 * n + 7) / 8 * 8;
  *len = 458 + B;
  uint8_t *f = calloc(1, *len);
  memcpy(f, "ARROW1", 6);
  lc_st32(f + 8, 0xFFFFFFFFu);
  lc_st32(f + 12, 120);
  memcpy(f + 16, schema_fb, 120);
  lc_st32(f + 136, 0xFFFFFFFFu);
  lc_st32(f + 140, 136);
  uint8_t *rb = f + 144;
  memcpy(rb, rb_fb, 136);
  lc_st64(rb + 32, B);
  lc_st64(rb + 56, n);
  lc_st64(rb + 80, n);
  lc_st64(rb + 128, 4 * n);
  for (size_t i = 0; i < n; i++) lc_st32(f + 280 + 4 * i, vals[i]);
  lc_st32(f + 280 + B, 0xFFFFFFFFu);
  uint8_t *ft = f + 288 + B;
  memcpy(ft, footer_fb, 160);
  lc_st64(ft + 152, B);
  lc_st32(f + 448 + B, 160);
  memcpy(f + 452 + B, "ARROW1", 6);
  return f;
}

static void test_deletion_parsers(void **state) {
  (void)state;
  lancec_error err = {0};
  uint32_t *rows;
  size_t n;
  /* hand-made uncompressed file, unsorted values with a duplicate */
  uint32_t vals[] = {12, 10, 11, 10};
  size_t len;
  uint8_t *f = arrow_template(vals, 4, &len);
  assert_ok(lc_deletion_parse_arrow(f, len, "t.arrow", &rows, &n, &err), &err);
  assert_int_equal(n, 3);
  assert_int_equal(rows[0], 10);
  assert_int_equal(rows[2], 12);
  lc_free(rows);
  /* limit */
  assert_int_equal(lc_deletion_parse_arrow_limit(f, len, "t.arrow", 2, &rows, &n, &err), LANCEC_ECORRUPT);
  /* wrong column name / type / nullability */
  uint8_t *g = malloc(len);
  memcpy(g, f, len);
  size_t ft = 288 + 16;
  g[ft + 100] = 'x'; /* "row_id" → "row_xd" in the footer */
  assert_int_equal(lc_deletion_parse_arrow(g, len, "t.arrow", &rows, &n, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "row_id"));
  memcpy(g, f, len);
  g[ft + 120] = 64; /* bitWidth 64 */
  assert_int_equal(lc_deletion_parse_arrow(g, len, "t.arrow", &rows, &n, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "uint32"));
  memcpy(g, f, len);
  g[0] = 'B';
  assert_int_equal(lc_deletion_parse_arrow(g, len, "t.arrow", &rows, &n, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "magic"));
  /* all flips / truncations of the template: never a crash */
  for (size_t i = 0; i < len; i++) {
    memcpy(g, f, len);
    g[i] ^= 0xff;
    if (lc_deletion_parse_arrow(g, len, "t", &rows, &n, &err) == 0) lc_free(rows);
    if (lc_deletion_parse_arrow(f, i, "t", &rows, &n, &err) == 0) lc_free(rows);
  }
  free(g);
  free(f);

  /* real Lance files (ZSTD-compressed bodies): flips and truncations */
  const char *files[] = {
      "public/compacted.lance/_deletions/3-7-12296072857611895984.arrow",
      "public/deletions_arrow.lance/_deletions/0-3-4869907752687650745.arrow",
  };
  for (size_t k = 0; k < 2; k++) {
    uint8_t *o = read_corpus(files[k], &len);
    assert_ok(lc_deletion_parse_arrow(o, len, files[k], &rows, &n, &err), &err);
    assert_true(n > 0);
    lc_free(rows);
    g = malloc(len);
    for (size_t i = 0; i < len; i++) {
      memcpy(g, o, len);
      g[i] ^= 0xff;
      if (lc_deletion_parse_arrow(g, len, "t", &rows, &n, &err) == 0) lc_free(rows);
      if (lc_deletion_parse_arrow(o, i, "t", &rows, &n, &err) == 0) lc_free(rows);
    }
    /* an arrow file is not a bitmap and vice versa */
    assert_int_equal(lc_deletion_parse_bitmap(o, len, "t", &rows, &n, &err), LANCEC_ECORRUPT);
    free(g);
    free(o);
  }

  /* roaring */
  uint8_t *o = read_corpus("public/deletions_bin.lance/_deletions/0-2-3363037060661149002.bin", &len);
  assert_ok(lc_deletion_parse_bitmap(o, len, "b.bin", &rows, &n, &err), &err);
  assert_true(n > 5000);
  for (size_t i = 1; i < n; i++) assert_true(rows[i - 1] < rows[i]);
  lc_free(rows);
  assert_int_equal(lc_deletion_parse_bitmap_limit(o, len, "b.bin", 10, &rows, &n, &err), LANCEC_ECORRUPT);
  assert_int_equal(lc_deletion_parse_arrow(o, len, "b.bin", &rows, &n, &err), LANCEC_ECORRUPT);
  g = malloc(len);
  memcpy(g, o, len);
  g[0] = 0x99;
  assert_int_equal(lc_deletion_parse_bitmap(g, len, "b.bin", &rows, &n, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "cookie"));
  for (size_t i = 0; i < len; i += (i < 64 ? 1 : 509)) {
    if (lc_deletion_parse_bitmap(o, i, "t", &rows, &n, &err) == 0) lc_free(rows);
    memcpy(g, o, len);
    g[i] ^= 0xff;
    if (lc_deletion_parse_bitmap(g, len, "t", &rows, &n, &err) == 0) lc_free(rows);
  }
  free(g);
  free(o);
  /* run containers (spec example): 10..19, 30, 65536..65539 */
  static const uint8_t runs[] = {0x3b, 0x30, 0x01, 0x00, 0x03, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x00,
                                 0x03, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x09, 0x00, 0x1e, 0x00, 0x00,
                                 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00};
  assert_ok(lc_deletion_parse_bitmap(runs, sizeof(runs), "r.bin", &rows, &n, &err), &err);
  assert_int_equal(n, 15);
  assert_int_equal(rows[0], 10);
  assert_int_equal(rows[9], 19);
  assert_int_equal(rows[10], 30);
  assert_int_equal(rows[11], 65536);
  assert_int_equal(rows[14], 65539);
  lc_free(rows);
}

/* A copy of deletions_arrow's latest version (manifest + deletion files). */
static char *copy_deletions_ds(const char *name, lc_manifest **m_out) {
  lancec_error err = {0};
  char *src = corpus("public/deletions_arrow.lance");
  lancec_dataset *ds;
  assert_ok(lancec_dataset_open(&ds, src, NULL, &err), &err);
  char *d = new_ds(name);
  for (size_t i = 0; i < ds->manifest->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = ds->manifest->pb->fragments[i];
    if (!f->deletion_file) continue;
    char *p = lc_deletion_path(ds->root, ds->manifest, f);
    size_t len;
    uint8_t *b = tu_read_file(p, &len);
    assert_non_null(b);
    char *rel = lc_sprintf("_deletions/%s", strrchr(p, '/') + 1);
    write_at(d, rel, b, len);
    free(b);
    lc_free(rel);
    lc_free(p);
  }
  *m_out = decode_copy(ds->manifest->raw, ds->manifest->raw_len);
  lancec_dataset_free(ds);
  lc_free(src);
  return d;
}

static int read_all_deletions(const char *d, lancec_error *err) {
  lancec_dataset *ds;
  int rc = lancec_dataset_open(&ds, d, NULL, err);
  if (rc) return rc;
  for (size_t i = 0; rc == 0 && i < ds->manifest->pb->n_fragments; i++) {
    uint32_t *rows;
    size_t n;
    rc = lc_deletion_read(ds->io, ds->root, ds->manifest, ds->manifest->pb->fragments[i], &rows, &n, err);
    if (rc == 0) lc_free(rows);
  }
  lancec_dataset_free(ds);
  return rc;
}

static void test_deletion_read(void **state) {
  (void)state;
  lancec_error err = {0};
  lc_manifest *m;
  char *d = copy_deletions_ds("del", &m);
  char *name = lc_sprintf("_versions/%020" PRIu64 ".manifest", UINT64_MAX - m->version);
  size_t len;
  uint8_t *b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_ok(read_all_deletions(d, &err), &err);

  Lance__Table__DataFragment *frag = NULL;
  for (size_t i = 0; i < m->pb->n_fragments && !frag; i++)
    if (m->pb->fragments[i]->deletion_file) frag = m->pb->fragments[i];
  assert_non_null(frag);
  Lance__Table__DeletionFile *df = frag->deletion_file;

  /* count differs from the manifest */
  df->num_deleted_rows += 1;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "manifest says"));
  df->num_deleted_rows -= 1;

  /* deleted row past physical_rows */
  uint64_t phys = frag->physical_rows;
  frag->physical_rows = df->num_deleted_rows;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "past the end"));
  /* more deleted rows than rows: rejected when the manifest is read */
  frag->physical_rows = df->num_deleted_rows - 1;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(open_ds(d, &err), LANCEC_ECORRUPT);
  frag->physical_rows = phys;

  /* unknown file type, wrong kind, missing file */
  df->has_file_type = 1;
  df->file_type = 7;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "deletion file type"));
  df->file_type = LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__BITMAP;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ENOTFOUND);
  df->file_type = LANCE__TABLE__DELETION_FILE__DELETION_FILE_TYPE__ARROW_ARRAY;
  df->has_base_id = 1;
  df->base_id = 4;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "base path"));
  df->has_base_id = 0;
  b = encode_manifest(m->pb, &len);
  write_at(d, name, b, len);
  free(b);
  assert_ok(read_all_deletions(d, &err), &err);

  /* garbage deletion file content */
  char *rel = lc_sprintf("_deletions/%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".arrow", frag->id,
                         df->read_version, df->id);
  write_at(d, rel, "ARROW1 garbage garbage ARROW1", 29);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  /* a valid IPC file with the wrong schema is rejected */
  uint32_t vals[] = {1, 2};
  uint8_t *f = arrow_template(vals, 2, &len);
  f[288 + 8 + 100] = 'X';
  write_at(d, rel, f, len);
  free(f);
  assert_int_equal(read_all_deletions(d, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "row_id"));
  lc_free(rel);

  lc_manifest_free(m);
  lc_free(name);
  lc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_manifest_bytes),   cmocka_unit_test(test_manifest_fields),
      cmocka_unit_test(test_version_dirs),     cmocka_unit_test(test_deletion_parsers),
      cmocka_unit_test(test_deletion_read),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
