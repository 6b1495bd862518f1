/* Input readers: format detection, --schema parsing, column builders and
 * the stream wrapper shared by the CSV and JSON Lines readers. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "arrow/ipc.h"
#include "cli/input.h"

/* ---- source ------------------------------------------------------------------- */

int64_t lc_input_src_read(lc_input_src *s, void *buf, size_t n) {
  size_t got = 0;
  if (s->pre_pos < s->pre_len) {
    size_t k = s->pre_len - s->pre_pos;
    if (k > n) k = n;
    memcpy(buf, s->pre + s->pre_pos, k);
    s->pre_pos += k;
    got = k;
  }
  while (got < n && s->fp) {
    size_t k = fread((uint8_t *)buf + got, 1, n - got, s->fp);
    got += k;
    if (k == 0) {
      if (ferror(s->fp)) return -1;
      break;
    }
  }
  return (int64_t)got;
}

void lc_input_src_close(lc_input_src *s) {
  if (!s) return;
  if (s->fp && s->close_fp) fclose(s->fp);
  s->fp = NULL;
  lc_free(s->pre);
  s->pre = NULL;
  lc_free(s->name);
  s->name = NULL;
}

/* ---- formats -------------------------------------------------------------------- */

int lc_input_format_parse(const char *s, lc_input_format *out, lancec_error *err) {
  if (!strcasecmp(s, "csv")) *out = LC_INPUT_CSV;
  else if (!strcasecmp(s, "jsonl") || !strcasecmp(s, "ndjson") || !strcasecmp(s, "json")) *out = LC_INPUT_JSONL;
  else if (!strcasecmp(s, "arrow") || !strcasecmp(s, "ipc")) *out = LC_INPUT_ARROW;
  else return lc_err(err, LANCEC_EINVAL, "--input-format must be csv, jsonl or arrow (got '%s')", s);
  return 0;
}

const char *lc_input_format_name(lc_input_format f) {
  switch (f) {
    case LC_INPUT_CSV: return "csv";
    case LC_INPUT_JSONL: return "jsonl";
    case LC_INPUT_ARROW: return "arrow";
    default: return "auto";
  }
}

lc_input_format lc_input_format_from_path(const char *path) {
  if (!path) return LC_INPUT_AUTO;
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  if (!dot) return LC_INPUT_AUTO;
  dot++;
  if (!strcasecmp(dot, "csv")) return LC_INPUT_CSV;
  if (!strcasecmp(dot, "jsonl") || !strcasecmp(dot, "ndjson") || !strcasecmp(dot, "json")) return LC_INPUT_JSONL;
  if (!strcasecmp(dot, "arrow") || !strcasecmp(dot, "arrows") || !strcasecmp(dot, "ipc") ||
      !strcasecmp(dot, "feather"))
    return LC_INPUT_ARROW;
  return LC_INPUT_AUTO;
}

lc_input_format lc_input_format_sniff(const uint8_t *p, size_t n) {
  if (n >= 6 && !memcmp(p, "ARROW1", 6)) return LC_INPUT_ARROW;
  if (n >= 4 && !memcmp(p, "\xff\xff\xff\xff", 4)) return LC_INPUT_ARROW;
  size_t i = 0;
  if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) i = 3;
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
  if (i < n && p[i] == '{') return LC_INPUT_JSONL;
  return LC_INPUT_CSV;
}

/* ---- --schema ---------------------------------------------------------------------- */

typedef struct sp {
  const char *s, *p;
  lancec_error *err;
} sp;

static void sp_ws(sp *c) {
  while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r') c->p++;
}
static int sp_pos(const sp *c) { return (int)(c->p - c->s) + 1; }
static int sp_fail(sp *c, const char *what) {
  if (*c->p) return lc_err(c->err, LANCEC_EINVAL, "--schema: %s at position %d", what, sp_pos(c));
  return lc_err(c->err, LANCEC_EINVAL, "--schema: %s at the end", what);
}
static bool sp_eat(sp *c, char ch) {
  sp_ws(c);
  if (*c->p != ch) return false;
  c->p++;
  return true;
}

static lc_field *new_field(const char *name, size_t nlen, lc_type_id t) {
  lc_field *f = lc_calloc(1, sizeof(*f));
  if (!f) return NULL;
  f->name = lc_strndup(name, nlen);
  f->id = -1, f->parent_id = -1;
  f->type = t;
  f->nullable = true;
  return f;
}

static int add_child(lc_field *p, lc_field *c) {
  lc_field **v = lc_realloc(p->children, (p->n_children + 1) * sizeof(*v));
  if (!v) return LANCEC_ENOMEM;
  p->children = v;
  p->children[p->n_children++] = c;
  c->parent = p;
  return 0;
}

static bool sp_int(sp *c, int64_t *v) {
  sp_ws(c);
  const char *st = c->p;
  if (*c->p == '-') c->p++;
  if (!isdigit((unsigned char)*c->p)) {
    c->p = st;
    return false;
  }
  errno = 0;
  char *end;
  long long x = strtoll(st, &end, 10);
  if (errno) return false;
  c->p = end;
  *v = x;
  return true;
}

static int parse_type(sp *c, lc_field *f, int depth);

