/* The lancec command-line tool.
 *
 *   lancec scan URI [--columns a,b.c] [--version N | --tag T | --asof TIME]
 *                   [--where FILTER] [--limit N] [--offset N] [--count]
 *                   [--take 1,5,9 | --take-row-ids .. | --take-row-addrs ..]
 *                   [--with-row-id] [--with-row-addr] [--explain]
 *                   [--format table|csv|jsonl|arrow] [--threads N] [--batch-size N]
 *                   [--fragment-group-size N] [--fragments 0,3] [--no-index]
 *   lancec info URI [--version N | --tag T | --asof TIME]
 *   lancec versions URI
 *   lancec write URI --input FILE|- [...]   (cmd_write.c)
 *   lancec delete URI --where FILTER
 *
 * Data goes to stdout; errors are one line on stderr ("lancec: <what>"),
 * exit status 1 (2 for usage errors). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "lancec.h"
#include "schema/schema.h"
#include "table/table.h"

static void usage(FILE *fp) {
  fputs(
      "usage: lancec <command> [options]\n"
      "\n"
      "commands:\n"
      "  scan URI      print rows of a dataset\n"
      "      --columns a,b.c        project columns (dotted paths select struct children)\n"
      "      --version N | --tag T | --asof TIME\n"
      "                             read an older version (TIME: ISO 8601 like\n"
      "                             2026-11-24T02:41:29.5Z, or Unix seconds)\n"
      "      --where FILTER         SQL filter ('id > 10 AND name IS NOT NULL'; docs/filters.md)\n"
      "      --limit N --offset N   rows to return / skip (after the filter)\n"
      "      --count                print the number of (matching) rows only\n"
      "      --take 1,5,9           only these rows (0-based positions); --take-row-ids /\n"
      "                             --take-row-addrs take by _rowid / _rowaddr\n"
      "      --with-row-id --with-row-addr   add the _rowid / _rowaddr columns\n"
      "      --explain              print the plan (pruned fragments, index used, bytes)\n"
      "      --fragments 0,3        scan only these fragment ids\n"
      "      --fragment-group-size N  fragments per scan task\n"
      "      --no-index             do not use scalar indices\n"
      "      --format F             table (default on a terminal), jsonl (default otherwise),\n"
      "                             csv, arrow (Arrow IPC stream)\n"
      "      --threads N            decoding threads (default: all cores)\n"
      "      --batch-size N         rows per batch (default 65536)\n"
      "  info URI      schema, version, fragments, rows, file format, indices\n"
      "  versions URI  every version: number, timestamp, rows, operation\n"
      "  write URI --input FILE|-   write rows (CSV, JSON Lines, Arrow IPC) as a new version\n"
      "      --input-format F       csv, jsonl, arrow (default: from the extension, else the content)\n"
      "      --mode M               create (default) | append | overwrite\n"
      "      --schema S             column types: 'id:int64 not null, name:string, v:list<float>'\n"
      "      --max-rows-per-file N --max-rows-per-group N --max-bytes-per-file N\n"
      "      --data-storage-version 2.0|2.1|2.2   --config k=v (repeatable)\n"
      "  delete URI --where FILTER  delete the matching rows (SQL filter, e.g. 'id > 10')\n"
      "\n"
      "URI: a local dataset directory (path or file:// URI).\n",
      fp);
}

static int die_usage(const char *msg) {
  fprintf(stderr, "lancec: %s (see 'lancec --help')\n", msg);
  return 2;
}

static int die_err(const lancec_error *err) {
  fprintf(stderr, "lancec: %s\n", err->message[0] ? err->message : lancec_status_name(err->code));
  return 1;
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || s[0] == '-') return false;
  *out = v;
  return true;
}

int lc_cli_parse_time(const char *s, int64_t *ns_out) {
  /* Unix seconds (with optional fraction) */
  char *end;
  errno = 0;
  double secs = strtod(s, &end);
  if (!errno && *end == 0 && end != s) {
    *ns_out = (int64_t)(secs * 1e9);
    return 0;
  }
  int Y, M, D, h = 0, m = 0, sec = 0, n = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) != 3) return -1;
  const char *p = s + n;
  int64_t frac_ns = 0;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    int k = 0;
    if (sscanf(p, "%2d:%2d%n", &h, &m, &k) != 2) return -1;
    p += k;
    if (*p == ':') {
      p++;
      if (sscanf(p, "%2d%n", &sec, &k) != 1) return -1;
      p += k;
      if (*p == '.' || *p == ',') {
        p++;
        int64_t scale = 100000000;
        while (*p >= '0' && *p <= '9') {
          frac_ns += (*p - '0') * scale;
          scale /= 10;
          p++;
        }
      }
    }
  }
  int64_t off_s = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh = 0, om = 0, k = 0;
    p++;
    if (sscanf(p, "%2d:%2d%n", &oh, &om, &k) == 2 || sscanf(p, "%2d%2d%n", &oh, &om, &k) == 2) p += k;
    else return -1;
    off_s = sign * (oh * 3600 + om * 60);
  }
  if (*p) return -1;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return -1;
  /* days from civil (proleptic Gregorian) */
  int y = Y - (M <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
  int64_t t = days * 86400 + h * 3600 + m * 60 + sec - off_s;
  *ns_out = t * 1000000000LL + frac_ns;
  return 0;
}

