/* tw-extract-failure-line.c — what one line says about a failure, with no memory of the
 * lines before it: the stateless half of tw-extract-failure.c
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* memmem */
#define _GNU_SOURCE 1

#include "config.h"

#include "tw-extract-failure-line.h"

/* "nan" or "non-finite" in any case, at a position the caller found an 'n' or 'N'. */
static gboolean
nan_at (const char *p,
        gsize       left)
{
  if (left >= 3
      && (p[1] == 'a' || p[1] == 'A')
      && (p[2] == 'n' || p[2] == 'N'))
    return TRUE;

  return left >= 10 && g_ascii_strncasecmp (p, "non-finite", 10) == 0;
}

#ifdef __GNUC__
typedef guint8 Block __attribute__ ((vector_size (16)));

/* The candidates, as vectors of the bytes at p, p + 1, … p + 4 for 16 (or 32) positions
 * p at once: see tw_failure_line_find_candidate(). GCC's vector extensions make this
 * SSE2 or AVX2 on x86-64 and NEON on ARM, without intrinsics. */
#define CANDIDATES(a, b, c, d, e, a_low, b_low, c_low, d_low) \
  (((a == 'T') & (b == 'r') & (c == 'a') & (d == 'c'))                                  \
   | ((a == 'r') & (b == 'r') & (c == 'o') & (d == 'r'))                                \
   | ((a_low == 'k') & (b == 'i') & (c == 'l') & (d == 'l'))                            \
   | ((a == 'C') & (b == 'U') & (((c == 'D') & (((d == 'A') & (e == ' ')) | (d == 'N'))) \
                                 | ((c == 'B') & (d == 'L'))))                          \
   | ((a_low == 'n') & (((b_low == 'a') & (c_low == 'n'))                               \
                        | ((b_low == 'o') & (c_low == 'n') & (d == '-'))                \
                        | ((b_low == 'c') & (c_low == 'c') & (d_low == 'l')))))

/* The first two bytes of the candidates: cheap to test, and most text has none, so the
 * whole test runs only on the blocks that have one. */
#define CANDIDATE_PAIRS(a, b, a_low, b_low)                                                \
  (((b == 'r') & ((a == 'T') | (a == 'r'))) | ((a_low == 'k') & (b == 'i'))                \
   | ((a == 'C') & (b == 'U'))                                                            \
   | ((a_low == 'n') & ((b_low == 'a') | (b_low == 'o') | (b_low == 'c'))))

/* Whether a candidate starts at one of the 16 positions of @p; reads 20 bytes. */
static inline gboolean
block_has_candidate (const guint8 *p)
{
  Block a, b, c, d, e;
  guint64 half[2];

  Block pairs;

  memcpy (&a, p, sizeof a);
  memcpy (&b, p + 1, sizeof b);
  pairs = (Block) CANDIDATE_PAIRS (a, b, (a | 0x20), (b | 0x20));
  memcpy (half, &pairs, sizeof half);
  if ((half[0] | half[1]) == 0)
    return FALSE;
  memcpy (&c, p + 2, sizeof c);
  memcpy (&d, p + 3, sizeof d);
  memcpy (&e, p + 4, sizeof e);
  a = (Block) CANDIDATES (a, b, c, d, e, (a | 0x20), (b | 0x20), (c | 0x20), (d | 0x20));
  memcpy (half, &a, sizeof half);

  return (half[0] | half[1]) != 0;
}

#if defined(__x86_64__) && !defined(__clang__)
#define HAVE_AVX2_BLOCKS 1
typedef guint8 Block32 __attribute__ ((vector_size (32)));

/* block_has_candidate() 32 bytes at a time, which AVX2 does in one go (only called
 * where the processor has it): where the first block of 32 that may hold a candidate
 * starts, or where fewer than 36 bytes are left. */
