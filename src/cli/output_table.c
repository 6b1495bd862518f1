/* "table" output: an aligned text table for people. The first
 * LC_TABLE_SAMPLE rows are buffered to size the columns; later rows reuse
 * those widths. Cells are cut to LC_TABLE_CELL characters (code points)
 * with "…", control characters shown as spaces, nulls as "null", numbers
 * right-aligned. A "(N rows)" line ends the table. */
#include "cli/output.h"

#define LC_TABLE_SAMPLE 1000
#define LC_TABLE_CELL 32

typedef struct table_state {
  size_t nc;
  size_t *width;   /* display width per column */
  bool *right;     /* right-align */
  char **cells;    /* buffered rows: nrows * nc strings */
  size_t nrows, cap;
  bool printed_header;
  int64_t total;
  lc_buf cell;
} table_state;

static size_t disp_len(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((uint8_t)*s & 0xc0) != 0x80;
  return n;
}

/* Cell text: sanitised and cut to `max` code points (with "…"). */
static char *make_cell(const uint8_t *s, size_t n, size_t max) {
  lc_buf b = {0};
  size_t cp = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    bool lead = (c & 0xc0) != 0x80;
    if (lead) {
      if (cp == max) {
        /* drop the last code point for the ellipsis */
        while (b.len && (b.data[b.len - 1] & 0xc0) == 0x80) b.len--;
        if (b.len) b.len--;
        lc_buf_append(&b, "\xe2\x80\xa6", 3);
        break;
      }
      cp++;
    }
    if (c < 0x20 || c == 0x7f) c = ' ';
    if (lc_buf_append(&b, &c, 1)) break;
  }
  lc_buf_append(&b, "", 1);
  return (char *)lc_buf_steal(&b, NULL);
}

static bool is_numeric(const lc_field *f) {
  if (f->type == LC_T_DICT) f = f->dict_value;
  return (f->type >= LC_T_INT8 && f->type <= LC_T_DOUBLE) || f->type == LC_T_DECIMAL128 ||
         f->type == LC_T_DECIMAL256 || (f->type >= LC_T_DATE32 && f->type <= LC_T_DURATION);
}

static int put_padded(lc_buf *b, const char *s, size_t width, bool right) {
  size_t l = disp_len(s);
  size_t pad = width > l ? width - l : 0;
  if (right)
    for (size_t i = 0; i < pad; i++) LC_TRY(lc_buf_append(b, " ", 1));
  LC_TRY(lc_buf_append(b, s, strlen(s)));
  if (!right)
    for (size_t i = 0; i < pad; i++) LC_TRY(lc_buf_append(b, " ", 1));
  return 0;
}

static int put_row(lc_output *o, char **cells) {
  table_state *st = o->state;
  for (size_t c = 0; c < st->nc; c++) {
    if (c) LC_TRY(lc_buf_append(&o->buf, " | ", 3));
    const char *s = cells[c];
    char *cut = NULL;
    if (disp_len(s) > st->width[c]) {
      cut = make_cell((const uint8_t *)s, strlen(s), st->width[c]);
      if (!cut) return LANCEC_ENOMEM;
      s = cut;
    }
    int rc = put_padded(&o->buf, s, c + 1 == st->nc && !st->right[c] ? 0 : st->width[c], st->right[c]);
    lc_free(cut);
    LC_TRY(rc);
  }
  return lc_buf_append(&o->buf, "\n", 1);
}

static int print_header(lc_output *o) {
  table_state *st = o->state;
  st->printed_header = true;
  for (size_t c = 0; c < st->nc; c++) {
    if (c) LC_TRY(lc_buf_append(&o->buf, " | ", 3));
    const char *nm = o->root->children[c]->name ? o->root->children[c]->name : "";
    char *h = make_cell((const uint8_t *)nm, strlen(nm), st->width[c]);
    if (!h) return LANCEC_ENOMEM;
    int rc = put_padded(&o->buf, h, c + 1 == st->nc ? 0 : st->width[c], false);
    lc_free(h);
    LC_TRY(rc);
  }
  LC_TRY(lc_buf_append(&o->buf, "\n", 1));
  for (size_t c = 0; c < st->nc; c++) {
    if (c) LC_TRY(lc_buf_append(&o->buf, "-+-", 3));
    for (size_t i = 0; i < st->width[c]; i++) LC_TRY(lc_buf_append(&o->buf, "-", 1));
  }
  LC_TRY(lc_buf_append(&o->buf, "\n", 1));
  for (size_t r = 0; r < st->nrows; r++) {
    LC_TRY(put_row(o, st->cells + r * st->nc));
    for (size_t c = 0; c < st->nc; c++) lc_free(st->cells[r * st->nc + c]);
  }
  st->nrows = 0;
  return 0;
}

