/*
 * swiftlet_plugin.h - the Swiftlet plugin ABI, version 1.5.
 *
 * Version notes:
 *   1.0  the first contract.
 *   1.1  (additive) swiftlet_host_api.register_rule_kind: plugins provide rule-engine triggers and
 *        actions. A 1.0 plugin runs unchanged on a 1.1 host; a 1.1 plugin on a 1.0 host sees a
 *        struct_size that ends before register_rule_kind and must treat it as absent.
 *   1.2  (additive) swiftlet_host_api.publish_and_wait: a trigger event answered once the rule
 *        engine has handled it (for sources that acknowledge what they receive only after it is
 *        on disk: MQTT, SMTP); swiftlet_host_api.report_health: a plugin's health for admins;
 *        send_sms takes an idempotency "key", so that a message offered again after a crash is
 *        queued once.
 *   1.3  (additive) swiftlet_host_api.login_attempt: the gateway's failed-login limiter, for
 *        plugins that check credentials themselves (SMTP AUTH). SWIFTLET_PLUGIN_IDENTITY: the
 *        plugin's id and version in an ELF section, which a 1.3 host reads before loading the
 *        library (a library whose identity is not its manifest's is refused without running any of
 *        its code). Both optional: a 1.0-1.2 plugin loads unchanged.
 *   1.4  (additive) plugins as providers. swiftlet_plugin.handle_request: the host asks a plugin
 *        and waits for its answer (send this message, place this call, resolve this name).
 *        swiftlet_host_api.register_provider: a plugin offers a role (SWIFTLET_ROLE_TRANSPORT,
 *        _VOICE, _DIRECTORY) under a name; status_snapshot: the gateway's state, read-only (for
 *        SNMP and metrics plugins); report_metric: a plugin's counters and gauges. A 1.0-1.3
 *        plugin loads unchanged; its descriptor ends before handle_request, so it provides nothing.
 *   1.5  (additive) swiftlet_host_api.report_delivery: a transport reports what became of a message
 *        it accepted (delivered, failed, or sent after all), as a modem's status report does; the
 *        answer to "transport.send" may carry "parts", "cost" and "reports". A 1.0-1.4 plugin
 *        loads unchanged; a 1.5 plugin on a 1.4 host sees a struct_size that ends before
 *        report_delivery and must treat it as absent.
 *
 * This header is the single source of truth of the contract between the Swiftlet gateway (the
 * host) and a plugin: a shared library the host loads with dlopen. A plugin written in C needs
 * this header and nothing else; a plugin written in Swift uses the SwiftletPluginSDK wrapper, which
 * is built on it. It compiles as C99 and as C++, and imports into Swift.
 *
 * Rules that hold for everything below:
 *
 * - ONE EXPORTED SYMBOL. A plugin exports `swiftlet_plugin_entry` (type swiftlet_plugin_entry_fn)
 *   and nothing else the host looks at. The host never unloads a plugin.
 * - VERSIONS. An ABI version is 0x00MMmmmm: major in the high 16 bits, minor in the low 16.
 *   Within a major version every change is additive: a struct grows only at its end, and its first
 *   field, `struct_size`, says how much of it the writer knew. A reader uses
 *   min(struct_size, the size it knows) and treats fields beyond the writer's size as absent (NULL).
 *   A new major version is a new contract.
 * - STRINGS are UTF-8 with an explicit length (swiftlet_str), not necessarily NUL-terminated.
 *   Only the two identity strings of swiftlet_plugin are NUL-terminated C strings.
 * - OWNERSHIP. Every pointer passed into a function (in either direction) is borrowed for the
 *   duration of that call only; the receiver copies what it wants to keep. Nothing returned by the
 *   host must be freed by the plugin and vice versa.
 * - ERRORS are swiftlet_status codes; where a call can fail, a detail text for humans travels with
 *   the code (through a swiftlet_reply_fn).
 * - DATA (requests, events, replies) crosses as JSON objects, UTF-8, length-delimited. Each one's
 *   schema is documented where it is used, and in PluginSDK/README.md. Readers ignore members they
 *   do not know, so members can be added without a new ABI version.
 * - THREADS. The host calls a plugin from its own threads, never two lifecycle calls at once, and
 *   delivers events one at a time, in order. A plugin may call the host API from any thread at any
 *   time between create() returning SWIFTLET_OK and the end of stop() (its done); after that the
 *   host refuses calls (SWIFTLET_ERR_UNAVAILABLE). Every host function is thread-safe.
 *   Neither side may block for long inside a call from the other: a plugin that needs to wait (a
 *   socket, a C library's loop) does so on a thread of its own.
 * - TRUST. A plugin runs inside the gateway's process: if it crashes, the gateway crashes.
 */