void lc_cli_format_time(int64_t ns, char *buf, size_t cap) {
  time_t s = (time_t)(ns / 1000000000LL);
  int64_t frac = ns % 1000000000LL;
  if (frac < 0) {
    frac += 1000000000LL;
    s -= 1;
  }
  struct tm tm;
  gmtime_r(&s, &tm);
  char base[64];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, cap, "%s.%06lldZ", base, (long long)(frac / 1000));
}

typedef struct common_opts {
  const char *uri;
  lancec_open_options open;
  const char *columns;
  int64_t limit, offset, batch_size;
  int threads;
  const char *format;
  const char *where;
  bool count, explain, with_row_id, with_row_addr, no_index;
  const char *take;
  lancec_take_kind take_kind;
  const char *fragments;
  int64_t fragment_group_size;
} common_opts;

enum {
  OPT_COLUMNS = 256, OPT_VERSION, OPT_TAG, OPT_ASOF, OPT_LIMIT, OPT_OFFSET, OPT_FORMAT, OPT_THREADS, OPT_BATCH,
  OPT_WHERE, OPT_COUNT, OPT_EXPLAIN, OPT_ROWID, OPT_ROWADDR, OPT_TAKE, OPT_TAKE_IDS, OPT_TAKE_ADDRS,
  OPT_FRAGMENTS, OPT_FGS, OPT_NO_INDEX
};

