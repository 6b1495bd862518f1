/* File formats 2.1 / 2.2: page layouts (file-format-2.1.md §3.3-3.7,
 * file-format-2.2.md §4-5, §7.2) -> levels + items appended to a column's
 * accumulator.
 *
 * A column keeps the page it is positioned in prepared (chunk table,
 * dictionary, repetition index, constant levels) plus a window of the
 * page's data buffer, so ascending reads cost one IO per window. */
#include "file/v21_internal.h"

#define V21_READAHEAD (4u << 20)

/* ======================================================================
 * accumulators
 * ==================================================================== */

void v21_acc_init(v21_acc *a, const v21_vdesc *vd) {
  memset(a, 0, sizeof(*a));
  if (vd) a->vd = *vd;
}

void v21_acc_clear(v21_acc *a) {
  a->rep.len = a->def.len = a->data.len = a->offs.len = 0;
  a->def_on = false;
  a->n_levels = a->n_items = 0;
  for (int k = 0; k < LC_MAX_FSL_DEPTH; k++) {
    a->fslv[k].len = 0;
    a->fslv_on[k] = false;
  }
  if (a->dict) v21_acc_clear(a->dict);
  for (size_t i = 0; i < a->n_kids; i++) v21_acc_clear(&a->kids[i]);
}

void v21_acc_free(v21_acc *a) {
  lc_buf_free(&a->rep);
  lc_buf_free(&a->def);
  lc_buf_free(&a->data);
  lc_buf_free(&a->offs);
  for (int k = 0; k < LC_MAX_FSL_DEPTH; k++) lc_buf_free(&a->fslv[k]);
  if (a->dict) {
    v21_acc_free(a->dict);
    lc_free(a->dict);
  }
  for (size_t i = 0; i < a->n_kids; i++) v21_acc_free(&a->kids[i]);
  lc_free(a->kids);
  memset(a, 0, sizeof(*a));
}

#define ENOMEM_RET() return lc_err(err, LANCEC_ENOMEM, "out of memory")

/* Append nbits bits from src (starting at bit src_bit) at bit dst_bit of b
 * (b->len is kept as ceil(bits / 8)). */
static int bits_append(lc_buf *b, uint64_t dst_bit, const uint8_t *src, uint64_t src_bit,
                       uint64_t nbits) {
  size_t need = (size_t)((dst_bit + nbits + 7) / 8);
  if (need + 8 > b->cap && lc_buf_reserve(b, need + 8 - b->len)) return LANCEC_ENOMEM;
  if (need > b->len) {
    memset(b->data + b->len, 0, need - b->len);
    b->len = need;
  }
  if (((dst_bit | src_bit) & 7) == 0) {
    if (nbits >= 8) memcpy(b->data + dst_bit / 8, src + src_bit / 8, (size_t)(nbits / 8));
    for (uint64_t i = nbits & ~7ull; i < nbits; i++)
      lc_bit_put(b->data, (int64_t)(dst_bit + i), lc_bit_get(src, (int64_t)(src_bit + i)));
    return 0;
  }
  /* general: 8 bits at a time */
  uint64_t i = 0;
  for (; i + 8 <= nbits; i += 8) {
    uint64_t sb = src_bit + i;
    unsigned v = src[sb >> 3] >> (sb & 7);
    if (sb & 7) v |= (unsigned)src[(sb >> 3) + 1] << (8 - (sb & 7));
    v &= 0xff;
    uint64_t db = dst_bit + i;
    unsigned s = db & 7;
    b->data[db >> 3] = (uint8_t)((b->data[db >> 3] & ((1u << s) - 1)) | (v << s));
    if (s) b->data[(db >> 3) + 1] = (uint8_t)(v >> (8 - s));
  }
  for (; i < nbits; i++)
    lc_bit_put(b->data, (int64_t)(dst_bit + i), lc_bit_get(src, (int64_t)(src_bit + i)));
  return 0;
}

static int bits_fill(lc_buf *b, uint64_t dst_bit, uint64_t nbits, bool v) {
  size_t need = (size_t)((dst_bit + nbits + 7) / 8);
  if (need + 8 > b->cap && lc_buf_reserve(b, need + 8 - b->len)) return LANCEC_ENOMEM;
  if (need > b->len) {
    memset(b->data + b->len, 0, need - b->len);
    b->len = need;
  }
  uint64_t i = 0;
  for (; i < nbits && ((dst_bit + i) & 7); i++) lc_bit_put(b->data, (int64_t)(dst_bit + i), v);
  uint64_t whole = (nbits - i) / 8;
  if (whole) memset(b->data + (dst_bit + i) / 8, v ? 0xff : 0, (size_t)whole);
  for (i += whole * 8; i < nbits; i++) lc_bit_put(b->data, (int64_t)(dst_bit + i), v);
  return 0;
}

static uint64_t fsl_cum(const v21_vdesc *vd, int k) {
  uint64_t m = 1;
  for (int i = 0; i <= k; i++) m *= vd->fsl_dim[i];
  return m;
}

/* Append one offset entry (value end) to a VAR accumulator. */
static inline void offs_put(v21_acc *a, uint64_t v) {
  if (a->vd.ow == 4) {
    uint32_t x = (uint32_t)v;
    memcpy(a->offs.data + a->offs.len, &x, 4);
    a->offs.len += 4;
  } else {
    memcpy(a->offs.data + a->offs.len, &v, 8);
    a->offs.len += 8;
  }
}

static int var_begin(v21_acc *a, uint64_t n, uint64_t bytes, lancec_error *err) {
  if (a->offs.len == 0) {
    if (lc_buf_reserve(&a->offs, (size_t)(n + 1) * (size_t)a->vd.ow)) ENOMEM_RET();
    offs_put(a, 0);
  } else if (lc_buf_reserve(&a->offs, (size_t)n * (size_t)a->vd.ow)) {
    ENOMEM_RET();
  }
  if (a->vd.ow == 4 && a->data.len + bytes > INT32_MAX)
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "string/binary batch exceeds 2 GiB; use large_string/large_binary or smaller batches");
  if (lc_buf_reserve(&a->data, (size_t)bytes)) ENOMEM_RET();
  return 0;
}

/* n placeholder items (zeros / empty values / valid FSL items). */
static int acc_placeholders(v21_acc *a, uint64_t n, lancec_error *err) {
  if (n == 0) return 0;
  switch (a->vd.kind) {
    case VK_NONE: break;
    case VK_FIXED:
      if (a->vd.bits % 8 == 0) {
        if (lc_buf_append_zeros(&a->data, (size_t)(n * a->vd.bits / 8))) ENOMEM_RET();
      } else if (bits_fill(&a->data, a->n_items * a->vd.bits, n * a->vd.bits, false)) {
        ENOMEM_RET();
      }
      for (int k = 0; k < a->vd.n_fsl; k++)
        if (a->fslv_on[k]) {
          uint64_t cm = fsl_cum(&a->vd, k);
          if (bits_fill(&a->fslv[k], a->n_items * cm, n * cm, true)) ENOMEM_RET();
        }
      break;
    case VK_VAR: {
      LC_TRY(var_begin(a, n, 0, err));
      uint64_t end = a->data.len;
      for (uint64_t i = 0; i < n; i++) offs_put(a, end);
      break;
    }
  }
  for (size_t i = 0; i < a->n_kids; i++) LC_TRY(acc_placeholders(&a->kids[i], n, err));
  a->n_items += n;
  return 0;
}

