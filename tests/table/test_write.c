/* lancec_write / lancec_delete end to end: round trips of every type through
 * the public read API, append / overwrite / versions / time travel, the
 * manifest checklist, deletes by SQL filter, concurrent writers, fault
 * injection and error cases. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "../arrow/arrow_gen.h"
#include "io/io.h"
#include "table/table.h"
#include "table/table_write.h"

/* ---- an ArrowArrayStream over prepared batches ----------------------------------- */

typedef struct vec_stream {
  lc_field *root; /* owned */
  struct ArrowArray *b;
  size_t n, next;
} vec_stream;

static int vs_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  vec_stream *v = s->private_data;
  lancec_error err = {0};
  return lc_ipc_field_to_arrow(v->root, out, &err) ? EINVAL : 0;
}
static int vs_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  vec_stream *v = s->private_data;
  memset(out, 0, sizeof(*out));
  if (v->next < v->n) lc_array_move(&v->b[v->next++], out);
  return 0;
}
static const char *vs_err(struct ArrowArrayStream *s) {
  (void)s;
  return "no error";
}
static void vs_release(struct ArrowArrayStream *s) {
  vec_stream *v = s->private_data;
  for (size_t i = 0; i < v->n; i++) lc_array_release(&v->b[i]);
  lc_free(v->b);
  lc_field_free(v->root);
  lc_free(v);
  s->release = NULL;
}

/* Takes ownership of root and batches[0..n) (moved). */
static void make_stream(struct ArrowArrayStream *s, lc_field *root, struct ArrowArray *batches, size_t n) {
  vec_stream *v = lc_calloc(1, sizeof(*v));
  v->root = root;
  v->b = lc_calloc(n + 1, sizeof(*v->b));
  for (size_t i = 0; i < n; i++) lc_array_move(&batches[i], &v->b[i]);
  v->n = n;
  s->get_schema = vs_schema;
  s->get_next = vs_next;
  s->get_last_error = vs_err;
  s->release = vs_release;
  s->private_data = v;
}

/* Drop the validity of arrays whose field is not nullable (gen_array
 * ignores nullability). */
static void strip_nulls(const lc_field *f, struct ArrowArray *a) {
  if (!f->nullable && f->type != LC_T_NULL && a->n_buffers > 0 && a->buffers[0]) {
    lc_free((void *)a->buffers[0]);
    a->buffers[0] = NULL;
    a->null_count = 0;
  }
  for (size_t i = 0; i < f->n_children && i < (size_t)a->n_children; i++)
    strip_nulls(f->children[i], a->children[i]);
  if (f->dict_value && a->dictionary) strip_nulls(f->dict_value, a->dictionary);
}

/* A batch whose columns are generated for root's children (no struct nulls). */
static void gen_batch(const lc_field *root, int64_t n, int null_pct, struct ArrowArray *out) {
  struct ArrowArray *cols = lc_calloc(root->n_children + 1, sizeof(*cols));
  for (size_t i = 0; i < root->n_children; i++) {
    gen_array(root->children[i], n, null_pct, &cols[i]);
    strip_nulls(root->children[i], &cols[i]);
  }
  lancec_error err = {0};
  assert_ok(lc_array_make_batch(cols, root->n_children, n, out, &err), &err);
  lc_free(cols);
}

/* int64 column `id` (0-based from start) and string column `s`. */
static lc_field *id_s_root(lc_type_id id_type) {
  lc_field *r = fld(LC_T_STRUCT, "");
  r->nullable = false;
  fld_add(r, fld(id_type, "id"));
  fld_add(r, fld(LC_T_STRING, "s"));
  return r;
}

static void id_s_batch(lc_type_id id_type, int64_t start, int64_t n, struct ArrowArray *out) {
  struct ArrowArray cols[2];
  lc_array_init(&cols[0], 2, 0);
  int w = id_type == LC_T_INT32 ? 4 : 8;
  uint8_t *ids = lc_malloc_aligned((size_t)n * (size_t)w + 8);
  for (int64_t i = 0; i < n; i++) {
    if (w == 4)
      ((int32_t *)ids)[i] = (int32_t)(start + i);
    else
      ((int64_t *)ids)[i] = start + i;
  }
  lc_array_set_buffer(&cols[0], 1, ids);
  cols[0].length = n;
  lc_array_init(&cols[1], 3, 0);
  int32_t *off = lc_malloc_aligned((size_t)(n + 1) * 4);
  lc_buf data = {0};
  off[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    char tmp[32];
    int l = snprintf(tmp, sizeof(tmp), "s%" PRId64, start + i);
    lc_buf_append(&data, tmp, (size_t)l);
    off[i + 1] = (int32_t)data.len;
  }
  uint8_t *d = lc_malloc_aligned(data.len + 1);
  memcpy(d, data.data ? data.data : (uint8_t *)"", data.len);
  lc_buf_free(&data);
  lc_array_set_buffer(&cols[1], 1, off);
  lc_array_set_buffer(&cols[1], 2, d);
  cols[1].length = n;
  lancec_error err = {0};
  assert_ok(lc_array_make_batch(cols, 2, n, out, &err), &err);
}

