/* Lance data files: the v2 container (footer, offset tables, FileDescriptor,
 * ColumnMetadata) and dispatch to the per-version format implementation. */
#include "file/file_internal.h"

#include <strings.h>

#include "lance_wkt.pb-c.h"
#include "file/legacy_internal.h"

static const lc_file_format *const k_formats[] = {&lc_format_v21, &lc_format_legacy, &lc_format_v20};

int lc_file_read_at(lc_file *f, uint64_t off, uint64_t len, void *buf, const char *what,
                    lancec_error *err) {
  uint64_t end;
  if (lc_add_overflow_u64(off, len, &end) || end > f->size)
    return lc_err(err, LANCEC_ECORRUPT,
                  "%s: %s [%llu, +%llu) extends past the end of the file (%llu bytes)", f->path,
                  what, (unsigned long long)off, (unsigned long long)len,
                  (unsigned long long)f->size);
  if (len == 0) return 0;
  if (len > SIZE_MAX) return lc_err(err, LANCEC_ENOMEM, "%s: %s too large", f->path, what);
  int rc = lc_io_read(f->fh, off, (size_t)len, buf, err);
  if (rc) lc_err_prefix(err, "%s: reading %s: ", f->path, what);
  return rc;
}

int lc_file_unwrap_any(const lc_file *f, const Lance__File__V2__Encoding *enc,
                       const char *type_suffix, uint8_t **value, size_t *len, void **any_to_free,
                       lancec_error *err) {
  *any_to_free = NULL;
  if (!enc) return lc_err(err, LANCEC_ECORRUPT, "missing encoding");
  if (enc->location_case != LANCE__FILE__V2__ENCODING__LOCATION_DIRECT || !enc->direct)
    return lc_err(err, LANCEC_EUNSUPPORTED, "encoding location %d is not supported (only direct)",
                  (int)enc->location_case);
  const Lance__File__V2__DirectEncoding *d = enc->direct;
  if (!d->has_encoding) return lc_err(err, LANCEC_ECORRUPT, "empty direct encoding");
  Lancec__Wkt__Any *any = lancec__wkt__any__unpack(NULL, d->encoding.len, d->encoding.data);
  if (!any) return lc_err(err, LANCEC_ECORRUPT, "undecodable google.protobuf.Any");
  const char *url = any->type_url ? any->type_url : "";
  size_t ul = strlen(url), sl = strlen(type_suffix);
  if (ul < sl || strcmp(url + ul - sl, type_suffix) != 0) {
    int rc = lc_err(err, LANCEC_EUNSUPPORTED, "unsupported encoding type '%s' (expected %s)", url,
                    type_suffix);
    lancec__wkt__any__free_unpacked(any, NULL);
    return rc;
  }
  *value = any->has_value ? any->value.data : NULL;
  *len = any->has_value ? any->value.len : 0;
  *any_to_free = any;
  return 0;
}

