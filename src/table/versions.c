/* Version discovery (table-format.md §1.2-1.3), tags (§8.2) and time
 * travel by timestamp (§8.1). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "table/table.h"

void lc_versions_entries_free(lc_version_entry *v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) lc_free(v[i].path);
  lc_free(v);
}

/* Parse a manifest file name. Returns false for names that are not part of
 * the history (staging files, detached versions, garbage). */
bool lc_manifest_name_parse(const char *name, uint64_t *version, bool *v2) {
  size_t n = strlen(name);
  static const char sfx[] = "manifest";
  if (n < sizeof(sfx) - 1 || strcmp(name + n - (sizeof(sfx) - 1), sfx) != 0) return false;
  if (name[0] == 'd') return false; /* detached */
  const char *dot = strchr(name, '.');
  if (!dot || dot == name || strcmp(dot, ".manifest") != 0) return false;
  size_t digits = (size_t)(dot - name);
  if (digits > 20) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < digits; i++) {
    if (name[i] < '0' || name[i] > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(name[i] - '0'), &v))
      return false;
  }
  bool is_v2 = n == 29;
  if (is_v2) v = UINT64_MAX - v;
  if (v == 0 || (v & 0x8000000000000000ull)) return false;
  *version = v;
  *v2 = is_v2;
  return true;
}

typedef struct list_ctx {
  lc_version_entry *v;
  size_t n, cap;
  const char *dir;
  bool oom;
} list_ctx;

static int list_cb(const lc_io_entry *e, void *ud) {
  list_ctx *c = ud;
  uint64_t ver;
  bool v2;
  if (e->is_dir || !lc_manifest_name_parse(e->name, &ver, &v2)) return 0;
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 16;
    lc_version_entry *nv = lc_realloc(c->v, nc * sizeof(*nv));
    if (!nv) {
      c->oom = true;
      return 1;
    }
    c->v = nv;
    c->cap = nc;
  }
  char *path = lc_path_join(c->dir, e->name);
  if (!path) {
    c->oom = true;
    return 1;
  }
  c->v[c->n++] = (lc_version_entry){ver, path, e->size, v2};
  return 0;
}

static int cmp_entry(const void *a, const void *b) {
  const lc_version_entry *x = a, *y = b;
  return x->version < y->version ? -1 : x->version > y->version;
}

int lc_versions_list(lc_io *io, const char *root, lc_version_entry **out, size_t *n,
                     lancec_error *err) {
  *out = NULL;
  *n = 0;
  char *dir = lc_path_join(root, "_versions");
  if (!dir) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  list_ctx c = {.dir = dir};
  int rc = io->m->list(io, dir, list_cb, &c, err);
  if (rc == 0 && c.oom) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (rc == 0 && c.n == 0)
    rc = lc_err(err, LANCEC_ENOTFOUND, "%s: not a Lance dataset (no _versions/*.manifest)", root);
  if (rc == 0) {
    size_t nv2 = 0;
    for (size_t i = 0; i < c.n; i++) nv2 += c.v[i].v2_name;
    if (nv2 && nv2 != c.n)
      rc = lc_err(err, LANCEC_ECORRUPT,
                  "%s: _versions mixes V1 (N.manifest) and V2 (zero-padded) manifest names", root);
  }
  if (rc == 0) {
    qsort(c.v, c.n, sizeof(*c.v), cmp_entry);
    for (size_t i = 1; i < c.n; i++)
      if (c.v[i].version == c.v[i - 1].version)
        rc = lc_err(err, LANCEC_ECORRUPT, "%s: version %" PRIu64 " has two manifests", root,
                    c.v[i].version);
  }
  lc_free(dir);
  if (rc) {
    lc_versions_entries_free(c.v, c.n);
    return rc;
  }
  *out = c.v;
  *n = c.n;
  return 0;
}