static int write_ids(const char *uri, lancec_write_mode mode, int64_t start, int64_t n, int64_t per_batch,
                     const lancec_write_options *base, lancec_write_result *res, lancec_error *err) {
  size_t nb = per_batch > 0 ? (size_t)((n + per_batch - 1) / per_batch) : 0;
  struct ArrowArray *b = lc_calloc(nb + 1, sizeof(*b));
  for (size_t i = 0; i < nb; i++) {
    int64_t s = start + (int64_t)i * per_batch;
    int64_t c = n - (int64_t)i * per_batch < per_batch ? n - (int64_t)i * per_batch : per_batch;
    id_s_batch(LC_T_INT64, s, c, &b[i]);
  }
  struct ArrowArrayStream st;
  make_stream(&st, id_s_root(LC_T_INT64), b, nb);
  lc_free(b);
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  if (base) o = *base;
  o.mode = mode;
  return lancec_write(uri, &st, &o, res, err);
}

/* All int64 `id` values of a version (0 = latest). */
static int64_t *read_ids(const char *uri, uint64_t version, size_t *n) {
  lancec_error err = {0};
  lancec_open_options oo = LANCEC_OPEN_OPTIONS_INIT;
  oo.version = version;
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, &oo, &err), &err);
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  const char *cols[1] = {"id"};
  so.columns = cols;
  so.num_columns = 1;
  struct ArrowArrayStream st;
  assert_ok(lancec_dataset_scan(ds, &so, &st, &err), &err);
  int64_t *v = NULL;
  size_t cnt = 0;
  for (;;) {
    struct ArrowArray b;
    assert_int_equal(st.get_next(&st, &b), 0);
    if (!b.release) break;
    const struct ArrowArray *c = b.children[0];
    v = lc_realloc(v, (cnt + (size_t)b.length + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < b.length; i++) v[cnt++] = ((const int64_t *)c->buffers[1])[c->offset + i];
    b.release(&b);
  }
  st.release(&st);
  lancec_dataset_free(ds);
  *n = cnt;
  return v;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t count_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static lc_manifest *read_manifest(const char *root, uint64_t version) {
  lancec_error err = {0};
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  char *path = NULL;
  assert_ok(lc_version_manifest_path(io, root, version, &path, NULL, &err), &err);
  lc_manifest *m = NULL;
  assert_ok(lc_manifest_read(&m, io, path, &err), &err);
  lc_free(path);
  lc_io_unref(io);
  return m;
}

/* ---- round trip of every type ------------------------------------------------------ */

static void drop_child(lc_field *r, const char *name) {
  for (size_t i = 0; i < r->n_children; i++)
    if (!strcmp(r->children[i]->name, name)) {
      lc_field_free(r->children[i]);
      memmove(&r->children[i], &r->children[i + 1], (r->n_children - i - 1) * sizeof(lc_field *));
      r->n_children--;
      return;
    }
}

/* A dictionary entry whose value is null reads back as a null index: both
 * are null. */
static void normalise(char *s) {
  char *p;
  while ((p = strstr(s, "Dnull"))) memmove(p, p + 1, strlen(p + 1) + 1);
}

static void roundtrip(const char *format) {
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/t.lance", tmp);
  lc_field *root = zoo_field();
  bool v20 = !strcmp(format, "2.0");
  if (!v20) drop_child(root, "fsl_fsl"); /* FSL of bool: written in 2.0 only */
  if (strcmp(format, "2.2")) drop_child(root, "m");
  if (v20) {
    /* 2.0 stores no struct validity (null structs are refused): structs without nulls */
    for (size_t i = 0; i < root->n_children; i++) {
      lc_field *c = root->children[i];
      if (!strcmp(c->name, "st")) c->nullable = false, c->children[2]->nullable = false;
      if (!strcmp(c->name, "l_st")) c->children[0]->nullable = false;
    }
  }
  /* keep an oracle copy of the rows */
  enum { NB = 3, ROWS = 257 };
  struct ArrowArray in[NB];
  char **exp = lc_calloc(NB * ROWS, sizeof(char *));
  for (int b = 0; b < NB; b++) {
    gen_batch(root, ROWS, 20, &in[b]);
    for (int64_t i = 0; i < ROWS; i++) {
      lc_buf s = {0};
      lc_buf_append(&s, "{", 1);
      for (size_t c = 0; c < root->n_children; c++) {
        if (c) lc_buf_append(&s, ",", 1);
        repr(&s, root->children[c], in[b].children[c], i);
      }
      lc_buf_append(&s, "}", 2);
      exp[b * ROWS + i] = (char *)lc_buf_steal(&s, NULL);
    }
  }
  lc_field *root_copy = lc_field_clone(root);
  struct ArrowArrayStream st;
  make_stream(&st, root, in, NB);
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.data_storage_version = format;
  o.max_rows_per_file = 500; /* 771 rows → 2 fragments */
  lancec_write_result res;
  lancec_error err = {0};
  assert_ok(lancec_write(uri, &st, &o, &res, &err), &err);
  assert_int_equal(res.version, 1);
  assert_int_equal(res.num_rows, NB * ROWS);
  assert_int_equal(res.num_fragments, 2);
  assert_int_equal(res.num_small_files, 2); /* 500 and 271 < 1024 */

  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_string_equal(lancec_dataset_data_format(ds), format);
  assert_int_equal(lancec_dataset_count_rows(ds), NB * ROWS);
  struct ArrowArrayStream out;
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  /* dict_u8: the data file may hold more dictionary entries than a uint8 key
   * can address in one batch (the reader then asks for fewer rows) */
  so.batch_size = 100;
  assert_ok(lancec_dataset_scan(ds, &so, &out, &err), &err);
  struct ArrowSchema osch;
  assert_int_equal(out.get_schema(&out, &osch), 0);
  lc_field *oroot = NULL;
  assert_ok(lc_ipc_field_from_arrow(&oroot, &osch, &err), &err);
  osch.release(&osch);
  assert_int_equal(oroot->n_children, root_copy->n_children);
  for (size_t c = 0; c < oroot->n_children; c++)
    assert_string_equal(oroot->children[c]->name, root_copy->children[c]->name);
  size_t row = 0;
  for (;;) {
    struct ArrowArray b;
    int grc = out.get_next(&out, &b);
    if (grc) fail_msg("scan failed: %s", out.get_last_error(&out));
    if (!b.release) break;
    for (int64_t i = 0; i < b.length; i++, row++) {
      char *got = repr_row(oroot, &b, i);
      normalise(got);
      normalise(exp[row]);
      if (strcmp(got, exp[row])) {
        size_t d = 0;
        while (got[d] && got[d] == exp[row][d]) d++;
        size_t from = d > 60 ? d - 60 : 0;
        fail_msg("row %zu differs at char %zu:\n got ...%.160s\nwant ...%.160s", row, d, got + from,
                 exp[row] + from);
      }
      lc_free(got);
    }
    b.release(&b);
  }
  assert_int_equal(row, NB * ROWS);
  out.release(&out);
  lancec_dataset_free(ds);
  lc_ipc_field_free(oroot);
  lc_field_free(root_copy);
  for (int i = 0; i < NB * ROWS; i++) lc_free(exp[i]);
  lc_free(exp);

  /* the manifest checklist */
  lc_manifest *m = read_manifest(uri, 1);
  const Lance__Table__Manifest *pb = m->pb;
  assert_string_equal(pb->writer_version->library, "lancec");
  assert_string_equal(pb->data_format->file_format, "lance");
  assert_string_equal(pb->data_format->version, format);
  assert_true(pb->has_max_fragment_id);
  assert_int_equal(pb->max_fragment_id, 1);
  assert_true(pb->has_transaction_section);
  for (size_t i = 0; i < pb->n_fields; i++) assert_int_equal(pb->fields[i]->id, (int32_t)i); /* pre-order */
  for (size_t i = 0; i < pb->n_fragments; i++) {
    const Lance__Table__DataFile *df = pb->fragments[i]->files[0];
    assert_int_equal(strlen(df->path), 56);
    assert_int_equal(df->file_major_version, 2);
    assert_int_equal(df->file_minor_version, format[2] - '0');
    assert_int_equal(df->n_fields, df->n_column_indices);
    char *fp = lc_sprintf("%s/data/%s", uri, df->path);
    struct stat sst;
    assert_int_equal(stat(fp, &sst), 0);
    assert_int_equal((uint64_t)sst.st_size, df->file_size_bytes);
    lc_free(fp);
  }
  assert_int_equal(pb->fragments[0]->physical_rows, 500);
  assert_int_equal(pb->fragments[1]->physical_rows, 271);
  lc_manifest_free(m);
  /* V2 manifest name */
  char *mp = lc_sprintf("%s/_versions/18446744073709551614.manifest", uri);
  struct stat sst;
  assert_int_equal(stat(mp, &sst), 0);
  lc_free(mp);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

static void test_roundtrip_all_types_22(void **state) {
  (void)state;
  roundtrip("2.2");
}
static void test_roundtrip_all_types_21(void **state) {
  (void)state;
  roundtrip("2.1");
}
static void test_roundtrip_all_types_20(void **state) {
  (void)state;
  roundtrip("2.0");
}

/* A 2.0 dataset stays 2.0: appends (whatever version is asked) and overwrites
 * without a version write 2.0 files, recorded as Lance records them. */
static void check_v20_files(const char *uri, uint64_t version, size_t nfrags) {
  lc_manifest *m = read_manifest(uri, version);
  assert_string_equal(m->pb->data_format->version, "2.0");
  assert_string_equal(m->data_format, "2.0");
  assert_int_equal(m->pb->n_fragments, nfrags);
  for (size_t i = 0; i < m->pb->n_fragments; i++) {
    const Lance__Table__DataFile *df = m->pb->fragments[i]->files[0];
    assert_int_equal(df->file_major_version, 2);
    assert_false(df->has_file_minor_version); /* (2, 0): the minor omitted */
    /* every field has a column, in pre-order: id, s */
    assert_int_equal(df->n_fields, 2);
    assert_int_equal(df->column_indices[1], 1);
    char *fp = lc_sprintf("%s/data/%s", uri, df->path);
    size_t len = 0;
    uint8_t *b = tu_read_file(fp, &len);
    assert_non_null(b);
    assert_int_equal(lc_le16(b + len - 8), 0); /* footer (0, 3) */
    assert_int_equal(lc_le16(b + len - 6), 3);
    free(b);
    lc_free(fp);
  }
  lc_manifest_free(m);
}

static void test_v20_stays_v20(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/v20.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.data_storage_version = "2.0";
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 100, 30, &o, &res, &err), &err);
  check_v20_files(uri, 1, 1);
  assert_ok(write_ids(uri, LANCEC_WRITE_APPEND, 100, 50, 50, NULL, &res, &err), &err);
  check_v20_files(uri, 2, 2);
  lancec_write_options o22 = LANCEC_WRITE_OPTIONS_INIT;
  o22.data_storage_version = "2.2";
  assert_ok(write_ids(uri, LANCEC_WRITE_APPEND, 150, 10, 10, &o22, &res, &err), &err);
  check_v20_files(uri, 3, 3);
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, 160);
  for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], (int64_t)i);
  lc_free(ids);
  assert_ok(write_ids(uri, LANCEC_WRITE_OVERWRITE, 0, 20, 20, NULL, &res, &err), &err);
  check_v20_files(uri, 4, 1);
  /* an overwrite that asks for another version changes it */
  assert_ok(write_ids(uri, LANCEC_WRITE_OVERWRITE, 0, 20, 20, &o22, &res, &err), &err);
  lc_manifest *m = read_manifest(uri, 5);
  assert_string_equal(m->pb->data_format->version, "2.2");
  lc_manifest_free(m);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* ---- append / overwrite / versions ---------------------------------------------------- */

