/* Page encoding for the data-file writer: layer kinds and def-code mapping
 * (file-format-2.1.md §3.1), layout choice (§3.2), mini-block chunking
 * (§3.4, 2.2 large-chunk grammar: file-format-2.2.md §4), full-zip (§3.5),
 * all-null (§3.6), and the Page protobuf. See docs/writer.md. */
#include "file/writer_internal.h"

#define OOM(err) lc_err(err, LANCEC_ENOMEM, "out of memory")
#define W_FALLBACK 1 /* mini-block does not fit: use full-zip */
#ifndef W_USE_FSST
#define W_USE_FSST 1
#endif

typedef struct pagectx {
  lc_file_writer *w;
  wcol *c;
  uint16_t *def;     /* mapped def codes (NULL: all zero) */
  const uint16_t *rep;
  uint64_t n_levels, n_items;
  uint64_t layers[WMAXD];
  int n_layers;
  unsigned max_def, max_vis_def, max_def_present;
  /* output */
  uint64_t buf_pos[4], buf_size[4];
  int n_bufs;
  lc_pbw layout; /* PageLayout */
} pagectx;

/* ---- layers ---- */

static void compute_layers(pagectx *p) {
  wcol *c = p->c;
  uint16_t map[2 * WMAXD + 2];
  memset(map, 0, sizeof map);
  unsigned base = 0;
  bool seen_list = false;
  p->max_vis_def = 0;
  for (int k = 0; k < c->depth; k++) {
    int j = c->depth - 1 - k;
    int t = c->ntype[j];
    if (t == WN_LIST || t == WN_LARGE_LIST || t == WN_MAP) {
      if (!seen_list) p->max_vis_def = base;
      seen_list = true;
      bool nl = c->seen_null[j], em = c->seen_empty[j];
      p->layers[k] = nl && em ? 6 : nl ? 4 : em ? 5 : 2;
      if (nl) map[c->raw_null[j]] = (uint16_t)(base + 1);
      if (em) map[c->raw_empty[j]] = (uint16_t)(base + (nl ? 2 : 1));
      base += (unsigned)nl + (unsigned)em;
    } else {
      bool nl = c->seen_null[j];
      p->layers[k] = nl ? 3 : 1;
      if (nl) map[c->raw_null[j]] = (uint16_t)(base + 1);
      base += nl;
    }
  }
  p->n_layers = c->depth;
  p->max_def = base;
  if (!seen_list) p->max_vis_def = base;
  p->def = c->def_mat ? (uint16_t *)c->def.data : NULL;
  p->max_def_present = 0;
  if (p->def) {
    uint16_t mx = 0;
    for (uint64_t i = 0; i < p->n_levels; i++) {
      uint16_t d = map[p->def[i]];
      p->def[i] = d;
      if (d > mx) mx = d;
    }
    p->max_def_present = mx;
    if (mx == 0) p->def = NULL;
  }
  p->rep = c->max_rep ? (const uint16_t *)c->rep.data : NULL;
}

static void pb_layers(lc_pbw *out, unsigned field, const pagectx *p) {
  lc_pb_packed(out, field, p->layers, (size_t)p->n_layers);
}

static int put_buf(pagectx *p, const void *data, size_t len, lancec_error *err) {
  int i = p->n_bufs++;
  p->buf_size[i] = len;
  return lc_w_write_buffer(p->w, data, len, &p->buf_pos[i], err);
}

static inline bool visible(const pagectx *p, uint64_t l) { return !p->def || p->def[l] <= p->max_vis_def; }

/* ---- all-null ---- */

static int page_all_null(pagectx *p, bool simple, lancec_error *err) {
  lc_pbw an = {0};
  if (simple) {
    uint64_t l = 3; /* [NULLABLE_ITEM] */
    lc_pb_packed(&an, 5, &l, 1);
  } else {
    pb_layers(&an, 5, p);
    LC_TRY(put_buf(p, p->rep, p->rep ? (size_t)p->n_levels * 2 : 0, err));
    LC_TRY(put_buf(p, p->def, p->def ? (size_t)p->n_levels * 2 : 0, err));
  }
  lc_pb_msg(&p->layout, 2, &an);
  lc_pbw_free(&an);
  return 0;
}

/* ---- mini-block ---- */

typedef enum { MV_FLAT, MV_BOOL, MV_BP, MV_VAR, MV_FSL, MV_RLE } mv_kind;

typedef struct mbvals {
  mv_kind kind;
  unsigned bytes; /* FLAT / BP: bytes per value; FSL: bytes per item */
  uint64_t dim;
  int n_fslval;         /* FSL: validity layers (outermost first) */
  const uint8_t *data; /* FLAT/BP/FSL bytes, BOOL bitmap, VAR bytes */
  const uint64_t *ends; /* VAR */
  const uint8_t *fslval[8]; /* FSL: item validity bitmap per validity layer */
  uint64_t fslval_cum[8];   /* ... and its cumulative dim (bits per row) */
  int off_bits;
  uint64_t n;
} mbvals;

static inline bool val_eq(const uint8_t *a, const uint8_t *b, unsigned w) {
  switch (w) {
    case 1: return *a == *b;
    case 2: return lc_le16(a) == lc_le16(b);
    case 4: return lc_le32(a) == lc_le32(b);
    default: return lc_le64(a) == lc_le64(b);
  }
}

/* RLE chunk (2.1 §4.6): the largest power of two k <= 4096 items from i whose
 * runs (split at 255) take <= 8186 bytes as values + lengths; all the rest if it fits. */
static uint64_t rle_chunk_items(const mbvals *v, uint64_t i) {
  uint64_t rem = v->n - i, lim = rem < 4096 ? rem : 4096;
  unsigned w = v->bytes;
  const uint8_t *d = v->data + i * w;
  uint64_t runs = 1, runlen = 1, best = 0;
  for (uint64_t k = 1; k <= lim; k++) {
    /* items [0, k) have `runs` runs */
    if (runs * (w + 1) > 8186) break;
    if ((k & (k - 1)) == 0 && k >= 2) best = k;
    if (k == rem) return rem; /* everything left fits */
    if (k == lim) break;
    if (val_eq(d + k * w, d + (k - 1) * w, w) && runlen < 255) {
      runlen++;
    } else {
      runs++;
      runlen = 1;
    }
  }
  return best ? best : (rem < 2 ? rem : 2);
}

/* Encode items [i, i+cnt) as run values (vals) + u8 run lengths (lens); returns the run count. */
static size_t rle_encode(const mbvals *v, uint64_t i, uint64_t cnt, uint8_t *vals, uint8_t *lens) {
  unsigned w = v->bytes;
  const uint8_t *d = v->data + i * w;
  size_t r = 0;
  uint64_t k = 0;
  while (k < cnt) {
    uint64_t j = k + 1;
    while (j < cnt && j - k < 255 && val_eq(d + j * w, d + k * w, w)) j++;
    memcpy(vals + r * w, d + k * w, w);
    lens[r++] = (uint8_t)(j - k);
    k = j;
  }
  return r;
}

