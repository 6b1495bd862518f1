/*
 * lancec_bench: lancec's side of the benchmark suite (bench/run.sh), through
 * the public library API only (include/lancec.h).
 *
 *   lancec_bench serve                 answer requests read from stdin, one per line
 *   lancec_bench run KEY=VALUE ...     run one request (reps=N times) and print its answers
 *   lancec_bench drop DIR              evict every file under DIR from the page cache
 *
 * A request is a set of KEY=VALUE pairs: on stdin separated by tabs (so SQL
 * filters may hold spaces), on the command line one per argument. Every
 * request is answered by exactly one JSON line on stdout ({"ok":false,
 * "error":...} on failure); diagnostics go to stderr.
 *
 * Requests (op=...):
 *   scan   ds= [cols=*|a,b|-] [filter=SQL] [limit=N] [threads=N] [batch=N] [check=1] [fresh=1]
 *          [no_index=1] [with_row_id=1]. Full or filtered scan; the consumer reads every buffer of
 *          every batch once. cols=- projects no column (only counts).
 *   count  ds= filter= [threads=N] [check=1]: rows matching the filter, counted by a scan that
 *          projects no column (columns_none) with num_threads=threads; check=1 also asks
 *          lancec_dataset_count (which always runs on all cores) and requires the same number.
 *   take   ds= kind=offsets|rowids n=N [cols=...] [threads=N] [check=1]: lancec_dataset_take of
 *          N rows at the benchmark's offsets (see take_offsets()); kind=rowids first looks up
 *          the row ids of those rows (untimed, cached) and then takes by row id.
 *   write  src= out= rows=N [fmt=2.2]: reads the first N rows of src into memory (untimed),
 *          then times lancec_write (create) of them into out (removed first).
 *   append src= out= batches=K batch_rows=B [fmt=2.2]: creates out from one batch of B rows
 *          (untimed), then times K appends (lancec_write, append mode) of B rows each.
 *   copy   src= out= [fmt=2.2]: writes the whole src table to out (streamed from a scan).
 *   io     ds= [cols=..] [filter=..]: on a fresh handle, scan and report the bytes and read
 *          calls that went to storage (lancec_dataset_io_stats), and the plan text.
 *   drop   ds=DIR: posix_fadvise(DONTNEED) on every file under DIR; reports the bytes resident
 *          in the page cache before and after (mincore); falls back to
 *          /proc/sys/vm/drop_caches when more than 10 % stayed resident.
 *   sync   ds=DIR: syncfs() of the file system holding DIR (before a timed write, so that no
 *          earlier dirty data is flushed by lancec's fsyncs).
 *
 * Answers carry "seconds" (the timed part only: the dataset handle is opened
 * once per process and reused, like real Lance's table), "rows", the bytes and
 * read calls the timed part sent to storage ("io_bytes", "io_calls"), and with
 * check=1 a "checksum" computed exactly like bench/lance_bench.mjs does (see
 * checksum_batch()): per column, over valid values only,
 *   int64 / uint64        sum modulo 2^64
 *   float64               sum of floor(v * 100 + 0.5)
 *   float32 / fixed_size_list<float32>   sum of floor(v * 1e6 + 0.5)
 *   utf8 / large_utf8     value bytes and the sum of those bytes
 * plus the null count of every column and the row count. Every number is a
 * decimal string.
 *
 * Exit status: 0 ok (serve: end of input), 1 a request failed (run), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lancec.h"

#define MAX_KV 32
#define MAX_COLS 64

/* ---- small utilities ----------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct req {
  int n;
  char *key[MAX_KV];
  char *val[MAX_KV];
} req;

static const char *get(const req *r, const char *k, const char *dflt) {
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->key[i], k)) return r->val[i];
  return dflt;
}

static int64_t get_i(const req *r, const char *k, int64_t dflt) {
  const char *v = get(r, k, NULL);
  return v && *v ? strtoll(v, NULL, 10) : dflt;
}

/* Split "k=v" at the first '='. Returns 0, or -1 when there is no '='. */
static int add_kv(req *r, char *tok) {
  char *eq = strchr(tok, '=');
  if (!eq || r->n >= MAX_KV) return -1;
  *eq = '\0';
  r->key[r->n] = tok;
  r->val[r->n] = eq + 1;
  r->n++;
  return 0;
}

/* A growable string for the JSON answer. */
typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->p && (size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap * 2 : 1024;
    while (cap < b->len + (size_t)n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) abort();
    b->p = q;
    b->cap = cap;
  }
}

static void sb_json_str(sbuf *b, const char *s) {
  sb_add(b, "\"");
  for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
    if (*c == '"' || *c == '\\')
      sb_add(b, "\\%c", *c);
    else if (*c == '\n')
      sb_add(b, "\\n");
    else if (*c == '\t')
      sb_add(b, "\\t");
    else if (*c < 0x20)
      sb_add(b, "\\u%04x", *c);
    else
      sb_add(b, "%c", *c);
  }
  sb_add(b, "\"");
}

/* ---- consumer: read every buffer once -------------------------------------------- */

typedef struct touch {
  uint64_t sum;   /* 64-bit word sum of every byte read */
  uint64_t bytes; /* bytes read */
} touch;

static void touch_bytes(touch *t, const void *p, size_t n) {
  if (!p || n == 0) return;
  const unsigned char *b = (const unsigned char *)p;
  uint64_t s = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, b + i, 8);
    s += w;
  }
  for (; i < n; i++) s += b[i];
  t->sum += s;
  t->bytes += n;
}

