/* lc_schema → Lance protobuf fields (table-format.md §5: pre-order
 * flattening, ids, parent ids, logical types, deprecated `encoding`), and
 * Arrow C schemas → lc_schema for the write path. */
#include <stdio.h>
#include <strings.h>

#include "arrow/ipc.h"
#include "table/table_write.h"

static const char *unit_s(lc_time_unit u) {
  switch (u) {
    case LC_UNIT_S:
      return "s";
    case LC_UNIT_MS:
      return "ms";
    case LC_UNIT_US:
      return "us";
    default:
      return "ns";
  }
}

/* Logical type into buf; returns false when it does not fit. */
static bool lt_into(const lc_field *f, char *buf, size_t cap, int depth) {
  int n = 0;
  if (depth > 64) return false;
  switch (f->type) {
    case LC_T_NULL:
      n = snprintf(buf, cap, "null");
      break;
    case LC_T_BOOL:
      n = snprintf(buf, cap, "bool");
      break;
    case LC_T_INT8:
      n = snprintf(buf, cap, "int8");
      break;
    case LC_T_UINT8:
      n = snprintf(buf, cap, "uint8");
      break;
    case LC_T_INT16:
      n = snprintf(buf, cap, "int16");
      break;
    case LC_T_UINT16:
      n = snprintf(buf, cap, "uint16");
      break;
    case LC_T_INT32:
      n = snprintf(buf, cap, "int32");
      break;
    case LC_T_UINT32:
      n = snprintf(buf, cap, "uint32");
      break;
    case LC_T_INT64:
      n = snprintf(buf, cap, "int64");
      break;
    case LC_T_UINT64:
      n = snprintf(buf, cap, "uint64");
      break;
    case LC_T_HALF:
      n = snprintf(buf, cap, "halffloat");
      break;
    case LC_T_FLOAT:
      n = snprintf(buf, cap, "float");
      break;
    case LC_T_DOUBLE:
      n = snprintf(buf, cap, "double");
      break;
    case LC_T_STRING:
      n = snprintf(buf, cap, "string");
      break;
    case LC_T_LARGE_STRING:
      n = snprintf(buf, cap, "large_string");
      break;
    case LC_T_BINARY:
      n = snprintf(buf, cap, "binary");
      break;
    case LC_T_LARGE_BINARY:
      n = snprintf(buf, cap, "large_binary");
      break;
    case LC_T_FIXED_BINARY:
      n = snprintf(buf, cap, "fixed_size_binary:%d", f->width);
      break;
    case LC_T_DATE32:
      n = snprintf(buf, cap, "date32:day");
      break;
    case LC_T_DATE64:
      n = snprintf(buf, cap, "date64:ms");
      break;
    case LC_T_TIME32:
      n = snprintf(buf, cap, "time32:%s", unit_s(f->unit));
      break;
    case LC_T_TIME64:
      n = snprintf(buf, cap, "time64:%s", unit_s(f->unit));
      break;
    case LC_T_TIMESTAMP:
      n = snprintf(buf, cap, "timestamp:%s:%s", unit_s(f->unit), f->tz && *f->tz ? f->tz : "-");
      break;
    case LC_T_DURATION:
      n = snprintf(buf, cap, "duration:%s", unit_s(f->unit));
      break;
    case LC_T_DECIMAL128:
      n = snprintf(buf, cap, "decimal:128:%d:%d", f->precision, f->scale);
      break;
    case LC_T_DECIMAL256:
      n = snprintf(buf, cap, "decimal:256:%d:%d", f->precision, f->scale);
      break;
    case LC_T_DICT: {
      if (!f->dict_value) return false;
      char v[256];
      if (!lt_into(f->dict_value, v, sizeof(v), depth + 1)) return false;
      lc_field k = {0};
      k.type = f->dict_key;
      char ks[32];
      if (!lt_into(&k, ks, sizeof(ks), depth + 1)) return false;
      n = snprintf(buf, cap, "dict:%s:%s:false", v, ks);
      break;
    }
    case LC_T_STRUCT:
      n = snprintf(buf, cap, "struct");
      break;
    case LC_T_LIST:
    case LC_T_LARGE_LIST: {
      bool st = f->n_children == 1 && f->children[0]->type == LC_T_STRUCT;
      n = snprintf(buf, cap, "%s%s", f->type == LC_T_LIST ? "list" : "large_list", st ? ".struct" : "");
      break;
    }
    case LC_T_FIXED_LIST: {
      if (f->n_children != 1) return false;
      const lc_field *item = f->children[0];
      char v[256];
      if (item->extension_name && !strcmp(item->extension_name, "lance.bfloat16")) {
        snprintf(v, sizeof(v), "lance.bfloat16");
      } else if (!lt_into(item, v, sizeof(v), depth + 1)) {
        return false;
      }
      n = snprintf(buf, cap, "fixed_size_list:%s:%d", v, f->width);
      break;
    }
    case LC_T_MAP:
      n = snprintf(buf, cap, "map");
      break;
    default:
      return false;
  }
  return n > 0 && (size_t)n < cap;
}

