/* Data-file reader (2.1 / 2.2) against the real corpus: open each
 * single-file dataset's data file, build the schema from the file's own
 * FileDescriptor, read every field (whole, in odd-sized batches and by
 * take) and compare with the expected JSON rows. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "testutil.h"

#include "arrow/arrow.h"
#include "file/file.h"
#include "io/io.h"
#include "schema/schema.h"

#include "expected_rows.h"

static char *data_file_of(const char *corpus, const char *name) {
  char *mp = lc_sprintf("%s/%s.meta.json", corpus, name);
  json_error_t je;
  json_t *m = json_load_file(mp, 0, &je);
  lc_free(mp);
  if (!m) return NULL;
  json_t *files = json_object_get(json_object_get(m, "encodings"), "files");
  char *r = NULL;
  if (json_array_size(files) == 1)
    r = lc_sprintf("%s/%s.lance/data/%s", corpus, name, json_string_value(json_object_get(json_array_get(files, 0), "file")));
  json_decref(m);
  return r;
}

static void check_dataset(const char *corpus_rel, const char *name, bool do_take) {
  char *corpus = tu_shared_path(corpus_rel);
  char *base = lc_sprintf("%s/%s", corpus, name);
  char *path = data_file_of(corpus, name);
  if (!path) {
    print_message("skip %s/%s (not a single-file dataset)\n", corpus_rel, name);
    goto done0;
  }
  rows exp;
  assert_true(load_rows(base, &exp));
  lancec_error err;
  lc_io *io;
  assert_ok(lc_io_local_new(&io, &err), &err);
  lc_file *f;
  assert_ok(lc_file_open(&f, io, path, 0, &err), &err);
  assert_int_equal(lc_file_num_rows(f), exp.n);
  lc_schema *s;
  assert_ok(lc_file_schema(f, &s, &err), &err);
  lc_file_colmap_storage st;
  lc_file_colmap map;
  assert_ok(lc_file_colmap_from_schema(s, &st, &map, &err), &err);
  uint64_t n = exp.n;
  for (size_t fi = 0; fi < s->n_fields; fi++) {
    const lc_field *fld = s->fields[fi];
    lc_field_reader *r;
    int rc = lc_field_reader_new(&r, f, fld, &map, &err);
    if (rc) {
      print_message("%s/%s field %s: reader: %s\n", corpus_rel, name, fld->name, err.message);
      g_failures++;
      continue;
    }
    struct ArrowArray a;
    char ds[200];
    snprintf(ds, sizeof ds, "%s/%s", corpus_rel, name);
    rc = lc_field_reader_read(r, 0, n, &a, &err);
    if (rc) {
      print_message("%s field %s: read: %s\n", ds, fld->name, err.message);
      g_failures++;
      lc_field_reader_free(r);
      continue;
    }
    if (!check_array(fld, &a, &exp, 0, NULL, ds, "full")) g_failures++;
    lc_array_release(&a);
    /* odd batches */
    uint64_t step = n > 5000 ? 4099 : 97;
    for (uint64_t s0 = 0; s0 < n; s0 += step) {
      uint64_t cnt = n - s0 < step ? n - s0 : step;
      rc = lc_field_reader_read(r, s0, cnt, &a, &err);
      if (rc) {
        print_message("%s field %s: read %llu+%llu: %s\n", ds, fld->name, (unsigned long long)s0,
                      (unsigned long long)cnt, err.message);
        g_failures++;
        break;
      }
      bool ok = check_array(fld, &a, &exp, s0, NULL, ds, "batch");
      lc_array_release(&a);
      if (!ok) {
        g_failures++;
        break;
      }
    }
    if (do_take && n > 0) {
      /* random ascending row set */
      uint64_t *idx = malloc(sizeof(uint64_t) * n);
      size_t k = 0;
      uint64_t seed = 12345 + fi;
      for (uint64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        if ((seed >> 33) % 7 == 0 || i == n - 1 || (i % 1024) == 1023 || (i % 1024) == 0) idx[k++] = i;
      }
      rc = lc_field_reader_take(r, idx, k, &a, &err);
      if (rc) {
        print_message("%s field %s: take: %s\n", ds, fld->name, err.message);
        g_failures++;
      } else {
        if (!check_array(fld, &a, &exp, 0, idx, ds, "take")) g_failures++;
        lc_array_release(&a);
      }
      free(idx);
    }
    lc_field_reader_free(r);
  }
  lc_file_colmap_free(&st);
  lc_schema_free(s);
  lc_file_free(f);
  lc_io_unref(io);
  free_rows(&exp);
