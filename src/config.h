/* SPDX-License-Identifier: MIT
 * config.h: postdesk.conf (GKeyFile) turned into a typed, validated
 * config_t. Nothing else touches GKeyFile. Every problem is reported as
 * "FILE:LINE: [section] key: what is wrong"; unknown keys warn, unknown
 * sections are errors. See postdesk.conf(5). */
#ifndef POSTDESK_CONFIG_H
#define POSTDESK_CONFIG_H
#include <glib.h>
#include "sla.h"

typedef struct {
	char *name;           /* section suffix: [group:NAME] */
	char *display_name;
	char **addresses;     /* normalised; may be empty */
	char **list_ids;      /* List-Id values that feed this group */
	char *assign;         /* round-robin | least-loaded | manual */
	gint64 tier;
	gint64 offer_timeout; /* an offer not taken by then passes on; 0: never */
	char *timezone;
	char *hours;
	/* Targets per priority as written ("4h", "urgent:1h 8h") and parsed
	 * (sla_target_seconds() in CALENDAR; unset or 0: no target). */
	char *first_response_text;
	sla_targets_t first_response;
	char *next_response_text;  /* a customer's follow-up after an answer */
	sla_targets_t next_response;
	char *resolution_text;
	sla_targets_t resolution;
	char *holidays;            /* file of holidays, or NULL */
	gint64 warn_at;            /* per cent of the time to a deadline */
	char *on_breach;           /* escalate | reassign | none */
	/* Housekeeping, wall-clock seconds; 0: never. */
	gint64 wait_reminder;      /* waiting on the customer: remind once */
	gint64 wait_resolve;       /* waiting that long: resolved */
	gint64 close_after;        /* resolved that long: closed */
	struct sla_calendar *calendar; /* business hours, built from the above */
	char *language;
	gboolean ack;            /* acknowledge new tickets */
	gboolean ack_lists;      /* also list traffic */
	gboolean ack_forwarded;
	gboolean copy_cc;        /* Cc of customer mail become participants */
	char *digest;            /* daily | weekly | off: the group digest */
	gint64 line;          /* where the section starts */
} config_group_t;

typedef struct {
	char *address;        /* normalised */
	char *name;
	char **groups;
	char **aliases;       /* normalised */
	gint64 tier;
	gint64 capacity;
	gboolean moderator;
	gboolean away;
	char *kind;           /* core | partner | freelancer */
	char *timezone;
	char *digest;         /* daily | weekly | off: the member digest */
	gint64 line;
} config_member_t;

typedef struct {
	char *name;
	char *url;
	char *user;
	char *password_file;
	char *group;
	char *processed;
	char *quarantine;
	char *tls;
	gboolean idle;
	gint64 poll_interval;
	gint64 line;
} config_imap_t;

typedef struct {
	char *name;           /* [plan:NAME] */
	gint64 quota;
	char *period;         /* month | quarter | year */
	char *over_quota;     /* low | hold */
	char **groups;        /* the groups the plan reaches; NULL: every group */
	gint64 max_tier;      /* #tier, #escalate and breaches stop here */
	char *engagement;     /* mail | emergency */
	/* Targets that replace the group's, priority by priority, for the
	 * tickets of the plan's organisations (as written, and parsed). */
	char *first_response_text, *next_response_text, *resolution_text;
	sla_targets_t first_response, next_response, resolution;
	gint64 line;
} config_plan_t;

typedef struct {
	char *domain;         /* [org:DOMAIN] */
	char *name;
	char *plan;
	gint64 line;
} config_org_t;

typedef struct {
	char *name;           /* [webhook:NAME] */
	char *url;            /* http:// (loopback, tls = none) or https:// */
	char **events;        /* event kinds, or "*" */
	char **groups;        /* only tickets of these groups; empty: all */
	char *secret_file;    /* HMAC key of the signature */
	gint64 timeout;       /* seconds for one request, connecting included */
	char *tls;            /* verify | none */
	gint64 max_age;       /* a delivery failing this long after its event is given up */
	gint64 line;
} config_webhook_t;

typedef struct config {
	char *path;           /* the file it was read from */
	/* [gateway] */
	char *database;       /* absolute, resolved against the file */
	char *spool;
	char *support_address;
	char *tag;
	char *name;           /* how the gateway signs its mail */
	char *secret_file;
	char *language;
	char *filters;
	char *templates;
	char *log;            /* stderr | syslog */
	char *trusted_authserv_id;
	char *default_group;
	char **moderators;
	char *default_plan;   /* the plan of senders of no [org:] */
	gint64 reopen_window;
	gint64 retry_max_age;  /* outbound mail older than this is given up */
	gint64 digest_time;    /* minutes after local midnight digests go out */
	/* [smtp] */
	gboolean has_smtp;
	char *smtp_url;
	char *smtp_tls;
	char *smtp_user;
	char *smtp_password_file;
	gint64 smtp_max_per_connection; /* mails over one connection, then a new one */
	/* [lmtp] */
	char *lmtp_listen;    /* unix:PATH or 127.0.0.1:PORT, or NULL */
	/* [limits] */
	guint64 max_message_size;
	guint64 max_quarantine_size;
	guint64 max_attachment_size;
	gint64 max_mime_depth;
	gint64 max_parts;
	gint64 max_headers;
	guint64 max_header_length;
	guint64 max_text_size;
	gint64 auto_replies_per_hour;
	gint64 new_tickets_per_sender;  /* per hour, unknown senders; 0: no limit */
	gint64 new_tickets_per_domain;  /* per hour, domains of no [org:]; 0: no limit */
	gint64 regex_match_limit;       /* PCRE2 match limit of filter rules */
	gint64 regex_depth_limit;       /* PCRE2 depth limit of filter rules */
	guint64 max_template_output;    /* rendered bytes of one mail */
	char **fallback_charsets;
	/* sections */
	GPtrArray *groups;    /* config_group_t*, file order; never empty */
	GPtrArray *members;   /* config_member_t* */
	GPtrArray *imap;      /* config_imap_t* */
	GPtrArray *plans;     /* config_plan_t* */
	GPtrArray *orgs;      /* config_org_t* */
	GPtrArray *webhooks;  /* config_webhook_t*, file order */
	char **own_addresses; /* support + group addresses, normalised */
	GHashTable *lines;    /* "section\nkey" and "section" -> line */
} config_t;

