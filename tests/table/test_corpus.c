/* Table module against the real corpus: every dataset of corpus/public and
 * corpus/public-2.2 is opened at every version and compared with its
 * *.meta.json (versions, row counts, timestamps, tags, indices, deletion
 * files). */
#include "testutil.h"

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "table/table.h"

static int64_t meta_rows(json_t *v) {
  json_t *rc = json_object_get(v, "row_count");
  if (json_is_integer(rc)) return json_integer_value(rc);
  json_t *s = json_object_get(json_object_get(v, "summary"), "total_rows");
  if (json_is_string(s)) return strtoll(json_string_value(s), NULL, 10);
  return -1;
}

static const char *type_from_url(const char *url) {
  if (strstr(url, "BTree")) return "BTREE";
  if (strstr(url, "Bitmap")) return "BITMAP";
  if (strstr(url, "LabelList")) return "LABEL_LIST";
  if (strstr(url, "NGram")) return "NGRAM";
  if (strstr(url, "Inverted")) return "INVERTED";
  if (strstr(url, "ZoneMap")) return "ZONEMAP";
  if (strstr(url, "Vector")) return "VECTOR";
  return "?";
}

/* Every deletion file of the version parses and matches num_deleted_rows. */
static size_t check_deletions(lancec_dataset *ds) {
  size_t files = 0;
  lancec_error err = {0};
  for (size_t i = 0; i < ds->manifest->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = ds->manifest->pb->fragments[i];
    if (!f->deletion_file) continue;
    uint32_t *rows = NULL;
    size_t n = 0;
    assert_ok(lc_deletion_read(ds->io, ds->root, ds->manifest, f, &rows, &n, &err), &err);
    assert_int_equal(n, f->deletion_file->num_deleted_rows);
    for (size_t k = 1; k < n; k++) assert_true(rows[k - 1] < rows[k]);
    if (n) assert_true(rows[n - 1] < f->physical_rows);
    lc_free(rows);
    files++;
  }
  return files;
}