#ifndef SWIFTLET_PLUGIN_H
#define SWIFTLET_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions and the entry symbol
 * ------------------------------------------------------------------------------------------- */

/* The versions this header describes. Plain literals so that Swift imports them. */
#define SWIFTLET_ABI_VERSION_1_0 0x00010000u
#define SWIFTLET_ABI_VERSION_1_1 0x00010001u
#define SWIFTLET_ABI_VERSION_1_2 0x00010002u
#define SWIFTLET_ABI_VERSION_1_3 0x00010003u
#define SWIFTLET_ABI_VERSION_1_4 0x00010004u
#define SWIFTLET_ABI_VERSION_1_5 0x00010005u
#define SWIFTLET_ABI_VERSION_CURRENT 0x00010005u

/* The name of the one symbol a plugin exports. */
#define SWIFTLET_PLUGIN_ENTRY_SYMBOL "swiftlet_plugin_entry"

/*
 * ABI 1.3: names the plugin inside its library file, so that the gateway can check the library
 * against its manifest before loading it (and so before any constructor of it runs). Write it once,
 * at file scope, in one C file of the plugin, with the same literals as the descriptor's id and version:
 *
 *     SWIFTLET_PLUGIN_IDENTITY("hello", "1.0.0");
 *
 * It puts "swiftlet-plugin\0<id>\0<version>\0" into the ELF section ".swiftlet_plugin". A library
 * without the section still loads; its identity is then checked after loading, from the descriptor.
 * (A Swift plugin adds the section after linking: see PluginSDK/README.md, "Identity".)
 */
#define SWIFTLET_PLUGIN_IDENTITY_SECTION ".swiftlet_plugin"
#define SWIFTLET_PLUGIN_IDENTITY(id, version)                                                              \
    __attribute__((used, section(".swiftlet_plugin"))) static const char swiftlet_plugin_identity_[] = \
        "swiftlet-plugin\0" id "\0" version

/* ---------------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------------- */

typedef int32_t swiftlet_status;

#define SWIFTLET_OK 0
/* The request is malformed: not JSON, a missing or wrong member, a value out of range. */
#define SWIFTLET_ERR_INVALID 1
/* What the request names does not exist (a contact, a group, a key, a timer). */
#define SWIFTLET_ERR_NOT_FOUND 2
/* The other side does not offer this (an older ABI, a field it does not know, a NULL function). */
#define SWIFTLET_ERR_UNSUPPORTED 3
/* Not now: the store is unavailable or the gateway is stopping. Trying again later may work. */
#define SWIFTLET_ERR_UNAVAILABLE 4
/* Not allowed for this plugin (e.g. publishing an event kind outside its own namespace). */
#define SWIFTLET_ERR_DENIED 5
/* Anything else; the detail says what. */
#define SWIFTLET_ERR_INTERNAL 6

/* Log levels, as the gateway's log names them. */
#define SWIFTLET_LOG_TRACE 0
#define SWIFTLET_LOG_DEBUG 1
#define SWIFTLET_LOG_INFO 2
#define SWIFTLET_LOG_NOTICE 3
#define SWIFTLET_LOG_WARNING 4
#define SWIFTLET_LOG_ERROR 5
#define SWIFTLET_LOG_CRITICAL 6