/* `name:type [not null|!]`, name ending at ':' */
static int parse_member(sp *c, lc_field **out, int depth) {
  *out = NULL;
  sp_ws(c);
  const char *st = c->p;
  while (*c->p && *c->p != ':' && *c->p != ',' && *c->p != '<' && *c->p != '>') c->p++;
  const char *en = c->p;
  while (en > st && (en[-1] == ' ' || en[-1] == '\t')) en--;
  if (en == st) return sp_fail(c, "expected a column name");
  if (*c->p != ':') return sp_fail(c, "expected ':' after the column name");
  c->p++;
  lc_field *f = new_field(st, (size_t)(en - st), LC_T_NULL);
  if (!f) return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
  int rc = parse_type(c, f, depth);
  if (rc) {
    lc_ipc_field_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

static bool word_is(const char *w, size_t n, const char *lit) { return strlen(lit) == n && !strncasecmp(w, lit, n); }

static int parse_type(sp *c, lc_field *f, int depth) {
  if (depth > 32) return sp_fail(c, "nesting too deep");
  sp_ws(c);
  const char *w = c->p;
  while (isalnum((unsigned char)*c->p) || *c->p == '_') c->p++;
  size_t n = (size_t)(c->p - w);
  if (n == 0) return sp_fail(c, "expected a type name");
  static const struct {
    const char *name;
    lc_type_id t;
  } simple[] = {
      {"bool", LC_T_BOOL},         {"boolean", LC_T_BOOL},        {"int8", LC_T_INT8},
      {"tinyint", LC_T_INT8},      {"int16", LC_T_INT16},         {"smallint", LC_T_INT16},
      {"int32", LC_T_INT32},       {"int", LC_T_INT32},           {"int64", LC_T_INT64},
      {"bigint", LC_T_INT64},      {"uint8", LC_T_UINT8},         {"uint16", LC_T_UINT16},
      {"uint32", LC_T_UINT32},     {"uint64", LC_T_UINT64},       {"float16", LC_T_HALF},
      {"half", LC_T_HALF},         {"float32", LC_T_FLOAT},       {"float", LC_T_FLOAT},
      {"float64", LC_T_DOUBLE},    {"double", LC_T_DOUBLE},       {"string", LC_T_STRING},
      {"utf8", LC_T_STRING},       {"large_string", LC_T_LARGE_STRING}, {"binary", LC_T_BINARY},
      {"large_binary", LC_T_LARGE_BINARY}, {"date32", LC_T_DATE32}, {"date", LC_T_DATE32},
      {"date64", LC_T_DATE64},
  };
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
    if (word_is(w, n, simple[i].name)) {
      f->type = simple[i].t;
      goto suffix;
    }
  if (word_is(w, n, "timestamp") || word_is(w, n, "time32") || word_is(w, n, "time64") || word_is(w, n, "duration")) {
    f->type = word_is(w, n, "timestamp") ? LC_T_TIMESTAMP
              : word_is(w, n, "time32")  ? LC_T_TIME32
              : word_is(w, n, "time64")  ? LC_T_TIME64
                                         : LC_T_DURATION;
    f->unit = f->type == LC_T_TIME32 ? LC_UNIT_MS : f->type == LC_T_TIME64 ? LC_UNIT_US : LC_UNIT_US;
    if (sp_eat(c, '[')) {
      sp_ws(c);
      const char *u = c->p;
      while (isalpha((unsigned char)*c->p)) c->p++;
      size_t un = (size_t)(c->p - u);
      if (word_is(u, un, "s")) f->unit = LC_UNIT_S;
      else if (word_is(u, un, "ms")) f->unit = LC_UNIT_MS;
      else if (word_is(u, un, "us")) f->unit = LC_UNIT_US;
      else if (word_is(u, un, "ns")) f->unit = LC_UNIT_NS;
      else {
        c->p = u;
        return sp_fail(c, "expected a time unit (s, ms, us, ns)");
      }
      if ((f->type == LC_T_TIME32 && f->unit > LC_UNIT_MS) || (f->type == LC_T_TIME64 && f->unit < LC_UNIT_US)) {
        c->p = u;
        return sp_fail(c, "time32 takes s or ms, time64 us or ns");
      }
      if (f->type == LC_T_TIMESTAMP && sp_eat(c, ',')) {
        sp_ws(c);
        const char *z = c->p;
        while (*c->p && *c->p != ']') c->p++;
        const char *ze = c->p;
        while (ze > z && ze[-1] == ' ') ze--;
        if (ze > z && (word_is(z, 3, "tz=") && ze - z > 3)) z += 3;
        if (ze == z) return sp_fail(c, "expected a time zone");
        f->tz = lc_strndup(z, (size_t)(ze - z));
      }
      if (!sp_eat(c, ']')) return sp_fail(c, "expected ']'");
    }
    goto suffix;
  }
  if (word_is(w, n, "decimal") || word_is(w, n, "decimal128") || word_is(w, n, "decimal256") ||
      word_is(w, n, "fixed_size_binary")) {
    bool fsb = word_is(w, n, "fixed_size_binary");
    int64_t a = 0, b = 0;
    if (!sp_eat(c, '(')) return sp_fail(c, "expected '('");
    if (!sp_int(c, &a)) return sp_fail(c, "expected a number");
    if (!fsb) {
      if (!sp_eat(c, ',')) return sp_fail(c, "expected ',' (decimal(precision, scale))");
      if (!sp_int(c, &b)) return sp_fail(c, "expected a number");
    }
    if (!sp_eat(c, ')')) return sp_fail(c, "expected ')'");
    if (fsb) {
      if (a <= 0 || a > INT32_MAX) return sp_fail(c, "fixed_size_binary needs a positive width");
      f->type = LC_T_FIXED_BINARY;
      f->width = (int32_t)a;
    } else {
      bool d256 = word_is(w, n, "decimal256") || (word_is(w, n, "decimal") && a > 38);
      if (a < 1 || a > (d256 ? 76 : 38)) return sp_fail(c, "decimal precision out of range");
      if (b > a || b < -a) return sp_fail(c, "decimal scale out of range");
      f->type = d256 ? LC_T_DECIMAL256 : LC_T_DECIMAL128;
      f->precision = (int32_t)a, f->scale = (int32_t)b;
    }
    goto suffix;
  }
  if (word_is(w, n, "list") || word_is(w, n, "large_list") || word_is(w, n, "fixed_size_list")) {
    f->type = word_is(w, n, "list") ? LC_T_LIST : word_is(w, n, "large_list") ? LC_T_LARGE_LIST : LC_T_FIXED_LIST;
    if (!sp_eat(c, '<')) return sp_fail(c, "expected '<'");
    lc_field *item = new_field("item", 4, LC_T_NULL);
    if (!item || add_child(f, item)) {
      lc_ipc_field_free(item);
      return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
    }
    LC_TRY(parse_type(c, item, depth + 1));
    if (f->type == LC_T_FIXED_LIST) {
      int64_t k;
      if (!sp_eat(c, ',') || !sp_int(c, &k)) return sp_fail(c, "expected ', size' (fixed_size_list<T, n>)");
      if (k <= 0 || k > INT32_MAX) return sp_fail(c, "fixed_size_list needs a positive size");
      f->width = (int32_t)k;
    }
    if (!sp_eat(c, '>')) return sp_fail(c, "expected '>'");
    goto suffix;
  }
  if (word_is(w, n, "struct")) {
    f->type = LC_T_STRUCT;
    if (!sp_eat(c, '<')) return sp_fail(c, "expected '<'");
    do {
      lc_field *m;
      LC_TRY(parse_member(c, &m, depth + 1));
      for (size_t i = 0; i < f->n_children; i++)
        if (!strcmp(f->children[i]->name, m->name)) {
          lc_ipc_field_free(m);
          return sp_fail(c, "duplicate member name");
        }
      if (add_child(f, m)) {
        lc_ipc_field_free(m);
        return lc_err(c->err, LANCEC_ENOMEM, "out of memory");
      }
    } while (sp_eat(c, ','));
    if (!sp_eat(c, '>')) return sp_fail(c, "expected '>'");
    goto suffix;
  }
  return lc_err(c->err, LANCEC_EINVAL, "--schema: unknown type '%.*s' at position %d", (int)n, w,
                (int)(w - c->s) + 1);
suffix:
  sp_ws(c);
  if (*c->p == '!') {
    c->p++;
    f->nullable = false;
  } else if (!strncasecmp(c->p, "not", 3) && isspace((unsigned char)c->p[3])) {
    const char *save = c->p;
    c->p += 3;
    sp_ws(c);
    if (!strncasecmp(c->p, "null", 4) && !isalnum((unsigned char)c->p[4]) && c->p[4] != '_') {
      c->p += 4;
      f->nullable = false;
    } else {
      c->p = save;
    }
  } else if (!strncasecmp(c->p, "not null", 8)) {
    c->p += 8;
    f->nullable = false;
  }
  return 0;
}

int lc_input_schema_parse(lc_field **out, const char *text, lancec_error *err) {
  *out = NULL;
  sp c = {text, text, err};
  lc_field *root = new_field("", 0, LC_T_STRUCT);
  if (!root) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  root->nullable = false;
  int rc = 0;
  sp_ws(&c);
  if (!*c.p) {
    rc = lc_err(err, LANCEC_EINVAL, "--schema: empty schema");
    goto fail;
  }
  do {
    lc_field *m;
    rc = parse_member(&c, &m, 0);
    if (rc) goto fail;
    for (size_t i = 0; i < root->n_children; i++)
      if (!strcmp(root->children[i]->name, m->name)) {
        rc = lc_err(err, LANCEC_EINVAL, "--schema: duplicate column '%s'", m->name);
        lc_ipc_field_free(m);
        goto fail;
      }
    if (add_child(root, m)) {
      lc_ipc_field_free(m);
      rc = lc_err(err, LANCEC_ENOMEM, "out of memory");
      goto fail;
    }
  } while (sp_eat(&c, ','));
  sp_ws(&c);
  if (*c.p) {
    rc = sp_fail(&c, "expected ',' or the end of the schema");
    goto fail;
  }
  *out = root;
  return 0;
fail:
  lc_ipc_field_free(root);
  return rc;
}

/* ---- output fields ---------------------------------------------------------------- */

lc_field *lc_input_output_field(const lc_field *f) {
  const lc_field *src = f->type == LC_T_DICT && f->dict_value ? f->dict_value : f;
  lc_field *c = new_field(f->name ? f->name : "", strlen(f->name ? f->name : ""), src->type);
  if (!c) return NULL;
  c->nullable = f->nullable;
  c->width = src->width, c->precision = src->precision, c->scale = src->scale, c->unit = src->unit;
  if (src->tz) c->tz = lc_strdup(src->tz);
  for (size_t i = 0; i < src->n_children; i++) {
    lc_field *k = lc_input_output_field(src->children[i]);
    if (!k || add_child(c, k)) {
      lc_ipc_field_free(k);
      lc_ipc_field_free(c);
      return NULL;
    }
  }
  return c;
}

bool lc_input_type_supported(const lc_field *f, lancec_error *err) {
  switch (f->type) {
    case LC_T_DICT:
      return f->dict_value && lc_input_type_supported(f->dict_value, err);
    case LC_T_MAP:
      if (f->n_children != 1 || f->children[0]->n_children != 2) break;
      return lc_input_type_supported(f->children[0], err);
    case LC_T_STRUCT: case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_FIXED_LIST:
      if (f->type != LC_T_STRUCT && f->n_children != 1) break;
      for (size_t i = 0; i < f->n_children; i++)
        if (!lc_input_type_supported(f->children[i], err)) return false;
      return true;
    default:
      if (f->type < LC_T__COUNT) return true;
  }
  char t[256];
  lc_err(err, LANCEC_EUNSUPPORTED, "column '%s': type %s cannot be read from text input", f->name ? f->name : "",
         lc_field_type_string(f, t, sizeof t));
  return false;
}

/* ---- scalar text parsers ------------------------------------------------------------ */

static bool trim_copy(const char *s, size_t n, char *buf, size_t cap) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n == 0 || n >= cap) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  return true;
}

