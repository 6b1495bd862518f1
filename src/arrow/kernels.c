/* Selection kernels over Arrow C Data arrays: nulls, take, filter, slice,
 * concat, validate.
 *
 * Engine: most kernels reduce to "concatenate segments", where a segment is
 * a run of rows [start, start+len) of some array, `start` being the
 * *physical* row (array offset already added). Slice is one segment,
 * concat one per input, filter on variable-width / nested types one per
 * run of kept rows, and the children of lists / fixed-size lists are
 * always gathered as segments (a run of lists is one child run).
 * Fixed-width values, bitmaps and structs also have direct index-gather
 * (take) and bitmap-scan (filter) paths, which are the hot ones.
 *
 * Dictionaries: the output of every kernel owns a *copy* of the input
 * dictionary (copied once per call, not per row), so results never
 * borrow from their input. Concatenating arrays whose dictionaries are
 * different objects appends the dictionaries and rebases the indices
 * (no deduplication).
 *
 * Outputs have offset 0, exact null_count, and a NULL validity buffer
 * whenever they have no nulls (except the null type, which has no
 * buffers at all). Every buffer is allocated (64-byte aligned), even
 * when empty. */
#include <stdio.h>

#include "arrow/arrow.h"

typedef enum kind {
  K_NULL,
  K_BOOL,
  K_FIXED,
  K_VAR32,
  K_VAR64,
  K_LIST32,
  K_LIST64,
  K_FSL,
  K_STRUCT,
  K_DICT,
  K_BAD
} kind;

static int type_bytes(lc_type_id t, int32_t width) {
  switch (t) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 2;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 4;
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return width;
    default: return 0;
  }
}

static kind kind_of(const lc_field *f) {
  switch (f->type) {
    case LC_T_NULL: return K_NULL;
    case LC_T_BOOL: return K_BOOL;
    case LC_T_STRING: case LC_T_BINARY: return K_VAR32;
    case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY: return K_VAR64;
    case LC_T_LIST: case LC_T_MAP: return f->n_children == 1 ? K_LIST32 : K_BAD;
    case LC_T_LARGE_LIST: return f->n_children == 1 ? K_LIST64 : K_BAD;
    case LC_T_FIXED_LIST: return f->n_children == 1 && f->width >= 0 ? K_FSL : K_BAD;
    case LC_T_STRUCT: return K_STRUCT;
    case LC_T_DICT: return f->dict_value && type_bytes(f->dict_key, 0) > 0 ? K_DICT : K_BAD;
    case LC_T_FIXED_BINARY: return f->width >= 0 ? K_FIXED : K_BAD;
    default: return type_bytes(f->type, f->width) > 0 ? K_FIXED : K_BAD;
  }
}

static int n_buffers_of(kind k) {
  switch (k) {
    case K_NULL: return 0;
    case K_FSL: case K_STRUCT: return 1;
    case K_VAR32: case K_VAR64: return 3;
    default: return 2;
  }
}

static int64_t n_children_of(const lc_field *f, kind k) {
  if (k == K_LIST32 || k == K_LIST64 || k == K_FSL) return 1;
  if (k == K_STRUCT) return (int64_t)f->n_children;
  return 0;
}

/* ---- buffers and bits ----------------------------------------------------- */

static void *alloc_buf(size_t n) { return lc_malloc_aligned(n ? n : 1); }

static uint8_t *alloc_bits(int64_t n) {
  size_t b = lc_bitmap_bytes(n);
  uint8_t *p = alloc_buf(b);
  if (p) memset(p, 0, b ? b : 1);
  return p;
}

/* Up to 56 bits from `s` starting at bit `pos` (reads only needed bytes). */
static inline uint64_t load_bits(const uint8_t *s, int64_t pos, int k) {
  const uint8_t *p = s + (pos >> 3);
  int sh = (int)(pos & 7);
  int nb = (sh + k + 7) >> 3;
  uint64_t w = 0;
  memcpy(&w, p, (size_t)nb);
  w >>= sh;
  return k == 64 ? w : (w & ((UINT64_C(1) << k) - 1));
}

/* OR `k` (<= 56) bits into zero-initialised `d` at bit `pos`. */
static inline void or_bits(uint8_t *d, int64_t pos, uint64_t v, int k) {
  uint8_t *p = d + (pos >> 3);
  int sh = (int)(pos & 7);
  int nb = (sh + k + 7) >> 3;
  uint64_t w = 0;
  memcpy(&w, p, (size_t)nb);
  w |= v << sh;
  memcpy(p, &w, (size_t)nb);
}

/* Copy n bits src[spos..] to zero-initialised dst[dpos..]. */
static void append_bits(uint8_t *dst, int64_t dpos, const uint8_t *src, int64_t spos, int64_t n) {
  if (((dpos | spos) & 7) == 0) {
    size_t whole = (size_t)(n >> 3);
    memcpy(dst + (dpos >> 3), src + (spos >> 3), whole);
    int64_t done = (int64_t)whole * 8;
    dpos += done, spos += done, n -= done;
  }
  while (n > 0) {
    int k = n > 56 ? 56 : (int)n;
    or_bits(dst, dpos, load_bits(src, spos, k), k);
    dpos += k, spos += k, n -= k;
  }
}

static void set_bits(uint8_t *dst, int64_t pos, int64_t n) {
  while (n > 0 && (pos & 7)) lc_bit_set(dst, pos++), n--;
  if (n >= 8) {
    memset(dst + (pos >> 3), 0xff, (size_t)(n >> 3));
    pos += n & ~(int64_t)7;
    n &= 7;
  }
  while (n-- > 0) lc_bit_set(dst, pos++);
}

static int64_t popcount_bits(const uint8_t *b, int64_t n) {
  int64_t c = 0, i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t w;
    memcpy(&w, b + (i >> 3), 8);
    c += __builtin_popcountll(w);
  }
  if (i < n) c += __builtin_popcountll(load_bits(b, i, (int)(n - i)));
  return c;
}

