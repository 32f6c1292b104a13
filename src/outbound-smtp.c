/* SPDX-License-Identifier: MIT
 * outbound-smtp.c: the SMTP transport, through libcurl (GnuTLS build).
 * One easy handle per batch: libcurl keeps the connection, so every mail
 * after the first starts with MAIL FROM (no new EHLO, no new handshake).
 * Follows RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS),
 * RFC 4954 (AUTH). libcurl does the dialogue, dot-stuffing (RFC 5321
 * 4.5.2) and the final ".". Not here: queueing and retries (outbound.c).
 *
 * TLS: smtp:// with tls = starttls (the default) requires STARTTLS;
 * smtps:// or tls = tls is implicit TLS; tls = none is plain text, which
 * config.c allows for a loopback server only. Certificates are always
 * verified, peer and host name. The one knob is the environment variable
 * POSTDESK_CA_FILE: a PEM file of CA certificates to trust instead of the
 * system's bundle, for tests against a server with a self-signed
 * certificate. Nothing turns verification off. */
#include "autodefs.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include "error.h"
#include "util.h"
#include "outbound-transport.h"
#include "banned.h"

#define SMTP_CONNECT_TIMEOUT 15L  /* seconds to connect (TCP and TLS) */
#define SMTP_TRANSFER_TIMEOUT 120L /* seconds for one whole mail */
#define SMTP_MAX_REPLY 400        /* bytes of a server reply we quote */

/* The command a server reply answers, as far as we need to know it. */
typedef enum {
	SMTP_CMD_NONE,   /* greeting, or nothing sent yet */
	SMTP_CMD_HELLO,  /* EHLO, HELO */
	SMTP_CMD_TLS,    /* STARTTLS */
	SMTP_CMD_AUTH,   /* AUTH and its continuation lines */
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,   /* DATA, answered by 354 */
	SMTP_CMD_BODY,   /* the mail and its final ".", after 354 */
	SMTP_CMD_QUIT,   /* only closes; never becomes conn->cmd */
	SMTP_CMD_OTHER,  /* RSET, NOOP */
} smtp_cmd_t;

struct outbound_conn {
	CURL *curl;
	char *where;      /* "HOST:PORT" for messages; no credentials */
	char *password;   /* wiped on close */
	char errbuf[CURL_ERROR_SIZE];
	/* The dialogue of the current mail, seen through the debug callback:
	 * the last command and the reply to it. */
	smtp_cmd_t cmd;
	gboolean quit_sent;
	GString *reply;
	gboolean reply_done;
	/* The mail being uploaded. */
	const char *body;
	gsize body_len;
	gsize body_pos;
};

static CURLcode smtp_global_rc;

static gboolean
smtp_global_init(GError **error)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		smtp_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&once, 1);
	}
	if (smtp_global_rc != CURLE_OK) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "smtp: libcurl initialisation failed: %s",
			    curl_easy_strerror(smtp_global_rc));
		return FALSE;
	}
	return TRUE;
}

/* True when LINE (LEN bytes, no line end) is a header field of the
 * spool's envelope record. */
static gboolean
is_envelope_field(const char *line, gsize len)
{
	static const char *const names[] = { OUTBOUND_HEADER_RCPT,
					     OUTBOUND_HEADER_MAIL_FROM };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		gsize n = strlen(names[i]);
		gsize j = n;

		if (len <= n || g_ascii_strncasecmp(line, names[i], n) != 0)
			continue;
		while (j < len && (line[j] == ' ' || line[j] == '\t'))
			j++;
		if (j < len && line[j] == ':')
			return TRUE;
	}
	return FALSE;
}

