/* Repetition / definition levels (file-format-2.1.md §3.1).
 *
 * Pages of one column may use different layer kinds (a nullable layer is
 * written ALL_VALID when a page has no nulls), so every page's definition
 * codes are first mapped to one canonical code space per column, in which
 * every item layer is NULLABLE_ITEM (1 code) and every list layer
 * NULL_AND_EMPTY_LIST (2 codes: null, empty). Levels of many pages/chunks
 * then concatenate freely.
 *
 * Unravelling (reader side of §3.1.5): a level (rep r, def d) stops at the
 * outermost layer s(d) where something is null/empty (L = fully valid).
 * Walking the layers outer -> inner, the level opens a new slot at layer j
 * iff r >= t_j (it starts a new element of the list enclosing j; t_j =
 * replevel(enclosing list) - 1, or max_rep at the top) and s >= h_j (the
 * level reaches the first layer of j's group, i.e. the layer just inside
 * the enclosing list: struct children exist even under a null struct).
 * The slot is valid iff s > j; a list slot records the child count as its
 * offset. One pass over the levels, no per-layer level arrays. */
#include "file/v21_internal.h"

int v21_col_setup_levels(v21_col *c, lancec_error *err) {
  int L = c->L;
  if (L <= 0 || L > V21_MAX_LAYERS)
    return lc_err(err, LANCEC_EUNSUPPORTED, "%s: column %d: nesting depth %d is not supported",
                  c->file->path, (int)c->col, L);
  uint16_t base = 0;
  int nlists = 0, innermost_list = -1;
  for (int j = L - 1; j >= 0; j--) {
    c->base_inner[j] = base;
    base = (uint16_t)(base + (c->layers[j].is_list ? 2 : 1));
  }
  for (int j = 0; j < L; j++)
    if (c->layers[j].is_list) {
      nlists++;
      innermost_list = j;
    }
  c->canon_max_def = base;
  c->max_rep = (uint16_t)nlists;
  c->canon_vis_def = innermost_list >= 0 ? c->base_inner[innermost_list] : base;
  memset(c->stop, 0, sizeof(c->stop));
  memset(c->empty_code, 0, sizeof(c->empty_code));
  c->stop[0] = (uint8_t)L;
  for (int j = 0; j < L; j++) {
    uint16_t b = c->base_inner[j];
    c->stop[b + 1] = (uint8_t)j;
    if (c->layers[j].is_list) {
      c->stop[b + 2] = (uint8_t)j;
      c->empty_code[b + 2] = true;
    }
  }
  return 0;
}

static bool layer_is_list(Lance__Encodings21__RepDefLayer k) {
  return k == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_ALL_VALID_LIST ||
         k == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_LIST ||
         k == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST ||
         k == LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST;
}

int v21_page_defmap(v21_col *c, v21_page *pg, const Lance__Encodings21__RepDefLayer *layers,
                    size_t n_layers, lancec_error *err) {
  if (n_layers != (size_t)c->L)
    return V21_ERR(c, LANCEC_ECORRUPT, "page has %zu rep/def layers but the field '%s' needs %d",
                   n_layers, c->field->name, c->L);
  uint16_t pb = 0;
  int first_list = -1;
  memset(pg->defmap, 0, sizeof(pg->defmap));
  for (size_t k = 0; k < n_layers; k++) {
    int j = c->L - 1 - (int)k;
    Lance__Encodings21__RepDefLayer kind = layers[k];
    if (kind < 1 || kind > 6)
      return V21_ERR(c, LANCEC_ECORRUPT, "unknown rep/def layer kind %d", (int)kind);
    if (layer_is_list(kind) != c->layers[j].is_list)
      return V21_ERR(c, LANCEC_ECORRUPT,
                     "rep/def layer %zu is a %s layer but the schema has a %s there", k,
                     layer_is_list(kind) ? "list" : "item", c->layers[j].is_list ? "list" : "item");
    if (layer_is_list(kind) && first_list < 0) {
      first_list = (int)k;
      pg->page_vis_def = pb;
    }
    uint16_t cb = c->base_inner[j];
    switch (kind) {
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_ITEM:
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULLABLE_LIST: pg->defmap[++pb] = cb + 1; break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_EMPTYABLE_LIST: pg->defmap[++pb] = cb + 2; break;
      case LANCE__ENCODINGS21__REP_DEF_LAYER__REPDEF_NULL_AND_EMPTY_LIST:
        pg->defmap[++pb] = cb + 1;
        pg->defmap[++pb] = cb + 2;
        break;
      default: break;
    }
  }
  pg->page_max_def = pb;
  if (first_list < 0) pg->page_vis_def = pb;
  pg->n_layers = (int)n_layers;
  pg->max_rep = c->max_rep;
  return 0;
}

