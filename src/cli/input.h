/* Input readers for `lancec write`: CSV, JSON Lines and Arrow IPC (stream or
 * file), each turned into an ArrowArrayStream of struct batches (one child
 * per column, ~64K rows each). Inputs are read sequentially from a FILE
 * (stdin included: nothing seeks; the first bytes are buffered for format
 * detection and the first rows for type inference).
 *
 *   struct ArrowArrayStream s;
 *   lc_input_options o = LC_INPUT_OPTIONS_INIT;
 *   lc_input_open(&s, "data.csv", &o, &err);   // "-" = stdin
 *
 * Format: o.format, else the file extension (.csv; .jsonl .ndjson .json;
 * .arrow .arrows .ipc .feather), else the first bytes ("ARROW1" or a
 * 0xFFFFFFFF continuation marker: Arrow; '{' after optional BOM/whitespace:
 * JSON Lines; anything else: CSV).
 *
 * CSV (RFC 4180): a header row names the columns; fields may be quoted
 * ("a,b", embedded newlines, "" for a quote); CRLF or LF line ends; a
 * UTF-8 BOM and blank lines are skipped. An empty unquoted field is null
 * (a quoted empty field is the empty string in string columns). Without a
 * schema, column types are inferred from the first `infer_rows` rows, the
 * first that fits every value of the column among int64, double, bool
 * (true/false), date32 (YYYY-MM-DD), timestamp[us] (ISO 8601; zone "UTC"
 * when some value has a zone), else string. Nested types given by a schema
 * take their cell as JSON text. A row with the wrong number of fields:
 * "NAME: line 17: expected 4 fields, got 3".
 *
 * JSON Lines: one object per line (blank lines skipped). Without a schema,
 * the types are inferred from the first `infer_rows` lines: integers ->
 * int64, numbers -> double (int64 and double mix to double), booleans,
 * strings, arrays -> list<merged item type>, objects -> struct<merged
 * members>; incompatible mixes and all-null keys -> string (non-string
 * values are kept as their JSON text). Columns are ordered by first
 * appearance. A key not in the schema is an error; a missing key is null.
 *
 * With a schema (o.schema text or o.schema_field), CSV header names and
 * JSON keys are matched to schema columns by name; schema columns missing
 * from the input are null (an error when not nullable); batches follow the
 * schema's column order. Nullability is enforced while reading. Errors name
 * the input, the line and the column.
 *
 * Arrow: IPC stream (schema, dictionaries, batches) or IPC file ("ARROW1"
 * magic; read whole into memory, its embedded stream used); batches are
 * passed through as read.
 *
 * --schema syntax (lc_input_schema_parse): comma-separated `name:type`,
 * each optionally followed by `not null` or `!` (non-nullable):
 *   bool int8 int16 int32 int64 uint8 uint16 uint32 uint64
 *   float16 float32 float64      (aliases: int = int32, bigint = int64,
 *                                 float = float32, double = float64,
 *                                 boolean, half, smallint, tinyint, utf8)
 *   string large_string binary large_binary date32 date64 (date = date32)
 *   timestamp  timestamp[s|ms|us|ns]  timestamp[us,UTC]   (default us)
 *   time32[s|ms] time64[us|ns] duration[s|ms|us|ns]
 *   decimal(p,s) (decimal128 up to p = 38, else decimal256),
 *   decimal128(p,s) decimal256(p,s) fixed_size_binary(n)
 *   list<T> large_list<T> fixed_size_list<T,n> struct<a:T,b:T>
 * Nested item / member types take the same `!` / `not null` suffix, e.g.
 *   "id:int64 not null, tags:list<string!>, pos:struct<x:double,y:double>"
 * Unknown type names are an error naming the type and its position. */
#ifndef LC_CLI_INPUT_H
#define LC_CLI_INPUT_H

#include <stdio.h>

#include "arrow/arrow.h"
#include "common/common.h"
#include "schema/schema.h"

typedef enum lc_input_format {
  LC_INPUT_AUTO = 0,
  LC_INPUT_CSV,
  LC_INPUT_JSONL,
  LC_INPUT_ARROW
} lc_input_format;

typedef struct lc_input_options {
  lc_input_format format;        /* AUTO: detect */
  const char *schema;            /* --schema text, or NULL */
  const lc_field *schema_field;  /* or a struct field (borrowed; used when schema is NULL);
                                    ignored for Arrow input */
  int64_t batch_rows;            /* <= 0: 65536 */
  int64_t infer_rows;            /* <= 0: 1000 */
} lc_input_options;

#define LC_INPUT_OPTIONS_INIT {LC_INPUT_AUTO, NULL, NULL, 0, 0}

