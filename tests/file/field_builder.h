/* Test helper: build a table schema as Lance protobuf Fields (pre-order,
 * parent ids), as the writer tests feed it to lc_schema_from_pb. Header-only,
 * for tests/file/test_writer*.c. */
#ifndef LC_TEST_FIELD_BUILDER_H
#define LC_TEST_FIELD_BUILDER_H

#include <string.h>

#include "lance_file.pb-c.h"

typedef struct pbs {
  Lance__File__Field f[64];
  void *ptrs[64];
  size_t n;
  Lance__File__Field__MetadataEntry md[8];
  Lance__File__Field__MetadataEntry *mdp[8];
  size_t nmd;
} pbs;

/* One metadata entry on the field added last. */
static inline void add_md(pbs *p, const char *k, const char *v) {
  Lance__File__Field *f = &p->f[p->n - 1];
  Lance__File__Field__MetadataEntry *e = &p->md[p->nmd];
  lance__file__field__metadata_entry__init(e);
  e->key = (char *)k;
  e->has_value = 1;
  e->value.data = (uint8_t *)v;
  e->value.len = strlen(v);
  p->mdp[p->nmd++] = e;
  f->n_metadata = 1;
  f->metadata = &p->mdp[p->nmd - 1];
}

static inline void add(pbs *p, const char *name, int id, int parent, const char *lt, int nullable) {
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
  p->ptrs[p->n++] = f;
}

#endif