/* Byte width of a fixed-width Arrow format, 0 if not fixed width. */
static size_t fixed_width(const char *f) {
  if (f[0] && f[1] == '\0') {
    switch (f[0]) {
      case 'c':
      case 'C':
        return 1;
      case 's':
      case 'S':
      case 'e':
        return 2;
      case 'i':
      case 'I':
      case 'f':
        return 4;
      case 'l':
      case 'L':
      case 'g':
        return 8;
      default:
        return 0;
    }
  }
  if (!strcmp(f, "tdD") || !strcmp(f, "tts") || !strcmp(f, "ttm")) return 4;
  if (!strncmp(f, "td", 2) || !strncmp(f, "tt", 2) || !strncmp(f, "ts", 2) || !strncmp(f, "tD", 2)) return 8;
  if (!strncmp(f, "d:", 2)) {
    const char *c = strchr(f + 2, ',');
    c = c ? strchr(c + 1, ',') : NULL;
    return c ? (size_t)atoi(c + 1) / 8 : 16;
  }
  if (f[0] == 'w' && f[1] == ':') return (size_t)atoi(f + 2);
  return 0;
}

/* Read every buffer of `arr` (type `sch`) once; children and dictionaries too. */
static void touch_array(touch *t, const struct ArrowSchema *sch, const struct ArrowArray *arr) {
  const char *f = sch->format;
  int64_t len = arr->length, off = arr->offset;
  if (arr->n_buffers > 0 && arr->buffers[0] && arr->null_count != 0)
    touch_bytes(t, arr->buffers[0], (size_t)((len + off + 7) / 8));
  size_t w = fixed_width(f);
  if (w && arr->n_buffers >= 2) {
    touch_bytes(t, (const char *)arr->buffers[1] + (size_t)off * w, (size_t)len * w);
  } else if (!strcmp(f, "b") && arr->n_buffers >= 2) {
    touch_bytes(t, arr->buffers[1], (size_t)((len + off + 7) / 8));
  } else if ((!strcmp(f, "u") || !strcmp(f, "z")) && arr->n_buffers >= 3) {
    const int32_t *o = (const int32_t *)arr->buffers[1] + off;
    touch_bytes(t, o, (size_t)(len + 1) * 4);
    if (len > 0) touch_bytes(t, (const char *)arr->buffers[2] + o[0], (size_t)(o[len] - o[0]));
  } else if ((!strcmp(f, "U") || !strcmp(f, "Z")) && arr->n_buffers >= 3) {
    const int64_t *o = (const int64_t *)arr->buffers[1] + off;
    touch_bytes(t, o, (size_t)(len + 1) * 8);
    if (len > 0) touch_bytes(t, (const char *)arr->buffers[2] + o[0], (size_t)(o[len] - o[0]));
  } else if ((!strcmp(f, "+l") || !strcmp(f, "+m")) && arr->n_buffers >= 2) {
    touch_bytes(t, (const int32_t *)arr->buffers[1] + off, (size_t)(len + 1) * 4);
  } else if (!strcmp(f, "+L") && arr->n_buffers >= 2) {
    touch_bytes(t, (const int64_t *)arr->buffers[1] + off, (size_t)(len + 1) * 8);
  }
  for (int64_t i = 0; i < arr->n_children && i < sch->n_children; i++)
    touch_array(t, sch->children[i], arr->children[i]);
  if (arr->dictionary && sch->dictionary) touch_array(t, sch->dictionary, arr->dictionary);
}

/* ---- checksum (the same definition as bench/lance_bench.mjs) ---------------------- */

typedef enum ck_kind { CK_NONE, CK_INT, CK_F64, CK_F32, CK_VECF32, CK_UTF8, CK_LUTF8 } ck_kind;

typedef struct ck_col {
  char name[128];
  ck_kind kind;
  uint64_t nulls;
  uint64_t sum;   /* CK_INT: sum mod 2^64; CK_UTF8: sum of the value bytes */
  int64_t rsum;   /* rounded float sum */
  uint64_t bytes; /* CK_UTF8: value bytes */
  int64_t dim;    /* CK_VECF32: list size */
} ck_col;

typedef struct checksum {
  uint64_t rows;
  int ncols;
  ck_col col[MAX_COLS];
} checksum;

static void checksum_init(checksum *c, const struct ArrowSchema *sch) {
  memset(c, 0, sizeof *c);
  for (int64_t i = 0; i < sch->n_children && i < MAX_COLS; i++) {
    const struct ArrowSchema *s = sch->children[i];
    ck_col *k = &c->col[c->ncols++];
    snprintf(k->name, sizeof k->name, "%s", s->name ? s->name : "");
    const char *f = s->format;
    if (!strcmp(f, "l") || !strcmp(f, "L"))
      k->kind = CK_INT;
    else if (!strcmp(f, "g"))
      k->kind = CK_F64;
    else if (!strcmp(f, "f"))
      k->kind = CK_F32;
    else if (!strcmp(f, "u"))
      k->kind = CK_UTF8;
    else if (!strcmp(f, "U"))
      k->kind = CK_LUTF8;
    else if (!strncmp(f, "+w:", 3) && s->n_children == 1 && !strcmp(s->children[0]->format, "f"))
      k->kind = CK_VECF32, k->dim = atoll(f + 3);
    else
      k->kind = CK_NONE;
  }
}

static int is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *v = a->n_buffers > 0 ? (const uint8_t *)a->buffers[0] : NULL;
  if (!v || a->null_count == 0) return 1;
  int64_t j = a->offset + i;
  return (v[j >> 3] >> (j & 7)) & 1;
}

static int64_t round_scaled(double v, double scale) {
  return (int64_t)floor(v * scale + 0.5);
}

