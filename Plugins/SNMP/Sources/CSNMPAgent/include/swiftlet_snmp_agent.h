/*
 * An AgentX subagent (RFC 2741) of the system's snmpd, on net-snmp's agent library, for the SNMP
 * plugin: it serves a table of values under the subtrees it is asked to register, and sends
 * notifications through snmpd (which forwards them to its trap2sink/informsink destinations).
 *
 * net-snmp is not thread-safe: every net-snmp call happens on the subagent's own thread. These
 * functions only hand values to that thread and wake it, so they may be called from any thread.
 */
#ifndef SWIFTLET_SNMP_AGENT_H
#define SWIFTLET_SNMP_AGENT_H

#include <stddef.h>
#include <stdint.h>

enum {
    SWIFTLET_SNMP_STRING = 0,    /* OCTET STRING: text, text_length bytes */
    SWIFTLET_SNMP_INTEGER = 1,   /* INTEGER / Integer32: number */
    SWIFTLET_SNMP_GAUGE = 2,     /* Gauge32 / Unsigned32: number (0 ... 2^32-1) */
    SWIFTLET_SNMP_COUNTER64 = 3, /* Counter64: number (>= 0) */
    SWIFTLET_SNMP_TIMETICKS = 4, /* TimeTicks (hundredths of a second): number */
};

typedef struct {
    const uint32_t *oid;
    size_t oid_length;
    int32_t type;
    const char *text;
    size_t text_length;
    int64_t number;
} swiftlet_snmp_value;

/* A line net-snmp logged: its syslog priority (LOG_ERR = 3 ... LOG_DEBUG = 7) and text. */
typedef void (*swiftlet_snmp_log_fn)(int32_t priority, const char *message);

/*
 * Starts the subagent thread, which connects to the master's AgentX socket ("unix:/path" or a
 * path; "tcp:host:port") and, when the master goes away, pings and reconnects every
 * ping_seconds, registering again everything registered so far. Returns 0, or -1 when already
 * started or the thread cannot be made. Only one subagent per process (net-snmp's state is global).
 */
int32_t swiftlet_snmp_start(const char *socket, int32_t ping_seconds, swiftlet_snmp_log_fn log);

/* Replaces the values served (copied; any order). */
void swiftlet_snmp_publish(const swiftlet_snmp_value *values, size_t count);

/*
 * Registers a subtree with the master at `priority` (1-255, lower wins; snmpd's own modules use
 * 127): GET and GETNEXT under it are answered from the published values. A more specific subtree
 * wins over a less specific one whatever the priority (RFC 2741 7.1.5.1), which is how single
 * instances inside a table of snmpd's own (NET-SNMP-EXTEND-MIB) are served.
 */
void swiftlet_snmp_register(const uint32_t *oid, size_t length, int32_t priority);

/* Sends an SNMPv2 notification: snmpTrapOID.0 = trap_oid, then the values as its varbinds. */
void swiftlet_snmp_notify(const uint32_t *trap_oid, size_t length, const swiftlet_snmp_value *values, size_t count);

/* 1 while the subagent has a session with the master, 0 otherwise. */
int32_t swiftlet_snmp_connected(void);

/* Unregisters, closes the session and ends the thread (waits for it). */
void swiftlet_snmp_stop(void);

#endif
