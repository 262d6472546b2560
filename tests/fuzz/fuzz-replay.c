/* fuzz-replay.c — replays saved fuzz inputs through a target, as a unit test without libFuzzer
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Linked with one fuzz-*.c in the normal build (gcc is enough). Each argument
 * is a file or a directory of files; each file is one input, given to
 * LLVMFuzzerTestOneInput() as libFuzzer would. A crash, a sanitizer report or
 * a failed assertion fails the test; so does finding no input at all.
 * Prints TAP, one line per input.
 */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw-fuzz.h"

/* g_ptr_array_sort() hands out pointers to the elements. */
static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;

  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (names, i)));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);

  if (files->len == 0)
    {
      printf ("1..0 # no input to replay\n");
      printf ("Bail out! No input found in the paths given\n");
      return EXIT_FAILURE;
    }

  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *contents = NULL;
      g_autofree guint8 *copy = NULL;
      g_autoptr(GError) error = NULL;
      gsize len;

      if (!g_file_get_contents (path, &contents, &len, &error))
        {
          printf ("not ok %u %s # %s\n", i + 1, path, error->message);
          continue;
        }

      /* An exact-size copy without the NUL g_file_get_contents() adds, so that
       * ASan sees a read past the end, as under libFuzzer. */
      copy = g_malloc (MAX (len, 1));
      memcpy (copy, contents, len);
      fflush (stdout);
      LLVMFuzzerTestOneInput (copy, len);
      printf ("ok %u %s\n", i + 1, path);
    }

  return EXIT_SUCCESS;
}
