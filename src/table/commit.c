/* The commit protocol (table-format.md §9.2, §9.5; docs/commit.md):
 *
 *   payload files (data, deletions)         written by the caller first
 *   _transactions/{R}-{uuid}.txn            written once, before any attempt
 *   loop (at most max_attempts):
 *     L = latest version (listing of _versions/)
 *     for v in (checked, L]: conflict check of op against v's transaction
 *     manifest L+1 = build(L, op)
 *     put_if_absent(_versions/<name of L+1>)   ← the single atomic step
 *     EEXISTS → jittered backoff, again
 *   _versions/latest_version_hint.json      best effort
 *
 * Nothing but the manifest put makes a version visible, so a failure at any
 * point leaves at most unreferenced files behind. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "table/table_write.h"

/* ---- arena -------------------------------------------------------------------- */

void *lc_arena_alloc(lc_arena *a, size_t n) {
  if (a->n == a->cap) {
    size_t nc = a->cap ? a->cap * 2 : 32;
    void **np = lc_realloc(a->ptrs, nc * sizeof(*np));
    if (!np) {
      a->oom = true;
      return NULL;
    }
    a->ptrs = np;
    a->cap = nc;
  }
  void *p = lc_calloc(1, n ? n : 1);
  if (!p) {
    a->oom = true;
    return NULL;
  }
  a->ptrs[a->n++] = p;
  return p;
}

char *lc_arena_strdup(lc_arena *a, const char *s) {
  if (!s) return NULL;
  return lc_arena_memdup(a, s, strlen(s) + 1);
}

void *lc_arena_memdup(lc_arena *a, const void *p, size_t n) {
  void *d = lc_arena_alloc(a, n);
  if (d && n) memcpy(d, p, n);
  return d;
}

void lc_arena_free(lc_arena *a) {
  for (size_t i = 0; i < a->n; i++) lc_free(a->ptrs[i]);
  lc_free(a->ptrs);
  memset(a, 0, sizeof(*a));
}

/* ---- randomness --------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void lc_random_bytes(void *p, size_t n) {
  uint8_t *o = p;
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(o + got, n - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got == n) return;
  static __thread uint64_t state;
  if (!state) state = (uint64_t)lc_now_ns() ^ (uint64_t)(uintptr_t)&state;
  for (; got < n; got++) o[got] = (uint8_t)splitmix(&state);
}

void lc_uuid_v4(char buf[37]) {
  uint8_t u[16];
  lc_random_bytes(u, sizeof(u));
  u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
  u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
  snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
           u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

char *lc_manifest_file_name(uint64_t version, bool v2) {
  if (v2) return lc_sprintf("%020" PRIu64 ".manifest", UINT64_MAX - version);
  return lc_sprintf("%" PRIu64 ".manifest", version);
}

/* ---- conflict rules (§9.5) ------------------------------------------------------ */

static bool ids_contain(const uint64_t *ids, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (ids[i] == id) return true;
  return false;
}

static bool frags_contain(Lance__Table__DataFragment *const *f, size_t n, uint64_t id) {
  for (size_t i = 0; i < n; i++)
    if (f[i] && f[i]->id == id) return true;
  return false;
}

/* Does our Delete touch fragment `id`? */
static bool op_touches(const lc_commit_op *op, uint64_t id) {
  return frags_contain(op->updated_fragments, op->n_updated, id) ||
         ids_contain(op->deleted_fragment_ids, op->n_deleted_ids, id);
}

static bool op_touches_frags(const lc_commit_op *op, Lance__Table__DataFragment *const *f, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (f[i] && op_touches(op, f[i]->id)) return true;
  return false;
}

static bool op_touches_ids(const lc_commit_op *op, const uint64_t *ids, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (op_touches(op, ids[i])) return true;
  return false;
}

static bool op_has_config_key(const lc_commit_op *op, const char *key) {
  if (!key) return false;
  for (size_t i = 0; i < op->n_config; i++)
    if (!strcmp(op->config_keys[i], key)) return true;
  return false;
}

static const char *op_name(lc_op_kind k) {
  return k == LC_TXN_APPEND ? "Append" : k == LC_TXN_DELETE ? "Delete" : "Overwrite";
}