static int parse_v2_container(lc_file *f, const uint8_t *footer, lancec_error *err) {
  uint64_t cm_start = lc_le64(footer), cmo_start = lc_le64(footer + 8), gbo_start = lc_le64(footer + 16);
  uint32_t ngb = lc_le32(footer + 24), ncol = lc_le32(footer + 28);
  uint64_t footer_pos = f->size - LC_FOOTER_SIZE;
  if (ngb < 1)
    return lc_err(err, LANCEC_ECORRUPT, "%s: footer says 0 global buffers (the schema is expected)",
                  f->path);
  if (gbo_start > footer_pos || (footer_pos - gbo_start) / 16 < ngb)
    return lc_err(err, LANCEC_ECORRUPT,
                  "%s: global buffer table at %llu (%u entries) does not fit before the footer at %llu",
                  f->path, (unsigned long long)gbo_start, ngb, (unsigned long long)footer_pos);
  if (cmo_start > gbo_start || (gbo_start - cmo_start) / 16 < ncol)
    return lc_err(err, LANCEC_ECORRUPT,
                  "%s: column metadata offset table at %llu (%u columns) does not fit before %llu",
                  f->path, (unsigned long long)cmo_start, ncol, (unsigned long long)gbo_start);
  if (cm_start > cmo_start)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column_meta_start %llu is after cmo_table_start %llu",
                  f->path, (unsigned long long)cm_start, (unsigned long long)cmo_start);
  /* tables */
  uint64_t cmo_pos = gbo_start - 16ull * ncol;
  size_t tbl_len = (size_t)(footer_pos - cmo_pos);
  uint8_t *tbl = lc_malloc(tbl_len);
  if (!tbl) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = lc_file_read_at(f, cmo_pos, tbl_len, tbl, "offset tables", err);
  if (rc) {
    lc_free(tbl);
    return rc;
  }
  f->n_gbufs = ngb;
  f->gbo = lc_calloc(ngb, 2 * sizeof(uint64_t));
  f->n_columns = ncol;
  f->cols = lc_calloc(ncol ? ncol : 1, sizeof(lc_column_info));
  if (!f->gbo || !f->cols) {
    lc_free(tbl);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < ngb; i++) {
    f->gbo[2 * i] = lc_le64(tbl + 16ull * ncol + 16ull * i);
    f->gbo[2 * i + 1] = lc_le64(tbl + 16ull * ncol + 16ull * i + 8);
    uint64_t e;
    if (lc_add_overflow_u64(f->gbo[2 * i], f->gbo[2 * i + 1], &e) || e > f->size) {
      lc_free(tbl);
      return lc_err(err, LANCEC_ECORRUPT, "%s: global buffer %u [%llu, +%llu) extends past EOF (%llu)",
                    f->path, i, (unsigned long long)f->gbo[2 * i],
                    (unsigned long long)f->gbo[2 * i + 1], (unsigned long long)f->size);
    }
  }
  /* metadata region: [min(gbuf0, cm_start), cmo_pos) in one read */
  uint64_t lo = cm_start < f->gbo[0] ? cm_start : f->gbo[0];
  uint64_t hi = cmo_pos;
  uint64_t g0e = f->gbo[0] + f->gbo[1];
  if (g0e > hi) hi = g0e;
  if (hi < lo) hi = lo;
  size_t mlen = (size_t)(hi - lo);
  uint8_t *meta = lc_malloc(mlen ? mlen : 1);
  if (!meta) {
    lc_free(tbl);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  rc = lc_file_read_at(f, lo, mlen, meta, "file metadata", err);
  if (rc) goto out;
  f->desc = lance__file__file_descriptor__unpack(NULL, (size_t)f->gbo[1], meta + (f->gbo[0] - lo));
  if (!f->desc) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: global buffer 0 is not a valid FileDescriptor", f->path);
    goto out;
  }
  f->num_rows = f->desc->has_length ? f->desc->length : 0;
  for (uint32_t c = 0; c < ncol; c++) {
    uint64_t pos = lc_le64(tbl + 16ull * c), len = lc_le64(tbl + 16ull * c + 8), e;
    if (pos < lo || lc_add_overflow_u64(pos, len, &e) || e > cmo_pos) {
      rc = lc_err(err, LANCEC_ECORRUPT,
                  "%s: column %u metadata [%llu, +%llu) lies outside the metadata section [%llu, %llu)",
                  f->path, c, (unsigned long long)pos, (unsigned long long)len,
                  (unsigned long long)lo, (unsigned long long)cmo_pos);
      goto out;
    }
    lc_column_info *ci = &f->cols[c];
    ci->pb = lance__file__v2__column_metadata__unpack(NULL, (size_t)len, meta + (pos - lo));
    if (!ci->pb) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %u: undecodable ColumnMetadata", f->path, c);
      goto out;
    }
    ci->n_pages = ci->pb->n_pages;
    ci->pages = lc_calloc(ci->n_pages ? ci->n_pages : 1, sizeof(lc_page_info));
    if (!ci->pages) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      goto out;
    }
    uint64_t row = 0;
    for (size_t p = 0; p < ci->n_pages; p++) {
      Lance__File__V2__ColumnMetadata__Page *pg = ci->pb->pages[p];
      lc_page_info *pi = &ci->pages[p];
      if (pg->n_buffer_offsets != pg->n_buffer_sizes) {
        rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %u page %zu: %zu buffer offsets but %zu sizes",
                    f->path, c, p, pg->n_buffer_offsets, pg->n_buffer_sizes);
        goto out;
      }
      for (size_t b = 0; b < pg->n_buffer_offsets; b++) {
        uint64_t be;
        if (lc_add_overflow_u64(pg->buffer_offsets[b], pg->buffer_sizes[b], &be) || be > f->size) {
          rc = lc_err(err, LANCEC_ECORRUPT,
                      "%s: column %u page %zu: buffer %zu [%llu, +%llu) extends past the end of the "
                      "file (%llu bytes)",
                      f->path, c, p, b, (unsigned long long)pg->buffer_offsets[b],
                      (unsigned long long)pg->buffer_sizes[b], (unsigned long long)f->size);
          goto out;
        }
        ci->total_bytes += pg->buffer_sizes[b];
      }
      pi->first_row = row;
      pi->length = pg->has_length ? pg->length : 0;
      pi->n_buffers = pg->n_buffer_offsets;
      pi->buf_off = pg->buffer_offsets;
      pi->buf_size = pg->buffer_sizes;
      if (lc_add_overflow_u64(row, pi->length, &row)) {
        rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %u: page row counts overflow", f->path, c);
        goto out;
      }
    }
    ci->total_rows = row;
  }
