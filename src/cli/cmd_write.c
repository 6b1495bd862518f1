/* `lancec write` and `lancec delete`.
 *
 *   lancec write URI --input FILE|- [--input-format csv|jsonl|arrow]
 *                [--mode create|append|overwrite] [--schema SCHEMA]
 *                [--max-rows-per-file N] [--max-rows-per-group N]
 *                [--max-bytes-per-file N] [--data-storage-version 2.0|2.1|2.2]
 *                [--config k=v]...
 *   lancec delete URI --where FILTER
 *
 * Both print the result as `key: value` lines (version, num_fragments,
 * num_deleted_rows, num_small_files, num_rows). Errors: one line
 * "lancec: ..." on stderr, exit 1 (2 for usage errors).
 *
 * Input types: --schema (see cli/input.h for the syntax) types CSV / JSON
 * Lines input; for Arrow input it becomes the write's target schema. When
 * appending CSV / JSON Lines without --schema, the input is parsed with
 * the table's schema (so text like "007" stays a string in a string
 * column); otherwise types are inferred and the writer converts them.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/ipc.h"
#include "cli/input.h"
#include "lancec.h"

int lc_cli_cmd_write(int argc, char **argv);
int lc_cli_cmd_delete(int argc, char **argv);

static const char write_usage[] =
    "usage: lancec write URI --input FILE|- [options]\n"
    "  --input FILE|-               CSV, JSON Lines or Arrow IPC (stream or file); - = stdin\n"
    "  --input-format F             csv | jsonl | arrow (default: from the extension, else the content)\n"
    "  --mode M                     create (default; fails if the dataset exists) | append | overwrite\n"
    "  --schema S                   column types, e.g. 'id:int64 not null, name:string, v:list<float>'\n"
    "  --max-rows-per-file N        (default 1048576)\n"
    "  --max-rows-per-group N       (default 1024)\n"
    "  --max-bytes-per-file N       (default 90 GiB)\n"
    "  --data-storage-version V     2.0 | 2.1 | 2.2 (default 2.2, or the dataset's when appending\n"
    "                               or overwriting)\n"
    "  --config k=v                 recorded in the manifest config (repeatable)\n"
    "usage: lancec delete URI --where FILTER\n";

static int die_usage(const char *msg) {
  fprintf(stderr, "lancec: %s (see 'lancec --help')\n", msg);
  return 2;
}

static int die_err(const lancec_error *err) {
  fprintf(stderr, "lancec: %s\n", err->message[0] ? err->message : lancec_status_name(err->code));
  return 1;
}

static bool parse_i64(const char *s, int64_t *out) {
  if (!s || !*s || *s == '-') return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v <= 0) return false;
  *out = v;
  return true;
}

static void print_result(const lancec_write_result *r) {
  printf("version: %llu\n", (unsigned long long)r->version);
  printf("num_fragments: %llu\n", (unsigned long long)r->num_fragments);
  printf("num_deleted_rows: %llu\n", (unsigned long long)r->num_deleted_rows);
  printf("num_small_files: %llu\n", (unsigned long long)r->num_small_files);
  printf("num_rows: %llu\n", (unsigned long long)r->num_rows);
}

enum {
  O_INPUT = 256, O_FORMAT, O_MODE, O_SCHEMA, O_ROWS_FILE, O_ROWS_GROUP, O_BYTES_FILE, O_DSV, O_CONFIG, O_WHERE
};

/* The table schema of an existing dataset as an lc_field (NULL if there is none). */
static int table_field(const char *uri, lc_field **out, lancec_error *err) {
  *out = NULL;
  lancec_dataset *ds = NULL;
  int rc = lancec_dataset_open(&ds, uri, NULL, err);
  if (rc == LANCEC_ENOTFOUND) {
    memset(err, 0, sizeof(*err));
    return 0; /* lancec_write reports the missing dataset */
  }
  if (rc) return rc;
  struct ArrowSchema sc;
  rc = lancec_dataset_schema(ds, &sc, err);
  lancec_dataset_free(ds);
  if (rc) return rc;
  rc = lc_ipc_field_from_arrow(out, &sc, err);
  sc.release(&sc);
  return rc;
}

