/* SPDX-License-Identifier: MIT
 * mime-text.c: the visible part of a plain-text reply. Pure: no I/O, no
 * logging, no database.
 *
 * The text is cut into lines, each line gets a kind (text, quote,
 * attribution, header block, separator, signature, ...), then one pass
 * from the top decides what the author wrote. Recognising a kind looks at
 * one line or a window of at most MT_WINDOW_LINES short lines, so the work
 * is linear in the input; every PCRE2 pattern is free of nested
 * quantifiers and runs under a match limit on at most MT_WINDOW_MAX bytes.
 *
 * Follows: RFC 3676 section 4.3 (the "-- " signature separator), RFC 3676
 * section 4.5 and common practice for ">" quoting (also Supercite's
 * "Name>"), and the attribution and forward formats of the clients we see
 * (Gmail, Outlook, Apple Mail, Thunderbird, Yahoo, Zoho, mobile clients),
 * in the languages they are localised to. Not here: HTML (mime-html.c
 * turns <blockquote> into ">" first), MIME decoding (mime.c). */
#include "autodefs.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include <glib.h>

#include "mime-text.h"
#ifdef __has_include
#if __has_include("banned.h")
#include "banned.h"
#endif
#endif

/* Lines longer than this are never attributions, headers or taglines:
 * real ones are short, and it bounds the cost of every pattern. */
#define MT_LINE_MAX 400
/* A joined attribution window is at most this long. */
#define MT_WINDOW_MAX 600
/* An attribution spans at most this many lines (Gmail wraps long ones
 * over 2-3 lines, and one blank line appears in some broken clients). */
#define MT_WINDOW_LINES 5
/* A From:/Sent:/To:/Subject: block is scanned at most this far. */
#define MT_BLOCK_LINES 20
/* Taglines ("Sent from my iPhone") are short. */
#define MT_TAGLINE_MAX 200
#define MT_MATCH_LIMIT 50000
#define MT_RE_OPTIONS \
	(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_UCP | PCRE2_CASELESS)
#define MT_DEPTH_LIMIT 500

typedef enum {
	K_BLANK,       /* white space only */
	K_TEXT,        /* anything else the author may have written */
	K_QUOTE,       /* ">" quoted line with content */
	K_QUOTE_EMPTY, /* ">" alone */
	K_QUOTE_ATTR,  /* a quoted attribution ("> On ... wrote:") */
	K_ATTR,        /* attribution, possibly several lines */
	K_SEPARATOR,   /* "-----Original Message-----", "Begin forwarded" */
	K_ABOVE,       /* "Please type your reply above this line" */
	K_HEADERS,     /* From:/Sent:/To:/Subject: block */
	K_RULE,        /* underscores: Outlook separator or list footer */
	K_SIG,         /* "-- " */
	K_TAGLINE,     /* "Sent from my iPhone" */
	K_DECOR,       /* "-----", "=====", "***" */
	K_NOISE,       /* tracker glyphs: never visible */
} mt_kind_t;

typedef struct {
	const char *s;
	gsize len;
	gsize group_end; /* K_ATTR, K_HEADERS: last line of the group */
	guint8 kind;     /* mt_kind_t */
	guint fenced : 1; /* inside a ``` block */
	guint visible : 1;
	/* Facts computed once, on demand: 0 not yet, else value + 1. */
	gint8 f_hdr;     /* header key category (mt_header_key) */
	gint8 f_verb;    /* holds an attribution verb */
	gint8 f_lead;    /* starts like an attribution ("On", "Am") */
} mt_line_t;

/* The patterns, compiled once. All are caseless, UTF with invalid bytes
 * allowed (PCRE2_MATCH_INVALID_UTF) and Unicode-aware (\s, \p). */
enum {
	RE_VERB_END,
	RE_VERB_ANY,
	RE_LEAD,
	RE_DATETIME,
	RE_DATE_LEAD,
	RE_GMT,
	RE_HDR_KEY,
	RE_HDR_KEY_MID,
	RE_SEPARATOR,
	RE_ABOVE,
	RE_TAG_PREFIX,
	RE_TAG_MY,
	RE_TAG_FIXED,
	RE_TAG_KEYWORD,
	RE_COUNT
};

/* Verbs that end an attribution: "wrote", and its translations. */
#define VERBS_WORD \
	"wrote|writes|has written|schrieb|schreibt|hat geschrieben" \
	"|a écrit|a ecrit|escribió|escribio|ha escrito|ha scritto" \
	"|scrisse|schreef|heeft geschreven|geschreven|escreveu|escreve" \
	"|skrev|skriver|kirjoitti|pisze|napisał\\(a\\)|napisała|napisał" \
	"|napisal\\(a\\)|napisal|napsal\\(a\\)|napsala|napsal" \
	"|napísal\\(a\\)|napísala|napísal|написал\\(а\\)|написала" \
	"|написал|пишет|пише|написав\\(ла\\)|написав|írta|yazdı" \
	"|a scris|έγραψε|va escriure|kirjutas|rašė|rakstīja" \
	"|napisao je|napisala je|napisao|je napisal|написао је|написала је" \
	"|написа|đã viết|menulis|skrifaði|sumulat|quoting|zitat von" \
	"|citando|citation de|cytując|citaat van|citat från"
/* Scripts without spaces between words: no word boundary. */
#define VERBS_CJK \
	"写道|寫道|寫了|写了|님이 작성|작성|のメール|は書きました|書きました" \
	"|เขียนว่า|ने लिखा"

/* Words an attribution starts with: "On", "Am", "Le", "El", ... */
#define LEADS \
	"on|am|le|el|il|il giorno|in data|op|em|den|dne|dňa|dnia|w dniu" \
	"|på|at|στις|в|у|pe|pada|vào|dana|el día"

#define HDR_FROM \
	"from|von|de|van|da|fra|från|fran|od|от|від|lähettäjä|feladó" \
	"|kimden|από|发件人|發件人|寄件者|差出人|보낸 사람|보낸사람|afzender" \
	"|mittente|remetente|expéditeur|absender|nadawca|odesílatel|מאת|من" \
	"|dari|từ|de la|šalje|nuo|saatja"
#define HDR_DATE \
	"sent|date|datum|gesendet|gesendet am|envoyé le|envoyé|envoye le" \
	"|envoye|enviado el|enviado em|enviada em|enviado|enviada" \
	"|verzonden op|verzonden|inviato il|inviato|data|skickat|sendt|dato" \
	"|lähetetty|päivämäärä|wysłano|wysłane|дата|отправлено|надіслано" \
	"|发送时间|發送時間|日期|時間|寄件日期|送信日時|日時|보낸 날짜|tarih" \
	"|gönderildi|gönderilme tarihi|ημερομηνία|στάλθηκε|elküldve|dátum" \
	"|odesláno|fecha|message du|נשלח|تاريخ الإرسال|dikirim|đã gửi|trimis" \
	"|изпратено|poslano|išsiųsta|nosūtīts|saadetud|enviat"
#define HDR_TO \
	"to|an|à|a|para|aan|til|till|do|кому|komu|vastaanottaja|címzett" \
	"|kime|προς|收件人|收件者|宛先|받는 사람|받는사람|destinataire" \
	"|empfänger|per|до|אל|إلى|kepada|đến|către|prima|za|kam|adressaat" \
	"|per a"
#define HDR_CC \
	"cc|bcc|kopie|copie à|copie|cópia|cco|kopia|копия|抄送|副本|kopio" \
	"|másolat|kopya|עותק|نسخة|tembusan|kopija"
#define HDR_SUBJECT \
	"subject|betreff|objet|asunto|onderwerp|oggetto|ämne|emne|aihe" \
	"|temat|тема|主题|主旨|件名|제목|assunto|sujet|tárgy|předmět|konu" \
	"|θέμα|tema|נושא|الموضوع|perihal|subjek|chủ đề|subiect|относно" \
	"|predmet|zadeva|tēma|teema|assumpte"
#define HDR_REPLY \
	"reply-to|reply to|antwort an|répondre à|responder a|risposta" \
	"|beantwoorden|svara till|svar til|rispondi a"