__attribute__ ((target ("avx2")))
static const char *
skip_blocks_avx2 (const char *p,
                  const char *end)
{
  for (; p + 36 <= end; p += 32)
    {
      Block32 a, b, c, d, e, pairs;
      guint64 part[4];

      memcpy (&a, p, sizeof a);
      memcpy (&b, p + 1, sizeof b);
      pairs = (Block32) CANDIDATE_PAIRS (a, b, (a | 0x20), (b | 0x20));
      memcpy (part, &pairs, sizeof part);
      if ((part[0] | part[1] | part[2] | part[3]) == 0)
        continue;
      memcpy (&c, p + 2, sizeof c);
      memcpy (&d, p + 3, sizeof d);
      memcpy (&e, p + 4, sizeof e);
      a = (Block32) CANDIDATES (a, b, c, d, e, (a | 0x20), (b | 0x20), (c | 0x20), (d | 0x20));
      memcpy (part, &a, sizeof part);
      if ((part[0] | part[1] | part[2] | part[3]) != 0)
        break;
    }
  return p;
}
#endif
#endif

/**
 * tw_failure_line_find_candidate:
 * @p: text, not NUL-terminated (raw bytes will do: only ASCII pairs are looked for)
 * @len: its length in bytes
 *
 * The prefilter's prefilter: finds the first place where one of the literals of
 * tw_failure_line_may_matter() could start, by its first bytes: "Trac", "rror",
 * "Kill", "kill", "CUDA ", "CUDN", "CUBL", and "nan", "non-" and "nccl" in any case
 * (a superset of the literals; "CUDA_VISIBLE_DEVICES" or "Non-trainable" in every
 * other line of a log would make most lines candidates). Fast enough to run over a
 * whole read buffer at once.
 *
 * Returns: (nullable): the first candidate in @p, or %NULL when @p holds none
 */
const char *
tw_failure_line_find_candidate (const char *p,
                                gsize       len)
{
  const char *end = p + len;

#ifdef HAVE_AVX2_BLOCKS
  if (__builtin_cpu_supports ("avx2"))
    p = skip_blocks_avx2 (p, end);
#endif
#ifdef __GNUC__
  while (p + 20 <= end)
    {
      if (block_has_candidate ((const guint8 *) p))
        break;
      p += 16;
    }
#endif
  for (; p + 2 < end; p++)
    {
      gsize left = end - p;
      char a = p[0];
      char b = p[1];
      char c = p[2];
      char d = left > 3 ? p[3] : '\0';
      char e = left > 4 ? p[4] : '\0';

      if (CANDIDATES (a, b, c, d, e, (a | 0x20), (b | 0x20), (c | 0x20), (d | 0x20)))
        return p;
    }

  return NULL;
}

/**
 * tw_failure_line_may_matter:
 * @line: one clean line, not NUL-terminated
 * @len: its length in bytes
 *
 * The prefilter: one pass over @line looking for the literals any failure needs
 * ("Traceback", "rror", "Killed", "NCCL", "nan", …), without allocating. Most lines of a
 * log are progress bars and fail it.
 *
 * Returns: %FALSE when @line cannot be, or start, a failure outside a traceback
 */
gboolean
tw_failure_line_may_matter (const char *line,
                            gsize       len)
{
  const char *end = line + len;

  /* from candidate to candidate, each found many bytes at a time */
  for (const char *p = line; p < end; p++)
    {
      gsize left;

      p = tw_failure_line_find_candidate (p, end - p);
      if (p == NULL)
        return FALSE;

      left = end - p;
      switch (*p)
        {
        case 'T':
          if (TW_HAS_PREFIX (p, left, "Traceback"))
            return TRUE;
          break;
        case 'r':
          if (TW_HAS_PREFIX (p, left, "rror"))
            return TRUE;
          break;
        case 'K':
          if (TW_HAS_PREFIX (p, left, "Killed"))
            return TRUE;
          break;
        case 'k':
          if (TW_HAS_PREFIX (p, left, "killed"))
            return TRUE;
          break;
        case 'C':
          if (TW_HAS_PREFIX (p, left, "CUDA out of memory")
              || TW_HAS_PREFIX (p, left, "CUBLAS_STATUS_")
              || TW_HAS_PREFIX (p, left, "CUDNN_STATUS_"))
            return TRUE;
          break;
        case 'N':
          if (TW_HAS_PREFIX (p, left, "NCCL") || nan_at (p, left))
            return TRUE;
          break;
        case 'n':
          if (TW_HAS_PREFIX (p, left, "nccl") || nan_at (p, left))
            return TRUE;
          break;
        default:
          break;
        }
    }

  return FALSE;
}

