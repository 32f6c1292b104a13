/* SPDX-License-Identifier: MIT
 * fuzz-mime.c: a message as mail brings it. Parses it (mime.c, with
 * HTML bodies through mime-html.c), splits its text into the visible
 * reply and the rest (mime-text.c) and looks for forwards in it
 * (mime-forward.c); the same text work runs on the raw bytes too, as a
 * body could hold them. */
#include "autodefs.h"
#include <string.h>
#include "fuzz.h"
#include "mime.h"
#include "mime-forward.h"
#include "mime-text.h"
#include "banned.h"

/* What ingest does with a body: the visible part and the forwards. */
static void
fuzz_text(const char *text)
{
	g_auto(mime_text_split_t) split = { 0 };
	g_autoptr(mime_forward_t) fwd = NULL;

	mime_text_split(text, -1, &split);
	FUZZ_CHECK(split.visible != NULL && split.hidden != NULL);
	FUZZ_CHECK(strchr(split.visible, '\r') == NULL);
	fwd = mime_forward_parse_text(text);
	if (fwd != NULL) {
		FUZZ_CHECK(fwd->body != NULL && fwd->note != NULL);
		FUZZ_CHECK(g_utf8_validate(fwd->body, -1, NULL));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(mime_msg_t) msg = NULL;
	g_autoptr(GPtrArray) fwds = NULL;
	g_autoptr(GPtrArray) received = NULL;
	g_autofree char *raw = NULL;
	g_autoptr(GError) error = NULL;

	if (size > FUZZ_MAX_INPUT)
		return -1;
	msg = mime_parse((const char *)data, size, NULL, &error);
	if (msg != NULL) {
		FUZZ_CHECK(msg->text != NULL && msg->subject != NULL);
		FUZZ_CHECK(g_utf8_validate(msg->text, -1, NULL));
		fuzz_text(msg->text);
		fwds = mime_forward_find(msg);
		for (guint i = 0; i < fwds->len; i++)
			fuzz_text(((mime_forward_t *)fwds->pdata[i])->body);
		(void)mime_msg_header(msg, "subject");
		(void)mime_msg_header(msg, "list-id");
		received = mime_msg_headers(msg, "received");
	} else {
		FUZZ_CHECK(error != NULL && error->message != NULL);
	}
	raw = g_strndup((const char *)data, size);
	fuzz_text(raw);
	return 0;
}