static int parse_opts(int argc, char **argv, common_opts *o, bool allow_scan) {
  static const struct option longopts[] = {
      {"columns", required_argument, NULL, OPT_COLUMNS}, {"version", required_argument, NULL, OPT_VERSION},
      {"tag", required_argument, NULL, OPT_TAG},         {"asof", required_argument, NULL, OPT_ASOF},
      {"limit", required_argument, NULL, OPT_LIMIT},     {"offset", required_argument, NULL, OPT_OFFSET},
      {"format", required_argument, NULL, OPT_FORMAT},   {"threads", required_argument, NULL, OPT_THREADS},
      {"batch-size", required_argument, NULL, OPT_BATCH}, {"help", no_argument, NULL, 'h'},
      {"where", required_argument, NULL, OPT_WHERE},     {"count", no_argument, NULL, OPT_COUNT},
      {"explain", no_argument, NULL, OPT_EXPLAIN},       {"with-row-id", no_argument, NULL, OPT_ROWID},
      {"with-row-addr", no_argument, NULL, OPT_ROWADDR}, {"take", required_argument, NULL, OPT_TAKE},
      {"take-row-ids", required_argument, NULL, OPT_TAKE_IDS},
      {"take-row-addrs", required_argument, NULL, OPT_TAKE_ADDRS},
      {"fragments", required_argument, NULL, OPT_FRAGMENTS},
      {"fragment-group-size", required_argument, NULL, OPT_FGS},
      {"no-index", no_argument, NULL, OPT_NO_INDEX},
      {NULL, 0, NULL, 0}};
  lancec_open_options init = LANCEC_OPEN_OPTIONS_INIT;
  o->open = init;
  o->limit = -1;
  int selectors = 0;
  optind = 1;
  opterr = 0;
  int c;
  char msg[600];
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    uint64_t v;
    switch (c) {
      case 'h':
        usage(stdout);
        exit(0);
      case OPT_VERSION:
        if (!parse_u64(optarg, &v) || v == 0) {
          snprintf(msg, sizeof msg, "--version needs a positive version number, got '%s'", optarg);
          return die_usage(msg);
        }
        o->open.version = v;
        selectors++;
        break;
      case OPT_TAG:
        o->open.tag = optarg;
        selectors++;
        break;
      case OPT_ASOF:
        if (lc_cli_parse_time(optarg, &o->open.asof_ns) != 0) {
          snprintf(msg, sizeof msg, "--asof: cannot parse time '%s' (use ISO 8601 or Unix seconds)", optarg);
          return die_usage(msg);
        }
        o->open.has_asof = 1;
        selectors++;
        break;
      case OPT_WHERE:
      case OPT_COUNT:
      case OPT_EXPLAIN:
      case OPT_ROWID:
      case OPT_ROWADDR:
      case OPT_TAKE:
      case OPT_TAKE_IDS:
      case OPT_TAKE_ADDRS:
      case OPT_FRAGMENTS:
      case OPT_NO_INDEX:
        if (!allow_scan) {
          snprintf(msg, sizeof msg, "option '%s' is only valid for 'scan'", argv[optind - 1]);
          return die_usage(msg);
        }
        if (c == OPT_WHERE) o->where = optarg;
        else if (c == OPT_COUNT) o->count = true;
        else if (c == OPT_EXPLAIN) o->explain = true;
        else if (c == OPT_ROWID) o->with_row_id = true;
        else if (c == OPT_ROWADDR) o->with_row_addr = true;
        else if (c == OPT_FRAGMENTS) o->fragments = optarg;
        else if (c == OPT_NO_INDEX) o->no_index = true;
        else {
          if (o->take) return die_usage("use one of --take, --take-row-ids, --take-row-addrs");
          o->take = optarg;
          o->take_kind = c == OPT_TAKE ? LANCEC_TAKE_OFFSETS : c == OPT_TAKE_IDS ? LANCEC_TAKE_ROW_IDS
                                                                                  : LANCEC_TAKE_ROW_ADDRS;
        }
        break;
      case OPT_FGS:
      case OPT_COLUMNS:
      case OPT_LIMIT:
      case OPT_OFFSET:
      case OPT_FORMAT:
      case OPT_THREADS:
      case OPT_BATCH:
        if (!allow_scan) {
          snprintf(msg, sizeof msg, "option '%s' is only valid for 'scan'", argv[optind - 1]);
          return die_usage(msg);
        }
        if (c == OPT_COLUMNS) o->columns = optarg;
        else if (c == OPT_FORMAT) o->format = optarg;
        else {
          if (!parse_u64(optarg, &v) || v > (uint64_t)INT64_MAX) {
            snprintf(msg, sizeof msg, "option '%s' needs a non-negative number, got '%s'", argv[optind - 1], optarg);
            return die_usage(msg);
          }
          if (c == OPT_LIMIT) o->limit = (int64_t)v;
          else if (c == OPT_OFFSET) o->offset = (int64_t)v;
          else if (c == OPT_THREADS) o->threads = (int)(v > 1024 ? 1024 : v);
          else if (c == OPT_FGS) o->fragment_group_size = (int64_t)(v > 1000000 ? 1000000 : v);
          else o->batch_size = (int64_t)v;
        }
        break;
      default:
        snprintf(msg, sizeof msg, "unknown or incomplete option '%s'", argv[optind - 1]);
        return die_usage(msg);
    }
  }
  if (selectors > 1) return die_usage("use at most one of --version, --tag, --asof");
  if (optind >= argc) return die_usage("missing dataset URI");
  if (optind + 1 < argc) {
    snprintf(msg, sizeof msg, "unexpected argument '%s'", argv[optind + 1]);
    return die_usage(msg);
  }
  o->uri = argv[optind];
  return 0;
}

