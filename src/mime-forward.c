/* SPDX-License-Identifier: MIT
 * mime-forward.c: forwarded mail, attached or inline, and its original
 * author. Pure: no I/O, no logging, no database.
 *
 * An inline forward is a marker line, a header block and the original
 * text. Markers are what the clients write: a dash-framed title
 * ("---------- Forwarded message ---------" from Gmail, "--------
 * Forwarded Message --------" from Thunderbird, "-----Original
 * Message-----" from Outlook, "----- Forwarded message from X -----" from
 * mutt), Apple Mail's "Begin forwarded message:", a rule of underscores
 * (Outlook web) or no marker at all (Outlook's HTML separator lost in
 * conversion), each in the clients' languages. The header block is
 * "Key: value" lines with the keys localised ("Von:", "De :", "Enviado
 * el:"), sometimes bold ("*From:*") or quoted ("> From:", Apple Mail).
 * The dash count tells Gmail (10) from Thunderbird and K-9 (8) and Outlook
 * (5, no spaces); header order tells Thunderbird (Subject first) from K-9.
 *
 * What is not a forward: a reply quoting history under an attribution
 * ("On ... wrote:" then "> " lines). A marker inside a quote counts only
 * when the quote starts with it and the line above it does not end in
 * ':' (an attribution), which is how Apple Mail quotes a forward. A block
 * without a strong marker must start with From and hold two of Date/Sent,
 * To and Subject, so a "From:" in running text or a signature is never
 * one.
 *
 * Follows: RFC 5322 sections 3.3 (dates), 3.4 (addresses) and 3.6.4
 * (Message-ID, References); RFC 2046 section 5.2.1 (message/rfc822) for
 * attached forwards, which mime.c has already parsed. */
#include "autodefs.h"
#include <string.h>
#include "mime-forward.h"
#include "util.h"
#include "banned.h"

#define MF_KEY_MAX 40       /* bytes of a header key ("Gesendet am") */
#define MF_VALUE_MAX 2000   /* one header value, continuation lines joined */
#define MF_CONT_MAX 8       /* continuation lines of one header field */
#define MF_BLANK_SKIP 3     /* blank lines between a marker and its headers */
#define MF_QUOTE_MAX 32     /* '>' levels counted */
#define MF_REFS_MAX 100     /* ids kept from References */
#define MF_ID_MAX 250       /* bytes of one Message-ID */
#define MF_DATE_MAX 200     /* bytes of a date we try to parse */
#define MF_RULE_MIN 8       /* "________" or "--------" alone on a line */

/* One line of the text: where it starts, its quote depth, its content
 * after the quote marks. */
typedef struct {
	gsize start;     /* offset of the line in the text */
	gsize next;      /* offset of the next line */
	const char *s;   /* content after the quote marks */
	gsize len;       /* bytes of content, without the line end */
	guint depth;     /* '>' levels */
} mf_line_t;

typedef enum {
	F_NONE,
	F_FROM,
	F_DATE,
	F_TO,
	F_CC,
	F_SUBJECT,
	F_REPLY_TO,
	F_MSGID,
	F_REFS,
	F_IRT,
	F_OTHER,
	F_COUNT
} mf_field_t;

typedef struct {
	const char *key; /* case-folded, one space between words */
	guint8 field;
	guint8 sent;     /* the date key Outlook writes ("Sent:") */
} mf_key_t;

/* Header keys of forwarded header blocks, in the clients' languages:
 * Outlook's (From/Sent/To/Subject and its translations), Apple Mail's and
 * Thunderbird's (Subject/Date/From/To: "Sujet", "Pour" in French), Gmail's
 * (it translates only "From"), K-9's, and RFC 5322 names for mutt. */
