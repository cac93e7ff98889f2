/* agentx: the net-snmp subagent glue of cloister-snmpd (see agentx.h). */
#include "agentx.h"
#include "agentx_guard.h"
#include "log.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <stdlib.h>
#include <string.h>

/* Exported by libnetsnmp / libnetsnmpagent but not declared in the
 * installed headers. */
extern struct session_list *Sessions;
extern netsnmp_session *main_session;
int netsnmp_callback_recv(netsnmp_transport *, void *, int, void **, int *);

typedef int (*recv_fn)(netsnmp_transport *, void *, int, void **, int *);

static const struct mibview *cur_view;
static struct agentx_guard guard;
static recv_fn master_recv;
static bool guard_failed;
static char ended[192];

/* net-snmp's log lines go to ours, one level each. */
static int
log_cb(int major, int minor, void *server, void *client)
{
	(void)major;
	(void)minor;
	(void)client;
	const struct snmp_log_message *m = server;
	if (m == NULL || m->msg == NULL)
		return 0;
	size_t n = strlen(m->msg);
	while (n > 0 && (m->msg[n - 1] == '\n' || m->msg[n - 1] == '\r'))
		n--;
	if (n == 0)
		return 0;
	enum log_level lvl = m->priority <= LOG_ERR ? LOG_LVL_ERR :
	    m->priority == LOG_WARNING ? LOG_LVL_WARN :
	    m->priority == LOG_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	log_msg(lvl, "net-snmp: %.*s", (int)n, m->msg);
	return 0;
}

/* Every byte from the master passes the guard; a refusal reads as a
 * disconnect to net-snmp, which then drops the session (main_session
 * becomes NULL) instead of waiting or skipping. */
static int
guarded_recv(netsnmp_transport *t, void *buf, int size, void **opaque,
    int *olength)
{
	int n = master_recv(t, buf, size, opaque, olength);
	if (n > 0 && agentx_guard_feed(&guard, buf, (size_t)n) < 0) {
		if (!guard_failed)
			(void)snprintf(ended, sizeof(ended),
			    "malformed AgentX from the master: %s", guard.why);
		guard_failed = true;
		return -1;
	}
	return n;
}

static size_t
to_arcs(const oid *name, size_t len, uint32_t *arcs)
{
	if (len > MIB_OID_MAX)
		len = MIB_OID_MAX;   /* a prefix sorts before: GETNEXT stays right */
	for (size_t i = 0; i < len; i++)
		arcs[i] = name[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)name[i];
	return len;
}

static void
set_value(netsnmp_variable_list *vb, const struct mib_entry *e)
{
	switch (e->kind) {
	case FIG_STRING:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->str, e->strlen);
		break;
	case FIG_GAUGE:
	case FIG_UNSIGNED: {
		/* Gauge32 latches at its maximum (RFC 2578 7.1.7) */
		u_long v = e->value > UINT32_MAX ? UINT32_MAX : (u_long)e->value;
		snmp_set_var_typed_value(vb, e->kind == FIG_GAUGE ? ASN_GAUGE :
		    ASN_UNSIGNED, &v, sizeof(v));
		break;
	}
	case FIG_COUNTER: {
		struct counter64 c;
		c.high = (u_long)(e->value >> 32);
		c.low = (u_long)(e->value & 0xffffffffu);
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
		break;
	}
	}
}

static int
handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)h;
	(void)reg;
	for (netsnmp_request_info *r = requests; r != NULL; r = r->next) {
		if (r->processed)
			continue;
		netsnmp_variable_list *vb = r->requestvb;
		uint32_t arcs[MIB_OID_MAX];
		size_t len = to_arcs(vb->name, vb->name_length, arcs);
		const struct mib_entry *e;
		switch (reqinfo->mode) {
		case MODE_GET:
			e = vb->name_length <= MIB_OID_MAX ?
			    mibview_get(cur_view, arcs, len) : NULL;
			if (e == NULL)
				netsnmp_set_request_error(reqinfo, r,
				    mibview_is_object(cur_view, arcs, len) ?
				    SNMP_NOSUCHINSTANCE : SNMP_NOSUCHOBJECT);
			else
				set_value(vb, e);
			break;
		case MODE_GETNEXT:
			e = mibview_next(cur_view, arcs, len);
			if (e != NULL) {
				oid name[MIB_OID_MAX];
				for (size_t i = 0; i < e->len; i++)
					name[i] = e->oid[i];
				snmp_set_var_objid(vb, name, e->len);
				set_value(vb, e);
			}
			/* else untouched: the agent goes on past our subtree */
			break;
		default:
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_NOTWRITABLE);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static void
quiet_library(const char *socket)
{
	snmp_enable_calllog();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    log_cb, NULL);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
	    socket);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_DISABLE_PERL, 1);
	/* timers run from our poll loop, never from SIGALRM */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* no snmp.conf, no persistent state under /var/lib/snmp */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	/* the MIB files are for humans; the agent loads none */
	setenv("MIBS", "", 1);
}

