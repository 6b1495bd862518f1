/* File formats 2.1 / 2.2: the lc_file_format implementation and the field
 * readers (lc_field_reader_*): field tree -> physical columns, read/take
 * -> per-column levels + items -> unravel -> Arrow. */
#include "file/v21_internal.h"

static bool v21_accepts(uint16_t major, uint16_t minor) { return major == 2 && (minor == 1 || minor == 2); }

static void v21_fini(lc_file *f) {
  for (uint32_t c = 0; c < f->n_columns; c++) {
    lc_column_info *ci = &f->cols[c];
    for (size_t p = 0; p < ci->n_pages; p++)
      if (ci->pages[p].layout) {
        lance__encodings21__page_layout__free_unpacked(ci->pages[p].layout, NULL);
        ci->pages[p].layout = NULL;
      }
  }
}

static int v21_init(lc_file *f, lancec_error *err) {
  for (uint32_t c = 0; c < f->n_columns; c++) {
    lc_column_info *ci = &f->cols[c];
    if (ci->n_pages && ci->total_rows != f->num_rows) {
      /* FSL<struct> leaves count rows x dim; checked per read instead */
    }
    for (size_t p = 0; p < ci->n_pages; p++) {
      v21_layout_pb *lay;
      LC_TRY(v21_layout_decode(f, c, p, &lay, err));
      ci->pages[p].layout = lay;
    }
  }
  return 0;
}

/* ---- value descriptors ---- */

int v21_vdesc_of(const lc_field *f, v21_vdesc *vd, lancec_error *err) {
  memset(vd, 0, sizeof(*vd));
  uint64_t b = 0;
  switch (f->type) {
    case LC_T_NULL: vd->kind = VK_NONE; return 0;
    case LC_T_BOOL: b = 1; break;
    case LC_T_INT8:
    case LC_T_UINT8: b = 8; break;
    case LC_T_INT16:
    case LC_T_UINT16:
    case LC_T_HALF: b = 16; break;
    case LC_T_INT32:
    case LC_T_UINT32:
    case LC_T_FLOAT:
    case LC_T_DATE32:
    case LC_T_TIME32: b = 32; break;
    case LC_T_INT64:
    case LC_T_UINT64:
    case LC_T_DOUBLE:
    case LC_T_DATE64:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION: b = 64; break;
    case LC_T_DECIMAL128: b = 128; break;
    case LC_T_DECIMAL256: b = 256; break;
    case LC_T_FIXED_BINARY:
      if (f->width <= 0) return lc_err(err, LANCEC_ECORRUPT, "fixed_size_binary field '%s' of width %d", f->name, f->width);
      b = 8ull * (uint64_t)f->width;
      break;
    case LC_T_STRING:
    case LC_T_BINARY:
      vd->kind = VK_VAR;
      vd->ow = 4;
      return 0;
    case LC_T_LARGE_STRING:
    case LC_T_LARGE_BINARY:
      vd->kind = VK_VAR;
      vd->ow = 8;
      return 0;
    case LC_T_FIXED_LIST: {
      if (f->n_children != 1 || f->width <= 0)
        return lc_err(err, LANCEC_ECORRUPT, "fixed_size_list field '%s' without an item", f->name);
      v21_vdesc in;
      LC_TRY(v21_vdesc_of(f->children[0], &in, err));
      if (in.kind != VK_FIXED)
        return lc_err(err, LANCEC_EUNSUPPORTED, "fixed_size_list field '%s' of a non fixed-width item", f->name);
      if (in.n_fsl + 1 > LC_MAX_FSL_DEPTH)
        return lc_err(err, LANCEC_EUNSUPPORTED, "fixed_size_list field '%s' nested too deeply", f->name);
      vd->kind = VK_FIXED;
      vd->bits = in.bits * (uint64_t)f->width;
      vd->n_fsl = in.n_fsl + 1;
      vd->fsl_dim[0] = (uint64_t)f->width;
      for (int k = 0; k < in.n_fsl; k++) vd->fsl_dim[k + 1] = in.fsl_dim[k];
      vd->item_bits = in.n_fsl ? in.item_bits : in.bits;
      return 0;
    }
    default:
      return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %d cannot be stored as one column", f->name,
                    (int)f->type);
  }
  vd->kind = VK_FIXED;
  vd->bits = b;
  vd->item_bits = b;
  return 0;
}