/* 64 bits of the keep bitmap at bit i (i multiple of 64), masked to n. */
static inline uint64_t keep_word(const uint8_t *keep, int64_t i, int64_t n) {
  if (i + 64 <= n) {
    uint64_t w;
    memcpy(&w, keep + (i >> 3), 8);
    return w;
  }
  int64_t k = n - i;
  uint64_t w = 0;
  memcpy(&w, keep + (i >> 3), (size_t)((k + 7) >> 3));
  return w & ((UINT64_C(1) << k) - 1);
}

static bool has_nulls(const struct ArrowArray *a) {
  return a->n_buffers > 0 && a->buffers[0] && a->null_count != 0;
}

/* Attach validity `v` (may be NULL = all valid) with n bits; sets null_count. */
static void finish_validity(struct ArrowArray *out, uint8_t *v, int64_t n) {
  if (!v) {
    out->null_count = 0;
    return;
  }
  int64_t nulls = n - popcount_bits(v, n);
  if (nulls == 0) {
    lc_free(v);
    out->null_count = 0;
    return;
  }
  out->null_count = nulls;
  lc_array_set_buffer(out, 0, v);
}

static int oom(lancec_error *err) { return lc_err(err, LANCEC_ENOMEM, "out of memory"); }

static int init_out(const lc_field *f, kind k, int64_t len, struct ArrowArray *out,
                    lancec_error *err) {
  if (lc_array_init(out, n_buffers_of(k), n_children_of(f, k))) return oom(err);
  out->length = len;
  return 0;
}

static int check_shape(const lc_field *f, kind k, const struct ArrowArray *a, lancec_error *err) {
  if (k == K_BAD)
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': unsupported type %d in array kernel",
                  f->name ? f->name : "", (int)f->type);
  if (a->n_buffers < n_buffers_of(k) || a->n_children < n_children_of(f, k) ||
      (k == K_DICT && !a->dictionary))
    return lc_err(err, LANCEC_ETYPE, "field '%s': array does not match its type (%lld buffers, %lld children)",
                  f->name ? f->name : "", (long long)a->n_buffers, (long long)a->n_children);
  return 0;
}

/* ---- segments --------------------------------------------------------------- */

typedef struct seg {
  const struct ArrowArray *a;
  int64_t start; /* physical row */
  int64_t len;
} seg;

static int cat_segs(const lc_field *f, const seg *s, size_t ns, int64_t total,
                    struct ArrowArray *out, lancec_error *err);

static int segs_validity(const seg *s, size_t ns, int64_t total, struct ArrowArray *out) {
  bool any = false;
  for (size_t i = 0; i < ns && !any; i++) any = s[i].len > 0 && has_nulls(s[i].a);
  if (!any) {
    out->null_count = 0;
    return 0;
  }
  uint8_t *v = alloc_bits(total);
  if (!v) return LANCEC_ENOMEM;
  int64_t pos = 0;
  for (size_t i = 0; i < ns; i++) {
    if (has_nulls(s[i].a))
      append_bits(v, pos, s[i].a->buffers[0], s[i].start, s[i].len);
    else
      set_bits(v, pos, s[i].len);
    pos += s[i].len;
  }
  finish_validity(out, v, total);
  return 0;
}

/* Merge-append a segment (extends the previous one when contiguous). */
static inline void push_seg(seg *s, size_t *ns, const struct ArrowArray *a, int64_t start, int64_t len) {
  if (*ns && s[*ns - 1].a == a && s[*ns - 1].start + s[*ns - 1].len == start) {
    s[*ns - 1].len += len;
    return;
  }
  s[*ns].a = a;
  s[*ns].start = start;
  s[*ns].len = len;
  (*ns)++;
}

static int copy_dictionary(const lc_field *f, const struct ArrowArray *dict, struct ArrowArray *out,
                           lancec_error *err) {
  seg s = {dict, dict->offset, dict->length};
  struct ArrowArray d;
  LC_TRY(cat_segs(f->dict_value, &s, 1, dict->length, &d, err));
  if (lc_array_set_dictionary(out, &d)) {
    lc_array_release(&d);
    return oom(err);
  }
  return 0;
}