static const mf_key_t mf_keys[] = {
	{ "from", F_FROM, 0 }, { "von", F_FROM, 0 }, { "de", F_FROM, 0 },
	{ "van", F_FROM, 0 }, { "da", F_FROM, 0 }, { "fra", F_FROM, 0 },
	{ "från", F_FROM, 0 }, { "od", F_FROM, 0 }, { "от", F_FROM, 0 },
	{ "від", F_FROM, 0 }, { "lähettäjä", F_FROM, 0 },
	{ "feladó", F_FROM, 0 }, { "kimden", F_FROM, 0 },
	{ "expéditeur", F_FROM, 0 }, { "remetente", F_FROM, 0 },
	{ "mittente", F_FROM, 0 }, { "afzender", F_FROM, 0 },
	{ "absender", F_FROM, 0 }, { "nadawca", F_FROM, 0 },
	{ "odesílatel", F_FROM, 0 }, { "发件人", F_FROM, 0 },
	{ "寄件者", F_FROM, 0 }, { "差出人", F_FROM, 0 },
	{ "보낸 사람", F_FROM, 0 }, { "από", F_FROM, 0 },

	{ "date", F_DATE, 0 }, { "datum", F_DATE, 0 }, { "data", F_DATE, 0 },
	{ "fecha", F_DATE, 0 }, { "dato", F_DATE, 0 }, { "дата", F_DATE, 0 },
	{ "päivämäärä", F_DATE, 0 }, { "日期", F_DATE, 0 },
	{ "sent", F_DATE, 1 }, { "gesendet", F_DATE, 1 },
	{ "gesendet am", F_DATE, 1 }, { "envoyé", F_DATE, 1 },
	{ "envoyé le", F_DATE, 1 }, { "enviado", F_DATE, 1 },
	{ "enviado el", F_DATE, 1 }, { "enviada", F_DATE, 1 },
	{ "enviado em", F_DATE, 1 }, { "enviada em", F_DATE, 1 },
	{ "inviato", F_DATE, 1 }, { "inviato il", F_DATE, 1 },
	{ "verzonden", F_DATE, 1 }, { "verzonden op", F_DATE, 1 },
	{ "skickat", F_DATE, 1 }, { "sendt", F_DATE, 1 },
	{ "lähetetty", F_DATE, 1 }, { "wysłano", F_DATE, 1 },
	{ "wysłane", F_DATE, 1 }, { "отправлено", F_DATE, 1 },
	{ "odesláno", F_DATE, 1 }, { "elküldve", F_DATE, 1 },
	{ "发送时间", F_DATE, 1 }, { "送信日時", F_DATE, 1 },
	{ "보낸 날짜", F_DATE, 1 }, { "寄件日期", F_DATE, 1 },
	{ "надіслано", F_DATE, 1 }, { "gönderildi", F_DATE, 1 },
	{ "στάλθηκε", F_DATE, 1 }, { "tarih", F_DATE, 0 },

	{ "to", F_TO, 0 }, { "an", F_TO, 0 }, { "à", F_TO, 0 },
	{ "a", F_TO, 0 }, { "para", F_TO, 0 }, { "aan", F_TO, 0 },
	{ "til", F_TO, 0 }, { "till", F_TO, 0 }, { "do", F_TO, 0 },
	{ "pour", F_TO, 0 }, { "destinataire", F_TO, 0 },
	{ "кому", F_TO, 0 }, { "vastaanottaja", F_TO, 0 },
	{ "címzett", F_TO, 0 }, { "komu", F_TO, 0 }, { "收件人", F_TO, 0 },
	{ "宛先", F_TO, 0 }, { "받는 사람", F_TO, 0 }, { "收件者", F_TO, 0 },
	{ "kime", F_TO, 0 }, { "προς", F_TO, 0 },

	{ "cc", F_CC, 0 }, { "bcc", F_CC, 0 }, { "kopie", F_CC, 0 },
	{ "copie", F_CC, 0 }, { "copie à", F_CC, 0 }, { "cco", F_CC, 0 },
	{ "cópia", F_CC, 0 }, { "kopia", F_CC, 0 }, { "копия", F_CC, 0 },
	{ "抄送", F_CC, 0 },

	{ "subject", F_SUBJECT, 0 }, { "betreff", F_SUBJECT, 0 },
	{ "objet", F_SUBJECT, 0 }, { "sujet", F_SUBJECT, 0 },
	{ "asunto", F_SUBJECT, 0 }, { "oggetto", F_SUBJECT, 0 },
	{ "onderwerp", F_SUBJECT, 0 }, { "assunto", F_SUBJECT, 0 },
	{ "ämne", F_SUBJECT, 0 }, { "emne", F_SUBJECT, 0 },
	{ "aihe", F_SUBJECT, 0 }, { "temat", F_SUBJECT, 0 },
	{ "тема", F_SUBJECT, 0 }, { "předmět", F_SUBJECT, 0 },
	{ "tárgy", F_SUBJECT, 0 }, { "konu", F_SUBJECT, 0 },
	{ "主题", F_SUBJECT, 0 }, { "主旨", F_SUBJECT, 0 },
	{ "件名", F_SUBJECT, 0 }, { "제목", F_SUBJECT, 0 },
	{ "θέμα", F_SUBJECT, 0 },

	{ "reply-to", F_REPLY_TO, 0 }, { "antwort an", F_REPLY_TO, 0 },
	{ "répondre à", F_REPLY_TO, 0 }, { "responder a", F_REPLY_TO, 0 },
	{ "rispondi a", F_REPLY_TO, 0 }, { "risposta", F_REPLY_TO, 0 },
	{ "antwoord aan", F_REPLY_TO, 0 },

	{ "message-id", F_MSGID, 0 }, { "references", F_REFS, 0 },
	{ "in-reply-to", F_IRT, 0 },

	{ "organization", F_OTHER, 0 }, { "organisation", F_OTHER, 0 },
	{ "importance", F_OTHER, 0 }, { "priority", F_OTHER, 0 },
	{ "wichtigkeit", F_OTHER, 0 }, { "attachments", F_OTHER, 0 },
	{ "anlagen", F_OTHER, 0 }, { "pièces jointes", F_OTHER, 0 },
	{ "received", F_OTHER, 0 }, { "sender", F_OTHER, 0 },
	{ "newsgroups", F_OTHER, 0 },
};

/* Titles of dash-framed markers, case-folded. */
static const char *const mf_forward_titles[] = {
	"forwarded message", "forwarded e-mail", "forwarded email",
	"weitergeleitete nachricht", "weitergeleitete e-mail",
	"message transféré", "mensaje reenviado", "messaggio inoltrato",
	"doorgestuurd bericht", "mensagem encaminhada",
	"mensagem reencaminhada", "vidarebefordrat meddelande",
	"videresendt meddelelse", "videresendt melding",
	"przekazana wiadomość", "пересылаемое сообщение",
	"пересланное сообщение", "přeposlaná zpráva", "välitetty viesti",
	"továbbított üzenet", "iletilen mesaj", "iletilen ileti",
	"wiadomość przekazana", "转发的邮件", "转发邮件", "已转发邮件", "轉寄郵件",
	"転送されたメッセージ", "전달된 메시지",
};
static const char *const mf_original_titles[] = {
	"original message", "ursprüngliche nachricht", "originalnachricht",
	"message d'origine", "message d’origine", "message original",
	"mensaje original", "messaggio originale", "oorspronkelijk bericht",
	"origineel bericht", "mensagem original", "originalmeddelande",
	"ursprungligt meddelande", "opprinnelig melding",
	"oprindelig meddelelse", "alkuperäinen viesti",
	"wiadomość oryginalna", "oryginalna wiadomość", "исходное сообщение",
	"původní zpráva", "eredeti üzenet", "orijinal mesaj", "原始邮件",
	"原始郵件", "元のメッセージ", "원본 메시지",
};
/* Apple Mail's intro line, without its ':'. */
static const char *const mf_apple_intros[] = {
	"begin forwarded message", "anfang der weitergeleiteten nachricht",
	"anfang der weitergeleiteten e-mail", "début du message réexpédié",
	"début du message transféré", "inicio del mensaje reenviado",
	"comienzo del mensaje reenviado", "inizio messaggio inoltrato",
	"begin doorgestuurd bericht", "início da mensagem reencaminhada",
	"início da mensagem encaminhada", "vidarebefordrat brev",
	"början på vidarebefordrat brev", "videresendt besked",
	"start på videresendt besked", "välitetty viesti alkaa",
	"początek przekazywanej wiadomości", "начало переадресованного сообщения",
};
/* Lotus Notes and others name the forwarder in the marker: "----- Forwarded
 * by Name/Org on DATE -----"; the author is in the header block below. */
static const char *const mf_forwarded_by[] = {
	"forwarded by ", "weitergeleitet von ", "transféré par ", "reenviado por ",
	"inoltrato da ", "doorgestuurd door ",
};
#define MF_MUTT_FROM "forwarded message from "
#define MF_MUTT_END "end forwarded message"

typedef enum {
	MK_NONE,
	MK_GMAIL,   /* ten dashes */
	MK_EIGHT,   /* Thunderbird or K-9: decided by the header order */
	MK_OUTLOOK, /* "-----Original Message-----" */
	MK_GENERIC, /* other framed titles ("----- Forwarded Message -----") */
	MK_APPLE,
	MK_MUTT,
	MK_MUTT_END, /* "----- End forwarded message -----": not a start */
	MK_RULE,    /* weak: underscores or dashes alone */
	MK_TITLE,   /* weak: "Forwarded message" alone */
} mf_marker_t;

/* A header block, as read. */
typedef struct {
	GString *value[F_COUNT]; /* first occurrence of each field, or NULL */
	mf_field_t first;        /* field of the first line */
	gboolean sent;           /* the date key was Outlook's "Sent" */
	gsize start, end;        /* line indexes: first line, after the last */
} mf_block_t;