/* Separator titles of quoted or forwarded mail, in the clients' words. */
#define SEPARATORS \
	"original message|original-nachricht|ursprüngliche nachricht" \
	"|weitergeleitete nachricht|message d'origine|message d’origine" \
	"|message original|message transféré|mensaje original" \
	"|mensaje reenviado|mensagem original|mensagem encaminhada" \
	"|mensagem reencaminhada|messaggio originale|messaggio inoltrato" \
	"|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht" \
	"|ursprungligt meddelande|originalmeddelande" \
	"|vidarebefordrat meddelande|oprindelig besked" \
	"|oprindelig meddelelse|videresendt besked|videresendt meddelelse" \
	"|opprinnelig melding|videresendt melding|alkuperäinen viesti" \
	"|välitetty viesti|wiadomość oryginalna|oryginalna wiadomość" \
	"|przekazana wiadomość|исходное сообщение|пересылаемое сообщение" \
	"|пересланное сообщение|оригинальное сообщение" \
	"|вихідне повідомлення|переслане повідомлення|původní zpráva" \
	"|přeposlaná zpráva|pôvodná správa|eredeti üzenet" \
	"|továbbított üzenet|orijinal mesaj|iletilen mesaj|αρχικό μήνυμα" \
	"|原始邮件|原始郵件|转发的邮件|轉寄的郵件|原始消息|元のメッセージ" \
	"|転送されたメッセージ|원본 메시지|전달된 메시지|forwarded message" \
	"|forwarded e-?mail|begin forwarded message|reply message" \
	"|antwort nachricht|original appointment|mail original" \
	"|ursprüngliche mail|originalnachricht|e-mail original" \
	"|courriel original|已转发邮件|轉寄郵件|edelleenlähetetty viesti" \
	"|iletilmiş mesaj|přeposlaná zpráva|weitergeleitete e-mail" \
	"|anfang der weitergeleiteten nachricht|début du message réexpédié" \
	"|début du message transféré|inicio del mensaje reenviado" \
	"|comienzo del mensaje reenviado|inizio messaggio inoltrato" \
	"|begin doorgestuurd bericht|início da mensagem reencaminhada" \
	"|início da mensagem encaminhada|vidarebefordrat mejl" \
	"|början på vidarebefordrat meddelande|videresendt e-mail" \
	"|start på videresendt besked|välitetty viesti alkaa"

/* How mobile and webmail taglines start, per language. */
#define TAG_PREFIXES \
	"sent (?:from|with|via|using|by|on)" \
	"|envoy[ée] (?:de|depuis|à partir de|a partir de|avec|par|via|du)" \
	"|gesendet (?:von|mit|vom|aus|über|via)" \
	"|(?:verzonden|verstuurd) (?:met|vanaf|van|via|vanuit)" \
	"|enviado (?:desde|do|de|con|com|a partir de|pelo|via|usando|em)" \
	"|inviato (?:da|dal|dalla|dallo|con|tramite)" \
	"|skickat (?:från|fran|med|via)|sendt (?:fra|med|via|från)" \
	"|lähetetty|wysłane (?:z|ze|przez)|wysłano (?:z|ze|przez)" \
	"|отправлено (?:с|из|со|через)|надіслано (?:з|із|через)" \
	"|odesláno (?:z|ze|přes)|odoslané (?:z|zo)|trimis de pe|elküldve" \
	"|poslano (?:z|iz|s)"
/* The possessive forms ("from my"), which name the author's device. */
#define TAG_MY \
	"sent (?:from|with|using|via|on) my|envoy[ée] (?:de|depuis) mon" \
	"|enviado (?:desde|de) mi|enviado do meu|inviato dal mio" \
	"|skickat från min|sendt fra min|(?:verzonden|verstuurd) vanaf mijn" \
	"|wysłane z mojego|wysłano z mojego|отправлено с моего" \
	"|надіслано з мого|odesláno z mého|lähetetty"
/* Taglines recognised as a whole. */
#define TAG_FIXED \
	"^(?:get|download) (?:the )?\\[?outlook|^obtenir outlook" \
	"|^obtener outlook|^scarica outlook|^baixe o outlook" \
	"|^outlook (?:für|for|pour|para|per) (?:ios|android)" \
	"|^(?:von|vom) meine[mnrs]? .{1,80} (?:gesendet|verschickt)[.!]?$" \
	"|^diese nachricht wurde .{1,100} (?:gesendet|verschickt)[.!]?$" \
	"|^(?:发自我的|發自我的|寄自我的|来自我的|來自我的|從我的|从我的|由我的)" \
	"|(?:から送信|から送信されました|에서 보냄|에서 보냈습니다" \
	"|gönderildi|gönderilmiştir)[.!。]?$"
/* Devices and mail apps a tagline names. */
#define TAG_KEYWORDS \
	"iphon\\w*|ipad\\w*|ipod|ios|android\\w*|blackberry|mobile|mobil\\w*" \
	"|phone|smartphone|cell|cellphone|galaxy|samsung|htc|nokia|huawei" \
	"|xiaomi|redmi|oppo|vivo|realme|nexus|zte|alcatel|lenovo|asus" \
	"|pixel|motorola|sony|lg|tablet|device|windows|watch|kindle|oneplus" \
	"|handy|fairphone|wiko|outlook|mailbox|airmail|yahoo|gmail|aol|k-9" \
	"|typeapp|spark|bluemail|newton|proton\\w*|tutanota|fastmail" \
	"|thunderbird|edison|superhuman|hotmail|icloud|telefon\\w*" \
	"|téléphone|teléfono|telefone|telefono|portable|móvil|celular" \
	"|cellulare|appareil|apparaat|gerät|mobilgerät|smartfon\\w*" \
	"|iphonesta|puhelimesta|телефона|устройства"

static const char *const mt_patterns[RE_COUNT] = {
	[RE_VERB_END] = "(?:(?<![\\p{L}\\p{N}])(?:" VERBS_WORD ")|(?:"
		VERBS_CJK "))\\s*(?:[:：]\\s*)?$",
	[RE_VERB_ANY] = "(?<![\\p{L}\\p{N}])(?:" VERBS_WORD
		")(?![\\p{L}\\p{N}])|(?:" VERBS_CJK ")",
	[RE_LEAD] = "^(?:(?:" LEADS ")(?![\\p{L}\\p{N}])|在|于|於)",
	[RE_DATETIME] = "(?<!\\d)(?:\\d{1,2}[:.h]\\d{2}(?!\\d)"
		"|(?:19|20)\\d{2}(?!\\d))",
	[RE_DATE_LEAD] = "^\\d{1,4}[-/.]\\d{1,2}[-/.]\\d{1,4}(?!\\d)",
	[RE_GMT] = "(?<![\\p{L}])GMT[+-]\\d{1,2}",
	[RE_HDR_KEY] = "^[\\s*]*(?:(" HDR_FROM ")|(" HDR_DATE ")|(" HDR_TO
		")|(" HDR_CC ")|(" HDR_SUBJECT ")|(" HDR_REPLY "))[\\s*]*[:：]",
	[RE_HDR_KEY_MID] = "(?<=[\\s*])(?:(" HDR_FROM ")|(" HDR_DATE ")|("
		HDR_TO ")|(" HDR_CC ")|(" HDR_SUBJECT ")|(" HDR_REPLY
		"))\\*{0,2}\\s?[:：]",
	[RE_SEPARATOR] = "^[\\s*_=~\\-–—]*(?:" SEPARATORS
		")[\\s*_=~\\-–—:.]*$|^\\s*-{2,}\\s*(?:forwarded "
			"by|weitergeleitet von"
		"|transféré par|reenviado por|inoltrato da)(?![\\p{L}])"
		"[^\\n]{0,200}?-{2,}\\s*$",
	[RE_ABOVE] = "^.{0,60}(?:(?:reply|write|type|respond)[\\w ]{0,20} above "
		"this line|oberhalb dieser zeile|au-dessus de cette ligne"
		"|por encima de esta línea|acima desta linha|sopra questa riga"
		"|boven deze regel|ovanför den här raden|над этой строкой)",
	[RE_TAG_PREFIX] = "^(?:" TAG_PREFIXES ")(?![\\p{L}\\p{N}])",
	[RE_TAG_MY] = "^(?:" TAG_MY ")(?![\\p{L}\\p{N}])",
	[RE_TAG_FIXED] = TAG_FIXED,
	[RE_TAG_KEYWORD] = "(?<![\\p{L}\\p{N}])(?:" TAG_KEYWORDS
		")(?![\\p{L}\\p{N}])",
};

