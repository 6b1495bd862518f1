/* Arrow C Data Interface helpers: owned arrays, null arrays, selection
 * kernels. Arrays built here own their buffers (lc_malloc'd, 64-byte
 * aligned where allocated with lc_malloc_aligned) and release them, their
 * children and dictionary in their release callback.
 *
 * Layout reminders (Arrow spec): every array has buffers[0] = validity
 * (may be NULL when null_count == 0) except null (0 buffers), struct
 * (1), fixed-size list (1), union; primitives 2; (large) binary/string 3
 * (validity, offsets, data); list 2 (validity, offsets); map like list;
 * dictionary: the indices array with ->dictionary set.              */
#ifndef LC_ARROW_H
#define LC_ARROW_H

#include "common/common.h"
#include "schema/schema.h"

/* Initialise `a` as an owned array with n_buffers buffer slots (all NULL)
 * and n_children children (each allocated, zeroed, release == NULL until
 * filled). length/null_count/offset are 0. Returns 0 or LANCEC_ENOMEM. */
LC_INTERNAL int lc_array_init(struct ArrowArray *a, int64_t n_buffers, int64_t n_children);

/* Hand buffer i to the array (it will lc_free it). */
LC_INTERNAL void lc_array_set_buffer(struct ArrowArray *a, int64_t i, void *buf);

/* Attach an owned dictionary array (allocates the struct; moves *dict). */
LC_INTERNAL int lc_array_set_dictionary(struct ArrowArray *a, struct ArrowArray *dict);

/* Release if set and zero the struct (safe on zeroed/moved arrays). */
LC_INTERNAL void lc_array_release(struct ArrowArray *a);

/* Move src into dst (src becomes released/zeroed). */
LC_INTERNAL void lc_array_move(struct ArrowArray *src, struct ArrowArray *dst);

/* An array of `n` nulls of the field's type (all children sized
 * consistently; lists have zero-length items). */
LC_INTERNAL int lc_array_make_nulls(const lc_field *f, int64_t n, struct ArrowArray *out,
                                    lancec_error *err);

/* Take rows `idx[0..n)` (each < in->length; may repeat, any order) of an
 * array of type `f` into a new array with offset 0. Honours in->offset. */
LC_INTERNAL int lc_array_take(const lc_field *f, const struct ArrowArray *in, const int64_t *idx,
                              int64_t n, struct ArrowArray *out, lancec_error *err);

/* Keep the rows whose bit is set in `keep` (bitmap of in->length bits). */
LC_INTERNAL int lc_array_filter(const lc_field *f, const struct ArrowArray *in,
                                const uint8_t *keep, struct ArrowArray *out, lancec_error *err);

/* Rows [start, start+len) copied into a new offset-0 array. */
LC_INTERNAL int lc_array_slice(const lc_field *f, const struct ArrowArray *in, int64_t start,
                               int64_t len, struct ArrowArray *out, lancec_error *err);

/* Concatenate arrays of one type (honouring each one's offset). */
LC_INTERNAL int lc_array_concat(const lc_field *f, const struct ArrowArray *const *in, size_t n,
                                struct ArrowArray *out, lancec_error *err);

/* Check structural validity against the type: buffer counts, offsets
 * monotonic and in bounds, child lengths. For tests and debug builds. */
LC_INTERNAL int lc_array_validate(const lc_field *f, const struct ArrowArray *a, lancec_error *err);

/* Wrap top-level column arrays (moved in) into one struct batch array
 * of `length` rows without validity. */
LC_INTERNAL int lc_array_make_batch(struct ArrowArray *cols, size_t n_cols, int64_t length,
                                    struct ArrowArray *out, lancec_error *err);

#endif
