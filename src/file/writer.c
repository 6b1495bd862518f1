/* Data-file writer for file formats 2.1 / 2.2: API, FileDescriptor,
 * column discovery (file-format-2.1.md §1.8, same walk as
 * lc_file_colmap_from_schema), shredding Arrow batches into rep/def levels
 * and dense values (§3.1.5), and the container (§1). Page encoding lives in
 * writer_page.c; file format 2.0 (same API and container, other columns
 * and page encodings) in writer_v20.c. */
#include <strings.h>

#include "arrow/arrow.h"
#include "file/file.h"
#include "file/writer_internal.h"

#define OOM(err) lc_err(err, LANCEC_ENOMEM, "out of memory")

/* ---- output ---- */

int lc_w_write_buffer(lc_file_writer *w, const void *data, size_t len, uint64_t *pos,
                      lancec_error *err) {
  static const uint8_t pad[64] = {
      0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
      0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
      0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
      0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48};
  *pos = w->pos;
  if (!len) return 0;
  LC_TRY(lc_io_writer_write(w->iow, data, len, err));
  w->pos += len;
  size_t p = (size_t)((64 - (w->pos & 63)) & 63);
  if (p) {
    LC_TRY(lc_io_writer_write(w->iow, pad, p, err));
    w->pos += p;
  }
  return 0;
}

/* ---- schema -> FileDescriptor ---- */

static const char *meta_get(const lc_field *f, const char *key) {
  for (size_t i = 0; i < f->n_metadata; i++)
    if (f->metadata[i].key && strcmp(f->metadata[i].key, key) == 0) return (const char *)f->metadata[i].value;
  return NULL;
}

static int encoding_hint(const lc_field *f) {
  switch (f->type) {
    case LC_T_STRUCT:
    case LC_T_NULL: return 0;
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY: return 2;
    case LC_T_DICT: return 3;
    default: return 1;
  }
}

static void pb_kv(lc_pbw *p, unsigned field, const lc_kv *kv) {
  lc_pbw e = {0};
  lc_pb_bytes(&e, 1, kv->key, strlen(kv->key));
  lc_pb_bytes(&e, 2, kv->value, kv->value_len);
  lc_pb_msg(p, field, &e);
  lc_pbw_free(&e);
}

static void pb_simple(lc_pbw *s, const char *name, int32_t id, int32_t parent_id, const char *lt, bool nullable,
                      int hint) {
  lc_pbw p = {0};
  lc_pb_bytes(&p, 2, name, strlen(name));
  lc_pb_uint(&p, 3, (uint64_t)(int64_t)id, false);
  lc_pb_uint(&p, 4, (uint64_t)(int64_t)parent_id, false);
  lc_pb_bytes(&p, 5, lt, strlen(lt));
  lc_pb_uint(&p, 6, nullable ? 1 : 0, false);
  lc_pb_uint(&p, 7, (uint64_t)hint, false);
  lc_pb_msg(s, 1, &p);
  lc_pbw_free(&p);
}

/* Blob v2 in the data file (file-format-2.2.md §8.3): the field becomes the
 * descriptor struct (packed + blob metadata, no extension name) whose five
 * children have id -1 and parent -1; the table-level data / uri children are
 * not listed. */
static int pb_blob_v2(lc_pbw *s, const lc_field *f, int32_t parent_id) {
  lc_pbw p = {0};
  lc_pb_bytes(&p, 2, f->name, strlen(f->name));
  lc_pb_uint(&p, 3, (uint64_t)(int64_t)f->id, false);
  lc_pb_uint(&p, 4, (uint64_t)(int64_t)parent_id, false);
  lc_pb_bytes(&p, 5, "struct", 6);
  lc_pb_uint(&p, 6, f->nullable ? 1 : 0, false);
  static const lc_kv md[2] = {{.key = (char *)"lance-encoding:packed", .value = (uint8_t *)"true", .value_len = 4},
                              {.key = (char *)"lance-encoding:blob", .value = (uint8_t *)"true", .value_len = 4}};
  pb_kv(&p, 10, &md[0]);
  pb_kv(&p, 10, &md[1]);
  lc_pb_msg(s, 1, &p);
  lc_pbw_free(&p);
  pb_simple(s, "kind", -1, -1, "uint8", false, 1);
  pb_simple(s, "position", -1, -1, "uint64", false, 1);
  pb_simple(s, "size", -1, -1, "uint64", false, 1);
  pb_simple(s, "blob_id", -1, -1, "uint32", false, 1);
  pb_simple(s, "blob_uri", -1, -1, "string", false, 2);
  return 0;
}

static int pb_field(lc_pbw *s, const lc_field *f, int32_t parent_id, lancec_error *err) {
  if (f->id < 0) return 0; /* synthesised FSL item / dictionary value */
  if (!f->logical_type) return lc_err(err, LANCEC_EINVAL, "field '%s' has no logical type", f->name);
  if (lc_field_is_blob_v2(f)) return pb_blob_v2(s, f, parent_id);
  lc_pbw p = {0};
  lc_pb_bytes(&p, 2, f->name, strlen(f->name));
  lc_pb_uint(&p, 3, (uint64_t)(int64_t)f->id, false);
  lc_pb_uint(&p, 4, (uint64_t)(int64_t)parent_id, false);
  lc_pb_bytes(&p, 5, f->logical_type, strlen(f->logical_type));
  lc_pb_uint(&p, 6, f->nullable ? 1 : 0, false);
  lc_pb_uint(&p, 7, (uint64_t)encoding_hint(f), false);
  if (f->type == LC_T_DICT) lc_pb_bytes(&p, 8, NULL, 0);
  const char *ext = f->extension_name ? f->extension_name : meta_get(f, "ARROW:extension:name");
  if (ext) lc_pb_bytes(&p, 9, ext, strlen(ext));
  for (size_t i = 0; i < f->n_metadata; i++)
    if (f->metadata[i].key) pb_kv(&p, 10, &f->metadata[i]);
  lc_pb_msg(s, 1, &p);
  lc_pbw_free(&p);
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(pb_field(s, f->children[i], f->id, err));
  return 0;
}

