/* The index cache: refcounted immutable parts in an LRU list bounded by a
 * byte budget. One mutex guards the list; objects carry their own atomic
 * reference count so a part in use survives its eviction. */
#include <pthread.h>

#include "index/index_internal.h"

typedef struct entry {
  char *key;
  uint64_t hash;
  lc_icache_obj *obj;
  struct entry *prev, *next; /* LRU list, most recently used first */
  struct entry *chain;       /* hash bucket chain */
} entry;

struct lc_index_cache {
  pthread_mutex_t mu;
  uint64_t budget, bytes, entries;
  uint64_t hits, misses, evictions;
  entry *head, *tail;
  entry **buckets;
  size_t n_buckets; /* power of two (0 until the first insert) */
};

static uint64_t key_hash(const char *k) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *k; k++) h = (h ^ (uint8_t)*k) * 1099511628211ull;
  return h;
}

int lc_index_cache_new(lc_index_cache **out, uint64_t budget_bytes, lancec_error *err) {
  *out = NULL;
  lc_index_cache *c = lc_calloc(1, sizeof *c);
  if (!c) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (pthread_mutex_init(&c->mu, NULL) != 0) {
    lc_free(c);
    return lc_err(err, LANCEC_ENOMEM, "index cache: cannot create mutex");
  }
  c->budget = budget_bytes;
  *out = c;
  return 0;
}

void lc_icache_release(lc_icache_obj *o) {
  if (!o) return;
  if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0) {
    if (o->drop) o->drop(o->p);
    lc_free(o);
  }
}

static void unlink_entry(lc_index_cache *c, entry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void push_front(lc_index_cache *c, entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

static void unchain(lc_index_cache *c, entry *e) {
  entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
  while (*pp && *pp != e) pp = &(*pp)->chain;
  if (*pp) *pp = e->chain;
}

static void drop_entry(lc_index_cache *c, entry *e) {
  unlink_entry(c, e);
  unchain(c, e);
  c->bytes -= e->obj->bytes;
  c->entries--;
  lc_icache_release(e->obj);
  lc_free(e->key);
  lc_free(e);
}

void lc_index_cache_free(lc_index_cache *c) {
  if (!c) return;
  while (c->head) drop_entry(c, c->head);
  lc_free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  lc_free(c);
}

void lc_index_cache_get_stats(lc_index_cache *c, lancec_cache_stats *out) {
  memset(out, 0, sizeof *out);
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  out->bytes = c->bytes;
  out->entries = c->entries;
  out->hits = c->hits;
  out->misses = c->misses;
  out->evictions = c->evictions;
  pthread_mutex_unlock(&c->mu);
}

void *lc_index_cache_create_hook(uint64_t budget_bytes) {
  lc_index_cache *c = NULL;
  return lc_index_cache_new(&c, budget_bytes, NULL) == 0 ? c : NULL;
}
void lc_index_cache_free_hook(void *c) {
  lc_index_cache_free(c);
}
void lc_index_cache_stats_hook(void *c, lancec_cache_stats *out) {
  lc_index_cache_get_stats(c, out);
}

static entry *find(lc_index_cache *c, const char *key) {
  if (!c->n_buckets) return NULL;
  uint64_t h = key_hash(key);
  for (entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain)
    if (e->hash == h && !strcmp(e->key, key)) return e;
  return NULL;
}

/* Make room for one more entry in the hash table (false on ENOMEM). */
static bool grow(lc_index_cache *c) {
  if (c->n_buckets && c->entries + 1 <= c->n_buckets) return true;
  size_t nb = c->n_buckets ? c->n_buckets * 2 : 64;
  entry **b = lc_calloc(nb, sizeof *b);
  if (!b) return false;
  for (entry *e = c->head; e; e = e->next) {
    e->chain = b[e->hash & (nb - 1)];
    b[e->hash & (nb - 1)] = e;
  }
  lc_free(c->buckets);
  c->buckets = b;
  c->n_buckets = nb;
  return true;
}

lc_icache_obj *lc_icache_get(lc_index_cache *c, const char *key) {
  if (!c) return NULL;
  pthread_mutex_lock(&c->mu);
  entry *e = find(c, key);
  lc_icache_obj *o = NULL;
  if (e) {
    unlink_entry(c, e);
    push_front(c, e);
    o = e->obj;
    __atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
    c->hits++;
  } else {
    c->misses++;
  }
  pthread_mutex_unlock(&c->mu);
  return o;
}

lc_icache_obj *lc_icache_put(lc_index_cache *c, const char *key, void *p, uint64_t bytes,
                             void (*drop)(void *p)) {
  lc_icache_obj *o = lc_calloc(1, sizeof *o);
  if (!o) {
    if (drop) drop(p);
    return NULL;
  }
  o->refs = 1; /* the caller's */
  o->bytes = bytes;
  o->p = p;
  o->drop = drop;
  if (!c || bytes > c->budget) return o; /* not kept */
  entry *e = lc_calloc(1, sizeof *e);
  char *k = lc_strdup(key);
  if (!e || !k) { /* not kept: still usable by the caller */
    lc_free(e);
    lc_free(k);
    return o;
  }
  pthread_mutex_lock(&c->mu);
  entry *old = find(c, key);
  if (old) { /* another thread loaded it first: use theirs */
    lc_icache_obj *theirs = old->obj;
    __atomic_add_fetch(&theirs->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&c->mu);
    lc_free(e);
    lc_free(k);
    lc_icache_release(o);
    return theirs;
  }
  if (!grow(c)) {
    pthread_mutex_unlock(&c->mu);
    lc_free(e);
    lc_free(k);
    return o;
  }
  e->key = k;
  e->hash = key_hash(k);
  e->obj = o;
  e->chain = c->buckets[e->hash & (c->n_buckets - 1)];
  c->buckets[e->hash & (c->n_buckets - 1)] = e;
  __atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL); /* the cache's */
  push_front(c, e);
  c->bytes += bytes;
  c->entries++;
  while (c->bytes > c->budget && c->tail && c->tail != e) {
    drop_entry(c, c->tail);
    c->evictions++;
  }
  pthread_mutex_unlock(&c->mu);
  return o;
}

uint64_t lc_index_array_bytes(const lc_field *f, const struct ArrowArray *a) {
  if (!a || a->length <= 0) return 64;
  uint64_t n = (uint64_t)(a->length + a->offset);
  uint64_t b = 64 + (a->null_count ? (n + 7) / 8 : 0);
  int bits = lc_type_bit_width(f);
  if (bits > 0) return b + (n * (uint64_t)bits + 7) / 8;
  if (lc_type_is_binary_like(f->type) && a->n_buffers >= 3 && a->buffers && a->buffers[1]) {
    bool large = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY;
    uint64_t data = large ? (uint64_t)((const int64_t *)a->buffers[1])[n]
                          : (uint64_t)(uint32_t)((const int32_t *)a->buffers[1])[n];
    return b + (n + 1) * (large ? 8 : 4) + data;
  }
  return b + n * 16;
}
