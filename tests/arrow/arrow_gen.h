/* Test helpers (header-only, static): build lc_field trees, generate random
 * Arrow arrays of any type (random nulls, non-zero offsets at every level,
 * non-zero first offsets), and print a row as a canonical string, used as
 * the oracle by the kernel, IPC and output tests. */
#ifndef LC_TEST_ARROW_GEN_H
#define LC_TEST_ARROW_GEN_H

#include <stdio.h>

#include "arrow/arrow.h"
#include "arrow/ipc.h"

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
static inline int64_t rndn(int64_t n) { return n ? (int64_t)(rnd() % (uint64_t)n) : 0; }

/* ---- fields ---------------------------------------------------------------- */

static __attribute__((unused)) lc_field *fld(lc_type_id t, const char *name) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  f->type = t;
  f->name = lc_strdup(name);
  f->id = -1, f->parent_id = -1;
  f->nullable = true;
  return f;
}
static __attribute__((unused)) lc_field *fld_add(lc_field *p, lc_field *c) {
  p->children = lc_realloc(p->children, (p->n_children + 1) * sizeof(lc_field *));
  p->children[p->n_children++] = c;
  c->parent = p;
  return p;
}
static __attribute__((unused)) lc_field *fld_w(lc_type_id t, const char *name, int32_t w) {
  lc_field *f = fld(t, name);
  f->width = w;
  return f;
}
static __attribute__((unused)) lc_field *fld_list(lc_type_id t, const char *name, lc_field *item) { return fld_add(fld(t, name), item); }
static __attribute__((unused)) lc_field *fld_fsl(const char *name, int32_t w, lc_field *item) {
  return fld_add(fld_w(LC_T_FIXED_LIST, name, w), item);
}
static __attribute__((unused)) lc_field *fld_map(const char *name, lc_field *k, lc_field *v) {
  lc_field *e = fld(LC_T_STRUCT, "entries");
  k->nullable = false;
  e->nullable = false;
  fld_add(e, k);
  fld_add(e, v);
  return fld_add(fld(LC_T_MAP, name), e);
}
static __attribute__((unused)) lc_field *fld_dict(const char *name, lc_type_id key, lc_field *value) {
  lc_field *f = fld(LC_T_DICT, name);
  f->dict_key = key;
  f->dict_value = value;
  value->parent = f;
  return f;
}
static __attribute__((unused)) lc_field *fld_dec(lc_type_id t, const char *name, int32_t p, int32_t s) {
  lc_field *f = fld(t, name);
  f->precision = p, f->scale = s;
  return f;
}
static __attribute__((unused)) lc_field *fld_unit(lc_type_id t, const char *name, lc_time_unit u) {
  lc_field *f = fld(t, name);
  f->unit = u;
  return f;
}

/* Every type, nested ones too: the "zoo" struct (top-level columns). */
static __attribute__((unused)) lc_field *zoo_field(void) {
  lc_field *r = fld(LC_T_STRUCT, "");
  r->nullable = false;
  fld_add(r, fld(LC_T_NULL, "n"));
  fld_add(r, fld(LC_T_BOOL, "b"));
  fld_add(r, fld(LC_T_INT8, "i8"));
  fld_add(r, fld(LC_T_UINT8, "u8"));
  fld_add(r, fld(LC_T_INT16, "i16"));
  fld_add(r, fld(LC_T_UINT16, "u16"));
  fld_add(r, fld(LC_T_INT32, "i32"));
  fld_add(r, fld(LC_T_UINT32, "u32"));
  fld_add(r, fld(LC_T_INT64, "i64"));
  fld_add(r, fld(LC_T_UINT64, "u64"));
  fld_add(r, fld(LC_T_HALF, "f16"));
  fld_add(r, fld(LC_T_FLOAT, "f32"));
  fld_add(r, fld(LC_T_DOUBLE, "f64"));
  fld_add(r, fld(LC_T_STRING, "s"));
  fld_add(r, fld(LC_T_LARGE_STRING, "ls"));
  fld_add(r, fld(LC_T_BINARY, "bin"));
  fld_add(r, fld(LC_T_LARGE_BINARY, "lbin"));
  fld_add(r, fld_w(LC_T_FIXED_BINARY, "fsb3", 3));
  fld_add(r, fld(LC_T_DATE32, "d32"));
  fld_add(r, fld(LC_T_DATE64, "d64"));
  fld_add(r, fld_unit(LC_T_TIME32, "t32", LC_UNIT_MS));
  fld_add(r, fld_unit(LC_T_TIME64, "t64", LC_UNIT_NS));
  lc_field *ts = fld_unit(LC_T_TIMESTAMP, "ts", LC_UNIT_US);
  ts->tz = lc_strdup("UTC");
  fld_add(r, ts);
  fld_add(r, fld_unit(LC_T_TIMESTAMP, "ts_naive", LC_UNIT_S));
  fld_add(r, fld_unit(LC_T_DURATION, "dur", LC_UNIT_MS));
  fld_add(r, fld_dec(LC_T_DECIMAL128, "dec128", 38, 4));
  fld_add(r, fld_dec(LC_T_DECIMAL256, "dec256", 76, -2));
  fld_add(r, fld_list(LC_T_LIST, "l_i32", fld(LC_T_INT32, "item")));
  fld_add(r, fld_list(LC_T_LARGE_LIST, "ll_s", fld(LC_T_LARGE_STRING, "item")));
  fld_add(r, fld_fsl("fsl_f32", 3, fld(LC_T_FLOAT, "item")));
  fld_add(r, fld_fsl("fsl_fsl", 2, fld_fsl("item", 2, fld(LC_T_BOOL, "item"))));
  lc_field *st = fld(LC_T_STRUCT, "st");
  fld_add(st, fld(LC_T_INT32, "a"));
  fld_add(st, fld(LC_T_STRING, "b"));
  lc_field *inner = fld(LC_T_STRUCT, "inner");
  fld_add(inner, fld(LC_T_DOUBLE, "x"));
  fld_add(inner, fld_list(LC_T_LIST, "y", fld(LC_T_STRING, "item")));
  fld_add(st, inner);
  fld_add(r, st);
  lc_field *ls = fld(LC_T_STRUCT, "item");
  fld_add(ls, fld(LC_T_STRING, "name"));
  fld_add(ls, fld(LC_T_INT32, "v"));
  fld_add(r, fld_list(LC_T_LIST, "l_st", ls));
  fld_add(r, fld_map("m", fld(LC_T_STRING, "key"), fld(LC_T_INT64, "value")));
  fld_add(r, fld_dict("dict_s", LC_T_INT32, fld(LC_T_STRING, "value")));
  fld_add(r, fld_dict("dict_u8", LC_T_UINT8, fld(LC_T_INT64, "value")));
  fld_add(r, fld_list(LC_T_LIST, "l_dict", fld_dict("item", LC_T_INT16, fld(LC_T_STRING, "value"))));
  return r;
}

