/* test-extract-failure.c — failures in a run's output: tracebacks, out of memory, CUDA and
 * NCCL errors, NaN and "Killed"
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "tw-extract-failure-line.h"
#include "tw-extract-failure.h"
#include "tw-extractor.h"

typedef struct
{
  const char    *name;
  const char    *input;           /* the stream; NULL when @file */
  const char    *file;            /* in tests/data/failures */
  guint          n_before_finish; /* observations before tw_failure_detector_finish() */
  guint          n;               /* observations in all */
  TwFailureKind  kind;            /* of the first */
  const char    *exception;
  const char    *message;
  gboolean       message_prefix;  /* @message is only the beginning */
  const char    *at;              /* text in the line whose offset the observation has */
} FailureCase;

static const FailureCase failure_cases[] = {
  /* The fixtures: the real runs' last lines. */
  { "plain-crash", NULL, "plain_crash-tail.log", 0, 1, TW_FAILURE_EXCEPTION, "ValueError",
    "Expected input batch_size (250) to match target batch_size (249).", FALSE,
    "ValueError: Expected" },
  { "oom", NULL, "oom.log", 0, 1, TW_FAILURE_OUT_OF_MEMORY, "torch.OutOfMemoryError",
    "CUDA out of memory. Tried to allocate 8.00 GiB. GPU 0 has a total capacity", TRUE,
    "torch.OutOfMemoryError:" },
  { "killed", NULL, "killed-tail.log", 1, 1, TW_FAILURE_KILLED, NULL,
    "bash: line 1: 1220 Killed python3 /home/researcher/project/plain_loop.py ok", FALSE,
    "Killed" },

  /* Tracebacks. */
  { "multi-line-message",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 40, in <module>\n"
    "    loss.backward()\n"
    "RuntimeError: CUDA error: device-side assert triggered\n"
    "CUDA kernel errors might be asynchronously reported at some other API call, so the "
    "stacktrace below might be incorrect.\n"
    "For debugging consider passing CUDA_LAUNCH_BLOCKING=1\n",
    NULL, 1, 1, TW_FAILURE_CUDA_ERROR, "RuntimeError",
    "CUDA error: device-side assert triggered", FALSE, "RuntimeError:" },
  { "chained-during-handling",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 10, in load\n"
    "    return cache[key]\n"
    "           ~~~~~^^^^^\n"
    "KeyError: 'weights'\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 20, in <module>\n"
    "    load(\"weights\")\n"
    "  File \"/home/researcher/project/train.py\", line 12, in load\n"
    "    raise FileNotFoundError(\"no checkpoint at /ckpt/last.pt\")\n"
    "FileNotFoundError: no checkpoint at /ckpt/last.pt\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "FileNotFoundError", "no checkpoint at /ckpt/last.pt",
    FALSE, "FileNotFoundError:" },
  { "chained-direct-cause",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/data.py\", line 8, in read\n"
    "    return json.loads(text)\n"
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n"
    "\n"
    "The above exception was the direct cause of the following exception:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 3, in <module>\n"
    "    read()\n"
    "data.DatasetError: cannot read /data/shard-0001.json\n"
    "wandb: Waiting for W&B process to finish... (failed 1).\n",
    NULL, 1, 1, TW_FAILURE_EXCEPTION, "data.DatasetError", "cannot read /data/shard-0001.json",
    FALSE, "data.DatasetError:" },
  { "mid-line-header",
    "Epoch 3/5:  40%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88      | 81/200 "
    "[00:00<00:01, 82.12it/s, loss=0.1552]Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/plain_loop.py\", line 21, in <module>\n"
    "    raise ValueError(\"boom\")\n"
    "ValueError: boom\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "ValueError", "boom", FALSE, "ValueError:" },
  { "bare-exception",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 88, in <module>\n"
    "    time.sleep(1)\n"
    "KeyboardInterrupt\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "KeyboardInterrupt", NULL, FALSE, "KeyboardInterrupt" },
  { "interleaved-output",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 88, in <module>\n"
    "Epoch 1/5:  10%|\xe2\x96\x88         | 20/200 [00:01<00:09, 19.9it/s]\n"
    "INFO: still here\n"
    "    step()\n"
    "AssertionError: shapes differ\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "AssertionError", "shapes differ", FALSE,
    "AssertionError:" },
  { "cut-at-end",
    "step 10 loss 0.5\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 5, in <module>\n"
    "    step()\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, NULL, "step()", FALSE, "Traceback" },
  { "cut-after-chain",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 10, in load\n"
    "KeyError: 'weights'\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 20, in <module>\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "KeyError", "'weights'", FALSE, "KeyError:" },
  { "nan-in-traceback",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/detectron2/engine/train_loop.py\", line 155, in train\n"
    "FloatingPointError: Loss became infinite or NaN at iteration=5!\n"
    "loss_dict = {'loss_cls': nan}\n",
    NULL, 1, 1, TW_FAILURE_NAN, "FloatingPointError", "Loss became infinite or NaN at "
    "iteration=5!", FALSE, "FloatingPointError:" },

  { "prefixed-lines",
    "(RayTrainWorker pid=2231, ip=10.0.0.3) Traceback (most recent call last):\n"
    "(RayTrainWorker pid=2231, ip=10.0.0.3)   File \"/home/researcher/project/ray_train.py\","
    " line 30, in train_func\n"
    "(RayTrainWorker pid=2231, ip=10.0.0.3)     raise RuntimeError(\"bad shard\")\n"
    "(RayTrainWorker pid=2231, ip=10.0.0.3) RuntimeError: bad shard\n"
    "(RayTrainWorker pid=2231, ip=10.0.0.3) \n"
    "(TrainController pid=2100) Worker 0 failed\n",
    NULL, 1, 1, TW_FAILURE_EXCEPTION, "RuntimeError", "bad shard", FALSE,
    "(RayTrainWorker pid=2231, ip=10.0.0.3) RuntimeError" },
  { "exception-group",
    "  + Exception Group Traceback (most recent call last):\n"
    "  |   File \"/home/researcher/project/loader.py\", line 12, in <module>\n"
    "  |     raise ExceptionGroup(\"loading failed\", errors)\n"
    "  | ExceptionGroup: loading failed (2 sub-exceptions)\n"
    "  +-+---------------- 1 ----------------\n"
    "    | Traceback (most recent call last):\n"
    "    |   File \"/home/researcher/project/loader.py\", line 8, in load\n"
    "    | FileNotFoundError: shard-0001.bin\n"
    "    +---------------- 2 ----------------\n"
    "    | ValueError: shard-0002.bin is empty\n"
    "    +------------------------------------\n",
    NULL, 0, 1, TW_FAILURE_EXCEPTION, "ExceptionGroup", "loading failed (2 sub-exceptions)",
    FALSE, "  | ExceptionGroup" },
  { "interleaved-exception-like-line",
    "Traceback (most recent call last):\n"
    "Note: using the cached dataset\n"
    "  File \"/home/researcher/project/train.py\", line 88, in <module>\n"
    "    step()\n"
    "ZeroDivisionError: division by zero\n"
    "Epoch 2/5\n",
    NULL, 1, 1, TW_FAILURE_EXCEPTION, "ZeroDivisionError", "division by zero", FALSE,
    "ZeroDivisionError" },
  { "interleaved-failure",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 88, in <module>\n"
    "gpu-node-3:2247:2310 [0] NCCL WARN Net : Connect to 10.0.0.4<43210> failed : timeout\n",
    NULL, 1, 2, TW_FAILURE_NCCL_ERROR, NULL, "gpu-node-3:2247:2310 [0] NCCL WARN Net : "
    "Connect to 10.0.0.4<43210> failed : timeout", FALSE, "gpu-node-3" },

  /* torchrun. */
  { "rank-prefix",
    "[rank0]: Traceback (most recent call last):\n"
    "[rank0]:   File \"/home/researcher/project/ddp.py\", line 41, in <module>\n"
    "[rank0]:     main()\n"
    "[rank0]: RuntimeError: CUDA error: an illegal memory access was encountered\n"
    "[rank0]: CUDA kernel errors might be asynchronously reported at some other API call\n",
    NULL, 1, 1, TW_FAILURE_CUDA_ERROR, "RuntimeError",
    "CUDA error: an illegal memory access was encountered", FALSE, "RuntimeError:" },
  { "torchrun-ranks-then-summary", NULL, "torchrun-oom.log", 1, 1, TW_FAILURE_OUT_OF_MEMORY,
    "torch.OutOfMemoryError", "CUDA out of memory. Tried to allocate 16.00 GiB. GPU 1", TRUE,
    "[rank1]: torch.OutOfMemoryError:" },
  { "torchrun-summary-root-cause", NULL, "torchrun-record.log", 1, 1, TW_FAILURE_NCCL_ERROR,
    "torch.distributed.DistBackendError", "NCCL error in: /pytorch/torch/csrc/distributed/c10d/"
    "ProcessGroupNCCL.cpp:3356, unhandled system error (run with NCCL_DEBUG=INFO for "
    "details), NCCL version 2.27.3", FALSE, "  torch.distributed.DistBackendError:" },
  { "torchrun-summary-signal-after-traceback",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/.venv/bin/torchrun\", line 8, in <module>\n"
    "    raise ChildFailedError(\n"
    "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: \n"
    "============================================================\n"
    "train.py FAILED\n"
    "------------------------------------------------------------\n"
    "Failures:\n"
    "  <NO_OTHER_FAILURES>\n"
    "------------------------------------------------------------\n"
    "Root Cause (first observed failure):\n"
    "[0]:\n"
    "  time      : 2026-11-23_01:06:47\n"
    "  rank      : 4 (local_rank: 4)\n"
    "  exitcode  : -9 (pid: 208585)\n"
    "  error_file: <N/A>\n"
    "  traceback : Signal 9 (SIGKILL) received by PID 208585\n"
    "============================================================\n",
    NULL, 1, 1, TW_FAILURE_KILLED, NULL, "Signal 9 (SIGKILL) received by PID 208585", FALSE,
    "  traceback : Signal 9" },
  { "torchrun-summary-no-traceback",
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/.venv/bin/torchrun\", line 8, in <module>\n"
    "    raise ChildFailedError(\n"
    "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\n"
    "============================================================\n"
    "train.py FAILED\n"
    "------------------------------------------------------------\n"
    "Failures:\n"
    "  <NO_OTHER_FAILURES>\n"
    "------------------------------------------------------------\n"
    "Root Cause (first observed failure):\n"
    "[0]:\n"
    "  rank      : 0 (local_rank: 0)\n"
    "  exitcode  : 1 (pid: 937052)\n"
    "  error_file: <N/A>\n"
    "  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html\n"
    "============================================================\n",
    NULL, 1, 1, TW_FAILURE_EXCEPTION, "torch.distributed.elastic.multiprocessing.errors."
    "ChildFailedError", "train.py FAILED", FALSE, "torch.distributed.elastic" },

  /* Out of memory and CUDA errors outside a traceback. */
  { "oom-runtime-error", "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB\n",
    NULL, 1, 1, TW_FAILURE_OUT_OF_MEMORY, "RuntimeError",
    "CUDA out of memory. Tried to allocate 20.00 MiB", FALSE, "RuntimeError" },
  { "oom-cuda-error", "step 3\nRuntimeError: CUDA error: out of memory\n",
    NULL, 1, 1, TW_FAILURE_OUT_OF_MEMORY, "RuntimeError", "CUDA error: out of memory", FALSE,
    "RuntimeError" },
  { "oom-torch-cuda", "torch.cuda.OutOfMemoryError: CUDA out of memory.\n",
    NULL, 1, 1, TW_FAILURE_OUT_OF_MEMORY, "torch.cuda.OutOfMemoryError", "CUDA out of memory.",
    FALSE, "torch.cuda" },
  { "cublas",
    "RuntimeError: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm( handle"
    ", opa, opb, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc)`\n",
    NULL, 1, 1, TW_FAILURE_CUDA_ERROR, "RuntimeError",
    "CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm( handle, opa, opb, "
    "m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc)`", FALSE, "RuntimeError" },

  /* NCCL. */
  { "nccl-error",
    "torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/"
    "ProcessGroupNCCL.cpp:1970, unhandled system error\n",
    NULL, 1, 1, TW_FAILURE_NCCL_ERROR, "torch.distributed.DistBackendError",
    "NCCL error in: ../torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp:1970, unhandled "
    "system error", FALSE, "torch.distributed" },
  { "nccl-internal", "ncclInternalError: Internal check failed.\n",
    NULL, 1, 1, TW_FAILURE_NCCL_ERROR, "ncclInternalError", "Internal check failed.",
    FALSE, "nccl" },
  { "nccl-watchdog",
    "[rank0]:[E1123 10:12:01.123456 2247 ProcessGroupNCCL.cpp:616] [Rank 0] Watchdog caught "
    "collective operation timeout: WorkNCCL(SeqNum=1024, OpType=ALLREDUCE, NumelIn=1, "
    "NumelOut=1, Timeout(ms)=600000) ran for 600113 milliseconds before timing out.\n"
    "[rank0]:[E1123 10:12:01.123456 2247 ProcessGroupNCCL.cpp:1785] [PG 0 (default_pg) Rank 0]"
    " Exception (either an error or timeout) detected by watchdog at work: 1024, last enqueued"
    " NCCL work: 1024, last completed NCCL work: 1023.\n",
    NULL, 1, 1, TW_FAILURE_NCCL_ERROR, NULL, "[E1123 10:12:01.123456 2247 "
    "ProcessGroupNCCL.cpp:616] [Rank 0] Watchdog caught collective operation timeout", TRUE,
    "[rank0]:[E1123 10:12:01.123456 2247 ProcessGroupNCCL.cpp:616]" },
  { "nccl-warn-timeout",
    "gpu-node-3:2247:2310 [0] NCCL INFO Bootstrap : Using eth0:10.0.0.3<0>\n"
    "gpu-node-3:2247:2310 [0] NCCL WARN Net : Connect to 10.0.0.4<43210> failed : timeout\n",
    NULL, 1, 1, TW_FAILURE_NCCL_ERROR, NULL, "gpu-node-3:2247:2310 [0] NCCL WARN Net : "
    "Connect to 10.0.0.4<43210> failed : timeout", FALSE, "gpu-node-3:2247:2310 [0] NCCL WARN" },
  { "nccl-info-not",
    "[rank0]:[I1123 10:02:12.000000 2247 ProcessGroupNCCL.cpp:922] [PG 0 Rank 0] "
    "ProcessGroupNCCL initialization options: size: 2, global rank: 0, TIMEOUT(ms): 600000, "
    "USE_HIGH_PRIORITY_STREAM: 0\n"
    "gpu-node-3:2247:2310 [0] NCCL INFO NET/Socket : Using [0]eth0:10.0.0.3<0>\n",
    NULL, 0, 0, TW_FAILURE_NONE, NULL, NULL, FALSE, NULL },

  /* Killed. */
  { "killed-bare", "Epoch 1/5:  10%|\xe2\x96\x88         | 20/200\nKilled\n",
    NULL, 1, 1, TW_FAILURE_KILLED, NULL, "Killed", FALSE, "Killed" },
  { "killed-after-bar", "Epoch 1/5:  10%|\xe2\x96\x88         | 20/200 [00:01<00:09]Killed\n",
    NULL, 1, 1, TW_FAILURE_KILLED, NULL, "Killed", FALSE, "Epoch" },
  { "killed-job", "[1]+  Killed                  python train.py --lr 3e-4\n",
    NULL, 1, 1, TW_FAILURE_KILLED, NULL, "Killed python train.py --lr 3e-4", FALSE, "[1]+" },
  { "killed-zsh", "zsh: killed     python train.py\n",
    NULL, 1, 1, TW_FAILURE_KILLED, NULL, "zsh: killed python train.py", FALSE, "zsh" },
  { "killed-not",
    "Killed 3 stale workers before starting\n"
    "The process was Killed by the user\n"
    "worker killed, restarting\n"
    "RuntimeError: DataLoader worker (pid 1234) is killed by signal: Killed.\n"
    "KilledTasks: 0\n"
    "prefetch queue 1234 filled\n",
    NULL, 0, 0, TW_FAILURE_NONE, NULL, NULL, FALSE, NULL },

  /* NaN said in words; NaN metric values are the metric extractor's. */
  { "nan-loss-is", "step 120: loss is nan\n", NULL, 1, 1, TW_FAILURE_NAN, NULL,
    "step 120: loss is nan", FALSE, "step 120" },
  { "nan-loss-is-capital", "Loss is NaN, stopping training\n", NULL, 1, 1, TW_FAILURE_NAN, NULL,
    "Loss is NaN, stopping training", FALSE, "Loss" },
  { "nan-loss", "WARNING: nan loss detected at step 5\n", NULL, 1, 1, TW_FAILURE_NAN, NULL,
    "WARNING: nan loss detected at step 5", FALSE, "WARNING" },
  { "nan-detected", "Detected NaN in gradients of layer 3\n", NULL, 1, 1, TW_FAILURE_NAN, NULL,
    "Detected NaN in gradients of layer 3", FALSE, "Detected" },
  { "nan-non-finite", "[rank1]: skipping step 7: non-finite loss\n", NULL, 1, 1,
    TW_FAILURE_NAN, NULL, "skipping step 7: non-finite loss", FALSE, "[rank1]" },
  { "nan-repeated", "loss is nan\nloss is nan\nloss is nan\n", NULL, 1, 1, TW_FAILURE_NAN,
    NULL, "loss is nan", FALSE, "loss" },
  { "nan-not",
    "loading nano model from /models/nanogpt\n"
    "finance dataset: 1200 rows\n"
    "banana loss is small\n"
    "step 3 loss=nan lr=0.001\n"
    "{'loss': nan, 'grad_norm': nan}\n"
    "nan_to_num applied to inputs\n"
    "Nanjing split loaded\n"
    "the loss is nanoscale\n"
    "Using NaN-safe softmax\n",
    NULL, 0, 0, TW_FAILURE_NONE, NULL, NULL, FALSE, NULL },

  /* Lines that only look like failures. */
  { "no-failure",
    "Epoch 1/5: 100%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88| 200/200 [00:02<00:00, 85.9it/s]\n"
    "Tracebacks are written to /tmp/tb\n"
    "ValueError: logged and ignored\n"
    "error_rate=0.02 errors=3\n"
    "INFO:root:Checkpoint saved\n",
    NULL, 0, 0, TW_FAILURE_NONE, NULL, NULL, FALSE, NULL },
};

/* Gives one line to @detector in a buffer of its exact size, not NUL-terminated, so that
 * the sanitizers see any read past its end. */
static void
feed_line (TwFailureDetector *detector,
           const char        *line,
           gsize              len,
           guint64            offset,
           GArray            *out)
{
  g_autofree char *copy = NULL;

  if (len == 0)
    return;
  copy = g_memdup2 (line, len);
  tw_failure_detector_line (detector, copy, len, offset, out);
}

/* Feeds @input to @detector line by line, "\r" and "\n" both ending a line, as the
 * framer does. */
static void
feed (TwFailureDetector *detector,
      const char        *input,
      gsize              len,
      GArray            *out)
{
  gsize start = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (input[i] != '\n' && input[i] != '\r')
        continue;
      feed_line (detector, input + start, i - start, start, out);
      start = i + 1;
    }
  if (start < len)
    feed_line (detector, input + start, len - start, start, out);
}

/* The offset of the start of the line that holds @at. */
static guint64
line_offset (const char *input,
             const char *at)
{
  const char *found = strstr (input, at);
  const char *p;

  g_assert_nonnull (found);
  for (p = found; p > input && p[-1] != '\n' && p[-1] != '\r'; p--)
    ;

  return p - input;
}

static GArray *
new_observations (void)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (TwObservation));

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  return out;
}

static void
test_failure_case (gconstpointer data)
{
  const FailureCase *fc = data;
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autofree char *contents = NULL;
  const char *input = fc->input;
  gsize len;
  const TwObservation *o;

  if (fc->file != NULL)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "failures",
                                                     fc->file, NULL);
      g_autoptr(GError) error = NULL;

      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      input = contents;
    }
  else
    len = strlen (input);

  feed (detector, input, len, out);
  g_assert_cmpuint (out->len, ==, fc->n_before_finish);
  tw_failure_detector_finish (detector, out);
  g_assert_cmpuint (out->len, ==, fc->n);
  if (fc->n == 0)
    return;

  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->kind, ==, TW_OBSERVATION_FAILURE);
  g_assert_cmpstr (tw_failure_kind_to_string (o->failure), ==,
                   tw_failure_kind_to_string (fc->kind));
  g_assert_cmpstr (o->exception, ==, fc->exception);
  if (fc->message_prefix)
    {
      g_assert_nonnull (o->message);
      g_assert_true (g_str_has_prefix (o->message, fc->message));
    }
  else
    g_assert_cmpstr (o->message, ==, fc->message);
  g_assert_cmpuint (o->offset, ==, line_offset (input, fc->at));
  g_assert_true (g_utf8_validate (tw_failure_detector_get_context (detector), -1, NULL));
}