static void checksum_batch(checksum *c, const struct ArrowArray *batch) {
  c->rows += (uint64_t)batch->length;
  for (int i = 0; i < c->ncols && i < batch->n_children; i++) {
    ck_col *k = &c->col[i];
    const struct ArrowArray *a = batch->children[i];
    int64_t n = a->length, off = a->offset;
    for (int64_t r = 0; r < n; r++)
      if (!is_valid(a, r)) k->nulls++;
    switch (k->kind) {
      case CK_INT: {
        const uint64_t *v = (const uint64_t *)a->buffers[1] + off;
        uint64_t s = 0;
        for (int64_t r = 0; r < n; r++)
          if (is_valid(a, r)) s += v[r];
        k->sum += s;
        break;
      }
      case CK_F64: {
        const double *v = (const double *)a->buffers[1] + off;
        for (int64_t r = 0; r < n; r++)
          if (is_valid(a, r)) k->rsum += round_scaled(v[r], 100.0);
        break;
      }
      case CK_F32: {
        const float *v = (const float *)a->buffers[1] + off;
        for (int64_t r = 0; r < n; r++)
          if (is_valid(a, r)) k->rsum += round_scaled((double)v[r], 1e6);
        break;
      }
      case CK_VECF32: {
        /* every child value of the rows in range (the tables have no null vectors) */
        const struct ArrowArray *ch = a->children[0];
        int64_t dim = k->dim;
        const float *v = (const float *)ch->buffers[1] + ch->offset + off * dim;
        int64_t s = 0;
        for (int64_t r = 0; r < n * dim; r++) s += round_scaled((double)v[r], 1e6);
        k->rsum += s;
        break;
      }
      case CK_UTF8:
      case CK_LUTF8: {
        int64_t lo, hi;
        if (k->kind == CK_UTF8) {
          const int32_t *o = (const int32_t *)a->buffers[1] + off;
          lo = o[0];
          hi = o[n];
        } else {
          const int64_t *o = (const int64_t *)a->buffers[1] + off;
          lo = o[0];
          hi = o[n];
        }
        /* value bytes of valid rows: the tables' string columns have no nulls, and
         * Arrow leaves null slots empty in practice, so the range is the same */
        const unsigned char *d = (const unsigned char *)a->buffers[2];
        uint64_t s = 0;
        for (int64_t j = lo; j < hi; j++) s += d[j];
        k->sum += s;
        k->bytes += (uint64_t)(hi - lo);
        break;
      }
      case CK_NONE:
        break;
    }
  }
}

static void checksum_json(sbuf *b, const checksum *c) {
  sb_add(b, "{\"rows\":\"%" PRIu64 "\"", c->rows);
  for (int i = 0; i < c->ncols; i++) {
    const ck_col *k = &c->col[i];
    sb_add(b, ",");
    sb_json_str(b, k->name);
    sb_add(b, ":{\"nulls\":\"%" PRIu64 "\"", k->nulls);
    switch (k->kind) {
      case CK_INT:
        sb_add(b, ",\"sum\":\"%" PRIu64 "\"", k->sum);
        break;
      case CK_F64:
        sb_add(b, ",\"sum_r2\":\"%" PRId64 "\"", k->rsum);
        break;
      case CK_F32:
      case CK_VECF32:
        sb_add(b, ",\"sum_r6\":\"%" PRId64 "\"", k->rsum);
        break;
      case CK_UTF8:
      case CK_LUTF8:
        sb_add(b, ",\"bytes\":\"%" PRIu64 "\",\"bytesum\":\"%" PRIu64 "\"", k->bytes, k->sum);
        break;
      case CK_NONE:
        break;
    }
    sb_add(b, "}");
  }
  sb_add(b, "}");
}

/* ---- datasets: one handle per path, opened once ---------------------------------- */

typedef struct open_ds {
  char *path;
  lancec_dataset *ds;
} open_ds;

static open_ds g_ds[32];
static int g_nds;

static int dataset_get(lancec_dataset **out, const char *path, int fresh, lancec_error *err) {
  if (!fresh)
    for (int i = 0; i < g_nds; i++)
      if (!strcmp(g_ds[i].path, path)) {
        *out = g_ds[i].ds;
        return 0;
      }
  int rc = lancec_dataset_open(out, path, NULL, err);
  if (rc || fresh) return rc;
  if (g_nds == 32) {
    lancec_dataset_free(g_ds[0].ds);
    free(g_ds[0].path);
    memmove(g_ds, g_ds + 1, sizeof(g_ds[0]) * 31);
    g_nds--;
  }
  g_ds[g_nds].path = strdup(path);
  g_ds[g_nds].ds = *out;
  g_nds++;
  return 0;
}

/* Forget cached handles of `path` (after it was rewritten). */
static void dataset_forget(const char *path) {
  for (int i = 0; i < g_nds; i++)
    if (!strcmp(g_ds[i].path, path)) {
      lancec_dataset_free(g_ds[i].ds);
      free(g_ds[i].path);
      memmove(g_ds + i, g_ds + i + 1, sizeof(g_ds[0]) * (size_t)(g_nds - i - 1));
      g_nds--;
      i--;
    }
}

/* cols=*: all (NULL); cols=-: none; else a comma list (pointers into `buf`). */
static int parse_cols(const char *spec, char *buf, size_t bufsz, const char **cols, size_t *n, int *none) {
  *n = 0;
  *none = 0;
  if (!spec || !strcmp(spec, "*") || !*spec) return 0;
  if (!strcmp(spec, "-")) {
    *none = 1;
    return 0;
  }
  snprintf(buf, bufsz, "%s", spec);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (*n == MAX_COLS) return -1;
    cols[(*n)++] = t;
  }
  return 0;
}

/* ---- the benchmark's take positions ----------------------------------------------- */

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* k-th position (k < n <= rows): (rows/3 + k * P) mod rows with P the first integer
 * >= floor(rows * 0.6180339887) coprime with rows, so positions are distinct and spread
 * over the whole table. lance_bench.mjs computes the same list. */
static void take_offsets(uint64_t *out, size_t n, uint64_t rows) {
  uint64_t p = (uint64_t)floor((double)rows * 0.6180339887);
  if (p == 0) p = 1;
  while (gcd_u64(p, rows) != 1) p++;
  uint64_t start = rows / 3;
  for (size_t k = 0; k < n; k++) out[k] = (uint64_t)((start + (unsigned __int128)k * p) % rows);
}

/* ---- requests ------------------------------------------------------------------- */

typedef struct answer {
  sbuf b;
  int failed;
} answer;

