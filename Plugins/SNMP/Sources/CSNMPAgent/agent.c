/* The AgentX subagent of the SNMP plugin: see include/swiftlet_snmp_agent.h. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "swiftlet_snmp_agent.h"

#define APPLICATION "swiftlet"

/* snmpTrapOID.0 (SNMPv2-MIB), the first varbind of every notification. */
static const oid trap_oid_name[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

/* net-snmp's subagent session with the master; NULL while there is none. */
extern netsnmp_session *main_session;

typedef struct {
    oid name[MAX_OID_LEN];
    size_t length;
    int32_t type;
    char *text;
    size_t text_length;
    int64_t number;
} entry;

typedef struct {
    entry *entries;
    size_t count;
} table;

typedef struct registration {
    oid name[MAX_OID_LEN];
    size_t length;
    int priority;
    struct registration *next;
} registration;

typedef struct notification {
    oid trap[MAX_OID_LEN];
    size_t trap_length;
    table values;
    struct notification *next;
} notification;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by lock. */
static table served;
static registration *pending_registrations;
static notification *pending_notifications;
static int running;
static int connected;

/* The agent thread's own. */
static pthread_t thread;
static int wake_pipe[2] = {-1, -1};
static char *master_socket;
static int ping_interval;
static swiftlet_snmp_log_fn logger;

static void free_table(table *t) {
    for (size_t i = 0; i < t->count; i++) free(t->entries[i].text);
    free(t->entries);
    t->entries = NULL;
    t->count = 0;
}

static int compare_entries(const void *a, const void *b) {
    const entry *x = a, *y = b;
    return snmp_oid_compare(x->name, x->length, y->name, y->length);
}

/* Copies values into a table sorted by OID; values with an OID too long are left out. */
static table copy_values(const swiftlet_snmp_value *values, size_t count) {
    table t = {calloc(count ? count : 1, sizeof(entry)), 0};
    if (t.entries == NULL) return t;
    for (size_t i = 0; i < count; i++) {
        const swiftlet_snmp_value *v = &values[i];
        if (v->oid_length == 0 || v->oid_length > MAX_OID_LEN) continue;
        entry *e = &t.entries[t.count];
        for (size_t j = 0; j < v->oid_length; j++) e->name[j] = v->oid[j];
        e->length = v->oid_length;
        e->type = v->type;
        e->number = v->number;
        if (v->type == SWIFTLET_SNMP_STRING) {
            e->text = malloc(v->text_length ? v->text_length : 1);
            if (e->text == NULL) continue;
            memcpy(e->text, v->text, v->text_length);
            e->text_length = v->text_length;
        }
        t.count++;
    }
    qsort(t.entries, t.count, sizeof(entry), compare_entries);
    return t;
}

static void wake(void) {
    if (wake_pipe[1] >= 0) {
        char byte = 1;
        ssize_t written = write(wake_pipe[1], &byte, 1);
        (void)written; /* a full pipe wakes the thread as well */
    }
}

/* Sets a varbind to an entry's value, as its type says. */
static void set_value(netsnmp_variable_list *vb, const entry *e) {
    switch (e->type) {
    case SWIFTLET_SNMP_INTEGER: {
        long value = (long)e->number;
        snmp_set_var_typed_value(vb, ASN_INTEGER, &value, sizeof(value));
        break;
    }
    case SWIFTLET_SNMP_GAUGE:
    case SWIFTLET_SNMP_TIMETICKS: {
        u_long value = e->number < 0 ? 0 : e->number > 0xFFFFFFFFLL ? 0xFFFFFFFFUL : (u_long)e->number;
        snmp_set_var_typed_value(vb, e->type == SWIFTLET_SNMP_GAUGE ? ASN_GAUGE : ASN_TIMETICKS, &value, sizeof(value));
        break;
    }
    case SWIFTLET_SNMP_COUNTER64: {
        uint64_t number = e->number < 0 ? 0 : (uint64_t)e->number;
        struct counter64 value = {(u_long)(number >> 32), (u_long)(number & 0xFFFFFFFFULL)};
        snmp_set_var_typed_value(vb, ASN_COUNTER64, &value, sizeof(value));
        break;
    }
    default:
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->text ? e->text : "", e->text_length);
        break;
    }
}

