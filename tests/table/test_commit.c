/* The commit protocol, manifest building and deletion files, on copies of
 * corpus datasets (no data file writer needed): Append / Overwrite commits
 * that reference existing data files, Delete commits from offsets,
 * conflicts, concurrent committers, fault injection. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include "testutil.h"

#include "io/io.h"
#include "table/table.h"
#include "table/table_write.h"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct fixture {
  char *tmp;
  char *root;
  lc_io *io;
} fixture;

static void fx_open(fixture *fx, const char *corpus_name) {
  fx->tmp = tu_tempdir();
  assert_non_null(fx->tmp);
  char *src = tu_shared_path(corpus_name);
  assert_non_null(src);
  char *cmd = lc_sprintf("cp -r '%s' '%s/ds.lance'", src, fx->tmp);
  assert_int_equal(system(cmd), 0);
  lc_free(cmd);
  lc_free(src);
  fx->root = lc_sprintf("%s/ds.lance", fx->tmp);
  lancec_error err = {0};
  assert_ok(lc_io_local_new(&fx->io, &err), &err);
}

static void fx_close(fixture *fx) {
  lc_io_unref(fx->io);
  tu_rmtree(fx->tmp);
  lc_free(fx->tmp);
  lc_free(fx->root);
}

static lc_manifest *latest(fixture *fx) {
  lancec_error err = {0};
  char *path = NULL;
  assert_ok(lc_version_manifest_path(fx->io, fx->root, 0, &path, NULL, &err), &err);
  lc_manifest *m = NULL;
  assert_ok(lc_manifest_read(&m, fx->io, path, &err), &err);
  lc_free(path);
  return m;
}

/* All values of an integer column `col` of `version` (0 = latest), as int64. */
static int64_t *scan_col(const char *uri, uint64_t version, const char *col, size_t *n) {
  lancec_error err = {0};
  lancec_open_options oo = LANCEC_OPEN_OPTIONS_INIT;
  oo.version = version;
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, &oo, &err), &err);
  lancec_scan_options so = LANCEC_SCAN_OPTIONS_INIT;
  const char *cols[1] = {col};
  so.columns = cols;
  so.num_columns = 1;
  struct ArrowArrayStream st;
  assert_ok(lancec_dataset_scan(ds, &so, &st, &err), &err);
  struct ArrowSchema sch;
  assert_int_equal(st.get_schema(&st, &sch), 0);
  char fmt = sch.children[0]->format[0];
  sch.release(&sch);
  int64_t *v = NULL;
  size_t cnt = 0;
  for (;;) {
    struct ArrowArray b;
    assert_int_equal(st.get_next(&st, &b), 0);
    if (!b.release) break;
    const struct ArrowArray *c = b.children[0];
    v = lc_realloc(v, (cnt + (size_t)b.length + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < b.length; i++) {
      int64_t x = fmt == 'i' ? ((const int32_t *)c->buffers[1])[c->offset + i]
                             : ((const int64_t *)c->buffers[1])[c->offset + i];
      v[cnt++] = x;
    }
    b.release(&b);
  }
  st.release(&st);
  lancec_dataset_free(ds);
  *n = cnt;
  return v;
}

static uint64_t count_rows(const char *uri, uint64_t version) {
  lancec_error err = {0};
  lancec_open_options oo = LANCEC_OPEN_OPTIONS_INIT;
  oo.version = version;
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, &oo, &err), &err);
  uint64_t n = lancec_dataset_count_rows(ds);
  lancec_dataset_free(ds);
  return n;
}