/* Split "a,b.c" into an array of strings (caller frees both). */
static char **split_columns(const char *s, size_t *n) {
  char *copy = lc_strdup(s);
  size_t cap = 1;
  for (const char *p = s; *p; p++) cap += *p == ',';
  char **v = lc_calloc(cap + 1, sizeof(char *));
  *n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ') tok++;
    size_t l = strlen(tok);
    while (l && tok[l - 1] == ' ') tok[--l] = 0;
    if (*tok) v[(*n)++] = lc_strdup(tok);
  }
  lc_free(copy);
  return v;
}

/* "1,5,9" → numbers (caller frees). */
static int parse_u64_list(const char *s, const char *opt, uint64_t **out, size_t *n) {
  size_t cap = 1;
  for (const char *p = s; *p; p++) cap += *p == ',';
  uint64_t *v = lc_calloc(cap + 1, sizeof(uint64_t));
  char *copy = lc_strdup(s);
  *n = 0;
  char *save = NULL;
  char msg[600];
  for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ') tok++;
    size_t l = strlen(tok);
    while (l && tok[l - 1] == ' ') tok[--l] = 0;
    if (!parse_u64(tok, &v[*n])) {
      snprintf(msg, sizeof msg, "%s: '%s' is not a non-negative integer", opt, tok);
      lc_free(copy);
      lc_free(v);
      return die_usage(msg);
    }
    (*n)++;
  }
  lc_free(copy);
  *out = v;
  return 0;
}

/* Print batches of `stream` (or the single batch `one`) in `format`. */
static int print_rows(const char *format, struct ArrowSchema *schema, struct ArrowArrayStream *stream,
                      struct ArrowArray *one) {
  lancec_error err;
  memset(&err, 0, sizeof err);
  int status = 0;
  lc_output *outw = NULL;
  if (lc_output_new(&outw, format, stdout, schema, &err) != 0) return die_err(&err);
  for (;;) {
    struct ArrowArray batch;
    if (one) {
      if (!one->release) break;
      batch = *one;
      one->release = NULL;
    } else {
      int e = stream->get_next(stream, &batch);
      if (e != 0) {
        const char *m = stream->get_last_error(stream);
        fprintf(stderr, "lancec: %s\n", m ? m : strerror(e));
        status = 1;
        break;
      }
    }
    if (!batch.release) break;
    int wrc = lc_output_write_batch(outw, &batch, &err);
    batch.release(&batch);
    if (wrc != 0) {
      status = die_err(&err);
      break;
    }
  }
  if (status == 0 && lc_output_finish(outw, &err) != 0) status = die_err(&err);
  lc_output_free(outw);
  return status;
}

