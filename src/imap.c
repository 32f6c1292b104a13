/* SPDX-License-Identifier: MIT
 * imap.c: the IMAP client, through libetpan 1.9 (GnuTLS build). One
 * connection per account: connect, TLS, LOGIN, SELECT; fetch by UID;
 * move or flag a message once ingest has committed it; IDLE or poll. Not
 * here: UID bookkeeping, parsing, the store (ingest.c and the daemon).
 *
 * Follows RFC 3501 (IMAP4rev1), RFC 2595 and RFC 8314 (STARTTLS and
 * implicit TLS), RFC 2177 (IDLE), RFC 6851 (MOVE), RFC 4315 (UIDPLUS),
 * RFC 6125 (checking the server's name in its certificate).
 *
 * libetpan does no certificate check of its own (its GnuTLS code accepts
 * anything), so after the handshake we take the peer's chain from the
 * stream and verify it with GnuTLS ourselves, before LOGIN. */
#include "autodefs.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <libetpan/libetpan.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "error.h"
#include "log.h"
#include "util.h"
#include "imap.h"
#include "banned.h"

#define IMAP_NET_TIMEOUT 30          /* seconds for any one network read */
#define IMAP_MAX_SERVER_TEXT 200     /* bytes of a server response we quote */
#define IMAP_IDLE_MAX_MS (25 * 60 * 1000) /* RFC 2177: re-IDLE within 29 min */

/* libetpan's types, for g_autoptr(); plain structs there, so typedefs
 * here. */
typedef struct mailimap_set etpan_set_t;
typedef struct mailimap_fetch_type etpan_fetch_type_t;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(etpan_set_t, mailimap_set_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(etpan_fetch_type_t, mailimap_fetch_type_free)

struct imap_conn {
	mailimap *imap;
	char *name;       /* the account, for messages */
	char *host;
	guint16 port;
	char *mailbox;
	gboolean broken;  /* a network or protocol error: only free it */
	gboolean use_idle;
	gboolean has_idle;
	gboolean has_move;
	gboolean has_uidplus;
	guint32 uidvalidity;
	guint32 uidnext;
	gsize max_size;
	gsize batch_bytes;
	int wakeup_fd;
	imap_wake_t last_wake;
	gboolean idle_news; /* EXISTS/RECENT seen while entering IDLE */
};

static void
imap_msg_free(imap_msg_t *m)
{
	if (m == NULL)
		return;
	if (m->data != NULL)
		g_bytes_unref(m->data);
	g_free(m);
}

/* The text of the server's last tagged response, printable and short:
 * it goes into messages and logs. New string. */
static char *
imap_server_text(imap_conn_t *c)
{
	const char *text = c->imap != NULL ? c->imap->imap_response : NULL;
	GString *out;

	if (text == NULL || *text == '\0')
		return g_strdup("(no response text)");
	out = g_string_new(NULL);
	for (const char *p = text; *p != '\0' && out->len < IMAP_MAX_SERVER_TEXT; p++)
		g_string_append_c(out, g_ascii_isprint(*p) ? *p : '?');
	return g_string_free(out, FALSE);
}

/* Is R a failure of the connection (as opposed to the server saying NO
 * or BAD to one command)? */
static gboolean
imap_rc_is_stream(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_SSL:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Set ERROR for a failed command WHAT; a stream failure breaks C. */
static void
imap_fail(imap_conn_t *c, int r, const char *what, GError **error)
{
	g_autofree char *text = NULL;

	if (r == MAILIMAP_ERROR_FATAL) {
		/* An untagged BYE: the server is going away and said why. */
		c->broken = TRUE;
		text = imap_server_text(c);
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: %s: %s:%u closed the connection: %s",
			    c->name, what, c->host, c->port, text);
		return;
	}
	if (imap_rc_is_stream(r)) {
		c->broken = TRUE;
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: %s: connection to %s:%u lost or garbled "
			    "(libetpan error %d)",
			    c->name, what, c->host, c->port, r);
		return;
	}
	text = imap_server_text(c);
	g_set_error(error, PD_ERROR, PD_ERROR_TEMP, "imap %s: %s refused: %s",
		    c->name, what, text);
}