static int file_descriptor(const lc_schema *sc, uint64_t rows, lc_pbw *out, lancec_error *err) {
  lc_pbw s = {0};
  int rc = 0;
  for (size_t i = 0; i < sc->n_fields && !rc; i++) rc = pb_field(&s, sc->fields[i], -1, err);
  for (size_t i = 0; i < sc->n_metadata && !rc; i++)
    if (sc->metadata[i].key) pb_kv(&s, 5, &sc->metadata[i]);
  if (!rc) {
    lc_pb_msg(out, 1, &s);
    lc_pb_uint(out, 2, rows, false);
  }
  lc_pbw_free(&s);
  if (!rc && out->oom) rc = OOM(err);
  return rc;
}

/* ---- columns ---- */

static int leaf_setup(wcol *c, const lc_field *f, lancec_error *err) {
  const lc_field *v = f->type == LC_T_DICT ? f->dict_value : f;
  if (!v) return lc_err(err, LANCEC_EINVAL, "dictionary field '%s' without a value type", f->name);
  c->is_dict = f->type == LC_T_DICT;
  if (c->is_dict) {
    switch (f->dict_key) {
      case LC_T_INT8: c->key_bytes = 1, c->key_max = INT8_MAX; break;
      case LC_T_UINT8: c->key_bytes = 1, c->key_max = UINT8_MAX; break;
      case LC_T_INT16: c->key_bytes = 2, c->key_max = INT16_MAX; break;
      case LC_T_UINT16: c->key_bytes = 2, c->key_max = UINT16_MAX; break;
      case LC_T_INT32: c->key_bytes = 4, c->key_max = INT32_MAX; break;
      case LC_T_UINT32: c->key_bytes = 4, c->key_max = UINT32_MAX; break;
      default: c->key_bytes = 8, c->key_max = INT64_MAX; break;
    }
  }
  bool blob1 = false;
  if (lc_field_is_blob_legacy(f)) {
    /* BlobLayout (2.1 §3.7), in 2.2 files too: Lance 12 refuses to *write* it
     * to 2.2 but reads it there, while a plain column under a field with
     * blob metadata is unreadable for it (see docs/writer.md) */
    if (c->depth != 1)
      return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': nested legacy blob columns are not written", f->name);
    blob1 = true;
  }
  switch (v->type) {
    case LC_T_NULL: c->vk = WV_NULL; return 0;
    case LC_T_BOOL: c->vk = WV_BOOL; return 0;
    case LC_T_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_STRING:
    case LC_T_LARGE_BINARY:
      c->vk = WV_VAR;
      c->off_bits = (v->type == LC_T_LARGE_STRING || v->type == LC_T_LARGE_BINARY) ? 64 : 32;
      c->is_string = v->type == LC_T_STRING || v->type == LC_T_LARGE_STRING;
      if (blob1) c->vk = WV_BLOB1;
      return 0;
    case LC_T_FIXED_LIST: {
      if (c->is_dict)
        return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': dictionary of fixed_size_list is not written", f->name);
      const lc_field *x = v;
      uint64_t dim = 1;
      int lv = 0;
      while (x->type == LC_T_FIXED_LIST && x->n_children == 1 && x->width > 0 && lv < 8) {
        c->fsl_dims[lv] = (uint64_t)x->width;
        dim *= (uint64_t)x->width;
        c->fsl_cum[lv] = dim;
        x = x->children[0];
        lv++;
      }
      int b = lc_type_bit_width(x);
      if (x->type == LC_T_FIXED_LIST || b <= 1 || b % 8 || x->type == LC_T_DICT)
        return lc_err(err, LANCEC_EUNSUPPORTED,
                      "field '%s': fixed_size_list of %s is not written yet", f->name, lc_type_name(x->type));
      c->vk = WV_FSL;
      c->dim = dim;
      c->fsl_levels = lv;
      c->bytes = (unsigned)(b / 8);
      return 0;
    }
    default: break;
  }
  int b = lc_type_bit_width(v);
  if (b <= 0 || b % 8)
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %s is not written yet", f->name,
                  lc_type_name(v->type));
  c->vk = WV_FIXED;
  c->bytes = (unsigned)(b / 8);
  return 0;
}

typedef struct colwalk {
  lc_file_writer *w;
  int top;
  const lc_field *node[WMAXD];
  int child_idx[WMAXD];
  int depth;
  lc_buf cols;
} colwalk;

