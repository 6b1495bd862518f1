/* Legacy Lance file format v1 ("0.1"; footers (0,1) and (0,2)): a
 * row-group ("batch") based layout with a dense page table over field ids
 * (file-format-2.0-legacy-and-aux.md part B). No validity for fixed-width
 * values; a nullable string/binary reads zero-length values as null. */
#include "file/legacy_internal.h"

#include "arrow/arrow.h"

#define LEG_FOOTER 16
#define OOM() lc_err(err, LANCEC_ENOMEM, "out of memory")

typedef struct leg_state {
  uint64_t *batch_offsets; /* B + 1 cumulative row counts */
  size_t n_batches;
  uint64_t page_table_pos;
  uint64_t manifest_pos;
} leg_state;

typedef struct leg_reader {
  lc_field_reader base;
  const lc_field *field;
  int32_t *ids; /* field ids present in the data file (sorted copy) */
  size_t n_ids;
  int32_t min_id, max_id;
} leg_reader;

static bool leg_accepts(uint16_t major, uint16_t minor) { return major == 0 && minor <= 2; }

/* Minimal protobuf walker for lance.file.Metadata (fields 1-3; the rest,
 * statistics included, are skipped). */
static int pb_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v) {
  uint64_t r = 0;
  for (int s = 0; s < 64; s += 7) {
    if (*i >= n) return -1;
    uint8_t b = p[(*i)++];
    r |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) {
      *v = r;
      return 0;
    }
  }
  return -1;
}

static int parse_metadata(lc_file *f, leg_state *st, const uint8_t *p, size_t n, lancec_error *err) {
  size_t i = 0, cap = 0;
  while (i < n) {
    uint64_t key, v;
    if (pb_varint(p, n, &i, &key)) goto bad;
    uint32_t fn = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
    if (wt == 0) {
      if (pb_varint(p, n, &i, &v)) goto bad;
      if (fn == 1) st->manifest_pos = v;
      else if (fn == 3) st->page_table_pos = v;
      else if (fn == 2) {
        if (st->n_batches + 1 >= cap) {
          cap = cap ? 2 * cap : 16;
          uint64_t *nb = lc_realloc(st->batch_offsets, cap * sizeof(uint64_t));
          if (!nb) return OOM();
          st->batch_offsets = nb;
        }
        st->batch_offsets[st->n_batches++] = (uint64_t)(int64_t)(int32_t)v;
      }
    } else if (wt == 2) {
      if (pb_varint(p, n, &i, &v) || v > n - i) goto bad;
      if (fn == 2) {
        size_t j = i, e = i + (size_t)v;
        while (j < e) {
          uint64_t x;
          if (pb_varint(p, e, &j, &x)) goto bad;
          if (st->n_batches + 1 >= cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *nb = lc_realloc(st->batch_offsets, cap * sizeof(uint64_t));
            if (!nb) return OOM();
            st->batch_offsets = nb;
          }
          st->batch_offsets[st->n_batches++] = (uint64_t)(int64_t)(int32_t)x;
        }
      }
      i += (size_t)v;
    } else if (wt == 1) {
      if (n - i < 8) goto bad;
      i += 8;
    } else if (wt == 5) {
      if (n - i < 4) goto bad;
      i += 4;
    } else {
      goto bad;
    }
  }
  /* n_batches currently counts offsets */
  if (st->n_batches == 0) {
    f->num_rows = 0;
    return 0;
  }
  for (size_t b = 0; b < st->n_batches; b++) {
    if ((int64_t)st->batch_offsets[b] < 0 || (b && st->batch_offsets[b] < st->batch_offsets[b - 1]))
      return lc_err(err, LANCEC_ECORRUPT, "%s: legacy metadata: batch_offsets not ascending at %zu",
                    f->path, b);
  }
  if (st->batch_offsets[0] != 0)
    return lc_err(err, LANCEC_ECORRUPT, "%s: legacy metadata: batch_offsets[0] = %llu (expected 0)",
                  f->path, (unsigned long long)st->batch_offsets[0]);
  f->num_rows = st->batch_offsets[st->n_batches - 1];
  st->n_batches--;
  return 0;
bad:
  return lc_err(err, LANCEC_ECORRUPT, "%s: legacy metadata protobuf is malformed", f->path);
}

