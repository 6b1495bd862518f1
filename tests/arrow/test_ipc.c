/* Arrow IPC stream: write → read round trip of every type (random arrays
 * with nulls and offsets, several batches with different dictionaries),
 * schema round trip, and hostile input (truncations, byte flips). */
#include "testutil.h"

#include "arrow_gen.h"

static void assert_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  assert_string_equal(a->format, b->format);
  assert_string_equal(a->name ? a->name : "", b->name ? b->name : "");
  assert_int_equal(a->flags & ARROW_FLAG_NULLABLE, b->flags & ARROW_FLAG_NULLABLE);
  assert_int_equal(a->n_children, b->n_children);
  for (int64_t i = 0; i < a->n_children; i++) assert_schema_equal(a->children[i], b->children[i]);
  assert_int_equal(a->dictionary != NULL, b->dictionary != NULL);
  if (a->dictionary) assert_schema_equal(a->dictionary, b->dictionary);
}

static void write_stream(const lc_field *zoo, struct ArrowArray *batches, int nb, uint8_t **out, size_t *len) {
  lancec_error err;
  struct ArrowSchema schema;
  assert_ok(lc_ipc_field_to_arrow(zoo, &schema, &err), &err);
  const struct ArrowArray *pp[8];
  for (int i = 0; i < nb; i++) pp[i] = &batches[i];
  assert_ok(lc_ipc_write_stream_mem(out, len, &schema, pp, (size_t)nb, &err), &err);
  schema.release(&schema);
}

static void test_roundtrip_all_types(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  for (int round = 0; round < 6; round++) {
    struct ArrowArray batches[4];
    int nb = 1 + round % 4;
    for (int i = 0; i < nb; i++) gen_array(zoo, round == 0 && i == 0 ? 0 : rndn(60), round % 3 ? 25 : 0, &batches[i]);
    if (round == 5) { /* a batch with its own offset (the writer honours it) */
      batches[0].offset += 1;
      if (batches[0].length) batches[0].length -= 1;
    }
    uint8_t *buf;
    size_t len;
    write_stream(zoo, batches, nb, &buf, &len);
    assert_int_equal(len % 8, 0);
    assert_memory_equal(buf + len - 8, "\xff\xff\xff\xff\0\0\0\0", 8);

    lc_ipc_reader *r;
    assert_ok(lc_ipc_reader_new_mem(&r, buf, len, &err), &err);
    struct ArrowSchema s1, s2;
    assert_ok(lc_ipc_reader_schema(r, &s1, &err), &err);
    assert_ok(lc_ipc_field_to_arrow(zoo, &s2, &err), &err);
    assert_schema_equal(&s1, &s2);
    s1.release(&s1);
    s2.release(&s2);
    const lc_field *rf = lc_ipc_reader_field(r);
    for (int i = 0; i < nb; i++) {
      struct ArrowArray got;
      assert_ok(lc_ipc_reader_next(r, &got, &err), &err);
      assert_non_null(got.release);
      assert_int_equal(got.length, batches[i].length);
      assert_ok(lc_array_validate(rf, &got, &err), &err);
      for (int64_t k = 0; k < got.length; k++) {
        for (size_t c = 0; c < zoo->n_children; c++) {
          char *g = repr_row(rf->children[c], got.children[c], k);
          char *w = repr_row(zoo->children[c], batches[i].children[c], batches[i].offset + k);
          if (strcmp(g, w)) fail_msg("batch %d row %lld column %s: got %s want %s", i, (long long)k,
                                     zoo->children[c]->name, g, w);
          lc_free(g);
          lc_free(w);
        }
      }
      lc_array_release(&got);
    }
    struct ArrowArray end;
    assert_ok(lc_ipc_reader_next(r, &end, &err), &err);
    assert_null(end.release);
    lc_ipc_reader_free(r);
    lc_free(buf);
    for (int i = 0; i < nb; i++) lc_array_release(&batches[i]);
  }
  lc_ipc_field_free(zoo);
}