static int add_col(colwalk *cw, lancec_error *err) {
  wcol c;
  memset(&c, 0, sizeof c);
  c.top = cw->top;
  c.depth = cw->depth;
  for (int j = 0; j < cw->depth; j++) {
    c.node[j] = cw->node[j];
    c.child_idx[j] = cw->child_idx[j];
    switch (cw->node[j]->type) {
      case LC_T_LIST: c.ntype[j] = WN_LIST; break;
      case LC_T_LARGE_LIST: c.ntype[j] = WN_LARGE_LIST; break;
      case LC_T_MAP: c.ntype[j] = WN_MAP; break;
      case LC_T_STRUCT: c.ntype[j] = WN_STRUCT; break;
      default: c.ntype[j] = WN_LEAF;
    }
  }
  const lc_field *leaf = cw->node[cw->depth - 1];
  c.ntype[cw->depth - 1] = WN_LEAF;
  if (lc_field_is_blob_v2(leaf)) {
    c.vk = WV_BLOB2;
    c.off_bits = 32; /* descriptor rows: u32 length prefix */
    c.blob_data = c.blob_uri = -1;
    for (size_t k = 0; k < leaf->n_children; k++) {
      const lc_field *ch = leaf->children[k];
      if (strcmp(ch->name, "data") == 0 && (ch->type == LC_T_LARGE_BINARY || ch->type == LC_T_BINARY))
        c.blob_data = (int)k, c.blob_large = ch->type == LC_T_LARGE_BINARY;
      else if (strcmp(ch->name, "uri") == 0 && (ch->type == LC_T_STRING || ch->type == LC_T_LARGE_STRING))
        c.blob_uri = (int)k;
    }
    if (c.blob_data < 0)
      return lc_err(err, LANCEC_EUNSUPPORTED, "blob v2 field '%s' has no binary 'data' child", leaf->name);
  } else if (leaf->type == LC_T_STRUCT && leaf->n_children > 0) {
    /* packed struct: fixed-width children without nulls, < 256 bytes per row */
    if (leaf->n_children > WMAXD)
      return lc_err(err, LANCEC_EUNSUPPORTED, "packed struct '%s' has too many children", leaf->name);
    unsigned tot = 0;
    for (size_t k = 0; k < leaf->n_children; k++) {
      const lc_field *ch = leaf->children[k];
      int b = lc_type_bit_width(ch);
      if (b <= 0 || b % 8 || ch->type == LC_T_FIXED_LIST || ch->nullable)
        return lc_err(err, LANCEC_EUNSUPPORTED,
                      "packed struct '%s': child '%s' must be a non-nullable fixed-width primitive", leaf->name, ch->name);
      c.pk_bytes[k] = (unsigned)(b / 8);
      tot += (unsigned)(b / 8);
    }
    if (tot >= 256) return lc_err(err, LANCEC_EUNSUPPORTED, "packed struct '%s': rows of %u bytes", leaf->name, tot);
    c.pk_n = (int)leaf->n_children;
    c.vk = WV_PACKED;
    c.bytes = tot;
  } else if (leaf->type == LC_T_STRUCT) {
    c.vk = WV_EMPTY;
  } else {
    LC_TRY(leaf_setup(&c, leaf, err));
  }
  /* raw def codes, innermost first */
  uint16_t base = 0;
  int nlists = 0;
  c.vis_max = UINT16_MAX;
  for (int j = c.depth - 1; j >= 0; j--) {
    bool list = c.ntype[j] == WN_LIST || c.ntype[j] == WN_LARGE_LIST || c.ntype[j] == WN_MAP;
    if (list) {
      if (nlists == 0) c.vis_max = base;
      c.raw_null[j] = (uint16_t)(base + 1);
      c.raw_empty[j] = (uint16_t)(base + 2);
      base = (uint16_t)(base + 2);
      nlists++;
    } else {
      c.raw_null[j] = (uint16_t)(base + 1);
      base = (uint16_t)(base + 1);
    }
  }
  c.max_rep = nlists;
  int r = nlists;
  for (int j = 0; j < c.depth; j++)
    if (c.ntype[j] == WN_LIST || c.ntype[j] == WN_LARGE_LIST || c.ntype[j] == WN_MAP) c.replevel[j] = (uint16_t)r--;
  if (lc_buf_append(&cw->cols, &c, sizeof c)) return OOM(err);
  return 0;
}

static int walk(colwalk *cw, const lc_field *f, int child_idx, lancec_error *err) {
  if (cw->depth >= WMAXD) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s' is nested too deeply", f->name);
  cw->node[cw->depth] = f;
  cw->child_idx[cw->depth] = 0;
  if (cw->depth > 0) cw->child_idx[cw->depth - 1] = child_idx;
  cw->depth++;
  int rc = 0;
  switch (f->type) {
    case LC_T_STRUCT:
      if (lc_field_is_blob_v2(f) && cw->w->minor < 2) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': blob v2 columns need file format 2.2", f->name);
      } else if (lc_field_is_blob_v2(f) && cw->depth != 1) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': nested blob v2 columns are not written", f->name);
      } else if (lc_field_is_packed_struct(f)) {
        rc = add_col(cw, err); /* one column, children stored row-major (2.1 §4.10) */
      } else if (f->n_children == 0) {
        rc = add_col(cw, err);
      } else {
        for (size_t i = 0; i < f->n_children && !rc; i++) rc = walk(cw, f->children[i], (int)i, err);
      }
      break;
    case LC_T_MAP:
      if (cw->w->major == 2 && cw->w->minor < 2) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': map needs file format 2.2", f->name);
        break;
      }
      /* fallthrough */
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
      if (f->n_children != 1) rc = lc_err(err, LANCEC_EINVAL, "list field '%s' without an item", f->name);
      else rc = walk(cw, f->children[0], 0, err);
      break;
    case LC_T_FIXED_LIST:
      if (f->n_children == 1 && f->children[0]->type == LC_T_STRUCT) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': fixed_size_list of struct is not written yet",
                    f->name);
        break;
      }
      rc = add_col(cw, err);
      break;
    default: rc = add_col(cw, err);
  }
  cw->depth--;
  return rc;
}

/* ---- API ---- */

static void wcol_free(wcol *c) {
  lc_buf_free(&c->rep);
  lc_buf_free(&c->def);
  lc_buf_free(&c->vals);
  lc_buf_free(&c->ends);
  for (int k = 0; k < 8; k++) lc_buf_free(&c->fslval[k]);
  lc_pbw_free(&c->pages);
}

static void writer_free(lc_file_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n_cols; i++) wcol_free(&w->cols[i]);
  lc_free(w->cols);
  for (int i = 0; i < 2; i++) {
    lc_buf_free(&w->s_rep[i]);
    lc_buf_free(&w->s_def[i]);
    lc_buf_free(&w->s_idx[i]);
  }
  lc_buf_free(&w->p_a);
  lc_buf_free(&w->p_b);
  lc_buf_free(&w->p_c);
  lc_w20_free(w->v20);
  lc_free(w);
}