out:
  lc_free(meta);
  lc_free(tbl);
  return rc;
}

int lc_file_open(lc_file **out, lc_io *io, const char *path, uint64_t size_hint, lancec_error *err) {
  *out = NULL;
  lc_file *f = lc_calloc(1, sizeof(*f));
  if (!f) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  f->path = lc_strdup(path ? path : "");
  f->io = lc_io_ref(io);
  int rc = lc_io_open(io, path, &f->fh, err);
  if (rc) goto fail;
  if (size_hint) {
    f->size = size_hint;
  } else {
    rc = lc_io_size(f->fh, &f->size, err);
    if (rc) goto fail;
  }
  if (f->size < LC_FOOTER_SIZE) {
    rc = lc_err(err, LANCEC_ECORRUPT, "%s: file is truncated (%llu bytes, a Lance footer needs 40)",
                path, (unsigned long long)f->size);
    goto fail;
  }
  uint8_t footer[LC_FOOTER_SIZE];
  rc = lc_file_read_at(f, f->size - LC_FOOTER_SIZE, LC_FOOTER_SIZE, footer, "footer", err);
  if (rc) goto fail;
  if (memcmp(footer + 36, "LANC", 4) != 0) {
    rc = lc_err(err, LANCEC_ECORRUPT,
                "%s: bad magic %02x %02x %02x %02x at the end of the file (expected \"LANC\"): not a "
                "Lance data file or truncated",
                path, footer[36], footer[37], footer[38], footer[39]);
    goto fail;
  }
  f->major = lc_le16(footer + 32);
  f->minor = lc_le16(footer + 34);
  for (size_t i = 0; i < sizeof(k_formats) / sizeof(k_formats[0]); i++)
    if (k_formats[i]->accepts(f->major, f->minor)) f->fmt = k_formats[i];
  if (!f->fmt) {
    const char *what = "unknown Lance file";
    if (f->major == 0 && f->minor <= 2) what = "legacy (v1) Lance file format is not supported yet:";
    else if ((f->major == 0 && f->minor == 3) || (f->major == 2 && f->minor == 0))
      what = "Lance file format 2.0 is not supported yet:";
    rc = lc_err(err, LANCEC_EUNSUPPORTED, "%s: %s version %u.%u", path, what, f->major, f->minor);
    goto fail;
  }
  rc = f->fmt->own_container ? 0 : parse_v2_container(f, footer, err);
  if (rc) goto fail;
  rc = f->fmt->init(f, err);
  if (rc) goto fail;
  *out = f;
  return 0;
fail:
  lc_file_free(f);
  return rc;
}

void lc_file_ref(lc_file *f) { __atomic_add_fetch(&f->extra_refs, 1, __ATOMIC_SEQ_CST); }

