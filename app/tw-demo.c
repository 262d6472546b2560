/* tw-demo.c — a simulated training run, so a new user sees every kind of notification
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `trainwatch --demo` writes a log the way a PyTorch loop with tqdm does
 * (carriage-return progress bars, an evaluation bar, per-epoch summaries,
 * checkpoints, and completion or, with --demo=fail, a CUDA out-of-memory
 * traceback), at a human pace, into a fresh folder; the daemon follows it
 * like any other log. Nothing in it is special-cased downstream.
 */
#include "config.h"

#include "tw-demo.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define EPOCHS 3
#define STEPS 200
#define STEPS_PER_TICK 8
#define EVAL_STEPS 20
/* One tick at speed 1: an epoch takes about 5 s, the whole run about 20 s. */
#define TICK_MS 200

typedef enum
{
  PHASE_HEADER,
  PHASE_TRAIN,
  PHASE_EVAL,
  PHASE_SUMMARY,
  PHASE_DONE,
} Phase;

struct _TwDemo
{
  GObject   parent_instance;

  char     *dir;
  char     *log_path;
  int       fd;
  gboolean  fail;
  guint     tick_id;
  guint     tick_ms;

  Phase     phase;
  int       epoch;
  int       step;
  double    loss;
  GRand    *rand;
};

G_DEFINE_FINAL_TYPE (TwDemo, tw_demo, G_TYPE_OBJECT)

static void
write_text (TwDemo     *self,
            const char *text)
{
  gsize len = strlen (text);
  gsize done = 0;

  while (done < len)
    {
      gssize n = write (self->fd, text + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_message ("Failed to write the demo log '%s': %s", self->log_path, g_strerror (errno));
          return;
        }
      done += n;
    }
}

static char *
format_clock (double seconds)
{
  int s = (int) MAX (seconds, 0);

  return g_strdup_printf ("%02d:%02d", s / 60, s % 60);
}