typedef struct {
	pcre2_code *re[RE_COUNT];
	pcre2_match_context *mctx;
} mt_regexes_t;

/* Per-call scratch space. */
typedef struct {
	const mt_regexes_t *rx;
	pcre2_match_data *md;
	GString *win;   /* joined attribution window */
	GString *clean; /* tagline without links and brackets */
	gboolean framed; /* the window was "---- ... ----" */
} mt_ctx_t;

static const mt_regexes_t *
mt_regexes(void)
{
	static mt_regexes_t rx;
	static gsize done;

	if (g_once_init_enter(&done)) {
		for (int i = 0; i < RE_COUNT; i++) {
			int err = 0;
			PCRE2_SIZE off = 0;

			rx.re[i] = pcre2_compile((PCRE2_SPTR)mt_patterns[i],
						 PCRE2_ZERO_TERMINATED,
						 MT_RE_OPTIONS, &err, &off,
						 NULL);
			/* The patterns are constants: failing is a bug. */
			g_assert(rx.re[i] != NULL);
			/* Where JIT is unavailable (no executable memory)
			 * pcre2_match() interprets: same results. */
			(void)pcre2_jit_compile(rx.re[i], PCRE2_JIT_COMPLETE);
		}
		rx.mctx = pcre2_match_context_create(NULL);
		g_assert(rx.mctx != NULL);
		pcre2_set_match_limit(rx.mctx, MT_MATCH_LIMIT);
		pcre2_set_depth_limit(rx.mctx, MT_DEPTH_LIMIT);
		g_once_init_leave(&done, 1);
	}
	return &rx;
}

/* Search pattern ID in S (LEN bytes). On a match, *SO and *EO (when not
 * NULL) get its offsets. A match limit hit counts as no match. */
static gboolean
mt_find(mt_ctx_t *ctx, int id, const char *s, gsize len, gsize *so, gsize *eo)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(ctx->rx->re[id], (PCRE2_SPTR)s, len, 0, 0, ctx->md,
			 ctx->rx->mctx);
	if (rc <= 0)
		return FALSE;
	ov = pcre2_get_ovector_pointer(ctx->md);
	if (so)
		*so = ov[0];
	if (eo)
		*eo = ov[1];
	return TRUE;
}

/* Which capture group of pattern ID matched first (0: none), searching
 * from byte START; *END (when not NULL) gets the end of the match. */
static int
mt_find_group(mt_ctx_t *ctx, int id, const char *s, gsize len, gsize start,
	      gsize *end)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(ctx->rx->re[id], (PCRE2_SPTR)s, len, start, 0, ctx->md,
			 ctx->rx->mctx);
	if (rc <= 1)
		return 0;
	ov = pcre2_get_ovector_pointer(ctx->md);
	if (end)
		*end = ov[1];
	for (int g = 1; g < rc; g++)
		if (ov[2 * g] != PCRE2_UNSET)
			return g;
	return 0;
}

/* Byte helpers. Everything below works on bytes and treats any byte
 * >= 0x80 as part of a word, so invalid UTF-8 is harmless. */

/* Length of the white space character at S (ASCII, NBSP, zero-width
 * space, BOM, ideographic space), 0 if none. */