uint64_t lc_file_metadata_bytes(const lc_file *f) {
  uint64_t b = sizeof(*f) + (uint64_t)f->n_columns * (sizeof(lc_column_info) + 256) + (uint64_t)f->n_gbufs * 16;
  for (uint32_t c = 0; c < f->n_columns && f->cols; c++)
    b += (uint64_t)f->cols[c].n_pages * (sizeof(lc_page_info) + 128);
  return b + 4096;
}

void lc_file_free(lc_file *f) {
  if (!f || __atomic_fetch_sub(&f->extra_refs, 1, __ATOMIC_SEQ_CST) > 0) return;
  if (f->fmt && f->fmt->fini) f->fmt->fini(f);
  if (f->cols) {
    for (uint32_t c = 0; c < f->n_columns; c++) {
      lc_free(f->cols[c].pages);
      if (f->cols[c].pb) lance__file__v2__column_metadata__free_unpacked(f->cols[c].pb, NULL);
    }
    lc_free(f->cols);
  }
  if (f->desc) lance__file__file_descriptor__free_unpacked(f->desc, NULL);
  lc_free(f->gbo);
  if (f->fh) lc_io_close(f->fh);
  if (f->io) lc_io_unref(f->io);
  lc_free(f->path);
  lc_free(f);
}

const char *lc_file_path(const lc_file *f) { return f->path; }
uint64_t lc_file_num_rows(const lc_file *f) { return f->num_rows; }
void lc_file_version(const lc_file *f, uint16_t *major, uint16_t *minor) {
  if (major) *major = f->major;
  if (minor) *minor = f->minor;
}
uint32_t lc_file_num_columns(const lc_file *f) { return f->n_columns; }
uint64_t lc_file_column_bytes(const lc_file *f, uint32_t col) {
  return col < f->n_columns ? f->cols[col].total_bytes : 0;
}

int lc_field_reader_new(lc_field_reader **out, lc_file *f, const lc_field *field,
                        const lc_file_colmap *map, lancec_error *err) {
  *out = NULL;
  if (!f || !field) return lc_err(err, LANCEC_EINVAL, "lc_field_reader_new: NULL argument");
  return f->fmt->reader_new(out, f, field, map, err);
}

void lc_field_reader_free(lc_field_reader *r) {
  if (r) r->fmt->reader_free(r);
}

int lc_field_reader_read(lc_field_reader *r, uint64_t start, uint64_t count, struct ArrowArray *out,
                         lancec_error *err) {
  memset(out, 0, sizeof(*out));
  uint64_t end;
  if (lc_add_overflow_u64(start, count, &end) || end > r->file->num_rows)
    return lc_err(err, LANCEC_EINVAL, "%s: rows [%llu, +%llu) out of range (%llu rows)",
                  r->file->path, (unsigned long long)start, (unsigned long long)count,
                  (unsigned long long)r->file->num_rows);
  return r->fmt->read(r, start, count, out, err);
}

int lc_field_reader_take(lc_field_reader *r, const uint64_t *rows, size_t n, struct ArrowArray *out,
                         lancec_error *err) {
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < n; i++) {
    if (rows[i] >= r->file->num_rows || (i && rows[i] <= rows[i - 1]))
      return lc_err(err, LANCEC_EINVAL,
                    "%s: take: row %llu at position %zu is out of range or not ascending",
                    r->file->path, (unsigned long long)rows[i], i);
  }
  return r->fmt->take(r, rows, n, out, err);
}

/* ---- helpers ---- */

int lc_file_schema(const lc_file *f, lc_schema **out, lancec_error *err) {
  *out = NULL;
  if (!f->desc || !f->desc->schema)
    return lc_err(err, LANCEC_EUNSUPPORTED, "%s: the file has no schema", f->path);
  Lance__File__Schema *s = f->desc->schema;
  int rc = lc_schema_from_pb(out, (void *const *)s->fields, s->n_fields, (void *const *)s->metadata,
                             s->n_metadata, err);
  if (rc) lc_err_prefix(err, "%s: ", f->path);
  return rc;
}

static const char *field_meta(const lc_field *f, const char *key) {
  for (size_t i = 0; i < f->n_metadata; i++)
    if (f->metadata[i].key && strcmp(f->metadata[i].key, key) == 0)
      return (const char *)f->metadata[i].value;
  return NULL;
}