static int64_t load_index(const void *p, int w, bool is_signed, int64_t i) {
  switch (w) {
    case 1: return is_signed ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
    case 2: return is_signed ? ((const int16_t *)p)[i] : ((const uint16_t *)p)[i];
    case 4: return is_signed ? ((const int32_t *)p)[i] : (int64_t)((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

static bool key_signed(lc_type_id t) {
  return t == LC_T_INT8 || t == LC_T_INT16 || t == LC_T_INT32 || t == LC_T_INT64;
}

/* Dictionary of concatenated segments: shared dictionary copied once, or
 * distinct dictionaries appended with the indices in `idx` rebased. */
static int segs_dictionary(const lc_field *f, const seg *s, size_t ns, uint8_t *idx,
                           struct ArrowArray *out, lancec_error *err) {
  const struct ArrowArray *first = NULL;
  bool same = true;
  for (size_t i = 0; i < ns; i++) {
    if (!first) first = s[i].a->dictionary;
    else if (s[i].a->dictionary != first) same = false;
  }
  if (!first) {
    /* no segments: empty dictionary */
    struct ArrowArray d;
    LC_TRY(lc_array_make_nulls(f->dict_value, 0, &d, err));
    if (lc_array_set_dictionary(out, &d)) {
      lc_array_release(&d);
      return oom(err);
    }
    return 0;
  }
  if (same) return copy_dictionary(f, first, out, err);
  /* distinct dictionaries: append each distinct run of dictionaries */
  seg *ds = lc_calloc(ns, sizeof(seg));
  if (!ds) return oom(err);
  size_t nd = 0;
  int64_t dtotal = 0, row = 0;
  int w = type_bytes(f->dict_key, 0);
  bool sg = key_signed(f->dict_key);
  int64_t kmax = w == 8 ? INT64_MAX : sg ? (INT64_C(1) << (w * 8 - 1)) - 1 : (INT64_C(1) << (w * 8)) - 1;
  int rc = 0;
  for (size_t i = 0; i < ns; i++) {
    const struct ArrowArray *d = s[i].a->dictionary;
    int64_t base;
    if (nd && ds[nd - 1].a == d) {
      base = dtotal - d->length;
    } else {
      ds[nd].a = d, ds[nd].start = d->offset, ds[nd].len = d->length, nd++;
      base = dtotal;
      dtotal += d->length;
    }
    if (dtotal - 1 > kmax) {
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': concatenated dictionary overflows its index type",
                  f->name ? f->name : "");
      goto done;
    }
    if (base) {
      for (int64_t r = row; r < row + s[i].len; r++) {
        switch (w) {
          case 1: idx[r] = (uint8_t)(idx[r] + base); break;
          case 2: ((uint16_t *)idx)[r] = (uint16_t)(((uint16_t *)idx)[r] + base); break;
          case 4: ((uint32_t *)idx)[r] = (uint32_t)(((uint32_t *)idx)[r] + (uint64_t)base); break;
          default: ((uint64_t *)idx)[r] += (uint64_t)base; break;
        }
      }
    }
    row += s[i].len;
  }
  struct ArrowArray d;
  rc = cat_segs(f->dict_value, ds, nd, dtotal, &d, err);
  if (rc) goto done;
  if (lc_array_set_dictionary(out, &d)) {
    lc_array_release(&d);
    rc = oom(err);
  }
done:
  lc_free(ds);
  return rc;
}

static int cat_segs(const lc_field *f, const seg *s, size_t ns, int64_t total,
                    struct ArrowArray *out, lancec_error *err) {
  kind k = kind_of(f);
  for (size_t i = 0; i < ns; i++) LC_TRY(check_shape(f, k, s[i].a, err));
  LC_TRY(init_out(f, k, total, out, err));
  int rc = 0;
  if (k == K_NULL) {
    out->null_count = total;
    return 0;
  }
  if (segs_validity(s, ns, total, out)) goto nomem;
  switch (k) {
    case K_FIXED:
    case K_DICT: {
      size_t w = (size_t)(k == K_DICT ? type_bytes(f->dict_key, 0) : type_bytes(f->type, f->width));
      uint8_t *d = alloc_buf(w * (size_t)total);
      if (!d) goto nomem;
      size_t o = 0;
      for (size_t i = 0; i < ns; i++) {
        if (s[i].len)
          memcpy(d + o, (const uint8_t *)s[i].a->buffers[1] + (size_t)s[i].start * w, (size_t)s[i].len * w);
        o += (size_t)s[i].len * w;
      }
      lc_array_set_buffer(out, 1, d);
      if (k == K_DICT) {
        rc = segs_dictionary(f, s, ns, d, out, err);
        if (rc) goto fail;
      }
      return 0;
    }
    case K_BOOL: {
      uint8_t *d = alloc_bits(total);
      if (!d) goto nomem;
      int64_t pos = 0;
      for (size_t i = 0; i < ns; i++) {
        if (s[i].len) append_bits(d, pos, s[i].a->buffers[1], s[i].start, s[i].len);
        pos += s[i].len;
      }
      lc_array_set_buffer(out, 1, d);
      return 0;
    }
    case K_VAR32:
    case K_LIST32: {
      uint64_t bytes = 0;
      for (size_t i = 0; i < ns; i++) {
        if (!s[i].len) continue;
        const int32_t *off = (const int32_t *)s[i].a->buffers[1] + s[i].start;
        bytes += (uint64_t)((int64_t)off[s[i].len] - off[0]);
      }
      if (bytes > INT32_MAX) {
        rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': result exceeds 2 GiB of 32-bit offsets",
                    f->name ? f->name : "");
        goto fail;
      }
      int32_t *o = alloc_buf(((size_t)total + 1) * 4);
      if (!o) goto nomem;
      lc_array_set_buffer(out, 1, o);
      uint8_t *d = NULL;
      seg *cs = NULL;
      if (k == K_VAR32) {
        d = alloc_buf((size_t)bytes);
        if (!d) goto nomem;
        lc_array_set_buffer(out, 2, d);
      } else {
        cs = lc_calloc(ns ? ns : 1, sizeof(seg));
        if (!cs) goto nomem;
      }
      int32_t cur = 0;
      int64_t row = 0;
      size_t ncs = 0;
      o[0] = 0;
      for (size_t i = 0; i < ns; i++) {
        if (!s[i].len) continue;
        const int32_t *so = (const int32_t *)s[i].a->buffers[1] + s[i].start;
        int32_t delta = cur - so[0];
        for (int64_t r = 1; r <= s[i].len; r++) o[row + r] = so[r] + delta;
        int32_t n = so[s[i].len] - so[0];
        if (k == K_VAR32) {
          if (n) memcpy(d + cur, (const uint8_t *)s[i].a->buffers[2] + so[0], (size_t)n);
        } else if (n) {
          const struct ArrowArray *c = s[i].a->children[0];
          push_seg(cs, &ncs, c, c->offset + so[0], n);
        }
        cur += n;
        row += s[i].len;
      }
      if (k == K_LIST32) {
        rc = cat_segs(f->children[0], cs, ncs, cur, out->children[0], err);
        lc_free(cs);
        if (rc) goto fail;
      }
      return 0;
    }
    case K_VAR64:
    case K_LIST64: {
      int64_t *o = alloc_buf(((size_t)total + 1) * 8);
      if (!o) goto nomem;
      lc_array_set_buffer(out, 1, o);
      uint64_t bytes = 0;
      for (size_t i = 0; i < ns; i++) {
        if (!s[i].len) continue;
        const int64_t *off = (const int64_t *)s[i].a->buffers[1] + s[i].start;
        bytes += (uint64_t)(off[s[i].len] - off[0]);
      }
      uint8_t *d = NULL;
      seg *cs = NULL;
      if (k == K_VAR64) {
        if (bytes > SIZE_MAX / 2) goto nomem;
        d = alloc_buf((size_t)bytes);
        if (!d) goto nomem;
        lc_array_set_buffer(out, 2, d);
      } else {
        cs = lc_calloc(ns ? ns : 1, sizeof(seg));
        if (!cs) goto nomem;
      }
      int64_t cur = 0, row = 0;
      size_t ncs = 0;
      o[0] = 0;
      for (size_t i = 0; i < ns; i++) {
        if (!s[i].len) continue;
        const int64_t *so = (const int64_t *)s[i].a->buffers[1] + s[i].start;
        int64_t delta = cur - so[0];
        for (int64_t r = 1; r <= s[i].len; r++) o[row + r] = so[r] + delta;
        int64_t n = so[s[i].len] - so[0];
        if (k == K_VAR64) {
          if (n) memcpy(d + cur, (const uint8_t *)s[i].a->buffers[2] + so[0], (size_t)n);
        } else if (n) {
          const struct ArrowArray *c = s[i].a->children[0];
          push_seg(cs, &ncs, c, c->offset + so[0], n);
        }
        cur += n;
        row += s[i].len;
      }
      if (k == K_LIST64) {
        rc = cat_segs(f->children[0], cs, ncs, cur, out->children[0], err);
        lc_free(cs);
        if (rc) goto fail;
      }
      return 0;
    }
    case K_FSL: {
      int64_t w = f->width;
      seg *cs = lc_calloc(ns ? ns : 1, sizeof(seg));
      if (!cs) goto nomem;
      size_t ncs = 0;
      for (size_t i = 0; i < ns; i++) {
        const struct ArrowArray *c = s[i].a->children[0];
        if (s[i].len && w) push_seg(cs, &ncs, c, c->offset + s[i].start * w, s[i].len * w);
      }
      rc = cat_segs(f->children[0], cs, ncs, total * w, out->children[0], err);
      lc_free(cs);
      if (rc) goto fail;
      return 0;
    }
    case K_STRUCT: {
      seg *cs = lc_calloc(ns ? ns : 1, sizeof(seg));
      if (!cs) goto nomem;
      for (size_t c = 0; c < f->n_children && !rc; c++) {
        for (size_t i = 0; i < ns; i++) {
          const struct ArrowArray *ch = s[i].a->children[c];
          cs[i].a = ch, cs[i].start = ch->offset + s[i].start, cs[i].len = s[i].len;
        }
        rc = cat_segs(f->children[c], cs, ns, total, out->children[c], err);
      }
      lc_free(cs);
      if (rc) goto fail;
      return 0;
    }
    default:
      break;
  }
  rc = lc_err(err, LANCEC_EINTERNAL, "unreachable kind");
  goto fail;
nomem:
  rc = oom(err);
fail:
  lc_array_release(out);
  return rc;
}

/* ---- take ------------------------------------------------------------------- */

static int take_idx(const lc_field *f, const struct ArrowArray *a, int64_t base, const int64_t *idx,
                    int64_t n, struct ArrowArray *out, lancec_error *err);

#define GATHER(T)                                                  \
  do {                                                             \
    const T *restrict s_ = (const T *)src + base;                  \
    T *restrict d_ = (T *)dst;                                     \
    for (int64_t i = 0; i < n; i++) d_[i] = s_[idx[i]];            \
  } while (0)

static void gather_fixed(uint8_t *dst, const uint8_t *src, size_t w, int64_t base, const int64_t *idx,
                         int64_t n) {
  switch (w) {
    case 1: GATHER(uint8_t); break;
    case 2: GATHER(uint16_t); break;
    case 4: GATHER(uint32_t); break;
    case 8: GATHER(uint64_t); break;
    case 16: {
      const uint8_t *s = src + (size_t)base * 16;
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * 16, s + idx[i] * 16, 16);
      break;
    }
    case 32: {
      const uint8_t *s = src + (size_t)base * 32;
      for (int64_t i = 0; i < n; i++) memcpy(dst + i * 32, s + idx[i] * 32, 32);
      break;
    }
    default: {
      const uint8_t *s = src + (size_t)base * w;
      for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * w, s + (size_t)idx[i] * w, w);
    }
  }
}