const char *lc_field_logical_type(const lc_field *f, char *buf, size_t cap) {
  if (!lt_into(f, buf, cap, 0)) {
    if (cap) buf[0] = 0;
  }
  return buf;
}

/* Does this field have Lance child entries (§5.1)? */
static bool has_child_entries(const lc_field *f) {
  switch (f->type) {
    case LC_T_STRUCT:
    case LC_T_LIST:
    case LC_T_LARGE_LIST:
    case LC_T_MAP:
      return true;
    case LC_T_FIXED_LIST:
      return f->n_children == 1 && f->children[0]->type == LC_T_STRUCT;
    default:
      return false;
  }
}

static void assign(lc_field *f, int32_t *next) {
  f->id = (*next)++;
  if (!has_child_entries(f)) return;
  for (size_t i = 0; i < f->n_children; i++) {
    f->children[i]->parent_id = f->id;
    assign(f->children[i], next);
  }
}

void lc_schema_assign_ids(lc_schema *s, int32_t *next) {
  for (size_t i = 0; i < s->n_fields; i++) {
    s->fields[i]->parent_id = -1;
    assign(s->fields[i], next);
  }
}

static int encoding_of(const lc_field *f) {
  switch (f->type) {
    case LC_T_NULL:
    case LC_T_STRUCT:
      return 0;
    case LC_T_STRING:
    case LC_T_LARGE_STRING:
    case LC_T_BINARY:
    case LC_T_LARGE_BINARY:
      return 2;
    case LC_T_DICT:
      return 3;
    default:
      return 1;
  }
}

typedef struct pb_list {
  Lance__File__Field **v;
  size_t n, cap;
} pb_list;

static int emit(const lc_field *f, int32_t parent, lc_arena *a, pb_list *l, lancec_error *err, int depth) {
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': schema nested too deeply", f->name);
  if (f->id < 0) return lc_err(err, LANCEC_EINTERNAL, "field '%s' has no field id", f->name);
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 16;
    Lance__File__Field **nv = lc_arena_alloc(a, nc * sizeof(*nv));
    if (!nv) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    if (l->n) memcpy(nv, l->v, l->n * sizeof(*nv));
    l->v = nv;
    l->cap = nc;
  }
  Lance__File__Field *p = lc_arena_alloc(a, sizeof(*p));
  if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  lance__file__field__init(p);
  l->v[l->n++] = p;
  p->name = lc_arena_strdup(a, f->name ? f->name : "");
  p->has_id = f->id != 0;
  p->id = f->id;
  p->has_parent_id = true;
  p->parent_id = parent;
  char lt[512];
  if (f->logical_type && *f->logical_type)
    snprintf(lt, sizeof(lt), "%s", f->logical_type);
  else if (!*lc_field_logical_type(f, lt, sizeof(lt)))
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %s cannot be stored in Lance", f->name,
                  lc_type_name(f->type));
  p->logical_type = lc_arena_strdup(a, lt);
  p->has_nullable = f->nullable;
  p->nullable = f->nullable;
  int enc = encoding_of(f);
  p->has_encoding = enc != 0;
  p->encoding = enc;
  if (f->extension_name && *f->extension_name) p->extension_name = lc_arena_strdup(a, f->extension_name);
  if (f->n_metadata) {
    p->metadata = lc_arena_alloc(a, f->n_metadata * sizeof(*p->metadata));
    if (!p->metadata) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->n_metadata; i++) {
      Lance__File__Field__MetadataEntry *e = lc_arena_alloc(a, sizeof(*e));
      if (!e) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      lance__file__field__metadata_entry__init(e);
      e->key = lc_arena_strdup(a, f->metadata[i].key);
      e->has_value = f->metadata[i].value_len != 0;
      e->value.len = f->metadata[i].value_len;
      e->value.data = lc_arena_memdup(a, f->metadata[i].value, f->metadata[i].value_len);
      p->metadata[p->n_metadata++] = e;
      if (!strcmp(f->metadata[i].key, "lance-schema:unenforced-primary-key")) {
        const char *v = (const char *)f->metadata[i].value;
        if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
          p->has_unenforced_primary_key = true;
          p->unenforced_primary_key = true;
        }
      }
    }
  }
  if (a->oom) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (has_child_entries(f))
    for (size_t i = 0; i < f->n_children; i++) LC_TRY(emit(f->children[i], f->id, a, l, err, depth + 1));
  return 0;
}

int lc_schema_to_pb(const lc_schema *s, lc_arena *a, Lance__File__Field ***out, size_t *n,
                    lancec_error *err) {
  pb_list l = {0};
  for (size_t i = 0; i < s->n_fields; i++) LC_TRY(emit(s->fields[i], -1, a, &l, err, 0));
  *out = l.v;
  *n = l.n;
  return 0;
}

