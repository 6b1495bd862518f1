/* CLI input readers: --schema parsing, format detection, CSV (RFC 4180,
 * inference, schema mapping, errors with line numbers), JSON Lines
 * (inference of nested types, errors) and Arrow IPC stream / file input.
 * Rows are checked through the jsonl output writer. */
#include <stdio.h>

#include "testutil.h"

#include "arrow/ipc.h"
#include "cli/input.h"
#include "cli/output.h"

/* Open text `data` as input (through a FILE, as stdin would be). */
static int open_text(struct ArrowArrayStream *s, const char *name, const void *data, size_t len,
                     const lc_input_options *o, lancec_error *err) {
  FILE *fp = fmemopen((void *)data, len, "rb");
  assert_non_null(fp);
  return lc_input_open_file(s, fp, true, name, o, err);
}

/* Drain the stream: schema type string into *schema (caller frees), rows as JSON lines (returned), batch count. */
static char *drain(struct ArrowArrayStream *s, char **schema, int *nbatches, char *errbuf, size_t errcap) {
  struct ArrowSchema sc;
  assert_int_equal(s->get_schema(s, &sc), 0);
  lc_field *root = NULL;
  lancec_error err;
  assert_ok(lc_ipc_field_from_arrow(&root, &sc, &err), &err);
  char t[2048];
  if (schema) *schema = lc_strdup(lc_field_type_string(root, t, sizeof t));
  char *text = NULL;
  size_t tlen = 0;
  FILE *mf = open_memstream(&text, &tlen);
  lc_output *o = NULL;
  assert_ok(lc_output_new(&o, "jsonl", mf, &sc, &err), &err);
  int nb = 0;
  if (errbuf) errbuf[0] = 0;
  for (;;) {
    struct ArrowArray b;
    int rc = s->get_next(s, &b);
    if (rc) {
      assert_non_null(errbuf);
      snprintf(errbuf, errcap, "%s", s->get_last_error(s));
      break;
    }
    if (!b.release) break;
    assert_ok(lc_array_validate(root, &b, &err), &err);
    nb++;
    assert_ok(lc_output_write_batch(o, &b, &err), &err);
    b.release(&b);
  }
  assert_ok(lc_output_finish(o, &err), &err);
  lc_output_free(o);
  fclose(mf);
  sc.release(&sc);
  lc_ipc_field_free(root);
  s->release(s);
  if (nbatches) *nbatches = nb;
  char *r = lc_strdup(text ? text : "");
  free(text);
  return r;
}

static void check_text(const char *name, const char *data, const lc_input_options *o, const char *want_schema,
                       const char *want_rows) {
  struct ArrowArrayStream s;
  lancec_error err;
  assert_ok(open_text(&s, name, data, strlen(data), o, &err), &err);
  char *schema;
  char *rows = drain(&s, &schema, NULL, NULL, 0);
  if (want_schema) assert_string_equal(schema, want_schema);
  assert_string_equal(rows, want_rows);
  lc_free(schema);
  lc_free(rows);
}

/* Expect an error at open or while reading, containing `needle`. */
static void check_error(const char *name, const char *data, const lc_input_options *o, const char *needle) {
  struct ArrowArrayStream s;
  lancec_error err;
  memset(&err, 0, sizeof err);
  char msg[2048] = "";
  if (open_text(&s, name, data, strlen(data), o, &err) != 0) {
    snprintf(msg, sizeof msg, "%s", err.message);
  } else {
    char *rows = drain(&s, NULL, NULL, msg, sizeof msg);
    lc_free(rows);
  }
  if (!strstr(msg, needle)) fail_msg("error '%s' lacks '%s'", msg, needle);
}

/* ---- --schema -------------------------------------------------------------------- */

