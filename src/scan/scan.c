/* Scans: a dataset version → an Arrow C stream of struct batches.
 *
 * Planning (single-threaded, at stream creation): bind the filter, split the
 * columns into those the filter reads and those only output, walk the
 * fragments in manifest order (only the requested ones), load deletion
 * vectors (and stable row ids when asked for), apply the scalar-index
 * result (a list of candidate rows for the fragments an index covers), and
 * cut the candidates into tasks: a physical row range of one fragment
 * holding at most `batch_size` candidate rows, either every non-deleted row
 * of the range or an explicit sorted row list. Without a filter, offset and
 * limit are resolved from the manifest's counts into the first and last
 * task's ranges, so no row outside them is decoded; with a filter they are
 * applied to the matching rows as batches are handed out.
 *
 * A task (late materialization): read the filter's columns for the
 * candidate rows, evaluate the filter, then read the other output columns
 * only for the surviving rows (a range read + filter when they are dense, a
 * page/chunk-level take when sparse); a task without survivors reads nothing
 * more.
 *
 * Execution: `num_threads` workers; each task belongs to one worker (task i
 * → worker i mod N, or per group of `fragment_group_size` fragments), a
 * worker runs its tasks in order with its own field readers (which cache the
 * decoded page they stand in) and parks each finished batch in the task's
 * slot. get_next hands slots out strictly in task order, so output order is
 * deterministic whatever the thread count. At most `window` tasks are in
 * flight (memory bound). Data files are opened once per scan and shared. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "file/file.h"
#include "scan/scan.h"
#include "table/table.h"

#define LC_DEFAULT_BATCH 65536

typedef struct scan_fragment {
  const Lance__Table__DataFragment *pb;
  uint32_t *deleted; /* sorted deleted offsets, or NULL */
  size_t n_deleted;
  uint64_t *row_ids; /* stable row id per physical row (when needed and present) */
  uint32_t *cand;    /* candidate rows (sorted, not deleted) when restricted; owned */
  size_t n_cand;
  bool restricted;
  lc_file **files;   /* one per data file, opened lazily (guarded by files_mu) */
  int *ofile;        /* per output field: data file index, or -1 (absent → nulls) */
  int *ffile;        /* per filter field */
} scan_fragment;

typedef struct scan_task {
  uint32_t frag;
  uint64_t start; /* physical row */
  uint64_t count; /* physical rows in the range */
  const uint32_t *rows; /* candidate rows (into the fragment's cand), or NULL */
  uint64_t n_rows;      /* candidate rows (visible rows when rows == NULL) */
  uint32_t worker;
  /* result slot */
  bool done;
  int rc;
  struct ArrowArray batch;
} scan_task;

struct lc_scan {
  lancec_dataset *ds;
  lc_schema *oschema;       /* projected table fields */
  lc_schema *fschema;       /* table fields the filter reads */
  lc_expr *filter;          /* bound to the table schema, or NULL */
  bool o_rowid, o_rowaddr;  /* output specials */
  bool f_rowid, f_rowaddr;  /* the filter reads them */
  bool need_row_ids;
  bool need_out_sel;        /* a filtered task must locate its survivors (output reads, specials) */
  int *reuse;               /* per output field: fschema index whose array is reused, or -1 */
  lc_field *sp_rowid, *sp_rowaddr;
  lc_field **rfields;       /* result: output fields then specials (borrowed) */
  size_t n_rfields;
  lc_field **efields;       /* filter batch: filter fields then specials (borrowed) */
  size_t n_efields;
  bool count_only;

  scan_fragment *frags;
  size_t n_frags;
  scan_task *tasks;
  size_t n_tasks;
  int n_threads;
  size_t window;
  bool emit_limits; /* offset/limit applied at hand-out (filtered scans) */
  uint64_t emit_skip, emit_left;

  /* plan facts for explain */
  size_t plan_frags_total, plan_frags_pruned_index, plan_frags_skipped;
  uint64_t plan_candidates;
  char *index_text;

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
};

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
  return p;
}

