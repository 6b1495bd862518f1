/* Scans: a dataset version → an Arrow C stream of struct batches.
 *
 * Planning (single-threaded, at stream creation): walk the fragments in
 * manifest order, skip whole fragments for `offset` using the manifest's row
 * counts, load deletion vectors of the fragments that are read, and cut the
 * visible rows into tasks: a physical row range of one fragment holding at
 * most `batch_size` visible rows. Offset and limit are resolved into the
 * first and last task's ranges, so no row outside them is decoded.
 *
 * Execution: `num_threads` workers; worker w runs tasks w, w+N, w+2N, ...
 * in order, each with its own field readers (which cache the decoded page
 * they stand in), and parks each finished batch in the task's slot. get_next
 * hands slots out strictly in task order, so output order is deterministic
 * whatever the thread count. At most `window` tasks are in flight (memory
 * bound). Data files are opened once per scan and shared by the workers.  */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "arrow/arrow.h"
#include "file/file.h"
#include "scan/scan.h"
#include "table/table.h"

#define LC_DEFAULT_BATCH 65536

typedef struct scan_fragment {
  const Lance__Table__DataFragment *pb;
  uint32_t *deleted; /* sorted deleted offsets, or NULL */
  size_t n_deleted;
  lc_file **files;   /* one per data file, opened lazily (guarded by files_mu) */
  /* for each projected top-level field: index of the data file that holds
   * it, or -1 (field absent from this fragment → nulls) */
  int *field_file;
} scan_fragment;

typedef struct scan_task {
  uint32_t frag;
  uint64_t start; /* physical row */
  uint64_t count; /* physical rows */
  uint64_t visible;
  /* result slot */
  bool done;
  int rc;
  struct ArrowArray batch;
} scan_task;

typedef struct scan_state {
  lancec_dataset *ds;
  lc_schema *schema; /* projected */
  scan_fragment *frags;
  size_t n_frags;
  scan_task *tasks;
  size_t n_tasks;
  int n_threads;
  size_t window;

  pthread_mutex_t mu;
  pthread_cond_t cv_done;  /* a task finished */
  pthread_cond_t cv_space; /* next_emit advanced */
  pthread_mutex_t files_mu;
  pthread_t *threads;
  bool threads_started;
  bool cancel;
  size_t next_emit;

  lancec_error first_err;
  char last_error[LANCEC_ERROR_MESSAGE_SIZE];
} scan_state;

/* ---- planning ------------------------------------------------------------- */