static void schema_is(const char *text, const char *want) {
  lc_field *f;
  lancec_error err;
  assert_ok(lc_input_schema_parse(&f, text, &err), &err);
  char t[2048], line[4096] = "";
  lc_field_type_string(f, t, sizeof t);
  snprintf(line, sizeof line, "%s", t);
  for (size_t i = 0; i < f->n_children; i++)
    if (!f->children[i]->nullable) strncat(line, " !", sizeof line - strlen(line) - 1);
  assert_string_equal(line, want);
  lc_ipc_field_free(f);
}

static void schema_err(const char *text, const char *needle) {
  lc_field *f = NULL;
  lancec_error err;
  assert_int_equal(lc_input_schema_parse(&f, text, &err), LANCEC_EINVAL);
  assert_null(f);
  if (!strstr(err.message, needle)) fail_msg("error '%s' lacks '%s'", err.message, needle);
}

static void test_schema_parse(void **state) {
  schema_is("a:int, b:bigint, c:double, d:float, e:string",
            "struct<a: int32, b: int64, c: double, d: float, e: string>");
  schema_is("id:int64 not null,name:string!", "struct<id: int64, name: string> ! !");
  schema_is("t:timestamp, u:timestamp[ms], v:timestamp[ns, UTC], w:date32, x:date64",
            "struct<t: timestamp[us], u: timestamp[ms], v: timestamp[ns, tz=UTC], w: date32, x: date64>");
  schema_is("m:decimal(10,2), n:decimal(50, 3), f:fixed_size_binary(16), h:float16, u:uint16, b:bool",
            "struct<m: decimal128(10, 2), n: decimal256(50, 3), f: fixed_size_binary[16], h: halffloat, u: uint16, b: bool>");
  schema_is("v:fixed_size_list<float32, 3>, tags:list<string!>, p:struct<x:double, y:large_list<int8>>",
            "struct<v: fixed_size_list<float>[3], tags: list<string>, p: struct<x: double, y: large_list<int8>>>");
  lc_field *f;
  lancec_error err;
  assert_ok(lc_input_schema_parse(&f, "tags:list<string not null> not null", &err), &err);
  assert_false(f->children[0]->nullable);
  assert_false(f->children[0]->children[0]->nullable);
  lc_ipc_field_free(f);
  schema_err("a:int32, b:integer", "unknown type 'integer' at position 12");
  schema_err("a:list<strin>", "unknown type 'strin' at position 8");
  schema_err("a int32", "expected ':' after the column name");
  schema_err("a:int32, b", "expected ':' after the column name at the end");
  schema_err("a:int32,,b:int8", "expected a column name at position 9");
  schema_err("a:decimal(10)", "expected ','");
  schema_err("a:timestamp[xs]", "expected a time unit");
  schema_err("a:int32 b:int8", "expected ',' or the end of the schema at position 9");
  schema_err("a:int32, a:int8", "duplicate column 'a'");
  schema_err("", "empty schema");
}

static void test_detection(void **state) {
  assert_int_equal(lc_input_format_from_path("x/a.CSV"), LC_INPUT_CSV);
  assert_int_equal(lc_input_format_from_path("a.ndjson"), LC_INPUT_JSONL);
  assert_int_equal(lc_input_format_from_path("a.json"), LC_INPUT_JSONL);
  assert_int_equal(lc_input_format_from_path("a.feather"), LC_INPUT_ARROW);
  assert_int_equal(lc_input_format_from_path("a.arrows"), LC_INPUT_ARROW);
  assert_int_equal(lc_input_format_from_path("dir.csv/data"), LC_INPUT_AUTO);
  assert_int_equal(lc_input_format_from_path("-"), LC_INPUT_AUTO);
  assert_int_equal(lc_input_format_sniff((const uint8_t *)"ARROW1\0\0", 8), LC_INPUT_ARROW);
  assert_int_equal(lc_input_format_sniff((const uint8_t *)"\xff\xff\xff\xff\x10\0\0\0", 8), LC_INPUT_ARROW);
  assert_int_equal(lc_input_format_sniff((const uint8_t *)"  \n{\"a\":1}", 10), LC_INPUT_JSONL);
  assert_int_equal(lc_input_format_sniff((const uint8_t *)"a,b\n1,2\n", 8), LC_INPUT_CSV);
  lc_input_format f;
  lancec_error err;
  assert_ok(lc_input_format_parse("jsonl", &f, &err), &err);
  assert_int_equal(f, LC_INPUT_JSONL);
  assert_int_equal(lc_input_format_parse("parquet", &f, &err), LANCEC_EINVAL);
  assert_non_null(strstr(err.message, "csv, jsonl or arrow"));
  /* sniffed from the content (no extension) */
  check_text("<stdin>", "{\"a\": 1}\n", NULL, "struct<a: int64>", "{\"a\":\"1\"}\n");
  check_text("<stdin>", "a\n1\n", NULL, "struct<a: int64>", "{\"a\":\"1\"}\n");
}