GBytes *
outbound_smtp_wire_format(GBytes *msg)
{
	gsize len;
	const char *p = g_bytes_get_data(msg, &len);
	GString *out = g_string_sized_new(len + len / 32 + 8);
	gboolean in_header = TRUE;
	gboolean dropping = FALSE;
	gsize i = 0;

	while (i < len) {
		gsize end = i;
		gsize next;

		while (end < len && p[end] != '\r' && p[end] != '\n')
			end++;
		next = end;
		if (next < len)
			next += p[next] == '\r' && next + 1 < len && p[next + 1] == '\n' ? 2 : 1;
		if (in_header) {
			if (end == i) {
				in_header = FALSE;
			} else if (p[i] == ' ' || p[i] == '\t') {
				/* A continuation belongs to the field above. */
				if (dropping) {
					i = next;
					continue;
				}
			} else {
				dropping = is_envelope_field(p + i, end - i);
				if (dropping) {
					i = next;
					continue;
				}
			}
		}
		g_string_append_len(out, p + i, (gssize)(end - i));
		if (end < len)
			g_string_append(out, "\r\n");
		i = next;
	}
	return g_string_free_to_bytes(out);
}

static char *
smtp_read_password(const char *path, GError **error)
{
	char *password = util_read_password(path, error);

	if (password == NULL)
		g_prefix_error(error, "smtp: password_file ");
	return password;
}

/* The URL libcurl gets: the scheme the tls setting asks for and the EHLO
 * name as the path (libcurl's convention), taken from the URL or else the
 * support address's domain. *WHERE gets "HOST:PORT" for messages. */
static char *
smtp_build_url(const config_t *cfg, char **where, long *use_ssl, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) local = NULL;
	g_autofree char *scheme = NULL;
	g_autofree char *path = NULL;
	const char *tls = cfg->smtp_tls != NULL ? cfg->smtp_tls : "starttls";
	const char *host;
	int port;

	if (cfg->smtp_url == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] url is not set");
		return NULL;
	}
	uri = g_uri_parse(cfg->smtp_url, G_URI_FLAGS_ENCODED, &local);
	if (uri == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] url: %s", local->message);
		return NULL;
	}
	scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
	host = g_uri_get_host(uri);
	if ((strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) ||
	    host == NULL || *host == '\0') {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] url must be smtp://HOST[:PORT][/EHLO-NAME] "
			    "or smtps://...");
		return NULL;
	}
	if (g_uri_get_userinfo(uri) != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] url must not hold credentials; use "
			    "user and password_file");
		return NULL;
	}
	if (strcmp(scheme, "smtps") == 0 && strcmp(tls, "none") == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] tls = none contradicts an smtps:// url");
		return NULL;
	}
	if (strcmp(tls, "tls") == 0) {
		g_free(scheme);
		scheme = g_strdup("smtps");
	}
	if (strcmp(scheme, "smtps") == 0)
		*use_ssl = CURLUSESSL_ALL;
	else if (strcmp(tls, "none") == 0)
		*use_ssl = CURLUSESSL_NONE;
	else if (strcmp(tls, "starttls") == 0)
		*use_ssl = CURLUSESSL_ALL;
	else {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] tls must be starttls, tls or none");
		return NULL;
	}
	path = g_strdup(g_uri_get_path(uri));
	if (path[0] == '\0' || strcmp(path, "/") == 0) {
		const char *at = cfg->support_address ? strrchr(cfg->support_address, '@') : NULL;

		g_free(path);
		if (at != NULL && at[1] != '\0') {
			g_autofree char *esc = g_uri_escape_string(at + 1, NULL, FALSE);

			path = g_strconcat("/", esc, NULL);
		} else {
			path = g_strdup("");
		}
	}
	port = g_uri_get_port(uri);
	if (port < 0)
		port = strcmp(scheme, "smtps") == 0 ? 465 : 25;
	*where = strchr(host, ':') != NULL ? g_strdup_printf("[%s]:%d", host, port)
					   : g_strdup_printf("%s:%d", host, port);
	return g_uri_join(G_URI_FLAGS_ENCODED, scheme, NULL, host, port, path,
			  g_uri_get_query(uri), NULL);
}

/* Which command a line we sent is. AUTH LOGIN sends the user name and the
 * password as bare lines: anything not a known verb counts as part of AUTH
 * and is never kept. */
