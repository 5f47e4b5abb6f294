/*
 * relay - a provider plugin in plain C (ABI 1.4), built from swiftlet_plugin.h alone:
 *
 *   gcc -std=c99 -Wall -Wextra -pedantic -shared -fPIC -I ../../include \
 *       -Wl,--version-script=../../plugin.exports -Wl,-z,nodelete -o librelay.so relay.c
 *
 * It shows the three provider roles and the two read-only host calls of ABI 1.4:
 *
 * - transport "spool": each SMS the gateway routes to it is appended, as a JSON line, to the file
 *   `spool` (where a real transport would POST it to an operator's API). A key it has spooled
 *   before is answered "accepted" again without spooling twice, as the ABI asks. Numbers starting
 *   with `refuse_prefix` are refused for good.
 * - voice "spool": each call is appended to the same file and answered "answered", with the keys
 *   in `digits` pressed (a real provider would place it over SIP and report what happened); numbers
 *   starting with `refuse_prefix` are "busy".
 * - directory "static": `groups` names groups and their numbers: "oncall=+4670...,+4670...;ops=+4670...".
 * - report_metric: counts what it spooled (swiftlet_relay_spooled_total{role="sms"|"call"}).
 * - status_snapshot: every `status_every_ms` milliseconds (0: never) it writes the gateway's
 *   snapshot to `status_file`, as an SNMP agent would keep one to answer from.
 *
 * Numbers starting with `silent_prefix` are never answered: the gateway's timeout then decides
 * (a demonstration of what the host does with a transport that hangs). With `delay_ms`, SMS are
 * answered that long after they were spooled, from a timer: an answer may come from any thread, at
 * any time, as a real transport's comes when its HTTP request returns.
 *
 * The JSON handling is deliberately tiny (it reads the flat, compact objects the gateway sends); a
 * real plugin would use a JSON library such as cJSON or jansson.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftlet_plugin.h"

typedef struct relay {
    const swiftlet_host_api *api;
    swiftlet_host *host;
    char spool[512];
    char status_file[512];
    char refuse_prefix[32];
    char silent_prefix[32];
    char digits[32];
    char groups[2048];
    long status_every_ms;
    long delay_ms;
    uint64_t timer;
} relay;

/* An answer the relay gives later (delay_ms). */
typedef struct pending {
    swiftlet_reply_fn reply;
    void *context;
    char answer[200];
} pending;

static void answer_later(void *context, uint64_t timer) {
    pending *later = context;
    (void)timer;
    later->reply(later->context, SWIFTLET_OK, (swiftlet_str){later->answer, strlen(later->answer)});
    free(later);
}

static swiftlet_str str(const char *text) {
    swiftlet_str s;
    s.data = text;
    s.size = strlen(text);
    return s;
}

/* Where the member `name` of a flat JSON object starts its value, or NULL. */
static const char *json_member(swiftlet_str json, const char *name) {
    char key[64];
    size_t length;
    const char *p;
    const char *end = json.data + json.size;
    snprintf(key, sizeof key, "\"%s\":", name);
    length = strlen(key);
    for (p = json.data; p && p + length <= end; p++) {
        if (memcmp(p, key, length) == 0) return p + length;
    }
    return NULL;
}