/* Total RLE bytes of a page (runs split at 255), for the size comparison. */
static uint64_t rle_size(const uint8_t *data, uint64_t n, unsigned w) {
  if (n == 0) return 0;
  uint64_t runs = 1, runlen = 1;
  for (uint64_t k = 1; k < n; k++) {
    if (runlen < 255 && val_eq(data + k * w, data + (k - 1) * w, w)) runlen++;
    else runs++, runlen = 1;
  }
  return runs * (w + 1) + (n / 4096 + 1) * 16;
}

/* items in the chunk starting at item i */
static uint64_t chunk_items(const mbvals *v, uint64_t i) {
  uint64_t rem = v->n - i;
  switch (v->kind) {
    case MV_BOOL: return rem < 4096 ? rem : 4096;
    case MV_BP: return rem < 1024 ? rem : 1024;
    case MV_RLE: return rle_chunk_items(v, i);
    case MV_VAR: {
      uint64_t w = (uint64_t)v->off_bits / 8;
      uint64_t s0 = i ? v->ends[i - 1] : 0;
      if (rem <= 4096 && (rem + 1) * w + (v->ends[v->n - 1] - s0) <= 4096) return rem;
      uint64_t k = 2;
      while (2 * k <= rem && 2 * k <= 4096 && (2 * k + 1) * w + (v->ends[i + 2 * k - 1] - s0) <= 4096) k *= 2;
      return k < rem ? k : rem;
    }
    default: {
      /* §4.1: double while 2 * chunk bytes < 8186 and 2 * values <= 4096 (row incl. validity bits) */
      uint64_t bits = (uint64_t)v->bytes * 8;
      if (v->kind == MV_FSL) {
        bits = v->dim * v->bytes * 8;
        for (int k = 0; k < v->n_fslval; k++) bits += v->fslval_cum[k];
      }
      uint64_t k = 2;
      while (2 * k * bits < 8186 * 8 && 2 * k <= 4096) k *= 2;
      return k < rem ? k : rem;
    }
  }
}

static inline size_t pad8(size_t n) { return (8 - (n & 7)) & 7; }

static int mb_append(lc_buf *b, const void *d, size_t n, uint8_t fill) {
  if (lc_buf_append(b, d, n)) return -1;
  size_t p = pad8(b->len);
  if (p) {
    if (lc_buf_reserve(b, p)) return -1;
    memset(b->data + b->len, fill, p);
    b->len += p;
  }
  return 0;
}

static unsigned bitlen(uint64_t v) { return lc_bitlen64(v); }