int lc_file_writer_new(lc_file_writer **out, lc_io *io, const char *path, const lc_schema *schema,
                       const lc_file_writer_options *opts, lancec_error *err) {
  *out = NULL;
  uint16_t major = opts ? opts->major : 0, minor = opts ? opts->minor : 0;
  if (major == 0 && minor == 0) major = 2, minor = 2;
  bool v20 = (major == 2 && minor == 0) || (major == 0 && minor == 3);
  if (!v20 && (major != 2 || (minor != 1 && minor != 2)))
    return lc_err(err, LANCEC_EUNSUPPORTED, "file format %u.%u is not written (2.0, 2.1 and 2.2 are)", major,
                  minor);
  lc_file_writer *w = lc_calloc(1, sizeof *w);
  if (!w) return OOM(err);
  w->schema = schema;
  w->major = v20 ? 2 : major;
  w->minor = v20 ? 0 : minor;
  int rc = 0;
  if (v20) {
    rc = lc_w20_new(w, err);
    if (rc) {
      writer_free(w);
      return rc;
    }
  } else {
    colwalk cw;
    memset(&cw, 0, sizeof cw);
    cw.w = w;
    for (size_t i = 0; i < schema->n_fields && !rc; i++) {
      cw.top = (int)i;
      cw.depth = 0;
      rc = walk(&cw, schema->fields[i], 0, err);
    }
    if (rc) {
      lc_buf_free(&cw.cols);
      writer_free(w);
      return rc;
    }
    w->n_cols = cw.cols.len / sizeof(wcol);
    w->cols = (wcol *)lc_buf_steal(&cw.cols, NULL);
  }
  rc = lc_io_writer_open(io, path, &w->iow, err);
  if (rc) {
    writer_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

uint64_t lc_file_writer_rows(const lc_file_writer *w) { return w->rows; }

uint64_t lc_file_writer_bytes(const lc_file_writer *w) {
  uint64_t b = w->pos;
  if (w->v20) return b + lc_w20_pending(w);
  for (size_t i = 0; i < w->n_cols; i++) {
    const wcol *c = &w->cols[i];
    b += c->rep.len + c->def.len + c->vals.len + c->ends.len;
    for (int k = 0; k < c->fsl_levels; k++) b += c->fslval[k].len;
  }
  return b;
}

void lc_file_writer_abort(lc_file_writer *w) {
  if (!w) return;
  lc_io_writer_abort(w->iow);
  writer_free(w);
}

/* ---- shredding (file-format-2.1.md §3.1.5) ---- */

static inline const uint8_t *validity(const struct ArrowArray *a) {
  return a->null_count != 0 && a->n_buffers > 0 && a->buffers ? (const uint8_t *)a->buffers[0] : NULL;
}

static inline int64_t off_at(const void *offs, bool large, int64_t i) {
  if (large) return ((const int64_t *)offs)[i];
  return ((const int32_t *)offs)[i];
}

static inline int64_t key_at(const struct ArrowArray *a, lc_type_id kt, int64_t p) {
  const void *b = a->buffers[1];
  switch (kt) {
    case LC_T_INT8: return ((const int8_t *)b)[p];
    case LC_T_UINT8: return ((const uint8_t *)b)[p];
    case LC_T_INT16: return ((const int16_t *)b)[p];
    case LC_T_UINT16: return ((const uint16_t *)b)[p];
    case LC_T_INT32: return ((const int32_t *)b)[p];
    case LC_T_UINT32: return ((const uint32_t *)b)[p];
    case LC_T_UINT64: return (int64_t)((const uint64_t *)b)[p];
    default: return ((const int64_t *)b)[p];
  }
}

static int ensure(lc_buf *b, size_t bytes) {
  if (b->cap >= bytes) return 0;
  return lc_buf_reserve(b, bytes - b->len);
}

static int null_in_required(const wcol *c, int j, lancec_error *err) {
  return lc_err(err, LANCEC_ETYPE, "column '%s': null value in non-nullable field '%s'",
                c->node[0]->name, c->node[j]->name);
}

/* Materialise the def buffer (zeros so far) the first time a nonzero code appears. */
static int def_materialise(wcol *c) {
  if (c->def_mat) return 0;
  if (lc_buf_reserve(&c->def, (size_t)c->n_levels * 2 + 4096)) return -1;
  memset(c->def.data, 0, (size_t)c->n_levels * 2);
  c->def.len = (size_t)c->n_levels * 2;
  c->def_mat = true;
  return 0;
}

static int gather_values(lc_file_writer *w, wcol *c, const struct ArrowArray *leafarr, const int64_t *idx,
                         const uint16_t *def, size_t n, lancec_error *err);

static int shred(lc_file_writer *w, wcol *c, const struct ArrowArray *top, int64_t first, int64_t n,
                 lancec_error *err) {
  int cur = 0;
  size_t cap = (size_t)n;
  if (ensure(&w->s_rep[0], cap * 2) || ensure(&w->s_def[0], cap * 2) || ensure(&w->s_idx[0], cap * 8))
    return OOM(err);
  uint16_t *rep = (uint16_t *)w->s_rep[0].data, *def = (uint16_t *)w->s_def[0].data;
  int64_t *idx = (int64_t *)w->s_idx[0].data;
  for (int64_t i = 0; i < n; i++) {
    rep[i] = (uint16_t)c->max_rep;
    def[i] = 0;
    idx[i] = top->offset + first + i;
  }
  size_t cnt = (size_t)n;
  const struct ArrowArray *a = top;
  for (int j = 0; j < c->depth; j++) {
    const lc_field *f = c->node[j];
    int t = c->ntype[j];
    if (t == WN_STRUCT) {
      const uint8_t *v = validity(a);
      if (v) {
        uint16_t code = c->raw_null[j];
        for (size_t i = 0; i < cnt; i++)
          if (idx[i] >= 0 && !lc_bit_get(v, idx[i])) {
            def[i] = code;
            idx[i] = -1;
            c->seen_null[j] = true;
          }
        if (!f->nullable && c->seen_null[j]) return null_in_required(c, j, err);
      }
      if (a->n_children <= c->child_idx[j]) return lc_err(err, LANCEC_ETYPE, "column '%s': struct child missing", c->node[0]->name);
      a = a->children[c->child_idx[j]];
      int64_t co = a->offset;
      if (co)
        for (size_t i = 0; i < cnt; i++)
          if (idx[i] >= 0) idx[i] += co;
    } else if (t != WN_LEAF) {
      bool large = t == WN_LARGE_LIST;
      const uint8_t *v = validity(a);
      const void *offs = a->buffers[1];
      if (a->n_children < 1) return lc_err(err, LANCEC_ETYPE, "column '%s': list child missing", c->node[0]->name);
      const struct ArrowArray *ch = a->children[0];
      /* count the output */
      size_t out = 0;
      for (size_t i = 0; i < cnt; i++) {
        if (idx[i] < 0 || (v && !lc_bit_get(v, idx[i]))) {
          out++;
          continue;
        }
        int64_t len = off_at(offs, large, idx[i] + 1) - off_at(offs, large, idx[i]);
        out += len > 0 ? (size_t)len : 1;
      }
      int nx = cur ^ 1;
      if (ensure(&w->s_rep[nx], out * 2) || ensure(&w->s_def[nx], out * 2) || ensure(&w->s_idx[nx], out * 8))
        return OOM(err);
      uint16_t *r2 = (uint16_t *)w->s_rep[nx].data, *d2 = (uint16_t *)w->s_def[nx].data;
      int64_t *x2 = (int64_t *)w->s_idx[nx].data;
      uint16_t inner_rep = (uint16_t)(c->replevel[j] - 1), cn = c->raw_null[j], ce = c->raw_empty[j];
      int64_t co = ch->offset;
      size_t o = 0;
      for (size_t i = 0; i < cnt; i++) {
        if (idx[i] < 0) {
          r2[o] = rep[i], d2[o] = def[i], x2[o++] = -1;
          continue;
        }
        if (v && !lc_bit_get(v, idx[i])) {
          r2[o] = rep[i], d2[o] = cn, x2[o++] = -1;
          c->seen_null[j] = true;
          continue;
        }
        int64_t s = off_at(offs, large, idx[i]), e = off_at(offs, large, idx[i] + 1);
        if (e <= s) {
          r2[o] = rep[i], d2[o] = ce, x2[o++] = -1;
          c->seen_empty[j] = true;
          continue;
        }
        r2[o] = rep[i], d2[o] = 0, x2[o++] = co + s;
        for (int64_t k = s + 1; k < e; k++) r2[o] = inner_rep, d2[o] = 0, x2[o++] = co + k;
      }
      if (!f->nullable && c->seen_null[j]) return null_in_required(c, j, err);
      cur = nx;
      rep = r2, def = d2, idx = x2, cnt = o;
      a = ch;
    } else {
      /* leaf */
      uint16_t code = c->raw_null[j];
      bool any_null = false;
      if (c->vk == WV_NULL) {
        for (size_t i = 0; i < cnt; i++)
          if (idx[i] >= 0) def[i] = code, idx[i] = -1, any_null = true;
      } else if (c->vk == WV_EMPTY || c->vk == WV_PACKED) {
        const uint8_t *v = validity(a);
        if (v)
          for (size_t i = 0; i < cnt; i++)
            if (idx[i] >= 0 && !lc_bit_get(v, idx[i])) def[i] = code, idx[i] = -1, any_null = true;
      } else if (c->vk == WV_BLOB2) {
        /* a valid struct with null data: null blob unless it has a uri (external
         * blob, not written); otherwise the data child's index replaces the row's */
        const uint8_t *v = validity(a);
        if (a->n_children <= c->blob_data || (c->blob_uri >= 0 && a->n_children <= c->blob_uri))
          return lc_err(err, LANCEC_ETYPE, "column '%s': blob struct without its children", c->node[0]->name);
        const struct ArrowArray *da = a->children[c->blob_data];
        const struct ArrowArray *ua = c->blob_uri >= 0 ? a->children[c->blob_uri] : NULL;
        const uint8_t *dv = validity(da), *uv = ua ? validity(ua) : NULL;
        bool ularge = ua && f->children[c->blob_uri]->type == LC_T_LARGE_STRING;
        for (size_t i = 0; i < cnt; i++) {
          if (idx[i] < 0) continue;
          if (v && !lc_bit_get(v, idx[i])) {
            def[i] = code, idx[i] = -1, any_null = true;
            continue;
          }
          int64_t di = da->offset + idx[i];
          if (!dv || lc_bit_get(dv, di)) {
            idx[i] = di;
            continue;
          }
          if (ua) {
            int64_t ui = ua->offset + idx[i];
            if ((!uv || lc_bit_get(uv, ui)) && off_at(ua->buffers[1], ularge, ui + 1) > off_at(ua->buffers[1], ularge, ui))
              return lc_err(err, LANCEC_EUNSUPPORTED,
                            "column '%s': external blobs (a uri without data) are not written", c->node[0]->name);
          }
          def[i] = code, idx[i] = -1, any_null = true;
        }
        a = da;
      } else {
        const uint8_t *v = validity(a);
        if (v)
          for (size_t i = 0; i < cnt; i++)
            if (idx[i] >= 0 && !lc_bit_get(v, idx[i])) def[i] = code, idx[i] = -1, any_null = true;
        if (c->is_dict) {
          const struct ArrowArray *d = a->dictionary;
          if (!d) return lc_err(err, LANCEC_ETYPE, "column '%s': dictionary array without a dictionary", c->node[0]->name);
          lc_type_id kt = f->dict_key;
          int64_t dn = d->length;
          for (size_t i = 0; i < cnt; i++)
            if (idx[i] >= 0) {
              int64_t k = key_at(a, kt, idx[i]);
              if (k < 0 || k >= dn)
                return lc_err(err, LANCEC_ETYPE, "column '%s': dictionary key %lld out of range",
                              c->node[0]->name, (long long)k);
              idx[i] = d->offset + k;
            }
          a = d;
          const uint8_t *dv = validity(a);
          if (dv)
            for (size_t i = 0; i < cnt; i++)
              if (idx[i] >= 0 && !lc_bit_get(dv, idx[i])) def[i] = code, idx[i] = -1, any_null = true;
        }
      }
      if (any_null) {
        c->seen_null[j] = true;
        if (!f->nullable && c->vk != WV_NULL) return null_in_required(c, j, err);
      }
    }
  }
  /* append levels */
  if (c->max_rep > 0) {
    if (lc_buf_append(&c->rep, rep, cnt * 2)) return OOM(err);
  }
  bool nz = false;
  for (size_t i = 0; i < cnt; i++)
    if (def[i]) {
      nz = true;
      break;
    }
  if (nz && def_materialise(c)) return OOM(err);
  if (c->def_mat && lc_buf_append(&c->def, def, cnt * 2)) return OOM(err);
  c->n_levels += cnt;
  c->n_rows += (uint64_t)n;
  if (c->vk == WV_EMPTY || c->vk == WV_NULL) {
    /* no values; count visible items for the layout decision */
    for (size_t i = 0; i < cnt; i++)
      if (def[i] <= c->vis_max) c->n_items++;
    return 0;
  }
  return gather_values(w, c, a, idx, def, cnt, err);
}

static int gather_values(lc_file_writer *w, wcol *c, const struct ArrowArray *la, const int64_t *idx,
                         const uint16_t *def, size_t n, lancec_error *err) {
  (void)w;
  bool all_vis = c->vis_max == UINT16_MAX;
  size_t i = 0;
  switch (c->vk) {
    case WV_FIXED: {
      size_t B = c->bytes;
      const uint8_t *src = la->buffers[1];
      if (ensure(&c->vals, c->vals.len + n * B)) return OOM(err);
      uint8_t *dst = c->vals.data + c->vals.len;
      size_t o = 0;
      while (i < n) {
        if (!all_vis && def[i] > c->vis_max) {
          i++;
          continue;
        }
        if (idx[i] < 0) {
          memset(dst + o * B, 0, B);
          o++, i++;
          continue;
        }
        size_t j = i + 1;
        while (j < n && idx[j] == idx[j - 1] + 1) j++;
        memcpy(dst + o * B, src + (size_t)idx[i] * B, (j - i) * B);
        o += j - i;
        i = j;
      }
      c->vals.len += o * B;
      c->n_items += o;
      return 0;
    }
    case WV_BOOL: {
      const uint8_t *src = la->buffers[1];
      if (ensure(&c->vals, (size_t)((c->n_items + n + 7) / 8) + 8)) return OOM(err);
      uint8_t *dst = c->vals.data;
      uint64_t o = c->n_items;
      while (i < n) {
        if (!all_vis && def[i] > c->vis_max) {
          i++;
          continue;
        }
        if (idx[i] < 0) {
          if ((o & 7) == 0) dst[o >> 3] = 0;
          lc_bit_clear(dst, (int64_t)o);
          o++, i++;
          continue;
        }
        size_t j = i + 1;
        while (j < n && idx[j] == idx[j - 1] + 1) j++;
        if ((o & 7) == 0) dst[o >> 3] = 0;
        lc_bits_copy(dst, (int64_t)o, src, idx[i], (int64_t)(j - i));
        o += j - i;
        i = j;
      }
      c->n_items = o;
      c->vals.len = (size_t)((o + 7) / 8);
      return 0;
    }
    case WV_VAR:
    case WV_BLOB1:
    case WV_BLOB2: {
      bool large = c->vk == WV_BLOB2 ? c->blob_large : c->off_bits == 64;
      const void *offs = la->buffers[1];
      const uint8_t *src = la->buffers[2];
      if (ensure(&c->ends, c->ends.len + n * 8)) return OOM(err);
      uint64_t *ends = (uint64_t *)(c->ends.data + c->ends.len);
      uint64_t end = c->vals.len;
      size_t o = 0;
      uint64_t maxlen = c->max_len;
      while (i < n) {
        if (!all_vis && def[i] > c->vis_max) {
          i++;
          continue;
        }
        if (idx[i] < 0) {
          ends[o++] = end;
          i++;
          continue;
        }
        size_t j = i + 1;
        while (j < n && idx[j] == idx[j - 1] + 1) j++;
        int64_t s0 = off_at(offs, large, idx[i]), s1 = off_at(offs, large, idx[j - 1] + 1);
        if (s1 < s0) return lc_err(err, LANCEC_ETYPE, "column '%s': bad offsets", c->node[0]->name);
        if (lc_buf_append(&c->vals, src + s0, (size_t)(s1 - s0))) return OOM(err);
        int64_t prev = s0;
        for (size_t k = i; k < j; k++) {
          int64_t e = off_at(offs, large, idx[k] + 1);
          uint64_t len = (uint64_t)(e - prev);
          if (len > maxlen) maxlen = len;
          end += len;
          ends[o++] = end;
          prev = e;
        }
        i = j;
      }
      c->max_len = maxlen;
      c->ends.len += o * 8;
      c->n_items += o;
      return 0;
    }
    case WV_FSL: {
      /* arr[k + 1] = the items of FSL layer k (arr[0] = the column's array).
       * Layer k gets an item validity bitmap (n_items * fsl_cum[k] bits)
       * once its items can be null: the leaf layer when the leaf array has
       * a validity buffer, an outer layer when its child lists have nulls. */
      int L = c->fsl_levels;
      const struct ArrowArray *arr[9];
      arr[0] = la;
      for (int l = 0; l < L; l++) {
        if (arr[l]->n_children < 1 || !arr[l]->children[0])
          return lc_err(err, LANCEC_ETYPE, "column '%s': fixed_size_list child missing", c->node[0]->name);
        arr[l + 1] = arr[l]->children[0];
      }
      const uint8_t *iv[8];
      for (int k = 0; k < L; k++) {
        const struct ArrowArray *it = arr[k + 1];
        iv[k] = validity(it);
        bool want = iv[k] != NULL;
        if (want && k < L - 1) want = lc_bits_count_zero(iv[k], it->offset, it->length) > 0;
        if (!want) iv[k] = NULL;
        if (want && !c->fslval_mat[k]) {
          size_t nb = (size_t)((c->n_items * c->fsl_cum[k] + 7) / 8);
          if (ensure(&c->fslval[k], nb + 64)) return OOM(err);
          memset(c->fslval[k].data, 0xff, nb);
          c->fslval[k].len = nb;
          c->fslval_mat[k] = true;
        }
        if (c->fslval_mat[k] && ensure(&c->fslval[k], (size_t)(((c->n_items + n) * c->fsl_cum[k] + 7) / 8) + 8))
          return OOM(err);
      }
      size_t B = c->bytes;
      uint64_t dim = c->dim;
      size_t rowb = (size_t)dim * B;
      const uint8_t *src = arr[L]->buffers[1];
      if (ensure(&c->vals, c->vals.len + n * rowb)) return OOM(err);
      uint8_t *dst = c->vals.data + c->vals.len;
      size_t o = 0;
      while (i < n) {
        if (!all_vis && def[i] > c->vis_max) {
          i++;
          continue;
        }
        uint64_t row = c->n_items + o;
        if (idx[i] < 0) {
          /* a null row: zero items, all marked valid */
          memset(dst + o * rowb, 0, rowb);
          for (int k = 0; k < L; k++) {
            if (!c->fslval_mat[k]) continue;
            uint64_t cd = c->fsl_cum[k], ob = row * cd;
            for (uint64_t b = 0; b < cd; b++) {
              if (((ob + b) & 7) == 0) c->fslval[k].data[(ob + b) >> 3] = 0;
              lc_bit_set(c->fslval[k].data, (int64_t)(ob + b));
            }
          }
          o++, i++;
          continue;
        }
        size_t j = i + 1;
        while (j < n && idx[j] == idx[j - 1] + 1) j++;
        /* start[k] = index in arr[k + 1] of the first item of row idx[i] */
        int64_t start[8];
        int64_t at = idx[i];
        for (int l = 0; l < L; l++) {
          at = arr[l + 1]->offset + at * (int64_t)c->fsl_dims[l];
          start[l] = at;
        }
        memcpy(dst + o * rowb, src + (size_t)at * B, (j - i) * rowb);
        for (int k = 0; k < L; k++) {
          if (!c->fslval_mat[k]) continue;
          uint64_t cd = c->fsl_cum[k], ob = row * cd;
          uint64_t nbits = (uint64_t)(j - i) * cd;
          uint8_t *vd = c->fslval[k].data;
          if ((ob & 7) == 0) vd[ob >> 3] = 0;
          if (iv[k]) {
            lc_bits_copy(vd, (int64_t)ob, iv[k], start[k], (int64_t)nbits);
          } else {
            for (uint64_t b = 0; b < nbits; b++) {
              if (((ob + b) & 7) == 0) vd[(ob + b) >> 3] = 0;
              lc_bit_set(vd, (int64_t)(ob + b));
            }
          }
        }
        o += j - i;
        i = j;
      }
      c->vals.len += o * rowb;
      c->n_items += o;
      for (int k = 0; k < L; k++)
        if (c->fslval_mat[k]) c->fslval[k].len = (size_t)((c->n_items * c->fsl_cum[k] + 7) / 8);
      return 0;
    }
    case WV_PACKED: {
      size_t B = c->bytes;
      if (ensure(&c->vals, c->vals.len + n * B)) return OOM(err);
      uint8_t *dst = c->vals.data + c->vals.len;
      size_t o = 0;
      for (; i < n; i++) {
        if (!all_vis && def[i] > c->vis_max) continue;
        uint8_t *row = dst + o * B;
        if (idx[i] < 0) {
          memset(row, 0, B);
        } else {
          size_t at = 0;
          for (int k = 0; k < c->pk_n; k++) {
            const struct ArrowArray *ch = la->children[k];
            size_t kb = c->pk_bytes[k];
            memcpy(row + at, (const uint8_t *)ch->buffers[1] + (size_t)(ch->offset + idx[i]) * kb, kb);
            at += kb;
          }
        }
        o++;
      }
      c->vals.len += o * B;
      c->n_items += o;
      return 0;
    }
    default: return 0;
  }
}

static size_t col_bytes(const wcol *c) {
  size_t b = c->rep.len + c->def.len + c->vals.len + c->ends.len;
  for (int k = 0; k < c->fsl_levels; k++) b += c->fslval[k].len;
  return b;
}

int lc_file_writer_write(lc_file_writer *w, const struct ArrowArray *batch, lancec_error *err) {
  if (w->failed) return lc_err(err, LANCEC_EINVAL, "the file writer failed earlier");
  if (!batch || batch->length < 0) return lc_err(err, LANCEC_EINVAL, "no batch");
  if ((size_t)batch->n_children != w->schema->n_fields)
    return lc_err(err, LANCEC_ETYPE, "batch has %lld columns, the schema %zu", (long long)batch->n_children,
                  w->schema->n_fields);
  for (size_t i = 0; i < w->schema->n_fields; i++) {
    const lc_field *f = w->schema->fields[i];
    const struct ArrowArray *a = batch->children[i];
    if (a->length < batch->offset + batch->length)
      return lc_err(err, LANCEC_ETYPE, "column '%s' is shorter than the batch", f->name);
    int rc = lc_array_validate(f, a, err);
    if (rc) return lc_err_prefix(err, "column '%s': ", f->name), rc;
    if (!f->nullable && a->null_count != 0 && a->n_buffers > 0 && a->buffers[0] &&
        lc_bits_count_zero(a->buffers[0], a->offset + batch->offset, batch->length))
      return lc_err(err, LANCEC_ETYPE, "column '%s' is not nullable but has nulls", f->name);
  }
  if (w->v20) {
    int rc = lc_w20_write(w, batch, err);
    if (rc) w->failed = true;
    return rc;
  }
  const int64_t slice = 16384;
  for (int64_t r0 = 0; r0 < batch->length; r0 += slice) {
    int64_t n = batch->length - r0 < slice ? batch->length - r0 : slice;
    for (size_t k = 0; k < w->n_cols; k++) {
      wcol *c = &w->cols[k];
      int rc = shred(w, c, batch->children[c->top], batch->offset + r0, n, err);
      if (!rc && col_bytes(c) >= W_PAGE_BYTES) rc = lc_w_flush_page(w, c, err);
      if (rc) {
        w->failed = true;
        return rc;
      }
    }
    w->rows += (uint64_t)n;
  }
  return 0;
}

int lc_w_finish_container(lc_file_writer *w, const lc_pbw *const *pages, const bool *blob, size_t n_cols,
                          uint16_t fmajor, uint16_t fminor, lancec_error *err) {
  lc_pbw fd = {0}, tail = {0};
  int rc = file_descriptor(w->schema, w->rows, &fd, err);
  if (!rc) {
    /* global buffer 0 at the aligned end of the data, no padding after it */
    uint64_t gpos = w->pos, gbuf_len = fd.b.len;
    lc_pb_raw(&tail, fd.b.data, fd.b.len);
    uint64_t cm_start = gpos + gbuf_len;
    uint64_t *cmo = lc_calloc(n_cols ? n_cols : 1, 16);
    if (!cmo) rc = OOM(err);
    uint64_t p = cm_start;
    for (size_t k = 0; k < n_cols && !rc; k++) {
      lc_pbw cm = {0}, enc = {0}, direct = {0}, any = {0}, ce = {0}, empty = {0}, inner = {0}, bl = {0};
      /* ColumnEncoding{values: Empty}, or {blob: {inner: {values: Empty}}} */
      if (blob && blob[k]) {
        lc_pb_msg(&inner, 1, &empty);
        lc_pb_msg(&bl, 1, &inner);
        lc_pb_msg(&ce, 3, &bl);
      } else {
        lc_pb_msg(&ce, 1, &empty);
      }
      static const char url[] = "/lance.encodings.ColumnEncoding";
      lc_pb_bytes(&any, 1, url, sizeof url - 1);
      lc_pb_msg(&any, 2, &ce);
      lc_pb_msg(&direct, 1, &any);
      lc_pb_msg(&enc, 2, &direct);
      lc_pb_msg(&cm, 1, &enc);
      lc_pb_raw(&cm, pages[k]->b.data, pages[k]->b.len);
      if (pages[k]->oom) cm.oom = true;
      cmo[2 * k] = p;
      cmo[2 * k + 1] = cm.b.len;
      p += cm.b.len;
      lc_pb_raw(&tail, cm.b.data, cm.b.len);
      if (cm.oom) rc = OOM(err);
      lc_pbw_free(&cm), lc_pbw_free(&enc), lc_pbw_free(&direct), lc_pbw_free(&any), lc_pbw_free(&ce);
      lc_pbw_free(&inner), lc_pbw_free(&bl);
    }
    if (!rc) {
      uint64_t cmo_start = p;
      for (size_t k = 0; k < n_cols; k++) {
        uint8_t e[16];
        lc_st64(e, cmo[2 * k]);
        lc_st64(e + 8, cmo[2 * k + 1]);
        lc_pb_raw(&tail, e, 16);
      }
      uint64_t gbo_start = cmo_start + 16 * n_cols;
      uint8_t g[16], foot[40];
      lc_st64(g, gpos);
      lc_st64(g + 8, gbuf_len);
      lc_pb_raw(&tail, g, 16);
      lc_st64(foot, cm_start);
      lc_st64(foot + 8, cmo_start);
      lc_st64(foot + 16, gbo_start);
      lc_st32(foot + 24, 1);
      lc_st32(foot + 28, (uint32_t)n_cols);
      lc_st16(foot + 32, fmajor);
      lc_st16(foot + 34, fminor);
      memcpy(foot + 36, "LANC", 4);
      lc_pb_raw(&tail, foot, 40);
      if (tail.oom) rc = OOM(err);
    }
    lc_free(cmo);
  }
  if (!rc) rc = lc_io_writer_write(w->iow, tail.b.data, tail.b.len, err);
  if (!rc) {
    w->pos += tail.b.len;
    lc_io_writer *iow = w->iow;
    w->iow = NULL;
    rc = lc_io_writer_close(iow, err);
  }
  lc_pbw_free(&fd);
  lc_pbw_free(&tail);
  return rc;
}

int lc_file_writer_finish(lc_file_writer *w, uint64_t *num_rows, uint64_t *file_size, lancec_error *err) {
  int rc = 0;
  if (w->failed) rc = lc_err(err, LANCEC_EINVAL, "the file writer failed earlier");
  if (!rc && w->v20) {
    rc = lc_w20_finish(w, err);
  } else if (!rc) {
    for (size_t k = 0; k < w->n_cols && !rc; k++)
      if (w->cols[k].n_rows) rc = lc_w_flush_page(w, &w->cols[k], err);
    const lc_pbw **pages = lc_calloc(w->n_cols ? w->n_cols : 1, sizeof(*pages));
    if (!pages && !rc) rc = OOM(err);
    for (size_t k = 0; k < w->n_cols && !rc; k++) pages[k] = &w->cols[k].pages;
    if (!rc) rc = lc_w_finish_container(w, pages, NULL, w->n_cols, w->major, w->minor, err);
    lc_free(pages);
  }
  if (!rc) {
    if (num_rows) *num_rows = w->rows;
    if (file_size) *file_size = w->pos;
  }
  lc_io_writer_abort(w->iow);
  writer_free(w);
  return rc;
}
