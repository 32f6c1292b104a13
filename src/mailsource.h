/* SPDX-License-Identifier: MIT
 * mailsource.h: the messages of a Maildir, an mbox file, a single message
 * file, or a directory tree of those, for `postdesk import`. I/O: reads
 * files, never changes them, does not parse MIME and does not log. */
#ifndef POSTDESK_MAILSOURCE_H
#define POSTDESK_MAILSOURCE_H
#include <glib.h>

/* One message, borrowed by the callback for the duration of the call
 * (g_bytes_ref() DATA to keep it). */
typedef struct {
	/* "PATH" for a file, "PATH:N" for the Nth (1-based) message of an
	 * mbox; PATH as given, joined with the names found below it. */
	const char *origin;
	/* The message bytes (for an mbox: without the "From " line, with
	 * one level of ">From " quoting removed and without the blank line
	 * that ends it), or NULL when SIZE is over the cap. */
	GBytes *data;
	/* Its size in bytes, also when DATA is NULL. */
	gsize size;
} mailsource_msg_t;

/* Return FALSE with *ERROR set to stop the walk. */
typedef gboolean (*mailsource_fn)(const mailsource_msg_t *msg, gpointer user,
				  GError **error);

/* Walk PATH, calling FN for every message, in a fixed order:
 * - a Maildir (a directory with cur/ and/or new/): new/ then cur/, files
 *   sorted by name; tmp/, dot files and Maildir++ subfolders are skipped;
 * - an mbox (a file starting with "From "): its messages in file order;
 * - any other file: one message;
 * - any other directory: its entries sorted by name, dot files skipped,
 *   subdirectories walked the same way (each directory once, so symlink
 *   loops end); sockets, FIFOs and devices found inside are skipped.
 * Empty files hold no message. A file that disappears during the walk
 * (a mail client moving it from new/ to cur/) is skipped or found again.
 * MAX_SIZE caps one message (0: no cap other than G_MAXUINT); a message
 * over it is passed with DATA NULL and is not kept in memory, so memory
 * stays bounded by the cap whatever the size of an mbox.
 * Returns FALSE with PD_ERROR_NOT_FOUND when PATH does not exist,
 * PD_ERROR_INPUT when PATH or anything below it cannot be read, or FN's
 * error, passed on unchanged. */
gboolean mailsource_walk(const char *path, gsize max_size, mailsource_fn fn,
			 gpointer user, GError **error);

/* What PATH is: "maildir", "mbox" (also an empty file), "file",
 * "directory", or NULL when it does not exist. Static string. */
const char *mailsource_kind(const char *path);
#endif