void v21_unravel_free(v21_unravel *u) {
  for (int j = 0; j < V21_MAX_LAYERS; j++) {
    lc_free(u->valid[j]);
    lc_free(u->offs[j]);
    u->valid[j] = NULL;
    u->offs[j] = NULL;
    u->count[j] = 0;
    u->nulls[j] = 0;
  }
}

/* Validity bitmap of n bits from def codes: bit = (def == 0). */
static uint8_t *bitmap_from_def(const uint16_t *def, uint64_t n, int64_t *nulls) {
  uint8_t *bm = lc_malloc_aligned(lc_bitmap_bytes((int64_t)n) + 8);
  if (!bm) return NULL;
  int64_t nz = 0;
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint8_t b = 0;
    for (int k = 0; k < 8; k++) b |= (uint8_t)((def[i + k] == 0) << k);
    nz += 8 - __builtin_popcount(b);
    bm[i >> 3] = b;
  }
  if (i < n) {
    uint8_t b = 0;
    for (int k = 0; i + k < n; k++) {
      b |= (uint8_t)((def[i + k] == 0) << k);
      nz += def[i + k] != 0;
    }
    bm[i >> 3] = b;
  }
  *nulls = nz;
  return bm;
}

int v21_unravel_col(v21_col *c, lancec_error *err) {
  v21_unravel *u = &c->un;
  v21_unravel_free(u);
  int L = c->L;
  u->L = L;
  uint64_t n = c->acc.n_levels;
  const uint16_t *rep = c->max_rep ? (const uint16_t *)c->acc.rep.data : NULL;
  const uint16_t *def = c->acc.def_on ? (const uint16_t *)c->acc.def.data : NULL;
  if (c->max_rep == 0) {
    /* no lists: one slot per level at every layer */
    if (!def) {
      for (int j = 0; j < L; j++) u->count[j] = n;
      return 0;
    }
    if (L == 1) {
      u->count[0] = n;
      int64_t nz;
      uint8_t *bm = bitmap_from_def(def, n, &nz);
      if (!bm) return lc_err(err, LANCEC_ENOMEM, "out of memory");
      if (nz) {
        u->valid[0] = bm;
        u->nulls[0] = nz;
      } else {
        lc_free(bm);
      }
      return 0;
    }
  }
  /* thresholds and group heads */
  uint16_t t[V21_MAX_LAYERS];
  int h[V21_MAX_LAYERS];
  {
    uint16_t rl = c->max_rep; /* replevel of the next list going inward */
    uint16_t cur_t = c->max_rep;
    int cur_h = 0;
    for (int j = 0; j < L; j++) {
      t[j] = cur_t;
      h[j] = cur_h;
      if (c->layers[j].is_list) {
        cur_t = (uint16_t)(rl - 1);
        rl--;
        cur_h = j + 1;
      }
    }
  }
  for (int j = 0; j < L; j++) {
    uint64_t cap = n + 1;
    u->valid[j] = lc_malloc_aligned(lc_bitmap_bytes((int64_t)cap) + 8);
    if (!u->valid[j]) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    memset(u->valid[j], 0xff, lc_bitmap_bytes((int64_t)cap) + 8);
    if (c->layers[j].is_list) {
      u->offs[j] = lc_malloc_aligned((size_t)(cap + 1) * sizeof(int64_t));
      if (!u->offs[j]) return lc_err(err, LANCEC_ENOMEM, "out of memory");
    }
  }
  uint16_t maxd = c->canon_max_def;
  for (uint64_t i = 0; i < n; i++) {
    uint16_t r = rep ? rep[i] : 0;
    uint16_t d = def ? def[i] : 0;
    if (r > c->max_rep || d > maxd)
      return lc_err(err, LANCEC_ECORRUPT,
                    "%s: column %d: level %llu has rep %u / def %u beyond the maximum %u / %u",
                    c->file->path, (int)c->col, (unsigned long long)i, r, d, c->max_rep, maxd);
    int s = c->stop[d];
    for (int j = 0; j < L; j++) {
      if (r < t[j]) continue;
      if (s < h[j]) break;
      uint64_t slot = u->count[j]++;
      if (u->offs[j]) u->offs[j][slot] = (int64_t)u->count[j + 1];
      if (s <= j && !(s == j && c->empty_code[d])) {
        lc_bit_clear(u->valid[j], (int64_t)slot);
        u->nulls[j]++;
      }
    }
  }
  for (int j = 0; j < L; j++) {
    if (u->offs[j]) u->offs[j][u->count[j]] = (int64_t)(j + 1 < L ? u->count[j + 1] : 0);
    if (u->nulls[j] == 0) {
      lc_free(u->valid[j]);
      u->valid[j] = NULL;
    }
  }
  return 0;
}