static char *
imap_read_password(const config_imap_t *acct, GError **error)
{
	char *password;

	if (acct->password_file == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "imap %s: no password_file",
			    acct->name);
		return NULL;
	}
	password = util_read_password(acct->password_file, error);
	if (password == NULL)
		g_prefix_error(error, "imap %s: password_file ", acct->name);
	return password;
}

/* Split the account's URL into C's host, port and mailbox. */
static gboolean
imap_parse_url(imap_conn_t *c, const char *url, gboolean *implicit_tls,
	       GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) local = NULL;
	const char *scheme, *host, *path;
	int port;

	uri = g_uri_parse(url != NULL ? url : "", G_URI_FLAGS_NONE, &local);
	if (uri == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "imap %s: url %s: %s",
			    c->name, url ? url : "(none)", local->message);
		return FALSE;
	}
	scheme = g_uri_get_scheme(uri);
	host = g_uri_get_host(uri);
	path = g_uri_get_path(uri);
	port = g_uri_get_port(uri);
	if (g_ascii_strcasecmp(scheme, "imaps") == 0) {
		*implicit_tls = TRUE;
	} else if (g_ascii_strcasecmp(scheme, "imap") == 0) {
		*implicit_tls = FALSE;
	} else {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "imap %s: url %s: not imap:// or imaps://", c->name, url);
		return FALSE;
	}
	if (host == NULL || *host == '\0' || port == 0 || port > 65535) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "imap %s: url %s: no host, or a bad port", c->name, url);
		return FALSE;
	}
	c->host = g_strdup(host);
	c->port = (guint16)(port > 0 ? port : *implicit_tls ? 993 : 143);
	/* NEEDSWORK: mailbox names go to the server as given; a name with
	 * non-ASCII characters needs modified UTF-7 (RFC 3501 section
	 * 5.1.3), which we do not encode yet. Folder names too. */
	while (path != NULL && *path == '/')
		path++;
	c->mailbox = g_strdup(path != NULL && *path != '\0' ? path : "INBOX");
	return TRUE;
}

/* Called by libetpan before the handshake: send the host name (SNI)
 * unless it is an address literal (RFC 6066 section 3). */
static void
imap_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	imap_conn_t *c = data;

	if (!g_hostname_is_ip_address(c->host))
		mailstream_ssl_set_server_name(ctx, c->host);
}

/* Verify the server's certificate chain and that it names C->host. */
static gboolean
imap_check_certificate(imap_conn_t *c, GError **error)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *certs = NULL;
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER,
	};
	const char *ca_file = g_getenv("POSTDESK_CA_FILE");
	unsigned char *leaf = NULL;
	carray *chain = NULL;
	unsigned int n = 0, status = 0;
	gboolean ok = FALSE;
	ssize_t leaf_len;
	int r;

	/* mailstream_get_certificate_chain() reads an uninitialised pointer
	 * when the peer sent no certificate; this one checks first. */
	leaf_len = mailstream_ssl_get_certificate(c->imap->imap_stream, &leaf);
	free(leaf);
	if (leaf_len <= 0 ||
	    (chain = mailstream_get_certificate_chain(c->imap->imap_stream)) == NULL ||
	    carray_count(chain) == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "imap %s: certificate of %s not trusted: the server "
			    "sent none", c->name, c->host);
		goto out;
	}
	n = carray_count(chain);
	certs = g_new0(gnutls_x509_crt_t, n);
	for (unsigned int i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str, (unsigned int)der->len };

		if (gnutls_x509_crt_init(&certs[i]) < 0 ||
		    gnutls_x509_crt_import(certs[i], &d, GNUTLS_X509_FMT_DER) < 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "imap %s: certificate of %s not trusted: "
				    "certificate %u of its chain does not parse",
				    c->name, c->host, i);
			goto out;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "imap %s: GnuTLS trust list", c->name);
		goto out;
	}
	r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r < 0)
		log_warn("imap %s: system trust store: %s", c->name, gnutls_strerror(r));
	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
							  GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "imap %s: POSTDESK_CA_FILE %s: no certificates "
				    "(%s)", c->name, ca_file,
				    r < 0 ? gnutls_strerror(r) : "empty");
			goto out;
		}
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &purpose, 1, 0,
					       &status, NULL);
	if (r < 0 || status != 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (r >= 0 && gnutls_certificate_verification_status_print(
				      status, GNUTLS_CRT_X509, &why, 0) >= 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "imap %s: certificate of %s not trusted: %s",
				    c->name, c->host, g_strstrip((char *)why.data));
			gnutls_free(why.data);
		} else {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "imap %s: certificate of %s not trusted: %s",
				    c->name, c->host,
				    r < 0 ? gnutls_strerror(r) : "verification failed");
		}
		goto out;
	}
	/* An address literal is matched against iPAddress entries. */
	if (!gnutls_x509_crt_check_hostname2(certs[0], c->host, 0)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "imap %s: certificate of %s not trusted: it is issued "
			    "for another name", c->name, c->host);
		goto out;
	}
	ok = TRUE;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (unsigned int i = 0; certs != NULL && i < n; i++)
		if (certs[i] != NULL)
			gnutls_x509_crt_deinit(certs[i]);
	g_free(certs);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return ok;
}

