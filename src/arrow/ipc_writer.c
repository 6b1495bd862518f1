/* Arrow IPC stream writer (hand-written flatbuffers) and the Arrow C schema
 * <-> lc_field conversion shared with the reader and the CLI outputs.
 *
 * Flatbuffers are built front to back: a table is written (vtable first,
 * then the table, 8-aligned) before the objects it references, and every
 * reference slot is patched once its target exists, so all uoffsets point
 * forward as the format requires. Slot numbers follow format/Schema.fbs
 * and format/Message.fbs. */
#include <stdio.h>

#include "arrow/ipc.h"

/* ======================================================================
 * Arrow C schema <-> lc_field
 * ====================================================================== */

void lc_ipc_field_free(lc_field *f) {
  if (!f) return;
  lc_free(f->name);
  lc_free(f->tz);
  lc_free(f->logical_type);
  lc_free(f->extension_name);
  for (size_t i = 0; i < f->n_metadata; i++) {
    lc_free(f->metadata[i].key);
    lc_free(f->metadata[i].value);
  }
  lc_free(f->metadata);
  for (size_t i = 0; i < f->n_children; i++) lc_ipc_field_free(f->children[i]);
  lc_free(f->children);
  lc_ipc_field_free(f->dict_value);
  lc_free(f);
}

static int parse_metadata(lc_field *f, const char *md, lancec_error *err) {
  if (!md) return 0;
  int32_t n;
  memcpy(&n, md, 4);
  if (n <= 0) return 0;
  f->metadata = lc_calloc((size_t)n, sizeof(lc_kv));
  if (!f->metadata) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  const char *p = md + 4;
  for (int32_t i = 0; i < n; i++) {
    int32_t kl, vl;
    memcpy(&kl, p, 4);
    p += 4;
    if (kl < 0) return lc_err(err, LANCEC_EINVAL, "bad schema metadata");
    char *k = lc_strndup(p, (size_t)kl);
    p += kl;
    memcpy(&vl, p, 4);
    p += 4;
    if (vl < 0) {
      lc_free(k);
      return lc_err(err, LANCEC_EINVAL, "bad schema metadata");
    }
    uint8_t *v = lc_malloc((size_t)vl + 1);
    if (!k || !v) {
      lc_free(k);
      lc_free(v);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    memcpy(v, p, (size_t)vl);
    v[vl] = 0;
    p += vl;
    f->metadata[f->n_metadata].key = k;
    f->metadata[f->n_metadata].value = v;
    f->metadata[f->n_metadata].value_len = (size_t)vl;
    f->n_metadata++;
    if (!strcmp(k, "ARROW:extension:name") && !f->extension_name) f->extension_name = lc_strdup((char *)v);
  }
  return 0;
}

static int unit_of(char c, lc_time_unit *u) {
  switch (c) {
    case 's': *u = LC_UNIT_S; return 0;
    case 'm': *u = LC_UNIT_MS; return 0;
    case 'u': *u = LC_UNIT_US; return 0;
    case 'n': *u = LC_UNIT_NS; return 0;
    default: return -1;
  }
}

static int simple_type(const char *fmt, lc_type_id *t) {
  if (!fmt[0] || fmt[1]) return -1;
  switch (fmt[0]) {
    case 'n': *t = LC_T_NULL; return 0;
    case 'b': *t = LC_T_BOOL; return 0;
    case 'c': *t = LC_T_INT8; return 0;
    case 'C': *t = LC_T_UINT8; return 0;
    case 's': *t = LC_T_INT16; return 0;
    case 'S': *t = LC_T_UINT16; return 0;
    case 'i': *t = LC_T_INT32; return 0;
    case 'I': *t = LC_T_UINT32; return 0;
    case 'l': *t = LC_T_INT64; return 0;
    case 'L': *t = LC_T_UINT64; return 0;
    case 'e': *t = LC_T_HALF; return 0;
    case 'f': *t = LC_T_FLOAT; return 0;
    case 'g': *t = LC_T_DOUBLE; return 0;
    case 'z': *t = LC_T_BINARY; return 0;
    case 'Z': *t = LC_T_LARGE_BINARY; return 0;
    case 'u': *t = LC_T_STRING; return 0;
    case 'U': *t = LC_T_LARGE_STRING; return 0;
    default: return -1;
  }
}

static int parse_type(lc_field *f, const char *fmt, lancec_error *err) {
  lc_type_id t;
  if (simple_type(fmt, &t) == 0) {
    f->type = t;
    return 0;
  }
  char *end = NULL;
  if (!strncmp(fmt, "w:", 2)) {
    long w = strtol(fmt + 2, &end, 10);
    if (end == fmt + 2 || *end || w < 0 || w > INT32_MAX) goto bad;
    f->type = LC_T_FIXED_BINARY, f->width = (int32_t)w;
    return 0;
  }
  if (!strncmp(fmt, "+w:", 3)) {
    long w = strtol(fmt + 3, &end, 10);
    if (end == fmt + 3 || *end || w < 0 || w > INT32_MAX) goto bad;
    f->type = LC_T_FIXED_LIST, f->width = (int32_t)w;
    return 0;
  }
  if (!strncmp(fmt, "d:", 2)) {
    long p = strtol(fmt + 2, &end, 10);
    if (*end != ',') goto bad;
    const char *q = end + 1;
    long s = strtol(q, &end, 10);
    if (end == q) goto bad;
    long bits = 128;
    if (*end == ',') {
      q = end + 1;
      bits = strtol(q, &end, 10);
    }
    if (*end || (bits != 128 && bits != 256)) goto bad;
    f->type = bits == 128 ? LC_T_DECIMAL128 : LC_T_DECIMAL256;
    f->precision = (int32_t)p, f->scale = (int32_t)s;
    return 0;
  }
  if (!strcmp(fmt, "+l")) return f->type = LC_T_LIST, 0;
  if (!strcmp(fmt, "+L")) return f->type = LC_T_LARGE_LIST, 0;
  if (!strcmp(fmt, "+s")) return f->type = LC_T_STRUCT, 0;
  if (!strcmp(fmt, "+m")) return f->type = LC_T_MAP, 0;
  if (!strcmp(fmt, "tdD")) return f->type = LC_T_DATE32, 0;
  if (!strcmp(fmt, "tdm")) return f->type = LC_T_DATE64, 0;
  if (fmt[0] == 't' && (fmt[1] == 't' || fmt[1] == 'D') && fmt[2] && !fmt[3]) {
    if (unit_of(fmt[2], &f->unit)) goto bad;
    if (fmt[1] == 'D') f->type = LC_T_DURATION;
    else f->type = f->unit <= LC_UNIT_MS ? LC_T_TIME32 : LC_T_TIME64;
    return 0;
  }
  if (fmt[0] == 't' && fmt[1] == 's' && fmt[2] && fmt[3] == ':') {
    if (unit_of(fmt[2], &f->unit)) goto bad;
    f->type = LC_T_TIMESTAMP;
    if (fmt[4]) {
      f->tz = lc_strdup(fmt + 4);
      if (!f->tz) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    return 0;
  }
bad:
  return lc_err(err, LANCEC_EUNSUPPORTED, "unsupported Arrow format '%s'", fmt);
}

static int from_arrow(lc_field **out, const struct ArrowSchema *s, lc_field *parent, int depth,
                      lancec_error *err) {
  *out = NULL;
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "Arrow schema nested too deep");
  if (!s || !s->format) return lc_err(err, LANCEC_EINVAL, "Arrow schema without format");
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  f->id = -1, f->parent_id = -1, f->parent = parent;
  f->nullable = (s->flags & ARROW_FLAG_NULLABLE) != 0;
  int rc = 0;
  f->name = lc_strdup(s->name ? s->name : "");
  if (!f->name) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto fail;
  }
  rc = parse_metadata(f, s->metadata, err);
  if (rc) goto fail;
  if (s->dictionary) {
    lc_type_id k;
    if (simple_type(s->format, &k) || k < LC_T_INT8 || k > LC_T_UINT64) {
      rc = lc_err(err, LANCEC_EINVAL, "field '%s': dictionary index format '%s' is not an integer", f->name,
                  s->format);
      goto fail;
    }
    f->type = LC_T_DICT, f->dict_key = k;
    rc = from_arrow(&f->dict_value, s->dictionary, f, depth + 1, err);
    if (rc) goto fail;
    if (!s->dictionary->name) {
      lc_free(f->dict_value->name);
      f->dict_value->name = lc_strdup("value");
      if (!f->dict_value->name) goto oom;
    }
    *out = f;
    return 0;
  }
  rc = parse_type(f, s->format, err);
  if (rc) goto fail;
  if (s->n_children < 0 || (s->n_children > 0 && !s->children)) {
    rc = lc_err(err, LANCEC_EINVAL, "field '%s': bad children", f->name);
    goto fail;
  }
  int64_t want = -1;
  if (f->type == LC_T_LIST || f->type == LC_T_LARGE_LIST || f->type == LC_T_FIXED_LIST || f->type == LC_T_MAP)
    want = 1;
  else if (f->type != LC_T_STRUCT)
    want = 0;
  if (want >= 0 && s->n_children != want) {
    rc = lc_err(err, LANCEC_EINVAL, "field '%s': format '%s' with %lld children", f->name, s->format,
                (long long)s->n_children);
    goto fail;
  }
  if (s->n_children) {
    f->children = lc_calloc((size_t)s->n_children, sizeof(lc_field *));
    if (!f->children) goto oom;
    for (int64_t i = 0; i < s->n_children; i++) {
      rc = from_arrow(&f->children[i], s->children[i], f, depth + 1, err);
      if (rc) goto fail;
      f->n_children++;
    }
  }
  if (f->type == LC_T_MAP && (f->children[0]->type != LC_T_STRUCT || f->children[0]->n_children != 2)) {
    rc = lc_err(err, LANCEC_EINVAL, "field '%s': map entries must be a struct of key and value", f->name);
    goto fail;
  }
  *out = f;
  return 0;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  lc_ipc_field_free(f);
  return rc;
}

