/* Lance schema: logical type parsing, tree building from the flattened
 * protobuf field list, cloning, lookup, projection, type helpers
 * (table-format.md §5). Arrow export lives in arrow_export.c. */
#include "schema/schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "lance_file.pb-c.h"
#include "lance_table.pb-c.h"

/* lc_schema_from_pb reads metadata entries through Lance__File__Field__MetadataEntry;
 * the other generated map-entry structs must share its layout. */
#define LC_SAME_LAYOUT(T)                                                                     \
  _Static_assert(sizeof(T) == sizeof(Lance__File__Field__MetadataEntry) &&                     \
                     offsetof(T, key) == offsetof(Lance__File__Field__MetadataEntry, key) &&   \
                     offsetof(T, has_value) ==                                                 \
                         offsetof(Lance__File__Field__MetadataEntry, has_value) &&             \
                     offsetof(T, value) == offsetof(Lance__File__Field__MetadataEntry, value), \
                 #T " layout differs from Lance__File__Field__MetadataEntry")
LC_SAME_LAYOUT(Lance__File__Schema__MetadataEntry);
LC_SAME_LAYOUT(Lance__Table__Manifest__SchemaMetadataEntry);

/* ---- small helpers ---------------------------------------------------------- */

static lc_field *field_new(const char *name, int32_t id) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return NULL;
  f->name = lc_strdup(name ? name : "");
  if (!f->name) {
    lc_free(f);
    return NULL;
  }
  f->id = id;
  f->parent_id = -1;
  f->nullable = true;
  return f;
}

static int add_child(lc_field *parent, lc_field *child) {
  lc_field **c = lc_realloc(parent->children, (parent->n_children + 1) * sizeof(*c));
  if (!c) return LANCEC_ENOMEM;
  parent->children = c;
  c[parent->n_children++] = child;
  child->parent = parent;
  return 0;
}

static void kv_free(lc_kv *kv, size_t n) {
  for (size_t i = 0; i < n; i++) {
    lc_free(kv[i].key);
    lc_free(kv[i].value);
  }
  lc_free(kv);
}

static int kv_copy(lc_kv **out, const lc_kv *in, size_t n) {
  *out = NULL;
  if (n == 0) return 0;
  lc_kv *kv = lc_calloc(n, sizeof(*kv));
  if (!kv) return LANCEC_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    kv[i].key = lc_strdup(in[i].key);
    kv[i].value = lc_malloc(in[i].value_len + 1);
    if (!kv[i].key || !kv[i].value) {
      kv_free(kv, i + 1);
      return LANCEC_ENOMEM;
    }
    if (in[i].value_len) memcpy(kv[i].value, in[i].value, in[i].value_len);
    kv[i].value[in[i].value_len] = 0;
    kv[i].value_len = in[i].value_len;
  }
  *out = kv;
  return 0;
}

static bool parse_i32(const char *s, size_t n, int32_t *out, bool allow_neg) {
  if (n == 0 || n > 11) return false;
  char tmp[16];
  memcpy(tmp, s, n);
  tmp[n] = 0;
  const char *p = tmp;
  if (*p == '-') {
    if (!allow_neg) return false;
    p++;
  }
  if (!*p) return false;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return false;
  errno = 0;
  long long v = strtoll(tmp, NULL, 10);
  if (errno || v < INT32_MIN || v > INT32_MAX) return false;
  *out = (int32_t)v;
  return true;
}

static bool parse_unit(const char *s, lc_time_unit *u) {
  if (!strcmp(s, "s")) *u = LC_UNIT_S;
  else if (!strcmp(s, "ms")) *u = LC_UNIT_MS;
  else if (!strcmp(s, "us")) *u = LC_UNIT_US;
  else if (!strcmp(s, "ns")) *u = LC_UNIT_NS;
  else return false;
  return true;
}

/* ---- logical types ------------------------------------------------------------ */

static const struct {
  const char *name;
  lc_type_id type;
} k_simple[] = {
    {"null", LC_T_NULL},          {"bool", LC_T_BOOL},
    {"int8", LC_T_INT8},          {"uint8", LC_T_UINT8},
    {"int16", LC_T_INT16},        {"uint16", LC_T_UINT16},
    {"int32", LC_T_INT32},        {"uint32", LC_T_UINT32},
    {"int64", LC_T_INT64},        {"uint64", LC_T_UINT64},
    {"halffloat", LC_T_HALF},     {"float", LC_T_FLOAT},
    {"double", LC_T_DOUBLE},      {"string", LC_T_STRING},
    {"large_string", LC_T_LARGE_STRING}, {"binary", LC_T_BINARY},
    {"large_binary", LC_T_LARGE_BINARY}, {"struct", LC_T_STRUCT},
    {"list", LC_T_LIST},          {"list.struct", LC_T_LIST},
    {"large_list", LC_T_LARGE_LIST}, {"large_list.struct", LC_T_LARGE_LIST},
    {"map", LC_T_MAP},            {"date32:day", LC_T_DATE32},
    {"date64:ms", LC_T_DATE64},
};

