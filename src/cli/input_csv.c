/* CSV input (RFC 4180) with a header row, type inference or a schema. */
#include <errno.h>
#include <stdio.h>

#include "arrow/ipc.h"
#include "cli/input.h"

#define CHUNK 65536

typedef struct rec {
  uint8_t *data;     /* field bytes, back to back */
  size_t *start, *len;
  uint8_t *quoted;
  size_t nf;
  int64_t line;
} rec;

typedef struct csv {
  lc_input_src src;
  uint8_t *buf;
  size_t blen, bpos;
  bool eof;
  int unget;          /* -1: none */
  int64_t line;       /* physical line at the read position (1-based) */
  /* current record */
  lc_buf bytes;
  size_t *start, *len;
  uint8_t *quoted;
  size_t nf, capf;
  int64_t rec_line;
  /* records read ahead for inference */
  rec *ahead;
  size_t n_ahead, ahead_pos;
  /* columns */
  size_t ncols;       /* fields per record (header) */
  int *map;           /* header column -> builder index, -1 never */
  lc_field *root;     /* borrowed from the stream once made */
  lc_colb **b;
  size_t nb;
  bool *present;      /* builder fed from the input */
  int64_t batch_rows;
} csv;

static int rd_fill(csv *r, lancec_error *err) {
  int64_t got = lc_input_src_read(&r->src, r->buf, CHUNK);
  if (got < 0) return lc_err(err, LANCEC_EIO, "%s: read error: %s", r->src.name, strerror(errno));
  r->blen = (size_t)got;
  r->bpos = 0;
  if (got == 0) r->eof = true;
  return 0;
}

/* next byte, -1 at the end, -2 on error (err set) */
static inline int rd_getc(csv *r, lancec_error *err) {
  if (r->unget >= 0) {
    int c = r->unget;
    r->unget = -1;
    return c;
  }
  if (r->bpos >= r->blen) {
    if (r->eof) return -1;
    if (rd_fill(r, err)) return -2;
    if (r->eof) return -1;
  }
  return r->buf[r->bpos++];
}

static int add_field(csv *r, size_t st, bool q, lancec_error *err) {
  if (r->nf == r->capf) {
    size_t nc = r->capf ? r->capf * 2 : 16;
    size_t *s = lc_realloc(r->start, nc * sizeof(size_t));
    if (s) r->start = s;
    size_t *l = lc_realloc(r->len, nc * sizeof(size_t));
    if (l) r->len = l;
    uint8_t *qq = lc_realloc(r->quoted, nc);
    if (qq) r->quoted = qq;
    if (!s || !l || !qq) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    r->capf = nc;
  }
  r->start[r->nf] = st;
  r->len[r->nf] = r->bytes.len - st;
  r->quoted[r->nf] = q;
  r->nf++;
  return 0;
}

static int put(csv *r, int c, lancec_error *err) {
  uint8_t ch = (uint8_t)c;
  return lc_buf_append(&r->bytes, &ch, 1) ? lc_err(err, LANCEC_ENOMEM, "out of memory") : 0;
}

/* One record into r->bytes/start/len. 1: a record, 0: end of input. */
static int read_record(csv *r, lancec_error *err) {
  for (;;) {
    r->bytes.len = 0;
    r->nf = 0;
    r->rec_line = r->line;
    int c = rd_getc(r, err);
    if (c == -2) return LANCEC_EIO;
    if (c == -1) return 0;
    for (;;) {
      size_t st = r->bytes.len;
      bool q = false;
      if (c == '"') {
        q = true;
        for (;;) {
          c = rd_getc(r, err);
          if (c == -2) return LANCEC_EIO;
          if (c == -1)
            return lc_err(err, LANCEC_EINVAL, "%s: line %lld: unterminated quoted field", r->src.name,
                          (long long)r->rec_line);
          if (c == '"') {
            int d = rd_getc(r, err);
            if (d == -2) return LANCEC_EIO;
            if (d == '"') {
              LC_TRY(put(r, '"', err));
              continue;
            }
            c = d;
            break;
          }
          if (c == '\n') r->line++;
          LC_TRY(put(r, c, err));
        }
        if (c != ',' && c != '\n' && c != '\r' && c != -1)
          return lc_err(err, LANCEC_EINVAL, "%s: line %lld: unexpected character '%c' after a closing quote",
                        r->src.name, (long long)r->line, c >= 32 && c < 127 ? c : '?');
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != -1) {
          LC_TRY(put(r, c, err));
          c = rd_getc(r, err);
          if (c == -2) return LANCEC_EIO;
        }
      }
      LC_TRY(add_field(r, st, q, err));
      if (c == ',') {
        c = rd_getc(r, err);
        if (c == -2) return LANCEC_EIO;
        continue;
      }
      if (c == '\r') {
        int d = rd_getc(r, err);
        if (d == -2) return LANCEC_EIO;
        if (d != '\n' && d != -1) r->unget = d;
      }
      if (c != -1) r->line++;
      break;
    }
    if (r->nf == 1 && r->len[0] == 0 && !r->quoted[0]) continue; /* blank line */
    return 1;
  }
}