/* Values [lo, lo+n) of decoded values v. */
static int acc_values(v21_col *c, v21_acc *a, const lc_values *v, uint64_t lo, uint64_t n,
                      lancec_error *err) {
  if (n == 0) return 0;
  if (lo + n > v->n)
    return V21_ERR(c, LANCEC_ECORRUPT, "decoded %llu values, needed %llu", (unsigned long long)v->n,
                   (unsigned long long)(lo + n));
  if (v->fsst_table && a->vd.kind == VK_VAR && v->kind == LC_VALUES_VARIABLE) {
    /* deferred FSST: decode just these values, straight into the output */
    /* a code yields at most 8 bytes: reserve that bound instead of a sizing pass */
    uint64_t c0 = v->offset_bits == 64 ? lc_le64(v->offsets + 8 * lo) : lc_le32(v->offsets + 4 * lo);
    uint64_t c1 = v->offset_bits == 64 ? lc_le64(v->offsets + 8 * (lo + n)) : lc_le32(v->offsets + 4 * (lo + n));
    if (c1 < c0 || c1 > v->data_len)
      return V21_ERR(c, LANCEC_ECORRUPT, "bad value offsets %llu..%llu (data %zu bytes)", (unsigned long long)c0,
                     (unsigned long long)c1, v->data_len);
    uint64_t bound = (c1 - c0) * 8 + 8;
    LC_TRY(var_begin(a, n, bound, err));
    size_t pos = a->data.len, end = a->data.len + (size_t)bound;
    for (uint64_t i = lo; i < lo + n; i++) {
      size_t k = 0;
      LC_TRY(lc_fsst_value(v, i, a->data.data + pos, end - pos, &k, err));
      pos += k;
      offs_put(a, pos);
    }
    if (a->vd.ow == 4 && pos > INT32_MAX)
      return lc_err(err, LANCEC_EUNSUPPORTED,
                    "string/binary batch exceeds 2 GiB; use large_string/large_binary or smaller batches");
    a->data.len = pos;
    a->n_items += n;
    return 0;
  }
  if (v->fsst_table) { /* deferred FSST: decode only these values */
    lc_values part;
    LC_TRY(lc_fsst_slice(v, lo, n, &part, err));
    int rc = acc_values(c, a, &part, 0, n, err);
    lc_values_free(&part);
    return rc;
  }
  switch (a->vd.kind) {
    case VK_NONE: break;
    case VK_FIXED: {
      if (v->kind != LC_VALUES_FIXED)
        return V21_ERR(c, LANCEC_ECORRUPT, "variable-width values for a fixed-width field '%s'",
                       c->field->name);
      uint64_t vb = v->bits_per_value;
      if (vb != a->vd.bits) {
        uint64_t prod = 1;
        for (int k = 0; k < v->n_fsl && k < LC_MAX_FSL_DEPTH; k++) prod *= v->fsl_dim[k] ? v->fsl_dim[k] : 1;
        if (vb * prod != a->vd.bits)
          return V21_ERR(c, LANCEC_ECORRUPT, "values have %llu bits, field '%s' needs %llu",
                         (unsigned long long)vb, c->field->name, (unsigned long long)a->vd.bits);
      }
      uint64_t B = a->vd.bits;
      if (B % 8 == 0) {
        if (lc_buf_append(&a->data, v->data + lo * (B / 8), (size_t)(n * B / 8))) ENOMEM_RET();
      } else if (bits_append(&a->data, a->n_items * B, v->data, lo * B, n * B)) {
        ENOMEM_RET();
      }
      for (int k = 0; k < a->vd.n_fsl; k++) {
        uint64_t cm = fsl_cum(&a->vd, k);
        const uint8_t *src = (k < v->n_fsl) ? v->fsl_validity[k] : NULL;
        if (src) {
          if (!a->fslv_on[k]) {
            if (bits_fill(&a->fslv[k], 0, a->n_items * cm, true)) ENOMEM_RET();
            a->fslv_on[k] = true;
          }
          if (bits_append(&a->fslv[k], a->n_items * cm, src, lo * cm, n * cm)) ENOMEM_RET();
        } else if (a->fslv_on[k]) {
          if (bits_fill(&a->fslv[k], a->n_items * cm, n * cm, true)) ENOMEM_RET();
        }
      }
      break;
    }
    case VK_VAR: {
      if (v->kind != LC_VALUES_VARIABLE)
        return V21_ERR(c, LANCEC_ECORRUPT, "fixed-width values for a variable-width field '%s'",
                       c->field->name);
      uint64_t s0, s1;
      if (v->offset_bits == 64) {
        s0 = lc_le64(v->offsets + 8 * lo);
        s1 = lc_le64(v->offsets + 8 * (lo + n));
      } else {
        s0 = lc_le32(v->offsets + 4 * lo);
        s1 = lc_le32(v->offsets + 4 * (lo + n));
      }
      if (s1 < s0 || s1 > v->data_len)
        return V21_ERR(c, LANCEC_ECORRUPT, "bad value offsets %llu..%llu (data %zu bytes)",
                       (unsigned long long)s0, (unsigned long long)s1, v->data_len);
      LC_TRY(var_begin(a, n, s1 - s0, err));
      uint64_t base = a->data.len - s0;
      uint64_t prev = s0;
      if (v->offset_bits == 64) {
        for (uint64_t i = 1; i <= n; i++) {
          uint64_t o = lc_le64(v->offsets + 8 * (lo + i));
          if (o < prev || o > s1) return V21_ERR(c, LANCEC_ECORRUPT, "value offsets are not monotonic");
          prev = o;
          offs_put(a, base + o);
        }
      } else if (a->vd.ow == 4) {
        const uint8_t *op = v->offsets + 4 * lo;
        uint32_t *dst = (uint32_t *)(void *)(a->offs.data + a->offs.len);
        for (uint64_t i = 1; i <= n; i++) {
          uint32_t o = lc_le32(op + 4 * i);
          if (o < prev || o > s1) return V21_ERR(c, LANCEC_ECORRUPT, "value offsets are not monotonic");
          prev = o;
          uint32_t x = (uint32_t)(base + o);
          memcpy(dst + (i - 1), &x, 4);
        }
        a->offs.len += 4 * n;
      } else {
        for (uint64_t i = 1; i <= n; i++) {
          uint32_t o = lc_le32(v->offsets + 4 * (lo + i));
          if (o < prev || o > s1) return V21_ERR(c, LANCEC_ECORRUPT, "value offsets are not monotonic");
          prev = o;
          offs_put(a, base + o);
        }
      }
      if (s1 > s0) memcpy(a->data.data + a->data.len, v->data + s0, (size_t)(s1 - s0));
      a->data.len += (size_t)(s1 - s0);
      break;
    }
  }
  a->n_items += n;
  return 0;
}

/* n copies of one value (constant pages). FIXED: `val` holds bits/8 bytes
 * (bool: bit 0 of one byte); VAR: the bytes. */
static int acc_const(v21_col *c, v21_acc *a, const uint8_t *val, size_t len, uint64_t n,
                     lancec_error *err) {
  if (n == 0) return 0;
  switch (a->vd.kind) {
    case VK_NONE: break;
    case VK_FIXED: {
      uint64_t B = a->vd.bits;
      if (B == 1) {
        if (len < 1) return V21_ERR(c, LANCEC_ECORRUPT, "empty boolean constant");
        if (bits_fill(&a->data, a->n_items, n, val[0] & 1)) ENOMEM_RET();
      } else {
        if (B % 8 || len != B / 8)
          return V21_ERR(c, LANCEC_ECORRUPT, "constant of %zu bytes for a %llu-bit field '%s'", len,
                         (unsigned long long)B, c->field->name);
        if (lc_buf_reserve(&a->data, (size_t)(n * len))) ENOMEM_RET();
        uint8_t *d = a->data.data + a->data.len;
        if (len == 1) {
          memset(d, val[0], (size_t)n);
        } else {
          for (uint64_t i = 0; i < n; i++) memcpy(d + i * len, val, len);
        }
        a->data.len += (size_t)(n * len);
      }
      for (int k = 0; k < a->vd.n_fsl; k++)
        if (a->fslv_on[k]) {
          uint64_t cm = fsl_cum(&a->vd, k);
          if (bits_fill(&a->fslv[k], a->n_items * cm, n * cm, true)) ENOMEM_RET();
        }
      break;
    }
    case VK_VAR: {
      LC_TRY(var_begin(a, n, (uint64_t)len * n, err));
      for (uint64_t i = 0; i < n; i++) {
        if (len) memcpy(a->data.data + a->data.len, val, len);
        a->data.len += len;
        offs_put(a, a->data.len);
      }
      break;
    }
  }
  a->n_items += n;
  return 0;
}

/* ---- levels ---- */

static int acc_levels(v21_col *c, v21_page *pg, const uint16_t *rep, const uint16_t *def, uint64_t n,
                      lancec_error *err) {
  v21_acc *a = &c->acc;
  if (n == 0) return 0;
  if (c->max_rep) {
    if (lc_buf_reserve(&a->rep, (size_t)n * 2)) ENOMEM_RET();
    uint16_t *dst = (uint16_t *)(void *)(a->rep.data + a->rep.len);
    if (rep) {
      for (uint64_t i = 0; i < n; i++) {
        if (rep[i] > c->max_rep)
          return V21_ERR(c, LANCEC_ECORRUPT, "repetition level %u exceeds the maximum %u", rep[i],
                         c->max_rep);
        dst[i] = rep[i];
      }
    } else {
      for (uint64_t i = 0; i < n; i++) dst[i] = c->max_rep;
    }
    a->rep.len += (size_t)n * 2;
  }
  if (def && pg->page_max_def > 0) {
    if (!a->def_on) {
      if (lc_buf_append_zeros(&a->def, (size_t)a->n_levels * 2)) ENOMEM_RET();
      a->def_on = true;
    }
    if (lc_buf_reserve(&a->def, (size_t)n * 2)) ENOMEM_RET();
    uint16_t *dst = (uint16_t *)(void *)(a->def.data + a->def.len);
    uint16_t maxd = pg->page_max_def;
    for (uint64_t i = 0; i < n; i++) {
      uint16_t d = def[i];
      if (d > maxd)
        return V21_ERR(c, LANCEC_ECORRUPT, "definition level %u exceeds the maximum %u", d, maxd);
      dst[i] = pg->defmap[d];
    }
    a->def.len += (size_t)n * 2;
  } else if (a->def_on) {
    if (lc_buf_append_zeros(&a->def, (size_t)n * 2)) ENOMEM_RET();
  }
  a->n_levels += n;
  return 0;
}

/* n levels that are all `code` (canonical), no repetition (one per row). */
static int acc_levels_fill(v21_col *c, uint16_t code, uint64_t n, lancec_error *err) {
  v21_acc *a = &c->acc;
  if (n == 0) return 0;
  if (c->max_rep) {
    if (lc_buf_reserve(&a->rep, (size_t)n * 2)) ENOMEM_RET();
    uint16_t *dst = (uint16_t *)(void *)(a->rep.data + a->rep.len);
    for (uint64_t i = 0; i < n; i++) dst[i] = c->max_rep;
    a->rep.len += (size_t)n * 2;
  }
  if (code || a->def_on) {
    if (!a->def_on) {
      if (lc_buf_append_zeros(&a->def, (size_t)a->n_levels * 2)) ENOMEM_RET();
      a->def_on = true;
    }
    if (lc_buf_reserve(&a->def, (size_t)n * 2)) ENOMEM_RET();
    uint16_t *dst = (uint16_t *)(void *)(a->def.data + a->def.len);
    for (uint64_t i = 0; i < n; i++) dst[i] = code;
    a->def.len += (size_t)n * 2;
  }
  a->n_levels += n;
  return 0;
}

static uint64_t count_visible(const uint16_t *def, uint64_t n, uint16_t vis) {
  if (!def) return n;
  uint64_t k = 0;
  for (uint64_t i = 0; i < n; i++) k += def[i] <= vis;
  return k;
}

/* ---- dictionaries ---- */

static inline uint64_t load_uint(const uint8_t *p, uint64_t bits, uint64_t i) {
  switch (bits) {
    case 8: return p[i];
    case 16: return lc_le16(p + 2 * i);
    case 32: return lc_le32(p + 4 * i);
    default: return lc_le64(p + 8 * i);
  }
}

/* Append the page dictionary to the output dictionary once per read. */
static int dict_attach(v21_col *c, v21_page *pg, lancec_error *err) {
  v21_acc *a = &c->acc;
  if (pg->dict_epoch == c->epoch + 1) return 0;
  pg->dict_base = a->dict->n_items;
  LC_TRY(acc_values(c, a->dict, &pg->dict, 0, pg->n_dict, err));
  pg->dict_epoch = c->epoch + 1;
  return 0;
}

