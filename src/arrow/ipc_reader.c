/* Arrow IPC stream reader. Bytes are hostile: every flatbuffer offset,
 * vector length, node and buffer is bounds-checked before use, nesting is
 * limited, and decoded arrays are validated (offsets, dictionary indices,
 * null counts) before they are handed out.
 *
 * Fields built by the reader have id -1, except dictionary-encoded fields,
 * whose `id` holds their IPC dictionary id. Bodies compressed with ZSTD
 * (BodyCompression codec 1) are decoded; LZ4_FRAME is LANCEC_EUNSUPPORTED. */
#include <stdio.h>
#include <zstd.h>

#include "arrow/ipc.h"

#define MAX_DEPTH 64
#define MAX_META (64u << 20)

/* ---- bounds-checked flatbuffer access -------------------------------------- */

typedef struct fbr {
  const uint8_t *p;
  size_t n;
} fbr;

typedef struct tbl {
  const fbr *b;
  size_t pos, vt;
  uint16_t vtsize, tsize;
} tbl;

static bool tbl_open(const fbr *b, size_t pos, tbl *t) {
  if (pos > b->n || b->n - pos < 4 || (pos & 3)) return false;
  int32_t so = (int32_t)lc_le32(b->p + pos);
  int64_t vt = (int64_t)pos - so;
  if (vt < 0 || (uint64_t)vt > b->n || b->n - (size_t)vt < 4 || (vt & 1)) return false;
  t->b = b, t->pos = pos, t->vt = (size_t)vt;
  t->vtsize = lc_le16(b->p + vt);
  t->tsize = lc_le16(b->p + vt + 2);
  if (t->vtsize < 4 || (t->vtsize & 1) || (size_t)t->vtsize > b->n - (size_t)vt) return false;
  if (t->tsize < 4 || (size_t)t->tsize > b->n - pos) return false;
  return true;
}

/* Offset of slot's field within the table (0 = absent); -1 if out of bounds. */
static int64_t tbl_off(const tbl *t, int slot, size_t size) {
  size_t e = 4 + 2 * (size_t)slot;
  if (e + 2 > t->vtsize) return 0;
  uint16_t o = lc_le16(t->b->p + t->vt + e);
  if (o == 0) return 0;
  if ((size_t)o + size > t->tsize) return -1;
  return o;
}

typedef struct fberr {
  bool bad;
} fberr;

static int64_t get_int(const tbl *t, int slot, size_t size, int64_t def, fberr *e) {
  int64_t o = tbl_off(t, slot, size);
  if (o < 0) {
    e->bad = true;
    return def;
  }
  if (o == 0) return def;
  const uint8_t *p = t->b->p + t->pos + o;
  switch (size) {
    case 1: return (int8_t)p[0];
    case 2: return (int16_t)lc_le16(p);
    case 4: return (int32_t)lc_le32(p);
    default: return (int64_t)lc_le64(p);
  }
}

static uint8_t get_u8(const tbl *t, int slot, uint8_t def, fberr *e) {
  int64_t o = tbl_off(t, slot, 1);
  if (o < 0) {
    e->bad = true;
    return def;
  }
  return o ? t->b->p[t->pos + o] : def;
}

/* Referenced position: 1 present, 0 absent, -1 bad. */
static int get_ref(const tbl *t, int slot, size_t *target) {
  *target = 0;
  int64_t o = tbl_off(t, slot, 4);
  if (o <= 0) return (int)o;
  size_t p = t->pos + (size_t)o;
  uint32_t u = lc_le32(t->b->p + p);
  if (u == 0 || (uint64_t)p + u >= t->b->n) return -1;
  *target = p + u;
  return 1;
}

static bool get_vec(const fbr *b, size_t pos, size_t elem, size_t *count, size_t *start) {
  if (pos > b->n || b->n - pos < 4) return false;
  uint32_t c = lc_le32(b->p + pos);
  size_t st = pos + 4;
  if (elem && (uint64_t)c > (b->n - st) / elem) return false;
  *count = c, *start = st;
  return true;
}

static bool get_str(const fbr *b, size_t pos, const char **s, size_t *len) {
  size_t c, st;
  if (!get_vec(b, pos, 1, &c, &st)) return false;
  *s = (const char *)b->p + st, *len = c;
  return true;
}

/* Table referenced from slot, opened. 1 present, 0 absent, -1 bad. */
static int get_table(const tbl *t, int slot, tbl *out) {
  size_t p;
  int r = get_ref(t, slot, &p);
  if (r <= 0) return r;
  return tbl_open(t->b, p, out) ? 1 : -1;
}