static int save_record(csv *r, rec *o, lancec_error *err) {
  memset(o, 0, sizeof(*o));
  o->data = lc_malloc(r->bytes.len + 1);
  o->start = lc_malloc((r->nf + 1) * sizeof(size_t));
  o->len = lc_malloc((r->nf + 1) * sizeof(size_t));
  o->quoted = lc_malloc(r->nf + 1);
  if (!o->data || !o->start || !o->len || !o->quoted) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (r->bytes.len) memcpy(o->data, r->bytes.data, r->bytes.len);
  memcpy(o->start, r->start, r->nf * sizeof(size_t));
  memcpy(o->len, r->len, r->nf * sizeof(size_t));
  memcpy(o->quoted, r->quoted, r->nf);
  o->nf = r->nf;
  o->line = r->rec_line;
  return 0;
}

static void free_rec(rec *o) {
  lc_free(o->data);
  lc_free(o->start);
  lc_free(o->len);
  lc_free(o->quoted);
}

static void csv_free(void *p) {
  csv *r = p;
  if (!r) return;
  lc_input_src_close(&r->src);
  lc_free(r->buf);
  lc_buf_free(&r->bytes);
  lc_free(r->start);
  lc_free(r->len);
  lc_free(r->quoted);
  for (size_t i = 0; i < r->n_ahead; i++) free_rec(&r->ahead[i]);
  lc_free(r->ahead);
  lc_free(r->map);
  for (size_t i = 0; i < r->nb; i++) lc_colb_free(r->b[i]);
  lc_free(r->b);
  lc_free(r->present);
  lc_free(r);
}

/* ---- inference ----------------------------------------------------------------- */

enum { M_INT = 1, M_DBL = 2, M_BOOL = 4, M_DATE = 8, M_TS = 16, M_ALL = 31 };

static lc_field *infer_field(const char *name, const rec *rows, size_t nrows, size_t col) {
  int mask = M_ALL;
  bool seen = false, zone = false;
  for (size_t i = 0; i < nrows; i++) {
    const rec *o = &rows[i];
    if (col >= o->nf) continue;
    const char *s = (const char *)o->data + o->start[col];
    size_t n = o->len[col];
    if (n == 0 && !o->quoted[col]) continue;
    seen = true;
    int vm = 0;
    int64_t iv;
    double dv;
    bool bv, z;
    int32_t d;
    if (lc_input_parse_i64(s, n, &iv)) vm |= M_INT | M_DBL;
    else if (lc_input_parse_f64(s, n, &dv)) vm |= M_DBL;
    if (lc_input_parse_bool(s, n, &bv)) vm |= M_BOOL;
    if (lc_input_parse_date(s, n, &d)) vm |= M_DATE | M_TS;
    else if (lc_input_parse_timestamp(s, n, &iv, &z)) {
      vm |= M_TS;
      zone |= z;
    }
    mask &= vm;
    if (!mask) break;
  }
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return NULL;
  f->name = lc_strdup(name);
  f->id = -1, f->parent_id = -1;
  f->nullable = true;
  if (!seen) f->type = LC_T_STRING;
  else if (mask & M_INT) f->type = LC_T_INT64;
  else if (mask & M_DBL) f->type = LC_T_DOUBLE;
  else if (mask & M_BOOL) f->type = LC_T_BOOL;
  else if (mask & M_DATE) f->type = LC_T_DATE32;
  else if (mask & M_TS) {
    f->type = LC_T_TIMESTAMP;
    f->unit = LC_UNIT_US;
    if (zone) f->tz = lc_strdup("UTC");
  } else f->type = LC_T_STRING;
  return f;
}

