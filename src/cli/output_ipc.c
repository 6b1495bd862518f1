/* "arrow" output: an Arrow IPC stream (the writer lives in arrow/ipc_writer.c). */
#include "arrow/ipc.h"
#include "cli/output.h"

static int sink(void *ctx, const void *p, size_t n, lancec_error *err) {
  lc_output *o = ctx;
  if (n >= (1u << 20)) { /* large buffers go straight to the FILE */
    LC_TRY(lc_output_flush(o, 0, err));
    if (fwrite(p, 1, n, o->fp) != n) return lc_err(err, LANCEC_EIO, "output: write failed");
    return 0;
  }
  if (lc_buf_append(&o->buf, p, n)) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  return lc_output_flush(o, 1u << 20, err);
}

static int arrow_begin(lc_output *o, const struct ArrowSchema *schema, lancec_error *err) {
  lc_ipc_writer *w = NULL;
  LC_TRY(lc_ipc_writer_new(&w, schema, sink, o, err));
  o->state = w;
  return 0;
}

static int arrow_batch(lc_output *o, const struct ArrowArray *batch, lancec_error *err) {
  return lc_ipc_writer_write(o->state, batch, err);
}

static int arrow_finish(lc_output *o, lancec_error *err) { return lc_ipc_writer_finish(o->state, err); }

static void arrow_free(lc_output *o) {
  lc_ipc_writer_free(o->state);
  o->state = NULL;
}

const lc_output_ops lc_output_arrow_ops = {arrow_begin, arrow_batch, arrow_finish, arrow_free};