bool lc_input_parse_i64(const char *s, size_t n, int64_t *out) {
  char b[64];
  if (!trim_copy(s, n, b, sizeof b)) return false;
  const char *p = b;
  if (*p == '+' || *p == '-') p++;
  if (!isdigit((unsigned char)*p)) return false;
  errno = 0;
  char *end;
  long long v = strtoll(b, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  char b[64];
  if (!trim_copy(s, n, b, sizeof b)) return false;
  const char *p = b;
  if (*p == '+') p++;
  if (!isdigit((unsigned char)*p)) return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

bool lc_input_parse_f64(const char *s, size_t n, double *out) {
  char b[128];
  if (!trim_copy(s, n, b, sizeof b)) return false;
  const char *p = b;
  if (*p == '+' || *p == '-') p++;
  /* numbers, or nan / inf / infinity (strtod would also take hex) */
  if (!isdigit((unsigned char)*p) && *p != '.') {
    if (strcasecmp(p, "nan") && strcasecmp(p, "inf") && strcasecmp(p, "infinity")) return false;
  } else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    return false;
  }
  errno = 0;
  char *end;
  double v = strtod(b, &end);
  if (*end || end == b) return false;
  if (errno == ERANGE && isinf(v)) return false;
  *out = v;
  return true;
}

bool lc_input_parse_bool(const char *s, size_t n, bool *out) {
  char b[16];
  if (!trim_copy(s, n, b, sizeof b)) return false;
  if (!strcasecmp(b, "true")) *out = true;
  else if (!strcasecmp(b, "false")) *out = false;
  else return false;
  return true;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int mdays(int64_t y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

static bool digits(const char *p, int k, int *v) {
  int x = 0;
  for (int i = 0; i < k; i++) {
    if (!isdigit((unsigned char)p[i])) return false;
    x = x * 10 + (p[i] - '0');
  }
  *v = x;
  return true;
}

/* YYYY-MM-DD at p (exactly); returns chars consumed or 0 */
static size_t parse_ymd(const char *p, size_t n, int64_t *days) {
  int y, m, d;
  if (n < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &m) || p[7] != '-' || !digits(p + 8, 2, &d))
    return 0;
  if (m < 1 || m > 12 || d < 1 || d > mdays(y, m)) return 0;
  *days = days_from_civil(y, m, d);
  return 10;
}

bool lc_input_parse_date(const char *s, size_t n, int32_t *days) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  int64_t d;
  if (parse_ymd(s, n, &d) != 10 || n != 10) return false;
  *days = (int32_t)d;
  return true;
}

/* HH:MM[:SS[.frac]] -> ns within the day; chars consumed or 0 */
static size_t parse_hms(const char *p, size_t n, int64_t *ns) {
  int h, m, sec = 0;
  if (n < 5 || !digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &m)) return 0;
  size_t i = 5;
  int64_t frac = 0;
  if (i < n && p[i] == ':') {
    if (n < i + 3 || !digits(p + i + 1, 2, &sec)) return 0;
    i += 3;
    if (i < n && (p[i] == '.' || p[i] == ',')) {
      i++;
      int64_t scale = 100000000;
      size_t st = i;
      while (i < n && isdigit((unsigned char)p[i])) {
        frac += (p[i] - '0') * scale;
        scale /= 10;
        i++;
      }
      if (i == st) return 0;
    }
  }
  if (h > 23 || m > 59 || sec > 60) return 0;
  *ns = ((int64_t)h * 3600 + m * 60 + sec) * 1000000000LL + frac;
  return i;
}