int lc_ipc_field_from_arrow(lc_field **out, const struct ArrowSchema *s, lancec_error *err) {
  return from_arrow(out, s, NULL, 0, err);
}

/* ---- export ---------------------------------------------------------------- */

typedef struct exp_private {
  char *format, *name, *metadata;
  struct ArrowSchema **children;
  int64_t n_children;
  struct ArrowSchema *dictionary;
} exp_private;

static void exp_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  exp_private *p = s->private_data;
  if (p) {
    for (int64_t i = 0; i < p->n_children; i++) {
      if (p->children[i]) {
        if (p->children[i]->release) p->children[i]->release(p->children[i]);
        lc_free(p->children[i]);
      }
    }
    lc_free(p->children);
    if (p->dictionary) {
      if (p->dictionary->release) p->dictionary->release(p->dictionary);
      lc_free(p->dictionary);
    }
    lc_free(p->format);
    lc_free(p->name);
    lc_free(p->metadata);
    lc_free(p);
  }
  s->release = NULL;
  s->private_data = NULL;
}

static const char *simple_format(lc_type_id t) {
  static const char *const f[] = {
      [LC_T_NULL] = "n", [LC_T_BOOL] = "b", [LC_T_INT8] = "c", [LC_T_UINT8] = "C", [LC_T_INT16] = "s",
      [LC_T_UINT16] = "S", [LC_T_INT32] = "i", [LC_T_UINT32] = "I", [LC_T_INT64] = "l", [LC_T_UINT64] = "L",
      [LC_T_HALF] = "e", [LC_T_FLOAT] = "f", [LC_T_DOUBLE] = "g", [LC_T_STRING] = "u",
      [LC_T_LARGE_STRING] = "U", [LC_T_BINARY] = "z", [LC_T_LARGE_BINARY] = "Z", [LC_T_DATE32] = "tdD",
      [LC_T_DATE64] = "tdm", [LC_T_STRUCT] = "+s", [LC_T_LIST] = "+l", [LC_T_LARGE_LIST] = "+L",
      [LC_T_MAP] = "+m",
  };
  return (size_t)t < sizeof f / sizeof f[0] ? f[t] : NULL;
}