static void leg_fini(lc_file *f) {
  leg_state *st = f->fmt_state;
  if (!st) return;
  lc_free(st->batch_offsets);
  lc_free(st);
  f->fmt_state = NULL;
}

static int leg_init(lc_file *f, lancec_error *err) {
  if (f->size < LEG_FOOTER + 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: legacy file is truncated (%llu bytes)", f->path,
                  (unsigned long long)f->size);
  uint8_t foot[LEG_FOOTER];
  LC_TRY(lc_file_read_at(f, f->size - LEG_FOOTER, LEG_FOOTER, foot, "legacy footer", err));
  uint64_t mpos = lc_le64(foot);
  uint64_t limit = f->size - LEG_FOOTER;
  if (mpos > limit || limit - mpos < 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: legacy metadata position %llu is past the footer (%llu)",
                  f->path, (unsigned long long)mpos, (unsigned long long)limit);
  uint8_t lb[4];
  LC_TRY(lc_file_read_at(f, mpos, 4, lb, "legacy metadata length", err));
  uint32_t mlen = lc_le32(lb);
  if (mlen > limit - mpos - 4)
    return lc_err(err, LANCEC_ECORRUPT, "%s: legacy metadata length %u at %llu runs past the footer",
                  f->path, mlen, (unsigned long long)mpos);
  uint8_t *m = lc_malloc(mlen ? mlen : 1);
  if (!m) return OOM();
  int rc = lc_file_read_at(f, mpos + 4, mlen, m, "legacy metadata", err);
  leg_state *st = lc_calloc(1, sizeof(*st));
  if (!st) {
    lc_free(m);
    return OOM();
  }
  f->fmt_state = st;
  if (!rc) rc = parse_metadata(f, st, m, mlen, err);
  lc_free(m);
  if (rc) return rc;
  if (st->page_table_pos > f->size)
    return lc_err(err, LANCEC_ECORRUPT, "%s: legacy page table position %llu is past the end",
                  f->path, (unsigned long long)st->page_table_pos);
  return 0;
}

/* ---- reader ---- */

static bool has_id(const leg_reader *r, int32_t id) {
  size_t lo = 0, hi = r->n_ids;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->ids[mid] == id) return true;
    if (r->ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

static int page_entry(leg_reader *r, int32_t id, size_t b, uint64_t *pos, uint64_t *len,
                      lancec_error *err) {
  lc_file *f = r->base.file;
  leg_state *st = f->fmt_state;
  if (id < r->min_id || id > r->max_id)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field id %d outside the page table range [%d, %d]",
                  f->path, id, r->min_id, r->max_id);
  uint64_t idx = (uint64_t)(id - r->min_id) * st->n_batches + b;
  if (idx > (UINT64_MAX - st->page_table_pos) / 16)
    return lc_err(err, LANCEC_ECORRUPT, "%s: page table index overflow", f->path);
  uint8_t e[16];
  LC_TRY(lc_file_read_at(f, st->page_table_pos + 16 * idx, 16, e, "legacy page table entry", err));
  int64_t p = (int64_t)lc_le64(e), l = (int64_t)lc_le64(e + 8);
  if (p < 0 || l < 0 || (uint64_t)p > f->size)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field %d batch %zu: bad page table entry (%lld, %lld)",
                  f->path, id, b, (long long)p, (long long)l);
  *pos = (uint64_t)p;
  *len = (uint64_t)l;
  return 0;
}