bool lc_input_parse_timestamp(const char *s, size_t n, int64_t *ns, bool *has_zone) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  int64_t days;
  if (!parse_ymd(s, n, &days)) return false;
  size_t i = 10;
  int64_t tod = 0;
  *has_zone = false;
  if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    size_t k = parse_hms(s + i + 1, n - i - 1, &tod);
    if (!k) return false;
    i += 1 + k;
  }
  int64_t off = 0;
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
    i++;
    *has_zone = true;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
    i++;
    if (n - i < 2 || !digits(s + i, 2, &oh)) return false;
    i += 2;
    if (i < n && s[i] == ':') i++;
    if (i < n) {
      if (n - i < 2 || !digits(s + i, 2, &om)) return false;
      i += 2;
    }
    if (oh > 23 || om > 59) return false;
    off = sign * ((int64_t)oh * 3600 + om * 60);
    *has_zone = true;
  }
  if (i != n) return false;
  if (days > 106751 || days < -106751) return false; /* int64 ns range */
  *ns = days * 86400000000000LL + tod - off * 1000000000LL;
  return true;
}

/* ---- column builders ------------------------------------------------------------------ */

struct lc_colb {
  const lc_field *f;
  char *path;
  int64_t len;
  int64_t nulls;
  lc_buf valid;  /* one byte per row */
  lc_buf data;   /* fixed-width values / var bytes / bool bytes */
  lc_buf offs;   /* int64 per row + 1 (var / lists) */
  lc_colb **ch;
  size_t nch;
};

static int oom(lancec_error *err) { return lc_err(err, LANCEC_ENOMEM, "out of memory"); }

static int fbytes(const lc_field *f) {
  switch (f->type) {
    case LC_T_INT8: case LC_T_UINT8: return 1;
    case LC_T_INT16: case LC_T_UINT16: case LC_T_HALF: return 2;
    case LC_T_INT32: case LC_T_UINT32: case LC_T_FLOAT: case LC_T_DATE32: case LC_T_TIME32: return 4;
    case LC_T_INT64: case LC_T_UINT64: case LC_T_DOUBLE: case LC_T_DATE64: case LC_T_TIME64:
    case LC_T_TIMESTAMP: case LC_T_DURATION: return 8;
    case LC_T_DECIMAL128: return 16;
    case LC_T_DECIMAL256: return 32;
    case LC_T_FIXED_BINARY: return f->width;
    case LC_T_BOOL: return 1;
    default: return 0;
  }
}

static bool is_varw(lc_type_id t) {
  return t == LC_T_STRING || t == LC_T_LARGE_STRING || t == LC_T_BINARY || t == LC_T_LARGE_BINARY;
}
static bool is_listw(lc_type_id t) { return t == LC_T_LIST || t == LC_T_LARGE_LIST || t == LC_T_MAP; }

static int reset_offsets(lc_colb *b) {
  b->offs.len = 0;
  int64_t z = 0;
  if (is_varw(b->f->type) || is_listw(b->f->type)) return lc_buf_append(&b->offs, &z, 8);
  return 0;
}

int lc_colb_new(lc_colb **out, const lc_field *f, const char *path, lancec_error *err) {
  *out = NULL;
  if (!lc_input_type_supported(f, err)) return err ? err->code : LANCEC_EUNSUPPORTED;
  lc_colb *b = lc_calloc(1, sizeof(*b));
  if (!b) return oom(err);
  b->f = f;
  b->path = lc_strdup(path ? path : (f->name ? f->name : ""));
  if (!b->path || reset_offsets(b)) goto nomem;
  if (f->n_children) {
    b->ch = lc_calloc(f->n_children, sizeof(lc_colb *));
    if (!b->ch) goto nomem;
    b->nch = f->n_children;
    for (size_t i = 0; i < f->n_children; i++) {
      const lc_field *c = f->children[i];
      char *cp = lc_sprintf("%s.%s", b->path, c->name ? c->name : "");
      if (!cp) goto nomem;
      int rc = lc_colb_new(&b->ch[i], c, cp, err);
      lc_free(cp);
      if (rc) {
        lc_colb_free(b);
        return rc;
      }
    }
  }
  *out = b;
  return 0;
nomem:
  lc_colb_free(b);
  return oom(err);
}