/* After LOGIN, ask for the capabilities: those from before STARTTLS must
 * not be trusted (RFC 3501 section 6.2.1), and some servers only list
 * MOVE or IDLE once the user is known. */
static gboolean
imap_read_capabilities(imap_conn_t *c, GError **error)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_capability(c->imap, &caps);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(c, r, "CAPABILITY", error);
		return FALSE;
	}
	mailimap_capability_data_free(caps);
	c->has_idle = mailimap_has_idle(c->imap) != 0;
	c->has_move = mailimap_has_extension(c->imap, "MOVE") != 0;
	c->has_uidplus = mailimap_has_uidplus(c->imap) != 0;
	return TRUE;
}

static void
imap_ignore_sigpipe(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		struct sigaction old;

		if (sigaction(SIGPIPE, NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
			signal(SIGPIPE, SIG_IGN);
		g_once_init_leave(&once, 1);
	}
}

static gboolean
imap_login_and_select(imap_conn_t *c, const config_imap_t *acct,
		      gboolean preauth, GError **error)
{
	struct mailimap_selection_info *sel;
	char *password = NULL;
	int r;

	if (!preauth) {
		password = imap_read_password(acct, error);
		if (password == NULL)
			return FALSE;
		r = mailimap_login(c->imap, acct->user, password);
		explicit_bzero(password, strlen(password));
		g_free(password);
		if (r != MAILIMAP_NO_ERROR) {
			g_autofree char *text = NULL;

			if (imap_rc_is_stream(r)) {
				imap_fail(c, r, "LOGIN", error);
				return FALSE;
			}
			text = imap_server_text(c);
			/* RFC 5530: the server is down for now, not our
			 * password. */
			g_set_error(error, PD_ERROR,
				    strstr(text, "[UNAVAILABLE]") != NULL
					    ? PD_ERROR_TEMP : PD_ERROR_CONFIG,
				    "imap %s: login refused for %s: %s", c->name,
				    acct->user, text);
			return FALSE;
		}
	}
	if (!imap_read_capabilities(c, error))
		return FALSE;
	r = mailimap_select(c->imap, c->mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *text = NULL;

		if (imap_rc_is_stream(r)) {
			imap_fail(c, r, "SELECT", error);
			return FALSE;
		}
		text = imap_server_text(c);
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "imap %s: mailbox %s: %s", c->name, c->mailbox, text);
		return FALSE;
	}
	sel = c->imap->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0) {
		/* RFC 3501 requires UIDVALIDITY; without it UIDs mean nothing. */
		c->broken = TRUE;
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: mailbox %s: the server sent no UIDVALIDITY",
			    c->name, c->mailbox);
		return FALSE;
	}
	c->uidvalidity = sel->sel_uidvalidity;
	sel->sel_has_exists = 0; /* see imap_wait */
	c->uidnext = sel->sel_uidnext;
	return TRUE;
}

