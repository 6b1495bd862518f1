/* Arrow arrays from unravelled levels + accumulated items (2.1 / 2.2).
 * Struct validity and list offsets of a node come from one column of its
 * subtree (every leaf below carries the same structure); leaves build their
 * own value arrays. Buffers are moved out of the accumulators. */
#include "file/v21_internal.h"

#define ENOMEM_RET() return lc_err(err, LANCEC_ENOMEM, "out of memory")

static void *steal_or_empty(lc_buf *b) {
  void *p = lc_buf_steal(b, NULL);
  if (!p) p = lc_calloc(1, 16);
  return p;
}

static void *take_valid(v21_unravel *u, int j, int64_t *nulls) {
  void *v = u->valid[j];
  *nulls = v ? u->nulls[j] : 0;
  u->valid[j] = NULL;
  return v;
}

static int fixed_array(struct ArrowArray *out, uint64_t n, void *valid, int64_t nulls, void *data,
                       lancec_error *err) {
  if (lc_array_init(out, 2, 0)) {
    lc_free(valid);
    lc_free(data);
    ENOMEM_RET();
  }
  out->length = (int64_t)n;
  out->null_count = valid ? nulls : 0;
  lc_array_set_buffer(out, 0, valid);
  lc_array_set_buffer(out, 1, data);
  return 0;
}

static int key_width(lc_type_id t) {
  switch (t) {
    case LC_T_INT8:
    case LC_T_UINT8: return 1;
    case LC_T_INT16:
    case LC_T_UINT16: return 2;
    case LC_T_INT32:
    case LC_T_UINT32: return 4;
    default: return 8;
  }
}

static int build_values(const lc_field *f, v21_acc *a, uint64_t n, void *valid, int64_t nulls,
                        struct ArrowArray *out, lancec_error *err);

/* FSL item arrays: layer k of the accumulator's FSL validity. */
static int build_fsl_child(const lc_field *item, v21_acc *a, int k, uint64_t n, struct ArrowArray *out,
                           lancec_error *err) {
  void *valid = NULL;
  int64_t nulls = 0;
  if (k < a->vd.n_fsl && a->fslv_on[k]) {
    nulls = lc_bits_count_zero(a->fslv[k].data, 0, (int64_t)n);
    valid = lc_buf_steal(&a->fslv[k], NULL);
    a->fslv_on[k] = false;
    if (nulls == 0) {
      lc_free(valid);
      valid = NULL;
    }
  }
  if (item->type == LC_T_FIXED_LIST) {
    if (item->n_children != 1 || item->width <= 0) {
      lc_free(valid);
      return lc_err(err, LANCEC_ECORRUPT, "fixed_size_list field '%s' without an item", item->name);
    }
    if (lc_array_init(out, 1, 1)) {
      lc_free(valid);
      ENOMEM_RET();
    }
    out->length = (int64_t)n;
    out->null_count = nulls;
    lc_array_set_buffer(out, 0, valid);
    return build_fsl_child(item->children[0], a, k + 1, n * (uint64_t)item->width, out->children[0], err);
  }
  if (item->type == LC_T_NULL) {
    lc_free(valid);
    if (lc_array_init(out, 0, 0)) ENOMEM_RET();
    out->length = out->null_count = (int64_t)n;
    return 0;
  }
  return fixed_array(out, n, valid, nulls, steal_or_empty(&a->data), err);
}