/* Gather bits; dst zero-initialised. */
static void gather_bits(uint8_t *dst, const uint8_t *src, int64_t base, const int64_t *idx, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint8_t b = 0;
    for (int j = 0; j < 8; j++) b |= (uint8_t)(lc_bit_get(src, base + idx[i + j]) << j);
    dst[i >> 3] = b;
  }
  for (; i < n; i++)
    if (lc_bit_get(src, base + idx[i])) lc_bit_set(dst, i);
}

static int take_idx(const lc_field *f, const struct ArrowArray *a, int64_t base, const int64_t *idx,
                    int64_t n, struct ArrowArray *out, lancec_error *err) {
  kind k = kind_of(f);
  LC_TRY(check_shape(f, k, a, err));
  LC_TRY(init_out(f, k, n, out, err));
  int rc = 0;
  if (k == K_NULL) {
    out->null_count = n;
    return 0;
  }
  if (has_nulls(a)) {
    uint8_t *v = alloc_bits(n);
    if (!v) goto nomem;
    gather_bits(v, a->buffers[0], base, idx, n);
    finish_validity(out, v, n);
  }
  switch (k) {
    case K_FIXED:
    case K_DICT: {
      size_t w = (size_t)(k == K_DICT ? type_bytes(f->dict_key, 0) : type_bytes(f->type, f->width));
      uint8_t *d = alloc_buf(w * (size_t)n);
      if (!d) goto nomem;
      if (n) gather_fixed(d, a->buffers[1], w, base, idx, n);
      lc_array_set_buffer(out, 1, d);
      if (k == K_DICT) {
        rc = copy_dictionary(f, a->dictionary, out, err);
        if (rc) goto fail;
      }
      return 0;
    }
    case K_BOOL: {
      uint8_t *d = alloc_bits(n);
      if (!d) goto nomem;
      if (n) gather_bits(d, a->buffers[1], base, idx, n);
      lc_array_set_buffer(out, 1, d);
      return 0;
    }
    case K_VAR32:
    case K_VAR64:
    case K_LIST32:
    case K_LIST64: {
      bool w64 = k == K_VAR64 || k == K_LIST64;
      bool list = k == K_LIST32 || k == K_LIST64;
      void *ob = alloc_buf(((size_t)n + 1) * (w64 ? 8 : 4));
      if (!ob) goto nomem;
      lc_array_set_buffer(out, 1, ob);
      uint64_t bytes = 0;
      if (w64) {
        const int64_t *so = (const int64_t *)a->buffers[1] + base;
        int64_t *o = ob;
        o[0] = 0;
        for (int64_t i = 0; i < n; i++) {
          bytes += (uint64_t)(so[idx[i] + 1] - so[idx[i]]);
          o[i + 1] = (int64_t)bytes;
        }
      } else {
        const int32_t *so = (const int32_t *)a->buffers[1] + base;
        int32_t *o = ob;
        o[0] = 0;
        for (int64_t i = 0; i < n; i++) {
          bytes += (uint64_t)((int64_t)so[idx[i] + 1] - so[idx[i]]);
          if (bytes > INT32_MAX) {
            rc = lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': result exceeds 2 GiB of 32-bit offsets",
                        f->name ? f->name : "");
            goto fail;
          }
          o[i + 1] = (int32_t)bytes;
        }
      }
      if (!list) {
        if (bytes > SIZE_MAX / 2) goto nomem;
        uint8_t *d = alloc_buf((size_t)bytes);
        if (!d) goto nomem;
        lc_array_set_buffer(out, 2, d);
        const uint8_t *sd = a->buffers[2];
        if (w64) {
          const int64_t *so = (const int64_t *)a->buffers[1] + base;
          const int64_t *o = ob;
          for (int64_t i = 0; i < n; i++)
            memcpy(d + o[i], sd + so[idx[i]], (size_t)(o[i + 1] - o[i]));
        } else {
          const int32_t *so = (const int32_t *)a->buffers[1] + base;
          const int32_t *o = ob;
          for (int64_t i = 0; i < n; i++)
            memcpy(d + o[i], sd + so[idx[i]], (size_t)(o[i + 1] - o[i]));
        }
        return 0;
      }
      seg *cs = lc_calloc(n ? (size_t)n : 1, sizeof(seg));
      if (!cs) goto nomem;
      size_t ncs = 0;
      const struct ArrowArray *c = a->children[0];
      for (int64_t i = 0; i < n; i++) {
        int64_t st, en;
        if (w64) {
          const int64_t *so = (const int64_t *)a->buffers[1] + base;
          st = so[idx[i]], en = so[idx[i] + 1];
        } else {
          const int32_t *so = (const int32_t *)a->buffers[1] + base;
          st = so[idx[i]], en = so[idx[i] + 1];
        }
        if (en > st) push_seg(cs, &ncs, c, c->offset + st, en - st);
      }
      rc = cat_segs(f->children[0], cs, ncs, (int64_t)bytes, out->children[0], err);
      lc_free(cs);
      if (rc) goto fail;
      return 0;
    }
    case K_FSL: {
      int64_t w = f->width;
      seg *cs = lc_calloc(n ? (size_t)n : 1, sizeof(seg));
      if (!cs) goto nomem;
      size_t ncs = 0;
      const struct ArrowArray *c = a->children[0];
      if (w)
        for (int64_t i = 0; i < n; i++) push_seg(cs, &ncs, c, c->offset + (base + idx[i]) * w, w);
      rc = cat_segs(f->children[0], cs, ncs, n * w, out->children[0], err);
      lc_free(cs);
      if (rc) goto fail;
      return 0;
    }
    case K_STRUCT:
      for (size_t c = 0; c < f->n_children; c++) {
        const struct ArrowArray *ch = a->children[c];
        rc = take_idx(f->children[c], ch, ch->offset + base, idx, n, out->children[c], err);
        if (rc) goto fail;
      }
      return 0;
    default:
      break;
  }
  rc = lc_err(err, LANCEC_EINTERNAL, "unreachable kind");
  goto fail;