static char *format_of(const lc_field *f, lc_type_id t) {
  static const char units[] = "smun";
  const char *s = simple_format(t);
  if (s) return lc_strdup(s);
  switch (t) {
    case LC_T_FIXED_BINARY: return lc_sprintf("w:%d", (int)f->width);
    case LC_T_FIXED_LIST: return lc_sprintf("+w:%d", (int)f->width);
    case LC_T_DECIMAL128: return lc_sprintf("d:%d,%d", (int)f->precision, (int)f->scale);
    case LC_T_DECIMAL256: return lc_sprintf("d:%d,%d,256", (int)f->precision, (int)f->scale);
    case LC_T_TIME32: case LC_T_TIME64: return lc_sprintf("tt%c", units[f->unit & 3]);
    case LC_T_DURATION: return lc_sprintf("tD%c", units[f->unit & 3]);
    case LC_T_TIMESTAMP: return lc_sprintf("ts%c:%s", units[f->unit & 3], f->tz ? f->tz : "");
    default: return NULL;
  }
}

static char *encode_metadata(const lc_field *f) {
  if (!f->n_metadata) return NULL;
  size_t n = 4;
  for (size_t i = 0; i < f->n_metadata; i++) n += 8 + strlen(f->metadata[i].key) + f->metadata[i].value_len;
  char *m = lc_malloc(n);
  if (!m) return NULL;
  int32_t c = (int32_t)f->n_metadata;
  memcpy(m, &c, 4);
  char *p = m + 4;
  for (size_t i = 0; i < f->n_metadata; i++) {
    int32_t kl = (int32_t)strlen(f->metadata[i].key), vl = (int32_t)f->metadata[i].value_len;
    memcpy(p, &kl, 4), p += 4;
    memcpy(p, f->metadata[i].key, (size_t)kl), p += kl;
    memcpy(p, &vl, 4), p += 4;
    if (vl) memcpy(p, f->metadata[i].value, (size_t)vl);
    p += vl;
  }
  return m;
}

int lc_ipc_field_to_arrow(const lc_field *f, struct ArrowSchema *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  exp_private *p = lc_calloc(1, sizeof(*p));
  if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  out->private_data = p;
  out->release = exp_release;
  int rc = 0;
  const lc_field *tf = f->type == LC_T_DICT ? f->dict_value : f; /* type + children */
  p->format = format_of(f, f->type == LC_T_DICT ? f->dict_key : f->type);
  p->name = lc_strdup(f->name ? f->name : "");
  if (!p->format || !p->name) goto oom;
  if (f->n_metadata && !(p->metadata = encode_metadata(f))) goto oom;
  out->format = p->format, out->name = p->name, out->metadata = p->metadata;
  out->flags = f->nullable ? ARROW_FLAG_NULLABLE : 0;
  if (f->type == LC_T_DICT) {
    p->dictionary = lc_calloc(1, sizeof(struct ArrowSchema));
    if (!p->dictionary) goto oom;
    out->dictionary = p->dictionary;
    rc = lc_ipc_field_to_arrow(tf, p->dictionary, err);
    if (rc) goto fail;
    return 0;
  }
  if (f->n_children) {
    p->children = lc_calloc(f->n_children, sizeof(struct ArrowSchema *));
    if (!p->children) goto oom;
    for (size_t i = 0; i < f->n_children; i++) {
      p->children[i] = lc_calloc(1, sizeof(struct ArrowSchema));
      if (!p->children[i]) goto oom;
      p->n_children++;
      rc = lc_ipc_field_to_arrow(f->children[i], p->children[i], err);
      if (rc) goto fail;
    }
    out->children = p->children;
    out->n_children = p->n_children;
  }
  return 0;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  exp_release(out);
  memset(out, 0, sizeof(*out));
  return rc;
}

/* ======================================================================
 * Flatbuffer builder (forward)
 * ====================================================================== */

typedef struct fb {
  lc_buf b;
  bool oom;
} fb;

typedef struct fbf {
  int slot;
  int size;      /* 1, 2, 4, 8 */
  uint64_t val;  /* scalar value (refs: ignored) */
  bool ref;      /* 4-byte uoffset patched later */
} fbf;

static void fb_bytes(fb *f, const void *p, size_t n) {
  if (lc_buf_append(&f->b, p, n)) f->oom = true;
}
static void fb_zeros(fb *f, size_t n) {
  if (lc_buf_append_zeros(&f->b, n)) f->oom = true;
}
static void fb_align(fb *f, size_t a) {
  size_t pad = (a - f->b.len % a) % a;
  if (pad) fb_zeros(f, pad);
}
static void fb_u32_at(fb *f, size_t pos, uint32_t v) {
  if (!f->oom) lc_st32(f->b.data + pos, v);
}
/* Point the uoffset at `pos` to `target` (target > pos). */
static void fb_patch(fb *f, size_t pos, size_t target) { fb_u32_at(f, pos, (uint32_t)(target - pos)); }

/* Write a table: vtable then table. refpos[i] receives, for each ref field
 * (in the order given), its absolute position. Returns the table position. */