static smtp_cmd_t
smtp_cmd_of(const char *line, gsize len)
{
	static const struct {
		const char *verb;
		smtp_cmd_t cmd;
	} verbs[] = {
		{ "EHLO", SMTP_CMD_HELLO }, { "HELO", SMTP_CMD_HELLO },
		{ "STARTTLS", SMTP_CMD_TLS }, { "AUTH", SMTP_CMD_AUTH },
		{ "MAIL", SMTP_CMD_MAIL }, { "RCPT", SMTP_CMD_RCPT },
		{ "DATA", SMTP_CMD_DATA }, { "QUIT", SMTP_CMD_QUIT },
		{ "RSET", SMTP_CMD_OTHER }, { "NOOP", SMTP_CMD_OTHER },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
		gsize n = strlen(verbs[i].verb);

		if (len >= n && g_ascii_strncasecmp(line, verbs[i].verb, n) == 0 &&
		    (len == n || line[n] == ' ' || line[n] == '\r' || line[n] == '\n'))
			return verbs[i].cmd;
	}
	return SMTP_CMD_AUTH;
}

/* One reply line (no line end): keep the reply it belongs to, printable
 * and bounded, since it ends up in error messages and logs. */
static void
smtp_reply_line(outbound_conn_t *conn, const char *line, gsize len)
{
	if (conn->reply_done) {
		g_string_truncate(conn->reply, 0);
		conn->reply_done = FALSE;
	}
	if (conn->reply->len > 0 && conn->reply->len < SMTP_MAX_REPLY)
		g_string_append_c(conn->reply, ' ');
	for (gsize i = 0; i < len && conn->reply->len < SMTP_MAX_REPLY; i++) {
		unsigned char c = (unsigned char)line[i];

		g_string_append_c(conn->reply, c < ' ' || c == 0x7f ? ' ' : (char)c);
	}
	/* "250-..." continues, "250 ..." or a bare "250" ends the reply. */
	if (len < 4 || line[3] != '-')
		conn->reply_done = TRUE;
	/* A 354 means the next reply is to the mail itself. */
	if (conn->cmd == SMTP_CMD_DATA && conn->reply_done && len >= 3 &&
	    strncmp(line, "354", 3) == 0)
		conn->cmd = SMTP_CMD_BODY;
}

/* libcurl shows the dialogue only through its debug callback (with
 * CURLOPT_VERBOSE); nothing of it is printed or logged. */
static int
smtp_debug_cb(CURL *curl, curl_infotype type, char *data, size_t size, void *userp)
{
	outbound_conn_t *conn = userp;

	/* After a failure libcurl closes the connection with QUIT before
	 * curl_easy_perform() returns: keep the reply that failed, not 221. */
	if (conn->quit_sent)
		return 0;
	if (type == CURLINFO_HEADER_OUT) {
		smtp_cmd_t cmd = smtp_cmd_of(data, size);

		if (cmd == SMTP_CMD_QUIT) {
			conn->quit_sent = TRUE;
			return 0;
		}
		conn->cmd = cmd;
		g_string_truncate(conn->reply, 0);
		conn->reply_done = FALSE;
	} else if (type == CURLINFO_HEADER_IN) {
		gsize i = 0;

		while (i < size) {
			gsize end = i;
			gsize stop;

			while (end < size && data[end] != '\n')
				end++;
			stop = end > i && data[end - 1] == '\r' ? end - 1 : end;
			if (end < size || stop > i)
				smtp_reply_line(conn, data + i, stop - i);
			i = end + 1;
		}
	}
	return 0;
}

static size_t
smtp_read_cb(char *buf, size_t size, size_t nitems, void *userp)
{
	outbound_conn_t *conn = userp;
	gsize want = size * nitems;
	gsize left = conn->body_len - conn->body_pos;
	gsize n = MIN(want, left);

	if (n > 0)
		memcpy(buf, conn->body + conn->body_pos, n);
	conn->body_pos += n;
	return n;
}