int lc_version_manifest_path(lc_io *io, const char *root, uint64_t version, char **path,
                             uint64_t *version_out, lancec_error *err) {
  *path = NULL;
  if (version == 0) {
    lc_version_entry *v;
    size_t n;
    LC_TRY(lc_versions_list(io, root, &v, &n, err));
    *path = v[n - 1].path;
    v[n - 1].path = NULL;
    if (version_out) *version_out = v[n - 1].version;
    lc_versions_entries_free(v, n);
    return 0;
  }
  char name[64];
  for (int scheme = 0; scheme < 2; scheme++) {
    if (scheme == 0) snprintf(name, sizeof(name), "_versions/%020" PRIu64 ".manifest", UINT64_MAX - version);
    else snprintf(name, sizeof(name), "_versions/%" PRIu64 ".manifest", version);
    char *p = lc_path_join(root, name);
    if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    lc_io_entry st;
    lancec_error e2 = {0};
    int rc = io->m->stat(io, p, &st, &e2);
    if (rc == 0 && !st.is_dir) {
      *path = p;
      if (version_out) *version_out = version;
      return 0;
    }
    lc_free(p);
    if (rc != 0 && rc != LANCEC_ENOTFOUND) {
      if (err) *err = e2;
      return rc;
    }
  }
  /* not there: say what the latest is (or that there is no dataset) */
  lc_version_entry *v;
  size_t n;
  LC_TRY(lc_versions_list(io, root, &v, &n, err));
  uint64_t latest = v[n - 1].version;
  lc_versions_entries_free(v, n);
  return lc_err(err, LANCEC_ENOTFOUND, "%s: version %" PRIu64 " not found (latest is %" PRIu64 ")", root,
                version, latest);
}

static bool tag_name_ok(const char *t) {
  if (!*t || t[0] == '.' || strstr(t, "..")) return false;
  for (const char *p = t; *p; p++)
    if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20) return false;
  return true;
}

int lc_tag_resolve(lc_io *io, const char *root, const char *tag, uint64_t *version,
                   lancec_error *err) {
  if (!tag || !tag_name_ok(tag)) return lc_err(err, LANCEC_EINVAL, "invalid tag name '%s'", tag ? tag : "");
  char *rel = lc_sprintf("_refs/tags/%s.json", tag);
  char *path = rel ? lc_path_join(root, rel) : NULL;
  lc_free(rel);
  if (!path) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  uint8_t *data = NULL;
  size_t len = 0;
  int rc = lc_io_read_all(io, path, &data, &len, err);
  if (rc == LANCEC_ENOTFOUND) {
    rc = lc_err(err, LANCEC_ENOTFOUND, "tag '%s' not found", tag);
  } else if (rc == 0) {
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, len, 0, &jerr);
    json_t *jv = j && json_is_object(j) ? json_object_get(j, "version") : NULL;
    json_t *jb = j && json_is_object(j) ? json_object_get(j, "branch") : NULL;
    if (!j) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: tag file is not valid JSON: %s", path, jerr.text);
    } else if (!jv || !json_is_integer(jv) || json_integer_value(jv) <= 0) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: tag file has no valid \"version\"", path);
    } else if (jb && !json_is_null(jb) &&
               !(json_is_string(jb) && !strcmp(json_string_value(jb), "main"))) {
      rc = lc_err(err, LANCEC_EUNSUPPORTED, "tag '%s' points into branch '%s' (branches are not supported)",
                  tag, json_is_string(jb) ? json_string_value(jb) : "?");
    } else {
      *version = (uint64_t)json_integer_value(jv);
    }
    json_decref(j);
  }
  lc_free(data);
  lc_free(path);
  return rc;
}

int lc_version_asof(lc_io *io, const char *root, int64_t asof_ns, uint64_t *version,
                    lancec_error *err) {
  lc_version_entry *v;
  size_t n;
  LC_TRY(lc_versions_list(io, root, &v, &n, err));
  int rc = LANCEC_ENOTFOUND;
  /* descending: the first version at or before asof is the answer */
  for (size_t i = n; i-- > 0;) {
    lc_manifest *m = NULL;
    int r = lc_manifest_read(&m, io, v[i].path, err);
    if (r) {
      rc = r;
      break;
    }
    bool hit = m->timestamp_ns <= asof_ns;
    lc_manifest_free(m);
    if (hit) {
      *version = v[i].version;
      rc = 0;
      break;
    }
  }
  lc_versions_entries_free(v, n);
  if (rc == LANCEC_ENOTFOUND)
    return lc_err(err, LANCEC_ENOTFOUND, "%s: no version committed at or before %" PRId64 " ns", root,
                  asof_ns);
  return rc;
}