/* The config file to use: OPTION (-c) if given, else $POSTDESK_CONF, else
 * ./postdesk.conf if it exists, else SYSCONFDIR/postdesk.conf. New string. */
char *config_find(const char *option);

/* Load and validate PATH. WARNINGS (may be NULL) receives a new string per
 * warning ("FILE:LINE: ..."). Returns a new config, or NULL with
 * PD_ERROR_CONFIG whose message holds every problem, one per line. */
config_t *config_load(const char *path, GPtrArray *warnings, GError **error);
/* The largest config file accepted, in bytes. */
#define CONFIG_MAX_FILE (1024 * 1024)
/* As config_load() for LEN bytes of TEXT (borrowed, need not end in a NUL)
 * read from PATH: PATH names the file in messages and anchors relative
 * paths in it (holidays). The fuzz target's entry point. */
config_t *config_load_data(const char *path, const char *text, gsize len,
			   GPtrArray *warnings, GError **error);
void config_free(config_t *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(config_t, config_free)

/* Every key config_load() reads, "SECTION KEY" a string, named sections
 * by their prefix ("gateway database", "group: tier"), in the order of
 * the table; for the test that holds postdesk.conf(5) to it. New
 * NULL-terminated array, free with g_strfreev(). */
char **config_key_names(void);

/* The line of KEY in SECTION (KEY NULL: the section header), 0 if unset. */
gint64 config_line(const config_t *cfg, const char *section, const char *key);

/* Lookups; borrowed results valid as long as CFG, NULL when none. */
const config_group_t *config_group(const config_t *cfg, const char *name);
/* The group whose address (or the support address: default group) is ADDR. */
const config_group_t *config_group_for_address(const config_t *cfg, const char *addr);
const config_group_t *config_group_for_list(const config_t *cfg, const char *list_id);
/* The member whose address or alias is ADDR (normalised). */
const config_member_t *config_member(const config_t *cfg, const char *addr);
/* Whether M works in GROUP: listed in its groups, or in every group when
 * it lists none. */
gboolean config_member_in_group(const config_member_t *m, const char *group);
const config_plan_t *config_plan(const config_t *cfg, const char *name);
/* The plan of DOMAIN's organisation, else [gateway] default_plan; NULL
 * when neither. */
const config_plan_t *config_plan_for(const config_t *cfg, const char *domain);
/* Whether PLAN (NULL: no plan, every group) reaches GROUP: listed in its
 * groups, or every group when it lists none. */
gboolean config_plan_reaches(const config_plan_t *plan, const char *group);
/* The highest tier a ticket on PLAN may be raised to (4 when PLAN is NULL). */
gint64 config_plan_max_tier(const config_plan_t *plan);
/* Whether PLAN has emergency engagement (FALSE when PLAN is NULL). */
gboolean config_plan_emergency(const config_plan_t *plan);

typedef enum {
	CONFIG_FIRST_RESPONSE,
	CONFIG_NEXT_RESPONSE,
	CONFIG_RESOLUTION,
} config_target_kind_t;

/* The target of KIND for a ticket of group G at PRIORITY (an unknown
 * one counts as normal) whose organisation is on PLAN (may be NULL): the
 * plan's where it sets that priority, else the group's. Business
 * seconds in G's calendar; 0: no target. */
gint64 config_target(const config_group_t *g, const config_plan_t *plan,
		     config_target_kind_t kind, const char *priority);
/* How long after it was resolved a ticket of group G (may be NULL) is
 * reopened by mail: [gateway] reopen_window, or the group's close_after
 * where that is shorter, since a closed ticket is never reopened. 0:
 * never. */
gint64 config_reopen_window(const config_t *cfg, const config_group_t *g);
const config_imap_t *config_imap(const config_t *cfg, const char *name);
const config_webhook_t *config_webhook(const config_t *cfg, const char *name);
/* TRUE when ADDR is the support address or a group address. */
gboolean config_is_own_address(const config_t *cfg, const char *addr);
/* NULL-terminated list of the support and group addresses (borrowed). */
const char *const *config_own_addresses(const config_t *cfg);
#endif