static size_t fb_table(fb *f, const fbf *fl, int n, size_t *refpos) {
  int nslots = 0;
  for (int i = 0; i < n; i++)
    if (fl[i].slot + 1 > nslots) nslots = fl[i].slot + 1;
  size_t vtsize = 4 + 2 * (size_t)nslots;
  /* pad so the table (after the vtable) starts 8-aligned */
  size_t pad = (8 - (f->b.len + vtsize) % 8) % 8;
  fb_zeros(f, pad);
  size_t vt = f->b.len;
  fb_zeros(f, vtsize);
  size_t t = f->b.len;
  uint16_t offs[64] = {0};
  uint8_t tab[512];
  size_t tl = 4;
  memset(tab, 0, sizeof tab);
  int32_t so = (int32_t)(t - vt);
  memcpy(tab, &so, 4);
  int nr = 0;
  /* place 8-byte fields first, then 4, 2, 1 (keeps padding small) */
  for (int sz = 8; sz >= 1; sz /= 2) {
    for (int i = 0; i < n; i++) {
      int fs = fl[i].ref ? 4 : fl[i].size;
      if (fs != sz) continue;
      tl = (tl + (size_t)sz - 1) / (size_t)sz * (size_t)sz;
      offs[fl[i].slot] = (uint16_t)tl;
      uint64_t v = fl[i].ref ? 0 : fl[i].val;
      memcpy(tab + tl, &v, (size_t)sz); /* little-endian host */
      tl += (size_t)sz;
    }
  }
  fb_bytes(f, tab, tl);
  if (f->oom) return t;
  uint8_t *vp = f->b.data + vt;
  lc_st16(vp, (uint16_t)vtsize);
  lc_st16(vp + 2, (uint16_t)tl);
  for (int s = 0; s < nslots; s++) lc_st16(vp + 4 + 2 * s, offs[s]);
  for (int i = 0; i < n; i++)
    if (fl[i].ref) refpos[nr++] = t + offs[fl[i].slot];
  return t;
}

static size_t fb_string(fb *f, const char *s, size_t n) {
  fb_align(f, 4);
  size_t pos = f->b.len;
  uint32_t l = (uint32_t)n;
  fb_bytes(f, &l, 4);
  fb_bytes(f, s, n);
  fb_zeros(f, 1);
  return pos;
}

/* Vector of inline structs with 8-byte alignment of the elements. */
static size_t fb_struct_vec(fb *f, const void *data, size_t count, size_t elem) {
  size_t pad = (8 - (f->b.len + 4) % 8) % 8;
  fb_zeros(f, pad);
  size_t pos = f->b.len;
  uint32_t c = (uint32_t)count;
  fb_bytes(f, &c, 4);
  fb_bytes(f, data, count * elem);
  return pos;
}

/* Vector of table offsets (patched by the caller via fb_patch on pos+4+4i). */
static size_t fb_ref_vec(fb *f, size_t count) {
  fb_align(f, 4);
  size_t pos = f->b.len;
  uint32_t c = (uint32_t)count;
  fb_bytes(f, &c, 4);
  fb_zeros(f, 4 * count);
  return pos;
}

/* ======================================================================
 * Schema serialisation
 * ====================================================================== */

enum { T_NULL = 1, T_INT, T_FLOAT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE, T_TIME, T_TIMESTAMP,
       T_INTERVAL, T_LIST, T_STRUCT, T_UNION, T_FSB, T_FSL, T_MAP, T_DURATION, T_LBINARY, T_LUTF8, T_LLIST };

static size_t write_kv_vec(fb *f, const lc_kv *kv, size_t n) {
  size_t vec = fb_ref_vec(f, n);
  for (size_t i = 0; i < n; i++) {
    fbf fl[2] = {{0, 4, 0, true}, {1, 4, 0, true}};
    size_t refs[2];
    size_t t = fb_table(f, fl, 2, refs);
    fb_patch(f, vec + 4 + 4 * i, t);
    fb_patch(f, refs[0], fb_string(f, kv[i].key, strlen(kv[i].key)));
    fb_patch(f, refs[1], fb_string(f, (const char *)kv[i].value, kv[i].value_len));
  }
  return vec;
}

static int int_type_info(lc_type_id t, int *bits, bool *sg) {
  switch (t) {
    case LC_T_INT8: *bits = 8, *sg = true; return 0;
    case LC_T_UINT8: *bits = 8, *sg = false; return 0;
    case LC_T_INT16: *bits = 16, *sg = true; return 0;
    case LC_T_UINT16: *bits = 16, *sg = false; return 0;
    case LC_T_INT32: *bits = 32, *sg = true; return 0;
    case LC_T_UINT32: *bits = 32, *sg = false; return 0;
    case LC_T_INT64: *bits = 64, *sg = true; return 0;
    case LC_T_UINT64: *bits = 64, *sg = false; return 0;
    default: return -1;
  }
}

static size_t write_int_table(fb *f, lc_type_id t) {
  int bits = 32;
  bool sg = true;
  int_type_info(t, &bits, &sg);
  fbf fl[2] = {{0, 4, (uint64_t)bits, false}, {1, 1, sg, false}};
  return fb_table(f, fl, 2, NULL);
}