/* ---- batches ----------------------------------------------------------------------- */

static int feed_row(csv *r, const uint8_t *data, const size_t *start, const size_t *len, const uint8_t *quoted,
                    size_t nf, int64_t line, lancec_error *err) {
  if (nf != r->ncols)
    return lc_err(err, LANCEC_EINVAL, "%s: line %lld: expected %zu fields, got %zu", r->src.name, (long long)line,
                  r->ncols, nf);
  for (size_t i = 0; i < nf; i++) {
    lc_colb *b = r->b[r->map[i]];
    const lc_field *f = r->root->children[r->map[i]];
    int rc;
    bool str = f->type == LC_T_STRING || f->type == LC_T_LARGE_STRING || f->type == LC_T_BINARY ||
               f->type == LC_T_LARGE_BINARY;
    if (len[i] == 0 && (!quoted[i] || !str)) rc = lc_colb_append_null(b, err);
    else rc = lc_colb_append_text(b, (const char *)data + start[i], len[i], err);
    if (rc) {
      lc_err_prefix(err, "%s: line %lld: ", r->src.name, (long long)line);
      return rc;
    }
  }
  for (size_t k = 0; k < r->nb; k++)
    if (!r->present[k]) LC_TRY(lc_colb_append_null(r->b[k], err)); /* nullable, checked at open */
  return 0;
}

static int csv_next(void *p, struct ArrowArray *out, lancec_error *err) {
  csv *r = p;
  memset(out, 0, sizeof(*out));
  int64_t rows = 0;
  while (rows < r->batch_rows) {
    if (r->ahead_pos < r->n_ahead) {
      rec *o = &r->ahead[r->ahead_pos++];
      int rc = feed_row(r, o->data, o->start, o->len, o->quoted, o->nf, o->line, err);
      free_rec(o);
      memset(o, 0, sizeof(*o));
      if (rc) return rc;
    } else {
      int rc = read_record(r, err);
      if (rc < 0) return rc;
      if (rc == 0) break;
      LC_TRY(feed_row(r, r->bytes.data, r->start, r->len, r->quoted, r->nf, r->rec_line, err));
    }
    rows++;
  }
  if (rows == 0) return 0;
  return lc_colb_finish_batch(r->b, r->nb, rows, out, err);
}

static const lc_input_reader_vt csv_vt = {csv_next, csv_free};