static int page_miniblock(pagectx *p, const mbvals *v, const lc_pbw *value_ce, const void *dict, size_t dict_len,
                          const lc_pbw *dict_ce, uint64_t n_dict, lancec_error *err) {
  lc_file_writer *w = p->w;
  bool large = w->minor >= 2;
  bool has_rep = p->rep != NULL, has_def = p->def != NULL;
  unsigned wrep = has_rep ? bitlen((uint64_t)p->c->max_rep) : 0;
  unsigned wdef = has_def ? bitlen(p->max_def_present) : 0;
  int nbufs = v->kind == MV_RLE ? 2 : v->kind == MV_FSL ? 1 + v->n_fslval : 1;
  lc_buf *meta = &w->p_a, *data = &w->p_b, *scratch = &w->p_c;
  meta->len = data->len = 0;
  lc_buf ri = {0};
  uint64_t lv = 0;
  uint64_t max_rep = (uint64_t)p->c->max_rep;
  uint64_t prev_partial = 0;
  size_t prev_ri = 0;
  int rc = 0;
  for (uint64_t it = 0; it < v->n || (it == 0 && v->n == 0);) {
    uint64_t cnt = chunk_items(v, it);
    bool last = it + cnt >= v->n;
    /* levels of this chunk */
    uint64_t l0 = lv, l1;
    if (!has_rep) {
      l1 = l0 + cnt;
    } else if (last) {
      l1 = p->n_levels;
    } else {
      uint64_t seen = 0, l = l0;
      while (seen < cnt) {
        if (visible(p, l)) seen++;
        l++;
      }
      l1 = l;
    }
    uint64_t nl = l1 - l0;
    if ((has_rep || has_def) && nl > 65535) {
      rc = W_FALLBACK;
      break;
    }
    /* encode the level buffers */
    size_t lvcap = (size_t)nl * 2 + 128 * 16 + 16;
    if (lc_buf_reserve(scratch, 2 * lvcap + 9 * 4096 + 64 - scratch->len)) { rc = OOM(err); break; }
    uint8_t *repb = scratch->data, *defb = scratch->data + lvcap;
    size_t rep_sz = has_rep ? lc_enc_ool_levels(p->rep + l0, (size_t)nl, wrep, repb) : 0;
    size_t def_sz = has_def ? lc_enc_ool_levels(p->def + l0, (size_t)nl, wdef, defb) : 0;
    if (rep_sz > 65535 || def_sz > 65535) {
      rc = W_FALLBACK;
      break;
    }
    /* value buffers */
    const uint8_t *vb[9];
    size_t vs[9];
    uint8_t *vscratch = scratch->data + 2 * lvcap;
    uint8_t *vtmp = NULL;
    switch (v->kind) {
      case MV_FLAT:
        vb[0] = v->data + it * v->bytes;
        vs[0] = (size_t)cnt * v->bytes;
        break;
      case MV_BOOL:
        vb[0] = v->data + it / 8; /* chunks start on multiples of 4096 */
        vs[0] = (size_t)((cnt + 7) / 8);
        break;
      case MV_BP:
        vs[0] = lc_enc_inline_bp(v->data + it * v->bytes, (size_t)cnt, v->bytes * 8, vscratch);
        vb[0] = vscratch;
        break;
      case MV_VAR: {
        size_t wd = (size_t)v->off_bits / 8;
        uint64_t s0 = it ? v->ends[it - 1] : 0, s1 = v->ends[it + cnt - 1];
        size_t hdr = (size_t)(cnt + 1) * wd, tot = hdr + (size_t)(s1 - s0);
        size_t padded = tot + ((wd - tot % wd) % wd);
        vtmp = lc_malloc(padded ? padded : 1);
        if (!vtmp) { rc = OOM(err); break; }
        for (uint64_t k = 0; k <= cnt; k++) {
          uint64_t e = (k == 0 ? s0 : v->ends[it + k - 1]) - s0 + hdr;
          if (wd == 4) lc_st32(vtmp + k * 4, (uint32_t)e);
          else lc_st64(vtmp + k * 8, e);
        }
        if (s1 > s0) memcpy(vtmp + hdr, v->data + s0, (size_t)(s1 - s0));
        memset(vtmp + tot, 0x48, padded - tot);
        vb[0] = vtmp;
        vs[0] = padded;
        break;
      }
      case MV_RLE: {
        size_t r = rle_encode(v, it, cnt, vscratch, vscratch + 4096 * 8);
        vb[0] = vscratch;
        vs[0] = r * v->bytes;
        vb[1] = vscratch + 4096 * 8;
        vs[1] = r;
        break;
      }
      case MV_FSL: {
        size_t rowb = (size_t)v->dim * v->bytes;
        int bi = 0;
        if (v->n_fslval) {
          size_t tot = 0;
          for (int k = 0; k < v->n_fslval; k++) tot += (size_t)((cnt * v->fslval_cum[k] + 7) / 8);
          vtmp = lc_calloc(tot ? tot : 1, 1);
          if (!vtmp) { rc = OOM(err); break; }
          size_t at = 0;
          for (int k = 0; k < v->n_fslval; k++) {
            uint64_t cd = v->fslval_cum[k], nbits = cnt * cd;
            size_t nb = (size_t)((nbits + 7) / 8);
            lc_bits_copy(vtmp + at, 0, v->fslval[k], (int64_t)(it * cd), (int64_t)nbits);
            vb[bi] = vtmp + at;
            vs[bi++] = nb;
            at += nb;
          }
        }
        vb[bi] = v->data + it * rowb;
        vs[bi] = (size_t)cnt * rowb;
        break;
      }
    }
    if (rc) break;
    /* chunk */
    size_t start = data->len;
    uint8_t hdr[64];
    size_t h = 0;
    lc_st16(hdr, (uint16_t)(has_rep || has_def ? nl : 0));
    h = 2;
    if (has_rep) lc_st16(hdr + h, (uint16_t)rep_sz), h += 2;
    if (has_def) lc_st16(hdr + h, (uint16_t)def_sz), h += 2;
    for (int b = 0; b < nbufs; b++) {
      if (large) {
        if (vs[b] > UINT32_MAX) rc = W_FALLBACK;
        lc_st32(hdr + h, (uint32_t)vs[b]), h += 4;
      } else {
        if (vs[b] > 65535) rc = W_FALLBACK;
        lc_st16(hdr + h, (uint16_t)vs[b]), h += 2;
      }
    }
    if (rc) { lc_free(vtmp); break; }
    int e = mb_append(data, hdr, h, 0xFE);
    if (!e && has_rep) e = mb_append(data, repb, rep_sz, 0xFE);
    if (!e && has_def) e = mb_append(data, defb, def_sz, 0xFE);
    for (int b = 0; b < nbufs && !e; b++) e = mb_append(data, vb[b], vs[b], 0xFE);
    lc_free(vtmp);
    if (e) { rc = OOM(err); break; }
    size_t csz = data->len - start;
    unsigned lg = 0;
    if (!last) {
      lg = (unsigned)__builtin_ctzll(cnt);
      if ((1ull << lg) != cnt) { rc = lc_err(err, LANCEC_EINTERNAL, "non power-of-two chunk"); break; }
    }
    if (large) {
      if (csz / 8 - 1 >= (1u << 28)) { rc = W_FALLBACK; break; }
      uint32_t word = (uint32_t)(((csz / 8 - 1) << 4) | lg);
      if (lc_buf_append(meta, &word, 4)) { rc = OOM(err); break; }
    } else {
      if (csz > 32768) { rc = W_FALLBACK; break; }
      uint16_t word = (uint16_t)(((csz / 8 - 1) << 4) | lg);
      if (lc_buf_append(meta, &word, 2)) { rc = OOM(err); break; }
    }
    /* repetition index (§3.4.4) */
    if (has_rep) {
      uint64_t ends = 0, lastpos = UINT64_MAX;
      for (uint64_t l = l0; l < l1; l++)
        if (p->rep[l] == max_rep) {
          if (l > l0) ends++;
          lastpos = l - l0;
        }
      uint64_t partial = lastpos == UINT64_MAX ? nl : nl - lastpos;
      if (it > 0 && nl > 0 && p->rep[l0] == max_rep && prev_partial != 0) {
        uint64_t pe = lc_le64(ri.data + prev_ri) + 1;
        lc_st64(ri.data + prev_ri, pe);
        lc_st64(ri.data + prev_ri + 8, 0);
      }
      if (last) {
        ends++;
        partial = 0;
      }
      uint64_t pr[2] = {ends, partial};
      prev_ri = ri.len;
      prev_partial = partial;
      if (lc_buf_append(&ri, pr, 16)) { rc = OOM(err); break; }
    }
    lv = l1;
    it += cnt;
    if (v->n == 0) break;
  }
  if (!rc) rc = put_buf(p, meta->data, meta->len, err);
  if (!rc) rc = put_buf(p, data->data, data->len, err);
  if (!rc && dict) rc = put_buf(p, dict, dict_len, err);
  if (!rc && has_rep) rc = put_buf(p, ri.data, ri.len, err);
  lc_buf_free(&ri);
  if (rc) return rc;
  lc_pbw mb = {0}, ce = {0};
  if (has_rep) {
    lc_ce_ool_bp(&ce, 16, wrep);
    lc_pb_msg(&mb, 1, &ce);
    lc_pbw_free(&ce);
  }
  if (has_def) {
    lc_ce_ool_bp(&ce, 16, wdef);
    lc_pb_msg(&mb, 2, &ce);
    lc_pbw_free(&ce);
  }
  lc_pb_msg(&mb, 3, value_ce);
  if (dict) {
    lc_pb_msg(&mb, 4, dict_ce);
    lc_pb_uint(&mb, 5, n_dict, false);
  }
  pb_layers(&mb, 6, p);
  lc_pb_uint(&mb, 7, (uint64_t)nbufs, false);
  lc_pb_uint(&mb, 8, has_rep ? 1 : 0, false);
  lc_pb_uint(&mb, 9, v->n, false);
  if (large) lc_pb_uint(&mb, 10, 1, false);
  lc_pb_msg(&p->layout, 1, &mb);
  lc_pbw_free(&mb);
  return 0;
}

/* Bytes of InlineBitpacking (chunk buffers incl. padding) for n values of `bytes` (1/2/4/8). */
static uint64_t bitpacking_size(const uint8_t *data, uint64_t n, unsigned bytes) {
  uint64_t bp = 0;
  for (uint64_t i = 0; i < n; i += 1024) {
    uint64_t cnt = n - i < 1024 ? n - i : 1024;
    unsigned wd = lc_bp_width(data + i * bytes, (size_t)cnt, bytes * 8);
    bp += bytes + 128ull * wd;
    bp += pad8((size_t)(bytes + 128ull * wd));
  }
  return bp;
}

/* Flat vs InlineBitpacking for integer-like values of `bytes` (1/2/4/8). */
static bool bitpacking_pays(const uint8_t *data, uint64_t n, unsigned bytes) {
  if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) return false;
  if (n == 0) return false;
  uint64_t bp = 0, flat = 0;
  for (uint64_t i = 0; i < n; i += 1024) {
    uint64_t cnt = n - i < 1024 ? n - i : 1024;
    unsigned wd = lc_bp_width(data + i * bytes, (size_t)cnt, bytes * 8);
    bp += bytes + 128ull * wd;
    bp += pad8((size_t)(bytes + 128ull * wd));
    flat += cnt * bytes + pad8((size_t)(cnt * bytes));
  }
  return bp < flat;
}

/* FixedSizeList{d_0, FixedSizeList{d_1, ... Flat{item bits}}}; layer k has
 * has_validity when its items (the elements of FSL layer k) can be null. */