/* Type union value: returns the Type enum and writes the type table. */
static int write_type(fb *f, const lc_field *tf, size_t *pos) {
  fbf fl[3] = {{0, 0, 0, false}, {0, 0, 0, false}, {0, 0, 0, false}};
  int n = 0;
  int tt;
  size_t refs[1];
  bool tz_ref = false;
  switch (tf->type) {
    case LC_T_NULL: tt = T_NULL; break;
    case LC_T_BOOL: tt = T_BOOL; break;
    case LC_T_INT8: case LC_T_UINT8: case LC_T_INT16: case LC_T_UINT16: case LC_T_INT32: case LC_T_UINT32:
    case LC_T_INT64: case LC_T_UINT64:
      *pos = write_int_table(f, tf->type);
      return T_INT;
    case LC_T_HALF: case LC_T_FLOAT: case LC_T_DOUBLE:
      tt = T_FLOAT;
      fl[n++] = (fbf){0, 2, (uint64_t)(tf->type - LC_T_HALF), false};
      break;
    case LC_T_STRING: tt = T_UTF8; break;
    case LC_T_LARGE_STRING: tt = T_LUTF8; break;
    case LC_T_BINARY: tt = T_BINARY; break;
    case LC_T_LARGE_BINARY: tt = T_LBINARY; break;
    case LC_T_FIXED_BINARY: tt = T_FSB; fl[n++] = (fbf){0, 4, (uint64_t)(uint32_t)tf->width, false}; break;
    case LC_T_DATE32: tt = T_DATE; fl[n++] = (fbf){0, 2, 0, false}; break;
    case LC_T_DATE64: tt = T_DATE; fl[n++] = (fbf){0, 2, 1, false}; break;
    case LC_T_TIME32: case LC_T_TIME64:
      tt = T_TIME;
      fl[n++] = (fbf){0, 2, (uint64_t)tf->unit, false};
      fl[n++] = (fbf){1, 4, tf->type == LC_T_TIME32 ? 32u : 64u, false};
      break;
    case LC_T_TIMESTAMP:
      tt = T_TIMESTAMP;
      fl[n++] = (fbf){0, 2, (uint64_t)tf->unit, false};
      if (tf->tz && tf->tz[0]) fl[n++] = (fbf){1, 4, 0, true}, tz_ref = true;
      break;
    case LC_T_DURATION: tt = T_DURATION; fl[n++] = (fbf){0, 2, (uint64_t)tf->unit, false}; break;
    case LC_T_DECIMAL128: case LC_T_DECIMAL256:
      tt = T_DECIMAL;
      fl[n++] = (fbf){0, 4, (uint64_t)(uint32_t)tf->precision, false};
      fl[n++] = (fbf){1, 4, (uint64_t)(uint32_t)tf->scale, false};
      fl[n++] = (fbf){2, 4, tf->type == LC_T_DECIMAL128 ? 128u : 256u, false};
      break;
    case LC_T_STRUCT: tt = T_STRUCT; break;
    case LC_T_LIST: tt = T_LIST; break;
    case LC_T_LARGE_LIST: tt = T_LLIST; break;
    case LC_T_FIXED_LIST: tt = T_FSL; fl[n++] = (fbf){0, 4, (uint64_t)(uint32_t)tf->width, false}; break;
    case LC_T_MAP: tt = T_MAP; fl[n++] = (fbf){0, 1, 0, false}; break;
    default: return -1;
  }
  *pos = fb_table(f, fl, n, refs);
  if (tz_ref) fb_patch(f, refs[0], fb_string(f, tf->tz, strlen(tf->tz)));
  return tt;
}

static int write_field(fb *f, const lc_field *fld, int64_t *dict_id, size_t *pos, lancec_error *err) {
  const lc_field *tf = fld->type == LC_T_DICT ? fld->dict_value : fld;
  fbf fl[7];
  int n = 0;
  fl[n++] = (fbf){0, 4, 0, true}; /* name */
  fl[n++] = (fbf){1, 1, fld->nullable, false};
  /* type_type filled below */
  size_t type_slot = (size_t)n;
  fl[n++] = (fbf){2, 1, 0, false};
  fl[n++] = (fbf){3, 4, 0, true}; /* type */
  bool dict = fld->type == LC_T_DICT;
  if (dict) fl[n++] = (fbf){4, 4, 0, true};
  fl[n++] = (fbf){5, 4, 0, true}; /* children */
  if (fld->n_metadata) fl[n++] = (fbf){6, 4, 0, true};
  /* determine the type enum first (needs a dry run: use a lookup) */
  int tt;
  {
    fb tmp = {{0}, false};
    size_t dummy;
    tt = write_type(&tmp, tf, &dummy);
    lc_buf_free(&tmp.b);
  }
  if (tt < 0) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type cannot be written to IPC", fld->name);
  fl[type_slot].val = (uint64_t)tt;
  size_t refs[5];
  *pos = fb_table(f, fl, n, refs);
  int r = 0;
  fb_patch(f, refs[r++], fb_string(f, fld->name ? fld->name : "", fld->name ? strlen(fld->name) : 0));
  size_t tpos;
  write_type(f, tf, &tpos);
  fb_patch(f, refs[r++], tpos);
  if (dict) {
    size_t dref = refs[r++];
    fbf dl[3] = {{0, 8, (uint64_t)(*dict_id)++, false}, {1, 4, 0, true}, {2, 1, 0, false}};
    size_t drefs[1];
    size_t dt = fb_table(f, dl, 3, drefs);
    fb_patch(f, dref, dt);
    fb_patch(f, drefs[0], write_int_table(f, fld->dict_key));
  }
  size_t cref = refs[r++];
  size_t mref = fld->n_metadata ? refs[r++] : 0;
  size_t vec = fb_ref_vec(f, tf->n_children);
  fb_patch(f, cref, vec);
  for (size_t i = 0; i < tf->n_children; i++) {
    size_t cp;
    LC_TRY(write_field(f, tf->children[i], dict_id, &cp, err));
    fb_patch(f, vec + 4 + 4 * i, cp);
  }
  if (mref) fb_patch(f, mref, write_kv_vec(f, fld->metadata, fld->n_metadata));
  return 0;
}

enum { H_SCHEMA = 1, H_DICT = 2, H_BATCH = 3 };

/* Message table with header ref; returns position of the header ref. */
static size_t write_message(fb *f, int header_type, int64_t body_len) {
  fb_zeros(f, 4); /* root offset */
  fbf fl[4] = {{0, 2, 4, false}, {1, 1, (uint64_t)header_type, false}, {2, 4, 0, true},
               {3, 8, (uint64_t)body_len, false}};
  size_t refs[1];
  size_t t = fb_table(f, fl, 4, refs);
  fb_patch(f, 0, t);
  return refs[0];
}