static void ids_of(const lc_field *f, int32_t **ids, size_t *n, size_t *cap) {
  if (f->id >= 0) {
    if (*n == *cap) {
      *cap = *cap ? *cap * 2 : 16;
      int32_t *p = lc_realloc(*ids, *cap * sizeof(int32_t));
      if (!p) return;
      *ids = p;
    }
    (*ids)[(*n)++] = f->id;
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

static int add_task(lc_scan *st, size_t *cap, uint32_t frag, uint64_t start, uint64_t count, const uint32_t *rows,
                    uint64_t n_rows, lancec_error *err) {
  if (st->n_tasks == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    scan_task *t = lc_realloc(st->tasks, nc * sizeof(scan_task));
    if (!t) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    st->tasks = t;
    *cap = nc;
  }
  scan_task *t = &st->tasks[st->n_tasks++];
  memset(t, 0, sizeof(*t));
  t->frag = frag;
  t->start = start;
  t->count = count;
  t->rows = rows;
  t->n_rows = n_rows;
  return 0;
}

/* Remove deleted offsets from a sorted candidate list (in place). */
static size_t drop_deleted(uint32_t *rows, size_t n, const uint32_t *del, size_t nd) {
  if (!del || !nd) return n;
  size_t w = 0, d = 0;
  for (size_t i = 0; i < n; i++) {
    while (d < nd && del[d] < rows[i]) d++;
    if (d < nd && del[d] == rows[i]) continue;
    rows[w++] = rows[i];
  }
  return w;
}

static bool wanted_fragment(const lancec_scan_options *p, uint64_t id) {
  if (!p->fragment_ids) return true;
  for (size_t i = 0; i < p->num_fragment_ids; i++)
    if (p->fragment_ids[i] == id) return true;
  return false;
}

static int setup_fragment(lc_scan *st, scan_fragment *sf, lancec_error *err) {
  const Lance__Table__DataFragment *frag = sf->pb;
  sf->files = lc_calloc(frag->n_files ? frag->n_files : 1, sizeof(lc_file *));
  sf->ofile = lc_calloc(st->oschema->n_fields + 1, sizeof(int));
  sf->ffile = lc_calloc(st->fschema->n_fields + 1, sizeof(int));
  if (!sf->files || !sf->ofile || !sf->ffile) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t k = 0; k < st->oschema->n_fields; k++) sf->ofile[k] = pick_file(frag, st->oschema->fields[k]);
  for (size_t k = 0; k < st->fschema->n_fields; k++) sf->ffile[k] = pick_file(frag, st->fschema->fields[k]);
  if (st->need_row_ids) LC_TRY(lc_fragment_row_ids(st->ds, frag, &sf->row_ids, err));
  return 0;
}

static int plan(lc_scan *st, const lancec_scan_options *o, const lc_scan_restrict *rx, lancec_error *err) {
  const lc_manifest *m = st->ds->manifest;
  const Lance__Table__Manifest *pb = m->pb;
  int64_t batch = o->batch_size > 0 ? o->batch_size : LC_DEFAULT_BATCH;
  bool by_counts = !st->filter; /* offset / limit resolved from manifest counts */
  uint64_t offset = by_counts && o->offset > 0 ? (uint64_t)o->offset : 0;
  uint64_t remaining = by_counts && o->limit >= 0 ? (uint64_t)o->limit : UINT64_MAX;
  st->plan_frags_total = pb->n_fragments;

  for (size_t i = 0; o->fragment_ids && i < o->num_fragment_ids; i++) {
    size_t k = 0;
    while (k < pb->n_fragments && pb->fragments[k]->id != o->fragment_ids[i]) k++;
    if (k == pb->n_fragments)
      return lc_err(err, LANCEC_ENOTFOUND, "fragment %" PRIu64 " is not in version %" PRIu64 " of the dataset",
                    o->fragment_ids[i], m->version);
  }
  st->frags = lc_calloc(pb->n_fragments ? pb->n_fragments : 1, sizeof(scan_fragment));
  if (!st->frags) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  size_t cap_tasks = 0;
  size_t group_seen = 0;
  for (size_t fi = 0; fi < pb->n_fragments && remaining > 0; fi++) {
    const Lance__Table__DataFragment *frag = pb->fragments[fi];
    if (!wanted_fragment(o, frag->id)) {
      st->plan_frags_skipped++;
      continue;
    }
    uint64_t phys = frag->physical_rows;
    if (phys > UINT32_MAX)
      return lc_err(err, LANCEC_EUNSUPPORTED, "fragment %" PRIu64 " has %" PRIu64 " rows (more than 2^32)", frag->id, phys);
    uint64_t ndel = frag->deletion_file ? frag->deletion_file->num_deleted_rows : 0;
    uint64_t vis = phys >= ndel ? phys - ndel : 0;
    /* restriction from a row selection (take) or an index */
    uint32_t *sel = NULL;
    size_t n_sel = 0;
    bool restricted = rx && rx->covers(rx->ud, frag->id, fi);
    if (restricted) {
      LC_TRY(rx->rows(rx->ud, frag->id, fi, phys, &sel, &n_sel, err));
      if (n_sel == 0) {
        lc_free(sel);
        if (rx->is_index) st->plan_frags_pruned_index++;
        continue;
      }
    }
    if (!restricted && offset >= vis) {
      offset -= vis;
      continue;
    }
    scan_fragment *sf = &st->frags[st->n_frags];
    sf->pb = frag;
    if (restricted) {
      sf->restricted = true;
      sf->cand = sel;
      sf->n_cand = n_sel;
    }
    if (frag->deletion_file) {
      int rc = lc_session_deletion_read(st->ds->session, st->ds->io, st->ds->root, m, frag, &sf->deleted, &sf->n_deleted, err);
      if (rc) {
        lc_free(sf->cand);
        sf->cand = NULL;
        return rc;
      }
      vis = phys - sf->n_deleted;
      if (!restricted && offset >= vis) {
        lc_free(sf->deleted);
        sf->deleted = NULL;
        offset -= vis;
        continue;
      }
    }
    if (restricted) {
      sf->n_cand = drop_deleted(sf->cand, sf->n_cand, sf->deleted, sf->n_deleted);
      if (sf->n_cand == 0) {
        lc_free(sf->cand);
        lc_free(sf->deleted);
        memset(sf, 0, sizeof(*sf));
        continue;
      }
    }
    st->n_frags++;
    LC_TRY(setup_fragment(st, sf, err));
    uint32_t frag_idx = (uint32_t)(st->n_frags - 1);
    uint32_t group = o->fragment_group_size > 0 ? (uint32_t)(group_seen / (size_t)o->fragment_group_size) : 0;
    group_seen++;
    size_t first_task = st->n_tasks;

    if (restricted) {
      /* explicit candidates: chunks of `batch` rows */
      for (size_t i = 0; i < sf->n_cand; i += (size_t)batch) {
        size_t e = i + (size_t)batch < sf->n_cand ? i + (size_t)batch : sf->n_cand;
        uint64_t s0 = sf->cand[i], s1 = (uint64_t)sf->cand[e - 1] + 1;
        if (s1 > phys)
          return lc_err(err, LANCEC_EINVAL, "row %u is past the end of fragment %" PRIu64 " (%" PRIu64 " rows)",
                        sf->cand[e - 1], frag->id, phys);
        LC_TRY(add_task(st, &cap_tasks, frag_idx, s0, s1 - s0, sf->cand + i, e - i, err));
      }
      st->plan_candidates += sf->n_cand;
    } else {
      uint64_t pos = advance_visible(sf->deleted, sf->n_deleted, 0, offset, phys);
      offset = 0;
      while (pos < phys && sf->deleted) { /* skip deleted rows at pos */
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
        LC_TRY(add_task(st, &cap_tasks, frag_idx, pos, end - pos, NULL, want, err));
        st->plan_candidates += want;
        if (remaining != UINT64_MAX) remaining -= want;
        left_vis -= want;
        pos = end;
      }
    }
    if (o->fragment_group_size > 0)
      for (size_t t = first_task; t < st->n_tasks; t++) st->tasks[t].worker = group;
  }
  if (o->fragment_group_size <= 0)
    for (size_t t = 0; t < st->n_tasks; t++) st->tasks[t].worker = (uint32_t)t;
  return 0;
}

/* ---- execution -------------------------------------------------------------- */

typedef struct worker_readers {
  uint32_t frag; /* fragment the readers belong to, UINT32_MAX = none */
  lc_field_reader **oreaders; /* per output field */
  lc_field_reader **freaders; /* per filter field */
} worker_readers;

static void readers_reset(lc_scan *st, worker_readers *wr) {
  for (size_t i = 0; wr->oreaders && i < st->oschema->n_fields; i++) {
    lc_field_reader_free(wr->oreaders[i]);
    wr->oreaders[i] = NULL;
  }
  for (size_t i = 0; wr->freaders && i < st->fschema->n_fields; i++) {
    lc_field_reader_free(wr->freaders[i]);
    wr->freaders[i] = NULL;
  }
  wr->frag = UINT32_MAX;
}

static int get_file(lc_scan *st, scan_fragment *sf, int idx, lc_file **out, lancec_error *err) {
  pthread_mutex_lock(&st->files_mu);
  int rc = 0;
  if (!sf->files[idx]) {
    const Lance__Table__DataFile *df = sf->pb->files[idx];
    char *path = lc_dataset_data_file_path(st->ds, df);
    if (!path) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    } else {
      rc = lc_session_file_open(st->ds->session, &sf->files[idx], st->ds->io, path, df->file_size_bytes, err);
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

static int get_reader(lc_scan *st, scan_fragment *sf, lc_field_reader **slot, int fidx, const lc_field *f,
                      lancec_error *err) {
  if (*slot) return 0;
  lc_file *file = NULL;
  LC_TRY(get_file(st, sf, fidx, &file, err));
  const Lance__Table__DataFile *df = sf->pb->files[fidx];
  lc_file_colmap map = {df->fields, df->column_indices, df->n_fields};
  if (df->n_column_indices != df->n_fields) map.column_indices = NULL;
  return lc_field_reader_new(slot, file, f, &map, err);
}

/* A selection of rows inside a task's range [start, start + count):
 * either every row (all), a bitmap over the range, or a sorted list of
 * absolute row offsets. n = number of selected rows. */
typedef struct row_sel {
  uint64_t start, count;
  const uint8_t *bits;  /* or NULL */
  const uint32_t *rows; /* or NULL */
  uint64_t n;
} row_sel;

/* The selected rows as absolute offsets (caller frees). */
static int sel_rows(const row_sel *s, uint64_t **out, lancec_error *err) {
  uint64_t *r = lc_malloc((size_t)(s->n ? s->n : 1) * sizeof(uint64_t));
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (s->rows) {
    for (uint64_t i = 0; i < s->n; i++) r[i] = s->rows[i];
  } else if (s->bits) {
    uint64_t k = 0;
    for (uint64_t i = 0; i < s->count && k < s->n; i++)
      if (lc_bit_get(s->bits, (int64_t)i)) r[k++] = s->start + i;
  } else {
    for (uint64_t i = 0; i < s->n; i++) r[i] = s->start + i;
  }
  *out = r;
  return 0;
}

/* Read the selected rows of one field. */
static int read_sel(lc_field_reader *rd, const lc_field *f, const row_sel *s, struct ArrowArray *out,
                    lancec_error *err) {
  if (s->n == 0) return lc_array_make_nulls(f, 0, out, err);
  if (!s->rows && !s->bits) return lc_field_reader_read(rd, s->start, s->count, out, err);
  /* sparse: a page/chunk-level take; dense: read the span and filter */
  uint64_t lo, hi; /* span of selected rows, relative to start */
  if (s->rows) {
    lo = s->rows[0] - s->start;
    hi = s->rows[s->n - 1] - s->start + 1;
  } else {
    lo = 0;
    while (lo < s->count && !lc_bit_get(s->bits, (int64_t)lo)) lo++;
    hi = s->count;
    while (hi > lo && !lc_bit_get(s->bits, (int64_t)(hi - 1))) hi--;
  }
  int rc;
  if (s->n * 8 < hi - lo) {
    uint64_t *rows = NULL;
    LC_TRY(sel_rows(s, &rows, err));
    rc = lc_field_reader_take(rd, rows, (size_t)s->n, out, err);
    lc_free(rows);
    return rc;
  }
  if (s->n == hi - lo) return lc_field_reader_read(rd, s->start + lo, hi - lo, out, err);
  struct ArrowArray raw;
  memset(&raw, 0, sizeof(raw));
  uint8_t *keep = NULL;
  const uint8_t *kb = NULL;
  if (s->bits && lo == 0) {
    kb = s->bits; /* the selection bitmap is already relative to the span */
  } else {
    keep = lc_calloc(lc_bitmap_bytes((int64_t)(hi - lo)) + 1, 1);
    if (!keep) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (s->rows)
      for (uint64_t i = 0; i < s->n; i++) lc_bit_set(keep, (int64_t)(s->rows[i] - s->start - lo));
    else
      lc_bits_copy(keep, 0, s->bits, (int64_t)lo, (int64_t)(hi - lo));
    kb = keep;
  }
  rc = lc_field_reader_read(rd, s->start + lo, hi - lo, &raw, err);
  if (rc == 0) rc = lc_array_filter(f, &raw, kb, out, err);
  lc_array_release(&raw);
  lc_free(keep);
  return rc;
}

/* _rowid / _rowaddr of the selected rows. */
static int special_array(lc_scan *st, scan_fragment *sf, const row_sel *s, bool rowid, struct ArrowArray *out,
                         lancec_error *err) {
  uint64_t *rows = NULL;
  LC_TRY(sel_rows(s, &rows, err));
  uint64_t base = sf->pb->id << 32;
  for (uint64_t i = 0; i < s->n; i++)
    rows[i] = rowid && sf->row_ids ? sf->row_ids[rows[i]] : base | rows[i];
  int rc = lc_array_init(out, 2, 0);
  if (rc) {
    lc_free(rows);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  lc_array_set_buffer(out, 1, rows);
  out->length = (int64_t)s->n;
  (void)st;
  return 0;
}

/* Map the filter result `keep` (one bit per candidate, in candidate order)
 * to a selection over the task range: a row list when sparse, a bitmap when
 * dense. When every row of the range is a candidate, the bitmap is `keep`
 * itself (borrowed: *bits_out stays NULL). */
static int survivors(const row_sel *cand, const uint8_t *keep, uint64_t n_surv, row_sel *out,
                     uint8_t **bits_out, uint32_t **rows_out, lancec_error *err) {
  bool all = !cand->rows && !cand->bits; /* candidate i = row start + i */
  if (n_surv == cand->n) {
    *out = *cand;
    return 0;
  }
  if (n_surv * 8 < cand->count) {
    uint32_t *r = lc_malloc((size_t)(n_surv ? n_surv : 1) * sizeof(uint32_t));
    if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    uint64_t w = 0;
    if (cand->bits) { /* walk the candidate bitmap in step with keep */
      uint64_t k = 0;
      for (uint64_t pos = 0; pos < cand->count && w < n_surv; pos++) {
        if (!lc_bit_get(cand->bits, (int64_t)pos)) continue;
        if (lc_bit_get(keep, (int64_t)k)) r[w++] = (uint32_t)(cand->start + pos);
        k++;
      }
    } else {
      size_t nw = lc_bitmap_bytes((int64_t)cand->n);
      for (size_t byte = 0; byte < nw && w < n_surv; byte++)
        for (unsigned kb = keep[byte]; kb; kb &= kb - 1) {
          uint64_t i = (uint64_t)byte * 8 + (uint64_t)__builtin_ctz(kb);
          r[w++] = all ? (uint32_t)(cand->start + i) : cand->rows[i];
        }
    }
    *rows_out = r;
    *out = (row_sel){cand->start, cand->count, NULL, r, n_surv};
    return 0;
  }
  if (all) {
    *out = (row_sel){cand->start, cand->count, keep, NULL, n_surv};
    return 0;
  }
  uint8_t *bits = lc_calloc(lc_bitmap_bytes((int64_t)cand->count) + 1, 1);
  if (!bits) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (cand->rows) {
    for (uint64_t i = 0; i < cand->n; i++)
      if (lc_bit_get(keep, (int64_t)i)) lc_bit_set(bits, (int64_t)(cand->rows[i] - cand->start));
  } else {
    uint64_t k = 0;
    for (uint64_t pos = 0; pos < cand->count; pos++) {
      if (!lc_bit_get(cand->bits, (int64_t)pos)) continue;
      if (lc_bit_get(keep, (int64_t)k)) lc_bit_set(bits, (int64_t)pos);
      k++;
    }
  }
  *bits_out = bits;
  *out = (row_sel){cand->start, cand->count, bits, NULL, n_surv};
  return 0;
}

static int run_task(lc_scan *st, worker_readers *wr, scan_task *t, lancec_error *err) {
  scan_fragment *sf = &st->frags[t->frag];
  size_t no = st->oschema->n_fields, nfl = st->fschema->n_fields;
  if (wr->frag != t->frag) {
    readers_reset(st, wr);
    wr->frag = t->frag;
  }
  int rc = 0;
  /* candidates */
  uint8_t *cand_bits = NULL;
  row_sel cand = {t->start, t->count, NULL, t->rows, t->n_rows};
  if (!t->rows && t->n_rows != t->count) {
    cand_bits = lc_malloc(lc_bitmap_bytes((int64_t)t->count) + 1);
    if (!cand_bits) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    memset(cand_bits, 0xff, lc_bitmap_bytes((int64_t)t->count));
    size_t i = count_deleted_below(sf->deleted, sf->n_deleted, t->start);
    for (; i < sf->n_deleted && sf->deleted[i] < t->start + t->count; i++)
      lc_bit_clear(cand_bits, (int64_t)(sf->deleted[i] - t->start));
    cand.bits = cand_bits;
  }
  row_sel out_sel = cand;
  struct ArrowArray *fcols = NULL;
  uint8_t *keep = NULL;     /* filter result over the candidates */
  uint8_t *surv_bits = NULL;
  uint32_t *surv_rows = NULL;
  uint64_t n_surv = cand.n;
  if (st->filter) {
    size_t ne = st->n_efields;
    fcols = lc_calloc(ne + 1, sizeof(struct ArrowArray));
    keep = lc_malloc(lc_bitmap_bytes((int64_t)cand.n) + 8);
    if (!fcols || !keep) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t k = 0; k < nfl && rc == 0; k++) {
      int fidx = sf->ffile[k];
      const lc_field *f = st->fschema->fields[k];
      if (fidx < 0) {
        rc = lc_array_make_nulls(f, (int64_t)cand.n, &fcols[k], err);
        continue;
      }
      rc = get_reader(st, sf, &wr->freaders[k], fidx, f, err);
      if (rc == 0) rc = read_sel(wr->freaders[k], f, &cand, &fcols[k], err);
    }
    size_t k = nfl;
    if (rc == 0 && st->f_rowid) rc = special_array(st, sf, &cand, true, &fcols[k++], err);
    if (rc == 0 && st->f_rowaddr) rc = special_array(st, sf, &cand, false, &fcols[k++], err);
    if (rc == 0) {
      /* a borrowed view: the filter reads the columns, nothing is released */
      struct ArrowArray **kids = lc_calloc(ne + 1, sizeof(*kids));
      if (!kids) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      } else {
        const void *vbufs[1] = {NULL};
        struct ArrowArray view;
        memset(&view, 0, sizeof(view));
        for (size_t j = 0; j < ne; j++) kids[j] = &fcols[j];
        view.length = (int64_t)cand.n;
        view.n_buffers = 1;
        view.buffers = vbufs;
        view.n_children = (int64_t)ne;
        view.children = kids;
        rc = lc_expr_eval(st->filter, (const lc_field *const *)st->efields, ne, &view, keep, err);
        lc_free(kids);
      }
    }
    if (rc == 0) {
      n_surv = cand.n - (uint64_t)lc_bits_count_zero(keep, 0, (int64_t)cand.n);
      /* survivors as a selection over the task range (only needed when
       * something is read or computed for them beyond the filter columns) */
      if (st->need_out_sel) rc = survivors(&cand, keep, n_surv, &out_sel, &surv_bits, &surv_rows, err);
    }
  }
  size_t nr = st->n_rfields;
  struct ArrowArray *cols = rc == 0 ? lc_calloc(nr + 1, sizeof(struct ArrowArray)) : NULL;
  if (rc == 0 && !cols) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t k = 0; k < no && rc == 0; k++) {
    const lc_field *f = st->oschema->fields[k];
    if (st->reuse && st->reuse[k] >= 0) {
      struct ArrowArray *src = &fcols[st->reuse[k]];
      if (n_surv == cand.n) lc_array_move(src, &cols[k]); /* each filter column is reused once */
      else rc = lc_array_filter(f, src, keep, &cols[k], err);
      continue;
    }
    int fidx = sf->ofile[k];
    if (fidx < 0) {
      rc = lc_array_make_nulls(f, (int64_t)n_surv, &cols[k], err);
      continue;
    }
    rc = get_reader(st, sf, &wr->oreaders[k], fidx, f, err);
    if (rc == 0) rc = read_sel(wr->oreaders[k], f, &out_sel, &cols[k], err);
  }
  size_t k = no;
  if (rc == 0 && st->o_rowid) rc = special_array(st, sf, &out_sel, true, &cols[k++], err);
  if (rc == 0 && st->o_rowaddr) rc = special_array(st, sf, &out_sel, false, &cols[k++], err);
  if (rc == 0) {
    rc = lc_array_make_batch(cols, nr, (int64_t)n_surv, &t->batch, err);
  } else {
    for (size_t j = 0; j < nr && cols; j++) lc_array_release(&cols[j]);
  }
  for (size_t j = 0; fcols && j < st->n_efields; j++) lc_array_release(&fcols[j]);
  lc_free(fcols);
  lc_free(cols);
  lc_free(keep);
  lc_free(surv_bits);
  lc_free(surv_rows);
  lc_free(cand_bits);
  return rc;
}

typedef struct worker_arg {
  lc_scan *st;
  int id;
} worker_arg;

static void *worker_main(void *p) {
  worker_arg *wa = p;
  lc_scan *st = wa->st;
  worker_readers wr = {UINT32_MAX, lc_calloc(st->oschema->n_fields + 1, sizeof(lc_field_reader *)),
                       lc_calloc(st->fschema->n_fields + 1, sizeof(lc_field_reader *))};
  for (size_t ti = 0; ti < st->n_tasks; ti++) {
    if (st->tasks[ti].worker % (uint32_t)st->n_threads != (uint32_t)wa->id) continue;
    pthread_mutex_lock(&st->mu);
    while (!st->cancel && ti >= st->next_emit + st->window) pthread_cond_wait(&st->cv_space, &st->mu);
    bool cancel = st->cancel;
    pthread_mutex_unlock(&st->mu);
    if (cancel) break;
    lancec_error err;
    lc_err_clear(&err);
    int rc = wr.oreaders && wr.freaders ? run_task(st, &wr, &st->tasks[ti], &err)
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
  lc_free(wr.oreaders);
  lc_free(wr.freaders);
  lc_free(wa);
  return NULL;
}

static int start_threads(lc_scan *st) {
  st->threads = lc_calloc((size_t)st->n_threads, sizeof(pthread_t));
  if (!st->threads) return ENOMEM;
  for (int i = 0; i < st->n_threads; i++) {
    worker_arg *wa = lc_malloc(sizeof(*wa));
    if (!wa) {
      st->n_threads = i;
      st->threads_started = true;
      return ENOMEM;
    }
    wa->st = st;
    wa->id = i;
    if (pthread_create(&st->threads[i], NULL, worker_main, wa) != 0) {
      lc_free(wa);
      st->n_threads = i; /* join only those started */
      st->threads_started = true;
      return EAGAIN;
    }
  }
  st->threads_started = true;
  return 0;
}

void lc_scan_free(lc_scan *st) {
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
    lc_free(sf->ofile);
    lc_free(sf->ffile);
    lc_free(sf->deleted);
    lc_free(sf->row_ids);
    lc_free(sf->cand);
  }
  lc_free(st->frags);
  lc_schema_free(st->oschema);
  lc_schema_free(st->fschema);
  lc_expr_free(st->filter);
  lc_field_free(st->sp_rowid);
  lc_field_free(st->sp_rowaddr);
  lc_free(st->reuse);
  lc_free(st->rfields);
  lc_free(st->efields);
  lc_free(st->index_text);
  lancec_dataset_free(st->ds);
  lc_pool_scan_end();
  pthread_mutex_destroy(&st->mu);
  pthread_mutex_destroy(&st->files_mu);
  pthread_cond_destroy(&st->cv_done);
  pthread_cond_destroy(&st->cv_space);
  lc_free(st);
}

/* A copy of some of the schema's fields (NULL names = all). */
static int schema_subset(lc_schema **out, const lc_schema *s, const lc_field *const *pick, size_t n_pick,
                         bool all, lancec_error *err) {
  lc_schema *c = lc_calloc(1, sizeof(*c));
  size_t n = all ? s->n_fields : n_pick;
  if (c) c->fields = lc_calloc(n + 1, sizeof(lc_field *));
  if (!c || !c->fields) {
    lc_free(c);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    c->fields[i] = lc_field_clone(all ? s->fields[i] : pick[i]);
    if (!c->fields[i]) {
      lc_schema_free(c);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    c->n_fields++;
  }
  *out = c;
  return 0;
}

static bool same_shape(const lc_field *a, const lc_field *b) {
  if (strcmp(a->name, b->name) || a->n_children != b->n_children || a->id != b->id) return false;
  for (size_t i = 0; i < a->n_children; i++)
    if (!same_shape(a->children[i], b->children[i])) return false;
  return true;
}

static lc_field *special_field(const char *name) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return NULL;
  f->name = lc_strdup(name);
  if (!f->name) {
    lc_free(f);
    return NULL;
  }
  f->id = -1;
  f->parent_id = -1;
  f->type = LC_T_UINT64;
  f->nullable = true;
  return f;
}

/* ---- index restriction ------------------------------------------------------- */

typedef struct index_rx {
  lc_scan_ix *res;
} index_rx;

static bool index_covers(void *ud, uint64_t frag_id, size_t fi) {
  (void)fi;
  return lc_scan_ix_covers(((index_rx *)ud)->res, frag_id);
}

static int index_rows(void *ud, uint64_t frag_id, size_t fi, uint64_t phys, uint32_t **rows, size_t *n,
                      lancec_error *err) {
  (void)fi;
  return lc_scan_ix_rows(((index_rx *)ud)->res, frag_id, phys, rows, n, err);
}

/* ---- opening ------------------------------------------------------------------ */

int lc_scan_open(lc_scan **out, const lancec_dataset *ds, const lancec_scan_options *opts,
                 const lc_scan_restrict *rx, lc_scan_icache *icache, lancec_error *err) {
  *out = NULL;
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  if (opts) {
    if (opts->version_ < 1 || opts->version_ > LANCEC_SCAN_OPTIONS_VERSION)
      return lc_err(err, LANCEC_EINVAL, "scan options: unknown struct version %d", opts->version_);
    if (opts->version_ == 1) memcpy(&o, opts, offsetof(lancec_scan_options, filter));
    else o = *opts;
  }
  if (o.offset < 0) return lc_err(err, LANCEC_EINVAL, "scan offset must be >= 0 (got %lld)", (long long)o.offset);
  if (o.filter && *o.filter && o.filter_expr)
    return lc_err(err, LANCEC_EINVAL, "scan options: give filter or filter_expr, not both");
  lc_scan *st = lc_calloc(1, sizeof(*st));
  if (!st) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lc_pool_scan_begin();
  pthread_mutex_init(&st->mu, NULL);
  pthread_mutex_init(&st->files_mu, NULL);
  pthread_cond_init(&st->cv_done, NULL);
  pthread_cond_init(&st->cv_space, NULL);
  st->ds = lc_dataset_ref((lancec_dataset *)ds);
  const lc_schema *schema = ds->manifest->schema;
  int rc = 0;
  if (o.columns_none) rc = schema_subset(&st->oschema, schema, NULL, 0, false, err);
  else if (o.columns && o.num_columns > 0)
    rc = lc_schema_project(&st->oschema, schema, o.columns, o.num_columns, err);
  else rc = schema_subset(&st->oschema, schema, NULL, 0, true, err);
  /* the filter */
  if (rc == 0 && o.filter && *o.filter) {
    rc = lc_expr_parse(&st->filter, o.filter, schema, err);
  } else if (rc == 0 && o.filter_expr) {
    st->filter = lc_expr_clone((const lc_expr *)(const void *)o.filter_expr);
    rc = st->filter ? lc_expr_bind(st->filter, schema, err) : lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  /* columns the filter reads */
  size_t nfc = st->filter ? lc_expr_num_columns(st->filter) : 0;
  const lc_field **pick = lc_calloc(nfc + 1, sizeof(*pick));
  size_t npick = 0;
  if (!pick && rc == 0) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < nfc && rc == 0; i++) {
    const char *name = lc_expr_column(st->filter, i);
    const lc_field *f = lc_schema_find_name(schema, name);
    if (f) pick[npick++] = f;
    else if (!strcmp(name, "_rowid")) st->f_rowid = true;
    else if (!strcmp(name, "_rowaddr")) st->f_rowaddr = true;
    else rc = lc_err(err, LANCEC_EINTERNAL, "filter column '%s' not in the schema", name);
  }
  if (rc == 0) rc = schema_subset(&st->fschema, schema, pick, npick, false, err);
  lc_free(pick);
  st->o_rowid = o.with_row_id != 0;
  st->o_rowaddr = o.with_row_addr != 0;
  st->need_row_ids = st->o_rowid || st->f_rowid;
  if (rc == 0) {
    st->sp_rowid = special_field("_rowid");
    st->sp_rowaddr = special_field("_rowaddr");
    size_t no = st->oschema->n_fields, nfl = st->fschema->n_fields;
    st->reuse = lc_calloc(no + 1, sizeof(int));
    st->rfields = lc_calloc(no + 3, sizeof(lc_field *));
    st->efields = lc_calloc(nfl + 3, sizeof(lc_field *));
    bool *used = lc_calloc(nfl + 1, sizeof(bool));
    if (!st->sp_rowid || !st->sp_rowaddr || !st->reuse || !st->rfields || !st->efields || !used) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    } else {
      for (size_t k = 0; k < no; k++) {
        st->reuse[k] = -1;
        for (size_t j = 0; st->filter && j < nfl; j++)
          if (!used[j] && same_shape(st->oschema->fields[k], st->fschema->fields[j])) {
            st->reuse[k] = (int)j;
            used[j] = true;
            break;
          }
        st->rfields[st->n_rfields++] = st->oschema->fields[k];
      }
      st->need_out_sel = st->o_rowid || st->o_rowaddr;
      for (size_t k = 0; k < no; k++) st->need_out_sel |= st->reuse[k] < 0;
      if (st->o_rowid) st->rfields[st->n_rfields++] = st->sp_rowid;
      if (st->o_rowaddr) st->rfields[st->n_rfields++] = st->sp_rowaddr;
      for (size_t j = 0; j < nfl; j++) st->efields[st->n_efields++] = st->fschema->fields[j];
      if (st->f_rowid) st->efields[st->n_efields++] = st->sp_rowid;
      if (st->f_rowaddr) st->efields[st->n_efields++] = st->sp_rowaddr;
    }
    lc_free(used);
  }
  /* scalar indices answer part of the filter */
  lc_scan_ix *ires = NULL;
  index_rx irx = {NULL};
  lc_scan_restrict irs = {&irx, index_covers, index_rows, true};
  if (rc == 0 && st->filter && !o.no_index && !rx) {
    rc = lc_scan_ix_plan(&ires, st->ds, st->filter, icache, err);
    if (rc == 0 && ires) {
      irx.res = ires;
      rx = &irs;
      st->index_text = lc_scan_ix_describe(ires);
    }
  }
  if (rc == 0) rc = plan(st, &o, rx, err);
  lc_scan_ix_free(ires);
  if (rc) {
    lc_scan_free(st);
    return rc;
  }
  if (st->filter) {
    st->emit_limits = true;
    st->emit_skip = (uint64_t)o.offset;
    st->emit_left = o.limit >= 0 ? (uint64_t)o.limit : UINT64_MAX;
  }
  int threads = o.num_threads > 0 ? o.num_threads : lc_num_cpus();
  if (threads > 64) threads = 64;
  if ((size_t)threads > st->n_tasks) threads = st->n_tasks ? (int)st->n_tasks : 1;
  st->n_threads = threads;
  st->window = (size_t)threads * 2;
  *out = st;
  return 0;
}