imap_conn_t *
imap_connect(const config_imap_t *acct, GError **error)
{
	g_autoptr(imap_conn_t) c = g_new0(imap_conn_t, 1);
	gboolean implicit_tls = FALSE;
	gboolean verify = g_strcmp0(acct->tls, "none") != 0;
	gboolean tls, preauth;
	int r;

	c->name = g_strdup(acct->name);
	c->use_idle = acct->idle;
	c->max_size = IMAP_DEFAULT_MAX_SIZE;
	c->batch_bytes = IMAP_DEFAULT_BATCH_BYTES;
	c->wakeup_fd = -1;
	if (!imap_parse_url(c, acct->url, &implicit_tls, error))
		return NULL;
	if (acct->user == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "imap %s: no user",
			    c->name);
		return NULL;
	}
	imap_ignore_sigpipe();
	c->imap = mailimap_new(0, NULL);
	if (c->imap == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "imap %s: out of memory", c->name);
		return NULL;
	}
	mailimap_set_timeout(c->imap, IMAP_NET_TIMEOUT);
	/* From here on, a failure leaves the session half open: imap_close()
	 * must not try LOGOUT on it. */
	c->broken = TRUE;
	log_debug("imap", "%s: connecting to %s:%u%s", c->name, c->host, c->port,
		  implicit_tls ? " (TLS)" : "");
	if (implicit_tls)
		r = mailimap_ssl_connect_with_callback(c->imap, c->host, c->port,
						       imap_tls_setup, c);
	else
		r = mailimap_socket_connect(c->imap, c->host, c->port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: cannot connect to %s:%u%s (libetpan error %d)",
			    c->name, c->host, c->port,
			    implicit_tls ? " with TLS" : "", r);
		return NULL;
	}
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	tls = implicit_tls;
	if (!implicit_tls && verify) {
		/* A PREAUTH greeting leaves no room for STARTTLS: that is
		 * the downgrade RFC 2595 warns about. */
		if (preauth) {
			g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
				    "imap %s: %s:%u pre-authenticates in plain "
				    "text; STARTTLS is required", c->name,
				    c->host, c->port);
			return NULL;
		}
		r = mailimap_socket_starttls_with_callback(c->imap,
							   imap_tls_setup, c);
		if (r != MAILIMAP_NO_ERROR) {
			g_autofree char *text = imap_server_text(c);

			g_set_error(error,
				    PD_ERROR, imap_rc_is_stream(r) ? PD_ERROR_TEMP
								  : PD_ERROR_CONFIG,
				    "imap %s: STARTTLS with %s:%u failed "
				    "(libetpan error %d): %s", c->name, c->host,
				    c->port, r, text);
			return NULL;
		}
		tls = TRUE;
	}
	if (tls && verify && !imap_check_certificate(c, error))
		return NULL;
	if (!imap_login_and_select(c, acct, preauth, error))
		return NULL;
	c->broken = FALSE;
	log_debug("imap", "%s: %s selected, uidvalidity %u uidnext %u%s%s%s",
		  c->name, c->mailbox, c->uidvalidity, c->uidnext,
		  c->has_idle ? " IDLE" : "", c->has_move ? " MOVE" : "",
		  c->has_uidplus ? " UIDPLUS" : "");
	return g_steal_pointer(&c);
}

void
imap_close(imap_conn_t *c)
{
	if (c == NULL)
		return;
	if (c->imap != NULL) {
		/* mailimap_free() sends LOGOUT on an open stream, which on a
		 * broken one fails or waits for the network timeout. */
		if (c->broken && c->imap->imap_stream != NULL) {
			mailstream_close(c->imap->imap_stream);
			c->imap->imap_stream = NULL;
		}
		mailimap_free(c->imap);
	}
	g_free(c->name);
	g_free(c->host);
	g_free(c->mailbox);
	g_free(c);
}

guint32
imap_uidvalidity(imap_conn_t *c)
{
	return c->uidvalidity;
}

guint32
imap_uidnext(imap_conn_t *c)
{
	return c->uidnext;
}

gboolean
imap_has_idle(imap_conn_t *c)
{
	return c->has_idle;
}