/* ---- CSV -------------------------------------------------------------------------- */

static void test_csv_inference(void **state) {
  check_text("t.csv",
             "i,d,b,dt,ts,s,e\n"
             "1,1.5,true,2024-01-02,2024-01-02T03:04:05Z,x,\n"
             "-7,2,FALSE,1970-01-01,2024-01-02 03:04:05.5+01:00,12,\n"
             ",,,,,,\n",
             NULL, "struct<i: int64, d: double, b: bool, dt: date32, ts: timestamp[us, tz=UTC], s: string, e: string>",
             /* (the jsonl writer prints int64 as strings, dates as days, timestamps as their integer) */
             "{\"i\":\"1\",\"d\":1.5,\"b\":true,\"dt\":19724,\"ts\":\"1704164645000000\",\"s\":\"x\",\"e\":null}\n"
             "{\"i\":\"-7\",\"d\":2,\"b\":false,\"dt\":0,\"ts\":\"1704161045500000\",\"s\":\"12\",\"e\":null}\n"
             "{\"i\":null,\"d\":null,\"b\":null,\"dt\":null,\"ts\":null,\"s\":null,\"e\":null}\n");
  /* dates mixed with timestamps -> timestamp (no zone); ints mixed with text -> string */
  check_text("t.csv", "a,b\n2024-01-01,1\n2024-01-01T10:00:00,x\n", NULL, "struct<a: timestamp[us], b: string>",
             "{\"a\":\"1704067200000000\",\"b\":\"1\"}\n{\"a\":\"1704103200000000\",\"b\":\"x\"}\n");
}

static void test_csv_quoting(void **state) {
  /* quoted commas, doubled quotes, an embedded CRLF newline, CRLF line ends, a BOM, blank lines */
  check_text("q.csv",
             "\xEF\xBB\xBF" "name,note\r\n"
             "\"Smith, J\",\"say \"\"hi\"\"\"\r\n"
             "\r\n"
             "x,\"two\r\nlines\"\r\n"
             "y,\"\"\n"
             "z,",
             NULL, "struct<name: string, note: string>",
             "{\"name\":\"Smith, J\",\"note\":\"say \\\"hi\\\"\"}\n"
             "{\"name\":\"x\",\"note\":\"two\\r\\nlines\"}\n"
             "{\"name\":\"y\",\"note\":\"\"}\n"
             "{\"name\":\"z\",\"note\":null}\n");
  /* header only: no rows */
  check_text("h.csv", "a,b\n", NULL, "struct<a: string, b: string>", "");
}