static size_t count_deleted_below(const uint32_t *del, size_t n, uint64_t p) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (del[mid] < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Smallest physical p >= pos such that [pos, p) holds k visible rows. */
static uint64_t advance_visible(const uint32_t *del, size_t n, uint64_t pos, uint64_t k, uint64_t phys) {
  if (!del || n == 0) return pos + k;
  size_t base = count_deleted_below(del, n, pos);
  uint64_t p = pos + k;
  for (;;) {
    if (p >= phys) return phys;
    size_t d = count_deleted_below(del, n, p) - base;
    uint64_t want = pos + k + d;
    if (want == p) break;
    p = want;
  }
  /* p might land on deleted rows that follow; those are harmless (filtered) */
  return p;
}

static void ids_of(const lc_field *f, int32_t **ids, size_t *n, size_t *cap) {
  if (f->id >= 0) {
    if (*n == *cap) {
      *cap = *cap ? *cap * 2 : 16;
      *ids = lc_realloc(*ids, *cap * sizeof(int32_t));
    }
    if (*ids) (*ids)[(*n)++] = f->id;
  }
  for (size_t i = 0; i < f->n_children; i++) ids_of(f->children[i], ids, n, cap);
}

/* Pick the data file holding most of the field's ids (table-format.md §5.4:
 * normally exactly one file holds a live field). */
static int pick_file(const Lance__Table__DataFragment *frag, const lc_field *f) {
  int32_t *ids = NULL;
  size_t n = 0, cap = 0;
  ids_of(f, &ids, &n, &cap);
  int best = -1;
  size_t best_hits = 0;
  for (size_t i = 0; i < frag->n_files; i++) {
    const Lance__Table__DataFile *df = frag->files[i];
    size_t hits = 0;
    for (size_t j = 0; j < df->n_fields; j++)
      for (size_t k = 0; k < n; k++)
        if (df->fields[j] == ids[k]) hits++;
    if (hits > best_hits) { /* on a tie the first file wins, as in real Lance (legacy
                               corrupt_schema: ids listed by two files read from the first) */
      best = (int)i;
      best_hits = hits;
    }
  }
  lc_free(ids);
  return best;
}

static int plan(scan_state *st, const lancec_scan_options *o, lancec_error *err) {
  const lc_manifest *m = st->ds->manifest;
  const Lance__Table__Manifest *pb = m->pb;
  int64_t batch = o->batch_size > 0 ? o->batch_size : LC_DEFAULT_BATCH;
  uint64_t offset = o->offset > 0 ? (uint64_t)o->offset : 0;
  uint64_t remaining = o->limit >= 0 ? (uint64_t)o->limit : UINT64_MAX;

  st->frags = lc_calloc(pb->n_fragments ? pb->n_fragments : 1, sizeof(scan_fragment));
  if (!st->frags) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  size_t cap_tasks = 0;
  for (size_t fi = 0; fi < pb->n_fragments && remaining > 0; fi++) {
    const Lance__Table__DataFragment *frag = pb->fragments[fi];
    uint64_t phys = frag->physical_rows;
    uint64_t ndel = frag->deletion_file ? frag->deletion_file->num_deleted_rows : 0;
    uint64_t vis = phys >= ndel ? phys - ndel : 0;
    if (offset >= vis) {
      offset -= vis;
      continue;
    }
    scan_fragment *sf = &st->frags[st->n_frags];
    sf->pb = frag;
    if (frag->deletion_file) {
      LC_TRY(lc_deletion_read(st->ds->io, st->ds->root, m, frag, &sf->deleted, &sf->n_deleted, err));
      vis = phys - sf->n_deleted;
      if (offset >= vis) {
        lc_free(sf->deleted);
        sf->deleted = NULL;
        offset -= vis;
        continue;
      }
    }
    sf->files = lc_calloc(frag->n_files ? frag->n_files : 1, sizeof(lc_file *));
    sf->field_file = lc_calloc(st->schema->n_fields ? st->schema->n_fields : 1, sizeof(int));
    if (!sf->files || !sf->field_file) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t k = 0; k < st->schema->n_fields; k++) sf->field_file[k] = pick_file(frag, st->schema->fields[k]);
    uint32_t frag_idx = (uint32_t)st->n_frags++;

    uint64_t pos = advance_visible(sf->deleted, sf->n_deleted, 0, offset, phys);
    offset = 0;
    /* skip deleted rows at pos */
    while (pos < phys && sf->deleted) {
      size_t i = count_deleted_below(sf->deleted, sf->n_deleted, pos);
      if (i < sf->n_deleted && sf->deleted[i] == pos) pos++;
      else break;
    }
    uint64_t left_vis = vis - (pos - count_deleted_below(sf->deleted, sf->n_deleted, pos));
    while (pos < phys && remaining > 0 && left_vis > 0) {
      uint64_t want = (uint64_t)batch;
      if (want > remaining) want = remaining;
      if (want > left_vis) want = left_vis;
      uint64_t end = advance_visible(sf->deleted, sf->n_deleted, pos, want, phys);
      if (st->n_tasks == cap_tasks) {
        cap_tasks = cap_tasks ? cap_tasks * 2 : 64;
        scan_task *t = lc_realloc(st->tasks, cap_tasks * sizeof(scan_task));
        if (!t) return lc_err(err, LANCEC_ENOMEM, "out of memory");
        st->tasks = t;
      }
      scan_task *t = &st->tasks[st->n_tasks++];
      memset(t, 0, sizeof(*t));
      t->frag = frag_idx;
      t->start = pos;
      t->count = end - pos;
      t->visible = want;
      remaining -= want;
      left_vis -= want;
      pos = end;
    }
  }
  return 0;
}

