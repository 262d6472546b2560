/* tw-http.c — HTTPS and SMTP requests through libcurl, without ever blocking the main loop
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "tw-http.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "tw-http-private.h"

/*
 * How it works.
 *
 * One TwHttp holds one curl multi handle and lives in the thread (the main
 * loop) that made it. Each HTTPS send is an easy handle added to the multi,
 * and nothing waits: libcurl tells us through CURLMOPT_SOCKETFUNCTION which
 * sockets it wants to read or write, and we watch each with a GLib unix-fd
 * source; through CURLMOPT_TIMERFUNCTION when it next needs to run, and we
 * keep one timeout source for that. When a source fires we call
 * curl_multi_socket_action() for that socket (or for the timeout), which
 * does only what can be done without blocking, then collect the finished
 * transfers with curl_multi_info_read() and complete their GTasks. Host
 * names are looked up by libcurl's threaded resolver, which wakes the multi
 * handle through a socket pair that we watch like any other socket; numeric
 * addresses are not looked up at all.
 *
 * An easy handle is never touched while libcurl runs one of our callbacks:
 * cancelling goes through a GCancellable source on the same context, so it
 * is removed from the multi between two dispatches.
 *
 * Mail is the exception. libcurl 7.88's SMTP code, even on a multi handle,
 * waits in poll() (up to a second at a time, until the server replies or
 * the timeout) for the reply to the end of the message and to QUIT: a slow
 * mail server would freeze the main loop. So each mail runs on its own easy
 * handle with curl_easy_perform() in a GTask worker thread; cancelling is
 * seen by its progress callback (libcurl calls it at least once a second,
 * also while it waits) and the task returns at once.
 *
 * Error messages name the host and say what failed; they never hold the
 * URL's path or query (a webhook's path is its secret), and libcurl's own
 * detail is scrubbed of them too.
 */

#define CA_FILE_ENV            "TRAINWATCH_CA_FILE"
#define MAX_HOST_CONNECTIONS   6            /* then requests queue inside libcurl */

/* A socket libcurl asked us to watch. */
typedef struct
{
  TwHttp        *http;       /* borrowed: it owns the multi handle that owns the socket */
  curl_socket_t  fd;
  int            what;       /* CURL_POLL_IN, CURL_POLL_OUT or CURL_POLL_INOUT */
  GSource       *source;
} SocketWatch;

struct _TwHttp
{
  GObject       parent_instance;

  GMainContext *context;
  CURLM        *multi;
  GHashTable   *watches;   /* SocketWatch * set */
  GSource      *timer;     /* nullable */
  char         *ca_file;   /* nullable */
};

G_DEFINE_FINAL_TYPE (TwHttp, tw_http, G_TYPE_OBJECT)

G_DEFINE_QUARK (tw-http-error-quark, tw_http_error)