static void fsl_ce(const wcol *c, lc_pbw *out) {
  lc_pbw cur = {0};
  lc_ce_flat(&cur, (uint64_t)c->bytes * 8);
  for (int l = c->fsl_levels - 1; l >= 0; l--) {
    lc_pbw nx = {0};
    lc_ce_fsl(&nx, c->fsl_dims[l], c->fslval_mat[l], &cur);
    lc_pbw_free(&cur);
    cur = nx;
  }
  lc_pb_raw(out, cur.b.data, cur.b.len);
  if (cur.oom) out->oom = true;
  lc_pbw_free(&cur);
}

/* ---- full-zip ---- */

static int page_fullzip_ex(pagectx *p, const uint8_t *vdata, const uint64_t *vends, const lc_pbw *var_ce,
                           lancec_error *err);
static int page_fullzip(pagectx *p, lancec_error *err) { return page_fullzip_ex(p, NULL, NULL, NULL, err); }

static int page_fullzip_ex(pagectx *p, const uint8_t *vdata, const uint64_t *vends, const lc_pbw *var_ce,
                           lancec_error *err) {
  wcol *c = p->c;
  unsigned bits_rep = p->rep ? bitlen((uint64_t)c->max_rep) : 0;
  unsigned bits_def = p->def ? bitlen(p->max_def_present) : 0;
  unsigned cwb = bits_rep + bits_def == 0 ? 0 : bits_rep + bits_def <= 8 ? 1 : bits_rep + bits_def <= 16 ? 2 : 4;
  bool var = c->vk == WV_VAR || c->vk == WV_BLOB2;
  bool has_ri = var || p->rep;
  uint64_t max_rep = (uint64_t)c->max_rep;
  lc_buf *out = &p->w->p_b;
  out->len = 0;
  lc_buf idx = {0}; /* u64 row starts */
  int rc = 0;
  lc_pbw ce = {0};
  uint64_t vbits = 0;
  bool zstd = false;
  if (var) {
    const uint64_t *ends = vends ? vends : (const uint64_t *)c->ends.data;
    const uint8_t *vals = vdata ? vdata : c->vals.data;
    zstd = !var_ce && c->max_len > 32768 && c->vals.len >= 32768;
    unsigned ob = (unsigned)c->off_bits;
    size_t wd = ob / 8;
    uint64_t it = 0, prev = 0;
    for (uint64_t l = 0; l < p->n_levels && !rc; l++) {
      if (has_ri && (!p->rep || p->rep[l] == max_rep)) {
        uint64_t s = out->len;
        if (lc_buf_append(&idx, &s, 8)) rc = OOM(err);
      }
      uint8_t cw[4];
      uint32_t cwv = ((uint32_t)(p->rep ? p->rep[l] : 0) << bits_def) | (p->def ? p->def[l] : 0);
      lc_st32(cw, cwv);
      if (cwb && lc_buf_append(out, cw, cwb)) { rc = OOM(err); break; }
      if (!visible(p, l)) continue;
      uint64_t e = ends[it++];
      uint64_t s = prev;
      prev = e;
      if (p->def && p->def[l] != 0) continue; /* null item: control word only */
      size_t len = (size_t)(e - s);
      if (zstd) {
        size_t at = out->len;
        uint8_t zero[8] = {0};
        if (lc_buf_append(out, zero, wd)) { rc = OOM(err); break; }
        rc = lc_enc_zstd_frame(vals + s, len, 0, out, err);
        if (rc) break;
        uint64_t fl = out->len - at - wd;
        if (wd == 4) lc_st32(out->data + at, (uint32_t)fl);
        else lc_st64(out->data + at, fl);
      } else {
        uint8_t lb[8];
        if (wd == 4) lc_st32(lb, (uint32_t)len);
        else lc_st64(lb, len);
        if (lc_buf_append(out, lb, wd) || lc_buf_append(out, vals + s, len)) { rc = OOM(err); break; }
      }
    }
    lc_pbw inner = {0};
    lc_ce_variable(&inner, ob);
    if (var_ce) lc_pb_raw(&ce, var_ce->b.data, var_ce->b.len);
    else if (zstd) lc_ce_general(&ce, 2, true, 0, &inner);
    else lc_pb_raw(&ce, inner.b.data, inner.b.len);
    lc_pbw_free(&inner);
  } else {
    /* fixed width (FIXED or FSL) */
    bool fsl = c->vk == WV_FSL;
    size_t hvb = 0; /* validity bytes per row: ceil(cum_dim / 8) per validity layer */
    if (fsl)
      for (int k = 0; k < c->fsl_levels; k++)
        if (c->fslval_mat[k]) hvb += (size_t)((c->fsl_cum[k] + 7) / 8);
    bool hv = hvb > 0;
    size_t vb = fsl ? (size_t)c->dim * c->bytes : c->bytes;
    size_t vbytes = hvb + vb;
    vbits = (uint64_t)vbytes * 8;
    if (cwb == 0 && !hv && !has_ri) {
      /* plain concatenation of the values */
      rc = put_buf(p, c->vals.data, (size_t)p->n_items * vb, err);
      out = NULL;
    } else {
      if (lc_buf_reserve(out, (size_t)p->n_levels * cwb + (size_t)p->n_items * vbytes)) rc = OOM(err);
      uint64_t it = 0;
      for (uint64_t l = 0; l < p->n_levels && !rc; l++) {
        if (has_ri && (!p->rep || p->rep[l] == max_rep)) {
          uint64_t s = out->len;
          if (lc_buf_append(&idx, &s, 8)) rc = OOM(err);
        }
        uint8_t *d = out->data + out->len;
        uint32_t cwv = ((uint32_t)(p->rep ? p->rep[l] : 0) << bits_def) | (p->def ? p->def[l] : 0);
        uint8_t cw[4];
        lc_st32(cw, cwv);
        memcpy(d, cw, cwb);
        d += cwb;
        out->len += cwb;
        if (!visible(p, l)) continue;
        if (hv) {
          memset(d, 0, hvb);
          for (int k = 0; k < c->fsl_levels; k++) {
            if (!c->fslval_mat[k]) continue;
            uint64_t cd = c->fsl_cum[k];
            lc_bits_copy(d, 0, c->fslval[k].data, (int64_t)(it * cd), (int64_t)cd);
            d += (cd + 7) / 8;
          }
          out->len += hvb;
        }
        memcpy(d, c->vals.data + it * vb, vb);
        out->len += vb;
        it++;
      }
    }
    if (fsl) {
      fsl_ce(c, &ce);
    } else {
      lc_ce_flat(&ce, vbits);
    }
  }
  if (!rc && out) rc = put_buf(p, out->data, out->len, err);
  if (!rc && has_ri) {
    uint64_t total = out ? out->len : 0;
    uint64_t s = total;
    if (lc_buf_append(&idx, &s, 8)) rc = OOM(err);
    size_t n = idx.len / 8;
    unsigned wdt = total <= 0xff ? 1 : total <= 0xffff ? 2 : total <= 0xffffffffu ? 4 : 8;
    uint8_t *ib = lc_malloc(n * wdt + 1);
    if (!ib) rc = OOM(err);
    for (size_t k = 0; k < n && !rc; k++) {
      uint64_t x = ((const uint64_t *)idx.data)[k];
      memcpy(ib + k * wdt, &x, wdt); /* little endian */
    }
    if (!rc) rc = put_buf(p, ib, n * wdt, err);
    lc_free(ib);
  }
  lc_buf_free(&idx);
  if (!rc) {
    lc_pbw fz = {0};
    lc_pb_uint(&fz, 1, bits_rep, false);
    lc_pb_uint(&fz, 2, bits_def, false);
    if (var) lc_pb_uint(&fz, 4, (uint64_t)c->off_bits, true);
    else lc_pb_uint(&fz, 3, vbits, true);
    lc_pb_uint(&fz, 5, p->n_levels, false);
    lc_pb_uint(&fz, 6, p->n_items, false);
    lc_pb_msg(&fz, 7, &ce);
    pb_layers(&fz, 8, p);
    lc_pb_msg(&p->layout, 3, &fz);
    lc_pbw_free(&fz);
  }
  lc_pbw_free(&ce);
  return rc;
}