void
imap_set_max_size(imap_conn_t *c, gsize max)
{
	c->max_size = max;
}

void
imap_set_batch_bytes(imap_conn_t *c, gsize bytes)
{
	c->batch_bytes = bytes;
}

void
imap_set_wakeup_fd(imap_conn_t *c, int fd)
{
	c->wakeup_fd = fd;
}

imap_wake_t
imap_last_wake(imap_conn_t *c)
{
	return c->last_wake;
}

/* The UID, RFC822.SIZE and BODY[] of one FETCH response; 0 and NULL for
 * what it lacks. */
static void
imap_msg_att_read(struct mailimap_msg_att *att, guint32 *uid, guint32 *size,
		  struct mailimap_msg_att_body_section **body)
{
	*uid = 0;
	*size = 0;
	*body = NULL;
	for (clistiter *it = clist_begin(att->att_list); it != NULL;
	     it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			*body = st->att_data.att_body_section;
			break;
		default:
			break;
		}
	}
}

static gint
imap_msg_cmp(gconstpointer a, gconstpointer b)
{
	const imap_msg_t *x = *(imap_msg_t *const *)a;
	const imap_msg_t *y = *(imap_msg_t *const *)b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* UID FETCH SET (ATTS...); the response list, or NULL with ERROR. */
static clist *
imap_uid_fetch(imap_conn_t *c, struct mailimap_set *set, gboolean body,
	       GError **error)
{
	g_autoptr(etpan_fetch_type_t) ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *list = NULL;
	int r;

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (body)
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_body_peek_section(
				    mailimap_section_new(NULL)));
	else
		mailimap_fetch_type_new_fetch_att_list_add(
			ft, mailimap_fetch_att_new_rfc822_size());
	r = mailimap_uid_fetch(c->imap, set, ft, &list);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(c, r, "UID FETCH", error);
		return NULL;
	}
	return list;
}