static int schema_message(fb *f, const lc_field *root, lancec_error *err) {
  size_t href = write_message(f, H_SCHEMA, 0);
  fbf fl[3] = {{0, 2, 0, false}, {1, 4, 0, true}, {2, 4, 0, true}};
  size_t refs[2];
  size_t t = fb_table(f, fl, root->n_metadata ? 3 : 2, refs);
  fb_patch(f, href, t);
  size_t vec = fb_ref_vec(f, root->n_children);
  fb_patch(f, refs[0], vec);
  int64_t dict_id = 0;
  for (size_t i = 0; i < root->n_children; i++) {
    size_t cp;
    LC_TRY(write_field(f, root->children[i], &dict_id, &cp, err));
    fb_patch(f, vec + 4 + 4 * i, cp);
  }
  if (root->n_metadata) fb_patch(f, refs[1], write_kv_vec(f, root->metadata, root->n_metadata));
  return 0;
}

/* ======================================================================
 * Record batch bodies
 * ====================================================================== */

typedef struct piece {
  const void *p;
  int64_t len;
  void *owned;
} piece;

typedef struct body {
  piece *pc;
  size_t n, cap;
  int64_t *nodes; /* pairs (length, null_count) */
  size_t nn, ncap;
  bool oom;
} body;

static void body_free(body *b) {
  for (size_t i = 0; i < b->n; i++) lc_free(b->pc[i].owned);
  lc_free(b->pc);
  lc_free(b->nodes);
  memset(b, 0, sizeof(*b));
}

static void add_piece(body *b, const void *p, int64_t len, void *owned) {
  if (b->n == b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 32;
    piece *np = lc_realloc(b->pc, nc * sizeof(piece));
    if (!np) {
      b->oom = true;
      lc_free(owned);
      return;
    }
    b->pc = np, b->cap = nc;
  }
  b->pc[b->n++] = (piece){p, len, owned};
}

static void add_node(body *b, int64_t len, int64_t nulls) {
  if (b->nn == b->ncap) {
    size_t nc = b->ncap ? b->ncap * 2 : 32;
    int64_t *np = lc_realloc(b->nodes, nc * 2 * sizeof(int64_t));
    if (!np) {
      b->oom = true;
      return;
    }
    b->nodes = np, b->ncap = nc;
  }
  b->nodes[2 * b->nn] = len;
  b->nodes[2 * b->nn + 1] = nulls;
  b->nn++;
}

/* Bits [start, start+len) of src as a new bitmap starting at bit 0. */
static void add_bits(body *b, const uint8_t *src, int64_t start, int64_t len) {
  size_t nb = lc_bitmap_bytes(len);
  if ((start & 7) == 0) {
    add_piece(b, src + (start >> 3), (int64_t)nb, NULL);
    return;
  }
  uint8_t *d = lc_calloc(nb ? nb : 1, 1);
  if (!d) {
    b->oom = true;
    return;
  }
  lc_bits_copy(d, 0, src, start, len);
  add_piece(b, d, (int64_t)nb, d);
}