/* Roles of a rule-engine kind (ABI 1.1, register_rule_kind). */
#define SWIFTLET_RULE_TRIGGER 1
#define SWIFTLET_RULE_ACTION 2

/* A plugin's health (ABI 1.2, report_health). */
#define SWIFTLET_HEALTH_OK 0
#define SWIFTLET_HEALTH_DEGRADED 1
#define SWIFTLET_HEALTH_DOWN 2

/* The phases of a login a plugin checks (ABI 1.3, login_attempt). */
#define SWIFTLET_LOGIN_CHECK 0
#define SWIFTLET_LOGIN_FAILED 1

/* What a provider offers (ABI 1.4, register_provider); each needs the manifest capability of its name. */
/* "transport": sends outgoing SMS instead of a modem (a cloud relay). Requests: "transport.send". */
#define SWIFTLET_ROLE_TRANSPORT 1
/* "voice": places calls (ring, text-to-speech, a recording). Requests: "voice.call". */
#define SWIFTLET_ROLE_VOICE 2
/* "directory": names to numbers (LDAP). Requests: "directory.resolve", "directory.groups",
 * "directory.verify". */
#define SWIFTLET_ROLE_DIRECTORY 3

/* ---------------------------------------------------------------------------------------------
 * Common types
 * ------------------------------------------------------------------------------------------- */

/* A UTF-8 string of `size` bytes. `data` may be NULL when `size` is 0. Borrowed (see OWNERSHIP). */
typedef struct swiftlet_str {
    const char *data;
    size_t size;
} swiftlet_str;

/* The host's handle for one plugin instance. Opaque: pass it back to every host function. */
typedef struct swiftlet_host swiftlet_host;

/*
 * The answer to an asynchronous request. Called exactly once per request, from any thread,
 * possibly before the requesting function has returned. `body` is the reply's JSON when `status`
 * is SWIFTLET_OK and a detail text for humans otherwise; it is borrowed for the duration of the call.
 * `context` is the pointer given with the request, untouched. Return quickly.
 */
typedef void (*swiftlet_reply_fn)(void *context, swiftlet_status status, swiftlet_str body);

/* A timer has fired. Called from a host thread; return quickly. */
typedef void (*swiftlet_timer_fn)(void *context, uint64_t timer_id);

/* ---------------------------------------------------------------------------------------------
 * Host services (the host fills this table; the plugin calls through it)
 * ------------------------------------------------------------------------------------------- */