static int build_values(const lc_field *f, v21_acc *a, uint64_t n, void *valid, int64_t nulls,
                        struct ArrowArray *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  if (f->type == LC_T_NULL) {
    lc_free(valid);
    if (lc_array_init(out, 0, 0)) ENOMEM_RET();
    out->length = out->null_count = (int64_t)n;
    return 0;
  }
  if (f->type == LC_T_DICT) {
    if (!a->dict || !f->dict_value) {
      lc_free(valid);
      return lc_err(err, LANCEC_EINTERNAL, "dictionary field '%s' without a dictionary", f->name);
    }
    int w = key_width(f->dict_key);
    uint64_t nd = a->dict->n_items;
    bool is_signed = f->dict_key == LC_T_INT8 || f->dict_key == LC_T_INT16 || f->dict_key == LC_T_INT32 ||
                     f->dict_key == LC_T_INT64;
    uint64_t maxk = w == 8 ? (is_signed ? (uint64_t)INT64_MAX : UINT64_MAX)
                           : (((uint64_t)1 << (8 * w - (is_signed ? 1 : 0))) - 1);
    if (nd > 0 && nd - 1 > maxk) {
      lc_free(valid);
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "field '%s': %llu dictionary entries do not fit its %d-byte keys (read fewer rows)",
                    f->name, (unsigned long long)nd, w);
    }
    const uint64_t *src = (const uint64_t *)(void *)a->data.data;
    uint8_t *idx = lc_malloc_aligned((size_t)n * (size_t)w + 8);
    if (!idx) {
      lc_free(valid);
      ENOMEM_RET();
    }
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = src[i];
      switch (w) {
        case 1: idx[i] = (uint8_t)k; break;
        case 2: lc_st16(idx + 2 * i, (uint16_t)k); break;
        case 4: lc_st32(idx + 4 * i, (uint32_t)k); break;
        default: lc_st64(idx + 8 * i, k); break;
      }
    }
    LC_TRY(fixed_array(out, n, valid, nulls, idx, err));
    struct ArrowArray dict;
    int rc = build_values(f->dict_value, a->dict, nd, NULL, 0, &dict, err);
    if (rc) {
      lc_array_release(out);
      return rc;
    }
    if (lc_array_set_dictionary(out, &dict)) {
      lc_array_release(&dict);
      lc_array_release(out);
      ENOMEM_RET();
    }
    return 0;
  }
  if (f->type == LC_T_FIXED_LIST) {
    if (f->n_children != 1 || f->width <= 0) {
      lc_free(valid);
      return lc_err(err, LANCEC_ECORRUPT, "fixed_size_list field '%s' without an item", f->name);
    }
    if (lc_array_init(out, 1, 1)) {
      lc_free(valid);
      ENOMEM_RET();
    }
    out->length = (int64_t)n;
    out->null_count = valid ? nulls : 0;
    lc_array_set_buffer(out, 0, valid);
    int rc = build_fsl_child(f->children[0], a, 0, n * (uint64_t)f->width, out->children[0], err);
    if (rc) lc_array_release(out);
    return rc;
  }
  if (a->vd.kind == VK_VAR) {
    if (a->offs.len == 0) {
      uint64_t z = 0;
      if (lc_buf_append(&a->offs, &z, (size_t)a->vd.ow)) {
        lc_free(valid);
        ENOMEM_RET();
      }
    }
    if (lc_array_init(out, 3, 0)) {
      lc_free(valid);
      ENOMEM_RET();
    }
    out->length = (int64_t)n;
    out->null_count = valid ? nulls : 0;
    lc_array_set_buffer(out, 0, valid);
    lc_array_set_buffer(out, 1, steal_or_empty(&a->offs));
    lc_array_set_buffer(out, 2, steal_or_empty(&a->data));
    return 0;
  }
  if (a->vd.kind == VK_FIXED) return fixed_array(out, n, valid, nulls, steal_or_empty(&a->data), err);
  lc_free(valid);
  return lc_err(err, LANCEC_EINTERNAL, "field '%s': no values accumulated", f->name);
}

/* ---- packed structs ---- */

