/* lancec_write: create / append / overwrite (table-format.md §9, §13, §14).
 *
 *   1. read the latest version R (if any) and settle the target schema:
 *      append → the table schema; create / overwrite → opts->schema or the
 *      input's schema, ids from 0 (an overwrite with an unchanged schema
 *      keeps the table's ids);
 *   2. align every input batch to the target (columns by name, lc_array_cast
 *      for types and nullability, nulls for missing nullable columns);
 *   3. stream rows into data files data/<name>.lance, a new file (= a new
 *      fragment) every max_rows_per_file rows or max_bytes_per_file bytes;
 *   4. commit Append or Overwrite through lc_commit (which writes the .txn
 *      and the manifest with put_if_absent, rebasing on concurrent commits).
 * Nothing is visible before step 4 succeeds; on a failure before the commit
 * the data files written so far are removed (best effort). */
#include <inttypes.h>
#include <stdio.h>

#include "arrow/arrow.h"
#include "arrow/cast.h"
#include "file/file.h"
#include "file/file_writer.h"
#include "table/table_write.h"

#define LC_DEFAULT_MAX_ROWS_PER_FILE 1048576
#define LC_DEFAULT_MAX_ROWS_PER_GROUP 1024
#define LC_DEFAULT_MAX_BYTES_PER_FILE (90ull << 30)

/* Data file name (§1.5): first 3 uuid bytes as 24 binary digits, then the
 * other 13 bytes as 26 lowercase hex digits, ".lance". */
static void data_file_name(char out[57]) {
  uint8_t u[16];
  lc_random_bytes(u, sizeof(u));
  u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
  u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
  size_t k = 0;
  for (int b = 0; b < 3; b++)
    for (int bit = 7; bit >= 0; bit--) out[k++] = (char)('0' + ((u[b] >> bit) & 1));
  static const char hex[] = "0123456789abcdef";
  for (int b = 3; b < 16; b++) {
    out[k++] = hex[u[b] >> 4];
    out[k++] = hex[u[b] & 15];
  }
  memcpy(out + k, ".lance", 7);
}

typedef struct written_file {
  char *name; /* relative to data/ */
  uint64_t rows, size;
} written_file;

typedef struct write_state {
  lc_io *io;
  const char *root;
  lc_schema *target;
  lc_file_writer_options fopts;
  uint64_t max_rows, max_bytes;
  lc_file_writer *w;
  char *cur_name;
  written_file *files;
  size_t n_files, cap_files;
  uint64_t total_rows;
} write_state;