static gboolean
has_nan_token (const char *p,
               gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((p[i] == 'n' || p[i] == 'N') && nan_at (p + i, len - i))
      return TRUE;

  return FALSE;
}

/**
 * tw_failure_line_is_blank:
 * @p: text, not NUL-terminated
 * @len: its length in bytes
 *
 * Returns: whether @p is empty or ASCII space only
 */
gboolean
tw_failure_line_is_blank (const char *p,
                          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (p[i]))
      return FALSE;

  return TRUE;
}

/**
 * tw_failure_line_strip_rank_prefix:
 * @line: (inout): one clean line
 * @len: (inout): its length in bytes
 *
 * Moves @line past the "[rank0]:" or "[default0]:" (and one space) that torchrun and
 * torch.distributed.launch with --tee put before every line of a rank.
 */
void
tw_failure_line_strip_rank_prefix (const char **line,
                                   gsize       *len)
{
  const char *p = *line;
  gsize left = *len;
  gsize i;

  if (left < 4 || p[0] != '[')
    return;

  if (TW_HAS_PREFIX (p, left, "[rank"))
    i = 5;
  else if (TW_HAS_PREFIX (p, left, "[default"))
    i = 8;
  else
    return;

  if (i >= left || !g_ascii_isdigit (p[i]))
    return;
  while (i < left && g_ascii_isdigit (p[i]))
    i++;
  if (!TW_HAS_PREFIX (p + i, left - i, "]:"))
    return;
  i += 2;
  if (i < left && p[i] == ' ')
    i++;

  *line = p + i;
  *len = left - i;
}

/**
 * tw_failure_line_dup_text:
 * @p: valid UTF-8 text, not NUL-terminated
 * @len: its length in bytes
 * @collapse: whether to fold runs of spaces into one (bash pads "Killed" with them)
 *
 * Copies @p for a message: ASCII space trimmed, at most %TW_FAILURE_MESSAGE_MAX bytes
 * (cut at a character boundary).
 *
 * Returns: (transfer full): the text
 */
char *
tw_failure_line_dup_text (const char *p,
                          gsize       len,
                          gboolean    collapse)
{
  GString *text;

  while (len > 0 && g_ascii_isspace (p[0]))
    {
      p++;
      len--;
    }
  while (len > 0 && g_ascii_isspace (p[len - 1]))
    len--;

  if (len > TW_FAILURE_MESSAGE_MAX)
    {
      len = TW_FAILURE_MESSAGE_MAX;
      while (len > 0 && ((guchar) p[len] & 0xC0) == 0x80)
        len--;
    }

  if (!collapse)
    return g_strndup (p, len);

  text = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      if (g_ascii_isspace (p[i]))
        {
          if (text->len > 0 && text->str[text->len - 1] == ' ')
            continue;
          g_string_append_c (text, ' ');
        }
      else
        g_string_append_c (text, p[i]);
    }

  return g_string_free (text, FALSE);
}

/**
 * tw_failure_line_parse_exception:
 * @line: one clean line, not NUL-terminated
 * @len: its length in bytes
 * @name_len: (out): the length of the exception's name at the start of @line
 * @message: (out): where its message starts (space after the colon skipped)
 * @message_len: (out): the message's length; 0 for a bare name
 *
 * Reads the last line of a traceback: "ValueError: message", "torch.OutOfMemoryError: …"
 * or a bare "KeyboardInterrupt". Names in capitals only ("INFO:", "WARNING:") are log
 * levels, not exceptions.
 *
 * Returns: whether @line has that shape
 */
gboolean
tw_failure_line_parse_exception (const char  *line,
                                 gsize        len,
                                 gsize       *name_len,
                                 const char **message,
                                 gsize       *message_len)
{
  gboolean lower = FALSE;
  gsize i = 0;
  gsize rest;

  for (;;)
    {
      if (i >= len || !(g_ascii_isalpha (line[i]) || line[i] == '_'))
        return FALSE;
      while (i < len && (g_ascii_isalnum (line[i]) || line[i] == '_'))
        {
          if (g_ascii_islower (line[i]))
            lower = TRUE;
          i++;
        }
      if (i < len && line[i] == '.')
        {
          i++;
          continue;
        }
      break;
    }

  if (!lower)
    return FALSE;

  *name_len = i;
  rest = i;
  if (rest < len && line[rest] == ':')
    {
      rest++;
      while (rest < len && g_ascii_isspace (line[rest]))
        rest++;
      *message = line + rest;
      *message_len = len - rest;
      return TRUE;
    }

  if (!tw_failure_line_is_blank (line + rest, len - rest))
    return FALSE;

  *message = line + len;
  *message_len = 0;
  return TRUE;
}