static int acc_dict_indices(v21_col *c, v21_page *pg, const lc_values *idx, uint64_t lo, uint64_t n,
                            lancec_error *err) {
  v21_acc *a = &c->acc;
  if (n == 0) return 0;
  if (idx->kind != LC_VALUES_FIXED ||
      (idx->bits_per_value != 8 && idx->bits_per_value != 16 && idx->bits_per_value != 32 &&
       idx->bits_per_value != 64))
    return V21_ERR(c, LANCEC_ECORRUPT, "dictionary indices are not 8/16/32/64-bit integers");
  if (lo + n > idx->n)
    return V21_ERR(c, LANCEC_ECORRUPT, "decoded %llu dictionary indices, needed %llu",
                   (unsigned long long)idx->n, (unsigned long long)(lo + n));
  uint64_t nd = pg->n_dict;
  uint64_t ib = idx->bits_per_value;
  if (c->is_dict_out) {
    LC_TRY(dict_attach(c, pg, err));
    if (lc_buf_reserve(&a->data, (size_t)n * 8)) ENOMEM_RET();
    uint64_t *dst = (uint64_t *)(void *)(a->data.data + a->data.len);
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = load_uint(idx->data, ib, lo + i);
      if (k >= nd) {
        if (nd == 0) k = 0;
        else return V21_ERR(c, LANCEC_ECORRUPT, "dictionary index %llu >= dictionary size %llu",
                            (unsigned long long)k, (unsigned long long)nd);
      }
      dst[i] = pg->dict_base + k;
    }
    a->data.len += (size_t)n * 8;
    a->n_items += n;
    return 0;
  }
  const lc_values *d = &pg->dict;
  if (a->vd.kind == VK_FIXED) {
    uint64_t B = a->vd.bits;
    if (d->kind != LC_VALUES_FIXED || d->bits_per_value != B || B % 8)
      return V21_ERR(c, LANCEC_ECORRUPT, "dictionary values do not match field '%s'", c->field->name);
    size_t w = (size_t)(B / 8);
    if (lc_buf_reserve(&a->data, (size_t)n * w)) ENOMEM_RET();
    uint8_t *dst = a->data.data + a->data.len;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = load_uint(idx->data, ib, lo + i);
      if (k >= nd) {
        if (nd == 0) {
          memset(dst + i * w, 0, w);
          continue;
        }
        return V21_ERR(c, LANCEC_ECORRUPT, "dictionary index %llu >= dictionary size %llu",
                       (unsigned long long)k, (unsigned long long)nd);
      }
      memcpy(dst + i * w, d->data + k * w, w);
    }
    a->data.len += (size_t)n * w;
    a->n_items += n;
    return 0;
  }
  if (a->vd.kind == VK_VAR) {
    if (d->kind != LC_VALUES_VARIABLE)
      return V21_ERR(c, LANCEC_ECORRUPT, "dictionary values do not match field '%s'", c->field->name);
    /* total bytes first */
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = load_uint(idx->data, ib, lo + i);
      if (k >= nd) {
        if (nd == 0) continue;
        return V21_ERR(c, LANCEC_ECORRUPT, "dictionary index %llu >= dictionary size %llu",
                       (unsigned long long)k, (unsigned long long)nd);
      }
      uint64_t s0 = d->offset_bits == 64 ? lc_le64(d->offsets + 8 * k) : lc_le32(d->offsets + 4 * k);
      uint64_t s1 = d->offset_bits == 64 ? lc_le64(d->offsets + 8 * k + 8) : lc_le32(d->offsets + 4 * k + 4);
      if (s1 < s0 || s1 > d->data_len)
        return V21_ERR(c, LANCEC_ECORRUPT, "dictionary entry %llu has bad offsets", (unsigned long long)k);
      total += s1 - s0;
    }
    LC_TRY(var_begin(a, n, total, err));
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = load_uint(idx->data, ib, lo + i);
      if (k < nd) {
        uint64_t s0 = d->offset_bits == 64 ? lc_le64(d->offsets + 8 * k) : lc_le32(d->offsets + 4 * k);
        uint64_t s1 = d->offset_bits == 64 ? lc_le64(d->offsets + 8 * k + 8) : lc_le32(d->offsets + 4 * k + 4);
        if (s1 > s0) memcpy(a->data.data + a->data.len, d->data + s0, (size_t)(s1 - s0));
        a->data.len += (size_t)(s1 - s0);
      }
      offs_put(a, a->data.len);
    }
    a->n_items += n;
    return 0;
  }
  a->n_items += n;
  return 0;
}

/* Items for a column: values [lo, lo+n) of v, through the dictionary when
 * the page has one, into the Arrow dictionary when the output is one. */
static int col_items(v21_col *c, v21_page *pg, const lc_values *v, uint64_t lo, uint64_t n,
                     lancec_error *err) {
  if (pg->has_dict) return acc_dict_indices(c, pg, v, lo, n, err);
  v21_acc *a = &c->acc;
  if (c->is_dict_out) {
    /* materialized values: each becomes a dictionary entry */
    uint64_t base = a->dict->n_items;
    LC_TRY(acc_values(c, a->dict, v, lo, n, err));
    if (lc_buf_reserve(&a->data, (size_t)n * 8)) ENOMEM_RET();
    uint64_t *dst = (uint64_t *)(void *)(a->data.data + a->data.len);
    for (uint64_t i = 0; i < n; i++) dst[i] = base + i;
    a->data.len += (size_t)n * 8;
    a->n_items += n;
    return 0;
  }
  return acc_values(c, a, v, lo, n, err);
}

static int col_const_items(v21_col *c, const uint8_t *val, size_t len, bool has_value, uint64_t n,
                           lancec_error *err) {
  v21_acc *a = &c->acc;
  if (n == 0) return 0;
  if (c->is_dict_out) {
    uint64_t base = a->dict->n_items;
    if (has_value) LC_TRY(acc_const(c, a->dict, val, len, 1, err));
    else if (a->dict->n_items == 0) LC_TRY(acc_placeholders(a->dict, 1, err));
    else base = 0;
    if (lc_buf_reserve(&a->data, (size_t)n * 8)) ENOMEM_RET();
    uint64_t *dst = (uint64_t *)(void *)(a->data.data + a->data.len);
    for (uint64_t i = 0; i < n; i++) dst[i] = base;
    a->data.len += (size_t)n * 8;
    a->n_items += n;
    return 0;
  }
  if (has_value) return acc_const(c, a, val, len, n, err);
  return acc_placeholders(a, n, err);
}

/* ======================================================================
 * IO: the data window
 * ==================================================================== */

/* Pointer to [off, off+len) of the page's main data buffer; `hint_end`
 * (relative) says how far the caller will read next. */
static int win_get(v21_col *c, v21_page *pg, uint64_t off, uint64_t len, uint64_t hint_end,
                   const uint8_t **out, lancec_error *err) {
  uint64_t end;
  if (lc_add_overflow_u64(off, len, &end) || end > pg->data_size)
    return V21_ERR(c, LANCEC_ECORRUPT, "range [%llu, +%llu) extends past data buffer (%llu bytes)",
                   (unsigned long long)off, (unsigned long long)len,
                   (unsigned long long)pg->data_size);
  if (pg->win && off >= pg->win_lo && end <= pg->win_lo + pg->win_len) {
    *out = pg->win + (off - pg->win_lo);
    return 0;
  }
  uint64_t lo = off, hi = end;
  if (hint_end > hi) hi = hint_end < pg->data_size ? hint_end : pg->data_size;
  if (c->scan && hint_end == 0) {
    /* read ahead only when the caller does not know where its range ends:
     * with a known end, bytes past it may belong to another worker's task */
    uint64_t ra = lo + V21_READAHEAD;
    if (ra > pg->data_size) ra = pg->data_size;
    if (ra > hi) hi = ra;
  }
  size_t n = (size_t)(hi - lo);
  if (n + 8 > pg->win_cap) {
    lc_free(pg->win);
    pg->win_cap = n + 8;
    pg->win = lc_malloc_aligned(pg->win_cap);
    if (!pg->win) {
      pg->win_cap = 0;
      ENOMEM_RET();
    }
  }
  pg->win_lo = lo;
  pg->win_len = 0;
  int rc = lc_file_read_at(c->file, pg->data_off + lo, n, pg->win, "page data", err);
  if (rc) {
    lc_err_prefix(err, "column %d page %zu: ", (int)c->col, pg->idx);
    return rc;
  }
  memset(pg->win + n, 0, 8);
  pg->win_len = n;
  *out = pg->win + (off - lo);
  return 0;
}

/* Read a whole (small) page buffer into a fresh allocation. */
static int read_buffer(v21_col *c, v21_page *pg, size_t b, uint8_t **out, uint64_t *len,
                       lancec_error *err) {
  const lc_page_info *pi = pg->pi;
  if (b >= pi->n_buffers)
    return V21_ERR(c, LANCEC_ECORRUPT, "page has %zu buffers, buffer %zu is missing", pi->n_buffers, b);
  uint64_t sz = pi->buf_size[b];
  if (sz > ((uint64_t)1 << 40)) return V21_ERR(c, LANCEC_ECORRUPT, "buffer %zu is too large", b);
  uint8_t *p = lc_malloc_aligned((size_t)sz + 16);
  if (!p) ENOMEM_RET();
  memset(p + sz, 0, 16);
  int rc = lc_file_read_at(c->file, pi->buf_off[b], sz, p, "page buffer", err);
  if (rc) {
    lc_free(p);
    lc_err_prefix(err, "column %d page %zu: buffer %zu: ", (int)c->col, pg->idx, b);
    return rc;
  }
  *out = p;
  *len = sz;
  return 0;
}

/* ======================================================================
 * page state
 * ==================================================================== */

/* Forget the page; the data window's memory is kept for the next page
 * (allocating it afresh per page costs page faults on every scan). */
void v21_page_reset(v21_page *pg) {
  uint8_t *win = pg->win;
  size_t win_cap = pg->win_cap;
  lc_free(pg->chunks);
  if (pg->has_dict) lc_values_free(&pg->dict);
  lc_free(pg->cc_rep);
  lc_free(pg->cc_def);
  if (pg->cc_has_vals) lc_values_free(&pg->cc_vals);
  lc_free(pg->repidx);
  lc_free(pg->crep);
  lc_free(pg->cdef);
  lc_free(pg->row_start);
  lc_free(pg->c_value);
  if (pg->blob_desc) {
    v21_acc_free(pg->blob_desc);
    lc_free(pg->blob_desc);
  }
  memset(pg, 0, sizeof(*pg));
  pg->idx = SIZE_MAX;
  pg->cc_idx = SIZE_MAX;
  pg->win = win;
  pg->win_cap = win_cap;
}

void v21_page_free(v21_page *pg) {
  v21_page_reset(pg);
  lc_free(pg->win);
  pg->win = NULL;
  pg->win_cap = 0;
}

int v21_layout_decode(lc_file *f, uint32_t col, size_t page, v21_layout_pb **out, lancec_error *err) {
  *out = NULL;
  Lance__File__V2__ColumnMetadata__Page *pg = f->cols[col].pb->pages[page];
  uint8_t *val;
  size_t len;
  void *any;
  int rc = lc_file_unwrap_any(f, pg->encoding, "lance.encodings21.PageLayout", &val, &len, &any, err);
  if (rc) {
    lc_err_prefix(err, "%s: column %u page %zu: ", f->path, col, page);
    return rc;
  }
  *out = lance__encodings21__page_layout__unpack(NULL, len, val);
  lancec__wkt__any__free_unpacked(any, NULL);
  if (!*out)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %u page %zu: undecodable PageLayout", f->path, col,
                  page);
  return 0;
}

/* ---- mini-block ---- */

