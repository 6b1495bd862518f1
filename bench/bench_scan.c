/*
 * bench_scan: full-scan throughput of lancec (public API only).
 *
 *   bench_scan DATASET_DIR [--threads N] [--reps N] [--warmup N] [--batch-size N]
 *
 * Opens the dataset once, then runs --warmup untimed and --reps timed full
 * scans (lancec_dataset_scan with num_threads = --threads) and consumes the
 * ArrowArrayStream: every buffer of every array is read once (its bytes are
 * summed as 64-bit words into "touch"), the "id" column (int64) is summed and
 * the value bytes of the "s" column (utf8) are counted.  Prints one JSON line
 * with the same checksum fields as bench/lance_scan.mjs:
 *   {"impl":"lancec", "rows_per_s":..., "seconds":[...], "checksum":{"rows":..,"sum_id":"..","s_bytes":..}, ...}
 * Exit status: 0 ok, 1 scan error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lancec.h"

typedef struct acc {
  uint64_t rows;
  uint64_t sum_id;
  uint64_t s_bytes;
  uint64_t touch;
  uint64_t bytes_touched;
  uint64_t batches;
} acc;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void touch_bytes(acc *a, const void *p, size_t n) {
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
  a->touch += s;
  a->bytes_touched += n;
}

/* Byte width of a fixed-width Arrow format, 0 if not fixed width. */
static size_t fixed_width(const char *f) {
  if (f[0] && f[1] == '\0') {
    switch (f[0]) {
      case 'c': case 'C': return 1;
      case 's': case 'S': case 'e': return 2;
      case 'i': case 'I': case 'f': return 4;
      case 'l': case 'L': case 'g': return 8;
      default: return 0;
    }
  }
  if (!strcmp(f, "tdD") || !strcmp(f, "tts") || !strcmp(f, "ttm")) return 4;
  if (!strncmp(f, "td", 2) || !strncmp(f, "tt", 2) || !strncmp(f, "ts", 2) || !strncmp(f, "tD", 2)) return 8;
  if (!strncmp(f, "d:", 2)) {
    /* d:P,S[,BW] */
    const char *c = strchr(f + 2, ',');
    c = c ? strchr(c + 1, ',') : NULL;
    return c ? (size_t)atoi(c + 1) / 8 : 16;
  }
  if (f[0] == 'w' && f[1] == ':') return (size_t)atoi(f + 2);
  return 0;
}

/* Read every buffer of `arr` (type `sch`) once. */
static void touch_array(acc *a, const struct ArrowSchema *sch, const struct ArrowArray *arr) {
  const char *f = sch->format;
  int64_t len = arr->length, off = arr->offset;
  if (arr->n_buffers > 0 && arr->buffers[0] && arr->null_count != 0)
    touch_bytes(a, arr->buffers[0], (size_t)((len + off + 7) / 8));
  size_t w = fixed_width(f);
  if (w && arr->n_buffers >= 2) {
    touch_bytes(a, (const char *)arr->buffers[1] + (size_t)off * w, (size_t)len * w);
  } else if (!strcmp(f, "b") && arr->n_buffers >= 2) {
    touch_bytes(a, arr->buffers[1], (size_t)((len + off + 7) / 8));
  } else if ((!strcmp(f, "u") || !strcmp(f, "z")) && arr->n_buffers >= 3) {
    const int32_t *o = (const int32_t *)arr->buffers[1] + off;
    touch_bytes(a, o, (size_t)(len + 1) * 4);
    if (len > 0) touch_bytes(a, (const char *)arr->buffers[2] + o[0], (size_t)(o[len] - o[0]));
  } else if ((!strcmp(f, "U") || !strcmp(f, "Z")) && arr->n_buffers >= 3) {
    const int64_t *o = (const int64_t *)arr->buffers[1] + off;
    touch_bytes(a, o, (size_t)(len + 1) * 8);
    if (len > 0) touch_bytes(a, (const char *)arr->buffers[2] + o[0], (size_t)(o[len] - o[0]));
  } else if ((!strcmp(f, "+l") || !strcmp(f, "+m")) && arr->n_buffers >= 2) {
    touch_bytes(a, (const int32_t *)arr->buffers[1] + off, (size_t)(len + 1) * 4);
  } else if (!strcmp(f, "+L") && arr->n_buffers >= 2) {
    touch_bytes(a, (const int64_t *)arr->buffers[1] + off, (size_t)(len + 1) * 8);
  }
  /* children (struct, lists, fixed_size_list, map): whole child arrays */
  for (int64_t i = 0; i < arr->n_children && i < sch->n_children; i++)
    touch_array(a, sch->children[i], arr->children[i]);
  if (arr->dictionary && sch->dictionary) touch_array(a, sch->dictionary, arr->dictionary);
}