/* ---- dictionary for variable-width values ---- */

typedef struct dictres {
  uint32_t *indices;
  lc_buf block; /* the dictionary buffer (block Variable form) */
  size_t card;
} dictres;

static int try_dictionary(pagectx *p, bool force, dictres *d, lancec_error *err) {
  wcol *c = p->c;
  uint64_t n = p->n_items;
  if (n == 0) return 1;
  if (!force && n < 100) return 1;
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  size_t wd = (size_t)c->off_bits / 8;
  uint64_t data_size = c->vals.len + n * wd;
  size_t max_card;
  if (force) {
    max_card = (size_t)n;
  } else {
    double avg = (double)c->vals.len / (double)n;
    double budget = 0.8 * (double)data_size - (double)n * 4;
    if (budget <= 0) return 1;
    double mc = budget / (avg + (double)wd);
    if (mc < 1) return 1;
    max_card = mc > (double)n ? (size_t)n : (size_t)mc;
    if (max_card > UINT32_MAX - 1) max_card = UINT32_MAX - 1;
  }
  d->indices = lc_malloc((size_t)n * 4);
  if (!d->indices) return OOM(err);
  lc_buf dd = {0}, de = {0};
  int r = 0;
  if (!force && n > 8192) {
    /* quick sample: all of the first 2048 distinct -> almost surely high cardinality */
    size_t card = 0;
    r = lc_dict_build_var(c->vals.data, ends, 2048, 2047, d->indices, &dd, &de, &card);
    dd.len = de.len = 0;
  }
  if (r == 0) r = lc_dict_build_var(c->vals.data, ends, (size_t)n, max_card, d->indices, &dd, &de, &d->card);
  if (r != 0) {
    lc_buf_free(&dd);
    lc_buf_free(&de);
    lc_free(d->indices);
    d->indices = NULL;
    return r < 0 ? OOM(err) : 1;
  }
  /* block form: u32 32 | u32 data_start | (n+1) u32 offsets | bytes (u64 for 64-bit offsets) */
  size_t nd = d->card;
  size_t hdr = 2 * wd + (nd + 1) * wd;
  int e = lc_buf_reserve(&d->block, hdr + dd.len);
  if (!e) {
    uint8_t *b = d->block.data;
    if (wd == 4) {
      lc_st32(b, 32);
      lc_st32(b + 4, (uint32_t)hdr);
      lc_st32(b + 8, 0);
      for (size_t k = 0; k < nd; k++) lc_st32(b + 12 + 4 * k, (uint32_t)((const uint64_t *)de.data)[k]);
    } else {
      lc_st64(b, 64);
      lc_st64(b + 8, hdr);
      lc_st64(b + 16, 0);
      for (size_t k = 0; k < nd; k++) lc_st64(b + 24 + 8 * k, ((const uint64_t *)de.data)[k]);
    }
    if (dd.len) memcpy(b + hdr, dd.data, dd.len);
    d->block.len = hdr + dd.len;
  }
  lc_buf_free(&dd);
  lc_buf_free(&de);
  if (e) {
    lc_free(d->indices);
    d->indices = NULL;
    lc_buf_free(&d->block);
    return OOM(err);
  }
  return 0;
}

/* Fixed-width values: for 128-bit values (decimal128, fixed_size_binary(16))
 * a dictionary with Flat{128} items when cardinality*16 + n*4 < 0.8 * n*16
 * (2.1 §4.5); for Arrow dictionary columns (`force`) always, whatever the
 * width (Lance reads those pages into an Arrow dictionary). */
static int try_dictionary_fixed(pagectx *p, unsigned width, bool force, dictres *d, lancec_error *err) {
  wcol *c = p->c;
  uint64_t n = p->n_items;
  size_t max_card = (size_t)n;
  if (!force) {
    if (n < 100) return 1;
    double mc = (0.8 * (double)n * width - (double)n * 4) / width;
    if (mc < 1) return 1;
    max_card = (size_t)mc;
  }
  if (n == 0) return 1;
  uint64_t *ends = lc_malloc((size_t)n * 8);
  d->indices = lc_malloc((size_t)n * 4);
  if (!ends || !d->indices) {
    lc_free(ends);
    lc_free(d->indices);
    d->indices = NULL;
    return OOM(err);
  }
  for (uint64_t i = 0; i < n; i++) ends[i] = (i + 1) * width;
  lc_buf de = {0};
  int r = lc_dict_build_var(c->vals.data, ends, (size_t)n, max_card, d->indices, &d->block, &de, &d->card);
  lc_free(ends);
  lc_buf_free(&de);
  if (r != 0) {
    lc_buf_free(&d->block);
    lc_free(d->indices);
    d->indices = NULL;
    return r < 0 ? OOM(err) : 1;
  }
  return 0;
}

/* ---- 2.2 constant pages (file-format-2.2.md §5) ---- */

/* All non-null visible items equal (and at least one)? Sets *first to its item index. */
static bool page_is_constant(const pagectx *p, uint64_t *first) {
  const wcol *c = p->c;
  uint64_t f = UINT64_MAX, it = 0;
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  for (uint64_t l = 0; l < p->n_levels; l++) {
    if (!visible(p, l)) continue;
    uint64_t i = it++;
    if (p->def && p->def[l] != 0) continue;
    if (f == UINT64_MAX) {
      f = i;
      continue;
    }
    switch (c->vk) {
      case WV_FIXED:
        if (memcmp(c->vals.data + i * c->bytes, c->vals.data + f * c->bytes, c->bytes)) return false;
        break;
      case WV_BOOL:
        if (lc_bit_get(c->vals.data, (int64_t)i) != lc_bit_get(c->vals.data, (int64_t)f)) return false;
        break;
      default: {
        uint64_t s0 = i ? ends[i - 1] : 0, f0 = f ? ends[f - 1] : 0;
        if (ends[i] - s0 != ends[f] - f0 ||
            (ends[i] > s0 && memcmp(c->vals.data + s0, c->vals.data + f0, (size_t)(ends[i] - s0))))
          return false;
      }
    }
  }
  *first = f;
  return f != UINT64_MAX;
}