/* ---- execution -------------------------------------------------------------- */

typedef struct worker_readers {
  uint32_t frag; /* fragment the readers belong to, UINT32_MAX = none */
  lc_field_reader **readers; /* per projected field */
} worker_readers;

static void readers_reset(scan_state *st, worker_readers *wr) {
  if (wr->readers)
    for (size_t i = 0; i < st->schema->n_fields; i++) {
      lc_field_reader_free(wr->readers[i]);
      wr->readers[i] = NULL;
    }
  wr->frag = UINT32_MAX;
}

static int get_file(scan_state *st, scan_fragment *sf, int idx, lc_file **out, lancec_error *err) {
  pthread_mutex_lock(&st->files_mu);
  int rc = 0;
  if (!sf->files[idx]) {
    const Lance__Table__DataFile *df = sf->pb->files[idx];
    char *path = lc_dataset_data_file_path(st->ds, df);
    if (!path) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    } else {
      rc = lc_file_open(&sf->files[idx], st->ds->io, path, df->file_size_bytes, err);
      if (rc == 0 && lc_file_num_rows(sf->files[idx]) != sf->pb->physical_rows) {
        rc = lc_err(err, LANCEC_ECORRUPT,
                    "%s: data file has %llu rows but fragment %llu has %llu physical rows", path,
                    (unsigned long long)lc_file_num_rows(sf->files[idx]), (unsigned long long)sf->pb->id,
                    (unsigned long long)sf->pb->physical_rows);
        lc_file_free(sf->files[idx]);
        sf->files[idx] = NULL;
      }
      lc_free(path);
    }
  }
  *out = sf->files[idx];
  pthread_mutex_unlock(&st->files_mu);
  return rc;
}

static int run_task(scan_state *st, worker_readers *wr, scan_task *t, lancec_error *err) {
  scan_fragment *sf = &st->frags[t->frag];
  size_t nf = st->schema->n_fields;
  if (wr->frag != t->frag) {
    readers_reset(st, wr);
    wr->frag = t->frag;
  }
  /* keep bitmap when the range holds deleted rows */
  uint8_t *keep = NULL;
  if (t->visible != t->count) {
    keep = lc_malloc(lc_bitmap_bytes((int64_t)t->count));
    if (!keep) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    memset(keep, 0xff, lc_bitmap_bytes((int64_t)t->count));
    size_t i = count_deleted_below(sf->deleted, sf->n_deleted, t->start);
    for (; i < sf->n_deleted && sf->deleted[i] < t->start + t->count; i++)
      lc_bit_clear(keep, (int64_t)(sf->deleted[i] - t->start));
  }
  struct ArrowArray *cols = lc_calloc(nf ? nf : 1, sizeof(struct ArrowArray));
  int rc = cols ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t k = 0; k < nf && rc == 0; k++) {
    const lc_field *f = st->schema->fields[k];
    int fidx = sf->field_file[k];
    struct ArrowArray raw;
    memset(&raw, 0, sizeof(raw));
    if (fidx < 0) {
      rc = lc_array_make_nulls(f, (int64_t)t->visible, &cols[k], err);
      continue;
    }
    if (!wr->readers[k]) {
      lc_file *file = NULL;
      rc = get_file(st, sf, fidx, &file, err);
      if (rc) break;
      const Lance__Table__DataFile *df = sf->pb->files[fidx];
      lc_file_colmap map = {df->fields, df->column_indices, df->n_fields};
      if (df->n_column_indices != df->n_fields) map.column_indices = NULL;
      rc = lc_field_reader_new(&wr->readers[k], file, f, &map, err);
      if (rc) break;
    }
    rc = lc_field_reader_read(wr->readers[k], t->start, t->count, keep ? &raw : &cols[k], err);
    if (rc == 0 && keep) {
      rc = lc_array_filter(f, &raw, keep, &cols[k], err);
      lc_array_release(&raw);
    }
  }
  lc_free(keep);
  if (rc == 0) rc = lc_array_make_batch(cols, nf, (int64_t)t->visible, &t->batch, err);
  else
    for (size_t k = 0; k < nf && cols; k++) lc_array_release(&cols[k]);
  lc_free(cols);
  return rc;
}