int lc_conflict_check(const lc_commit_op *op, const Lance__Transaction *t, uint64_t v, bool *retryable,
                      lancec_error *err) {
  *retryable = false;
  const char *theirs = lc_transaction_operation_name(t);
  enum { OK, RETRY, FAIL } r = OK;
  switch (op->kind) {
    case LC_TXN_APPEND:
      switch (t->operation_case) {
        case LANCE__TRANSACTION__OPERATION_OVERWRITE:
        case LANCE__TRANSACTION__OPERATION_RESTORE:
        case LANCE__TRANSACTION__OPERATION_UPDATE_MEM_WAL_STATE:
        case LANCE__TRANSACTION__OPERATION__NOT_SET:
          r = FAIL;
          break;
        default:
          r = OK;
      }
      break;
    case LC_TXN_DELETE:
      switch (t->operation_case) {
        case LANCE__TRANSACTION__OPERATION_DELETE:
          /* a: any shared fragment → redo the delete on the new version */
          if (op_touches_frags(op, t->delete_->updated_fragments, t->delete_->n_updated_fragments) ||
              op_touches_ids(op, t->delete_->deleted_fragment_ids, t->delete_->n_deleted_fragment_ids))
            r = RETRY;
          break;
        case LANCE__TRANSACTION__OPERATION_UPDATE:
          if (op_touches_frags(op, t->update->updated_fragments, t->update->n_updated_fragments) ||
              op_touches_ids(op, t->update->removed_fragment_ids, t->update->n_removed_fragment_ids))
            r = RETRY;
          break;
        case LANCE__TRANSACTION__OPERATION_REWRITE: {
          const Lance__Transaction__Rewrite *rw = t->rewrite;
          if (op_touches_frags(op, rw->old_fragments, rw->n_old_fragments)) r = RETRY;
          for (size_t g = 0; g < rw->n_groups && r == OK; g++)
            if (op_touches_frags(op, rw->groups[g]->old_fragments, rw->groups[g]->n_old_fragments)) r = RETRY;
          break;
        }
        case LANCE__TRANSACTION__OPERATION_DATA_REPLACEMENT: {
          const Lance__Transaction__DataReplacement *dr = t->data_replacement;
          for (size_t g = 0; g < dr->n_replacements && r == OK; g++)
            if (op_touches(op, dr->replacements[g]->fragment_id)) r = RETRY;
          break;
        }
        case LANCE__TRANSACTION__OPERATION_MERGE:
          r = RETRY;
          break;
        case LANCE__TRANSACTION__OPERATION_OVERWRITE:
        case LANCE__TRANSACTION__OPERATION_RESTORE:
        case LANCE__TRANSACTION__OPERATION_UPDATE_MEM_WAL_STATE:
        case LANCE__TRANSACTION__OPERATION__NOT_SET:
          r = FAIL;
          break;
        default:
          r = OK;
      }
      break;
    case LC_TXN_OVERWRITE:
      switch (t->operation_case) {
        case LANCE__TRANSACTION__OPERATION_OVERWRITE: {
          /* k: both upsert the same config key */
          const Lance__Transaction__Overwrite *ow = t->overwrite;
          for (size_t i = 0; i < ow->n_config_upsert_values && r == OK; i++)
            if (op_has_config_key(op, ow->config_upsert_values[i]->key)) r = FAIL;
          break;
        }
        case LANCE__TRANSACTION__OPERATION_UPDATE_CONFIG: {
          const Lance__Transaction__UpdateConfig *uc = t->update_config;
          for (size_t i = 0; i < uc->n_upsert_values && r == OK; i++)
            if (op_has_config_key(op, uc->upsert_values[i]->key)) r = FAIL;
          for (size_t i = 0; i < uc->n_delete_keys && r == OK; i++)
            if (op_has_config_key(op, uc->delete_keys[i])) r = FAIL;
          if (uc->config_updates)
            for (size_t i = 0; i < uc->config_updates->n_update_entries && r == OK; i++)
              if (op_has_config_key(op, uc->config_updates->update_entries[i]->key)) r = FAIL;
          break;
        }
        case LANCE__TRANSACTION__OPERATION_UPDATE_MEM_WAL_STATE:
        case LANCE__TRANSACTION__OPERATION__NOT_SET:
          r = FAIL;
          break;
        default:
          r = OK;
      }
      break;
  }
  if (r == OK) return 0;
  *retryable = r == RETRY;
  if (r == RETRY)
    return lc_err(err, LANCEC_ECONFLICT,
                  "retryable commit conflict: this %s transaction was preempted by concurrent "
                  "transaction %s (version %" PRIu64 ")",
                  op_name(op->kind), *theirs ? theirs : "?", v);
  return lc_err(err, LANCEC_ECONFLICT,
                "incompatible transaction: this %s transaction is incompatible with concurrent "
                "transaction %s (version %" PRIu64 ")",
                op_name(op->kind), *theirs ? theirs : "(none recorded)", v);
}