nomem:
  rc = oom(err);
fail:
  lc_array_release(out);
  return rc;
}

int lc_array_take(const lc_field *f, const struct ArrowArray *in, const int64_t *idx, int64_t n,
                  struct ArrowArray *out, lancec_error *err) {
  if (n < 0) return lc_err(err, LANCEC_EINVAL, "take: negative count");
  for (int64_t i = 0; i < n; i++)
    if (idx[i] < 0 || idx[i] >= in->length)
      return lc_err(err, LANCEC_EINVAL, "take: index %lld out of range (length %lld)", (long long)idx[i],
                    (long long)in->length);
  return take_idx(f, in, in->offset, idx, n, out, err);
}

/* ---- filter ----------------------------------------------------------------- */

static int filter_impl(const lc_field *f, const struct ArrowArray *a, int64_t base, const uint8_t *keep,
                       int64_t n_in, int64_t n_out, struct ArrowArray *out, lancec_error *err);

/* Filter bits (dst zero-initialised). */
static void filter_bits(uint8_t *dst, const uint8_t *src, int64_t base, const uint8_t *keep, int64_t n) {
  int64_t o = 0;
  for (int64_t i = 0; i < n; i += 64) {
    uint64_t w = keep_word(keep, i, n);
    if (w == ~UINT64_C(0)) {
      append_bits(dst, o, src, base + i, 64);
      o += 64;
    } else {
      while (w) {
        int b = __builtin_ctzll(w);
        w &= w - 1;
        if (lc_bit_get(src, base + i + b)) lc_bit_set(dst, o);
        o++;
      }
    }
  }
}