typedef struct mb_chunk_view {
  uint16_t n_levels;
  const uint8_t *rep, *def;
  uint64_t rep_size, def_size;
  const uint8_t *bufs[V21_MAX_KIDS];
  uint64_t sizes[V21_MAX_KIDS];
} mb_chunk_view;

static int mb_prepare(v21_col *c, v21_page *pg, const Lance__Encodings21__MiniBlockLayout *mb,
                      lancec_error *err) {
  pg->kind = PL_MINI;
  pg->mb = mb;
  pg->large = mb->has_large_chunk;
  LC_TRY(v21_page_defmap(c, pg, mb->layers, mb->n_layers, err));
  pg->has_rep = mb->rep_compression != NULL;
  pg->has_def = mb->def_compression != NULL;
  if (pg->has_rep && c->max_rep == 0)
    return V21_ERR(c, LANCEC_ECORRUPT, "page has repetition levels but the field has no list");
  if (!mb->value_compression) return V21_ERR(c, LANCEC_ECORRUPT, "mini-block page without value compression");
  uint64_t nb = mb->num_buffers;
  if (nb < 1 || nb > V21_MAX_KIDS)
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block page with %llu value buffers", (unsigned long long)nb);
  const lc_page_info *pi = pg->pi;
  size_t need = 2 + (mb->dictionary ? 1 : 0) + (mb->repetition_index_depth ? 1 : 0);
  if (pi->n_buffers < need)
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block page has %zu buffers, needs %zu", pi->n_buffers, need);
  pg->data_off = pi->buf_off[1];
  pg->data_size = pi->buf_size[1];
  /* chunk table */
  uint8_t *meta = NULL;
  uint64_t mlen = 0;
  LC_TRY(read_buffer(c, pg, 0, &meta, &mlen, err));
  int ws = pg->large ? 4 : 2;
  if (mlen % (uint64_t)ws) {
    lc_free(meta);
    return V21_ERR(c, LANCEC_ECORRUPT, "chunk metadata buffer of %llu bytes is not a multiple of %d",
                   (unsigned long long)mlen, ws);
  }
  size_t nc = (size_t)(mlen / (uint64_t)ws);
  pg->n_chunks = nc;
  pg->chunks = lc_calloc(nc ? nc : 1, sizeof(v21_chunk));
  if (!pg->chunks) {
    lc_free(meta);
    ENOMEM_RET();
  }
  uint64_t off = 0, items = 0, total = mb->num_items;
  for (size_t i = 0; i < nc; i++) {
    uint32_t w = pg->large ? lc_le32(meta + 4 * i) : lc_le16(meta + 2 * i);
    uint64_t size = ((uint64_t)(w >> 4) + 1) * 8;
    uint64_t n;
    if (i + 1 < nc) {
      n = (uint64_t)1 << (w & 15);
      if (items + n > total) {
        lc_free(meta);
        return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu holds more items than the page (%llu)",
                       i, (unsigned long long)total);
      }
    } else {
      n = total - items;
    }
    if (off + size > pg->data_size) {
      lc_free(meta);
      return V21_ERR(c, LANCEC_ECORRUPT,
                     "mini-block chunk %zu [%llu, +%llu) extends past buffer 1 (%llu bytes)", i,
                     (unsigned long long)off, (unsigned long long)size,
                     (unsigned long long)pg->data_size);
    }
    pg->chunks[i].off = off;
    pg->chunks[i].size = size;
    pg->chunks[i].first_item = items;
    pg->chunks[i].n_items = n;
    off += size;
    items += n;
  }
  lc_free(meta);
  if (items != total)
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunks hold %llu items, the page %llu",
                   (unsigned long long)items, (unsigned long long)total);
  if (!pg->has_rep && c->max_rep == 0 && total != pi->length)
    return V21_ERR(c, LANCEC_ECORRUPT, "page has %llu rows but %llu items", (unsigned long long)pi->length,
                   (unsigned long long)total);
  size_t bi = 2;
  if (mb->dictionary) {
    uint8_t *d = NULL;
    uint64_t dl = 0;
    LC_TRY(read_buffer(c, pg, bi, &d, &dl, err));
    pg->n_dict = mb->num_dictionary_items;
    int rc = lc_decode_block(mb->dictionary, d, dl, pg->n_dict, &pg->dict, err);
    lc_free(d);
    if (rc) {
      lc_err_prefix(err, "%s: column %d page %zu: dictionary: ", c->file->path, (int)c->col, pg->idx);
      return rc;
    }
    if (pg->dict.n < pg->n_dict) {
      lc_values_free(&pg->dict);
      return V21_ERR(c, LANCEC_ECORRUPT, "dictionary decoded to %llu of %llu items",
                     (unsigned long long)pg->dict.n, (unsigned long long)pg->n_dict);
    }
    pg->has_dict = true;
    bi++;
  }
  if (pg->has_rep || c->max_rep) {
    if (mb->repetition_index_depth > 0 && pg->has_rep) {
      uint8_t *ri = NULL;
      uint64_t rl = 0;
      LC_TRY(read_buffer(c, pg, bi, &ri, &rl, err));
      uint64_t per = (uint64_t)mb->repetition_index_depth + 1;
      if (rl != (uint64_t)nc * per * 8) {
        lc_free(ri);
        return V21_ERR(c, LANCEC_ECORRUPT, "repetition index of %llu bytes for %zu chunks (depth %u)",
                       (unsigned long long)rl, nc, mb->repetition_index_depth);
      }
      uint64_t row = 0;
      bool prev_trailer = false;
      for (size_t i = 0; i < nc; i++) {
        uint64_t ends = lc_le64(ri + 8 * per * i);
        uint64_t partial = lc_le64(ri + 8 * per * i + 8 * (per - 1));
        bool trailer = partial > 0;
        uint64_t starts = ends + (trailer ? 1 : 0);
        if (prev_trailer) {
          if (starts == 0) {
            lc_free(ri);
            return V21_ERR(c, LANCEC_ECORRUPT, "repetition index entry %zu is inconsistent", i);
          }
          starts--;
        }
        pg->chunks[i].first_row = row;
        pg->chunks[i].starts = starts;
        row += starts;
        prev_trailer = trailer;
      }
      lc_free(ri);
      if (row != pi->length)
        return V21_ERR(c, LANCEC_ECORRUPT, "repetition index counts %llu rows, the page has %llu",
                       (unsigned long long)row, (unsigned long long)pi->length);
    } else if (pg->has_rep) {
      pg->no_repidx = true;
    } else {
      /* lists but no repetition: every level is a row */
      for (size_t i = 0; i < nc; i++) {
        pg->chunks[i].first_row = pg->chunks[i].first_item;
        pg->chunks[i].starts = pg->chunks[i].n_items;
      }
    }
  }
  return 0;
}

static int mb_chunk_view_parse(v21_col *c, v21_page *pg, size_t ci, const uint8_t *p, mb_chunk_view *v,
                               lancec_error *err) {
  const Lance__Encodings21__MiniBlockLayout *mb = pg->mb;
  uint64_t size = pg->chunks[ci].size;
  uint64_t nb = mb->num_buffers;
  uint64_t hdr = 2 + (pg->has_rep ? 2 : 0) + (pg->has_def ? 2 : 0) + nb * (pg->large ? 4 : 2);
  if (hdr > size)
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu header (%llu bytes) exceeds the chunk (%llu)",
                   ci, (unsigned long long)hdr, (unsigned long long)size);
  const uint8_t *h = p;
  v->n_levels = lc_le16(h);
  h += 2;
  v->rep_size = v->def_size = 0;
  if (pg->has_rep) {
    v->rep_size = lc_le16(h);
    h += 2;
  }
  if (pg->has_def) {
    v->def_size = lc_le16(h);
    h += 2;
  }
  for (uint64_t b = 0; b < nb; b++) {
    if (pg->large) {
      v->sizes[b] = lc_le32(h);
      h += 4;
    } else {
      v->sizes[b] = lc_le16(h);
      h += 2;
    }
  }
  uint64_t off = (hdr + 7) & ~7ull;
#define TAKE(ptr, sz, what)                                                                      \
  do {                                                                                           \
    if (off + (sz) > size)                                                                       \
      return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu: %s (%llu bytes) extends past the " \
                     "chunk (%llu bytes)", ci, what, (unsigned long long)(sz),                   \
                     (unsigned long long)size);                                                  \
    ptr = p + off;                                                                               \
    off = (off + (sz) + 7) & ~7ull;                                                              \
  } while (0)
  v->rep = v->def = NULL;
  if (pg->has_rep) TAKE(v->rep, v->rep_size, "repetition buffer");
  if (pg->has_def) TAKE(v->def, v->def_size, "definition buffer");
  for (uint64_t b = 0; b < nb; b++) TAKE(v->bufs[b], v->sizes[b], "value buffer");
#undef TAKE
  return 0;
}

static int cc_levels_reserve(v21_page *pg, uint64_t n) {
  if (n <= pg->cc_lcap) return 0;
  lc_free(pg->cc_rep);
  lc_free(pg->cc_def);
  pg->cc_rep = lc_malloc((size_t)n * 2 + 16);
  pg->cc_def = lc_malloc((size_t)n * 2 + 16);
  if (!pg->cc_rep || !pg->cc_def) {
    pg->cc_lcap = 0;
    return LANCEC_ENOMEM;
  }
  pg->cc_lcap = n;
  return 0;
}