static void test_append_overwrite_versions(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/v.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  const char *keys[] = {"lance.auto_cleanup.interval", "k"};
  const char *vals[] = {"20", "v"};
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.config_keys = keys;
  o.config_values = vals;
  o.num_config = 2;
  o.max_rows_per_file = 40;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 100, 30, &o, &res, &err), &err);
  assert_int_equal(res.version, 1);
  assert_int_equal(res.num_fragments, 3);
  lc_manifest *m = read_manifest(uri, 1);
  assert_int_equal(m->pb->n_config, 2);
  assert_true(m->pb->writer_feature_flags & LC_FLAG_TABLE_CONFIG);
  assert_int_equal(m->pb->max_fragment_id, 2);
  lc_manifest_free(m);

  /* append: int32 ids (cast to int64), columns reordered, s missing in one batch */
  lc_field *r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT32, "id"));
  struct ArrowArray b[1];
  struct ArrowArray full;
  id_s_batch(LC_T_INT32, 100, 50, &full);
  struct ArrowArray *col = lc_calloc(1, sizeof(*col));
  lc_array_move(full.children[0], col);
  lc_array_release(&full);
  assert_ok(lc_array_make_batch(col, 1, 50, &b[0], &err), &err);
  lc_free(col);
  struct ArrowArrayStream st;
  make_stream(&st, r, b, 1);
  lancec_write_options ao = LANCEC_WRITE_OPTIONS_INIT;
  ao.mode = LANCEC_WRITE_APPEND;
  assert_ok(lancec_write(uri, &st, &ao, &res, &err), &err);
  assert_int_equal(res.version, 2);
  assert_int_equal(res.num_rows, 50);
  assert_int_equal(res.num_fragments, 4);
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, 150);
  for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], (int64_t)i);
  lc_free(ids);
  m = read_manifest(uri, 2);
  assert_int_equal(m->pb->fragments[3]->id, 3);
  assert_int_equal(m->pb->n_config, 2); /* copied forward */
  lc_manifest_free(m);

  /* overwrite with a different schema */
  lc_field *r2 = fld(LC_T_STRUCT, "");
  fld_add(r2, fld(LC_T_DOUBLE, "x"));
  struct ArrowArray b2[1];
  gen_batch(r2, 10, 0, &b2[0]);
  make_stream(&st, r2, b2, 1);
  lancec_write_options oo = LANCEC_WRITE_OPTIONS_INIT;
  oo.mode = LANCEC_WRITE_OVERWRITE;
  assert_ok(lancec_write(uri, &st, &oo, &res, &err), &err);
  assert_int_equal(res.version, 3);
  assert_int_equal(res.num_fragments, 1);
  m = read_manifest(uri, 3);
  assert_int_equal(m->pb->n_fields, 1);
  assert_string_equal(m->pb->fields[0]->name, "x");
  assert_int_equal(m->pb->fields[0]->id, 0);
  assert_int_equal(m->pb->fragments[0]->id, 0);
  assert_int_equal(m->pb->max_fragment_id, 3);
  lc_manifest_free(m);

  /* versions and time travel */
  lancec_version_info *vi = NULL;
  size_t nv = 0;
  assert_ok(lancec_dataset_versions(&vi, &nv, uri, &err), &err);
  assert_int_equal(nv, 3);
  assert_string_equal(vi[0].operation, "Overwrite");
  assert_string_equal(vi[1].operation, "Append");
  assert_string_equal(vi[2].operation, "Overwrite");
  assert_int_equal(vi[0].num_rows, 100);
  assert_int_equal(vi[1].num_rows, 150);
  assert_int_equal(vi[2].num_rows, 10);
  assert_true(vi[0].timestamp_ns <= vi[1].timestamp_ns && vi[1].timestamp_ns <= vi[2].timestamp_ns);
  lancec_versions_free(vi);
  ids = read_ids(uri, 1, &n);
  assert_int_equal(n, 100);
  lc_free(ids);

  /* overwrite with the same schema as the current one keeps ids; empty input commits */
  r2 = fld(LC_T_STRUCT, "");
  fld_add(r2, fld(LC_T_DOUBLE, "x"));
  make_stream(&st, r2, NULL, 0);
  assert_ok(lancec_write(uri, &st, &oo, &res, &err), &err);
  assert_int_equal(res.version, 4);
  assert_int_equal(res.num_fragments, 0);
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_count_rows(ds), 0);
  lancec_dataset_free(ds);

  /* overwrite creates a missing dataset */
  char *uri2 = lc_sprintf("%s/new.lance", tmp);
  assert_ok(write_ids(uri2, LANCEC_WRITE_OVERWRITE, 0, 5, 5, NULL, &res, &err), &err);
  assert_int_equal(res.version, 1);
  lc_free(uri2);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* ---- errors ------------------------------------------------------------------------- */