/* Two failures of one run: both count, in order; the same one again does not. */
static void
test_failure_sequence (void)
{
  static const char input[] =
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 9, in <module>\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n"
    "retrying with batch size 16\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 9, in <module>\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 10.00 GiB.\n"
    "step 1: loss is nan\n"
    "retrying with batch size 8\n"
    "RuntimeError: CUDA error: out of memory\n"
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 0.50 GiB.\n"
    "step 2: Loss is NaN\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/project/train.py\", line 12, in <module>\n"
    "ValueError: batch size 8 is too small\n"
    "bash: line 1:  4242 Killed                  python3 train.py\n";
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  const TwObservation *o;

  feed (detector, input, strlen (input), out);
  tw_failure_detector_finish (detector, out);
  g_assert_cmpuint (out->len, ==, 5);

  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_OUT_OF_MEMORY);
  g_assert_cmpstr (o->message, ==, "CUDA out of memory. Tried to allocate 2.00 GiB.");
  o = &g_array_index (out, TwObservation, 1);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_NAN);
  o = &g_array_index (out, TwObservation, 2);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_OUT_OF_MEMORY);
  g_assert_cmpstr (o->message, ==, "CUDA error: out of memory");
  o = &g_array_index (out, TwObservation, 3);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_EXCEPTION);
  g_assert_cmpstr (o->exception, ==, "ValueError");
  g_assert_cmpuint (o->offset, ==, line_offset (input, "ValueError:"));
  o = &g_array_index (out, TwObservation, 4);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_KILLED);
  g_assert_cmpstr (o->message, ==, "bash: line 1: 4242 Killed python3 train.py");
}