int lc_schema_metadata_to_pb(const lc_schema *s, lc_arena *a,
                             Lance__Table__Manifest__SchemaMetadataEntry ***out, size_t *n,
                             lancec_error *err) {
  *out = NULL;
  *n = 0;
  if (!s->n_metadata) return 0;
  Lance__Table__Manifest__SchemaMetadataEntry **v = lc_arena_alloc(a, s->n_metadata * sizeof(*v));
  if (!v) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->n_metadata; i++) {
    Lance__Table__Manifest__SchemaMetadataEntry *e = lc_arena_alloc(a, sizeof(*e));
    if (!e) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    lance__table__manifest__schema_metadata_entry__init(e);
    e->key = lc_arena_strdup(a, s->metadata[i].key);
    e->has_value = s->metadata[i].value_len != 0;
    e->value.len = s->metadata[i].value_len;
    e->value.data = lc_arena_memdup(a, s->metadata[i].value, s->metadata[i].value_len);
    v[i] = e;
  }
  if (a->oom) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  *out = v;
  *n = s->n_metadata;
  return 0;
}

static int check_storable(const lc_field *f, lancec_error *err, int depth) {
  char lt[512];
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': nested too deeply", f->name);
  if (!*lc_field_logical_type(f, lt, sizeof(lt)))
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %s cannot be stored in Lance", f->name,
                  lc_type_name(f->type));
  if (f->type == LC_T_TIMESTAMP && f->tz && strchr(f->tz, ':'))
    return lc_err(err, LANCEC_EUNSUPPORTED,
                  "field '%s': timestamp zone '%s' contains ':' which Lance cannot read back", f->name,
                  f->tz);
  if (f->type == LC_T_FIXED_LIST && f->n_children == 1 &&
      (f->children[0]->type == LC_T_LIST || f->children[0]->type == LC_T_LARGE_LIST))
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': fixed_size_list of list cannot be stored in Lance",
                  f->name);
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(check_storable(f->children[i], err, depth + 1));
  return 0;
}

/* Set logical_type on every field of the tree (as a schema read from a
 * manifest has it), so consumers of lc_field see one shape. */
static int fill_logical_types(lc_field *f, int depth) {
  if (depth > 64) return LANCEC_EUNSUPPORTED;
  if (!f->logical_type) {
    char lt[512];
    if (*lc_field_logical_type(f, lt, sizeof(lt))) {
      f->logical_type = lc_strdup(lt);
      if (!f->logical_type) return LANCEC_ENOMEM;
    }
  }
  if (f->dict_value) LC_TRY(fill_logical_types(f->dict_value, depth + 1));
  for (size_t i = 0; i < f->n_children; i++) LC_TRY(fill_logical_types(f->children[i], depth + 1));
  return 0;
}

int lc_schema_from_arrow(lc_schema **out, const struct ArrowSchema *s, lancec_error *err) {
  *out = NULL;
  if (!s || !s->format || strcmp(s->format, "+s") != 0)
    return lc_err(err, LANCEC_EINVAL, "the input schema must be a struct (\"+s\") with one child per column");
  lc_field *root = NULL;
  LC_TRY(lc_ipc_field_from_arrow(&root, s, err));
  lc_schema *sc = lc_calloc(1, sizeof(*sc));
  int rc = sc ? 0 : lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (rc == 0 && root->n_children) {
    sc->fields = lc_calloc(root->n_children, sizeof(*sc->fields));
    if (!sc->fields) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; rc == 0 && i < root->n_children; i++) {
    lc_field *c = lc_field_clone(root->children[i]);
    if (!c) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      break;
    }
    c->parent = NULL;
    sc->fields[sc->n_fields++] = c;
    rc = check_storable(c, err, 0);
    if (rc == 0 && fill_logical_types(c, 0)) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; rc == 0 && i < sc->n_fields; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(sc->fields[i]->name, sc->fields[j]->name)) {
        rc = lc_err(err, LANCEC_EINVAL, "column name '%s' appears twice", sc->fields[i]->name);
        break;
      }
  if (rc == 0 && root->n_metadata) {
    sc->metadata = lc_calloc(root->n_metadata, sizeof(lc_kv));
    if (!sc->metadata) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < root->n_metadata; i++) {
      sc->metadata[i].key = lc_strdup(root->metadata[i].key);
      sc->metadata[i].value = lc_malloc(root->metadata[i].value_len + 1);
      if (!sc->metadata[i].key || !sc->metadata[i].value) {
        lc_free(sc->metadata[i].key);
        lc_free(sc->metadata[i].value);
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        break;
      }
      memcpy(sc->metadata[i].value, root->metadata[i].value, root->metadata[i].value_len);
      sc->metadata[i].value[root->metadata[i].value_len] = 0;
      sc->metadata[i].value_len = root->metadata[i].value_len;
      sc->n_metadata++;
    }
  }
  lc_ipc_field_free(root);
  if (rc) {
    lc_schema_free(sc);
    return rc;
  }
  *out = sc;
  return 0;
}