static void check_dataset(const char *dir, const char *metafile) {
  json_error_t jerr;
  json_t *meta = json_load_file(metafile, 0, &jerr);
  if (!meta) fail_msg("%s: %s", metafile, jerr.text);
  const char *dsdir = json_string_value(json_object_get(meta, "dataset_dir"));
  assert_non_null(dsdir);
  char *uri = lc_sprintf("%s/%s", dir, dsdir);
  lancec_error err = {0};

  /* latest */
  lancec_dataset *ds = NULL;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  uint64_t latest = (uint64_t)json_integer_value(json_object_get(meta, "latest_version"));
  if (lancec_dataset_version(ds) != latest)
    fail_msg("%s: latest %" PRIu64 " != %" PRIu64, uri, lancec_dataset_version(ds), latest);
  json_t *rc = json_object_get(meta, "row_count");
  if (json_is_integer(rc)) assert_int_equal(lancec_dataset_count_rows(ds), json_integer_value(rc));

  /* schema */
  struct ArrowSchema as;
  assert_ok(lancec_dataset_schema(ds, &as, &err), &err);
  assert_string_equal(as.format, "+s");
  json_t *schema = json_object_get(meta, "schema");
  if (json_is_array(schema)) {
    assert_int_equal(as.n_children, json_array_size(schema));
    for (size_t i = 0; i < json_array_size(schema); i++)
      assert_string_equal(as.children[i]->name,
                          json_string_value(json_object_get(json_array_get(schema, i), "name")));
  }
  as.release(&as);

  /* data format */
  json_t *dfv = json_object_get(meta, "data_file_versions");
  if (json_is_array(dfv) && json_array_size(dfv) == 1) {
    const char *want = json_string_value(json_array_get(dfv, 0));
    if (!strncmp(want, "legacy", 6)) want = "0.1";
    assert_string_equal(lancec_dataset_data_format(ds), want);
  }

  /* fragments */
  size_t nf = lancec_dataset_num_fragments(ds);
  json_t *fc = json_object_get(meta, "fragment_count");
  if (json_is_integer(fc)) assert_int_equal(nf, json_integer_value(fc));
  uint64_t visible = 0;
  for (size_t i = 0; i < nf; i++) {
    lancec_fragment_info fi;
    assert_ok(lancec_dataset_fragment(ds, i, &fi, &err), &err);
    visible += fi.physical_rows - fi.deleted_rows;
    assert_true(fi.num_data_files >= 1);
  }
  assert_int_equal(visible, lancec_dataset_count_rows(ds));
  lancec_fragment_info fi;
  assert_int_equal(lancec_dataset_fragment(ds, nf, &fi, &err), LANCEC_EINVAL);

  /* indices */
  json_t *idx = json_object_get(meta, "indices");
  if (json_is_array(idx)) {
    assert_int_equal(lancec_dataset_num_indices(ds), json_array_size(idx));
    for (size_t i = 0; i < json_array_size(idx); i++) {
      json_t *e = json_array_get(idx, i);
      const char *uuid = json_string_value(json_object_get(e, "indexUuid"));
      size_t k;
      lancec_index_info ii = {0};
      for (k = 0; k < lancec_dataset_num_indices(ds); k++) {
        assert_ok(lancec_dataset_index(ds, k, &ii, &err), &err);
        if (!strcmp(ii.uuid, uuid)) break;
      }
      if (k == lancec_dataset_num_indices(ds)) fail_msg("%s: index %s not found", uri, uuid);
      assert_string_equal(ii.name, json_string_value(json_object_get(e, "name")));
      assert_string_equal(ii.column,
                          json_string_value(json_array_get(json_object_get(e, "columns"), 0)));
      assert_string_equal(ii.type, type_from_url(json_string_value(json_object_get(e, "typeUrl"))));
    }
  }
  lancec_dataset_free(ds);

  /* version history */
  json_t *versions = json_object_get(meta, "versions");
  lancec_version_info *vi = NULL;
  size_t nv = 0;
  assert_ok(lancec_dataset_versions(&vi, &nv, uri, &err), &err);
  assert_int_equal(nv, json_array_size(versions));
  for (size_t i = 0; i < nv; i++) {
    json_t *v = json_array_get(versions, i);
    uint64_t ver = (uint64_t)json_integer_value(json_object_get(v, "version"));
    assert_int_equal(vi[i].version, ver);
    int64_t rows = meta_rows(v);
    if (rows >= 0 && (int64_t)vi[i].num_rows != rows)
      fail_msg("%s v%" PRIu64 ": %" PRIu64 " rows, expected %" PRId64, uri, ver, vi[i].num_rows, rows);
    json_t *tms = json_object_get(v, "timestamp_ms");
    if (json_is_integer(tms)) {
      int64_t ms = vi[i].timestamp_ns / 1000000;
      if (llabs(ms - (long long)json_integer_value(tms)) > 1)
        fail_msg("%s v%" PRIu64 ": timestamp %" PRId64 " ms, expected %lld", uri, ver, ms,
                 (long long)json_integer_value(tms));
    }
    assert_true(vi[i].operation[0] != 0); /* every corpus version records its transaction */
    if (i == 0) assert_true(!strcmp(vi[i].operation, "Overwrite") || !strcmp(vi[i].operation, "Append"));

    /* open this version explicitly */
    lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
    o.version = ver;
    assert_ok(lancec_dataset_open(&ds, uri, &o, &err), &err);
    assert_int_equal(lancec_dataset_version(ds), ver);
    assert_int_equal(lancec_dataset_count_rows(ds), vi[i].num_rows);
    assert_int_equal(lancec_dataset_timestamp_ns(ds), vi[i].timestamp_ns);
    check_deletions(ds);
    lancec_dataset_free(ds);

    /* asof exactly this version's timestamp → this version (distinct timestamps) */
    if (i + 1 == nv || vi[i + 1].timestamp_ns > vi[i].timestamp_ns) {
      lancec_open_options a = LANCEC_OPEN_OPTIONS_INIT;
      a.has_asof = 1;
      a.asof_ns = vi[i].timestamp_ns;
      assert_ok(lancec_dataset_open(&ds, uri, &a, &err), &err);
      assert_int_equal(lancec_dataset_version(ds), ver);
      lancec_dataset_free(ds);
    }
  }
  lancec_versions_free(vi);

  /* tags */
  json_t *tags = json_object_get(meta, "tags");
  const char *tname;
  json_t *tval;
  json_object_foreach(tags, tname, tval) {
    lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
    o.tag = tname;
    assert_ok(lancec_dataset_open(&ds, uri, &o, &err), &err);
    assert_int_equal(lancec_dataset_version(ds), json_integer_value(json_object_get(tval, "version")));
    lancec_dataset_free(ds);
  }
  lc_free(uri);
  json_decref(meta);
}