/* "csv" | "jsonl" (also "ndjson", "json") | "arrow" (also "ipc"); EINVAL otherwise. */
int lc_input_format_parse(const char *s, lc_input_format *out, lancec_error *err);
const char *lc_input_format_name(lc_input_format f);
/* By file extension (case-insensitive); AUTO when unknown. */
lc_input_format lc_input_format_from_path(const char *path);
/* By the first bytes (never AUTO). */
lc_input_format lc_input_format_sniff(const uint8_t *p, size_t n);

/* Parse --schema text into a struct field (one child per column). Free
 * with lc_ipc_field_free. Errors: LANCEC_EINVAL with the position. */
int lc_input_schema_parse(lc_field **out, const char *text, lancec_error *err);

/* Open `path` ("-": stdin) as a stream. Errors found while opening
 * (unreadable file, bad header, inference) are returned here; later ones
 * by get_next / get_last_error. */
int lc_input_open(struct ArrowArrayStream *out, const char *path, const lc_input_options *o, lancec_error *err);
/* Same from an open FILE; `name` is used in messages; the FILE is closed
 * when the stream is released if close_fp. On failure it is closed too
 * (when close_fp). */
int lc_input_open_file(struct ArrowArrayStream *out, FILE *fp, bool close_fp, const char *name,
                       const lc_input_options *o, lancec_error *err);

/* ---- internal: shared by the readers ------------------------------------------ */

/* A sequential byte source: buffered prefix bytes first, then the FILE. */
typedef struct lc_input_src {
  FILE *fp;
  bool close_fp;
  uint8_t *pre;
  size_t pre_len, pre_pos;
  char *name;
} lc_input_src;

/* Read up to n bytes (fewer only at the end); -1 on a read error. */
int64_t lc_input_src_read(lc_input_src *s, void *buf, size_t n);
void lc_input_src_close(lc_input_src *s);

/* Column builders (CSV / JSON values into Arrow arrays). `f` is an
 * output field (lc_input_output_field); the builder keeps a pointer. */
typedef struct lc_colb lc_colb;
int lc_colb_new(lc_colb **out, const lc_field *f, const char *path, lancec_error *err);
void lc_colb_free(lc_colb *b);
/* A null (error when the column is not nullable). */
int lc_colb_append_null(lc_colb *b, lancec_error *err);
/* A text cell (CSV): parsed per type; nested types take JSON text. */
int lc_colb_append_text(lc_colb *b, const char *s, size_t n, lancec_error *err);
/* A JSON value (jansson json_t*, passed as void* to keep jansson out of this header). */
int lc_colb_append_json(lc_colb *b, const void *json, lancec_error *err);
/* Move the rows built so far into `out` and start over. */
int lc_colb_finish(lc_colb *b, struct ArrowArray *out, lancec_error *err);
/* Finish builders b[0..n) into one struct batch of `rows` rows (the builders are reset). */
int lc_colb_finish_batch(lc_colb **b, size_t n, int64_t rows, struct ArrowArray *out, lancec_error *err);

/* The field the readers produce for a schema field: dictionaries become
 * their value type; other types are copied. Free with lc_ipc_field_free. */
lc_field *lc_input_output_field(const lc_field *f);
/* Whether the builders can produce this type. On false, names the type in err. */
bool lc_input_type_supported(const lc_field *f, lancec_error *err);

/* A generic batch stream over a "next batch" callback (used by CSV / JSONL). */
typedef struct lc_input_reader_vt {
  /* fill `out` with the next batch (out->release NULL at the end) */
  int (*next)(void *state, struct ArrowArray *out, lancec_error *err);
  void (*free)(void *state);
} lc_input_reader_vt;
/* Wraps `state` (owned) with schema `root` (struct field, owned). */
int lc_input_make_stream(struct ArrowArrayStream *out, const lc_input_reader_vt *vt, void *state, lc_field *root,
                         lancec_error *err);

/* Text scalar parsers shared with inference. */
bool lc_input_parse_i64(const char *s, size_t n, int64_t *out);
bool lc_input_parse_f64(const char *s, size_t n, double *out);
bool lc_input_parse_bool(const char *s, size_t n, bool *out);
bool lc_input_parse_date(const char *s, size_t n, int32_t *days);
/* ISO 8601 date-time (date alone too) to ns since the epoch; *has_zone set when a zone was given. */
bool lc_input_parse_timestamp(const char *s, size_t n, int64_t *ns, bool *has_zone);

int lc_input_csv_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                      const lc_field *schema, lancec_error *err);
int lc_input_jsonl_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                        const lc_field *schema, lancec_error *err);
int lc_input_arrow_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                        lancec_error *err);

#endif