/* ---- the ArrowArrayStream ---------------------------------------------------- */

static int result_schema(const lc_scan *st, struct ArrowSchema *out, lancec_error *err) {
  lc_schema tmp;
  memset(&tmp, 0, sizeof(tmp));
  tmp.fields = st->rfields;
  tmp.n_fields = st->n_rfields;
  return lc_schema_to_arrow(&tmp, out, err);
}

static int stream_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  lc_scan *st = s->private_data;
  lancec_error err;
  lc_err_clear(&err);
  int rc = result_schema(st, out, &err);
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

/* Rows [start, start + len) of a result batch. */
static int slice_batch(lc_scan *st, struct ArrowArray *b, int64_t start, int64_t len, lancec_error *err) {
  struct ArrowArray *cols = lc_calloc(st->n_rfields + 1, sizeof(*cols));
  if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t k = 0; k < st->n_rfields && rc == 0; k++)
    rc = lc_array_slice(st->rfields[k], b->children[k], start, len, &cols[k], err);
  struct ArrowArray nb;
  memset(&nb, 0, sizeof(nb));
  if (rc == 0) rc = lc_array_make_batch(cols, st->n_rfields, len, &nb, err);
  else
    for (size_t k = 0; k < st->n_rfields; k++) lc_array_release(&cols[k]);
  lc_free(cols);
  if (rc) return rc;
  lc_array_release(b);
  lc_array_move(&nb, b);
  return 0;
}

