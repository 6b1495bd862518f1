/* Owned Arrow arrays: allocation, release, move. */
#include "arrow/arrow.h"

typedef struct lc_array_private {
  void **buffers;       /* owned buffer pointers (also exposed as buffers) */
  int64_t n_buffers;
  struct ArrowArray **children;
  int64_t n_children;
  struct ArrowArray *dictionary;
} lc_array_private;

static void lc_array_release_cb(struct ArrowArray *a) {
  if (!a || !a->release) return;
  lc_array_private *p = a->private_data;
  if (p) {
    for (int64_t i = 0; i < p->n_buffers; i++) lc_free(p->buffers[i]);
    lc_free(p->buffers);
    for (int64_t i = 0; i < p->n_children; i++) {
      if (p->children[i]) {
        if (p->children[i]->release) p->children[i]->release(p->children[i]);
        lc_free(p->children[i]);
      }
    }
    lc_free(p->children);
    if (p->dictionary) {
      if (p->dictionary->release) p->dictionary->release(p->dictionary);
      lc_free(p->dictionary);
    }
    lc_free(p);
  }
  a->release = NULL;
  a->private_data = NULL;
}

int lc_array_init(struct ArrowArray *a, int64_t n_buffers, int64_t n_children) {
  memset(a, 0, sizeof(*a));
  lc_array_private *p = lc_calloc(1, sizeof(*p));
  if (!p) return LANCEC_ENOMEM;
  p->n_buffers = n_buffers;
  p->n_children = n_children;
  p->buffers = lc_calloc((size_t)(n_buffers ? n_buffers : 1), sizeof(void *));
  p->children = lc_calloc((size_t)(n_children ? n_children : 1), sizeof(struct ArrowArray *));
  if (!p->buffers || !p->children) goto oom;
  for (int64_t i = 0; i < n_children; i++) {
    p->children[i] = lc_calloc(1, sizeof(struct ArrowArray));
    if (!p->children[i]) goto oom;
  }
  a->n_buffers = n_buffers;
  a->n_children = n_children;
  a->buffers = (const void **)p->buffers;
  a->children = n_children ? p->children : NULL;
  a->release = lc_array_release_cb;
  a->private_data = p;
  return 0;
oom:
  if (p->children)
    for (int64_t i = 0; i < n_children; i++) lc_free(p->children[i]);
  lc_free(p->children);
  lc_free(p->buffers);
  lc_free(p);
  return LANCEC_ENOMEM;
}

void lc_array_set_buffer(struct ArrowArray *a, int64_t i, void *buf) {
  lc_array_private *p = a->private_data;
  lc_free(p->buffers[i]);
  p->buffers[i] = buf;
}

int lc_array_set_dictionary(struct ArrowArray *a, struct ArrowArray *dict) {
  lc_array_private *p = a->private_data;
  struct ArrowArray *d = lc_calloc(1, sizeof(*d));
  if (!d) return LANCEC_ENOMEM;
  lc_array_move(dict, d);
  if (p->dictionary) {
    if (p->dictionary->release) p->dictionary->release(p->dictionary);
    lc_free(p->dictionary);
  }
  p->dictionary = d;
  a->dictionary = d;
  return 0;
}

void lc_array_release(struct ArrowArray *a) {
  if (a && a->release) a->release(a);
  if (a) memset(a, 0, sizeof(*a));
}

void lc_array_move(struct ArrowArray *src, struct ArrowArray *dst) {
  memcpy(dst, src, sizeof(*dst));
  memset(src, 0, sizeof(*src));
}

int lc_array_make_batch(struct ArrowArray *cols, size_t n_cols, int64_t length, struct ArrowArray *out,
                        lancec_error *err) {
  int rc = lc_array_init(out, 1, (int64_t)n_cols);
  if (rc) {
    for (size_t i = 0; i < n_cols; i++) lc_array_release(&cols[i]);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  out->length = length;
  for (size_t i = 0; i < n_cols; i++) lc_array_move(&cols[i], out->children[i]);
  return 0;
}
