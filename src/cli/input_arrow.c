/* Arrow IPC input: the streaming format (read sequentially through a FILE
 * cookie over the source, so stdin works) or the file format ("ARROW1"
 * magic: read whole, its embedded stream decoded from memory). */
#include <errno.h>
#include <stdio.h>

#include "arrow/ipc.h"
#include "cli/input.h"

typedef struct arw {
  lc_input_src src;
  lc_ipc_reader *r;
  uint8_t *mem;
  FILE *cookie;
  char last_error[LANCEC_ERROR_MESSAGE_SIZE];
} arw;

static ssize_t cookie_read(void *c, char *buf, size_t n) {
  int64_t got = lc_input_src_read(c, buf, n);
  return got < 0 ? -1 : (ssize_t)got;
}

static void arw_free(arw *a) {
  if (!a) return;
  lc_ipc_reader_free(a->r);
  if (a->cookie) fclose(a->cookie);
  lc_input_src_close(&a->src);
  lc_free(a->mem);
  lc_free(a);
}

static int errno_of(int code) { return code == LANCEC_ENOMEM ? ENOMEM : code == LANCEC_EIO ? EIO : EINVAL; }

static int a_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  arw *a = s->private_data;
  lancec_error e;
  memset(&e, 0, sizeof e);
  if (lc_ipc_reader_schema(a->r, out, &e)) {
    snprintf(a->last_error, sizeof a->last_error, "%s", e.message);
    return errno_of(e.code);
  }
  return 0;
}

static int a_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  arw *a = s->private_data;
  lancec_error e;
  memset(&e, 0, sizeof e);
  if (lc_ipc_reader_next(a->r, out, &e)) {
    lc_err_prefix(&e, "%s: ", a->src.name ? a->src.name : "input");
    snprintf(a->last_error, sizeof a->last_error, "%s", e.message);
    return errno_of(e.code);
  }
  return 0;
}

static const char *a_last_error(struct ArrowArrayStream *s) {
  arw *a = s->private_data;
  return a && a->last_error[0] ? a->last_error : NULL;
}

static void a_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  arw_free(s->private_data);
  s->release = NULL;
  s->private_data = NULL;
}

/* Make sure at least n unread bytes sit in the prefix buffer (fewer at the end). */
static int src_peek(lc_input_src *s, size_t n, lancec_error *err) {
  size_t have = s->pre_len - s->pre_pos;
  if (have >= n) return 0;
  uint8_t *p = lc_malloc(n);
  if (!p) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  if (have) memcpy(p, s->pre + s->pre_pos, have);
  size_t got = have;
  while (got < n && s->fp) {
    size_t k = fread(p + got, 1, n - got, s->fp);
    if (k == 0) {
      if (ferror(s->fp)) {
        lc_free(p);
        return lc_err(err, LANCEC_EIO, "%s: read error: %s", s->name, strerror(errno));
      }
      break;
    }
    got += k;
  }
  lc_free(s->pre);
  s->pre = p;
  s->pre_len = got;
  s->pre_pos = 0;
  return 0;
}

/* An IPC file's embedded stream need not repeat the schema (the footer has
 * it; Arrow JS writes none). Build a Schema message whose header points at
 * the footer's Schema table: a small Message table followed by a copy of
 * the footer (flatbuffer offsets are relative, so the copy stays valid),
 * framed as a stream message. NULL when the footer cannot be read. */
static uint8_t *schema_message_from_footer(const uint8_t *ft, size_t flen, size_t *out_len) {
  if (flen < 8) return NULL;
  uint32_t root = lc_le32(ft);
  if ((size_t)root + 4 > flen) return NULL;
  int32_t so = (int32_t)lc_le32(ft + root);
  int64_t vt = (int64_t)root - so;
  if (vt < 0 || (uint64_t)vt + 4 > flen) return NULL;
  uint16_t vtsize = lc_le16(ft + vt);
  if (vtsize < 8 || (uint64_t)vt + vtsize > flen) return NULL;
  uint16_t off = lc_le16(ft + vt + 6); /* Footer field 1: schema */
  if (off == 0 || (size_t)root + off + 4 > flen) return NULL;
  size_t ref = (size_t)root + off;
  size_t schema = ref + lc_le32(ft + ref);
  if (schema >= flen) return NULL;
  /* metadata: [root uoffset][vtable 12 bytes][table 12 bytes][pad] then the footer at 32 */
  size_t meta_len = 32 + flen;
  size_t padded = (meta_len + 7) & ~(size_t)7;
  uint8_t *m = lc_calloc(1, 8 + padded);
  if (!m) return NULL;
  lc_st32(m, 0xFFFFFFFFu);
  lc_st32(m + 4, (uint32_t)padded);
  uint8_t *fb = m + 8;
  lc_st32(fb, 16);           /* root: the Message table */
  lc_st16(fb + 4, 12);       /* vtable size: fields 0..3 */
  lc_st16(fb + 6, 12);       /* table size */
  lc_st16(fb + 8, 4);        /* version */
  lc_st16(fb + 10, 6);       /* header_type */
  lc_st16(fb + 12, 8);       /* header */
  lc_st16(fb + 14, 0);       /* bodyLength: absent (0) */
  lc_st32(fb + 16, 12);      /* soffset to the vtable at 4 */
  lc_st16(fb + 20, 4);       /* MetadataVersion V5 */
  fb[22] = 1;                /* MessageHeader.Schema */
  lc_st32(fb + 24, (uint32_t)(32 + schema - 24));
  memcpy(fb + 32, ft, flen);
  *out_len = 8 + padded;
  return m;
}