/* ---- random arrays --------------------------------------------------------- */

static __attribute__((unused)) int fixed_w(const lc_field *f, lc_type_id t) {
  switch (t) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 2;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 4;
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return f->width;
    default: return 0;
  }
}

static uint8_t *rnd_bytes(size_t n) {
  uint8_t *p = lc_malloc_aligned(n ? n : 1);
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
  return p;
}

/* null_pct: probability (percent) of a null slot. */
static __attribute__((unused)) void gen_array(const lc_field *f, int64_t n, int null_pct, struct ArrowArray *out);

static void gen_validity(struct ArrowArray *a, int64_t off, int64_t n, int null_pct) {
  if (null_pct == 0 || rndn(5) == 0) return; /* sometimes no validity at all */
  int64_t total = off + n;
  uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(total) + 1);
  memset(v, 0xff, lc_bitmap_bytes(total) + 1);
  int64_t nulls = 0;
  for (int64_t i = 0; i < total; i++)
    if (rndn(100) < null_pct) {
      lc_bit_clear(v, i);
      if (i >= off) nulls++;
    }
  lc_array_set_buffer(a, 0, v);
  a->null_count = nulls;
}

static __attribute__((unused)) void gen_array(const lc_field *f, int64_t n, int null_pct, struct ArrowArray *out) {
  int64_t off = rndn(4);
  int64_t total = off + n;
  switch (f->type) {
    case LC_T_NULL:
      lc_array_init(out, 0, 0);
      out->length = n, out->offset = off, out->null_count = n;
      return;
    case LC_T_BOOL:
      lc_array_init(out, 2, 0);
      lc_array_set_buffer(out, 1, rnd_bytes(lc_bitmap_bytes(total)));
      break;
    case LC_T_STRING: case LC_T_BINARY: case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY:
    case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_MAP: {
      bool w64 = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY || f->type == LC_T_LARGE_LIST;
      bool var = f->type == LC_T_STRING || f->type == LC_T_BINARY || f->type == LC_T_LARGE_STRING ||
                 f->type == LC_T_LARGE_BINARY;
      lc_array_init(out, var ? 3 : 2, var ? 0 : 1);
      int64_t base = rndn(3), cur = base;
      uint8_t *o = lc_malloc_aligned((size_t)(total + 1) * 8);
      for (int64_t i = 0; i <= total; i++) {
        if (w64) ((int64_t *)o)[i] = cur;
        else ((int32_t *)o)[i] = (int32_t)cur;
        cur += rndn(var ? 8 : 4);
      }
      int64_t last = w64 ? ((int64_t *)o)[total] : ((int32_t *)o)[total];
      lc_array_set_buffer(out, 1, o);
      if (var) {
        uint8_t *d = rnd_bytes((size_t)last);
        if (f->type == LC_T_STRING || f->type == LC_T_LARGE_STRING)
          for (int64_t i = 0; i < last; i++) d[i] = (uint8_t)('a' + d[i] % 26);
        lc_array_set_buffer(out, 2, d);
      } else {
        gen_array(f->children[0], last, null_pct, out->children[0]);
      }
      break;
    }
    case LC_T_FIXED_LIST:
      lc_array_init(out, 1, 1);
      gen_array(f->children[0], total * f->width, null_pct, out->children[0]);
      break;
    case LC_T_STRUCT:
      lc_array_init(out, 1, (int64_t)f->n_children);
      for (size_t i = 0; i < f->n_children; i++) gen_array(f->children[i], total, null_pct, out->children[i]);
      break;
    case LC_T_DICT: {
      lc_array_init(out, 2, 0);
      int64_t dn = 3 + rndn(6);
      struct ArrowArray d;
      gen_array(f->dict_value, dn, null_pct, &d);
      int w = fixed_w(f, f->dict_key);
      uint8_t *ix = lc_malloc_aligned((size_t)(total * w) + 1);
      for (int64_t i = 0; i < total; i++) {
        int64_t v = rndn(dn);
        switch (w) {
          case 1: ix[i] = (uint8_t)v; break;
          case 2: ((uint16_t *)ix)[i] = (uint16_t)v; break;
          case 4: ((uint32_t *)ix)[i] = (uint32_t)v; break;
          default: ((uint64_t *)ix)[i] = (uint64_t)v; break;
        }
      }
      lc_array_set_buffer(out, 1, ix);
      lc_array_set_dictionary(out, &d);
      break;
    }
    default: {
      int w = fixed_w(f, f->type);
      lc_array_init(out, 2, 0);
      lc_array_set_buffer(out, 1, rnd_bytes((size_t)(total * w)));
      break;
    }
  }
  out->length = n;
  out->offset = off;
  gen_validity(out, off, n, null_pct);
}

