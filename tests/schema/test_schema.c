/* Unit tests for src/schema: logical types, tree building, projection,
 * Arrow export. */
#include "testutil.h"

#include "lance_file.pb-c.h"
#include "lance_table.pb-c.h"
#include "schema/schema.h"

static lc_field *parse(const char *lt, int expect_rc) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  f->name = lc_strdup("f");
  f->id = 7;
  f->parent_id = -1;
  lancec_error err = {0};
  int rc = lc_logical_type_parse(f, lt, &err);
  if (rc != expect_rc) fail_msg("parse '%s': rc %d (%s), expected %d", lt, rc, err.message, expect_rc);
  if (rc) {
    assert_true(strlen(err.message) > 0);
    lc_field_free(f);
    return NULL;
  }
  return f;
}

static void check_fmt(const char *lt, const char *fmt) {
  lc_field *f = parse(lt, 0);
  char buf[64];
  lc_field_format(f, buf, sizeof(buf));
  if (strcmp(buf, fmt)) fail_msg("'%s': format '%s', expected '%s'", lt, buf, fmt);
  lc_field_free(f);
}

static void test_simple_types(void **state) {
  (void)state;
  struct {
    const char *lt, *fmt;
    int bits;
  } cases[] = {
      {"null", "n", 0},        {"bool", "b", 1},          {"int8", "c", 8},
      {"uint8", "C", 8},       {"int16", "s", 16},        {"uint16", "S", 16},
      {"int32", "i", 32},      {"uint32", "I", 32},       {"int64", "l", 64},
      {"uint64", "L", 64},     {"halffloat", "e", 16},    {"float", "f", 32},
      {"double", "g", 64},     {"string", "u", 0},        {"large_string", "U", 0},
      {"binary", "z", 0},      {"large_binary", "Z", 0},  {"date32:day", "tdD", 32},
      {"date64:ms", "tdm", 64}, {"time32:s", "tts", 32},  {"time32:ms", "ttm", 32},
      {"time64:us", "ttu", 64}, {"time64:ns", "ttn", 64}, {"duration:s", "tDs", 64},
      {"duration:ms", "tDm", 64}, {"duration:us", "tDu", 64}, {"duration:ns", "tDn", 64},
      {"timestamp:us:UTC", "tsu:UTC", 64}, {"timestamp:ns:-", "tsn:", 64},
      {"timestamp:s:-", "tss:", 64},     {"timestamp:ms:Asia/Kolkata", "tsm:Asia/Kolkata", 64},
      {"timestamp:us:America/New_York", "tsu:America/New_York", 64},
      {"decimal:128:10:2", "d:10,2", 128}, {"decimal:256:76:38", "d:76,38,256", 256},
      {"decimal:128:18:-3", "d:18,-3", 128}, {"fixed_size_binary:16", "w:16", 128},
      {"struct", "+s", 0},     {"list", "+l", 0},         {"list.struct", "+l", 0},
      {"large_list", "+L", 0}, {"large_list.struct", "+L", 0}, {"map", "+m", 0},
      {"fixed_size_list:float:128", "+w:128", 4096}, {"fixed_size_list:struct:2", "+w:2", 0},
      {"dict:string:int32:false", "i", 0}, {"dict:string:int8:false", "c", 0},
      {"json", "Z", 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    check_fmt(cases[i].lt, cases[i].fmt);
    lc_field *f = parse(cases[i].lt, 0);
    if (lc_type_bit_width(f) != cases[i].bits)
      fail_msg("'%s': bit width %d, expected %d", cases[i].lt, lc_type_bit_width(f), cases[i].bits);
    assert_string_equal(f->logical_type, cases[i].lt);
    lc_field_free(f);
  }
}

static void test_param_types(void **state) {
  (void)state;
  lc_field *f = parse("decimal:128:18:-3", 0);
  assert_int_equal(f->type, LC_T_DECIMAL128);
  assert_int_equal(f->precision, 18);
  assert_int_equal(f->scale, -3);
  lc_field_free(f);

  f = parse("timestamp:us:America/New_York", 0);
  assert_int_equal(f->type, LC_T_TIMESTAMP);
  assert_int_equal(f->unit, LC_UNIT_US);
  assert_string_equal(f->tz, "America/New_York");
  lc_field_free(f);

  f = parse("timestamp:ns:-", 0);
  assert_int_equal(f->unit, LC_UNIT_NS);
  assert_null(f->tz);
  lc_field_free(f);

  f = parse("fixed_size_list:fixed_size_list:float:3:2", 0);
  assert_int_equal(f->type, LC_T_FIXED_LIST);
  assert_int_equal(f->width, 2);
  assert_int_equal(f->n_children, 1);
  lc_field *in = f->children[0];
  assert_string_equal(in->name, "item");
  assert_int_equal(in->id, -1);
  assert_true(in->nullable);
  assert_ptr_equal(in->parent, f);
  assert_int_equal(in->type, LC_T_FIXED_LIST);
  assert_int_equal(in->width, 3);
  assert_int_equal(in->n_children, 1);
  assert_int_equal(in->children[0]->type, LC_T_FLOAT);
  assert_int_equal(lc_type_bit_width(f), 32 * 6);
  assert_true(lc_type_is_fixed_width(f));
  char buf[128];
  assert_string_equal(lc_field_type_string(f, buf, sizeof(buf)),
                      "fixed_size_list<fixed_size_list<float>[3]>[2]");
  lc_field_free(f);

  f = parse("fixed_size_list:fixed_size_binary:2:2", 0);
  assert_int_equal(f->children[0]->type, LC_T_FIXED_BINARY);
  assert_int_equal(f->children[0]->width, 2);
  lc_field_free(f);

  f = parse("fixed_size_list:lance.bfloat16:4", 0);
  assert_int_equal(f->children[0]->type, LC_T_FIXED_BINARY);
  assert_string_equal(f->children[0]->extension_name, "lance.bfloat16");
  lc_field_free(f);

  f = parse("fixed_size_list:struct:2", 0);
  assert_int_equal(f->type, LC_T_FIXED_LIST);
  assert_int_equal(f->n_children, 0); /* real child comes from the field list */
  lc_field_free(f);

  f = parse("dict:string:int32:false", 0);
  assert_int_equal(f->type, LC_T_DICT);
  assert_int_equal(f->dict_key, LC_T_INT32);
  assert_non_null(f->dict_value);
  assert_string_equal(f->dict_value->name, "value");
  assert_int_equal(f->dict_value->id, -1);
  assert_int_equal(f->dict_value->type, LC_T_STRING);
  lc_field_free(f);

  f = parse("json", 0);
  assert_int_equal(f->type, LC_T_LARGE_BINARY);
  assert_string_equal(f->extension_name, "lance.json");
  lc_field_free(f);

  assert_true(lc_type_is_binary_like(LC_T_LARGE_STRING));
  assert_false(lc_type_is_binary_like(LC_T_INT32));
  assert_string_equal(lc_type_name(LC_T_INT32), "int32");
}

static void test_bad_types(void **state) {
  (void)state;
  const char *bad[] = {"",           "int33",          "fixed_size_list:float",
                       "fixed_size_list:float:0", "fixed_size_list:float:x",
                       "fixed_size_list::3", "fixed_size_binary:-1", "decimal:64:10:2",
                       "decimal:128:x:2", "decimal:128:10", "timestamp:xs:UTC", "timestamp:us",
                       "time32:us", "time64:s", "duration:h", "dict:string:float:false",
                       "dict:string", "fixed_size_list:list:3", "date32:ms",
                       "fixed_size_list:fixed_size_list:fixed_size_list:float:99999999999:1:1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) parse(bad[i], LANCEC_EUNSUPPORTED);
}

/* ---- building from protobuf ---- */

typedef struct pbs {
  Lance__File__Field f[32];
  void *ptrs[32];
  Lance__File__Field__MetadataEntry md[8];
  void *mdp[8];
  size_t n, nmd;
} pbs;

static Lance__File__Field *add(pbs *p, const char *name, int id, int parent, const char *lt,
                               int nullable) {
  Lance__File__Field *f = &p->f[p->n];
  lance__file__field__init(f);
  f->name = (char *)name;
  f->has_id = 1;
  f->id = id;
  f->has_parent_id = 1;
  f->parent_id = parent;
  f->logical_type = (char *)lt;
  f->has_nullable = 1;
  f->nullable = nullable;
  p->ptrs[p->n] = f;
  p->n++;
  return f;
}

static void add_md(pbs *p, Lance__File__Field *f, const char *k, const char *v) {
  Lance__File__Field__MetadataEntry *e = &p->md[p->nmd];
  lance__file__field__metadata_entry__init(e);
  e->key = (char *)k;
  e->has_value = 1;
  e->value.data = (uint8_t *)v;
  e->value.len = strlen(v);
  p->mdp[p->nmd++] = e;
  f->n_metadata = 1;
  f->metadata = (Lance__File__Field__MetadataEntry **)&p->mdp[p->nmd - 1];
}

static void build_nested(pbs *p) {
  memset(p, 0, sizeof(*p));
  add(p, "id", 0, -1, "int64", 0);
  add(p, "st", 1, -1, "struct", 1);
  add(p, "x", 2, 1, "int32", 1);
  add(p, "y", 3, 1, "string", 1);
  add(p, "lst", 4, -1, "list", 1);
  add(p, "item", 5, 4, "double", 1);
  add(p, "fsl", 6, -1, "fixed_size_list:float:3", 1);
  add(p, "fst", 7, -1, "fixed_size_list:struct:2", 1);
  add(p, "item", 8, 7, "struct", 1);
  add(p, "a", 9, 8, "int32", 1);
  add(p, "m", 10, -1, "map", 1);
  add(p, "entries", 11, 10, "struct", 0);
  add(p, "key", 12, 11, "string", 0);
  add(p, "value", 13, 11, "int32", 1);
  add(p, "d", 14, -1, "dict:string:int32:false", 1);
  Lance__File__Field *j = add(p, "j", 15, -1, "json", 1);
  add_md(p, j, "ARROW:extension:name", "lance.json");
  add(p, "ts", 16, -1, "timestamp:us:UTC", 1);
}

static void test_from_pb(void **state) {
  (void)state;
  pbs p;
  build_nested(&p);
  Lance__Table__Manifest__SchemaMetadataEntry sm = LANCE__TABLE__MANIFEST__SCHEMA_METADATA_ENTRY__INIT;
  sm.key = "k";
  sm.has_value = 1;
  sm.value.data = (uint8_t *)"v1";
  sm.value.len = 2;
  void *smp[1] = {&sm};
  lc_schema *s = NULL;
  lancec_error err = {0};
  assert_ok(lc_schema_from_pb(&s, p.ptrs, p.n, smp, 1, &err), &err);
  assert_int_equal(s->n_fields, 9);
  assert_int_equal(s->n_metadata, 1);
  assert_string_equal(s->metadata[0].key, "k");
  assert_string_equal((char *)s->metadata[0].value, "v1");
  assert_false(s->fields[0]->nullable);
  assert_int_equal(s->fields[1]->n_children, 2);
  assert_ptr_equal(s->fields[1]->children[1]->parent, s->fields[1]);
  assert_int_equal(s->fields[3]->n_children, 1);
  assert_int_equal(s->fields[3]->children[0]->id, -1);
  assert_int_equal(s->fields[4]->n_children, 1);
  assert_int_equal(s->fields[4]->children[0]->id, 8);
  assert_string_equal(lc_schema_find_id(s, 12)->name, "key");
  assert_string_equal(lc_schema_find_id(s, 9)->name, "a");
  assert_null(lc_schema_find_id(s, 99));
  assert_ptr_equal(lc_schema_find_name(s, "m"), s->fields[5]);
  assert_null(lc_schema_find_name(s, "x"));
  assert_string_equal(s->fields[7]->extension_name, "lance.json");

  char buf[256];
  assert_string_equal(lc_field_type_string(s->fields[1], buf, sizeof(buf)),
                      "struct<x: int32, y: string>");
  assert_string_equal(lc_field_type_string(s->fields[5], buf, sizeof(buf)), "map<string, int32>");
  assert_string_equal(lc_field_type_string(s->fields[4], buf, sizeof(buf)),
                      "fixed_size_list<struct<a: int32>>[2]");
  /* truncation is safe */
  lc_field_type_string(s->fields[1], buf, 5);
  assert_string_equal(buf, "stru");

  /* clone */
  lc_field *c = lc_field_clone(s->fields[5]);
  assert_string_equal(c->children[0]->children[1]->name, "value");
  assert_ptr_equal(c->children[0]->parent, c);
  assert_ptr_equal(c->children[0]->children[0]->parent, c->children[0]);
  lc_field_free(c);
  c = lc_field_clone(s->fields[6]);
  assert_ptr_equal(c->dict_value->parent, c);
  lc_field_free(c);

  /* Arrow export */
  struct ArrowSchema as;
  assert_ok(lc_schema_to_arrow(s, &as, &err), &err);
  assert_string_equal(as.format, "+s");
  assert_int_equal(as.n_children, 9);
  assert_non_null(as.metadata);
  int32_t cnt;
  memcpy(&cnt, as.metadata, 4);
  assert_int_equal(cnt, 1);
  assert_string_equal(as.children[0]->format, "l");
  assert_string_equal(as.children[0]->name, "id");
  assert_int_equal(as.children[0]->flags, 0);
  assert_int_equal(as.children[1]->flags, ARROW_FLAG_NULLABLE);
  assert_string_equal(as.children[1]->children[1]->format, "u");
  assert_string_equal(as.children[2]->format, "+l");
  assert_string_equal(as.children[3]->format, "+w:3");
  assert_string_equal(as.children[3]->children[0]->format, "f");
  assert_string_equal(as.children[3]->children[0]->name, "item");
  assert_string_equal(as.children[4]->format, "+w:2");
  assert_string_equal(as.children[4]->children[0]->format, "+s");
  struct ArrowSchema *m = as.children[5];
  assert_string_equal(m->format, "+m");
  assert_string_equal(m->children[0]->format, "+s");
  assert_int_equal(m->children[0]->flags, 0);
  assert_int_equal(m->children[0]->children[0]->flags, 0);
  assert_int_equal(m->children[0]->children[1]->flags, ARROW_FLAG_NULLABLE);
  struct ArrowSchema *d = as.children[6];
  assert_string_equal(d->format, "i");
  assert_non_null(d->dictionary);
  assert_string_equal(d->dictionary->format, "u");
  struct ArrowSchema *j = as.children[7];
  assert_string_equal(j->format, "Z");
  /* metadata: 1 entry, ARROW:extension:name = lance.json (no duplicate) */
  const char *md = j->metadata;
  memcpy(&cnt, md, 4);
  assert_int_equal(cnt, 1);
  int32_t kl, vl;
  memcpy(&kl, md + 4, 4);
  assert_int_equal(kl, 20);
  assert_memory_equal(md + 8, "ARROW:extension:name", 20);
  memcpy(&vl, md + 28, 4);
  assert_int_equal(vl, 10);
  assert_memory_equal(md + 32, "lance.json", 10);
  assert_string_equal(as.children[8]->format, "tsu:UTC");
  as.release(&as);
  assert_null(as.release);

  /* extension name without metadata → metadata synthesised */
  lc_field *jf = parse("json", 0);
  struct ArrowSchema js;
  assert_ok(lc_field_to_arrow(jf, &js, &err), &err);
  assert_non_null(js.metadata);
  memcpy(&cnt, js.metadata, 4);
  assert_int_equal(cnt, 1);
  assert_memory_equal(js.metadata + 8, "ARROW:extension:name", 20);
  js.release(&js);
  lc_field_free(jf);

  lc_schema_free(s);
}

static void test_from_pb_errors(void **state) {
  (void)state;
  lancec_error err = {0};
  lc_schema *s = NULL;
  pbs p;
  /* parent after child */
  memset(&p, 0, sizeof(p));
  add(&p, "x", 2, 1, "int32", 1);
  add(&p, "st", 1, -1, "struct", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "parent id 1"));
  assert_null(s);
  /* duplicate id */
  memset(&p, 0, sizeof(p));
  add(&p, "a", 0, -1, "int32", 1);
  add(&p, "b", 0, -1, "int32", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  /* list without child */
  memset(&p, 0, sizeof(p));
  add(&p, "l", 0, -1, "list", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  assert_non_null(strstr(err.message, "'l'"));
  /* list with two children */
  memset(&p, 0, sizeof(p));
  add(&p, "l", 0, -1, "list", 1);
  add(&p, "i", 1, 0, "int32", 1);
  add(&p, "j", 2, 0, "int32", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  /* child of a scalar */
  memset(&p, 0, sizeof(p));
  add(&p, "a", 0, -1, "int32", 1);
  add(&p, "b", 1, 0, "int32", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  /* bad logical type names the field */
  memset(&p, 0, sizeof(p));
  add(&p, "weird", 0, -1, "int128", 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_EUNSUPPORTED);
  assert_non_null(strstr(err.message, "weird"));
  /* missing logical type */
  memset(&p, 0, sizeof(p));
  add(&p, "a", 0, -1, NULL, 1);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  /* map with bad entries */
  memset(&p, 0, sizeof(p));
  add(&p, "m", 0, -1, "map", 1);
  add(&p, "entries", 1, 0, "struct", 0);
  add(&p, "key", 2, 1, "string", 0);
  assert_int_equal(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), LANCEC_ECORRUPT);
  /* empty schema is fine */
  assert_ok(lc_schema_from_pb(&s, NULL, 0, NULL, 0, &err), &err);
  assert_int_equal(s->n_fields, 0);
  struct ArrowSchema as;
  assert_ok(lc_schema_to_arrow(s, &as, &err), &err);
  assert_int_equal(as.n_children, 0);
  assert_null(as.metadata);
  as.release(&as);
  lc_schema_free(s);
}

static void test_project(void **state) {
  (void)state;
  pbs p;
  build_nested(&p);
  add(&p, "a.b", 17, -1, "int32", 1); /* a name containing a dot */
  lc_schema *s = NULL, *r = NULL;
  lancec_error err = {0};
  assert_ok(lc_schema_from_pb(&s, p.ptrs, p.n, NULL, 0, &err), &err);

  const char *p1[] = {"st.y", "id", "st.x", "a.b", "m"};
  assert_ok(lc_schema_project(&r, s, p1, 5, &err), &err);
  assert_int_equal(r->n_fields, 4);
  assert_string_equal(r->fields[0]->name, "st");
  assert_int_equal(r->fields[0]->n_children, 2);
  assert_string_equal(r->fields[0]->children[0]->name, "y");
  assert_string_equal(r->fields[0]->children[1]->name, "x");
  assert_ptr_equal(r->fields[0]->children[0]->parent, r->fields[0]);
  assert_string_equal(r->fields[1]->name, "id");
  assert_string_equal(r->fields[2]->name, "a.b");
  assert_string_equal(r->fields[3]->name, "m");
  assert_int_equal(r->fields[3]->children[0]->n_children, 2);
  lc_schema_free(r);

  /* partial then whole */
  const char *p2[] = {"st.y", "st", "st.x"};
  assert_ok(lc_schema_project(&r, s, p2, 3, &err), &err);
  assert_int_equal(r->n_fields, 1);
  assert_int_equal(r->fields[0]->n_children, 2);
  assert_string_equal(r->fields[0]->children[0]->name, "x");
  lc_schema_free(r);

  const char *p3[] = {"id", "st.zz"};
  assert_int_equal(lc_schema_project(&r, s, p3, 2, &err), LANCEC_ENOTFOUND);
  assert_non_null(strstr(err.message, "st.zz"));
  assert_null(r);
  const char *p4[] = {"lst.item"};
  assert_int_equal(lc_schema_project(&r, s, p4, 1, &err), LANCEC_ENOTFOUND);
  lc_schema_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_types),   cmocka_unit_test(test_param_types),
      cmocka_unit_test(test_bad_types),      cmocka_unit_test(test_from_pb),
      cmocka_unit_test(test_from_pb_errors), cmocka_unit_test(test_project),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