static gboolean
is_nccl_error (const char *p,
               gsize       len)
{
  if (TW_FIND (p, len, "NCCL error") || TW_FIND (p, len, "ncclInternalError")
      || TW_FIND (p, len, "ncclSystemError") || TW_FIND (p, len, "ncclUnhandledCudaError")
      || TW_FIND (p, len, "ncclRemoteError") || TW_FIND (p, len, "ncclInvalidUsage")
      || TW_FIND (p, len, "ncclInvalidArgument"))
    return TRUE;

  /* Watchdog timeouts; the "TIMEOUT(ms): 600000" of ProcessGroupNCCL's start-up line
   * is neither. */
  return TW_FIND (p, len, "NCCL") != NULL
         && (TW_FIND (p, len, "timeout") || TW_FIND (p, len, "timed out")
             || TW_FIND (p, len, "Timeout"))
         && (TW_FIND (p, len, "atchdog") || TW_FIND (p, len, "WARN") || TW_FIND (p, len, "[E")
             || TW_FIND (p, len, "rror"));
}

/**
 * tw_failure_line_classify:
 * @nan_regex: from tw_failure_line_new_nan_regex()
 * @p: a line or an exception's message, not NUL-terminated
 * @len: its length in bytes
 *
 * Tells what @p says about a failure: CUDA out of memory, a CUDA error, an NCCL error or
 * a NaN loss in words.
 *
 * Returns: the kind, or %TW_FAILURE_NONE when @p says none of these
 */
TwFailureKind
tw_failure_line_classify (GRegex     *nan_regex,
                          const char *p,
                          gsize       len)
{
  if (TW_FIND (p, len, "CUDA out of memory") || TW_FIND (p, len, "CUDA error: out of memory")
      || TW_FIND (p, len, "RESOURCE_EXHAUSTED: Out of memory"))
    return TW_FAILURE_OUT_OF_MEMORY;

  if (TW_FIND (p, len, "CUDA error:") || TW_FIND (p, len, "CUBLAS_STATUS_")
      || TW_FIND (p, len, "CUDNN_STATUS_") || TW_FIND (p, len, "cuDNN error"))
    return TW_FAILURE_CUDA_ERROR;

  if (is_nccl_error (p, len))
    return TW_FAILURE_NCCL_ERROR;

  if (has_nan_token (p, len)
      && g_regex_match_full (nan_regex, p, len, 0, 0, NULL, NULL))
    return TW_FAILURE_NAN;

  return TW_FAILURE_NONE;
}

/**
 * tw_failure_line_classify_exception:
 * @nan_regex: from tw_failure_line_new_nan_regex()
 * @name: the exception's name, not NUL-terminated
 * @name_len: its length in bytes
 * @message: its message, not NUL-terminated
 * @message_len: its length in bytes
 *
 * Tells what kind of failure an exception is, from its name (…OutOfMemoryError,
 * DistBackendError, nccl…) and its message.
 *
 * Returns: the kind; %TW_FAILURE_EXCEPTION when nothing more specific
 */
TwFailureKind
tw_failure_line_classify_exception (GRegex     *nan_regex,
                                    const char *name,
                                    gsize       name_len,
                                    const char *message,
                                    gsize       message_len)
{
  TwFailureKind kind;

  if (name_len >= 16 && memcmp (name + name_len - 16, "OutOfMemoryError", 16) == 0)
    return TW_FAILURE_OUT_OF_MEMORY;

  kind = tw_failure_line_classify (nan_regex, message, message_len);
  if (kind != TW_FAILURE_NONE)
    return kind;

  if ((name_len >= 16 && memcmp (name + name_len - 16, "DistBackendError", 16) == 0)
      || TW_HAS_PREFIX (name, name_len, "nccl"))
    return TW_FAILURE_NCCL_ERROR;

  return TW_FAILURE_EXCEPTION;
}

