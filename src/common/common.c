#include "common.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int lc_err(lancec_error *err, int code, const char *fmt, ...) {
  if (err) {
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
  }
  return code;
}

int lc_err_prefix(lancec_error *err, const char *fmt, ...) {
  if (!err) return 0;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  char tmp[LANCEC_ERROR_MESSAGE_SIZE];
  size_t pl = strnlen(prefix, sizeof(prefix) - 1);
  memcpy(tmp, prefix, pl);
  size_t ml = strnlen(err->message, sizeof(err->message));
  if (ml > sizeof(tmp) - 1 - pl) ml = sizeof(tmp) - 1 - pl;
  memcpy(tmp + pl, err->message, ml);
  tmp[pl + ml] = 0;
  memcpy(err->message, tmp, sizeof(tmp));
  return err->code;
}

void lc_err_clear(lancec_error *err) {
  if (err) {
    err->code = 0;
    err->message[0] = 0;
  }
}

const char *lancec_status_name(int code) {
  switch (code) {
    case LANCEC_OK: return "OK";
    case LANCEC_EINVAL: return "EINVAL";
    case LANCEC_ENOTFOUND: return "ENOTFOUND";
    case LANCEC_ECORRUPT: return "ECORRUPT";
    case LANCEC_EUNSUPPORTED: return "EUNSUPPORTED";
    case LANCEC_EIO: return "EIO";
    case LANCEC_ENOMEM: return "ENOMEM";
    case LANCEC_EEXISTS: return "EEXISTS";
    case LANCEC_ECONFLICT: return "ECONFLICT";
    case LANCEC_ETYPE: return "ETYPE";
    case LANCEC_EINTERNAL: return "EINTERNAL";
    default: return "EUNKNOWN";
  }
}

const char *lancec_version(void) { return LANCEC_VERSION_STRING; }

void *lc_malloc(size_t n) { return malloc(n ? n : 1); }
void *lc_calloc(size_t n, size_t size) { return calloc(n ? n : 1, size ? size : 1); }
void *lc_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }

/* ---- large-buffer pool ----------------------------------------------------
 * While a scan is running, freed blocks of 4 MiB or more (Arrow buffers the
 * consumer released) are kept and handed to the next large lc_buf
 * allocation, so a scan does not fault in and zero fresh pages for every
 * batch (page zeroing was a third of a vector scan). The pool is bounded
 * and emptied when the last scan ends. */
#define LC_POOL_MIN ((size_t)4 << 20)
#define LC_POOL_SLOTS 16
#define LC_POOL_MAX_BYTES ((size_t)512 << 20)
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static void *pool_p[LC_POOL_SLOTS];
static size_t pool_sz[LC_POOL_SLOTS];
static size_t pool_n, pool_bytes;
static int pool_active;

static void pool_flush_locked(void **out, size_t *n) {
  for (size_t i = 0; i < pool_n; i++) out[(*n)++] = pool_p[i];
  pool_n = 0;
  pool_bytes = 0;
}

void lc_pool_scan_begin(void) {
  pthread_mutex_lock(&pool_mu);
  pool_active++;
  pthread_mutex_unlock(&pool_mu);
}

void lc_pool_scan_end(void) {
  void *drop[LC_POOL_SLOTS];
  size_t nd = 0;
  pthread_mutex_lock(&pool_mu);
  if (--pool_active <= 0) {
    pool_active = 0;
    pool_flush_locked(drop, &nd);
  }
  pthread_mutex_unlock(&pool_mu);
  for (size_t i = 0; i < nd; i++) free(drop[i]);
}

/* A pooled block of at least n bytes (and not more than twice that), or NULL. */
static void *pool_take(size_t n, size_t *cap) {
  if (n < LC_POOL_MIN) return NULL;
  void *p = NULL;
  pthread_mutex_lock(&pool_mu);
  for (size_t i = 0; i < pool_n; i++)
    if (pool_sz[i] >= n && pool_sz[i] / 2 <= n) {
      p = pool_p[i];
      *cap = pool_sz[i];
      pool_bytes -= pool_sz[i];
      pool_p[i] = pool_p[pool_n - 1];
      pool_sz[i] = pool_sz[pool_n - 1];
      pool_n--;
      break;
    }
  pthread_mutex_unlock(&pool_mu);
  return p;
}

void lc_free(void *p) {
  if (!p) return;
  if (__atomic_load_n(&pool_active, __ATOMIC_RELAXED) > 0) {
    size_t sz = malloc_usable_size(p);
    if (sz >= LC_POOL_MIN) {
      pthread_mutex_lock(&pool_mu);
      bool kept = false;
      if (pool_active > 0 && pool_n < LC_POOL_SLOTS && pool_bytes + sz <= LC_POOL_MAX_BYTES) {
        pool_p[pool_n] = p;
        pool_sz[pool_n++] = sz;
        pool_bytes += sz;
        kept = true;
      }
      pthread_mutex_unlock(&pool_mu);
      if (kept) return;
    }
  }
  free(p);
}

char *lc_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *r = lc_malloc(n + 1);
  if (r) memcpy(r, s, n + 1);
  return r;
}

char *lc_strndup(const char *s, size_t n) {
  char *r = lc_malloc(n + 1);
  if (r) {
    memcpy(r, s, n);
    r[n] = 0;
  }
  return r;
}