static int page_constant(pagectx *p, uint64_t f, lancec_error *err) {
  wcol *c = p->c;
  lc_pbw cl = {0};
  pb_layers(&cl, 5, p);
  uint8_t inl[32];
  size_t inl_len = 0;
  bool inline_ok = false;
  lc_buf vb = {0};
  int rc = 0;
  if (c->vk == WV_BOOL) {
    inl[0] = lc_bit_get(c->vals.data, (int64_t)f) ? 1 : 0;
    inl_len = 1;
    inline_ok = true;
  } else if (c->vk == WV_FIXED && c->bytes <= 32) {
    memcpy(inl, c->vals.data + f * c->bytes, c->bytes);
    inl_len = c->bytes;
    inline_ok = true;
  } else {
    /* scalar value buffer: u32 n | u32 len[n] | buffers (§5.4) */
    uint8_t h[12];
    if (c->vk == WV_FIXED) {
      lc_st32(h, 1);
      lc_st32(h + 4, c->bytes);
      if (lc_buf_append(&vb, h, 8) || lc_buf_append(&vb, c->vals.data + f * c->bytes, c->bytes)) rc = OOM(err);
    } else {
      const uint64_t *ends = (const uint64_t *)c->ends.data;
      uint64_t s0 = f ? ends[f - 1] : 0, len = ends[f] - s0;
      bool large = c->off_bits == 64;
      uint8_t offs[16];
      memset(offs, 0, sizeof offs);
      if (large) lc_st64(offs + 8, len);
      else lc_st32(offs + 4, (uint32_t)len);
      lc_st32(h, 2);
      lc_st32(h + 4, large ? 16 : 8);
      lc_st32(h + 8, (uint32_t)len);
      if (lc_buf_append(&vb, h, 12) || lc_buf_append(&vb, offs, large ? 16 : 8) ||
          lc_buf_append(&vb, c->vals.data + s0, (size_t)len))
        rc = OOM(err);
    }
    if (!rc) rc = put_buf(p, vb.data, vb.len, err);
  }
  lc_buf_free(&vb);
  if (!rc && (p->rep || p->def)) {
    rc = put_buf(p, p->rep, p->rep ? (size_t)p->n_levels * 2 : 0, err);
    if (!rc) rc = put_buf(p, p->def, p->def ? (size_t)p->n_levels * 2 : 0, err);
  }
  if (!rc) {
    if (inline_ok) lc_pb_bytes(&cl, 6, inl, inl_len);
    lc_pb_msg(&p->layout, 2, &cl);
  }
  lc_pbw_free(&cl);
  return rc;
}

/* A mini-block page whose values are dictionary indices and whose buffer 2
 * holds the dictionary `d` (items encoded as `dce`). Lance-built
 * dictionaries use i32 indices; Arrow dictionary columns keep their key
 * width. Frees d. W_FALLBACK when the page does not fit mini-block. */
static int dict_page(pagectx *p, dictres *d, const lc_pbw *dce, lancec_error *err) {
  wcol *c = p->c;
  unsigned kw = c->is_dict ? c->key_bytes : 4;
  int rc = 0;
  if (c->is_dict && d->card && d->card - 1 > c->key_max) {
    rc = lc_err(err, LANCEC_EUNSUPPORTED,
                "column '%s': a page would hold %zu distinct dictionary values, more than its keys can index",
                c->node[0]->name, d->card);
    goto done;
  }
  if (kw != 4) {
    /* narrow in place (kw < 4) or widen into a new buffer (kw == 8) */
    uint8_t *nb = (uint8_t *)d->indices;
    if (kw == 8) nb = lc_malloc((size_t)p->n_items * 8 + 1);
    if (!nb) {
      rc = OOM(err);
      goto done;
    }
    for (uint64_t k = 0; k < p->n_items; k++) {
      uint64_t x = d->indices[k];
      memcpy(nb + k * kw, &x, kw);
    }
    if (nb != (uint8_t *)d->indices) {
      lc_free(d->indices);
      d->indices = (uint32_t *)nb;
    }
  }
  lc_pbw vce = {0};
  mbvals v = {.kind = MV_FLAT, .bytes = kw, .data = (const uint8_t *)d->indices, .n = p->n_items};
  if (bitpacking_pays(v.data, v.n, kw)) {
    v.kind = MV_BP;
    lc_ce_inline_bp(&vce, kw * 8);
  } else {
    lc_ce_flat(&vce, (uint64_t)kw * 8);
  }
  rc = page_miniblock(p, &v, &vce, d->block.data, d->block.len, dce, d->card, err);
  lc_pbw_free(&vce);
done:
  lc_free(d->indices);
  d->indices = NULL;
  lc_buf_free(&d->block);
  return rc;
}

/* ---- blobs ---- */

/* Writes each non-empty value of the page as its own 64-aligned buffer (before
 * the page's buffers); *pos_out[i] = its absolute offset (0 when empty / null). */
static int blob_payloads(pagectx *p, lc_buf *pos_out, lancec_error *err) {
  wcol *c = p->c;
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  pos_out->len = 0;
  if (lc_buf_reserve(pos_out, (size_t)p->n_items * 8 + 8)) return OOM(err);
  uint64_t prev = 0;
  for (uint64_t i = 0; i < p->n_items; i++) {
    uint64_t e = ends[i], pos = 0;
    bool null = p->def && p->def[i] != 0;
    if (!null && e > prev) LC_TRY(lc_w_write_buffer(p->w, c->vals.data + prev, (size_t)(e - prev), &pos, err));
    memcpy(pos_out->data + 8 * i, &pos, 8);
    prev = e;
  }
  pos_out->len = (size_t)p->n_items * 8;
  return 0;
}

/* Blob v2 (file-format-2.2.md §8.3): every value inline (kind 0); the page
 * is full-zip with a VariablePackedStruct of (kind u8, position u64, size u64,
 * blob_id u32, blob_uri u32-length string) per row, null rows = control
 * word only. Top-level only: one level per row. */
static int page_blob2(pagectx *p, lancec_error *err) {
  wcol *c = p->c;
  lc_buf *pos = &p->w->p_c, *rows = &p->w->p_a;
  LC_TRY(blob_payloads(p, pos, err));
  lc_buf rends = {0};
  rows->len = 0;
  int rc = 0;
  if (lc_buf_reserve(rows, (size_t)p->n_items * 25 + 8) || lc_buf_reserve(&rends, (size_t)p->n_items * 8 + 8))
    rc = OOM(err);
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < p->n_items && !rc; i++) {
    uint64_t e = ends[i];
    if (!(p->def && p->def[i] != 0)) {
      uint8_t r[25];
      r[0] = 0; /* inline */
      memcpy(r + 1, pos->data + 8 * i, 8);
      lc_st64(r + 9, e - prev);
      lc_st32(r + 17, 0); /* blob_id */
      lc_st32(r + 21, 0); /* uri length */
      memcpy(rows->data + rows->len, r, 25);
      rows->len += 25;
    }
    uint64_t re = rows->len;
    memcpy(rends.data + 8 * i, &re, 8);
    prev = e;
  }
  lc_pbw vps = {0}, vce = {0};
  static const unsigned fw[4] = {8, 64, 64, 32};
  for (int k = 0; k < 5 && !rc; k++) {
    lc_pbw fe = {0}, v = {0};
    if (k < 4) {
      lc_ce_flat(&v, fw[k]);
      lc_pb_msg(&fe, 1, &v);
      lc_pb_uint(&fe, 2, fw[k], true);
    } else {
      lc_ce_variable(&v, 32);
      lc_pb_msg(&fe, 1, &v);
      lc_pb_uint(&fe, 3, 32, true);
    }
    lc_pb_msg(&vps, 1, &fe);
    lc_pbw_free(&fe), lc_pbw_free(&v);
  }
  lc_pb_msg(&vce, 13, &vps);
  if (!rc) rc = page_fullzip_ex(p, rows->data, (const uint64_t *)rends.data, &vce, err);
  lc_pbw_free(&vps), lc_pbw_free(&vce);
  lc_buf_free(&rends);
  return rc;
}