/* Where the shell's own words begin before @limit ("bash: line 1: …"), or NULL. */
static const char *
find_shell (const char *line,
            const char *limit)
{
  const char *shell = NULL;

  for (const char *s = line; s + 4 <= limit; s++)
    if (memcmp (s, "sh: ", 4) == 0)
      shell = s;

  if (shell != NULL)
    while (shell > line && !g_ascii_isspace (shell[-1]) && shell[-1] != ']')
      shell--;

  return shell;
}

/**
 * tw_failure_line_find_killed:
 * @line: one clean line, not NUL-terminated
 * @len: its length in bytes
 * @start: (out): where the shell's report starts in @line
 *
 * Finds "Killed" as a shell reports a SIGKILL: "bash: line 1:  1220 Killed   python3 …",
 * "[1]+  Killed   python …", "zsh: killed  python …", or a bare "Killed" (possibly right
 * after a progress bar's last update). Not "killed by user" prose.
 *
 * Returns: whether @line has one
 */
gboolean
tw_failure_line_find_killed (const char  *line,
                             gsize        len,
                             const char **start)
{
  const char *end = line + len;
  const char *p = line;
  const char *hit;

  while ((hit = TW_FIND (p, end - p, "illed")) != NULL)
    {
      const char *k = hit - 1;
      const char *after = hit + 5;
      const char *q;

      p = after;
      if (hit == line || (*k != 'K' && *k != 'k'))
        continue;
      if (after < end && (g_ascii_isalnum (*after) || *after == '_'))
        continue;

      if (*k == 'k')
        {
          if (k - line >= 5 && memcmp (k - 5, "zsh: ", 5) == 0)
            {
              *start = k - 5;
              return TRUE;
            }
          continue;
        }

      q = k;
      while (q > line && q[-1] == ' ')
        q--;

      /* A bare "Killed" or "Killed: 9", maybe right after a bar's last "…]" */
      if (q == k && (k == line || k[-1] == ']')
          && (tw_failure_line_is_blank (after, end - after) || *after == ':'))
        {
          *start = k;
          return TRUE;
        }

      /* "<pid> Killed", after "bash: line 1: " or not */
      if (q < k && q > line && g_ascii_isdigit (q[-1]))
        {
          const char *d = q;
          const char *shell;

          while (d > line && g_ascii_isdigit (d[-1]))
            d--;
          if (d == line || g_ascii_isspace (d[-1]) || d[-1] == ':' || d[-1] == ']')
            {
              shell = find_shell (line, d);
              *start = shell != NULL ? shell : d;
              return TRUE;
            }
        }

      /* A job: "[1]+  Killed" */
      if (q < k && q - line >= 2 && (q[-1] == '+' || q[-1] == '-') && q[-2] == ']')
        {
          *start = k;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * tw_failure_line_new_nan_regex:
 *
 * Compiles the expression for a NaN loss said in words ("loss is nan", "nan loss",
 * "detected NaN", "non-finite loss", …), for tw_failure_line_classify().
 *
 * Returns: (transfer full): the expression
 */
GRegex *
tw_failure_line_new_nan_regex (void)
{
  GRegex *regex;

  /* Phrases only: a metric "loss=nan" is the metric extractor's, and "nan" inside a
   * word ("nano", "finance", "banana") is nothing. */
  regex = g_regex_new ("\\b(?:"
                       "loss(?:es)?\\s+(?:is|are|was|were|became|becomes|has\\s+become)"
                       "\\s+(?:(?:inf|infinite|infinity)\\s+or\\s+)?nan"
                       "|nan\\s+loss"
                       "|(?:detected|found|encountered|returned|got)\\s+(?:a\\s+)?nan"
                       "|non-finite\\s+loss"
                       "|loss\\s+(?:is|was|became)\\s+non-finite"
                       ")\\b",
                       G_REGEX_CASELESS | G_REGEX_RAW | G_REGEX_OPTIMIZE, 0, NULL);
  g_assert (regex != NULL);

  return regex;
}