/* Bytes per value of a fixed-width type; 0 = not fixed width, -1 = bool bits. */
static int64_t fixed_width(const lc_field *f) {
  switch (f->type) {
    case LC_T_BOOL: return -1;
    case LC_T_INT8:
    case LC_T_UINT8: return 1;
    case LC_T_INT16:
    case LC_T_UINT16:
    case LC_T_HALF: return 2;
    case LC_T_INT32:
    case LC_T_UINT32:
    case LC_T_FLOAT:
    case LC_T_DATE32:
    case LC_T_TIME32: return 4;
    case LC_T_INT64:
    case LC_T_UINT64:
    case LC_T_DOUBLE:
    case LC_T_DATE64:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return f->width > 0 ? f->width : 0;
    default: return 0;
  }
}

/* Plain values (fixed width, or FSL of them) of n rows starting at `pos`;
 * returns the bytes consumed in *used. */
static int read_plain(leg_reader *r, const lc_field *f, uint64_t pos, uint64_t n,
                      struct ArrowArray *out, uint64_t *used, lancec_error *err) {
  lc_file *file = r->base.file;
  memset(out, 0, sizeof(*out));
  if (f->type == LC_T_FIXED_LIST) {
    if (f->n_children != 1 || f->width <= 0)
      return lc_err(err, LANCEC_ECORRUPT, "fixed_size_list field '%s' without an item", f->name);
    uint64_t cn;
    if (__builtin_mul_overflow(n, (uint64_t)f->width, &cn))
      return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': size overflow", file->path, f->name);
    if (lc_array_init(out, 1, 1)) return OOM();
    out->length = (int64_t)n;
    int rc = read_plain(r, f->children[0], pos, cn, out->children[0], used, err);
    if (rc) lc_array_release(out);
    return rc;
  }
  if (f->type == LC_T_NULL) {
    *used = 0;
    return lc_array_make_nulls(f, (int64_t)n, out, err);
  }
  int64_t w = fixed_width(f);
  if (w == 0)
    return lc_err(err, LANCEC_EUNSUPPORTED, "%s: field '%s': type not supported in legacy plain pages",
                  file->path, f->name);
  uint64_t nb;
  if (w < 0) nb = (n + 7) / 8;
  else if (__builtin_mul_overflow(n, (uint64_t)w, &nb))
    return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': size overflow", file->path, f->name);
  if (nb > file->size)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': page of %llu bytes exceeds the file",
                  file->path, f->name, (unsigned long long)nb);
  uint8_t *data = lc_malloc_aligned((size_t)nb + 8);
  if (!data) return OOM();
  int rc = lc_file_read_at(file, pos, nb, data, "legacy page", err);
  if (rc) {
    lc_free(data);
    return rc;
  }
  if (lc_array_init(out, 2, 0)) {
    lc_free(data);
    return OOM();
  }
  out->length = (int64_t)n;
  lc_array_set_buffer(out, 1, data);
  *used = nb;
  return 0;
}