static void test_metadata_roundtrip(void **state) {
  lancec_error err;
  lc_field *root = fld(LC_T_STRUCT, "");
  root->nullable = false;
  lc_field *a = fld(LC_T_INT32, "a");
  a->nullable = false;
  a->metadata = lc_calloc(1, sizeof(lc_kv));
  a->metadata[0].key = lc_strdup("ARROW:extension:name");
  a->metadata[0].value = (uint8_t *)lc_strdup("x.y");
  a->metadata[0].value_len = 3;
  a->n_metadata = 1;
  fld_add(root, a);
  root->metadata = lc_calloc(1, sizeof(lc_kv));
  root->metadata[0].key = lc_strdup("k");
  root->metadata[0].value = lc_malloc(4);
  memcpy(root->metadata[0].value, "v\0w", 4);
  root->metadata[0].value_len = 3;
  root->n_metadata = 1;
  struct ArrowArray b;
  gen_array(root, 5, 0, &b);
  uint8_t *buf;
  size_t len;
  write_stream(root, &b, 1, &buf, &len);
  lc_ipc_reader *r;
  assert_ok(lc_ipc_reader_new_mem(&r, buf, len, &err), &err);
  const lc_field *rf = lc_ipc_reader_field(r);
  assert_int_equal(rf->n_metadata, 1);
  assert_int_equal(rf->metadata[0].value_len, 3);
  assert_memory_equal(rf->metadata[0].value, "v\0w", 3);
  assert_false(rf->children[0]->nullable);
  assert_string_equal(rf->children[0]->extension_name, "x.y");
  lc_ipc_reader_free(r);
  lc_free(buf);
  lc_array_release(&b);
  lc_ipc_field_free(root);
}

static void test_file_reader(void **state) {
  lc_field *zoo = zoo_field();
  lancec_error err;
  struct ArrowArray b[2];
  gen_array(zoo, 30, 20, &b[0]);
  gen_array(zoo, 7, 20, &b[1]);
  uint8_t *buf;
  size_t len;
  write_stream(zoo, b, 2, &buf, &len);
  FILE *fp = fmemopen(buf, len, "rb");
  lc_ipc_reader *r;
  assert_ok(lc_ipc_reader_new_file(&r, fp, &err), &err);
  struct ArrowArrayStream st;
  assert_ok(lc_ipc_reader_to_stream(r, &st, &err), &err);
  struct ArrowSchema s;
  assert_int_equal(st.get_schema(&st, &s), 0);
  assert_string_equal(s.format, "+s");
  s.release(&s);
  int64_t rows = 0;
  for (;;) {
    struct ArrowArray a;
    assert_int_equal(st.get_next(&st, &a), 0);
    if (!a.release) break;
    rows += a.length;
    a.release(&a);
  }
  assert_int_equal(rows, 37);
  st.release(&st);
  fclose(fp);
  lc_free(buf);
  lc_array_release(&b[0]);
  lc_array_release(&b[1]);
  lc_ipc_field_free(zoo);
}

/* Read everything; returns 0 or the first error (must never crash). */
static int read_all(const uint8_t *buf, size_t len) {
  lancec_error err;
  lc_ipc_reader *r;
  int rc = lc_ipc_reader_new_mem(&r, buf, len, &err);
  if (rc) return rc;
  for (;;) {
    struct ArrowArray a;
    rc = lc_ipc_reader_next(r, &a, &err);
    if (rc || !a.release) break;
    lc_array_release(&a);
  }
  lc_ipc_reader_free(r);
  return rc;
}

static void test_hostile(void **state) {
  lc_field *zoo = zoo_field();
  struct ArrowArray b[2];
  gen_array(zoo, 9, 30, &b[0]);
  gen_array(zoo, 4, 30, &b[1]);
  uint8_t *buf;
  size_t len;
  write_stream(zoo, b, 2, &buf, &len);
  assert_int_equal(read_all(buf, len), 0);
  /* every truncation: an error or a clean shorter stream, never a crash */
  for (size_t cut = 0; cut < len; cut += (cut < 2000 ? 1 : 7)) {
    uint8_t *t = lc_malloc(cut ? cut : 1);
    memcpy(t, buf, cut);
    int rc = read_all(t, cut);
    assert_true(rc == 0 || rc == LANCEC_ECORRUPT || rc == LANCEC_EUNSUPPORTED);
    lc_free(t);
  }
  /* random byte corruption */
  uint8_t *t = lc_malloc(len);
  for (int it = 0; it < 3000; it++) {
    memcpy(t, buf, len);
    int flips = 1 + (int)rndn(4);
    for (int k = 0; k < flips; k++) t[rndn((int64_t)len)] ^= (uint8_t)(1u << rndn(8));
    int rc = read_all(t, len);
    assert_true(rc == 0 || rc == LANCEC_ECORRUPT || rc == LANCEC_EUNSUPPORTED || rc == LANCEC_ENOMEM);
  }
  lc_free(t);
  lc_free(buf);
  lc_array_release(&b[0]);
  lc_array_release(&b[1]);
  lc_ipc_field_free(zoo);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_all_types),
      cmocka_unit_test(test_metadata_roundtrip),
      cmocka_unit_test(test_file_reader),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
