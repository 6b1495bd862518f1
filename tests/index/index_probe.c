/* index_probe: checks lc_index_plan against real Lance (tests/index/gen_index.mjs).
 *
 * usage: index_probe DATASET CASES.jsonl [-v]
 *
 * For every case {"filter", "rowids" | "error", "expect"} the filter is parsed
 * and bound by lancec and planned with lc_index_plan (once without a cache,
 * once with a shared cache: both answers must be identical). Within the
 * fragments the plan covers, the candidate rows must include
 *   (a) every row real Lance returned (its _rowid = row address here), and
 *   (b) every non-deleted row on which lancec's own evaluator, reading the
 *       data files, finds the whole filter TRUE.
 * "expect" names the indices that must be used ("a+b"), "none" or "any".
 * A case is "exact" when the candidates minus deleted rows equal (a).
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage / setup error. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrow/arrow.h"
#include "expr/expr.h"
#include "file/file.h"
#include "index/index.h"
#include "table/table.h"

static int verbose;

/* ---- ground truth from the data files -------------------------------------------- */

/* Rows of fragment `frag` (not deleted) on which `e` is TRUE. */
static int eval_fragment(lancec_dataset *ds, const Lance__Table__DataFragment *frag, const lc_expr *e,
                         roaring_bitmap_t *out, lancec_error *err) {
  const lc_manifest *m = ds->manifest;
  size_t nc = lc_expr_num_columns(e);
  uint64_t n = frag->physical_rows;
  const lc_field **fields = calloc(nc ? nc : 1, sizeof *fields);
  struct ArrowArray *cols = calloc(nc ? nc : 1, sizeof *cols);
  int rc = 0;
  for (size_t i = 0; i < nc && !rc; i++) {
    const lc_field *f = lc_schema_find_name(m->schema, lc_expr_column(e, i));
    if (!f) {
      rc = lc_err(err, LANCEC_EINVAL, "column %s not in the schema", lc_expr_column(e, i));
      break;
    }
    fields[i] = f;
    const Lance__Table__DataFile *df = NULL;
    for (size_t d = 0; d < frag->n_files && !df; d++)
      for (size_t k = 0; k < frag->files[d]->n_fields; k++)
        if (frag->files[d]->fields[k] == f->id) df = frag->files[d];
    if (!df) {
      rc = lc_array_make_nulls(f, (int64_t)n, &cols[i], err);
      continue;
    }
    char *path = lc_dataset_data_file_path(ds, df);
    lc_file *file = NULL;
    rc = lc_file_open(&file, ds->io, path, df->file_size_bytes, err);
    free(path);
    if (rc) break;
    lc_file_colmap map = {df->fields, df->column_indices, df->n_fields};
    lc_field_reader *r = NULL;
    rc = lc_field_reader_new(&r, file, f, &map, err);
    if (!rc) rc = lc_field_reader_read(r, 0, n, &cols[i], err);
    lc_field_reader_free(r);
    lc_file_free(file);
  }
  struct ArrowArray batch = {0};
  if (!rc) {
    /* lc_array_make_batch moves the columns in */
    rc = lc_array_make_batch(cols, nc, (int64_t)n, &batch, err);
  }
  uint8_t *keep = calloc(n / 8 + 1, 1);
  if (!rc) rc = lc_expr_eval(e, (const lc_field *const *)fields, nc, &batch, keep, err);
  uint32_t *del = NULL;
  size_t ndel = 0;
  if (!rc && frag->deletion_file) rc = lc_deletion_read(ds->io, ds->root, m, frag, &del, &ndel, err);
  if (!rc) {
    for (size_t i = 0; i < ndel; i++)
      if (del[i] < n) lc_bit_clear(keep, del[i]);
    for (uint64_t i = 0; i < n; i++)
      if (lc_bit_get(keep, (int64_t)i)) roaring_bitmap_add(out, (uint32_t)i);
  }
  lc_free(del);
  free(keep);
  lc_array_release(&batch);
  for (size_t i = 0; i < nc; i++) lc_array_release(&cols[i]);
  free(cols);
  free(fields);
  return rc;
}

