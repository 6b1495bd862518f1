/* A thread-safe LRU cache of reference-counted values keyed by strings,
 * bounded by a byte budget (each entry states its own size). Used by
 * sessions for manifests, file metadata and deletion vectors. */
#ifndef LC_CACHE_H
#define LC_CACHE_H

#include "common/common.h"

typedef struct lc_cache lc_cache;

typedef struct lc_cache_value_ops {
  void (*ref)(void *v);   /* take one more reference */
  void (*unref)(void *v); /* drop one */
} lc_cache_value_ops;

typedef struct lc_cache_stats {
  uint64_t hits, misses, bytes, entries, evictions;
} lc_cache_stats;

/* NULL on ENOMEM. capacity 0 = cache nothing. max_entries 0 = no limit on
 * the number of entries (a limit keeps e.g. open file descriptors bounded). */
LC_INTERNAL lc_cache *lc_cache_new(uint64_t capacity_bytes, size_t max_entries);
LC_INTERNAL void lc_cache_free(lc_cache *c);
/* The value under `key` with one reference taken for the caller, or NULL. */
LC_INTERNAL void *lc_cache_get(lc_cache *c, const char *key);
/* Insert `v` (the cache takes its own reference with ops->ref). An existing
 * entry for the key is replaced. Values larger than the capacity are not
 * kept. Least recently used entries are dropped to stay within budget. */
LC_INTERNAL void lc_cache_put(lc_cache *c, const char *key, void *v, uint64_t bytes, const lc_cache_value_ops *ops);
LC_INTERNAL void lc_cache_get_stats(lc_cache *c, lc_cache_stats *out);

#endif