/* GET and GETNEXT under one registered subtree, from the published values. */
static int handle(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
                  netsnmp_agent_request_info *info, netsnmp_request_info *requests) {
    (void)handler;
    pthread_mutex_lock(&lock);
    for (netsnmp_request_info *request = requests; request; request = request->next) {
        netsnmp_variable_list *vb = request->requestvb;
        const entry *found = NULL;
        for (size_t i = 0; i < served.count && found == NULL; i++) {
            const entry *e = &served.entries[i];
            if (snmp_oidtree_compare(e->name, e->length, reg->rootoid, reg->rootoid_len) != 0) continue;
            int order = snmp_oid_compare(e->name, e->length, vb->name, vb->name_length);
            if ((info->mode == MODE_GET && order == 0) || (info->mode == MODE_GETNEXT && order > 0)) found = e;
        }
        if (found == NULL) {
            /* GET: no such instance. GETNEXT: nothing here after it; the master asks the next subtree. */
            if (info->mode == MODE_GET) netsnmp_set_request_error(info, request, SNMP_NOSUCHINSTANCE);
            continue;
        }
        if (info->mode == MODE_GETNEXT) snmp_set_var_objid(vb, found->name, found->length);
        set_value(vb, found);
    }
    pthread_mutex_unlock(&lock);
    return SNMP_ERR_NOERROR;
}

static int log_line(int major, int minor, void *server_argument, void *client_argument) {
    (void)major;
    (void)minor;
    (void)client_argument;
    const struct snmp_log_message *message = server_argument;
    if (logger == NULL || message == NULL || message->msg == NULL) return 0;
    char line[512];
    size_t length = strlen(message->msg);
    if (length >= sizeof(line)) length = sizeof(line) - 1;
    memcpy(line, message->msg, length);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) length--;
    line[length] = 0;
    if (length > 0) logger(message->priority, line);
    return 0;
}

static void send_notification(const notification *n) {
    netsnmp_variable_list *vars = NULL;
    snmp_varlist_add_variable(&vars, trap_oid_name, OID_LENGTH(trap_oid_name), ASN_OBJECT_ID, (const u_char *)n->trap,
                              n->trap_length * sizeof(oid));
    for (size_t i = 0; i < n->values.count; i++) {
        const entry *e = &n->values.entries[i];
        netsnmp_variable_list *vb = snmp_varlist_add_variable(&vars, e->name, e->length, ASN_NULL, NULL, 0);
        if (vb) set_value(vb, e);
    }
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

/* Woken through the pipe: registers and sends what other threads queued. */
static void apply_pending(int fd, void *data) {
    (void)data;
    char buffer[64];
    while (read(fd, buffer, sizeof(buffer)) > 0) {
    }
    pthread_mutex_lock(&lock);
    registration *registrations = pending_registrations;
    notification *notifications = pending_notifications;
    pending_registrations = NULL;
    pending_notifications = NULL;
    pthread_mutex_unlock(&lock);
    while (registrations) {
        registration *next = registrations->next;
        netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
            APPLICATION, handle, registrations->name, registrations->length, HANDLER_CAN_RONLY);
        if (reg) {
            reg->priority = registrations->priority;
            if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK)
                snmp_log(LOG_WARNING, "cannot register a subtree with the master agent\n");
        }
        free(registrations);
        registrations = next;
    }
    /* Queued newest first: sent in the order they happened. */
    notification *ordered = NULL;
    while (notifications) {
        notification *next = notifications->next;
        notifications->next = ordered;
        ordered = notifications;
        notifications = next;
    }
    while (ordered) {
        notification *next = ordered->next;
        if (main_session) send_notification(ordered);
        free_table(&ordered->values);
        free(ordered);
        ordered = next;
    }
}

