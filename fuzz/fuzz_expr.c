/* Fuzz target: SQL filter expressions. The input is parsed as a filter
 * against a fixed schema (ints, floats, strings, bool, date, timestamp,
 * decimal, struct, dictionary, list) and, when it binds, evaluated over a
 * small fixed batch with nulls and offsets; its canonical text is parsed
 * again. Nothing may crash, leak or read out of bounds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS 5
#define PRE 2 /* junk rows before each column (array offset) */

static lc_field *mkf(lc_type_id t, const char *name) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  f->type = t;
  f->name = lc_strdup(name);
  f->id = -1, f->parent_id = -1;
  f->nullable = true;
  return f;
}

static void add_child(lc_field *p, lc_field *c) {
  p->children = lc_realloc(p->children, (p->n_children + 1) * sizeof(lc_field *));
  p->children[p->n_children++] = c;
  c->parent = p;
}

/* validity: bit i of `mask` set = row i valid */
static void validity(struct ArrowArray *a, unsigned mask) {
  uint8_t *v = lc_calloc(1, 2);
  int nulls = 0;
  for (int i = 0; i < PRE; i++) lc_bit_set(v, i);
  for (int i = 0; i < ROWS; i++) {
    if (mask >> i & 1) lc_bit_set(v, PRE + i);
    else nulls++;
  }
  lc_array_set_buffer(a, 0, v);
  a->null_count = nulls;
}

static void prim(struct ArrowArray *a, const void *vals, size_t w, unsigned mask) {
  lc_array_init(a, 2, 0);
  a->length = ROWS;
  a->offset = PRE;
  uint8_t *d = lc_malloc_aligned((ROWS + PRE) * w);
  memset(d, 0x7F, PRE * w);
  memcpy(d + PRE * w, vals, ROWS * w);
  lc_array_set_buffer(a, 1, d);
  validity(a, mask);
}

static void strings(struct ArrowArray *a, const char *const *v, int n, int pre) {
  lc_array_init(a, 3, 0);
  a->length = n;
  a->offset = pre;
  int32_t *o = lc_malloc((size_t)(n + pre + 1) * 4);
  size_t total = 0;
  for (int i = 0; i < n; i++) total += v[i] ? strlen(v[i]) : 0;
  uint8_t *d = lc_malloc(total + 1);
  int32_t cur = 0;
  for (int i = 0; i < pre; i++) o[i] = 0;
  unsigned mask = 0;
  for (int i = 0; i < n; i++) {
    o[pre + i] = cur;
    size_t l = v[i] ? strlen(v[i]) : 0;
    memcpy(d + cur, v[i] ? v[i] : "", l);
    cur += (int32_t)l;
    if (v[i]) mask |= 1u << i;
  }
  o[pre + n] = cur;
  lc_array_set_buffer(a, 1, o);
  lc_array_set_buffer(a, 2, d);
  if (pre == PRE && n == ROWS) validity(a, mask);
}

static lc_schema *g_schema;
static lc_field **g_fields; /* schema fields + _rowid */
static size_t g_nfields;
static struct ArrowArray g_batch;