typedef struct swiftlet_host_api {
    /* sizeof(swiftlet_host_api) as the host knows it. Fields beyond it are absent. */
    uint32_t struct_size;
    /* The ABI version in force for this plugin: the one it chose in swiftlet_plugin.abi_version. */
    uint32_t abi_version;
    /* The gateway's version, e.g. "0.2.0". */
    swiftlet_str host_version;

    /* Writes `message` to the gateway's log at `level` (SWIFTLET_LOG_*), tagged with the plugin's id. */
    void (*log)(swiftlet_host *host, int32_t level, swiftlet_str message);

    /*
     * Queues an outgoing SMS. Request:
     *   {"to": ["+46701234567", ...],      numbers (international with +, or national)
     *    "contacts": ["Anna", ...],        phonebook contact names
     *    "groups": ["oncall", ...],        phonebook group names (every member)
     *    "text": "...",                    required, 1 to 1530 characters
     *    "priority": 0..9, "unicode": false, "flash": false, "modem_no": 1,
     *    "date": "2026-11-22T08:00:00Z",   optional; send at this time (ISO 8601), else now
     *    "key": "..."}                     optional (1.2), 1 to 200 bytes: an idempotency key. A
     *                                      request with a key this plugin used before (within 30
     *                                      days) queues nothing and is answered with the first's ids.
     * At least one of to/contacts/groups. One message per distinct number.
     * Reply: {"ids": [12, 13]} once every message is committed to disk (with a key, in the same
     * transaction as the key: a crash leaves both or neither). A 1.0/1.1 host ignores "key".
     */
    void (*send_sms)(swiftlet_host *host, swiftlet_str request, swiftlet_reply_fn reply, void *context);

    /*
     * Delivers an incoming message, for plugins that are message sources (a cloud relay, a second
     * modem type). Request: {"from": "+46701234567", "text": "...",
     *   "sent_at": "2026-11-22T08:00:00Z" (optional), "channel": "name of the source" (optional)}
     * The message is committed to the inbox and published as an `sms.incoming` event.
     * Reply: {"id": 42}.
     */
    void (*deliver_incoming)(swiftlet_host *host, swiftlet_str message, swiftlet_reply_fn reply, void *context);

    /*
     * Looks up the phonebook. Request: exactly one of
     *   {"number": "+46701234567"}   contacts with that number, and the groups they are in
     *   {"contact": "Anna"}          the contact of that name
     *   {"group": "oncall"}          the group of that name and its members
     * Reply: {"contacts": [{"id": 1, "name": "Anna", "number": "+46701234567", "groups": ["oncall"]}],
     *         "groups": [{"id": 3, "name": "oncall", "members": 4}]}   (empty arrays if nothing matches)
     */
    void (*phonebook_lookup)(swiftlet_host *host, swiftlet_str query, swiftlet_reply_fn reply, void *context);

    /*
     * Changes group membership. Request:
     *   {"op": "add_to_group", "group": "news", "number": "+46701234567", "name": "optional contact name",
     *    "create_group": true}   adds the number (a contact is created for it if none has it);
     *                            the group is created if missing and create_group is true, else NOT_FOUND
     *   {"op": "remove_from_group", "group": "news", "number": "+46701234567"}
     * Reply: {"changed": true} (false if the number was already in, or not in, the group).
     */
    void (*phonebook_update)(swiftlet_host *host, swiftlet_str request, swiftlet_reply_fn reply, void *context);

    /*
     * Resolves a name to numbers the way mail to NAME@gateway is resolved: a phonebook contact, a
     * phonebook group, then directory providers (LDAP, when that plugin is enabled).
     * Request: {"name": "oncall"}.  Reply: {"numbers": ["+4670...", ...], "source": "phonebook-group"}
     * NOT_FOUND if nothing has that name.
     */
    void (*directory_lookup)(swiftlet_host *host, swiftlet_str query, swiftlet_reply_fn reply, void *context);

    /*
     * Asks for events of `kind` to be delivered to swiftlet_plugin.handle_event. Core kinds:
     *   "sms.incoming" {"id", "from", "text", "sent_at", "received_at", "modem", "unicode"}
     *   "sms.status"   {"id", "to", "status": "sent"|"failed"|"delivered"|"undelivered", "at",
     *                   "modem", "error" (failed only)}
     *   "modem.status" {"modem", "modem_no", "state": "ready"|"connecting"|"down", "detail"}
     *   "call.incoming" {"from", "modem", "at"}   (the modem rings; not answered)
     * and any kind other plugins publish ("<their id>.<name>"). "*" subscribes to every kind.
     * Returns SWIFTLET_OK, or SWIFTLET_ERR_INVALID for an empty kind.
     */
    swiftlet_status (*subscribe)(swiftlet_host *host, swiftlet_str kind);

    /*
     * Publishes an event of `kind`, which must be "<plugin id>.<name>" (else SWIFTLET_ERR_DENIED), with
     * a JSON object as its body (else SWIFTLET_ERR_INVALID), to every subscriber. Not durable.
     */
    swiftlet_status (*publish)(swiftlet_host *host, swiftlet_str kind, swiftlet_str event);

    /*
     * The plugin's private, durable key-value store (keys 1-256 bytes, values up to 1 MiB of UTF-8).
     * state_get replies with the value itself as the body (not JSON-wrapped), or SWIFTLET_ERR_NOT_FOUND.
     * state_put and state_delete reply with "{}" once the change is committed to disk.
     */
    void (*state_get)(swiftlet_host *host, swiftlet_str key, swiftlet_reply_fn reply, void *context);
    void (*state_put)(swiftlet_host *host, swiftlet_str key, swiftlet_str value, swiftlet_reply_fn reply,
                      void *context);
    void (*state_delete)(swiftlet_host *host, swiftlet_str key, swiftlet_reply_fn reply, void *context);

    /*
     * Calls `fire(context, id)` after `delay_ms` milliseconds, then every `interval_ms` if it is not
     * 0, until cancelled or the plugin is stopped. Writes the timer's id (never 0) to `*timer_id`.
     */
    swiftlet_status (*timer_start)(swiftlet_host *host, uint64_t delay_ms, uint64_t interval_ms,
                                   swiftlet_timer_fn fire, void *context, uint64_t *timer_id);
    /* Cancels a timer; after it returns, `fire` is not called again for it. NOT_FOUND if unknown. */
    swiftlet_status (*timer_cancel)(swiftlet_host *host, uint64_t timer_id);

    /* ---- ABI 1.1 -------------------------------------------------------------------------- */

    /*
     * Registers a kind of the rule engine this plugin provides (manifest capability "rules").
     * `kind` is "<plugin id>.<name>" (else SWIFTLET_ERR_DENIED).
     *   role SWIFTLET_RULE_TRIGGER: the plugin publishes events of this kind (publish); rules name
     *     it under `on:` and test the event's members in their conditions.
     *   role SWIFTLET_RULE_ACTION: rules name it under `then:` with parameters (a mapping). Each
     *     action taken reaches the plugin's handle_event as an event of this kind:
     *       {"rule": "name", "parameters": {...}, "event": {"from": "...", ...}}
     *     the parameters as the rule wrote them, their texts' placeholders ({sender}, {text}, ...)
     *     filled in from the triggering event, whose fields travel as texts in "event".
     * `schema`: for an action, a JSON Schema (the subset manifests' "configuration" uses) that a
     * rule's parameters must match; rules that do not are refused with the reason. Empty for none.
     * Register in start(); rules that use a kind wait for it to be registered.
     * Returns SWIFTLET_OK, SWIFTLET_ERR_INVALID (bad kind, role or schema; the detail is logged),
     * SWIFTLET_ERR_DENIED, or SWIFTLET_ERR_UNSUPPORTED when the gateway runs no rule engine.
     */
    swiftlet_status (*register_rule_kind)(swiftlet_host *host, swiftlet_str kind, int32_t role,
                                          swiftlet_str schema);

    /* ---- ABI 1.2 -------------------------------------------------------------------------- */

    /*
     * Publishes an event like `publish` (same rules for `kind` and `event`, capability "publish"),
     * and replies once the rule engine has handled it: every rule it matches has fired, and the
     * messages and escalations those rules start are committed to disk (webhooks may still be
     * posting). A source that acknowledges what it receives (an MQTT PUBACK, an SMTP 250) does so
     * after this reply, so that nothing it acknowledged can be lost. Reply:
     *   {"rules": ["alarm", ...]}   the rules that fired (empty when none matched)
     * SWIFTLET_ERR_UNAVAILABLE when an action of a rule could not be committed (the detail says
     * which) or the gateway is stopping: do not acknowledge; the event may be offered again (rules
     * that did fire then fire again).
     */
    void (*publish_and_wait)(swiftlet_host *host, swiftlet_str kind, swiftlet_str event, swiftlet_reply_fn reply,
                             void *context);

    /*
     * Reports the plugin's health (SWIFTLET_HEALTH_*) with one line for admins, e.g. "connected to
     * broker.example:8883". Shown by `swiftlet plugins list`; a change is logged. Report on every
     * change (connected, lost, refused), not periodically. Needs no capability.
     */
    void (*report_health)(swiftlet_host *host, int32_t health, swiftlet_str detail);

    /* ---- ABI 1.3 -------------------------------------------------------------------------- */

    /*
     * The gateway's failed-login limiter, shared with its HTTP APIs, for a plugin that checks
     * credentials itself (SMTP AUTH). `client` is the client's IP address as text, `login` the user
     * name it tried. Call with phase SWIFTLET_LOGIN_CHECK before checking the credentials:
     * SWIFTLET_OK means check them; SWIFTLET_ERR_UNAVAILABLE means the client or the login failed too
     * often lately: refuse without checking ("too many failed attempts"). After credentials turned out
     * wrong, call with SWIFTLET_LOGIN_FAILED (returns SWIFTLET_ERR_UNAVAILABLE if that blocked them).
     * Quick and thread-safe; needs no capability.
     */
    swiftlet_status (*login_attempt)(swiftlet_host *host, swiftlet_str client, swiftlet_str login, int32_t phase);

    /* ---- ABI 1.4 -------------------------------------------------------------------------- */

    /*
     * Offers a role (SWIFTLET_ROLE_*) under `name` (1-64 of a-z 0-9 - _, unique among the providers
     * of that role; admins route work to it by this name). The plugin needs the manifest capability
     * "transport", "voice" or "directory", and a handle_request function. From then on the host sends
     * it that role's requests (see handle_request). `schema`: a JSON Schema (the subset manifests'
     * "configuration" uses) of the options a request may carry in its "options" member, for
     * documentation and checks; empty for none. Register in start(). Returns SWIFTLET_OK,
     * SWIFTLET_ERR_INVALID (bad role, name or schema: the detail is logged), SWIFTLET_ERR_DENIED
     * (capability missing; or the name is another plugin's), SWIFTLET_ERR_UNSUPPORTED (no
     * handle_request).
     */
    swiftlet_status (*register_provider)(swiftlet_host *host, int32_t role, swiftlet_str name, swiftlet_str schema);

    /*
     * The gateway's state, read-only (capability "status"). Request: {} (members reserved for
     * filters). Reply:
     *   {"version": "0.3.0", "node": "gw1", "uptime_seconds": 3600, "at": "2026-12-06T08:00:00Z",
     *    "queue": {"queued": 0, "claimed": 0, "submitting": 0, "sent": 12, "failed": 1,
     *              "oldest_seconds": 0},
     *    "traffic": {"sent_last_day": 12, "sent_last30_days": 80, "failed_last_day": 1},
     *    "inbox": 5, "webhooks_pending": 0,
     *    "modems": [{"no": 1, "name": "modem1", "state": "ready", "enabled": true, "signal": 71,
     *                "registration": "home", "operator": "Telia", "sent": 12, "received": 5}],
     *    "plugins": [{"id": "mqtt", "health": "ok", "detail": "connected to localhost:1883"}],
     *    "providers": [{"role": "transport", "name": "relay", "plugin": "relay"}],
     *    "metrics": [{"name": "swiftlet_relay_sent_total", "type": "counter", "help": "...",
     *                 "labels": {"result": "ok"}, "value": 3}]}
     * "signal" is in percent, -1 when unknown; "registration" one of home, roaming, searching,
     * denied, unknown. "oldest_seconds": how long the longest-waiting due message has waited;
     * a modem's "sent"/"received": messages in the sent folder/inbox through it. Members may be
     * added: "oldest_seconds", "traffic", "webhooks_pending" and a modem's "sent"/"received" were
     * added after 1.4 first shipped, and gateways from before leave them out.
     */
    void (*status_snapshot)(swiftlet_host *host, swiftlet_str query, swiftlet_reply_fn reply, void *context);

    /*
     * Sets or adds to one of the plugin's metrics (capability "metrics"), kept in the gateway's
     * registry and shown in status_snapshot (and by the gateway's metrics endpoint). Request:
     *   {"name": "sent_total", "type": "counter"|"gauge", "help": "Messages relayed",
     *    "labels": {"result": "ok"}, "value": 1}
     * The name (a-z 0-9 _, 1-64) is published as "swiftlet_<plugin id>_<name>". A counter adds
     * `value` (>= 0); a gauge is set to it. At most 10 labels and 1000 series per plugin.
     * Returns SWIFTLET_OK or SWIFTLET_ERR_INVALID (the detail is logged). Quick and thread-safe.
     */
    swiftlet_status (*report_metric)(swiftlet_host *host, swiftlet_str metric);

    /* ---- ABI 1.5 -------------------------------------------------------------------------- */

    /*
     * What became of a message this plugin's transport accepted ("transport.send"), or of one whose
     * fate it could not tell then (capability "transport"). Request:
     *   {"id": 12, "key": "swiftlet-12-1733472000000", "status": "delivered"|"failed"|"sent",
     *    "detail": "why, for failed", "at": "2026-12-06T08:00:00Z" (optional: now)}
     * "id" and "key" are those of the transport.send request; both must match a message sent
     * through a provider this plugin registered. "delivered" and "failed" are the recipient's
     * status report (as a modem's +CDS); "sent" says a message the gateway recorded as failed (the
     * transport answered that it could not tell whether it went out) did go out after all.
     * Reply: {"id": 12, "delivery": "delivered"}. SWIFTLET_ERR_NOT_FOUND when no such message was
     * sent through this plugin (unknown, another sender's, or the key does not match).
     */
    void (*report_delivery)(swiftlet_host *host, swiftlet_str report, swiftlet_reply_fn reply, void *context);
} swiftlet_host_api;