/* Legacy blob (file-format-2.1.md §3.7; also in 2.2 files): the values as external
 * buffers, then a mini-block page of (position u64, size u64) descriptions
 * (PackedStruct{[64, 64], Flat{128}}, layers [ALL_VALID_ITEM]) inside a
 * BlobLayout carrying the real layers; a null row is ((def << 16) | rep, 0). */
static int page_blob1(pagectx *p, lancec_error *err) {
  wcol *c = p->c;
  lc_buf *pos = &p->w->p_c, *rows = &p->w->p_a;
  LC_TRY(blob_payloads(p, pos, err));
  rows->len = 0;
  if (lc_buf_reserve(rows, (size_t)p->n_items * 16 + 8)) return OOM(err);
  const uint64_t *ends = (const uint64_t *)c->ends.data;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < p->n_items; i++) {
    uint64_t e = ends[i], a, b;
    if (p->def && p->def[i] != 0) {
      a = (uint64_t)p->def[i] << 16, b = 0;
    } else {
      a = lc_le64(pos->data + 8 * i), b = e - prev;
    }
    lc_st64(rows->data + 16 * i, a);
    lc_st64(rows->data + 16 * i + 8, b);
    prev = e;
  }
  rows->len = (size_t)p->n_items * 16;
  uint64_t layers[WMAXD];
  int nl = p->n_layers;
  memcpy(layers, p->layers, sizeof layers);
  p->def = NULL;
  p->max_def = p->max_def_present = 0;
  p->max_vis_def = 0;
  for (int k = 0; k < nl; k++) p->layers[k] = 1; /* ALL_VALID_ITEM */
  lc_pbw vce = {0}, ps = {0}, fl = {0};
  uint64_t bits[2] = {64, 64};
  lc_pb_packed(&ps, 1, bits, 2);
  lc_ce_flat(&fl, 128);
  lc_pb_msg(&ps, 2, &fl);
  lc_pb_msg(&vce, 12, &ps);
  mbvals v = {.kind = MV_FLAT, .bytes = 16, .data = rows->data, .n = p->n_items};
  int rc = page_miniblock(p, &v, &vce, NULL, 0, NULL, 0, err);
  lc_pbw_free(&vce), lc_pbw_free(&ps), lc_pbw_free(&fl);
  if (rc == W_FALLBACK) rc = lc_err(err, LANCEC_EINTERNAL, "column '%s': blob descriptions do not fit mini-block", c->node[0]->name);
  if (rc) return rc;
  lc_pbw bl = {0}, outer = {0};
  lc_pb_msg(&bl, 1, &p->layout);
  lc_pb_packed(&bl, 2, layers, (size_t)nl);
  lc_pb_msg(&outer, 4, &bl);
  lc_pbw_free(&p->layout);
  p->layout = outer;
  lc_pbw_free(&bl);
  return 0;
}

/* ---- the page ---- */

