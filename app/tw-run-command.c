/* tw-run-command.c — `trainwatch run -- CMD`: run a training command, copy and log its output
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command runs as a child of this process, in the same process group
 * so that Ctrl+C at the terminal reaches it directly. Its output is copied
 * byte for byte to our standard output and error, and appended to a log
 * under $XDG_STATE_HOME/trainwatch/runs/ that the daemon follows as the
 * run's job. When the command has ended and its output is drained, the
 * daemon is told its exit status, and ours becomes the command's, as a
 * shell's would.
 *
 * On a terminal the command writes to a pseudo-terminal of its own with
 * our window size, so progress bars and colours look as they do without
 * us; elsewhere it writes to pipes and Python is asked not to buffer.
 */
#include "config.h"

#include "tw-run-command.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tw-client.h"

/* What is read from the command at once. */
#define READ_CHUNK (64 * 1024)
/* After the command exited, output that stays quiet this long is done:
 * a pseudo-terminal hands on what was written a moment later, and a
 * background process may keep the pipe open for ever. */
#define DRAIN_QUIET_MS 500
/* The part of a log's file name that comes from the run's name, in bytes. */
#define LOG_NAME_MAX 120

/* As shells do. */
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

typedef struct _Run Run;

typedef struct
{
  Run      *run;
  int       fd;       /* read end, or -1 once drained */
  int       out_fd;   /* where its bytes are copied: 1 or 2 */
  guint     watch_id;
} Stream;

struct _Run
{
  GMainLoop *loop;
  char      *name;
  GPid       pid;           /* 0 once reaped */
  gboolean   exited;
  int        wait_status;
  Stream     streams[2];
  guint      n_streams;
  guint      quiet_id;
  int        log_fd;        /* -1 without a log, or after it failed */
  char      *log_path;
  int        pty_master;    /* -1 when the command writes to pipes */
  gboolean   out_failed[3]; /* indexed by out_fd */
  guint8    *buf;           /* READ_CHUNK bytes */
};

static gboolean
is_launcher (const char *base)
{
  return g_str_has_prefix (base, "python") || g_str_has_prefix (base, "pypy") ||
         g_str_equal (base, "torchrun") || g_str_equal (base, "deepspeed") ||
         g_str_equal (base, "accelerate");
}

static char *
dup_script_name (const char * const *argv)
{
  for (guint i = 1; argv[i] != NULL; i++)
    {
      const char *arg = argv[i];
      const char *module = NULL;

      if (g_str_equal (arg, "-m") && argv[i + 1] != NULL)
        module = argv[i + 1];
      else if (g_str_has_prefix (arg, "-m") && arg[2] != '\0' && arg[1] != '-')
        module = arg + 2;
      else if (g_str_equal (arg, "-c"))
        return NULL;

      if (module != NULL)
        {
          const char *dot = strrchr (module, '.');

          return g_strdup (dot != NULL ? dot + 1 : module);
        }

      if (arg[0] != '-' && g_str_has_suffix (arg, ".py"))
        {
          g_autofree char *base = g_path_get_basename (arg);

          return g_strndup (base, strlen (base) - strlen (".py"));
        }
    }

  return NULL;
}

/**
 * tw_run_command_dup_name:
 * @argv: (array zero-terminated=1): a command and its arguments
 *
 * Names a run after its command the way its user would: the script or
 * module a Python interpreter or launcher (`torchrun`, `accelerate`,
 * `deepspeed`) runs, otherwise the program's base name.
 *
 * Returns: (transfer full): the name, non-empty UTF-8
 */
char *
tw_run_command_dup_name (const char * const *argv)
{
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  base = g_path_get_basename (argv[0]);
  if (is_launcher (base))
    name = dup_script_name (argv);
  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      name = g_steal_pointer (&base);
    }
  if (name[0] == '\0' || g_str_equal (name, G_DIR_SEPARATOR_S) || g_str_equal (name, "."))
    {
      g_free (name);
      name = g_strdup ("run");
    }

  return g_utf8_make_valid (name, -1);
}