/* ---- reader construction ---- */

static int colmap_lookup(const lc_file_colmap *map, int32_t id) {
  if (!map || id < 0) return -1;
  for (size_t i = 0; i < map->n; i++)
    if (map->field_ids[i] == id) return map->column_indices[i];
  return -1;
}

static bool has_child_named(const lc_field *f, const char *name) {
  for (size_t i = 0; i < f->n_children; i++)
    if (f->children[i]->name && strcmp(f->children[i]->name, name) == 0) return true;
  return false;
}

typedef struct build_ctx {
  v21_reader *r;
  lc_file *file;
  const lc_file_colmap *map;
  v21_layer path[V21_MAX_LAYERS];
  lc_buf cols; /* v21_col array under construction */
} build_ctx;

static int setup_col(build_ctx *bc, v21_col *c, const lc_field *f, int32_t col, int depth, uint64_t mult,
                     lancec_error *err) {
  memset(c, 0, sizeof(*c));
  c->file = bc->file;
  c->field = f;
  c->col = col;
  c->L = depth + 1;
  memcpy(c->layers, bc->path, sizeof(v21_layer) * (size_t)c->L);
  c->row_mult = mult;
  v21_page_reset(&c->pg);
  if ((uint32_t)col >= bc->file->n_columns)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s' maps to column %d but the file has %u columns",
                  bc->file->path, f->name, (int)col, bc->file->n_columns);
  LC_TRY(v21_col_setup_levels(c, err));
  v21_vdesc vd;
  memset(&vd, 0, sizeof(vd));
  if (f->type == LC_T_STRUCT) {
    if (lc_field_is_blob_v2(f) && has_child_named(f, "data")) {
      c->kind = CK_BLOB_V2;
    } else if (f->n_children == 0) {
      c->kind = CK_EMPTY_STRUCT;
    } else {
      c->kind = CK_PACKED;
    }
    if (c->kind == CK_EMPTY_STRUCT) {
      v21_acc_init(&c->acc, &vd);
      return 0;
    }
    v21_vdesc kv[V21_MAX_KIDS];
    size_t nk = 0;
    bool all_fixed = true;
    uint64_t bits = 0;
    if (c->kind == CK_BLOB_V2) {
      static const uint64_t w[4] = {8, 64, 64, 32};
      for (int i = 0; i < 4; i++) {
        memset(&kv[i], 0, sizeof(kv[i]));
        kv[i].kind = VK_FIXED;
        kv[i].bits = kv[i].item_bits = w[i];
      }
      memset(&kv[4], 0, sizeof(kv[4]));
      kv[4].kind = VK_VAR;
      kv[4].ow = 4;
      nk = 5;
      all_fixed = false;
    } else {
      if (f->n_children > V21_MAX_KIDS)
        return lc_err(err, LANCEC_EUNSUPPORTED, "packed struct '%s' has too many children", f->name);
      for (size_t i = 0; i < f->n_children; i++) {
        LC_TRY(v21_vdesc_of(f->children[i], &kv[i], err));
        if (kv[i].kind != VK_FIXED || kv[i].bits % 8) all_fixed = false;
        else bits += kv[i].bits;
      }
      nk = f->n_children;
    }
    if (all_fixed) {
      vd.kind = VK_FIXED;
      vd.bits = vd.item_bits = bits;
      v21_acc_init(&c->acc, &vd);
    } else {
      v21_acc_init(&c->acc, &vd);
      c->acc.kids = lc_calloc(nk, sizeof(v21_acc));
      if (!c->acc.kids) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      c->acc.n_kids = nk;
      for (size_t i = 0; i < nk; i++) v21_acc_init(&c->acc.kids[i], &kv[i]);
    }
    return 0;
  }
  if (lc_field_is_blob_legacy(f)) c->kind = CK_BLOB_LEGACY;
  if (f->type == LC_T_DICT) {
    if (!f->dict_value) return lc_err(err, LANCEC_ECORRUPT, "dictionary field '%s' without a value type", f->name);
    v21_vdesc dv;
    LC_TRY(v21_vdesc_of(f->dict_value, &dv, err));
    vd.kind = VK_FIXED;
    vd.bits = vd.item_bits = 64;
    v21_acc_init(&c->acc, &vd);
    c->acc.dict = lc_calloc(1, sizeof(v21_acc));
    if (!c->acc.dict) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    v21_acc_init(c->acc.dict, &dv);
    c->is_dict_out = true;
    return 0;
  }
  LC_TRY(v21_vdesc_of(f, &vd, err));
  v21_acc_init(&c->acc, &vd);
  return 0;
}

