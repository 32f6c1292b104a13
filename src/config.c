/* SPDX-License-Identifier: MIT
 * config.c: load and validate postdesk.conf.
 *
 * One table (KEYS) says, for every key of every section, its type, its
 * default and where it lands in the typed structs; loading and validation
 * both walk it, so a key is added in one place. GKeyFile forgets where keys
 * were and quotes bad lines without their number, so the file is scanned
 * once first to map [section]/key to lines and to catch syntax errors
 * with their line. The scan also drops comments that follow a value after
 * whitespace ("tag = Support   # subject tag"), which GKeyFile would keep
 * as part of the value. */
#include "autodefs.h"
#include <gio/gio.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "config.h"
#include "sla.h"
#include "thread.h"
#include "error.h"
#include "util.h"
#include "webhook.h"
#include "banned.h"

typedef enum {
	K_STRING,
	K_PATH,      /* resolved against the config file's directory */
	K_ADDRESS,   /* one mail address, normalised */
	K_ADDRESSES, /* list of addresses, normalised */
	K_LIST,      /* list of words */
	K_ENUM,      /* one of ENUMS ("a|b|c") */
	K_BOOL,
	K_INT,       /* gint64 in [MIN, MAX] */
	K_SIZE,      /* guint64 bytes */
	K_DURATION,  /* gint64 seconds */
	K_TIMEZONE,  /* IANA name */
	K_HOURS,     /* "Mon-Fri 09:00-17:00[, Sat 10:00-12:00]" */
	K_URL,       /* scheme://... */
	K_CLOCK,     /* "HH:MM", a local time of day: gint64 minutes after 00:00 */
} key_type_t;

typedef enum {
	S_GATEWAY, S_SMTP, S_LIMITS, S_LMTP, S_GROUP, S_MEMBER, S_IMAP, S_PLAN, S_ORG, S_WEBHOOK
} section_t;

typedef struct {
	section_t section;
	const char *key;
	key_type_t type;
	gboolean required;
	const char *def;     /* default in config syntax, NULL for none */
	gsize offset;        /* into config_t or the section's struct */
	gint64 min, max;     /* K_INT */
	const char *enums;   /* K_ENUM, K_URL schemes */
} key_spec_t;

#define G(f) offsetof(config_t, f)
#define GR(f) offsetof(config_group_t, f)
#define ME(f) offsetof(config_member_t, f)
#define IM(f) offsetof(config_imap_t, f)
#define PL(f) offsetof(config_plan_t, f)
#define OR(f) offsetof(config_org_t, f)
#define WH(f) offsetof(config_webhook_t, f)