static void test_errors(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/e.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  /* append to nothing */
  assert_int_equal(write_ids(uri, LANCEC_WRITE_APPEND, 0, 5, 5, NULL, &res, &err), LANCEC_ENOTFOUND);
  /* create in a directory without _versions is fine */
  assert_int_equal(mkdir(uri, 0777), 0);
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 5, 5, NULL, &res, &err), &err);
  char *data = lc_sprintf("%s/data", uri);
  size_t nfiles = count_dir(data);
  /* create again → EEXISTS, nothing written */
  assert_int_equal(write_ids(uri, LANCEC_WRITE_CREATE, 0, 5, 5, NULL, &res, &err), LANCEC_EEXISTS);
  assert_int_equal(count_dir(data), nfiles);

  /* wrong type: s as int32 → ETYPE naming column and types */
  lc_field *r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT64, "id"));
  fld_add(r, fld_list(LC_T_LIST, "s", fld(LC_T_INT32, "item")));
  struct ArrowArray b[1];
  gen_batch(r, 4, 0, &b[0]);
  struct ArrowArrayStream st;
  make_stream(&st, r, b, 1);
  lancec_write_options ao = LANCEC_WRITE_OPTIONS_INIT;
  ao.mode = LANCEC_WRITE_APPEND;
  assert_int_equal(lancec_write(uri, &st, &ao, &res, &err), LANCEC_ETYPE);
  assert_non_null(strstr(err.message, "'s'"));
  assert_non_null(strstr(err.message, "list"));
  assert_non_null(strstr(err.message, "string"));

  /* extra column */
  r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT64, "id"));
  fld_add(r, fld(LC_T_INT64, "extra"));
  gen_batch(r, 4, 0, &b[0]);
  make_stream(&st, r, b, 1);
  assert_int_equal(lancec_write(uri, &st, &ao, &res, &err), LANCEC_ETYPE);
  assert_non_null(strstr(err.message, "'extra'"));

  /* null into a non-nullable column */
  char *uri3 = lc_sprintf("%s/nn.lance", tmp);
  r = fld(LC_T_STRUCT, "");
  lc_field *nn = fld(LC_T_INT32, "nn");
  nn->nullable = false;
  fld_add(r, nn);
  gen_batch(r, 4, 0, &b[0]);
  make_stream(&st, r, b, 1);
  assert_ok(lancec_write(uri3, &st, NULL, &res, &err), &err);
  r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT32, "nn"));
  gen_batch(r, 64, 50, &b[0]);
  if (b[0].children[0]->null_count == 0) { /* make sure there is a null */
    lc_array_release(&b[0]);
    lc_array_init(&b[0], 1, 1);
    b[0].length = 1;
    lc_array_init(b[0].children[0], 2, 0);
    uint8_t *valid = lc_malloc_aligned(8);
    valid[0] = 0;
    uint8_t *vals = lc_malloc_aligned(8);
    lc_array_set_buffer(b[0].children[0], 0, valid);
    lc_array_set_buffer(b[0].children[0], 1, vals);
    b[0].children[0]->length = 1;
    b[0].children[0]->null_count = 1;
  }
  make_stream(&st, r, b, 1);
  assert_int_equal(lancec_write(uri3, &st, &ao, &res, &err), LANCEC_ETYPE);
  assert_non_null(strstr(err.message, "nn"));
  /* missing non-nullable column */
  r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT32, "other"));
  make_stream(&st, r, NULL, 0);
  assert_int_equal(lancec_write(uri3, &st, &ao, &res, &err), LANCEC_ETYPE);
  lc_free(uri3);

  /* nothing of the failed appends is visible */
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 1);
  lancec_dataset_free(ds);
  assert_int_equal(count_dir(data), nfiles);
  lc_free(data);

  /* bad filter */
  assert_int_equal(lancec_delete(uri, "id >", &res, &err), LANCEC_EINVAL);
  assert_int_equal(lancec_delete(uri, "nope = 1", &res, &err), LANCEC_EINVAL);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* ---- deletes by filter ------------------------------------------------------------------ */