/* Decode chunk ci into the chunk cache (levels + values). */
static int mb_decode_cached(v21_col *c, v21_page *pg, size_t ci, uint64_t hint_end, lancec_error *err) {
  if (pg->cc_idx == ci) return 0;
  pg->cc_idx = SIZE_MAX;
  const v21_chunk *ch = &pg->chunks[ci];
  const uint8_t *p = NULL;
  LC_TRY(win_get(c, pg, ch->off, ch->size, hint_end, &p, err));
  mb_chunk_view v;
  LC_TRY(mb_chunk_view_parse(c, pg, ci, p, &v, err));
  uint64_t nl = v.n_levels;
  if (!pg->has_rep && !pg->has_def) nl = ch->n_items;
  else if (!pg->has_rep && nl != ch->n_items)
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu has %llu levels for %llu items", ci,
                   (unsigned long long)nl, (unsigned long long)ch->n_items);
  if (cc_levels_reserve(pg, nl)) ENOMEM_RET();
  int rc;
  if (pg->has_rep) {
    rc = lc_decode_levels(pg->mb->rep_compression, v.rep, v.rep_size, nl, pg->cc_rep, err);
    if (rc) goto lvl_fail;
  }
  if (pg->has_def) {
    rc = lc_decode_levels(pg->mb->def_compression, v.def, v.def_size, nl, pg->cc_def, err);
    if (rc) goto lvl_fail;
  }
  pg->cc_levels = nl;
  if (pg->has_def && nl) {
    uint64_t vis = count_visible(pg->cc_def, nl, pg->page_vis_def);
    if (vis != ch->n_items)
      return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu has %llu visible levels for %llu items", ci,
                     (unsigned long long)vis, (unsigned long long)ch->n_items);
  } else if (pg->has_rep && nl != ch->n_items) {
    return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu has %llu levels for %llu items", ci,
                   (unsigned long long)nl, (unsigned long long)ch->n_items);
  }
  if (pg->cc_has_vals) {
    lc_values_free(&pg->cc_vals);
    pg->cc_has_vals = false;
  }
  memset(&pg->cc_vals, 0, sizeof(pg->cc_vals));
  /* keep FSST codes until values are asked for: random access touches few
   * values of a chunk, and scans decode straight into the output */
  pg->cc_vals.defer_fsst_ok = pg->mb->value_compression &&
                              pg->mb->value_compression->compression_case ==
                                  LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FSST;
  rc = lc_decode_miniblock(pg->mb->value_compression, v.bufs, v.sizes, (size_t)pg->mb->num_buffers,
                           ch->n_items, &pg->cc_vals, err);
  if (rc) {
    lc_values_free(&pg->cc_vals);
    lc_err_prefix(err, "%s: column %d page %zu: mini-block chunk %zu: ", c->file->path, (int)c->col,
                  pg->idx, ci);
    return rc;
  }
  pg->cc_has_vals = true;
  pg->cc_items = ch->n_items;
  pg->cc_idx = ci;
  return 0;
lvl_fail:
  lc_err_prefix(err, "%s: column %d page %zu: mini-block chunk %zu levels: ", c->file->path, (int)c->col,
                pg->idx, ci);
  return rc;
}

/* Whole chunk straight into the accumulator (no repetition, no dictionary). */
static int mb_decode_direct(v21_col *c, v21_page *pg, size_t ci, uint64_t hint_end, lancec_error *err) {
  const v21_chunk *ch = &pg->chunks[ci];
  const uint8_t *p = NULL;
  LC_TRY(win_get(c, pg, ch->off, ch->size, hint_end, &p, err));
  mb_chunk_view v;
  LC_TRY(mb_chunk_view_parse(c, pg, ci, p, &v, err));
  uint64_t n = ch->n_items;
  if (pg->has_def) {
    if (v.n_levels != n)
      return V21_ERR(c, LANCEC_ECORRUPT, "mini-block chunk %zu has %u levels for %llu items", ci,
                     v.n_levels, (unsigned long long)n);
    if (cc_levels_reserve(pg, n)) ENOMEM_RET();
    pg->cc_idx = SIZE_MAX;
    int rc = lc_decode_levels(pg->mb->def_compression, v.def, v.def_size, n, pg->cc_def, err);
    if (rc) {
      lc_err_prefix(err, "%s: column %d page %zu: mini-block chunk %zu levels: ", c->file->path,
                    (int)c->col, pg->idx, ci);
      return rc;
    }
    LC_TRY(acc_levels(c, pg, NULL, pg->cc_def, n, err));
  } else {
    LC_TRY(acc_levels(c, pg, NULL, NULL, n, err));
  }
  v21_acc *a = &c->acc;
  size_t bytes = (size_t)(n * a->vd.bits / 8);
  if (lc_buf_reserve(&a->data, bytes + 8192)) ENOMEM_RET();
  lc_values vals;
  memset(&vals, 0, sizeof(vals));
  vals.data = a->data.data + a->data.len;
  vals.data_cap = a->data.cap - a->data.len;
  int rc = lc_decode_miniblock(pg->mb->value_compression, v.bufs, v.sizes, (size_t)pg->mb->num_buffers,
                               n, &vals, err);
  if (rc) {
    if (vals.borrowed_data) vals.data = NULL;
    lc_values_free(&vals);
    lc_err_prefix(err, "%s: column %d page %zu: mini-block chunk %zu: ", c->file->path, (int)c->col,
                  pg->idx, ci);
    return rc;
  }
  if (vals.borrowed_data && vals.data == a->data.data + a->data.len && vals.kind == LC_VALUES_FIXED &&
      vals.bits_per_value == a->vd.bits && vals.n >= n) {
    a->data.len += bytes;
    /* fsl validity, if any, still comes separately */
    for (int k = 0; k < a->vd.n_fsl; k++) {
      uint64_t cm = fsl_cum(&a->vd, k);
      const uint8_t *src = k < vals.n_fsl ? vals.fsl_validity[k] : NULL;
      if (src) {
        if (!a->fslv_on[k]) {
          if (bits_fill(&a->fslv[k], 0, a->n_items * cm, true)) rc = LANCEC_ENOMEM;
          a->fslv_on[k] = true;
        }
        if (!rc && bits_append(&a->fslv[k], a->n_items * cm, src, 0, n * cm)) rc = LANCEC_ENOMEM;
      } else if (a->fslv_on[k]) {
        if (bits_fill(&a->fslv[k], a->n_items * cm, n * cm, true)) rc = LANCEC_ENOMEM;
      }
    }
    a->n_items += n;
    vals.data = NULL;
    vals.borrowed_data = false;
    lc_values_free(&vals);
    if (rc) ENOMEM_RET();
    return 0;
  }
  if (vals.borrowed_data) {
    /* decoded into our buffer but not in the expected shape: copy out via
     * the generic path (data still lives in a->data beyond len) */
    lc_values tmp = vals;
    size_t have = (size_t)((tmp.n * tmp.bits_per_value + 7) / 8);
    tmp.data = lc_malloc(have + 8);
    if (!tmp.data) ENOMEM_RET();
    memcpy(tmp.data, vals.data, have);
    tmp.borrowed_data = false;
    vals.data = NULL;
    vals.borrowed_data = false;
    lc_values_free(&vals);
    rc = acc_values(c, a, &tmp, 0, n, err);
    lc_values_free(&tmp);
    return rc;
  }
  rc = acc_values(c, a, &vals, 0, n, err);
  lc_values_free(&vals);
  return rc;
}

static size_t mb_find_item_chunk(const v21_page *pg, uint64_t item) {
  size_t lo = 0, hi = pg->n_chunks;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (pg->chunks[mid].first_item <= item) lo = mid;
    else hi = mid;
  }
  return lo;
}

static size_t mb_find_row_chunk(const v21_page *pg, uint64_t row) {
  /* last chunk with first_row <= row and starts > 0 covering row */
  size_t lo = 0, hi = pg->n_chunks;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (pg->chunks[mid].first_row <= row) lo = mid;
    else hi = mid;
  }
  while (lo > 0 && (pg->chunks[lo].starts == 0 || pg->chunks[lo].first_row > row)) lo--;
  while (lo + 1 < pg->n_chunks && pg->chunks[lo].first_row + pg->chunks[lo].starts <= row) lo++;
  return lo;
}

/* Append levels [a, b) of the cached chunk and their items. */
static int mb_append_cached(v21_col *c, v21_page *pg, uint64_t a, uint64_t b, lancec_error *err) {
  const uint16_t *def = pg->has_def ? pg->cc_def : NULL;
  uint64_t ilo = count_visible(def, a, pg->page_vis_def);
  uint64_t in = count_visible(def ? def + a : NULL, b - a, pg->page_vis_def);
  LC_TRY(acc_levels(c, pg, pg->has_rep ? pg->cc_rep + a : NULL, def ? def + a : NULL, b - a, err));
  return col_items(c, pg, &pg->cc_vals, ilo, in, err);
}

static int mb_read(v21_col *c, v21_page *pg, uint64_t lo, uint64_t hi, lancec_error *err) {
  if (lo >= hi || pg->n_chunks == 0) {
    if (lo < hi) return V21_ERR(c, LANCEC_ECORRUPT, "page has no chunks");
    return 0;
  }
  if (!pg->has_rep) {
    /* rows = items (also for a list page without repetition levels) */
    size_t ci = mb_find_item_chunk(pg, lo);
    uint64_t hint_end = 0;
    {
      size_t cj = mb_find_item_chunk(pg, hi - 1);
      hint_end = pg->chunks[cj].off + pg->chunks[cj].size;
    }
    while (lo < hi) {
      if (ci >= pg->n_chunks) return V21_ERR(c, LANCEC_ECORRUPT, "rows past the last chunk");
      const v21_chunk *ch = &pg->chunks[ci];
      uint64_t a = lo - ch->first_item;
      uint64_t b = (hi < ch->first_item + ch->n_items ? hi : ch->first_item + ch->n_items) - ch->first_item;
      bool whole = a == 0 && b == ch->n_items;
      v21_acc *acc = &c->acc;
      bool direct = whole && !pg->has_dict && !c->is_dict_out && acc->vd.kind == VK_FIXED &&
                    (acc->vd.bits % 8 == 0 || (acc->n_items * acc->vd.bits) % 8 == 0) &&
                    acc->vd.bits % 8 == 0 && pg->cc_idx != ci;
      if (direct) {
        LC_TRY(mb_decode_direct(c, pg, ci, hint_end, err));
      } else {
        LC_TRY(mb_decode_cached(c, pg, ci, hint_end, err));
        LC_TRY(mb_append_cached(c, pg, a, b, err));
      }
      lo = ch->first_item + b;
      ci++;
    }
    return 0;
  }
  /* with repetition: find the chunk where row `lo` starts, then count row
   * starts (rep == max_rep) */
  size_t ci = pg->no_repidx ? 0 : mb_find_row_chunk(pg, lo);
  uint64_t skip = pg->no_repidx ? lo : lo - pg->chunks[ci].first_row;
  uint64_t need = hi - lo;
  uint64_t hint_end = 0;
  if (!pg->no_repidx) {
    size_t cj = mb_find_row_chunk(pg, hi - 1);
    while (cj + 1 < pg->n_chunks && pg->chunks[cj + 1].starts == 0) cj++;
    if (cj + 1 < pg->n_chunks) cj++;
    hint_end = pg->chunks[cj].off + pg->chunks[cj].size;
  }
  uint16_t mr = c->max_rep;
  bool started = false;
  uint64_t got = 0; /* rows started in the output */
  for (; ci < pg->n_chunks; ci++) {
    LC_TRY(mb_decode_cached(c, pg, ci, hint_end, err));
    uint64_t n = pg->cc_levels;
    const uint16_t *rep = pg->cc_rep;
    uint64_t i = 0;
    if (!started) {
      /* skip `skip` row starts (and any preamble) */
      uint64_t seen = 0;
      for (; i < n; i++)
        if (rep[i] == mr) {
          if (seen == skip) break;
          seen++;
        }
      skip -= seen;
      if (i == n) continue;
      started = true;
    }
    uint64_t a = i;
    for (; i < n; i++)
      if (rep[i] == mr) {
        if (got == need) break;
        got++;
      }
    LC_TRY(mb_append_cached(c, pg, a, i, err));
    if (i < n) return 0; /* found the start of the row after the range */
  }
  if (!started || got != need)
    return V21_ERR(c, LANCEC_ECORRUPT, "rows [%llu, %llu) not found in the page's levels",
                   (unsigned long long)lo, (unsigned long long)hi);
  return 0;
}