int lc_input_arrow_open(struct ArrowArrayStream *out, lc_input_src *src, const lc_input_options *o,
                        lancec_error *err) {
  (void)o;
  memset(out, 0, sizeof(*out));
  arw *a = lc_calloc(1, sizeof(*a));
  if (!a) {
    lc_input_src_close(src);
    return lc_err(err, LANCEC_ENOMEM, "out of memory");
  }
  a->src = *src;
  memset(src, 0, sizeof(*src));
  int rc = src_peek(&a->src, 8, err);
  if (rc) goto fail;
  if (a->src.pre_len - a->src.pre_pos >= 6 && !memcmp(a->src.pre + a->src.pre_pos, "ARROW1", 6)) {
    /* file format: whole file into memory */
    lc_buf all = {0};
    uint8_t tmp[65536];
    for (;;) {
      int64_t got = lc_input_src_read(&a->src, tmp, sizeof tmp);
      if (got < 0) {
        lc_buf_free(&all);
        rc = lc_err(err, LANCEC_EIO, "%s: read error: %s", a->src.name, strerror(errno));
        goto fail;
      }
      if (got == 0) break;
      if (lc_buf_append(&all, tmp, (size_t)got)) {
        lc_buf_free(&all);
        rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
        goto fail;
      }
    }
    size_t len = all.len;
    a->mem = lc_buf_steal(&all, NULL);
    if (len < 8 + 10 || memcmp(a->mem + len - 6, "ARROW1", 6)) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: Arrow IPC file without its trailing ARROW1 magic (truncated?)",
                  a->src.name);
      goto fail;
    }
    int32_t flen = (int32_t)lc_le32(a->mem + len - 10);
    if (flen < 0 || (size_t)flen > len - 8 - 10) {
      rc = lc_err(err, LANCEC_ECORRUPT, "%s: Arrow IPC file with a bad footer length", a->src.name);
      goto fail;
    }
    size_t body = len - 10 - (size_t)flen - 8;
    rc = lc_ipc_reader_new_mem(&a->r, a->mem + 8, body, err);
    if (rc == LANCEC_ECORRUPT) {
      /* no Schema message in the embedded stream: take the footer's */
      size_t ml = 0;
      uint8_t *msg = schema_message_from_footer(a->mem + len - 10 - (size_t)flen, (size_t)flen, &ml);
      uint8_t *joined = msg ? lc_malloc(ml + body + 1) : NULL;
      if (joined) {
        memcpy(joined, msg, ml);
        memcpy(joined + ml, a->mem + 8, body);
        lancec_error e2;
        if (lc_ipc_reader_new_mem(&a->r, joined, ml + body, &e2) == 0) {
          lc_free(a->mem);
          a->mem = joined;
          joined = NULL;
          rc = 0;
        }
      }
      lc_free(joined);
      lc_free(msg);
    }
  } else {
    cookie_io_functions_t io = {cookie_read, NULL, NULL, NULL};
    a->cookie = fopencookie(&a->src, "rb", io);
    if (!a->cookie) {
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      goto fail;
    }
    rc = lc_ipc_reader_new_file(&a->r, a->cookie, err);
  }
  if (rc) {
    lc_err_prefix(err, "%s: ", a->src.name);
    goto fail;
  }
  out->get_schema = a_get_schema;
  out->get_next = a_get_next;
  out->get_last_error = a_last_error;
  out->release = a_release;
  out->private_data = a;
  return 0;
fail:
  arw_free(a);
  return rc;
}