static const key_spec_t KEYS[] = {
	{ S_GATEWAY, "database", K_PATH, FALSE, "var/postdesk.db", G(database), 0, 0, NULL },
	{ S_GATEWAY, "spool", K_PATH, FALSE, "var", G(spool), 0, 0, NULL },
	{ S_GATEWAY, "support_address", K_ADDRESS, TRUE, NULL, G(support_address), 0, 0, NULL },
	{ S_GATEWAY, "tag", K_STRING, FALSE, "Support", G(tag), 0, 0, NULL },
	{ S_GATEWAY, "name", K_STRING, FALSE, "Support", G(name), 0, 0, NULL },
	{ S_GATEWAY, "secret_file", K_PATH, FALSE, "secret", G(secret_file), 0, 0, NULL },
	{ S_GATEWAY, "language", K_STRING, FALSE, "en", G(language), 0, 0, NULL },
	{ S_GATEWAY, "filters", K_PATH, FALSE, NULL, G(filters), 0, 0, NULL },
	{ S_GATEWAY, "templates", K_PATH, FALSE, NULL, G(templates), 0, 0, NULL },
	{ S_GATEWAY, "log", K_ENUM, FALSE, "stderr", G(log), 0, 0, "stderr|syslog" },
	{ S_GATEWAY, "trusted_authserv_id", K_STRING, FALSE, NULL, G(trusted_authserv_id), 0, 0, NULL },
	{ S_GATEWAY, "default_group", K_STRING, FALSE, NULL, G(default_group), 0, 0, NULL },
	{ S_GATEWAY, "default_plan", K_STRING, FALSE, NULL, G(default_plan), 0, 0, NULL },
	{ S_GATEWAY, "moderators", K_ADDRESSES, FALSE, NULL, G(moderators), 0, 0, NULL },
	{ S_GATEWAY, "reopen_window", K_DURATION, FALSE, "30d", G(reopen_window), 0, 0, NULL },
	{ S_GATEWAY, "retry_max_age", K_DURATION, FALSE, "5d", G(retry_max_age), 0, 0, NULL },
	{ S_GATEWAY, "digest_time", K_CLOCK, FALSE, "08:00", G(digest_time), 0, 0, NULL },

	{ S_SMTP, "url", K_URL, TRUE, NULL, G(smtp_url), 0, 0, "smtp|smtps" },
	{ S_SMTP, "tls", K_ENUM, FALSE, "starttls", G(smtp_tls), 0, 0, "starttls|tls|none" },
	{ S_SMTP, "user", K_STRING, FALSE, NULL, G(smtp_user), 0, 0, NULL },
	{ S_SMTP, "password_file", K_PATH, FALSE, NULL, G(smtp_password_file), 0, 0, NULL },
	{ S_SMTP, "max_per_connection", K_INT, FALSE, "100", G(smtp_max_per_connection), 1, 100000, NULL },

	{ S_LMTP, "listen", K_STRING, TRUE, NULL, G(lmtp_listen), 0, 0, NULL },

	{ S_LIMITS, "max_message_size", K_SIZE, FALSE, "50M", G(max_message_size), 0, 0, NULL },
	{ S_LIMITS, "max_quarantine_size", K_SIZE, FALSE, "200M", G(max_quarantine_size), 0, 0, NULL },
	{ S_LIMITS, "max_attachment_size", K_SIZE, FALSE, "25M", G(max_attachment_size), 0, 0, NULL },
	{ S_LIMITS, "max_mime_depth", K_INT, FALSE, "32", G(max_mime_depth), 1, 1000, NULL },
	{ S_LIMITS, "max_parts", K_INT, FALSE, "1000", G(max_parts), 1, 100000, NULL },
	{ S_LIMITS, "max_headers", K_INT, FALSE, "1000", G(max_headers), 10, 100000, NULL },
	{ S_LIMITS, "max_header_length", K_SIZE, FALSE, "64k", G(max_header_length), 0, 0, NULL },
	{ S_LIMITS, "max_text_size", K_SIZE, FALSE, "4M", G(max_text_size), 0, 0, NULL },
	{ S_LIMITS, "auto_replies_per_hour", K_INT, FALSE, "5", G(auto_replies_per_hour), 0, 10000, NULL },
	{ S_LIMITS, "new_tickets_per_sender_per_hour", K_INT, FALSE, "10", G(new_tickets_per_sender), 0, 100000, NULL },
	{ S_LIMITS, "new_tickets_per_domain_per_hour", K_INT, FALSE, "100", G(new_tickets_per_domain), 0, 1000000, NULL },
	{ S_LIMITS, "regex_match_limit", K_INT, FALSE, "1000000", G(regex_match_limit), 1000, 1000000000, NULL },
	{ S_LIMITS, "regex_depth_limit", K_INT, FALSE, "10000", G(regex_depth_limit), 100, 10000000, NULL },
	{ S_LIMITS, "max_template_output", K_SIZE, FALSE, "1M", G(max_template_output), 0, 0, NULL },
	{ S_LIMITS, "fallback_charsets", K_LIST, FALSE, "windows-1252;iso-8859-1", G(fallback_charsets), 0, 0, NULL },

	{ S_GROUP, "name", K_STRING, FALSE, NULL, GR(display_name), 0, 0, NULL },
	{ S_GROUP, "addresses", K_ADDRESSES, FALSE, NULL, GR(addresses), 0, 0, NULL },
	{ S_GROUP, "list_ids", K_LIST, FALSE, NULL, GR(list_ids), 0, 0, NULL },
	{ S_GROUP, "assign", K_ENUM, FALSE, "round-robin", GR(assign), 0, 0, "round-robin|least-loaded|manual" },
	{ S_GROUP, "tier", K_INT, FALSE, "1", GR(tier), 1, 4, NULL },
	{ S_GROUP, "offer_timeout", K_DURATION, FALSE, "4h", GR(offer_timeout), 0, 0, NULL },
	{ S_GROUP, "timezone", K_TIMEZONE, FALSE, "UTC", GR(timezone), 0, 0, NULL },
	{ S_GROUP, "hours", K_HOURS, FALSE, "Mon-Fri 09:00-17:00", GR(hours), 0, 0, NULL },
	{ S_GROUP, "first_response", K_STRING, FALSE, "24h", GR(first_response_text), 0, 0, NULL },
	{ S_GROUP, "next_response", K_STRING, FALSE, NULL, GR(next_response_text), 0, 0, NULL },
	{ S_GROUP, "resolution", K_STRING, FALSE, NULL, GR(resolution_text), 0, 0, NULL },
	{ S_GROUP, "holidays", K_PATH, FALSE, NULL, GR(holidays), 0, 0, NULL },
	{ S_GROUP, "warn_at", K_INT, FALSE, "75", GR(warn_at), 0, 100, NULL },
	{ S_GROUP, "on_breach", K_ENUM, FALSE, "escalate", GR(on_breach), 0, 0, "escalate|reassign|none" },
	{ S_GROUP, "wait_reminder", K_DURATION, FALSE, "0", GR(wait_reminder), 0, 0, NULL },
	{ S_GROUP, "wait_resolve", K_DURATION, FALSE, "0", GR(wait_resolve), 0, 0, NULL },
	{ S_GROUP, "close_after", K_DURATION, FALSE, "0", GR(close_after), 0, 0, NULL },
	{ S_GROUP, "language", K_STRING, FALSE, NULL, GR(language), 0, 0, NULL },
	{ S_GROUP, "ack", K_BOOL, FALSE, "true", GR(ack), 0, 0, NULL },
	{ S_GROUP, "ack_lists", K_BOOL, FALSE, "false", GR(ack_lists), 0, 0, NULL },
	{ S_GROUP, "ack_forwarded", K_BOOL, FALSE, "true", GR(ack_forwarded), 0, 0, NULL },
	{ S_GROUP, "copy_cc", K_BOOL, FALSE, "true", GR(copy_cc), 0, 0, NULL },
	{ S_GROUP, "digest", K_ENUM, FALSE, "off", GR(digest), 0, 0, "daily|weekly|off" },

	{ S_MEMBER, "name", K_STRING, FALSE, NULL, ME(name), 0, 0, NULL },
	{ S_MEMBER, "groups", K_LIST, FALSE, NULL, ME(groups), 0, 0, NULL },
	{ S_MEMBER, "aliases", K_ADDRESSES, FALSE, NULL, ME(aliases), 0, 0, NULL },
	{ S_MEMBER, "tier", K_INT, FALSE, "1", ME(tier), 1, 4, NULL },
	{ S_MEMBER, "capacity", K_INT, FALSE, "20", ME(capacity), 0, 100000, NULL },
	{ S_MEMBER, "moderator", K_BOOL, FALSE, "false", ME(moderator), 0, 0, NULL },
	{ S_MEMBER, "away", K_BOOL, FALSE, "false", ME(away), 0, 0, NULL },
	{ S_MEMBER, "kind", K_ENUM, FALSE, "core", ME(kind), 0, 0, "core|partner|freelancer" },
	{ S_MEMBER, "timezone", K_TIMEZONE, FALSE, NULL, ME(timezone), 0, 0, NULL },
	{ S_MEMBER, "digest", K_ENUM, FALSE, "daily", ME(digest), 0, 0, "daily|weekly|off" },

	{ S_IMAP, "url", K_URL, TRUE, NULL, IM(url), 0, 0, "imap|imaps" },
	{ S_IMAP, "user", K_STRING, TRUE, NULL, IM(user), 0, 0, NULL },
	{ S_IMAP, "password_file", K_PATH, TRUE, NULL, IM(password_file), 0, 0, NULL },
	{ S_IMAP, "group", K_STRING, FALSE, NULL, IM(group), 0, 0, NULL },
	{ S_IMAP, "processed", K_STRING, FALSE, NULL, IM(processed), 0, 0, NULL },
	{ S_IMAP, "quarantine", K_STRING, FALSE, "Quarantine", IM(quarantine), 0, 0, NULL },
	{ S_IMAP, "tls", K_ENUM, FALSE, "verify", IM(tls), 0, 0, "verify|none" },
	{ S_IMAP, "idle", K_BOOL, FALSE, "true", IM(idle), 0, 0, NULL },
	{ S_IMAP, "poll_interval", K_DURATION, FALSE, "60s", IM(poll_interval), 0, 0, NULL },

	{ S_PLAN, "quota", K_INT, FALSE, "0", PL(quota), 0, G_MAXINT32, NULL },
	{ S_PLAN, "period", K_ENUM, FALSE, "year", PL(period), 0, 0, "month|quarter|year" },
	{ S_PLAN, "over_quota", K_ENUM, FALSE, "low", PL(over_quota), 0, 0, "low|hold" },
	{ S_PLAN, "groups", K_LIST, FALSE, NULL, PL(groups), 0, 0, NULL },
	{ S_PLAN, "max_tier", K_INT, FALSE, "4", PL(max_tier), 1, 4, NULL },
	{ S_PLAN, "engagement", K_ENUM, FALSE, "mail", PL(engagement), 0, 0, "mail|emergency" },
	{ S_PLAN, "first_response", K_STRING, FALSE, NULL, PL(first_response_text), 0, 0, NULL },
	{ S_PLAN, "next_response", K_STRING, FALSE, NULL, PL(next_response_text), 0, 0, NULL },
	{ S_PLAN, "resolution", K_STRING, FALSE, NULL, PL(resolution_text), 0, 0, NULL },

	{ S_ORG, "name", K_STRING, FALSE, NULL, OR(name), 0, 0, NULL },
	{ S_ORG, "plan", K_STRING, TRUE, NULL, OR(plan), 0, 0, NULL },

	{ S_WEBHOOK, "url", K_URL, TRUE, NULL, WH(url), 0, 0, "https|http" },
	{ S_WEBHOOK, "events", K_LIST, TRUE, NULL, WH(events), 0, 0, NULL },
	{ S_WEBHOOK, "groups", K_LIST, FALSE, NULL, WH(groups), 0, 0, NULL },
	{ S_WEBHOOK, "secret_file", K_PATH, TRUE, NULL, WH(secret_file), 0, 0, NULL },
	{ S_WEBHOOK, "timeout", K_DURATION, FALSE, "10s", WH(timeout), 0, 0, NULL },
	{ S_WEBHOOK, "tls", K_ENUM, FALSE, "verify", WH(tls), 0, 0, "verify|none" },
	{ S_WEBHOOK, "max_age", K_DURATION, FALSE, "3d", WH(max_age), 0, 0, NULL },
};