bool lc_field_is_blob_v2(const lc_field *f) {
  if (f->type != LC_T_STRUCT) return false;
  if (f->extension_name && strcmp(f->extension_name, "lance.blob.v2") == 0) return true;
  const char *e = field_meta(f, "ARROW:extension:name");
  return e && strcmp(e, "lance.blob.v2") == 0;
}

bool lc_field_is_blob_legacy(const lc_field *f) {
  if (f->type != LC_T_LARGE_BINARY && f->type != LC_T_BINARY) return false;
  const char *v = field_meta(f, "lance-encoding:blob");
  return v && strcasecmp(v, "true") == 0;
}

bool lc_field_is_packed_struct(const lc_field *f) {
  if (f->type != LC_T_STRUCT) return false;
  if (lc_field_is_blob_v2(f)) return true;
  const char *v = field_meta(f, "lance-encoding:packed");
  if (!v) v = field_meta(f, "packed");
  return v && strcasecmp(v, "true") == 0;
}

static int colmap_walk(const lc_field *f, lc_buf *ids, int32_t *next, lancec_error *err) {
  bool owner;
  switch (f->type) {
    case LC_T_STRUCT: owner = f->n_children == 0 || lc_field_is_packed_struct(f); break;
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_MAP: owner = false; break;
    case LC_T_FIXED_LIST:
      owner = !(f->n_children == 1 && f->children[0]->type == LC_T_STRUCT);
      break;
    default: owner = true;
  }
  if (owner) {
    int32_t pair[2] = {f->id, (*next)++};
    return lc_buf_append(ids, pair, sizeof(pair)) ? lc_err(err, LANCEC_ENOMEM, "out of memory") : 0;
  }
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(colmap_walk(f->children[i], ids, next, err));
  return 0;
}

static int colmap_walk_v20(const lc_field *f, lc_buf *ids, int32_t *next, lancec_error *err) {
  if (f->id >= 0) {
    int32_t pair[2] = {f->id, (*next)++};
    if (lc_buf_append(ids, pair, sizeof(pair))) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (f->type == LC_T_FIXED_LIST || f->type == LC_T_DICT || lc_field_is_packed_struct(f) ||
      lc_field_is_blob_legacy(f))
    return 0;
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(colmap_walk_v20(f->children[i], ids, next, err));
  return 0;
}

static int colmap_build(const lc_schema *s, bool v20, lc_file_colmap_storage *st, lc_file_colmap *map,
                        lancec_error *err) {
  memset(st, 0, sizeof(*st));
  lc_buf ids = {0};
  int32_t next = 0;
  for (size_t i = 0; i < s->n_fields; i++) {
    int rc = v20 ? colmap_walk_v20(s->fields[i], &ids, &next, err) : colmap_walk(s->fields[i], &ids, &next, err);
    if (rc) {
      lc_buf_free(&ids);
      return rc;
    }
  }
  size_t n = ids.len / 8;
  st->field_ids = lc_calloc(n ? n : 1, sizeof(int32_t));
  st->column_indices = lc_calloc(n ? n : 1, sizeof(int32_t));
  if (!st->field_ids || !st->column_indices) {
    lc_buf_free(&ids);
    lc_file_colmap_free(st);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    st->field_ids[i] = (int32_t)lc_le32(ids.data + 8 * i);
    st->column_indices[i] = (int32_t)lc_le32(ids.data + 8 * i + 4);
  }
  st->n = n;
  lc_buf_free(&ids);
  map->field_ids = st->field_ids;
  map->column_indices = st->column_indices;
  map->n = n;
  return 0;
}

int lc_file_colmap_from_schema(const lc_schema *s, lc_file_colmap_storage *st, lc_file_colmap *map,
                               lancec_error *err) {
  return colmap_build(s, false, st, map, err);
}

int lc_file_colmap_v20_from_schema(const lc_schema *s, lc_file_colmap_storage *st, lc_file_colmap *map,
                                   lancec_error *err) {
  return colmap_build(s, true, st, map, err);
}

void lc_file_colmap_free(lc_file_colmap_storage *st) {
  lc_free(st->field_ids);
  lc_free(st->column_indices);
  memset(st, 0, sizeof(*st));
}
