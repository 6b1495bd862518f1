/* JSON Lines input: one object per line, type inference or a schema. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "arrow/ipc.h"
#include "cli/input.h"

#define CHUNK 65536

typedef struct held {
  json_t *obj;
  int64_t line;
} held;

typedef struct jl {
  lc_input_src src;
  uint8_t *buf;
  size_t blen, bpos;
  bool eof;
  int64_t line;     /* number of the next line to read */
  lc_buf cur;
  held *ahead;
  size_t n_ahead, ahead_pos;
  lc_field *root;   /* borrowed from the stream */
  lc_colb **b;
  size_t nb;
  int64_t batch_rows;
  bool inferred;
  int64_t infer_rows;
} jl;

/* Next non-blank line into r->cur (NUL-terminated). 1: a line, 0: end. */
static int read_line(jl *r, int64_t *line, lancec_error *err) {
  for (;;) {
    r->cur.len = 0;
    bool any = false;
    for (;;) {
      if (r->bpos >= r->blen) {
        if (r->eof) break;
        int64_t got = lc_input_src_read(&r->src, r->buf, CHUNK);
        if (got < 0) return lc_err(err, LANCEC_EIO, "%s: read error: %s", r->src.name, strerror(errno));
        r->blen = (size_t)got, r->bpos = 0;
        if (got == 0) {
          r->eof = true;
          break;
        }
      }
      any = true;
      uint8_t *p = r->buf + r->bpos;
      uint8_t *nl = memchr(p, '\n', r->blen - r->bpos);
      size_t k = nl ? (size_t)(nl - p) : r->blen - r->bpos;
      if (lc_buf_append(&r->cur, p, k)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      r->bpos += k;
      if (nl) {
        r->bpos++;
        break;
      }
    }
    if (!any) return 0;
    *line = r->line++;
    if (lc_buf_append(&r->cur, "", 1)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    r->cur.len--;
    size_t i = 0;
    if (*line == 1 && r->cur.len >= 3 && !memcmp(r->cur.data, "\xEF\xBB\xBF", 3)) {
      memmove(r->cur.data, r->cur.data + 3, r->cur.len - 3 + 1);
      r->cur.len -= 3;
    }
    while (i < r->cur.len && (r->cur.data[i] == ' ' || r->cur.data[i] == '\t' || r->cur.data[i] == '\r')) i++;
    if (i == r->cur.len) {
      if (r->eof && r->bpos >= r->blen) return 0;
      continue;
    }
    return 1;
  }
}

static int parse_obj(jl *r, int64_t line, json_t **out, lancec_error *err) {
  json_error_t je;
  json_t *j = json_loadb((const char *)r->cur.data, r->cur.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  if (!j)
    return lc_err(err, LANCEC_EINVAL, "%s: line %lld: invalid JSON at column %d: %s", r->src.name, (long long)line,
                  je.column, je.text);
  if (!json_is_object(j)) {
    json_decref(j);
    return lc_err(err, LANCEC_EINVAL, "%s: line %lld: expected a JSON object", r->src.name, (long long)line);
  }
  *out = j;
  return 0;
}

/* ---- inference ------------------------------------------------------------------- */

enum { K_UNK, K_INT, K_DBL, K_BOOL, K_STR, K_LIST, K_OBJ };

typedef struct ity ity;
struct ity {
  int k;
  ity *item;
  char **names;
  ity **ch;
  size_t n;
};

static void ity_clear(ity *t) {
  if (t->item) {
    ity_clear(t->item);
    lc_free(t->item);
  }
  for (size_t i = 0; i < t->n; i++) {
    lc_free(t->names[i]);
    ity_clear(t->ch[i]);
    lc_free(t->ch[i]);
  }
  lc_free(t->names);
  lc_free(t->ch);
  memset(t, 0, sizeof(*t));
}

static void to_str(ity *t) {
  ity_clear(t);
  t->k = K_STR;
}

static int ity_merge(ity *t, const json_t *v, int depth) {
  if (!v || json_is_null(v) || t->k == K_STR) return 0;
  if (depth > 64) {
    to_str(t);
    return 0;
  }
  if (json_is_integer(v)) {
    if (t->k == K_UNK) t->k = K_INT;
    else if (t->k != K_INT && t->k != K_DBL) to_str(t);
  } else if (json_is_real(v)) {
    if (t->k == K_UNK || t->k == K_INT) t->k = K_DBL;
    else if (t->k != K_DBL) to_str(t);
  } else if (json_is_boolean(v)) {
    if (t->k == K_UNK) t->k = K_BOOL;
    else if (t->k != K_BOOL) to_str(t);
  } else if (json_is_string(v)) {
    to_str(t);
  } else if (json_is_array(v)) {
    if (t->k == K_UNK) {
      t->k = K_LIST;
      t->item = lc_calloc(1, sizeof(ity));
      if (!t->item) return LANCEC_ENOMEM;
    } else if (t->k != K_LIST) {
      to_str(t);
      return 0;
    }
    for (size_t i = 0; i < json_array_size(v); i++) LC_TRY(ity_merge(t->item, json_array_get(v, i), depth + 1));
  } else if (json_is_object(v)) {
    if (t->k == K_UNK) t->k = K_OBJ;
    else if (t->k != K_OBJ) {
      to_str(t);
      return 0;
    }
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x) {
      size_t i = 0;
      while (i < t->n && strcmp(t->names[i], key)) i++;
      if (i == t->n) {
        char **nn = lc_realloc(t->names, (t->n + 1) * sizeof(char *));
        if (!nn) return LANCEC_ENOMEM;
        t->names = nn;
        ity **nc = lc_realloc(t->ch, (t->n + 1) * sizeof(ity *));
        if (!nc) return LANCEC_ENOMEM;
        t->ch = nc;
        t->names[i] = lc_strdup(key);
        t->ch[i] = lc_calloc(1, sizeof(ity));
        t->n++;
        if (!t->names[i] || !t->ch[i]) return LANCEC_ENOMEM;
      }
      LC_TRY(ity_merge(t->ch[i], x, depth + 1));
    }
  }
  return 0;
}

static lc_field *ity_field(const ity *t, const char *name) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return NULL;
  f->name = lc_strdup(name);
  f->id = -1, f->parent_id = -1;
  f->nullable = true;
  if (!f->name) goto fail;
  switch (t->k) {
    case K_INT: f->type = LC_T_INT64; break;
    case K_DBL: f->type = LC_T_DOUBLE; break;
    case K_BOOL: f->type = LC_T_BOOL; break;
    case K_LIST: {
      f->type = LC_T_LIST;
      lc_field *it = ity_field(t->item, "item");
      f->children = lc_calloc(1, sizeof(lc_field *));
      if (!it || !f->children) {
        lc_ipc_field_free(it);
        goto fail;
      }
      it->parent = f;
      f->children[f->n_children++] = it;
      break;
    }
    case K_OBJ:
      if (t->n == 0) {
        f->type = LC_T_STRING;
        break;
      }
      f->type = LC_T_STRUCT;
      f->children = lc_calloc(t->n, sizeof(lc_field *));
      if (!f->children) goto fail;
      for (size_t i = 0; i < t->n; i++) {
        lc_field *c = ity_field(t->ch[i], t->names[i]);
        if (!c) goto fail;
        c->parent = f;
        f->children[f->n_children++] = c;
      }
      break;
    default: f->type = LC_T_STRING; break;
  }
  return f;
fail:
  lc_ipc_field_free(f);
  return NULL;
}

/* ---- batches ------------------------------------------------------------------------ */

static void jl_free(void *p) {
  jl *r = p;
  if (!r) return;
  lc_input_src_close(&r->src);
  lc_free(r->buf);
  lc_buf_free(&r->cur);
  for (size_t i = r->ahead_pos; i < r->n_ahead; i++) json_decref(r->ahead[i].obj);
  lc_free(r->ahead);
  for (size_t i = 0; i < r->nb; i++) lc_colb_free(r->b[i]);
  lc_free(r->b);
  lc_free(r);
}

static int feed(jl *r, const json_t *obj, int64_t line, lancec_error *err) {
  const char *key;
  json_t *x;
  json_object_foreach((json_t *)obj, key, x) {
    size_t i = 0;
    while (i < r->root->n_children && strcmp(r->root->children[i]->name, key)) i++;
    if (i == r->root->n_children) {
      if (r->inferred)
        return lc_err(err, LANCEC_ETYPE,
                      "%s: line %lld: key '%s' is not in the schema (inferred from the first %lld lines; "
                      "give --schema)",
                      r->src.name, (long long)line, key, (long long)r->infer_rows);
      return lc_err(err, LANCEC_ETYPE, "%s: line %lld: key '%s' is not in the schema", r->src.name, (long long)line,
                    key);
    }
  }
  for (size_t i = 0; i < r->nb; i++) {
    int rc = lc_colb_append_json(r->b[i], json_object_get(obj, r->root->children[i]->name), err);
    if (rc) {
      lc_err_prefix(err, "%s: line %lld: ", r->src.name, (long long)line);
      return rc;
    }
  }
  return 0;
}

static int jl_next(void *p, struct ArrowArray *out, lancec_error *err) {
  jl *r = p;
  memset(out, 0, sizeof(*out));
  int64_t rows = 0;
  while (rows < r->batch_rows) {
    if (r->ahead_pos < r->n_ahead) {
      held *h = &r->ahead[r->ahead_pos++];
      int rc = feed(r, h->obj, h->line, err);
      json_decref(h->obj);
      h->obj = NULL;
      if (rc) return rc;
    } else {
      int64_t line;
      int rc = read_line(r, &line, err);
      if (rc < 0) return rc;
      if (rc == 0) break;
      json_t *o;
      LC_TRY(parse_obj(r, line, &o, err));
      rc = feed(r, o, line, err);
      json_decref(o);
      if (rc) return rc;
    }
    rows++;
  }
  if (rows == 0) return 0;
  return lc_colb_finish_batch(r->b, r->nb, rows, out, err);
}

static const lc_input_reader_vt jl_vt = {jl_next, jl_free};

int lc_input_jsonl_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                        const lc_field *schema, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  jl *r = lc_calloc(1, sizeof(*r));
  if (!r) {
    lc_input_src_close(src);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  r->src = *src;
  memset(src, 0, sizeof(*src));
  r->line = 1;
  r->batch_rows = o && o->batch_rows > 0 ? o->batch_rows : 65536;
  r->infer_rows = o && o->infer_rows > 0 ? o->infer_rows : 1000;
  lc_field *root = NULL;
  int rc = 0;
  r->buf = lc_malloc(CHUNK);
  if (!r->buf) goto nomem;
  if (schema) {
    root = lc_input_output_field(schema);
    if (!root) goto nomem;
  } else {
    r->inferred = true;
    ity top;
    memset(&top, 0, sizeof top);
    top.k = K_OBJ;
    size_t cap = 0;
    while ((int64_t)r->n_ahead < r->infer_rows) {
      int64_t line;
      rc = read_line(r, &line, err);
      if (rc < 0) break;
      if (rc == 0) {
        rc = 0;
        break;
      }
      rc = 0;
      json_t *obj;
      rc = parse_obj(r, line, &obj, err);
      if (rc) break;
      if (r->n_ahead == cap) {
        cap = cap ? cap * 2 : 64;
        held *v = lc_realloc(r->ahead, cap * sizeof(held));
        if (!v) {
          json_decref(obj);
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        r->ahead = v;
      }
      r->ahead[r->n_ahead].obj = obj;
      r->ahead[r->n_ahead].line = line;
      r->n_ahead++;
      if (ity_merge(&top, obj, 0)) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
    }
    if (!rc) {
      root = ity_field(&top, "");
      if (!root) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      else if (root->type != LC_T_STRUCT) {
        /* no keys at all: an empty struct of columns */
        root->type = LC_T_STRUCT;
      }
      if (root) root->nullable = false;
    }
    ity_clear(&top);
    if (rc) goto fail;
  }
  r->nb = root->n_children;
  r->b = lc_calloc(r->nb ? r->nb : 1, sizeof(lc_colb *));
  if (!r->b) goto nomem;
  for (size_t k = 0; k < r->nb && !rc; k++) rc = lc_colb_new(&r->b[k], root->children[k], root->children[k]->name, err);
  if (rc) goto fail;
  r->root = root;
  return lc_input_make_stream(out, &jl_vt, r, root, err);
nomem:
  rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
fail:
  lc_ipc_field_free(root);
  jl_free(r);
  return rc;
}