static const struct {
	const char *prefix; /* "gateway" or "group:" */
	section_t section;
	gboolean named;
} SECTIONS[] = {
	{ "gateway", S_GATEWAY, FALSE }, { "smtp", S_SMTP, FALSE },
	{ "limits", S_LIMITS, FALSE },   { "lmtp", S_LMTP, FALSE },
	{ "group:", S_GROUP, TRUE },
	{ "member:", S_MEMBER, TRUE },   { "imap:", S_IMAP, TRUE },
	{ "plan:", S_PLAN, TRUE },       { "org:", S_ORG, TRUE },
	{ "webhook:", S_WEBHOOK, TRUE },
};

/* What loading one file needs: where things are and what went wrong. */
typedef struct {
	const char *path;
	GKeyFile *kf;
	GHashTable *lines;  /* "section\nkey" or "section" -> line */
	GPtrArray *errors;  /* char* "FILE:LINE: ..." */
	GPtrArray *warnings;
	GHashTable *zones;  /* time zone names found good: loading one reads and
			     * parses its tzdata file, and a network of a
			     * thousand members names a handful */
} loader_t;

static gint64
loader_line(loader_t *ld, const char *group, const char *key)
{
	g_autofree char *k = key ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);

	return GPOINTER_TO_SIZE(g_hash_table_lookup(ld->lines, k));
}

static void G_GNUC_PRINTF(5, 6)
loader_problem(loader_t *ld, GPtrArray *to, const char *group, const char *key,
	       const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	gint64 line = loader_line(ld, group, key);

	if (line == 0 && key != NULL)
		line = loader_line(ld, group, NULL);
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (key != NULL)
		g_ptr_array_add(to, g_strdup_printf("%s:%" G_GINT64_FORMAT ": [%s] %s: %s",
						    ld->path, line, group, key, msg));
	else
		g_ptr_array_add(to, g_strdup_printf("%s:%" G_GINT64_FORMAT ": [%s] %s",
						    ld->path, line, group, msg));
}

/* Scan TEXT: record lines, catch syntax errors, and return the text with
 * trailing comments removed, ready for GKeyFile. */
static char *
loader_scan(loader_t *ld, const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	g_autofree char *section = NULL;

	for (gsize i = 0; lines[i] != NULL; i++) {
		char *l = lines[i];
		gsize n = strlen(l);
		gint64 lineno = (gint64)i + 1;

		if (n > 0 && l[n - 1] == '\r')
			l[--n] = '\0';
		g_strstrip(l);
		if (*l == '\0' || *l == '#' || *l == ';') {
			g_string_append_c(out, '\n');
			continue;
		}
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (end == NULL || end[1] != '\0' || end == l + 1) {
				g_ptr_array_add(ld->errors, g_strdup_printf(
					"%s:%" G_GINT64_FORMAT ": malformed section header \"%s\"",
					ld->path, lineno, l));
				g_string_append_c(out, '\n');
				continue;
			}
			g_free(section);
			section = g_strndup(l + 1, (gsize)(end - l - 1));
			if (g_hash_table_contains(ld->lines, section))
				g_ptr_array_add(ld->errors, g_strdup_printf(
					"%s:%" G_GINT64_FORMAT ": [%s] appears twice",
					ld->path, lineno, section));
			else
				g_hash_table_insert(ld->lines, g_strdup(section),
						    GSIZE_TO_POINTER(lineno));
			g_string_append_printf(out, "%s\n", l);
			continue;
		}
		char *eq = strchr(l, '=');
		if (eq == NULL || eq == l) {
			g_ptr_array_add(ld->errors, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": expected \"key = value\", got \"%s\"",
				ld->path, lineno, l));
			g_string_append_c(out, '\n');
			continue;
		}
		if (section == NULL) {
			g_ptr_array_add(ld->errors, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": key outside any [section]",
				ld->path, lineno));
			g_string_append_c(out, '\n');
			continue;
		}
		*eq = '\0';
		char *key = g_strstrip(l);
		char *value = eq + 1;
		/* A '#' after whitespace starts a comment. */
		for (char *p = value; *p != '\0'; p++)
			if (*p == '#' && (p == value || g_ascii_isspace(p[-1]))) {
				*p = '\0';
				break;
			}
		g_strstrip(value);
		g_autofree char *k = g_strdup_printf("%s\n%s", section, key);
		if (g_hash_table_contains(ld->lines, k))
			g_ptr_array_add(ld->warnings, g_strdup_printf(
				"%s:%" G_GINT64_FORMAT ": [%s] %s: set twice, the last one counts",
				ld->path, lineno, section, key));
		g_hash_table_replace(ld->lines, g_steal_pointer(&k), GSIZE_TO_POINTER(lineno));
		g_string_append_printf(out, "%s=%s\n", key, value);
	}
	return g_string_free(out, FALSE);
}