static void fail(answer *a, const char *what, const lancec_error *err) {
  a->failed = 1;
  a->b.len = 0;
  sb_add(&a->b, "{\"ok\":false,\"error\":");
  char msg[1400];
  if (err)
    snprintf(msg, sizeof msg, "%s: %s: %s", what, lancec_status_name(err->code), err->message);
  else
    snprintf(msg, sizeof msg, "%s", what);
  sb_json_str(&a->b, msg);
  sb_add(&a->b, "}");
}

/* Drain a stream: touch every buffer; checksum when `ck` is not NULL. */
static int drain(struct ArrowArrayStream *st, touch *t, checksum *ck, uint64_t *rows, uint64_t *batches,
                 char *errbuf, size_t errsz) {
  struct ArrowSchema sch;
  if (st->get_schema(st, &sch) != 0) {
    snprintf(errbuf, errsz, "get_schema: %s", st->get_last_error(st));
    return -1;
  }
  if (ck) checksum_init(ck, &sch);
  int rc = 0;
  for (;;) {
    struct ArrowArray arr;
    memset(&arr, 0, sizeof arr);
    int e = st->get_next(st, &arr);
    if (e != 0) {
      const char *m = st->get_last_error(st);
      snprintf(errbuf, errsz, "get_next: %s (%s)", m ? m : "?", strerror(e));
      rc = -1;
      break;
    }
    if (arr.release == NULL) break;
    *rows += (uint64_t)arr.length;
    (*batches)++;
    touch_array(t, &sch, &arr);
    if (ck) checksum_batch(ck, &arr);
    arr.release(&arr);
  }
  sch.release(&sch);
  return rc;
}

static void io_delta(const lancec_dataset *ds, uint64_t *b0, uint64_t *c0, int start) {
  uint64_t b, c;
  lancec_dataset_io_stats(ds, &b, &c);
  if (start) {
    *b0 = b;
    *c0 = c;
  } else {
    *b0 = b - *b0;
    *c0 = c - *c0;
  }
}

static void op_scan(const req *r, answer *a) {
  const char *path = get(r, "ds", NULL);
  int fresh = (int)get_i(r, "fresh", 0), check = (int)get_i(r, "check", 0);
  lancec_error err;
  lancec_dataset *ds = NULL;
  if (!path) return fail(a, "scan: ds= missing", NULL);
  if (dataset_get(&ds, path, fresh, &err)) return fail(a, "scan: open", &err);
  char colbuf[4096];
  const char *cols[MAX_COLS];
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  int none = 0;
  if (parse_cols(get(r, "cols", "*"), colbuf, sizeof colbuf, cols, &so.num_columns, &none)) {
    if (fresh) lancec_dataset_free(ds);
    return fail(a, "scan: too many columns", NULL);
  }
  so.columns = so.num_columns ? cols : NULL;
  so.columns_none = none;
  so.filter = get(r, "filter", NULL);
  if (so.filter && !*so.filter) so.filter = NULL;
  so.limit = get_i(r, "limit", -1);
  so.num_threads = (int)get_i(r, "threads", 0);
  so.batch_size = get_i(r, "batch", 65536);
  so.no_index = (int)get_i(r, "no_index", 0);
  so.with_row_id = (int)get_i(r, "with_row_id", 0);
  touch t = {0, 0};
  checksum ck;
  uint64_t rows = 0, batches = 0, iob = 0, ioc = 0;
  char ebuf[1200] = "";
  io_delta(ds, &iob, &ioc, 1);
  double t0 = now_s();
  struct ArrowArrayStream st;
  int rc = lancec_dataset_scan(ds, &so, &st, &err);
  if (rc == 0) {
    rc = drain(&st, &t, check ? &ck : NULL, &rows, &batches, ebuf, sizeof ebuf);
    st.release(&st);
  } else {
    snprintf(ebuf, sizeof ebuf, "%s: %s", lancec_status_name(err.code), err.message);
  }
  double secs = now_s() - t0;
  io_delta(ds, &iob, &ioc, 0);
  if (fresh) lancec_dataset_free(ds);
  if (rc) return fail(a, ebuf, NULL);
  sb_add(&a->b,
         "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRIu64 ",\"batches\":%" PRIu64
         ",\"bytes_touched\":%" PRIu64 ",\"touch\":\"%" PRIu64 "\",\"io_bytes\":%" PRIu64
         ",\"io_calls\":%" PRIu64,
         secs, rows, batches, t.bytes, t.sum, iob, ioc);
  if (check) {
    sb_add(&a->b, ",\"checksum\":");
    checksum_json(&a->b, &ck);
  }
  sb_add(&a->b, "}");
}

static void op_count(const req *r, answer *a) {
  const char *path = get(r, "ds", NULL), *filter = get(r, "filter", "");
  lancec_error err;
  lancec_dataset *ds = NULL;
  if (!path) return fail(a, "count: ds= missing", NULL);
  if (dataset_get(&ds, path, 0, &err)) return fail(a, "count: open", &err);
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.filter = *filter ? filter : NULL;
  so.columns_none = 1;
  so.num_threads = (int)get_i(r, "threads", 0);
  uint64_t n = 0, iob = 0, ioc = 0;
  io_delta(ds, &iob, &ioc, 1);
  double t0 = now_s();
  if (so.filter) {
    struct ArrowArrayStream st;
    if (lancec_dataset_scan(ds, &so, &st, &err)) return fail(a, "count: scan", &err);
    for (;;) {
      struct ArrowArray arr;
      if (st.get_next(&st, &arr) != 0) {
        char m[1200];
        snprintf(m, sizeof m, "count: get_next: %s", st.get_last_error(&st));
        st.release(&st);
        return fail(a, m, NULL);
      }
      if (!arr.release) break;
      n += (uint64_t)arr.length;
      arr.release(&arr);
    }
    st.release(&st);
  } else {
    n = lancec_dataset_count_rows(ds);
  }
  double secs = now_s() - t0;
  io_delta(ds, &iob, &ioc, 0);
  if (get_i(r, "check", 0)) {
    uint64_t m = 0;
    if (lancec_dataset_count(ds, filter, &m, &err)) return fail(a, "count: lancec_dataset_count", &err);
    if (m != n) {
      char msg[200];
      snprintf(msg, sizeof msg, "count: lancec_dataset_count says %" PRIu64 ", the scan counted %" PRIu64, m,
               n);
      return fail(a, msg, NULL);
    }
  }
  sb_add(&a->b,
         "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRIu64 ",\"io_bytes\":%" PRIu64 ",\"io_calls\":%" PRIu64
         ",\"checksum\":{\"rows\":\"%" PRIu64 "\"}}",
         secs, n, iob, ioc, n);
}

