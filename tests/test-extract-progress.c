/* test-extract-progress.c — tables of lines for the progress, epoch, step and metric
 * parsers (tqdm, Lightning, Hugging Face Trainer, Keras, plain prints)
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "tw-extract-progress.h"

typedef struct
{
  const char *path;
  const char *lines;     /* one or more lines, '\n'-separated, parsed with one state */
  const char *expected;  /* tw_observation_to_string() of each, joined by "; " */
} Case;

static const Case cases[] = {
  /* tqdm */
  { "/extract/tqdm/desc",
    "desc: 40%|████      | 81/200 [00:00<00:01, 82.22it/s, loss=0.1552]",
    "progress 81/200 rate=82.22 elapsed=0 remaining=1 name=desc; metric loss=0.1552" },
  { "/extract/tqdm/epoch-prefix",
    "Epoch 3/5:  40%|████      | 81/200 [00:00<00:01, 82.12it/s, loss=0.1552]",
    "epoch 3/5; progress 81/200 rate=82.12 elapsed=0 remaining=1 name=Epoch 3/5; "
    "metric loss=0.1552" },
  { "/extract/tqdm/no-desc",
    "  3%|▎         | 9/300 [00:02<00:53,  5.48it/s]",
    "progress 9/300 rate=5.48 elapsed=2 remaining=53" },
  { "/extract/tqdm/seconds-per-item",
    "  0%|          | 1/300 [00:02<10:32,  2.00s/it]",
    "progress 1/300 rate=0.5 elapsed=2 remaining=632" },
  { "/extract/tqdm/unknown-rate",
    "  0%|          | 0/300 [00:00<?, ?it/s]",
    "progress 0/300 rate=0 elapsed=0 remaining=-1" },
  { "/extract/tqdm/hours",
    "train:  50%|█████     | 5/10 [1:02:03<1:00:00, 720.00s/it]",
    "progress 5/10 rate=0.00138889 elapsed=3723 remaining=3600 name=train" },
  { "/extract/tqdm/unknown-total",
    "Validation: |          | 0/? [00:00<?, ?it/s]",
    "progress 0/0 rate=0 elapsed=0 remaining=-1 name=Validation sub" },
  { "/extract/tqdm/text-after",
    "train:   1%|          | 1/100 [00:00<00:28,  3.48it/s]step 4: loss=47084.9570, "
    "increasing batch size to 4096",
    "progress 1/100 rate=3.48 elapsed=0 remaining=28 name=train; step 4/0; "
    "metric loss=47085" },
  { "/extract/tqdm/nan-postfix",
    "Epoch 2/5:  10%|█         | 20/200 [00:00<00:02, 80.00it/s, loss=nan, acc=inf]",
    "epoch 2/5; progress 20/200 rate=80 elapsed=0 remaining=2 name=Epoch 2/5; "
    "metric loss=nan; metric acc=inf" },
  { "/extract/tqdm/eval-sub",
    "  3%|▎         | 9/300 [00:02<00:53,  5.48it/s]\n"
    " 50%|█████     | 4/8 [00:00<00:00, 297.01it/s]\n"
    "Writing model shards: 100%|██████████| 1/1 [00:00<00:00, 98.72it/s]\n"
    " 10%|█         | 30/300 [00:02<00:12, 21.38it/s]",
    "progress 9/300 rate=5.48 elapsed=2 remaining=53; "
    "progress 4/8 rate=297.01 elapsed=0 remaining=0 sub; "
    "progress 1/1 rate=98.72 elapsed=0 remaining=0 name=Writing model shards sub; "
    "progress 30/300 rate=21.38 elapsed=2 remaining=12" },
  { "/extract/tqdm/secondary-bar",
    "train:  10%|█         | 10/100 [00:01<00:09, 10.00it/s]\n"
    "batches:  50%|█████     | 5/10 [00:00<00:00, 50.00it/s]",
    "progress 10/100 rate=10 elapsed=1 remaining=9 name=train; "
    "progress 5/10 rate=50 elapsed=0 remaining=0 name=batches sub" },
  { "/extract/tqdm/eval-first",
    "  0%|          | 0/8 [00:00<?, ?it/s]\n"
    "  0%|          | 1/300 [00:02<10:32,  2.00s/it]\n"
    "100%|██████████| 8/8 [00:00<00:00, 297.01it/s]",
    "progress 0/8 rate=0 elapsed=0 remaining=-1; "
    "progress 1/300 rate=0.5 elapsed=2 remaining=632; "
    "progress 8/8 rate=297.01 elapsed=0 remaining=0 sub" },
  { "/extract/tqdm/word-start",
    "latest shards: 50%|█████     | 5/10 [00:00<00:00, 50.00it/s]\n"
    "Testing: 50%|█████     | 5/10 [00:00<00:00, 50.00it/s]",
    "progress 5/10 rate=50 elapsed=0 remaining=0 name=latest shards; "
    "progress 5/10 rate=50 elapsed=0 remaining=0 name=Testing sub" },
  /* unit_scale: counts and rates with k/M/G/T suffixes, units after them */
  { "/extract/tqdm/scaled/k",
    " 45%|████▌     | 4.50k/10.0k [00:03<00:04, 1.23kit/s]",
    "progress 4500/10000 rate=1230 elapsed=3 remaining=4" },
  { "/extract/tqdm/scaled/mega",
    "tokens:  40%|████      | 1.20M/3.00M [00:01<00:02, 1.02Mit/s, loss=0.3]",
    "progress 1200000/3000000 rate=1.02e+06 elapsed=1 remaining=2 name=tokens; "
    "metric loss=0.3" },
  { "/extract/tqdm/scaled/bytes",
    "Downloading:  27%|██▋       | 12.3MB/45.6MB [00:04<00:10, 3.21MB/s]",
    "progress 12300000/45600000 rate=3.21e+06 elapsed=4 remaining=10 name=Downloading" },
  { "/extract/tqdm/scaled/giga",
    "model.safetensors: 100%|██████████| 1.23G/1.23G [00:10<00:00, 123MB/s]",
    "progress 1230000000/1230000000 rate=1.23e+08 elapsed=10 remaining=0 "
    "name=model.safetensors" },
  { "/extract/tqdm/scaled/tera",
    "scan:  50%|█████     | 1.50T/3.00T [1:00:00<1:00:00, 416GB/s]",
    "progress 1500000000000/3000000000000 rate=4.16e+11 elapsed=3600 remaining=3600 "
    "name=scan" },
  { "/extract/tqdm/scaled/below-thousand",
    "  99%|█████████▉| 999/1.00k [00:09<00:00, 99.9it/s]",
    "progress 999/1000 rate=99.9 elapsed=9 remaining=0" },
  { "/extract/tqdm/scaled/unknown-total",
    "Streaming: |          | 4.50k/? [00:03, 1.23kit/s]",
    "progress 4500/0 rate=1230 elapsed=3 remaining=-1 name=Streaming" },
  { "/extract/tqdm/scaled/seconds-per-item",
    "  0%|          | 1.00/300 [00:02<10:32,  2.00s/it]",
    "progress 1/300 rate=0.5 elapsed=2 remaining=632" },
  /* a letter that is no suffix: a bar cut by what came next */
  { "/extract/tqdm/scaled/not-a-suffix",
    " 90%|█████████ | 181/200 [00:02<00:00, 85.8Killed",
    "progress 181/200 rate=85.8 elapsed=2 remaining=0" },
  { "/extract/tqdm/scaled/not-a-unit",
    " 90%|█████████ | 181K/200Killed [00:02<00:00, 85.8it/s]",
    "" },
  { "/extract/tqdm/not-a-bar",
    "step 100/2000 | loss 16.846113 | 07:38:04",
    "step 100/2000; metric loss=16.8461" },
  /* Lightning */
  { "/extract/lightning/tqdm-epoch",
    "Training: |          | 0/? [00:00<?, ?it/s]\n"
    "Epoch 3: 100%|██████████| 282/282 [00:01<00:00, 214.21it/s, v_num=0, "
    "train_loss=0.109, val_loss=0.179]",
    "progress 0/0 rate=0 elapsed=0 remaining=-1 name=Training; epoch 4/0; "
    "progress 282/282 rate=214.21 elapsed=1 remaining=0 name=Epoch 3; "
    "metric train_loss=0.109; metric val_loss=0.179 sub" },
  { "/extract/lightning/validation-sub",
    "Epoch 0:  10%|▉         | 27/282 [00:00<00:01, 133.40it/s, v_num=0]\n"
    "Validation DataLoader 0: 100%|██████████| 8/8 [00:00<00:00, 303.84it/s]",
    "epoch 1/0; progress 27/282 rate=133.4 elapsed=0 remaining=1 name=Epoch 0; "
    "progress 8/8 rate=303.84 elapsed=0 remaining=0 name=Validation DataLoader 0 sub" },
  { "/extract/lightning/max-epochs",
    "`Trainer.fit` stopped: `max_epochs=4` reached.\n"
    "Epoch 3: 100%|██████████| 282/282 [00:01<00:00, 214.21it/s, v_num=0]",
    "completed message=`Trainer.fit` stopped: `max_epochs=4` reached.; epoch 4/4; "
    "progress 282/282 rate=214.21 elapsed=1 remaining=0 name=Epoch 3" },
  { "/extract/lightning/rich",
    "Epoch 3/3  ━━━━━━━━━━━━━━━━ 282/282 0:00:01 •       203.38it/s v_num: 0         \n"
    "                                    0:00:00                    train_loss: 0.109\n"
    "                                                               val_loss: 0.179  \n"
    "not a metric line\n"
    "                                                               val_acc: 0.939   ",
    "epoch 4/4; progress 282/282 rate=203.38 elapsed=1 remaining=-1; "
    "metric train_loss=0.109; metric val_loss=0.179 sub" },
  /* Hugging Face Trainer */
  { "/extract/hf/strings",
    "{'loss': '5.742', 'grad_norm': '1.299', 'learning_rate': '0.000485', 'epoch': '0.07812'}",
    "metric loss=5.742; metric grad_norm=1.299; metric learning_rate=0.000485; "
    "metric epoch=0.07812" },
  { "/extract/hf/numbers",
    "{'loss': 2.345, 'grad_norm': 1.23, 'learning_rate': 5e-05, 'epoch': 0.33}",
    "metric loss=2.345; metric grad_norm=1.23; metric learning_rate=5e-05; metric epoch=0.33" },
  { "/extract/hf/eval",
    "{'eval_loss': '3.09', 'eval_runtime': '0.0311', 'epoch': '2.344'}",
    "metric eval_loss=3.09 sub; metric eval_runtime=0.0311 sub; metric epoch=2.344; "
    "evaluation" },
  { "/extract/hf/final-eval",
    "final eval: {'eval_loss': 3.0900464057922363, 'epoch': 2.34375}",
    "metric eval_loss=3.09005 sub; metric epoch=2.34375; evaluation" },
  { "/extract/hf/train-runtime",
    "{'train_runtime': '7.119', 'train_loss': '3.421', 'epoch': '2.344'}",
    "metric train_runtime=7.119; metric train_loss=3.421; metric epoch=2.344; completed" },
  { "/extract/hf/nan",
    "{'loss': nan, 'grad_norm': 'inf', 'note': 'a, b', 'lr': 0.1}",
    "metric loss=nan; metric grad_norm=inf; metric lr=0.1" },
  /* Keras */
  { "/extract/keras/epoch",
    "Epoch 3/10",
    "epoch 3/10" },
  { "/extract/keras/step-line",
    "100/100 ━━━━━━━━━━━━━━━━━━━━ 2s 15ms/step - accuracy: 0.91 - loss: 0.23",
    "progress 100/100 rate=66.6667 elapsed=2 remaining=-1; metric accuracy=0.91; "
    "metric loss=0.23" },
  { "/extract/keras/running",
    "  1/100 ━━━━━━━━━━━━━━━━━━━━ 2:05 1s/step - loss: 2.3",
    "progress 1/100 rate=1 elapsed=-1 remaining=125; metric loss=2.3" },
  { "/extract/keras/validation",
    "100/100 ━━━━━━━━━━━━━━━━━━━━ 2s 15ms/step - accuracy: 0.91 - loss: 0.23 - "
    "val_accuracy: 0.9 - val_loss: 0.3",
    "progress 100/100 rate=66.6667 elapsed=2 remaining=-1; metric accuracy=0.91; "
    "metric loss=0.23; metric val_accuracy=0.9 sub; metric val_loss=0.3 sub; evaluation" },
  { "/extract/keras/keras2-eta",
    "  12/100 [==>...........................] - ETA: 3s - loss: 0.41 - accuracy: 0.87",
    "progress 12/100 rate=0 elapsed=-1 remaining=3; metric loss=0.41; "
    "metric accuracy=0.87" },
  { "/extract/keras/keras2-eta-clock",
    "  13/100 [===>..........................] - ETA: 1:02 - loss: 0.40",
    "progress 13/100 rate=0 elapsed=-1 remaining=62; metric loss=0.4" },
  { "/extract/keras/keras2-eta-zero",
    "100/100 [==============================] - ETA: 0s - loss: 0.2",
    "progress 100/100 rate=0 elapsed=-1 remaining=0; metric loss=0.2" },
  { "/extract/keras/keras2-final",
    "100/100 [==============================] - 5s 50ms/step - loss: 0.2 - accuracy: 0.9 - "
    "val_loss: 0.3 - val_accuracy: 0.85",
    "progress 100/100 rate=20 elapsed=5 remaining=-1; metric loss=0.2; metric accuracy=0.9; "
    "metric val_loss=0.3 sub; metric val_accuracy=0.85 sub; evaluation" },
  { "/extract/keras/keras2-per-sample",
    "60000/60000 [==============================] - 3s 50us/sample - loss: 0.2",
    "progress 60000/60000 rate=20000 elapsed=3 remaining=-1; metric loss=0.2" },
  { "/extract/keras/keras2-minutes",
    "1875/1875 [==============================] - 1m 32ms/step - loss: 0.1",
    "progress 1875/1875 rate=31.25 elapsed=60 remaining=-1; metric loss=0.1" },
  { "/extract/keras/not-keras",
    "12/100 files copied",
    "" },
  { "/extract/keras/eta",
    " 37/100 ━━━━━━━━━━━━━━━━━━━━ 1s 20ms/step - loss: 0.5 - ETA: 1s",
    "progress 37/100 rate=50 elapsed=-1 remaining=1; metric loss=0.5" },
  /* plain prints */
  { "/extract/generic/epoch-summary",
    "epoch 5: train_loss=0.0677 val_acc=0.9932",
    "epoch 5/0 sub; metric train_loss=0.0677; metric val_acc=0.9932 sub" },
  { "/extract/generic/jax-step",
    "step 1600/2000 | loss 0.000000 | 07:38:04",
    "step 1600/2000; metric loss=0" },
  { "/extract/generic/iter",
    "iter 10/100 loss: 0.3",
    "step 10/100; metric loss=0.3" },
  { "/extract/generic/step-of",
    "Step 3 of 10, lr=0.001, loss = 1.5",
    "step 3/10; metric lr=0.001; metric loss=1.5" },
  { "/extract/generic/no-marker",
    "loss=0.5 accuracy=0.9",
    "" },
  { "/extract/generic/nan-word",
    "step 7: nanoseconds=12 loss=NaN grad=-inf",
    "step 7/0; metric nanoseconds=12; metric loss=nan; metric grad=-inf" },
  { "/extract/generic/nan-inside-word",
    "step 7: loss=nanny",
    "step 7/0" },
  { "/extract/generic/checkpoint",
    "Saved checkpoint to /home/researcher/runs/ckpt_ep1.pt",
    "checkpoint message=/home/researcher/runs/ckpt_ep1.pt" },
  { "/extract/generic/hf-checkpoint",
    "Saving model checkpoint to /tmp/out/checkpoint-100",
    "checkpoint message=/tmp/out/checkpoint-100" },
  { "/extract/generic/training-complete",
    "Training complete.",
    "completed" },
  { "/extract/generic/done",
    "done",
    "completed" },
  { "/extract/generic/done-in-sentence",
    "Loading done in 3 seconds",
    "" },
  { "/extract/generic/finished-training",
    "Finished training after 5 epochs",
    "completed" },
  { "/extract/generic/traceback",
    "  File \"/home/researcher/project/plain_loop.py\", line 21, in <module>",
    "" },
  { "/extract/generic/stepper-word",
    "lr_scheduler.step() called before optimizer.step()",
    "" },
};