/* Split a list value on ';' or ',', trimmed, empty items dropped. */
static char **
split_list(const char *value)
{
	g_auto(GStrv) parts = g_strsplit_set(value, ";,", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = parts; *p != NULL; p++) {
		g_strstrip(*p);
		if (**p != '\0')
			g_ptr_array_add(out, g_strdup(*p));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Parse VALUE of SPEC into the struct at BASE; on failure add a problem. */
static void
loader_set(loader_t *ld, const char *group, const key_spec_t *spec,
	   const char *value, void *base)
{
	char *field = (char *)base + spec->offset;
	guint64 size;
	gint64 num;

	switch (spec->type) {
	case K_STRING:
		*(char **)field = g_strdup(value);
		return;
	case K_PATH:
		*(char **)field = util_path_relative_to(ld->path, value);
		return;
	case K_ADDRESS: {
		char *a = util_address_normalize(value);

		if (a == NULL)
			break;
		*(char **)field = a;
		return;
	}
	case K_ADDRESSES: {
		char **list = split_list(value);

		for (char **p = list; *p != NULL; p++) {
			char *a = util_address_normalize(*p);

			if (a == NULL) {
				loader_problem(ld, ld->errors, group, spec->key,
					       "\"%s\" is not a mail address", *p);
				g_strfreev(list);
				return;
			}
			g_free(*p);
			*p = a;
		}
		*(char ***)field = list;
		return;
	}
	case K_LIST:
		*(char ***)field = split_list(value);
		return;
	case K_ENUM: {
		g_auto(GStrv) opts = g_strsplit(spec->enums, "|", -1);

		if (g_strv_contains((const char *const *)opts, value)) {
			*(char **)field = g_strdup(value);
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not one of %s", value, spec->enums);
		return;
	}
	case K_BOOL:
		if (g_ascii_strcasecmp(value, "true") == 0 || g_ascii_strcasecmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0) {
			*(gboolean *)field = TRUE;
			return;
		}
		if (g_ascii_strcasecmp(value, "false") == 0 || g_ascii_strcasecmp(value, "no") == 0 ||
		    strcmp(value, "0") == 0) {
			*(gboolean *)field = FALSE;
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not true or false", value);
		return;
	case K_INT:
		if (util_parse_int(value, spec->min, spec->max, &num)) {
			*(gint64 *)field = num;
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not a whole number from %" G_GINT64_FORMAT
			       " to %" G_GINT64_FORMAT, value, spec->min, spec->max);
		return;
	case K_SIZE:
		if (util_parse_size(value, &size)) {
			*(guint64 *)field = size;
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not a size (such as 512k, 50M, 1G)", value);
		return;
	case K_DURATION:
		if (util_parse_duration(value, &num)) {
			*(gint64 *)field = num;
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not a duration (such as 90s, 30m, 24h, 2d, 1w)", value);
		return;
	case K_TIMEZONE: {
		g_autoptr(GTimeZone) tz = NULL;

		if (g_hash_table_contains(ld->zones, value) ||
		    (tz = g_time_zone_new_identifier(value)) != NULL) {
			g_hash_table_add(ld->zones, g_strdup(value));
			*(char **)field = g_strdup(value);
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "unknown time zone \"%s\" (use an IANA name such as Europe/Berlin)",
			       value);
		return;
	}
	case K_HOURS: {
		g_autoptr(GError) herr = NULL;
		g_autoptr(sla_calendar_t) cal = sla_calendar_new(NULL, value, &herr);

		if (cal != NULL) {
			*(char **)field = g_strdup(value);
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key, "%s", herr->message);
		return;
	}
	case K_URL: {
		g_auto(GStrv) schemes = g_strsplit(spec->enums, "|", -1);
		g_autofree char *scheme = g_uri_parse_scheme(value);

		if (scheme != NULL && g_strv_contains((const char *const *)schemes, scheme) &&
		    g_uri_is_valid(value, G_URI_FLAGS_NONE, NULL)) {
			*(char **)field = g_strdup(value);
			return;
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not a URL of scheme %s", value, spec->enums);
		return;
	}
	case K_CLOCK:
		if (strlen(value) == 5 && g_ascii_isdigit(value[0]) && g_ascii_isdigit(value[1]) &&
		    value[2] == ':' && g_ascii_isdigit(value[3]) && g_ascii_isdigit(value[4])) {
			gint64 h = (value[0] - '0') * 10 + (value[1] - '0');
			gint64 m = (value[3] - '0') * 10 + (value[4] - '0');

			if (h < 24 && m < 60) {
				*(gint64 *)field = h * 60 + m;
				return;
			}
		}
		loader_problem(ld, ld->errors, group, spec->key,
			       "\"%s\" is not a time of day HH:MM (00:00 to 23:59)", value);
		return;
	}
	loader_problem(ld, ld->errors, group, spec->key, "\"%s\" is not a mail address", value);
}

/* Read every key of SECTION in GROUP into BASE, defaults first. */
static void
loader_read_section(loader_t *ld, const char *group, section_t section, void *base)
{
	g_auto(GStrv) keys = g_key_file_get_keys(ld->kf, group, NULL, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++) {
		const key_spec_t *spec = &KEYS[i];
		g_autofree char *value = NULL;

		if (spec->section != section)
			continue;
		value = g_key_file_get_value(ld->kf, group, spec->key, NULL);
		if (value != NULL && *value == '\0' && !spec->required)
			g_clear_pointer(&value, g_free);
		if (value == NULL && spec->required) {
			loader_problem(ld, ld->errors, group, NULL,
				       "missing required key \"%s\"", spec->key);
			continue;
		}
		if (value == NULL && spec->def == NULL)
			continue;
		loader_set(ld, group, spec, value != NULL ? value : spec->def, base);
	}
	for (char **k = keys; k != NULL && *k != NULL; k++) {
		gboolean known = FALSE;

		for (gsize i = 0; i < G_N_ELEMENTS(KEYS) && !known; i++)
			known = KEYS[i].section == section && strcmp(KEYS[i].key, *k) == 0;
		if (!known)
			loader_problem(ld, ld->warnings, group, *k,
				       "unknown key, ignored");
	}
}

static void
config_group_free(config_group_t *g)
{
	g_free(g->name);
	g_free(g->display_name);
	g_strfreev(g->addresses);
	g_strfreev(g->list_ids);
	g_free(g->assign);
	g_free(g->timezone);
	g_free(g->hours);
	g_free(g->language);
	g_free(g->first_response_text);
	g_free(g->next_response_text);
	g_free(g->resolution_text);
	g_free(g->holidays);
	g_free(g->on_breach);
	g_free(g->digest);
	if (g->calendar != NULL)
		sla_calendar_free(g->calendar);
	g_free(g);
}

static void
config_member_free(config_member_t *m)
{
	g_free(m->address);
	g_free(m->name);
	g_strfreev(m->groups);
	g_strfreev(m->aliases);
	g_free(m->kind);
	g_free(m->timezone);
	g_free(m->digest);
	g_free(m);
}

static void
config_imap_free(config_imap_t *a)
{
	g_free(a->name);
	g_free(a->url);
	g_free(a->user);
	g_free(a->password_file);
	g_free(a->group);
	g_free(a->processed);
	g_free(a->quarantine);
	g_free(a->tls);
	g_free(a);
}

static void
config_plan_free(config_plan_t *p)
{
	g_free(p->name);
	g_free(p->period);
	g_free(p->over_quota);
	g_strfreev(p->groups);
	g_free(p->engagement);
	g_free(p->first_response_text);
	g_free(p->next_response_text);
	g_free(p->resolution_text);
	g_free(p);
}

static void
config_org_free(config_org_t *o)
{
	g_free(o->domain);
	g_free(o->name);
	g_free(o->plan);
	g_free(o);
}

static void
config_webhook_free(config_webhook_t *w)
{
	g_free(w->name);
	g_free(w->url);
	g_strfreev(w->events);
	g_strfreev(w->groups);
	g_free(w->secret_file);
	g_free(w->tls);
	g_free(w);
}

void
config_free(config_t *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->path);
	g_free(cfg->database);
	g_free(cfg->spool);
	g_free(cfg->support_address);
	g_free(cfg->tag);
	g_free(cfg->name);
	g_free(cfg->secret_file);
	g_free(cfg->language);
	g_free(cfg->filters);
	g_free(cfg->templates);
	g_free(cfg->log);
	g_free(cfg->trusted_authserv_id);
	g_free(cfg->default_group);
	g_free(cfg->default_plan);
	g_strfreev(cfg->moderators);
	g_free(cfg->smtp_url);
	g_free(cfg->smtp_tls);
	g_free(cfg->smtp_user);
	g_free(cfg->smtp_password_file);
	g_free(cfg->lmtp_listen);
	g_strfreev(cfg->fallback_charsets);
	g_strfreev(cfg->own_addresses);
	if (cfg->lines != NULL)
		g_hash_table_unref(cfg->lines);
	g_ptr_array_unref(cfg->groups);
	g_ptr_array_unref(cfg->members);
	g_ptr_array_unref(cfg->imap);
	g_ptr_array_unref(cfg->plans);
	g_ptr_array_unref(cfg->orgs);
	g_ptr_array_unref(cfg->webhooks);
	g_free(cfg);
}

static config_t *
config_new(const char *path)
{
	config_t *cfg = g_new0(config_t, 1);

	cfg->path = g_strdup(path);
	cfg->groups = g_ptr_array_new_with_free_func((GDestroyNotify)config_group_free);
	cfg->members = g_ptr_array_new_with_free_func((GDestroyNotify)config_member_free);
	cfg->imap = g_ptr_array_new_with_free_func((GDestroyNotify)config_imap_free);
	cfg->plans = g_ptr_array_new_with_free_func((GDestroyNotify)config_plan_free);
	cfg->orgs = g_ptr_array_new_with_free_func((GDestroyNotify)config_org_free);
	cfg->webhooks = g_ptr_array_new_with_free_func((GDestroyNotify)config_webhook_free);
	return cfg;
}

/* The support address and every group address, for loop and recipient
 * checks. */
static void
config_collect_own(config_t *cfg)
{
	GPtrArray *own = g_ptr_array_new();

	g_ptr_array_add(own, g_strdup(cfg->support_address));
	for (guint i = 0; i < cfg->groups->len; i++) {
		config_group_t *g = cfg->groups->pdata[i];

		for (char **a = g->addresses; *a != NULL; a++)
			g_ptr_array_add(own, g_strdup(*a));
	}
	g_ptr_array_add(own, NULL);
	cfg->own_addresses = (char **)g_ptr_array_free(own, FALSE);
}

/* The element of ARR named NAME; the structs of named sections start
 * with their char *name. */
static gpointer
find_named(GPtrArray *arr, const char *name)
{
	for (guint i = 0; name != NULL && i < arr->len; i++)
		if (strcmp(*(char **)arr->pdata[i], name) == 0)
			return arr->pdata[i];
	return NULL;
}

/* TRUE when URL's host is a loopback address or "localhost": the only
 * place where plain text (tls = none) is allowed. */
static gboolean
url_is_loopback(const char *url)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	const char *host = uri ? g_uri_get_host(uri) : NULL;
	g_autoptr(GInetAddress) addr = NULL;

	if (host == NULL)
		return FALSE;
	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	addr = g_inet_address_new_from_string(host);
	return addr != NULL && g_inet_address_get_is_loopback(addr);
}

/* A webhook's URL, TLS, events, groups and bounds. */
static void
loader_check_webhook(loader_t *ld, const config_t *cfg, const config_webhook_t *w)
{
	g_autofree char *grp = g_strdup_printf("webhook:%s", w->name);
	g_autoptr(GUri) uri = w->url ? g_uri_parse(w->url, G_URI_FLAGS_NONE, NULL) : NULL;
	gboolean plain = uri != NULL && g_ascii_strcasecmp(g_uri_get_scheme(uri), "http") == 0;

	if (uri != NULL && g_uri_get_userinfo(uri) != NULL)
		/* It would show in logs and in "postdesk check" output. */
		loader_problem(ld, ld->errors, grp, "url",
			       "must not hold a user or password (a token in the path "
			       "or query is fine)");
	if (uri != NULL && (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0'))
		loader_problem(ld, ld->errors, grp, "url", "has no host");
	if (plain && g_strcmp0(w->tls, "none") != 0)
		loader_problem(ld, ld->errors, grp, "url",
			       "http:// sends events in clear text: use https://, or "
			       "tls = none for a loopback receiver");
	else if (g_strcmp0(w->tls, "none") == 0 && uri != NULL && !plain)
		loader_problem(ld, ld->errors, grp, "tls", "\"none\" contradicts an https:// URL");
	else if (g_strcmp0(w->tls, "none") == 0 && w->url != NULL && !url_is_loopback(w->url))
		loader_problem(ld, ld->errors, grp, "tls",
			       "\"none\" is only allowed for a loopback receiver");
	if (w->events != NULL && w->events[0] == NULL)
		loader_problem(ld, ld->errors, grp, "events",
			       "names no event kind (or \"*\" for all)");
	for (char **e = w->events; e != NULL && *e != NULL; e++)
		if (strcmp(*e, "*") != 0 && !webhook_kind_known(*e)) {
			g_autofree char *known = g_strjoinv(", ", (char **)webhook_kinds());

			loader_problem(ld, ld->errors, grp, "events",
				       "unknown event kind \"%s\" (known: %s, or *)", *e, known);
		}
	for (char **g = w->groups; g != NULL && *g != NULL; g++)
		if (config_group(cfg, *g) == NULL)
			loader_problem(ld, ld->errors, grp, "groups", "no [group:%s] section", *g);
	if (w->timeout < 1 || w->timeout > 600)
		loader_problem(ld, ld->errors, grp, "timeout",
			       "must be from 1s to 10m");
}

/* The three SLA target keys of section SEC (texts may be NULL: unset). */
static void
loader_parse_targets(loader_t *ld, const char *sec, const char *first, const char *next,
		     const char *resolution, sla_targets_t *first_out,
		     sla_targets_t *next_out, sla_targets_t *resolution_out)
{
	const struct {
		const char *key, *text;
		sla_targets_t *out;
	} keys[] = {
		{ "first_response", first, first_out },
		{ "next_response", next, next_out },
		{ "resolution", resolution, resolution_out },
	};

	for (gsize k = 0; k < G_N_ELEMENTS(keys); k++) {
		g_autoptr(GError) err = NULL;

		if (keys[k].text != NULL && !sla_targets_parse(keys[k].text, keys[k].out, &err))
			loader_problem(ld, ld->errors, sec, keys[k].key, "%s", err->message);
	}
}

/* A holidays file as text: a regular file of at most CONFIG_MAX_FILE
 * bytes, so a path such as /dev/zero cannot stall or exhaust the loader.
 * New string, or NULL with an error naming PATH. */
static char *
config_read_holidays(const char *path, GError **error)
{
	g_autoptr(GBytes) raw = NULL;
	struct stat st;
	const char *data;
	gsize len;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: not a regular file", path);
		return NULL;
	}
	raw = util_read_file(path, CONFIG_MAX_FILE, error);
	if (raw == NULL)
		return NULL;
	data = g_bytes_get_data(raw, &len);
	return g_strndup(data, len);
}

/* Each group's business-hours calendar (timezone, hours, holidays) and
 * its SLA targets in business time of that calendar. */
static void
loader_build_calendars(loader_t *ld, config_t *cfg)
{
	for (guint i = 0; i < cfg->groups->len; i++) {
		config_group_t *g = cfg->groups->pdata[i];
		g_autofree char *sec = g_strdup_printf("group:%s", g->name);
		g_autoptr(GError) err = NULL;
		g_autofree char *text = NULL;

		g->calendar = sla_calendar_new(g->timezone, g->hours, &err);
		if (g->calendar == NULL) {
			loader_problem(ld, ld->errors, sec, "hours", "%s", err->message);
			continue;
		}
		if (g->holidays != NULL &&
		    ((text = config_read_holidays(g->holidays, &err)) == NULL ||
		     !sla_calendar_load_holidays(g->calendar, g->holidays, text, &err)))
			loader_problem(ld, ld->errors, sec, "holidays", "%s", err->message);
		g_clear_error(&err);
		loader_parse_targets(ld, sec, g->first_response_text, g->next_response_text,
				     g->resolution_text, &g->first_response, &g->next_response,
				     &g->resolution);
		if (g->wait_reminder > 0 && g->wait_resolve > 0 &&
		    g->wait_reminder >= g->wait_resolve)
			loader_problem(ld, ld->errors, sec, "wait_reminder",
				       "must be shorter than wait_resolve (a reminder after "
				       "the ticket is resolved is never sent)");
	}
	for (guint i = 0; i < cfg->plans->len; i++) {
		config_plan_t *p = cfg->plans->pdata[i];
		g_autofree char *sec = g_strdup_printf("plan:%s", p->name);

		loader_parse_targets(ld, sec, p->first_response_text, p->next_response_text,
				     p->resolution_text, &p->first_response, &p->next_response,
				     &p->resolution);
	}
}

/* Every group in GROUPS (of key "groups" in section SEC) must exist: a
 * typo would silently leave a member without work, or a plan's customers
 * not covered anywhere. */
static void
loader_check_groups(loader_t *ld, const config_t *cfg, const char *sec, char **groups)
{
	for (char **g = groups; g != NULL && *g != NULL; g++)
		if (config_group(cfg, *g) == NULL)
			loader_problem(ld, ld->errors, sec, "groups", "no [group:%s] section", *g);
}

/* Cross-section checks: names that must refer to something. */
static void
loader_check_references(loader_t *ld, config_t *cfg)
{
	loader_build_calendars(ld, cfg);
	if (cfg->tag != NULL && !thread_tag_valid(cfg->tag))
		loader_problem(ld, ld->errors, "gateway", "tag",
			       "must be 1 to %d bytes without control characters, "
			       "'[', ']' or '#' and without white space at either end",
			       THREAD_TAG_MAX);
	for (guint i = 0; i < cfg->webhooks->len; i++)
		loader_check_webhook(ld, cfg, cfg->webhooks->pdata[i]);
	for (guint i = 0; i < cfg->members->len; i++) {
		config_member_t *m = cfg->members->pdata[i];
		g_autofree char *grp = g_strdup_printf("member:%s", m->address);

		loader_check_groups(ld, cfg, grp, m->groups);
	}
	for (guint i = 0; i < cfg->plans->len; i++) {
		config_plan_t *p = cfg->plans->pdata[i];
		g_autofree char *grp = g_strdup_printf("plan:%s", p->name);

		loader_check_groups(ld, cfg, grp, p->groups);
	}
	for (guint i = 0; i < cfg->imap->len; i++) {
		config_imap_t *a = cfg->imap->pdata[i];
		g_autofree char *grp = g_strdup_printf("imap:%s", a->name);

		if (a->group != NULL && config_group(cfg, a->group) == NULL)
			loader_problem(ld, ld->errors, grp, "group",
				       "no [group:%s] section", a->group);
	}
	for (guint i = 0; i < cfg->orgs->len; i++) {
		config_org_t *o = cfg->orgs->pdata[i];
		g_autofree char *grp = g_strdup_printf("org:%s", o->domain);

		if (o->plan != NULL && find_named(cfg->plans, o->plan) == NULL)
			loader_problem(ld, ld->errors, grp, "plan",
				       "no [plan:%s] section", o->plan);
	}
	if (cfg->default_plan != NULL && config_plan(cfg, cfg->default_plan) == NULL)
		loader_problem(ld, ld->errors, "gateway", "default_plan",
			       "no [plan:%s] section", cfg->default_plan);
	if (cfg->default_group != NULL && config_group(cfg, cfg->default_group) == NULL)
		loader_problem(ld, ld->errors, "gateway", "default_group",
			       "no [group:%s] section", cfg->default_group);
	if (cfg->has_smtp && cfg->smtp_url != NULL) {
		if (g_strcmp0(cfg->smtp_tls, "none") == 0 && !url_is_loopback(cfg->smtp_url))
			loader_problem(ld, ld->errors, "smtp", "tls",
				       "\"none\" is only allowed for a loopback server");
		if (g_str_has_prefix(cfg->smtp_url, "smtps:") && g_strcmp0(cfg->smtp_tls, "none") == 0)
			loader_problem(ld, ld->errors, "smtp", "tls",
				       "\"none\" contradicts an smtps:// URL");
		if ((cfg->smtp_user == NULL) != (cfg->smtp_password_file == NULL))
			loader_problem(ld, ld->errors, "smtp",
				       cfg->smtp_user ? "password_file" : "user",
				       "user and password_file go together");
	}
	if (cfg->lmtp_listen != NULL && !g_str_has_prefix(cfg->lmtp_listen, "unix:")) {
		g_autofree char *url = g_strdup_printf("lmtp://%s", cfg->lmtp_listen);

		/* IPv4 HOST:PORT on loopback (lmtp.c binds AF_INET). */
		if (strchr(cfg->lmtp_listen, '[') != NULL || !url_is_loopback(url))
			loader_problem(ld, ld->errors, "lmtp", "listen",
				       "\"%s\" is neither unix:PATH nor a loopback HOST:PORT "
				       "(LMTP has no authentication)", cfg->lmtp_listen);
	}
	for (guint i = 0; i < cfg->imap->len; i++) {
		config_imap_t *a = cfg->imap->pdata[i];
		g_autofree char *grp = g_strdup_printf("imap:%s", a->name);

		if (g_strcmp0(a->tls, "none") == 0 && a->url != NULL && !url_is_loopback(a->url))
			loader_problem(ld, ld->errors, grp, "tls",
				       "\"none\" is only allowed for a loopback server");
		if (g_strcmp0(a->tls, "none") == 0 && a->url != NULL &&
		    g_str_has_prefix(a->url, "imaps:"))
			loader_problem(ld, ld->errors, grp, "tls",
				       "\"none\" contradicts an imaps:// URL");
	}
}

config_t *
config_load(const char *path, GPtrArray *warnings, GError **error)
{
	g_autofree char *text = NULL;
	gsize len;
	GError *local = NULL;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG, "%s: %s", path,
			    local->message);
		g_error_free(local);
		return NULL;
	}
	return config_load_data(path, text, len, warnings, error);
}

config_t *
config_load_data(const char *path, const char *text, gsize len,
		 GPtrArray *warnings, GError **error)
{
	g_autoptr(config_t) cfg = config_new(path);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GHashTable) lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) warns = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *copy = NULL;
	g_autofree char *clean = NULL;
	g_auto(GStrv) groups = NULL;
	GError *local = NULL;
	loader_t ld = { path, kf, lines, errors, warns, zones };

	if (len > CONFIG_MAX_FILE || !g_utf8_validate(text, (gssize)len, NULL) ||
	    memchr(text, '\0', len) != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_CONFIG,
			    "%s:1: not a UTF-8 text file of at most 1 MiB", path);
		return NULL;
	}
	/* TEXT need not end in a NUL; the scanner wants a C string. */
	copy = g_strndup(text, len);
	clean = loader_scan(&ld, copy);
	if (errors->len == 0 &&
	    !g_key_file_load_from_data(kf, clean, (gsize)-1, G_KEY_FILE_NONE, &local)) {
		g_ptr_array_add(errors, g_strdup_printf("%s:1: %s", path, local->message));
		g_clear_error(&local);
	}
	if (errors->len == 0) {
		groups = g_key_file_get_groups(kf, NULL);
		if (!g_key_file_has_group(kf, "gateway"))
			g_ptr_array_add(errors, g_strdup_printf(
				"%s:1: missing required section [gateway]", path));
	}
	for (char **g = groups; g != NULL && *g != NULL; g++) {
		gsize s;
		const char *name = NULL;

		for (s = 0; s < G_N_ELEMENTS(SECTIONS); s++) {
			if (SECTIONS[s].named && g_str_has_prefix(*g, SECTIONS[s].prefix)) {
				name = *g + strlen(SECTIONS[s].prefix);
				break;
			}
			if (!SECTIONS[s].named && strcmp(*g, SECTIONS[s].prefix) == 0)
				break;
		}
		if (s == G_N_ELEMENTS(SECTIONS)) {
			loader_problem(&ld, errors, *g, NULL,
				       "unknown section (known: [gateway], [smtp], [limits], [lmtp], "
				       "[group:NAME], [member:ADDRESS], [imap:NAME], "
				       "[plan:NAME], [org:DOMAIN], [webhook:NAME])");
			continue;
		}
		if (name != NULL && *name == '\0') {
			loader_problem(&ld, errors, *g, NULL, "section needs a name after ':'");
			continue;
		}
		gint64 line = loader_line(&ld, *g, NULL);
		switch (SECTIONS[s].section) {
		case S_GATEWAY:
		case S_LIMITS:
		case S_LMTP:
			loader_read_section(&ld, *g, SECTIONS[s].section, cfg);
			break;
		case S_SMTP:
			cfg->has_smtp = TRUE;
			loader_read_section(&ld, *g, S_SMTP, cfg);
			break;
		case S_GROUP: {
			config_group_t *grp = g_new0(config_group_t, 1);

			grp->name = g_strdup(name);
			grp->line = line;
			g_ptr_array_add(cfg->groups, grp);
			loader_read_section(&ld, *g, S_GROUP, grp);
			if (grp->display_name == NULL)
				grp->display_name = g_strdup(name);
			if (grp->addresses == NULL)
				grp->addresses = g_new0(char *, 1);
			if (grp->list_ids == NULL)
				grp->list_ids = g_new0(char *, 1);
			break;
		}
		case S_MEMBER: {
			config_member_t *m = g_new0(config_member_t, 1);

			m->address = util_address_normalize(name);
			m->line = line;
			if (m->address == NULL) {
				loader_problem(&ld, errors, *g, NULL,
					       "\"%s\" is not a mail address", name);
				config_member_free(m);
				break;
			}
			g_ptr_array_add(cfg->members, m);
			loader_read_section(&ld, *g, S_MEMBER, m);
			if (m->groups == NULL)
				m->groups = g_new0(char *, 1);
			if (m->aliases == NULL)
				m->aliases = g_new0(char *, 1);
			break;
		}
		case S_IMAP: {
			config_imap_t *a = g_new0(config_imap_t, 1);

			a->name = g_strdup(name);
			a->line = line;
			g_ptr_array_add(cfg->imap, a);
			loader_read_section(&ld, *g, S_IMAP, a);
			break;
		}
		case S_PLAN: {
			config_plan_t *p = g_new0(config_plan_t, 1);

			p->name = g_strdup(name);
			p->line = line;
			g_ptr_array_add(cfg->plans, p);
			loader_read_section(&ld, *g, S_PLAN, p);
			break;
		}
		case S_ORG: {
			config_org_t *o = g_new0(config_org_t, 1);

			o->domain = g_ascii_strdown(name, -1);
			o->line = line;
			g_ptr_array_add(cfg->orgs, o);
			loader_read_section(&ld, *g, S_ORG, o);
			break;
		}
		case S_WEBHOOK: {
			config_webhook_t *w = g_new0(config_webhook_t, 1);

			w->name = g_strdup(name);
			w->line = line;
			g_ptr_array_add(cfg->webhooks, w);
			loader_read_section(&ld, *g, S_WEBHOOK, w);
			if (w->groups == NULL)
				w->groups = g_new0(char *, 1);
			break;
		}
		}
	}
	/* Sections that may be left out still give their defaults. */
	if (errors->len == 0 && !g_key_file_has_group(kf, "limits"))
		loader_read_section(&ld, "limits", S_LIMITS, cfg);
	if (errors->len == 0) {
		/* With no group configured, one implicit group takes all. */
		if (cfg->groups->len == 0) {
			config_group_t *grp = g_new0(config_group_t, 1);

			grp->name = g_strdup("support");
			grp->addresses = g_new0(char *, 1);
			grp->list_ids = g_new0(char *, 1);
			g_ptr_array_add(cfg->groups, grp);
			loader_read_section(&ld, "group:support", S_GROUP, grp);
			grp->display_name = g_strdup("Support");
		}
		if (cfg->default_group == NULL)
			cfg->default_group = g_strdup(((config_group_t *)cfg->groups->pdata[0])->name);
		loader_check_references(&ld, cfg);
		config_collect_own(cfg);
		cfg->lines = g_hash_table_ref(lines);
	}
	if (warnings != NULL)
		for (guint i = 0; i < warns->len; i++)
			g_ptr_array_add(warnings, g_strdup(warns->pdata[i]));
	if (errors->len > 0) {
		g_autofree char *all = NULL;

		g_ptr_array_add(errors, NULL);
		all = g_strjoinv("\n", (char **)errors->pdata);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_CONFIG, all);
		return NULL;
	}
	return g_steal_pointer(&cfg);
}