static void test_csv_errors(void **state) {
  /* line numbers count physical lines, embedded newlines included */
  check_error("input.csv", "a,b,c,d\n1,2,3,4\n\"x\ny\",2,3,4\n1,2,3\n", NULL, "input.csv: line 5: expected 4 fields, got 3");
  check_error("input.csv", "a,b\n1,\"open\n", NULL, "input.csv: line 2: unterminated quoted field");
  check_error("input.csv", "a,b\n1,\"x\"y\n", NULL, "input.csv: line 2: unexpected character 'y' after a closing quote");
  check_error("input.csv", "", NULL, "input.csv: empty input");
  check_error("input.csv", "a,a\n1,2\n", NULL, "duplicate column 'a'");
  /* inferred from the first rows, then a value that does not parse */
  lc_input_options o = LC_INPUT_OPTIONS_INIT;
  o.infer_rows = 2;
  check_error("input.csv", "a\n1\n2\n3\nfoo\n", &o, "input.csv: line 5: column 'a': cannot parse 'foo' as int64");
  /* explicit schema */
  o.infer_rows = 0;
  o.schema = "a:int8 not null, b:string";
  check_error("input.csv", "a,b\n1,x\n,y\n", &o, "input.csv: line 3: column 'a' is not nullable but the value is null");
  check_error("input.csv", "a,b\n1,x\n300,y\n", &o, "input.csv: line 3: column 'a': value 300 does not fit int8");
  check_error("input.csv", "a,b,c\n1,x,2\n", &o, "input.csv: column 'c' is not in the schema");
  check_error("input.csv", "b\nx\n", &o, "input.csv: column 'a' is missing from the input and not nullable");
  o.schema = "a:intt";
  check_error("input.csv", "a\n1\n", &o, "unknown type 'intt' at position 3");
}

static void test_csv_schema(void **state) {
  lc_input_options o = LC_INPUT_OPTIONS_INIT;
  /* header order differs from the schema; a nullable schema column is missing; nested cells are JSON */
  o.schema = "id:int32!, tags:list<string>, score:decimal(6,2), when:timestamp[ms], p:struct<x:int8>, extra:double, "
             "flag:bool, d:date64";
  check_text("s.csv",
             "when,tags,id,score,p,flag,d\n"
             "2024-05-06T07:08:09.123Z,\"[\"\"a\"\",\"\"b\"\"]\",1,12.5,\"{\"\"x\"\":3}\",1,2024-01-01\n"
             "1000,,2,-0.01,,false,\n",
             &o,
             "struct<id: int32, tags: list<string>, score: decimal128(6, 2), when: timestamp[ms], p: struct<x: int8>, "
             "extra: double, flag: bool, d: date64>",
             "{\"id\":1,\"tags\":[\"a\",\"b\"],\"score\":\"12.50\",\"when\":\"1714979289123\",\"p\":{\"x\":3},"
             "\"extra\":null,\"flag\":true,\"d\":\"1704067200000\"}\n"
             "{\"id\":2,\"tags\":null,\"score\":\"-0.01\",\"when\":\"1000\",\"p\":null,\"extra\":null,"
             "\"flag\":false,\"d\":null}\n");
  o.schema = "score:decimal(6,2)";
  check_error("s.csv", "score\n1.234\n", &o, "line 2: column 'score': '1.234' is not a number that fits decimal128(6, 2)");
  /* batches of batch_rows rows */
  o.schema = NULL;
  o.batch_rows = 2;
  const char *data = "a\n1\n2\n3\n4\n5\n";
  struct ArrowArrayStream s;
  lancec_error err;
  assert_ok(open_text(&s, "b.csv", data, strlen(data), &o, &err), &err);
  int nb;
  char *rows = drain(&s, NULL, &nb, NULL, 0);
  assert_int_equal(nb, 3);
  assert_string_equal(rows, "{\"a\":\"1\"}\n{\"a\":\"2\"}\n{\"a\":\"3\"}\n{\"a\":\"4\"}\n{\"a\":\"5\"}\n");
  lc_free(rows);
}