static char *
describe (GArray *out)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < out->len; i++)
    {
      g_autofree char *one = tw_observation_to_string (&g_array_index (out, TwObservation, i));

      if (i > 0)
        g_string_append (s, "; ");
      g_string_append (s, one);
    }
  return g_string_free (s, FALSE);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (TwObservation));
  g_auto(GStrv) lines = g_strsplit (c->lines, "\n", -1);
  g_autofree char *got = NULL;
  TwProgressState state;
  guint i;

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  tw_progress_state_init (&state);
  for (i = 0; lines[i] != NULL; i++)
    tw_extract_progress_line (&state, lines[i], i, out);
  got = describe (out);
  g_assert_cmpstr (got, ==, c->expected);
}

static void
test_offsets (void)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (TwObservation));
  TwProgressState state;

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  tw_progress_state_init (&state);
  g_assert_true (tw_extract_progress_line (&state, "epoch 2: loss=0.5", 1234, out));
  g_assert_cmpuint (out->len, ==, 2);
  g_assert_cmpuint (g_array_index (out, TwObservation, 0).offset, ==, 1234);
  g_assert_cmpuint (g_array_index (out, TwObservation, 1).offset, ==, 1234);
  g_assert_false (tw_extract_progress_line (&state, "nothing to see", 1300, out));
  g_assert_cmpuint (out->len, ==, 2);
}

static void
test_metric_values (void)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (TwObservation));
  TwProgressState state;

  g_array_set_clear_func (out, (GDestroyNotify) tw_observation_clear);
  tw_progress_state_init (&state);
  tw_extract_progress_line (&state, "step 1: a=nan b=inf c=-inf d=1e-3", 0, out);
  g_assert_cmpuint (out->len, ==, 5);
  g_assert_true (isnan (g_array_index (out, TwObservation, 1).value));
  g_assert_true (isinf (g_array_index (out, TwObservation, 2).value));
  g_assert_cmpfloat (g_array_index (out, TwObservation, 2).value, >, 0);
  g_assert_cmpfloat (g_array_index (out, TwObservation, 3).value, <, 0);
  g_assert_cmpfloat (g_array_index (out, TwObservation, 4).value, ==, 1e-3);
}

int
main (int    argc,
      char **argv)
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);
  g_test_add_func ("/extract/progress/offsets", test_offsets);
  g_test_add_func ("/extract/progress/metric-values", test_metric_values);

  return g_test_run ();
}