void lc_colb_free(lc_colb *b) {
  if (!b) return;
  for (size_t i = 0; i < b->nch; i++) lc_colb_free(b->ch[i]);
  lc_free(b->ch);
  lc_buf_free(&b->valid);
  lc_buf_free(&b->data);
  lc_buf_free(&b->offs);
  lc_free(b->path);
  lc_free(b);
}

static int push_valid(lc_colb *b, bool v, lancec_error *err) {
  uint8_t x = v;
  if (lc_buf_append(&b->valid, &x, 1)) return oom(err);
  b->len++;
  if (!v) b->nulls++;
  return 0;
}

static int push_off(lc_colb *b, int64_t end, lancec_error *err) {
  return lc_buf_append(&b->offs, &end, 8) ? oom(err) : 0;
}

/* A null; `force`: under a null parent (no nullability check). */
static int append_null(lc_colb *b, bool force, lancec_error *err) {
  const lc_field *f = b->f;
  if (!force && !f->nullable)
    return lc_err(err, LANCEC_ETYPE, "column '%s' is not nullable but the value is null", b->path);
  if (f->type == LC_T_NULL) return push_valid(b, false, err);
  if (is_varw(f->type)) {
    if (push_off(b, (int64_t)b->data.len, err)) return LANCEC_ENOMEM;
  } else if (is_listw(f->type)) {
    if (push_off(b, b->ch[0]->len, err)) return LANCEC_ENOMEM;
  } else if (f->type == LC_T_FIXED_LIST) {
    for (int32_t k = 0; k < f->width; k++) LC_TRY(append_null(b->ch[0], true, err));
  } else if (f->type == LC_T_STRUCT) {
    for (size_t i = 0; i < b->nch; i++) LC_TRY(append_null(b->ch[i], true, err));
  } else {
    if (lc_buf_append_zeros(&b->data, (size_t)fbytes(f))) return oom(err);
  }
  return push_valid(b, false, err);
}

int lc_colb_append_null(lc_colb *b, lancec_error *err) { return append_null(b, false, err); }

static int bad_value(lc_colb *b, const char *s, size_t n, lancec_error *err) {
  char t[200];
  if (n > 60) n = 60;
  return lc_err(err, LANCEC_ETYPE, "column '%s': cannot parse '%.*s' as %s", b->path, (int)n, s,
                lc_field_type_string(b->f, t, sizeof t));
}

static int push_fixed(lc_colb *b, const void *v, size_t w, lancec_error *err) {
  if (lc_buf_append(&b->data, v, w)) return oom(err);
  return push_valid(b, true, err);
}

static int push_int(lc_colb *b, const char *s, size_t n, int64_t v, lancec_error *err) {
  int64_t lo, hi;
  switch (b->f->type) {
    case LC_T_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case LC_T_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case LC_T_INT32: case LC_T_DATE32: case LC_T_TIME32: lo = INT32_MIN, hi = INT32_MAX; break;
    case LC_T_UINT8: lo = 0, hi = UINT8_MAX; break;
    case LC_T_UINT16: lo = 0, hi = UINT16_MAX; break;
    case LC_T_UINT32: lo = 0, hi = UINT32_MAX; break;
    case LC_T_UINT64: lo = 0, hi = INT64_MAX; break;
    default: lo = INT64_MIN, hi = INT64_MAX; break;
  }
  if (v < lo || v > hi) {
    char t[200];
    return lc_err(err, LANCEC_ETYPE, "column '%s': value %lld does not fit %s", b->path, (long long)v,
                  lc_field_type_string(b->f, t, sizeof t));
  }
  int w = fbytes(b->f);
  uint8_t buf[8];
  switch (w) {
    case 1: buf[0] = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(buf, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(buf, &x, 4); break; }
    default: memcpy(buf, &v, 8); break;
  }
  (void)s, (void)n;
  return push_fixed(b, buf, (size_t)w, err);
}

static int push_double(lc_colb *b, double v, lancec_error *err) {
  switch (b->f->type) {
    case LC_T_DOUBLE: return push_fixed(b, &v, 8, err);
    case LC_T_FLOAT: {
      if (isfinite(v) && fabs(v) > 3.4028234663852886e38) break;
      float x = (float)v;
      return push_fixed(b, &x, 4, err);
    }
    default: {
      if (isfinite(v) && fabs(v) >= 65520.0) break;
      uint16_t h = lc_float_to_half((float)v);
      return push_fixed(b, &h, 2, err);
    }
  }
  char t[200];
  return lc_err(err, LANCEC_ETYPE, "column '%s': value %g does not fit %s", b->path, v,
                lc_field_type_string(b->f, t, sizeof t));
}

static int push_bytes(lc_colb *b, const char *s, size_t n, lancec_error *err) {
  if (b->f->type == LC_T_FIXED_BINARY) {
    if ((int64_t)n != b->f->width)
      return lc_err(err, LANCEC_ETYPE, "column '%s': %zu bytes for fixed_size_binary[%d]", b->path, n, b->f->width);
    return push_fixed(b, s, n, err);
  }
  if (lc_buf_append(&b->data, s, n)) return oom(err);
  if (push_off(b, (int64_t)b->data.len, err)) return LANCEC_ENOMEM;
  return push_valid(b, true, err);
}

static int64_t unit_per_s(lc_time_unit u) {
  return u == LC_UNIT_S ? 1 : u == LC_UNIT_MS ? 1000 : u == LC_UNIT_US ? 1000000 : 1000000000;
}

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* Decimal text -> unscaled __int128 with the field's scale. */
static bool parse_decimal(const char *s, size_t n, int32_t scale, int32_t precision, __int128 *out) {
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  __int128 v = 0;
  int nd = 0, frac = 0;
  bool dot = false, any = false;
  int64_t exp = 0;
  for (; i < n; i++) {
    char ch = s[i];
    if (ch == '.' && !dot) {
      dot = true;
      continue;
    }
    if (ch == 'e' || ch == 'E') {
      int64_t e;
      if (!lc_input_parse_i64(s + i + 1, n - i - 1, &e) || e > 100 || e < -100) return false;
      exp = e;
      i = n;
      break;
    }
    if (!isdigit((unsigned char)ch)) return false;
    any = true;
    if (v == 0 && ch == '0' && !dot) continue;
    if (nd >= 76) return false;
    v = v * 10 + (ch - '0');
    if (v != 0) nd++;
    if (dot) frac++;
  }
  if (!any) return false;
  int64_t shift = (int64_t)scale - frac + exp; /* multiply by 10^shift */
  while (shift > 0) {
    if (__builtin_mul_overflow(v, 10, &v)) return false;
    shift--;
  }
  while (shift < 0) {
    if (v % 10) return false; /* digits beyond the scale */
    v /= 10;
    shift++;
  }
  if (precision <= 38) {
    __int128 bound = 1;
    for (int k = 0; k < precision; k++) bound *= 10;
    if (v >= bound) return false;
  }
  *out = neg ? -v : v;
  return true;
}