/* The run's name as part of a file name: no folder separators, not too long. */
static char *
dup_file_name_part (const char *name)
{
  GString *part = g_string_new (NULL);

  for (const char *p = name; *p != '\0' && part->len < LOG_NAME_MAX; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == G_DIR_SEPARATOR || (part->len == 0 && c == '.'))
        g_string_append_c (part, '_');
      else
        g_string_append_unichar (part, c);
    }

  return g_string_free (part, FALSE);
}

static int
open_run_log (const char  *name,
              char       **path_out,
              GError     **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "trainwatch", "runs", NULL);
  g_autofree char *part = dup_file_name_part (name);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return -1;
    }

  /* Two runs of one name in the same second each get a log of their own. */
  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *base = n == 1 ? g_strdup_printf ("%s-%s.log", part, stamp)
                                     : g_strdup_printf ("%s-%s-%u.log", part, stamp, n);
      g_autofree char *path = g_build_filename (dir, base, NULL);
      int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);

      if (fd >= 0)
        {
          *path_out = g_steal_pointer (&path);
          return fd;
        }
      if (errno != EEXIST)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Failed to create the log “%s”: %s"), path, g_strerror (saved_errno));
          return -1;
        }
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               _("Too many logs named “%s-%s” in “%s”."), part, stamp, dir);
  return -1;
}

/* Writes all of @data, waiting while @fd is full. Sets errno on failure. */
static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK)
            {
              struct pollfd pfd = { fd, POLLOUT, 0 };

              if (poll (&pfd, 1, -1) < 0 && errno != EINTR)
                return FALSE;
              continue;
            }
          return FALSE;
        }
      data += n;
      len -= n;
    }

  return TRUE;
}

static void
copy_out (Run          *run,
          int           out_fd,
          const guint8 *data,
          gsize         len)
{
  if (!run->out_failed[out_fd] && !write_all (out_fd, data, len))
    {
      int saved_errno = errno;

      /* Whoever read our output went away; the run and its log go on. */
      run->out_failed[out_fd] = TRUE;
      if (out_fd != STDERR_FILENO && !run->out_failed[STDERR_FILENO])
        g_printerr (_("trainwatch: Cannot copy the command’s output any more: %s; it is still logged.\n"),
                    g_strerror (saved_errno));
    }

  if (run->log_fd >= 0 && !write_all (run->log_fd, data, len))
    {
      int saved_errno = errno;

      /* A full disk must stop neither the command nor the copy. */
      g_printerr (_("trainwatch: Cannot write the log “%s”: %s; the command goes on, unlogged.\n"),
                  run->log_path, g_strerror (saved_errno));
      g_close (run->log_fd, NULL);
      run->log_fd = -1;
    }
}

static void maybe_finish (Run *run);

static void
stream_close (Stream *stream)
{
  g_clear_handle_id (&stream->watch_id, g_source_remove);
  if (stream->fd >= 0)
    {
      g_close (stream->fd, NULL);
      stream->fd = -1;
    }
}

/* Reads once from @stream. Returns FALSE once it is drained or broken. */
static gboolean
stream_read (Stream *stream)
{
  guint8 *buf = stream->run->buf;
  gssize n;

  do
    n = read (stream->fd, buf, READ_CHUNK);
  while (n < 0 && errno == EINTR);

  if (n > 0)
    {
      copy_out (stream->run, stream->out_fd, buf, n);
      return TRUE;
    }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return TRUE;

  /* 0 is the end of a pipe; a pseudo-terminal whose other side is all
   * closed answers EIO instead. */
  if (n < 0 && errno != EIO)
    g_printerr (_("trainwatch: Cannot read the command’s output: %s\n"), g_strerror (errno));
  stream_close (stream);
  return FALSE;
}