static void stop_workers(lc_scan *st) {
  st->cancel = true;
  pthread_cond_broadcast(&st->cv_space);
}

/* Next non-empty batch in task order (0 with a released *out at the end). */
int lc_scan_next(lc_scan *st, struct ArrowArray *out, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  for (;;) {
    if (st->next_emit >= st->n_tasks) return 0;
    if (st->emit_limits && st->emit_left == 0) {
      pthread_mutex_lock(&st->mu);
      stop_workers(st);
      pthread_mutex_unlock(&st->mu);
      st->next_emit = st->n_tasks;
      return 0;
    }
    if (!st->threads_started && start_threads(st))
      return lc_err(err, LANCEC_ENOMEM, "cannot start scan threads");
    pthread_mutex_lock(&st->mu);
    scan_task *t = &st->tasks[st->next_emit];
    while (!t->done && st->first_err.code == 0) pthread_cond_wait(&st->cv_done, &st->mu);
    if (!t->done || t->rc) {
      int code = st->first_err.code;
      if (err) *err = st->first_err;
      stop_workers(st);
      pthread_mutex_unlock(&st->mu);
      st->next_emit = st->n_tasks;
      return code ? code : LANCEC_EINTERNAL;
    }
    struct ArrowArray b;
    lc_array_move(&t->batch, &b);
    st->next_emit++;
    pthread_cond_broadcast(&st->cv_space);
    pthread_mutex_unlock(&st->mu);
    if (st->emit_limits) {
      uint64_t len = (uint64_t)b.length;
      if (st->emit_skip >= len) {
        st->emit_skip -= len;
        lc_array_release(&b);
        continue;
      }
      uint64_t from = st->emit_skip, take = len - from;
      st->emit_skip = 0;
      if (take > st->emit_left) take = st->emit_left;
      if (take != len) {
        int rc = slice_batch(st, &b, (int64_t)from, (int64_t)take, err);
        if (rc) {
          lc_array_release(&b);
          return rc;
        }
      }
      st->emit_left -= take;
    }
    if (b.length == 0) {
      lc_array_release(&b);
      continue;
    }
    lc_array_move(&b, out);
    return 0;
  }
}