static int append_json_impl(lc_colb *b, const json_t *v, int depth, lancec_error *err);

int lc_colb_append_text(lc_colb *b, const char *s, size_t n, lancec_error *err) {
  const lc_field *f = b->f;
  switch (f->type) {
    case LC_T_NULL:
      return bad_value(b, s, n, err);
    case LC_T_BOOL: {
      bool v;
      if (!lc_input_parse_bool(s, n, &v)) {
        int64_t i;
        if (!lc_input_parse_i64(s, n, &i) || (i != 0 && i != 1)) return bad_value(b, s, n, err);
        v = i;
      }
      uint8_t x = v;
      return push_fixed(b, &x, 1, err);
    }
    case LC_T_INT8: case LC_T_INT16: case LC_T_INT32: case LC_T_INT64:
    case LC_T_UINT8: case LC_T_UINT16: case LC_T_UINT32: case LC_T_DURATION: {
      int64_t v;
      if (!lc_input_parse_i64(s, n, &v)) return bad_value(b, s, n, err);
      return push_int(b, s, n, v, err);
    }
    case LC_T_UINT64: {
      uint64_t v;
      if (!parse_u64(s, n, &v)) return bad_value(b, s, n, err);
      return push_fixed(b, &v, 8, err);
    }
    case LC_T_HALF: case LC_T_FLOAT: case LC_T_DOUBLE: {
      double v;
      if (!lc_input_parse_f64(s, n, &v)) return bad_value(b, s, n, err);
      return push_double(b, v, err);
    }
    case LC_T_STRING: case LC_T_LARGE_STRING: case LC_T_BINARY: case LC_T_LARGE_BINARY: case LC_T_FIXED_BINARY:
      return push_bytes(b, s, n, err);
    case LC_T_DATE32: case LC_T_DATE64: {
      int32_t d;
      int64_t iv;
      if (lc_input_parse_date(s, n, &d)) iv = f->type == LC_T_DATE32 ? d : (int64_t)d * 86400000LL;
      else if (!lc_input_parse_i64(s, n, &iv)) return bad_value(b, s, n, err);
      return push_int(b, s, n, iv, err);
    }
    case LC_T_TIMESTAMP: {
      int64_t ns, iv;
      bool z;
      if (lc_input_parse_timestamp(s, n, &ns, &z)) iv = floordiv(ns, 1000000000LL / unit_per_s(f->unit));
      else if (!lc_input_parse_i64(s, n, &iv)) return bad_value(b, s, n, err);
      return push_int(b, s, n, iv, err);
    }
    case LC_T_TIME32: case LC_T_TIME64: {
      int64_t ns, iv;
      const char *p = s;
      size_t m = n;
      while (m && isspace((unsigned char)*p)) p++, m--;
      while (m && isspace((unsigned char)p[m - 1])) m--;
      size_t k = parse_hms(p, m, &ns);
      if (k && k == m) iv = ns / (1000000000LL / unit_per_s(f->unit));
      else if (!lc_input_parse_i64(s, n, &iv)) return bad_value(b, s, n, err);
      return push_int(b, s, n, iv, err);
    }
    case LC_T_DECIMAL128: case LC_T_DECIMAL256: {
      __int128 v;
      if (!parse_decimal(s, n, f->scale, f->precision, &v)) {
        char t[200];
        if (n > 60) n = 60;
        return lc_err(err, LANCEC_ETYPE, "column '%s': '%.*s' is not a number that fits %s", b->path, (int)n, s,
                      lc_field_type_string(f, t, sizeof t));
      }
      uint8_t buf[32];
      memcpy(buf, &v, 16);
      memset(buf + 16, v < 0 ? 0xff : 0, 16);
      return push_fixed(b, buf, (size_t)fbytes(f), err);
    }
    default: {
      /* nested: the cell is JSON text */
      json_error_t je;
      json_t *j = json_loadb(s, n, JSON_DECODE_ANY, &je);
      if (!j) {
        char t[200];
        return lc_err(err, LANCEC_ETYPE, "column '%s': a %s value must be JSON text (%s)", b->path,
                      lc_field_type_string(f, t, sizeof t), je.text);
      }
      int rc = append_json_impl(b, j, 0, err);
      json_decref(j);
      return rc;
    }
  }
}

static int json_mismatch(lc_colb *b, const json_t *v, lancec_error *err) {
  static const char *names[] = {"object (struct)", "array (list)", "string", "integer",
                                "number",          "true",         "false",  "null"};
  char t[200];
  int ty = json_typeof(v);
  return lc_err(err, LANCEC_ETYPE, "column '%s': cannot convert a JSON %s to %s", b->path,
                ty >= 0 && ty < 8 ? names[ty] : "value", lc_field_type_string(b->f, t, sizeof t));
}