/* ---- the transaction message ---------------------------------------------------- */

static int build_txn(const lc_commit_op *op, const char *uuid, lc_arena *a, uint8_t **out, size_t *len) {
  Lance__Transaction t = LANCE__TRANSACTION__INIT;
  t.has_read_version = op->read_version != 0;
  t.read_version = op->read_version;
  t.uuid = (char *)uuid;
  Lance__Transaction__Append ap = LANCE__TRANSACTION__APPEND__INIT;
  Lance__Transaction__Delete de = LANCE__TRANSACTION__DELETE__INIT;
  Lance__Transaction__Overwrite ow = LANCE__TRANSACTION__OVERWRITE__INIT;
  switch (op->kind) {
    case LC_TXN_APPEND:
      ap.n_fragments = op->n_fragments;
      ap.fragments = op->fragments;
      t.operation_case = LANCE__TRANSACTION__OPERATION_APPEND;
      t.append = &ap;
      break;
    case LC_TXN_DELETE:
      de.n_updated_fragments = op->n_updated;
      de.updated_fragments = op->updated_fragments;
      de.n_deleted_fragment_ids = op->n_deleted_ids;
      de.deleted_fragment_ids = op->deleted_fragment_ids;
      de.predicate = op->predicate && *op->predicate ? (char *)op->predicate : NULL;
      t.operation_case = LANCE__TRANSACTION__OPERATION_DELETE;
      t.delete_ = &de;
      break;
    case LC_TXN_OVERWRITE: {
      ow.n_fragments = op->n_fragments;
      ow.fragments = op->fragments;
      ow.n_schema = op->n_fields;
      ow.schema = op->fields;
      if (op->n_config) {
        ow.config_upsert_values = lc_arena_alloc(a, op->n_config * sizeof(*ow.config_upsert_values));
        if (!ow.config_upsert_values) return LANCEC_ENOMEM;
        for (size_t i = 0; i < op->n_config; i++) {
          Lance__Transaction__Overwrite__ConfigUpsertValuesEntry *e = lc_arena_alloc(a, sizeof(*e));
          if (!e) return LANCEC_ENOMEM;
          lance__transaction__overwrite__config_upsert_values_entry__init(e);
          e->key = (char *)op->config_keys[i];
          e->value = (char *)(op->config_values[i] && *op->config_values[i] ? op->config_values[i] : NULL);
          ow.config_upsert_values[ow.n_config_upsert_values++] = e;
        }
      }
      t.operation_case = LANCE__TRANSACTION__OPERATION_OVERWRITE;
      t.overwrite = &ow;
      break;
    }
  }
  size_t n = lance__transaction__get_packed_size(&t);
  uint8_t *p = lc_arena_alloc(a, n ? n : 1);
  if (!p) return LANCEC_ENOMEM;
  lance__transaction__pack(&t, p);
  *out = p;
  *len = n;
  return 0;
}

/* ---- the commit loop -------------------------------------------------------------- */

/* Latest version (0 when none) and the naming scheme in use. */
static int latest_version(lc_io *io, const char *root, uint64_t *latest, bool *v2, char **path,
                          lancec_error *err) {
  lc_version_entry *v = NULL;
  size_t n = 0;
  lancec_error e2 = {0};
  int rc = lc_versions_list(io, root, &v, &n, &e2);
  if (rc == LANCEC_ENOTFOUND) {
    *latest = 0;
    *path = NULL;
    return 0;
  }
  if (rc) {
    if (err) *err = e2;
    return rc;
  }
  *latest = v[n - 1].version;
  *v2 = v[n - 1].v2_name;
  *path = v[n - 1].path;
  v[n - 1].path = NULL;
  lc_versions_entries_free(v, n);
  return 0;
}