typedef struct {
	const char *text; /* valid UTF-8, LF line ends */
	gsize len;
	mf_line_t *lines;
	gsize n;          /* lines indexed */
} mf_ctx_t;

void
mime_forward_free(mime_forward_t *f)
{
	if (f == NULL)
		return;
	g_free(f->style);
	g_free(f->author_name);
	g_free(f->author_address);
	g_free(f->date_text);
	g_free(f->subject);
	g_free(f->message_id);
	if (f->references != NULL)
		g_ptr_array_unref(f->references);
	g_free(f->body);
	g_free(f->note);
	g_free(f);
}

static mime_forward_t *
mf_new(const char *style)
{
	mime_forward_t *f = g_new0(mime_forward_t, 1);

	f->style = g_strdup(style);
	f->references = g_ptr_array_new_with_free_func(g_free);
	return f;
}

static void
mf_block_clear(mf_block_t *b)
{
	for (int i = 0; i < F_COUNT; i++)
		if (b->value[i] != NULL)
			g_string_free(b->value[i], TRUE);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

static gboolean
mf_is_space(const char *s, gsize len, gsize *n)
{
	const guchar *u = (const guchar *)s;

	*n = 1;
	if (len >= 1 && (u[0] == ' ' || u[0] == '\t' || u[0] == '\v' || u[0] == '\f'))
		return TRUE;
	/* U+00A0 no-break space, U+202F narrow no-break space (macOS puts it
	 * before "AM"), U+200E/U+200F direction marks (Outlook dates), U+200B
	 * zero width space. */
	if (len >= 2 && u[0] == 0xC2 && u[1] == 0xA0) {
		*n = 2;
		return TRUE;
	}
	if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] == 0xAF || u[2] == 0x8E || u[2] == 0x8F || u[2] == 0x8B)) {
		*n = 3;
		return TRUE;
	}
	return FALSE;
}

/* Trim white space (ASCII and the invisible kinds above) at both ends of
 * S, LEN bytes: adjusts *S and *LEN. */
static void
mf_trim(const char **s, gsize *len)
{
	gsize n;
	gboolean more = TRUE;

	while (*len > 0 && mf_is_space(*s, *len, &n)) {
		*s += n;
		*len -= n;
	}
	while (more) {
		more = FALSE;
		for (gsize k = 1; k <= 3 && k <= *len; k++) {
			if (mf_is_space(*s + *len - k, k, &n) && n == k) {
				*len -= k;
				more = TRUE;
				break;
			}
		}
	}
}

/* Read the line at POS of TEXT into *L. Quote marks: up to three spaces,
 * then '>' marks (spaces allowed between them), then one space. */
static void
mf_line_read(const char *text, gsize len, gsize pos, mf_line_t *l)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	gsize end = nl != NULL ? (gsize)(nl - text) : len;
	gsize p = pos, sp = 0;

	l->start = pos;
	l->next = nl != NULL ? end + 1 : len;
	l->depth = 0;
	for (;;) {
		gsize q = p;

		while (q < end && text[q] == ' ' && q - p < 3)
			q++;
		if (q < end && text[q] == '>') {
			if (l->depth < MF_QUOTE_MAX)
				l->depth++;
			p = q + 1;
			sp = p;
			continue;
		}
		break;
	}
	if (l->depth > 0 && sp < end && text[sp] == ' ')
		p = sp + 1;
	l->s = text + p;
	l->len = end - p;
}

static gboolean
mf_blank(const mf_line_t *l)
{
	const char *s = l->s;
	gsize len = l->len;

	mf_trim(&s, &len);
	return len == 0;
}

/* ------------------------------------------------------------------ */
/* Markers                                                             */

/* Case-folded copy of S (LEN bytes) with runs of white space made one
 * space. New string. */