/* ---- canonical row text (oracle) --------------------------------------------- */

static __attribute__((unused)) void rp(lc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static __attribute__((unused)) void rp(lc_buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  lc_buf_append(b, tmp, (size_t)n);
}

static int64_t idx_at(const lc_field *f, const struct ArrowArray *a, int64_t i) {
  const void *p = a->buffers[1];
  switch (f->dict_key) {
    case LC_T_INT8: return ((const int8_t *)p)[i];
    case LC_T_UINT8: return ((const uint8_t *)p)[i];
    case LC_T_INT16: return ((const int16_t *)p)[i];
    case LC_T_UINT16: return ((const uint16_t *)p)[i];
    case LC_T_INT32: return ((const int32_t *)p)[i];
    case LC_T_UINT32: return ((const uint32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
  }
}

/* row is logical (a->offset added here). */
static __attribute__((unused)) void repr(lc_buf *b, const lc_field *f, const struct ArrowArray *a, int64_t row) {
  int64_t i = a->offset + row;
  if (f->type == LC_T_NULL || (a->buffers[0] && a->null_count != 0 && !lc_bit_get(a->buffers[0], i))) {
    rp(b, "null");
    return;
  }
  switch (f->type) {
    case LC_T_BOOL: rp(b, "%d", lc_bit_get(a->buffers[1], i)); return;
    case LC_T_STRING: case LC_T_BINARY: case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY:
    case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_MAP: case LC_T_FIXED_LIST: {
      bool w64 = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY || f->type == LC_T_LARGE_LIST;
      int64_t s, e;
      if (f->type == LC_T_FIXED_LIST) s = i * f->width, e = s + f->width;
      else if (w64) s = ((const int64_t *)a->buffers[1])[i], e = ((const int64_t *)a->buffers[1])[i + 1];
      else s = ((const int32_t *)a->buffers[1])[i], e = ((const int32_t *)a->buffers[1])[i + 1];
      rp(b, "[");
      for (int64_t k = s; k < e; k++) {
        if (k > s) rp(b, ",");
        if (a->n_children) repr(b, f->children[0], a->children[0], k);
        else rp(b, "%02x", ((const uint8_t *)a->buffers[2])[k]);
      }
      rp(b, "]");
      return;
    }
    case LC_T_STRUCT:
      rp(b, "{");
      for (size_t c = 0; c < f->n_children; c++) {
        if (c) rp(b, ",");
        repr(b, f->children[c], a->children[c], i);
      }
      rp(b, "}");
      return;
    case LC_T_DICT:
      rp(b, "D");
      repr(b, f->dict_value, a->dictionary, idx_at(f, a, i));
      return;
    default: {
      int w = fixed_w(f, f->type);
      const uint8_t *p = (const uint8_t *)a->buffers[1] + (size_t)i * (size_t)w;
      for (int k = 0; k < w; k++) rp(b, "%02x", p[k]);
      return;
    }
  }
}

static __attribute__((unused)) char *repr_row(const lc_field *f, const struct ArrowArray *a, int64_t row) {
  lc_buf b = {0};
  repr(&b, f, a, row);
  lc_buf_append(&b, "", 1);
  return (char *)lc_buf_steal(&b, NULL);
}

#endif