static int read_version_manifest(lc_io *io, const char *root, uint64_t version, lc_manifest **out,
                                 lancec_error *err) {
  char *path = NULL;
  LC_TRY(lc_version_manifest_path(io, root, version, &path, NULL, err));
  int rc = lc_manifest_read(out, io, path, err);
  lc_free(path);
  return rc;
}

static void backoff(int attempt, int64_t unit_ns) {
  /* randomized slot backoff: sleep k units, k uniform in [0, 2^min(attempt,6)) + jitter */
  uint32_t r;
  lc_random_bytes(&r, sizeof(r));
  int slots = 1 << (attempt < 8 ? attempt : 8);
  int64_t ns = (int64_t)(r % (uint32_t)slots) * unit_ns + (int64_t)(r >> 20) % (unit_ns + 1);
  if (ns <= 0) ns = 100000;
  if (ns > 2000000000LL) ns = 2000000000LL;
  struct timespec ts = {ns / 1000000000, ns % 1000000000};
  nanosleep(&ts, NULL);
}

static void write_hint(lc_io *io, const char *root, uint64_t version) {
  char body[64];
  int n = snprintf(body, sizeof(body), "{\"version\":%" PRIu64 "}", version);
  char *path = lc_path_join(root, "_versions/latest_version_hint.json");
  if (!path) return;
  lancec_error e2 = {0};
  /* never move the hint backwards over a newer concurrent commit */
  uint8_t *old = NULL;
  size_t olen = 0;
  if (lc_io_read_all(io, path, &old, &olen, &e2) == 0) {
    const char *p = strstr((const char *)old, "\"version\":");
    uint64_t ov = p ? strtoull(p + 10, NULL, 10) : 0;
    lc_free(old);
    if (ov > version) {
      lc_free(path);
      return;
    }
  }
  (void)io->m->put(io, path, body, (size_t)n, &e2);
  lc_free(path);
}