static int stream_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  lc_scan *st = s->private_data;
  lancec_error err;
  lc_err_clear(&err);
  int rc = lc_scan_next(st, out, &err);
  if (rc) {
    snprintf(st->last_error, sizeof(st->last_error), "%s", err.message);
    if (st->first_err.code == 0) st->first_err = err;
    return errno_of(rc);
  }
  return 0;
}

static const char *stream_last_error(struct ArrowArrayStream *s) {
  lc_scan *st = s->private_data;
  return st->last_error[0] ? st->last_error : NULL;
}

static void stream_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  lc_scan_free(s->private_data);
  s->release = NULL;
  s->private_data = NULL;
}

int lc_scan_lancec_error_code(const struct ArrowArrayStream *s) {
  lc_scan *st = s->private_data;
  return st ? st->first_err.code : 0;
}

int lancec_dataset_scan(const lancec_dataset *ds, const lancec_scan_options *opts, struct ArrowArrayStream *out,
                        lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_scan: NULL argument");
  memset(out, 0, sizeof(*out));
  lc_scan *st = NULL;
  LC_TRY(lc_scan_open(&st, ds, opts, NULL, NULL, err));
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_last_error;
  out->release = stream_release;
  out->private_data = st;
  return 0;
}

/* ---- count ---------------------------------------------------------------------- */