char *lc_sprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *r = lc_malloc((size_t)n + 1);
  if (!r) return NULL;
  va_start(ap, fmt);
  vsnprintf(r, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return r;
}

/* Large buffers (page windows, Arrow output buffers) are touched once and
 * freed soon after; with 4 KiB pages most of a scan's time went to page
 * faults. Ask for transparent huge pages on them (a hint; ignored where THP
 * is off). */
#define LC_HUGE_MIN ((size_t)4 << 20)
#define LC_HUGE_ALIGN ((size_t)2 << 20)

static void advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
  uintptr_t lo = ((uintptr_t)p + LC_HUGE_ALIGN - 1) & ~(uintptr_t)(LC_HUGE_ALIGN - 1);
  uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(LC_HUGE_ALIGN - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

void *lc_malloc_aligned(size_t n) {
  void *p = NULL;
  size_t sz = (n + 63) & ~(size_t)63;
  if (sz == 0) sz = 64;
  size_t align = sz >= LC_HUGE_MIN ? LC_HUGE_ALIGN : 64;
  if (posix_memalign(&p, align, sz) != 0) return NULL;
  if (sz >= LC_HUGE_MIN) advise_huge(p, sz);
  return p;
}

int lc_buf_reserve(lc_buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < b->len + extra) {
    if (ncap > SIZE_MAX / 2) return LANCEC_ENOMEM;
    ncap *= 2;
  }
  if (!b->data) { /* a fresh large buffer: reuse a pooled one (already faulted in) */
    size_t pcap = 0;
    uint8_t *q = pool_take(ncap, &pcap);
    if (q) {
      b->data = q;
      b->cap = pcap;
      return 0;
    }
  }
  uint8_t *p = lc_realloc(b->data, ncap);
  if (!p) return LANCEC_ENOMEM;
  if (ncap >= LC_HUGE_MIN && (p != b->data || b->cap < LC_HUGE_MIN)) advise_huge(p, ncap);
  b->data = p;
  b->cap = ncap;
  return 0;
}

int lc_buf_append(lc_buf *b, const void *p, size_t n) {
  if (n == 0) return 0;
  LC_TRY(lc_buf_reserve(b, n));
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

int lc_buf_append_zeros(lc_buf *b, size_t n) {
  if (n == 0) return 0;
  LC_TRY(lc_buf_reserve(b, n));
  memset(b->data + b->len, 0, n);
  b->len += n;
  return 0;
}

void lc_buf_free(lc_buf *b) {
  lc_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

uint8_t *lc_buf_steal(lc_buf *b, size_t *len) {
  uint8_t *p = b->data;
  if (len) *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void lc_bits_copy(uint8_t *dst, int64_t dst_off, const uint8_t *src, int64_t src_off, int64_t n) {
  if (n <= 0) return;
  if ((dst_off & 7) == 0 && (src_off & 7) == 0) {
    int64_t whole = n >> 3;
    memcpy(dst + (dst_off >> 3), src + (src_off >> 3), (size_t)whole);
    for (int64_t i = whole * 8; i < n; i++) lc_bit_put(dst, dst_off + i, lc_bit_get(src, src_off + i));
    return;
  }
  for (int64_t i = 0; i < n; i++) lc_bit_put(dst, dst_off + i, lc_bit_get(src, src_off + i));
}

int64_t lc_bits_count_zero(const uint8_t *bits, int64_t off, int64_t n) {
  int64_t z = 0;
  int64_t i = 0;
  while (i < n && ((off + i) & 7)) {
    z += !lc_bit_get(bits, off + i);
    i++;
  }
  const uint8_t *p = bits + ((off + i) >> 3);
  while (n - i >= 64) {
    uint64_t w;
    memcpy(&w, p, 8);
    z += 64 - __builtin_popcountll(w);
    p += 8;
    i += 64;
  }
  for (; i < n; i++) z += !lc_bit_get(bits, off + i);
  return z;
}

int lc_num_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int64_t lc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

float lc_half_to_float(uint16_t h) {
  uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
  if (e == 0) {
    if (m == 0) {
      bits = s;
    } else { /* subnormal: normalise */
      e = 127 - 15 + 1;
      while (!(m & 0x400)) m <<= 1, e--;
      bits = s | (e << 23) | ((m & 0x3ff) << 13);
    }
  } else if (e == 31) {
    bits = s | 0x7f800000u | (m << 13);
  } else {
    bits = s | ((e - 15 + 127) << 23) | (m << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t lc_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t s = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
  if (e == 0xff) return (uint16_t)(s | 0x7c00 | (m ? 0x200 : 0));
  int32_t ne = (int32_t)e - 127 + 15;
  if (ne >= 31) return (uint16_t)(s | 0x7c00);
  if (ne <= 0) {
    if (ne < -10) return (uint16_t)s;
    m |= 0x800000;
    uint32_t shift = (uint32_t)(14 - ne);
    uint32_t hm = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (hm & 1))) hm++;
    return (uint16_t)(s | hm);
  }
  uint32_t hm = m >> 13, rem = m & 0x1fff;
  uint32_t r = s | ((uint32_t)ne << 10) | hm;
  if (rem > 0x1000 || (rem == 0x1000 && (hm & 1))) r++;
  return (uint16_t)r;
}

void lancec_free(void *p) { lc_free(p); }