static int finish_file(write_state *st, lancec_error *err) {
  if (!st->w) return 0;
  lc_file_writer *w = st->w;
  st->w = NULL;
  if (lc_file_writer_rows(w) == 0) {
    lc_file_writer_abort(w);
    lc_free(st->cur_name);
    st->cur_name = NULL;
    return 0;
  }
  uint64_t rows = 0, size = 0;
  int rc = lc_file_writer_finish(w, &rows, &size, err);
  if (rc) {
    lc_free(st->cur_name);
    st->cur_name = NULL;
    return rc;
  }
  if (st->n_files == st->cap_files) {
    size_t nc = st->cap_files ? st->cap_files * 2 : 8;
    written_file *nf = lc_realloc(st->files, nc * sizeof(*nf));
    if (!nf) {
      lc_free(st->cur_name);
      st->cur_name = NULL;
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    st->files = nf;
    st->cap_files = nc;
  }
  st->files[st->n_files++] = (written_file){st->cur_name, rows, size};
  st->cur_name = NULL;
  return 0;
}

static int open_file(write_state *st, lancec_error *err) {
  char name[57];
  data_file_name(name);
  st->cur_name = lc_strdup(name);
  char *rel = lc_sprintf("data/%s", name);
  char *path = rel ? lc_path_join(st->root, rel) : NULL;
  lc_free(rel);
  if (!st->cur_name || !path) {
    lc_free(path);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  int rc = lc_file_writer_new(&st->w, st->io, path, st->target, &st->fopts, err);
  lc_free(path);
  if (rc) {
    st->w = NULL;
    lc_free(st->cur_name);
    st->cur_name = NULL;
  }
  return rc;
}

/* Write an aligned batch, cutting files at the limits. */
static int write_aligned(write_state *st, const struct ArrowArray *batch, lancec_error *err) {
  int64_t done = 0;
  while (done < batch->length) {
    if (!st->w) LC_TRY(open_file(st, err));
    uint64_t in_file = lc_file_writer_rows(st->w);
    uint64_t room = st->max_rows - in_file;
    int64_t take = batch->length - done;
    if ((uint64_t)take > room) take = (int64_t)room;
    if (done == 0 && take == batch->length) {
      LC_TRY(lc_file_writer_write(st->w, batch, err));
    } else {
      size_t nc = st->target->n_fields;
      struct ArrowArray *cols = lc_calloc(nc ? nc : 1, sizeof(*cols));
      if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      int rc = 0;
      for (size_t i = 0; i < nc && rc == 0; i++)
        rc = lc_array_slice(st->target->fields[i], batch->children[i], done, take, &cols[i], err);
      struct ArrowArray part;
      memset(&part, 0, sizeof(part));
      if (rc == 0)
        rc = lc_array_make_batch(cols, nc, take, &part, err);
      else
        for (size_t i = 0; i < nc; i++) lc_array_release(&cols[i]);
      lc_free(cols);
      if (rc == 0) rc = lc_file_writer_write(st->w, &part, err);
      lc_array_release(&part);
      if (rc) return rc;
    }
    done += take;
    st->total_rows += (uint64_t)take;
    if (lc_file_writer_rows(st->w) >= st->max_rows || lc_file_writer_bytes(st->w) >= st->max_bytes)
      LC_TRY(finish_file(st, err));
  }
  return 0;
}

/* For each target column: index of the input column, or -1 (→ nulls). */
static int map_columns(const lc_schema *in, const lc_schema *target, int *map, lancec_error *err) {
  for (size_t i = 0; i < in->n_fields; i++) {
    if (!lc_schema_find_name(target, in->fields[i]->name)) {
      /* name every extra column in the message */
      char names[512] = "";
      size_t cnt = 0;
      for (size_t k = 0; k < in->n_fields; k++)
        if (!lc_schema_find_name(target, in->fields[k]->name)) {
          size_t l = strlen(names);
          snprintf(names + l, sizeof(names) - l, "%s'%s'", cnt ? ", " : "", in->fields[k]->name);
          cnt++;
        }
      return lc_err(err, LANCEC_ETYPE, "input column%s %s %s not in the table schema", cnt > 1 ? "s" : "",
                    names, cnt > 1 ? "are" : "is");
    }
  }
  for (size_t i = 0; i < target->n_fields; i++) {
    const lc_field *t = target->fields[i];
    map[i] = -1;
    for (size_t k = 0; k < in->n_fields; k++)
      if (!strcmp(in->fields[k]->name, t->name)) map[i] = (int)k;
    if (map[i] < 0) {
      if (!t->nullable)
        return lc_err(err, LANCEC_ETYPE, "column '%s' is missing from the input and is not nullable",
                      t->name);
      continue;
    }
    const lc_field *f = in->fields[map[i]];
    if (!lc_field_same_type(f, t) && !lc_cast_supported(f, t)) {
      char a[256], b[256];
      return lc_err(err, LANCEC_ETYPE, "column '%s': cannot convert %s to %s", t->name,
                    lc_field_type_string(f, a, sizeof(a)), lc_field_type_string(t, b, sizeof(b)));
    }
  }
  return 0;
}

static int align_batch(const lc_schema *in, const lc_schema *target, const int *map,
                       const struct ArrowArray *batch, struct ArrowArray *out, lancec_error *err) {
  size_t nc = target->n_fields;
  if ((size_t)batch->n_children != in->n_fields)
    return lc_err(err, LANCEC_EINVAL, "input batch has %lld columns, its schema %zu",
                  (long long)batch->n_children, in->n_fields);
  struct ArrowArray *cols = lc_calloc(nc ? nc : 1, sizeof(*cols));
  if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t i = 0; i < nc && rc == 0; i++) {
    const lc_field *t = target->fields[i];
    if (map[i] < 0) {
      rc = lc_array_make_nulls(t, batch->length, &cols[i], err);
      continue;
    }
    const struct ArrowArray *c = batch->children[map[i]];
    struct ArrowArray sliced;
    memset(&sliced, 0, sizeof(sliced));
    if (batch->offset != 0 || c->length != batch->length) {
      rc = lc_array_slice(in->fields[map[i]], c, batch->offset, batch->length, &sliced, err);
      if (rc) break;
      c = &sliced;
    }
    rc = lc_array_cast(in->fields[map[i]], c, t, t->name, &cols[i], err);
    lc_array_release(&sliced);
  }
  if (rc) {
    for (size_t i = 0; i < nc; i++) lc_array_release(&cols[i]);
    lc_free(cols);
    return rc;
  }
  rc = lc_array_make_batch(cols, nc, batch->length, out, err);
  lc_free(cols);
  return rc;
}

/* Same names, order and types (ids can then be kept on overwrite). */
static bool same_schema(const lc_schema *a, const lc_schema *b) {
  if (a->n_fields != b->n_fields) return false;
  for (size_t i = 0; i < a->n_fields; i++)
    if (strcmp(a->fields[i]->name, b->fields[i]->name) || !lc_field_same_type(a->fields[i], b->fields[i]))
      return false;
  return true;
}

static void copy_ids(lc_field *dst, const lc_field *src) {
  dst->id = src->id;
  dst->parent_id = src->parent_id;
  for (size_t i = 0; i < dst->n_children && i < src->n_children; i++)
    copy_ids(dst->children[i], src->children[i]);
}

static lc_schema *schema_clone(const lc_schema *s) {
  lc_schema *c = lc_calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->fields = lc_calloc(s->n_fields ? s->n_fields : 1, sizeof(*c->fields));
  if (!c->fields) {
    lc_free(c);
    return NULL;
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    c->fields[i] = lc_field_clone(s->fields[i]);
    if (!c->fields[i]) {
      lc_schema_free(c);
      return NULL;
    }
    c->n_fields++;
  }
  if (s->n_metadata) {
    c->metadata = lc_calloc(s->n_metadata, sizeof(lc_kv));
    if (!c->metadata) {
      lc_schema_free(c);
      return NULL;
    }
    for (size_t i = 0; i < s->n_metadata; i++) {
      c->metadata[i].key = lc_strdup(s->metadata[i].key);
      c->metadata[i].value = lc_malloc(s->metadata[i].value_len + 1);
      if (!c->metadata[i].key || !c->metadata[i].value) {
        lc_free(c->metadata[i].key);
        lc_free(c->metadata[i].value);
        lc_schema_free(c);
        return NULL;
      }
      memcpy(c->metadata[i].value, s->metadata[i].value, s->metadata[i].value_len + 1);
      c->metadata[i].value_len = s->metadata[i].value_len;
      c->n_metadata++;
    }
  }
  return c;
}

static int parse_format(const char *v, lc_file_writer_options *fo, const char **name, lancec_error *err) {
  if (!strcmp(v, "2.0")) {
    fo->major = 2; /* footer (0,3); DataFile and manifest record 2.0 (file-format-2.0 §0) */
    fo->minor = 0;
    *name = "2.0";
  } else if (!strcmp(v, "2.1")) {
    fo->major = 2;
    fo->minor = 1;
    *name = "2.1";
  } else if (!strcmp(v, "2.2")) {
    fo->major = 2;
    fo->minor = 2;
    *name = "2.2";
  } else {
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "data storage version '%s' cannot be written (2.0, 2.1 and 2.2 can)", v);
  }
  return 0;
}