int lc_commit(lc_io *io, const char *root, const lc_commit_op *op, const lc_commit_options *opts,
              lc_commit_result *res, lancec_error *err) {
  lc_commit_result dummy;
  if (!res) res = &dummy;
  memset(res, 0, sizeof(*res));
  int max_attempts = opts && opts->max_attempts > 0 ? opts->max_attempts : LC_COMMIT_ATTEMPTS;
  lc_arena a = {0};
  char uuid[37];
  lc_uuid_v4(uuid);
  uint8_t *txn = NULL;
  size_t txn_len = 0;
  if (build_txn(op, uuid, &a, &txn, &txn_len)) {
    lc_arena_free(&a);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  char *txn_name = lc_sprintf("%" PRIu64 "-%s.txn", op->read_version, uuid);
  char *txn_dir = lc_path_join(root, "_transactions");
  char *txn_path = txn_name && txn_dir ? lc_path_join(txn_dir, txn_name) : NULL;
  lc_free(txn_dir);
  int rc = 0;
  if (!txn_path) {
    rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    goto done;
  }

  /* A create fails early when the dataset exists (before any file is written). */
  uint64_t latest = 0;
  bool v2 = opts ? !opts->v1_names : true;
  char *latest_path = NULL;
  rc = latest_version(io, root, &latest, &v2, &latest_path, err);
  lc_free(latest_path);
  if (rc) goto done;
  if (op->create_only && latest > 0) {
    rc = lc_err(err, LANCEC_EEXISTS, "%s: dataset already exists (version %" PRIu64 ")", root, latest);
    goto done;
  }
  if (latest < op->read_version) {
    rc =
        lc_err(err, LANCEC_ECORRUPT, "%s: latest version %" PRIu64 " is older than the read version %" PRIu64,
               root, latest, op->read_version);
    goto done;
  }

  rc = io->m->put(io, txn_path, txn, txn_len, err);
  if (rc) {
    lc_err_prefix(err, "writing transaction: ");
    goto done;
  }

  uint64_t checked = op->read_version; /* versions <= checked passed the conflict check */
  int64_t unit_ns = 0;
  for (int attempt = 1;; attempt++) {
    int64_t t0 = lc_now_ns();
    res->attempts = attempt;
    latest_path = NULL;
    if (attempt > 1) {
      rc = latest_version(io, root, &latest, &v2, &latest_path, err);
      if (rc) goto done;
      if (op->create_only && latest > 0) {
        lc_free(latest_path);
        rc = lc_err(err, LANCEC_EEXISTS, "%s: dataset already exists (version %" PRIu64 ")", root, latest);
        goto done;
      }
    } else if (latest > 0) {
      rc = lc_version_manifest_path(io, root, latest, &latest_path, NULL, err);
      if (rc) goto done;
    }
    /* conflict check against every version committed since our read */
    lc_manifest *lm = NULL;
    for (uint64_t v = checked + 1; v <= latest; v++) {
      lc_manifest *vm = NULL;
      if (v == latest)
        rc = lc_manifest_read(&vm, io, latest_path, err);
      else
        rc = read_version_manifest(io, root, v, &vm, err);
      if (rc) break;
      Lance__Transaction *t = NULL;
      rc = lc_manifest_transaction(vm, io, root, &t, err);
      if (rc == 0) {
        if (!t) {
          Lance__Transaction none = LANCE__TRANSACTION__INIT;
          bool retry = false;
          rc = lc_conflict_check(op, &none, v, &retry, err);
          if (rc) lc_err_prefix(err, "version %" PRIu64 " records no transaction: ", v);
          res->retryable = retry;
        } else {
          bool retry = false;
          rc = lc_conflict_check(op, t, v, &retry, err);
          res->retryable = retry;
          lance__transaction__free_unpacked(t, NULL);
        }
      }
      if (rc == 0 && v == latest)
        lm = vm;
      else
        lc_manifest_free(vm);
      if (rc) break;
      checked = v;
    }
    if (rc) {
      lc_free(latest_path);
      goto done;
    }
    if (latest > 0 && !lm) rc = lc_manifest_read(&lm, io, latest_path, err);
    lc_free(latest_path);
    if (rc) goto done;

    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    rc = lc_manifest_build(lm, op, txn, txn_len, txn_name, &bytes, &nbytes, err);
    lc_manifest_free(lm);
    if (rc) {
      if (rc == LANCEC_ECONFLICT) res->retryable = true;
      goto done;
    }
    uint64_t version = latest + 1;
    char *name = lc_manifest_file_name(version, v2);
    char *rel = name ? lc_sprintf("_versions/%s", name) : NULL;
    char *mpath = rel ? lc_path_join(root, rel) : NULL;
    lc_free(name);
    lc_free(rel);
    if (!mpath) {
      lc_free(bytes);
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      goto done;
    }
    lancec_error e2 = {0};
    rc = io->m->put_if_absent(io, mpath, bytes, nbytes, &e2);
    lc_free(bytes);
    lc_free(mpath);
    if (rc == 0) {
      res->version = version;
      if (!(opts && opts->no_hint)) write_hint(io, root, version);
      goto done;
    }
    if (rc != LANCEC_EEXISTS) {
      if (err) *err = e2;
      lc_err_prefix(err, "committing version %" PRIu64 ": ", version);
      goto done;
    }
    /* someone else committed version L+1 first */
    if (op->create_only) {
      rc = lc_err(err, LANCEC_EEXISTS, "%s: dataset already exists (created concurrently)", root);
      goto done;
    }
    if (attempt >= max_attempts) {
      res->retryable = true;
      rc = lc_err(err, LANCEC_ECONFLICT,
                  "%s: commit failed after %d attempts: other writers kept committing first", root, attempt);
      goto done;
    }
    if (unit_ns == 0) {
      unit_ns = (int64_t)((double)(lc_now_ns() - t0) * 1.1);
      if (unit_ns < 1000000) unit_ns = 1000000;
    }
    backoff(attempt, unit_ns);
  }
done:
  lc_free(txn_name);
  lc_free(txn_path);
  lc_arena_free(&a);
  return rc;
}

int lc_write_result_fill(lc_io *io, const char *root, uint64_t version, uint64_t small_limit,
                         lancec_write_result *result, lancec_error *err) {
  if (!result) return 0;
  lc_manifest *m = NULL;
  LC_TRY(read_version_manifest(io, root, version, &m, err));
  result->version = version;
  result->num_fragments = m->pb->n_fragments;
  result->num_deleted_rows = 0;
  result->num_small_files = 0;
  for (size_t i = 0; i < m->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = m->pb->fragments[i];
    if (f->deletion_file) result->num_deleted_rows += f->deletion_file->num_deleted_rows;
    if (f->physical_rows < small_limit) result->num_small_files++;
  }
  lc_manifest_free(m);
  return 0;
}