static int scan_once(const lancec_dataset *ds, int threads, int64_t batch_size, acc *a, double *secs) {
  memset(a, 0, sizeof *a);
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  so.num_threads = threads;
  so.batch_size = batch_size;
  struct ArrowArrayStream st;
  lancec_error err;
  double t0 = now_s();
  if (lancec_dataset_scan(ds, &so, &st, &err) != LANCEC_OK) {
    fprintf(stderr, "bench_scan: scan: %s: %s\n", lancec_status_name(err.code), err.message);
    return -1;
  }
  struct ArrowSchema sch;
  if (st.get_schema(&st, &sch) != 0) {
    fprintf(stderr, "bench_scan: get_schema: %s\n", st.get_last_error(&st));
    st.release(&st);
    return -1;
  }
  int64_t id_col = -1, s_col = -1;
  for (int64_t i = 0; i < sch.n_children; i++) {
    const struct ArrowSchema *c = sch.children[i];
    if (c->name && !strcmp(c->name, "id") && !strcmp(c->format, "l")) id_col = i;
    if (c->name && !strcmp(c->name, "s") && (!strcmp(c->format, "u") || !strcmp(c->format, "U"))) s_col = i;
  }
  int rc = 0;
  for (;;) {
    struct ArrowArray arr;
    memset(&arr, 0, sizeof arr);
    int e = st.get_next(&st, &arr);
    if (e != 0) {
      const char *m = st.get_last_error(&st);
      fprintf(stderr, "bench_scan: get_next: %s (%s)\n", m ? m : "?", strerror(e));
      rc = -1;
      break;
    }
    if (arr.release == NULL) break; /* end of stream */
    a->rows += (uint64_t)arr.length;
    a->batches++;
    touch_array(a, &sch, &arr);
    if (id_col >= 0) {
      const struct ArrowArray *c = arr.children[id_col];
      const int64_t *v = (const int64_t *)c->buffers[1] + c->offset;
      uint64_t s = 0;
      for (int64_t i = 0; i < c->length; i++) s += (uint64_t)v[i];
      a->sum_id += s;
    }
    if (s_col >= 0) {
      const struct ArrowArray *c = arr.children[s_col];
      if (!strcmp(sch.children[s_col]->format, "u")) {
        const int32_t *o = (const int32_t *)c->buffers[1] + c->offset;
        a->s_bytes += (uint64_t)(o[c->length] - o[0]);
      } else {
        const int64_t *o = (const int64_t *)c->buffers[1] + c->offset;
        a->s_bytes += (uint64_t)(o[c->length] - o[0]);
      }
    }
    arr.release(&arr);
  }
  *secs = now_s() - t0;
  sch.release(&sch);
  st.release(&st);
  return rc;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_scan DATASET_DIR [--threads N] [--reps N] [--warmup N] [--batch-size N]\n");
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  int threads = 0, reps = 5, warmup = 1;
  int64_t batch_size = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch-size") && i + 1 < argc) batch_size = atoll(argv[++i]);
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { usage(); return 0; }
    else if (argv[i][0] != '-' && !dir) dir = argv[i];
    else { usage(); return 2; }
  }
  if (!dir || reps < 1 || reps > 1000 || warmup < 0) { usage(); return 2; }

  lancec_dataset *ds = NULL;
  lancec_error err;
  if (lancec_dataset_open(&ds, dir, NULL, &err) != LANCEC_OK) {
    fprintf(stderr, "bench_scan: open %s: %s: %s\n", dir, lancec_status_name(err.code), err.message);
    return 1;
  }
  acc a, first;
  memset(&first, 0, sizeof first);
  double secs;
  for (int i = 0; i < warmup; i++) {
    if (scan_once(ds, threads, batch_size, &a, &secs) != 0) { lancec_dataset_free(ds); return 1; }
  }
  double *times = calloc((size_t)reps, sizeof *times);
  if (!times) return 1;
  for (int i = 0; i < reps; i++) {
    if (scan_once(ds, threads, batch_size, &a, &times[i]) != 0) { free(times); lancec_dataset_free(ds); return 1; }
    if (i == 0) first = a;
    else if (a.rows != first.rows || a.sum_id != first.sum_id || a.touch != first.touch) {
      fprintf(stderr, "bench_scan: checksum changed between repetitions\n");
      free(times);
      lancec_dataset_free(ds);
      return 1;
    }
  }
  double *sorted = malloc((size_t)reps * sizeof *sorted);
  if (!sorted) return 1;
  memcpy(sorted, times, (size_t)reps * sizeof *sorted);
  qsort(sorted, (size_t)reps, sizeof *sorted, cmp_double);
  double median = sorted[reps / 2];

  printf("{\"impl\":\"lancec\",\"lancec\":\"%s\",\"dataset\":\"%s\",\"threads\":%d,\"warmup\":%d,\"seconds\":[",
         lancec_version(), dir, threads, warmup);
  for (int i = 0; i < reps; i++) printf("%s%.4f", i ? "," : "", times[i]);
  printf("],\"median_s\":%.4f,\"best_s\":%.4f,\"rows_per_s\":%.0f,\"batches\":%" PRIu64
         ",\"bytes_touched\":%" PRIu64 ",\"touch\":\"%" PRIu64 "\","
         "\"checksum\":{\"rows\":%" PRIu64 ",\"sum_id\":\"%" PRIu64 "\",\"s_bytes\":%" PRIu64 "}}\n",
         median, sorted[0], median > 0 ? (double)a.rows / median : 0.0, a.batches, a.bytes_touched, a.touch,
         a.rows, a.sum_id, a.s_bytes);
  free(sorted);
  free(times);
  lancec_dataset_free(ds);
  return 0;
}