/* Binary page: positions array of n+1 absolute i64 offsets at `pos`. */
static int read_binary(leg_reader *r, const lc_field *f, uint64_t pos, uint64_t n,
                       struct ArrowArray *out, lancec_error *err) {
  lc_file *file = r->base.file;
  memset(out, 0, sizeof(*out));
  bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
  if (n >= file->size / 8)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': %llu values cannot fit in the file",
                  file->path, f->name, (unsigned long long)n);
  uint64_t *p = lc_malloc((size_t)(n + 1) * 8);
  if (!p) return OOM();
  uint8_t *offs = NULL, *data = NULL, *valid = NULL;
  int rc = lc_file_read_at(file, pos, (n + 1) * 8, p, "legacy positions", err);
  if (rc) goto fail;
  for (uint64_t i = 0; i <= n; i++) {
    p[i] = lc_le64(&p[i]);
    if (p[i] > file->size || (i && p[i] < p[i - 1])) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': binary position %llu at %llu is invalid",
                  file->path, f->name, (unsigned long long)p[i], (unsigned long long)i);
      goto fail;
    }
  }
  uint64_t total = p[n] - p[0];
  if (!large && total > INT32_MAX) {
    rc = lc_err(err, LANCEC_EUNSUPPORTED, "%s: field '%s': %llu bytes do not fit 32-bit offsets",
                file->path, f->name, (unsigned long long)total);
    goto fail;
  }
  data = lc_malloc_aligned((size_t)total + 8);
  offs = lc_malloc_aligned((size_t)(n + 1) * (large ? 8 : 4) + 8);
  if (!data || !offs) {
    rc = OOM();
    goto fail;
  }
  rc = lc_file_read_at(file, p[0], total, data, "legacy binary values", err);
  if (rc) goto fail;
  int64_t nulls = 0;
  if (f->nullable) {
    valid = lc_malloc_aligned((size_t)(n + 7) / 8 + 8);
    if (!valid) {
      rc = OOM();
      goto fail;
    }
    memset(valid, 0, (size_t)(n + 7) / 8 + 8);
  }
  for (uint64_t i = 0; i <= n; i++) {
    uint64_t o = p[i] - p[0];
    if (large) lc_st64(offs + 8 * i, o);
    else lc_st32(offs + 4 * i, (uint32_t)o);
    if (valid && i < n) {
      if (p[i + 1] > p[i]) valid[i / 8] |= (uint8_t)(1u << (i % 8));
      else nulls++;
    }
  }
  if (valid && nulls == 0) {
    lc_free(valid);
    valid = NULL;
  }
  lc_free(p);
  p = NULL;
  if (lc_array_init(out, 3, 0)) {
    rc = OOM();
    goto fail;
  }
  out->length = (int64_t)n;
  out->null_count = nulls;
  lc_array_set_buffer(out, 0, valid);
  lc_array_set_buffer(out, 1, offs);
  lc_array_set_buffer(out, 2, data);
  return 0;
fail:
  lc_free(p);
  lc_free(offs);
  lc_free(data);
  lc_free(valid);
  return rc;
}

static int read_batch(leg_reader *r, const lc_field *f, size_t b, uint64_t n, int depth,
                      struct ArrowArray *out, lancec_error *err);

/* Find Field.dictionary {offset, length} of field `id` in the embedded
 * manifest (lance.table.Manifest, field 1 = repeated lance.file.Field). */
static int embedded_dict(lc_file *file, int32_t id, int64_t *off, int64_t *len, lancec_error *err) {
  leg_state *st = file->fmt_state;
  if (!st->manifest_pos)
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "%s: dictionary field %d: the file has no embedded manifest with its dictionary",
                  file->path, id);
  uint8_t lb[4];
  LC_TRY(lc_file_read_at(file, st->manifest_pos, 4, lb, "embedded manifest length", err));
  uint32_t ml = lc_le32(lb);
  uint8_t *m = lc_malloc(ml ? ml : 1);
  if (!m) return OOM();
  int rc = lc_file_read_at(file, st->manifest_pos + 4, ml, m, "embedded manifest", err);
  if (rc) {
    lc_free(m);
    return rc;
  }
  size_t i = 0;
  bool found = false;
  while (i < ml && !found) {
    uint64_t key, v;
    if (pb_varint(m, ml, &i, &key)) break;
    uint32_t wt = (uint32_t)(key & 7);
    if (wt == 0) {
      if (pb_varint(m, ml, &i, &v)) break;
    } else if (wt == 2) {
      if (pb_varint(m, ml, &i, &v) || v > ml - i) break;
      if ((key >> 3) == 1) {
        Lance__File__Field *fp = lance__file__field__unpack(NULL, (size_t)v, m + i);
        if (fp) {
          if (fp->has_id && fp->id == id && fp->dictionary) {
            *off = fp->dictionary->has_offset ? fp->dictionary->offset : 0;
            *len = fp->dictionary->has_length ? fp->dictionary->length : 0;
            found = true;
          }
          lance__file__field__free_unpacked(fp, NULL);
        }
      }
      i += (size_t)v;
    } else if (wt == 1 && ml - i >= 8) {
      i += 8;
    } else if (wt == 5 && ml - i >= 4) {
      i += 4;
    } else {
      break;
    }
  }
  lc_free(m);
  if (!found)
    return lc_err(err, LANCEC_ECORRUPT, "%s: dictionary of field %d not found in the embedded manifest",
                  file->path, id);
  return 0;
}