static void test_csv_large(void **state) {
  /* more rows than one read chunk and one batch; inference sees only the first rows */
  lc_buf b = {0};
  lc_buf_append(&b, "n,s\n", 4);
  for (int i = 0; i < 150000; i++) {
    char line[64];
    int k = snprintf(line, sizeof line, "%d,\"v%d\"\n", i, i % 7);
    lc_buf_append(&b, line, (size_t)k);
  }
  struct ArrowArrayStream s;
  lancec_error err;
  assert_ok(open_text(&s, "big.csv", b.data, b.len, NULL, &err), &err);
  int64_t total = 0, sum = 0;
  int nb = 0;
  for (;;) {
    struct ArrowArray a;
    assert_int_equal(s.get_next(&s, &a), 0);
    if (!a.release) break;
    nb++;
    const int64_t *v = a.children[0]->buffers[1];
    for (int64_t i = 0; i < a.length; i++) sum += v[i];
    total += a.length;
    a.release(&a);
  }
  s.release(&s);
  assert_int_equal(total, 150000);
  assert_int_equal(nb, 3);
  assert_int_equal(sum, (int64_t)149999 * 150000 / 2);
  lc_buf_free(&b);
}

/* ---- JSON Lines ---------------------------------------------------------------------- */

static void test_jsonl(void **state) {
  check_text("x.jsonl",
             "{\"a\": 1, \"b\": \"x\", \"c\": [1, 2], \"d\": {\"p\": true}}\n"
             "\n"
             "{\"a\": 2.5, \"c\": [], \"d\": {\"q\": [1.5]}, \"e\": null}\n"
             "{\"a\": null, \"b\": 3, \"c\": null, \"d\": null, \"f\": {\"k\": 1}}\n",
             NULL, "struct<a: double, b: string, c: list<int64>, d: struct<p: bool, q: list<double>>, e: string, f: struct<k: int64>>",
             "{\"a\":1,\"b\":\"x\",\"c\":[\"1\",\"2\"],\"d\":{\"p\":true,\"q\":null},\"e\":null,\"f\":null}\n"
             "{\"a\":2.5,\"b\":null,\"c\":[],\"d\":{\"p\":null,\"q\":[1.5]},\"e\":null,\"f\":null}\n"
             "{\"a\":null,\"b\":\"3\",\"c\":null,\"d\":null,\"e\":null,\"f\":{\"k\":\"1\"}}\n");
  /* mixed nested/scalar -> string with JSON text */
  check_text("x.jsonl", "{\"v\": [1]}\n{\"v\": 2}\n", NULL, "struct<v: string>", "{\"v\":\"[1]\"}\n{\"v\":\"2\"}\n");
  lc_input_options o = LC_INPUT_OPTIONS_INIT;
  o.infer_rows = 1;
  check_error("x.jsonl", "{\"a\": 1}\n{\"a\": 2, \"z\": 1}\n", &o,
              "x.jsonl: line 2: key 'z' is not in the schema (inferred from the first 1 lines");
  check_error("x.jsonl", "{\"a\": 1}\n{\"a\": 2.5}\n", &o, "x.jsonl: line 2: column 'a': cannot parse '2.5' as int64");
  check_error("x.jsonl", "{\"a\": 1}\n{\"a\": \n", NULL, "x.jsonl: line 2: invalid JSON");
  check_error("x.jsonl", "{\"a\": 1}\n[1]\n", NULL, "x.jsonl: line 2: expected a JSON object");
  o.infer_rows = 0;
  o.schema = "a:int16!, s:struct<x:string!>, l:fixed_size_list<int8,2>";
  check_text("x.jsonl", "{\"a\": 1, \"s\": {\"x\": \"q\"}, \"l\": [1, 2]}\n{\"a\": \"7\"}\n", &o, NULL,
             "{\"a\":1,\"s\":{\"x\":\"q\"},\"l\":[1,2]}\n{\"a\":7,\"s\":null,\"l\":null}\n");
  check_error("x.jsonl", "{\"a\": 1}\n{\"s\": {}}\n", &o, "x.jsonl: line 2: column 'a' is not nullable but the value is null");
  check_error("x.jsonl", "{\"a\": 1, \"s\": {\"x\": null}}\n", &o, "line 1: column 's.x' is not nullable but the value is null");
  check_error("x.jsonl", "{\"a\": 1, \"l\": [1]}\n", &o, "line 1: column 'l': 1 items for fixed_size_list of 2");
  check_error("x.jsonl", "{\"a\": [1]}\n", &o, "line 1: column 'a': cannot convert a JSON array (list) to int16");
  check_error("x.jsonl", "{\"a\": true}\n", &o, "line 1: column 'a': cannot convert a JSON true to int16");
}