/* torchrun's summary with no reason in it is the news, unless a rank's traceback said
 * why; a NaN before it did not. */
static void
test_failure_torchrun_after_nan (void)
{
  static const char input[] =
    "step 12: loss is nan\n"
    "Traceback (most recent call last):\n"
    "  File \"/home/researcher/.venv/bin/torchrun\", line 8, in <module>\n"
    "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\n"
    "============================================================\n"
    "train.py FAILED\n"
    "------------------------------------------------------------\n"
    "Root Cause (first observed failure):\n"
    "[0]:\n"
    "  traceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html\n"
    "============================================================\n";
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  const TwObservation *o;

  feed (detector, input, strlen (input), out);
  g_assert_cmpuint (out->len, ==, 2);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_NAN);
  o = &g_array_index (out, TwObservation, 1);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_EXCEPTION);
  g_assert_cmpstr (o->exception, ==,
                   "torch.distributed.elastic.multiprocessing.errors.ChildFailedError");
  g_assert_cmpstr (o->message, ==, "train.py FAILED");
}

/* A header that no exception line follows does not keep the detector from seeing later
 * failures. */
static void
test_failure_stray_header (void)
{
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GString) input = g_string_new ("logging: Traceback (most recent call last):\n");
  const TwObservation *o;

  for (guint i = 0; i < 6000; i++)
    g_string_append_printf (input, "step %u loss 0.%u\n", i, i);
  /* Not a traceback's exception line any more: logged, and the run goes on. */
  g_string_append (input, "ValueError: bad sample 17, skipped\n");
  g_string_append (input, "torch.OutOfMemoryError: CUDA out of memory.\n");
  feed (detector, input->str, input->len, out);
  tw_failure_detector_finish (detector, out);

  g_assert_cmpuint (out->len, ==, 1);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->failure, ==, TW_FAILURE_OUT_OF_MEMORY);
  g_assert_cmpuint (o->offset, ==, line_offset (input->str, "torch.OutOfMemoryError"));
}