static void test_delete_filter(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/d.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.max_rows_per_file = 6000;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 10000, 2500, &o, &res, &err), &err);
  assert_int_equal(res.num_fragments, 2);

  assert_ok(lancec_delete(uri, "id < 10", &res, &err), &err);
  assert_int_equal(res.version, 2);
  assert_int_equal(res.num_rows, 10);
  assert_int_equal(res.num_deleted_rows, 10);
  assert_ok(lancec_delete(uri, "id >= 100 AND id < 5200", &res, &err), &err);
  assert_int_equal(res.version, 3);
  assert_int_equal(res.num_rows, 5100);
  lc_manifest *m = read_manifest(uri, 3);
  assert_int_equal(m->pb->fragments[0]->deletion_file->file_type, 1); /* 5110 > 5000 → .bin */
  assert_int_equal(m->pb->fragments[0]->deletion_file->num_deleted_rows, 5110);
  Lance__Transaction *t = NULL;
  lc_io *io = NULL;
  assert_ok(lc_io_local_new(&io, &err), &err);
  assert_ok(lc_manifest_transaction(m, io, uri, &t, &err), &err);
  assert_string_equal(t->delete_->predicate, "id >= 100 AND id < 5200");
  lance__transaction__free_unpacked(t, NULL);
  lc_io_unref(io);
  lc_manifest_free(m);
  /* nothing matches → no commit */
  assert_ok(lancec_delete(uri, "id < 5", &res, &err), &err);
  assert_int_equal(res.version, 3);
  assert_int_equal(res.num_rows, 0);
  /* a whole fragment */
  assert_ok(lancec_delete(uri, "id >= 6000", &res, &err), &err);
  assert_int_equal(res.version, 4);
  assert_int_equal(res.num_fragments, 1);
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, 6000 - 10 - 5100);
  size_t k = 0;
  for (int64_t i = 0; i < 6000; i++)
    if (!(i < 10 || (i >= 100 && i < 5200))) assert_int_equal(ids[k++], i);
  lc_free(ids);
  ids = read_ids(uri, 2, &n);
  assert_int_equal(n, 9990);
  lc_free(ids);
  /* delete everything, then append again */
  assert_ok(lancec_delete(uri, "true", &res, &err), &err);
  assert_int_equal(res.num_fragments, 0);
  assert_ok(write_ids(uri, LANCEC_WRITE_APPEND, 20000, 3, 3, NULL, &res, &err), &err);
  m = read_manifest(uri, res.version);
  assert_int_equal(m->pb->fragments[0]->id, 2); /* high-water mark */
  lc_manifest_free(m);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* ---- concurrency -------------------------------------------------------------------------- */