static int encode_page(pagectx *p, lancec_error *err) {
  wcol *c = p->c;
  /* a column of only empty values has no value bytes: give the buffers memory
   * anyway so that offsets into them are always well-defined pointers */
  if ((!c->vals.data && lc_buf_reserve(&c->vals, 8)) || (!c->ends.data && lc_buf_reserve(&c->ends, 8)))
    return OOM(err);
  compute_layers(p);
  if (c->vk == WV_EMPTY) return page_all_null(p, true, err);
  if (c->vk == WV_BLOB2) return page_blob2(p, err);
  if (c->vk == WV_BLOB1) return page_blob1(p, err);
  /* visible null items */
  uint64_t vis_null = 0;
  if (p->def)
    for (uint64_t l = 0; l < p->n_levels; l++) vis_null += p->def[l] != 0 && p->def[l] <= p->max_vis_def;
  bool simple_shape = c->depth == 1;
  if (c->vk == WV_NULL || p->n_items == 0 || vis_null == p->n_items) {
    if (simple_shape && p->n_items > 0) return page_all_null(p, true, err);
    return page_all_null(p, false, err);
  }
  lc_pbw vce = {0};
  int rc = 0;
  uint64_t cf;
  /* (only without levels: with levels a constant page stores them as raw u16, which loses
   * against bitpacked levels + Rle values) */
  if (p->w->minor >= 2 && !c->is_dict && !p->rep && !p->def &&
      (c->vk == WV_FIXED || c->vk == WV_BOOL || c->vk == WV_VAR) && page_is_constant(p, &cf))
    return page_constant(p, cf, err);
  if (c->vk == WV_VAR) {
    dictres d;
    memset(&d, 0, sizeof d);
    int dr = try_dictionary(p, c->is_dict, &d, err);
    if (dr < 0) return dr;
    if (dr == 0) {
      lc_pbw dce = {0};
      lc_ce_variable(&dce, (unsigned)c->off_bits);
      rc = dict_page(p, &d, &dce, err);
      lc_pbw_free(&dce);
      if (rc != W_FALLBACK) return rc;
      p->layout.b.len = 0;
      p->n_bufs = 0;
      /* a fallback after buffers were written is impossible: buffers are written at the end */
      return page_fullzip(p, err);
    }
    /* FSST for text (Utf8 only): max length >= 5 and >= 32 KiB of bytes + offsets;
     * per-value zstd wins for values > 32 KiB in full-zip */
    size_t wd = (size_t)c->off_bits / 8;
    bool zstd = c->max_len > 32768 && c->vals.len >= 32768;
    bool fsst = W_USE_FSST && c->is_string && c->max_len >= 5 && c->vals.len + p->n_items * wd >= 32768 &&
                !(c->max_len >= 256 && zstd);
    lc_buf fd = {0}, fe = {0};
    uint8_t table[2312];
    const uint8_t *vdata = c->vals.data;
    const uint64_t *vends = (const uint64_t *)c->ends.data;
    lc_pbw vvar = {0};
    lc_ce_variable(&vvar, (unsigned)c->off_bits);
    if (fsst) {
      if (lc_fsst_compress(c->vals.data, vends, (size_t)p->n_items, table, &fd, &fe)) {
        lc_pbw_free(&vvar);
        lc_buf_free(&fd);
        lc_buf_free(&fe);
        return OOM(err);
      }
      vdata = fd.data;
      vends = (const uint64_t *)fe.data;
      lc_ce_fsst(&vce, table, sizeof table, &vvar);
    } else {
      lc_pb_raw(&vce, vvar.b.data, vvar.b.len);
    }
    rc = W_FALLBACK;
    if (c->max_len < 256) {
      mbvals v = {.kind = MV_VAR, .data = vdata, .ends = vends, .off_bits = c->off_bits, .n = p->n_items};
      rc = page_miniblock(p, &v, &vce, NULL, 0, NULL, 0, err);
      if (rc == W_FALLBACK) p->layout.b.len = 0;
    }
    if (rc == W_FALLBACK) rc = fsst ? page_fullzip_ex(p, vdata, vends, &vce, err) : page_fullzip(p, err);
    lc_pbw_free(&vce);
    lc_pbw_free(&vvar);
    lc_buf_free(&fd);
    lc_buf_free(&fe);
    return rc;
  }
  if (c->vk == WV_BOOL) {
    mbvals v = {.kind = MV_BOOL, .data = c->vals.data, .n = p->n_items};
    lc_ce_flat(&vce, 1);
    rc = page_miniblock(p, &v, &vce, NULL, 0, NULL, 0, err);
    lc_pbw_free(&vce);
    if (rc == W_FALLBACK)
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "column '%s': too many empty/null lists in a row for one chunk",
                  c->node[0]->name);
    return rc;
  }
  if (c->vk == WV_PACKED) {
    /* PackedStruct{bits_per_value[], Flat{sum}} in mini-block chunks of whole rows */
    uint64_t bits[WMAXD];
    for (int k = 0; k < c->pk_n; k++) bits[k] = (uint64_t)c->pk_bytes[k] * 8;
    lc_pbw ps = {0}, fl = {0};
    lc_pb_packed(&ps, 1, bits, (size_t)c->pk_n);
    lc_ce_flat(&fl, (uint64_t)c->bytes * 8);
    lc_pb_msg(&ps, 2, &fl);
    lc_pb_msg(&vce, 12, &ps);
    lc_pbw_free(&ps), lc_pbw_free(&fl);
    mbvals v = {.kind = MV_FLAT, .bytes = c->bytes, .data = c->vals.data, .n = p->n_items};
    rc = page_miniblock(p, &v, &vce, NULL, 0, NULL, 0, err);
    lc_pbw_free(&vce);
    if (rc == W_FALLBACK)
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "column '%s': too many empty/null lists in a row for one chunk",
                  c->node[0]->name);
    return rc;
  }
  size_t rowb = c->vk == WV_FSL ? (size_t)c->dim * c->bytes : c->bytes;
  if (c->vk == WV_FIXED && (c->bytes == 16 || c->is_dict)) {
    dictres d;
    memset(&d, 0, sizeof d);
    int dr = try_dictionary_fixed(p, c->bytes, c->is_dict, &d, err);
    if (dr < 0) return dr;
    if (dr == 0) {
      lc_pbw dce = {0};
      lc_ce_flat(&dce, (uint64_t)c->bytes * 8);
      rc = dict_page(p, &d, &dce, err);
      lc_pbw_free(&dce);
      if (rc != W_FALLBACK) return rc;
      p->layout.b.len = 0;
      p->n_bufs = 0;
    }
  }
  if (rowb < 256) {
    mbvals v = {.kind = MV_FLAT, .bytes = c->bytes, .data = c->vals.data, .n = p->n_items};
    if (c->vk == WV_FSL) {
      v.kind = MV_FSL;
      v.dim = c->dim;
      for (int k = 0; k < c->fsl_levels; k++) {
        if (!c->fslval_mat[k]) continue;
        v.fslval[v.n_fslval] = c->fslval[k].data;
        v.fslval_cum[v.n_fslval++] = c->fsl_cum[k];
      }
      fsl_ce(c, &vce);
    } else {
      /* the smallest of Flat, InlineBitpacking and Rle (Lance 10+ behaviour, 2.1 §4.14) */
      unsigned B = c->bytes;
      uint64_t n = p->n_items;
      uint64_t flat = n * B, bp = UINT64_MAX, rle = UINT64_MAX;
      if (B == 1 || B == 2 || B == 4 || B == 8) {
        bp = bitpacking_size(c->vals.data, n, B);
        rle = rle_size(c->vals.data, n, B);
      }
      if (rle < flat && rle < bp) {
        v.kind = MV_RLE;
        lc_pbw a = {0}, b = {0}, r = {0};
        lc_ce_flat(&a, (uint64_t)B * 8);
        lc_ce_flat(&b, 8);
        lc_pb_msg(&r, 1, &a);
        lc_pb_msg(&r, 2, &b);
        lc_pb_msg(&vce, 8, &r);
        lc_pbw_free(&a), lc_pbw_free(&b), lc_pbw_free(&r);
      } else if (bp < flat) {
        v.kind = MV_BP;
        lc_ce_inline_bp(&vce, B * 8);
      } else {
        lc_ce_flat(&vce, (uint64_t)B * 8);
      }
    }
    rc = page_miniblock(p, &v, &vce, NULL, 0, NULL, 0, err);
    lc_pbw_free(&vce);
    if (rc != W_FALLBACK) return rc;
    p->layout.b.len = 0;
  }
  return page_fullzip(p, err);
}

static void wcol_reset(wcol *c) {
  c->rep.len = c->def.len = c->vals.len = c->ends.len = 0;
  for (int k = 0; k < 8; k++) c->fslval[k].len = 0, c->fslval_mat[k] = false;
  c->def_mat = false;
  c->first_row += c->n_rows;
  c->n_levels = c->n_items = c->n_rows = c->max_len = 0;
  memset(c->seen_null, 0, sizeof c->seen_null);
  memset(c->seen_empty, 0, sizeof c->seen_empty);
  /* give back big buffers between pages only when far oversized */
}

int lc_w_flush_page(lc_file_writer *w, wcol *c, lancec_error *err) {
  if (c->n_rows == 0) return 0;
  pagectx p;
  memset(&p, 0, sizeof p);
  p.w = w;
  p.c = c;
  p.n_levels = c->n_levels;
  p.n_items = c->n_items;
  int rc = encode_page(&p, err);
  if (!rc && p.layout.oom) rc = OOM(err);
  if (!rc) {
    lc_pbw pg = {0}, enc = {0}, direct = {0}, any = {0};
    static const char url[] = "/lance.encodings21.PageLayout";
    lc_pb_bytes(&any, 1, url, sizeof url - 1);
    lc_pb_msg(&any, 2, &p.layout);
    lc_pb_msg(&direct, 1, &any);
    lc_pb_msg(&enc, 2, &direct);
    lc_pb_packed(&pg, 1, p.buf_pos, (size_t)p.n_bufs);
    lc_pb_packed(&pg, 2, p.buf_size, (size_t)p.n_bufs);
    lc_pb_uint(&pg, 3, c->n_rows, false);
    lc_pb_msg(&pg, 4, &enc);
    lc_pb_uint(&pg, 5, c->first_row, false);
    lc_pb_msg(&c->pages, 2, &pg);
    if (c->pages.oom) rc = OOM(err);
    lc_pbw_free(&pg), lc_pbw_free(&enc), lc_pbw_free(&direct), lc_pbw_free(&any);
  }
  lc_pbw_free(&p.layout);
  if (rc) return rc;
  wcol_reset(c);
  return 0;
}