GPtrArray *
imap_fetch_since(imap_conn_t *c, guint32 from, guint max, GError **error)
{
	g_autoptr(GPtrArray) msgs =
		g_ptr_array_new_with_free_func((GDestroyNotify)imap_msg_free);
	g_autoptr(GHashTable) by_uid = g_hash_table_new(NULL, NULL);
	g_autoptr(etpan_set_t) set = NULL;
	clist *list;
	gboolean any_body = FALSE;
	gsize bytes = 0;

	if (c->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: connection is broken", c->name);
		return NULL;
	}
	if (from == 0)
		from = 1;
	/* "UID FETCH N:*" on an empty mailbox is an error on some servers. */
	if (max == 0 || (c->imap->imap_selection_info != NULL &&
			 c->imap->imap_selection_info->sel_exists == 0))
		return g_steal_pointer(&msgs);

	/* First the UIDs and sizes only, so a backlog comes in batches of MAX
	 * and an oversized message is never downloaded. */
	set = mailimap_set_new_interval(from, 0);
	list = imap_uid_fetch(c, set, FALSE, error);
	if (list == NULL)
		return NULL;
	for (clistiter *it = clist_begin(list); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att_body_section *body;
		guint32 uid, size;
		imap_msg_t *m;

		imap_msg_att_read(clist_content(it), &uid, &size, &body);
		/* "N:*" includes the last message even when its UID is below
		 * N (RFC 3501 section 6.4.8); unsolicited FETCH responses
		 * carry no UID. */
		if (uid < from || g_hash_table_contains(by_uid, GUINT_TO_POINTER(uid)))
			continue;
		m = g_new0(imap_msg_t, 1);
		m->uid = uid;
		m->size = size;
		g_ptr_array_add(msgs, m);
		g_hash_table_add(by_uid, GUINT_TO_POINTER(uid));
	}
	mailimap_fetch_list_free(list);
	g_ptr_array_sort(msgs, imap_msg_cmp);
	if (msgs->len > max)
		g_ptr_array_set_size(msgs, max);
	/* Bodies are held until the batch is taken: bound them by bytes too
	 * (a message over max_size is not downloaded and weighs nothing). */
	for (guint i = 0; i < msgs->len; i++) {
		gsize size = ((imap_msg_t *)msgs->pdata[i])->size;

		if (size > c->max_size)
			continue;
		if (i > 0 && size > c->batch_bytes - MIN(bytes, c->batch_bytes)) {
			g_ptr_array_set_size(msgs, i);
			break;
		}
		bytes += size;
	}
	for (guint i = 0; i < msgs->len; i++) {
		imap_msg_t *m = msgs->pdata[i];

		if (m->uid >= c->uidnext)
			c->uidnext = m->uid == G_MAXUINT32 ? m->uid : m->uid + 1;
	}

	/* Then the bodies of those under the cap, as runs of UIDs. */
	g_clear_pointer(&set, mailimap_set_free);
	set = mailimap_set_new_empty();
	for (guint i = 0; i < msgs->len;) {
		imap_msg_t *m = msgs->pdata[i];
		guint j = i;

		if (m->size > c->max_size) {
			log_warn("imap %s: UID %u is %zu bytes, over the cap of "
				 "%zu: not downloaded", c->name, m->uid,
				 m->size, c->max_size);
			i++;
			continue;
		}
		while (j + 1 < msgs->len &&
		       ((imap_msg_t *)msgs->pdata[j + 1])->size <= c->max_size &&
		       ((imap_msg_t *)msgs->pdata[j + 1])->uid ==
			       ((imap_msg_t *)msgs->pdata[j])->uid + 1)
			j++;
		mailimap_set_add_interval(set, m->uid,
					  ((imap_msg_t *)msgs->pdata[j])->uid);
		any_body = TRUE;
		i = j + 1;
	}
	if (any_body) {
		list = imap_uid_fetch(c, set, TRUE, error);
		if (list == NULL)
			return NULL;
		g_hash_table_remove_all(by_uid);
		for (guint i = 0; i < msgs->len; i++) {
			imap_msg_t *m = msgs->pdata[i];

			g_hash_table_insert(by_uid, GUINT_TO_POINTER(m->uid), m);
		}
		for (clistiter *it = clist_begin(list); it != NULL;
		     it = clist_next(it)) {
			struct mailimap_msg_att_body_section *body;
			guint32 uid, size;
			imap_msg_t *m;

			imap_msg_att_read(clist_content(it), &uid, &size, &body);
			m = g_hash_table_lookup(by_uid, GUINT_TO_POINTER(uid));
			if (m == NULL || body == NULL || m->data != NULL ||
			    m->size > c->max_size)
				continue;
			m->data = g_bytes_new(body->sec_body_part != NULL
						      ? body->sec_body_part : "",
					      body->sec_body_part != NULL
						      ? body->sec_length : 0);
			m->size = g_bytes_get_size(m->data);
		}
		mailimap_fetch_list_free(list);
	}
	/* A message expunged between the two fetches has no body: drop it.
	 * Over-cap ones stay, with DATA NULL. */
	for (guint i = msgs->len; i-- > 0;) {
		imap_msg_t *m = msgs->pdata[i];

		if (m->data == NULL && m->size <= c->max_size)
			g_ptr_array_remove_index(msgs, i);
	}
	log_debug("imap", "%s: %u messages from UID %u", c->name, msgs->len, from);
	return g_steal_pointer(&msgs);
}

/* UID STORE UID +FLAGS.SILENT (FLAG). */
static int
imap_add_flag(imap_conn_t *c, struct mailimap_set *set, struct mailimap_flag *flag)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(c->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	return r;
}

/* Move the message once. *WHAT names the command that failed. */
static int
imap_move_once(imap_conn_t *c, struct mailimap_set *set, const char *folder,
	       const char **what)
{
	int r;

	if (c->has_move) {
		*what = "UID MOVE";
		return mailimap_uid_move(c->imap, set, folder);
	}
	*what = "UID COPY";
	r = mailimap_uid_copy(c->imap, set, folder);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	*what = "UID STORE +FLAGS (\\Deleted)";
	r = imap_add_flag(c, set, mailimap_flag_new_deleted());
	if (r != MAILIMAP_NO_ERROR)
		return r;
	if (c->has_uidplus) {
		*what = "UID EXPUNGE";
		return mailimap_uid_expunge(c->imap, set);
	}
	/* NEEDSWORK: without UIDPLUS, EXPUNGE also removes messages someone
	 * else marked \Deleted in this mailbox. Every server we know has
	 * UIDPLUS or MOVE. */
	*what = "EXPUNGE";
	return mailimap_expunge(c->imap);
}