/* An Append op re-using fragment 0's data files (rows are duplicated). */
static lc_commit_op append_op(const lc_manifest *m) {
  static __thread Lance__Table__DataFragment frag;
  static __thread Lance__Table__DataFragment *fp;
  frag = *m->pb->fragments[0];
  frag.has_id = false;
  frag.id = 0;
  frag.deletion_file = NULL;
  fp = &frag;
  lc_commit_op op = {0};
  op.kind = LC_TXN_APPEND;
  op.read_version = m->version;
  op.fragments = &fp;
  op.n_fragments = 1;
  return op;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_append_commit_checklist(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/types_int.lance");
  lancec_error err = {0};
  lc_manifest *m1 = latest(&fx);
  lc_commit_op op = append_op(m1);
  lc_commit_result cr;
  assert_ok(lc_commit(fx.io, fx.root, &op, NULL, &cr, &err), &err);
  assert_int_equal(cr.version, 2);
  lc_manifest_free(m1);

  lc_manifest *m = latest(&fx);
  assert_int_equal(m->version, 2);
  const Lance__Table__Manifest *pb = m->pb;
  assert_int_equal(pb->n_fragments, 2);
  assert_int_equal(pb->fragments[0]->id, 0);
  assert_int_equal(pb->fragments[1]->id, 1);
  assert_true(pb->has_max_fragment_id);
  assert_int_equal(pb->max_fragment_id, 1);
  assert_non_null(pb->writer_version);
  assert_string_equal(pb->writer_version->library, "lancec");
  assert_non_null(pb->data_format);
  assert_string_equal(pb->data_format->version, "2.1");
  assert_non_null(pb->timestamp);
  assert_true(m->timestamp_ns > 0);
  assert_true(pb->has_transaction_section);
  assert_int_equal(pb->transaction_section, 0);
  assert_non_null(pb->transaction_file);
  assert_false(pb->has_index_section);
  /* footer 0.2 */
  assert_int_equal(lc_le16(m->raw + m->raw_len - 8), 0);
  assert_int_equal(lc_le16(m->raw + m->raw_len - 6), 2);
  /* the .txn file equals the inline transaction */
  char *tp = lc_sprintf("%s/_transactions/%s", fx.root, pb->transaction_file);
  size_t tl = 0;
  uint8_t *tb = tu_read_file(tp, &tl);
  assert_non_null(tb);
  assert_int_equal(lc_le32(m->raw), tl);
  assert_memory_equal(m->raw + 4, tb, tl);
  assert_true(!strncmp(pb->transaction_file, "1-", 2));
  free(tb);
  lc_free(tp);
  Lance__Transaction *t = NULL;
  assert_ok(lc_manifest_transaction(m, fx.io, fx.root, &t, &err), &err);
  assert_non_null(t);
  assert_int_equal(t->operation_case, LANCE__TRANSACTION__OPERATION_APPEND);
  assert_int_equal(t->read_version, 1);
  assert_int_equal(t->append->n_fragments, 1);
  assert_false(t->append->fragments[0]->has_id);
  lance__transaction__free_unpacked(t, NULL);
  lc_manifest_free(m);

  /* the hint */
  char *hp = lc_sprintf("%s/_versions/latest_version_hint.json", fx.root);
  size_t hl = 0;
  uint8_t *hb = tu_read_file(hp, &hl);
  assert_non_null(hb);
  assert_int_equal(hl, 13);
  assert_memory_equal(hb, "{\"version\":2}", 13);
  free(hb);
  lc_free(hp);

  /* read back: twice the rows; version 1 still 800 */
  assert_int_equal(count_rows(fx.root, 0), 1600);
  assert_int_equal(count_rows(fx.root, 1), 800);
  size_t n = 0;
  int64_t *v = scan_col(fx.root, 0, "row", &n);
  assert_int_equal(n, 1600);
  for (size_t i = 0; i < 800; i++) assert_int_equal(v[i], v[i + 800]);
  lc_free(v);

  lancec_version_info *vi = NULL;
  size_t nv = 0;
  assert_ok(lancec_dataset_versions(&vi, &nv, fx.root, &err), &err);
  assert_int_equal(nv, 2);
  assert_string_equal(vi[1].operation, "Append");
  assert_int_equal(vi[1].num_rows, 1600);
  lancec_versions_free(vi);
  fx_close(&fx);
}

static void test_overwrite_commit(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/types_int.lance");
  lancec_error err = {0};
  lc_manifest *m1 = latest(&fx);
  lc_commit_op ap = append_op(m1);
  assert_ok(lc_commit(fx.io, fx.root, &ap, NULL, NULL, &err), &err);
  lc_manifest_free(m1);
  lc_manifest *m2 = latest(&fx);
  /* overwrite with one fragment (fragment 1's files), same schema, config */
  Lance__Table__DataFragment frag = *m2->pb->fragments[1];
  Lance__Table__DataFragment *fp = &frag;
  const char *keys[] = {"k1"}, *vals[] = {"v1"};
  lc_commit_op op = {0};
  op.kind = LC_TXN_OVERWRITE;
  op.read_version = 2;
  op.fragments = &fp;
  op.n_fragments = 1;
  op.fields = m2->pb->fields;
  op.n_fields = m2->pb->n_fields;
  op.config_keys = keys;
  op.config_values = vals;
  op.n_config = 1;
  lc_commit_result cr;
  assert_ok(lc_commit(fx.io, fx.root, &op, NULL, &cr, &err), &err);
  assert_int_equal(cr.version, 3);
  lc_manifest_free(m2);
  lc_manifest *m = latest(&fx);
  assert_int_equal(m->pb->n_fragments, 1);
  assert_int_equal(m->pb->fragments[0]->id, 0);
  assert_int_equal(m->pb->max_fragment_id, 1); /* high-water mark kept */
  assert_int_equal(m->pb->n_config, 1);
  assert_string_equal(m->pb->config[0]->key, "k1");
  assert_true(m->pb->writer_feature_flags & LC_FLAG_TABLE_CONFIG);
  assert_int_equal(m->pb->reader_feature_flags, 0);
  lc_manifest_free(m);
  assert_int_equal(count_rows(fx.root, 0), 800);
  /* the next append gets id 2 and keeps the config */
  m = latest(&fx);
  lc_commit_op ap2 = append_op(m);
  assert_ok(lc_commit(fx.io, fx.root, &ap2, NULL, &cr, &err), &err);
  lc_manifest_free(m);
  m = latest(&fx);
  assert_int_equal(m->pb->fragments[1]->id, 2);
  assert_int_equal(m->pb->n_config, 1);
  lc_manifest_free(m);
  assert_int_equal(count_rows(fx.root, 2), 1600);
  fx_close(&fx);
}

static void test_create_only_exists(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/types_int.lance");
  lancec_error err = {0};
  lc_manifest *m = latest(&fx);
  lc_commit_op op = {0};
  op.kind = LC_TXN_OVERWRITE;
  op.create_only = true;
  op.fields = m->pb->fields;
  op.n_fields = m->pb->n_fields;
  assert_int_equal(lc_commit(fx.io, fx.root, &op, NULL, NULL, &err), LANCEC_EEXISTS);
  lc_manifest_free(m);
  /* nothing written: no transaction files beyond the corpus's own */
  char *d = lc_sprintf("%s/_transactions", fx.root);
  char *cmd = lc_sprintf("test $(ls '%s' | wc -l) -eq 1", d);
  assert_int_equal(system(cmd), 0);
  lc_free(cmd);
  lc_free(d);
  fx_close(&fx);
}

static int64_t *range_without(int64_t n, const uint32_t *del, size_t nd, size_t *out_n) {
  uint8_t *gone = calloc((size_t)n, 1);
  for (size_t i = 0; i < nd; i++) gone[del[i]] = 1;
  int64_t *v = lc_malloc((size_t)n * sizeof(int64_t));
  size_t k = 0;
  for (int64_t i = 0; i < n; i++)
    if (!gone[i]) v[k++] = i;
  free(gone);
  *out_n = k;
  return v;
}

static void test_delete_small_large_merge_whole(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/multi_page.lance");
  lancec_error err = {0};
  size_t n0 = 0;
  int64_t *ids0 = scan_col(fx.root, 0, "id", &n0);
  assert_int_equal(n0, 110000);
  for (size_t i = 0; i < n0; i++) assert_int_equal(ids0[i], (int64_t)i);
  lc_free(ids0);

  /* small delete → .arrow */
  uint32_t small[] = {7, 3, 109999, 3, 0};
  uint32_t *offs[1] = {small};
  size_t nof[1] = {5};
  uint64_t fid[1] = {0};
  lc_manifest *m = latest(&fx);
  lancec_write_result res;
  bool retry = false;
  assert_ok(
      lc_delete_offsets(fx.io, fx.root, m, fid, offs, nof, 1, "id IN (0,3,7,109999)", &res, &retry, &err),
      &err);
  lc_manifest_free(m);
  assert_int_equal(res.version, 2);
  assert_int_equal(res.num_rows, 4);
  assert_int_equal(res.num_deleted_rows, 4);
  m = latest(&fx);
  const Lance__Table__DataFragment *f = m->pb->fragments[0];
  assert_non_null(f->deletion_file);
  assert_int_equal(f->deletion_file->file_type, 0);
  assert_int_equal(f->deletion_file->read_version, 1);
  assert_int_equal(f->deletion_file->num_deleted_rows, 4);
  assert_true(m->pb->reader_feature_flags & LC_FLAG_DELETION_FILES);
  Lance__Transaction *t = NULL;
  assert_ok(lc_manifest_transaction(m, fx.io, fx.root, &t, &err), &err);
  assert_int_equal(t->operation_case, LANCE__TRANSACTION__OPERATION_DELETE);
  assert_string_equal(t->delete_->predicate, "id IN (0,3,7,109999)");
  assert_int_equal(t->delete_->n_updated_fragments, 1);
  lance__transaction__free_unpacked(t, NULL);
  lc_manifest_free(m);
  uint32_t del_all[6010 + 4];
  size_t ndel = 0;
  del_all[ndel++] = 0;
  del_all[ndel++] = 3;
  del_all[ndel++] = 7;
  del_all[ndel++] = 109999;
  size_t n = 0, en = 0;
  int64_t *got = scan_col(fx.root, 0, "id", &n);
  int64_t *exp = range_without(110000, del_all, ndel, &en);
  assert_int_equal(n, en);
  assert_memory_equal(got, exp, n * sizeof(int64_t));
  lc_free(got);
  lc_free(exp);

  /* large delete merged with the existing one → .bin */
  uint32_t *big = lc_malloc(6000 * sizeof(uint32_t));
  for (uint32_t i = 0; i < 6000; i++) big[i] = 50000 + i * 3;
  offs[0] = big;
  nof[0] = 6000;
  m = latest(&fx);
  assert_ok(lc_delete_offsets(fx.io, fx.root, m, fid, offs, nof, 1, "big", &res, &retry, &err), &err);
  lc_manifest_free(m);
  for (uint32_t i = 0; i < 6000; i++) del_all[ndel++] = big[i];
  lc_free(big);
  assert_int_equal(res.version, 3);
  assert_int_equal(res.num_rows, 6000);
  m = latest(&fx);
  f = m->pb->fragments[0];
  assert_int_equal(f->deletion_file->file_type, 1);
  assert_int_equal(f->deletion_file->read_version, 2);
  assert_int_equal(f->deletion_file->num_deleted_rows, 6004);
  lc_manifest_free(m);
  got = scan_col(fx.root, 0, "id", &n);
  exp = range_without(110000, del_all, ndel, &en);
  assert_int_equal(n, en);
  assert_memory_equal(got, exp, n * sizeof(int64_t));
  lc_free(got);
  lc_free(exp);
  /* older versions unchanged */
  assert_int_equal(count_rows(fx.root, 1), 110000);
  assert_int_equal(count_rows(fx.root, 2), 110000 - 4);

  /* deleting only already-deleted rows commits nothing */
  uint32_t again[] = {3, 7};
  offs[0] = again;
  nof[0] = 2;
  m = latest(&fx);
  assert_ok(lc_delete_offsets(fx.io, fx.root, m, fid, offs, nof, 1, "x", &res, &retry, &err), &err);
  lc_manifest_free(m);
  assert_int_equal(res.version, 3);
  assert_int_equal(res.num_rows, 0);

  /* whole fragment → removed, max_fragment_id kept */
  uint32_t *all = lc_malloc(110000 * sizeof(uint32_t));
  for (uint32_t i = 0; i < 110000; i++) all[i] = i;
  offs[0] = all;
  nof[0] = 110000;
  m = latest(&fx);
  assert_ok(lc_delete_offsets(fx.io, fx.root, m, fid, offs, nof, 1, "true", &res, &retry, &err), &err);
  lc_manifest_free(m);
  lc_free(all);
  assert_int_equal(res.version, 4);
  assert_int_equal(res.num_fragments, 0);
  assert_int_equal(res.num_rows, 110000 - 6004);
  m = latest(&fx);
  assert_int_equal(m->pb->n_fragments, 0);
  assert_true(m->pb->has_max_fragment_id);
  assert_int_equal(m->pb->max_fragment_id, 0);
  assert_int_equal(m->pb->reader_feature_flags, 0);
  assert_ok(lc_manifest_transaction(m, fx.io, fx.root, &t, &err), &err);
  assert_int_equal(t->delete_->n_deleted_fragment_ids, 1);
  lance__transaction__free_unpacked(t, NULL);
  lc_manifest_free(m);
  assert_int_equal(count_rows(fx.root, 0), 0);
  got = scan_col(fx.root, 0, "id", &n);
  assert_int_equal(n, 0);
  lc_free(got);
  fx_close(&fx);
}

static void test_deletion_encoders(void **state) {
  (void)state;
  lancec_error err = {0};
  uint32_t rows[] = {10, 11, 12};
  uint8_t *b = NULL;
  size_t len = 0;
  assert_ok(lc_deletion_encode_arrow(rows, 3, &b, &len, &err), &err);
  assert_int_equal(len, 474);
  uint32_t *back = NULL;
  size_t nb = 0;
  assert_ok(lc_deletion_parse_arrow(b, len, "t.arrow", &back, &nb, &err), &err);
  assert_int_equal(nb, 3);
  assert_memory_equal(back, rows, sizeof(rows));
  lc_free(back);
  lc_free(b);
  /* 5000 values in one bitmap container: 8208 bytes like Lance */
  uint32_t *many = lc_malloc(5000 * sizeof(uint32_t));
  for (uint32_t i = 0; i < 5000; i++) many[i] = i;
  assert_ok(lc_deletion_encode_bitmap(many, 5000, &b, &len, &err), &err);
  assert_int_equal(len, 8208);
  assert_int_equal(lc_le32(b), 12346);
  assert_ok(lc_deletion_parse_bitmap(b, len, "t.bin", &back, &nb, &err), &err);
  assert_int_equal(nb, 5000);
  assert_memory_equal(back, many, 5000 * sizeof(uint32_t));
  lc_free(back);
  lc_free(b);
  lc_free(many);
}

static void test_conflicts(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/tall_fragments.lance");
  lancec_error err = {0};
  lc_manifest *r = latest(&fx); /* both writers read this version */
  uint64_t rv = r->version;
  uint64_t f0 = r->pb->fragments[0]->id, f1 = r->pb->fragments[1]->id;
  bool retry = false;
  lancec_write_result res;
  /* writer A deletes in fragment f0 */
  uint32_t a_rows[] = {1};
  uint32_t *offs[1] = {a_rows};
  size_t nof[1] = {1};
  uint64_t fid[1] = {f0};
  assert_ok(lc_delete_offsets(fx.io, fx.root, r, fid, offs, nof, 1, "a", &res, &retry, &err), &err);
  assert_int_equal(res.version, rv + 1);
  /* writer B (stale) deletes in f1: different fragment → rebased, committed */
  fid[0] = f1;
  assert_ok(lc_delete_offsets(fx.io, fx.root, r, fid, offs, nof, 1, "b", &res, &retry, &err), &err);
  assert_int_equal(res.version, rv + 2);
  /* writer C (stale) deletes in f0 too → retryable conflict */
  fid[0] = f0;
  uint32_t c_rows[] = {2};
  offs[0] = c_rows;
  assert_int_equal(lc_delete_offsets(fx.io, fx.root, r, fid, offs, nof, 1, "c", &res, &retry, &err),
                   LANCEC_ECONFLICT);
  assert_true(retry);
  assert_non_null(strstr(err.message, "Delete"));
  /* an Append from the stale version is fine */
  lc_commit_op ap = append_op(r);
  lc_commit_result cr;
  assert_ok(lc_commit(fx.io, fx.root, &ap, NULL, &cr, &err), &err);
  assert_int_equal(cr.version, rv + 3);
  lc_manifest *l = latest(&fx);
  /* new fragment id above the old high-water mark */
  assert_int_equal(l->pb->fragments[l->pb->n_fragments - 1]->id, r->pb->max_fragment_id + 1);
  /* an Overwrite, then a stale Append → incompatible */
  lc_commit_op ow = {0};
  ow.kind = LC_TXN_OVERWRITE;
  ow.read_version = l->version;
  ow.fields = l->pb->fields;
  ow.n_fields = l->pb->n_fields;
  assert_ok(lc_commit(fx.io, fx.root, &ow, NULL, &cr, &err), &err);
  lc_manifest_free(l);
  assert_int_equal(count_rows(fx.root, 0), 0);
  assert_int_equal(lc_commit(fx.io, fx.root, &ap, NULL, &cr, &err), LANCEC_ECONFLICT);
  assert_false(cr.retryable);
  assert_non_null(strstr(err.message, "Overwrite"));
  lc_manifest_free(r);
  fx_close(&fx);
}

typedef struct thr_arg {
  fixture *fx;
  int n;
  int failures;
} thr_arg;

static void *appender(void *p) {
  thr_arg *a = p;
  for (int i = 0; i < a->n; i++) {
    lancec_error err = {0};
    char *path = NULL;
    lc_manifest *m = NULL;
    if (lc_version_manifest_path(a->fx->io, a->fx->root, 0, &path, NULL, &err) ||
        lc_manifest_read(&m, a->fx->io, path, &err)) {
      a->failures++;
      lc_free(path);
      continue;
    }
    lc_free(path);
    /* reuse the first fragment of the original version */
    lc_manifest *m1 = NULL;
    char *p1 = NULL;
    lc_version_manifest_path(a->fx->io, a->fx->root, 1, &p1, NULL, &err);
    lc_manifest_read(&m1, a->fx->io, p1, &err);
    lc_free(p1);
    lc_commit_op op = append_op(m1);
    op.read_version = m->version;
    lc_commit_options co = {.max_attempts = 200};
    if (lc_commit(a->fx->io, a->fx->root, &op, &co, NULL, &err)) {
      fprintf(stderr, "append failed: %s\n", err.message);
      a->failures++;
    }
    lc_manifest_free(m);
    lc_manifest_free(m1);
  }
  return NULL;
}

static void test_concurrent_appends(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/types_int.lance");
  enum { T = 8, N = 12 };
  pthread_t th[T];
  thr_arg args[T];
  for (int i = 0; i < T; i++) {
    args[i] = (thr_arg){&fx, N, 0};
    pthread_create(&th[i], NULL, appender, &args[i]);
  }
  for (int i = 0; i < T; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(args[i].failures, 0);
  }
  lc_manifest *m = latest(&fx);
  assert_int_equal(m->version, 1 + T * N);
  assert_int_equal(m->pb->n_fragments, 1 + T * N);
  for (size_t i = 0; i < m->pb->n_fragments; i++) assert_int_equal(m->pb->fragments[i]->id, i);
  lc_manifest_free(m);
  assert_int_equal(count_rows(fx.root, 0), 800 * (1 + T * N));
  size_t n = 0;
  int64_t *v = scan_col(fx.root, 0, "row", &n);
  assert_int_equal(n, 800 * (1 + T * N));
  lc_free(v);
  fx_close(&fx);
}

static void test_fault_injection(void **state) {
  (void)state;
  /* fail the k-th write call of an append, for every k until one succeeds */
  for (uint64_t k = 1; k < 20; k++) {
    fixture fx;
    fx_open(&fx, "corpus/public/types_int.lance");
    lancec_error err = {0};
    lc_io *cio = NULL;
    assert_ok(lc_io_counting_new(&cio, fx.io, &err), &err);
    lc_io_fault fault = {.fail_at = k, .fail_kind = LC_IO_FAULT_WRITE};
    lc_io_counting_set_fault(cio, &fault);
    lc_manifest *m = latest(&fx);
    lc_commit_op op = append_op(m);
    lc_commit_result cr;
    int rc = lc_commit(cio, fx.root, &op, NULL, &cr, &err);
    lc_manifest_free(m);
    lc_io_unref(cio);
    /* the dataset opens at a complete version: 1 if the commit failed, 2 otherwise */
    lancec_dataset *ds = NULL;
    assert_ok(lancec_dataset_open(&ds, fx.root, NULL, &err), &err);
    if (rc) {
      assert_int_equal(lancec_dataset_version(ds), 1);
      assert_int_equal(lancec_dataset_count_rows(ds), 800);
    } else {
      assert_int_equal(lancec_dataset_version(ds), 2);
      assert_int_equal(lancec_dataset_count_rows(ds), 1600);
    }
    lancec_dataset_free(ds);
    /* no staging file looks like a manifest */
    char *cmd = lc_sprintf("test $(ls '%s/_versions' | grep -c 'manifest$') -eq %d", fx.root, rc ? 1 : 2);
    assert_int_equal(system(cmd), 0);
    lc_free(cmd);
    fx_close(&fx);
    if (rc == 0) break;
  }
}

static void test_v1_names_kept(void **state) {
  (void)state;
  fixture fx;
  fx_open(&fx, "corpus/public/types_int.lance");
  char *cmd = lc_sprintf("cd '%s/_versions' && mv 18446744073709551614.manifest 1.manifest", fx.root);
  assert_int_equal(system(cmd), 0);
  lc_free(cmd);
  lancec_error err = {0};
  lc_manifest *m = latest(&fx);
  lc_commit_op op = append_op(m);
  assert_ok(lc_commit(fx.io, fx.root, &op, NULL, NULL, &err), &err);
  lc_manifest_free(m);
  char *p = lc_sprintf("%s/_versions/2.manifest", fx.root);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  lc_free(p);
  assert_int_equal(count_rows(fx.root, 0), 1600);
  fx_close(&fx);
}

/* The §9.5 table for our three operations against every committed kind. */
static void test_conflict_rules(void **state) {
  (void)state;
  Lance__Table__DataFragment f3, f4;
  lance__table__data_fragment__init(&f3);
  lance__table__data_fragment__init(&f4);
  f3.id = 3;
  f3.has_id = true;
  f4.id = 4;
  f4.has_id = true;
  Lance__Table__DataFragment *mine_frags[1] = {&f3}, *other_frags[1] = {&f4};
  const char *keys[1] = {"k"}, *vals[1] = {"v"};
  lc_commit_op ap = {.kind = LC_TXN_APPEND};
  lc_commit_op de = {.kind = LC_TXN_DELETE, .updated_fragments = mine_frags, .n_updated = 1};
  lc_commit_op ow = {.kind = LC_TXN_OVERWRITE, .config_keys = keys, .config_values = vals, .n_config = 1};

  Lance__Transaction__Append t_ap = LANCE__TRANSACTION__APPEND__INIT;
  Lance__Transaction__Delete t_de_same = LANCE__TRANSACTION__DELETE__INIT,
                             t_de_other = LANCE__TRANSACTION__DELETE__INIT;
  t_de_same.n_updated_fragments = 1;
  t_de_same.updated_fragments = mine_frags;
  t_de_other.n_updated_fragments = 1;
  t_de_other.updated_fragments = other_frags;
  uint64_t gone3[1] = {3};
  Lance__Transaction__Delete t_de_removed = LANCE__TRANSACTION__DELETE__INIT;
  t_de_removed.n_deleted_fragment_ids = 1;
  t_de_removed.deleted_fragment_ids = gone3;
  Lance__Transaction__Overwrite t_ow = LANCE__TRANSACTION__OVERWRITE__INIT;
  Lance__Transaction__Overwrite__ConfigUpsertValuesEntry ce =
      LANCE__TRANSACTION__OVERWRITE__CONFIG_UPSERT_VALUES_ENTRY__INIT;
  ce.key = "k";
  Lance__Transaction__Overwrite__ConfigUpsertValuesEntry *cep = &ce;
  Lance__Transaction__Overwrite t_ow_k = LANCE__TRANSACTION__OVERWRITE__INIT;
  t_ow_k.n_config_upsert_values = 1;
  t_ow_k.config_upsert_values = &cep;
  Lance__Transaction__Merge t_me = LANCE__TRANSACTION__MERGE__INIT;
  Lance__Transaction__Restore t_re = LANCE__TRANSACTION__RESTORE__INIT;
  Lance__Transaction__CreateIndex t_ci = LANCE__TRANSACTION__CREATE_INDEX__INIT;
  Lance__Transaction__RewriteGroup g = LANCE__TRANSACTION__REWRITE_GROUP__INIT;
  g.n_old_fragments = 1;
  g.old_fragments = mine_frags;
  Lance__Transaction__RewriteGroup *gp = &g;
  Lance__Transaction__Rewrite t_rw = LANCE__TRANSACTION__REWRITE__INIT;
  t_rw.n_groups = 1;
  t_rw.groups = &gp;

  struct {
    int op; /* 0 append, 1 delete, 2 overwrite */
    Lance__Transaction__OperationCase c;
    void *msg;
    int want; /* 0 ok, 1 retryable, 2 incompatible */
  } cases[] = {
      {0, LANCE__TRANSACTION__OPERATION_APPEND, &t_ap, 0},
      {0, LANCE__TRANSACTION__OPERATION_DELETE, &t_de_same, 0},
      {0, LANCE__TRANSACTION__OPERATION_OVERWRITE, &t_ow, 2},
      {0, LANCE__TRANSACTION__OPERATION_RESTORE, &t_re, 2},
      {0, LANCE__TRANSACTION__OPERATION_MERGE, &t_me, 0},
      {0, LANCE__TRANSACTION__OPERATION_REWRITE, &t_rw, 0},
      {0, LANCE__TRANSACTION__OPERATION_CREATE_INDEX, &t_ci, 0},
      {0, LANCE__TRANSACTION__OPERATION__NOT_SET, NULL, 2},
      {1, LANCE__TRANSACTION__OPERATION_APPEND, &t_ap, 0},
      {1, LANCE__TRANSACTION__OPERATION_DELETE, &t_de_same, 1},
      {1, LANCE__TRANSACTION__OPERATION_DELETE, &t_de_other, 0},
      {1, LANCE__TRANSACTION__OPERATION_DELETE, &t_de_removed, 1},
      {1, LANCE__TRANSACTION__OPERATION_OVERWRITE, &t_ow, 2},
      {1, LANCE__TRANSACTION__OPERATION_RESTORE, &t_re, 2},
      {1, LANCE__TRANSACTION__OPERATION_MERGE, &t_me, 1},
      {1, LANCE__TRANSACTION__OPERATION_REWRITE, &t_rw, 1},
      {1, LANCE__TRANSACTION__OPERATION_CREATE_INDEX, &t_ci, 0},
      {2, LANCE__TRANSACTION__OPERATION_APPEND, &t_ap, 0},
      {2, LANCE__TRANSACTION__OPERATION_DELETE, &t_de_same, 0},
      {2, LANCE__TRANSACTION__OPERATION_OVERWRITE, &t_ow, 0},
      {2, LANCE__TRANSACTION__OPERATION_OVERWRITE, &t_ow_k, 2},
      {2, LANCE__TRANSACTION__OPERATION_RESTORE, &t_re, 0},
      {2, LANCE__TRANSACTION__OPERATION_MERGE, &t_me, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    Lance__Transaction t = LANCE__TRANSACTION__INIT;
    t.operation_case = cases[i].c;
    t.append = cases[i].msg; /* union member: any operation pointer */
    const lc_commit_op *op = cases[i].op == 0 ? &ap : cases[i].op == 1 ? &de : &ow;
    bool retry = false;
    lancec_error err = {0};
    int rc = lc_conflict_check(op, &t, 7, &retry, &err);
    int got = rc == 0 ? 0 : retry ? 1 : 2;
    if (got != cases[i].want) fail_msg("case %zu: got %d want %d (%s)", i, got, cases[i].want, err.message);
    if (rc) assert_int_equal(rc, LANCEC_ECONFLICT);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deletion_encoders),
      cmocka_unit_test(test_conflict_rules),
      cmocka_unit_test(test_append_commit_checklist),
      cmocka_unit_test(test_overwrite_commit),
      cmocka_unit_test(test_create_only_exists),
      cmocka_unit_test(test_delete_small_large_merge_whole),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_concurrent_appends),
      cmocka_unit_test(test_fault_injection),
      cmocka_unit_test(test_v1_names_kept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