bool
agentx_start(const char *socket, const struct mibview *view)
{
	cur_view = view;
	quiet_library(socket);
	if (init_agent("cloister-snmpd") != 0)
		log_fatal("agentx: init_agent failed");
	/* no ping alarm, hence no agentx_reopen_session() and no socket()
	 * after confinement: a lost master means exit and restart. Set after
	 * init_agent(), which makes 15 s the subagent default. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 0);
	init_snmp("cloister-snmpd");
	if (main_session == NULL) {
		log_err("agentx: no AgentX session with the master at %s", socket);
		return false;
	}

	oid base[MIB_BASE_MAX];
	for (size_t i = 0; i < view->baselen; i++)
		base[i] = view->base[i];
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
	    "cloister", handler, base, view->baselen, HANDLER_CAN_RONLY);
	if (reg == NULL)
		log_fatal("agentx: cannot create the handler registration");
	int rc = netsnmp_register_handler(reg);
	if (rc != MIB_REGISTERED_OK || main_session == NULL) {
		log_err("agentx: registering the subtree with the master at %s"
		    " failed (%d)", socket, rc);
		return false;
	}

	netsnmp_transport *t = snmp_sess_transport(snmp_sess_pointer(main_session));
	if (t == NULL || t->f_recv == NULL)
		log_fatal("agentx: no transport under the AgentX session");
	agentx_guard_init(&guard);
	master_recv = t->f_recv;
	t->f_recv = guarded_recv;
	log_info("agentx: registered with the master at %s", socket);
	return true;
}

size_t
agentx_fds(int *fds, size_t max)
{
	size_t n = 0;
	for (struct session_list *s = Sessions; s != NULL; s = s->next) {
		netsnmp_transport *t = s->transport;
		if (t == NULL)
			continue;
		if (t->sock >= 0 && n < max)
			fds[n++] = t->sock;
		/* callback transports signal each other over a pipe pair;
		 * both ends are in use */
		if (t->f_recv == netsnmp_callback_recv && t->data != NULL) {
			netsnmp_callback_info *ci = t->data;
			for (int k = 0; k < 2; k++)
				if (ci->pipefds[k] >= 0 && n < max)
					fds[n++] = ci->pipefds[k];
		}
	}
	return n;
}

size_t
agentx_pollfds(struct pollfd *pfd, size_t max, int *timeout_ms)
{
	int numfds = 0, block = 0;
	struct timeval tv = { 0, 0 };
	netsnmp_large_fd_set set;
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	snmp_select_info2(&numfds, &set, &tv, &block);
	size_t k = 0;
	for (int fd = 0; fd < numfds && k < max; fd++) {
		if (!NETSNMP_LARGE_FD_ISSET(fd, &set))
			continue;
		pfd[k].fd = fd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		k++;
	}
	netsnmp_large_fd_set_cleanup(&set);
	if (!block) {
		long ms = tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = (int)ms;
	}
	return k;
}

void
agentx_handle(const struct pollfd *pfd, size_t n)
{
	netsnmp_large_fd_set set;
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	int ready = 0;
	for (size_t i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		NETSNMP_LARGE_FD_SET(pfd[i].fd, &set);
		ready++;
	}
	if (ready)
		snmp_read2(&set);
	else
		snmp_timeout();
	netsnmp_large_fd_set_cleanup(&set);
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
}

bool
agentx_alive(void)
{
	if (main_session == NULL && ended[0] == '\0')
		(void)snprintf(ended, sizeof(ended),
		    "the AgentX master closed the session");
	return main_session != NULL && !guard_failed;
}

const char *
agentx_why(void)
{
	return ended;
}