static int build_node(build_ctx *bc, v21_node *nd, const lc_field *f, int depth, uint64_t mult,
                      lancec_error *err) {
  memset(nd, 0, sizeof(*nd));
  nd->f = f;
  nd->col = -1;
  nd->rep_col = -1;
  nd->depth = depth;
  if (depth >= V21_MAX_LAYERS)
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s' is nested too deeply", f->name);
  bool is_list = f->type == LC_T_LIST || f->type == LC_T_LARGE_LIST || f->type == LC_T_MAP;
  bool fsl_struct = f->type == LC_T_FIXED_LIST && f->n_children == 1 && f->children[0]->type == LC_T_STRUCT;
  bc->path[depth].node = f;
  bc->path[depth].is_list = is_list;
  bc->path[depth].fsl_dim = 0;
  int32_t col = (is_list || fsl_struct) ? -1 : colmap_lookup(bc->map, f->id);
  if (col >= 0) {
    if (lc_buf_reserve(&bc->cols, sizeof(v21_col))) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    v21_col *c = (v21_col *)(void *)(bc->cols.data + bc->cols.len);
    int rc = setup_col(bc, c, f, col, depth, mult, err);
    bc->cols.len += sizeof(v21_col); /* keep it so that it is freed */
    if (rc) return rc;
    nd->col = nd->rep_col = (int)(bc->cols.len / sizeof(v21_col)) - 1;
    return 0;
  }
  size_t nk = 0;
  if (f->type == LC_T_STRUCT || is_list || fsl_struct) nk = f->n_children;
  if (is_list && nk != 1) return lc_err(err, LANCEC_ECORRUPT, "list field '%s' has %zu children", f->name, nk);
  if (fsl_struct) {
    if (f->width <= 0) return lc_err(err, LANCEC_ECORRUPT, "fixed_size_list field '%s' of width %d", f->name, f->width);
    for (int k = 0; k < depth; k++)
      if (bc->path[k].is_list)
        return lc_err(err, LANCEC_EUNSUPPORTED, "fixed_size_list<struct> '%s' inside a list is not supported", f->name);
    bc->path[depth].fsl_dim = (uint32_t)f->width;
    mult *= (uint64_t)f->width;
  }
  if (nk == 0) return 0; /* a leaf this file does not store: nulls */
  nd->kids = lc_calloc(nk, sizeof(v21_node));
  if (!nd->kids) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  nd->n_kids = nk;
  for (size_t i = 0; i < nk; i++) {
    LC_TRY(build_node(bc, &nd->kids[i], f->children[i], depth + 1, mult, err));
    if (nd->rep_col < 0 && nd->kids[i].rep_col >= 0) nd->rep_col = nd->kids[i].rep_col;
  }
  return 0;
}