enum
{
  PROP_0,
  PROP_CA_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
watch_free (SocketWatch *watch)
{
  if (watch->source != NULL)
    {
      g_source_destroy (watch->source);
      g_source_unref (watch->source);
    }
  g_free (watch);
}

static void
transfer_complete (TwHttpTransfer *transfer,
                   CURLcode        result)
{
  g_autoptr(GTask) task = g_steal_pointer (&transfer->task);
  g_autoptr(GError) error = NULL;
  TwHttpResponse *response;

  curl_multi_remove_handle (transfer->http->multi, transfer->easy);
  response = tw_http_transfer_finish (transfer, result, &error);
  tw_http_transfer_free (transfer);

  if (response != NULL)
    g_task_return_pointer (task, response, (GDestroyNotify) tw_http_response_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* libcurl's SMTP waits in poll() for the reply to the end of the message and
 * to QUIT, even on a multi handle, so a mail runs to its end in a thread,
 * connection closed included. */
static void
mail_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TwHttpTransfer *transfer = task_data;
  g_autoptr(GError) error = NULL;
  TwHttpResponse *response;
  CURLcode result;

  if (cancellable != NULL)
    tw_http_transfer_stop_on_cancel (transfer, cancellable);

  result = curl_easy_perform (transfer->easy);
  if (result == CURLE_ABORTED_BY_CALLBACK && g_task_return_error_if_cancelled (task))
    return;

  response = tw_http_transfer_finish (transfer, result, &error);
  /* Closing an SMTP connection waits for the reply to QUIT: here, not
   * wherever the task happens to be freed. */
  g_clear_pointer (&transfer->easy, curl_easy_cleanup);
  if (response != NULL)
    g_task_return_pointer (task, response, (GDestroyNotify) tw_http_response_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Completes every transfer libcurl has finished. */
static void
collect_finished (TwHttp *self)
{
  CURLMsg *message;
  int n_left;

  while ((message = curl_multi_info_read (self->multi, &n_left)) != NULL)
    {
      TwHttpTransfer *transfer = NULL;
      CURLcode result;

      if (message->msg != CURLMSG_DONE)
        continue;

      /* The message is freed when its handle leaves the multi. */
      result = message->data.result;
      curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE, (char **) &transfer);
      transfer_complete (transfer, result);
    }
}

static gboolean
socket_ready_cb (int           fd,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  SocketWatch *watch = user_data;
  g_autoptr(TwHttp) self = g_object_ref (watch->http);
  int flags = 0;
  int running;

  /* libcurl reads end-of-file after a hang-up. */
  if (condition & (G_IO_IN | G_IO_HUP))
    flags |= CURL_CSELECT_IN;
  if (condition & G_IO_OUT)
    flags |= CURL_CSELECT_OUT;
  if (condition & G_IO_ERR)
    flags |= CURL_CSELECT_ERR;

  /* This may free @watch (and destroy the source running this function). */
  curl_multi_socket_action (self->multi, fd, flags, &running);
  collect_finished (self);

  return G_SOURCE_CONTINUE;
}

static int
socket_cb (CURL          *easy,
           curl_socket_t  fd,
           int            what,
           void          *user_data,
           void          *socket_data)
{
  TwHttp *self = user_data;
  SocketWatch *watch = socket_data;
  GIOCondition condition = G_IO_ERR | G_IO_HUP;

  if (what == CURL_POLL_REMOVE)
    {
      if (watch != NULL)
        {
          g_hash_table_remove (self->watches, watch);
        }
      return 0;
    }

  if (watch == NULL)
    {
      watch = g_new0 (SocketWatch, 1);
      watch->http = self;
      watch->fd = fd;
      g_hash_table_add (self->watches, watch);
      curl_multi_assign (self->multi, fd, watch);
    }

  if (watch->source != NULL && watch->what == what)
    return 0;

  if (watch->source != NULL)
    {
      g_source_destroy (watch->source);
      g_source_unref (watch->source);
    }

  if (what & CURL_POLL_IN)
    condition |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    condition |= G_IO_OUT;

  watch->what = what;
  watch->source = g_unix_fd_source_new (fd, condition);
  g_source_set_static_name (watch->source, "[tw-http] socket");
  g_source_set_callback (watch->source, G_SOURCE_FUNC (socket_ready_cb), watch, NULL);
  g_source_attach (watch->source, self->context);

  return 0;
}

static gboolean
timer_fired_cb (gpointer user_data)
{
  g_autoptr(TwHttp) self = g_object_ref (user_data);
  int running;

  /* libcurl may set a new timer from inside the call. */
  g_clear_pointer (&self->timer, g_source_unref);
  curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  collect_finished (self);

  return G_SOURCE_REMOVE;
}

static int
timer_cb (CURLM *multi,
          long   timeout_msec,
          void  *user_data)
{
  TwHttp *self = user_data;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }

  /* -1: no timer. 0: as soon as possible, but never from inside libcurl. */
  if (timeout_msec >= 0)
    {
      self->timer = g_timeout_source_new ((guint) MIN (timeout_msec, G_MAXUINT));
      g_source_set_static_name (self->timer, "[tw-http] timer");
      g_source_set_callback (self->timer, timer_fired_cb, self, NULL);
      g_source_attach (self->timer, self->context);
    }

  return 0;
}

static gboolean
transfer_cancelled_cb (GCancellable *cancellable,
                       gpointer      user_data)
{
  TwHttpTransfer *transfer = user_data;
  g_autoptr(TwHttp) self = g_object_ref (transfer->http);
  g_autoptr(GTask) task = g_steal_pointer (&transfer->task);

  g_debug ("Request to %s cancelled", transfer->host);
  curl_multi_remove_handle (self->multi, transfer->easy);
  tw_http_transfer_free (transfer);
  g_task_return_error_if_cancelled (task);

  return G_SOURCE_REMOVE;
}

static void
tw_http_finalize (GObject *object)
{
  TwHttp *self = TW_HTTP (object);

  /* Every send holds a reference, so no transfer is left; idle connections
   * in libcurl's cache are closed here, and their watches go below. */
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, NULL);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, NULL);
  curl_multi_cleanup (self->multi);