/* The traceback's text is kept for the notification's details, and bounded. */
static void
test_failure_context (void)
{
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GString) input = g_string_new ("noise\nTraceback (most recent call last):\n");
  const char *context;

  g_assert_cmpstr (tw_failure_detector_get_context (detector), ==, "");

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (input, "  File \"/home/researcher/project/f%u.py\", line %u\n", i, i);
  g_string_append (input, "RecursionError: maximum recursion depth exceeded\n");
  feed (detector, input->str, input->len, out);
  tw_failure_detector_finish (detector, out);

  g_assert_cmpuint (out->len, ==, 1);
  context = tw_failure_detector_get_context (detector);
  g_assert_cmpuint (strlen (context), <=, 16 * 1024);
  g_assert_true (g_str_has_suffix (context, "RecursionError: maximum recursion depth exceeded\n"));
  g_assert_true (g_str_has_prefix (context, "  File \"/home/researcher/project/f"));
  g_assert_null (strstr (context, "noise"));
}

/* A line longer than any message: the message is cut, at a character boundary. */
static void
test_failure_long_line (void)
{
  g_autoptr(TwFailureDetector) detector = tw_failure_detector_new ();
  g_autoptr(GArray) out = new_observations ();
  g_autoptr(GString) line = g_string_new ("RuntimeError: CUDA error: out of memory ");
  const TwObservation *o;

  for (guint i = 0; i < 20000; i++)
    g_string_append (line, "\xc3\xa9");
  tw_failure_detector_line (detector, line->str, line->len, 7, out);

  g_assert_cmpuint (out->len, ==, 1);
  o = &g_array_index (out, TwObservation, 0);
  g_assert_cmpuint (o->offset, ==, 7);
  g_assert_cmpuint (strlen (o->message), <=, 2048);
  g_assert_cmpuint (strlen (o->message), >, 2000);
  g_assert_true (g_utf8_validate (o->message, -1, NULL));
  g_assert_cmpuint (strlen (tw_failure_detector_get_context (detector)), <=, 16 * 1024);
  g_assert_true (g_utf8_validate (tw_failure_detector_get_context (detector), -1, NULL));
}