static int read_dict(leg_reader *r, const lc_field *f, uint64_t pos, uint64_t n,
                     struct ArrowArray *out, lancec_error *err) {
  lc_file *file = r->base.file;
  if (!f->dict_value)
    return lc_err(err, LANCEC_EINTERNAL, "dictionary field '%s' without a value type", f->name);
  int64_t doff = 0, dlen = 0;
  LC_TRY(embedded_dict(file, f->id, &doff, &dlen, err));
  if (doff < 0 || dlen < 0 || (uint64_t)doff > file->size)
    return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': bad dictionary (%lld, %lld)", file->path,
                  f->name, (long long)doff, (long long)dlen);
  lc_field kf;
  memset(&kf, 0, sizeof(kf));
  kf.name = f->name;
  kf.type = f->dict_key;
  uint64_t used;
  LC_TRY(read_plain(r, &kf, pos, n, out, &used, err));
  struct ArrowArray dict;
  const lc_field *vf = f->dict_value;
  int rc;
  switch (vf->type) {
    case LC_T_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_STRING:
    case LC_T_LARGE_BINARY: rc = read_binary(r, vf, (uint64_t)doff, (uint64_t)dlen, &dict, err); break;
    default: rc = read_plain(r, vf, (uint64_t)doff, (uint64_t)dlen, &dict, &used, err); break;
  }
  if (rc) {
    lc_array_release(out);
    return rc;
  }
  /* keys must index the dictionary */
  int64_t kw = fixed_width(&kf);
  const uint8_t *kb = out->buffers[1];
  for (uint64_t i = 0; i < n; i++) {
    int64_t k;
    switch (kw) {
      case 1: k = (kf.type == LC_T_INT8) ? (int8_t)kb[i] : kb[i]; break;
      case 2: k = (kf.type == LC_T_INT16) ? (int16_t)lc_le16(kb + 2 * i) : lc_le16(kb + 2 * i); break;
      case 4: k = (kf.type == LC_T_INT32) ? (int32_t)lc_le32(kb + 4 * i) : (int64_t)lc_le32(kb + 4 * i); break;
      default: k = (int64_t)lc_le64(kb + 8 * i); break;
    }
    if (k < 0 || k >= dict.length) {
      lc_array_release(&dict);
      lc_array_release(out);
      return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s': dictionary key %lld out of range (%lld values)",
                    file->path, f->name, (long long)k, (long long)dict.length);
    }
  }
  if (lc_array_set_dictionary(out, &dict)) {
    lc_array_release(&dict);
    lc_array_release(out);
    return OOM();
  }
  return 0;
}