int lc_input_csv_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                      const lc_field *schema, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  csv *r = lc_calloc(1, sizeof(*r));
  if (!r) {
    lc_input_src_close(src);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  r->src = *src;
  memset(src, 0, sizeof(*src));
  r->unget = -1;
  r->line = 1;
  r->batch_rows = o && o->batch_rows > 0 ? o->batch_rows : 65536;
  int64_t infer = o && o->infer_rows > 0 ? o->infer_rows : 1000;
  lc_field *root = NULL;
  int rc = 0;
  r->buf = lc_malloc(CHUNK);
  if (!r->buf) goto nomem;
  /* UTF-8 BOM */
  int c0 = rd_getc(r, err);
  if (c0 == -2) {
    rc = LANCEC_EIO;
    goto fail;
  }
  if (c0 == 0xEF) {
    int c1 = rd_getc(r, err), c2 = c1 >= 0 ? rd_getc(r, err) : -1;
    if (c1 != 0xBB || c2 != 0xBF) {
      /* not a BOM: put the bytes back */
      lc_free(r->src.pre);
      r->src.pre = lc_malloc(3 + (r->blen - r->bpos) + 1);
      if (!r->src.pre) goto nomem;
      size_t k = 0;
      r->src.pre[k++] = 0xEF;
      if (c1 >= 0) r->src.pre[k++] = (uint8_t)c1;
      if (c2 >= 0) r->src.pre[k++] = (uint8_t)c2;
      memcpy(r->src.pre + k, r->buf + r->bpos, r->blen - r->bpos);
      r->src.pre_len = k + (r->blen - r->bpos);
      r->src.pre_pos = 0;
      r->blen = r->bpos = 0;
      r->eof = false;
    }
  } else if (c0 >= 0) {
    r->unget = c0;
  }
  rc = read_record(r, err);
  if (rc < 0) goto fail;
  if (rc == 0) {
    rc = lc_err(err, LANCEC_EINVAL, "%s: empty input (a CSV header row is required)", r->src.name);
    goto fail;
  }
  rc = 0;
  r->ncols = r->nf;
  char **names = lc_calloc(r->ncols, sizeof(char *));
  if (!names) goto nomem;
  for (size_t i = 0; i < r->ncols; i++) {
    names[i] = lc_strndup((const char *)r->bytes.data + r->start[i], r->len[i]);
    if (!names[i]) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    else if (!names[i][0] && !rc)
      rc = lc_err(err, LANCEC_EINVAL, "%s: line %lld: header column %zu has no name", r->src.name,
                  (long long)r->rec_line, i + 1);
    for (size_t j = 0; j < i && !rc; j++)
      if (!strcmp(names[i], names[j]))
        rc = lc_err(err, LANCEC_EINVAL, "%s: line %lld: duplicate column '%s' in the header", r->src.name,
                    (long long)r->rec_line, names[i]);
  }
  r->map = lc_calloc(r->ncols ? r->ncols : 1, sizeof(int));
  if (!rc && !r->map) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (!rc && schema) {
    root = lc_input_output_field(schema);
    if (!root) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->ncols && !rc; i++) {
      size_t k = 0;
      while (k < root->n_children && strcmp(root->children[k]->name, names[i])) k++;
      if (k == root->n_children)
        rc = lc_err(err, LANCEC_ETYPE, "%s: column '%s' is not in the schema", r->src.name, names[i]);
      r->map[i] = (int)k;
    }
  } else if (!rc) {
    /* inference over the first rows */
    size_t cap = 0;
    while ((int64_t)r->n_ahead < infer) {
      int k = read_record(r, err);
      if (k < 0) {
        rc = k;
        break;
      }
      if (k == 0) break;
      if (r->n_ahead == cap) {
        cap = cap ? cap * 2 : 64;
        rec *v = lc_realloc(r->ahead, cap * sizeof(rec));
        if (!v) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        r->ahead = v;
      }
      rc = save_record(r, &r->ahead[r->n_ahead], err);
      r->n_ahead++;
      if (rc) break;
    }
    if (!rc) {
      root = lc_calloc(1, sizeof(*root));
      if (root) {
        root->name = lc_strdup("");
        root->type = LC_T_STRUCT;
        root->id = -1, root->parent_id = -1;
        root->children = lc_calloc(r->ncols ? r->ncols : 1, sizeof(lc_field *));
      }
      if (!root || !root->name || !root->children) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      for (size_t i = 0; i < r->ncols && !rc; i++) {
        lc_field *f = infer_field(names[i], r->ahead, r->n_ahead, i);
        if (!f) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        f->parent = root;
        root->children[root->n_children++] = f;
        r->map[i] = (int)i;
      }
    }
  }
  for (size_t i = 0; i < r->ncols; i++) lc_free(names[i]);
  lc_free(names);
  if (rc) goto fail;
  r->nb = root->n_children;
  r->b = lc_calloc(r->nb ? r->nb : 1, sizeof(lc_colb *));
  r->present = lc_calloc(r->nb ? r->nb : 1, sizeof(bool));
  if (!r->b || !r->present) goto nomem;
  for (size_t i = 0; i < r->ncols; i++) r->present[r->map[i]] = true;
  for (size_t k = 0; k < r->nb && !rc; k++) {
    if (!r->present[k] && !root->children[k]->nullable)
      rc = lc_err(err, LANCEC_ETYPE, "%s: column '%s' is missing from the input and not nullable", r->src.name,
                  root->children[k]->name);
    else rc = lc_colb_new(&r->b[k], root->children[k], root->children[k]->name, err);
  }
  if (rc) goto fail;
  r->root = root;
  return lc_input_make_stream(out, &csv_vt, r, root, err);
nomem:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  lc_ipc_field_free(root);
  csv_free(r);
  return rc;
}
