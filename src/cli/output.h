/* Row output for the CLI: JSON lines, CSV, an aligned text table, or an
 * Arrow IPC stream. Works from any Arrow C schema (format strings), so it
 * can print any ArrowArrayStream.
 *
 *   lc_output *o;
 *   lc_output_new(&o, "jsonl", stdout, &schema, &err);   // schema: "+s", one child per column
 *   lc_output_write_batch(o, &batch, &err);              // batch: struct array, one child per column
 *   lc_output_finish(o, &err);                           // flushes (table prints here; arrow writes EOS)
 *   lc_output_free(o);
 *
 * The writer copies what it needs from the schema (it may be released
 * after lc_output_new) and never keeps a batch after write_batch returns.
 * Output is buffered in large chunks; errors writing the FILE are
 * LANCEC_EIO. Formats:
 *  - "jsonl": one JSON object per row, keys = column names in schema order,
 *    following shared/corpus/README.md "JSON conventions". Strings: valid
 *    UTF-8 is copied (escaping '"', '\\' and control characters; U+007F is
 *    kept); each byte of an invalid UTF-8 sequence becomes U+FFFD; a
 *    leading U+FEFF is kept (values are printed as stored).
 *  - "csv": header of column names, RFC 4180 quoting (fields containing
 *    ',', '"', CR or LF are quoted), nulls empty, strings raw, nested and
 *    other values as their JSON text (unquoted scalars).
 *  - "table": aligned text; the first 1000 rows set column widths (cells
 *    cut to 32 characters with "…"), later rows reuse them.
 *  - "arrow": Arrow IPC stream (see arrow/ipc.h).                       */
#ifndef LC_CLI_OUTPUT_H
#define LC_CLI_OUTPUT_H

#include <stdio.h>

#include "common/common.h"
#include "schema/schema.h"

typedef struct lc_output lc_output;

/* format: "jsonl" | "csv" | "table" | "arrow". LANCEC_EINVAL for an unknown
 * format, LANCEC_EUNSUPPORTED for an Arrow type that cannot be printed. */
int lc_output_new(lc_output **out, const char *format, FILE *fp, const struct ArrowSchema *schema,
                  lancec_error *err);
int lc_output_write_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err);
int lc_output_finish(lc_output *o, lancec_error *err);
void lc_output_free(lc_output *o); /* accepts NULL */

/* ---- shared by the formats (internal) ------------------------------------ */

/* Append the JSON text of row `row` (logical, offset not yet applied) of
 * array `a` of type `f`. */
int lc_json_append_value(lc_buf *b, const lc_field *f, const struct ArrowArray *a, int64_t row);
/* Append a JSON string literal of bytes s[0..n) (quotes included). */
int lc_json_append_string(lc_buf *b, const uint8_t *s, size_t n);
/* Whether row `row` (logical) of `a` is null (null type: always). */
bool lc_output_is_null(const lc_field *f, const struct ArrowArray *a, int64_t row);

/* Text of one cell as csv/table show it (no CSV quoting): raw bytes for
 * strings, JSON text for others with scalar JSON-string quotes removed;
 * dictionaries decoded. *is_null set for nulls (cell left empty). */
int lc_csv_cell(lc_buf *cell, const lc_field *f, const struct ArrowArray *a, int64_t row, bool *is_null);

/* Per-format vtables (implemented in output_<fmt>.c). */
typedef struct lc_output_ops {
  int (*begin)(lc_output *o, const struct ArrowSchema *schema, lancec_error *err);
  int (*batch)(lc_output *o, const struct ArrowArray *batch, lancec_error *err);
  int (*finish)(lc_output *o, lancec_error *err);
  void (*free_state)(lc_output *o);
} lc_output_ops;

struct lc_output {
  const lc_output_ops *ops;
  FILE *fp;
  lc_field *root;      /* struct field: one child per column */
  lc_buf buf;          /* pending output bytes */
  void *state;         /* format-specific */
  bool finished;
};

extern const lc_output_ops lc_output_jsonl_ops;
extern const lc_output_ops lc_output_csv_ops;
extern const lc_output_ops lc_output_table_ops;
extern const lc_output_ops lc_output_arrow_ops;

/* Write o->buf to the FILE when it holds at least `min` bytes (0: always). */
int lc_output_flush(lc_output *o, size_t min, lancec_error *err);

#endif