static int read_list(leg_reader *r, const lc_field *f, size_t b, uint64_t n, uint64_t pos,
                     uint64_t len, int depth, struct ArrowArray *out, lancec_error *err) {
  lc_file *file = r->base.file;
  bool large = f->type == LC_T_LARGE_LIST;
  int ow = large ? 8 : 4;
  if (f->n_children != 1)
    return lc_err(err, LANCEC_ECORRUPT, "list field '%s' without an item", f->name);
  if (len != n + 1 && !(n == 0 && len == 0))
    return lc_err(err, LANCEC_ECORRUPT, "%s: list field '%s' batch %zu: page length %llu for %llu rows",
                  file->path, f->name, b, (unsigned long long)len, (unsigned long long)n);
  if (n >= file->size / (uint64_t)ow && n)
    return lc_err(err, LANCEC_ECORRUPT, "%s: list field '%s': too many rows", file->path, f->name);
  uint8_t *offs = lc_malloc_aligned((size_t)(n + 1) * (size_t)ow + 8);
  if (!offs) return OOM();
  int rc = 0;
  if (n == 0 && len == 0) memset(offs, 0, (size_t)ow);
  else rc = lc_file_read_at(file, pos, (n + 1) * (uint64_t)ow, offs, "legacy list offsets", err);
  if (rc) {
    lc_free(offs);
    return rc;
  }
  int64_t base = large ? (int64_t)lc_le64(offs) : (int32_t)lc_le32(offs);
  int64_t prev = 0;
  for (uint64_t i = 0; i <= n; i++) {
    int64_t v = large ? (int64_t)lc_le64(offs + 8 * i) : (int32_t)lc_le32(offs + 4 * i);
    v -= base;
    if (v < prev || v < 0) {
      lc_free(offs);
      return lc_err(err, LANCEC_ECORRUPT, "%s: list field '%s': offsets not ascending at %llu",
                    file->path, f->name, (unsigned long long)i);
    }
    prev = v;
    if (large) lc_st64(offs + 8 * i, (uint64_t)v);
    else lc_st32(offs + 4 * i, (uint32_t)v);
  }
  if (lc_array_init(out, 2, 1)) {
    lc_free(offs);
    return OOM();
  }
  out->length = (int64_t)n;
  lc_array_set_buffer(out, 1, offs);
  rc = read_batch(r, f->children[0], b, (uint64_t)prev, depth + 1, out->children[0], err);
  if (rc) lc_array_release(out);
  return rc;
}

static int read_batch(leg_reader *r, const lc_field *f, size_t b, uint64_t n, int depth,
                      struct ArrowArray *out, lancec_error *err) {
  lc_file *file = r->base.file;
  memset(out, 0, sizeof(*out));
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s' nests too deep", f->name);
  if (f->type == LC_T_STRUCT) {
    if (lc_array_init(out, 1, (int64_t)f->n_children)) return OOM();
    out->length = (int64_t)n;
    for (size_t i = 0; i < f->n_children; i++) {
      int rc = read_batch(r, f->children[i], b, n, depth + 1, out->children[i], err);
      if (rc) {
        lc_array_release(out);
        return rc;
      }
    }
    return 0;
  }
  if (f->type == LC_T_NULL || !has_id(r, f->id)) return lc_array_make_nulls(f, (int64_t)n, out, err);
  uint64_t pos, len, used;
  LC_TRY(page_entry(r, f->id, b, &pos, &len, err));
  switch (f->type) {
    case LC_T_LIST:
    case LC_T_LARGE_LIST: return read_list(r, f, b, n, pos, len, depth, out, err);
    case LC_T_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_STRING:
    case LC_T_LARGE_BINARY:
      if (len != n)
        return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s' batch %zu: page length %llu for %llu rows",
                      file->path, f->name, b, (unsigned long long)len, (unsigned long long)n);
      return read_binary(r, f, pos, n, out, err);
    case LC_T_DICT:
      if (len != n)
        return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s' batch %zu: page length %llu for %llu rows",
                      file->path, f->name, b, (unsigned long long)len, (unsigned long long)n);
      return read_dict(r, f, pos, n, out, err);
    case LC_T_MAP:
      return lc_err(err, LANCEC_EUNSUPPORTED, "%s: map field '%s' in a legacy file", file->path, f->name);
    default:
      if (len != n)
        return lc_err(err, LANCEC_ECORRUPT, "%s: field '%s' batch %zu: page length %llu for %llu rows",
                      file->path, f->name, b, (unsigned long long)len, (unsigned long long)n);
      return read_plain(r, f, pos, n, out, &used, err);
  }
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

static void leg_reader_free(lc_field_reader *base) {
  leg_reader *r = (leg_reader *)base;
  if (!r) return;
  lc_free(r->ids);
  lc_free(r);
}