#define FILTER_FIXED(T)                                                      \
  do {                                                                       \
    const T *restrict s_ = (const T *)src + base;                            \
    T *restrict d_ = (T *)dst;                                               \
    int64_t o_ = 0;                                                          \
    for (int64_t i = 0; i < n; i += 64) {                                    \
      uint64_t kw_ = keep_word(keep, i, n);                                  \
      if (kw_ == ~UINT64_C(0)) {                                             \
        memcpy(d_ + o_, s_ + i, 64 * sizeof(T));                             \
        o_ += 64;                                                            \
      } else {                                                               \
        while (kw_) {                                                        \
          int b = __builtin_ctzll(kw_);                                      \
          kw_ &= kw_ - 1;                                                    \
          d_[o_++] = s_[i + b];                                              \
        }                                                                    \
      }                                                                      \
    }                                                                        \
  } while (0)

static void filter_fixed(uint8_t *dst, const uint8_t *src, size_t w, int64_t base, const uint8_t *keep,
                         int64_t n) {
  switch (w) {
    case 1: FILTER_FIXED(uint8_t); return;
    case 2: FILTER_FIXED(uint16_t); return;
    case 4: FILTER_FIXED(uint32_t); return;
    case 8: FILTER_FIXED(uint64_t); return;
    default: break;
  }
  const uint8_t *s = src + (size_t)base * w;
  size_t o = 0;
  for (int64_t i = 0; i < n; i += 64) {
    uint64_t kw = keep_word(keep, i, n);
    if (kw == ~UINT64_C(0)) {
      memcpy(dst + o, s + (size_t)i * w, 64 * w);
      o += 64 * w;
      continue;
    }
    while (kw) {
      int b = __builtin_ctzll(kw);
      kw &= kw - 1;
      memcpy(dst + o, s + (size_t)(i + b) * w, w);
      o += w;
    }
  }
}

/* Runs of set bits in keep[0..n) → segments of `a` at physical base. */
typedef struct seg_vec {
  seg *s;
  size_t n, cap;
} seg_vec;

static bool seg_vec_push(seg_vec *v, const struct ArrowArray *a, int64_t start, int64_t len) {
  if (v->n == v->cap) {
    size_t nc = v->cap ? v->cap * 2 : 16;
    seg *ns = lc_realloc(v->s, nc * sizeof(seg));
    if (!ns) return false;
    v->s = ns, v->cap = nc;
  }
  v->s[v->n].a = a, v->s[v->n].start = start, v->s[v->n].len = len, v->n++;
  return true;
}

static seg *keep_runs(const struct ArrowArray *a, int64_t base, const uint8_t *keep, int64_t n, size_t *ns) {
  seg_vec v = {0};
  if (!seg_vec_push(&v, a, 0, 0)) return NULL; /* ensure non-NULL result */
  v.n = 0;
  int64_t run = -1; /* start of the current run, or -1 */
  for (int64_t i = 0; i < n; i += 64) {
    uint64_t w = keep_word(keep, i, n); /* bits past n are 0 */
    int lim = n - i < 64 ? (int)(n - i) : 64;
    if (run >= 0 ? w == ~UINT64_C(0) : w == 0) continue;
    int b = 0;
    while (b < lim) {
      if (run < 0) {
        uint64_t x = w >> b;
        if (!x) break;
        b += __builtin_ctzll(x);
        run = i + b;
      } else {
        uint64_t x = ~w >> b;
        if (!x) break;
        int p = b + __builtin_ctzll(x);
        if (p >= lim) break;
        if (!seg_vec_push(&v, a, base + run, i + p - run)) goto oom;
        run = -1;
        b = p;
      }
    }
  }
  if (run >= 0 && !seg_vec_push(&v, a, base + run, n - run)) goto oom;
  *ns = v.n;
  return v.s;
oom:
  lc_free(v.s);
  return NULL;
}

static int filter_impl(const lc_field *f, const struct ArrowArray *a, int64_t base, const uint8_t *keep,
                       int64_t n_in, int64_t n_out, struct ArrowArray *out, lancec_error *err) {
  kind k = kind_of(f);
  LC_TRY(check_shape(f, k, a, err));
  if (k != K_NULL && k != K_FIXED && k != K_DICT && k != K_BOOL && k != K_STRUCT) {
    size_t ns = 0;
    seg *s = keep_runs(a, base, keep, n_in, &ns);
    if (!s) return oom(err);
    int rc = cat_segs(f, s, ns, n_out, out, err);
    lc_free(s);
    return rc;
  }
  LC_TRY(init_out(f, k, n_out, out, err));
  int rc = 0;
  if (k == K_NULL) {
    out->null_count = n_out;
    return 0;
  }
  if (has_nulls(a)) {
    uint8_t *v = alloc_bits(n_out);
    if (!v) goto nomem;
    filter_bits(v, a->buffers[0], base, keep, n_in);
    finish_validity(out, v, n_out);
  }
  switch (k) {
    case K_FIXED:
    case K_DICT: {
      size_t w = (size_t)(k == K_DICT ? type_bytes(f->dict_key, 0) : type_bytes(f->type, f->width));
      uint8_t *d = alloc_buf(w * (size_t)n_out);
      if (!d) goto nomem;
      if (n_out) filter_fixed(d, a->buffers[1], w, base, keep, n_in);
      lc_array_set_buffer(out, 1, d);
      if (k == K_DICT) {
        rc = copy_dictionary(f, a->dictionary, out, err);
        if (rc) goto fail;
      }
      return 0;
    }
    case K_BOOL: {
      uint8_t *d = alloc_bits(n_out);
      if (!d) goto nomem;
      if (n_out) filter_bits(d, a->buffers[1], base, keep, n_in);
      lc_array_set_buffer(out, 1, d);
      return 0;
    }
    case K_STRUCT:
      for (size_t c = 0; c < f->n_children; c++) {
        const struct ArrowArray *ch = a->children[c];
        rc = filter_impl(f->children[c], ch, ch->offset + base, keep, n_in, n_out, out->children[c], err);
        if (rc) goto fail;
      }
      return 0;
    default:
      break;
  }
  rc = lc_err(err, LANCEC_EINTERNAL, "unreachable kind");
  goto fail;
nomem:
  rc = oom(err);
fail:
  lc_array_release(out);
  return rc;
}