gboolean
imap_done_many(imap_conn_t *c, const guint32 *uids, guint n, const char *folder,
	       GError **error)
{
	g_autoptr(etpan_set_t) set = NULL;
	g_autofree char *first_text = NULL;
	const char *what = NULL;
	int r;

	if (c->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: connection is broken", c->name);
		return FALSE;
	}
	if (n == 0)
		return TRUE;
	/* One command for the whole set: a backlog is moved in batches, not
	 * one round trip per message. */
	set = mailimap_set_new_empty();
	for (guint i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	if (folder == NULL) {
		r = imap_add_flag(c, set, mailimap_flag_new_seen());
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(c, r, "UID STORE +FLAGS (\\Seen)", error);
			g_prefix_error(error, "UID %u (and %u more): ", uids[0], n - 1);
			return FALSE;
		}
		log_debug("imap", "%s: %u message(s) from UID %u flagged \\Seen", c->name, n, uids[0]);
		return TRUE;
	}
	r = imap_move_once(c, set, folder, &what);
	if (r != MAILIMAP_NO_ERROR && !imap_rc_is_stream(r) &&
	    (strcmp(what, "UID MOVE") == 0 || strcmp(what, "UID COPY") == 0)) {
		/* Refused: most likely [TRYCREATE], the folder does not exist
		 * (servers do not all send the code). Create it and try once
		 * more; if CREATE fails too, the first answer is the one to
		 * report. */
		first_text = imap_server_text(c);
		r = mailimap_create(c->imap, folder);
		if (r == MAILIMAP_NO_ERROR) {
			log_info("imap %s: created folder %s", c->name, folder);
			r = imap_move_once(c, set, folder, &what);
		} else if (!imap_rc_is_stream(r)) {
			g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
				    "imap %s: UID %u: %s %s refused: %s", c->name,
				    uids[0], what, folder, first_text);
			return FALSE;
		} else {
			what = "CREATE";
		}
	}
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(c, r, what, error);
		g_prefix_error(error, "UID %u (and %u more) to %s: ", uids[0], n - 1, folder);
		return FALSE;
	}
	log_debug("imap", "%s: %u message(s) from UID %u moved to %s", c->name, n, uids[0], folder);
	return TRUE;
}

gboolean
imap_done(imap_conn_t *c, guint32 uid, const char *folder, GError **error)
{
	return imap_done_many(c, &uid, 1, folder, error);
}

/* Poll the wakeup fd and, when IMAP_FD >= 0, the connection, for up to
 * TIMEOUT_MS. Sets C->last_wake; FALSE on a poll failure. */
static gboolean
imap_poll(imap_conn_t *c, int imap_fd, int timeout_ms)
{
	struct pollfd pfd[2];
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	nfds_t n = 0;
	int wake = -1, net = -1;

	if (c->wakeup_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = c->wakeup_fd, .events = POLLIN };
		wake = (int)n++;
	}
	if (imap_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = imap_fd, .events = POLLIN };
		net = (int)n++;
	}
	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		int r;

		if (left <= 0) {
			c->last_wake = IMAP_WAKE_TIMEOUT;
			return TRUE;
		}
		r = poll(pfd, n, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return FALSE;
		if (r == 0) {
			c->last_wake = IMAP_WAKE_TIMEOUT;
			return TRUE;
		}
		if (net >= 0 && pfd[net].revents != 0) {
			c->last_wake = IMAP_WAKE_NEWS;
			return TRUE;
		}
		if (wake >= 0 && pfd[wake].revents != 0) {
			c->last_wake = IMAP_WAKE_FD;
			return TRUE;
		}
	}
}