static int leg_reader_new(lc_field_reader **out, lc_file *f, const lc_field *field,
                          const lc_file_colmap *map, lancec_error *err) {
  leg_reader *r = lc_calloc(1, sizeof(*r));
  if (!r) return OOM();
  r->base.fmt = f->fmt;
  r->base.file = f;
  r->field = field;
  size_t n = map ? map->n : 0;
  r->ids = lc_calloc(n ? n : 1, sizeof(int32_t));
  if (!r->ids) {
    lc_free(r);
    return OOM();
  }
  if (n) memcpy(r->ids, map->field_ids, n * sizeof(int32_t));
  r->n_ids = n;
  qsort(r->ids, n, sizeof(int32_t), cmp_i32);
  /* min = DataFile.fields[0] (the dataset reader's rule), max = max id */
  r->min_id = n ? map->field_ids[0] : 0;
  r->max_id = n ? r->ids[n - 1] : -1;
  if (n && r->ids[0] < r->min_id) r->min_id = r->ids[0];
  *out = &r->base;
  return 0;
}

/* Read the rows [start, start+count) batch by batch. */
static int leg_read(lc_field_reader *base, uint64_t start, uint64_t count, struct ArrowArray *out,
                    lancec_error *err) {
  leg_reader *r = (leg_reader *)base;
  leg_state *st = base->file->fmt_state;
  memset(out, 0, sizeof(*out));
  if (count == 0) return lc_array_make_nulls(r->field, 0, out, err);
  uint64_t end = start + count;
  struct ArrowArray *parts = lc_calloc(st->n_batches ? st->n_batches : 1, sizeof(struct ArrowArray));
  const struct ArrowArray **pp = lc_calloc(st->n_batches ? st->n_batches : 1, sizeof(void *));
  if (!parts || !pp) {
    lc_free(parts);
    lc_free(pp);
    return OOM();
  }
  size_t np = 0;
  int rc = 0;
  for (size_t b = 0; b < st->n_batches && rc == 0; b++) {
    uint64_t b0 = st->batch_offsets[b], b1 = st->batch_offsets[b + 1];
    if (b1 <= start || b0 >= end) continue;
    struct ArrowArray whole;
    rc = read_batch(r, r->field, b, b1 - b0, 0, &whole, err);
    if (rc) break;
    uint64_t s = start > b0 ? start - b0 : 0, e = (end < b1 ? end : b1) - b0;
    if (s == 0 && e == b1 - b0) {
      lc_array_move(&whole, &parts[np]);
    } else {
      rc = lc_array_slice(r->field, &whole, (int64_t)s, (int64_t)(e - s), &parts[np], err);
      lc_array_release(&whole);
      if (rc) break;
    }
    pp[np] = &parts[np];
    np++;
  }
  if (rc == 0) {
    if (np == 1) lc_array_move(&parts[0], out);
    else rc = lc_array_concat(r->field, pp, np, out, err);
  }
  for (size_t i = 0; i < np; i++) lc_array_release(&parts[i]);
  lc_free(parts);
  lc_free(pp);
  return rc;
}

static int leg_take(lc_field_reader *base, const uint64_t *rows, size_t n, struct ArrowArray *out,
                    lancec_error *err) {
  leg_reader *r = (leg_reader *)base;
  if (n == 0) return leg_read(base, 0, 0, out, err);
  uint64_t first = rows[0], last = rows[n - 1];
  struct ArrowArray span;
  LC_TRY(leg_read(base, first, last - first + 1, &span, err));
  int64_t *idx = lc_malloc(n * sizeof(int64_t));
  if (!idx) {
    lc_array_release(&span);
    return OOM();
  }
  for (size_t i = 0; i < n; i++) idx[i] = (int64_t)(rows[i] - first);
  int rc = lc_array_take(r->field, &span, idx, (int64_t)n, out, err);
  lc_free(idx);
  lc_array_release(&span);
  return rc;
}

const lc_file_format lc_format_legacy = {
    .name = "legacy (0.1)",
    .accepts = leg_accepts,
    .init = leg_init,
    .fini = leg_fini,
    .reader_new = leg_reader_new,
    .reader_free = leg_reader_free,
    .read = leg_read,
    .take = leg_take,
    .own_container = true,
};