/* Row ids of the take positions, cached per (dataset, n). */
static struct {
  char path[4096];
  size_t n;
  uint64_t *ids;
} g_rowids;

static int rowids_for(lancec_dataset *ds, const char *path, const uint64_t *offs, size_t n, uint64_t **out,
                      lancec_error *err) {
  if (g_rowids.ids && g_rowids.n == n && !strcmp(g_rowids.path, path)) {
    *out = g_rowids.ids;
    return 0;
  }
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.columns_none = 1;
  so.with_row_id = 1;
  struct ArrowArray arr;
  struct ArrowSchema sch;
  int rc = lancec_dataset_take(ds, offs, n, LANCEC_TAKE_OFFSETS, &so, &arr, &sch, err);
  if (rc) return rc;
  int64_t col = -1;
  for (int64_t i = 0; i < sch.n_children; i++)
    if (!strcmp(sch.children[i]->name, "_rowid")) col = i;
  if (col < 0 || (size_t)arr.length != n) {
    arr.release(&arr);
    sch.release(&sch);
    if (err) {
      err->code = LANCEC_EINTERNAL;
      snprintf(err->message, sizeof err->message, "take with_row_id returned no _rowid column");
    }
    return LANCEC_EINTERNAL;
  }
  free(g_rowids.ids);
  g_rowids.ids = malloc(n * sizeof(uint64_t));
  const struct ArrowArray *c = arr.children[col];
  memcpy(g_rowids.ids, (const uint64_t *)c->buffers[1] + c->offset, n * sizeof(uint64_t));
  g_rowids.n = n;
  snprintf(g_rowids.path, sizeof g_rowids.path, "%s", path);
  arr.release(&arr);
  sch.release(&sch);
  *out = g_rowids.ids;
  return 0;
}

static void op_take(const req *r, answer *a) {
  const char *path = get(r, "ds", NULL), *kind = get(r, "kind", "offsets");
  size_t n = (size_t)get_i(r, "n", 1);
  int check = (int)get_i(r, "check", 0);
  lancec_error err;
  lancec_dataset *ds = NULL;
  if (!path) return fail(a, "take: ds= missing", NULL);
  if (dataset_get(&ds, path, 0, &err)) return fail(a, "take: open", &err);
  uint64_t total = lancec_dataset_count_rows(ds);
  if (n == 0 || n > total) return fail(a, "take: n= must be in 1..rows", NULL);
  uint64_t *offs = malloc(n * sizeof *offs);
  take_offsets(offs, n, total);
  const uint64_t *rows = offs;
  lancec_take_kind k = LANCEC_TAKE_OFFSETS;
  if (!strcmp(kind, "rowids")) {
    uint64_t *ids = NULL;
    if (rowids_for(ds, path, offs, n, &ids, &err)) {
      free(offs);
      return fail(a, "take: row ids", &err);
    }
    rows = ids;
    k = LANCEC_TAKE_ROW_IDS;
  } else if (strcmp(kind, "offsets")) {
    free(offs);
    return fail(a, "take: kind= must be offsets or rowids", NULL);
  }
  char colbuf[4096];
  const char *cols[MAX_COLS];
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  int none = 0;
  parse_cols(get(r, "cols", "*"), colbuf, sizeof colbuf, cols, &so.num_columns, &none);
  so.columns = so.num_columns ? cols : NULL;
  so.columns_none = none;
  so.num_threads = (int)get_i(r, "threads", 0);
  struct ArrowArray arr;
  struct ArrowSchema sch;
  uint64_t iob = 0, ioc = 0;
  touch t = {0, 0};
  io_delta(ds, &iob, &ioc, 1);
  double t0 = now_s();
  int rc = lancec_dataset_take(ds, rows, n, k, &so, &arr, &sch, &err);
  if (rc == 0) touch_array(&t, &sch, &arr);
  double secs = now_s() - t0;
  io_delta(ds, &iob, &ioc, 0);
  free(offs);
  if (rc) return fail(a, "take", &err);
  sb_add(&a->b,
         "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRId64 ",\"bytes_touched\":%" PRIu64
         ",\"touch\":\"%" PRIu64 "\",\"io_bytes\":%" PRIu64 ",\"io_calls\":%" PRIu64,
         secs, arr.length, t.bytes, t.sum, iob, ioc);
  if (check) {
    checksum ck;
    checksum_init(&ck, &sch);
    checksum_batch(&ck, &arr);
    sb_add(&a->b, ",\"checksum\":");
    checksum_json(&a->b, &ck);
  }
  sb_add(&a->b, "}");
  arr.release(&arr);
  sch.release(&sch);
}

/* ---- in-memory input for writes ---------------------------------------------------- */

typedef struct mem_table {
  struct ArrowSchema schema;
  struct ArrowArray *batches;
  size_t n, cap;
  uint64_t rows;
  uint64_t bytes; /* bytes of every buffer (what the consumer touches) */
} mem_table;

static void mem_table_free(mem_table *m) {
  for (size_t i = 0; i < m->n; i++)
    if (m->batches[i].release) m->batches[i].release(&m->batches[i]);
  free(m->batches);
  if (m->schema.release) m->schema.release(&m->schema);
  memset(m, 0, sizeof *m);
}