static int build_packed(v21_col *c, const lc_field *f, uint64_t n, void *valid, int64_t nulls,
                        struct ArrowArray *out, lancec_error *err) {
  v21_acc *a = &c->acc;
  if (lc_array_init(out, 1, (int64_t)f->n_children)) {
    lc_free(valid);
    ENOMEM_RET();
  }
  out->length = (int64_t)n;
  out->null_count = valid ? nulls : 0;
  lc_array_set_buffer(out, 0, valid);
  if (a->n_kids) {
    if (a->n_kids != f->n_children) {
      lc_array_release(out);
      return lc_err(err, LANCEC_ECORRUPT, "%s: packed struct '%s': %zu children stored, %zu in the schema",
                    c->file->path, f->name, a->n_kids, f->n_children);
    }
    for (size_t i = 0; i < f->n_children; i++) {
      if (a->kids[i].n_items != n) {
        lc_array_release(out);
        return lc_err(err, LANCEC_ECORRUPT, "%s: packed struct '%s': child %zu has %llu values for %llu rows",
                      c->file->path, f->name, i, (unsigned long long)a->kids[i].n_items,
                      (unsigned long long)n);
      }
      int rc = build_values(f->children[i], &a->kids[i], n, NULL, 0, out->children[i], err);
      if (rc) {
        lc_array_release(out);
        return rc;
      }
    }
    return 0;
  }
  /* fixed row-major rows: split by child width */
  uint64_t row = a->vd.bits / 8, off = 0;
  for (size_t i = 0; i < f->n_children; i++) {
    const lc_field *ch = f->children[i];
    v21_vdesc vd;
    int rc = v21_vdesc_of(ch, &vd, err);
    if (!rc && (vd.kind != VK_FIXED || vd.bits % 8 || off + vd.bits / 8 > row))
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "packed struct '%s': child '%s' is not a byte-aligned fixed-width type",
                  f->name, ch->name);
    if (rc) {
      lc_array_release(out);
      return rc;
    }
    uint64_t w = vd.bits / 8;
    uint8_t *d = lc_malloc_aligned((size_t)(n * w) + 8);
    if (!d) {
      lc_array_release(out);
      ENOMEM_RET();
    }
    const uint8_t *src = a->data.data + off;
    for (uint64_t r = 0; r < n; r++) memcpy(d + r * w, src + r * row, (size_t)w);
    off += w;
    v21_acc tmp;
    v21_acc_init(&tmp, &vd);
    tmp.data.data = d;
    tmp.data.len = tmp.data.cap = (size_t)(n * w);
    tmp.n_items = n;
    rc = build_values(ch, &tmp, n, NULL, 0, out->children[i], err);
    v21_acc_free(&tmp);
    if (rc) {
      lc_array_release(out);
      return rc;
    }
  }
  return 0;
}

/* ---- blob v2 ---- */

static int read_sidecar(lc_file *file, uint32_t blob_id, uint64_t pos, uint64_t size, bool whole,
                        lc_buf *dst, lancec_error *err) {
  const char *p = file->path;
  size_t pl = strlen(p);
  size_t stem = pl >= 6 && strcmp(p + pl - 6, ".lance") == 0 ? pl - 6 : pl;
  char name[40];
  for (int i = 0; i < 32; i++) name[i] = (char)('0' + ((blob_id >> i) & 1));
  memcpy(name + 32, ".blob", 6);
  char *path = lc_sprintf("%.*s/%s", (int)stem, p, name);
  if (!path) ENOMEM_RET();
  lc_io_file *fh = NULL;
  int rc = lc_io_open(file->io, path, &fh, err);
  uint64_t fsz = 0;
  if (!rc) rc = lc_io_size(fh, &fsz, err);
  if (!rc) {
    if (whole) {
      pos = 0;
      size = fsz;
    }
    uint64_t e;
    if (lc_add_overflow_u64(pos, size, &e) || e > fsz)
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: blob [%llu, +%llu) extends past the end of the sidecar (%llu bytes)",
                  path, (unsigned long long)pos, (unsigned long long)size, (unsigned long long)fsz);
  }
  if (!rc && lc_buf_reserve(dst, (size_t)size)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (!rc && size) rc = lc_io_read(fh, pos, (size_t)size, dst->data + dst->len, err);
  if (!rc) dst->len += (size_t)size;
  if (fh) lc_io_close(fh);
  lc_free(path);
  return rc;
}