int lc_array_filter(const lc_field *f, const struct ArrowArray *in, const uint8_t *keep,
                    struct ArrowArray *out, lancec_error *err) {
  int64_t n_out = in->length ? popcount_bits(keep, in->length) : 0;
  return filter_impl(f, in, in->offset, keep, in->length, n_out, out, err);
}

/* ---- slice / concat ------------------------------------------------------ */

int lc_array_slice(const lc_field *f, const struct ArrowArray *in, int64_t start, int64_t len,
                   struct ArrowArray *out, lancec_error *err) {
  if (start < 0 || len < 0 || start > in->length || len > in->length - start)
    return lc_err(err, LANCEC_EINVAL, "slice [%lld, +%lld) out of range (length %lld)", (long long)start,
                  (long long)len, (long long)in->length);
  seg s = {in, in->offset + start, len};
  return cat_segs(f, &s, 1, len, out, err);
}

int lc_array_concat(const lc_field *f, const struct ArrowArray *const *in, size_t n,
                    struct ArrowArray *out, lancec_error *err) {
  seg *s = lc_calloc(n ? n : 1, sizeof(seg));
  if (!s) return oom(err);
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    s[i].a = in[i], s[i].start = in[i]->offset, s[i].len = in[i]->length;
    total += in[i]->length;
  }
  int rc = cat_segs(f, s, n, total, out, err);
  lc_free(s);
  return rc;
}

/* ---- nulls -------------------------------------------------------------------- */

int lc_array_make_nulls(const lc_field *f, int64_t n, struct ArrowArray *out, lancec_error *err) {
  kind k = kind_of(f);
  if (k == K_BAD)
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': unsupported type %d", f->name ? f->name : "",
                  (int)f->type);
  if (n < 0) return lc_err(err, LANCEC_EINVAL, "make_nulls: negative length");
  LC_TRY(init_out(f, k, n, out, err));
  out->null_count = n;
  if (k == K_NULL) return 0;
  int rc = 0;
  if (n > 0) {
    uint8_t *v = alloc_bits(n);
    if (!v) goto nomem;
    lc_array_set_buffer(out, 0, v);
  }
  switch (k) {
    case K_FIXED:
    case K_DICT:
    case K_BOOL: {
      size_t bytes = k == K_BOOL ? lc_bitmap_bytes(n)
                                 : (size_t)n * (size_t)(k == K_DICT ? type_bytes(f->dict_key, 0)
                                                                    : type_bytes(f->type, f->width));
      uint8_t *d = alloc_buf(bytes);
      if (!d) goto nomem;
      memset(d, 0, bytes);
      lc_array_set_buffer(out, 1, d);
      if (k == K_DICT) {
        struct ArrowArray dict;
        rc = lc_array_make_nulls(f->dict_value, 0, &dict, err);
        if (rc) goto fail;
        if (lc_array_set_dictionary(out, &dict)) {
          lc_array_release(&dict);
          goto nomem;
        }
      }
      return 0;
    }
    case K_VAR32:
    case K_VAR64:
    case K_LIST32:
    case K_LIST64: {
      size_t w = (k == K_VAR64 || k == K_LIST64) ? 8 : 4;
      uint8_t *o = alloc_buf(((size_t)n + 1) * w);
      if (!o) goto nomem;
      memset(o, 0, ((size_t)n + 1) * w);
      lc_array_set_buffer(out, 1, o);
      if (k == K_VAR32 || k == K_VAR64) {
        uint8_t *d = alloc_buf(0);
        if (!d) goto nomem;
        lc_array_set_buffer(out, 2, d);
        return 0;
      }
      rc = lc_array_make_nulls(f->children[0], 0, out->children[0], err);
      if (rc) goto fail;
      return 0;
    }
    case K_FSL:
      rc = lc_array_make_nulls(f->children[0], n * f->width, out->children[0], err);
      if (rc) goto fail;
      return 0;
    case K_STRUCT:
      for (size_t c = 0; c < f->n_children; c++) {
        rc = lc_array_make_nulls(f->children[c], n, out->children[c], err);
        if (rc) goto fail;
      }
      return 0;
    default:
      break;
  }
  rc = lc_err(err, LANCEC_EINTERNAL, "unreachable kind");
  goto fail;
nomem:
  rc = oom(err);
fail:
  lc_array_release(out);
  return rc;
}

/* ---- validate ----------------------------------------------------------------- */

