/* figures: the tables of published figures (see figures.h). Changing a row
 * here means changing CLOISTER-MIB.txt and docs/snmp.md: the integration
 * tests compare the three. */
#include "figures.h"
#include "snap.h"

#include "cloister_config.h"

#define AGG(field) static uint64_t v_##field(const struct stats_aggregate *a) \
	{ return a->field; }
#define CTR(name, idx) static uint64_t v_##name(const struct stats_aggregate *a) \
	{ return a->counter[idx]; }

AGG(processes)
AGG(max_processes)
AGG(spawns)
AGG(exits_ok)
AGG(exits_error)
AGG(crashes)
AGG(restarts)
AGG(refusals)
AGG(start_failures)
AGG(backoffs)
AGG(held)
CTR(connections, ST_CONNECTIONS)
CTR(auth_ok, ST_AUTH_OK)
CTR(auth_fail, ST_AUTH_FAIL)
CTR(commands, ST_COMMANDS)
CTR(bytes_in, ST_BYTES_IN)
CTR(bytes_out, ST_BYTES_OUT)
CTR(errors, ST_ERRORS)
CTR(deliveries, ST_DELIVERIES)
CTR(recipients, ST_RECIPIENTS)
CTR(rejections, ST_REJECTIONS)
CTR(store_ops, ST_STORE_OPS)
CTR(store_appends, ST_STORE_APPENDS)

/* Rows sharing a metric name must be adjacent: the HELP/TYPE header is
 * written once per run of equal names. */
const struct fig_column fig_columns[] = {
	{ 2, "cloisterServiceName", FIG_STRING, NULL, NULL,
	    "The service's name in the configuration.", NULL },
	{ 3, "cloisterServiceProcesses", FIG_GAUGE, "cloister_processes", NULL,
	    "Live processes of the service.", v_processes },
	{ 4, "cloisterServiceMaxProcesses", FIG_GAUGE, "cloister_max_processes",
	    NULL, "Configured maximum number of processes of the service.",
	    v_max_processes },
	{ 5, "cloisterServiceConnections", FIG_COUNTER,
	    "cloister_connections_total", NULL,
	    "Client connections served.", v_connections },
	{ 6, "cloisterServiceLoginsOk", FIG_COUNTER, "cloister_logins_total",
	    "result=\"ok\"", "Logins, by result.", v_auth_ok },
	{ 7, "cloisterServiceLoginsFailed", FIG_COUNTER, "cloister_logins_total",
	    "result=\"failed\"", "Logins, by result.", v_auth_fail },
	{ 8, "cloisterServiceCommands", FIG_COUNTER, "cloister_commands_total",
	    NULL, "Protocol commands handled.", v_commands },
	{ 9, "cloisterServiceBytesIn", FIG_COUNTER,
	    "cloister_received_bytes_total", NULL,
	    "Bytes received from clients.", v_bytes_in },
	{ 10, "cloisterServiceBytesOut", FIG_COUNTER,
	    "cloister_sent_bytes_total", NULL,
	    "Bytes sent to clients.", v_bytes_out },
	{ 11, "cloisterServiceProtocolErrors", FIG_COUNTER,
	    "cloister_protocol_errors_total", NULL,
	    "Protocol errors answered (IMAP BAD, LMTP 5xx, HTTP 4xx).", v_errors },
	{ 12, "cloisterServiceSpawns", FIG_COUNTER, "cloister_spawns_total", NULL,
	    "Processes started by the supervisor.", v_spawns },
	{ 13, "cloisterServiceExitsOk", FIG_COUNTER, "cloister_exits_total",
	    "status=\"ok\"", "Processes that exited, by exit status.", v_exits_ok },
	{ 14, "cloisterServiceExitsError", FIG_COUNTER, "cloister_exits_total",
	    "status=\"error\"", "Processes that exited, by exit status.",
	    v_exits_error },
	{ 15, "cloisterServiceCrashes", FIG_COUNTER, "cloister_crashes_total",
	    NULL, "Processes killed by a signal.", v_crashes },
	{ 16, "cloisterServiceRestarts", FIG_COUNTER, "cloister_restarts_total",
	    NULL, "Restarts after an unexpected death.", v_restarts },
	{ 17, "cloisterServiceRefusals", FIG_COUNTER, "cloister_refusals_total",
	    NULL, "Connections refused by limits.", v_refusals },
	{ 18, "cloisterServiceDeliveries", FIG_COUNTER,
	    "cloister_deliveries_total", NULL,
	    "Messages delivered (per recipient).", v_deliveries },
	{ 19, "cloisterServiceRecipients", FIG_COUNTER,
	    "cloister_recipients_total", NULL, "Recipients accepted.",
	    v_recipients },
	{ 20, "cloisterServiceRejections", FIG_COUNTER,
	    "cloister_rejections_total", NULL,
	    "Recipients or messages refused.", v_rejections },
	{ 21, "cloisterServiceStoreOperations", FIG_COUNTER,
	    "cloister_store_operations_total", NULL,
	    "Store requests served.", v_store_ops },
	{ 22, "cloisterServiceStoreAppends", FIG_COUNTER,
	    "cloister_store_appends_total", NULL,
	    "Messages appended to the store (including deliveries).",
	    v_store_appends },
	{ 23, "cloisterServiceStartFailures", FIG_COUNTER,
	    "cloister_start_failures_total", NULL,
	    "Processes that exited before they reported ready.",
	    v_start_failures },
	{ 24, "cloisterServiceBackoffs", FIG_COUNTER, "cloister_backoffs_total",
	    NULL, "Restarts delayed by a backoff after a start failure.",
	    v_backoffs },
	{ 25, "cloisterServiceHeld", FIG_GAUGE, "cloister_held", NULL,
	    "1 while the service is held after repeated start failures.",
	    v_held },
};
const size_t fig_ncolumns = sizeof(fig_columns) / sizeof(fig_columns[0]);