static int build_blob_v2(v21_col *c, const lc_field *f, uint64_t n, void *valid, int64_t nulls,
                         struct ArrowArray *out, lancec_error *err) {
  v21_acc *a = &c->acc;
  if (a->n_kids != 5) {
    lc_free(valid);
    return lc_err(err, LANCEC_EINTERNAL, "blob v2 without descriptors");
  }
  for (int k = 0; k < 5; k++)
    if (a->kids[k].n_items != n) {
      lc_free(valid);
      return lc_err(err, LANCEC_ECORRUPT, "%s: blob v2 field '%s': descriptor child %d has %llu values for %llu rows",
                    c->file->path, f->name, k, (unsigned long long)a->kids[k].n_items, (unsigned long long)n);
    }
  const uint8_t *kind = a->kids[0].data.data;
  const uint8_t *pos = a->kids[1].data.data, *size = a->kids[2].data.data, *bid = a->kids[3].data.data;
  const v21_acc *ua = &a->kids[4];
  lc_buf dv = {0}, doffs = {0}, uv = {0}, uoffs = {0};
  uint8_t *dvalid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 8);
  uint8_t *uvalid = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 8);
  int rc = 0;
  int64_t dnull = 0, unull = 0;
  if (!dvalid || !uvalid) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  else {
    memset(dvalid, 0, lc_bitmap_bytes((int64_t)n) + 8);
    memset(uvalid, 0, lc_bitmap_bytes((int64_t)n) + 8);
  }
  uint64_t z = 0;
  if (!rc && (lc_buf_append(&doffs, &z, 8) || lc_buf_append(&uoffs, &z, 4)))
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (uint64_t i = 0; i < n && !rc; i++) {
    bool row_valid = !valid || lc_bit_get(valid, (int64_t)i);
    uint64_t p = lc_le64(pos + 8 * i), s = lc_le64(size + 8 * i);
    uint32_t id = lc_le32(bid + 4 * i);
    uint64_t u0 = lc_le32(ua->offs.data + 4 * i), u1 = lc_le32(ua->offs.data + 4 * i + 4);
    bool has_data = false, has_uri = false;
    if (row_valid) {
      switch (kind[i]) {
        case 0: {
          uint64_t e;
          if (lc_add_overflow_u64(p, s, &e) || e > c->file->size) {
            rc = lc_err(err, LANCEC_ECORRUPT, "%s: column %d: inline blob [%llu, +%llu) extends past the end of the file",
                        c->file->path, (int)c->col, (unsigned long long)p, (unsigned long long)s);
            break;
          }
          if (lc_buf_reserve(&dv, (size_t)s)) {
            rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
            break;
          }
          if (s) rc = lc_file_read_at(c->file, p, s, dv.data + dv.len, "inline blob", err);
          if (!rc) dv.len += (size_t)s;
          has_data = true;
          break;
        }
        case 1: rc = read_sidecar(c->file, id, p, s, false, &dv, err); has_data = true; break;
        case 2: rc = read_sidecar(c->file, id, 0, 0, true, &dv, err); has_data = true; break;
        default: break; /* external / managed: no bytes here, the uri tells where */
      }
      if (u1 > u0) {
        has_uri = true;
        if (lc_buf_append(&uv, ua->data.data + u0, (size_t)(u1 - u0))) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      }
    }
    if (has_data) lc_bit_set(dvalid, (int64_t)i);
    else dnull++;
    if (has_uri) lc_bit_set(uvalid, (int64_t)i);
    else unull++;
    uint64_t de = dv.len;
    uint32_t ue = (uint32_t)uv.len;
    if (!rc && (lc_buf_append(&doffs, &de, 8) || lc_buf_append(&uoffs, &ue, 4)))
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (!rc && lc_array_init(out, 1, (int64_t)f->n_children)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (rc) {
    lc_free(valid);
    lc_free(dvalid);
    lc_free(uvalid);
    lc_buf_free(&dv);
    lc_buf_free(&doffs);
    lc_buf_free(&uv);
    lc_buf_free(&uoffs);
    return rc;
  }
  out->length = (int64_t)n;
  out->null_count = valid ? nulls : 0;
  lc_array_set_buffer(out, 0, valid);
  for (size_t i = 0; i < f->n_children && !rc; i++) {
    const lc_field *ch = f->children[i];
    struct ArrowArray *ca = out->children[i];
    bool is_data = strcmp(ch->name, "data") == 0 && (ch->type == LC_T_LARGE_BINARY || ch->type == LC_T_BINARY);
    bool is_uri = strcmp(ch->name, "uri") == 0 && (ch->type == LC_T_STRING || ch->type == LC_T_LARGE_STRING);
    if (!is_data && !is_uri) {
      rc = lc_array_make_nulls(ch, (int64_t)n, ca, err);
      continue;
    }
    if (lc_array_init(ca, 3, 0)) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    ca->length = (int64_t)n;
    if (is_data) {
      if (ch->type == LC_T_BINARY) { /* narrow the offsets */
        if (dv.len > INT32_MAX) {
          rc = lc_err(err, LANCEC_EUNSUPPORTED, "blob bytes exceed 2 GiB in one binary array");
          break;
        }
        for (uint64_t k = 0; k <= n; k++) lc_st32(doffs.data + 4 * k, (uint32_t)lc_le64(doffs.data + 8 * k));
      }
      ca->null_count = dnull;
      lc_array_set_buffer(ca, 0, dnull ? (void *)dvalid : NULL);
      if (!dnull) lc_free(dvalid);
      dvalid = NULL;
      lc_array_set_buffer(ca, 1, steal_or_empty(&doffs));
      lc_array_set_buffer(ca, 2, steal_or_empty(&dv));
    } else {
      if (ch->type == LC_T_LARGE_STRING) {
        lc_buf o64 = {0};
        for (uint64_t k = 0; k <= n && !rc; k++) {
          uint64_t x = lc_le32(uoffs.data + 4 * k);
          if (lc_buf_append(&o64, &x, 8)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        }
        lc_buf_free(&uoffs);
        uoffs = o64;
      }
      ca->null_count = unull;
      lc_array_set_buffer(ca, 0, unull ? (void *)uvalid : NULL);
      if (!unull) lc_free(uvalid);
      uvalid = NULL;
      lc_array_set_buffer(ca, 1, steal_or_empty(&uoffs));
      lc_array_set_buffer(ca, 2, steal_or_empty(&uv));
    }
  }
  lc_free(dvalid);
  lc_free(uvalid);
  lc_buf_free(&dv);
  lc_buf_free(&doffs);
  lc_buf_free(&uv);
  lc_buf_free(&uoffs);
  if (rc) lc_array_release(out);
  return rc;
}

/* ---- tree ---- */

static int build_leaf(v21_reader *r, v21_node *nd, uint64_t n, struct ArrowArray *out, lancec_error *err) {
  v21_col *c = &r->cols[nd->col];
  int j = nd->depth;
  if (j != c->L - 1) return lc_err(err, LANCEC_EINTERNAL, "leaf depth mismatch");
  int64_t nulls;
  void *valid = take_valid(&c->un, j, &nulls);
  uint64_t items = c->acc.n_items;
  if (c->kind != CK_EMPTY_STRUCT && items != n) {
    lc_free(valid);
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %d (field '%s'): %llu values for %llu slots", c->file->path,
                  (int)c->col, nd->f->name, (unsigned long long)items, (unsigned long long)n);
  }
  switch (c->kind) {
    case CK_EMPTY_STRUCT:
      lc_free(valid);
      if (lc_array_init(out, 1, 0)) ENOMEM_RET();
      out->length = (int64_t)n;
      return 0;
    case CK_PACKED: return build_packed(c, nd->f, n, valid, nulls, out, err);
    case CK_BLOB_V2: return build_blob_v2(c, nd->f, n, valid, nulls, out, err);
    default: return build_values(nd->f, &c->acc, n, valid, nulls, out, err);
  }
}

int v21_assemble(v21_reader *r, v21_node *nd, uint64_t n, struct ArrowArray *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  const lc_field *f = nd->f;
  if (nd->rep_col < 0) return lc_array_make_nulls(f, (int64_t)n, out, err);
  v21_col *c = &r->cols[nd->rep_col];
  int j = nd->depth;
  v21_unravel *u = &c->un;
  uint32_t dim = c->layers[j].fsl_dim;
  uint64_t expect = dim ? n * dim : n;
  if (u->count[j] != expect)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %d: %llu values at nesting level %d (field '%s'), expected %llu",
                  c->file->path, (int)c->col, (unsigned long long)u->count[j], j, f->name,
                  (unsigned long long)expect);
  if (nd->col >= 0) return build_leaf(r, nd, n, out, err);
  int64_t nulls;
  void *valid;
  int rc = 0;
  switch (f->type) {
    case LC_T_STRUCT: {
      valid = take_valid(u, j, &nulls);
      if (lc_array_init(out, 1, (int64_t)nd->n_kids)) {
        lc_free(valid);
        ENOMEM_RET();
      }
      out->length = (int64_t)n;
      out->null_count = nulls;
      lc_array_set_buffer(out, 0, valid);
      for (size_t i = 0; i < nd->n_kids && !rc; i++) rc = v21_assemble(r, &nd->kids[i], n, out->children[i], err);
      break;
    }
    case LC_T_LIST:
    case LC_T_MAP:
    case LC_T_LARGE_LIST: {
      valid = take_valid(u, j, &nulls);
      int64_t *o = u->offs[j];
      void *ob;
      if (f->type == LC_T_LARGE_LIST) {
        ob = o;
        u->offs[j] = NULL;
      } else {
        if (n && o[n] > INT32_MAX) {
          lc_free(valid);
          return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': more than 2^31 list items in one read", f->name);
        }
        int32_t *o32 = lc_malloc_aligned((size_t)(n + 1) * 4);
        if (!o32) {
          lc_free(valid);
          ENOMEM_RET();
        }
        for (uint64_t i = 0; i <= n; i++) o32[i] = (int32_t)o[i];
        ob = o32;
      }
      if (lc_array_init(out, 2, 1)) {
        lc_free(valid);
        lc_free(ob);
        ENOMEM_RET();
      }
      out->length = (int64_t)n;
      out->null_count = nulls;
      lc_array_set_buffer(out, 0, valid);
      lc_array_set_buffer(out, 1, ob);
      if (nd->n_kids != 1) rc = lc_err(err, LANCEC_EINTERNAL, "list without a child");
      else rc = v21_assemble(r, &nd->kids[0], u->count[j + 1], out->children[0], err);
      break;
    }
    case LC_T_FIXED_LIST: {
      /* FSL of struct: element validity -> row validity */
      const uint8_t *ev = u->valid[j];
      uint8_t *rv = NULL;
      nulls = 0;
      if (ev) {
        rv = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 8);
        if (!rv) ENOMEM_RET();
        memset(rv, 0xff, lc_bitmap_bytes((int64_t)n) + 8);
        for (uint64_t i = 0; i < n; i++)
          if (!lc_bit_get(ev, (int64_t)(i * dim))) {
            lc_bit_clear(rv, (int64_t)i);
            nulls++;
          }
        if (!nulls) {
          lc_free(rv);
          rv = NULL;
        }
      }
      if (lc_array_init(out, 1, 1)) {
        lc_free(rv);
        ENOMEM_RET();
      }
      out->length = (int64_t)n;
      out->null_count = nulls;
      lc_array_set_buffer(out, 0, rv);
      rc = v21_assemble(r, &nd->kids[0], n * dim, out->children[0], err);
      break;
    }
    default: return lc_err(err, LANCEC_EINTERNAL, "unexpected non-leaf type for field '%s'", f->name);
  }
  if (rc) lc_array_release(out);
  return rc;
}