char **
config_key_names(void)
{
	char **out = g_new0(char *, G_N_ELEMENTS(KEYS) + 1);

	for (gsize i = 0; i < G_N_ELEMENTS(KEYS); i++)
		for (gsize s = 0; s < G_N_ELEMENTS(SECTIONS); s++)
			if (SECTIONS[s].section == KEYS[i].section) {
				out[i] = g_strdup_printf("%s %s", SECTIONS[s].prefix, KEYS[i].key);
				break;
			}
	return out;
}

char *
config_find(const char *option)
{
	const char *env = g_getenv("POSTDESK_CONF");

	if (option != NULL)
		return g_strdup(option);
	if (env != NULL && *env != '\0')
		return g_strdup(env);
	if (g_file_test("postdesk.conf", G_FILE_TEST_EXISTS))
		return g_canonicalize_filename("postdesk.conf", NULL);
	return g_build_filename(SYSCONFDIR, "postdesk.conf", NULL);
}

const config_group_t *
config_group(const config_t *cfg, const char *name)
{
	return find_named(cfg->groups, name);
}

const config_group_t *
config_group_for_address(const config_t *cfg, const char *addr)
{
	g_autofree char *a = util_address_normalize(addr);

	if (a == NULL)
		return NULL;
	for (guint i = 0; i < cfg->groups->len; i++) {
		config_group_t *g = cfg->groups->pdata[i];

		if (g_strv_contains((const char *const *)g->addresses, a))
			return g;
	}
	if (strcmp(a, cfg->support_address) == 0)
		return config_group(cfg, cfg->default_group);
	return NULL;
}