  g_hash_table_unref (self->watches);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_source_unref (self->timer);
    }
  g_main_context_unref (self->context);
  g_free (self->ca_file);

  G_OBJECT_CLASS (tw_http_parent_class)->finalize (object);
}

static void
tw_http_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  TwHttp *self = TW_HTTP (object);

  switch (prop_id)
    {
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_http_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  TwHttp *self = TW_HTTP (object);

  switch (prop_id)
    {
    case PROP_CA_FILE:
      tw_http_set_ca_file (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tw_http_class_init (TwHttpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  curl_version_info_data *info;
  CURLcode code;
  gboolean has_async_dns;

  object_class->finalize = tw_http_finalize;
  object_class->get_property = tw_http_get_property;
  object_class->set_property = tw_http_set_property;

  /**
   * TwHttp:ca-file: (nullable)
   *
   * The file of certificate authorities that server certificates are checked
   * against instead of the system's, or %NULL for the system's. The environment
   * variable `TRAINWATCH_CA_FILE`, when set and not empty, wins over it.
   */
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Once per process (class_init runs once), and never undone: libcurl and
   * its TLS library keep their global state until the process ends. */
  code = curl_global_init (CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK)
    g_error ("Cannot initialize libcurl: %s", curl_easy_strerror (code));

  info = curl_version_info (CURLVERSION_NOW);
  has_async_dns = (info->features & CURL_VERSION_ASYNCHDNS) != 0;
  if (!has_async_dns)
    g_warning ("libcurl %s has no asynchronous resolver: looking up a host name "
               "will block the main loop", info->version);
}

static void
tw_http_init (TwHttp *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->watches = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) watch_free, NULL);

  self->multi = curl_multi_init ();
  if (self->multi == NULL)
    g_error ("%s: out of memory", G_STRLOC);

  curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) MAX_HOST_CONNECTIONS);
}

/**
 * tw_http_error_is_transient:
 * @error: an error from tw_http_send_finish()
 *
 * Tells whether the same request may well succeed later, unchanged: the network
 * or the server was down, slow or busy. Other errors need someone to act (a wrong
 * address, password or certificate), or are cancellations.
 *
 * Returns: whether trying again later makes sense
 */
gboolean
tw_http_error_is_transient (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain != TW_HTTP_ERROR)
    return FALSE;

  switch ((TwHttpError) error->code)
    {
    case TW_HTTP_ERROR_RESOLVE:
    case TW_HTTP_ERROR_CONNECTION_REFUSED:
    case TW_HTTP_ERROR_TIMED_OUT:
    case TW_HTTP_ERROR_NETWORK:
    case TW_HTTP_ERROR_PROXY:
    case TW_HTTP_ERROR_TLS:
    case TW_HTTP_ERROR_MAIL_DEFERRED:
      return TRUE;

    case TW_HTTP_ERROR_FAILED:
    case TW_HTTP_ERROR_INVALID_URL:
    case TW_HTTP_ERROR_INVALID_REQUEST:
    case TW_HTTP_ERROR_TLS_VERIFICATION:
    case TW_HTTP_ERROR_CA_FILE:
    case TW_HTTP_ERROR_RESPONSE_TOO_LARGE:
    case TW_HTTP_ERROR_TLS_REQUIRED:
    case TW_HTTP_ERROR_LOGIN_DENIED:
    case TW_HTTP_ERROR_MAIL_REJECTED:
    default:
      return FALSE;
    }
}

/**
 * tw_http_new:
 *
 * Makes the engine that sends requests on the calling thread's default main
 * context (the thread that must call tw_http_send_async() and runs its
 * callbacks). One is enough for a process: it keeps connections open for reuse
 * and queues requests beyond a few per host.
 *
 * Returns: (transfer full): a new #TwHttp
 */
TwHttp *
tw_http_new (void)
{
  return g_object_new (TW_TYPE_HTTP, NULL);
}

/**
 * tw_http_get_ca_file:
 * @self: a #TwHttp
 *
 * Returns: (nullable): the #TwHttp:ca-file, as expanded by tw_http_set_ca_file()
 */
const char *
tw_http_get_ca_file (TwHttp *self)
{
  g_return_val_if_fail (TW_IS_HTTP (self), NULL);

  return self->ca_file;
}