typedef struct worker_arg {
  scan_state *st;
  int id;
} worker_arg;

static void *worker_main(void *p) {
  worker_arg *wa = p;
  scan_state *st = wa->st;
  worker_readers wr = {UINT32_MAX, lc_calloc(st->schema->n_fields ? st->schema->n_fields : 1,
                                             sizeof(lc_field_reader *))};
  for (size_t ti = (size_t)wa->id; ti < st->n_tasks; ti += (size_t)st->n_threads) {
    pthread_mutex_lock(&st->mu);
    while (!st->cancel && ti >= st->next_emit + st->window) pthread_cond_wait(&st->cv_space, &st->mu);
    bool cancel = st->cancel;
    pthread_mutex_unlock(&st->mu);
    if (cancel) break;
    lancec_error err;
    lc_err_clear(&err);
    int rc = wr.readers ? run_task(st, &wr, &st->tasks[ti], &err)
                        : lc_err(&err, LANCEC_ENOMEM, "out of memory");
    pthread_mutex_lock(&st->mu);
    st->tasks[ti].rc = rc;
    st->tasks[ti].done = true;
    if (rc && st->first_err.code == 0) st->first_err = err;
    pthread_cond_broadcast(&st->cv_done);
    pthread_mutex_unlock(&st->mu);
    if (rc) break;
  }
  readers_reset(st, &wr);
  lc_free(wr.readers);
  lc_free(wa);
  return NULL;
}

static int start_threads(scan_state *st) {
  st->threads = lc_calloc((size_t)st->n_threads, sizeof(pthread_t));
  if (!st->threads) return ENOMEM;
  for (int i = 0; i < st->n_threads; i++) {
    worker_arg *wa = lc_malloc(sizeof(*wa));
    if (!wa) return ENOMEM;
    wa->st = st;
    wa->id = i;
    if (pthread_create(&st->threads[i], NULL, worker_main, wa) != 0) {
      lc_free(wa);
      st->n_threads = i; /* join only those started */
      return EAGAIN;
    }
  }
  st->threads_started = true;
  return 0;
}

static void scan_state_free(scan_state *st) {
  if (!st) return;
  if (st->threads_started) {
    pthread_mutex_lock(&st->mu);
    st->cancel = true;
    pthread_cond_broadcast(&st->cv_space);
    pthread_mutex_unlock(&st->mu);
    for (int i = 0; i < st->n_threads; i++) pthread_join(st->threads[i], NULL);
  }
  lc_free(st->threads);
  for (size_t i = 0; i < st->n_tasks; i++) lc_array_release(&st->tasks[i].batch);
  lc_free(st->tasks);
  for (size_t i = 0; i < st->n_frags; i++) {
    scan_fragment *sf = &st->frags[i];
    if (sf->files)
      for (size_t j = 0; j < sf->pb->n_files; j++) lc_file_free(sf->files[j]);
    lc_free(sf->files);
    lc_free(sf->field_file);
    lc_free(sf->deleted);
  }
  lc_free(st->frags);
  lc_schema_free(st->schema);
  lancec_dataset_free(st->ds);
  pthread_mutex_destroy(&st->mu);
  pthread_mutex_destroy(&st->files_mu);
  pthread_cond_destroy(&st->cv_done);
  pthread_cond_destroy(&st->cv_space);
  lc_free(st);
}

/* The full schema (fields only; scans do not need the metadata copied). */
static int clone_schema(lc_schema **out, const lc_schema *s, lancec_error *err) {
  lc_schema *c = lc_calloc(1, sizeof(*c));
  if (!c) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  c->fields = lc_calloc(s->n_fields ? s->n_fields : 1, sizeof(lc_field *));
  if (!c->fields) {
    lc_free(c);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < s->n_fields; i++) {
    c->fields[i] = lc_field_clone(s->fields[i]);
    if (!c->fields[i]) {
      lc_schema_free(c);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    c->n_fields++;
  }
  *out = c;
  return 0;
}

/* ---- the ArrowArrayStream ---------------------------------------------------- */

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  scan_state *st = s->private_data;
  lancec_error err;
  lc_err_clear(&err);
  int rc = lc_schema_to_arrow(st->schema, out, &err);
  if (rc) {
    snprintf(st->last_error, sizeof(st->last_error), "%s", err.message);
    return rc == LANCEC_ENOMEM ? ENOMEM : EINVAL;
  }
  return 0;
}