static void setup(void) {
  if (g_schema) return;
  lc_schema *s = lc_calloc(1, sizeof(*s));
  lc_field *fs[16];
  struct ArrowArray cols[16];
  memset(cols, 0, sizeof cols);
  int n = 0;
  int32_t i32[ROWS] = {1, -2, 0, 2147483647, 5};
  fs[n] = mkf(LC_T_INT32, "a");
  prim(&cols[n++], i32, 4, 0x1B);
  int64_t i64[ROWS] = {INT64_MIN, 0, 7, INT64_MAX, -1};
  fs[n] = mkf(LC_T_INT64, "b");
  prim(&cols[n++], i64, 8, 0x1D);
  uint64_t u64[ROWS] = {0, UINT64_MAX, 3, 4, 5};
  fs[n] = mkf(LC_T_UINT64, "u");
  prim(&cols[n++], u64, 8, 0x17);
  double f64[ROWS] = {1.5, NAN, -0.0, INFINITY, -1e308};
  fs[n] = mkf(LC_T_DOUBLE, "x");
  prim(&cols[n++], f64, 8, 0x1E);
  float f32[ROWS] = {0.5f, -1, NAN, 3, 4};
  fs[n] = mkf(LC_T_FLOAT, "y");
  prim(&cols[n++], f32, 4, 0x1F);
  const char *sv[ROWS] = {"abc", "", NULL, "a%_\\", "h\xc3\xa9llo"};
  fs[n] = mkf(LC_T_STRING, "s");
  strings(&cols[n++], sv, ROWS, PRE);
  fs[n] = mkf(LC_T_BOOL, "t");
  lc_array_init(&cols[n], 2, 0);
  cols[n].length = ROWS, cols[n].offset = PRE;
  uint8_t *bb = lc_calloc(1, 2);
  bb[0] = 0x5A;
  lc_array_set_buffer(&cols[n], 1, bb);
  validity(&cols[n++], 0x0F);
  int32_t days[ROWS] = {19723, -1, 0, 2932896, -719162};
  fs[n] = mkf(LC_T_DATE32, "d");
  prim(&cols[n++], days, 4, 0x1D);
  int64_t ts[ROWS] = {1704164645123456LL, -1, 0, INT64_MAX, INT64_MIN};
  fs[n] = mkf(LC_T_TIMESTAMP, "ts");
  fs[n - 1]->unit = LC_UNIT_US;
  prim(&cols[n++], ts, 8, 0x0F);
  __extension__ __int128 dec[ROWS] = {150, -225, 0, 99999999, -1};
  fs[n] = mkf(LC_T_DECIMAL128, "m");
  fs[n - 1]->precision = 10, fs[n - 1]->scale = 2;
  prim(&cols[n++], dec, 16, 0x1B);
  /* struct st {p int32, q string} */
  fs[n] = mkf(LC_T_STRUCT, "st");
  add_child(fs[n], mkf(LC_T_INT32, "p"));
  add_child(fs[n], mkf(LC_T_STRING, "q"));
  lc_array_init(&cols[n], 1, 2);
  cols[n].length = ROWS, cols[n].offset = PRE;
  validity(&cols[n], 0x1D);
  prim(cols[n].children[0], i32, 4, 0x17);
  cols[n].children[0]->offset = 0, cols[n].children[0]->length = ROWS + PRE;
  strings(cols[n].children[1], sv, ROWS, PRE);
  cols[n].children[1]->offset = 0, cols[n].children[1]->length = ROWS + PRE;
  n++;
  /* dictionary<int8 → string> */
  fs[n] = mkf(LC_T_DICT, "k");
  fs[n]->dict_key = LC_T_INT8;
  fs[n]->dict_value = mkf(LC_T_STRING, "value");
  fs[n]->dict_value->parent = fs[n];
  int8_t idx[ROWS] = {0, 1, 2, 0, 1};
  prim(&cols[n], idx, 1, 0x1B);
  struct ArrowArray dv;
  const char *dvals[3] = {"red", NULL, "blue"};
  strings(&dv, dvals, 3, 0);
  uint8_t *dvv = lc_calloc(1, 1);
  dvv[0] = 0x5;
  lc_array_set_buffer(&dv, 0, dvv);
  dv.null_count = 1;
  lc_array_set_dictionary(&cols[n++], &dv);
  /* list<int32> */
  fs[n] = mkf(LC_T_LIST, "l");
  add_child(fs[n], mkf(LC_T_INT32, "item"));
  lc_array_init(&cols[n], 2, 1);
  cols[n].length = ROWS, cols[n].offset = PRE;
  int32_t *lo = lc_calloc(ROWS + PRE + 1, 4);
  for (int i = 0; i <= ROWS + PRE; i++) lo[i] = i > PRE ? i - PRE : 0;
  lc_array_set_buffer(&cols[n], 1, lo);
  validity(&cols[n], 0x15);
  int32_t items[ROWS + PRE] = {1, 2, 3, 4, 5, 6, 7};
  lc_array_init(cols[n].children[0], 2, 0);
  cols[n].children[0]->length = ROWS;
  int32_t *it = lc_malloc(sizeof items);
  memcpy(it, items, sizeof items);
  lc_array_set_buffer(cols[n].children[0], 1, it);
  n++;
  uint64_t rid[ROWS] = {10, 11, 12, 13, 14};
  lc_field *rf = mkf(LC_T_UINT64, "_rowid");
  prim(&cols[n], rid, 8, 0x1F);
  int ncols = n + 1;
  s->fields = lc_calloc((size_t)n, sizeof(lc_field *));
  for (int i = 0; i < n; i++) s->fields[i] = fs[i];
  s->n_fields = (size_t)n;
  g_fields = lc_calloc((size_t)ncols, sizeof(lc_field *));
  for (int i = 0; i < n; i++) g_fields[i] = fs[i];
  g_fields[n] = rf;
  g_nfields = (size_t)ncols;
  lc_array_make_batch(cols, (size_t)ncols, ROWS, &g_batch, NULL);
  g_schema = s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  if (size > 4096) return 0;
  char *sql = lc_malloc(size + 1);
  if (!sql) return 0;
  memcpy(sql, data, size);
  sql[size] = 0;
  lancec_error err;
  lc_expr *e = NULL;
  if (lc_expr_parse(&e, sql, g_schema, &err) == 0) {
    uint8_t keep[1];
    (void)lc_expr_eval(e, (const lc_field *const *)g_fields, g_nfields, &g_batch, keep, &err);
    for (size_t i = 0; i < lc_expr_num_columns(e); i++) (void)lc_expr_column(e, i);
    char *txt = lc_expr_to_string(e);
    if (txt) {
      lc_expr *e2 = NULL;
      if (lc_expr_parse(&e2, txt, g_schema, &err) == 0) {
        uint8_t keep2[1];
        (void)lc_expr_eval(e2, (const lc_field *const *)g_fields, g_nfields, &g_batch, keep2, &err);
      }
      lc_expr_free(e2);
      lc_free(txt);
    }
    lc_expr *c = lc_expr_clone(e);
    if (c && lc_expr_bind(c, g_schema, &err) == 0) {
      uint8_t keep3[1];
      (void)lc_expr_eval(c, (const lc_field *const *)g_fields, g_nfields, &g_batch, keep3, &err);
    }
    lc_expr_free(c);
  }
  lc_expr_free(e);
  /* also unbound parse (no schema) */
  if (lc_expr_parse(&e, sql, NULL, &err) == 0) {
    char *txt = lc_expr_to_string(e);
    lc_free(txt);
    lc_expr_free(e);
  }
  lc_free(sql);
  return 0;
}