int lc_cli_cmd_write(int argc, char **argv) {
  static const struct option longopts[] = {
      {"input", required_argument, NULL, O_INPUT},
      {"input-format", required_argument, NULL, O_FORMAT},
      {"mode", required_argument, NULL, O_MODE},
      {"schema", required_argument, NULL, O_SCHEMA},
      {"max-rows-per-file", required_argument, NULL, O_ROWS_FILE},
      {"max-rows-per-group", required_argument, NULL, O_ROWS_GROUP},
      {"max-bytes-per-file", required_argument, NULL, O_BYTES_FILE},
      {"data-storage-version", required_argument, NULL, O_DSV},
      {"config", required_argument, NULL, O_CONFIG},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  lancec_write_options wo = LANCEC_WRITE_OPTIONS_INIT;
  lc_input_options io = LC_INPUT_OPTIONS_INIT;
  const char *input = NULL, *schema_text = NULL;
  size_t ncfg = 0;
  char **keys = lc_calloc((size_t)argc + 1, sizeof(char *));
  char **vals = lc_calloc((size_t)argc + 1, sizeof(char *));
  char msg[600];
  int status = 0;
  lc_field *schema_field = NULL, *table = NULL;
  struct ArrowSchema target;
  memset(&target, 0, sizeof target);
  struct ArrowArrayStream stream;
  memset(&stream, 0, sizeof stream);
  lancec_error err;
  memset(&err, 0, sizeof err);
  if (!keys || !vals) {
    fprintf(stderr, "lancec: out of memory\n");
    status = 1;
    goto out;
  }
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "hi:", longopts, NULL)) != -1) {
    switch (c) {
      case 'h':
        fputs(write_usage, stdout);
        goto out;
      case 'i':
      case O_INPUT: input = optarg; break;
      case O_FORMAT:
        if (lc_input_format_parse(optarg, &io.format, &err)) {
          status = die_usage(err.message);
          goto out;
        }
        break;
      case O_MODE:
        if (!strcmp(optarg, "create")) wo.mode = LANCEC_WRITE_CREATE;
        else if (!strcmp(optarg, "append")) wo.mode = LANCEC_WRITE_APPEND;
        else if (!strcmp(optarg, "overwrite")) wo.mode = LANCEC_WRITE_OVERWRITE;
        else {
          snprintf(msg, sizeof msg, "--mode must be create, append or overwrite (got '%s')", optarg);
          status = die_usage(msg);
          goto out;
        }
        break;
      case O_SCHEMA: schema_text = optarg; break;
      case O_ROWS_FILE:
      case O_ROWS_GROUP:
      case O_BYTES_FILE: {
        int64_t v;
        if (!parse_i64(optarg, &v)) {
          snprintf(msg, sizeof msg, "option '%s' needs a positive number, got '%s'", argv[optind - 1], optarg);
          status = die_usage(msg);
          goto out;
        }
        if (c == O_ROWS_FILE) wo.max_rows_per_file = v;
        else if (c == O_ROWS_GROUP) wo.max_rows_per_group = v;
        else wo.max_bytes_per_file = v;
        break;
      }
      case O_DSV:
        if (strcmp(optarg, "2.0") && strcmp(optarg, "2.1") && strcmp(optarg, "2.2")) {
          snprintf(msg, sizeof msg, "--data-storage-version must be 2.0, 2.1 or 2.2 (got '%s')", optarg);
          status = die_usage(msg);
          goto out;
        }
        wo.data_storage_version = optarg;
        break;
      case O_CONFIG: {
        const char *eq = strchr(optarg, '=');
        if (!eq || eq == optarg) {
          snprintf(msg, sizeof msg, "--config needs key=value, got '%s'", optarg);
          status = die_usage(msg);
          goto out;
        }
        keys[ncfg] = lc_strndup(optarg, (size_t)(eq - optarg));
        vals[ncfg] = lc_strdup(eq + 1);
        ncfg++;
        break;
      }
      default:
        snprintf(msg, sizeof msg, "unknown or incomplete option '%s'", argv[optind - 1]);
        status = die_usage(msg);
        goto out;
    }
  }
  if (optind >= argc) {
    status = die_usage("missing dataset URI");
    goto out;
  }
  if (optind + 1 < argc) {
    snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[optind + 1]);
    status = die_usage(msg);
    goto out;
  }
  const char *uri = argv[optind];
  if (!input) {
    status = die_usage("missing --input FILE (use - for stdin)");
    goto out;
  }
  if (schema_text) {
    /* check it before reading anything; also the target schema for Arrow input */
    if (lc_input_schema_parse(&schema_field, schema_text, &err)) {
      status = die_err(&err);
      goto out;
    }
    io.schema = schema_text;
  } else if (wo.mode == LANCEC_WRITE_APPEND) {
    if (table_field(uri, &table, &err)) {
      status = die_err(&err);
      goto out;
    }
    io.schema_field = table;
  }
  lc_input_format fmt = io.format != LC_INPUT_AUTO ? io.format : lc_input_format_from_path(input);
  if (schema_field && fmt == LC_INPUT_ARROW) {
    if (lc_ipc_field_to_arrow(schema_field, &target, &err)) {
      status = die_err(&err);
      goto out;
    }
    wo.schema = &target;
  }
  if (lc_input_open(&stream, input, &io, &err)) {
    status = die_err(&err);
    goto out;
  }
  wo.config_keys = (const char *const *)keys;
  wo.config_values = (const char *const *)vals;
  wo.num_config = ncfg;
  lancec_write_result res;
  memset(&res, 0, sizeof res);
  if (lancec_write(uri, &stream, &wo, &res, &err)) {
    status = die_err(&err);
    goto out;
  }
  print_result(&res);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "lancec: writing to stdout failed: %s\n", strerror(errno));
    status = 1;
  }
out:
  if (stream.release) stream.release(&stream);
  if (target.release) target.release(&target);
  lc_ipc_field_free(schema_field);
  lc_ipc_field_free(table);
  for (size_t i = 0; i < ncfg; i++) {
    lc_free(keys[i]);
    lc_free(vals[i]);
  }
  lc_free(keys);
  lc_free(vals);
  return status;
}

int lc_cli_cmd_delete(int argc, char **argv) {
  static const struct option longopts[] = {
      {"where", required_argument, NULL, O_WHERE}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *where = NULL;
  char msg[600];
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
      case 'h':
        fputs(write_usage, stdout);
        return 0;
      case O_WHERE: where = optarg; break;
      default:
        snprintf(msg, sizeof msg, "unknown or incomplete option '%s'", argv[optind - 1]);
        return die_usage(msg);
    }
  }
  if (optind >= argc) return die_usage("missing dataset URI");
  if (optind + 1 < argc) {
    snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[optind + 1]);
    return die_usage(msg);
  }
  if (!where || !*where) return die_usage("missing --where FILTER (e.g. --where 'id > 10')");
  lancec_error err;
  memset(&err, 0, sizeof err);
  lancec_write_result res;
  memset(&res, 0, sizeof res);
  if (lancec_delete(argv[optind], where, &res, &err)) return die_err(&err);
  print_result(&res);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "lancec: writing to stdout failed: %s\n", strerror(errno));
    return 1;
  }
  return 0;
}

