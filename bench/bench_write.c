/*
 * bench_write: write throughput of lancec_write (create) for the benchmark table.
 *
 *   bench_write INPUT.arrows OUT_DIR [--reps N]
 *
 * INPUT is an Arrow IPC stream (e.g. `lancec scan TABLE --format arrow`). Each
 * repetition loads it into memory first (untimed), then times lancec_write in
 * create mode into OUT_DIR/rep<i>.lance (removed before the next repetition;
 * the last one is kept so its size on disk can be measured). Prints one JSON
 * line: input bytes, seconds per repetition, MB/s of the median, rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrow/ipc.h"
#include "lancec.h"

typedef struct mem_stream {
  struct ArrowSchema schema;
  struct ArrowArray *batches;
  size_t n, next;
} mem_stream;

static int ms_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  mem_stream *m = s->private_data;
  lancec_error err;
  const lc_field *f = NULL;
  (void)f;
  /* hand out a deep copy through the IPC field conversion */
  lc_field *copy = NULL;
  if (lc_ipc_field_from_arrow(&copy, &m->schema, &err)) return EINVAL;
  int rc = lc_ipc_field_to_arrow(copy, out, &err);
  lc_ipc_field_free(copy);
  return rc ? EINVAL : 0;
}
static int ms_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  mem_stream *m = s->private_data;
  if (m->next >= m->n) {
    memset(out, 0, sizeof(*out));
    return 0;
  }
  *out = m->batches[m->next];
  memset(&m->batches[m->next], 0, sizeof(struct ArrowArray));
  m->next++;
  return 0;
}
static const char *ms_err(struct ArrowArrayStream *s) {
  (void)s;
  return NULL;
}
static void ms_release(struct ArrowArrayStream *s) {
  mem_stream *m = s->private_data;
  for (size_t i = 0; i < m->n; i++)
    if (m->batches[i].release) m->batches[i].release(&m->batches[i]);
  free(m->batches);
  if (m->schema.release) m->schema.release(&m->schema);
  free(m);
  s->release = NULL;
}

static int load(const char *path, struct ArrowArrayStream *out, uint64_t *bytes, uint64_t *rows) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    fprintf(stderr, "bench_write: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  fseek(fp, 0, SEEK_END);
  *bytes = (uint64_t)ftell(fp);
  fseek(fp, 0, SEEK_SET);
  lancec_error err;
  lc_ipc_reader *r = NULL;
  if (lc_ipc_reader_new_file(&r, fp, &err)) {
    fprintf(stderr, "bench_write: %s\n", err.message);
    fclose(fp);
    return -1;
  }
  mem_stream *m = calloc(1, sizeof(*m));
  lc_ipc_reader_schema(r, &m->schema, &err);
  size_t cap = 0;
  *rows = 0;
  for (;;) {
    struct ArrowArray a;
    if (lc_ipc_reader_next(r, &a, &err)) {
      fprintf(stderr, "bench_write: %s\n", err.message);
      return -1;
    }
    if (!a.release) break;
    if (m->n == cap) {
      cap = cap ? cap * 2 : 64;
      m->batches = realloc(m->batches, cap * sizeof(*m->batches));
    }
    *rows += (uint64_t)a.length;
    m->batches[m->n++] = a;
  }
  lc_ipc_reader_free(r);
  fclose(fp);
  out->get_schema = ms_schema;
  out->get_next = ms_next;
  out->get_last_error = ms_err;
  out->release = ms_release;
  out->private_data = m;
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_write INPUT.arrows OUT_DIR [--reps N]\n");
    return 2;
  }
  int reps = 3;
  for (int i = 3; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
  if (reps < 1) reps = 1;
  double secs[64];
  if (reps > 64) reps = 64;
  uint64_t bytes = 0, rows = 0;
  char path[4096];
  for (int i = 0; i < reps; i++) {
    struct ArrowArrayStream s;
    if (load(argv[1], &s, &bytes, &rows)) return 1;
    snprintf(path, sizeof path, "%s/rep%d.lance", argv[2], i);
    if (i > 0) {
      char prev[4200];
      snprintf(prev, sizeof prev, "rm -rf '%s/rep%d.lance'", argv[2], i - 1);
      if (system(prev) != 0) fprintf(stderr, "bench_write: could not remove the previous repetition\n");
    }
    lancec_write_options o = LANCEC_WRITE_OPTIONS_INIT;
    lancec_write_result res;
    lancec_error err;
    double t0 = now_s();
    int rc = lancec_write(path, &s, &o, &res, &err);
    secs[i] = now_s() - t0;
    if (s.release) s.release(&s);
    if (rc) {
      fprintf(stderr, "bench_write: %s\n", err.message);
      return 1;
    }
  }
  double sorted[64];
  memcpy(sorted, secs, sizeof(double) * (size_t)reps);
  qsort(sorted, (size_t)reps, sizeof(double), cmp_d);
  double med = sorted[reps / 2];
  printf("{\"impl\":\"lancec\",\"rows\":%" PRIu64 ",\"input_bytes\":%" PRIu64 ",\"seconds\":[", rows, bytes);
  for (int i = 0; i < reps; i++) printf("%s%.4f", i ? "," : "", secs[i]);
  printf("],\"median_s\":%.4f,\"mb_per_s\":%.1f,\"dataset\":\"%s\"}\n", med, (double)bytes / med / 1e6, path);
  return 0;
}