typedef struct wr_arg {
  const char *uri;
  int64_t start;
  int batches;
  int failures;
} wr_arg;

static void *writer_thread(void *p) {
  wr_arg *a = p;
  for (int i = 0; i < a->batches; i++) {
    lancec_error err = {0};
    lancec_write_result res;
    if (write_ids(a->uri, LANCEC_WRITE_APPEND, a->start + i * 10, 10, 10, NULL, &res, &err)) {
      fprintf(stderr, "append failed: %s\n", err.message);
      a->failures++;
    }
  }
  return NULL;
}

static void test_concurrent_writers(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/c.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 0, 1, NULL, &res, &err), &err);
  enum { T = 8, B = 16 };
  pthread_t th[T];
  wr_arg args[T];
  for (int i = 0; i < T; i++) {
    args[i] = (wr_arg){uri, (int64_t)i * 100000, B, 0};
    pthread_create(&th[i], NULL, writer_thread, &args[i]);
  }
  for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < T; i++) assert_int_equal(args[i].failures, 0);
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, T * B * 10);
  qsort(ids, n, sizeof(int64_t), cmp_i64);
  size_t k = 0;
  for (int t = 0; t < T; t++)
    for (int64_t i = 0; i < B * 10; i++) assert_int_equal(ids[k++], t * 100000 + i);
  lc_free(ids);
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 1 + T * B);
  lancec_dataset_free(ds);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* Several deletes at once on the same fragments: each one is re-run after a
 * retryable conflict, so every row ends up deleted. */
typedef struct del_arg {
  const char *uri;
  int which;
  int rc;
} del_arg;

static void *deleter(void *p) {
  del_arg *a = p;
  char filter[64];
  snprintf(filter, sizeof(filter), "id %% 4 = %d", a->which);
  lancec_error err = {0};
  lancec_write_result res;
  a->rc = lancec_delete(a->uri, filter, &res, &err);
  if (a->rc) fprintf(stderr, "delete failed: %s\n", err.message);
  return NULL;
}

static void test_concurrent_deletes(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/cd.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.max_rows_per_file = 300;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 1000, 1000, &o, &res, &err), &err);
  pthread_t th[4];
  del_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (del_arg){uri, i, -1};
    pthread_create(&th[i], NULL, deleter, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].rc, 0);
  }
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_count_rows(ds), 0);
  assert_int_equal(lancec_dataset_num_fragments(ds), 0);
  assert_int_equal(lancec_dataset_version(ds), 5);
  lancec_dataset_free(ds);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