static char *
mf_fold(const char *s, gsize len)
{
	g_autofree char *folded = g_utf8_casefold(s, (gssize)len);
	const char *end = folded + strlen(folded);
	GString *out = g_string_sized_new(len);
	gboolean space = FALSE;
	gsize n;

	for (const char *p = folded; *p != '\0';) {
		if (mf_is_space(p, (gsize)(end - p), &n)) {
			space = out->len > 0;
			p += n;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

static gboolean
mf_in(const char *word, const char *const *list, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(word, list[i]) == 0)
			return TRUE;
	return FALSE;
}

/* What kind of marker L is; for mutt, *WHO gets the author text of the
 * marker (new string). */
static mf_marker_t
mf_marker(const mf_line_t *l, char **who)
{
	const char *s = l->s;
	gsize len = l->len, lead = 0, trail = 0;
	gboolean spaced;
	g_autofree char *title = NULL;

	*who = NULL;
	if (len > MIME_FORWARD_LINE_MAX)
		return MK_NONE;
	mf_trim(&s, &len);
	while (len > 0 && *s == '*') { /* bold, from HTML */
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == '*')
		len--;
	mf_trim(&s, &len);
	if (len == 0)
		return MK_NONE;
	if (len >= MF_RULE_MIN && strspn(s, "_") >= len)
		return MK_RULE;
	if (len >= MF_RULE_MIN && strspn(s, "-") >= len)
		return MK_RULE;
	while (lead < len && s[lead] == '-')
		lead++;
	while (trail < len - lead && s[len - 1 - trail] == '-')
		trail++;
	if (lead >= 2 && trail >= 2) {
		const char *t = s + lead;
		gsize tlen = len - lead - trail;

		spaced = tlen > 0 && (*t == ' ' || *t == '\t');
		mf_trim(&t, &tlen);
		title = mf_fold(t, tlen);
		if (g_str_has_prefix(title, MF_MUTT_FROM)) {
			/* The author as written, not case-folded. */
			const char *w = t + strlen(MF_MUTT_FROM);
			gsize wlen = tlen - strlen(MF_MUTT_FROM);

			mf_trim(&w, &wlen);
			*who = g_strndup(w, wlen);
			return MK_MUTT;
		}
		if (strcmp(title, MF_MUTT_END) == 0)
			return MK_MUTT_END;
		for (gsize i = 0; i < G_N_ELEMENTS(mf_forwarded_by); i++)
			if (g_str_has_prefix(title, mf_forwarded_by[i]))
				return MK_GENERIC;
		if (mf_in(title, mf_forward_titles, G_N_ELEMENTS(mf_forward_titles))) {
			if (lead >= 10)
				return MK_GMAIL;
			if (lead >= 6)
				return MK_EIGHT;
			return spaced ? MK_GENERIC : MK_OUTLOOK;
		}
		if (mf_in(title, mf_original_titles, G_N_ELEMENTS(mf_original_titles))) {
			if (lead >= 6 && lead < 10)
				return MK_EIGHT;
			return spaced || lead != 5 ? MK_GENERIC : MK_OUTLOOK;
		}
		return MK_NONE;
	}
	if (lead > 0 || len > 120)
		return MK_NONE;
	/* Unframed: Apple's intro ends with ':' (French puts a space
	 * before it), a bare title may. */
	if (s[len - 1] == ':') {
		len--;
		mf_trim(&s, &len);
	} else if (len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0) { /* '：' */
		len -= 3;
	}
	title = mf_fold(s, len);
	if (mf_in(title, mf_apple_intros, G_N_ELEMENTS(mf_apple_intros)))
		return MK_APPLE;
	if (mf_in(title, mf_forward_titles, G_N_ELEMENTS(mf_forward_titles)))
		return MK_TITLE;
	return MK_NONE;
}

/* ------------------------------------------------------------------ */
/* Header blocks                                                       */

/* The field of header line L ("Key: value", "*Key:* value", "Key :
 * value", "Key：value"), with *VALUE and *VLEN set to the value; F_NONE
 * when L is not a header line. */
static mf_field_t
mf_header_line(const mf_line_t *l, gboolean *sent, const char **value, gsize *vlen)
{
	const char *s = l->s, *colon = NULL, *k;
	gsize len = l->len, klen, clen = 1;
	g_autofree char *key = NULL;

	if (len > MIME_FORWARD_LINE_MAX)
		return F_NONE;
	mf_trim(&s, &len);
	while (len > 0 && (*s == '*' || *s == '_')) {
		s++;
		len--;
	}
	for (gsize i = 0; i < len && i <= MF_KEY_MAX + 4; i++) {
		if (s[i] == ':') {
			colon = s + i;
			break;
		}
		if (i + 3 <= len && memcmp(s + i, "\xef\xbc\x9a", 3) == 0) {
			colon = s + i;
			clen = 3;
			break;
		}
		if (s[i] == '<' || s[i] == '@' || s[i] == '"')
			return F_NONE;
	}
	if (colon == NULL)
		return F_NONE;
	k = s;
	klen = (gsize)(colon - s);
	while (klen > 0 && (k[klen - 1] == '*' || k[klen - 1] == '_'))
		klen--;
	mf_trim(&k, &klen);
	if (klen == 0 || klen > MF_KEY_MAX)
		return F_NONE;
	key = mf_fold(k, klen);
	*value = colon + clen;
	*vlen = len - (gsize)(*value - s);
	while (*vlen > 0 && (**value == '*' || **value == '_')) {
		(*value)++;
		(*vlen)--;
	}
	mf_trim(value, vlen);
	for (gsize i = 0; i < G_N_ELEMENTS(mf_keys); i++) {
		if (strcmp(key, mf_keys[i].key) == 0) {
			*sent = mf_keys[i].sent;
			return (mf_field_t)mf_keys[i].field;
		}
	}
	/* Any other RFC 5322 field name with a '-' ("X-Mailer",
	 * "Content-Type", "Return-Path"): mutt copies whole headers. */
	*sent = FALSE;
	if (strchr(key, '-') != NULL &&
	    strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(key))
		return F_OTHER;
	return F_NONE;
}

/* Append S (LEN bytes) to the value, one space between pieces, control
 * characters as spaces, at most MF_VALUE_MAX bytes (cut at a character
 * boundary). */
static void
mf_value_append(GString *v, const char *s, gsize len)
{
	gsize room;

	if (v->len >= MF_VALUE_MAX || len == 0)
		return;
	if (v->len > 0)
		g_string_append_c(v, ' ');
	room = MF_VALUE_MAX - v->len;
	if (len > room) {
		len = room;
		while (len > 0 && ((guchar)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (gsize i = 0; i < len; i++)
		g_string_append_c(v, (guchar)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

/* Whether line I (in the block at DEPTH) is a header line. */
static gboolean
mf_is_header(const mf_ctx_t *c, gsize i, guint depth)
{
	const char *v;
	gsize vlen;
	gboolean sent;

	return i < c->n && c->lines[i].depth == depth &&
	       mf_header_line(&c->lines[i], &sent, &v, &vlen) != F_NONE;
}

/* Read the header block starting at line I at quote DEPTH into *B.
 * Returns the number of header fields read (0: none, B->end == I). */
static guint
mf_block_read(const mf_ctx_t *c, gsize i, guint depth, mf_block_t *b)
{
	mf_field_t last = F_NONE;
	guint fields = 0, cont = 0;

	memset(b, 0, sizeof(*b));
	b->start = i;
	for (; i < c->n && i - b->start < MIME_FORWARD_HEADER_LINES; i++) {
		const mf_line_t *l = &c->lines[i];
		const char *v;
		gsize vlen;
		gboolean sent = FALSE;
		mf_field_t f;

		if (l->depth != depth)
			break;
		if (mf_blank(l)) {
			/* HTML turned into text may leave a blank line between
			 * header lines: go on when a field not read yet
			 * follows. */
			if (fields == 0 || i + 1 >= c->n || c->lines[i + 1].depth != depth)
				break;
			f = mf_header_line(&c->lines[i + 1], &sent, &v, &vlen);
			if (f == F_NONE || f == F_OTHER || b->value[f] != NULL)
				break;
			continue;
		}
		f = mf_header_line(l, &sent, &v, &vlen);
		if (f != F_NONE) {
			if (fields == 0)
				b->first = f;
			fields++;
			last = f;
			cont = 0;
			if (b->value[f] == NULL) {
				b->value[f] = g_string_new(NULL);
				mf_value_append(b->value[f], v, vlen);
				if (f == F_DATE)
					b->sent = sent;
			} else {
				last = F_NONE; /* a repeated field: ignore its lines */
			}
			continue;
		}
		/* A continuation: folded (indented), a wrapped list of
		 * addresses (the value so far ends in ','), or a wrapped value
		 * ("Subject: a long\nsubject") when a header line follows. */
		if (fields == 0 || cont >= MF_CONT_MAX)
			break;
		if (!(l->len > 0 && (l->s[0] == ' ' || l->s[0] == '\t')) &&
		    !(last != F_NONE && b->value[last]->len > 0 &&
		      b->value[last]->str[b->value[last]->len - 1] == ',') &&
		    !mf_is_header(c, i + 1, depth) &&
		    !(i + 2 < c->n && !mf_blank(&c->lines[i + 1]) &&
		      mf_is_header(c, i + 2, depth)))
			break;
		cont++;
		if (last != F_NONE) {
			const char *s = l->s;
			gsize len = MIN(l->len, (gsize)MIME_FORWARD_LINE_MAX);

			mf_trim(&s, &len);
			mf_value_append(b->value[last], s, len);
		}
	}
	b->end = i;
	return fields;
}

/* From first, then two of Date, To and Subject: a header block even
 * without a marker above it (Outlook starts its blocks with From). */
static gboolean
mf_block_complete(const mf_block_t *b)
{
	int n = (b->value[F_DATE] != NULL) + (b->value[F_TO] != NULL) +
		(b->value[F_SUBJECT] != NULL);

	return b->first == F_FROM && n >= 2;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/* T with RFC 2047 encoded words decoded (mutt copies raw headers; a
 * PHRASE is a display name, else unstructured text), as valid UTF-8 with
 * control characters made spaces. Takes T; new string. */
static char *
mf_decode_words(char *t, gboolean phrase)
{
	char *d = NULL;

	if (strstr(t, "=?") != NULL) {
		mime_init();
		d = phrase ? g_mime_utils_header_decode_phrase(NULL, t)
			   : g_mime_utils_header_decode_text(NULL, t);
	}
	if (d != NULL) {
		g_free(t);
		t = g_utf8_make_valid(d, -1);
		g_free(d);
	}
	for (char *p = t; *p != '\0'; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return t;
}

/* Strip quotes, '*' and white space around S; collapse inner runs of
 * white space. New string, NULL when nothing is left. */
static char *
mf_clean_name(const char *s, gsize len)
{
	g_autofree char *t = NULL;
	const char *end;
	GString *out;
	gsize n;

	mf_trim(&s, &len);
	while (len > 0 && strchr("\"'*", s[0]) != NULL) {
		s++;
		len--;
		mf_trim(&s, &len);
	}
	while (len > 0 && strchr("\"'*,;", s[len - 1]) != NULL) {
		len--;
		mf_trim(&s, &len);
	}
	if (len == 0)
		return NULL;
	t = mf_decode_words(g_strndup(s, len), TRUE);
	out = g_string_new(NULL);
	end = t + strlen(t);
	for (const char *p = t; *p != '\0';) {
		if (mf_is_space(p, (gsize)(end - p), &n)) {
			if (out->len > 0 && out->str[out->len - 1] != ' ')
				g_string_append_c(out, ' ');
			p += n;
			continue;
		}
		g_string_append_c(out, *p++);
	}
	g_strchomp(out->str);
	if (out->str[0] == '\0') {
		g_string_free(out, TRUE);
		return NULL;
	}
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}

/* Split a From value into name and address. The forms clients write:
 * "Name <addr>", "\"Name\" <addr>", "<addr>", "addr", "addr (Name)",
 * "Name [mailto:addr]" and "Name [addr]" (Outlook), "Name
 * <addr<mailto:addr>>" and "Name <mailto:addr>" (HTML turned into text),
 * "Name" alone, and a broken "Name <addr" without its '>'. */
static void
mf_author_parse(const char *v, char **name, char **addr)
{
	const char *lt = strchr(v, '<');
	const char *sq = strchr(v, '[');
	const char *a = NULL, *ae = NULL;
	g_autofree char *raw = NULL;
	gboolean bracketed = TRUE;
	GString *nm;

	*name = *addr = NULL;
	/* "Name [mailto:addr]" or "Name [addr]" */
	if (sq != NULL && (lt == NULL || sq < lt) &&
	    memchr(sq, '@', strcspn(sq, "]")) != NULL) {
		a = sq + 1;
		if (g_ascii_strncasecmp(a, "mailto:", 7) == 0)
			a += 7;
		ae = strchr(a, ']');
		*name = mf_clean_name(v, (gsize)(sq - v));
	} else if (lt != NULL) {
		a = lt + 1;
		if (g_ascii_strncasecmp(a, "mailto:", 7) == 0)
			a += 7;
		ae = a + strcspn(a, "<>");
		*name = mf_clean_name(v, (gsize)(lt - v));
	} else {
		/* The word with an '@'; the rest (parentheses dropped) is
		 * the name. */
		const char *at = strchr(v, '@');

		bracketed = FALSE;
		if (at == NULL) {
			*name = mf_clean_name(v, strlen(v));
			return;
		}
		a = at;
		while (a > v && strchr(" \t\"'(<,;", a[-1]) == NULL)
			a--;
		ae = at + strcspn(at, " \t\"'()<>,;");
		nm = g_string_new_len(v, (gssize)(a - v));
		g_string_append(nm, ae);
		g_strdelimit(nm->str, "()", ' ');
		*name = mf_clean_name(nm->str, nm->len);
		g_string_free(nm, TRUE);
	}
	if (ae == NULL)
		ae = a + strlen(a);
	raw = g_strndup(a, (gsize)(ae - a));
	/* Inside brackets, white space is where a long address was
	 * wrapped ("<someone@\nexample.com>"). */
	if (bracketed) {
		gsize w = 0;

		for (gsize r = 0; raw[r] != '\0'; r++)
			if (!g_ascii_isspace(raw[r]))
				raw[w++] = raw[r];
		raw[w] = '\0';
	}
	*addr = util_address_normalize(raw);
	if (*name != NULL && *addr != NULL && g_ascii_strcasecmp(*name, *addr) == 0)
		g_clear_pointer(name, g_free);
}

/* The ids "<...>" in V, in order, appended to OUT when new; with no
 * angle brackets at all, the words with an '@'. */
static void
mf_ids_add(GPtrArray *out, const char *v)
{
	gboolean brackets = strchr(v, '<') != NULL;
	const char *p = v;

	while (*p != '\0' && out->len < MF_REFS_MAX) {
		const char *s, *e;
		g_autofree char *id = NULL;
		gboolean dup = FALSE;

		if (brackets) {
			if ((s = strchr(p, '<')) == NULL)
				break;
			s++;
			e = s + strcspn(s, "<> \t");
			p = *e != '\0' ? e + 1 : e;
			if (*e != '>')
				continue;
		} else {
			s = p + strspn(p, " \t,");
			e = s + strcspn(s, " \t,");
			p = e;
			if (memchr(s, '@', (gsize)(e - s)) == NULL)
				continue;
		}
		if (e == s || (gsize)(e - s) > MF_ID_MAX)
			continue;
		id = g_strndup(s, (gsize)(e - s));
		for (guint i = 0; i < out->len && !dup; i++)
			dup = strcmp(out->pdata[i], id) == 0;
		if (!dup)
			g_ptr_array_add(out, g_steal_pointer(&id));
	}
}

static char *
mf_value_dup(const GString *v)
{
	if (v == NULL || v->len == 0)
		return NULL;
	return g_strdup(v->str);
}

/* Fill F's header fields from block B (author from the marker first,
 * when mutt gave one). */
static void
mf_apply_block(mime_forward_t *f, const mf_block_t *b)
{
	if (b->value[F_FROM] != NULL && b->value[F_FROM]->len > 0) {
		g_clear_pointer(&f->author_name, g_free);
		g_clear_pointer(&f->author_address, g_free);
		mf_author_parse(b->value[F_FROM]->str, &f->author_name, &f->author_address);
	}
	if ((f->date_text = mf_value_dup(b->value[F_DATE])) != NULL &&
	    !mime_forward_parse_date(f->date_text, &f->date))
		f->date = 0;
	if (b->value[F_SUBJECT] != NULL && b->value[F_SUBJECT]->len > 0)
		f->subject = g_strstrip(mf_decode_words(g_strdup(b->value[F_SUBJECT]->str), FALSE));
	if (b->value[F_MSGID] != NULL) {
		g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

		mf_ids_add(ids, b->value[F_MSGID]->str);
		if (ids->len > 0)
			f->message_id = g_strdup(ids->pdata[0]);
	}
	if (b->value[F_REFS] != NULL)
		mf_ids_add(f->references, b->value[F_REFS]->str);
	if (b->value[F_IRT] != NULL)
		mf_ids_add(f->references, b->value[F_IRT]->str);
}

/* ------------------------------------------------------------------ */
/* Note and body                                                       */

/* The forwarder's words: TEXT up to END, cut at a "-- " signature line,
 * trimmed. New string. */
static char *
mf_note(const char *text, gsize end)
{
	gsize cut = end;

	for (gsize p = 0; p < end;) {
		const char *nl = memchr(text + p, '\n', end - p);
		gsize e = nl != NULL ? (gsize)(nl - text) : end;

		if ((e - p == 3 && memcmp(text + p, "-- ", 3) == 0) ||
		    (e - p == 2 && memcmp(text + p, "--", 2) == 0)) {
			cut = p;
			break;
		}
		p = nl != NULL ? e + 1 : end;
	}
	return g_strstrip(g_strndup(text, cut));
}

/* Line L without DEPTH levels of quote marks (deeper ones stay), with
 * its line end, appended to OUT. */
static void
mf_unquote_append(GString *out, const char *text, const mf_line_t *l, guint depth)
{
	gsize p = l->start, end = (gsize)(l->s - text) + l->len;

	for (guint k = 0; p < end && k < depth; p++)
		if (text[p] == '>')
			k++;
	if (p < end && text[p] == ' ')
		p++;
	g_string_append_len(out, text + p, (gssize)(end - p));
	g_string_append_c(out, '\n');
}

/* Drop the blank lines at the start of S and white space at its end. */
static void
mf_trim_lines(GString *s)
{
	gsize skip = 0, e;

	for (;;) {
		for (e = skip; e < s->len && (s->str[e] == ' ' || s->str[e] == '\t'); e++)
			;
		if (e >= s->len || s->str[e] != '\n')
			break;
		skip = e + 1;
	}
	g_string_erase(s, 0, (gssize)skip);
	while (s->len > 0 && g_ascii_isspace(s->str[s->len - 1]))
		g_string_truncate(s, s->len - 1);
}

/* The original text: lines from byte START at quote DEPTH or deeper with
 * DEPTH levels of quote marks removed, up to the first line quoted less
 * (when DEPTH > 0) or mutt's end line (when MUTT). New string. */
static char *
mf_body(const mf_ctx_t *c, gsize start, guint depth, gboolean mutt)
{
	GString *out = g_string_new(NULL);
	gsize pos = start;

	while (pos < c->len) {
		mf_line_t l;

		mf_line_read(c->text, c->len, pos, &l);
		pos = l.next;
		if (mutt && l.depth == depth && l.len <= 200) {
			g_autofree char *who = NULL;

			if (mf_marker(&l, &who) == MK_MUTT_END)
				break;
		}
		if (depth == 0) {
			g_string_append_len(out, c->text + l.start, (gssize)(l.next - l.start));
		} else if (l.depth >= depth) {
			mf_unquote_append(out, c->text, &l, depth);
		} else if (mf_blank(&l)) {
			g_string_append_c(out, '\n');
		} else {
			break;
		}
	}
	mf_trim_lines(out);
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Finding the forward                                                 */

/* The last non-blank line before line I, trimmed into *S and *LEN;
 * NULL when there is none. */
static const mf_line_t *
mf_line_above(const mf_ctx_t *c, gsize i, const char **s, gsize *len)
{
	while (i-- > 0) {
		const mf_line_t *l = &c->lines[i];

		*s = l->s;
		*len = l->len;
		mf_trim(s, len);
		if (*len > 0)
			return l;
	}
	return NULL;
}

/* A marker on a quoted line counts when the quote starts with it (the
 * line above is not quoted) and the line above is not an attribution
 * ("... wrote:"). */
static gboolean
mf_quote_starts_here(const mf_ctx_t *c, gsize i)
{
	const char *s;
	gsize len;
	const mf_line_t *l = mf_line_above(c, i, &s, &len);

	if (l == NULL)
		return TRUE;
	return l->depth == 0 && s[len - 1] != ':' &&
	       !(len >= 3 && memcmp(s + len - 3, "\xef\xbc\x9a", 3) == 0);
}

static const char *
mf_style(mf_marker_t m, const mf_block_t *b)
{
	switch (m) {
	case MK_GMAIL:
		return "gmail";
	case MK_EIGHT:
		return b->first == F_SUBJECT ? "thunderbird" : "k9";
	case MK_OUTLOOK:
		return "outlook";
	case MK_APPLE:
		return "apple";
	case MK_MUTT:
		return "mutt";
	case MK_RULE:
	case MK_NONE:
		/* Outlook writes "Sent:"; its web and Mac versions and
		 * others "Date:". */
		return b->sent ? "outlook" : "generic";
	case MK_GENERIC:
	case MK_TITLE:
	case MK_MUTT_END:
		break;
	}
	return "generic";
}

/* The forward after a marker of kind M (MK_NONE: a header block without
 * one) whose headers start at line H at quote DEPTH; WHO is the author a
 * mutt marker names, or NULL; the note ends at byte NOTE_END. NULL when a
 * weak marker or a bare block lacks the headers it needs. */
static mime_forward_t *
mf_build(const mf_ctx_t *c, mf_marker_t m, const char *who, gsize h, guint depth,
	 gsize note_end)
{
	mf_block_t b;
	mime_forward_t *f;
	gsize body;

	/* A strong marker may have blank lines before its headers. */
	for (guint k = 0; m != MK_NONE && k < MF_BLANK_SKIP && h < c->n &&
			  c->lines[h].depth >= depth && mf_blank(&c->lines[h]);
	     k++)
		h++;
	mf_block_read(c, h, depth, &b);
	if ((m == MK_NONE || m == MK_RULE) && !mf_block_complete(&b)) {
		mf_block_clear(&b);
		return NULL;
	}
	if (m == MK_TITLE && b.value[F_FROM] == NULL) {
		mf_block_clear(&b);
		return NULL;
	}
	f = mf_new(mf_style(m, &b));
	if (who != NULL)
		mf_author_parse(who, &f->author_name, &f->author_address);
	mf_apply_block(f, &b);
	body = b.end < c->n ? c->lines[b.end].start : c->lines[c->n - 1].next;
	f->body = mf_body(c, body, depth, m == MK_MUTT);
	f->note = mf_note(c->text, note_end);
	mf_block_clear(&b);
	return f;
}

/* Where the note ends for a block at line I without a marker: above a
 * rule or a "---" line over it, blank lines skipped. */
static gsize
mf_note_end_bare(const mf_ctx_t *c, gsize i)
{
	const char *s;
	gsize len;
	const mf_line_t *l = mf_line_above(c, i, &s, &len);

	if (l != NULL && len >= 3 && len <= 200 && strspn(s, "-_=") >= len)
		return l->start;
	return c->lines[i].start;
}

static mime_forward_t *
mf_scan(const mf_ctx_t *c)
{
	for (gsize i = 0; i < c->n && i < MIME_FORWARD_SCAN_LINES; i++) {
		const mf_line_t *l = &c->lines[i];
		g_autofree char *who = NULL;
		mf_marker_t m;
		mime_forward_t *f = NULL;

		if (l->len > MIME_FORWARD_LINE_MAX || mf_blank(l))
			continue;
		m = mf_marker(l, &who);
		if (m == MK_MUTT_END)
			continue;
		if (m == MK_NONE) {
			/* A header block without a marker, not quoted, starting
			 * after a line that is not a header. */
			if (l->depth == 0 && (i == 0 || !mf_is_header(c, i - 1, 0)) &&
			    mf_is_header(c, i, 0))
				f = mf_build(c, MK_NONE, NULL, i, 0, mf_note_end_bare(c, i));
		} else if (l->depth == 0) {
			f = mf_build(c, m, who, i + 1, 0, l->start);
		} else if (m != MK_RULE && m != MK_TITLE && mf_quote_starts_here(c, i)) {
			f = mf_build(c, m, who, i + 1, l->depth, l->start);
		}
		if (f != NULL)
			return f;
	}
	return NULL;
}

mime_forward_t *
mime_forward_parse_text(const char *text)
{
	g_autofree char *work = NULL;
	g_autoptr(GArray) lines = g_array_new(FALSE, FALSE, sizeof(mf_line_t));
	gsize limit = MIME_FORWARD_SCAN_LINES + MIME_FORWARD_HEADER_LINES + 4;
	mf_ctx_t c;
	gsize w = 0;

	/* Valid UTF-8 with LF line ends: CRLF and lone CR become LF. */
	work = g_utf8_make_valid(text != NULL ? text : "", -1);
	for (gsize r = 0; work[r] != '\0'; r++) {
		if (work[r] == '\r') {
			if (work[r + 1] != '\n')
				work[w++] = '\n';
			continue;
		}
		work[w++] = work[r];
	}
	work[w] = '\0';
	c.text = work;
	c.len = w;
	for (gsize pos = 0; pos < c.len && lines->len < limit;) {
		mf_line_t l;

		mf_line_read(c.text, c.len, pos, &l);
		g_array_append_val(lines, l);
		pos = l.next;
	}
	c.lines = (mf_line_t *)(void *)lines->data;
	c.n = lines->len;
	return mf_scan(&c);
}

/* ------------------------------------------------------------------ */
/* Attached forwards                                                   */

static mime_forward_t *
mf_from_embedded(const mime_msg_t *emb, const char *note)
{
	mime_forward_t *f = mf_new("attached");
	const char *date = mime_msg_header(emb, "Date");

	if (emb->from != NULL) {
		f->author_name = g_strdup(emb->from->name);
		f->author_address = g_strdup(emb->from->addr);
	}
	if (date != NULL) {
		f->date_text = g_strstrip(g_strdup(date));
		if (f->date_text[0] == '\0')
			g_clear_pointer(&f->date_text, g_free);
	}
	f->date = emb->date;
	if (emb->subject != NULL && emb->subject[0] != '\0')
		f->subject = g_strdup(emb->subject);
	f->message_id = g_strdup(emb->message_id);
	for (guint i = 0; i < emb->references->len && f->references->len < MF_REFS_MAX; i++)
		g_ptr_array_add(f->references, g_strdup(emb->references->pdata[i]));
	if (emb->in_reply_to != NULL) {
		g_autofree char *irt = g_strconcat("<", emb->in_reply_to, ">", NULL);

		mf_ids_add(f->references, irt);
	}
	f->body = g_strchomp(g_strdup(emb->text != NULL ? emb->text : ""));
	f->note = g_strdup(note);
	return f;
}

GPtrArray *
mime_forward_find(const mime_msg_t *msg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)mime_forward_free);
	const char *text = msg->text != NULL ? msg->text : "";
	mime_forward_t *f;

	if (msg->is_report)
		return out;
	if (msg->embedded->len > 0) {
		g_autofree char *note = mf_note(text, strlen(text));

		for (guint i = 0; i < msg->embedded->len; i++)
			g_ptr_array_add(out, mf_from_embedded(msg->embedded->pdata[i], note));
		return out;
	}
	if ((f = mime_forward_parse_text(text)) != NULL)
		g_ptr_array_add(out, f);
	return out;
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static const char *const mf_months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const mf_month_names[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december",
};
static const char *const mf_weekdays[] = {
	"mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu",
	"thur", "thurs", "thursday", "fri", "friday", "sat", "saturday",
	"sun", "sunday", "at", "of", "the", "on",
};

typedef struct {
	const char *name;
	int minutes; /* east of UTC */
} mf_zone_t;

/* RFC 5322 section 4.3 zones and the abbreviations clients print. */
static const mf_zone_t mf_zones[] = {
	{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
	{ "akst", -540 }, { "akdt", -480 }, { "hst", -600 },
	{ "wet", 0 }, { "west", 60 }, { "bst", 60 }, { "cet", 60 },
	{ "cest", 120 }, { "met", 60 }, { "mest", 120 }, { "eet", 120 },
	{ "eest", 180 }, { "msk", 180 }, { "jst", 540 }, { "kst", 540 },
	{ "hkt", 480 }, { "sgt", 480 }, { "aest", 600 }, { "aedt", 660 },
	{ "nzst", 720 }, { "nzdt", 780 },
};

typedef struct {
	int year, month, day, hour, min, sec;
	int zone;          /* minutes east of UTC */
	gboolean have_time, have_zone, pm, am;
} mf_date_t;

/* "+0100", "-05:00", "+1", "+5:30" at *P: minutes east of UTC. */
static gboolean
mf_date_offset(const char **p, int *minutes)
{
	const char *s = *p;
	int sign = *s == '-' ? -1 : 1, h = 0, m = 0, nd = 0;

	if (*s != '+' && *s != '-')
		return FALSE;
	s++;
	while (g_ascii_isdigit(*s) && nd < 4) {
		h = h * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0 || g_ascii_isdigit(*s))
		return FALSE;
	if (nd == 4) {
		m = h % 100;
		h /= 100;
	} else if (nd == 3) {
		return FALSE;
	} else if (*s == ':' && g_ascii_isdigit(s[1]) && g_ascii_isdigit(s[2])) {
		m = (s[1] - '0') * 10 + (s[2] - '0');
		s += 3;
	}
	if (h > 14 || m > 59)
		return FALSE;
	*minutes = sign * (h * 60 + m);
	*p = s;
	return TRUE;
}

/* A word of a date: weekday, month, AM/PM, zone ("GMT+1" too). */
static gboolean
mf_date_word(const char *w, const char **rest, mf_date_t *d)
{
	for (gsize i = 0; i < G_N_ELEMENTS(mf_weekdays); i++)
		if (strcmp(w, mf_weekdays[i]) == 0)
			return TRUE;
	for (int i = 0; i < 12; i++) {
		if (strcmp(w, mf_months[i]) == 0 || strcmp(w, mf_month_names[i]) == 0 ||
		    (i == 8 && strcmp(w, "sept") == 0)) {
			if (d->month != 0)
				return FALSE;
			d->month = i + 1;
			return TRUE;
		}
	}
	if (strcmp(w, "am") == 0 || strcmp(w, "pm") == 0) {
		if (!d->have_time || d->am || d->pm)
			return FALSE;
		d->am = w[0] == 'a';
		d->pm = w[0] == 'p';
		return TRUE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(mf_zones); i++) {
		if (strcmp(w, mf_zones[i].name) == 0) {
			int off = 0;

			if (d->have_zone) /* "+0100 (CET)": the number wins */
				return TRUE;
			d->zone = mf_zones[i].minutes;
			/* "GMT+1", "UTC-05:00" */
			if ((strcmp(w, "gmt") == 0 || strcmp(w, "utc") == 0) &&
			    mf_date_offset(rest, &off))
				d->zone = off;
			d->have_zone = TRUE;
			return TRUE;
		}
	}
	return FALSE;
}

/* A number of a date at *P: "2024-01-08", "10:15[:00]", a day or a year. */
static gboolean
mf_date_number(const char **p, mf_date_t *d)
{
	const char *s = *p;
	int v = 0, nd = 0;

	while (g_ascii_isdigit(*s) && nd < 5) {
		v = v * 10 + (*s++ - '0');
		nd++;
	}
	if (g_ascii_isdigit(*s))
		return FALSE;
	if (nd == 4 && *s == '-' && d->year == 0) { /* ISO 8601 */
		int mo, da;

		if (!g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]) || s[3] != '-' ||
		    !g_ascii_isdigit(s[4]) || !g_ascii_isdigit(s[5]) || g_ascii_isdigit(s[6]) ||
		    d->month != 0 || d->day != 0)
			return FALSE;
		mo = (s[1] - '0') * 10 + (s[2] - '0');
		da = (s[4] - '0') * 10 + (s[5] - '0');
		d->year = v;
		d->month = mo;
		d->day = da;
		s += 6;
		if (*s == 'T' || *s == 't')
			s++;
	} else if (nd <= 2 && *s == ':') { /* a time */
		int mi = 0, se = 0;

		if (d->have_time || !g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]))
			return FALSE;
		mi = (s[1] - '0') * 10 + (s[2] - '0');
		s += 3;
		if (*s == ':') {
			if (!g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]))
				return FALSE;
			se = (s[1] - '0') * 10 + (s[2] - '0');
			s += 3;
		}
		if (*s == '.' || *s == ',') { /* fractions of a second */
			const char *q = s + 1;

			while (g_ascii_isdigit(*q))
				q++;
			if (q > s + 1)
				s = q;
		}
		if (g_ascii_isdigit(*s))
			return FALSE;
		d->hour = v;
		d->min = mi;
		d->sec = se;
		d->have_time = TRUE;
	} else if (nd == 4) {
		if (d->year != 0)
			return FALSE;
		d->year = v;
	} else if (nd <= 2) {
		if (d->day != 0)
			return FALSE;
		d->day = v;
		/* "8th", "1st" */
		if (g_ascii_strncasecmp(s, "st", 2) == 0 || g_ascii_strncasecmp(s, "nd", 2) == 0 ||
		    g_ascii_strncasecmp(s, "rd", 2) == 0 || g_ascii_strncasecmp(s, "th", 2) == 0)
			if (!g_ascii_isalpha(s[2]))
				s += 2;
	} else {
		return FALSE;
	}
	*p = s;
	return TRUE;
}

gboolean
mime_forward_parse_date(const char *text, gint64 *secs)
{
	mf_date_t d = { 0 };
	const char *p = text, *end;
	g_autoptr(GDateTime) dt = NULL;
	int depth = 0;

	if (text == NULL || strlen(text) > MF_DATE_MAX)
		return FALSE;
	end = text + strlen(text);
	while (*p != '\0') {
		gsize n;

		if (mf_is_space(p, (gsize)(end - p), &n)) {
			p += n;
			continue;
		}
		if (*p == '(') { /* RFC 5322 comment: "(CET)" */
			depth++;
			p++;
			continue;
		}
		if (*p == ')') {
			depth = MAX(depth - 1, 0);
			p++;
			continue;
		}
		if (depth > 0 || *p == ',') {
			p++;
			continue;
		}
		if (g_ascii_isdigit(*p)) {
			if (!mf_date_number(&p, &d))
				return FALSE;
			continue;
		}
		if ((*p == '+' || *p == '-') && d.have_time) {
			int off;

			if (!mf_date_offset(&p, &off))
				return FALSE;
			d.zone = off;
			d.have_zone = TRUE;
			continue;
		}
		if (g_ascii_isalpha(*p)) {
			char w[16];
			gsize k = 0;

			/* A word; dots dropped ("a.m.", "Jan.", "Mon."). */
			while (g_ascii_isalpha(*p) || *p == '.') {
				if (*p != '.') {
					if (k + 1 >= sizeof(w))
						return FALSE;
					w[k++] = g_ascii_tolower(*p);
				}
				p++;
			}
			w[k] = '\0';
			if (!mf_date_word(w, &p, &d))
				return FALSE;
			continue;
		}
		return FALSE; /* '/', other scripts, anything else */
	}
	if (d.year < 1900 || d.month < 1 || d.day < 1)
		return FALSE;
	if (d.am || d.pm) {
		if (d.hour < 1 || d.hour > 12)
			return FALSE;
		if (d.hour == 12)
			d.hour = 0;
		if (d.pm)
			d.hour += 12;
	}
	dt = g_date_time_new_utc(d.year, d.month, d.day, d.hour, d.min, d.sec);
	if (dt == NULL || d.hour > 23 || d.min > 59 || d.sec > 60)
		return FALSE;
	*secs = g_date_time_to_unix(dt) - (gint64)d.zone * 60;
	return TRUE;
}