/* The first `rows` rows of `path` (all columns), in batches of `batch` rows. */
static int mem_table_load(mem_table *m, const char *path, int64_t rows, int64_t batch, char *ebuf,
                          size_t esz) {
  memset(m, 0, sizeof *m);
  lancec_error err;
  lancec_dataset *ds = NULL;
  if (dataset_get(&ds, path, 0, &err)) {
    snprintf(ebuf, esz, "open %s: %s", path, err.message);
    return -1;
  }
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.limit = rows;
  so.batch_size = batch;
  struct ArrowArrayStream st;
  if (lancec_dataset_scan(ds, &so, &st, &err)) {
    snprintf(ebuf, esz, "scan %s: %s", path, err.message);
    return -1;
  }
  if (st.get_schema(&st, &m->schema)) {
    snprintf(ebuf, esz, "get_schema: %s", st.get_last_error(&st));
    st.release(&st);
    return -1;
  }
  for (;;) {
    struct ArrowArray arr;
    if (st.get_next(&st, &arr)) {
      snprintf(ebuf, esz, "get_next: %s", st.get_last_error(&st));
      st.release(&st);
      mem_table_free(m);
      return -1;
    }
    if (!arr.release) break;
    if (m->n == m->cap) {
      m->cap = m->cap ? m->cap * 2 : 64;
      m->batches = realloc(m->batches, m->cap * sizeof *m->batches);
    }
    touch t = {0, 0};
    touch_array(&t, &m->schema, &arr);
    m->bytes += t.bytes;
    m->rows += (uint64_t)arr.length;
    m->batches[m->n++] = arr;
  }
  st.release(&st);
  return 0;
}

/* A stream handing out (moving) batches [from, to) of a mem_table, and a copy of its schema. */
typedef struct mem_stream {
  mem_table *m;
  size_t next, end;
} mem_stream;

static int copy_schema(struct ArrowSchema *out, const struct ArrowSchema *in);

static int ms_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  mem_stream *ms = s->private_data;
  return copy_schema(out, &ms->m->schema);
}
static int ms_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  mem_stream *ms = s->private_data;
  if (ms->next >= ms->end) {
    memset(out, 0, sizeof *out);
    return 0;
  }
  *out = ms->m->batches[ms->next];
  memset(&ms->m->batches[ms->next], 0, sizeof(struct ArrowArray));
  ms->next++;
  return 0;
}
static const char *ms_err(struct ArrowArrayStream *s) {
  (void)s;
  return "";
}
static void ms_release(struct ArrowArrayStream *s) {
  free(s->private_data);
  s->release = NULL;
}
static void mem_stream_make(struct ArrowArrayStream *s, mem_table *m, size_t from, size_t to) {
  mem_stream *ms = calloc(1, sizeof *ms);
  ms->m = m;
  ms->next = from;
  ms->end = to;
  s->get_schema = ms_schema;
  s->get_next = ms_next;
  s->get_last_error = ms_err;
  s->release = ms_release;
  s->private_data = ms;
}

/* Deep copy of an ArrowSchema (format, name, metadata, flags, children, dictionary). */
typedef struct schema_priv {
  char *format, *name, *metadata;
} schema_priv;

static void schema_release(struct ArrowSchema *s) {
  schema_priv *p = s->private_data;
  for (int64_t i = 0; i < s->n_children; i++) {
    if (s->children[i]->release) s->children[i]->release(s->children[i]);
    free(s->children[i]);
  }
  free(s->children);
  if (s->dictionary) {
    if (s->dictionary->release) s->dictionary->release(s->dictionary);
    free(s->dictionary);
  }
  free(p->format);
  free(p->name);
  free(p->metadata);
  free(p);
  s->release = NULL;
}

static size_t metadata_len(const char *md) {
  if (!md) return 0;
  int32_t n, l;
  size_t pos = 4;
  memcpy(&n, md, 4);
  for (int32_t i = 0; i < n; i++) {
    memcpy(&l, md + pos, 4);
    pos += 4 + (size_t)l;
    memcpy(&l, md + pos, 4);
    pos += 4 + (size_t)l;
  }
  return pos;
}

static int copy_schema(struct ArrowSchema *out, const struct ArrowSchema *in) {
  memset(out, 0, sizeof *out);
  schema_priv *p = calloc(1, sizeof *p);
  if (!p) return ENOMEM;
  p->format = strdup(in->format);
  p->name = in->name ? strdup(in->name) : NULL;
  size_t ml = metadata_len(in->metadata);
  if (ml) {
    p->metadata = malloc(ml);
    memcpy(p->metadata, in->metadata, ml);
  }
  out->format = p->format;
  out->name = p->name;
  out->metadata = p->metadata;
  out->flags = in->flags;
  out->n_children = in->n_children;
  out->children = in->n_children ? calloc((size_t)in->n_children, sizeof(struct ArrowSchema *)) : NULL;
  for (int64_t i = 0; i < in->n_children; i++) {
    out->children[i] = calloc(1, sizeof(struct ArrowSchema));
    copy_schema(out->children[i], in->children[i]);
  }
  if (in->dictionary) {
    out->dictionary = calloc(1, sizeof(struct ArrowSchema));
    copy_schema(out->dictionary, in->dictionary);
  }
  out->release = schema_release;
  out->private_data = p;
  return 0;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

static void rm_rf(const char *path) {
  nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t g_du;
static int du_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)p;
  (void)ftw;
  if (flag == FTW_F) g_du += (uint64_t)sb->st_size;
  return 0;
}
static uint64_t du(const char *path) {
  g_du = 0;
  nftw(path, du_cb, 16, FTW_PHYS);
  return g_du;
}