/* The real framer in front, the detector as one of its line functions. */
static void
test_failure_through_extractor (void)
{
  static const struct
  {
    const char    *file;
    TwFailureKind  kind;
    const char    *exception;
  } runs[] = {
    { "plain_crash-tail.log", TW_FAILURE_EXCEPTION, "ValueError" },
    { "oom.log", TW_FAILURE_OUT_OF_MEMORY, "torch.OutOfMemoryError" },
    { "killed-tail.log", TW_FAILURE_KILLED, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr(TwExtractor) extractor = tw_extractor_new ();
      g_autoptr(GArray) out = new_observations ();
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "failures",
                                                     runs[i].file, NULL);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      TwFailureDetector *detector = tw_failure_detector_new ();
      TwLineFunc func = tw_failure_detector_line_func;
      const TwObservation *failure = NULL;
      gsize len;

      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      tw_extractor_add_line_func (extractor, func, detector,
                                  (GDestroyNotify) tw_failure_detector_free);

      /* In small chunks, as a followed file grows. */
      for (gsize at = 0; at < len; at += 100)
        tw_extractor_feed (extractor, (const guint8 *) contents + at, MIN (100, len - at), out);
      tw_extractor_finish (extractor, out);
      tw_failure_detector_finish (detector, out);

      for (guint j = 0; j < out->len; j++)
        {
          const TwObservation *o = &g_array_index (out, TwObservation, j);

          if (o->kind != TW_OBSERVATION_FAILURE)
            continue;
          g_assert_null (failure);
          failure = o;
        }
      g_assert_nonnull (failure);
      g_assert_cmpuint (failure->failure, ==, runs[i].kind);
      g_assert_cmpstr (failure->exception, ==, runs[i].exception);
    }
}