static int cmd_scan(int argc, char **argv) {
  common_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse_opts(argc, argv, &o, true);
  if (rc) return rc;
  const char *format = o.format ? o.format : (isatty(1) ? "table" : "jsonl");
  if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "jsonl") && strcmp(format, "arrow")) {
    char msg[300];
    snprintf(msg, sizeof msg, "--format must be table, csv, jsonl or arrow (got '%s')", format);
    return die_usage(msg);
  }
  if (o.take && (o.where || o.offset || o.limit >= 0 || o.fragments))
    return die_usage("--take cannot be combined with --where, --offset, --limit or --fragments");
  if (o.columns && !*o.columns) return die_usage("--columns needs at least one column name");
  uint64_t *take = NULL, *frags = NULL;
  size_t ntake = 0, nfrags = 0;
  if (o.take && (rc = parse_u64_list(o.take, "--take", &take, &ntake)) != 0) return rc;
  if (o.fragments && (rc = parse_u64_list(o.fragments, "--fragments", &frags, &nfrags)) != 0) {
    lc_free(take);
    return rc;
  }
  lancec_error err;
  memset(&err, 0, sizeof err);
  lancec_dataset *ds = NULL;
  if (lancec_dataset_open(&ds, o.uri, &o.open, &err) != 0) {
    lc_free(take);
    lc_free(frags);
    return die_err(&err);
  }
  size_t ncols = 0;
  char **cols = o.columns ? split_columns(o.columns, &ncols) : NULL;
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.columns = (const char *const *)cols;
  so.num_columns = ncols;
  so.limit = o.limit;
  so.offset = o.offset;
  so.batch_size = o.batch_size;
  so.num_threads = o.threads;
  so.filter = o.where;
  so.with_row_id = o.with_row_id;
  so.with_row_addr = o.with_row_addr;
  so.fragment_group_size = (int)o.fragment_group_size;
  so.fragment_ids = frags;
  so.num_fragment_ids = nfrags;
  so.no_index = o.no_index;
  if (o.count) so.columns_none = 1, so.with_row_id = 0, so.with_row_addr = 0;
  struct ArrowArrayStream stream;
  memset(&stream, 0, sizeof stream);
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  int status = 0;
  if (o.columns && ncols == 0) {
    status = die_usage("--columns needs at least one column name");
  } else if (o.explain) {
    char *text = NULL;
    if (lancec_dataset_explain(ds, &so, &text, &err) != 0) status = die_err(&err);
    else fputs(text, stdout);
    lancec_free(text);
  } else if (o.take) {
    struct ArrowArray batch;
    if (lancec_dataset_take(ds, take, ntake, o.take_kind, &so, &batch, &schema, &err) != 0) {
      status = die_err(&err);
    } else if (o.count) {
      printf("%lld\n", (long long)batch.length);
      batch.release(&batch);
    } else {
      status = print_rows(format, &schema, NULL, &batch);
      if (batch.release) batch.release(&batch);
    }
  } else if (o.count && !o.where && !o.fragments && !o.offset && o.limit < 0) {
    printf("%llu\n", (unsigned long long)lancec_dataset_count_rows(ds)); /* from the manifest */
  } else if (lancec_dataset_scan(ds, &so, &stream, &err) != 0) {
    status = die_err(&err);
  } else if (o.count) {
    uint64_t n = 0;
    for (;;) {
      struct ArrowArray batch;
      int e = stream.get_next(&stream, &batch);
      if (e != 0) {
        const char *m = stream.get_last_error(&stream);
        fprintf(stderr, "lancec: %s\n", m ? m : strerror(e));
        status = 1;
        break;
      }
      if (!batch.release) break;
      n += (uint64_t)batch.length;
      batch.release(&batch);
    }
    if (status == 0) printf("%llu\n", (unsigned long long)n);
  } else if (stream.get_schema(&stream, &schema) != 0) {
    fprintf(stderr, "lancec: %s\n", stream.get_last_error(&stream) ? stream.get_last_error(&stream) : "cannot export schema");
    status = 1;
  } else {
    status = print_rows(format, &schema, &stream, NULL);
  }
  if (schema.release) schema.release(&schema);
  if (status == 0 && fflush(stdout) != 0) {
    fprintf(stderr, "lancec: writing to stdout failed: %s\n", strerror(errno));
    status = 1;
  }
  if (stream.release) stream.release(&stream);
  for (size_t i = 0; i < ncols; i++) lc_free(cols[i]);
  lc_free(cols);
  lc_free(take);
  lc_free(frags);
  lancec_dataset_free(ds);
  return status;
}

static void print_field(const lc_field *f, int depth) {
  char type[512];
  lc_field_type_string(f, type, sizeof type);
  printf("%*s- %s: %s%s (id %d)", 2 + depth * 2, "", f->name, type, f->nullable ? "" : " not null", f->id);
  if (f->n_metadata) {
    printf(" {");
    for (size_t i = 0; i < f->n_metadata; i++)
      printf("%s%s=%s", i ? ", " : "", f->metadata[i].key, (const char *)f->metadata[i].value);
    printf("}");
  }
  printf("\n");
  if (f->type == LC_T_STRUCT)
    for (size_t i = 0; i < f->n_children; i++) print_field(f->children[i], depth + 1);
}