/* ---- full-zip ---- */

static int fz_prepare(v21_col *c, v21_page *pg, const Lance__Encodings21__FullZipLayout *fz,
                      lancec_error *err) {
  pg->kind = PL_FULLZIP;
  pg->fz = fz;
  LC_TRY(v21_page_defmap(c, pg, fz->layers, fz->n_layers, err));
  if (fz->bits_rep > 16 || fz->bits_def > 16)
    return V21_ERR(c, LANCEC_ECORRUPT, "full-zip control word bits %u/%u", fz->bits_rep, fz->bits_def);
  uint32_t cwb = fz->bits_rep + fz->bits_def;
  pg->cw_bytes = cwb == 0 ? 0 : cwb <= 8 ? 1 : cwb <= 16 ? 2 : 4;
  pg->bits_def = fz->bits_def;
  pg->has_rep = fz->bits_rep > 0;
  pg->has_def = fz->bits_def > 0;
  if (pg->has_rep && c->max_rep == 0)
    return V21_ERR(c, LANCEC_ECORRUPT, "page has repetition levels but the field has no list");
  if (!fz->value_compression) return V21_ERR(c, LANCEC_ECORRUPT, "full-zip page without value compression");
  bool var;
  if (fz->details_case == LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_VALUE) {
    var = false;
    if (fz->bits_per_value == 0 || fz->bits_per_value % 8)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip bits_per_value %u is not a positive multiple of 8",
                     fz->bits_per_value);
  } else if (fz->details_case == LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET) {
    var = true;
    if (fz->bits_per_offset != 32 && fz->bits_per_offset != 64)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip bits_per_offset %u", fz->bits_per_offset);
  } else {
    return V21_ERR(c, LANCEC_ECORRUPT, "full-zip page without bits_per_value / bits_per_offset");
  }
  const lc_page_info *pi = pg->pi;
  if (pi->n_buffers < 1) return V21_ERR(c, LANCEC_ECORRUPT, "full-zip page without buffers");
  pg->data_off = pi->buf_off[0];
  pg->data_size = pi->buf_size[0];
  if (var || pg->has_rep) {
    uint64_t rl = 0;
    LC_TRY(read_buffer(c, pg, 1, &pg->repidx, &rl, err));
    uint64_t rows1 = pi->length + 1;
    if (rl % rows1)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip repetition index of %llu bytes for %llu rows",
                     (unsigned long long)rl, (unsigned long long)pi->length);
    uint64_t w = rl / rows1;
    if (w != 1 && w != 2 && w != 4 && w != 8)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip repetition index width %llu", (unsigned long long)w);
    pg->repidx_w = (int)w;
  } else {
    uint64_t stride = (uint64_t)pg->cw_bytes + fz->bits_per_value / 8;
    uint64_t need;
    if (lc_mul_overflow_u64(stride, pi->length, &need) || need > pg->data_size)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip data buffer (%llu bytes) is smaller than %llu rows x %llu",
                     (unsigned long long)pg->data_size, (unsigned long long)pi->length,
                     (unsigned long long)stride);
  }
  return 0;
}

static uint64_t repidx_at(const v21_page *pg, uint64_t r) {
  return load_uint(pg->repidx, (uint64_t)pg->repidx_w * 8, r);
}

static bool enc_is_plain_fixed(const lc_cenc *e) {
  while (e) {
    if (e->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FLAT)
      return true;
    if (e->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_FIXED_SIZE_LIST &&
        e->fixed_size_list && !e->fixed_size_list->has_validity) {
      e = e->fixed_size_list->values;
      continue;
    }
    return false;
  }
  return false;
}

static bool enc_is_plain_var(const lc_cenc *e) {
  return e && e->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE;
}

/* Expand decoded per-child values of the real (non-null) rows into the
 * column's kid accumulators, with placeholders for null visible slots. */
static int vps_expand(v21_col *c, lc_values *kv, size_t nk, const uint8_t *present, uint64_t nvis,
                      lancec_error *err) {
  v21_acc *a = &c->acc;
  for (size_t k = 0; k < nk; k++) {
    v21_acc *ka = &a->kids[k];
    uint64_t vi = 0, i = 0;
    while (i < nvis) {
      uint64_t j = i;
      if (present[i]) {
        while (j < nvis && present[j]) j++;
        LC_TRY(acc_values(c, ka, &kv[k], vi, j - i, err));
        vi += j - i;
      } else {
        while (j < nvis && !present[j]) j++;
        LC_TRY(acc_placeholders(ka, j - i, err));
      }
      i = j;
    }
  }
  a->n_items += nvis;
  return 0;
}

static int fz_read(v21_col *c, v21_page *pg, uint64_t lo, uint64_t hi, lancec_error *err) {
  const Lance__Encodings21__FullZipLayout *fz = pg->fz;
  uint64_t n = hi - lo;
  if (n == 0) return 0;
  bool var = fz->details_case == LANCE__ENCODINGS21__FULL_ZIP_LAYOUT__DETAILS_BITS_PER_OFFSET;
  const lc_cenc *enc = fz->value_compression;
  v21_acc *a = &c->acc;
  if (!var && pg->cw_bytes == 0 && !pg->repidx) {
    /* fixed width, no control words: rows are values */
    uint64_t vb = fz->bits_per_value / 8;
    const uint8_t *p = NULL;
    if (!c->is_dict_out && a->vd.kind == VK_FIXED && a->vd.bits == vb * 8 && enc_is_plain_fixed(enc)) {
      /* plain fixed-width rows (e.g. vectors): read them straight into the
       * output buffer, no window, no second copy */
      uint64_t off, len, end;
      if (lc_mul_overflow_u64(lo, vb, &off) || lc_mul_overflow_u64(n, vb, &len) ||
          lc_add_overflow_u64(off, len, &end) || end > pg->data_size || len > (uint64_t)SIZE_MAX / 2)
        return V21_ERR(c, LANCEC_ECORRUPT, "rows [%llu, %llu) of %llu bytes each extend past data buffer (%llu bytes)",
                       (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)vb,
                       (unsigned long long)pg->data_size);
      LC_TRY(acc_levels(c, pg, NULL, NULL, n, err));
      if (lc_buf_reserve(&a->data, (size_t)len)) ENOMEM_RET();
      int rc = len ? lc_file_read_at(c->file, pg->data_off + off, (size_t)len, a->data.data + a->data.len,
                                     "page data", err)
                   : 0;
      if (rc) {
        lc_err_prefix(err, "column %d page %zu: ", (int)c->col, pg->idx);
        return rc;
      }
      a->data.len += (size_t)len;
      for (int k = 0; k < a->vd.n_fsl; k++)
        if (a->fslv_on[k]) {
          uint64_t cm = fsl_cum(&a->vd, k);
          if (bits_fill(&a->fslv[k], a->n_items * cm, n * cm, true)) ENOMEM_RET();
        }
      a->n_items += n;
      return 0;
    }
    LC_TRY(win_get(c, pg, lo * vb, n * vb, 0, &p, err));
    LC_TRY(acc_levels(c, pg, NULL, NULL, n, err));
    lc_values v;
    memset(&v, 0, sizeof(v));
    int rc = lc_decode_pervalue_fixed(enc, p, n, fz->bits_per_value, &v, err);
    if (rc) {
      lc_values_free(&v);
      lc_err_prefix(err, "%s: column %d page %zu: ", c->file->path, (int)c->col, pg->idx);
      return rc;
    }
    rc = col_items(c, pg, &v, 0, n, err);
    lc_values_free(&v);
    return rc;
  }
  /* byte range of the rows */
  uint64_t b0, b1;
  uint64_t stride = (uint64_t)pg->cw_bytes + (var ? 0 : fz->bits_per_value / 8);
  if (pg->repidx) {
    b0 = repidx_at(pg, lo);
    b1 = repidx_at(pg, hi);
    if (b1 < b0) return V21_ERR(c, LANCEC_ECORRUPT, "full-zip repetition index is not monotonic");
  } else {
    b0 = lo * stride;
    b1 = hi * stride;
  }
  const uint8_t *p = NULL;
  LC_TRY(win_get(c, pg, b0, b1 - b0, 0, &p, err));
  const uint8_t *end = p + (b1 - b0);
  /* parse levels */
  c->t_rep.len = c->t_def.len = c->t_data.len = c->t_offs.len = c->t_present.len = 0;
  uint32_t bd = pg->bits_def;
  uint32_t dmask = bd ? (1u << bd) - 1 : 0;
  uint16_t vis = pg->page_vis_def;
  uint64_t vbytes = var ? 0 : fz->bits_per_value / 8;
  int lw = var ? (int)fz->bits_per_offset / 8 : 0;
  uint64_t nlev = 0, nvis = 0, nreal = 0, rows = 0;
  uint16_t mr = c->max_rep;
  if (var) {
    uint32_t z = 0;
    if (lc_buf_append(&c->t_offs, &z, 4)) ENOMEM_RET();
  }
  while (p < end) {
    uint32_t cw = 0;
    if (pg->cw_bytes) {
      if ((uint64_t)(end - p) < (uint64_t)pg->cw_bytes)
        return V21_ERR(c, LANCEC_ECORRUPT, "full-zip control word truncated");
      cw = pg->cw_bytes == 1 ? p[0] : pg->cw_bytes == 2 ? lc_le16(p) : lc_le32(p);
      p += pg->cw_bytes;
    }
    uint16_t r = (uint16_t)(cw >> bd), d = (uint16_t)(cw & dmask);
    if (!pg->has_rep) r = mr;
    if (r == mr) rows++;
    if (lc_buf_reserve(&c->t_rep, 2) || lc_buf_reserve(&c->t_def, 2)) ENOMEM_RET();
    lc_st16(c->t_rep.data + c->t_rep.len, r);
    lc_st16(c->t_def.data + c->t_def.len, d);
    c->t_rep.len += 2;
    c->t_def.len += 2;
    nlev++;
    if (d > vis) continue;
    nvis++;
    if (!var) {
      if ((uint64_t)(end - p) < vbytes) return V21_ERR(c, LANCEC_ECORRUPT, "full-zip value truncated");
      if (lc_buf_append(&c->t_data, p, (size_t)vbytes)) ENOMEM_RET();
      p += vbytes;
      continue;
    }
    uint8_t present = d == 0;
    if (lc_buf_append(&c->t_present, &present, 1)) ENOMEM_RET();
    if (!present) continue;
    if ((uint64_t)(end - p) < (uint64_t)lw) return V21_ERR(c, LANCEC_ECORRUPT, "full-zip length truncated");
    uint64_t len = lw == 4 ? lc_le32(p) : lc_le64(p);
    p += lw;
    if ((uint64_t)(end - p) < len)
      return V21_ERR(c, LANCEC_ECORRUPT, "full-zip value of %llu bytes extends past its row",
                     (unsigned long long)len);
    if (c->t_data.len + len > UINT32_MAX)
      return V21_ERR(c, LANCEC_EUNSUPPORTED, "more than 4 GiB of values in one read");
    if (lc_buf_append(&c->t_data, p, (size_t)len)) ENOMEM_RET();
    p += len;
    uint32_t o = (uint32_t)c->t_data.len;
    if (lc_buf_append(&c->t_offs, &o, 4)) ENOMEM_RET();
    nreal++;
  }
  if (rows != n)
    return V21_ERR(c, LANCEC_ECORRUPT, "full-zip rows [%llu, %llu): found %llu rows in their bytes",
                   (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)rows);
  LC_TRY(acc_levels(c, pg, pg->has_rep ? (const uint16_t *)(void *)c->t_rep.data : NULL,
                    pg->has_def ? (const uint16_t *)(void *)c->t_def.data : NULL, nlev, err));
  int rc = 0;
  if (!var) {
    if (!c->is_dict_out && a->vd.kind == VK_FIXED && a->vd.bits == vbytes * 8 && enc_is_plain_fixed(enc)) {
      lc_values v;
      memset(&v, 0, sizeof(v));
      v.kind = LC_VALUES_FIXED;
      v.n = nvis;
      v.bits_per_value = vbytes * 8;
      v.data = c->t_data.data;
      v.data_len = c->t_data.len;
      return acc_values(c, a, &v, 0, nvis, err);
    }
    lc_values v;
    memset(&v, 0, sizeof(v));
    rc = lc_decode_pervalue_fixed(enc, c->t_data.data, nvis, fz->bits_per_value, &v, err);
    if (rc) {
      lc_values_free(&v);
      lc_err_prefix(err, "%s: column %d page %zu: ", c->file->path, (int)c->col, pg->idx);
      return rc;
    }
    rc = col_items(c, pg, &v, 0, nvis, err);
    lc_values_free(&v);
    return rc;
  }
  lc_values raw;
  memset(&raw, 0, sizeof(raw));
  raw.kind = LC_VALUES_VARIABLE;
  raw.n = nreal;
  raw.offset_bits = 32;
  raw.offsets = c->t_offs.data;
  raw.data = c->t_data.data;
  raw.data_len = c->t_data.len;
  const uint8_t *present = c->t_present.data;
  if (enc->compression_case == LANCE__ENCODINGS21__COMPRESSIVE_ENCODING__COMPRESSION_VARIABLE_PACKED_STRUCT) {
    if (a->n_kids == 0)
      return V21_ERR(c, LANCEC_ECORRUPT, "variable packed struct page for field '%s' that is not a packed struct",
                     c->field->name);
    lc_values kv[V21_MAX_KIDS];
    memset(kv, 0, sizeof(kv));
    rc = lc_decode_variable_packed_struct(enc, &raw, a->n_kids, kv, err);
    if (rc) {
      for (size_t k = 0; k < a->n_kids; k++) lc_values_free(&kv[k]);
      lc_err_prefix(err, "%s: column %d page %zu: ", c->file->path, (int)c->col, pg->idx);
      return rc;
    }
    rc = vps_expand(c, kv, a->n_kids, present, nvis, err);
    for (size_t k = 0; k < a->n_kids; k++) lc_values_free(&kv[k]);
    return rc;
  }
  lc_values dec;
  lc_values *v = &raw;
  memset(&dec, 0, sizeof(dec));
  bool own = false;
  if (!enc_is_plain_var(enc)) {
    rc = lc_decode_pervalue_variable(enc, &raw, &dec, err);
    if (rc) {
      lc_values_free(&dec);
      lc_err_prefix(err, "%s: column %d page %zu: ", c->file->path, (int)c->col, pg->idx);
      return rc;
    }
    v = &dec;
    own = true;
  }
  /* merge present values with empty placeholders */
  uint64_t vi = 0, i = 0;
  while (i < nvis && !rc) {
    uint64_t j = i;
    if (present[i]) {
      while (j < nvis && present[j]) j++;
      rc = col_items(c, pg, v, vi, j - i, err);
      vi += j - i;
    } else {
      while (j < nvis && !present[j]) j++;
      rc = col_const_items(c, NULL, 0, false, j - i, err);
    }
    i = j;
  }
  if (own) lc_values_free(&dec);
  return rc;
}