static int table_begin(lc_output *o, const struct ArrowSchema *schema, lancec_error *err) {
  table_state *st = lc_calloc(1, sizeof(*st));
  if (!st) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  o->state = st;
  st->nc = o->root->n_children;
  st->width = lc_calloc(st->nc ? st->nc : 1, sizeof(size_t));
  st->right = lc_calloc(st->nc ? st->nc : 1, sizeof(bool));
  if (!st->width || !st->right) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t c = 0; c < st->nc; c++) {
    const char *nm = o->root->children[c]->name ? o->root->children[c]->name : "";
    size_t l = disp_len(nm);
    st->width[c] = l > LC_TABLE_CELL ? LC_TABLE_CELL : l;
    if (st->width[c] < 4) st->width[c] = 4;
    st->right[c] = is_numeric(o->root->children[c]);
  }
  return 0;
}

static int table_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err) {
  table_state *st = o->state;
  char **row = NULL;
  char *tmp[1];
  for (int64_t r = 0; r < batch->length; r++) {
    int64_t pr = batch->offset + r;
    if (!st->printed_header) {
      if (st->nrows == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 64;
        char **nc = lc_realloc(st->cells, ncap * (st->nc ? st->nc : 1) * sizeof(char *));
        if (!nc) return lc_err(err, LANCEC_ENOMEM, "out of memory");
        st->cells = nc, st->cap = ncap;
      }
      row = st->cells + st->nrows * st->nc;
    } else {
      row = st->nc ? lc_calloc(st->nc, sizeof(char *)) : tmp;
      if (!row) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    int rc = 0;
    size_t done = 0;
    for (size_t c = 0; c < st->nc && !rc; c++) {
      bool isnull;
      rc = lc_csv_cell(&st->cell, o->root->children[c], batch->children[c], pr, &isnull);
      if (rc) break;
      row[c] = isnull ? lc_strdup("null") : make_cell(st->cell.data, st->cell.len, LC_TABLE_CELL);
      if (!row[c]) {
        rc = LANCEC_ENOMEM;
        break;
      }
      done++;
      size_t l = disp_len(row[c]);
      if (!st->printed_header && l > st->width[c]) st->width[c] = l;
    }
    if (!rc && st->printed_header) rc = put_row(o, row);
    if (rc || st->printed_header) {
      for (size_t c = 0; c < done; c++) lc_free(row[c]);
      if (st->printed_header && st->nc) lc_free(row);
      if (rc) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    } else {
      st->nrows++;
    }
    st->total++;
    if (!st->printed_header && st->nrows >= LC_TABLE_SAMPLE && print_header(o))
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (o->buf.len >= (1u << 20)) LC_TRY(lc_output_flush(o, 0, err));
  }
  return 0;
}

static int table_finish(lc_output *o, lancec_error *err) {
  table_state *st = o->state;
  if (!st->printed_header && print_header(o)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  char line[64];
  int n = snprintf(line, sizeof line, "(%lld row%s)\n", (long long)st->total, st->total == 1 ? "" : "s");
  if (lc_buf_append(&o->buf, line, (size_t)n)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  return 0;
}

static void table_free(lc_output *o) {
  table_state *st = o->state;
  if (!st) return;
  for (size_t i = 0; i < st->nrows * st->nc; i++) lc_free(st->cells[i]);
  lc_free(st->cells);
  lc_free(st->width);
  lc_free(st->right);
  lc_buf_free(&st->cell);
  lc_free(st);
  o->state = NULL;
}

const lc_output_ops lc_output_table_ops = {table_begin, table_batch, table_finish, table_free};