static int fixed_bytes(const lc_field *f) {
  switch (f->type) {
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

static int key_bytes(lc_type_id t) {
  lc_field k;
  memset(&k, 0, sizeof k);
  k.type = t;
  return fixed_bytes(&k);
}

/* Append nodes + buffers of rows [start, start+len) (physical) of `a`. */
static int add_array(body *b, const lc_field *f, const struct ArrowArray *a, int64_t start, int64_t len,
                     lancec_error *err) {
  if (f->type == LC_T_NULL) {
    add_node(b, len, len);
    return 0;
  }
  const uint8_t *val = a->n_buffers > 0 ? a->buffers[0] : NULL;
  int64_t nulls = 0;
  if (val && a->null_count != 0 && len) nulls = lc_bits_count_zero(val, start, len);
  add_node(b, len, nulls);
  if (nulls) add_bits(b, val, start, len);
  else add_piece(b, NULL, 0, NULL);
  switch (f->type) {
    case LC_T_BOOL:
      add_bits(b, a->buffers[1], start, len);
      return 0;
    case LC_T_DICT: {
      int w = key_bytes(f->dict_key);
      add_piece(b, (const uint8_t *)a->buffers[1] + start * w, len * w, NULL);
      return 0;
    }
    case LC_T_STRING: case LC_T_BINARY: case LC_T_LIST: case LC_T_MAP:
    case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY: case LC_T_LARGE_LIST: {
      bool w64 = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY || f->type == LC_T_LARGE_LIST;
      int64_t first = 0, last = 0;
      if (w64) {
        const int64_t *o = (const int64_t *)a->buffers[1] + start;
        if (len) first = o[0], last = o[len];
        if (first == 0 || !len) {
          add_piece(b, len ? o : NULL, len ? (len + 1) * 8 : 0, NULL);
        } else {
          int64_t *no = lc_malloc((size_t)(len + 1) * 8);
          if (!no) return lc_err(err, LANCEC_ENOMEM, "out of memory");
          for (int64_t i = 0; i <= len; i++) no[i] = o[i] - first;
          add_piece(b, no, (len + 1) * 8, no);
        }
      } else {
        const int32_t *o = (const int32_t *)a->buffers[1] + start;
        if (len) first = o[0], last = o[len];
        if (first == 0 || !len) {
          add_piece(b, len ? o : NULL, len ? (len + 1) * 4 : 0, NULL);
        } else {
          int32_t *no = lc_malloc((size_t)(len + 1) * 4);
          if (!no) return lc_err(err, LANCEC_ENOMEM, "out of memory");
          for (int64_t i = 0; i <= len; i++) no[i] = (int32_t)(o[i] - first);
          add_piece(b, no, (len + 1) * 4, no);
        }
      }
      if (f->type == LC_T_LIST || f->type == LC_T_MAP || f->type == LC_T_LARGE_LIST) {
        const struct ArrowArray *c = a->children[0];
        return add_array(b, f->children[0], c, c->offset + first, last - first, err);
      }
      add_piece(b, (const uint8_t *)a->buffers[2] + first, last - first, NULL);
      return 0;
    }
    case LC_T_FIXED_LIST: {
      const struct ArrowArray *c = a->children[0];
      return add_array(b, f->children[0], c, c->offset + start * f->width, len * f->width, err);
    }
    case LC_T_STRUCT:
      for (size_t i = 0; i < f->n_children; i++) {
        const struct ArrowArray *c = a->children[i];
        LC_TRY(add_array(b, f->children[i], c, c->offset + start, len, err));
      }
      return 0;
    default: {
      int w = fixed_bytes(f);
      if (w <= 0 && f->type != LC_T_FIXED_BINARY)
        return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type cannot be written to IPC", f->name);
      add_piece(b, (const uint8_t *)a->buffers[1] + start * w, len * w, NULL);
      return 0;
    }
  }
}

/* RecordBatch table (for a record batch or inside a dictionary batch). */
static void write_record_batch_table(fb *f, size_t ref, int64_t length, const body *b, int64_t *buf_desc) {
  fbf fl[3] = {{0, 8, (uint64_t)length, false}, {1, 4, 0, true}, {2, 4, 0, true}};
  size_t refs[2];
  size_t t = fb_table(f, fl, 3, refs);
  fb_patch(f, ref, t);
  fb_patch(f, refs[0], fb_struct_vec(f, b->nodes, b->nn, 16));
  fb_patch(f, refs[1], fb_struct_vec(f, buf_desc, b->n, 16));
}

struct lc_ipc_writer {
  lc_ipc_write_fn write;
  void *ctx;
  lc_field *root;
  /* dictionary-encoded fields in id order, and the last body written */
  const lc_field **dict_fields;
  size_t n_dicts;
  uint8_t **last_dict;
  size_t *last_dict_len;
  bool finished;
};

static void collect_dicts(lc_ipc_writer *w, const lc_field *f, bool count_only, size_t *n) {
  if (f->type == LC_T_DICT) {
    if (!count_only) w->dict_fields[*n] = f;
    (*n)++;
    for (size_t i = 0; i < f->dict_value->n_children; i++)
      collect_dicts(w, f->dict_value->children[i], count_only, n);
    return;
  }
  for (size_t i = 0; i < f->n_children; i++) collect_dicts(w, f->children[i], count_only, n);
}

static const uint8_t zeros8[8];

/* Emit one message: prefix, flatbuffer padded to 8, body pieces each padded. */
static int emit_message(lc_ipc_writer *w, fb *f, const body *b, lancec_error *err) {
  fb_align(f, 8);
  if (f->oom) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  uint32_t pre[2] = {0xFFFFFFFFu, (uint32_t)f->b.len};
  LC_TRY(w->write(w->ctx, pre, 8, err));
  LC_TRY(w->write(w->ctx, f->b.data, f->b.len, err));
  if (b)
    for (size_t i = 0; i < b->n; i++) {
      if (b->pc[i].len) LC_TRY(w->write(w->ctx, b->pc[i].p, (size_t)b->pc[i].len, err));
      size_t pad = (size_t)((8 - b->pc[i].len % 8) % 8);
      if (pad) LC_TRY(w->write(w->ctx, zeros8, pad, err));
    }
  return 0;
}

/* Buffer descriptors (offset, length) for the pieces; returns body length. */
static int64_t layout_body(const body *b, int64_t *desc) {
  int64_t off = 0;
  for (size_t i = 0; i < b->n; i++) {
    desc[2 * i] = off;
    desc[2 * i + 1] = b->pc[i].len;
    off += (b->pc[i].len + 7) & ~(int64_t)7;
  }
  return off;
}

int lc_ipc_writer_new(lc_ipc_writer **out, const struct ArrowSchema *schema, lc_ipc_write_fn write, void *ctx,
                      lancec_error *err) {
  *out = NULL;
  if (!schema || !schema->format || strcmp(schema->format, "+s"))
    return lc_err(err, LANCEC_EINVAL, "IPC writer: schema must be a struct");
  lc_ipc_writer *w = lc_calloc(1, sizeof(*w));
  if (!w) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  w->write = write, w->ctx = ctx;
  int rc = lc_ipc_field_from_arrow(&w->root, schema, err);
  if (rc) goto fail;
  size_t n = 0;
  collect_dicts(w, w->root, true, &n);
  w->dict_fields = lc_calloc(n ? n : 1, sizeof(*w->dict_fields));
  w->last_dict = lc_calloc(n ? n : 1, sizeof(uint8_t *));
  w->last_dict_len = lc_calloc(n ? n : 1, sizeof(size_t));
  if (!w->dict_fields || !w->last_dict || !w->last_dict_len) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto fail;
  }
  w->n_dicts = 0;
  collect_dicts(w, w->root, false, &w->n_dicts);
  fb f = {{0}, false};
  rc = schema_message(&f, w->root, err);
  if (!rc) rc = emit_message(w, &f, NULL, err);
  lc_buf_free(&f.b);
  if (rc) goto fail;
  *out = w;
  return 0;
fail:
  lc_ipc_writer_free(w);
  return rc;
}

/* Find the array of every dictionary field in the batch (same pre-order as
 * collect_dicts) and write a DictionaryBatch when its content changed. */
static int write_dicts_of(lc_ipc_writer *w, const lc_field *f, const struct ArrowArray *a, size_t *id,
                          lancec_error *err);

static int write_one_dict(lc_ipc_writer *w, const lc_field *f, const struct ArrowArray *dict, size_t id,
                          lancec_error *err) {
  body b = {0};
  fb fbb = {{0}, false};
  int64_t *desc = NULL;
  int rc = add_array(&b, f->dict_value, dict, dict->offset, dict->length, err);
  if (rc) goto done;
  if (b.oom) goto oom;
  desc = lc_malloc((b.n ? b.n : 1) * 16);
  if (!desc) goto oom;
  int64_t blen = layout_body(&b, desc);
  size_t href = write_message(&fbb, H_DICT, blen);
  fbf fl[3] = {{0, 8, (uint64_t)id, false}, {1, 4, 0, true}, {2, 1, 0, false}};
  size_t refs[1];
  size_t t = fb_table(&fbb, fl, 3, refs);
  fb_patch(&fbb, href, t);
  write_record_batch_table(&fbb, refs[0], dict->length, &b, desc);
  fb_align(&fbb, 8);
  if (fbb.oom) goto oom;
  /* skip when identical to the last dictionary written for this id */
  size_t total = fbb.b.len + (size_t)blen;
  uint8_t *snap = lc_malloc(total ? total : 1);
  if (!snap) goto oom;
  memcpy(snap, fbb.b.data, fbb.b.len);
  size_t p = fbb.b.len;
  for (size_t i = 0; i < b.n; i++) {
    if (b.pc[i].len) memcpy(snap + p, b.pc[i].p, (size_t)b.pc[i].len);
    size_t padded = (size_t)((b.pc[i].len + 7) & ~(int64_t)7);
    memset(snap + p + b.pc[i].len, 0, padded - (size_t)b.pc[i].len);
    p += padded;
  }
  if (w->last_dict[id] && w->last_dict_len[id] == total && !memcmp(w->last_dict[id], snap, total)) {
    lc_free(snap);
    goto done;
  }
  lc_free(w->last_dict[id]);
  w->last_dict[id] = snap;
  w->last_dict_len[id] = total;
  rc = emit_message(w, &fbb, &b, err);
  goto done;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
done:
  lc_free(desc);
  lc_buf_free(&fbb.b);
  body_free(&b);
  return rc;
}

static int write_dicts_of(lc_ipc_writer *w, const lc_field *f, const struct ArrowArray *a, size_t *id,
                          lancec_error *err) {
  if (f->type == LC_T_DICT) {
    size_t my = (*id)++;
    if (!a->dictionary) return lc_err(err, LANCEC_EINVAL, "field '%s': dictionary array missing", f->name);
    /* nested dictionaries inside the values come first */
    for (size_t i = 0; i < f->dict_value->n_children; i++)
      LC_TRY(write_dicts_of(w, f->dict_value->children[i], a->dictionary->children[i], id, err));
    return write_one_dict(w, f, a->dictionary, my, err);
  }
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(write_dicts_of(w, f->children[i], a->children[i], id, err));
  return 0;
}

int lc_ipc_writer_write(lc_ipc_writer *w, const struct ArrowArray *batch, lancec_error *err) {
  if (w->finished) return lc_err(err, LANCEC_EINVAL, "IPC writer: write after finish");
  if ((size_t)batch->n_children != w->root->n_children)
    return lc_err(err, LANCEC_ETYPE, "IPC writer: batch has %lld columns, schema %zu",
                  (long long)batch->n_children, w->root->n_children);
  if (w->n_dicts) {
    size_t id = 0;
    for (size_t i = 0; i < w->root->n_children; i++)
      LC_TRY(write_dicts_of(w, w->root->children[i], batch->children[i], &id, err));
  }
  body b = {0};
  fb f = {{0}, false};
  int64_t *desc = NULL;
  int rc = 0;
  for (size_t i = 0; i < w->root->n_children && !rc; i++) {
    const struct ArrowArray *c = batch->children[i];
    rc = add_array(&b, w->root->children[i], c, c->offset + batch->offset, batch->length, err);
  }
  if (rc) goto done;
  if (b.oom) goto oom;
  desc = lc_malloc((b.n ? b.n : 1) * 16);
  if (!desc) goto oom;
  int64_t blen = layout_body(&b, desc);
  size_t href = write_message(&f, H_BATCH, blen);
  write_record_batch_table(&f, href, batch->length, &b, desc);
  rc = emit_message(w, &f, &b, err);
  goto done;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
done:
  lc_free(desc);
  lc_buf_free(&f.b);
  body_free(&b);
  return rc;
}

int lc_ipc_writer_finish(lc_ipc_writer *w, lancec_error *err) {
  if (w->finished) return 0;
  w->finished = true;
  static const uint8_t eos[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  return w->write(w->ctx, eos, 8, err);
}

void lc_ipc_writer_free(lc_ipc_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n_dicts; i++) lc_free(w->last_dict[i]);
  lc_free(w->last_dict);
  lc_free(w->last_dict_len);
  lc_free(w->dict_fields);
  lc_ipc_field_free(w->root);
  lc_free(w);
}

static int mem_sink(void *ctx, const void *p, size_t n, lancec_error *err) {
  if (lc_buf_append(ctx, p, n)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  return 0;
}

int lc_ipc_write_stream_mem(uint8_t **out, size_t *out_len, const struct ArrowSchema *schema,
                            const struct ArrowArray *const *batches, size_t n_batches, lancec_error *err) {
  lc_buf b = {0};
  lc_ipc_writer *w = NULL;
  int rc = lc_ipc_writer_new(&w, schema, mem_sink, &b, err);
  for (size_t i = 0; i < n_batches && !rc; i++) rc = lc_ipc_writer_write(w, batches[i], err);
  if (!rc) rc = lc_ipc_writer_finish(w, err);
  lc_ipc_writer_free(w);
  if (rc) {
    lc_buf_free(&b);
    return rc;
  }
  *out = lc_buf_steal(&b, out_len);
  return 0;
}