static void test_file_limits(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/lim.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.max_bytes_per_file = 1; /* every batch closes its file */
  o.max_rows_per_group = 25;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 100, 30, &o, &res, &err), &err);
  assert_int_equal(res.num_fragments, 4); /* 30, 30, 30, 10 */
  assert_int_equal(res.num_small_files, 1);
  assert_int_equal(res.num_rows, 100);
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, 100);
  for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], (int64_t)i);
  lc_free(ids);
  /* an append whose target schema is not the table's */
  lc_field *r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT32, "id"));
  struct ArrowSchema sch;
  assert_ok(lc_ipc_field_to_arrow(r, &sch, &err), &err);
  lc_field_free(r);
  lancec_write_options ao = LANCEC_WRITE_OPTIONS_INIT;
  ao.schema = &sch;
  assert_int_equal(write_ids(uri, LANCEC_WRITE_APPEND, 100, 5, 5, &ao, &res, &err), LANCEC_ETYPE);
  sch.release(&sch);
  /* a bad data storage version */
  lancec_write_options bo = LANCEC_WRITE_OPTIONS_INIT;
  bo.data_storage_version = "0.1";
  char *uri2 = lc_sprintf("%s/bad.lance", tmp);
  assert_int_equal(write_ids(uri2, LANCEC_WRITE_CREATE, 0, 5, 5, &bo, &res, &err), LANCEC_EUNSUPPORTED);
  lc_free(uri2);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* Processes (not threads) appending at once: put_if_absent is the only
 * coordination. */
static void test_concurrent_processes(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = lc_sprintf("%s/p.lance", tmp);
  lancec_error err = {0};
  lancec_write_result res;
  assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 0, 1, NULL, &res, &err), &err);
  enum { P = 8, B = 25 };
  pid_t pids[P];
  for (int p = 0; p < P; p++) {
    pids[p] = fork();
    assert_true(pids[p] >= 0);
    if (pids[p] == 0) {
      int fails = 0;
      for (int i = 0; i < B; i++) {
        lancec_error e2 = {0};
        lancec_write_result r2;
        if (write_ids(uri, LANCEC_WRITE_APPEND, (int64_t)p * 100000 + i * 10, 10, 10, NULL, &r2, &e2))
          fails++;
      }
      _exit(fails ? 1 : 0);
    }
  }
  for (int p = 0; p < P; p++) {
    int st = 0;
    assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  size_t n = 0;
  int64_t *ids = read_ids(uri, 0, &n);
  assert_int_equal(n, P * B * 10);
  qsort(ids, n, sizeof(int64_t), cmp_i64);
  size_t k = 0;
  for (int p = 0; p < P; p++)
    for (int64_t i = 0; i < B * 10; i++) assert_int_equal(ids[k++], p * 100000 + i);
  lc_free(ids);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* Appending to Lance-written datasets: stable row ids, indices. */
static char *copy_corpus(const char *tmp, const char *name) {
  char *src = tu_shared_path(name);
  char *dst = lc_sprintf("%s/x.lance", tmp);
  char *cmd = lc_sprintf("cp -r '%s' '%s'", src, dst);
  assert_int_equal(system(cmd), 0);
  lc_free(cmd);
  lc_free(src);
  return dst;
}

static void append_id_only(const char *uri, int64_t start, int64_t n) {
  lc_field *r = fld(LC_T_STRUCT, "");
  fld_add(r, fld(LC_T_INT64, "id"));
  struct ArrowArray full, b[1];
  id_s_batch(LC_T_INT64, start, n, &full);
  struct ArrowArray *col = lc_calloc(1, sizeof(*col));
  lc_array_move(full.children[0], col);
  lc_array_release(&full);
  lancec_error err = {0};
  assert_ok(lc_array_make_batch(col, 1, n, &b[0], &err), &err);
  lc_free(col);
  struct ArrowArrayStream st;
  make_stream(&st, r, b, 1);
  lancec_write_options ao = LANCEC_WRITE_OPTIONS_INIT;
  ao.mode = LANCEC_WRITE_APPEND;
  lancec_write_result res;
  assert_ok(lancec_write(uri, &st, &ao, &res, &err), &err);
}

static void test_append_stable_row_ids(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = copy_corpus(tmp, "corpus/public/stable_row_ids.lance");
  lc_manifest *m0 = read_manifest(uri, 0);
  assert_true(m0->pb->reader_feature_flags & LC_FLAG_STABLE_ROW_IDS);
  uint64_t next = m0->pb->next_row_id, v0 = m0->version;
  uint64_t rows0 = lc_manifest_count_rows(m0);
  lc_manifest_free(m0);
  append_id_only(uri, 5000000, 25);
  lc_manifest *m = read_manifest(uri, 0);
  assert_int_equal(m->version, v0 + 1);
  assert_true(m->pb->reader_feature_flags & LC_FLAG_STABLE_ROW_IDS);
  assert_int_equal(m->pb->next_row_id, next + 25);
  const Lance__Table__DataFragment *f = m->pb->fragments[m->pb->n_fragments - 1];
  assert_int_equal(f->row_id_sequence_case, LANCE__TABLE__DATA_FRAGMENT__ROW_ID_SEQUENCE_INLINE_ROW_IDS);
  Lance__Table__RowIdSequence *seq =
      lance__table__row_id_sequence__unpack(NULL, f->inline_row_ids.len, f->inline_row_ids.data);
  assert_non_null(seq);
  assert_int_equal(seq->n_segments, 1);
  assert_int_equal(seq->segments[0]->range->start, next);
  assert_int_equal(seq->segments[0]->range->end, next + 25);
  lance__table__row_id_sequence__free_unpacked(seq, NULL);
  assert_int_equal(f->created_at_version_sequence_case,
                   LANCE__TABLE__DATA_FRAGMENT__CREATED_AT_VERSION_SEQUENCE_INLINE_CREATED_AT_VERSIONS);
  lc_manifest_free(m);
  lancec_dataset *ds = NULL;
  lancec_error err = {0};
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_count_rows(ds), rows0 + 25);
  lancec_dataset_free(ds);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

static void test_append_keeps_indices(void **state) {
  (void)state;
  char *tmp = tu_tempdir();
  char *uri = copy_corpus(tmp, "corpus/public/index_ivfpq_btree_bitmap.lance");
  lc_manifest *m0 = read_manifest(uri, 0);
  assert_true(m0->pb->has_index_section);
  uint64_t off = m0->pb->index_section;
  uint32_t len = lc_le32(m0->raw + off);
  append_id_only(uri, 900000, 7);
  lc_manifest *m = read_manifest(uri, 0);
  assert_int_equal(m->version, m0->version + 1);
  assert_true(m->pb->has_index_section);
  assert_int_equal(m->pb->index_section, 0);
  assert_int_equal(lc_le32(m->raw), len);
  assert_memory_equal(m->raw, m0->raw + off, 4 + (size_t)len); /* verbatim */
  assert_int_equal(m->pb->transaction_section, 4 + (uint64_t)len);
  lancec_dataset *ds = NULL;
  lancec_error err = {0};
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_num_indices(ds), m->indices->n_indices);
  assert_int_equal(lancec_dataset_count_rows(ds), lc_manifest_count_rows(m0) + 7);
  lancec_dataset_free(ds);
  /* a delete keeps them too; an overwrite drops them */
  lancec_write_result res;
  assert_ok(lancec_delete(uri, "id = 900003", &res, &err), &err);
  assert_int_equal(res.num_rows, 1);
  lc_manifest *m2 = read_manifest(uri, 0);
  assert_true(m2->pb->has_index_section);
  assert_int_equal(m2->indices->n_indices, m->indices->n_indices);
  lc_manifest_free(m2);
  /* every fragment deleted: the vector index goes, scalar indices stay */
  assert_ok(lancec_delete(uri, "true", &res, &err), &err);
  assert_int_equal(res.num_fragments, 0);
  m2 = read_manifest(uri, 0);
  assert_true(m2->pb->has_index_section);
  size_t nvec = 0;
  for (size_t i = 0; i < m->indices->n_indices; i++)
    nvec += !strcmp(lc_index_type_name(m->indices->indices[i]), "VECTOR");
  assert_true(nvec > 0);
  assert_int_equal(m2->indices->n_indices, m->indices->n_indices - nvec);
  for (size_t i = 0; i < m2->indices->n_indices; i++)
    assert_string_not_equal(lc_index_type_name(m2->indices->indices[i]), "VECTOR");
  lc_manifest_free(m2);
  assert_ok(write_ids(uri, LANCEC_WRITE_OVERWRITE, 0, 3, 3, NULL, &res, &err), &err);
  m2 = read_manifest(uri, 0);
  assert_false(m2->pb->has_index_section);
  lc_manifest_free(m2);
  lc_manifest_free(m);
  lc_manifest_free(m0);
  tu_rmtree(tmp);
  lc_free(tmp);
  lc_free(uri);
}