const config_group_t *
config_group_for_list(const config_t *cfg, const char *list_id)
{
	for (guint i = 0; list_id != NULL && i < cfg->groups->len; i++) {
		config_group_t *g = cfg->groups->pdata[i];

		for (char **l = g->list_ids; *l != NULL; l++)
			if (strstr(list_id, *l) != NULL)
				return g;
	}
	return NULL;
}

const config_member_t *
config_member(const config_t *cfg, const char *addr)
{
	g_autofree char *a = util_address_normalize(addr);

	if (a == NULL)
		return NULL;
	for (guint i = 0; i < cfg->members->len; i++) {
		config_member_t *m = cfg->members->pdata[i];

		if (strcmp(m->address, a) == 0 ||
		    g_strv_contains((const char *const *)m->aliases, a))
			return m;
	}
	return NULL;
}

gboolean
config_member_in_group(const config_member_t *m, const char *group)
{
	return m->groups == NULL || m->groups[0] == NULL ||
	       g_strv_contains((const char *const *)m->groups, group);
}

const config_plan_t *
config_plan(const config_t *cfg, const char *name)
{
	return find_named(cfg->plans, name);
}

const config_plan_t *
config_plan_for(const config_t *cfg, const char *domain)
{
	for (guint i = 0; domain != NULL && i < cfg->orgs->len; i++) {
		const config_org_t *o = cfg->orgs->pdata[i];

		if (g_ascii_strcasecmp(o->domain, domain) == 0)
			return config_plan(cfg, o->plan);
	}
	return config_plan(cfg, cfg->default_plan);
}

