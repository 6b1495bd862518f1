/*
 * physical: the machine's physical reference speeds, measured in the same run
 * as the benchmark (bench/run.sh), on the benchmark's own files.
 *
 *   physical --dir DATASET [--tmp DIR] [--sample-mb N] [--cold-mb N] [--memcpy-mb N]
 *
 *   memcpy      copying a --memcpy-mb (default 256) MiB buffer into another, already
 *               faulted in: bytes copied per second (best of 5)
 *   read warm   pread() of every file of DATASET in 1 MiB calls, from the page cache
 *               (after one untimed pass): bytes per second (best of 3)
 *   read cold   after posix_fadvise(DONTNEED) on every file: 8 MiB preads over the first
 *               --cold-mb (default 1024) MiB, by one thread and by two threads (each its
 *               own files): bytes per second of each, the faster is the reference
 *   pread 4K    mean time of one 4 KiB pread at a random offset of the data files,
 *               warm and cold (2,000 reads each)
 *   write       write() of 256 MiB in 1 MiB calls to a new file in --tmp (default: the
 *               dataset's parent folder) into the page cache, then fsync: bytes per second
 *   zstd / lz4  the first --sample-mb (default 64) MiB of the data files, compressed in
 *               1 MiB chunks (zstd level 3, LZ4 default): ratio and decompression speed
 *               (output bytes per second, best of 3)
 *
 * Prints one JSON line. Exit status 0, 1 on an I/O error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <lz4.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define MIB (1024u * 1024u)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct file_ent {
  char *path;
  uint64_t size;
} file_ent;

static file_ent *g_files;
static size_t g_nfiles, g_cap;

static int list_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_F || sb->st_size == 0) return 0;
  if (g_nfiles == g_cap) {
    g_cap = g_cap ? g_cap * 2 : 64;
    g_files = realloc(g_files, g_cap * sizeof *g_files);
  }
  g_files[g_nfiles].path = strdup(p);
  g_files[g_nfiles].size = (uint64_t)sb->st_size;
  g_nfiles++;
  return 0;
}

/* Read every file (at most `limit` bytes in all) in 1 MiB preads; returns bytes read. */
static uint64_t read_all(unsigned char *buf, uint64_t limit) {
  uint64_t total = 0;
  for (size_t i = 0; i < g_nfiles && total < limit; i++) {
    int fd = open(g_files[i].path, O_RDONLY);
    if (fd < 0) continue;
    for (uint64_t off = 0; off < g_files[i].size && total < limit;) {
      ssize_t n = pread(fd, buf, MIB, (off_t)off);
      if (n <= 0) break;
      off += (uint64_t)n;
      total += (uint64_t)n;
    }
    close(fd);
  }
  return total;
}

/* Cold reader k of n: files k, k+n, ... in 8 MiB preads, at most `limit` bytes. */
typedef struct cold_job {
  size_t k, n;
  uint64_t limit, bytes;
} cold_job;

static void *cold_reader(void *arg) {
  cold_job *j = arg;
  size_t chunk = 8 * MIB;
  unsigned char *buf = malloc(chunk);
  if (!buf) return NULL;
  for (size_t i = j->k; i < g_nfiles && j->bytes < j->limit; i += j->n) {
    int fd = open(g_files[i].path, O_RDONLY);
    if (fd < 0) continue;
    for (uint64_t off = 0; off < g_files[i].size && j->bytes < j->limit;) {
      ssize_t got = pread(fd, buf, chunk, (off_t)off);
      if (got <= 0) break;
      off += (uint64_t)got;
      j->bytes += (uint64_t)got;
    }
    close(fd);
  }
  free(buf);
  return NULL;
}

/* Bytes per second of `n` threads reading `limit` bytes in all, cold; *bytes gets the total. */
static double cold_read(size_t n, uint64_t limit, uint64_t *bytes) {
  cold_job jobs[2];
  pthread_t th[2];
  double t0 = now_s();
  for (size_t k = 0; k < n; k++) {
    jobs[k] = (cold_job){k, n, limit / n, 0};
    pthread_create(&th[k], NULL, cold_reader, &jobs[k]);
  }
  *bytes = 0;
  for (size_t k = 0; k < n; k++) {
    pthread_join(th[k], NULL);
    *bytes += jobs[k].bytes;
  }
  return (double)*bytes / (now_s() - t0);
}

