/* "csv" output: RFC 4180. Header of column names; nulls are empty fields;
 * strings are written raw; binary as base64; numbers, temporal values and
 * decimals as their JSON text without quotes; nested values as JSON text.
 * A field is quoted when it contains ',', '"', CR or LF (and then '"' is
 * doubled); an empty string is written as "" to tell it from null. */
#include "cli/output.h"

static int put_csv_field(lc_buf *b, const uint8_t *s, size_t n, bool force_quote) {
  bool q = force_quote;
  for (size_t i = 0; i < n && !q; i++) q = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!q) return lc_buf_append(b, s, n);
  LC_TRY(lc_buf_append(b, "\"", 1));
  size_t st = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') {
      LC_TRY(lc_buf_append(b, s + st, i + 1 - st));
      LC_TRY(lc_buf_append(b, "\"", 1));
      st = i + 1;
    }
  }
  LC_TRY(lc_buf_append(b, s + st, n - st));
  return lc_buf_append(b, "\"", 1);
}

/* The text of one cell (no CSV quoting): raw string bytes for strings, JSON
 * text otherwise with the quotes of scalar JSON strings removed. */
int lc_csv_cell(lc_buf *cell, const lc_field *f, const struct ArrowArray *a, int64_t row, bool *is_null) {
  cell->len = 0;
  *is_null = lc_output_is_null(f, a, row);
  if (*is_null) return 0;
  while (f->type == LC_T_DICT) {
    const void *p = a->buffers[1];
    int64_t i = a->offset + row, k;
    switch (f->dict_key) {
      case LC_T_INT8: k = ((const int8_t *)p)[i]; break;
      case LC_T_UINT8: k = ((const uint8_t *)p)[i]; break;
      case LC_T_INT16: k = ((const int16_t *)p)[i]; break;
      case LC_T_UINT16: k = ((const uint16_t *)p)[i]; break;
      case LC_T_INT32: k = ((const int32_t *)p)[i]; break;
      case LC_T_UINT32: k = ((const uint32_t *)p)[i]; break;
      default: k = ((const int64_t *)p)[i]; break;
    }
    a = a->dictionary, f = f->dict_value, row = k;
    *is_null = lc_output_is_null(f, a, row);
    if (*is_null) return 0;
  }
  int64_t i = a->offset + row;
  if (f->type == LC_T_STRING) {
    const int32_t *o = a->buffers[1];
    return lc_buf_append(cell, (const uint8_t *)a->buffers[2] + o[i], (size_t)(o[i + 1] - o[i]));
  }
  if (f->type == LC_T_LARGE_STRING) {
    const int64_t *o = a->buffers[1];
    return lc_buf_append(cell, (const uint8_t *)a->buffers[2] + o[i], (size_t)(o[i + 1] - o[i]));
  }
  LC_TRY(lc_json_append_value(cell, f, a, row));
  bool nested = f->type == LC_T_STRUCT || f->type == LC_T_LIST || f->type == LC_T_LARGE_LIST ||
                f->type == LC_T_FIXED_LIST || f->type == LC_T_MAP;
  if (!nested && cell->len >= 2 && cell->data[0] == '"' && cell->data[cell->len - 1] == '"') {
    memmove(cell->data, cell->data + 1, cell->len - 2);
    cell->len -= 2;
  }
  return 0;
}

typedef struct csv_state {
  lc_buf cell;
} csv_state;

static int csv_begin(lc_output *o, const struct ArrowSchema *schema, lancec_error *err) {
  csv_state *st = lc_calloc(1, sizeof(*st));
  if (!st) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  o->state = st;
  for (size_t c = 0; c < o->root->n_children; c++) {
    const char *nm = o->root->children[c]->name ? o->root->children[c]->name : "";
    if ((c && lc_buf_append(&o->buf, ",", 1)) || put_csv_field(&o->buf, (const uint8_t *)nm, strlen(nm), false))
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  if (lc_buf_append(&o->buf, "\n", 1)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  return 0;
}

static int csv_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err) {
  csv_state *st = o->state;
  size_t nc = o->root->n_children;
  for (int64_t r = 0; r < batch->length; r++) {
    int64_t pr = batch->offset + r;
    for (size_t c = 0; c < nc; c++) {
      bool isnull;
      const lc_field *f = o->root->children[c];
      if ((c && lc_buf_append(&o->buf, ",", 1)) || lc_csv_cell(&st->cell, f, batch->children[c], pr, &isnull))
        return lc_err(err, LANCEC_ENOMEM, "out of memory");
      if (isnull) continue;
      if (put_csv_field(&o->buf, st->cell.data ? st->cell.data : (const uint8_t *)"", st->cell.len,
                        st->cell.len == 0))
        return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    if (lc_buf_append(&o->buf, "\n", 1)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (o->buf.len >= (1u << 20)) LC_TRY(lc_output_flush(o, 0, err));
  }
  return 0;
}

static int csv_finish(lc_output *o, lancec_error *err) { return 0; }

static void csv_free(lc_output *o) {
  csv_state *st = o->state;
  if (!st) return;
  lc_buf_free(&st->cell);
  lc_free(st);
  o->state = NULL;
}

const lc_output_ops lc_output_csv_ops = {csv_begin, csv_batch, csv_finish, csv_free};