static int append_json_impl(lc_colb *b, const json_t *v, int depth, lancec_error *err) {
  const lc_field *f = b->f;
  if (depth > 64) return lc_err(err, LANCEC_ETYPE, "column '%s': nesting too deep", b->path);
  if (!v || json_is_null(v)) return append_null(b, false, err);
  char num[64];
  switch (f->type) {
    case LC_T_STRING: case LC_T_LARGE_STRING: case LC_T_BINARY: case LC_T_LARGE_BINARY: case LC_T_FIXED_BINARY: {
      if (json_is_string(v)) return push_bytes(b, json_string_value(v), json_string_length(v), err);
      if (f->type == LC_T_FIXED_BINARY) return json_mismatch(b, v, err);
      char *txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
      if (!txt) return oom(err);
      int rc = push_bytes(b, txt, strlen(txt), err);
      free(txt);
      return rc;
    }
    case LC_T_LIST: case LC_T_LARGE_LIST: case LC_T_FIXED_LIST: {
      if (!json_is_array(v)) return json_mismatch(b, v, err);
      size_t n = json_array_size(v);
      if (f->type == LC_T_FIXED_LIST && (int64_t)n != f->width)
        return lc_err(err, LANCEC_ETYPE, "column '%s': %zu items for fixed_size_list of %d", b->path, n, f->width);
      for (size_t i = 0; i < n; i++) LC_TRY(append_json_impl(b->ch[0], json_array_get(v, i), depth + 1, err));
      if (f->type != LC_T_FIXED_LIST && push_off(b, b->ch[0]->len, err)) return LANCEC_ENOMEM;
      return push_valid(b, true, err);
    }
    case LC_T_MAP: {
      if (!json_is_object(v)) return json_mismatch(b, v, err);
      lc_colb *e = b->ch[0];
      const char *k;
      json_t *x;
      json_object_foreach((json_t *)v, k, x) {
        LC_TRY(lc_colb_append_text(e->ch[0], k, strlen(k), err));
        LC_TRY(append_json_impl(e->ch[1], x, depth + 1, err));
        LC_TRY(push_valid(e, true, err));
      }
      if (push_off(b, e->len, err)) return LANCEC_ENOMEM;
      return push_valid(b, true, err);
    }
    case LC_T_STRUCT: {
      if (!json_is_object(v)) return json_mismatch(b, v, err);
      const char *k;
      json_t *x;
      json_object_foreach((json_t *)v, k, x) {
        size_t i = 0;
        while (i < f->n_children && strcmp(f->children[i]->name, k)) i++;
        if (i == f->n_children)
          return lc_err(err, LANCEC_ETYPE, "column '%s': key '%s' is not in the schema", b->path, k);
      }
      for (size_t i = 0; i < f->n_children; i++)
        LC_TRY(append_json_impl(b->ch[i], json_object_get(v, f->children[i]->name), depth + 1, err));
      return push_valid(b, true, err);
    }
    default:
      break;
  }
  /* scalars */
  if (json_is_string(v)) return lc_colb_append_text(b, json_string_value(v), json_string_length(v), err);
  if (json_is_boolean(v)) {
    if (f->type != LC_T_BOOL) return json_mismatch(b, v, err);
    uint8_t x = json_is_true(v);
    return push_fixed(b, &x, 1, err);
  }
  if (json_is_integer(v)) {
    if (f->type == LC_T_BOOL) return json_mismatch(b, v, err);
    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return lc_colb_append_text(b, num, strlen(num), err);
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (f->type == LC_T_HALF || f->type == LC_T_FLOAT || f->type == LC_T_DOUBLE) return push_double(b, d, err);
    if (f->type == LC_T_BOOL || f->type == LC_T_DATE32 || f->type == LC_T_DATE64) return json_mismatch(b, v, err);
    snprintf(num, sizeof num, "%.17g", d);
    if (d == trunc(d) && fabs(d) < 9.2e18) snprintf(num, sizeof num, "%lld", (long long)d);
    return lc_colb_append_text(b, num, strlen(num), err);
  }
  return json_mismatch(b, v, err);
}

int lc_colb_append_json(lc_colb *b, const void *json, lancec_error *err) {
  return append_json_impl(b, json, 0, err);
}

static int finish_impl(lc_colb *b, struct ArrowArray *out, lancec_error *err) {
  const lc_field *f = b->f;
  int64_t n = b->len;
  memset(out, 0, sizeof(*out));
  int nb, nc = 0;
  if (f->type == LC_T_NULL) nb = 0;
  else if (f->type == LC_T_STRUCT || f->type == LC_T_FIXED_LIST) nb = 1;
  else if (is_varw(f->type)) nb = 3;
  else nb = 2;
  if (f->type == LC_T_STRUCT) nc = (int)b->nch;
  else if (is_listw(f->type) || f->type == LC_T_FIXED_LIST) nc = 1;
  if (lc_array_init(out, nb, nc)) return oom(err);
  out->length = n;
  if (f->type == LC_T_NULL) {
    out->null_count = n;
    goto done;
  }
  if (b->nulls) {
    uint8_t *v = lc_malloc_aligned(lc_bitmap_bytes(n) + 1);
    if (!v) goto nomem;
    memset(v, 0, lc_bitmap_bytes(n) + 1);
    for (int64_t i = 0; i < n; i++)
      if (b->valid.data[i]) lc_bit_set(v, i);
    lc_array_set_buffer(out, 0, v);
    out->null_count = b->nulls;
  }
  if (f->type == LC_T_BOOL) {
    uint8_t *d = lc_malloc_aligned(lc_bitmap_bytes(n) + 1);
    if (!d) goto nomem;
    memset(d, 0, lc_bitmap_bytes(n) + 1);
    for (int64_t i = 0; i < n; i++)
      if (b->data.data[i]) lc_bit_set(d, i);
    lc_array_set_buffer(out, 1, d);
  } else if (is_varw(f->type) || is_listw(f->type)) {
    bool w64 = f->type == LC_T_LARGE_STRING || f->type == LC_T_LARGE_BINARY || f->type == LC_T_LARGE_LIST;
    const int64_t *o = (const int64_t *)b->offs.data;
    if (!w64 && o[n] > INT32_MAX)
      return lc_err(err, LANCEC_ETYPE, "column '%s': more than 2 GiB in one batch for %s (use a large_ type)",
                    b->path, lc_type_name(f->type));
    uint8_t *ob = lc_malloc_aligned((size_t)(n + 1) * (w64 ? 8 : 4));
    if (!ob) goto nomem;
    for (int64_t i = 0; i <= n; i++) {
      if (w64) ((int64_t *)ob)[i] = o[i];
      else ((int32_t *)ob)[i] = (int32_t)o[i];
    }
    lc_array_set_buffer(out, 1, ob);
    if (is_varw(f->type)) {
      uint8_t *d = lc_malloc_aligned(b->data.len + 1);
      if (!d) goto nomem;
      if (b->data.len) memcpy(d, b->data.data, b->data.len);
      lc_array_set_buffer(out, 2, d);
    }
  } else if (nb == 2) {
    uint8_t *d = lc_malloc_aligned(b->data.len + 1);
    if (!d) goto nomem;
    if (b->data.len) memcpy(d, b->data.data, b->data.len);
    lc_array_set_buffer(out, 1, d);
  }
  for (int i = 0; i < nc; i++) LC_TRY(finish_impl(b->ch[i], out->children[i], err));
done:
  b->len = 0;
  b->nulls = 0;
  b->valid.len = 0;
  b->data.len = 0;
  reset_offsets(b);
  return 0;
nomem:
  return oom(err);
}