int lc_write_io(lc_io *io, const char *root, struct ArrowArrayStream *data, const lancec_write_options *opts,
                lancec_write_result *result, lancec_error *err) {
  lancec_write_options defaults = LANCEC_WRITE_OPTIONS_INIT;
  if (!opts) opts = &defaults;
  int rc = 0;
  lc_manifest *prev = NULL;
  lc_schema *in = NULL;
  write_state st = {0};
  int *map = NULL;
  lc_arena a = {0};
  lc_file_colmap_storage cms = {0};
  bool committed = false;
  struct ArrowSchema in_arrow;
  memset(&in_arrow, 0, sizeof(in_arrow));
  if (!data || !data->release) {
    return lc_err(err, LANCEC_EINVAL, "lancec_write: no input stream");
  }
  if (opts->version_ != LANCEC_WRITE_OPTIONS_VERSION) {
    rc = lc_err(err, LANCEC_EINVAL, "lancec_write: options version %d is not %d", opts->version_,
                LANCEC_WRITE_OPTIONS_VERSION);
    goto done;
  }
  if (opts->mode != LANCEC_WRITE_CREATE && opts->mode != LANCEC_WRITE_APPEND &&
      opts->mode != LANCEC_WRITE_OVERWRITE) {
    rc = lc_err(err, LANCEC_EINVAL, "lancec_write: unknown mode %d", (int)opts->mode);
    goto done;
  }
  if (opts->num_config && (!opts->config_keys || !opts->config_values)) {
    rc = lc_err(err, LANCEC_EINVAL, "lancec_write: num_config set without keys / values");
    goto done;
  }
  for (size_t i = 0; i < opts->num_config; i++)
    if (!opts->config_keys[i] || !*opts->config_keys[i]) {
      rc = lc_err(err, LANCEC_EINVAL, "lancec_write: config key %zu is empty", i);
      goto done;
    }

  /* the latest version */
  {
    char *path = NULL;
    lancec_error e2 = {0};
    int r = lc_version_manifest_path(io, root, 0, &path, NULL, &e2);
    if (r == 0) {
      r = lc_manifest_read(&prev, io, path, &e2);
      lc_free(path);
    }
    if (r && r != LANCEC_ENOTFOUND) {
      if (err) *err = e2;
      rc = r;
      goto done;
    }
  }
  if (opts->mode == LANCEC_WRITE_CREATE && prev) {
    rc = lc_err(err, LANCEC_EEXISTS, "%s: dataset already exists (version %" PRIu64 ")", root, prev->version);
    goto done;
  }
  if (opts->mode == LANCEC_WRITE_APPEND && !prev) {
    rc = lc_err(err, LANCEC_ENOTFOUND, "%s: no dataset to append to", root);
    goto done;
  }

  /* the input schema */
  if (data->get_schema(data, &in_arrow) != 0) {
    const char *m = data->get_last_error ? data->get_last_error(data) : NULL;
    rc = lc_err(err, LANCEC_EINVAL, "input stream: cannot get the schema%s%s", m ? ": " : "", m ? m : "");
    goto done;
  }
  rc = lc_schema_from_arrow(&in, &in_arrow, err);
  if (rc) {
    lc_err_prefix(err, "input schema: ");
    goto done;
  }

  /* target schema and data format */
  const char *format = NULL;
  if (opts->mode == LANCEC_WRITE_APPEND) {
    format = prev->data_format; /* an append keeps the dataset's version, as Lance does */
    if (strcmp(format, "2.0") && strcmp(format, "2.1") && strcmp(format, "2.2")) {
      rc = lc_err(err, LANCEC_EUNSUPPORTED,
                  "%s: appending to a dataset with data storage version %s is not supported", root, format);
      goto done;
    }
    rc = parse_format(format, &st.fopts, &format, err);
    if (rc) goto done;
    if (opts->schema) {
      /* a target schema given for an append must be the table's */
      lc_schema *want = NULL;
      rc = lc_schema_from_arrow(&want, opts->schema, err);
      if (rc) {
        lc_err_prefix(err, "target schema: ");
        goto done;
      }
      bool same = same_schema(want, prev->schema);
      lc_schema_free(want);
      if (!same) {
        rc = lc_err(err, LANCEC_ETYPE,
                    "%s: the target schema of an append must be the table schema (same columns and types)",
                    root);
        goto done;
      }
    }
    st.target = schema_clone(prev->schema);
  } else {
    const char *want = opts->data_storage_version ? opts->data_storage_version
                       : prev && (!strcmp(prev->data_format, "2.0") || !strcmp(prev->data_format, "2.1") ||
                                  !strcmp(prev->data_format, "2.2"))
                           ? prev->data_format
                           : "2.2";
    rc = parse_format(want, &st.fopts, &format, err);
    if (rc) goto done;
    if (opts->schema) {
      rc = lc_schema_from_arrow(&st.target, opts->schema, err);
      if (rc) {
        lc_err_prefix(err, "target schema: ");
        goto done;
      }
    } else {
      st.target = schema_clone(in);
    }
    if (st.target) {
      if (prev && same_schema(st.target, prev->schema)) {
        for (size_t i = 0; i < st.target->n_fields; i++)
          copy_ids(st.target->fields[i], prev->schema->fields[i]);
      } else {
        int32_t next = 0;
        lc_schema_assign_ids(st.target, &next);
      }
    }
  }
  if (!st.target) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }
  map = lc_calloc(st.target->n_fields ? st.target->n_fields : 1, sizeof(int));
  if (!map) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }
  rc = map_columns(in, st.target, map, err);
  if (rc) goto done;

  /* stream the rows into data files */
  st.io = io;
  st.root = root;
  st.max_rows =
      opts->max_rows_per_file > 0 ? (uint64_t)opts->max_rows_per_file : LC_DEFAULT_MAX_ROWS_PER_FILE;
  st.max_bytes =
      opts->max_bytes_per_file > 0 ? (uint64_t)opts->max_bytes_per_file : LC_DEFAULT_MAX_BYTES_PER_FILE;
  uint64_t small =
      opts->max_rows_per_group > 0 ? (uint64_t)opts->max_rows_per_group : LC_DEFAULT_MAX_ROWS_PER_GROUP;
  for (;;) {
    struct ArrowArray b;
    memset(&b, 0, sizeof(b));
    int sr = data->get_next(data, &b);
    if (sr != 0) {
      const char *m = data->get_last_error ? data->get_last_error(data) : NULL;
      rc = lc_err(err, LANCEC_EIO, "input stream failed (%d)%s%s", sr, m ? ": " : "", m ? m : "");
      break;
    }
    if (!b.release) break;
    if (b.length == 0) {
      b.release(&b);
      continue;
    }
    struct ArrowArray aligned;
    memset(&aligned, 0, sizeof(aligned));
    rc = align_batch(in, st.target, map, &b, &aligned, err);
    b.release(&b);
    if (rc == 0) rc = write_aligned(&st, &aligned, err);
    lc_array_release(&aligned);
    if (rc) break;
  }
  if (rc == 0) rc = finish_file(&st, err);
  if (rc) goto done;

  /* the operation */
  {
    lc_file_colmap cm;
    rc = st.fopts.minor == 0 ? lc_file_colmap_v20_from_schema(st.target, &cms, &cm, err)
                             : lc_file_colmap_from_schema(st.target, &cms, &cm, err);
    if (rc) goto done;
    Lance__Table__DataFragment **frags = lc_arena_alloc(&a, (st.n_files + 1) * sizeof(*frags));
    if (!frags) goto oom;
    for (size_t i = 0; i < st.n_files; i++) {
      Lance__Table__DataFragment *f = lc_arena_alloc(&a, sizeof(*f));
      Lance__Table__DataFile *df = lc_arena_alloc(&a, sizeof(*df));
      Lance__Table__DataFile **dfs = lc_arena_alloc(&a, sizeof(*dfs));
      if (!f || !df || !dfs) goto oom;
      lance__table__data_fragment__init(f);
      lance__table__data_file__init(df);
      df->path = st.files[i].name;
      df->n_fields = cm.n;
      df->fields = (int32_t *)cm.field_ids;
      df->n_column_indices = cm.n;
      df->column_indices = (int32_t *)cm.column_indices;
      df->has_file_major_version = true;
      df->file_major_version = st.fopts.major;
      /* 2.0 is recorded as (2, 0) with the minor omitted, as Lance writes it */
      df->has_file_minor_version = st.fopts.minor != 0;
      df->file_minor_version = st.fopts.minor;
      df->has_file_size_bytes = st.files[i].size != 0;
      df->file_size_bytes = st.files[i].size;
      dfs[0] = df;
      f->n_files = 1;
      f->files = dfs;
      f->has_physical_rows = st.files[i].rows != 0;
      f->physical_rows = st.files[i].rows;
      frags[i] = f;
    }
    lc_commit_op op = {0};
    op.kind = opts->mode == LANCEC_WRITE_APPEND ? LC_TXN_APPEND : LC_TXN_OVERWRITE;
    op.read_version = prev ? prev->version : 0;
    op.fragments = frags;
    op.n_fragments = st.n_files;
    op.create_only = opts->mode == LANCEC_WRITE_CREATE;
    op.config_keys = opts->config_keys;
    op.config_values = opts->config_values;
    op.n_config = opts->num_config;
    if (op.kind == LC_TXN_OVERWRITE) {
      rc = lc_schema_to_pb(st.target, &a, &op.fields, &op.n_fields, err);
      if (rc == 0)
        rc = lc_schema_metadata_to_pb(st.target, &a, &op.schema_metadata, &op.n_schema_metadata, err);
      if (rc) goto done;
      op.data_format = format;
    }
    lc_commit_result cr;
    rc = lc_commit(io, root, &op, NULL, &cr, err);
    /* lc_commit fails only before its manifest exists, so the data files are
     * unreferenced then; an IO error is left alone all the same (a remote
     * store could have applied a put that reported failure) */
    committed = rc == 0 || rc == LANCEC_EIO;
    if (rc) goto done;
    if (result) {
      rc = lc_write_result_fill(io, root, cr.version, small, result, err);
      result->num_rows = st.total_rows;
    }
  }
  goto done;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