/* Element i of a vector of tables starting at st. */
static bool vec_table(const fbr *b, size_t st, size_t i, tbl *out) {
  size_t p = st + 4 * i;
  uint32_t u = lc_le32(b->p + p);
  if ((uint64_t)p + u >= b->n) return false;
  return tbl_open(b, p + u, out);
}

/* ---- reader state -------------------------------------------------------------- */

typedef struct dict_slot {
  int64_t id;
  const lc_field *field; /* DICT field (borrowed from root) */
  struct ArrowArray values;
  bool have;
} dict_slot;

struct lc_ipc_reader {
  const uint8_t *mem;
  size_t mem_len, pos;
  FILE *fp;
  lc_field *root;
  dict_slot *dicts;
  size_t n_dicts, cap_dicts;
  lc_buf meta, body;
  bool eos;
  char last_error[LANCEC_ERROR_MESSAGE_SIZE];
};

static int corrupt(lancec_error *err, const char *what) {
  return lc_err(err, LANCEC_ECORRUPT, "Arrow IPC stream: %s", what);
}

/* Read exactly n bytes. *eof_ok: at entry, whether a clean EOF before any
 * byte is allowed; at exit, whether that happened. */
static int src_read(lc_ipc_reader *r, size_t n, lc_buf *scratch, const uint8_t **out, bool *eof,
                    lancec_error *err) {
  bool eof_ok = eof && *eof;
  if (eof) *eof = false;
  if (r->mem) {
    if (n > r->mem_len - r->pos) {
      if (eof_ok && r->pos == r->mem_len) {
        *eof = true;
        return 0;
      }
      return corrupt(err, "truncated");
    }
    *out = r->mem + r->pos;
    r->pos += n;
    return 0;
  }
  scratch->len = 0;
  size_t got = 0;
  while (got < n) {
    size_t chunk = n - got < (16u << 20) ? n - got : (16u << 20);
    if (lc_buf_reserve(scratch, chunk)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    size_t k = fread(scratch->data + got, 1, chunk, r->fp);
    got += k;
    scratch->len = got;
    if (k < chunk) {
      if (ferror(r->fp)) return lc_err(err, LANCEC_EIO, "Arrow IPC stream: read error");
      if (got == 0 && eof_ok) {
        *eof = true;
        return 0;
      }
      return corrupt(err, "truncated");
    }
  }
  *out = scratch->data ? scratch->data : (const uint8_t *)"";
  return 0;
}

/* Next message: header type, Message table (over r->meta view), body. */
typedef struct msg {
  fbr fb;
  tbl message;
  int header_type;
  tbl header;
  const uint8_t *body;
  int64_t body_len;
  bool eos;
} msg;

static int read_message(lc_ipc_reader *r, msg *m, lancec_error *err) {
  memset(m, 0, sizeof(*m));
  const uint8_t *p;
  bool eof = true;
  LC_TRY(src_read(r, 4, &r->meta, &p, &eof, err));
  if (eof) {
    m->eos = true;
    return 0;
  }
  uint32_t len = lc_le32(p);
  if (len == 0xFFFFFFFFu) {
    LC_TRY(src_read(r, 4, &r->meta, &p, NULL, err));
    len = lc_le32(p);
  }
  if (len == 0) {
    m->eos = true;
    return 0;
  }
  if (len > MAX_META) return corrupt(err, "bad message length");
  const uint8_t *meta;
  LC_TRY(src_read(r, len, &r->meta, &meta, NULL, err));
  m->fb.p = meta, m->fb.n = len;
  if (len < 4) return corrupt(err, "message too short");
  if (!tbl_open(&m->fb, lc_le32(meta), &m->message)) return corrupt(err, "bad Message table");
  fberr e = {false};
  m->header_type = get_u8(&m->message, 1, 0, &e);
  m->body_len = get_int(&m->message, 3, 8, 0, &e);
  if (e.bad || m->body_len < 0) return corrupt(err, "bad Message fields");
  if (get_table(&m->message, 2, &m->header) != 1) return corrupt(err, "Message without header");
  if (m->body_len > 0) {
    if (r->fp && (uint64_t)m->body_len > ((uint64_t)1 << 40)) return corrupt(err, "body too large");
    LC_TRY(src_read(r, (size_t)m->body_len, &r->body, &m->body, NULL, err));
  } else {
    m->body = (const uint8_t *)"";
  }
  return 0;
}

/* ---- schema -------------------------------------------------------------------- */

static int read_kv(const fbr *b, const tbl *owner, int slot, lc_field *f, lancec_error *err) {
  size_t vp = 0;
  int rr = get_ref(owner, slot, &vp);
  if (rr < 0) return corrupt(err, "bad custom_metadata");
  if (rr == 0) return 0;
  size_t cnt, st;
  if (!get_vec(b, vp, 4, &cnt, &st)) return corrupt(err, "bad custom_metadata vector");
  if (!cnt) return 0;
  f->metadata = lc_calloc(cnt, sizeof(lc_kv));
  if (!f->metadata) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < cnt; i++) {
    tbl kv;
    if (!vec_table(b, st, i, &kv)) return corrupt(err, "bad KeyValue");
    const char *k = "", *v = "";
    size_t kl = 0, vl = 0, kp = 0, vpp = 0;
    int a = get_ref(&kv, 0, &kp), c = get_ref(&kv, 1, &vpp);
    if (a < 0 || c < 0 || (a && !get_str(b, kp, &k, &kl)) || (c && !get_str(b, vpp, &v, &vl)))
      return corrupt(err, "bad KeyValue strings");
    lc_kv *o = &f->metadata[f->n_metadata];
    o->key = lc_strndup(k, kl);
    o->value = lc_malloc(vl + 1);
    if (!o->key || !o->value) {
      lc_free(o->key);
      lc_free(o->value);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    memcpy(o->value, v, vl);
    o->value[vl] = 0;
    o->value_len = vl;
    f->n_metadata++;
    if (!strcmp(o->key, "ARROW:extension:name") && !f->extension_name)
      f->extension_name = lc_strdup((const char *)o->value);
  }
  return 0;
}

static int int_type(int64_t bits, bool sg, lc_type_id *t) {
  switch (bits) {
    case 8: *t = sg ? LC_T_INT8 : LC_T_UINT8; return 0;
    case 16: *t = sg ? LC_T_INT16 : LC_T_UINT16; return 0;
    case 32: *t = sg ? LC_T_INT32 : LC_T_UINT32; return 0;
    case 64: *t = sg ? LC_T_INT64 : LC_T_UINT64; return 0;
    default: return -1;
  }
}

static int add_dict(lc_ipc_reader *r, int64_t id, const lc_field *f, lancec_error *err) {
  for (size_t i = 0; i < r->n_dicts; i++)
    if (r->dicts[i].id == id) return corrupt(err, "duplicate dictionary id");
  if (r->n_dicts == r->cap_dicts) {
    size_t nc = r->cap_dicts ? r->cap_dicts * 2 : 4;
    dict_slot *nd = lc_realloc(r->dicts, nc * sizeof(dict_slot));
    if (!nd) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    r->dicts = nd, r->cap_dicts = nc;
  }
  memset(&r->dicts[r->n_dicts], 0, sizeof(dict_slot));
  r->dicts[r->n_dicts].id = id;
  r->dicts[r->n_dicts].field = f;
  r->n_dicts++;
  return 0;
}

static int read_field(lc_ipc_reader *r, const fbr *b, const tbl *ft, lc_field *parent, int depth, lc_field **out,
                      lancec_error *err) {
  *out = NULL;
  if (depth > MAX_DEPTH) return corrupt(err, "schema nested too deep");
  fberr e = {false};
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  f->id = -1, f->parent_id = -1, f->parent = parent;
  int rc = 0;
  lc_field *tf = f; /* carries the type (the value field for dictionaries) */
  const char *nm = "";
  size_t nl = 0, np = 0;
  int rr = get_ref(ft, 0, &np);
  if (rr < 0 || (rr && !get_str(b, np, &nm, &nl))) goto bad;
  f->name = lc_strndup(nm, nl);
  if (!f->name) goto oom;
  f->nullable = get_u8(ft, 1, 0, &e) != 0;
  rc = read_kv(b, ft, 6, f, err);
  if (rc) goto fail;
  tbl dt;
  int hd = get_table(ft, 4, &dt);
  if (hd < 0) goto bad;
  if (hd) {
    int64_t id = get_int(&dt, 0, 8, 0, &e);
    tbl it;
    int hi = get_table(&dt, 1, &it);
    if (hi < 0) goto bad;
    f->dict_key = LC_T_INT32;
    if (hi && int_type(get_int(&it, 0, 4, 0, &e), get_u8(&it, 1, 0, &e) != 0, &f->dict_key)) goto bad;
    f->type = LC_T_DICT;
    f->id = (int32_t)id;
    if (id < 0 || id > INT32_MAX) goto bad;
    tf = f->dict_value = lc_calloc(1, sizeof(lc_field));
    if (!tf) goto oom;
    tf->id = -1, tf->parent_id = -1, tf->parent = f, tf->nullable = true;
    tf->name = lc_strdup("value");
    if (!tf->name) goto oom;
  }
  int type_type = get_u8(ft, 2, 0, &e);
  tbl tt;
  int ht = get_table(ft, 3, &tt);
  if (ht < 0) goto bad;
  if (!ht && type_type != 0) {
    /* tolerate absent empty type tables */
    memset(&tt, 0, sizeof tt);
  }
#define TI(slot, size, def) (ht ? get_int(&tt, slot, size, def, &e) : (def))
  switch (type_type) {
    case 1: tf->type = LC_T_NULL; break;
    case 2:
      if (int_type(TI(0, 4, 0), (ht ? get_u8(&tt, 1, 0, &e) : 0) != 0, &tf->type)) goto bad;
      break;
    case 3: {
      int64_t pr = TI(0, 2, 0);
      if (pr < 0 || pr > 2) goto bad;
      tf->type = (lc_type_id)(LC_T_HALF + pr);
      break;
    }
    case 4: tf->type = LC_T_BINARY; break;
    case 5: tf->type = LC_T_STRING; break;
    case 6: tf->type = LC_T_BOOL; break;
    case 7: {
      int64_t bw = TI(2, 4, 128);
      if (bw != 128 && bw != 256) goto unsupported;
      tf->type = bw == 128 ? LC_T_DECIMAL128 : LC_T_DECIMAL256;
      tf->precision = (int32_t)TI(0, 4, 0);
      tf->scale = (int32_t)TI(1, 4, 0);
      break;
    }
    case 8: tf->type = TI(0, 2, 1) == 0 ? LC_T_DATE32 : LC_T_DATE64; break;
    case 9: {
      int64_t u = TI(0, 2, 1), bw = TI(1, 4, 32);
      if (u < 0 || u > 3) goto bad;
      tf->unit = (lc_time_unit)u;
      if ((bw == 32) != (u <= 1) || (bw != 32 && bw != 64)) goto bad;
      tf->type = bw == 32 ? LC_T_TIME32 : LC_T_TIME64;
      break;
    }
    case 10: {
      int64_t u = TI(0, 2, 0);
      if (u < 0 || u > 3) goto bad;
      tf->type = LC_T_TIMESTAMP, tf->unit = (lc_time_unit)u;
      size_t zp = 0;
      int hz = ht ? get_ref(&tt, 1, &zp) : 0;
      if (hz < 0) goto bad;
      if (hz) {
        const char *z;
        size_t zl;
        if (!get_str(b, zp, &z, &zl)) goto bad;
        if (zl) {
          tf->tz = lc_strndup(z, zl);
          if (!tf->tz) goto oom;
        }
      }
      break;
    }
    case 12: tf->type = LC_T_LIST; break;
    case 13: tf->type = LC_T_STRUCT; break;
    case 15: {
      int64_t w = TI(0, 4, 0);
      if (w < 0) goto bad;
      tf->type = LC_T_FIXED_BINARY, tf->width = (int32_t)w;
      break;
    }
    case 16: {
      int64_t w = TI(0, 4, 0);
      if (w < 0) goto bad;
      tf->type = LC_T_FIXED_LIST, tf->width = (int32_t)w;
      break;
    }
    case 17: tf->type = LC_T_MAP; break;
    case 18: {
      int64_t u = TI(0, 2, 1);
      if (u < 0 || u > 3) goto bad;
      tf->type = LC_T_DURATION, tf->unit = (lc_time_unit)u;
      break;
    }
    case 19: tf->type = LC_T_LARGE_BINARY; break;
    case 20: tf->type = LC_T_LARGE_STRING; break;
    case 21: tf->type = LC_T_LARGE_LIST; break;
    default: goto unsupported;
  }
#undef TI
  if (e.bad) goto bad;
  size_t cp = 0;
  int hc = get_ref(ft, 5, &cp);
  if (hc < 0) goto bad;
  size_t cnt = 0, st = 0;
  if (hc && !get_vec(b, cp, 4, &cnt, &st)) goto bad;
  size_t want = (tf->type == LC_T_LIST || tf->type == LC_T_LARGE_LIST || tf->type == LC_T_FIXED_LIST ||
                 tf->type == LC_T_MAP)
                    ? 1
                    : 0;
  if (tf->type != LC_T_STRUCT && cnt != want) goto bad;
  if (cnt) {
    tf->children = lc_calloc(cnt, sizeof(lc_field *));
    if (!tf->children) goto oom;
    for (size_t i = 0; i < cnt; i++) {
      tbl ct;
      if (!vec_table(b, st, i, &ct)) goto bad;
      rc = read_field(r, b, &ct, tf, depth + 1, &tf->children[i], err);
      if (rc) goto fail;
      tf->n_children++;
    }
  }
  if (tf->type == LC_T_MAP && (tf->children[0]->type != LC_T_STRUCT || tf->children[0]->n_children != 2))
    goto bad;
  if (f->type == LC_T_DICT) {
    rc = add_dict(r, f->id, f, err);
    if (rc) goto fail;
  }
  *out = f;
  return 0;
unsupported:
  rc = lc_err(err, LANCEC_EUNSUPPORTED, "Arrow IPC stream: field '%s': unsupported type %d", f->name ? f->name : "",
              type_type);
  goto fail;
bad:
  rc = lc_err(err, LANCEC_ECORRUPT, "Arrow IPC stream: bad Field '%s'", f->name ? f->name : "");
  goto fail;
oom:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  lc_ipc_field_free(f);
  return rc;
}

static int read_schema(lc_ipc_reader *r, const msg *m, lancec_error *err) {
  if (m->header_type != 1) return corrupt(err, "stream does not start with a Schema message");
  fberr e = {false};
  if (get_int(&m->header, 0, 2, 0, &e) != 0 || e.bad)
    return lc_err(err, LANCEC_EUNSUPPORTED, "Arrow IPC stream: big-endian data");
  lc_field *root = lc_calloc(1, sizeof(*root));
  if (!root) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  r->root = root;
  root->id = -1, root->parent_id = -1, root->type = LC_T_STRUCT;
  root->name = lc_strdup("");
  if (!root->name) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  LC_TRY(read_kv(&m->fb, &m->header, 2, root, err));
  size_t vp = 0;
  int hv = get_ref(&m->header, 1, &vp);
  if (hv < 0) return corrupt(err, "bad Schema.fields");
  size_t cnt = 0, st = 0;
  if (hv && !get_vec(&m->fb, vp, 4, &cnt, &st)) return corrupt(err, "bad Schema.fields");
  if (cnt) {
    root->children = lc_calloc(cnt, sizeof(lc_field *));
    if (!root->children) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < cnt; i++) {
    tbl ft;
    if (!vec_table(&m->fb, st, i, &ft)) return corrupt(err, "bad Field");
    LC_TRY(read_field(r, &m->fb, &ft, root, 1, &root->children[i], err));
    root->n_children++;
  }
  return 0;
}

/* ---- record batches ------------------------------------------------------------ */

typedef struct dec {
  lc_ipc_reader *r;
  const uint8_t *body;
  int64_t body_len;
  const uint8_t *nodes;
  size_t n_nodes, node_i;
  const uint8_t *bufs;
  size_t n_bufs, buf_i;
  int codec; /* -1 none, 1 zstd */
} dec;

static int next_node(dec *d, int64_t *len, int64_t *nulls, lancec_error *err) {
  if (d->node_i >= d->n_nodes) return corrupt(err, "too few field nodes");
  const uint8_t *p = d->nodes + 16 * d->node_i++;
  *len = (int64_t)lc_le64(p);
  *nulls = (int64_t)lc_le64(p + 8);
  if (*len < 0 || *len > (INT64_C(1) << 40) || *nulls < 0 || *nulls > *len)
    return corrupt(err, "bad field node");
  return 0;
}

/* Next buffer as a fresh 64-byte aligned copy (decompressed if needed). */
static int next_buffer(dec *d, uint8_t **out, int64_t *out_len, lancec_error *err) {
  *out = NULL;
  if (d->buf_i >= d->n_bufs) return corrupt(err, "too few buffers");
  const uint8_t *p = d->bufs + 16 * d->buf_i++;
  int64_t off = (int64_t)lc_le64(p), len = (int64_t)lc_le64(p + 8);
  if (off < 0 || len < 0 || off > d->body_len || len > d->body_len - off) return corrupt(err, "buffer out of body");
  const uint8_t *src = d->body + off;
  if (d->codec >= 0 && len > 0) {
    if (len < 8) return corrupt(err, "compressed buffer too short");
    int64_t ulen = (int64_t)lc_le64(src);
    src += 8, len -= 8;
    if (ulen != -1) {
      if (ulen < 0 || ulen > (INT64_C(1) << 40)) return corrupt(err, "bad uncompressed length");
      uint8_t *b = lc_malloc_aligned((size_t)ulen ? (size_t)ulen : 1);
      if (!b) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      size_t got = ZSTD_decompress(b, (size_t)ulen, src, (size_t)len);
      if (ZSTD_isError(got) || got != (size_t)ulen) {
        lc_free(b);
        return corrupt(err, "bad zstd buffer");
      }
      *out = b, *out_len = ulen;
      return 0;
    }
  }
  uint8_t *b = lc_malloc_aligned((size_t)len ? (size_t)len : 1);
  if (!b) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (len) memcpy(b, src, (size_t)len);
  *out = b, *out_len = len;
  return 0;
}

static int type_width(const lc_field *f, lc_type_id t) {
  switch (t) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 2;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 4;
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return f->width;
    default: return -1;
  }
}