static int validate_impl(const lc_field *f, const struct ArrowArray *a, const char *path, int depth,
                         lancec_error *err) {
  const char *nm = f->name ? f->name : "";
  if (depth > 64) return lc_err(err, LANCEC_ECORRUPT, "%s%s: nesting too deep", path, nm);
  kind k = kind_of(f);
  if (k == K_BAD) return lc_err(err, LANCEC_EUNSUPPORTED, "%s%s: unsupported type %d", path, nm, (int)f->type);
  if (!a->release) return lc_err(err, LANCEC_EINVAL, "%s%s: released array", path, nm);
  if (a->length < 0 || a->offset < 0 || a->null_count < -1)
    return lc_err(err, LANCEC_ECORRUPT, "%s%s: negative length/offset/null_count", path, nm);
  if (a->n_buffers != n_buffers_of(k))
    return lc_err(err, LANCEC_ECORRUPT, "%s%s: %lld buffers, expected %d", path, nm, (long long)a->n_buffers,
                  n_buffers_of(k));
  if (a->n_children != n_children_of(f, k))
    return lc_err(err, LANCEC_ECORRUPT, "%s%s: %lld children, expected %lld", path, nm,
                  (long long)a->n_children, (long long)n_children_of(f, k));
  if (a->n_buffers && !a->buffers) return lc_err(err, LANCEC_ECORRUPT, "%s%s: no buffer array", path, nm);
  if (a->n_children && !a->children) return lc_err(err, LANCEC_ECORRUPT, "%s%s: no children array", path, nm);
  int64_t end = a->offset + a->length;
  if (k == K_NULL) {
    if (a->null_count != -1 && a->null_count != a->length)
      return lc_err(err, LANCEC_ECORRUPT, "%s%s: null array with null_count %lld != length %lld", path, nm,
                    (long long)a->null_count, (long long)a->length);
    return 0;
  }
  if (a->buffers[0]) {
    if (a->null_count >= 0 && a->length) {
      int64_t z = lc_bits_count_zero(a->buffers[0], a->offset, a->length);
      if (z != a->null_count)
        return lc_err(err, LANCEC_ECORRUPT, "%s%s: null_count %lld but validity has %lld nulls", path, nm,
                      (long long)a->null_count, (long long)z);
    }
  } else if (a->null_count > 0) {
    return lc_err(err, LANCEC_ECORRUPT, "%s%s: null_count %lld without validity buffer", path, nm,
                  (long long)a->null_count);
  }
  if (a->n_buffers > 1 && a->length > 0 && !a->buffers[1])
    return lc_err(err, LANCEC_ECORRUPT, "%s%s: buffer 1 is NULL", path, nm);
  char sub[256];
  snprintf(sub, sizeof sub, "%s%s.", path, nm);
  switch (k) {
    case K_VAR32:
    case K_LIST32:
    case K_VAR64:
    case K_LIST64: {
      if (a->length == 0 && !a->buffers[1]) break;
      bool w64 = k == K_VAR64 || k == K_LIST64;
      int64_t prev = 0;
      for (int64_t i = a->offset; i <= end; i++) {
        int64_t v = w64 ? ((const int64_t *)a->buffers[1])[i] : ((const int32_t *)a->buffers[1])[i];
        if (v < 0 || (i > a->offset && v < prev))
          return lc_err(err, LANCEC_ECORRUPT, "%s%s: offsets not monotonic at %lld", path, nm, (long long)i);
        prev = v;
      }
      if (k == K_VAR32 || k == K_VAR64) {
        if (prev > 0 && !a->buffers[2]) return lc_err(err, LANCEC_ECORRUPT, "%s%s: no data buffer", path, nm);
        break;
      }
      const struct ArrowArray *c = a->children[0];
      if (!c) return lc_err(err, LANCEC_ECORRUPT, "%s%s: missing child", path, nm);
      if (prev > c->length)
        return lc_err(err, LANCEC_ECORRUPT, "%s%s: offsets end %lld beyond child length %lld", path, nm,
                      (long long)prev, (long long)c->length);
      LC_TRY(validate_impl(f->children[0], c, sub, depth + 1, err));
      break;
    }
    case K_FSL: {
      const struct ArrowArray *c = a->children[0];
      if (!c) return lc_err(err, LANCEC_ECORRUPT, "%s%s: missing child", path, nm);
      if (c->length < end * f->width)
        return lc_err(err, LANCEC_ECORRUPT, "%s%s: child length %lld < %lld", path, nm, (long long)c->length,
                      (long long)(end * f->width));
      LC_TRY(validate_impl(f->children[0], c, sub, depth + 1, err));
      break;
    }
    case K_STRUCT:
      for (size_t i = 0; i < f->n_children; i++) {
        const struct ArrowArray *c = a->children[i];
        if (!c) return lc_err(err, LANCEC_ECORRUPT, "%s%s: missing child %zu", path, nm, i);
        if (c->length < end)
          return lc_err(err, LANCEC_ECORRUPT, "%s%s: child %zu length %lld < %lld", path, nm, i,
                        (long long)c->length, (long long)end);
        LC_TRY(validate_impl(f->children[i], c, sub, depth + 1, err));
      }
      break;
    case K_DICT: {
      const struct ArrowArray *d = a->dictionary;
      if (!d) return lc_err(err, LANCEC_ECORRUPT, "%s%s: missing dictionary", path, nm);
      LC_TRY(validate_impl(f->dict_value, d, sub, depth + 1, err));
      int w = type_bytes(f->dict_key, 0);
      bool sg = key_signed(f->dict_key);
      const uint8_t *val = a->buffers[0];
      for (int64_t i = a->offset; i < end; i++) {
        if (val && !lc_bit_get(val, i)) continue;
        int64_t x = load_index(a->buffers[1], w, sg, i);
        if (x < 0 || x >= d->length)
          return lc_err(err, LANCEC_ECORRUPT, "%s%s: dictionary index %lld out of range (%lld entries)", path,
                        nm, (long long)x, (long long)d->length);
      }
      break;
    }
    default:
      break;
  }
  return 0;
}

int lc_array_validate(const lc_field *f, const struct ArrowArray *a, lancec_error *err) {
  return validate_impl(f, a, "", 0, err);
}