static void check_dir(const char *rel) {
  char *dir = tu_shared_path(rel);
  DIR *d = opendir(dir);
  if (!d) fail_msg("cannot open %s", dir);
  struct dirent *e;
  int count = 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 10 || strcmp(e->d_name + l - 10, ".meta.json")) continue;
    char *mf = lc_sprintf("%s/%s", dir, e->d_name);
    check_dataset(dir, mf);
    lc_free(mf);
    count++;
  }
  closedir(d);
  assert_true(count >= 30);
  lc_free(dir);
}

static void test_public(void **state) {
  (void)state;
  check_dir("corpus/public");
}

static void test_public_22(void **state) {
  (void)state;
  check_dir("corpus/public-2.2");
}

static char *ds_path(const char *rel) {
  char *r = lc_sprintf("corpus/%s", rel);
  char *p = tu_shared_path(r);
  lc_free(r);
  return p;
}

static void test_versions_many(void **state) {
  (void)state;
  char *uri = ds_path("public/versions_many.lance");
  lancec_error err = {0};
  lancec_dataset *ds = NULL;
  lancec_open_options o = LANCEC_OPEN_OPTIONS_INIT;
  o.tag = "first";
  assert_ok(lancec_dataset_open(&ds, uri, &o, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 1);
  assert_int_equal(lancec_dataset_count_rows(ds), 100);
  lancec_dataset_free(ds);
  o.tag = "before_overwrite";
  assert_ok(lancec_dataset_open(&ds, uri, &o, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 4);
  assert_int_equal(lancec_dataset_count_rows(ds), 250);
  lancec_dataset_free(ds);
  o.tag = "nope";
  assert_int_equal(lancec_dataset_open(&ds, uri, &o, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "tag 'nope' not found"));
  assert_null(ds);
  o.tag = "../x";
  assert_int_equal(lancec_dataset_open(&ds, uri, &o, &err), LANCEC_EINVAL);

  /* operations */
  lancec_version_info *vi;
  size_t nv;
  assert_ok(lancec_dataset_versions(&vi, &nv, uri, &err), &err);
  assert_int_equal(nv, 6);
  const char *ops[] = {"Overwrite", "Append", "Append", "Append", "Overwrite", "Append"};
  for (size_t i = 0; i < nv; i++) assert_string_equal(vi[i].operation, ops[i]);

  /* asof: between versions → the earlier; before the first → ENOTFOUND */
  lancec_open_options a = LANCEC_OPEN_OPTIONS_INIT;
  a.has_asof = 1;
  a.asof_ns = vi[2].timestamp_ns + 1;
  assert_ok(lancec_dataset_open(&ds, uri, &a, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 3);
  lancec_dataset_free(ds);
  a.asof_ns = vi[3].timestamp_ns - 1;
  assert_ok(lancec_dataset_open(&ds, uri, &a, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 3);
  lancec_dataset_free(ds);
  a.asof_ns = INT64_MAX;
  assert_ok(lancec_dataset_open(&ds, uri, &a, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 6);
  lancec_dataset_free(ds);
  a.asof_ns = vi[0].timestamp_ns - 1;
  assert_int_equal(lancec_dataset_open(&ds, uri, &a, &err), LANCEC_ENOTFOUND);
  lancec_versions_free(vi);

  /* missing version */
  lancec_open_options v = LANCEC_OPEN_OPTIONS_INIT;
  v.version = 7;
  assert_int_equal(lancec_dataset_open(&ds, uri, &v, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "version 7 not found (latest is 6)"));
  /* conflicting options */
  v.tag = "first";
  assert_int_equal(lancec_dataset_open(&ds, uri, &v, &err), LANCEC_EINVAL);
  /* ref counting */
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_ptr_equal(lc_dataset_ref(ds), ds);
  lancec_dataset_free(ds);
  assert_int_equal(lancec_dataset_version(ds), 6);
  lancec_dataset_free(ds);
  lc_free(uri);
}

static void test_v1_names(void **state) {
  (void)state;
  char *uri = ds_path("public/v1_manifest_paths.lance");
  lancec_error err = {0};
  lc_io *io;
  char *root;
  assert_ok(lc_io_from_uri(uri, &io, &root, &err), &err);
  lc_version_entry *v;
  size_t n;
  assert_ok(lc_versions_list(io, root, &v, &n, &err), &err);
  assert_int_equal(n, 3);
  for (size_t i = 0; i < n; i++) {
    assert_false(v[i].v2_name);
    assert_int_equal(v[i].version, i + 1);
  }
  lc_versions_entries_free(v, n);
  char *p;
  uint64_t got;
  assert_ok(lc_version_manifest_path(io, root, 2, &p, &got, &err), &err);
  assert_non_null(strstr(p, "_versions/2.manifest"));
  lc_free(p);
  lc_io_unref(io);
  lc_free(root);
  lancec_dataset *ds;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  assert_int_equal(lancec_dataset_version(ds), 3);
  assert_int_equal(lancec_dataset_count_rows(ds), 150);
  lancec_dataset_free(ds);
  lc_free(uri);
}

static void test_name_parse(void **state) {
  (void)state;
  uint64_t v;
  bool v2;
  assert_true(lc_manifest_name_parse("18446744073709551614.manifest", &v, &v2));
  assert_int_equal(v, 1);
  assert_true(v2);
  assert_true(lc_manifest_name_parse("42.manifest", &v, &v2));
  assert_int_equal(v, 42);
  assert_false(v2);
  assert_false(lc_manifest_name_parse("18446744073709551613.manifest#1", &v, &v2));
  assert_false(lc_manifest_name_parse("42.manifest-abc", &v, &v2));
  assert_false(lc_manifest_name_parse("d9223372036854775809.manifest", &v, &v2));
  assert_false(lc_manifest_name_parse("latest_version_hint.json", &v, &v2));
  assert_false(lc_manifest_name_parse("x.manifest", &v, &v2));
  assert_false(lc_manifest_name_parse(".manifest", &v, &v2));
  assert_false(lc_manifest_name_parse("99999999999999999999999.manifest", &v, &v2));
  assert_false(lc_manifest_name_parse("0.manifest", &v, &v2));
  assert_false(lc_manifest_name_parse("18446744073709551615.manifest", &v, &v2));
  assert_string_equal(lc_file_version_name(2, 1), "2.1");
  assert_string_equal(lc_file_version_name(0, 3), "2.0");
  assert_string_equal(lc_file_version_name(0, 2), "0.1");
  assert_null(lc_file_version_name(3, 0));
}

static void test_deletion_files(void **state) {
  (void)state;
  lancec_error err = {0};
  const char *sets[] = {"public/deletions_arrow.lance", "public/deletions_bin.lance",
                        "public/tall_fragments.lance", "public-2.2/deletions_arrow.lance",
                        "public-2.2/deletions_bin.lance", "public-2.2/tall_fragments.lance"};
  for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
    char *uri = ds_path(sets[s]);
    lancec_dataset *ds;
    assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
    assert_true(check_deletions(ds) > 0);
    assert_true(ds->manifest->pb->reader_feature_flags & LC_FLAG_DELETION_FILES);
    lancec_dataset_free(ds);
    lc_free(uri);
  }
  /* tall_fragments: fragment 1's .bin holds a large range */
  char *uri = ds_path("public/tall_fragments.lance");
  lancec_dataset *ds;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  size_t total = 0;
  for (size_t i = 0; i < ds->manifest->pb->n_fragments; i++) {
    const Lance__Table__DataFragment *f = ds->manifest->pb->fragments[i];
    uint32_t *rows;
    size_t n;
    assert_ok(lc_deletion_read(ds->io, ds->root, ds->manifest, f, &rows, &n, &err), &err);
    total += n;
    lc_free(rows);
  }
  assert_int_equal(total, 200000 - 191979);
  lancec_dataset_free(ds);
  lc_free(uri);
}

static void test_data_file_path(void **state) {
  (void)state;
  char *uri = ds_path("public/types_int.lance");
  lancec_error err = {0};
  lancec_dataset *ds;
  assert_ok(lancec_dataset_open(&ds, uri, NULL, &err), &err);
  const Lance__Table__DataFile *df = ds->manifest->pb->fragments[0]->files[0];
  char *p = lc_dataset_data_file_path(ds, df);
  char *want = lc_sprintf("%s/data/%s", ds->root, df->path);
  assert_string_equal(p, want);
  size_t len;
  uint8_t *bytes = tu_read_file(p, &len);
  assert_non_null(bytes);
  free(bytes);
  lc_free(p);
  lc_free(want);
  /* base paths */
  Lance__Table__BasePath bp = LANCE__TABLE__BASE_PATH__INIT, bp2 = LANCE__TABLE__BASE_PATH__INIT;
  bp.has_id = 1;
  bp.id = 0;
  bp.has_is_dataset_root = 1;
  bp.is_dataset_root = 1;
  bp.path = "file:///parent";
  bp2.has_id = 1;
  bp2.id = 3;
  bp2.path = "/elsewhere";
  Lance__Table__BasePath *bps[2] = {&bp, &bp2};
  Lance__Table__BasePath **save = ds->manifest->pb->base_paths;
  size_t nsave = ds->manifest->pb->n_base_paths;
  ds->manifest->pb->base_paths = bps;
  ds->manifest->pb->n_base_paths = 2;
  Lance__Table__DataFile d2 = LANCE__TABLE__DATA_FILE__INIT;
  d2.path = "x.lance";
  d2.has_base_id = 1;
  d2.base_id = 0;
  p = lc_dataset_data_file_path(ds, &d2);
  assert_string_equal(p, "/parent/data/x.lance");
  lc_free(p);
  d2.base_id = 3;
  p = lc_dataset_data_file_path(ds, &d2);
  assert_string_equal(p, "/elsewhere/x.lance");
  lc_free(p);
  d2.base_id = 9;
  assert_null(lc_dataset_data_file_path(ds, &d2));
  ds->manifest->pb->base_paths = save;
  ds->manifest->pb->n_base_paths = nsave;
  lancec_dataset_free(ds);
  lc_free(uri);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_public),          cmocka_unit_test(test_public_22),
      cmocka_unit_test(test_versions_many),   cmocka_unit_test(test_v1_names),
      cmocka_unit_test(test_name_parse),      cmocka_unit_test(test_deletion_files),
      cmocka_unit_test(test_data_file_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