static int cmd_info(int argc, char **argv) {
  common_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse_opts(argc, argv, &o, false);
  if (rc) return rc;
  lancec_error err;
  memset(&err, 0, sizeof err);
  lancec_dataset *ds = NULL;
  if (lancec_dataset_open(&ds, o.uri, &o.open, &err) != 0) return die_err(&err);
  char ts[64];
  lc_cli_format_time(lancec_dataset_timestamp_ns(ds), ts, sizeof ts);
  const lc_manifest *m = ds->manifest;
  printf("dataset: %s\n", o.uri);
  printf("version: %llu (committed %s)\n", (unsigned long long)lancec_dataset_version(ds), ts);
  printf("data storage version: %s\n", lancec_dataset_data_format(ds));
  if (m->pb->writer_version)
    printf("written by: %s %s\n", m->pb->writer_version->library ? m->pb->writer_version->library : "?",
           m->pb->writer_version->version ? m->pb->writer_version->version : "?");
  printf("rows: %llu\n", (unsigned long long)lancec_dataset_count_rows(ds));
  size_t nf = lancec_dataset_num_fragments(ds);
  printf("fragments: %zu\n", nf);
  for (size_t i = 0; i < nf; i++) {
    lancec_fragment_info fi;
    if (lancec_dataset_fragment(ds, i, &fi, &err) != 0) {
      lancec_dataset_free(ds);
      return die_err(&err);
    }
    const Lance__Table__DataFragment *fr = m->pb->fragments[i];
    printf("  - id %llu: %llu rows (%llu physical, %llu deleted), %u data file%s", (unsigned long long)fi.id,
           (unsigned long long)(fi.physical_rows - fi.deleted_rows), (unsigned long long)fi.physical_rows,
           (unsigned long long)fi.deleted_rows, fi.num_data_files, fi.num_data_files == 1 ? "" : "s");
    for (size_t k = 0; k < fr->n_files; k++)
      printf("%s %s (format %u.%u)", k ? "," : ":", fr->files[k]->path, fr->files[k]->file_major_version,
             fr->files[k]->file_minor_version);
    printf("\n");
  }
  printf("schema:\n");
  for (size_t i = 0; i < m->schema->n_fields; i++) print_field(m->schema->fields[i], 0);
  size_t ni = lancec_dataset_num_indices(ds);
  printf("indices: %zu\n", ni);
  for (size_t i = 0; i < ni; i++) {
    lancec_index_info ii;
    if (lancec_dataset_index(ds, i, &ii, &err) != 0) continue;
    printf("  - %s: %s on %s (uuid %s, built at version %llu)\n", ii.name, ii.type,
           ii.column && *ii.column ? ii.column : "-", ii.uuid, (unsigned long long)ii.dataset_version);
  }
  lancec_dataset_free(ds);
  return 0;
}

static int cmd_versions(int argc, char **argv) {
  common_opts o;
  memset(&o, 0, sizeof o);
  int rc = parse_opts(argc, argv, &o, false);
  if (rc) return rc;
  if (o.open.version || o.open.tag || o.open.has_asof) return die_usage("'versions' lists all versions; it takes no version selector");
  lancec_error err;
  memset(&err, 0, sizeof err);
  lancec_version_info *v = NULL;
  size_t n = 0;
  if (lancec_dataset_versions(&v, &n, o.uri, &err) != 0) return die_err(&err);
  printf("%-8s  %-27s  %12s  %s\n", "version", "timestamp", "rows", "operation");
  for (size_t i = 0; i < n; i++) {
    char ts[64];
    lc_cli_format_time(v[i].timestamp_ns, ts, sizeof ts);
    printf("%-8llu  %-27s  %12llu  %s\n", (unsigned long long)v[i].version, ts, (unsigned long long)v[i].num_rows,
           v[i].operation[0] ? v[i].operation : "-");
  }
  lancec_versions_free(v);
  return 0;
}

int lc_cli_cmd_write(int argc, char **argv);
int lc_cli_cmd_delete(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
    printf("lancec %s\n", lancec_version());
    return 0;
  }
  if (!strcmp(cmd, "scan")) return cmd_scan(argc - 1, argv + 1);
  if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
  if (!strcmp(cmd, "versions")) return cmd_versions(argc - 1, argv + 1);
  if (!strcmp(cmd, "write")) return lc_cli_cmd_write(argc - 1, argv + 1);   /* cmd_write.c */
  if (!strcmp(cmd, "delete")) return lc_cli_cmd_delete(argc - 1, argv + 1);
  char msg[300];
  snprintf(msg, sizeof msg, "unknown command '%s'", cmd);
  return die_usage(msg);
}
