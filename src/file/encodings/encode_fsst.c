/* FSST encoder (file-format-2.1.md §4.4): builds a symbol table of up to 255
 * symbols (1-8 bytes) from a sample of the values with a few rounds of the
 * FSST idea (encode the sample with the current table, count how often each
 * symbol and each pair of adjacent symbols is used, keep the 255 candidates
 * with the largest gain = count x length), then encodes every value greedily
 * (longest matching symbol, else escape 255 + literal byte). The table is
 * written in Lance's 2312-byte form. The output decodes with any FSST
 * decoder; it is not byte-identical to libfsst's (neither is libfsst across
 * runs). */
#include "file/encodings/encoders.h"

#define FSST_MAGIC 0x46535354ull
#define NSYM 255

typedef struct fsst_enc {
  uint64_t sym[NSYM];
  uint8_t len[NSYM];
  int n;
  int16_t byte_code[256];
  uint32_t *pstart; /* 65537 entries: codes of symbols >= 2 bytes by 2-byte prefix */
  uint8_t pcodes[NSYM];
} fsst_enc;

static inline uint64_t load_n(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  memcpy(&v, p, n < 8 ? n : 8);
  return v;
}
static inline uint64_t mask_of(unsigned l) { return l >= 8 ? ~0ull : ((1ull << (8 * l)) - 1); }

static void index_table(fsst_enc *e) {
  for (int b = 0; b < 256; b++) e->byte_code[b] = -1;
  memset(e->pstart, 0, 65537 * sizeof(uint32_t));
  for (int c = 0; c < e->n; c++) {
    if (e->len[c] == 1) e->byte_code[e->sym[c] & 0xff] = (int16_t)c;
    else e->pstart[(e->sym[c] & 0xffff) + 1]++;
  }
  for (int p = 0; p < 65536; p++) e->pstart[p + 1] += e->pstart[p];
  uint32_t fill[256];
  (void)fill;
  /* place codes, longest first within a prefix */
  uint32_t *pos = lc_malloc(65536 * sizeof(uint32_t));
  if (!pos) { e->n = 0; return; }
  memcpy(pos, e->pstart, 65536 * sizeof(uint32_t));
  for (unsigned l = 8; l >= 2; l--)
    for (int c = 0; c < e->n; c++)
      if (e->len[c] == l) e->pcodes[pos[e->sym[c] & 0xffff]++] = (uint8_t)c;
  lc_free(pos);
}

/* next code at in[i..n): returns code (0..254) or -1 (escape), *adv = bytes consumed */
static inline int match(const fsst_enc *e, const uint8_t *in, size_t i, size_t n, unsigned *adv) {
  size_t rem = n - i;
  if (rem >= 2) {
    uint64_t w = load_n(in + i, rem);
    unsigned p = (unsigned)(w & 0xffff);
    for (uint32_t k = e->pstart[p]; k < e->pstart[p + 1]; k++) {
      unsigned c = e->pcodes[k], l = e->len[c];
      if (l <= rem && ((w ^ e->sym[c]) & mask_of(l)) == 0) {
        *adv = l;
        return (int)c;
      }
    }
  }
  *adv = 1;
  return e->byte_code[in[i]];
}

typedef struct cand {
  uint64_t sym;
  uint8_t len;
  uint64_t gain;
} cand;

static int cand_cmp(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->gain != y->gain) return x->gain < y->gain ? 1 : -1;
  if (x->len != y->len) return x->len < y->len ? 1 : -1;
  return x->sym < y->sym ? -1 : x->sym > y->sym;
}