static int bad_type(lancec_error *err, const char *lt) {
  return lc_err(err, LANCEC_EUNSUPPORTED, "unsupported or malformed logical type '%s'", lt);
}

static int parse_lt(lc_field *f, const char *lt, int depth, lancec_error *err) {
  if (depth > 32) return lc_err(err, LANCEC_ECORRUPT, "logical type nested too deeply: '%s'", lt);
  for (size_t i = 0; i < sizeof(k_simple) / sizeof(k_simple[0]); i++) {
    if (!strcmp(lt, k_simple[i].name)) {
      f->type = k_simple[i].type;
      return 0;
    }
  }
  if (!strcmp(lt, "json")) {
    f->type = LC_T_LARGE_BINARY;
    if (!f->extension_name) {
      f->extension_name = lc_strdup("lance.json");
      if (!f->extension_name) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    return 0;
  }
  const char *c1 = strchr(lt, ':');
  if (!c1) return bad_type(err, lt);
  size_t hlen = (size_t)(c1 - lt);
  const char *rest = c1 + 1;
#define HEAD_IS(s) (hlen == sizeof(s) - 1 && !memcmp(lt, s, hlen))
  if (HEAD_IS("fixed_size_list")) {
    const char *last = strrchr(rest, ':');
    if (!last || last == rest) return bad_type(err, lt);
    int32_t n;
    if (!parse_i32(last + 1, strlen(last + 1), &n, false) || n <= 0) return bad_type(err, lt);
    f->type = LC_T_FIXED_LIST;
    f->width = n;
    size_t ilen = (size_t)(last - rest);
    if (ilen == 6 && !memcmp(rest, "struct", 6)) return 0; /* real child entry follows */
    char *inner = lc_strndup(rest, ilen);
    if (!inner) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    lc_field *item = field_new("item", -1);
    if (!item) {
      lc_free(inner);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    item->parent_id = f->id;
    item->logical_type = inner;
    int rc;
    if (!strcmp(inner, "lance.bfloat16")) {
      item->type = LC_T_FIXED_BINARY;
      item->width = 2;
      item->extension_name = lc_strdup("lance.bfloat16");
      rc = item->extension_name ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
    } else {
      rc = parse_lt(item, inner, depth + 1, err);
    }
    if (rc == 0 && (item->type == LC_T_STRUCT || item->type == LC_T_LIST ||
                    item->type == LC_T_LARGE_LIST || item->type == LC_T_MAP))
      rc = bad_type(err, lt);
    if (rc == 0) rc = add_child(f, item) ? lc_err(err, LANCEC_ENOMEM, "out of memory") : 0;
    if (rc) lc_field_free(item);
    return rc;
  }
  if (HEAD_IS("fixed_size_binary")) {
    int32_t n;
    if (!parse_i32(rest, strlen(rest), &n, false) || n <= 0) return bad_type(err, lt);
    f->type = LC_T_FIXED_BINARY;
    f->width = n;
    return 0;
  }
  if (HEAD_IS("dict")) {
    /* dict:<value lt>:<key lt>:<ordered> */
    const char *c3 = strrchr(rest, ':');
    if (!c3 || c3 == rest) return bad_type(err, lt);
    const char *c2 = c3 - 1;
    while (c2 > rest && *c2 != ':') c2--;
    if (c2 <= rest || *c2 != ':') return bad_type(err, lt);
    char *vlt = lc_strndup(rest, (size_t)(c2 - rest));
    char *klt = lc_strndup(c2 + 1, (size_t)(c3 - c2 - 1));
    if (!vlt || !klt) {
      lc_free(vlt);
      lc_free(klt);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    lc_field key = {0};
    int rc = 0;
    if (parse_lt(&key, klt, depth + 1, err) != 0 || key.type < LC_T_INT8 || key.type > LC_T_UINT64)
      rc = bad_type(err, lt);
    lc_free(klt);
    lc_field_free(key.dict_value);
    for (size_t i = 0; i < key.n_children; i++) lc_field_free(key.children[i]);
    lc_free(key.children);
    lc_free(key.extension_name);
    lc_free(key.tz);
    lc_field *val = NULL;
    if (rc == 0) {
      val = field_new("value", -1);
      if (!val) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    if (rc == 0) {
      val->logical_type = vlt;
      vlt = NULL;
      rc = parse_lt(val, val->logical_type, depth + 1, err);
      if (rc == 0 && (val->type == LC_T_DICT || val->type == LC_T_STRUCT || val->type == LC_T_LIST ||
                      val->type == LC_T_LARGE_LIST || val->type == LC_T_MAP))
        rc = bad_type(err, lt);
    }
    lc_free(vlt);
    if (rc) {
      lc_field_free(val);
      return rc;
    }
    f->type = LC_T_DICT;
    f->dict_key = key.type;
    lc_field_free(f->dict_value);
    f->dict_value = val;
    val->parent = f;
    return 0;
  }
  if (HEAD_IS("decimal")) {
    /* decimal:<bits>:<p>:<s> */
    const char *c2 = strchr(rest, ':');
    const char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    if (!c2 || !c3 || strchr(c3 + 1, ':')) return bad_type(err, lt);
    int32_t bits, p, s;
    if (!parse_i32(rest, (size_t)(c2 - rest), &bits, false) ||
        !parse_i32(c2 + 1, (size_t)(c3 - c2 - 1), &p, false) ||
        !parse_i32(c3 + 1, strlen(c3 + 1), &s, true))
      return bad_type(err, lt);
    if (bits == 128 && p >= 1 && p <= 38) f->type = LC_T_DECIMAL128;
    else if (bits == 256 && p >= 1 && p <= 76) f->type = LC_T_DECIMAL256;
    else return bad_type(err, lt);
    if (s > p) return bad_type(err, lt);
    f->precision = p;
    f->scale = s;
    return 0;
  }
  if (HEAD_IS("timestamp")) {
    /* timestamp:<unit>:<tz or -> (a zone containing ':' is taken whole) */
    const char *c2 = strchr(rest, ':');
    if (!c2) return bad_type(err, lt);
    char unit[4];
    size_t ul = (size_t)(c2 - rest);
    if (ul == 0 || ul >= sizeof(unit)) return bad_type(err, lt);
    memcpy(unit, rest, ul);
    unit[ul] = 0;
    if (!parse_unit(unit, &f->unit)) return bad_type(err, lt);
    const char *tz = c2 + 1;
    if (!*tz) return bad_type(err, lt);
    f->type = LC_T_TIMESTAMP;
    lc_free(f->tz);
    f->tz = NULL;
    if (strcmp(tz, "-") != 0) {
      f->tz = lc_strdup(tz);
      if (!f->tz) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    return 0;
  }
  if (HEAD_IS("time32") || HEAD_IS("time64") || HEAD_IS("duration")) {
    lc_time_unit u;
    if (!parse_unit(rest, &u)) return bad_type(err, lt);
    if (HEAD_IS("time32")) {
      if (u != LC_UNIT_S && u != LC_UNIT_MS) return bad_type(err, lt);
      f->type = LC_T_TIME32;
    } else if (HEAD_IS("time64")) {
      if (u != LC_UNIT_US && u != LC_UNIT_NS) return bad_type(err, lt);
      f->type = LC_T_TIME64;
    } else {
      f->type = LC_T_DURATION;
    }
    f->unit = u;
    return 0;
  }
#undef HEAD_IS
  return bad_type(err, lt);
}

int lc_logical_type_parse(lc_field *f, const char *lt, lancec_error *err) {
  if (!f || !lt) return lc_err(err, LANCEC_EINVAL, "lc_logical_type_parse: NULL argument");
  if (!f->logical_type) {
    f->logical_type = lc_strdup(lt);
    if (!f->logical_type) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  return parse_lt(f, lt, 0, err);
}

/* ---- free / clone --------------------------------------------------------------- */

void lc_field_free(lc_field *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n_children; i++) lc_field_free(f->children[i]);
  lc_free(f->children);
  lc_field_free(f->dict_value);
  kv_free(f->metadata, f->n_metadata);
  lc_free(f->name);
  lc_free(f->tz);
  lc_free(f->logical_type);
  lc_free(f->extension_name);
  lc_free(f);
}

void lc_schema_free(lc_schema *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_fields; i++) lc_field_free(s->fields[i]);
  lc_free(s->fields);
  kv_free(s->metadata, s->n_metadata);
  lc_free(s);
}

/* Copy everything but the children. */
static lc_field *field_clone_shallow(const lc_field *f) {
  lc_field *c = lc_calloc(1, sizeof(*c));
  if (!c) return NULL;
  *c = *f;
  c->children = NULL;
  c->n_children = 0;
  c->parent = NULL;
  c->dict_value = NULL;
  c->metadata = NULL;
  c->n_metadata = 0;
  c->name = lc_strdup(f->name);
  c->tz = f->tz ? lc_strdup(f->tz) : NULL;
  c->logical_type = f->logical_type ? lc_strdup(f->logical_type) : NULL;
  c->extension_name = f->extension_name ? lc_strdup(f->extension_name) : NULL;
  bool ok = c->name && (!f->tz || c->tz) && (!f->logical_type || c->logical_type) &&
            (!f->extension_name || c->extension_name);
  if (ok && kv_copy(&c->metadata, f->metadata, f->n_metadata) == 0) c->n_metadata = f->n_metadata;
  else ok = false;
  if (ok && f->dict_value) {
    c->dict_value = lc_field_clone(f->dict_value);
    if (!c->dict_value) ok = false;
    else c->dict_value->parent = c;
  }
  if (!ok) {
    lc_field_free(c);
    return NULL;
  }
  return c;
}

lc_field *lc_field_clone(const lc_field *f) {
  if (!f) return NULL;
  lc_field *c = field_clone_shallow(f);
  if (!c) return NULL;
  if (f->n_children) {
    c->children = lc_calloc(f->n_children, sizeof(*c->children));
    if (!c->children) {
      lc_field_free(c);
      return NULL;
    }
    for (size_t i = 0; i < f->n_children; i++) {
      lc_field *ch = lc_field_clone(f->children[i]);
      if (!ch) {
        lc_field_free(c);
        return NULL;
      }
      ch->parent = c;
      c->children[c->n_children++] = ch;
    }
  }
  return c;
}

/* ---- building from protobuf ------------------------------------------------------- */

static int kv_from_pb(lc_kv **out, size_t *n_out, void *const *entries, size_t n, lancec_error *err) {
  *out = NULL;
  *n_out = 0;
  if (!entries || n == 0) return 0;
  lc_kv *kv = lc_calloc(n, sizeof(*kv));
  if (!kv) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const Lance__File__Field__MetadataEntry *e = entries[i];
    const char *k = e && e->key ? e->key : "";
    size_t vl = e ? e->value.len : 0;
    kv[i].key = lc_strdup(k);
    kv[i].value = lc_malloc(vl + 1);
    if (!kv[i].key || !kv[i].value) {
      kv_free(kv, i + 1);
      return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
    if (vl) memcpy(kv[i].value, e->value.data, vl);
    kv[i].value[vl] = 0;
    kv[i].value_len = vl;
  }
  *out = kv;
  *n_out = n;
  return 0;
}

/* Open-addressing map id -> field. */
typedef struct id_map {
  lc_field **slots;
  size_t cap;
} id_map;

static size_t id_hash(int32_t id, size_t cap) {
  uint32_t x = (uint32_t)id * 2654435761u;
  return x & (cap - 1);
}

static lc_field *id_map_get(const id_map *m, int32_t id) {
  for (size_t i = id_hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (!m->slots[i]) return NULL;
    if (m->slots[i]->id == id) return m->slots[i];
  }
}

static void id_map_put(id_map *m, lc_field *f) {
  size_t i = id_hash(f->id, m->cap);
  while (m->slots[i]) i = (i + 1) & (m->cap - 1);
  m->slots[i] = f;
}

static bool is_nested(lc_type_id t) {
  return t == LC_T_STRUCT || t == LC_T_LIST || t == LC_T_LARGE_LIST || t == LC_T_MAP ||
         t == LC_T_FIXED_LIST;
}

static int validate_field(const lc_field *f, int depth, lancec_error *err) {
  if (depth > 64) return lc_err(err, LANCEC_ECORRUPT, "schema nested too deeply at field '%s'", f->name);
  switch (f->type) {
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_FIXED_LIST:
      if (f->n_children != 1)
        return lc_err(err, LANCEC_ECORRUPT, "%s field '%s' (id %d) has %zu children, expected 1",
                      lc_type_name(f->type), f->name, f->id, f->n_children);
      break;
    case LC_T_MAP:
      if (f->n_children != 1 || f->children[0]->type != LC_T_STRUCT ||
          f->children[0]->n_children != 2)
        return lc_err(err, LANCEC_ECORRUPT,
                      "map field '%s' (id %d) must have one 'entries' struct child with key and value",
                      f->name, f->id);
      break;
    default:
      break;
  }
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(validate_field(f->children[i], depth + 1, err));
  return 0;
}

int lc_schema_from_pb(lc_schema **out, void *const *pb_fields, size_t n_fields,
                      void *const *pb_metadata, size_t n_metadata, lancec_error *err) {
  if (!out) return lc_err(err, LANCEC_EINVAL, "lc_schema_from_pb: NULL out");
  *out = NULL;
  if (n_fields && !pb_fields) return lc_err(err, LANCEC_EINVAL, "lc_schema_from_pb: NULL fields");
  lc_schema *s = lc_calloc(1, sizeof(*s));
  if (!s) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = kv_from_pb(&s->metadata, &s->n_metadata, pb_metadata, n_metadata, err);
  id_map map = {0};
  if (rc == 0 && n_fields) {
    map.cap = 16;
    while (map.cap < n_fields * 2) map.cap <<= 1;
    map.slots = lc_calloc(map.cap, sizeof(*map.slots));
    s->fields = lc_calloc(n_fields, sizeof(*s->fields));
    if (!map.slots || !s->fields) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  /* In a data file's own schema, the descriptor children of a blob v2 column
   * (kind, position, size, blob_id, blob_uri) are stored with id -1 and
   * parent -1 right after their struct (file-format-2.2.md §8.3): attach
   * such entries to the most recent blob struct. */
  lc_field *blob_parent = NULL;
  for (size_t i = 0; rc == 0 && i < n_fields; i++) {
    const Lance__File__Field *pf = pb_fields[i];
    if (!pf) {
      rc = lc_err(err, LANCEC_ECORRUPT, "schema field #%zu is missing", i);
      break;
    }
    const char *name = pf->name ? pf->name : "";
    int32_t id = pf->id;
    int32_t pid = pf->has_parent_id ? pf->parent_id : 0;
    bool blob_child = false;
    if (id < 0) {
      if (id == -1 && pid == -1 && blob_parent) {
        blob_child = true;
      } else {
        rc = lc_err(err, LANCEC_ECORRUPT, "schema field '%s' has negative id %d", name, id);
        break;
      }
    }
    if (!blob_child && id_map_get(&map, id)) {
      rc = lc_err(err, LANCEC_ECORRUPT, "schema field '%s' reuses field id %d", name, id);
      break;
    }
    lc_field *parent = blob_child ? blob_parent : NULL;
    if (!blob_child) blob_parent = NULL;
    if (pid != -1 && !blob_child) {
      parent = id_map_get(&map, pid);
      if (!parent) {
        rc = lc_err(err, LANCEC_ECORRUPT,
                    "schema field '%s' (id %d) has parent id %d which does not precede it", name,
                    id, pid);
        break;
      }
      if (!is_nested(parent->type) ||
          (parent->type == LC_T_FIXED_LIST && parent->n_children > 0 &&
           parent->children[0]->id != -1) ||
          ((parent->type == LC_T_LIST || parent->type == LC_T_LARGE_LIST ||
            parent->type == LC_T_MAP) &&
           parent->n_children > 0)) {
        rc = lc_err(err, LANCEC_ECORRUPT,
                    "schema field '%s' (id %d) cannot be a child of field '%s' (%s)", name, id,
                    parent->name, parent->logical_type ? parent->logical_type : "?");
        break;
      }
    }
    lc_field *f = field_new(name, id);
    if (!f) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    f->parent_id = pid;
    f->nullable = pf->has_nullable ? pf->nullable : false;
    if (pf->extension_name && *pf->extension_name) f->extension_name = lc_strdup(pf->extension_name);
    if (pf->extension_name && *pf->extension_name && !f->extension_name)
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (rc == 0)
      rc = kv_from_pb(&f->metadata, &f->n_metadata, (void *const *)pf->metadata, pf->n_metadata, err);
    if (rc == 0 && !f->extension_name) {
      for (size_t k = 0; k < f->n_metadata; k++) {
        if (!strcmp(f->metadata[k].key, "ARROW:extension:name") && f->metadata[k].value_len) {
          f->extension_name = lc_strdup((const char *)f->metadata[k].value);
          if (!f->extension_name) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
      }
    }
    if (rc == 0) {
      if (!pf->logical_type)
        rc = lc_err(err, LANCEC_ECORRUPT, "schema field '%s' (id %d) has no logical type", name, id);
      else
        rc = lc_logical_type_parse(f, pf->logical_type, err);
      if (rc) lc_err_prefix(err, "field '%s': ", name);
    }
    if (rc == 0 && parent && parent->type == LC_T_FIXED_LIST && parent->n_children == 1) {
      /* a real child entry replaces the synthesised item */
      lc_field_free(parent->children[0]);
      parent->n_children = 0;
    }
    if (rc == 0) {
      if (parent) {
        if (add_child(parent, f)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      } else {
        s->fields[s->n_fields++] = f;
      }
    }
    if (rc) {
      lc_field_free(f);
      break;
    }
    if (!blob_child) {
      id_map_put(&map, f);
      if (f->type == LC_T_STRUCT) {
        for (size_t k = 0; k < f->n_metadata; k++)
          if (!strcmp(f->metadata[k].key, "lance-encoding:blob") &&
              !strcasecmp((const char *)f->metadata[k].value, "true"))
            blob_parent = f;
      }
    }
  }
  lc_free(map.slots);
  for (size_t i = 0; rc == 0 && i < s->n_fields; i++) rc = validate_field(s->fields[i], 0, err);
  if (rc) {
    lc_schema_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* ---- lookup ----------------------------------------------------------------------- */

static const lc_field *find_id(const lc_field *f, int32_t id, int depth) {
  if (f->id == id) return f;
  if (depth > 128) return NULL;
  for (size_t i = 0; i < f->n_children; i++) {
    const lc_field *r = find_id(f->children[i], id, depth + 1);
    if (r) return r;
  }
  return NULL;
}

const lc_field *lc_schema_find_id(const lc_schema *s, int32_t id) {
  if (!s || id < 0) return NULL;
  for (size_t i = 0; i < s->n_fields; i++) {
    const lc_field *r = find_id(s->fields[i], id, 0);
    if (r) return r;
  }
  return NULL;
}

const lc_field *lc_schema_find_name(const lc_schema *s, const char *name) {
  if (!s || !name) return NULL;
  for (size_t i = 0; i < s->n_fields; i++)
    if (!strcmp(s->fields[i]->name, name)) return s->fields[i];
  return NULL;
}

/* ---- projection --------------------------------------------------------------------- */

/* Resolve `path` among `cands` (names may contain dots: an exact match of the
 * remaining path wins, else any candidate whose name is a dot-terminated
 * prefix is entered if it is a struct). Fills chain[0..*depth). */
static bool resolve_path(lc_field *const *cands, size_t n, const char *path, const lc_field **chain,
                         size_t *depth, size_t max) {
  if (*depth >= max) return false;
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(cands[i]->name, path)) {
      chain[(*depth)++] = cands[i];
      return true;
    }
  }
  size_t plen = strlen(path);
  for (size_t i = 0; i < n; i++) {
    const lc_field *c = cands[i];
    size_t nl = strlen(c->name);
    if (c->type != LC_T_STRUCT || nl >= plen || path[nl] != '.' || memcmp(c->name, path, nl) != 0)
      continue;
    size_t save = *depth;
    chain[(*depth)++] = c;
    if (resolve_path(c->children, c->n_children, path + nl + 1, chain, depth, max)) return true;
    *depth = save;
  }
  return false;
}

typedef struct proj_node {
  const lc_field *src;
  lc_field *out;
  bool full;
} proj_node;

int lc_schema_project(lc_schema **out, const lc_schema *s, const char *const *paths, size_t n_paths,
                      lancec_error *err) {
  if (!out || !s) return lc_err(err, LANCEC_EINVAL, "lc_schema_project: NULL argument");
  *out = NULL;
  if (n_paths && !paths) return lc_err(err, LANCEC_EINVAL, "lc_schema_project: NULL paths");
  lc_schema *r = lc_calloc(1, sizeof(*r));
  if (!r) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  int rc = kv_copy(&r->metadata, s->metadata, s->n_metadata);
  if (rc) {
    lc_free(r);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  r->n_metadata = s->n_metadata;
  proj_node *nodes = NULL;
  size_t n_nodes = 0, cap_nodes = 0;
  enum { MAXD = 64 };
  const lc_field *chain[MAXD];
  for (size_t p = 0; rc == 0 && p < n_paths; p++) {
    const char *path = paths[p] ? paths[p] : "";
    size_t depth = 0;
    if (!resolve_path(s->fields, s->n_fields, path, chain, &depth, MAXD)) {
      rc = lc_err(err, LANCEC_ENOTFOUND, "column '%s' not found in the schema", path);
      break;
    }
    lc_field *parent_out = NULL;
    for (size_t d = 0; rc == 0 && d < depth; d++) {
      proj_node *pn = NULL;
      for (size_t k = 0; k < n_nodes; k++)
        if (nodes[k].src == chain[d]) {
          pn = &nodes[k];
          break;
        }
      bool last = d + 1 == depth;
      if (pn) {
        if (pn->full) break;
        if (last) {
          /* upgrade a partial node to the whole subtree */
          lc_field *o = pn->out;
          for (size_t k = 0; k < o->n_children; k++) lc_field_free(o->children[k]);
          lc_free(o->children);
          o->children = NULL;
          o->n_children = 0;
          for (size_t k = 0; k < chain[d]->n_children; k++) {
            lc_field *ch = lc_field_clone(chain[d]->children[k]);
            if (!ch || add_child(o, ch)) {
              lc_field_free(ch);
              rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
              break;
            }
          }
          pn->full = true;
          break;
        }
        parent_out = pn->out;
        continue;
      }
      lc_field *o = last ? lc_field_clone(chain[d]) : field_clone_shallow(chain[d]);
      if (!o) {
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
      if (parent_out) {
        if (add_child(parent_out, o)) {
          lc_field_free(o);
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
      } else {
        lc_field **nf = lc_realloc(r->fields, (r->n_fields + 1) * sizeof(*nf));
        if (!nf) {
          lc_field_free(o);
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        r->fields = nf;
        nf[r->n_fields++] = o;
      }
      if (n_nodes == cap_nodes) {
        size_t nc = cap_nodes ? cap_nodes * 2 : 16;
        proj_node *nn = lc_realloc(nodes, nc * sizeof(*nn));
        if (!nn) {
          rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
          break;
        }
        nodes = nn;
        cap_nodes = nc;
      }
      nodes[n_nodes++] = (proj_node){chain[d], o, last};
      parent_out = o;
      if (last) break;
    }
  }
  lc_free(nodes);
  if (rc) {
    lc_schema_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* ---- type helpers --------------------------------------------------------------------- */

int lc_type_bit_width(const lc_field *f) {
  if (!f) return 0;
  switch (f->type) {
    case LC_T_BOOL: return 1;
    case LC_T_INT8:
    case LC_T_UINT8: return 8;
    case LC_T_INT16:
    case LC_T_UINT16:
    case LC_T_HALF: return 16;
    case LC_T_INT32:
    case LC_T_UINT32:
    case LC_T_FLOAT:
    case LC_T_DATE32:
    case LC_T_TIME32: return 32;
    case LC_T_INT64:
    case LC_T_UINT64:
    case LC_T_DOUBLE:
    case LC_T_DATE64:
    case LC_T_TIME64:
    case LC_T_TIMESTAMP:
    case LC_T_DURATION: return 64;
    case LC_T_DECIMAL128: return 128;
    case LC_T_DECIMAL256: return 256;
    case LC_T_FIXED_BINARY:
      return f->width > 0 && f->width <= INT32_MAX / 8 ? f->width * 8 : 0;
    case LC_T_FIXED_LIST: {
      if (f->n_children != 1 || f->width <= 0) return 0;
      int w = lc_type_bit_width(f->children[0]);
      if (w <= 0 || w > INT32_MAX / f->width) return 0;
      return w * f->width;
    }
    default: return 0;
  }
}

bool lc_type_is_fixed_width(const lc_field *f) { return lc_type_bit_width(f) > 0; }

bool lc_type_is_binary_like(lc_type_id t) {
  return t == LC_T_STRING || t == LC_T_LARGE_STRING || t == LC_T_BINARY || t == LC_T_LARGE_BINARY;
}

const char *lc_type_name(lc_type_id t) {
  static const char *const names[LC_T__COUNT] = {
      [LC_T_NULL] = "null",
      [LC_T_BOOL] = "bool",
      [LC_T_INT8] = "int8",
      [LC_T_UINT8] = "uint8",
      [LC_T_INT16] = "int16",
      [LC_T_UINT16] = "uint16",
      [LC_T_INT32] = "int32",
      [LC_T_UINT32] = "uint32",
      [LC_T_INT64] = "int64",
      [LC_T_UINT64] = "uint64",
      [LC_T_HALF] = "halffloat",
      [LC_T_FLOAT] = "float",
      [LC_T_DOUBLE] = "double",
      [LC_T_STRING] = "string",
      [LC_T_LARGE_STRING] = "large_string",
      [LC_T_BINARY] = "binary",
      [LC_T_LARGE_BINARY] = "large_binary",
      [LC_T_FIXED_BINARY] = "fixed_size_binary",
      [LC_T_DATE32] = "date32",
      [LC_T_DATE64] = "date64",
      [LC_T_TIME32] = "time32",
      [LC_T_TIME64] = "time64",
      [LC_T_TIMESTAMP] = "timestamp",
      [LC_T_DURATION] = "duration",
      [LC_T_DECIMAL128] = "decimal128",
      [LC_T_DECIMAL256] = "decimal256",
      [LC_T_DICT] = "dictionary",
      [LC_T_STRUCT] = "struct",
      [LC_T_LIST] = "list",
      [LC_T_LARGE_LIST] = "large_list",
      [LC_T_FIXED_LIST] = "fixed_size_list",
      [LC_T_MAP] = "map",
  };
  if ((int)t < 0 || t >= LC_T__COUNT || !names[t]) return "unknown";
  return names[t];
}

static const char *unit_name(lc_time_unit u) {
  switch (u) {
    case LC_UNIT_S: return "s";
    case LC_UNIT_MS: return "ms";
    case LC_UNIT_US: return "us";
    default: return "ns";
  }
}

typedef struct sbuf {
  char *p;
  size_t cap, len;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...) {
  if (b->cap == 0) return;
  size_t room = b->len < b->cap ? b->cap - b->len : 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) b->len += (size_t)n;
  if (b->len >= b->cap) b->p[b->cap - 1] = 0;
}

static void type_string(const lc_field *f, sbuf *b, int depth) {
  if (depth > 32) {
    sb_add(b, "...");
    return;
  }
  switch (f->type) {
    case LC_T_FIXED_BINARY: sb_add(b, "fixed_size_binary[%d]", f->width); break;
    case LC_T_TIME32:
    case LC_T_TIME64:
    case LC_T_DURATION: sb_add(b, "%s[%s]", lc_type_name(f->type), unit_name(f->unit)); break;
    case LC_T_TIMESTAMP:
      if (f->tz) sb_add(b, "timestamp[%s, tz=%s]", unit_name(f->unit), f->tz);
      else sb_add(b, "timestamp[%s]", unit_name(f->unit));
      break;
    case LC_T_DECIMAL128:
    case LC_T_DECIMAL256:
      sb_add(b, "%s(%d, %d)", lc_type_name(f->type), f->precision, f->scale);
      break;
    case LC_T_DICT:
      sb_add(b, "dictionary<values=");
      if (f->dict_value) type_string(f->dict_value, b, depth + 1);
      sb_add(b, ", indices=%s>", lc_type_name(f->dict_key));
      break;
    case LC_T_STRUCT:
      sb_add(b, "struct<");
      for (size_t i = 0; i < f->n_children; i++) {
        sb_add(b, "%s%s: ", i ? ", " : "", f->children[i]->name);
        type_string(f->children[i], b, depth + 1);
      }
      sb_add(b, ">");
      break;
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_FIXED_LIST:
      sb_add(b, "%s<", lc_type_name(f->type));
      if (f->n_children) type_string(f->children[0], b, depth + 1);
      sb_add(b, ">");
      if (f->type == LC_T_FIXED_LIST) sb_add(b, "[%d]", f->width);
      break;
    case LC_T_MAP:
      sb_add(b, "map<");
      if (f->n_children && f->children[0]->n_children == 2) {
        type_string(f->children[0]->children[0], b, depth + 1);
        sb_add(b, ", ");
        type_string(f->children[0]->children[1], b, depth + 1);
      }
      sb_add(b, ">");
      break;
    default: sb_add(b, "%s", lc_type_name(f->type)); break;
  }
  if (f->extension_name && depth == 0) sb_add(b, " (extension %s)", f->extension_name);
}

const char *lc_field_type_string(const lc_field *f, char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = 0;
  if (!f) return buf;
  sbuf b = {buf, cap, 0};
  type_string(f, &b, 0);
  return buf;
}

const char *lc_field_format(const lc_field *f, char *buf, size_t cap) {
  if (!buf || cap == 0) return buf;
  buf[0] = 0;
  if (!f) return buf;
  sbuf b = {buf, cap, 0};
  static const char ts_unit[] = {'s', 'm', 'u', 'n'};
  switch (f->type) {
    case LC_T_NULL: sb_add(&b, "n"); break;
    case LC_T_BOOL: sb_add(&b, "b"); break;
    case LC_T_INT8: sb_add(&b, "c"); break;
    case LC_T_UINT8: sb_add(&b, "C"); break;
    case LC_T_INT16: sb_add(&b, "s"); break;
    case LC_T_UINT16: sb_add(&b, "S"); break;
    case LC_T_INT32: sb_add(&b, "i"); break;
    case LC_T_UINT32: sb_add(&b, "I"); break;
    case LC_T_INT64: sb_add(&b, "l"); break;
    case LC_T_UINT64: sb_add(&b, "L"); break;
    case LC_T_HALF: sb_add(&b, "e"); break;
    case LC_T_FLOAT: sb_add(&b, "f"); break;
    case LC_T_DOUBLE: sb_add(&b, "g"); break;
    case LC_T_STRING: sb_add(&b, "u"); break;
    case LC_T_LARGE_STRING: sb_add(&b, "U"); break;
    case LC_T_BINARY: sb_add(&b, "z"); break;
    case LC_T_LARGE_BINARY: sb_add(&b, "Z"); break;
    case LC_T_FIXED_BINARY: sb_add(&b, "w:%d", f->width); break;
    case LC_T_DATE32: sb_add(&b, "tdD"); break;
    case LC_T_DATE64: sb_add(&b, "tdm"); break;
    case LC_T_TIME32: sb_add(&b, "tt%c", f->unit == LC_UNIT_MS ? 'm' : 's'); break;
    case LC_T_TIME64: sb_add(&b, "tt%c", f->unit == LC_UNIT_NS ? 'n' : 'u'); break;
    case LC_T_TIMESTAMP: sb_add(&b, "ts%c:%s", ts_unit[f->unit & 3], f->tz ? f->tz : ""); break;
    case LC_T_DURATION: sb_add(&b, "tD%c", ts_unit[f->unit & 3]); break;
    case LC_T_DECIMAL128: sb_add(&b, "d:%d,%d", f->precision, f->scale); break;
    case LC_T_DECIMAL256: sb_add(&b, "d:%d,%d,256", f->precision, f->scale); break;
    case LC_T_DICT: {
      lc_field k = {0};
      k.type = f->dict_key;
      return lc_field_format(&k, buf, cap);
    }
    case LC_T_STRUCT: sb_add(&b, "+s"); break;
    case LC_T_LIST: sb_add(&b, "+l"); break;
    case LC_T_LARGE_LIST: sb_add(&b, "+L"); break;
    case LC_T_FIXED_LIST: sb_add(&b, "+w:%d", f->width); break;
    case LC_T_MAP: sb_add(&b, "+m"); break;
    default: break;
  }
  return buf;
}