/* libetpan's mailimap_idle parses and drops untagged responses that come
 * before "+ idling": mail appended between our last FETCH and IDLE would
 * wait for the next wake-up. The stream's logger sees those bytes. */
static void
imap_idle_logger(mailstream *s, int type, const char *str, size_t size, void *data)
{
	imap_conn_t *c = data;

	(void)s;
	if (type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED && str != NULL &&
	    (g_strstr_len(str, (gssize)size, "EXISTS") != NULL ||
	     g_strstr_len(str, (gssize)size, "RECENT") != NULL))
		c->idle_news = TRUE;
}

gboolean
imap_wait(imap_conn_t *c, int timeout_ms, GError **error)
{
	int r;

	if (c->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMP,
			    "imap %s: connection is broken", c->name);
		return FALSE;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (timeout_ms > IMAP_IDLE_MAX_MS)
		timeout_ms = IMAP_IDLE_MAX_MS;
	if (!(c->use_idle && c->has_idle)) {
		guint32 exists = c->imap->imap_selection_info != NULL
					 ? c->imap->imap_selection_info->sel_exists : 0;

		if (!imap_poll(c, -1, timeout_ms)) {
			g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
				    "imap %s: poll: %s", c->name, g_strerror(errno));
			return FALSE;
		}
		/* NOOP: proves the connection and collects EXISTS. */
		r = mailimap_noop(c->imap);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(c, r, "NOOP", error);
			return FALSE;
		}
		if (c->last_wake == IMAP_WAKE_TIMEOUT &&
		    c->imap->imap_selection_info != NULL &&
		    c->imap->imap_selection_info->sel_exists != exists)
			c->last_wake = IMAP_WAKE_NEWS;
		return TRUE;
	}

	/* An EXISTS that came with the answer to a FETCH or a MOVE may be
	 * for mail that arrived after that FETCH looked: look again before
	 * idling (at worst a FETCH that finds nothing). Not by the count:
	 * libetpan counts no EXPUNGE, so after a MOVE it can look the same.
	 * sel_has_exists says an EXISTS came since the last wait. */
	if (c->imap->imap_selection_info != NULL &&
	    c->imap->imap_selection_info->sel_has_exists) {
		c->imap->imap_selection_info->sel_has_exists = 0;
		c->last_wake = IMAP_WAKE_NEWS;
		return TRUE;
	}
	c->idle_news = FALSE;
	mailstream_set_logger(c->imap->imap_stream, imap_idle_logger, c);
	r = mailimap_idle(c->imap);
	mailstream_set_logger(c->imap->imap_stream, NULL, NULL);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(c, r, "IDLE", error);
		return FALSE;
	}
	/* News that arrived with the continuation ("+ idling\r\n* 3 EXISTS")
	 * already sits in libetpan's buffer, and the socket stays quiet. */
	if (c->idle_news || c->imap->imap_stream->read_buffer_len > 0) {
		c->last_wake = IMAP_WAKE_NEWS;
	} else if (!imap_poll(c, mailimap_idle_get_fd(c->imap), timeout_ms)) {
		int saved = errno;

		c->broken = TRUE;
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "imap %s: poll: %s", c->name, g_strerror(saved));
		return FALSE;
	}
	/* DONE reads the untagged responses (EXISTS, EXPUNGE) and the tagged
	 * OK; a server that hung up fails here. */
	r = mailimap_idle_done(c->imap);
	if (r != MAILIMAP_NO_ERROR) {
		if (r == MAILIMAP_ERROR_EXTENSION)
			r = MAILIMAP_ERROR_PROTOCOL; /* a NO to DONE: give up on it */
		imap_fail(c, r, "IDLE", error);
		return FALSE;
	}
	/* The FETCH that follows every wake-up sees what these announced. */
	if (c->imap->imap_selection_info != NULL)
		c->imap->imap_selection_info->sel_has_exists = 0;
	log_debug("imap", "%s: woke up (%s)", c->name,
		  c->last_wake == IMAP_WAKE_NEWS ? "news"
		  : c->last_wake == IMAP_WAKE_FD ? "wakeup fd" : "timeout");
	return TRUE;
}