int lancec_dataset_count(const lancec_dataset *ds, const char *filter, uint64_t *out, lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_count: NULL argument");
  *out = 0;
  if (!filter || !*filter) {
    *out = lancec_dataset_count_rows(ds);
    return 0;
  }
  lancec_scan_options o = LANCEC_SCAN_OPTIONS_INIT;
  o.filter = filter;
  o.columns_none = 1;
  lc_scan *st = NULL;
  LC_TRY(lc_scan_open(&st, ds, &o, NULL, NULL, err));
  uint64_t n = 0;
  int rc;
  for (;;) {
    struct ArrowArray b;
    rc = lc_scan_next(st, &b, err);
    if (rc || !b.release) break;
    n += (uint64_t)b.length;
    lc_array_release(&b);
  }
  lc_scan_free(st);
  if (rc == 0) *out = n;
  return rc;
}

size_t lc_scan_fields(const lc_scan *st, lc_field *const **fields) {
  *fields = st->rfields;
  return st->n_rfields;
}

/* ---- explain -------------------------------------------------------------------- */

/* Bytes of the physical columns holding field `f` in data file `fidx`. */
static uint64_t field_bytes(lc_scan *st, scan_fragment *sf, int fidx, const lc_field *f) {
  if (fidx < 0) return 0;
  lancec_error e;
  lc_file *file = NULL;
  if (get_file(st, sf, fidx, &file, &e)) return 0;
  const Lance__Table__DataFile *df = sf->pb->files[fidx];
  int32_t *ids = NULL;
  size_t n = 0, cap = 0;
  ids_of(f, &ids, &n, &cap);
  uint64_t total = 0;
  for (size_t j = 0; j < df->n_fields && j < df->n_column_indices; j++) {
    if (df->column_indices[j] < 0) continue;
    for (size_t k = 0; k < n; k++)
      if (df->fields[j] == ids[k]) {
        total += lc_file_column_bytes(file, (uint32_t)df->column_indices[j]);
        break;
      }
  }
  lc_free(ids);
  return total;
}