int lc_colb_finish(lc_colb *b, struct ArrowArray *out, lancec_error *err) {
  int rc = finish_impl(b, out, err);
  if (rc) lc_array_release(out);
  return rc;
}

/* ---- stream wrapper ------------------------------------------------------------------- */

typedef struct rstream {
  const lc_input_reader_vt *vt;
  void *state;
  lc_field *root;
  bool failed, done;
  char last_error[LANCEC_ERROR_MESSAGE_SIZE];
} rstream;

static int errno_of(int code) {
  return code == LANCEC_ENOMEM ? ENOMEM : code == LANCEC_EIO ? EIO : EINVAL;
}

static int rs_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  rstream *r = s->private_data;
  lancec_error e;
  memset(&e, 0, sizeof e);
  if (lc_ipc_field_to_arrow(r->root, out, &e)) {
    snprintf(r->last_error, sizeof r->last_error, "%s", e.message);
    return errno_of(e.code);
  }
  return 0;
}

static int rs_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  rstream *r = s->private_data;
  memset(out, 0, sizeof(*out));
  if (r->failed) return EINVAL;
  if (r->done) return 0;
  lancec_error e;
  memset(&e, 0, sizeof e);
  int rc = r->vt->next(r->state, out, &e);
  if (rc) {
    r->failed = true;
    snprintf(r->last_error, sizeof r->last_error, "%s", e.message);
    return errno_of(rc);
  }
  if (!out->release) r->done = true;
  return 0;
}

static const char *rs_last_error(struct ArrowArrayStream *s) {
  rstream *r = s->private_data;
  return r && r->last_error[0] ? r->last_error : NULL;
}

static void rs_release(struct ArrowArrayStream *s) {
  if (!s || !s->release) return;
  rstream *r = s->private_data;
  if (r) {
    r->vt->free(r->state);
    lc_ipc_field_free(r->root);
    lc_free(r);
  }
  s->release = NULL;
  s->private_data = NULL;
}

int lc_input_make_stream(struct ArrowArrayStream *out, const lc_input_reader_vt *vt, void *state, lc_field *root,
                         lancec_error *err) {
  rstream *r = lc_calloc(1, sizeof(*r));
  if (!r) {
    vt->free(state);
    lc_ipc_field_free(root);
    return oom(err);
  }
  r->vt = vt, r->state = state, r->root = root;
  out->get_schema = rs_get_schema;
  out->get_next = rs_get_next;
  out->get_last_error = rs_last_error;
  out->release = rs_release;
  out->private_data = r;
  return 0;
}

/* ---- open -------------------------------------------------------------------------------- */

int lc_input_open_file(struct ArrowArrayStream *out, FILE *fp, bool close_fp, const char *name,
                       const lc_input_options *o, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  lc_input_options dflt = LC_INPUT_OPTIONS_INIT;
  if (!o) o = &dflt;
  lc_input_src src;
  memset(&src, 0, sizeof src);
  src.fp = fp, src.close_fp = close_fp;
  src.name = lc_strdup(name ? name : "<input>");
  lc_field *schema = NULL;
  int rc = 0;
  if (!src.name) {
    rc = oom(err);
    goto fail;
  }
  lc_input_format fmt = o->format;
  if (fmt == LC_INPUT_AUTO) fmt = lc_input_format_from_path(name);
  if (fmt == LC_INPUT_AUTO) {
    src.pre = lc_malloc(4096);
    if (!src.pre) {
      rc = oom(err);
      goto fail;
    }
    int64_t got = lc_input_src_read(&src, src.pre, 4096);
    if (got < 0) {
      rc = lc_err(err, LANCEC_EIO, "%s: read error: %s", src.name, strerror(errno));
      goto fail;
    }
    src.pre_len = (size_t)got;
    src.pre_pos = 0;
    fmt = lc_input_format_sniff(src.pre, src.pre_len);
  }
  if (fmt == LC_INPUT_ARROW) return lc_input_arrow_open(out, &src, o, err);
  if (o->schema) {
    rc = lc_input_schema_parse(&schema, o->schema, err);
    if (rc) goto fail;
  }
  const lc_field *sf = schema ? schema : o->schema_field;
  if (sf && sf->type != LC_T_STRUCT) {
    rc = lc_err(err, LANCEC_EINVAL, "schema must be a struct of columns");
    goto fail;
  }
  if (fmt == LC_INPUT_CSV) rc = lc_input_csv_open(out, &src, o, sf, err);
  else rc = lc_input_jsonl_open(out, &src, o, sf, err);
  lc_ipc_field_free(schema);
  return rc;
fail:
  lc_ipc_field_free(schema);
  lc_input_src_close(&src);
  return rc;
}

int lc_input_open(struct ArrowArrayStream *out, const char *path, const lc_input_options *o, lancec_error *err) {
  memset(out, 0, sizeof(*out));
  if (!path || !strcmp(path, "-")) return lc_input_open_file(out, stdin, false, "<stdin>", o, err);
  FILE *fp = fopen(path, "rb");
  if (!fp) return lc_err(err, errno == ENOENT ? LANCEC_ENOTFOUND : LANCEC_EIO, "%s: %s", path, strerror(errno));
  return lc_input_open_file(out, fp, true, path, o, err);
}

int lc_colb_finish_batch(lc_colb **b, size_t n, int64_t rows, struct ArrowArray *out, lancec_error *err) {
  struct ArrowArray *cols = lc_calloc(n ? n : 1, sizeof(struct ArrowArray));
  if (!cols) return lc_err(err, LANCEC_ENOMEM, "out of memory");
  for (size_t k = 0; k < n; k++) {
    int rc = lc_colb_finish(b[k], &cols[k], err);
    if (rc) {
      for (size_t j = 0; j < k; j++) lc_array_release(&cols[j]);
      lc_free(cols);
      return rc;
    }
  }
  int rc = lc_array_make_batch(cols, n, rows, out, err);
  lc_free(cols);
  return rc;
}