/* Copies the string member `name` into `out` (escapes undone); returns 0 if absent. */
static int json_string(swiftlet_str json, const char *name, char *out, size_t size) {
    const char *p = json_member(json, name);
    const char *end = json.data + json.size;
    size_t n = 0;
    if (!p || p >= end || *p != '"') return 0;
    for (p++; p < end && *p != '"' && n + 1 < size; p++) {
        if (*p == '\\' && p + 1 < end) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return 1;
}

/* The number member `name`, or `fallback` if absent. */
static long json_number(swiftlet_str json, const char *name, long fallback) {
    const char *p = json_member(json, name);
    return p ? strtol(p, NULL, 10) : fallback;
}

/* Writes `text` as a JSON string body (without the quotes) into `out`. */
static void json_escape(const char *text, char *out, size_t size) {
    size_t n = 0;
    for (; *text && n + 7 < size; text++) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
}

static int starts_with(const char *text, const char *prefix) {
    return prefix[0] != '\0' && strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The line number (from 1) of the spooled line with this key, or 0. */
static long spooled(relay *self, const char *key) {
    char line[4096], needle[300];
    long number = 0;
    FILE *file = fopen(self->spool, "r");
    if (!file) return 0;
    snprintf(needle, sizeof needle, "\"key\":\"%s\"", key);
    while (fgets(line, sizeof line, file)) {
        number++;
        if (strstr(line, needle)) {
            fclose(file);
            return number;
        }
    }
    fclose(file);
    return 0;
}

/* Appends one line; returns its number (from 1), or 0 if the file cannot be written. */
static long spool(relay *self, const char *line) {
    char buffer[4096];
    long number = 0;
    FILE *file = fopen(self->spool, "a+");
    if (!file) return 0;
    rewind(file);
    while (fgets(buffer, sizeof buffer, file)) number++;
    fprintf(file, "%s\n", line);
    fclose(file);
    return number + 1;
}

static void count(relay *self, const char *role) {
    char metric[200];
    if (self->api->struct_size < offsetof(swiftlet_host_api, report_metric) + sizeof self->api->report_metric) return;
    snprintf(metric, sizeof metric,
             "{\"name\":\"spooled_total\",\"type\":\"counter\",\"help\":\"What the relay example spooled\","
             "\"labels\":{\"role\":\"%s\"},\"value\":1}",
             role);
    self->api->report_metric(self->host, str(metric));
}

/* transport.send: {"id", "key", "to", "text", ...} */
static void send_sms(relay *self, swiftlet_str request, swiftlet_reply_fn reply, void *context) {
    char key[200], to[64], text[1600], text_json[3300], line[4000], answer[200];
    long number;
    if (!json_string(request, "key", key, sizeof key) || !json_string(request, "to", to, sizeof to) ||
        !json_string(request, "text", text, sizeof text)) {
        reply(context, SWIFTLET_ERR_INVALID, str("key, to and text are required"));
        return;
    }
    if (starts_with(to, self->silent_prefix)) return; /* never answered: the host's timeout decides */
    if (starts_with(to, self->refuse_prefix)) {
        reply(context, SWIFTLET_OK, str("{\"accepted\":false,\"error\":\"the relay refuses this number\",\"permanent\":true}"));
        return;
    }
    number = spooled(self, key);
    if (number == 0) {
        json_escape(text, text_json, sizeof text_json);
        snprintf(line, sizeof line, "{\"kind\":\"sms\",\"key\":\"%s\",\"to\":\"%s\",\"text\":\"%s\"}", key, to, text_json);
        number = spool(self, line);
        if (number == 0) {
            reply(context, SWIFTLET_ERR_UNAVAILABLE, str("cannot write the spool file"));
            return;
        }
        count(self, "sms");
    }
    snprintf(answer, sizeof answer, "{\"accepted\":true,\"reference\":\"spool-%ld\"}", number);
    if (self->delay_ms > 0) {
        uint64_t timer;
        pending *later = malloc(sizeof *later);
        if (later) {
            later->reply = reply;
            later->context = context;
            strcpy(later->answer, answer);
            if (self->api->timer_start(self->host, (uint64_t)self->delay_ms, 0, answer_later, later, &timer) ==
                SWIFTLET_OK) {
                return;
            }
            free(later);
        }
    }
    reply(context, SWIFTLET_OK, str(answer));
}

/* voice.call: {"id", "key", "to", "mode", "text", "max_seconds", ...} */
static void place_call(relay *self, swiftlet_str request, swiftlet_reply_fn reply, void *context) {
    char key[200], to[64], text[1600], text_json[3300], line[4000], answer[200];
    if (!json_string(request, "key", key, sizeof key) || !json_string(request, "to", to, sizeof to)) {
        reply(context, SWIFTLET_ERR_INVALID, str("key and to are required"));
        return;
    }
    if (starts_with(to, self->silent_prefix)) return;
    if (starts_with(to, self->refuse_prefix)) {
        reply(context, SWIFTLET_OK, str("{\"result\":\"busy\",\"detail\":\"the relay refuses this number\"}"));
        return;
    }
    if (!json_string(request, "text", text, sizeof text)) text[0] = '\0';
    if (spooled(self, key) == 0) {
        json_escape(text, text_json, sizeof text_json);
        snprintf(line, sizeof line, "{\"kind\":\"call\",\"key\":\"%s\",\"to\":\"%s\",\"text\":\"%s\",\"max_seconds\":%ld}",
                 key, to, text_json, json_number(request, "max_seconds", 0));
        if (spool(self, line) == 0) {
            reply(context, SWIFTLET_OK, str("{\"result\":\"failed\",\"detail\":\"cannot write the spool file\"}"));
            return;
        }
        count(self, "call");
    }
    snprintf(answer, sizeof answer, "{\"result\":\"answered\",\"duration\":3,\"digits\":\"%s\"}", self->digits);
    reply(context, SWIFTLET_OK, str(answer));
}

/* directory.resolve: {"name": "oncall"} against "oncall=+4670...,+4670...;ops=+4670..." */
static void resolve(relay *self, swiftlet_str request, swiftlet_reply_fn reply, void *context) {
    char name[100], answer[2300];
    const char *group = self->groups;
    size_t length;
    if (!json_string(request, "name", name, sizeof name) || name[0] == '\0') {
        reply(context, SWIFTLET_ERR_INVALID, str("name is required"));
        return;
    }
    length = strlen(name);
    while (*group) {
        const char *end = strchr(group, ';');
        size_t size = end ? (size_t)(end - group) : strlen(group);
        if (size > length && strncmp(group, name, length) == 0 && group[length] == '=') {
            const char *number = group + length + 1;
            const char *stop = group + size;
            size_t n = (size_t)snprintf(answer, sizeof answer, "{\"numbers\":[");
            while (number < stop && n + 70 < sizeof answer) {
                const char *comma = memchr(number, ',', (size_t)(stop - number));
                size_t digits = comma ? (size_t)(comma - number) : (size_t)(stop - number);
                n += (size_t)snprintf(answer + n, sizeof answer - n, "%s\"%.*s\"", answer[n - 1] == '[' ? "" : ",",
                                      (int)(digits < 40 ? digits : 40), number);
                number += digits + 1;
            }
            snprintf(answer + n, sizeof answer - n, "]}");
            reply(context, SWIFTLET_OK, str(answer));
            return;
        }
        group += size + (end ? 1 : 0);
    }
    reply(context, SWIFTLET_ERR_NOT_FOUND, str("no such group in the relay's directory"));
}

static void relay_request(void *instance, swiftlet_str kind, swiftlet_str request, swiftlet_reply_fn reply,
                          void *context) {
    relay *self = instance;
#define IS(name) (kind.size == strlen(name) && memcmp(kind.data, name, kind.size) == 0)
    if (IS("transport.send")) {
        send_sms(self, request, reply, context);
    } else if (IS("voice.call")) {
        place_call(self, request, reply, context);
    } else if (IS("directory.resolve")) {
        resolve(self, request, reply, context);
    } else if (IS("directory.groups")) {
        reply(context, SWIFTLET_OK, str("{\"groups\":[]}"));
    } else if (IS("cancel")) {
        /* Nothing to stop here: the example does its work at once. A real provider would abandon
         * the request with this "request_id". */
        reply(context, SWIFTLET_OK, str("{}"));
    } else {
        reply(context, SWIFTLET_ERR_UNSUPPORTED, str("the relay example does not answer this kind"));
    }
#undef IS
}

/* The status snapshot arrives: keep it in status_file (written whole, then renamed into place). */
static void status_read(void *context, swiftlet_status status, swiftlet_str body) {
    relay *self = context;
    char temporary[600];
    FILE *file;
    if (status != SWIFTLET_OK) return;
    snprintf(temporary, sizeof temporary, "%s.new", self->status_file);
    file = fopen(temporary, "w");
    if (!file) return;
    fwrite(body.data, 1, body.size, file);
    fclose(file);
    rename(temporary, self->status_file);
}

static void status_tick(void *context, uint64_t timer) {
    relay *self = context;
    (void)timer;
    self->api->status_snapshot(self->host, str("{}"), status_read, self);
}

static swiftlet_status relay_create(const swiftlet_host_api *api, swiftlet_host *host, swiftlet_str configuration,
                                    void **instance, swiftlet_reply_fn fail, void *fail_context) {
    relay *self;
    if (api->abi_version < SWIFTLET_ABI_VERSION_1_4 ||
        api->struct_size < offsetof(swiftlet_host_api, report_metric) + sizeof api->report_metric) {
        fail(fail_context, SWIFTLET_ERR_UNSUPPORTED, str("the relay example needs a gateway with ABI 1.4"));
        return SWIFTLET_ERR_UNSUPPORTED;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        fail(fail_context, SWIFTLET_ERR_INTERNAL, str("out of memory"));
        return SWIFTLET_ERR_INTERNAL;
    }
    self->api = api;
    self->host = host;
    if (!json_string(configuration, "spool", self->spool, sizeof self->spool)) {
        free(self);
        fail(fail_context, SWIFTLET_ERR_INVALID, str("spool: required, the file the relay writes to"));
        return SWIFTLET_ERR_INVALID;
    }
    json_string(configuration, "status_file", self->status_file, sizeof self->status_file);
    json_string(configuration, "refuse_prefix", self->refuse_prefix, sizeof self->refuse_prefix);
    json_string(configuration, "silent_prefix", self->silent_prefix, sizeof self->silent_prefix);
    if (!json_string(configuration, "digits", self->digits, sizeof self->digits)) strcpy(self->digits, "1");
    json_string(configuration, "groups", self->groups, sizeof self->groups);
    self->status_every_ms = json_number(configuration, "status_every_ms", 0);
    self->delay_ms = json_number(configuration, "delay_ms", 0);
    *instance = self;
    return SWIFTLET_OK;
}

static void relay_start(void *instance, swiftlet_reply_fn done, void *done_context) {
    relay *self = instance;
    const char *failed = NULL;
    if (self->api->register_provider(self->host, SWIFTLET_ROLE_TRANSPORT, str("spool"), str("")) != SWIFTLET_OK) {
        failed = "cannot register the transport 'spool'";
    } else if (self->api->register_provider(self->host, SWIFTLET_ROLE_VOICE, str("spool"), str("")) != SWIFTLET_OK) {
        failed = "cannot register the voice provider 'spool'";
    } else if (self->api->register_provider(self->host, SWIFTLET_ROLE_DIRECTORY, str("static"), str("")) !=
               SWIFTLET_OK) {
        failed = "cannot register the directory 'static'";
    } else if (self->status_every_ms > 0 && self->status_file[0] &&
               self->api->timer_start(self->host, 0, (uint64_t)self->status_every_ms, status_tick, self,
                                      &self->timer) != SWIFTLET_OK) {
        failed = "cannot start the status timer";
    }
    done(done_context, failed ? SWIFTLET_ERR_DENIED : SWIFTLET_OK, str(failed ? failed : ""));
}

static void relay_stop(void *instance, uint32_t timeout_ms, swiftlet_reply_fn done, void *done_context) {
    (void)instance;
    (void)timeout_ms;
    done(done_context, SWIFTLET_OK, str(""));
}

static void relay_destroy(void *instance) { free(instance); }

SWIFTLET_PLUGIN_IDENTITY("relay", "1.0.0");

static const swiftlet_plugin descriptor = {
    .struct_size = sizeof(swiftlet_plugin),
    .abi_version = SWIFTLET_ABI_VERSION_1_4,
    .id = "relay",
    .version = "1.0.0",
    .create = relay_create,
    .start = relay_start,
    .stop = relay_stop,
    .destroy = relay_destroy,
    .handle_request = relay_request, /* ABI 1.4 */
};

const swiftlet_plugin *swiftlet_plugin_entry(uint32_t host_min, uint32_t host_max) {
    if (host_min <= SWIFTLET_ABI_VERSION_1_4 && SWIFTLET_ABI_VERSION_1_4 <= host_max) return &descriptor;
    return NULL;
}