static void *run(void *argument) {
    (void)argument;
    snmp_disable_log();
    snmp_enable_calllog();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_line, NULL);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, master_socket);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, ping_interval);
    /* A subagent inside the gateway: no snmp.conf of its own, nothing written to /var/lib/snmp. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    /* It needs no MIB files (every OID is numeric): none are looked for, none are parsed. */
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
    init_agent(APPLICATION);
    init_snmp(APPLICATION);
    register_readfd(wake_pipe[0], apply_pending, NULL);
    apply_pending(wake_pipe[0], NULL);
    for (;;) {
        pthread_mutex_lock(&lock);
        int go_on = running;
        connected = main_session != NULL;
        pthread_mutex_unlock(&lock);
        if (!go_on) break;
        agent_check_and_process(1);
    }
    unregister_readfd(wake_pipe[0]);
    snmp_shutdown(APPLICATION);
    shutdown_agent();
    return NULL;
}

int32_t swiftlet_snmp_start(const char *socket, int32_t ping_seconds, swiftlet_snmp_log_fn log) {
    pthread_mutex_lock(&lock);
    int already = running;
    running = 1;
    pthread_mutex_unlock(&lock);
    if (already) return -1;
    if (pipe(wake_pipe) != 0) goto failed;
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
    master_socket = strdup(socket);
    ping_interval = ping_seconds > 0 ? ping_seconds : 5;
    logger = log;
    if (master_socket == NULL || pthread_create(&thread, NULL, run, NULL) != 0) goto failed;
    return 0;
failed:
    pthread_mutex_lock(&lock);
    running = 0;
    pthread_mutex_unlock(&lock);
    return -1;
}

void swiftlet_snmp_publish(const swiftlet_snmp_value *values, size_t count) {
    table fresh = copy_values(values, count);
    pthread_mutex_lock(&lock);
    table old = served;
    served = fresh;
    pthread_mutex_unlock(&lock);
    free_table(&old);
}

void swiftlet_snmp_register(const uint32_t *name, size_t length, int32_t priority) {
    if (length == 0 || length > MAX_OID_LEN) return;
    registration *r = calloc(1, sizeof(registration));
    if (r == NULL) return;
    for (size_t i = 0; i < length; i++) r->name[i] = name[i];
    r->length = length;
    r->priority = priority < 1 ? 1 : priority > 255 ? 255 : priority;
    pthread_mutex_lock(&lock);
    r->next = pending_registrations;
    pending_registrations = r;
    pthread_mutex_unlock(&lock);
    wake();
}

void swiftlet_snmp_notify(const uint32_t *trap_oid, size_t length, const swiftlet_snmp_value *values, size_t count) {
    if (length == 0 || length > MAX_OID_LEN) return;
    notification *n = calloc(1, sizeof(notification));
    if (n == NULL) return;
    for (size_t i = 0; i < length; i++) n->trap[i] = trap_oid[i];
    n->trap_length = length;
    /* Varbinds keep the order given (not sorted). */
    n->values.entries = calloc(count ? count : 1, sizeof(entry));
    for (size_t i = 0; n->values.entries && i < count; i++) {
        table one = copy_values(&values[i], 1);
        if (one.count == 1) n->values.entries[n->values.count++] = one.entries[0];
        free(one.entries);
    }
    pthread_mutex_lock(&lock);
    n->next = pending_notifications;
    pending_notifications = n;
    pthread_mutex_unlock(&lock);
    wake();
}

int32_t swiftlet_snmp_connected(void) {
    pthread_mutex_lock(&lock);
    int value = connected;
    pthread_mutex_unlock(&lock);
    return value;
}

void swiftlet_snmp_stop(void) {
    pthread_mutex_lock(&lock);
    int was = running;
    running = 0;
    pthread_mutex_unlock(&lock);
    if (!was) return;
    wake();
    pthread_join(thread, NULL);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    wake_pipe[0] = wake_pipe[1] = -1;
    free(master_socket);
    master_socket = NULL;
}