static void op_write(const req *r, answer *a) {
  const char *src = get(r, "src", NULL), *out = get(r, "out", NULL), *fmt = get(r, "fmt", NULL);
  int64_t rows = get_i(r, "rows", -1);
  if (!src || !out) return fail(a, "write: src= and out= needed", NULL);
  mem_table m;
  char ebuf[1200];
  if (mem_table_load(&m, src, rows, 65536, ebuf, sizeof ebuf)) return fail(a, ebuf, NULL);
  dataset_forget(out);
  rm_rf(out);
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.data_storage_version = fmt && *fmt ? fmt : NULL;
  struct ArrowArrayStream s;
  mem_stream_make(&s, &m, 0, m.n);
  lancec_write_result res;
  lancec_error err;
  double t0 = now_s();
  int rc = lancec_write(out, &s, &o, &res, &err);
  double secs = now_s() - t0;
  if (s.release) s.release(&s);
  uint64_t in_rows = m.rows, in_bytes = m.bytes;
  mem_table_free(&m);
  if (rc) return fail(a, "write", &err);
  sb_add(&a->b,
         "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRIu64 ",\"input_bytes\":%" PRIu64
         ",\"bytes_on_disk\":%" PRIu64 ",\"fragments\":%" PRIu64 "}",
         secs, in_rows, in_bytes, du(out), res.num_fragments);
}

static void op_append(const req *r, answer *a) {
  const char *src = get(r, "src", NULL), *out = get(r, "out", NULL), *fmt = get(r, "fmt", NULL);
  int64_t k = get_i(r, "batches", 10), b = get_i(r, "batch_rows", 1000);
  if (!src || !out || k < 1 || b < 1)
    return fail(a, "append: src=, out=, batches>=1, batch_rows>=1 needed", NULL);
  mem_table m;
  char ebuf[1200];
  if (mem_table_load(&m, src, (k + 1) * b, b, ebuf, sizeof ebuf)) return fail(a, ebuf, NULL);
  if (m.n < 2) {
    mem_table_free(&m);
    return fail(a, "append: the source table is too small", NULL);
  }
  dataset_forget(out);
  rm_rf(out);
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.data_storage_version = fmt && *fmt ? fmt : NULL;
  lancec_error err;
  struct ArrowArrayStream s;
  mem_stream_make(&s, &m, 0, 1);
  int rc = lancec_write(out, &s, &o, NULL, &err);
  if (s.release) s.release(&s);
  if (rc) {
    mem_table_free(&m);
    return fail(a, "append: create", &err);
  }
  o.mode = LANCEC_WRITE_APPEND;
  uint64_t appended = 0;
  double t0 = now_s();
  for (size_t i = 1; i < m.n && rc == 0; i++) {
    appended += (uint64_t)m.batches[i].length;
    mem_stream_make(&s, &m, i, i + 1);
    rc = lancec_write(out, &s, &o, NULL, &err);
    if (s.release) s.release(&s);
  }
  double secs = now_s() - t0;
  size_t appends = m.n - 1;
  mem_table_free(&m);
  if (rc) return fail(a, "append", &err);
  sb_add(&a->b,
         "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRIu64 ",\"appends\":%zu,\"bytes_on_disk\":%" PRIu64 "}",
         secs, appended, appends, du(out));
}

static void op_copy(const req *r, answer *a) {
  const char *src = get(r, "src", NULL), *out = get(r, "out", NULL), *fmt = get(r, "fmt", NULL);
  if (!src || !out) return fail(a, "copy: src= and out= needed", NULL);
  lancec_error err;
  lancec_dataset *ds = NULL;
  if (dataset_get(&ds, src, 0, &err)) return fail(a, "copy: open", &err);
  dataset_forget(out);
  rm_rf(out);
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.num_threads = (int)get_i(r, "threads", 0);
  struct ArrowArrayStream st;
  if (lancec_dataset_scan(ds, &so, &st, &err)) return fail(a, "copy: scan", &err);
  lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
  o.data_storage_version = fmt && *fmt ? fmt : NULL;
  lancec_write_result res;
  double t0 = now_s();
  int rc = lancec_write(out, &st, &o, &res, &err);
  double secs = now_s() - t0;
  if (st.release) st.release(&st);
  if (rc) return fail(a, "copy: write", &err);
  sb_add(&a->b, "{\"ok\":true,\"seconds\":%.6f,\"rows\":%" PRIu64 ",\"bytes_on_disk\":%" PRIu64 "}", secs,
         lancec_dataset_count_rows(ds), du(out));
}

static void op_io(const req *r, answer *a) {
  const char *path = get(r, "ds", NULL);
  if (!path) return fail(a, "io: ds= missing", NULL);
  char colbuf[4096];
  const char *cols[MAX_COLS];
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  int none = 0;
  parse_cols(get(r, "cols", "*"), colbuf, sizeof colbuf, cols, &so.num_columns, &none);
  so.columns = so.num_columns ? cols : NULL;
  so.columns_none = none;
  so.filter = get(r, "filter", NULL);
  if (so.filter && !*so.filter) so.filter = NULL;
  so.num_threads = (int)get_i(r, "threads", 1);
  so.no_index = (int)get_i(r, "no_index", 0);
  lancec_error err;
  lancec_dataset *ds = NULL;
  char *plan = NULL;
  if (lancec_dataset_open(&ds, path, NULL, &err)) return fail(a, "io: open", &err);
  if (lancec_dataset_explain(ds, &so, &plan, &err)) plan = NULL;
  lancec_dataset_free(ds);
  /* a fresh handle again: the explain above must not warm anything */
  if (lancec_dataset_open(&ds, path, NULL, &err)) return fail(a, "io: open", &err);
  uint64_t b0, c0, b1, c1, rows = 0, batches = 0;
  lancec_dataset_io_stats(ds, &b0, &c0);
  struct ArrowArrayStream st;
  touch t = {0, 0};
  char ebuf[1200];
  if (lancec_dataset_scan(ds, &so, &st, &err)) {
    lancec_dataset_free(ds);
    lancec_free(plan);
    return fail(a, "io: scan", &err);
  }
  int rc = drain(&st, &t, NULL, &rows, &batches, ebuf, sizeof ebuf);
  st.release(&st);
  lancec_dataset_io_stats(ds, &b1, &c1);
  lancec_dataset_free(ds);
  if (rc) {
    lancec_free(plan);
    return fail(a, ebuf, NULL);
  }
  sb_add(&a->b,
         "{\"ok\":true,\"rows\":%" PRIu64 ",\"io_bytes\":%" PRIu64 ",\"io_calls\":%" PRIu64
         ",\"open_bytes\":%" PRIu64 ",\"plan\":",
         rows, b1 - b0, c1 - c0, b0);
  sb_json_str(&a->b, plan ? plan : "");
  sb_add(&a->b, "}");
  lancec_free(plan);
}

