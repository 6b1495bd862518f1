/* LRU cache: a hash table (chaining) over a doubly linked recency list. */
#include <pthread.h>

#include "common/cache.h"

typedef struct entry {
  char *key;
  uint64_t hash;
  void *v;
  uint64_t bytes;
  const lc_cache_value_ops *ops;
  struct entry *hnext;       /* bucket chain */
  struct entry *prev, *next; /* recency: head = most recent */
} entry;

struct lc_cache {
  pthread_mutex_t mu;
  uint64_t capacity, bytes;
  size_t max_entries;
  entry **buckets;
  size_t n_buckets, n_entries;
  entry *head, *tail;
  uint64_t hits, misses, evictions;
};

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

lc_cache *lc_cache_new(uint64_t capacity_bytes, size_t max_entries) {
  lc_cache *c = lc_calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->n_buckets = 256;
  c->buckets = lc_calloc(c->n_buckets, sizeof(entry *));
  if (!c->buckets) {
    lc_free(c);
    return NULL;
  }
  c->capacity = capacity_bytes;
  c->max_entries = max_entries;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

static void unlink_lru(lc_cache *c, entry *e) {
  if (e->prev) e->prev->next = e->next;
  else c->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void push_front(lc_cache *c, entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

static void remove_entry(lc_cache *c, entry *e) {
  entry **pp = &c->buckets[e->hash % c->n_buckets];
  while (*pp && *pp != e) pp = &(*pp)->hnext;
  if (*pp) *pp = e->hnext;
  unlink_lru(c, e);
  c->bytes -= e->bytes;
  c->n_entries--;
  e->ops->unref(e->v);
  lc_free(e->key);
  lc_free(e);
}

static entry *find(lc_cache *c, const char *key, uint64_t h) {
  for (entry *e = c->buckets[h % c->n_buckets]; e; e = e->hnext)
    if (e->hash == h && !strcmp(e->key, key)) return e;
  return NULL;
}

static void grow(lc_cache *c) {
  size_t nb = c->n_buckets * 2;
  entry **b = lc_calloc(nb, sizeof(entry *));
  if (!b) return; /* keep the old table: longer chains, still correct */
  for (size_t i = 0; i < c->n_buckets; i++) {
    entry *e = c->buckets[i];
    while (e) {
      entry *nx = e->hnext;
      e->hnext = b[e->hash % nb];
      b[e->hash % nb] = e;
      e = nx;
    }
  }
  lc_free(c->buckets);
  c->buckets = b;
  c->n_buckets = nb;
}

void lc_cache_free(lc_cache *c) {
  if (!c) return;
  while (c->head) remove_entry(c, c->head);
  lc_free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  lc_free(c);
}

void *lc_cache_get(lc_cache *c, const char *key) {
  if (!c || !key) return NULL;
  uint64_t h = hash_str(key);
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, key, h);
  void *v = NULL;
  if (e) {
    unlink_lru(c, e);
    push_front(c, e);
    e->ops->ref(e->v);
    v = e->v;
    c->hits++;
  } else {
    c->misses++;
  }
  pthread_mutex_unlock(&c->mu);
  return v;
}

void lc_cache_put(lc_cache *c, const char *key, void *v, uint64_t bytes, const lc_cache_value_ops *ops) {
  if (!c || !key || !v || bytes > c->capacity) return;
  entry *n = lc_calloc(1, sizeof(*n));
  char *k = lc_strdup(key);
  if (!n || !k) {
    lc_free(n);
    lc_free(k);
    return;
  }
  n->key = k;
  n->hash = hash_str(key);
  n->v = v;
  n->bytes = bytes;
  n->ops = ops;
  ops->ref(v);
  pthread_mutex_lock(&c->mu);
  entry *old = find(c, key, n->hash);
  if (old) remove_entry(c, old);
  while (c->tail && (c->bytes + bytes > c->capacity || (c->max_entries && c->n_entries >= c->max_entries))) {
    remove_entry(c, c->tail);
    c->evictions++;
  }
  if (c->n_entries >= c->n_buckets * 2) grow(c);
  n->hnext = c->buckets[n->hash % c->n_buckets];
  c->buckets[n->hash % c->n_buckets] = n;
  push_front(c, n);
  c->bytes += bytes;
  c->n_entries++;
  pthread_mutex_unlock(&c->mu);
}

void lc_cache_get_stats(lc_cache *c, lc_cache_stats *out) {
  memset(out, 0, sizeof(*out));
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  out->hits = c->hits;
  out->misses = c->misses;
  out->bytes = c->bytes;
  out->entries = c->n_entries;
  out->evictions = c->evictions;
  pthread_mutex_unlock(&c->mu);
}