static gsize
mt_space_len(const char *s, gsize len)
{
	const guchar *u = (const guchar *)s;

	if (len >= 1 && (u[0] == ' ' || u[0] == '\t' || u[0] == '\f' ||
			 u[0] == '\v'))
		return 1;
	if (len >= 2 && u[0] == 0xC2 && u[1] == 0xA0)
		return 2;
	if (len >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
	    (u[2] == 0x8B || u[2] == 0x8C || u[2] == 0xAF))
		return 3;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return 3;
	if (len >= 3 && u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

/* Trim white space at both ends of [*S, *S + *LEN). */
static void
mt_trim(const char **s, gsize *len)
{
	gsize n;

	while (*len > 0 && (n = mt_space_len(*s, *len)) > 0) {
		*s += n;
		*len -= n;
	}
	while (*len > 0) {
		const guchar *u = (const guchar *)*s;
		gsize l = *len;

		if (u[l - 1] == ' ' || u[l - 1] == '\t' || u[l - 1] == '\f' ||
		    u[l - 1] == '\v')
			*len -= 1;
		else if (l >= 2 && u[l - 2] == 0xC2 && u[l - 1] == 0xA0)
			*len -= 2;
		else if (l >= 3 && mt_space_len(*s + l - 3, 3) == 3)
			*len -= 3;
		else
			break;
	}
}

static gboolean
mt_is_blank(const char *s, gsize len)
{
	mt_trim(&s, &len);
	return len == 0;
}

static gboolean
mt_has_prefix(const char *s, gsize len, const char *prefix)
{
	gsize n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Is byte C one of SET? (strchr() would also find the terminator.) */
static gboolean
mt_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static gboolean
mt_is_word_byte(guchar c)
{
	return g_ascii_isalnum(c) || c >= 0x80;
}

static gsize
mt_word_count(const char *s, gsize len)
{
	gsize words = 0;
	gboolean in = FALSE;

	for (gsize i = 0; i < len; i++) {
		gboolean sp = s[i] == ' ' || s[i] == '\t';

		if (!sp && !in)
			words++;
		in = !sp;
	}
	return words;
}

static gboolean
mt_has_digit(const char *s, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if (g_ascii_isdigit(s[i]))
			return TRUE;
	return FALSE;
}

/* An e-mail address: a word character, "@", then a domain with a dot.
 * Also finds it inside "&lt;a@b.c&gt;" and "<mailto:a@b.c>". */
static gboolean
mt_has_email(const char *s, gsize len)
{
	for (gsize i = 1; i + 1 < len; i++) {
		gboolean dot = FALSE;

		if (s[i] != '@' || !mt_is_word_byte(s[i - 1]) ||
		    !mt_is_word_byte(s[i + 1]))
			continue;
		for (gsize j = i + 1; j < len && j < i + 256; j++) {
			guchar c = s[j];

			if (c == '.' && j + 1 < len &&
			    mt_is_word_byte(s[j + 1]))
				dot = TRUE;
			if (!(mt_is_word_byte(c) || c == '.' || c == '-' ||
			      c == '_'))
				break;
		}
		if (dot)
			return TRUE;
	}
	return FALSE;
}

/* Does S end with ":" or a full-width colon (white space ignored)? */
static gboolean
mt_ends_with_colon(const char *s, gsize len)
{
	mt_trim(&s, &len);
	if (len >= 1 && s[len - 1] == ':')
		return TRUE;
	return len >= 3 && memcmp(s + len - 3, "\xEF\xBC\x9A", 3) == 0;
}

/* Does S end with an address and a colon: "<a@b.c>:", "(a@b.c):",
 * "a@b.c:", "<a@b.c<mailto:a@b.c>>:"? */
static gboolean
mt_ends_with_email_colon(const char *s, gsize len)
{
	gsize end, start;

	mt_trim(&s, &len);
	if (len >= 3 && memcmp(s + len - 3, "\xEF\xBC\x9A", 3) == 0)
		len -= 3;
	else if (len >= 1 && s[len - 1] == ':')
		len -= 1;
	else
		return FALSE;
	mt_trim(&s, &len);
	end = len;
	while (end > 0 && mt_in(s[end - 1], ">)]\"'"))
		end--;
	start = end;
	while (start > 0 && !mt_in(s[start - 1], " \t<([\"'"))
		start--;
	return end > start && mt_has_email(s + start, end - start);
}

/* Does a line (trimmed) end a sentence: "!", "?", "。", or a word of four
 * or more letters and a full stop ("tomorrow." but not "Apr." or "28.")? */
static gboolean
mt_ends_sentence(const char *s, gsize len)
{
	gsize letters = 0, i;

	mt_trim(&s, &len);
	if (len == 0)
		return FALSE;
	if (s[len - 1] == '!' || s[len - 1] == '?')
		return TRUE;
	if (len >= 3 && (memcmp(s + len - 3, "\xE3\x80\x82", 3) == 0 ||
			 memcmp(s + len - 3, "\xEF\xBC\x81", 3) == 0 ||
			 memcmp(s + len - 3, "\xEF\xBC\x9F", 3) == 0))
		return TRUE;
	if (s[len - 1] != '.')
		return FALSE;
	for (i = len - 1; i > 0; i--) {
		guchar c = s[i - 1];

		if (g_ascii_isalpha(c) || c >= 0xC0)
			letters++;
		else if (c < 0x80)
			break;
	}
	return letters >= 4;
}

/* Quoting. Returns TRUE when the line is quoted; *CONTENT gets the offset
 * of the text after all quote markers. */
static gboolean
mt_quote_content(const char *s, gsize len, gsize *content)
{
	gsize i = 0, j;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] == '>') {
		/* pass */
	} else {
		/* Supercite: "Name> text", "C>" */
		j = i;
		while (j < len && j - i < 10 && g_ascii_isalpha(s[j]))
			j++;
		if (j == i || j >= len || s[j] != '>')
			return FALSE;
		if (j + 1 < len && s[j + 1] != ' ' && s[j + 1] != '>' &&
		    s[j + 1] != '\t')
			return FALSE;
		i = j;
	}
	while (i < len && (s[i] == '>' || s[i] == ' ' || s[i] == '\t'))
		i++;
	*content = i;
	return TRUE;
}

/* "-----", "=====", "***", "—" and the like. */
static gboolean
mt_is_decor(const char *s, gsize len)
{
	static const char *const wide[] = {
		"\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x94\x80", "\xE2\x94\x81",
		"\xE2\x95\x90", "\xE2\x80\xA2", "\xC2\xB7", "\xE2\x80\xA6",
	};
	gsize i = 0;

	mt_trim(&s, &len);
	if (len == 0)
		return FALSE;
	while (i < len) {
		gboolean ok = FALSE;

		if (s[i] != '\0' && mt_in(s[i], "-_=~*#+.")) {
			i++;
			continue;
		}
		for (gsize w = 0; w < G_N_ELEMENTS(wide) && !ok; w++) {
			if (mt_has_prefix(s + i, len - i, wide[w])) {
				i += strlen(wide[w]);
				ok = TRUE;
			}
		}
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* Lines of underscores: Outlook's separator, mailing-list footers. */
static gboolean
mt_is_rule(const char *s, gsize len)
{
	mt_trim(&s, &len);
	if (len < 2)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (s[i] != '_')
			return FALSE;
	return TRUE;
}

/* RFC 3676 4.3: "-- " alone; many clients drop the space. */
static gboolean
mt_is_sig(const char *s, gsize len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == 2 && s[0] == '-' && s[1] == '-';
}

/* A line carrying only a tracker glyph (Streak and Mixmax insert "ᐧ"). */
static gboolean
mt_is_noise(const char *s, gsize len)
{
	mt_trim(&s, &len);
	return len == 3 && memcmp(s, "\xE1\x90\xA7", 3) == 0;
}

/* Taglines. CLEAN gets the line without links, markdown link targets and
 * wrapping brackets ("<<sent by galaxy>>", "(Sent from mobile)"). */
static void
mt_tagline_clean(GString *clean, const char *s, gsize len)
{
	gsize i = 0;

	g_string_truncate(clean, 0);
	mt_trim(&s, &len);
	while (len > 0 && mt_in(s[0], "(<[*_")) {
		s++;
		len--;
	}
	while (len > 0 && mt_in(s[len - 1], ")>]*_"))
		len--;
	while (i < len) {
		const char *rest = s + i + 1;
		gsize rlen = len - i - 1;

		if (s[i] == '<' && (mt_has_prefix(rest, rlen, "http") ||
				    mt_has_prefix(rest, rlen, "mailto:"))) {
			while (i < len && s[i] != '>')
				i++;
			i++;
			continue;
		}
		if (s[i] == ']' && i + 1 < len && s[i + 1] == '(') {
			while (i < len && s[i] != ')')
				i++;
			i++;
			continue;
		}
		if (s[i] == '[') {
			i++;
			continue;
		}
		if (mt_has_prefix(s + i, len - i, "http://") ||
		    mt_has_prefix(s + i, len - i, "https://")) {
			while (i < len && s[i] != ' ' && s[i] != '\t')
				i++;
			continue;
		}
		if (s[i] == ' ' || s[i] == '\t') {
			if (clean->len > 0 && clean->str[clean->len - 1] != ' ')
				g_string_append_c(clean, ' ');
			i++;
			continue;
		}
		g_string_append_c(clean, s[i]);
		i++;
	}
	while (clean->len > 0 && clean->str[clean->len - 1] == ' ')
		g_string_truncate(clean, clean->len - 1);
}

static gboolean
mt_is_tagline(mt_ctx_t *ctx, const char *s, gsize len)
{
	const char *c, *tail;
	gsize clen, eo = 0, words, tlen, pre, pre_words;
	gboolean more = FALSE;

	if (len > MT_TAGLINE_MAX)
		return FALSE;
	mt_tagline_clean(ctx->clean, s, len);
	c = ctx->clean->str;
	clen = ctx->clean->len;
	words = mt_word_count(c, clen);
	if (words == 0 || words > 16)
		return FALSE;
	if (mt_find(ctx, RE_TAG_FIXED, c, clen, NULL, NULL))
		return TRUE;
	if (!mt_find(ctx, RE_TAG_PREFIX, c, clen, NULL, &eo))
		return FALSE;
	/* The words naming the device, up to the first punctuation:
	 * "Sent from my cell, please excuse typos" names "cell". */
	tail = c + eo;
	tlen = clen - eo;
	for (pre = 0; pre < tlen; pre++) {
		gboolean stop = tail[pre] == '.' &&
				(pre + 1 == tlen || tail[pre + 1] == ' ');

		if (mt_in(tail[pre], ",;!?") || stop) {
			for (gsize k = pre + 1; k < tlen; k++)
				if (!mt_in(tail[k], " .!"))
					more = TRUE;
			break;
		}
	}
	pre_words = mt_word_count(tail, pre);
	if (pre_words == 0)
		return FALSE;
	if (mt_find(ctx, RE_TAG_KEYWORD, tail, pre, NULL, NULL))
		return words <= 14;
	/* "Sent from my TI-85": a short possessive line on its own. */
	return !more && pre_words <= 5 &&
	       mt_find(ctx, RE_TAG_MY, c, clen, NULL, NULL);
}

/* Separator lines: "-----Original Message-----", "Begin forwarded
 * message:", "-------- Message d'origine --------". */
static gboolean
mt_is_separator(mt_ctx_t *ctx, const char *s, gsize len)
{
	if (len > MT_LINE_MAX)
		return FALSE;
	return mt_find(ctx, RE_SEPARATOR, s, len, NULL, NULL);
}

/* Header-block keys: which category (1 from, 2 date, 3 to, 4 cc,
 * 5 subject, 6 reply-to) line S starts with, 0 if none. */
static int
mt_header_key(mt_ctx_t *ctx, const char *s, gsize len)
{
	const char *colon;

	if (len > MT_LINE_MAX)
		return 0;
	/* Cheap filter: a key is followed by a colon early in the line. */
	colon = memchr(s, ':', MIN(len, (gsize)48));
	if (colon == NULL &&
	    g_strstr_len(s, MIN(len, (gsize)48), "\xEF\xBC\x9A") == NULL)
		return 0;
	return mt_find_group(ctx, RE_HDR_KEY, s, len, 0, NULL);
}

static guint
mt_popcount(guint v)
{
	guint count = 0;

	for (; v != 0; v >>= 1)
		count += v & 1u;
	return count;
}

/* Outlook for phones flattens the block onto one line: "From: A Sent:
 * Monday To: B Subject: C". The line starts with the sender; two more
 * different keys follow. */
static gboolean
mt_is_flat_header(mt_ctx_t *ctx, const char *s, gsize len, int first_key)
{
	guint cats = 1u << first_key;
	gsize pos = 0, end = 0;
	int k;

	if (first_key != 1)
		return FALSE;
	for (int i = 0; i < 8; i++) {
		k = mt_find_group(ctx, RE_HDR_KEY_MID, s, len, pos, &end);
		if (k == 0 || end <= pos)
			break;
		cats |= 1u << k;
		pos = end;
	}
	return mt_popcount(cats) >= 3;
}

/* mt_header_key() of line L, computed once. */
static int
mt_line_header_key(mt_ctx_t *ctx, mt_line_t *l)
{
	if (l->f_hdr == 0)
		l->f_hdr = (gint8)(mt_header_key(ctx, l->s, l->len) + 1);
	return l->f_hdr - 1;
}

/* Attributions. */

/* The text of line L for an attribution window: the content after the
 * quote markers when QUOTED, else the whole line; trimmed. */
static void
mt_line_text(const mt_line_t *l, gboolean quoted, const char **s, gsize *len)
{
	gsize off = 0;

	*s = l->s;
	*len = l->len;
	if (quoted && mt_quote_content(l->s, l->len, &off)) {
		*s += off;
		*len -= off;
	}
	mt_trim(s, len);
}

/* Does line L hold an attribution verb? Computed once. */
static gboolean
mt_line_verb(mt_ctx_t *ctx, mt_line_t *l)
{
	if (l->f_verb == 0) {
		const char *s;
		gsize len;

		mt_line_text(l, l->kind == K_QUOTE, &s, &len);
		l->f_verb = mt_find(ctx, RE_VERB_ANY, s, len, NULL, NULL) + 1;
	}
	return l->f_verb == 2;
}

/* Does line L start like an attribution ("On", "Am", "Le")? */
static gboolean
mt_line_lead(mt_ctx_t *ctx, mt_line_t *l)
{
	if (l->f_lead == 0) {
		const char *s;
		gsize len;

		mt_line_text(l, l->kind == K_QUOTE, &s, &len);
		l->f_lead = mt_find(ctx, RE_LEAD, s, len, NULL, NULL) + 1;
	}
	return l->f_lead == 2;
}

/* Join lines FIRST..LAST (blank ones skipped) into ctx->win: single spaces,
 * none inside "<" ">" and "(" ")" split by a wrap, and the "----" or "*"
 * frames Zoho and bold formatting add stripped. FALSE when too long. */
static gboolean
mt_window_join(mt_ctx_t *ctx, const mt_line_t *lines, gsize first, gsize last,
	       gboolean quoted)
{
	GString *w = ctx->win;
	gsize a = 0, b;

	g_string_truncate(w, 0);
	for (gsize i = first; i <= last; i++) {
		const char *s;
		gsize len;

		mt_line_text(&lines[i], quoted, &s, &len);
		if (len == 0)
			continue;
		if (w->len + len + 1 > MT_WINDOW_MAX)
			return FALSE;
		if (w->len > 0 && w->str[w->len - 1] != '<' &&
		    w->str[w->len - 1] != '(' && s[0] != '>' && s[0] != ')')
			g_string_append_c(w, ' ');
		g_string_append_len(w, s, len);
	}
	ctx->framed = mt_has_prefix(w->str, w->len, "--") && w->len >= 4 &&
		      w->str[w->len - 1] == '-' && w->str[w->len - 2] == '-';
	while (a < w->len && mt_in(w->str[a], "-*_ \t"))
		a++;
	b = w->len;
	while (b > a && mt_in(w->str[b - 1], "-*_ \t"))
		b--;
	g_string_truncate(w, b);
	g_string_erase(w, 0, a);
	return w->len > 0;
}

/* Is the joined window ctx->win an attribution? LEAD_ONLY: the window is
 * long or has a blank line, so only one that starts like an attribution
 * ("On", "Am", "Le", ...) counts. NEXT_QUOTED: quoted lines follow. */
static gboolean
mt_is_attribution_text(mt_ctx_t *ctx, gboolean lead_only, gboolean single,
		       gboolean next_quoted)
{
	const char *w = ctx->win->str;
	gsize len = ctx->win->len, vs = 0;
	gboolean colon, email, digit, lead;

	if (len == 0 || mt_word_count(w, len) > 50)
		return FALSE;
	lead = mt_find(ctx, RE_LEAD, w, len, NULL, NULL);
	if (lead_only && !lead)
		return FALSE;
	colon = mt_ends_with_colon(w, len);
	email = mt_has_email(w, len);
	digit = mt_has_digit(w, len);
	if (mt_find(ctx, RE_VERB_END, w, len, &vs, NULL)) {
		/* "On <date>, <who> wrote:", "<who> <addr> wrote:" */
		if (colon && (digit || email))
			return TRUE;
		/* Zoho and some webmails leave the colon out; Android's
		 * "---- John Smith wrote ----" has neither colon nor date.
		 * A sentence ending "... a@b.c as he wrote" has no date. */
		if (!colon && ((email && (digit || lead)) ||
			       (ctx->framed && single)))
			return TRUE;
		if (!colon)
			return FALSE;
		/* "On Monday, John Smith wrote:" */
		if (lead && mt_word_count(w, len) <= 16)
			return TRUE;
		/* "John Smith wrote:" right above the quote. */
		return single && next_quoted && mt_word_count(w, vs) <= 5;
	}
	if (!colon)
		return FALSE;
	/* The verb is not last: Gmail's "<who> <addr> schrieb am <date>:",
	 * "<date> skrev <who> <addr>:", Thunderbird's "Am <date> schrieb
	 * <who>:". */
	if (mt_find(ctx, RE_VERB_ANY, w, len, NULL, NULL) &&
	    (email || (lead && digit && mt_word_count(w, len) <= 25)))
		return TRUE;
	/* No verb at all: Gmail's "<date> <who> <addr>:" in several
	 * locales ("2017-11-24 16:32 GMT+01:00 Name <a@b.c>:",
	 * "ср, 30 апр. 2025 г. в 15:19, Name <a@b.c>:"). */
	return mt_ends_with_email_colon(w, len) &&
	       mt_find(ctx, RE_DATETIME, w, len, NULL, NULL);
}

/* Gmail's oldest format starts with a numeric date and has lost its colon
 * or address: "2013/7/20 Name <a@b.c>", "2016-03-03 17:21 GMT+01:00 Name".
 * Plain dates and times in running text have neither; the caller also
 * wants the line to stand alone between blank lines. */
static gboolean
mt_is_date_attribution(mt_ctx_t *ctx, const char *s, gsize len)
{
	gsize words;

	mt_trim(&s, &len);
	if (len == 0 || len > MT_LINE_MAX || !g_ascii_isdigit(s[0]))
		return FALSE;
	if (!mt_find(ctx, RE_DATE_LEAD, s, len, NULL, NULL))
		return FALSE;
	words = mt_word_count(s, len);
	if (words > 12 || mt_ends_sentence(s, len))
		return FALSE;
	if (len > 0 && (s[len - 1] == '>' || mt_ends_with_colon(s, len)) &&
	    mt_has_email(s, len))
		return TRUE;
	return words >= 4 && mt_find(ctx, RE_GMT, s, len, NULL, NULL) &&
	       !mt_has_email(s, len);
}

/* "---- ... ----" */
static gboolean
mt_is_framed(const char *s, gsize len)
{
	mt_trim(&s, &len);
	return len >= 5 && mt_has_prefix(s, len, "--") && s[len - 1] == '-' &&
	       s[len - 2] == '-';
}

/* Can line L end an attribution window? Real ones end with a colon, or
 * with the verb and an address nearby (checked by the caller). */
static gboolean
mt_can_end_window(const mt_line_t *l, gboolean quoted)
{
	const char *s;
	gsize len;

	mt_line_text(l, quoted, &s, &len);
	while (len > 0 && mt_in(s[len - 1], "-* \t"))
		len--;
	if (len == 0)
		return FALSE;
	if (s[len - 1] == ':' ||
	    (len >= 3 && memcmp(s + len - 3, "\xEF\xBC\x9A", 3) == 0))
		return TRUE;
	return mt_is_word_byte(s[len - 1]);
}

/* May line I be part of a window over lines of this QUOTED-ness? The end
 * of an unquoted window may be a short quoted line: wrapped addresses
 * leave ">:" or "> wrote:" on a line of their own. */
static gboolean
mt_window_member(const mt_line_t *lines, gsize i, gboolean quoted,
		 gboolean is_end)
{
	const mt_line_t *l = &lines[i];

	if (l->fenced || l->len > MT_LINE_MAX)
		return FALSE;
	if (quoted)
		return l->kind == K_QUOTE;
	if (l->kind == K_TEXT || l->kind == K_BLANK)
		return TRUE;
	if (is_end && (l->kind == K_QUOTE || l->kind == K_QUOTE_EMPTY)) {
		const char *s;
		gsize len;

		mt_line_text(l, TRUE, &s, &len);
		return mt_word_count(s, len) <= 2;
	}
	return FALSE;
}

/* Is the next non-blank line after LAST quoted? */
static gboolean
mt_next_is_quote(const mt_line_t *lines, gsize n, gsize last)
{
	for (gsize i = last + 1; i < n; i++) {
		if (lines[i].kind == K_BLANK)
			continue;
		return lines[i].kind == K_QUOTE ||
		       lines[i].kind == K_QUOTE_EMPTY;
	}
	return FALSE;
}

/* Try the window FIRST..LAST: membership, sentence ends, then the text. */
static gboolean
mt_try_window(mt_ctx_t *ctx, mt_line_t *lines, gsize n, gsize first,
	      gsize last, gboolean quoted)
{
	gsize nonblank = 0, blanks = 0;
	gboolean first_evidence, verb = FALSE, digit = FALSE, at = FALSE;
	const char *s;
	gsize len;

	if (lines[first].kind == K_BLANK)
		return FALSE;
	for (gsize i = first; i <= last; i++) {
		if (!mt_window_member(lines, i, quoted, i == last))
			return FALSE;
		if (lines[i].kind == K_BLANK) {
			blanks++;
			continue;
		}
		nonblank++;
		mt_line_text(&lines[i], quoted, &s, &len);
		if (i < last && mt_ends_sentence(s, len))
			return FALSE;
		verb = verb || mt_line_verb(ctx, &lines[i]);
		digit = digit || mt_has_digit(s, len);
		at = at || memchr(s, '@', len) != NULL;
	}
	if (blanks > 1 || lines[last].kind == K_BLANK)
		return FALSE;
	/* Without a verb only "<date> <who> <addr>:" is left. */
	if (!verb && !(digit && at))
		return FALSE;
	/* A window over several lines starts with a date or an address,
	 * or with a word attributions start with (checked in the text). */
	mt_line_text(&lines[first], quoted, &s, &len);
	first_evidence = mt_has_digit(s, len) || mt_has_email(s, len);
	if (!mt_window_join(ctx, lines, first, last, quoted))
		return FALSE;
	if (nonblank > 1 && !first_evidence &&
	    !mt_find(ctx, RE_LEAD, ctx->win->str, ctx->win->len, NULL, NULL))
		return FALSE;
	return mt_is_attribution_text(ctx, blanks > 0 || nonblank > 3,
				      nonblank == 1,
				      mt_next_is_quote(lines, n, last));
}

/* Does the attribution go on from line A to line B = A + 1? Yes when a
 * wrap split it: A ends inside an address or a list ("<", "(", ","), B
 * starts with one (">", "<") or in lower case ("wrote:", "a écrit :").
 * A must carry a date, an address or a leading word itself. */
static gboolean
mt_wrap_joins(mt_ctx_t *ctx, mt_line_t *lines, gsize a, gboolean quoted)
{
	const char *sa, *sb;
	gsize la, lb;
	gunichar c;

	mt_line_text(&lines[a], quoted, &sa, &la);
	mt_line_text(&lines[a + 1], quoted, &sb, &lb);
	if (la == 0 || lb == 0 || mt_ends_sentence(sa, la))
		return FALSE;
	if (!mt_has_digit(sa, la) && !mt_has_email(sa, la) &&
	    !mt_line_lead(ctx, &lines[a]))
		return FALSE;
	if (mt_in(sa[la - 1], "<(,\"'") || mt_in(sb[0], "<>("))
		return TRUE;
	c = g_utf8_get_char_validated(sb, (gssize)MIN(lb, (gsize)6));
	return c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_islower(c);
}

/* Find the attribution ending at line LAST: the shortest window that is
 * one, stretched back over the lines a wrap split off ("2016-10-24 15:36
 * GMT+02:00 Name <\na@b.c>:") and then to an earlier line that starts
 * like an attribution ("On Nov 21, 2014,\nat 10:18,\nJohn <j@x.y>
 * wrote:"). Returns the first line, or -1. NOT_BEFORE: lines already
 * taken. */
static gssize
mt_find_attribution(mt_ctx_t *ctx, mt_line_t *lines, gsize n,
		    gsize last, gsize not_before, gboolean quoted)
{
	gssize best = -1;
	gsize lo = last + 1 > MT_WINDOW_LINES ? last + 1 - MT_WINDOW_LINES : 0;

	lo = MAX(lo, not_before);
	for (gsize first = last + 1; first-- > lo;) {
		if (mt_try_window(ctx, lines, n, first, last, quoted)) {
			best = (gssize)first;
			break;
		}
		if (!mt_window_member(lines, first, quoted, first == last))
			break;
	}
	if (best < 0)
		return -1;
	while ((gsize)best > lo && lines[best - 1].kind != K_BLANK &&
	       mt_window_member(lines, (gsize)best - 1, quoted, FALSE) &&
	       mt_wrap_joins(ctx, lines, (gsize)best - 1, quoted) &&
	       mt_try_window(ctx, lines, n, (gsize)best - 1, last, quoted))
		best--;
	if (mt_line_lead(ctx, &lines[best]))
		return best;
	for (gsize first = (gsize)best; first-- > lo;) {
		if (!mt_window_member(lines, first, quoted, FALSE))
			break;
		if (lines[first].kind == K_BLANK)
			continue;
		if (mt_line_lead(ctx, &lines[first]) &&
		    mt_try_window(ctx, lines, n, first, last, quoted))
			best = (gssize)first;
	}
	return best;
}

/* Mark attributions: unquoted ones become K_ATTR groups, quoted ones
 * K_QUOTE_ATTR lines. */
static void
mt_mark_attributions(mt_ctx_t *ctx, mt_line_t *lines, gsize n)
{
	gsize taken = 0;     /* unquoted lines before this are decided */
	gsize qtaken = 0;
	gsize last_at = G_MAXSIZE; /* last line holding an "@" */

	for (gsize j = 0; j < n; j++) {
		mt_line_t *l = &lines[j];
		gboolean at, alone;
		gssize first;

		if (l->fenced || l->len > MT_LINE_MAX)
			continue;
		at = memchr(l->s, '@', l->len) != NULL;
		if (at)
			last_at = j;
		alone = (j == 0 || lines[j - 1].kind == K_BLANK) &&
			(j + 1 == n || lines[j + 1].kind == K_BLANK);
		if (l->kind == K_TEXT && alone &&
		    mt_is_date_attribution(ctx, l->s, l->len)) {
			l->kind = K_ATTR;
			l->group_end = j;
			taken = j + 1;
			continue;
		}
		if (l->kind == K_TEXT || l->kind == K_QUOTE ||
		    l->kind == K_QUOTE_EMPTY) {
			gboolean colon_end = mt_can_end_window(l, FALSE);
			const char *s;
			gsize len;

			mt_line_text(l, FALSE, &s, &len);
			/* Without a colon, only "... <addr> wrote" and
			 * "---- Name wrote ----". */
			if (colon_end && !mt_ends_with_colon(s, len) &&
			    (last_at == G_MAXSIZE ||
			     j - last_at >= MT_WINDOW_LINES) &&
			    !mt_is_framed(s, len))
				colon_end = FALSE;
			first = -1;
			if (colon_end)
				first = mt_find_attribution(ctx, lines, n, j,
							    taken, FALSE);
			if (first >= 0) {
				for (gsize i = (gsize)first; i <= j; i++) {
					lines[i].kind = K_ATTR;
					lines[i].group_end = j;
				}
				taken = j + 1;
				continue;
			}
		}
		if (l->kind == K_QUOTE) {
			const char *s;
			gsize len;

			mt_line_text(l, TRUE, &s, &len);
			if (!mt_can_end_window(l, TRUE) ||
			    (!mt_ends_with_colon(s, len) && !at &&
			     (last_at == G_MAXSIZE || j - last_at >= 3)))
				continue;
			first = mt_find_attribution(ctx, lines, n, j,
						    MAX(qtaken, taken), TRUE);
			if (first >= 0) {
				for (gsize i = (gsize)first; i <= j; i++)
					lines[i].kind = K_QUOTE_ATTR;
				qtaken = j + 1;
			}
		}
	}
}

/* Mark From:/Sent:/To:/Subject: blocks: at least three different keys,
 * one of them the sender, on consecutive lines, or the sender and the date
 * with an address; a long value may wrap onto up to two lines, and HTML
 * conversions leave single blank lines between the keys. */
static void
mt_mark_header_blocks(mt_ctx_t *ctx, mt_line_t *lines, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		guint cats = 0;
		gsize last_key = i, cont = 0, j, end;
		gboolean at = FALSE;

		if (lines[i].kind != K_TEXT || lines[i].fenced ||
		    mt_line_header_key(ctx, &lines[i]) == 0)
			continue;
		if (mt_is_flat_header(ctx, lines[i].s, lines[i].len,
				      mt_line_header_key(ctx, &lines[i]))) {
			lines[i].kind = K_HEADERS;
			lines[i].group_end = i;
			continue;
		}
		for (j = i; j < n && j < i + MT_BLOCK_LINES; j++) {
			int k;

			if (lines[j].kind == K_BLANK) {
				if (j + 1 < n && lines[j + 1].kind == K_TEXT &&
				    !lines[j + 1].fenced && cont == 0 &&
				    mt_line_header_key(ctx, &lines[j + 1]) > 0)
					continue;
				break;
			}
			if (lines[j].kind != K_TEXT || lines[j].fenced)
				break;
			k = mt_line_header_key(ctx, &lines[j]);
			if (k > 0) {
				cats |= 1u << k;
				last_key = j;
				cont = 0;
			} else if (++cont > 2) {
				break;
			}
			if (memchr(lines[j].s, '@', lines[j].len) != NULL)
				at = TRUE;
		}
		if (!(cats & (1u << 1)))
			continue;
		if (mt_popcount(cats) < 3 &&
		    !(mt_popcount(cats) == 2 && (cats & (1u << 2)) && at))
			continue;
		/* A wrapped last value ("Subject: long\n  continued") belongs
		 * to the block when a blank line or the end follows it. */
		end = last_key;
		if (j > last_key + 1 && (j >= n || lines[j].kind == K_BLANK) &&
		    lines[j - 1].kind != K_BLANK)
			end = j - 1;
		for (gsize m = i; m <= end; m++) {
			lines[m].kind = K_HEADERS;
			lines[m].group_end = end;
		}
		i = end;
	}
}

/* A quoted line broken by a client's line wrapping leaves its tail
 * unquoted between two quoted lines:
 *   > Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam d
 *   ignissim odio?
 *   >
 * Such a tail is part of the quote, not an inline answer. */
static void
mt_mark_wrapped_quotes(mt_line_t *lines, gsize n)
{
	for (gsize i = 1; i + 1 < n; i++) {
		mt_line_t *l = &lines[i];
		const mt_line_t *prev = &lines[i - 1], *next = &lines[i + 1];

		if (l->kind != K_TEXT || l->fenced || prev->kind != K_QUOTE ||
		    (next->kind != K_QUOTE && next->kind != K_QUOTE_EMPTY))
			continue;
		if (prev->len >= 60 && l->len < prev->len &&
		    prev->len + 1 + l->len > 76)
			l->kind = K_QUOTE;
	}
}

/* The kind of one line on its own. */
static mt_kind_t
mt_classify(mt_ctx_t *ctx, const mt_line_t *l)
{
	gsize off;

	if (mt_is_blank(l->s, l->len))
		return K_BLANK;
	if (l->fenced)
		return K_TEXT;
	if (mt_quote_content(l->s, l->len, &off))
		return mt_is_blank(l->s + off, l->len - off) ? K_QUOTE_EMPTY
							     : K_QUOTE;
	if (mt_is_sig(l->s, l->len))
		return K_SIG;
	if (mt_is_rule(l->s, l->len))
		return K_RULE;
	if (mt_is_noise(l->s, l->len))
		return K_NOISE;
	if (mt_is_separator(ctx, l->s, l->len))
		return K_SEPARATOR;
	if (l->len <= MT_TAGLINE_MAX &&
	    mt_find(ctx, RE_ABOVE, l->s, l->len, NULL, NULL))
		return K_ABOVE;
	if (mt_is_decor(l->s, l->len))
		return K_DECOR;
	if (mt_is_tagline(ctx, l->s, l->len))
		return K_TAGLINE;
	return K_TEXT;
}

/* Code fences: "```" or "~~~" opening a line (up to three spaces in). */
static gboolean
mt_is_fence(const char *s, gsize len)
{
	gsize i = 0;

	while (i < len && i < 3 && s[i] == ' ')
		i++;
	return mt_has_prefix(s + i, len - i, "```") ||
	       mt_has_prefix(s + i, len - i, "~~~");
}

/* CRLF and CR become LF, NUL becomes U+FFFD. */
static GString *
mt_normalise(const char *text, gsize len)
{
	GString *buf = g_string_sized_new(len + 1);
	gsize i = 0;

	while (i < len) {
		gsize j = i;

		while (j < len && text[j] != '\r' && text[j] != '\0')
			j++;
		g_string_append_len(buf, text + i, j - i);
		if (j >= len)
			break;
		if (text[j] == '\0') {
			g_string_append(buf, "\xEF\xBF\xBD");
		} else {
			g_string_append_c(buf, '\n');
			if (j + 1 < len && text[j + 1] == '\n')
				j++;
		}
		i = j + 1;
	}
	return buf;
}

/* The lines of BUF (LF-separated; a final LF ends the last line), as a
 * new array of *N entries pointing into BUF. */
static mt_line_t *
mt_split_lines(const GString *buf, gsize *n)
{
	mt_line_t *lines;
	gsize i = 0, count = 1, k = 0;

	for (const char *p = buf->str, *end = buf->str + buf->len;
	     (p = memchr(p, '\n', (gsize)(end - p))) != NULL; p++)
		count++;
	lines = g_new0(mt_line_t, count);
	while (i < buf->len) {
		const char *nl = memchr(buf->str + i, '\n', buf->len - i);
		gsize end = nl ? (gsize)(nl - buf->str) : buf->len;

		lines[k].s = buf->str + i;
		lines[k].len = end - i;
		k++;
		i = end + 1;
	}
	*n = k;
	return lines;
}

enum { CUT_NONE, CUT_QUOTE, CUT_SIGNATURE };

/* Index of the first line at or after I that is not blank. */
static gsize
mt_next_nonblank(const mt_line_t *lines, gsize n, gsize i)
{
	while (i < n && lines[i].kind == K_BLANK)
		i++;
	return i;
}

static gboolean
mt_is_quoted_kind(mt_kind_t k)
{
	return k == K_QUOTE || k == K_QUOTE_EMPTY || k == K_QUOTE_ATTR;
}

/* The pass that decides what is visible. Returns the cut reason. */
static int
mt_decide(mt_line_t *lines, gsize n)
{
	g_autofree gsize *next_quote = g_new(gsize, n + 1);
	g_autofree gsize *next_hard = g_new(gsize, n + 1);
	gboolean seen = FALSE;     /* author's text or quotes kept so far */
	gboolean dropped = FALSE;  /* a leading marker was dropped */
	gsize cut = n, i = 0;
	int reason = CUT_NONE;

	/* Where the next quoted line and the next hard cut are, so that
	 * "is this quote followed by more quotes?" costs nothing. */
	next_quote[n] = n;
	next_hard[n] = n;
	for (gsize k = n; k-- > 0;) {
		mt_kind_t kind = lines[k].kind;

		next_quote[k] = kind == K_QUOTE ? k : next_quote[k + 1];
		next_hard[k] = (kind == K_SIG || kind == K_TAGLINE ||
				kind == K_SEPARATOR || kind == K_HEADERS ||
				kind == K_RULE || kind == K_ABOVE) ?
			       k : next_hard[k + 1];
	}

	while (i < n && cut == n) {
		mt_line_t *l = &lines[i];

		switch (l->kind) {
		case K_TEXT:
		case K_QUOTE:
			seen = TRUE;
			l->visible = TRUE;
			i++;
			break;
		case K_BLANK:
		case K_QUOTE_EMPTY:
		case K_DECOR:
			l->visible = TRUE;
			i++;
			break;
		case K_NOISE:
		case K_QUOTE_ATTR:
			i++;
			break;
		case K_SIG:
		case K_TAGLINE:
			cut = i;
			reason = CUT_SIGNATURE;
			break;
		case K_ABOVE:
			/* A help desk's "reply above this line": what
			 * follows is its notification, wherever it is. */
			cut = i;
			reason = CUT_QUOTE;
			break;
		case K_RULE: {
			gsize k = mt_next_nonblank(lines, n, i + 1);

			if (k < n && k <= i + 3 && lines[k].kind == K_HEADERS) {
				if (!seen) {
					i = lines[k].group_end + 1;
					dropped = TRUE;
				} else {
					cut = i;
					reason = CUT_QUOTE;
				}
			} else {
				cut = i;
				reason = CUT_SIGNATURE;
			}
			break;
		}
		case K_SEPARATOR:
		case K_HEADERS:
			if (seen) {
				cut = i;
				reason = CUT_QUOTE;
			} else {
				/* A forward, or a reply written below the
				 * quoted message: drop the marker only. */
				if (l->kind == K_HEADERS)
					i = l->group_end;
				i++;
				dropped = TRUE;
			}
			break;
		case K_ATTR: {
			gsize j = l->group_end, k, m, p, after;
			gboolean later;

			k = mt_next_nonblank(lines, n, j + 1);
			if (k >= n || !mt_is_quoted_kind(lines[k].kind)) {
				/* Attribution over unquoted history (Outlook,
				 * Gmail forwards): the rest is history. */
				if (seen) {
					cut = i;
					reason = CUT_QUOTE;
				} else {
					i = j + 1;
					dropped = TRUE;
				}
				break;
			}
			for (m = p = k; p < n; p++) {
				if (mt_is_quoted_kind(lines[p].kind))
					m = p;
				else if (lines[p].kind != K_BLANK)
					break;
			}
			after = m + 1;
			while (after < n && (lines[after].kind == K_BLANK ||
					     lines[after].kind == K_DECOR ||
					     lines[after].kind == K_NOISE))
				after++;
			if (after >= n || lines[after].kind != K_TEXT) {
				/* Quote at the end: top-posting. */
				cut = i;
				reason = CUT_QUOTE;
				break;
			}
			/* Text follows the quote. More quotes after it make
			 * an inline reply: keep the quotes, hide the
			 * attribution. Otherwise the text is an answer below
			 * the quote when the message started that way, and
			 * trailing matter (most often a signature) under a
			 * top-posted reply when it did not. */
			later = next_quote[after] < next_hard[after];
			if (!seen && !later) {
				i = m + 1;
				dropped = TRUE;
			} else if (!seen || later || dropped) {
				i = j + 1;
			} else {
				cut = i;
				reason = CUT_QUOTE;
			}
			break;
		}
		}
	}
	return reason;
}

/* Drop white space at the end of S. */
static void
mt_rstrip(GString *s)
{
	gsize len = s->len;

	while (len > 0 && g_ascii_isspace(s->str[len - 1]))
		len--;
	g_string_truncate(s, len);
}

void
mime_text_split(const char *text, gssize len, mime_text_split_t *out)
{
	g_autoptr(GString) buf = NULL;
	g_autofree mt_line_t *lines = NULL;
	g_autoptr(GString) visible = NULL;
	g_autoptr(GString) hidden = NULL;
	g_autoptr(GString) win = g_string_sized_new(MT_WINDOW_MAX + 8);
	g_autoptr(GString) clean = g_string_sized_new(MT_TAGLINE_MAX + 8);
	mt_ctx_t ctx = { 0 };
	gboolean fenced = FALSE, has_text = FALSE, has_quote = FALSE;
	gsize n, first, last, hs;
	int reason;

	g_return_if_fail(out != NULL);
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		len = 0;
	else if (len < 0)
		len = (gssize)strlen(text);

	ctx.rx = mt_regexes();
	ctx.md = pcre2_match_data_create(8, NULL);
	g_assert(ctx.md != NULL);
	ctx.win = win;
	ctx.clean = clean;

	buf = mt_normalise(text ? text : "", (gsize)len);
	lines = mt_split_lines(buf, &n);

	for (gsize i = 0; i < n; i++) {
		gboolean fence = mt_is_fence(lines[i].s, lines[i].len);

		lines[i].fenced = fenced || fence;
		if (fence)
			fenced = !fenced;
		lines[i].kind = mt_classify(&ctx, &lines[i]);
	}
	mt_mark_wrapped_quotes(lines, n);
	mt_mark_attributions(&ctx, lines, n);
	mt_mark_header_blocks(&ctx, lines, n);
	pcre2_match_data_free(ctx.md);

	reason = mt_decide(lines, n);

	/* Trailing quotes, blank and decoration lines go; quotes stay when
	 * they are all there is (a message that only quotes). */
	for (gsize i = 0; i < n; i++)
		if (lines[i].visible && lines[i].kind == K_TEXT)
			has_text = TRUE;
	for (last = n; last > 0; last--) {
		mt_line_t *l = &lines[last - 1];

		if (!l->visible)
			continue;
		if (l->kind == K_BLANK || l->kind == K_QUOTE_EMPTY ||
		    l->kind == K_DECOR || (l->kind == K_QUOTE && has_text))
			l->visible = FALSE;
		else
			break;
	}
	for (first = 0; first < n; first++) {
		mt_line_t *l = &lines[first];

		if (!l->visible)
			continue;
		if (l->kind == K_BLANK || l->kind == K_QUOTE_EMPTY)
			l->visible = FALSE;
		else
			break;
	}

	visible = g_string_sized_new(buf->len + 1);
	hidden = g_string_new(NULL);
	for (gsize i = 0; i < n; i++) {
		GString *to = lines[i].visible ? visible : hidden;
		mt_kind_t k = lines[i].kind;

		if (!lines[i].visible &&
		    (k == K_QUOTE || k == K_QUOTE_ATTR || k == K_ATTR ||
		     k == K_SEPARATOR || k == K_HEADERS || k == K_ABOVE))
			has_quote = TRUE;
		if (to->len > 0)
			g_string_append_c(to, '\n');
		g_string_append_len(to, lines[i].s, lines[i].len);
	}
	/* Visible lines were trimmed above; only white space at the end of
	 * the last line remains. Hidden text loses blank lines at both
	 * ends. */
	mt_rstrip(visible);
	mt_rstrip(hidden);
	hs = 0;
	for (gsize i = 0; i < hidden->len; i++) {
		if (hidden->str[i] == '\n')
			hs = i + 1;
		else if (!g_ascii_isspace(hidden->str[i]))
			break;
	}
	g_string_erase(hidden, 0, hs);

	out->visible = g_string_free(g_steal_pointer(&visible), FALSE);
	out->hidden = g_string_free(g_steal_pointer(&hidden), FALSE);
	out->has_quote = has_quote;
	out->has_signature = reason == CUT_SIGNATURE;
}

void
mime_text_split_clear(mime_text_split_t *split)
{
	if (split == NULL)
		return;
	g_free(split->visible);
	g_free(split->hidden);
	memset(split, 0, sizeof(*split));
}

char *
mime_text_visible(const char *text, gssize len)
{
	mime_text_split_t split;
	char *visible;

	mime_text_split(text, len, &split);
	visible = g_steal_pointer(&split.visible);
	mime_text_split_clear(&split);
	return visible;
}