static gboolean
drain_quiet_cb (gpointer user_data)
{
  Run *run = user_data;

  run->quiet_id = 0;

  /* Take what is already there, and leave what may come later. */
  for (guint i = 0; i < run->n_streams; i++)
    {
      Stream *stream = &run->streams[i];
      struct pollfd pfd;

      while (stream->fd >= 0)
        {
          pfd.fd = stream->fd;
          pfd.events = POLLIN;
          pfd.revents = 0;
          if (poll (&pfd, 1, 0) <= 0)
            break;
          stream_read (stream);
        }
      stream_close (stream);
    }

  maybe_finish (run);
  return G_SOURCE_REMOVE;
}

static void
restart_quiet_timer (Run *run)
{
  g_clear_handle_id (&run->quiet_id, g_source_remove);
  run->quiet_id = g_timeout_add (DRAIN_QUIET_MS, drain_quiet_cb, run);
}

static gboolean
stream_readable_cb (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  Stream *stream = user_data;
  Run *run = stream->run;

  if (!stream_read (stream))
    {
      /* stream_read removed this source already. */
      maybe_finish (run);
      return G_SOURCE_REMOVE;
    }

  if (run->exited)
    restart_quiet_timer (run);
  return G_SOURCE_CONTINUE;
}

static void
maybe_finish (Run *run)
{
  for (guint i = 0; i < run->n_streams; i++)
    if (run->streams[i].fd >= 0)
      return;

  if (run->exited)
    g_main_loop_quit (run->loop);
}

static void
child_exited_cb (GPid     pid,
                 int      wait_status,
                 gpointer user_data)
{
  Run *run = user_data;

  g_spawn_close_pid (pid);
  run->pid = 0;
  run->exited = TRUE;
  run->wait_status = wait_status;

  restart_quiet_timer (run);
  maybe_finish (run);
}

static gboolean
ignore_signal_cb (gpointer user_data)
{
  /* The child, in our process group, got the terminal's signal too. */
  return G_SOURCE_CONTINUE;
}

static gboolean
forward_sigterm_cb (gpointer user_data)
{
  Run *run = user_data;

  if (run->pid > 0)
    kill (run->pid, SIGTERM);
  return G_SOURCE_CONTINUE;
}

static gboolean
forward_sighup_cb (gpointer user_data)
{
  Run *run = user_data;

  if (run->pid > 0)
    kill (run->pid, SIGHUP);
  return G_SOURCE_CONTINUE;
}

static void
copy_window_size (Run *run)
{
  struct winsize ws;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl (run->pty_master, TIOCSWINSZ, &ws);
}

static gboolean
window_changed_cb (gpointer user_data)
{
  Run *run = user_data;

  copy_window_size (run);
  /* The pseudo-terminal is nobody's controlling terminal, so the kernel
   * tells nobody it changed; the child may have looked before we did. */
  if (run->pid > 0)
    kill (run->pid, SIGWINCH);
  return G_SOURCE_CONTINUE;
}

static void
do_nothing_handler (int signal_number)
{
}

static gboolean
signal_is_ignored (int signal_number)
{
  struct sigaction old;

  return sigaction (signal_number, NULL, &old) == 0 && old.sa_handler == SIG_IGN;
}

/* Unlike SIG_IGN, a handler is reset by exec, so the child still gets the
 * default; a signal ignored when we started (nohup) stays ignored for both. */
static void
catch_quietly (int signal_number)
{
  struct sigaction action = { 0 };

  if (signal_is_ignored (signal_number))
    return;
  action.sa_handler = do_nothing_handler;
  action.sa_flags = SA_RESTART;
  sigemptyset (&action.sa_mask);
  sigaction (signal_number, &action, NULL);
}

static guint
add_signal (int         signal_number,
            GSourceFunc callback,
            Run        *run)
{
  if (signal_is_ignored (signal_number))
    return 0;
  return g_unix_signal_add (signal_number, callback, run);
}

static void
add_stream (Run *run,
            int  fd,
            int  out_fd)
{
  Stream *stream = &run->streams[run->n_streams++];

  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  stream->run = run;
  stream->fd = fd;
  stream->out_fd = out_fd;
  stream->watch_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, stream_readable_cb, stream);
}