gboolean
config_plan_reaches(const config_plan_t *plan, const char *group)
{
	return plan == NULL || plan->groups == NULL || plan->groups[0] == NULL ||
	       g_strv_contains((const char *const *)plan->groups, group);
}

gint64
config_plan_max_tier(const config_plan_t *plan)
{
	return plan != NULL ? plan->max_tier : 4;
}

gboolean
config_plan_emergency(const config_plan_t *plan)
{
	return plan != NULL && g_strcmp0(plan->engagement, "emergency") == 0;
}

gint64
config_target(const config_group_t *g, const config_plan_t *plan, config_target_kind_t kind,
	      const char *priority)
{
	int p = sla_priority_from_name(priority);
	const sla_targets_t *gt, *pt = NULL;

	if (p < 0)
		p = SLA_PRIORITY_NORMAL;
	switch (kind) {
	case CONFIG_FIRST_RESPONSE:
		gt = &g->first_response;
		pt = plan != NULL ? &plan->first_response : NULL;
		break;
	case CONFIG_NEXT_RESPONSE:
		gt = &g->next_response;
		pt = plan != NULL ? &plan->next_response : NULL;
		break;
	default:
		gt = &g->resolution;
		pt = plan != NULL ? &plan->resolution : NULL;
		break;
	}
	if (pt != NULL && pt->of[p].set)
		return sla_target_seconds(g->calendar, &pt->of[p]);
	return sla_target_seconds(g->calendar, &gt->of[p]);
}