static int errno_of(int code) {
  switch (code) {
    case LANCEC_ENOMEM: return ENOMEM;
    case LANCEC_ENOTFOUND: return ENOENT;
    case LANCEC_EINVAL: return EINVAL;
    case LANCEC_EUNSUPPORTED: return ENOTSUP;
    default: return EIO;
  }
}

static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  scan_state *st = s->private_data;
  memset(out, 0, sizeof(*out));
  if (st->next_emit >= st->n_tasks) return 0; /* end of stream: released array */
  if (!st->threads_started) {
    int e = start_threads(st);
    if (e) {
      snprintf(st->last_error, sizeof(st->last_error), "cannot start scan threads");
      return e;
    }
  }
  pthread_mutex_lock(&st->mu);
  scan_task *t = &st->tasks[st->next_emit];
  while (!t->done && st->first_err.code == 0) pthread_cond_wait(&st->cv_done, &st->mu);
  if (!t->done || t->rc) {
    snprintf(st->last_error, sizeof(st->last_error), "%s", st->first_err.message);
    int code = st->first_err.code;
    st->cancel = true;
    pthread_cond_broadcast(&st->cv_space);
    pthread_mutex_unlock(&st->mu);
    st->next_emit = st->n_tasks;
    return errno_of(code);
  }
  lc_array_move(&t->batch, out);
  st->next_emit++;
  pthread_cond_broadcast(&st->cv_space);
  pthread_mutex_unlock(&st->mu);
  return 0;
}

static const char *stream_last_error(struct ArrowArrayStream *s) {
  scan_state *st = s->private_data;
  return st->last_error[0] ? st->last_error : NULL;
}

static void stream_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  scan_state_free(s->private_data);
  s->release = NULL;
  s->private_data = NULL;
}

int lc_scan_lancec_error_code(const struct ArrowArrayStream *s) {
  scan_state *st = s->private_data;
  return st ? st->first_err.code : 0;
}

int lancec_dataset_scan(const lancec_dataset *ds_in, const lancec_scan_options *opts,
                        struct ArrowArrayStream *out, lancec_error *err) {
  if (!ds_in || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_scan: NULL argument");
  memset(out, 0, sizeof(*out));
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  if (opts) o = *opts;
  if (o.offset < 0) return lc_err(err, LANCEC_EINVAL, "scan offset must be >= 0 (got %lld)", (long long)o.offset);
  scan_state *st = lc_calloc(1, sizeof(*st));
  if (!st) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  pthread_mutex_init(&st->mu, NULL);
  pthread_mutex_init(&st->files_mu, NULL);
  pthread_cond_init(&st->cv_done, NULL);
  pthread_cond_init(&st->cv_space, NULL);
  st->ds = lc_dataset_ref((lancec_dataset *)ds_in);
  int rc;
  if (o.columns && o.num_columns > 0) {
    rc = lc_schema_project(&st->schema, ds_in->manifest->schema, o.columns, o.num_columns, err);
  } else {
    rc = clone_schema(&st->schema, ds_in->manifest->schema, err);
  }
  if (rc == 0) rc = plan(st, &o, err);
  if (rc) {
    scan_state_free(st);
    return rc;
  }
  int threads = o.num_threads > 0 ? o.num_threads : lc_num_cpus();
  if (threads > 64) threads = 64;
  if ((size_t)threads > st->n_tasks) threads = st->n_tasks ? (int)st->n_tasks : 1;
  st->n_threads = threads;
  st->window = (size_t)threads * 2;
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_last_error;
  out->release = stream_release;
  out->private_data = st;
  return 0;
}
