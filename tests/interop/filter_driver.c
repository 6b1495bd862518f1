/* Test driver for tests/interop/test_filter_diff.sh (filter_diff.mjs): runs
 * many SQL filters over one dataset through the public scan API and prints
 * the matching row ids, one line per filter, so that thousands of filters
 * cost one process instead of thousands of `lancec scan` runs.
 *
 * usage: filter_driver DATASET_URI < requests > answers
 *
 * Request (one per line, fields separated by TAB):
 *     threads <TAB> limit <TAB> offset <TAB> filter
 *   threads <= 0: default; limit < 0: none. In the filter, backslash,
 *   newline, CR and TAB are written \\, \n, \r and \t.
 * Answer (one line per request):
 *     OK <n> <id> <id> ...      the _rowid values in the order the scan returned them
 *     ERR <status> <message>    the scan (or its stream) failed; message on one line
 *
 * Exit status: 0 when every request got an answer (errors included), 2 on a
 * usage or setup problem (dataset does not open). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lancec.h"

static void print_err(int code, const char *msg) {
  printf("ERR %s ", lancec_status_name(code));
  for (const char *p = msg ? msg : ""; *p; p++) putchar((*p == '\n' || *p == '\r') ? ' ' : *p);
  putchar('\n');
}

/* Row ids of one scan into *ids (grown as needed). Returns 0 or an error
 * already printed (nonzero). */
static int run_one(const lancec_dataset *ds, int threads, int64_t limit, int64_t offset, const char *filter,
                   uint64_t **ids, size_t *cap) {
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  o.filter = filter;
  o.with_row_id = 1;
  o.columns_none = 1;
  o.num_threads = threads;
  o.limit = limit;
  o.offset = offset;
  o.batch_size = 3000; /* several batches per fragment: exercises batch edges */
  struct ArrowArrayStream st;
  lancec_error err;
  memset(&err, 0, sizeof err);
  int rc = lancec_dataset_scan(ds, &o, &st, &err);
  if (rc != 0) {
    print_err(rc, err.message);
    return 1;
  }
  size_t n = 0;
  int failed = 0;
  for (;;) {
    struct ArrowArray a;
    memset(&a, 0, sizeof a);
    int e = st.get_next(&st, &a);
    if (e != 0) {
      const char *m = st.get_last_error(&st);
      printf("ERR errno%d ", e);
      for (const char *p = m ? m : ""; *p; p++) putchar((*p == '\n' || *p == '\r') ? ' ' : *p);
      putchar('\n');
      failed = 1;
      break;
    }
    if (a.release == NULL) break; /* end of stream */
    /* _rowid is the last child (no other column projected). */
    if (a.n_children < 1) {
      a.release(&a);
      printf("ERR driver batch without a _rowid child\n");
      failed = 1;
      break;
    }
    const struct ArrowArray *c = a.children[a.n_children - 1];
    const uint64_t *v = (const uint64_t *)c->buffers[1];
    if (n + (size_t)c->length > *cap) {
      size_t nc = (*cap ? *cap * 2 : 4096);
      while (nc < n + (size_t)c->length) nc *= 2;
      uint64_t *p = realloc(*ids, nc * sizeof *p);
      if (!p) {
        a.release(&a);
        printf("ERR driver out of memory\n");
        failed = 1;
        break;
      }
      *ids = p;
      *cap = nc;
    }
    for (int64_t i = 0; i < c->length; i++) (*ids)[n++] = v[c->offset + i];
    a.release(&a);
  }
  st.release(&st);
  if (failed) return 1;
  printf("OK %zu", n);
  for (size_t i = 0; i < n; i++) printf(" %llu", (unsigned long long)(*ids)[i]);
  putchar('\n');
  return 0;
}

/* Undo the request escaping in place. */
static void unescape(char *s) {
  char *w = s;
  for (const char *r = s; *r; r++) {
    if (*r == '\\' && r[1]) {
      r++;
      *w++ = *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r == 't' ? '\t' : *r;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: filter_driver DATASET_URI < requests\n");
    return 2;
  }
  lancec_dataset *ds = NULL;
  lancec_error err;
  memset(&err, 0, sizeof err);
  if (lancec_dataset_open(&ds, argv[1], NULL, &err) != 0) {
    fprintf(stderr, "filter_driver: %s\n", err.message);
    return 2;
  }
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  uint64_t *ids = NULL;
  size_t cap = 0;
  while ((len = getline(&line, &lcap, stdin)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    char *f1 = strchr(line, '\t');
    char *f2 = f1 ? strchr(f1 + 1, '\t') : NULL;
    char *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
    if (!f3) {
      printf("ERR driver malformed request\n");
      fflush(stdout);
      continue;
    }
    *f1 = *f2 = *f3 = 0;
    int threads = atoi(line);
    int64_t limit = strtoll(f1 + 1, NULL, 10);
    int64_t offset = strtoll(f2 + 1, NULL, 10);
    unescape(f3 + 1);
    run_one(ds, threads, limit, offset, f3 + 1, &ids, &cap);
    fflush(stdout);
  }
  free(line);
  free(ids);
  lancec_dataset_free(ds);
  return 0;
}