gint64
config_reopen_window(const config_t *cfg, const config_group_t *g)
{
	if (cfg->reopen_window <= 0)
		return 0;
	if (g != NULL && g->close_after > 0 && g->close_after < cfg->reopen_window)
		return g->close_after;
	return cfg->reopen_window;
}

const config_webhook_t *
config_webhook(const config_t *cfg, const char *name)
{
	return find_named(cfg->webhooks, name);
}

const config_imap_t *
config_imap(const config_t *cfg, const char *name)
{
	return find_named(cfg->imap, name);
}

gboolean
config_is_own_address(const config_t *cfg, const char *addr)
{
	g_autofree char *a = util_address_normalize(addr);

	return a != NULL && g_strv_contains(config_own_addresses(cfg), a);
}

const char *const *
config_own_addresses(const config_t *cfg)
{
	return (const char *const *)cfg->own_addresses;
}

gint64
config_line(const config_t *cfg, const char *section, const char *key)
{
	g_autofree char *k = key ? g_strdup_printf("%s\n%s", section, key) : g_strdup(section);
	gint64 line = GPOINTER_TO_SIZE(g_hash_table_lookup(cfg->lines, k));

	if (line == 0 && key != NULL)
		line = GPOINTER_TO_SIZE(g_hash_table_lookup(cfg->lines, section));
	return line;
}