/* ---------------------------------------------------------------------------------------------
 * The plugin (the plugin fills this descriptor; the host calls through it)
 * ------------------------------------------------------------------------------------------- */

typedef struct swiftlet_plugin {
    /* sizeof(swiftlet_plugin) as the plugin was built. The host reads min(struct_size, its size). */
    uint32_t struct_size;
    /* The ABI version the plugin speaks: within the range the host offered. */
    uint32_t abi_version;
    /* The plugin's id and version: NUL-terminated, static. The host checks they equal the manifest's. */
    const char *id;
    const char *version;

    /*
     * Required. Makes an instance from its configuration: the plugin's section of the gateway's
     * configuration as a JSON object, already checked against the manifest's schema (defaults
     * filled in). Keep `api` and `host`: both stay valid until destroy(). Store the instance in
     * `*instance`. On failure return an error code and call `fail(fail_context, code, detail)`
     * once with the reason (before returning). Must not call the host API before returning.
     */
    swiftlet_status (*create)(const swiftlet_host_api *api, swiftlet_host *host, swiftlet_str configuration,
                              void **instance, swiftlet_reply_fn fail, void *fail_context);

    /*
     * Required. Starts the instance's work (connections, listeners, its own threads). Call
     * `done(done_context, SWIFTLET_OK, "")` when started, or an error code and the reason; a plugin
     * that fails to start is destroyed and the gateway runs on without it.
     */
    void (*start)(void *instance, swiftlet_reply_fn done, void *done_context);

    /*
     * Optional (NULL: the plugin subscribes to nothing). An event of a subscribed kind; see
     * swiftlet_host_api.subscribe. Called one at a time, in order; copy what you keep and return quickly.
     */
    void (*handle_event)(void *instance, swiftlet_str kind, swiftlet_str event);

    /*
     * Optional. Stops the instance: finish or hand back work in progress, close connections, and
     * call `done` within `timeout_ms` milliseconds (the host goes on without waiting longer).
     * After done, the plugin makes no more host calls.
     */
    void (*stop)(void *instance, uint32_t timeout_ms, swiftlet_reply_fn done, void *done_context);

    /* Optional. Frees the instance. Called once, after stop's done (or after a failed start). */
    void (*destroy)(void *instance);

    /* ---- ABI 1.4 -------------------------------------------------------------------------- */

    /*
     * Optional (needed to register_provider). A request of a role the plugin provides. Answer with
     * `reply(context, status, body)` exactly once, from any thread, when done: SWIFTLET_OK and the
     * answer's JSON, or an error code and a detail text. Return quickly; do the work elsewhere. The
     * host owns the time: when it stops waiting (the role's timeout, or the gateway stopping) it
     * sends a request of kind "cancel", {"request_id": N}, and ignores the late answer (which must
     * still come, or never: `context` stays valid either way). Every request carries "request_id"
     * and "provider" (the name it was registered under). Kinds:
     *
     *   "transport.send"  one SMS to one number.
     *     {"request_id": 7, "provider": "relay", "id": 12, "key": "swiftlet-12",
     *      "to": "+46701234567", "text": "...", "unicode": false, "flash": false, "priority": 0,
     *      "attempt": 1}
     *     Answer {"accepted": true, "reference": "upstream id"} once the message is handed on, or
     *     {"accepted": false, "error": "why", "permanent": true} when it never will be (a retry is
     *     pointless). Since 1.5 an accepted answer may add "parts" (SMS parts it was billed as),
     *     "cost" (what the upstream charged, in its currency) and "reports": true (the transport
     *     will report_delivery: the message waits for its status report as a modem's does). An error status is a failed attempt, tried again later. "key" is stable for
     *     the message: a transport that is offered a key it already accepted (after a gateway crash)
     *     answers accepted again without sending twice. Timeout 60 s; after it the message is failed
     *     with "no answer" and not sent again (it may have gone out).
     *
     *   "voice.call"  one call to one number.
     *     {"request_id", "provider", "id": 14, "key": "swiftlet-14", "to": "+46701234567",
     *      "mode": "tts"|"ring", "text": "Fire in building 3", "language": "en", "voice": 1,
     *      "repeat": 2, "ring_seconds": 30, "max_seconds": 120, "dtmf": true}
     *     Answer {"result": "answered"|"busy"|"no-answer"|"rejected"|"failed", "duration": 12,
     *     "digits": "1", "detail": "..."}: duration in seconds of the answered call, the keys pressed.
     *     Timeout max_seconds + ring_seconds + 30 s.
     *
     *   "directory.resolve"  {"request_id", "provider", "name": "oncall"}
     *     Answer {"numbers": ["+4670..."], "members": [{"name": "Anna", "number": "+4670..."}]};
     *     SWIFTLET_ERR_NOT_FOUND when the directory has nothing of that name. Timeout 10 s.
     *   "directory.groups"  {"request_id", "provider"}  Answer {"groups": [{"name", "members": 4}]}.
     *   "directory.verify"  {"request_id", "provider", "login", "password"}
     *     Answer {"valid": true, "groups": ["admins"], "role": "admin"}: role is "admin", "user" or
     *     "read_only" (absent: "user"), and the gateway signs a login it has no local user of in with
     *     it (a user marked as the directory's); {"valid": false} for a wrong login or password.
     *     SWIFTLET_ERR_UNSUPPORTED if not offered; SWIFTLET_ERR_UNAVAILABLE when the directory
     *     cannot say now. Timeout 10 s.
     */
    void (*handle_request)(void *instance, swiftlet_str kind, swiftlet_str request, swiftlet_reply_fn reply,
                           void *context);
} swiftlet_plugin;

/*
 * The entry symbol. The host offers the range of ABI versions it speaks, [host_min, host_max];
 * the plugin returns a pointer to its descriptor (static: it must stay valid for the life of the
 * process) with abi_version set to one version in that range, or NULL to decline. It must not do
 * anything else: no threads, no I/O. Called once per process.
 */
typedef const swiftlet_plugin *(*swiftlet_plugin_entry_fn)(uint32_t host_min, uint32_t host_max);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTLET_PLUGIN_H */