/* ---- constant / all-null ---- */

static int decode_level_buf(v21_col *c, v21_page *pg, size_t b, const lc_cenc *enc, bool has_n,
                            uint64_t n_given, uint16_t **out, uint64_t *n_out, lancec_error *err) {
  *out = NULL;
  *n_out = 0;
  if (pg->pi->buf_size[b] == 0) return 0;
  uint8_t *buf = NULL;
  uint64_t len = 0;
  LC_TRY(read_buffer(c, pg, b, &buf, &len, err));
  uint64_t n;
  if (enc) {
    if (!has_n) {
      lc_free(buf);
      return V21_ERR(c, LANCEC_ECORRUPT, "compressed constant-page levels without a level count");
    }
    n = n_given;
  } else {
    if (len % 2) {
      lc_free(buf);
      return V21_ERR(c, LANCEC_ECORRUPT, "raw level buffer of odd size %llu", (unsigned long long)len);
    }
    n = len / 2;
  }
  if (n > ((uint64_t)1 << 34)) {
    lc_free(buf);
    return V21_ERR(c, LANCEC_ECORRUPT, "level count %llu is implausible", (unsigned long long)n);
  }
  uint16_t *lv = lc_malloc((size_t)n * 2 + 2);
  if (!lv) {
    lc_free(buf);
    ENOMEM_RET();
  }
  int rc = lc_decode_levels(enc, buf, len, n, lv, err);
  lc_free(buf);
  if (rc) {
    lc_free(lv);
    lc_err_prefix(err, "%s: column %d page %zu: levels: ", c->file->path, (int)c->col, pg->idx);
    return rc;
  }
  *out = lv;
  *n_out = n;
  return 0;
}

static int const_prepare(v21_col *c, v21_page *pg, const Lance__Encodings21__ConstantLayout *cl,
                         lancec_error *err) {
  pg->kind = PL_CONST;
  pg->cl = cl;
  LC_TRY(v21_page_defmap(c, pg, cl->layers, cl->n_layers, err));
  size_t nb = pg->pi->n_buffers;
  bool inl = cl->has_inline_value;
  size_t vbuf = SIZE_MAX, lbuf = SIZE_MAX;
  if (!inl && nb == 0) {
  } else if (!inl && nb == 2) {
    lbuf = 0;
  } else if (!inl && nb == 1) {
    vbuf = 0;
  } else if (!inl && nb == 3) {
    vbuf = 0;
    lbuf = 1;
  } else if (inl && nb == 0) {
  } else if (inl && nb == 2) {
    lbuf = 0;
  } else {
    return V21_ERR(c, LANCEC_ECORRUPT, "constant layout with %s inline value and %zu buffers",
                   inl ? "an" : "no", nb);
  }
  const v21_acc *a = c->is_dict_out ? c->acc.dict : &c->acc;
  if (inl) {
    pg->c_has_value = true;
    pg->c_value_len = cl->inline_value.len;
    pg->c_value = lc_malloc(pg->c_value_len + 1);
    if (!pg->c_value) ENOMEM_RET();
    if (pg->c_value_len) memcpy(pg->c_value, cl->inline_value.data, pg->c_value_len);
  } else if (vbuf != SIZE_MAX) {
    uint8_t *buf = NULL;
    uint64_t len = 0;
    LC_TRY(read_buffer(c, pg, vbuf, &buf, &len, err));
    /* u32 n | n x u32 len | bytes */
    int rc = 0;
    if (len < 4) rc = 1;
    uint32_t n = rc ? 0 : lc_le32(buf);
    uint64_t hdr = 4 + 4ull * n, total = 0;
    if (!rc && (n == 0 || n > 8 || hdr > len)) rc = 1;
    uint64_t lens[8] = {0};
    for (uint32_t i = 0; !rc && i < n; i++) {
      lens[i] = lc_le32(buf + 4 + 4 * i);
      total += lens[i];
    }
    if (!rc && hdr + total != len) rc = 1;
    if (rc) {
      lc_free(buf);
      return V21_ERR(c, LANCEC_ECORRUPT, "malformed constant value buffer (%llu bytes)",
                     (unsigned long long)len);
    }
    const uint8_t *b0 = buf + hdr;
    if (a->vd.kind == VK_VAR) {
      if (n != 2 || (lens[0] != 8 && lens[0] != 16)) {
        lc_free(buf);
        return V21_ERR(c, LANCEC_ECORRUPT, "constant value buffer is not a binary scalar");
      }
      uint64_t s0 = lens[0] == 8 ? lc_le32(b0) : lc_le64(b0);
      uint64_t s1 = lens[0] == 8 ? lc_le32(b0 + 4) : lc_le64(b0 + 8);
      if (s0 > s1 || s1 > lens[1]) {
        lc_free(buf);
        return V21_ERR(c, LANCEC_ECORRUPT, "constant value offsets out of range");
      }
      pg->c_value_len = (size_t)(s1 - s0);
      pg->c_value = lc_malloc(pg->c_value_len + 1);
      if (pg->c_value) memcpy(pg->c_value, b0 + lens[0] + s0, pg->c_value_len);
    } else {
      /* fixed: the last buffer holds the value bytes */
      const uint8_t *vb = b0;
      for (uint32_t i = 0; i + 1 < n; i++) vb += lens[i];
      pg->c_value_len = (size_t)lens[n - 1];
      pg->c_value = lc_malloc(pg->c_value_len + 1);
      if (pg->c_value) memcpy(pg->c_value, vb, pg->c_value_len);
    }
    lc_free(buf);
    if (!pg->c_value) ENOMEM_RET();
    pg->c_has_value = true;
  }
  if (lbuf != SIZE_MAX) {
    uint64_t nr = 0, nd = 0;
    LC_TRY(decode_level_buf(c, pg, lbuf, cl->rep_compression, cl->has_num_rep_values, cl->num_rep_values,
                            &pg->crep, &nr, err));
    LC_TRY(decode_level_buf(c, pg, lbuf + 1, cl->def_compression, cl->has_num_def_values,
                            cl->num_def_values, &pg->cdef, &nd, err));
    if (pg->crep && pg->cdef && nr != nd)
      return V21_ERR(c, LANCEC_ECORRUPT, "%llu repetition but %llu definition levels",
                     (unsigned long long)nr, (unsigned long long)nd);
    pg->c_levels = pg->crep ? nr : nd;
    if (pg->crep && c->max_rep == 0)
      return V21_ERR(c, LANCEC_ECORRUPT, "page has repetition levels but the field has no list");
    pg->has_rep = pg->crep != NULL;
    pg->has_def = pg->cdef != NULL;
  }
  uint64_t rows = pg->pi->length;
  if (pg->has_rep) {
    pg->row_start = lc_malloc((size_t)(rows + 1) * 8);
    if (!pg->row_start) ENOMEM_RET();
    uint64_t r = 0;
    for (uint64_t i = 0; i < pg->c_levels; i++)
      if (pg->crep[i] == c->max_rep) {
        if (r >= rows) return V21_ERR(c, LANCEC_ECORRUPT, "more rows in the levels than in the page");
        pg->row_start[r++] = i;
      }
    if (r != rows || (rows && pg->row_start[0] != 0))
      return V21_ERR(c, LANCEC_ECORRUPT, "levels hold %llu rows, the page %llu", (unsigned long long)r,
                     (unsigned long long)rows);
    pg->row_start[rows] = pg->c_levels;
  } else if (lbuf != SIZE_MAX && pg->c_levels && pg->c_levels != rows) {
    return V21_ERR(c, LANCEC_ECORRUPT, "%llu levels for %llu rows", (unsigned long long)pg->c_levels,
                   (unsigned long long)rows);
  }
  return 0;
}