/* ---- Arrow ---------------------------------------------------------------------------- */

static void make_ipc(uint8_t **out, size_t *len) {
  lc_field *root;
  lancec_error err;
  assert_ok(lc_input_schema_parse(&root, "x:int32, s:string", &err), &err);
  struct ArrowSchema sc;
  assert_ok(lc_ipc_field_to_arrow(root, &sc, &err), &err);
  const char *data = "x,s\n1,a\n2,b\n";
  struct ArrowArrayStream s;
  lc_input_options o = LC_INPUT_OPTIONS_INIT;
  o.schema = "x:int32, s:string";
  assert_ok(open_text(&s, "m.csv", data, strlen(data), &o, &err), &err);
  struct ArrowArray b;
  assert_int_equal(s.get_next(&s, &b), 0);
  const struct ArrowArray *bs[1] = {&b};
  assert_ok(lc_ipc_write_stream_mem(out, len, &sc, bs, 1, &err), &err);
  b.release(&b);
  s.release(&s);
  sc.release(&sc);
  lc_ipc_field_free(root);
}

static void test_arrow(void **state) {
  uint8_t *ipc;
  size_t n;
  make_ipc(&ipc, &n);
  struct ArrowArrayStream s;
  lancec_error err;
  /* stream, sniffed */
  assert_ok(open_text(&s, "<stdin>", ipc, n, NULL, &err), &err);
  char *schema;
  char *rows = drain(&s, &schema, NULL, NULL, 0);
  assert_string_equal(schema, "struct<x: int32, s: string>");
  assert_string_equal(rows, "{\"x\":1,\"s\":\"a\"}\n{\"x\":2,\"s\":\"b\"}\n");
  lc_free(schema), lc_free(rows);
  /* file format: magic, the stream, a footer, its length, magic */
  lc_buf f = {0};
  lc_buf_append(&f, "ARROW1\0\0", 8);
  lc_buf_append(&f, ipc, n);
  lc_buf_append(&f, "FOOTER..", 8);
  int32_t fl = 8;
  lc_buf_append(&f, &fl, 4);
  lc_buf_append(&f, "ARROW1", 6);
  assert_ok(open_text(&s, "d.arrow", f.data, f.len, NULL, &err), &err);
  rows = drain(&s, NULL, NULL, NULL, 0);
  assert_string_equal(rows, "{\"x\":1,\"s\":\"a\"}\n{\"x\":2,\"s\":\"b\"}\n");
  lc_free(rows);
  /* truncated file */
  check_error("d.arrow", "ARROW1\0\0", NULL, "d.arrow: Arrow IPC file without its trailing ARROW1 magic");
  assert_int_not_equal(open_text(&s, "t.arrow", f.data, f.len - 1, NULL, &err), 0);
  assert_non_null(strstr(err.message, "t.arrow"));
  /* garbage named arrow */
  lc_input_options o = LC_INPUT_OPTIONS_INIT;
  o.format = LC_INPUT_ARROW;
  assert_int_not_equal(open_text(&s, "<stdin>", "a,b\n1,2\n", 8, &o, &err), 0);
  assert_non_null(strstr(err.message, "<stdin>: "));
  lc_buf_free(&f);
  lc_free(ipc);
}

/* An Arrow IPC file as Arrow JS 14 writes it (tableToIPC(table, "file"), one
 * int32 column "id" = 7, 8, 9): its embedded stream has no Schema message,
 * the schema is only in the footer. */