static gboolean
spawn_command (Run                *run,
               const char * const *argv,
               GError            **error)
{
  g_auto(GStrv) envp = g_get_environ ();
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP |
                      G_SPAWN_CHILD_INHERITS_STDIN;
  int out_fd = -1;
  int err_fd = -1;

  if (isatty (STDOUT_FILENO))
    {
      struct winsize ws;
      int slave = -1;
      gboolean spawned;

      if (openpty (&run->pty_master, &slave, NULL, NULL,
                   ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? &ws : NULL) == 0)
        {
          struct termios tio;

          fcntl (run->pty_master, F_SETFD, FD_CLOEXEC);
          fcntl (slave, F_SETFD, FD_CLOEXEC);
          /* Our own terminal turns "\n" into "\r\n" already; once is enough,
           * and the log keeps the command's line ends. */
          if (tcgetattr (slave, &tio) == 0)
            {
              tio.c_oflag &= ~ONLCR;
              tcsetattr (slave, TCSANOW, &tio);
            }
          /* Errors sent elsewhere than the terminal (2>file) still go there. */
          if (isatty (STDERR_FILENO))
            spawned = g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *) envp, flags,
                                                        NULL, NULL, -1, slave, slave, NULL, NULL, 0,
                                                        &run->pid, NULL, NULL, NULL, error);
          else
            spawned = g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *) envp, flags,
                                                        NULL, NULL, -1, slave, -1, NULL, NULL, 0,
                                                        &run->pid, NULL, NULL, &err_fd, error);
          g_close (slave, NULL);
          if (!spawned)
            {
              g_close (run->pty_master, NULL);
              run->pty_master = -1;
              return FALSE;
            }
          add_stream (run, run->pty_master, STDOUT_FILENO);
          if (err_fd >= 0)
            add_stream (run, err_fd, STDERR_FILENO);
          return TRUE;
        }

      run->pty_master = -1;
      g_debug ("No pseudo-terminal (%s); the command writes to pipes", g_strerror (errno));
    }

  /* Python fills a 8 KiB buffer before it writes to a pipe. */
  envp = g_environ_setenv (envp, "PYTHONUNBUFFERED", "1", FALSE);
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *) envp, flags,
                                         NULL, NULL, -1, -1, -1, NULL, NULL, 0,
                                         &run->pid, NULL, &out_fd, &err_fd, error))
    return FALSE;

  add_stream (run, out_fd, STDOUT_FILENO);
  add_stream (run, err_fd, STDERR_FILENO);
  return TRUE;
}

static gboolean
connect_daemon (const char *argv0,
                const char *name,
                const char *log_path)
{
  g_autoptr(GError) error = NULL;
  char *watch_argv[] = { (char *) argv0, "watch", "--name", (char *) name,
                         "--wrapped-log", (char *) log_path, NULL };

  if (log_path == NULL)
    return FALSE;

  if (!tw_client_ensure_daemon (&error))
    {
      g_printerr (_("trainwatch: Cannot reach the Trainwatch daemon (%s); running the command unwatched.\n"),
                  error->message);
      return FALSE;
    }

  if (tw_client_forward (G_N_ELEMENTS (watch_argv) - 1, watch_argv) != 0)
    {
      g_printerr (_("trainwatch: The Trainwatch daemon did not take the run; running the command unwatched.\n"));
      return FALSE;
    }

  return TRUE;
}

static void
report_finished (const char *argv0,
                 const char *name,
                 int         exit_status,
                 int         signal_number)
{
  g_autofree char *number = g_strdup_printf ("%d", signal_number > 0 ? signal_number : exit_status);
  char *finished_argv[] = { (char *) argv0, "run-finished", "--name", (char *) name,
                            signal_number > 0 ? "--signal" : "--exit-status", number, NULL };

  if (tw_client_forward (G_N_ELEMENTS (finished_argv) - 1, finished_argv) != 0)
    g_printerr (_("trainwatch: Could not tell the Trainwatch daemon that “%s” ended.\n"), name);
}