static const Lance__Table__DataFragment *find_frag(const lc_manifest *m, uint64_t id) {
  for (size_t i = 0; i < m->pb->n_fragments; i++)
    if (m->pb->fragments[i]->id == id) return m->pb->fragments[i];
  return NULL;
}

static int deleted_rows(lancec_dataset *ds, const Lance__Table__DataFragment *frag, roaring_bitmap_t *out,
                        lancec_error *err) {
  if (!frag->deletion_file) return 0;
  uint32_t *del = NULL;
  size_t ndel = 0;
  int rc = lc_deletion_read(ds->io, ds->root, ds->manifest, frag, &del, &ndel, err);
  if (!rc && ndel) roaring_bitmap_add_many(out, ndel, del);
  lc_free(del);
  return rc;
}

/* ---- stable row ids -> row addresses (real Lance's _rowid) --------------------------- */

typedef struct idmap {
  uint64_t *pairs; /* (id, address), ascending id */
  size_t n;
} idmap;

static int cmp_pair(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int idmap_build(lancec_dataset *ds, idmap *m, lancec_error *err) {
  memset(m, 0, sizeof *m);
  const lc_manifest *man = ds->manifest;
  size_t total = 0;
  for (size_t i = 0; i < man->pb->n_fragments; i++) total += man->pb->fragments[i]->physical_rows;
  m->pairs = malloc((total ? total : 1) * 16);
  for (size_t i = 0; i < man->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = man->pb->fragments[i];
    uint64_t *ids = NULL;
    roaring_bitmap_t *del = roaring_bitmap_create();
    if (lc_fragment_row_ids(ds, f, &ids, err) != 0 || deleted_rows(ds, f, del, err) != 0) return -1;
    for (uint64_t r = 0; r < f->physical_rows; r++) {
      if (roaring_bitmap_contains(del, (uint32_t)r)) continue; /* an updated row leaves a deleted copy */
      m->pairs[2 * m->n] = ids ? ids[r] : (f->id << 32 | r);
      m->pairs[2 * m->n + 1] = f->id << 32 | r;
      m->n++;
    }
    roaring_bitmap_free(del);
    lc_free(ids);
  }
  qsort(m->pairs, m->n, 16, cmp_pair);
  return 0;
}

/* Address of row id `id`, or UINT64_MAX. */
static uint64_t idmap_addr(const idmap *m, uint64_t id) {
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->pairs[2 * mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->n && m->pairs[2 * lo] == id ? m->pairs[2 * lo + 1] : UINT64_MAX;
}

/* ---- comparing plans ---------------------------------------------------------------- */

static bool same_result(const lc_index_result *a, const lc_index_result *b) {
  if (!a || !b) return a == b;
  if (a->n_frags != b->n_frags || a->n_rows != b->n_rows || a->n_uses != b->n_uses) return false;
  for (size_t i = 0; i < a->n_frags; i++)
    if (a->frags[i].id != b->frags[i].id || !roaring_bitmap_equals(a->frags[i].rows, b->frags[i].rows))
      return false;
  return true;
}

static char *used_names(const lc_index_result *r) {
  char buf[1024] = "";
  size_t len = 0;
  if (!r || r->n_uses == 0) return strdup("none");
  for (size_t i = 0; i < r->n_uses && len < sizeof buf; i++) {
    bool dup = false; /* several conjuncts on one index count once */
    for (size_t j = 0; j < i; j++) dup = dup || !strcmp(r->uses[i].index_name, r->uses[j].index_name);
    if (!dup)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "+" : "", r->uses[i].index_name);
  }
  return strdup(buf);
}

typedef struct stats {
  int cases, lance_rows_checked, lancec_checked, exact, declined, failed, lance_errors, lancec_errors,
      disagree;
  uint64_t real_rows;
} stats;

static void fail(stats *st, const char *filter, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL %s: ", filter);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  st->failed++;
}

static void run_case(lancec_dataset *ds, const idmap *ids, lc_index_cache *cache, json_t *c, stats *st) {
  const char *filter = json_string_value(json_object_get(c, "filter"));
  const char *expect = json_string_value(json_object_get(c, "expect"));
  json_t *rowids = json_object_get(c, "rowids");
  const char *lance_err = json_string_value(json_object_get(c, "error"));
  if (!filter) return;
  st->cases++;
  lancec_error err = {0};
  lc_expr *e = NULL;
  if (lc_expr_parse(&e, filter, ds->manifest->schema, &err) != 0) {
    st->lancec_errors++;
    printf("skip %s: lancec rejects it (%s)%s\n", filter, err.message, lance_err ? "; so does Lance" : "");
    return;
  }
  if (lance_err) st->lance_errors++;
  lc_index_result *r1 = NULL, *r2 = NULL, *r3 = NULL;
  if (lc_index_plan(&r1, ds, e, NULL, &err) != 0) {
    fail(st, filter, "lc_index_plan: %s", err.message);
    lc_expr_free(e);
    return;
  }
  if (lc_index_plan(&r2, ds, e, cache, &err) != 0 || lc_index_plan(&r3, ds, e, cache, &err) != 0) {
    fail(st, filter, "lc_index_plan (cached): %s", err.message);
    goto out;
  }
  if (!same_result(r1, r2) || !same_result(r1, r3)) fail(st, filter, "cached and uncached plans differ");
  char *names = used_names(r1);
  if (expect && strcmp(expect, "any") && strcmp(expect, names))
    fail(st, filter, "expected index use '%s', got '%s'", expect, names);
  free(names);
  if (!r1) {
    st->declined++;
    if (verbose) printf("ok   %s: no index\n", filter);
    goto out;
  }
  /* (a) real Lance */
  size_t nreal_cov = 0, missing_a = 0;
  if (rowids) {
    size_t i;
    json_t *v;
    json_array_foreach(rowids, i, v) {
      uint64_t a = strtoull(json_string_value(v), NULL, 10);
      if (ids) { /* stable row ids */
        a = idmap_addr(ids, a);
        if (a == UINT64_MAX) {
          fail(st, filter, "real row id %s is in no fragment", json_string_value(v));
          continue;
        }
      }
      const lc_index_frag *f = lc_index_result_fragment(r1, a >> 32);
      st->real_rows++;
      if (!f) continue;
      nreal_cov++;
      if (!roaring_bitmap_contains(f->rows, (uint32_t)a)) {
        if (missing_a < 5)
          printf("     missing real row %" PRIu64 ":%" PRIu64 "\n", a >> 32, a & 0xFFFFFFFFu);
        missing_a++;
      }
    }
    st->lance_rows_checked++;
    if (missing_a) fail(st, filter, "%zu row(s) real Lance returns are not in the index answer", missing_a);
  }
  /* (b) lancec's evaluator over the data files; exactness */
  size_t missing_b = 0, nlancec = 0;
  uint64_t cand_live = 0;
  for (size_t k = 0; k < r1->n_frags; k++) {
    const lc_index_frag *f = &r1->frags[k];
    const Lance__Table__DataFragment *frag = find_frag(ds->manifest, f->id);
    roaring_bitmap_t *truth = roaring_bitmap_create(), *del = roaring_bitmap_create();
    if (!frag || eval_fragment(ds, frag, e, truth, &err) != 0 || deleted_rows(ds, frag, del, &err) != 0) {
      fail(st, filter, "ground truth for fragment %" PRIu64 ": %s", f->id, err.message);
    } else {
      nlancec += roaring_bitmap_get_cardinality(truth);
      roaring_bitmap_t *miss = roaring_bitmap_andnot(truth, f->rows);
      missing_b += roaring_bitmap_get_cardinality(miss);
      roaring_bitmap_free(miss);
      roaring_bitmap_t *live = roaring_bitmap_andnot(f->rows, del);
      cand_live += roaring_bitmap_get_cardinality(live);
      roaring_bitmap_free(live);
    }
    roaring_bitmap_free(truth);
    roaring_bitmap_free(del);
  }
  st->lancec_checked++;
  if (missing_b)
    fail(st, filter, "%zu row(s) lancec's evaluator keeps are not in the index answer", missing_b);
  if (rowids && nlancec != nreal_cov) {
    st->disagree++;
    printf("note %s: in covered fragments real Lance returns %zu rows, lancec's evaluator %zu\n", filter,
           nreal_cov, nlancec);
  }
  bool exact = cand_live == nlancec;
  if (exact) st->exact++;
  if (verbose || !exact) {
    char *d = lc_index_result_describe(r1);
    printf("%s %s: %zu covered fragment(s), %" PRIu64 " candidates (%" PRIu64 " not deleted), %zu true%s\n",
           exact ? "ok  " : "ok  ", filter, r1->n_frags, r1->n_rows, cand_live, nlancec,
           exact ? ", exact" : ", superset");
    if (verbose && d) printf("%s\n", d);
    lc_free(d);
  }
out:
  lc_index_result_free(r1);
  lc_index_result_free(r2);
  lc_index_result_free(r3);
  lc_expr_free(e);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: index_probe DATASET CASES.jsonl [-v]\n");
    return 2;
  }
  verbose = argc > 3 && !strcmp(argv[3], "-v");
  lancec_error err = {0};
  lancec_dataset *ds = NULL;
  uint64_t ds_version = UINT64_MAX;
  idmap ids = {0};
  bool stable = false;
  FILE *fp = fopen(argv[2], "r");
  if (!fp) {
    fprintf(stderr, "index_probe: cannot open %s\n", argv[2]);
    return 2;
  }
  lc_index_cache *cache = NULL;
  if (lc_index_cache_new(&cache, 256u << 20, &err) != 0) return 2;
  stats st = {0};
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, fp) > 0) {
    json_error_t je;
    json_t *c = json_loads(line, 0, &je);
    if (!c) continue;
    /* the version real Lance answered for (0 = latest) */
    uint64_t v = (uint64_t)json_integer_value(json_object_get(c, "version"));
    if (!ds || v != ds_version) {
      lancec_dataset_free(ds);
      free(ids.pairs);
      ds = NULL;
      lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
      o.version = v;
      if (lancec_dataset_open(&ds, argv[1], &o, &err) != 0) {
        fprintf(stderr, "index_probe: %s\n", err.message);
        return 2;
      }
      ds_version = v;
      stable = (ds->manifest->pb->reader_feature_flags & LC_FLAG_STABLE_ROW_IDS) != 0;
      if (stable && idmap_build(ds, &ids, &err) != 0) {
        fprintf(stderr, "index_probe: row ids: %s\n", err.message);
        return 2;
      }
    }
    run_case(ds, stable ? &ids : NULL, cache, c, &st);
    json_decref(c);
  }
  free(line);
  fclose(fp);
  lancec_cache_stats cs;
  lc_index_cache_get_stats(cache, &cs);
  printf(
      "%s: %d filters (%d rejected by Lance, %d by lancec); %d answered by an index (%d exact), %d without; "
      "checked against %d real Lance answers (%" PRIu64
      " rows) and %d lancec evaluations; %d evaluator "
      "disagreement(s); cache %" PRIu64 " entries, %" PRIu64 " bytes, %" PRIu64 " hits; %d failure(s)\n",
      argv[1], st.cases, st.lance_errors, st.lancec_errors, st.lancec_checked, st.exact, st.declined,
      st.lance_rows_checked, st.real_rows, st.lancec_checked, st.disagree, cs.entries, cs.bytes, cs.hits,
      st.failed);
  lc_index_cache_free(cache);
  lancec_dataset_free(ds);
  free(ids.pairs);
  return st.failed ? 1 : 0;
}