done0:
  lc_free(path);
  lc_free(base);
  lc_free(corpus);
}

#define DS(fn, corpus, name, take)             \
  static void fn(void **state) {               \
    (void)state;                               \
    g_failures = 0;                            \
    check_dataset(corpus, name, take);         \
    assert_int_equal(g_failures, 0);           \
  }

DS(t_int, "corpus/public", "types_int", true)
DS(t_float, "corpus/public", "types_float", true)
DS(t_string, "corpus/public", "types_string", true)
DS(t_binary, "corpus/public", "types_binary", true)
DS(t_bool, "corpus/public", "types_bool_null", true)
DS(t_vector, "corpus/public", "types_vector", true)
DS(t_list, "corpus/public", "types_list", true)
DS(t_struct, "corpus/public", "types_struct", true)
DS(t_dict, "corpus/public", "types_dict", true)
DS(t_decimal, "corpus/public", "types_decimal", true)
DS(t_temporal, "corpus/public", "types_temporal", true)
DS(t_multi_page, "corpus/public", "multi_page", true)
DS(t_showcase, "corpus/public", "encodings_showcase", true)
DS(t_wide, "corpus/public", "wide_200", false)
DS(t_odd, "corpus/public", "odd_column_names", true)
DS(t_blob_legacy, "corpus/public", "blob_column", true)
DS(t22_int, "corpus/public-2.2", "types_int", true)
DS(t22_float, "corpus/public-2.2", "types_float", true)
DS(t22_string, "corpus/public-2.2", "types_string", true)
DS(t22_binary, "corpus/public-2.2", "types_binary", true)
DS(t22_bool, "corpus/public-2.2", "types_bool_null", true)
DS(t22_vector, "corpus/public-2.2", "types_vector", true)
DS(t22_list, "corpus/public-2.2", "types_list", true)
DS(t22_struct, "corpus/public-2.2", "types_struct", true)
DS(t22_dict, "corpus/public-2.2", "types_dict", true)
DS(t22_decimal, "corpus/public-2.2", "types_decimal", true)
DS(t22_temporal, "corpus/public-2.2", "types_temporal", true)
DS(t22_multi_page, "corpus/public-2.2", "multi_page", true)
DS(t22_showcase, "corpus/public-2.2", "encodings_showcase", true)
DS(t22_wide, "corpus/public-2.2", "wide_200", false)
DS(t22_map, "corpus/public-2.2", "types_map", true)
DS(t22_fsl_struct, "corpus/public-2.2", "types_fsl_struct", true)
DS(t22_enc22, "corpus/public-2.2", "encodings_2_2", true)
DS(t22_large_chunks, "corpus/public-2.2", "miniblock_large_chunks", true)
DS(t22_fmt22, "corpus/public-2.2", "fmt_v2_2", true)
DS(t22_fmt21, "corpus/public-2.2", "fmt_v2_1", true)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_int),          cmocka_unit_test(t_float),       cmocka_unit_test(t_string),
      cmocka_unit_test(t_binary),       cmocka_unit_test(t_bool),        cmocka_unit_test(t_vector),
      cmocka_unit_test(t_list),         cmocka_unit_test(t_struct),      cmocka_unit_test(t_dict),
      cmocka_unit_test(t_decimal),      cmocka_unit_test(t_temporal),    cmocka_unit_test(t_multi_page),
      cmocka_unit_test(t_showcase),     cmocka_unit_test(t_wide),        cmocka_unit_test(t_odd),
      cmocka_unit_test(t_blob_legacy),  cmocka_unit_test(t22_int),       cmocka_unit_test(t22_float),
      cmocka_unit_test(t22_string),     cmocka_unit_test(t22_binary),    cmocka_unit_test(t22_bool),
      cmocka_unit_test(t22_vector),     cmocka_unit_test(t22_list),      cmocka_unit_test(t22_struct),
      cmocka_unit_test(t22_dict),       cmocka_unit_test(t22_decimal),   cmocka_unit_test(t22_temporal),
      cmocka_unit_test(t22_multi_page), cmocka_unit_test(t22_showcase),  cmocka_unit_test(t22_wide),
      cmocka_unit_test(t22_map),        cmocka_unit_test(t22_fsl_struct), cmocka_unit_test(t22_enc22),
      cmocka_unit_test(t22_large_chunks), cmocka_unit_test(t22_fmt22), cmocka_unit_test(t22_fmt21),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