/* The candidate search, 32, 16 and 1 byte at a time, against the obvious loop: a
 * candidate at every position of lines of every length around the block sizes, and
 * random text (the candidates' bytes, some in both cases, and bytes >= 0x80). */
static const char *
naive_candidate (const char *p,
                 gsize       len)
{
  static const char * const exact[] = { "Trac", "rror", "Kill", "kill", "CUDA ", "CUDN", "CUBL" };
  static const char * const any_case[] = { "nan", "non-", "nccl" };

  for (gsize i = 0; i < len; i++)
    {
      for (guint k = 0; k < G_N_ELEMENTS (exact); k++)
        if (len - i >= strlen (exact[k]) && strncmp (p + i, exact[k], strlen (exact[k])) == 0)
          return p + i;
      for (guint k = 0; k < G_N_ELEMENTS (any_case); k++)
        if (len - i >= strlen (any_case[k]) &&
            g_ascii_strncasecmp (p + i, any_case[k], strlen (any_case[k])) == 0)
          return p + i;
    }
  return NULL;
}

static void
test_failure_candidate (void)
{
  static const char alphabet[] = "TrKkilCUDBANnCcAaOoL -x\x80";
  char line[200];
  guint found = 0;

  for (gsize len = 0; len <= 100; len++)
    for (gsize at = 0; at + 3 <= len; at++)
      {
        memset (line, 'x', len);
        memcpy (line + at, "nAn", 3);
        g_assert_true (tw_failure_line_find_candidate (line, len) == line + at);
        /* only two bytes of it in the text */
        g_assert_null (tw_failure_line_find_candidate (line, at + 2));
        if (at + 5 <= len)
          {
            memcpy (line + at, "CUDA ", 5);
            g_assert_true (tw_failure_line_find_candidate (line, len) == line + at);
            g_assert_null (tw_failure_line_find_candidate (line, at + 4));
          }
      }

  for (guint round = 0; round < 20000; round++)
    {
      gsize len = g_test_rand_int_range (0, sizeof line);

      for (gsize i = 0; i < len; i++)
        line[i] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
      g_assert_true (tw_failure_line_find_candidate (line, len) == naive_candidate (line, len));
      if (naive_candidate (line, len) != NULL)
        found++;
      /* the prefilter passes nothing the candidate search would skip */
      if (tw_failure_line_may_matter (line, len))
        g_assert_nonnull (naive_candidate (line, len));
    }
  /* both answers were common */
  g_assert_cmpuint (found, >, 1000);
  g_assert_cmpuint (found, <, 19000);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/failure/%s", failure_cases[i].name);

      g_test_add_data_func (path, &failure_cases[i], test_failure_case);
    }
  g_test_add_func ("/extract/failure/sequence", test_failure_sequence);
  g_test_add_func ("/extract/failure/candidate", test_failure_candidate);
  g_test_add_func ("/extract/failure/context", test_failure_context);
  g_test_add_func ("/extract/failure/stray-header", test_failure_stray_header);
  g_test_add_func ("/extract/failure/torchrun-after-nan", test_failure_torchrun_after_nan);
  g_test_add_func ("/extract/failure/long-line", test_failure_long_line);
  g_test_add_func ("/extract/failure/through-extractor", test_failure_through_extractor);

  return g_test_run ();
}