static void free_node(v21_node *nd) {
  for (size_t i = 0; i < nd->n_kids; i++) free_node(&nd->kids[i]);
  lc_free(nd->kids);
  nd->kids = NULL;
  nd->n_kids = 0;
}

static void v21_reader_free(lc_field_reader *base) {
  v21_reader *r = (v21_reader *)base;
  if (!r) return;
  free_node(&r->root);
  for (size_t i = 0; i < r->n_cols; i++) {
    v21_col *c = &r->cols[i];
    v21_acc_free(&c->acc);
    v21_unravel_free(&c->un);
    v21_page_free(&c->pg);
    lc_buf_free(&c->t_rep);
    lc_buf_free(&c->t_def);
    lc_buf_free(&c->t_data);
    lc_buf_free(&c->t_offs);
    lc_buf_free(&c->t_present);
  }
  lc_free(r->cols);
  lc_free(r);
}

static int v21_reader_new(lc_field_reader **out, lc_file *f, const lc_field *field, const lc_file_colmap *map,
                          lancec_error *err) {
  v21_reader *r = lc_calloc(1, sizeof(*r));
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  r->base.fmt = &lc_format_v21;
  r->base.file = f;
  r->field = field;
  build_ctx bc;
  memset(&bc, 0, sizeof(bc));
  bc.r = r;
  bc.file = f;
  bc.map = map;
  int rc = build_node(&bc, &r->root, field, 0, 1, err);
  r->cols = (v21_col *)(void *)bc.cols.data;
  r->n_cols = bc.cols.len / sizeof(v21_col);
  if (rc) {
    lc_err_prefix(err, "%s: field '%s': ", f->path, field->name ? field->name : "?");
    v21_reader_free(&r->base);
    return rc;
  }
  *out = &r->base;
  return 0;
}

/* ---- reading ---- */

static void cols_begin(v21_reader *r, bool scan) {
  for (size_t i = 0; i < r->n_cols; i++) {
    v21_col *c = &r->cols[i];
    v21_acc_clear(&c->acc);
    c->epoch++;
    c->scan = scan;
  }
}

static int finish(v21_reader *r, uint64_t n, struct ArrowArray *out, lancec_error *err) {
  for (size_t i = 0; i < r->n_cols; i++) LC_TRY(v21_unravel_col(&r->cols[i], err));
  int rc = v21_assemble(r, &r->root, n, out, err);
  for (size_t i = 0; i < r->n_cols; i++) v21_unravel_free(&r->cols[i].un);
  return rc;
}

static int v21_read(lc_field_reader *base, uint64_t start, uint64_t count, struct ArrowArray *out,
                    lancec_error *err) {
  v21_reader *r = (v21_reader *)base;
  cols_begin(r, true);
  for (size_t i = 0; i < r->n_cols; i++) {
    v21_col *c = &r->cols[i];
    LC_TRY(v21_col_read(c, start * c->row_mult, count * c->row_mult, err));
  }
  return finish(r, count, out, err);
}

static int v21_take(lc_field_reader *base, const uint64_t *rows, size_t n, struct ArrowArray *out,
                    lancec_error *err) {
  v21_reader *r = (v21_reader *)base;
  cols_begin(r, false);
  for (size_t i = 0; i < r->n_cols; i++) {
    v21_col *c = &r->cols[i];
    size_t k = 0;
    while (k < n) {
      size_t e = k + 1;
      while (e < n && rows[e] == rows[e - 1] + 1) e++;
      LC_TRY(v21_col_read(c, rows[k] * c->row_mult, (uint64_t)(e - k) * c->row_mult, err));
      k = e;
    }
  }
  return finish(r, n, out, err);
}

const lc_file_format lc_format_v21 = {
    .name = "lance-2.1",
    .accepts = v21_accepts,
    .init = v21_init,
    .fini = v21_fini,
    .reader_new = v21_reader_new,
    .reader_free = v21_reader_free,
    .read = v21_read,
    .take = v21_take,
};