/* ---- crash simulation ------------------------------------------------------------------------ */

static void test_write_faults(void **state) {
  (void)state;
  for (uint64_t k = 1; k < 40; k++) {
    char *tmp = tu_tempdir();
    char *uri = lc_sprintf("%s/f.lance", tmp);
    lancec_error err = {0};
    lancec_write_result res;
    assert_ok(write_ids(uri, LANCEC_WRITE_CREATE, 0, 100, 100, NULL, &res, &err), &err);
    lc_io *local = NULL, *cio = NULL;
    assert_ok(lc_io_local_new(&local, &err), &err);
    assert_ok(lc_io_counting_new(&cio, local, &err), &err);
    lc_io_unref(local);
    lc_io_fault fault = {.fail_at = k, .fail_kind = LC_IO_FAULT_WRITE};
    lc_io_counting_set_fault(cio, &fault);
    struct ArrowArray b[2];
    id_s_batch(LC_T_INT64, 100, 50, &b[0]);
    id_s_batch(LC_T_INT64, 150, 50, &b[1]);
    struct ArrowArrayStream st;
    make_stream(&st, id_s_root(LC_T_INT64), b, 2);
    lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
    o.mode = LANCEC_WRITE_APPEND;
    o.max_rows_per_file = 60;
    int rc = lc_write_io(cio, uri, &st, &o, &res, &err);
    lc_io_unref(cio);
    size_t n = 0;
    int64_t *ids = read_ids(uri, 0, &n);
    assert_int_equal(n, rc ? 100 : 200);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], (int64_t)i);
    lc_free(ids);
    tu_rmtree(tmp);
    lc_free(tmp);
    lc_free(uri);
    if (rc == 0) break;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_all_types_22),
      cmocka_unit_test(test_roundtrip_all_types_21),
      cmocka_unit_test(test_roundtrip_all_types_20),
      cmocka_unit_test(test_v20_stays_v20),
      cmocka_unit_test(test_append_overwrite_versions),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_delete_filter),
      cmocka_unit_test(test_concurrent_writers),
      cmocka_unit_test(test_write_faults),
      cmocka_unit_test(test_concurrent_processes),
      cmocka_unit_test(test_concurrent_deletes),
      cmocka_unit_test(test_file_limits),
      cmocka_unit_test(test_append_stable_row_ids),
      cmocka_unit_test(test_append_keeps_indices),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