static void drop_all(void) {
  for (size_t i = 0; i < g_nfiles; i++) {
    int fd = open(g_files[i].path, O_RDONLY);
    if (fd < 0) continue;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

/* Mean seconds of `n` 4 KiB preads at pseudo-random offsets of the data files. */
static double random_reads(size_t n) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  unsigned char buf[4096];
  uint64_t total = 0;
  for (size_t i = 0; i < g_nfiles; i++) total += g_files[i].size;
  if (total < 4096) return 0;
  int *fds = calloc(g_nfiles, sizeof *fds);
  for (size_t i = 0; i < g_nfiles; i++) fds[i] = open(g_files[i].path, O_RDONLY);
  double t0 = now_s();
  for (size_t k = 0; k < n; k++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t at = x % total;
    size_t f = 0;
    while (at >= g_files[f].size) at -= g_files[f++].size;
    at &= ~(uint64_t)4095;
    if (fds[f] >= 0 && pread(fds[f], buf, sizeof buf, (off_t)at) < 0) break;
  }
  double secs = (now_s() - t0) / (double)n;
  for (size_t i = 0; i < g_nfiles; i++)
    if (fds[i] >= 0) close(fds[i]);
  free(fds);
  return secs;
}

static int cmp_size(const void *a, const void *b) {
  const file_ent *x = a, *y = b;
  return x->size < y->size ? 1 : x->size > y->size ? -1 : strcmp(x->path, y->path);
}

int main(int argc, char **argv) {
  const char *dir = NULL, *tmp = NULL;
  uint64_t sample_mb = 64, cold_mb = 1024, memcpy_mb = 256;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp(argv[i], "--tmp") && i + 1 < argc)
      tmp = argv[++i];
    else if (!strcmp(argv[i], "--sample-mb") && i + 1 < argc)
      sample_mb = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--cold-mb") && i + 1 < argc)
      cold_mb = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--memcpy-mb") && i + 1 < argc)
      memcpy_mb = strtoull(argv[++i], NULL, 10);
    else {
      fprintf(stderr,
              "usage: physical --dir DATASET [--tmp DIR] [--sample-mb N] [--cold-mb N] [--memcpy-mb N]\n");
      return 2;
    }
  }
  if (!dir || sample_mb == 0 || memcpy_mb == 0) {
    fprintf(stderr, "physical: --dir DATASET is required\n");
    return 2;
  }
  char datadir[4200];
  snprintf(datadir, sizeof datadir, "%s/data", dir);
  struct stat st;
  nftw(stat(datadir, &st) == 0 ? datadir : dir, list_cb, 16, FTW_PHYS);
  if (g_nfiles == 0) {
    fprintf(stderr, "physical: no files under %s\n", dir);
    return 1;
  }
  qsort(g_files, g_nfiles, sizeof *g_files, cmp_size);
  uint64_t total = 0;
  for (size_t i = 0; i < g_nfiles; i++) total += g_files[i].size;

  /* memcpy */
  size_t mlen = (size_t)memcpy_mb * MIB;
  unsigned char *src = malloc(mlen), *dst = malloc(mlen);
  if (!src || !dst) return 1;
  memset(src, 1, mlen);
  memset(dst, 2, mlen);
  double best = 1e9;
  for (int r = 0; r < 5; r++) {
    double t0 = now_s();
    memcpy(dst, src, mlen);
    double s = now_s() - t0;
    if (s < best) best = s;
    src[r] = dst[mlen - 1 - (size_t)r]; /* keep the copy alive */
  }
  double memcpy_bps = (double)mlen / best;
  free(src);
  free(dst);

  /* warm read */
  unsigned char *buf = malloc(MIB);
  read_all(buf, UINT64_MAX);
  best = 1e9;
  for (int r = 0; r < 3; r++) {
    double t0 = now_s();
    read_all(buf, UINT64_MAX);
    double s = now_s() - t0;
    if (s < best) best = s;
  }
  double read_warm_bps = (double)total / best;
  random_reads(2000); /* the same offsets twice: the second pass is all page-cache hits */
  double pread_warm_s = random_reads(2000);

  /* cold read, one stream and two */
  uint64_t cold_bytes = 0, cold_bytes2 = 0;
  drop_all();
  double read_cold1_bps = cold_read(1, cold_mb * MIB, &cold_bytes);
  drop_all();
  double read_cold2_bps = g_nfiles > 1 ? cold_read(2, cold_mb * MIB, &cold_bytes2) : 0;
  double read_cold_bps = read_cold1_bps > read_cold2_bps ? read_cold1_bps : read_cold2_bps;
  drop_all();
  double pread_cold_s = random_reads(2000);
  /* leave the files cached again for the warm workloads */
  read_all(buf, UINT64_MAX);

  double t0;
  /* write */
  char wpath[4400];
  if (tmp)
    snprintf(wpath, sizeof wpath, "%s/physical-write.%d.tmp", tmp, (int)getpid());
  else
    snprintf(wpath, sizeof wpath, "%s/../physical-write.%d.tmp", dir, (int)getpid());
  double write_bps = 0, fsync_bps = 0;
  int fd = open(wpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    memset(buf, 7, MIB);
    t0 = now_s();
    for (int i = 0; i < 256; i++)
      if (write(fd, buf, MIB) != (ssize_t)MIB) break;
    double tw = now_s() - t0;
    (void)fsync(fd);
    double tf = now_s() - t0;
    write_bps = 256.0 * MIB / tw;
    fsync_bps = 256.0 * MIB / tf;
    close(fd);
    unlink(wpath);
  }

  /* codecs on the first sample_mb MiB of the data files */
  size_t slen = (size_t)(sample_mb * MIB < total ? sample_mb * MIB : total);
  slen = slen / MIB * MIB;
  if (slen == 0) slen = (size_t)total;
  unsigned char *sample = malloc(slen);
  {
    size_t got = 0;
    for (size_t i = 0; i < g_nfiles && got < slen; i++) {
      int f = open(g_files[i].path, O_RDONLY);
      if (f < 0) continue;
      ssize_t n;
      while (got < slen && (n = read(f, sample + got, slen - got)) > 0) got += (size_t)n;
      close(f);
    }
    slen = got;
  }
  size_t nchunks = (slen + MIB - 1) / MIB;
  size_t zcap = ZSTD_compressBound(MIB), lcap = (size_t)LZ4_compressBound((int)MIB);
  unsigned char *zc = malloc(nchunks * zcap), *lc = malloc(nchunks * lcap), *out = malloc(MIB);
  size_t *zlen = calloc(nchunks, sizeof *zlen), *llen = calloc(nchunks, sizeof *llen);
  size_t zsum = 0, lsum = 0;
  double tz = now_s();
  for (size_t c = 0; c < nchunks; c++) {
    size_t n = c + 1 < nchunks ? MIB : slen - c * MIB;
    zlen[c] = ZSTD_compress(zc + c * zcap, zcap, sample + c * MIB, n, 3);
    if (ZSTD_isError(zlen[c])) return 1;
    zsum += zlen[c];
  }
  double zstd_comp_bps = (double)slen / (now_s() - tz);
  double tl = now_s();
  for (size_t c = 0; c < nchunks; c++) {
    size_t n = c + 1 < nchunks ? MIB : slen - c * MIB;
    llen[c] = (size_t)LZ4_compress_default((const char *)sample + c * MIB, (char *)lc + c * lcap, (int)n,
                                           (int)lcap);
    lsum += llen[c];
  }
  double lz4_comp_bps = (double)slen / (now_s() - tl);
  double zbest = 1e9, lbest = 1e9;
  uint64_t guard = 0;
  for (int r = 0; r < 3; r++) {
    t0 = now_s();
    for (size_t c = 0; c < nchunks; c++) {
      size_t d = ZSTD_decompress(out, MIB, zc + c * zcap, zlen[c]);
      guard += d + out[0];
    }
    double s = now_s() - t0;
    if (s < zbest) zbest = s;
    t0 = now_s();
    for (size_t c = 0; c < nchunks; c++) {
      int d = LZ4_decompress_safe((const char *)lc + c * lcap, (char *)out, (int)llen[c], (int)MIB);
      guard += (uint64_t)d + out[0];
    }
    s = now_s() - t0;
    if (s < lbest) lbest = s;
  }

  printf("{\"dataset\":\"%s\",\"files\":%zu,\"bytes\":%" PRIu64
         ",\"memcpy_bps\":%.0f,\"read_warm_bps\":%.0f,"
         "\"read_cold_bps\":%.0f,\"read_cold1_bps\":%.0f,\"read_cold2_bps\":%.0f,\"read_cold_bytes\":%" PRIu64
         ",\"pread4k_warm_s\":%.9f,\"pread4k_cold_s\":%.9f,"
         "\"write_bps\":%.0f,\"write_fsync_bps\":%.0f,\"sample_bytes\":%zu,"
         "\"zstd\":{\"level\":3,\"ratio\":%.4f,\"compress_bps\":%.0f,\"decompress_bps\":%.0f},"
         "\"lz4\":{\"ratio\":%.4f,\"compress_bps\":%.0f,\"decompress_bps\":%.0f},\"guard\":%" PRIu64 "}\n",
         dir, g_nfiles, total, memcpy_bps, read_warm_bps, read_cold_bps, read_cold1_bps, read_cold2_bps,
         cold_bytes, pread_warm_s, pread_cold_s, write_bps, fsync_bps, slen, (double)slen / (double)zsum,
         zstd_comp_bps, (double)slen / zbest, (double)slen / (double)lsum, lz4_comp_bps, (double)slen / lbest,
         guard % 2);
  free(sample);
  free(zc);
  free(lc);
  free(out);
  free(zlen);
  free(llen);
  free(buf);
  for (size_t i = 0; i < g_nfiles; i++) free(g_files[i].path);
  free(g_files);
  return 0;
}