static const char js_file[] =
    "\x41\x52\x52\x4f\x57\x31\x00\x00\xff\xff\xff\xff\x88\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00"
    "\x0c\x00\x16\x00\x14\x00\x0f\x00\x10\x00\x04\x00\x0c\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x03\x10\x00\x00\x00\x04\x00\x0a\x00\x18\x00\x0c\x00\x08\x00\x04\x00\x0a\x00\x00\x00"
    "\x14\x00\x00\x00\x38\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x08\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00"
    "\xff\xff\xff\xff\x00\x00\x00\x00\x10\x00\x00\x00\x0c\x00\x14\x00\x0e\x00\x10\x00\x04\x00\x08\x00"
    "\x0c\x00\x00\x00\x10\x00\x00\x00\x14\x00\x00\x00\x00\x00\x04\x00\x34\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x90\x00\x00\x00\x00\x00\x00\x00"
    "\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x08\x00\x00\x00\x04\x00\x08\x00\x00\x00"
    "\x04\x00\x00\x00\x01\x00\x00\x00\x14\x00\x00\x00\x10\x00\x14\x00\x04\x00\x00\x00\x0f\x00\x10\x00"
    "\x00\x00\x08\x00\x10\x00\x00\x00\x10\x00\x00\x00\x14\x00\x00\x00\x00\x00\x00\x02\x18\x00\x00\x00"
    "\x02\x00\x00\x00\x69\x64\x00\x00\x00\x00\x00\x00\x08\x00\x0c\x00\x08\x00\x07\x00\x08\x00\x00\x00"
    "\x00\x00\x00\x01\x20\x00\x00\x00\xa8\x00\x00\x00\x41\x52\x52\x4f\x57\x31";

static void test_arrow_file_footer_schema(void **state) {
  size_t n = sizeof js_file - 1;
  lc_ipc_reader *r = NULL;
  lancec_error err;
  /* the embedded stream alone does not start with a schema */
  int32_t flen;
  memcpy(&flen, js_file + n - 10, 4);
  assert_int_equal(lc_ipc_reader_new_mem(&r, (const uint8_t *)js_file + 8, n - 18 - (size_t)flen, &err), LANCEC_ECORRUPT);
  struct ArrowArrayStream s;
  assert_ok(open_text(&s, "js.arrow", js_file, n, NULL, &err), &err);
  char *schema;
  char *rows = drain(&s, &schema, NULL, NULL, 0);
  assert_string_equal(schema, "struct<id: int32>");
  assert_string_equal(rows, "{\"id\":7}\n{\"id\":8}\n{\"id\":9}\n");
  lc_free(schema), lc_free(rows);
}

static void test_open_path(void **state) {
  char *dir = tu_tempdir();
  char *p = lc_sprintf("%s/in.jsonl", dir);
  FILE *fp = fopen(p, "wb");
  fputs("{\"k\": \"v\"}\n", fp);
  fclose(fp);
  struct ArrowArrayStream s;
  lancec_error err;
  assert_ok(lc_input_open(&s, p, NULL, &err), &err);
  char *rows = drain(&s, NULL, NULL, NULL, 0);
  assert_string_equal(rows, "{\"k\":\"v\"}\n");
  lc_free(rows);
  char *q = lc_sprintf("%s/missing.csv", dir);
  assert_int_equal(lc_input_open(&s, q, NULL, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "missing.csv"));
  lc_free(q);
  lc_free(p);
  tu_rmtree(dir);
  lc_free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema_parse), cmocka_unit_test(test_detection),  cmocka_unit_test(test_csv_inference),
      cmocka_unit_test(test_csv_quoting),  cmocka_unit_test(test_csv_errors), cmocka_unit_test(test_csv_schema),
      cmocka_unit_test(test_csv_large),    cmocka_unit_test(test_jsonl),      cmocka_unit_test(test_arrow),
      cmocka_unit_test(test_arrow_file_footer_schema), cmocka_unit_test(test_open_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