static int decode(dec *d, const lc_field *f, struct ArrowArray *out, int depth, lancec_error *err);

static int decode_inner(dec *d, const lc_field *f, struct ArrowArray *out, int depth, lancec_error *err) {
  if (depth > MAX_DEPTH) return corrupt(err, "nested too deep");
  int64_t len = 0, nulls = 0;
  LC_TRY(next_node(d, &len, &nulls, err));
  int rc = 0;
  uint8_t *b = NULL;
  int64_t bl = 0;
  if (f->type == LC_T_NULL) {
    if (lc_array_init(out, 0, 0)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    out->length = len, out->null_count = len;
    return 0;
  }
  bool var = f->type == LC_T_STRING || f->type == LC_T_BINARY || f->type == LC_T_LARGE_STRING ||
             f->type == LC_T_LARGE_BINARY;
  bool list = f->type == LC_T_LIST || f->type == LC_T_LARGE_LIST || f->type == LC_T_MAP;
  int64_t nbuf = var ? 3 : (f->type == LC_T_STRUCT || f->type == LC_T_FIXED_LIST) ? 1 : 2;
  int64_t nch = list || f->type == LC_T_FIXED_LIST ? 1 : f->type == LC_T_STRUCT ? (int64_t)f->n_children : 0;
  if (lc_array_init(out, nbuf, nch)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  out->length = len;
  /* validity */
  rc = next_buffer(d, &b, &bl, err);
  if (rc) goto fail;
  if (nulls) {
    if ((uint64_t)bl < lc_bitmap_bytes(len)) goto short_buf;
    lc_array_set_buffer(out, 0, b);
    out->null_count = nulls;
  } else {
    lc_free(b);
  }
  b = NULL;
  switch (f->type) {
    case LC_T_BOOL:
      rc = next_buffer(d, &b, &bl, err);
      if (rc) goto fail;
      if ((uint64_t)bl < lc_bitmap_bytes(len)) goto short_buf;
      lc_array_set_buffer(out, 1, b);
      return 0;
    case LC_T_STRING: case LC_T_BINARY: case LC_T_LARGE_STRING: case LC_T_LARGE_BINARY:
    case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_MAP: {
      bool w64 = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY || f->type == LC_T_LARGE_LIST;
      size_t ow = w64 ? 8 : 4;
      rc = next_buffer(d, &b, &bl, err);
      if (rc) goto fail;
      if (bl == 0 && len == 0) { /* empty array: offsets may be omitted */
        lc_free(b);
        b = lc_malloc_aligned(8);
        if (!b) goto oom;
        memset(b, 0, 8);
        bl = 8;
      }
      if ((uint64_t)bl / ow < (uint64_t)len + 1) goto short_buf;
      lc_array_set_buffer(out, 1, b);
      int64_t last = w64 ? ((const int64_t *)b)[len] : ((const int32_t *)b)[len];
      b = NULL;
      if (last < 0) return corrupt(err, "negative offset");
      if (var) {
        rc = next_buffer(d, &b, &bl, err);
        if (rc) goto fail;
        if (bl < last) goto short_buf;
        lc_array_set_buffer(out, 2, b);
        return 0;
      }
      rc = decode(d, f->children[0], out->children[0], depth + 1, err);
      if (rc) goto fail;
      if (out->children[0]->length < last) return corrupt(err, "list offsets beyond child");
      return 0;
    }
    case LC_T_FIXED_LIST:
      rc = decode(d, f->children[0], out->children[0], depth + 1, err);
      if (rc) goto fail;
      if (f->width && out->children[0]->length / f->width < len) return corrupt(err, "fixed_size_list child too short");
      return 0;
    case LC_T_STRUCT:
      for (size_t i = 0; i < f->n_children; i++) {
        rc = decode(d, f->children[i], out->children[i], depth + 1, err);
        if (rc) goto fail;
        if (out->children[i]->length < len) return corrupt(err, "struct child too short");
      }
      return 0;
    case LC_T_DICT: {
      int w = type_width(f, f->dict_key);
      rc = next_buffer(d, &b, &bl, err);
      if (rc) goto fail;
      if (bl / w < len) goto short_buf;
      lc_array_set_buffer(out, 1, b);
      b = NULL;
      dict_slot *ds = NULL;
      for (size_t i = 0; i < d->r->n_dicts; i++)
        if (d->r->dicts[i].id == f->id) ds = &d->r->dicts[i];
      if (!ds || !ds->have) return corrupt(err, "record batch before its dictionary");
      struct ArrowArray copy;
      rc = lc_array_slice(f->dict_value, &ds->values, 0, ds->values.length, &copy, err);
      if (rc) goto fail;
      if (lc_array_set_dictionary(out, &copy)) {
        lc_array_release(&copy);
        goto oom;
      }
      return 0;
    }
    default: {
      int w = type_width(f, f->type);
      if (w < 0) return lc_err(err, LANCEC_EUNSUPPORTED, "Arrow IPC stream: unsupported type");
      rc = next_buffer(d, &b, &bl, err);
      if (rc) goto fail;
      if (w && bl / w < len) goto short_buf;
      lc_array_set_buffer(out, 1, b);
      return 0;
    }
  }
short_buf:
  lc_free(b);
  return corrupt(err, "buffer shorter than its field node needs");
oom:
  lc_free(b);
  return lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  lc_free(b);
  return rc;
}

static int decode(dec *d, const lc_field *f, struct ArrowArray *out, int depth, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  int rc = decode_inner(d, f, out, depth, err);
  if (rc) lc_array_release(out);
  return rc;
}

/* Decode a RecordBatch table into columns of `fields` (n of them). */
static int decode_batch(lc_ipc_reader *r, const msg *m, const tbl *rb, lc_field *const *fields, size_t n,
                        struct ArrowArray *out, int64_t *length, lancec_error *err) {
  fberr e = {false};
  dec d;
  memset(&d, 0, sizeof d);
  d.r = r, d.body = m->body, d.body_len = m->body_len, d.codec = -1;
  *length = get_int(rb, 0, 8, 0, &e);
  if (e.bad || *length < 0) return corrupt(err, "bad RecordBatch.length");
  size_t np = 0, bp = 0;
  int hn = get_ref(rb, 1, &np), hb = get_ref(rb, 2, &bp);
  if (hn < 0 || hb < 0) return corrupt(err, "bad RecordBatch vectors");
  size_t st;
  if (hn) {
    if (!get_vec(&m->fb, np, 16, &d.n_nodes, &st)) return corrupt(err, "bad nodes vector");
    d.nodes = m->fb.p + st;
  }
  if (hb) {
    if (!get_vec(&m->fb, bp, 16, &d.n_bufs, &st)) return corrupt(err, "bad buffers vector");
    d.bufs = m->fb.p + st;
  }
  tbl ct;
  int hc = get_table(rb, 3, &ct);
  if (hc < 0) return corrupt(err, "bad BodyCompression");
  if (hc) {
    int codec = (int)get_int(&ct, 0, 1, 0, &e);
    if (codec != 1) return lc_err(err, LANCEC_EUNSUPPORTED, "Arrow IPC stream: compression codec %d", codec);
    d.codec = codec;
  }
  for (size_t i = 0; i < n; i++) {
    int rc = decode(&d, fields[i], &out[i], 0, err);
    if (!rc && out[i].length < *length) rc = corrupt(err, "column shorter than the batch");
    if (!rc) {
      rc = lc_array_validate(fields[i], &out[i], err);
      if (rc) {
        lc_err_prefix(err, "Arrow IPC stream: ");
        rc = LANCEC_ECORRUPT;
        if (err) err->code = rc;
      }
    }
    if (rc) {
      for (size_t j = 0; j <= i; j++) lc_array_release(&out[j]);
      return rc;
    }
  }
  return 0;
}

static int read_dictionary(lc_ipc_reader *r, const msg *m, lancec_error *err) {
  fberr e = {false};
  int64_t id = get_int(&m->header, 0, 8, 0, &e);
  bool delta = get_u8(&m->header, 2, 0, &e) != 0;
  if (e.bad) return corrupt(err, "bad DictionaryBatch");
  dict_slot *ds = NULL;
  for (size_t i = 0; i < r->n_dicts; i++)
    if (r->dicts[i].id == id) ds = &r->dicts[i];
  if (!ds) return corrupt(err, "DictionaryBatch for an unknown id");
  tbl rb;
  if (get_table(&m->header, 1, &rb) != 1) return corrupt(err, "DictionaryBatch without data");
  lc_field *vf = ds->field->dict_value;
  struct ArrowArray col;
  int64_t length;
  LC_TRY(decode_batch(r, m, &rb, &vf, 1, &col, &length, err));
  if (delta && ds->have) {
    const struct ArrowArray *parts[2] = {&ds->values, &col};
    struct ArrowArray merged;
    int rc = lc_array_concat(vf, parts, 2, &merged, err);
    lc_array_release(&col);
    if (rc) return rc;
    lc_array_release(&ds->values);
    lc_array_move(&merged, &ds->values);
  } else {
    lc_array_release(&ds->values);
    lc_array_move(&col, &ds->values);
  }
  ds->have = true;
  return 0;
}

/* ---- API ------------------------------------------------------------------------- */

static int reader_start(lc_ipc_reader *r, lancec_error *err) {
  msg m;
  LC_TRY(read_message(r, &m, err));
  if (m.eos) return corrupt(err, "empty stream (no Schema message)");
  return read_schema(r, &m, err);
}

int lc_ipc_reader_new_mem(lc_ipc_reader **out, const uint8_t *data, size_t len, lancec_error *err) {
  *out = NULL;
  lc_ipc_reader *r = lc_calloc(1, sizeof(*r));
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  r->mem = data ? data : (const uint8_t *)"";
  r->mem_len = data ? len : 0;
  int rc = reader_start(r, err);
  if (rc) {
    lc_ipc_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int lc_ipc_reader_new_file(lc_ipc_reader **out, FILE *fp, lancec_error *err) {
  *out = NULL;
  lc_ipc_reader *r = lc_calloc(1, sizeof(*r));
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  r->fp = fp;
  int rc = reader_start(r, err);
  if (rc) {
    lc_ipc_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

const lc_field *lc_ipc_reader_field(const lc_ipc_reader *r) { return r->root; }

int lc_ipc_reader_schema(lc_ipc_reader *r, struct ArrowSchema *out, lancec_error *err) {
  return lc_ipc_field_to_arrow(r->root, out, err);
}

int lc_ipc_reader_next(lc_ipc_reader *r, struct ArrowArray *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  while (!r->eos) {
    msg m;
    LC_TRY(read_message(r, &m, err));
    if (m.eos) {
      r->eos = true;
      break;
    }
    if (m.header_type == 2) {
      LC_TRY(read_dictionary(r, &m, err));
      continue;
    }
    if (m.header_type != 3) return corrupt(err, "unexpected message type");
    size_t n = r->root->n_children;
    struct ArrowArray *cols = lc_calloc(n ? n : 1, sizeof(struct ArrowArray));
    if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    int64_t length;
    int rc = decode_batch(r, &m, &m.header, r->root->children, n, cols, &length, err);
    if (!rc) rc = lc_array_make_batch(cols, n, length, out, err);
    lc_free(cols);
    return rc;
  }
  return 0;
}

void lc_ipc_reader_free(lc_ipc_reader *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_dicts; i++) lc_array_release(&r->dicts[i].values);
  lc_free(r->dicts);
  lc_ipc_field_free(r->root);
  lc_buf_free(&r->meta);
  lc_buf_free(&r->body);
  lc_free(r);
}

/* ---- ArrowArrayStream wrapper ---------------------------------------------------- */

static int st_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  lc_ipc_reader *r = s->private_data;
  lancec_error e;
  if (lc_ipc_reader_schema(r, out, &e)) {
    snprintf(r->last_error, sizeof r->last_error, "%s", e.message);
    return e.code == LANCEC_ENOMEM ? 12 /* ENOMEM */ : 22 /* EINVAL */;
  }
  return 0;
}

static int st_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  lc_ipc_reader *r = s->private_data;
  lancec_error e;
  if (lc_ipc_reader_next(r, out, &e)) {
    snprintf(r->last_error, sizeof r->last_error, "%s", e.message);
    return e.code == LANCEC_ENOMEM ? 12 : e.code == LANCEC_EIO ? 5 : 22;
  }
  return 0;
}

static const char *st_last_error(struct ArrowArrayStream *s) {
  lc_ipc_reader *r = s->private_data;
  return r && r->last_error[0] ? r->last_error : NULL;
}

static void st_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  lc_ipc_reader_free(s->private_data);
  s->release = NULL;
  s->private_data = NULL;
}

int lc_ipc_reader_to_stream(lc_ipc_reader *r, struct ArrowArrayStream *out, lancec_error *err) {
  (void)err;
  out->get_schema = st_get_schema;
  out->get_next = st_get_next;
  out->get_last_error = st_last_error;
  out->release = st_release;
  out->private_data = r;
  return 0;
}