/* One tqdm line: "desc:  40%|████      | 80/200 [00:02<00:03, 38.12it/s, loss=0.8412]". */
static char *
format_bar (const char *desc,
            int         n,
            int         total,
            double      rate,
            const char *postfix)
{
  static const char * const blocks[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
  GString *bar = g_string_new (NULL);
  g_autofree char *elapsed = format_clock (n / rate);
  g_autofree char *remaining = format_clock ((total - n) / rate);
  double filled = 10.0 * n / total;
  int whole = (int) filled;
  int part = (int) ((filled - whole) * 8);
  char rate_str[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (bar, "%s: %3d%%|", desc, 100 * n / total);
  for (int i = 0; i < whole; i++)
    g_string_append (bar, "█");
  if (whole < 10)
    {
      g_string_append (bar, blocks[part]);
      for (int i = whole + (part > 0 ? 1 : 0); i < 10; i++)
        g_string_append_c (bar, ' ');
    }
  g_ascii_formatd (rate_str, sizeof rate_str, "%.2f", rate);
  g_string_append_printf (bar, "| %d/%d [%s<%s, %sit/s%s%s]", n, total, elapsed, remaining, rate_str,
                          postfix != NULL ? ", " : "", postfix != NULL ? postfix : "");

  return g_string_free (bar, FALSE);
}

static void
write_failure (TwDemo *self)
{
  write_text (self,
              "\nTraceback (most recent call last):\n"
              "  File \"/home/researcher/demo/train.py\", line 88, in <module>\n"
              "    main()\n"
              "  File \"/home/researcher/demo/train.py\", line 71, in main\n"
              "    loss.backward()\n"
              "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
              "capacity of 23.64 GiB of which 1.12 GiB is free.\n");
}

static gboolean
tick_cb (gpointer user_data)
{
  TwDemo *self = user_data;

  switch (self->phase)
    {
    case PHASE_HEADER:
      write_text (self, "Loading CIFAR-10: 50000 training and 10000 validation images\n"
                        "Model: resnet18, 11.2M parameters, batch size 256, 3 epochs\n");
      self->phase = PHASE_TRAIN;
      self->epoch = 1;
      self->step = 0;
      break;

    case PHASE_TRAIN:
      {
        g_autofree char *desc = g_strdup_printf ("Epoch %d/%d", self->epoch, EPOCHS);
        g_autofree char *postfix = NULL;
        g_autofree char *bar = NULL;
        g_autofree char *line = NULL;
        char loss[G_ASCII_DTOSTR_BUF_SIZE];

        self->step = MIN (self->step + STEPS_PER_TICK, STEPS);
        self->loss = MAX (0.05, self->loss * 0.985 + g_rand_double_range (self->rand, -0.01, 0.01));
        postfix = g_strdup_printf ("loss=%s", g_ascii_formatd (loss, sizeof loss, "%.4f", self->loss));
        bar = format_bar (desc, self->step, STEPS, 40.0, postfix);
        line = g_strconcat ("\r", bar, NULL);
        write_text (self, line);

        if (self->fail && self->epoch == 2 && self->step >= STEPS * 3 / 5)
          {
            write_failure (self);
            self->phase = PHASE_DONE;
            break;
          }
        if (self->step == STEPS)
          {
            write_text (self, "\n");
            self->phase = PHASE_EVAL;
            self->step = 0;
          }
      }
      break;

    case PHASE_EVAL:
      {
        g_autofree char *bar = NULL;
        g_autofree char *line = NULL;

        self->step = MIN (self->step + EVAL_STEPS / 2, EVAL_STEPS);
        bar = format_bar ("Validating", self->step, EVAL_STEPS, 95.0, NULL);
        line = g_strconcat ("\r", bar, self->step == EVAL_STEPS ? "\n" : "", NULL);
        write_text (self, line);
        if (self->step == EVAL_STEPS)
          self->phase = PHASE_SUMMARY;
      }
      break;

    case PHASE_SUMMARY:
      {
        char train_loss[G_ASCII_DTOSTR_BUF_SIZE];
        char val_acc[G_ASCII_DTOSTR_BUF_SIZE];
        g_autofree char *summary = NULL;

        g_ascii_formatd (train_loss, sizeof train_loss, "%.4f", self->loss * 1.1);
        g_ascii_formatd (val_acc, sizeof val_acc, "%.4f", 0.62 + 0.1 * self->epoch - self->loss * 0.05);
        summary = g_strdup_printf ("epoch %d: train_loss=%s val_acc=%s\nSaved checkpoint to %s/ckpt_ep%d.pt\n",
                                   self->epoch, train_loss, val_acc, self->dir, self->epoch);
        write_text (self, summary);
        if (self->epoch == EPOCHS)
          {
            write_text (self, "Training complete.\n");
            self->phase = PHASE_DONE;
          }
        else
          {
            self->epoch++;
            self->step = 0;
            self->phase = PHASE_TRAIN;
          }
      }
      break;

    case PHASE_DONE:
    default:
      break;
    }

  if (self->phase == PHASE_DONE)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
tw_demo_dispose (GObject *object)
{
  TwDemo *self = TW_DEMO (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  G_OBJECT_CLASS (tw_demo_parent_class)->dispose (object);
}

static void
tw_demo_finalize (GObject *object)
{
  TwDemo *self = TW_DEMO (object);

  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->log_path, g_free);

  G_OBJECT_CLASS (tw_demo_parent_class)->finalize (object);
}

static void
tw_demo_class_init (TwDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tw_demo_dispose;
  object_class->finalize = tw_demo_finalize;
}

static void
tw_demo_init (TwDemo *self)
{
  self->fd = -1;
  self->loss = 2.3;
  self->rand = g_rand_new_with_seed (42);
}

/**
 * tw_demo_new:
 * @fail: whether the run ends in a CUDA out-of-memory error
 * @speed: how many times faster than a human pace (1 or more)
 * @error: return location for a #GError
 *
 * Creates the demo's folder (in the temporary directory) and its empty
 * log; nothing is written until tw_demo_start().
 *
 * Returns: (transfer full) (nullable): the demo, or %NULL with @error set
 */
TwDemo *
tw_demo_new (gboolean   fail,
             double     speed,
             GError   **error)
{
  g_autoptr(TwDemo) self = g_object_new (TW_TYPE_DEMO, NULL);
  int saved_errno;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self->fail = fail;
  self->tick_ms = (guint) MAX (1.0, TICK_MS / MAX (speed, 1.0));
  self->dir = g_dir_make_tmp ("trainwatch-demo-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;

  self->log_path = g_build_filename (self->dir, "train.log", NULL);
  self->fd = g_open (self->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (self->fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the demo log “%s”: %s"), self->log_path, g_strerror (saved_errno));
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * tw_demo_get_log_path:
 * @self: a #TwDemo
 *
 * Returns: the log the demo writes
 */
const char *
tw_demo_get_log_path (TwDemo *self)
{
  g_return_val_if_fail (TW_IS_DEMO (self), NULL);

  return self->log_path;
}

/**
 * tw_demo_start:
 * @self: a #TwDemo
 *
 * Starts writing the simulated run's log, one update a tick.
 */
void
tw_demo_start (TwDemo *self)
{
  g_return_if_fail (TW_IS_DEMO (self));
  g_return_if_fail (self->tick_id == 0);

  self->tick_id = g_timeout_add (self->tick_ms, tick_cb, self);
}