done:
  if (st.w) lc_file_writer_abort(st.w);
  lc_free(st.cur_name);
  for (size_t i = 0; i < st.n_files; i++) {
    if (rc && !committed) {
      char *rel = lc_sprintf("data/%s", st.files[i].name);
      char *p = rel ? lc_path_join(root, rel) : NULL;
      lancec_error e2 = {0};
      if (p) (void)io->m->remove(io, p, &e2);
      lc_free(p);
      lc_free(rel);
    }
    lc_free(st.files[i].name);
  }
  lc_free(st.files);
  lc_file_colmap_free(&cms);
  lc_arena_free(&a);
  lc_free(map);
  lc_schema_free(st.target);
  lc_schema_free(in);
  lc_manifest_free(prev);
  if (in_arrow.release) in_arrow.release(&in_arrow);
  if (data->release) data->release(data);
  return rc;
}

int lancec_write(const char *uri, struct ArrowArrayStream *data, const lancec_write_options *opts,
                 lancec_write_result *result, lancec_error *err) {
  if (!uri) {
    if (data && data->release) data->release(data);
    return lc_err(err, LANCEC_EINVAL, "lancec_write: NULL uri");
  }
  if (result) memset(result, 0, sizeof(*result));
  lc_io *io = NULL;
  char *root = NULL;
  int rc = lc_io_from_uri(uri, &io, &root, err);
  if (rc) {
    if (data && data->release) data->release(data);
    return rc;
  }
  rc = lc_write_io(io, root, data, opts, result, err);
  lc_io_unref(io);
  lc_free(root);
  return rc;
}