static int const_read(v21_col *c, v21_page *pg, uint64_t lo, uint64_t hi, lancec_error *err) {
  uint64_t n = hi - lo;
  if (n == 0) return 0;
  uint64_t nvis;
  if (pg->has_rep || pg->has_def) {
    uint64_t a = pg->has_rep ? pg->row_start[lo] : lo;
    uint64_t b = pg->has_rep ? pg->row_start[hi] : hi;
    const uint16_t *def = pg->cdef ? pg->cdef + a : NULL;
    LC_TRY(acc_levels(c, pg, pg->crep ? pg->crep + a : NULL, def, b - a, err));
    nvis = count_visible(def, b - a, pg->page_vis_def);
  } else if (pg->c_has_value) {
    LC_TRY(acc_levels_fill(c, 0, n, err));
    nvis = n;
  } else {
    /* all null without levels: null at the outermost nullable layer */
    uint16_t code = 0;
    for (int k = pg->n_layers - 1; k >= 0 && !code; k--) {
      Lance__Encodings21__RepDefLayer kind = pg->cl->layers[k];
      if (kind != LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_ITEM &&
          kind != LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST) {
        int j = c->L - 1 - k;
        code = (uint16_t)(c->base_inner[j] + 1);
        if (kind == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST) code++;
      }
    }
    if (code == 0 && c->kind != CK_EMPTY_STRUCT) code = (uint16_t)(c->base_inner[c->L - 1] + 1);
    LC_TRY(acc_levels_fill(c, code, n, err));
    nvis = code > c->canon_vis_def ? 0 : n;
  }
  return col_const_items(c, pg->c_value, pg->c_value_len, pg->c_has_value, nvis, err);
}

/* ---- legacy blob ---- */

static int blob_prepare(v21_col *c, v21_page *pg, const Lance__Encodings21__BlobLayout *bl,
                        lancec_error *err) {
  if (!bl->inner_layout ||
      bl->inner_layout->layout_case != LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT)
    return V21_ERR(c, LANCEC_EUNSUPPORTED, "blob layout whose inner layout is not mini-block");
  if (c->L != 1 || bl->n_layers != 1)
    return V21_ERR(c, LANCEC_EUNSUPPORTED, "nested legacy blob columns are not supported");
  LC_TRY(mb_prepare(c, pg, bl->inner_layout->mini_block_layout, err));
  pg->kind = PL_BLOB;
  pg->bl = bl;
  pg->blob_desc = lc_calloc(1, sizeof(v21_acc));
  if (!pg->blob_desc) ENOMEM_RET();
  v21_vdesc vd = {.kind = VK_FIXED, .bits = 128};
  v21_acc_init(pg->blob_desc, &vd);
  return 0;
}

static int blob_read(v21_col *c, v21_page *pg, uint64_t lo, uint64_t hi, lancec_error *err) {
  v21_acc saved = c->acc;
  bool dict_out = c->is_dict_out;
  c->is_dict_out = false;
  v21_acc_clear(pg->blob_desc);
  c->acc = *pg->blob_desc;
  int rc = mb_read(c, pg, lo, hi, err);
  *pg->blob_desc = c->acc;
  c->acc = saved;
  c->is_dict_out = dict_out;
  if (rc) return rc;
  v21_acc *d = pg->blob_desc;
  uint64_t n = d->n_items;
  if (n != hi - lo) return V21_ERR(c, LANCEC_ECORRUPT, "blob descriptors: %llu for %llu rows",
                                   (unsigned long long)n, (unsigned long long)(hi - lo));
  v21_acc *a = &c->acc;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t pos = lc_le64(d->data.data + 16 * i), size = lc_le64(d->data.data + 16 * i + 8);
    if (size == 0 && pos != 0) {
      uint16_t code = (pos >> 16) ? (uint16_t)(c->base_inner[0] + 1) : 0;
      LC_TRY(acc_levels_fill(c, code, 1, err));
      LC_TRY(acc_placeholders(a, 1, err));
      continue;
    }
    LC_TRY(acc_levels_fill(c, 0, 1, err));
    uint64_t e;
    if (lc_add_overflow_u64(pos, size, &e) || e > c->file->size)
      return V21_ERR(c, LANCEC_ECORRUPT, "blob [%llu, +%llu) extends past the end of the file",
                     (unsigned long long)pos, (unsigned long long)size);
    LC_TRY(var_begin(a, 1, size, err));
    if (size) LC_TRY(lc_file_read_at(c->file, pos, size, a->data.data + a->data.len, "blob", err));
    a->data.len += (size_t)size;
    offs_put(a, a->data.len);
    a->n_items++;
  }
  return 0;
}

/* ======================================================================
 * column reads
 * ==================================================================== */

static int page_prepare(v21_col *c, size_t p, lancec_error *err) {
  if (c->pg.idx == p) return 0;
  v21_page_reset(&c->pg);
  v21_page *pg = &c->pg;
  pg->idx = p;
  pg->pi = &c->file->cols[c->col].pages[p];
  v21_layout_pb *lay = pg->pi->layout;
  int rc;
  if (!lay) return V21_ERR(c, LANCEC_ECORRUPT, "page has no layout");
  switch (lay->layout_case) {
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_MINI_BLOCK_LAYOUT:
      rc = mb_prepare(c, pg, lay->mini_block_layout, err);
      break;
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_FULL_ZIP_LAYOUT:
      rc = fz_prepare(c, pg, lay->full_zip_layout, err);
      break;
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_CONSTANT_LAYOUT:
      rc = const_prepare(c, pg, lay->constant_layout, err);
      break;
    case LANCE__ENCODINGS21__PAGE_LAYOUT__LAYOUT_BLOB_LAYOUT:
      rc = blob_prepare(c, pg, lay->blob_layout, err);
      break;
    default:
      rc = V21_ERR(c, LANCEC_EUNSUPPORTED, "unknown page layout %d", (int)lay->layout_case);
  }
  if (rc) {
    v21_page_reset(&c->pg);
    return rc;
  }
  return 0;
}

static size_t find_page(const lc_column_info *ci, uint64_t row) {
  size_t lo = 0, hi = ci->n_pages;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (ci->pages[mid].first_row <= row) lo = mid;
    else hi = mid;
  }
  while (lo + 1 < ci->n_pages && ci->pages[lo].length == 0) lo++;
  return lo;
}

int v21_col_read(v21_col *c, uint64_t start, uint64_t count, lancec_error *err) {
  const lc_column_info *ci = &c->file->cols[c->col];
  uint64_t end = start + count;
  if (end > ci->total_rows)
    return lc_err(err, LANCEC_ECORRUPT, "%s: column %d has %llu rows, rows up to %llu requested",
                  c->file->path, (int)c->col, (unsigned long long)ci->total_rows,
                  (unsigned long long)end);
  if (count == 0) return 0;
  /* fixed-width values: the output buffer in one allocation (a pooled one when a scan runs) */
  if (c->acc.vd.kind == VK_FIXED && c->acc.vd.bits % 8 == 0 && c->acc.data.len == 0 && !c->acc.dict)
    if (lc_buf_reserve(&c->acc.data, (size_t)(count * (c->acc.vd.bits / 8)))) ENOMEM_RET();
  size_t p = c->pg.idx != SIZE_MAX && c->pg.idx < ci->n_pages &&
                     ci->pages[c->pg.idx].first_row <= start &&
                     start < ci->pages[c->pg.idx].first_row + ci->pages[c->pg.idx].length
                 ? c->pg.idx
                 : find_page(ci, start);
  while (start < end) {
    if (p >= ci->n_pages) return lc_err(err, LANCEC_ECORRUPT, "%s: column %d: rows past the last page",
                                        c->file->path, (int)c->col);
    const lc_page_info *pi = &ci->pages[p];
    if (pi->length == 0 || start >= pi->first_row + pi->length) {
      p++;
      continue;
    }
    LC_TRY(page_prepare(c, p, err));
    uint64_t lo = start - pi->first_row;
    uint64_t hi = (end < pi->first_row + pi->length ? end : pi->first_row + pi->length) - pi->first_row;
    int rc;
    switch (c->pg.kind) {
      case PL_MINI: rc = mb_read(c, &c->pg, lo, hi, err); break;
      case PL_FULLZIP: rc = fz_read(c, &c->pg, lo, hi, err); break;
      case PL_CONST: rc = const_read(c, &c->pg, lo, hi, err); break;
      case PL_BLOB: rc = blob_read(c, &c->pg, lo, hi, err); break;
      default: rc = V21_ERR(c, LANCEC_EINTERNAL, "page not prepared");
    }
    if (rc) return rc;
    start = pi->first_row + hi;
    p++;
  }
  return 0;
}