static void
smtp_close(outbound_conn_t *conn)
{
	if (conn == NULL)
		return;
	if (conn->curl != NULL)
		curl_easy_cleanup(conn->curl); /* QUIT on a live connection */
	if (conn->password != NULL) {
		explicit_bzero(conn->password, strlen(conn->password));
		g_free(conn->password);
	}
	g_free(conn->where);
	if (conn->reply != NULL)
		g_string_free(conn->reply, TRUE);
	g_free(conn);
}

static outbound_conn_t *
smtp_open(const config_t *cfg, GError **error)
{
	outbound_conn_t *conn;
	g_autofree char *url = NULL;
	g_autofree char *where = NULL;
	g_autofree char *password = NULL;
	const char *ca_file = g_getenv("POSTDESK_CA_FILE");
	long use_ssl = CURLUSESSL_ALL;
	CURL *c;

	if (!smtp_global_init(error))
		return NULL;
	url = smtp_build_url(cfg, &where, &use_ssl, error);
	if (url == NULL)
		return NULL;
	if ((cfg->smtp_user != NULL) != (cfg->smtp_password_file != NULL)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: [smtp] user and password_file go together");
		return NULL;
	}
	if (ca_file != NULL && *ca_file != '\0' && access(ca_file, R_OK) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: POSTDESK_CA_FILE %s: %s", ca_file,
			    g_strerror(errno));
		return NULL;
	}
	if (cfg->smtp_password_file != NULL) {
		password = smtp_read_password(cfg->smtp_password_file, error);
		if (password == NULL)
			return NULL;
	}
	c = curl_easy_init();
	if (c == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "smtp: curl_easy_init failed");
		return NULL;
	}
	conn = g_new0(outbound_conn_t, 1);
	conn->curl = c;
	conn->where = g_steal_pointer(&where);
	conn->password = g_steal_pointer(&password);
	conn->reply = g_string_new(NULL);
	/* CURLOPT_MAIL_RCPT_ALLOWFAILS stays off: one refused recipient fails
	 * the send, so the queue never thinks a partial delivery complete. */
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    /* 2 is libcurl's "verify the name" (1 means the same since 7.66). */
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    (ca_file != NULL && *ca_file != '\0' &&
	     curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, SMTP_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, SMTP_TRANSFER_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, conn) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, conn->errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, smtp_debug_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_DEBUGDATA, conn) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L) != CURLE_OK ||
	    (cfg->smtp_user != NULL &&
	     (curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user) != CURLE_OK ||
	      curl_easy_setopt(c, CURLOPT_PASSWORD, conn->password) != CURLE_OK))) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "smtp: %s: libcurl refused an option (built without "
			    "TLS or SMTP?)", conn->where);
		smtp_close(conn);
		return NULL;
	}
	return conn;
}

/* What the server's reply code means for this mail. */
static const char *
smtp_refusal(smtp_cmd_t cmd, long code, pd_error_code_t *kind)
{
	gboolean perm = code >= 500;

	switch (cmd) {
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
	case SMTP_CMD_DATA:
	case SMTP_CMD_BODY:
		/* 530 5.7.0: the server wants AUTH we did not do. */
		*kind = !perm ? PD_ERROR_TEMP : code == 530 ? PD_ERROR_CONFIG : PD_ERROR_INPUT;
		return cmd == SMTP_CMD_MAIL   ? "MAIL FROM refused"
		       : cmd == SMTP_CMD_RCPT ? "RCPT TO refused"
		       : cmd == SMTP_CMD_DATA ? "DATA refused"
					      : "message refused";
	case SMTP_CMD_AUTH:
		*kind = perm ? PD_ERROR_CONFIG : PD_ERROR_TEMP;
		return "authentication failed";
	case SMTP_CMD_TLS:
		*kind = PD_ERROR_TEMP;
		return "STARTTLS refused";
	default:
		/* A refused greeting or EHLO says nothing about the mail. */
		*kind = PD_ERROR_TEMP;
		return "session refused";
	}
}