static void field_list(lc_buf *b, lc_field *const *fs, size_t n) {
  if (n == 0) lc_buf_append(b, "(none)", 6);
  for (size_t i = 0; i < n; i++) {
    if (i) lc_buf_append(b, ", ", 2);
    lc_buf_append(b, fs[i]->name, strlen(fs[i]->name));
  }
}

static void bprintf(lc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(lc_buf *b, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n > 0) lc_buf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int lc_scan_explain(lc_scan *st, char **out, lancec_error *err) {
  lc_buf b;
  memset(&b, 0, sizeof(b));
  const lancec_dataset *ds = st->ds;
  bprintf(&b, "scan %s (version %" PRIu64 ", data format %s)\n", ds->uri ? ds->uri : ds->root,
          lancec_dataset_version(ds), lancec_dataset_data_format(ds));
  if (st->filter) {
    char *sql = lc_expr_to_string(st->filter);
    bprintf(&b, "filter: %s\n", sql ? sql : "?");
    lc_free(sql);
    lc_buf_append(&b, "  read first (filter columns): ", 31);
    field_list(&b, st->efields, st->n_efields);
    lc_buf_append(&b, "\n", 1);
  } else {
    lc_buf_append(&b, "filter: none\n", 13);
  }
  lc_buf_append(&b, "output columns: ", 16);
  field_list(&b, st->rfields, st->n_rfields);
  lc_buf_append(&b, "\n", 1);
  if (st->index_text) {
    size_t l = strlen(st->index_text);
    while (l && st->index_text[l - 1] == '\n') l--;
    lc_buf_append(&b, "index: ", 7);
    lc_buf_append(&b, st->index_text, l);
    lc_buf_append(&b, "\n", 1);
  } else {
    lc_buf_append(&b, "index: none\n", 12);
  }
  bprintf(&b, "fragments: %zu in the version, %zu to read, %zu pruned by the index, %zu not requested\n",
          st->plan_frags_total, st->n_frags, st->plan_frags_pruned_index, st->plan_frags_skipped);
  uint64_t vis = 0, phys = 0, fbytes = 0, obytes = 0, fbytes_all = 0, obytes_all = 0;
  for (size_t i = 0; i < st->n_frags; i++) {
    scan_fragment *sf = &st->frags[i];
    uint64_t p = sf->pb->physical_rows;
    phys += p;
    vis += p - sf->n_deleted;
    uint64_t fb = 0, ob = 0;
    for (size_t k = 0; k < st->fschema->n_fields; k++) fb += field_bytes(st, sf, sf->ffile[k], st->fschema->fields[k]);
    for (size_t k = 0; k < st->oschema->n_fields; k++)
      if (!st->reuse || st->reuse[k] < 0) ob += field_bytes(st, sf, sf->ofile[k], st->oschema->fields[k]);
    fbytes_all += fb;
    obytes_all += ob;
    if (sf->restricted && p) {
      /* at most the pages holding the candidates: estimated as their share */
      double share = (double)sf->n_cand / (double)p;
      fb = (uint64_t)((double)fb * share);
      ob = (uint64_t)((double)ob * share);
    }
    fbytes += fb;
    obytes += ob;
  }
  bprintf(&b, "rows: %" PRIu64 " candidate rows of %" PRIu64 " visible (%" PRIu64 " physical) in the fragments read\n",
          st->plan_candidates, vis, phys);
  bprintf(&b, "tasks: %zu, threads: %d%s\n", st->n_tasks, st->n_threads,
          st->filter ? " (late materialization: output columns read only where rows match)" : "");
  bprintf(&b, "bytes: filter columns %" PRIu64 " of %" PRIu64 ", output columns at most %" PRIu64 " of %" PRIu64 "\n",
          fbytes, fbytes_all, obytes, obytes_all);
  if (lc_buf_append(&b, "", 1)) {
    lc_buf_free(&b);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  size_t len;
  *out = (char *)lc_buf_steal(&b, &len);
  return 0;
}

int lancec_dataset_explain(const lancec_dataset *ds, const lancec_scan_options *opts, char **out,
                           lancec_error *err) {
  if (!ds || !out) return lc_err(err, LANCEC_EINVAL, "lancec_dataset_explain: NULL argument");
  *out = NULL;
  lc_scan *st = NULL;
  LC_TRY(lc_scan_open(&st, ds, opts, NULL, NULL, err));
  int rc = lc_scan_explain(st, out, err);
  lc_scan_free(st);
  return rc;
}