static void
run_clear (Run *run)
{
  for (guint i = 0; i < run->n_streams; i++)
    stream_close (&run->streams[i]);
  g_clear_handle_id (&run->quiet_id, g_source_remove);
  if (run->log_fd >= 0)
    g_close (run->log_fd, NULL);
  g_clear_pointer (&run->log_path, g_free);
  g_clear_pointer (&run->name, g_free);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_pointer (&run->buf, g_free);
}

/**
 * tw_run_command_run:
 * @command: a parsed `run` command (%TW_COMMAND_RUN)
 * @argc: the number of arguments
 * @argv: the arguments as given, the program name first
 *
 * Runs `trainwatch run [--name N] -- CMD…`: opens the run's log, has the
 * daemon follow it (starting the daemon if needed, and running the command
 * anyway when that fails), runs the command while copying its output to
 * ours and to the log, and tells the daemon how it ended.
 *
 * Returns: the process exit status: the command's, 128 plus the signal
 *   that killed it, 127 when it was not found, 126 when it could not run
 */
int
tw_run_command_run (TwCommand  *command,
                    int         argc,
                    char      **argv)
{
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  guint signal_ids[5] = { 0 };
  gboolean watched;
  int exit_status;
  int signal_number = 0;

  g_return_val_if_fail (command != NULL, 2);
  g_return_val_if_fail (command->kind == TW_COMMAND_RUN, 2);
  g_return_val_if_fail (command->argv != NULL && command->argv[0] != NULL, 2);
  g_return_val_if_fail (argc >= 1 && argv != NULL, 2);

  run.pty_master = -1;
  run.log_fd = -1;
  run.buf = g_malloc (READ_CHUNK);
  run.name = command->job != NULL ? g_strdup (command->job)
                                  : tw_run_command_dup_name ((const char * const *) command->argv);

  run.log_fd = open_run_log (run.name, &run.log_path, &error);
  if (run.log_fd < 0)
    {
      g_printerr (_("trainwatch: %s; running the command unwatched.\n"), error->message);
      g_clear_error (&error);
    }

  watched = connect_daemon (argv[0], run.name, run.log_path);

  /* Ctrl+C and Ctrl+\ are for the command; we leave when it does. */
  signal_ids[0] = add_signal (SIGINT, ignore_signal_cb, &run);
  signal_ids[1] = add_signal (SIGTERM, forward_sigterm_cb, &run);
  signal_ids[2] = add_signal (SIGHUP, forward_sighup_cb, &run);
  catch_quietly (SIGQUIT);
  catch_quietly (SIGPIPE);

  if (!spawn_command (&run, (const char * const *) command->argv, &error))
    {
      g_autofree char *message = g_strdup_printf (_("trainwatch: Cannot run “%s”: %s\n"),
                                                  command->argv[0], error->message);

      g_printerr ("%s", message);
      if (run.log_fd >= 0)
        write_all (run.log_fd, (const guint8 *) message, strlen (message));
      exit_status = g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ? EXIT_NOT_FOUND
                                                                                : EXIT_CANNOT_EXECUTE;
    }
  else
    {
      if (run.pty_master >= 0)
        signal_ids[3] = add_signal (SIGWINCH, window_changed_cb, &run);
      g_child_watch_add (run.pid, child_exited_cb, &run);

      run.loop = g_main_loop_new (NULL, FALSE);
      g_main_loop_run (run.loop);

      if (WIFSIGNALED (run.wait_status))
        {
          signal_number = WTERMSIG (run.wait_status);
          exit_status = 128 + signal_number;
        }
      else
        exit_status = WEXITSTATUS (run.wait_status);
    }

  if (run.log_fd >= 0)
    {
      g_close (run.log_fd, NULL);
      run.log_fd = -1;
    }

  if (watched)
    report_finished (argv[0], run.name, signal_number > 0 ? -1 : exit_status, signal_number);

  for (guint i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_clear_handle_id (&signal_ids[i], g_source_remove);
  run_clear (&run);

  return exit_status;
}
