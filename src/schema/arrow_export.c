/* Arrow C Data Interface export of lancec schemas. Every ArrowSchema made
 * here owns its strings, children and dictionary through private_data; its
 * release callback frees all of it (children / dictionary are released
 * through their own callbacks, as the spec requires). */
#include <stdio.h>

#include "schema/schema.h"

typedef struct export_priv {
  char *format;
  char *name;
  char *metadata;
  struct ArrowSchema **children;
  int64_t n_children;
  struct ArrowSchema *dictionary;
} export_priv;

static void export_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  export_priv *p = s->private_data;
  if (p) {
    for (int64_t i = 0; i < p->n_children; i++) {
      struct ArrowSchema *c = p->children[i];
      if (c) {
        if (c->release) c->release(c);
        lc_free(c);
      }
    }
    lc_free(p->children);
    if (p->dictionary) {
      if (p->dictionary->release) p->dictionary->release(p->dictionary);
      lc_free(p->dictionary);
    }
    lc_free(p->format);
    lc_free(p->name);
    lc_free(p->metadata);
    lc_free(p);
  }
  s->release = NULL;
  s->private_data = NULL;
}

/* Encode key/value pairs in the Arrow C metadata format; *out NULL when
 * there is nothing to encode. */
static int encode_metadata(const lc_kv *kv, size_t n, const char *ext_name, char **out) {
  *out = NULL;
  bool add_ext = ext_name && *ext_name;
  for (size_t i = 0; add_ext && i < n; i++)
    if (!strcmp(kv[i].key, "ARROW:extension:name")) add_ext = false;
  size_t count = n + (add_ext ? 1 : 0);
  if (count == 0) return 0;
  if (count > INT32_MAX) return LANCEC_EINVAL;
  lc_buf b = {0};
  uint8_t tmp[4];
  lc_st32(tmp, (uint32_t)count);
  int rc = lc_buf_append(&b, tmp, 4);
  for (size_t i = 0; rc == 0 && i < count; i++) {
    const char *k = i < n ? kv[i].key : "ARROW:extension:name";
    const void *v = i < n ? (const void *)kv[i].value : (const void *)ext_name;
    size_t kl = strlen(k), vl = i < n ? kv[i].value_len : strlen(ext_name);
    if (kl > INT32_MAX || vl > INT32_MAX) {
      rc = LANCEC_EINVAL;
      break;
    }
    lc_st32(tmp, (uint32_t)kl);
    rc = lc_buf_append(&b, tmp, 4);
    if (rc == 0) rc = lc_buf_append(&b, k, kl);
    lc_st32(tmp, (uint32_t)vl);
    if (rc == 0) rc = lc_buf_append(&b, tmp, 4);
    if (rc == 0 && vl) rc = lc_buf_append(&b, v, vl);
  }
  if (rc) {
    lc_buf_free(&b);
    return rc;
  }
  size_t len;
  *out = (char *)lc_buf_steal(&b, &len);
  return 0;
}

static int alloc_schema(struct ArrowSchema *out, const char *format, const char *name, int64_t flags,
                        export_priv **pp, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  export_priv *p = lc_calloc(1, sizeof(*p));
  if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  p->format = lc_strdup(format);
  p->name = lc_strdup(name ? name : "");
  if (!p->format || !p->name) {
    lc_free(p->format);
    lc_free(p->name);
    lc_free(p);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  out->format = p->format;
  out->name = p->name;
  out->flags = flags;
  out->private_data = p;
  out->release = export_release;
  *pp = p;
  return 0;
}

static int alloc_children(struct ArrowSchema *out, export_priv *p, size_t n, lancec_error *err) {
  if (n == 0) return 0;
  p->children = lc_calloc(n, sizeof(*p->children));
  if (!p->children) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    p->children[i] = lc_calloc(1, sizeof(struct ArrowSchema));
    if (!p->children[i]) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    p->n_children++;
  }
  out->children = p->children;
  out->n_children = p->n_children;
  return 0;
}

/* force_non_null: map entries / keys must be non-nullable in Arrow. */
static int field_export(const lc_field *f, struct ArrowSchema *out, bool force_non_null, int depth,
                        lancec_error *err) {
  if (depth > 64) return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s' nested too deeply", f->name);
  char fmt[160];
  lc_field_format(f, fmt, sizeof(fmt));
  if (!fmt[0])
    return lc_err(err, LANCEC_EUNSUPPORTED, "field '%s': type %s has no Arrow format", f->name,
                  lc_type_name(f->type));
  int64_t flags = (f->nullable && !force_non_null) ? ARROW_FLAG_NULLABLE : 0;
  export_priv *p;
  LC_TRY(alloc_schema(out, fmt, f->name, flags, &p, err));
  int rc = encode_metadata(f->metadata, f->n_metadata, f->extension_name, &p->metadata);
  if (rc) {
    out->release(out);
    return lc_err(err, rc, "field '%s': cannot encode metadata", f->name);
  }
  out->metadata = p->metadata;
  rc = alloc_children(out, p, f->n_children, err);
  for (size_t i = 0; rc == 0 && i < f->n_children; i++) {
    bool nn = false;
    if (f->type == LC_T_MAP) nn = true;                                  /* entries */
    if (f->parent && f->parent->type == LC_T_MAP && i == 0) nn = true;   /* key */
    rc = field_export(f->children[i], p->children[i], nn, depth + 1, err);
  }
  if (rc == 0 && f->type == LC_T_DICT) {
    if (!f->dict_value) {
      rc = lc_err(err, LANCEC_EINTERNAL, "dictionary field '%s' has no value type", f->name);
    } else {
      p->dictionary = lc_calloc(1, sizeof(struct ArrowSchema));
      if (!p->dictionary) rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      else rc = field_export(f->dict_value, p->dictionary, false, depth + 1, err);
      if (rc == 0) out->dictionary = p->dictionary;
    }
  }
  if (rc) {
    out->release(out);
    return rc;
  }
  return 0;
}

int lc_field_to_arrow(const lc_field *f, struct ArrowSchema *out, lancec_error *err) {
  if (!f || !out) return lc_err(err, LANCEC_EINVAL, "lc_field_to_arrow: NULL argument");
  return field_export(f, out, false, 0, err);
}

int lc_schema_to_arrow(const lc_schema *s, struct ArrowSchema *out, lancec_error *err) {
  if (!s || !out) return lc_err(err, LANCEC_EINVAL, "lc_schema_to_arrow: NULL argument");
  export_priv *p;
  LC_TRY(alloc_schema(out, "+s", "", 0, &p, err));
  int rc = encode_metadata(s->metadata, s->n_metadata, NULL, &p->metadata);
  if (rc) {
    out->release(out);
    return lc_err(err, rc, "cannot encode schema metadata");
  }
  out->metadata = p->metadata;
  rc = alloc_children(out, p, s->n_fields, err);
  for (size_t i = 0; rc == 0 && i < s->n_fields; i++)
    rc = field_export(s->fields[i], p->children[i], false, 0, err);
  if (rc) {
    out->release(out);
    return rc;
  }
  return 0;
}