/* ---- page cache ----------------------------------------------------------------- */

static uint64_t g_resident, g_size, g_files;
static int g_do_drop;

static int drop_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_F || sb->st_size == 0) return 0;
  int fd = open(p, O_RDONLY);
  if (fd < 0) return 0;
  if (g_do_drop) {
    (void)fdatasync(fd);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  }
  long pg = sysconf(_SC_PAGESIZE);
  size_t len = (size_t)sb->st_size;
  void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  if (m != MAP_FAILED) {
    size_t np = (len + (size_t)pg - 1) / (size_t)pg;
    unsigned char *vec = malloc(np);
    if (vec && mincore(m, len, vec) == 0)
      for (size_t i = 0; i < np; i++)
        if (vec[i] & 1) g_resident += (uint64_t)pg;
    free(vec);
    munmap(m, len);
  }
  close(fd);
  g_size += (uint64_t)sb->st_size;
  g_files++;
  return 0;
}

/* Bytes of the files under `dir` in the page cache; with drop, evict them first. */
static uint64_t residency(const char *dir, int drop) {
  g_resident = g_size = g_files = 0;
  g_do_drop = drop;
  nftw(dir, drop_cb, 16, FTW_PHYS);
  return g_resident;
}

static void op_drop(const req *r, answer *a) {
  const char *dir = get(r, "ds", NULL);
  if (!dir) return fail(a, "drop: ds= missing", NULL);
  uint64_t before = residency(dir, 0);
  uint64_t after = residency(dir, 1);
  const char *method = "posix_fadvise";
  if (after > g_size / 10) {
    FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
    if (f) {
      sync();
      fputs("1\n", f);
      fclose(f);
      method = "drop_caches";
      after = residency(dir, 0);
    }
  }
  sb_add(&a->b,
         "{\"ok\":true,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"resident_before\":%" PRIu64
         ",\"resident_after\":%" PRIu64 ",\"method\":\"%s\"}",
         g_files, g_size, before, after, method);
}

/* syncfs() of the file system holding ds=: no dirty pages left for the next timed write */
static void op_sync(const req *r, answer *a) {
  const char *dir = get(r, "ds", NULL);
  if (!dir) return fail(a, "sync: ds= missing", NULL);
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return fail(a, "sync: cannot open the folder", NULL);
  double t0 = now_s();
  int rc = syncfs(fd);
  double secs = now_s() - t0;
  close(fd);
  if (rc) return fail(a, "sync: syncfs failed", NULL);
  sb_add(&a->b, "{\"ok\":true,\"seconds\":%.6f}", secs);
}

/* ---- dispatch ------------------------------------------------------------------- */

static void handle(const req *r, answer *a) {
  const char *op = get(r, "op", "");
  a->b.len = 0;
  a->failed = 0;
  if (!strcmp(op, "scan"))
    op_scan(r, a);
  else if (!strcmp(op, "count"))
    op_count(r, a);
  else if (!strcmp(op, "take"))
    op_take(r, a);
  else if (!strcmp(op, "write"))
    op_write(r, a);
  else if (!strcmp(op, "append"))
    op_append(r, a);
  else if (!strcmp(op, "copy"))
    op_copy(r, a);
  else if (!strcmp(op, "io"))
    op_io(r, a);
  else if (!strcmp(op, "drop"))
    op_drop(r, a);
  else if (!strcmp(op, "sync"))
    op_sync(r, a);
  else if (!strcmp(op, "ping"))
    sb_add(&a->b, "{\"ok\":true,\"lancec\":\"%s\"}", lancec_version());
  else {
    char m[200];
    snprintf(m, sizeof m, "unknown op '%s'", op);
    fail(a, m, NULL);
  }
}

static void usage(void) {
  fprintf(stderr,
          "usage: lancec_bench serve\n"
          "       lancec_bench run op=scan ds=DIR [cols=..] [filter=..] [threads=N] [reps=N] ...\n"
          "       lancec_bench drop DIR\n"
          "(requests: see the comment at the top of bench/lancec_bench.c)\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  answer a = {{NULL, 0, 0}, 0};
  if (!strcmp(argv[1], "serve")) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
      if (len == 0) continue;
      req r = {0};
      int bad = 0;
      for (char *save = NULL, *t = strtok_r(line, "\t", &save); t; t = strtok_r(NULL, "\t", &save))
        if (add_kv(&r, t)) bad = 1;
      if (bad)
        fail(&a, "malformed request (tab-separated key=value pairs expected)", NULL);
      else
        handle(&r, &a);
      fwrite(a.b.p, 1, a.b.len, stdout);
      fputc('\n', stdout);
      fflush(stdout);
    }
    free(line);
  } else if (!strcmp(argv[1], "run")) {
    req r = {0};
    for (int i = 2; i < argc; i++)
      if (add_kv(&r, argv[i])) {
        usage();
        return 2;
      }
    int64_t reps = get_i(&r, "reps", 1);
    for (int64_t i = 0; i < reps; i++) {
      handle(&r, &a);
      fwrite(a.b.p, 1, a.b.len, stdout);
      fputc('\n', stdout);
      if (a.failed) break;
    }
  } else if (!strcmp(argv[1], "drop") && argc == 3) {
    req r = {0};
    char kv[4200];
    snprintf(kv, sizeof kv, "ds=%s", argv[2]);
    add_kv(&r, kv);
    op_drop(&r, &a);
    fwrite(a.b.p, 1, a.b.len, stdout);
    fputc('\n', stdout);
  } else {
    usage();
    return 2;
  }
  for (int i = 0; i < g_nds; i++) {
    lancec_dataset_free(g_ds[i].ds);
    free(g_ds[i].path);
  }
  free(g_rowids.ids);
  free(a.b.p);
  return a.failed ? 1 : 0;
}