static uint64_t s_uptime(const struct snap *s) { return s->uptime_s; }
static uint64_t s_generation(const struct snap *s) { return s->generation; }
static uint64_t s_users(const struct snap *s) { return s->store_users; }
static uint64_t s_messages(const struct snap *s) { return s->store_messages; }
static uint64_t s_deliveries(const struct snap *s) { return s->store_deliveries; }
static uint64_t s_operations(const struct snap *s) { return s->store_operations; }
static uint64_t s_appends(const struct snap *s) { return s->store_appends; }

const struct fig_scalar fig_scalars[] = {
	{ FIG_GENERAL, 1, "cloisterVersion", FIG_STRING, "cloister_info",
	    "Cloister version (label version).", NULL },
	{ FIG_GENERAL, 2, "cloisterUptime", FIG_UNSIGNED,
	    "cloister_uptime_seconds", "Seconds since cloisterd started.",
	    s_uptime },
	{ FIG_GENERAL, 3, "cloisterConfigGeneration", FIG_UNSIGNED,
	    "cloister_config_generation",
	    "Configuration generation (reloads since start).", s_generation },
	{ FIG_STORE, 1, "cloisterStoreUsers", FIG_GAUGE, "cloister_store_users",
	    "Users in the store, all shards.", s_users },
	{ FIG_STORE, 2, "cloisterStoreMessages", FIG_GAUGE,
	    "cloister_store_messages", "Messages in the store, all shards.",
	    s_messages },
	{ FIG_STORE, 3, "cloisterStoreDeliveries", FIG_COUNTER,
	    NULL,
	    "Messages delivered, all services.", s_deliveries },
	{ FIG_STORE, 4, "cloisterStoreOperations", FIG_COUNTER,
	    NULL,
	    "Store requests served, all shards.", s_operations },
	{ FIG_STORE, 5, "cloisterStoreAppends", FIG_COUNTER,
	    NULL,
	    "Messages appended to the store, all shards.", s_appends },
};
const size_t fig_nscalars = sizeof(fig_scalars) / sizeof(fig_scalars[0]);

const char *
fig_version(void)
{
	return CLOISTER_VERSION;
}