/* Build the table from the sample (concatenated values with their ends). */
static int build(fsst_enc *e, const uint8_t *data, const uint64_t *ends, size_t n) {
  uint32_t *c1 = lc_calloc(512, sizeof(uint32_t));
  uint32_t *c2 = lc_calloc(512 * 512, sizeof(uint32_t));
  uint32_t *used = lc_malloc(512 * 512 * sizeof(uint32_t));
  cand *cands = lc_malloc((512 + 512 * 512) * sizeof(cand));
  int rc = 0;
  if (!c1 || !c2 || !used || !cands) {
    rc = -1;
    goto out;
  }
  e->n = 0;
  for (int round = 0; round < 5; round++) {
    index_table(e);
    if (round > 0 && e->n == 0) break;
    memset(c1, 0, 512 * sizeof(uint32_t));
    size_t nused = 0;
    uint64_t prev_end = 0;
    for (size_t v = 0; v < n; v++) {
      const uint8_t *s = data + prev_end;
      size_t len = (size_t)(ends[v] - prev_end);
      prev_end = ends[v];
      int prev = -1;
      for (size_t i = 0; i < len;) {
        unsigned adv;
        int c = match(e, s, i, len, &adv);
        unsigned code = c >= 0 ? (unsigned)c : 256u + s[i];
        c1[code]++;
        if (prev >= 0) {
          uint32_t k = (uint32_t)prev * 512 + code;
          if (c2[k]++ == 0) used[nused++] = k;
        }
        prev = (int)code;
        i += adv;
      }
    }
    size_t nc = 0;
#define SYM_OF(code, S, L)                                       \
  do {                                                           \
    if ((code) >= 256) (S) = (code) - 256, (L) = 1;              \
    else (S) = e->sym[code], (L) = e->len[code];                 \
  } while (0)
    for (unsigned code = 0; code < 512; code++) {
      if (!c1[code]) continue;
      uint64_t s;
      unsigned l;
      SYM_OF(code, s, l);
      /* single bytes: a symbol saves the escape byte */
      cands[nc++] = (cand){s, (uint8_t)l, (uint64_t)c1[code] * (l == 1 ? 1 : l)};
    }
    for (size_t u = 0; u < nused; u++) {
      uint32_t k = used[u];
      unsigned a = k / 512, b = k % 512;
      uint64_t sa, sb;
      unsigned la, lb;
      SYM_OF(a, sa, la);
      SYM_OF(b, sb, lb);
      if (la + lb <= 8) cands[nc++] = (cand){sa | (sb << (8 * la)), (uint8_t)(la + lb), (uint64_t)c2[k] * (la + lb)};
      c2[k] = 0;
    }
#undef SYM_OF
    qsort(cands, nc, sizeof(cand), cand_cmp);
    /* keep the best 255 distinct */
    int m = 0;
    for (size_t i = 0; i < nc && m < NSYM; i++) {
      bool dup = false;
      for (int j = 0; j < m && !dup; j++) dup = e->len[j] == cands[i].len && e->sym[j] == cands[i].sym;
      if (dup) continue;
      e->sym[m] = cands[i].sym & mask_of(cands[i].len);
      e->len[m] = cands[i].len;
      m++;
    }
    e->n = m;
  }
  index_table(e);
out:
  lc_free(c1);
  lc_free(c2);
  lc_free(used);
  lc_free(cands);
  return rc;
}

int lc_fsst_compress(const uint8_t *data, const uint64_t *ends, size_t n, uint8_t table[2312], lc_buf *out_data,
                     lc_buf *out_ends) {
  fsst_enc e;
  memset(&e, 0, sizeof e);
  e.pstart = lc_malloc(65537 * sizeof(uint32_t));
  if (!e.pstart) return -1;
  /* sample: about 16 KiB of whole values spread over the page */
  uint64_t total = n ? ends[n - 1] : 0;
  size_t step = total > 16384 ? (size_t)(total / 16384) : 1;
  lc_buf sd = {0}, se = {0};
  int rc = 0;
  uint64_t prev = 0, acc = 0;
  for (size_t v = 0; v < n && !rc; v += step) {
    uint64_t s = v ? ends[v - 1] : 0;
    uint64_t len = ends[v] - s;
    if (len > 4096) len = 4096;
    if (lc_buf_append(&sd, data + s, (size_t)len)) rc = -1;
    acc += len;
    if (!rc && lc_buf_append(&se, &acc, 8)) rc = -1;
    (void)prev;
    if (acc >= 32768) break;
  }
  if (!rc) rc = build(&e, sd.data, (const uint64_t *)se.data, se.len / 8);
  lc_buf_free(&sd);
  lc_buf_free(&se);
  /* encode every value */
  if (!rc && lc_buf_reserve(out_data, (size_t)(2 * total + 8))) rc = -1;
  if (!rc && lc_buf_reserve(out_ends, n * 8)) rc = -1;
  if (!rc) {
    uint8_t *o = out_data->data + out_data->len;
    size_t ol = 0;
    uint64_t pe = 0;
    uint64_t *oe = (uint64_t *)(out_ends->data + out_ends->len);
    for (size_t v = 0; v < n; v++) {
      const uint8_t *s = data + pe;
      size_t len = (size_t)(ends[v] - pe);
      pe = ends[v];
      for (size_t i = 0; i < len;) {
        unsigned adv;
        int c = match(&e, s, i, len, &adv);
        if (c >= 0) {
          o[ol++] = (uint8_t)c;
        } else {
          o[ol++] = 255;
          o[ol++] = s[i];
        }
        i += adv;
      }
      oe[v] = out_data->len + ol;
    }
    out_data->len += ol;
    out_ends->len += n * 8;
  }
  if (!rc) {
    memset(table, 0, 2312);
    uint64_t hdr = (FSST_MAGIC << 32) | (1ull << 24) | ((uint64_t)(e.n & 0xff) << 16) | (uint64_t)(e.n & 0xff);
    memcpy(table, &hdr, 8);
    for (int c = 0; c < e.n; c++) {
      memcpy(table + 8 + 8 * c, &e.sym[c], 8);
      table[8 + 8 * e.n + c] = e.len[c];
    }
  }
  lc_free(e.pstart);
  return rc;
}