static void
smtp_set_error(outbound_conn_t *conn, CURLcode rc, GError **error)
{
	long code = 0;
	long oserr = 0;
	pd_error_code_t kind = PD_ERROR_TEMP;
	const char *what = NULL;
	const char *detail = conn->errbuf[0] != '\0' ? conn->errbuf : curl_easy_strerror(rc);
	g_autofree char *os = NULL;

	curl_easy_getinfo(conn->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(conn->curl, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		kind = PD_ERROR_CONFIG;
		what = "TLS certificate verification failed";
		break;
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
		kind = PD_ERROR_CONFIG;
		what = "authentication failed";
		break;
	case CURLE_USE_SSL_FAILED:
		kind = PD_ERROR_CONFIG;
		what = "the server offers no STARTTLS, which [smtp] tls = starttls requires";
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_NOT_BUILT_IN:
		kind = PD_ERROR_CONFIG;
		what = "bad [smtp] url";
		break;
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_READ_ERROR:
		kind = PD_ERROR_INTERNAL;
		what = "libcurl failed";
		break;
	default:
		if (code >= 400 && code < 600 && conn->reply->len > 0)
			what = smtp_refusal(conn->cmd, code, &kind);
		else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
			what = "cannot connect";
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			what = "timed out";
		else if (rc == CURLE_SSL_CONNECT_ERROR)
			what = "TLS handshake failed";
		else
			what = "sending failed";
		break;
	}
	if (code >= 400 && code < 600 && conn->reply->len > 0) {
		/* The server's own words say more than libcurl's summary. */
		g_set_error(error, PD_ERROR, kind, "smtp %s: %s: %s", conn->where,
			    what, conn->reply->str);
		return;
	}
	if (oserr != 0 && strstr(detail, g_strerror((int)oserr)) == NULL)
		os = g_strdup_printf(" (%s)", g_strerror((int)oserr));
	g_set_error(error, PD_ERROR, kind, "smtp %s: %s: %s%s", conn->where,
		    what, detail, os != NULL ? os : "");
}

static gboolean
smtp_send(outbound_conn_t *conn, const char *mail_from,
	  const char *const *rcpts, GBytes *msg, GError **error)
{
	g_autoptr(GBytes) wire = NULL;
	g_autofree char *from = NULL;
	struct curl_slist *list = NULL;
	CURLcode rc;

	if (!outbound_envelope_check(mail_from, rcpts, error))
		return FALSE;
	from = g_strdup_printf("<%s>", mail_from);
	for (const char *const *r = rcpts; *r != NULL; r++) {
		g_autofree char *addr = g_strdup_printf("<%s>", *r);
		struct curl_slist *l = curl_slist_append(list, addr);

		if (l == NULL) {
			curl_slist_free_all(list);
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
				    "smtp: out of memory");
			return FALSE;
		}
		list = l;
	}
	wire = outbound_smtp_wire_format(msg);
	conn->body = g_bytes_get_data(wire, &conn->body_len);
	conn->body_pos = 0;
	conn->errbuf[0] = '\0';
	conn->cmd = SMTP_CMD_NONE;
	conn->quit_sent = FALSE;
	g_string_truncate(conn->reply, 0);
	conn->reply_done = FALSE;
	if (curl_easy_setopt(conn->curl, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, list) != CURLE_OK ||
	    curl_easy_setopt(conn->curl, CURLOPT_INFILESIZE_LARGE,
			     (curl_off_t)conn->body_len) != CURLE_OK)
		rc = CURLE_BAD_FUNCTION_ARGUMENT;
	else
		rc = curl_easy_perform(conn->curl);
	curl_easy_setopt(conn->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(list);
	conn->body = NULL;
	conn->body_len = conn->body_pos = 0;
	if (rc == CURLE_OK)
		return TRUE;
	smtp_set_error(conn, rc, error);
	return FALSE;
}

const outbound_transport_t outbound_smtp_transport = {
	.name = "smtp",
	.open = smtp_open,
	.send = smtp_send,
	.close = smtp_close,
};