/**
 * tw_http_set_ca_file:
 * @self: a #TwHttp
 * @ca_file: (nullable): a PEM file of certificate authorities, or %NULL or ""
 *   for the system's
 *
 * Sets #TwHttp:ca-file, the value of the config key `ca-file`: a leading `~` is
 * the home folder, and a relative path is taken from the home folder. It applies
 * to requests sent from now on. The file is read when a connection is made, so a
 * missing or broken file fails those sends with %TW_HTTP_ERROR_CA_FILE.
 */
void
tw_http_set_ca_file (TwHttp     *self,
                     const char *ca_file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (TW_IS_HTTP (self));

  if (ca_file != NULL && *ca_file != '\0')
    {
      if (g_str_equal (ca_file, "~"))
        path = g_strdup (g_get_home_dir ());
      else if (g_str_has_prefix (ca_file, "~/"))
        path = g_build_filename (g_get_home_dir (), ca_file + 2, NULL);
      else if (!g_path_is_absolute (ca_file))
        path = g_build_filename (g_get_home_dir (), ca_file, NULL);
      else
        path = g_strdup (ca_file);
    }

  if (g_strcmp0 (path, self->ca_file) == 0)
    return;

  g_free (self->ca_file);
  self->ca_file = g_steal_pointer (&path);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CA_FILE]);
}

/**
 * tw_http_send_async:
 * @self: a #TwHttp
 * @request: what to send; later changes to it do not change this send
 * @cancellable: (nullable): cancels the send, which then fails with
 *   %G_IO_ERROR_CANCELLED
 * @callback: called on @self's main context when the send is done
 * @user_data: for @callback
 *
 * Sends @request without ever waiting: the main loop keeps running while the
 * name is looked up, the connection made and the answer read (a mail is sent
 * from a worker thread). Any answer the
 * server gives is a success, whatever its status; a send fails (with a
 * #TW_HTTP_ERROR whose message names the host and the cause, and never the
 * address's path or query) only when no answer came.
 *
 * Connections use TLS 1.2 or newer, and the server's certificate is always
 * verified against the system's authorities or #TwHttp:ca-file (or the file
 * `TRAINWATCH_CA_FILE` names). A proxy is used when the environment names one,
 * as libcurl reads it (`https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY`,
 * and `no_proxy` for exceptions).
 */
void
tw_http_send_async (TwHttp              *self,
                    TwHttpRequest       *request,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  TwHttpTransfer *transfer;
  const char *env_ca_file;
  const char *ca_file;
  CURLMcode code;

  g_return_if_fail (TW_IS_HTTP (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tw_http_send_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  env_ca_file = g_getenv (CA_FILE_ENV);
  if (env_ca_file != NULL && *env_ca_file != '\0')
    ca_file = env_ca_file;
  else
    ca_file = self->ca_file;

  transfer = tw_http_transfer_new (self, task, request, ca_file, &error);
  if (transfer == NULL)
    {
      g_debug ("Not sending: %s", error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (transfer->is_mail)
    {
      g_debug ("Sending a mail to %s", transfer->host);
      /* The task owns the transfer; the transfer must not own the task. */
      g_clear_object (&transfer->task);
      g_task_set_task_data (task, transfer, (GDestroyNotify) tw_http_transfer_free);
      g_task_set_return_on_cancel (task, TRUE);
      g_task_run_in_thread (task, mail_thread);
      return;
    }

  code = curl_multi_add_handle (self->multi, transfer->easy);
  if (code != CURLM_OK)
    {
      g_task_return_new_error (task, TW_HTTP_ERROR, TW_HTTP_ERROR_FAILED,
                               _("The request to %s failed (%s)"),
                               transfer->host, curl_multi_strerror (code));
      tw_http_transfer_free (transfer);
      return;
    }

  g_debug ("Sending %s to %s", request->method, transfer->host);

  if (cancellable != NULL)
    {
      transfer->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_static_name (transfer->cancel_source, "[tw-http] cancel");
      g_source_set_callback (transfer->cancel_source, G_SOURCE_FUNC (transfer_cancelled_cb),
                             transfer, NULL);
      g_source_attach (transfer->cancel_source, self->context);
    }
}

/**
 * tw_http_send_finish:
 * @self: a #TwHttp
 * @result: the result passed to the callback
 * @error: where to store why no answer came
 *
 * Returns: (transfer full): the server's answer, or %NULL with @error set
 */
TwHttpResponse *
tw_http_send_finish (TwHttp        *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (TW_IS_HTTP (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, tw_http_send_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
